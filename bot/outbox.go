package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"carenet/internal/chat"
)

// Limits are a platform's send rates; zero values mean unlimited (the
// simulator). Telegram: 1 msg/s per chat, 20/min per group, 30/s overall.
// WhatsApp: a few per minute per chat and a conservative global rate, since
// numbers that send fast get banned.
type Limits struct {
	PerChat   rate.Limit // messages per second in one chat
	PerGroup  rate.Limit // messages per second in one group (tighter than PerChat)
	Global    rate.Limit // messages per second overall
	GroupKind func(chat.ChatID) bool
}

// sendTimeout bounds one send, also when the sender is stopping.
const sendTimeout = 30 * time.Second

// sender delivers one platform's outbox rows in order.
type sender struct {
	t      chat.Transport
	limits Limits
	wake   chan struct{}

	mu     sync.Mutex
	global *rate.Limiter
	chats  map[chat.ChatID]*rate.Limiter
	groups map[chat.ChatID]*rate.Limiter
}

// AddTransport registers the transport of a platform.
func (b *Bot) AddTransport(t chat.Transport, l Limits) {
	s := &sender{t: t, limits: l, wake: make(chan struct{}, 1),
		chats: map[chat.ChatID]*rate.Limiter{}, groups: map[chat.ChatID]*rate.Limiter{}}
	if l.Global > 0 {
		s.global = rate.NewLimiter(l.Global, 1)
	}
	b.mu.Lock()
	b.senders[t.Platform()] = s
	b.mu.Unlock()
}

func (b *Bot) sender(p chat.Platform) *sender {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.senders[p]
}

// enqueueTx notes the platforms a transaction queued messages for, so
// update can wake their senders once the rows are committed and visible.
type enqueueTx struct {
	Tx
	platforms map[chat.Platform]bool
}

func (t *enqueueTx) Enqueue(out chat.Outbound, notBefore time.Time) (int64, error) {
	t.platforms[out.Platform] = true
	return t.Tx.Enqueue(out, notBefore)
}

// update runs fn in one store transaction and, after the commit, wakes the
// sender of every platform fn queued messages for. Every write of the bot
// goes through it, so no sender is woken before its rows exist.
func (b *Bot) update(ctx context.Context, fn func(Tx) error) error {
	var platforms map[chat.Platform]bool
	err := b.store.Update(ctx, func(tx Tx) error {
		et := &enqueueTx{Tx: tx, platforms: map[chat.Platform]bool{}}
		platforms = et.platforms
		return fn(sealedSessions{Tx: et, b: b})
	})
	if err != nil {
		return err
	}
	for p := range platforms {
		b.wake(p)
	}
	return nil
}

