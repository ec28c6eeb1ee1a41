package l10n_test

// The template keys of the supervision check-in's messages
// (locales/supervision.*.toml).
func init() {
	for k, v := range map[string]any{
		"Answered":  4,
		"Invited":   5,
		"Open":      6,
		"Visits":    4,
		"Made":      2,
		"Completed": 1,
		"Challenge": "No service available",
		"Training":  "Psychological first aid",
		"Burnout":   4,
		"Score":     11,
		"Stuck":     2,
		"Calls":     1,
	} {
		sample[k] = v
	}
}
