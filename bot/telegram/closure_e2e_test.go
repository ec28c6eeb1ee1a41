package telegram_test

// End-to-end test of the closure vote on Telegram (issue 4, "## Tests": a
// closure poll answered by three members), over the harness of
// e2e_test.go: the CWO's /close sends a native, non-anonymous poll to the
// ward group; poll_answer updates (which name no chat) find the poll
// through the id the fake gave it; the vote closes once every eligible
// member has voted and the group gets one result line.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"carenet/bot/telegram"
	"carenet/internal/casework"
	"carenet/store"
)

// stranger has a Telegram account but is no carenet member.
var stranger = user{7099, "Stranger", "en"}

// openWelfareCase registers Rudo and has her open a welfare case (no
// birth certificate, not in danger) by typed answers; it returns the case.
func (h *harness) openWelfareCase() *casework.Case {
	h.t.Helper()
	h.register()
	var last string
	for _, s := range []string{"/newcase", "nhasi", "1", "3", "1", "-", "8", "2", "1", "-"} {
		last = text(h.say(rudo, s))
	}
	if !strings.Contains(last, "Nyaya "+firstCase+" yavhurwa") {
		h.t.Fatalf("case not opened: %q", last)
	}
	c := h.caseByCode(firstCase)
	if c == nil || c.Kind != casework.Welfare || c.Status != casework.StatusOpen {
		h.t.Fatalf("case %+v", c)
	}
	return c
}

