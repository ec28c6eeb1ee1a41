package bot_test

import (
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
	"carenet/store"
)

// supFixture is ward 18 of Demo with its group linked: tendai (CCW, Shona),
// sipho (CCW, isiNdebele), grace (LCCW), moyo (CWO), on a clock standing
// at Monday 5 January 2026, 08:00 UTC, with quiet hours 20:00-06:00.
func supFixture(t *testing.T, o bot.SupervisionOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := store.Open(ctx, store.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := bottest.NewClock(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC))
	quiet := func(t time.Time) bool { return t.Hour() >= 20 || t.Hour() < 6 }
	b := bottest.NewBot(t, db, bot.Options{Clock: clock, Quiet: quiet, Supervision: o})
	tr := &recorder{}
	b.AddTransport(tr, bot.Limits{})
	err = db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.CreateDistrict("Demo", "DEM")
		if err != nil {
			return err
		}
		for _, m := range []casework.Member{
			{Name: "tendai", Role: casework.CCW, DistrictID: d.ID, Ward: 18, Lang: "sn"},
			{Name: "sipho", Role: casework.CCW, DistrictID: d.ID, Ward: 18, Lang: "nd"},
			{Name: "grace", Role: casework.LCCW, DistrictID: d.ID, Ward: 18, Lang: "en"},
			{Name: "moyo", Role: casework.CWO, DistrictID: d.ID, Lang: "en"},
			{Name: "lindiwe", Role: casework.LCCW, DistrictID: d.ID, Ward: 19, Lang: "en"},
		} {
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
		if err := tx.LinkChat(chat.Sim, "ward18", d.ID, 18, clock.Now()); err != nil {
			return err
		}
		if err := tx.SetChatLang(chat.Sim, "ward18", "en"); err != nil {
			return err
		}
		return tx.PutChat(chat.Sim, "loose", chat.Group, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{path: path, db: db, bot: b, tr: tr, clock: clock}
}

// tick moves the clock and runs the scheduler, then sends what it queued.
func (f *fixture) tick(t *testing.T, d time.Duration) {
	t.Helper()
	f.clock.Add(d)
	if err := f.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.deliver(t)
}

// to lists the texts sent to one chat since mark, and the new mark.
func (f *fixture) to(chatID string, mark int) []string {
	f.tr.mu.Lock()
	defer f.tr.mu.Unlock()
	var out []string
	for _, o := range f.tr.sent[mark:] {
		if string(o.Chat) == chatID {
			out = append(out, o.Text)
		}
	}
	return out
}

func (f *fixture) mark() int { f.tr.mu.Lock(); defer f.tr.mu.Unlock(); return len(f.tr.sent) }

func (f *fixture) count(t *testing.T, q string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+f.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func joined(ss []string) string { return strings.Join(ss, "\n---\n") }

// TestSupervisionWhoMayStart: only the ward's LCCW or a CWO starts a round,
// in a linked ward group; every refusal is private and changes nothing; a
// second /supervision while the round is open says so.
func TestSupervisionWhoMayStart(t *testing.T) {
	f := supFixture(t, bot.SupervisionOptions{})
	for _, tc := range []struct {
		name   string
		in     chat.Inbound
		chatTo string
		want   string
	}{
		{"a CCW in the group", group("ward18", "tendai", "/supervision"), "tendai", "Basa renyu haritenderi"},
		{"another ward's LCCW", group("ward18", "lindiwe", "/supervision"), "lindiwe", "does not allow"},
		{"an unlinked group", group("loose", "grace", "/supervision"), "grace", "/setup"},
		{"the LCCW in private", dm("grace", "p1", "/supervision"), "grace", "in your ward group"},
		{"a CCW in private, no round", dm("tendai", "p2", "/supervision"), "tendai", "Hapana ongororo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := f.mark()
			f.deliver(t, tc.in)
			got := f.to(tc.chatTo, m)
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Errorf("to %s: %q, want one message with %q", tc.chatTo, got, tc.want)
			}
			if g := f.to("ward18", m); len(g) != 0 {
				t.Errorf("the group got %q", g)
			}
			if n := f.count(t, "SELECT count(*) FROM supervision_rounds"); n != 0 {
				t.Errorf("%d rounds after a refusal", n)
			}
		})
	}

	m := f.mark()
	f.deliver(t, group("ward18", "grace", "/supervision"))
	if g := f.to("ward18", m); len(g) != 1 || !strings.Contains(g[0], "sent privately to 2 CCWs") {
		t.Errorf("group line = %q", g)
	}
	for _, who := range []string{"tendai", "sipho"} {
		if got := f.to(who, m); len(got) != 1 || !strings.Contains(got[0], "?") {
			t.Errorf("%s got %q, want the first question", who, got)
		}
	}
	m = f.mark()
	f.deliver(t, group("ward18", "moyo", "/supervision"))
	if got := f.to("moyo", m); len(got) != 1 || !strings.Contains(got[0], "already open until 8/1 08:00") {
		t.Errorf("second start told moyo %q", got)
	}
	if n := f.count(t, "SELECT count(*) FROM supervision_rounds"); n != 1 {
		t.Errorf("%d rounds, want 1", n)
	}
	if n := f.count(t, "SELECT count(*) FROM supervision_checkins"); n != 2 {
		t.Errorf("%d check-ins, want 2", n)
	}
}

// checkin answers the whole check-in in English-neutral digits: no stuck
// case, no concern, the given burnout item.
func (f *fixture) checkin(t *testing.T, who, burnout string) {
	t.Helper()
	f.say(t, who, "5", "3", "2", "2", "1", "1", "1", burnout, "1")
}

// TestSupervisionEarlyCloseAndConcern: a stuck case and a concern, then
// everyone answers: the CWO was told of the concern at once, the round
// closes at the last answer, grace gets the summary with the case code and
// a request to call, the group counts only.
func TestSupervisionEarlyCloseAndConcern(t *testing.T) {
	f := supFixture(t, bot.SupervisionOptions{})
	f.deliver(t, group("ward18", "grace", "/supervision"))
	m := f.mark()
	// tendai: 6 open, 4 visits, stuck DEM-00013, a concern, 2/1 referrals,
	// transport, burnout 4, GBV training.
	f.say(t, "tendai", "6", "4", "1", "DEM-00013", "1", "2", "1", "1", "4", "2")
	if got := f.to("moyo", m); len(got) != 1 || !strings.Contains(got[0], "tendai (CCW, ward 18) has a new concern") {
		t.Errorf("moyo got %q", got)
	}
	if got := f.to("grace", m); len(got) != 0 {
		t.Errorf("grace told before the round closed: %q", got)
	}
	m = f.mark()
	f.checkin(t, "sipho", "2")
	summary := joined(f.to("grace", m))
	for _, want := range []string{"2 of 2 CCWs answered", "tendai: 6 open cases, 4 visits, referrals 2 made / 1 completed. Challenge: Transport. Training: GBV response. Burnout 4/5.",
		"stuck case: DEM-00013", "new concern", "BURNOUT", "sipho: 5 open cases", "Please call tendai privately"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(summary, "call sipho") {
		t.Errorf("burnout 2 asked for a call:\n%s", summary)
	}
	g := f.to("ward18", m)
	if len(g) != 1 || g[0] != "Monthly check-in closed: 2 of 2 checked in; stuck cases: 1; calls asked: 1." {
		t.Errorf("group got %q", g)
	}
	if strings.Contains(joined(g), "DEM-") || strings.Contains(joined(g), "tendai") {
		t.Errorf("group line names a case or a CCW: %q", g)
	}
	if n := f.count(t, "SELECT count(*) FROM supervision_rounds WHERE closed_at IS NOT NULL"); n != 1 {
		t.Errorf("round not closed early")
	}
	m = f.mark()
	f.say(t, "tendai", "/supervision")
	if got := f.to("tendai", m); len(got) != 1 || !strings.Contains(got[0], "Hapana ongororo") {
		t.Errorf("after closing tendai got %q", got)
	}
}

// TestSupervisionDeadlineReminderWHO5: with the WHO-5 on, tendai answers
// with a raw WHO-5 score of 12 (poor) and sipho never answers: sipho is
// reminded once at 24 h, the round closes at 72 h (not in quiet hours) with
// sipho listed as not answering.
func TestSupervisionDeadlineReminderWHO5(t *testing.T) {
	f := supFixture(t, bot.SupervisionOptions{WHO5: true})
	f.deliver(t, group("ward18", "grace", "/supervision"))
	m := f.mark()
	f.checkin(t, "tendai", "1")
	if got := joined(f.to("tendai", m)); !strings.Contains(got, "WHO-5") {
		t.Fatalf("no WHO-5 items after the check-in:\n%s", got)
	}
	m = f.mark()
	f.say(t, "tendai", "3", "3", "4", "4", "4") // 3+3+2+2+2 = 12
	if got := joined(f.to("tendai", m)); !strings.Contains(got, "Musasa") {
		t.Errorf("poor wellbeing not offered support: %q", got)
	}
	m = f.mark()
	f.tick(t, 23*time.Hour)
	if got := f.to("sipho", m); len(got) != 0 {
		t.Errorf("reminded before 24 h: %q", got)
	}
	f.tick(t, time.Hour)
	f.tick(t, time.Hour)
	if got := f.to("sipho", m); len(got) != 1 || !strings.Contains(got[0], "Isikhumbuzo") {
		t.Errorf("sipho's reminders: %q, want one", got)
	}
	if got := f.to("tendai", m); len(got) != 0 {
		t.Errorf("tendai, who answered, got %q", got)
	}
	// sipho's untouched check-in expired at 48 h like any flow; at 60 h
	// he starts it again and is halfway when the round closes at 72 h
	// (08:00 on Thursday; 71 h is not yet).
	f.tick(t, 35*time.Hour)
	f.say(t, "sipho", "/supervision", "5", "3")
	m = f.mark()
	f.tick(t, 11*time.Hour)
	if got := f.to("grace", m); len(got) != 0 {
		t.Errorf("closed before 72 h: %q", got)
	}
	f.tick(t, time.Hour)
	summary := joined(f.to("grace", m))
	for _, want := range []string{"1 of 2 CCWs answered", "sipho: no answer.", "WHO-5: 12/25, POOR WELLBEING", "WHO-5 wellbeing score was 12 of 25"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if g := f.to("ward18", m); len(g) != 1 || g[0] != "Monthly check-in closed: 1 of 2 checked in; stuck cases: 0; calls asked: 1." {
		t.Errorf("group got %q", g)
	}
	m = f.mark()
	f.say(t, "sipho", "2", "2", "1", "1", "1", "1", "1")
	if got := f.to("sipho", m); !strings.Contains(got[len(got)-1], "sekuvaliwe") {
		t.Errorf("finishing after the close: %q", got)
	}
	if n := f.count(t, "SELECT count(*) FROM supervision_checkins WHERE answered_at IS NOT NULL"); n != 1 {
		t.Errorf("%d answered check-ins, want tendai's only", n)
	}
}

// TestSupervisionBurnoutTwoMonths: burnout in January and again in
// February tells the CWO; at the threshold's other side (2) it does not.
func TestSupervisionBurnoutTwoMonths(t *testing.T) {
	for _, tc := range []struct {
		jan, feb string
		told     bool
	}{
		{"4", "3", true},
		{"4", "2", false},
		{"2", "5", false},
	} {
		t.Run(tc.jan+"-"+tc.feb, func(t *testing.T) {
			f := supFixture(t, bot.SupervisionOptions{})
			f.deliver(t, group("ward18", "grace", "/supervision"))
			f.checkin(t, "tendai", tc.jan)
			f.checkin(t, "sipho", "1")
			f.clock.Add(31 * 24 * time.Hour) // 5 February
			f.deliver(t, group("ward18", "grace", "/supervision"))
			m := f.mark()
			f.checkin(t, "tendai", tc.feb)
			f.checkin(t, "sipho", "1")
			got := f.to("moyo", m)
			if told := len(got) == 1 && strings.Contains(got[0], "tendai (CCW, ward 18) reported burnout in two monthly check-ins running"); told != tc.told || len(got) > 1 {
				t.Errorf("moyo got %q, want told=%v", got, tc.told)
			}
		})
	}
}

// TestSupervisionScheduledDay: on DayOfMonth, outside quiet hours, the ward
// gets one round; a busy CCW is told how to start and can, with
// /supervision in private.
func TestSupervisionScheduledDay(t *testing.T) {
	// Round 3 h: the round closes the same day, so the once-a-month guard
	// is what keeps a second one from starting.
	f := supFixture(t, bot.SupervisionOptions{DayOfMonth: 6, Round: 3 * time.Hour})
	f.say(t, "tendai", "/lang")
	m := f.mark()
	f.tick(t, 12*time.Hour) // 5 January 20:00
	f.tick(t, 8*time.Hour)  // 6 January 04:00, quiet hours
	if n := f.count(t, "SELECT count(*) FROM supervision_rounds"); n != 0 {
		t.Fatalf("%d rounds before the day's quiet hours ended", n)
	}
	f.tick(t, 2*time.Hour) // 06:00
	f.tick(t, time.Hour)
	if n := f.count(t, "SELECT count(*) FROM supervision_rounds WHERE started_by IS NULL"); n != 1 {
		t.Fatalf("%d scheduled rounds, want 1", n)
	}
	if g := f.to("ward18", m); len(g) != 1 || !strings.Contains(g[0], "2 CCWs") {
		t.Errorf("group got %q", g)
	}
	busy := f.to("tendai", m)
	if len(busy) != 1 || !strings.Contains(busy[0], "/supervision") {
		t.Fatalf("busy tendai got %q", busy)
	}
	m = f.mark()
	f.say(t, "tendai", "/supervision")
	if got := joined(f.to("tendai", m)); !strings.Contains(got, "nyaya dzakavhurika") {
		t.Errorf("/supervision did not start the check-in: %q", got)
	}
	// Resuming asks the open question again rather than starting over.
	f.say(t, "tendai", "6")
	m = f.mark()
	f.say(t, "tendai", "/supervision")
	if got := joined(f.to("tendai", m)); !strings.Contains(got, "Makashanyira pamba") {
		t.Errorf("resume: %q", got)
	}
	// The round closes at 09:00; later that day no second round starts,
	// and the same day next month the next one does.
	f.tick(t, 3*time.Hour)
	f.tick(t, time.Hour)
	if n := f.count(t, "SELECT count(*) FROM supervision_rounds WHERE closed_at IS NOT NULL"); n != 1 {
		t.Fatalf("%d closed rounds, want 1", n)
	}
	if n := f.count(t, "SELECT count(*) FROM supervision_rounds"); n != 1 {
		t.Errorf("%d rounds on 6 January, want 1", n)
	}
	f.tick(t, 31*24*time.Hour)
	if n := f.count(t, "SELECT count(*) FROM supervision_rounds WHERE month = '2026-02'"); n != 1 {
		t.Errorf("%d rounds on 6 February, want 1", n)
	}
}
