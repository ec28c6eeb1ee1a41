package whatsapp

// End-to-end tests of the WhatsApp channel: synthetic whatsmeow message
// events go through the adapter's event handler (as whatsmeow calls it,
// returning the success status that decides the receipt) into a real
// bot.Bot on a real SQLite file; the bot's replies leave through the
// adapter's Send into the fake client, and the tests read what WhatsApp
// would have been asked to deliver.
//
// The closure poll and its votes are in closure_e2e_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"carenet/bot"
	"carenet/internal/bottest"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/seal"
	"carenet/store"

	_ "github.com/mattn/go-sqlite3"
)

// The people and chats of the end-to-end tests. The new CCW writes from
// her LID (with her phone number as SenderAlt) and later from her phone
// number alone.
var (
	e2eGroup = types.NewJID("120363000000000001", types.GroupServer)
	e2eLID   = types.NewJID("123456789", types.HiddenUserServer)
	e2ePN    = types.NewJID("263771234567", types.DefaultUserServer)
	e2eLCCW  = types.NewJID("263772000001", types.DefaultUserServer)
	e2eCWO   = types.NewJID("263772000002", types.DefaultUserServer)
	e2eStart = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
)

const (
	e2eInvite = "7K9M-4PQR"
	e2eName   = "Thandiwe Ncube"
	// e2eChild is the child's name given at intake: it must reach no chat.
	e2eChild = "Nomsa Dube"
)

type e2e struct {
	t     *testing.T
	path  string
	db    *store.DB
	bot   *bot.Bot
	cli   *fakeClient
	a     *Adapter
	clock *bottest.Clock
	seq   int
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{t: t, path: filepath.Join(t.TempDir(), "carenet.db"), clock: bottest.NewClock(e2eStart),
		cli: &fakeClient{connected: true}}
	e.a = newAdapter(e.cli, fakeLIDs{}, func() Self { return botSelf }, quietLog())
	e.a.now = e.clock.Now
	e.start()
	t.Cleanup(func() { e.db.Close() })

	ctx := context.Background()
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.CreateDistrict("Demo", "DEM")
		if err != nil {
			return err
		}
		for _, p := range []struct {
			m  casework.Member
			id types.JID
		}{
			{casework.Member{Name: "Grace", Role: casework.LCCW, DistrictID: d.ID, Ward: 18, Lang: "nd"}, e2eLCCW},
			{casework.Member{Name: "Moyo", Role: casework.CWO, DistrictID: d.ID, Lang: "en"}, e2eCWO},
		} {
			id, err := tx.CreateMember(p.m, e.clock.Now())
			if err != nil {
				return err
			}
			if err := tx.AddIdentity(id, chat.WhatsApp, chat.UserID(p.id.String())); err != nil {
				return err
			}
		}
		g := chat.ChatID(e2eGroup.String())
		if err := tx.PutChat(chat.WhatsApp, g, chat.Group, "Ward 18 CCWs"); err != nil {
			return err
		}
		if err := tx.LinkChat(chat.WhatsApp, g, d.ID, 18, e.clock.Now()); err != nil {
			return err
		}
		// As /setup by the Ndebele-speaking LCCW would have set it.
		if err := tx.SetChatLang(chat.WhatsApp, g, "nd"); err != nil {
			return err
		}
		return tx.CreateInvite(casework.Invite{Code: e2eInvite, Role: casework.CCW, DistrictID: d.ID, Ward: 18, Lang: "nd",
			Created: e.clock.Now(), Expires: e.clock.Now().Add(casework.InviteValidity)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// start opens the store and builds a bot over it with the adapter as its
// WhatsApp transport and the adapter's receiver, as `carenet run` does.
// Called again after the store was closed, it is a restart.
func (e *e2e) start() {
	t := e.t
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Path: e.path})
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	b := bottest.NewBot(t, db, bot.Options{Clock: e.clock, Sealer: sealer})
	b.AddTransport(e.a, bot.Limits{})
	if err := b.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	e.bot = b
	e.a.recv = b
}

// event is a message as whatsmeow dispatches it: a sender JID with its
// device, the other id of the sender in SenderAlt, a fresh message id.
func (e *e2e) event(chatJID, sender, alt types.JID, m *waE2E.Message) *events.Message {
	e.seq++
	sender.Device = 12
	mode := types.AddressingModePN
	if sender.Server == types.HiddenUserServer {
		mode = types.AddressingModeLID
	}
	return &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: chatJID, Sender: sender, SenderAlt: alt,
				IsGroup: chatJID.Server == types.GroupServer, AddressingMode: mode},
			ID: fmt.Sprintf("3EB0%016X", e.seq), PushName: e2eName, Timestamp: e.clock.Now(), Type: "text",
		},
		Message:    m,
		RawMessage: m,
	}
}

