package casework

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// situation is where a case stands relative to the member asking.
type situation int

const (
	ownCase       situation = iota // the member is the case's CCW, in their ward
	sameWard                       // the member's ward, another CCW's case
	otherWard                      // the member's district, another ward
	otherDistrict                  // another district (same ward number, same CCW id)
)

var situations = []situation{ownCase, sameWard, otherWard, otherDistrict}

func (s situation) String() string {
	return [...]string{"own", "same-ward", "other-ward", "other-district"}[s]
}

// allowed lists the situations in which an action is allowed, separately for
// welfare and protection cases.
type allowed struct{ welfare, protection []situation }

func both(s ...situation) allowed { return allowed{welfare: s, protection: s} }

var (
	wardReach     = both(ownCase, sameWard)
	ownOnly       = both(ownCase)
	districtReach = both(ownCase, sameWard, otherWard)
)

// wantCan is the permission table written out from the rules, independent of
// perm.go. A missing action means "never".
var wantCan = map[Role]map[Action]allowed{
	// ccw: open/view/vote on their ward; the case work only on their own cases.
	CCW: {
		Open: wardReach, View: wardReach, Vote: wardReach,
		ViewDetails: ownOnly, Update: ownOnly, Assess: ownOnly, Plan: ownOnly,
		Refer: ownOnly, Review: ownOnly, Escalate: ownOnly,
	},
	// lccw: everything on their ward but approving closures; closure
	// proposals for welfare cases only.
	LCCW: {
		Open: wardReach, View: wardReach, ViewDetails: wardReach, Update: wardReach,
		Assess: wardReach, Plan: wardReach, Refer: wardReach, Review: wardReach,
		Escalate: wardReach, Vote: wardReach, Conference: wardReach,
		ProposeClosure: {welfare: []situation{ownCase, sameWard}},
	},
	// cwo: everything in the district.
	CWO: {
		Open: districtReach, View: districtReach, ViewDetails: districtReach, Update: districtReach,
		Assess: districtReach, Plan: districtReach, Refer: districtReach, Review: districtReach,
		Escalate: districtReach, ProposeClosure: districtReach, Vote: districtReach,
		ApproveClosure: districtReach, Conference: districtReach,
	},
	// cmo: like a cwo without approving closures.
	CMO: {
		Open: districtReach, View: districtReach, ViewDetails: districtReach, Update: districtReach,
		Assess: districtReach, Plan: districtReach, Refer: districtReach, Review: districtReach,
		Escalate: districtReach, ProposeClosure: districtReach, Vote: districtReach,
		Conference: districtReach,
	},
	// provincial: reads and authorises closures in the district.
	Provincial: {View: districtReach, ViewDetails: districtReach, ApproveClosure: districtReach},
	// admin: no case data at all.
	Admin: {},
}

const (
	homeDistrict    = 1
	foreignDistrict = 2
	homeWard        = 18
	elseWard        = 7
	memberID        = 42
	otherCCW        = 43
)

// member returns the member of the role the table is about: ward roles sit
// in ward 18, district roles have no ward.
func member(r Role) Member {
	m := Member{ID: memberID, Role: r, DistrictID: homeDistrict}
	if r.HasWard() {
		m.Ward = homeWard
	}
	return m
}

func scope(s situation, protection bool) CaseScope {
	c := CaseScope{DistrictID: homeDistrict, Ward: homeWard, CCWID: memberID, Protection: protection}
	switch s {
	case sameWard:
		c.CCWID = otherCCW
	case otherWard:
		c.Ward, c.CCWID = elseWard, otherCCW
	case otherDistrict:
		c.DistrictID = foreignDistrict
	}
	return c
}

// TestActionsComplete: Actions lists every action once, so the exhaustive
// loops below see them all.
func TestActionsComplete(t *testing.T) {
	all := []Action{Open, View, ViewDetails, Update, Assess, Plan, Refer, Review, Escalate, ProposeClosure, Vote, ApproveClosure, Conference}
	if !slices.Equal(Actions, all) {
		t.Errorf("Actions = %v, want %v", Actions, all)
	}
	roles := []Role{CCW, LCCW, CWO, CMO, Provincial, Admin}
	if !slices.Equal(Roles, roles) {
		t.Errorf("Roles = %v, want %v", Roles, roles)
	}
	for r, row := range wantCan {
		if !slices.Contains(Roles, r) {
			t.Errorf("expected table has unknown role %q", r)
		}
		for a := range row {
			if !slices.Contains(Actions, a) {
				t.Errorf("expected table has unknown action %q for %s", a, r)
			}
		}
	}
	for _, r := range Roles {
		if _, ok := wantCan[r]; !ok {
			t.Errorf("expected table misses role %q", r)
		}
	}
}

