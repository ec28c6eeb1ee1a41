package bot_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carenet/bot"
	"carenet/internal/bottest"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/seal"
	"carenet/store"
)

// screenFixture is ward 18 of Demo with a data key (unless noKey): tendai
// (CCW, Shona) and sipho (CCW, isiNdebele), grace (LCCW), moyo (CWO) and
// chipo (CMO), the ward group linked, and tendai's welfare case DEM-00013
// (out of school, no birth certificate) opened through the intake.
func screenFixture(t *testing.T, noKey bool) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := store.Open(ctx, store.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := bottest.NewClock(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC))
	o := bot.Options{Clock: clock}
	if !noKey {
		if o.Sealer, err = seal.New(bytes.Repeat([]byte{7}, 32)); err != nil {
			t.Fatal(err)
		}
	}
	b := bottest.NewBot(t, db, o)
	tr := &recorder{}
	b.AddTransport(tr, bot.Limits{})
	err = db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.CreateDistrict("Demo", "DEM")
		if err != nil {
			return err
		}
		for _, m := range []casework.Member{
			{Name: "tendai", Role: casework.CCW, Ward: 18, Lang: "sn"},
			{Name: "sipho", Role: casework.CCW, Ward: 18, Lang: "nd"},
			{Name: "grace", Role: casework.LCCW, Ward: 18, Lang: "en"},
			{Name: "moyo", Role: casework.CWO, Lang: "en"},
			{Name: "chipo", Role: casework.CMO, Lang: "en"},
		} {
			m.DistrictID = d.ID
			id, err := tx.CreateMember(m, clock.Now())
			if err != nil {
				return err
			}
			if err := tx.AddIdentity(id, chat.Sim, chat.UserID(m.Name)); err != nil {
				return err
			}
		}
		if err := tx.PutChat(chat.Sim, "ward18", chat.Group, ""); err != nil {
			return err
		}
		return tx.LinkChat(chat.Sim, "ward18", d.ID, 18, clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{path: path, db: db, bot: b, tr: tr, clock: clock}
	f.say(t, "tendai", "/newcase", "today", "1", "3", "1", "-", "7 8", "no", "1", "-")
	if c := f.caseOf(t, "DEM-00013"); c == nil || c.Kind != casework.Welfare {
		t.Fatalf("welfare case not opened: %+v %q", c, f.tr.texts())
	}
	return f
}

