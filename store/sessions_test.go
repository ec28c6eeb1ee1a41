package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

func TestSessions(t *testing.T) {
	db := openTest(t, Options{})
	conv := chat.Conversation{Platform: chat.WhatsApp, Chat: "263771@s.whatsapp.net", User: "123@lid"}
	s := sess("intake", "age")
	update(t, db, func(tx *Tx) error { return tx.PutSession(conv, s, t0) })
	view(t, db, func(tx *Tx) error {
		got, err := tx.Session(conv)
		if err != nil || !reflect.DeepEqual(got, &s) {
			t.Errorf("Session = %+v %v, want %+v", got, err, s)
		}
		other := conv
		other.User = "456@lid"
		if got, err := tx.Session(other); got != nil || err != nil {
			t.Errorf("Session(other user) = %+v %v, want nil", got, err)
		}
		return nil
	})

	s2 := flows.Session{Flow: "intake", Version: 2, Step: "sex"}
	update(t, db, func(tx *Tx) error { return tx.PutSession(conv, s2, t0.Add(time.Minute)) })
	update(t, db, func(tx *Tx) error {
		got, err := tx.Session(conv)
		if err != nil || !reflect.DeepEqual(got, &s2) {
			t.Errorf("after overwrite: %+v %v, want %+v", got, err, s2)
		}
		if err := tx.DeleteSession(conv); err != nil {
			return err
		}
		if got, err := tx.Session(conv); got != nil || err != nil {
			t.Errorf("after delete: %+v %v, want nil", got, err)
		}
		return nil
	})
}

type idleSeen struct {
	conv     chat.Conversation
	step     string
	updated  time.Time
	reminded bool
}

func TestEachIdleSession(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	c := func(u string) chat.Conversation {
		return chat.Conversation{Platform: chat.Sim, Chat: "g", User: chat.UserID(u)}
	}
	update(t, db, func(tx *Tx) error {
		for i, u := range []string{"fresh", "old", "older", "edge"} {
			at := map[string]time.Time{
				"fresh": t0.Add(-time.Minute),
				"old":   t0.Add(-2 * time.Hour),
				"older": t0.Add(-3 * time.Hour),
				"edge":  t0.Add(-time.Hour),
			}[u]
			if err := tx.PutSession(c(u), sess("intake", fmt.Sprint("q", i)), at); err != nil {
				return err
			}
		}
		return tx.MarkReminded(c("older"), t0.Add(-30*time.Minute))
	})

	idleSince := t0.Add(-time.Hour)
	collect := func() []idleSeen {
		t.Helper()
		var seen []idleSeen
		// fn writes while iterating: the reads must be finished by then.
		err := db.EachIdleSession(ctx, idleSince, func(conv chat.Conversation, s flows.Session, updated time.Time, reminded bool) error {
			seen = append(seen, idleSeen{conv, s.Step, updated, reminded})
			if !reminded {
				return db.Update(ctx, func(tx *Tx) error { return tx.MarkReminded(conv, t0) })
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return seen
	}
	want := []idleSeen{
		{c("older"), "q2", t0.Add(-3 * time.Hour), true},
		{c("old"), "q1", t0.Add(-2 * time.Hour), false},
		{c("edge"), "q3", t0.Add(-time.Hour), false},
	}
	if got := collect(); !reflect.DeepEqual(got, want) {
		t.Errorf("first pass:\n got %+v\nwant %+v", got, want)
	}
	// Reminding does not make a session fresh; answering does.
	for i := range want {
		want[i].reminded = true
	}
	if got := collect(); !reflect.DeepEqual(got, want) {
		t.Errorf("second pass:\n got %+v\nwant %+v", got, want)
	}
	update(t, db, func(tx *Tx) error { return tx.PutSession(c("old"), sess("intake", "q9"), t0) })
	if got := collect(); len(got) != 2 || got[0].conv != c("older") || got[1].conv != c("edge") {
		t.Errorf("after answer: %+v, want older and edge only", got)
	}
	// PutSession cleared the reminder, so the next idle spell is reminded again.
	if err := db.EachIdleSession(ctx, t0, func(conv chat.Conversation, _ flows.Session, _ time.Time, reminded bool) error {
		if conv == c("old") && reminded {
			t.Error("PutSession kept reminded_at")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	stop := errors.New("stop")
	calls := 0
	err := db.EachIdleSession(ctx, idleSince, func(chat.Conversation, flows.Session, time.Time, bool) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn error: err=%v after %d calls, want stop after 1", err, calls)
	}
}

func TestAuditAndKV(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	entries := []casework.AuditEntry{
		{At: t0, MemberID: 3, Action: "case.open", CaseID: 7, Chat: "sim:g", Detail: "risk=high"},
		{At: t0.Add(time.Second), Action: "deadline.due", CaseID: 7},
		{At: t0.Add(2 * time.Second), MemberID: 3, Action: "member.lang", Detail: "sn"},
		{At: t0.Add(3 * time.Second), MemberID: 4, Action: "case.update", CaseID: 8},
		{At: t0.Add(4 * time.Second), MemberID: 4, Action: "case_x", CaseID: 8},
		{At: t0.Add(5 * time.Second), MemberID: 4, Action: "casework", CaseID: 7},
	}
	update(t, db, func(tx *Tx) error {
		for _, e := range entries {
			if err := tx.Audit(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		tests := []struct {
			name string
			get  func() ([]casework.AuditEntry, error)
			want []casework.AuditEntry
		}{
			{"case 7", func() ([]casework.AuditEntry, error) { return tx.AuditLog(7) }, []casework.AuditEntry{entries[0], entries[1], entries[5]}},
			{"case 99", func() ([]casework.AuditEntry, error) { return tx.AuditLog(99) }, nil},
			// "_" is not a wildcard: case_x does not match "case.".
			{"prefix case.", func() ([]casework.AuditEntry, error) { return tx.AuditByAction("case.") }, []casework.AuditEntry{entries[0], entries[3]}},
			{"prefix case", func() ([]casework.AuditEntry, error) { return tx.AuditByAction("case") }, []casework.AuditEntry{entries[0], entries[3], entries[4], entries[5]}},
			{"exact", func() ([]casework.AuditEntry, error) { return tx.AuditByAction("member.lang") }, []casework.AuditEntry{entries[2]}},
			{"all", func() ([]casework.AuditEntry, error) { return tx.AuditByAction("") }, entries},
			{"case-sensitive", func() ([]casework.AuditEntry, error) { return tx.AuditByAction("CASE") }, nil},
		}
		for _, tt := range tests {
			got, err := tt.get()
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s:\n got %+v %v\nwant %+v", tt.name, got, err, tt.want)
			}
		}
		return nil
	})

	if _, ok, err := db.GetKV(ctx, "telegram.offset"); ok || err != nil {
		t.Errorf("GetKV(missing) ok=%v err=%v", ok, err)
	}
	for _, v := range []string{"100", "101", ""} {
		if err := db.SetKV(ctx, "telegram.offset", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := db.GetKV(ctx, "telegram.offset"); got != v || !ok || err != nil {
			t.Errorf("GetKV = %q %v %v, want %q", got, ok, err, v)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", false},
		{"case.", "case/", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
	}
	for _, tt := range tests {
		got, ok := prefixEnd(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("prefixEnd(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
