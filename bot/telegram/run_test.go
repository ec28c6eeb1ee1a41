package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"carenet/internal/chat"
)

func textUpdate(msgID int, text string) string {
	return fmt.Sprintf(`"message":{"message_id":%d,"date":1767600000,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"T"},"text":%q}`, msgID, text)
}

func storedOffset(t *testing.T, kv KV) string {
	t.Helper()
	v, _, err := kv.GetKV(context.Background(), offsetKey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRunStoresOffsetOnlyAfterReceive(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	db := openStore(t)
	f.push(100, textUpdate(1, "one"))
	f.push(101, textUpdate(2, "two"))
	f.push(102, `"message":{"message_id":3,"date":1767600000,"chat":{"id":-5,"type":"group"},"from":{"id":42,"first_name":"T"},"new_chat_title":"x"}`)

	r := newRecorder()
	var failed atomic.Int32
	var offsetsSeen []string
	r.fail = func(in chat.Inbound) error {
		// While the core is taking an update its offset is not stored yet.
		offsetsSeen = append(offsetsSeen, storedOffset(t, db))
		if in.Text == "two" && failed.Add(1) == 1 {
			return errRefused
		}
		return nil
	}
	runAsync(t, a, r, db)
	if in := r.next(t); in.Text != "one" {
		t.Fatalf("first %+v", in)
	}
	if in := r.next(t); in.Text != "two" {
		t.Fatalf("second %+v", in)
	}
	// The service message produced nothing but is confirmed too.
	eventually(t, "offset 103", func() bool { return storedOffset(t, db) == "103" })
	if got := strings.Join(offsetsSeen, ","); got != ",101,101" {
		t.Errorf("offsets stored while receiving: %q, want \",101,101\"", got)
	}
	if failed.Load() != 2 || len(r.all()) != 2 {
		t.Errorf("receive attempts %d, delivered %d", failed.Load(), len(r.all()))
	}

	gu := f.calls("getUpdates")
	if gu[0].Get("offset") != "" || gu[0].Get("timeout") != "1" {
		t.Errorf("first getUpdates %v", gu[0])
	}
	if want := `["message","edited_message","callback_query","poll_answer","my_chat_member"]`; gu[0].Get("allowed_updates") != want {
		t.Errorf("allowed_updates %q", gu[0].Get("allowed_updates"))
	}
	// After the refusal the same update is asked for again.
	if gu[1].Get("offset") != "101" {
		t.Errorf("refetch offset %q, want 101", gu[1].Get("offset"))
	}
	if n := len(f.calls("deleteWebhook")); n != 1 {
		t.Errorf("deleteWebhook %d times", n)
	}
}

func TestRunRestartRereadsUnconfirmed(t *testing.T) {
	f := newFake(t)
	db := openStore(t)
	if err := db.SetKV(context.Background(), offsetKey, "101"); err != nil {
		t.Fatal(err)
	}
	// Telegram still holds 101: the previous process stored 101 but died
	// before confirming it with the next getUpdates.
	f.push(101, textUpdate(2, "two"))
	a := newAdapter(t, f, nil)
	r := newRecorder()
	stop := runAsync(t, a, r, db)
	if in := r.next(t); in.Text != "two" || in.ID != "2" {
		t.Fatalf("got %+v", in)
	}
	stop()
	if gu := f.calls("getUpdates"); gu[0].Get("offset") != "101" {
		t.Errorf("restart offset %q", gu[0].Get("offset"))
	}
}

func TestRunCallbackAnsweredAndKeyboardRemoved(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	db := openStore(t)
	from := `"from":{"id":42,"first_name":"T"},"chat_instance":"ci"`
	m := `"message":{"message_id":501,"date":1767600000,"chat":{"id":-1001234,"type":"supergroup"},"text":"?","reply_markup":{"inline_keyboard":[[{"text":"1) a","callback_data":"q7|1"}]]}}`
	f.push(10, `"callback_query":{"id":"CB1",`+from+`,"data":"q7|1",`+m+`}`)
	f.push(11, `"callback_query":{"id":"CB2",`+from+`,"data":"lang:sn",`+m+`}`)
	f.push(12, textUpdate(3, "after"))
	r := newRecorder()
	runAsync(t, a, r, db)
	in := r.next(t)
	if in.Text != "1" || in.Ref != "q7" || in.Chat != "-1001234" || in.ID != "cbCB1" {
		t.Fatalf("callback %+v", in)
	}
	if in := r.next(t); in.Text != "after" {
		t.Fatalf("odd callback was delivered: %+v", in)
	}
	eventually(t, "both answered", func() bool { return len(f.calls("answerCallbackQuery")) == 2 })
	ans := f.calls("answerCallbackQuery")
	if ans[0].Get("callback_query_id") != "CB1" || ans[1].Get("callback_query_id") != "CB2" {
		t.Errorf("answers %v", ans)
	}
	ed := f.calls("editMessageReplyMarkup")
	if len(ed) != 1 {
		t.Fatalf("%d keyboard edits, want 1 (only for our own button format)", len(ed))
	}
	if ed[0].Get("chat_id") != "-1001234" || ed[0].Get("message_id") != "501" || ed[0].Get("reply_markup") != `{"inline_keyboard":[]}` {
		t.Errorf("edit %v", ed[0])
	}
}

func TestRunCallbackNotAnsweredBeforeInbox(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	db := openStore(t)
	f.push(10, `"callback_query":{"id":"CB1","from":{"id":42,"first_name":"T"},"chat_instance":"ci","data":"q|2","message":{"message_id":501,"date":1,"chat":{"id":42,"type":"private"}}}`)
	r := newRecorder()
	var attempts atomic.Int32
	r.fail = func(chat.Inbound) error {
		if attempts.Add(1) == 1 {
			if n := len(f.calls("answerCallbackQuery")); n != 0 {
				t.Errorf("answered before the inbox took it")
			}
			return errRefused
		}
		return nil
	}
	runAsync(t, a, r, db)
	r.next(t)
	eventually(t, "answer", func() bool { return len(f.calls("answerCallbackQuery")) == 1 })
	if attempts.Load() != 2 {
		t.Errorf("attempts %d", attempts.Load())
	}
}

func TestRunWaitsRetryAfterOn429(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	db := openStore(t)
	f.failNext("getUpdates", apiErr{Code: 429, Desc: "Too Many Requests: retry after 1", RetryAfter: 1})
	f.push(5, textUpdate(1, "hi"))
	start := time.Now()
	r := newRecorder()
	runAsync(t, a, r, db)
	if in := r.next(t); in.Text != "hi" {
		t.Fatalf("%+v", in)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("delivered after %v; retry_after was 1s", d)
	}
}

func TestRunConflictBacksOffAndRecovers(t *testing.T) {
	f := newFake(t)
	var logs logBuffer
	a := newAdapter(t, f, func(o *Options) { o.Log = logs.logger() })
	db := openStore(t)
	f.failNext("getUpdates", apiErr{Code: 409, Desc: "Conflict: terminated by other getUpdates request"})
	f.push(5, textUpdate(1, "hi"))
	r := newRecorder()
	runAsync(t, a, r, db)
	r.next(t)
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "conflict") {
		t.Errorf("409 not logged as an error:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), fakeToken) {
		t.Error("token in logs")
	}
}

func TestRunReturnsOnCancelDuringLongPoll(t *testing.T) {
	f := newFake(t)
	f.pollWait = time.Minute // block for the whole timeout
	a := newAdapter(t, f, func(o *Options) { o.PollTimeout = 30 * time.Second })
	db := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, newRecorder(), db) }()
	eventually(t, "long poll", func() bool { return len(f.calls("getUpdates")) == 1 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run still blocked in getUpdates after cancel")
	}
}

func TestWebhookHandler(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, func(o *Options) {
		o.Webhook = Webhook{URL: "https://example.org/tg", Listen: "127.0.0.1:0", Secret: "s3cret_-X"}
	})
	r := newRecorder()
	srv := httptest.NewServer(a.Handler(r))
	defer srv.Close()
	post := func(secret, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/tg", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	up := `{"update_id":1,` + textUpdate(1, "hook") + `}`
	if c := post("", up); c != http.StatusForbidden {
		t.Errorf("missing secret: %d", c)
	}
	if c := post("wrong", up); c != http.StatusForbidden {
		t.Errorf("wrong secret: %d", c)
	}
	if n := len(r.all()); n != 0 {
		t.Fatalf("refused requests reached the core: %d", n)
	}
	if c := post("s3cret_-X", up); c != http.StatusOK {
		t.Errorf("right secret: %d", c)
	}
	if got := r.all(); len(got) != 1 || got[0].Text != "hook" {
		t.Fatalf("received %+v (200 must come after Receive)", got)
	}
	r.fail = func(chat.Inbound) error { return errRefused }
	if c := post("s3cret_-X", `{"update_id":2,`+textUpdate(2, "x")+`}`); c != http.StatusInternalServerError {
		t.Errorf("failing inbox: %d, want 500 so Telegram retries", c)
	}
	if c := post("s3cret_-X", `{not json`); c != http.StatusBadRequest {
		t.Errorf("bad body: %d", c)
	}
}

func TestRunWebhook(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, func(o *Options) {
		o.Webhook = Webhook{URL: "https://example.org/tg", Listen: "127.0.0.1:0", Secret: "sec"}
	})
	addr := make(chan string, 1)
	a.onListen = func(s string) { addr <- s }
	r := newRecorder()
	stop := runAsync(t, a, r, nil)
	var base string
	select {
	case s := <-addr:
		base = "http://" + s
	case <-time.After(5 * time.Second):
		t.Fatal("webhook server did not start")
	}
	sw := f.calls("setWebhook")
	if len(sw) != 1 || sw[0].Get("url") != "https://example.org/tg" || sw[0].Get("secret_token") != "sec" ||
		!strings.Contains(sw[0].Get("allowed_updates"), `"poll_answer"`) || !strings.Contains(sw[0].Get("allowed_updates"), `"edited_message"`) {
		t.Fatalf("setWebhook %v", sw)
	}
	body, _ := json.Marshal(json.RawMessage(`{"update_id":3,"callback_query":{"id":"W1","from":{"id":42,"first_name":"T"},"chat_instance":"c","data":"r|1","message":{"message_id":9,"date":1,"chat":{"id":42,"type":"private"}}}}`))
	req, _ := http.NewRequest(http.MethodPost, base+"/tg", bytes.NewReader(body))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "sec")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if in := r.next(t); in.Ref != "r" || in.Text != "1" {
		t.Fatalf("%+v", in)
	}
	eventually(t, "callback answered", func() bool { return len(f.calls("answerCallbackQuery")) == 1 })
	stop()
	if len(f.calls("getUpdates")) != 0 || len(f.calls("deleteWebhook")) != 0 {
		t.Errorf("webhook mode polled: %v", f.methods())
	}
	if _, err := http.Get(base + "/tg"); err == nil {
		t.Error("server still listening after stop")
	}
}

