package bot_test

import (
	"carenet/bot"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/store"
)

// caseFixture adds grace (LCCW, ward 18), moyo (CWO) and a second district
// with its own case (HAR-00013) to the base fixture, and has tendai open
// DEM-00013, a protection case, through the intake flow.
func caseFixture(t *testing.T) *fixture {
	t.Helper()
	return caseFixtureOpts(t, bot.Options{})
}

// caseFixtureOpts is caseFixture with bot options (a data key, quiet
// hours, a closure rule).
func caseFixtureOpts(t *testing.T, o bot.Options) *fixture {
	t.Helper()
	f := newFixtureOpts(t, "FULL", o)
	ctx := context.Background()
	err := f.db.Update(ctx, func(tx *store.Tx) error {
		dem, err := tx.DistrictByCode("DEM")
		if err != nil {
			return err
		}
		for _, m := range []casework.Member{
			{Name: "grace", Role: casework.LCCW, DistrictID: dem.ID, Ward: 18, Lang: "en"},
			{Name: "moyo", Role: casework.CWO, DistrictID: dem.ID, Lang: "en"},
		} {
			id, err := tx.CreateMember(m, f.clock.Now())
			if err != nil {
				return err
			}
			if err := tx.AddIdentity(id, chat.Sim, chat.UserID(m.Name)); err != nil {
				return err
			}
		}
		har, err := tx.CreateDistrict("Harare", "HAR")
		if err != nil {
			return err
		}
		ccw, err := tx.CreateMember(casework.Member{Name: "farai", Role: casework.CCW, DistrictID: har.ID, Ward: 1, Lang: "en"}, f.clock.Now())
		if err != nil {
			return err
		}
		_, err = tx.CreateCase(casework.Case{Code: "HAR-00013", DistrictID: har.ID, Ward: 1, CCWID: ccw, Kind: casework.Welfare,
			Status: casework.StatusOpen, Opened: f.clock.Now(), Intake: map[string]string{}}, 1, nil)
		if err != nil {
			return err
		}
		if err := tx.PutChat(chat.Sim, "ward18", chat.Group, ""); err != nil {
			return err
		}
		return tx.LinkChat(chat.Sim, "ward18", dem.ID, 18, f.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	f.say(t, "tendai", "/newcase", "today", "1", "3", "1", "-", "1 7", "no", "1", "-")
	if !f.sawText("DEM-00013") {
		t.Fatalf("case not opened: %q", f.tr.texts())
	}
	return f
}

var msgSeq int

// say delivers private messages from one member.
func (f *fixture) say(t *testing.T, who string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		msgSeq++
		f.deliver(t, dm(who, fmt.Sprint("m", msgSeq), s))
	}
}

func group(chatID, who, text string) chat.Inbound {
	msgSeq++
	return chat.Inbound{Platform: chat.Sim, Chat: chat.ChatID(chatID), Kind: chat.Group, Sender: chat.UserID(who),
		ID: chat.MsgID(fmt.Sprint("g", msgSeq)), Text: text}
}

func (f *fixture) sawText(sub string) bool {
	for _, s := range f.tr.texts() {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// snapshot is the state a refused input must leave alone: every table but
// the inbox and outbox (which take the message and the refusal), with the
// sessions' content.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		"SELECT count(*) FROM members", "SELECT count(*) FROM member_identities", "SELECT count(*) FROM districts",
		"SELECT count(*) FROM cases", "SELECT count(*) FROM case_records", "SELECT count(*) FROM deadlines",
		"SELECT count(*) FROM invites WHERE used_by IS NULL", "SELECT count(*) FROM audit",
		"SELECT count(*) FROM chats WHERE linked = 1",
		"SELECT COALESCE(group_concat(session, '|'), '') FROM conversations",
		"SELECT COALESCE(group_concat(kind || status, '|'), '') FROM cases",
	} {
		var v string
		if err := db.QueryRow(q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintf(&b, "%s = %s\n", q, v)
	}
	return b.String()
}

// TestBadInputChangesNothing: each kind of bad input gets a clear message
// in the sender's language, and leaves cases, members, sessions, invites
// and the audit log as they were.
func TestBadInputChangesNothing(t *testing.T) {
	f := caseFixture(t)
	// tendai is in the middle of a visit, at the "child seen?" question.
	f.say(t, "tendai", "/visit DEM-00013", "today")
	expired := "3333-4444"
	err := f.db.Update(context.Background(), func(tx *store.Tx) error {
		dem, _ := tx.DistrictByCode("DEM")
		return tx.CreateInvite(casework.Invite{Code: expired, Role: casework.CCW, DistrictID: dem.ID, Ward: 18,
			Created: f.clock.Now().AddDate(0, 0, -8), Expires: f.clock.Now().AddDate(0, 0, -1)})
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   chat.Inbound
		to   string // chat that must get the message; "" = nothing may be sent
		want string
	}{
		{"unknown code", dm("tendai", "b1", "/assess DEM-00021"), "tendai", "Hapana nyaya DEM-00021"},
		{"check digit typo", dm("tendai", "b2", "/plan DEM-00014"), "tendai", "nhamba yayo yekupedzisira haienderani"},
		{"not a code", dm("tendai", "b3", "/refer hello"), "tendai", "Iyi haisi kodhi yenyaya"},
		{"code missing", dm("tendai", "b4", "/review"), "tendai", "Isai kodhi yenyaya"},
		{"other district", dm("tendai", "b5", "/case HAR-00013"), "tendai", "HAR-00013"},
		{"no permission", dm("sipho", "b6", "/visit DEM-00013"), "sipho", "Umsebenzi wakho kawuvumeli"},
		{"no permission from the group", group("ward18", "sipho", "/assess DEM-00013"), "sipho", "Umsebenzi wakho kawuvumeli"},
		{"ccw may not invite", dm("tendai", "b7", "/invite ccw"), "tendai", "Basa renyu haritenderi"},
		{"lccw may not invite a cwo", dm("grace", "b8", "/invite cwo"), "grace", "Your role does not allow this"},
		{"ccw may not set up a group", group("ward18", "sipho", "/setup"), "sipho", "Umsebenzi wakho kawuvumeli"},
		{"lccw links only her ward", group("ward19", "grace", "/setup 7"), "grace", "own ward only (ward 18)"},
		{"bad ward", group("ward19", "grace", "/setup seven"), "grace", "number from 1 to 99"},
		{"wrong kind of answer", dm("tendai", "b9", "pamwe"), "tendai", "Ndapota pindurai hongu kana kwete"},
		{"unregistered, private", dm("stranger", "b10", "/newcase"), "stranger", "You are not registered"},
		{"unregistered, group", group("ward18", "stranger", "/newcase DEM-00013"), "", ""},
		{"unknown invite", dm("stranger", "b11", "/join ABCD-EFGH"), "stranger", "That invite code is not known"},
		{"expired invite", dm("stranger", "b12", "/join "+expired), "stranger", "That invite code has expired"},
		{"registered member joins again", dm("sipho", "b13", "/join "+expired), "sipho", "Selibhalisiwe"},
		{"someone else's case in a group note", group("ward18", "sipho", "DEM-00013 ngiyamazi umntwana lo"), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, f.path)
			n := len(f.tr.sent)
			f.deliver(t, tc.in)
			if after := snapshot(t, f.path); after != before {
				t.Errorf("state changed:\nbefore\n%s\nafter\n%s", before, after)
			}
			sent := f.tr.sent[n:]
			if tc.to == "" {
				if len(sent) != 0 {
					t.Fatalf("want silence, got %+v", sent)
				}
				return
			}
			if len(sent) != 1 || string(sent[0].Chat) != tc.to || !strings.Contains(sent[0].Text, tc.want) {
				t.Fatalf("want one message to %s containing %q, got %+v", tc.to, tc.want, sent)
			}
		})
	}
}

// TestGroupLifecycle: a group the bot joins gets one trilingual line and
// no further notice; /setup links it; a migrated group keeps its link; a
// removed group is kept but inactive, so nothing is posted there.
func TestGroupLifecycle(t *testing.T) {
	f := caseFixture(t)
	ev := func(chatID string, e chat.Event, to string) chat.Inbound {
		in := group(chatID, "", "")
		in.Event, in.MigratedTo = e, chat.ChatID(to)
		return in
	}
	n := len(f.tr.sent)
	f.deliver(t, ev("g1", chat.EventJoined, ""), group("g1", "grace", "hello"), group("g1", "tendai", "/help"))
	got := f.tr.sent[n:]
	if len(got) != 2 || !strings.Contains(got[0].Text, "/setup") || !strings.Contains(got[0].Text, "Mhoroi") || !strings.Contains(got[0].Text, "Salibonani") {
		t.Fatalf("after joining: %+v", got)
	}
	f.deliver(t, group("g1", "grace", "/setup"), ev("g1", chat.EventMigrated, "g2"))
	f.say(t, "tendai", "/review DEM-00013", "1", "0", "4", "1/3/2026")
	if !f.sentTo("g2", "DEM-00013 escalated") || f.sentTo("g1", "DEM-00013 escalated") {
		t.Fatalf("escalation line not in the migrated group: %q", f.tr.texts())
	}
	f.deliver(t, ev("g2", chat.EventLeft, ""))
	f.say(t, "tendai", "/review DEM-00013", "1", "0", "4", "1/3/2026")
	if c := f.countTo("g2", "DEM-00013 escalated"); c != 1 {
		t.Fatalf("posted to a group the bot left: %d lines", c)
	}
}

func (f *fixture) sentTo(chatID, sub string) bool { return f.countTo(chatID, sub) > 0 }

func (f *fixture) countTo(chatID, sub string) int {
	f.tr.mu.Lock()
	defer f.tr.mu.Unlock()
	n := 0
	for _, o := range f.tr.sent {
		if string(o.Chat) == chatID && strings.Contains(o.Text, sub) {
			n++
		}
	}
	return n
}

// TestUnlinkedNoticeOnce: an unlinked group hears the /setup line once,
// however many members write.
func TestUnlinkedNoticeOnce(t *testing.T) {
	f := caseFixture(t)
	f.deliver(t, group("g9", "tendai", "mhoro"), group("g9", "sipho", "salibonani"), group("g9", "tendai", "/help"))
	if c := f.countTo("g9", "/setup"); c != 1 {
		t.Fatalf("unlinked notice sent %d times: %q", c, f.tr.texts())
	}
}

// TestSenderAltIsTheSameMember: a member known by one id is found by the
// other (WhatsApp LID and phone number) and both are kept.
func TestSenderAltIsTheSameMember(t *testing.T) {
	f := caseFixture(t)
	in := dm("tendai-lid", "alt1", "/mycases")
	in.SenderAlt = "tendai"
	f.deliver(t, in)
	if !f.sentTo("tendai-lid", "DEM-00013") {
		t.Fatalf("not recognised by the alternate id: %q", f.tr.texts())
	}
	f.deliver(t, dm("tendai-lid", "alt2", "/mycases"))
	if c := f.countTo("tendai-lid", "DEM-00013"); c != 2 {
		t.Fatalf("the new id was not kept: %q", f.tr.texts())
	}
}

// TestGroupNoteStored: a registered member's group message naming their
// case is stored as a note with a reaction, and no text in the group.
func TestGroupNoteStored(t *testing.T) {
	f := caseFixture(t)
	n := len(f.tr.sent)
	in := group("ward18", "tendai", "Ndashanyira dem 00013 nhasi")
	f.deliver(t, in)
	got := f.tr.sent[n:]
	if len(got) != 1 || got[0].ReactTo != in.ID || got[0].ReactToSender != "tendai" {
		t.Fatalf("want one reaction, got %+v", got)
	}
	var notes []casework.Record
	_ = f.db.View(context.Background(), func(tx *store.Tx) error {
		c, _ := tx.CaseByCode("DEM-00013")
		notes, _ = tx.Records(c.ID, "note")
		return nil
	})
	if len(notes) != 1 || notes[0].Data["text"] != in.Text || notes[0].Chat != "sim:ward18" {
		t.Fatalf("notes %+v", notes)
	}
}

// TestUnreachableMember: a send refused because the member blocked the bot
// marks them unreachable, stops retries, and tells their LCCW.
func TestUnreachableMember(t *testing.T) {
	f := caseFixture(t)
	f.tr.fail = func(out chat.Outbound) error {
		if out.Chat == "sipho" {
			return fmt.Errorf("403: %w", chat.ErrUnreachable)
		}
		return nil
	}
	f.say(t, "sipho", "/help")
	var m *casework.Member
	_ = f.db.View(context.Background(), func(tx *store.Tx) error {
		m, _ = tx.MemberByIdentity(chat.Sim, "sipho")
		return nil
	})
	if !m.Unreachable {
		t.Fatal("sipho not marked unreachable")
	}
	if !f.sentTo("grace", "Sipho can no longer be reached") && !f.sentTo("grace", "sipho can no longer be reached") {
		t.Fatalf("grace not told: %q", f.tr.texts())
	}
	_, _, failed, _ := f.db.OutboxCounts(context.Background())
	if failed != 1 {
		t.Fatalf("failed rows = %d, want the one refused message", failed)
	}
}

// TestTurns18: a child born in February 2008 turns 18 on 1 February 2026;
// that day the CCW, the LCCW and the CWO are told the case is proposed for
// closure, once.
func TestTurns18(t *testing.T) {
	f := caseFixture(t)
	f.say(t, "tendai", "/newcase", "today", "1", "4", "2", "2/2008", "10", "no", "1", "-")
	tick := func() {
		if err := f.bot.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.deliver(t)
	}
	f.clock.Add(26 * 24 * time.Hour) // 31 January 2026, 08:00
	tick()
	if f.sawText("turns 18") || f.sawText("makore 18 mwedzi uno") {
		t.Fatal("told before the birthday month")
	}
	f.clock.Add(24 * time.Hour)
	tick()
	tick()
	for _, who := range []string{"tendai", "grace", "moyo"} {
		sub := map[string]string{"tendai": "makore 18 mwedzi uno", "grace": "turns 18", "moyo": "turns 18"}[who]
		if c := f.countTo(who, sub); c != 1 {
			t.Errorf("%s told %d times: %q", who, c, f.tr.texts())
		}
	}
}

// TestStaleButton: a question's choices carry a ref; pressing a button of
// an earlier question is refused and changes nothing, the current one is
// taken.
func TestStaleButton(t *testing.T) {
	f := caseFixture(t)
	f.say(t, "tendai", "/visit DEM-00013", "today")
	var second string // the ref of the open question
	for _, o := range f.tr.sent {
		if o.Chat == "tendai" && len(o.Choices) > 0 && o.Ref != "" {
			second = o.Ref
		}
	}
	if second == "" || !strings.HasPrefix(second, "visit.") {
		t.Fatalf("no ref on the question: %+v", f.tr.sent[len(f.tr.sent)-1])
	}
	press := func(ref, n string) {
		msgSeq++
		in := dm("tendai", fmt.Sprint("cb", msgSeq), n)
		in.Ref = ref
		f.deliver(t, in)
	}
	before := snapshot(t, f.path)
	press("visit.1.progress", "1")
	if after := snapshot(t, f.path); after != before || !f.sawText("Mubvunzo iwoyo wakapfuura") {
		t.Fatalf("stale button taken: %q", f.tr.texts())
	}
	press(second, "1") // "child seen?" yes
	if !f.sawText("Pane njodzi kuchengeteka kwemwana here?") {
		t.Fatalf("current button not taken: %q", f.tr.texts())
	}
}
