package whatsapp

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"

	"carenet/internal/chat"
)

func TestOpenDeviceCreatesStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carenet whatsapp.db") // a space survives the DSN
	db, dev, err := OpenDevice(ctx, path, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if dev.ID != nil {
		t.Errorf("fresh store has device %v", dev.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, table := range []string{"whatsmeow_device", "whatsmeow_sessions", "whatsmeow_message_secrets", "whatsmeow_lid_map", "whatsmeow_event_buffer"} {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: n=%d err=%v", table, n, err)
		}
	}
	var mode string
	if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q (%v)", mode, err)
	}

	if _, _, err := OpenDevice(ctx, "", quietLog()); err == nil {
		t.Error("empty path accepted")
	}
}

func TestNewWithoutPairedDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wa.db")
	a, err := New(context.Background(), Options{StorePath: path, Log: quietLog()})
	if !errors.Is(err, ErrNotPaired) {
		t.Fatalf("New = %v, %v; want ErrNotPaired", a, err)
	}
	if !strings.Contains(err.Error(), "carenet login whatsapp") {
		t.Errorf("the error does not say how to pair: %v", err)
	}
}

// A paired device (written the way pairing stores it) gives a client with
// at-least-once delivery switched on; nothing connects until Run.
func TestNewWithPairedDevice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wa.db")
	db, dev, err := OpenDevice(ctx, path, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	jid := types.NewADJID(botSelf.PN, 0, 12)
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	dev.LID = types.NewADJID(botSelf.LID, 0, 12)
	dev.LID.Server = types.HiddenUserServer
	if err := db.PutDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	// whatsmeow learns LID/phone pairs from stanzas; the adapter reads them.
	if err := db.LIDMap.PutLIDMapping(ctx, memberLID, memberPN); err != nil {
		t.Fatal(err)
	}
	db.Close()

	a, err := New(ctx, Options{StorePath: path, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !a.wa.SynchronousAck || !a.wa.EnableDecryptedEventBuffer || !a.wa.InitialAutoReconnect {
		t.Error("at-least-once delivery or initial reconnect is off")
	}
	if got := a.self(); got != botSelf {
		t.Errorf("self %+v, want %+v", got, botSelf)
	}

	r := &recorder{}
	a.recv = r
	evt := msg(group, memberLID, text("@"+botSelf.LID+" 1"))
	if !a.handle(evt) {
		t.Fatal("not acknowledged")
	}
	want := chat.Inbound{Sender: chat.UserID(memberLID.String()), SenderAlt: chat.UserID(memberPN.String()), Text: "1", Mentioned: true}
	got := r.got[0]
	if got.Sender != want.Sender || got.SenderAlt != want.SenderAlt || got.Text != want.Text || got.Mentioned != want.Mentioned {
		t.Errorf("got %+v", got)
	}

	var out bytes.Buffer
	if err := Pair(ctx, path, "", &out, quietLog()); err != nil || !strings.Contains(out.String(), "already paired") {
		t.Errorf("Pair on a paired store: %v\n%s", err, out.String())
	}
}

func TestPairRejectsBadPhoneBeforeOpening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wa.db")
	if err := Pair(context.Background(), path, "+263771234567", &bytes.Buffer{}, quietLog()); err == nil {
		t.Fatal("accepted a phone with +")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the store was created for a rejected number: %v", err)
	}
}

func TestRunWithoutClient(t *testing.T) {
	a := newAdapter(&fakeClient{}, nil, func() Self { return Self{} }, quietLog())
	if err := a.Run(context.Background(), &recorder{}); err == nil {
		t.Error("Run without a whatsmeow client succeeded")
	}
}
