package whatsapp

// End-to-end tests of the closure vote on WhatsApp (issue 4, "## Tests": a
// closure poll and three votes, one changed), over the harness of
// e2e_test.go: the CWO's /close sends a native single-choice poll to the
// Ndebele ward group through BuildPollCreation; votes arrive as
// PollUpdateMessage events that the adapter decrypts (the fake's
// DecryptPollVote) into the SHA-256 hashes of the chosen option texts,
// which the core maps back through the poll's stored secret. Typing the
// option number in the group is the fallback, answered by a 👍 reaction.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/store"
)

const e2eCase = "DEM-00013"

// The closure poll's options in the group's language (Ndebele).
const (
	ndAgree      = "Ngiyavuma"
	ndNotYet     = "Hatshi okwamanje"
	ndConference = "Kudingeka i-case conference"
)

// closureVotes are the plain votes the fake's DecryptPollVote returns, by
// vote event id, for the poll with id poll only.
type closureVotes struct {
	poll  types.MessageID
	votes map[types.MessageID][]string
}

func (v *closureVotes) decrypt(evt *events.Message) (*waE2E.PollVoteMessage, error) {
	if id := evt.Message.GetPollUpdateMessage().GetPollCreationMessageKey().GetID(); id != v.poll {
		return nil, fmt.Errorf("fake: no secret for poll %q", id)
	}
	opts, ok := v.votes[evt.Info.ID]
	if !ok {
		return nil, errors.New("fake: vote not encrypted for this sender")
	}
	pv := &waE2E.PollVoteMessage{}
	for _, o := range opts {
		h := sha256.Sum256([]byte(o))
		pv.SelectedOptions = append(pv.SelectedOptions, h[:])
	}
	return pv, nil
}

// openCase registers the new CCW, who opens a welfare case (no birth
// certificate, not in danger) by private Ndebele answers.
func (e *e2e) openCase() *casework.Case {
	e.t.Helper()
	e.register()
	var last string
	for _, s := range []string{"/newcase", "lamuhla", "1", "3", "intombazana", "-", "8", "2", "1", "-"} {
		got := e.deliver(e.private(e2eLID, e2ePN, s))
		for _, m := range got {
			if m.to == e2eLID {
				last = m.msg.GetConversation()
			}
		}
	}
	if !strings.Contains(last, "Udaba "+e2eCase+" luvuliwe") {
		e.t.Fatalf("case not opened: %q", last)
	}
	c := e.caseByCode(e2eCase)
	if c == nil || c.Kind != casework.Welfare || c.Status != casework.StatusOpen {
		e.t.Fatalf("case %+v", c)
	}
	return c
}

