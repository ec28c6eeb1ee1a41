// Package telegram is carenet's Telegram channel: it converts Bot API
// updates into chat.Inbound for the core and chat.Outbound into Bot API
// calls, and nothing more. Flows, rate limits and retries live in the core;
// this package only guarantees that an update is confirmed to Telegram
// after the core has it durably (at-least-once delivery).
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"carenet/internal/chat"
)

// Receiver is the core's acknowledgement point (*bot.Bot satisfies it): a
// nil error means the message is durably in the inbox.
type Receiver interface {
	Receive(ctx context.Context, in chat.Inbound) error
}

// KV persists the getUpdates offset (*store.DB satisfies it).
type KV interface {
	GetKV(ctx context.Context, key string) (string, bool, error)
	SetKV(ctx context.Context, key, value string) error
}

// Command is one entry of the bot's command menu.
type Command struct{ Command, Description string }

// Webhook configures webhook mode; an empty URL means long polling.
type Webhook struct {
	// URL is the public HTTPS address Telegram posts updates to.
	URL string
	// Listen is the local address of the HTTP server, e.g. ":8443".
	Listen string
	// Secret is sent by Telegram in X-Telegram-Bot-Api-Secret-Token;
	// required, 1-256 characters of A-Z a-z 0-9 _ -.
	Secret string
}

// Options configure New.
type Options struct {
	Token string
	// APIEndpoint is in the library's format http://HOST:PORT/bot%s/%s;
	// empty means Telegram's own.
	APIEndpoint string
	// PollTimeout is the getUpdates long-poll timeout (default 50s).
	PollTimeout time.Duration
	// HTTPClient is optional; its Timeout, when zero, is set to
	// PollTimeout+15s so a dead connection cannot hang the poll forever.
	HTTPClient *http.Client
	Webhook    Webhook
	// Commands by language code ("en", "sn", "nd"); "" is the default
	// menu for users whose language has none.
	Commands map[string][]Command
	Log      *slog.Logger
}

// offsetKey is where the next getUpdates offset is stored.
const offsetKey = "telegram.offset"

// allowedUpdates is sent on every getUpdates and setWebhook: Telegram keeps
// the previous list when none is given, so leaving it out would silently
// inherit whatever an earlier deployment asked for.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "poll_answer", "my_chat_member"}

// Adapter is the Telegram transport and receiver.
type Adapter struct {
	api  *tgbotapi.BotAPI
	http *http.Client
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	migrated map[int64]int64 // old group id → supergroup id, learnt from send errors

	// Tests shorten these.
	backoffMin, backoffMax time.Duration
	onListen               func(addr string)
}

var secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// New connects to the Bot API (getMe) and reports privacy mode.
func New(ctx context.Context, o Options) (*Adapter, error) {
	if o.Token == "" {
		return nil, errors.New("telegram: no token")
	}
	if o.APIEndpoint == "" {
		o.APIEndpoint = tgbotapi.APIEndpoint
	}
	if strings.Count(o.APIEndpoint, "%s") != 2 {
		return nil, fmt.Errorf("telegram: api endpoint %q must contain two %%s (token, method)", o.APIEndpoint)
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 50 * time.Second
	}
	if o.Webhook.URL != "" {
		if !secretRE.MatchString(o.Webhook.Secret) {
			return nil, errors.New("telegram: webhook needs a secret of 1-256 characters A-Z a-z 0-9 _ -")
		}
		if o.Webhook.Listen == "" {
			return nil, errors.New("telegram: webhook needs a listen address")
		}
	}
	hc := &http.Client{}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		hc = &c
	}
	if hc.Timeout == 0 {
		hc.Timeout = o.PollTimeout + 15*time.Second
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		http: hc, opts: o, log: log,
		migrated:   map[int64]int64{},
		backoffMin: time.Second, backoffMax: 30 * time.Second,
	}
	api, err := tgbotapi.NewBotAPIWithClient(o.Token, o.APIEndpoint, a.doer(ctx))
	if err != nil {
		return nil, fmt.Errorf("telegram getMe: %w", err)
	}
	api.Client = hc
	a.api = api
	if a.PrivacyMode() {
		log.Warn("telegram privacy mode is on: in groups the bot sees only commands, replies to it and @mentions; "+
			"turn it off in BotFather (/setprivacy → Disable) and remove and re-add the bot to each group",
			"bot", api.Self.UserName)
	}
	return a, nil
}

// ctxDoer binds one call's context to the library's context-free requests
// and keeps the token (part of every URL) out of error messages and logs.
type ctxDoer struct {
	ctx   context.Context
	c     *http.Client
	token string
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(r.WithContext(d.ctx))
	var ue *url.Error
	if err != nil && errors.As(err, &ue) && d.token != "" {
		err = &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, d.token, "<token>"), Err: ue.Err}
	}
	return resp, err
}

func (a *Adapter) doer(ctx context.Context) ctxDoer {
	return ctxDoer{ctx: ctx, c: a.http, token: a.opts.Token}
}

// with returns a shallow copy of the client whose requests end with ctx;
// copies keep concurrent Send and Run from sharing one context.
func (a *Adapter) with(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.api
	b.Client = a.doer(ctx)
	return &b
}

// Platform implements chat.Transport.
func (a *Adapter) Platform() chat.Platform { return chat.Telegram }

// PrivacyMode reports whether the bot sees only commands, replies and
// mentions in groups (BotFather's privacy mode), as getMe said at start.
func (a *Adapter) PrivacyMode() bool { return !a.api.Self.CanReadAllGroupMessages }

// Username is the bot's @name without the @, for t.me deep links.
func (a *Adapter) Username() string { return a.api.Self.UserName }

