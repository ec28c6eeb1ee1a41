package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"carenet/internal/casework"
)

const caseCols = `id, code, district_id, ward, ccw_id, kind, statutory, status, opened_at, concerns, intake`

func scanCase(scan func(...any) error) (*casework.Case, error) {
	var (
		c        casework.Case
		opened   int64
		concerns string
		intake   string
	)
	if err := scan(&c.ID, &c.Code, &c.DistrictID, &c.Ward, &c.CCWID, &c.Kind, &c.Statutory, &c.Status, &opened, &concerns, &intake); err != nil {
		return nil, err
	}
	c.Opened = fromMS(opened)
	c.Concerns = casework.SplitList(concerns)
	if err := json.Unmarshal([]byte(intake), &c.Intake); err != nil {
		return nil, fmt.Errorf("case %d intake: %w", c.ID, err)
	}
	return &c, nil
}

// NextCaseSerial is the serial the district's next case gets. Called inside
// the transaction that creates the case, so two intakes never share one.
// The district's counter only goes up (CreateCase moves it), so a case
// transferred away never frees its number.
func (tx *Tx) NextCaseSerial(districtID int64) (int, error) {
	var n int
	err := tx.queryRow(`SELECT COALESCE((SELECT next_serial FROM districts WHERE id = ?), 1)`, districtID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: next case serial: %w", err)
	}
	return n, nil
}

// CreateCase stores a new case with its serial and the sealed name (nil for
// none) and returns its id.
func (tx *Tx) CreateCase(c casework.Case, serial int, nameSealed []byte) (int64, error) {
	intake, err := json.Marshal(c.Intake)
	if err != nil {
		return 0, err
	}
	if c.Intake == nil {
		intake = []byte("{}")
	}
	if c.Status == "" {
		c.Status = casework.StatusOpen
	}
	var sealed any
	if len(nameSealed) > 0 {
		sealed = nameSealed
	}
	res, err := tx.exec(`INSERT INTO cases(code, district_id, serial, ward, ccw_id, kind, statutory, status, opened_at, concerns, intake, name_sealed)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.Code, c.DistrictID, serial, c.Ward, c.CCWID, c.Kind, boolInt(c.Statutory), c.Status, ms(c.Opened),
		strings.Join(c.Concerns, ","), string(intake), sealed)
	if err != nil {
		return 0, fmt.Errorf("store: create case %s: %w", c.Code, err)
	}
	if _, err := tx.exec(`UPDATE districts SET next_serial = ? WHERE id = ? AND next_serial <= ?`, serial+1, c.DistrictID, serial); err != nil {
		return 0, fmt.Errorf("store: case serial of %s: %w", c.Code, err)
	}
	return res.LastInsertId()
}

// CaseByCode returns the case with the code; nil if there is none.
func (tx *Tx) CaseByCode(code string) (*casework.Case, error) {
	c, err := scanCase(tx.queryRow(`SELECT `+caseCols+` FROM cases WHERE code = ?`, code).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: case %s: %w", code, err)
	}
	return c, nil
}

// Case returns the case with the id; nil if there is none.
func (tx *Tx) Case(id int64) (*casework.Case, error) {
	c, err := scanCase(tx.queryRow(`SELECT `+caseCols+` FROM cases WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: case %d: %w", id, err)
	}
	return c, nil
}

// CaseNameSealed returns the sealed name of a case; nil when none was given.
func (tx *Tx) CaseNameSealed(id int64) ([]byte, error) {
	var b []byte
	if err := tx.queryRow(`SELECT name_sealed FROM cases WHERE id = ?`, id).Scan(&b); err != nil {
		return nil, fmt.Errorf("store: case name %d: %w", id, err)
	}
	return b, nil
}

// OpenCasesOf lists the open (not closed) cases a member is the CCW of, by
// code.
func (tx *Tx) OpenCasesOf(memberID int64) ([]casework.Case, error) {
	return tx.cases(`WHERE ccw_id = ? AND status <> 'closed' ORDER BY code`, memberID)
}

