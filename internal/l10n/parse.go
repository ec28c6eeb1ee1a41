package l10n

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// trimPunct is the punctuation Normalize strips from both ends of an
// answer ("Yebo!", "(3)", "'hongu'"). "-", "/" and "." inside stay.
const trimPunct = `.,!?;:'"()`

// Normalize prepares a typed answer for comparison: lower case, accents
// removed (Unicode NFD, combining marks dropped), invisible format
// characters dropped, surrounding spaces and punctuation (.,!?;:'"()) trimmed
// and inner whitespace collapsed to one space. Normalize(Normalize(s)) ==
// Normalize(s).
func Normalize(s string) string {
	s = fold(fold(s))
	s = strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(trimPunct, r)
	})
	return strings.Join(strings.Fields(s), " ")
}

// fold lower-cases s and removes combining marks and format characters.
// Applied twice: lower-casing can produce new marks (İ -> i + U+0307).
func fold(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFD.String(s)
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(sb.String())
}

// yesWords and noWords are the yes/no forms understood in every language
// (DOMAIN.md §6), after Normalize. "ehe" is yes in both Shona and Ndebele.
var (
	yesWords = set(
		"1", "yes", "y", "yeah", "yep", "yea", "ok", "okay", // en
		"hongu", "hungu", "ehe", "ehhe", "ehee", // sn (ehe also nd)
		"yebo", // nd
	)
	noWords = set(
		"2", "no", "n", "nope", // en
		"kwete", "aiwa", "aiwa kwete", // sn
		"hatshi", "cha", "qha", "hayi", "hayibo", "hhayi", "hayi bo", // nd
	)
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// YesNo reads a yes/no answer in en, sn or nd, or 1 (yes) / 2 (no).
func (b *Bundle) YesNo(s string) (yes, ok bool) {
	n := Normalize(s)
	switch {
	case yesWords[n]:
		return true, true
	case noWords[n]:
		return false, true
	}
	return false, false
}

// Number reads a whole number typed with digits, with surrounding spaces or
// punctuation ("3", " 3. ", "3)"). Words, signs and inner spaces are
// refused.
func (b *Bundle) Number(s string) (int, bool) {
	return number(Normalize(s))
}

// number parses a non-empty run of ASCII digits of at most 9 digits.
func number(n string) (int, bool) {
	if n == "" || len(n) > 9 {
		return 0, false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(n)
	return v, err == nil
}

// relDays are the relative date words, in en, sn and nd.
var relDays = map[string]int{
	"today": 0, "nhasi": 0, "lamuhla": 0,
	"yesterday": -1, "nezuro": -1, "izolo": -1,
	"tomorrow": 1, "mangwana": 1, "kusasa": 1,
}

// months maps month names (en, en abbreviations, sn and nd from CLDR) to
// their number.
var months = func() map[string]int {
	m := map[string]int{}
	lists := [][]string{
		{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"},
		{"ndira", "kukadzi", "kurume", "kubvumbi", "chivabvu", "chikumi", "chikunguru", "nyamavhuvhu", "gunyana", "gumiguru", "mbudzi", "zvita"},
		{"zibandlela", "nhlolanja", "mbimbitho", "mabasa", "nkwenkwezi", "nhlangula", "ntulikazi", "ncwabakazi", "mpandula", "mfumfu", "lwezi", "mpalakazi"},
	}
	for _, l := range lists {
		for i, name := range l {
			m[name] = i + 1
		}
	}
	for i, name := range lists[0] {
		m[name[:3]] = i + 1
	}
	m["sept"] = 9
	return m
}()

// Date reads a date: "today", "yesterday", "tomorrow" (also nhasi, nezuro,
// mangwana; lamuhla, izolo, kusasa); ISO "2026-01-07"; day first
// "7/1/2026", "7.1.2026", "7-1-2026" (two-digit years are 20yy); "7/1"
// (this year); "7 January 2026", "7 Ndira", "7 Zibandlela 2026".
// Impossible dates (31/2) are refused. The result is at midnight in
// today's location.
func (b *Bundle) Date(s string, today time.Time) (time.Time, bool) {
	n := Normalize(s)
	loc := today.Location()
	ty, tm, td := today.Date()
	if d, ok := relDays[n]; ok {
		return time.Date(ty, tm, td+d, 0, 0, 0, 0, loc), true
	}
	if y, m, d, ok := parseNumeric(n, ty); ok {
		return makeDate(y, m, d, loc)
	}
	if y, m, d, ok := parseWords(n, ty); ok {
		return makeDate(y, m, d, loc)
	}
	return time.Time{}, false
}

// parseNumeric reads y-m-d, d/m/y, d.m.y, d-m-y and d/m; spaces around
// the separators are allowed, mixed separators are not.
func parseNumeric(n string, thisYear int) (y, m, d int, ok bool) {
	n = strings.ReplaceAll(n, " ", "")
	var sep byte
	for i := 0; i < len(n); i++ {
		switch c := n[i]; {
		case c >= '0' && c <= '9':
		case c == '/' || c == '.' || c == '-':
			if sep != 0 && sep != c {
				return 0, 0, 0, false
			}
			sep = c
		default:
			return 0, 0, 0, false
		}
	}
	if sep == 0 {
		return 0, 0, 0, false
	}
	parts := strings.Split(n, string(sep))
	nums := make([]int, len(parts))
	for i, p := range parts {
		v, good := number(p)
		if !good || len(p) > 4 {
			return 0, 0, 0, false
		}
		nums[i] = v
	}
	switch {
	case len(parts) == 3 && len(parts[0]) == 4: // 2026-01-07
		if len(parts[1]) > 2 || len(parts[2]) > 2 {
			return 0, 0, 0, false
		}
		return nums[0], nums[1], nums[2], true
	case len(parts) == 3 && len(parts[0]) <= 2 && len(parts[1]) <= 2:
		y, good := year(parts[2], nums[2])
		return y, nums[1], nums[0], good
	case len(parts) == 2 && len(parts[0]) <= 2 && len(parts[1]) <= 2:
		return thisYear, nums[1], nums[0], true
	}
	return 0, 0, 0, false
}

// parseWords reads "7 january 2026", "7 jan", "7 ndira 2026".
func parseWords(n string, thisYear int) (y, m, d int, ok bool) {
	f := strings.Fields(strings.NewReplacer(",", " ", ".", " ").Replace(n))
	if len(f) < 2 || len(f) > 3 || len(f[0]) > 2 {
		return 0, 0, 0, false
	}
	d, ok = number(f[0])
	if !ok {
		return 0, 0, 0, false
	}
	m, ok = months[f[1]]
	if !ok {
		return 0, 0, 0, false
	}
	y = thisYear
	if len(f) == 3 {
		v, good := number(f[2])
		if !good {
			return 0, 0, 0, false
		}
		if y, ok = year(f[2], v); !ok {
			return 0, 0, 0, false
		}
	}
	return y, m, d, true
}

// year accepts four-digit years from 1900 to 2999 and two-digit years as
// 20yy.
func year(p string, v int) (int, bool) {
	switch len(p) {
	case 2:
		return 2000 + v, true
	case 4:
		return v, v >= 1900 && v <= 2999
	}
	return 0, false
}

// makeDate builds the date and refuses one that time.Date had to
// normalise (31/2, month 13, day 0).
func makeDate(y, m, d int, loc *time.Location) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2999 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}
