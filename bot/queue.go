package bot

import (
	"context"
	"fmt"
	"time"

	"carenet/internal/chat"
)

// lane holds the waiting messages of one conversation; one goroutine drains
// it and exits when it is empty, so idle conversations cost nothing.
type lane struct {
	items []chat.InboxItem
}

func (b *Bot) dispatch(ctx context.Context, it chat.InboxItem) {
	// Handling must finish even when the caller's context ends (shutdown):
	// a message taken from the inbox is completed, not abandoned halfway.
	ctx = context.WithoutCancel(ctx)
	key := it.Msg.Conversation()
	b.pending.Add(1)
	b.mu.Lock()
	l, running := b.lanes[key]
	if !running {
		l = &lane{}
		b.lanes[key] = l
	}
	l.items = append(l.items, it)
	b.mu.Unlock()
	if !running {
		go b.drain(ctx, key, l)
	}
}

func (b *Bot) drain(ctx context.Context, key chat.Conversation, l *lane) {
	for {
		b.mu.Lock()
		if len(l.items) == 0 {
			delete(b.lanes, key)
			b.mu.Unlock()
			return
		}
		it := l.items[0]
		l.items = l.items[1:]
		b.mu.Unlock()
		b.process(ctx, it)
		b.pending.Done()
	}
}

// handleAttempts bounds retries of a message whose handling fails, so one
// poisonous message cannot block its conversation for ever.
const handleAttempts = 3

func (b *Bot) process(ctx context.Context, it chat.InboxItem) {
	var err error
	for attempt := 1; attempt <= handleAttempts; attempt++ {
		if err = b.handleSafely(ctx, it); err == nil {
			return
		}
		b.log.Warn("handling failed", "seq", it.Seq, "conversation", it.Msg.Conversation(), "attempt", attempt, "err", err)
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
	// Record the failure and tell the sender, so the row does not replay
	// for ever; if even that fails the row stays unhandled and is retried
	// at the next start.
	ferr := b.update(ctx, func(tx Tx) error {
		if it.Msg.Kind == chat.Private {
			if _, err := tx.Enqueue(chat.Outbound{Platform: it.Msg.Platform, Chat: it.Msg.Chat,
				Text: b.bundle.Localizer("").T("error_internal", nil)}, b.now()); err != nil {
				return err
			}
		}
		return tx.MarkHandled(it.Seq, b.now(), err.Error())
	})
	if ferr != nil {
		b.log.Error("could not record failed message", "seq", it.Seq, "err", ferr)
	}
}

func (b *Bot) handleSafely(ctx context.Context, it chat.InboxItem) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return b.handle(ctx, it)
}

// handle runs one message and commits all it changes, its replies and the
// inbox mark in one transaction: a crash before the commit replays the
// message, a crash after it leaves only outbox rows to send.
func (b *Bot) handle(ctx context.Context, it chat.InboxItem) error {
	now := b.now()
	return b.update(ctx, func(tx Tx) error {
		t := &turn{b: b, tx: tx, in: it.Msg, now: now}
		if err := t.run(); err != nil {
			return err
		}
		for _, o := range t.out {
			if _, err := tx.Enqueue(o, now); err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
		}
		return tx.MarkHandled(it.Seq, now, "")
	})
}
