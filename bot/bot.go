// Package bot is carenet's transport-neutral core: it takes chat.Inbound
// messages from any adapter, stores them in the inbox before they are
// acknowledged, handles them in order per conversation (chat, sender) and
// concurrently across conversations, runs commands and flows, and commits
// everything one message changes (conversation state, domain changes, audit
// entries and the replies as outbox rows) in one store transaction. An
// outbox sender per platform then delivers with retry, backoff and rate
// limits, and a scheduler turns due deadlines and idle conversations into
// outbox rows.
//
// bot declares the small store interfaces it needs (Store, Tx); the store
// package satisfies them and internal/app wires the two together.
package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/l10n"
	"carenet/internal/seal"
)

// Store is the persistence the bot needs. Every method is durable when it
// returns.
type Store interface {
	// Receive writes an inbound message to the inbox; fresh is false for
	// a duplicate, which is dropped.
	Receive(ctx context.Context, in chat.Inbound, now time.Time) (seq int64, fresh bool, err error)
	Unhandled(ctx context.Context) ([]chat.InboxItem, error)
	// Update runs fn in one write transaction.
	Update(ctx context.Context, fn func(Tx) error) error
	DueOutbox(ctx context.Context, p chat.Platform, now time.Time, limit int) ([]chat.OutboxItem, error)
	NextOutboxAt(ctx context.Context, p chat.Platform) (time.Time, bool, error)
	MarkSent(ctx context.Context, seq int64, sent chat.Sent, now time.Time) error
	MarkRetry(ctx context.Context, seq int64, attempts int, next time.Time, errText string) error
	MarkFailed(ctx context.Context, seq int64, errText string, now time.Time) error
	EachIdleSession(ctx context.Context, idleSince time.Time, fn func(conv chat.Conversation, s flows.Session, updated time.Time, reminded bool) error) error
}

// Tx is what one message's handling may read and change, all in one
// transaction.
type Tx interface {
	MemberByIdentity(p chat.Platform, u chat.UserID) (*casework.Member, error)
	SetMemberLang(id int64, lang string) error
	Chat(p chat.Platform, c chat.ChatID) (*casework.Group, error)
	Session(conv chat.Conversation) (*flows.Session, error)
	PutSession(conv chat.Conversation, s flows.Session, now time.Time) error
	DeleteSession(conv chat.Conversation) error
	MarkReminded(conv chat.Conversation, now time.Time) error
	Enqueue(out chat.Outbound, notBefore time.Time) (int64, error)
	MarkHandled(seq int64, now time.Time, errText string) error
	Audit(e casework.AuditEntry) error

	District(id int64) (*casework.District, error)
	MemberIdentities(id int64, p chat.Platform) ([]chat.UserID, error)
	MembersByRole(districtID int64, ward int, role casework.Role) ([]casework.Member, error)
	LinkedGroups(districtID int64, ward int) ([]casework.Group, error)
	NextCaseSerial(districtID int64) (int, error)
	CreateCase(c casework.Case, serial int, nameSealed []byte) (int64, error)
	CaseByCode(code string) (*casework.Case, error)
	AddRecord(r casework.Record) (int64, error)
	AddDeadline(caseID int64, kind casework.DeadlineKind, due time.Time) error
	CompleteDeadlines(caseID int64, kind casework.DeadlineKind, now time.Time) error
	OpenDeadlines(caseID int64) ([]casework.Deadline, error)
	OpenCasesOf(memberID int64) ([]casework.Case, error)
	Records(caseID int64, kind string) ([]casework.Record, error)
	CaseNameSealed(id int64) ([]byte, error)

	CreateMember(m casework.Member, now time.Time) (int64, error)
	AddIdentity(memberID int64, p chat.Platform, u chat.UserID) error
	SetMemberUnreachable(id int64, v bool) error
	CreateInvite(in casework.Invite) error
	Invite(code string) (*casework.Invite, error)
	UseInvite(code string, memberID int64, now time.Time) error
	PutChat(p chat.Platform, c chat.ChatID, kind chat.Kind, title string) error
	LinkChat(p chat.Platform, c chat.ChatID, districtID int64, ward int, now time.Time) error
	SetChatActive(p chat.Platform, c chat.ChatID, active bool) error
	SetChatLang(p chat.Platform, c chat.ChatID, lang string) error
	MarkUnlinkedNotified(p chat.Platform, c chat.ChatID) (first bool, err error)
	MoveChat(p chat.Platform, from, to chat.ChatID) error
	Case(id int64) (*casework.Case, error)
	Member(id int64) (*casework.Member, error)
	DueDeadlines(now time.Time) ([]casework.Deadline, error)
	MarkDeadline(id int64, step string, now time.Time) error

	// Each feature area declares what it needs in its own file.
	closureTx
	screeningTx
	supervisionTx
}

