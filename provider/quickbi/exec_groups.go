package quickbi

import (
	"context"
	"fmt"
	"sort"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/state"
)

// codeDuplicateGroupID is CreateUserGroup's answer for an id taken.
const codeDuplicateGroupID = "Duplicate.UserGroup.Id"

// serverParent is the parent id a group change names on the wire.
func serverParent(attrs plan.Attrs) string {
	if p := attrs.String("parent"); p != "" {
		return p
	}
	return apiclient.RootUserGroupID
}

// runGroups applies the group changes in steps:
//
//  1. renames and new descriptions (UpdateUserGroup), which may free a
//     name a new group takes;
//  2. the old group of each move whose copy takes its name is renamed
//     out of the way (group names are unique in the organization);
//  3. new groups and the copies of moved groups are created top-down,
//     parents before children, with the ids the plan names;
//  4. members are added with the fewest calls (AddUserGroupMember for many
//     users of one group, AddUserGroupMembers for one user of many groups)
//     and removed (one call per user);
//  5. the old group of each move whose copy has all its members is
//     deleted, bottom-up.
//
// So a moved group's members are in the copy before the old group goes:
// no user is ever out of a group they should be in. A copy that could not
// be made or filled leaves the old group as it was (the temporary name
// given back).
func (a *executor) runGroups(ctx context.Context, idx []int) {
	var renames, makes []int
	for _, i := range idx {
		switch a.change(i).Action {
		case plan.Update:
			renames = append(renames, i)
		case plan.Create, plan.Replace:
			makes = append(makes, i)
		default:
			a.unsupported(i)
		}
	}
	a.RunStep(ctx, a.renameCalls(renames))

	var clearing []provider.Call
	moving := map[int]bool{}
	for _, i := range a.Filter(makes) {
		c := a.change(i)
		if c.Action != plan.Replace || c.Before.String("name") != c.After.String("name") {
			continue
		}
		old := c.Before.String("id")
		moving[i] = true
		clearing = append(clearing, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
			if err := a.groups.UpdateUserGroup(ctx, apiclient.UpdateUserGroupRequest{UserGroupID: old, UserGroupName: movingName(old)}); err != nil {
				return fmt.Errorf("UpdateUserGroup %s (freeing its name for its copy): %w", old, err)
			}
			return nil
		}})
	}
	a.RunStep(ctx, clearing)

	for _, layer := range a.layers(a.Filter(makes), func(c plan.Change) (string, string) {
		return c.After.String("id"), serverParent(c.After)
	}, false) {
		a.SkipDependents(layer)
		a.RunStep(ctx, a.createCalls(a.Filter(layer), moving))
		for _, i := range layer {
			if !a.Progress(i).Created {
				c := a.change(i)
				a.Broken(plan.StateKey(c.Kind, c.Key), string(c.Action)+" failed")
			}
		}
	}
	rest := a.Filter(idx)
	a.SkipDependents(rest)
	a.RunStep(ctx, a.memberCalls(a.Filter(rest)))

	var olds []int
	for _, i := range a.Filter(makes) {
		if a.change(i).Action == plan.Replace {
			olds = append(olds, i)
		}
	}
	for _, layer := range a.layers(olds, func(c plan.Change) (string, string) {
		return c.Before.String("id"), serverParent(c.Before)
	}, true) {
		var calls []provider.Call
		for _, i := range a.Filter(layer) {
			old := a.change(i).Before.String("id")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.groups.DeleteUserGroup(ctx, old); err != nil && !isGone(err) {
					return fmt.Errorf("DeleteUserGroup %s (the old group of a move): %w", old, err)
				}
				a.SetDeleted(i)
				return nil
			}})
		}
		a.RunStep(ctx, calls)
	}
}

// layers orders changes of groups by their tree: each layer holds the
// changes whose group's parent is no other's group of idx (top-down), or
// with bottomUp whose group is no other's parent (leaves first). ids
// gives a change's group id and its parent's.
func (a *executor) layers(idx []int, ids func(plan.Change) (id, parent string), bottomUp bool) [][]int {
	left := map[int]bool{}
	byID := map[string]int{}
	for _, i := range idx {
		left[i] = true
		id, _ := ids(a.change(i))
		byID[id] = i
	}
	var out [][]int
	for len(left) > 0 {
		blocked := map[int]bool{}
		for i := range left {
			_, parent := ids(a.change(i))
			if bottomUp {
				if j, ok := byID[parent]; ok && left[j] && j != i {
					blocked[j] = true // a child of j is still there
				}
				continue
			}
			if j, ok := byID[parent]; ok && left[j] && j != i {
				blocked[i] = true
			}
		}
		var layer []int
		for i := range left {
			if !blocked[i] {
				layer = append(layer, i)
			}
		}
		if len(layer) == 0 { // a cycle: cannot happen in a tree
			for i := range left {
				layer = append(layer, i)
			}
		}
		sort.Ints(layer)
		for _, i := range layer {
			delete(left, i)
		}
		out = append(out, layer)
	}
	return out
}

