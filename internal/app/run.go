package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"carenet/bot"
	"carenet/bot/telegram"
	"carenet/bot/whatsapp"
	"carenet/internal/chat"
	"carenet/internal/config"
	"carenet/internal/l10n"
)

// `carenet run` with channels: one process, every configured channel, one
// core. Shutdown order matters for "nothing lost": receiving stops first
// (nothing new is acknowledged to a platform), then the messages already in
// the inbox finish handling (their replies land in the outbox), and only
// then do the senders and the scheduler stop. Unsent outbox rows and
// unhandled inbox rows resume at the next start.

// channel is one running platform adapter.
type channel struct {
	platform chat.Platform
	run      func(ctx context.Context) error
	close    func() error
}

// serve runs the configured channels until ctx ends, SIGINT/SIGTERM
// arrives, or a channel stops with an error (returned, wrapped with the
// platform's name).
func (s stdio) serve(ctx context.Context, cfg config.Config, cfgPath string) (err error) {
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	log := newLogger(s.err, cfg, false)

	c, err := openCore(ctx, cfg, cfg.Store.Path, bot.SystemClock{}, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := c.db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store: close: %w", cerr)
		}
	}()

	// Build every adapter before anything is handled, so a channel that
	// cannot start (WhatsApp not paired, Telegram token refused) stops
	// carenet before it touches the inbox.
	var chans []channel
	defer func() {
		for _, ch := range chans {
			if ch.close == nil {
				continue
			}
			if cerr := ch.close(); cerr != nil {
				log.Error("closing channel", "platform", ch.platform, "err", cerr)
			}
		}
	}()
	for _, name := range cfg.Channels() {
		var ch channel
		switch name {
		case "telegram":
			ch, err = startTelegram(ctx, c, log)
		case "whatsapp":
			ch, err = startWhatsApp(ctx, c, cfgPath, log)
		default:
			err = fmt.Errorf("channel %q has no adapter", name)
		}
		if err != nil {
			return err
		}
		chans = append(chans, ch)
	}

	// Whatever a crash or the last stop left in the inbox.
	if err := c.bot.Resume(ctx); err != nil {
		return err
	}

	// Senders and the scheduler outlive receiving: they stop only after
	// the in-flight messages are handled.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	for _, ch := range chans {
		workers.Go(func() {
			if err := c.bot.RunSender(workCtx, ch.platform); err != nil {
				log.Error("sender stopped", "platform", ch.platform, "err", err)
			}
		})
	}
	workers.Go(func() { schedule(workCtx, c.bot, cfg.Scheduler.Interval.Duration(), log) })

	recvCtx, stopRecv := context.WithCancel(ctx)
	defer stopRecv()
	type result struct {
		platform chat.Platform
		err      error
	}
	results := make(chan result, len(chans))
	for _, ch := range chans {
		go func() {
			err := ch.run(recvCtx)
			if err == nil && recvCtx.Err() == nil {
				err = errors.New("stopped unexpectedly")
			}
			results <- result{ch.platform, err}
		}()
	}
	log.Info("carenet running", "channels", cfg.Channels())

	var first error
	running := len(chans)
	select {
	case <-ctx.Done():
		log.Info("stopping: finishing messages in hand")
	case r := <-results:
		running--
		first = fmt.Errorf("%s: %w", r.platform, r.err)
		log.Error("channel stopped; stopping carenet", "platform", r.platform, "err", r.err)
	}
	// A second Ctrl-C now kills the process the default way.
	stopSignals()
	stopRecv()
	for ; running > 0; running-- {
		if r := <-results; r.err != nil && first == nil && recvCtx.Err() == nil {
			first = fmt.Errorf("%s: %w", r.platform, r.err)
		}
	}
	c.bot.Wait()
	stopWork()
	workers.Wait()
	log.Info("carenet stopped")
	return first
}

