package whatsapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"carenet/internal/chat"
)

func connectedAdapter(t *testing.T) (*Adapter, *fakeClient) {
	t.Helper()
	cli := &fakeClient{connected: true}
	a, _ := newTestAdapter(t, cli, nil)
	return a, cli
}

func TestSendTextWithChoices(t *testing.T) {
	a, cli := connectedAdapter(t)
	sent, err := a.Send(context.Background(), "cn7", chat.Outbound{
		Platform: chat.WhatsApp, Chat: chat.ChatID(group.String()),
		Text: "Is the child safe tonight?", Choices: []string{"Yes", "No", "Not sure"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cli.sent) != 1 {
		t.Fatalf("sent %d", len(cli.sent))
	}
	s := cli.sent[0]
	if s.to != group {
		t.Errorf("to %s", s.to)
	}
	want := "Is the child safe tonight?\n1) Yes\n2) No\n3) Not sure"
	if got := s.msg.GetConversation(); got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if s.id != MessageID("cn7", botSelf.PN) || sent.ID != chat.MsgID(s.id) {
		t.Errorf("id %q, sent %+v", s.id, sent)
	}
	if sent.PollID != "" || sent.Secret != "" {
		t.Errorf("text send reported poll data: %+v", sent)
	}
}

func TestText(t *testing.T) {
	for _, tt := range []struct {
		text    string
		choices []string
		want    string
	}{
		{"hello", nil, "hello"},
		{"", []string{"a", "b"}, "1) a\n2) b"},
		{"Pick:\n", []string{"a"}, "Pick:\n1) a"},
	} {
		if got := Text(tt.text, tt.choices); got != tt.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tt.text, tt.choices, got, tt.want)
		}
	}
}

func TestMessageIDIsDerivedFromKey(t *testing.T) {
	shape := regexp.MustCompile(`^3EB0[0-9A-F]{18}$`)
	id := MessageID("cn42", botSelf.PN)
	if !shape.MatchString(id) {
		t.Errorf("id %q is not in WhatsApp Web's format", id)
	}
	if MessageID("cn42", botSelf.PN) != id {
		t.Error("same key gave a different id")
	}
	if MessageID("cn43", botSelf.PN) == id {
		t.Error("different keys gave the same id")
	}
	if MessageID("cn42", "263779999999") == id {
		t.Error("two bots share ids for the same key")
	}

	// Through Send: a retry after a crash carries the same id.
	a, cli := connectedAdapter(t)
	out := chat.Outbound{Chat: chat.ChatID(memberPN.String()), Text: "Thank you."}
	for _, key := range []string{"cn9", "cn9", "cn10"} {
		if _, err := a.Send(context.Background(), key, out); err != nil {
			t.Fatal(err)
		}
	}
	if cli.sent[0].id != cli.sent[1].id || cli.sent[0].id == cli.sent[2].id {
		t.Errorf("ids %q %q %q", cli.sent[0].id, cli.sent[1].id, cli.sent[2].id)
	}
}

