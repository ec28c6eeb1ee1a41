package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"carenet/internal/casework"
	"carenet/internal/chat"
)

// ErrClosureActive is returned when a case already has a live closure
// proposal (the unique index closures_active).
var ErrClosureActive = errors.New("store: the case already has a closure under way")

const closureCols = `id, case_id, criterion, transfer_to, proposed_by, proposed_at, closes_at, reminded_at,
	state, outcome, decided_at, cwo_by, cwo_at, provincial_by, provincial_at`

// nullMS stores a zero time as NULL.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func scanClosure(scan func(...any) error) (*casework.Closure, error) {
	var (
		cl                               casework.Closure
		transfer, by, cwoBy, provBy      sql.NullInt64
		proposed, closes                 int64
		reminded, decided, cwoAt, provAt sql.NullInt64
		outcome                          sql.NullString
	)
	if err := scan(&cl.ID, &cl.CaseID, &cl.Criterion, &transfer, &by, &proposed, &closes, &reminded,
		&cl.State, &outcome, &decided, &cwoBy, &cwoAt, &provBy, &provAt); err != nil {
		return nil, err
	}
	cl.TransferTo, cl.ProposedBy, cl.CWOBy, cl.ProvincialBy = transfer.Int64, by.Int64, cwoBy.Int64, provBy.Int64
	cl.ProposedAt, cl.ClosesAt = fromMS(proposed), fromMS(closes)
	cl.RemindedAt, cl.DecidedAt = fromNullMS(reminded), fromNullMS(decided)
	cl.CWOAt, cl.ProvincialAt = fromNullMS(cwoAt), fromNullMS(provAt)
	cl.Outcome = casework.Outcome(outcome.String)
	return &cl, nil
}

