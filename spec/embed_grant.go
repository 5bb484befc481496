package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/sets"
)

// What the files give one viewer's embed credential: the pure half of
// minting, shared by validation (a profile whose viewer is a user is
// checked when the files load) and by the embed package (a viewer given
// by a variable is checked when the credential is made).

// serverZone is the time zone of the files' expiry dates (UTC+08:00).
var serverZone = time.FixedZone("UTC+08:00", 8*3600)

// EmbedRefusal is why the files give no credential to a viewer. It never
// holds a credential.
type EmbedRefusal struct {
	Profile string
	Viewer  string
	// Field is the profile's field the refusal is about (viewer,
	// permissions, filters, connections, datasets).
	Field string
	Msg   string
	// UnknownViewer: the viewer is not a user the files declare.
	UnknownViewer bool
}

func (e *EmbedRefusal) Error() string {
	if e.Viewer == "" {
		return fmt.Sprintf("embed profile %q: %s", e.Profile, e.Msg)
	}
	return fmt.Sprintf("embed profile %q, viewer %q: %s", e.Profile, e.Viewer, e.Msg)
}

// EmbedGrant is what a Youdata token carries for one viewer: the rules of
// the viewer's data permissions (or of the profile's filters), dynamic
// rules resolved to the viewer's attribute values.
type EmbedGrant struct {
	Profile     string
	Viewer      string
	Permissions string
	// Rules are the rules, in the order of the files.
	Rules []GrantedRule
	// Ends is the earliest end of the bindings the rules come from
	// (expires:); zero when none ends. A credential must not outlive it.
	Ends time.Time
}

// GrantedRule is one rule a credential carries.
type GrantedRule struct {
	// From says where the rule comes from: `data permission "华北" (bound
	// to the user)`, or `filters[0]`.
	From string
	Src  Source
	// Rule is the rule, with its connection, type and join; a dynamic
	// rule's details hold the viewer's values in select, and its mode is
	// fixed.
	Rule Rule
	// Ends is when the binding it comes from ends; zero: never.
	Ends time.Time
}

// ruleType is a rule's type, row when absent.
func ruleType(r *Rule) string {
	if r.Type == "" {
		return "row"
	}
	return r.Type
}

