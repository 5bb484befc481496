// Package access is permsync's provider-neutral model of who can see
// what, and why: the users of a BI server, every grant that reaches each
// of them (a project or workspace membership, a group, a role, a data
// permission, a row, column or table rule, a resource, a workspace role),
// each with the path that grants it (direct, via a group, via a
// department, via a dynamic attribute, with the expiries along it), and
// the row values a user gets.
//
// A provider builds a Report from its files and, where it can, from what
// its server shows (an Adapter, in a file of its own in the provider's
// folder). This package compares the two (Compare), selects what reaches a
// user or a resource (ForUser, ForResource), writes the report as text,
// CSV, JSON or one self-contained HTML page, compares two reports
// (DiffReports), and serves the latest one over HTTP behind a bearer
// secret (Handler). It does no I/O of its own beyond the writers given to
// it, and knows no server.
package access

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
)

// FormatVersion is the version of the report's JSON form. A report of
// another version is refused by ReadJSON.
const FormatVersion = "permsync-access/1"

// Source says where a report's grants come from.
type Source string

// Sources of a report.
const (
	SourceFiles  Source = "files"
	SourceServer Source = "server"
	// SourceBoth is a comparison (Compare): the files' grants and the
	// server's, each with its Status.
	SourceBoth Source = "files+server"
)

// Kind is what a grant reaches.
type Kind string

// Kinds of grants, in the order reports list them.
const (
	// KindMember is the membership of a project or workspace; Rights are
	// the member's system roles.
	KindMember Kind = "member"
	// KindGroup is the membership of a user group.
	KindGroup Kind = "group"
	// KindWorkspaceRole is a role of a workspace (Quick BI's admin,
	// developer, analyst, viewer or a custom one), held directly or
	// through a group.
	KindWorkspaceRole Kind = "workspaceRole"
	// KindRole is a resource role.
	KindRole Kind = "role"
	// KindDataPermission is a data (row-level) permission.
	KindDataPermission Kind = "dataPermission"
	// KindRule is one row, column or table rule (Rule says which and what
	// it lets the user see), reached through a data permission or
	// directly.
	KindRule Kind = "rule"
	// KindResource is a resource (report, dataset, data connection,
	// screen, or the right to add one); Rights are its permissions.
	KindResource Kind = "resource"
)

// kindOrder is the order of kinds in a report.
var kindOrder = map[Kind]int{
	KindMember: 0, KindGroup: 1, KindWorkspaceRole: 2, KindRole: 3,
	KindDataPermission: 4, KindRule: 5, KindResource: 6,
}

// Kinds lists the known kinds in report order.
func Kinds() []Kind {
	return []Kind{KindMember, KindGroup, KindWorkspaceRole, KindRole, KindDataPermission, KindRule, KindResource}
}

// Label is the kind in words, as the text and the page show it; a rule's
// label names its type (LabelOf).
func (k Kind) Label() string {
	switch k {
	case KindWorkspaceRole:
		return "workspace role"
	case KindDataPermission:
		return "data permission"
	case "":
		return "?"
	}
	return string(k)
}

// StepKind is one link of the path of a grant.
type StepKind string

// Kinds of steps.
const (
	// StepDirect: the user holds it directly. A path of one direct step
	// reads "direct".
	StepDirect StepKind = "direct"
	// StepGroup: through a user group the user belongs to.
	StepGroup StepKind = "group"
	// StepDepartment: through a department (org unit) the user belongs to.
	StepDepartment StepKind = "department"
	// StepWorkspaceRole: through a role of the workspace.
	StepWorkspaceRole StepKind = "workspaceRole"
	// StepRole: through a resource role.
	StepRole StepKind = "role"
	// StepDataPermission: through a data permission.
	StepDataPermission StepKind = "dataPermission"
	// StepAttribute: a dynamic rule whose values come from the user's
	// attribute (Youdata) or tag (Quick BI) of this name.
	StepAttribute StepKind = "attribute"
	// StepEveryone: a rule or role that applies to every user.
	StepEveryone StepKind = "everyone"
)

// Label is the step kind in words.
func (k StepKind) Label() string {
	switch k {
	case StepWorkspaceRole:
		return "workspace role"
	case StepDataPermission:
		return "data permission"
	case StepAttribute:
		return "dynamic attribute"
	}
	return string(k)
}

// Step is one link of a grant's path, from the user outward.
type Step struct {
	Kind StepKind `json:"kind"`
	// Name names the group, department, role, data permission or
	// attribute; empty for direct and everyone.
	Name string `json:"name,omitempty"`
	// Expires is when this link stops granting ("" never), in the
	// report's time zone, as the provider writes times.
	Expires string `json:"expires,omitempty"`
}

