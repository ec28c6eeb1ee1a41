package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// Closure by group consensus (DOMAIN.md §1.3): /close CODE opens a native
// poll in the ward's groups; eligible members vote (the latest vote
// counts, typing 1-3 in the group works too); the vote closes at its
// deadline or once everyone eligible has voted; a passed vote waits for
// the CWO's approval and, for a statutory case, the province's
// authorisation. Each step is one group line and an audit entry.

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

func (o ClosureOptions) rule() casework.ClosureRule {
	return casework.ClosureRule{QuorumMin: o.QuorumMin, QuorumFraction: o.QuorumFraction}
}

// closureTx is what closures and conferences need of the store.
type closureTx interface {
	CreateClosure(cl casework.Closure) (int64, error)
	UpdateClosure(cl casework.Closure) error
	Closure(id int64) (*casework.Closure, error)
	ActiveClosure(caseID int64) (*casework.Closure, error)
	VotingClosures() ([]casework.Closure, error)
	PutVote(closureID, memberID int64, ballot *casework.Ballot, at time.Time) error
	Votes(closureID int64) ([]casework.ClosureVote, error)
	IgnoreVoter(closureID int64, voter string) error
	IgnoredVoters(closureID int64) (int, error)
	ClosurePollsIn(p chat.Platform, c chat.ChatID) ([]int64, error)
	Poll(p chat.Platform, pollID string) (*chat.SentPoll, error)
	ClosurePollPending(p chat.Platform) (bool, error)
	TransferCase(id, districtID, holder int64) error
	SetCaseStatus(id int64, s casework.Status, now time.Time) error
	DistrictByName(name string) (*casework.District, error)
	DistrictByCode(code string) (*casework.District, error)
}

func closureActions() map[string]action {
	return map[string]action{
		"propose_closure":   proposeClosure,
		"closure_decision":  closureDecision,
		"record_conference": recordConference,
	}
}

// approveFlow is the private prompt a CWO or provincial officer gets when
// a closure waits for them; /approve CODE does the same in one line.
const approveFlow = "approve"

// ReopenReviewDue is when a reopened case is reviewed: reopening is a
// major change, and DOMAIN.md §1.3 wants a review at once on one.
const ReopenReviewDue = 7 * 24 * time.Hour

// ConferenceDue is how soon a case conference asked for in a closure vote
// should be held.
const ConferenceDue = 7 * 24 * time.Hour

// pollRef tags a closure poll so a vote finds its proposal.
func pollRef(id int64) string { return "closure." + strconv.FormatInt(id, 10) }

