package flows

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"carenet/flows/defs"
)

// oneStep is an engine running a flow "one" with the single given step.
func oneStep(st Step) *Engine {
	st.ID, st.Prompt = "q", "p_q"
	f := &Flow{ID: "one", Version: 1, Scope: ScopeAny, Action: "save", Steps: []Step{st}}
	return NewEngine([]*Flow{f})
}

var (
	colours = []Choice{{Value: "red", Label: "opt_red"}, {Value: "green", Label: "opt_green"}, {Value: "blue", Label: "opt_blue"}}
	sexes   = []Choice{{Value: "f", Label: "opt_sex_girl"}, {Value: "m", Label: "opt_sex_boy"}}
)

func TestKinds(t *testing.T) {
	type want struct {
		value string         // stored answer, if valid
		msg   string         // error message, if invalid
		data  map[string]any // its data
	}
	ok := func(v string) want { return want{value: v} }
	bad := func(msg string, data map[string]any) want { return want{msg: msg, data: data} }
	choice := Step{Kind: KindChoice, Choices: colours}
	multi := Step{Kind: KindMulti, Choices: colours}
	yesno := Step{Kind: KindYesNo}
	noFirst := Step{Kind: KindYesNo, Choices: []Choice{{Value: "no"}, {Value: "yes", Label: "opt_sex_girl"}}}
	number := Step{Kind: KindNumber, Min: ip(0), Max: ip(17)}
	date := Step{Kind: KindDate, Min: ip(-7), Max: ip(0)}
	anyDate := Step{Kind: KindDate}
	text := Step{Kind: KindText, Max: ip(5)}
	longText := Step{Kind: KindText}
	optText := Step{Kind: KindText, Optional: true}
	code := Step{Kind: KindCaseCode}
	rangeData := map[string]any{"From": "29/12/2025", "To": "5/1/2026"}
	tests := []struct {
		name  string
		step  Step
		input string
		want  want
	}{
		{"choice number", choice, "2", ok("green")},
		{"choice number dot", choice, " 3. ", ok("blue")},
		{"choice label", choice, "RED!", ok("red")},
		{"choice value", choice, "blue", ok("blue")},
		{"choice value short", Step{Kind: KindChoice, Choices: sexes}, "F", ok("f")},
		{"choice 0", choice, "0", bad("flow_invalid_choice", map[string]any{"Max": 3})},
		{"choice 4", choice, "4", bad("flow_invalid_choice", map[string]any{"Max": 3})},
		{"choice word", choice, "purple", bad("flow_invalid_choice", map[string]any{"Max": 3})},
		{"choice empty", choice, "  ", bad("flow_invalid_choice", map[string]any{"Max": 3})},
		{"multi spaces", multi, "3 1", ok("red,blue")},
		{"multi commas", multi, "1,3", ok("red,blue")},
		{"multi comma space", multi, "1, 3", ok("red,blue")},
		{"multi dup", multi, "2 2, 2", ok("green")},
		{"multi words", multi, "Blue, red", ok("red,blue")},
		{"multi one", multi, "2", ok("green")},
		{"multi mixed", multi, "green, 3", ok("green,blue")},
		{"multi out of range", multi, "1 4", bad("flow_invalid_multi", map[string]any{"Max": 3})},
		{"multi junk", multi, "1 x", bad("flow_invalid_multi", map[string]any{"Max": 3})},
		{"multi empty", multi, " , ", bad("flow_invalid_multi", map[string]any{"Max": 3})},
		{"yesno yes", yesno, "Yes.", ok("yes")},
		{"yesno n", yesno, "n", ok("no")},
		{"yesno 1", yesno, "1", ok("yes")},
		{"yesno 2", yesno, "2", ok("no")},
		{"yesno 3", yesno, "3", bad("flow_invalid_yesno", nil)},
		{"yesno maybe", yesno, "maybe", bad("flow_invalid_yesno", nil)},
		{"yesno listed order", noFirst, "1", ok("no")},
		{"yesno custom label", noFirst, "girl", ok("yes")},
		{"number", number, "12", ok("12")},
		{"number min", number, "0", ok("0")},
		{"number too big", number, "18", bad("flow_invalid_number", map[string]any{"Min": 0, "Max": 17})},
		{"number negative", number, "-1", bad("flow_invalid_number", map[string]any{"Min": 0, "Max": 17})},
		{"number word", number, "twelve", bad("flow_invalid_number", map[string]any{"Min": 0, "Max": 17})},
		{"date today", date, "today", ok("2026-01-05")},
		{"date yesterday", date, "yesterday", ok("2026-01-04")},
		{"date min edge", date, "2025-12-29", ok("2025-12-29")},
		{"date d/m/y", date, "2/1/2026", ok("2026-01-02")},
		{"date too early", date, "2025-12-28", bad("flow_date_range", rangeData)},
		{"date future", date, "2026-01-06", bad("flow_date_range", rangeData)},
		{"date unbounded", anyDate, "1999-03-04", ok("1999-03-04")},
		{"date junk", date, "soon", bad("flow_invalid_date", nil)},
		{"text", text, "  Tari ", ok("Tari")},
		{"text max runes", text, "Tȧrȧi", ok("Tȧrȧi")},
		{"text too long", text, "Tariro", bad("flow_invalid_text", map[string]any{"Max": 5})},
		{"text default max", longText, strings.Repeat("x", DefaultTextMax+1), bad("flow_invalid_text", map[string]any{"Max": DefaultTextMax})},
		{"text empty", text, "   ", bad("flow_text_required", nil)},
		{"text dash required", text, "-", ok("-")},
		{"text skip", optText, "-", ok("")},
		{"text skip word", optText, " Skip ", ok("")},
		{"text optional empty", optText, "", bad("flow_text_required", nil)},
		{"code", code, " hr 0012 k ", ok("HR0012K")},
		{"code empty", code, " ", bad("flow_text_required", nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := oneStep(tc.step)
			start := mustStart(t, e, "one", nil)
			if start.Status != Asked || start.Session == nil {
				t.Fatalf("Start: %v", start.Status)
			}
			before := *start.Session
			r := mustStep(t, e, before, tc.input)
			if tc.want.msg != "" {
				if r.Status != Invalid {
					t.Fatalf("status %v, want invalid (answers %v)", r.Status, r.Answers)
				}
				if len(r.Out) != 2 || r.Out[0].Msg != tc.want.msg || !reflect.DeepEqual(r.Out[0].Data, tc.want.data) {
					t.Fatalf("out %+v, want %s %v", r.Out, tc.want.msg, tc.want.data)
				}
				if r.Out[1].Msg != "p_q" {
					t.Errorf("re-prompt %+v", r.Out[1])
				}
				if !reflect.DeepEqual(*r.Session, before) {
					t.Errorf("session %+v, want %+v", *r.Session, before)
				}
				return
			}
			if r.Status != Done {
				t.Fatalf("status %v, out %+v", r.Status, r.Out)
			}
			if got := r.Answers["q"]; got != tc.want.value {
				t.Errorf("answer %q, want %q", got, tc.want.value)
			}
		})
	}
}

