package quickbi

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Bucket of settings.maxDeletes for the people the plan takes off
// whitelists.
const capWhitelist = "whitelist removals"

// analystForbidden are the permission keys of a custom workspace role
// an analyst cannot hold.
var analystForbidden = []string{"cube", "datasource", "quick_etl"}

// planWorkspaces plans the members and the datasets' permissions of each
// workspace the files name. Workspaces themselves are not created (Quick
// BI has no action to delete one, so permsync could never undo it) nor
// renamed (there is no action for that either).
func (p *planner) planWorkspaces() {
	ws := append([]spec.QuickBIWorkspace(nil), p.q.Workspaces...)
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Name < ws[j].Name })
	seen := map[string]bool{}
	for i := range ws {
		w := &ws[i]
		if seen[w.Name] {
			p.Problem(fmt.Sprintf("workspace %q is declared twice (%s)", w.Name, src(w.Src)))
			continue
		}
		seen[w.Name] = true
		lw := p.findWorkspace(w)
		if lw == nil {
			continue
		}
		if w.Members != nil {
			p.planMembers(w, lw)
		}
		p.planDatasets(w, lw)
	}
}

// findWorkspace is the workspace of the files on the server: by its
// pinned id, else by its name.
func (p *planner) findWorkspace(w *spec.QuickBIWorkspace) *LiveWorkspace {
	if w.ID != "" {
		lw := p.live.Workspaces[w.ID]
		if lw == nil {
			p.Problem(fmt.Sprintf("workspace %q: no workspace has id %s (%s)", w.Name, w.ID, src(w.Src)))
			return nil
		}
		if lw.Name != w.Name {
			p.Warn("workspace %q (id %s) is named %q on the server; permsync does not rename workspaces (the API cannot)", w.Name, w.ID, lw.Name)
		}
		return lw
	}
	if id := knownWorkspaceID(p.st, w.Name); id != "" {
		if lw := p.live.Workspaces[id]; lw != nil {
			if lw.Name != w.Name {
				p.Warn("workspace %q is named %q on the server (renamed in the console): it is found by the id %s the state knows; permsync does not rename workspaces (the API cannot): rename it back in Quick BI, or name it %q in the files", w.Name, lw.Name, id, lw.Name)
			}
			return lw
		}
	}
	lw, n := p.live.WorkspaceByName(w.Name)
	switch {
	case n == 0:
		p.Problem(fmt.Sprintf("workspace %q is not on the server, and permsync does not create workspaces (Quick BI cannot delete one): create it in Quick BI first (%s)", w.Name, src(w.Src)))
		return nil
	case n > 1:
		p.Problem(fmt.Sprintf("%d workspaces are named %q: pin the one meant with its id (%s)", n, w.Name, src(w.Src)))
		return nil
	}
	return lw
}

