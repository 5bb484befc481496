// Package spec holds the desired-state format of permsync: the YAML types,
// the loading and merging of many files, strict parsing and validation.
// It does no network I/O.
//
// Presence matters in this format. A list that is present is authoritative
// (members: [] removes every member); a key that is absent leaves that facet
// of the server alone. In the Go types, absent is a nil slice, map or
// pointer; present is non-nil, even when empty. YAML null counts as absent.
// Code that copies these values must keep non-nil empty slices non-nil.
package spec

import "strconv"

// Source says where a value was written: the file, the line and the field
// path inside that file (e.g. "projects[0].roles[3]"). The loader fills it
// for every object; it is not part of the YAML.
type Source struct {
	File string `json:"-"`
	Line int    `json:"-"`
	Path string `json:"-"`
}

// String renders "file:line: path".
func (s Source) String() string {
	if s.File == "" {
		return s.Path
	}
	return s.File + ":" + strconv.Itoa(s.Line) + ": " + s.Path
}

// Desired is the merged desired state of every file loaded.
type Desired struct {
	// Files are the files that were loaded, sorted, with their SHA-256.
	Files []File `json:"-"`
	// Warnings are what Load found doubtful but valid, sorted by file and
	// line: two names that differ only in letter case, which the server
	// keeps apart. Show them to the person who wrote the files.
	Warnings []*Problem `json:"-"`

	// Provider is the server the files target, one of Providers. Load
	// always sets it (DefaultProvider when no file names one); Validate
	// takes an empty Provider as DefaultProvider.
	Provider string `json:"-"`
	// ProviderSrc is where the first file naming Provider names it; zero
	// when no file names it.
	ProviderSrc Source `json:"-"`

	// QuickBI is the Quick BI part of the files (provider: quickbi); nil
	// for Youdata files, whose part is the fields below.
	QuickBI *QuickBI `json:"-"`

	Settings    Settings     `json:"settings"`
	Orgs        *Orgs        `json:"orgs,omitempty"`
	Users       []User       `json:"users,omitempty"`
	SystemRoles []SystemRole `json:"systemRoles,omitempty"`
	Projects    []Project    `json:"projects,omitempty"`
	// Embeds are the embed profiles (docs/embed.md).
	Embeds []Embed `json:"embeds,omitempty"`
}

// File is one loaded file.
type File struct {
	Path   string
	SHA256 string
}

// Document is the content of one YAML file for Youdata, as written.
type Document struct {
	Version int `json:"version"`
	// Provider is the server the file targets: one of Providers; absent
	// is DefaultProvider.
	Provider    string       `json:"provider,omitempty"`
	Settings    *Settings    `json:"settings,omitempty"`
	Orgs        *Orgs        `json:"orgs,omitempty"`
	Users       []User       `json:"users,omitempty"`
	SystemRoles []SystemRole `json:"systemRoles,omitempty"`
	Projects    []Project    `json:"projects,omitempty"`
	// Embeds are the embed profiles (docs/embed.md).
	Embeds []Embed `json:"embeds,omitempty"`
}

// Settings are the global options; at most one file may set them.
type Settings struct {
	Src Source `json:"-"`

	Prune Prune `json:"prune"`
	// ProtectedUsers are never removed from the domain, a project or an
	// admin role, whatever else the files say.
	ProtectedUsers []string `json:"protectedUsers,omitempty"`
	// MaxDeletes caps deletions per kind; nil means the default (10%, at
	// least 1).
	MaxDeletes *MaxDeletes `json:"maxDeletes,omitempty"`
	// StrictUsers: every referenced user must be declared under users:.
	StrictUsers bool `json:"strictUsers,omitempty"`
	// DeleteProjects names the projects whose deletion the files confirm:
	// project/del takes every report of a project with it, so a plan
	// deleting a project not named here is refused.
	DeleteProjects []string `json:"deleteProjects,omitempty"`
	// Leavers is what happens to users marked left: "keep" (the default:
	// the plan warns when they keep access) or "revoke" (they leave every
	// project the files name, and with it its roles and groups).
	Leavers string `json:"leavers,omitempty"`
}

// Values of settings.leavers.
const (
	LeaversKeep   = "keep"
	LeaversRevoke = "revoke"
)

// LeaversValues lists the values of settings.leavers.
var LeaversValues = []string{LeaversKeep, LeaversRevoke}

