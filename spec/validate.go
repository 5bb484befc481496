package spec

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/sets"
)

// ExpiresLayout is the layout of the dates in expires, in the server's
// local time (UTC+08:00).
const ExpiresLayout = "2006-01-02 15:04:05"

// Enumerations of the format, as the API reference lists them.
var (
	// ResourcePermissions are the permissions each resource type of a
	// role's resources accepts.
	ResourcePermissions = map[string][]string{
		"NEW_REPORT":          {"view", "edit", "export", "copy"},
		"DATA_MODEL":          {"view", "edit", "export", "copy"},
		"DATA_CONNECTION":     {"view", "edit", "export", "copy", "customSql"},
		"SCREEN":              {"view", "edit", "export", "copy"},
		"ADD_DATA_CONNECTION": {"add", "noPrivateAdd"},
		"ADD_DATA_MODEL":      {"add", "noPrivateAdd"},
		"ADD_NEW_REPORT":      {"add", "noPrivateAdd"},
		"ADD_SCREEN":          {"add", "noPrivateAdd"},
	}
	// ResourceMemberTypes are the resource types of resourceMembers.
	ResourceMemberTypes = []string{"DATA_MODEL", "DATA_CONNECTION", "NEW_REPORT"}
	// ResourceMemberPermissions are the permissions of a resource's direct
	// members.
	ResourceMemberPermissions = []string{"view", "copyData", "export", "edit", "share", "mail", "warning", "showSummaryWithoutPerm"}

	DataTypes     = []string{"Whole", "Decimal", "DateTime", "String", "Date", "Time", "Boolean"}
	FilterTypes   = []string{"listFilter", "treeFilter"}
	SelectTypes   = []string{"select", "unselect"}
	RuleTypes     = []string{"row", "column", "table"}
	RuleModes     = []string{"fixed", "dynamic"}
	RuleJoins     = []string{"or", "and"}
	ColumnTypes   = []string{"dataLevel", "presentationLevel"}
	ApplyRanges   = []string{"view", "export"}
	UserOrgRoles  = []string{"leader", "normal"}
	RoleLevels    = []int{1, 2}
	resourceTypes = sets.SortedKeys(ResourcePermissions)
	// builtinDisplayNames are the names the server shows for the built-in
	// system roles; systemRole/add refuses them as it refuses a duplicate.
	builtinDisplayNames = map[string]string{"项目管理员": "admin", "编辑者": "editor", "阅览者": "viewer"}
)

// Validate checks a desired state built in code (Load validates what it
// loads). Problems cite each object's Src.
func Validate(d *Desired) error {
	var ps problems
	if d == nil {
		ps.add(&Problem{Msg: "no desired state"})
		return ps.err()
	}
	var ws problems
	switch p := d.Provider; {
	case d.QuickBI != nil && p != QuickBIProvider:
		ps.add(&Problem{Path: "provider", Msg: fmt.Sprintf("the desired state has a Quick BI part, but its provider is %q, not %q", cmp.Or(p, DefaultProvider), QuickBIProvider)})
	case p == QuickBIProvider && (d.Orgs != nil || d.Users != nil || d.SystemRoles != nil || d.Projects != nil):
		ps.add(&Problem{Path: "provider", Msg: fmt.Sprintf("the provider is %q, but the desired state has Youdata's users, orgs, system roles or projects", p)})
	}
	validate(d, nil, &ps, &ws)
	return ps.err()
}

type validator struct {
	ps *problems
	// ws collects warnings.
	ws *problems
	// lines maps file → field path → line, when known.
	lines map[string]map[string]int
	d     *Desired

	depts         map[string]Source // code → where declared
	deptsDeclared bool
	users         map[string]Source
	sysRoles      map[string]Source
	strict        bool
	// undecoded holds file + "\x00" + path of the fields whose value could
	// not be decoded: reported once, not again as, say, "must be positive".
	undecoded map[string]bool
	// misspelled holds file + "\x00" + path of the fields an unknown
	// field of the same mapping was taken for ("did you mean ...").
	misspelled map[string]bool
	// nullItems holds file + "\x00" + path of the list items written as
	// null: nothing under them is reported again.
	nullItems map[string]bool

	// Identifiers of the domain, for near-duplicates.
	userNear, deptNear, sysRoleNear, projectNear, attrNear *nearIndex
}

