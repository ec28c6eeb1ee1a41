package chat

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
)

func hash(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// TestBallots: votes by index pass through; votes by hash are matched
// against the poll's stored hashes; unknown hashes and a broken secret
// count as no vote.
func TestBallots(t *testing.T) {
	p := SentPoll{Sent: Sent{Secret: `["` + hash("Agree") + `","` + hash("Not yet") + `","` + hash("Needs a case conference") + `"]`}}
	for name, tc := range map[string]struct {
		poll SentPoll
		vote Vote
		want []int
	}{
		"by index":        {p, Vote{Options: []int{2}}, []int{2}},
		"withdrawn":       {p, Vote{}, nil},
		"by hash":         {p, Vote{Hashes: []string{hash("Not yet")}}, []int{1}},
		"upper-case hash": {p, Vote{Hashes: []string{"" + upper(hash("Agree"))}}, []int{0}},
		"unknown hash":    {p, Vote{Hashes: []string{hash("Maybe")}}, nil},
		"broken secret":   {SentPoll{Sent: Sent{Secret: "{"}}, Vote{Hashes: []string{hash("Agree")}}, nil},
	} {
		if got := tc.poll.Ballots(tc.vote); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Ballots = %v, want %v", name, got, tc.want)
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
