package bot_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"carenet/bot"
	"carenet/internal/seal"
)

// TestSensitiveAnswersSealedInSession: while a GBV screen is under way its
// answers are sealed in the conversations table, and the flow still reads
// them back and finishes.
func TestSensitiveAnswersSealedInSession(t *testing.T) {
	key := make([]byte, 32)
	key[0] = 7
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f := caseFixtureOpts(t, bot.Options{Sealer: sealer})
	f.say(t, "tendai", "/gbv DEM-00013", "hongu", "3", "dzimwe nguva", "4")
	db, err := sql.Open("sqlite3", "file:"+f.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw string
	if err := db.QueryRowContext(context.Background(), `SELECT session FROM conversations WHERE user_id = 'tendai'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{`"hurt":"3"`, `"insult":"3"`, `"threaten":"4"`} {
		if strings.Contains(raw, clear) {
			t.Errorf("session holds %s in clear: %s", clear, raw)
		}
	}
	if !strings.Contains(raw, `"alone":"yes"`) || !strings.Contains(raw, `sealed:`) {
		t.Errorf("session %s: want the safety answer plain and the items sealed", raw)
	}
	f.say(t, "tendai", "2", "1", "kwete", "kwete kana kamwe", "kwete kana kamwe", "kwete", "kwete", "kwete", "1")
	if !f.sawText("DEM-00013") || len(f.screenings(t, "DEM-00013")) != 1 {
		t.Fatalf("screen not finished from sealed answers: %q", f.tr.texts())
	}
	// HITS 3+3+4+2 = 12 is a positive partner-violence screen: yellow, which
	// the scoring can only see if the sealed answers were opened again.
	if ss := f.screenings(t, "DEM-00013"); ss[0].Level != "yellow" {
		t.Errorf("level %q, want yellow", ss[0].Level)
	}
}
