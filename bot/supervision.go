package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// The monthly peer-supervision round (DOMAIN.md §4): /supervision in a
// ward group by its LCCW (or a CWO/CMO), or on the configured day of the
// month, sends each CCW of the ward the check-in flow privately.
//
// Choices where the issue is silent:
//   - The check-in has no command of its own (turn.go routes only known
//     commands): a CCW starts or resumes it with /supervision in the
//     private chat while the round is open. A CCW busy with another flow
//     when the round starts is not interrupted (startFlowFor) but told to
//     send /supervision when done.
//   - The WHO-5 items are a flow of their own (who5.yaml), started right
//     after a saved check-in when supervision.who5 is on: the engine has no
//     config-dependent steps, and one copy of the check-in stays the only
//     one to edit.
//   - A new concern for the CWO (Q4) tells the district's CWOs and CMOs
//     privately at once, with the CCW's name and ward only; they contact
//     the CCW. It is audited.
//   - The round closes early as soon as every CCW has answered (WHO-5
//     included when on); otherwise after Round. The summary, the call
//     requests, the CWO notice and the group's totals all go out when it
//     closes.
//   - The one reminder goes 24 h after the start to CCWs who have not
//     begun (or were busy and have no check-in open). Their check-in
//     session is marked reminded when it starts, so the generic idle
//     reminder does not remind them a second time; a CCW who stopped
//     halfway gets the generic idle reminder 24 h after their last
//     answer instead. An untouched check-in still expires like any flow
//     after twice the idle timeout (48 h); /supervision starts it again
//     while the round is open.
//   - The scheduler starts a round on DayOfMonth in every ward with an
//     active linked group and an LCCW, unless the ward already had a
//     round that calendar month (the LCCW may have run /supervision).
//   - Nothing the scheduler sends goes out in quiet hours: starts,
//     reminders and closings wait for the first tick after them; an answer
//     that arrives after the closing time but before that tick is refused.
//   - The group sees counts only; case codes of stuck cases go to the
//     LCCW privately.

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
type supervisionTx interface {
	CreateRound(r casework.Round) (int64, error)
	OpenRound(districtID int64, ward int) (*casework.Round, error)
	UnclosedRounds() ([]casework.Round, error)
	RoundInMonth(districtID int64, ward int, month string) (bool, error)
	LastRoundOfMonth(districtID int64, ward int, month string) (*casework.Round, error)
	MarkRoundReminded(id int64, now time.Time) error
	CloseRound(id int64, now time.Time) error
	SupervisionWards() ([]casework.WardRef, error)
	AddCheckIn(roundID, memberID int64) error
	CheckIn(roundID, memberID int64) (*casework.CheckIn, error)
	CheckIns(roundID int64) ([]casework.CheckIn, error)
	SaveCheckIn(c casework.CheckIn) error
	SaveWHO5(roundID, memberID int64, raw int) error
}

// The flows of the round (flows/defs/checkin.yaml, who5.yaml) and the
// score ids and levels that carry their thresholds.
const (
	checkinFlow  = "checkin"
	who5Flow     = "who5"
	burnoutScore = "burnout"
	burnoutLevel = "burnout"
	who5Score    = "who5"
	who5OKLevel  = "ok"
)

func supervisionActions() map[string]action {
	return map[string]action{"record_checkin": recordCheckIn, "record_who5": recordWHO5}
}

// supervisionRules reads the thresholds from the flows' score levels, so
// a changed flow file changes the rule; a flow without them keeps
// DOMAIN.md's defaults.
func (b *Bot) supervisionRules() casework.SupervisionRules {
	r := casework.DefaultSupervisionRules
	if min, ok := b.levelMin(checkinFlow, burnoutScore, burnoutLevel); ok {
		r.BurnoutMin = min
	}
	if min, ok := b.levelMin(who5Flow, who5Score, who5OKLevel); ok {
		r.WHO5PoorBelow = min
	}
	return r
}