func closureOfRef(ref string) (int64, bool) {
	s, ok := strings.CutPrefix(ref, "closure.")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// closable refuses, privately, a proposal on a case that is not open or
// already has one under way.
func (t *turn) closable(c *casework.Case) (bool, error) {
	cl, err := t.tx.ActiveClosure(c.ID)
	if err != nil {
		return false, err
	}
	if cl != nil || c.Status != casework.StatusOpen {
		t.privately(t.loc().T("closure_busy", map[string]any{"Code": c.Code, "Status": t.loc().T("status_"+string(c.Status), nil)}))
		return false, nil
	}
	return true, nil
}

// proposeClosure is the /close flow's action.
func proposeClosure(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.ProposeClosure)
	if !ok {
		return err
	}
	if ok, err := t.closable(c); !ok {
		return err
	}
	crit, err := strconv.Atoi(res.Answers["criterion"])
	if err != nil || !casework.Criterion(crit).Valid() {
		return fmt.Errorf("close: bad criterion %q", res.Answers["criterion"])
	}
	cl := casework.Closure{CaseID: c.ID, Criterion: casework.Criterion(crit), ProposedBy: t.member.ID,
		ProposedAt: t.now, ClosesAt: t.now.Add(t.b.closure.VoteDeadline)}
	if cl.Criterion == casework.CritTransfer {
		d, err := t.district(res.Answers["district"])
		if err != nil {
			return err
		}
		switch {
		case d == nil:
			t.say(conv.Chat, []flows.Output{{Msg: "closure_district_unknown", Data: map[string]any{"District": res.Answers["district"]}}})
			return nil
		case d.ID == c.DistrictID:
			t.say(conv.Chat, []flows.Output{{Msg: "closure_district_same", Data: map[string]any{"District": d.Name}}})
			return nil
		}
		// Someone must receive the case, or it would belong to nobody.
		if cwos, err := t.tx.MembersByRole(d.ID, 0, casework.CWO); err != nil {
			return err
		} else if len(cwos) == 0 {
			t.say(conv.Chat, []flows.Output{{Msg: "closure_district_no_cwo", Data: map[string]any{"District": d.Name}}})
			return nil
		}
		cl.TransferTo = d.ID
	}
	opened, err := t.b.openVote(t.tx, c, cl, t.now)
	if err != nil {
		return err
	}
	if !opened {
		t.say(conv.Chat, []flows.Output{{Msg: "closure_no_group", Data: map[string]any{"Code": c.Code}}})
		return nil
	}
	t.say(conv.Chat, []flows.Output{{Msg: "closure_vote_opened", Data: map[string]any{"Code": c.Code, "Due": when(cl.ClosesAt.In(t.b.loc))}}})
	return nil
}

// district finds a district by name or code.
func (t *turn) district(s string) (*casework.District, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	d, err := t.tx.DistrictByName(s)
	if err != nil || d != nil {
		return d, err
	}
	return t.tx.DistrictByCode(strings.ToUpper(s))
}

// openVote stores the proposal and sends the poll to every group linked to
// the case's ward. Without a linked group there is nobody to vote and
// nothing changes: opened is false.
func (b *Bot) openVote(tx Tx, c *casework.Case, cl casework.Closure, now time.Time) (opened bool, err error) {
	groups, err := tx.LinkedGroups(c.DistrictID, c.Ward)
	if err != nil || len(groups) == 0 {
		return false, err
	}
	if cl.ID, err = tx.CreateClosure(cl); err != nil {
		return false, err
	}
	if err := tx.SetCaseStatus(c.ID, casework.StatusClosureVote, now); err != nil {
		return false, err
	}
	detail := fmt.Sprintf("criterion %d", cl.Criterion)
	if cl.TransferTo != 0 {
		if d, err := tx.District(cl.TransferTo); err == nil && d != nil {
			detail += " to " + d.Name
		}
	}
	if err := tx.Audit(casework.AuditEntry{At: now, MemberID: cl.ProposedBy, Action: "closure.propose", CaseID: c.ID, Detail: detail}); err != nil {
		return false, err
	}
	for _, g := range groups {
		loc := b.bundle.Localizer(g.Lang)
		poll := &chat.Poll{
			Question: loc.T("closure_poll_question", map[string]any{"Code": c.Code, "Criterion": loc.T(critMsg(cl.Criterion), nil)}),
			Options:  []string{loc.T("closure_opt_agree", nil), loc.T("closure_opt_not_yet", nil), loc.T("closure_opt_conference", nil)},
		}
		out := chat.Outbound{Platform: chat.Platform(g.Platform), Chat: chat.ChatID(g.ChatID), Poll: poll, Ref: pollRef(cl.ID)}
		if _, err := tx.Enqueue(out, now); err != nil {
			return false, err
		}
	}
	return true, nil
}

func critMsg(c casework.Criterion) string { return fmt.Sprintf("closure_crit_%d", c) }

// errPollNotRecorded fails a vote's handling, so it is retried, while a
// closure poll is still being sent: the vote may be for it, and dropping
// it would lose an acknowledged message.
var errPollNotRecorded = errors.New("vote on a poll not recorded yet while a closure poll is being sent")