func TestCaseCodeCheck(t *testing.T) {
	e := oneStep(Step{Kind: KindCaseCode})
	env := testEnv()
	env.CheckCode = func(s string) (string, string) {
		if strings.TrimSpace(s) == "HR-1" {
			return "HR-1", ""
		}
		return "", "case_code_bad"
	}
	s := Session{Flow: "one", Version: 1, Step: "q"}
	r, err := e.Step(s, "nope", env)
	if err != nil || r.Status != Invalid || r.Out[0].Msg != "case_code_bad" {
		t.Fatalf("%v %+v", err, r)
	}
	r, err = e.Step(s, " HR-1", env)
	if err != nil || r.Status != Done || r.Answers["q"] != "HR-1" {
		t.Fatalf("%v %+v", err, r)
	}
}

// sink exercises every kind, goto, end steps, a case arg and scores.
const sink = `
id: sink
version: 3
scope: private
command: sink
arg: case
title: t_sink
action: record
steps:
  - id: case
    prompt: p_case
    kind: case_code
  - id: when
    prompt: p_when
    kind: date
    min: -7
    max: 0
  - id: sex
    prompt: p_sex
    kind: choice
    choices:
      - {value: f, label: opt_sex_girl, score: 1}
      - {value: m, label: opt_sex_boy}
  - id: needs
    prompt: p_needs
    kind: multi
    choices:
      - {value: food, label: opt_food, score: 2}
      - {value: school, label: opt_school, score: 3}
      - {value: health, label: opt_health, score: 5}
  - id: count
    prompt: p_count
    kind: number
    min: 1
    max: 20
  - id: safe
    prompt: p_safe
    kind: yesno
    choices:
      - {value: "yes"}
      - {value: "no", score: 10, goto: urgent}
  - id: name
    prompt: p_name
    kind: text
    optional: true
    sensitive: true
    max: 20
    next: end
  - id: urgent
    prompt: p_urgent
    kind: end
    action: refer_urgent
scores:
  - id: risk
    steps: [sex, needs, safe]
    levels:
      - {min: 10, level: high}
      - {min: 4, level: medium}
      - {min: 0, level: low}
  - id: needs_only
    steps: [needs]
`