// planMembers plans a workspace's members: the list is authoritative.
// New members are added with their roles, members whose roles differ get
// them replaced, and members absent from the list are removed, but for
// the workspace's owner (Quick BI refuses it) and protected users.
func (p *planner) planMembers(w *spec.QuickBIWorkspace, lw *LiveWorkspace) {
	owner := ""
	if lw.Owner != "" {
		owner = p.nameOf(lw.Owner)
	}
	want := map[string]*spec.QuickBIMember{}
	for i := range w.Members {
		m := &w.Members[i]
		name := p.userRef(m.User)
		if want[name] != nil {
			p.Problem(fmt.Sprintf("workspace %q: member %s is listed twice (%s)", w.Name, m.User, src(m.Src)))
			continue
		}
		want[name] = m
	}
	for _, name := range sortedKeys(want) {
		m := want[name]
		lu := p.liveUser(m.User)
		var lm *LiveMember
		if lu != nil {
			lm = lw.Members[lu.UserID]
		}
		roles := sortedUniq(m.Roles)
		if len(roles) == 0 {
			p.Problem(fmt.Sprintf("workspace %q: member %s has no roles (%s)", w.Name, m.User, src(m.Src)))
		}
		if name == owner && !contains(roles, "admin") {
			p.Warn("user %s owns workspace %q and keeps its admin role there (Quick BI does not take it from the owner)", name, w.Name)
			roles = sortedUniq(append(roles, "admin"))
		}
		ids := p.workspaceRoleIDs(w, lw, m, roles)
		o := p.NewObject(KindMember, w.Name+"/"+name, m.Src, lm != nil)
		o.Scope = w.Name
		o.Ident("user", name)
		o.Ident(attrWorkspaceID, lw.ID)
		var live []string
		if lm != nil {
			live = lw.RoleNames(lm.Roles)
		} else {
			o.CreateReason = "not a member of the workspace"
		}
		o.Readable("roles", roles, live)
		o.Ident(attrRoleIDs, ids)
		if lu != nil {
			o.Ident(attrUserIDs, map[string]string{name: lu.UserID})
		}
		o.Finish(0)
	}
	for _, id := range sortedKeys(lw.Members) {
		name := p.nameOf(id)
		key := w.Name + "/" + name
		p.CapObject(w.Name, KindMember, key)
		if want[name] != nil {
			continue
		}
		switch {
		case id == lw.Owner:
			p.Warn("user %s owns workspace %q but is not in its members: kept (Quick BI does not remove a workspace's owner)", name, w.Name)
			continue
		case p.Protected(name):
			p.Warn("user %s is protected (settings.protectedUsers or the member behind the credentials): not removed from workspace %q", name, w.Name)
			continue
		}
		var before plan.Attrs
		before.Set("user", name)
		before.Set(attrWorkspaceID, lw.ID)
		before.Set("roles", lw.RoleNames(lw.Members[id].Roles))
		before.Set(attrUserIDs, map[string]string{name: id})
		why := "not in the workspace's members"
		if p.leaving[name] {
			why += "; it leaves the workspace with its removal from the organization"
		}
		p.AddDelete(plan.Change{Kind: KindMember, Key: key, Scope: w.Name, Before: before, Reason: why}, 0)
	}
}

// workspaceRoleIDs resolves a member's role names in a workspace and
// reports what Quick BI refuses: an unknown role, a custom role for a
// viewer, a role an analyst cannot hold.
func (p *planner) workspaceRoleIDs(w *spec.QuickBIWorkspace, lw *LiveWorkspace, m *spec.QuickBIMember, roles []string) map[string]int64 {
	ids := map[string]int64{}
	t := p.userType(m.User)
	for _, r := range roles {
		id, ok := lw.roleID(r)
		if !ok {
			p.Problem(fmt.Sprintf("workspace %q: member %s: role %q is neither admin, developer, analyst, viewer nor a custom role of the workspace (%s)", w.Name, m.User, r, src(m.Src)))
			continue
		}
		ids[r] = id
		_, predefined := workspaceRoleNames[id]
		switch {
		case t == apiclient.UserTypeViewer && !predefined:
			p.Problem(fmt.Sprintf("workspace %q: member %s is a viewer, and viewers cannot hold custom workspace roles such as %q (%s)", w.Name, m.User, r, src(m.Src)))
		case t == apiclient.UserTypeAnalyst && (id == apiclient.WorkspaceRoleAdmin || id == apiclient.WorkspaceRoleDeveloper):
			p.Problem(fmt.Sprintf("workspace %q: member %s is an analyst, and analysts cannot hold the workspace role %s (%s)", w.Name, m.User, r, src(m.Src)))
		case t == apiclient.UserTypeAnalyst && !predefined:
			for _, k := range lw.Roles[id].AuthKeys {
				if contains(analystForbidden, k) {
					p.Problem(fmt.Sprintf("workspace %q: member %s is an analyst, and analysts cannot hold role %q, which has the %s permission (%s)", w.Name, m.User, r, k, src(m.Src)))
					break
				}
			}
		}
	}
	return ids
}