func (b *Bot) levelMin(flowID, score, level string) (int, bool) {
	f, ok := b.engine.Flow(flowID)
	if !ok {
		return 0, false
	}
	for _, sc := range f.Scores {
		if sc.ID != score {
			continue
		}
		for _, l := range sc.Levels {
			if l.Level == level {
				return l.Min, true
			}
		}
	}
	return 0, false
}

// supervision starts a round in the ward group it is typed in; in a
// private chat a CCW starts or resumes their own check-in.
func (t *turn) supervision(arg string) error {
	if t.private() {
		return t.checkinCommand()
	}
	g, err := t.tx.Chat(t.in.Platform, t.in.Chat)
	if err != nil {
		return err
	}
	m := t.member
	loc := t.loc()
	switch {
	case g == nil || !g.Linked || g.Ward == 0:
		t.privately(loc.T("supervision_not_linked", nil))
		return nil
	case !mayStartRound(*m, g.DistrictID, g.Ward):
		t.privately(loc.T("no_permission", nil))
		return nil
	}
	problem, data, err := t.b.startRound(t.tx, casework.WardRef{DistrictID: g.DistrictID, Ward: g.Ward}, m.ID, t.in.Platform, t.now)
	if err != nil {
		return err
	}
	if problem != "" {
		t.privately(loc.T(problem, data))
	}
	return nil
}

// mayStartRound: the ward's LCCW, or the district's CWO or CMO.
func mayStartRound(m casework.Member, districtID int64, ward int) bool {
	if m.DistrictID != districtID {
		return false
	}
	switch m.Role {
	case casework.LCCW:
		return m.Ward == ward
	case casework.CWO, casework.CMO:
		return true
	}
	return false
}

// startRound opens a round for a ward: one line to the ward's groups, then
// the check-in in each CCW's private chat. by is 0 for the scheduler. A
// round already open, or a ward without CCWs, changes nothing: problem
// names the message that says so.
func (b *Bot) startRound(tx Tx, w casework.WardRef, by int64, p chat.Platform, now time.Time) (problem string, data map[string]any, err error) {
	open, err := tx.OpenRound(w.DistrictID, w.Ward)
	if err != nil {
		return "", nil, err
	}
	if open != nil {
		return "supervision_open_already", map[string]any{"Ward": w.Ward, "Due": when(open.Closes.In(b.loc))}, nil
	}
	ccws, err := tx.MembersByRole(w.DistrictID, w.Ward, casework.CCW)
	if err != nil {
		return "", nil, err
	}
	if len(ccws) == 0 {
		return "supervision_no_ccws", map[string]any{"Ward": w.Ward}, nil
	}
	r := casework.Round{DistrictID: w.DistrictID, Ward: w.Ward, StartedBy: by, Started: now,
		Closes: now.Add(b.superv.Round), Month: casework.MonthOf(now.In(b.loc))}
	if r.ID, err = tx.CreateRound(r); err != nil {
		return "", nil, err
	}
	due := when(r.Closes.In(b.loc))
	reached := 0
	for _, c := range ccws {
		if err := tx.AddCheckIn(r.ID, c.ID); err != nil {
			return "", nil, err
		}
		if _, ok, err := privateConv(tx, c, p); err != nil {
			return "", nil, err
		} else if ok {
			reached++
		}
	}
	// The group line goes first, so the ward reads it before the private
	// questions arrive.
	if err := b.wardLine(tx, w, "supervision_sent", map[string]any{"Count": reached, "Due": due}, now); err != nil {
		return "", nil, err
	}
	for _, c := range ccws {
		started, err := b.startFlowFor(tx, c, p, checkinFlow, nil, now)
		if err != nil {
			return "", nil, err
		}
		if started {
			// The round sends its own reminder; the idle reminder
			// would be a second one.
			if conv, ok, err := privateConv(tx, c, p); err != nil {
				return "", nil, err
			} else if ok {
				if err := tx.MarkReminded(conv, now); err != nil {
					return "", nil, err
				}
			}
			continue
		}
		if err := b.tellMember(tx, c, p, []flows.Output{{Msg: "checkin_busy", Data: map[string]any{"Due": due}}}, now); err != nil {
			return "", nil, err
		}
	}
	return "", nil, tx.Audit(casework.AuditEntry{At: now, MemberID: by, Action: "supervision.start",
		Detail: fmt.Sprintf("ward %d, %d CCWs", w.Ward, len(ccws))})
}

