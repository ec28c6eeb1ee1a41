package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration that reads Go duration strings ("90s",
// "1h30m") plus a leading days part ("7d", "1.5d", "1d12h"), in YAML and in
// environment variables. A day is 24 hours.
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String formats whole days as "7d" and everything else as time.Duration
// does ("1m30s").
func (d Duration) String() string {
	const day = 24 * time.Hour
	td := time.Duration(d)
	if td != 0 && td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	return td.String()
}

// ParseDuration reads a Go duration string with an optional leading days
// part: "7d", "1.5d", "1d12h", "-2d", "90m".
func ParseDuration(s string) (Duration, error) {
	orig := s
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var total time.Duration
	// No Go duration unit contains a 'd', so a 'd' can only end a days part.
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, err := strconv.ParseFloat(s[:i], 64)
		if err != nil || i == 0 || math.IsNaN(days) || math.IsInf(days, 0) || days < 0 || s[0] == '-' || s[0] == '+' {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		ns := days * float64(24*time.Hour)
		if ns >= math.MaxInt64 {
			return 0, fmt.Errorf("invalid duration %q: too long", orig)
		}
		total = time.Duration(ns)
		s = s[i+1:]
	} else if s == "" {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	if s != "" {
		if s[0] == '-' || s[0] == '+' {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		rest, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 30s, 10m, 24h, 7d)", orig)
		}
		if total > math.MaxInt64-rest {
			return 0, fmt.Errorf("invalid duration %q: too long", orig)
		}
		total += rest
	}
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (used for environment
// variables).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalYAML reads a scalar duration. Errors carry the line and are
// collected with the decoder's other errors.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: a duration must be a scalar like 30s, 24h or 7d", n.Line)}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML writes d as its String.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
