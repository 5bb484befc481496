package youdata

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
)

// roleIn is a desired role or data permission, as the planner needs it.
type roleIn struct {
	kind        plan.Kind
	src         spec.Source
	name        string
	folder      string
	typ         int // 0, 3 (roles) or 2 (data permissions)
	level       int // roles only
	description *string
	bindings    spec.Bindings
	resources   []spec.Resource // roles; nil: not managed
	rules       []spec.Rule     // data permissions; nil: not managed
}

// planRoles plans the project's roles and data permissions.
func (c *projectCtx) planRoles() {
	var roles, dps []roleIn
	for _, r := range c.pr.Roles {
		level := r.Level
		if level == 0 {
			level = 1
		}
		typ := 0
		if level == 2 {
			typ = 3
		}
		roles = append(roles, roleIn{kind: KindRole, src: r.Src, name: r.Name, folder: r.Folder, typ: typ, level: level,
			description: r.Description, bindings: r.Bindings, resources: r.Resources})
	}
	for _, r := range c.pr.DataPermissions {
		dps = append(dps, roleIn{kind: KindDataPermission, src: r.Src, name: r.Name, folder: r.Folder, typ: 2,
			description: r.Description, bindings: r.Bindings, rules: r.Rules})
	}
	var liveRoles, liveDPs map[string]*LiveRole
	if c.lp != nil {
		liveRoles, liveDPs = c.lp.Roles, c.lp.DataPermissions
	}
	c.planRoleKind(KindRole, roles, liveRoles, c.p.d.Settings.Prune.Roles, "prune.roles")
	c.planRoleKind(KindDataPermission, dps, liveDPs, c.p.d.Settings.Prune.DataPermissions, "prune.dataPermissions")
}

func (c *projectCtx) planRoleKind(k plan.Kind, in []roleIn, live map[string]*LiveRole, prune bool, pruneName string) {
	want := map[string]roleIn{}
	for _, r := range in {
		want[r.folder+"/"+r.name] = r
	}
	for _, lk := range sets.SortedKeys(want) {
		c.planRole(want[lk], live[lk])
	}
	for _, lk := range sets.SortedKeys(live) {
		if _, ok := want[lk]; ok {
			continue
		}
		key := c.pr.Name + "/" + lk
		why := diff.DeleteWhy(c.stateOf(k, lk), prune, pruneName)
		if why == "" {
			continue
		}
		lr := live[lk]
		var before plan.Attrs
		before.Set("id", lr.ID)
		before.Set("project_id", c.pid)
		before.Set("name", lr.Name)
		before.Set("folder", lr.Folder)
		before.Set("type", lr.Type)
		users, _ := liveExpires(lr) // [] when nobody holds it, never null
		before.Set("users", users)
		c.p.AddDelete(plan.Change{Kind: k, Key: key, Scope: c.pr.Name, Before: before, Reason: why}, 0)
	}
}

// liveExpires returns the users bound to a live role and their expiries.
func liveExpires(lr *LiveRole) ([]string, map[string]string) {
	users := []string{}
	exp := map[string]string{}
	if lr == nil {
		return users, exp
	}
	for _, u := range sets.SortedKeys(lr.Users) {
		users = append(users, u)
		if t := lr.Users[u]; t != nil && *t != "" {
			exp[u] = NormalizeTime(*t)
		}
	}
	return users, exp
}

// expiresFor picks the expiries of the given names from a binding's
// expires map.
func expiresFor(names []string, expires map[string]string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if t, ok := expires[n]; ok && t != "" {
			out[n] = NormalizeTime(t)
		}
	}
	return out
}

