package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mdp/qrterminal/v3"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"
)

// LoginClient is the part of *whatsmeow.Client pairing uses.
type LoginClient interface {
	GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	PairPhone(ctx context.Context, phone string, showPushNotification bool, clientType whatsmeow.PairClientType, clientDisplayName string) (string, error)
	Connect() error
	AddEventHandler(handler whatsmeow.EventHandler) uint32
	RemoveEventHandler(id uint32) bool
}

var _ LoginClient = (*whatsmeow.Client)(nil)

// settleWait is how long Login waits, after pairing, for the first
// authenticated connection, which uploads the device's prekeys. Pairing is
// stored either way; a later `carenet run` finishes the setup.
var settleWait = 30 * time.Second

// phoneWait bounds the wait for the pairing code to be entered: WhatsApp
// keeps the login socket for about 160 s.
var phoneWait = 3 * time.Minute

// Pair pairs the device stored at path: it opens the store, builds a
// client and runs Login, then disconnects. With a device already paired it
// says so and does nothing. This is `carenet login whatsapp`.
func Pair(ctx context.Context, path, phone string, out io.Writer, log *slog.Logger) error {
	if phone != "" {
		if err := ValidatePhone(phone); err != nil {
			return err
		}
	}
	if log == nil {
		log = slog.Default()
	}
	db, dev, err := OpenDevice(ctx, path, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if dev.ID != nil {
		fmt.Fprintf(out, "This carenet is already paired with WhatsApp as %s.\nTo pair another number, stop carenet, delete %s and run `carenet login whatsapp` again.\n", dev.ID.ToNonAD(), path)
		return nil
	}
	cli := whatsmeow.NewClient(dev, NewLogger(log.With("module", "whatsmeow")))
	defer cli.Disconnect()
	return Login(ctx, cli, out, phone)
}

// Login pairs an unpaired client. Without phone it shows the QR codes
// whatsmeow issues (each replaces the last) until one is scanned; with
// phone (international digits, e.g. "263771234567") it shows a pairing
// code to enter on that phone instead. It returns nil once paired, and an
// error on timeout, rejection or when WhatsApp says the client is outdated.
// The caller disconnects cli afterwards.
func Login(ctx context.Context, cli LoginClient, out io.Writer, phone string) error {
	connected := make(chan struct{}, 1)
	id := cli.AddEventHandler(func(evt any) {
		if _, ok := evt.(*events.Connected); ok {
			select {
			case connected <- struct{}{}:
			default:
			}
		}
	})
	defer cli.RemoveEventHandler(id)

	var err error
	if phone == "" {
		err = loginQR(ctx, cli, out)
	} else {
		err = loginPhone(ctx, cli, out, phone)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Paired. Finishing setup…")
	// After pairing WhatsApp restarts the stream and whatsmeow reconnects
	// by itself; the first authenticated connection uploads prekeys.
	select {
	case <-connected:
		fmt.Fprintln(out, "WhatsApp is linked. Set whatsapp.enabled: true and start `carenet run`.")
	case <-ctx.Done():
		return fmt.Errorf("whatsapp: paired, but interrupted before the first connection: %w", ctx.Err())
	case <-time.After(settleWait):
		fmt.Fprintln(out, "Paired; the first connection did not finish yet, `carenet run` will complete it.")
	}
	return nil
}

func loginQR(ctx context.Context, cli LoginClient, out io.Writer) error {
	// The QR channel must exist before Connect, or the first code is lost.
	qrs, err := cli.GetQRChannel(ctx)
	if err != nil {
		return fmt.Errorf("whatsapp: login: %w", err)
	}
	if err := cli.Connect(); err != nil {
		return fmt.Errorf("whatsapp: login: connect: %w", err)
	}
	return showQRs(ctx, qrs, out)
}

// showQRs renders each code from the QR channel until pairing ends.
func showQRs(ctx context.Context, qrs <-chan whatsmeow.QRChannelItem, out io.Writer) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("whatsapp: login: %w", ctx.Err())
		case item, ok := <-qrs:
			if !ok {
				return errors.New("whatsapp: login: QR channel closed before pairing")
			}
			switch item.Event {
			case whatsmeow.QRChannelEventCode:
				renderQR(out, item.Code, item.Timeout)
			case whatsmeow.QRChannelSuccess.Event:
				return nil
			case whatsmeow.QRChannelTimeout.Event:
				return errors.New("whatsapp: login: no QR code was scanned in time; run `carenet login whatsapp` again")
			case whatsmeow.QRChannelEventError:
				return fmt.Errorf("whatsapp: login: pairing failed: %w", item.Error)
			case whatsmeow.QRChannelClientOutdated.Event:
				return fmt.Errorf("whatsapp: login: %w", ErrClientOutdated)
			case whatsmeow.QRChannelScannedWithoutMultidevice.Event:
				return errors.New("whatsapp: login: the phone scanned the code without multi-device support; update WhatsApp on the phone and try again")
			default:
				return fmt.Errorf("whatsapp: login: pairing failed (%s)", item.Event)
			}
		}
	}
}