// datasetKey is how the keys name a dataset of the files: its id, else
// its name.
func datasetKey(d *spec.QuickBIDataset) string {
	if d.ID != "" {
		return d.ID
	}
	return d.Name
}

// planDatasets plans the row and column permissions of the datasets a
// workspace of the files names.
func (p *planner) planDatasets(w *spec.QuickBIWorkspace, lw *LiveWorkspace) {
	seen := map[string]bool{}
	for i := range w.Datasets {
		d := &w.Datasets[i]
		key := datasetKey(d)
		if seen[key] {
			p.Problem(fmt.Sprintf("workspace %q: dataset %s is declared twice (%s)", w.Name, key, src(d.Src)))
			continue
		}
		seen[key] = true
		ld := p.findDataset(w, lw, d)
		if ld == nil {
			continue
		}
		for _, lv := range []struct {
			name string
			l    *spec.QuickBIDataLevel
		}{{LevelRow, d.RowLevel}, {LevelColumn, d.ColumnLevel}} {
			if lv.l == nil {
				continue
			}
			ll := ld.Levels[lv.name]
			if ll == nil {
				p.Problem(fmt.Sprintf("workspace %q: the %s of dataset %s was not read (%s)", w.Name, lv.name, key, src(lv.l.Src)))
				continue
			}
			lk := w.Name + "/" + key + "/" + lv.name
			p.planLevel(w, ld, lk, lv.name, lv.l, ll)
			p.planRules(w, ld, lk, lv.name, lv.l, ll)
		}
	}
}

// findDataset is a dataset of the files in its workspace: by id, else by
// its name, which must be unique there.
func (p *planner) findDataset(w *spec.QuickBIWorkspace, lw *LiveWorkspace, d *spec.QuickBIDataset) *LiveDataset {
	if !lw.DatasetsRead {
		p.Problem(fmt.Sprintf("workspace %q: its datasets were not read (%s)", w.Name, src(d.Src)))
		return nil
	}
	if d.ID != "" {
		ld := lw.Datasets[d.ID]
		if ld == nil {
			p.Problem(fmt.Sprintf("workspace %q: no dataset has id %s (%s)", w.Name, d.ID, src(d.Src)))
		}
		return ld
	}
	var found []*LiveDataset
	for _, id := range sortedKeys(lw.Datasets) {
		if ld := lw.Datasets[id]; ld.Name == d.Name {
			found = append(found, ld)
		}
	}
	switch len(found) {
	case 0:
		p.Problem(fmt.Sprintf("workspace %q: no dataset is named %q (%s)", w.Name, d.Name, src(d.Src)))
		return nil
	case 1:
		return found[0]
	}
	ids := make([]string, len(found))
	for i, ld := range found {
		ids[i] = ld.ID
	}
	p.Problem(fmt.Sprintf("workspace %q: %d datasets are named %q (ids %s): pin the one meant with its id (%s)", w.Name, len(found), d.Name, strings.Join(ids, ", "), src(d.Src)))
	return nil
}

// peopleRefs resolves the users and groups of a rule or a whitelist: the
// users as the plan names them, the groups by the server ids they have
// once the plan is applied. Unknown groups are problems.
func (p *planner) peopleRefs(what string, users, groups []string, s spec.Source) ([]string, []string) {
	us := make([]string, 0, len(users))
	for _, u := range users {
		us = append(us, p.userRef(u))
	}
	for _, g := range groups {
		if !p.groupKnown(g) {
			p.Problem(fmt.Sprintf("%s: group %q is neither a group of the files nor on the server (%s)", what, g, src(s)))
		}
	}
	return sortedUniq(us), p.groupServerIDs(groups)
}

