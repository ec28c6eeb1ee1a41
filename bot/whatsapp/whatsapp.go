// Package whatsapp is carenet's WhatsApp channel, an adapter over
// go.mau.fi/whatsmeow (a linked "WhatsApp Web" device of the bot's number).
//
// It turns whatsmeow events into chat.Inbound (Convert is pure and
// table-tested), hands them to the core's inbox and only then lets
// whatsmeow acknowledge them (at-least-once delivery), and sends
// chat.Outbound as text, native polls or reactions with message ids derived
// from the outbox key, so a retry after a crash is dropped by recipients.
//
// The device (keys, Signal sessions) lives in its own SQLite file, see
// OpenDevice; pairing is Login (`carenet login whatsapp`).
package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"carenet/internal/chat"
)

// Client is the part of *whatsmeow.Client the adapter uses once running.
// Tests replace it with a fake: whatsmeow cannot talk to a fake server
// (the Noise handshake pins WhatsApp's certificate).
type Client interface {
	SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	BuildPollCreation(name string, optionNames []string, selectableOptionCount int) *waE2E.Message
	BuildReaction(chat, sender types.JID, id types.MessageID, reaction string) *waE2E.Message
	DecryptPollVote(ctx context.Context, vote *events.Message) (*waE2E.PollVoteMessage, error)
	IsConnected() bool
}

var _ Client = (*whatsmeow.Client)(nil)

// LIDs maps a LID to a phone-number JID and back. whatsmeow's
// store.LIDStore satisfies it; the adapter only reads it (whatsmeow writes
// the pairs it learns from message stanzas and group info).
type LIDs interface {
	GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error)
	GetLIDForPN(ctx context.Context, pn types.JID) (types.JID, error)
}

var _ LIDs = (store.LIDStore)(nil)

// Receiver is the core's inbox. Receive returns nil once the message is
// durably stored (or was already there); only then is it acknowledged to
// WhatsApp.
type Receiver interface {
	Receive(ctx context.Context, in chat.Inbound) error
}

// Self holds the bot's own user parts: its phone number (PN, the user of
// "2637…@s.whatsapp.net") and its LID (the user of "…@lid"). Groups
// mention the bot by either.
type Self struct {
	PN  string
	LID string
}

// ErrNotPaired is returned by New when the device store holds no paired
// device.
var ErrNotPaired = errors.New("whatsapp: no paired device; pair this carenet with `carenet login whatsapp`")

// Reasons Run stops. Each is wrapped with the details of the event.
var (
	// ErrLoggedOut: the phone unlinked the device or WhatsApp logged it
	// out; whatsmeow has deleted the device, so it must be paired again.
	ErrLoggedOut = errors.New("whatsapp: logged out; pair again with `carenet login whatsapp`")
	// ErrStreamReplaced: another process connected with the same session.
	ErrStreamReplaced = errors.New("whatsapp: another process is using this WhatsApp session (stream replaced); stop it before starting carenet again")
	// ErrTemporaryBan: WhatsApp banned the number for a while.
	ErrTemporaryBan = errors.New("whatsapp: number temporarily banned by WhatsApp")
	// ErrClientOutdated: WhatsApp refused our client version even after
	// fetching the current one.
	ErrClientOutdated = errors.New("whatsapp: WhatsApp says this client is outdated; update carenet (whatsmeow)")
	// ErrConnectFailure: WhatsApp refused the connection for another
	// reason that does not heal by reconnecting.
	ErrConnectFailure = errors.New("whatsapp: connection refused by WhatsApp")
)

// Options configure New.
type Options struct {
	// StorePath is whatsmeow's own SQLite file (config whatsapp.store_path,
	// by default carenet-whatsapp.db next to carenet.db).
	StorePath string
	Log       *slog.Logger
}

// Adapter is the WhatsApp transport and event source.
type Adapter struct {
	cli  Client
	wa   *whatsmeow.Client // nil in tests
	db   *sqlstore.Container
	lids LIDs
	self func() Self
	log  *slog.Logger
	now  func() time.Time

	// recv and ctx are set by Run before the handler is registered.
	recv Receiver
	ctx  context.Context

	stop chan error // permanent disconnects, from the handler to Run

	mu          sync.Mutex
	bannedUntil time.Time
}

