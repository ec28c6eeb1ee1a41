package bot

import (
	"fmt"
	"strings"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/l10n"
)

// turn is the handling of one inbound message inside its transaction. It
// collects replies in out; nothing is sent until the transaction commits.
type turn struct {
	b      *Bot
	tx     Tx
	in     chat.Inbound
	now    time.Time
	member *casework.Member
	out    []chat.Outbound
}

func (t *turn) private() bool { return t.in.Kind == chat.Private }

// loc is the member's localizer; a member who never chose gets English.
func (t *turn) loc() *l10n.Localizer {
	if t.member == nil {
		return t.b.bundle.Localizer("en")
	}
	return t.b.bundle.Localizer(t.member.Lang)
}

func (t *turn) run() error {
	in := t.in
	if in.Vote != nil {
		return t.vote()
	}
	if in.Event != "" {
		return t.chatEvent()
	}
	m, err := t.findMember()
	if err != nil {
		return fmt.Errorf("member: %w", err)
	}
	t.member = m
	cmd, arg := parseCommand(in.Text)
	if m == nil {
		// Unregistered people: a polite answer in private, silence in
		// groups (their group messages keep only the dedupe key).
		switch {
		case !t.private():
		case (cmd == "join" || cmd == "start") && arg != "":
			return t.redeem(arg)
		default:
			t.reply(t.b.bundle.Localizer("en").T("not_registered", nil))
		}
		return nil
	}
	if !t.private() && cmd != "setup" {
		if err := t.unlinkedNotice(); err != nil {
			return err
		}
	}
	conv := in.Conversation()
	if in.NonText {
		if t.private() {
			t.reply(t.loc().T("text_only", nil))
		}
		return nil
	}
	if cmd != "" {
		return t.command(cmd, arg)
	}
	s, err := t.tx.Session(conv)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if in.Ref != "" && (s == nil || stepRef(*s) != in.Ref) {
		t.reply(t.loc().T("button_stale", nil))
		return nil
	}
	if s != nil {
		return t.answer(conv, *s)
	}
	if !t.private() {
		if voted, err := t.typedVote(); voted || err != nil {
			return err
		}
		return t.groupNote()
	}
	t.reply(t.loc().T("no_flow_hint", nil))
	return nil
}

// parseCommand splits "/cmd@bot arg" into ("cmd", "arg"); text that is not a
// command gives "".
func parseCommand(text string) (cmd, arg string) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", ""
	}
	head, rest, _ := strings.Cut(text[1:], " ")
	head, _, _ = strings.Cut(head, "@")
	return strings.ToLower(head), strings.TrimSpace(rest)
}

func (t *turn) command(cmd, arg string) error {
	switch cmd {
	case "cancel":
		return t.cancel()
	case "join", "start":
		if arg != "" {
			if t.private() {
				t.reply(t.loc().T("already_registered", nil))
			}
			return nil
		}
		return t.help()
	case "help":
		return t.help()
	case "invite":
		return t.invite(arg)
	case "setup":
		return t.setup(arg)
	case "case":
		return t.showCase(arg)
	case "mycases":
		return t.myCases()
	case "approve":
		return t.approve(arg)
	case "reopen":
		return t.reopen(arg)
	case "screens":
		return t.showScreens(arg)
	case "supervision":
		return t.supervision(arg)
	}
	if f, ok := t.b.engine.ByCommand(cmd); ok {
		args := map[string]string{}
		if f.Arg != "" && arg != "" {
			args[f.Arg] = arg
		}
		return t.startFlow(f, args)
	}
	if t.private() {
		t.reply(t.loc().T("unknown_command", map[string]any{"Command": "/" + cmd}))
	}
	return nil
}

// help lists the commands privately, or says in one line what carenet
// does for the group.
func (t *turn) help() error {
	if t.private() {
		t.reply(t.loc().T("help_private", nil))
	} else {
		t.reply(t.loc().T("help_group", nil))
	}
	return nil
}

// privateChat is the sender's private chat, where flows and refusals go.
func (t *turn) privateChat() chat.ChatID { return chat.PrivateChat(t.in.Sender) }

func (t *turn) cancel() error {
	conv := t.in.Conversation()
	s, err := t.tx.Session(conv)
	if err != nil {
		return err
	}
	if s == nil {
		if t.private() {
			t.reply(t.loc().T("cancel_nothing", nil))
		}
		return nil
	}
	res := t.b.engine.Cancel(*s)
	return t.apply(conv, res)
}

