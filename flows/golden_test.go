package flows_test

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"carenet/flows"
	"carenet/flows/defs"
	"carenet/internal/l10n"
	"carenet/locales"
)

var update = flag.Bool("update", false, "rewrite golden files")

var _ flows.Lang = (*l10n.Bundle)(nil)

// now is the fixed clock of every transcript: Monday 5 January 2026,
// 08:00 in Zimbabwe.
var now = time.Date(2026, 1, 5, 8, 0, 0, 0, time.FixedZone("CAT", 2*3600))

func bundle(t *testing.T) *l10n.Bundle {
	t.Helper()
	b, err := l10n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func engine(t *testing.T, b *l10n.Bundle) *flows.Engine {
	t.Helper()
	known := func(id string) bool { return b.Has("en", id) }
	fl, err := flows.Load(defs.FS, known)
	if err != nil {
		t.Fatal(err)
	}
	return flows.NewEngine(fl)
}

// TestMessagesExist: every message the embedded flows and the engine use
// is in English, and in Shona and isiNdebele too.
func TestMessagesExist(t *testing.T) {
	b := bundle(t)
	for _, lang := range []string{"en", "sn", "nd"} {
		known := func(id string) bool { return b.Has(lang, id) }
		if p := flows.Check(defs.FS, known); p != nil {
			t.Errorf("%s:\n%s", lang, strings.Join(p, "\n"))
		}
	}
}

// transcript is one golden case: a flow run in a language with the
// member's inputs. "/cancel" calls Engine.Cancel.
type transcript struct {
	flow, lang string
	name       string // distinguishes several cases of one flow and language
	inputs     []string
}

var transcripts = []transcript{
	{flow: "lang", lang: "en", inputs: []string{"5", "2"}},
	{flow: "lang", lang: "sn", inputs: []string{"chiFrench", "isindebele"}},
	{flow: "lang", lang: "nd", inputs: []string{"0", "English."}},

	// intake meets date, choice, multi, yesno and text steps: each gets at
	// least one refused answer.
	{flow: "intake", lang: "en", inputs: []string{
		"soon", "1/1/2025", "yesterday", // date: not a date, out of range, ok
		"8", "Church", // choice: out of range, by word
		"2",                           // age by number
		"boy!",                        // sex by word
		"13/2015", "3/1990", "3/2014", // month: not a month, out of range, ok
		"1 99", "1, 4", // multi: out of range, ok
		"maybe", "no", // yesno
		"yes", // consent (a choice whose words are yes/no)
		"Chipo Tendai Moyo-Ncube, daughter of the late M.", "-", // text: too long, skipped
	}},
	{flow: "intake", lang: "sn", inputs: []string{
		"mangwana", "svondo rapfuura", "nhasi",
		"0", "chikoro",
		"makore 10–14",
		"musikana",
		"-",
		"14", "kuregeredzwa, 10",
		"pamwe", "hongu",
		"kwete",
		"Rudo Chipo Tendai Nyasha Moyo wekuMutare East", "Rudo M.",
	}},
	{flow: "intake", lang: "nd", inputs: []string{
		"ngolwesibili", "1/9/2025", "izolo",
		"isikolo sabantwana", "isikolo",
		"4",
		"intombazana",
		"2011-07",
		"1 a", "2 3 2",
		"mhlawumbe", "yebo",
		"3",
		"skip",
	}},
	{flow: "intake", lang: "en", name: "cancel", inputs: []string{"today", "3", "/cancel"}},
	{flow: "intake", lang: "sn", name: "cancel", inputs: []string{"nezuro", "2", "2", "/cancel"}},
	{flow: "intake", lang: "nd", name: "cancel", inputs: []string{"lamuhla", "1", "1", "2", "5", "/cancel"}},

	// Case flows, each in the three languages with refused answers.
	{flow: "assess", lang: "en", inputs: []string{"DEM-00013", "4", "none", "Some concern", "1", "serious", "2", "3", "2"}},
	{flow: "assess", lang: "sn", inputs: []string{"dem00013", "1", "1", "2", "dambudziko guru", "1", "1", "chimbichimbi", "3"}},
	{flow: "assess", lang: "nd", inputs: []string{"DEM 00013", "1", "2", "1", "1", "3", "1", "1"}},
	{flow: "plan", lang: "en", inputs: []string{"DEM-00013", "4", "9", "7", "cwo", "yesterday", "1/12/2026", "30/1/2026"}},
	{flow: "plan", lang: "sn", inputs: []string{"DEM-00013", "kudzidza nechikoro", "1", "muchengeti wemwana", "nhasi"}},
	{flow: "plan", lang: "nd", inputs: []string{"DEM-00013", "1", "4", "6", "10/1/2026"}},
	{flow: "visit", lang: "en", inputs: []string{"DEM-00013", "tomorrow", "today", "yes", "no", "5", "2", "no", "today", "19/1/2026"}},
	{flow: "visit", lang: "sn", inputs: []string{"DEM-00013", "nezuro", "kwete", "hongu", "zvanonoka", "hongu", "12/1/2026"}},
	{flow: "visit", lang: "nd", inputs: []string{"DEM-00013", "lamuhla", "yebo", "hatshi", "1", "hatshi", "2/2/2026"}},
	{flow: "refer", lang: "en", inputs: []string{"DEM-00013", "1", "police", "today", "maybe", "yes"}},
	{flow: "refer", lang: "sn", inputs: []string{"DEM-00013", "2", "hongu", "kwete"}},
	{flow: "refer", lang: "nd", inputs: []string{"DEM-00013", "1", "9", "2", "izolo", "hatshi"}},
	{flow: "refer", lang: "en", name: "feedback", inputs: []string{"DEM-00013", "feedback on an earlier referral", "yes", "yes"}},
	{flow: "review", lang: "en", inputs: []string{"DEM-00013", "31", "4", "3", "5", "propose closure", "1/8/2026", "1/7/2026"}},
	{flow: "review", lang: "sn", inputs: []string{"DEM-00013", "2", "2", "1", "nhasi", "5/4/2026"}},
	{flow: "review", lang: "nd", inputs: []string{"DEM-00013", "6", "1", "4", "5/3/2026"}},
}

func (tc transcript) file() string {
	name := tc.flow
	if tc.name != "" {
		name += "-" + tc.name
	}
	return filepath.Join("testdata", name+"."+tc.lang+".golden")
}

func TestGolden(t *testing.T) {
	b := bundle(t)
	e := engine(t, b)
	for _, tc := range transcripts {
		t.Run(strings.TrimSuffix(filepath.Base(tc.file()), ".golden"), func(t *testing.T) {
			b.ResetDiagnostics()
			got := run(t, e, b, tc)
			if errs := b.Errors(); len(errs) > 0 {
				t.Errorf("render errors: %v", errs)
			}
			if missing := b.Missing(); len(missing) > 0 {
				t.Errorf("missing messages: %v", missing)
			}
			path := tc.file()
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./flows -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs (go test ./flows -run TestGolden -update, then read the diff):\n%s", path, got)
			}
		})
	}
}

