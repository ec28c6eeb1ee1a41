package l10n_test

import "maps"

// The template keys of locales/closure.*.toml.
func init() {
	maps.Copy(sample, map[string]any{
		"Agree":      3,
		"NotYet":     1,
		"Conference": 0,
		"Votes":      4,
		"Quorum":     3,
		"Criterion":  "1: plan completed, child safe",
		"Date":       "5/1/2026",
		"Type":       "Multi-agency meeting",
		"Decision":   "Continue",
		"Actions":    "CCW by 12/1/2026, School by 20/1/2026",
		"Approval":   "CWO approval pending",
	})
	// The conference summary and its parts are the group-safe line: its
	// length comes from the data, not the template.
	longAllowed["conference_group"] = true
}
