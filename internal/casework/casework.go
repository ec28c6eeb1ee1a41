// Package casework is the domain leaf of carenet: members and their roles,
// districts and wards, and (as the case issues land) cases, case codes,
// deadlines, permissions and the closure rule. It is pure: no I/O, no
// logging, standard library only, so every rule is testable as a table.
package casework

import (
	"fmt"
	"time"
)

// Role is what a member does in the NCMS.
type Role string

// The NCMS roles carenet knows.
const (
	CCW        Role = "ccw"        // community childcare worker (volunteer)
	LCCW       Role = "lccw"       // lead CCW: supervises 4-5 CCWs of a ward
	CWO        Role = "cwo"        // district child welfare officer
	CMO        Role = "cmo"        // case management officer
	Provincial Role = "provincial" // provincial officer: authorises statutory closures
	Admin      Role = "admin"      // technical administrator
)

// Roles lists every role in a stable order.
var Roles = []Role{CCW, LCCW, CWO, CMO, Provincial, Admin}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q", s)
}

// HasWard reports whether members of the role belong to one ward; district
// staff (cwo, cmo) and provincial officers do not.
func (r Role) HasWard() bool {
	switch r {
	case CCW, LCCW:
		return true
	}
	return false
}

// Languages carenet speaks: English, Shona, isiNdebele (North Ndebele).
var Languages = []string{"en", "sn", "nd"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// District is a district office; Code prefixes its case codes.
type District struct {
	ID   int64
	Name string
	Code string
}

// Member is a registered person. Ward is 0 for roles without a ward.
type Member struct {
	ID         int64
	Name       string
	Role       Role
	DistrictID int64
	Ward       int
	Lang       string
	// Unreachable is set when a platform reported that the member blocked
	// the bot; sending to them stops until they write again.
	Unreachable bool
}

// Group is a group chat linked to a district and ward with /setup. The bot
// posts to linked, active groups only.
type Group struct {
	Platform   string
	ChatID     string
	Lang       string // language of the group's notices
	DistrictID int64
	Ward       int
	Title      string
	Linked     bool
	Active     bool
}

// AuditEntry records one change: who did what to which case, when, and
// through which chat. Detail is short and never holds a child's identity.
type AuditEntry struct {
	At       time.Time
	MemberID int64  // 0 for the system (scheduler)
	Action   string // e.g. "case.open", "member.lang"
	CaseID   int64  // 0 when no case is involved
	Chat     string // "platform:chat"
	Detail   string
}