// Clock is the one source of time, so the simulator's :advance drives
// every deadline.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Options configure a Bot.
type Options struct {
	Store  Store
	Engine *flows.Engine
	Bundle *l10n.Bundle
	Clock  Clock
	Log    *slog.Logger
	// Location is the time zone of the district offices (Africa/Harare).
	Location *time.Location
	// IdleTimeout: a conversation idle this long is reminded once, and
	// expires after twice as long.
	IdleTimeout time.Duration
	Outbox      OutboxOptions
	// Sealer encrypts children's names; without a key names are refused.
	Sealer *seal.Sealer
	// Quiet reports whether reminders must wait (quiet hours); nil never.
	Quiet func(time.Time) bool
	// Random is the source of invite codes; nil means crypto/rand.
	Random io.Reader
	// Closure is the rule of closure votes; zero fields get the defaults
	// (48 h, quorum min(3, half of the eligible)).
	Closure ClosureOptions
	// Supervision configures the monthly peer-supervision round.
	Supervision SupervisionOptions
}

// OutboxOptions tune delivery retries.
type OutboxOptions struct {
	MaxAttempts int
	BackoffMin  time.Duration
	BackoffMax  time.Duration
}

// Bot is the core. Create it with New, add transports, call Resume once,
// then feed it with Receive.
type Bot struct {
	store   Store
	engine  *flows.Engine
	bundle  *l10n.Bundle
	clock   Clock
	log     *slog.Logger
	loc     *time.Location
	idle    time.Duration
	outOpts OutboxOptions
	actions map[string]action
	sealer  *seal.Sealer
	random  io.Reader
	quiet   func(time.Time) bool
	closure ClosureOptions
	superv  SupervisionOptions

	mu      sync.Mutex
	lanes   map[chat.Conversation]*lane
	pending sync.WaitGroup
	senders map[chat.Platform]*sender
}

// New checks that every flow's action is one the bot can run and returns
// a Bot.
func New(o Options) (*Bot, error) {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 24 * time.Hour
	}
	if o.Outbox.MaxAttempts <= 0 {
		o.Outbox.MaxAttempts = 10
	}
	if o.Outbox.BackoffMin <= 0 {
		o.Outbox.BackoffMin = 2 * time.Second
	}
	if o.Outbox.BackoffMax < o.Outbox.BackoffMin {
		o.Outbox.BackoffMax = 10 * time.Minute
	}
	b := &Bot{
		store: o.Store, engine: o.Engine, bundle: o.Bundle, clock: o.Clock,
		log: o.Log, loc: o.Location, idle: o.IdleTimeout, outOpts: o.Outbox,
		sealer: o.Sealer, quiet: o.Quiet, random: o.Random,
		closure: o.Closure.withDefaults(), superv: o.Supervision.withDefaults(),
		lanes:   map[chat.Conversation]*lane{},
		senders: map[chat.Platform]*sender{},
	}
	if b.sealer == nil {
		b.sealer = &seal.Sealer{}
	}
	if b.random == nil {
		b.random = rand.Reader
	}
	b.actions = b.flowActions()
	errs := []error{CheckFlows(o.Engine.Flows())}
	for _, f := range o.Engine.Flows() {
		if _, ok := b.actions[f.Action]; !ok {
			errs = append(errs, fmt.Errorf("flow %s: action %q is not known to the bot", f.ID, f.Action))
		}
		for _, s := range f.Steps {
			if s.Action != "" && s.Action != flows.ActionNone {
				if _, ok := b.actions[s.Action]; !ok {
					errs = append(errs, fmt.Errorf("flow %s step %s: action %q is not known to the bot", f.ID, s.ID, s.Action))
				}
			}
		}
	}
	return b, errors.Join(errs...)
}

// now is the bot's clock in the district time zone.
func (b *Bot) now() time.Time { return b.clock.Now().In(b.loc) }

// Receive is the acknowledgement point: when it returns nil the message is
// durably in the inbox (or was already there) and the adapter may confirm
// it to the platform. Handling happens afterwards, in order per
// conversation.
func (b *Bot) Receive(ctx context.Context, in chat.Inbound) error {
	if in.Time.IsZero() {
		in.Time = b.now()
	}
	seq, fresh, err := b.store.Receive(ctx, in, b.now())
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	if !fresh {
		b.log.Debug("duplicate dropped", "platform", in.Platform, "chat", in.Chat, "id", in.ID)
		return nil
	}
	b.dispatch(ctx, chat.InboxItem{Seq: seq, Msg: in})
	return nil
}

// Resume dispatches inbox rows left unhandled by a crash or a stop. Call it
// once at start, before adapters deliver new messages.
func (b *Bot) Resume(ctx context.Context) error {
	items, err := b.store.Unhandled(ctx)
	if err != nil {
		return fmt.Errorf("resume inbox: %w", err)
	}
	if len(items) > 0 {
		b.log.Info("resuming unhandled messages", "count", len(items))
	}
	for _, it := range items {
		b.dispatch(ctx, it)
	}
	return nil
}

// Wait blocks until every dispatched message has been handled.
func (b *Bot) Wait() { b.pending.Wait() }
