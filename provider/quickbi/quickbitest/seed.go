package quickbitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Seed describes an existing organization: the simulator's initial state.
// It reads like permsync's Quick BI files (accounts, group ids, workspace
// and role names), plus the facts only a server has (UserIds, seat
// quotas, the admin, works, the row-permission model). See the package
// documentation for the format.
type Seed struct {
	// Version is accepted and ignored, so a seed can start like a desired
	// file.
	Version        int               `yaml:"version,omitempty"`
	Organization   *SeedOrganization `yaml:"organization,omitempty"`
	OrgRoles       []SeedRole        `yaml:"orgRoles,omitempty"`
	WorkspaceRoles []SeedRole        `yaml:"workspaceRoles,omitempty"`
	Tags           []SeedTag         `yaml:"tags,omitempty"`
	Users          []SeedUser        `yaml:"users,omitempty"`
	Groups         []SeedGroup       `yaml:"groups,omitempty"`
	Workspaces     []SeedWorkspace   `yaml:"workspaces,omitempty"`
}

// SeedOrganization is the organization and its settings.
type SeedOrganization struct {
	ID   string `yaml:"id,omitempty"`
	Name string `yaml:"name,omitempty"`
	// Admin is the account the access key belongs to: a developer holding
	// the organization admin role. Default: account "qbadmin".
	Admin *SeedUser `yaml:"admin,omitempty"`
	// Seats are the quotas per UserType (0: unlimited).
	Seats Seats `yaml:"seats,omitempty"`
	// MaxTags caps the tag definitions (default 50).
	MaxTags int `yaml:"maxTags,omitempty"`
	// NewRowPermissionModel is the "upgrade row-level permissions"
	// setting; default true. When false every row/column permission
	// action is refused.
	NewRowPermissionModel *bool `yaml:"newRowPermissionModel,omitempty"`
	// GlobalParam allows CreateTicket's GlobalParam (default false:
	// GlobalParam.Restricted.Use).
	GlobalParam bool `yaml:"globalParam,omitempty"`
}

// SeedRole is a custom organization or workspace role.
type SeedRole struct {
	ID       int64    `yaml:"id"`
	Name     string   `yaml:"name"`
	AuthKeys []string `yaml:"authKeys,omitempty"`
}

// SeedTag is a user tag definition.
type SeedTag struct {
	ID          string `yaml:"id,omitempty"`
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
}

// TagValues is a tag value in a seed: a list of values (joined with
// commas, as the server stores them) or one string.
type TagValues []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (t *TagValues) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*t = TagValues{n.Value}
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*t = l
		return nil
	}
	return fmt.Errorf("line %d: a tag value is a string or a list of strings", n.Line)
}

// SeedUser is an organization member.
type SeedUser struct {
	// ID is the UserId (32 hex); default: chosen by the server.
	ID string `yaml:"id,omitempty"`
	// Account is the AccountName: "wangwu" or "wangwu:zhangsan".
	Account   string `yaml:"account"`
	AccountID string `yaml:"accountId,omitempty"`
	// AccountType (for CreateTicket by AccountName): default 5 (RAM user)
	// for "primary:sub" names, 1 (Alibaba Cloud account) otherwise.
	AccountType int    `yaml:"accountType,omitempty"`
	Nick        string `yaml:"nick"`
	Email       string `yaml:"email,omitempty"`
	Phone       string `yaml:"phone,omitempty"`
	// Type is developer, viewer or analyst.
	Type string `yaml:"type"`
	// Roles are admin, permissionAdmin, user or custom organization role
	// names (≤3); default [user].
	Roles    []string             `yaml:"roles,omitempty"`
	Tags     map[string]TagValues `yaml:"tags,omitempty"`
	Inactive bool                 `yaml:"inactive,omitempty"`
	// Joined and LastLogin are "2006-01-02 15:04:05" (UTC+08:00).
	Joined         string   `yaml:"joined,omitempty"`
	LastLogin      string   `yaml:"lastLogin,omitempty"`
	CopilotModules []string `yaml:"copilotModules,omitempty"`
}

// SeedGroup is a user group; parents may be listed in any order.
type SeedGroup struct {
	// ID is the UserGroupId; default: chosen by the server.
	ID          string   `yaml:"id,omitempty"`
	Name        string   `yaml:"name"`
	Parent      string   `yaml:"parent,omitempty"` // a group id; absent: top level
	Description string   `yaml:"description,omitempty"`
	Members     []string `yaml:"members,omitempty"` // accounts
}

