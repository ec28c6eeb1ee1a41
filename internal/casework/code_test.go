package casework

import (
	"errors"
	"strings"
	"testing"
)

func TestDammKnownValue(t *testing.T) {
	// The textbook example: 572 has check digit 4, and 5724 validates.
	if got := DammDigit("572"); got != '4' {
		t.Fatalf("DammDigit(572) = %c, want 4", got)
	}
	if got := DammDigit("5724"); got != '0' {
		t.Fatalf("DammDigit(5724) = %c, want 0", got)
	}
}

func TestCodeRoundTrip(t *testing.T) {
	for _, serial := range []int{1, 42, 427, 9999} {
		code, err := NewCode("dem", serial)
		if err != nil {
			t.Fatal(err)
		}
		for _, typed := range []string{code, " " + code + " ", lower(code), dashless(code), spaced(code)} {
			got, err := ParseCode(typed)
			if err != nil || got != code {
				t.Errorf("ParseCode(%q) = %q, %v; want %q", typed, got, err, code)
			}
		}
	}
	if _, err := NewCode("DEM", 0); err == nil {
		t.Error("serial 0 accepted")
	}
	if _, err := NewCode("DEM", MaxSerial+1); err == nil {
		t.Error("serial beyond width accepted")
	}
}

// TestCodeCatchesTypos: every single-digit error and every adjacent swap of
// two different digits is refused as a check-digit error.
func TestCodeCatchesTypos(t *testing.T) {
	code, _ := NewCode("DEM", 427)
	digits := []byte(code[4:])
	for i := range digits {
		for d := byte('0'); d <= '9'; d++ {
			if d == digits[i] {
				continue
			}
			typo := append([]byte(nil), digits...)
			typo[i] = d
			if _, err := ParseCode("DEM-" + string(typo)); !errors.Is(err, ErrCodeCheck) {
				t.Errorf("typo %s accepted (err %v)", typo, err)
			}
		}
		if i+1 < len(digits) && digits[i] != digits[i+1] {
			swap := append([]byte(nil), digits...)
			swap[i], swap[i+1] = swap[i+1], swap[i]
			if _, err := ParseCode("DEM-" + string(swap)); !errors.Is(err, ErrCodeCheck) {
				t.Errorf("swap %s accepted (err %v)", swap, err)
			}
		}
	}
}

func TestParseCodeFormat(t *testing.T) {
	for _, s := range []string{"", "DEM", "00427", "DEM-0042", "DEM-004271", "D-00427", "DEM-00A27", "DEM_00427", "0DEM-0427", "DEM-00427x"} {
		if _, err := ParseCode(s); !errors.Is(err, ErrCodeFormat) {
			t.Errorf("ParseCode(%q) err = %v, want ErrCodeFormat", s, err)
		}
	}
}

func TestDistrictCode(t *testing.T) {
	for name, want := range map[string]string{"Demo": "DEM", "Gweru": "GWE", "mt darwin": "MTD"} {
		if got, err := DistrictCode(name); err != nil || got != want {
			t.Errorf("DistrictCode(%q) = %q, %v", name, got, err)
		}
	}
	if _, err := DistrictCode("A1"); err == nil {
		t.Error("short name accepted")
	}
}

func FuzzParseCode(f *testing.F) {
	f.Add("DEM-00427")
	f.Add("dem 0042 7")
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParseCode(s)
		if err != nil {
			return
		}
		again, err := ParseCode(code)
		if err != nil || again != code {
			t.Fatalf("ParseCode not idempotent: %q -> %q -> %q, %v", s, code, again, err)
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func dashless(s string) string { return s[:3] + s[4:] }
func spaced(s string) string   { return s[:3] + " " + s[4:6] + " " + s[6:] }

func TestInviteCode(t *testing.T) {
	code, err := NewInviteCode(strings.NewReader("\x00\x01\x02\x03\xfd\xfe\xff\x10"))
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 9 || code[4] != '-' {
		t.Fatalf("code %q", code)
	}
	for _, typed := range []string{code, strings.ToLower(code), strings.ReplaceAll(code, "-", ""), code[:4] + " " + code[5:]} {
		if got := NormalizeInviteCode(typed); got != code {
			t.Errorf("Normalize(%q) = %q, want %q", typed, got, code)
		}
	}
	for _, bad := range []string{"", "ABC", "3333-333O", "3333-33333", "3333_3333"} {
		if got := NormalizeInviteCode(bad); got != "" {
			t.Errorf("Normalize(%q) = %q, want empty", bad, got)
		}
	}
	if _, err := NewInviteCode(strings.NewReader("short")); err == nil {
		t.Error("short random source accepted")
	}
}
