package benchgen

import (
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/spec"
)

// OrganizationName is the organization's name in the simulator.
const OrganizationName = "基准科技"

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

// Skeleton renders what a Quick BI organization holds before permsync
// manages it and the API cannot create: the admin behind the access key,
// the workspaces (owned by the admin, without other members) and their
// datasets (without rules, permissions switched off). It seeds the
// simulator of the first apply.
func (c *Company) Skeleton() *quickbitest.Seed {
	s := &quickbitest.Seed{Organization: &quickbitest.SeedOrganization{Name: OrganizationName, MaxTags: 50,
		Admin: &quickbitest.SeedUser{Account: Admin, AccountID: "1000000000000001", Nick: c.Users[Admin].Nick, Type: "developer"}}}
	for _, ws := range c.Workspaces {
		sw := quickbitest.SeedWorkspace{Name: ws.Name, Owner: Admin}
		for _, d := range ws.Datasets {
			sw.Datasets = append(sw.Datasets, quickbitest.SeedDataset{Name: d.Name, Owner: Admin})
		}
		s.Workspaces = append(s.Workspaces, sw)
	}
	return s
}

func rowContent(r *Rule) map[string]any {
	return map[string]any{"conditionNode": map[string]any{
		"caption": "区域", "isMeasure": false, "pathId": "a1b2c3d4e5", "relationOperator": "in", "name": "region",
		"value": map[string]any{"value": []any{r.Value}, "valueType": "ENUM"},
	}}
}

func columnContent(r *Rule) map[string]any { return map[string]any{"pathId": []any{r.Value}} }

func level(l *Level, content func(*Rule) map[string]any) *spec.QuickBIDataLevel {
	if l == nil {
		return nil
	}
	out := &spec.QuickBIDataLevel{Enabled: boolp(l.Enabled), MissHit: l.MissHit, Rules: []spec.QuickBIRule{}}
	if len(l.WhiteUsers)+len(l.WhiteGroups) > 0 {
		out.Whitelist = &spec.QuickBIPeople{Users: append([]string{}, l.WhiteUsers...), Groups: append([]string{}, l.WhiteGroups...)}
	}
	for _, name := range sets.SortedKeys(l.Rules) {
		r := l.Rules[name]
		out.Rules = append(out.Rules, spec.QuickBIRule{Name: r.Name, Users: append([]string{}, r.Users...),
			Groups: append([]string{}, r.Groups...), Content: content(r)})
	}
	return out
}

// Desired renders the company as permsync's Quick BI files: every member
// (with its type, roles and tag values), tag definition, group (with its
// members), workspace member and dataset level, with pruning on for
// members, groups and rules, the admin protected, and maxDeletes at 20%.
func (c *Company) Desired() *spec.Desired {
	q := &spec.QuickBI{Settings: spec.QuickBISettings{
		Prune:          spec.QuickBIPrune{Users: true, Groups: true, Rules: true},
		ProtectedUsers: []string{Admin},
		MaxDeletes:     &spec.MaxDeletes{Share: 20, Percent: true},
		TransferTo:     Admin,
	}}
	for _, t := range c.Tags {
		q.Tags = append(q.Tags, spec.QuickBITag{Name: t.Name, Description: strp(t.Description)})
	}
	for _, a := range sets.SortedKeys(c.Users) {
		u := c.Users[a]
		tags := map[string]*[]string{}
		for name, vals := range u.Tags {
			v := append([]string{}, vals...)
			tags[name] = &v
		}
		q.Users = append(q.Users, spec.QuickBIUser{Account: u.Account, Nick: strp(u.Nick), Type: strp(u.Type),
			Roles: append([]string{}, u.Roles...), Tags: tags, Inactive: boolp(false)})
	}
	for _, id := range sets.SortedKeys(c.Groups) {
		g := c.Groups[id]
		sg := spec.QuickBIGroup{ID: g.ID, Name: g.Name, Parent: g.Parent, Members: sets.SortedKeys(g.Members)}
		if sg.Members == nil {
			sg.Members = []string{}
		}
		if g.Description != "" {
			sg.Description = strp(g.Description)
		}
		q.Groups = append(q.Groups, sg)
	}
	for _, ws := range c.Workspaces {
		sw := spec.QuickBIWorkspace{Name: ws.Name, Members: []spec.QuickBIMember{}}
		for _, a := range sets.SortedKeys(ws.Members) {
			sw.Members = append(sw.Members, spec.QuickBIMember{User: a, Roles: []string{ws.Members[a]}})
		}
		for _, d := range ws.Datasets {
			sw.Datasets = append(sw.Datasets, spec.QuickBIDataset{Name: d.Name, RowLevel: level(d.Row, rowContent), ColumnLevel: level(d.Column, columnContent)})
		}
		q.Workspaces = append(q.Workspaces, sw)
	}
	return &spec.Desired{Provider: spec.QuickBIProvider, QuickBI: q}
}

func seedLevel(l *Level, content func(*Rule) map[string]any) *quickbitest.SeedLevel {
	if l == nil {
		return nil
	}
	out := &quickbitest.SeedLevel{Enabled: l.Enabled, MissHit: l.MissHit,
		Whitelist: quickbitest.SeedPeople{Users: append([]string(nil), l.WhiteUsers...), Groups: append([]string(nil), l.WhiteGroups...)}}
	for _, name := range sets.SortedKeys(l.Rules) {
		r := l.Rules[name]
		out.Rules = append(out.Rules, quickbitest.SeedRule{Name: r.Name, Users: append([]string(nil), r.Users...),
			Groups: append([]string(nil), r.Groups...), Content: content(r)})
	}
	return out
}

// Seed renders the whole company as a simulator seed: the organization
// as permsync leaves it after applying Desired to the Skeleton.
func (c *Company) Seed() *quickbitest.Seed {
	s := c.Skeleton()
	admin := *s.Organization.Admin
	admin.Tags = map[string]quickbitest.TagValues{}
	for name, vals := range c.Users[Admin].Tags {
		admin.Tags[name] = append(quickbitest.TagValues(nil), vals...)
	}
	s.Organization.Admin = &admin
	for _, t := range c.Tags {
		s.Tags = append(s.Tags, quickbitest.SeedTag{Name: t.Name, Description: t.Description})
	}
	for _, a := range sets.SortedKeys(c.Users) {
		if a == Admin {
			continue
		}
		u := c.Users[a]
		su := quickbitest.SeedUser{Account: u.Account, Nick: u.Nick, Type: u.Type, Roles: append([]string(nil), u.Roles...),
			Tags: map[string]quickbitest.TagValues{}}
		for name, vals := range u.Tags {
			su.Tags[name] = append(quickbitest.TagValues(nil), vals...)
		}
		s.Users = append(s.Users, su)
	}
	for _, id := range sets.SortedKeys(c.Groups) {
		g := c.Groups[id]
		s.Groups = append(s.Groups, quickbitest.SeedGroup{ID: g.ID, Name: g.Name, Parent: g.Parent, Description: g.Description,
			Members: sets.SortedKeys(g.Members)})
	}
	for i, ws := range c.Workspaces {
		sw := &s.Workspaces[i]
		for _, a := range sets.SortedKeys(ws.Members) {
			if a != Admin {
				sw.Members = append(sw.Members, quickbitest.SeedMember{User: a, Roles: []string{ws.Members[a]}})
			}
		}
		for j, d := range ws.Datasets {
			sw.Datasets[j].RowLevel = seedLevel(d.Row, rowContent)
			sw.Datasets[j].ColumnLevel = seedLevel(d.Column, columnContent)
		}
	}
	return s
}
