// Package sim is carenet's local simulator: a transport that prints what the
// bot sends, a simulated clock, the demo roster, and a driver that reads
// script lines ("ward18/NAME: TEXT", "dm/NAME: TEXT", "vote/NAME: N",
// ":advance 49h") and turns them into chat.Inbound messages. Trainers,
// reviewers and tests drive carenet through it, so its input and output
// syntax is a fixed contract (see README).
package sim

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"carenet/internal/chat"
)

// DemoGroup is the demo ward group; DemoWard its ward.
const (
	DemoGroup        = "ward18"
	DemoWard         = 18
	DemoDistrict     = "Demo"
	DemoDistrictCode = "DEM"
)

// Member is one person of the demo roster. Role is empty for someone who is
// in the group but not registered.
type Member struct {
	Name string
	Role string
	Lang string
	Ward int
}

// Demo is the fixed demo roster: everyone is in ward 18 and in ward18.
var Demo = []Member{
	{Name: "tendai", Role: "ccw", Lang: "sn", Ward: DemoWard},
	{Name: "rudo", Role: "ccw", Lang: "sn", Ward: DemoWard},
	{Name: "sipho", Role: "ccw", Lang: "nd", Ward: DemoWard},
	{Name: "grace", Role: "lccw", Lang: "en", Ward: DemoWard},
	{Name: "moyo", Role: "cwo", Lang: "en"},
	{Name: "dube", Role: "provincial", Lang: "en"},
	{Name: "stranger"},
}

// Start is where the simulated clock starts, so transcripts repeat:
// 2026-01-05 08:00 in Africa/Harare.
func Start(harare *time.Location) time.Time {
	return time.Date(2026, 1, 5, 8, 0, 0, 0, harare)
}

// Clock is the simulated clock. It only moves when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Transport prints every message the bot sends as "CHAT <- bot: TEXT".
type Transport struct {
	mu     sync.Mutex
	w      io.Writer
	groups map[chat.ChatID]bool
	polls  map[chat.ChatID]poll // the latest poll per group
}

type poll struct {
	id      string
	options int
}

// NewTransport prints to w. Groups names the group chats; every other chat
// is a member's private chat.
func NewTransport(w io.Writer, groups ...string) *Transport {
	t := &Transport{w: w, groups: map[chat.ChatID]bool{}, polls: map[chat.ChatID]poll{}}
	for _, g := range groups {
		t.groups[chat.ChatID(g)] = true
	}
	return t
}

// AddGroup makes c known as a group chat.
func (t *Transport) AddGroup(c string) {
	t.mu.Lock()
	t.groups[chat.ChatID(c)] = true
	t.mu.Unlock()
}

// IsGroup reports whether c is a group chat.
func (t *Transport) IsGroup(c chat.ChatID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.groups[c]
}

// Platform is chat.Sim.
func (t *Transport) Platform() chat.Platform { return chat.Sim }