// New opens the device store and builds the client. It does not connect.
// Without a paired device it returns ErrNotPaired, without touching the
// network.
func New(ctx context.Context, opts Options) (*Adapter, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("channel", "whatsapp")
	db, dev, err := OpenDevice(ctx, opts.StorePath, log)
	if err != nil {
		return nil, err
	}
	if dev.ID == nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w (device store %s)", ErrNotPaired, opts.StorePath)
	}
	wa := whatsmeow.NewClient(dev, NewLogger(log.With("module", "whatsmeow")))
	// At-least-once: the receipt goes out only after our handler returned
	// true, and the decrypted plaintext is buffered so a redelivery can be
	// dispatched again although the Signal ratchet has moved on.
	wa.SynchronousAck = true
	wa.EnableDecryptedEventBuffer = true
	// No network at start: keep retrying in the background instead of
	// failing Run.
	wa.EnableAutoReconnect = true
	wa.InitialAutoReconnect = true
	wa.AutoReconnectHook = func(err error) bool {
		log.Warn("reconnect failed, retrying", "attempt", wa.AutoReconnectErrors, "err", err)
		// whatsmeow waits attempts*2s: cap that at a minute so a long
		// outage is not followed by a longer silence.
		if wa.AutoReconnectErrors > 30 {
			wa.AutoReconnectErrors = 30
		}
		return true
	}
	a := newAdapter(wa, dev.LIDs, func() Self { return selfOf(wa.Store) }, log)
	a.wa = wa
	a.db = db
	return a, nil
}

// newAdapter builds an adapter around any Client; tests use it with fakes.
func newAdapter(cli Client, lids LIDs, self func() Self, log *slog.Logger) *Adapter {
	return &Adapter{
		cli:  cli,
		lids: lids,
		self: self,
		log:  log,
		now:  time.Now,
		ctx:  context.Background(),
		stop: make(chan error, 1),
	}
}

func selfOf(d *store.Device) Self {
	var s Self
	if d.ID != nil {
		s.PN = d.ID.User
	}
	s.LID = d.LID.User
	return s
}

// Platform reports chat.WhatsApp.
func (a *Adapter) Platform() chat.Platform { return chat.WhatsApp }

// Run connects and delivers inbound messages to r until ctx is done, then
// disconnects and returns nil. It returns early with an error (ErrLoggedOut,
// ErrStreamReplaced, ErrTemporaryBan, ErrClientOutdated, ErrConnectFailure)
// when WhatsApp ends the session in a way reconnecting cannot fix.
func (a *Adapter) Run(ctx context.Context, r Receiver) error {
	if a.wa == nil {
		return errors.New("whatsapp: adapter has no client")
	}
	a.recv = r
	a.ctx = ctx
	id := a.wa.AddEventHandlerWithSuccessStatus(a.handle)
	defer a.wa.RemoveEventHandler(id)
	defer a.wa.Disconnect()

	if err := a.wa.ConnectContext(ctx); err != nil {
		return fmt.Errorf("whatsapp: connect: %w", err)
	}
	a.log.Info("connecting", "jid", a.wa.Store.ID.String())
	upgraded := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-a.stop:
			if !errors.Is(err, ErrClientOutdated) || upgraded {
				return err
			}
			// Outdated: fetch the version WhatsApp Web currently
			// announces and try once more with it.
			upgraded = true
			if uerr := a.upgradeVersion(ctx); uerr != nil {
				return fmt.Errorf("%w: %w", err, uerr)
			}
			a.wa.Disconnect()
			if cerr := a.wa.ConnectContext(ctx); cerr != nil {
				return fmt.Errorf("whatsapp: reconnect after version update: %w", cerr)
			}
		}
	}
}

func (a *Adapter) upgradeVersion(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := whatsmeow.GetLatestVersion(ctx, http.DefaultClient)
	if err != nil {
		return fmt.Errorf("fetch current WhatsApp Web version: %w", err)
	}
	a.log.Warn("client outdated, switching version", "from", store.GetWAVersion().String(), "to", v.String())
	store.SetWAVersion(*v)
	return nil
}

// Close closes the device store. Call it after Run returned.
func (a *Adapter) Close() error {
	if a.db == nil {
		return nil
	}
	if err := a.db.Close(); err != nil {
		return fmt.Errorf("whatsapp: close device store: %w", err)
	}
	return nil
}

// stopWith hands a permanent disconnect to Run without blocking the
// event goroutine; the first reason wins.
func (a *Adapter) stopWith(err error) {
	select {
	case a.stop <- err:
	default:
	}
}