// SeedWorkspace is a workspace and its content.
type SeedWorkspace struct {
	ID          string `yaml:"id,omitempty"`
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Owner is an account (default the admin); the owner is a member with
	// the admin role.
	Owner        string        `yaml:"owner,omitempty"`
	AllowShare   *bool         `yaml:"allowShare,omitempty"`
	AllowPublish *bool         `yaml:"allowPublish,omitempty"`
	Members      []SeedMember  `yaml:"members,omitempty"`
	Datasets     []SeedDataset `yaml:"datasets,omitempty"`
	Works        []SeedWork    `yaml:"works,omitempty"`
}

// SeedMember is a workspace member: roles are admin, developer, analyst,
// viewer or custom workspace role names.
type SeedMember struct {
	User  string   `yaml:"user"`
	Roles []string `yaml:"roles"`
}

// SeedDataset is a dataset (cube) with its row and column permissions.
type SeedDataset struct {
	ID          string     `yaml:"id,omitempty"`
	Name        string     `yaml:"name"`
	Description string     `yaml:"description,omitempty"`
	Owner       string     `yaml:"owner,omitempty"`
	RowLevel    *SeedLevel `yaml:"rowLevel,omitempty"`
	ColumnLevel *SeedLevel `yaml:"columnLevel,omitempty"`
}

// SeedLevel is one rule type of a dataset.
type SeedLevel struct {
	Enabled   bool       `yaml:"enabled,omitempty"`
	MissHit   string     `yaml:"missHit,omitempty"` // none (default) | all
	Whitelist SeedPeople `yaml:"whitelist,omitempty"`
	Rules     []SeedRule `yaml:"rules,omitempty"`
}

// SeedPeople are accounts and group ids.
type SeedPeople struct {
	Users  []string `yaml:"users,omitempty"`
	Groups []string `yaml:"groups,omitempty"`
}

// SeedRule is a row or column rule.
type SeedRule struct {
	ID   string `yaml:"id,omitempty"`
	Name string `yaml:"name"`
	// Scope is all or others; default others when people are listed, all
	// otherwise.
	Scope  string   `yaml:"scope,omitempty"`
	Users  []string `yaml:"users,omitempty"`
	Groups []string `yaml:"groups,omitempty"`
	// Content is the ruleContentJson: a mapping (stored as its JSON text)
	// or JSON text.
	Content any `yaml:"content"`
	// ContentType defaults to ROW_FIELD (row) / COLUMN_FORBID (column).
	ContentType string `yaml:"contentType,omitempty"`
	// Origin is the ruleOriginConfigJson, like Content; optional.
	Origin        any   `yaml:"origin,omitempty"`
	HitTakeEffect *int  `yaml:"hitTakeEffect,omitempty"`
	Open          *bool `yaml:"open,omitempty"`
}

// SeedWork is a work (report) of a workspace.
type SeedWork struct {
	ID   string `yaml:"id,omitempty"`
	Name string `yaml:"name"`
	// Type is DATAPRODUCT, PAGE, FULLPAGE, REPORT, dashboardOfflineQuery,
	// ANALYSIS, DATAFORM or SCREEN.
	Type        string `yaml:"type"`
	Owner       string `yaml:"owner,omitempty"`
	Description string `yaml:"description,omitempty"`
	// Status: 0 unpublished, 1 published (default), 2 modified.
	Status *int `yaml:"status,omitempty"`
	// Embedded is the third-party embedding switch.
	Embedded      bool   `yaml:"embedded,omitempty"`
	SecurityLevel string `yaml:"securityLevel,omitempty"` // default "0"
	Public        bool   `yaml:"public,omitempty"`
	// Components are the dashboard's component ids (CmptId).
	Components []string `yaml:"components,omitempty"`
}

// LoadSeed reads a YAML (or JSON) seed strictly: unknown keys, wrong
// types and inconsistent content are errors naming the file and line.
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

// ParseSeed parses and checks a seed.
func ParseSeed(data []byte) (*Seed, error) {
	var seed Seed
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&seed); err != nil {
		if errors.Is(err, io.EOF) {
			return &seed, nil
		}
		return nil, fmt.Errorf("%w", err)
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("a seed is one YAML document")
	}
	if _, err := NewFromOptions(Options{Seed: &seed, AccessKeySecret: "check"}); err != nil {
		var se *seedError
		if errors.As(err, &se) {
			var root yaml.Node
			if yaml.Unmarshal(data, &root) == nil {
				if line := lineOf(&root, se.path); line > 0 {
					return nil, fmt.Errorf("line %d: %s: %s", line, se.path, se.msg)
				}
			}
		}
		return nil, err
	}
	return &seed, nil
}

