package casework

import (
	"slices"
	"testing"
	"time"
)

// TestScoreGBV combines the levels gbv.yaml's Score blocks reach with the
// answers, case by case against DOMAIN.md §2.3 and the referral pathway of
// §2.4. (The points and thresholds themselves are tested through the real
// flow in flows/golden_screening_test.go.)
func TestScoreGBV(t *testing.T) {
	cases := []struct {
		name       string
		levels     map[string]string
		answers    map[string]string
		level      Level
		protection bool
		statutory  bool
		cards      []string
		responses  []string
	}{
		{"nothing", nil, nil, Green, false, false, nil, nil},
		{"HITS positive", map[string]string{"hits": ScorePositive}, nil, Yellow, false, false,
			[]string{CardVFU, Card575, CardMusasa}, []string{"counselling"}},
		{"WAST positive alone", map[string]string{"wast": ScorePositive}, nil, Yellow, false, false,
			[]string{CardVFU, Card575, CardMusasa}, []string{"counselling"}},
		{"child follow-up", map[string]string{"child": ScoreFollowUp}, nil, Yellow, false, false,
			[]string{CardChildline, CardCWO}, []string{"home_visit"}},
		{"child protection (item 7 often) is red and statutory", map[string]string{"child": ScoreFollowUp, "child_harm": ScoreProtection}, nil,
			Red, true, true, []string{CardChildline, CardCWO}, []string{"cwo", "home_visit"}},
		{"item 6 yes: red, police the same day", map[string]string{"red": ScoreRed}, map[string]string{"unsafe": "yes"},
			Red, true, false, []string{CardVFU, Card575, CardMusasa, CardCWO}, []string{"vfu", "cwo"}},
		{"item 10 yes: clinic first, police after", map[string]string{"red": ScoreRed}, map[string]string{"rape72": "yes"},
			Red, true, false, []string{CardPEP, CardVFU, Card575, CardCWO}, []string{"pep", "vfu", "cwo"}},
		{"item 9 yes", map[string]string{"red": ScoreRed, "child_sexual": ScoreProtection}, map[string]string{"sexual": "yes"},
			Red, true, true, []string{CardVFU, CardChildline, CardCWO}, []string{"vfu", "cwo"}},
		{"item 9 not sure goes to the CWO", nil, map[string]string{"sexual": "unsure"},
			Yellow, false, false, []string{CardChildline, CardCWO}, []string{"cwo"}},
		{"item 11 yes: neglect flag", nil, map[string]string{"neglect": "yes"},
			Yellow, false, false, []string{CardChildline, CardCWO}, []string{"home_visit"}},
		{"item 12 often alone stays green", nil, map[string]string{"drink": "often"}, Green, false, false, nil, nil},
		{"an unknown level name is not acted on", map[string]string{"hits": "high"}, nil, Green, false, false, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ScoreGBV(Scored{Levels: tc.levels, Answers: tc.answers})
			var resp []string
			for _, p := range r.Proposals {
				resp = append(resp, p.Response)
			}
			if r.Level != tc.level || r.Protection != tc.protection || r.Statutory != tc.statutory ||
				!slices.Equal(r.Cards, tc.cards) || !slices.Equal(resp, tc.responses) {
				t.Errorf("got %s protection %v statutory %v cards %v responses %v\nwant %s %v %v %v %v",
					r.Level, r.Protection, r.Statutory, r.Cards, resp, tc.level, tc.protection, tc.statutory, tc.cards, tc.responses)
			}
		})
	}
	if r := ScoreGBV(Scored{Answers: map[string]string{"drink": "sometimes"}}); r.RiskFactor != "sometimes" {
		t.Errorf("risk factor %q", r.RiskFactor)
	}
	if r := ScoreGBV(Scored{Answers: map[string]string{"drink": "no"}}); r.RiskFactor != "" {
		t.Errorf("risk factor %q for no", r.RiskFactor)
	}
}

func TestProposalDue(t *testing.T) {
	cat := time.FixedZone("CAT", 2*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, 1, d, h, m, 0, 0, cat) }
	cases := []struct {
		now  time.Time
		days int
		want time.Time
	}{
		{at(5, 8, 0), 0, at(5, 17, 0)},
		{at(5, 14, 59), 0, at(5, 17, 0)},
		{at(5, 15, 0), 0, at(5, 17, 0)}, // two hours to 17:00: due then
		{at(5, 15, 1), 0, at(5, 17, 1)}, // later: two hours from now
		{at(5, 22, 30), 0, at(6, 0, 30)},
		{at(5, 22, 30), 1, at(6, 8, 0)},
		{at(5, 8, 0), 7, at(12, 8, 0)},
		{at(30, 9, 0), 3, time.Date(2026, 2, 2, 8, 0, 0, 0, cat)},
	}
	for _, tc := range cases {
		if got := ProposalDue(tc.now, tc.days); !got.Equal(tc.want) {
			t.Errorf("ProposalDue(%s, %d) = %s, want %s", tc.now.Format(time.DateTime), tc.days, got.Format(time.DateTime), tc.want.Format(time.DateTime))
		}
	}
}

// TestCanReadScreening: the answers are for the district's CWO and CMO and
// the case's own CCW, nobody else.
func TestCanReadScreening(t *testing.T) {
	c := CaseScope{DistrictID: 1, Ward: 18, CCWID: 10}
	cases := []struct {
		m    Member
		want bool
	}{
		{Member{ID: 10, Role: CCW, DistrictID: 1, Ward: 18}, true},
		{Member{ID: 11, Role: CCW, DistrictID: 1, Ward: 18}, false},
		{Member{ID: 12, Role: LCCW, DistrictID: 1, Ward: 18}, false},
		{Member{ID: 13, Role: CWO, DistrictID: 1}, true},
		{Member{ID: 14, Role: CMO, DistrictID: 1}, true},
		{Member{ID: 15, Role: CWO, DistrictID: 2}, false},
		{Member{ID: 16, Role: Provincial, DistrictID: 1}, false},
		{Member{ID: 17, Role: Admin, DistrictID: 1}, false},
		{Member{ID: 10, Role: CCW, DistrictID: 2, Ward: 18}, false},
		{Member{Role: CWO, DistrictID: 1}, false},
	}
	for _, tc := range cases {
		if got := CanReadScreening(tc.m, c); got != tc.want {
			t.Errorf("%s %d of district %d: %v, want %v", tc.m.Role, tc.m.ID, tc.m.DistrictID, got, tc.want)
		}
	}
}