// Prune turns on deletion of objects absent from the files that permsync
// did not create, per kind.
type Prune struct {
	Users           bool `json:"users,omitempty"`
	Groups          bool `json:"groups,omitempty"`
	Roles           bool `json:"roles,omitempty"`
	DataPermissions bool `json:"dataPermissions,omitempty"`
	Orgs            bool `json:"orgs,omitempty"`
	SystemRoles     bool `json:"systemRoles,omitempty"`
}

// MaxDeletes is a count ("10") or a share ("10%") of the objects of a kind.
// Its JSON form is a number or a string ending in "%".
type MaxDeletes struct {
	Count   int     // used when !Percent
	Share   float64 // 0..100, used when Percent
	Percent bool
}

// Orgs is the org (department) tree. Departments may be spread over files;
// company may be set once.
type Orgs struct {
	Src Source `json:"-"`

	Company     string       `json:"company,omitempty"`
	Departments []Department `json:"departments,omitempty"`
}

// Department is one node of the org tree (orgStructure/syncOrg).
type Department struct {
	Src Source `json:"-"`

	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Parent      string   `json:"parent,omitempty"`
	Admins      []string `json:"admins,omitempty"` // first is the main admin
	Description string   `json:"description,omitempty"`
}

// User is a domain user (user/batchImport). Nil pointers leave the field
// alone on the server.
type User struct {
	Src Source `json:"-"`

	UniqueID      string  `json:"uniqueId"`
	Email         *string `json:"email,omitempty"`
	Phone         *string `json:"phone,omitempty"`
	Nick          *string `json:"nick,omitempty"`
	Department    *string `json:"department,omitempty"`
	Company       *string `json:"company,omitempty"`
	Position      *string `json:"position,omitempty"`
	Left          *bool   `json:"left,omitempty"`          // ifLeave
	AllowExternal *bool   `json:"allowExternal,omitempty"` // networkConfig.allowExternal
	// Orgs replaces the user's department membership when present.
	Orgs []UserOrg `json:"orgs,omitempty"`
	// Attrs sets attribute values by attribute name or numeric id. A nil
	// value (YAML null) clears the attribute; an empty list means "none".
	// Attributes not listed are left alone.
	Attrs      map[string]*[]string `json:"attrs,omitempty"`
	CustomInfo map[string]any       `json:"customInfo,omitempty"`
}

// UserOrg is a user's membership of one department.
type UserOrg struct {
	Code string `json:"code"`
	Role string `json:"role,omitempty"` // leader | normal (default normal)
}

// SystemRole is a custom, domain-wide system role.
type SystemRole struct {
	Src Source `json:"-"`

	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
}

// BuiltinSystemRoleNames are the names the files give the built-in
// system roles, sorted. A provider maps them to its server's roles.
var BuiltinSystemRoleNames = []string{"admin", "editor", "viewer"}

// Project is one BI project and everything permsync manages inside it.
type Project struct {
	Src Source `json:"-"`

	Name        string  `json:"name"`
	ID          int64   `json:"id,omitempty"` // pin to an existing project id
	Description *string `json:"description,omitempty"`
	// Members, when present, is the exact membership of the project.
	Members         []Member         `json:"members,omitempty"`
	Groups          []Group          `json:"groups,omitempty"`
	Roles           []Role           `json:"roles,omitempty"`
	DataPermissions []DataPermission `json:"dataPermissions,omitempty"`
	ResourceMembers []ResourceMember `json:"resourceMembers,omitempty"`
}

// Member is a project member and its system roles (admin, editor, viewer
// or a custom system role's name).
type Member struct {
	Src Source `json:"-"`

	User        string   `json:"user"`
	SystemRoles []string `json:"systemRoles,omitempty"`
}

// Group is a user group of a project.
type Group struct {
	Src Source `json:"-"`

	Name        string   `json:"name"`
	Folder      string   `json:"folder,omitempty"` // at most one level
	Description *string  `json:"description,omitempty"`
	Members     []string `json:"members,omitempty"`
}

// Role is a resource role (API type 0 for level 1, type 3 for level 2).
type Role struct {
	Src Source `json:"-"`

	Name        string  `json:"name"`
	Folder      string  `json:"folder,omitempty"`
	Level       int     `json:"level,omitempty"` // 1 (default) or 2
	Description *string `json:"description,omitempty"`
	Bindings
	// Resources, when present, replaces the role's resource permissions.
	Resources []Resource `json:"resources,omitempty"`
}

