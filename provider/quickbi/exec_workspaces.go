package quickbi

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// memberRoleIDs are the workspace role ids a member change sets, sorted.
func memberRoleIDs(c plan.Change) []int64 {
	var ids map[string]int64
	_ = c.After.Decode(attrRoleIDs, &ids)
	var out []int64
	for _, n := range c.After.Strings("roles") {
		if id, ok := ids[n]; ok {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// highestPredefined is the most privileged predefined role among ids (0
// when none is predefined).
func highestPredefined(ids []int64) int64 {
	var best int64
	for _, id := range ids {
		if workspaceRoleRank[id] > workspaceRoleRank[best] {
			best = id
		}
	}
	return best
}

// batchKey is one batch call: a workspace and a predefined role.
type batchKey struct {
	ws   string
	role int64
}

// runMembers adds workspace members and sets their roles with the fewest
// calls: members who get one predefined role are added together per role
// (AddWorkspaceUsers, up to 1000 a call) and changed together per role
// (UpdateWorkspaceUsersRole); a member with a custom role or several
// roles is added on its own (AddUserToWorkspace, or with the batch of its
// highest predefined role) and given its roles with
// UpdateWorkspaceUserRole, which replaces them.
func (a *executor) runMembers(ctx context.Context, idx []int) {
	adds := map[batchKey][]int{}
	sets := map[batchKey][]int{}
	riders := map[string][]int{} // members given several roles, by workspace
	var singles []provider.Call
	var followUp []int
	for _, i := range idx {
		c := a.change(i)
		ws := c.After.String(attrWorkspaceID)
		ids := memberRoleIDs(c)
		if len(ids) == 0 {
			a.SetFailed(i, fmt.Errorf("member %s: no role id known", c.Key))
			continue
		}
		switch c.Action {
		case plan.Create:
			switch {
			case len(ids) > 1:
				riders[ws] = append(riders[ws], i)
				followUp = append(followUp, i)
			case workspaceRoleRank[ids[0]] > 0:
				adds[batchKey{ws, ids[0]}] = append(adds[batchKey{ws, ids[0]}], i)
			default:
				user := c.After.String("user")
				singles = append(singles, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
					uid := a.userID(user)
					if uid == "" {
						return fmt.Errorf("AddUserToWorkspace %s: the UserId is not known", c.Key)
					}
					err := a.members.AddUserToWorkspace(ctx, ws, uid, ids[0])
					switch {
					case err == nil:
					case apiclient.Classify(err) == provider.AlreadyExists:
						// A member already (an earlier answer lost): give it
						// its role.
						if err := a.members.UpdateWorkspaceUserRole(ctx, ws, uid, ids); err != nil {
							return fmt.Errorf("UpdateWorkspaceUserRole %s: %w", c.Key, err)
						}
					default:
						return fmt.Errorf("AddUserToWorkspace %s: %w", c.Key, err)
					}
					return nil
				}})
			}
		case plan.Update:
			if !changed(c, "roles") {
				continue
			}
			if len(ids) == 1 && workspaceRoleRank[ids[0]] > 0 {
				sets[batchKey{ws, ids[0]}] = append(sets[batchKey{ws, ids[0]}], i)
				continue
			}
			singles = append(singles, a.setRolesCall(i, ids))
		default:
			a.unsupported(i)
		}
	}
	for _, ws := range sortedKeys(riders) {
		roles := map[int64]bool{}
		for k := range adds {
			if k.ws == ws {
				roles[k.role] = true
			}
		}
		for _, i := range riders[ws] {
			role := riderRole(memberRoleIDs(a.change(i)), roles)
			roles[role] = true
			adds[batchKey{ws, role}] = append(adds[batchKey{ws, role}], i)
		}
	}
	var calls []provider.Call
	for _, k := range sortedBatchKeys(adds) {
		for _, part := range chunks(adds[k], a.o.WorkspaceBatch) {
			calls = append(calls, a.batchCall(k, part, true))
		}
	}
	for _, k := range sortedBatchKeys(sets) {
		for _, part := range chunks(sets[k], a.o.WorkspaceBatch) {
			calls = append(calls, a.batchCall(k, part, false))
		}
	}
	calls = append(calls, singles...)
	a.RunStep(ctx, calls)

	var more []provider.Call
	for _, i := range a.Filter(followUp) {
		more = append(more, a.setRolesCall(i, memberRoleIDs(a.change(i))))
	}
	a.RunStep(ctx, more)
}

// riderRole is the predefined role a member given several roles is
// added with, before UpdateWorkspaceUserRole gives it its roles: that of
// a batch the workspace makes anyway (batches holds their roles) that is
// no more than the member's highest predefined role (an analyst for one
// given custom roles only), so that the member may hold it; else viewer,
// which anyone may hold, in a batch of its own.
func riderRole(ids []int64, batches map[int64]bool) int64 {
	limit := workspaceRoleRank[apiclient.WorkspaceRoleAnalyst]
	if top := highestPredefined(ids); top != 0 {
		limit = workspaceRoleRank[top]
	}
	var best int64
	for r := range batches {
		if rk := workspaceRoleRank[r]; rk <= limit && rk > workspaceRoleRank[best] {
			best = r
		}
	}
	if best == 0 {
		return apiclient.WorkspaceRoleViewer
	}
	return best
}

func sortedBatchKeys(m map[batchKey][]int) []batchKey {
	out := make([]batchKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ws != out[j].ws {
			return out[i].ws < out[j].ws
		}
		return out[i].role < out[j].role
	})
	return out
}

