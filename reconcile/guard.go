package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
)

// checkGuardRails refuses a plan with refusals (maxDeletes ones are lifted
// by AllowMassDelete) or one that removes or unbinds a protected user.
func checkGuardRails(p *diff.Plan, o ApplyOptions) error {
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
func removedUsers(c diff.Change) []removal {
	var out []removal
	switch c.Kind {
	case diff.KindUser:
		if c.Action == diff.Delete {
			out = append(out, removal{c.Key, "delete from the domain"})
		}
	case diff.KindMember:
		user := c.Before.String("user")
		if user == "" {
			user = lastSegment(c.Key)
		}
		switch c.Action {
		case diff.Delete:
			out = append(out, removal{user, "remove from the project"})
		case diff.Update, diff.Replace:
			if c.After.Has("systemRoles") && contains(c.Before.Strings("systemRoles"), "admin") && !contains(c.After.Strings("systemRoles"), "admin") {
				out = append(out, removal{user, "unbind from the admin system role"})
			}
		}
	case diff.KindRole, diff.KindDataPermission:
		if (c.Action == diff.Update || c.Action == diff.Replace) && c.After.Has("users") {
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
