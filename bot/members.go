package bot

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// Members join with invite codes, groups are linked with /setup, and the
// chat events adapters report (joined, left, migrated) keep the links
// right. Everything here runs inside the message's transaction.

// findMember finds the sender by either of their platform ids (WhatsApp
// gives a LID and a phone number) and remembers an id not seen before, so
// the member is the same member either way.
func (t *turn) findMember() (*casework.Member, error) {
	in := t.in
	m, err := t.tx.MemberByIdentity(in.Platform, in.Sender)
	if err != nil || in.SenderAlt == "" {
		return m, err
	}
	alt, err := t.tx.MemberByIdentity(in.Platform, in.SenderAlt)
	if err != nil {
		return nil, err
	}
	switch {
	case m == nil && alt != nil:
		return alt, t.tx.AddIdentity(alt.ID, in.Platform, in.Sender)
	case m != nil && alt == nil:
		return m, t.tx.AddIdentity(m.ID, in.Platform, in.SenderAlt)
	}
	return m, nil
}

// redeem registers the sender with an invite code (/join CODE or /start
// CODE, private only). A used, expired or unknown code changes nothing.
func (t *turn) redeem(arg string) error {
	// Before registration the language is unknown: the refusals are in
	// the three languages.
	en := t.b.bundle.Localizer("en")
	code := casework.NormalizeInviteCode(arg)
	var inv *casework.Invite
	if code != "" {
		var err error
		if inv, err = t.tx.Invite(code); err != nil {
			return err
		}
	}
	switch {
	case inv == nil:
		t.reply(en.T("invite_unknown", nil))
		return nil
	case inv.UsedBy != 0:
		t.reply(en.T("invite_used", nil))
		return nil
	case !t.now.Before(inv.Expires):
		t.reply(en.T("invite_expired", nil))
		return nil
	}
	lang := inv.Lang
	if lang == "" {
		lang = "en"
		if hint := strings.ToLower(t.in.LangHint); casework.ValidLanguage(hint) {
			lang = hint
		}
	}
	name := strings.TrimSpace(t.in.Name)
	if name == "" {
		name = string(t.in.Sender)
	}
	m := casework.Member{Name: name, Role: inv.Role, DistrictID: inv.DistrictID, Ward: inv.Ward, Lang: lang}
	id, err := t.tx.CreateMember(m, t.now)
	if err != nil {
		return err
	}
	m.ID = id
	for _, u := range []chat.UserID{t.in.Sender, t.in.SenderAlt} {
		if u != "" {
			if err := t.tx.AddIdentity(id, t.in.Platform, u); err != nil {
				return err
			}
		}
	}
	if err := t.tx.UseInvite(code, id, t.now); err != nil {
		return err
	}
	t.member = &m
	if err := t.tx.Audit(casework.AuditEntry{At: t.now, MemberID: id, Action: "member.join", Chat: t.chatRef(),
		Detail: string(inv.Role) + " by invite"}); err != nil {
		return err
	}
	d, err := t.tx.District(inv.DistrictID)
	if err != nil || d == nil {
		return fmt.Errorf("district %d: %v", inv.DistrictID, err)
	}
	loc := t.loc()
	t.reply(loc.T("welcome", map[string]any{"Name": name, "Role": loc.T("role_"+string(inv.Role), nil),
		"District": d.Name, "Ward": inv.Ward}))
	if inv.Lang == "" {
		if f, ok := t.b.engine.Flow("lang"); ok {
			return t.startFlow(f, map[string]string{})
		}
	}
	return nil
}

