package bot

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// The household GBV screening (/gbv CODE) and the school early-warning
// questions (/ews CODE): private flows, scored by casework from the levels
// the flows' Score blocks reach, stored as one row per screening with the
// answers sealed, and answered only in the CCW's private chat. Nothing of a
// screening ever goes to a group: not the answers, not the colour, not the
// change to a protection case. A red or protection result tells the
// district's CWO/CMO privately with the case code and the colour only.
//
// Proposed actions: the GBV screen adds its referral actions to the case
// plan at once (plan records and plan-action deadlines), because a red
// screen needs them today and the deadline ladder (CCW, LCCW, CWO) must
// follow them up even if the CCW is overwhelmed; the CCW records the
// referral itself with /refer. The EWS responses are slower school
// supports, so they are added only when the flow's last question
// (confirm) is answered yes.

// screeningTx is what the screenings need of the store.
type screeningTx interface {
	AddScreening(s casework.Screening) (int64, error)
	// Screenings lists a case's screenings of a kind ("" for all), newest
	// first.
	Screenings(caseID int64, kind string) ([]casework.Screening, error)
	SetCaseKind(id int64, kind casework.Kind, statutory bool) error
}

func screeningActions() map[string]action {
	return map[string]action{
		"record_gbv": recordGBV,
		"record_ews": recordEWS,
	}
}

// scored hands a finished flow's score levels, sums and answers to the
// casework rules.
func scored(res flows.Result) casework.Scored {
	s := casework.Scored{Levels: map[string]string{}, Values: map[string]int{}, Answers: res.Answers}
	for id, sc := range res.Scores {
		s.Levels[id], s.Values[id] = sc.Level, sc.Value
	}
	return s
}

// storeScreening seals the answers (all but the case code) with the case
// code as additional data and stores the row. Without a data key only the
// colour is kept, and the CCW is told so (the returned note).
func (t *turn) storeScreening(c *casework.Case, kind string, level casework.Level, answers map[string]string) ([]flows.Output, error) {
	var sealed []byte
	var notes []flows.Output
	if t.b.sealer.HasKey() {
		data := maps.Clone(answers)
		delete(data, "case")
		plain, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("%s answers: %w", kind, err)
		}
		if sealed, err = t.b.sealer.Seal(plain, []byte(c.Code)); err != nil {
			return nil, fmt.Errorf("seal %s answers: %w", kind, err)
		}
	} else {
		notes = append(notes, flows.Output{Msg: "screen_not_stored"})
	}
	if _, err := t.tx.AddScreening(casework.Screening{CaseID: c.ID, Kind: kind, MemberID: t.member.ID, At: t.now,
		Level: level, Sealed: sealed}); err != nil {
		return nil, err
	}
	return notes, t.audit(c.ID, "screening."+kind, string(level))
}

// protect makes the case a protection case (statutory when a screen showed
// abuse of a child) and audits the change; a case that already is one is
// left as it is.
func (t *turn) protect(c *casework.Case, statutory bool, from string) error {
	st := c.Statutory || statutory
	if c.Kind == casework.Protection && st == c.Statutory {
		return nil
	}
	if err := t.tx.SetCaseKind(c.ID, casework.Protection, st); err != nil {
		return fmt.Errorf("protection case %s: %w", c.Code, err)
	}
	c.Kind, c.Statutory = casework.Protection, st
	return t.audit(c.ID, "case.kind", "protection:"+from)
}

// addProposals turns proposals into case-plan records with plan-action
// deadlines and returns the lines listing them.
func (t *turn) addProposals(c *casework.Case, from string, ps []casework.Proposal) ([]flows.Output, error) {
	outs := []flows.Output{{Msg: "screen_added", Data: map[string]any{"Code": c.Code}}}
	for _, p := range ps {
		due := casework.ProposalDue(t.now, p.Days)
		data := map[string]string{"domain": p.Domain, "action": p.Action, "responsible": p.Responsible,
			"due": due.Format("2006-01-02"), "source": from, "response": p.Response}
		if err := t.addPlanItem(c, data, due); err != nil {
			return nil, err
		}
		shown := day(due)
		if p.Days == 0 {
			shown = when(due)
		}
		outs = append(outs, t.proposalLine(p, shown))
	}
	return outs, nil
}

