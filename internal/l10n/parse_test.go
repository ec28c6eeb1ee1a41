package l10n_test

import (
	"testing"
	"time"

	"carenet/internal/l10n"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"Yes":                 "yes",
		"  HONGU  ":           "hongu",
		"Hóngu":               "hongu",
		"HÓNGU!":              "hongu",
		"Yebo!":               "yebo",
		"\"yebo\"":            "yebo",
		"(3)":                 "3",
		" 3. ":                "3",
		"3)":                  "3",
		"...?!":               "",
		"a   b\t\nc":          "a b c",
		"Çà  va":              "ca va",
		"İzolo":               "izolo",
		"5/1/2026":            "5/1/2026",
		"5.1.2026.":           "5.1.2026",
		"-":                   "-",
		" - ":                 "-",
		"kwe\u200bte":         "kwete",
		"ｙｅｓ":                 "ｙｅｓ", // full width stays (NFD is not NFKD)
		"e\u0301he\u0301":     "ehe",
		"W18-023":             "w18-023",
		"Mwana ari munjodzi?": "mwana ari munjodzi",
	} {
		if got := l10n.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestYesNo(t *testing.T) {
	b := load(t)
	type res struct{ yes, ok bool }
	yes, no, bad := res{true, true}, res{false, true}, res{false, false}
	for in, want := range map[string]res{
		"yes": yes, "Y": yes, "yeah": yes, "Yep": yes, "ok": yes, "OK.": yes,
		"hongu": yes, "Hóngu": yes, "HUNGU": yes, "ehe": yes, "Ehhe": yes,
		"yebo": yes, "Yebo!": yes, " yebo ": yes, "1": yes, "1.": yes, "(1)": yes,
		"no": no, "N": no, "nope": no, "kwete": no, "Kwete.": no, "aiwa": no,
		"hatshi": no, "cha": no, "Qha!": no, "hayi": no, "hayibo": no, "hhayi": no,
		"2": no, " 2 ": no,
		"": bad, "3": bad, "0": bad, "12": bad, "maybe": bad, "yes no": bad,
		"hongu kwete": bad, "yess": bad, "-": bad, "1 2": bad,
	} {
		y, ok := b.YesNo(in)
		if (res{y, ok}) != want {
			t.Errorf("YesNo(%q) = %v, %v; want %v, %v", in, y, ok, want.yes, want.ok)
		}
	}
}

func TestNumber(t *testing.T) {
	b := load(t)
	for in, want := range map[string]int{
		"3": 3, " 3. ": 3, "3)": 3, "(3)": 3, "03": 3, "0": 0, "10": 10,
		"42!": 42, "123456789": 123456789,
	} {
		if got, ok := b.Number(in); !ok || got != want {
			t.Errorf("Number(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", " ", "three", "3 4", "3a", "-3", "+3", "3.5", "1,000",
		"1234567890", "99999999999999999999", "٣", "３", "x",
	} {
		if got, ok := b.Number(in); ok {
			t.Errorf("Number(%q) = %d, true; want refused", in, got)
		}
	}
}

func TestDate(t *testing.T) {
	b := load(t)
	harare := time.FixedZone("CAT", 2*3600)
	today := time.Date(2026, time.January, 7, 15, 4, 5, 0, harare)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, harare) }
	for in, want := range map[string]time.Time{
		"today":          day(2026, 1, 7),
		"Today.":         day(2026, 1, 7),
		"nhasi":          day(2026, 1, 7),
		"Lamuhla":        day(2026, 1, 7),
		"yesterday":      day(2026, 1, 6),
		"nezuro":         day(2026, 1, 6),
		"izolo":          day(2026, 1, 6),
		"tomorrow":       day(2026, 1, 8),
		"mangwana":       day(2026, 1, 8),
		"kusasa":         day(2026, 1, 8),
		"2026-01-07":     day(2026, 1, 7),
		"2025-12-31":     day(2025, 12, 31),
		"2026/1/2":       day(2026, 1, 2),
		"5/1/2026":       day(2026, 1, 5),
		"05/01/2026":     day(2026, 1, 5),
		"5.1.2026":       day(2026, 1, 5),
		"5-1-2026":       day(2026, 1, 5),
		" 5 / 1 / 2026 ": day(2026, 1, 5),
		"5/1/26":         day(2026, 1, 5),
		"31/12/2025":     day(2025, 12, 31),
		"29/2/2028":      day(2028, 2, 29),
		"5/1":            day(2026, 1, 5),
		"25/12":          day(2026, 12, 25),
		"5 January 2026": day(2026, 1, 5),
		"5 jan":          day(2026, 1, 5),
		"5 Ndira 2026":   day(2026, 1, 5),
		"24 Zibandlela":  day(2026, 1, 24),
		"1 Zvita 2025":   day(2025, 12, 1),
		"(5/1/2026)":     day(2026, 1, 5),
	} {
		got, ok := b.Date(in, today)
		if !ok || !got.Equal(want) || got.Location() != harare {
			t.Errorf("Date(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	// Across a month and a year boundary.
	jan1 := time.Date(2026, 1, 1, 0, 30, 0, 0, harare)
	if got, _ := b.Date("izolo", jan1); !got.Equal(day(2025, 12, 31)) {
		t.Errorf("Date(izolo, 1 Jan) = %v", got)
	}
	for _, in := range []string{
		"", "-", "soon", "31/2/2026", "29/2/2026", "0/1/2026", "5/13/2026", "5/0/2026",
		"32/1/2026", "2026-02-30", "2026-13-01", "5/1-2026", "5/1/2026/1", "5//2026",
		"5/1/226", "5/1/12026", "1/1/1800", "2026", "5", "5 1 2026", "123/1/2026",
		"2026-1", "a/b/c", "5 foo 2026", "5 jan 20266", "35 jan", "today tomorrow",
		"5/1/+2026", "٥/١/٢٠٢٦",
	} {
		if got, ok := b.Date(in, today); ok {
			t.Errorf("Date(%q) = %v, true; want refused", in, got)
		}
	}
}
