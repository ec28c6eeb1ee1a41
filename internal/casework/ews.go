package casework

import (
	"sort"
	"strings"
)

// EWS answer steps and score blocks the rule reads (ids of ews.yaml).
const (
	ewsFlagPrefix = "flag_"     // flag_a, flag_b, flag_c: level "flag" raises the indicator
	ewsDFactors   = "d_factors" // sum of D1-D4 answered yes
	ewsReason     = "a2"        // main reason for absence (routing only)
	ewsFees       = "d1"
	ewsHungry     = "d2"
	ewsOrphan     = "d3"
	ewsMarried    = "d4"
)

// EWSResult is the outcome of a school early-warning screen.
type EWSResult struct {
	Level Level
	// Flags are the raised indicators, "A", "B", "C" in order.
	Flags []string
	// DFactors counts the D items answered yes.
	DFactors int
	// Protection: D4 or a sign of abuse (a Score block at level
	// "protection"): the case becomes a protection case.
	Protection bool
	// Proposals are the responses that fit, to become plan actions on the
	// CCW's confirmation.
	Proposals []Proposal
}

// ScoreEWS applies the risk rule of DOMAIN.md §3 to a finished ews flow:
// red with two or more flags or any block at level "red" (A1 = 4+ days,
// D4 yes); yellow with one flag or two or more D factors; green
// otherwise (no flag and at most one D factor). "Not attending for two
// weeks or more" is ten school days absent, so it is always A1 = 4+.
// noBirthCert comes from the case's intake: birth registration is needed
// for exam entry.
func ScoreEWS(s Scored, noBirthCert bool) EWSResult {
	var r EWSResult
	for id, l := range s.Levels {
		if strings.HasPrefix(id, ewsFlagPrefix) && l == ScoreFlag {
			r.Flags = append(r.Flags, strings.ToUpper(strings.TrimPrefix(id, ewsFlagPrefix)))
		}
	}
	sort.Strings(r.Flags)
	r.DFactors = s.Values[ewsDFactors]
	r.Protection = s.anyLevel(ScoreProtection)
	switch {
	case len(r.Flags) >= 2 || s.anyLevel(ScoreRed):
		r.Level = Red
	case len(r.Flags) == 1 || r.DFactors >= 2:
		r.Level = Yellow
	default:
		r.Level = Green
	}

	reason := s.Answers[ewsReason]
	flagged := func(f string) bool {
		for _, x := range r.Flags {
			if x == f {
				return true
			}
		}
		return false
	}
	var p []Proposal
	add := func(response, action, domain, resp string, days int) {
		p = append(p, Proposal{Response: response, Action: action, Domain: domain, Responsible: resp, Days: days})
	}
	if r.Protection {
		add("cwo", "cwo", "social", "cwo", 0)
	}
	if s.yes(ewsFees) || reason == "fees" {
		add("beam", "beam", "education", "ccw", 14)
	}
	if s.yes(ewsHungry) {
		add("feeding", "ngo", "physical", "school", 14)
	}
	if reason == "uniform" {
		add("uniform", "ngo", "education", "ccw", 14)
	}
	if flagged("B") || s.yes(ewsOrphan) || reason == "caring" {
		add("pss", "pss", "psychological", "school", 14)
	}
	if s.yes(ewsMarried) || reason == "pregnancy" {
		add("reentry", "reentry", "education", "school", 30)
	}
	if noBirthCert {
		add("birth_reg", "birth_reg", "education", "caregiver", 30)
	}
	if r.Level != Green {
		add("home_visit", "home_visits", "education", "ccw", 7)
	}
	r.Proposals = p
	return r
}
