package spec

import (
	"strconv"
	"strings"
)

// Counts are the number of objects of each kind in a desired state.
type Counts struct {
	Users, Departments, SystemRoles, Projects       int
	Groups, Roles, DataPermissions, ResourceMembers int
	Files                                           int

	// Quick BI's kinds (Users and Groups above count its users and
	// groups): tag definitions, workspaces, the members listed under
	// them, datasets and their row and column rules.
	Tags, Workspaces, WorkspaceMembers, Datasets, Rules int
}

// Counts counts the objects of each kind.
func (d *Desired) Counts() Counts {
	if q := d.QuickBI; q != nil {
		c := Counts{Users: len(q.Users), Groups: len(q.Groups), Tags: len(q.Tags), Workspaces: len(q.Workspaces), Files: len(d.Files)}
		for _, w := range q.Workspaces {
			c.WorkspaceMembers += len(w.Members)
			c.Datasets += len(w.Datasets)
			for _, ds := range w.Datasets {
				for _, l := range []*QuickBIDataLevel{ds.RowLevel, ds.ColumnLevel} {
					if l != nil {
						c.Rules += len(l.Rules)
					}
				}
			}
		}
		return c
	}
	c := Counts{Users: len(d.Users), SystemRoles: len(d.SystemRoles), Projects: len(d.Projects), Files: len(d.Files)}
	if d.Orgs != nil {
		c.Departments = len(d.Orgs.Departments)
	}
	for _, p := range d.Projects {
		c.Groups += len(p.Groups)
		c.Roles += len(p.Roles)
		c.DataPermissions += len(p.DataPermissions)
		c.ResourceMembers += len(p.ResourceMembers)
	}
	return c
}

// Summary renders the counts on one line: "12 users, 4 departments, 1
// system role, 2 projects, 3 groups, 5 roles, 2 data permissions, 1
// resource member list (7 files)"; for Quick BI "2 tags, 12 users, 4
// groups, 2 workspaces, 9 workspace members, 3 datasets, 5 rules (4
// files)".
func (d *Desired) Summary() string {
	c := d.Counts()
	var parts []string
	if d.QuickBI != nil {
		parts = []string{
			plural(c.Tags, "tag", "tags"),
			plural(c.Users, "user", "users"),
			plural(c.Groups, "group", "groups"),
			plural(c.Workspaces, "workspace", "workspaces"),
			plural(c.WorkspaceMembers, "workspace member", "workspace members"),
			plural(c.Datasets, "dataset", "datasets"),
			plural(c.Rules, "rule", "rules"),
		}
	} else {
		parts = []string{
			plural(c.Users, "user", "users"),
			plural(c.Departments, "department", "departments"),
			plural(c.SystemRoles, "system role", "system roles"),
			plural(c.Projects, "project", "projects"),
			plural(c.Groups, "group", "groups"),
			plural(c.Roles, "role", "roles"),
			plural(c.DataPermissions, "data permission", "data permissions"),
			plural(c.ResourceMembers, "resource member list", "resource member lists"),
		}
	}
	return strings.Join(parts, ", ") + " (" + plural(c.Files, "file", "files") + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
