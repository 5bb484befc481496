package youdata

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// planSystemRoles plans custom system roles.
func (p *planner) planSystemRoles() {
	want := map[string]bool{}
	roles := append([]spec.SystemRole(nil), p.d.SystemRoles...)
	sort.SliceStable(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
	for _, r := range roles {
		want[r.Name] = true
		lr, ok := p.live.SystemRoles[r.Name]
		m := p.ident.sysRoles.ByDesired[r.Name]
		o := p.NewObject(KindSystemRole, r.Name, r.Src, ok)
		o.After.Set("name", r.Name)
		if ok {
			o.Before.Set("name", lr.Name)
		}
		switch m.How {
		case diff.RenamedOnServer:
			o.ForceUpdate = append(o.ForceUpdate, m.Reason())
		case diff.RenamedInFiles:
			adoptState(o, p.StateOf(KindSystemRole, m.StateName))
			o.After.Set("moved_from", movedKey("", m.StateName))
			o.ForceUpdate = append(o.ForceUpdate, m.Reason())
		case diff.RecreatedOnServer:
			// Made again by hand: not permsync's, and known by its new id.
			adoptState(o, nil)
			o.ForceUpdate = append(o.ForceUpdate, m.Reason())
		case diff.DeletedOnServer:
			o.CreateReason = m.Reason()
		}
		o.ID(lr.ID)
		if r.Description != nil {
			o.Readable("description", *r.Description, lr.Description)
		}
		o.Finish(0)
	}
	for _, name := range sets.SortedKeys(p.live.SystemRoles) {
		if want[name] {
			continue
		}
		old := p.StateOf(KindSystemRole, name)
		if _, moved := p.ident.sysRoles.Moved[name]; moved {
			continue
		}
		why := diff.DeleteWhy(old, p.d.Settings.Prune.SystemRoles, "prune.systemRoles")
		if why == "" {
			continue
		}
		if p.d.SystemRoles == nil {
			p.Undeclared(KindSystemRole, "systemRoles", name)
			continue
		}
		lr := p.live.SystemRoles[name]
		var before plan.Attrs
		before.Set("name", name)
		before.Set("id", lr.ID)
		before.Set("description", lr.Description)
		p.AddDelete(plan.Change{Kind: KindSystemRole, Key: name, Before: before, Reason: why}, 0)
	}
}

// planOrgs plans the company and the departments.
func (p *planner) planOrgs() {
	want := map[string]spec.Department{}
	if p.d.Orgs != nil {
		if p.d.Orgs.Company != "" {
			o := p.NewObject(KindCompany, "company", p.d.Orgs.Src, true)
			o.WriteOnly("name", nil, diff.KV{Name: "name", Value: p.d.Orgs.Company})
			o.Finish(0)
		}
		for _, dep := range p.d.Orgs.Departments {
			want[dep.Code] = dep
		}
	}
	depth := func(code string) int {
		n := 0
		seen := map[string]bool{}
		for cur, ok := want[code]; ok && cur.Parent != "" && !seen[cur.Code]; cur, ok = want[cur.Parent] {
			seen[cur.Code] = true
			n++
		}
		return n
	}
	for _, code := range sets.SortedKeys(want) {
		dep := want[code]
		old := p.StateOf(KindDepartment, code)
		o := p.NewObject(KindDepartment, code, dep.Src, old != nil)
		o.CreateReason = "not in state; the server does not show departments, so syncOrg creates or updates it"
		// syncOrg creates or updates, and the server does not show which
		// departments exist: permsync cannot tell one it creates from one
		// that was there before, so it never records a department as
		// created. Departments leave the server only with prune.orgs (or
		// when an existing state records them as created).
		o.New.Created = old != nil && old.Created
		o.Ident("code", code)
		admins := dep.Admins
		if admins == nil {
			admins = []string{}
		}
		var parentItems []string
		if dep.Parent != "" {
			parentItems = []string{dep.Parent}
		}
		o.WriteOnly("department", nil,
			diff.KV{Name: "name", Value: dep.Name}, diff.KV{Name: "parent", Value: dep.Parent}, diff.KV{Name: "admins", Value: admins}, diff.KV{Name: "description", Value: dep.Description})
		o.New.Facets["parent"] = state.Facet{Hash: canon.Fingerprint(dep.Parent), Items: parentItems}
		o.Finish(depth(code))
	}
	// Deletions: departments the state knows and the files no longer have.
	stateParent := map[string]string{}
	for _, code := range p.StateKeys(KindDepartment, "") {
		if f, ok := p.StateOf(KindDepartment, code).Facets["parent"]; ok && len(f.Items) > 0 {
			stateParent[code] = f.Items[0]
		}
	}
	stateDepth := func(code string) int {
		n := 0
		seen := map[string]bool{}
		for cur := code; stateParent[cur] != "" && !seen[cur]; cur = stateParent[cur] {
			seen[cur] = true
			n++
		}
		return n
	}
	for _, code := range p.StateKeys(KindDepartment, "") {
		if _, ok := want[code]; ok {
			continue
		}
		why := diff.DeleteWhy(p.StateOf(KindDepartment, code), p.d.Settings.Prune.Orgs, "prune.orgs")
		if why == "" {
			continue
		}
		if p.d.Orgs == nil || p.d.Orgs.Departments == nil {
			p.Undeclared(KindDepartment, "orgs.departments", code)
			continue
		}
		var before plan.Attrs
		before.Set("code", code)
		before.Set("parent", stateParent[code])
		p.AddDelete(plan.Change{Kind: KindDepartment, Key: code, Before: before, Reason: why}, stateDepth(code))
	}
}

// userOrg is a user's department in attributes.
type userOrg struct {
	Code string `json:"code"`
	Role string `json:"role"`
}

// planUsers plans domain users: the users under users:, and deletions.
func (p *planner) planUsers() {
	users := append([]spec.User(nil), p.d.Users...)
	sort.SliceStable(users, func(i, j int) bool { return users[i].UniqueID < users[j].UniqueID })
	for _, u := range users {
		lu, ok := p.live.Users[u.UniqueID]
		o := p.NewObject(KindUser, u.UniqueID, u.Src, ok)
		o.Ident("uniqueId", u.UniqueID)
		o.ID(lu.ID)
		// The files' text is trimmed (spec), so the server's is compared
		// trimmed too: a nick typed as "  王五 " in the web console is
		// what `nick: "  王五 "` (or an export of it) means.
		if u.Email != nil {
			o.Readable("email", *u.Email, strings.TrimSpace(deref(lu.Email)))
		}
		if u.Phone != nil {
			o.Readable("phone", *u.Phone, strings.TrimSpace(deref(lu.Phone)))
		}
		if u.Nick != nil {
			o.Readable("nick", *u.Nick, strings.TrimSpace(deref(lu.Nick)))
		}
		if u.CustomInfo != nil {
			o.Readable("customInfo", normCustomInfo(canon.JSON(u.CustomInfo)), normCustomInfo(lu.CustomInfo))
		}
		if u.Department != nil {
			o.WriteOnly("department", nil, diff.KV{Name: "department", Value: *u.Department})
		}
		if u.Company != nil {
			o.WriteOnly("company", nil, diff.KV{Name: "company", Value: *u.Company})
		}
		if u.Position != nil {
			o.WriteOnly("position", nil, diff.KV{Name: "position", Value: *u.Position})
		}
		if u.Left != nil {
			o.WriteOnly("left", nil, diff.KV{Name: "left", Value: *u.Left})
		}
		if u.AllowExternal != nil {
			o.WriteOnly("allowExternal", nil, diff.KV{Name: "allowExternal", Value: *u.AllowExternal})
		}
		if u.Orgs != nil {
			orgs := make([]userOrg, 0, len(u.Orgs))
			for _, uo := range u.Orgs {
				role := uo.Role
				if role == "" {
					role = "normal"
				}
				orgs = append(orgs, userOrg{Code: uo.Code, Role: role})
			}
			sort.SliceStable(orgs, func(i, j int) bool { return orgs[i].Code < orgs[j].Code })
			o.WriteOnly("orgs", nil, diff.KV{Name: "orgs", Value: orgs})
		}
		p.planAttrs(o, u)
		o.Finish(0)
	}
	// Deletions.
	for _, uid := range sets.SortedKeys(p.live.Users) {
		if p.declared[uid] || p.referenced[uid] {
			continue
		}
		why := diff.DeleteWhy(p.StateOf(KindUser, uid), p.d.Settings.Prune.Users, "prune.users")
		if why == "" {
			continue
		}
		if p.d.Users == nil {
			p.Undeclared(KindUser, "users", uid)
			continue
		}
		if p.Protected(uid) {
			p.Warn("user %s is protected (settings.protectedUsers or the token's user): not deleted from the domain", uid)
			continue
		}
		lu := p.live.Users[uid]
		var before plan.Attrs
		before.Set("uniqueId", uid)
		before.Set("id", lu.ID)
		if lu.Nick != nil {
			before.Set("nick", *lu.Nick)
		}
		if lu.Email != nil {
			before.Set("email", *lu.Email)
		}
		p.AddDelete(plan.Change{Kind: KindUser, Key: uid, Before: before, Reason: why}, 0)
	}
}

// normUserAttrs keeps null (clear) and [] (none) apart; values are sorted.
func normUserAttrs(in map[string]*[]string) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(in))
	for name, v := range in {
		if v == nil {
			out[name] = json.RawMessage("null")
			continue
		}
		vals := append([]string{}, (*v)...)
		sort.Strings(vals)
		out[name] = canon.JSON(vals)
	}
	return out
}

// normCustomInfo makes customInfo comparable: canonical JSON, a JSON
// object encoded as a string decoded, null and empty as {}.
func normCustomInfo(raw json.RawMessage) json.RawMessage {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == `""` {
		return json.RawMessage("{}")
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		if c, err := canon.Bytes([]byte(str)); err == nil {
			return c
		}
		return canon.JSON(str)
	}
	c, err := canon.Bytes(raw)
	if err != nil {
		return canon.JSON(fmt.Sprintf("%s", raw))
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
