package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"carenet/internal/chat"
)

// maxText is Telegram's message limit, in UTF-16 code units after entity
// parsing, which is why text is split before it is escaped.
const maxText = 4096

// maxButton keeps a button label readable on a phone; the full label is
// in the numbered text above the keyboard.
const maxButton = 40

// Send implements chat.Transport. key is unused: the Bot API has no
// idempotency key, so a retry after a lost answer may show a message twice.
func (a *Adapter) Send(ctx context.Context, key string, out chat.Outbound) (chat.Sent, error) {
	chatID, err := strconv.ParseInt(string(out.Chat), 10, 64)
	if err != nil {
		return chat.Sent{}, fmt.Errorf("telegram chat id %q: %w", out.Chat, chat.ErrPermanent)
	}
	chatID = a.current(chatID)
	api := a.with(ctx)
	switch {
	case out.ReactTo != "":
		return chat.Sent{}, a.react(api, chatID, out)
	case out.Poll != nil:
		return a.sendPoll(api, chatID, out.Poll)
	}
	return a.sendText(api, chatID, out)
}

func (a *Adapter) current(id int64) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if to, ok := a.migrated[id]; ok {
		return to
	}
	return id
}

// withMigration sends once and, if the group became a supergroup, once more
// to its new id, which it also remembers so later messages go there first.
// The core learns the new id from the migrate_to_chat_id service message.
func (a *Adapter) withMigration(method string, chatID int64, send func(int64) (tgbotapi.Message, error)) (tgbotapi.Message, int64, error) {
	m, err := send(chatID)
	var te *tgbotapi.Error
	if err != nil && errors.As(err, &te) && te.MigrateToChatID != 0 {
		to := te.MigrateToChatID
		a.log.Warn("telegram group migrated to a supergroup, resending", "from", chatID, "to", to)
		a.mu.Lock()
		a.migrated[chatID] = to
		a.mu.Unlock()
		chatID = to
		m, err = send(chatID)
	}
	if err != nil {
		return m, chatID, classify(method, chatID, err)
	}
	return m, chatID, nil
}

// classify maps Bot API failures to what the core's outbox does with them.
func classify(method string, chatID int64, err error) error {
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("telegram %s: %w", method, err) // network: retried
	}
	switch {
	case te.Code == 429:
		after := time.Duration(te.RetryAfter) * time.Second
		if after <= 0 {
			after = time.Second
		}
		return &chat.RetryAfterError{After: after, Err: fmt.Errorf("telegram %s: %w", method, err)}
	case te.Code == 403 && chatID > 0:
		// Positive ids are private chats: the member blocked the bot.
		return fmt.Errorf("telegram %s to %d: %w: %w", method, chatID, chat.ErrUnreachable, err)
	case te.Code == 403, te.Code == 400:
		// Kicked from the group, chat not found, bad request: the same
		// request will fail the same way.
		return fmt.Errorf("telegram %s to %d: %w: %w", method, chatID, chat.ErrPermanent, err)
	}
	return fmt.Errorf("telegram %s to %d: %w", method, chatID, err)
}

func (a *Adapter) sendText(api *tgbotapi.BotAPI, chatID int64, out chat.Outbound) (chat.Sent, error) {
	text := out.Text
	if len(out.Choices) > 0 {
		var b strings.Builder
		b.WriteString(text)
		for i, c := range out.Choices {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "%d) %s", i+1, c)
		}
		text = b.String()
	}
	parts := splitText(text, maxText)
	if len(parts) == 0 {
		return chat.Sent{}, fmt.Errorf("telegram: empty message: %w", chat.ErrPermanent)
	}
	var sent chat.Sent
	for i, p := range parts {
		cfg := tgbotapi.NewMessage(0, tgbotapi.EscapeText(tgbotapi.ModeHTML, p))
		cfg.ParseMode = tgbotapi.ModeHTML
		if i == len(parts)-1 && len(out.Choices) > 0 {
			cfg.ReplyMarkup = keyboard(out.Ref, out.Choices)
		}
		m, to, err := a.withMigration("sendMessage", chatID, func(id int64) (tgbotapi.Message, error) {
			cfg.ChatID = id
			return api.Send(cfg)
		})
		if err != nil {
			return chat.Sent{}, err
		}
		chatID = to
		sent.ID = chat.MsgID(strconv.Itoa(m.MessageID))
	}
	return sent, nil
}