// Send prints the message. A poll's id is the outbox key, so it is stable
// across retries.
func (t *Transport) Send(_ context.Context, key string, out chat.Outbound) (chat.Sent, error) {
	if out.ReactTo != "" {
		// The simulator's output has no reactions; a line would read as a
		// group message.
		return chat.Sent{}, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	name := string(out.Chat)
	if !t.groups[out.Chat] {
		name = "dm/" + name
	}
	var b strings.Builder
	sent := chat.Sent{ID: chat.MsgID(key)}
	if out.Poll != nil {
		fmt.Fprintf(&b, "%s <- bot: [poll] %s\n", name, oneLine(out.Poll.Question))
		for i, o := range out.Poll.Options {
			fmt.Fprintf(&b, "  %d) %s\n", i+1, oneLine(o))
		}
		sent.PollID = key
		t.polls[out.Chat] = poll{id: key, options: len(out.Poll.Options)}
	} else {
		lines := strings.Split(strings.TrimRight(out.Text, "\n"), "\n")
		fmt.Fprintf(&b, "%s <- bot: %s\n", name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		for i, c := range out.Choices {
			fmt.Fprintf(&b, "  %d) %s\n", i+1, oneLine(c))
		}
	}
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return chat.Sent{}, fmt.Errorf("sim print: %w", err)
	}
	return sent, nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// Line is one parsed script line.
type Line struct {
	// Chat is the group name for group lines, "" for dm and vote lines.
	Chat    string
	Private bool
	Vote    bool
	Name    string
	Text    string
	// Advance is set for ":advance DURATION" lines.
	Advance time.Duration
	// Empty marks blank and comment lines.
	Empty bool
}

// ErrSyntax is returned for a line the simulator does not understand.
var ErrSyntax = errors.New("sim: expected 'ward18/NAME: TEXT', 'dm/NAME: TEXT', 'vote/NAME: N' or ':advance DURATION'")

// ParseLine reads one script line.
func ParseLine(s string) (Line, error) {
	s = strings.TrimRight(s, "\r")
	trimmed := strings.TrimSpace(s)
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return Line{Empty: true}, nil
	}
	if rest, ok := strings.CutPrefix(trimmed, ":advance"); ok {
		d, err := ParseDuration(strings.TrimSpace(rest))
		if err != nil || d <= 0 {
			return Line{}, fmt.Errorf("sim: bad :advance duration %q (e.g. 49h, 7d, 1d12h)", strings.TrimSpace(rest))
		}
		return Line{Advance: d}, nil
	}
	head, text, ok := strings.Cut(trimmed, ":")
	if !ok {
		return Line{}, ErrSyntax
	}
	where, name, ok := strings.Cut(strings.TrimSpace(head), "/")
	name = strings.ToLower(strings.TrimSpace(name))
	if !ok || where == "" || name == "" || strings.ContainsAny(name, " /") || strings.ContainsAny(where, " \t") {
		return Line{}, ErrSyntax
	}
	text = strings.TrimSpace(text)
	l := Line{Name: name, Text: text}
	switch where {
	case "dm":
		l.Private = true
	case "vote":
		l.Vote = true
		if n, err := strconv.Atoi(text); err != nil || n < 1 {
			return Line{}, fmt.Errorf("sim: vote/%s: expected an option number", name)
		}
	default:
		l.Chat = where
	}
	if text == "" && !l.Vote {
		return Line{}, fmt.Errorf("sim: %s/%s: empty message", where, name)
	}
	return l, nil
}

// ParseDuration is time.ParseDuration plus a leading "Nd" for days.
func ParseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("bad days in %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return days + d, err
}

// Driver is what the simulator drives: the bot, as wired by the app.
type Driver interface {
	// Deliver hands one message to carenet and returns when it has been
	// handled and every reply it caused has been sent.
	Deliver(ctx context.Context, in chat.Inbound) error
	// Advance moves the clock forward, running whatever falls due.
	Advance(ctx context.Context, d time.Duration) error
}

// Runner reads script lines and drives carenet with them.
type Runner struct {
	Driver    Driver
	Transport *Transport
	Clock     *Clock
	// Errs receives problems with input lines (standard error): standard
	// output carries only what the bot sends.
	Errs io.Writer
	// Prompt, when set, is written to Errs before each line (interactive).
	Prompt string
}

// Run handles each line completely before reading the next, until the
// input ends or ctx is cancelled.
func (r *Runner) Run(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for {
		if r.Prompt != "" {
			fmt.Fprint(r.Errs, r.Prompt)
		}
		if !sc.Scan() {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := ParseLine(sc.Text())
		if err != nil {
			fmt.Fprintln(r.Errs, err)
			continue
		}
		if err := r.Do(ctx, l); err != nil {
			if errors.Is(err, errNoPoll) || errors.Is(err, errBadVote) {
				fmt.Fprintln(r.Errs, err)
				continue
			}
			return err
		}
	}
	return sc.Err()
}

var (
	errNoPoll  = errors.New("sim: there is no poll in " + DemoGroup + " to vote on")
	errBadVote = errors.New("sim: no such option")
)

// Do carries out one parsed line.
func (r *Runner) Do(ctx context.Context, l Line) error {
	switch {
	case l.Empty:
		return nil
	case l.Advance > 0:
		return r.Driver.Advance(ctx, l.Advance)
	}
	in := chat.Inbound{
		Platform: chat.Sim,
		Sender:   chat.UserID(l.Name),
		Name:     l.Name,
		ID:       chat.MsgID(newID()),
		Time:     r.Clock.Now(),
		Text:     l.Text,
	}
	switch {
	case l.Private:
		in.Chat, in.Kind = chat.PrivateChat(in.Sender), chat.Private
	case l.Vote:
		g := chat.ChatID(DemoGroup)
		r.Transport.mu.Lock()
		p, ok := r.Transport.polls[g]
		r.Transport.mu.Unlock()
		n, _ := strconv.Atoi(l.Text)
		if !ok {
			return errNoPoll
		}
		if n > p.options {
			return fmt.Errorf("%w: the poll has %d options", errBadVote, p.options)
		}
		in.Chat, in.Kind, in.Text = g, chat.Group, ""
		in.Vote = &chat.Vote{PollID: p.id, Options: []int{n - 1}}
	default:
		r.Transport.AddGroup(l.Chat)
		in.Chat, in.Kind = chat.ChatID(l.Chat), chat.Group
	}
	return r.Driver.Deliver(ctx, in)
}

// newID returns a random message id: unique across restarts on the same
// database, as a platform's ids are.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
