package l10n_test

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"

	"carenet/flows"
	"carenet/internal/l10n"
	"carenet/locales"
)

// *Bundle parses answers for the flow engine.
var _ flows.Lang = (*l10n.Bundle)(nil)

// sample holds every template key the messages may use. Each feature
// area's test file (sample_<area>_test.go) adds its own keys and
// exceptions in an init, so areas can be edited independently.
var sample = map[string]any{
	"Name":     "Tendai",
	"Max":      7,
	"Min":      1,
	"From":     "8/10/2025",
	"To":       "6/1/2026",
	"Title":    "Sample title",
	"Command":  "/foo",
	"Count":    3,
	"Code":     "W18-023",
	"Due":      "7/1 08:00",
	"What":     "the initial assessment",
	"Age":      "10-14",
	"At":       "5/1",
	"CCW":      "Tendai",
	"Concerns": "neglect",
	"Days":     7,
	"District": "Demo",
	"Done":     2,
	"Kind":     "welfare",
	"Last":     "visit",
	"Next":     "19/1",
	"Opened":   "5/1/2026",
	"Platform": "WhatsApp",
	"Role":     "CCW",
	"Sex":      "girl",
	"Status":   "open",
	"Total":    3,
	"Ward":     4,
}

// sameAllowed may read the same in sn/nd as in en: language names,
// institution names, and the trilingual message for unknown senders.
var sameAllowed = map[string]bool{
	"lang_name_en":         true,
	"lang_name_sn":         true,
	"lang_name_nd":         true,
	"opt_source_childline": true,
	// Trilingual: sent before the sender's language is known.
	"invite_unknown":        true,
	"invite_used":           true,
	"invite_expired":        true,
	"joined_group":          true,
	"opt_service_childline": true,
	"not_registered":        true,
}

// maxRunes bounds every message: they go to WhatsApp on cheap phones.
const maxRunes = 200

var longAllowed = map[string]bool{"not_registered": true, "help_private": true, "invite_unknown": true, "invite_used": true, "invite_expired": true, "joined_group": true}

func load(t testing.TB) *l10n.Bundle {
	t.Helper()
	b, err := l10n.New(locales.FS)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestLanguages(t *testing.T) {
	b := load(t)
	if got, want := b.Languages(), []string{"en", "sn", "nd"}; !slices.Equal(got, want) {
		t.Fatalf("Languages() = %v, want %v", got, want)
	}
	for in, want := range map[string]string{
		"en": "en", "sn": "sn", "nd": "nd", "SN": "sn", "sn-ZW": "sn", "nd_ZW": "nd",
		" nd ": "nd", "fr": "en", "zu": "en", "nr": "en", "": "en", "x-y-z": "en",
	} {
		if got := b.Localizer(in).Lang(); got != want {
			t.Errorf("Localizer(%q).Lang() = %q, want %q", in, got, want)
		}
	}
}

// TestAllMessages renders every message in every language and fails on a
// missing translation, a template error, "<no value>", an untranslated
// copy of the English text or a message that is too long.
func TestAllMessages(t *testing.T) {
	b := load(t)
	ids := b.IDs()
	if len(ids) == 0 {
		t.Fatal("no messages in en")
	}
	en := b.Localizer("en")
	for _, lang := range b.Languages() {
		loc := b.Localizer(lang)
		for _, id := range ids {
			if !b.Has(lang, id) {
				t.Errorf("%s: %s missing", lang, id)
				continue
			}
			for _, n := range []int{0, 1, 2, 7} {
				out := loc.Count(id, n, sample)
				if strings.Contains(out, "<no value>") {
					t.Errorf("%s: %s (n=%d): <no value> in %q", lang, id, n, out)
				}
				if strings.Contains(out, "{{") || strings.Contains(out, "}}") {
					t.Errorf("%s: %s (n=%d): unrendered template in %q", lang, id, n, out)
				}
			}
			out := loc.T(id, sample)
			if strings.TrimSpace(out) == "" || out == id {
				t.Errorf("%s: %s renders as %q", lang, id, out)
			}
			if n := utf8.RuneCountInString(out); n > maxRunes && !longAllowed[id] {
				t.Errorf("%s: %s is %d characters, keep it under %d", lang, id, n, maxRunes)
			}
			if lang != "en" && !sameAllowed[id] {
				if ref := en.T(id, sample); out == ref && utf8.RuneCountInString(ref) > 12 {
					t.Errorf("%s: %s is the English text %q; translate it or add it to sameAllowed", lang, id, out)
				}
			}
		}
	}
	if m := b.Missing(); len(m) > 0 {
		t.Errorf("missing messages: %v", m)
	}
	if e := b.Errors(); len(e) > 0 {
		t.Errorf("render errors: %v", e)
	}
}

// TestNoOrphans: every key of sn and nd exists in en, read from the TOML
// itself.
func TestNoOrphans(t *testing.T) {
	b := load(t)
	en := rawFile(t, "en")
	for _, lang := range b.Languages()[1:] {
		for id := range rawFile(t, lang) {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is in no English file", lang, id)
			}
		}
		for _, id := range b.IDsOf(lang) {
			if !b.Has("en", id) {
				t.Errorf("%s: %s is in no English file", lang, id)
			}
		}
	}
}

