package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"carenet/bot/whatsapp"
)

// login pairs a channel that needs a device: `carenet login whatsapp
// [--config FILE] [--phone 2637XXXXXXXX]` shows a QR code to scan (or,
// with --phone, a code to type on that phone) and keeps the device in the
// WhatsApp store file.
func (s stdio) login(ctx context.Context, args []string) error {
	const use = "usage: carenet login whatsapp [--config FILE] [--phone 2637XXXXXXXX]"
	if len(args) == 0 || args[0] != "whatsapp" {
		return usageError{errors.New(use)}
	}
	fs := s.flagSet("login whatsapp")
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	phone := fs.String("phone", "", "pair with a code typed on this phone (international digits, e.g. 263771234567) instead of a QR code")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("login whatsapp: unexpected argument %q\n%s", fs.Arg(0), use)}
	}
	if *phone != "" {
		if err := whatsapp.ValidatePhone(*phone); err != nil {
			return usageError{err}
		}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if !cfg.WhatsApp.Enabled {
		fmt.Fprintln(s.err, "carenet: note: whatsapp.enabled is false in this configuration; set it to true (or CARENET_WHATSAPP_ENABLED=true) so `carenet run` starts WhatsApp.")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return whatsapp.Pair(ctx, cfg.WhatsAppStorePath(), *phone, s.out, newLogger(s.err, cfg, true))
}
