package benchgen

import (
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
)

// MaxPage is the most items one page of user/getAllUsers or
// projectUser/list holds (the simulator's cap; the document names none).
const MaxPage = 1000

// Calls counts API calls by endpoint path ("user/batchImport").
type Calls map[string]int

// Total sums the calls.
func (c Calls) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

func ceilDiv(n, d int) int { return (n + d - 1) / d }

// ReadBound is the fewest calls that read a server with users domain users
// and, for each project the files name, members[i] members: the paged
// users (a full last page needs one more call to see the end, as
// getAllUsers gives no total), the project list, the custom system roles,
// and per project its paged members (the first page gives the total), its
// two role trees and one user/permissions per member.
func ReadBound(users int, members []int) Calls {
	c := Calls{"user/getAllUsers": users/MaxPage + 1, "project/list": 1, "systemRole/list": 1}
	for _, m := range members {
		c["projectUser/list"] += max(1, ceilDiv(m, MaxPage))
		c["role/list"] += 2
		c["user/permissions"] += m
	}
	return c
}

// WriteBound is the fewest write calls that apply plan p with the API as
// documented, batchImport calls holding at most chunk users. See
// BENCHMARKS.md for the derivation.
func WriteBound(p *plan.Plan, chunk int) Calls {
	c := Calls{}
	leaving := map[string]bool{}
	deletedGroups := map[string]bool{}
	for _, ch := range p.Changes {
		switch {
		case ch.Kind == youdata.KindUser && ch.Action == plan.Delete:
			leaving[ch.Key] = true
		case ch.Kind == youdata.KindGroup && ch.Action == plan.Delete:
			deletedGroups[ch.Key] = true
		}
	}
	projectOf := func(key string) string { return key[:strings.IndexByte(key, '/')] }

	// batchImport: one call per chunk of users sharing the options of the
	// call (project, system roles to add, groups to join); users upserted
	// without any option share calls of their own.
	type joinKey struct{ project, user string }
	sysRoles := map[joinKey]string{}
	groups := map[joinKey][]string{}
	roleBound := map[joinKey]bool{}
	upserts := map[string]bool{}
	orgs := false
	groupDels := map[string]bool{}
	memberDels := map[string]int{}
	leavers := 0
	unbinds := map[string][]unbind{}     // project/folder → pairs to remove
	kept := map[string]map[string]bool{} // project/folder/role → users kept
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
			k := joinKey{projectOf(ch.Key), ch.After.String("user")}
			switch ch.Action {
			case plan.Delete:
				if u := ch.Before.String("user"); !leaving[u] {
					memberDels[projectOf(ch.Key)]++
				}
			case plan.Create:
				sysRoles[k] = strings.Join(ch.After.Strings("systemRoles"), ",")
			case plan.Update:
				added := sets.Minus(ch.After.Strings("systemRoles"), ch.Before.Strings("systemRoles"))
				if len(added) > 0 {
					sysRoles[k] = strings.Join(added, ",")
				}
				if removed := sets.Minus(ch.Before.Strings("systemRoles"), ch.After.Strings("systemRoles")); len(removed) > 0 {
					// user/delRoles with systemRoleIds: one per user at least
					// when no two share the set; counted like role unbinds.
					for _, r := range removed {
						unbinds[projectOf(ch.Key)+"/\x00sys"] = append(unbinds[projectOf(ch.Key)+"/\x00sys"], unbind{k.user, r})
					}
				}
			}
		case youdata.KindGroup:
			project := projectOf(ch.Key)
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
				k := joinKey{project, u}
				groups[k] = append(groups[k], ch.Key)
			}
			var gone []string
			for _, u := range sets.Minus(before, ch.After.Strings("members")) {
				if !leaving[u] {
					gone = append(gone, u)
				}
			}
			if len(gone) > 0 && ch.After.Has("members") {
				c["group/ext/delUsers"]++
			}
		case youdata.KindRole, youdata.KindDataPermission:
			project := projectOf(ch.Key)
			if ch.Action == plan.Delete || ch.Action == plan.Replace {
				c["role/ext/delete"]++
			}
			if ch.Action == plan.Delete {
				continue
			}
			if roleNeedsImport(ch) {
				c["role/importDataPermissions"]++
			}
			after := ch.After.Strings("users")
			for _, u := range sets.Minus(after, ch.Before.Strings("users")) {
				roleBound[joinKey{project, u}] = true
			}
			if ch.Action == plan.Update && ch.After.Has("users") {
				folder := project + "/" + ch.After.String("folder")
				role := ch.After.String("name") + "\x00" + string(ch.Kind)
				for _, u := range sets.Minus(ch.Before.Strings("users"), after) {
					if !leaving[u] {
						unbinds[folder] = append(unbinds[folder], unbind{u, role})
					}
				}
				k := map[string]bool{}
				for _, u := range after {
					k[u] = true
				}
				kept[folder+"/"+role] = k
			}
		case youdata.KindProject:
			switch ch.Action {
			case plan.Create:
				c["project/add"]++
				c["project/list"] = 1
			case plan.Update:
				c["project/update"]++
			case plan.Delete:
				c["project/del"]++
			}
		case youdata.KindSystemRole:
			switch ch.Action {
			case plan.Create:
				c["systemRole/add"]++
			case plan.Update:
				c["systemRole/update"]++
			case plan.Delete:
				c["systemRole/dels"] = 1
			}
		case youdata.KindResourceMembers:
			c["directResourcePerm/syncMembers"]++
		}
	}

	// batchImport: a call carries one projectId, groupIds and
	// systemRoleIds for all its users. Per project, a user whose only new
	// group is g is in a call whose groupIds are exactly [g]: one call per
	// such g (per chunk). A user joining the project (or gaining system
	// roles) without joining a group is in a call without groupIds: one
	// per set of system roles, unless it joins as a viewer through a role
	// that binds it. Users joining two groups or more may share those
	// calls and are not counted. Users only upserted share calls of their
	// own.
	singles := map[string]int{}
	plain := map[string]int{}
	joined := map[string]bool{}
	keys := map[joinKey]bool{}
	for k := range sysRoles {
		keys[k] = true
	}
	for k := range groups {
		keys[k] = true
	}
	for k := range keys {
		switch gs := groups[k]; {
		case len(gs) == 1:
			singles[k.project+"\x00"+gs[0]]++
		case len(gs) == 0:
			if sr := sysRoles[k]; sr == "viewer" && roleBound[k] {
				continue // upserted with the users of no project
			}
			plain[k.project+"\x00"+sysRoles[k]]++
		}
		joined[k.user] = true
	}
	free := 0
	for u := range upserts {
		if !joined[u] {
			free++
		}
	}
	n := ceilDiv(free, chunk)
	for _, v := range singles {
		n += ceilDiv(v, chunk)
	}
	for _, v := range plain {
		n += ceilDiv(v, chunk)
	}
	if n > 0 {
		c["user/batchImport"] = n
	}
	for folder, pairs := range unbinds {
		c["user/delRoles"] += foolingSet(folder, pairs, kept)
	}
	if c["user/delRoles"] == 0 {
		delete(c, "user/delRoles")
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
	return c
}