// vote handles a native poll answer. Votes on polls that are not closure
// polls, or that carenet never sent, change nothing.
func (t *turn) vote() error {
	v := t.in.Vote
	sp, err := t.tx.Poll(t.in.Platform, v.PollID)
	if err != nil {
		return err
	}
	if sp == nil {
		pending, err := t.tx.ClosurePollPending(t.in.Platform)
		if err != nil || !pending {
			return err
		}
		return fmt.Errorf("poll %s: %w", v.PollID, errPollNotRecorded)
	}
	id, ok := closureOfRef(sp.Ref)
	if !ok {
		return nil
	}
	var ballot *casework.Ballot
	if bs := sp.Ballots(*v); len(bs) > 0 && bs[0] >= 0 && bs[0] < casework.Ballots {
		b := casework.Ballot(bs[0])
		ballot = &b
	}
	m, err := t.findMember()
	if err != nil {
		return err
	}
	t.member = m
	_, err = t.castVote(id, ballot)
	return err
}

// typedBallot reads "1", "2" or "3" typed in a group as a vote.
var typedBallot = regexp.MustCompile(`^\s*([1-3])\s*[.)]?\s*$`)

// typedVote is the fallback for phones that do not show polls: the option
// number typed in the group votes on the newest open closure poll there.
func (t *turn) typedVote() (bool, error) {
	m := typedBallot.FindStringSubmatch(t.in.Text)
	if m == nil {
		return false, nil
	}
	ids, err := t.tx.ClosurePollsIn(t.in.Platform, t.in.Chat)
	if err != nil {
		return false, err
	}
	n, _ := strconv.Atoi(m[1])
	ballot := casework.Ballot(n - 1)
	for _, id := range ids {
		counted, err := t.castVote(id, &ballot)
		if err != nil || counted {
			if counted {
				t.out = append(t.out, chat.Outbound{Platform: t.in.Platform, Chat: t.in.Chat, Text: "👍",
					ReactTo: t.in.ID, ReactToSender: t.in.Sender})
			}
			return counted, err
		}
	}
	return false, nil
}

// castVote records the sender's vote on a proposal still open. counted is
// false when the vote is not open (any more): a registered member is told
// privately. Votes of members who may not vote are counted as ignored and
// change nothing; once every eligible member has voted the vote closes.
func (t *turn) castVote(id int64, ballot *casework.Ballot) (counted bool, err error) {
	cl, err := t.tx.Closure(id)
	if err != nil || cl == nil {
		return false, err
	}
	c, err := t.tx.Case(cl.CaseID)
	if err != nil || c == nil {
		return false, fmt.Errorf("case of closure %d: %v", id, err)
	}
	if cl.State != casework.ClosureVoting || !t.now.Before(cl.ClosesAt) {
		if t.member != nil && t.in.Vote != nil {
			t.privately(t.loc().T("closure_vote_over", map[string]any{"Code": c.Code}))
		}
		return false, nil
	}
	if t.member == nil || !casework.Can(*t.member, casework.Vote, c.Scope()) {
		return false, t.tx.IgnoreVoter(id, string(t.in.Platform)+":"+string(t.in.Sender))
	}
	if err := t.tx.PutVote(id, t.member.ID, ballot, t.now); err != nil {
		return false, err
	}
	if err := t.audit(c.ID, "closure.vote", ballotName(ballot)); err != nil {
		return false, err
	}
	tally, _, err := t.b.tally(t.tx, cl, c)
	if err != nil {
		return true, err
	}
	if tally.Votes() == tally.Eligible && !t.b.isQuiet(t.now) {
		return true, t.b.decide(t.tx, cl, c, t.now)
	}
	// At night the result waits for closureTick, which also closes a vote
	// everyone has cast.
	return true, nil
}

func ballotName(b *casework.Ballot) string {
	if b == nil {
		return "withdrawn"
	}
	return [...]string{"agree", "not_yet", "conference"}[*b]
}

