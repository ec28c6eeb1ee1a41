package store

import (
	"fmt"

	"carenet/internal/casework"
)

// AddScreening stores a GBV or EWS screening and returns its id. Sealed
// answers may be nil (no data key): the colour is kept regardless.
func (tx *Tx) AddScreening(s casework.Screening) (int64, error) {
	var sealed any
	if len(s.Sealed) > 0 {
		sealed = s.Sealed
	}
	res, err := tx.exec(`INSERT INTO screenings(case_id, kind, member_id, at, level, answers_sealed) VALUES (?,?,?,?,?,?)`,
		s.CaseID, s.Kind, nullID(s.MemberID), ms(s.At), s.Level, sealed)
	if err != nil {
		return 0, fmt.Errorf("store: add %s screening: %w", s.Kind, err)
	}
	return res.LastInsertId()
}

// Screenings lists a case's screenings of one kind ("" for all), newest
// first, so a child's risk reads term by term from the top.
func (tx *Tx) Screenings(caseID int64, kind string) ([]casework.Screening, error) {
	rows, err := tx.query(`SELECT id, case_id, kind, COALESCE(member_id, 0), at, level, answers_sealed
		FROM screenings WHERE case_id = ? AND (? = '' OR kind = ?) ORDER BY at DESC, id DESC`, caseID, kind, kind)
	if err != nil {
		return nil, fmt.Errorf("store: screenings: %w", err)
	}
	defer rows.Close()
	var ss []casework.Screening
	for rows.Next() {
		var (
			s  casework.Screening
			at int64
		)
		if err := rows.Scan(&s.ID, &s.CaseID, &s.Kind, &s.MemberID, &at, &s.Level, &s.Sealed); err != nil {
			return nil, fmt.Errorf("store: screenings: %w", err)
		}
		s.At = fromMS(at)
		ss = append(ss, s)
	}
	return ss, rows.Err()
}
