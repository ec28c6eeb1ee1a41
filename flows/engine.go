package flows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/looplab/fsm"
)

// Errors of the Engine. Step and Start report an unknown flow id with
// ErrUnknownFlow; Prompt reports a session whose flow changed with
// ErrFlowChanged (Step and Start answer that with Status Cancelled instead).
var (
	ErrUnknownFlow = errors.New("flows: unknown flow")
	ErrFlowChanged = errors.New("flows: the flow changed under the session")
)

// DefaultTextMax bounds a text answer whose step sets no max, so that a
// session stays small.
const DefaultTextMax = 200

// Event names of the fsm machine: every question step has "next"; a choice
// with a goto adds "goto:<value>" from its step.
const (
	eventNext   = "next"
	eventGotoPx = "goto:"
)

// Engine runs flows. It is immutable after NewEngine and safe for concurrent
// use; every call is a pure function of its arguments.
type Engine struct {
	flows  map[string]*compiled
	byCmd  map[string]*compiled
	sorted []*Flow
}

// compiled is a flow with its step index and its fsm events, built once.
type compiled struct {
	def    *Flow
	index  map[string]int
	events []fsm.EventDesc
}

// NewEngine prepares flows for running. defs must be valid (from Load); a
// later flow with the same id or command replaces an earlier one.
func NewEngine(defs []*Flow) *Engine {
	e := &Engine{flows: map[string]*compiled{}, byCmd: map[string]*compiled{}}
	for _, f := range defs {
		cf := &compiled{def: f, index: make(map[string]int, len(f.Steps)), events: fsmEvents(f)}
		for i, st := range f.Steps {
			cf.index[st.ID] = i
		}
		e.flows[f.ID] = cf
		if f.Command != "" {
			e.byCmd[f.Command] = cf
		}
	}
	for _, cf := range e.flows {
		e.sorted = append(e.sorted, cf.def)
	}
	slices.SortFunc(e.sorted, func(a, b *Flow) int { return strings.Compare(a.ID, b.ID) })
	return e
}

// fsmEvents builds the transitions of a flow: "next" from every question
// step to its next step (or "end"), and "goto:<value>" from a step to the
// goto of each choice that has one. End steps are terminal.
func fsmEvents(f *Flow) []fsm.EventDesc {
	var ev []fsm.EventDesc
	for i, st := range f.Steps {
		if st.Kind == KindEnd {
			continue
		}
		ev = append(ev, fsm.EventDesc{Name: eventNext, Src: []string{st.ID}, Dst: nextOf(f, i)})
		for _, c := range st.Choices {
			if c.Goto != "" {
				ev = append(ev, fsm.EventDesc{Name: eventGotoPx + c.Value, Src: []string{st.ID}, Dst: c.Goto})
			}
		}
	}
	return ev
}

// Flow returns the flow with the given id.
func (e *Engine) Flow(id string) (*Flow, bool) {
	cf, ok := e.flows[id]
	if !ok {
		return nil, false
	}
	return cf.def, true
}

// ByCommand returns the flow a command starts; cmd may carry its leading
// "/" and any letter case ("/NewCase").
func (e *Engine) ByCommand(cmd string) (*Flow, bool) {
	cf, ok := e.byCmd[strings.ToLower(strings.TrimPrefix(cmd, "/"))]
	if !ok {
		return nil, false
	}
	return cf.def, true
}

// Flows returns every flow, sorted by id.
func (e *Engine) Flows() []*Flow { return slices.Clone(e.sorted) }

// Start begins a flow at its first step. If the flow has an Arg and
// args[Arg] is given, it is checked as a case code (a problem: Status
// Invalid with the problem message and no session) and stored as that
// answer; a step named like Arg is then skipped. The first question is in
// Out; a flow that begins with an end step finishes at once.
func (e *Engine) Start(flowID string, args map[string]string, env Env) (Result, error) {
	cf, ok := e.flows[flowID]
	if !ok {
		return Result{}, fmt.Errorf("%w %q", ErrUnknownFlow, flowID)
	}
	f := cf.def
	s := &Session{Flow: f.ID, Version: f.Version, Step: f.Steps[0].ID}
	if f.Arg != "" {
		if v := strings.TrimSpace(args[f.Arg]); v != "" {
			code, problem := checkCode(env, v)
			if problem != "" {
				return Result{Status: Invalid, Out: []Output{{Msg: problem}}}, nil
			}
			s.Answers = map[string]string{f.Arg: code}
		}
	}
	return cf.arrive(s, nil, true)
}

