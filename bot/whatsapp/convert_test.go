package whatsapp

import (
	"reflect"
	"testing"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"carenet/internal/chat"
)

func TestConvert(t *testing.T) {
	memberDevice := types.NewADJID(memberPN.User, 0, 3)
	dm := func(m *waE2E.Message) *events.Message { return msg(memberPN, memberDevice, m) }
	inGroup := func(m *waE2E.Message) *events.Message { return msg(group, memberPN, m) }
	with := func(e *events.Message, f func(*events.Message)) *events.Message { f(e); return e }

	// base is what every converted message of the member carries.
	base := func(c types.JID, k chat.Kind) chat.Inbound {
		return chat.Inbound{
			Platform: chat.WhatsApp, Chat: chat.ChatID(c.String()), Kind: k,
			Sender: chat.UserID(memberPN.String()), ID: "ABCDEF0123456789", Time: when, Name: "Tendai",
		}
	}
	privateIn := func(f func(*chat.Inbound)) chat.Inbound { in := base(memberPN, chat.Private); f(&in); return in }
	groupIn := func(f func(*chat.Inbound)) chat.Inbound { in := base(group, chat.Group); f(&in); return in }
	mention := func(txt string, jids ...string) *waE2E.Message {
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String(txt), ContextInfo: &waE2E.ContextInfo{MentionedJID: jids},
		}}
	}

	tests := []struct {
		name string
		evt  *events.Message
		want chat.Inbound
		ok   bool
	}{
		{
			name: "private plain text from a linked device",
			evt:  dm(text("  /newcase ")),
			want: privateIn(func(in *chat.Inbound) { in.Text = "/newcase" }),
			ok:   true,
		},
		{
			name: "group plain text",
			evt:  inGroup(text("ZW-DEM-0001 seen today")),
			want: groupIn(func(in *chat.Inbound) { in.Text = "ZW-DEM-0001 seen today" }),
			ok:   true,
		},
		{
			name: "extended text",
			evt:  dm(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("see https://example.org")}}),
			want: privateIn(func(in *chat.Inbound) { in.Text = "see https://example.org" }),
			ok:   true,
		},
		{
			name: "extended text replying to a bot question",
			evt: inGroup(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
				Text: proto.String("2"),
				ContextInfo: &waE2E.ContextInfo{
					StanzaID:      proto.String("3EB0AAAABBBBCCCCDDDDEE"),
					Participant:   proto.String(botSelf.PN + "@s.whatsapp.net"),
					QuotedMessage: text("Is the child safe? 1) Yes 2) No"),
				},
			}}),
			want: groupIn(func(in *chat.Inbound) { in.Text = "2"; in.ReplyTo = "3EB0AAAABBBBCCCCDDDDEE" }),
			ok:   true,
		},
		{
			name: "image with caption",
			evt:  dm(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("the house"), Mimetype: proto.String("image/jpeg")}}),
			want: privateIn(func(in *chat.Inbound) { in.Text = "the house" }),
			ok:   true,
		},
		{
			name: "image without caption",
			evt:  dm(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg")}}),
			want: privateIn(func(in *chat.Inbound) { in.NonText = true }),
			ok:   true,
		},
		{
			name: "document with caption replying",
			evt: dm(&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
				Caption: proto.String("report"), ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("3EB0Q")},
			}}),
			want: privateIn(func(in *chat.Inbound) { in.Text = "report"; in.ReplyTo = "3EB0Q" }),
			ok:   true,
		},
		{
			name: "sticker",
			evt:  dm(&waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp")}}),
			want: privateIn(func(in *chat.Inbound) { in.NonText = true }),
			ok:   true,
		},
		{
			name: "voice note",
			evt:  dm(&waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true)}}),
			want: privateIn(func(in *chat.Inbound) { in.NonText = true }),
			ok:   true,
		},
		{
			name: "location",
			evt:  dm(&waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(-17.8)}}),
			want: privateIn(func(in *chat.Inbound) { in.NonText = true }),
			ok:   true,
		},
		{
			name: "contact card",
			evt:  dm(&waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Rudo")}}),
			want: privateIn(func(in *chat.Inbound) { in.NonText = true }),
			ok:   true,
		},
		{
			name: "mention of the bot by phone number",
			evt:  inGroup(mention("@263770000001 /closecase", "263770000001@s.whatsapp.net")),
			want: groupIn(func(in *chat.Inbound) { in.Text = "/closecase"; in.Mentioned = true }),
			ok:   true,
		},
		{
			name: "mention of the bot by LID",
			evt:  inGroup(mention("@987654321098765 2", "987654321098765@lid")),
			want: groupIn(func(in *chat.Inbound) { in.Text = "2"; in.Mentioned = true }),
			ok:   true,
		},
		{
			name: "mention of the bot later in the text is kept",
			evt:  inGroup(mention("thanks @263770000001", "263770000001@s.whatsapp.net")),
			want: groupIn(func(in *chat.Inbound) { in.Text = "thanks @263770000001"; in.Mentioned = true }),
			ok:   true,
		},
		{
			name: "mention of someone else",
			evt:  inGroup(mention("@263771111111 can you visit?", "263771111111@s.whatsapp.net")),
			want: groupIn(func(in *chat.Inbound) { in.Text = "@263771111111 can you visit?" }),
			ok:   true,
		},
		{
			name: "a longer number that starts with the bot's is not the bot",
			evt:  inGroup(mention("@2637700000019 hi", "2637700000019@s.whatsapp.net")),
			want: groupIn(func(in *chat.Inbound) { in.Text = "@2637700000019 hi" }),
			ok:   true,
		},
		{
			name: "LID-addressed group: sender by LID, phone number in SenderAlt",
			evt: with(inGroup(text("1")), func(e *events.Message) {
				e.Info.Sender = types.NewADJID(memberLID.User, 0, 2)
				e.Info.Sender.Server = types.HiddenUserServer
				e.Info.SenderAlt = memberPN
				e.Info.AddressingMode = types.AddressingModeLID
			}),
			want: groupIn(func(in *chat.Inbound) {
				in.Sender = chat.UserID(memberLID.String())
				in.SenderAlt = chat.UserID(memberPN.String())
				in.Text = "1"
			}),
			ok: true,
		},
		{
			name: "PN-addressed group: sender by phone number, LID in SenderAlt",
			evt: with(inGroup(text("1")), func(e *events.Message) {
				e.Info.SenderAlt = memberLID
				e.Info.AddressingMode = types.AddressingModePN
			}),
			want: groupIn(func(in *chat.Inbound) { in.SenderAlt = chat.UserID(memberLID.String()); in.Text = "1" }),
			ok:   true,
		},
		{
			name: "private chat addressed by LID",
			evt: with(msg(memberLID, memberLID, text("hi")), func(e *events.Message) {
				e.Info.SenderAlt = memberPN
			}),
			want: chat.Inbound{
				Platform: chat.WhatsApp, Chat: chat.ChatID(memberLID.String()), Kind: chat.Private,
				Sender: chat.UserID(memberLID.String()), SenderAlt: chat.UserID(memberPN.String()),
				ID: "ABCDEF0123456789", Time: when, Name: "Tendai", Text: "hi",
			},
			ok: true,
		},
		{
			name: "message to one of the member's broadcast lists reads as private",
			evt:  msg(types.NewJID("1736000000", types.BroadcastServer), memberPN, text("hello all")),
			want: privateIn(func(in *chat.Inbound) { in.Text = "hello all" }),
			ok:   true,
		},
		{
			name: "own message",
			evt:  with(inGroup(text("Case opened")), func(e *events.Message) { e.Info.IsFromMe = true }),
		},
		{
			name: "status broadcast",
			evt:  msg(types.StatusBroadcastJID, memberPN, text("my status")),
		},
		{
			name: "newsletter",
			evt:  msg(types.NewJID("120363000000000000", types.NewsletterServer), memberPN, text("news")),
		},
		{
			name: "protocol message (revoke)",
			evt: inGroup(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
				Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: &waCommon.MessageKey{ID: proto.String("X")},
			}}),
		},
		{
			name: "reaction",
			evt: inGroup(&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
				Key: &waCommon.MessageKey{ID: proto.String("3EB0X")}, Text: proto.String("👍"),
			}}),
		},
		{
			name: "edit",
			evt: with(inGroup(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
				Type:          waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(),
				Key:           &waCommon.MessageKey{ID: proto.String("ABCDEF0123456788")},
				EditedMessage: text("3"),
			}}), func(e *events.Message) { e.IsEdit = true; e.Info.Edit = types.EditAttributeMessageEdit }),
		},
		{
			name: "edit flagged only by the stanza attribute",
			evt:  with(inGroup(text("3")), func(e *events.Message) { e.Info.Edit = types.EditAttributeMessageEdit }),
		},
		{
			name: "poll created by a member",
			evt: inGroup(&waE2E.Message{PollCreationMessageV3: &waE2E.PollCreationMessage{
				Name: proto.String("lunch?"), Options: []*waE2E.PollCreationMessage_Option{{OptionName: proto.String("yes")}},
			}}),
		},
		{
			name: "poll vote (decrypted by the handler, not here)",
			evt: inGroup(&waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{
				PollCreationMessageKey: &waCommon.MessageKey{ID: proto.String("3EB0POLL")},
			}}),
		},
		{
			name: "unknown kind (pin)",
			evt:  inGroup(&waE2E.Message{PinInChatMessage: &waE2E.PinInChatMessage{}}),
		},
		{
			name: "no message",
			evt:  inGroup(nil),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Convert(tt.evt, botSelf)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (got %+v)", ok, tt.ok, got)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Convert\n got  %+v\n want %+v", got, tt.want)
			}
		})
	}
}

func TestStripSelfMention(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"@263770000001 2", "2", true},
		{"@263770000001, yes", "yes", true},
		{"@263770000001: yes", "yes", true},
		{"@263770000001", "", true},
		{"@987654321098765\n/newcase", "/newcase", true},
		{"@263770000001x", "@263770000001x", false},
		{"@ 2", "@ 2", false},
		{"2 @263770000001", "2 @263770000001", false},
	} {
		got, ok := stripSelfMention(tt.in, botSelf)
		if got != tt.want || ok != tt.ok {
			t.Errorf("stripSelfMention(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := stripSelfMention("@", Self{}); ok {
		t.Error("an unknown self matched a bare @")
	}
}