// setRolesCall replaces a member's roles (UpdateWorkspaceUserRole).
func (a *executor) setRolesCall(i int, ids []int64) provider.Call {
	c := a.change(i)
	ws, user := c.After.String(attrWorkspaceID), c.After.String("user")
	return provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
		uid := a.userID(user)
		if uid == "" {
			return fmt.Errorf("UpdateWorkspaceUserRole %s: the UserId is not known", c.Key)
		}
		if err := a.members.UpdateWorkspaceUserRole(ctx, ws, uid, ids); err != nil {
			return fmt.Errorf("UpdateWorkspaceUserRole %s: %w", c.Key, err)
		}
		return nil
	}}
}

// batchCall adds members with one predefined role (AddWorkspaceUsers),
// or sets it (UpdateWorkspaceUsersRole). A partial success fails exactly
// the changes of the users the server names; a user already a member
// (AE0150010001) is a member now, and gets the role with
// UpdateWorkspaceUsersRole.
func (a *executor) batchCall(k batchKey, idx []int, add bool) provider.Call {
	return provider.Call{Changes: idx, Run: func(ctx context.Context) error {
		byUser := map[string]int{}
		var uids []string
		for _, i := range idx {
			c := a.change(i)
			uid := a.userID(c.After.String("user"))
			if uid == "" {
				a.SetFailed(i, fmt.Errorf("member %s: the UserId is not known", c.Key))
				continue
			}
			byUser[uid] = i
			uids = append(uids, uid)
		}
		if len(uids) == 0 {
			return nil
		}
		action := "UpdateWorkspaceUsersRole"
		var err error
		if add {
			action = "AddWorkspaceUsers"
			_, err = a.members.AddWorkspaceUsers(ctx, k.ws, uids, k.role)
		} else {
			_, err = a.members.UpdateWorkspaceUsersRole(ctx, k.ws, uids, k.role)
		}
		already, err := a.partial(action, err, byUser)
		if err != nil {
			return err
		}
		if len(already) == 0 {
			return nil
		}
		sub := map[string]int{}
		for _, uid := range already {
			sub[uid] = byUser[uid]
		}
		_, err = a.members.UpdateWorkspaceUsersRole(ctx, k.ws, already, k.role)
		if _, err := a.partial("UpdateWorkspaceUsersRole", err, sub); err != nil {
			for _, uid := range already {
				a.SetFailed(sub[uid], err)
			}
		}
		return nil
	}}
}

