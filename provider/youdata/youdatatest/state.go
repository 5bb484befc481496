package youdatatest

import (
	"encoding/json"
	"time"

	"github.com/permsync/permsync/internal/sets"
)

// State is the whole content of a simulated server. Snapshot returns a deep
// copy of it; tests compare it with what the desired files asked for. Much of
// it (departments, attributes, resource permissions, groups as such, the
// group and department bindings of roles, direct resource members) cannot be
// read over HTTP, exactly as on the real server.
type State struct {
	// Company is the company name (orgStructure/syncOrg companyName).
	Company string
	// Admin is the uniqueId of the domain admin: the owner of every token
	// and the domain owner (it cannot be deleted).
	Admin string
	// Users are the domain users by uniqueId.
	Users map[string]*User
	// Orgs are the departments by code.
	Orgs map[string]*Org
	// Attributes are the user attribute definitions: id → name.
	Attributes map[int64]string
	// SystemRoles are the custom system roles by id (the built-in ones,
	// 1 admin, 2 editor, 3 viewer, are implicit).
	SystemRoles map[int64]*SystemRole
	// Projects by id.
	Projects map[int64]*Project
}

// User is a domain user.
type User struct {
	ID         int64
	UniqueID   string
	Email      *string
	Nick       *string
	Phone      *string
	CustomInfo json.RawMessage
	Department *string
	Company    *string
	Position   *string
	// Left is ifLeave == 1.
	Left bool
	// AllowExternal is networkConfig.allowExternal; nil when never set.
	AllowExternal *bool
	// Frozen is set when a department of the user was deleted by a forced
	// (the default) orgStructure/syncOrg. Nothing over the API unfreezes.
	Frozen bool
	// Attrs are attribute values by attribute name. An empty, non-nil list
	// is "no values" (sees nothing); a cleared attribute is absent.
	Attrs map[string][]string
	// Orgs are the user's departments, sorted by code.
	Orgs []UserOrg
}

// UserOrg is a user's membership of a department.
type UserOrg struct {
	Code string
	Role string // leader | normal
}

// Org is a department.
type Org struct {
	Code        string
	Name        string
	Parent      string // "" for a first-level department
	Admins      []string
	Description string
}

// SystemRole is a custom system role.
type SystemRole struct {
	ID          int64
	Name        string
	Description string
}

// Project is a project and everything inside it.
type Project struct {
	ID          int64
	Name        string
	Description string
	// Members by uniqueId.
	Members map[string]*Member
	// Roles are the roles (type 0 and 3) and row permissions (type 2) by id.
	Roles map[int64]*Role
	// Groups by id.
	Groups map[int64]*Group
	// Folders are the role and row-permission folders by id.
	Folders map[int64]*Folder
	// ResourceMembers are the direct members of resources
	// (directResourcePerm/syncMembers): uniqueId → permissions.
	ResourceMembers map[ResourceKey]map[string][]string
}

// Member is a project member.
type Member struct {
	// ID is the projectUser id.
	ID       int64
	UniqueID string
	// SystemRoles are the system role ids, sorted: 1 admin, 2 editor,
	// 3 viewer, custom ids.
	SystemRoles []int64
}

// Folder types.
const (
	FolderRole    = "ROLE"
	FolderRowPerm = "ROW_PERMISSION"
)

// Folder is a folder of roles or of row permissions (one level only).
type Folder struct {
	ID   int64
	Name string
	Type string // FolderRole | FolderRowPerm
}

// Role is a role (Type 0 level 1, 3 level 2) or a row permission (Type 2).
type Role struct {
	ID          int64
	Name        string
	Type        int
	FolderID    int64 // 0 at the root
	Description string
	// Resources are the resource permissions (roles only).
	Resources []ResourcePermission
	// DataPermissions are the rules as written (row permissions only),
	// with the server's defaults filled in (type, mode, rule).
	DataPermissions []DataPermission
	// Users, Groups (by group id) and Orgs (by code) bound to the role.
	Users  map[string]Binding
	Groups map[int64]Binding
	Orgs   map[string]Binding
}

// Binding is one holder of a role.
type Binding struct {
	// Expires is when the binding ends; nil: never.
	Expires *time.Time
}

// ResourcePermission is one resource permission of a role.
type ResourcePermission struct {
	Type        string
	ID          int64
	Path        []string
	IsFolder    bool
	Permissions []string
}

// DataPermission is one rule of a row permission, as written.
type DataPermission struct {
	DataConnectionID int64
	Type             string // row | column | table
	Mode             string // fixed | dynamic
	Rule             string // or | and
	Details          []json.RawMessage
}

// Group is a user group.
type Group struct {
	ID          int64
	Name        string
	Folder      string
	Description string
	// Members are uniqueIds, sorted.
	Members []string
}

// ResourceKey names a resource of directResourcePerm/syncMembers.
type ResourceKey struct {
	Type string // DATA_MODEL | DATA_CONNECTION | NEW_REPORT
	ID   int64
}

// ProjectByName returns the project with that name, or nil.
func (st *State) ProjectByName(name string) *Project {
	for _, id := range sets.SortedKeys(st.Projects) {
		if st.Projects[id].Name == name {
			return st.Projects[id]
		}
	}
	return nil
}

// SystemRoleByName returns the custom system role with that name, or nil.
func (st *State) SystemRoleByName(name string) *SystemRole {
	for _, id := range sets.SortedKeys(st.SystemRoles) {
		if st.SystemRoles[id].Name == name {
			return st.SystemRoles[id]
		}
	}
	return nil
}