func sinkEngine(t testing.TB) *Engine {
	return NewEngine([]*Flow{mustParse(t, sink)})
}

// walk feeds inputs one by one, failing on any Invalid, and returns the
// last result.
func walk(t *testing.T, e *Engine, r Result, inputs ...string) Result {
	t.Helper()
	for _, in := range inputs {
		if r.Session == nil {
			t.Fatalf("flow over (%v) before input %q", r.Status, in)
		}
		r = mustStep(t, e, *r.Session, in)
		if r.Status == Invalid {
			t.Fatalf("input %q refused: %+v", in, r.Out)
		}
	}
	return r
}

func TestWalkWithArg(t *testing.T) {
	e := sinkEngine(t)
	r := mustStart(t, e, "sink", map[string]string{"case": "ab 12"})
	if r.Status != Asked || r.Session.Step != "when" {
		t.Fatalf("start: %v at %+v", r.Status, r.Session)
	}
	want := Output{Msg: "p_when", Data: map[string]any{"case": "AB12", "Code": "AB12"}}
	if !reflect.DeepEqual(r.Out, []Output{want}) {
		t.Fatalf("start out %+v", r.Out)
	}
	r = walk(t, e, r, "today", "girl", "1 3")
	if r.Session.Step != "count" || r.Out[0].Data["needs"] != "food,health" {
		t.Fatalf("at %+v out %+v", r.Session, r.Out)
	}
	r = walk(t, e, r, "4", "yes")
	if got := r.Out[0]; got.Msg != "p_name" || !reflect.DeepEqual(got.Choices, []string(nil)) {
		t.Fatalf("out %+v", r.Out)
	}
	r = walk(t, e, r, "Rudo")
	if r.Status != Done || r.Session != nil || len(r.Out) != 0 || r.Action != "record" {
		t.Fatalf("end: %+v", r)
	}
	wantAns := map[string]string{"case": "AB12", "when": "2026-01-05", "sex": "f", "needs": "food,health", "count": "4", "safe": "yes", "name": "Rudo"}
	if !reflect.DeepEqual(r.Answers, wantAns) {
		t.Errorf("answers %v", r.Answers)
	}
	wantScores := map[string]ScoreResult{"risk": {Value: 8, Level: "medium"}, "needs_only": {Value: 7}}
	if !reflect.DeepEqual(r.Scores, wantScores) {
		t.Errorf("scores %v", r.Scores)
	}
}

func TestSensitiveNotInData(t *testing.T) {
	f := mustParse(t, `
id: s
version: 1
scope: private
action: a
steps:
  - {id: name, prompt: p1, kind: text, sensitive: true}
  - {id: age, prompt: p2, kind: text}
  - {id: last, prompt: p3, kind: text}
`)
	e := NewEngine([]*Flow{f})
	r := walk(t, e, mustStart(t, e, "s", nil), "Rudo")
	if r.Out[0].Data != nil {
		t.Errorf("data %v leaks a sensitive answer", r.Out[0].Data)
	}
	r = walk(t, e, r, "7")
	if !reflect.DeepEqual(r.Out[0].Data, map[string]any{"age": "7"}) {
		t.Errorf("data %v", r.Out[0].Data)
	}
}