// schedule runs the bot's due work now and every interval until ctx ends.
func schedule(ctx context.Context, b *bot.Bot, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := b.Tick(ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func startTelegram(ctx context.Context, c *core, log *slog.Logger) (channel, error) {
	tc := c.cfg.Telegram
	a, err := telegram.New(ctx, telegram.Options{
		Token:       tc.Token,
		APIEndpoint: tc.APIEndpoint,
		PollTimeout: tc.PollTimeout.Duration(),
		Webhook:     telegram.Webhook{URL: tc.Webhook.URL, Listen: tc.Webhook.Listen, Secret: tc.Webhook.Secret},
		Commands:    telegramCommands(c.bundle),
		Log:         log.With("channel", "telegram"),
	})
	if err != nil {
		return channel{}, err
	}
	if err := a.SetCommands(ctx); err != nil {
		log.Error("telegram command menu not set", "err", err)
	}
	c.bot.AddTransport(a, telegramLimits(tc.Rate))
	return channel{
		platform: chat.Telegram,
		run:      func(ctx context.Context) error { return a.Run(ctx, c.bot, c.db) },
	}, nil
}

func telegramLimits(r config.TelegramRate) bot.Limits {
	l := bot.Limits{
		PerGroup:  rate.Limit(float64(r.PerGroupPerMinute) / 60),
		Global:    rate.Limit(r.GlobalPerSecond),
		GroupKind: func(id chat.ChatID) bool { return strings.HasPrefix(string(id), "-") },
	}
	if gap := r.PerChat.Duration(); gap > 0 {
		l.PerChat = rate.Limit(1 / gap.Seconds())
	}
	return l
}

func startWhatsApp(ctx context.Context, c *core, cfgPath string, log *slog.Logger) (channel, error) {
	path := c.cfg.WhatsAppStorePath()
	a, err := whatsapp.New(ctx, whatsapp.Options{StorePath: path, Log: log})
	if errors.Is(err, whatsapp.ErrNotPaired) {
		login := "carenet login whatsapp"
		if cfgPath != "" {
			login += " --config " + cfgPath
		}
		return channel{}, fmt.Errorf("whatsapp is enabled but no device is paired in %s: run `%s` (add --phone 2637XXXXXXXX for a pairing code instead of a QR code), then start carenet again", path, login)
	}
	if err != nil {
		return channel{}, err
	}
	c.bot.AddTransport(a, whatsAppLimits(c.cfg.WhatsApp.Rate))
	return channel{
		platform: chat.WhatsApp,
		run:      func(ctx context.Context) error { return a.Run(ctx, c.bot) },
		close:    a.Close,
	}, nil
}

func whatsAppLimits(r config.WhatsAppRate) bot.Limits {
	return bot.Limits{
		PerChat:   rate.Limit(float64(r.PerChatPerMinute) / 60),
		Global:    rate.Limit(float64(r.GlobalPerMinute) / 60),
		GroupKind: func(id chat.ChatID) bool { return strings.HasSuffix(string(id), "@g.us") },
	}
}

// telegramCommands builds the command menu of every language from its
// help_private message ("/cmd ARG – description" lines), so the menu says
// what /help says without separate strings. A command missing from a
// language's help gets the English line; "" (the default menu) is English.
func telegramCommands(b *l10n.Bundle) map[string][]telegram.Command {
	en, order := helpCommands(b.Localizer("en").T("help_private", nil))
	menus := map[string][]telegram.Command{"": menu(order, en, nil)}
	for _, lang := range b.Languages() {
		descs, extra := helpCommands(b.Localizer(lang).T("help_private", nil))
		cmds := order
		for _, c := range extra {
			if _, ok := en[c]; !ok {
				cmds = append(cmds[:len(cmds):len(cmds)], c)
			}
		}
		menus[lang] = menu(cmds, descs, en)
	}
	return menus
}

func menu(cmds []string, descs, fallback map[string]string) []telegram.Command {
	out := make([]telegram.Command, 0, len(cmds))
	for _, c := range cmds {
		d, ok := descs[c]
		if !ok || d == "" {
			d = fallback[c]
		}
		if d == "" {
			continue // Telegram refuses empty descriptions
		}
		out = append(out, telegram.Command{Command: c, Description: d})
	}
	return out
}

// telegramCommandRE is what Telegram accepts as a command name.
var telegramCommandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// helpCommands reads "/cmd [ARG] – description" lines, returning the
// descriptions by command and the commands in order.
func helpCommands(help string) (map[string]string, []string) {
	descs := map[string]string{}
	var order []string
	for line := range strings.SplitSeq(help, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "/") {
			continue
		}
		head, desc, ok := strings.Cut(line, "–") // en dash
		if !ok {
			head, desc, ok = strings.Cut(line, " - ")
		}
		if !ok {
			continue
		}
		fields := strings.Fields(head)
		if len(fields) == 0 {
			continue
		}
		cmd := strings.ToLower(strings.TrimPrefix(fields[0], "/"))
		if !telegramCommandRE.MatchString(cmd) {
			continue
		}
		if _, dup := descs[cmd]; !dup {
			order = append(order, cmd)
		}
		descs[cmd] = strings.TrimSpace(desc)
	}
	return descs, order
}