// eligible lists who may vote on the case: the registered CCWs and LCCW of
// its ward and the district's CWOs and CMOs.
func eligible(tx Tx, c *casework.Case) ([]casework.Member, error) {
	staff, err := caseStaff(tx, *c, casework.CCW, casework.LCCW, casework.CWO, casework.CMO)
	if err != nil {
		return nil, err
	}
	out := staff[:0]
	for _, m := range staff {
		if casework.Can(m, casework.Vote, c.Scope()) {
			out = append(out, m)
		}
	}
	return out, nil
}

// tally counts the latest votes of members eligible now (one who moved
// ward since voting no longer counts) and returns who voted what, for the
// audit.
func (b *Bot) tally(tx Tx, cl *casework.Closure, c *casework.Case) (casework.Tally, map[casework.Ballot][]string, error) {
	var t casework.Tally
	voters, err := eligible(tx, c)
	if err != nil {
		return t, nil, err
	}
	byID := map[int64]casework.Member{}
	for _, m := range voters {
		byID[m.ID] = m
	}
	t.Eligible = len(voters)
	votes, err := tx.Votes(cl.ID)
	if err != nil {
		return t, nil, err
	}
	who := map[casework.Ballot][]string{}
	for _, v := range votes {
		m, ok := byID[v.MemberID]
		if !ok || v.Ballot == nil {
			continue
		}
		switch *v.Ballot {
		case casework.BallotAgree:
			t.Agree++
		case casework.BallotNotYet:
			t.NotYet++
		case casework.BallotConference:
			t.Conference++
			t.CCWConference = t.CCWConference || m.ID == c.CCWID
		}
		who[*v.Ballot] = append(who[*v.Ballot], m.Name)
	}
	if t.Ignored, err = tx.IgnoredVoters(cl.ID); err != nil {
		return t, nil, err
	}
	return t, who, nil
}

// decide closes a vote: the outcome goes to the audit with the counts and
// who voted what, one line to the ward's groups, and the next step starts
// (the CWO's approval, a case conference, or the case open again).
func (b *Bot) decide(tx Tx, cl *casework.Closure, c *casework.Case, now time.Time) error {
	rule := b.closure.rule()
	t, who, err := b.tally(tx, cl, c)
	if err != nil {
		return err
	}
	cl.Outcome, cl.DecidedAt = rule.Decide(t), now
	detail := fmt.Sprintf("%s; eligible %d, quorum %d; agree %d %v; not yet %d %v; conference %d %v; ignored %d",
		cl.Outcome, t.Eligible, rule.Quorum(t.Eligible), t.Agree, who[casework.BallotAgree],
		t.NotYet, who[casework.BallotNotYet], t.Conference, who[casework.BallotConference], t.Ignored)
	if err := tx.Audit(casework.AuditEntry{At: now, Action: "closure.result", CaseID: c.ID, Detail: detail}); err != nil {
		return err
	}
	data := map[string]any{"Code": c.Code, "Agree": t.Agree, "NotYet": t.NotYet, "Conference": t.Conference,
		"Votes": t.Votes(), "Quorum": rule.Quorum(t.Eligible)}
	cl.State = casework.ClosureFailed
	status := casework.StatusOpen
	switch cl.Outcome {
	case casework.OutcomePassed:
		cl.State, status = casework.ClosureAwaitingCWO, casework.StatusAwaitingCWO
	case casework.OutcomeConference:
		due := now.Add(ConferenceDue)
		if err := tx.AddDeadline(c.ID, casework.DueConference, due); err != nil {
			return err
		}
		staff, err := caseStaff(tx, *c, casework.LCCW, casework.CWO, casework.CMO)
		if err != nil {
			return err
		}
		for _, m := range staff {
			out := []flows.Output{{Msg: "closure_conference_needed", Data: map[string]any{"Code": c.Code, "Due": when(due.In(b.loc))}}}
			if err := b.tellMember(tx, m, "", out, now); err != nil {
				return err
			}
		}
	}
	if err := tx.UpdateClosure(*cl); err != nil {
		return err
	}
	if err := tx.SetCaseStatus(c.ID, status, now); err != nil {
		return err
	}
	if err := b.postGroups(tx, c, "closure_result_"+string(cl.Outcome), data, now); err != nil {
		return err
	}
	if cl.Outcome == casework.OutcomePassed {
		_, err := b.askApproval(tx, c, cl, casework.CWO, now)
		return err
	}
	return nil
}