// roleNeedsImport reports whether a role change needs an
// importDataPermissions call: a create or replace, or an update that adds
// users, groups or departments, changes an expiry of one kept, or
// replaces the description, resources or rules. Unbinding a group the plan
// deletes needs no call: group/dels drops its bindings.
func roleNeedsImport(ch plan.Change) bool {
	if ch.Action != plan.Update {
		return true
	}
	for _, attr := range []string{"description", "resources", "rules"} {
		if a, ok := ch.After[attr]; ok && string(a) != string(ch.Before[attr]) {
			return true
		}
	}
	for _, f := range []struct{ list, exp string }{{"users", "user_expires"}, {"groups", "group_expires"}, {"orgs", "org_expires"}} {
		after := ch.After.Strings(f.list)
		if len(sets.Minus(after, ch.Before.Strings(f.list))) > 0 {
			return true
		}
		if !ch.After.Has(f.exp) || len(after) == 0 {
			continue
		}
		if !ch.Before.Has(f.exp) {
			if string(ch.After[f.list]) != string(ch.Before[f.list]) {
				// The expiries bound are not known: all are bound again.
				return true
			}
			continue
		}
		var aexp, bexp map[string]string
		_ = ch.After.Decode(f.exp, &aexp)
		_ = ch.Before.Decode(f.exp, &bexp)
		for _, x := range after {
			if aexp[x] != bexp[x] {
				return true
			}
		}
	}
	return false
}

// unbind is a (user, role) pair to unbind; role is "name\x00kind".
type unbind struct{ user, role string }

// foolingSet is the size of a greedy fooling set of the (user, role)
// pairs to unbind in one folder of a project: a user/delRoles call
// unbinds every user it names from every role it names, so two pairs
// share a call only if neither crossed pair is a binding to keep (kept,
// by folder/role). No two pairs of a fooling set can share a call, so its
// size is a lower bound of the calls.
func foolingSet(folder string, pairs []unbind, kept map[string]map[string]bool) int {
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].role != pairs[j].role {
			return pairs[i].role < pairs[j].role
		}
		return pairs[i].user < pairs[j].user
	})
	keeps := func(user, role string) bool { return kept[folder+"/"+role][user] }
	var set []unbind
	for _, p := range pairs {
		ok := true
		for _, q := range set {
			if !keeps(p.user, q.role) && !keeps(q.user, p.role) {
				ok = false
				break
			}
		}
		if ok {
			set = append(set, p)
		}
	}
	return len(set)
}
