package casework

import (
	"errors"
	"fmt"
	"strings"
)

// A case code is the district code, a dash, a four-digit serial and a Damm
// check digit: DEM-00427. It carries no personal data, is typable on a
// phone keypad, and the check digit catches every single-digit typo and
// every swap of two adjacent digits.
const codeSerialWidth = 4

// MaxSerial is the largest serial a district can issue with this width.
const MaxSerial = 9999

// damm is the quasigroup of Damm's algorithm (order 10, weakly totally
// anti-symmetric).
var damm = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// DammDigit returns the check digit of a string of decimal digits.
func DammDigit(digits string) byte {
	var interim byte
	for i := 0; i < len(digits); i++ {
		interim = damm[interim][digits[i]-'0']
	}
	return '0' + interim
}

// NewCode returns the code of a district's serial-th case.
func NewCode(district string, serial int) (string, error) {
	if serial < 1 || serial > MaxSerial {
		return "", fmt.Errorf("case serial %d out of range 1..%d", serial, MaxSerial)
	}
	digits := fmt.Sprintf("%0*d", codeSerialWidth, serial)
	return strings.ToUpper(district) + "-" + digits + string(DammDigit(digits)), nil
}

// Code problems, told apart so the member hears which mistake they made.
var (
	ErrCodeFormat = errors.New("not a case code")
	ErrCodeCheck  = errors.New("case code check digit is wrong")
)

// ParseCode reads a case code case-insensitively, with or without the dash
// or spaces ("dem 00427", "DEM00427"), and returns it as DEM-00427.
func ParseCode(s string) (string, error) {
	var letters, digits []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '\t':
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
			fallthrough
		case 'A' <= c && c <= 'Z':
			if len(digits) > 0 {
				return "", ErrCodeFormat
			}
			letters = append(letters, c)
		case '0' <= c && c <= '9':
			if len(letters) == 0 {
				return "", ErrCodeFormat
			}
			digits = append(digits, c)
		default:
			return "", ErrCodeFormat
		}
	}
	if len(letters) < 2 || len(letters) > 5 || len(digits) != codeSerialWidth+1 {
		return "", ErrCodeFormat
	}
	if DammDigit(string(digits)) != '0' {
		return "", ErrCodeCheck
	}
	return string(letters) + "-" + string(digits), nil
}

// CodeDistrict returns the district part of a parsed code.
func CodeDistrict(code string) string {
	d, _, _ := strings.Cut(code, "-")
	return d
}

// DistrictCode derives a district's code from its name: the first three
// letters, upper case.
func DistrictCode(name string) (string, error) {
	var b []byte
	for i := 0; i < len(name) && len(b) < 3; i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if 'A' <= c && c <= 'Z' {
			b = append(b, c)
		}
	}
	if len(b) < 3 {
		return "", fmt.Errorf("district name %q has fewer than three letters", name)
	}
	return string(b), nil
}
