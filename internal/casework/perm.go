package casework

// Action is something a member may do to a case.
type Action string

// The case actions of the permission table.
const (
	Open           Action = "open"            // open a new case (intake)
	View           Action = "view"            // see that a case exists: code, status, what is due
	ViewDetails    Action = "view_details"    // see its private details (answers, child's name)
	Update         Action = "update"          // home visits, notes
	Assess         Action = "assess"          // initial/full assessment
	Plan           Action = "plan"            // case-plan actions
	Refer          Action = "refer"           // referrals
	Review         Action = "review"          // progress reviews
	Escalate       Action = "escalate"        // send up to the CWO
	ProposeClosure Action = "propose_closure" // start a closure vote
	Vote           Action = "vote"            // vote in a closure poll
	ApproveClosure Action = "approve_closure" // CWO approval or provincial authorisation
	Conference     Action = "conference"      // record a case conference
)

// Actions lists every case action in table order.
var Actions = []Action{Open, View, ViewDetails, Update, Assess, Plan, Refer, Review, Escalate, ProposeClosure, Vote, ApproveClosure, Conference}

// Changes reports whether the action changes a case (so a closed case
// refuses it); reading and the closure's own approvals do not.
func (a Action) Changes() bool {
	return a != View && a != ViewDetails && a != ApproveClosure
}

// reach is how far a role's right extends.
type reach int

const (
	none     reach = iota
	own            // cases the member is the CCW of
	ward           // cases of the member's ward
	district       // every case of the member's district
	welfare        // district/ward reach, welfare cases only (LCCW closure proposals)
)

// permissions is the one table of who may do what. District boundaries
// apply to every row: nobody reaches a case of another district.
var permissions = map[Role]map[Action]reach{
	CCW: {
		Open: ward, View: ward, ViewDetails: own, Update: own, Assess: own, Plan: own,
		Refer: own, Review: own, Escalate: own, Vote: ward,
	},
	LCCW: {
		Open: ward, View: ward, ViewDetails: ward, Update: ward, Assess: ward, Plan: ward,
		Refer: ward, Review: ward, Escalate: ward, ProposeClosure: welfare, Vote: ward,
		Conference: ward,
	},
	CWO: {
		Open: district, View: district, ViewDetails: district, Update: district, Assess: district,
		Plan: district, Refer: district, Review: district, Escalate: district,
		ProposeClosure: district, Vote: district, ApproveClosure: district, Conference: district,
	},
	// A CMO has a CWO's case duties but does not approve closures.
	CMO: {
		Open: district, View: district, ViewDetails: district, Update: district, Assess: district,
		Plan: district, Refer: district, Review: district, Escalate: district,
		ProposeClosure: district, Vote: district, Conference: district,
	},
	// The provincial officer authorises statutory closures of the
	// district's cases and needs to read them for it.
	Provincial: {View: district, ViewDetails: district, ApproveClosure: district},
	// Admin is technical: members and invites, no case data.
	Admin: {},
}

// CaseScope is what the permission check needs to know of a case.
type CaseScope struct {
	DistrictID int64
	Ward       int
	CCWID      int64 // the member who owns the case
	Protection bool
}

// Can reports whether m may do a to the case. For Open, c holds the
// district and ward the new case would belong to.
func Can(m Member, a Action, c CaseScope) bool {
	if m.ID == 0 || m.DistrictID == 0 || m.DistrictID != c.DistrictID {
		return false
	}
	switch permissions[m.Role][a] {
	case district:
		return true
	case ward:
		return m.Ward == c.Ward
	case own:
		return m.ID == c.CCWID && m.Ward == c.Ward
	case welfare:
		return m.Ward == c.Ward && !c.Protection
	}
	return false
}

// CanInvite reports whether inviter may issue an invite for role in the
// given ward: a CWO invites any role of the district but provincial and
// admin; an LCCW invites CCWs of their own ward. The admin invites anyone
// (the CLI path).
func CanInvite(inviter Member, role Role, districtID int64, ward int) bool {
	if inviter.Role == Admin {
		return true
	}
	if inviter.DistrictID != districtID {
		return false
	}
	switch inviter.Role {
	case CWO:
		return role != Provincial && role != Admin
	case LCCW:
		return role == CCW && ward == inviter.Ward
	}
	return false
}