// partial sorts out a batch call's error: a partial success fails the
// changes of the users that failed (but those already members, which it
// returns) and returns nil; any other error is returned as is.
func (a *executor) partial(action string, err error, byUser map[string]int) (already []string, _ error) {
	if err == nil {
		return nil, nil
	}
	var pf *apiclient.PartialFailureError
	if !errors.As(err, &pf) {
		return nil, fmt.Errorf("%s (%d users): %w", action, len(byUser), err)
	}
	for _, f := range pf.Failures {
		i, ok := byUser[f.UserID]
		if !ok {
			continue
		}
		if f.AlreadyMember() {
			already = append(already, f.UserID)
			continue
		}
		a.SetFailed(i, fmt.Errorf("%s: %s: %s", action, a.change(i).Key, f.Reason))
	}
	if pf.Unnamed > 0 {
		return nil, fmt.Errorf("%s: %d users failed without being named: %w", action, pf.Unnamed, err)
	}
	sort.Strings(already)
	return already, nil
}

// runDatasets writes rules, miss-hit policies and whitelists, then the
// switches: a level is switched on only once its rules and whitelist are
// as the files say.
func (a *executor) runDatasets(ctx context.Context, idx []int) {
	var first, switches []provider.Call
	for _, i := range idx {
		c := a.change(i)
		switch {
		case c.Kind == KindRule && (c.Action == plan.Create || c.Action == plan.Update):
			first = append(first, a.ruleCall(i))
		case c.Kind == KindDataLevel && c.Action == plan.Update:
			cube, rt := c.After.String(attrCubeID), c.After.String(attrRuleType)
			if changed(c, "missHit") {
				policy := strings.ToUpper(c.After.String("missHit"))
				first = append(first, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
					if err := a.datasets.SetDataLevelPermissionExtraConfig(ctx, cube, rt, policy); err != nil {
						return fmt.Errorf("SetDataLevelPermissionExtraConfig %s: %w", c.Key, err)
					}
					return nil
				}})
			}
			if changed(c, "whitelistUsers") || changed(c, "whitelistGroups") {
				first = append(first, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
					users, err := a.userIDList(c.After.Strings("whitelistUsers"))
					if err != nil {
						return fmt.Errorf("SetDataLevelPermissionWhiteList %s: %w", c.Key, err)
					}
					groups := c.After.Strings("whitelistGroups")
					if groups == nil {
						groups = []string{}
					}
					wl := apiclient.WhiteList{CubeID: cube, RuleType: rt, UsersModel: apiclient.UsersModel{Users: users, UserGroups: groups}}
					if err := a.datasets.SetDataLevelPermissionWhiteList(ctx, wl); err != nil {
						return fmt.Errorf("SetDataLevelPermissionWhiteList %s: %w", c.Key, err)
					}
					return nil
				}})
			}
			if changed(c, "enabled") {
				open := afterBool(c, "enabled")
				switches = append(switches, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
					if err := a.datasets.UpdateDataLevelPermissionStatus(ctx, cube, rt, open); err != nil {
						return fmt.Errorf("UpdateDataLevelPermissionStatus %s: %w", c.Key, err)
					}
					return nil
				}})
			}
		default:
			a.unsupported(i)
		}
	}
	a.RunStep(ctx, first)
	var pending []provider.Call
	for _, call := range switches {
		if a.Pending(call.Changes[0]) {
			pending = append(pending, call)
		}
	}
	a.RunStep(ctx, pending)
}

