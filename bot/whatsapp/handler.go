package whatsapp

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"carenet/internal/chat"
)

// receiveTimeout bounds one inbox write. whatsmeow runs handlers on its
// single event goroutine, so a stuck write would stall all WhatsApp
// traffic; failing it instead makes WhatsApp redeliver later.
const receiveTimeout = 20 * time.Second

// handle is registered with AddEventHandlerWithSuccessStatus. Returning
// false withholds the receipt, so WhatsApp redelivers the message and
// whatsmeow replays it from its decrypted-event buffer. It runs on
// whatsmeow's only event goroutine: it does local work (conversion, store
// reads, the inbox write) and never calls the network.
func (a *Adapter) handle(evt any) bool {
	switch e := evt.(type) {
	case *events.Message:
		return a.handleMessage(e)
	case *events.JoinedGroup:
		return a.handleJoined(e)
	case *events.GroupInfo:
		return a.handleGroupInfo(e)
	case *events.Connected:
		a.log.Info("connected")
	case *events.Disconnected:
		a.log.Warn("disconnected, reconnecting")
	case *events.KeepAliveTimeout:
		a.log.Warn("keepalive timeout", "errors", e.ErrorCount, "last_success", e.LastSuccess)
	case *events.KeepAliveRestored:
		a.log.Info("keepalive restored")
	case *events.OfflineSyncCompleted:
		a.log.Info("offline messages delivered", "count", e.Count)
	case *events.UndecryptableMessage:
		a.log.Warn("undecryptable message", "chat", e.Info.Chat.String(), "sender", e.Info.Sender.String(), "id", e.Info.ID, "unavailable", e.IsUnavailable)
	case *events.LoggedOut:
		a.log.Error("logged out", "reason", e.Reason.String(), "on_connect", e.OnConnect)
		a.stopWith(fmt.Errorf("%w (%s)", ErrLoggedOut, e.Reason))
	case *events.StreamReplaced:
		a.log.Error("stream replaced by another process")
		a.stopWith(ErrStreamReplaced)
	case *events.TemporaryBan:
		until := a.now().Add(e.Expire)
		a.mu.Lock()
		a.bannedUntil = until
		a.mu.Unlock()
		a.log.Error("temporarily banned", "reason", e.Code.String(), "expires_in", e.Expire, "until", until)
		a.stopWith(fmt.Errorf("%w: %s; expires in %s (%s)", ErrTemporaryBan, e.Code, e.Expire, until.Format(time.RFC3339)))
	case *events.ClientOutdated:
		a.log.Error("client outdated")
		a.stopWith(ErrClientOutdated)
	case *events.ConnectFailure:
		a.log.Error("connect failure", "reason", e.Reason.String(), "message", e.Message)
		a.stopWith(fmt.Errorf("%w: %s %s", ErrConnectFailure, e.Reason, e.Message))
	case events.PermanentDisconnect:
		a.log.Error("permanent disconnect", "reason", e.PermanentDisconnectDescription())
		a.stopWith(fmt.Errorf("%w: %s", ErrConnectFailure, e.PermanentDisconnectDescription()))
	}
	return true
}

func (a *Adapter) handleMessage(evt *events.Message) bool {
	if evt.Message.GetPollUpdateMessage() != nil {
		return a.handleVote(evt)
	}
	in, ok := Convert(evt, a.self())
	if !ok {
		a.log.Debug("message ignored", "chat", evt.Info.Chat.String(), "id", evt.Info.ID, "type", evt.Info.Type)
		return true
	}
	a.addAlt(&in, evt.Info.Sender)
	if in.Kind == chat.Private && strings.HasSuffix(string(in.SenderAlt), "@lid") && !strings.HasSuffix(string(in.Sender), "@lid") {
		// A private conversation is keyed on its chat: always the LID when
		// it is known, so a reply that arrives under the phone number still
		// answers the open question.
		in.Sender, in.SenderAlt = in.SenderAlt, in.Sender
		in.Chat = chat.PrivateChat(in.Sender)
	}
	return a.deliver(in)
}

