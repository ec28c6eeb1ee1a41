package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"carenet/internal/chat"
)

func inbound(chatID chat.ChatID, sender chat.UserID, id chat.MsgID, text string) chat.Inbound {
	return chat.Inbound{Platform: chat.Telegram, Chat: chatID, Kind: chat.Group, Sender: sender, ID: id,
		Time: t0, Text: text}
}

func TestReceiveDuplicateDropped(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	in := inbound("g1", "u1", "100", "hello")
	in.Vote = &chat.Vote{PollID: "p1", Options: []int{0, 2}}

	seq, fresh, err := db.Receive(ctx, in, t0)
	if err != nil || !fresh || seq == 0 {
		t.Fatalf("first Receive = %d %v %v", seq, fresh, err)
	}
	dup := in
	dup.Text = "edited on redelivery"
	seq2, fresh2, err := db.Receive(ctx, dup, t0.Add(time.Minute))
	if err != nil || fresh2 || seq2 != seq {
		t.Fatalf("duplicate Receive = %d %v %v, want %d false nil", seq2, fresh2, err, seq)
	}
	// The same message id in another chat or on another platform is new.
	other := in
	other.Chat = "g2"
	if _, fresh, err := db.Receive(ctx, other, t0); err != nil || !fresh {
		t.Errorf("same id, other chat: fresh=%v err=%v", fresh, err)
	}
	other = in
	other.Platform = chat.WhatsApp
	if _, fresh, err := db.Receive(ctx, other, t0); err != nil || !fresh {
		t.Errorf("same id, other platform: fresh=%v err=%v", fresh, err)
	}
	// WhatsApp ids are per sender: another member's message with the same
	// id in the same chat is new.
	other.Sender = "u2"
	if _, fresh, err := db.Receive(ctx, other, t0); err != nil || !fresh {
		t.Errorf("same id, other sender: fresh=%v err=%v", fresh, err)
	}

	var n int
	if err := db.w.QueryRow(`SELECT COUNT(*) FROM inbox WHERE platform = 'telegram' AND chat = 'g1'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows = %d %v, want 1", n, err)
	}
	items, err := db.Unhandled(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 4 || !reflect.DeepEqual(items[0], chat.InboxItem{Seq: seq, Msg: in}) {
		t.Errorf("Unhandled[0] = %+v, want the first version %+v", items, in)
	}

	// A redelivery after handling is still recognised.
	update(t, db, func(tx *Tx) error { return tx.MarkHandled(seq, t0, "") })
	if _, fresh, err := db.Receive(ctx, in, t0.Add(time.Hour)); err != nil || fresh {
		t.Errorf("redelivery after handling: fresh=%v err=%v", fresh, err)
	}
}

// TestReceiveVoteWithoutChat: a poll answer that names no chat (Telegram)
// is filed under the chat the poll went to, or under the poll id when the
// poll is unknown; either way a redelivery is dropped.
func TestReceiveVoteWithoutChat(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	var seq int64
	update(t, db, func(tx *Tx) error {
		var err error
		seq, err = tx.Enqueue(chat.Outbound{Platform: chat.Telegram, Chat: "-100", Poll: &chat.Poll{Question: "Close?", Options: []string{"a", "b"}}}, t0)
		return err
	})
	if err := db.MarkSent(ctx, seq, chat.Sent{ID: "9", PollID: "P1"}, t0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ poll, want string }{{"P1", "-100"}, {"P2", "poll:P2"}} {
		in := chat.Inbound{Platform: chat.Telegram, Kind: chat.Group, Sender: "42", ID: chat.MsgID("pa-" + tc.poll),
			Vote: &chat.Vote{PollID: tc.poll, Options: []int{1}}}
		if _, fresh, err := db.Receive(ctx, in, t0); err != nil || !fresh {
			t.Fatalf("vote on %s: fresh=%v err=%v", tc.poll, fresh, err)
		}
		if _, fresh, err := db.Receive(ctx, in, t0); err != nil || fresh {
			t.Errorf("redelivered vote on %s: fresh=%v err=%v", tc.poll, fresh, err)
		}
		var got string
		if err := db.w.QueryRow(`SELECT chat FROM inbox WHERE msg_id = ?`, in.ID).Scan(&got); err != nil || got != tc.want {
			t.Errorf("vote on %s filed under %q (%v), want %q", tc.poll, got, err, tc.want)
		}
	}
}

func TestReceiveRequiresKey(t *testing.T) {
	db := openTest(t, Options{})
	for _, in := range []chat.Inbound{
		{Platform: chat.Sim, Chat: "c", Sender: "u"},
		{Platform: chat.Sim, ID: "1", Sender: "u"},
		{Chat: "c", ID: "1", Sender: "u"},
	} {
		if _, _, err := db.Receive(context.Background(), in, t0); err == nil {
			t.Errorf("Receive(%+v) accepted a message without its dedupe key", in)
		}
	}
}

func TestUnhandledOrderAndMarkHandled(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	var seqs []int64
	// Received out of time order on purpose: seq, not time, orders replay.
	for i, id := range []chat.MsgID{"c", "a", "b", "d"} {
		seq, _, err := db.Receive(ctx, inbound("g", "u", id, string(id)), t0.Add(-time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	update(t, db, func(tx *Tx) error {
		if err := tx.MarkHandled(seqs[1], t0, ""); err != nil {
			return err
		}
		return tx.MarkHandled(seqs[3], t0, "flow failed: boom")
	})
	items, err := db.Unhandled(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%d:%s", it.Seq, it.Msg.Text))
	}
	want := []string{fmt.Sprintf("%d:c", seqs[0]), fmt.Sprintf("%d:b", seqs[2])}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unhandled = %v, want %v", got, want)
	}

	rows, err := db.w.Query(`SELECT seq, payload IS NULL, handled_at, COALESCE(error, '') FROM inbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq       int64
			cleared   bool
			handledAt *int64
			errText   string
		)
		if err := rows.Scan(&seq, &cleared, &handledAt, &errText); err != nil {
			t.Fatal(err)
		}
		handled := seq == seqs[1] || seq == seqs[3]
		if cleared != handled || (handledAt != nil) != handled {
			t.Errorf("row %d: payload cleared=%v handled_at=%v, want handled=%v", seq, cleared, handledAt, handled)
		}
		if handled && *handledAt != t0.UnixMilli() {
			t.Errorf("row %d: handled_at = %d, want %d", seq, *handledAt, t0.UnixMilli())
		}
		if wantErr := map[bool]string{true: "flow failed: boom"}[seq == seqs[3]]; errText != wantErr {
			t.Errorf("row %d: error = %q, want %q", seq, errText, wantErr)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentReceive: adapters and the bot write from many goroutines,
// and a second process (the CLI) may hold the file too. None of it may
// surface as "database is locked".
func TestConcurrentReceive(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carenet.db")
	dbs := []*DB{openTest(t, Options{Path: path}), openTest(t, Options{Path: path})}
	const goroutines, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		db := dbs[g%len(dbs)]
		wg.Go(func() {
			for i := range each {
				// Every message arrives twice, from two goroutines.
				id := chat.MsgID(fmt.Sprintf("%d", (g/2)*each+i))
				if _, _, err := db.Receive(ctx, inbound("g", "u", id, "x"), t0); err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					if _, err := db.Unhandled(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	items, err := dbs[0].Unhandled(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != goroutines/2*each {
		t.Errorf("%d rows, want %d (each message once)", len(items), goroutines/2*each)
	}
}

// TestConcurrentReadModifyWrite is why the writer begins with BEGIN
// IMMEDIATE: a deferred transaction that reads and then writes cannot wait
// for another connection's write lock and fails with "database is locked"
// at once, busy timeout or not.
func TestConcurrentReadModifyWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carenet.db")
	dbs := []*DB{openTest(t, Options{Path: path}), openTest(t, Options{Path: path})}
	const goroutines, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		db := dbs[g%len(dbs)]
		wg.Go(func() {
			for range each {
				err := db.Update(ctx, func(tx *Tx) error {
					v, _, err := tx.GetKV("n")
					if err != nil {
						return err
					}
					var n int
					fmt.Sscan(v, &n)
					return tx.SetKV("n", fmt.Sprint(n+1))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if v, _, err := dbs[1].GetKV(ctx, "n"); err != nil || v != fmt.Sprint(goroutines*each) {
		t.Errorf("counter = %q %v, want %d", v, err, goroutines*each)
	}
}
