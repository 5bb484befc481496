package quickbi

import (
	"sort"
	"strconv"
	"strings"

	"github.com/permsync/permsync/plan"
)

// Calls counts API calls by action ("AddUser").
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

// pagesOf is the calls that list n items, MaxBatch a page: one at least,
// since the first page says how many there are.
func pagesOf(n int) int { return max(1, ceilDiv(n, MaxBatch)) }

// ReadBound is the fewest calls that read what scope covers of the
// organization live holds, with the actions the API has:
//
//   - the members, the workspaces: one page of at most 1000 each (the
//     first page gives the total, so a full last page needs no extra
//     call); the custom organization roles and the tag definitions: one
//     call each, and none of them can be left out (a reference to a user,
//     a role or a tag must be resolved against them);
//   - a member's tag values: one call per member whose tags the files
//     manage (QueryUserTagValueList takes one UserId);
//   - the group tree: the API lists the children of one group per call,
//     so every group of the tree and the root is one call; a group whose
//     members the files manage is read by QueryUserGroupMember, which
//     also shows whether it has child groups (none: no listing of its
//     children), and by a listing of its children when it has any
//     (QueryUserGroupMember gives no descriptions); so is a group holding
//     the name of one of the files' groups (one made again by hand, which
//     the plan may take for it) and one whose server id the state records
//     (KnownScope), whose members the plan compares with the files';
//   - per workspace the files name: its members (pages) and its roles
//     when the files list members, every role of each member that holds
//     several (one call per member, all workspaces at once) where the
//     workspace has custom roles or the files give several; its datasets
//     (pages) when the files name some, and per level the files set one
//     call for its rules, miss-hit policy and switch, one more for its
//     whitelist when the files set it.
//
// It counts what live holds, so it is what ReadLive does: the read is at
// its bound.
func ReadBound(live *Live, scope ReadScope) Calls {
	c := Calls{
		"QueryUserList":                  pagesOf(len(live.Users)),
		"ListOrganizationRoles":          1,
		"QueryUserTagMetaList":           1,
		"QueryOrganizationWorkspaceList": pagesOf(len(live.Workspaces)),
	}
	if scope.All {
		c["QueryUserTagValueList"] = len(live.Users)
	} else {
		seen := map[string]bool{}
		for _, a := range scope.TagUsers {
			// A read that refreshed what changed needs the values of the
			// members it was to read alone.
			if u := live.User(a); u != nil && !seen[u.UserID] && !live.tagsAssumed(u.UserID) {
				seen[u.UserID] = true
				c["QueryUserTagValueList"]++
			}
		}
	}
	if scope.Groups || scope.All {
		want, wantName := map[string]bool{}, map[string]bool{}
		for _, id := range scope.MemberGroups {
			want[id] = true
		}
		for _, name := range scope.MemberGroupNames {
			wantName[name] = true
		}
		c["QueryUserGroupListByParentId"] = 1
		for _, id := range sortedKeys(live.Groups) {
			g := live.Groups[id]
			if scope.All || want[id] || want[fileGroupID(id)] || wantName[g.Name] {
				c["QueryUserGroupMember"]++
				if len(g.Children) > 0 {
					c["QueryUserGroupListByParentId"]++
				}
				continue
			}
			c["QueryUserGroupListByParentId"]++
		}
	}
	var scopes []WorkspaceScope
	var read []*LiveWorkspace
	if scope.All {
		for _, id := range sortedKeys(live.Workspaces) {
			read = append(read, live.Workspaces[id])
			scopes = append(scopes, WorkspaceScope{Members: true})
		}
	} else {
		seen := map[string]bool{}
		for _, sc := range scope.Workspaces {
			ws := sc.resolve(live)
			if ws == nil || seen[ws.ID] {
				continue
			}
			seen[ws.ID] = true
			read = append(read, ws)
			scopes = append(scopes, sc)
		}
	}
	allRoles := map[string]bool{}
	for i, ws := range read {
		sc := scopes[i]
		if sc.Members {
			c["QueryWorkspaceUserList"] += pagesOf(len(ws.Members))
			c["ListWorkspaceRoles"]++
			for id := range ws.Members {
				if len(ws.Roles) > 0 {
					allRoles[id] = true
				}
			}
			for _, a := range sc.AllRolesOf {
				if u := live.User(a); u != nil && ws.Members[u.UserID] != nil {
					allRoles[u.UserID] = true
				}
			}
		}
		if len(sc.Datasets) == 0 && !scope.All {
			continue
		}
		c["QueryDatasetList"] += pagesOf(len(ws.Datasets))
		if scope.All {
			c["ListCubeDataLevelPermissionConfig"] += 2 * len(ws.Datasets)
			c["ListDataLevelPermissionWhiteList"] += 2 * len(ws.Datasets)
			continue
		}
		done := map[string]bool{}
		for _, ds := range sc.Datasets {
			d := ws.Datasets[ds.ID]
			if ds.ID == "" {
				var found []*LiveDataset
				for _, id := range sortedKeys(ws.Datasets) {
					if ws.Datasets[id].Name == ds.Name {
						found = append(found, ws.Datasets[id])
					}
				}
				if len(found) == 1 {
					d = found[0]
				}
			}
			if d == nil {
				continue
			}
			for level, wl := range ds.Levels {
				if done[d.ID+"/"+level] {
					continue
				}
				done[d.ID+"/"+level] = true
				c["ListCubeDataLevelPermissionConfig"]++
				if wl {
					c["ListDataLevelPermissionWhiteList"]++
				}
			}
		}
	}
	if len(allRoles) > 0 {
		c["ListWorkspaceUserRolesByUserId"] = len(allRoles)
	}
	for k, v := range c {
		if v == 0 {
			delete(c, k)
		}
	}
	return c
}

