package whatsapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"carenet/internal/chat"
)

// rateLimitWait is how long to wait after WhatsApp answered
// "rate-overlimit"; it names no time, so this is a conservative guess.
const rateLimitWait = time.Minute

// maxPollOptions is WhatsApp's limit on poll options.
const maxPollOptions = 12

// Send delivers one outbound message: a reaction (out.ReactTo), a native
// poll (out.Poll; out.Text is then not sent) or text with its choices as
// numbered "N) option" lines. WhatsApp has no buttons for linked devices,
// and carenet text is plain, so nothing is escaped. Rate limits are the
// outbox sender's (per-chat and global token buckets), not Send's.
func (a *Adapter) Send(ctx context.Context, key string, out chat.Outbound) (chat.Sent, error) {
	a.mu.Lock()
	banned := a.bannedUntil
	a.mu.Unlock()
	if wait := banned.Sub(a.now()); wait > 0 {
		return chat.Sent{}, &chat.RetryAfterError{After: wait, Err: ErrTemporaryBan}
	}
	to, err := parseChat(out.Chat)
	if err != nil {
		return chat.Sent{}, err
	}
	if !a.cli.IsConnected() {
		return chat.Sent{}, errors.New("whatsapp: not connected")
	}
	id := MessageID(key, a.self().PN)
	var msg *waE2E.Message
	var sent chat.Sent
	switch {
	case out.ReactTo != "":
		sender := types.EmptyJID // empty: the bot's own message
		if out.ReactToSender != "" {
			if sender, err = types.ParseJID(string(out.ReactToSender)); err != nil || sender.User == "" ||
				(sender.Server != types.DefaultUserServer && sender.Server != types.HiddenUserServer) {
				return chat.Sent{}, fmt.Errorf("whatsapp: react to sender %q: invalid JID: %w", out.ReactToSender, chat.ErrPermanent)
			}
		}
		msg = a.cli.BuildReaction(to, sender, types.MessageID(out.ReactTo), out.Text)
	case out.Poll != nil:
		secret, err := pollSecret(out.Poll.Options)
		if err != nil {
			return chat.Sent{}, err
		}
		// Single choice. whatsmeow stores the poll's message secret so
		// DecryptPollVote can read the votes later.
		msg = a.cli.BuildPollCreation(out.Poll.Question, out.Poll.Options, 1)
		sent.PollID = id
		sent.Secret = secret
	default:
		text := Text(out.Text, out.Choices)
		if text == "" {
			return chat.Sent{}, fmt.Errorf("whatsapp: empty message: %w", chat.ErrPermanent)
		}
		msg = &waE2E.Message{Conversation: proto.String(text)}
	}
	resp, err := a.cli.SendMessage(ctx, to, msg, whatsmeow.SendRequestExtra{ID: id})
	if err != nil {
		return chat.Sent{}, classify(to, err)
	}
	sent.ID = chat.MsgID(resp.ID)
	if sent.ID == "" {
		sent.ID = chat.MsgID(id)
	}
	return sent, nil
}

// Text is the text of a message with its choices as numbered lines, the
// form every carenet transport shows so typing the number always works.
func Text(text string, choices []string) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(text, "\n"))
	for i, c := range choices {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(") ")
		b.WriteString(c)
	}
	return b.String()
}

// MessageID derives the WhatsApp message id of an outbound message from its
// idempotency key and the bot's own phone number, in the shape WhatsApp Web
// uses ("3EB0" and 18 upper-case hex digits). A retry after a crash carries
// the same id, so recipients' phones drop the second copy; the number keeps
// two carenet installations with the same outbox numbering apart.
func MessageID(key, botUser string) types.MessageID {
	h := sha256.Sum256([]byte("carenet-wa-msgid\x00" + botUser + "\x00" + key))
	return whatsmeow.WebMessageIDPrefix + strings.ToUpper(hex.EncodeToString(h[:9]))
}