// wardLine posts one line to every active group linked to the ward, in
// each group's language.
func (b *Bot) wardLine(tx Tx, w casework.WardRef, msg string, data map[string]any, now time.Time) error {
	return b.postWard(tx, w.DistrictID, w.Ward, msg, func(string) map[string]any { return data }, now)
}

// checkinCommand is /supervision in a private chat: a CCW of a ward with
// an open round starts the check-in, resumes it where it stopped, or gets
// the WHO-5 items still missing.
func (t *turn) checkinCommand() error {
	m := t.member
	loc := t.loc()
	if m.Role != casework.CCW {
		t.reply(loc.T("supervision_use_group", nil))
		return nil
	}
	r, err := t.tx.OpenRound(m.DistrictID, m.Ward)
	if err != nil {
		return err
	}
	if r == nil || !r.Open(t.now) {
		t.reply(loc.T("checkin_none_open", nil))
		return nil
	}
	c, err := t.tx.CheckIn(r.ID, m.ID)
	if err != nil {
		return err
	}
	if c == nil {
		// Registered after the round started: they may still answer.
		if err := t.tx.AddCheckIn(r.ID, m.ID); err != nil {
			return err
		}
		c = &casework.CheckIn{RoundID: r.ID, MemberID: m.ID, WHO5: -1}
	}
	flowID := checkinFlow
	if c.HasAnswered() {
		if !t.b.superv.WHO5 || c.WHO5 >= 0 {
			t.reply(loc.T("checkin_already", nil))
			return nil
		}
		flowID = who5Flow
	}
	conv := t.in.Conversation()
	s, err := t.tx.Session(conv)
	if err != nil {
		return err
	}
	if s != nil && s.Flow == flowID {
		if again, err := t.b.engine.Prompt(*s); err == nil {
			n := len(t.out)
			t.say(conv.Chat, again)
			markQuestion(t.out[n:], *s)
			return nil
		}
	}
	f, ok := t.b.engine.Flow(flowID)
	if !ok {
		return fmt.Errorf("supervision: no flow %q", flowID)
	}
	return t.startFlow(f, map[string]string{})
}

// roundFor is the open round a finished check-in belongs to, with the
// member's place in it; nil when the round closed meanwhile (the member
// is told and nothing is stored).
func (t *turn) roundFor(conv chat.Conversation) (*casework.Round, *casework.CheckIn, error) {
	m := t.member
	r, err := t.tx.OpenRound(m.DistrictID, m.Ward)
	if err != nil {
		return nil, nil, err
	}
	if r == nil || !r.Open(t.now) || m.Role != casework.CCW {
		return nil, nil, t.sayNow(conv.Chat, []flows.Output{{Msg: "checkin_closed"}})
	}
	c, err := t.tx.CheckIn(r.ID, m.ID)
	if err != nil {
		return nil, nil, err
	}
	if c == nil {
		if err := t.tx.AddCheckIn(r.ID, m.ID); err != nil {
			return nil, nil, err
		}
		c = &casework.CheckIn{RoundID: r.ID, MemberID: m.ID, WHO5: -1}
	}
	return r, c, nil
}

