package bot

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
	"carenet/internal/l10n"
)

// The case conference (/conference CODE, DOMAIN.md §5): the full record
// stays private; the ward's groups get only the group-safe summary.

// maxConferenceActions is how many actions the flow asks for (a1..a3).
const maxConferenceActions = 3

// conferenceAction is one agreed action of a conference.
type conferenceAction struct {
	What, Role string
	Due        time.Time
}

// recordConference is the conference flow's action.
func recordConference(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Conference)
	if !ok {
		return err
	}
	ans := res.Answers
	held, err := t.onDay(ans["date"])
	if err != nil {
		return err
	}
	next, err := t.onDay(ans["next"])
	if err != nil {
		return err
	}
	var actions []conferenceAction
	for i := 1; i <= maxConferenceActions; i++ {
		p := "a" + strconv.Itoa(i) + "_"
		if ans[p+"action"] == "" || ans[p+"action"] == "none" {
			continue
		}
		due, err := t.onDay(ans[p+"due"])
		if err != nil {
			return err
		}
		actions = append(actions, conferenceAction{What: ans[p+"action"], Role: ans[p+"role"], Due: due})
	}

	data := maps.Clone(ans)
	delete(data, "case")
	delete(data, "decisions")
	var notes []flows.Output
	if d := strings.TrimSpace(ans["decisions"]); d != "" {
		if !t.b.sealer.HasKey() {
			notes = append(notes, flows.Output{Msg: "conference_reasons_not_stored"})
		} else {
			sealed, err := t.b.sealer.Seal([]byte(d), []byte(c.Code))
			if err != nil {
				return err
			}
			data["decisions_sealed"] = base64.StdEncoding.EncodeToString(sealed)
		}
	}
	approved := t.member.Role == casework.CWO
	data["approval"] = "pending"
	if approved {
		data["approval"] = "done"
	}
	id, err := t.tx.AddRecord(casework.Record{CaseID: c.ID, Kind: "conference", MemberID: t.member.ID, At: t.now, Data: data, Chat: t.chatRef()})
	if err != nil {
		return err
	}
	if err := t.audit(c.ID, "case.conference", fmt.Sprintf("record %d; %s; %s", id, ans["type"], ans["status"])); err != nil {
		return err
	}
	for _, a := range actions {
		plan := map[string]string{"domain": "conference", "action": a.What, "responsible": a.Role,
			"due": a.Due.Format("2006-01-02"), "conference": strconv.FormatInt(id, 10)}
		if err := t.addPlanItem(c, plan, a.Due); err != nil {
			return err
		}
	}
	for _, k := range []casework.DeadlineKind{casework.DueConference, casework.DueReview} {
		if err := t.tx.CompleteDeadlines(c.ID, k, t.now); err != nil {
			return err
		}
	}
	if err := t.tx.AddDeadline(c.ID, casework.DueReview, next); err != nil {
		return err
	}

	sum := conferenceSummary{Code: c.Code, Held: held, Type: ans["type"], Decision: ans["status"],
		Actions: actions, Next: next, Approved: approved}
	if err := t.b.postGroupsL(t.tx, c, "conference_group", sum.data(t.b.bundle), t.now); err != nil {
		return err
	}
	outs := append([]flows.Output{{Msg: "conference_saved", Data: map[string]any{"Code": c.Code, "Count": len(actions), "Next": day(next)}}}, notes...)
	switch ans["status"] {
	case "close", "transfer":
		outs = append(outs, flows.Output{Msg: "conference_close_hint", Data: map[string]any{"Code": c.Code}})
	case "escalate":
		if err := t.audit(c.ID, "case.escalate", "conference"); err != nil {
			return err
		}
		if err := t.alertDistrict(*c, "alert_escalated", map[string]any{"Code": c.Code, "Name": t.member.Name}); err != nil {
			return err
		}
	}
	t.say(conv.Chat, outs)
	if !approved {
		return t.tellRoles(*c, []casework.Role{casework.CWO}, "conference_approval_needed", map[string]any{"Code": c.Code, "Name": t.member.Name})
	}
	return nil
}

// approveConference is a CWO's /approve on a case whose latest conference
// record waits for approval. done is false when none waits.
func (t *turn) approveConference(c *casework.Case) (done bool, err error) {
	recs, err := t.tx.Records(c.ID, "conference")
	if err != nil || len(recs) == 0 {
		return false, err
	}
	last := recs[0]
	for _, r := range recs {
		if r.At.After(last.At) || (r.At.Equal(last.At) && r.ID > last.ID) {
			last = r
		}
	}
	if last.Data["approval"] != "pending" {
		return false, nil
	}
	approvals, err := t.tx.Records(c.ID, "conference_approval")
	if err != nil {
		return false, err
	}
	ref := strconv.FormatInt(last.ID, 10)
	for _, a := range approvals {
		if a.Data["conference"] == ref {
			return false, nil
		}
	}
	if _, err := t.tx.AddRecord(casework.Record{CaseID: c.ID, Kind: "conference_approval", MemberID: t.member.ID, At: t.now,
		Data: map[string]string{"conference": ref}, Chat: t.chatRef()}); err != nil {
		return false, err
	}
	if err := t.audit(c.ID, "conference.approve", "record "+ref); err != nil {
		return false, err
	}
	t.privately(t.loc().T("conference_approved_told", map[string]any{"Code": c.Code}))
	held := last.Data["date"]
	if d, err := time.ParseInLocation("2006-01-02", held, t.b.loc); err == nil {
		held = day(d)
	}
	return true, t.b.postGroups(t.tx, c, "conference_group_approved", map[string]any{"Code": c.Code, "Date": held}, t.now)
}

// conferenceSummary is everything a group may learn of a conference
// (DOMAIN.md §5). It has no field for a name, an age, a school, a village,
// a health status or what happened, so none can reach a group; the action
// types stay out too, since "clinic / HIV care" would say too much.
type conferenceSummary struct {
	Code     string
	Held     time.Time
	Type     string // family, cpc, multi_agency
	Decision string // continue, close, transfer, escalate
	Actions  []conferenceAction
	Next     time.Time
	Approved bool
}

// data renders the summary's template data in a group's language.
func (s conferenceSummary) data(b *l10n.Bundle) func(lang string) map[string]any {
	return func(lang string) map[string]any {
		loc := b.Localizer(lang)
		acts := loc.T("conference_no_actions", nil)
		if len(s.Actions) > 0 {
			parts := make([]string, len(s.Actions))
			for i, a := range s.Actions {
				parts[i] = loc.T("conference_action_due", map[string]any{"Role": loc.T("opt_resp_"+a.Role, nil), "Due": day(a.Due)})
			}
			acts = strings.Join(parts, ", ")
		}
		approval := "conference_cwo_pending"
		if s.Approved {
			approval = "conference_cwo_done"
		}
		return map[string]any{
			"Code":     s.Code,
			"Date":     day(s.Held),
			"Type":     loc.T(conferenceTypeMsg[s.Type], nil),
			"Decision": loc.T("opt_conf_"+s.Decision, nil),
			"Actions":  acts,
			"Next":     day(s.Next),
			"Approval": loc.T(approval, nil),
		}
	}
}

// conferenceTypeMsg maps a meeting type to its label.
var conferenceTypeMsg = map[string]string{"family": "opt_conf_family", "cpc": "opt_conf_cpc", "multi_agency": "opt_conf_multi"}
