package store

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"carenet/internal/casework"
	"carenet/internal/chat"
)

// TestClosureLifecycle: one live proposal per case; a proposal round-trips
// through every state; votes keep the latest per member; ignored voters
// count once.
func TestClosureLifecycle(t *testing.T) {
	f := newCaseFixture(t)
	ids := f.create(t, newCase("HRE-00017", f.hre.ID, 12, f.ann))
	t0 := time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	update(t, f.db, func(tx *Tx) error {
		cl := casework.Closure{CaseID: ids[0], Criterion: casework.CritTransfer, TransferTo: f.byo.ID, ProposedBy: f.moyo,
			ProposedAt: t0, ClosesAt: t0.Add(48 * time.Hour)}
		id, err := tx.CreateClosure(cl)
		if err != nil {
			return err
		}
		if _, err := tx.CreateClosure(cl); !errors.Is(err, ErrClosureActive) {
			t.Errorf("second live proposal: %v, want ErrClosureActive", err)
		}
		cl.ID, cl.State = id, casework.ClosureVoting
		got, err := tx.ActiveClosure(ids[0])
		if err != nil || !reflect.DeepEqual(*got, cl) {
			t.Errorf("ActiveClosure = %+v, %v; want %+v", got, err, cl)
		}
		agree, notYet := casework.BallotAgree, casework.BallotNotYet
		for _, v := range []struct {
			member int64
			ballot *casework.Ballot
		}{{f.ann, &notYet}, {f.lee, &agree}, {f.ann, &agree}, {f.bob, &agree}, {f.bob, nil}} {
			if err := tx.PutVote(id, v.member, v.ballot, t0); err != nil {
				return err
			}
		}
		votes, err := tx.Votes(id)
		if err != nil {
			return err
		}
		if len(votes) != 3 || *votes[0].Ballot != agree || votes[1].Ballot != nil || *votes[2].Ballot != agree {
			t.Errorf("votes %+v: want ann agree, bob withdrawn, lee agree", votes)
		}
		for _, v := range []string{"telegram:9", "telegram:9", "whatsapp:1"} {
			if err := tx.IgnoreVoter(id, v); err != nil {
				return err
			}
		}
		if n, err := tx.IgnoredVoters(id); err != nil || n != 2 {
			t.Errorf("IgnoredVoters = %d, %v; want 2", n, err)
		}
		cl.State, cl.Outcome, cl.DecidedAt = casework.ClosureAwaitingCWO, casework.OutcomePassed, t0.Add(time.Hour)
		cl.RemindedAt, cl.CWOBy, cl.CWOAt = t0.Add(time.Minute), f.moyo, t0.Add(2*time.Hour)
		if err := tx.UpdateClosure(cl); err != nil {
			return err
		}
		if got, err := tx.Closure(id); err != nil || !reflect.DeepEqual(*got, cl) {
			t.Errorf("Closure = %+v, %v; want %+v", got, err, cl)
		}
		if open, err := tx.VotingClosures(); err != nil || len(open) != 0 {
			t.Errorf("VotingClosures = %v, %v; want none", open, err)
		}
		cl.State = casework.ClosureDone
		if err := tx.UpdateClosure(cl); err != nil {
			return err
		}
		if got, err := tx.ActiveClosure(ids[0]); err != nil || got != nil {
			t.Errorf("ActiveClosure after closing = %+v, %v", got, err)
		}
		_, err = tx.CreateClosure(casework.Closure{CaseID: ids[0], Criterion: 1, ProposedAt: t0, ClosesAt: t0})
		return err
	})
}

// TestTransferCase: the case moves with a fresh serial in the receiving
// district, so that district's next case does not clash, and the sending
// district's numbering does not go back (its next intake would reuse the
// transferred case's code).
func TestTransferCase(t *testing.T) {
	f := newCaseFixture(t)
	ids := f.create(t, newCase("HRE-00017", f.hre.ID, 12, f.ann), newCase("BYO-00013", f.byo.ID, 3, f.cat))
	update(t, f.db, func(tx *Tx) error {
		before, err := tx.NextCaseSerial(f.hre.ID)
		if err != nil {
			return err
		}
		defer func() {
			if after, err := tx.NextCaseSerial(f.hre.ID); err != nil || after != before {
				t.Errorf("Harare's next serial went from %d to %d (%v)", before, after, err)
			}
		}()
		if err := tx.TransferCase(ids[0], f.byo.ID, f.byoLCCW); err != nil {
			return err
		}
		c, err := tx.Case(ids[0])
		if err != nil {
			return err
		}
		if c.Code != "HRE-00017" || c.DistrictID != f.byo.ID || c.Ward != 0 || c.CCWID != f.byoLCCW || c.Status != casework.StatusOpen {
			t.Errorf("after transfer: %+v", c)
		}
		n, err := tx.NextCaseSerial(f.byo.ID)
		if err != nil || n != 3 {
			t.Errorf("next serial in Bulawayo = %d, %v; want 3", n, err)
		}
		return nil
	})
}

// TestClosurePollsIn lists closure polls of one chat, newest first.
func TestClosurePollsIn(t *testing.T) {
	db := openTest(t, Options{})
	update(t, db, func(tx *Tx) error {
		for _, o := range []chat.Outbound{
			{Platform: chat.Telegram, Chat: "g1", Poll: &chat.Poll{Question: "q", Options: []string{"a", "b"}}, Ref: "closure.4"},
			{Platform: chat.Telegram, Chat: "g2", Poll: &chat.Poll{Question: "q", Options: []string{"a", "b"}}, Ref: "closure.5"},
			{Platform: chat.Telegram, Chat: "g1", Text: "x", Ref: "intake.2.age"},
			{Platform: chat.Telegram, Chat: "g1", Poll: &chat.Poll{Question: "q", Options: []string{"a", "b"}}, Ref: "closure.7"},
		} {
			if _, err := tx.Enqueue(o, time.Unix(0, 0)); err != nil {
				return err
			}
		}
		ids, err := tx.ClosurePollsIn(chat.Telegram, "g1")
		if err != nil || !reflect.DeepEqual(ids, []int64{7, 4}) {
			t.Errorf("ClosurePollsIn = %v, %v; want [7 4]", ids, err)
		}
		return nil
	})
}