var didYouMean = regexp.MustCompile(`^unknown field "[^"]*" \(did you mean "([^"]+)"\?\)$`)

func validate(d *Desired, lines map[string]map[string]int, ps, ws *problems) {
	v := &validator{ps: ps, ws: ws, lines: lines, d: d,
		depts: map[string]Source{}, users: map[string]Source{}, sysRoles: map[string]Source{},
		strict: d.Settings.StrictUsers, undecoded: map[string]bool{}, misspelled: map[string]bool{},
		nullItems:   map[string]bool{},
		userNear:    newNearIndex("user"),
		deptNear:    newNearIndex("department"),
		sysRoleNear: newNearIndex("system role"),
		projectNear: newNearIndex("project"),
		attrNear:    newNearIndex("attribute"),
	}
	for _, p := range ps.list {
		v.undecoded[p.File+"\x00"+p.Path] = true
		if p.Msg == nullItemMsg {
			v.nullItems[p.File+"\x00"+p.Path] = true
		}
		if m := didYouMean.FindStringSubmatch(p.Msg); m != nil {
			parent := p.Path
			if i := strings.LastIndex(parent, "."); i >= 0 {
				parent = parent[:i]
			} else {
				parent = ""
			}
			v.misspelled[p.File+"\x00"+parent+"."+m[1]] = true
		}
	}
	v.provider()
	v.quickBI()
	v.characters()
	v.declarations()
	v.settings()
	v.orgs()
	v.userList()
	for i := range d.Projects {
		v.project(&d.Projects[i])
	}
	v.projectNames()
	v.embeds()
}

// line finds the line of path in src's file, or of its nearest parent,
// else src.Line.
func (v *validator) line(src Source, path string) int {
	if m := v.lines[src.File]; m != nil {
		p := path
		for p != "" {
			if l, ok := m[p]; ok {
				return l
			}
			i := strings.LastIndexAny(p, ".[")
			if i <= 0 {
				break
			}
			p = p[:i]
		}
	}
	return src.Line
}

func (v *validator) present(src Source, path string) bool {
	_, ok := v.lines[src.File][path]
	return ok
}

