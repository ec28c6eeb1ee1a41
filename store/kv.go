package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// GetKV returns the value stored under key; ok is false if there is none.
func (tx *Tx) GetKV(key string) (string, bool, error) {
	var v string
	err := tx.queryRow(`SELECT value FROM kv WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: get %q: %w", key, err)
	}
	return v, true, nil
}

// SetKV stores value under key, replacing any previous value.
func (tx *Tx) SetKV(key, value string) error {
	_, err := tx.exec(`INSERT INTO kv(key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("store: set %q: %w", key, err)
	}
	return nil
}

// GetKV reads one key in its own read transaction.
func (db *DB) GetKV(ctx context.Context, key string) (v string, ok bool, err error) {
	err = db.View(ctx, func(tx *Tx) error {
		v, ok, err = tx.GetKV(key)
		return err
	})
	return v, ok, err
}

// SetKV writes one key in its own transaction.
func (db *DB) SetKV(ctx context.Context, key, value string) error {
	return db.Update(ctx, func(tx *Tx) error { return tx.SetKV(key, value) })
}