// GroupByName returns the group with that name, or nil.
func (p *Project) GroupByName(name string) *Group {
	var best *Group
	for _, g := range p.Groups {
		if g.Name == name && (best == nil || g.ID < best.ID) {
			best = g
		}
	}
	return best
}

// FolderName is the name of a folder, "" for the root or an unknown id.
func (p *Project) FolderName(id int64) string {
	if f := p.Folders[id]; f != nil {
		return f.Name
	}
	return ""
}

// FindRole returns the role or row permission with that folder ("" for the
// root), name and one of the types (any type when none is given), or nil.
// When several match, the oldest (lowest id) wins.
func (p *Project) FindRole(folder, name string, types ...int) *Role {
	var best *Role
	for _, r := range p.Roles {
		if r.Name != name || p.FolderName(r.FolderID) != folder || !typeIn(r.Type, types) {
			continue
		}
		if best == nil || r.ID < best.ID {
			best = r
		}
	}
	return best
}

func typeIn(t int, types []int) bool {
	if len(types) == 0 {
		return true
	}
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// GroupBindings returns a role's group bindings by group name.
func (p *Project) GroupBindings(r *Role) map[string]Binding {
	out := make(map[string]Binding, len(r.Groups))
	for id, b := range r.Groups {
		if g := p.Groups[id]; g != nil {
			out[g.Name] = b
		}
	}
	return out
}

// Clone returns a deep copy.
func (st *State) Clone() *State {
	out := &State{
		Company:     st.Company,
		Admin:       st.Admin,
		Users:       make(map[string]*User, len(st.Users)),
		Orgs:        make(map[string]*Org, len(st.Orgs)),
		Attributes:  make(map[int64]string, len(st.Attributes)),
		SystemRoles: make(map[int64]*SystemRole, len(st.SystemRoles)),
		Projects:    make(map[int64]*Project, len(st.Projects)),
	}
	for k, u := range st.Users {
		out.Users[k] = u.clone()
	}
	for k, o := range st.Orgs {
		c := *o
		c.Admins = cloneStrings(o.Admins)
		out.Orgs[k] = &c
	}
	for k, v := range st.Attributes {
		out.Attributes[k] = v
	}
	for k, r := range st.SystemRoles {
		c := *r
		out.SystemRoles[k] = &c
	}
	for k, p := range st.Projects {
		out.Projects[k] = p.clone()
	}
	return out
}

func (u *User) clone() *User {
	c := *u
	c.Email = cloneStr(u.Email)
	c.Nick = cloneStr(u.Nick)
	c.Phone = cloneStr(u.Phone)
	c.Department = cloneStr(u.Department)
	c.Company = cloneStr(u.Company)
	c.Position = cloneStr(u.Position)
	if u.AllowExternal != nil {
		b := *u.AllowExternal
		c.AllowExternal = &b
	}
	c.CustomInfo = cloneRaw(u.CustomInfo)
	if u.Attrs != nil {
		c.Attrs = make(map[string][]string, len(u.Attrs))
		for k, v := range u.Attrs {
			c.Attrs[k] = cloneStrings(v)
		}
	}
	if u.Orgs != nil {
		c.Orgs = append([]UserOrg{}, u.Orgs...)
	}
	return &c
}

func (p *Project) clone() *Project {
	c := &Project{
		ID:              p.ID,
		Name:            p.Name,
		Description:     p.Description,
		Members:         make(map[string]*Member, len(p.Members)),
		Roles:           make(map[int64]*Role, len(p.Roles)),
		Groups:          make(map[int64]*Group, len(p.Groups)),
		Folders:         make(map[int64]*Folder, len(p.Folders)),
		ResourceMembers: make(map[ResourceKey]map[string][]string, len(p.ResourceMembers)),
	}
	for k, m := range p.Members {
		mc := *m
		mc.SystemRoles = append([]int64{}, m.SystemRoles...)
		c.Members[k] = &mc
	}
	for k, r := range p.Roles {
		c.Roles[k] = r.clone()
	}
	for k, g := range p.Groups {
		gc := *g
		gc.Members = cloneStrings(g.Members)
		c.Groups[k] = &gc
	}
	for k, f := range p.Folders {
		fc := *f
		c.Folders[k] = &fc
	}
	for k, ms := range p.ResourceMembers {
		mc := make(map[string][]string, len(ms))
		for u, perms := range ms {
			mc[u] = cloneStrings(perms)
		}
		c.ResourceMembers[k] = mc
	}
	return c
}

func (r *Role) clone() *Role {
	c := *r
	c.Resources = nil
	for _, rp := range r.Resources {
		rp.Path = cloneStrings(rp.Path)
		rp.Permissions = cloneStrings(rp.Permissions)
		c.Resources = append(c.Resources, rp)
	}
	c.DataPermissions = nil
	for _, dp := range r.DataPermissions {
		details := make([]json.RawMessage, len(dp.Details))
		for i, d := range dp.Details {
			details[i] = cloneRaw(d)
		}
		dp.Details = details
		c.DataPermissions = append(c.DataPermissions, dp)
	}
	c.Users = cloneBindings(r.Users)
	c.Groups = cloneBindings(r.Groups)
	c.Orgs = cloneBindings(r.Orgs)
	return &c
}

func cloneBindings[K comparable](m map[K]Binding) map[K]Binding {
	out := make(map[K]Binding, len(m))
	for k, b := range m {
		if b.Expires != nil {
			t := *b.Expires
			b.Expires = &t
		}
		out[k] = b
	}
	return out
}

func cloneStr(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}

// cloneStrings keeps nil nil and empty empty.
func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return append(json.RawMessage{}, r...)
}