// WriteBound is the fewest write calls that apply plan p with the API as
// documented. Every action takes one object but these: AddUserGroupMember
// (many users into one group) and AddUserGroupMembers (one user into many
// groups), AddWorkspaceUsers and UpdateWorkspaceUsersRole (many users,
// one predefined role, at most 1000 a call). So:
//
//   - a tag: one call to define it, one to change its description, one to
//     delete it;
//   - a user: AddUser (and UpdateUser when it starts inactive), or one
//     UpdateUser for whatever of nick, type, roles and inactive changes;
//     one UpdateUserTagValue per tag value set or cleared; one DeleteUser;
//   - a group: CreateUserGroup, UpdateUserGroup for a new name or
//     description, DeleteUserGroup; a move is a create and a delete, and
//     an UpdateUserGroup first when the copy takes the old group's name
//     (names are unique in the organization);
//   - group members to add: each call covers the pairs (group, user) of
//     one group or of one user, so no call adds two pairs of a matching:
//     the size of a maximum matching of the pairs (the size of a minimum
//     vertex cover, König) is the bound, and a group of that cover that
//     takes more than 1000 users takes ceil(n/1000) calls (with the cap
//     the least number of calls is a weighted cover; the cover of the
//     fewest vertices, chunked, is what the executor makes, and the two
//     differ only when a group of over 1000 new users shares most of
//     them with other groups); members to remove: one call per
//     user (DeleteUserGroupMember(s) name one user), none for a user the
//     plan removes from the organization (DeleteUser takes it out of
//     every group);
//   - workspace members to add, per workspace: a batch per predefined
//     role given alone (ceil(n/1000)); a member given a custom role alone
//     takes a call of its own (the batch takes predefined roles only); a
//     member given several roles needs an UpdateWorkspaceUserRole of its
//     own (no other action gives several), and is added in a batch the
//     workspace has anyway with a role no higher than its own, or in one
//     more batch (viewer) shared by all such members (riderRole: no
//     member ever holds, even for a moment, more than the files give it);
//     role changes: a batch per
//     predefined role given alone, one call each otherwise; one
//     DeleteUserFromWorkspace per member removed, none for a user the plan
//     removes from the organization;
//   - a level: one call each for its miss-hit policy, its whitelist and
//     its switch when they change; a rule: one call to create or update
//     it (its whole model), one to delete it.
func WriteBound(p *plan.Plan) Calls {
	c := Calls{}
	leaving := map[string]bool{}
	for _, ch := range p.Changes {
		if ch.Kind == KindUser && ch.Action == plan.Delete {
			leaving[ch.Key] = true
		}
	}
	var adds []pair
	removed := map[string]bool{}
	type wsRoles struct {
		single map[int64]int // creates given one predefined role
		riders [][]int64     // the roles of creates given several
		custom int
		sets   map[int64]int
		setOne int
	}
	ws := map[string]*wsRoles{}
	wsOf := func(id string) *wsRoles {
		if ws[id] == nil {
			ws[id] = &wsRoles{single: map[int64]int{}, sets: map[int64]int{}}
		}
		return ws[id]
	}
	for _, ch := range p.Changes {
		switch ch.Kind {
		case KindTag:
			switch {
			case ch.Action == plan.Create:
				c["AddUserTagMeta"]++
			case ch.Action == plan.Delete:
				c["DeleteUserTagMeta"]++
			case changed(ch, "description"):
				c["UpdateUserTagMeta"]++
			}
		case KindUser:
			switch ch.Action {
			case plan.Delete:
				c["DeleteUser"]++
				continue
			case plan.Create:
				c["AddUser"]++
				if afterBool(ch, "inactive") {
					c["UpdateUser"]++
				}
			default:
				for _, f := range []string{"nick", "type", "roles", "inactive"} {
					if changed(ch, f) {
						c["UpdateUser"]++
						break
					}
				}
			}
			var after, before map[string][]string
			if ch.After.Decode("tags", &after) == nil {
				_ = ch.Before.Decode("tags", &before)
				for name, vals := range after {
					if ch.Action == plan.Create && len(vals) == 0 || ch.Action == plan.Update && sameStrings(before[name], vals) {
						continue
					}
					c["UpdateUserTagValue"]++
				}
			}
		case KindGroup:
			switch ch.Action {
			case plan.Delete:
				c["DeleteUserGroup"]++
				continue
			case plan.Create:
				c["CreateUserGroup"]++
			case plan.Replace:
				switch _, update := copyUpdate(ch); {
				case !ch.After.Has(attrCopyName):
					c["CreateUserGroup"]++
				case update:
					c["UpdateUserGroup"]++
				}
				c["DeleteUserGroup"]++
				if ch.Before.String("name") == ch.After.String("name") {
					c["UpdateUserGroup"]++
				}
			default:
				if changed(ch, "name") || changed(ch, "description") {
					c["UpdateUserGroup"]++
				}
			}
			if !ch.After.Has("members") {
				continue
			}
			gid := ch.After.String("id")
			after := ch.After.Strings("members")
			add, rem := after, []string(nil)
			if ch.Action == plan.Update {
				before := ch.Before.Strings("members")
				add, rem = minus(after, before), minus(before, after)
			}
			for _, u := range add {
				adds = append(adds, pair{gid, u})
			}
			for _, u := range rem {
				if !leaving[u] {
					removed[u] = true
				}
			}
		case KindMember:
			switch ch.Action {
			case plan.Delete:
				if !leaving[ch.Before.String("user")] {
					c["DeleteUserFromWorkspace"]++
				}
			case plan.Create:
				w := wsOf(ch.After.String(attrWorkspaceID))
				ids := memberRoleIDs(ch)
				switch {
				case len(ids) > 1:
					w.riders = append(w.riders, ids)
				case len(ids) == 1 && workspaceRoleRank[ids[0]] > 0:
					w.single[ids[0]]++
				default:
					w.custom++
				}
			case plan.Update:
				if !changed(ch, "roles") {
					continue
				}
				w := wsOf(ch.After.String(attrWorkspaceID))
				if ids := memberRoleIDs(ch); len(ids) == 1 && workspaceRoleRank[ids[0]] > 0 {
					w.sets[ids[0]]++
				} else {
					w.setOne++
				}
			}
		case KindDataLevel:
			for _, f := range []struct{ attr, action string }{{"missHit", "SetDataLevelPermissionExtraConfig"}, {"enabled", "UpdateDataLevelPermissionStatus"}} {
				if changed(ch, f.attr) {
					c[f.action]++
				}
			}
			if changed(ch, "whitelistUsers") || changed(ch, "whitelistGroups") {
				c["SetDataLevelPermissionWhiteList"]++
			}
		case KindRule:
			if ch.Action == plan.Delete {
				c["DeleteDataLevelRuleConfig"]++
			} else {
				c["SetDataLevelPermissionRuleConfig"]++
			}
		}
	}
	if len(adds) > 0 {
		// Users are named as the plan names them: one name, one user.
		byGroup, byUser := memberCover(adds)
		n := len(byUser)
		for _, users := range byGroup {
			n += ceilDiv(len(users), MaxBatch)
		}
		c["AddUserGroupMember(s)"] = n
	}
	if len(removed) > 0 {
		c["DeleteUserGroupMember(s)"] = len(removed)
	}
	for _, w := range ws {
		batches := map[int64]bool{}
		for r := range w.single {
			batches[r] = true
		}
		for _, ids := range w.riders {
			r := riderRole(ids, batches)
			batches[r] = true
			w.single[r]++
		}
		for _, n := range w.single {
			c["AddWorkspaceUsers"] += ceilDiv(n, MaxBatch)
		}
		c["AddUserToWorkspace"] += w.custom
		c["UpdateWorkspaceUserRole"] += len(w.riders) + w.setOne
		for _, n := range w.sets {
			c["UpdateWorkspaceUsersRole"] += ceilDiv(n, MaxBatch)
		}
	}
	for k, v := range c {
		if v == 0 {
			delete(c, k)
		}
	}
	return c
}

// Merged folds the calls of the two member actions each into one count,
// as WriteBound counts them: AddUserGroupMember and AddUserGroupMembers
// into "AddUserGroupMember(s)", DeleteUserGroupMember and
// DeleteUserGroupMembers into "DeleteUserGroupMember(s)".
func (c Calls) Merged() Calls {
	out := Calls{}
	for k, v := range c {
		switch k {
		case "AddUserGroupMember", "AddUserGroupMembers":
			k = "AddUserGroupMember(s)"
		case "DeleteUserGroupMember", "DeleteUserGroupMembers":
			k = "DeleteUserGroupMember(s)"
		}
		out[k] += v
	}
	return out
}

// String lists the calls, sorted by action.
func (c Calls) String() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(strconv.Itoa(c[k]))
	}
	return b.String()
}
