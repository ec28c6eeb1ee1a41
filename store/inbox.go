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

// Receive stores an inbound message, unless one with the same platform,
// chat, sender and message id is already stored: then it returns that row's seq
// with fresh=false and changes nothing. When Receive returns without error
// the row is committed, so the platform may now be told the message arrived.
func (db *DB) Receive(ctx context.Context, in chat.Inbound, now time.Time) (seq int64, fresh bool, err error) {
	// Without an id every message would look like a redelivery of the
	// first, and be dropped silently.
	if in.Platform == "" || in.ID == "" || in.Chat == "" && in.Vote == nil {
		return 0, false, fmt.Errorf("store: receive: platform, chat and message id are required (got %q %q %q)", in.Platform, in.Chat, in.ID)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		if in.Chat == "" {
			// A vote that names no chat (Telegram's poll_answer) belongs to
			// the chat its poll was sent to; an unknown poll's votes are
			// kept under the poll id, so they are still acknowledged once.
			in.Chat = chat.ChatID("poll:" + in.Vote.PollID)
			if p, err := tx.Poll(in.Platform, in.Vote.PollID); err != nil {
				return err
			} else if p != nil {
				in.Chat = p.Chat
			}
		}
		payload, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		err = tx.queryRow(`INSERT INTO inbox(platform, chat, sender, msg_id, received_at, payload)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (platform, chat, sender, msg_id) DO NOTHING
			RETURNING seq`,
			in.Platform, in.Chat, in.Sender, in.ID, ms(now), string(payload)).Scan(&seq)
		if err == nil {
			fresh = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return tx.queryRow(`SELECT seq FROM inbox WHERE platform = ? AND chat = ? AND sender = ? AND msg_id = ?`,
			in.Platform, in.Chat, in.Sender, in.ID).Scan(&seq)
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: receive %s/%s/%s: %w", in.Platform, in.Chat, in.ID, err)
	}
	return seq, fresh, nil
}

// Unhandled returns the inbox rows not yet marked handled, oldest first:
// after a restart these are replayed.
func (db *DB) Unhandled(ctx context.Context) ([]chat.InboxItem, error) {
	var items []chat.InboxItem
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT seq, payload FROM inbox WHERE handled_at IS NULL ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				it      chat.InboxItem
				payload string
			)
			if err := rows.Scan(&it.Seq, &payload); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(payload), &it.Msg); err != nil {
				return fmt.Errorf("inbox row %d: %w", it.Seq, err)
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: unhandled: %w", err)
	}
	return items, nil
}

// MarkHandled records that inbox row seq was handled, with errText when the
// handling failed. The message content is dropped (data minimisation); the
// dedupe key stays so a late redelivery is still recognised.
func (tx *Tx) MarkHandled(seq int64, now time.Time, errText string) error {
	err := tx.execOne(`UPDATE inbox SET handled_at = ?, payload = NULL, error = ? WHERE seq = ?`,
		ms(now), nullText(errText), seq)
	if err != nil {
		return fmt.Errorf("store: mark handled %d: %w", seq, err)
	}
	return nil
}