// sayNow queues outputs at once rather than at the end of the turn, so
// they come before what closing a round sends to others.
func (t *turn) sayNow(to chat.ChatID, outs []flows.Output) error {
	return enqueueAll(t.tx, render(t.loc(), t.in.Platform, to, outs), t.now)
}

// recordCheckIn stores a finished check-in, tells the CWO of a new
// concern, then starts the WHO-5 items or, if everyone has answered,
// closes the round.
func recordCheckIn(t *turn, conv chat.Conversation, res flows.Result) error {
	r, c, err := t.roundFor(conv)
	if r == nil || err != nil {
		return err
	}
	if c.HasAnswered() {
		return t.sayNow(conv.Chat, []flows.Output{{Msg: "checkin_already"}})
	}
	ci, err := parseCheckIn(res)
	if err != nil {
		return err
	}
	ci.RoundID, ci.MemberID, ci.Answered, ci.WHO5 = r.ID, t.member.ID, t.now, c.WHO5
	if err := t.tx.SaveCheckIn(ci); err != nil {
		return err
	}
	if err := t.audit(0, "supervision.checkin", fmt.Sprintf("round %d", r.ID)); err != nil {
		return err
	}
	rules := t.b.supervisionRules()
	var outs []flows.Output
	if rules.Burnout(ci.Burnout) {
		outs = append(outs, flows.Output{Msg: "checkin_saved_call"})
	} else {
		outs = append(outs, flows.Output{Msg: "checkin_saved"})
	}
	if ci.Concern {
		outs = append(outs, flows.Output{Msg: "checkin_concern_told"})
	}
	if err := t.sayNow(conv.Chat, outs); err != nil {
		return err
	}
	if ci.Concern {
		if err := t.concernToDistrict(); err != nil {
			return err
		}
	}
	if ci.StuckCode != "" {
		// The stuck case's own history shows that it was named.
		if sc, err := t.tx.CaseByCode(ci.StuckCode); err != nil {
			return err
		} else if sc != nil && sc.DistrictID == t.member.DistrictID {
			if err := t.audit(sc.ID, "supervision.stuck", fmt.Sprintf("round %d", r.ID)); err != nil {
				return err
			}
		}
	}
	if t.b.superv.WHO5 && ci.WHO5 < 0 {
		start, err := t.b.engine.Start(who5Flow, nil, t.env())
		if err != nil {
			return fmt.Errorf("start %s: %w", who5Flow, err)
		}
		return t.apply(conv, start)
	}
	return t.closeIfDone(*r)
}

// concernToDistrict is Q4's "private escalation": the district's CWOs and
// CMOs are asked to contact the CCW. Nothing about a child is in it.
func (t *turn) concernToDistrict() error {
	m := t.member
	staff, err := wardStaff(t.tx, m.DistrictID, m.Ward, casework.CWO, casework.CMO)
	if err != nil {
		return err
	}
	for _, s := range staff {
		if err := t.tell(s, []flows.Output{{Msg: "alert_checkin_concern", Data: map[string]any{"Name": m.Name, "Ward": m.Ward}}}); err != nil {
			return err
		}
	}
	return t.audit(0, "supervision.concern", fmt.Sprintf("ward %d", m.Ward))
}

// recordWHO5 stores the raw WHO-5 score and offers support when it is
// poor.
func recordWHO5(t *turn, conv chat.Conversation, res flows.Result) error {
	r, c, err := t.roundFor(conv)
	if r == nil || err != nil {
		return err
	}
	sc, ok := res.Scores[who5Score]
	if !ok {
		return fmt.Errorf("%s: no score %q", who5Flow, who5Score)
	}
	poor, err := t.b.supervisionRules().PoorWellbeing(sc.Value)
	if err != nil {
		return err
	}
	if err := t.tx.SaveWHO5(r.ID, c.MemberID, sc.Value); err != nil {
		return err
	}
	msg := "who5_saved"
	if poor {
		msg = "who5_poor"
	}
	if err := t.sayNow(conv.Chat, []flows.Output{{Msg: msg}}); err != nil {
		return err
	}
	return t.closeIfDone(*r)
}

