// Package flows defines carenet's conversations as data and runs them.
//
// A flow is a versioned YAML file (see flows/defs): steps with an id, a
// prompt (a message ID in locales/), a kind, choices with optional scores,
// and next / per-choice goto targets. Load validates every file and reports
// every problem at once. The Engine is pure: it turns (Session, input, Env)
// into a new Session and Outputs without I/O or logging, driving each step
// through a looplab/fsm machine rebuilt from the definition and restored with
// SetState. The persisted Session is the source of truth.
package flows

import "time"

// Scope says where a flow may run.
type Scope string

// Scopes.
const (
	ScopePrivate Scope = "private" // never in a group: started there, it moves to the private chat
	ScopeGroup   Scope = "group"
	ScopeAny     Scope = "any"
)

// Kind is the kind of answer a step expects.
type Kind string

// Step kinds.
const (
	KindChoice   Kind = "choice"    // one of Choices, by number or by word
	KindMulti    Kind = "multi"     // several of Choices: "1 4 6" or "1,4,6"
	KindYesNo    Kind = "yesno"     // yes or no in en, sn or nd, or 1/2
	KindNumber   Kind = "number"    // a whole number within Min..Max
	KindDate     Kind = "date"      // a date; Min..Max are days from today
	KindMonth    Kind = "month"     // a month and year ("3/2010"); Min..Max are months from this month
	KindText     Kind = "text"      // free text of at most Max characters
	KindCaseCode Kind = "case_code" // a case code, checked by Env.CheckCode
	KindEnd      Kind = "end"       // no question: shows Prompt and ends the flow
)

// End is the reserved next/goto target that completes a flow.
const End = "end"

// ActionNone on an end step stops a flow without running any action: the
// answers are dropped (e.g. the GBV safety stop).
const ActionNone = "none"

// Flow is one conversation definition, as read from YAML.
type Flow struct {
	ID      string `yaml:"id"`
	Version int    `yaml:"version"`
	Scope   Scope  `yaml:"scope"`
	// Command starts the flow ("newcase" for /newcase); empty if the bot
	// starts it itself.
	Command string `yaml:"command,omitempty"`
	// Arg names the answer that the command's argument fills (e.g. "case"
	// for /assess CODE); the argument is then checked as a case code.
	Arg string `yaml:"arg,omitempty"`
	// Needs names the permission (a casework action such as "assess") the
	// member must hold on the case given as Arg, or "open" for intake; the
	// bot checks it before the flow starts.
	Needs string `yaml:"needs,omitempty"`
	// Title is a message ID naming the flow in help texts.
	Title string `yaml:"title,omitempty"`
	// Action is the domain action the bot runs with the answers when the
	// flow completes (open_case, record_visit, set_language, ...).
	Action string  `yaml:"action"`
	Steps  []Step  `yaml:"steps"`
	Scores []Score `yaml:"scores,omitempty"`
	// Source is the file the flow came from, for error messages.
	Source string `yaml:"-"`
}

// Step is one question (or, with KindEnd, a closing message).
type Step struct {
	ID      string   `yaml:"id"`
	Prompt  string   `yaml:"prompt"`
	Kind    Kind     `yaml:"kind"`
	Choices []Choice `yaml:"choices,omitempty"`
	// Next is the step after this one; empty means the following step in
	// the file, or End after the last.
	Next string `yaml:"next,omitempty"`
	// Min and Max bound a number, a date (days from today) or, Max only,
	// the length of a text.
	Min *int `yaml:"min,omitempty"`
	Max *int `yaml:"max,omitempty"`
	// Optional lets a text, number, date or month step be skipped with
	// "-" or "skip" (stored empty).
	Optional bool `yaml:"optional,omitempty"`
	// Sensitive marks an identifying answer: encrypted at rest by the bot,
	// never shown in a group.
	Sensitive bool `yaml:"sensitive,omitempty"`
	// Action overrides the flow's action on an end step; ActionNone stops
	// without storing anything.
	Action string `yaml:"action,omitempty"`
}

// Choice is one option of a choice, multi or yesno step. For yesno steps
// the values are "yes" and "no" and labels default to opt_yes / opt_no.
type Choice struct {
	Value string `yaml:"value"`
	Label string `yaml:"label"`
	Score int    `yaml:"score,omitempty"`
	Goto  string `yaml:"goto,omitempty"`
}

// Score sums the choice scores of some steps and maps the sum to a level:
// the first level (in file order) whose Min the sum reaches.
type Score struct {
	ID     string   `yaml:"id"`
	Steps  []string `yaml:"steps"`
	Levels []Level  `yaml:"levels,omitempty"`
}

// Level is one threshold of a Score.
type Level struct {
	Min   int    `yaml:"min"`
	Level string `yaml:"level"`
}

// Session is the persisted state of one running flow: small plain data
// (target: under 1 KB for a 12-question flow), the only source of truth.
type Session struct {
	Flow    string            `json:"f"`
	Version int               `json:"v"`
	Step    string            `json:"s"`
	Answers map[string]string `json:"a,omitempty"`
}

// Output is one thing the bot should say: a message ID with its template
// data and, for questions, the message IDs of the choices to list.
type Output struct {
	Msg     string         `json:"msg"`
	Data    map[string]any `json:"data,omitempty"`
	Choices []string       `json:"choices,omitempty"`
}

// Status says how a step ended.
type Status int

// Step outcomes.
const (
	Asked     Status = iota // the answer was taken; the next question is in Out
	Invalid                 // the answer was refused; Session unchanged, Out re-prompts
	Done                    // the flow completed; run Action with Answers
	Stopped                 // an end step with ActionNone: nothing to store
	Cancelled               // /cancel, or the flow changed under the session
)

// Result is what Start, Step and Cancel return.
type Result struct {
	Status Status
	// Session is the state to persist; nil when the flow is over.
	Session *Session
	Out     []Output
	// Action and Answers are set when Status is Done.
	Action  string
	Answers map[string]string
	// Scores holds every Score of the flow when Status is Done.
	Scores map[string]ScoreResult
}

// ScoreResult is a computed Score.
type ScoreResult struct {
	Value int    `json:"value"`
	Level string `json:"level,omitempty"`
}

// Lang parses answers. internal/l10n implements it; it is pure lookup.
type Lang interface {
	// Labels returns the text of a message in every language, so an option
	// word typed in any of them is understood.
	Labels(msgID string) []string
	// YesNo reads yes/no in en, sn or nd ("hongu", "yebo", "kwete", ...).
	YesNo(s string) (yes, ok bool)
	// Number reads a whole number ("3", " 3. ").
	Number(s string) (int, bool)
	// Date reads a date relative to today ("today", "nhasi", "2026-01-07",
	// "7/1/2026").
	Date(s string, today time.Time) (time.Time, bool)
}

// Env is everything outside the session a step may depend on.
type Env struct {
	Now  time.Time
	Lang Lang
	// CheckCode normalises and checks a case code. It returns the code,
	// or a message ID explaining the problem. Nil accepts any code.
	CheckCode func(s string) (code, problem string)
}
