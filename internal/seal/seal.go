// Package seal encrypts identifying fields (a child's name or initials) at
// rest with AES-256-GCM. A Sealer with no key refuses to seal, so carenet
// never stores a name in clear by accident.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrNoKey is returned when no data key is configured.
var ErrNoKey = errors.New("no data key configured (data_key / CARENET_DATA_KEY)")

// Sealer seals and opens small values. The zero value has no key.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for a 32-byte key; a nil key gives a Sealer that
// refuses to seal.
func New(key []byte) (*Sealer, error) {
	if key == nil {
		return &Sealer{}, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("seal: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// HasKey reports whether the Sealer can seal.
func (s *Sealer) HasKey() bool { return s != nil && s.aead != nil }

// Seal encrypts plain; aad binds the ciphertext to its row (e.g. the case
// code) so a sealed value copied to another row does not open.
func (s *Sealer) Seal(plain, aad []byte) ([]byte, error) {
	if !s.HasKey() {
		return nil, ErrNoKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, aad), nil
}

// Open decrypts a value made by Seal with the same aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	if !s.HasKey() {
		return nil, ErrNoKey
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("seal: value too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("seal: open: %w", err)
	}
	return plain, nil
}
