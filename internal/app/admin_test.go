package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// carenet runs Main with args and returns its exit code and outputs.
func carenet(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func tempConfig(t *testing.T) (cfg, db string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "carenet.db")
	cfg = filepath.Join(dir, "carenet.yaml")
	if err := os.WriteFile(cfg, []byte("store:\n  path: "+db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, db
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestInviteJoinAudit: an invite made on the command line is redeemed once
// in chat (the language asked because the invite set none), refused the
// second time, and the member's case shows in `carenet audit`.
func TestInviteJoinAudit(t *testing.T) {
	cfg, db := tempConfig(t)
	code, out, errs := carenet(t, "", "invite", "--role", "ccw", "--district", "Harare", "--ward", "3", "--config", cfg)
	if code != 0 {
		t.Fatalf("invite exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "created district Harare (code HAR)") {
		t.Errorf("district not reported created:\n%s", out)
	}
	inv := lastLine(out)
	if len(inv) != 9 || inv[4] != '-' {
		t.Fatalf("last line %q is not an invite code", inv)
	}
	// A second invite reuses the district.
	code, out2, _ := carenet(t, "", "invite", "--role", "cwo", "--district", "harare", "--lang", "en", "--config", cfg)
	if code != 0 || strings.Contains(out2, "created district") || lastLine(out2) == inv {
		t.Fatalf("second invite: exit %d\n%s", code, out2)
	}

	script := strings.Join([]string{
		"dm/chipo: /join " + strings.ToLower(strings.ReplaceAll(inv, "-", " ")),
		"dm/chipo: 2",
		"dm/farai: /join " + inv,
		"dm/chipo: /join " + inv,
		"dm/farai: /join ABCD-EFGH",
		"dm/boss: /start " + lastLine(out2),
		"dm/chipo: /newcase",
		"dm/chipo: nhasi", "dm/chipo: 1", "dm/chipo: 1", "dm/chipo: 2", "dm/chipo: -",
		"dm/chipo: 8", "dm/chipo: kwete", "dm/chipo: 1", "dm/chipo: -",
	}, "\n") + "\n"
	code, simOut, errs := carenet(t, script, "sim", "--db", db, "--empty", "--script", "-", "--config", cfg)
	if code != 0 {
		t.Fatalf("sim exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"dm/chipo <- bot: Welcome to carenet, chipo. You are registered as CCW in Harare, ward 3.",
		"dm/chipo <- bot: Which language should I use with you?",
		"dm/chipo <- bot: Kubva zvino ndichakunyorerai muchiShona.",
		"dm/farai <- bot: That invite code has already been used.",
		"dm/chipo <- bot: Makatonyoreswa.",
		"dm/farai <- bot: That invite code is not known.",
		"dm/boss <- bot: Welcome to carenet, boss. You are registered as CWO in Harare.",
		"dm/chipo <- bot: Nyaya HAR-00013 yavhurwa (welfare).",
	} {
		if !strings.Contains(simOut, want) {
			t.Errorf("sim output lacks %q:\n%s", want, simOut)
		}
	}
	caseCode := "HAR-00013"
	if !strings.Contains(simOut, caseCode) {
		t.Fatalf("case %s not opened:\n%s", caseCode, simOut)
	}
	code, audit, errs := carenet(t, "", "audit", caseCode, "--config", cfg)
	if code != 0 {
		t.Fatalf("audit exit %d: %s", code, errs)
	}
	if !strings.Contains(audit, "HAR-00013 (welfare, open)") || !strings.Contains(audit, "case.open") || !strings.Contains(audit, "chipo (ccw)") {
		t.Errorf("audit output:\n%s", audit)
	}
	if code, _, errs := carenet(t, "", "audit", "HAR-00014", "--config", cfg); code == 0 || !strings.Contains(errs, "check digit") {
		t.Errorf("audit of a mistyped code: exit %d, %s", code, errs)
	}
}

// TestInviteBadFlags: wrong input to `carenet invite` is refused with a
// usage error and creates nothing.
func TestInviteBadFlags(t *testing.T) {
	cfg, db := tempConfig(t)
	for _, args := range [][]string{
		{"--role", "ccw", "--district", "Harare"},                // ccw without ward
		{"--role", "cwo", "--district", "Harare", "--ward", "2"}, // cwo with ward
		{"--role", "boss", "--district", "Harare"},               // unknown role
		{"--role", "cwo"}, // no district
		{"--role", "cwo", "--district", "Harare", "--lang", "fr"},          // unknown language
		{"--role", "cwo", "--district", "Harare", "--district-code", "H1"}, // bad code
		{"--role", "cwo", "--district", "Go"},                              // too few letters for a code
	} {
		code, _, errs := carenet(t, "", append(append([]string{"invite"}, args...), "--config", cfg)...)
		if code == 0 {
			t.Errorf("invite %v accepted", args)
		}
		if errs == "" {
			t.Errorf("invite %v: no message", args)
		}
	}
	if _, err := os.Stat(db); err == nil {
		// Only the last case reaches the store; it must not have made a district.
		code, out, _ := carenet(t, "", "invite", "--role", "cwo", "--district", "Gokwe", "--config", cfg)
		if code != 0 || !strings.Contains(out, "code GOK") {
			t.Errorf("a valid invite after refusals: %d %s", code, out)
		}
	}
}
