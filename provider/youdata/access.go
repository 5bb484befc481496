package youdata

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
)

// Access is Youdata's access.Adapter: who can see what, from the files and
// from what the server shows.
//
// A role or a data permission reaches the users it binds directly, the
// members of the groups it binds, and the users whose orgs: list the
// departments it binds (the members of that very department: the
// reference does not say that sub-departments inherit). A role's
// resources reach whoever holds the role; a data permission's rules
// likewise, with the row values of its details, or for a dynamic rule
// those of the user's attribute.
//
// The server shows projects' members and their system roles, groups'
// members, the users bound directly to roles and data permissions (with
// their expiries) and, through the users that hold them, the rules of data
// permissions. It does not show which groups and departments hold a role,
// who belongs to a department, users' attribute values, roles' resources
// or resources' direct members: grants through these carry Unshown.
type Access struct{}

var _ access.Adapter = Access{}

// What the server does not show, as Grant.Unshown ("not shown by the
// server: …").
const (
	unshownGroupBinding = "a role's groups"
	unshownDepartment   = "a role's departments and their members"
	unshownAttribute    = "users' attribute values"
	unshownResources    = "a role's resources"
	unshownDirectMember = "a resource's direct members"
)

const accessZone = "+08:00"

func newAccessReport(src access.Source) *access.Report {
	r := access.New(Name, src)
	r.Zone, r.SpaceLabel = accessZone, "project"
	return r
}

// FromFiles is the access the files grant.
func (Access) FromFiles(d *spec.Desired) (*access.Report, error) {
	if d == nil {
		return nil, fmt.Errorf("access from the files: no desired state")
	}
	if d.QuickBI != nil {
		return nil, fmt.Errorf("access from the files: the files are Quick BI's, not Youdata's")
	}
	r := newAccessReport(access.SourceFiles)
	b := &filesAccess{r: r, inDept: map[string][]string{}, attrs: map[string]map[string]*[]string{}}
	if d.Orgs != nil {
		for _, dep := range d.Orgs.Departments {
			r.Departments = append(r.Departments, access.Department{Code: dep.Code, Name: dep.Name, Parent: dep.Parent})
		}
	}
	for _, u := range d.Users {
		au := access.User{ID: u.UniqueID, Name: deref(u.Nick), Left: u.Left != nil && *u.Left}
		for _, o := range u.Orgs {
			au.Departments = append(au.Departments, o.Code)
			b.inDept[o.Code] = append(b.inDept[o.Code], u.UniqueID)
		}
		if u.Attrs != nil {
			b.attrs[u.UniqueID] = u.Attrs
		}
		r.Users = append(r.Users, au)
	}
	for code := range b.inDept {
		b.inDept[code] = sets.Uniq(b.inDept[code])
	}
	projects := append([]spec.Project(nil), d.Projects...)
	sort.SliceStable(projects, func(i, j int) bool { return projects[i].Name < projects[j].Name })
	for _, pr := range projects {
		b.project(pr)
	}
	if b.orgBindings {
		r.Notes = append(r.Notes, "A department bound to a role or a data permission is counted as reaching the users whose orgs: list that department; whether its sub-departments inherit the binding is not documented, so their users are not counted.")
	}
	r.Finish()
	return r, nil
}

// filesAccess builds the files' report.
type filesAccess struct {
	r           *access.Report
	inDept      map[string][]string             // department code → users, sorted
	attrs       map[string]map[string]*[]string // user → attribute name or id → values
	orgBindings bool
}

// reach is one way a role or a data permission reaches a user: its
// path, and why the server cannot show it ("" when it can).
type reach struct {
	user    string
	path    []access.Step
	unshown string
}

func (b *filesAccess) add(g access.Grant) { b.r.Grants = append(b.r.Grants, g) }