// proposalLine names a proposal in the member's language; due may be "".
func (t *turn) proposalLine(p casework.Proposal, due string) flows.Output {
	return flows.Output{Msg: "screen_line", Data: map[string]any{"What": t.loc().T("screen_act_"+p.Response, nil), "Due": due}}
}

func recordGBV(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Update)
	if !ok {
		return err
	}
	r := casework.ScoreGBV(scored(res))
	notes, err := t.storeScreening(c, casework.ScreenGBV, r.Level, res.Answers)
	if err != nil {
		return err
	}
	code := map[string]any{"Code": c.Code}
	outs := []flows.Output{{Msg: "gbv_result_" + string(r.Level), Data: code}}
	if r.Protection {
		if err := t.protect(c, r.Statutory, casework.ScreenGBV); err != nil {
			return err
		}
	}
	for _, line := range []struct {
		on  bool
		msg string
	}{
		{r.PartnerViolence, "gbv_ipv"},
		{r.ChildFollowUp, "gbv_child_followup"},
		{r.AskCWO, "gbv_ask_cwo"},
		{r.Neglect, "gbv_neglect_flag"},
		{r.RiskFactor != "", "gbv_risk_factor"},
	} {
		if line.on {
			outs = append(outs, flows.Output{Msg: line.msg})
		}
	}
	for _, card := range r.Cards {
		outs = append(outs, flows.Output{Msg: card})
	}
	if len(r.Proposals) > 0 {
		added, err := t.addProposals(c, casework.ScreenGBV, r.Proposals)
		if err != nil {
			return err
		}
		outs = append(outs, added...)
	}
	t.say(conv.Chat, append(outs, notes...))
	switch {
	case r.Protection:
		// The code and the colour, nothing more: the CWO calls the CCW.
		return t.alertDistrict(*c, "alert_gbv_red", code)
	case r.AskCWO:
		return t.alertDistrict(*c, "alert_gbv_check", code)
	}
	return nil
}

func recordEWS(t *turn, conv chat.Conversation, res flows.Result) error {
	c, ok, err := t.flowCase(res, casework.Update)
	if !ok {
		return err
	}
	r := casework.ScoreEWS(scored(res), slices.Contains(c.Concerns, "no_birth_cert"))
	notes, err := t.storeScreening(c, casework.ScreenEWS, r.Level, res.Answers)
	if err != nil {
		return err
	}
	loc := t.loc()
	flags := strings.Join(r.Flags, ", ")
	if flags == "" {
		flags = loc.T("ews_flags_none", nil)
	}
	code := map[string]any{"Code": c.Code}
	outs := []flows.Output{{Msg: "ews_result_" + string(r.Level), Data: map[string]any{"Code": c.Code, "Flags": flags, "Count": r.DFactors}}}
	if r.Protection {
		if err := t.protect(c, false, casework.ScreenEWS); err != nil {
			return err
		}
		outs = append(outs, flows.Output{Msg: "screen_protection", Data: code})
	}
	switch {
	case len(r.Proposals) == 0:
		outs = append(outs, flows.Output{Msg: "ews_no_response", Data: code})
	case res.Answers["confirm"] == "yes":
		added, err := t.addProposals(c, casework.ScreenEWS, r.Proposals)
		if err != nil {
			return err
		}
		outs = append(outs, added...)
	default:
		outs = append(outs, flows.Output{Msg: "ews_responses"})
		for _, p := range r.Proposals {
			outs = append(outs, t.proposalLine(p, ""))
		}
		outs = append(outs, flows.Output{Msg: "ews_not_added", Data: code})
	}
	t.say(conv.Chat, append(outs, notes...))
	if r.Protection {
		return t.alertDistrict(*c, "alert_ews_protection", code)
	}
	return nil
}