// closeIfDone closes the round early once every CCW has answered.
func (t *turn) closeIfDone(r casework.Round) error {
	cs, err := t.tx.CheckIns(r.ID)
	if err != nil {
		return err
	}
	if !casework.AllAnswered(cs, t.b.superv.WHO5) {
		return nil
	}
	return t.b.closeRound(t.tx, r, cs, t.now)
}

// parseCheckIn reads the check-in's answers by the step ids of
// checkin.yaml; the burnout item is the flow's burnout score.
func parseCheckIn(res flows.Result) (casework.CheckIn, error) {
	a := res.Answers
	c := casework.CheckIn{Answers: a, StuckCode: a["stuck_case"], Concern: a["concern"] == "yes",
		Challenge: a["challenge"], Training: a["training"], Burnout: res.Scores[burnoutScore].Value}
	if a["stuck"] != "yes" {
		c.StuckCode = ""
	}
	var errs []error
	for key, dst := range map[string]*int{"open_cases": &c.OpenCases, "visits": &c.Visits,
		"referrals_made": &c.ReferralsMade, "referrals_done": &c.ReferralsDone} {
		v, ok := a[key]
		if !ok {
			continue // a step program staff removed
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("check-in answer %s=%q: %w", key, v, err))
		}
		*dst = n
	}
	return c, errors.Join(errs...)
}

// closeRound ends a round: the LCCW's private summary and call requests,
// the CWO's notice of burnout two months running, and one line of totals
// for the ward's groups.
func (b *Bot) closeRound(tx Tx, r casework.Round, cs []casework.CheckIn, now time.Time) error {
	if err := tx.CloseRound(r.ID, now); err != nil {
		return err
	}
	rules := b.supervisionRules()
	w := casework.WardRef{DistrictID: r.DistrictID, Ward: r.Ward}
	names := map[int64]string{}
	for _, c := range cs {
		m, err := tx.Member(c.MemberID)
		if err != nil {
			return err
		}
		if m != nil {
			names[c.MemberID] = m.Name
		}
	}
	leads, err := tx.MembersByRole(r.DistrictID, r.Ward, casework.LCCW)
	if err != nil {
		return err
	}
	tot := rules.Totals(cs)
	for _, l := range leads {
		outs := b.summary(l.Lang, r, cs, names, rules, tot)
		for _, c := range cs {
			name := names[c.MemberID]
			switch {
			case !c.HasAnswered():
			case rules.Burnout(c.Burnout):
				outs = append(outs, flows.Output{Msg: "supervision_call_burnout", Data: map[string]any{"Name": name, "Burnout": c.Burnout}})
			case rules.NeedsCall(c):
				outs = append(outs, flows.Output{Msg: "supervision_call_wellbeing", Data: map[string]any{"Name": name, "Score": c.WHO5}})
			}
		}
		if err := b.tellMember(tx, l, "", outs, now); err != nil {
			return err
		}
	}
	if err := b.burnoutTwice(tx, r, cs, names, rules, now); err != nil {
		return err
	}
	if err := b.wardLine(tx, w, "supervision_group_totals", map[string]any{"Answered": tot.Answered, "Invited": tot.Invited,
		"Stuck": tot.Stuck, "Calls": tot.Calls}, now); err != nil {
		return err
	}
	return tx.Audit(casework.AuditEntry{At: now, Action: "supervision.close",
		Detail: fmt.Sprintf("ward %d, %d of %d answered", r.Ward, tot.Answered, tot.Invited)})
}

