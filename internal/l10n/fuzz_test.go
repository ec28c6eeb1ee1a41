package l10n_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"carenet/internal/l10n"
	"carenet/locales"
)

// FuzzParse feeds arbitrary text to every parser: none may panic,
// Normalize is idempotent and its output has no surrounding spaces, and a
// parsed date is a valid midnight in today's location.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "yes", "Hóngu", "Yebo!", " 3. ", "3)", "today", "nhasi", "izolo",
		"2026-01-07", "7/1/2026", "31/2/2026", "5 Ndira", "İzolo", "\u200b",
		"e\u0301", "\xff\xfe", "ǅ", "ﬁ", "ß", "K", "1/1/99", "- ", "((()))",
	} {
		f.Add(s)
	}
	b, err := l10n.New(locales.FS)
	if err != nil {
		f.Fatal(err)
	}
	loc := time.FixedZone("CAT", 2*3600)
	today := time.Date(2026, 1, 7, 10, 0, 0, 0, loc)
	f.Fuzz(func(t *testing.T, s string) {
		n := l10n.Normalize(s)
		if n2 := l10n.Normalize(n); n2 != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, n2)
		}
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if strings.TrimSpace(n) != n || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q has stray spaces", s, n)
		}
		b.YesNo(s)
		if v, ok := b.Number(s); ok && v < 0 {
			t.Fatalf("Number(%q) = %d", s, v)
		}
		if d, ok := b.Date(s, today); ok {
			if d.Location() != loc || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
				t.Fatalf("Date(%q) = %v is not midnight in %v", s, d, loc)
			}
			if d.Year() < 1900 || d.Year() > 2999 {
				t.Fatalf("Date(%q) = %v out of range", s, d)
			}
		}
		// Labels and T must not panic on any ID either.
		b.Labels(s)
		b.Localizer(s).T(s, nil)
		b.ResetDiagnostics()
	})
}