func TestSendPoll(t *testing.T) {
	a, cli := connectedAdapter(t)
	options := []string{"Close the case", "Keep it open", "Refer to the CWO"}
	sent, err := a.Send(context.Background(), "cn11", chat.Outbound{
		Chat: chat.ChatID(group.String()), Text: "ignored for polls",
		Poll: &chat.Poll{Question: "ZW-DEM-0001: close?", Options: options},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := MessageID("cn11", botSelf.PN)
	if sent.PollID != id || sent.ID != chat.MsgID(id) || cli.sent[0].id != id {
		t.Errorf("sent %+v, message id %q, want %q", sent, cli.sent[0].id, id)
	}
	pc := cli.sent[0].msg.GetPollCreationMessage()
	if pc.GetName() != "ZW-DEM-0001: close?" || len(pc.GetOptions()) != 3 || pc.GetSelectableOptionsCount() != 1 {
		t.Errorf("poll %v", pc)
	}
	var hashes []string
	if err := json.Unmarshal([]byte(sent.Secret), &hashes); err != nil {
		t.Fatalf("secret %q: %v", sent.Secret, err)
	}
	if len(hashes) != len(options) {
		t.Fatalf("secret %v", hashes)
	}
	for i, o := range options {
		h := sha256.Sum256([]byte(o))
		if hashes[i] != hex.EncodeToString(h[:]) {
			t.Errorf("hash %d = %s, want sha256(%q)", i, hashes[i], o)
		}
	}
	// A vote names options exactly as the secret does.
	if got := selected("Keep it open").SelectedOptions[0]; hex.EncodeToString(got) != hashes[1] {
		t.Error("a vote's option hash does not match the stored secret")
	}

	for _, bad := range [][]string{{"only"}, {"a", "a"}} {
		_, err := a.Send(context.Background(), "cn12", chat.Outbound{Chat: chat.ChatID(group.String()), Poll: &chat.Poll{Question: "?", Options: bad}})
		if !errors.Is(err, chat.ErrPermanent) {
			t.Errorf("poll %q: err %v, want permanent", bad, err)
		}
	}
}

func TestSendReaction(t *testing.T) {
	a, cli := connectedAdapter(t)
	_, err := a.Send(context.Background(), "cn13", chat.Outbound{
		Chat: chat.ChatID(group.String()), Text: "👍",
		ReactTo: "ABCDEF0123456789", ReactToSender: chat.UserID(memberLID.String()),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := cli.sent[0].msg.GetReactionMessage()
	if r.GetText() != "👍" || r.GetKey().GetID() != "ABCDEF0123456789" ||
		r.GetKey().GetRemoteJID() != group.String() || r.GetKey().GetParticipant() != memberLID.String() {
		t.Errorf("reaction %v", r)
	}
	if cli.sent[0].to != group {
		t.Errorf("to %s", cli.sent[0].to)
	}
	if _, err := a.Send(context.Background(), "cn14", chat.Outbound{Chat: chat.ChatID(group.String()), ReactTo: "X", ReactToSender: "not a jid@"}); !errors.Is(err, chat.ErrPermanent) {
		t.Errorf("bad sender: %v", err)
	}
}

func TestSendErrors(t *testing.T) {
	grp := chat.ChatID(group.String())
	dm := chat.ChatID(memberPN.String())
	for _, tt := range []struct {
		name        string
		chat        chat.ChatID
		connected   bool
		sendErr     error
		permanent   bool
		unreachable bool
		retryAfter  bool
	}{
		{name: "not connected", chat: grp},
		{name: "invalid chat", chat: "ward18", connected: true, permanent: true},
		{name: "device JID is not a chat", chat: "263771234567@c.us", connected: true, permanent: true},
		{name: "rate limited", chat: grp, connected: true, sendErr: fmt.Errorf("failed to get group members: %w", whatsmeow.ErrIQRateOverLimit), retryAfter: true},
		{name: "server 429", chat: dm, connected: true, sendErr: fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 429), retryAfter: true},
		{name: "bot removed from group", chat: grp, connected: true, sendErr: fmt.Errorf("failed to get group members: %w", whatsmeow.ErrNotInGroup), permanent: true},
		{name: "group gone", chat: grp, connected: true, sendErr: fmt.Errorf("failed to get group members: %w", whatsmeow.ErrGroupNotFound), permanent: true},
		{name: "number not on WhatsApp", chat: dm, connected: true, sendErr: errors.New("no LID found for 263771234567@s.whatsapp.net from server"), permanent: true, unreachable: true},
		{name: "network", chat: dm, connected: true, sendErr: whatsmeow.ErrMessageTimedOut},
		{name: "other server error", chat: dm, connected: true, sendErr: fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 500)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cli := &fakeClient{connected: tt.connected, sendErr: tt.sendErr}
			a, _ := newTestAdapter(t, cli, nil)
			_, err := a.Send(context.Background(), "cn1", chat.Outbound{Chat: tt.chat, Text: "hi"})
			if err == nil {
				t.Fatal("no error")
			}
			var ra *chat.RetryAfterError
			if got := errors.As(err, &ra); got != tt.retryAfter {
				t.Errorf("retry-after = %v, want %v (%v)", got, tt.retryAfter, err)
			} else if got && ra.After <= 0 {
				t.Errorf("retry after %s", ra.After)
			}
			if got := errors.Is(err, chat.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := errors.Is(err, chat.ErrUnreachable); got != tt.unreachable {
				t.Errorf("unreachable = %v, want %v (%v)", got, tt.unreachable, err)
			}
			if tt.sendErr != nil && !errors.Is(err, tt.sendErr) {
				t.Errorf("the cause is lost: %v", err)
			}
		})
	}
}

func TestSendPausedByTemporaryBan(t *testing.T) {
	a, cli := connectedAdapter(t)
	a.handle(&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: time.Hour})
	_, err := a.Send(context.Background(), "cn1", chat.Outbound{Chat: chat.ChatID(group.String()), Text: "hi"})
	var ra *chat.RetryAfterError
	if !errors.As(err, &ra) || ra.After != time.Hour {
		t.Fatalf("err %v, want retry after 1h", err)
	}
	if len(cli.sent) != 0 {
		t.Error("sent during a ban")
	}
	a.now = func() time.Time { return when.Add(61 * time.Minute) }
	if _, err := a.Send(context.Background(), "cn1", chat.Outbound{Chat: chat.ChatID(group.String()), Text: "hi"}); err != nil {
		t.Fatalf("after the ban: %v", err)
	}
}

func TestAdapterIsTransport(t *testing.T) {
	var tr chat.Transport = newAdapter(&fakeClient{}, nil, func() Self { return Self{} }, quietLog())
	if tr.Platform() != chat.WhatsApp {
		t.Errorf("platform %q", tr.Platform())
	}
}