// planLevel plans the switch, miss-hit policy and whitelist of a level.
func (p *planner) planLevel(w *spec.QuickBIWorkspace, ld *LiveDataset, key, level string, l *spec.QuickBIDataLevel, ll *LiveLevel) {
	if l.Enabled == nil && l.MissHit == "" && l.Whitelist == nil {
		return
	}
	o := p.NewObject(KindDataLevel, key, l.Src, true)
	o.Scope = w.Name
	o.Ident(attrCubeID, ld.ID)
	o.Ident(attrRuleType, RuleType(level))
	if l.Enabled != nil {
		o.Readable("enabled", *l.Enabled, ll.Open)
	}
	if l.MissHit != "" {
		mh := strings.ToLower(l.MissHit)
		if mh != "none" && mh != "all" {
			p.Problem(fmt.Sprintf("%s: missHit %q is none or all (%s)", key, l.MissHit, src(l.Src)))
		}
		o.Readable("missHit", mh, strings.ToLower(ll.MissHit))
	}
	if l.Whitelist != nil {
		users, groups := p.peopleRefs(key+" whitelist", l.Whitelist.Users, l.Whitelist.Groups, l.Src)
		var liveUsers, liveGroups []string
		if ll.Whitelist != nil {
			liveUsers = p.namesOf(ll.Whitelist.Users)
			liveGroups = p.liveGroupIDs(ll.Whitelist.UserGroups)
		}
		o.Readable("whitelistUsers", users, liveUsers)
		o.Readable("whitelistGroups", groups, liveGroups)
		p.CapExisting(w.Name, capWhitelist, len(liveUsers)+len(liveGroups))
		p.CapRemoved(w.Name, capWhitelist, key, append(minus(liveUsers, users), minus(liveGroups, groups)...))
		if ids := p.userIDsByName(users); len(ids) > 0 {
			o.Ident(attrUserIDs, ids)
		}
	}
	o.Finish(0)
}

// planRules plans the rules of a level, by name: created without a rule
// id, updated by theirs (learned from the read, and kept in the state, so
// a rule renamed on the server is named back), and deleted when permsync
// created them or settings.prune.rules is on. An update carries the
// rule's whole model: what the files do not set (hitTakeEffect, isOpen,
// the console's editor configuration) is sent back as the server has it.
func (p *planner) planRules(w *spec.QuickBIWorkspace, ld *LiveDataset, levelKey, level string, l *spec.QuickBIDataLevel, ll *LiveLevel) {
	byName := map[string]*apiclient.RuleModel{}
	byID := map[string]*apiclient.RuleModel{}
	for i := range ll.Rules {
		lr := &ll.Rules[i]
		byName[lr.RuleName] = lr
		byID[lr.RuleID] = lr
	}
	want := map[string]*spec.QuickBIRule{}
	for i := range l.Rules {
		r := &l.Rules[i]
		if r.Name == "" {
			p.Problem(fmt.Sprintf("%s: a rule has no name (%s)", levelKey, src(r.Src)))
			continue
		}
		if want[r.Name] != nil {
			p.Problem(fmt.Sprintf("%s: rule %q is declared twice (%s)", levelKey, r.Name, src(r.Src)))
			continue
		}
		want[r.Name] = r
	}
	matched := map[string]bool{}
	for _, name := range sortedKeys(want) {
		r := want[name]
		key := levelKey + "/" + name
		lr := byName[name]
		if lr == nil {
			if old := p.StateOf(KindRule, key); old != nil {
				if f, ok := old.Facets[FacetRuleID]; ok && len(f.Items) == 1 {
					if x := byID[f.Items[0]]; x != nil && want[x.RuleName] == nil {
						lr = x // renamed on the server
					}
				}
			}
		}
		if lr != nil {
			matched[lr.RuleID] = true
		}
		p.planRule(w, ld, key, level, r, lr)
	}
	for _, lr := range ll.Rules {
		key := levelKey + "/" + lr.RuleName
		p.CapObject(w.Name, KindRule, key)
		if matched[lr.RuleID] {
			continue
		}
		why := diff.DeleteWhy(p.StateOf(KindRule, key), p.q.Settings.Prune.Rules, "settings.prune.rules")
		if why == "" {
			continue
		}
		var before plan.Attrs
		before.Set("name", lr.RuleName)
		before.Set("id", lr.RuleID)
		before.Set(attrCubeID, ld.ID)
		before.Set(attrRuleType, RuleType(level))
		before.Set("all", lr.RuleTargetScope == apiclient.RuleScopeAll)
		before.Set("users", p.namesOf(lr.RuleUsersModel.Users))
		before.Set("groups", p.liveGroupIDs(lr.RuleUsersModel.UserGroups))
		before.Set("content", liveContent(lr.RuleContentModel.RuleContentJSON))
		p.AddDelete(plan.Change{Kind: KindRule, Key: key, Scope: w.Name, Before: before, Reason: why}, 0)
	}
}