// askApproval prompts the CWOs (or the provincial officers) privately: the
// approval question itself when they are free, else how to answer with
// /approve CODE. asked is how many there were.
func (b *Bot) askApproval(tx Tx, c *casework.Case, cl *casework.Closure, role casework.Role, now time.Time) (asked int, err error) {
	approvers, err := tx.MembersByRole(c.DistrictID, 0, role)
	if err != nil {
		return 0, err
	}
	t, _, err := b.tally(tx, cl, c)
	if err != nil {
		return 0, err
	}
	for _, m := range approvers {
		loc := b.bundle.Localizer(m.Lang)
		lead := []flows.Output{{Msg: "closure_approve_" + string(role), Data: map[string]any{
			"Code": c.Code, "Criterion": loc.T(critMsg(cl.Criterion), nil),
			"Agree": t.Agree, "NotYet": t.NotYet, "Conference": t.Conference,
		}}}
		started, err := b.startFlowWith(tx, m, "", approveFlow, map[string]string{"case": c.Code}, lead, now)
		if err != nil {
			return 0, err
		}
		if !started {
			if err := b.tellMember(tx, m, "", lead, now); err != nil {
				return 0, err
			}
		}
	}
	return len(approvers), nil
}

// closureDecision is the approval prompt's action: approve, or not yet.
func closureDecision(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.ApproveClosure)
	if !ok {
		return err
	}
	if res.Answers["decision"] == "approve" {
		return t.approveCase(c)
	}
	return t.declineClosure(c)
}

// approve is /approve CODE.
func (t *turn) approve(arg string) error {
	code, _, _ := strings.Cut(strings.TrimSpace(arg), " ")
	c, ok, err := t.lookupCase(code, "approve", casework.ApproveClosure)
	if !ok {
		return err
	}
	// The approval prompt may still be open; it is answered now.
	if conv, ok, err := privateConv(t.tx, *t.member, t.in.Platform); err != nil {
		return err
	} else if ok {
		if s, err := t.tx.Session(conv); err != nil {
			return err
		} else if s != nil && s.Flow == approveFlow && s.Answers["case"] == c.Code {
			if err := t.tx.DeleteSession(conv); err != nil {
				return err
			}
		}
	}
	return t.approveCase(c)
}

