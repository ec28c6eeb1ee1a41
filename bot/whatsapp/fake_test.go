package whatsapp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"carenet/internal/chat"
)

// Identities used across the tests: the bot, a member known by phone
// number and LID, and a ward group.
var (
	botSelf   = Self{PN: "263770000001", LID: "987654321098765"}
	memberPN  = types.NewJID("263771234567", types.DefaultUserServer)
	memberLID = types.NewJID("123456789012345", types.HiddenUserServer)
	otherPN   = types.NewJID("263771111111", types.DefaultUserServer)
	group     = types.NewJID("120363041234567890", types.GroupServer)
	when      = time.Date(2026, 1, 5, 8, 30, 0, 0, time.UTC)
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type sentMsg struct {
	to  types.JID
	msg *waE2E.Message
	id  types.MessageID
}

// fakeClient stands in for *whatsmeow.Client.
type fakeClient struct {
	mu        sync.Mutex
	connected bool
	sendErr   error
	sent      []sentMsg
	// decrypt answers DecryptPollVote; calls records the events it saw.
	decrypt func(evt *events.Message) (*waE2E.PollVoteMessage, error)
	calls   []types.MessageInfo
}

func (f *fakeClient) SendMessage(_ context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(extra) != 1 || extra[0].ID == "" {
		return whatsmeow.SendResponse{}, errors.New("fake: send without a pre-assigned id")
	}
	if f.sendErr != nil {
		return whatsmeow.SendResponse{}, f.sendErr
	}
	f.sent = append(f.sent, sentMsg{to: to, msg: msg, id: extra[0].ID})
	return whatsmeow.SendResponse{ID: extra[0].ID, Timestamp: when}, nil
}

func (f *fakeClient) BuildPollCreation(name string, options []string, n int) *waE2E.Message {
	opts := make([]*waE2E.PollCreationMessage_Option, len(options))
	for i, o := range options {
		opts[i] = &waE2E.PollCreationMessage_Option{OptionName: proto.String(o)}
	}
	return &waE2E.Message{
		PollCreationMessage: &waE2E.PollCreationMessage{
			Name: proto.String(name), Options: opts, SelectableOptionsCount: proto.Uint32(uint32(n)),
		},
		MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: make([]byte, 32)},
	}
}

func (f *fakeClient) BuildReaction(chat, sender types.JID, id types.MessageID, reaction string) *waE2E.Message {
	key := &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(sender.IsEmpty())}
	if !sender.IsEmpty() {
		key.Participant = proto.String(sender.String())
	}
	return &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: key, Text: proto.String(reaction)}}
}

func (f *fakeClient) DecryptPollVote(_ context.Context, evt *events.Message) (*waE2E.PollVoteMessage, error) {
	f.mu.Lock()
	f.calls = append(f.calls, evt.Info)
	f.mu.Unlock()
	if f.decrypt == nil {
		return nil, errors.New("fake: no poll secret")
	}
	return f.decrypt(evt)
}

func (f *fakeClient) IsConnected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connected
}

// fakeLIDs is a LID map.
type fakeLIDs struct {
	pairs map[types.JID]types.JID // lid -> pn
	err   error
}

func (l fakeLIDs) GetPNForLID(_ context.Context, lid types.JID) (types.JID, error) {
	return l.pairs[lid], l.err
}

func (l fakeLIDs) GetLIDForPN(_ context.Context, pn types.JID) (types.JID, error) {
	for lid, p := range l.pairs {
		if p == pn {
			return lid, l.err
		}
	}
	return types.EmptyJID, l.err
}

// recorder is the core's inbox.
type recorder struct {
	mu  sync.Mutex
	err error
	got []chat.Inbound
}

func (r *recorder) Receive(_ context.Context, in chat.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.got = append(r.got, in)
	return nil
}

func newTestAdapter(t *testing.T, cli *fakeClient, lids LIDs) (*Adapter, *recorder) {
	t.Helper()
	a := newAdapter(cli, lids, func() Self { return botSelf }, quietLog())
	a.now = func() time.Time { return when }
	r := &recorder{}
	a.recv = r
	return a, r
}

// msg builds a message event as whatsmeow dispatches it.
func msg(chatJID, sender types.JID, m *waE2E.Message) *events.Message {
	return &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{
				Chat: chatJID, Sender: sender, IsGroup: chatJID.Server == types.GroupServer || chatJID.Server == types.BroadcastServer,
			},
			ID: "ABCDEF0123456789", PushName: "Tendai", Timestamp: when, Type: "text",
		},
		Message:    m,
		RawMessage: m,
	}
}

func text(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }
