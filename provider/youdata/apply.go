package youdata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// runPhase makes the calls of one phase. Phases with inner dependencies
// (a replace deletes before it creates, a group exists before members join
// it) run in steps; the calls of a step run concurrently.
func (a *executor) RunPhase(ctx context.Context, ph int, idx []int) {
	idx = a.Filter(idx)
	if len(idx) == 0 {
		return
	}
	switch ph {
	case PhaseSystemRoles:
		a.RunStep(ctx, a.systemRoleCalls(idx))
	case PhaseDepartments:
		a.RunStep(ctx, a.orgCalls(idx))
	case PhaseUsers:
		a.RunStep(ctx, a.userCalls(idx))
	case PhaseProjects:
		a.runProjects(ctx, idx)
	case PhaseGroups:
		a.runGroups(ctx, idx)
	case PhaseRoles:
		a.runRoles(ctx, idx)
	case PhaseResourceMembers:
		a.RunStep(ctx, a.resourceMemberCalls(idx))
	default:
		a.RunStep(ctx, a.deleteCalls(idx))
	}
}

func (a *executor) change(i int) plan.Change { return a.plan.Changes[i] }

// changed reports whether a create, replace or update sets the attribute:
// it is in After and, for an update, differs from Before. An attribute
// After does not hold is left alone, whatever Before says.
func changed(c plan.Change, name string) bool {
	after, ok := c.After[name]
	if !ok {
		return false
	}
	if c.Action == plan.Create || c.Action == plan.Replace {
		return true
	}
	before, ok := c.Before[name]
	return !ok || !bytes.Equal(before, after)
}

func strPtr(s string) *string { return &s }

// ---- system roles ----

func (a *executor) systemRoleCalls(idx []int) []provider.Call {
	var calls []provider.Call
	for _, i := range idx {
		i, c := i, a.change(i)
		switch c.Action {
		case plan.Create:
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				id, err := a.sysRoles.AddSystemRole(ctx, c.After.String("name"), c.After.String("description"))
				if err != nil {
					return err
				}
				a.SetID(i, id)
				a.mu.Lock()
				a.sysRoleIDs[c.Key] = id
				a.mu.Unlock()
				return nil
			}})
		case plan.Update:
			req := apiclient.SystemRoleUpdateRequest{ID: c.Before.Int("id")}
			if changed(c, "name") {
				req.Name = strPtr(c.After.String("name"))
			}
			if changed(c, "description") {
				req.Description = strPtr(c.After.String("description"))
			}
			if req.Name == nil && req.Description == nil {
				a.moveState(c)
				continue // nothing the API holds changed
			}
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.sysRoles.UpdateSystemRole(ctx, req); err != nil {
					return err
				}
				a.moveState(c)
				return nil
			}})
		default:
			a.SetFailed(i, fmt.Errorf("%s %s: action %s is not supported", c.Kind, c.Key, c.Action))
		}
	}
	return calls
}

// ---- company and departments ----

// orgCalls makes one syncOrg call for every department created or updated
// and the company name.
func (a *executor) orgCalls(idx []int) []provider.Call {
	var req apiclient.SyncOrgRequest
	var served []int
	for _, i := range idx {
		c := a.change(i)
		switch c.Kind {
		case KindCompany:
			req.CompanyName = c.After.String("name")
		case KindDepartment:
			admins := c.After.Strings("admins")
			req.UpdatedOrgs = append(req.UpdatedOrgs, apiclient.Org{
				OrgCode:           c.After.String("code"),
				Name:              c.After.String("name"),
				ParentOrgCode:     c.After.String("parent"),
				OrgAdminUniqueIDs: admins,
				Description:       c.After.String("description"),
			})
		}
		served = append(served, i)
	}
	if len(req.UpdatedOrgs) == 0 && req.CompanyName == "" {
		return nil
	}
	return []provider.Call{{Changes: served, Run: func(ctx context.Context) error { return a.orgs.SyncOrg(ctx, req) }}}
}

// ---- users ----

// userOrg is a user's department in attributes.

func decodeUserOrgs(attrs plan.Attrs) []apiclient.UserOrg {
	var orgs []userOrg
	if attrs.Decode("orgs", &orgs) != nil {
		return nil
	}
	out := make([]apiclient.UserOrg, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, apiclient.UserOrg{OrgCode: o.Code, OrgRole: o.Role})
	}
	return out
}

// importUser is the batchImport entry of a user change: every facet of a
// create, the changed facets of an update.
func importUser(c plan.Change) (apiclient.ImportUser, error) {
	u := apiclient.ImportUser{UniqueID: c.Key}
	for _, name := range []string{"email", "phone", "nick", "department", "company", "position"} {
		if !changed(c, name) {
			continue
		}
		v := strPtr(c.After.String(name))
		switch name {
		case "email":
			u.Email = v
		case "phone":
			u.Phone = v
		case "nick":
			u.Nick = v
		case "department":
			u.Department = v
		case "company":
			u.Company = v
		case "position":
			u.Position = v
		}
	}
	if changed(c, "customInfo") {
		u.CustomInfo = append(json.RawMessage(nil), c.After["customInfo"]...)
	}
	if changed(c, "left") {
		var left bool
		if err := c.After.Decode("left", &left); err != nil {
			return u, err
		}
		n := 0
		if left {
			n = 1
		}
		u.IfLeave = &n
	}
	if changed(c, "allowExternal") {
		var allow bool
		if err := c.After.Decode("allowExternal", &allow); err != nil {
			return u, err
		}
		u.NetworkConfig = &apiclient.NetworkConfig{AllowExternal: allow}
	}
	if changed(c, "orgs") {
		u.UserOrgs = decodeUserOrgs(c.After)
		if u.UserOrgs == nil {
			u.UserOrgs = []apiclient.UserOrg{}
		}
	}
	if changed(c, "attrs") || changed(c, "attrs_cleared") {
		var attrs map[string]json.RawMessage
		if err := c.After.Decode("attrs", &attrs); err != nil {
			return u, err
		}
		// Those permsync set that the files no longer list: cleared.
		for _, n := range c.After.Strings("attrs_cleared") {
			if _, ok := attrs[n]; !ok {
				attrs[n] = json.RawMessage("null")
			}
		}
		names := make([]string, 0, len(attrs))
		for n := range attrs {
			names = append(names, n)
		}
		sort.Strings(names)
		u.Attrs = []apiclient.AttrValue{}
		for _, n := range names {
			av := apiclient.AttrValue{AttrName: n}
			if id, err := strconv.ParseInt(n, 10, 64); err == nil && id > 0 {
				av = apiclient.AttrValue{AttrID: id}
			}
			if raw := strings.TrimSpace(string(attrs[n])); raw != "null" {
				vals := []string{}
				if err := json.Unmarshal(attrs[n], &vals); err != nil {
					return u, fmt.Errorf("user %s: attribute %s: %w", c.Key, n, err)
				}
				av.AttrValue = &vals
			}
			u.Attrs = append(u.Attrs, av)
		}
	}
	return u, nil
}

