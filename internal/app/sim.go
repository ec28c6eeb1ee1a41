package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"carenet/bot"
	"carenet/bot/sim"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/config"
	"carenet/store"
)

type simOptions struct {
	db     string
	script string
	empty  bool
}

func (s stdio) sim(ctx context.Context, args []string) error {
	fs := s.flagSet("sim")
	var o simOptions
	fs.StringVar(&o.db, "db", "", "SQLite file to keep the simulation in (default: a fresh temporary one)")
	fs.StringVar(&o.script, "script", "", "read input lines from FILE ('-' = standard input) and exit at the end")
	fs.BoolVar(&o.empty, "empty", false, "start without the demo district, group and members")
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("sim: unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	return s.simulate(ctx, cfg, o)
}

// simClockKey keeps the simulated time in the database, so a simulation
// resumed with --db continues where its clock stood.
const (
	simClockKey  = "sim.clock"
	simSeededKey = "sim.seeded"
)

func (s stdio) simulate(ctx context.Context, cfg config.Config, o simOptions) error {
	path := o.db
	if path == "" {
		dir, err := os.MkdirTemp("", "carenet-sim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "carenet.db")
	}
	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	clock := sim.NewClock(sim.Start(loc))
	log := newLogger(s.err, cfg, true)
	c, err := openCore(ctx, cfg, path, clock, log)
	if err != nil {
		return err
	}
	defer c.db.Close()
	if v, ok, err := c.db.GetKV(ctx, simClockKey); err != nil {
		return err
	} else if ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("stored simulator clock %q: %w", v, err)
		}
		clock.Set(t.In(loc))
	}
	if !o.empty {
		if err := seedDemo(ctx, c.db, clock.Now()); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	tr := sim.NewTransport(s.out, sim.DemoGroup)
	c.bot.AddTransport(tr, bot.Limits{})
	d := &simDriver{bot: c.bot, db: c.db, clock: clock}
	// Whatever a crash left behind: unhandled messages, unsent replies.
	if err := c.bot.Resume(ctx); err != nil {
		return err
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	r := &sim.Runner{Driver: d, Transport: tr, Clock: clock, Errs: s.err}
	in := s.in
	switch o.script {
	case "", "-":
		if o.script == "" && isTerminal(s.in) {
			fmt.Fprintln(s.err, "carenet simulator: type 'dm/tendai: /help', 'ward18/grace: /help', ':advance 49h'; Ctrl-D quits.")
			r.Prompt = "> "
		}
	default:
		f, err := os.Open(o.script)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	return r.Run(ctx, in)
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// simDriver runs each simulator line to completion: handled, then every
// reply sent, before the next line is read.
type simDriver struct {
	bot   *bot.Bot
	db    *store.DB
	clock *sim.Clock
}

func (d *simDriver) settle(ctx context.Context) error {
	d.bot.Wait()
	return d.bot.Flush(ctx, chat.Sim)
}

func (d *simDriver) Deliver(ctx context.Context, in chat.Inbound) error {
	if err := d.bot.Receive(ctx, in); err != nil {
		return err
	}
	return d.settle(ctx)
}

// simStep is the scheduler's resolution under :advance: the clock moves in
// steps so things fall due in their order, not all at the end.
const simStep = 15 * time.Minute

func (d *simDriver) Advance(ctx context.Context, by time.Duration) error {
	end := d.clock.Now().Add(by)
	for now := d.clock.Now(); now.Before(end); now = d.clock.Now() {
		d.clock.Set(earliest(now.Add(simStep), end))
		if err := d.bot.Tick(ctx); err != nil {
			return err
		}
		if err := d.settle(ctx); err != nil {
			return err
		}
	}
	return d.db.SetKV(ctx, simClockKey, d.clock.Now().Format(time.RFC3339Nano))
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// seedDemo creates the demo district, its ward group and roster once per
// database.
func seedDemo(ctx context.Context, db *store.DB, now time.Time) error {
	if _, ok, err := db.GetKV(ctx, simSeededKey); err != nil || ok {
		return err
	}
	return db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.CreateDistrict(sim.DemoDistrict, sim.DemoDistrictCode)
		if err != nil {
			return err
		}
		g := chat.ChatID(sim.DemoGroup)
		if err := tx.PutChat(chat.Sim, g, chat.Group, sim.DemoGroup); err != nil {
			return err
		}
		if err := tx.LinkChat(chat.Sim, g, d.ID, sim.DemoWard, now); err != nil {
			return err
		}
		for _, m := range sim.Demo {
			if m.Role == "" {
				continue // stranger: in the group, not registered
			}
			role, err := casework.ParseRole(m.Role)
			if err != nil {
				return err
			}
			id, err := tx.CreateMember(casework.Member{Name: displayName(m.Name), Role: role, DistrictID: d.ID, Ward: m.Ward, Lang: m.Lang}, now)
			if err != nil {
				return err
			}
			if err := tx.AddIdentity(id, chat.Sim, chat.UserID(m.Name)); err != nil {
				return err
			}
		}
		return tx.SetKV(simSeededKey, "1")
	})
}

func displayName(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
