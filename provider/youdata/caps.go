package youdata

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
)

// settings.maxDeletes caps what one plan removes. Kinds outside projects
// (users, system roles, departments, projects) are capped over the whole
// server. Inside a project every kind is capped on its own, per project:
// the deletions of its members, groups, roles and data permissions, and
// the bindings removed by lists the files empty without deleting anything
// (users: [] on a role or a data permission, members: [] on a group or a
// resource, systemRoles: [] on a member, groups: [] or orgs: [] on a
// role). Each is counted against what exists of that kind in that
// project, so that emptying one project's lists is refused however many
// other projects there are.

// projectKinds are the kinds whose keys start with their project's name.
var projectKinds = map[plan.Kind]bool{KindMember: true, KindGroup: true, KindRole: true,
	KindDataPermission: true, KindResourceMembers: true}

// projectOf is the project a project-scoped key belongs to: the longest
// known project name it starts with (names may hold "/").
func (p *planner) projectOf(key string) string {
	best := ""
	for _, name := range p.projects {
		if len(name) > len(best) && strings.HasPrefix(key, name+"/") {
			best = name
		}
	}
	return best
}

// countExisting records what exists of each capped kind, the base of
// settings.maxDeletes: the objects of each kind on the server or in the
// state, and the bindings the server shows (or the state records) in each
// project.
func (p *planner) countExisting() {
	// Objects may be both on the server and in the state: the planner
	// counts each once. Bindings come from one place each, where they are
	// unique: counts.
	object := p.CapObject
	type bucket struct{ project, what string }
	bindings := map[bucket]int{}
	for sk, o := range p.st.Objects { // sets and counts: the order does not matter
		i := strings.IndexByte(sk, ' ')
		if i <= 0 {
			continue
		}
		k, key := plan.Kind(sk[:i]), sk[i+1:]
		project := ""
		if projectKinds[k] {
			project = p.projectOf(key)
		}
		object(project, k, key)
		switch k {
		case KindRole, KindDataPermission:
			for _, facet := range []string{"groups", "orgs"} {
				bindings[bucket{project, bindingsOf(k, facet)}] += len(o.Facets[facet].Items)
			}
		case KindResourceMembers:
			bindings[bucket{project, capResourceMembers}]++
		}
	}
	for u := range p.live.Users {
		object("", KindUser, u)
	}
	for n := range p.live.SystemRoles {
		object("", KindSystemRole, n)
	}
	// The keys of a project the files name otherwise (pinned by id,
	// renamed) start with the files' name.
	fileName := map[string]string{}
	for _, pr := range p.d.Projects {
		if lp := p.findProject(pr); lp != nil {
			fileName[lp.Name] = pr.Name
		}
	}
	roleUsers, dpUsers := bindingsOf(KindRole, "users"), bindingsOf(KindDataPermission, "users")
	for _, lp := range p.live.Projects {
		object("", KindProject, lp.Name)
		project := lp.Name
		if n, ok := fileName[lp.Name]; ok {
			project = n
		}
		for u, lm := range lp.Members {
			object(project, KindMember, project+"/"+u)
			bindings[bucket{project, capSystemRoleBindings}] += len(lm.SystemRoleIDs)
		}
		for n, lg := range lp.Groups {
			object(project, KindGroup, project+"/"+n)
			bindings[bucket{project, capGroupMembers}] += len(lg.Members)
		}
		for lk, lr := range lp.Roles {
			object(project, KindRole, project+"/"+lk)
			bindings[bucket{project, roleUsers}] += len(lr.Users)
		}
		for lk, lr := range lp.DataPermissions {
			object(project, KindDataPermission, project+"/"+lk)
			bindings[bucket{project, dpUsers}] += len(lr.Users)
		}
	}
	for b, n := range bindings {
		p.CapExisting(b.project, b.what, n)
	}
}

// countRemovals records the deletions, and the bindings removed by lists
// the files empty: users: [] on a role or a data permission, members: []
// on a group or a resource, systemRoles: [] on a member, groups: [] or
// orgs: [] on a role. A list that keeps someone is an edit the plan shows,
// not a mass removal; a list that keeps only protected users (whom the
// plan keeps whatever the files say) counts as emptied.
func (p *planner) countRemovals() {
	deletedGroups := map[string]bool{}
	for _, c := range p.Deletes(KindGroup) {
		deletedGroups[c.Key] = true
	}
	for _, c := range p.Changes() {
		project := p.projectOf(c.Key)
		switch c.Kind {
		case KindRole, KindDataPermission:
			for _, facet := range []string{"users", "groups", "orgs"} {
				gone := p.emptied(c, facet)
				if facet == "groups" {
					// group/dels drops the binding of a group the plan
					// deletes: counted with the group's deletion.
					var kept []string
					for _, g := range gone {
						if !deletedGroups[project+"/"+g] {
							kept = append(kept, g)
						}
					}
					gone = kept
				}
				p.CapRemoved(project, bindingsOf(c.Kind, facet), c.Key, gone)
			}
		case KindGroup:
			p.CapRemoved(project, capGroupMembers, c.Key, p.emptied(c, "members"))
		case KindMember:
			p.CapRemoved(project, capSystemRoleBindings, c.Key, p.emptied(c, "systemRoles"))
		case KindResourceMembers:
			// The server does not show direct members and the state keeps
			// only a fingerprint of them: a full sync to none removes an
			// unknown number, counted as one emptied list.
			if string(c.After["members"]) == "[]" {
				p.CapRemoved(project, capResourceMembers, c.Key, []string{"members: []"})
			}
		}
	}
}

// emptied lists, sorted, the items a change removes from a list attribute
// the files empty (nil when the list keeps an item that is not a
// protected user, or when the change leaves the attribute alone).
func (p *planner) emptied(c plan.Change, attr string) []string {
	if c.Before == nil || !c.After.Has(attr) || !c.Before.Has(attr) {
		return nil
	}
	after := map[string]bool{}
	for _, it := range c.After.Strings(attr) {
		if !p.Protected(it) || attr == "systemRoles" || attr == "groups" || attr == "orgs" {
			return nil
		}
		after[it] = true
	}
	var out []string
	for _, it := range c.Before.Strings(attr) {
		if !after[it] {
			out = append(out, it)
		}
	}
	sort.Strings(out)
	return out
}

// Binding buckets.
const (
	capSystemRoleBindings = "member system role bindings removed"
	capGroupMembers       = "group memberships removed"
	capResourceMembers    = "resourceMembers lists emptied"
)

// bindingsOf names the bucket of one binding facet of a role or a data
// permission ("role user bindings removed").
func bindingsOf(k plan.Kind, facet string) string {
	what := map[string]string{"users": "user", "groups": "group", "orgs": "department"}[facet]
	return fmt.Sprintf("%s %s bindings removed", k, what)
}