// wake tells a platform's running sender that rows may be due.
func (b *Bot) wake(p chat.Platform) {
	if s := b.sender(p); s != nil {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// wait blocks until the rate limits allow one more message to c.
func (s *sender) wait(ctx context.Context, c chat.ChatID) error {
	var ls []*rate.Limiter
	s.mu.Lock()
	if s.global != nil {
		ls = append(ls, s.global)
	}
	if s.limits.PerChat > 0 {
		l := s.chats[c]
		if l == nil {
			l = rate.NewLimiter(s.limits.PerChat, 1)
			s.chats[c] = l
		}
		ls = append(ls, l)
	}
	if s.limits.PerGroup > 0 && s.limits.GroupKind != nil && s.limits.GroupKind(c) {
		l := s.groups[c]
		if l == nil {
			l = rate.NewLimiter(s.limits.PerGroup, 1)
			s.groups[c] = l
		}
		ls = append(ls, l)
	}
	s.mu.Unlock()
	for _, l := range ls {
		if err := l.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Flush sends every due outbox row of platform p now, in the caller's
// goroutine. The simulator uses it so each input line's replies are
// printed before the next line is read.
func (b *Bot) Flush(ctx context.Context, p chat.Platform) error {
	s := b.sender(p)
	if s == nil {
		return fmt.Errorf("no transport for %s", p)
	}
	for {
		n, err := b.sendDue(ctx, s)
		if err != nil || n == 0 {
			return err
		}
	}
}

// RunSender delivers platform p's outbox until ctx ends: woken by new rows,
// and by a timer for rows waiting on backoff.
func (b *Bot) RunSender(ctx context.Context, p chat.Platform) error {
	s := b.sender(p)
	if s == nil {
		return fmt.Errorf("no transport for %s", p)
	}
	for {
		if _, err := b.sendDue(ctx, s); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.log.Error("outbox", "platform", p, "err", err)
		}
		delay := time.Minute
		if next, ok, err := b.store.NextOutboxAt(ctx, p); err == nil && ok {
			delay = max(time.Until(next), 50*time.Millisecond)
			delay = min(delay, time.Minute)
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// sendBatch bounds one query; sendDue loops while rows keep coming.
const sendBatch = 64

// sendDue sends one batch of due rows and returns how many were attempted.
// A chat whose message failed is skipped for the rest of the batch so its
// messages never arrive out of order.
func (b *Bot) sendDue(ctx context.Context, s *sender) (int, error) {
	p := s.t.Platform()
	items, err := b.store.DueOutbox(ctx, p, b.now(), sendBatch)
	if err != nil {
		return 0, fmt.Errorf("due outbox: %w", err)
	}
	blocked := map[chat.ChatID]bool{}
	n := 0
	for _, it := range items {
		if blocked[it.Msg.Chat] {
			continue
		}
		if err := s.wait(ctx, it.Msg.Chat); err != nil {
			return n, err
		}
		n++
		// A message being sent when the sender stops is finished (within
		// a bound), not cut off: a cut-off send may have arrived and would
		// go out again at the next start.
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		sent, err := s.t.Send(sendCtx, it.Key(), it.Msg)
		cancel()
		// A send that happened must be recorded even when the sender is
		// stopping, or the next start would send it again.
		keep := context.WithoutCancel(ctx)
		if err == nil {
			if err := b.store.MarkSent(keep, it.Seq, sent, b.now()); err != nil {
				return n, fmt.Errorf("mark sent: %w", err)
			}
			continue
		}
		if ctx.Err() != nil {
			// Stopping: the send failed because the channel is closing, not
			// because of the message. It stays due, its attempts unspent.
			return n, ctx.Err()
		}
		blocked[it.Msg.Chat] = true
		if err := b.sendFailed(keep, it, err); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (b *Bot) sendFailed(ctx context.Context, it chat.OutboxItem, sendErr error) error {
	attempts := it.Attempts + 1
	log := b.log.With("seq", it.Seq, "platform", it.Msg.Platform, "chat", it.Msg.Chat, "attempt", attempts, "err", sendErr)
	if errors.Is(sendErr, chat.ErrUnreachable) {
		now := b.now()
		if err := b.update(ctx, func(tx Tx) error { return b.markUnreachable(tx, it.Msg.Platform, it.Msg.Chat, now) }); err != nil {
			return fmt.Errorf("mark unreachable: %w", err)
		}
	}
	if errors.Is(sendErr, chat.ErrPermanent) || attempts >= b.outOpts.MaxAttempts {
		log.Warn("send failed for good")
		return b.store.MarkFailed(ctx, it.Seq, sendErr.Error(), b.now())
	}
	wait := backoff(b.outOpts, attempts)
	var ra *chat.RetryAfterError
	if errors.As(sendErr, &ra) && ra.After > wait {
		wait = ra.After
	}
	log.Info("send failed, will retry", "in", wait)
	return b.store.MarkRetry(ctx, it.Seq, attempts, b.now().Add(wait), sendErr.Error())
}

// backoff doubles from BackoffMin up to BackoffMax.
func backoff(o OutboxOptions, attempts int) time.Duration {
	d := o.BackoffMin
	for i := 1; i < attempts && d < o.BackoffMax; i++ {
		d *= 2
	}
	return min(d, o.BackoffMax)
}

// enqueueAll queues messages in the transaction, in order.
func enqueueAll(tx Tx, outs []chat.Outbound, now time.Time) error {
	for _, o := range outs {
		if _, err := tx.Enqueue(o, now); err != nil {
			return err
		}
	}
	return nil
}
