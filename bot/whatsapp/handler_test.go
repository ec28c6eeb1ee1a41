package whatsapp

import (
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"carenet/internal/chat"
)

func TestHandleAcknowledgesOnlyStoredMessages(t *testing.T) {
	a, r := newTestAdapter(t, &fakeClient{}, nil)
	evt := msg(group, memberPN, text("ZW-DEM-0001 visited"))

	r.err = errors.New("database is locked")
	if a.handle(evt) {
		t.Fatal("handle returned true although the inbox write failed: WhatsApp would not redeliver")
	}
	if len(r.got) != 0 {
		t.Fatalf("received %d messages", len(r.got))
	}

	r.err = nil
	if !a.handle(evt) {
		t.Fatal("handle returned false although the inbox write succeeded")
	}
	if len(r.got) != 1 || r.got[0].Text != "ZW-DEM-0001 visited" || r.got[0].Chat != chat.ChatID(group.String()) {
		t.Fatalf("received %+v", r.got)
	}
}

func TestHandleIgnoredMessageIsAcknowledged(t *testing.T) {
	a, r := newTestAdapter(t, &fakeClient{}, nil)
	r.err = errors.New("must not be called")
	own := msg(group, memberPN, text("echo"))
	own.Info.IsFromMe = true
	if !a.handle(own) {
		t.Fatal("an ignored message must be acknowledged")
	}
	if !a.handle(&events.Receipt{}) {
		t.Fatal("other events must be acknowledged")
	}
}

func TestHandleFillsSenderAltFromLIDMap(t *testing.T) {
	lids := fakeLIDs{pairs: map[types.JID]types.JID{memberLID: memberPN}}
	a, r := newTestAdapter(t, &fakeClient{}, lids)

	byLID := msg(group, types.JID{User: memberLID.User, Server: types.HiddenUserServer, Device: 4}, text("1"))
	byPN := msg(memberPN, memberPN, text("hi"))
	stranger := msg(otherPN, otherPN, text("hello"))
	for _, e := range []*events.Message{byLID, byPN, stranger} {
		if !a.handle(e) {
			t.Fatal("handle failed")
		}
	}
	if got := r.got[0]; got.Sender != chat.UserID(memberLID.String()) || got.SenderAlt != chat.UserID(memberPN.String()) {
		t.Errorf("LID sender: got sender %q alt %q", got.Sender, got.SenderAlt)
	}
	// A private chat is keyed on the LID once it is known.
	if got := r.got[1]; got.Sender != chat.UserID(memberLID.String()) || got.SenderAlt != chat.UserID(memberPN.String()) || got.Chat != chat.ChatID(memberLID.String()) {
		t.Errorf("PN sender in private: got sender %q alt %q chat %q", got.Sender, got.SenderAlt, got.Chat)
	}
	if got := r.got[2]; got.SenderAlt != "" {
		t.Errorf("unknown sender got alt %q", got.SenderAlt)
	}

	// A failing lookup only costs the alt id, not the message.
	a.lids = fakeLIDs{err: errors.New("db closed")}
	if !a.handle(byPN) || r.got[3].SenderAlt != "" || r.got[3].Text != "hi" {
		t.Errorf("failed lookup: %+v", r.got[3])
	}
}

func pollVote(sender, alt types.JID) *events.Message {
	e := msg(group, sender, &waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{
		PollCreationMessageKey: &waCommon.MessageKey{
			RemoteJID: proto.String(group.String()), FromMe: proto.Bool(true), ID: proto.String("3EB0POLL0123456789ABCD"),
		},
		Vote:              &waE2E.PollEncValue{EncPayload: []byte{1, 2, 3}, EncIV: []byte{4, 5, 6}},
		SenderTimestampMS: proto.Int64(when.UnixMilli()),
	}})
	e.Info.Type = "poll"
	e.Info.SenderAlt = alt
	return e
}

