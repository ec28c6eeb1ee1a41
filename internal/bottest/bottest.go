// Package bottest builds a real carenet core for tests: the embedded
// locales and flows, a bot over a real SQLite file (no database mocks) and
// a clock that moves only when a test moves it. The bot's own tests and the
// channel adapters' end-to-end tests share it; only _test.go files may
// import it (internal/app's dependency test checks that).
package bottest

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"carenet/bot"
	"carenet/flows"
	"carenet/flows/defs"
	"carenet/internal/l10n"
	"carenet/locales"
	"carenet/store"
)

// Store lets *store.DB serve as bot.Store, as internal/app's botStore does:
// Go needs the Update callback's parameter type to match.
type Store struct{ *store.DB }

// Update runs fn in one write transaction.
func (s Store) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error { return fn(tx) })
}

// Clock stands still unless a test moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Content loads the embedded locales and flows, every flow message checked
// against English.
func Content(t testing.TB) (*l10n.Bundle, *flows.Engine) {
	t.Helper()
	bundle, err := l10n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := flows.Load(defs.FS, func(id string) bool { return bundle.Has("en", id) })
	if err != nil {
		t.Fatal(err)
	}
	return bundle, flows.NewEngine(fs)
}

// NewBot builds a bot over db. Unset options get test defaults: the
// embedded content, a silent log, and three send attempts backing off from
// a second to a minute.
func NewBot(t testing.TB, db *store.DB, o bot.Options) *bot.Bot {
	t.Helper()
	o.Store = Store{db}
	if o.Bundle == nil || o.Engine == nil {
		o.Bundle, o.Engine = Content(t)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Outbox == (bot.OutboxOptions{}) {
		o.Outbox = bot.OutboxOptions{MaxAttempts: 3, BackoffMin: time.Second, BackoffMax: time.Minute}
	}
	b, err := bot.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
