package bot_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"carenet/bot"
	"carenet/internal/bottest"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/store"

	_ "github.com/mattn/go-sqlite3"
)

// recorder is a transport that records what it sends and can fail on
// demand.
type recorder struct {
	mu   sync.Mutex
	sent []chat.Outbound
	keys []string
	fail func(out chat.Outbound) error
}

func (r *recorder) Platform() chat.Platform { return chat.Sim }

func (r *recorder) Send(_ context.Context, key string, out chat.Outbound) (chat.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(out); err != nil {
			return chat.Sent{}, err
		}
	}
	r.sent = append(r.sent, out)
	r.keys = append(r.keys, key)
	sent := chat.Sent{ID: chat.MsgID(key)}
	if out.Poll != nil {
		sent.PollID = "poll-" + key
	}
	return sent, nil
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []string
	for _, o := range r.sent {
		ts = append(ts, string(o.Chat)+": "+o.Text)
	}
	return ts
}

type fixture struct {
	path  string
	db    *store.DB
	bot   *bot.Bot
	tr    *recorder
	clock *bottest.Clock
}

func newFixture(t testing.TB) *fixture { return newFixtureSync(t, "FULL") }

func newFixtureSync(t testing.TB, sync string) *fixture { return newFixtureQuiet(t, sync, nil) }

func newFixtureQuiet(t testing.TB, sync string, quiet func(time.Time) bool) *fixture {
	return newFixtureOpts(t, sync, bot.Options{Quiet: quiet})
}

// newFixtureOpts builds the fixture's bot with o (its Clock is the
// fixture's).
func newFixtureOpts(t testing.TB, sync string, o bot.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := store.Open(ctx, store.Options{Path: path, Synchronous: sync})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := bottest.NewClock(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC))
	o.Clock = clock
	b := bottest.NewBot(t, db, o)
	tr := &recorder{}
	b.AddTransport(tr, bot.Limits{})
	err = db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.CreateDistrict("Demo", "DEM")
		if err != nil {
			return err
		}
		for i, name := range []string{"tendai", "sipho"} {
			id, err := tx.CreateMember(casework.Member{Name: name, Role: casework.CCW, DistrictID: d.ID, Ward: 18, Lang: []string{"sn", "nd"}[i]}, clock.Now())
			if err != nil {
				return err
			}
			if err := tx.AddIdentity(id, chat.Sim, chat.UserID(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{path: path, db: db, bot: b, tr: tr, clock: clock}
}

func dm(user, id, text string) chat.Inbound {
	return chat.Inbound{Platform: chat.Sim, Chat: chat.ChatID(user), Kind: chat.Private, Sender: chat.UserID(user), ID: chat.MsgID(id), Text: text}
}

func (f *fixture) deliver(t testing.TB, ins ...chat.Inbound) {
	t.Helper()
	for _, in := range ins {
		if err := f.bot.Receive(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	f.bot.Wait()
	if err := f.bot.Flush(context.Background(), chat.Sim); err != nil {
		t.Fatal(err)
	}
}

// TestRedeliveryAnsweredOnce: the same inbound message (same platform, chat
// and id) delivered twice is handled and answered once.
func TestRedeliveryAnsweredOnce(t *testing.T) {
	f := newFixture(t)
	in := dm("tendai", "m1", "/lang")
	f.deliver(t, in, in)
	f.deliver(t, in)
	if got := f.tr.texts(); len(got) != 1 {
		t.Fatalf("want one reply, got %d: %q", len(got), got)
	}
}

// TestOrderPerConversation: many messages of two conversations delivered at
// once are handled in order within each conversation.
func TestOrderPerConversation(t *testing.T) {
	f := newFixture(t)
	var ins []chat.Inbound
	for i := range 5 {
		ins = append(ins, dm("tendai", fmt.Sprint("t", i), "/lang"), dm("sipho", fmt.Sprint("s", i), "/cancel"))
	}
	ins = append(ins, dm("tendai", "t-last", "2"))
	f.deliver(t, ins...)
	var tendai []string
	for _, o := range f.tr.sent {
		if o.Chat == "tendai" {
			tendai = append(tendai, o.Text)
		}
	}
	// Five prompts (the later ones replacing the earlier), then the answer
	// 2 = Shona confirmed: only possible if the answer came last.
	if len(tendai) != 6 {
		t.Fatalf("tendai got %d messages: %q", len(tendai), tendai)
	}
	var m *casework.Member
	_ = f.db.Update(context.Background(), func(tx *store.Tx) error {
		m, _ = tx.MemberByIdentity(chat.Sim, "tendai")
		return nil
	})
	if m.Lang != "sn" {
		t.Errorf("tendai's language = %q, want sn", m.Lang)
	}
}

// TestOutboxRetryBackoff: a failing send is retried after backoff, a
// RetryAfter is honoured, later messages of the same chat wait their turn,
// and a permanent failure stops retries.
func TestOutboxRetryBackoff(t *testing.T) {
	f := newFixture(t)
	calls := 0
	f.tr.fail = func(out chat.Outbound) error {
		calls++
		if calls == 1 {
			return &chat.RetryAfterError{After: 30 * time.Second, Err: errors.New("429")}
		}
		return nil
	}
	f.deliver(t, dm("tendai", "a", "/lang"), dm("tendai", "b", "/cancel"))
	if n := len(f.tr.sent); n != 0 {
		t.Fatalf("sent %d before the retry time", n)
	}
	f.clock.Add(29 * time.Second)
	f.deliver(t)
	if n := len(f.tr.sent); n != 0 {
		t.Fatalf("sent %d before RetryAfter passed", n)
	}
	f.clock.Add(2 * time.Second)
	f.deliver(t)
	if got := f.tr.texts(); len(got) != 2 {
		t.Fatalf("after RetryAfter want both messages in order, got %q", got)
	}

	f.tr.fail = func(chat.Outbound) error { return fmt.Errorf("blocked: %w", chat.ErrPermanent) }
	f.deliver(t, dm("sipho", "c", "/lang"))
	f.clock.Add(time.Hour)
	f.deliver(t)
	pending, _, failed, err := f.db.OutboxCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pending != 0 || failed != 1 {
		t.Errorf("permanent failure: pending %d failed %d, want 0 and 1", pending, failed)
	}
}

// TestUnregisteredPrivateOnly: an unknown person gets one polite line in a
// private chat and nothing in a group.
func TestUnregisteredPrivateOnly(t *testing.T) {
	f := newFixture(t)
	f.deliver(t, dm("nobody", "x", "hello"),
		chat.Inbound{Platform: chat.Sim, Chat: "ward18", Kind: chat.Group, Sender: "nobody", ID: "y", Text: "/lang"})
	got := f.tr.texts()
	if len(got) != 1 || got[0][:7] != "nobody:" {
		t.Fatalf("want one private reply, got %q", got)
	}
}

// BenchmarkHandleMessage measures one message end to end: inbox write,
// engine step, one committed transaction with its outbox row, on a real
// file, with synchronous FULL and NORMAL. BenchmarkInsertCommit in store
// gives the disk's own commit rate on the same kind of file.
func BenchmarkHandleMessage(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) {
			f := newFixtureSync(b, sync)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				if err := f.bot.Receive(ctx, dm("tendai", fmt.Sprint(i), "/cancel")); err != nil {
					b.Fatal(err)
				}
				f.bot.Wait()
			}
		})
	}
}

