package telegram

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"carenet/internal/chat"
)

const (
	tPrivate = `"chat":{"id":42,"type":"private","first_name":"Tendai"}`
	tGroup   = `"chat":{"id":-1001234,"type":"supergroup","title":"Ward 18"}`
	tFrom    = `"from":{"id":42,"is_bot":false,"first_name":"Tendai","language_code":"sn"}`
	tDate    = `"date":1767600000`
)

func msg(chatPart, rest string) string {
	return `"message":{"message_id":7,` + tDate + `,` + chatPart + `,` + tFrom + `,` + rest + `}`
}

var tTime = time.Unix(1767600000, 0).UTC()

func base(c chat.ChatID, k chat.Kind) chat.Inbound {
	return chat.Inbound{Platform: chat.Telegram, Chat: c, Kind: k, Sender: "42", ID: "7", Time: tTime, Name: "Tendai", LangHint: "sn"}
}

func with(in chat.Inbound, f func(*chat.Inbound)) *chat.Inbound {
	f(&in)
	return &in
}

func TestConvert(t *testing.T) {
	priv, grp := base("42", chat.Private), base("-1001234", chat.Group)
	cases := []struct {
		name   string
		update string
		want   *chat.Inbound // nil: nothing for the core
	}{
		{"private text", msg(tPrivate, `"text":"hello"`), with(priv, func(i *chat.Inbound) { i.Text = "hello" })},
		{"group text", msg(tGroup, `"text":"2"`), with(grp, func(i *chat.Inbound) { i.Text = "2" })},
		{"basic group is a group", msg(`"chat":{"id":-55,"type":"group"}`, `"text":"x"`),
			with(base("-55", chat.Group), func(i *chat.Inbound) { i.Text = "x" })},
		{"caption", msg(tPrivate, `"photo":[{"file_id":"p","file_unique_id":"u","width":1,"height":1}],"caption":"my note"`),
			with(priv, func(i *chat.Inbound) { i.Text = "my note" })},
		{"command for us", msg(tGroup, `"text":"/newcase@fake_bot now","entities":[{"type":"bot_command","offset":0,"length":17}]`),
			with(grp, func(i *chat.Inbound) { i.Text = "/newcase now" })},
		{"command for us, case-insensitive", msg(tGroup, `"text":"/setup@Fake_Bot"`),
			with(grp, func(i *chat.Inbound) { i.Text = "/setup" })},
		{"command for another bot", msg(tGroup, `"text":"/start@other_bot","entities":[{"type":"bot_command","offset":0,"length":16}]`), nil},
		{"deep link start", msg(tPrivate, `"text":"/start ABC123","entities":[{"type":"bot_command","offset":0,"length":6}]`),
			with(priv, func(i *chat.Inbound) { i.Text = "/start ABC123" })},
		{"leading mention stripped", msg(tGroup, `"text":"@fake_bot 3","entities":[{"type":"mention","offset":0,"length":9}]`),
			with(grp, func(i *chat.Inbound) { i.Text = "3"; i.Mentioned = true })},
		{"leading mention then command", msg(tGroup, `"text":"@fake_bot, /setup@fake_bot"`),
			with(grp, func(i *chat.Inbound) { i.Text = "/setup"; i.Mentioned = true })},
		{"mention inside text after emoji (UTF-16 offsets)",
			msg(tGroup, `"text":"😀 ask @fake_bot please","entities":[{"type":"mention","offset":7,"length":9}]`),
			with(grp, func(i *chat.Inbound) { i.Text = "😀 ask @fake_bot please"; i.Mentioned = true })},
		{"someone else's mention", msg(tGroup, `"text":"@fake_bot_fan hi","entities":[{"type":"mention","offset":0,"length":13}]`),
			with(grp, func(i *chat.Inbound) { i.Text = "@fake_bot_fan hi" })},
		{"reply to the bot", msg(tGroup, `"text":"1","reply_to_message":{"message_id":5,`+tDate+`,`+tGroup+`,"from":{"id":999,"is_bot":true,"first_name":"Fake","username":"fake_bot"},"text":"q"}`),
			with(grp, func(i *chat.Inbound) { i.Text = "1"; i.ReplyTo = "5"; i.Mentioned = true })},
		{"reply to a person", msg(tGroup, `"text":"yes","reply_to_message":{"message_id":6,`+tDate+`,`+tGroup+`,"from":{"id":43,"first_name":"Rudo"},"text":"q"}`),
			with(grp, func(i *chat.Inbound) { i.Text = "yes"; i.ReplyTo = "6" })},
		{"sticker", msg(tPrivate, `"sticker":{"file_id":"s","file_unique_id":"u","width":1,"height":1,"is_animated":false}`),
			with(priv, func(i *chat.Inbound) { i.NonText = true })},
		{"photo without caption", msg(tPrivate, `"photo":[{"file_id":"p","file_unique_id":"u","width":1,"height":1}]`),
			with(priv, func(i *chat.Inbound) { i.NonText = true })},
		{"voice", msg(tPrivate, `"voice":{"file_id":"v","file_unique_id":"u","duration":3}`),
			with(priv, func(i *chat.Inbound) { i.NonText = true })},
		{"location", msg(tPrivate, `"location":{"latitude":-17.8,"longitude":31.0}`),
			with(priv, func(i *chat.Inbound) { i.NonText = true })},
		{"document", msg(tGroup, `"document":{"file_id":"d","file_unique_id":"u"}`),
			with(grp, func(i *chat.Inbound) { i.NonText = true })},
		{"new members", msg(tGroup, `"new_chat_members":[{"id":43,"first_name":"Rudo"}]`), nil},
		{"title change", msg(tGroup, `"new_chat_title":"Ward 18 carers"`), nil},
		{"pinned", msg(tGroup, `"pinned_message":{"message_id":3,`+tDate+`,`+tGroup+`,"text":"x"}`), nil},
		{"migrated", msg(`"chat":{"id":-55,"type":"group"}`, `"migrate_to_chat_id":-1009999`),
			with(base("-55", chat.Group), func(i *chat.Inbound) { i.Event = chat.EventMigrated; i.MigratedTo = "-1009999" })},
		{"migrated from (new side)", msg(tGroup, `"migrate_from_chat_id":-55`), nil},
		{"edited message", `"edited_message":{"message_id":7,` + tDate + `,` + tPrivate + `,` + tFrom + `,"text":"3","edit_date":1767600100}`, nil},
		{"callback with ref", `"callback_query":{"id":"cbq1",` + tFrom + `,"chat_instance":"x","data":"q7|2","message":{"message_id":501,` + tDate + `,` + tGroup + `,"text":"?"}}`,
			&chat.Inbound{Platform: chat.Telegram, Chat: "-1001234", Kind: chat.Group, Sender: "42", ID: "cbcbq1", Name: "Tendai", LangHint: "sn",
				Text: "2", Ref: "q7", ReplyTo: "501", Mentioned: true}},
		{"callback without ref (long ref did not fit)", `"callback_query":{"id":"cbq2",` + tFrom + `,"chat_instance":"x","data":"4","message":{"message_id":501,` + tDate + `,` + tPrivate + `,"text":"?"}}`,
			&chat.Inbound{Platform: chat.Telegram, Chat: "42", Kind: chat.Private, Sender: "42", ID: "cbcbq2", Name: "Tendai", LangHint: "sn",
				Text: "4", ReplyTo: "501", Mentioned: true}},
		{"callback odd data", `"callback_query":{"id":"cbq3",` + tFrom + `,"chat_instance":"x","data":"lang:sn","message":{"message_id":501,` + tDate + `,` + tPrivate + `}}`, nil},
		{"callback without message", `"callback_query":{"id":"cbq4",` + tFrom + `,"chat_instance":"x","data":"q|1","inline_message_id":"im"}`, nil},
		{"poll answer", `"poll_answer":{"poll_id":"P1","user":{"id":42,"first_name":"Tendai","language_code":"sn"},"option_ids":[1]}`,
			&chat.Inbound{Platform: chat.Telegram, Kind: chat.Group, Sender: "42", ID: "pa9", Name: "Tendai", LangHint: "sn",
				Vote: &chat.Vote{PollID: "P1", Options: []int{1}}}},
		{"poll answer retracted", `"poll_answer":{"poll_id":"P1","user":{"id":42,"first_name":"Tendai"},"option_ids":[]}`,
			&chat.Inbound{Platform: chat.Telegram, Kind: chat.Group, Sender: "42", ID: "pa9", Name: "Tendai",
				Vote: &chat.Vote{PollID: "P1"}}},
		{"bot added to group", `"my_chat_member":{` + tGroup + `,` + tFrom + `,` + tDate + `,"old_chat_member":{"user":{"id":999,"is_bot":true,"first_name":"Fake"},"status":"left"},"new_chat_member":{"user":{"id":999,"is_bot":true,"first_name":"Fake"},"status":"member"}}`,
			&chat.Inbound{Platform: chat.Telegram, Chat: "-1001234", Kind: chat.Group, Sender: "42", ID: "mc9", Time: tTime, Name: "Tendai", LangHint: "sn", Event: chat.EventJoined}},
		{"bot added as admin", `"my_chat_member":{` + tGroup + `,` + tFrom + `,` + tDate + `,"old_chat_member":{"user":{"id":999},"status":"kicked"},"new_chat_member":{"user":{"id":999},"status":"administrator"}}`,
			&chat.Inbound{Platform: chat.Telegram, Chat: "-1001234", Kind: chat.Group, Sender: "42", ID: "mc9", Time: tTime, Name: "Tendai", LangHint: "sn", Event: chat.EventJoined}},
		{"bot removed", `"my_chat_member":{` + tGroup + `,` + tFrom + `,` + tDate + `,"old_chat_member":{"user":{"id":999},"status":"member"},"new_chat_member":{"user":{"id":999},"status":"kicked"}}`,
			&chat.Inbound{Platform: chat.Telegram, Chat: "-1001234", Kind: chat.Group, Sender: "42", ID: "mc9", Time: tTime, Name: "Tendai", LangHint: "sn", Event: chat.EventLeft}},
		{"bot promoted", `"my_chat_member":{` + tGroup + `,` + tFrom + `,` + tDate + `,"old_chat_member":{"user":{"id":999},"status":"member"},"new_chat_member":{"user":{"id":999},"status":"administrator"}}`, nil},
		{"bot blocked in private", `"my_chat_member":{` + tPrivate + `,` + tFrom + `,` + tDate + `,"old_chat_member":{"user":{"id":999},"status":"member"},"new_chat_member":{"user":{"id":999},"status":"kicked"}}`, nil},
		{"channel post", `"channel_post":{"message_id":1,` + tDate + `,"chat":{"id":-100777,"type":"channel"},"text":"news"}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var u tgbotapi.Update
			if err := json.Unmarshal([]byte(`{"update_id":9,`+c.update+`}`), &u); err != nil {
				t.Fatalf("bad fixture: %v", err)
			}
			got, ok := Convert(u, "fake_bot")
			if c.want == nil {
				if ok {
					t.Fatalf("want nothing, got %+v", got)
				}
				return
			}
			if !ok {
				t.Fatalf("dropped; want %+v", *c.want)
			}
			if !reflect.DeepEqual(got.Vote, c.want.Vote) {
				if got.Vote == nil || c.want.Vote == nil || got.Vote.PollID != c.want.Vote.PollID || len(got.Vote.Options)+len(c.want.Vote.Options) != 0 {
					t.Fatalf("vote %+v, want %+v", got.Vote, c.want.Vote)
				}
			}
			got.Vote, c.want.Vote = nil, nil
			if !reflect.DeepEqual(got, *c.want) {
				t.Fatalf("\ngot  %+v\nwant %+v", got, *c.want)
			}
		})
	}
}

func TestCallbackData(t *testing.T) {
	for _, c := range []struct {
		ref string
		n   int
	}{{"q7", 1}, {"intake:sn:12", 10}, {"a|b", 3}, {"", 2}} {
		d := callbackData(c.ref, c.n)
		if len(d) > maxCallbackData {
			t.Errorf("%q: %d bytes", d, len(d))
		}
		ref, n, ok := parseCallbackData(d)
		if !ok || ref != c.ref || n != c.n {
			t.Errorf("round trip %q → %q %d %v", d, ref, n, ok)
		}
	}
	long := strings.Repeat("r", 62) // "r…r|10" would be 65 bytes
	if d := callbackData(long, 10); d != "10" {
		t.Errorf("long ref: %q, want the bare number", d)
	}
	if d := callbackData(strings.Repeat("r", 61), 10); len(d) != 64 || !strings.HasPrefix(d, "rrr") {
		t.Errorf("ref that just fits: %q", d)
	}
	for _, odd := range []string{"", "|", "q|", "q|0", "q|-1", "q|x", "lang:sn", "q|99999", "q|1 "} {
		if ref, n, ok := parseCallbackData(odd); ok {
			t.Errorf("%q parsed as %q %d", odd, ref, n)
		}
	}
	// A stale button from an older question still parses; refusing it is
	// the core's job, which it can only do if the ref comes through.
	if ref, n, ok := parseCallbackData("old-question|2"); !ok || ref != "old-question" || n != 2 {
		t.Errorf("stale: %q %d %v", ref, n, ok)
	}
}
