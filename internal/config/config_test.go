package config

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const examplePath = "../../config.example.yaml"

// clearEnv neutralises any CARENET_* variable of the test's environment (an
// empty value does not override), so Load sees the file alone.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, EnvPrefix) {
			t.Setenv(name, "")
		}
	}
}

func TestExampleIsDefault(t *testing.T) {
	clearEnv(t)
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if want := Default(); !reflect.DeepEqual(c, want) {
		t.Errorf("example differs from Default():\n got %+v\nwant %+v", c, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate: %v", err)
	}
	if ch := Default().Channels(); len(ch) != 0 {
		t.Errorf("default channels = %v, want none (simulator)", ch)
	}
}

// TestExampleHasEveryKey walks Config's yaml tags and looks each full path
// up in the example parsed as a map; each leaf must also carry a comment.
func TestExampleHasEveryKey(t *testing.T) {
	b, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	keys := Keys()
	if len(keys) < 30 {
		t.Fatalf("Keys() found only %d keys: %v", len(keys), keys)
	}
	for _, key := range keys {
		parts := strings.Split(key, ".")
		var cur any = m
		for _, p := range parts {
			mm, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			if cur, ok = mm[p]; !ok {
				cur = missing{}
				break
			}
		}
		if _, gone := cur.(missing); gone {
			t.Errorf("config.example.yaml lacks %s", key)
			continue
		}
		if _, isMap := cur.(map[string]any); isMap {
			t.Errorf("config.example.yaml: %s is a mapping, want a value", key)
		}
		if k := keyNode(doc.Content[0], parts); k == nil {
			t.Errorf("node for %s not found", key)
		} else if k.HeadComment == "" && k.LineComment == "" {
			t.Errorf("config.example.yaml: %s (line %d) has no comment", key, k.Line)
		}
	}
}

type missing struct{}

func keyNode(n *yaml.Node, path []string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != path[0] {
			continue
		}
		if len(path) == 1 {
			return n.Content[i]
		}
		return keyNode(n.Content[i+1], path[1:])
	}
	return nil
}

func TestEnvNamesUnique(t *testing.T) {
	seen := map[string]string{}
	for _, k := range Keys() {
		n := EnvName(k)
		if prev, dup := seen[n]; dup {
			t.Errorf("%s and %s both map to %s", prev, k, n)
		}
		seen[n] = k
	}
	for k, want := range map[string]string{
		"store.path":        "CARENET_STORE_PATH",
		"telegram.token":    "CARENET_TELEGRAM_TOKEN",
		"whatsapp.enabled":  "CARENET_WHATSAPP_ENABLED",
		"quiet_hours.start": "CARENET_QUIET_HOURS_START",
		"data_key":          "CARENET_DATA_KEY",
	} {
		if got := EnvName(k); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", k, got, want)
		}
		if seen[want] != k {
			t.Errorf("%s is not a key of Config", k)
		}
	}
}

func TestLoadEnv(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name, env, val string
		check          func(c Config) bool
	}{
		{"string", "CARENET_STORE_PATH", "/var/lib/carenet/x.db", func(c Config) bool { return c.Store.Path == "/var/lib/carenet/x.db" }},
		{"secret", "CARENET_DATA_KEY", key, func(c Config) bool { return c.DataKey == key }},
		{"token trimmed", "CARENET_TELEGRAM_TOKEN", " 123:abc\n", func(c Config) bool { return c.Telegram.Token == "123:abc" }},
		{"nested", "CARENET_TELEGRAM_WEBHOOK_SECRET", "s3cr3t", func(c Config) bool { return c.Telegram.Webhook.Secret == "s3cr3t" }},
		{"bool", "CARENET_WHATSAPP_ENABLED", "true", func(c Config) bool { return c.WhatsApp.Enabled }},
		{"bool 1", "CARENET_SUPERVISION_WHO5", "1", func(c Config) bool { return c.Supervision.WHO5 }},
		{"int", "CARENET_OUTBOX_MAX_ATTEMPTS", "4", func(c Config) bool { return c.Outbox.MaxAttempts == 4 }},
		{"duration", "CARENET_SCHEDULER_INTERVAL", "90s", func(c Config) bool { return c.Scheduler.Interval.Duration() == 90*time.Second }},
		{"duration days", "CARENET_CONVERSATION_IDLE_TIMEOUT", "7d", func(c Config) bool { return c.Conversation.IdleTimeout.Duration() == 7*24*time.Hour }},
		{"duration days+hours", "CARENET_CLOSURE_VOTE_DEADLINE", "1d12h", func(c Config) bool { return c.Closure.VoteDeadline.Duration() == 36*time.Hour }},
		{"float", "CARENET_CLOSURE_QUORUM_FRACTION", "0.75", func(c Config) bool { return c.Closure.QuorumFraction == 0.75 }},
		{"clock", "CARENET_QUIET_HOURS_START", "21:30", func(c Config) bool { return c.QuietHours.Start == "21:30" }},
		{"empty leaves default", "CARENET_STORE_PATH", "", func(c Config) bool { return c.Store.Path == "carenet.db" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			err := LoadEnv(&c, func(k string) string {
				if k == tt.env {
					return tt.val
				}
				return ""
			})
			if err != nil {
				t.Fatalf("LoadEnv: %v", err)
			}
			if !tt.check(c) {
				t.Errorf("%s=%q not applied: %+v", tt.env, tt.val, c)
			}
		})
	}
}