// renameCalls rename groups and change descriptions (UpdateUserGroup).
func (a *executor) renameCalls(idx []int) []provider.Call {
	var calls []provider.Call
	for _, i := range idx {
		c := a.change(i)
		req := apiclient.UpdateUserGroupRequest{UserGroupID: c.Before.String("id")}
		if changed(c, "name") {
			req.UserGroupName = c.After.String("name")
		}
		if changed(c, "description") {
			d := c.After.String("description")
			req.UserGroupDescription = &d
		}
		if req.UserGroupName == "" && req.UserGroupDescription == nil {
			continue
		}
		calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
			if err := a.groups.UpdateUserGroup(ctx, req); err != nil {
				return fmt.Errorf("UpdateUserGroup %s: %w", req.UserGroupID, err)
			}
			return nil
		}})
	}
	return calls
}

// createCalls create groups and the copies of moved groups with the ids
// the plan names. An id found taken is the group an earlier attempt made
// (its answer lost): the id is the plan's own.
func (a *executor) createCalls(idx []int, moving map[int]bool) []provider.Call {
	var calls []provider.Call
	for _, i := range idx {
		c := a.change(i)
		req := apiclient.CreateUserGroupRequest{UserGroupName: c.After.String("name"), ParentUserGroupID: serverParent(c.After),
			UserGroupID: c.After.String("id"), UserGroupDescription: c.After.String("description")}
		if c.After.Has(attrCopyName) {
			// The copy an interrupted move made: name and describe it.
			u, ok := copyUpdate(c)
			if !ok {
				a.SetCreated(i, 0)
				continue
			}
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.groups.UpdateUserGroup(ctx, u); err != nil {
					return fmt.Errorf("UpdateUserGroup %s (the copy of a move): %w", u.UserGroupID, err)
				}
				a.SetCreated(i, 0)
				return nil
			}})
			continue
		}
		calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
			_, err := a.groups.CreateUserGroup(ctx, req)
			if err != nil && code(err) != codeDuplicateGroupID {
				if moving[i] {
					// Give the old group its name back: it stays as it was.
					old := c.Before.String("id")
					if rerr := a.groups.UpdateUserGroup(ctx, apiclient.UpdateUserGroupRequest{UserGroupID: old, UserGroupName: c.Before.String("name")}); rerr != nil {
						return fmt.Errorf("CreateUserGroup %s: %w (and giving group %s its name back: %v)", req.UserGroupID, err, old, rerr)
					}
				}
				return fmt.Errorf("CreateUserGroup %s: %w", req.UserGroupID, err)
			}
			a.SetCreated(i, 0)
			return nil
		}})
	}
	return calls
}

// copyUpdate is the UpdateUserGroup that gives the copy an interrupted
// move left the name and description the files say (false: none needed).
func copyUpdate(c plan.Change) (apiclient.UpdateUserGroupRequest, bool) {
	u := apiclient.UpdateUserGroupRequest{UserGroupID: c.After.String("id")}
	if name := c.After.String("name"); name != c.After.String(attrCopyName) {
		u.UserGroupName = name
	}
	if c.After.Has("description") {
		if d := c.After.String("description"); d != c.After.String(attrCopyDescription) {
			u.UserGroupDescription = &d
		}
	}
	return u, u.UserGroupName != "" || u.UserGroupDescription != nil
}

