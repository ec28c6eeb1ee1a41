package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"carenet/internal/casework"
	"carenet/internal/chat"
)

// caseFixture is a small district office: two districts, a handful of
// members and, where a test adds them, cases.
type caseFixture struct {
	db       *DB
	hre, byo casework.District
	// In Harare: ann, bob and sipho are CCWs of ward 12 (sipho has no
	// cases), dan a CCW of ward 14, lee the LCCW of ward 12, moyo the CWO.
	// In Bulawayo: cat a CCW of ward 3, byoLCCW the LCCW of ward 12.
	ann, bob, sipho, dan, lee, moyo int64
	cat, byoLCCW                    int64
	harare                          *time.Location
}

func newCaseFixture(t *testing.T) *caseFixture {
	t.Helper()
	f := &caseFixture{db: openTest(t, Options{}), harare: time.FixedZone("CAT", 2*3600)}
	update(t, f.db, func(tx *Tx) error {
		var err error
		if f.hre, err = tx.CreateDistrict("Harare", "HRE"); err != nil {
			return err
		}
		if f.byo, err = tx.CreateDistrict("Bulawayo", "BYO"); err != nil {
			return err
		}
		for _, m := range []struct {
			id *int64
			m  casework.Member
		}{
			{&f.ann, casework.Member{Name: "Ann", Role: casework.CCW, DistrictID: f.hre.ID, Ward: 12, Lang: "sn"}},
			{&f.bob, casework.Member{Name: "Bob", Role: casework.CCW, DistrictID: f.hre.ID, Ward: 12, Lang: "en"}},
			{&f.dan, casework.Member{Name: "Dan", Role: casework.CCW, DistrictID: f.hre.ID, Ward: 14, Lang: "nd"}},
			{&f.lee, casework.Member{Name: "Lee", Role: casework.LCCW, DistrictID: f.hre.ID, Ward: 12, Lang: "en"}},
			{&f.moyo, casework.Member{Name: "Moyo", Role: casework.CWO, DistrictID: f.hre.ID, Lang: "en"}},
			{&f.cat, casework.Member{Name: "Cat", Role: casework.CCW, DistrictID: f.byo.ID, Ward: 3, Lang: "nd"}},
			{&f.sipho, casework.Member{Name: "Sipho", Role: casework.CCW, DistrictID: f.hre.ID, Ward: 12, Lang: "nd"}},
			{&f.byoLCCW, casework.Member{Name: "Zodwa", Role: casework.LCCW, DistrictID: f.byo.ID, Ward: 12, Lang: "nd"}},
		} {
			if *m.id, err = tx.CreateMember(m.m, t0); err != nil {
				return err
			}
		}
		return nil
	})
	return f
}

// newCase is a minimal open welfare case of a member.
func newCase(code string, district int64, ward int, ccw int64) casework.Case {
	return casework.Case{Code: code, DistrictID: district, Ward: ward, CCWID: ccw, Kind: casework.Welfare,
		Status: casework.StatusOpen, Opened: t0}
}

