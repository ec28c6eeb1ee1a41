package casework

import (
	"math"
	"time"
)

// Criterion is why a case may close (DOMAIN.md §1.3): any one of the four.
type Criterion int

// The closure criteria, numbered as the NCMS numbers them.
const (
	CritPlanDone Criterion = 1 // case plan completed and the child safe
	CritAge18    Criterion = 2 // the child reached 18
	CritDied     Criterion = 3 // the child died
	CritTransfer Criterion = 4 // transferred to another district
)

// Valid reports whether c is one of the four criteria.
func (c Criterion) Valid() bool { return c >= CritPlanDone && c <= CritTransfer }

// Ballot is an option of the closure poll, in poll order (zero-based, as
// chat.Vote carries it).
type Ballot int

// The closure poll's options.
const (
	BallotAgree      Ballot = 0
	BallotNotYet     Ballot = 1
	BallotConference Ballot = 2
)

// Ballots is the number of options of a closure poll.
const Ballots = 3

// ClosureState is where a closure proposal stands.
type ClosureState string

// A closure proposal is voted on, then approved by the CWO and, for a
// statutory case, authorised by the province; or it fails, or the CWO
// declines it.
const (
	ClosureVoting             ClosureState = "voting"
	ClosureAwaitingCWO        ClosureState = "awaiting_cwo"
	ClosureAwaitingProvincial ClosureState = "awaiting_provincial"
	ClosureDone               ClosureState = "closed"
	ClosureFailed             ClosureState = "failed"
	ClosureDeclined           ClosureState = "declined"
)

// Active reports whether the proposal still holds the case.
func (s ClosureState) Active() bool {
	return s == ClosureVoting || s == ClosureAwaitingCWO || s == ClosureAwaitingProvincial
}

// ClosureRule is the quorum of a closure vote: QuorumMin votes or
// QuorumFraction of the eligible members, whichever is smaller.
type ClosureRule struct {
	QuorumMin      int
	QuorumFraction float64
}

// Quorum is the number of votes a vote among eligible members needs;
// never less than one.
func (r ClosureRule) Quorum(eligible int) int {
	q := int(math.Ceil(r.QuorumFraction * float64(eligible)))
	q = min(q, r.QuorumMin)
	return max(q, 1)
}

// Tally counts the latest vote of every eligible member who voted.
// Ignored counts the voters who may not vote; they change nothing.
type Tally struct {
	Eligible   int
	Agree      int
	NotYet     int
	Conference int
	Ignored    int
	// CCWConference: the case's own CCW voted "Needs a case conference".
	CCWConference bool
}

// Votes is the number of eligible members who voted.
func (t Tally) Votes() int { return t.Agree + t.NotYet + t.Conference }

// Outcome is the result of a closed vote.
type Outcome string

// The outcomes of a closure vote.
const (
	OutcomePassed     Outcome = "passed"
	OutcomeNoQuorum   Outcome = "no_quorum"
	OutcomeRejected   Outcome = "rejected"   // Agree was not a majority
	OutcomeConference Outcome = "conference" // the case's CCW asked for a case conference
)

// Decide applies the rule: the case's CCW asking for a case conference
// stops the closure whatever the others voted (she knows the household);
// otherwise the vote needs its quorum, and passes when Agree is more than
// half of the votes, so a tie does not pass.
func (r ClosureRule) Decide(t Tally) Outcome {
	switch {
	case t.CCWConference:
		return OutcomeConference
	case t.Votes() < r.Quorum(t.Eligible):
		return OutcomeNoQuorum
	case 2*t.Agree > t.Votes():
		return OutcomePassed
	}
	return OutcomeRejected
}

// Closure is one proposal to close a case, from the vote to the last
// approval. Zero member ids and times mean "not (yet)".
type Closure struct {
	ID         int64
	CaseID     int64
	Criterion  Criterion
	TransferTo int64 // receiving district, for CritTransfer
	ProposedBy int64 // 0: carenet itself (the child turned 18)
	ProposedAt time.Time
	ClosesAt   time.Time
	RemindedAt time.Time
	State      ClosureState
	Outcome    Outcome
	DecidedAt  time.Time

	CWOBy, ProvincialBy int64
	CWOAt, ProvincialAt time.Time
}

// ClosureVote is a member's latest vote; Ballot is nil once withdrawn.
type ClosureVote struct {
	MemberID int64
	Ballot   *Ballot
	At       time.Time
}
