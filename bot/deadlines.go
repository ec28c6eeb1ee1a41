package bot

import (
	"context"
	"fmt"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// deadlines walks due case deadlines up the escalation ladder: a private
// reminder to the case's CCW, a day later the ward's LCCW, two days later
// the district's CWO. Nothing is sent in quiet hours; the next tick after
// they end picks everything up.
func (b *Bot) deadlines(ctx context.Context, now time.Time) error {
	if b.quiet != nil && b.quiet(now) {
		return nil
	}
	return b.update(ctx, func(tx Tx) error {
		due, err := tx.DueDeadlines(now)
		if err != nil {
			return err
		}
		for _, d := range due {
			step := d.Escalation(now)
			if step == "" {
				continue
			}
			if err := b.escalate(tx, d, step, now); err != nil {
				return fmt.Errorf("deadline %d: %w", d.ID, err)
			}
		}
		return nil
	})
}

func (b *Bot) escalate(tx Tx, d casework.Deadline, step string, now time.Time) error {
	c, err := tx.Case(d.CaseID)
	if err != nil || c == nil {
		return fmt.Errorf("case %d: %v", d.CaseID, err)
	}
	ccw, err := tx.Member(c.CCWID)
	if err != nil || ccw == nil {
		return fmt.Errorf("ccw of %s: %v", c.Code, err)
	}
	if d.Kind == casework.DueTurns18 {
		return b.turns18(tx, c, *ccw, now)
	}
	var to []casework.Member
	msg := "deadline_reminder"
	switch step {
	case "remind":
		to = []casework.Member{*ccw}
	case "lccw":
		msg = "deadline_overdue"
		to, err = caseStaff(tx, *c, casework.LCCW)
	case "cwo":
		msg = "deadline_overdue"
		to, err = caseStaff(tx, *c, casework.CWO)
	}
	if err != nil {
		return err
	}
	for _, m := range to {
		// What names the duty in the recipient's language.
		data := map[string]any{"Code": c.Code, "Due": when(d.Due.In(b.loc)), "Name": ccw.Name,
			"What": b.bundle.Localizer(m.Lang).T("due_"+string(d.Kind), nil)}
		if err := b.tellMember(tx, m, "", []flows.Output{{Msg: msg, Data: data}}, now); err != nil {
			return err
		}
	}
	if step == "lccw" {
		// A day overdue is an event the ward sees: one line, the code and
		// the duty, nothing about the child.
		err := b.postGroupsL(tx, c, "group_overdue", func(lang string) map[string]any {
			return map[string]any{"Code": c.Code, "What": b.bundle.Localizer(lang).T("due_"+string(d.Kind), nil)}
		}, now)
		if err != nil {
			return err
		}
	}
	if err := tx.MarkDeadline(d.ID, step, now); err != nil {
		return err
	}
	return tx.Audit(casework.AuditEntry{At: now, Action: "deadline." + step, CaseID: c.ID, Detail: string(d.Kind)})
}

// turns18 proposes the case for closure when the child turns 18
// (criterion 2): the CCW, the ward's LCCW and the CWO are told once, and
// the closure vote opens in the ward's groups.
func (b *Bot) turns18(tx Tx, c *casework.Case, ccw casework.Member, now time.Time) error {
	staff, err := caseStaff(tx, *c, casework.LCCW, casework.CWO)
	if err != nil {
		return err
	}
	for _, m := range append([]casework.Member{ccw}, staff...) {
		if err := b.tellMember(tx, m, "", []flows.Output{{Msg: "turns_18", Data: map[string]any{"Code": c.Code}}}, now); err != nil {
			return err
		}
	}
	if err := tx.CompleteDeadlines(c.ID, casework.DueTurns18, now); err != nil {
		return err
	}
	if err := tx.Audit(casework.AuditEntry{At: now, Action: "case.turns_18", CaseID: c.ID}); err != nil {
		return err
	}
	return b.proposeAt18(tx, c, now)
}

// tellMember queues outputs for a member's private chat, preferring
// platform p (the one the member is talking on, if any), then WhatsApp,
// Telegram and the simulator.
func (b *Bot) tellMember(tx Tx, m casework.Member, p chat.Platform, outs []flows.Output, now time.Time) error {
	conv, ok, err := privateConv(tx, m, p)
	if err != nil || !ok {
		return err
	}
	return enqueueAll(tx, render(b.bundle.Localizer(m.Lang), conv.Platform, conv.Chat, outs), now)
}

// privateConv is the member's private conversation with the bot,
// preferring platform p, then WhatsApp, Telegram and the simulator. ok is
// false for a member who cannot be reached: no identity, or marked
// unreachable. carenet never starts a chat with someone it cannot reach.
func privateConv(tx Tx, m casework.Member, p chat.Platform) (conv chat.Conversation, ok bool, err error) {
	if m.Unreachable {
		return conv, false, nil
	}
	for _, pl := range []chat.Platform{p, chat.WhatsApp, chat.Telegram, chat.Sim} {
		if pl == "" {
			continue
		}
		ids, err := tx.MemberIdentities(m.ID, pl)
		if err != nil {
			return conv, false, err
		}
		if len(ids) > 0 {
			return chat.Conversation{Platform: pl, Chat: chat.PrivateChat(ids[0]), User: ids[0]}, true, nil
		}
	}
	return conv, false, nil
}

// startFlowFor starts a flow in a member's private chat on the bot's own
// initiative (a supervision check-in, a CWO's approval prompt). A member
// busy with another flow is not interrupted, nor is one who cannot be
// reached: started is false and the caller tells them how to begin later.
func (b *Bot) startFlowFor(tx Tx, m casework.Member, p chat.Platform, flowID string, args map[string]string, now time.Time) (started bool, err error) {
	return b.startFlowWith(tx, m, p, flowID, args, nil, now)
}

// startFlowWith is startFlowFor with lead outputs said before the first
// question, in the same message.
func (b *Bot) startFlowWith(tx Tx, m casework.Member, p chat.Platform, flowID string, args map[string]string, lead []flows.Output, now time.Time) (started bool, err error) {
	conv, ok, err := privateConv(tx, m, p)
	if err != nil || !ok {
		return false, err
	}
	if old, err := tx.Session(conv); err != nil || old != nil {
		return false, err
	}
	res, err := b.engine.Start(flowID, args, flows.Env{Now: now, Lang: b.bundle, CheckCode: checkCode})
	if err != nil {
		return false, fmt.Errorf("start %s for member %d: %w", flowID, m.ID, err)
	}
	if res.Session == nil {
		return false, fmt.Errorf("start %s for member %d: the flow ended at once", flowID, m.ID)
	}
	if err := tx.PutSession(conv, *res.Session, now); err != nil {
		return false, err
	}
	outs := render(b.bundle.Localizer(m.Lang), conv.Platform, conv.Chat, append(lead, res.Out...))
	markQuestion(outs, *res.Session)
	return true, enqueueAll(tx, outs, now)
}
