package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"
)

// fakeLogin stands in for an unpaired *whatsmeow.Client.
type fakeLogin struct {
	mu       sync.Mutex
	calls    []string
	handlers map[uint32]whatsmeow.EventHandler
	next     uint32
	qrs      []whatsmeow.QRChannelItem
	// onConnect and onPair are events the "server" sends.
	onConnect []any
	onPair    []any
	pairArgs  []any
	pairErr   error
}

func (f *fakeLogin) record(c string) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

func (f *fakeLogin) dispatch(evts []any) {
	f.mu.Lock()
	hs := make([]whatsmeow.EventHandler, 0, len(f.handlers))
	for _, h := range f.handlers {
		hs = append(hs, h)
	}
	f.mu.Unlock()
	for _, e := range evts {
		for _, h := range hs {
			h(e)
		}
	}
}

func (f *fakeLogin) GetQRChannel(context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	f.record("qrchannel")
	ch := make(chan whatsmeow.QRChannelItem, len(f.qrs))
	for _, q := range f.qrs {
		ch <- q
	}
	close(ch)
	return ch, nil
}

func (f *fakeLogin) PairPhone(_ context.Context, phone string, push bool, ct whatsmeow.PairClientType, name string) (string, error) {
	f.record("pairphone")
	f.pairArgs = []any{phone, push, ct, name}
	if f.pairErr != nil {
		return "", f.pairErr
	}
	go f.dispatch(f.onPair)
	return "ABCD-EFGH", nil
}

func (f *fakeLogin) Connect() error {
	f.record("connect")
	go f.dispatch(f.onConnect)
	return nil
}

func (f *fakeLogin) AddEventHandler(h whatsmeow.EventHandler) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.handlers == nil {
		f.handlers = map[uint32]whatsmeow.EventHandler{}
	}
	f.next++
	f.handlers[f.next] = h
	return f.next
}

func (f *fakeLogin) RemoveEventHandler(id uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.handlers, id)
	return true
}

// A real-shaped QR payload: ref,noise key,identity key,adv secret.
const qrA = "2@Xr1sT5kJ8m0pQvW3yZ6aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678901234567890abcdefghij,Kx7vR2mN9pQ4sT6uW8yA1bC3dE5fG7hJ9kL0mN2oP4=,Zq8wE6rT4yU2iO0pA1sD3fG5hJ7kL9zX1cV3bN5mQ7=,Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4="
const qrB = "2@Yt2uU6lK9n1rRwX4zA7bCdEfGhIjKlMnOpQrStUvWxYzA123456789012345678901234bcdefghijk,Kx7vR2mN9pQ4sT6uW8yA1bC3dE5fG7hJ9kL0mN2oP4=,Zq8wE6rT4yU2iO0pA1sD3fG5hJ7kL9zX1cV3bN5mQ7=,Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4="

func TestLoginQRRendersEachCode(t *testing.T) {
	f := &fakeLogin{
		qrs: []whatsmeow.QRChannelItem{
			{Event: whatsmeow.QRChannelEventCode, Code: qrA, Timeout: 60 * time.Second},
			{Event: whatsmeow.QRChannelEventCode, Code: qrB, Timeout: 20 * time.Second},
			whatsmeow.QRChannelSuccess,
		},
		onConnect: []any{&events.Connected{}},
	}
	var out bytes.Buffer
	if err := Login(context.Background(), f, &out, ""); err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.calls, ",") != "qrchannel,connect" {
		t.Errorf("calls %v: the QR channel must be opened before connecting", f.calls)
	}
	s := out.String()
	if n := strings.Count(s, "Linked devices"); n != 2 {
		t.Errorf("%d scan instructions, want 2:\n%s", n, s)
	}
	// Two QR blocks: each is a run of lines drawn with half blocks.
	blocks, in := 0, false
	for _, line := range strings.Split(s, "\n") {
		isQR := strings.ContainsAny(line, "▀▄█")
		if isQR && !in {
			blocks++
		}
		in = isQR
	}
	if blocks != 2 {
		t.Errorf("%d QR blocks, want 2:\n%s", blocks, s)
	}
	if !strings.Contains(s, "new code follows in 1m0s") || !strings.Contains(s, "WhatsApp is linked") {
		t.Errorf("output:\n%s", s)
	}
}

func TestLoginQRFailures(t *testing.T) {
	defer func(d time.Duration) { settleWait = d }(settleWait)
	settleWait = 10 * time.Millisecond
	code := whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: qrA, Timeout: time.Minute}
	for _, tt := range []struct {
		name string
		last whatsmeow.QRChannelItem
		want string
		is   error
	}{
		{"timeout", whatsmeow.QRChannelTimeout, "no QR code was scanned", nil},
		{"error", whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventError, Error: whatsmeow.ErrPairInvalidDeviceSignature}, "pairing failed", whatsmeow.ErrPairInvalidDeviceSignature},
		{"outdated", whatsmeow.QRChannelClientOutdated, "outdated", ErrClientOutdated},
		{"unexpected", whatsmeow.QRChannelErrUnexpectedEvent, "err-unexpected-state", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLogin{qrs: []whatsmeow.QRChannelItem{code, tt.last}}
			var out bytes.Buffer
			err := Login(context.Background(), f, &out, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
	// Paired, but the reconnect did not come: still success.
	f := &fakeLogin{qrs: []whatsmeow.QRChannelItem{code, whatsmeow.QRChannelSuccess}}
	if err := Login(context.Background(), f, &bytes.Buffer{}, ""); err != nil {
		t.Fatalf("paired without reconnect: %v", err)
	}
}

func TestLoginPhone(t *testing.T) {
	f := &fakeLogin{
		onConnect: []any{&events.QR{Codes: []string{qrA}}},
		onPair:    []any{&events.PairSuccess{}, &events.Connected{}},
	}
	var out bytes.Buffer
	if err := Login(context.Background(), f, &out, "263771234567"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.calls, ",") != "connect,pairphone" {
		t.Errorf("calls %v", f.calls)
	}
	want := []any{"263771234567", true, whatsmeow.PairClientChrome, "Chrome (Linux)"}
	for i := range want {
		if f.pairArgs[i] != want[i] {
			t.Errorf("PairPhone arg %d = %v, want %v", i, f.pairArgs[i], want[i])
		}
	}
	if s := out.String(); !strings.Contains(s, "ABCD-EFGH") || !strings.Contains(s, "Link with phone number instead") {
		t.Errorf("output:\n%s", s)
	}

	rejected := &fakeLogin{
		onConnect: []any{&events.QR{Codes: []string{qrA}}},
		onPair:    []any{&events.PairError{Error: errors.New("rejected")}},
	}
	if err := Login(context.Background(), rejected, &bytes.Buffer{}, "263771234567"); err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Errorf("pair error: %v", err)
	}

	if err := Login(context.Background(), &fakeLogin{}, &bytes.Buffer{}, "0771234567"); err == nil {
		t.Error("a local number was accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := Login(ctx, &fakeLogin{}, &bytes.Buffer{}, "263771234567"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no QR from the server: %v", err)
	}
}

func TestValidatePhone(t *testing.T) {
	for _, tt := range []struct {
		phone string
		ok    bool
	}{
		{"263771234567", true},
		{"447911123456", true},
		{"", false},
		{"+263771234567", false},
		{"0771234567", false},
		{"263 77 123 4567", false},
		{"26377", false},
		{"2637712345678901", false},
	} {
		if err := ValidatePhone(tt.phone); (err == nil) != tt.ok {
			t.Errorf("ValidatePhone(%q) = %v, want ok=%v", tt.phone, err, tt.ok)
		}
	}
}