// private is a message in the member's private chat with the bot, which
// whatsmeow names by the sender's id (non-AD).
func (e *e2e) private(sender, alt types.JID, s string) *events.Message {
	return e.event(sender, sender, alt, text(s))
}

// inGroup is a group message from the member, addressed by LID.
func (e *e2e) inGroup(s string) *events.Message { return e.event(e2eGroup, e2eLID, e2ePN, text(s)) }

// handle runs the adapter's event handler as whatsmeow's event goroutine
// would and fails the test unless it asked for the receipt.
func (e *e2e) handle(evt *events.Message) {
	e.t.Helper()
	if !e.a.handle(evt) {
		e.t.Fatalf("handler returned false for %q: WhatsApp would redeliver it", evt.Message.GetConversation())
	}
}

// flush waits until the bot handled everything and sends what is due.
func (e *e2e) flush() {
	e.t.Helper()
	e.bot.Wait()
	if err := e.bot.Flush(context.Background(), chat.WhatsApp); err != nil {
		e.t.Fatal(err)
	}
}

// deliver handles the events, then delivers the replies, and returns what
// the fake client was asked to send meanwhile.
func (e *e2e) deliver(evts ...*events.Message) []sentMsg {
	e.t.Helper()
	n := e.sentCount()
	for _, evt := range evts {
		e.handle(evt)
	}
	e.flush()
	return e.sentSince(n)
}

func (e *e2e) sentCount() int {
	e.cli.mu.Lock()
	defer e.cli.mu.Unlock()
	return len(e.cli.sent)
}

func (e *e2e) sentSince(n int) []sentMsg {
	e.cli.mu.Lock()
	defer e.cli.mu.Unlock()
	return append([]sentMsg(nil), e.cli.sent[n:]...)
}

func show(ms []sentMsg) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  to %s: %q", m.to, m.msg.GetConversation())
	}
	return b.String()
}

// only checks that exactly one message went out, to the given chat, and
// returns its text.
func only(t *testing.T, ms []sentMsg, to types.JID) string {
	t.Helper()
	if len(ms) != 1 || ms[0].to != to || ms[0].msg.GetConversation() == "" {
		t.Fatalf("want one text message to %s, got %d:%s", to, len(ms), show(ms))
	}
	return ms[0].msg.GetConversation()
}

// register redeems the invite from the new CCW's LID with her phone number
// as SenderAlt, and returns the welcome.
func (e *e2e) register() string {
	e.t.Helper()
	return only(e.t, e.deliver(e.private(e2eLID, e2ePN, "/join "+e2eInvite)), e2eLID)
}

// TestE2ERegistration: /join from a LID with the phone number as SenderAlt
// registers the member in the invite's language (Ndebele), and the phone
// number alone later finds the same member.
func TestE2ERegistration(t *testing.T) {
	e := newE2E(t)
	welcome := e.register()
	if !strings.Contains(welcome, "Siyalamukela ku carenet, "+e2eName) || !strings.Contains(welcome, "iwadi 18") {
		t.Fatalf("welcome not in Ndebele or not for ward 18: %q", welcome)
	}

	// From the phone number alone: no SenderAlt, and no LID map entry
	// (fakeLIDs is empty), so only the stored identity can recognise her.
	got := only(t, e.deliver(e.private(e2ePN, types.EmptyJID, "/mycases")), e2ePN)
	if !strings.Contains(got, "Alilawo amacala avuliweyo") {
		t.Fatalf("/mycases from the phone number: want the Ndebele answer for a member, got %q", got)
	}
	var byLID, byPN *casework.Member
	_ = e.db.View(context.Background(), func(tx *store.Tx) error {
		byLID, _ = tx.MemberByIdentity(chat.WhatsApp, chat.UserID(e2eLID.String()))
		byPN, _ = tx.MemberByIdentity(chat.WhatsApp, chat.UserID(e2ePN.String()))
		return nil
	})
	if byLID == nil || byPN == nil || byLID.ID != byPN.ID || byLID.Role != casework.CCW || byLID.Lang != "nd" {
		t.Fatalf("identities: by LID %+v, by phone %+v", byLID, byPN)
	}
}