// approveCase records the CWO's approval or the province's authorisation,
// whichever the case waits for and the member may give. A CWO's /approve
// on a case with no closure waiting approves its pending case conference.
func (t *turn) approveCase(c *casework.Case) error {
	cl, err := t.tx.ActiveClosure(c.ID)
	if err != nil {
		return err
	}
	loc := t.loc()
	role := t.member.Role
	switch {
	case cl != nil && cl.State == casework.ClosureAwaitingCWO && role == casework.CWO:
		cl.CWOBy, cl.CWOAt = t.member.ID, t.now
		if err := t.audit(c.ID, "closure.approve", "cwo"); err != nil {
			return err
		}
		if !c.Statutory {
			return t.finishClosure(c, cl)
		}
		cl.State = casework.ClosureAwaitingProvincial
		if err := t.tx.UpdateClosure(*cl); err != nil {
			return err
		}
		if err := t.tx.SetCaseStatus(c.ID, casework.StatusAwaitingProvincial, t.now); err != nil {
			return err
		}
		// No group line here: "statutory" would tell the ward what a
		// private screen may have found. The group hears the end.
		t.privately(loc.T("closure_approved_needs_province", map[string]any{"Code": c.Code}))
		asked, err := t.b.askApproval(t.tx, c, cl, casework.Provincial, t.now)
		if err != nil || asked > 0 {
			return err
		}
		t.privately(loc.T("closure_no_province", map[string]any{"Code": c.Code}))
		return nil
	case cl != nil && cl.State == casework.ClosureAwaitingProvincial && role == casework.Provincial:
		cl.ProvincialBy, cl.ProvincialAt = t.member.ID, t.now
		if err := t.audit(c.ID, "closure.authorise", "provincial"); err != nil {
			return err
		}
		return t.finishClosure(c, cl)
	case cl == nil && role == casework.CWO:
		done, err := t.approveConference(c)
		if err != nil || done {
			return err
		}
	}
	t.privately(loc.T("closure_nothing_to_approve", map[string]any{"Code": c.Code,
		"Status": loc.T("status_"+string(c.Status), nil)}))
	return nil
}

// declineClosure: the approver says not yet; the case stays open.
func (t *turn) declineClosure(c *casework.Case) error {
	cl, err := t.tx.ActiveClosure(c.ID)
	if err != nil {
		return err
	}
	mine := cl != nil && ((cl.State == casework.ClosureAwaitingCWO && t.member.Role == casework.CWO) ||
		(cl.State == casework.ClosureAwaitingProvincial && t.member.Role == casework.Provincial))
	if !mine {
		t.privately(t.loc().T("closure_nothing_to_approve", map[string]any{"Code": c.Code,
			"Status": t.loc().T("status_"+string(c.Status), nil)}))
		return nil
	}
	cl.State = casework.ClosureDeclined
	if err := t.tx.UpdateClosure(*cl); err != nil {
		return err
	}
	if err := t.tx.SetCaseStatus(c.ID, casework.StatusOpen, t.now); err != nil {
		return err
	}
	if err := t.audit(c.ID, "closure.decline", string(t.member.Role)); err != nil {
		return err
	}
	t.privately(t.loc().T("closure_declined_told", map[string]any{"Code": c.Code}))
	return t.b.postGroups(t.tx, c, "closure_group_declined", map[string]any{"Code": c.Code}, t.now)
}

