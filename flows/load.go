package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EngineMessages are the message IDs the engine itself emits (answer
// errors, cancellation, and the default yes/no labels). CheckMessages makes
// sure each exists in English.
var EngineMessages = []string{
	"flow_invalid_choice", // Data: Max (choices are numbered 1..Max)
	"flow_invalid_multi",  // Data: Max
	"flow_invalid_yesno",
	"flow_invalid_number", // Data: Min, Max
	"flow_invalid_date",
	"flow_invalid_month",
	"flow_month_range",
	"flow_date_range",   // Data: From, To ("2 Jan 2006")
	"flow_invalid_text", // Data: Max (characters)
	"flow_text_required",
	"flow_cancelled",
	"flow_changed",
	"opt_yes",
	"opt_no",
}

// LoadError lists every problem found while loading flows, one a line, each
// prefixed with its file (and step, where there is one).
type LoadError struct {
	Problems []string
}

func (e *LoadError) Error() string { return strings.Join(e.Problems, "\n") }

// Parse reads one flow definition. Unknown fields, a second YAML document
// and an empty file are errors (a *LoadError, one line per problem). Parse
// does not validate the flow: Load does.
func Parse(name string, data []byte) (*Flow, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f Flow
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &LoadError{[]string{name + ": empty file"}}
		}
		return nil, &LoadError{yamlProblems(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &LoadError{[]string{name + ": more than one YAML document"}}
	}
	f.Source = name
	return &f, nil
}

// yamlProblems splits a yaml error into one line per problem.
func yamlProblems(name string, err error) []string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		p := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			p = append(p, name+": "+strings.TrimSpace(e))
		}
		return p
	}
	return []string{name + ": " + strings.ReplaceAll(err.Error(), "\n", " ")}
}

// Load reads and validates every *.yaml file at the root of fsys. On any
// problem it returns a *LoadError listing all of them. known reports whether
// a message ID exists in English; nil skips the message checks.
func Load(fsys fs.FS, known func(msgID string) bool) ([]*Flow, error) {
	defs, p := parseAll(fsys, "")
	if len(defs) == 0 && len(p) == 0 {
		p = append(p, "no *.yaml flow files")
	}
	p = append(p, Validate(defs, known)...)
	if len(p) > 0 {
		return nil, &LoadError{p}
	}
	return defs, nil
}

// LoadWithOverride loads the flows of base and then those of the directory
// dir (if dir is not empty): a flow there replaces the base flow with the
// same id, a new id is added. The merged set is validated as a whole, so a
// command clash between an override and a base flow is reported too.
func LoadWithOverride(base fs.FS, dir string, known func(string) bool) ([]*Flow, error) {
	if dir == "" {
		return Load(base, known)
	}
	defs, p := parseAll(base, "")
	if fi, err := os.Stat(dir); err != nil {
		p = append(p, fmt.Sprintf("%s: %v", dir, err))
	} else if !fi.IsDir() {
		p = append(p, dir+": not a directory")
	} else {
		over, op := parseAll(os.DirFS(dir), dir)
		p = append(p, op...)
		nbase := len(defs)
		replaced := map[string]bool{}
		for _, o := range over {
			i := slices.IndexFunc(defs[:nbase], func(f *Flow) bool { return f.ID == o.ID })
			if o.ID != "" && i >= 0 && !replaced[o.ID] {
				defs[i] = o
				replaced[o.ID] = true
				continue
			}
			defs = append(defs, o) // new id, or a duplicate reported below
		}
	}
	if len(defs) == 0 && len(p) == 0 {
		p = append(p, "no *.yaml flow files")
	}
	p = append(p, Validate(defs, known)...)
	if len(p) > 0 {
		return nil, &LoadError{p}
	}
	return defs, nil
}

// Check loads the flows of fsys and returns every problem as a line, for
// `carenet flows check [DIR]`. With known set, the engine's own messages
// (EngineMessages) are checked too. No problems: nil.
func Check(fsys fs.FS, known func(string) bool) []string {
	var p []string
	if _, err := Load(fsys, known); err != nil {
		p = append(p, problemLines(err)...)
	}
	if known != nil {
		if err := CheckMessages(known); err != nil {
			p = append(p, problemLines(err)...)
		}
	}
	return p
}

func problemLines(err error) []string {
	var le *LoadError
	if errors.As(err, &le) {
		return le.Problems
	}
	return []string{err.Error()}
}

