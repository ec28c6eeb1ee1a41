package flows

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"carenet/flows/defs"
)

func knownExceptMissing(id string) bool { return !strings.HasPrefix(id, "missing_") }

// TestLoadBad loads testdata/bad (one file per problem class) once and
// checks that every expected problem is in the ONE error, and nothing else.
func TestLoadBad(t *testing.T) {
	fl, err := Load(os.DirFS("testdata/bad"), knownExceptMissing)
	if err == nil || fl != nil {
		t.Fatalf("Load: %v, %v", fl, err)
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %T, want *LoadError", err)
	}
	if got := strings.Join(le.Problems, "\n"); got != err.Error() {
		t.Errorf("Error() is not the problems, one a line")
	}
	want := []string{
		// parse problems
		`empty.yaml: empty file`,
		`syntax.yaml: line 8: field promt not found in type flows.Step`,
		`twodocs.yaml: more than one YAML document`,
		// flow header
		`header.yaml: id "Bad-Id": use a-z, 0-9 and _, starting with a letter`,
		`header.yaml: version must be > 0 (got 0)`,
		`header.yaml: scope "public" is not private, group or any`,
		`header.yaml: action missing`,
		`header.yaml: command "/Start": use a-z, 0-9 and _, at most 32 characters, no /`,
		`header2.yaml: id missing`,
		`header2.yaml: version must be > 0 (got 0)`,
		`header2.yaml: scope missing (private, group or any)`,
		`header2.yaml: action missing`,
		`header2.yaml: arg "case" set but command empty`,
		`header2.yaml: arg "case" names a text step; the argument is a case code, so it must be a case_code step`,
		`header3.yaml: action "none" is only for end steps`,
		`header3.yaml: no steps`,
		`arg.yaml: arg "case" names a text step; the argument is a case code, so it must be a case_code step`,
		// across files
		`dup_b.yaml: flow id "dup" is also used by dup_a.yaml`,
		`dup_b.yaml: command "same" is also used by dup_a.yaml`,
		// step ids and kinds
		`kinds.yaml: step "q": duplicate step id (also step #1)`,
		`kinds.yaml: step "end": id "end" is reserved (the target that completes a flow)`,
		`kinds.yaml: step "Bad Step": id: use a-z, 0-9 and _, starting with a letter`,
		`kinds.yaml: step #5: id missing`,
		`kinds.yaml: step "q": kind "question" is not one of choice, multi, yesno, number, date, month, text, case_code, end`,
		`kinds.yaml: step "noprompt": prompt missing`,
		`kinds.yaml: step "nokind": kind missing (one of choice, multi, yesno, number, date, month, text, case_code, end)`,
		// choices
		`choices.yaml: step "none": choice step needs at least one choice`,
		`choices.yaml: step "dup": choice #2: duplicate value "a"`,
		`choices.yaml: step "dup": choice #3: value "b,c" must not contain a comma`,
		`choices.yaml: step "dup": choice #4: value missing`,
		`choices.yaml: step "dup": choice #5: label missing`,
		`choices.yaml: step "yn": yesno choices, if given, must be exactly yes and no`,
		`choices.yaml: step "yn": choice #2: value "maybe": yesno values are yes and no`,
		`choices.yaml: step "num": number steps take no choices`,
		`choices.yaml: step "bye": end steps take no choices`,
		// bounds and step options
		`bounds.yaml: step "n1": min 5 > max 1`,
		`bounds.yaml: step "n2": number steps need min and max`,
		`bounds.yaml: step "d1": date steps take min and max (days from today) both or neither`,
		`bounds.yaml: step "t1": text max must be > 0 (got 0)`,
		`bounds.yaml: step "t2": text steps take no min`,
		`bounds.yaml: step "c1": choice steps take no min or max`,
		`bounds.yaml: step "c1": only text, number, date and month steps can be optional`,
		`bounds.yaml: step "c1": action is only for end steps`,
		`bounds.yaml: step "e1": end steps take no next`,
		// targets and reachability
		`targets.yaml: step "age": goto "agee" is not a step`,
		`targets.yaml: step "finish": next "nowhere" is not a step`,
		`targets.yaml: step "lost": unreachable from step "age"`,
		`targets.yaml: step "spin": unreachable from step "age"`,
		`targets.yaml: step "into_loop": unreachable from step "age"`,
		`reach.yaml: step "b": no path from here to the end`,
		`reach.yaml: step "c": no path from here to the end`,
		// scores
		`scores.yaml: score "risk": step "n" is a number step; scores need choice, multi or yesno steps`,
		`scores.yaml: score "risk": step "ghost" is not a step`,
		`scores.yaml: score "risk": levels must be in descending min order: "high" (min 5) follows "low" (min 1)`,
		`scores.yaml: score "risk": level "low": duplicate`,
		`scores.yaml: score "risk": duplicate score id`,
		`scores.yaml: score "risk": no steps`,
		`scores.yaml: score #3: id missing`,
		`scores.yaml: score #3: level #1: name missing`,
		// messages
		`messages.yaml: title "missing_title" is not in en`,
		`messages.yaml: step "q": prompt "missing_prompt" is not in en`,
		`messages.yaml: step "q": label "missing_label" is not in en`,
	}
	for _, w := range want {
		if !slices.Contains(le.Problems, w) {
			t.Errorf("missing problem: %s", w)
		}
	}
	for _, p := range le.Problems {
		if !slices.Contains(want, p) {
			t.Errorf("unexpected problem: %s", p)
		}
	}
	// Without known, the message checks are skipped.
	_, err = Load(os.DirFS("testdata/bad"), nil)
	if strings.Contains(err.Error(), "is not in en") {
		t.Errorf("nil known checked messages:\n%v", err)
	}
}

