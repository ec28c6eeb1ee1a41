package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"carenet/internal/casework"
)

// The monthly peer-supervision rounds and each CCW's check-in.

const roundCols = `id, district_id, ward, COALESCE(started_by, 0), started_at, closes_at,
	COALESCE(reminded_at, 0), COALESCE(closed_at, 0), month`

func scanRound(scan func(...any) error) (*casework.Round, error) {
	var (
		r                                  casework.Round
		started, closes, reminded, closedT int64
	)
	err := scan(&r.ID, &r.DistrictID, &r.Ward, &r.StartedBy, &started, &closes, &reminded, &closedT, &r.Month)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.Started, r.Closes, r.Reminded, r.Closed = fromMS(started), fromMS(closes), optMS(reminded), optMS(closedT)
	return &r, nil
}

func (tx *Tx) rounds(where string, args ...any) ([]casework.Round, error) {
	rows, err := tx.query(`SELECT `+roundCols+` FROM supervision_rounds `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: rounds: %w", err)
	}
	defer rows.Close()
	var rs []casework.Round
	for rows.Next() {
		r, err := scanRound(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: rounds: %w", err)
		}
		rs = append(rs, *r)
	}
	return rs, rows.Err()
}

// CreateRound stores a new round and returns its id. A ward has at most
// one round not yet closed: a second gives ErrExists.
func (tx *Tx) CreateRound(r casework.Round) (int64, error) {
	var id int64
	err := tx.queryRow(`INSERT INTO supervision_rounds(district_id, ward, started_by, started_at, closes_at, month)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		r.DistrictID, r.Ward, nullID(r.StartedBy), ms(r.Started), ms(r.Closes), r.Month).Scan(&id)
	if isUnique(err) {
		err = ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("store: create round for ward %d: %w", r.Ward, err)
	}
	return id, nil
}

// OpenRound returns the ward's round that is not closed yet; nil if none.
// Its closing time may have passed: the scheduler closes it.
func (tx *Tx) OpenRound(districtID int64, ward int) (*casework.Round, error) {
	r, err := scanRound(tx.queryRow(`SELECT `+roundCols+` FROM supervision_rounds
		WHERE district_id = ? AND ward = ? AND closed_at IS NULL`, districtID, ward).Scan)
	if err != nil {
		return nil, fmt.Errorf("store: open round of ward %d: %w", ward, err)
	}
	return r, nil
}

// UnclosedRounds lists every round not closed yet, oldest first.
func (tx *Tx) UnclosedRounds() ([]casework.Round, error) {
	return tx.rounds(`WHERE closed_at IS NULL ORDER BY started_at, id`)
}

// RoundInMonth reports whether the ward had a round (open or closed) in a
// calendar month ("2026-01").
func (tx *Tx) RoundInMonth(districtID int64, ward int, month string) (bool, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM supervision_rounds WHERE district_id = ? AND ward = ? AND month = ?`,
		districtID, ward, month).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: round in %s: %w", month, err)
	}
	return n > 0, nil
}

// LastRoundOfMonth returns the ward's latest round of a calendar month;
// nil if it had none.
func (tx *Tx) LastRoundOfMonth(districtID int64, ward int, month string) (*casework.Round, error) {
	rs, err := tx.rounds(`WHERE district_id = ? AND ward = ? AND month = ? ORDER BY started_at DESC, id DESC LIMIT 1`,
		districtID, ward, month)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return &rs[0], nil
}

// MarkRoundReminded records that the round's reminder went out.
func (tx *Tx) MarkRoundReminded(id int64, now time.Time) error {
	if err := tx.execOne(`UPDATE supervision_rounds SET reminded_at = ? WHERE id = ?`, ms(now), id); err != nil {
		return fmt.Errorf("store: remind round %d: %w", id, err)
	}
	return nil
}

