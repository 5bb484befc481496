package benchgen

import (
	"sort"

	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

// Company is the company name of the benchmark's org tree.
const CompanyName = "基准科技有限公司"

// Connection is the data connection of the data permissions' rules.
const Connection = 2010

func resourcesOf(ro *Role) []spec.Resource {
	return []spec.Resource{{Type: "NEW_REPORT", Path: []string{"报表", ro.Folder, ro.Name}, Permissions: []string{"view"}}}
}

func ruleDetails(ro *Role) []map[string]any {
	return []map[string]any{{
		"type": "row", "tableName": "订单总表", "filterType": "listFilter", "selectType": "select",
		"filter": map[string]any{
			"dim":    map[string]any{"field": "地区", "dataType": "String"},
			"select": []any{ro.Name},
		},
	}}
}

func sortedUsers(ro *Role) ([]string, map[string]string) {
	users := sets.SortedKeys(ro.Users)
	var exp map[string]string
	for _, u := range users {
		if e := ro.Users[u]; e != "" {
			if exp == nil {
				exp = map[string]string{}
			}
			exp[u] = e
		}
	}
	return users, exp
}

func strp(s string) *string { return &s }

// Seed renders the company as a simulator seed. Users' ids follow their
// uniqueIds, so the same company always gets the same ids.
func (c *Company) Seed() *youdatatest.Seed {
	s := &youdatatest.Seed{Orgs: &youdatatest.SeedOrgs{Company: CompanyName}}
	for _, d := range c.Depts {
		s.Orgs.Departments = append(s.Orgs.Departments, youdatatest.SeedDepartment{Code: d.Code, Name: d.Name, Parent: d.Parent})
	}
	for _, uid := range sets.SortedKeys(c.Users) {
		u := c.Users[uid]
		s.Users = append(s.Users, youdatatest.SeedUser{UniqueID: u.UID, Email: strp(u.Email), Nick: strp(u.Nick),
			Orgs: []youdatatest.SeedUserOrg{{Code: u.Dept}}})
	}
	for _, p := range c.Projects {
		sp := youdatatest.SeedProject{Name: p.Name}
		for _, u := range sets.SortedKeys(p.Members) {
			sp.Members = append(sp.Members, youdatatest.SeedMember{User: u, SystemRoles: []string{p.Members[u]}})
		}
		for _, name := range sets.SortedKeys(p.Groups) {
			g := p.Groups[name]
			sp.Groups = append(sp.Groups, youdatatest.SeedGroup{Name: g.Name, Folder: g.Folder, Members: sets.SortedKeys(g.Members)})
		}
		for _, k := range sets.SortedKeys(p.Roles) {
			ro := p.Roles[k]
			users, exp := sortedUsers(ro)
			sr := youdatatest.SeedRole{Name: ro.Name, Folder: ro.Folder,
				SeedBindings: youdatatest.SeedBindings{Users: users, Groups: ro.Groups, Orgs: ro.Orgs, Expires: exp}}
			for _, res := range resourcesOf(ro) {
				sr.Resources = append(sr.Resources, youdatatest.SeedResource{Type: res.Type, Path: res.Path, Permissions: res.Permissions})
			}
			sp.Roles = append(sp.Roles, sr)
		}
		for _, k := range sets.SortedKeys(p.DPs) {
			ro := p.DPs[k]
			users, exp := sortedUsers(ro)
			sp.DataPermissions = append(sp.DataPermissions, youdatatest.SeedDataPermission{Name: ro.Name, Folder: ro.Folder,
				SeedBindings: youdatatest.SeedBindings{Users: users, Groups: ro.Groups, Expires: exp},
				Rules:        []youdatatest.SeedRule{{Connection: Connection, Type: "row", Mode: "fixed", Rule: "or", Details: ruleDetails(ro)}}})
		}
		s.Projects = append(s.Projects, sp)
	}
	return s
}

// Desired renders the company as permsync's desired state: every user,
// department, member, group, role and data permission, with pruning on
// for users, groups, roles and data permissions (what leaves the files
// leaves the server) and maxDeletes at 20%.
func (c *Company) Desired() *spec.Desired {
	d := &spec.Desired{
		Settings: spec.Settings{
			Prune:          spec.Prune{Users: true, Groups: true, Roles: true, DataPermissions: true},
			ProtectedUsers: []string{Admin},
			MaxDeletes:     &spec.MaxDeletes{Share: 20, Percent: true},
		},
		Orgs: &spec.Orgs{Company: CompanyName},
	}
	for _, dep := range c.Depts {
		d.Orgs.Departments = append(d.Orgs.Departments, spec.Department{Code: dep.Code, Name: dep.Name, Parent: dep.Parent})
	}
	for _, uid := range sets.SortedKeys(c.Users) {
		u := c.Users[uid]
		d.Users = append(d.Users, spec.User{UniqueID: u.UID, Email: strp(u.Email), Nick: strp(u.Nick),
			Orgs: []spec.UserOrg{{Code: u.Dept}}})
	}
	for _, p := range c.Projects {
		sp := spec.Project{Name: p.Name, Members: []spec.Member{}, Groups: []spec.Group{}, Roles: []spec.Role{}, DataPermissions: []spec.DataPermission{}}
		for _, u := range sets.SortedKeys(p.Members) {
			sp.Members = append(sp.Members, spec.Member{User: u, SystemRoles: []string{p.Members[u]}})
		}
		for _, name := range sets.SortedKeys(p.Groups) {
			g := p.Groups[name]
			sp.Groups = append(sp.Groups, spec.Group{Name: g.Name, Folder: g.Folder, Members: sets.SortedKeys(g.Members)})
		}
		for _, k := range sets.SortedKeys(p.Roles) {
			ro := p.Roles[k]
			users, exp := sortedUsers(ro)
			sp.Roles = append(sp.Roles, spec.Role{Name: ro.Name, Folder: ro.Folder,
				Bindings:  spec.Bindings{Users: users, Groups: append([]string{}, ro.Groups...), Orgs: append([]string{}, ro.Orgs...), Expires: exp},
				Resources: resourcesOf(ro)})
		}
		for _, k := range sets.SortedKeys(p.DPs) {
			ro := p.DPs[k]
			users, exp := sortedUsers(ro)
			sp.DataPermissions = append(sp.DataPermissions, spec.DataPermission{Name: ro.Name, Folder: ro.Folder,
				Bindings: spec.Bindings{Users: users, Groups: append([]string{}, ro.Groups...), Expires: exp},
				Rules: []spec.Rule{{Connection: Connection, Type: "row", Mode: "fixed", Rule: "or", Details: []spec.Detail{{
					Type: "row", TableName: "订单总表", FilterType: "listFilter", SelectType: "select",
					Filter: &spec.Filter{Dim: &spec.Field{Field: "地区", DataType: "String"}, Select: []string{ro.Name}},
				}}}}})
		}
		d.Projects = append(d.Projects, sp)
	}
	sort.SliceStable(d.Projects, func(i, j int) bool { return d.Projects[i].Name < d.Projects[j].Name })
	return d
}
