package casework

import "testing"

func TestClosureQuorum(t *testing.T) {
	def := ClosureRule{QuorumMin: 3, QuorumFraction: 0.5}
	for _, tc := range []struct {
		rule     ClosureRule
		eligible int
		want     int
	}{
		{def, 0, 1},  // nobody eligible: one vote still needed
		{def, 1, 1},  // half of 1 rounds up to 1
		{def, 2, 1},  // half of 2
		{def, 4, 2},  // half of 4 is smaller than 3
		{def, 5, 3},  // 2.5 rounds up to 3, equal to the minimum
		{def, 6, 3},  // half of 6 = 3
		{def, 30, 3}, // the minimum is smaller
		{ClosureRule{QuorumMin: 10, QuorumFraction: 1}, 7, 7},
		{ClosureRule{QuorumMin: 4, QuorumFraction: 0.25}, 9, 3},
	} {
		if got := tc.rule.Quorum(tc.eligible); got != tc.want {
			t.Errorf("%+v.Quorum(%d) = %d, want %d", tc.rule, tc.eligible, got, tc.want)
		}
	}
}

func TestClosureDecide(t *testing.T) {
	rule := ClosureRule{QuorumMin: 3, QuorumFraction: 0.5}
	for name, tc := range map[string]struct {
		tally Tally
		want  Outcome
	}{
		"quorum exactly met, all agree":                   {Tally{Eligible: 5, Agree: 3}, OutcomePassed},
		"one short of quorum":                             {Tally{Eligible: 5, Agree: 2}, OutcomeNoQuorum},
		"no votes":                                        {Tally{Eligible: 5}, OutcomeNoQuorum},
		"small ward, half is quorum":                      {Tally{Eligible: 4, Agree: 2}, OutcomePassed},
		"tie does not pass":                               {Tally{Eligible: 6, Agree: 2, NotYet: 2}, OutcomeRejected},
		"tie with conference votes":                       {Tally{Eligible: 6, Agree: 2, NotYet: 1, Conference: 1}, OutcomeRejected},
		"bare majority passes":                            {Tally{Eligible: 6, Agree: 3, NotYet: 2}, OutcomePassed},
		"majority against":                                {Tally{Eligible: 5, Agree: 1, NotYet: 3}, OutcomeRejected},
		"CCW veto beats a majority":                       {Tally{Eligible: 5, Agree: 4, Conference: 1, CCWConference: true}, OutcomeConference},
		"CCW veto without quorum":                         {Tally{Eligible: 5, Conference: 1, CCWConference: true}, OutcomeConference},
		"another member's conference vote is only a vote": {Tally{Eligible: 5, Agree: 3, Conference: 1}, OutcomePassed},
		"ignored voters count for nothing":                {Tally{Eligible: 5, Agree: 2, Ignored: 4}, OutcomeNoQuorum},
	} {
		if got := rule.Decide(tc.tally); got != tc.want {
			t.Errorf("%s: Decide(%+v) = %s, want %s", name, tc.tally, got, tc.want)
		}
	}
}

func TestCriterionValid(t *testing.T) {
	for c, want := range map[Criterion]bool{0: false, 1: true, 2: true, 3: true, 4: true, 5: false, -1: false} {
		if c.Valid() != want {
			t.Errorf("Criterion(%d).Valid() = %v", c, !want)
		}
	}
}
