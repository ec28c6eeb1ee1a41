package flows

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// rangeLayout formats the From and To of flow_date_range, monthLayout
// those of flow_month_range.
const (
	rangeLayout = "2/1/2006"
	monthLayout = "1/2006"
)

// skipped reports the answer that leaves an optional step empty.
func skipped(input string) bool {
	t := strings.TrimSpace(input)
	return t == "-" || strings.EqualFold(t, "skip")
}

// parseMonth reads "3/2010", "03/2010", "3-2010", "3 2010" or "2010-03":
// digits only, so it reads the same in every language.
func parseMonth(input string) (time.Time, bool) {
	f := strings.FieldsFunc(strings.TrimSpace(input), func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == ' ' })
	if len(f) != 2 {
		return time.Time{}, false
	}
	a, err1 := strconv.Atoi(f[0])
	b, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return time.Time{}, false
	}
	month, year := a, b
	if len(f[0]) == 4 {
		month, year = b, a
	}
	if month < 1 || month > 12 || year < 1900 || year > 2999 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC), true
}

// parseAnswer reads input as an answer to st. It returns the value to store,
// or the error message to show.
func parseAnswer(st *Step, input string, env Env) (string, *Output) {
	if st.Optional && skipped(input) {
		return "", nil
	}
	switch st.Kind {
	case KindChoice:
		n := len(st.Choices)
		if k, ok := env.Lang.Number(input); ok && k >= 1 && k <= n {
			return st.Choices[k-1].Value, nil
		}
		if j := matchChoice(st.Choices, input, env.Lang); j >= 0 {
			return st.Choices[j].Value, nil
		}
		return "", &Output{Msg: "flow_invalid_choice", Data: map[string]any{"Max": n}}

	case KindMulti:
		if v, ok := parseMulti(st.Choices, input, env.Lang); ok {
			return v, nil
		}
		return "", &Output{Msg: "flow_invalid_multi", Data: map[string]any{"Max": len(st.Choices)}}

	case KindYesNo:
		// Numbers first: they follow the listed order of the options.
		opts := yesNoValues(st)
		if k, ok := env.Lang.Number(input); ok && k >= 1 && k <= len(opts) {
			return opts[k-1], nil
		}
		if yes, ok := env.Lang.YesNo(input); ok {
			if yes {
				return "yes", nil
			}
			return "no", nil
		}
		if j := matchChoice(st.Choices, input, env.Lang); j >= 0 {
			return st.Choices[j].Value, nil
		}
		return "", &Output{Msg: "flow_invalid_yesno"}

	case KindNumber:
		lo, hi := bound(st.Min, 0), bound(st.Max, 0)
		if k, ok := env.Lang.Number(input); ok && (st.Min == nil || k >= lo) && (st.Max == nil || k <= hi) {
			return strconv.Itoa(k), nil
		}
		return "", &Output{Msg: "flow_invalid_number", Data: map[string]any{"Min": lo, "Max": hi}}

	case KindDate:
		y, m, d := env.Now.Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, env.Now.Location())
		t, ok := env.Lang.Date(input, today)
		if !ok {
			return "", &Output{Msg: "flow_invalid_date"}
		}
		diff := daysBetween(today, t)
		if st.Min != nil && diff < int64(*st.Min) || st.Max != nil && diff > int64(*st.Max) {
			data := map[string]any{}
			if st.Min != nil {
				data["From"] = today.AddDate(0, 0, *st.Min).Format(rangeLayout)
			}
			if st.Max != nil {
				data["To"] = today.AddDate(0, 0, *st.Max).Format(rangeLayout)
			}
			return "", &Output{Msg: "flow_date_range", Data: data}
		}
		return t.Format("2006-01-02"), nil

	case KindMonth:
		y, m, _ := env.Now.Date()
		got, ok := parseMonth(input)
		if !ok {
			return "", &Output{Msg: "flow_invalid_month"}
		}
		diff := (got.Year()-y)*12 + int(got.Month()-m)
		if st.Min != nil && diff < *st.Min || st.Max != nil && diff > *st.Max {
			this := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
			data := map[string]any{"From": this.AddDate(0, bound(st.Min, 0), 0).Format(monthLayout),
				"To": this.AddDate(0, bound(st.Max, 0), 0).Format(monthLayout)}
			return "", &Output{Msg: "flow_month_range", Data: data}
		}
		return got.Format("2006-01"), nil

	case KindText:
		t := strings.TrimSpace(input)
		if t == "" {
			return "", &Output{Msg: "flow_text_required"}
		}
		limit := bound(st.Max, DefaultTextMax)
		if utf8.RuneCountInString(t) > limit {
			return "", &Output{Msg: "flow_invalid_text", Data: map[string]any{"Max": limit}}
		}
		return t, nil

	case KindCaseCode:
		code, problem := checkCode(env, input)
		if problem != "" {
			return "", &Output{Msg: problem}
		}
		return code, nil
	}
	// An end step or an unknown kind: never the current step of a session
	// of a validated flow.
	return "", &Output{Msg: "flow_changed"}
}

