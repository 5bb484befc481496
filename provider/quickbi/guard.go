package quickbi

import (
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
)

// guard tells the engine what Quick BI changes take from users.
type guard struct{}

var _ provider.Guard = guard{}

// Removals lists the users a change removes from the organization, a
// workspace or a group, or makes inactive.
func (guard) Removals(c plan.Change) []provider.Removal {
	var out []provider.Removal
	switch c.Kind {
	case KindUser:
		switch {
		case c.Action == plan.Delete:
			out = append(out, provider.Removal{User: c.Key, What: "remove from the organization"})
		case c.Action == plan.Update && afterBool(c, "inactive") && !beforeBool(c, "inactive"):
			out = append(out, provider.Removal{User: c.Key, What: "make inactive"})
		}
	case KindMember:
		if c.Action == plan.Delete {
			user := c.Before.String("user")
			out = append(out, provider.Removal{User: user, What: "remove from workspace " + c.Scope})
		}
	case KindGroup:
		if (c.Action == plan.Update || c.Action == plan.Replace) && c.After.Has("members") {
			for _, u := range minus(c.Before.Strings("members"), c.After.Strings("members")) {
				out = append(out, provider.Removal{User: u, What: "remove from group " + c.Key})
			}
		}
	}
	return out
}

// AdminLoss says what a change does to an organization admin (role
// 111111111) it removes, demotes or makes inactive ("" when none).
func (guard) AdminLoss(c plan.Change) string {
	if c.Kind != KindUser || !contains(c.Before.Strings("roles"), "admin") {
		return ""
	}
	switch {
	case c.Action == plan.Delete:
		return "remove organization admin " + c.Key
	case c.Action == plan.Update && c.After.Has("roles") && !contains(c.After.Strings("roles"), "admin"):
		return "take the organization admin role from " + c.Key
	case c.Action == plan.Update && afterBool(c, "inactive") && !beforeBool(c, "inactive"):
		return "make organization admin " + c.Key + " inactive"
	}
	return ""
}

func afterBool(c plan.Change, name string) bool {
	var b bool
	_ = c.After.Decode(name, &b)
	return b
}

func beforeBool(c plan.Change, name string) bool {
	var b bool
	_ = c.Before.Decode(name, &b)
	return b
}
