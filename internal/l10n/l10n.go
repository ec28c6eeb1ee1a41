// Package l10n loads carenet's messages (locales/*.{en,sn,nd}.toml: the
// core's active.<lang>.toml and one file per feature area) into a go-i18n
// bundle, renders them per member language, and understands
// answers typed in English, Shona or isiNdebele: digits, option words and
// yes/no forms, case- and accent-insensitive.
//
// Rendering never panics: a message missing in a member's language falls
// back to English, a message missing in English too renders as its ID, and
// every such miss is recorded (see Bundle.Missing and Bundle.Errors) so
// tests can fail on it. The package does not import carenet/flows; *Bundle
// satisfies flows.Lang structurally.
package l10n

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Default is the reference and fallback language.
const Default = "en"

// order is the preferred order of Languages and Labels; languages not
// listed here follow, sorted.
var order = []string{"en", "sn", "nd"}

// validID is the shape of a message ID: lower snake_case, no dots.
var validID = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// Bundle holds every message of every language. It is safe for concurrent
// use once New has returned.
type Bundle struct {
	i18n  *i18n.Bundle
	langs []string                            // in order; Default first
	msgs  map[string]map[string]*i18n.Message // lang -> id -> message
	locs  map[string]*Localizer               // lang -> localizer

	mu      sync.Mutex
	missing map[string]struct{} // "lang:id"
	errs    map[string]struct{} // "lang:id: problem"
}

// Localizer renders messages in one language.
type Localizer struct {
	b    *Bundle
	lang string
	loc  *i18n.Localizer
}

// New loads every <area>.<lang>.toml at the root of fsys (active.en.toml,
// closure.sn.toml, ...); a language's messages are the union of its files.
// It fails if there is no English file, if a file does not parse, if an ID
// is defined twice for one language, if a message ID is not lower
// snake_case, if a message has no "other" text or if a template does not
// parse.
func New(fsys fs.FS) (*Bundle, error) {
	names, err := fs.Glob(fsys, "*.*.toml")
	if err != nil {
		return nil, fmt.Errorf("l10n: %w", err)
	}
	ib := i18n.NewBundle(language.English)
	ib.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	b := &Bundle{
		i18n:    ib,
		msgs:    map[string]map[string]*i18n.Message{},
		locs:    map[string]*Localizer{},
		missing: map[string]struct{}{},
		errs:    map[string]struct{}{},
	}
	var problems []error
	from := map[string]string{} // "lang:id" -> file, to report duplicates
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".toml")
		lang := base[strings.LastIndex(base, ".")+1:]
		tag, err := language.Parse(lang)
		if err != nil || lang != strings.ToLower(lang) {
			problems = append(problems, fmt.Errorf("%s: bad language code %q", name, lang))
			continue
		}
		mf, err := ib.LoadMessageFileFS(fsys, name)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if mf.Tag != tag {
			problems = append(problems, fmt.Errorf("%s: language %s, want %s", name, mf.Tag, tag))
			continue
		}
		byID := b.msgs[lang]
		if byID == nil {
			byID = make(map[string]*i18n.Message, len(mf.Messages))
			b.msgs[lang] = byID
		}
		for _, m := range mf.Messages {
			if err := checkMessage(m); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", name, err))
				continue
			}
			if other, dup := from[lang+":"+m.ID]; dup {
				problems = append(problems, fmt.Errorf("%s: message %s is already defined in %s", name, m.ID, other))
				continue
			}
			from[lang+":"+m.ID] = name
			byID[m.ID] = m
		}
	}
	if _, ok := b.msgs[Default]; !ok && len(problems) == 0 {
		problems = append(problems, fmt.Errorf("no *.%s.toml", Default))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("l10n: %w", errors.Join(problems...))
	}
	for _, l := range order {
		if _, ok := b.msgs[l]; ok {
			b.langs = append(b.langs, l)
		}
	}
	var rest []string
	for l := range b.msgs {
		if !slices.Contains(order, l) {
			rest = append(rest, l)
		}
	}
	sort.Strings(rest)
	b.langs = append(b.langs, rest...)
	for _, l := range b.langs {
		b.locs[l] = &Localizer{b: b, lang: l, loc: i18n.NewLocalizer(ib, l)}
	}
	return b, nil
}

// checkMessage rejects IDs that are not snake_case, messages without an
// "other" text and templates that do not parse.
func checkMessage(m *i18n.Message) error {
	if !validID.MatchString(m.ID) {
		return fmt.Errorf("message ID %q is not lower snake_case", m.ID)
	}
	if strings.TrimSpace(m.Other) == "" {
		return fmt.Errorf("message %s has no \"other\" text", m.ID)
	}
	for _, src := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if src == "" {
			continue
		}
		if _, err := template.New(m.ID).Delims(m.LeftDelim, m.RightDelim).Parse(src); err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
	}
	return nil
}