// userCalls upserts users in batchImport calls of at most o.BatchSize
// users. The fields of a user apply to that user only, so user changes
// share calls; a user who also joins an existing project (a member
// create) joins it in the same call, so users are grouped by the project
// options of their call.
func (a *executor) userCalls(idx []int) []provider.Call {
	type entry struct {
		i      int
		u      apiclient.ImportUser
		member *memberPlan
	}
	joins := a.foldableMembers()
	type groupKey struct {
		pid         int64
		add, custom string
	}
	groups := map[groupKey][]entry{}
	var keys []groupKey
	for _, i := range idx {
		c := a.change(i)
		if c.Action != plan.Create && c.Action != plan.Update {
			a.SetFailed(i, fmt.Errorf("%s %s: action %s is not supported", c.Kind, c.Key, c.Action))
			continue
		}
		u, err := importUser(c)
		if err != nil {
			a.SetFailed(i, err)
			continue
		}
		e := entry{i: i, u: u}
		k := groupKey{}
		if mp, ok := joins[c.Key]; ok {
			e.member = &mp
			k = groupKey{mp.pid, fmt.Sprint(mp.add), fmt.Sprint(mp.wholeCustom)}
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], e)
	}
	var calls []provider.Call
	for _, k := range keys {
		for _, chunk := range chunks(groups[k], a.o.BatchSize) {
			req := apiclient.BatchImportRequest{}
			if m := chunk[0].member; m != nil {
				req.ProjectID, req.SystemRoleIDs, req.WholeCustomSystemRoleIDs = m.pid, m.add, m.wholeCustom
			}
			served := make([]int, 0, len(chunk))
			byUser := map[string][]int{}
			for _, e := range chunk {
				req.Users = append(req.Users, e.u)
				served = append(served, e.i)
				byUser[e.u.UniqueID] = append(byUser[e.u.UniqueID], e.i)
				if e.member != nil {
					served = append(served, e.member.i)
					byUser[e.u.UniqueID] = append(byUser[e.u.UniqueID], e.member.i)
					a.mu.Lock()
					a.joined[e.member.i] = true
					a.mu.Unlock()
				}
				if e.u.UserOrgs != nil {
					req.ReturnOrgFailedUsers = true
				}
			}
			calls = append(calls, provider.Call{Changes: served, Run: func(ctx context.Context) error {
				failed, err := a.users.BatchImport(ctx, req)
				if err != nil {
					return err
				}
				for _, e := range chunk {
					if e.member != nil {
						a.SetCreated(e.member.i, 0) // the user joined the project
					}
				}
				for _, f := range failed {
					for _, i := range byUser[f.UniqueID] {
						a.SetFailed(i, fmt.Errorf("user %s: departments not synced: %s", f.UniqueID, f.Message))
					}
				}
				return nil
			}})
		}
	}
	return calls
}

// foldableMembers are the member creates that can join their project in
// the batchImport that upserts the user: one per user, in a project that
// exists, by uniqueId.
func (a *executor) foldableMembers() map[string]memberPlan {
	out := map[string]memberPlan{}
	for i, c := range a.plan.Changes {
		if c.Kind != KindMember || c.Action != plan.Create || c.After.Int("project_id") == 0 || !a.Pending(i) {
			continue
		}
		mp, err := a.memberPlan(i, nil)
		if err != nil {
			continue // reported in its own phase
		}
		if _, dup := out[mp.user]; !dup {
			out[mp.user] = mp
		}
	}
	return out
}

// ---- projects and members ----

func (a *executor) runProjects(ctx context.Context, idx []int) {
	var projects, members []int
	for _, i := range idx {
		if a.change(i).Kind == KindProject {
			projects = append(projects, i)
		} else {
			members = append(members, i)
		}
	}
	var created []int
	var calls []provider.Call
	for _, i := range projects {
		i, c := i, a.change(i)
		switch c.Action {
		case plan.Create:
			req := apiclient.ProjectAddRequest{Name: c.After.String("name"), Description: c.After.String("description")}
			for _, r := range c.After.Strings("receivers") {
				req.ReceiverList = append(req.ReceiverList, apiclient.Receiver{Type: "user", Name: r})
			}
			created = append(created, i)
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.projects.AddProject(ctx, req); err != nil {
					return err
				}
				a.SetCreated(i, 0)
				return nil
			}})
		case plan.Update:
			req := apiclient.ProjectUpdateRequest{ID: c.Before.Int("id")}
			if changed(c, "name") {
				req.Name = strPtr(c.After.String("name"))
			}
			if changed(c, "description") {
				req.Description = strPtr(c.After.String("description"))
			}
			if req.Name == nil && req.Description == nil {
				a.moveState(c)
				continue
			}
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.projects.UpdateProject(ctx, req); err != nil {
					return err
				}
				a.moveState(c)
				return nil
			}})
		default:
			a.SetFailed(i, fmt.Errorf("%s %s: action %s is not supported", c.Kind, c.Key, c.Action))
		}
	}
	a.RunStep(ctx, calls)
	if created = a.Filter(created); len(created) > 0 {
		// project/add answers no id: read it back.
		a.RunStep(ctx, []provider.Call{{Changes: created, Run: func(ctx context.Context) error {
			list, err := a.projects.ListProjects(ctx)
			if err != nil {
				return fmt.Errorf("project created, but its id could not be read back: %w", err)
			}
			byName := map[string]int64{}
			for _, p := range list {
				byName[p.Name] = p.ID
			}
			for _, i := range created {
				c := a.change(i)
				id, ok := byName[c.After.String("name")]
				if !ok {
					a.SetFailed(i, fmt.Errorf("project %s: created, but project/list does not show it", c.Key))
					continue
				}
				a.SetCreated(i, id)
				a.mu.Lock()
				a.projectIDs[c.Key] = id
				a.mu.Unlock()
			}
			return nil
		}}})
		// The members of a project whose create failed are skipped.
		for _, i := range created {
			if !a.Pending(i) {
				a.Broken(plan.StateKey(KindProject, a.change(i).Key), string(plan.Create)+" "+a.Outcome(i))
			}
		}
		a.SkipDependents(members)
	}
	a.runMembers(ctx, a.Filter(members))
}

// memberPlan is what a member change needs: system roles to add through
// batchImport, and to remove through user/delRoles.
type memberPlan struct {
	i           int
	pid         int64
	user        string
	join        bool    // batchImport needed
	add         []int64 // built-in system roles to add
	wholeCustom []int64 // custom system roles, full replace; nil: untouched
	remove      []int64 // system roles to unbind
}