func TestGotoEndStep(t *testing.T) {
	e := sinkEngine(t)
	r := mustStart(t, e, "sink", nil)
	if r.Session.Step != "case" {
		t.Fatalf("no arg: start at %q", r.Session.Step)
	}
	r = walk(t, e, r, "x1", "today", "boy", "2", "1", "no")
	if r.Status != Done || r.Action != "refer_urgent" || r.Session != nil {
		t.Fatalf("%+v", r)
	}
	if !reflect.DeepEqual(r.Out, []Output{{Msg: "p_urgent", Data: map[string]any{
		"case": "X1", "Code": "X1", "when": "2026-01-05", "sex": "m", "needs": "school", "count": "1", "safe": "no",
	}}}) {
		t.Errorf("out %+v", r.Out)
	}
	if _, ok := r.Answers["name"]; ok {
		t.Error("skipped step answered")
	}
	if got := r.Scores["risk"]; got != (ScoreResult{Value: 13, Level: "high"}) {
		t.Errorf("risk %+v", got)
	}
	if got := r.Scores["needs_only"]; got != (ScoreResult{Value: 3}) {
		t.Errorf("needs_only %+v", got)
	}
}

func TestLevels(t *testing.T) {
	f := mustParse(t, `
id: lv
version: 1
scope: any
action: a
steps:
  - id: q
    prompt: p
    kind: choice
    choices:
      - {value: a, label: l, score: -2}
      - {value: b, label: l2, score: 0}
      - {value: c, label: l3, score: 5}
      - {value: d, label: l4, score: 9}
scores:
  - id: s
    steps: [q]
    levels:
      - {min: 9, level: high}
      - {min: 5, level: medium}
      - {min: 0, level: low}
`)
	e := NewEngine([]*Flow{f})
	for in, want := range map[string]ScoreResult{
		"1": {Value: -2}, "2": {Value: 0, Level: "low"}, "3": {Value: 5, Level: "medium"}, "4": {Value: 9, Level: "high"},
	} {
		r := walk(t, e, mustStart(t, e, "lv", nil), in)
		if r.Scores["s"] != want {
			t.Errorf("%s: %+v, want %+v", in, r.Scores["s"], want)
		}
	}
}

func TestActionNoneAndLoops(t *testing.T) {
	f := mustParse(t, `
id: gbv
version: 1
scope: private
action: record_screening
steps:
  - id: alone
    prompt: p_alone
    kind: yesno
    choices:
      - {value: "yes"}
      - {value: "no", goto: safety}
  - id: again
    prompt: p_again
    kind: choice
    choices:
      - {value: more, label: l_more, goto: again}
      - {value: back, label: l_back, goto: alone}
      - {value: done, label: l_done, goto: thanks}
      - {value: stop, label: l_stop, goto: end}
  - id: safety
    prompt: p_safety
    kind: end
    action: none
  - id: thanks
    prompt: p_thanks
    kind: end
`)
	e := NewEngine([]*Flow{f})
	r := walk(t, e, mustStart(t, e, "gbv", nil), "no")
	if r.Status != Stopped || r.Answers != nil || r.Action != "" || r.Session != nil {
		t.Fatalf("%+v", r)
	}
	if len(r.Out) != 1 || r.Out[0].Msg != "p_safety" {
		t.Errorf("out %+v", r.Out)
	}
	// A self-loop (fsm.NoTransitionError) and a loop back work.
	r = walk(t, e, mustStart(t, e, "gbv", nil), "yes", "1", "1")
	if r.Session.Step != "again" {
		t.Fatalf("self-loop: at %q", r.Session.Step)
	}
	r = walk(t, e, r, "2")
	if r.Session.Step != "alone" {
		t.Fatalf("loop back: at %q", r.Session.Step)
	}
	r = walk(t, e, r, "yes", "3")
	if r.Status != Done || r.Action != "record_screening" || r.Out[0].Msg != "p_thanks" {
		t.Fatalf("thanks: %+v", r)
	}
	r = walk(t, e, mustStart(t, e, "gbv", nil), "yes", "stop")
	if r.Status != Done || len(r.Out) != 0 || r.Answers["again"] != "stop" {
		t.Fatalf("goto end: %+v", r)
	}
}