// BenchmarkInsertCommit is the baseline of BenchmarkHandleMessage: one raw
// single-row INSERT transaction on a carenet database file, opened with the
// same DSN, so a handled message reads as a ratio of the disk's commit rate.
func BenchmarkInsertCommit(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) {
			f := newFixtureSync(b, sync)
			raw, err := sql.Open("sqlite3", store.DSN(store.Options{Path: f.path, Synchronous: sync}))
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			raw.SetMaxOpenConns(1)
			if _, err := raw.Exec(`CREATE TABLE bench(id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				tx, err := raw.Begin()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.Exec(`INSERT INTO bench(v) VALUES (?)`, fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDeadlineWaitsForMorning: a deadline falling due in quiet hours is not
// reminded until they end.
func TestDeadlineWaitsForMorning(t *testing.T) {
	var quiet bool
	f := newFixtureQuiet(t, "FULL", func(time.Time) bool { return quiet })
	steps := []string{"/newcase", "today", "1", "2", "2", "-", "7", "no", "1", "-"}
	for i, s := range steps {
		f.deliver(t, dm("tendai", fmt.Sprint("n", i), s))
	}
	before := len(f.tr.texts())
	f.clock.Add(49 * time.Hour)
	quiet = true
	if err := f.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.deliver(t)
	if got := f.tr.texts(); len(got) != before {
		t.Fatalf("reminder sent in quiet hours: %q", got[before:])
	}
	quiet = false
	if err := f.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.deliver(t)
	got := f.tr.texts()
	if len(got) != before+1 || !strings.Contains(got[before], "DEM-") {
		t.Fatalf("after quiet hours want one reminder, got %q", got[before:])
	}
}

// TestSenderWokenAfterCommit: a running sender with an empty outbox sleeps
// for a minute; a new reply must wake it once its transaction commits.
func TestSenderWokenAfterCommit(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.bot.RunSender(ctx, chat.Sim) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond) // let it find the outbox empty and sleep
	if err := f.bot.Receive(ctx, dm("tendai", "w1", "/lang")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.tr.texts()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("reply not sent within 5 s: the sender was not woken")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
