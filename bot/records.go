package bot

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// The actions of the case flows (/assess, /plan, /visit, /refer, /review).
// Each stores one record, moves the case's deadlines and tells the people
// the NCMS rules name; the flow's permission was checked before it started
// and the case code answer is canonical.

// flowCase loads the case a finished flow is about. The permission check
// ran at start, but a session may outlive a change (a transfer), so it is
// checked again: a refused action changes nothing.
func (t *turn) flowCase(res flows.Result, need casework.Action) (*casework.Case, bool, error) {
	return t.lookupCase(res.Answers["case"], "", need)
}

// record stores the answers (all but the case code) as a case record and
// audits it.
func (t *turn) record(c *casework.Case, kind string, ans map[string]string) error {
	data := maps.Clone(ans)
	delete(data, "case")
	if _, err := t.tx.AddRecord(casework.Record{CaseID: c.ID, Kind: kind, MemberID: t.member.ID, At: t.now,
		Data: data, Chat: t.chatRef()}); err != nil {
		return err
	}
	return t.audit(c.ID, "case."+kind, "")
}

func (t *turn) chatRef() string { return string(t.in.Platform) + ":" + string(t.in.Chat) }

// onDay is 08:00 on a date answer ("2006-01-02"): reminders for a dated
// duty go out that morning.
func (t *turn) onDay(answer string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", answer, t.b.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("date answer %q: %w", answer, err)
	}
	return d.Add(8 * time.Hour), nil
}

func recordAssessment(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Assess)
	if !ok {
		return err
	}
	if err := t.record(c, "assessment", res.Answers); err != nil {
		return err
	}
	if err := t.tx.CompleteDeadlines(c.ID, casework.DueInitialAssessment, t.now); err != nil {
		return err
	}
	name := t.member.Name
	switch res.Answers["outcome"] {
	case "full_assessment":
		due := t.now.Add(casework.FullAssessmentDue)
		if err := t.tx.AddDeadline(c.ID, casework.DueFullAssessment, due); err != nil {
			return err
		}
		t.say(conv.Chat, []flows.Output{{Msg: "assessment_full", Data: map[string]any{"Code": c.Code, "Due": when(due)}}})
		return t.alertDistrict(*c, "alert_full_assessment", map[string]any{"Code": c.Code, "Name": name, "Due": when(due)})
	case "emergency":
		if err := t.audit(c.ID, "case.escalate", "emergency"); err != nil {
			return err
		}
		t.say(conv.Chat, []flows.Output{{Msg: "assessment_emergency", Data: map[string]any{"Code": c.Code}}})
		if err := t.groupLine(*c, "group_escalated", map[string]any{"Code": c.Code}); err != nil {
			return err
		}
		return t.alertDistrict(*c, "alert_emergency", map[string]any{"Code": c.Code, "Name": name})
	}
	t.say(conv.Chat, []flows.Output{{Msg: "assessment_saved", Data: map[string]any{"Code": c.Code}}})
	return nil
}

func addPlanAction(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Plan)
	if !ok {
		return err
	}
	due, err := t.onDay(res.Answers["due"])
	if err != nil {
		return err
	}
	if err := t.addPlanItem(c, res.Answers, due); err != nil {
		return err
	}
	t.say(conv.Chat, []flows.Output{{Msg: "plan_saved", Data: map[string]any{"Code": c.Code, "Due": day(due)}}})
	return nil
}

// addPlanItem stores one case-plan action, however it came (/plan, a
// screening's proposals, a conference's decisions), with the deadline
// that follows it up.
func (t *turn) addPlanItem(c *casework.Case, data map[string]string, due time.Time) error {
	if err := t.record(c, "plan", data); err != nil {
		return err
	}
	return t.tx.AddDeadline(c.ID, casework.DueAction, due)
}

func recordVisit(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Update)
	if !ok {
		return err
	}
	next, err := t.onDay(res.Answers["next"])
	if err != nil {
		return err
	}
	if err := t.record(c, "visit", res.Answers); err != nil {
		return err
	}
	if err := t.tx.CompleteDeadlines(c.ID, casework.DueVisit, t.now); err != nil {
		return err
	}
	if err := t.tx.AddDeadline(c.ID, casework.DueVisit, next); err != nil {
		return err
	}
	outs := []flows.Output{{Msg: "visit_saved", Data: map[string]any{"Code": c.Code, "Next": day(next)}}}
	if res.Answers["new_need"] == "yes" {
		outs = append(outs, flows.Output{Msg: "visit_new_need_hint", Data: map[string]any{"Code": c.Code}})
	}
	if res.Answers["safety"] == "yes" {
		outs = append(outs, flows.Output{Msg: "visit_safety_told"})
		if err := t.alertDistrict(*c, "alert_safety", map[string]any{"Code": c.Code, "Name": t.member.Name}); err != nil {
			return err
		}
	}
	t.say(conv.Chat, outs)
	return nil
}