// Rule is what a row, column or table rule lets a user see.
type Rule struct {
	// Type is row, column or table.
	Type string `json:"type"`
	// Name is the rule's own name, where rules have one (Quick BI's);
	// "" when the rule belongs to a data permission.
	Name string `json:"name,omitempty"`
	// Connection and Table name the data the rule restricts (a data
	// connection and a table, or a dataset).
	Connection string `json:"connection,omitempty"`
	Table      string `json:"table,omitempty"`
	// Fields are the columns filtered on (row rules) or hidden or masked
	// (column rules).
	Fields []string `json:"fields,omitempty"`
	// Effect: keep or exclude (rows), hide or mask (columns), only or
	// hide (tables), all (a whitelist: every row).
	Effect string `json:"effect,omitempty"`
	// Values are the row values kept or excluded (a tree filter's values
	// are paths, "华北/河北"), or the tables of a table rule. For a
	// dynamic rule they are the user's attribute values, when known.
	Values []string `json:"values,omitempty"`
	// Combine is how several conditions of one rule combine: and, or.
	Combine string `json:"combine,omitempty"`
	// Apply is where a column rule applies: view, export.
	Apply []string `json:"apply,omitempty"`
	// Attribute is the user attribute (or tag) a dynamic rule takes its
	// values from.
	Attribute string `json:"attribute,omitempty"`
	// Unlimited: a dynamic rule whose attribute the user does not have
	// set, which does not restrict the user.
	Unlimited bool `json:"unlimited,omitempty"`
	// Unknown: the values are not known (a dynamic rule whose attribute
	// the files do not set and the server does not show).
	Unknown bool `json:"unknown,omitempty"`
	// Text, when set, is the rule in words as the provider says it (a
	// rule whose content this model does not break down), shown as is.
	Text string `json:"text,omitempty"`
}

// Status is how a grant of a comparison (Compare) stands.
type Status string

// Statuses of a compared grant.
const (
	// StatusSame: the files grant it and the server shows it the same.
	StatusSame Status = "same"
	// StatusDiffers: both grant it, with other rights, expiry or values
	// (Note says what the server shows).
	StatusDiffers Status = "differs"
	// StatusFilesOnly: the files grant it, the server does not show it.
	StatusFilesOnly Status = "filesOnly"
	// StatusServerOnly: the server shows it, the files do not grant it.
	StatusServerOnly Status = "serverOnly"
	// StatusUnshown: the files grant it through what the server does not
	// show (a group's role bindings, a department's members, attribute
	// values): it cannot be checked (Note says why).
	StatusUnshown Status = "unshown"
)

// Label is the status in words, as the text and the page show it.
func (s Status) Label() string {
	switch s {
	case StatusSame:
		return "same on the server"
	case StatusDiffers:
		return "differs on the server"
	case StatusFilesOnly:
		return "files only"
	case StatusServerOnly:
		return "server only"
	case StatusUnshown:
		return "not shown by the server"
	}
	return string(s)
}

// Grant is one thing that reaches one user, by one path.
type Grant struct {
	User string `json:"user"`
	// Space is the project or workspace; "" for what is domain-wide.
	Space string `json:"space,omitempty"`
	Kind  Kind   `json:"kind"`
	// Target names what is reached: the project, group, role
	// ("folder/name"), data permission, resource ("NEW_REPORT 报表/周报"),
	// or the data a rule restricts.
	Target string `json:"target"`
	// Rights are the permissions on a resource, or a member's system
	// roles, sorted.
	Rights []string `json:"rights,omitempty"`
	// Path is how the grant reaches the user, from the user outward:
	// [direct], [group G], [group G, role R], ...
	Path []Step `json:"path"`
	// Expires is the earliest expiry along the path ("" never).
	Expires string `json:"expires,omitempty"`
	// Rule is what a rule grant lets the user see.
	Rule *Rule `json:"rule,omitempty"`
	// Unshown, set by a provider building from its files, says why its
	// server cannot show this grant ("" when it can): Compare then marks
	// a grant the server lacks StatusUnshown rather than StatusFilesOnly.
	Unshown string `json:"unshown,omitempty"`
	// Status and Note are set by Compare.
	Status Status `json:"status,omitempty"`
	Note   string `json:"note,omitempty"`
}

// User is a principal of the report.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Departments are the codes of the departments the user belongs to.
	Departments []string `json:"departments,omitempty"`
	// Groups are the groups the user belongs to, "space/group", from the
	// report's group grants (Finish fills them in).
	Groups []string `json:"groups,omitempty"`
	// Left: the user has left (or is inactive) and cannot log in.
	Left bool `json:"left,omitempty"`
}

// Department is a node of the org tree.
type Department struct {
	Code   string `json:"code"`
	Name   string `json:"name,omitempty"`
	Parent string `json:"parent,omitempty"`
}