func (h *harness) caseByCode(code string) *casework.Case {
	h.t.Helper()
	var c *casework.Case
	if err := h.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.CaseByCode(code)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// audits returns the case's audit entries with the given action, oldest
// first.
func (h *harness) audits(caseID int64, action string) []casework.AuditEntry {
	h.t.Helper()
	var all []casework.AuditEntry
	if err := h.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		all, err = tx.AuditLog(caseID)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	var out []casework.AuditEntry
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// answerPoll pushes u's poll_answer as Telegram sends it: the poll id and
// the chosen option ids, no chat; an empty list is a retracted vote.
func (h *harness) answerPoll(u user, pollID string, options ...int) {
	h.t.Helper()
	ids, err := json.Marshal(append([]int{}, options...))
	if err != nil {
		h.t.Fatal(err)
	}
	h.push(fmt.Sprintf(`"poll_answer":{"poll_id":%q,"user":%s,"option_ids":%s}`, pollID, u.json(), ids))
}

// TestE2EClosurePollThreeMembers: Moyo (CWO) proposes closing Rudo's
// welfare case; the ward group gets one non-anonymous single-choice poll.
// Rudo (the case's CCW) and Moyo agree; Grace (LCCW) first asks for a case
// conference, retracts and votes "Not yet"; a non-member's answer is
// ignored. Once all three eligible members have voted the vote closes at
// once: the group gets one result line with the latest votes (2 agree,
// 1 not yet), the audit the counts and who voted what, and Moyo the
// approval prompt. A vote after the close is not counted.
func TestE2EClosurePollThreeMembers(t *testing.T) {
	h := newHarness(t)
	h.start()
	c := h.openWelfareCase()

	if q := text(h.say(moyo, "/close "+firstCase)); !strings.Contains(q, "Why can this case close?") {
		t.Fatalf("criterion question: %q", q)
	}
	if got := text(h.say(moyo, "1")); got != "The closure vote on "+firstCase+" is open in the ward group until 7/1 08:00." {
		t.Fatalf("proposer told %q", got)
	}
	// Votes find their poll through the id recorded when it was sent.
	telegram.Eventually(t, "the poll sent", func() bool { return len(h.wire.sentPolls()) == 1 })
	h.waitDrained()

	polls := h.fake.Calls("sendPoll")
	if len(polls) != 1 {
		t.Fatalf("%d sendPoll calls, want 1", len(polls))
	}
	p := polls[0]
	var options []string
	if err := json.Unmarshal([]byte(p.Get("options")), &options); err != nil {
		t.Fatalf("options %q: %v", p.Get("options"), err)
	}
	if p.Get("chat_id") != ward18Group || p.Get("is_anonymous") != "false" || p.Get("type") != "regular" ||
		p.Get("allows_multiple_answers") != "false" ||
		p.Get("question") != "Close "+firstCase+"? (1: plan completed, child safe)" ||
		!slices.Equal(options, []string{"Agree", "Not yet", "Needs a case conference"}) {
		t.Fatalf("sendPoll %v", p)
	}
	sp := h.wire.sentPolls()[0]
	if sp.Chat != ward18Group || sp.PollID == "" {
		t.Fatalf("poll as answered: %+v", sp)
	}
	if got := h.caseByCode(firstCase); got.Status != casework.StatusClosureVote {
		t.Fatalf("case status %s during the vote", got.Status)
	}
	var closureID int64
	_ = h.db.View(context.Background(), func(tx *store.Tx) error {
		if cl, err := tx.ActiveClosure(c.ID); err == nil && cl != nil {
			closureID = cl.ID
		}
		return nil
	})
	if closureID == 0 {
		t.Fatal("no closure stored")
	}

	// One answer at a time, each waited for: answers of different members
	// are handled in parallel, and the order matters here.
	votes := 0
	vote := func(u user, options ...int) {
		t.Helper()
		votes++
		h.answerPoll(u, sp.PollID, options...)
		telegram.Eventually(t, fmt.Sprintf("vote %d (%s %v) recorded", votes, u.Name, options), func() bool {
			return len(h.audits(c.ID, "closure.vote")) == votes
		})
	}
	ignored := func() int {
		var n int
		_ = h.db.View(context.Background(), func(tx *store.Tx) error {
			n, _ = tx.IgnoredVoters(closureID)
			return nil
		})
		return n
	}
	vote(rudo, 0)  // Agree
	vote(grace, 2) // Needs a case conference
	vote(grace)    // retracted
	h.answerPoll(stranger, sp.PollID, 1)
	telegram.Eventually(t, "the non-member's answer ignored", func() bool { return ignored() == 1 })
	vote(moyo, 0)  // Agree
	vote(grace, 1) // Not yet: the third voter; the vote closes

	want := firstCase + ": closure vote passed (2 agree, 1 not yet, 0 conference). Awaiting CWO approval."
	h.waitSent(ward18Group, 2)
	h.waitDrained()
	if g := texts(h.sent(ward18Group)); len(g) != 2 || !strings.Contains(g[0], "New welfare case "+firstCase) || g[1] != want {
		t.Fatalf("group lines %q, want the new-case line then %q", g, want)
	}

	// Who voted what, in order, as the audit keeps it.
	ids := map[int64]string{}
	for _, u := range []user{rudo, grace, moyo} {
		ids[h.member(u).ID] = u.Name
	}
	var cast []string
	for _, e := range h.audits(c.ID, "closure.vote") {
		cast = append(cast, ids[e.MemberID]+" "+e.Detail)
	}
	if wantCast := []string{"Rudo agree", "Grace conference", "Grace withdrawn", "Moyo agree", "Grace not_yet"}; !slices.Equal(cast, wantCast) {
		t.Errorf("votes cast %q, want %q", cast, wantCast)
	}
	res := h.audits(c.ID, "closure.result")
	// Votes are listed by member id: Grace, Moyo, then Rudo who joined later.
	if wantRes := "passed; eligible 3, quorum 2; agree 2 [Moyo Rudo]; not yet 1 [Grace]; conference 0 []; ignored 1"; len(res) != 1 || res[0].Detail != wantRes {
		t.Fatalf("closure.result %+v, want one with %q", res, wantRes)
	}
	if got := h.caseByCode(firstCase); got.Status != casework.StatusAwaitingCWO {
		t.Errorf("case status %s after the vote, want %s", got.Status, casework.StatusAwaitingCWO)
	}

	// The CWO is asked privately, with the counts.
	m := h.sent(moyo.chat())
	prompt := text(m[len(m)-1])
	if !strings.HasPrefix(prompt, firstCase+": the closure vote passed (1: plan completed, child safe; 2 agree, 1 not yet, 0 conference). Approve with /approve "+firstCase+".") {
		t.Errorf("CWO prompt %q", prompt)
	}
	if m[len(m)-1].Get("reply_markup") == "" {
		t.Errorf("CWO prompt without buttons: %v", m[len(m)-1])
	}

	// A late answer is not counted; the voter is told privately.
	before := len(h.sent(grace.chat()))
	h.answerPoll(grace, sp.PollID, 0)
	late := h.waitSent(grace.chat(), before+1)[before]
	if got := text(late); got != "The closure vote on "+firstCase+" has closed; your vote was not counted." {
		t.Errorf("late voter told %q", got)
	}
	h.waitDrained()
	if n := len(h.audits(c.ID, "closure.vote")); n != votes {
		t.Errorf("%d votes recorded after a late answer, want %d", n, votes)
	}
	if g := h.sent(ward18Group); len(g) != 2 {
		t.Errorf("group lines after a late answer: %q", texts(g))
	}
	if n := len(h.audits(c.ID, "closure.result")); n != 1 {
		t.Errorf("%d closure.result entries", n)
	}
}
