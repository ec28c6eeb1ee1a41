package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Validate checks every key and reports every problem at once: the error
// joins one "key: problem" error per problem (errors.Join), after a header
// line. It reads the filesystem only to check that flows.dir, when set, is
// a directory.
func (c Config) Validate() error {
	var v problems

	// store
	if c.Store.Path == "" {
		v.add("store.path", "must not be empty")
	}
	v.oneOf("store.synchronous", c.Store.Synchronous, true, "FULL", "NORMAL", "EXTRA", "OFF")
	v.positive("store.busy_timeout", c.Store.BusyTimeout)

	// data_key, timezone, quiet hours
	if _, err := c.DataKeyBytes(); err != nil {
		// The message never contains the key itself.
		v.add("data_key", "must be empty or the base64 of 32 bytes (e.g. `openssl rand -base64 32`)")
	}
	if c.Timezone == "" {
		v.add("timezone", "must not be empty (an IANA zone such as Africa/Harare)")
	} else if _, err := c.Location(); err != nil {
		v.add("timezone", "%q is not a known IANA zone", c.Timezone)
	}
	if _, err := parseClock(c.QuietHours.Start); err != nil {
		v.add("quiet_hours.start", "%v", err)
	}
	if _, err := parseClock(c.QuietHours.End); err != nil {
		v.add("quiet_hours.end", "%v", err)
	}

	v.positive("conversation.idle_timeout", c.Conversation.IdleTimeout)

	if c.Flows.Dir != "" {
		if fi, err := os.Stat(c.Flows.Dir); err != nil {
			v.add("flows.dir", "%v", err)
		} else if !fi.IsDir() {
			v.add("flows.dir", "%q is not a directory", c.Flows.Dir)
		}
	}

	// outbox, scheduler
	if c.Outbox.MaxAttempts < 1 {
		v.add("outbox.max_attempts", "must be at least 1, got %d", c.Outbox.MaxAttempts)
	}
	v.positive("outbox.backoff_min", c.Outbox.BackoffMin)
	v.positive("outbox.backoff_max", c.Outbox.BackoffMax)
	if c.Outbox.BackoffMin > c.Outbox.BackoffMax {
		v.add("outbox.backoff_min", "%s is more than outbox.backoff_max %s", c.Outbox.BackoffMin, c.Outbox.BackoffMax)
	}
	v.positive("scheduler.interval", c.Scheduler.Interval)

	// log
	v.oneOf("log.level", c.Log.Level, true, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, true, "text", "json")

	// telegram
	t := c.Telegram
	if strings.TrimSpace(t.Token) != t.Token {
		v.add("telegram.token", "has leading or trailing spaces")
	}
	if t.APIEndpoint != "" {
		if strings.Count(t.APIEndpoint, "%s") != 2 || strings.Count(t.APIEndpoint, "%") != 2 {
			v.add("telegram.api_endpoint", "must contain exactly two %%s (token, method) and no other %%, like http://127.0.0.1:8081/bot%%s/%%s")
		} else if u, err := url.Parse(strings.ReplaceAll(t.APIEndpoint, "%s", "x")); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add("telegram.api_endpoint", "%q is not an http(s) URL", t.APIEndpoint)
		}
	}
	v.positive("telegram.poll_timeout", t.PollTimeout)
	w := t.Webhook
	if w.URL != "" {
		if u, err := url.Parse(w.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("telegram.webhook.url", "%q is not an https URL (Telegram only posts to https)", w.URL)
		}
		if t.Token == "" {
			v.add("telegram.webhook.url", "is set but telegram.token is empty")
		}
		if w.Listen == "" {
			v.add("telegram.webhook.listen", "must be set (host:port) when telegram.webhook.url is set")
		}
		if w.Secret == "" {
			v.add("telegram.webhook.secret", "must be set when telegram.webhook.url is set, or anyone can post fake updates")
		}
	} else if w.Listen != "" {
		v.add("telegram.webhook.listen", "is set but telegram.webhook.url is empty")
	}
	if w.Listen != "" {
		if _, _, err := net.SplitHostPort(w.Listen); err != nil {
			v.add("telegram.webhook.listen", "%q is not host:port", w.Listen)
		}
	}
	if w.Secret != "" && !validWebhookSecret(w.Secret) {
		v.add("telegram.webhook.secret", "must be 1-256 characters of A-Z a-z 0-9 _ -")
	}
	v.positive("telegram.rate.per_chat", t.Rate.PerChat)
	v.positiveInt("telegram.rate.per_group_per_minute", t.Rate.PerGroupPerMinute)
	v.positiveInt("telegram.rate.global_per_second", t.Rate.GlobalPerSecond)

	// whatsapp
	v.positiveInt("whatsapp.rate.per_chat_per_minute", c.WhatsApp.Rate.PerChatPerMinute)
	v.positiveInt("whatsapp.rate.global_per_minute", c.WhatsApp.Rate.GlobalPerMinute)
	if c.WhatsApp.Enabled && c.Store.Path != "" &&
		filepath.Clean(c.WhatsAppStorePath()) == filepath.Clean(c.Store.Path) {
		v.add("whatsapp.store_path", "must differ from store.path")
	}

	// supervision, closure
	if d := c.Supervision.DayOfMonth; d < 0 || d > 28 {
		v.add("supervision.day_of_month", "must be 0 (off) or 1-28, got %d", d)
	}
	v.positive("supervision.round", c.Supervision.Round)
	v.positive("closure.vote_deadline", c.Closure.VoteDeadline)
	if c.Closure.QuorumMin < 1 {
		v.add("closure.quorum_min", "must be at least 1, got %d", c.Closure.QuorumMin)
	}
	if f := c.Closure.QuorumFraction; !(f > 0 && f <= 1) {
		v.add("closure.quorum_fraction", "must be in (0,1], got %v", f)
	}

	return v.err()
}

// problems collects "key: problem" errors.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

func (p *problems) positive(key string, d Duration) {
	if d <= 0 {
		p.add(key, "must be a positive duration, got %s", d)
	}
}

func (p *problems) positiveInt(key string, n int) {
	if n <= 0 {
		p.add(key, "must be positive, got %d", n)
	}
}

func (p *problems) oneOf(key, val string, fold bool, allowed ...string) {
	if slices.ContainsFunc(allowed, func(a string) bool {
		return a == val || (fold && strings.EqualFold(a, val))
	}) {
		return
	}
	p.add(key, "%q is not one of %s", val, strings.Join(allowed, ", "))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("config: %d problem(s):\n%w", len(p), errors.Join(p...))
}

func validWebhookSecret(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}