// invite answers /invite ROLE with a one-time code, privately: a CWO
// invites any role of the district but provincial and admin, an LCCW
// invites CCWs of their own ward.
func (t *turn) invite(arg string) error {
	loc := t.loc()
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		t.privately(loc.T("invite_usage", nil))
		return nil
	}
	role, err := casework.ParseRole(strings.ToLower(fields[0]))
	if err != nil {
		t.privately(loc.T("invite_usage", nil))
		return nil
	}
	ward := 0
	if role.HasWard() {
		ward = t.member.Ward
		if len(fields) > 1 {
			if ward, err = strconv.Atoi(fields[1]); err != nil || ward < 1 || ward > 99 {
				t.privately(loc.T("setup_bad_ward", nil))
				return nil
			}
		}
	}
	if !casework.CanInvite(*t.member, role, t.member.DistrictID, ward) {
		t.privately(loc.T("no_permission", nil))
		return nil
	}
	code, err := casework.NewInviteCode(t.b.random)
	if err != nil {
		return err
	}
	inv := casework.Invite{Code: code, Role: role, DistrictID: t.member.DistrictID, Ward: ward,
		CreatedBy: t.member.ID, Created: t.now, Expires: t.now.Add(casework.InviteValidity)}
	if err := t.tx.CreateInvite(inv); err != nil {
		return err
	}
	if err := t.tx.Audit(casework.AuditEntry{At: t.now, MemberID: t.member.ID, Action: "member.invite", Chat: t.chatRef(),
		Detail: string(role)}); err != nil {
		return err
	}
	t.privately(loc.T("invite_created", map[string]any{"Code": code, "Role": loc.T("role_"+string(role), nil),
		"Days": int(casework.InviteValidity / (24 * time.Hour))}))
	return nil
}

// setup links the group to the sender's district and a ward: a CWO (or
// CMO) names any ward or none (the whole district), an LCCW their own.
func (t *turn) setup(arg string) error {
	loc := t.loc()
	if t.private() {
		t.reply(loc.T("setup_in_group", nil))
		return nil
	}
	m := t.member
	ward := 0
	if arg != "" {
		w, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil || w < 1 || w > 99 {
			t.privately(loc.T("setup_bad_ward", nil))
			return nil
		}
		ward = w
	}
	switch m.Role {
	case casework.CWO, casework.CMO:
	case casework.LCCW:
		if ward != 0 && ward != m.Ward {
			t.privately(loc.T("setup_own_ward", map[string]any{"Ward": m.Ward}))
			return nil
		}
		ward = m.Ward
	default:
		t.privately(loc.T("no_permission", nil))
		return nil
	}
	if err := t.knowGroup(); err != nil {
		return err
	}
	if err := t.tx.LinkChat(t.in.Platform, t.in.Chat, m.DistrictID, ward, t.now); err != nil {
		return err
	}
	if err := t.tx.SetChatActive(t.in.Platform, t.in.Chat, true); err != nil {
		return err
	}
	// The group's lines go out in the language of whoever linked it.
	if err := t.tx.SetChatLang(t.in.Platform, t.in.Chat, m.Lang); err != nil {
		return err
	}
	if err := t.tx.Audit(casework.AuditEntry{At: t.now, MemberID: m.ID, Action: "group.link", Chat: t.chatRef(),
		Detail: "ward " + strconv.Itoa(ward)}); err != nil {
		return err
	}
	d, err := t.tx.District(m.DistrictID)
	if err != nil || d == nil {
		return fmt.Errorf("district %d: %v", m.DistrictID, err)
	}
	t.reply(loc.T("setup_done", map[string]any{"District": d.Name, "Ward": ward}))
	return nil
}

// knowGroup records the group the message came from, if it is new.
func (t *turn) knowGroup() error {
	g, err := t.tx.Chat(t.in.Platform, t.in.Chat)
	if err != nil || g != nil {
		return err
	}
	return t.tx.PutChat(t.in.Platform, t.in.Chat, chat.Group, "")
}

// unlinkedNotice posts, once per group, the line asking for /setup. A
// group is recorded the first time a registered member writes in it (an
// unregistered sender leaves no trace but the dedupe key).
func (t *turn) unlinkedNotice() error {
	g, err := t.tx.Chat(t.in.Platform, t.in.Chat)
	if err != nil || g != nil && g.Linked {
		return err
	}
	if g == nil {
		if err := t.tx.PutChat(t.in.Platform, t.in.Chat, chat.Group, ""); err != nil {
			return err
		}
	}
	first, err := t.tx.MarkUnlinkedNotified(t.in.Platform, t.in.Chat)
	if err != nil || !first {
		return err
	}
	t.reply(t.loc().T("group_unlinked", nil))
	return nil
}