func (b *filesAccess) project(pr spec.Project) {
	space := pr.Name
	for _, m := range pr.Members {
		var rights []string
		if m.SystemRoles != nil {
			rights = sets.Uniq(append([]string{}, m.SystemRoles...))
		}
		b.add(access.Grant{User: m.User, Space: space, Kind: access.KindMember, Target: space, Rights: rights, Path: direct("")})
	}
	groups := map[string][]string{}
	for _, g := range pr.Groups {
		if g.Members == nil {
			continue
		}
		groups[g.Name] = sets.Uniq(append([]string{}, g.Members...))
		for _, u := range groups[g.Name] {
			b.add(access.Grant{User: u, Space: space, Kind: access.KindGroup, Target: g.Name, Path: direct("")})
		}
	}
	for _, ro := range pr.Roles {
		target := roleTarget(ro.Folder, ro.Name)
		for _, rc := range b.reaches(ro.Bindings, groups) {
			b.add(access.Grant{User: rc.user, Space: space, Kind: access.KindRole, Target: target, Path: rc.path, Unshown: rc.unshown})
			for _, res := range ro.Resources {
				b.add(access.Grant{User: rc.user, Space: space, Kind: access.KindResource, Target: resourceTarget(res),
					Rights: sets.Uniq(append([]string{}, res.Permissions...)), Path: through(rc.path, access.StepRole, target),
					Unshown: unshownResources})
			}
		}
	}
	for _, dp := range pr.DataPermissions {
		target := roleTarget(dp.Folder, dp.Name)
		rules := normRules(dp.Rules)
		for _, rc := range b.reaches(dp.Bindings, groups) {
			b.add(access.Grant{User: rc.user, Space: space, Kind: access.KindDataPermission, Target: target, Path: rc.path, Unshown: rc.unshown})
			path := through(rc.path, access.StepDataPermission, target)
			for _, rule := range rules {
				for _, g := range ruleGrants(rule, path) {
					g.User, g.Space, g.Unshown = rc.user, space, rc.unshown
					if g.Rule.Attribute != "" {
						b.attributeValues(rc.user, g.Rule)
						if g.Unshown == "" {
							g.Unshown = unshownAttribute
						}
					}
					b.add(g)
				}
			}
		}
	}
	for _, rm := range pr.ResourceMembers {
		target := rm.Type + " #" + strconv.FormatInt(rm.ID, 10)
		for _, m := range rm.Members {
			b.add(access.Grant{User: m.User, Space: space, Kind: access.KindResource, Target: target,
				Rights: sets.Uniq(append([]string{}, m.Permissions...)), Path: direct(""), Unshown: unshownDirectMember})
		}
	}
}

// reaches lists whom a role's or a data permission's bindings reach, and
// by which path.
func (b *filesAccess) reaches(bd spec.Bindings, groups map[string][]string) []reach {
	var out []reach
	for _, u := range sets.Uniq(append([]string{}, bd.Users...)) {
		out = append(out, reach{user: u, path: direct(expiry(bd.Expires, u))})
	}
	for _, g := range sets.Uniq(append([]string{}, bd.Groups...)) {
		for _, u := range groups[g] {
			out = append(out, reach{user: u, path: []access.Step{{Kind: access.StepGroup, Name: g, Expires: expiry(bd.Expires, g)}}, unshown: unshownGroupBinding})
		}
	}
	for _, code := range sets.Uniq(append([]string{}, bd.Orgs...)) {
		b.orgBindings = true
		for _, u := range b.inDept[code] {
			out = append(out, reach{user: u, path: []access.Step{{Kind: access.StepDepartment, Name: code, Expires: expiry(bd.Expires, code)}}, unshown: unshownDepartment})
		}
	}
	return out
}

// attributeValues fills in a dynamic rule's values from the user's
// attribute as the files set it: by id (the rule names the attribute by
// id). An attribute set to null does not restrict the user; one the files
// do not set by id is not known.
func (b *filesAccess) attributeValues(user string, r *access.Rule) {
	vals, ok := b.attrs[user][r.Attribute]
	switch {
	case !ok:
		r.Unknown = true
	case vals == nil:
		r.Unlimited = true
	default:
		r.Values = sets.Uniq(append([]string{}, *vals...))
	}
}