// CheckMessages reports (as a *LoadError) every EngineMessages ID that known
// does not have.
func CheckMessages(known func(string) bool) error {
	var p []string
	for _, id := range EngineMessages {
		if !known(id) {
			p = append(p, fmt.Sprintf("engine message %q is not in en", id))
		}
	}
	if len(p) > 0 {
		return &LoadError{p}
	}
	return nil
}

// parseAll parses every *.yaml file at the root of fsys; prefix (a directory
// name) is joined to each file name for Source and messages.
func parseAll(fsys fs.FS, prefix string) ([]*Flow, []string) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", displayName(prefix, "*.yaml"), err)}
	}
	var defs []*Flow
	var p []string
	for _, n := range names {
		name := displayName(prefix, n)
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			p = append(p, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		f, err := Parse(name, data)
		if err != nil {
			p = append(p, problemLines(err)...)
			continue
		}
		defs = append(defs, f)
	}
	return defs, p
}

func displayName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return filepath.Join(prefix, path.Clean(name))
}

// Validate checks flows that were parsed but not validated (Load calls it)
// and returns every problem as a line. The rules:
//
//   - id: present, lower-case [a-z][a-z0-9_]*, unique across files;
//     version > 0; scope private, group or any; action present (and not
//     "none", which only end steps may use); command, if set, [a-z0-9_]
//     up to 32 characters and unique across files; arg needs a command, and
//     a step named like arg must be a case_code step.
//   - steps: at least one; ids present, [a-z][a-z0-9_]*, unique, not "end";
//     every step has a prompt; kind is a known Kind.
//   - choice/multi: at least one choice; each with a value (no ",", unique
//     in the step) and a label. yesno: choices optional; if given, exactly
//     the values yes and no (labels default to opt_yes/opt_no). Other kinds
//     (end included) take no choices.
//   - number: min and max required, min <= max. date: min and max (days
//     from today) both or neither, min <= max. text: no min, max > 0 if set
//     (unset: DefaultTextMax). Other kinds take no min/max; only text steps
//     may be optional; only end steps take an action; end steps take no
//     next.
//   - next and goto targets are steps or "end"; every step is reachable from
//     the first (via next, the default next and goto); every reachable step
//     has a path to the end ("end" target or an end step).
//   - scores: id present and unique; at least one step; each step exists
//     and is a choice, multi or yesno step; levels have a name, unique, in
//     strictly descending min order (the first level whose min the sum
//     reaches wins, so a later level with a higher min could never win).
//   - with known set: title, prompts and labels exist in English.
func Validate(defs []*Flow, known func(string) bool) []string {
	var p []string
	ids := map[string]string{}
	cmds := map[string]string{}
	for _, f := range defs {
		p = append(p, f.problems(known)...)
		if f.ID != "" {
			if src, dup := ids[f.ID]; dup {
				p = append(p, fmt.Sprintf("%s: flow id %q is also used by %s", f.Source, f.ID, src))
			} else {
				ids[f.ID] = f.Source
			}
		}
		if f.Command != "" {
			if src, dup := cmds[f.Command]; dup {
				p = append(p, fmt.Sprintf("%s: command %q is also used by %s", f.Source, f.Command, src))
			} else {
				cmds[f.Command] = f.Source
			}
		}
	}
	return p
}

