package casework

import "time"

// Screenings (DOMAIN.md §2, §3). The questions, their points and the
// thresholds live in flows/defs/gbv.yaml and ews.yaml: each Score block
// there sums choice points and names the level the sum reaches. The rules
// here only combine those levels with the few answers whose meaning no sum
// can carry (which referral card fits which item), so program staff can
// change a question, a point or a threshold without touching Go code.

// Screening kinds.
const (
	ScreenGBV = "gbv" // household GBV screen (§2.3)
	ScreenEWS = "ews" // school early warning (§3)
)

// Level is the colour of a screening.
type Level string

// Screening colours.
const (
	Green  Level = "green"
	Yellow Level = "yellow"
	Red    Level = "red"
)

// Score-block levels the rules give a meaning to. A flow's Score block that
// reaches one of these levels says so; any other level name is shown but
// not acted on.
const (
	ScoreRed        = "red"        // the whole screen is red
	ScoreProtection = "protection" // the case becomes a protection case
	ScorePositive   = "positive"   // a partner-violence screen is positive (HITS > 10, WAST)
	ScoreFollowUp   = "followup"   // the child items call for a follow-up
	ScoreFlag       = "flag"       // an EWS indicator (score id flag_a, flag_b, ...) is raised
)

// Scored is what a finished screening flow hands to the rules: the level
// each Score block reached ("" below every threshold), each block's sum,
// and the answers by step id.
type Scored struct {
	Levels  map[string]string
	Values  map[string]int
	Answers map[string]string
}

func (s Scored) anyLevel(level string) bool {
	for _, l := range s.Levels {
		if l == level {
			return true
		}
	}
	return false
}

func (s Scored) yes(step string) bool { return s.Answers[step] == "yes" }

// Screening is one stored screen of a case. Only the colour is kept in
// clear; the answers are sealed (nil when no data key is set up).
type Screening struct {
	ID       int64
	CaseID   int64
	Kind     string
	MemberID int64
	At       time.Time
	Level    Level
	Sealed   []byte
}

// Proposal is a case-plan action a screen proposes: what it answers
// (Response, the message suffix), the plan action type (plan.yaml values
// where one fits), the need domain, who is responsible and how soon.
type Proposal struct {
	Response string
	Action   string
	Domain   string
	// Responsible is a plan.yaml responsible value (ccw, cwo, caregiver,
	// school, ...).
	Responsible string
	// Days from the screen; 0 means the same day (see ProposalDue).
	Days int
}

// ProposalDue is when a proposal falls due: the same day means 17:00
// today, or two hours from now when that is already past (a screen done
// late in the day still gets a reminder that evening, not the next
// morning); later days fall due at 08:00, when reminders go out.
func ProposalDue(now time.Time, days int) time.Time {
	y, m, d := now.Date()
	if days == 0 {
		due := time.Date(y, m, d, 17, 0, 0, 0, now.Location())
		if !now.Before(due.Add(-2 * time.Hour)) {
			due = now.Add(2 * time.Hour)
		}
		return due
	}
	return time.Date(y, m, d+days, 8, 0, 0, 0, now.Location())
}

// GBV answer steps whose meaning the referral card depends on (step ids of
// gbv.yaml).
const (
	gbvUnsafe  = "unsafe"  // item 6: unsafe at home right now
	gbvSexual  = "sexual"  // item 9: yes, no or unsure
	gbvRape72  = "rape72"  // item 10: rape in the last 72 hours
	gbvNeglect = "neglect" // item 11: welfare/neglect flag
	gbvDrink   = "drink"   // item 12: risk factor, not scored
)

// GBVResult is the outcome of a household GBV screen.
type GBVResult struct {
	Level Level
	// PartnerViolence: HITS items 1-4 above the threshold, or WAST item 5
	// positive: a GBV referral for the adult.
	PartnerViolence bool
	// ChildFollowUp: the child score (items 7-8) reached its threshold.
	ChildFollowUp bool
	// Protection: red, or a child item that is a protection matter (item 7
	// "often", item 9 yes): the case becomes a protection case and the CWO
	// is alerted the same day.
	Protection bool
	// Statutory: a child item showed abuse (physical or sexual), whose
	// closure needs provincial authorisation.
	Statutory bool
	// AskCWO: item 9 "not sure" goes to the CWO.
	AskCWO bool
	// Neglect: item 11 yes, a welfare flag.
	Neglect bool
	// RiskFactor is item 12 ("sometimes", "often"; "" for no).
	RiskFactor string
	// Cards are the referral cards that fit, in the order to show them
	// (message ids gbv_card_*).
	Cards []string
	// Proposals are the referral actions proposed for the case plan.
	Proposals []Proposal
}