// SetCommands registers the command menu once per language with
// setMyCommands; the "" entry is the default for all other languages.
func (a *Adapter) SetCommands(ctx context.Context) error {
	langs := make([]string, 0, len(a.opts.Commands))
	for l := range a.opts.Commands {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	api := a.with(ctx)
	for _, l := range langs {
		var cmds []tgbotapi.BotCommand
		for _, c := range a.opts.Commands[l] {
			name := strings.ToLower(strings.TrimPrefix(c.Command, "/"))
			cmds = append(cmds, tgbotapi.BotCommand{Command: name, Description: truncate(c.Description, 256)})
		}
		if len(cmds) == 0 {
			continue
		}
		cfg := tgbotapi.SetMyCommandsConfig{Commands: cmds, LanguageCode: l}
		if _, err := api.Request(cfg); err != nil {
			return fmt.Errorf("telegram setMyCommands %q: %w", l, err)
		}
	}
	return nil
}

// Run receives updates until ctx is done, by webhook when one is
// configured, else by long polling; it returns nil on cancellation. kv may
// be nil in webhook mode.
func (a *Adapter) Run(ctx context.Context, r Receiver, kv KV) error {
	if a.opts.Webhook.URL != "" {
		return a.runWebhook(ctx, r)
	}
	if kv == nil {
		return errors.New("telegram: polling needs a KV for the offset")
	}
	return a.runPolling(ctx, r, kv)
}

func (a *Adapter) runPolling(ctx context.Context, r Receiver, kv KV) error {
	// A webhook left by an earlier deployment makes every getUpdates
	// fail with 409; pending updates are kept.
	if _, err := a.with(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil && ctx.Err() == nil {
		a.log.Warn("telegram deleteWebhook failed", "err", err)
	}
	offset := 0
	if v, ok, err := kv.GetKV(ctx, offsetKey); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram offset: %w", err)
	} else if ok {
		if _, err := fmt.Sscan(v, &offset); err != nil {
			return fmt.Errorf("telegram offset %q: %w", v, err)
		}
	}
	a.log.Info("telegram polling", "bot", a.api.Self.UserName, "offset", offset)

	failures := 0
	for ctx.Err() == nil {
		ups, err := a.with(ctx).GetUpdates(tgbotapi.UpdateConfig{
			Offset:         offset,
			Timeout:        int(a.opts.PollTimeout / time.Second),
			AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			wait := a.backoff(failures)
			var te *tgbotapi.Error
			switch {
			case errors.As(err, &te) && te.Code == 429:
				wait = max(time.Duration(te.RetryAfter)*time.Second, a.backoffMin)
				a.log.Warn("telegram getUpdates flood control", "retry_after", wait)
			case errors.As(err, &te) && te.Code == 409:
				a.log.Error("telegram getUpdates conflict: another poller or a webhook uses this token", "err", err)
			default:
				a.log.Warn("telegram getUpdates failed", "err", err, "retry_in", wait)
			}
			sleep(ctx, wait)
			continue
		}
		ok := true
		for _, u := range ups {
			if u.UpdateID < offset {
				continue // already stored; Telegram should not send it
			}
			if err := a.deliver(ctx, r, u); err != nil {
				if ctx.Err() == nil {
					a.log.Warn("telegram update not taken, will fetch it again", "update_id", u.UpdateID, "err", err)
				}
				ok = false
				break
			}
			next := u.UpdateID + 1
			if err := kv.SetKV(ctx, offsetKey, fmt.Sprint(next)); err != nil {
				// The update is in the inbox, so reading it again later
				// only costs a dropped duplicate.
				if ctx.Err() == nil {
					a.log.Warn("telegram offset not stored", "update_id", u.UpdateID, "err", err)
				}
				ok = false
				break
			}
			offset = next
			a.afterReceive(ctx, u)
		}
		if ok {
			failures = 0
			continue
		}
		failures++
		sleep(ctx, a.backoff(failures))
	}
	return nil
}

// deliver hands one update to the core; nothing to deliver is success.
func (a *Adapter) deliver(ctx context.Context, r Receiver, u tgbotapi.Update) error {
	in, ok := Convert(u, a.api.Self.UserName)
	if !ok {
		return nil
	}
	if err := r.Receive(ctx, in); err != nil {
		return fmt.Errorf("receive: %w", err)
	}
	return nil
}

// afterReceive stops the spinner on a pressed button and removes the
// keyboard so the same question cannot be answered twice by tapping. Only
// called once the press is in the inbox; failures cost only cosmetics.
func (a *Adapter) afterReceive(ctx context.Context, u tgbotapi.Update) {
	q := u.CallbackQuery
	if q == nil {
		return
	}
	api := a.with(ctx)
	if _, err := api.Request(tgbotapi.NewCallback(q.ID, "")); err != nil {
		a.log.Warn("telegram answerCallbackQuery failed", "err", err)
	}
	if _, ok := Convert(u, a.api.Self.UserName); !ok {
		return // not our button format: leave that keyboard alone
	}
	empty := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	edit := tgbotapi.NewEditMessageReplyMarkup(q.Message.Chat.ID, q.Message.MessageID, empty)
	if _, err := api.Request(edit); err != nil {
		a.log.Warn("telegram keyboard not removed", "chat", q.Message.Chat.ID, "message", q.Message.MessageID, "err", err)
	}
}

func (a *Adapter) backoff(n int) time.Duration {
	d := a.backoffMin
	for i := 1; i < n && d < a.backoffMax; i++ {
		d *= 2
	}
	return min(d, a.backoffMax)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
