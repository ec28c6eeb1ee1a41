package app

import (
	"bytes"
	"context"
	"flag"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden transcripts in testdata/")

// runSim runs `carenet sim` with args, feeding stdin, and returns standard
// output and standard error.
func runSim(t *testing.T, stdin string, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"sim"}, args...), strings.NewReader(stdin), &out, &errb)
	if code != 0 {
		t.Fatalf("carenet sim %v exited %d; stderr:\n%s", args, code, errb.String())
	}
	return out.String(), errb.String()
}

// TestSimTranscripts replays every testdata/sim/*.txt script through the
// simulator and compares standard output with the .golden file beside it.
// A script line "# audit: CODE" appends `carenet audit CODE` of the
// script's database to the transcript, so a golden shows what the audit
// log kept.
func TestSimTranscripts(t *testing.T) {
	scripts, err := filepath.Glob("testdata/sim/*.txt")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, script := range scripts {
		t.Run(strings.TrimSuffix(filepath.Base(script), ".txt"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			cfg, db := tempConfig(t)
			out, _ := runSim(t, "", "--db", db, "--script", script)
			for _, line := range strings.Split(string(src), "\n") {
				code, ok := strings.CutPrefix(line, "# audit: ")
				if !ok {
					continue
				}
				exit, audit, errs := carenet(t, "", "audit", strings.TrimSpace(code), "--config", cfg)
				if exit != 0 {
					t.Fatalf("audit %s: exit %d: %s", code, exit, errs)
				}
				out += "$ carenet audit " + strings.TrimSpace(code) + "\n" + audit
			}
			golden := strings.TrimSuffix(script, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("transcript differs from %s (rerun with -update and read the diff):\n%s", golden, diffLines(string(want), out))
			}
		})
	}
}

// diffLines shows the first differing line with some context.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(no line differs)"
}

// TestSimLangEnglish is the acceptance line: after /lang and a
// choice of English, tendai (a Shona speaker) is answered in English.
func TestSimLangEnglish(t *testing.T) {
	out, _ := runSim(t, "dm/tendai: /help\ndm/tendai: /lang\ndm/tendai: 1\ndm/tendai: /help\n", "--script", "-")
	blocks := strings.Split(strings.TrimSpace(out), "dm/tendai <- bot: ")
	if len(blocks) != 5 { // "" + 4 replies
		t.Fatalf("want 4 replies, got:\n%s", out)
	}
	before, after := blocks[1], blocks[4]
	if before == after {
		t.Errorf("help did not change language: %q", after)
	}
	if !strings.Contains(after, "Commands") {
		t.Errorf("help after /lang 1 is not English: %q", after)
	}
	if !strings.Contains(blocks[3], "English") {
		t.Errorf("confirmation is not English: %q", blocks[3])
	}
}

// TestSimOutputOnlyBotLines: standard output carries bot messages only;
// a bad line is reported on standard error and changes nothing.
func TestSimOutputOnlyBotLines(t *testing.T) {
	out, errOut := runSim(t, "this is not a sim line\n# comment\n\ndm/moyo: hello\n:advance 2h\n", "--script", "-")
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if !strings.HasPrefix(l, "  ") && !strings.Contains(l, " <- bot: ") {
			t.Errorf("stdout line is not a bot message: %q", l)
		}
	}
	if !strings.Contains(errOut, "expected") {
		t.Errorf("bad line not reported on stderr: %q", errOut)
	}
}

// TestFlowsCheck: `carenet flows check` passes on the embedded flows and
// lists every problem of a broken override folder.
func TestFlowsCheck(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"flows", "check"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("embedded flows: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, tc := range []struct {
		yaml string
		want []string
	}{
		{"id: intake\nversion: 2\nscope: private\ncommand: newcase\naction: open_case\nneeds: open\nsteps:\n" +
			"  - {id: a, prompt: no_such_message, kind: choice, choices: [{value: x, label: opt_yes, goto: nowhere}]}\n",
			[]string{"no_such_message", "nowhere"}},
		{"id: intake\nversion: 2\nscope: private\ncommand: newcase\naction: open_case\nneeds: opne\nsteps:\n" +
			"  - {id: a, prompt: intake_danger, kind: yesno}\n",
			[]string{"opne"}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "intake.yaml"), []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if code := Main(context.Background(), []string{"flows", "check", dir}, strings.NewReader(""), &out, &errb); code == 0 {
			t.Fatalf("broken flow passed the check:\n%s", tc.yaml)
		}
		for _, want := range tc.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("check output lacks %q:\n%s", want, out.String())
			}
		}
	}
}

func init() {
	// Invite codes in golden transcripts must not change from run to run;
	// each bot gets its own seeded stream.
	newRandom = func() io.Reader { return mrand.NewChaCha8([32]byte{1}) }
}