func (a *executor) memberPlan(i int, receivers map[string]map[string]bool) (memberPlan, error) {
	c := a.change(i)
	mp := memberPlan{i: i, pid: a.projectID(c), user: c.After.String("user")}
	if mp.user == "" {
		mp.user = c.Address(Registry).Name()
	}
	if mp.pid == 0 {
		return mp, errNoProjectID(c)
	}
	// A receiver of a project created by this plan is a member already.
	receiver := receivers[a.projectOf(c)][mp.user]
	mp.join = c.Action == plan.Create && !receiver
	if !c.After.Has("systemRoles") || (c.Action == plan.Update && !changed(c, "systemRoles")) {
		return mp, nil
	}
	ids := func(names []string, known map[string]int64) (builtin, custom []int64, err error) {
		for _, n := range names {
			if id, ok := builtinSystemRoleIDs[n]; ok {
				builtin = append(builtin, id)
				continue
			}
			id, ok := known[n]
			if !ok {
				a.mu.Lock()
				id, ok = a.sysRoleIDs[n]
				a.mu.Unlock()
			}
			if !ok {
				return nil, nil, fmt.Errorf("member %s: the id of system role %q is not known", c.Key, n)
			}
			custom = append(custom, id)
		}
		return builtin, custom, nil
	}
	var wantIDs, haveIDs map[string]int64
	_ = c.After.Decode("system_role_ids", &wantIDs)
	_ = c.Before.Decode("system_role_ids", &haveIDs)
	wantB, wantC, err := ids(c.After.Strings("systemRoles"), wantIDs)
	if err != nil {
		return mp, err
	}
	var haveB, haveC []int64
	if c.Action == plan.Create {
		// What joining gives: admin to the receivers of a project created
		// by this plan, viewer to a member added without a built-in role.
		if receiver {
			haveB = append(haveB, apiclient.SystemRoleAdmin)
		} else if len(wantB) == 0 {
			haveB = append(haveB, apiclient.SystemRoleViewer)
		}
	} else {
		if haveB, haveC, err = ids(c.Before.Strings("systemRoles"), haveIDs); err != nil {
			return mp, err
		}
	}
	mp.add = sets.Minus(wantB, haveB)
	mp.remove = sets.Minus(haveB, wantB)
	if !sets.Same(wantC, haveC) {
		if len(wantC) > 0 {
			mp.wholeCustom = sets.Sorted(wantC)
		} else {
			mp.remove = append(mp.remove, haveC...)
		}
	}
	mp.remove = sets.Sorted(mp.remove)
	if len(mp.add) > 0 || mp.wholeCustom != nil {
		mp.join = true
	}
	return mp, nil
}

func (a *executor) runMembers(ctx context.Context, idx []int) {
	if len(idx) == 0 {
		return
	}
	receivers := map[string]map[string]bool{}
	for _, c := range a.plan.Changes {
		if c.Kind == KindProject && c.Action == plan.Create {
			m := map[string]bool{}
			for _, r := range c.After.Strings("receivers") {
				m[r] = true
			}
			receivers[c.Key] = m
		}
	}
	var plans []memberPlan
	for _, i := range idx {
		c := a.change(i)
		if c.Action != plan.Create && c.Action != plan.Update {
			a.SetFailed(i, fmt.Errorf("%s %s: action %s is not supported", c.Kind, c.Key, c.Action))
			continue
		}
		mp, err := a.memberPlan(i, receivers)
		if err != nil {
			a.SetFailed(i, err)
			continue
		}
		plans = append(plans, mp)
	}
	// batchImport applies projectId and the system roles to every user of
	// the call: group members by identical options.
	type importKey struct {
		pid         int64
		add, custom string
	}
	groups := map[importKey][]memberPlan{}
	var keys []importKey
	for _, mp := range plans {
		a.mu.Lock()
		joined := a.joined[mp.i]
		a.mu.Unlock()
		if !mp.join || joined {
			continue
		}
		k := importKey{mp.pid, fmt.Sprint(mp.add), fmt.Sprint(mp.wholeCustom)}
		if mp.wholeCustom == nil {
			k.custom = "-"
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], mp)
	}
	var calls []provider.Call
	for _, k := range keys {
		for _, chunk := range chunks(groups[k], a.o.BatchSize) {
			req := apiclient.BatchImportRequest{ProjectID: k.pid, SystemRoleIDs: chunk[0].add, WholeCustomSystemRoleIDs: chunk[0].wholeCustom}
			served := make([]int, 0, len(chunk))
			for _, mp := range chunk {
				req.Users = append(req.Users, apiclient.ImportUser{UniqueID: mp.user})
				served = append(served, mp.i)
			}
			calls = append(calls, provider.Call{Changes: served, Run: func(ctx context.Context) error {
				if _, err := a.projects.BatchImport(ctx, req); err != nil {
					return err
				}
				for _, i := range served {
					if a.change(i).Action == plan.Create {
						a.SetCreated(i, 0)
					}
				}
				return nil
			}})
		}
	}
	a.RunStep(ctx, calls)

	// Unbinding: one user/delRoles per project and set of system roles.
	type delKey struct {
		pid    int64
		remove string
	}
	dels := map[delKey][]memberPlan{}
	var dkeys []delKey
	for _, mp := range plans {
		if len(mp.remove) == 0 || !a.Pending(mp.i) {
			continue
		}
		k := delKey{mp.pid, fmt.Sprint(mp.remove)}
		if _, ok := dels[k]; !ok {
			dkeys = append(dkeys, k)
		}
		dels[k] = append(dels[k], mp)
	}
	calls = nil
	for _, k := range dkeys {
		for _, chunk := range chunks(dels[k], a.o.BatchSize) {
			req := apiclient.DelRolesRequest{ProjectID: k.pid, SystemRoleIDs: chunk[0].remove}
			served := make([]int, 0, len(chunk))
			for _, mp := range chunk {
				req.UniqueIDs = append(req.UniqueIDs, mp.user)
				served = append(served, mp.i)
			}
			calls = append(calls, provider.Call{Changes: served, Run: func(ctx context.Context) error { return a.projects.DelRoles(ctx, req) }})
		}
	}
	a.RunStep(ctx, calls)
}

// ---- groups ----

func groupPath(folder, name string) []string {
	if folder == "" {
		return []string{name}
	}
	return []string{folder, name}
}

// markPendingGroups records the groups about to be sent to group/add as
// pending, in the folder the create names, and saves the state: a lost
// answer (a timeout, a killed process) then leaves a state that knows a
// memberless group, which no read shows, may exist there.
func (a *executor) markPendingGroups(idx []int) error {
	n := 0
	for _, i := range idx {
		c := a.plan.Changes[i]
		if !a.Pending(i) || (c.Action != plan.Create && c.Action != plan.Replace) {
			continue
		}
		a.UpdateState(func(st *state.State) bool {
			st.Record(plan.StateKey(c.Kind, c.Key), pendingGroup(c))
			return true
		})
		n++
	}
	if n == 0 {
		return nil
	}
	return a.Save()
}

