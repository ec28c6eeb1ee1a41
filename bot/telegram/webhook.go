package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// maxUpdateBytes bounds a webhook body; real updates are a few kilobytes.
const maxUpdateBytes = 1 << 20

func (a *Adapter) runWebhook(ctx context.Context, r Receiver) error {
	w := a.opts.Webhook
	allowed, err := json.Marshal(allowedUpdates)
	if err != nil {
		return err
	}
	// WebhookConfig of v5.5.1 has no secret_token, hence the raw request.
	if _, err := a.with(ctx).MakeRequest("setWebhook", tgbotapi.Params{
		"url":             w.URL,
		"secret_token":    w.Secret,
		"allowed_updates": string(allowed),
	}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram setWebhook: %w", err)
	}
	ln, err := net.Listen("tcp", w.Listen)
	if err != nil {
		return fmt.Errorf("telegram webhook listen: %w", err)
	}
	srv := &http.Server{
		Handler:           a.Handler(r),
		ReadHeaderTimeout: 10 * time.Second,
		// Receive runs inside the request, so the handler context must
		// outlive ctx: Shutdown lets in-flight updates reach the inbox.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.log.Info("telegram webhook listening", "addr", ln.Addr().String(), "bot", a.api.Self.UserName)
	if a.onListen != nil {
		a.onListen(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("telegram webhook: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("telegram webhook shutdown: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("telegram webhook: %w", err)
	}
	return nil
}

// Handler is the webhook endpoint Run serves. It answers 200 only once the
// update is in the inbox; any other status makes Telegram send it again.
func (a *Adapter) Handler(r Receiver) http.Handler {
	secret := []byte(a.opts.Webhook.Secret)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got := []byte(req.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if req.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		var u tgbotapi.Update
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxUpdateBytes)).Decode(&u); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if err := a.deliver(req.Context(), r, u); err != nil {
			a.log.Warn("telegram webhook update not taken", "update_id", u.UpdateID, "err", err)
			http.Error(w, "not stored", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		// Telegram waits for this answer; send it before the cosmetic
		// callback calls so a slow Bot API does not trigger a redelivery.
		_ = http.NewResponseController(w).Flush()
		// Telegram may hang up once it has the 200, which cancels the
		// request context; the button must still be answered.
		actx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), 10*time.Second)
		defer cancel()
		a.afterReceive(actx, u)
	})
}
