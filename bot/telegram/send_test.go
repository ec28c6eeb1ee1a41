package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"carenet/internal/chat"
)

type kb struct {
	InlineKeyboard [][]struct {
		Text         string `json:"text"`
		CallbackData string `json:"callback_data"`
	} `json:"inline_keyboard"`
}

func TestSendEscapesAndNumbersChoices(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	sent, err := a.Send(context.Background(), "cn1", chat.Outbound{
		Platform: chat.Telegram, Chat: "42",
		Text:    "Age <5 & weight > 2kg?",
		Choices: []string{"Yes <b>", "No & never", strings.Repeat("very long option ", 6)},
		Ref:     "q7",
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.calls("sendMessage")
	if len(calls) != 1 {
		t.Fatalf("%d sendMessage calls", len(calls))
	}
	c := calls[0]
	wantText := "Age &lt;5 &amp; weight &gt; 2kg?\n1) Yes &lt;b&gt;\n2) No &amp; never\n3) " + strings.Repeat("very long option ", 6)
	if c.Get("text") != wantText || c.Get("parse_mode") != "HTML" || c.Get("chat_id") != "42" {
		t.Fatalf("sent %q parse_mode=%q chat=%q\nwant %q", c.Get("text"), c.Get("parse_mode"), c.Get("chat_id"), wantText)
	}
	if sent.ID != "501" {
		t.Errorf("Sent.ID %q", sent.ID)
	}
	var k kb
	if err := json.Unmarshal([]byte(c.Get("reply_markup")), &k); err != nil {
		t.Fatalf("reply_markup %q: %v", c.Get("reply_markup"), err)
	}
	if len(k.InlineKeyboard) != 3 {
		t.Fatalf("keyboard %+v", k)
	}
	wantBtn := []string{"1) Yes <b>", "2) No & never"}
	for i, row := range k.InlineKeyboard {
		if len(row) != 1 {
			t.Fatalf("row %d has %d buttons", i, len(row))
		}
		b := row[0]
		if i < 2 && b.Text != wantBtn[i] { // button labels are plain text, never escaped
			t.Errorf("button %d %q, want %q", i, b.Text, wantBtn[i])
		}
		if n := len([]rune(b.Text)); n > maxButton || !strings.HasPrefix(b.Text, string(rune('1'+i))+") ") {
			t.Errorf("button %d %q (%d runes)", i, b.Text, n)
		}
		if want := callbackData("q7", i+1); b.CallbackData != want || len(b.CallbackData) > 64 {
			t.Errorf("button %d data %q, want %q", i, b.CallbackData, want)
		}
	}
}

func TestSendLongRefStaysUnder64Bytes(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	ref := strings.Repeat("x", 70)
	if _, err := a.Send(context.Background(), "k", chat.Outbound{Chat: "42", Text: "?", Choices: []string{"a", "b"}, Ref: ref}); err != nil {
		t.Fatal(err)
	}
	var k kb
	_ = json.Unmarshal([]byte(f.calls("sendMessage")[0].Get("reply_markup")), &k)
	for i, row := range k.InlineKeyboard {
		if d := row[0].CallbackData; len(d) > 64 || d != string(rune('1'+i)) {
			t.Errorf("data %q", d)
		}
	}
}

func TestSplitText(t *testing.T) {
	// 4095 units of text then an emoji (2 units) on the same line: the
	// emoji must not be cut in half.
	line := strings.Repeat("a", 4095) + "😀" + "b"
	parts := splitText(line, maxText)
	if len(parts) != 2 || parts[0] != strings.Repeat("a", 4095) || parts[1] != "😀b" {
		t.Fatalf("emoji boundary: %d parts, lens %v", len(parts), lens(parts))
	}

	// Lines are kept whole when they fit.
	var lines []string
	for i := 0; i < 120; i++ {
		lines = append(lines, strings.Repeat("é😀", 10)+strings.Repeat("x", 20)) // 50 units
	}
	text := strings.Join(lines, "\n")
	parts = splitText(text, maxText)
	if len(parts) < 2 {
		t.Fatalf("%d parts", len(parts))
	}
	for i, p := range parts {
		if units(p) > maxText {
			t.Errorf("part %d has %d units", i, units(p))
		}
		for _, l := range strings.Split(p, "\n") {
			if l != lines[0] {
				t.Fatalf("part %d has a cut line %q", i, l)
			}
		}
	}
	if strings.Join(parts, "\n") != text {
		t.Error("splitting lost or changed text")
	}

	// A single long line is cut at a space when one is near.
	words := strings.Repeat("word ", 1000) // 5000 units
	parts = splitText(words, maxText)
	if len(parts) != 2 || !strings.HasSuffix(parts[0], " ") || strings.Join(parts, "") != words {
		t.Fatalf("word split: lens %v", lens(parts))
	}
	if got := splitText("\n \n", maxText); len(got) != 0 {
		t.Errorf("blank text gave %q", got)
	}
	// Below one character the splitter still makes progress.
	if got := splitText("😀😀", 1); len(got) != 2 {
		t.Errorf("tiny limit: %q", got)
	}
}

// units counts UTF-16 code units independently of the code under test.
func units(s string) int { return len(utf16.Encode([]rune(s))) }

func lens(ps []string) []int {
	var n []int
	for _, p := range ps {
		n = append(n, units(p))
	}
	return n
}

func TestSendSplitsLongMessage(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	// 5,000 characters with emoji and escapable characters; escaping
	// must not count against the limit, which applies after parsing.
	var lines []string
	for i := 0; i < 130; i++ {
		lines = append(lines, strings.Repeat("<&😀", 12)+"!!") // 12*4+2 = 50 units
	}
	text := strings.Join(lines, "\n")
	sent, err := a.Send(context.Background(), "k", chat.Outbound{Chat: "-1001234", Text: text, Choices: []string{"ok"}, Ref: "r"})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.calls("sendMessage")
	if len(calls) != 2 {
		t.Fatalf("%d parts", len(calls))
	}
	var all []string
	for i, c := range calls {
		plain := html.UnescapeString(c.Get("text"))
		if n := units(plain); n > maxText {
			t.Errorf("part %d: %d UTF-16 units", i, n)
		}
		if (c.Get("reply_markup") != "") != (i == 1) {
			t.Errorf("part %d reply_markup %q", i, c.Get("reply_markup"))
		}
		all = append(all, plain)
	}
	if strings.Join(all, "\n") != text+"\n1) ok" {
		t.Error("text changed by splitting")
	}
	if sent.ID != "502" {
		t.Errorf("Sent.ID %q, want the last part's id 502", sent.ID)
	}
}

func TestSendPoll(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	sent, err := a.Send(context.Background(), "k", chat.Outbound{Chat: "-1001234",
		Poll: &chat.Poll{Question: "Close case 12?", Options: []string{"Yes", "No"}}, Ref: "vote12"})
	if err != nil {
		t.Fatal(err)
	}
	c := f.calls("sendPoll")
	if len(c) != 1 {
		t.Fatalf("%d sendPoll calls", len(c))
	}
	if c[0].Get("is_anonymous") != "false" || c[0].Get("allows_multiple_answers") != "false" ||
		c[0].Get("options") != `["Yes","No"]` || c[0].Get("question") != "Close case 12?" || c[0].Get("chat_id") != "-1001234" {
		t.Fatalf("sendPoll %v", c[0])
	}
	if sent.PollID != "poll-501" || sent.ID != "501" {
		t.Fatalf("sent %+v", sent)
	}
}

func TestSendReaction(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	if _, err := a.Send(context.Background(), "k", chat.Outbound{Chat: "-1001234", Text: "👍", ReactTo: "77", ReactToSender: "42"}); err != nil {
		t.Fatal(err)
	}
	c := f.calls("setMessageReaction")
	if len(c) != 1 || len(f.calls("sendMessage")) != 0 {
		t.Fatalf("calls %v", f.methods())
	}
	if c[0].Get("chat_id") != "-1001234" || c[0].Get("message_id") != "77" || c[0].Get("reaction") != `[{"emoji":"👍","type":"emoji"}]` {
		t.Fatalf("setMessageReaction %v", c[0])
	}
}

func TestSendErrors(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	ctx := context.Background()
	send := func(c chat.ChatID) error {
		_, err := a.Send(ctx, "k", chat.Outbound{Chat: c, Text: "hi"})
		return err
	}

	f.failNext("sendMessage", apiErr{Code: 429, Desc: "Too Many Requests: retry after 7", RetryAfter: 7})
	var ra *chat.RetryAfterError
	if err := send("42"); !errors.As(err, &ra) || ra.After != 7*time.Second || errors.Is(err, chat.ErrPermanent) {
		t.Errorf("429: %v", err)
	}

	f.blocked["42"] = 403
	err := send("42")
	if !errors.Is(err, chat.ErrUnreachable) || !errors.Is(err, chat.ErrPermanent) {
		t.Errorf("403 private: %v", err)
	}
	f.blocked["-100555"] = 403
	if err := send("-100555"); !errors.Is(err, chat.ErrPermanent) || errors.Is(err, chat.ErrUnreachable) {
		t.Errorf("403 group: %v", err)
	}
	f.notFound["-100666"] = true
	if err := send("-100666"); !errors.Is(err, chat.ErrPermanent) {
		t.Errorf("chat not found: %v", err)
	}
	if err := send("not-a-number"); !errors.Is(err, chat.ErrPermanent) {
		t.Errorf("bad id: %v", err)
	}

	f.failNext("sendMessage", apiErr{Code: 502, Desc: "Bad Gateway"})
	if err := send("43"); err == nil || errors.Is(err, chat.ErrPermanent) || errors.As(err, &ra) {
		t.Errorf("5xx must be retried plainly: %v", err)
	}

	// A network failure is retried, and the token never shows in it.
	f.srv.Close()
	err = send("43")
	if err == nil || errors.Is(err, chat.ErrPermanent) {
		t.Errorf("network: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), fakeToken) {
		t.Errorf("token leaked: %v", err)
	}
}

func TestSendFollowsMigration(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil)
	f.migrated["-55"] = -1009999
	sent, err := a.Send(context.Background(), "k", chat.Outbound{Chat: "-55", Text: "hello group"})
	if err != nil || sent.ID == "" {
		t.Fatalf("send: %+v %v", sent, err)
	}
	c := f.calls("sendMessage")
	if len(c) != 2 || c[0].Get("chat_id") != "-55" || c[1].Get("chat_id") != "-1009999" || c[1].Get("text") != "hello group" {
		t.Fatalf("calls %v", c)
	}
	// Later messages go straight to the supergroup.
	if _, err := a.Send(context.Background(), "k2", chat.Outbound{Chat: "-55", Poll: &chat.Poll{Question: "q", Options: []string{"a", "b"}}}); err != nil {
		t.Fatal(err)
	}
	if p := f.calls("sendPoll"); len(p) != 1 || p[0].Get("chat_id") != "-1009999" {
		t.Fatalf("poll calls %v", p)
	}
}