// pendingGroup is the state of a group whose create was sent and whose
// answer is not known: in the folder the create named (so that removing
// it from the files deletes it by its path, and the next plan replaces
// it there), with no id.
func pendingGroup(c plan.Change) *state.Object {
	folder := c.After.String("folder")
	created := true
	if c.NewState != nil && c.Action == plan.Replace {
		created = c.NewState.Created
	}
	return &state.Object{Created: created, Pending: true, Facets: map[string]state.Facet{
		"folder": folderFacet(folder),
	}}
}

func folderFacet(folder string) state.Facet {
	return state.Facet{Hash: canon.Fingerprint(folder), Items: []string{folder}}
}

// adoptedGroup is the state of a group that group/add found existing:
// not created by permsync, its id unknown unless learned, its folder the
// one the files name unless the server said otherwise, its description
// recorded only when it was set.
func adoptedGroup(c plan.Change, id int64, s groupStatus) *state.Object {
	o := &state.Object{ID: id, Facets: map[string]state.Facet{}}
	if !s.folderUnknown {
		o.Facets["folder"] = folderFacet(c.After.String("folder"))
	}
	if s.described && c.NewState != nil {
		if f, ok := c.NewState.Facets["description"]; ok {
			o.Facets["description"] = f
		}
	}
	if len(o.Facets) == 0 {
		o.Facets = nil
	}
	return o
}

func folderPath(folder string) []string {
	if folder == "" {
		return []string{}
	}
	return []string{folder}
}

// deleteReplaced deletes, in one step, the objects of idx that a replace
// re-creates; a change whose delete fails is failed.
func (a *executor) deleteReplaced(ctx context.Context, idx []int) {
	var calls []provider.Call
	for _, i := range idx {
		i, c := i, a.change(i)
		if c.Action != plan.Replace {
			continue
		}
		cl, err := a.deleteCall(i, c)
		if err != nil {
			a.SetFailed(i, err)
			continue
		}
		calls = append(calls, cl)
	}
	a.RunStep(ctx, calls)
}

// lostCreate reports whether change i replaces a group whose create an
// earlier apply sent without recording the answer (the state marked it
// pending when this apply started).
func (a *executor) lostCreate(i int) bool {
	return a.lostGroups[i]
}

// joinNeedsID says why members cannot join a group whose id is not known,
// and what to do.
const joinNeedsID = "the id of the group is not known, so members cannot join it: user/batchImport names groups by id only, " +
	"and no read shows a group with no members. Add one of its members to it in the web console, then apply again"

// errGroupIDUnknown fails a change whose members must join a group whose
// id is not known.
func errGroupIDUnknown(c plan.Change) error {
	return fmt.Errorf("%s %s: %s", c.Kind, c.Key, joinNeedsID)
}