func TestCanExhaustive(t *testing.T) {
	n := 0
	for _, r := range Roles {
		m := member(r)
		for _, a := range Actions {
			want := wantCan[r][a]
			for _, prot := range []bool{false, true} {
				ok := want.welfare
				kind := "welfare"
				if prot {
					ok, kind = want.protection, "protection"
				}
				for _, s := range situations {
					n++
					exp := slices.Contains(ok, s)
					if got := Can(m, a, scope(s, prot)); got != exp {
						t.Errorf("Can(%s, %s, %s %s case) = %v, want %v", r, a, s, kind, got, exp)
					}
				}
			}
		}
	}
	if n != 6*13*4*2 {
		t.Errorf("checked %d combinations, want %d", n, 6*13*4*2)
	}
}

// TestCanWardEdges: district reach does not depend on the member's ward, and
// ward and own reach need the case's ward to be the member's.
func TestCanWardEdges(t *testing.T) {
	tests := []struct {
		name string
		m    Member
		a    Action
		c    CaseScope
		want bool
	}{
		{"cwo with a ward, other ward", Member{ID: 1, Role: CWO, DistrictID: 1, Ward: 3}, Update, CaseScope{DistrictID: 1, Ward: 9, CCWID: 2}, true},
		{"provincial, protection case", Member{ID: 1, Role: Provincial, DistrictID: 1}, ApproveClosure, CaseScope{DistrictID: 1, Ward: 9, CCWID: 2, Protection: true}, true},
		{"ccw without a ward, their case in ward 5", Member{ID: 1, Role: CCW, DistrictID: 1}, View, CaseScope{DistrictID: 1, Ward: 5, CCWID: 1}, false},
		{"ccw owning a case of another ward", Member{ID: 1, Role: CCW, DistrictID: 1, Ward: 4}, Update, CaseScope{DistrictID: 1, Ward: 5, CCWID: 1}, false},
		{"lccw, other ward welfare proposal", Member{ID: 1, Role: LCCW, DistrictID: 1, Ward: 4}, ProposeClosure, CaseScope{DistrictID: 1, Ward: 5, CCWID: 2}, false},
		{"unknown role", Member{ID: 1, Role: "chief", DistrictID: 1, Ward: 4}, View, CaseScope{DistrictID: 1, Ward: 4, CCWID: 1}, false},
	}
	for _, tt := range tests {
		if got := Can(tt.m, tt.a, tt.c); got != tt.want {
			t.Errorf("%s: Can = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCanZeroMember: an unregistered member (ID 0) or one without a
// district can do nothing, whatever the role says.
func TestCanZeroMember(t *testing.T) {
	for _, r := range append([]Role{""}, Roles...) {
		members := map[string]Member{
			"zero member": {},
			"id 0":        {Role: r, DistrictID: homeDistrict, Ward: homeWard},
			"district 0":  {ID: memberID, Role: r, Ward: homeWard},
		}
		for name, m := range members {
			for _, a := range Actions {
				for _, s := range situations {
					for _, prot := range []bool{false, true} {
						c := scope(s, prot)
						if name == "district 0" {
							c.DistrictID = 0 // even a "matching" district 0
						}
						if Can(m, a, c) {
							t.Errorf("%s (%q): Can(%s, %s, protection=%v) = true", name, r, a, s, prot)
						}
					}
				}
			}
		}
	}
}

// TestCanInviteExhaustive checks every inviter role x invited role x place.
func TestCanInviteExhaustive(t *testing.T) {
	type place int
	const (
		ownWard place = iota
		otherWardSameDistrict
		otherDistrictSameWard
	)
	places := []place{ownWard, otherWardSameDistrict, otherDistrictSameWard}
	placeName := [...]string{"own ward", "other ward", "other district"}
	where := func(p place) (int64, int) {
		switch p {
		case otherWardSameDistrict:
			return homeDistrict, elseWard
		case otherDistrictSameWard:
			return foreignDistrict, homeWard
		}
		return homeDistrict, homeWard
	}
	all := []place{ownWard, otherWardSameDistrict, otherDistrictSameWard}
	district := []place{ownWard, otherWardSameDistrict}
	// want[inviter][invited] lists the places an invite may be issued for.
	want := map[Role]map[Role][]place{
		CCW:  {},
		LCCW: {CCW: {ownWard}},
		CWO: {
			CCW: district, LCCW: district, CWO: district, CMO: district,
		},
		CMO:        {},
		Provincial: {},
		Admin: {
			CCW: all, LCCW: all, CWO: all, CMO: all, Provincial: all, Admin: all,
		},
	}
	for _, inviter := range Roles {
		m := Member{ID: memberID, Role: inviter, DistrictID: homeDistrict, Ward: homeWard}
		for _, invited := range Roles {
			for _, p := range places {
				d, w := where(p)
				exp := slices.Contains(want[inviter][invited], p)
				if got := CanInvite(m, invited, d, w); got != exp {
					t.Errorf("CanInvite(%s -> %s, %s) = %v, want %v", inviter, invited, placeName[p], got, exp)
				}
			}
		}
	}
	// Nobody without a role invites anyone.
	for _, invited := range Roles {
		if CanInvite(Member{}, invited, homeDistrict, homeWard) {
			t.Errorf("zero member may invite %s", invited)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		concerns  []string
		danger    bool
		kind      Kind
		statutory bool
	}{
		{nil, false, Welfare, false},
		{nil, true, Protection, false},
		{[]string{"sexual_abuse"}, false, Protection, true},
		{[]string{"physical_abuse"}, false, Protection, true},
		{[]string{"emotional_abuse"}, false, Protection, true},
		{[]string{"neglect"}, false, Protection, true},
		{[]string{"child_marriage"}, false, Protection, false},
		{[]string{"child_marriage"}, true, Protection, false},
		{[]string{"child_labour"}, false, Welfare, false},
		{[]string{"out_of_school", "no_birth_cert", "health", "food", "disability", "law", "other"}, false, Welfare, false},
		{[]string{"food", "child_labour"}, true, Protection, false},
		{[]string{"food", "neglect"}, false, Protection, true},
		{[]string{"child_marriage", "emotional_abuse"}, false, Protection, true},
		{[]string{"neglect", "food"}, false, Protection, true},
		// Exact values only: no case folding or substring matches.
		{[]string{"Neglect", "abuse", "sexual"}, false, Welfare, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/danger=%v", tt.concerns, tt.danger), func(t *testing.T) {
			kind, statutory := Classify(tt.concerns, tt.danger)
			if kind != tt.kind || statutory != tt.statutory {
				t.Errorf("Classify = %s, statutory %v; want %s, statutory %v", kind, statutory, tt.kind, tt.statutory)
			}
		})
	}
}

func TestDeadlineEscalation(t *testing.T) {
	due := time.Date(2026, 1, 7, 8, 0, 0, 0, time.UTC)
	const ms = time.Millisecond
	day, twoDays := EscalateToLCCW, EscalateToCWO
	if day != 24*time.Hour || twoDays != 48*time.Hour {
		t.Fatalf("escalation delays = %v/%v, want 24h/48h", day, twoDays)
	}
	reminded := Deadline{Due: due, Reminded: due}
	atLCCW := Deadline{Due: due, Reminded: due, ToLCCW: due.Add(day)}
	tests := []struct {
		name string
		d    Deadline
		now  time.Time
		want string
	}{
		{"before due", Deadline{Due: due}, due.Add(-ms), ""},
		{"long before due", Deadline{Due: due}, due.Add(-InitialAssessmentDue), ""},
		{"at due", Deadline{Due: due}, due, "remind"},
		{"after due, not reminded", Deadline{Due: due}, due.Add(time.Hour), "remind"},
		{"very late, not reminded: remind first", Deadline{Due: due}, due.Add(10 * twoDays), "remind"},
		{"reminded, at due", reminded, due, ""},
		{"reminded, just before due+24h", reminded, due.Add(day - ms), ""},
		{"reminded, at due+24h", reminded, due.Add(day), "lccw"},
		{"reminded, at due+48h, lccw not told: lccw first", reminded, due.Add(twoDays), "lccw"},
		{"lccw told, just before due+48h", atLCCW, due.Add(twoDays - ms), ""},
		{"lccw told, at due+48h", atLCCW, due.Add(twoDays), "cwo"},
		{"lccw told, a week late", atLCCW, due.Add(7 * day), "cwo"},
		{"whole ladder done", Deadline{Due: due, Reminded: due, ToLCCW: due.Add(day), ToCWO: due.Add(twoDays)}, due.Add(30 * day), ""},
		{"done before due", Deadline{Due: due, Done: due.Add(-time.Hour)}, due.Add(-ms), ""},
		{"done, at due", Deadline{Due: due, Done: due.Add(-time.Hour)}, due, ""},
		{"done, late and never reminded", Deadline{Due: due, Done: due.Add(time.Hour)}, due.Add(3 * day), ""},
		{"done after reminder", Deadline{Due: due, Reminded: due, Done: due.Add(time.Hour)}, due.Add(twoDays), ""},
	}
	for _, tt := range tests {
		if got := tt.d.Escalation(tt.now); got != tt.want {
			t.Errorf("%s: Escalation(%v) = %q, want %q", tt.name, tt.now.Sub(due), got, tt.want)
		}
	}
}