func selected(options ...string) *waE2E.PollVoteMessage {
	v := &waE2E.PollVoteMessage{}
	for _, o := range options {
		h := sha256.Sum256([]byte(o))
		v.SelectedOptions = append(v.SelectedOptions, h[:])
	}
	return v
}

func TestHandlePollVote(t *testing.T) {
	cli := &fakeClient{decrypt: func(*events.Message) (*waE2E.PollVoteMessage, error) { return selected("Close the case"), nil }}
	a, r := newTestAdapter(t, cli, nil)
	if !a.handle(pollVote(memberPN, memberLID)) {
		t.Fatal("vote not acknowledged")
	}
	want := chat.Inbound{
		Platform: chat.WhatsApp, Chat: chat.ChatID(group.String()), Kind: chat.Group,
		Sender: chat.UserID(memberPN.String()), SenderAlt: chat.UserID(memberLID.String()),
		ID: "ABCDEF0123456789", Time: when, Name: "Tendai",
		Vote: &chat.Vote{PollID: "3EB0POLL0123456789ABCD", Hashes: []string{OptionHash("Close the case")}},
	}
	if len(r.got) != 1 || !reflect.DeepEqual(r.got[0], want) {
		t.Fatalf("got %+v\nwant %+v", r.got, want)
	}
	if len(cli.calls) != 1 {
		t.Errorf("DecryptPollVote called %d times", len(cli.calls))
	}
}

func TestHandlePollVoteWithdrawn(t *testing.T) {
	cli := &fakeClient{decrypt: func(*events.Message) (*waE2E.PollVoteMessage, error) { return selected(), nil }}
	a, r := newTestAdapter(t, cli, nil)
	if !a.handle(pollVote(memberPN, types.EmptyJID)) {
		t.Fatal("vote not acknowledged")
	}
	if len(r.got) != 1 || r.got[0].Vote == nil || len(r.got[0].Vote.Hashes) != 0 {
		t.Fatalf("withdrawn vote: %+v", r.got)
	}
}

func TestHandlePollVoteRetriesWithSwappedSender(t *testing.T) {
	// The vote was encrypted for the voter's LID but the stanza names the
	// phone number first (whatsmeow #1217).
	cli := &fakeClient{decrypt: func(e *events.Message) (*waE2E.PollVoteMessage, error) {
		if e.Info.Sender != memberLID || e.Info.SenderAlt != memberPN {
			return nil, errors.New("failed to decrypt secret message: cipher: message authentication failed")
		}
		return selected("Keep it open"), nil
	}}
	a, r := newTestAdapter(t, cli, nil)
	evt := pollVote(memberPN, memberLID)
	if !a.handle(evt) {
		t.Fatal("vote not acknowledged")
	}
	if len(cli.calls) != 2 {
		t.Fatalf("DecryptPollVote called %d times, want 2", len(cli.calls))
	}
	if evt.Info.Sender != memberPN {
		t.Error("the original event was modified")
	}
	if len(r.got) != 1 {
		t.Fatalf("received %d", len(r.got))
	}
	got := r.got[0]
	if got.Sender != chat.UserID(memberPN.String()) || got.SenderAlt != chat.UserID(memberLID.String()) {
		t.Errorf("the inbound must keep the stanza's sender: %q / %q", got.Sender, got.SenderAlt)
	}
	if got.Vote == nil || !reflect.DeepEqual(got.Vote.Hashes, []string{OptionHash("Keep it open")}) {
		t.Errorf("vote %+v", got.Vote)
	}
}

func TestHandleUndecryptableVoteIsAcknowledged(t *testing.T) {
	cli := &fakeClient{decrypt: func(*events.Message) (*waE2E.PollVoteMessage, error) {
		return nil, errors.New("original message secret key not found")
	}}
	a, r := newTestAdapter(t, cli, nil)
	if !a.handle(pollVote(memberLID, memberPN)) {
		t.Fatal("an undecryptable vote must be acknowledged: redelivery cannot fix it")
	}
	if len(r.got) != 0 {
		t.Fatalf("received %+v", r.got)
	}
	if len(cli.calls) != 2 {
		t.Errorf("DecryptPollVote called %d times, want 2 (original and swapped)", len(cli.calls))
	}

	// Without an alternative id there is nothing to swap.
	cli.calls = nil
	if !a.handle(pollVote(memberPN, types.EmptyJID)) || len(cli.calls) != 1 {
		t.Errorf("calls without SenderAlt: %d", len(cli.calls))
	}
}