// CreateClosure stores a new proposal in the voting state and returns its
// id; ErrClosureActive if the case has one under way.
func (tx *Tx) CreateClosure(cl casework.Closure) (int64, error) {
	res, err := tx.exec(`INSERT INTO closures (case_id, criterion, transfer_to, proposed_by, proposed_at, closes_at, state)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, cl.CaseID, cl.Criterion, nullID(cl.TransferTo), nullID(cl.ProposedBy),
		ms(cl.ProposedAt), ms(cl.ClosesAt), casework.ClosureVoting)
	if isUnique(err) {
		return 0, ErrClosureActive
	}
	if err != nil {
		return 0, fmt.Errorf("store: create closure: %w", err)
	}
	return res.LastInsertId()
}

// UpdateClosure writes what changes as a proposal moves on: reminder,
// state, outcome and approvals.
func (tx *Tx) UpdateClosure(cl casework.Closure) error {
	err := tx.execOne(`UPDATE closures SET reminded_at = ?, state = ?, outcome = ?, decided_at = ?,
		cwo_by = ?, cwo_at = ?, provincial_by = ?, provincial_at = ? WHERE id = ?`,
		nullMS(cl.RemindedAt), cl.State, nullText(string(cl.Outcome)), nullMS(cl.DecidedAt),
		nullID(cl.CWOBy), nullMS(cl.CWOAt), nullID(cl.ProvincialBy), nullMS(cl.ProvincialAt), cl.ID)
	if err != nil {
		return fmt.Errorf("store: update closure %d: %w", cl.ID, err)
	}
	return nil
}

func (tx *Tx) closure(where string, args ...any) (*casework.Closure, error) {
	cl, err := scanClosure(tx.queryRow(`SELECT `+closureCols+` FROM closures WHERE `+where, args...).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: closure: %w", err)
	}
	return cl, nil
}

// Closure reads a proposal; nil if there is none with that id.
func (tx *Tx) Closure(id int64) (*casework.Closure, error) { return tx.closure(`id = ?`, id) }

// ActiveClosure is the case's live proposal (voting or awaiting an
// approval); nil if none.
func (tx *Tx) ActiveClosure(caseID int64) (*casework.Closure, error) {
	return tx.closure(`case_id = ? AND state IN (?, ?, ?)`, caseID,
		casework.ClosureVoting, casework.ClosureAwaitingCWO, casework.ClosureAwaitingProvincial)
}

// VotingClosures lists the proposals still being voted on, oldest first.
func (tx *Tx) VotingClosures() ([]casework.Closure, error) {
	rows, err := tx.query(`SELECT `+closureCols+` FROM closures WHERE state = ? ORDER BY closes_at, id`, casework.ClosureVoting)
	if err != nil {
		return nil, fmt.Errorf("store: voting closures: %w", err)
	}
	defer rows.Close()
	var out []casework.Closure
	for rows.Next() {
		cl, err := scanClosure(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: voting closures: %w", err)
		}
		out = append(out, *cl)
	}
	return out, rows.Err()
}

// PutVote records a member's latest vote; a nil ballot withdraws it.
func (tx *Tx) PutVote(closureID, memberID int64, ballot *casework.Ballot, at time.Time) error {
	_, err := tx.exec(`INSERT INTO closure_votes (closure_id, member_id, ballot, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (closure_id, member_id) DO UPDATE SET ballot = excluded.ballot, at = excluded.at`,
		closureID, memberID, ballot, ms(at))
	if err != nil {
		return fmt.Errorf("store: vote on closure %d: %w", closureID, err)
	}
	return nil
}

// Votes lists the latest vote of every member who voted, withdrawn ones
// included, in member order.
func (tx *Tx) Votes(closureID int64) ([]casework.ClosureVote, error) {
	rows, err := tx.query(`SELECT member_id, ballot, at FROM closure_votes WHERE closure_id = ? ORDER BY member_id`, closureID)
	if err != nil {
		return nil, fmt.Errorf("store: votes of closure %d: %w", closureID, err)
	}
	defer rows.Close()
	var out []casework.ClosureVote
	for rows.Next() {
		var (
			v  casework.ClosureVote
			b  sql.NullInt64
			at int64
		)
		if err := rows.Scan(&v.MemberID, &b, &at); err != nil {
			return nil, fmt.Errorf("store: votes of closure %d: %w", closureID, err)
		}
		if b.Valid {
			ballot := casework.Ballot(b.Int64)
			v.Ballot = &ballot
		}
		v.At = fromMS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// IgnoreVoter counts a voter who may not vote on the proposal, once
// however often they vote.
func (tx *Tx) IgnoreVoter(closureID int64, voter string) error {
	if _, err := tx.exec(`INSERT OR IGNORE INTO closure_ignored (closure_id, voter) VALUES (?, ?)`, closureID, voter); err != nil {
		return fmt.Errorf("store: ignore voter: %w", err)
	}
	return nil
}

// IgnoredVoters is how many voters were ignored.
func (tx *Tx) IgnoredVoters(closureID int64) (int, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM closure_ignored WHERE closure_id = ?`, closureID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: ignored voters: %w", err)
	}
	return n, nil
}

// ClosurePollsIn lists the closure ids whose polls went (or are going) to
// a chat, newest poll first: typing an option number in a group votes on
// the newest one still open.
func (tx *Tx) ClosurePollsIn(p chat.Platform, c chat.ChatID) ([]int64, error) {
	rows, err := tx.query(`SELECT ref FROM outbox WHERE platform = ? AND chat = ? AND ref LIKE 'closure.%'
		AND failed_at IS NULL ORDER BY seq DESC LIMIT 20`, p, c)
	if err != nil {
		return nil, fmt.Errorf("store: polls in %s: %w", c, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, err
		}
		if id, err := strconv.ParseInt(strings.TrimPrefix(ref, "closure."), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// ClosurePollPending reports whether a closure poll to the platform is
// queued or being sent: its poll id is not known until the send returns,
// and a vote may arrive in between.
func (tx *Tx) ClosurePollPending(p chat.Platform) (bool, error) {
	var pending bool
	err := tx.queryRow(`SELECT EXISTS (SELECT 1 FROM outbox WHERE platform = ? AND ref LIKE 'closure.%'
		AND sent_at IS NULL AND failed_at IS NULL)`, p).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("store: pending polls: %w", err)
	}
	return pending, nil
}

// TransferCase moves a case to another district: it leaves its ward (the
// receiving CWO assigns one) and is held by holder until then. It keeps its
// code, which is unique everywhere, and takes the receiving district's next
// serial, so that district's own numbering goes on without a clash.
func (tx *Tx) TransferCase(id, districtID, holder int64) error {
	serial, err := tx.NextCaseSerial(districtID)
	if err != nil {
		return err
	}
	if err := tx.execOne(`UPDATE cases SET district_id = ?, ward = 0, ccw_id = ?, status = ?, closed_at = NULL, serial = ? WHERE id = ?`,
		districtID, holder, casework.StatusOpen, serial, id); err != nil {
		return fmt.Errorf("store: transfer case %d: %w", id, err)
	}
	return tx.execOne(`UPDATE districts SET next_serial = ? WHERE id = ?`, serial+1, districtID)
}
