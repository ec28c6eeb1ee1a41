package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"carenet/internal/chat"
)

func enqueue(t *testing.T, db *DB, out chat.Outbound, at time.Time) int64 {
	t.Helper()
	var seq int64
	update(t, db, func(tx *Tx) error {
		var err error
		seq, err = tx.Enqueue(out, at)
		return err
	})
	return seq
}

func dueSeqs(t *testing.T, db *DB, p chat.Platform, now time.Time, limit int) []int64 {
	t.Helper()
	items, err := db.DueOutbox(context.Background(), p, now, limit)
	if err != nil {
		t.Fatal(err)
	}
	seqs := []int64{}
	for _, it := range items {
		seqs = append(seqs, it.Seq)
	}
	return seqs
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})

	if _, ok, err := db.NextOutboxAt(ctx, chat.Telegram); ok || err != nil {
		t.Fatalf("empty outbox: NextOutboxAt ok=%v err=%v", ok, err)
	}

	poll := chat.Outbound{Platform: chat.Telegram, Chat: "g1", Text: "Close case?", Ref: "HRE-7K",
		Poll: &chat.Poll{Question: "Close HRE-7K?", Options: []string{"yes", "no"}}}
	a := enqueue(t, db, poll, t0)
	b := enqueue(t, db, chat.Outbound{Platform: chat.Telegram, Chat: "u1", Text: "later", Choices: []string{"1", "2"}}, t0.Add(time.Hour))
	c := enqueue(t, db, chat.Outbound{Platform: chat.Telegram, Chat: "u2", Text: "now too"}, t0.Add(-time.Second))
	w := enqueue(t, db, chat.Outbound{Platform: chat.WhatsApp, Chat: "x@s", Text: "other platform"}, t0.Add(-time.Hour))

	// Due: only this platform, only next_at <= now, in seq order.
	if got, want := dueSeqs(t, db, chat.Telegram, t0, 0), []int64{a, c}; !reflect.DeepEqual(got, want) {
		t.Errorf("due at t0 = %v, want %v", got, want)
	}
	if got, want := dueSeqs(t, db, chat.Telegram, t0.Add(time.Hour), 2), []int64{a, b}; !reflect.DeepEqual(got, want) {
		t.Errorf("due at t0+1h, limit 2 = %v, want %v", got, want)
	}
	if got, want := dueSeqs(t, db, chat.WhatsApp, t0, 10), []int64{w}; !reflect.DeepEqual(got, want) {
		t.Errorf("whatsapp due = %v, want %v", got, want)
	}
	items, err := db.DueOutbox(ctx, chat.Telegram, t0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := (chat.OutboxItem{Seq: a, Msg: poll}); len(items) != 1 || !reflect.DeepEqual(items[0], want) {
		t.Errorf("DueOutbox = %+v, want %+v", items, want)
	}
	if next, ok, err := db.NextOutboxAt(ctx, chat.Telegram); err != nil || !ok || !next.Equal(t0.Add(-time.Second)) {
		t.Errorf("NextOutboxAt = %v %v %v, want %v", next, ok, err, t0.Add(-time.Second))
	}

	// c fails once (retry in a minute), then for good.
	if err := db.MarkRetry(ctx, c, 1, t0.Add(time.Minute), "429 too many requests"); err != nil {
		t.Fatal(err)
	}
	if got, want := dueSeqs(t, db, chat.Telegram, t0, 0), []int64{a}; !reflect.DeepEqual(got, want) {
		t.Errorf("due after retry = %v, want %v", got, want)
	}
	if next, _, _ := db.NextOutboxAt(ctx, chat.Telegram); !next.Equal(t0) {
		t.Errorf("NextOutboxAt after retry = %v, want %v", next, t0)
	}
	items, _ = db.DueOutbox(ctx, chat.Telegram, t0.Add(time.Minute), 0)
	if len(items) != 2 || items[1].Seq != c || items[1].Attempts != 1 {
		t.Errorf("due at t0+1m = %+v, want c with 1 attempt second", items)
	}
	if err := db.MarkFailed(ctx, c, "blocked by user", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	// a is delivered.
	sent := chat.Sent{ID: "555", PollID: "poll-9", Secret: "hashes"}
	if err := db.MarkSent(ctx, a, sent, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := dueSeqs(t, db, chat.Telegram, t0.Add(24*time.Hour), 0); !reflect.DeepEqual(got, []int64{b}) {
		t.Errorf("due after sent/failed = %v, want [%d]", got, b)
	}
	if next, ok, _ := db.NextOutboxAt(ctx, chat.Telegram); !ok || !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextOutboxAt = %v %v, want %v", next, ok, t0.Add(time.Hour))
	}
	if p, s, f, err := db.OutboxCounts(ctx); err != nil || p != 2 || s != 1 || f != 1 {
		t.Errorf("OutboxCounts = %d %d %d %v, want 2 1 1", p, s, f, err)
	}

	// Sent and failed rows keep no message text; the poll stays traceable.
	for _, seq := range []int64{a, c} {
		var payload, lastErr string
		if err := db.w.QueryRow(`SELECT payload, COALESCE(last_error, '') FROM outbox WHERE seq = ?`, seq).Scan(&payload, &lastErr); err != nil {
			t.Fatal(err)
		}
		if payload != "{}" {
			t.Errorf("row %d payload = %s, want {}", seq, payload)
		}
		if seq == c && lastErr != "blocked by user" {
			t.Errorf("row %d last_error = %q", seq, lastErr)
		}
	}
	view(t, db, func(tx *Tx) error {
		sp, err := tx.Poll(chat.Telegram, "poll-9")
		want := &chat.SentPoll{Seq: a, Chat: "g1", Ref: "HRE-7K", Sent: sent, SentAt: t0.Add(time.Second)}
		if err != nil || !reflect.DeepEqual(sp, want) {
			t.Errorf("Poll = %+v %v, want %+v", sp, err, want)
		}
		if sp, err := tx.Poll(chat.WhatsApp, "poll-9"); sp != nil || err != nil {
			t.Errorf("Poll on other platform = %+v %v, want nil", sp, err)
		}
		return nil
	})

	// Unknown rows are reported, not silently ignored.
	for name, err := range map[string]error{
		"sent":   db.MarkSent(ctx, 999, sent, t0),
		"retry":  db.MarkRetry(ctx, 999, 1, t0, "x"),
		"failed": db.MarkFailed(ctx, 999, "x", t0),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Mark%s(unknown) = %v, want ErrNotFound", name, err)
		}
	}
}

func TestEnqueueRequiresAddress(t *testing.T) {
	db := openTest(t, Options{})
	for _, out := range []chat.Outbound{{Chat: "c", Text: "x"}, {Platform: chat.Sim, Text: "x"}} {
		err := db.Update(context.Background(), func(tx *Tx) error {
			_, err := tx.Enqueue(out, t0)
			return err
		})
		if err == nil {
			t.Errorf("Enqueue(%+v) accepted a message without an address", out)
		}
	}
}