// addReferral records a new referral (follow-up in 14 days) or feedback on
// one: completed closes the follow-up, otherwise it moves 14 days on.
func addReferral(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Refer)
	if !ok {
		return err
	}
	due := t.now.Add(casework.ReferralFollowUp)
	data := map[string]any{"Code": c.Code, "Due": day(due)}
	if res.Answers["kind"] == "feedback" {
		if err := t.record(c, "referral_feedback", res.Answers); err != nil {
			return err
		}
		if err := t.tx.CompleteDeadlines(c.ID, casework.DueReferral, t.now); err != nil {
			return err
		}
		if res.Answers["completed"] == "yes" {
			t.say(conv.Chat, []flows.Output{{Msg: "referral_completed", Data: data}})
			return nil
		}
		if err := t.tx.AddDeadline(c.ID, casework.DueReferral, due); err != nil {
			return err
		}
		t.say(conv.Chat, []flows.Output{{Msg: "referral_followup_moved", Data: data}})
		return nil
	}
	if err := t.record(c, "referral", res.Answers); err != nil {
		return err
	}
	if err := t.tx.AddDeadline(c.ID, casework.DueReferral, due); err != nil {
		return err
	}
	t.say(conv.Chat, []flows.Output{{Msg: "referral_saved", Data: data}})
	return nil
}

func recordReview(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Review)
	if !ok {
		return err
	}
	next, err := t.onDay(res.Answers["next"])
	if err != nil {
		return err
	}
	if err := t.record(c, "review", res.Answers); err != nil {
		return err
	}
	if err := t.tx.CompleteDeadlines(c.ID, casework.DueReview, t.now); err != nil {
		return err
	}
	if err := t.tx.AddDeadline(c.ID, casework.DueReview, next); err != nil {
		return err
	}
	done, _ := strconv.Atoi(res.Answers["done"])
	total, _ := strconv.Atoi(res.Answers["total"])
	outs := []flows.Output{{Msg: "review_saved", Data: map[string]any{"Code": c.Code, "Done": done, "Total": total, "Next": day(next)}}}
	if done > total {
		outs = append(outs, flows.Output{Msg: "review_done_more"})
	}
	name := t.member.Name
	switch res.Answers["decision"] {
	case "revise":
		outs = append(outs, flows.Output{Msg: "review_revise_hint", Data: map[string]any{"Code": c.Code}})
	case "propose_closure":
		outs = append(outs, flows.Output{Msg: "review_close_told", Data: map[string]any{"Code": c.Code}})
		if err := t.tellRoles(*c, []casework.Role{casework.LCCW, casework.CWO}, "alert_closure_proposed", map[string]any{"Code": c.Code, "Name": name}); err != nil {
			return err
		}
	case "escalate":
		if err := t.audit(c.ID, "case.escalate", "review"); err != nil {
			return err
		}
		outs = append(outs, flows.Output{Msg: "review_escalated_told"})
		if err := t.groupLine(*c, "group_escalated", map[string]any{"Code": c.Code}); err != nil {
			return err
		}
		if err := t.alertDistrict(*c, "alert_escalated", map[string]any{"Code": c.Code, "Name": name}); err != nil {
			return err
		}
	}
	t.say(conv.Chat, outs)
	return nil
}

// tellRoles tells the case's staff of the given roles privately (see
// caseStaff), never the sender themself.
func (t *turn) tellRoles(c casework.Case, roles []casework.Role, msg string, data map[string]any) error {
	staff, err := caseStaff(t.tx, c, roles...)
	if err != nil {
		return err
	}
	for _, m := range staff {
		if m.ID == t.member.ID {
			continue
		}
		if err := t.tell(m, []flows.Output{{Msg: msg, Data: data}}); err != nil {
			return err
		}
	}
	return nil
}

// day formats a dated duty (day/month/year) in messages.
func day(t time.Time) string { return t.Format("2/1/2006") }
