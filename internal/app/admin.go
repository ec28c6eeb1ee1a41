package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"carenet/internal/casework"
	"carenet/internal/config"
	"carenet/store"
)

// The administrator's commands: `carenet invite` registers the first
// members of a district (and creates the district), `carenet audit` prints
// a case's history. Both work on the configured database directly.

var districtCodeRe = regexp.MustCompile(`^[A-Za-z]{2,5}$`)

func (s stdio) invite(ctx context.Context, args []string) error {
	fs := s.flagSet("invite")
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	roleName := fs.String("role", "", "role: "+rolesList())
	districtName := fs.String("district", "", "district name (created on first use)")
	districtCode := fs.String("district-code", "", "code of a new district (2-5 letters; default: the first three letters of its name)")
	ward := fs.Int("ward", 0, "ward number, for ccw and lccw")
	lang := fs.String("lang", "", "the member's language: en, sn or nd (empty: asked when they join)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("invite: unexpected argument %q", fs.Arg(0))}
	}
	role, err := casework.ParseRole(strings.ToLower(*roleName))
	if err != nil {
		return usageError{fmt.Errorf("invite: --role must be one of %s", rolesList())}
	}
	name := strings.TrimSpace(*districtName)
	if name == "" {
		return usageError{errors.New("invite: --district is required")}
	}
	switch {
	case role.HasWard() && (*ward < 1 || *ward > 99):
		return usageError{fmt.Errorf("invite: a %s needs --ward 1..99", role)}
	case !role.HasWard() && *ward != 0:
		return usageError{fmt.Errorf("invite: a %s has no ward; leave out --ward", role)}
	case *lang != "" && !casework.ValidLanguage(*lang):
		return usageError{errors.New("invite: --lang must be en, sn or nd")}
	case *districtCode != "" && !districtCodeRe.MatchString(*districtCode):
		return usageError{errors.New("invite: --district-code must be 2 to 5 letters")}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	var inv casework.Invite
	var d casework.District
	err = db.Update(ctx, func(tx *store.Tx) error {
		found, err := tx.DistrictByName(name)
		if err != nil {
			return err
		}
		if found != nil {
			d = *found
			if *districtCode != "" && !strings.EqualFold(*districtCode, d.Code) {
				return fmt.Errorf("district %s exists with code %s, not %s", d.Name, d.Code, strings.ToUpper(*districtCode))
			}
		} else {
			code := strings.ToUpper(*districtCode)
			if code == "" {
				if code, err = casework.DistrictCode(name); err != nil {
					return fmt.Errorf("%w; give --district-code", err)
				}
			}
			if d, err = tx.CreateDistrict(name, code); err != nil {
				if errors.Is(err, store.ErrExists) {
					return fmt.Errorf("district code %s is taken by another district; give --district-code", code)
				}
				return err
			}
			fmt.Fprintf(s.out, "created district %s (code %s)\n", d.Name, d.Code)
		}
		code, err := casework.NewInviteCode(rand.Reader)
		if err != nil {
			return err
		}
		inv = casework.Invite{Code: code, Role: role, DistrictID: d.ID, Ward: *ward, Lang: *lang,
			Created: now, Expires: now.Add(casework.InviteValidity)}
		if err := tx.CreateInvite(inv); err != nil {
			return err
		}
		return tx.Audit(casework.AuditEntry{At: now, Action: "member.invite", Chat: "cli", Detail: string(role) + " " + d.Code})
	})
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	where := d.Name
	if *ward != 0 {
		where += fmt.Sprintf(", ward %d", *ward)
	}
	fmt.Fprintf(s.out, "one-time invite for a %s in %s, valid until %s; they send /join CODE to the bot in a private chat:\n",
		role, where, inv.Expires.Format("2 Jan 2006 15:04"))
	fmt.Fprintln(s.out, inv.Code)
	return nil
}

func rolesList() string {
	names := make([]string, len(casework.Roles))
	for i, r := range casework.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// audit prints a case's audit log, oldest first.
func (s stdio) audit(ctx context.Context, args []string) error {
	// The code may come before or after the flags.
	var code string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		code, args = args[0], args[1:]
	}
	fs := s.flagSet("audit")
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if code == "" && fs.NArg() == 1 {
		code = fs.Arg(0)
	} else if fs.NArg() > 0 || code == "" {
		return usageError{errors.New("usage: carenet audit CODE [--config FILE]")}
	}
	parsed, err := casework.ParseCode(code)
	if err != nil {
		return fmt.Errorf("audit: %q: %w", code, err)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByCode(parsed)
		if err != nil {
			return err
		}
		if c == nil {
			return fmt.Errorf("audit: no case %s", parsed)
		}
		entries, err := tx.AuditLog(c.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%s (%s, %s), opened %s\n", c.Code, c.Kind, c.Status, c.Opened.In(loc).Format("2006-01-02 15:04"))
		names := map[int64]string{0: "carenet"}
		for _, e := range entries {
			if _, ok := names[e.MemberID]; !ok {
				m, err := tx.Member(e.MemberID)
				if err != nil {
					return err
				}
				names[e.MemberID] = fmt.Sprintf("member %d", e.MemberID)
				if m != nil {
					names[e.MemberID] = fmt.Sprintf("%s (%s)", m.Name, m.Role)
				}
			}
			line := fmt.Sprintf("%s  %-22s %s", e.At.In(loc).Format("2006-01-02 15:04"), e.Action, names[e.MemberID])
			if e.Chat != "" {
				line += "  in " + e.Chat
			}
			if e.Detail != "" {
				line += "  " + e.Detail
			}
			fmt.Fprintln(s.out, line)
		}
		return nil
	})
}

// openStore opens the configured database for an administrative command.
func openStore(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{Path: cfg.Store.Path, Synchronous: cfg.Store.Synchronous,
		BusyTimeout: cfg.Store.BusyTimeout.Duration()})
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", cfg.Store.Path, err)
	}
	return db, nil
}
