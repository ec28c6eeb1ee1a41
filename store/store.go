// Package store keeps carenet's durable state in one SQLite file: members,
// districts and group chats, the inbox (every message received, stored
// before the platform is told it arrived), the outbox (every reply, sent
// after the transaction that produced it commits), flow sessions, the audit
// trail and a small key/value table.
//
// Open applies the pragmas (WAL, synchronous=FULL unless told otherwise,
// foreign keys, busy timeout) and the numbered migrations embedded from
// migrations/, each in its own transaction, and refuses a file written by a
// newer binary.
//
// # Connections
//
// There are two pools on the same file. The writer holds exactly one
// connection and begins every transaction with BEGIN IMMEDIATE, so writers
// queue in Go (and, across processes such as the CLI, in SQLite's busy
// handler) instead of failing with "database is locked" when a deferred read
// transaction tries to upgrade. A separate read-only pool (mode=ro) serves
// View and the plain reads (Unhandled, DueOutbox, ...): in WAL mode readers
// never block the writer nor wait for it, so the outbox sender and the
// scheduler do not queue behind message handling. A read that starts after
// a write has committed sees it. Because the writer has one connection, a
// function passed to Update must not call DB methods: it would wait for the
// connection it is holding.
//
// # Durability
//
// Receive is the "store before acknowledge" point. With the default
// synchronous=FULL a commit is fsynced before it returns, so a message the
// platform was told about survives a power cut. NORMAL is several times
// faster (see BenchmarkInsertCommit) and still survives a process crash, but
// may lose the last commits on power loss; choose it only where the platform
// would redeliver.
//
// # Conventions
//
// Times are stored as INTEGER unix milliseconds and returned in UTC. Lookups
// return nil, nil for something unknown; updates of something unknown return
// ErrNotFound.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Errors callers may test with errors.Is.
var (
	// ErrNotFound: the row to change does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a unique name or code is already taken.
	ErrExists = errors.New("already exists")
	// ErrIdentityTaken: the platform identity belongs to another member.
	ErrIdentityTaken = errors.New("identity belongs to another member")
	// ErrSchemaTooNew: the file was migrated by a newer carenet.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// Options configure Open.
type Options struct {
	// Path is the database file; it is created if missing.
	Path string
	// Synchronous is "FULL" (default when empty), "NORMAL", "EXTRA" or
	// "OFF".
	Synchronous string
	// BusyTimeout bounds how long a write waits for another process's
	// lock; default 5s.
	BusyTimeout time.Duration
}

const defaultBusyTimeout = 5 * time.Second

// readers is the size of the read-only pool; reads are short, so a few
// connections cover the outbox sender, the scheduler and the CLI.
const readers = 4

func (o Options) synchronous() (string, error) {
	s := strings.ToUpper(strings.TrimSpace(o.Synchronous))
	switch s {
	case "":
		return "FULL", nil
	case "FULL", "NORMAL", "EXTRA", "OFF":
		return s, nil
	}
	return "", fmt.Errorf("synchronous %q: want FULL, NORMAL, EXTRA or OFF", o.Synchronous)
}

func (o Options) busyMillis() int64 {
	if o.BusyTimeout <= 0 {
		return defaultBusyTimeout.Milliseconds()
	}
	return o.BusyTimeout.Milliseconds()
}

// uriPath escapes the characters that would end or corrupt the path part
// of an SQLite URI filename; SQLite decodes %HH itself.
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(p)
}

// DSN returns the writer's data source name for the mattn "sqlite3" driver.
// An invalid Synchronous is passed through as given; Open rejects it.
func DSN(o Options) string {
	sync, err := o.synchronous()
	if err != nil {
		sync = o.Synchronous
	}
	return fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=%s&_busy_timeout=%d&_foreign_keys=on&_txlock=immediate",
		uriPath(o.Path), sync, o.busyMillis())
}

// readDSN has no _txlock: an immediate lock cannot be taken read-only.
func readDSN(o Options) string {
	return fmt.Sprintf("file:%s?mode=ro&_busy_timeout=%d", uriPath(o.Path), o.busyMillis())
}

// DB is an open carenet database.
type DB struct {
	w *sql.DB // one connection, BEGIN IMMEDIATE
	r *sql.DB // read-only pool
}

// Open opens (creating if needed) and migrates the database at o.Path.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.Path == "" {
		return nil, errors.New("store: open: empty path")
	}
	if _, err := o.synchronous(); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	w, err := sql.Open("sqlite3", DSN(o))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", o.Path, err)
	}
	w.SetMaxOpenConns(1)
	// Keep the connection for the life of the DB: reopening would redo the
	// pragmas and, in WAL mode, closing the last connection checkpoints.
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", o.Path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", o.Path, err)
	}
	// The read pool opens only now: mode=ro cannot create the file, and the
	// WAL journal mode must already be set by the writer.
	r, err := sql.Open("sqlite3", readDSN(o))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", o.Path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", o.Path, err)
	}
	return &DB{w: w, r: r}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// Tx is one transaction inside Update or View. It must not be used after
// the function it was passed to returns.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
}

// Update runs fn in one write transaction and commits it if fn returns nil.
// If fn fails or panics, everything it wrote is rolled back (and the panic
// continues). fn must not call methods of db.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return run(ctx, db.w, fn, true)
}

// View runs fn in a read-only transaction: one consistent snapshot. Write
// methods called on its Tx fail.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return run(ctx, db.r, fn, false)
}

func run(ctx context.Context, pool *sql.DB, fn func(*Tx) error, commit bool) error {
	stx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// A panic in fn: undo its writes before the panic unwinds
			// further, so no half-done change is left for the next user
			// of the single writer connection.
			stx.Rollback()
		}
	}()
	ferr := fn(&Tx{ctx: ctx, tx: stx})
	done = true
	if ferr != nil || !commit {
		if rerr := stx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(ferr, fmt.Errorf("store: rollback: %w", rerr))
		}
		return ferr
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// execOne runs an UPDATE that must touch a row.
func (tx *Tx) execOne(query string, args ...any) error {
	res, err := tx.exec(query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// ms is the storage form of a time.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullID stores the "none" value 0 of an id as NULL, which is what foreign
// keys and "IS NULL" tests expect.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}
