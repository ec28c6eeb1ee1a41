package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"carenet/internal/l10n"
	"carenet/locales"
)

// The Telegram fake below is a trimmed copy of bot/telegram's test fake
// (package telegram's _test files cannot be imported): the Bot API wire
// format on loopback, form-encoded requests and {"ok":…} envelopes.

const tgToken = "123:RUN-TEST"

type tgCall struct {
	method string
	form   url.Values
	msgID  int // message_id of what sendMessage returned
}

type tgFake struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	calls   []tgCall
	history []json.RawMessage // every update ever queued: only the offset hides them
	nextMsg int
}

func newTGFake(t *testing.T) *tgFake {
	f := &tgFake{t: t, nextMsg: 500}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *tgFake) push(id int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.history = append(f.history, json.RawMessage(fmt.Sprintf(`{"update_id":%d,%s}`, id, body)))
}

func (f *tgFake) callsOf(method string) []tgCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []tgCall
	for _, c := range f.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

func tgReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *tgFake) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + tgToken + "/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) {
		tgReply(w, 401, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("%s: %v", method, err)
	}
	ok := func(result any) { tgReply(w, 200, map[string]any{"ok": true, "result": result}) }
	call := tgCall{method: method, form: r.PostForm}
	switch method {
	case "getMe":
		ok(map[string]any{"id": 999, "is_bot": true, "first_name": "carenet", "username": "carenet_test_bot", "can_read_all_group_messages": false})
	case "getUpdates":
		f.record(call)
		f.getUpdates(w, r)
		return
	case "sendMessage":
		f.mu.Lock()
		f.nextMsg++
		call.msgID = f.nextMsg
		f.mu.Unlock()
		cid, _ := strconv.ParseInt(r.PostForm.Get("chat_id"), 10, 64)
		typ := "private"
		if cid < 0 {
			typ = "supergroup"
		}
		ok(map[string]any{"message_id": call.msgID, "date": 1767600000,
			"chat": map[string]any{"id": cid, "type": typ}, "text": r.PostForm.Get("text")})
	case "answerCallbackQuery", "editMessageReplyMarkup", "setMyCommands", "deleteWebhook":
		ok(true)
	default:
		tgReply(w, 404, map[string]any{"ok": false, "error_code": 404, "description": "Not Found: method not found"})
	}
	f.record(call)
}

func (f *tgFake) record(c tgCall) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

