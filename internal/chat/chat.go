// Package chat is the messaging leaf of carenet: the platform-neutral shape of
// a message coming in (Inbound) and going out (Outbound), and the Transport
// contract every channel adapter (simulator, Telegram, WhatsApp) satisfies.
//
// It imports only the standard library so that the bot core and the adapters
// can share it without depending on each other.
package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Platform names a channel. It is part of every identity and dedupe key, so
// the same numeric id on two platforms never collides.
type Platform string

// The platforms carenet speaks.
const (
	Sim      Platform = "sim"
	Telegram Platform = "telegram"
	WhatsApp Platform = "whatsapp"
)

// ChatID, UserID and MsgID are opaque platform identifiers. Adapters decide
// their spelling; the core only compares and stores them.
type (
	ChatID string
	UserID string
	MsgID  string
)

// PrivateChat returns the private chat between the bot and a user. On every
// supported platform the private chat is addressed by the user's own id
// (Telegram: chat.id == user.id; WhatsApp: the user's JID; simulator: the
// member name), which lets the bot move a conversation out of a group
// without a platform round trip.
func PrivateChat(u UserID) ChatID { return ChatID(u) }

// Kind tells a private chat from a group.
type Kind string

// Chat kinds.
const (
	Private Kind = "private"
	Group   Kind = "group"
)

// Conversation is the unit of ordering: messages of one (chat, sender) pair
// are handled one after another, different conversations concurrently.
type Conversation struct {
	Platform Platform `json:"p"`
	Chat     ChatID   `json:"c"`
	User     UserID   `json:"u"`
}

func (c Conversation) String() string {
	return fmt.Sprintf("%s/%s/%s", c.Platform, c.Chat, c.User)
}

// Inbound is one event from a platform after its adapter converted it.
type Inbound struct {
	Platform Platform `json:"platform"`
	Chat     ChatID   `json:"chat"`
	Kind     Kind     `json:"kind"`
	Sender   UserID   `json:"sender"`
	// SenderAlt is another id of the same person when the platform gives
	// two (WhatsApp: the phone-number JID beside a LID, or the reverse).
	// The core finds a member by either and keeps both.
	SenderAlt UserID `json:"sender_alt,omitempty"`
	// ID is the platform's message id. Together with Platform, Chat and
	// Sender it is the dedupe key, so a redelivery is dropped.
	ID   MsgID     `json:"id"`
	Time time.Time `json:"time"`
	// Name is the sender's display name, used only for logs and first
	// contact; it is never posted to a group by the core.
	Name string `json:"name,omitempty"`
	// Text is the message text, or a caption, or the data of a pressed
	// button. Adapters strip a leading "@bot" mention and "/cmd@bot" suffix.
	Text string `json:"text,omitempty"`
	// ReplyTo is the id of the message this one answers, when the platform
	// says so.
	ReplyTo MsgID `json:"reply_to,omitempty"`
	// Mentioned is true when the bot was @mentioned.
	Mentioned bool `json:"mentioned,omitempty"`
	// NonText marks stickers, photos without a caption, voice notes and
	// the like: carenet reads text only.
	NonText bool `json:"non_text,omitempty"`
	// Vote is set for an answer to a native poll.
	Vote *Vote `json:"vote,omitempty"`
	// LangHint is the platform's language for the sender (e.g. Telegram's
	// language_code), used only before the member has chosen one.
	LangHint string `json:"lang_hint,omitempty"`
	// Ref is the Outbound.Ref of the bot message whose button was pressed
	// (Telegram inline keyboards). The core refuses a stale button, one
	// whose question is no longer the open one; typed answers carry none.
	Ref string `json:"ref,omitempty"`
	// Event is set for a change of the chat itself rather than a message.
	Event Event `json:"event,omitempty"`
	// MigratedTo is the new id of a group that moved (EventMigrated).
	MigratedTo ChatID `json:"migrated_to,omitempty"`
}

// Event is a change to a chat that the adapters report as an Inbound with
// no text.
type Event string

// Chat events.
const (
	// EventJoined: the bot was added to a group.
	EventJoined Event = "joined"
	// EventLeft: the bot was removed from a group; its link is kept but
	// marked inactive.
	EventLeft Event = "left"
	// EventMigrated: the group got a new id (a Telegram group upgraded to a
	// supergroup); its link and members move with it.
	EventMigrated Event = "migrated"
)

// Conversation returns the ordering key of the message.
func (in Inbound) Conversation() Conversation {
	return Conversation{Platform: in.Platform, Chat: in.Chat, User: in.Sender}
}

