package telegram_test

// End-to-end tests of the Telegram channel: the fake Bot API of
// fake_test.go (httptest, loopback, real wire format) ↔ the real tgbotapi
// client inside telegram.Adapter ↔ a real bot.Bot on a real SQLite file,
// with the adapter as the bot's Telegram transport. Every assertion is on
// what the fake received, waited for by polling with a deadline.
//
// The closure poll answered by three members (issue 4, "## Tests") is in
// closure_e2e_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"carenet/bot"
	"carenet/bot/telegram"
	"carenet/flows"
	"carenet/internal/bottest"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/l10n"
	"carenet/internal/seal"
	"carenet/store"
)

// harare is Africa/Harare (CAT, no daylight saving) without needing tzdata.
var harare = time.FixedZone("CAT", 2*60*60)

// t0 is 2026-01-05 08:00 in Harare.
var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, harare)

// user is a Telegram account; its private chat has the same id.
type user struct {
	ID   int64
	Name string
	Lang string
}

func (u user) chat() string { return strconv.FormatInt(u.ID, 10) }

func (u user) json() string {
	return fmt.Sprintf(`{"id":%d,"is_bot":false,"first_name":%q,"language_code":%q}`, u.ID, u.Name, u.Lang)
}

var (
	rudo  = user{7001, "Rudo", "sn"}  // joins as a CCW of ward 18 by invite
	grace = user{7002, "Grace", "en"} // LCCW, ward 18
	moyo  = user{7003, "Moyo", "en"}  // CWO
)

const (
	ward18Group = "-1001"
	superGroup  = "-1001000000001" // ward18Group after becoming a supergroup
	inviteCode  = "3467-9ACD"
	firstCase   = "DEM-00013"
)

// sentMsg is a message as the fake answered it.
type sentMsg struct {
	ID   int
	Chat string
	Text string // as sent: HTML-escaped
}

// sentPoll is a poll as the fake answered it.
type sentPoll struct {
	MsgID  int
	Chat   string
	PollID string
}

// wireLog sits between the client and the fake and notes the message and
// poll ids the fake hands out, which its request log does not keep, so a
// button press can name the message it was pressed on and a poll answer
// the poll it answers.
type wireLog struct {
	base  http.RoundTripper
	mu    sync.Mutex
	msgs  []sentMsg
	polls []sentPoll
}

func (w *wireLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(r)
	isPoll := strings.HasSuffix(r.URL.Path, "/sendPoll")
	if err != nil || !strings.HasSuffix(r.URL.Path, "/sendMessage") && !isPoll {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var env struct {
		OK     bool `json:"ok"`
		Result struct {
			MessageID int `json:"message_id"`
			Chat      struct {
				ID int64 `json:"id"`
			} `json:"chat"`
			Text string `json:"text"`
			Poll *struct {
				ID string `json:"id"`
			} `json:"poll"`
		} `json:"result"`
	}
	if json.Unmarshal(body, &env) == nil && env.OK {
		chatID := strconv.FormatInt(env.Result.Chat.ID, 10)
		w.mu.Lock()
		if isPoll {
			if env.Result.Poll != nil {
				w.polls = append(w.polls, sentPoll{env.Result.MessageID, chatID, env.Result.Poll.ID})
			}
		} else {
			w.msgs = append(w.msgs, sentMsg{env.Result.MessageID, chatID, env.Result.Text})
		}
		w.mu.Unlock()
	}
	return resp, nil
}

// sentPolls returns the polls the fake answered so far.
func (w *wireLog) sentPolls() []sentPoll {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]sentPoll(nil), w.polls...)
}

// messageID is the id the fake gave the last message to chatID with text.
func (w *wireLog) messageID(chatID, text string) (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.msgs) - 1; i >= 0; i-- {
		if m := w.msgs[i]; m.Chat == chatID && m.Text == text {
			return m.ID, true
		}
	}
	return 0, false
}

type harness struct {
	t      *testing.T
	fake   *telegram.FakeAPI
	wire   *wireLog
	db     *store.DB
	clock  *bottest.Clock
	bundle *l10n.Bundle
	engine *flows.Engine
	sealer *seal.Sealer

	nextUpdate, nextMsg int

	bot  *bot.Bot
	stop func()
}