// seedError is a consistency error at a path like users[3].nick.
type seedError struct {
	path string
	msg  string
}

func (e *seedError) Error() string { return e.path + ": " + e.msg }

func serr(path, format string, args ...any) error {
	return &seedError{path: path, msg: fmt.Sprintf(format, args...)}
}

// lineOf finds the line of a path in a YAML document; 0 when not found.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range strings.Split(path, ".") {
		name, idx := seg, []int{}
		if i := strings.IndexByte(seg, '['); i >= 0 {
			name = seg[:i]
			for _, part := range strings.Split(strings.TrimSuffix(seg[i+1:], "]"), "][") {
				k, err := strconv.Atoi(part)
				if err != nil {
					return line
				}
				idx = append(idx, k)
			}
		}
		if name != "" {
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					n = n.Content[i+1]
					line = n.Line
					found = true
					break
				}
			}
			if !found {
				return line
			}
		}
		for _, k := range idx {
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return line
			}
			n = n.Content[k]
			line = n.Line
		}
	}
	return line
}

// seedEpoch is the creation time of seeded objects without one.
var seedEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	hex32     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	digits    = regexp.MustCompile(`^[0-9]+$`)
	groupIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

func parseSeedTime(path, v string) (time.Time, error) {
	t, err := time.ParseInLocation(TimeLayout, v, serverZone)
	if err != nil {
		return time.Time{}, serr(path, "%q is not %q (UTC+08:00)", v, TimeLayout)
	}
	return t, nil
}