// handleVote decrypts a native poll vote into the SHA-256 hashes of the
// chosen options. A vote that cannot be decrypted is acknowledged: a
// redelivery would fail the same way, and typing the option number in the
// group always works.
func (a *Adapter) handleVote(evt *events.Message) bool {
	in, ok := envelope(evt)
	if !ok {
		return true
	}
	pu := evt.Message.GetPollUpdateMessage()
	ctx, cancel := context.WithTimeout(a.ctx, receiveTimeout)
	defer cancel()
	vote, err := a.cli.DecryptPollVote(ctx, evt)
	if err != nil && evt.Info.IsGroup && !evt.Info.SenderAlt.IsEmpty() {
		// whatsmeow (Dec 2025) keys the vote by the wrong one of the
		// voter's two ids in some LID-migrated groups; try the other.
		swapped := *evt
		swapped.Info.Sender, swapped.Info.SenderAlt = evt.Info.SenderAlt, evt.Info.Sender
		var err2 error
		if vote, err2 = a.cli.DecryptPollVote(ctx, &swapped); err2 == nil {
			err = nil
		} else {
			err = fmt.Errorf("%w; with sender and alt swapped: %w", err, err2)
		}
	}
	if err != nil {
		a.log.Warn("poll vote not decrypted; the voter can type the number instead",
			"chat", in.Chat, "sender", in.Sender, "poll", pu.GetPollCreationMessageKey().GetID(), "err", err)
		return true
	}
	v := &chat.Vote{PollID: pu.GetPollCreationMessageKey().GetID()}
	for _, h := range vote.GetSelectedOptions() {
		v.Hashes = append(v.Hashes, hex.EncodeToString(h))
	}
	in.Vote = v
	a.addAlt(&in, evt.Info.Sender)
	return a.deliver(in)
}

// handleJoined reports the bot being added to a group.
func (a *Adapter) handleJoined(e *events.JoinedGroup) bool {
	in := chat.Inbound{
		Platform: chat.WhatsApp,
		Chat:     chat.ChatID(e.JID.String()),
		Kind:     chat.Group,
		Event:    chat.EventJoined,
		Time:     a.now(),
		// A group notification has no message id; the participant
		// version changes with every membership change, so a redelivery
		// of this one dedupes and a later re-add does not.
		ID: chat.MsgID("joined-" + e.ParticipantVersionID),
	}
	if e.Sender != nil {
		in.Sender = chat.UserID(e.Sender.ToNonAD().String())
	}
	if e.SenderPN != nil {
		in.SenderAlt = chat.UserID(e.SenderPN.ToNonAD().String())
	}
	return a.deliver(in)
}

// handleGroupInfo reports the bot being removed from a group; other
// changes of a group are not carenet's business.
func (a *Adapter) handleGroupInfo(e *events.GroupInfo) bool {
	self := a.self()
	left := false
	for _, j := range e.Leave {
		if isSelf(j.ToNonAD().String(), self) {
			left = true
		}
	}
	if !left {
		return true
	}
	in := chat.Inbound{
		Platform: chat.WhatsApp,
		Chat:     chat.ChatID(e.JID.String()),
		Kind:     chat.Group,
		Event:    chat.EventLeft,
		Time:     e.Timestamp,
		ID:       chat.MsgID(fmt.Sprintf("left-%s-%d", e.ParticipantVersionID, e.Timestamp.Unix())),
	}
	if e.Sender != nil {
		in.Sender = chat.UserID(e.Sender.ToNonAD().String())
	}
	if e.SenderPN != nil {
		in.SenderAlt = chat.UserID(e.SenderPN.ToNonAD().String())
	}
	return a.deliver(in)
}

// deliver writes the message to the inbox; false when that failed.
func (a *Adapter) deliver(in chat.Inbound) bool {
	if a.recv == nil {
		a.log.Error("no receiver; message not acknowledged", "chat", in.Chat, "id", in.ID)
		return false
	}
	ctx, cancel := context.WithTimeout(a.ctx, receiveTimeout)
	defer cancel()
	if err := a.recv.Receive(ctx, in); err != nil {
		a.log.Error("inbox write failed; WhatsApp will redeliver", "chat", in.Chat, "sender", in.Sender, "id", in.ID, "err", err)
		return false
	}
	return true
}

// addAlt fills SenderAlt from whatsmeow's LID map when the stanza did not
// carry it, so the core can find the member by either id. A failed lookup
// is only logged: the member is still known by Sender.
func (a *Adapter) addAlt(in *chat.Inbound, sender types.JID) {
	if in.SenderAlt != "" || a.lids == nil {
		return
	}
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	defer cancel()
	sender = sender.ToNonAD()
	var alt types.JID
	var err error
	switch sender.Server {
	case types.HiddenUserServer:
		alt, err = a.lids.GetPNForLID(ctx, sender)
	case types.DefaultUserServer:
		alt, err = a.lids.GetLIDForPN(ctx, sender)
	default:
		return
	}
	if err != nil {
		a.log.Warn("lid/phone lookup failed", "sender", sender.String(), "err", err)
		return
	}
	if !alt.IsEmpty() {
		in.SenderAlt = chat.UserID(alt.ToNonAD().String())
	}
}