// chatEvent handles the bot joining, leaving or a group changing id.
func (t *turn) chatEvent() error {
	in := t.in
	p, c := in.Platform, in.Chat
	g, err := t.tx.Chat(p, c)
	if err != nil {
		return err
	}
	switch in.Event {
	case chat.EventJoined:
		if g == nil {
			if err := t.tx.PutChat(p, c, chat.Group, ""); err != nil {
				return err
			}
		}
		if err := t.tx.SetChatActive(p, c, true); err != nil {
			return err
		}
		if g != nil && g.Linked {
			return nil
		}
		if _, err := t.tx.MarkUnlinkedNotified(p, c); err != nil {
			return err
		}
		// Nobody's language is known yet: the line is in all three.
		t.reply(t.b.bundle.Localizer("en").T("joined_group", nil))
	case chat.EventLeft:
		if g != nil {
			return t.tx.SetChatActive(p, c, false)
		}
	case chat.EventMigrated:
		if g != nil && in.MigratedTo != "" {
			if err := t.tx.MoveChat(p, c, in.MigratedTo); err != nil {
				return err
			}
			return t.tx.Audit(casework.AuditEntry{At: t.now, Action: "group.migrate", Chat: t.chatRef(), Detail: string(in.MigratedTo)})
		}
	}
	return nil
}

// caseCodeRe finds what may be a case code in group chatter: letters, an
// optional dash or space, then digits. ParseCode decides.
var caseCodeRe = regexp.MustCompile(`\b[A-Za-z]{2,5}[- ]?[0-9]{4,8}\b`)

// noteReaction marks a group message stored as a case note, where the
// platform has reactions; the group gets no text.
const noteReaction = "👍"

// groupNote stores a registered member's group message as a note on each
// case it names that they may update. Nothing is said in the group.
func (t *turn) groupNote() error {
	text := strings.TrimSpace(t.in.Text)
	stored := false
	seen := map[string]bool{}
	for _, cand := range caseCodeRe.FindAllString(text, 5) {
		code, err := casework.ParseCode(cand)
		if err != nil || seen[code] {
			continue
		}
		seen[code] = true
		c, err := t.tx.CaseByCode(code)
		if err != nil {
			return err
		}
		if c == nil || !casework.Can(*t.member, casework.Update, c.Scope()) {
			continue
		}
		data, err := t.noteData(c, text)
		if err != nil {
			return err
		}
		if err := t.record(c, "note", data); err != nil {
			return err
		}
		stored = true
	}
	if stored {
		t.out = append(t.out, chat.Outbound{Platform: t.in.Platform, Chat: t.in.Chat, Text: noteReaction,
			ReactTo: t.in.ID, ReactToSender: t.in.Sender})
	}
	return nil
}

// noteData seals a note's text when a data key is set: group chatter may
// name a child even though it should not.
func (t *turn) noteData(c *casework.Case, text string) (map[string]string, error) {
	if !t.b.sealer.HasKey() {
		return map[string]string{"text": text}, nil
	}
	sealed, err := t.b.sealer.Seal([]byte(text), []byte(c.Code))
	if err != nil {
		return nil, err
	}
	return map[string]string{"sealed": base64.StdEncoding.EncodeToString(sealed)}, nil
}

// markUnreachable records that a member's private chat refused a message
// (they blocked the bot) and tells their ward's LCCW.
func (b *Bot) markUnreachable(tx Tx, p chat.Platform, c chat.ChatID, now time.Time) error {
	m, err := tx.MemberByIdentity(p, chat.UserID(c))
	if err != nil || m == nil || m.Unreachable {
		return err
	}
	if err := tx.SetMemberUnreachable(m.ID, true); err != nil {
		return err
	}
	if err := tx.Audit(casework.AuditEntry{At: now, MemberID: m.ID, Action: "member.unreachable", Detail: string(p)}); err != nil {
		return err
	}
	if !m.Role.HasWard() {
		return nil
	}
	leads, err := tx.MembersByRole(m.DistrictID, m.Ward, casework.LCCW)
	if err != nil {
		return err
	}
	for _, l := range leads {
		if l.ID == m.ID {
			continue
		}
		if err := b.tellMember(tx, l, "", []flows.Output{{Msg: "member_unreachable", Data: map[string]any{"Name": m.Name, "Platform": platformName(p)}}}, now); err != nil {
			return err
		}
	}
	return nil
}

func platformName(p chat.Platform) string {
	switch p {
	case chat.WhatsApp:
		return "WhatsApp"
	case chat.Telegram:
		return "Telegram"
	}
	return string(p)
}
