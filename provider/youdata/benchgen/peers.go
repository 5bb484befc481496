package benchgen

import (
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
)

// The benchmark's peers: what two other ways of keeping the same server
// in line with the same files would call, computed from what the server
// holds and from permsync's plan of the change (the changes to make are
// the same whoever makes them).

// Resources counts what a per-object provider keeps in its state: one
// resource per domain user, project member, group, group membership, role
// or data permission, and direct binding of a user to one of them, as
// Terraform providers are written.
type Resources struct {
	Users, Members, Groups, Memberships, Roles, Bindings int
}

// Total sums the resources.
func (r Resources) Total() int {
	return r.Users + r.Members + r.Groups + r.Memberships + r.Roles + r.Bindings
}

// ResourcesOf counts the resources of a server as a full read saw it.
func ResourcesOf(l *youdata.Live) Resources {
	r := Resources{Users: len(l.Users)}
	for _, lp := range l.Projects {
		if !lp.Read {
			continue
		}
		r.Members += len(lp.Members)
		r.Groups += len(lp.Groups)
		for _, g := range lp.Groups {
			r.Memberships += len(g.Members)
		}
		for _, m := range []map[string]*youdata.LiveRole{lp.Roles, lp.DataPermissions} {
			r.Roles += len(m)
			for _, lr := range m {
				r.Bindings += len(lr.Users)
			}
		}
	}
	return r
}

// PeerCalls are the calls of a per-object provider for one change:
// Refresh reads every resource of its state once (its plan), Apply makes
// one call per resource created, updated or destroyed, ReadBack reads
// each resource created or updated again, as a provider's Create and
// Update end with its Read.
type PeerCalls struct {
	Refresh, Apply, ReadBack int
}

// Total sums the calls.
func (c PeerCalls) Total() int { return c.Refresh + c.Apply + c.ReadBack }

