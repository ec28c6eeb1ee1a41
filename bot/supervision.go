package bot

import (
	"context"
	"time"
)

// The monthly peer-supervision round: /supervision in a ward group by its
// LCCW, or on the configured day of the month.

// SupervisionOptions configure the monthly round.
type SupervisionOptions struct {
	// DayOfMonth starts a round in every ward on that day (1-28); 0 never.
	DayOfMonth int
	// Round is how long CCWs have to answer (default 72 h).
	Round time.Duration
	// WHO5 adds the WHO-5 well-being items.
	WHO5 bool
}

func (o SupervisionOptions) withDefaults() SupervisionOptions {
	if o.Round <= 0 {
		o.Round = 72 * time.Hour
	}
	return o
}

// supervisionTx is what the supervision round needs of the store.
type supervisionTx interface{}

func supervisionActions() map[string]action { return nil }

// supervision starts a round in the ward group it is typed in.
func (t *turn) supervision(arg string) error {
	if t.private() {
		t.reply(t.loc().T("unknown_command", map[string]any{"Command": "/supervision"}))
	}
	return nil
}

// supervisionTick starts rounds on the configured day, reminds CCWs who
// have not answered and closes rounds whose time is up.
func (b *Bot) supervisionTick(ctx context.Context, now time.Time) error { return nil }
