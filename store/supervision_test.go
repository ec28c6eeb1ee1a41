package store

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"carenet/internal/casework"
	"carenet/internal/chat"
)

// TestSupervisionRounds: a ward has one open round at a time; check-ins
// are invited once, answered, given a WHO-5 score, and read back as
// stored; the reminder and the close are recorded.
func TestSupervisionRounds(t *testing.T) {
	f := newCaseFixture(t)
	start := t0
	r := casework.Round{DistrictID: f.hre.ID, Ward: 12, StartedBy: f.lee, Started: start, Closes: start.Add(72 * time.Hour), Month: "2026-03"}
	var id int64
	update(t, f.db, func(tx *Tx) error {
		var err error
		if id, err = tx.CreateRound(r); err != nil {
			return err
		}
		if _, err := tx.CreateRound(r); !errors.Is(err, ErrExists) {
			t.Errorf("second open round in the ward: err = %v, want ErrExists", err)
		}
		other := r
		other.Ward = 14
		if _, err := tx.CreateRound(other); err != nil {
			t.Errorf("open round in another ward: %v", err)
		}
		for _, m := range []int64{f.ann, f.bob, f.ann} {
			if err := tx.AddCheckIn(id, m); err != nil {
				return err
			}
		}
		return nil
	})
	ans := casework.CheckIn{RoundID: id, MemberID: f.bob, Answered: start.Add(time.Hour), OpenCases: 6, Visits: 4,
		StuckCode: "HRE-00013", Concern: true, ReferralsMade: 2, ReferralsDone: 1, Challenge: "transport",
		Training: "gbv", Burnout: 4, Answers: map[string]string{"open_cases": "6", "burnout": "4"}}
	update(t, f.db, func(tx *Tx) error {
		if err := tx.SaveCheckIn(ans); err != nil {
			return err
		}
		if err := tx.SaveCheckIn(casework.CheckIn{RoundID: id, MemberID: f.dan, Answered: start}); !errors.Is(err, ErrNotFound) {
			t.Errorf("answer of a CCW not in the round: err = %v, want ErrNotFound", err)
		}
		if err := tx.SaveWHO5(id, f.bob, 12); err != nil {
			return err
		}
		return tx.MarkRoundReminded(id, start.Add(24*time.Hour))
	})
	view(t, f.db, func(tx *Tx) error {
		got, err := tx.OpenRound(f.hre.ID, 12)
		if err != nil {
			return err
		}
		want := r
		want.ID, want.Reminded = id, start.Add(24*time.Hour)
		if got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("OpenRound = %+v, want %+v", got, want)
		}
		cs, err := tx.CheckIns(id)
		if err != nil {
			return err
		}
		if len(cs) != 2 || cs[0].MemberID != f.ann || cs[1].MemberID != f.bob {
			t.Fatalf("CheckIns = %+v, want ann and bob", cs)
		}
		if cs[0].HasAnswered() || cs[0].WHO5 != -1 {
			t.Errorf("ann's unanswered check-in = %+v", cs[0])
		}
		wantBob := ans
		wantBob.WHO5 = 12
		if !reflect.DeepEqual(cs[1], wantBob) {
			t.Errorf("bob's check-in = %+v, want %+v", cs[1], wantBob)
		}
		if c, err := tx.CheckIn(id, f.dan); err != nil || c != nil {
			t.Errorf("CheckIn of a CCW not in the round = %+v, %v", c, err)
		}
		return nil
	})
	update(t, f.db, func(tx *Tx) error {
		if err := tx.CloseRound(id, start.Add(72*time.Hour)); err != nil {
			return err
		}
		if err := tx.CloseRound(id, start.Add(73*time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("closing twice: err = %v, want ErrNotFound", err)
		}
		// Closed, the ward may start the next round.
		next := r
		next.Started, next.Month = start.AddDate(0, 1, 0), "2026-04"
		_, err := tx.CreateRound(next)
		return err
	})
	view(t, f.db, func(tx *Tx) error {
		open, err := tx.UnclosedRounds()
		if err != nil {
			return err
		}
		if len(open) != 2 || open[0].Ward != 14 || open[1].Month != "2026-04" {
			t.Errorf("UnclosedRounds = %+v, want ward 14's and ward 12's April round", open)
		}
		for month, want := range map[string]bool{"2026-03": true, "2026-04": true, "2026-02": false} {
			if got, err := tx.RoundInMonth(f.hre.ID, 12, month); err != nil || got != want {
				t.Errorf("RoundInMonth(%s) = %v, %v; want %v", month, got, err, want)
			}
		}
		last, err := tx.LastRoundOfMonth(f.hre.ID, 12, "2026-03")
		if err != nil || last == nil || last.ID != id || last.Closed.IsZero() {
			t.Errorf("LastRoundOfMonth(2026-03) = %+v, %v; want the closed round %d", last, err, id)
		}
		if last, err := tx.LastRoundOfMonth(f.hre.ID, 12, "2026-02"); err != nil || last != nil {
			t.Errorf("LastRoundOfMonth(2026-02) = %+v, %v; want none", last, err)
		}
		return nil
	})
}

// TestSupervisionWards: only wards with an active linked group and an
// LCCW get the monthly round.
func TestSupervisionWards(t *testing.T) {
	f := newCaseFixture(t)
	update(t, f.db, func(tx *Tx) error {
		for _, g := range []struct {
			id       chat.ChatID
			district int64
			ward     int
			active   bool
		}{
			{"g12", f.hre.ID, 12, true},    // lee is LCCW of ward 12: yes
			{"g12b", f.hre.ID, 12, true},   // a second group: listed once
			{"g14", f.hre.ID, 14, true},    // no LCCW in ward 14
			{"gdist", f.hre.ID, 0, true},   // district group, no ward
			{"byo12", f.byo.ID, 12, false}, // Zodwa's ward, but the bot left the group
			{"byo3", f.byo.ID, 3, true},    // no LCCW
		} {
			if err := tx.PutChat(chat.Sim, g.id, chat.Group, ""); err != nil {
				return err
			}
			if err := tx.LinkChat(chat.Sim, g.id, g.district, g.ward, t0); err != nil {
				return err
			}
			if err := tx.SetChatActive(chat.Sim, g.id, g.active); err != nil {
				return err
			}
		}
		return tx.PutChat(chat.Sim, "unlinked", chat.Group, "")
	})
	view(t, f.db, func(tx *Tx) error {
		ws, err := tx.SupervisionWards()
		if err != nil {
			return err
		}
		if want := []casework.WardRef{{DistrictID: f.hre.ID, Ward: 12}}; !reflect.DeepEqual(ws, want) {
			t.Errorf("SupervisionWards = %+v, want %+v", ws, want)
		}
		return nil
	})
}