func (a *executor) runGroups(ctx context.Context, idx []int) {
	// Step 1: a replace deletes the group where it is. The replace of a
	// group whose create lost its answer deletes, by the path that create
	// named, what it may have left only when the group now goes to
	// another folder; in the same folder, group/add is sent first (step
	// 2), and the group deleted only if the name is taken.
	var del []int
	for _, i := range idx {
		c := a.change(i)
		if a.lostCreate(i) && c.Before.String("folder") == c.After.String("folder") {
			continue
		}
		del = append(del, i)
	}
	a.deleteReplaced(ctx, del)

	// Step 2: creates (and re-creates), description updates. A create is
	// recorded as pending before it is sent, so that a lost answer leaves
	// a state that knows a memberless, invisible group may exist. A
	// definite "name taken" answer means the group exists: it is adopted
	// (recorded as existing, not created), never deleted.
	if err := a.markPendingGroups(idx); err != nil {
		for _, i := range a.Filter(idx) {
			if c := a.change(i); c.Action == plan.Create || c.Action == plan.Replace {
				a.SetFailed(i, err)
			}
		}
	}
	var calls []provider.Call
	for _, i := range a.Filter(idx) {
		i, c := i, a.change(i)
		pid := a.projectID(c)
		if pid == 0 {
			a.SetFailed(i, errNoProjectID(c))
			continue
		}
		name := c.After.String("name")
		switch c.Action {
		case plan.Create, plan.Replace:
			req := apiclient.GroupAddRequest{ProjectID: pid, Title: name, Description: c.After.String("description"),
				Path: folderPath(c.After.String("folder")), Category: "editor"}
			again := a.lostCreate(i) && c.Before.String("folder") == c.After.String("folder")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				return a.addGroup(ctx, i, c, req, again)
			}})
		case plan.Update:
			req := apiclient.GroupUpdateRequest{ID: c.Before.Int("id")}
			if changed(c, "name") {
				// Renamed on the server, or in the files: the name back,
				// or the new one.
				req.Title = strPtr(name)
			}
			if changed(c, "description") {
				req.Description = strPtr(c.After.String("description"))
			}
			if req.Title == nil && req.Description == nil {
				a.moveState(c)
				continue
			}
			if req.ID == 0 {
				// By the path it has now: under its name on the server.
				current := c.Before.String("name")
				if current == "" {
					current = name
				}
				req.ProjectID, req.Path = pid, groupPath(c.After.String("folder"), current)
			}
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.groups.UpdateGroup(ctx, req); err != nil {
					return err
				}
				a.moveState(c)
				return nil
			}})
		default:
			a.SetFailed(i, fmt.Errorf("%s %s: action %s is not supported", c.Kind, c.Key, c.Action))
		}
	}
	a.RunStep(ctx, calls)
	// A group without members shows in no read: record the groups just
	// made or found before their members join, so a process killed in
	// between leaves a state that knows them instead of one that creates
	// them again.
	a.Checkpoint(idx)

	// Step 3: members join through batchImport groupIds (grouped by the
	// set of groups each user joins, per project); then, in a step of its
	// own, leave through group/ext/delUsers, one call per group. A change
	// whose join failed does not remove anyone: a replaced membership is
	// never left emptier than both before and after.
	type joiner struct {
		groups []int64
		idx    []int
	}
	type projectJoins struct {
		users map[string]*joiner
	}
	type leave struct {
		i   int
		req apiclient.GroupDelUsersRequest
	}
	joins := map[int64]*projectJoins{}
	var pids []int64
	var leaves []leave
	calls = nil
	for _, i := range a.Filter(idx) {
		i, c := i, a.change(i)
		pid := a.projectID(c)
		gid := a.groupID(i)
		after := c.After.Strings("members")
		var before []string
		if c.Action == plan.Update {
			before = c.Before.Strings("members")
		}
		if c.Action == plan.Update && !changed(c, "members") {
			continue
		}
		add := sets.Minus(after, before)
		remove := sets.Minus(before, after)
		if c.Action == plan.Update && !c.After.Has("members") {
			remove = nil
		}
		leaving, remove := a.leavingUsers(remove)
		for _, u := range leaving {
			a.relyOn(i, u)
		}
		remove = a.leavingProject(i, c, remove)
		if len(add) > 0 && gid == 0 {
			a.SetFailed(i, errGroupIDUnknown(c))
			continue
		}
		if len(add) > 0 {
			pj := joins[pid]
			if pj == nil {
				pj = &projectJoins{users: map[string]*joiner{}}
				joins[pid] = pj
				pids = append(pids, pid)
			}
			for _, u := range add {
				j := pj.users[u]
				if j == nil {
					j = &joiner{}
					pj.users[u] = j
				}
				j.groups = append(j.groups, gid)
				j.idx = append(j.idx, i)
			}
		}
		if len(remove) > 0 {
			req := apiclient.GroupDelUsersRequest{GroupID: gid, UniqueIDs: remove}
			if gid == 0 {
				req.ProjectID, req.Path = pid, groupPath(c.After.String("folder"), c.After.String("name"))
			}
			leaves = append(leaves, leave{i, req})
		}
	}
	for _, pid := range pids {
		pj := joins[pid]
		bySet := map[string][]string{}
		var setKeys []string
		setIDs := map[string][]int64{}
		setIdx := map[string]map[int]bool{}
		users := make([]string, 0, len(pj.users))
		for u := range pj.users {
			users = append(users, u)
		}
		sort.Strings(users)
		for _, u := range users {
			j := pj.users[u]
			ids := sets.Sorted(j.groups)
			k := fmt.Sprint(ids)
			if _, ok := bySet[k]; !ok {
				setKeys = append(setKeys, k)
				setIDs[k] = ids
				setIdx[k] = map[int]bool{}
			}
			bySet[k] = append(bySet[k], u)
			for _, i := range j.idx {
				setIdx[k][i] = true
			}
		}
		for _, k := range setKeys {
			served := make([]int, 0, len(setIdx[k]))
			for i := range setIdx[k] {
				served = append(served, i)
			}
			sort.Ints(served)
			for _, chunk := range chunks(bySet[k], a.o.BatchSize) {
				req := apiclient.BatchImportRequest{ProjectID: pid, GroupIDs: setIDs[k]}
				for _, u := range chunk {
					req.Users = append(req.Users, apiclient.ImportUser{UniqueID: u})
				}
				calls = append(calls, provider.Call{Changes: served, Run: func(ctx context.Context) error {
					_, err := a.groups.BatchImport(ctx, req)
					return err
				}})
			}
		}
	}
	a.RunStep(ctx, calls)

	var left []int
	for _, l := range leaves {
		if a.Pending(l.i) {
			left = append(left, l.i)
		}
	}
	if len(left) == 0 {
		return
	}
	// Removing members may empty a group, which no read shows then: the
	// state records each group with its id, and is saved, first.
	if err := a.recordGroupsKnown(left); err != nil {
		for _, i := range left {
			a.SetFailed(i, fmt.Errorf("%s %s: members not removed: %w", a.change(i).Kind, a.change(i).Key, err))
		}
		return
	}
	calls = nil
	for _, l := range leaves {
		if !a.Pending(l.i) {
			continue
		}
		req := l.req
		calls = append(calls, provider.Call{Changes: []int{l.i}, Run: func(ctx context.Context) error { return a.groups.DeleteGroupUsers(ctx, req) }})
	}
	a.RunStep(ctx, calls)
}

// groupID is the server id of the group of change i: learned by its
// create in this apply, else the one the plan knows.
func (a *executor) groupID(i int) int64 {
	c := a.change(i)
	if c.Action == plan.Create || c.Action == plan.Replace {
		return a.Progress(i).ID
	}
	return c.Before.Int("id")
}

// addGroup sends the group/add of change i. When the name is taken and
// again is set (the replace of a group whose own earlier create lost its
// answer, in the folder that create named), the group that create left
// is deleted by its path and created again. Otherwise, or when the name
// is still taken then (no group was at that path: another group holds
// it), a taken name adopts the group that holds it.
func (a *executor) addGroup(ctx context.Context, i int, c plan.Change, req apiclient.GroupAddRequest, again bool) error {
	id, err := a.groups.AddGroup(ctx, req)
	if again && isTaken(err) {
		path := append(append([]string{}, req.Path...), req.Title)
		derr := a.groups.DeleteGroups(ctx, apiclient.GroupDelsRequest{ProjectID: req.ProjectID, Path: path})
		if derr != nil && !isGone(derr) {
			return fmt.Errorf("%s %s: group/add answered that the name is taken, and deleting the group an earlier create whose answer was lost left at %q failed: %w",
				c.Kind, c.Key, strings.Join(path, "/"), derr)
		}
		// Deleted, or none there: a retried group/dels whose first
		// attempt deleted the group answers that it is gone, so only
		// group/add tells whether the name is free now.
		a.SetDeleted(i)
		id, err = a.groups.AddGroup(ctx, req)
	}
	if isTaken(err) {
		return a.adoptGroup(ctx, i, c, req, err)
	}
	if err != nil {
		return err
	}
	a.SetCreated(i, id)
	return nil
}

// adoptGroup takes on the group of change i that group/add found
// existing: it is recorded as existing and not created by permsync, and
// never deleted for it. Its description is set by its path; its id cannot
// be read while it has no members, so members cannot join it yet.
func (a *executor) adoptGroup(ctx context.Context, i int, c plan.Change, add apiclient.GroupAddRequest, taken error) error {
	a.group(i, func(g *groupStatus) { g.adopted = true })
	path := append(append([]string{}, add.Path...), add.Title)
	if c.After.Has("description") {
		req := apiclient.GroupUpdateRequest{ProjectID: add.ProjectID, Path: path, Description: strPtr(c.After.String("description"))}
		err := a.groups.UpdateGroup(ctx, req)
		switch {
		case isGone(err):
			a.group(i, func(g *groupStatus) { g.folderUnknown = true })
			return fmt.Errorf("%s %s: a group of that name exists (group/add: %v), but not at %q, and the API cannot move a group: "+
				"move it there in the web console, or give it its folder in the files, then apply again", c.Kind, c.Key, taken, strings.Join(path, "/"))
		case err != nil:
			return fmt.Errorf("%s %s: the group exists (group/add: %v); setting its description by its path failed: %w", c.Kind, c.Key, taken, err)
		}
		a.group(i, func(g *groupStatus) { g.described = true })
	}
	if len(c.After.Strings("members")) > 0 {
		return fmt.Errorf("%s %s: %w: the group exists already and is kept as it is (recorded as existing, not created by permsync); %s",
			c.Kind, c.Key, taken, joinNeedsID)
	}
	return nil
}