// memberCalls add and remove group members with the fewest calls the API
// allows (see memberCover). Removals of users the plan removes from the
// organization are left to DeleteUser.
func (a *executor) memberCalls(idx []int) []provider.Call {
	var adds []pair
	serves := map[pair][]int{} // pair → the changes it serves
	type removal struct {
		user  string
		group string
		i     int
	}
	var removals []removal
	for _, i := range idx {
		c := a.change(i)
		if !c.After.Has("members") {
			continue
		}
		gid := c.After.String("id")
		after := c.After.Strings("members")
		var add, remove []string
		switch c.Action {
		case plan.Create, plan.Replace:
			add = after
		default:
			before := c.Before.Strings("members")
			add, remove = minus(after, before), minus(before, after)
		}
		ids, err := a.userIDList(add)
		if err != nil {
			a.SetFailed(i, fmt.Errorf("group %s: %w", c.Key, err))
			continue
		}
		for _, uid := range ids {
			pr := pair{gid, uid}
			if len(serves[pr]) == 0 {
				adds = append(adds, pr)
			}
			serves[pr] = append(serves[pr], i)
		}
		for _, u := range remove {
			if j, ok := a.leaving[u]; ok {
				a.Rely(i, j, "removing "+u+" from the group was left to its removal from the organization", nil)
				continue
			}
			uid := a.userID(u)
			if uid == "" {
				a.SetFailed(i, fmt.Errorf("group %s: the UserId of %s is not known", c.Key, u))
				continue
			}
			removals = append(removals, removal{uid, gid, i})
		}
	}
	var calls []provider.Call
	byGroup, byUser := memberCover(adds)
	for _, gid := range sortedKeys(byGroup) {
		for _, users := range chunks(byGroup[gid], a.o.GroupBatch) {
			changes := map[int]bool{}
			for _, u := range users {
				for _, i := range serves[pair{gid, u}] {
					changes[i] = true
				}
			}
			calls = append(calls, provider.Call{Changes: sortedInts(changes), Run: func(ctx context.Context) error {
				if err := a.groups.AddUserGroupMember(ctx, gid, users); err != nil {
					return fmt.Errorf("AddUserGroupMember %s (%d users): %w", gid, len(users), err)
				}
				return nil
			}})
		}
	}
	for _, uid := range sortedKeys(byUser) {
		groups := byUser[uid]
		changes := map[int]bool{}
		for _, g := range groups {
			for _, i := range serves[pair{g, uid}] {
				changes[i] = true
			}
		}
		calls = append(calls, provider.Call{Changes: sortedInts(changes), Run: func(ctx context.Context) error {
			if err := a.groups.AddUserGroupMembers(ctx, uid, groups); err != nil {
				return fmt.Errorf("AddUserGroupMembers %s (%d groups): %w", uid, len(groups), err)
			}
			return nil
		}})
	}
	// Removals: one call per user, for all its groups.
	byRemoved := map[string][]removal{}
	for _, r := range removals {
		byRemoved[r.user] = append(byRemoved[r.user], r)
	}
	for _, uid := range sortedKeys(byRemoved) {
		rs := byRemoved[uid]
		changes := map[int]bool{}
		var groups []string
		for _, r := range rs {
			changes[r.i] = true
			groups = append(groups, r.group)
		}
		sort.Strings(groups)
		calls = append(calls, provider.Call{Changes: sortedInts(changes), Run: func(ctx context.Context) error {
			var err error
			action := "DeleteUserGroupMember"
			if len(groups) == 1 {
				err = a.groups.DeleteUserGroupMember(ctx, groups[0], uid)
			} else {
				action = "DeleteUserGroupMembers"
				err = a.groups.DeleteUserGroupMembers(ctx, uid, groups)
			}
			if err != nil && !notApplied(err) && !isGone(err) {
				return fmt.Errorf("%s %s (%d groups): %w", action, uid, len(groups), err)
			}
			return nil
		}})
	}
	return calls
}

func sortedInts(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for i := range m {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// runGroupDeletes deletes groups bottom-up: Quick BI refuses to delete
// a group that still has child groups.
func (a *executor) runGroupDeletes(ctx context.Context, idx []int) {
	for _, layer := range a.layers(idx, func(c plan.Change) (string, string) {
		return c.Before.String("id"), serverParent(c.Before)
	}, true) {
		var calls []provider.Call
		for _, i := range a.Filter(layer) {
			c := a.change(i)
			if c.Action != plan.Delete {
				a.unsupported(i)
				continue
			}
			id := c.Before.String("id")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.groups.DeleteUserGroup(ctx, id); err != nil && !isGone(err) {
					return fmt.Errorf("DeleteUserGroup %s: %w", id, err)
				}
				a.forgetMovedGroup(c, id)
				return nil
			}})
		}
		a.RunStep(ctx, calls)
	}
}

// forgetMovedGroup drops from the state the record of a group of the
// files that moved (its server id ends in MovedSuffix) and is deleted
// now: the state keys it by the files' id, the deletion by the server's.
func (a *executor) forgetMovedGroup(c plan.Change, id string) {
	fid := fileGroupID(id)
	if fid == c.Key {
		return
	}
	for _, o := range a.plan.Changes {
		if o.Kind == KindGroup && o.Key == fid {
			return
		}
	}
	a.UpdateState(func(st *state.State) bool {
		k := plan.StateKey(KindGroup, fid)
		if _, ok := st.Objects[k]; !ok {
			return false
		}
		st.Delete(k)
		return true
	})
}