func TestNewRejectsWebhookWithoutSecret(t *testing.T) {
	f := newFake(t)
	_, err := New(context.Background(), Options{Token: fakeToken, APIEndpoint: f.endpoint(), HTTPClient: f.srv.Client(),
		Webhook: Webhook{URL: "https://example.org/tg", Listen: ":0"}})
	if err == nil {
		t.Fatal("webhook without secret accepted")
	}
	if _, err := New(context.Background(), Options{Token: "bad", APIEndpoint: f.endpoint(), HTTPClient: f.srv.Client()}); err == nil {
		t.Fatal("bad token accepted")
	}
}

func TestSetCommands(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, func(o *Options) {
		o.Commands = map[string][]Command{
			"":   {{"newcase", "Report a new case"}, {"help", "Help"}},
			"en": {{"newcase", "Report a new case"}, {"help", "Help"}},
			"sn": {{"/newcase", "Taura nyaya itsva"}, {"help", "Rubatsiro"}},
			"nd": {{"newcase", "Bika udaba olutsha"}, {"help", "Usizo"}},
		}
	})
	if err := a.SetCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := f.calls("setMyCommands")
	if len(calls) != 4 {
		t.Fatalf("%d setMyCommands calls", len(calls))
	}
	byLang := map[string]string{}
	for _, c := range calls {
		l := c.Get("language_code")
		if _, dup := byLang[l]; dup {
			t.Errorf("language %q registered twice", l)
		}
		if _, has := c["language_code"]; has && l == "" {
			t.Error("default menu sent with an empty language_code")
		}
		if c.Get("scope") != "" {
			t.Errorf("scope %q, want the default", c.Get("scope"))
		}
		byLang[l] = c.Get("commands")
	}
	want := map[string]string{
		"":   `[{"command":"newcase","description":"Report a new case"},{"command":"help","description":"Help"}]`,
		"en": `[{"command":"newcase","description":"Report a new case"},{"command":"help","description":"Help"}]`,
		"sn": `[{"command":"newcase","description":"Taura nyaya itsva"},{"command":"help","description":"Rubatsiro"}]`,
		"nd": `[{"command":"newcase","description":"Bika udaba olutsha"},{"command":"help","description":"Usizo"}]`,
	}
	for l, w := range want {
		if byLang[l] != w {
			t.Errorf("lang %q: %s\nwant %s", l, byLang[l], w)
		}
	}
}

func TestPrivacyMode(t *testing.T) {
	for _, readAll := range []bool{false, true} {
		f := newFake(t)
		f.me["can_read_all_group_messages"] = readAll
		var logs logBuffer
		a := newAdapter(t, f, func(o *Options) { o.Log = logs.logger() })
		if a.PrivacyMode() == readAll {
			t.Errorf("can_read_all_group_messages=%v: PrivacyMode %v", readAll, a.PrivacyMode())
		}
		warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "privacy mode")
		if warned == readAll {
			t.Errorf("can_read_all_group_messages=%v: warned=%v\n%s", readAll, warned, logs.String())
		}
		if a.Platform() != chat.Telegram || a.Username() != "fake_bot" {
			t.Errorf("platform %q username %q", a.Platform(), a.Username())
		}
	}
}
