package quickbi

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// checkAdmins refuses a plan that could lock the organization out: one
// that takes the organization admin role (111111111) from a member, makes
// one inactive or removes one while the member behind the credentials is
// not known (it may be that member), and one that leaves the
// organization without an active admin.
func (p *planner) checkAdmins() {
	all := p.Changes()
	for _, k := range Kinds {
		all = append(all, p.Deletes(k)...)
	}
	admins := map[string]bool{}
	for _, id := range sortedKeys(p.live.Users) {
		u := p.live.Users[id]
		if !u.Inactive && containsInt(u.Roles, apiclient.OrgRoleAdmin) {
			admins[p.nameOfUser(u)] = true
		}
	}
	var lost []string
	for _, c := range all {
		if c.Kind != KindUser {
			continue
		}
		if what := (guard{}).AdminLoss(c); what != "" {
			lost = append(lost, what)
			if p.live.TokenUser == "" {
				p.Refuse(plan.RefuseLockout, fmt.Sprintf("%s user %s would %s, and the member behind the credentials is not known, so it may be that member: set PERMSYNC_TOKEN_USER (or --token-user) to its account", c.Action, c.Key, what))
			}
		}
		switch {
		case c.Action == plan.Delete:
			delete(admins, c.Key)
		default:
			roles := c.Before.Strings("roles")
			if c.After.Has("roles") {
				roles = c.After.Strings("roles")
			}
			inactive := beforeBool(c, "inactive")
			if c.After.Has("inactive") {
				inactive = afterBool(c, "inactive")
			}
			if contains(roles, "admin") && !inactive {
				admins[c.Key] = true
			} else {
				delete(admins, c.Key)
			}
		}
	}
	if len(admins) == 0 && len(lost) > 0 {
		sort.Strings(lost)
		p.Refuse(plan.RefuseLockout, "the organization would be left without an active admin (role admin): the plan would "+strings.Join(lost, "; ")+"; keep at least one member with roles: [admin]")
	}
}

func containsInt(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