// PerObject is what a per-object provider calls for plan p of a server
// holding before. Its refresh is generous: a user is read with one call,
// although the API has no call that reads one user (a provider would page
// through user/getAllUsers).
func PerObject(before Resources, p *plan.Plan) PeerCalls {
	c := PeerCalls{Refresh: before.Total()}
	made := func(n int) { c.Apply += n; c.ReadBack += n }
	destroyed := func(n int) { c.Apply += n }
	for _, ch := range p.Changes {
		switch ch.Kind {
		case youdata.KindGroup:
			before, after := ch.Before.Strings("members"), ch.After.Strings("members")
			switch ch.Action {
			case plan.Create:
				made(1 + len(after))
			case plan.Replace:
				destroyed(1 + len(before))
				made(1 + len(after))
			case plan.Delete:
				destroyed(1 + len(before))
			case plan.Update:
				made(len(sets.Minus(after, before)))
				destroyed(len(sets.Minus(before, after)))
				if differs(ch, "description", "folder") {
					made(1)
				}
			}
		case youdata.KindRole, youdata.KindDataPermission:
			before, after := ch.Before.Strings("users"), ch.After.Strings("users")
			switch ch.Action {
			case plan.Create:
				made(1 + len(after))
			case plan.Replace:
				destroyed(1 + len(before))
				made(1 + len(after))
			case plan.Delete:
				destroyed(1 + len(before))
			case plan.Update:
				if ch.After.Has("users") {
					made(len(sets.Minus(after, before)))
					destroyed(len(sets.Minus(before, after)))
					var ae, be map[string]string
					_ = ch.After.Decode("user_expires", &ae)
					_ = ch.Before.Decode("user_expires", &be)
					for _, u := range after {
						if ae[u] != be[u] && contains(before, u) {
							made(1)
						}
					}
				}
				if differs(ch, "description", "groups", "group_expires", "orgs", "org_expires", "resources", "rules") {
					made(1)
				}
			}
		default:
			if ch.Action == plan.Delete {
				destroyed(1)
			} else {
				made(1)
			}
		}
	}
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// differs reports whether an update changes one of the attributes.
func differs(ch plan.Change, attrs ...string) bool {
	for _, a := range attrs {
		if v, ok := ch.After[a]; ok && string(v) != string(ch.Before[a]) {
			return true
		}
	}
	return false
}

// ScriptWrites are the write calls of a batching script applying plan p:
// one user/batchImport per project and set of options (the groups a user
// joins and the system roles it gets) and per chunk of users, and one for
// the users only upserted; one importDataPermissions per role or data
// permission that needs one; one user/delRoles per role or data
// permission that loses users and per member that loses system roles;
// groups deleted by group/dels per project, members leaving a group by
// group/ext/delUsers per group, members leaving a project by
// projectUser/delUsersByUniqueIds per project, leavers by
// domain/user/delete, per chunk; one call per object otherwise. Its reads
// are those of a full read, before and, to verify, after.
func ScriptWrites(p *plan.Plan, chunk int) Calls {
	c := Calls{}
	leaving := map[string]bool{}
	for _, ch := range p.Changes {
		if ch.Kind == youdata.KindUser && ch.Action == plan.Delete {
			leaving[ch.Key] = true
		}
	}
	projectOf := func(ch plan.Change) string {
		if ch.Scope != "" {
			return ch.Scope
		}
		return ch.Key[:strings.IndexByte(ch.Key, '/')]
	}
	type member struct{ project, user string }
	groups := map[member][]string{}
	sysRoles := map[member][]string{}
	upserts := map[string]bool{}
	groupDels := map[string]bool{}
	memberDels := map[string]int{}
	leavers := 0
	orgs := false
	for _, ch := range p.Changes {
		switch ch.Kind {
		case youdata.KindUser:
			if ch.Action == plan.Delete {
				leavers++
			} else {
				upserts[ch.Key] = true
			}
		case youdata.KindDepartment, youdata.KindCompany:
			orgs = true
		case youdata.KindMember:
			m := member{projectOf(ch), ch.After.String("user")}
			switch ch.Action {
			case plan.Delete:
				if !leaving[ch.Before.String("user")] {
					memberDels[projectOf(ch)]++
				}
			case plan.Create:
				sysRoles[m] = ch.After.Strings("systemRoles")
			case plan.Update:
				if added := sets.Minus(ch.After.Strings("systemRoles"), ch.Before.Strings("systemRoles")); len(added) > 0 {
					sysRoles[m] = added
				}
				if len(sets.Minus(ch.Before.Strings("systemRoles"), ch.After.Strings("systemRoles"))) > 0 {
					c["user/delRoles"]++
				}
			}
		case youdata.KindGroup:
			project := projectOf(ch)
			switch ch.Action {
			case plan.Delete:
				groupDels[project] = true
				continue
			case plan.Replace:
				groupDels[project] = true
				c["group/add"]++
			case plan.Create:
				c["group/add"]++
			}
			var before []string
			if ch.Action == plan.Update {
				before = ch.Before.Strings("members")
			}
			for _, u := range sets.Minus(ch.After.Strings("members"), before) {
				m := member{project, u}
				groups[m] = append(groups[m], ch.Key)
			}
			for _, u := range sets.Minus(before, ch.After.Strings("members")) {
				if !leaving[u] && ch.After.Has("members") {
					c["group/ext/delUsers"]++
					break
				}
			}
		case youdata.KindRole, youdata.KindDataPermission:
			if ch.Action == plan.Delete || ch.Action == plan.Replace {
				c["role/ext/delete"]++
			}
			if ch.Action == plan.Delete {
				continue
			}
			if roleNeedsImport(ch) {
				c["role/importDataPermissions"]++
			}
			if ch.Action == plan.Update && ch.After.Has("users") {
				for _, u := range sets.Minus(ch.Before.Strings("users"), ch.After.Strings("users")) {
					if !leaving[u] {
						c["user/delRoles"]++
						break
					}
				}
			}
		case youdata.KindProject:
			c["project/"+map[plan.Action]string{plan.Create: "add", plan.Update: "update", plan.Delete: "del"}[ch.Action]]++
		case youdata.KindSystemRole:
			c["systemRole/"+map[plan.Action]string{plan.Create: "add", plan.Update: "update", plan.Delete: "dels"}[ch.Action]]++
		case youdata.KindResourceMembers:
			c["directResourcePerm/syncMembers"]++
		}
	}
	// One batchImport per project and set of options.
	sets0 := map[string]int{}
	joined := map[string]bool{}
	keys := map[member]bool{}
	for m := range groups {
		keys[m] = true
	}
	for m := range sysRoles {
		keys[m] = true
	}
	for m := range keys {
		gs := append([]string{}, groups[m]...)
		sort.Strings(gs)
		sr := append([]string{}, sysRoles[m]...)
		sort.Strings(sr)
		sets0[m.project+"\x00"+strings.Join(gs, ",")+"\x00"+strings.Join(sr, ",")]++
		joined[m.user] = true
	}
	n := 0
	for _, v := range sets0 {
		n += ceilDiv(v, chunk)
	}
	free := 0
	for u := range upserts {
		if !joined[u] {
			free++
		}
	}
	n += ceilDiv(free, chunk)
	if n > 0 {
		c["user/batchImport"] = n
	}
	if len(groupDels) > 0 {
		c["group/dels"] = len(groupDels)
	}
	for _, m := range memberDels {
		c["projectUser/delUsersByUniqueIds"] += ceilDiv(m, chunk)
	}
	if leavers > 0 {
		c["domain/user/delete"] = ceilDiv(leavers, chunk)
	}
	if orgs {
		c["orgStructure/syncOrg"] = 1
	}
	for k, v := range c {
		if v == 0 {
			delete(c, k)
		}
	}
	return c
}