// TestE2ENewCaseFromGroup: /newcase in the ward group moves to a private
// Ndebele intake with numbered choices; the case code comes privately and
// the group gets one line with the code and nothing about the child.
func TestE2ENewCaseFromGroup(t *testing.T) {
	e := newE2E(t)
	e.register()
	start := e.sentCount()

	got := e.deliver(e.inGroup("/newcase"))
	if len(got) != 2 || got[0].to != e2eGroup || got[1].to != e2eLID {
		t.Fatalf("/newcase in the group: want one group line, then the first question privately, got%s", show(got))
	}
	if line := got[0].msg.GetConversation(); line != "Thandiwe Ncube, ngilibhalele ngasese." {
		t.Errorf("group line: %q", line)
	}
	if q := got[1].msg.GetConversation(); !strings.Contains(q, "Udaba lolu lwatholakala nini?") {
		t.Errorf("first question not the Ndebele intake: %q", q)
	}

	// The answers, typed privately as numbers and Ndebele words.
	answers := []struct{ in, next string }{
		{"lamuhla", "Udaba lolu luvela ngaphi?\n1) Isikolo\n2) "},
		{"1", "Umntwana uleminyaka emingaki?\n1) iminyaka 0–4\n2) iminyaka 5–9\n3) iminyaka 10–14\n4) iminyaka 15–17"},
		{"3", "Umntwana yintombazana kumbe ngumfana?\n1) Intombazana\n2) "},
		{"intombazana", "Inyanga lomnyaka umntwana azalwa ngawo"},
		{"-", "Yiziphi izinkinga?"},
		{"1 4", "Umntwana usengozini khathesi?"},
		{"yebo", "Umnakekeli womntwana uyakwazi"},
		{"1", "Ibizo lomntwana"},
	}
	for _, a := range answers {
		q := only(t, e.deliver(e.private(e2eLID, e2ePN, a.in)), e2eLID)
		if !strings.Contains(q, a.next) {
			t.Fatalf("after %q: want %q in the next question, got %q", a.in, a.next, q)
		}
	}
	if q := e.sentSince(start)[6].msg.GetConversation(); !strings.Contains(q, "\n13) ") {
		t.Errorf("concerns: want 13 numbered lines, got %q", q)
	}

	got = e.deliver(e.private(e2eLID, e2ePN, e2eChild))
	var private, group, cwo []string
	for _, m := range got {
		switch m.to {
		case e2eLID:
			private = append(private, m.msg.GetConversation())
		case e2eGroup:
			group = append(group, m.msg.GetConversation())
		case e2eCWO:
			cwo = append(cwo, m.msg.GetConversation())
		default:
			t.Errorf("message to %s: %q", m.to, m.msg.GetConversation())
		}
	}
	if len(private) != 1 || !strings.Contains(private[0], "Udaba DEM-00013 luvuliwe (ukuvikeleka kwabantwana)") {
		t.Errorf("case code privately: %q", private)
	}
	if len(group) != 1 || !strings.Contains(group[0], "Udaba olutsha lokuvikeleka kwabantwana DEM-00013 luvulwe ngu "+e2eName) {
		t.Errorf("group line with the code: %q", group)
	}
	if len(cwo) != 1 || !strings.Contains(cwo[0], "DEM-00013") {
		t.Errorf("protection alert to the CWO: %q", cwo)
	}

	// Over the whole intake the group heard two short lines, and no
	// message anywhere repeats the child's name; the group none of the
	// answers about the child.
	var groupLines []string
	for _, m := range e.sentSince(start) {
		s := m.msg.GetConversation()
		if strings.Contains(s, "Nomsa") {
			t.Errorf("child's name sent to %s: %q", m.to, s)
		}
		if m.to == e2eGroup {
			groupLines = append(groupLines, s)
		}
	}
	if len(groupLines) != 2 {
		t.Errorf("group got %d lines, want 2: %q", len(groupLines), groupLines)
	}
	for _, s := range groupLines {
		if strings.Contains(s, "\n") || utf8.RuneCountInString(s) > 120 {
			t.Errorf("group line not one short line: %q", s)
		}
		for _, child := range []string{"Intombazana", "10–14", "Isikolo", "ocansi", "Ukunganakekelwa", "Yebo"} {
			if strings.Contains(s, child) {
				t.Errorf("group line carries %q: %q", child, s)
			}
		}
	}
	var sealed []byte
	_ = e.db.View(context.Background(), func(tx *store.Tx) error {
		c, err := tx.CaseByCode("DEM-00013")
		if err != nil || c == nil {
			t.Errorf("case DEM-00013 not stored: %v", err)
			return nil
		}
		sealed, _ = tx.CaseNameSealed(c.ID)
		return nil
	})
	if len(sealed) == 0 || bytes.Contains(sealed, []byte("Nomsa")) {
		t.Errorf("child's name not stored sealed: %q", sealed)
	}
}