func expiry(expires map[string]string, key string) string {
	if t, ok := expires[key]; ok && t != "" {
		return NormalizeTime(t)
	}
	return ""
}

func direct(expires string) []access.Step {
	return []access.Step{{Kind: access.StepDirect, Expires: expires}}
}

// through is the path of what a role or a data permission grants: the
// path that reaches it, then the role itself. A direct binding's expiry
// moves onto the role's link.
func through(path []access.Step, kind access.StepKind, name string) []access.Step {
	if len(path) == 1 && path[0].Kind == access.StepDirect {
		return []access.Step{{Kind: kind, Name: name, Expires: path[0].Expires}}
	}
	out := make([]access.Step, 0, len(path)+1)
	out = append(out, path...)
	return append(out, access.Step{Kind: kind, Name: name})
}

// roleTarget names a role or a data permission: "folder/name", or the
// name at the root.
func roleTarget(folder, name string) string {
	if folder == "" {
		return name
	}
	return folder + "/" + name
}

// resourceTarget names a role's resource: "TYPE path" or "TYPE #id", a
// folder with a trailing "/".
func resourceTarget(r spec.Resource) string {
	var what string
	if len(r.Path) > 0 {
		what = strings.Join(r.Path, "/")
	} else {
		what = "#" + strconv.FormatInt(r.ID, 10)
	}
	if r.Folder {
		what += "/"
	}
	return r.Type + " " + what
}

// ruleGrants are the grants of one rule of a data permission, one per
// detail (one per column of a column rule), reached by path; a dynamic
// detail's path ends at its attribute. User, Space and values of dynamic
// rules are the caller's to fill in.
func ruleGrants(rule spec.Rule, path []access.Step) []access.Grant {
	conn := strconv.FormatInt(rule.Connection, 10)
	var out []access.Grant
	for _, d := range rule.Details {
		table := d.TableName
		if d.Database != "" && table != "" {
			table = d.Database + "." + table
		}
		target := "connection " + conn
		if table != "" {
			target = table + " (connection " + conn + ")"
		}
		base := access.Rule{Type: rule.Type, Connection: conn, Table: table}
		switch rule.Type {
		case "column":
			effect := "hide"
			if d.Type == "presentationLevel" {
				effect = "mask"
			}
			for _, m := range d.DataMasks {
				r := base
				r.Fields, r.Effect, r.Apply = []string{m.Field}, effect, sortedCopy(m.ApplyRange)
				out = append(out, access.Grant{Kind: access.KindRule, Target: target, Path: path, Rule: &r})
			}
			continue
		case "table":
			r := base
			r.Effect, r.Values = "only", sortedCopy(d.Select)
			if d.SelectType == "unselect" {
				r.Effect = "hide"
			}
			out = append(out, access.Grant{Kind: access.KindRule, Target: target, Path: path, Rule: &r})
			continue
		}
		r := base
		r.Effect = "keep"
		if d.SelectType == "unselect" {
			r.Effect = "exclude"
		}
		p := path
		if f := d.Filter; f != nil {
			switch {
			case f.Dim != nil:
				r.Fields = []string{f.Dim.Field}
				if rule.Mode == "dynamic" {
					r.Attribute = strconv.FormatInt(f.AttrID, 10)
					p = append(append([]access.Step{}, path...), access.Step{Kind: access.StepAttribute, Name: r.Attribute})
				} else {
					r.Values = sortedCopy(f.Select)
				}
			default:
				conds, combine := f.Or, "or"
				if f.And != nil {
					conds, combine = f.And, "and"
				}
				r.Combine = combine
				var fields []string
				for _, c := range conds {
					for _, dim := range c.Dims {
						fields = append(fields, dim.Field)
					}
					for _, v := range c.Cond.InList {
						r.Values = append(r.Values, strings.Join(v, "/"))
					}
					for _, v := range c.Cond.ExcludeList {
						r.Values = append(r.Values, "not "+strings.Join(v, "/"))
					}
				}
				r.Fields = uniqInOrder(fields)
			}
		}
		out = append(out, access.Grant{Kind: access.KindRule, Target: target, Path: p, Rule: &r})
	}
	return out
}

