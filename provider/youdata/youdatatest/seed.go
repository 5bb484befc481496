package youdatatest

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/permsync/permsync/internal/sets"
	"sigs.k8s.io/yaml"
)

// Seed describes an existing server: the simulator's initial state. It
// reads like permsync's desired-state files (docs/simulator.md), with
// server-only facts added (ids, frozen users, attribute definitions).
type Seed struct {
	// Version is accepted and ignored, so a seed can start like a desired
	// file.
	Version int `json:"version,omitempty"`
	// Admin is the domain admin, owner of every token. Default: uniqueId
	// "admin", email "admin@example.com".
	Admin       *SeedUser        `json:"admin,omitempty"`
	Orgs        *SeedOrgs        `json:"orgs,omitempty"`
	Attributes  []SeedAttribute  `json:"attributes,omitempty"`
	Users       []SeedUser       `json:"users,omitempty"`
	SystemRoles []SeedSystemRole `json:"systemRoles,omitempty"`
	Projects    []SeedProject    `json:"projects,omitempty"`
}

// SeedOrgs is the company and its departments.
type SeedOrgs struct {
	Company     string           `json:"company,omitempty"`
	Departments []SeedDepartment `json:"departments,omitempty"`
}

// SeedDepartment is a department; a parent must be listed before or after,
// anywhere in the seed.
type SeedDepartment struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Parent      string   `json:"parent,omitempty"`
	Admins      []string `json:"admins,omitempty"`
	Description string   `json:"description,omitempty"`
}

// SeedAttribute defines a user attribute. Attributes used by users but not
// defined here are defined automatically.
type SeedAttribute struct {
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name"`
}

// SeedUser is a domain user.
type SeedUser struct {
	ID            int64               `json:"id,omitempty"`
	UniqueID      string              `json:"uniqueId"`
	Email         *string             `json:"email,omitempty"`
	Nick          *string             `json:"nick,omitempty"`
	Phone         *string             `json:"phone,omitempty"`
	CustomInfo    any                 `json:"customInfo,omitempty"`
	Department    *string             `json:"department,omitempty"`
	Company       *string             `json:"company,omitempty"`
	Position      *string             `json:"position,omitempty"`
	Left          bool                `json:"left,omitempty"`
	AllowExternal *bool               `json:"allowExternal,omitempty"`
	Frozen        bool                `json:"frozen,omitempty"`
	Attrs         map[string][]string `json:"attrs,omitempty"`
	Orgs          []SeedUserOrg       `json:"orgs,omitempty"`
}

// SeedUserOrg is a user's department.
type SeedUserOrg struct {
	Code string `json:"code"`
	Role string `json:"role,omitempty"` // leader | normal (default)
}