func TestMultiGoto(t *testing.T) {
	f := mustParse(t, `
id: m
version: 1
scope: any
action: a
steps:
  - id: q
    prompt: p
    kind: multi
    choices:
      - {value: a, label: la}
      - {value: b, label: lb, goto: tb}
      - {value: c, label: lc, goto: tc}
  - {id: plain, prompt: pp, kind: end}
  - {id: tb, prompt: pb, kind: end}
  - {id: tc, prompt: pc, kind: end}
`)
	e := NewEngine([]*Flow{f})
	for in, want := range map[string]string{"1": "pp", "3 1": "pc", "3 2": "pb", "1 2 3": "pb"} {
		r := walk(t, e, mustStart(t, e, "m", nil), in)
		if r.Status != Done || r.Out[0].Msg != want {
			t.Errorf("%q: %v %+v, want %s", in, r.Status, r.Out, want)
		}
	}
}

func TestStartAtEndStep(t *testing.T) {
	f := mustParse(t, `
id: info
version: 1
scope: any
command: info
action: none_needed
steps:
  - {id: hello, prompt: p_hello, kind: end}
`)
	e := NewEngine([]*Flow{f})
	r := mustStart(t, e, "info", nil)
	if r.Status != Done || r.Session != nil || r.Action != "none_needed" || len(r.Out) != 1 || r.Out[0].Msg != "p_hello" {
		t.Fatalf("%+v", r)
	}
	if r.Answers == nil || len(r.Answers) != 0 {
		t.Errorf("answers %v, want empty", r.Answers)
	}
}