// Step takes one answer to the session's current question. An answer that
// does not parse gives Status Invalid, a copy of the unchanged session and
// Out = [the error, the question again]. A valid one is stored and the flow
// moves on: Asked with the next question, or Done/Stopped when it ends (Out
// then holds only the prompts of end steps). A session whose flow version
// or step no longer exists is Cancelled with flow_changed.
func (e *Engine) Step(s Session, input string, env Env) (Result, error) {
	cf, ok := e.flows[s.Flow]
	if !ok {
		return Result{}, fmt.Errorf("%w %q", ErrUnknownFlow, s.Flow)
	}
	st, ok := cf.current(s)
	if !ok {
		return changed(), nil
	}
	if env.Lang == nil && needsLang(st.Kind) {
		return Result{}, errors.New("flows: Env.Lang is nil")
	}
	value, bad := parseAnswer(st, input, env)
	if bad != nil {
		cp := s.clone()
		return Result{Status: Invalid, Session: &cp, Out: []Output{*bad, cf.prompt(st, &s)}}, nil
	}
	ns := s.clone()
	if ns.Answers == nil {
		ns.Answers = map[string]string{}
	}
	ns.Answers[st.ID] = value
	next, err := cf.fire(st.ID, eventFor(st, value))
	if err != nil {
		return Result{}, err
	}
	ns.Step = next
	return cf.arrive(&ns, nil, false)
}

// Cancel ends a session at the member's request.
func (e *Engine) Cancel(s Session) Result {
	return Result{Status: Cancelled, Out: []Output{{Msg: "flow_cancelled"}}}
}

// Prompt returns the session's current question again (for reminders).
func (e *Engine) Prompt(s Session) ([]Output, error) {
	cf, ok := e.flows[s.Flow]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFlow, s.Flow)
	}
	st, ok := cf.current(s)
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d step %q", ErrFlowChanged, s.Flow, s.Version, s.Step)
	}
	return []Output{cf.prompt(st, &s)}, nil
}

func changed() Result {
	return Result{Status: Cancelled, Out: []Output{{Msg: "flow_changed"}}}
}

// current is the session's question step; false if the flow's version
// changed or the step is not a question of it.
func (cf *compiled) current(s Session) (*Step, bool) {
	if s.Version != cf.def.Version {
		return nil, false
	}
	i, ok := cf.index[s.Step]
	if !ok || cf.def.Steps[i].Kind == KindEnd {
		return nil, false
	}
	return &cf.def.Steps[i], true
}

// fire moves from a step by an event on an fsm machine rebuilt from the
// cached events. A self-loop (fsm.NoTransitionError) is a success.
func (cf *compiled) fire(from, event string) (string, error) {
	m := fsm.NewFSM(from, cf.events, nil)
	if err := m.Event(context.Background(), event); err != nil {
		var nt fsm.NoTransitionError
		if !errors.As(err, &nt) {
			return "", fmt.Errorf("flows: %s: step %q: %w", cf.def.ID, from, err)
		}
	}
	return m.Current(), nil
}

// arrive settles a session that has just moved to s.Step: "end" finishes,
// an end step shows its prompt and finishes, a question is asked. With
// skipAnswered (Start), questions already answered by args are passed.
func (cf *compiled) arrive(s *Session, out []Output, skipAnswered bool) (Result, error) {
	for hops := 0; ; hops++ {
		if s.Step == End {
			return cf.finish(s, "", out), nil
		}
		i, ok := cf.index[s.Step]
		if !ok { // cannot happen with a validated flow
			return Result{}, fmt.Errorf("flows: %s: step %q is not a step", cf.def.ID, s.Step)
		}
		st := &cf.def.Steps[i]
		if st.Kind == KindEnd {
			out = append(out, Output{Msg: st.Prompt, Data: cf.data(s)})
			return cf.finish(s, st.Action, out), nil
		}
		if v, ok := s.Answers[st.ID]; ok && skipAnswered && hops <= len(cf.def.Steps) {
			next, err := cf.fire(st.ID, eventFor(st, v))
			if err != nil {
				return Result{}, err
			}
			s.Step = next
			continue
		}
		out = append(out, cf.prompt(st, s))
		return Result{Status: Asked, Session: s, Out: out}, nil
	}
}