// newHarness opens a database on a temporary file and seeds district Demo
// (DEM), the ward-18 group linked, Grace (LCCW) and Moyo (CWO) with their
// Telegram ids, and an unused invite for a Shona-speaking CCW of ward 18.
// Nothing runs until start.
func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	fake := telegram.NewFakeAPI(t)
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "carenet.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bundle, engine := bottest.Content(t)
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: fake, db: db, clock: bottest.NewClock(t0), bundle: bundle, engine: engine, sealer: sealer,
		wire: &wireLog{base: fake.HTTPClient().Transport}, nextUpdate: 1000, nextMsg: 1}
	now := h.clock.Now()
	err = db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.CreateDistrict("Demo", "DEM")
		if err != nil {
			return err
		}
		var lead int64
		for _, m := range []struct {
			u    user
			role casework.Role
			ward int
		}{{grace, casework.LCCW, 18}, {moyo, casework.CWO, 0}} {
			id, err := tx.CreateMember(casework.Member{Name: m.u.Name, Role: m.role, DistrictID: d.ID, Ward: m.ward, Lang: m.u.Lang}, now)
			if err != nil {
				return err
			}
			if err := tx.AddIdentity(id, chat.Telegram, chat.UserID(m.u.chat())); err != nil {
				return err
			}
			if m.role == casework.LCCW {
				lead = id
			}
		}
		if err := tx.PutChat(chat.Telegram, ward18Group, chat.Group, "Ward 18"); err != nil {
			return err
		}
		if err := tx.LinkChat(chat.Telegram, ward18Group, d.ID, 18, now); err != nil {
			return err
		}
		return tx.CreateInvite(casework.Invite{Code: inviteCode, Role: casework.CCW, DistrictID: d.ID, Ward: 18, Lang: "sn",
			CreatedBy: lead, Created: now, Expires: now.Add(casework.InviteValidity)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// start runs what `carenet run` runs for Telegram: a bot over the
// database, the adapter as its transport, the outbox sender and the
// getUpdates loop. It may be called again after stop (a restart).
func (h *harness) start() {
	t := h.t
	t.Helper()
	b := bottest.NewBot(t, h.db, bot.Options{Engine: h.engine, Bundle: h.bundle,
		Clock: h.clock, Location: harare, Sealer: h.sealer,
		Outbox: bot.OutboxOptions{MaxAttempts: 5, BackoffMin: 100 * time.Millisecond, BackoffMax: 400 * time.Millisecond}})
	a, err := telegram.New(context.Background(), telegram.Options{Token: telegram.FakeToken, APIEndpoint: h.fake.Endpoint(),
		HTTPClient: &http.Client{Transport: h.wire}, PollTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b.AddTransport(a, bot.Limits{})
	ctx := context.Background()
	if err := b.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	recvCtx, stopRecv := context.WithCancel(ctx)
	sendCtx, stopSend := context.WithCancel(ctx)
	recvDone, sendDone := make(chan error, 1), make(chan error, 1)
	go func() { sendDone <- b.RunSender(sendCtx, chat.Telegram) }()
	go func() { recvDone <- a.Run(recvCtx, b, h.db) }()
	var once sync.Once
	h.bot = b
	h.stop = func() {
		once.Do(func() {
			// Receiving stops first, then handling finishes, then sending.
			stopRecv()
			h.await("Run", recvDone)
			b.Wait()
			stopSend()
			h.await("RunSender", sendDone)
		})
	}
	t.Cleanup(h.stop)
}

func (h *harness) await(what string, done <-chan error) {
	select {
	case err := <-done:
		if err != nil {
			h.t.Errorf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		h.t.Errorf("%s did not return after cancel", what)
	}
}

// pushRaw queues an update with a given id and body.
func (h *harness) pushRaw(id int, body string) { h.fake.Push(id, body) }

// push queues an update with the next update_id and returns its id and body.
func (h *harness) push(body string) (int, string) {
	h.nextUpdate++
	h.pushRaw(h.nextUpdate, body)
	return h.nextUpdate, body
}

func (h *harness) date() int64 { return h.clock.Now().Unix() }

// textBody is a text message from u in their private chat, as Telegram
// sends it.
func (h *harness) textBody(u user, text string) string {
	h.nextMsg++
	c := fmt.Sprintf(`{"id":%d,"type":"private","first_name":%q}`, u.ID, u.Name)
	ent := ""
	if strings.HasPrefix(text, "/") {
		n := strings.IndexByte(text+" ", ' ')
		ent = fmt.Sprintf(`,"entities":[{"type":"bot_command","offset":0,"length":%d}]`, len(utf16.Encode([]rune(text[:n]))))
	}
	return fmt.Sprintf(`"message":{"message_id":%d,"date":%d,"chat":%s,"from":%s,"text":%q%s}`,
		h.nextMsg, h.date(), c, u.json(), text, ent)
}

// sent returns the sendMessage calls the fake received for chatID.
func (h *harness) sent(chatID string) []url.Values {
	var out []url.Values
	for _, c := range h.fake.Calls("sendMessage") {
		if c.Get("chat_id") == chatID {
			out = append(out, c)
		}
	}
	return out
}

// waitSent waits until chatID has had at least n sendMessage calls.
func (h *harness) waitSent(chatID string, n int) []url.Values {
	h.t.Helper()
	var got []url.Values
	telegram.Eventually(h.t, fmt.Sprintf("%d messages to %s", n, chatID), func() bool {
		got = h.sent(chatID)
		return len(got) >= n
	})
	return got
}

// text is a sent message's text as the member reads it.
func text(v url.Values) string { return html.UnescapeString(v.Get("text")) }

func texts(vs []url.Values) []string {
	var out []string
	for _, v := range vs {
		out = append(out, text(v))
	}
	return out
}

// say sends text from u in their private chat and returns the reply.
func (h *harness) say(u user, s string) url.Values {
	h.t.Helper()
	n := len(h.sent(u.chat()))
	h.push(h.textBody(u, s))
	return h.waitSent(u.chat(), n+1)[n]
}

type keyboard struct {
	InlineKeyboard [][]struct {
		Text         string `json:"text"`
		CallbackData string `json:"callback_data"`
	} `json:"inline_keyboard"`
}

// press taps button n (from 1) of the keyboard the fake received with
// question, as Telegram reports it: a callback_query carrying the button's
// callback_data and the message it is on. It returns the reply and the
// pressed message's id.
func (h *harness) press(u user, question url.Values, n int, cbID string) (url.Values, int) {
	t := h.t
	t.Helper()
	var kb keyboard
	if err := json.Unmarshal([]byte(question.Get("reply_markup")), &kb); err != nil || len(kb.InlineKeyboard) < n {
		t.Fatalf("question %q has no button %d: reply_markup %q (%v)", text(question), n, question.Get("reply_markup"), err)
	}
	btn := kb.InlineKeyboard[n-1][0]
	if !strings.HasPrefix(btn.Text, strconv.Itoa(n)+") ") || !strings.Contains(btn.CallbackData, "|") || len(btn.CallbackData) > 64 {
		t.Fatalf("button %d: %+v", n, btn)
	}
	var msgID int
	telegram.Eventually(t, "the question's message id", func() bool {
		var ok bool
		msgID, ok = h.wire.messageID(question.Get("chat_id"), question.Get("text"))
		return ok
	})
	m := fmt.Sprintf(`{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private","first_name":%q},`+
		`"from":{"id":999,"is_bot":true,"first_name":"Fake","username":"fake_bot"},"text":%q,"reply_markup":%s}`,
		msgID, h.date(), u.ID, u.Name, text(question), question.Get("reply_markup"))
	before := len(h.sent(u.chat()))
	h.push(fmt.Sprintf(`"callback_query":{"id":%q,"from":%s,"message":%s,"chat_instance":"ci%d","data":%q}`,
		cbID, u.json(), m, u.ID, btn.CallbackData))
	return h.waitSent(u.chat(), before+1)[before], msgID
}

// register has Rudo open the bot's deep link t.me/<bot>?start=CODE, which
// Telegram delivers as "/start CODE", and returns the welcome.
func (h *harness) register() url.Values {
	h.t.Helper()
	return h.say(rudo, "/start "+inviteCode)
}

func (h *harness) member(u user) *casework.Member {
	h.t.Helper()
	var m *casework.Member
	err := h.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		m, err = tx.MemberByIdentity(chat.Telegram, chat.UserID(u.chat()))
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// waitDrained waits until no outbox row is pending: everything sent has
// been recorded as sent.
func (h *harness) waitDrained() {
	h.t.Helper()
	telegram.Eventually(h.t, "outbox drained", func() bool {
		pending, _, _, err := h.db.OutboxCounts(context.Background())
		return err == nil && pending == 0
	})
}

func (h *harness) storedOffset() string {
	v, _, err := h.db.GetKV(context.Background(), telegram.OffsetKey)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

// TestE2ERegisterByDeepLink: "/start CODE" in a private chat redeems the
// invite and the welcome comes back in the invite's language (Shona).
func TestE2ERegisterByDeepLink(t *testing.T) {
	h := newHarness(t)
	h.start()
	welcome := h.register()
	if got := text(welcome); !strings.Contains(got, "Mauya ku carenet, Rudo") || !strings.Contains(got, "Demo") {
		t.Fatalf("welcome %q", got)
	}
	if welcome.Get("parse_mode") != "HTML" {
		t.Errorf("parse_mode %q", welcome.Get("parse_mode"))
	}
	m := h.member(rudo)
	if m == nil || m.Role != casework.CCW || m.Ward != 18 || m.Lang != "sn" {
		t.Fatalf("member %+v", m)
	}
	var inv *casework.Invite
	_ = h.db.View(context.Background(), func(tx *store.Tx) error {
		inv, _ = tx.Invite(inviteCode)
		return nil
	})
	if inv == nil || inv.UsedBy != m.ID {
		t.Fatalf("invite %+v not used by %d", inv, m.ID)
	}
	if g := h.sent(ward18Group); len(g) != 0 {
		t.Errorf("the group heard of a registration: %q", texts(g))
	}
}

// TestE2EIntakeShonaButtonsAndNumbers: /newcase answered partly by
// inline-keyboard presses and partly by typed numbers gives the case code
// privately and one line without child data in the ward group; every
// press is answered and its keyboard removed.
func TestE2EIntakeShonaButtonsAndNumbers(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.register()

	type press struct {
		id    string
		msgID int
	}
	var presses []press
	q := h.say(rudo, "/newcase")
	if !strings.Contains(text(q), "yakaonekwa riini") {
		t.Fatalf("first question not in Shona: %q", text(q))
	}
	step := func(typed string, button int) {
		t.Helper()
		if button == 0 {
			q = h.say(rudo, typed)
			return
		}
		id := fmt.Sprintf("cb%d", len(presses)+1)
		var msgID int
		q, msgID = h.press(rudo, q, button, id)
		presses = append(presses, press{id, msgID})
	}
	step("nhasi", 0) // identified: today
	step("", 1)      // source: school
	step("", 3)      // age: 10–14
	step("1", 0)     // sex: girl
	step("-", 0)     // born: skipped
	step("1 7", 0)   // concerns: sexual abuse, out of school
	step("", 2)      // danger: no
	step("", 1)      // consent: yes
	step("Chipo", 0) // name: sealed, never in a group
	if got := text(q); !strings.Contains(got, "Nyaya "+firstCase+" yavhurwa") {
		t.Fatalf("no case code in the last reply: %q", got)
	}

	var c *casework.Case
	_ = h.db.View(context.Background(), func(tx *store.Tx) error {
		c, _ = tx.CaseByCode(firstCase)
		return nil
	})
	if c == nil {
		t.Fatal("case not stored")
	}
	in := c.Intake
	if in["source"] != "school" || in["age"] != "10-14" || in["sex"] != "f" || in["danger"] != "no" || in["consent"] != "yes" ||
		strings.Join(c.Concerns, ",") != "sexual_abuse,out_of_school" || c.Kind != casework.Protection {
		t.Fatalf("answers taken wrongly: kind %s concerns %v intake %v", c.Kind, c.Concerns, in)
	}

	// One line in the ward group: the code, nothing about the child.
	g := h.waitSent(ward18Group, 1)
	h.waitDrained()
	g = h.sent(ward18Group)
	if len(g) != 1 {
		t.Fatalf("group got %d messages: %q", len(g), texts(g))
	}
	line := text(g[0])
	if !strings.Contains(line, firstCase) || strings.Contains(line, "\n") {
		t.Errorf("group line %q", line)
	}
	for _, child := range []string{"Chipo", "10–14", "10-14", "Girl", "Musikana", "sexual", "school", "chikoro"} {
		if strings.Contains(strings.ToLower(line), strings.ToLower(child)) {
			t.Errorf("group line %q carries child data %q", line, child)
		}
	}
	if a := h.sent(moyo.chat()); len(a) != 1 || !strings.Contains(text(a[0]), firstCase) {
		t.Errorf("CWO alert %q", texts(a))
	}

	// Every press answered, its keyboard removed from the pressed message.
	if len(presses) != 4 {
		t.Fatalf("%d presses", len(presses))
	}
	telegram.Eventually(t, "callbacks answered and keyboards removed", func() bool {
		return len(h.fake.Calls("answerCallbackQuery")) >= len(presses) && len(h.fake.Calls("editMessageReplyMarkup")) >= len(presses)
	})
	answered := map[string]int{}
	for _, a := range h.fake.Calls("answerCallbackQuery") {
		answered[a.Get("callback_query_id")]++
	}
	edited := map[string]int{}
	for _, e := range h.fake.Calls("editMessageReplyMarkup") {
		if e.Get("chat_id") != rudo.chat() || e.Get("reply_markup") != `{"inline_keyboard":[]}` {
			t.Errorf("keyboard edit %v", e)
		}
		edited[e.Get("message_id")]++
	}
	for _, p := range presses {
		if answered[p.id] != 1 {
			t.Errorf("callback %s answered %d times", p.id, answered[p.id])
		}
		if edited[strconv.Itoa(p.msgID)] != 1 {
			t.Errorf("keyboard of message %d removed %d times (edits %v)", p.msgID, edited[strconv.Itoa(p.msgID)], edited)
		}
	}
	if len(answered) != len(presses) || len(edited) != len(presses) {
		t.Errorf("answers %v, edits %v for %d presses", answered, edited, len(presses))
	}
}

// TestE2ESameUpdateTwiceOneReply: the process stops after the inbox took an
// update but before Telegram was told (the stored offset is still that
// update's id); after the restart Telegram serves it again and the member
// still gets one reply.
func TestE2ESameUpdateTwiceOneReply(t *testing.T) {
	h := newHarness(t)
	h.start()
	id, body := h.push(h.textBody(rudo, "/start "+inviteCode))
	h.waitSent(rudo.chat(), 1)
	telegram.Eventually(t, "offset stored", func() bool { return h.storedOffset() == strconv.Itoa(id+1) })
	// The welcome is recorded as sent before the stop: this test is about
	// the inbox, not about a send cut short by stopping.
	h.waitDrained()
	h.stop()

	// As if the crash came between the inbox write and the offset write.
	if err := h.db.SetKV(context.Background(), telegram.OffsetKey, strconv.Itoa(id)); err != nil {
		t.Fatal(err)
	}
	h.pushRaw(id, body)
	polls := len(h.fake.Calls("getUpdates"))
	h.start()
	// A later message of the same conversation: its reply proves the
	// duplicate was taken and handled before it.
	h.push(h.textBody(rudo, "/help"))
	h.waitSent(rudo.chat(), 2)
	telegram.Eventually(t, "offset past both", func() bool { return h.storedOffset() == strconv.Itoa(id+2) })
	if gu := h.fake.Calls("getUpdates"); gu[polls].Get("offset") != strconv.Itoa(id) {
		t.Errorf("restart polled from offset %q, want %d", gu[polls].Get("offset"), id)
	}
	got := h.sent(rudo.chat())
	if len(got) != 2 || !strings.Contains(text(got[0]), "Mauya ku carenet") || !strings.Contains(text(got[1]), "/newcase") {
		t.Fatalf("want the welcome once then the help, got %q", texts(got))
	}
}

// TestE2E429ThenSuccess: a 429 with retry_after=1 makes the outbox wait
// one second (of the bot's clock) and send again; the message arrives
// once.
func TestE2E429ThenSuccess(t *testing.T) {
	h := newHarness(t)
	h.fake.FailNext("sendMessage", 429, "Too Many Requests: retry after 1", 1)
	h.start()
	h.push(h.textBody(grace, "/help"))
	first := h.waitSent(grace.chat(), 1)[0]
	ctx := context.Background()
	telegram.Eventually(t, "retry scheduled", func() bool {
		next, ok, err := h.db.NextOutboxAt(ctx, chat.Telegram)
		return err == nil && ok && next.Equal(t0.Add(time.Second))
	})
	// Half the wait: the sender loops (every 50 ms while a row is pending)
	// but must not send yet.
	h.clock.Add(500 * time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	if n := len(h.sent(grace.chat())); n != 1 {
		t.Fatalf("%d sendMessage calls before retry_after passed", n)
	}
	h.clock.Add(500 * time.Millisecond)
	second := h.waitSent(grace.chat(), 2)[1]
	if text(second) != text(first) || !strings.Contains(text(second), "/newcase") {
		t.Fatalf("retried %q, first %q", text(second), text(first))
	}
	// A later message shows nothing else was sent in between.
	h.push(h.textBody(grace, "/cancel"))
	got := h.waitSent(grace.chat(), 3)
	h.waitDrained()
	pending, sent, failed, err := h.db.OutboxCounts(ctx)
	if err != nil || pending != 0 || sent != 2 || failed != 0 {
		t.Fatalf("outbox pending %d sent %d failed %d (%v); calls %q", pending, sent, failed, err, texts(got))
	}
	if len(h.sent(grace.chat())) != 3 {
		t.Fatalf("calls %q", texts(h.sent(grace.chat())))
	}
}

// TestE2ELongMessageSplit: a 5,000-character outbox message goes out as
// two sendMessage calls cut at a line break.
func TestE2ELongMessageSplit(t *testing.T) {
	h := newHarness(t)
	var lines []string
	for i := 0; i < 100; i++ {
		lines = append(lines, fmt.Sprintf("%03d <kesi> & mhuri: %s", i, strings.Repeat("x", 49-20)))
	}
	long := strings.Join(lines, "\n") + "."
	if n := len([]rune(long)); n != 5000 {
		t.Fatalf("test text has %d characters", n)
	}
	err := h.db.Update(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Enqueue(chat.Outbound{Platform: chat.Telegram, Chat: chat.ChatID(grace.chat()), Text: long}, h.clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitSent(grace.chat(), 2)
	h.waitDrained()
	got := h.sent(grace.chat())
	if len(got) != 2 {
		t.Fatalf("%d sendMessage calls, want 2", len(got))
	}
	parts := texts(got)
	for i, p := range parts {
		if n := len(utf16.Encode([]rune(p))); n > 4096 || n == 0 {
			t.Errorf("part %d has %d UTF-16 units", i, n)
		}
		if got[i].Get("parse_mode") != "HTML" || strings.Contains(got[i].Get("text"), "<kesi>") {
			t.Errorf("part %d not escaped for HTML", i)
		}
	}
	// Joined by a newline they give the message back: the cut is at a
	// line break, nothing lost, nothing cut mid-line.
	if parts[0]+"\n"+parts[1] != long {
		t.Fatalf("parts are not the message cut at a line break: %d+%d characters", len([]rune(parts[0])), len([]rune(parts[1])))
	}
}

// TestE2EGroupMigrationKeepsLink: a ward group upgraded to a supergroup
// (migrate_to_chat_id from the old id) stays linked, and the next case's
// group line goes to the new id only.
func TestE2EGroupMigrationKeepsLink(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.register()
	old, _ := strconv.ParseInt(ward18Group, 10, 64)
	nu, _ := strconv.ParseInt(superGroup, 10, 64)
	h.nextMsg++
	h.push(fmt.Sprintf(`"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"group","title":"Ward 18"},"from":%s,"migrate_to_chat_id":%d}`,
		h.nextMsg, h.date(), old, grace.json(), nu))
	h.push(fmt.Sprintf(`"message":{"message_id":1,"date":%d,"chat":{"id":%d,"type":"supergroup","title":"Ward 18"},"from":%s,"migrate_from_chat_id":%d}`,
		h.date(), nu, grace.json(), old))
	telegram.Eventually(t, "link moved to the supergroup", func() bool {
		var g *casework.Group
		_ = h.db.View(context.Background(), func(tx *store.Tx) error {
			g, _ = tx.Chat(chat.Telegram, superGroup)
			return nil
		})
		return g != nil && g.Linked && g.Active && g.Ward == 18
	})

	for _, s := range []string{"/newcase", "nhasi", "1", "3", "1", "-", "1 7", "2", "1", "-"} {
		h.say(rudo, s)
	}
	if last := h.sent(rudo.chat()); !strings.Contains(text(last[len(last)-1]), firstCase) {
		t.Fatalf("case not opened: %q", texts(last))
	}
	h.waitSent(superGroup, 1)
	h.waitDrained()
	if g := h.sent(superGroup); len(g) != 1 || !strings.Contains(text(g[0]), firstCase) {
		t.Fatalf("supergroup got %q", texts(g))
	}
	if g := h.sent(ward18Group); len(g) != 0 {
		t.Fatalf("old group id still used: %q", texts(g))
	}
}
