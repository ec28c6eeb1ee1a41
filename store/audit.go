package store

import (
	"errors"
	"fmt"

	"carenet/internal/casework"
)

// Audit appends an entry to the audit trail. It is written in the caller's
// transaction, so the trail records exactly the changes that committed.
func (tx *Tx) Audit(e casework.AuditEntry) error {
	// A zero time would be stored as year 1 and sort before everything.
	if e.At.IsZero() {
		return fmt.Errorf("store: audit %s: time is required", e.Action)
	}
	if e.Action == "" {
		return errors.New("store: audit: action is required")
	}
	_, err := tx.exec(`INSERT INTO audit(at, member_id, action, case_id, chat, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		ms(e.At), nullID(e.MemberID), e.Action, nullID(e.CaseID), nullText(e.Chat), nullText(e.Detail))
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns the entries about a case in the order they were written.
func (tx *Tx) AuditLog(caseID int64) ([]casework.AuditEntry, error) {
	es, err := tx.audits(`WHERE case_id = ?`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: audit log of case %d: %w", caseID, err)
	}
	return es, nil
}

// AuditByAction returns the entries whose action starts with prefix ("case."
// for every case action), in the order they were written.
func (tx *Tx) AuditByAction(prefix string) ([]casework.AuditEntry, error) {
	// A range instead of LIKE: LIKE treats % and _ as wildcards and, being
	// case-insensitive, cannot use the index.
	var (
		es  []casework.AuditEntry
		err error
	)
	if end, ok := prefixEnd(prefix); ok {
		es, err = tx.audits(`WHERE action >= ? AND action < ?`, prefix, end)
	} else {
		es, err = tx.audits(`WHERE action >= ?`, prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("store: audit by action %q: %w", prefix, err)
	}
	return es, nil
}

// prefixEnd returns the smallest string greater than every string that
// starts with p (SQLite compares text bytewise); ok is false if there is
// none (p empty or all 0xFF bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

func (tx *Tx) audits(where string, args ...any) ([]casework.AuditEntry, error) {
	rows, err := tx.query(`SELECT at, COALESCE(member_id, 0), action, COALESCE(case_id, 0), COALESCE(chat, ''), COALESCE(detail, '')
		FROM audit `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []casework.AuditEntry
	for rows.Next() {
		var (
			e  casework.AuditEntry
			at int64
		)
		if err := rows.Scan(&at, &e.MemberID, &e.Action, &e.CaseID, &e.Chat, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		es = append(es, e)
	}
	return es, rows.Err()
}
