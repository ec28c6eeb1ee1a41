package bot

import (
	"context"
	"fmt"
	"time"

	"carenet/flows"
	"carenet/internal/chat"
)

// Tick runs everything that has fallen due at the clock's now: today,
// reminders for idle conversations and their expiry. Production calls it
// on a timer; the simulator calls it as :advance moves the clock.
func (b *Bot) Tick(ctx context.Context) error {
	now := b.now()
	type idle struct {
		conv     chat.Conversation
		s        flows.Session
		updated  time.Time
		reminded bool
	}
	var due []idle
	err := b.store.EachIdleSession(ctx, now.Add(-b.idle), func(conv chat.Conversation, s flows.Session, updated time.Time, reminded bool) error {
		due = append(due, idle{conv, s, updated, reminded})
		return nil
	})
	if err != nil {
		return fmt.Errorf("idle sessions: %w", err)
	}
	for _, d := range due {
		expire := !d.updated.After(now.Add(-2 * b.idle))
		if d.reminded && !expire {
			continue
		}
		if err := b.update(ctx, func(tx Tx) error { return b.nudge(tx, d.conv, d.s, expire, now) }); err != nil {
			return fmt.Errorf("idle %s: %w", d.conv, err)
		}
	}
	if err := b.deadlines(ctx, now); err != nil {
		return err
	}
	if err := b.closureTick(ctx, now); err != nil {
		return fmt.Errorf("closures: %w", err)
	}
	if err := b.supervisionTick(ctx, now); err != nil {
		return fmt.Errorf("supervision: %w", err)
	}
	return nil
}

// nudge reminds an idle conversation once, then expires it.
func (b *Bot) nudge(tx Tx, conv chat.Conversation, s flows.Session, expire bool, now time.Time) error {
	m, err := tx.MemberByIdentity(conv.Platform, conv.User)
	if err != nil {
		return err
	}
	lang := ""
	if m != nil {
		lang = m.Lang
	}
	loc := b.bundle.Localizer(lang)
	title := s.Flow
	if f, ok := b.engine.Flow(s.Flow); ok && f.Title != "" {
		title = loc.T(f.Title, nil)
	}
	data := map[string]any{"Title": title}
	var outs []flows.Output
	if expire {
		if err := tx.DeleteSession(conv); err != nil {
			return err
		}
		outs = []flows.Output{{Msg: "flow_expired", Data: data}}
	} else {
		if err := tx.MarkReminded(conv, now); err != nil {
			return err
		}
		outs = []flows.Output{{Msg: "flow_idle_reminder", Data: data}}
		// Ask the pending question again so the answer can follow at once;
		// a flow that changed meanwhile just gets the reminder.
		if again, err := b.engine.Prompt(s); err == nil {
			outs = append(outs, again...)
		}
	}
	return enqueueAll(tx, render(loc, conv.Platform, conv.Chat, outs), now)
}
