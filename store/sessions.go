package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"carenet/flows"
	"carenet/internal/chat"
)

// Session returns the running flow of a conversation; nil if there is none.
func (tx *Tx) Session(conv chat.Conversation) (*flows.Session, error) {
	var raw string
	err := tx.queryRow(`SELECT session FROM conversations WHERE platform = ? AND chat = ? AND user_id = ?`,
		conv.Platform, conv.Chat, conv.User).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: session %s: %w", conv, err)
	}
	var s flows.Session
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, fmt.Errorf("store: session %s: decode: %w", conv, err)
	}
	return &s, nil
}

// PutSession saves the conversation's flow state. Any answer is activity,
// so a reminder already sent no longer counts and a later idle spell may be
// reminded again.
func (tx *Tx) PutSession(conv chat.Conversation, s flows.Session, now time.Time) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("store: put session %s: encode: %w", conv, err)
	}
	_, err = tx.exec(`INSERT INTO conversations(platform, chat, user_id, session, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (platform, chat, user_id) DO UPDATE
		SET session = excluded.session, updated_at = excluded.updated_at, reminded_at = NULL`,
		conv.Platform, conv.Chat, conv.User, string(raw), ms(now))
	if err != nil {
		return fmt.Errorf("store: put session %s: %w", conv, err)
	}
	return nil
}

// DeleteSession ends the conversation's flow; deleting none is not an error.
func (tx *Tx) DeleteSession(conv chat.Conversation) error {
	_, err := tx.exec(`DELETE FROM conversations WHERE platform = ? AND chat = ? AND user_id = ?`,
		conv.Platform, conv.Chat, conv.User)
	if err != nil {
		return fmt.Errorf("store: delete session %s: %w", conv, err)
	}
	return nil
}

// MarkReminded records that the idle conversation was reminded. updated_at
// is left alone so the session still times out from the last answer.
func (tx *Tx) MarkReminded(conv chat.Conversation, now time.Time) error {
	err := tx.execOne(`UPDATE conversations SET reminded_at = ? WHERE platform = ? AND chat = ? AND user_id = ?`,
		ms(now), conv.Platform, conv.Chat, conv.User)
	if err != nil {
		return fmt.Errorf("store: mark reminded %s: %w", conv, err)
	}
	return nil
}

type idleRow struct {
	conv     chat.Conversation
	s        flows.Session
	updated  time.Time
	reminded bool
}

// EachIdleSession calls fn for every conversation not updated since
// idleSince, least recently updated first, and stops at fn's first error.
// The rows are read in full beforehand, so fn may call Update (to remind
// or expire the session) without waiting on this read.
func (db *DB) EachIdleSession(ctx context.Context, idleSince time.Time,
	fn func(conv chat.Conversation, s flows.Session, updated time.Time, reminded bool) error) error {
	var idle []idleRow
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT platform, chat, user_id, session, updated_at, reminded_at IS NOT NULL
			FROM conversations WHERE updated_at <= ? ORDER BY updated_at, platform, chat, user_id`, ms(idleSince))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				r       idleRow
				raw     string
				updated int64
			)
			if err := rows.Scan(&r.conv.Platform, &r.conv.Chat, &r.conv.User, &raw, &updated, &r.reminded); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(raw), &r.s); err != nil {
				return fmt.Errorf("session %s: decode: %w", r.conv, err)
			}
			r.updated = fromMS(updated)
			idle = append(idle, r)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("store: idle sessions: %w", err)
	}
	for _, r := range idle {
		if err := fn(r.conv, r.s, r.updated, r.reminded); err != nil {
			return err
		}
	}
	return nil
}