func (tx *Tx) cases(where string, args ...any) ([]casework.Case, error) {
	rows, err := tx.query(`SELECT `+caseCols+` FROM cases `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: cases: %w", err)
	}
	defer rows.Close()
	var cs []casework.Case
	for rows.Next() {
		c, err := scanCase(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: cases: %w", err)
		}
		cs = append(cs, *c)
	}
	return cs, rows.Err()
}

// SetCaseKind records a change between welfare and protection.
func (tx *Tx) SetCaseKind(id int64, kind casework.Kind, statutory bool) error {
	return tx.execOne(`UPDATE cases SET kind = ?, statutory = ? WHERE id = ?`, kind, boolInt(statutory), id)
}

// SetCaseStatus moves a case in its lifecycle; closing stamps closed_at.
func (tx *Tx) SetCaseStatus(id int64, s casework.Status, now time.Time) error {
	var closed any
	if s == casework.StatusClosed {
		closed = ms(now)
	}
	return tx.execOne(`UPDATE cases SET status = ?, closed_at = ? WHERE id = ?`, s, closed, id)
}

// AddRecord stores a record and returns its id.
func (tx *Tx) AddRecord(r casework.Record) (int64, error) {
	data, err := json.Marshal(r.Data)
	if err != nil {
		return 0, err
	}
	res, err := tx.exec(`INSERT INTO case_records(case_id, kind, member_id, at, data, chat) VALUES (?,?,?,?,?,?)`,
		r.CaseID, r.Kind, nullID(r.MemberID), ms(r.At), string(data), nullText(r.Chat))
	if err != nil {
		return 0, fmt.Errorf("store: add %s record: %w", r.Kind, err)
	}
	return res.LastInsertId()
}

