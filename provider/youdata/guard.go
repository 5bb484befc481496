package youdata

import (
	"slices"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
)

// guard tells the engine what Youdata changes take from users.
type guard struct{}

var _ provider.Guard = guard{}

// Removals lists the users a change removes from the domain, a project, a
// role or the admin system role.
func (guard) Removals(c plan.Change) []provider.Removal {
	var out []provider.Removal
	for _, r := range removedUsers(c) {
		out = append(out, provider.Removal{User: r.user, What: r.what})
	}
	return out
}

// AdminLoss says what a member change does to an admin it demotes or
// removes ("" when it does neither).
func (guard) AdminLoss(c plan.Change) string { return removedAdmin(c) }

type removal struct{ user, what string }

// removedUsers lists the users a change removes from the domain, a
// project, a role or the admin system role.
func removedUsers(c plan.Change) []removal {
	var out []removal
	switch c.Kind {
	case KindUser:
		if c.Action == plan.Delete {
			out = append(out, removal{c.Key, "delete from the domain"})
		}
	case KindMember:
		user := c.Before.String("user")
		if user == "" {
			user = c.Address(Registry).Name()
		}
		switch c.Action {
		case plan.Delete:
			out = append(out, removal{user, "remove from the project"})
		case plan.Update, plan.Replace:
			if c.After.Has("systemRoles") && slices.Contains(c.Before.Strings("systemRoles"), "admin") && !slices.Contains(c.After.Strings("systemRoles"), "admin") {
				out = append(out, removal{user, "unbind from the admin system role"})
			}
		}
	case KindRole, KindDataPermission:
		if (c.Action == plan.Update || c.Action == plan.Replace) && c.After.Has("users") {
			after := c.After.Strings("users")
			for _, u := range c.Before.Strings("users") {
				if !slices.Contains(after, u) {
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
	if c.Kind != KindMember || !slices.Contains(c.Before.Strings("systemRoles"), "admin") {
		return ""
	}
	user := c.Before.String("user")
	if user == "" {
		user = c.Address(Registry).Name()
	}
	switch {
	case c.Action == plan.Delete:
		return "remove admin " + user + " from the project"
	case (c.Action == plan.Update || c.Action == plan.Replace) && c.After.Has("systemRoles") && !slices.Contains(c.After.Strings("systemRoles"), "admin"):
		return "take the admin system role from " + user
	}
	return ""
}
