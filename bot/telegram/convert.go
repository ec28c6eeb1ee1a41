package telegram

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"carenet/internal/chat"
)

// Convert turns one Bot API update into what the core understands. It is
// pure so every rule can be table-tested; false means the update carries
// nothing for the core (service messages, edits, commands for other bots).
func Convert(u tgbotapi.Update, botUsername string) (chat.Inbound, bool) {
	switch {
	case u.Message != nil:
		return convertMessage(u.Message, botUsername)
	case u.EditedMessage != nil:
		// Edits are subscribed to (so Telegram does not keep the old
		// allowed_updates) but ignored on purpose: an edited "2" must not
		// replay an answer the flow already took, and an edited note must
		// not change what the case file says without anyone seeing it.
		return chat.Inbound{}, false
	case u.CallbackQuery != nil:
		return convertCallback(u.CallbackQuery, botUsername)
	case u.PollAnswer != nil:
		return convertPollAnswer(u.UpdateID, u.PollAnswer)
	case u.MyChatMember != nil:
		return convertMyChatMember(u.UpdateID, u.MyChatMember)
	}
	return chat.Inbound{}, false
}

func id64(n int64) string { return strconv.FormatInt(n, 10) }

func kindOf(c *tgbotapi.Chat) chat.Kind {
	if c.Type == "private" {
		return chat.Private
	}
	return chat.Group
}

func unixTime(sec int) time.Time {
	if sec == 0 {
		// Zero lets the core stamp its own clock.
		return time.Time{}
	}
	return time.Unix(int64(sec), 0).UTC()
}

func convertMessage(m *tgbotapi.Message, bot string) (chat.Inbound, bool) {
	if m.Chat == nil {
		return chat.Inbound{}, false
	}
	in := chat.Inbound{
		Platform: chat.Telegram,
		Chat:     chat.ChatID(id64(m.Chat.ID)),
		Kind:     kindOf(m.Chat),
		ID:       chat.MsgID(strconv.Itoa(m.MessageID)),
		Time:     unixTime(m.Date),
	}
	if m.From != nil {
		in.Sender = chat.UserID(id64(m.From.ID))
		in.Name = m.From.FirstName
		in.LangHint = m.From.LanguageCode
	}
	if m.MigrateToChatID != 0 {
		// Only the old group's side of a migration is reported; the
		// matching migrate_from message in the new supergroup says the
		// same thing again and is dropped below as a service message.
		in.Kind = chat.Group
		in.Event = chat.EventMigrated
		in.MigratedTo = chat.ChatID(id64(m.MigrateToChatID))
		return in, true
	}
	if m.From == nil {
		return chat.Inbound{}, false
	}
	if m.ReplyToMessage != nil {
		in.ReplyTo = chat.MsgID(strconv.Itoa(m.ReplyToMessage.MessageID))
		if f := m.ReplyToMessage.From; f != nil && bot != "" && strings.EqualFold(f.UserName, bot) {
			in.Mentioned = true
		}
	}

	text, entities := m.Text, m.Entities
	if text == "" {
		text, entities = m.Caption, m.CaptionEntities
	}
	if text == "" {
		if !hasContent(m) {
			return chat.Inbound{}, false // new members, title change, pins…
		}
		in.NonText = true
		return in, true
	}

	for _, e := range entities {
		if e.Type == "mention" && bot != "" && strings.EqualFold(utf16Slice(text, e.Offset, e.Length), "@"+bot) {
			in.Mentioned = true
		}
	}
	if rest, ok := stripMention(text, bot); ok {
		in.Mentioned = true
		text = rest
	}
	text, ok := normaliseCommand(text, bot)
	if !ok {
		return chat.Inbound{}, false
	}
	in.Text = text
	return in, true
}