// SeedSystemRole is a custom system role.
type SeedSystemRole struct {
	ID          int64  `json:"id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// SeedProject is a project and its content.
type SeedProject struct {
	ID              int64                `json:"id,omitempty"`
	Name            string               `json:"name"`
	Description     string               `json:"description,omitempty"`
	Members         []SeedMember         `json:"members,omitempty"`
	Groups          []SeedGroup          `json:"groups,omitempty"`
	Roles           []SeedRole           `json:"roles,omitempty"`
	DataPermissions []SeedDataPermission `json:"dataPermissions,omitempty"`
	ResourceMembers []SeedResourceMember `json:"resourceMembers,omitempty"`
}

// SeedMember is a project member; systemRoles are admin, editor, viewer or
// custom system role names (none: viewer).
type SeedMember struct {
	User        string   `json:"user"`
	SystemRoles []string `json:"systemRoles,omitempty"`
}

// SeedGroup is a user group.
type SeedGroup struct {
	Name        string   `json:"name"`
	Folder      string   `json:"folder,omitempty"`
	Description string   `json:"description,omitempty"`
	Members     []string `json:"members,omitempty"`
}

// SeedBindings are the holders of a role or data permission. Users bound
// but not listed as members join the project as viewers.
type SeedBindings struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
	Orgs   []string `json:"orgs,omitempty"`
	// Expires maps a user, group name or department code to
	// "2006-01-02 15:04:05" (UTC+08:00).
	Expires map[string]string `json:"expires,omitempty"`
}

// SeedRole is a role: level 1 (API type 0, the default) or 2 (type 3).
type SeedRole struct {
	Name        string `json:"name"`
	Folder      string `json:"folder,omitempty"`
	Level       int    `json:"level,omitempty"`
	Description string `json:"description,omitempty"`
	SeedBindings
	Resources []SeedResource `json:"resources,omitempty"`
}

// SeedResource is a resource permission of a role.
type SeedResource struct {
	Type        string   `json:"type"`
	ID          int64    `json:"id,omitempty"`
	Path        []string `json:"path,omitempty"`
	Folder      bool     `json:"folder,omitempty"`
	Permissions []string `json:"permissions"`
}

// SeedDataPermission is a row permission (API type 2).
type SeedDataPermission struct {
	Name        string `json:"name"`
	Folder      string `json:"folder,omitempty"`
	Description string `json:"description,omitempty"`
	SeedBindings
	Rules []SeedRule `json:"rules,omitempty"`
}

// SeedRule is one entry of importDataPermissions' dataPermissions. The
// data connection may be written as connection (as in permsync's files)
// or dataConnectionId (as in the API). Details are the API's own objects.
type SeedRule struct {
	Connection       int64            `json:"connection,omitempty"`
	DataConnectionID int64            `json:"dataConnectionId,omitempty"`
	Type             string           `json:"type,omitempty"`
	Mode             string           `json:"mode,omitempty"`
	Rule             string           `json:"rule,omitempty"`
	Details          []map[string]any `json:"details"`
}

// SeedResourceMember is the list of direct members of one resource.
type SeedResourceMember struct {
	Type    string                  `json:"type"`
	ID      int64                   `json:"id"`
	Members []SeedResourceMemberRef `json:"members"`
}

// SeedResourceMemberRef is one direct member.
type SeedResourceMemberRef struct {
	User        string   `json:"user"`
	Permissions []string `json:"permissions"`
}

// LoadSeed reads a YAML or JSON seed strictly (unknown keys are errors)
// and checks that it describes a consistent server.
func LoadSeed(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load seed: %w", err)
	}
	seed, err := ParseSeed(data)
	if err != nil {
		return nil, fmt.Errorf("load seed %s: %w", path, err)
	}
	return seed, nil
}

// ParseSeed parses and checks a YAML or JSON seed.
func ParseSeed(data []byte) (*Seed, error) {
	var seed Seed
	if err := yaml.UnmarshalStrict(data, &seed); err != nil {
		return nil, err
	}
	if _, err := build(Options{Seed: &seed}); err != nil {
		return nil, err
	}
	return &seed, nil
}

func (s *Server) applySeed(seed *Seed) error {
	if seed == nil {
		seed = &Seed{}
	}
	admin := SeedUser{UniqueID: "admin", Email: strPtr("admin@example.com"), Nick: strPtr("管理员")}
	if seed.Admin != nil {
		admin = *seed.Admin
	}
	if admin.UniqueID == "" {
		return fmt.Errorf("admin: uniqueId is empty")
	}
	s.st.Admin = admin.UniqueID
	if seed.Orgs != nil {
		s.st.Company = seed.Orgs.Company
	}

	for i, a := range seed.Attributes {
		if a.Name == "" {
			return fmt.Errorf("attributes[%d]: name is empty", i)
		}
		id := a.ID
		if id == 0 {
			id = s.ids.attr + 1
		}
		if _, dup := s.st.Attributes[id]; dup {
			return fmt.Errorf("attributes[%d]: id %d used twice", i, id)
		}
		s.st.Attributes[id] = a.Name
		if id > s.ids.attr {
			s.ids.attr = id
		}
	}

	if seed.Orgs != nil {
		for i, d := range seed.Orgs.Departments {
			if d.Code == "" || d.Name == "" {
				return fmt.Errorf("orgs.departments[%d]: code and name are required", i)
			}
			if s.st.Orgs[d.Code] != nil {
				return fmt.Errorf("orgs.departments[%d]: code %q used twice", i, d.Code)
			}
			s.st.Orgs[d.Code] = &Org{Code: d.Code, Name: d.Name, Parent: d.Parent,
				Admins: cloneStrings(d.Admins), Description: d.Description}
		}
		for i, d := range seed.Orgs.Departments {
			seen := map[string]bool{}
			for c := d.Code; c != ""; c = s.st.Orgs[c].Parent {
				if s.st.Orgs[c] == nil {
					return fmt.Errorf("orgs.departments[%d]: unknown parent %q", i, c)
				}
				if seen[c] {
					return fmt.Errorf("orgs.departments[%d]: parents form a cycle", i)
				}
				seen[c] = true
			}
		}
	}

	users := append([]SeedUser{admin}, seed.Users...)
	takenIDs := make(map[int64]bool, len(users))
	for _, u := range s.st.Users {
		takenIDs[u.ID] = true
	}
	for i, su := range users {
		where := "admin"
		if i > 0 {
			where = fmt.Sprintf("users[%d]", i-1)
		}
		if err := s.seedUser(su, takenIDs); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	for _, su := range users {
		for _, name := range sets.SortedKeys(su.Attrs) {
			if !s.attributeDefined(name) {
				s.ids.attr++
				s.st.Attributes[s.ids.attr] = name
			}
		}
	}

	for i, sr := range seed.SystemRoles {
		if sr.Name == "" {
			return fmt.Errorf("systemRoles[%d]: name is empty", i)
		}
		if s.systemRoleNameTaken(sr.Name, 0) {
			return fmt.Errorf("systemRoles[%d]: name %q used twice", i, sr.Name)
		}
		id := sr.ID
		if id == 0 {
			id = s.ids.systemRole + 1
		}
		if id <= sysViewer || s.st.SystemRoles[id] != nil {
			return fmt.Errorf("systemRoles[%d]: id %d is taken", i, id)
		}
		s.st.SystemRoles[id] = &SystemRole{ID: id, Name: sr.Name, Description: sr.Description}
		if id > s.ids.systemRole {
			s.ids.systemRole = id
		}
	}

	for i, sp := range seed.Projects {
		if err := s.seedProject(sp); err != nil {
			return fmt.Errorf("projects[%d] (%s): %w", i, sp.Name, err)
		}
	}
	return nil
}

func strPtr(s string) *string { return &s }

func (s *Server) attributeDefined(name string) bool {
	for _, n := range s.st.Attributes {
		if n == name {
			return true
		}
	}
	return false
}

// seedUser adds one user; takenIDs are the user ids in use, kept up to
// date.
func (s *Server) seedUser(su SeedUser, takenIDs map[int64]bool) error {
	if su.UniqueID == "" {
		return fmt.Errorf("uniqueId is empty")
	}
	if s.st.Users[su.UniqueID] != nil {
		return fmt.Errorf("uniqueId %q listed twice", su.UniqueID)
	}
	id := su.ID
	if id == 0 {
		id = s.ids.user + 1
	}
	if takenIDs[id] {
		return fmt.Errorf("id %d is taken", id)
	}
	takenIDs[id] = true
	if id > s.ids.user {
		s.ids.user = id
	}
	u := &User{ID: id, UniqueID: su.UniqueID, Email: cloneStr(su.Email), Nick: cloneStr(su.Nick),
		Phone: cloneStr(su.Phone), Department: cloneStr(su.Department), Company: cloneStr(su.Company),
		Position: cloneStr(su.Position), Left: su.Left, Frozen: su.Frozen}
	if su.AllowExternal != nil {
		v := *su.AllowExternal
		u.AllowExternal = &v
	}
	if su.CustomInfo != nil {
		raw, err := json.Marshal(su.CustomInfo)
		if err != nil {
			return fmt.Errorf("customInfo: %w", err)
		}
		u.CustomInfo = raw
	}
	if su.Attrs != nil {
		u.Attrs = map[string][]string{}
		for k, v := range su.Attrs {
			if v == nil {
				continue // null: not set
			}
			u.Attrs[k] = cloneStrings(v)
		}
	}
	if su.Orgs != nil {
		u.Orgs = []UserOrg{}
		for _, o := range su.Orgs {
			if s.st.Orgs[o.Code] == nil {
				return fmt.Errorf("unknown department %q", o.Code)
			}
			role := o.Role
			if role == "" {
				role = "normal"
			}
			if role != "leader" && role != "normal" {
				return fmt.Errorf("department %q: role %q is not leader or normal", o.Code, o.Role)
			}
			u.Orgs = append(u.Orgs, UserOrg{Code: o.Code, Role: role})
		}
		sort.Slice(u.Orgs, func(i, j int) bool { return u.Orgs[i].Code < u.Orgs[j].Code })
	}
	s.st.Users[u.UniqueID] = u
	return nil
}

func (s *Server) systemRoleID(name string) (int64, error) {
	switch name {
	case "admin":
		return sysAdmin, nil
	case "editor":
		return sysEditor, nil
	case "viewer":
		return sysViewer, nil
	}
	if sr := s.st.SystemRoleByName(name); sr != nil {
		return sr.ID, nil
	}
	return 0, fmt.Errorf("unknown system role %q", name)
}

func (s *Server) seedProject(sp SeedProject) error {
	if sp.Name == "" {
		return fmt.Errorf("name is empty")
	}
	if s.projectNameTaken(sp.Name, 0) {
		return fmt.Errorf("name used twice")
	}
	id := sp.ID
	if id == 0 {
		id = s.ids.project + 1
	}
	if s.st.Projects[id] != nil {
		return fmt.Errorf("id %d is taken", id)
	}
	if id > s.ids.project {
		s.ids.project = id
	}
	p := newProject(id, sp.Name, sp.Description)
	s.st.Projects[id] = p

	needUser := func(uid string) error {
		if s.st.Users[uid] == nil {
			return fmt.Errorf("unknown user %q", uid)
		}
		return nil
	}
	for i, m := range sp.Members {
		if err := needUser(m.User); err != nil {
			return fmt.Errorf("members[%d]: %w", i, err)
		}
		if p.Members[m.User] != nil {
			return fmt.Errorf("members[%d]: %q listed twice", i, m.User)
		}
		var ids []int64
		for _, n := range m.SystemRoles {
			sid, err := s.systemRoleID(n)
			if err != nil {
				return fmt.Errorf("members[%d]: %w", i, err)
			}
			ids = append(ids, sid)
		}
		s.addMember(p, m.User, ids)
	}
	for i, g := range sp.Groups {
		if g.Name == "" {
			return fmt.Errorf("groups[%d]: name is empty", i)
		}
		if p.GroupByName(g.Name) != nil {
			return fmt.Errorf("groups[%d]: name %q used twice", i, g.Name)
		}
		s.ids.group++
		grp := &Group{ID: s.ids.group, Name: g.Name, Folder: g.Folder, Description: g.Description, Members: []string{}}
		for _, uid := range g.Members {
			if err := needUser(uid); err != nil {
				return fmt.Errorf("groups[%d]: %w", i, err)
			}
			grp.Members = addString(grp.Members, uid)
			s.addMember(p, uid, nil)
		}
		p.Groups[grp.ID] = grp
	}
	bindings := func(role *Role, b SeedBindings) error {
		exp := func(key string) (*time.Time, error) {
			v, ok := b.Expires[key]
			if !ok {
				return nil, nil
			}
			t, err := ParseExpire(v)
			return &t, err
		}
		for _, uid := range b.Users {
			if err := needUser(uid); err != nil {
				return err
			}
			e, err := exp(uid)
			if err != nil {
				return err
			}
			role.Users[uid] = Binding{Expires: e}
			s.addMember(p, uid, nil)
		}
		for _, name := range b.Groups {
			g := p.GroupByName(name)
			if g == nil {
				return fmt.Errorf("unknown group %q", name)
			}
			e, err := exp(name)
			if err != nil {
				return err
			}
			role.Groups[g.ID] = Binding{Expires: e}
		}
		for _, code := range b.Orgs {
			if s.st.Orgs[code] == nil {
				return fmt.Errorf("unknown department %q", code)
			}
			e, err := exp(code)
			if err != nil {
				return err
			}
			role.Orgs[code] = Binding{Expires: e}
		}
		return nil
	}
	for i, sr := range sp.Roles {
		typ := 0
		switch sr.Level {
		case 0, 1:
		case 2:
			typ = 3
		default:
			return fmt.Errorf("roles[%d]: level %d is not 1 or 2", i, sr.Level)
		}
		role, err := s.seedRole(p, sr.Name, sr.Folder, typ, sr.Description)
		if err != nil {
			return fmt.Errorf("roles[%d]: %w", i, err)
		}
		for j, res := range sr.Resources {
			isFolder := 0
			if res.Folder {
				isFolder = 1
			}
			rp, err := checkResource(resourcePermJSON{ResourceID: res.ID, ResourceNamePaths: res.Path,
				ResourceType: res.Type, Permissions: res.Permissions, IsFolder: isFolder})
			if err != nil {
				return fmt.Errorf("roles[%d].resources[%d]: %s", i, j, err.(*apiError).msg)
			}
			role.Resources = append(role.Resources, rp)
		}
		if err := bindings(role, sr.SeedBindings); err != nil {
			return fmt.Errorf("roles[%d]: %w", i, err)
		}
	}
	for i, sd := range sp.DataPermissions {
		role, err := s.seedRole(p, sd.Name, sd.Folder, 2, sd.Description)
		if err != nil {
			return fmt.Errorf("dataPermissions[%d]: %w", i, err)
		}
		for j, rule := range sd.Rules {
			conn := rule.DataConnectionID
			if rule.Connection != 0 {
				if conn != 0 && conn != rule.Connection {
					return fmt.Errorf("dataPermissions[%d].rules[%d]: connection and dataConnectionId differ", i, j)
				}
				conn = rule.Connection
			}
			dp := dataPermJSON{DataConnectionID: conn, Mode: rule.Mode, Type: rule.Type, Rule: rule.Rule}
			if rule.Details != nil {
				dp.Details = []json.RawMessage{}
			}
			for _, d := range rule.Details {
				raw, err := json.Marshal(d)
				if err != nil {
					return fmt.Errorf("dataPermissions[%d].rules[%d]: %w", i, j, err)
				}
				dp.Details = append(dp.Details, raw)
			}
			d, err := checkDataPermission(dp)
			if err != nil {
				return fmt.Errorf("dataPermissions[%d].rules[%d]: %s", i, j, err.(*apiError).msg)
			}
			role.DataPermissions = append(role.DataPermissions, d)
		}
		if err := bindings(role, sd.SeedBindings); err != nil {
			return fmt.Errorf("dataPermissions[%d]: %w", i, err)
		}
	}
	for i, rm := range sp.ResourceMembers {
		switch rm.Type {
		case "DATA_MODEL", "DATA_CONNECTION", "NEW_REPORT":
		default:
			return fmt.Errorf("resourceMembers[%d]: type %q is not DATA_MODEL, DATA_CONNECTION or NEW_REPORT", i, rm.Type)
		}
		if rm.ID == 0 {
			return fmt.Errorf("resourceMembers[%d]: id is required", i)
		}
		members := map[string][]string{}
		for _, m := range rm.Members {
			if err := needUser(m.User); err != nil {
				return fmt.Errorf("resourceMembers[%d]: %w", i, err)
			}
			for _, perm := range m.Permissions {
				if !slices.Contains(memberPerms, perm) {
					return fmt.Errorf("resourceMembers[%d]: unknown permission %q", i, perm)
				}
			}
			perms := append([]string{}, m.Permissions...)
			sort.Strings(perms)
			members[m.User] = perms
			s.addMember(p, m.User, nil)
		}
		if len(members) > 0 {
			p.ResourceMembers[ResourceKey{Type: rm.Type, ID: rm.ID}] = members
		}
	}
	return nil
}

func (s *Server) seedRole(p *Project, name, folder string, typ int, desc string) (*Role, error) {
	if name == "" {
		return nil, fmt.Errorf("name is empty")
	}
	if p.FindRole(folder, name, typ) != nil {
		return nil, fmt.Errorf("%s/%s (type %s) listed twice", folder, name, strconv.Itoa(typ))
	}
	fid := s.ensureFolder(p, folder, folderTypeOf(typ))
	s.ids.role++
	role := newRole(s.ids.role, name, typ, fid)
	role.Description = desc
	p.Roles[role.ID] = role
	return role, nil
}
