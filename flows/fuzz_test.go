package flows

import (
	"io/fs"
	"reflect"
	"testing"

	"carenet/flows/defs"
)

// FuzzLoad: Parse must not panic on any bytes; a flow that parses must
// validate without panicking, and one that validates must run.
func FuzzLoad(f *testing.F) {
	files, _ := fs.Glob(defs.FS, "*.yaml")
	for _, n := range files {
		data, _ := fs.ReadFile(defs.FS, n)
		f.Add(data)
	}
	f.Add([]byte(sink))
	f.Add([]byte("id: x\nversion: 1\nscope: any\naction: a\nsteps: [{id: a, prompt: p, kind: end}]\n"))
	f.Add([]byte("id: x\nsteps: [{id: a, next: a, choices: [{value: v, goto: a}]}]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if p := Validate([]*Flow{fl}, func(string) bool { return true }); len(p) > 0 {
			return
		}
		e := NewEngine([]*Flow{fl})
		r, err := e.Start(fl.ID, map[string]string{fl.Arg: "x"}, testEnv())
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		for _, in := range []string{"1", "yes", "today", "x", "-", "2 1"} {
			if r.Session == nil {
				return
			}
			if r, err = e.Step(*r.Session, in, testEnv()); err != nil {
				t.Fatalf("Step(%q): %v", in, err)
			}
		}
	})
}

// FuzzStep: any input at any question of the intake flow must not panic;
// an Invalid answer leaves the session as it was.
func FuzzStep(f *testing.F) {
	fl, err := Load(defs.FS, nil)
	if err != nil {
		f.Fatal(err)
	}
	e := NewEngine(fl)
	intake, _ := e.Flow("intake")
	valid := []string{"today", "1", "2", "1", "1 4", "no", "1", "Rudo"}
	for i := range intake.Steps {
		f.Add(uint8(i), valid[i%len(valid)])
		f.Add(uint8(i), "0")
	}
	for _, s := range []string{"", " ", "-", "skip", "1,,2", "99999999999999999999", "2/30/2026", "\x00", "ü", "1 2 3 4 5 6 7 8 9 10 11 12 13 14", "yes no"} {
		f.Add(uint8(0), s)
		f.Add(uint8(4), s)
	}
	f.Fuzz(func(t *testing.T, at uint8, input string) {
		i := int(at) % len(intake.Steps)
		st := intake.Steps[i]
		if st.Kind == KindEnd {
			return
		}
		s := Session{Flow: "intake", Version: intake.Version, Step: st.ID, Answers: map[string]string{}}
		for j := range i {
			s.Answers[intake.Steps[j].ID] = "x"
		}
		before := s.clone()
		r, err := e.Step(s, input, testEnv())
		if err != nil {
			t.Fatalf("Step: %v", err)
		}
		if !reflect.DeepEqual(s, before) {
			t.Fatalf("Step changed its input session")
		}
		switch r.Status {
		case Invalid:
			if r.Session == nil || !reflect.DeepEqual(*r.Session, before) {
				t.Fatalf("Invalid changed the session: %+v", r.Session)
			}
			if len(r.Out) != 2 || r.Out[1].Msg != st.Prompt {
				t.Fatalf("Invalid out %+v", r.Out)
			}
		case Asked:
			if r.Session == nil || r.Session.Step == st.ID || len(r.Out) != 1 {
				t.Fatalf("Asked: %+v", r)
			}
			if _, ok := r.Session.Answers[st.ID]; !ok {
				t.Fatalf("answer not stored")
			}
		case Done:
			if r.Session != nil || r.Answers == nil {
				t.Fatalf("Done: %+v", r)
			}
		default:
			t.Fatalf("status %v", r.Status)
		}
	})
}
