package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"carenet/internal/chat"
	"carenet/store"
)

const fakeToken = "123:SECRET-TOKEN"

// apiErr is an error envelope the fake answers with.
type apiErr struct {
	Code       int
	Desc       string
	RetryAfter int
	MigrateTo  int64
}

type fakeReq struct {
	Method string
	Form   url.Values
}

// fakeAPI speaks the Bot API wire format on loopback: POST
// /bot<token>/<method>, form-encoded requests, {"ok":…} envelopes.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	me        map[string]any
	reqs      []fakeReq
	updates   []json.RawMessage // pending, each with its update_id
	errs      map[string][]apiErr
	migrated  map[string]int64 // chat id → supergroup id
	blocked   map[string]int   // chat id → error code (403)
	notFound  map[string]bool
	nextMsgID int
	pollWait  time.Duration // longest a getUpdates with nothing to send blocks
}

func newFake(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{
		t:         t,
		me:        map[string]any{"id": 999, "is_bot": true, "first_name": "Fake", "username": "fake_bot", "can_read_all_group_messages": true},
		errs:      map[string][]apiErr{},
		migrated:  map[string]int64{},
		blocked:   map[string]int{},
		notFound:  map[string]bool{},
		nextMsgID: 500,
		pollWait:  50 * time.Millisecond,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) endpoint() string { return f.srv.URL + "/bot%s/%s" }

// push queues an update; id is its update_id.
func (f *fakeAPI) push(id int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, json.RawMessage(fmt.Sprintf(`{"update_id":%d,%s}`, id, body)))
}

// failNext makes the next call of method answer with e.
func (f *fakeAPI) failNext(method string, e apiErr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[method] = append(f.errs[method], e)
}

// calls returns the recorded form values of every call of method.
func (f *fakeAPI) calls(method string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for _, r := range f.reqs {
		if r.Method == method {
			out = append(out, r.Form)
		}
	}
	return out
}

func (f *fakeAPI) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		out = append(out, r.Method)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e apiErr) {
	body := map[string]any{"ok": false, "error_code": e.Code, "description": e.Desc}
	params := map[string]any{}
	if e.RetryAfter > 0 {
		params["retry_after"] = e.RetryAfter
	}
	if e.MigrateTo != 0 {
		params["migrate_to_chat_id"] = e.MigrateTo
	}
	if len(params) > 0 {
		body["parameters"] = params
	}
	writeJSON(w, e.Code, body)
}

func ok(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + fakeToken + "/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) {
		writeErr(w, apiErr{Code: 401, Desc: "Unauthorized"})
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("%s: content type %q", method, ct)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("%s: %v", method, err)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeReq{Method: method, Form: r.PostForm})
	var queued *apiErr
	if q := f.errs[method]; len(q) > 0 {
		queued = &q[0]
		f.errs[method] = q[1:]
	}
	chatID := r.PostForm.Get("chat_id")
	migrateTo, blockedCode, notFound := f.migrated[chatID], f.blocked[chatID], f.notFound[chatID]
	f.mu.Unlock()

	if queued != nil {
		writeErr(w, *queued)
		return
	}
	switch method {
	case "sendMessage", "sendPoll", "setMessageReaction":
		switch {
		case migrateTo != 0:
			writeErr(w, apiErr{Code: 400, Desc: "Bad Request: group chat was upgraded to a supergroup chat", MigrateTo: migrateTo})
			return
		case blockedCode != 0:
			writeErr(w, apiErr{Code: blockedCode, Desc: "Forbidden: bot was blocked by the user"})
			return
		case notFound:
			writeErr(w, apiErr{Code: 400, Desc: "Bad Request: chat not found"})
			return
		}
	}
	switch method {
	case "getMe":
		f.mu.Lock()
		me := f.me
		f.mu.Unlock()
		ok(w, me)
	case "getUpdates":
		f.getUpdates(w, r)
	case "sendMessage":
		ok(w, f.message(r.PostForm, nil))
	case "sendPoll":
		var opts []string
		if err := json.Unmarshal([]byte(r.PostForm.Get("options")), &opts); err != nil {
			writeErr(w, apiErr{Code: 400, Desc: "Bad Request: can't parse options JSON object"})
			return
		}
		var po []map[string]any
		for _, o := range opts {
			po = append(po, map[string]any{"text": o, "voter_count": 0})
		}
		f.mu.Lock()
		pollID := fmt.Sprintf("poll-%d", f.nextMsgID+1)
		f.mu.Unlock()
		ok(w, f.message(r.PostForm, map[string]any{
			"id": pollID, "question": r.PostForm.Get("question"), "options": po,
			"total_voter_count": 0, "is_closed": false,
			"is_anonymous": r.PostForm.Get("is_anonymous") != "false", "type": "regular",
			"allows_multiple_answers": false,
		}))
	case "answerCallbackQuery", "editMessageReplyMarkup", "setMyCommands",
		"setWebhook", "deleteWebhook", "setMessageReaction":
		ok(w, true)
	default:
		writeErr(w, apiErr{Code: 404, Desc: "Not Found: method not found"})
	}
}

