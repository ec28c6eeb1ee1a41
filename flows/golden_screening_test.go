package flows_test

import (
	"maps"
	"slices"
	"testing"

	"carenet/flows"
	"carenet/internal/casework"
)

// The screening transcripts (DOMAIN.md §2.3 and §3): each flow in en, sn
// and nd, with refused answers, the GBV safety stop and /cancel halfway.
func init() {
	transcripts = append(transcripts,
		// RED: item 10 (rape in 72 hours) and item 7 "often"; refused
		// answers on a choice, a yes/no and a three-way choice.
		transcript{flow: "gbv", lang: "en", inputs: []string{
			"DEM-00013", "maybe", "yes",
			"7", "3", "sometimes", "3", "2",
			"no", "no", "often", "2", "perhaps", "no", "yes", "no", "1",
		}},
		// YELLOW: HITS 3+3+3+2 = 11 (> 10), item 9 not sure; words in Shona.
		transcript{flow: "gbv", lang: "sn", inputs: []string{
			"DEM-00013", "pamwe", "hongu",
			"dzimwe nguva", "3", "3", "kashoma",
			"zvishoma", "kwete", "kwete kana kamwe", "1", "handina chokwadi", "kwete", "kwete", "2",
		}},
		// GREEN: HITS 2+3+3+2 = 10 is not positive; "some" tension is not.
		transcript{flow: "gbv", lang: "nd", inputs: []string{
			"DEM-00013", "2",
			"6", "2", "3", "3", "2",
			"2", "hatshi", "1", "1", "1", "hatshi", "hatshi", "1",
		}},
		transcript{flow: "gbv", lang: "en", name: "stop", inputs: []string{"DEM-00013", "no"}},
		transcript{flow: "gbv", lang: "sn", name: "stop", inputs: []string{"DEM-00013", "kwete"}},
		transcript{flow: "gbv", lang: "nd", name: "stop", inputs: []string{"DEM-00013", "hatshi"}},
		transcript{flow: "gbv", lang: "en", name: "cancel", inputs: []string{"DEM-00013", "yes", "4", "5", "/cancel"}},
		transcript{flow: "gbv", lang: "sn", name: "cancel", inputs: []string{"DEM-00013", "2", "1", "/cancel"}},
		transcript{flow: "gbv", lang: "nd", name: "cancel", inputs: []string{"DEM-00013", "yebo", "2", "2", "2", "/cancel"}},

		// RED: A1 4+ days for fees; refused answers; confirmed.
		transcript{flow: "ews", lang: "en", inputs: []string{
			"DEM-00013", "teacher", "5", "3", "fees", "no",
			"0", "1", "2", "neither", "maybe", "no",
			"yes", "yes", "no", "no", "no", "yes",
		}},
		// YELLOW: flag C only (C1 one), 0-1 days skips A2; not confirmed.
		transcript{flow: "ews", lang: "sn", inputs: []string{
			"DEM-00013", "2", "4", "1", "kwete",
			"1", "kwete", "imwe yadzo", "kwete",
			"kwete", "kwete", "hongu", "kwete", "kwete", "kwete",
		}},
		// RED and protection: D4 yes; flag B from a withdrawn child.
		transcript{flow: "ews", lang: "nd", inputs: []string{
			"DEM-00013", "1", "2", "9", "8", "1",
			"1", "yebo", "1", "1",
			"1", "1", "1", "yebo", "1", "2",
		}},
		transcript{flow: "ews", lang: "en", name: "cancel", inputs: []string{"DEM-00013", "1", "2", "sick", "/cancel"}},
		transcript{flow: "ews", lang: "sn", name: "cancel", inputs: []string{"DEM-00013", "1", "1", "kwete", "/cancel"}},
		transcript{flow: "ews", lang: "nd", name: "cancel", inputs: []string{"DEM-00013", "2", "3", "/cancel"}},
	)
}

// finish plays answers (by number) from the first question after the case
// code to the end and returns the result.
func finish(t *testing.T, e *flows.Engine, flow string, inputs ...string) flows.Result {
	t.Helper()
	env := flows.Env{Now: now, Lang: bundle(t)}
	r, err := e.Start(flow, map[string]string{"case": "DEM-00013"}, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if r.Session == nil {
			t.Fatalf("flow over before %q", in)
		}
		if r, err = e.Step(*r.Session, in, env); err != nil {
			t.Fatal(err)
		}
		if r.Status == flows.Invalid {
			t.Fatalf("answer %q refused at %s", in, r.Session.Step)
		}
	}
	if r.Status != flows.Done {
		t.Fatalf("status %v after %v", r.Status, inputs)
	}
	return r
}

func scored(r flows.Result) casework.Scored {
	s := casework.Scored{Levels: map[string]string{}, Values: map[string]int{}, Answers: maps.Clone(r.Answers)}
	for id, sc := range r.Scores {
		s.Levels[id], s.Values[id] = sc.Level, sc.Value
	}
	return s
}

