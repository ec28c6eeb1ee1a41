package store

import (
	"bytes"
	"testing"
	"time"

	"carenet/internal/casework"
)

// TestScreeningsKeptNewestFirst: every screening of a case is kept, listed
// newest first per kind or together, with the sealed blob as given and no
// blob when none was sealed; another case's screenings stay apart.
func TestScreeningsKeptNewestFirst(t *testing.T) {
	f := newCaseFixture(t)
	ids := f.create(t, newCase("HRE-00013", f.hre.ID, 12, f.ann), newCase("HRE-00021", f.hre.ID, 12, f.bob))
	term := 91 * 24 * time.Hour
	add := []casework.Screening{
		{CaseID: ids[0], Kind: casework.ScreenEWS, MemberID: f.ann, At: t0, Level: casework.Yellow, Sealed: []byte("sealed-1")},
		{CaseID: ids[0], Kind: casework.ScreenGBV, MemberID: f.ann, At: t0.Add(time.Hour), Level: casework.Red, Sealed: []byte("sealed-2")},
		{CaseID: ids[0], Kind: casework.ScreenEWS, MemberID: f.lee, At: t0.Add(term), Level: casework.Green},
		{CaseID: ids[1], Kind: casework.ScreenEWS, MemberID: f.bob, At: t0.Add(term), Level: casework.Red},
	}
	update(t, f.db, func(tx *Tx) error {
		for i := range add {
			id, err := tx.AddScreening(add[i])
			if err != nil {
				return err
			}
			add[i].ID = id
		}
		return nil
	})
	cases := []struct {
		caseID int64
		kind   string
		want   []int // indexes into add, in the expected order
	}{
		{ids[0], "", []int{2, 1, 0}},
		{ids[0], casework.ScreenEWS, []int{2, 0}},
		{ids[0], casework.ScreenGBV, []int{1}},
		{ids[1], "", []int{3}},
		{ids[1], casework.ScreenGBV, nil},
	}
	for _, tc := range cases {
		var got []casework.Screening
		view(t, f.db, func(tx *Tx) error {
			var err error
			got, err = tx.Screenings(tc.caseID, tc.kind)
			return err
		})
		if len(got) != len(tc.want) {
			t.Fatalf("case %d kind %q: %d screenings, want %d", tc.caseID, tc.kind, len(got), len(tc.want))
		}
		for i, w := range tc.want {
			g, e := got[i], add[w]
			if g.ID != e.ID || g.CaseID != e.CaseID || g.Kind != e.Kind || g.MemberID != e.MemberID ||
				!g.At.Equal(e.At) || g.Level != e.Level || !bytes.Equal(g.Sealed, e.Sealed) {
				t.Errorf("case %d kind %q #%d: got %+v, want %+v", tc.caseID, tc.kind, i, g, e)
			}
			if e.Sealed == nil && g.Sealed != nil {
				t.Errorf("screening %d: blob %q, want none", g.ID, g.Sealed)
			}
		}
	}
}

// TestScreeningNeedsCase: a screening of no case is refused (foreign key).
func TestScreeningNeedsCase(t *testing.T) {
	f := newCaseFixture(t)
	err := f.db.Update(t.Context(), func(tx *Tx) error {
		_, err := tx.AddScreening(casework.Screening{CaseID: 999, Kind: casework.ScreenGBV, At: t0, Level: casework.Green})
		return err
	})
	if err == nil {
		t.Fatal("screening of an unknown case stored")
	}
}