// recordGroupsKnown records in the state, and saves, each group of the
// changes idx as existing with its id, unless the state knows it so
// already: once empty, no read shows it, and only the state knows it.
func (a *executor) recordGroupsKnown(idx []int) error {
	for _, i := range idx {
		c := a.plan.Changes[i]
		key := plan.StateKey(c.Kind, c.Key)
		gid := c.Before.Int("id")
		if id := a.Progress(i).ID; (c.Action == plan.Create || c.Action == plan.Replace) && id != 0 {
			gid = id
		}
		a.UpdateState(func(st *state.State) bool {
			return recordGroupKnown(st, c, key, gid)
		})
	}
	return a.Save()
}

// recordGroupKnown records in st the group of change c as existing with
// the id gid, keeping what the state knows of it; false when the state
// knows it so already.
func recordGroupKnown(st *state.State, c plan.Change, key string, gid int64) bool {
	{
		old := st.Objects[key]
		if old != nil && !old.Pending && (gid == 0 || old.ID == gid) {
			return false
		}
		o := &state.Object{ID: gid}
		switch {
		case old != nil:
			o.Created = old.Created
			if old.Facets != nil {
				o.Facets = make(map[string]state.Facet, len(old.Facets))
				for k, f := range old.Facets {
					o.Facets[k] = f
				}
			}
		case c.NewState != nil:
			o.Created = c.NewState.Created
		}
		st.Record(key, o)
	}
	return true
}

// ---- roles and data permissions ----

func decodeExpires(attrs plan.Attrs, name string) map[string]string {
	var m map[string]string
	_ = attrs.Decode(name, &m)
	return m
}

func pick(m map[string]string, keys []string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := m[k]; ok && v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// roleImport is the importDataPermissions request of a role change, or
// nil when the change needs none.
func (a *executor) roleImport(c plan.Change, pid int64) (*apiclient.ImportDataPermissionsRequest, error) {
	full := c.Action == plan.Create || c.Action == plan.Replace
	req := &apiclient.ImportDataPermissionsRequest{
		ProjectID: pid,
		RoleName:  c.After.String("name"),
		Path:      folderPath(c.After.String("folder")),
		Type:      int(c.After.Int("type")),
	}
	needed := full
	if changed(c, "description") {
		req.Description = strPtr(c.After.String("description"))
		needed = true
	}
	if changed(c, "users") || changed(c, "user_expires") {
		after := c.After.Strings("users")
		exp := decodeExpires(c.After, "user_expires")
		bind := after
		if !full {
			before := c.Before.Strings("users")
			bexp := decodeExpires(c.Before, "user_expires")
			bind = nil
			for _, u := range after {
				if !slices.Contains(before, u) || exp[u] != bexp[u] {
					bind = append(bind, u)
				}
			}
		}
		if len(bind) > 0 {
			req.UniqueIDs = bind
			req.UserExpireMap = pick(exp, bind)
			needed = true
		}
	}
	if changed(c, "groups") || changed(c, "group_expires") {
		groups := c.After.Strings("groups")
		exp := decodeExpires(c.After, "group_expires")
		if !full && c.Before.Has("group_expires") {
			// The expiries bound are known: bind only the groups added
			// or whose expiry changes. A group left out is one the plan
			// deletes (group/dels drops its bindings).
			before := c.Before.Strings("groups")
			bexp := decodeExpires(c.Before, "group_expires")
			var bind []string
			for _, g := range groups {
				if !slices.Contains(before, g) || exp[g] != bexp[g] {
					bind = append(bind, g)
				}
			}
			groups = bind
		}
		if len(groups) > 0 {
			req.GroupNames = groups
			req.GroupExpireMap = pick(exp, groups)
			needed = true
		}
	}
	if changed(c, "orgs") || changed(c, "org_expires") {
		orgs := c.After.Strings("orgs")
		if len(orgs) > 0 {
			req.OrgCodes = orgs
			req.OrgExpireMap = pick(decodeExpires(c.After, "org_expires"), orgs)
			needed = true
		}
	}
	if changed(c, "resources") {
		var res []spec.Resource
		if err := c.After.Decode("resources", &res); err != nil {
			return nil, err
		}
		req.ResourcePermissions = []apiclient.ResourcePermission{}
		for _, r := range res {
			rp := apiclient.ResourcePermission{ResourceID: r.ID, ResourceNamePaths: r.Path, ResourceType: r.Type, Permissions: r.Permissions}
			if rp.Permissions == nil {
				rp.Permissions = []string{}
			}
			if r.Folder {
				rp.IsFolder = 1
			}
			req.ResourcePermissions = append(req.ResourcePermissions, rp)
		}
		needed = true
	}
	if changed(c, "rules") {
		var rules []spec.Rule
		if err := c.After.Decode("rules", &rules); err != nil {
			return nil, err
		}
		req.DataPermissions = []apiclient.DataPermissionWrite{}
		for _, r := range rules {
			dp := apiclient.DataPermissionWrite{DataConnectionID: r.Connection, Mode: r.Mode, Type: r.Type, Rule: r.Rule, Details: []json.RawMessage{}}
			for _, d := range r.Details {
				raw, err := json.Marshal(d)
				if err != nil {
					return nil, err
				}
				dp.Details = append(dp.Details, raw)
			}
			req.DataPermissions = append(req.DataPermissions, dp)
		}
		needed = true
	}
	if !needed {
		return nil, nil
	}
	return req, nil
}

func (a *executor) runRoles(ctx context.Context, idx []int) {
	// Step 1: a replace deletes the role first; a failed delete does not
	// re-create.
	a.deleteReplaced(ctx, idx)

	// Step 2: one importDataPermissions per role for what it creates,
	// binds and replaces.
	var calls []provider.Call
	for _, i := range a.Filter(idx) {
		i, c := i, a.change(i)
		if c.Action != plan.Create && c.Action != plan.Update && c.Action != plan.Replace {
			a.SetFailed(i, fmt.Errorf("%s %s: action %s is not supported", c.Kind, c.Key, c.Action))
			continue
		}
		pid := a.projectID(c)
		if pid == 0 {
			a.SetFailed(i, errNoProjectID(c))
			continue
		}
		a.relyOnGroupDeletes(i, c)
		req, err := a.roleImport(c, pid)
		if err != nil {
			a.SetFailed(i, fmt.Errorf("%s %s: %w", c.Kind, c.Key, err))
			continue
		}
		if req == nil {
			continue
		}
		full := c.Action != plan.Update
		calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
			id, err := a.roles.ImportDataPermissions(ctx, *req)
			if err != nil {
				return err
			}
			if full {
				a.SetID(i, id)
			}
			return nil
		}})
	}
	a.RunStep(ctx, calls)

	// Step 3: unbind users through user/delRoles, which unbinds every user
	// it names from every role it names at one path (folder): the roles of
	// a folder share a call as long as none of its users stays bound to
	// any of its roles (unbinding a user not bound does nothing), with at
	// most o.BatchSize users (a role that alone unbinds more is split).
	// Users the plan deletes from the domain are left to that deletion.
	type delCall struct {
		req   apiclient.DelRolesRequest
		users map[string]bool // named by the call
		keeps map[string]bool // bound after the apply to a role of the call
		idx   []int
	}
	type folderKey struct {
		pid    int64
		folder string
	}
	byFolder := map[folderKey][]*delCall{}
	var order []*delCall
	for _, i := range a.Filter(idx) {
		c := a.change(i)
		if c.Action != plan.Update || !c.After.Has("users") || !changed(c, "users") {
			continue
		}
		leaving, remove := a.leavingUsers(sets.Minus(c.Before.Strings("users"), c.After.Strings("users")))
		for _, u := range leaving {
			a.relyOn(i, u)
		}
		remove = a.leavingProject(i, c, remove)
		if len(remove) == 0 {
			continue
		}
		after := c.After.Strings("users")
		k := folderKey{a.projectID(c), c.After.String("folder")}
		var dc *delCall
		for _, cand := range byFolder[k] {
			fits := true
			n := len(cand.users)
			for _, u := range remove {
				if cand.keeps[u] {
					fits = false
					break
				}
				if !cand.users[u] {
					n++
				}
			}
			for _, u := range after {
				if !fits || cand.users[u] {
					fits = false
					break
				}
			}
			if fits && n <= a.o.BatchSize {
				dc = cand
				break
			}
		}
		if dc == nil {
			dc = &delCall{req: apiclient.DelRolesRequest{ProjectID: k.pid}, users: map[string]bool{}, keeps: map[string]bool{}}
			if k.folder != "" {
				dc.req.Path = []string{k.folder}
			}
			byFolder[k] = append(byFolder[k], dc)
			order = append(order, dc)
		}
		for _, u := range remove {
			dc.users[u] = true
		}
		for _, u := range after {
			dc.keeps[u] = true
		}
		if c.After.Int("type") == apiclient.RoleKindRowPerm {
			dc.req.PermissionRoleNames = append(dc.req.PermissionRoleNames, c.After.String("name"))
		} else {
			dc.req.RoleNames = append(dc.req.RoleNames, c.After.String("name"))
		}
		dc.idx = append(dc.idx, i)
	}
	calls = nil
	for _, dc := range order {
		for _, chunk := range chunks(sets.SortedKeys(dc.users), a.o.BatchSize) {
			req := dc.req
			req.UniqueIDs = chunk
			calls = append(calls, provider.Call{Changes: dc.idx, Run: func(ctx context.Context) error { return a.roles.DelRoles(ctx, req) }})
		}
	}
	a.RunStep(ctx, calls)
}

