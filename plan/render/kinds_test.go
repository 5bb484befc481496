package render

import "github.com/permsync/permsync/plan"

// The kinds of the plans these tests render: a provider's kinds, in its
// rendering order (Youdata's).
const (
	kindSystemRole      plan.Kind = "systemRole"
	kindCompany         plan.Kind = "company"
	kindDepartment      plan.Kind = "department"
	kindUser            plan.Kind = "user"
	kindProject         plan.Kind = "project"
	kindMember          plan.Kind = "member"
	kindGroup           plan.Kind = "group"
	kindRole            plan.Kind = "role"
	kindDataPermission  plan.Kind = "dataPermission"
	kindResourceMembers plan.Kind = "resourceMembers"
)

var testKinds = []plan.Kind{kindSystemRole, kindCompany, kindDepartment, kindUser, kindProject,
	kindMember, kindGroup, kindRole, kindDataPermission, kindResourceMembers}
