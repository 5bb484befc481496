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
}

// Counts counts the objects of each kind.
func (d *Desired) Counts() Counts {
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
// resource member list (7 files)".
func (d *Desired) Summary() string {
	c := d.Counts()
	parts := []string{
		plural(c.Users, "user", "users"),
		plural(c.Departments, "department", "departments"),
		plural(c.SystemRoles, "system role", "system roles"),
		plural(c.Projects, "project", "projects"),
		plural(c.Groups, "group", "groups"),
		plural(c.Roles, "role", "roles"),
		plural(c.DataPermissions, "data permission", "data permissions"),
		plural(c.ResourceMembers, "resource member list", "resource member lists"),
	}
	return strings.Join(parts, ", ") + " (" + plural(c.Files, "file", "files") + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