func (a *executor) deleteRoleRequest(c plan.Change) (apiclient.DeleteRoleRequest, error) {
	if id := c.Before.Int("id"); id != 0 {
		return apiclient.DeleteRoleRequest{RoleID: id}, nil
	}
	pid := a.projectID(c)
	if pid == 0 {
		return apiclient.DeleteRoleRequest{}, errNoProjectID(c)
	}
	return apiclient.DeleteRoleRequest{ProjectID: pid, Path: groupPath(c.Before.String("folder"), c.Before.String("name"))}, nil
}

// ---- resource members ----

func decodeResourceMembers(attrs plan.Attrs) []resourceMember {
	var ms []resourceMember
	_ = attrs.Decode("members", &ms)
	return ms
}

func (a *executor) resourceMemberCalls(idx []int) []provider.Call {
	var calls []provider.Call
	for _, i := range idx {
		c := a.change(i)
		pid := a.projectID(c)
		if pid == 0 {
			a.SetFailed(i, errNoProjectID(c))
			continue
		}
		attrs := c.After
		if c.Action == plan.Delete {
			attrs = c.Before
		}
		req := apiclient.SyncMembersRequest{ProjectID: pid, ResourceName: attrs.String("type"),
			ResourceID: attrs.Int("resource_id"), MemberInfos: []apiclient.MemberInfo{}, WholeCoverMembers: true}
		if c.Action != plan.Delete {
			for _, m := range decodeResourceMembers(c.After) {
				perms := m.Permissions
				if perms == nil {
					perms = []string{}
				}
				req.MemberInfos = append(req.MemberInfos, apiclient.MemberInfo{Type: "uniqueId", ID: m.User, Permissions: perms})
			}
		}
		calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error { return a.resources.SyncResourceMembers(ctx, req) }})
	}
	return calls
}

// ---- deletions ----

