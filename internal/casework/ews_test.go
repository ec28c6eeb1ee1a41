package casework

import (
	"slices"
	"testing"
)

// TestScoreEWS: the colour rule of DOMAIN.md §3 at each edge, from the
// levels ews.yaml's Score blocks reach, and the responses that fit.
func TestScoreEWS(t *testing.T) {
	flag := func(ids ...string) map[string]string {
		m := map[string]string{}
		for _, id := range ids {
			m[id] = ScoreFlag
		}
		return m
	}
	with := func(m map[string]string, id, level string) map[string]string { m[id] = level; return m }
	cases := []struct {
		name        string
		levels      map[string]string
		d           int
		answers     map[string]string
		noBirthCert bool
		level       Level
		flags       []string
		protection  bool
		responses   []string
	}{
		{"no flag, no D: green", nil, 0, nil, false, Green, nil, false, nil},
		{"no flag, one D: green", nil, 1, map[string]string{"d2": "yes"}, false, Green, nil, false, []string{"feeding"}},
		{"no flag, two D: yellow", nil, 2, map[string]string{"d1": "yes", "d3": "yes"}, false, Yellow, nil, false,
			[]string{"beam", "pss", "home_visit"}},
		{"one flag: yellow", flag("flag_c"), 0, nil, false, Yellow, []string{"C"}, false, []string{"home_visit"}},
		{"flag B: yellow with PSS", flag("flag_b"), 0, nil, false, Yellow, []string{"B"}, false, []string{"pss", "home_visit"}},
		{"a flag id at another level is not raised", map[string]string{"flag_a": "low"}, 0, nil, false, Green, nil, false, nil},
		{"two flags: red", flag("flag_a", "flag_c"), 0, nil, false, Red, []string{"A", "C"}, false, []string{"home_visit"}},
		{"three flags: red", flag("flag_c", "flag_a", "flag_b"), 0, nil, false, Red, []string{"A", "B", "C"}, false,
			[]string{"pss", "home_visit"}},
		{"A1 4+ (a red block) with one flag: red", with(flag("flag_a"), "absence", ScoreRed), 0, map[string]string{"a2": "fees"}, false,
			Red, []string{"A"}, false, []string{"beam", "home_visit"}},
		{"D4 yes: red and protection", map[string]string{"d4_red": ScoreRed, "protection": ScoreProtection}, 1,
			map[string]string{"d4": "yes"}, false, Red, nil, true, []string{"cwo", "reentry", "home_visit"}},
		{"abuse sign alone: protection, green", map[string]string{"protection": ScoreProtection}, 0, nil, false,
			Green, nil, true, []string{"cwo"}},
		{"no uniform, no birth certificate", flag("flag_a"), 0, map[string]string{"a2": "uniform"}, true, Yellow, []string{"A"}, false,
			[]string{"uniform", "birth_reg", "home_visit"}},
		{"caring for family", flag("flag_a"), 0, map[string]string{"a2": "caring"}, false, Yellow, []string{"A"}, false,
			[]string{"pss", "home_visit"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ScoreEWS(Scored{Levels: tc.levels, Values: map[string]int{"d_factors": tc.d}, Answers: tc.answers}, tc.noBirthCert)
			var resp []string
			for _, p := range r.Proposals {
				resp = append(resp, p.Response)
			}
			if r.Level != tc.level || !slices.Equal(r.Flags, tc.flags) || r.DFactors != tc.d || r.Protection != tc.protection ||
				!slices.Equal(resp, tc.responses) {
				t.Errorf("got %s flags %v D %d protection %v responses %v\nwant %s %v %d %v %v",
					r.Level, r.Flags, r.DFactors, r.Protection, resp, tc.level, tc.flags, tc.d, tc.protection, tc.responses)
			}
		})
	}
}