// TestGBVScoring plays the gbv flow with the YAML's points and thresholds
// and applies casework.ScoreGBV, case by case against DOMAIN.md §2.3.
// Answers are option numbers: items 1-4 are 1 (never) to 5 (frequently);
// yes/no items are 1 = No, 2 = Yes; item 9 is 1 No, 2 Yes, 3 Not sure.
func TestGBVScoring(t *testing.T) {
	e := engine(t, bundle(t))
	const calm = "1" // the lowest option of every item
	type want struct {
		level       casework.Level
		ipv, child  bool
		protection  bool
		statutory   bool
		askCWO      bool
		cards       []string
		proposeActs []string
	}
	// items: alone, 1-4, 5, 6, 7, 8, 9, 10, 11, 12
	cases := []struct {
		name  string
		items []string
		want  want
	}{
		{"nothing", []string{"2", "1", "1", "1", "1", calm, calm, calm, calm, calm, calm, calm, calm},
			want{level: casework.Green}},
		{"HITS 3,3,3,2 = 11 is positive", []string{"2", "3", "3", "3", "2", calm, calm, calm, calm, calm, calm, calm, calm},
			want{level: casework.Yellow, ipv: true, cards: []string{casework.CardVFU, casework.Card575, casework.CardMusasa}, proposeActs: []string{"pss"}}},
		{"HITS 2,3,3,2 = 10 is not", []string{"2", "2", "3", "3", "2", calm, calm, calm, calm, calm, calm, calm, calm},
			want{level: casework.Green}},
		{"HITS 5,5,5,5 = 20", []string{"2", "5", "5", "5", "5", calm, calm, calm, calm, calm, calm, calm, calm},
			want{level: casework.Yellow, ipv: true, cards: []string{casework.CardVFU, casework.Card575, casework.CardMusasa}, proposeActs: []string{"pss"}}},
		{"item 5 some is not WAST positive", []string{"2", "1", "1", "1", "1", "2", calm, calm, calm, calm, calm, calm, calm},
			want{level: casework.Green}},
		{"item 5 a lot and very hard is positive", []string{"2", "1", "1", "1", "1", "3", calm, calm, calm, calm, calm, calm, calm},
			want{level: casework.Yellow, ipv: true, cards: []string{casework.CardVFU, casework.Card575, casework.CardMusasa}, proposeActs: []string{"pss"}}},
		{"item 6 yes is red", []string{"2", "1", "1", "1", "1", calm, "2", calm, calm, calm, calm, calm, calm},
			want{level: casework.Red, protection: true, cards: []string{casework.CardVFU, casework.Card575, casework.CardMusasa, casework.CardCWO}, proposeActs: []string{"police", "cwo"}}},
		{"child score 1 (item 8 sometimes) is a follow-up", []string{"2", "1", "1", "1", "1", calm, calm, "1", "2", calm, calm, calm, calm},
			want{level: casework.Yellow, child: true, cards: []string{casework.CardChildline, casework.CardCWO}, proposeActs: []string{"home_visits"}}},
		{"item 7 once or twice is a follow-up, not protection", []string{"2", "1", "1", "1", "1", calm, calm, "2", "1", calm, calm, calm, calm},
			want{level: casework.Yellow, child: true, cards: []string{casework.CardChildline, casework.CardCWO}, proposeActs: []string{"home_visits"}}},
		{"item 8 often (2) is a follow-up, not protection", []string{"2", "1", "1", "1", "1", calm, calm, "1", "3", calm, calm, calm, calm},
			want{level: casework.Yellow, child: true, cards: []string{casework.CardChildline, casework.CardCWO}, proposeActs: []string{"home_visits"}}},
		{"item 7 often is protection", []string{"2", "1", "1", "1", "1", calm, calm, "3", "1", calm, calm, calm, calm},
			want{level: casework.Red, child: true, protection: true, statutory: true, cards: []string{casework.CardChildline, casework.CardCWO}, proposeActs: []string{"cwo", "home_visits"}}},
		{"item 9 yes is red and protection", []string{"2", "1", "1", "1", "1", calm, calm, calm, calm, "2", calm, calm, calm},
			want{level: casework.Red, protection: true, statutory: true, cards: []string{casework.CardVFU, casework.CardChildline, casework.CardCWO}, proposeActs: []string{"police", "cwo"}}},
		{"item 9 not sure goes to the CWO", []string{"2", "1", "1", "1", "1", calm, calm, calm, calm, "3", calm, calm, calm},
			want{level: casework.Yellow, askCWO: true, cards: []string{casework.CardChildline, casework.CardCWO}, proposeActs: []string{"cwo"}}},
		{"item 10 yes: clinic first", []string{"2", "1", "1", "1", "1", calm, calm, calm, calm, calm, "2", calm, calm},
			want{level: casework.Red, protection: true, cards: []string{casework.CardPEP, casework.CardVFU, casework.Card575, casework.CardCWO}, proposeActs: []string{"clinic", "police", "cwo"}}},
		{"item 11 yes is a welfare flag", []string{"2", "1", "1", "1", "1", calm, calm, calm, calm, calm, calm, "2", calm},
			want{level: casework.Yellow, cards: []string{casework.CardChildline, casework.CardCWO}, proposeActs: []string{"home_visits"}}},
		{"item 12 often is not scored", []string{"2", "1", "1", "1", "1", calm, calm, calm, calm, calm, calm, calm, "3"},
			want{level: casework.Green}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := casework.ScoreGBV(scored(finish(t, e, "gbv", tc.items...)))
			var acts []string
			for _, p := range r.Proposals {
				acts = append(acts, p.Action)
			}
			got := want{level: r.Level, ipv: r.PartnerViolence, child: r.ChildFollowUp, protection: r.Protection,
				statutory: r.Statutory, askCWO: r.AskCWO, cards: r.Cards, proposeActs: acts}
			if got.level != tc.want.level || got.ipv != tc.want.ipv || got.child != tc.want.child ||
				got.protection != tc.want.protection || got.statutory != tc.want.statutory || got.askCWO != tc.want.askCWO ||
				!slices.Equal(got.cards, tc.want.cards) || !slices.Equal(got.proposeActs, tc.want.proposeActs) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// ewsItems are the answers of an ews run, as option numbers; empty means
// the first option (0 points, or No). A2 is asked only when A1 is not
// "0-1 days".
type ewsItems struct{ a1, a2, a3, b1, b2, c1, c2, d1, d2, d3, d4, abuse string }

func (it ewsItems) inputs() []string {
	or1 := func(s string) string {
		if s == "" {
			return "1"
		}
		return s
	}
	in := []string{"1", or1(it.a1)} // source: the teacher
	if or1(it.a1) != "1" {
		in = append(in, or1(it.a2))
	}
	for _, s := range []string{it.a3, it.b1, it.b2, it.c1, it.c2, it.d1, it.d2, it.d3, it.d4, it.abuse} {
		in = append(in, or1(s))
	}
	return append(in, "1") // confirm: no
}

// TestEWSScoring plays the ews flow and applies casework.ScoreEWS, one case
// per edge of the DOMAIN.md §3 rule. Options: A1 1 = 0-1 days, 2 = 2-3,
// 3 = 4+; B1 and C1 1-3 = 0, 1, 2+ (neither, one, both); yes/no items
// 1 = No, 2 = Yes.
func TestEWSScoring(t *testing.T) {
	e := engine(t, bundle(t))
	cases := []struct {
		name       string
		items      ewsItems
		level      casework.Level
		flags      []string
		d          int
		protection bool
	}{
		{"no flag, no D factor: green", ewsItems{}, casework.Green, nil, 0, false},
		{"no flag, one D factor: green", ewsItems{d2: "2"}, casework.Green, nil, 1, false},
		{"no flag, two D factors: yellow", ewsItems{d1: "2", d3: "2"}, casework.Yellow, nil, 2, false},
		{"A by A1 2-3 days: yellow", ewsItems{a1: "2", a2: "1"}, casework.Yellow, []string{"A"}, 0, false},
		{"A by A3 only: yellow", ewsItems{a3: "2"}, casework.Yellow, []string{"A"}, 0, false},
		{"B by B1 one incident: yellow", ewsItems{b1: "2"}, casework.Yellow, []string{"B"}, 0, false},
		{"B by B2 only: yellow", ewsItems{b2: "2"}, casework.Yellow, []string{"B"}, 0, false},
		{"C by C1 one subject: yellow", ewsItems{c1: "2"}, casework.Yellow, []string{"C"}, 0, false},
		{"C by C2 only: yellow", ewsItems{c2: "2"}, casework.Yellow, []string{"C"}, 0, false},
		{"one flag and two D factors: yellow", ewsItems{c2: "2", d1: "2", d2: "2"}, casework.Yellow, []string{"C"}, 2, false},
		{"two flags: red", ewsItems{a3: "2", c1: "3"}, casework.Red, []string{"A", "C"}, 0, false},
		{"three flags: red", ewsItems{a1: "2", a2: "2", b1: "3", c1: "2"}, casework.Red, []string{"A", "B", "C"}, 0, false},
		{"A1 4+ days alone: red", ewsItems{a1: "3", a2: "3"}, casework.Red, []string{"A"}, 0, false},
		{"D4 yes alone: red and protection", ewsItems{d4: "2"}, casework.Red, nil, 1, true},
		{"three D factors without D4: yellow", ewsItems{d1: "2", d2: "2", d3: "2"}, casework.Yellow, nil, 3, false},
		{"abuse sign: protection, colour from the flags", ewsItems{abuse: "2"}, casework.Green, nil, 0, true},
		{"absent for fear of violence: protection", ewsItems{a1: "2", a2: "6"}, casework.Yellow, []string{"A"}, 0, true},
		{"absent for pregnancy: protection", ewsItems{a1: "2", a2: "7"}, casework.Yellow, []string{"A"}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := casework.ScoreEWS(scored(finish(t, e, "ews", tc.items.inputs()...)), false)
			if r.Level != tc.level || !slices.Equal(r.Flags, tc.flags) || r.DFactors != tc.d || r.Protection != tc.protection {
				t.Errorf("got %s flags %v D %d protection %v; want %s %v %d %v", r.Level, r.Flags, r.DFactors, r.Protection,
					tc.level, tc.flags, tc.d, tc.protection)
			}
		})
	}
}