func TestLoadEmbedded(t *testing.T) {
	fl, err := Load(defs.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range fl {
		ids[f.ID] = true
		if f.Source != f.ID+".yaml" {
			t.Errorf("%s: Source %q", f.ID, f.Source)
		}
	}
	if !ids["intake"] || !ids["lang"] {
		t.Errorf("flows %v", ids)
	}
	if p := Check(defs.FS, nil); p != nil {
		t.Errorf("Check: %v", p)
	}
}

func TestLoadNothing(t *testing.T) {
	_, err := Load(fstest.MapFS{"README.md": {Data: []byte("hi")}}, nil)
	if err == nil || err.Error() != "no *.yaml flow files" {
		t.Errorf("%v", err)
	}
}

func TestReachability(t *testing.T) {
	const head = "id: r\nversion: 1\nscope: any\naction: a\nsteps:\n"
	tests := []struct {
		name, steps string
		want        []string
	}{
		{"linear", `
  - {id: a, prompt: p, kind: text}
  - {id: b, prompt: p, kind: text}`, nil},
		{"goto only", `
  - {id: a, prompt: p, kind: yesno, choices: [{value: "yes", goto: c}, {value: "no"}], next: end}
  - {id: b, prompt: p, kind: text}
  - {id: c, prompt: p, kind: end}`, []string{`r.yaml: step "b": unreachable from step "a"`}},
		{"after end step", `
  - {id: a, prompt: p, kind: end}
  - {id: b, prompt: p, kind: text}`, []string{`r.yaml: step "b": unreachable from step "a"`}},
		{"end step via default next", `
  - {id: a, prompt: p, kind: text}
  - {id: bye, prompt: p, kind: end}
  - {id: stop, prompt: p, kind: end, action: none}`, []string{`r.yaml: step "stop": unreachable from step "a"`}},
		{"jump back", `
  - {id: a, prompt: p, kind: text}
  - {id: b, prompt: p, kind: choice, choices: [{value: x, label: l, goto: a}, {value: y, label: l, goto: end}], next: b}`, nil},
		{"trap", `
  - {id: a, prompt: p, kind: text}
  - {id: b, prompt: p, kind: text, next: b}
  - {id: c, prompt: p, kind: text}`, []string{
			`r.yaml: step "a": no path from here to the end`,
			`r.yaml: step "b": no path from here to the end`,
			`r.yaml: step "c": unreachable from step "a"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"r.yaml": {Data: []byte(head + tc.steps)}}, nil)
			var got []string
			if err != nil {
				got = err.(*LoadError).Problems
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestLoadWithOverride(t *testing.T) {
	fl, err := LoadWithOverride(defs.FS, "testdata/override", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*Flow{}
	for _, f := range fl {
		got[f.ID] = f
	}
	embedded, err := Load(defs.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(embedded)+1 || got["lang"] == nil || got["extra"] == nil {
		t.Fatalf("flows %v", got)
	}
	if f := got["intake"]; f.Version != 2 || f.Source != filepath.Join("testdata/override", "intake.yaml") {
		t.Errorf("intake not replaced: v%d from %s", f.Version, f.Source)
	}
	if got["lang"].Source != "lang.yaml" {
		t.Errorf("lang from %s", got["lang"].Source)
	}

	// No dir: the base alone.
	base, _ := Load(defs.FS, nil)
	fl, err = LoadWithOverride(defs.FS, "", nil)
	if err != nil || len(fl) != len(base) {
		t.Errorf("no override: %d flows, %v", len(fl), err)
	}

	// Clashes with the base and inside the override dir are reported with
	// the base's problems, all at once.
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "id: other\nversion: 1\nscope: any\ncommand: lang\naction: a\nsteps: [{id: q, prompt: p, kind: text}]\n")
	write("b.yaml", "id: twice\nversion: 1\nscope: any\naction: a\nsteps: [{id: q, prompt: p, kind: text}]\n")
	write("c.yaml", "id: twice\nversion: 1\nscope: any\naction: a\nsteps: [{id: q, prompt: p, kind: text, next: nope}]\n")
	_, err = LoadWithOverride(defs.FS, dir, nil)
	for _, w := range []string{
		filepath.Join(dir, "a.yaml") + `: command "lang" is also used by lang.yaml`,
		filepath.Join(dir, "c.yaml") + `: flow id "twice" is also used by ` + filepath.Join(dir, "b.yaml"),
		filepath.Join(dir, "c.yaml") + `: step "q": next "nope" is not a step`,
	} {
		if err == nil || !slices.Contains(err.(*LoadError).Problems, w) {
			t.Errorf("missing %s in\n%v", w, err)
		}
	}

	// A missing dir is a problem, not a silent fallback.
	_, err = LoadWithOverride(defs.FS, filepath.Join(dir, "nope"), nil)
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing dir: %v", err)
	}
}

func TestParseStrict(t *testing.T) {
	for name, src := range map[string]string{
		"unknown top-level": "id: x\nversoin: 1\n",
		"unknown in choice": "id: x\nsteps: [{id: a, choices: [{value: a, lable: b}]}]\n",
		"wrong type":        "id: x\nversion: one\n",
		"not a map":         "- a\n- b\n",
		"bad yaml":          "id: [x\n",
	} {
		if _, err := Parse("x.yaml", []byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "x.yaml: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q", name, err)
		}
	}
	f, err := Parse("ok.yaml", []byte("id: ok\nversion: 4\n"))
	if err != nil || f.ID != "ok" || f.Version != 4 || f.Source != "ok.yaml" {
		t.Errorf("%+v %v", f, err)
	}
}

func TestCheckMessages(t *testing.T) {
	if err := CheckMessages(func(string) bool { return true }); err != nil {
		t.Error(err)
	}
	err := CheckMessages(func(id string) bool { return id != "flow_cancelled" && id != "opt_no" })
	want := "engine message \"flow_cancelled\" is not in en\nengine message \"opt_no\" is not in en"
	if err == nil || err.Error() != want {
		t.Errorf("%v", err)
	}
	p := Check(defs.FS, func(id string) bool { return id != "opt_no" })
	if !slices.Contains(p, `intake.yaml: step "consent": label "opt_no" is not in en`) ||
		!slices.Contains(p, `engine message "opt_no" is not in en`) {
		t.Errorf("Check: %v", p)
	}
}