// Localizer returns the localizer for lang ("sn", "nd-ZW", "EN"); an
// unknown language gets English.
func (b *Bundle) Localizer(lang string) *Localizer {
	return b.locs[b.match(lang)]
}

// match maps a language string to a loaded language code.
func (b *Bundle) match(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if _, ok := b.msgs[l]; ok {
		return l
	}
	return Default
}

// Languages returns the loaded language codes: "en", "sn", "nd".
func (b *Bundle) Languages() []string { return slices.Clone(b.langs) }

// Has reports whether the message is defined in one of that language's
// files.
func (b *Bundle) Has(lang, id string) bool {
	_, ok := b.msgs[lang][id]
	return ok
}

// IDs returns every English message ID, sorted.
func (b *Bundle) IDs() []string {
	ids := make([]string, 0, len(b.msgs[Default]))
	for id := range b.msgs[Default] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// IDsOf returns the message IDs defined in one language's files, sorted.
func (b *Bundle) IDsOf(lang string) []string {
	ids := make([]string, 0, len(b.msgs[lang]))
	for id := range b.msgs[lang] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Labels returns the "other" text of a message in every language that
// defines it, in Languages order, so that an option word typed in any
// language can be matched.
func (b *Bundle) Labels(id string) []string {
	var out []string
	for _, l := range b.langs {
		if m, ok := b.msgs[l][id]; ok {
			out = append(out, m.Other)
		}
	}
	return out
}

// Missing returns the "lang:id" pairs that T or Count were asked for and
// that language's file lacks, sorted. "sn:x" means a Shona member got the
// English text of x; "en:x" means x exists nowhere and its ID was shown.
func (b *Bundle) Missing() []string { return b.snapshot(b.missing) }

// Errors returns the render problems seen so far ("lang:id: problem"),
// sorted: template errors and "<no value>" from absent template data.
func (b *Bundle) Errors() []string { return b.snapshot(b.errs) }

// ResetDiagnostics forgets what Missing and Errors have recorded.
func (b *Bundle) ResetDiagnostics() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.missing)
	clear(b.errs)
}

func (b *Bundle) snapshot(set map[string]struct{}) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *Bundle) note(set map[string]struct{}, entry string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	set[entry] = struct{}{}
}

// Lang returns the localizer's language code.
func (l *Localizer) Lang() string { return l.lang }

// T renders a message with its template data ({{.Name}} style). It never
// panics: a message missing in the localizer's language is rendered in
// English, one missing everywhere renders as its ID; both are recorded in
// Missing. If data holds an integer "Count", it selects the plural form.
func (l *Localizer) T(id string, data map[string]any) string {
	var count any
	if c, ok := data["Count"]; ok && isInteger(c) {
		count = c
	}
	return l.render(id, data, count)
}

// Count renders a message whose form depends on n ("one" or "other" in
// en, sn and nd). n is also available to the template as {{.Count}}.
func (l *Localizer) Count(id string, n int, data map[string]any) string {
	d := make(map[string]any, len(data)+1)
	for k, v := range data {
		d[k] = v
	}
	d["Count"] = n
	return l.render(id, d, n)
}

func (l *Localizer) render(id string, data map[string]any, count any) string {
	if !l.b.plural(l.lang, id) {
		count = nil // only "other": it serves every count
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, PluralCount: count}
	if data != nil {
		cfg.TemplateData = data
	}
	s, err := l.loc.Localize(cfg)
	if err == nil {
		l.checkOutput(l.lang, id, s)
		return s
	}
	var nf *i18n.MessageNotFoundErr
	if errors.As(err, &nf) {
		l.b.note(l.b.missing, l.lang+":"+id)
		if !l.b.Has(Default, id) {
			l.b.note(l.b.missing, Default+":"+id)
			return id
		}
		if s == "" {
			return id
		}
		l.checkOutput(Default, id, s)
		return s
	}
	// A template that failed to run in this language. go-i18n already
	// retried the "other" form; else try English.
	l.b.note(l.b.errs, l.lang+":"+id+": "+err.Error())
	if s != "" {
		l.checkOutput(l.lang, id, s)
		return s
	}
	if l.lang != Default {
		if en, err := l.b.locs[Default].loc.Localize(cfg); err == nil {
			l.checkOutput(Default, id, en)
			return en
		}
	}
	return id
}

// plural reports whether the message T will use for lang (its own, else
// the English one) has plural forms besides "other".
func (b *Bundle) plural(lang, id string) bool {
	m, ok := b.msgs[lang][id]
	if !ok {
		m = b.msgs[Default][id]
	}
	return m != nil && (m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "")
}

// checkOutput records "<no value>", the trace of a template key the
// caller did not supply.
func (l *Localizer) checkOutput(lang, id, s string) {
	if strings.Contains(s, "<no value>") {
		l.b.note(l.b.errs, lang+":"+id+": <no value> (template data missing)")
	}
}

func isInteger(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}