// TestE2ERedeliveryAnsweredOnce: whatsmeow replays a message whose receipt
// was not sent (a crash before the ack): the handler acknowledges every
// copy and the bot answers once. Redelivering /join is the telling case:
// handled twice it would answer "already registered".
func TestE2ERedeliveryAnsweredOnce(t *testing.T) {
	e := newE2E(t)
	join := e.private(e2eLID, e2ePN, "/join "+e2eInvite)
	// Twice before the bot got to it, and once more after it answered.
	got := e.deliver(join, join)
	got = append(got, e.deliver(join)...)
	if welcome := only(t, got, e2eLID); !strings.Contains(welcome, "Siyalamukela") {
		t.Fatalf("want the welcome once, got %q", welcome)
	}

	// The same in the group: one group line and one question.
	newcase := e.inGroup("/newcase")
	got = e.deliver(newcase)
	got = append(got, e.deliver(newcase, newcase)...)
	if len(got) != 2 || got[0].to != e2eGroup || got[1].to != e2eLID {
		t.Fatalf("redelivered group command: want one group line and one question, got%s", show(got))
	}
}

// TestE2EInboxFailureRedelivered: when the inbox write fails the handler
// returns false, so WhatsApp keeps the message and redelivers it; the
// redelivery after a restart is answered once.
func TestE2EInboxFailureRedelivered(t *testing.T) {
	e := newE2E(t)
	e.register()
	mycases := e.private(e2ePN, e2eLID, "/mycases")

	n := e.sentCount()
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	if e.a.handle(mycases) {
		t.Fatal("handler returned true although the inbox write failed: the message would be lost")
	}
	if got := e.sentSince(n); len(got) != 0 {
		t.Fatalf("sent while the store was down:%s", show(got))
	}

	e.start() // restart over the same file; WhatsApp redelivers, twice
	got := e.deliver(mycases, mycases)
	if s := only(t, got, e2eLID); !strings.Contains(s, "Alilawo amacala avuliweyo") { // private chats are keyed on the LID
		t.Fatalf("redelivery answered with %q", s)
	}
}

// TestE2ENonText: an image without a caption gets one translated line in a
// private chat and nothing in the group; either way it is acknowledged.
func TestE2ENonText(t *testing.T) {
	e := newE2E(t)
	e.register()
	image := func() *waE2E.Message {
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(48213)}}
	}

	got := only(t, e.deliver(e.event(e2eLID, e2eLID, e2ePN, image())), e2eLID)
	if got != "carenet ifunda umbhalo kuphela. Ngicela libhale impendulo yenu." {
		t.Fatalf("private image: %q", got)
	}
	if ms := e.deliver(e.event(e2eGroup, e2eLID, e2ePN, image())); len(ms) != 0 {
		t.Fatalf("group image answered:%s", show(ms))
	}
	// In the middle of the intake, too: one line, and the question stays.
	e.deliver(e.inGroup("/newcase"))
	got = only(t, e.deliver(e.event(e2eLID, e2eLID, e2ePN, image())), e2eLID)
	if !strings.Contains(got, "carenet ifunda umbhalo kuphela") {
		t.Fatalf("image during the intake: %q", got)
	}
	if q := only(t, e.deliver(e.private(e2eLID, e2ePN, "lamuhla")), e2eLID); !strings.Contains(q, "1) Isikolo") {
		t.Fatalf("the intake did not go on after the image: %q", q)
	}
}

// TestE2EPrivateReplyUnderPhoneNumber: a question asked in the LID chat is
// answered by a message that arrives under the phone number (LID as
// SenderAlt); the adapter keys the private chat on the LID, so the flow
// goes on.
func TestE2EPrivateReplyUnderPhoneNumber(t *testing.T) {
	e := newE2E(t)
	e.register()
	only(t, e.deliver(e.private(e2eLID, e2ePN, "/newcase")), e2eLID)
	got := only(t, e.deliver(e.private(e2ePN, e2eLID, "lamuhla")), e2eLID)
	if !strings.Contains(got, "1) Isikolo") {
		t.Fatalf("the answer did not reach the open intake: %q", got)
	}
}
