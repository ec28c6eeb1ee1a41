package bot

import (
	"context"
	"time"
)

// Closure by group consensus (/close, votes, /approve, /reopen).

// ClosureOptions is the rule of closure votes.
type ClosureOptions struct {
	VoteDeadline   time.Duration // how long a poll stays open (48 h)
	QuorumMin      int           // votes that always make a quorum (3)
	QuorumFraction float64       // share of the eligible that makes a quorum (0.5)
}

func (o ClosureOptions) withDefaults() ClosureOptions {
	if o.VoteDeadline <= 0 {
		o.VoteDeadline = 48 * time.Hour
	}
	if o.QuorumMin <= 0 {
		o.QuorumMin = 3
	}
	if o.QuorumFraction <= 0 || o.QuorumFraction > 1 {
		o.QuorumFraction = 0.5
	}
	return o
}

type closureTx interface{}

func closureActions() map[string]action { return nil }

func (t *turn) proposeClosure(arg string) error { return nil }
func (t *turn) approve(arg string) error        { return nil }
func (t *turn) reopen(arg string) error         { return nil }

func (b *Bot) closureTick(ctx context.Context, now time.Time) error { return nil }
