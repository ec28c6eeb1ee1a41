package whatsapp

import (
	"strings"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"carenet/internal/chat"
)

// Convert turns a whatsmeow message event into a chat.Inbound. It reports
// false for what carenet does not read:
//
//   - the bot's own messages (IsFromMe: echoes and the operator's phone),
//   - status broadcasts and newsletters,
//   - protocol messages (revokes, ephemeral settings, key sharing),
//   - reactions and poll creations by others,
//   - edits: an edit arrives as a new stanza about an old message. If it
//     were read as a fresh message, correcting "2" to "3" after the bot
//     moved on would answer the next question, or replay an answer already
//     taken. Members send a new message instead.
//   - poll votes: they need decryption with the client's stored poll
//     secret, so the event handler deals with them (handleVote),
//   - message kinds carenet knows nothing about (pins, payments, calls…).
//
// Convert is pure: it does not look up the sender's other id (LID or phone
// number) when the stanza does not carry it; the handler does.
func Convert(evt *events.Message, self Self) (chat.Inbound, bool) {
	in, ok := envelope(evt)
	if !ok {
		return chat.Inbound{}, false
	}
	m := evt.Message
	if m == nil || evt.IsEdit || evt.Info.Edit != types.EditAttributeEmpty ||
		m.ProtocolMessage != nil || m.ReactionMessage != nil || m.EncReactionMessage != nil ||
		m.PollUpdateMessage != nil || isPollCreation(m) {
		return chat.Inbound{}, false
	}

	switch {
	case m.Conversation != nil:
		in.Text = m.GetConversation()
	case m.ExtendedTextMessage != nil:
		in.Text = m.GetExtendedTextMessage().GetText()
	case m.ImageMessage != nil:
		in.Text = m.GetImageMessage().GetCaption()
	case m.VideoMessage != nil:
		in.Text = m.GetVideoMessage().GetCaption()
	case m.PtvMessage != nil:
		in.Text = m.GetPtvMessage().GetCaption()
	case m.DocumentMessage != nil:
		in.Text = m.GetDocumentMessage().GetCaption()
	case m.StickerMessage != nil, m.AudioMessage != nil, m.LocationMessage != nil,
		m.LiveLocationMessage != nil, m.ContactMessage != nil, m.ContactsArrayMessage != nil:
		// No text to read.
	default:
		return chat.Inbound{}, false
	}
	in.Text = strings.TrimSpace(in.Text)
	in.NonText = in.Text == ""

	if ci := contextInfo(m); ci != nil {
		in.ReplyTo = chat.MsgID(ci.GetStanzaID())
		for _, j := range ci.GetMentionedJID() {
			if isSelf(j, self) {
				in.Mentioned = true
			}
		}
	}
	if rest, ok := stripSelfMention(in.Text, self); ok {
		in.Text = rest
		in.Mentioned = true
	}
	return in, true
}

// envelope fills what every inbound message carries (chat, sender, id,
// time) and rejects chats carenet does not serve.
func envelope(evt *events.Message) (chat.Inbound, bool) {
	info := evt.Info
	if info.IsFromMe || info.Sender.IsEmpty() {
		return chat.Inbound{}, false
	}
	in := chat.Inbound{
		Platform: chat.WhatsApp,
		Sender:   chat.UserID(info.Sender.ToNonAD().String()),
		ID:       chat.MsgID(info.ID),
		Time:     info.Timestamp,
		Name:     info.PushName,
	}
	if !info.SenderAlt.IsEmpty() {
		in.SenderAlt = chat.UserID(info.SenderAlt.ToNonAD().String())
	}
	switch info.Chat.Server {
	case types.GroupServer:
		in.Kind = chat.Group
		in.Chat = chat.ChatID(info.Chat.ToNonAD().String())
	case types.DefaultUserServer, types.HiddenUserServer:
		// The private chat is addressed by the sender's JID, as
		// chat.PrivateChat assumes.
		in.Kind = chat.Private
		in.Chat = chat.PrivateChat(in.Sender)
	case types.BroadcastServer:
		// Status updates are not conversations. A message to one of
		// someone's broadcast lists shows up in their private chat with
		// the bot, so it is read as such.
		if info.Chat == types.StatusBroadcastJID || !info.IsIncomingBroadcast() {
			return chat.Inbound{}, false
		}
		in.Kind = chat.Private
		in.Chat = chat.PrivateChat(in.Sender)
	default: // newsletters, bots, hosted accounts, Messenger interop
		return chat.Inbound{}, false
	}
	return in, true
}

func isPollCreation(m *waE2E.Message) bool {
	return m.PollCreationMessage != nil || m.PollCreationMessageV2 != nil ||
		m.PollCreationMessageV3 != nil || m.PollCreationMessageV4 != nil ||
		m.PollCreationMessageV5 != nil
}

// contextInfo is the reply and mention context of whichever kind of
// message carries it.
func contextInfo(m *waE2E.Message) *waE2E.ContextInfo {
	switch {
	case m.ExtendedTextMessage != nil:
		return m.ExtendedTextMessage.GetContextInfo()
	case m.ImageMessage != nil:
		return m.ImageMessage.GetContextInfo()
	case m.VideoMessage != nil:
		return m.VideoMessage.GetContextInfo()
	case m.PtvMessage != nil:
		return m.PtvMessage.GetContextInfo()
	case m.DocumentMessage != nil:
		return m.DocumentMessage.GetContextInfo()
	case m.StickerMessage != nil:
		return m.StickerMessage.GetContextInfo()
	case m.AudioMessage != nil:
		return m.AudioMessage.GetContextInfo()
	}
	return nil
}

// isSelf tells whether a mentioned JID is the bot, by phone number or LID:
// LID-migrated groups mention it as "@<lid>".
func isSelf(jid string, self Self) bool {
	j, err := types.ParseJID(jid)
	if err != nil {
		return false
	}
	switch j.Server {
	case types.DefaultUserServer, types.LegacyUserServer:
		return self.PN != "" && j.User == self.PN
	case types.HiddenUserServer:
		return self.LID != "" && j.User == self.LID
	}
	return false
}

// stripSelfMention removes a leading "@<digits>" that names the bot (by
// phone number or LID), so "@263771234567 2" reads as "2".
func stripSelfMention(text string, self Self) (string, bool) {
	if !strings.HasPrefix(text, "@") {
		return text, false
	}
	n := 1
	for n < len(text) && text[n] >= '0' && text[n] <= '9' {
		n++
	}
	user := text[1:n]
	if user == "" || (user != self.PN && user != self.LID) {
		return text, false
	}
	if n < len(text) && text[n] != ' ' && text[n] != '\n' && text[n] != ',' && text[n] != ':' {
		return text, false // "@2637712345678" is someone else's longer number
	}
	return strings.TrimSpace(strings.TrimLeft(text[n:], ",:")), true
}
