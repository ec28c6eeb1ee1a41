package casework

import (
	"testing"
	"time"
)

func TestBurnoutThreshold(t *testing.T) {
	r := DefaultSupervisionRules
	for _, tc := range []struct {
		item int
		want bool
	}{{0, false}, {1, false}, {2, false}, {3, true}, {4, true}, {5, true}} {
		if got := r.Burnout(tc.item); got != tc.want {
			t.Errorf("Burnout(%d) = %v, want %v", tc.item, got, tc.want)
		}
	}
	// A threshold moved in the flow file moves the rule.
	if (SupervisionRules{BurnoutMin: 4}).Burnout(3) {
		t.Error("BurnoutMin 4: 3 counted as burnout")
	}
}

func TestPoorWellbeing(t *testing.T) {
	r := DefaultSupervisionRules
	for _, tc := range []struct {
		raw     int
		want    bool
		wantErr bool
	}{
		{0, true, false}, {12, true, false}, {13, false, false}, {25, false, false},
		{-1, false, true}, {26, false, true},
	} {
		got, err := r.PoorWellbeing(tc.raw)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("PoorWellbeing(%d) = %v, %v; want %v, error %v", tc.raw, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestConsecutiveMonths(t *testing.T) {
	for _, tc := range []struct {
		prev, cur string
		want      bool
	}{
		{"2026-01", "2026-02", true},
		{"2025-12", "2026-01", true},
		{"2026-01", "2026-01", false},
		{"2026-01", "2026-03", false},
		{"2026-02", "2026-01", false},
		{"", "2026-01", false},
		{"2026-13", "2027-01", false},
	} {
		if got := ConsecutiveMonths(tc.prev, tc.cur); got != tc.want {
			t.Errorf("ConsecutiveMonths(%q, %q) = %v, want %v", tc.prev, tc.cur, got, tc.want)
		}
	}
}

func TestPreviousMonth(t *testing.T) {
	for in, want := range map[string]string{"2026-02": "2026-01", "2026-01": "2025-12", "2026-03": "2026-02", "x": ""} {
		if got := PreviousMonth(in); got != want {
			t.Errorf("PreviousMonth(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBurnoutTwoMonths(t *testing.T) {
	r := DefaultSupervisionRules
	at := time.Date(2026, 2, 5, 8, 0, 0, 0, time.UTC)
	jan, feb, mar := Round{Month: "2026-01"}, Round{Month: "2026-02"}, Round{Month: "2026-03"}
	ci := func(member int64, burnout int) CheckIn {
		c := CheckIn{MemberID: member, Burnout: burnout, WHO5: -1}
		if burnout > 0 {
			c.Answered = at
		}
		return c
	}
	for _, tc := range []struct {
		name      string
		prev, cur Round
		pc, cc    CheckIn
		want      bool
	}{
		{"3 then 3", jan, feb, ci(1, 3), ci(1, 3), true},
		{"5 then 4", jan, feb, ci(1, 5), ci(1, 4), true},
		{"2 then 4", jan, feb, ci(1, 2), ci(1, 4), false},
		{"4 then 2", jan, feb, ci(1, 4), ci(1, 2), false},
		{"no answer last month", jan, feb, ci(1, 0), ci(1, 4), false},
		{"a month skipped", jan, mar, ci(1, 4), ci(1, 4), false},
		{"same month twice", feb, feb, ci(1, 4), ci(1, 4), false},
		{"another CCW", jan, feb, ci(2, 4), ci(1, 4), false},
	} {
		if got := r.BurnoutTwoMonths(tc.prev, tc.pc, tc.cur, tc.cc); got != tc.want {
			t.Errorf("%s: BurnoutTwoMonths = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTotals(t *testing.T) {
	r := DefaultSupervisionRules
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	cs := []CheckIn{
		{MemberID: 1, Answered: at, StuckCode: "DEM-00013", Burnout: 2, WHO5: -1},
		{MemberID: 2, Answered: at, Concern: true, Burnout: 3, WHO5: -1},
		{MemberID: 3, Answered: at, Burnout: 1, WHO5: 12}, // poor wellbeing: a call
		{MemberID: 4, Answered: at, Burnout: 4, WHO5: 10}, // both: one call
		{MemberID: 5, Answered: at, Burnout: 1, WHO5: 13},
		{MemberID: 6, Burnout: 5, WHO5: -1, StuckCode: "DEM-00021"}, // no answer: not counted
	}
	want := SupervisionTotals{Invited: 6, Answered: 5, Stuck: 1, Concerns: 1, Calls: 3}
	if got := r.Totals(cs); got != want {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
	if got := r.Totals(nil); got != (SupervisionTotals{}) {
		t.Errorf("Totals(nil) = %+v", got)
	}
}

func TestAllAnswered(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	done := CheckIn{Answered: at, WHO5: -1}
	withWHO5 := CheckIn{Answered: at, WHO5: 20}
	for _, tc := range []struct {
		name string
		cs   []CheckIn
		who5 bool
		want bool
	}{
		{"nobody invited", nil, false, false},
		{"all answered", []CheckIn{done, done}, false, true},
		{"one missing", []CheckIn{done, {WHO5: -1}}, false, false},
		{"WHO-5 still open", []CheckIn{withWHO5, done}, true, false},
		{"WHO-5 done", []CheckIn{withWHO5, withWHO5}, true, true},
	} {
		if got := AllAnswered(tc.cs, tc.who5); got != tc.want {
			t.Errorf("%s: AllAnswered = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRoundTimes(t *testing.T) {
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	r := Round{Started: start, Closes: start.Add(72 * time.Hour), Month: MonthOf(start)}
	if r.Month != "2026-01" {
		t.Errorf("Month = %q", r.Month)
	}
	for _, tc := range []struct {
		after        time.Duration
		open, remind bool
	}{
		{0, true, false},
		{24*time.Hour - time.Minute, true, false},
		{24 * time.Hour, true, true},
		{72*time.Hour - time.Minute, true, true},
		{72 * time.Hour, false, true},
	} {
		now := start.Add(tc.after)
		if got := r.Open(now); got != tc.open {
			t.Errorf("+%v: Open = %v, want %v", tc.after, got, tc.open)
		}
		if got := r.ReminderDue(now); got != tc.remind {
			t.Errorf("+%v: ReminderDue = %v, want %v", tc.after, got, tc.remind)
		}
	}
	reminded := r
	reminded.Reminded = start.Add(25 * time.Hour)
	if reminded.ReminderDue(start.Add(30 * time.Hour)) {
		t.Error("reminded twice")
	}
	closed := r
	closed.Closed = start.Add(time.Hour)
	if closed.Open(start.Add(2*time.Hour)) || closed.ReminderDue(start.Add(30*time.Hour)) {
		t.Error("a closed round is still open or reminded")
	}
}