// at reports a problem at src's path + sub (".field", "[3]").
func (v *validator) at(src Source, sub, format string, args ...any) {
	path := src.Path + sub
	if v.undecoded[src.File+"\x00"+path] || v.underNull(src.File, path) {
		return
	}
	v.ps.add(&Problem{File: src.File, Line: v.line(src, path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// underNull reports whether path is inside a list item written as null.
func (v *validator) underNull(file, path string) bool {
	if len(v.nullItems) == 0 {
		return false
	}
	for p := path; p != ""; {
		if v.nullItems[file+"\x00"+p] {
			return true
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return false
}

// where renders a place for "first at ..." messages.
func (v *validator) where(src Source, sub string) string {
	if src.File == "" {
		return src.Path + sub
	}
	return src.File + ":" + strconv.Itoa(v.line(src, src.Path+sub))
}

func (v *validator) sub(src Source, sub string) Source {
	return Source{File: src.File, Line: v.line(src, src.Path+sub), Path: src.Path + sub}
}

// missing reports a required field that is absent, unless the same
// mapping holds a misspelling of it, which is reported already ("unknown
// field "uniqueID" (did you mean "uniqueId"?)"): one mistake, one problem.
func (v *validator) missing(src Source, field, note string) {
	if v.misspelled[src.File+"\x00"+src.Path+"."+field] {
		return
	}
	v.at(src, "", "missing required field %q%s", field, note)
}

// required reports an empty required string field.
func (v *validator) required(src Source, field, value string) bool {
	if value != "" {
		return true
	}
	if v.present(src, src.Path+"."+field) {
		v.at(src, "."+field, "must not be empty")
	} else {
		v.missing(src, field, "")
	}
	return false
}

func (v *validator) enum(src Source, sub, what, value string, list []string) {
	if value != "" && !slices.Contains(list, value) {
		v.at(src, sub, "invalid %s %q (want one of %s)", what, value, strings.Join(list, ", "))
	}
}

// names checks a list of names: none empty, none twice. It calls each for
// the valid, first occurrences.
func (v *validator) names(src Source, field, what string, list []string, each func(i int, name string)) {
	seen := map[string]int{}
	for i, n := range list {
		sub := fmt.Sprintf(".%s[%d]", field, i)
		if n == "" {
			v.at(src, sub, "%s must not be empty", what)
			continue
		}
		if j, dup := seen[n]; dup {
			v.at(src, sub, "duplicate %s %q (first at %s)", what, n, v.where(src, fmt.Sprintf(".%s[%d]", field, j)))
			continue
		}
		seen[n] = i
		if each != nil {
			each(i, n)
		}
	}
}

// userRef checks a reference to a user against settings.strictUsers.
func (v *validator) userRef(src Source, sub, user string) {
	if user == "" {
		return
	}
	if !v.strict {
		v.near(v.userNear, src, sub, user)
		return
	}
	if _, ok := v.users[user]; !ok {
		v.at(src, sub, "user %q is not declared under users: (settings.strictUsers is on)%s", user, v.nearHint(v.userNear, user))
	}
}

// deptRef checks a department code reference.
func (v *validator) deptRef(src Source, sub, code string) {
	if code == "" {
		return
	}
	if !v.deptsDeclared {
		v.near(v.deptNear, src, sub, code)
		return
	}
	if _, ok := v.depts[code]; !ok {
		v.at(src, sub, "unknown department %q (not among orgs.departments)%s", code, v.nearHint(v.deptNear, code))
	}
}

// declarations indexes users, departments and system roles, reporting
// duplicates.
func (v *validator) declarations() {
	d := v.d
	if d.Orgs != nil && d.Orgs.Departments != nil {
		v.deptsDeclared = true
		for i := range d.Orgs.Departments {
			dp := &d.Orgs.Departments[i]
			if !v.required(dp.Src, "code", dp.Code) {
				continue
			}
			if first, dup := v.depts[dp.Code]; dup {
				v.at(dp.Src, ".code", "duplicate department %q (first at %s)", dp.Code, v.where(first, ".code"))
				continue
			}
			v.depts[dp.Code] = dp.Src
			v.near(v.deptNear, dp.Src, ".code", dp.Code)
		}
	}
	for i := range d.Users {
		u := &d.Users[i]
		if !v.required(u.Src, "uniqueId", u.UniqueID) {
			continue
		}
		if first, dup := v.users[u.UniqueID]; dup {
			v.at(u.Src, ".uniqueId", "duplicate user %q (first at %s)", u.UniqueID, v.where(first, ".uniqueId"))
			continue
		}
		v.users[u.UniqueID] = u.Src
		v.near(v.userNear, u.Src, ".uniqueId", u.UniqueID)
	}
	for _, name := range BuiltinSystemRoleNames {
		v.sysRoleNear.builtin(name)
	}
	for name := range builtinDisplayNames {
		v.sysRoleNear.builtin(name)
	}
	for i := range d.SystemRoles {
		r := &d.SystemRoles[i]
		if !v.required(r.Src, "name", r.Name) {
			continue
		}
		if slices.Contains(BuiltinSystemRoleNames, r.Name) {
			v.at(r.Src, ".name", "%q is a built-in system role; choose another name", r.Name)
			continue
		}
		if builtin, ok := builtinDisplayNames[r.Name]; ok {
			v.at(r.Src, ".name", "%q is the server's name of the built-in system role %s; choose another name", r.Name, builtin)
			continue
		}
		if first, dup := v.sysRoles[r.Name]; dup {
			v.at(r.Src, ".name", "duplicate system role %q (first at %s)", r.Name, v.where(first, ".name"))
			continue
		}
		v.sysRoles[r.Name] = r.Src
		v.near(v.sysRoleNear, r.Src, ".name", r.Name)
	}
}

func (v *validator) settings() {
	s := &v.d.Settings
	v.names(s.Src, "protectedUsers", "user", s.ProtectedUsers, func(i int, u string) {
		v.userRef(s.Src, fmt.Sprintf(".protectedUsers[%d]", i), u)
	})
	if s.MaxDeletes != nil {
		if err := s.MaxDeletes.check(); err != nil {
			v.at(s.Src, ".maxDeletes", "%v", err)
		}
	}
	v.names(s.Src, "deleteProjects", "project", s.DeleteProjects, nil)
	v.enum(s.Src, ".leavers", "leavers setting", s.Leavers, LeaversValues)
}

func (v *validator) orgs() {
	o := v.d.Orgs
	if o == nil {
		return
	}
	parent := map[string]string{}
	index := map[string]int{} // code → its department in o.Departments
	for i := range o.Departments {
		dp := &o.Departments[i]
		v.required(dp.Src, "name", dp.Name)
		v.names(dp.Src, "admins", "admin", dp.Admins, func(i int, u string) {
			v.userRef(dp.Src, fmt.Sprintf(".admins[%d]", i), u)
		})
		if dp.Parent == "" {
			continue
		}
		if dp.Parent == dp.Code {
			v.at(dp.Src, ".parent", "department %q is its own parent", dp.Code)
			continue
		}
		if _, ok := v.depts[dp.Parent]; !ok {
			v.at(dp.Src, ".parent", "unknown parent department %q (not among orgs.departments)", dp.Parent)
			continue
		}
		if src, ok := v.depts[dp.Code]; ok && src == dp.Src {
			parent[dp.Code] = dp.Parent
			index[dp.Code] = i
		}
	}
	// Cycles: follow parents from every department, stopping at one already
	// followed. Each cycle is reported once, at its member written first.
	settled := map[string]bool{}
	for i := range o.Departments {
		pos := map[string]int{}
		var chain []string
		for c := o.Departments[i].Code; c != "" && !settled[c]; c = parent[c] {
			if j, loop := pos[c]; loop {
				cycle := chain[j:]
				k := 0
				for m := range cycle {
					if index[cycle[m]] < index[cycle[k]] {
						k = m
					}
				}
				cycle = append(append([]string(nil), cycle[k:]...), cycle[:k]...)
				v.at(o.Departments[index[cycle[0]]].Src, ".parent", "department cycle: %s → %s", strings.Join(cycle, " → "), cycle[0])
				break
			}
			pos[c] = len(chain)
			chain = append(chain, c)
		}
		for _, c := range chain {
			settled[c] = true
		}
	}
}

func (v *validator) userList() {
	for i := range v.d.Users {
		u := &v.d.Users[i]
		seen := map[string]int{}
		for j, o := range u.Orgs {
			sub := fmt.Sprintf(".orgs[%d]", j)
			src := v.sub(u.Src, sub)
			if !v.required(src, "code", o.Code) {
				continue
			}
			if k, dup := seen[o.Code]; dup {
				v.at(u.Src, sub+".code", "duplicate department %q (first at %s)", o.Code, v.where(u.Src, fmt.Sprintf(".orgs[%d]", k)))
				continue
			}
			seen[o.Code] = j
			v.deptRef(u.Src, sub+".code", o.Code)
			v.enum(u.Src, sub+".role", "department role", o.Role, UserOrgRoles)
		}
		for _, k := range sets.SortedKeys(u.Attrs) {
			if k == "" {
				v.at(u.Src, ".attrs", "an attribute name must not be empty")
				continue
			}
			v.near(v.attrNear, u.Src, ".attrs"+keyPath("", k), k)
		}
	}
}

// projectNames reports duplicate project names and ids.
func (v *validator) projectNames() {
	names := map[string]Source{}
	ids := map[int64]Source{}
	for i := range v.d.Projects {
		p := &v.d.Projects[i]
		if p.ID < 0 {
			v.at(p.Src, ".id", "a project id must be positive")
		} else if p.ID > 0 {
			if first, dup := ids[p.ID]; dup {
				v.at(p.Src, ".id", "duplicate project id %d (first at %s)", p.ID, v.where(first, ".id"))
			} else {
				ids[p.ID] = p.Src
			}
		}
		if !v.required(p.Src, "name", p.Name) {
			continue
		}
		if first, dup := names[p.Name]; dup {
			v.at(p.Src, ".name", "duplicate project %q (first at %s)", p.Name, v.where(first, ".name"))
			continue
		}
		names[p.Name] = p.Src
		v.near(v.projectNear, p.Src, ".name", p.Name)
	}
}

// projectCtx is what the checks inside one project need.
type projectCtx struct {
	p       *Project
	groups  map[string]bool
	members map[string]bool // nil when members: is absent

	groupNear, roleNear, dpNear                   *nearIndex
	groupFolderNear, roleFolderNear, dpFolderNear *nearIndex
}

func (v *validator) project(p *Project) {
	pc := &projectCtx{p: p, groups: map[string]bool{},
		groupNear: newNearIndex("group"), roleNear: newNearIndex("role"), dpNear: newNearIndex("data permission"),
		groupFolderNear: newNearIndex("group folder"), roleFolderNear: newNearIndex("role folder"),
		dpFolderNear: newNearIndex("data permission folder"),
	}
	if p.Members != nil {
		pc.members = map[string]bool{}
	}
	seen := map[string]Source{}
	for i := range p.Members {
		m := &p.Members[i]
		if !v.required(m.Src, "user", m.User) {
			continue
		}
		if first, dup := seen[m.User]; dup {
			v.at(m.Src, ".user", "duplicate member %q (first at %s)", m.User, v.where(first, ".user"))
			continue
		}
		seen[m.User] = m.Src
		pc.members[m.User] = true
		v.userRef(m.Src, ".user", m.User)
		v.names(m.Src, "systemRoles", "system role", m.SystemRoles, func(j int, r string) {
			if slices.Contains(BuiltinSystemRoleNames, r) {
				return
			}
			if _, ok := v.sysRoles[r]; !ok {
				v.at(m.Src, fmt.Sprintf(".systemRoles[%d]", j),
					"unknown system role %q (want %s or a role under systemRoles:)%s", r, strings.Join(BuiltinSystemRoleNames, ", "), v.nearHint(v.sysRoleNear, r))
			}
		})
	}

	groupAt := map[string]Source{}
	for i := range p.Groups {
		g := &p.Groups[i]
		if v.required(g.Src, "name", g.Name) {
			if first, dup := groupAt[g.Name]; dup {
				v.at(g.Src, ".name", "duplicate group %q in project %q (first at %s)", g.Name, p.Name, v.where(first, ".name"))
			} else {
				groupAt[g.Name] = g.Src
				pc.groups[g.Name] = true
				v.near(pc.groupNear, g.Src, ".name", g.Name)
			}
		}
		v.folder(g.Src, g.Folder)
		v.near(pc.groupFolderNear, g.Src, ".folder", g.Folder)
		v.names(g.Src, "members", "user", g.Members, func(j int, u string) {
			v.boundUser(pc, g.Src, fmt.Sprintf(".members[%d]", j), u)
		})
	}

	roleAt := map[string]Source{}
	for i := range p.Roles {
		r := &p.Roles[i]
		if v.required(r.Src, "name", r.Name) {
			if first, dup := roleAt[r.Name]; dup {
				v.at(r.Src, ".name", "duplicate role %q in project %q (first at %s)", r.Name, p.Name, v.where(first, ".name"))
			} else {
				roleAt[r.Name] = r.Src
				v.near(pc.roleNear, r.Src, ".name", r.Name)
			}
		}
		v.folder(r.Src, r.Folder)
		v.near(pc.roleFolderNear, r.Src, ".folder", r.Folder)
		if r.Level != 0 && r.Level != 1 && r.Level != 2 {
			v.at(r.Src, ".level", "invalid level %d (want 1 or 2)", r.Level)
		}
		v.bindings(pc, r.Src, "role", &r.Bindings)
		for j := range r.Resources {
			v.resource(r.Src, fmt.Sprintf(".resources[%d]", j), &r.Resources[j])
		}
	}

	dpAt := map[string]Source{}
	for i := range p.DataPermissions {
		dp := &p.DataPermissions[i]
		if v.required(dp.Src, "name", dp.Name) {
			if first, dup := dpAt[dp.Name]; dup {
				v.at(dp.Src, ".name", "duplicate data permission %q in project %q (first at %s)", dp.Name, p.Name, v.where(first, ".name"))
			} else {
				dpAt[dp.Name] = dp.Src
				v.near(pc.dpNear, dp.Src, ".name", dp.Name)
			}
		}
		v.folder(dp.Src, dp.Folder)
		v.near(pc.dpFolderNear, dp.Src, ".folder", dp.Folder)
		v.bindings(pc, dp.Src, "data permission", &dp.Bindings)
		for j := range dp.Rules {
			v.rule(dp.Src, fmt.Sprintf(".rules[%d]", j), &dp.Rules[j])
		}
	}

	rmAt := map[string]Source{}
	for i := range p.ResourceMembers {
		rm := &p.ResourceMembers[i]
		if rm.Type == "" {
			v.required(rm.Src, "type", rm.Type)
		} else {
			v.enum(rm.Src, ".type", "resource type", rm.Type, ResourceMemberTypes)
		}
		if rm.ID <= 0 {
			if v.present(rm.Src, rm.Src.Path+".id") {
				v.at(rm.Src, ".id", "a resource id must be positive")
			} else {
				v.missing(rm.Src, "id", "")
			}
		} else {
			key := fmt.Sprintf("%s %d", rm.Type, rm.ID)
			if first, dup := rmAt[key]; dup {
				v.at(rm.Src, "", "duplicate resourceMembers entry for %s %d (first at %s)", rm.Type, rm.ID, v.where(first, ""))
			} else {
				rmAt[key] = rm.Src
			}
		}
		if rm.Members == nil {
			v.missing(rm.Src, "members", " (write members: [] to remove every direct member)")
		}
		seenUser := map[string]int{}
		for j, m := range rm.Members {
			sub := fmt.Sprintf(".members[%d]", j)
			msrc := v.sub(rm.Src, sub)
			if v.required(msrc, "user", m.User) {
				if k, dup := seenUser[m.User]; dup {
					v.at(rm.Src, sub+".user", "duplicate member %q (first at %s)", m.User, v.where(rm.Src, fmt.Sprintf(".members[%d]", k)))
				} else {
					seenUser[m.User] = j
					v.boundUser(pc, rm.Src, sub+".user", m.User)
				}
			}
			if m.Permissions == nil {
				v.missing(msrc, "permissions", "")
			}
			v.names(msrc, "permissions", "permission", m.Permissions, func(k int, perm string) {
				v.enum(msrc, fmt.Sprintf(".permissions[%d]", k), "permission", perm, ResourceMemberPermissions)
			})
		}
	}
}

// boundUser checks a user bound to something in a project: declared when
// strictUsers is on, and a member when the project lists its members.
func (v *validator) boundUser(pc *projectCtx, src Source, sub, user string) {
	v.userRef(src, sub, user)
	if pc.members != nil && !pc.members[user] {
		v.at(src, sub, "user %q is not a member of project %q: its members: list is exact, and binding would add the user back", user, pc.p.Name)
	}
}

func (v *validator) folder(src Source, folder string) {
	if strings.Contains(folder, "/") {
		v.at(src, ".folder", "folder %q must be a single name: the server allows one level of folders", folder)
	}
}

func (v *validator) bindings(pc *projectCtx, src Source, what string, b *Bindings) {
	v.names(src, "users", "user", b.Users, func(i int, u string) {
		v.boundUser(pc, src, fmt.Sprintf(".users[%d]", i), u)
	})
	v.names(src, "groups", "group", b.Groups, func(i int, g string) {
		if !pc.groups[g] {
			v.at(src, fmt.Sprintf(".groups[%d]", i), "unknown group %q (not among the groups of project %q)%s", g, pc.p.Name, v.nearHint(pc.groupNear, g))
		}
	})
	v.names(src, "orgs", "department", b.Orgs, func(i int, c string) {
		v.deptRef(src, fmt.Sprintf(".orgs[%d]", i), c)
	})
	for _, k := range sets.SortedKeys(b.Expires) {
		sub := ".expires" + keyPath("", k)
		if !slices.Contains(b.Users, k) && !slices.Contains(b.Groups, k) && !slices.Contains(b.Orgs, k) {
			v.at(src, sub, "%q is not among the %s's users, groups or orgs", k, what)
		}
		if _, err := time.Parse(ExpiresLayout, b.Expires[k]); err != nil {
			v.at(src, sub, "malformed date %q (want \"YYYY-MM-DD hh:mm:ss\", e.g. \"2027-10-10 10:00:00\")", b.Expires[k])
		}
	}
}

func (v *validator) resource(src Source, sub string, r *Resource) {
	rs := v.sub(src, sub)
	perms, known := ResourcePermissions[r.Type]
	switch {
	case r.Type == "":
		v.required(rs, "type", r.Type)
	case !known:
		v.at(rs, ".type", "invalid resource type %q (want one of %s)", r.Type, strings.Join(resourceTypes, ", "))
	}
	hasPath := r.Path != nil
	switch {
	case r.ID != 0 && hasPath:
		v.at(rs, "", "give either id or path, not both")
	case r.ID == 0 && !hasPath && !v.present(rs, rs.Path+".id"):
		v.at(rs, "", "give the resource's id or its path")
	case r.ID <= 0 && !hasPath:
		v.at(rs, ".id", "a resource id must be positive")
	case hasPath && len(r.Path) == 0:
		v.at(rs, ".path", "path must name at least one folder or resource")
	}
	for i, e := range r.Path {
		if e == "" {
			v.at(rs, fmt.Sprintf(".path[%d]", i), "a path element must not be empty")
		}
	}
	if r.Permissions == nil {
		v.missing(rs, "permissions", "")
	} else if len(r.Permissions) == 0 {
		v.at(rs, ".permissions", "list at least one permission")
	}
	v.names(rs, "permissions", "permission", r.Permissions, func(i int, perm string) {
		if known && !slices.Contains(perms, perm) {
			v.at(rs, fmt.Sprintf(".permissions[%d]", i), "invalid permission %q for %s (want one of %s)", perm, r.Type, strings.Join(perms, ", "))
		}
	})
}

func (v *validator) rule(src Source, sub string, r *Rule) {
	rs := v.sub(src, sub)
	if r.Connection <= 0 {
		if v.present(rs, rs.Path+".connection") {
			v.at(rs, ".connection", "a data connection id must be positive")
		} else {
			v.missing(rs, "connection", " (the data connection id)")
		}
	}
	v.enum(rs, ".type", "rule type", r.Type, RuleTypes)
	v.enum(rs, ".mode", "mode", r.Mode, RuleModes)
	v.enum(rs, ".rule", "rule", r.Rule, RuleJoins)
	if r.Details == nil {
		v.missing(rs, "details", "")
	} else if len(r.Details) == 0 {
		v.at(rs, ".details", "list at least one detail")
	}
	typ := r.Type
	if typ == "" {
		typ = "row"
	}
	for i := range r.Details {
		v.detail(rs, fmt.Sprintf(".details[%d]", i), typ, r.Mode, &r.Details[i])
	}
}

func (v *validator) detail(src Source, sub, ruleType, mode string, dt *Detail) {
	ds := v.sub(src, sub)
	v.enum(ds, ".filterType", "filterType", dt.FilterType, FilterTypes)
	v.enum(ds, ".selectType", "selectType", dt.SelectType, SelectTypes)
	switch ruleType {
	case "row":
		if dt.Type != "" && dt.Type != "row" {
			v.at(ds, ".type", "invalid detail type %q in a row rule (want row or leave it out)", dt.Type)
		}
		if dt.FilterType == "" {
			v.missing(ds, "filterType", " (listFilter or treeFilter)")
		}
		if dt.Filter == nil {
			v.missing(ds, "filter", "")
			break
		}
		f := dt.Filter
		switch dt.FilterType {
		case "listFilter":
			if f.Dim == nil {
				v.at(ds, ".filter", "missing required field %q (the column filtered on)", "dim")
			}
			if mode == "dynamic" {
				if f.AttrID <= 0 {
					v.at(ds, ".filter", "missing required field %q (a dynamic rule filters on a user attribute)", "attrId")
				}
			} else if f.Select == nil {
				v.at(ds, ".filter", "missing required field %q (the values kept or excluded)", "select")
			}
		case "treeFilter":
			if (f.Or == nil) == (f.And == nil) {
				v.at(ds, ".filter", "a treeFilter needs exactly one of \"or\" and \"and\"")
			}
		}
		if f.Dim != nil {
			v.field(ds, ".filter.dim", f.Dim)
		}
		for _, tc := range []struct {
			name  string
			conds []TreeCond
		}{{"or", f.Or}, {"and", f.And}} {
			for i := range tc.conds {
				c := &tc.conds[i]
				csub := fmt.Sprintf(".filter.%s[%d]", tc.name, i)
				if len(c.Dims) == 0 {
					v.at(ds, csub, "a condition needs at least one dimension in dims")
				}
				for j := range c.Dims {
					v.field(ds, fmt.Sprintf("%s.dims[%d]", csub, j), &c.Dims[j])
				}
				if c.Cond.InList == nil && c.Cond.ExcludeList == nil {
					v.at(ds, csub, "a condition needs cond.inlist or cond.excludelist")
				}
			}
		}
	case "column":
		if dt.Type == "" {
			v.missing(ds, "type", " (dataLevel or presentationLevel)")
		} else {
			v.enum(ds, ".type", "column rule type", dt.Type, ColumnTypes)
		}
		if dt.TableName == "" {
			v.missing(ds, "tableName", "")
		}
		if len(dt.DataMasks) == 0 {
			v.missing(ds, "dataMasks", " (the columns hidden or masked)")
		}
		for i := range dt.DataMasks {
			m := &dt.DataMasks[i]
			msub := fmt.Sprintf(".dataMasks[%d]", i)
			v.field(ds, msub, &Field{Field: m.Field, DataType: m.DataType})
			for j, a := range m.ApplyRange {
				v.enum(ds, fmt.Sprintf("%s.applyRange[%d]", msub, j), "applyRange", a, ApplyRanges)
			}
		}
	case "table":
		if dt.SelectType == "" {
			v.missing(ds, "selectType", " (select or unselect)")
		}
		if dt.Select == nil {
			v.missing(ds, "select", " (the table names)")
		}
	}
}

func (v *validator) field(src Source, sub string, f *Field) {
	fs := v.sub(src, sub)
	v.required(fs, "field", f.Field)
	if f.DataType == "" {
		v.required(fs, "dataType", f.DataType)
	} else {
		v.enum(fs, ".dataType", "dataType", f.DataType, DataTypes)
	}
}
