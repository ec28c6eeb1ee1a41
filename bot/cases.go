package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// checkCode is the flows.Env hook for case_code steps and command
// arguments: a typo in the check digit gets its own message.
func checkCode(s string) (string, string) {
	code, err := casework.ParseCode(s)
	switch {
	case errors.Is(err, casework.ErrCodeCheck):
		return "", "case_code_check"
	case err != nil:
		return "", "case_code_invalid"
	}
	return code, ""
}

// CheckFlows reports flows whose `needs` is not a casework action, so a
// typo in a flow file is caught at start and by `carenet flows check`.
func CheckFlows(fs []*flows.Flow) error {
	var errs []error
	for _, f := range fs {
		if f.Needs == "" {
			continue
		}
		if !knownAction(casework.Action(f.Needs)) {
			errs = append(errs, fmt.Errorf("flow %s: needs %q is not a permission (one of %v)", f.ID, f.Needs, casework.Actions))
		}
		if f.Needs != string(casework.Open) && f.Arg == "" {
			errs = append(errs, fmt.Errorf("flow %s: needs %q on a case, but the flow takes no case code (arg)", f.ID, f.Needs))
		}
	}
	return errors.Join(errs...)
}

func knownAction(a casework.Action) bool {
	for _, x := range casework.Actions {
		if x == a {
			return true
		}
	}
	return false
}

// mayStart checks a flow's permission before it starts, so a refused
// member is told at once and nothing changes. The case code argument is
// rewritten in its canonical form.
func (t *turn) mayStart(f *flows.Flow, args map[string]string) (ok bool, err error) {
	m := *t.member
	if f.Needs == string(casework.Open) {
		if !casework.Can(m, casework.Open, casework.CaseScope{DistrictID: m.DistrictID, Ward: m.Ward}) {
			t.privately(t.loc().T("no_permission", nil))
			return false, nil
		}
		return true, nil
	}
	if f.Arg == "" {
		return true, nil
	}
	c, ok, err := t.lookupCase(args[f.Arg], f.Command, casework.Action(f.Needs))
	if !ok {
		return false, err
	}
	args[f.Arg] = c.Code
	if f.Needs == string(casework.ProposeClosure) {
		return t.closable(c)
	}
	return true, nil
}

// lookupCase reads a case code given to a command and checks the member
// may take the action on it. Every refusal (no code, a malformed code, a
// check-digit typo, an unknown case, another district, no permission) is
// answered privately, in the member's language, and ok is false.
func (t *turn) lookupCase(raw, command string, need casework.Action) (c *casework.Case, ok bool, err error) {
	loc := t.loc()
	if raw == "" {
		t.privately(loc.T("case_code_needed", map[string]any{"Command": "/" + command}))
		return nil, false, nil
	}
	code, problem := checkCode(raw)
	if problem != "" {
		t.privately(loc.T(problem, nil))
		return nil, false, nil
	}
	if c, err = t.tx.CaseByCode(code); err != nil {
		return nil, false, err
	}
	switch {
	case c == nil:
		t.privately(loc.T("case_unknown", map[string]any{"Code": code}))
	case c.DistrictID != t.member.DistrictID:
		t.privately(loc.T("case_other_district", map[string]any{"Code": code}))
	case !casework.Can(*t.member, need, c.Scope()):
		t.privately(loc.T("no_permission", nil))
	case c.Status == casework.StatusClosed && need.Changes():
		// Work on a closed case would raise duties nobody should do;
		// the CWO reopens it first.
		t.privately(loc.T("case_closed", map[string]any{"Code": c.Code}))
	default:
		return c, true, nil
	}
	return nil, false, nil
}

// openCase is the intake's action: a new case code, welfare or protection
// derived from the answers, the initial assessment due in 48 hours, one
// line to the ward group and, for protection, a private alert to the
// district's CWO and CMO.
func openCase(t *turn, conv chat.Conversation, res flows.Result) error {
	m := t.member
	ans := res.Answers
	d, err := t.tx.District(m.DistrictID)
	if err != nil || d == nil {
		return fmt.Errorf("district of member %d: %v", m.ID, err)
	}
	serial, err := t.tx.NextCaseSerial(d.ID)
	if err != nil {
		return err
	}
	code, err := casework.NewCode(d.Code, serial)
	if err != nil {
		return err
	}
	concerns := casework.SplitList(ans["concerns"])
	kind, statutory := casework.Classify(concerns, ans["danger"] == "yes")
	c := casework.Case{Code: code, DistrictID: d.ID, Ward: m.Ward, CCWID: m.ID, Kind: kind, Statutory: statutory,
		Status: casework.StatusOpen, Opened: t.now, Concerns: concerns, Intake: map[string]string{}}
	for k, v := range ans {
		// The birth month is not kept: only the day the child turns 18,
		// as a deadline.
		if k != "name" && k != "concerns" && k != "born" {
			c.Intake[k] = v
		}
	}
	var sealed []byte
	var notes []flows.Output
	if name := strings.TrimSpace(ans["name"]); name != "" {
		if !t.b.sealer.HasKey() {
			notes = append(notes, flows.Output{Msg: "name_not_stored"})
		} else if sealed, err = t.b.sealer.Seal([]byte(name), []byte(code)); err != nil {
			return err
		}
	}
	id, err := t.tx.CreateCase(c, serial, sealed)
	if err != nil {
		return err
	}
	c.ID = id
	due := t.now.Add(casework.InitialAssessmentDue)
	if err := t.tx.AddDeadline(id, casework.DueInitialAssessment, due); err != nil {
		return err
	}
	if err := t.tx.AddDeadline(id, casework.DueReview, t.now.AddDate(0, 0, casework.ReviewMaxDays)); err != nil {
		return err
	}
	if born, err := time.ParseInLocation("2006-01", ans["born"], t.b.loc); err == nil {
		if err := t.tx.AddDeadline(id, casework.DueTurns18, born.AddDate(18, 0, 0).Add(8*time.Hour)); err != nil {
			return err
		}
	}
	if err := t.audit(id, "case.open", string(kind)); err != nil {
		return err
	}
	data := map[string]any{"Code": code, "Due": when(due)}
	t.say(conv.Chat, append([]flows.Output{{Msg: "case_opened_" + string(kind), Data: data}}, notes...))
	if err := t.groupLine(c, "group_case_opened_"+string(kind), map[string]any{"Code": code, "Name": m.Name, "Due": when(due)}); err != nil {
		return err
	}
	if kind == casework.Protection {
		return t.alertDistrict(c, "alert_protection", map[string]any{"Code": code, "Name": m.Name})
	}
	return nil
}