// Records lists a case's records of one kind ("" for all), oldest first.
func (tx *Tx) Records(caseID int64, kind string) ([]casework.Record, error) {
	rows, err := tx.query(`SELECT id, case_id, kind, COALESCE(member_id, 0), at, data, COALESCE(chat, '')
		FROM case_records WHERE case_id = ? AND (? = '' OR kind = ?) ORDER BY at, id`, caseID, kind, kind)
	if err != nil {
		return nil, fmt.Errorf("store: records: %w", err)
	}
	defer rows.Close()
	var rs []casework.Record
	for rows.Next() {
		var (
			r    casework.Record
			at   int64
			data string
		)
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Kind, &r.MemberID, &at, &data, &r.Chat); err != nil {
			return nil, fmt.Errorf("store: records: %w", err)
		}
		r.At = fromMS(at)
		if err := json.Unmarshal([]byte(data), &r.Data); err != nil {
			return nil, fmt.Errorf("store: record %d: %w", r.ID, err)
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

const deadlineCols = `id, case_id, kind, due_at, COALESCE(done_at, 0), COALESCE(reminded_at, 0), COALESCE(lccw_at, 0), COALESCE(cwo_at, 0)`

func optMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

func (tx *Tx) deadlines(where string, args ...any) ([]casework.Deadline, error) {
	rows, err := tx.query(`SELECT `+deadlineCols+` FROM deadlines `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: deadlines: %w", err)
	}
	defer rows.Close()
	var ds []casework.Deadline
	for rows.Next() {
		var (
			d                              casework.Deadline
			due, done, reminded, lccw, cwo int64
		)
		if err := rows.Scan(&d.ID, &d.CaseID, &d.Kind, &due, &done, &reminded, &lccw, &cwo); err != nil {
			return nil, fmt.Errorf("store: deadlines: %w", err)
		}
		d.Due, d.Done, d.Reminded, d.ToLCCW, d.ToCWO = fromMS(due), optMS(done), optMS(reminded), optMS(lccw), optMS(cwo)
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

// AddDeadline schedules a duty on a case.
func (tx *Tx) AddDeadline(caseID int64, kind casework.DeadlineKind, due time.Time) error {
	if _, err := tx.exec(`INSERT INTO deadlines(case_id, kind, due_at) VALUES (?,?,?)`, caseID, kind, ms(due)); err != nil {
		return fmt.Errorf("store: add deadline: %w", err)
	}
	return nil
}

// CompleteDeadlines marks a case's open deadlines of a kind done.
func (tx *Tx) CompleteDeadlines(caseID int64, kind casework.DeadlineKind, now time.Time) error {
	if _, err := tx.exec(`UPDATE deadlines SET done_at = ? WHERE case_id = ? AND kind = ? AND done_at IS NULL`, ms(now), caseID, kind); err != nil {
		return fmt.Errorf("store: complete deadlines: %w", err)
	}
	return nil
}

// OpenDeadlines lists a case's deadlines not done yet, soonest first.
func (tx *Tx) OpenDeadlines(caseID int64) ([]casework.Deadline, error) {
	return tx.deadlines(`WHERE case_id = ? AND done_at IS NULL ORDER BY due_at, id`, caseID)
}

// DueDeadlines lists open deadlines due at or before now, soonest first.
func (tx *Tx) DueDeadlines(now time.Time) ([]casework.Deadline, error) {
	return tx.deadlines(`WHERE done_at IS NULL AND due_at <= ? ORDER BY due_at, id`, ms(now))
}

// MarkDeadline stamps one step of the escalation ladder: "remind", "lccw"
// or "cwo".
func (tx *Tx) MarkDeadline(id int64, step string, now time.Time) error {
	col := map[string]string{"remind": "reminded_at", "lccw": "lccw_at", "cwo": "cwo_at"}[step]
	if col == "" {
		return fmt.Errorf("store: unknown deadline step %q", step)
	}
	return tx.execOne(`UPDATE deadlines SET `+col+` = ? WHERE id = ?`, ms(now), id)
}

// MembersByRole lists the district's members of a role; ward 0 means any
// ward.
func (tx *Tx) MembersByRole(districtID int64, ward int, role casework.Role) ([]casework.Member, error) {
	rows, err := tx.query(`SELECT `+memberCols+` FROM members m
		WHERE m.district_id = ? AND m.role = ? AND (? = 0 OR m.ward = ?) ORDER BY m.id`, districtID, role, ward, ward)
	if err != nil {
		return nil, fmt.Errorf("store: members by role: %w", err)
	}
	defer rows.Close()
	var ms []casework.Member
	for rows.Next() {
		var m casework.Member
		if err := rows.Scan(&m.ID, &m.Name, &m.Role, &m.DistrictID, &m.Ward, &m.Lang, &m.Unreachable); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// CreateInvite stores a new invite code.
func (tx *Tx) CreateInvite(in casework.Invite) error {
	_, err := tx.exec(`INSERT INTO invites(code, role, district_id, ward, lang, created_by, created_at, expires_at)
		VALUES (?,?,?,?,?,?,?,?)`, in.Code, in.Role, in.DistrictID, in.Ward, in.Lang, nullID(in.CreatedBy), ms(in.Created), ms(in.Expires))
	if err != nil {
		return fmt.Errorf("store: create invite: %w", err)
	}
	return nil
}

// Invite returns the invite with the code; nil if there is none.
func (tx *Tx) Invite(code string) (*casework.Invite, error) {
	var (
		in               casework.Invite
		created, expires int64
	)
	err := tx.queryRow(`SELECT code, role, district_id, ward, lang, COALESCE(created_by, 0), created_at, expires_at, COALESCE(used_by, 0)
		FROM invites WHERE code = ?`, code).Scan(&in.Code, &in.Role, &in.DistrictID, &in.Ward, &in.Lang, &in.CreatedBy, &created, &expires, &in.UsedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: invite: %w", err)
	}
	in.Created, in.Expires = fromMS(created), fromMS(expires)
	return &in, nil
}

// UseInvite marks an unused invite used by a member; ErrNotFound if it was
// used meanwhile.
func (tx *Tx) UseInvite(code string, memberID int64, now time.Time) error {
	return tx.execOne(`UPDATE invites SET used_by = ?, used_at = ? WHERE code = ? AND used_by IS NULL`, memberID, ms(now), code)
}