var templateKey = regexp.MustCompile(`\{\{-?\s*\.(\w+)`)

// TestTemplateKeys: a translation uses the same template keys as English,
// so a forgotten {{.Max}} is caught even though it renders fine.
func TestTemplateKeys(t *testing.T) {
	b := load(t)
	keys := func(lang, id string) []string {
		var ks []string
		for _, s := range rawTexts(t, lang, id) {
			for _, m := range templateKey.FindAllStringSubmatch(s, -1) {
				ks = append(ks, m[1])
			}
		}
		slices.Sort(ks)
		return slices.Compact(ks)
	}
	for _, id := range b.IDs() {
		want := keys("en", id)
		for _, k := range want {
			if _, ok := sample[k]; !ok {
				t.Errorf("en: %s uses {{.%s}}, add it to sample", id, k)
			}
		}
		for _, lang := range b.Languages()[1:] {
			if got := keys(lang, id); !slices.Equal(got, want) {
				t.Errorf("%s: %s uses keys %v, en uses %v", lang, id, got, want)
			}
		}
	}
}

// rawFile reads a language's message files as plain TOML: id -> field ->
// text.
func rawFile(t *testing.T, lang string) map[string]map[string]any {
	t.Helper()
	names, err := fs.Glob(locales.FS, "*."+lang+".toml")
	if err != nil || len(names) == 0 {
		t.Fatalf("%s: no files (%v)", lang, err)
	}
	all := map[string]map[string]any{}
	for _, name := range names {
		var m map[string]map[string]any
		if _, err := toml.DecodeFS(locales.FS, name, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		maps.Copy(all, m)
	}
	return all
}

// rawTexts returns the plural forms of a message as written in the file.
func rawTexts(t *testing.T, lang, id string) []string {
	t.Helper()
	var out []string
	msg := rawFile(t, lang)[id]
	for _, form := range []string{"zero", "one", "two", "few", "many", "other"} {
		if s, ok := msg[form].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestFlowMessages: every prompt, label and title of flows/defs has an
// English message (and so, by TestAllMessages, sn and nd ones).
func TestFlowMessages(t *testing.T) {
	b := load(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "flows", "defs", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no flow files: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fl flows.Flow
		if err := yaml.Unmarshal(data, &fl); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		need := []string{}
		if fl.Title != "" {
			need = append(need, fl.Title)
		}
		for _, s := range fl.Steps {
			need = append(need, s.Prompt)
			for _, c := range s.Choices {
				need = append(need, c.Label)
			}
			if s.Kind == flows.KindYesNo && len(s.Choices) == 0 {
				need = append(need, "opt_yes", "opt_no")
			}
		}
		for _, id := range need {
			if !b.Has("en", id) {
				t.Errorf("%s: message %q is in no English file", filepath.Base(f), id)
			}
		}
	}
}

func TestLangSetNamesOwnLanguage(t *testing.T) {
	b := load(t)
	for lang, word := range map[string]string{"en": "English", "sn": "Shona", "nd": "Ndebele"} {
		if got := b.Localizer(lang).T("lang_set", nil); !strings.Contains(got, word) {
			t.Errorf("%s: lang_set = %q, want it to name %s", lang, got, word)
		}
	}
}

func TestLabels(t *testing.T) {
	b := load(t)
	if got, want := b.Labels("opt_yes"), []string{"Yes", "Hongu", "Yebo"}; !slices.Equal(got, want) {
		t.Errorf("Labels(opt_yes) = %v, want %v", got, want)
	}
	if got := b.Labels("no_such_message"); len(got) != 0 {
		t.Errorf("Labels(unknown) = %v, want none", got)
	}
}

func TestUnknownID(t *testing.T) {
	b := load(t)
	if got := b.Localizer("sn").T("no_such_message", nil); got != "no_such_message" {
		t.Errorf("T(unknown) = %q, want the ID", got)
	}
	want := []string{"en:no_such_message", "sn:no_such_message"}
	if got := b.Missing(); !slices.Equal(got, want) {
		t.Errorf("Missing() = %v, want %v", got, want)
	}
	b.ResetDiagnostics()
	if got := b.Missing(); len(got) != 0 {
		t.Errorf("Missing() after reset = %v", got)
	}
}

// testFS is a small set of files exercising fallback and plurals.
var testFS = fstest.MapFS{
	"active.en.toml": {Data: []byte(`
[hello]
other = "Hello {{.Name}}"

[members]
one = "{{.Count}} member"
other = "{{.Count}} members"

[only_en]
other = "English only"
`)},
	"active.sn.toml": {Data: []byte(`
[hello]
other = "Mhoro {{.Name}}"

[members]
one = "Nhengo {{.Count}}"
other = "Nhengo {{.Count}} (dzakawanda)"
`)},
	"active.nd.toml": {Data: []byte(`
[hello]
other = "Salibonani {{.Nam}}"
`)},
	"notes.txt": {Data: []byte("ignored")},
}

func TestFallbackAndPlurals(t *testing.T) {
	b, err := l10n.New(testFS)
	if err != nil {
		t.Fatal(err)
	}
	sn, nd := b.Localizer("sn"), b.Localizer("nd")
	if got := sn.T("hello", map[string]any{"Name": "Rudo"}); got != "Mhoro Rudo" {
		t.Errorf("sn hello = %q", got)
	}
	if got := sn.T("only_en", nil); got != "English only" {
		t.Errorf("sn only_en = %q, want the English text", got)
	}
	for n, want := range map[int]string{0: "Nhengo 0 (dzakawanda)", 1: "Nhengo 1", 2: "Nhengo 2 (dzakawanda)"} {
		if got := sn.Count("members", n, nil); got != want {
			t.Errorf("sn Count(members, %d) = %q, want %q", n, got, want)
		}
	}
	if got := b.Localizer("en").Count("members", 1, map[string]any{"Name": "x"}); got != "1 member" {
		t.Errorf("en Count(members, 1) = %q", got)
	}
	// T picks the plural form from an integer Count in the data.
	if got := b.Localizer("en").T("members", map[string]any{"Count": 1}); got != "1 member" {
		t.Errorf("en T(members, Count 1) = %q", got)
	}
	if got := nd.Count("members", 1, nil); got != "1 member" {
		t.Errorf("nd Count(members, 1) = %q, want English", got)
	}
	_ = nd.T("hello", map[string]any{"Name": "Sipho"})
	if got, want := b.Missing(), []string{"nd:members", "sn:only_en"}; !slices.Equal(got, want) {
		t.Errorf("Missing() = %v, want %v", got, want)
	}
	if got := b.Errors(); len(got) != 1 || !strings.HasPrefix(got[0], "nd:hello: <no value>") {
		t.Errorf("Errors() = %v, want the nd <no value>", got)
	}
}

func TestNewRejects(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no en":        {"active.sn.toml": {Data: []byte("[a]\nother = \"x\"\n")}},
		"bad toml":     {"active.en.toml": {Data: []byte("[a\nother = ")}},
		"dotted id":    {"active.en.toml": {Data: []byte("[a.b]\nother = \"x\"\n")}},
		"upper id":     {"active.en.toml": {Data: []byte("[Hello]\nother = \"x\"\n")}},
		"no other":     {"active.en.toml": {Data: []byte("[a]\none = \"x\"\n")}},
		"bad template": {"active.en.toml": {Data: []byte("[a]\nother = \"{{.Name\"\n")}},
		"defined twice": {
			"active.en.toml": {Data: []byte("[a]\nother = \"x\"\n")},
			"more.en.toml":   {Data: []byte("[a]\nother = \"y\"\n")},
		},
		"bad lang": {"active.en.toml": {Data: []byte("[a]\nother = \"x\"\n")}, "active.xx-yy-zz-123456789.toml": {Data: []byte("")}},
	} {
		if _, err := l10n.New(fsys); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
}

// TestConcurrentUse runs T from many goroutines (go test -race).
func TestConcurrentUse(t *testing.T) {
	b := load(t)
	done := make(chan bool)
	for i := range 8 {
		go func() {
			loc := b.Localizer(b.Languages()[i%3])
			for _, id := range b.IDs() {
				loc.T(id, sample)
			}
			loc.T("no_such_message", nil)
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}

// TestAreaFiles: a language's messages are the union of its files.
func TestAreaFiles(t *testing.T) {
	b, err := l10n.New(fstest.MapFS{
		"active.en.toml":  {Data: []byte("[a]\nother = \"core\"\n")},
		"closure.en.toml": {Data: []byte("[b]\nother = \"area\"\n")},
		"closure.sn.toml": {Data: []byte("[b]\nother = \"nzvimbo\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.IDs(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("IDs() = %v, want [a b]", got)
	}
	if got := b.Localizer("sn").T("b", nil); got != "nzvimbo" {
		t.Errorf("sn b = %q", got)
	}
	if !slices.Equal(b.Languages(), []string{"en", "sn"}) {
		t.Errorf("Languages() = %v", b.Languages())
	}
}
