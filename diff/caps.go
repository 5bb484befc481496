package diff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
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

// capBucket is one count that settings.maxDeletes caps.
type capBucket struct {
	project string // "" for kinds outside projects
	what    string // "member deletions", "role user bindings removed", ...
}

// capCounts are the removals and the existing objects or bindings of one
// bucket.
type capCounts struct {
	existing int
	// removed maps a key (an object, or an object whose bindings go) to
	// the bindings it loses (nil for an object deletion).
	removed map[string][]string
	n       int
}

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

func (p *planner) bucket(project, what string) *capCounts {
	b := capBucket{project: project, what: what}
	c := p.caps[b]
	if c == nil {
		c = &capCounts{removed: map[string][]string{}}
		p.caps[b] = c
	}
	return c
}

// deletionsOf names the bucket of the deletions of a kind.
func deletionsOf(k plan.Kind) string { return string(k) + " deletions" }

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

// countExisting records what exists of each capped kind, the base of
// settings.maxDeletes: the objects of each kind on the server or in the
// state, and the bindings the server shows (or the state records) in each
// project.
func (p *planner) countExisting() {
	// Objects may be both on the server and in the state: sets. Bindings
	// come from one place each, where they are unique: counts.
	seen := map[capBucket]map[string]bool{}
	bindings := map[capBucket]int{}
	object := func(project string, k plan.Kind, key string) {
		b := capBucket{project: project, what: deletionsOf(k)}
		if seen[b] == nil {
			seen[b] = map[string]bool{}
		}
		seen[b][key] = true
	}
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
				bindings[capBucket{project, bindingsOf(k, facet)}] += len(o.Facets[facet].Items)
			}
		case KindResourceMembers:
			bindings[capBucket{project, capResourceMembers}]++
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
			bindings[capBucket{project, capSystemRoleBindings}] += len(lm.SystemRoleIDs)
		}
		for n, lg := range lp.Groups {
			object(project, KindGroup, project+"/"+n)
			bindings[capBucket{project, capGroupMembers}] += len(lg.Members)
		}
		for lk, lr := range lp.Roles {
			object(project, KindRole, project+"/"+lk)
			bindings[capBucket{project, roleUsers}] += len(lr.Users)
		}
		for lk, lr := range lp.DataPermissions {
			object(project, KindDataPermission, project+"/"+lk)
			bindings[capBucket{project, dpUsers}] += len(lr.Users)
		}
	}
	for b, keys := range seen {
		p.bucket(b.project, b.what).existing = len(keys)
	}
	for b, n := range bindings {
		if n > 0 {
			p.bucket(b.project, b.what).existing = n
		}
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
	for _, pl := range p.deletes[KindGroup] {
		deletedGroups[pl.c.Key] = true
	}
	for _, k := range Kinds {
		for _, pl := range p.deletes[k] {
			project := ""
			if projectKinds[k] {
				project = p.projectOf(pl.c.Key)
			}
			b := p.bucket(project, deletionsOf(k))
			b.removed[pl.c.Key] = nil
			b.n++
		}
	}
	for _, pl := range p.changes {
		c := pl.c
		if c.Action == plan.Delete {
			continue
		}
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
				p.removeBindings(project, bindingsOf(c.Kind, facet), c.Key, gone)
			}
		case KindGroup:
			p.removeBindings(project, capGroupMembers, c.Key, p.emptied(c, "members"))
		case KindMember:
			p.removeBindings(project, capSystemRoleBindings, c.Key, p.emptied(c, "systemRoles"))
		case KindResourceMembers:
			// The server does not show direct members and the state keeps
			// only a fingerprint of them: a full sync to none removes an
			// unknown number, counted as one emptied list.
			if string(c.After["members"]) == "[]" {
				p.removeBindings(project, capResourceMembers, c.Key, []string{"members: []"})
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
		if !p.protected[it] || attr == "systemRoles" || attr == "groups" || attr == "orgs" {
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

func (p *planner) removeBindings(project, what, key string, items []string) {
	if len(items) == 0 {
		return
	}
	b := p.bucket(project, what)
	b.removed[key] = append(b.removed[key], items...)
	b.n += len(items)
}

// checkDeletes applies settings.maxDeletes to every bucket and adds the
// deletions to the plan.
func (p *planner) checkDeletes() {
	p.countRemovals()
	buckets := make([]capBucket, 0, len(p.caps))
	for b, c := range p.caps {
		if c.n > 0 {
			buckets = append(buckets, b)
		}
	}
	sort.Slice(buckets, func(i, j int) bool {
		if buckets[i].project != buckets[j].project {
			return buckets[i].project < buckets[j].project
		}
		return buckets[i].what < buckets[j].what
	})
	for _, b := range buckets {
		c := p.caps[b]
		max, how := maxDeletes(p.d.Settings.MaxDeletes, c.existing)
		if c.n <= max {
			continue
		}
		var msg string
		if b.project == "" {
			msg = fmt.Sprintf("settings.maxDeletes: %d %s exceed the limit of %d (%s, %d existing): %s",
				c.n, b.what, max, how, c.existing, strings.Join(capKeys(c.removed), ", "))
		} else {
			msg = fmt.Sprintf("settings.maxDeletes: project %s: %d %s exceed the limit of %d (%s, %d existing in the project): %s",
				b.project, c.n, b.what, max, how, c.existing, strings.Join(capKeys(c.removed), ", "))
		}
		if p.opts.AllowMassDelete {
			p.warn("%s; allowed by --allow-mass-delete", msg)
		} else {
			p.refusals = append(p.refusals, msg+"; --allow-mass-delete overrides")
		}
	}
	for _, k := range Kinds {
		p.changes = append(p.changes, p.deletes[k]...)
	}
}

// maxCapItems is how many removed bindings of one object a refusal names.
const maxCapItems = 5

// capKeys renders the keys of a bucket, sorted: "key" for a deletion,
// "key (a, b)" for the bindings an object loses.
func capKeys(removed map[string][]string) []string {
	out := make([]string, 0, len(removed))
	for _, key := range sortedKeys(removed) {
		items := removed[key]
		if items == nil {
			out = append(out, key)
			continue
		}
		items = uniqSorted(items)
		shown := strings.Join(items, ", ")
		if len(items) > maxCapItems {
			shown = fmt.Sprintf("%s and %d more", strings.Join(items[:maxCapItems], ", "), len(items)-maxCapItems)
		}
		out = append(out, key+" ("+shown+")")
	}
	return out
}

// maxDeletes is the number of removals allowed among n existing.
func maxDeletes(md *spec.MaxDeletes, n int) (int, string) {
	switch {
	case md == nil:
		return md.Limit(n), "default " + spec.DefaultMaxDeletes.String()
	case md.Percent:
		return md.Limit(n), md.String()
	default:
		return md.Limit(n), "settings.maxDeletes"
	}
}