// hasContent tells a media message from a service message: both come
// without text, but only the first was written by a person.
func hasContent(m *tgbotapi.Message) bool {
	return m.Animation != nil || m.Audio != nil || m.Document != nil ||
		len(m.Photo) > 0 || m.Sticker != nil || m.Video != nil ||
		m.VideoNote != nil || m.Voice != nil || m.Contact != nil ||
		m.Dice != nil || m.Game != nil || m.Poll != nil || m.Venue != nil ||
		m.Location != nil
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// stripMention removes a leading "@bot" so "@carenet_bot 2" answers like
// "2". It works on the text, not on entities, so a mention Telegram did not
// mark (or a test update without entities) is handled the same way.
func stripMention(text, bot string) (string, bool) {
	if bot == "" {
		return text, false
	}
	t := strings.TrimLeft(text, " \t\n")
	p := "@" + bot
	if len(t) < len(p) || !strings.EqualFold(t[:len(p)], p) {
		return text, false
	}
	if len(t) > len(p) && isNameByte(t[len(p)]) {
		return text, false // @carenet_bot_fan is someone else
	}
	return strings.TrimLeft(t[len(p):], " \t\n,:;"), true
}

// normaliseCommand turns "/cmd@bot args" into "/cmd args". false means the
// command is addressed to another bot in the same group and must be left
// alone. The library's CommandWithAt indexes bytes with UTF-16 entity
// offsets, so the text is parsed here instead.
func normaliseCommand(text, bot string) (string, bool) {
	if !strings.HasPrefix(text, "/") {
		return text, true
	}
	end := strings.IndexAny(text, " \t\n")
	if end < 0 {
		end = len(text)
	}
	tok := text[:end]
	at := strings.IndexByte(tok, '@')
	if at < 0 || !isName(tok[1:at]) || !isName(tok[at+1:]) {
		return text, true
	}
	if !strings.EqualFold(tok[at+1:], bot) {
		return "", false
	}
	return tok[:at] + text[end:], true
}

// utf16Slice cuts s by Telegram entity offsets, which count UTF-16 units.
func utf16Slice(s string, off, n int) string {
	u := utf16.Encode([]rune(s))
	if off < 0 || n < 0 || off+n > len(u) {
		return ""
	}
	return string(utf16.Decode(u[off : off+n]))
}

// utf16Len is the length Telegram's 4096 limit is measured in.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func convertCallback(q *tgbotapi.CallbackQuery, bot string) (chat.Inbound, bool) {
	if q.From == nil || q.Message == nil || q.Message.Chat == nil {
		// No message: an inline-mode button or one too old for Telegram
		// to say where it was; there is no chat to answer in.
		return chat.Inbound{}, false
	}
	ref, n, ok := parseCallbackData(q.Data)
	if !ok {
		return chat.Inbound{}, false
	}
	return chat.Inbound{
		Platform: chat.Telegram,
		Chat:     chat.ChatID(id64(q.Message.Chat.ID)),
		Kind:     kindOf(q.Message.Chat),
		Sender:   chat.UserID(id64(q.From.ID)),
		ID:       chat.MsgID("cb" + q.ID),
		Name:     q.From.FirstName,
		LangHint: q.From.LanguageCode,
		Text:     strconv.Itoa(n),
		Ref:      ref,
		// A press answers the bot's own message, so it counts as a reply
		// to the bot even in a group with privacy mode on.
		ReplyTo:   chat.MsgID(strconv.Itoa(q.Message.MessageID)),
		Mentioned: true,
	}, true
}

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// callbackData is "<ref>|<n>", or just "<n>" when the ref would not fit:
// the press then works like the typed number, which the core accepts
// without a ref.
func callbackData(ref string, n int) string {
	num := strconv.Itoa(n)
	if ref == "" {
		return num
	}
	if d := ref + "|" + num; len(d) <= maxCallbackData {
		return d
	}
	return num
}

// parseCallbackData reads callbackData's format. The ref is everything
// before the last "|", so a ref may itself contain one.
func parseCallbackData(d string) (ref string, n int, ok bool) {
	num := d
	if i := strings.LastIndexByte(d, '|'); i >= 0 {
		ref, num = d[:i], d[i+1:]
	}
	if num == "" || len(num) > 4 || !utf8.ValidString(ref) {
		return "", 0, false
	}
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return "", 0, false
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return ref, n, true
}

func convertPollAnswer(updateID int, pa *tgbotapi.PollAnswer) (chat.Inbound, bool) {
	if pa.User.ID == 0 || pa.PollID == "" {
		return chat.Inbound{}, false
	}
	var opts []int
	opts = append(opts, pa.OptionIDs...)
	return chat.Inbound{
		Platform: chat.Telegram,
		Kind:     chat.Group,
		Sender:   chat.UserID(id64(pa.User.ID)),
		ID:       chat.MsgID("pa" + strconv.Itoa(updateID)),
		Name:     pa.User.FirstName,
		LangHint: pa.User.LanguageCode,
		Vote:     &chat.Vote{PollID: pa.PollID, Options: opts},
	}, true
}

func convertMyChatMember(updateID int, c *tgbotapi.ChatMemberUpdated) (chat.Inbound, bool) {
	if c.Chat.Type != "group" && c.Chat.Type != "supergroup" {
		// In a private chat this is the member blocking or unblocking the
		// bot; the next send reports that as ErrUnreachable.
		return chat.Inbound{}, false
	}
	gone := func(s string) bool { return s == "left" || s == "kicked" }
	in := chat.Inbound{
		Platform: chat.Telegram,
		Chat:     chat.ChatID(id64(c.Chat.ID)),
		Kind:     chat.Group,
		Sender:   chat.UserID(id64(c.From.ID)),
		ID:       chat.MsgID("mc" + strconv.Itoa(updateID)),
		Time:     unixTime(c.Date),
		Name:     c.From.FirstName,
		LangHint: c.From.LanguageCode,
	}
	switch news := c.NewChatMember.Status; {
	case gone(news):
		in.Event = chat.EventLeft
	case (news == "member" || news == "administrator") && gone(c.OldChatMember.Status):
		in.Event = chat.EventJoined
	default:
		return chat.Inbound{}, false // promoted, restricted…: still in the group
	}
	return in, true
}
