package flows

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeLang is a tiny English-only Lang for unit tests.
type fakeLang struct{}

var fakeLabels = map[string]string{
	"opt_yes":      "Yes",
	"opt_no":       "No",
	"opt_sex_girl": "Girl",
	"opt_sex_boy":  "Boy",
	"opt_food":     "Food",
	"opt_school":   "School fees",
	"opt_health":   "Health",
	"opt_red":      "Red",
	"opt_green":    "Green",
	"opt_blue":     "Blue",
}

func (fakeLang) Labels(id string) []string {
	if s, ok := fakeLabels[id]; ok {
		return []string{s}
	}
	return nil
}

func (fakeLang) YesNo(s string) (yes, ok bool) {
	switch normalize(s) {
	case "yes", "y":
		return true, true
	case "no", "n":
		return false, true
	}
	return false, false
}

func (fakeLang) Number(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (fakeLang) Date(s string, today time.Time) (time.Time, bool) {
	switch normalize(s) {
	case "today":
		return today, true
	case "yesterday":
		return today.AddDate(0, 0, -1), true
	}
	for _, layout := range []string{"2006-01-02", "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), today.Location()); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var cat = time.FixedZone("CAT", 2*3600)

func testEnv() Env {
	return Env{Now: time.Date(2026, 1, 5, 8, 0, 0, 0, cat), Lang: fakeLang{}}
}

func ip(i int) *int { return &i }

// mustParse parses an inline flow and fails the test on any load problem.
func mustParse(t testing.TB, src string) *Flow {
	t.Helper()
	f, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p := Validate([]*Flow{f}, nil); len(p) > 0 {
		t.Fatalf("invalid test flow:\n%s", strings.Join(p, "\n"))
	}
	return f
}

func mustStart(t testing.TB, e *Engine, id string, args map[string]string) Result {
	t.Helper()
	r, err := e.Start(id, args, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustStep(t testing.TB, e *Engine, s Session, input string) Result {
	t.Helper()
	r, err := e.Step(s, input, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	return r
}