func (s *Server) applySeed(seed *Seed) error {
	if seed == nil {
		seed = &Seed{}
	}
	w := s.w
	o := seed.Organization
	if o == nil {
		o = &SeedOrganization{}
	}
	w.org.id = o.ID
	if w.org.id == "" {
		w.org.id = w.uuid("organization")
	}
	w.org.name = o.Name
	if w.org.name == "" {
		w.org.name = "Quick BI 组织"
	}
	if o.Seats.Developers < 0 || o.Seats.Analysts < 0 || o.Seats.Viewers < 0 {
		return serr("organization.seats", "quotas are ≥ 0 (0: unlimited)")
	}
	w.org.seats = o.Seats
	if o.MaxTags < 0 {
		return serr("organization.maxTags", "must be ≥ 0")
	}
	if o.MaxTags > 0 {
		w.org.maxTags = o.MaxTags
	}
	if o.NewRowPermissionModel != nil {
		w.org.newRowModel = *o.NewRowPermissionModel
	}
	w.org.globalParam = o.GlobalParam

	for i, r := range seed.OrgRoles {
		p := fmt.Sprintf("orgRoles[%d]", i)
		if r.ID <= 0 || w.orgRole(r.ID) != nil {
			return serr(p+".id", "id %d is not a free positive id", r.ID)
		}
		if r.Name == "" || s.orgRoleByName(r.Name) != nil {
			return serr(p+".name", "name %q is empty or used twice", r.Name)
		}
		w.org.customOrgRoles[r.ID] = &roleDef{id: r.ID, name: r.Name, authKeys: append([]string(nil), r.AuthKeys...)}
	}
	for i, r := range seed.WorkspaceRoles {
		p := fmt.Sprintf("workspaceRoles[%d]", i)
		if r.ID <= 0 || w.workspaceRole(r.ID) != nil {
			return serr(p+".id", "id %d is not a free positive id", r.ID)
		}
		if r.Name == "" || s.workspaceRoleByName(r.Name) != nil {
			return serr(p+".name", "name %q is empty or used twice", r.Name)
		}
		w.org.customWorkRoles[r.ID] = &roleDef{id: r.ID, name: r.Name, authKeys: append([]string(nil), r.AuthKeys...)}
	}
	for i, t := range seed.Tags {
		p := fmt.Sprintf("tags[%d]", i)
		if e := checkTagName(t.Name); e != nil {
			return serr(p+".name", "%s", e.msg)
		}
		if w.tagByName(t.Name) != nil {
			return serr(p+".name", "%q used twice", t.Name)
		}
		if len([]rune(t.Description)) > 255 {
			return serr(p+".description", "longer than 255 characters")
		}
		if len(w.tags) >= w.org.maxTags {
			return serr(p, "more than the cap of %d tags", w.org.maxTags)
		}
		id := t.ID
		if id == "" {
			id = w.uuid("tag")
		} else if len(id) > 64 || w.tags[id] != nil {
			return serr(p+".id", "%q is longer than 64 characters or used twice", id)
		}
		w.tags[id] = &tagMeta{seq: w.next(), id: id, name: t.Name, desc: t.Description}
	}

	admin := SeedUser{Account: "qbadmin", AccountID: "1000000000000001", Nick: "管理员", Type: "developer"}
	if o.Admin != nil {
		admin = *o.Admin
		if admin.Type == "" {
			admin.Type = "developer"
		}
	}
	if admin.Type != "developer" {
		return serr("organization.admin.type", "the admin is a developer")
	}
	admin.Roles = append([]string{"admin"}, removeAll(admin.Roles, []string{"admin"})...)
	if admin.Inactive {
		return serr("organization.admin.inactive", "the admin is active")
	}
	if err := s.seedUser("organization.admin", admin); err != nil {
		return err
	}
	w.org.adminID = w.userByAccountName(normalizeAccount(admin.Account)).id
	for i, u := range seed.Users {
		if err := s.seedUser(fmt.Sprintf("users[%d]", i), u); err != nil {
			return err
		}
	}
	if err := s.seedGroups(seed.Groups); err != nil {
		return err
	}
	for i, ws := range seed.Workspaces {
		if err := s.seedWorkspace(fmt.Sprintf("workspaces[%d]", i), ws); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) orgRoleByName(name string) *roleDef {
	for i := range predefinedOrgRoles {
		if predefinedOrgRoles[i].name == name {
			return &predefinedOrgRoles[i]
		}
	}
	for _, r := range s.w.org.customOrgRoles {
		if r.name == name {
			return r
		}
	}
	return nil
}

func (s *Server) workspaceRoleByName(name string) *roleDef {
	for i := range predefinedWorkspaceRoles {
		if predefinedWorkspaceRoles[i].name == name {
			return &predefinedWorkspaceRoles[i]
		}
	}
	for _, r := range s.w.org.customWorkRoles {
		if r.name == name {
			return r
		}
	}
	return nil
}

var seedOrgRoles = map[string]int64{"admin": RoleOrgAdmin, "permissionAdmin": RoleOrgPermAdmin, "user": RoleOrgRegularUse}
var seedWorkspaceRoles = map[string]int64{"admin": RoleWorkspaceAdmin, "developer": RoleWorkspaceDeveloper,
	"analyst": RoleWorkspaceAnalyst, "viewer": RoleWorkspaceViewer}
var seedUserTypes = map[string]int{"developer": UserTypeDeveloper, "viewer": UserTypeViewer, "analyst": UserTypeAnalyst}

func (s *Server) seedUser(p string, su SeedUser) error {
	w := s.w
	if su.Account == "" {
		return serr(p+".account", "required")
	}
	acct := normalizeAccount(su.Account)
	if e := checkAccountName(su.Account); e != nil {
		return serr(p+".account", "%s", e.msg)
	}
	if w.userByAccountName(acct) != nil {
		return serr(p+".account", "%q listed twice", acct)
	}
	if e := checkNick(su.Nick); e != nil {
		return serr(p+".nick", "%s", e.msg)
	}
	if w.nickTaken(su.Nick, "") {
		return serr(p+".nick", "%q is used by another member: nicknames are unique in the organization", su.Nick)
	}
	if su.AccountID != "" {
		if !digits.MatchString(su.AccountID) {
			return serr(p+".accountId", "%q is not an Alibaba Cloud UID (digits)", su.AccountID)
		}
		if w.byAccountID[su.AccountID] != nil {
			return serr(p+".accountId", "%q listed twice", su.AccountID)
		}
	}
	ut, ok := seedUserTypes[su.Type]
	if !ok {
		return serr(p+".type", "%q is not developer, viewer or analyst", su.Type)
	}
	if e := s.seatFree(ut); e != nil {
		return serr(p+".type", "%s", e.code)
	}
	names := su.Roles
	if len(names) == 0 {
		names = []string{"user"}
	}
	if len(names) > 3 {
		return serr(p+".roles", "a member holds at most 3 organization roles")
	}
	var roles []int64
	for j, n := range names {
		id, ok := seedOrgRoles[n]
		if !ok {
			r := s.orgRoleByName(n)
			if r == nil || r.system {
				return serr(fmt.Sprintf("%s.roles[%d]", p, j), "%q is not admin, permissionAdmin, user or a custom organization role", n)
			}
			id = r.id
		}
		for _, x := range roles {
			if x == id {
				return serr(fmt.Sprintf("%s.roles[%d]", p, j), "%q listed twice", n)
			}
		}
		roles = append(roles, id)
	}
	sortInt64s(roles)
	id := su.ID
	if id == "" {
		id = s.newUserID()
	} else if !hex32.MatchString(id) || w.users[id] != nil {
		return serr(p+".id", "%q is not 32 lower-case hex digits or is used twice", id)
	}
	at := su.AccountType
	if at == 0 {
		at = 1
		if strings.Contains(acct, ":") {
			at = 5
		}
	}
	if !validAccountType(at) {
		return serr(p+".accountType", "%d is not 1, 3, 4, 5, 9 or 10", at)
	}
	m := &member{seq: w.next(), id: id, accountID: su.AccountID, accountName: acct, accountType: at,
		nick: su.Nick, email: su.Email, phone: su.Phone, userType: ut, roles: roles, deleted: su.Inactive,
		joined: seedEpoch, copilot: append([]string(nil), su.CopilotModules...), tags: map[string]string{}}
	if su.Joined != "" {
		t, err := parseSeedTime(p+".joined", su.Joined)
		if err != nil {
			return err
		}
		m.joined = t
	}
	if su.LastLogin != "" {
		t, err := parseSeedTime(p+".lastLogin", su.LastLogin)
		if err != nil {
			return err
		}
		m.lastLogin = &t
	}
	for _, c := range m.copilot {
		if !copilotModules[c] {
			return serr(p+".copilotModules", "%q is not qreport, qExploreNum, smartQAskNum or smartQDevNum", c)
		}
	}
	for name, vals := range su.Tags {
		t := w.tagByName(name)
		if t == nil {
			return serr(p+".tags."+name, "tag %q is not defined under tags", name)
		}
		if vals == nil {
			continue
		}
		v := strings.Join(vals, ",")
		if v == "" || len([]rune(v)) > 3000 {
			return serr(p+".tags."+name, "a value is 1 to 3000 characters")
		}
		m.tags[t.id] = v
	}
	w.putUser(m)
	return nil
}

func validAccountType(t int) bool {
	switch t {
	case 1, 3, 4, 5, 9, 10:
		return true
	}
	return false
}

var copilotModules = map[string]bool{"qreport": true, "qExploreNum": true, "smartQAskNum": true, "smartQDevNum": true}

// newUserID picks a 32-hex UserId not in use.
func (s *Server) newUserID() string {
	for {
		id := s.w.hexID("user")
		if s.w.users[id] == nil {
			return id
		}
	}
}

func (s *Server) seedAccount(p, acct string) (*member, error) {
	if acct == "" {
		return nil, serr(p, "an account is required")
	}
	u := s.w.userByAccountName(normalizeAccount(acct))
	if u == nil {
		return nil, serr(p, "unknown user %q (not under users)", acct)
	}
	return u, nil
}

func (s *Server) seedGroups(groups []SeedGroup) error {
	w := s.w
	ids := make([]string, len(groups))
	byID := map[string]int{}
	for i, g := range groups {
		p := fmt.Sprintf("groups[%d]", i)
		id := g.ID
		if id == "" {
			id = w.uuid("group")
		} else if e := checkGroupID(id); e != nil {
			return serr(p+".id", "%s", e.msg)
		}
		if _, dup := byID[id]; dup {
			return serr(p+".id", "%q used twice", id)
		}
		byID[id] = i
		ids[i] = id
		if e := checkGroupText("name", g.Name, true); e != nil {
			return serr(p+".name", "%s", e.msg)
		}
		if e := checkGroupText("description", g.Description, false); e != nil {
			return serr(p+".description", "%s", e.msg)
		}
	}
	for i, g := range groups {
		p := fmt.Sprintf("groups[%d]", i)
		seen := map[string]bool{ids[i]: true}
		for par := g.Parent; par != ""; {
			j, ok := byID[par]
			if !ok {
				return serr(p+".parent", "unknown group %q", g.Parent)
			}
			if seen[par] {
				return serr(p+".parent", "parents form a cycle")
			}
			seen[par] = true
			par = groups[j].Parent
		}
	}
	// Create parents first: depth order, then seed order.
	depth := func(i int) int {
		d := 0
		for par := groups[i].Parent; par != ""; par = groups[byID[par]].Parent {
			d++
		}
		return d
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	sortStable(order, func(a, b int) bool { return depth(a) < depth(b) })
	for _, i := range order {
		g := groups[i]
		p := fmt.Sprintf("groups[%d]", i)
		if w.groupNameTaken(g.Name, "") {
			return serr(p+".name", "%q used twice: group names are unique in the organization", g.Name)
		}
		parent := RootGroupID
		if g.Parent != "" {
			parent = g.Parent
		}
		ng := &group{seq: w.next(), id: ids[i], name: g.Name, desc: g.Description, parent: parent,
			members: map[string]int64{}, created: seedEpoch, modified: seedEpoch,
			createUser: w.org.adminID, modifyUser: w.org.adminID}
		for j, acct := range g.Members {
			u, err := s.seedAccount(fmt.Sprintf("%s.members[%d]", p, j), acct)
			if err != nil {
				return err
			}
			if _, dup := ng.members[u.id]; dup {
				return serr(fmt.Sprintf("%s.members[%d]", p, j), "%q listed twice", acct)
			}
			ng.members[u.id] = w.next()
		}
		w.groups[ng.id] = ng
	}
	return nil
}

func sortStable(order []int, less func(a, b int) bool) {
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && less(order[j], order[j-1]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

func (s *Server) seedWorkspace(p string, sw SeedWorkspace) error {
	w := s.w
	if sw.Name == "" || len([]rune(sw.Name)) > 50 {
		return serr(p+".name", "a workspace name is 1 to 50 characters")
	}
	for _, o := range w.workspaces {
		if o.name == sw.Name {
			return serr(p+".name", "%q used twice", sw.Name)
		}
	}
	id := sw.ID
	if id == "" {
		id = w.uuid("workspace")
	} else if len(id) > 64 || w.workspaces[id] != nil {
		return serr(p+".id", "%q is longer than 64 characters or used twice", id)
	}
	owner := w.users[w.org.adminID]
	if sw.Owner != "" {
		u, err := s.seedAccount(p+".owner", sw.Owner)
		if err != nil {
			return err
		}
		owner = u
	}
	if owner.userType == UserTypeViewer {
		return serr(p+".owner", "a viewer cannot own a workspace")
	}
	ws := &workspace{seq: w.next(), id: id, name: sw.Name, desc: sw.Description, owner: owner.id,
		createUser: owner.id, modifyUser: owner.id, created: seedEpoch, modified: seedEpoch,
		allowShare: true, allowPublish: true,
		members: map[string]*wsMember{}, datasets: map[string]*dataset{}, works: map[string]*work{}}
	if sw.AllowShare != nil {
		ws.allowShare = *sw.AllowShare
	}
	if sw.AllowPublish != nil {
		ws.allowPublish = *sw.AllowPublish
	}
	for j, m := range sw.Members {
		mp := fmt.Sprintf("%s.members[%d]", p, j)
		u, err := s.seedAccount(mp+".user", m.User)
		if err != nil {
			return err
		}
		if ws.members[u.id] != nil {
			return serr(mp+".user", "%q listed twice", m.User)
		}
		if len(m.Roles) == 0 {
			return serr(mp+".roles", "a member holds at least one role")
		}
		var roles []int64
		for k, n := range m.Roles {
			rp := fmt.Sprintf("%s.roles[%d]", mp, k)
			rid, ok := seedWorkspaceRoles[n]
			if !ok {
				r := s.workspaceRoleByName(n)
				if r == nil || r.system {
					return serr(rp, "%q is not admin, developer, analyst, viewer or a custom workspace role", n)
				}
				rid = r.id
			}
			if e := s.roleAllowed(u, rid); e != nil {
				return serr(rp, "%s", e.code)
			}
			if containsInt64(roles, rid) {
				return serr(rp, "%q listed twice", n)
			}
			roles = append(roles, rid)
		}
		if u.id == owner.id && !containsInt64(roles, RoleWorkspaceAdmin) {
			return serr(mp+".roles", "the owner holds the admin role")
		}
		sortWorkspaceRoles(roles)
		ws.members[u.id] = &wsMember{seq: w.next(), roles: roles}
	}
	if ws.members[owner.id] == nil {
		ws.members[owner.id] = &wsMember{seq: w.next(), roles: []int64{RoleWorkspaceAdmin}}
	}
	w.workspaces[id] = ws
	for j, sd := range sw.Datasets {
		if err := s.seedDataset(fmt.Sprintf("%s.datasets[%d]", p, j), ws, sd); err != nil {
			return err
		}
	}
	for j, sk := range sw.Works {
		if err := s.seedWork(fmt.Sprintf("%s.works[%d]", p, j), ws, sk); err != nil {
			return err
		}
	}
	return nil
}

func containsInt64(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) seedDataset(p string, ws *workspace, sd SeedDataset) error {
	w := s.w
	if sd.Name == "" {
		return serr(p+".name", "required")
	}
	id := sd.ID
	if id == "" {
		id = w.uuid("cube")
	} else if len(id) > 64 || w.cubes[id] != nil {
		return serr(p+".id", "%q is longer than 64 characters or used twice", id)
	}
	owner := w.users[ws.owner]
	if sd.Owner != "" {
		u, err := s.seedAccount(p+".owner", sd.Owner)
		if err != nil {
			return err
		}
		owner = u
	}
	d := &dataset{seq: w.next(), id: id, name: sd.Name, desc: sd.Description, workspace: ws.id, owner: owner.id,
		created: seedEpoch, modified: seedEpoch, dsID: w.hexID("datasource"), dsName: "数据源", dsTy: "mysql",
		dirID: w.hexID("directory"), dirName: "我的数据集", levels: map[string]*level{}}
	for _, lv := range []struct {
		key  string
		kind string
		sl   *SeedLevel
	}{{"rowLevel", RowLevel, sd.RowLevel}, {"columnLevel", ColumnLevel, sd.ColumnLevel}} {
		l := &level{missHit: "NONE", whiteUsers: []string{}, whiteGroups: []string{}}
		d.levels[lv.kind] = l
		if lv.sl == nil {
			continue
		}
		lp := p + "." + lv.key
		l.open = lv.sl.Enabled
		switch lv.sl.MissHit {
		case "", "none":
		case "all":
			l.missHit = "ALL"
		default:
			return serr(lp+".missHit", "%q is not none or all", lv.sl.MissHit)
		}
		users, groups, err := s.seedPeople(lp+".whitelist", lv.sl.Whitelist.Users, lv.sl.Whitelist.Groups)
		if err != nil {
			return err
		}
		l.whiteUsers, l.whiteGroups = users, groups
		for k, sr := range lv.sl.Rules {
			r, err := s.seedRule(fmt.Sprintf("%s.rules[%d]", lp, k), lv.kind, l, sr)
			if err != nil {
				return err
			}
			l.rules = append(l.rules, r)
		}
	}
	ws.datasets[id] = d
	w.cubes[id] = d
	return nil
}

func (s *Server) seedPeople(p string, accts, groups []string) ([]string, []string, error) {
	users := []string{}
	for i, a := range accts {
		u, err := s.seedAccount(fmt.Sprintf("%s.users[%d]", p, i), a)
		if err != nil {
			return nil, nil, err
		}
		users = append(users, u.id)
	}
	for i, g := range groups {
		if s.w.groups[g] == nil {
			return nil, nil, serr(fmt.Sprintf("%s.groups[%d]", p, i), "unknown group id %q", g)
		}
	}
	return sortedUnique(users), sortedUnique(append([]string{}, groups...)), nil
}

func (s *Server) seedRule(p, kind string, l *level, sr SeedRule) (*rule, error) {
	w := s.w
	if sr.Name == "" {
		return nil, serr(p+".name", "required")
	}
	for _, r := range l.rules {
		if r.name == sr.Name {
			return nil, serr(p+".name", "%q used twice in this dataset and rule type", sr.Name)
		}
	}
	users, groups, err := s.seedPeople(p, sr.Users, sr.Groups)
	if err != nil {
		return nil, err
	}
	scope := "OTHERS"
	switch sr.Scope {
	case "":
		if len(users)+len(groups) == 0 {
			scope = "ALL"
		}
	case "all":
		scope = "ALL"
	case "others":
	default:
		return nil, serr(p+".scope", "%q is not all or others", sr.Scope)
	}
	if scope == "ALL" && len(users)+len(groups) > 0 {
		return nil, serr(p+".scope", "a rule for everyone lists no people")
	}
	content, err := seedJSON(p+".content", sr.Content, true)
	if err != nil {
		return nil, err
	}
	origin, err := seedJSON(p+".origin", sr.Origin, false)
	if err != nil {
		return nil, err
	}
	ct := sr.ContentType
	if ct == "" {
		ct = defaultContentType(kind)
	}
	if ct != defaultContentType(kind) {
		return nil, serr(p+".contentType", "a %s rule has content type %s", kind, defaultContentType(kind))
	}
	id := sr.ID
	if id == "" {
		id = w.uuid("rule")
	} else if len(id) > 64 || s.ruleExists(id) {
		return nil, serr(p+".id", "%q is longer than 64 characters or used twice", id)
	}
	r := &rule{seq: w.next(), id: id, name: sr.Name, kind: kind, scope: scope, hitTakeEffect: 1, isOpen: 1,
		users: users, groups: groups, contentType: ct, contentJSON: content, originJSON: origin}
	if sr.HitTakeEffect != nil {
		if *sr.HitTakeEffect != 0 && *sr.HitTakeEffect != 1 {
			return nil, serr(p+".hitTakeEffect", "0 or 1")
		}
		r.hitTakeEffect = *sr.HitTakeEffect
	}
	if sr.Open != nil && !*sr.Open {
		r.isOpen = 0
	}
	return r, nil
}

func defaultContentType(kind string) string {
	if kind == ColumnLevel {
		return "COLUMN_FORBID"
	}
	return "ROW_FIELD"
}

// seedJSON turns a seed value into JSON text: a string must already be a
// JSON object; anything else is marshalled.
func seedJSON(p string, v any, required bool) (string, error) {
	if v == nil {
		if required {
			return "", serr(p, "required")
		}
		return "", nil
	}
	if str, ok := v.(string); ok {
		var obj map[string]any
		if err := json.Unmarshal([]byte(str), &obj); err != nil {
			return "", serr(p, "not a JSON object: %v", err)
		}
		return str, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", serr(p, "%v", err)
	}
	return string(b), nil
}

func (s *Server) ruleExists(id string) bool {
	for _, d := range s.w.cubes {
		for _, l := range d.levels {
			for _, r := range l.rules {
				if r.id == id {
					return true
				}
			}
		}
	}
	return false
}

var workTypes = map[string]bool{"DATAPRODUCT": true, "PAGE": true, "FULLPAGE": true, "REPORT": true,
	"dashboardOfflineQuery": true, "ANALYSIS": true, "DATAFORM": true, "SCREEN": true}

func (s *Server) seedWork(p string, ws *workspace, sk SeedWork) error {
	w := s.w
	if sk.Name == "" {
		return serr(p+".name", "required")
	}
	if !workTypes[sk.Type] {
		return serr(p+".type", "%q is not DATAPRODUCT, PAGE, FULLPAGE, REPORT, dashboardOfflineQuery, ANALYSIS, DATAFORM or SCREEN", sk.Type)
	}
	id := sk.ID
	if id == "" {
		id = w.uuid("works")
	} else if len(id) > 64 || w.works[id] != nil {
		return serr(p+".id", "%q is longer than 64 characters or used twice", id)
	}
	owner := w.users[ws.owner]
	if sk.Owner != "" {
		u, err := s.seedAccount(p+".owner", sk.Owner)
		if err != nil {
			return err
		}
		owner = u
	}
	if ws.members[owner.id] == nil {
		return serr(p+".owner", "the owner of a work is a member of its workspace")
	}
	status := 1
	if sk.Status != nil {
		status = *sk.Status
		if status < 0 || status > 3 {
			return serr(p+".status", "0 to 3")
		}
	}
	level := sk.SecurityLevel
	if level == "" {
		level = "0"
	}
	switch level {
	case "0", "1", "11", "12":
	default:
		return serr(p+".securityLevel", "%q is not 0, 1, 11 or 12", level)
	}
	if len(sk.Components) > 0 && sk.Type != "PAGE" && sk.Type != "FULLPAGE" {
		return serr(p+".components", "only dashboards have components")
	}
	k := &work{seq: w.next(), id: id, name: sk.Name, kind: sk.Type, workspace: ws.id, owner: owner.id,
		modifier: owner.id, desc: sk.Description, securityLevel: level, status: status, embedded: sk.Embedded,
		created: seedEpoch, modified: seedEpoch, publicFlag: sk.Public,
		dirID: w.hexID("directory"), dirName: "我的作品", components: sortedUnique(sk.Components)}
	ws.works[id] = k
	w.works[id] = k
	return nil
}