// renderQR draws one code with half blocks (two rows per line, so it fits
// a terminal) and says how to scan it.
func renderQR(out io.Writer, code string, timeout time.Duration) {
	fmt.Fprintln(out)
	qrterminal.GenerateWithConfig(code, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         out,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	fmt.Fprintf(out, "Scan this code on the bot's phone: WhatsApp > Settings > Linked devices > Link a device.")
	if timeout > 0 {
		fmt.Fprintf(out, " A new code follows in %s.", timeout.Round(time.Second))
	}
	fmt.Fprintln(out)
}

func loginPhone(ctx context.Context, cli LoginClient, out io.Writer, phone string) error {
	if err := ValidatePhone(phone); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, phoneWait)
	defer cancel()
	qr := make(chan struct{}, 1)
	done := make(chan error, 1)
	id := cli.AddEventHandler(func(evt any) {
		switch e := evt.(type) {
		case *events.QR:
			select {
			case qr <- struct{}{}:
			default:
			}
		case *events.PairSuccess:
			finish(done, nil)
		case *events.PairError:
			finish(done, fmt.Errorf("whatsapp: login: pairing failed: %w", e.Error))
		case *events.ClientOutdated:
			finish(done, fmt.Errorf("whatsapp: login: %w", ErrClientOutdated))
		}
	})
	defer cli.RemoveEventHandler(id)

	if err := cli.Connect(); err != nil {
		return fmt.Errorf("whatsapp: login: connect: %w", err)
	}
	// PairPhone only works once the server offered a login (the QR event).
	select {
	case <-qr:
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("whatsapp: login: no answer from WhatsApp: %w", ctx.Err())
	}
	code, err := cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		return fmt.Errorf("whatsapp: login: request pairing code for +%s: %w", phone, err)
	}
	fmt.Fprintf(out, "\nPairing code for +%s:  %s\n\n", phone, code)
	fmt.Fprintln(out, "On that phone open WhatsApp > Settings > Linked devices > Link a device >")
	fmt.Fprintln(out, "\"Link with phone number instead\" and enter the code (a notification may also ask for it).")
	fmt.Fprintln(out, "The code is valid for about two minutes.")
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("whatsapp: login: the pairing code was not entered in time; run `carenet login whatsapp --phone %s` again: %w", phone, ctx.Err())
	}
}

func finish(done chan error, err error) {
	select {
	case done <- err:
	default:
	}
}

// ValidatePhone checks a number for phone pairing: international format,
// digits only, without "+" or a leading 0 (e.g. "263771234567").
func ValidatePhone(phone string) error {
	if phone == "" {
		return errors.New("whatsapp: phone number is empty")
	}
	for _, r := range phone {
		if r < '0' || r > '9' {
			return fmt.Errorf("whatsapp: phone number %q: digits only, in international form without + (e.g. 263771234567)", phone)
		}
	}
	if phone[0] == '0' {
		return fmt.Errorf("whatsapp: phone number %q: give the country code instead of a leading 0 (e.g. 263771234567)", phone)
	}
	if len(phone) < 8 || len(phone) > 15 {
		return fmt.Errorf("whatsapp: phone number %q: expected 8 to 15 digits with the country code", phone)
	}
	return nil
}