// run plays a transcript and renders it: "> input" lines, the bot's
// messages (choices as "  N) label"), and a bracketed line when the flow
// ends.
func run(t *testing.T, e *flows.Engine, b *l10n.Bundle, tc transcript) string {
	t.Helper()
	loc := b.Localizer(tc.lang)
	env := flows.Env{Now: now, Lang: b}
	f, ok := e.Flow(tc.flow)
	if !ok {
		t.Fatalf("no flow %q", tc.flow)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "# flow %s v%d, language %s, now %s\n", f.ID, f.Version, tc.lang, now.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&sb, "> /%s\n", f.Command)
	r, err := e.Start(tc.flow, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	render(&sb, loc, r)
	for _, in := range tc.inputs {
		if r.Session == nil {
			t.Fatalf("flow over before input %q", in)
		}
		fmt.Fprintf(&sb, "> %s\n", in)
		if in == "/cancel" {
			r = e.Cancel(*r.Session)
		} else if r, err = e.Step(*r.Session, in, env); err != nil {
			t.Fatal(err)
		}
		render(&sb, loc, r)
	}
	if r.Session != nil {
		t.Errorf("transcript ends with the flow still running at %q", r.Session.Step)
	}
	return sb.String()
}

func render(sb *strings.Builder, loc *l10n.Localizer, r flows.Result) {
	for _, o := range r.Out {
		sb.WriteString(loc.T(o.Msg, o.Data))
		sb.WriteByte('\n')
		for i, c := range o.Choices {
			fmt.Fprintf(sb, "  %d) %s\n", i+1, loc.T(c, nil))
		}
	}
	switch r.Status {
	case flows.Done:
		fmt.Fprintf(sb, "[done: %s]", r.Action)
		for _, k := range slices.Sorted(maps.Keys(r.Answers)) {
			fmt.Fprintf(sb, " %s=%q", k, r.Answers[k])
		}
		sb.WriteByte('\n')
		for _, k := range slices.Sorted(maps.Keys(r.Scores)) {
			fmt.Fprintf(sb, "[score %s: %d %s]\n", k, r.Scores[k].Value, r.Scores[k].Level)
		}
	case flows.Stopped, flows.Cancelled:
		fmt.Fprintf(sb, "[%s]\n", r.Status)
	}
}
