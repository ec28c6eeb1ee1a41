package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"carenet/internal/chat"
)

// Enqueue adds a message to the outbox, to be sent at notBefore or later.
// It is written in the caller's transaction, so the reply exists exactly
// when the change that caused it does.
func (tx *Tx) Enqueue(out chat.Outbound, notBefore time.Time) (int64, error) {
	if out.Platform == "" || out.Chat == "" {
		return 0, fmt.Errorf("store: enqueue: platform and chat are required (got %q %q)", out.Platform, out.Chat)
	}
	payload, err := json.Marshal(out)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue: encode: %w", err)
	}
	var seq int64
	// created_at is for people reading the table, not for scheduling, so
	// the wall clock is fine even when the bot runs on a simulated one.
	err = tx.queryRow(`INSERT INTO outbox(platform, chat, payload, ref, created_at, next_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
		out.Platform, out.Chat, string(payload), out.Ref, ms(time.Now()), ms(notBefore)).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue to %s/%s: %w", out.Platform, out.Chat, err)
	}
	return seq, nil
}

// DueOutbox returns up to limit (all if limit <= 0) messages for platform p
// that are neither sent nor failed and due at now, oldest first.
func (db *DB) DueOutbox(ctx context.Context, p chat.Platform, now time.Time, limit int) ([]chat.OutboxItem, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var items []chat.OutboxItem
	err := db.View(ctx, func(tx *Tx) error {
		// A row waits while an earlier row of the same chat is backing off
		// after a failed attempt, so a chat never sees its messages out of
		// order. Rows merely scheduled later (quiet hours) do not block.
		rows, err := tx.query(`SELECT seq, payload, attempts FROM outbox o
			WHERE platform = ? AND sent_at IS NULL AND failed_at IS NULL AND next_at <= ?
			  AND NOT EXISTS (SELECT 1 FROM outbox e
			    WHERE e.platform = o.platform AND e.chat = o.chat AND e.seq < o.seq
			      AND e.sent_at IS NULL AND e.failed_at IS NULL AND e.attempts > 0 AND e.next_at > ?)
			ORDER BY seq LIMIT ?`, p, ms(now), ms(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				it      chat.OutboxItem
				payload string
			)
			if err := rows.Scan(&it.Seq, &payload, &it.Attempts); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(payload), &it.Msg); err != nil {
				return fmt.Errorf("outbox row %d: %w", it.Seq, err)
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: due outbox %s: %w", p, err)
	}
	return items, nil
}

// NextOutboxAt returns when the earliest pending message for p becomes due
// (possibly in the past); ok is false when nothing is pending.
func (db *DB) NextOutboxAt(ctx context.Context, p chat.Platform) (t time.Time, ok bool, err error) {
	err = db.View(ctx, func(tx *Tx) error {
		var next sql.NullInt64
		if err := tx.queryRow(`SELECT MIN(next_at) FROM outbox
			WHERE platform = ? AND sent_at IS NULL AND failed_at IS NULL`, p).Scan(&next); err != nil {
			return err
		}
		if next.Valid {
			t, ok = fromMS(next.Int64), true
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next outbox %s: %w", p, err)
	}
	return t, ok, nil
}

// MarkSent records a delivery. The payload is replaced by '{}': once a
// message is delivered carenet keeps no copy of its text (data
// minimisation). The platform ids, the poll secret and the Ref stay, to
// match later replies and poll votes.
func (db *DB) MarkSent(ctx context.Context, seq int64, sent chat.Sent, now time.Time) error {
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.execOne(`UPDATE outbox SET sent_at = ?, sent_id = ?, poll_id = ?, secret = ?, payload = '{}', last_error = NULL
			WHERE seq = ?`, ms(now), nullText(string(sent.ID)), nullText(sent.PollID), nullText(sent.Secret), seq)
	})
	if err != nil {
		return fmt.Errorf("store: mark sent %d: %w", seq, err)
	}
	return nil
}

// MarkRetry records a failed attempt and when to try again.
func (db *DB) MarkRetry(ctx context.Context, seq int64, attempts int, next time.Time, errText string) error {
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.execOne(`UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE seq = ?`,
			attempts, ms(next), nullText(errText), seq)
	})
	if err != nil {
		return fmt.Errorf("store: mark retry %d: %w", seq, err)
	}
	return nil
}

// MarkFailed gives up on a message. Its text is dropped as on success: no
// one will send it, and the error says why it failed.
func (db *DB) MarkFailed(ctx context.Context, seq int64, errText string, now time.Time) error {
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.execOne(`UPDATE outbox SET failed_at = ?, last_error = ?, payload = '{}' WHERE seq = ?`,
			ms(now), nullText(errText), seq)
	})
	if err != nil {
		return fmt.Errorf("store: mark failed %d: %w", seq, err)
	}
	return nil
}

// OutboxCounts counts pending, sent and failed outbox rows.
func (db *DB) OutboxCounts(ctx context.Context) (pending, sent, failed int, err error) {
	err = db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT
			COALESCE(SUM(sent_at IS NULL AND failed_at IS NULL), 0),
			COALESCE(SUM(sent_at IS NOT NULL), 0),
			COALESCE(SUM(failed_at IS NOT NULL), 0)
			FROM outbox`).Scan(&pending, &sent, &failed)
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("store: outbox counts: %w", err)
	}
	return pending, sent, failed, nil
}

// Poll finds the delivered poll with the platform's poll id; nil if none.
// MarkSent drops the message text, so this is how a vote is traced back to
// what the poll asked (Ref).
func (tx *Tx) Poll(p chat.Platform, pollID string) (*chat.SentPoll, error) {
	var (
		sp     chat.SentPoll
		sentID sql.NullString
		secret sql.NullString
		at     int64
	)
	err := tx.queryRow(`SELECT seq, chat, ref, sent_id, secret, sent_at FROM outbox
		WHERE platform = ? AND poll_id = ? ORDER BY seq DESC LIMIT 1`, p, pollID).
		Scan(&sp.Seq, &sp.Chat, &sp.Ref, &sentID, &secret, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: poll %s/%s: %w", p, pollID, err)
	}
	sp.Sent = chat.Sent{ID: chat.MsgID(sentID.String), PollID: pollID, Secret: secret.String}
	sp.SentAt = fromMS(at)
	return &sp, nil
}
