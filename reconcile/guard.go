package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
)

// checkGuardRails refuses a plan with refusals (maxDeletes ones are lifted
// by AllowMassDelete), one that removes or unbinds a protected user, and,
// when the user behind the token is not known, one that takes the admin
// role from a member or removes an admin from a project: that member may
// be the token's user. The plan refuses them already; this is the check
// right before the first write.
func checkGuardRails(p *plan.Plan, o ApplyOptions) error {
	var problems []string
	for _, r := range p.Refusals {
		if o.AllowMassDelete && strings.HasPrefix(r, maxDeletesRefusal) {
			continue
		}
		problems = append(problems, r)
	}
	protected := map[string]bool{}
	for _, u := range o.ProtectedUsers {
		protected[u] = true
	}
	if o.TokenUser != "" {
		protected[o.TokenUser] = true
	}
	for _, c := range p.Changes {
		for _, u := range removedUsers(c) {
			if protected[u.user] {
				problems = append(problems, fmt.Sprintf("%s %s %s would %s protected user %s", c.Action, c.Kind, c.Key, u.what, u.user))
			}
		}
		if o.TokenUser == "" {
			if what := removedAdmin(c); what != "" {
				problems = append(problems, fmt.Sprintf("%s %s %s would %s, and the user behind the token is not known, so it may be that user: set PERMSYNC_TOKEN_USER (or --token-user) to the uniqueId of the token's user", c.Action, c.Kind, c.Key, what))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("apply refused, nothing was written:\n  - %s", strings.Join(problems, "\n  - "))
}

type removal struct{ user, what string }

// removedUsers lists the users a change removes from the domain, a
// project, a role or the admin system role.
func removedUsers(c plan.Change) []removal {
	var out []removal
	switch c.Kind {
	case youdata.KindUser:
		if c.Action == plan.Delete {
			out = append(out, removal{c.Key, "delete from the domain"})
		}
	case youdata.KindMember:
		user := c.Before.String("user")
		if user == "" {
			user = lastSegment(c.Key)
		}
		switch c.Action {
		case plan.Delete:
			out = append(out, removal{user, "remove from the project"})
		case plan.Update, plan.Replace:
			if c.After.Has("systemRoles") && contains(c.Before.Strings("systemRoles"), "admin") && !contains(c.After.Strings("systemRoles"), "admin") {
				out = append(out, removal{user, "unbind from the admin system role"})
			}
		}
	case youdata.KindRole, youdata.KindDataPermission:
		if (c.Action == plan.Update || c.Action == plan.Replace) && c.After.Has("users") {
			after := c.After.Strings("users")
			for _, u := range c.Before.Strings("users") {
				if !contains(after, u) {
					out = append(out, removal{u, "unbind from the role"})
				}
			}
		}
	}
	return out
}

// removedAdmin says what a member change does to an admin it demotes or
// removes ("" when it does neither).
func removedAdmin(c plan.Change) string {
	if c.Kind != youdata.KindMember || !contains(c.Before.Strings("systemRoles"), "admin") {
		return ""
	}
	user := c.Before.String("user")
	if user == "" {
		user = lastSegment(c.Key)
	}
	switch {
	case c.Action == plan.Delete:
		return "remove admin " + user + " from the project"
	case (c.Action == plan.Update || c.Action == plan.Replace) && c.After.Has("systemRoles") && !contains(c.After.Strings("systemRoles"), "admin"):
		return "take the admin system role from " + user
	}
	return ""
}