func (f *fixture) caseOf(t *testing.T, code string) *casework.Case {
	t.Helper()
	var c *casework.Case
	if err := f.db.View(context.Background(), func(tx *store.Tx) (err error) {
		c, err = tx.CaseByCode(code)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) screenings(t *testing.T, code string) []casework.Screening {
	t.Helper()
	var ss []casework.Screening
	if err := f.db.View(context.Background(), func(tx *store.Tx) error {
		c, err := tx.CaseByCode(code)
		if err != nil {
			return err
		}
		ss, err = tx.Screenings(c.ID, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ss
}

// sentSince lists the texts sent to a chat from the n-th sent message on.
func (f *fixture) sentSince(n int, chatID string) []string {
	f.tr.mu.Lock()
	defer f.tr.mu.Unlock()
	var out []string
	for _, o := range f.tr.sent[n:] {
		if string(o.Chat) == chatID {
			out = append(out, o.Text)
		}
	}
	return out
}

func (f *fixture) sentCount() int {
	f.tr.mu.Lock()
	defer f.tr.mu.Unlock()
	return len(f.tr.sent)
}

// gbvRed answers the GBV screen after the safety check: all calm but item 9
// yes (a child touched sexually): red and a protection matter.
var gbvRed = []string{"2", "1", "1", "1", "1", "1", "1", "1", "1", "2", "1", "1", "1"}

// TestGBVRedFromGroup: /gbv typed in the group moves to the private chat
// with one line; a red screen makes the welfare case a statutory
// protection case, tells the CWO and the CMO exactly the code and "GBV
// screen: red", tells the LCCW nothing, gives the CCW the result, the
// cards and the proposed actions in Shona, and the group sees nothing more.
func TestGBVRedFromGroup(t *testing.T) {
	f := screenFixture(t, false)
	n := f.sentCount()
	f.deliver(t, group("ward18", "tendai", "/gbv DEM-00013"))
	f.say(t, "tendai", gbvRed...)

	if got := f.sentSince(n, "ward18"); len(got) != 1 || !strings.Contains(got[0], "tendai") {
		t.Fatalf("group got %q, want only the moved-to-private line", got)
	}
	for _, who := range []string{"moyo", "chipo"} {
		if got := f.sentSince(n, who); len(got) != 1 || got[0] != "DEM-00013: GBV screen: red." {
			t.Errorf("%s got %q, want exactly the code and the colour", who, got)
		}
	}
	if got := f.sentSince(n, "grace"); len(got) != 0 {
		t.Errorf("the LCCW was told %q", got)
	}
	c := f.caseOf(t, "DEM-00013")
	if c.Kind != casework.Protection || !c.Statutory {
		t.Errorf("case is %s (statutory %v), want a statutory protection case", c.Kind, c.Statutory)
	}
	private := strings.Join(f.sentSince(n, "tendai"), "\n")
	for _, want := range []string{"TSVUKU", "Victim Friendly Unit (VFU)", "Childline", "Kumhan'ara kuVFU yemapurisa", "Kuendeswa kuna CWO"} {
		if !strings.Contains(private, want) {
			t.Errorf("CCW's reply lacks %q:\n%s", want, private)
		}
	}
	ss := f.screenings(t, "DEM-00013")
	if len(ss) != 1 || ss[0].Kind != casework.ScreenGBV || ss[0].Level != casework.Red || len(ss[0].Sealed) == 0 {
		t.Fatalf("screenings %+v", ss)
	}
	var plans []casework.Record
	var deadlines []casework.Deadline
	_ = f.db.View(context.Background(), func(tx *store.Tx) error {
		plans, _ = tx.Records(c.ID, "plan")
		deadlines, _ = tx.OpenDeadlines(c.ID)
		return nil
	})
	var acts []string
	for _, p := range plans {
		acts = append(acts, p.Data["action"]+"/"+p.Data["source"])
	}
	if strings.Join(acts, " ") != "police/gbv cwo/gbv" {
		t.Errorf("proposed plan actions %v, want police and CWO from the GBV screen", acts)
	}
	actions := 0
	for _, d := range deadlines {
		if d.Kind == casework.DueAction {
			actions++
		}
	}
	if actions != 2 {
		t.Errorf("%d plan-action deadlines, want 2", actions)
	}
}

// TestGBVSafetyStop: "not alone" ends the screen at once and leaves the
// database as it was before /gbv: no screening, no session, no audit entry.
func TestGBVSafetyStop(t *testing.T) {
	f := screenFixture(t, false)
	before := snapshot(t, f.path)
	n := f.sentCount()
	f.say(t, "tendai", "/gbv DEM-00013", "kwete")
	if after := snapshot(t, f.path); after != before {
		t.Errorf("state changed:\nbefore\n%s\nafter\n%s", before, after)
	}
	if ss := f.screenings(t, "DEM-00013"); len(ss) != 0 {
		t.Errorf("screenings stored: %+v", ss)
	}
	got := f.sentSince(n, "tendai")
	if len(got) != 2 || !strings.Contains(got[1], "Hapana chachengetwa") {
		t.Errorf("replies %q, want the question and the stop", got)
	}
	for _, who := range []string{"moyo", "chipo", "grace", "ward18"} {
		if s := f.sentSince(n, who); len(s) != 0 {
			t.Errorf("%s told %q", who, s)
		}
	}
}

// rawScreening reads the stored row as bytes, bypassing the store.
func rawScreening(t *testing.T, path string) (level string, sealed []byte) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT level, answers_sealed FROM screenings ORDER BY id DESC LIMIT 1`).Scan(&level, &sealed); err != nil {
		t.Fatal(err)
	}
	return level, sealed
}

// TestScreeningAnswersSealed: the answers row holds only the colour in
// clear; the blob contains none of the answers' text, and no session is
// left behind. Without a data key only the colour is stored and the CCW is
// told so.
func TestScreeningAnswersSealed(t *testing.T) {
	t.Run("with key", func(t *testing.T) {
		f := screenFixture(t, false)
		f.say(t, "tendai", "/gbv DEM-00013")
		f.say(t, "tendai", gbvRed...)
		level, sealed := rawScreening(t, f.path)
		if level != "red" || len(sealed) == 0 {
			t.Fatalf("row: level %q, %d sealed bytes", level, len(sealed))
		}
		for _, plain := range []string{"sexual", "hit_child", "rape72", `"yes"`, "never"} {
			if bytes.Contains(sealed, []byte(plain)) {
				t.Errorf("%q readable in the sealed answers", plain)
			}
		}
		if s := snapshot(t, f.path); !strings.Contains(s, "FROM conversations = \n") {
			t.Errorf("a session is left: %s", s)
		}
	})
	t.Run("without key", func(t *testing.T) {
		f := screenFixture(t, true)
		f.say(t, "tendai", "/ews DEM-00013", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1")
		level, sealed := rawScreening(t, f.path)
		if level != "green" || sealed != nil {
			t.Fatalf("row: level %q, sealed %q", level, sealed)
		}
		if !f.sentTo("tendai", "Mhinduro hadzina kuchengetwa") {
			t.Errorf("CCW not told the answers were not stored: %q", f.tr.texts())
		}
	})
}

// TestScreensReadByRole: every member who may view the case gets the list
// privately; GBV screens (and their answers) are shown to the CWO, the CMO
// and the case's own CCW only, each opening audited. A /screens in the group answers in
// private.
func TestScreensReadByRole(t *testing.T) {
	f := screenFixture(t, false)
	f.say(t, "tendai", "/gbv DEM-00013")
	f.say(t, "tendai", gbvRed...)
	cases := []struct {
		who     string
		answers bool
	}{
		{"moyo", true},
		{"chipo", true},
		{"tendai", true},
		{"sipho", false},
		{"grace", false},
	}
	for _, tc := range cases {
		t.Run(tc.who, func(t *testing.T) {
			n := f.sentCount()
			f.deliver(t, group("ward18", tc.who, "/screens DEM-00013"))
			if g := f.sentSince(n, "ward18"); len(g) != 0 {
				t.Fatalf("group got %q", g)
			}
			got := f.sentSince(n, tc.who)
			if len(got) != 1 || !strings.Contains(got[0], "DEM-00013") {
				t.Fatalf("%s got %q", tc.who, got)
			}
			// Need to know: only those who may read a GBV screen's answers
			// learn that there is one, and its colour.
			if listed := strings.Contains(got[0], "5/1/2026"); listed != tc.answers {
				t.Fatalf("%s: GBV screen listed = %v, want %v: %q", tc.who, listed, tc.answers, got[0])
			}
			// Item 9 answered yes, in the reader's language.
			yes := map[string]string{"moyo": "9. Yes", "chipo": "9. Yes", "tendai": "9. Hongu", "sipho": "9. Yebo", "grace": "9. Yes"}[tc.who]
			if strings.Contains(got[0], yes) != tc.answers {
				t.Errorf("%s: answers shown = %v, want %v:\n%s", tc.who, !tc.answers, tc.answers, got[0])
			}
		})
	}
	db, err := sql.Open("sqlite3", "file:"+f.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var reads, lists int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE action = 'screening.read'), count(*) FILTER (WHERE action = 'screening.list') FROM audit`).Scan(&reads, &lists); err != nil {
		t.Fatal(err)
	}
	if reads != 3 || lists != 5 {
		t.Errorf("audit: %d reads, %d lists; want 3 and 5", reads, lists)
	}
}

// TestEWSConfirmAndRepeat: a confirmed EWS adds the responses that fit as
// plan actions with due dates; a second EWS a term later, not confirmed,
// adds none, and both are kept and listed newest first.
func TestEWSConfirmAndRepeat(t *testing.T) {
	f := screenFixture(t, false)
	// A1 4+ days, sent home for fees; D1 fees and D2 hungry: red.
	f.say(t, "tendai", "/ews DEM-00013", "1", "3", "4", "1", "1", "1", "1", "1", "2", "2", "1", "1", "1", "2")
	c := f.caseOf(t, "DEM-00013")
	plans := func() []string {
		var rs []casework.Record
		_ = f.db.View(context.Background(), func(tx *store.Tx) error {
			rs, _ = tx.Records(c.ID, "plan")
			return nil
		})
		var out []string
		for _, r := range rs {
			out = append(out, r.Data["response"]+"@"+r.Data["due"])
		}
		return out
	}
	want := "beam@2026-01-19 feeding@2026-01-19 birth_reg@2026-02-04 home_visit@2026-01-12"
	if got := strings.Join(plans(), " "); got != want {
		t.Fatalf("plan actions %q, want %q", got, want)
	}
	if !f.sentTo("tendai", "TSVUKU") || !f.sentTo("tendai", "BEAM (mari yechikoro") {
		t.Errorf("result not told: %q", f.tr.texts())
	}

	f.clock.Add(91 * 24 * time.Hour)
	// Next term: A3 late, nothing else; not confirmed.
	f.say(t, "tendai", "/ews DEM-00013", "2", "1", "2", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1")
	if got := len(plans()); got != 4 {
		t.Errorf("%d plan actions after an unconfirmed screen, want the first 4", got)
	}
	if !f.sentTo("tendai", "Hazvina kuwedzerwa pachirongwa") {
		t.Errorf("not told the responses were not added: %q", f.tr.texts())
	}
	ss := f.screenings(t, "DEM-00013")
	if len(ss) != 2 || ss[0].Level != casework.Yellow || ss[1].Level != casework.Red || !ss[0].At.After(ss[1].At) {
		t.Fatalf("screenings %+v, want yellow then red, newest first", ss)
	}
	n := f.sentCount()
	f.say(t, "moyo", "/screens DEM-00013")
	got := f.sentSince(n, "moyo")
	if len(got) != 1 || strings.Index(got[0], "6/4/2026 · school early warning · yellow") > strings.Index(got[0], "5/1/2026 · school early warning · red") ||
		!strings.Contains(got[0], "A1. 4 days or more") {
		t.Errorf("CWO's list:\n%q", got)
	}
}