// finishClosure closes the case, or for criterion 4 hands it to the
// receiving district, whose CWOs are told. Its open duties end here.
func (t *turn) finishClosure(c *casework.Case, cl *casework.Closure) error {
	cl.State = casework.ClosureDone
	if err := t.tx.UpdateClosure(*cl); err != nil {
		return err
	}
	due, err := t.tx.OpenDeadlines(c.ID)
	if err != nil {
		return err
	}
	// The duties end with the case; the audit names them, so an action
	// left undone is on record as ended by the closure, not as done.
	var ended []string
	for _, d := range due {
		if err := t.tx.CompleteDeadlines(c.ID, d.Kind, t.now); err != nil {
			return err
		}
		ended = append(ended, fmt.Sprintf("%s %s", d.Kind, d.Due.In(t.b.loc).Format("2006-01-02")))
	}
	approvals, err := t.approvalsText(cl)
	if err != nil {
		return err
	}
	if len(ended) > 0 {
		approvals += "; open duties ended: " + strings.Join(ended, ", ")
	}
	if cl.Criterion != casework.CritTransfer {
		if err := t.tx.SetCaseStatus(c.ID, casework.StatusClosed, t.now); err != nil {
			return err
		}
		if err := t.audit(c.ID, "case.close", fmt.Sprintf("criterion %d; %s", cl.Criterion, approvals)); err != nil {
			return err
		}
		t.privately(t.loc().T("closure_closed_told", map[string]any{"Code": c.Code}))
		return t.b.postGroupsL(t.tx, c, "closure_group_closed", func(lang string) map[string]any {
			return map[string]any{"Code": c.Code, "Criterion": t.b.bundle.Localizer(lang).T(critMsg(cl.Criterion), nil)}
		}, t.now)
	}
	to, err := t.tx.District(cl.TransferTo)
	if err != nil || to == nil {
		return fmt.Errorf("receiving district %d: %v", cl.TransferTo, err)
	}
	from, err := t.tx.District(c.DistrictID)
	if err != nil || from == nil {
		return fmt.Errorf("district %d: %v", c.DistrictID, err)
	}
	// The receiving CWO holds the case until they give it to a CCW.
	cwos, err := t.tx.MembersByRole(to.ID, 0, casework.CWO)
	if err != nil {
		return err
	}
	holder := c.CCWID
	if len(cwos) > 0 {
		holder = cwos[0].ID
	}
	// The old ward's groups hear of it before the case leaves them.
	if err := t.b.postGroups(t.tx, c, "closure_group_transferred", map[string]any{"Code": c.Code, "District": to.Name}, t.now); err != nil {
		return err
	}
	if err := t.tx.TransferCase(c.ID, to.ID, holder); err != nil {
		return err
	}
	if err := t.audit(c.ID, "case.transfer", fmt.Sprintf("from %s to %s; %s", from.Name, to.Name, approvals)); err != nil {
		return err
	}
	t.privately(t.loc().T("closure_transferred_told", map[string]any{"Code": c.Code, "District": to.Name}))
	receiving, err := t.tx.MembersByRole(to.ID, 0, casework.CMO)
	if err != nil {
		return err
	}
	for _, m := range append(cwos, receiving...) {
		out := []flows.Output{{Msg: "closure_transfer_in", Data: map[string]any{"Code": c.Code, "District": from.Name}}}
		if err := t.b.tellMember(t.tx, m, "", out, t.now); err != nil {
			return err
		}
	}
	return nil
}

