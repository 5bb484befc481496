package youdata

import (
	"strings"

	"github.com/permsync/permsync/plan"
)

// sequence sets what the executor needs to order the plan's changes: the
// phase of each, and the objects the plan creates or replaces that each
// needs, so that a failed create skips what depends on it.
func (p *planner) sequence(pl *plan.Plan) {
	leaving := map[string]bool{}
	made := map[string]bool{}
	for _, c := range pl.Changes {
		switch c.Action {
		case plan.Delete:
			if c.Kind == KindUser {
				leaving[c.Key] = true
			}
		case plan.Create, plan.Replace:
			made[plan.StateKey(c.Kind, c.Key)] = true
		}
	}
	for i := range pl.Changes {
		c := &pl.Changes[i]
		c.Phase = Registry.Phase(*c)
		if c.Kind == KindMember && c.Action == plan.Delete && leaving[memberUser(*c)] {
			// domain/user/delete takes the user out of every project: the
			// member leaves with its deletion from the domain.
			c.Phase = PhaseDeleteUsers
		}
		if c.Action == plan.Delete {
			continue
		}
		seen := map[string]bool{}
		for _, dep := range p.needs(*c) {
			if made[dep] && !seen[dep] {
				seen[dep] = true
				c.DependsOn = append(c.DependsOn, dep)
			}
		}
	}
}

// needs lists, by state key and in the order they are checked, the objects
// a create or update needs on the server: its project, the users it binds,
// the system roles, groups and departments it names.
func (p *planner) needs(c plan.Change) []string {
	var out []string
	dep := func(k plan.Kind, key string) { out = append(out, plan.StateKey(k, key)) }
	attrs := c.After
	switch c.Kind {
	case KindDepartment:
		if parent := attrs.String("parent"); parent != "" {
			dep(KindDepartment, parent)
		}
	case KindUser:
		var orgs []userOrg
		_ = attrs.Decode("orgs", &orgs)
		for _, o := range orgs {
			dep(KindDepartment, o.Code)
		}
	case KindMember, KindGroup, KindRole, KindDataPermission, KindResourceMembers:
		dep(KindProject, p.scopeOfChange(c))
	}
	switch c.Kind {
	case KindMember:
		dep(KindUser, attrs.String("user"))
		for _, sr := range attrs.Strings("systemRoles") {
			dep(KindSystemRole, sr)
		}
	case KindGroup:
		for _, u := range attrs.Strings("members") {
			dep(KindUser, u)
		}
	case KindRole, KindDataPermission:
		for _, u := range attrs.Strings("users") {
			dep(KindUser, u)
		}
		project := p.scopeOfChange(c)
		for _, g := range attrs.Strings("groups") {
			dep(KindGroup, project+"/"+g)
		}
		for _, o := range attrs.Strings("orgs") {
			dep(KindDepartment, o)
		}
	case KindResourceMembers:
		var members []resourceMember
		_ = attrs.Decode("members", &members)
		for _, m := range members {
			dep(KindUser, m.User)
		}
	}
	return out
}

// memberUser is the user of a member change.
func memberUser(c plan.Change) string {
	if u := c.Before.String("user"); u != "" {
		return u
	}
	if u := c.After.String("user"); u != "" {
		return u
	}
	return c.Address(Registry).Name()
}

// scopeOfChange is the project of a change of a project-scoped kind: its
// scope, else (a plan built by hand) the longest known project its key
// starts with, else its key up to the first "/".
func (p *planner) scopeOfChange(c plan.Change) string {
	if c.Scope != "" {
		return c.Scope
	}
	key := c.Key
	if pr := p.projectOf(key); pr != "" {
		return pr
	}
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return key
}