// contentType is the ruleContentType of a level's rules.
func contentType(level string) string {
	if level == LevelColumn {
		return apiclient.RuleContentColumnForbid
	}
	return apiclient.RuleContentRowField
}

// planRule plans one rule of the files.
func (p *planner) planRule(w *spec.QuickBIWorkspace, ld *LiveDataset, key, level string, r *spec.QuickBIRule, lr *apiclient.RuleModel) {
	content, err := NormalizeContent(r.Content)
	if err != nil {
		p.Problem(fmt.Sprintf("%s: %v (%s)", key, err, src(r.Src)))
		content = canon.JSON(nil)
	}
	users, groups := p.peopleRefs(key, r.Users, r.Groups, r.Src)
	if r.All && len(users)+len(groups) > 0 {
		p.Problem(fmt.Sprintf("%s: a rule for all (all: true) lists no users or groups (%s)", key, src(r.Src)))
	}
	o := p.NewObject(KindRule, key, r.Src, lr != nil)
	o.Scope = w.Name
	o.Ident(attrCubeID, ld.ID)
	o.Ident(attrRuleType, RuleType(level))
	var live apiclient.RuleModel
	if lr != nil {
		live = *lr
		o.Ident("id", lr.RuleID)
		if o.New.Facets == nil {
			o.New.Facets = map[string]state.Facet{}
		}
		o.New.Facets[FacetRuleID] = ruleIDFacet(lr.RuleID)
	}
	o.Readable("name", r.Name, live.RuleName)
	o.Readable("all", r.All, live.RuleTargetScope == apiclient.RuleScopeAll)
	o.Readable("users", users, p.namesOf(live.RuleUsersModel.Users))
	o.Readable("groups", groups, p.liveGroupIDs(live.RuleUsersModel.UserGroups))
	lc := liveContent(live.RuleContentModel.RuleContentJSON)
	o.Readable("content", content, lc)
	if lr == nil {
		o.After.Set("contentType", contentType(level))
	} else {
		ct := live.RuleContentModel.RuleContentType
		if ct == "" {
			ct = contentType(level)
		}
		o.Ident("contentType", ct)
		if live.HitTakeEffect != nil {
			o.Ident("hitTakeEffect", *live.HitTakeEffect)
		}
		if live.IsOpen != nil {
			o.Ident("isOpen", *live.IsOpen)
		}
		if origin := live.RuleContentModel.RuleOriginConfigJSON; origin != "" {
			// The console's editor configuration: kept while the content
			// stays, dropped with it (it would show the old content).
			if string(lc) == string(content) {
				o.Ident("origin", origin)
			} else {
				o.Before.Set("origin", origin)
			}
		}
	}
	if ids := p.userIDsByName(users); len(ids) > 0 {
		o.Ident(attrUserIDs, ids)
	}
	o.Finish(0)
}

// RuleIDFacet is the state's record of a rule's id (FacetRuleID).
func RuleIDFacet(id string) state.Facet { return ruleIDFacet(id) }

func ruleIDFacet(id string) state.Facet {
	return state.Facet{Hash: canon.Fingerprint(id), Items: []string{id}}
}