// getUpdates returns the updates at or after the offset, waiting up to
// 50ms (bounded by the request's timeout) when there are none.
func (f *tgFake) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.PostForm.Get("offset"))
	timeout, _ := strconv.Atoi(r.PostForm.Get("timeout"))
	deadline := time.Now().Add(min(50*time.Millisecond, time.Duration(timeout)*time.Second))
	for {
		var out []json.RawMessage
		f.mu.Lock()
		for _, u := range f.history {
			var h struct {
				UpdateID int `json:"update_id"`
			}
			_ = json.Unmarshal(u, &h)
			if h.UpdateID >= offset {
				out = append(out, u)
			}
		}
		f.mu.Unlock()
		if len(out) > 0 || time.Now().After(deadline) {
			if out == nil {
				out = []json.RawMessage{}
			}
			tgReply(w, 200, map[string]any{"ok": true, "result": out})
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// sentTo returns the sendMessage calls to chat whose text contains s.
func (f *tgFake) sentTo(chatID, s string) []tgCall {
	var out []tgCall
	for _, c := range f.callsOf("sendMessage") {
		if c.form.Get("chat_id") == chatID && strings.Contains(c.form.Get("text"), s) {
			out = append(out, c)
		}
	}
	return out
}

// lockedBuffer is an output Main may write to while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds or 10s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runningMain is `carenet run` in a goroutine.
type runningMain struct {
	cancel context.CancelFunc
	done   chan int
	stderr *lockedBuffer
}

func startMain(t *testing.T, args ...string) *runningMain {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := &runningMain{cancel: cancel, done: make(chan int, 1), stderr: &lockedBuffer{}}
	go func() { m.done <- Main(ctx, args, strings.NewReader(""), &lockedBuffer{}, m.stderr) }()
	t.Cleanup(func() { m.stop(t) })
	return m
}

// stop cancels Main and returns its exit code; Main must end promptly.
func (m *runningMain) stop(t *testing.T) int {
	t.Helper()
	m.cancel()
	select {
	case code, ok := <-m.done:
		if ok {
			close(m.done)
		}
		return code
	case <-time.After(5 * time.Second):
		t.Fatalf("Main did not return within 5s of cancellation\n%s", m.stderr.String())
		return -1
	}
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "carenet.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunTelegram drives `carenet run` end to end against a fake Bot API:
// a deep-link registration in Shona, /lang answered by a button press, the
// translated command menus, a clean stop and a restart that repeats
// nothing.
func TestRunTelegram(t *testing.T) {
	f := newTGFake(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`store:
  path: %s
scheduler:
  interval: 100ms
telegram:
  token: %q
  api_endpoint: %q
  poll_timeout: 1s
  rate:
    per_chat: 10ms
`, filepath.Join(dir, "carenet.db"), tgToken, f.srv.URL+"/bot%s/%s"))

	code, out, errs := carenet(t, "", "invite", "--role", "ccw", "--district", "Demo", "--ward", "18", "--lang", "sn", "--config", cfg)
	if code != 0 {
		t.Fatalf("invite exit %d: %s", code, errs)
	}
	inv := lastLine(out)
	const user = "4242"
	private := `"chat":{"id":4242,"type":"private"},"from":{"id":4242,"first_name":"Chipo","language_code":"en"}`
	f.push(700, fmt.Sprintf(`"message":{"message_id":1,"date":1767600000,%s,"text":"/start %s"}`, private, inv))

	m := startMain(t, "run", "--config", cfg)
	waitFor(t, "the Shona welcome", func() bool { return len(f.sentTo(user, "Mauya ku carenet")) == 1 })

	// /lang, answered by pressing the first button (English).
	f.push(701, fmt.Sprintf(`"message":{"message_id":2,"date":1767600000,%s,"text":"/lang"}`, private))
	var question tgCall
	waitFor(t, "the language question", func() bool {
		for _, c := range f.callsOf("sendMessage") {
			if c.form.Get("chat_id") == user && c.form.Get("reply_markup") != "" {
				question = c
				return true
			}
		}
		return false
	})
	var kb struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(question.form.Get("reply_markup")), &kb); err != nil || len(kb.InlineKeyboard) != 3 {
		t.Fatalf("keyboard %q: %v", question.form.Get("reply_markup"), err)
	}
	f.push(702, fmt.Sprintf(`"callback_query":{"id":"cbq-1","from":{"id":4242,"first_name":"Chipo"},"chat_instance":"ci","data":%q,"message":{"message_id":%d,"date":1767600000,"chat":{"id":4242,"type":"private"}}}`,
		kb.InlineKeyboard[0][0].CallbackData, question.msgID))
	waitFor(t, "the language changed", func() bool {
		return len(f.sentTo(user, "From now on I will write to you in English.")) == 1
	})
	waitFor(t, "the press answered", func() bool {
		for _, c := range f.callsOf("answerCallbackQuery") {
			if c.form.Get("callback_query_id") == "cbq-1" {
				return true
			}
		}
		return false
	})

	// One command menu per language and the default.
	menus := map[string][]struct{ Command, Description string }{}
	for _, c := range f.callsOf("setMyCommands") {
		var cmds []struct{ Command, Description string }
		if err := json.Unmarshal([]byte(c.form.Get("commands")), &cmds); err != nil {
			t.Fatalf("setMyCommands commands %q: %v", c.form.Get("commands"), err)
		}
		menus[c.form.Get("language_code")] = cmds
	}
	if got := slices.Sorted(maps.Keys(menus)); !slices.Equal(got, []string{"", "en", "nd", "sn"}) {
		t.Errorf("setMyCommands languages %q", got)
	}
	want := map[string]string{"": "record a new case", "en": "record a new case", "sn": "kunyora nyaya itsva", "nd": "ukubhala udaba olutsha"}
	for lang, cmds := range menus {
		if len(cmds) != len(menus["en"]) || len(cmds) < 12 || cmds[0].Command != "newcase" || cmds[0].Description != want[lang] {
			t.Errorf("menu %q: %+v", lang, cmds)
		}
	}

	if code := m.stop(t); code != 0 {
		t.Fatalf("run exit %d after cancel\n%s", code, m.stderr.String())
	}
	sent := len(f.callsOf("sendMessage"))
	polls := len(f.callsOf("getUpdates"))

	// A restart on the same files asks from the stored offset and sends
	// nothing again.
	m = startMain(t, "run", "--config", cfg)
	waitFor(t, "two polls after restart", func() bool { return len(f.callsOf("getUpdates")) >= polls+2 })
	if off := f.callsOf("getUpdates")[polls].form.Get("offset"); off != "703" {
		t.Errorf("offset after restart %q, want 703", off)
	}
	if code := m.stop(t); code != 0 {
		t.Fatalf("second run exit %d\n%s", code, m.stderr.String())
	}
	if n := len(f.callsOf("sendMessage")); n != sent {
		t.Errorf("restart sent %d more messages", n-sent)
	}
	if n := len(f.sentTo(user, "Mauya ku carenet")); n != 1 {
		t.Errorf("welcome sent %d times", n)
	}
}

// TestRunTelegramTokenRefused: a token the Bot API refuses stops carenet
// at start with a non-zero exit.
func TestRunTelegramTokenRefused(t *testing.T) {
	f := newTGFake(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf("store:\n  path: %s\ntelegram:\n  token: \"1:WRONG\"\n  api_endpoint: %q\n",
		filepath.Join(dir, "carenet.db"), f.srv.URL+"/bot%s/%s"))
	code, _, errs := carenet(t, "", "run", "--config", cfg)
	if code != 1 || !strings.Contains(errs, "telegram getMe") || strings.Contains(errs, "WRONG") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
}

// TestRunWhatsAppNotPaired: enabled without a paired device, run says how
// to pair and fails, without touching the network.
func TestRunWhatsAppNotPaired(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "store:\n  path: "+filepath.Join(dir, "carenet.db")+"\nwhatsapp:\n  enabled: true\n")
	code, _, errs := carenet(t, "", "run", "--config", cfg)
	if code == 0 || !strings.Contains(errs, "carenet login whatsapp --config "+cfg) {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
}

func TestLoginUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"login", "whatsapp", "--phone", "0771234567"}, "country code"},
		{[]string{"login", "whatsapp", "--phone", "+263771234567"}, "digits only"},
		{[]string{"login"}, "usage: carenet login whatsapp"},
		{[]string{"login", "telegram"}, "usage: carenet login whatsapp"},
		{[]string{"login", "whatsapp", "extra"}, "unexpected argument"},
	} {
		code, _, errs := carenet(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestTelegramCommands: every language's menu lists the same commands as
// English, translated where the language's help has the line.
func TestTelegramCommands(t *testing.T) {
	b, err := l10n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	menus := telegramCommands(b)
	var en []string
	for _, c := range menus["en"] {
		en = append(en, c.Command)
	}
	if want := []string{"newcase", "assess", "plan", "visit", "refer", "review", "conference", "gbv", "ews", "screens", "supervision", "close", "approve", "reopen", "case", "mycases", "invite", "lang", "cancel", "help"}; !slices.Equal(en, want) {
		t.Errorf("English menu %v, want %v", en, want)
	}
	for lang, cmds := range menus {
		if len(cmds) != len(en) {
			t.Errorf("%q menu has %d commands, English %d", lang, len(cmds), len(en))
		}
	}
	descs, order := helpCommands("Commands:\n/a X – first\n/b – second\nnot a command\n/C - third")
	fallback := map[string]string{"a": "A", "b": "B", "c": "C", "d": "D"}
	got := menu(append(order, "d"), descs, fallback)
	if fmt.Sprint(got) != "[{a first} {b second} {c third} {d D}]" {
		t.Errorf("menu %v", got)
	}
}
