package store

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"carenet/internal/casework"
	"carenet/internal/chat"
)

func TestMembersAndIdentities(t *testing.T) {
	db := openTest(t, Options{})
	var hre casework.District
	var ann, bob int64
	update(t, db, func(tx *Tx) error {
		var err error
		if hre, err = tx.CreateDistrict("Harare", "HRE"); err != nil {
			return err
		}
		if ann, err = tx.CreateMember(casework.Member{Name: "Ann", Role: casework.CCW, DistrictID: hre.ID, Ward: 12, Lang: "sn"}, t0); err != nil {
			return err
		}
		// No district: stored as NULL, read back as 0.
		if bob, err = tx.CreateMember(casework.Member{Name: "Bob", Role: casework.Admin}, t0); err != nil {
			return err
		}
		// WhatsApp LID and phone number for the same person.
		for _, u := range []chat.UserID{"123@lid", "263771@s.whatsapp.net", "123@lid"} {
			if err := tx.AddIdentity(ann, chat.WhatsApp, u); err != nil {
				return err
			}
		}
		if err := tx.AddIdentity(ann, chat.Telegram, "777"); err != nil {
			return err
		}
		return tx.AddIdentity(bob, chat.Sim, "bob")
	})

	view(t, db, func(tx *Tx) error {
		want := &casework.Member{ID: ann, Name: "Ann", Role: casework.CCW, DistrictID: hre.ID, Ward: 12, Lang: "sn"}
		for _, u := range []chat.UserID{"123@lid", "263771@s.whatsapp.net"} {
			if m, err := tx.MemberByIdentity(chat.WhatsApp, u); err != nil || !reflect.DeepEqual(m, want) {
				t.Errorf("MemberByIdentity(%s) = %+v %v, want %+v", u, m, err, want)
			}
		}
		if m, err := tx.Member(ann); err != nil || !reflect.DeepEqual(m, want) {
			t.Errorf("Member = %+v %v, want %+v", m, err, want)
		}
		if m, err := tx.Member(bob); err != nil || m == nil || m.DistrictID != 0 || m.Ward != 0 {
			t.Errorf("Member(bob) = %+v %v", m, err)
		}
		// Identities are per platform: Telegram's 777 is not a WhatsApp id.
		if m, err := tx.MemberByIdentity(chat.WhatsApp, "777"); m != nil || err != nil {
			t.Errorf("MemberByIdentity(whatsapp, 777) = %+v %v, want nil", m, err)
		}
		if m, err := tx.Member(999); m != nil || err != nil {
			t.Errorf("Member(999) = %+v %v, want nil", m, err)
		}
		ids, err := tx.MemberIdentities(ann, chat.WhatsApp)
		if want := []chat.UserID{"123@lid", "263771@s.whatsapp.net"}; err != nil || !reflect.DeepEqual(ids, want) {
			t.Errorf("MemberIdentities = %v %v, want %v", ids, err, want)
		}
		return nil
	})

	// Another member cannot take Ann's identity.
	err := db.Update(context.Background(), func(tx *Tx) error { return tx.AddIdentity(bob, chat.WhatsApp, "123@lid") })
	if !errors.Is(err, ErrIdentityTaken) {
		t.Errorf("AddIdentity conflict = %v, want ErrIdentityTaken", err)
	}

	update(t, db, func(tx *Tx) error {
		if err := tx.SetMemberLang(ann, "nd"); err != nil {
			return err
		}
		return tx.SetMemberUnreachable(ann, true)
	})
	view(t, db, func(tx *Tx) error {
		if m, _ := tx.Member(ann); m.Lang != "nd" || !m.Unreachable {
			t.Errorf("after updates: %+v", m)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error { return tx.SetMemberUnreachable(ann, false) })
	view(t, db, func(tx *Tx) error {
		if m, _ := tx.Member(ann); m.Unreachable {
			t.Errorf("still unreachable: %+v", m)
		}
		return nil
	})
}

func TestDistricts(t *testing.T) {
	db := openTest(t, Options{})
	var hre casework.District
	update(t, db, func(tx *Tx) error {
		var err error
		hre, err = tx.CreateDistrict("Harare", "HRE")
		return err
	})
	if hre.ID == 0 || hre.Name != "Harare" || hre.Code != "HRE" {
		t.Fatalf("CreateDistrict = %+v", hre)
	}
	view(t, db, func(tx *Tx) error {
		tests := []struct {
			name string
			get  func() (*casework.District, error)
			want *casework.District
		}{
			{"by id", func() (*casework.District, error) { return tx.District(hre.ID) }, &hre},
			{"by name", func() (*casework.District, error) { return tx.DistrictByName("Harare") }, &hre},
			{"by name, other case", func() (*casework.District, error) { return tx.DistrictByName("hARARE") }, &hre},
			{"by code", func() (*casework.District, error) { return tx.DistrictByCode("HRE") }, &hre},
			{"unknown id", func() (*casework.District, error) { return tx.District(hre.ID + 1) }, nil},
			{"unknown name", func() (*casework.District, error) { return tx.DistrictByName("Bulawayo") }, nil},
			{"unknown code", func() (*casework.District, error) { return tx.DistrictByCode("BYO") }, nil},
		}
		for _, tt := range tests {
			got, err := tt.get()
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %+v %v, want %+v", tt.name, got, err, tt.want)
			}
		}
		return nil
	})
}

func TestChats(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	const p = chat.Telegram
	var hre casework.District
	update(t, db, func(tx *Tx) error {
		var err error
		if hre, err = tx.CreateDistrict("Harare", "HRE"); err != nil {
			return err
		}
		return tx.PutChat(p, "-100", chat.Group, "Ward 12 CCWs")
	})
	get := func() *casework.Group {
		t.Helper()
		var g *casework.Group
		view(t, db, func(tx *Tx) error {
			var err error
			g, err = tx.Chat(p, "-100")
			return err
		})
		return g
	}
	if g, want := get(), (&casework.Group{Platform: string(p), ChatID: "-100", Lang: "en", Title: "Ward 12 CCWs", Active: true}); !reflect.DeepEqual(g, want) {
		t.Errorf("new chat = %+v, want %+v", g, want)
	}

	// The "please link me" notice goes out once per chat.
	for i, want := range []bool{true, false, false} {
		var first bool
		update(t, db, func(tx *Tx) error {
			var err error
			first, err = tx.MarkUnlinkedNotified(p, "-100")
			return err
		})
		if first != want {
			t.Errorf("MarkUnlinkedNotified #%d = %v, want %v", i, first, want)
		}
	}

	update(t, db, func(tx *Tx) error {
		if err := tx.LinkChat(p, "-100", hre.ID, 12, t0); err != nil {
			return err
		}
		// A renamed group keeps its link.
		return tx.PutChat(p, "-100", chat.Group, "Ward 12 (new name)")
	})
	if g, want := get(), (&casework.Group{Platform: string(p), ChatID: "-100", Lang: "en", DistrictID: hre.ID, Ward: 12, Title: "Ward 12 (new name)", Linked: true, Active: true}); !reflect.DeepEqual(g, want) {
		t.Errorf("linked chat = %+v, want %+v", g, want)
	}

	update(t, db, func(tx *Tx) error { return tx.SetChatActive(p, "-100", false) })
	if g := get(); g.Active || !g.Linked {
		t.Errorf("after leaving: %+v, want inactive and still linked", g)
	}

	err := db.View(ctx, func(tx *Tx) error {
		if g, err := tx.Chat(p, "unknown"); g != nil || err != nil {
			t.Errorf("Chat(unknown) = %+v %v, want nil", g, err)
		}
		if g, err := tx.Chat(chat.WhatsApp, "-100"); g != nil || err != nil {
			t.Errorf("Chat on other platform = %+v %v, want nil", g, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTxErrors lists every way a Tx write is refused, each in its own
// transaction against the same small data set.
func TestTxErrors(t *testing.T) {
	db := openTest(t, Options{})
	var hre casework.District
	var ann, bob int64
	update(t, db, func(tx *Tx) error {
		var err error
		if hre, err = tx.CreateDistrict("Harare", "HRE"); err != nil {
			return err
		}
		if ann, err = tx.CreateMember(casework.Member{Name: "Ann", Role: casework.CCW, DistrictID: hre.ID}, t0); err != nil {
			return err
		}
		if bob, err = tx.CreateMember(casework.Member{Name: "Bob", Role: casework.CWO, DistrictID: hre.ID}, t0); err != nil {
			return err
		}
		if err := tx.AddIdentity(ann, chat.Sim, "ann"); err != nil {
			return err
		}
		return tx.PutChat(chat.Sim, "g", chat.Group, "G")
	})
	conv := chat.Conversation{Platform: chat.Sim, Chat: "g", User: "nobody"}
	anyErr := errors.New("any error")

	tests := []struct {
		name string
		op   func(tx *Tx) error
		want error // nil: must succeed; anyErr: must fail
	}{
		{"duplicate district name", func(tx *Tx) error { _, err := tx.CreateDistrict("HARARE", "HR2"); return err }, ErrExists},
		{"duplicate district code", func(tx *Tx) error { _, err := tx.CreateDistrict("Harare North", "HRE"); return err }, ErrExists},
		{"new district", func(tx *Tx) error { _, err := tx.CreateDistrict("Bulawayo", "BYO"); return err }, nil},
		{"member in unknown district", func(tx *Tx) error {
			_, err := tx.CreateMember(casework.Member{Name: "X", Role: casework.CCW, DistrictID: 999}, t0)
			return err
		}, anyErr},
		{"identity of another member", func(tx *Tx) error { return tx.AddIdentity(bob, chat.Sim, "ann") }, ErrIdentityTaken},
		{"identity again, same member", func(tx *Tx) error { return tx.AddIdentity(ann, chat.Sim, "ann") }, nil},
		{"same user id, other platform", func(tx *Tx) error { return tx.AddIdentity(bob, chat.Telegram, "ann") }, nil},
		{"identity of unknown member", func(tx *Tx) error { return tx.AddIdentity(999, chat.Sim, "zed") }, anyErr},
		{"lang of unknown member", func(tx *Tx) error { return tx.SetMemberLang(999, "en") }, ErrNotFound},
		{"unreachable unknown member", func(tx *Tx) error { return tx.SetMemberUnreachable(999, true) }, ErrNotFound},
		{"link unknown chat", func(tx *Tx) error { return tx.LinkChat(chat.Sim, "nope", hre.ID, 1, t0) }, ErrNotFound},
		{"link to unknown district", func(tx *Tx) error { return tx.LinkChat(chat.Sim, "g", 999, 1, t0) }, anyErr},
		{"activate unknown chat", func(tx *Tx) error { return tx.SetChatActive(chat.Sim, "nope", true) }, ErrNotFound},
		{"notify unknown chat", func(tx *Tx) error { _, err := tx.MarkUnlinkedNotified(chat.Sim, "nope"); return err }, ErrNotFound},
		{"remind without session", func(tx *Tx) error { return tx.MarkReminded(conv, t0) }, ErrNotFound},
		{"delete missing session", func(tx *Tx) error { return tx.DeleteSession(conv) }, nil},
		{"handle unknown inbox row", func(tx *Tx) error { return tx.MarkHandled(999, t0, "") }, ErrNotFound},
		{"audit without time", func(tx *Tx) error { return tx.Audit(casework.AuditEntry{Action: "x"}) }, anyErr},
		{"audit without action", func(tx *Tx) error { return tx.Audit(casework.AuditEntry{At: t0}) }, anyErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(context.Background(), tt.op)
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.want == anyErr && err == nil:
				t.Error("succeeded, want an error")
			case tt.want != nil && tt.want != anyErr && !errors.Is(err, tt.want):
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestMoveChat: a migrated group keeps its link, also when a message from
// the new id was handled first and left an unlinked row for it.
func TestMoveChat(t *testing.T) {
	db := openTest(t, Options{})
	update(t, db, func(tx *Tx) error {
		d, err := tx.CreateDistrict("Demo", "DEM")
		if err != nil {
			return err
		}
		for _, c := range []chat.ChatID{"-1", "-1001"} {
			if err := tx.PutChat(chat.Telegram, c, chat.Group, ""); err != nil {
				return err
			}
		}
		if err := tx.LinkChat(chat.Telegram, "-1", d.ID, 18, t0); err != nil {
			return err
		}
		if err := tx.MoveChat(chat.Telegram, "-1", "-1001"); err != nil {
			return err
		}
		gs, err := tx.LinkedGroups(d.ID, 18)
		if err != nil {
			return err
		}
		if len(gs) != 1 || gs[0].ChatID != "-1001" {
			t.Errorf("linked groups after the move: %+v", gs)
		}
		if g, err := tx.Chat(chat.Telegram, "-1"); err != nil || g != nil {
			t.Errorf("old id still there: %+v %v", g, err)
		}
		return nil
	})
}