// ruleCall creates a rule (no rule id) or updates it (its id) with its
// whole model (SetDataLevelPermissionRuleConfig).
func (a *executor) ruleCall(i int) provider.Call {
	c := a.change(i)
	return provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
		users, err := a.userIDList(c.After.Strings("users"))
		if err != nil {
			return fmt.Errorf("SetDataLevelPermissionRuleConfig %s: %w", c.Key, err)
		}
		groups := c.After.Strings("groups")
		if groups == nil {
			groups = []string{}
		}
		scope := apiclient.RuleScopeOthers
		if afterBool(c, "all") {
			scope = apiclient.RuleScopeAll
		}
		m := apiclient.RuleModel{CubeID: c.After.String(attrCubeID), RuleName: c.After.String("name"),
			RuleLevelType: c.After.String(attrRuleType), RuleTargetScope: scope,
			RuleUsersModel: apiclient.RuleUsers{Users: users, UserGroups: groups},
			RuleContentModel: apiclient.RuleContent{RuleContentType: c.After.String("contentType"),
				RuleContentJSON: string(c.After["content"]), RuleOriginConfigJSON: c.After.String("origin")}}
		if c.Action == plan.Update {
			m.RuleID = c.Before.String("id")
		}
		for name, dst := range map[string]**int{"hitTakeEffect": &m.HitTakeEffect, "isOpen": &m.IsOpen} {
			if c.After.Has(name) {
				v := int(c.After.Int(name))
				*dst = &v
			}
		}
		saved, err := a.datasets.SetDataLevelPermissionRuleConfig(ctx, m)
		if err != nil {
			return fmt.Errorf("SetDataLevelPermissionRuleConfig %s: %w", c.Key, err)
		}
		if c.Action == plan.Create {
			if saved == nil || saved.RuleID == "" {
				return fmt.Errorf("SetDataLevelPermissionRuleConfig %s: the answer names no rule id", c.Key)
			}
			a.mu.Lock()
			a.ruleIDs[i] = saved.RuleID
			a.mu.Unlock()
			a.SetCreated(i, 0)
		}
		return nil
	}}
}

// deleteCalls make the deletions of rules, members, users and tags, one
// call each (the API has no batch for any). A member whose user the plan
// removes from the organization leaves with it.
func (a *executor) deleteCalls(idx []int) []provider.Call {
	var calls []provider.Call
	for _, i := range idx {
		c := a.change(i)
		if c.Action != plan.Delete {
			a.unsupported(i)
			continue
		}
		b := c.Before
		switch c.Kind {
		case KindRule:
			cube, id := b.String(attrCubeID), b.String("id")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: goneIsDone(func(ctx context.Context) error {
				if err := a.deletes.DeleteDataLevelRuleConfig(ctx, cube, id); err != nil {
					return fmt.Errorf("DeleteDataLevelRuleConfig %s: %w", c.Key, err)
				}
				return nil
			})})
		case KindMember:
			user := b.String("user")
			if j, ok := a.leaving[user]; ok {
				a.Rely(i, j, "removing "+user+" from the workspace was left to its removal from the organization", nil)
				continue
			}
			ws, uid := b.String(attrWorkspaceID), a.userID(user)
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.deletes.DeleteUserFromWorkspace(ctx, ws, uid); err != nil && !isGone(err) && !notApplied(err) {
					return fmt.Errorf("DeleteUserFromWorkspace %s: %w", c.Key, err)
				}
				return nil
			}})
		case KindUser:
			uid := b.String("id")
			heir := b.String("transferTo")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: goneIsDone(func(ctx context.Context) error {
				var hid string
				if heir != "" {
					if hid = a.userID(heir); hid == "" {
						return fmt.Errorf("DeleteUser %s: the UserId of its heir %s is not known", c.Key, heir)
					}
				}
				if err := a.deletes.DeleteUser(ctx, uid, hid); err != nil {
					return fmt.Errorf("DeleteUser %s: %w", c.Key, err)
				}
				return nil
			})})
		case KindTag:
			id := b.String("id")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: goneIsDone(func(ctx context.Context) error {
				if err := a.deletes.DeleteUserTagMeta(ctx, id); err != nil {
					return fmt.Errorf("DeleteUserTagMeta %s: %w", c.Key, err)
				}
				return nil
			})})
		default:
			a.unsupported(i)
		}
	}
	return calls
}