// Vote is a poll answer. Options are zero-based; an empty list means the
// voter withdrew their vote.
//
// Adapters whose votes carry no chat (Telegram's poll_answer) leave Chat
// empty; the core finds the group through the poll id it stored at send
// time. WhatsApp votes name options by the SHA-256 of their text; the
// adapter passes those as Hashes and the core maps them to indexes through
// the Sent.Secret it stored.
type Vote struct {
	PollID  string   `json:"poll_id"`
	Options []int    `json:"options,omitempty"`
	Hashes  []string `json:"hashes,omitempty"`
}

// Outbound is one message the bot sends.
type Outbound struct {
	Platform Platform `json:"platform"`
	Chat     ChatID   `json:"chat"`
	// Text is the message; lines are separated by "\n".
	Text string `json:"text,omitempty"`
	// Choices are the options of a question, already translated. Every
	// transport shows them as numbered "N) option" lines so typing the
	// number always works; a transport with buttons may add them too.
	Choices []string `json:"choices,omitempty"`
	// Poll, when set, is sent as the platform's native poll.
	Poll *Poll `json:"poll,omitempty"`
	// Ref is a short opaque tag the core attaches to a question with
	// choices (and to polls). An adapter with buttons puts it in the
	// button data and returns it as Inbound.Ref; it is never shown.
	Ref string `json:"ref,omitempty"`
	// ReactTo, when set, makes this a reaction (Text is the emoji) to
	// that message of ReactToSender. Transports that have no reactions
	// drop it and report success.
	ReactTo       MsgID  `json:"react_to,omitempty"`
	ReactToSender UserID `json:"react_to_sender,omitempty"`
}

// Poll is a single-choice native poll.
type Poll struct {
	Question string   `json:"question"`
	Options  []string `json:"options"`
}

// Sent is what a transport reports after a successful send.
type Sent struct {
	ID     MsgID  `json:"id,omitempty"`
	PollID string `json:"poll_id,omitempty"`
	// Secret holds platform data needed later to read poll votes (WhatsApp
	// option hashes); the core stores it opaque.
	Secret string `json:"secret,omitempty"`
}

// SentPoll is a native poll as the outbox stored it at send time: enough
// to trace a vote back to what the poll asked (Ref) and to read it.
type SentPoll struct {
	Seq    int64
	Chat   ChatID
	Ref    string
	Sent   Sent
	SentAt time.Time
}

// Ballots returns the zero-based options a vote chose. Votes that name
// options by hash (WhatsApp) are matched against the poll's Secret, a JSON
// array of the option hashes in option order; a hash that matches no
// option is dropped, so a vote of unknown options counts as no vote.
func (p SentPoll) Ballots(v Vote) []int {
	if len(v.Hashes) == 0 {
		return v.Options
	}
	var hashes []string
	if err := json.Unmarshal([]byte(p.Sent.Secret), &hashes); err != nil {
		return nil
	}
	var out []int
	for _, h := range v.Hashes {
		if i := slices.Index(hashes, strings.ToLower(h)); i >= 0 {
			out = append(out, i)
		}
	}
	return out
}

// Transport delivers outbound messages on one platform.
//
// Key is a stable idempotency key for the message (the outbox row), the same
// on every retry; transports that can (WhatsApp message ids) use it so a
// retry after a crash is not shown twice.
type Transport interface {
	Platform() Platform
	Send(ctx context.Context, key string, out Outbound) (Sent, error)
}

// ErrPermanent marks a send that must not be retried (the user blocked the
// bot, the chat is gone). Wrap it: fmt.Errorf("...: %w", chat.ErrPermanent).
var ErrPermanent = errors.New("permanent send failure")

// ErrUnreachable marks a private chat the bot can no longer write to (the
// member blocked the bot). It is permanent; the core also marks that
// member unreachable so their LCCW can see it. Wrap it with %w.
var ErrUnreachable = fmt.Errorf("recipient unreachable: %w", ErrPermanent)

// RetryAfterError asks the sender to wait before the next attempt, as a
// platform's flood control demands.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// InboxItem is an inbound message as stored in the inbox, numbered by its
// row so handling can be marked done.
type InboxItem struct {
	Seq int64
	Msg Inbound
}

// OutboxItem is an outbound message waiting in the outbox.
type OutboxItem struct {
	Seq      int64
	Msg      Outbound
	Attempts int
}

// Key is the idempotency key of the row, stable across retries and restarts.
func (o OutboxItem) Key() string { return fmt.Sprintf("cn%d", o.Seq) }
