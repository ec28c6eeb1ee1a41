package whatsapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver for sqlstore
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	waLog "go.mau.fi/whatsmeow/util/log"
)

// OpenDevice opens (creating and upgrading as needed) whatsmeow's device
// store at path and returns its first device: a fresh, unpaired one
// (ID == nil) when none was paired yet.
//
// The store is a separate SQLite file rather than tables in carenet.db:
// every decrypted message writes Signal state, and sharing carenet's
// single-writer pool would serialize those writes with message handling;
// a separate file also lets an operator delete the device to pair again
// without touching case data. WAL, a busy timeout and immediate
// transactions keep whatsmeow's own connections from failing with
// SQLITE_BUSY; foreign keys are required by its schema.
func OpenDevice(ctx context.Context, path string, log *slog.Logger) (*sqlstore.Container, *store.Device, error) {
	if path == "" {
		return nil, nil, fmt.Errorf("whatsapp: device store path is empty")
	}
	if log == nil {
		log = slog.Default()
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_foreign_keys=on&_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate"
	db, err := sqlstore.New(ctx, "sqlite3", dsn, NewLogger(log.With("module", "whatsmeow/store")))
	if err != nil {
		return nil, nil, fmt.Errorf("whatsapp: open device store %s: %w", path, err)
	}
	dev, err := db.GetFirstDevice(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("whatsapp: read device from %s: %w", path, err)
	}
	return db, dev, nil
}

// NewLogger adapts slog to whatsmeow's logger. whatsmeow formats its own
// messages, so they arrive as one string with the module as a key.
func NewLogger(l *slog.Logger) waLog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slogLogger{l: l}
}

type slogLogger struct {
	l      *slog.Logger
	module string
}

func (s slogLogger) log(level slog.Level, msg string, args []any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	if s.module != "" {
		s.l.Log(context.Background(), level, fmt.Sprintf(msg, args...), "wa", s.module)
		return
	}
	s.l.Log(context.Background(), level, fmt.Sprintf(msg, args...))
}

func (s slogLogger) Errorf(msg string, args ...any) { s.log(slog.LevelError, msg, args) }
func (s slogLogger) Warnf(msg string, args ...any)  { s.log(slog.LevelWarn, msg, args) }
func (s slogLogger) Infof(msg string, args ...any)  { s.log(slog.LevelInfo, msg, args) }
func (s slogLogger) Debugf(msg string, args ...any) { s.log(slog.LevelDebug, msg, args) }

func (s slogLogger) Sub(module string) waLog.Logger {
	if s.module != "" {
		module = s.module + "/" + module
	}
	return slogLogger{l: s.l, module: module}
}
