package bot

import (
	"strings"

	"carenet/flows"
	"carenet/internal/casework"
)

// showCase answers /case CODE privately: the summary for members who may
// view the case, the child's details (concerns, age band, sex and, when a
// data key is set, the name) only for those who may see details.
func (t *turn) showCase(arg string) error {
	c, ok, err := t.lookupCase(arg, "case", casework.View)
	if !ok {
		return err
	}
	loc := t.loc()
	ccwName := ""
	if ccw, err := t.tx.Member(c.CCWID); err != nil {
		return err
	} else if ccw != nil {
		ccwName = ccw.Name
	}
	outs := []flows.Output{{Msg: "case_summary", Data: map[string]any{
		"Code": c.Code, "Kind": loc.T("kind_"+string(c.Kind), nil), "Status": loc.T("status_"+string(c.Status), nil),
		"Opened": day(c.Opened.In(t.b.loc)), "CCW": ccwName, "Ward": c.Ward}}}
	if casework.Can(*t.member, casework.ViewDetails, c.Scope()) {
		labels := make([]string, len(c.Concerns))
		for i, k := range c.Concerns {
			labels[i] = loc.T("opt_concern_"+k, nil)
			if k == "other" {
				labels[i] = loc.T("opt_other", nil)
			}
		}
		outs = append(outs, flows.Output{Msg: "case_concerns", Data: map[string]any{"Concerns": strings.Join(labels, ", ")}})
		if age, sex := c.Intake["age"], c.Intake["sex"]; age != "" && sex != "" {
			sexLabel := map[string]string{"f": "opt_sex_girl", "m": "opt_sex_boy"}[sex]
			outs = append(outs, flows.Output{Msg: "case_child", Data: map[string]any{"Age": age, "Sex": strings.ToLower(loc.T(sexLabel, nil))}})
		}
		name, err := t.caseName(c)
		if err != nil {
			return err
		}
		if name != "" {
			outs = append(outs, flows.Output{Msg: "case_name", Data: map[string]any{"Name": name}})
		}
		recs, err := t.tx.Records(c.ID, "")
		if err != nil {
			return err
		}
		if n := len(recs); n > 0 {
			last := recs[n-1]
			outs = append(outs, flows.Output{Msg: "case_records", Data: map[string]any{"Count": n,
				"Last": loc.T("rec_"+last.Kind, nil), "At": day(last.At.In(t.b.loc))}})
		}
	}
	next, err := t.nextDue(c)
	if err != nil {
		return err
	}
	if next != nil {
		outs = append(outs, *next)
	} else {
		outs = append(outs, flows.Output{Msg: "case_nothing_due"})
	}
	t.sayPrivately(outs)
	return t.audit(c.ID, "case.view", "")
}

// caseName opens the sealed name; without a key (or with none stored) it is
// empty. Called only for members allowed to see details, in a private reply.
func (t *turn) caseName(c *casework.Case) (string, error) {
	if !t.b.sealer.HasKey() {
		return "", nil
	}
	sealed, err := t.tx.CaseNameSealed(c.ID)
	if err != nil || len(sealed) == 0 {
		return "", err
	}
	name, err := t.b.sealer.Open(sealed, []byte(c.Code))
	if err != nil {
		return "", err
	}
	return string(name), nil
}

// nextDue is the case's soonest open deadline as a case_due line.
func (t *turn) nextDue(c *casework.Case) (*flows.Output, error) {
	ds, err := t.tx.OpenDeadlines(c.ID)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	d := ds[0]
	return &flows.Output{Msg: "case_due", Data: map[string]any{
		"What": t.loc().T("due_"+string(d.Kind), nil), "Due": when(d.Due.In(t.b.loc))}}, nil
}

// myCases answers /mycases privately: the member's own open cases, each
// with what is due next.
func (t *turn) myCases() error {
	loc := t.loc()
	cs, err := t.tx.OpenCasesOf(t.member.ID)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		t.privately(loc.T("mycases_none", nil))
		return nil
	}
	lines := []string{loc.T("mycases_head", map[string]any{"Count": len(cs)})}
	for _, c := range cs {
		data := map[string]any{"Code": c.Code, "Kind": loc.T("kind_"+string(c.Kind), nil)}
		ds, err := t.tx.OpenDeadlines(c.ID)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			lines = append(lines, loc.T("mycases_line_free", data))
			continue
		}
		data["What"] = loc.T("due_"+string(ds[0].Kind), nil)
		data["Due"] = when(ds[0].Due.In(t.b.loc))
		lines = append(lines, loc.T("mycases_line", data))
	}
	t.privately(strings.Join(lines, "\n"))
	return nil
}

// sayPrivately renders outputs into the sender's private chat.
func (t *turn) sayPrivately(outs []flows.Output) {
	t.say(t.privateChat(), outs)
}