func validName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func validCommand(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

var kinds = []Kind{KindChoice, KindMulti, KindYesNo, KindNumber, KindDate, KindMonth, KindText, KindCaseCode, KindEnd}

// problems validates one flow.
func (f *Flow) problems(known func(string) bool) []string {
	var p []string
	src := f.Source
	if src == "" {
		src = "(flow " + f.ID + ")"
	}
	add := func(format string, a ...any) { p = append(p, src+": "+fmt.Sprintf(format, a...)) }
	msg := func(where, what, id string) {
		if known != nil && id != "" && !known(id) {
			add("%s%s %q is not in en", where, what, id)
		}
	}

	switch {
	case f.ID == "":
		add("id missing")
	case !validName(f.ID):
		add("id %q: use a-z, 0-9 and _, starting with a letter", f.ID)
	}
	if f.Version <= 0 {
		add("version must be > 0 (got %d)", f.Version)
	}
	switch f.Scope {
	case ScopePrivate, ScopeGroup, ScopeAny:
	case "":
		add("scope missing (private, group or any)")
	default:
		add("scope %q is not private, group or any", f.Scope)
	}
	switch f.Action {
	case "":
		add("action missing")
	case ActionNone:
		add("action %q is only for end steps", ActionNone)
	}
	if f.Command != "" && !validCommand(f.Command) {
		add("command %q: use a-z, 0-9 and _, at most 32 characters, no /", f.Command)
	}
	if f.Arg != "" && f.Command == "" {
		add("arg %q set but command empty", f.Arg)
	}
	msg("", "title", f.Title)
	if len(f.Steps) == 0 {
		add("no steps")
		return p
	}

	// Step ids.
	idsOK := true // unique and present: reachability is meaningful
	index := map[string]int{}
	names := make([]string, len(f.Steps)) // how problems name each step
	for i := range f.Steps {
		st := &f.Steps[i]
		names[i] = fmt.Sprintf("step %q: ", st.ID)
		switch {
		case st.ID == "":
			names[i] = fmt.Sprintf("step #%d: ", i+1)
			add("%sid missing", names[i])
			idsOK = false
			continue
		case st.ID == End:
			add("%sid %q is reserved (the target that completes a flow)", names[i], End)
		case !validName(st.ID):
			add("%sid: use a-z, 0-9 and _, starting with a letter", names[i])
		}
		if j, dup := index[st.ID]; dup {
			add("%sduplicate step id (also step #%d)", names[i], j+1)
			idsOK = false
			continue
		}
		index[st.ID] = i
	}
	targetsOK := true // every next/goto exists: "no path to the end" is meaningful
	isTarget := func(t string) bool {
		if t == End {
			return true
		}
		_, ok := index[t]
		targetsOK = targetsOK && ok
		return ok
	}

	for i := range f.Steps {
		st := &f.Steps[i]
		at := names[i]
		if st.Prompt == "" {
			add("%sprompt missing", at)
		}
		msg(at, "prompt", st.Prompt)

		switch st.Kind {
		case KindChoice, KindMulti:
			if len(st.Choices) == 0 {
				add("%s%s step needs at least one choice", at, st.Kind)
			}
		case KindYesNo:
			if len(st.Choices) > 0 {
				var yes, no int
				for _, c := range st.Choices {
					switch c.Value {
					case "yes":
						yes++
					case "no":
						no++
					}
				}
				if yes != 1 || no != 1 {
					add("%syesno choices, if given, must be exactly yes and no", at)
				}
			}
		case KindNumber, KindDate, KindMonth, KindText, KindCaseCode, KindEnd:
			if len(st.Choices) > 0 {
				add("%s%s steps take no choices", at, st.Kind)
			}
		case "":
			add("%skind missing (one of %s)", at, kindList())
		default:
			add("%skind %q is not one of %s", at, st.Kind, kindList())
		}
		if st.Kind == KindChoice || st.Kind == KindMulti || st.Kind == KindYesNo {
			seen := map[string]bool{}
			for j, c := range st.Choices {
				cat := fmt.Sprintf("%schoice #%d", at, j+1)
				switch {
				case c.Value == "":
					add("%s: value missing", cat)
				case strings.Contains(c.Value, ","):
					add("%s: value %q must not contain a comma", cat, c.Value)
				case st.Kind == KindYesNo && c.Value != "yes" && c.Value != "no":
					add("%s: value %q: yesno values are yes and no", cat, c.Value)
				case seen[c.Value]:
					add("%s: duplicate value %q", cat, c.Value)
				}
				seen[c.Value] = true
				if c.Label == "" && st.Kind != KindYesNo {
					add("%s: label missing", cat)
				}
				msg(at, "label", c.Label)
			}
		}

		// Bounds.
		switch st.Kind {
		case KindNumber:
			if st.Min == nil || st.Max == nil {
				add("%snumber steps need min and max", at)
			}
		case KindDate:
			if (st.Min == nil) != (st.Max == nil) {
				add("%sdate steps take min and max (days from today) both or neither", at)
			}
		case KindMonth:
			if (st.Min == nil) != (st.Max == nil) {
				add("%smonth steps take min and max (months from this month) both or neither", at)
			}
		case KindText:
			if st.Min != nil {
				add("%stext steps take no min", at)
			}
			if st.Max != nil && *st.Max <= 0 {
				add("%stext max must be > 0 (got %d)", at, *st.Max)
			}
		default:
			if st.Min != nil || st.Max != nil {
				add("%s%s steps take no min or max", at, st.Kind)
			}
		}
		if st.Min != nil && st.Max != nil && *st.Min > *st.Max {
			add("%smin %d > max %d", at, *st.Min, *st.Max)
		}
		if st.Optional && st.Kind != KindText && st.Kind != KindNumber && st.Kind != KindDate && st.Kind != KindMonth {
			add("%sonly text, number, date and month steps can be optional", at)
		}
		if st.Action != "" && st.Kind != KindEnd {
			add("%saction is only for end steps", at)
		}
		if st.Kind == KindEnd && st.Next != "" {
			add("%send steps take no next", at)
		}

		// Targets.
		if st.Next != "" && !isTarget(st.Next) {
			add("%snext %q is not a step", at, st.Next)
		}
		for _, c := range st.Choices {
			if c.Goto != "" && !isTarget(c.Goto) {
				add("%sgoto %q is not a step", at, c.Goto)
			}
		}
	}

	// Reachability from the first step, and a way out from every reachable
	// step (skipped when step ids are broken; the way out also when targets
	// are, so that one typo is not reported three times).
	if idsOK {
		checkReach(f, index, names, targetsOK, add)
	}

	if f.Arg != "" {
		if i, ok := index[f.Arg]; ok && f.Steps[i].Kind != KindCaseCode {
			add("arg %q names a %s step; the argument is a case code, so it must be a case_code step", f.Arg, f.Steps[i].Kind)
		}
	}

	// Scores.
	scoreIDs := map[string]bool{}
	for k, sc := range f.Scores {
		at := fmt.Sprintf("score %q: ", sc.ID)
		if sc.ID == "" {
			at = fmt.Sprintf("score #%d: ", k+1)
			add("%sid missing", at)
		} else if scoreIDs[sc.ID] {
			add("%sduplicate score id", at)
		}
		scoreIDs[sc.ID] = true
		if len(sc.Steps) == 0 {
			add("%sno steps", at)
		}
		for _, sid := range sc.Steps {
			i, ok := index[sid]
			if !ok {
				add("%sstep %q is not a step", at, sid)
				continue
			}
			switch f.Steps[i].Kind {
			case KindChoice, KindMulti, KindYesNo:
			default:
				add("%sstep %q is a %s step; scores need choice, multi or yesno steps", at, sid, f.Steps[i].Kind)
			}
		}
		levels := map[string]bool{}
		for j, l := range sc.Levels {
			if l.Level == "" {
				add("%slevel #%d: name missing", at, j+1)
			} else if levels[l.Level] {
				add("%slevel %q: duplicate", at, l.Level)
			}
			levels[l.Level] = true
			if j > 0 && l.Min >= sc.Levels[j-1].Min {
				add("%slevels must be in descending min order: %q (min %d) follows %q (min %d)",
					at, l.Level, l.Min, sc.Levels[j-1].Level, sc.Levels[j-1].Min)
			}
		}
	}
	return p
}

// checkReach reports steps unreachable from the first one and, with
// withEnd, reachable steps with no path to the end. Step ids must be
// present and unique.
func checkReach(f *Flow, index map[string]int, names []string, withEnd bool, add func(string, ...any)) {
	edges := make([][]int, len(f.Steps)) // -1 is End
	for i := range f.Steps {
		for _, t := range stepTargets(f, i) {
			if t == End {
				edges[i] = append(edges[i], -1)
			} else if j, ok := index[t]; ok {
				edges[i] = append(edges[i], j)
			}
		}
	}
	reached := make([]bool, len(f.Steps))
	reached[0] = true
	queue := []int{0}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range edges[i] {
			if j >= 0 && !reached[j] {
				reached[j] = true
				queue = append(queue, j)
			}
		}
	}
	ends := make([]bool, len(f.Steps))
	for changed := true; changed; {
		changed = false
		for i := range f.Steps {
			if ends[i] {
				continue
			}
			if f.Steps[i].Kind == KindEnd {
				ends[i], changed = true, true
				continue
			}
			for _, j := range edges[i] {
				if j < 0 || ends[j] {
					ends[i], changed = true, true
					break
				}
			}
		}
	}
	for i := range f.Steps {
		if !reached[i] {
			add("%sunreachable from step %q", names[i], f.Steps[0].ID)
		} else if withEnd && !ends[i] {
			add("%sno path from here to the end", names[i])
		}
	}
}

func kindList() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// stepTargets lists where step i can go: its next (explicit or default) and
// its choices' gotos. End steps go nowhere.
func stepTargets(f *Flow, i int) []string {
	st := &f.Steps[i]
	if st.Kind == KindEnd {
		return nil
	}
	t := []string{nextOf(f, i)}
	for _, c := range st.Choices {
		if c.Goto != "" {
			t = append(t, c.Goto)
		}
	}
	return t
}

// nextOf is the step after step i: its Next, or the following step in the
// file, or End after the last.
func nextOf(f *Flow, i int) string {
	if n := f.Steps[i].Next; n != "" {
		return n
	}
	if i+1 < len(f.Steps) {
		return f.Steps[i+1].ID
	}
	return End
}
