package bot_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"carenet/bot"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/seal"
	"carenet/store"
)

// In caseFixture the eligible voters on DEM-00013 (ward 18) are tendai
// (its CCW), sipho, grace (LCCW) and moyo (CWO): four, so the quorum is
// min(3, 2) = 2.

// welfareCase adds a welfare case of tendai's in ward 18 and returns its
// code.
func welfareCase(t *testing.T, f *fixture) string {
	t.Helper()
	var code string
	err := f.db.Update(context.Background(), func(tx *store.Tx) error {
		dem, err := tx.DistrictByCode("DEM")
		if err != nil {
			return err
		}
		tendai, err := tx.MemberByIdentity(chat.Sim, "tendai")
		if err != nil {
			return err
		}
		serial, err := tx.NextCaseSerial(dem.ID)
		if err != nil {
			return err
		}
		if code, err = casework.NewCode("DEM", serial); err != nil {
			return err
		}
		_, err = tx.CreateCase(casework.Case{Code: code, DistrictID: dem.ID, Ward: 18, CCWID: tendai.ID, Kind: casework.Welfare,
			Status: casework.StatusOpen, Opened: f.clock.Now(), Intake: map[string]string{}}, serial, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// propose has moyo propose closing code with criterion crit and returns the
// poll id the transport gave the ward18 poll.
func (f *fixture) propose(t *testing.T, code string, answers ...string) string {
	t.Helper()
	f.say(t, "moyo", append([]string{"/close " + code}, answers...)...)
	f.tr.mu.Lock()
	defer f.tr.mu.Unlock()
	for i := len(f.tr.sent) - 1; i >= 0; i-- {
		if o := f.tr.sent[i]; o.Poll != nil && o.Chat == "ward18" {
			return "poll-" + f.tr.keys[i]
		}
	}
	t.Fatalf("no poll in ward18: %q", f.tr.texts())
	return ""
}

// vote delivers a native poll answer; no options withdraws the vote.
func (f *fixture) vote(t *testing.T, who, pollID string, options ...int) {
	t.Helper()
	msgSeq++
	f.deliver(t, chat.Inbound{Platform: chat.Sim, Kind: chat.Group, Sender: chat.UserID(who), ID: chat.MsgID(fmt.Sprint("v", msgSeq)),
		Vote: &chat.Vote{PollID: pollID, Options: options}})
}

// audits returns "action detail" of the case's audit entries.
func (f *fixture) audits(t *testing.T, code string) []string {
	t.Helper()
	var out []string
	err := f.db.View(context.Background(), func(tx *store.Tx) error {
		c, err := tx.CaseByCode(code)
		if err != nil || c == nil {
			return fmt.Errorf("case %s: %v", code, err)
		}
		es, err := tx.AuditLog(c.ID)
		for _, e := range es {
			out = append(out, e.Action+" "+e.Detail)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hasAudit(entries []string, prefix string) bool {
	for _, e := range entries {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// TestClosureVoteAtDeadline: ineligible voters are ignored and counted,
// the latest vote counts, a withdrawn vote is no vote, and the vote stays
// open until its deadline when not everyone voted.
func TestClosureVoteAtDeadline(t *testing.T) {
	f := caseFixture(t)
	poll := f.propose(t, "DEM-00013", "1")
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusClosureVote {
		t.Fatalf("status %s after the proposal", c.Status)
	}
	f.vote(t, "stranger", poll, 0) // not registered
	f.vote(t, "farai", poll, 0)    // another district
	f.vote(t, "farai", poll, 1)    // counted once
	f.vote(t, "sipho", poll, 1)
	f.vote(t, "sipho", poll, 0) // changed: agree
	f.vote(t, "tendai", poll, 0)
	f.vote(t, "tendai", poll) // withdrawn
	f.vote(t, "grace", poll, 0)
	f.tick(t, 47*time.Hour)
	if f.sentTo("ward18", "closure vote") {
		t.Fatalf("decided before the deadline: %q", f.tr.texts())
	}
	f.tick(t, time.Hour+time.Minute)
	if n := f.countTo("ward18", "DEM-00013: closure vote passed (2 agree, 0 not yet, 0 conference)"); n != 1 {
		t.Fatalf("%d result lines: %q", n, f.tr.texts())
	}
	want := "closure.result passed; eligible 4, quorum 2; agree 2 [sipho grace]; not yet 0 []; conference 0 []; ignored 2"
	if a := f.audits(t, "DEM-00013"); !hasAudit(a, want) {
		t.Errorf("audit lacks %q: %q", want, a)
	}
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusAwaitingCWO {
		t.Errorf("status %s, want awaiting_cwo", c.Status)
	}
	// The half-way reminder went to those who had not voted: tendai (who
	// withdrew) and moyo, once.
	if n := f.countTo("moyo", "closes"); n != 1 {
		t.Errorf("moyo reminded %d times", n)
	}
	if !f.sentTo("tendai", "DEM-00013") || f.countTo("grace", "closes") != 0 {
		t.Errorf("reminders: %q", f.tr.texts())
	}
	// A vote after the result changes nothing and is told so.
	f.vote(t, "tendai", poll, 1)
	if !f.sentTo("tendai", "has closed") && !f.sentTo("tendai", "yapera") {
		t.Errorf("late voter not told: %q", f.tr.texts())
	}
}

// TestClosureEveryoneVoted: the vote closes as soon as every eligible
// member has voted; a statutory case then needs the CWO and the province.
func TestClosureEveryoneVoted(t *testing.T) {
	f := caseFixture(t)
	addMember(t, f, casework.Member{Name: "dube", Role: casework.Provincial, Lang: "en"})
	addMember(t, f, casework.Member{Name: "chido", Role: casework.CMO, Lang: "en"})
	poll := f.propose(t, "DEM-00013", "3")
	for _, who := range []string{"tendai", "sipho", "grace", "moyo"} {
		f.vote(t, who, poll, 0)
	}
	if f.sentTo("ward18", "passed") {
		t.Fatalf("decided before chido (CMO) voted: %q", f.tr.texts())
	}
	f.vote(t, "chido", poll, 1)
	if !f.sentTo("ward18", "DEM-00013: closure vote passed (4 agree, 1 not yet, 0 conference)") {
		t.Fatalf("no early result: %q", f.tr.texts())
	}
	// The CMO and the provincial officer cannot approve for the CWO.
	f.say(t, "chido", "/approve DEM-00013")
	f.say(t, "dube", "/approve DEM-00013")
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusAwaitingCWO {
		t.Fatalf("status %s after refused approvals", c.Status)
	}
	f.say(t, "moyo", "1") // the private prompt: approve
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusAwaitingProvincial {
		t.Fatalf("statutory case: status %s after the CWO, want awaiting_provincial", c.Status)
	}
	if !f.sentTo("dube", "Authorise with /approve DEM-00013") {
		t.Fatalf("province not asked: %q", f.tr.texts())
	}
	// The group hears nothing between the CWO and the province: a
	// statutory case's waiting would tell the ward what a private screen
	// may have found.
	if f.sentTo("ward18", "rovincial") {
		t.Errorf("the group heard of the provincial step: %q", f.tr.texts())
	}
	f.say(t, "dube", "/approve DEM-00013")
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusClosed {
		t.Fatalf("status %s, want closed", c.Status)
	}
	if !f.sentTo("ward18", "DEM-00013: case closed (3: the child died)") {
		t.Errorf("no closed line: %q", f.tr.texts())
	}
	a := f.audits(t, "DEM-00013")
	for _, want := range []string{"closure.approve cwo", "closure.authorise provincial", "case.close criterion 3; cwo moyo"} {
		if !hasAudit(a, want) {
			t.Errorf("audit lacks %q: %q", want, a)
		}
	}
	// A closed case takes no more work.
	before := snapshot(t, f.path)
	f.say(t, "tendai", "/visit DEM-00013", "/conference DEM-00013")
	f.say(t, "moyo", "/conference DEM-00013", "/close DEM-00013")
	if after := snapshot(t, f.path); after != before {
		t.Fatalf("work on a closed case changed something:\n%s\nvs\n%s", before, after)
	}
	if !f.sentTo("tendai", "DEM-00013 yakavharwa") || f.countTo("moyo", "DEM-00013 is closed. A CWO can reopen it") != 2 {
		t.Errorf("closed case refusals: %q", f.tr.texts())
	}
	// Reopening: only the CWO, only with a reason.
	f.say(t, "grace", "/reopen DEM-00013 new report")
	f.say(t, "moyo", "/reopen DEM-00013")
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusClosed {
		t.Fatalf("reopened without a reason or by an LCCW: %s", c.Status)
	}
	f.say(t, "moyo", "/reopen DEM-00013 new report")
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusOpen {
		t.Fatalf("status %s after /reopen", c.Status)
	}
}

func addMember(t *testing.T, f *fixture, m casework.Member) int64 {
	t.Helper()
	var id int64
	err := f.db.Update(context.Background(), func(tx *store.Tx) error {
		if m.DistrictID == 0 {
			dem, err := tx.DistrictByCode("DEM")
			if err != nil {
				return err
			}
			m.DistrictID = dem.ID
		}
		var err error
		if id, err = tx.CreateMember(m, f.clock.Now()); err != nil {
			return err
		}
		return tx.AddIdentity(id, chat.Sim, chat.UserID(m.Name))
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestClosureOutcomes: the CCW's "Needs a case conference" schedules one,
// too few votes and a tie leave the case open.
func TestClosureOutcomes(t *testing.T) {
	for name, tc := range map[string]struct {
		votes map[string]int
		line  string
	}{
		"ccw veto":  {map[string]int{"tendai": 2, "sipho": 0, "grace": 0}, "DEM-00013: a case conference is needed before closing"},
		"no quorum": {map[string]int{"grace": 0}, "DEM-00013: too few votes (1, 2 needed)"},
		"tie":       {map[string]int{"grace": 0, "sipho": 1}, "DEM-00013: closure vote did not pass (1 agree, 1 not yet, 0 conference)"},
	} {
		t.Run(name, func(t *testing.T) {
			f := caseFixture(t)
			poll := f.propose(t, "DEM-00013", "1")
			for who, b := range tc.votes {
				f.vote(t, who, poll, b)
			}
			f.tick(t, 49*time.Hour)
			if !f.sentTo("ward18", tc.line) {
				t.Fatalf("want %q in ward18: %q", tc.line, f.tr.texts())
			}
			if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusOpen {
				t.Errorf("status %s, want open", c.Status)
			}
			conf := f.sentTo("grace", "/conference DEM-00013")
			if conf != (name == "ccw veto") {
				t.Errorf("conference asked of grace: %v", conf)
			}
			// A new proposal may follow.
			f.say(t, "moyo", "/close DEM-00013", "1")
			if n := f.countTo("moyo", "is open in the ward group"); n != 2 {
				t.Errorf("%d votes opened, want a second one: %q", n, f.tr.texts())
			}
		})
	}
}

// TestClosureTypedVote: typing the option number in the group votes, with
// a reaction; a number from an unregistered member or with no open poll is
// just chatter.
func TestClosureTypedVote(t *testing.T) {
	f := caseFixture(t)
	f.deliver(t, group("ward18", "grace", "1"))
	poll := f.propose(t, "DEM-00013", "1")
	f.deliver(t, group("ward18", "grace", "1"), group("ward18", "stranger", "2"), group("ward18", "sipho", " 2. "))
	f.vote(t, "sipho", poll, 0) // the native vote replaces the typed one
	f.tick(t, 49*time.Hour)
	if !f.sentTo("ward18", "closure vote passed (2 agree, 0 not yet, 0 conference)") {
		t.Fatalf("typed votes not counted: %q", f.tr.texts())
	}
	reactions := 0
	for _, o := range f.tr.sent {
		if o.ReactTo != "" && o.Chat == "ward18" {
			reactions++
		}
	}
	if reactions != 2 {
		t.Errorf("%d reactions, want 2 (grace and sipho)", reactions)
	}
}

// TestClosureQuietHours: a vote ending at night is decided when the quiet
// hours end, on the votes cast before its deadline.
func TestClosureQuietHours(t *testing.T) {
	night := func(t time.Time) bool { h := t.Hour(); return h >= 20 || h < 6 }
	f := caseFixtureOpts(t, bot.Options{Quiet: night})
	f.clock.Add(13 * time.Hour) // 21:00: the proposal itself is not a reminder
	poll := f.propose(t, "DEM-00013", "1")
	f.vote(t, "grace", poll, 0)
	f.vote(t, "sipho", poll, 0)
	f.tick(t, 48*time.Hour+time.Minute) // 21:01, two days on
	if f.sentTo("ward18", "closure vote") {
		t.Fatalf("result posted in quiet hours: %q", f.tr.texts())
	}
	f.vote(t, "tendai", poll, 2) // after the deadline: not counted
	f.tick(t, 9*time.Hour)       // 06:01
	if !f.sentTo("ward18", "closure vote passed (2 agree") {
		t.Fatalf("no result after quiet hours: %q", f.tr.texts())
	}
}

// TestClosureEveryoneVotedAtNight: the last vote coming in at night closes
// the vote in the morning, not at once.
func TestClosureEveryoneVotedAtNight(t *testing.T) {
	night := func(t time.Time) bool { h := t.Hour(); return h >= 20 || h < 6 }
	f := caseFixtureOpts(t, bot.Options{Quiet: night})
	poll := f.propose(t, "DEM-00013", "1")
	f.clock.Add(14 * time.Hour) // 22:00
	for _, who := range []string{"tendai", "sipho", "grace", "moyo"} {
		f.vote(t, who, poll, 0)
	}
	if f.sentTo("ward18", "closure vote") || f.sentTo("moyo", "Approve") {
		t.Fatalf("result posted at night: %q", f.tr.texts())
	}
	f.tick(t, 8*time.Hour+time.Minute) // 06:01
	if n := f.countTo("ward18", "closure vote passed (4 agree"); n != 1 {
		t.Fatalf("%d result lines in the morning: %q", n, f.tr.texts())
	}
}

// TestClosureNoProvincialOfficer: a statutory closure the CWO approved
// says so when no provincial officer is registered to authorise it.
func TestClosureNoProvincialOfficer(t *testing.T) {
	f := caseFixture(t)
	poll := f.propose(t, "DEM-00013", "1")
	for _, who := range []string{"tendai", "sipho", "grace", "moyo"} {
		f.vote(t, who, poll, 0)
	}
	f.say(t, "moyo", "/approve DEM-00013")
	if !f.sentTo("moyo", "No provincial officer is registered for this district") {
		t.Fatalf("CWO not told: %q", f.tr.texts())
	}
	if c := f.caseOf(t, "DEM-00013"); c.Status != casework.StatusAwaitingProvincial {
		t.Errorf("status %s", c.Status)
	}
}

// TestClosureTransfer: criterion 4 names the receiving district; an
// unknown or the same district changes nothing; once approved the case
// moves, its CWO is told, and its duties in the old district end.
func TestClosureTransfer(t *testing.T) {
	f := caseFixture(t)
	code := welfareCase(t, f)
	var har int64
	if err := f.db.View(context.Background(), func(tx *store.Tx) error {
		d, err := tx.DistrictByCode("HAR")
		har = d.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, f.path)
	f.say(t, "moyo", "/close "+code, "4", "Atlantis")
	f.say(t, "moyo", "/close "+code, "4", "demo")
	f.say(t, "moyo", "/close "+code, "4", "Harare") // nobody there to receive it
	if !f.sentTo("moyo", "Harare has no CWO registered") {
		t.Errorf("a district without a CWO not refused: %q", f.tr.texts())
	}
	if after := snapshot(t, f.path); after != before {
		t.Fatalf("a bad district changed something:\n%s\nvs\n%s", before, after)
	}
	hcwo := addMember(t, f, casework.Member{Name: "nyasha", Role: casework.CWO, DistrictID: har, Lang: "en"})
	poll := f.propose(t, code, "4", "har")
	for _, who := range []string{"tendai", "sipho", "grace", "moyo"} {
		f.vote(t, who, poll, 0)
	}
	f.say(t, "moyo", "/approve "+code)
	c := f.caseOf(t, code)
	if c.DistrictID != har || c.CCWID != hcwo || c.Status != casework.StatusOpen || c.Ward != 0 {
		t.Fatalf("after transfer: %+v", c)
	}
	if !f.sentTo("ward18", code+": transferred to Harare district") || !f.sentTo("nyasha", code+" was transferred to your district from Demo") {
		t.Fatalf("transfer not told: %q", f.tr.texts())
	}
	// The old district no longer reaches it; the new CWO does.
	f.say(t, "moyo", "/case "+code)
	f.say(t, "nyasha", "/case "+code)
	if !f.sentTo("moyo", "Case "+code+" belongs to another district.") {
		t.Errorf("the old district still reaches the case: %q", f.tr.texts())
	}
	if !f.sentTo("nyasha", code+" · welfare · open") {
		t.Errorf("receiving CWO cannot see the case: %q", f.tr.texts())
	}
	// The sending district goes on numbering after the transferred case
	// (its newest), instead of issuing its code again.
	n := len(f.tr.texts())
	f.say(t, "tendai", "/newcase", "today", "1", "3", "1", "-", "8", "no", "1", "-")
	next, err := casework.NewCode("DEM", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.tr.texts()[n:], "\n"); !strings.Contains(got, next) {
		t.Errorf("the intake after the transfer did not open %s:\n%s", next, got)
	}
}

// TestTurns18OpensVote: the 18th birthday opens a criterion-2 vote by
// carenet itself.
func TestTurns18OpensVote(t *testing.T) {
	f := caseFixture(t)
	code := welfareCase(t, f)
	err := f.db.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.CaseByCode(code)
		if err != nil {
			return err
		}
		return tx.AddDeadline(c.ID, casework.DueTurns18, f.clock.Now().Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	f.tick(t, 2*time.Hour)
	var q string
	for _, o := range f.tr.sent {
		if o.Poll != nil {
			q = o.Poll.Question
		}
	}
	if q != "Close "+code+"? (2: reached 18)" {
		t.Fatalf("poll question %q", q)
	}
	if a := f.audits(t, code); !hasAudit(a, "closure.propose criterion 2") {
		t.Errorf("audit: %q", a)
	}
}

// TestConferenceGroupSafe: the group gets only the summary DOMAIN.md §5
// allows, whatever the private record holds; the decisions are sealed at
// rest; actions become plan deadlines and the next review a deadline.
func TestConferenceGroupSafe(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f := caseFixtureOpts(t, bot.Options{Sealer: sealer})
	secret := "Chipo Moyo, 14, Mbare Primary, Chitungwiza village, HIV positive, abused by her uncle"
	f.say(t, "grace", "/conference DEM-00013", "today", "3", "1 2 5 6 7 8", secret, "1",
		"4", "1", "20/1/2026", "yes", "1", "5", "31/1/2026", "no", "yes", "5/7/2026")
	var line string
	for _, o := range f.tr.sent {
		if o.Chat == "ward18" && strings.Contains(o.Text, "case conference") {
			line = o.Text
		}
	}
	want := "DEM-00013 · case conference 5/1/2026 · Multi-agency meeting · decision: Continue · actions: CCW by 20/1/2026, School by 31/1/2026 · next review 5/7/2026 · CWO approval pending"
	if line != want {
		t.Fatalf("group summary:\n got %q\nwant %q", line, want)
	}
	// Nothing of the private record in any group message: no word of the
	// decisions, no participants, no action types (clinic/HIV care).
	for _, o := range f.tr.sent {
		if o.Chat != "ward18" {
			continue
		}
		for _, w := range append(strings.Fields(strings.NewReplacer(",", "", ".", "").Replace(secret)), "Clinic", "HIV", "BEAM", "child", "Caregiver") {
			if len(w) > 2 && strings.Contains(o.Text, w) {
				t.Errorf("group message %q contains %q", o.Text, w)
			}
		}
	}
	db, err := sql.Open("sqlite3", "file:"+f.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM case_records WHERE data LIKE '%Mbare%' OR data LIKE '%uncle%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("decisions in clear at rest: %d rows (%v)", n, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM deadlines WHERE kind = 'plan_action' AND done_at IS NULL`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d open plan deadlines, want 2 (%v)", n, err)
	}
	if !f.sentTo("moyo", "Approve with /approve DEM-00013") {
		t.Fatalf("CWO not asked to approve: %q", f.tr.texts())
	}
	f.say(t, "moyo", "/approve DEM-00013")
	if !f.sentTo("ward18", "DEM-00013: conference of 5/1/2026 approved by the CWO.") {
		t.Errorf("no approval line: %q", f.tr.texts())
	}
	f.say(t, "moyo", "/approve DEM-00013")
	if !f.sentTo("moyo", "has nothing waiting for your approval") {
		t.Errorf("second approval not refused: %q", f.tr.texts())
	}
}

// TestVoteBeforePollRecorded: a vote whose poll id is not known yet while
// a closure poll is still being sent is retried and, if the poll never
// shows, recorded as failed rather than silently dropped; with no poll in
// flight a vote on a foreign poll is simply ignored.
func TestVoteBeforePollRecorded(t *testing.T) {
	f := caseFixture(t)
	ctx := context.Background()
	for _, text := range []string{"/close DEM-00013", "1"} {
		msgSeq++
		if err := f.bot.Receive(ctx, dm("moyo", fmt.Sprint("m", msgSeq), text)); err != nil {
			t.Fatal(err)
		}
		f.bot.Wait()
	}
	// The poll is queued, not sent: its id is not known yet.
	vote := func(id string) {
		msgSeq++
		if err := f.bot.Receive(ctx, chat.Inbound{Platform: chat.Sim, Kind: chat.Group, Sender: "grace",
			ID: chat.MsgID(fmt.Sprint("v", msgSeq)), Vote: &chat.Vote{PollID: id, Options: []int{0}}}); err != nil {
			t.Fatal(err)
		}
		f.bot.Wait()
	}
	inboxError := func() string {
		db, err := sql.Open("sqlite3", "file:"+f.path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var e sql.NullString
		if err := db.QueryRow(`SELECT error FROM inbox ORDER BY seq DESC LIMIT 1`).Scan(&e); err != nil {
			t.Fatal(err)
		}
		return e.String
	}
	vote("poll-early")
	if e := inboxError(); !strings.Contains(e, "not recorded yet") {
		t.Fatalf("early vote: inbox error %q, want it kept as failed", e)
	}
	if err := f.bot.Flush(ctx, chat.Sim); err != nil {
		t.Fatal(err)
	}
	vote("someone-elses-poll")
	if e := inboxError(); e != "" {
		t.Fatalf("foreign poll vote: inbox error %q, want it ignored", e)
	}
}