// approvalsText names who approved and when, for the audit.
func (t *turn) approvalsText(cl *casework.Closure) (string, error) {
	var parts []string
	for _, a := range []struct {
		what string
		by   int64
		at   time.Time
	}{{"cwo", cl.CWOBy, cl.CWOAt}, {"provincial", cl.ProvincialBy, cl.ProvincialAt}} {
		if a.by == 0 {
			continue
		}
		m, err := t.tx.Member(a.by)
		if err != nil || m == nil {
			return "", fmt.Errorf("approver %d: %v", a.by, err)
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", a.what, m.Name, a.at.In(t.b.loc).Format("2006-01-02 15:04")))
	}
	return strings.Join(parts, "; "), nil
}

// reopen is /reopen CODE REASON, for the CWO: a closed case opens again
// with a review due within a week. The reason is sealed like a note.
func (t *turn) reopen(arg string) error {
	code, reason, _ := strings.Cut(strings.TrimSpace(arg), " ")
	c, ok, err := t.lookupCase(code, "reopen", casework.ApproveClosure)
	if !ok {
		return err
	}
	loc := t.loc()
	switch {
	case t.member.Role != casework.CWO:
		t.privately(loc.T("no_permission", nil))
		return nil
	case c.Status != casework.StatusClosed:
		t.privately(loc.T("reopen_not_closed", map[string]any{"Code": c.Code, "Status": loc.T("status_"+string(c.Status), nil)}))
		return nil
	case strings.TrimSpace(reason) == "":
		t.privately(loc.T("reopen_reason_needed", map[string]any{"Code": c.Code}))
		return nil
	}
	if err := t.tx.SetCaseStatus(c.ID, casework.StatusOpen, t.now); err != nil {
		return err
	}
	data, err := t.noteData(c, strings.TrimSpace(reason))
	if err != nil {
		return err
	}
	if _, err := t.tx.AddRecord(casework.Record{CaseID: c.ID, Kind: "reopen", MemberID: t.member.ID, At: t.now, Data: data, Chat: t.chatRef()}); err != nil {
		return err
	}
	due := t.now.Add(ReopenReviewDue)
	if err := t.tx.AddDeadline(c.ID, casework.DueReview, due); err != nil {
		return err
	}
	if err := t.audit(c.ID, "case.reopen", ""); err != nil {
		return err
	}
	t.privately(loc.T("reopen_done", map[string]any{"Code": c.Code, "Due": when(due)}))
	return t.b.postGroups(t.tx, c, "reopen_group", map[string]any{"Code": c.Code}, t.now)
}

// closureTick closes votes whose deadline has passed and reminds, once,
// eligible members who have not voted when half the time is gone. Nothing
// is posted in quiet hours: a vote that ends at night is decided (on the
// votes cast before its deadline) when they end.
func (b *Bot) closureTick(ctx context.Context, now time.Time) error {
	if b.isQuiet(now) {
		return nil
	}
	return b.update(ctx, func(tx Tx) error {
		open, err := tx.VotingClosures()
		if err != nil {
			return err
		}
		for i := range open {
			cl := &open[i]
			c, err := tx.Case(cl.CaseID)
			if err != nil || c == nil {
				return fmt.Errorf("case of closure %d: %v", cl.ID, err)
			}
			half := cl.ProposedAt.Add(cl.ClosesAt.Sub(cl.ProposedAt) / 2)
			all, err := b.allVoted(tx, cl, c)
			if err != nil {
				return err
			}
			switch {
			case !now.Before(cl.ClosesAt) || all:
				err = b.decide(tx, cl, c, now)
			case cl.RemindedAt.IsZero() && !now.Before(half):
				err = b.remindVoters(tx, cl, c, now)
			}
			if err != nil {
				return fmt.Errorf("closure %d: %w", cl.ID, err)
			}
		}
		return nil
	})
}

// allVoted reports whether every eligible member has a vote in.
func (b *Bot) allVoted(tx Tx, cl *casework.Closure, c *casework.Case) (bool, error) {
	t, _, err := b.tally(tx, cl, c)
	return t.Eligible > 0 && t.Votes() == t.Eligible, err
}

func (b *Bot) isQuiet(now time.Time) bool { return b.quiet != nil && b.quiet(now) }

// remindVoters tells eligible members who have not voted, privately, when
// the vote closes.
func (b *Bot) remindVoters(tx Tx, cl *casework.Closure, c *casework.Case, now time.Time) error {
	voters, err := eligible(tx, c)
	if err != nil {
		return err
	}
	votes, err := tx.Votes(cl.ID)
	if err != nil {
		return err
	}
	voted := map[int64]bool{}
	for _, v := range votes {
		voted[v.MemberID] = v.Ballot != nil
	}
	for _, m := range voters {
		if voted[m.ID] {
			continue
		}
		out := []flows.Output{{Msg: "closure_vote_reminder", Data: map[string]any{"Code": c.Code, "Due": when(cl.ClosesAt.In(b.loc))}}}
		if err := b.tellMember(tx, m, "", out, now); err != nil {
			return err
		}
	}
	cl.RemindedAt = now
	return tx.UpdateClosure(*cl)
}

// proposeAt18 opens a criterion-2 vote when a child turns 18, unless the
// case is not open, a proposal is under way or no group is linked (the
// staff are told either way).
func (b *Bot) proposeAt18(tx Tx, c *casework.Case, now time.Time) error {
	if c.Status != casework.StatusOpen {
		return nil
	}
	cl, err := tx.ActiveClosure(c.ID)
	if err != nil || cl != nil {
		return err
	}
	_, err = b.openVote(tx, c, casework.Closure{CaseID: c.ID, Criterion: casework.CritAge18, ProposedAt: now,
		ClosesAt: now.Add(b.closure.VoteDeadline)}, now)
	return err
}