func TestHandleVoteInboxFailureIsRedelivered(t *testing.T) {
	cli := &fakeClient{decrypt: func(*events.Message) (*waE2E.PollVoteMessage, error) { return selected("a"), nil }}
	a, r := newTestAdapter(t, cli, nil)
	r.err = errors.New("disk full")
	if a.handle(pollVote(memberPN, memberLID)) {
		t.Fatal("handle returned true although the inbox write failed")
	}
}

func TestHandleGroupMembership(t *testing.T) {
	a, r := newTestAdapter(t, &fakeClient{}, nil)
	adder := memberLID
	joined := &events.JoinedGroup{Sender: &adder, SenderPN: &memberPN}
	joined.JID = group
	joined.ParticipantVersionID = "1736000000123"
	if !a.handle(joined) {
		t.Fatal("joined not acknowledged")
	}
	// Someone else leaving is not an event for carenet.
	if !a.handle(&events.GroupInfo{JID: group, Leave: []types.JID{otherPN}, Timestamp: when}) {
		t.Fatal("group info not acknowledged")
	}
	// The bot removed, named by its LID.
	botLID := types.NewJID(botSelf.LID, types.HiddenUserServer)
	if !a.handle(&events.GroupInfo{JID: group, Leave: []types.JID{botLID}, Sender: &adder, Timestamp: when}) {
		t.Fatal("left not acknowledged")
	}
	if len(r.got) != 2 {
		t.Fatalf("received %+v", r.got)
	}
	j, l := r.got[0], r.got[1]
	if j.Event != chat.EventJoined || j.Chat != chat.ChatID(group.String()) || j.Kind != chat.Group ||
		j.Sender != chat.UserID(memberLID.String()) || j.SenderAlt != chat.UserID(memberPN.String()) || j.ID == "" {
		t.Errorf("joined: %+v", j)
	}
	if l.Event != chat.EventLeft || l.Chat != chat.ChatID(group.String()) || l.ID == "" || l.ID == j.ID {
		t.Errorf("left: %+v", l)
	}
}

func TestHandlePermanentDisconnects(t *testing.T) {
	for _, tt := range []struct {
		evt  any
		want error
		says string
	}{
		{&events.LoggedOut{Reason: events.ConnectFailureLoggedOut}, ErrLoggedOut, "carenet login whatsapp"},
		{&events.StreamReplaced{}, ErrStreamReplaced, "another process"},
		{&events.TemporaryBan{Code: events.TempBanBlockedByUsers, Expire: 2 * time.Hour}, ErrTemporaryBan, "too many people blocked you"},
		{&events.ClientOutdated{}, ErrClientOutdated, "outdated"},
		{&events.ConnectFailure{Reason: events.ConnectFailureMainDeviceGone}, ErrConnectFailure, "primary device"},
	} {
		a, _ := newTestAdapter(t, &fakeClient{}, nil)
		if !a.handle(tt.evt) {
			t.Errorf("%T not acknowledged", tt.evt)
		}
		select {
		case err := <-a.stop:
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%T: stop with %v, want %v saying %q", tt.evt, err, tt.want, tt.says)
			}
		default:
			t.Errorf("%T did not stop Run", tt.evt)
		}
	}

	// Connection noise does not stop anything.
	a, _ := newTestAdapter(t, &fakeClient{}, nil)
	for _, e := range []any{&events.Connected{}, &events.Disconnected{}, &events.KeepAliveTimeout{ErrorCount: 1}} {
		a.handle(e)
	}
	select {
	case err := <-a.stop:
		t.Errorf("stopped with %v", err)
	default:
	}
}
