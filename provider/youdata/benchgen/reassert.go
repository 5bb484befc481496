package benchgen

import (
	"strconv"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// ReassertBound is the fewest write calls that send again every write-only
// facet the files d manage and the state st records as applied, with the
// API as documented and batchImport calls holding at most chunk users. It
// is derived from the files, the state and the live model (which shows a
// data permission's rules when a member holds it: those are compared, not
// re-sent), independently of the executor:
//
//   - orgStructure/syncOrg takes every department (updatedOrgs) and the
//     company name in one call: 1 when any is re-sent;
//   - user/batchImport carries each user's own department, company,
//     position, leaving flag, network setting, departments and attributes,
//     chunk users a call: ⌈users ÷ chunk⌉;
//   - role/importDataPermissions names one role or data permission
//     (roleName) and carries its resources, rules, groups and departments
//     together: one per role or data permission with resources or rules to
//     send, or groups or departments to bind;
//   - group/ext/update names one group: one per group description;
//   - directResourcePerm/syncMembers names one resource: one per
//     resourceMembers entry.
func ReassertBound(d *spec.Desired, live *youdata.Live, st *state.State, chunk int) Calls {
	c := Calls{}
	has := func(k plan.Kind, key, facet string) bool {
		o := st.Objects[plan.StateKey(k, key)]
		if o == nil {
			return false
		}
		_, ok := o.Facets[facet]
		return ok
	}
	if d.Orgs != nil {
		orgs := d.Orgs.Company != "" && has(youdata.KindCompany, "company", "name")
		for _, dep := range d.Orgs.Departments {
			orgs = orgs || has(youdata.KindDepartment, dep.Code, "department")
		}
		if orgs {
			c["orgStructure/syncOrg"] = 1
		}
	}
	users := 0
	for _, u := range d.Users {
		given := map[string]bool{"department": u.Department != nil, "company": u.Company != nil, "position": u.Position != nil,
			"left": u.Left != nil, "allowExternal": u.AllowExternal != nil, "orgs": u.Orgs != nil, "attrs": u.Attrs != nil}
		for facet, ok := range given {
			if ok && has(youdata.KindUser, u.UniqueID, facet) {
				users++
				break
			}
		}
	}
	if users > 0 {
		c["user/batchImport"] = ceilDiv(users, chunk)
	}
	for _, pr := range d.Projects {
		lp := live.Projects[pr.Name]
		bind := func(k plan.Kind, key string, b spec.Bindings) bool {
			return len(b.Groups) > 0 && has(k, key, "groups") || len(b.Orgs) > 0 && has(k, key, "orgs")
		}
		for _, r := range pr.Roles {
			key := pr.Name + "/" + r.Folder + "/" + r.Name
			if r.Resources != nil && has(youdata.KindRole, key, "resources") || bind(youdata.KindRole, key, r.Bindings) {
				c["role/importDataPermissions"]++
			}
		}
		for _, r := range pr.DataPermissions {
			key := pr.Name + "/" + r.Folder + "/" + r.Name
			shown := lp != nil && lp.DataPermissions[r.Folder+"/"+r.Name] != nil && lp.DataPermissions[r.Folder+"/"+r.Name].RulesKnown
			if r.Rules != nil && !shown && has(youdata.KindDataPermission, key, "rules") || bind(youdata.KindDataPermission, key, r.Bindings) {
				c["role/importDataPermissions"]++
			}
		}
		for _, g := range pr.Groups {
			if g.Description != nil && has(youdata.KindGroup, pr.Name+"/"+g.Name, "description") {
				c["group/ext/update"]++
			}
		}
		for _, rm := range pr.ResourceMembers {
			if has(youdata.KindResourceMembers, pr.Name+"/"+rm.Type+"/"+strconv.FormatInt(rm.ID, 10), "members") {
				c["directResourcePerm/syncMembers"]++
			}
		}
	}
	return c
}
