package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"carenet/internal/chat"
)

func TestParseLine(t *testing.T) {
	const syntax = "<syntax>" // want errors.Is(err, ErrSyntax)
	tests := []struct {
		name    string
		in      string
		want    Line
		wantErr string // "" for success, syntax, or a substring of the error
	}{
		{"group", "ward18/tendai: hello", Line{Chat: "ward18", Name: "tendai", Text: "hello"}, ""},
		{"group, name case and spaces", "  ward18/ Tendai :   Hello there  ", Line{Chat: "ward18", Name: "tendai", Text: "Hello there"}, ""},
		{"other group name", "ward7/rudo: hi", Line{Chat: "ward7", Name: "rudo", Text: "hi"}, ""},
		{"text with colons", "ward18/tendai: visit at 10:30: done", Line{Chat: "ward18", Name: "tendai", Text: "visit at 10:30: done"}, ""},
		{"dm", "dm/tendai: /lang", Line{Private: true, Name: "tendai", Text: "/lang"}, ""},
		{"dm, CRLF", "dm/tendai: 1\r", Line{Private: true, Name: "tendai", Text: "1"}, ""},
		{"vote", "vote/grace: 2", Line{Vote: true, Name: "grace", Text: "2"}, ""},
		{"vote, spaces", "vote/Grace:  12 ", Line{Vote: true, Name: "grace", Text: "12"}, ""},
		{"advance hours", ":advance 49h", Line{Advance: 49 * time.Hour}, ""},
		{"advance days", ":advance 7d", Line{Advance: 7 * 24 * time.Hour}, ""},
		{"advance days and hours", ":advance 1d12h", Line{Advance: 36 * time.Hour}, ""},
		{"advance, spaces and CRLF", "  :advance   2h30m \r", Line{Advance: 150 * time.Minute}, ""},
		{"comment", "# the intake", Line{Empty: true}, ""},
		{"indented comment", "   # ward18/tendai: not a message", Line{Empty: true}, ""},
		{"blank", "", Line{Empty: true}, ""},
		{"spaces", " \t ", Line{Empty: true}, ""},
		{"CR only", "\r", Line{Empty: true}, ""},

		{"missing colon", "ward18/tendai hello", Line{}, syntax},
		{"missing slash", "tendai: hello", Line{}, syntax},
		{"missing chat", "/tendai: hello", Line{}, syntax},
		{"missing name", "ward18/: hello", Line{}, syntax},
		{"name with space", "ward18/tendai moyo: hello", Line{}, syntax},
		{"dm name with space", "dm/mai rudo: hello", Line{}, syntax},
		{"name with slash", "ward18/a/b: hello", Line{}, syntax},
		{"empty group text", "ward18/tendai:", Line{}, "empty message"},
		{"blank group text", "ward18/tendai:    \r", Line{}, "empty message"},
		{"empty dm text", "dm/tendai: ", Line{}, "empty message"},
		{"vote not a number", "vote/grace: yes", Line{}, "option number"},
		{"vote zero", "vote/grace: 0", Line{}, "option number"},
		{"vote negative", "vote/grace: -1", Line{}, "option number"},
		{"vote empty", "vote/grace:", Line{}, "option number"},
		{"vote two numbers", "vote/grace: 1 2", Line{}, "option number"},
		{"advance nothing", ":advance", Line{}, "bad :advance"},
		{"advance word", ":advance soon", Line{}, "bad :advance"},
		{"advance zero", ":advance 0h", Line{}, "bad :advance"},
		{"advance zero days", ":advance 0d", Line{}, "bad :advance"},
		{"advance negative", ":advance -2h", Line{}, "bad :advance"},
		{"advance negative days", ":advance -1d", Line{}, "bad :advance"},
		{"advance bad unit", ":advance 3w", Line{}, "bad :advance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine(tt.in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseLine(%q) error %v", tt.in, err)
			case tt.wantErr == syntax && !errors.Is(err, ErrSyntax):
				t.Fatalf("ParseLine(%q) error %v, want ErrSyntax", tt.in, err)
			case tt.wantErr != "" && tt.wantErr != syntax && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("ParseLine(%q) error %v, want one mentioning %q", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseLine(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"49h", 49 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"1.5h", 90 * time.Minute, false},
		{"7d", 7 * day, false},
		{"1d", day, false},
		{"1d12h", day + 12*time.Hour, false},
		{"2d30m", 2*day + 30*time.Minute, false},
		{"10d1h1m1s", 10*day + time.Hour + time.Minute + time.Second, false},
		{"0d", 0, false},
		{"", 0, true},
		{"d", 0, true},
		{"xd", 0, true},
		{"1.5d", 0, true},
		{"7days", 0, true},
		{"7 d", 0, true},
		{"1d2d", 0, true},
		{"12h1d", 0, true},
		{"1d12", 0, true},
		{"soon", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTransportSend(t *testing.T) {
	tests := []struct {
		name     string
		out      chat.Outbound
		want     string
		wantPoll bool
	}{
		{"group text", chat.Outbound{Chat: "ward18", Text: "Welcome"}, "ward18 <- bot: Welcome\n", false},
		{"dm text", chat.Outbound{Chat: "tendai", Text: "Mhoro"}, "dm/tendai <- bot: Mhoro\n", false},
		{"more lines", chat.Outbound{Chat: "ward18", Text: "Case DEM-0001 opened.\nInitial assessment due in 48h.\n"},
			"ward18 <- bot: Case DEM-0001 opened.\n  Initial assessment due in 48h.\n", false},
		{"choices", chat.Outbound{Chat: "tendai", Text: "Language?", Choices: []string{"English", "Shona", "isiNdebele"}},
			"dm/tendai <- bot: Language?\n  1) English\n  2) Shona\n  3) isiNdebele\n", false},
		{"lines and choices", chat.Outbound{Chat: "grace", Text: "Source?\nPick one.", Choices: []string{"school", "other\n(say)"}},
			"dm/grace <- bot: Source?\n  Pick one.\n  1) school\n  2) other (say)\n", false},
		{"poll", chat.Outbound{Chat: "ward18", Text: "ignored", Poll: &chat.Poll{Question: "Close DEM-0001?", Options: []string{"Yes", "No", "Not yet"}}},
			"ward18 <- bot: [poll] Close DEM-0001?\n  1) Yes\n  2) No\n  3) Not yet\n", true},
		{"poll, multi-line question", chat.Outbound{Chat: "ward18", Poll: &chat.Poll{Question: "Close\nDEM-0001?", Options: []string{"Yes", "No"}}},
			"ward18 <- bot: [poll] Close DEM-0001?\n  1) Yes\n  2) No\n", true},
		{"poll in a dm", chat.Outbound{Chat: "moyo", Poll: &chat.Poll{Question: "Approve?", Options: []string{"Yes", "No"}}},
			"dm/moyo <- bot: [poll] Approve?\n  1) Yes\n  2) No\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tr := NewTransport(&b, DemoGroup)
			sent, err := tr.Send(context.Background(), "cn7", tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("printed\n%q\nwant\n%q", b.String(), tt.want)
			}
			want := chat.Sent{ID: "cn7"}
			if tt.wantPoll {
				want.PollID = "cn7"
			}
			if sent != want {
				t.Errorf("Sent = %+v, want %+v", sent, want)
			}
		})
	}
}

func TestTransportGroups(t *testing.T) {
	var b strings.Builder
	tr := NewTransport(&b, "ward18", "ward7")
	if tr.Platform() != chat.Sim {
		t.Errorf("Platform = %s", tr.Platform())
	}
	tr.AddGroup("ward3")
	for _, c := range []chat.ChatID{"ward18", "ward7", "ward3", "tendai", "dm/tendai"} {
		tr.Send(context.Background(), "k", chat.Outbound{Chat: c, Text: "x"})
	}
	want := "ward18 <- bot: x\nward7 <- bot: x\nward3 <- bot: x\ndm/tendai <- bot: x\ndm/dm/tendai <- bot: x\n"
	if b.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", b.String(), want)
	}
	for c, want := range map[chat.ChatID]bool{"ward18": true, "ward3": true, "tendai": false, "": false} {
		if got := tr.IsGroup(c); got != want {
			t.Errorf("IsGroup(%q) = %v, want %v", c, got, want)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestTransportWriteError(t *testing.T) {
	tr := NewTransport(failWriter{}, DemoGroup)
	if _, err := tr.Send(context.Background(), "k", chat.Outbound{Chat: "ward18", Text: "x"}); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

// fakeDriver records what the runner hands to carenet. A message whose text
// starts with "/poll N" makes it send an N-option poll to that chat through
// the transport, as the bot would.
type fakeDriver struct {
	tr     *Transport
	clock  *Clock
	events []string
	ins    []chat.Inbound
	polls  int
	fail   error
}

func (d *fakeDriver) Deliver(ctx context.Context, in chat.Inbound) error {
	d.ins = append(d.ins, in)
	d.events = append(d.events, fmt.Sprintf("deliver %s", in.Chat))
	if d.fail != nil {
		return d.fail
	}
	var n int
	if _, err := fmt.Sscanf(in.Text, "/poll %d", &n); err == nil {
		d.polls++
		opts := make([]string, n)
		for i := range opts {
			opts[i] = fmt.Sprintf("opt%d", i+1)
		}
		_, err := d.tr.Send(ctx, fmt.Sprintf("poll%d", d.polls), chat.Outbound{Platform: chat.Sim, Chat: in.Chat, Poll: &chat.Poll{Question: "Close?", Options: opts}})
		return err
	}
	return nil
}

func (d *fakeDriver) Advance(_ context.Context, dur time.Duration) error {
	d.events = append(d.events, fmt.Sprintf("advance %s", dur))
	d.clock.Set(d.clock.Now().Add(dur))
	return nil
}

func TestRunner(t *testing.T) {
	start := Start(time.FixedZone("CAT", 2*3600))
	type want struct {
		// Inbound without ID (random, checked separately).
		chat     chat.ChatID
		kind     chat.Kind
		sender   chat.UserID
		text     string
		vote     *chat.Vote
		afterAdv time.Duration // clock offset from start at delivery
	}
	tests := []struct {
		name     string
		script   string
		want     []want
		events   []string
		errLines []string // substrings, one per line on Errs, in order
		stdout   string
	}{
		{
			name:   "dm",
			script: "dm/Tendai: /lang\n",
			want:   []want{{chat: "tendai", kind: chat.Private, sender: "tendai", text: "/lang"}},
			events: []string{"deliver tendai"},
		},
		{
			name:   "group and advance",
			script: "# start\n\nward18/grace: hello all\r\n:advance 1d12h\nward18/rudo: later\n",
			want: []want{
				{chat: "ward18", kind: chat.Group, sender: "grace", text: "hello all"},
				{chat: "ward18", kind: chat.Group, sender: "rudo", text: "later", afterAdv: 36 * time.Hour},
			},
			events: []string{"deliver ward18", "advance 36h0m0s", "deliver ward18"},
		},
		{
			name:   "vote on the latest poll",
			script: "ward18/grace: /poll 3\nvote/rudo: 2\nward18/grace: /poll 2\nvote/sipho: 1\n",
			want: []want{
				{chat: "ward18", kind: chat.Group, sender: "grace", text: "/poll 3"},
				{chat: "ward18", kind: chat.Group, sender: "rudo", vote: &chat.Vote{PollID: "poll1", Options: []int{1}}},
				{chat: "ward18", kind: chat.Group, sender: "grace", text: "/poll 2"},
				{chat: "ward18", kind: chat.Group, sender: "sipho", vote: &chat.Vote{PollID: "poll2", Options: []int{0}}},
			},
			events: []string{"deliver ward18", "deliver ward18", "deliver ward18", "deliver ward18"},
			stdout: "ward18 <- bot: [poll] Close?\n  1) opt1\n  2) opt2\n  3) opt3\n" +
				"ward18 <- bot: [poll] Close?\n  1) opt1\n  2) opt2\n",
		},
		{
			name:     "vote without a poll",
			script:   "vote/rudo: 1\ndm/rudo: still here\n",
			want:     []want{{chat: "rudo", kind: chat.Private, sender: "rudo", text: "still here"}},
			events:   []string{"deliver rudo"},
			errLines: []string{"no poll"},
		},
		{
			name:   "vote beyond the options",
			script: "ward18/grace: /poll 2\nvote/rudo: 3\nvote/rudo: 2\n",
			want: []want{
				{chat: "ward18", kind: chat.Group, sender: "grace", text: "/poll 2"},
				{chat: "ward18", kind: chat.Group, sender: "rudo", vote: &chat.Vote{PollID: "poll1", Options: []int{1}}},
			},
			events:   []string{"deliver ward18", "deliver ward18"},
			errLines: []string{"no such option"},
			stdout:   "ward18 <- bot: [poll] Close?\n  1) opt1\n  2) opt2\n",
		},
		{
			name:     "a poll in a private chat is not the group's",
			script:   "dm/moyo: /poll 2\nvote/moyo: 1\n",
			want:     []want{{chat: "moyo", kind: chat.Private, sender: "moyo", text: "/poll 2"}},
			events:   []string{"deliver moyo"},
			errLines: []string{"no poll"},
			stdout:   "dm/moyo <- bot: [poll] Close?\n  1) opt1\n  2) opt2\n",
		},
		{
			name:     "bad lines are reported and the run goes on",
			script:   "hello bot\nward18/tendai:\n:advance never\nvote/rudo: yes\nward18/tendai moyo: hi\ndm/sipho: ok\n",
			want:     []want{{chat: "sipho", kind: chat.Private, sender: "sipho", text: "ok"}},
			events:   []string{"deliver sipho"},
			errLines: []string{"expected", "empty message", "bad :advance", "option number", "expected"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, errs strings.Builder
			tr := NewTransport(&stdout, DemoGroup)
			clock := NewClock(start)
			d := &fakeDriver{tr: tr, clock: clock}
			r := &Runner{Driver: d, Transport: tr, Clock: clock, Errs: &errs}
			if err := r.Run(context.Background(), strings.NewReader(tt.script)); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if strings.Join(d.events, "|") != strings.Join(tt.events, "|") {
				t.Errorf("events = %q, want %q", d.events, tt.events)
			}
			if len(d.ins) != len(tt.want) {
				t.Fatalf("delivered %d messages, want %d: %+v", len(d.ins), len(tt.want), d.ins)
			}
			ids := map[chat.MsgID]bool{}
			for i, w := range tt.want {
				in := d.ins[i]
				if in.ID == "" || ids[in.ID] {
					t.Errorf("#%d: id %q empty or repeated", i, in.ID)
				}
				ids[in.ID] = true
				if in.Platform != chat.Sim || in.Chat != w.chat || in.Kind != w.kind || in.Sender != w.sender ||
					in.Name != string(w.sender) || in.Text != w.text {
					t.Errorf("#%d: got %+v, want %+v", i, in, w)
				}
				if !in.Time.Equal(start.Add(w.afterAdv)) {
					t.Errorf("#%d: time %v, want %v", i, in.Time, start.Add(w.afterAdv))
				}
				switch {
				case w.vote == nil && in.Vote != nil:
					t.Errorf("#%d: unexpected vote %+v", i, in.Vote)
				case w.vote != nil && (in.Vote == nil || in.Vote.PollID != w.vote.PollID || fmt.Sprint(in.Vote.Options) != fmt.Sprint(w.vote.Options)):
					t.Errorf("#%d: vote %+v, want %+v", i, in.Vote, w.vote)
				}
				if in.Kind == chat.Private && in.Chat != chat.PrivateChat(in.Sender) {
					t.Errorf("#%d: private chat %q is not the sender's %q", i, in.Chat, in.Sender)
				}
			}
			var got []string
			if s := strings.TrimRight(errs.String(), "\n"); s != "" {
				got = strings.Split(s, "\n")
			}
			if len(got) != len(tt.errLines) {
				t.Fatalf("Errs = %q, want %d lines matching %q", got, len(tt.errLines), tt.errLines)
			}
			for i, w := range tt.errLines {
				if !strings.Contains(got[i], w) {
					t.Errorf("Errs line %d = %q, want it to mention %q", i, got[i], w)
				}
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.stdout)
			}
		})
	}
}

// TestRunnerStops: a driver failure ends the run with that error; a
// cancelled context ends it before the next line is delivered.
func TestRunnerStops(t *testing.T) {
	boom := errors.New("boom")
	clock := NewClock(Start(time.UTC))
	tr := NewTransport(io.Discard, DemoGroup)

	d := &fakeDriver{tr: tr, clock: clock, fail: boom}
	r := &Runner{Driver: d, Transport: tr, Clock: clock, Errs: io.Discard}
	if err := r.Run(context.Background(), strings.NewReader("dm/a: 1\ndm/b: 2\n")); !errors.Is(err, boom) {
		t.Errorf("Run = %v, want boom", err)
	}
	if len(d.ins) != 1 {
		t.Errorf("delivered %d after a failure, want 1", len(d.ins))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d = &fakeDriver{tr: tr, clock: clock}
	r = &Runner{Driver: d, Transport: tr, Clock: clock, Errs: io.Discard}
	if err := r.Run(ctx, strings.NewReader("dm/a: 1\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if len(d.ins) != 0 {
		t.Errorf("delivered %d with a cancelled context", len(d.ins))
	}
}

// TestRunnerPrompt: interactive mode prompts on Errs before every line and
// once more at the end; standard output stays clean.
func TestRunnerPrompt(t *testing.T) {
	var stdout, errs strings.Builder
	clock := NewClock(Start(time.UTC))
	tr := NewTransport(&stdout, DemoGroup)
	r := &Runner{Driver: &fakeDriver{tr: tr, clock: clock}, Transport: tr, Clock: clock, Errs: &errs, Prompt: "> "}
	if err := r.Run(context.Background(), strings.NewReader("dm/a: 1\n# c\n")); err != nil {
		t.Fatal(err)
	}
	if errs.String() != "> > > " || stdout.String() != "" {
		t.Errorf("Errs = %q, stdout = %q; want three prompts and nothing", errs.String(), stdout.String())
	}
}