// needsLang reports whether parsing an answer of the kind uses Env.Lang.
func needsLang(k Kind) bool {
	switch k {
	case KindChoice, KindMulti, KindYesNo, KindNumber, KindDate:
		return true
	}
	return false
}

func bound(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// daysBetween counts calendar days from a's date to b's date (each in its
// own location).
func daysBetween(a, b time.Time) int64 {
	day := func(t time.Time) int64 {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	}
	return day(b) - day(a)
}

// checkCode checks a case code with Env.CheckCode; without one, the code is
// upper-cased with spaces removed, and only an empty code is refused.
func checkCode(env Env, s string) (code, problem string) {
	if env.CheckCode != nil {
		return env.CheckCode(s)
	}
	code = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if code == "" {
		return "", "flow_text_required"
	}
	return code, ""
}

// parseMulti reads a multi answer: comma-separated parts, each a choice's
// number, several numbers separated by spaces ("1 4", "1,4", "1, 4"), or a
// choice's value or label word. Values are de-duplicated and joined by ","
// in choice order.
func parseMulti(choices []Choice, input string, lang Lang) (string, bool) {
	picked := make([]bool, len(choices))
	got := false
	for part := range strings.SplitSeq(input, ",") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		nums := make([]int, 0, len(fields))
		for _, f := range fields {
			k, ok := lang.Number(f)
			if !ok || k < 1 || k > len(choices) {
				break
			}
			nums = append(nums, k)
		}
		if len(nums) == len(fields) {
			for _, k := range nums {
				picked[k-1] = true
			}
			got = true
			continue
		}
		j := matchChoice(choices, part, lang)
		if j < 0 {
			return "", false
		}
		picked[j], got = true, true
	}
	if !got {
		return "", false
	}
	var b strings.Builder
	for i, p := range picked {
		if p {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(choices[i].Value)
		}
	}
	return b.String(), true
}

// matchChoice finds the choice whose value, or whose label in any language,
// equals input after normalisation; -1 if none.
func matchChoice(choices []Choice, input string, lang Lang) int {
	in := normalize(input)
	if in == "" {
		return -1
	}
	for j, c := range choices {
		if normalize(c.Value) == in {
			return j
		}
		if c.Label == "" {
			continue
		}
		for _, l := range lang.Labels(c.Label) {
			if normalize(l) == in {
				return j
			}
		}
	}
	return -1
}

// normalize lower-cases s, collapses its spaces and trims surrounding
// punctuation, so "Girl." and " girl " match.
func normalize(s string) string {
	s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
	return strings.Trim(s, " .,!?;:'\"()")
}

// yesNoValues are a yesno step's options in display order.
func yesNoValues(st *Step) []string {
	if len(st.Choices) == 0 {
		return []string{"yes", "no"}
	}
	v := make([]string, len(st.Choices))
	for i, c := range st.Choices {
		v[i] = c.Value
	}
	return v
}

// yesNoLabels are the label IDs of a yesno step's options: its choices'
// labels, defaulting to opt_yes and opt_no.
func yesNoLabels(st *Step) []string {
	if len(st.Choices) == 0 {
		return []string{"opt_yes", "opt_no"}
	}
	l := make([]string, len(st.Choices))
	for i, c := range st.Choices {
		switch {
		case c.Label != "":
			l[i] = c.Label
		case c.Value == "yes":
			l[i] = "opt_yes"
		default:
			l[i] = "opt_no"
		}
	}
	return l
}