// startFlow begins a flow. A private flow asked for in a group moves to the
// member's private chat, with one short line in the group.
func (t *turn) startFlow(f *flows.Flow, args map[string]string) error {
	if t.private() && f.Scope == flows.ScopeGroup {
		t.reply(t.loc().T("flow_in_group", nil))
		return nil
	}
	if ok, err := t.mayStart(f, args); err != nil || !ok {
		return err
	}
	conv := t.in.Conversation()
	if !t.private() && f.Scope == flows.ScopePrivate {
		conv = chat.Conversation{Platform: t.in.Platform, Chat: chat.PrivateChat(t.in.Sender), User: t.in.Sender}
		t.reply(t.loc().T("moved_private", map[string]any{"Name": t.member.Name}))
	}
	old, err := t.tx.Session(conv)
	if err != nil {
		return err
	}
	res, err := t.b.engine.Start(f.ID, args, t.env())
	if err != nil {
		return fmt.Errorf("start %s: %w", f.ID, err)
	}
	if old != nil && res.Session != nil {
		if of, ok := t.b.engine.Flow(old.Flow); ok {
			replaced := flows.Output{Msg: "flow_replaced", Data: map[string]any{"Title": t.title(of)}}
			res.Out = append([]flows.Output{replaced}, res.Out...)
		}
	}
	return t.apply(conv, res)
}

func (t *turn) answer(conv chat.Conversation, s flows.Session) error {
	res, err := t.b.engine.Step(s, t.in.Text, t.env())
	if err != nil {
		return fmt.Errorf("step %s/%s: %w", s.Flow, s.Step, err)
	}
	return t.apply(conv, res)
}

// apply persists a flow result and queues its messages.
func (t *turn) apply(conv chat.Conversation, res flows.Result) error {
	switch {
	case res.Status == flows.Invalid && res.Session == nil:
		// A flow that could not start leaves any running one alone.
	case res.Session != nil:
		if err := t.tx.PutSession(conv, *res.Session, t.now); err != nil {
			return fmt.Errorf("save session: %w", err)
		}
	default:
		if err := t.tx.DeleteSession(conv); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
	}
	n := len(t.out)
	t.say(conv.Chat, res.Out)
	if res.Session != nil {
		markQuestion(t.out[n:], *res.Session)
	}
	if res.Status == flows.Done {
		act := t.b.actions[res.Action]
		if act == nil {
			return fmt.Errorf("flow action %q unknown", res.Action)
		}
		return act(t, conv, res)
	}
	return nil
}

func (t *turn) env() flows.Env {
	return flows.Env{Now: t.now, Lang: t.b.bundle, CheckCode: checkCode}
}

func (t *turn) title(f *flows.Flow) string {
	if f.Title == "" {
		return f.ID
	}
	return t.loc().T(f.Title, nil)
}

// privately answers in the sender's private chat, wherever they wrote:
// refusals and problems are nobody else's business, and groups stay quiet.
func (t *turn) privately(text string) {
	t.out = append(t.out, chat.Outbound{Platform: t.in.Platform, Chat: chat.PrivateChat(t.in.Sender), Text: text})
}

// reply answers in the chat the message came from.
func (t *turn) reply(text string) {
	t.out = append(t.out, chat.Outbound{Platform: t.in.Platform, Chat: t.in.Chat, Text: text})
}

// say renders flow outputs in the member's language into as few messages as
// possible: text lines are joined until a question with choices closes a
// message. Fewer messages keep WhatsApp's spam heuristics calm.
func (t *turn) say(to chat.ChatID, outs []flows.Output) {
	t.out = append(t.out, render(t.loc(), t.in.Platform, to, outs)...)
}

func render(loc *l10n.Localizer, p chat.Platform, to chat.ChatID, outs []flows.Output) []chat.Outbound {
	var msgs []chat.Outbound
	var lines []string
	for _, o := range outs {
		lines = append(lines, loc.T(o.Msg, o.Data))
		if len(o.Choices) > 0 {
			choices := make([]string, len(o.Choices))
			for i, c := range o.Choices {
				choices[i] = loc.T(c, nil)
			}
			msgs = append(msgs, chat.Outbound{Platform: p, Chat: to, Text: strings.Join(lines, "\n"), Choices: choices})
			lines = nil
		}
	}
	if len(lines) > 0 {
		msgs = append(msgs, chat.Outbound{Platform: p, Chat: to, Text: strings.Join(lines, "\n")})
	}
	return msgs
}

// markQuestion gives the last message with choices the ref of the question
// it asks. Buttons carry it, so a stale one pressed later is refused
// instead of answering whatever is open now.
func markQuestion(outs []chat.Outbound, s flows.Session) {
	for i := len(outs) - 1; i >= 0; i-- {
		if len(outs[i].Choices) > 0 {
			outs[i].Ref = stepRef(s)
			return
		}
	}
}

// stepRef names the question a session is at: flow, version and step.
func stepRef(s flows.Session) string { return fmt.Sprintf("%s.%d.%s", s.Flow, s.Version, s.Step) }