// CloseRound closes a round; it takes no answers after this.
func (tx *Tx) CloseRound(id int64, now time.Time) error {
	if err := tx.execOne(`UPDATE supervision_rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, ms(now), id); err != nil {
		return fmt.Errorf("store: close round %d: %w", id, err)
	}
	return nil
}

// SupervisionWards lists the wards that have both an active linked group
// and an LCCW: the scheduler's monthly round goes to them.
func (tx *Tx) SupervisionWards() ([]casework.WardRef, error) {
	rows, err := tx.query(`SELECT DISTINCT c.district_id, c.ward FROM chats c
		WHERE c.linked = 1 AND c.active = 1 AND c.ward > 0 AND EXISTS (
			SELECT 1 FROM members m WHERE m.role = 'lccw' AND m.district_id = c.district_id AND m.ward = c.ward)
		ORDER BY c.district_id, c.ward`)
	if err != nil {
		return nil, fmt.Errorf("store: supervision wards: %w", err)
	}
	defer rows.Close()
	var ws []casework.WardRef
	for rows.Next() {
		var w casework.WardRef
		if err := rows.Scan(&w.DistrictID, &w.Ward); err != nil {
			return nil, fmt.Errorf("store: supervision wards: %w", err)
		}
		ws = append(ws, w)
	}
	return ws, rows.Err()
}

// AddCheckIn invites a CCW to a round; inviting them again is a no-op.
func (tx *Tx) AddCheckIn(roundID, memberID int64) error {
	if _, err := tx.exec(`INSERT INTO supervision_checkins(round_id, member_id) VALUES (?, ?)
		ON CONFLICT DO NOTHING`, roundID, memberID); err != nil {
		return fmt.Errorf("store: add check-in %d/%d: %w", roundID, memberID, err)
	}
	return nil
}

const checkInCols = `round_id, member_id, COALESCE(answered_at, 0), open_cases, visits, stuck_code, concern,
	referrals_made, referrals_done, challenge, training, burnout, COALESCE(who5, -1), answers`

func scanCheckIn(scan func(...any) error) (*casework.CheckIn, error) {
	var (
		c        casework.CheckIn
		answered int64
		answers  string
	)
	err := scan(&c.RoundID, &c.MemberID, &answered, &c.OpenCases, &c.Visits, &c.StuckCode, &c.Concern,
		&c.ReferralsMade, &c.ReferralsDone, &c.Challenge, &c.Training, &c.Burnout, &c.WHO5, &answers)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Answered = optMS(answered)
	if err := json.Unmarshal([]byte(answers), &c.Answers); err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	return &c, nil
}

// CheckIn returns a CCW's check-in of a round; nil if they are not in it.
func (tx *Tx) CheckIn(roundID, memberID int64) (*casework.CheckIn, error) {
	c, err := scanCheckIn(tx.queryRow(`SELECT `+checkInCols+` FROM supervision_checkins
		WHERE round_id = ? AND member_id = ?`, roundID, memberID).Scan)
	if err != nil {
		return nil, fmt.Errorf("store: check-in %d/%d: %w", roundID, memberID, err)
	}
	return c, nil
}

// CheckIns lists a round's check-ins, answered or not, by member id.
func (tx *Tx) CheckIns(roundID int64) ([]casework.CheckIn, error) {
	rows, err := tx.query(`SELECT `+checkInCols+` FROM supervision_checkins WHERE round_id = ? ORDER BY member_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("store: check-ins of %d: %w", roundID, err)
	}
	defer rows.Close()
	var cs []casework.CheckIn
	for rows.Next() {
		c, err := scanCheckIn(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: check-ins of %d: %w", roundID, err)
		}
		cs = append(cs, *c)
	}
	return cs, rows.Err()
}

// SaveCheckIn stores a CCW's answers (c.Answered must be set). The CCW
// must have been invited (AddCheckIn); the WHO-5 score is left as it is.
func (tx *Tx) SaveCheckIn(c casework.CheckIn) error {
	answers, err := json.Marshal(c.Answers)
	if err != nil {
		return fmt.Errorf("store: save check-in: %w", err)
	}
	err = tx.execOne(`UPDATE supervision_checkins SET answered_at = ?, open_cases = ?, visits = ?, stuck_code = ?,
		concern = ?, referrals_made = ?, referrals_done = ?, challenge = ?, training = ?, burnout = ?, answers = ?
		WHERE round_id = ? AND member_id = ?`,
		ms(c.Answered), c.OpenCases, c.Visits, c.StuckCode, boolInt(c.Concern), c.ReferralsMade, c.ReferralsDone,
		c.Challenge, c.Training, c.Burnout, string(answers), c.RoundID, c.MemberID)
	if err != nil {
		return fmt.Errorf("store: save check-in %d/%d: %w", c.RoundID, c.MemberID, err)
	}
	return nil
}

// SaveWHO5 stores a CCW's raw WHO-5 score for a round.
func (tx *Tx) SaveWHO5(roundID, memberID int64, raw int) error {
	if err := tx.execOne(`UPDATE supervision_checkins SET who5 = ? WHERE round_id = ? AND member_id = ?`,
		raw, roundID, memberID); err != nil {
		return fmt.Errorf("store: save WHO-5 %d/%d: %w", roundID, memberID, err)
	}
	return nil
}