func uniqInOrder(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// FromServer is the access the server shows: of the projects the files
// name (the others are not read in full), each member's system roles,
// groups, roles and data permissions bound directly, and the rules of the
// data permissions.
func (Access) FromServer(d *spec.Desired, live provider.Live) (*access.Report, error) {
	l, ok := live.(*Live)
	if !ok || l == nil {
		return nil, fmt.Errorf("access from the server: a live model of type %T is not Youdata's", live)
	}
	r := newAccessReport(access.SourceServer)
	r.Notes = []string{
		"The server does not show: which groups and departments hold a role or a data permission, who belongs to a department, users' attribute values, roles' resources, resources' direct members. Grants through these are marked as not shown by the server.",
	}
	if d != nil && d.Orgs != nil {
		for _, dep := range d.Orgs.Departments {
			r.Departments = append(r.Departments, access.Department{Code: dep.Code, Name: dep.Name, Parent: dep.Parent})
		}
	}
	for _, id := range sets.SortedKeys(l.Users) {
		u := l.Users[id]
		r.Users = append(r.Users, access.User{ID: id, Name: deref(u.Nick)})
	}
	names := map[int64]string{}
	for name, id := range builtinSystemRoleIDs {
		names[id] = name
	}
	for name, sr := range l.SystemRoles {
		names[sr.ID] = name
	}
	for _, pname := range sets.SortedKeys(l.Projects) {
		lp := l.Projects[pname]
		if lp == nil || !lp.Read {
			continue
		}
		space := lp.Name
		for _, uid := range sets.SortedKeys(lp.Members) {
			m := lp.Members[uid]
			rights := []string{}
			for _, id := range m.SystemRoleIDs {
				if n, ok := names[id]; ok {
					rights = append(rights, n)
				} else {
					rights = append(rights, "#"+strconv.FormatInt(id, 10))
				}
			}
			r.Grants = append(r.Grants, access.Grant{User: uid, Space: space, Kind: access.KindMember, Target: space, Rights: rights, Path: direct("")})
		}
		for _, gname := range sets.SortedKeys(lp.Groups) {
			for _, u := range lp.Groups[gname].Members {
				r.Grants = append(r.Grants, access.Grant{User: u, Space: space, Kind: access.KindGroup, Target: gname, Path: direct("")})
			}
		}
		for _, key := range sets.SortedKeys(lp.Roles) {
			lr := lp.Roles[key]
			target := roleTarget(lr.Folder, lr.Name)
			for _, u := range sets.SortedKeys(lr.Users) {
				r.Grants = append(r.Grants, access.Grant{User: u, Space: space, Kind: access.KindRole, Target: target, Path: direct(liveExpiry(lr.Users[u]))})
			}
		}
		for _, key := range sets.SortedKeys(lp.DataPermissions) {
			lr := lp.DataPermissions[key]
			target := roleTarget(lr.Folder, lr.Name)
			var rules []spec.Rule
			if lr.RulesKnown {
				decoded, err := decodeLiveRules(lr.Rules)
				if err != nil {
					return nil, fmt.Errorf("access from the server: data permission %s/%s: %w", space, target, err)
				}
				rules = normRules(decoded)
			}
			for _, u := range sets.SortedKeys(lr.Users) {
				exp := liveExpiry(lr.Users[u])
				r.Grants = append(r.Grants, access.Grant{User: u, Space: space, Kind: access.KindDataPermission, Target: target, Path: direct(exp)})
				path := through(direct(exp), access.StepDataPermission, target)
				for _, rule := range rules {
					for _, g := range ruleGrants(rule, path) {
						g.User, g.Space = u, space
						if g.Rule.Attribute != "" {
							g.Rule.Unknown = true
						}
						r.Grants = append(r.Grants, g)
					}
				}
			}
		}
	}
	r.Finish()
	return r, nil
}

func liveExpiry(t *string) string {
	if t == nil || *t == "" {
		return ""
	}
	return NormalizeTime(*t)
}