// Report is the access of every user of a server, as one source sees it.
type Report struct {
	Format   string `json:"format"`
	Provider string `json:"provider"`
	Source   Source `json:"source"`
	// Generated is when the report was made (RFC 3339); set by the
	// caller, so that a report of the same inputs is the same bytes.
	Generated string `json:"generated,omitempty"`
	// Zone is the time zone of the expiries, e.g. "+08:00".
	Zone string `json:"zone,omitempty"`
	// SpaceLabel is what the provider calls a space: "project",
	// "workspace".
	SpaceLabel string `json:"spaceLabel,omitempty"`
	// DomainLabel is what the provider calls what is granted outside
	// any space (Space ""): "organization"; "" reads "domain".
	DomainLabel string `json:"domainLabel,omitempty"`
	// Notes say what the report cannot show (what the server does not
	// read back), sorted.
	Notes       []string     `json:"notes,omitempty"`
	Departments []Department `json:"departments,omitempty"`
	Users       []User       `json:"users"`
	Grants      []Grant      `json:"grants"`
}

// New makes an empty report of a provider's source.
func New(provider string, src Source) *Report {
	return &Report{Format: FormatVersion, Provider: provider, Source: src, Users: []User{}, Grants: []Grant{}}
}

// Key identifies a grant across reports: the user, the space, the kind,
// the target, a rule's fields and the path's links (without expiries).
// Rights, expiries and row values are what may change under one key.
func (g *Grant) Key() string {
	var b strings.Builder
	b.Grow(len(g.User) + len(g.Space) + len(g.Target) + 32)
	b.WriteString(g.User)
	b.WriteByte(0)
	b.WriteString(g.Space)
	b.WriteByte(0)
	b.WriteString(string(g.Kind))
	b.WriteByte(0)
	b.WriteString(g.Target)
	if g.Rule != nil {
		b.WriteByte(0)
		b.WriteString(g.Rule.Type)
		for _, f := range g.Rule.Fields {
			b.WriteByte(1)
			b.WriteString(f)
		}
	}
	for _, s := range g.Path {
		b.WriteByte(0)
		b.WriteString(string(s.Kind))
		b.WriteByte(1)
		b.WriteString(s.Name)
	}
	return b.String()
}

// stepOrder orders the links of paths: direct first.
var stepOrder = map[StepKind]int{
	StepDirect: 0, StepGroup: 1, StepDepartment: 2, StepWorkspaceRole: 3, StepEveryone: 4,
	StepRole: 5, StepDataPermission: 6, StepAttribute: 7,
}

func orderOf(m map[Kind]int, k Kind) (int, bool) {
	o, ok := m[k]
	return o, ok
}

// compareGrants orders grants: by user, space, kind, target, a rule's
// type and fields, then the path (direct first, then by the kinds and
// names of its links). Two grants compare equal exactly when their keys
// (Grant.Key) are equal.
func compareGrants(a, b *Grant) int {
	if c := strings.Compare(a.User, b.User); c != 0 {
		return c
	}
	if c := strings.Compare(a.Space, b.Space); c != 0 {
		return c
	}
	if a.Kind != b.Kind {
		oa, okA := orderOf(kindOrder, a.Kind)
		ob, okB := orderOf(kindOrder, b.Kind)
		switch {
		case okA && okB:
			return oa - ob
		case okA != okB:
			if okA {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	}
	if c := strings.Compare(a.Target, b.Target); c != 0 {
		return c
	}
	if c := compareRuleKeys(a.Rule, b.Rule); c != 0 {
		return c
	}
	return comparePaths(a.Path, b.Path)
}

func compareRuleKeys(a, b *Rule) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return slices.Compare(a.Fields, b.Fields)
}

func comparePaths(a, b []Step) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].Kind != b[i].Kind {
			oa, okA := stepOrder[a[i].Kind]
			ob, okB := stepOrder[b[i].Kind]
			if okA && okB {
				return oa - ob
			}
			return strings.Compare(string(a[i].Kind), string(b[i].Kind))
		}
		if c := strings.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// Finish puts a report in its canonical form: grants sorted and each key