func TestStartArg(t *testing.T) {
	e := sinkEngine(t)
	env := testEnv()
	env.CheckCode = func(s string) (string, string) {
		if s == "GOOD" {
			return "GOOD", ""
		}
		return "", "case_code_typo"
	}
	r, err := e.Start("sink", map[string]string{"case": "bad"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Invalid || r.Session != nil || !reflect.DeepEqual(r.Out, []Output{{Msg: "case_code_typo"}}) {
		t.Fatalf("%+v", r)
	}
	r, err = e.Start("sink", map[string]string{"case": "GOOD", "other": "x"}, env)
	if err != nil || r.Status != Asked || r.Session.Step != "when" || !reflect.DeepEqual(r.Session.Answers, map[string]string{"case": "GOOD"}) {
		t.Fatalf("%v %+v", err, r)
	}
	if _, err := e.Start("nope", nil, env); !errors.Is(err, ErrUnknownFlow) {
		t.Errorf("unknown flow: %v", err)
	}
}

func TestFlowChanged(t *testing.T) {
	e := sinkEngine(t)
	changed := []Output{{Msg: "flow_changed"}}
	for _, s := range []Session{
		{Flow: "sink", Version: 2, Step: "sex"},
		{Flow: "sink", Version: 3, Step: "gone"},
		{Flow: "sink", Version: 3, Step: "urgent"}, // an end step is never a session's step
		{Flow: "sink", Version: 3, Step: ""},
	} {
		r, err := e.Step(s, "1", testEnv())
		if err != nil || r.Status != Cancelled || r.Session != nil || !reflect.DeepEqual(r.Out, changed) {
			t.Errorf("%+v: %v %+v", s, err, r)
		}
		if _, err := e.Prompt(s); !errors.Is(err, ErrFlowChanged) {
			t.Errorf("Prompt(%+v): %v", s, err)
		}
	}
	if _, err := e.Step(Session{Flow: "gone", Version: 1, Step: "a"}, "1", testEnv()); !errors.Is(err, ErrUnknownFlow) {
		t.Errorf("unknown flow: %v", err)
	}
	if _, err := e.Prompt(Session{Flow: "gone"}); !errors.Is(err, ErrUnknownFlow) {
		t.Errorf("unknown flow: %v", err)
	}
}

func TestCancelAndPrompt(t *testing.T) {
	e := sinkEngine(t)
	r := walk(t, e, mustStart(t, e, "sink", map[string]string{"case": "c1"}), "today")
	got := e.Cancel(*r.Session)
	if got.Status != Cancelled || got.Session != nil || !reflect.DeepEqual(got.Out, []Output{{Msg: "flow_cancelled"}}) {
		t.Errorf("cancel: %+v", got)
	}
	out, err := e.Prompt(*r.Session)
	if err != nil || !reflect.DeepEqual(out, r.Out) {
		t.Errorf("prompt: %v %+v, want %+v", err, out, r.Out)
	}
	if !reflect.DeepEqual(out[0].Choices, []string{"opt_sex_girl", "opt_sex_boy"}) {
		t.Errorf("choices %v", out[0].Choices)
	}
	r = walk(t, e, r, "1", "1", "3")
	out, _ = e.Prompt(*r.Session)
	if !reflect.DeepEqual(out[0].Choices, []string{"opt_yes", "opt_no"}) {
		t.Errorf("yesno default labels: %v", out[0].Choices)
	}
}

func TestInvalidLeavesSessionAlone(t *testing.T) {
	e := sinkEngine(t)
	r := walk(t, e, mustStart(t, e, "sink", map[string]string{"case": "c1"}), "today", "1")
	s := *r.Session
	snapshot := s.clone()
	bad := mustStep(t, e, s, "7 8 9")
	if bad.Status != Invalid || !reflect.DeepEqual(*bad.Session, snapshot) || !reflect.DeepEqual(s, snapshot) {
		t.Fatalf("%+v", bad)
	}
	bad.Session.Answers["x"] = "y" // the copy is not shared
	if _, ok := s.Answers["x"]; ok {
		t.Error("Invalid result shares the answers map with the input session")
	}
	// A valid step does not write into the input session either.
	_ = mustStep(t, e, s, "1")
	if !reflect.DeepEqual(s, snapshot) {
		t.Errorf("Step changed its input: %+v", s)
	}
	if want := []string{"opt_food", "opt_school", "opt_health"}; !reflect.DeepEqual(bad.Out[1].Choices, want) {
		t.Errorf("re-prompt choices %v", bad.Out[1].Choices)
	}
}

func TestNilLang(t *testing.T) {
	e := oneStep(Step{Kind: KindNumber, Min: ip(1), Max: ip(2)})
	if _, err := e.Step(Session{Flow: "one", Version: 1, Step: "q"}, "1", Env{}); err == nil {
		t.Error("no error with a nil Lang")
	}
	e = oneStep(Step{Kind: KindText})
	if r, err := e.Step(Session{Flow: "one", Version: 1, Step: "q"}, "hi", Env{}); err != nil || r.Status != Done {
		t.Errorf("text without Lang: %v %+v", err, r)
	}
}

func TestEngineLookups(t *testing.T) {
	fl, err := Load(defs.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(fl)
	if f, ok := e.ByCommand("/NewCase"); !ok || f.ID != "intake" {
		t.Errorf("ByCommand: %v %v", f, ok)
	}
	if _, ok := e.ByCommand("nope"); ok {
		t.Error("ByCommand(nope)")
	}
	if f, ok := e.Flow("lang"); !ok || f.Command != "lang" {
		t.Errorf("Flow(lang): %v", f)
	}
	var ids []string
	for _, f := range e.Flows() {
		ids = append(ids, f.ID)
	}
	// Sorted by id, and the core flows are there (feature areas add more).
	if !slices.IsSorted(ids) {
		t.Errorf("Flows not sorted: %v", ids)
	}
	for _, id := range []string{"assess", "intake", "lang", "plan", "refer", "review", "visit"} {
		if !slices.Contains(ids, id) {
			t.Errorf("Flows: %v lacks %s", ids, id)
		}
	}
}

// TestSessionSize: a 12-question session with realistic answers stays
// under 1 KB of JSON.
func TestSessionSize(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: assessment_full\nversion: 12\nscope: private\naction: record_assessment\nsteps:\n")
	kinds := []string{"choice", "multi", "yesno", "number", "date", "text"}
	for i := range 12 {
		k := kinds[i%len(kinds)]
		b.WriteString("  - id: q" + string(rune('a'+i)) + "_household_item\n    prompt: assess_q\n    kind: " + k + "\n")
		switch k {
		case "choice", "multi":
			b.WriteString("    choices:\n")
			for _, v := range []string{"sexual_abuse", "physical_abuse", "child_marriage", "out_of_school", "no_birth_cert", "emotional_abuse"} {
				b.WriteString("      - {value: " + v + ", label: opt_" + v + "}\n")
			}
		case "number":
			b.WriteString("    min: 0\n    max: 99\n")
		case "date":
			b.WriteString("    min: -3650\n    max: 0\n")
		case "text":
			b.WriteString("    max: 40\n")
		}
	}
	f := mustParse(t, b.String())
	e := NewEngine([]*Flow{f})
	inputs := []string{"2", "1 2 3 4 5 6", "yes", "14", "2025-11-30", strings.Repeat("Chipo Moyo Ncube ", 3)[:40]}
	r := mustStart(t, e, f.ID, nil)
	var last Session
	for i := range 11 {
		last = *r.Session
		r = mustStep(t, e, last, inputs[i%len(inputs)])
		if r.Status != Asked {
			t.Fatalf("step %d: %v %+v", i, r.Status, r.Out)
		}
	}
	// The session before the last question holds 11 answers; add a 12th
	// to measure the largest state a 12-question flow can persist.
	s := *r.Session
	s.Answers["ql_household_item"] = strings.Repeat("w", 40)
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("12 answers: %d bytes: %s", len(data), data)
	if len(data) >= 1024 {
		t.Errorf("session is %d bytes, want < 1024", len(data))
	}
}

// TestFSMEvents: the callback-free event set of every embedded flow is
// consistent: each question step has exactly one "next" out, gotos are
// named after their choice, every destination is a step or "end", and end
// steps have no events.
func TestFSMEvents(t *testing.T) {
	fl, err := Load(defs.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	fl = append(fl, mustParse(t, sink))
	for _, f := range fl {
		e := NewEngine([]*Flow{f})
		cf := e.flows[f.ID]
		steps := map[string]*Step{}
		for i := range f.Steps {
			steps[f.Steps[i].ID] = &f.Steps[i]
		}
		nexts := map[string]int{}
		for _, ev := range cf.events {
			if len(ev.Src) != 1 {
				t.Errorf("%s: event %s has sources %v", f.ID, ev.Name, ev.Src)
				continue
			}
			src := steps[ev.Src[0]]
			if src == nil || src.Kind == KindEnd {
				t.Errorf("%s: event %s from %q, not a question step", f.ID, ev.Name, ev.Src[0])
				continue
			}
			if _, ok := steps[ev.Dst]; !ok && ev.Dst != End {
				t.Errorf("%s: event %s to %q", f.ID, ev.Name, ev.Dst)
			}
			switch {
			case ev.Name == eventNext:
				nexts[src.ID]++
			case strings.HasPrefix(ev.Name, eventGotoPx):
				v := strings.TrimPrefix(ev.Name, eventGotoPx)
				found := false
				for _, c := range src.Choices {
					found = found || c.Value == v && c.Goto == ev.Dst
				}
				if !found {
					t.Errorf("%s: %s from %s matches no choice", f.ID, ev.Name, src.ID)
				}
			default:
				t.Errorf("%s: unexpected event %q", f.ID, ev.Name)
			}
		}
		for _, st := range f.Steps {
			if st.Kind != KindEnd && nexts[st.ID] != 1 {
				t.Errorf("%s: step %q has %d next events, want 1", f.ID, st.ID, nexts[st.ID])
			}
		}
	}
}

func BenchmarkStep(b *testing.B) {
	fl, err := Load(defs.FS, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(fl)
	env := testEnv()
	s := Session{Flow: "intake", Version: 1, Step: "concerns", Answers: map[string]string{
		"identified": "2026-01-04", "source": "school", "age": "5-9", "sex": "f",
	}}
	b.ReportAllocs()
	for b.Loop() {
		r, err := e.Step(s, "1 4 10", env)
		if err != nil || r.Status != Asked {
			b.Fatal(err, r.Status)
		}
	}
}
