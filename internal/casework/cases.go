package casework

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Kind tells welfare matters, handled locally, from protection cases, which
// "go up a level" to the CWO (DOMAIN.md §1.2).
type Kind string

// Case kinds.
const (
	Welfare    Kind = "welfare"
	Protection Kind = "protection"
)

// Status is where a case stands in its lifecycle.
type Status string

// Case statuses.
const (
	StatusOpen               Status = "open"
	StatusClosureVote        Status = "closure_vote"
	StatusAwaitingCWO        Status = "awaiting_cwo"
	StatusAwaitingProvincial Status = "awaiting_provincial"
	StatusClosed             Status = "closed"
)

// Case is one child's case as carenet keeps it. It holds no name (that is
// sealed separately) and nothing a group may not see except Code and Kind.
type Case struct {
	ID         int64
	Code       string
	DistrictID int64
	Ward       int
	CCWID      int64
	Kind       Kind
	// Statutory marks abuse or neglect: closing it needs provincial
	// authorisation after the CWO.
	Statutory bool
	Status    Status
	Opened    time.Time
	// Concerns are the intake categories (values of intake.yaml).
	Concerns []string
	// Intake holds the other intake answers: identified, source, age,
	// sex, danger, consent.
	Intake map[string]string
}

// Scope returns what the permission table needs of the case.
func (c Case) Scope() CaseScope {
	return CaseScope{DistrictID: c.DistrictID, Ward: c.Ward, CCWID: c.CCWID, Protection: c.Kind == Protection}
}

// protectionConcerns make a case a protection case (DOMAIN.md §1.2):
// abuse, neglect, sexual violence and child marriage.
var protectionConcerns = []string{"sexual_abuse", "physical_abuse", "emotional_abuse", "neglect", "child_marriage"}

// statutoryConcerns are the abuse and neglect categories whose closure
// needs provincial authorisation (DOMAIN.md §1.3).
var statutoryConcerns = []string{"sexual_abuse", "physical_abuse", "emotional_abuse", "neglect"}

// Classify derives welfare or protection from the intake: any protection
// concern, or immediate danger, makes it protection.
func Classify(concerns []string, danger bool) (kind Kind, statutory bool) {
	kind = Welfare
	for _, c := range concerns {
		if slices.Contains(protectionConcerns, c) {
			kind = Protection
		}
		if slices.Contains(statutoryConcerns, c) {
			statutory = true
		}
	}
	if danger {
		kind = Protection
	}
	return kind, statutory
}

// SplitList reads a multi-choice answer ("a,b,c").
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Time rules of the NCMS (DOMAIN.md §1.3).
const (
	InitialAssessmentDue = 48 * time.Hour
	FullAssessmentDue    = 7 * 24 * time.Hour
	// ReferralFollowUp is when a referral is followed up, and again after
	// feedback that does not complete it.
	ReferralFollowUp = 14 * 24 * time.Hour
	// ReviewMax is the longest gap between formal reviews: six months.
	ReviewMaxDays = 183
	// Overdue items go to the ward's LCCW a day after the due time, to the
	// CWO two days after.
	EscalateToLCCW = 24 * time.Hour
	EscalateToCWO  = 48 * time.Hour
)

// DeadlineKind names what falls due.
type DeadlineKind string

// Deadline kinds, each from a time rule of DOMAIN.md §1.3.
const (
	DueInitialAssessment DeadlineKind = "initial_assessment"
	DueFullAssessment    DeadlineKind = "full_assessment"
	DueReview            DeadlineKind = "review"
	DueReferral          DeadlineKind = "referral_followup"
	DueAction            DeadlineKind = "plan_action"
	DueVisit             DeadlineKind = "visit"
	// DueTurns18 is the month the child turns 18: the case is proposed
	// for closure (criterion 2) rather than reminded up the ladder.
	DueTurns18 DeadlineKind = "turns_18"
	// DueConference is a case conference asked for in a closure vote.
	DueConference DeadlineKind = "conference"
)

// Deadline is a dated duty on a case. Reminded, ToLCCW and ToCWO record
// the escalation ladder: the CCW first, a day later the LCCW, two days
// later the CWO.
type Deadline struct {
	ID       int64
	CaseID   int64
	Kind     DeadlineKind
	Due      time.Time
	Done     time.Time
	Reminded time.Time
	ToLCCW   time.Time
	ToCWO    time.Time
}

// Escalation is the next step a due deadline needs at now: "" for none,
// else "remind", "lccw" or "cwo".
func (d Deadline) Escalation(now time.Time) string {
	switch {
	case !d.Done.IsZero() || now.Before(d.Due):
		return ""
	case d.Reminded.IsZero():
		return "remind"
	case d.ToLCCW.IsZero() && !now.Before(d.Due.Add(EscalateToLCCW)):
		return "lccw"
	case d.ToCWO.IsZero() && !now.Before(d.Due.Add(EscalateToCWO)):
		return "cwo"
	}
	return ""
}

// Invite is a one-time registration code.
type Invite struct {
	Code       string
	Role       Role
	DistrictID int64
	Ward       int
	Lang       string
	CreatedBy  int64
	Created    time.Time
	Expires    time.Time
	UsedBy     int64
}

// InviteValidity is how long an invite code can be redeemed.
const InviteValidity = 7 * 24 * time.Hour

// Record is one dated entry on a case: an assessment, a plan action, a
// visit, a referral, a review or a note.
type Record struct {
	ID       int64
	CaseID   int64
	Kind     string
	MemberID int64
	At       time.Time
	Data     map[string]string
	Chat     string
}

// inviteAlphabet leaves out letters and digits that are easy to confuse
// when a code is read aloud or typed on a phone (0/O, 1/I/L, 5/S, 2/Z, 8/B).
const inviteAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

// NewInviteCode makes an 8-character invite code from random bytes,
// written "XXXX-XXXX".
func NewInviteCode(random io.Reader) (string, error) {
	var b [8]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("invite code: %w", err)
	}
	code := make([]byte, 0, 9)
	for i, x := range b {
		if i == 4 {
			code = append(code, '-')
		}
		code = append(code, inviteAlphabet[int(x)%len(inviteAlphabet)])
	}
	return string(code), nil
}

// NormalizeInviteCode reads a typed code case-insensitively, with or
// without the dash or spaces, into the stored "XXXX-XXXX" form; "" when it
// cannot be one.
func NormalizeInviteCode(s string) string {
	var b []byte
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
		case r < 128 && strings.ContainsRune(inviteAlphabet, r):
			b = append(b, byte(r))
		default:
			return ""
		}
	}
	if len(b) != 8 {
		return ""
	}
	return string(b[:4]) + "-" + string(b[4:])
}