// create stores cases with the district's next serials and returns their ids.
func (f *caseFixture) create(t *testing.T, cs ...casework.Case) []int64 {
	t.Helper()
	var ids []int64
	update(t, f.db, func(tx *Tx) error {
		for _, c := range cs {
			serial, err := tx.NextCaseSerial(c.DistrictID)
			if err != nil {
				return err
			}
			id, err := tx.CreateCase(c, serial, nil)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}

func TestNextCaseSerialPerDistrict(t *testing.T) {
	f := newCaseFixture(t)
	next := func(d int64) int {
		t.Helper()
		var n int
		view(t, f.db, func(tx *Tx) error {
			var err error
			n, err = tx.NextCaseSerial(d)
			return err
		})
		return n
	}
	steps := []struct {
		create           *casework.Case // nil: just look
		wantHRE, wantBYO int
	}{
		{nil, 1, 1},
		{ptr(newCase("HRE-1", f.hre.ID, 12, f.ann)), 2, 1},
		{ptr(newCase("HRE-2", f.hre.ID, 14, f.dan)), 3, 1},
		{ptr(newCase("BYO-1", f.byo.ID, 3, f.cat)), 3, 2},
		{ptr(newCase("HRE-3", f.hre.ID, 12, f.bob)), 4, 2},
	}
	for i, s := range steps {
		if s.create != nil {
			f.create(t, *s.create)
		}
		if got := next(f.hre.ID); got != s.wantHRE {
			t.Errorf("step %d: HRE next = %d, want %d", i, got, s.wantHRE)
		}
		if got := next(f.byo.ID); got != s.wantBYO {
			t.Errorf("step %d: BYO next = %d, want %d", i, got, s.wantBYO)
		}
	}
	// Within one transaction the serial after a create is already the next.
	update(t, f.db, func(tx *Tx) error {
		n, err := tx.NextCaseSerial(f.hre.ID)
		if err != nil {
			return err
		}
		if _, err := tx.CreateCase(newCase("HRE-4", f.hre.ID, 12, f.ann), n, nil); err != nil {
			return err
		}
		if m, err := tx.NextCaseSerial(f.hre.ID); err != nil || m != n+1 {
			t.Errorf("next in the same tx = %d %v, want %d", m, err, n+1)
		}
		return nil
	})
	// An unknown district starts at 1.
	if got := next(999); got != 1 {
		t.Errorf("unknown district next = %d, want 1", got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCaseRoundTrip(t *testing.T) {
	f := newCaseFixture(t)
	opened := time.Date(2026, 3, 2, 10, 15, 30, 123456789, f.harare)
	tests := []struct {
		name string
		in   casework.Case
		// want differs from in by ID and by what storage normalises.
		want func(id int64) casework.Case
	}{
		{
			name: "full protection case",
			in: casework.Case{Code: "HRE-00017", DistrictID: f.hre.ID, Ward: 12, CCWID: f.ann, Kind: casework.Protection,
				Statutory: true, Status: casework.StatusOpen, Opened: opened,
				Concerns: []string{"neglect", "food", "out_of_school"},
				Intake:   map[string]string{"identified": "2026-03-01", "source": "school", "age": "5-9", "sex": "f", "danger": "no", "consent": "yes"}},
			want: func(id int64) casework.Case {
				return casework.Case{ID: id, Code: "HRE-00017", DistrictID: f.hre.ID, Ward: 12, CCWID: f.ann, Kind: casework.Protection,
					Statutory: true, Status: casework.StatusOpen,
					Opened:   time.Date(2026, 3, 2, 8, 15, 30, 123000000, time.UTC),
					Concerns: []string{"neglect", "food", "out_of_school"},
					Intake:   map[string]string{"identified": "2026-03-01", "source": "school", "age": "5-9", "sex": "f", "danger": "no", "consent": "yes"}}
			},
		},
		{
			name: "welfare case, no concerns, no intake",
			in:   casework.Case{Code: "BYO-00001", DistrictID: f.byo.ID, Ward: 3, CCWID: f.cat, Kind: casework.Welfare, Status: casework.StatusAwaitingCWO, Opened: t0},
			want: func(id int64) casework.Case {
				return casework.Case{ID: id, Code: "BYO-00001", DistrictID: f.byo.ID, Ward: 3, CCWID: f.cat, Kind: casework.Welfare,
					Status: casework.StatusAwaitingCWO, Opened: t0, Intake: map[string]string{}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := f.create(t, tt.in)[0]
			if id == 0 {
				t.Fatal("CreateCase returned id 0")
			}
			want := tt.want(id)
			view(t, f.db, func(tx *Tx) error {
				for name, get := range map[string]func() (*casework.Case, error){
					"CaseByCode": func() (*casework.Case, error) { return tx.CaseByCode(tt.in.Code) },
					"Case":       func() (*casework.Case, error) { return tx.Case(id) },
				} {
					got, err := get()
					if err != nil || got == nil {
						t.Fatalf("%s = %v %v", name, got, err)
					}
					if !reflect.DeepEqual(*got, want) {
						t.Errorf("%s =\n%+v\nwant\n%+v", name, *got, want)
					}
					if got.Opened.Location() != time.UTC {
						t.Errorf("%s: Opened in %v, want UTC", name, got.Opened.Location())
					}
				}
				return nil
			})
		})
	}
	view(t, f.db, func(tx *Tx) error {
		if c, err := tx.CaseByCode("HRE-99999"); c != nil || err != nil {
			t.Errorf("CaseByCode(unknown) = %+v %v, want nil", c, err)
		}
		if c, err := tx.Case(9999); c != nil || err != nil {
			t.Errorf("Case(unknown) = %+v %v, want nil", c, err)
		}
		return nil
	})
}

func TestCreateCaseRefused(t *testing.T) {
	f := newCaseFixture(t)
	update(t, f.db, func(tx *Tx) error {
		_, err := tx.CreateCase(newCase("HRE-1", f.hre.ID, 12, f.ann), 1, nil)
		return err
	})
	tests := []struct {
		name   string
		c      casework.Case
		serial int
	}{
		{"same code, other district", newCase("HRE-1", f.byo.ID, 3, f.cat), 1},
		{"same code, next serial", newCase("HRE-1", f.hre.ID, 12, f.ann), 2},
		{"same district serial, new code", newCase("HRE-2", f.hre.ID, 12, f.ann), 1},
		{"unknown district", newCase("XXX-1", 999, 12, f.ann), 1},
		{"unknown ccw", newCase("HRE-3", f.hre.ID, 12, 999), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.db.Update(context.Background(), func(tx *Tx) error {
				_, err := tx.CreateCase(tt.c, tt.serial, nil)
				return err
			})
			if err == nil {
				t.Fatal("CreateCase succeeded")
			}
		})
	}
	// The same serial in another district is fine.
	f.create(t, newCase("BYO-1", f.byo.ID, 3, f.cat))
	var n int
	if err := f.db.w.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n); err != nil || n != 2 {
		t.Errorf("cases stored = %d %v, want 2", n, err)
	}
}

func TestCaseNameSealed(t *testing.T) {
	f := newCaseFixture(t)
	sealed := []byte{0x00, 0x01, 0xfe, 0xff, 'x'}
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"none", nil, nil},
		{"empty is none", []byte{}, nil},
		{"sealed bytes", sealed, sealed},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id int64
			update(t, f.db, func(tx *Tx) error {
				var err error
				id, err = tx.CreateCase(newCase("HRE-"+string(rune('A'+i)), f.hre.ID, 12, f.ann), i+1, tt.in)
				return err
			})
			view(t, f.db, func(tx *Tx) error {
				got, err := tx.CaseNameSealed(id)
				if err != nil {
					t.Fatal(err)
				}
				if (got == nil) != (tt.want == nil) || !bytes.Equal(got, tt.want) {
					t.Errorf("CaseNameSealed = %#v, want %#v", got, tt.want)
				}
				return nil
			})
		})
	}
	err := f.db.View(context.Background(), func(tx *Tx) error {
		_, err := tx.CaseNameSealed(9999)
		return err
	})
	if err == nil {
		t.Error("CaseNameSealed(unknown) succeeded")
	}
}

func TestOpenCasesOf(t *testing.T) {
	f := newCaseFixture(t)
	mk := func(code string, ccw int64, s casework.Status) casework.Case {
		c := newCase(code, f.hre.ID, 12, ccw)
		c.Status = s
		return c
	}
	f.create(t,
		mk("HRE-3", f.ann, casework.StatusOpen),
		mk("HRE-1", f.ann, casework.StatusClosed),
		mk("HRE-2", f.ann, casework.StatusClosureVote),
		mk("HRE-5", f.bob, casework.StatusOpen),
		mk("HRE-4", f.ann, casework.StatusAwaitingProvincial),
	)
	tests := []struct {
		member int64
		want   []string
	}{
		{f.ann, []string{"HRE-2", "HRE-3", "HRE-4"}},
		{f.bob, []string{"HRE-5"}},
		{f.sipho, nil},
		{9999, nil},
	}
	view(t, f.db, func(tx *Tx) error {
		for _, tt := range tests {
			cs, err := tx.OpenCasesOf(tt.member)
			if err != nil {
				return err
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.Code)
				if c.CCWID != tt.member {
					t.Errorf("case %s of %d listed for %d", c.Code, c.CCWID, tt.member)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("OpenCasesOf(%d) = %v, want %v", tt.member, got, tt.want)
			}
		}
		return nil
	})
}

func TestSetCaseKindAndStatus(t *testing.T) {
	f := newCaseFixture(t)
	id := f.create(t, newCase("HRE-1", f.hre.ID, 12, f.ann))[0]
	closedAt := func() sql.NullInt64 {
		t.Helper()
		var v sql.NullInt64
		if err := f.db.w.QueryRow(`SELECT closed_at FROM cases WHERE id = ?`, id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	get := func() *casework.Case {
		t.Helper()
		var c *casework.Case
		view(t, f.db, func(tx *Tx) error {
			var err error
			c, err = tx.Case(id)
			return err
		})
		return c
	}

	kinds := []struct {
		kind      casework.Kind
		statutory bool
	}{
		{casework.Protection, true},
		{casework.Protection, false},
		{casework.Welfare, false},
	}
	for _, k := range kinds {
		update(t, f.db, func(tx *Tx) error { return tx.SetCaseKind(id, k.kind, k.statutory) })
		if c := get(); c.Kind != k.kind || c.Statutory != k.statutory {
			t.Errorf("after SetCaseKind(%s, %v): %s, %v", k.kind, k.statutory, c.Kind, c.Statutory)
		}
	}

	closeTime := t0.Add(90 * 24 * time.Hour).Add(123 * time.Millisecond)
	statuses := []struct {
		s          casework.Status
		now        time.Time
		wantClosed sql.NullInt64
	}{
		{casework.StatusClosureVote, t0.Add(time.Hour), sql.NullInt64{}},
		{casework.StatusAwaitingCWO, t0.Add(2 * time.Hour), sql.NullInt64{}},
		{casework.StatusAwaitingProvincial, t0.Add(3 * time.Hour), sql.NullInt64{}},
		{casework.StatusClosed, closeTime, sql.NullInt64{Int64: closeTime.UnixMilli(), Valid: true}},
		// Reopened: no longer closed.
		{casework.StatusOpen, closeTime.Add(time.Hour), sql.NullInt64{}},
	}
	for _, s := range statuses {
		update(t, f.db, func(tx *Tx) error { return tx.SetCaseStatus(id, s.s, s.now) })
		if c := get(); c.Status != s.s {
			t.Errorf("status = %s, want %s", c.Status, s.s)
		}
		if got := closedAt(); got != s.wantClosed {
			t.Errorf("%s: closed_at = %+v, want %+v", s.s, got, s.wantClosed)
		}
	}
	// The CCW's list follows the status.
	update(t, f.db, func(tx *Tx) error { return tx.SetCaseStatus(id, casework.StatusClosed, closeTime) })
	view(t, f.db, func(tx *Tx) error {
		if cs, err := tx.OpenCasesOf(f.ann); err != nil || len(cs) != 0 {
			t.Errorf("OpenCasesOf after closing = %+v %v, want none", cs, err)
		}
		return nil
	})

	for name, op := range map[string]func(tx *Tx) error{
		"SetCaseKind":   func(tx *Tx) error { return tx.SetCaseKind(id+1, casework.Protection, true) },
		"SetCaseStatus": func(tx *Tx) error { return tx.SetCaseStatus(id+1, casework.StatusClosed, t0) },
	} {
		if err := f.db.Update(context.Background(), op); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s(unknown) = %v, want ErrNotFound", name, err)
		}
	}
}

func TestRecords(t *testing.T) {
	f := newCaseFixture(t)
	ids := f.create(t, newCase("HRE-1", f.hre.ID, 12, f.ann), newCase("HRE-2", f.hre.ID, 12, f.bob))
	a, b := ids[0], ids[1]
	recs := []casework.Record{
		{CaseID: a, Kind: "visit", MemberID: f.ann, At: t0.Add(3 * time.Hour), Data: map[string]string{"note": "school fees"}, Chat: "sim:ann"},
		{CaseID: a, Kind: "assessment", MemberID: f.ann, At: t0.Add(time.Hour), Data: map[string]string{"score": "7", "risk": "high"}, Chat: "sim:ann"},
		{CaseID: b, Kind: "visit", MemberID: f.bob, At: t0, Data: map[string]string{"note": "b"}},
		// Same time as the first: ties keep insertion order. No member, no chat, no data.
		{CaseID: a, Kind: "visit", At: t0.Add(3 * time.Hour)},
		{CaseID: a, Kind: "note", MemberID: f.lee, At: t0.Add(2 * time.Hour).Add(7 * time.Millisecond), Data: map[string]string{}, Chat: "telegram:-100"},
	}
	update(t, f.db, func(tx *Tx) error {
		for i := range recs {
			id, err := tx.AddRecord(recs[i])
			if err != nil {
				return err
			}
			recs[i].ID = id
		}
		return nil
	})
	tests := []struct {
		caseID int64
		kind   string
		want   []int // indexes into recs
	}{
		{a, "", []int{1, 4, 0, 3}},
		{a, "visit", []int{0, 3}},
		{a, "assessment", []int{1}},
		{a, "review", nil},
		{b, "", []int{2}},
		{b, "assessment", nil},
		{9999, "", nil},
	}
	view(t, f.db, func(tx *Tx) error {
		for _, tt := range tests {
			got, err := tx.Records(tt.caseID, tt.kind)
			if err != nil {
				return err
			}
			var want []casework.Record
			for _, i := range tt.want {
				want = append(want, recs[i])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Records(%d, %q) =\n%+v\nwant\n%+v", tt.caseID, tt.kind, got, want)
			}
		}
		return nil
	})
	// A record of an unknown case is refused.
	err := f.db.Update(context.Background(), func(tx *Tx) error {
		_, err := tx.AddRecord(casework.Record{CaseID: 9999, Kind: "visit", At: t0})
		return err
	})
	if err == nil {
		t.Error("AddRecord for an unknown case succeeded")
	}
}

func TestDeadlines(t *testing.T) {
	f := newCaseFixture(t)
	ids := f.create(t, newCase("HRE-1", f.hre.ID, 12, f.ann), newCase("HRE-2", f.hre.ID, 12, f.bob))
	a, b := ids[0], ids[1]
	due48 := t0.Add(casework.InitialAssessmentDue)
	due7d := t0.Add(casework.FullAssessmentDue)
	update(t, f.db, func(tx *Tx) error {
		for _, d := range []struct {
			c    int64
			k    casework.DeadlineKind
			when time.Time
		}{
			{a, casework.DueFullAssessment, due7d},
			{a, casework.DueInitialAssessment, due48},
			{b, casework.DueReview, due48},
			{b, casework.DueVisit, due48.Add(time.Millisecond)},
		} {
			if err := tx.AddDeadline(d.c, d.k, d.when); err != nil {
				return err
			}
		}
		return nil
	})
	type dl struct {
		caseID int64
		kind   casework.DeadlineKind
		due    time.Time
	}
	brief := func(ds []casework.Deadline) []dl {
		var out []dl
		for _, d := range ds {
			out = append(out, dl{d.CaseID, d.Kind, d.Due})
		}
		return out
	}
	due := func(now time.Time) []casework.Deadline {
		t.Helper()
		var ds []casework.Deadline
		view(t, f.db, func(tx *Tx) error {
			var err error
			ds, err = tx.DueDeadlines(now)
			return err
		})
		return ds
	}
	open := func(c int64) []casework.Deadline {
		t.Helper()
		var ds []casework.Deadline
		view(t, f.db, func(tx *Tx) error {
			var err error
			ds, err = tx.OpenDeadlines(c)
			return err
		})
		return ds
	}

	dueTests := []struct {
		name string
		now  time.Time
		want []dl
	}{
		{"at creation", t0, nil},
		{"1ms before due", due48.Add(-time.Millisecond), nil},
		{"exactly due", due48, []dl{{a, casework.DueInitialAssessment, due48}, {b, casework.DueReview, due48}}},
		{"1ms later", due48.Add(time.Millisecond), []dl{{a, casework.DueInitialAssessment, due48}, {b, casework.DueReview, due48},
			{b, casework.DueVisit, due48.Add(time.Millisecond)}}},
		{"after the full assessment", due7d, []dl{{a, casework.DueInitialAssessment, due48}, {b, casework.DueReview, due48},
			{b, casework.DueVisit, due48.Add(time.Millisecond)}, {a, casework.DueFullAssessment, due7d}}},
		{"in another zone", due48.In(f.harare), []dl{{a, casework.DueInitialAssessment, due48}, {b, casework.DueReview, due48}}},
	}
	for _, tt := range dueTests {
		if got := brief(due(tt.now)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DueDeadlines(%s) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if got, want := brief(open(a)), []dl{{a, casework.DueInitialAssessment, due48}, {a, casework.DueFullAssessment, due7d}}; !reflect.DeepEqual(got, want) {
		t.Errorf("OpenDeadlines(a) = %+v, want %+v", got, want)
	}

	// The escalation ladder on a's initial assessment.
	id := open(a)[0].ID
	steps := []struct {
		step string
		at   time.Time
		// check the field the step stamps
		field func(casework.Deadline) time.Time
	}{
		{"remind", due48, func(d casework.Deadline) time.Time { return d.Reminded }},
		{"lccw", due48.Add(casework.EscalateToLCCW), func(d casework.Deadline) time.Time { return d.ToLCCW }},
		{"cwo", due48.Add(casework.EscalateToCWO), func(d casework.Deadline) time.Time { return d.ToCWO }},
	}
	for i, s := range steps {
		update(t, f.db, func(tx *Tx) error { return tx.MarkDeadline(id, s.step, s.at) })
		d := open(a)[0]
		if d.ID != id {
			t.Fatalf("open deadline %d, want %d", d.ID, id)
		}
		if got := s.field(d); !got.Equal(s.at) || got.Location() != time.UTC {
			t.Errorf("after %s: stamp %v, want %v UTC", s.step, got, s.at)
		}
		// Later steps are still unset.
		for _, later := range steps[i+1:] {
			if got := later.field(d); !got.IsZero() {
				t.Errorf("after %s: %s already stamped %v", s.step, later.step, got)
			}
		}
		if !d.Done.IsZero() {
			t.Errorf("after %s: done %v", s.step, d.Done)
		}
		if got := d.Escalation(s.at); got != "" {
			t.Errorf("after %s at %v: Escalation = %q, want none", s.step, s.at, got)
		}
	}
	for _, bad := range []struct {
		name string
		id   int64
		step string
		is   error
	}{
		{"unknown step", id, "email", nil},
		{"empty step", id, "", nil},
		{"step in upper case", id, "REMIND", nil},
		{"unknown deadline", 9999, "remind", ErrNotFound},
	} {
		err := f.db.Update(context.Background(), func(tx *Tx) error { return tx.MarkDeadline(bad.id, bad.step, t0) })
		switch {
		case err == nil:
			t.Errorf("MarkDeadline(%s) succeeded", bad.name)
		case bad.is != nil && !errors.Is(err, bad.is):
			t.Errorf("MarkDeadline(%s) = %v, want %v", bad.name, err, bad.is)
		case bad.is == nil && errors.Is(err, ErrNotFound):
			t.Errorf("MarkDeadline(%s) = %v, want an unknown-step error", bad.name, err)
		}
	}

	// Completing a's initial assessment removes it from the open and due
	// lists; completing again does not restamp; other kinds and cases stay.
	done := due48.Add(5 * time.Hour)
	update(t, f.db, func(tx *Tx) error { return tx.CompleteDeadlines(a, casework.DueInitialAssessment, done) })
	update(t, f.db, func(tx *Tx) error { return tx.CompleteDeadlines(a, casework.DueInitialAssessment, done.Add(time.Hour)) })
	update(t, f.db, func(tx *Tx) error { return tx.CompleteDeadlines(a, casework.DueReview, done) }) // none open: no error
	var doneAt int64
	if err := f.db.w.QueryRow(`SELECT done_at FROM deadlines WHERE id = ?`, id).Scan(&doneAt); err != nil || doneAt != done.UnixMilli() {
		t.Errorf("done_at = %d %v, want %d", doneAt, err, done.UnixMilli())
	}
	if got, want := brief(open(a)), []dl{{a, casework.DueFullAssessment, due7d}}; !reflect.DeepEqual(got, want) {
		t.Errorf("OpenDeadlines(a) after completing = %+v, want %+v", got, want)
	}
	if got, want := brief(due(due7d)), []dl{{b, casework.DueReview, due48}, {b, casework.DueVisit, due48.Add(time.Millisecond)},
		{a, casework.DueFullAssessment, due7d}}; !reflect.DeepEqual(got, want) {
		t.Errorf("DueDeadlines after completing = %+v, want %+v", got, want)
	}
	// Two open deadlines of one kind are completed together.
	update(t, f.db, func(tx *Tx) error {
		if err := tx.AddDeadline(b, casework.DueReview, due7d); err != nil {
			return err
		}
		return tx.CompleteDeadlines(b, casework.DueReview, done)
	})
	if got, want := brief(open(b)), []dl{{b, casework.DueVisit, due48.Add(time.Millisecond)}}; !reflect.DeepEqual(got, want) {
		t.Errorf("OpenDeadlines(b) = %+v, want %+v", got, want)
	}
	if err := f.db.Update(context.Background(), func(tx *Tx) error { return tx.AddDeadline(9999, casework.DueVisit, t0) }); err == nil {
		t.Error("AddDeadline for an unknown case succeeded")
	}
}

func TestMembersByRole(t *testing.T) {
	f := newCaseFixture(t)
	tests := []struct {
		district int64
		ward     int
		role     casework.Role
		want     []int64
	}{
		{f.hre.ID, 0, casework.CCW, []int64{f.ann, f.bob, f.dan, f.sipho}},
		{f.hre.ID, 12, casework.CCW, []int64{f.ann, f.bob, f.sipho}},
		{f.hre.ID, 14, casework.CCW, []int64{f.dan}},
		{f.hre.ID, 13, casework.CCW, nil},
		{f.hre.ID, 12, casework.LCCW, []int64{f.lee}},
		{f.hre.ID, 0, casework.LCCW, []int64{f.lee}},
		{f.hre.ID, 14, casework.LCCW, nil},
		{f.hre.ID, 0, casework.CWO, []int64{f.moyo}},
		{f.hre.ID, 0, casework.Provincial, nil},
		{f.byo.ID, 0, casework.CCW, []int64{f.cat}},
		{f.byo.ID, 12, casework.LCCW, []int64{f.byoLCCW}},
		{f.byo.ID, 0, casework.CWO, nil},
		{9999, 0, casework.CCW, nil},
	}
	view(t, f.db, func(tx *Tx) error {
		for _, tt := range tests {
			ms, err := tx.MembersByRole(tt.district, tt.ward, tt.role)
			if err != nil {
				return err
			}
			var got []int64
			for _, m := range ms {
				got = append(got, m.ID)
				if m.Role != tt.role || m.DistrictID != tt.district || (tt.ward != 0 && m.Ward != tt.ward) {
					t.Errorf("MembersByRole(%d, %d, %s) listed %+v", tt.district, tt.ward, tt.role, m)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("MembersByRole(%d, %d, %s) = %v, want %v", tt.district, tt.ward, tt.role, got, tt.want)
			}
		}
		return nil
	})
	// The full member comes back, not just the id.
	view(t, f.db, func(tx *Tx) error {
		ms, err := tx.MembersByRole(f.hre.ID, 14, casework.CCW)
		want := []casework.Member{{ID: f.dan, Name: "Dan", Role: casework.CCW, DistrictID: f.hre.ID, Ward: 14, Lang: "nd"}}
		if err != nil || !reflect.DeepEqual(ms, want) {
			t.Errorf("MembersByRole = %+v %v, want %+v", ms, err, want)
		}
		return nil
	})
}

func TestLinkedGroups(t *testing.T) {
	f := newCaseFixture(t)
	type grp struct {
		p        chat.Platform
		c        chat.ChatID
		district int64 // 0: never linked
		ward     int
		inactive bool
	}
	groups := []grp{
		{chat.Telegram, "-100", f.hre.ID, 12, false},
		{chat.Sim, "ward12", f.hre.ID, 12, false},
		{chat.Sim, "old12", f.hre.ID, 12, true},
		{chat.Sim, "ward14", f.hre.ID, 14, false},
		{chat.Sim, "unlinked", 0, 0, false},
		{chat.Sim, "byo12", f.byo.ID, 12, false},
		{chat.WhatsApp, "123@g.us", f.hre.ID, 12, false},
	}
	update(t, f.db, func(tx *Tx) error {
		for _, g := range groups {
			if err := tx.PutChat(g.p, g.c, chat.Group, string(g.c)); err != nil {
				return err
			}
			if g.district != 0 {
				if err := tx.LinkChat(g.p, g.c, g.district, g.ward, t0); err != nil {
					return err
				}
			}
			if g.inactive {
				if err := tx.SetChatActive(g.p, g.c, false); err != nil {
					return err
				}
			}
		}
		return nil
	})
	// A group linked once and then unlinked keeps its district and ward.
	update(t, f.db, func(tx *Tx) error {
		if err := tx.PutChat(chat.Sim, "was12", chat.Group, "was12"); err != nil {
			return err
		}
		if err := tx.LinkChat(chat.Sim, "was12", f.hre.ID, 12, t0); err != nil {
			return err
		}
		_, err := tx.exec(`UPDATE chats SET linked = 0 WHERE platform = ? AND chat_id = ?`, chat.Sim, "was12")
		return err
	})
	tests := []struct {
		district int64
		ward     int
		want     []string
	}{
		{f.hre.ID, 12, []string{"sim/ward12", "telegram/-100", "whatsapp/123@g.us"}},
		{f.hre.ID, 14, []string{"sim/ward14"}},
		{f.hre.ID, 13, nil},
		{f.hre.ID, 0, nil}, // ward 0 is not "any ward" here
		{f.byo.ID, 12, []string{"sim/byo12"}},
		{9999, 12, nil},
	}
	view(t, f.db, func(tx *Tx) error {
		for _, tt := range tests {
			gs, err := tx.LinkedGroups(tt.district, tt.ward)
			if err != nil {
				return err
			}
			var got []string
			for _, g := range gs {
				got = append(got, g.Platform+"/"+g.ChatID)
				if !g.Linked || !g.Active || g.DistrictID != tt.district || g.Ward != tt.ward {
					t.Errorf("LinkedGroups(%d, %d) listed %+v", tt.district, tt.ward, g)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LinkedGroups(%d, %d) = %v, want %v", tt.district, tt.ward, got, tt.want)
			}
		}
		return nil
	})
}

func TestInvites(t *testing.T) {
	f := newCaseFixture(t)
	created := time.Date(2026, 3, 1, 10, 0, 0, 987654321, f.harare)
	invites := []casework.Invite{
		{Code: "K7Q2-MX", Role: casework.CCW, DistrictID: f.hre.ID, Ward: 12, Lang: "sn", CreatedBy: f.lee,
			Created: created, Expires: created.Add(casework.InviteValidity)},
		// The first admin code comes from the CLI: no creator, no ward, no language.
		{Code: "ADMIN-1", Role: casework.Admin, DistrictID: f.hre.ID, Created: t0, Expires: t0.Add(casework.InviteValidity)},
	}
	update(t, f.db, func(tx *Tx) error {
		for _, in := range invites {
			if err := tx.CreateInvite(in); err != nil {
				return err
			}
		}
		return nil
	})
	norm := func(in casework.Invite) *casework.Invite {
		in.Created, in.Expires = in.Created.Truncate(time.Millisecond).UTC(), in.Expires.Truncate(time.Millisecond).UTC()
		return &in
	}
	invite := func(code string) *casework.Invite {
		t.Helper()
		var in *casework.Invite
		view(t, f.db, func(tx *Tx) error {
			var err error
			in, err = tx.Invite(code)
			return err
		})
		return in
	}
	for _, in := range invites {
		if got, want := invite(in.Code), norm(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Invite(%s) = %+v, want %+v", in.Code, got, want)
		}
	}
	if got := invite("NOPE"); got != nil {
		t.Errorf("Invite(unknown) = %+v, want nil", got)
	}

	dupe := invites[1]
	dupe.Role = casework.CWO
	if err := f.db.Update(context.Background(), func(tx *Tx) error { return tx.CreateInvite(dupe) }); err == nil {
		t.Error("duplicate invite code accepted")
	}

	uses := []struct {
		name   string
		code   string
		member int64
		want   error
	}{
		{"first use", "K7Q2-MX", f.sipho, nil},
		{"second use, same member", "K7Q2-MX", f.sipho, ErrNotFound},
		{"second use, other member", "K7Q2-MX", f.bob, ErrNotFound},
		{"unknown code", "NOPE", f.bob, ErrNotFound},
		{"other invite", "ADMIN-1", f.moyo, nil},
	}
	for _, u := range uses {
		err := f.db.Update(context.Background(), func(tx *Tx) error { return tx.UseInvite(u.code, u.member, t0.Add(time.Hour)) })
		if !errors.Is(err, u.want) || (u.want == nil && err != nil) {
			t.Errorf("UseInvite(%s): %v, want %v", u.name, err, u.want)
		}
	}
	if got := invite("K7Q2-MX"); got == nil || got.UsedBy != f.sipho {
		t.Errorf("after use: %+v, want used by %d (the first user)", got, f.sipho)
	}
	if got := invite("ADMIN-1"); got == nil || got.UsedBy != f.moyo {
		t.Errorf("after use: %+v, want used by %d", got, f.moyo)
	}
}