func TestLoadEnvBadValues(t *testing.T) {
	env := map[string]string{
		"CARENET_WHATSAPP_ENABLED":        "maybe",
		"CARENET_OUTBOX_MAX_ATTEMPTS":     "ten",
		"CARENET_SCHEDULER_INTERVAL":      "7x",
		"CARENET_CLOSURE_QUORUM_FRACTION": "half",
		"CARENET_SUPERVISION_ROUND":       "d",
	}
	c := Default()
	err := LoadEnv(&c, func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("LoadEnv accepted bad values")
	}
	for name := range env {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	// Load wraps it.
	_, err = load("", func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "CARENET_OUTBOX_MAX_ATTEMPTS") {
		t.Errorf("load: %v", err)
	}
}

func TestLoadSliceEnv(t *testing.T) {
	// No []string key exists yet; check the generic setter on one.
	var s struct {
		L []string `yaml:"list"`
	}
	ls, err := leaves(reflect.ValueOf(&s).Elem())
	if err != nil || len(ls) != 1 {
		t.Fatalf("leaves: %v %v", ls, err)
	}
	if err := setString(ls[0].value, " a, b ,,c"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.L, []string{"a", "b", "c"}) {
		t.Errorf("got %q", s.L)
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFile(t *testing.T) {
	p := writeFile(t, `
store:
  path: /tmp/x.db
conversation:
  idle_timeout: 7d
supervision:
  day_of_month: 5
  round: 1.5d
telegram:
  rate:
    per_chat: 1500ms
`)
	c, err := load(p, func(k string) string {
		if k == "CARENET_SUPERVISION_DAY_OF_MONTH" {
			return "7" // env wins over the file
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Store.Path = "/tmp/x.db"
	want.Conversation.IdleTimeout = Duration(7 * 24 * time.Hour)
	want.Supervision.DayOfMonth = 7
	want.Supervision.Round = Duration(36 * time.Hour)
	want.Telegram.Rate.PerChat = Duration(1500 * time.Millisecond)
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if c.WhatsAppStorePath() != "/tmp/x-whatsapp.db" {
		t.Errorf("WhatsAppStorePath = %q", c.WhatsAppStorePath())
	}
}

func TestLoadEmptyPathAndEmptyFile(t *testing.T) {
	for _, p := range []string{"", writeFile(t, "# nothing\n")} {
		c, err := load(p, func(string) string { return "" })
		if err != nil {
			t.Fatalf("load(%q): %v", p, err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("load(%q) != Default()", p)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"unknown top-level key", "stor:\n  path: x.db\n", "stor"},
		{"unknown nested key", "store:\n  pathh: x.db\n", "pathh"},
		{"bad duration", "store:\n  busy_timeout: soon\n", `line 2: invalid duration "soon"`},
		{"duration not scalar", "outbox:\n  backoff_min: [1s]\n", "line 2"},
		{"wrong type", "outbox:\n  max_attempts: many\n", "line 2: cannot unmarshal"},
		{"two documents", "log:\n  level: info\n---\nlog:\n  level: warn\n", "one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(writeFile(t, tt.body), func(string) string { return "" })
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	c := Default()
	c.Store.Synchronous = "FAST"
	c.Store.BusyTimeout = 0
	c.DataKey = base64.StdEncoding.EncodeToString(make([]byte, 16))
	c.Timezone = "Mars/Olympus"
	c.QuietHours.Start = "25:00"
	c.QuietHours.End = "6am"
	c.Flows.Dir = filepath.Join(t.TempDir(), "absent")
	c.Outbox.MaxAttempts = 0
	c.Outbox.BackoffMin = Duration(time.Hour)
	c.Log.Level = "loud"
	c.Log.Format = "xml"
	c.Telegram.APIEndpoint = "http://127.0.0.1:8081/bot%s"
	c.Telegram.Webhook.URL = "http://example.org/hook"
	c.Telegram.Webhook.Secret = "has space"
	c.Telegram.Rate.GlobalPerSecond = 0
	c.WhatsApp.Enabled = true
	c.WhatsApp.StorePath = "./carenet.db"
	c.WhatsApp.Rate.PerChatPerMinute = -1
	c.Supervision.DayOfMonth = 31
	c.Closure.QuorumMin = 0
	c.Closure.QuorumFraction = 1.5
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken config")
	}
	msg := err.Error()
	for _, key := range []string{
		"store.synchronous", "store.busy_timeout", "data_key", "timezone",
		"quiet_hours.start", "quiet_hours.end", "flows.dir",
		"outbox.max_attempts", "outbox.backoff_min",
		"log.level", "log.format",
		"telegram.api_endpoint", "telegram.webhook.url", "telegram.webhook.listen",
		"telegram.webhook.secret", "telegram.rate.global_per_second",
		"whatsapp.store_path", "whatsapp.rate.per_chat_per_minute",
		"supervision.day_of_month", "closure.quorum_min", "closure.quorum_fraction",
	} {
		if !strings.Contains(msg, key+": ") {
			t.Errorf("error does not mention %s", key)
		}
	}
	if t.Failed() {
		t.Logf("error:\n%v", msg)
	}
}

func TestValidateAccepts(t *testing.T) {
	c := Default()
	c.DataKey = base64.StdEncoding.EncodeToString(make([]byte, 32))
	c.Store.Synchronous = "normal"
	c.Log.Level = "DEBUG"
	c.Flows.Dir = t.TempDir()
	c.Telegram.Token = "123:abc"
	c.Telegram.APIEndpoint = "http://127.0.0.1:8081/bot%s/%s"
	c.Telegram.Webhook = TelegramWebhook{URL: "https://bot.example.org/tg", Listen: "127.0.0.1:8443", Secret: "abc_DEF-123"}
	c.WhatsApp.Enabled = true
	c.Supervision.DayOfMonth = 28
	c.Closure.QuorumFraction = 1
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Channels(); !slices.Equal(got, []string{"telegram", "whatsapp"}) {
		t.Errorf("Channels = %v", got)
	}
	if k, err := c.DataKeyBytes(); err != nil || len(k) != 32 {
		t.Errorf("DataKeyBytes = %d bytes, %v", len(k), err)
	}
}

func TestWhatsAppStorePath(t *testing.T) {
	for _, tt := range []struct{ store, wa, want string }{
		{"carenet.db", "", "carenet-whatsapp.db"},
		{"/data/c.db", "", "/data/c-whatsapp.db"},
		{"x.sqlite", "", "x.sqlite-whatsapp.db"},
		{"carenet.db", "/wa/session.db", "/wa/session.db"},
	} {
		c := Default()
		c.Store.Path, c.WhatsApp.StorePath = tt.store, tt.wa
		if got := c.WhatsAppStorePath(); got != tt.want {
			t.Errorf("(%q, %q) = %q, want %q", tt.store, tt.wa, got, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"7d", 7 * 24 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"1d12h30m", 36*time.Hour + 30*time.Minute},
		{"-2d", -48 * time.Hour},
		{"0", 0},
		{"0d", 0},
		{"90m", 90 * time.Minute},
		{"500ms", 500 * time.Millisecond},
	} {
		got, err := ParseDuration(tt.in)
		if err != nil || got.Duration() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got.Duration(), err, tt.want)
		}
	}
	for _, bad := range []string{"", "d", "7", "7x", "1d-2h", "d7", "--1d", "NaNd", "Infd", "1e300d", "7dd", "1h2d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
	for d, want := range map[Duration]string{
		Duration(72 * time.Hour): "3d",
		Duration(36 * time.Hour): "36h0m0s",
		Duration(time.Second):    "1s",
		0:                        "0s",
	} {
		if d.String() != want {
			t.Errorf("String(%v) = %q, want %q", time.Duration(d), d.String(), want)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("round trip %q: %v, %v", d.String(), back, err)
		}
	}
}

func TestQuietHoursContains(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2025, 1, 1, h, m, 0, 0, time.UTC) }
	night := QuietHours{Start: "20:00", End: "06:00"}
	day := QuietHours{Start: "12:00", End: "14:00"}
	for _, tt := range []struct {
		q    QuietHours
		t    time.Time
		want bool
	}{
		{night, at(19, 59), false},
		{night, at(20, 0), true},
		{night, at(23, 59), true},
		{night, at(0, 0), true},
		{night, at(5, 59), true},
		{night, at(6, 0), false},
		{day, at(11, 59), false},
		{day, at(12, 0), true},
		{day, at(14, 0), false},
		{QuietHours{"08:00", "08:00"}, at(8, 0), false},
		{QuietHours{"bad", "08:00"}, at(7, 0), false},
	} {
		if got := tt.q.Contains(tt.t); got != tt.want {
			t.Errorf("%v.Contains(%s) = %v", tt.q, tt.t.Format("15:04"), got)
		}
	}
	for _, bad := range []string{"24:00", "6:00", "06:60", "+6:00", "06-00", ""} {
		if _, err := parseClock(bad); err == nil {
			t.Errorf("parseClock(%q) accepted", bad)
		}
	}
}
