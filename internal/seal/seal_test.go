package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealRoundTrip(t *testing.T) {
	s, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("T.M."), []byte("DEM-00019"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("T.M.")) {
		t.Fatal("plain text visible in sealed value")
	}
	plain, err := s.Open(sealed, []byte("DEM-00019"))
	if err != nil || string(plain) != "T.M." {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	if _, err := s.Open(sealed, []byte("DEM-00027")); err == nil {
		t.Error("value opened under another case's aad")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, []byte("DEM-00019")); err == nil {
		t.Error("value opened with another key")
	}
}

func TestNoKeyRefuses(t *testing.T) {
	s, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seal([]byte("x"), nil); !errors.Is(err, ErrNoKey) {
		t.Errorf("Seal without key: %v", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}