func (f *fakeAPI) message(form url.Values, poll map[string]any) map[string]any {
	f.mu.Lock()
	f.nextMsgID++
	id := f.nextMsgID
	f.mu.Unlock()
	cid, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	typ := "supergroup"
	if cid > 0 {
		typ = "private"
	}
	m := map[string]any{"message_id": id, "date": 1767600000, "chat": map[string]any{"id": cid, "type": typ}}
	if poll != nil {
		m["poll"] = poll
	} else {
		m["text"] = form.Get("text")
	}
	return m
}

// getUpdates drops what the offset confirms, then returns what is left,
// waiting up to pollWait (bounded by the request's timeout) when empty.
func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.PostForm.Get("offset"))
	timeout, _ := strconv.Atoi(r.PostForm.Get("timeout"))
	f.mu.Lock()
	wait := min(f.pollWait, time.Duration(timeout)*time.Second)
	f.mu.Unlock()
	deadline := time.Now().Add(wait)
	for {
		f.mu.Lock()
		var keep, out []json.RawMessage
		for _, u := range f.updates {
			var h struct {
				UpdateID int `json:"update_id"`
			}
			_ = json.Unmarshal(u, &h)
			if h.UpdateID >= offset {
				keep = append(keep, u)
			}
		}
		f.updates = keep
		out = append(out, keep...)
		f.mu.Unlock()
		if len(out) > 0 || time.Now().After(deadline) {
			if out == nil {
				out = []json.RawMessage{}
			}
			ok(w, out)
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// recorder is the core stand-in: it records what it is given and can be
// told to refuse.
type recorder struct {
	mu   sync.Mutex
	got  []chat.Inbound
	fail func(chat.Inbound) error
	ch   chan chat.Inbound
}

func newRecorder() *recorder { return &recorder{ch: make(chan chat.Inbound, 100)} }

func (r *recorder) Receive(ctx context.Context, in chat.Inbound) error {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(in); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.got = append(r.got, in)
	r.mu.Unlock()
	r.ch <- in
	return nil
}

func (r *recorder) all() []chat.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Inbound(nil), r.got...)
}

func (r *recorder) next(t *testing.T) chat.Inbound {
	t.Helper()
	select {
	case in := <-r.ch:
		return in
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
		return chat.Inbound{}
	}
}

func newAdapter(t *testing.T, f *fakeAPI, mod func(*Options)) *Adapter {
	t.Helper()
	o := Options{Token: fakeToken, APIEndpoint: f.endpoint(), HTTPClient: f.srv.Client(), PollTimeout: time.Second}
	if mod != nil {
		mod(&o)
	}
	a, err := New(context.Background(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.backoffMin, a.backoffMax = 10*time.Millisecond, 50*time.Millisecond
	return a
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// runAsync runs the adapter and returns a stop function that cancels it
// and fails the test unless Run returns nil promptly.
func runAsync(t *testing.T, a *Adapter, r Receiver, kv KV) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, r, kv) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond until it holds or 5s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logBuffer captures slog output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var errRefused = errors.New("inbox unavailable")