func (c *projectCtx) planRole(r roleIn, lr *LiveRole) {
	p := c.p
	key := c.key(r.folder, r.name)
	o := c.newObj(r.kind, key, r.src, lr != nil)
	o.Ident("name", r.name)
	o.Ident("folder", r.folder)
	o.After.Set("type", r.typ)
	if r.kind == KindRole {
		o.Ident("level", r.level)
	}
	if lr != nil {
		o.ID(lr.ID)
		o.Before.Set("type", lr.Type)
		if lr.Type != r.typ {
			o.Replace = append(o.Replace, fmt.Sprintf("the type changes from %d to %d, which the API cannot do in place", lr.Type, r.typ))
		}
	}
	if r.description != nil {
		var desc string
		if lr != nil {
			desc = lr.Description
		}
		o.Readable("description", *r.description, desc)
	}

	liveUsers, liveExp := liveExpires(lr)
	if r.bindings.Users != nil {
		users := p.staying(r.bindings.Users)
		exp := expiresFor(users, r.bindings.Expires)
		for _, u := range liveUsers {
			if p.Protected(u) && !slices.Contains(users, u) {
				p.Warn("user %s is protected (settings.protectedUsers or the token's user): not unbound from %s %s", u, r.kind, key)
				users = sets.Uniq(append(users, u))
				if t, ok := liveExp[u]; ok {
					exp[u] = t
				}
			}
		}
		o.Readable("users", users, liveUsers)
		o.Readable("user_expires", exp, liveExp)
	}
	c.bindingFacet(o, "groups", "group_expires", r.bindings.Groups, r.bindings.Expires, "group")
	c.bindingFacet(o, "orgs", "org_expires", r.bindings.Orgs, r.bindings.Expires, "department")

	if r.kind == KindRole && r.resources != nil {
		o.WriteOnly("resources", nil, diff.KV{Name: "resources", Value: normResources(r.resources)})
	}
	var liveRules []spec.Rule
	rulesKnown := false
	if lr != nil && lr.RulesKnown {
		if lrs, err := decodeLiveRules(lr.Rules); err == nil {
			liveRules, rulesKnown = normRules(lrs), true
		}
	}
	if r.kind == KindDataPermission && r.rules != nil {
		want := normRules(r.rules)
		if rulesKnown {
			o.Readable("rules", want, alignLiveRules(want, liveRules))
			o.Applied("rules", diff.KV{Name: "rules", Value: want})
		} else {
			o.WriteOnly("rules", nil, diff.KV{Name: "rules", Value: want})
		}
	}

	if len(o.Replace) > 0 {
		c.completeReplace(o, r, lr, liveUsers, liveExp, liveRules, rulesKnown)
	}
	o.Finish(0)
}

// bindingFacet plans a role's group or org bindings, a write-only facet
// whose items the state keeps: removing one needs a replace.
func (c *projectCtx) bindingFacet(o *diff.Object, name, expName string, want []string, expires map[string]string, what string) {
	if want == nil {
		return
	}
	items := sets.Uniq(want)
	o.WriteOnly(name, items, diff.KV{Name: name, Value: items}, diff.KV{Name: expName, Value: expiresFor(items, expires)})
	if !o.Exists {
		return
	}
	if name == "groups" {
		var again []string
		for _, g := range items {
			if c.replacedGroups[g] {
				again = append(again, g)
			}
		}
		if len(again) > 0 {
			// Make the facet changed: the executor binds every group again.
			delete(o.Before, name)
			delete(o.Before, expName)
			o.ForceUpdate = append(o.ForceUpdate, fmt.Sprintf("group %s is re-created: bind it again", strings.Join(again, ", ")))
		}
	}
	prev, known := o.OldItems(name)
	if !known {
		return
	}
	if name == "groups" {
		// A group the files renamed is still bound under its new name
		// (the binding is by id): not a group to unbind.
		if moved := c.movedGroups(); len(moved) > 0 {
			renamed := make([]string, len(prev))
			for i, it := range prev {
				renamed[i] = it
				if to, ok := moved[it]; ok {
					renamed[i] = to
				}
			}
			prev = renamed
		}
	}
	if name == "groups" && c.onlyRenamed(o, items, expires) {
		return
	}
	var gone, deleted []string
	for _, it := range prev {
		if slices.Contains(items, it) {
			continue
		}
		if name == "groups" && c.deletedGroups[it] {
			// group/dels drops the binding: no replace.
			deleted = append(deleted, it)
			continue
		}
		gone = append(gone, it)
	}
	if len(deleted) > 0 && len(gone) == 0 {
		// When the state's fingerprint is that of today's groups plus the
		// deleted ones, the expiries of the groups kept are unchanged:
		// Before says so, and the executor binds none of them again.
		all := sets.Uniq(append(append([]string{}, items...), deleted...))
		if canon.Fingerprint(map[string]any{name: all, expName: expiresFor(all, expires)}) == o.Old.Facets[name].Hash {
			o.Before.Set(expName, expiresFor(items, expires))
		}
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		o.Replace = append(o.Replace, fmt.Sprintf("the API cannot unbind %s %s from a role: delete it and create it again with the desired bindings", what, strings.Join(gone, ", ")))
	}
}