func (e *e2e) caseByCode(code string) *casework.Case {
	e.t.Helper()
	var c *casework.Case
	if err := e.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.CaseByCode(code)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// audits returns the case's audit entries with the given action, oldest
// first.
func (e *e2e) audits(caseID int64, action string) []casework.AuditEntry {
	e.t.Helper()
	var all []casework.AuditEntry
	if err := e.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		all, err = tx.AuditLog(caseID)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	var out []casework.AuditEntry
	for _, a := range all {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// memberNames maps member ids to names.
func (e *e2e) memberNames() map[int64]string {
	e.t.Helper()
	names := map[int64]string{}
	for _, id := range []types.JID{e2eLID, e2eLCCW, e2eCWO} {
		_ = e.db.View(context.Background(), func(tx *store.Tx) error {
			if m, err := tx.MemberByIdentity(chat.WhatsApp, chat.UserID(id.String())); err == nil && m != nil {
				names[m.ID] = m.Name
			}
			return nil
		})
	}
	if len(names) != 3 {
		e.t.Fatalf("members %v", names)
	}
	return names
}

// propose has Moyo (CWO) propose closing the case for criterion 1 and
// returns the poll the group got.
func (e *e2e) propose() sentMsg {
	e.t.Helper()
	if q := only(e.t, e.deliver(e.private(e2eCWO, types.EmptyJID, "/close "+e2eCase)), e2eCWO); !strings.Contains(q, "Why can this case close?") {
		e.t.Fatalf("criterion question: %q", q)
	}
	got := e.deliver(e.private(e2eCWO, types.EmptyJID, "1"))
	var polls, told []sentMsg
	for _, m := range got {
		switch {
		case m.to == e2eGroup && m.msg.GetPollCreationMessage() != nil:
			polls = append(polls, m)
		case m.to == e2eCWO:
			told = append(told, m)
		default:
			e.t.Errorf("unexpected message to %s: %v", m.to, m.msg)
		}
	}
	if len(polls) != 1 || len(told) != 1 {
		e.t.Fatalf("/close: want one poll in the group and one private line, got%s", show(got))
	}
	if s := told[0].msg.GetConversation(); !strings.HasPrefix(s, "The closure vote on "+e2eCase+" is open in the ward group until ") {
		e.t.Errorf("proposer told %q", s)
	}
	return polls[0]
}

// pollVote is a native vote on poll from voter (with alt, her other id),
// as whatsmeow dispatches it: encrypted, so only DecryptPollVote reads it.
func (e *e2e) pollVote(voter, alt types.JID, poll types.MessageID) *events.Message {
	evt := e.event(e2eGroup, voter, alt, &waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{
		PollCreationMessageKey: &waCommon.MessageKey{
			RemoteJID: proto.String(e2eGroup.String()), FromMe: proto.Bool(true), ID: proto.String(poll),
		},
		Vote:              &waE2E.PollEncValue{EncPayload: []byte{1, 2, 3}, EncIV: []byte{4, 5, 6}},
		SenderTimestampMS: proto.Int64(e.clock.Now().UnixMilli()),
	}})
	evt.Info.Type = "poll"
	return evt
}

// TestE2EClosurePollThreeVotesOneChanged: Moyo (CWO) proposes closing the
// new CCW's welfare case; the Ndebele ward group gets one single-choice
// poll. The CCW votes "Not yet" and then changes to "Agree", Grace (LCCW)
// agrees, a non-member's vote is ignored, and Moyo asks for a case
// conference. Native votes are silent; with the third eligible vote the
// vote closes at once: the group gets one result line counting the CCW's
// latest vote (2 agree, 0 not yet, 1 conference), the audit the counts and
// who voted what, and Moyo the approval prompt.
func TestE2EClosurePollThreeVotesOneChanged(t *testing.T) {
	e := newE2E(t)
	c := e.openCase()
	poll := e.propose()

	pc := poll.msg.GetPollCreationMessage()
	var options []string
	for _, o := range pc.GetOptions() {
		options = append(options, o.GetOptionName())
	}
	if pc.GetName() != "Sivale "+e2eCase+"? (1: uhlelo luphelile, umntwana uvikelekile)" ||
		!slices.Equal(options, []string{ndAgree, ndNotYet, ndConference}) || pc.GetSelectableOptionsCount() != 1 {
		t.Fatalf("poll %v", pc)
	}
	if got := e.caseByCode(e2eCase); got.Status != casework.StatusClosureVote {
		t.Fatalf("case status %s during the vote", got.Status)
	}

	votes := &closureVotes{poll: poll.id, votes: map[types.MessageID][]string{}}
	e.cli.decrypt = votes.decrypt
	vote := func(voter, alt types.JID, option string) []sentMsg {
		t.Helper()
		evt := e.pollVote(voter, alt, poll.id)
		votes.votes[evt.Info.ID] = []string{option}
		return e.deliver(evt)
	}
	for _, v := range []struct {
		voter, alt types.JID
		option     string
	}{
		{e2eLID, e2ePN, ndNotYet},
		{e2eLCCW, types.EmptyJID, ndAgree},
		{e2eLID, e2ePN, ndAgree}, // changed: the latest vote counts
		{otherPN, types.EmptyJID, ndNotYet},
	} {
		if got := vote(v.voter, v.alt, v.option); len(got) != 0 {
			t.Fatalf("vote of %s for %q answered:%s", v.voter, v.option, show(got))
		}
	}
	got := vote(e2eCWO, types.EmptyJID, ndConference) // the third eligible voter

	var group, cwo []string
	for _, m := range got {
		switch m.to {
		case e2eGroup:
			group = append(group, m.msg.GetConversation())
		case e2eCWO:
			cwo = append(cwo, m.msg.GetConversation())
		default:
			t.Errorf("message to %s: %v", m.to, m.msg)
		}
	}
	want := e2eCase + ": ukuvota kokuvala kuphumelele (2 bayavuma, 0 hatshi okwamanje, 1 conference). Kulindwe imvume ka CWO."
	if len(group) != 1 || group[0] != want {
		t.Fatalf("group got %q, want one line %q", group, want)
	}
	if len(cwo) != 1 || !strings.HasPrefix(cwo[0], e2eCase+": the closure vote passed (1: plan completed, child safe; 2 agree, 0 not yet, 1 conference). Approve with /approve "+e2eCase+".") {
		t.Errorf("CWO prompt %q", cwo)
	}
	e.cli.mu.Lock()
	decrypted := len(e.cli.calls)
	e.cli.mu.Unlock()
	if decrypted != 5 {
		t.Errorf("DecryptPollVote called %d times for 5 votes", decrypted)
	}

	names := e.memberNames()
	var cast []string
	for _, a := range e.audits(c.ID, "closure.vote") {
		cast = append(cast, names[a.MemberID]+": "+a.Detail)
	}
	if wantCast := []string{e2eName + ": not_yet", "Grace: agree", e2eName + ": agree", "Moyo: conference"}; !slices.Equal(cast, wantCast) {
		t.Errorf("votes cast %q, want %q", cast, wantCast)
	}
	res := e.audits(c.ID, "closure.result")
	// Votes are listed by member id: Grace and Moyo were seeded first.
	wantRes := "passed; eligible 3, quorum 2; agree 2 [Grace " + e2eName + "]; not yet 0 []; conference 1 [Moyo]; ignored 1"
	if len(res) != 1 || res[0].Detail != wantRes {
		t.Fatalf("closure.result %+v, want one with %q", res, wantRes)
	}
	if got := e.caseByCode(e2eCase); got.Status != casework.StatusAwaitingCWO {
		t.Errorf("case status %s after the vote, want %s", got.Status, casework.StatusAwaitingCWO)
	}
}

// TestE2EClosureTypedVotesAtDeadline: on a phone without polls the option
// number typed in the group is a vote, answered by a 👍 reaction on that
// message. The CCW types "1" (Agree) and Grace "2." (Not yet); Moyo never
// votes, so the vote stays open until its deadline: Tick after 48 hours
// closes it with one group line (1 agree, 1 not yet: not passed) and the
// case is open again. A number typed after the close changes nothing.
func TestE2EClosureTypedVotesAtDeadline(t *testing.T) {
	e := newE2E(t)
	c := e.openCase()
	e.propose()

	react := func(evt *events.Message) {
		t.Helper()
		got := e.deliver(evt)
		if len(got) != 1 {
			t.Fatalf("typed %q: want one 👍 reaction, got %d:%s", evt.Message.GetConversation(), len(got), show(got))
		}
		r := got[0].msg.GetReactionMessage()
		if got[0].to != e2eGroup || r == nil || r.GetText() != "👍" ||
			r.GetKey().GetID() != evt.Info.ID || r.GetKey().GetRemoteJID() != e2eGroup.String() ||
			r.GetKey().GetParticipant() != evt.Info.Sender.ToNonAD().String() || r.GetKey().GetFromMe() {
			t.Fatalf("typed %q: want a 👍 reaction on it in the group, got one to %s: %v", evt.Message.GetConversation(), got[0].to, got[0].msg)
		}
	}
	react(e.inGroup("1"))
	react(e.event(e2eGroup, e2eLCCW, types.EmptyJID, text("2.")))
	names := e.memberNames()
	var cast []string
	for _, a := range e.audits(c.ID, "closure.vote") {
		cast = append(cast, names[a.MemberID]+": "+a.Detail)
	}
	if want := []string{e2eName + ": agree", "Grace: not_yet"}; !slices.Equal(cast, want) {
		t.Fatalf("votes cast %q, want %q", cast, want)
	}

	// Just before the deadline nothing is decided.
	e.clock.Add(48*time.Hour - time.Minute)
	n := e.sentCount()
	if err := e.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.flush()
	for _, m := range e.sentSince(n) {
		if m.to == e2eGroup {
			t.Fatalf("group line before the deadline: %q", m.msg.GetConversation())
		}
	}
	if res := e.audits(c.ID, "closure.result"); len(res) != 0 {
		t.Fatalf("decided before the deadline: %+v", res)
	}

	e.clock.Add(time.Minute)
	n = e.sentCount()
	if err := e.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.flush()
	var group []string
	for _, m := range e.sentSince(n) {
		if m.to == e2eGroup {
			group = append(group, m.msg.GetConversation())
		}
	}
	want := e2eCase + ": ukuvota kokuvala kakuphumelelanga (1 bayavuma, 1 hatshi okwamanje, 0 conference). Udaba luhlala luvuliwe."
	if len(group) != 1 || group[0] != want {
		t.Fatalf("group got %q, want one line %q", group, want)
	}
	res := e.audits(c.ID, "closure.result")
	wantRes := "rejected; eligible 3, quorum 2; agree 1 [" + e2eName + "]; not yet 1 [Grace]; conference 0 []; ignored 0"
	if len(res) != 1 || res[0].Detail != wantRes {
		t.Fatalf("closure.result %+v, want one with %q", res, wantRes)
	}
	if got := e.caseByCode(e2eCase); got.Status != casework.StatusOpen {
		t.Errorf("case status %s after a failed vote, want %s", got.Status, casework.StatusOpen)
	}

	// Too late: no reaction, no vote.
	if got := e.deliver(e.event(e2eGroup, e2eCWO, types.EmptyJID, text("1"))); len(got) != 0 {
		t.Errorf("a number typed after the close was answered:%s", show(got))
	}
	if n := len(e.audits(c.ID, "closure.vote")); n != 2 {
		t.Errorf("%d votes after a late typed number, want 2", n)
	}
}