func (a *executor) deleteCalls(idx []int) []provider.Call {
	var calls []provider.Call
	var orgIdx []int
	var orgCodes []string
	var sysIdx []int
	var sysIDs []int64
	var userIdx []int
	var users []string
	memberIdx := map[int64][]int{}
	memberUsers := map[int64][]string{}
	var memberPids []int64
	groupIdx := map[int64][]int{}
	groupIDs := map[int64][]int64{}
	var groupPids []int64
	// withUser are the member deletions that the deletion of their user
	// from the domain performs.
	withUser := map[string][]int{}
	for _, i := range idx {
		i, c := i, a.change(i)
		if c.Action != plan.Delete {
			a.SetFailed(i, fmt.Errorf("%s %s: action %s in a deletion phase", c.Kind, c.Key, c.Action))
			continue
		}
		if c.Kind == KindGroup && goneOnServer(c) {
			continue // deleted on the server already: only the state forgets it
		}
		if c.Kind == KindGroup {
			// Groups whose ids are known leave in one group/dels per
			// project.
			if id, pid := c.Before.Int("id"), a.projectID(c); id != 0 && pid != 0 {
				if _, ok := groupIdx[pid]; !ok {
					groupPids = append(groupPids, pid)
				}
				groupIdx[pid] = append(groupIdx[pid], i)
				groupIDs[pid] = append(groupIDs[pid], id)
				continue
			}
		}
		switch c.Kind {
		case KindRole, KindDataPermission, KindGroup:
			cl, err := a.deleteCall(i, c)
			if err != nil {
				a.SetFailed(i, err)
				continue
			}
			calls = append(calls, cl)
		case KindMember:
			user := memberUser(c)
			if _, ok := a.leaving[user]; ok {
				withUser[user] = append(withUser[user], i)
				continue
			}
			pid := a.projectID(c)
			if pid == 0 {
				a.SetFailed(i, errNoProjectID(c))
				continue
			}
			if _, ok := memberIdx[pid]; !ok {
				memberPids = append(memberPids, pid)
			}
			memberIdx[pid] = append(memberIdx[pid], i)
			memberUsers[pid] = append(memberUsers[pid], user)
		case KindProject:
			id := c.Before.Int("id")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: goneIsDone(func(ctx context.Context) error { return a.deletes.DeleteProject(ctx, id) })})
		case KindDepartment:
			orgIdx = append(orgIdx, i)
			orgCodes = append(orgCodes, c.Key)
		case KindCompany:
			// The company name cannot be removed; leaving it is the delete.
		case KindSystemRole:
			sysIdx = append(sysIdx, i)
			sysIDs = append(sysIDs, c.Before.Int("id"))
		case KindUser:
			userIdx = append(userIdx, i)
			users = append(users, c.Key)
		case KindResourceMembers:
			calls = append(calls, a.resourceMemberCalls([]int{i})...)
		default:
			a.SetFailed(i, fmt.Errorf("%s %s: deleting this kind is not supported", c.Kind, c.Key))
		}
	}
	for _, pid := range memberPids {
		pid := pid
		for n, chunk := range chunks(memberUsers[pid], a.o.BatchSize) {
			from := n * a.o.BatchSize
			req := apiclient.DeleteProjectUsersRequest{ProjectID: pid, UniqueIDs: chunk}
			calls = append(calls, provider.Call{Changes: memberIdx[pid][from : from+len(chunk)], Run: func(ctx context.Context) error {
				return a.deletes.DeleteProjectUsers(ctx, req)
			}})
		}
	}
	for _, pid := range groupPids {
		for n, ids := range chunks(groupIDs[pid], a.o.BatchSize) {
			from := n * a.o.BatchSize
			calls = append(calls, a.groupDelsCall(pid, ids, groupIdx[pid][from:from+len(ids)]))
		}
	}
	if len(orgCodes) > 0 {
		req := apiclient.SyncOrgRequest{DeletedOrgCodes: orgCodes}
		calls = append(calls, provider.Call{Changes: orgIdx, Run: func(ctx context.Context) error { return a.deletes.SyncOrg(ctx, req) }})
	}
	if len(sysIDs) > 0 {
		calls = append(calls, provider.Call{Changes: sysIdx, Run: func(ctx context.Context) error { return a.deletes.DeleteSystemRoles(ctx, sysIDs) }})
	}
	for n, chunk := range chunks(users, a.o.BatchSize) {
		from := n * a.o.BatchSize
		chunk := chunk
		served := append([]int(nil), userIdx[from:from+len(chunk)]...)
		for _, u := range chunk {
			served = append(served, withUser[u]...)
			delete(withUser, u)
		}
		calls = append(calls, provider.Call{Changes: served, Run: func(ctx context.Context) error {
			return a.deletes.DeleteDomainUsers(ctx, chunk)
		}})
	}
	for _, u := range sets.SortedKeys(withUser) {
		// The user's deletion is not in this phase (it failed to start).
		for _, i := range withUser[u] {
			a.SetSkipped(i, fmt.Sprintf("leaves the project with user %s, whose deletion from the domain was not made", u))
		}
	}
	return calls
}

// groupDelsCall deletes the groups ids (of changes idx) of a project in
// one call. The server refuses the whole call when one of them is gone
// already; then each is deleted on its own, and one that is gone counts as
// deleted (goneIsDone).
func (a *executor) groupDelsCall(pid int64, ids []int64, idx []int) provider.Call {
	return provider.Call{Changes: idx, Run: func(ctx context.Context) error {
		err := a.deletes.DeleteGroups(ctx, apiclient.GroupDelsRequest{ProjectID: pid, IDs: ids})
		if len(ids) == 1 || !isGone(err) {
			if isGone(err) {
				return nil
			}
			return err
		}
		for n, i := range idx {
			req := apiclient.GroupDelsRequest{ProjectID: pid, IDs: []int64{ids[n]}}
			if err := goneIsDone(func(ctx context.Context) error { return a.deletes.DeleteGroups(ctx, req) })(ctx); err != nil {
				a.SetFailed(i, err)
			}
		}
		return nil
	}}
}

// deleteCall is the call that deletes the group, role or data permission
// of change i, for a delete and for the first half of a replace. An object
// already gone counts as deleted (goneIsDone), and the deletion is noted so
// that a replace that stops before re-creating leaves the state right.
func (a *executor) deleteCall(i int, c plan.Change) (provider.Call, error) {
	var del func(context.Context) error
	switch c.Kind {
	case KindGroup:
		pid := a.projectID(c)
		if pid == 0 {
			return provider.Call{}, errNoProjectID(c)
		}
		req := groupDels(pid, c)
		del = func(ctx context.Context) error { return a.roles.DeleteGroups(ctx, req) }
	case KindRole, KindDataPermission:
		req, err := a.deleteRoleRequest(c)
		if err != nil {
			return provider.Call{}, err
		}
		del = func(ctx context.Context) error { return a.roles.DeleteRole(ctx, req) }
	default:
		return provider.Call{}, fmt.Errorf("%s %s: deleting this kind one by one is not supported", c.Kind, c.Key)
	}
	del = goneIsDone(del)
	return provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
		if err := del(ctx); err != nil {
			return err
		}
		a.SetDeleted(i)
		return nil
	}}, nil
}

// goneIsDone treats the deletion of one object the server answers does
// not exist as done: the goal of a delete is reached, and an
// object deleted by hand must not fail every later apply because the state
// still remembers it. Batched deletes are not wrapped: such an answer would
// not say which of their objects is gone.
func goneIsDone(run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := run(ctx); !isGone(err) {
			return err
		}
		return nil
	}
}

// isTaken reports the server's answer that a name is already used.
func isTaken(err error) bool { return apiclient.Classify(err) == provider.AlreadyExists }

// isGone reports the server's answer that the object of a call does not
// exist. Only that answer: an error that says nothing about the object
// must not make the state forget one that is still there.
func isGone(err error) bool { return apiclient.Classify(err) == provider.NotFound }

// ---- small set helpers ----

// groupDels deletes a group by its server id when the plan knows it, which
// does not depend on the folder the state remembers, else by its path.
func groupDels(projectID int64, c plan.Change) apiclient.GroupDelsRequest {
	if id := c.Before.Int("id"); id != 0 {
		return apiclient.GroupDelsRequest{ProjectID: projectID, IDs: []int64{id}}
	}
	return apiclient.GroupDelsRequest{ProjectID: projectID, Path: groupPath(c.Before.String("folder"), c.Before.String("name"))}
}