// completeReplace fills in After what a re-create must bring back that the
// files do not manage, and refuses a replace that would lose what cannot
// be read back.
func (c *projectCtx) completeReplace(o *diff.Object, r roleIn, lr *LiveRole, liveUsers []string, liveExp map[string]string, liveRules []spec.Rule, rulesKnown bool) {
	p := c.p
	// Readable facets the files leave alone come back as they are; Before
	// holds their live value too, so the plan shows them unchanged.
	if !o.After.Has("users") {
		o.After.Set("users", liveUsers)
		o.After.Set("user_expires", liveExp)
		o.Before.Set("users", liveUsers)
		o.Before.Set("user_expires", liveExp)
	}
	if !o.After.Has("description") && lr != nil {
		o.After.Set("description", lr.Description)
		o.Before.Set("description", lr.Description)
	}
	// Group and org bindings cannot be read back: the re-create brings
	// back those the state recorded, without their expiries (the state
	// keeps only the names), and loses any it does not know.
	var unknown []string
	for _, f := range []struct{ name, exp string }{{"groups", "group_expires"}, {"orgs", "org_expires"}} {
		if o.After.Has(f.name) {
			continue
		}
		prev, ok := o.OldItems(f.name)
		if !ok {
			unknown = append(unknown, f.name)
			continue
		}
		if len(prev) == 0 {
			continue
		}
		items := sets.Uniq(prev)
		none := map[string]string{}
		o.After.Set(f.name, items)
		o.After.Set(f.exp, none)
		// Record what the re-create applies, so that expiries written in
		// the files later are applied again.
		h := canon.Fingerprint(map[string]any{f.name: items, f.exp: none})
		if h != diff.Unmarked(o.Old.Facets[f.name].Hash) {
			p.Warn("%s %s is re-created with the %s the state records (%s) but without their expiries, which the state does not keep", r.kind, o.Key, f.name, strings.Join(items, ", "))
		}
		o.Applied(f.name, diff.KV{Name: f.name, Value: items}, diff.KV{Name: f.exp, Value: none})
		nf := o.New.Facets[f.name]
		nf.Items = items
		o.New.Facets[f.name] = nf
	}
	if len(unknown) > 0 {
		p.Warn("%s %s is re-created: %s bound to it that neither the files nor the state record are lost, as the API cannot read them back; list them under %s: to keep them",
			r.kind, o.Key, strings.Join(unknown, " and "), strings.Join(unknown, ": and "))
	}
	switch {
	case r.kind == KindRole && !o.After.Has("resources"):
		p.Refuse(plan.RefuseDataLoss, fmt.Sprintf("%s %s must be replaced (%s), but its resources are not in the files and cannot be read back: add resources: to it (%s)", r.kind, o.Key, strings.Join(o.Replace, "; "), diff.SourceString(r.src)))
	case r.kind == KindDataPermission && !o.After.Has("rules"):
		if !rulesKnown {
			p.Refuse(plan.RefuseDataLoss, fmt.Sprintf("%s %s must be replaced (%s), but its rules are not in the files and cannot be read back: add rules: to it (%s)", r.kind, o.Key, strings.Join(o.Replace, "; "), diff.SourceString(r.src)))
			return
		}
		o.After.Set("rules", liveRules)
	}
}

// onlyRenamed handles a role's groups that differ from what was last
// applied only by groups the files renamed: the bindings are by id and
// stand, so nothing is sent, and the change records the new names (an
// update without a call). It reports whether that is the case.
func (c *projectCtx) onlyRenamed(o *diff.Object, items []string, expires map[string]string) bool {
	moved := c.movedGroups()
	if len(moved) == 0 || o.Old == nil {
		return false
	}
	back := map[string]string{}
	for from, to := range moved {
		back[to] = from
	}
	renamed := false
	old := make([]string, len(items))
	oldExp := map[string]string{}
	for i, g := range items {
		old[i] = g
		if from, ok := back[g]; ok {
			old[i], renamed = from, true
		}
		if t, ok := expires[g]; ok {
			oldExp[old[i]] = t
		}
	}
	if !renamed {
		return false
	}
	old = sets.Uniq(old)
	if canon.Fingerprint(map[string]any{"groups": old, "group_expires": expiresFor(old, oldExp)}) != o.Old.Facets["groups"].Hash {
		return false
	}
	o.Before["groups"], o.Before["group_expires"] = o.After["groups"], o.After["group_expires"]
	o.Changed = slices.DeleteFunc(o.Changed, func(f string) bool { return f == "groups" })
	o.ForceUpdate = append(o.ForceUpdate, "a group it binds was renamed in the files: the state records the new name, nothing is sent")
	return true
}