// OptionHash is how a WhatsApp poll vote names an option: the lower-case
// hex SHA-256 of the option text, as chat.Vote.Hashes carries it.
func OptionHash(option string) string {
	h := sha256.Sum256([]byte(option))
	return hex.EncodeToString(h[:])
}

// pollSecret is Sent.Secret for a poll: a JSON array of the option hashes
// in option order. Votes carry only hashes, so the core maps them back to
// indexes with it. Two options with the same text could not be told apart.
func pollSecret(options []string) (string, error) {
	if len(options) < 2 || len(options) > maxPollOptions {
		return "", fmt.Errorf("whatsapp: a poll needs 2 to %d options, got %d: %w", maxPollOptions, len(options), chat.ErrPermanent)
	}
	hashes := make([]string, len(options))
	seen := make(map[string]bool, len(options))
	for i, o := range options {
		hashes[i] = OptionHash(o)
		if seen[hashes[i]] {
			return "", fmt.Errorf("whatsapp: poll option %q appears twice: %w", o, chat.ErrPermanent)
		}
		seen[hashes[i]] = true
	}
	b, err := json.Marshal(hashes)
	if err != nil {
		return "", fmt.Errorf("whatsapp: poll secret: %w", err)
	}
	return string(b), nil
}

// parseChat parses an outbound chat id; anything but a user (phone number
// or LID) or group JID is permanently undeliverable.
func parseChat(c chat.ChatID) (types.JID, error) {
	to, err := types.ParseJID(string(c))
	if err == nil && to.User != "" {
		switch to.Server {
		case types.DefaultUserServer, types.HiddenUserServer, types.GroupServer:
			return to.ToNonAD(), nil
		}
	}
	return types.EmptyJID, fmt.Errorf("whatsapp: chat %q is not a WhatsApp user or group JID: %w", c, chat.ErrPermanent)
}

// classify maps a whatsmeow send error to the core's retry contract:
// flood control becomes RetryAfterError; a group the bot is not in or a
// recipient WhatsApp does not know is permanent; anything else (network,
// timeouts, disconnects) is retried as it is.
func classify(to types.JID, err error) error {
	private := to.Server != types.GroupServer
	switch {
	case errors.Is(err, whatsmeow.ErrIQRateOverLimit) || isServerCode(err, 429):
		return &chat.RetryAfterError{After: rateLimitWait, Err: fmt.Errorf("whatsapp: send to %s: %w", to, err)}
	case private && (errors.Is(err, whatsmeow.ErrIQNotFound) || errors.Is(err, whatsmeow.ErrIQGone) ||
		strings.Contains(err.Error(), "no LID found for")):
		// WhatsApp has no account for the number ("no LID found" is
		// whatsmeow's wording: after the LID migration every private send
		// needs the recipient's LID).
		return fmt.Errorf("whatsapp: send to %s: not on WhatsApp: %w: %w", to, chat.ErrUnreachable, err)
	case errors.Is(err, whatsmeow.ErrGroupNotFound), errors.Is(err, whatsmeow.ErrNotInGroup),
		errors.Is(err, whatsmeow.ErrIQForbidden), errors.Is(err, whatsmeow.ErrIQNotFound),
		errors.Is(err, whatsmeow.ErrIQGone), errors.Is(err, whatsmeow.ErrUnknownServer),
		errors.Is(err, whatsmeow.ErrRecipientADJID), errors.Is(err, whatsmeow.ErrBroadcastListUnsupported):
		return fmt.Errorf("whatsapp: send to %s: %w: %w", to, chat.ErrPermanent, err)
	}
	return fmt.Errorf("whatsapp: send to %s: %w", to, err)
}

// isServerCode tells whether err is whatsmeow's "server returned error N".
func isServerCode(err error, code int) bool {
	return errors.Is(err, whatsmeow.ErrServerReturnedError) &&
		strings.Contains(err.Error(), whatsmeow.ErrServerReturnedError.Error()+" "+strconv.Itoa(code))
}