// once (the first kept, with the rights of all), every grant's Expires the
// earliest along its path, users sorted and every user of a grant listed,
// each user's groups filled in, departments sorted. Builders call it once
// they have added everything.
func (r *Report) Finish() {
	if r.Format == "" {
		r.Format = FormatVersion
	}
	for i := range r.Grants {
		g := &r.Grants[i]
		g.Expires = earliest(g.Path, g.Expires)
		sort.Strings(g.Rights)
	}
	// Sorted by index: a grant is too large to move about.
	idx := make([]int32, len(r.Grants))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := compareGrants(&r.Grants[a], &r.Grants[b]); c != 0 {
			return c
		}
		return int(a - b) // the first of equal grants stays first
	})
	out := make([]Grant, 0, len(r.Grants))
	for _, i := range idx {
		g := &r.Grants[i]
		if len(out) > 0 && compareGrants(&out[len(out)-1], g) == 0 {
			prev := &out[len(out)-1]
			prev.Rights = unionSorted(prev.Rights, g.Rights)
			continue
		}
		out = append(out, *g)
	}
	r.Grants = out

	users := map[string]*User{}
	for i := range r.Users {
		u := r.Users[i]
		if old, ok := users[u.ID]; ok {
			mergeUser(old, u)
			continue
		}
		users[u.ID] = &u
	}
	groups := map[string]map[string]bool{}
	for _, g := range r.Grants {
		if _, ok := users[g.User]; !ok {
			users[g.User] = &User{ID: g.User}
		}
		if g.Kind == KindGroup {
			if groups[g.User] == nil {
				groups[g.User] = map[string]bool{}
			}
			groups[g.User][GroupRef(g.Space, g.Target)] = true
		}
	}
	ids := make([]string, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	r.Users = make([]User, 0, len(ids))
	for _, id := range ids {
		u := users[id]
		sort.Strings(u.Departments)
		u.Departments = uniqSorted(u.Departments)
		u.Groups = u.Groups[:0:0]
		for g := range groups[id] {
			u.Groups = append(u.Groups, g)
		}
		sort.Strings(u.Groups)
		if len(u.Groups) == 0 {
			u.Groups = nil
		}
		r.Users = append(r.Users, *u)
	}
	sort.Slice(r.Departments, func(i, j int) bool { return r.Departments[i].Code < r.Departments[j].Code })
	sort.Strings(r.Notes)
	r.Notes = uniqSorted(r.Notes)
}

// GroupRef names a group of a space as User.Groups lists it.
func GroupRef(space, group string) string {
	if space == "" {
		return group
	}
	return space + "/" + group
}

func mergeUser(dst *User, u User) {
	if dst.Name == "" {
		dst.Name = u.Name
	}
	dst.Departments = append(dst.Departments, u.Departments...)
	dst.Left = dst.Left || u.Left
}

// earliest is the earliest of the path's expiries and also (all "" when
// none expires). Expiries of one report share one layout, so they compare
// as strings.
func earliest(path []Step, also string) string {
	out := also
	for _, s := range path {
		if s.Expires != "" && (out == "" || s.Expires < out) {
			out = s.Expires
		}
	}
	return out
}

func unionSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(append([]string{}, a...), b...)
	sort.Strings(out)
	return uniqSorted(out)
}

func uniqSorted(in []string) []string {
	if len(in) < 2 {
		return in
	}
	out := in[:1]
	for _, s := range in[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

// UserByID finds a user of a finished report.
func (r *Report) UserByID(id string) (User, bool) {
	i := sort.Search(len(r.Users), func(i int) bool { return r.Users[i].ID >= id })
	if i < len(r.Users) && r.Users[i].ID == id {
		return r.Users[i], true
	}
	return User{}, false
}

// DepartmentName is the name of a department, or "" when the report does
// not know it.
func (r *Report) DepartmentName(code string) string {
	i := sort.Search(len(r.Departments), func(i int) bool { return r.Departments[i].Code >= code })
	if i < len(r.Departments) && r.Departments[i].Code == code {
		return r.Departments[i].Name
	}
	return ""
}

// Expired reports whether an expiry is at or before now, in the report's
// time zone. An expiry that does not parse is not taken as expired.
func (r *Report) Expired(expires string, now time.Time) bool {
	if expires == "" {
		return false
	}
	loc := time.UTC
	if r.Zone != "" {
		if t, err := time.Parse("-07:00", r.Zone); err == nil {
			_, off := t.Zone()
			loc = time.FixedZone(r.Zone, off)
		}
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", expires, loc)
	if err != nil {
		return false
	}
	return !t.After(now)
}

// Spaces lists the spaces of a report's grants, sorted.
func (r *Report) Spaces() []string {
	seen := map[string]bool{}
	for _, g := range r.Grants {
		if g.Space != "" {
			seen[g.Space] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Adapter is what a provider implements, in a file of its own, to give
// permsync's access model of its files and of what its server shows.
type Adapter interface {
	// FromFiles is the access the files grant. Grants the server cannot
	// show carry Unshown.
	FromFiles(d *spec.Desired) (*Report, error)
	// FromServer is the access the server shows, from the provider's live
	// model (what its Read returned); d gives what the server does not
	// show of the principals (departments' names, ...).
	FromServer(d *spec.Desired, live provider.Live) (*Report, error)
}
