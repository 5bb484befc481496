package quickbi

import (
	"sort"

	"github.com/permsync/permsync/plan"
)

// sequence sets what the executor needs to order the plan's changes: the
// phase of each, and the objects the plan creates or replaces that each
// needs, so that a failed create skips what depends on it.
func (p *planner) sequence(pl *plan.Plan) { sequence(pl) }

func sequence(pl *plan.Plan) {
	made := map[string]bool{}
	leaving := map[string]bool{}
	for _, c := range pl.Changes {
		switch c.Action {
		case plan.Create, plan.Replace:
			made[plan.StateKey(c.Kind, c.Key)] = true
		case plan.Delete:
			if c.Kind == KindUser {
				leaving[c.Key] = true
			}
		}
	}
	for i := range pl.Changes {
		c := &pl.Changes[i]
		c.Phase = Registry.Phase(*c)
		if c.Kind == KindMember && c.Action == plan.Delete && leaving[c.Before.String("user")] {
			// DeleteUser takes the member out of every workspace: the
			// membership goes with it.
			c.Phase = PhaseDeleteUsers
		}
		if c.Kind == KindUser && c.Action == plan.Update && lowersType(*c) {
			c.Phase = PhaseLoweredUsers
		}
		seen := map[string]bool{}
		c.DependsOn = nil
		for _, dep := range needs(*c) {
			if made[dep] && !seen[dep] && dep != plan.StateKey(c.Kind, c.Key) {
				seen[dep] = true
				c.DependsOn = append(c.DependsOn, dep)
			}
		}
	}
}

// typeRank orders the user types by what they may hold in a workspace.
var typeRank = map[string]int{"developer": 3, "analyst": 2, "viewer": 1}

// lowersType reports whether a user update lowers the user's type.
func lowersType(c plan.Change) bool {
	if !changed(c, "type") {
		return false
	}
	return typeRank[c.After.String("type")] < typeRank[c.Before.String("type")]
}

// needs lists, by state key, the objects a change needs on the server:
// the tags a user's values name, a group's parent and members, a
// member's user, and the users and groups of a whitelist or a rule; the
// heir of a removed user.
func needs(c plan.Change) []string {
	var out []string
	dep := func(k plan.Kind, key string) { out = append(out, plan.StateKey(k, key)) }
	users := func(names []string) {
		for _, u := range names {
			dep(KindUser, u)
		}
	}
	groups := func(ids []string) {
		for _, g := range ids {
			dep(KindGroup, fileGroupID(g))
		}
	}
	a := c.After
	switch c.Kind {
	case KindUser:
		if c.Action == plan.Delete {
			if t := c.Before.String("transferTo"); t != "" {
				dep(KindUser, t)
			}
			break
		}
		var tags map[string]any
		_ = a.Decode("tags", &tags)
		names := make([]string, 0, len(tags))
		for t := range tags {
			names = append(names, t)
		}
		sort.Strings(names)
		for _, t := range names {
			dep(KindTag, t)
		}
	case KindGroup:
		if c.Action == plan.Delete {
			break
		}
		if parent := a.String("parent"); parent != "" {
			groups([]string{parent})
		}
		users(a.Strings("members"))
	case KindMember:
		if c.Action != plan.Delete {
			dep(KindUser, a.String("user"))
		}
	case KindDataLevel:
		users(a.Strings("whitelistUsers"))
		groups(a.Strings("whitelistGroups"))
	case KindRule:
		if c.Action != plan.Delete {
			users(a.Strings("users"))
			groups(a.Strings("groups"))
		}
	}
	return out
}