// YoudataEmbedGrant is what the files give viewer's token under profile
// e. now is the time the token is made: bindings that ended by then do
// not count; a zero now counts every binding (validation). The error is
// an *EmbedRefusal.
func (d *Desired) YoudataEmbedGrant(e *Embed, viewer string, now time.Time) (*EmbedGrant, error) {
	refuse := func(field, format string, args ...any) error {
		return &EmbedRefusal{Profile: e.Name, Viewer: viewer, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	var u *User
	for i := range d.Users {
		if d.Users[i].UniqueID == viewer {
			u = &d.Users[i]
			break
		}
	}
	if u == nil {
		return nil, &EmbedRefusal{Profile: e.Name, Viewer: viewer, Field: "viewer", UnknownViewer: true,
			Msg: "not a user the files declare under users:"}
	}
	if u.Left != nil && *u.Left {
		return nil, refuse("viewer", "the user has left (%s): no credential is made for a leaver", u.Src.String()+".left")
	}
	p := d.projectByName(e.Project)
	if p == nil {
		return nil, refuse("project", "project %q is not in the files", e.Project)
	}
	g := &EmbedGrant{Profile: e.Name, Viewer: viewer, Permissions: e.PermissionsOrDefault()}
	inScope := func(conn int64) bool { return youdataInScope(e, conn) }
	rowConns := youdataRowConns(p, e)
	scope := fmt.Sprintf("project %q", p.Name)
	if e.Connections != nil {
		scope += fmt.Sprintf(" (connections %s)", joinInts(e.Connections))
	}

	switch g.Permissions {
	case EmbedNone:
		return g, nil
	case EmbedExplicit:
		for i := range e.Filters {
			r := e.Filters[i]
			if err := resolveDynamic(&r, u, fmt.Sprintf("filters[%d]", i)); err != nil {
				return nil, refuse("filters", "%s", err)
			}
			g.Rules = append(g.Rules, GrantedRule{From: fmt.Sprintf("filters[%d]", i), Src: e.Src, Rule: r})
		}
		if conn, dp := g.firstUnfiltered(rowConns); dp != nil {
			return nil, refuse("filters", "the filters leave the rows of data connection %d unfiltered, and data permission %q (%s) restricts them in %s: add a row filter on connection %d, list the connections the report reads under connections:, or say permissions: none",
				conn, dp.Name, dp.Src.File+":"+strconv.Itoa(dp.Src.Line), scope, conn)
		}
		return g, nil
	}

	// declared: the data permissions the viewer holds, directly, through
	// a group of the project or through a department.
	userOrgs := map[string]bool{}
	for _, o := range u.Orgs {
		userOrgs[o.Code] = true
	}
	groups := map[string]*Group{}
	for i := range p.Groups {
		groups[p.Groups[i].Name] = &p.Groups[i]
	}
	for i := range p.DataPermissions {
		dp := &p.DataPermissions[i]
		relevant := false
		for j := range dp.Rules {
			relevant = relevant || inScope(dp.Rules[j].Connection)
		}
		if dp.Rules != nil && !relevant {
			continue
		}
		via, ends, err := holds(dp, u, groups, userOrgs)
		if err != nil {
			return nil, refuse("viewer", "%s", err)
		}
		if via == "" {
			continue
		}
		if !now.IsZero() && !ends.IsZero() && !ends.After(now) {
			continue // the binding has ended
		}
		if dp.Rules == nil {
			return nil, refuse("permissions", "the user holds data permission %q (%s), whose rules the files do not list (rules: absent): permsync cannot know what it filters; list its rules",
				dp.Name, dp.Src.File+":"+strconv.Itoa(dp.Src.Line))
		}
		from := fmt.Sprintf("data permission %q (%s)", dp.Name, via)
		for j := range dp.Rules {
			r := dp.Rules[j]
			if !inScope(r.Connection) {
				continue
			}
			if err := resolveDynamic(&r, u, fmt.Sprintf("%s rules[%d]", from, j)); err != nil {
				return nil, refuse("viewer", "%s", err)
			}
			g.Rules = append(g.Rules, GrantedRule{From: from, Src: dp.Src, Rule: r, Ends: ends})
			if !ends.IsZero() && (g.Ends.IsZero() || ends.Before(g.Ends)) {
				g.Ends = ends
			}
		}
	}
	if len(g.Rules) == 0 {
		if len(rowConns) == 0 {
			return nil, refuse("permissions", "the files declare no data permission in %s, so the user has none: say permissions: none to embed the report unfiltered", scope)
		}
		return nil, refuse("permissions", "the user holds no data permission in %s (directly, through a group or a department): say permissions: none to embed the report unfiltered", scope)
	}
	if conn, dp := g.firstUnfiltered(rowConns); dp != nil {
		return nil, refuse("permissions", "the user holds no row permission on data connection %d, whose rows data permission %q (%s) restricts in %s: the token would show them unfiltered; list the connections the report reads under connections:, or say permissions: none",
			conn, dp.Name, dp.Src.File+":"+strconv.Itoa(dp.Src.Line), scope)
	}
	return g, nil
}

// projectByName returns the project with that name, or nil.
func (d *Desired) projectByName(name string) *Project {
	for i := range d.Projects {
		if d.Projects[i].Name == name {
			return &d.Projects[i]
		}
	}
	return nil
}

// youdataInScope reports whether the profile's report reads connection
// conn: every connection when the profile lists none.
func youdataInScope(e *Embed, conn int64) bool {
	return e.Connections == nil || slices.Contains(e.Connections, conn)
}

// youdataRowConns are the connections of the profile's scope whose rows a
// data permission of the project restricts, each with the first such
// permission.
func youdataRowConns(p *Project, e *Embed) map[int64]*DataPermission {
	rowConns := map[int64]*DataPermission{}
	for i := range p.DataPermissions {
		dp := &p.DataPermissions[i]
		for j := range dp.Rules {
			r := &dp.Rules[j]
			if ruleType(r) == "row" && youdataInScope(e, r.Connection) && rowConns[r.Connection] == nil {
				rowConns[r.Connection] = dp
			}
		}
	}
	return rowConns
}

// firstUnfiltered is the first connection (by id) of rowConns on which
// the grant holds no row rule, with the permission that restricts it; a
// nil permission when there is none.
func (g *EmbedGrant) firstUnfiltered(rowConns map[int64]*DataPermission) (int64, *DataPermission) {
	for _, conn := range sets.SortedKeys(rowConns) {
		if !g.rowOn(conn) {
			return conn, rowConns[conn]
		}
	}
	return 0, nil
}

// rowOn reports whether the grant holds a row rule on conn.
func (g *EmbedGrant) rowOn(conn int64) bool {
	for _, r := range g.Rules {
		if r.Rule.Connection == conn && ruleType(&r.Rule) == "row" {
			return true
		}
	}
	return false
}

// holds says how u holds dp ("bound to the user", `through group "g"`,
// `through department "D"`; "" when not) and when that binding ends (the
// latest end of the bindings that hold it; zero: never). It fails when
// the files do not say: a group bound to dp whose members are not
// listed, or departments bound to dp while the user's are not listed.
func holds(dp *DataPermission, u *User, groups map[string]*Group, userOrgs map[string]bool) (string, time.Time, error) {
	var vias []string
	var ends []time.Time
	add := func(via, key string) {
		vias = append(vias, via)
		ends = append(ends, bindingEnd(dp.Expires, key))
	}
	if slices.Contains(dp.Users, u.UniqueID) {
		add("bound to the user", u.UniqueID)
	}
	for _, gn := range dp.Groups {
		grp := groups[gn]
		if grp == nil {
			continue
		}
		if grp.Members == nil {
			return "", time.Time{}, fmt.Errorf("data permission %q is bound to group %q, whose members the files do not list (%s): permsync cannot tell whether the user holds it; list the group's members",
				dp.Name, gn, grp.Src.File+":"+strconv.Itoa(grp.Src.Line))
		}
		if slices.Contains(grp.Members, u.UniqueID) {
			add(fmt.Sprintf("through group %q", gn), gn)
		}
	}
	if len(dp.Orgs) > 0 && u.Orgs == nil {
		return "", time.Time{}, fmt.Errorf("data permission %q is bound to departments (%s), and the files do not list the user's departments (%s: orgs absent): permsync cannot tell whether the user holds it; list the user's orgs",
			dp.Name, strings.Join(dp.Orgs, ", "), u.Src.String())
	}
	for _, c := range dp.Orgs {
		if userOrgs[c] {
			add(fmt.Sprintf("through department %q", c), c)
		}
	}
	if len(vias) == 0 {
		return "", time.Time{}, nil
	}
	// The latest end wins: the permission is held while any binding is.
	var end time.Time
	for _, e := range ends {
		if e.IsZero() {
			end = time.Time{}
			break
		}
		if e.After(end) {
			end = e
		}
	}
	return strings.Join(vias, ", "), end, nil
}

// bindingEnd is when the binding of key ends; zero: never (or a date
// validation has refused).
func bindingEnd(expires map[string]string, key string) time.Time {
	s, ok := expires[key]
	if !ok {
		return time.Time{}
	}
	t, err := time.ParseInLocation(ExpiresLayout, s, serverZone)
	if err != nil {
		return time.Time{}
	}
	return t
}

// resolveDynamic turns the details of a dynamic rule into fixed ones
// holding the user's attribute values (a token carries values, not
// attributes). It refuses what would not filter: an attribute the user
// has no value for (the server restricts nothing then), an empty value
// list (the user sees no rows: there is nothing to embed), a dynamic tree
// filter.
func resolveDynamic(r *Rule, u *User, where string) error {
	if r.Mode != "dynamic" {
		return nil
	}
	details := make([]Detail, len(r.Details))
	for i, dt := range r.Details {
		details[i] = dt
		if dt.FilterType != "listFilter" || dt.Filter == nil {
			return fmt.Errorf("%s is a dynamic %s: permsync resolves dynamic list filters only (attrId), and a token carries values", where, dt.FilterType)
		}
		key := strconv.FormatInt(dt.Filter.AttrID, 10)
		vals, ok := u.Attrs[key]
		switch {
		case !ok:
			hint := ""
			if len(u.Attrs) > 0 {
				hint = " (permsync matches a dynamic rule's attrId to the attribute written by its id: attrs: {\"" + key + "\": [...]})"
			}
			return fmt.Errorf("%s filters on user attribute %s, and the files give the user no value for it%s: the token would not restrict those rows; set users[].attrs[%q]", where, key, hint, key)
		case vals == nil:
			return fmt.Errorf("%s filters on user attribute %s, which the files clear for the user (null): the token would not restrict those rows", where, key)
		case len(*vals) == 0:
			return fmt.Errorf("%s filters on user attribute %s, which the files set to no values ([]): the user sees none of those rows, so there is nothing to embed", where, key)
		}
		f := *dt.Filter
		f.AttrID = 0
		f.Select = append([]string(nil), *vals...)
		details[i].Filter = &f
	}
	r.Details = details
	r.Mode = "fixed"
	return nil
}

func joinInts(xs []int64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, ", ")
}

// QuickBIEmbedGrant is what the files say of a Quick BI viewer's ticket:
// the rules of the report's datasets that apply to the viewer (the
// server applies them to the UserId the ticket is bound to), and the
// profile's GlobalParam filters.
type QuickBIEmbedGrant struct {
	Profile     string
	Viewer      string
	Permissions string
	// Rules are the row and column rules that apply to the viewer.
	Rules []QuickBIGrantedRule
	// Filters are the GlobalParam items: the profile's filters, on top of
	// the rules the server applies to the viewer.
	Filters []QuickBIFilter
}

// QuickBIGrantedRule is one rule the server applies to the viewer.
type QuickBIGrantedRule struct {
	Dataset string // the dataset's id or name, as the files write it
	Level   string // rowLevel or columnLevel
	Rule    string
	Via     string
	Src     Source
}

// quickBIScope is a dataset the profile's report reads, as the files
// declare it.
type quickBIScope struct {
	ws *QuickBIWorkspace
	ds *QuickBIDataset
}

func (s quickBIScope) label() string {
	if s.ds.ID != "" {
		return s.ds.ID
	}
	return s.ws.Name + "/" + s.ds.Name
}

// quickBIDatasets are the datasets of the profile's scope: those it
// lists, else those of its workspace, else every dataset of the files.
// It fails on a name that matches no dataset, or several.
func (q *QuickBI) quickBIDatasets(e *QuickBIEmbed) ([]quickBIScope, error) {
	var all []quickBIScope
	for i := range q.Workspaces {
		w := &q.Workspaces[i]
		if e.Workspace != "" && w.Name != e.Workspace {
			continue
		}
		for j := range w.Datasets {
			all = append(all, quickBIScope{ws: w, ds: &w.Datasets[j]})
		}
	}
	if e.Datasets == nil {
		return all, nil
	}
	var out []quickBIScope
	for _, ref := range e.Datasets {
		var hits []quickBIScope
		for _, s := range all {
			if s.ds.ID == ref || s.ds.Name == ref {
				hits = append(hits, s)
			}
		}
		switch len(hits) {
		case 0:
			where := "the files"
			if e.Workspace != "" {
				where = fmt.Sprintf("workspace %q", e.Workspace)
			}
			return nil, fmt.Errorf("dataset %q is not among the datasets of %s (by id or name)", ref, where)
		case 1:
			out = append(out, hits[0])
		default:
			return nil, fmt.Errorf("dataset %q names %d datasets (in workspaces %q and %q): give its id, or the profile's workspace", ref, len(hits), hits[0].ws.Name, hits[1].ws.Name)
		}
	}
	return out, nil
}

// restrictsRows reports whether the files give a dataset row rules that
// are (or may be) on: rules, or enabled: true, and not enabled: false.
func restrictsRows(l *QuickBIDataLevel) bool {
	if l == nil || (l.Enabled != nil && !*l.Enabled) {
		return false
	}
	return len(l.Rules) > 0 || (l.Enabled != nil && *l.Enabled)
}

// QuickBIEmbedGrant is what the files say of viewer's ticket under
// profile e. The error is an *EmbedRefusal.
func (d *Desired) QuickBIEmbedGrant(e *QuickBIEmbed, viewer string) (*QuickBIEmbedGrant, error) {
	refuse := func(field, format string, args ...any) error {
		return &EmbedRefusal{Profile: e.Name, Viewer: viewer, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	q := d.QuickBI
	if q == nil {
		return nil, refuse("", "the files hold no Quick BI organization")
	}
	var u *QuickBIUser
	for i := range q.Users {
		if q.Users[i].Account == viewer {
			u = &q.Users[i]
			break
		}
	}
	if u == nil {
		return nil, &EmbedRefusal{Profile: e.Name, Viewer: viewer, Field: "viewer", UnknownViewer: true,
			Msg: "not an account the files declare under users:"}
	}
	if u.Inactive != nil && *u.Inactive {
		return nil, refuse("viewer", "the account is inactive (%s.inactive): no ticket is made for it", u.Src.String())
	}
	g := &QuickBIEmbedGrant{Profile: e.Name, Viewer: viewer, Permissions: e.PermissionsOrDefault(), Filters: e.Filters}
	scope, err := q.quickBIDatasets(e)
	if err != nil {
		return nil, refuse("datasets", "%s", err)
	}
	switch g.Permissions {
	case EmbedNone:
		return g, nil
	case EmbedExplicit:
		return g, nil
	}
	groups := map[string]*QuickBIGroup{}
	for i := range q.Groups {
		groups[q.Groups[i].ID] = &q.Groups[i]
	}
	// inGroup reports whether the viewer is a direct member of group id;
	// it fails when the files do not list the group's members.
	inGroup := func(id, what string) (bool, error) {
		grp := groups[id]
		if grp == nil {
			return false, fmt.Errorf("%s names group %q, which the files do not declare: permsync cannot tell whether the account is in it", what, id)
		}
		if grp.Members == nil {
			return false, fmt.Errorf("%s names group %q, whose members the files do not list (%s): permsync cannot tell whether the account is in it", what, id, grp.Src.File+":"+strconv.Itoa(grp.Src.Line))
		}
		return slices.Contains(grp.Members, viewer), nil
	}
	for _, s := range scope {
		for _, l := range []struct {
			name  string
			level *QuickBIDataLevel
		}{{"rowLevel", s.ds.RowLevel}, {"columnLevel", s.ds.ColumnLevel}} {
			if l.level == nil || (l.level.Enabled != nil && !*l.level.Enabled) {
				continue
			}
			if wl := l.level.Whitelist; wl != nil && l.name == "rowLevel" {
				white := slices.Contains(wl.Users, viewer)
				for _, gid := range wl.Groups {
					in, err := inGroup(gid, fmt.Sprintf("the row whitelist of dataset %q", s.label()))
					if err != nil {
						return nil, refuse("viewer", "%s", err)
					}
					white = white || in
				}
				if white {
					return nil, refuse("permissions", "the account is on the row whitelist of dataset %q (%s): the ticket would show every row; say permissions: none to embed the report so", s.label(), l.level.Src.String())
				}
			}
			for i := range l.level.Rules {
				r := &l.level.Rules[i]
				var vias []string
				if r.All {
					vias = append(vias, "everyone")
				}
				if slices.Contains(r.Users, viewer) {
					vias = append(vias, "the account")
				}
				for _, gid := range r.Groups {
					in, err := inGroup(gid, fmt.Sprintf("rule %q of dataset %q", r.Name, s.label()))
					if err != nil {
						return nil, refuse("viewer", "%s", err)
					}
					if in {
						vias = append(vias, fmt.Sprintf("group %q", gid))
					}
				}
				if len(vias) > 0 {
					g.Rules = append(g.Rules, QuickBIGrantedRule{Dataset: s.label(), Level: l.name, Rule: r.Name, Via: strings.Join(vias, ", "), Src: r.Src})
				}
			}
		}
	}
	where := "the datasets of the files"
	switch {
	case e.Datasets != nil:
		where = "the profile's datasets"
	case e.Workspace != "":
		where = fmt.Sprintf("the datasets of workspace %q", e.Workspace)
	}
	if len(g.Rules) == 0 {
		return nil, refuse("permissions", "no row or column rule of %s applies to the account (by account, direct group or all: true): say permissions: none to embed the report without declared permissions", where)
	}
	for _, s := range scope {
		l := s.ds.RowLevel
		if !restrictsRows(l) || l.MissHit == "none" {
			continue
		}
		covered := false
		for _, r := range g.Rules {
			covered = covered || (r.Dataset == s.label() && r.Level == "rowLevel")
		}
		if !covered {
			return nil, refuse("permissions", "no row rule of dataset %q (%s) applies to the account, and its missHit is not none: the ticket would show its rows unfiltered; list the datasets the report reads under datasets:, or say permissions: none", s.label(), l.Src.String())
		}
	}
	return g, nil
}