// finish completes a flow with the action of its end step (or the flow's).
func (cf *compiled) finish(s *Session, stepAction string, out []Output) Result {
	action := cf.def.Action
	if stepAction != "" {
		action = stepAction
	}
	if action == ActionNone {
		return Result{Status: Stopped, Out: out}
	}
	answers := maps.Clone(s.Answers)
	if answers == nil {
		answers = map[string]string{}
	}
	return Result{Status: Done, Out: out, Action: action, Answers: answers, Scores: cf.scores(answers)}
}

// prompt is the question of a step, with its choices' labels and the
// answers so far as template data.
func (cf *compiled) prompt(st *Step, s *Session) Output {
	o := Output{Msg: st.Prompt, Data: cf.data(s)}
	switch st.Kind {
	case KindChoice, KindMulti:
		o.Choices = make([]string, len(st.Choices))
		for i, c := range st.Choices {
			o.Choices[i] = c.Label
		}
	case KindYesNo:
		o.Choices = yesNoLabels(st)
	}
	return o
}

// data is the template data of a prompt: the answers so far keyed by step
// id (sensitive ones left out), plus Code when an answer "case" exists.
func (cf *compiled) data(s *Session) map[string]any {
	if len(s.Answers) == 0 {
		return nil
	}
	d := make(map[string]any, len(s.Answers)+1)
	for k, v := range s.Answers {
		if i, ok := cf.index[k]; ok && cf.def.Steps[i].Sensitive {
			continue
		}
		d[k] = v
	}
	if c, ok := s.Answers["case"]; ok {
		d["Code"] = c
	}
	if len(d) == 0 {
		return nil
	}
	return d
}

// scores computes every Score of the flow from the answers.
func (cf *compiled) scores(answers map[string]string) map[string]ScoreResult {
	if len(cf.def.Scores) == 0 {
		return nil
	}
	res := make(map[string]ScoreResult, len(cf.def.Scores))
	for _, sc := range cf.def.Scores {
		sum := 0
		for _, sid := range sc.Steps {
			i, ok := cf.index[sid]
			v, answered := answers[sid]
			if !ok || !answered {
				continue
			}
			st := &cf.def.Steps[i]
			vals := []string{v}
			if st.Kind == KindMulti {
				vals = strings.Split(v, ",")
			}
			for _, c := range st.Choices {
				if slices.Contains(vals, c.Value) {
					sum += c.Score
				}
			}
		}
		r := ScoreResult{Value: sum}
		for _, l := range sc.Levels {
			if sum >= l.Min {
				r.Level = l.Level
				break
			}
		}
		res[sc.ID] = r
	}
	return res
}

// eventFor is the fsm event an answer fires: "goto:<value>" when its choice
// has a goto (multi: the first selected choice, in choice order, that has
// one), else "next".
func eventFor(st *Step, value string) string {
	switch st.Kind {
	case KindChoice, KindYesNo:
		for _, c := range st.Choices {
			if c.Value == value && c.Goto != "" {
				return eventGotoPx + c.Value
			}
		}
	case KindMulti:
		vals := strings.Split(value, ",")
		for _, c := range st.Choices {
			if c.Goto != "" && slices.Contains(vals, c.Value) {
				return eventGotoPx + c.Value
			}
		}
	}
	return eventNext
}

func (s Session) clone() Session {
	c := s
	c.Answers = maps.Clone(s.Answers)
	return c
}

// String names a Status ("asked", "invalid", ...).
func (s Status) String() string {
	switch s {
	case Asked:
		return "asked"
	case Invalid:
		return "invalid"
	case Done:
		return "done"
	case Stopped:
		return "stopped"
	case Cancelled:
		return "cancelled"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}