// showScreens lists a case's screenings privately, newest first, to those
// who may view the case: date, kind and colour, so a child's risk can be
// followed term by term. The answers are opened only for the district's
// CWO/CMO and the case's own CCW, and each opening is audited.
func (t *turn) showScreens(arg string) error {
	c, ok, err := t.lookupCase(arg, "screens", casework.View)
	if !ok {
		return err
	}
	list, err := t.tx.Screenings(c.ID, "")
	if err != nil {
		return err
	}
	loc := t.loc()
	if len(list) == 0 {
		t.privately(loc.T("screens_none", map[string]any{"Code": c.Code}))
		return t.audit(c.ID, "screening.list", "")
	}
	answers := casework.CanReadScreening(*t.member, c.Scope())
	if !answers {
		// Need to know: a household's GBV colour is for those who may read
		// its answers; the school screens stay listed for the ward.
		list = slices.DeleteFunc(list, func(s casework.Screening) bool { return s.Kind == "gbv" })
		if len(list) == 0 {
			t.privately(loc.T("screens_none", map[string]any{"Code": c.Code}))
			return t.audit(c.ID, "screening.list", "")
		}
	}
	lines := []string{loc.T("screens_head", map[string]any{"Code": c.Code, "Count": len(list)})}
	for _, s := range list {
		lines = append(lines, loc.T("screens_line", map[string]any{"At": day(s.At.In(t.b.loc)),
			"Kind": loc.T("screen_kind_"+s.Kind, nil), "Level": loc.T("level_"+string(s.Level), nil)}))
		if !answers {
			continue
		}
		if len(s.Sealed) == 0 || !t.b.sealer.HasKey() {
			lines = append(lines, loc.T("screens_no_answers", nil))
			continue
		}
		items, err := t.openScreening(c, s)
		if err != nil {
			return err
		}
		lines = append(lines, items)
		if err := t.audit(c.ID, "screening.read", fmt.Sprint(s.ID)); err != nil {
			return err
		}
	}
	t.privately(strings.Join(lines, "\n"))
	return t.audit(c.ID, "screening.list", "")
}

// openScreening opens a screening's sealed answers and renders them as
// "item answer" pairs in the member's language, in the flow's order.
func (t *turn) openScreening(c *casework.Case, s casework.Screening) (string, error) {
	plain, err := t.b.sealer.Open(s.Sealed, []byte(c.Code))
	if err != nil {
		return "", fmt.Errorf("screening %d: %w", s.ID, err)
	}
	var ans map[string]string
	if err := json.Unmarshal(plain, &ans); err != nil {
		return "", fmt.Errorf("screening %d answers: %w", s.ID, err)
	}
	f, ok := t.b.engine.Flow(s.Kind)
	if !ok {
		return "", fmt.Errorf("screening %d: no flow %q", s.ID, s.Kind)
	}
	loc := t.loc()
	var items []string
	for _, st := range f.Steps {
		v, ok := ans[st.ID]
		if !ok || st.Kind == flows.KindCaseCode {
			continue
		}
		text := v
		for _, ch := range st.Choices {
			if ch.Value == v && ch.Label != "" {
				text = loc.T(ch.Label, nil)
			}
		}
		if st.Kind == flows.KindYesNo && len(st.Choices) == 0 {
			text = loc.T("opt_"+v, nil)
		}
		items = append(items, t.itemName(st)+" "+text)
	}
	return strings.Join(items, " · "), nil
}

// itemName is how an answer is labelled in /screens: the item number the
// English question starts with ("1.", "A1.") where it has one, so the
// CWO reads the same numbers as DOMAIN.md and the paper tool; otherwise
// the step id.
func (t *turn) itemName(st flows.Step) string {
	first, _, _ := strings.Cut(t.b.bundle.Localizer("en").T(st.Prompt, nil), " ")
	if n := strings.TrimSuffix(first, "."); n != first && utf8.RuneCountInString(n) <= 3 {
		return n + "."
	}
	return st.ID + ":"
}