// summary is the LCCW's private summary of a round in their language: a
// head line, then per CCW their numbers and flags, or "no answer". render
// joins the lines into one message.
func (b *Bot) summary(lang string, r casework.Round, cs []casework.CheckIn, names map[int64]string, rules casework.SupervisionRules, tot casework.SupervisionTotals) []flows.Output {
	loc := b.bundle.Localizer(lang)
	outs := []flows.Output{{Msg: "supervision_summary_head", Data: map[string]any{"Ward": r.Ward, "Answered": tot.Answered, "Invited": tot.Invited}}}
	for _, c := range cs {
		name := names[c.MemberID]
		if !c.HasAnswered() {
			outs = append(outs, flows.Output{Msg: "supervision_summary_no_answer", Data: map[string]any{"Name": name}})
			continue
		}
		outs = append(outs, flows.Output{Msg: "supervision_summary_ccw", Data: map[string]any{"Name": name, "Open": c.OpenCases,
			"Visits": c.Visits, "Made": c.ReferralsMade, "Completed": c.ReferralsDone, "Burnout": c.Burnout,
			"Challenge": loc.T(b.choiceLabel(checkinFlow, "challenge", c.Challenge), nil),
			"Training":  loc.T(b.choiceLabel(checkinFlow, "training", c.Training), nil)}})
		if c.StuckCode != "" {
			outs = append(outs, flows.Output{Msg: "supervision_summary_stuck", Data: map[string]any{"Code": c.StuckCode}})
		}
		if c.Concern {
			outs = append(outs, flows.Output{Msg: "supervision_summary_concern"})
		}
		if rules.Burnout(c.Burnout) {
			outs = append(outs, flows.Output{Msg: "supervision_summary_burnout"})
		}
		if c.WHO5 >= 0 {
			msg := "supervision_summary_who5"
			if poor, err := rules.PoorWellbeing(c.WHO5); err == nil && poor {
				msg = "supervision_summary_who5_poor"
			}
			outs = append(outs, flows.Output{Msg: msg, Data: map[string]any{"Score": c.WHO5}})
		}
	}
	return outs
}

// choiceLabel is the message ID of a choice's label in a flow file, so the
// summary speaks the words of the question the CCW answered.
func (b *Bot) choiceLabel(flowID, step, value string) string {
	if f, ok := b.engine.Flow(flowID); ok {
		for _, st := range f.Steps {
			if st.ID != step {
				continue
			}
			for _, c := range st.Choices {
				if c.Value == value {
					return c.Label
				}
			}
		}
	}
	return "opt_other"
}

// burnoutTwice tells the district's CWOs privately about a CCW who
// reported burnout in this round and in the ward's round of the month
// before.
func (b *Bot) burnoutTwice(tx Tx, r casework.Round, cs []casework.CheckIn, names map[int64]string, rules casework.SupervisionRules, now time.Time) error {
	prev, err := tx.LastRoundOfMonth(r.DistrictID, r.Ward, casework.PreviousMonth(r.Month))
	if err != nil || prev == nil {
		return err
	}
	var cwos []casework.Member
	for _, c := range cs {
		if !c.HasAnswered() || !rules.Burnout(c.Burnout) {
			continue
		}
		pc, err := tx.CheckIn(prev.ID, c.MemberID)
		if err != nil {
			return err
		}
		if pc == nil || !rules.BurnoutTwoMonths(*prev, *pc, r, c) {
			continue
		}
		if cwos == nil {
			if cwos, err = tx.MembersByRole(r.DistrictID, 0, casework.CWO); err != nil {
				return err
			}
		}
		for _, cwo := range cwos {
			if err := b.tellMember(tx, cwo, "", []flows.Output{{Msg: "supervision_cwo_twice",
				Data: map[string]any{"Name": names[c.MemberID], "Ward": r.Ward}}}, now); err != nil {
				return err
			}
		}
		if err := tx.Audit(casework.AuditEntry{At: now, MemberID: c.MemberID, Action: "supervision.burnout_twice",
			Detail: fmt.Sprintf("round %d", r.ID)}); err != nil {
			return err
		}
	}
	return nil
}

