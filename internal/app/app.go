// Package app wires carenet together: configuration -> store -> bot core ->
// transports, and the command line (run, sim, flows check). It is the only
// package that imports the channel adapters and the store; cmd/carenet only
// calls Main.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"carenet/bot"
	"carenet/flows"
	"carenet/flows/defs"
	"carenet/internal/config"
	"carenet/internal/l10n"
	"carenet/internal/seal"
	"carenet/locales"
	"carenet/store"
)

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	io := stdio{in: stdin, out: stdout, err: stderr}
	cmd, rest := "run", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = io.run(ctx, rest)
	case "sim":
		err = io.sim(ctx, rest)
	case "flows":
		err = io.flows(rest)
	case "invite":
		err = io.invite(ctx, rest)
	case "audit":
		err = io.audit(ctx, rest)
	case "login":
		err = io.login(ctx, rest)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "carenet: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "carenet: %v\n", err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "carenet: %v\n", err)
		return 1
	}
	return 0
}

const usage = `usage:
  carenet [run] [--config FILE]       run the configured channels (none: the simulator)
  carenet sim [--db PATH] [--script FILE|-] [--empty] [--config FILE]
  carenet flows check [DIR]           validate flow files and print every problem
  carenet login whatsapp [--config FILE] [--phone 2637XXXXXXXX]
                                      pair carenet with a WhatsApp number (QR code, or a pairing code with --phone)
  carenet invite --role ROLE --district NAME [--ward N] [--lang en|sn|nd] [--district-code XYZ] [--config FILE]
                                      print a one-time invite code (valid 7 days) on the last line
  carenet audit CODE [--config FILE]  print a case's history
`

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

type usageError struct{ error }

func (s stdio) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	return fs
}

// loadConfig reads and validates the configuration.
func loadConfig(path string) (config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

func newLogger(w io.Writer, cfg config.Config, quiet bool) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	if quiet && level < slog.LevelWarn && os.Getenv(config.EnvName("log.level")) == "" {
		// The simulator shares the terminal with the transcript: keep the
		// default info chatter out of the way unless asked for.
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// core is everything a running carenet shares across channels.
type core struct {
	cfg    config.Config
	db     *store.DB
	bundle *l10n.Bundle
	engine *flows.Engine
	bot    *bot.Bot
}

// loadFlows reads the embedded flows and the optional override folder,
// checking every message ID against the English locale.
func loadFlows(bundle *l10n.Bundle, dir string) ([]*flows.Flow, error) {
	known := func(id string) bool { return bundle.Has("en", id) }
	if err := flows.CheckMessages(known); err != nil {
		return nil, err
	}
	return flows.LoadWithOverride(defs.FS, dir, known)
}

func openCore(ctx context.Context, cfg config.Config, dbPath string, clock bot.Clock, log *slog.Logger) (*core, error) {
	bundle, err := l10n.New(locales.FS)
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	defs, err := loadFlows(bundle, cfg.Flows.Dir)
	if err != nil {
		return nil, fmt.Errorf("flows:\n%w", err)
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{Path: dbPath, Synchronous: cfg.Store.Synchronous, BusyTimeout: cfg.Store.BusyTimeout.Duration()})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var st bot.Store = botStore{db}
	if wrapStore != nil {
		st = wrapStore(st)
	}
	key, err := cfg.DataKeyBytes()
	if err != nil {
		db.Close()
		return nil, err
	}
	sealer, err := seal.New(key)
	if err != nil {
		db.Close()
		return nil, err
	}
	engine := flows.NewEngine(defs)
	b, err := bot.New(bot.Options{
		Store: st, Engine: engine, Sealer: sealer, Random: newRandom(), Bundle: bundle, Clock: clock, Log: log, Location: loc,
		IdleTimeout: cfg.Conversation.IdleTimeout.Duration(),
		Quiet:       func(t time.Time) bool { return cfg.QuietHours.Contains(t.In(loc)) },
		Closure: bot.ClosureOptions{
			VoteDeadline:   cfg.Closure.VoteDeadline.Duration(),
			QuorumMin:      cfg.Closure.QuorumMin,
			QuorumFraction: cfg.Closure.QuorumFraction,
		},
		Supervision: bot.SupervisionOptions{
			DayOfMonth: cfg.Supervision.DayOfMonth,
			Round:      cfg.Supervision.Round.Duration(),
			WHO5:       cfg.Supervision.WHO5,
		},
		Outbox: bot.OutboxOptions{
			MaxAttempts: cfg.Outbox.MaxAttempts,
			BackoffMin:  cfg.Outbox.BackoffMin.Duration(),
			BackoffMax:  cfg.Outbox.BackoffMax.Duration(),
		},
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &core{cfg: cfg, db: db, bundle: bundle, engine: engine, bot: b}, nil
}

// newRandom is the source of invite codes: crypto/rand, unless a test
// wants codes it can put in a golden transcript.
var newRandom = func() io.Reader { return nil }

// wrapStore lets the crash tests of this package put a fault-injecting
// layer around the store; it is nil in every real run.
var wrapStore func(bot.Store) bot.Store

// botStore adapts *store.DB to bot.Store: the store's transaction type
// satisfies bot.Tx, but Go needs the callback's parameter type to match.
type botStore struct{ *store.DB }

func (s botStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error { return fn(tx) })
}

func (s stdio) run(ctx context.Context, args []string) error {
	fs := s.flagSet("run")
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("run: unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if len(cfg.Channels()) == 0 {
		fmt.Fprintln(s.err, "carenet: no channel configured; starting the simulator on a temporary database (see README).")
		return s.simulate(ctx, cfg, simOptions{})
	}
	return s.serve(ctx, cfg, *cfgPath)
}

func (s stdio) flows(args []string) error {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		return usageError{errors.New("usage: carenet flows check [DIR]")}
	}
	bundle, err := l10n.New(locales.FS)
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}
	dir := ""
	if len(args) == 2 {
		if _, err := os.Stat(args[1]); err != nil {
			return err
		}
		dir = args[1]
	}
	var problems []string
	defs, err := loadFlows(bundle, dir)
	if err != nil {
		problems = strings.Split(err.Error(), "\n")
	} else if err := bot.CheckFlows(defs); err != nil {
		problems = strings.Split(err.Error(), "\n")
	}
	for _, p := range problems {
		fmt.Fprintln(s.out, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s) in the flow files", len(problems))
	}
	fmt.Fprintln(s.out, "flows: no problems")
	return nil
}