// GBV card ids, in the order of DOMAIN.md §2.4: the clinic first after a
// rape (PEP within 72 hours), then police, helplines, the CWO.
const (
	CardPEP       = "gbv_card_pep"
	CardVFU       = "gbv_card_vfu"
	CardChildline = "gbv_card_childline"
	Card575       = "gbv_card_575"
	CardMusasa    = "gbv_card_musasa"
	CardCWO       = "gbv_card_cwo"
)

var cardOrder = []string{CardPEP, CardVFU, CardChildline, Card575, CardMusasa, CardCWO}

// ScoreGBV applies DOMAIN.md §2.3 to a finished gbv flow.
func ScoreGBV(s Scored) GBVResult {
	r := GBVResult{
		PartnerViolence: s.anyLevel(ScorePositive),
		ChildFollowUp:   s.anyLevel(ScoreFollowUp),
		Statutory:       s.anyLevel(ScoreProtection),
		AskCWO:          s.Answers[gbvSexual] == "unsure",
		Neglect:         s.yes(gbvNeglect),
		RiskFactor:      s.Answers[gbvDrink],
	}
	if r.RiskFactor == "no" {
		r.RiskFactor = ""
	}
	red := s.anyLevel(ScoreRed)
	r.Protection = red || r.Statutory
	switch {
	case r.Protection:
		// A protection matter goes to the CWO the same day like a red
		// item, and the alert must say no more than "red".
		r.Level = Red
	case r.PartnerViolence || r.ChildFollowUp || r.AskCWO || r.Neglect:
		r.Level = Yellow
	default:
		r.Level = Green
	}

	rape, unsafe, sexual := s.yes(gbvRape72), s.yes(gbvUnsafe), s.yes(gbvSexual)
	child := r.ChildFollowUp || r.Statutory || sexual || r.AskCWO || r.Neglect
	cards := map[string]bool{
		CardPEP:       rape,
		CardVFU:       rape || unsafe || sexual || r.PartnerViolence,
		CardChildline: child,
		Card575:       rape || unsafe || r.PartnerViolence,
		CardMusasa:    unsafe || r.PartnerViolence,
		CardCWO:       child || r.Protection,
	}
	for _, c := range cardOrder {
		if cards[c] {
			r.Cards = append(r.Cards, c)
		}
	}

	var p []Proposal
	if rape {
		p = append(p, Proposal{Response: "pep", Action: "clinic", Domain: "physical", Responsible: "ccw", Days: 0})
	}
	if sexual || unsafe {
		// Sexual abuse of a child goes to the police the same day (§2.4).
		p = append(p, Proposal{Response: "vfu", Action: "police", Domain: "social", Responsible: "ccw", Days: 0})
	} else if rape {
		// After a rape the clinic comes first; the report can follow.
		p = append(p, Proposal{Response: "vfu", Action: "police", Domain: "social", Responsible: "ccw", Days: 3})
	}
	if r.Protection || r.AskCWO {
		// DOMAIN.md §2.3: a protection matter goes to the CWO the same day.
		p = append(p, Proposal{Response: "cwo", Action: "cwo", Domain: "social", Responsible: "cwo", Days: 0})
	}
	if r.PartnerViolence {
		p = append(p, Proposal{Response: "counselling", Action: "pss", Domain: "psychological", Responsible: "caregiver", Days: 7})
	}
	if r.ChildFollowUp || r.Neglect {
		p = append(p, Proposal{Response: "home_visit", Action: "home_visits", Domain: "social", Responsible: "ccw", Days: 7})
	}
	r.Proposals = p
	return r
}

// CanReadScreening reports whether m may read a screening's answers: the
// district's CWO or CMO, or the case's own CCW. Others who may view the
// case (the ward's LCCW, other CCWs, the provincial officer) see only the
// date, kind and colour: GBV answers are need-to-know (DOMAIN.md §5).
func CanReadScreening(m Member, c CaseScope) bool {
	if m.ID == 0 || m.DistrictID == 0 || m.DistrictID != c.DistrictID {
		return false
	}
	switch m.Role {
	case CWO, CMO:
		return true
	case CCW:
		return m.ID == c.CCWID
	}
	return false
}