// supervisionTick starts rounds on the configured day, reminds CCWs who
// have not answered and closes rounds whose time is up. Nothing happens in
// quiet hours; the first tick after them catches up.
func (b *Bot) supervisionTick(ctx context.Context, now time.Time) error {
	if b.quiet != nil && b.quiet(now) {
		return nil
	}
	return b.update(ctx, func(tx Tx) error {
		if err := b.scheduledRounds(tx, now); err != nil {
			return err
		}
		rounds, err := tx.UnclosedRounds()
		if err != nil {
			return err
		}
		for _, r := range rounds {
			switch {
			case !r.Open(now):
				cs, err := tx.CheckIns(r.ID)
				if err != nil {
					return err
				}
				if err := b.closeRound(tx, r, cs, now); err != nil {
					return fmt.Errorf("close round %d: %w", r.ID, err)
				}
			case r.ReminderDue(now):
				if err := b.remindRound(tx, r, now); err != nil {
					return fmt.Errorf("remind round %d: %w", r.ID, err)
				}
			}
		}
		return nil
	})
}

// scheduledRounds starts the month's round on or after DayOfMonth in every
// ward that has a linked group and an LCCW and no round this month yet: a
// carenet that was down on the day (a power cut) still holds the month's
// round, and the two-months-running burnout check keeps its months.
func (b *Bot) scheduledRounds(tx Tx, now time.Time) error {
	day := b.superv.DayOfMonth
	local := now.In(b.loc)
	if day <= 0 || local.Day() < day {
		return nil
	}
	wards, err := tx.SupervisionWards()
	if err != nil {
		return err
	}
	month := casework.MonthOf(local)
	for _, w := range wards {
		had, err := tx.RoundInMonth(w.DistrictID, w.Ward, month)
		if err != nil {
			return err
		}
		if had {
			continue
		}
		problem, _, err := b.startRound(tx, w, 0, "", now)
		if err != nil {
			return fmt.Errorf("ward %d: %w", w.Ward, err)
		}
		if problem != "" {
			b.log.Info("monthly supervision round not started", "district", w.DistrictID, "ward", w.Ward, "why", problem)
		}
	}
	return nil
}

// remindRound reminds, once, each CCW who has not finished the check-in:
// with the open question again if they are in it, else how to start it.
func (b *Bot) remindRound(tx Tx, r casework.Round, now time.Time) error {
	cs, err := tx.CheckIns(r.ID)
	if err != nil {
		return err
	}
	data := map[string]any{"Due": when(r.Closes.In(b.loc))}
	for _, c := range cs {
		if c.HasAnswered() {
			continue
		}
		m, err := tx.Member(c.MemberID)
		if err != nil || m == nil {
			return err
		}
		conv, ok, err := privateConv(tx, *m, "")
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		s, err := tx.Session(conv)
		if err != nil {
			return err
		}
		if s != nil && s.Flow == checkinFlow && len(s.Answers) > 0 {
			// Stopped halfway: the idle reminder, 24 h after their last
			// answer, is their one reminder.
			continue
		}
		var again []flows.Output
		if s != nil && s.Flow == checkinFlow {
			again, _ = b.engine.Prompt(*s) // a flow changed meanwhile: the reminder alone
		}
		if len(again) == 0 {
			if err := b.tellMember(tx, *m, conv.Platform, []flows.Output{{Msg: "supervision_reminder_start", Data: data}}, now); err != nil {
				return err
			}
			continue
		}
		outs := render(b.bundle.Localizer(m.Lang), conv.Platform, conv.Chat, append([]flows.Output{{Msg: "supervision_reminder", Data: data}}, again...))
		markQuestion(outs, *s)
		if err := enqueueAll(tx, outs, now); err != nil {
			return err
		}
		if err := tx.MarkReminded(conv, now); err != nil {
			return err
		}
	}
	return tx.MarkRoundReminded(r.ID, now)
}