// Bindings are who holds a role or a data permission. Each list, when
// present, is exact.
type Bindings struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
	Orgs   []string `json:"orgs,omitempty"` // department codes
	// Expires maps a user, a group name or a department code to the time
	// its binding ends, "2006-01-02 15:04:05".
	Expires map[string]string `json:"expires,omitempty"`
}

// Resource is one resource permission of a role.
type Resource struct {
	Type        string   `json:"type"`           // NEW_REPORT, DATA_MODEL, DATA_CONNECTION, SCREEN, ADD_*
	ID          int64    `json:"id,omitempty"`   // resourceId, or
	Path        []string `json:"path,omitempty"` // resourceNamePaths
	Folder      bool     `json:"folder,omitempty"`
	Permissions []string `json:"permissions"`
}

// DataPermission is a row-level permission (API type 2).
type DataPermission struct {
	Src Source `json:"-"`

	Name        string  `json:"name"`
	Folder      string  `json:"folder,omitempty"`
	Description *string `json:"description,omitempty"`
	Bindings
	// Rules, when present, replaces the permission's rules.
	Rules []Rule `json:"rules,omitempty"`
}

// Rule is one entry of importDataPermissions' dataPermissions.
type Rule struct {
	Connection int64    `json:"connection"`     // dataConnectionId
	Type       string   `json:"type,omitempty"` // row (default) | column | table
	Mode       string   `json:"mode,omitempty"` // fixed (default) | dynamic
	Rule       string   `json:"rule,omitempty"` // or (default) | and
	Details    []Detail `json:"details"`
}

// Detail is the API's own detail object of a data permission (see the
// reference, "关于数据权限传递参数详细说明"). Fields the server adds on read
// and that are not listed here are ignored when comparing.
type Detail struct {
	Type          string     `json:"type,omitempty"` // row details: "row"; column: dataLevel | presentationLevel
	Database      string     `json:"database,omitempty"`
	DatabaseAlisa string     `json:"databaseAlisa,omitempty"` // sic, as the API spells it
	TableName     string     `json:"tableName,omitempty"`
	TableAlias    string     `json:"tableAlias,omitempty"`
	TableExprID   int64      `json:"tableExprId,omitempty"`
	FilterType    string     `json:"filterType,omitempty"` // listFilter | treeFilter
	SelectType    string     `json:"selectType,omitempty"` // select | unselect
	Model         string     `json:"model,omitempty"`
	Filter        *Filter    `json:"filter,omitempty"`
	DataMasks     []DataMask `json:"dataMasks,omitempty"` // column rules
	Produced      string     `json:"produced,omitempty"`  // table rules
	Select        []string   `json:"select,omitempty"`    // table rules: table names
	Mode          string     `json:"mode,omitempty"`      // table rules: manual
}

// Filter is a listFilter (Dim + Select, or Dim + AttrID for dynamic rules)
// or a treeFilter (Or / And of conditions).
type Filter struct {
	Dim    *Field     `json:"dim,omitempty"`
	Select []string   `json:"select,omitempty"`
	AttrID int64      `json:"attrId,omitempty"`
	Or     []TreeCond `json:"or,omitempty"`
	And    []TreeCond `json:"and,omitempty"`
}

// Field is a table column and its data type (Whole, Decimal, DateTime,
// String, Date, Time, Boolean).
type Field struct {
	Field    string `json:"field"`
	DataType string `json:"dataType"`
}

// TreeCond is one condition of a treeFilter.
type TreeCond struct {
	Dims []Field `json:"dims"`
	Cond Cond    `json:"cond"`
}

// Cond selects (inlist) or excludes (excludelist) paths of dimension values.
type Cond struct {
	InList      [][]string `json:"inlist,omitempty"`
	ExcludeList [][]string `json:"excludelist,omitempty"`
}

// DataMask hides or masks one column.
type DataMask struct {
	Field      string   `json:"field"`
	DataType   string   `json:"dataType"`
	ApplyRange []string `json:"applyRange,omitempty"` // view, export
}

// ResourceMember is the full list of direct members of one resource
// (directResourcePerm/syncMembers).
type ResourceMember struct {
	Src Source `json:"-"`

	Type    string              `json:"type"` // DATA_MODEL | DATA_CONNECTION | NEW_REPORT
	ID      int64               `json:"id"`
	Members []ResourceMemberRef `json:"members"`
}

// ResourceMemberRef is one direct member of a resource.
type ResourceMemberRef struct {
	User        string   `json:"user"`
	Permissions []string `json:"permissions"`
}
