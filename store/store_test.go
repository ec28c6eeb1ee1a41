package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// t0 is a fixed clock; times in tests are offsets from it.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func openTest(t testing.TB, o Options) *DB {
	t.Helper()
	if o.Path == "" {
		o.Path = filepath.Join(t.TempDir(), "carenet.db")
	}
	db, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func update(t testing.TB, db *DB, fn func(*Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t testing.TB, db *DB, fn func(*Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func pragma(t *testing.T, db *DB, name string) string {
	t.Helper()
	var v string
	if err := db.w.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestDSN(t *testing.T) {
	tests := []struct {
		o    Options
		want string
	}{
		{Options{Path: "/d/bot.db"},
			"file:/d/bot.db?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"},
		{Options{Path: "bot.db", Synchronous: "normal", BusyTimeout: 250 * time.Millisecond},
			"file:bot.db?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=250&_foreign_keys=on&_txlock=immediate"},
		{Options{Path: "/a b/c?d#e%f.db", Synchronous: "EXTRA"},
			"file:/a b/c%3Fd%23e%25f.db?_journal_mode=WAL&_synchronous=EXTRA&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"},
	}
	for _, tt := range tests {
		if got := DSN(tt.o); got != tt.want {
			t.Errorf("DSN(%+v)\n got %s\nwant %s", tt.o, got, tt.want)
		}
	}
}

func TestOpenPragmas(t *testing.T) {
	tests := []struct {
		sync string
		want string
	}{
		{"", "2"},
		{"FULL", "2"},
		{"NORMAL", "1"},
		{"extra", "3"},
		{"OFF", "0"},
	}
	for _, tt := range tests {
		t.Run("sync="+tt.sync, func(t *testing.T) {
			db := openTest(t, Options{Synchronous: tt.sync})
			for name, want := range map[string]string{
				"journal_mode": "wal",
				"synchronous":  tt.want,
				"foreign_keys": "1",
				"busy_timeout": "5000",
			} {
				if got := pragma(t, db, name); got != want {
					t.Errorf("PRAGMA %s = %s, want %s", name, got, want)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"empty path", Options{}, "empty path"},
		{"bad synchronous", Options{Path: filepath.Join(dir, "a.db"), Synchronous: "SOMETIMES"}, "synchronous"},
		{"missing directory", Options{Path: filepath.Join(dir, "no", "such", "a.db")}, "unable to open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.o)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestPathNeedingEscapes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?#% name.db")
	db := openTest(t, Options{Path: path})
	if err := db.SetKV(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	var file string
	if err := db.w.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("database file = %q, want %q", file, path)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carenet.db")
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || all[0].version != 1 {
		t.Fatalf("migrations = %+v, want 0001 first", all)
	}
	for i := range 3 {
		db, err := Open(ctx, Options{Path: path})
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		var n, max int
		if err := db.w.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		if n != len(all) || max != all[len(all)-1].version {
			t.Errorf("open #%d: %d migrations recorded up to %d, want %d", i, n, max, len(all))
		}
		// Data written before a reopen survives it.
		if i == 0 {
			if err := db.SetKV(ctx, "k", "v"); err != nil {
				t.Fatal(err)
			}
		} else if v, ok, err := db.GetKV(ctx, "k"); err != nil || !ok || v != "v" {
			t.Errorf("open #%d: GetKV = %q %v %v", i, v, ok, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db := openTest(t, Options{Path: path})
	for _, table := range []string{"districts", "members", "member_identities", "chats", "inbox",
		"outbox", "conversations", "audit", "kv"} {
		var n int
		if err := db.w.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: n=%d err=%v", table, n, err)
		}
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carenet.db")
	db := openTest(t, Options{Path: path})
	if _, err := db.w.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(ctx, Options{Path: path})
	if err == nil {
		db2.Close()
		t.Fatal("Open accepted a newer schema")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("err = %v, want ErrSchemaTooNew", err)
	}
}

func TestUpdateRollsBackEverything(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	in := chat.Inbound{Platform: chat.Sim, Chat: "g1", Kind: chat.Group, Sender: "ann", ID: "m1", Text: "/newcase"}
	seq, _, err := db.Receive(ctx, in, t0)
	if err != nil {
		t.Fatal(err)
	}
	conv := in.Conversation()

	// What one handled message writes: session, reply, audit, kv, handled mark.
	handle := func(tx *Tx) error {
		if err := tx.PutSession(conv, sess("intake", "q1"), t0); err != nil {
			return err
		}
		if _, err := tx.Enqueue(chat.Outbound{Platform: chat.Sim, Chat: "g1", Text: "Question 1"}, t0); err != nil {
			return err
		}
		if err := tx.Audit(auditAt(t0, "case.open", 7)); err != nil {
			return err
		}
		if err := tx.SetKV("offset", "42"); err != nil {
			return err
		}
		return tx.MarkHandled(seq, t0, "")
	}
	boom := errors.New("boom")

	t.Run("error", func(t *testing.T) {
		err := db.Update(ctx, func(tx *Tx) error {
			if err := handle(tx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want boom", err)
		}
		assertUntouched(t, db, conv, seq)
	})
	t.Run("panic", func(t *testing.T) {
		func() {
			defer func() {
				if r := recover(); r != boom {
					t.Errorf("recovered %v, want boom", r)
				}
			}()
			db.Update(ctx, func(tx *Tx) error {
				if err := handle(tx); err != nil {
					return err
				}
				panic(boom)
			})
		}()
		assertUntouched(t, db, conv, seq)
		// The single writer connection is usable again after the panic.
		if err := db.SetKV(ctx, "after", "panic"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("commit", func(t *testing.T) {
		update(t, db, handle)
		if items, err := db.Unhandled(ctx); err != nil || len(items) != 0 {
			t.Errorf("Unhandled = %v %v, want none", items, err)
		}
		if p, _, _, _ := db.OutboxCounts(ctx); p != 1 {
			t.Errorf("pending = %d, want 1", p)
		}
	})
}

func assertUntouched(t *testing.T, db *DB, conv chat.Conversation, seq int64) {
	t.Helper()
	ctx := context.Background()
	items, err := db.Unhandled(ctx)
	if err != nil || len(items) != 1 || items[0].Seq != seq {
		t.Errorf("Unhandled = %+v %v, want row %d still unhandled", items, err, seq)
	}
	pending, sent, failed, err := db.OutboxCounts(ctx)
	if err != nil || pending+sent+failed != 0 {
		t.Errorf("outbox = %d/%d/%d %v, want empty", pending, sent, failed, err)
	}
	if _, ok, err := db.GetKV(ctx, "offset"); ok || err != nil {
		t.Errorf("kv offset present=%v err=%v, want absent", ok, err)
	}
	view(t, db, func(tx *Tx) error {
		if s, err := tx.Session(conv); s != nil || err != nil {
			t.Errorf("Session = %+v %v, want none", s, err)
		}
		if es, err := tx.AuditByAction(""); len(es) != 0 || err != nil {
			t.Errorf("audit = %+v %v, want none", es, err)
		}
		return nil
	})
}

func TestViewIsReadOnly(t *testing.T) {
	db := openTest(t, Options{})
	err := db.View(context.Background(), func(tx *Tx) error { return tx.SetKV("k", "v") })
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write in View: err = %v, want a read-only error", err)
	}
}

func TestUpdateContextCancelled(t *testing.T) {
	db := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Update(ctx, func(tx *Tx) error { return tx.SetKV("k", "v") }); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, ok, _ := db.GetKV(context.Background(), "k"); ok {
		t.Error("write of a cancelled Update is visible")
	}
}

func TestTimesAreUTCMillis(t *testing.T) {
	harare := time.FixedZone("CAT", 2*3600)
	tests := []time.Time{
		t0,
		time.Date(2026, 3, 1, 10, 0, 0, 123456789, harare),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.UnixMilli(0),
	}
	for _, in := range tests {
		db := openTest(t, Options{})
		conv := chat.Conversation{Platform: chat.Sim, Chat: "c", User: "u"}
		update(t, db, func(tx *Tx) error { return tx.PutSession(conv, sess("f", "s"), in) })
		var got time.Time
		db.EachIdleSession(context.Background(), in, func(_ chat.Conversation, _ flows.Session, at time.Time, _ bool) error {
			got = at
			return nil
		})
		want := in.Truncate(time.Millisecond).UTC()
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("stored %v, got back %v, want %v in UTC", in, got, want)
		}
	}
}

func sess(flow, step string) flows.Session {
	return flows.Session{Flow: flow, Version: 1, Step: step, Answers: map[string]string{"age": "9"}}
}

func auditAt(at time.Time, action string, caseID int64) casework.AuditEntry {
	return casework.AuditEntry{At: at, MemberID: 1, Action: action, CaseID: caseID, Chat: "sim:g1", Detail: "d"}
}