// audit writes the audit entry of a change made in this turn.
func (t *turn) audit(caseID int64, action, detail string) error {
	var by int64
	if t.member != nil {
		by = t.member.ID
	}
	return t.tx.Audit(casework.AuditEntry{At: t.now, MemberID: by, Action: action, CaseID: caseID,
		Chat: string(t.in.Platform) + ":" + string(t.in.Chat), Detail: detail})
}

// when formats a due time in messages: day/month and hour, the way dates
// are written in Zimbabwe.
func when(due time.Time) string { return due.Format("2/1 15:04") }

// groupLine posts one short line to every group linked to the case's ward,
// in the group's language. Only the code, the kind, a member's name and
// dates may be in data: never anything about the child.
func (t *turn) groupLine(c casework.Case, msg string, data map[string]any) error {
	outs, err := t.b.wardLines(t.tx, c.DistrictID, c.Ward, msg, func(string) map[string]any { return data })
	t.out = append(t.out, outs...)
	return err
}

// wardLines renders msg for the groups linked to a ward (0: the
// district's); data gives the template data in a group's language.
func (b *Bot) wardLines(tx Tx, districtID int64, ward int, msg string, data func(lang string) map[string]any) ([]chat.Outbound, error) {
	groups, err := tx.LinkedGroups(districtID, ward)
	if err != nil {
		return nil, err
	}
	var outs []chat.Outbound
	for _, g := range groups {
		outs = append(outs, chat.Outbound{Platform: chat.Platform(g.Platform), Chat: chat.ChatID(g.ChatID),
			Text: b.bundle.Localizer(g.Lang).T(msg, data(g.Lang))})
	}
	return outs, nil
}

// postGroups queues one line for the case's linked groups.
func (b *Bot) postGroups(tx Tx, c *casework.Case, msg string, data map[string]any, now time.Time) error {
	return b.postGroupsL(tx, c, msg, func(string) map[string]any { return data }, now)
}

// postGroupsL is postGroups with template data built per group language.
func (b *Bot) postGroupsL(tx Tx, c *casework.Case, msg string, data func(lang string) map[string]any, now time.Time) error {
	return b.postWard(tx, c.DistrictID, c.Ward, msg, data, now)
}

// postWard queues one line for the groups linked to a ward.
func (b *Bot) postWard(tx Tx, districtID int64, ward int, msg string, data func(lang string) map[string]any, now time.Time) error {
	outs, err := b.wardLines(tx, districtID, ward, msg, data)
	if err != nil {
		return err
	}
	return enqueueAll(tx, outs, now)
}

// alertDistrict tells the district's CWOs and CMOs privately, each in
// their language.
func (t *turn) alertDistrict(c casework.Case, msg string, data map[string]any) error {
	return t.tellRoles(c, []casework.Role{casework.CWO, casework.CMO}, msg, data)
}

// caseStaff lists the members of the roles who answer for a case: the
// ward's, for roles that have a ward (LCCW), else the district's.
func caseStaff(tx Tx, c casework.Case, roles ...casework.Role) ([]casework.Member, error) {
	return wardStaff(tx, c.DistrictID, c.Ward, roles...)
}

// wardStaff lists the members of the roles who answer for a ward: the
// ward's own for roles that have a ward, else the district's.
func wardStaff(tx Tx, districtID int64, ward int, roles ...casework.Role) ([]casework.Member, error) {
	var all []casework.Member
	for _, role := range roles {
		w := 0
		if role.HasWard() {
			w = ward
		}
		ms, err := tx.MembersByRole(districtID, w, role)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	return all, nil
}

// tell sends outputs to a member's private chat, preferring the platform
// this message came on. A member with no identity (or unreachable) is
// skipped: carenet never starts a chat with someone it cannot reach.
func (t *turn) tell(m casework.Member, outs []flows.Output) error {
	return t.b.tellMember(t.tx, m, t.in.Platform, outs, t.now)
}
