package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"carenet/internal/casework"
	"carenet/internal/chat"
)

const memberCols = `m.id, m.name, m.role, COALESCE(m.district_id, 0), m.ward, m.lang, m.unreachable`

func scanMember(row *sql.Row) (*casework.Member, error) {
	var m casework.Member
	err := row.Scan(&m.ID, &m.Name, &m.Role, &m.DistrictID, &m.Ward, &m.Lang, &m.Unreachable)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// MemberByIdentity returns the member who uses u on platform p; nil if
// no one does.
func (tx *Tx) MemberByIdentity(p chat.Platform, u chat.UserID) (*casework.Member, error) {
	m, err := scanMember(tx.queryRow(`SELECT `+memberCols+`
		FROM member_identities i JOIN members m ON m.id = i.member_id
		WHERE i.platform = ? AND i.user_id = ?`, p, u))
	if err != nil {
		return nil, fmt.Errorf("store: member by identity %s/%s: %w", p, u, err)
	}
	return m, nil
}

// Member returns the member with the id; nil if there is none.
func (tx *Tx) Member(id int64) (*casework.Member, error) {
	m, err := scanMember(tx.queryRow(`SELECT `+memberCols+` FROM members m WHERE m.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("store: member %d: %w", id, err)
	}
	return m, nil
}

// MemberIdentities lists the member's user ids on platform p, sorted.
func (tx *Tx) MemberIdentities(id int64, p chat.Platform) ([]chat.UserID, error) {
	rows, err := tx.query(`SELECT user_id FROM member_identities
		WHERE member_id = ? AND platform = ? ORDER BY user_id`, id, p)
	if err != nil {
		return nil, fmt.Errorf("store: identities of %d: %w", id, err)
	}
	defer rows.Close()
	var ids []chat.UserID
	for rows.Next() {
		var u chat.UserID
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("store: identities of %d: %w", id, err)
		}
		ids = append(ids, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: identities of %d: %w", id, err)
	}
	return ids, nil
}

// CreateMember stores a new member (m.ID is ignored) and returns its id.
func (tx *Tx) CreateMember(m casework.Member, now time.Time) (int64, error) {
	var id int64
	err := tx.queryRow(`INSERT INTO members(name, role, district_id, ward, lang, unreachable, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Name, m.Role, nullID(m.DistrictID), m.Ward, m.Lang, boolInt(m.Unreachable), ms(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: create member: %w", err)
	}
	return id, nil
}

// AddIdentity links platform identity u to the member. Adding it again to
// the same member is a no-op; if another member holds it the result is
// ErrIdentityTaken, because silently moving it would let one phone act as
// two people.
func (tx *Tx) AddIdentity(memberID int64, p chat.Platform, u chat.UserID) error {
	if _, err := tx.exec(`INSERT INTO member_identities(platform, user_id, member_id) VALUES (?, ?, ?)
		ON CONFLICT (platform, user_id) DO NOTHING`, p, u, memberID); err != nil {
		return fmt.Errorf("store: add identity %s/%s to %d: %w", p, u, memberID, err)
	}
	var owner int64
	if err := tx.queryRow(`SELECT member_id FROM member_identities WHERE platform = ? AND user_id = ?`, p, u).Scan(&owner); err != nil {
		return fmt.Errorf("store: add identity %s/%s to %d: %w", p, u, memberID, err)
	}
	if owner != memberID {
		return fmt.Errorf("store: add identity %s/%s to %d: %w (%d)", p, u, memberID, ErrIdentityTaken, owner)
	}
	return nil
}

// SetMemberLang sets the member's language.
func (tx *Tx) SetMemberLang(id int64, lang string) error {
	if err := tx.execOne(`UPDATE members SET lang = ? WHERE id = ?`, lang, id); err != nil {
		return fmt.Errorf("store: set lang of %d: %w", id, err)
	}
	return nil
}

// SetMemberUnreachable records whether the member blocked the bot.
func (tx *Tx) SetMemberUnreachable(id int64, v bool) error {
	if err := tx.execOne(`UPDATE members SET unreachable = ? WHERE id = ?`, boolInt(v), id); err != nil {
		return fmt.Errorf("store: set unreachable of %d: %w", id, err)
	}
	return nil
}

// CreateDistrict stores a district. A name (compared without case) or code
// already in use gives ErrExists.
func (tx *Tx) CreateDistrict(name, code string) (casework.District, error) {
	d := casework.District{Name: name, Code: code}
	err := tx.queryRow(`INSERT INTO districts(name, code) VALUES (?, ?) RETURNING id`, name, code).Scan(&d.ID)
	if isUnique(err) {
		err = ErrExists
	}
	if err != nil {
		return casework.District{}, fmt.Errorf("store: create district %q (%s): %w", name, code, err)
	}
	return d, nil
}

func (tx *Tx) district(what, where string, arg any) (*casework.District, error) {
	var d casework.District
	err := tx.queryRow(`SELECT id, name, code FROM districts WHERE `+where+` = ?`, arg).Scan(&d.ID, &d.Name, &d.Code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: district %s %v: %w", what, arg, err)
	}
	return &d, nil
}

// DistrictByName finds a district by name, ignoring case; nil if none.
func (tx *Tx) DistrictByName(name string) (*casework.District, error) {
	return tx.district("name", "name", name)
}

// DistrictByCode finds a district by its case-code prefix; nil if none.
func (tx *Tx) DistrictByCode(code string) (*casework.District, error) {
	return tx.district("code", "code", code)
}

// District returns the district with the id; nil if none.
func (tx *Tx) District(id int64) (*casework.District, error) {
	return tx.district("id", "id", id)
}

// Chat returns what carenet knows of a chat; nil if it never saw it.
func (tx *Tx) Chat(p chat.Platform, c chat.ChatID) (*casework.Group, error) {
	var g casework.Group
	err := tx.queryRow(`SELECT `+groupCols+` FROM chats
		WHERE platform = ? AND chat_id = ?`, p, c).Scan(groupDest(&g)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: chat %s/%s: %w", p, c, err)
	}
	return &g, nil
}

// PutChat records a chat the bot is in, or refreshes its kind and title; a
// link made with LinkChat is kept.
func (tx *Tx) PutChat(p chat.Platform, c chat.ChatID, kind chat.Kind, title string) error {
	_, err := tx.exec(`INSERT INTO chats(platform, chat_id, kind, title) VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, chat_id) DO UPDATE SET kind = excluded.kind, title = excluded.title`,
		p, c, kind, title)
	if err != nil {
		return fmt.Errorf("store: put chat %s/%s: %w", p, c, err)
	}
	return nil
}

// LinkChat links a known chat (see PutChat) to a district and ward. The
// "not linked yet" notice may be sent again if it is ever unlinked.
func (tx *Tx) LinkChat(p chat.Platform, c chat.ChatID, districtID int64, ward int, now time.Time) error {
	err := tx.execOne(`UPDATE chats SET district_id = ?, ward = ?, linked = 1, linked_at = ?, notified_unlinked = 0
		WHERE platform = ? AND chat_id = ?`, districtID, ward, ms(now), p, c)
	if err != nil {
		return fmt.Errorf("store: link chat %s/%s: %w", p, c, err)
	}
	return nil
}

// MoveChat follows a group to its new id (a Telegram group upgraded to a
// supergroup): its link, language and notice state go with it.
//
// Messages from the new group may have been handled first (conversations
// run concurrently), leaving an unlinked row for it: that row gives way. A
// new group already linked by /setup keeps its own link.
func (tx *Tx) MoveChat(p chat.Platform, from, to chat.ChatID) error {
	if _, err := tx.exec(`DELETE FROM chats WHERE platform = ? AND chat_id = ? AND linked = 0`, p, to); err != nil {
		return fmt.Errorf("store: move chat %s/%s: %w", p, from, err)
	}
	g, err := tx.Chat(p, to)
	if err != nil {
		return err
	}
	if g != nil {
		return tx.SetChatActive(p, from, false)
	}
	if err := tx.execOne(`UPDATE chats SET chat_id = ? WHERE platform = ? AND chat_id = ?`, to, p, from); err != nil {
		return fmt.Errorf("store: move chat %s/%s: %w", p, from, err)
	}
	return nil
}

// SetChatActive records whether the bot is still in the chat.
func (tx *Tx) SetChatActive(p chat.Platform, c chat.ChatID, active bool) error {
	if err := tx.execOne(`UPDATE chats SET active = ? WHERE platform = ? AND chat_id = ?`, boolInt(active), p, c); err != nil {
		return fmt.Errorf("store: set chat active %s/%s: %w", p, c, err)
	}
	return nil
}

// MarkUnlinkedNotified reports true only the first time it is called for a
// chat, so the "please run /setup" notice is posted once, not on every
// message.
func (tx *Tx) MarkUnlinkedNotified(p chat.Platform, c chat.ChatID) (first bool, err error) {
	res, err := tx.exec(`UPDATE chats SET notified_unlinked = 1
		WHERE platform = ? AND chat_id = ? AND notified_unlinked = 0`, p, c)
	if err != nil {
		return false, fmt.Errorf("store: mark unlinked notified %s/%s: %w", p, c, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: mark unlinked notified %s/%s: %w", p, c, err)
	}
	if n == 1 {
		return true, nil
	}
	g, err := tx.Chat(p, c)
	if err != nil {
		return false, err
	}
	if g == nil {
		return false, fmt.Errorf("store: mark unlinked notified %s/%s: %w", p, c, ErrNotFound)
	}
	return false, nil
}

const groupCols = `platform, chat_id, lang, COALESCE(district_id, 0), ward, title, linked, active`

func groupDest(g *casework.Group) []any {
	return []any{&g.Platform, &g.ChatID, &g.Lang, &g.DistrictID, &g.Ward, &g.Title, &g.Linked, &g.Active}
}

// LinkedGroups lists the active groups linked to a district's ward, where
// its one-line notices go.
func (tx *Tx) LinkedGroups(districtID int64, ward int) ([]casework.Group, error) {
	rows, err := tx.query(`SELECT `+groupCols+` FROM chats
		WHERE linked = 1 AND active = 1 AND district_id = ? AND ward = ? ORDER BY platform, chat_id`, districtID, ward)
	if err != nil {
		return nil, fmt.Errorf("store: linked groups: %w", err)
	}
	defer rows.Close()
	var gs []casework.Group
	for rows.Next() {
		var g casework.Group
		if err := rows.Scan(groupDest(&g)...); err != nil {
			return nil, fmt.Errorf("store: linked groups: %w", err)
		}
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// SetChatLang sets the language of a group's notices.
func (tx *Tx) SetChatLang(p chat.Platform, c chat.ChatID, lang string) error {
	return tx.execOne(`UPDATE chats SET lang = ? WHERE platform = ? AND chat_id = ?`, lang, p, c)
}
