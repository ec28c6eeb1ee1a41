// Package config holds carenet's settings: the Config struct with every
// default in code (Default), loading from an optional YAML file and then
// CARENET_* environment variables (Load, LoadEnv), and a Validate that
// reports every problem at once. It imports only the standard library and
// the YAML decoder, so any package may depend on it.
//
// Layering: Default() < YAML file < environment. Every key path maps to an
// environment variable CARENET_ + upper(path with "." replaced by "_"), for
// example store.path -> CARENET_STORE_PATH and data_key -> CARENET_DATA_KEY.
// The mapping is derived from the yaml tags by reflection, so a new key gets
// its variable for free. Secrets (data_key, telegram.token,
// telegram.webhook.secret) belong in the environment, not in the file.
//
// config.example.yaml at the repository root documents every key with its
// default; a test keeps the two in step.
package config

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	// The default timezone is Africa/Harare and minimal hosts (containers,
	// Windows) often lack a zoneinfo database; embedding it (~450 KB) makes
	// Validate and the app's time.LoadLocation work everywhere.
	_ "time/tzdata"
)

// Config is the whole configuration. The yaml tags are the key paths of
// config.example.yaml and, upper-cased, of the CARENET_* variables.
type Config struct {
	Store Store `yaml:"store"`
	// DataKey is the base64 of 32 random bytes: the AES-256-GCM key that
	// encrypts children's names and other identifying fields at rest.
	// Empty means identifying fields cannot be stored. A secret: set it
	// with CARENET_DATA_KEY.
	DataKey string `yaml:"data_key"`
	// Timezone is the IANA zone used for deadlines, quiet hours and
	// supervision days.
	Timezone     string       `yaml:"timezone"`
	QuietHours   QuietHours   `yaml:"quiet_hours"`
	Conversation Conversation `yaml:"conversation"`
	Flows        Flows        `yaml:"flows"`
	Outbox       Outbox       `yaml:"outbox"`
	Scheduler    Scheduler    `yaml:"scheduler"`
	Log          Log          `yaml:"log"`
	Telegram     Telegram     `yaml:"telegram"`
	WhatsApp     WhatsApp     `yaml:"whatsapp"`
	Supervision  Supervision  `yaml:"supervision"`
	Closure      Closure      `yaml:"closure"`
}

// Store is the SQLite database.
type Store struct {
	// Path is the database file.
	Path string `yaml:"path"`
	// Synchronous is SQLite's PRAGMA synchronous: FULL, NORMAL, EXTRA or
	// OFF. In WAL mode FULL syncs at every commit, so a power cut never
	// loses a committed message; NORMAL may lose the last commits on a
	// power cut (never corrupts); OFF may corrupt the database.
	Synchronous string `yaml:"synchronous"`
	// BusyTimeout is how long a writer waits for a lock before failing.
	BusyTimeout Duration `yaml:"busy_timeout"`
}

// QuietHours is the daily window, in Config.Timezone, during which the
// scheduler sends no reminders. Start and End are "HH:MM"; the window may
// cross midnight; equal values mean no quiet hours.
type QuietHours struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

// Conversation tunes running conversations.
type Conversation struct {
	// IdleTimeout: a flow left unanswered is reminded once after this and
	// expires after twice this.
	IdleTimeout Duration `yaml:"idle_timeout"`
}

// Flows locates flow definitions.
type Flows struct {
	// Dir is an optional folder of *.yaml flow files; a file there
	// replaces the embedded flow with the same id. Empty: embedded only.
	Dir string `yaml:"dir"`
}

// Outbox tunes the sender's retries.
type Outbox struct {
	// MaxAttempts is how often a message is tried before it is marked
	// failed.
	MaxAttempts int `yaml:"max_attempts"`
	// BackoffMin and BackoffMax bound the exponential wait between
	// attempts (a platform's RetryAfter wins when longer).
	BackoffMin Duration `yaml:"backoff_min"`
	BackoffMax Duration `yaml:"backoff_max"`
}

// Scheduler tunes the deadline and reminder loop.
type Scheduler struct {
	// Interval is how often due deadlines and reminders are looked for.
	Interval Duration `yaml:"interval"`
}

// Log configures the process log.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // text or json
}

// Telegram configures the Bot API transport; it runs when Token is set.
type Telegram struct {
	// Token is the bot token from @BotFather. A secret: set it with
	// CARENET_TELEGRAM_TOKEN.
	Token string `yaml:"token"`
	// APIEndpoint is the Bot API URL pattern with two %s (token, method),
	// e.g. "http://127.0.0.1:8081/bot%s/%s" for a local Bot API server or
	// a test fake. Empty: Telegram's own.
	APIEndpoint string `yaml:"api_endpoint"`
	// PollTimeout is the long-polling timeout of getUpdates.
	PollTimeout Duration        `yaml:"poll_timeout"`
	Webhook     TelegramWebhook `yaml:"webhook"`
	Rate        TelegramRate    `yaml:"rate"`
}

// TelegramWebhook switches from getUpdates to a webhook when URL is set.
type TelegramWebhook struct {
	URL    string `yaml:"url"`    // public https URL Telegram posts to
	Listen string `yaml:"listen"` // local host:port the HTTP server listens on
	// Secret is the secret_token Telegram echoes in every request
	// (1-256 of A-Z a-z 0-9 _ -). Required with a webhook. A secret:
	// set it with CARENET_TELEGRAM_WEBHOOK_SECRET.
	Secret string `yaml:"secret"`
}

