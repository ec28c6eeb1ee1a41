package casework

import (
	"fmt"
	"time"
)

// The monthly peer-supervision check-in (DOMAIN.md §4): an LCCW's round
// in which each CCW of the ward answers privately; the LCCW sees a summary
// per CCW, the ward group only totals.

// SupervisionReminderAfter is when a CCW who has not answered a round is
// reminded, once.
const SupervisionReminderAfter = 24 * time.Hour

// Round is one ward's check-in round. Zero Reminded or Closed times mean
// "not yet".
type Round struct {
	ID         int64
	DistrictID int64
	Ward       int
	// StartedBy is the member who typed /supervision; 0 for a round the
	// scheduler started on the configured day.
	StartedBy int64
	Started   time.Time
	Closes    time.Time
	Reminded  time.Time
	Closed    time.Time
	// Month is the calendar month of Started in the district's time zone
	// ("2026-01"): "two months running" compares months, not 30 days.
	Month string
}

// Open reports whether the round still takes answers at now.
func (r Round) Open(now time.Time) bool { return r.Closed.IsZero() && now.Before(r.Closes) }

// ReminderDue reports whether the one reminder to non-responders is due.
func (r Round) ReminderDue(now time.Time) bool {
	return r.Closed.IsZero() && r.Reminded.IsZero() && !now.Before(r.Started.Add(SupervisionReminderAfter))
}

// MonthOf is the calendar month of t in t's location.
func MonthOf(t time.Time) string { return t.Format("2006-01") }

// ConsecutiveMonths reports whether month prev ("2006-01") is the calendar
// month just before cur; December to January counts.
func ConsecutiveMonths(prev, cur string) bool {
	p, err1 := time.Parse("2006-01", prev)
	c, err2 := time.Parse("2006-01", cur)
	if err1 != nil || err2 != nil {
		return false
	}
	return p.AddDate(0, 1, 0).Equal(c)
}

// PreviousMonth is the calendar month before month ("2026-01" ->
// "2025-12"); "" for a malformed month.
func PreviousMonth(month string) string {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		return ""
	}
	return m.AddDate(0, -1, 0).Format("2006-01")
}

// CheckIn is one CCW's place in a round: invited when the round started,
// answered when the check-in flow finished. The numbers are as the CCW
// gave them; nothing in it identifies a child but a case code.
type CheckIn struct {
	RoundID  int64
	MemberID int64
	Answered time.Time // zero: no answer (yet)
	// Answers holds the flow's answers, keyed by step id, as stored.
	Answers       map[string]string
	OpenCases     int
	Visits        int
	StuckCode     string // "" when no case is stuck
	Concern       bool   // a new concern for the CWO
	ReferralsMade int
	ReferralsDone int
	Challenge     string // choice value of the biggest challenge
	Training      string // choice value of the training need
	Burnout       int    // Mini-Z single item, 1-5; 0 when not answered
	// WHO5 is the raw WHO-5 score (0-25); -1 when the items were not
	// asked or not (yet) answered.
	WHO5 int
}

// HasAnswered reports whether the CCW finished the check-in.
func (c CheckIn) HasAnswered() bool { return !c.Answered.IsZero() }

// SupervisionRules are the thresholds of the check-in. The bot reads them
// from the score levels of the flow files, so program staff change them
// there; DefaultSupervisionRules are DOMAIN.md §4's.
type SupervisionRules struct {
	// BurnoutMin: a Mini-Z answer at or above it is burnout.
	BurnoutMin int
	// WHO5PoorBelow: a raw WHO-5 score below it is poor wellbeing.
	WHO5PoorBelow int
}

// DefaultSupervisionRules: Mini-Z ≥ 3 "definitely burning out", WHO-5 raw
// < 13 poor wellbeing [P22].
var DefaultSupervisionRules = SupervisionRules{BurnoutMin: 3, WHO5PoorBelow: 13}

// WHO5Max is the highest raw WHO-5 score: five items of 0-5.
const WHO5Max = 25

// Burnout reports whether a Mini-Z answer counts as burnout; 0 (not
// answered) never does.
func (r SupervisionRules) Burnout(item int) bool { return item > 0 && item >= r.BurnoutMin }

// PoorWellbeing reports whether a raw WHO-5 score is poor wellbeing. A
// score outside 0-25 is an error: it means the flow's scores were changed
// into something that is no longer the WHO-5.
func (r SupervisionRules) PoorWellbeing(raw int) (bool, error) {
	if raw < 0 || raw > WHO5Max {
		return false, fmt.Errorf("WHO-5 raw score %d is outside 0-%d", raw, WHO5Max)
	}
	return raw < r.WHO5PoorBelow, nil
}

// NeedsCall reports whether the LCCW should call the CCW: burnout, or
// poor wellbeing on the WHO-5.
func (r SupervisionRules) NeedsCall(c CheckIn) bool {
	if !c.HasAnswered() {
		return false
	}
	if r.Burnout(c.Burnout) {
		return true
	}
	poor, err := r.PoorWellbeing(c.WHO5)
	return err == nil && poor
}

// BurnoutTwoMonths reports whether a CCW answered with burnout in a round
// and in a round of the calendar month before: then the CWO is told.
func (r SupervisionRules) BurnoutTwoMonths(prev Round, prevC CheckIn, cur Round, curC CheckIn) bool {
	return ConsecutiveMonths(prev.Month, cur.Month) && prevC.MemberID == curC.MemberID &&
		prevC.HasAnswered() && curC.HasAnswered() && r.Burnout(prevC.Burnout) && r.Burnout(curC.Burnout)
}

// SupervisionTotals are what the ward group may see of a round: counts,
// never a name or a case code.
type SupervisionTotals struct {
	Invited  int // CCWs in the round
	Answered int // CCWs who checked in
	Stuck    int // stuck cases named
	Concerns int // new concerns sent to the CWO
	Calls    int // CCWs the LCCW is asked to call
}

// Totals adds up a round's check-ins.
func (r SupervisionRules) Totals(cs []CheckIn) SupervisionTotals {
	t := SupervisionTotals{Invited: len(cs)}
	for _, c := range cs {
		if !c.HasAnswered() {
			continue
		}
		t.Answered++
		if c.StuckCode != "" {
			t.Stuck++
		}
		if c.Concern {
			t.Concerns++
		}
		if r.NeedsCall(c) {
			t.Calls++
		}
	}
	return t
}

// AllAnswered reports whether every CCW of a round has finished, the
// WHO-5 items included when they are asked: the round may close early.
func AllAnswered(cs []CheckIn, who5 bool) bool {
	if len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		if !c.HasAnswered() || who5 && c.WHO5 < 0 {
			return false
		}
	}
	return true
}

// WardRef names one ward of a district.
type WardRef struct {
	DistrictID int64
	Ward       int
}