func keyboard(ref string, choices []string) tgbotapi.InlineKeyboardMarkup {
	rows := make([][]tgbotapi.InlineKeyboardButton, 0, len(choices))
	for i, c := range choices {
		label := truncate(fmt.Sprintf("%d) %s", i+1, c), maxButton)
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(label, callbackData(ref, i+1))))
	}
	return tgbotapi.NewInlineKeyboardMarkup(rows...)
}

// splitText cuts text into parts of at most limit UTF-16 units, at line
// breaks where it can, at a space or anywhere between characters when a
// single line is too long. Blank parts are dropped: Telegram refuses them.
func splitText(text string, limit int) []string {
	var parts, cur []string
	curLen := 0
	flush := func() {
		s := strings.Trim(strings.Join(cur, "\n"), "\n")
		if strings.TrimSpace(s) != "" {
			parts = append(parts, s)
		}
		cur, curLen = nil, 0
	}
	for _, line := range strings.Split(text, "\n") {
		for _, piece := range hardSplit(line, limit) {
			n := utf16Len(piece)
			if len(cur) > 0 && curLen+1+n > limit {
				flush()
			}
			if len(cur) > 0 {
				curLen++ // the joining newline
			}
			cur = append(cur, piece)
			curLen += n
		}
	}
	flush()
	return parts
}

// hardSplit cuts one line into pieces of at most limit UTF-16 units,
// never inside a surrogate pair and preferably after a space.
func hardSplit(line string, limit int) []string {
	var out []string
	for utf16Len(line) > limit {
		n, cut, space := 0, 0, -1
		for i := 0; i < len(line); {
			r, size := utf8.DecodeRuneInString(line[i:])
			if w := utf16.RuneLen(r); n+w <= limit {
				n += w
			} else {
				break
			}
			i += size
			cut = i
			if r == ' ' {
				space = cut
			}
		}
		if cut == 0 { // limit below one character: take one anyway
			_, cut = utf8.DecodeRuneInString(line)
		}
		if space > cut/2 {
			cut = space
		}
		out = append(out, line[:cut])
		line = line[cut:]
	}
	return append(out, line)
}

// sendPoll builds the request itself: v5.5.1's SendPollConfig also sends
// correct_option_id=0 and explanation_entities=null, which belong to quiz
// polls, and Telegram only reports votes of non-anonymous polls.
func (a *Adapter) sendPoll(api *tgbotapi.BotAPI, chatID int64, p *chat.Poll) (chat.Sent, error) {
	opts, err := json.Marshal(p.Options)
	if err != nil {
		return chat.Sent{}, fmt.Errorf("telegram poll options: %w", err)
	}
	m, _, err := a.withMigration("sendPoll", chatID, func(id int64) (tgbotapi.Message, error) {
		resp, err := api.MakeRequest("sendPoll", tgbotapi.Params{
			"chat_id":                 strconv.FormatInt(id, 10),
			"question":                p.Question,
			"options":                 string(opts),
			"is_anonymous":            "false",
			"type":                    "regular",
			"allows_multiple_answers": "false",
		})
		if err != nil {
			return tgbotapi.Message{}, err
		}
		var m tgbotapi.Message
		if err := json.Unmarshal(resp.Result, &m); err != nil {
			return m, fmt.Errorf("decode: %w", err)
		}
		return m, nil
	})
	if err != nil {
		return chat.Sent{}, err
	}
	if m.Poll == nil || m.Poll.ID == "" {
		// Without the id no vote could ever be matched to this poll.
		return chat.Sent{}, errors.New("telegram sendPoll: answer has no poll id")
	}
	return chat.Sent{ID: chat.MsgID(strconv.Itoa(m.MessageID)), PollID: m.Poll.ID}, nil
}

// react uses setMessageReaction, which v5.5.1 predates.
func (a *Adapter) react(api *tgbotapi.BotAPI, chatID int64, out chat.Outbound) error {
	msgID, err := strconv.Atoi(string(out.ReactTo))
	if err != nil {
		return fmt.Errorf("telegram reaction to %q: %w", out.ReactTo, chat.ErrPermanent)
	}
	reaction, err := json.Marshal([]map[string]string{{"type": "emoji", "emoji": out.Text}})
	if err != nil {
		return err
	}
	_, err = api.MakeRequest("setMessageReaction", tgbotapi.Params{
		"chat_id":    strconv.FormatInt(chatID, 10),
		"message_id": strconv.Itoa(msgID),
		"reaction":   string(reaction),
	})
	if err != nil {
		return classify("setMessageReaction", chatID, err)
	}
	return nil
}