// TelegramRate holds Telegram's sending limits.
type TelegramRate struct {
	PerChat           Duration `yaml:"per_chat"`             // minimum gap between messages to one chat
	PerGroupPerMinute int      `yaml:"per_group_per_minute"` // messages per minute to one group
	GlobalPerSecond   int      `yaml:"global_per_second"`    // messages per second overall
}

// WhatsApp configures the whatsmeow transport.
type WhatsApp struct {
	Enabled bool `yaml:"enabled"`
	// StorePath is whatsmeow's own SQLite file (device keys, sessions).
	// Empty: derived from store.path, see Config.WhatsAppStorePath.
	StorePath string       `yaml:"store_path"`
	Rate      WhatsAppRate `yaml:"rate"`
}

// WhatsAppRate holds WhatsApp's sending limits; keep them low, WhatsApp
// bans numbers that send too much unsolicited traffic.
type WhatsAppRate struct {
	PerChatPerMinute int `yaml:"per_chat_per_minute"`
	GlobalPerMinute  int `yaml:"global_per_minute"`
}

// Supervision configures the monthly supervision round.
type Supervision struct {
	// DayOfMonth starts the round (1-28); 0 turns supervision off.
	DayOfMonth int `yaml:"day_of_month"`
	// Round is how long members have to answer.
	Round Duration `yaml:"round"`
	// WHO5 adds the WHO-5 well-being questions to the round.
	WHO5 bool `yaml:"who5"`
}

// Closure configures the case-closure vote.
type Closure struct {
	VoteDeadline   Duration `yaml:"vote_deadline"`   // how long a closure poll stays open
	QuorumMin      int      `yaml:"quorum_min"`      // minimum number of votes
	QuorumFraction float64  `yaml:"quorum_fraction"` // minimum share of eligible voters, in (0,1]
}

// Default returns the configuration with every default. It is the single
// place defaults live; config.example.yaml mirrors it (checked by a test).
func Default() Config {
	return Config{
		Store: Store{
			Path:        "carenet.db",
			Synchronous: "FULL",
			BusyTimeout: Duration(5 * time.Second),
		},
		DataKey:      "",
		Timezone:     "Africa/Harare",
		QuietHours:   QuietHours{Start: "20:00", End: "06:00"},
		Conversation: Conversation{IdleTimeout: Duration(24 * time.Hour)},
		Flows:        Flows{Dir: ""},
		Outbox: Outbox{
			MaxAttempts: 10,
			BackoffMin:  Duration(2 * time.Second),
			BackoffMax:  Duration(10 * time.Minute),
		},
		Scheduler: Scheduler{Interval: Duration(30 * time.Second)},
		Log:       Log{Level: "info", Format: "text"},
		Telegram: Telegram{
			PollTimeout: Duration(50 * time.Second),
			Rate: TelegramRate{
				PerChat:           Duration(time.Second),
				PerGroupPerMinute: 20,
				GlobalPerSecond:   30,
			},
		},
		WhatsApp: WhatsApp{
			Rate: WhatsAppRate{PerChatPerMinute: 3, GlobalPerMinute: 20},
		},
		Supervision: Supervision{
			DayOfMonth: 0,
			Round:      Duration(72 * time.Hour),
		},
		Closure: Closure{
			VoteDeadline:   Duration(48 * time.Hour),
			QuorumMin:      3,
			QuorumFraction: 0.5,
		},
	}
}

// Channels names the transports to run: "telegram" when telegram.token is
// set, "whatsapp" when whatsapp.enabled. Empty means the app runs the local
// simulator.
func (c Config) Channels() []string {
	var ch []string
	if c.Telegram.Token != "" {
		ch = append(ch, "telegram")
	}
	if c.WhatsApp.Enabled {
		ch = append(ch, "whatsapp")
	}
	return ch
}

// WhatsAppStorePath is whatsapp.store_path, or when empty store.path with
// a trailing ".db" replaced by "-whatsapp.db" ("carenet.db" ->
// "carenet-whatsapp.db"; "data/x.sqlite" -> "data/x.sqlite-whatsapp.db").
func (c Config) WhatsAppStorePath() string {
	if c.WhatsApp.StorePath != "" {
		return c.WhatsApp.StorePath
	}
	return strings.TrimSuffix(c.Store.Path, ".db") + "-whatsapp.db"
}

// DataKeyBytes decodes data_key. It returns nil, nil when the key is empty
// and an error unless it is standard base64 of exactly 32 bytes.
func (c Config) DataKeyBytes() ([]byte, error) {
	if c.DataKey == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(c.DataKey)
	if err != nil {
		return nil, fmt.Errorf("data_key is not standard base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("data_key decodes to %d bytes, want 32 (AES-256)", len(key))
	}
	return key, nil
}

// Location loads the timezone.
func (c Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		return nil, fmt.Errorf("timezone is empty")
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: %w", c.Timezone, err)
	}
	return loc, nil
}

// Contains reports whether t's wall clock falls in the quiet hours: from
// Start (inclusive) to End (exclusive), across midnight when End < Start.
// Convert t to the configured Location first. Invalid or equal bounds
// contain nothing.
func (q QuietHours) Contains(t time.Time) bool {
	start, err1 := parseClock(q.Start)
	end, err2 := parseClock(q.End)
	if err1 != nil || err2 != nil || start == end {
		return false
	}
	now := t.Hour()*60 + t.Minute()
	if start < end {
		return start <= now && now < end
	}
	return now >= start || now < end
}

// parseClock reads "HH:MM" (00:00-23:59) as minutes after midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("%q is not a time of day (00:00-23:59)", s)
	}
	return h*60 + m, nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
