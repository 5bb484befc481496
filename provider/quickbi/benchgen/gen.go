// Package benchgen generates the company of the Quick BI scale benchmark
// (permsync-bench --provider quickbi, and this package's benchmarks): a
// seeded, deterministic organization of members with tag values, a
// user-group tree with members, workspaces with members and roles, and
// datasets with row and column rules; the "skeleton" that seeds the
// simulator before the first apply (the admin, the workspaces and their
// datasets: what the API cannot create), and an "after" that differs from
// a company by a given share.
//
// The lower bounds of the calls are provider/quickbi's ReadBound and
// WriteBound.
package benchgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/permsync/permsync/internal/sets"
)

// Shape is the size of a company.
type Shape struct {
	Name  string
	Users int
	// Groups is the size of the user-group tree (ten children a group).
	Groups     int
	Workspaces int
	// Members per workspace, besides the admin.
	Members int
	// Datasets per workspace, and row rules per dataset; the first
	// dataset of a workspace also has ColumnRules column rules.
	Datasets    int
	Rules       int
	ColumnRules int
}

// Shapes are the sizes of the benchmark: S, M and L scale the members and
// the workspace members as Youdata's do (1,000, 10,000 and 50,000 users);
// the structure (groups, workspaces, datasets, rules) is the same.
var Shapes = []Shape{
	{Name: "S", Users: 1000, Groups: 800, Workspaces: 20, Members: 50, Datasets: 5, Rules: 10, ColumnRules: 2},
	{Name: "M", Users: 10000, Groups: 800, Workspaces: 20, Members: 500, Datasets: 5, Rules: 10, ColumnRules: 2},
	{Name: "L", Users: 50000, Groups: 800, Workspaces: 20, Members: 2500, Datasets: 5, Rules: 10, ColumnRules: 2},
}

// ShapeByName finds a shape of Shapes.
func ShapeByName(name string) (Shape, bool) {
	for _, s := range Shapes {
		if s.Name == name {
			return s, true
		}
	}
	return Shape{}, false
}

// Admin is the account of the organization's admin, the member behind the
// simulator's access key.
const Admin = "corp"

// Regions are the values of the region tag.
var Regions = []string{"华北", "华东", "华南", "华中", "西南", "西北", "东北"}

// Levels are the values of the level tag.
var Levels = []string{"P4", "P5", "P6", "P7", "P8", "P9"}

// Company is one side (before or after) of the benchmark.
type Company struct {
	Tags       []Tag
	Users      map[string]*User // by account
	Groups     map[string]*Group
	Workspaces []*Workspace
}

// Tag is a tag definition.
type Tag struct{ Name, Description string }

// User is an organization member.
type User struct {
	Account, Nick string
	// Type is developer, analyst or viewer.
	Type  string
	Roles []string
	// Tags are the member's values by tag name.
	Tags map[string][]string
}

// Group is a user group; Parent is "" at the top.
type Group struct {
	ID, Name, Parent, Description string
	Members                       map[string]bool
}

// Workspace is a workspace, its members and its datasets.
type Workspace struct {
	Name string
	// Members maps accounts to their one predefined workspace role.
	Members  map[string]string
	Datasets []*Dataset
}

// Dataset is a dataset and its two levels (Column may be nil).
type Dataset struct {
	Name        string
	Row, Column *Level
}

// Level is the row or column permission setup of a dataset.
type Level struct {
	Enabled     bool
	MissHit     string
	WhiteUsers  []string // sorted
	WhiteGroups []string // sorted
	Rules       map[string]*Rule
}

// Rule is a row or column rule.
type Rule struct {
	Name   string
	Users  []string // sorted
	Groups []string // sorted
	// Value is what the rule's content lets through: a region (row) or a
	// column's path id (column).
	Value string
}

func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

func share(n int, s float64) int { return int(math.Round(float64(n) * s)) }

// GroupID is the id of the i-th group of the tree.
func GroupID(i int) string { return fmt.Sprintf("d%04d", i) }

// interior is how many groups of the tree have children: the groups rules
// and whitelists name, which the change never deletes.
func interior(groups int) int { return max(1, (groups-1)/10+1) }

// typeRoles caps a workspace role by the member's type: a viewer is a
// viewer, an analyst no developer or admin (Quick BI refuses those).
func typeRole(userType, role string) string {
	switch {
	case userType == "viewer":
		return "viewer"
	case userType == "analyst" && (role == "admin" || role == "developer"):
		return "analyst"
	}
	return role
}

func drawRole(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 2:
		return "admin"
	case x < 10:
		return "developer"
	case x < 30:
		return "analyst"
	}
	return "viewer"
}

func drawType(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 5:
		return "developer"
	case x < 30:
		return "analyst"
	}
	return "viewer"
}

func drawTags(r *rand.Rand) map[string][]string {
	region := []string{Regions[r.IntN(len(Regions))]}
	if r.IntN(10) == 0 {
		if o := Regions[r.IntN(len(Regions))]; o != region[0] {
			region = append(region, o)
		}
	}
	sort.Strings(region)
	tags := map[string][]string{"region": region}
	if r.IntN(2) == 0 {
		tags["level"] = []string{Levels[r.IntN(len(Levels))]}
	}
	return tags
}

func pick(r *rand.Rand, list []string, n int) []string {
	out := map[string]bool{}
	for tries := 0; len(out) < n && len(list) > 0 && tries < 10*n; tries++ {
		out[list[r.IntN(len(list))]] = true
	}
	return sets.SortedKeys(out)
}

// Generate builds the "before" company of a shape.
func Generate(sh Shape, seed uint64) *Company {
	r := newRand(seed, 1)
	c := &Company{Users: map[string]*User{}, Groups: map[string]*Group{},
		Tags: []Tag{{"region", "区域"}, {"level", "职级"}, {"costCenter", "成本中心"}}}
	c.Users[Admin] = &User{Account: Admin, Nick: "BI管理员", Type: "developer", Roles: []string{"admin"}, Tags: map[string][]string{"region": {"华东"}}}
	for i := 0; i < sh.Groups; i++ {
		g := &Group{ID: GroupID(i), Name: fmt.Sprintf("部门%04d", i), Members: map[string]bool{}}
		if i > 0 {
			g.Parent = GroupID((i - 1) / 10)
		}
		if i < interior(sh.Groups) {
			g.Description = fmt.Sprintf("部门%04d及其下属", i)
		}
		c.Groups[g.ID] = g
	}
	for i := 1; i <= sh.Users; i++ {
		u := &User{Account: fmt.Sprintf("corp:u%06d", i), Nick: fmt.Sprintf("用户%06d", i), Type: drawType(r), Roles: []string{"user"}, Tags: drawTags(r)}
		c.Users[u.Account] = u
		if sh.Groups > 0 {
			c.Groups[GroupID(r.IntN(sh.Groups))].Members[u.Account] = true
		}
	}
	accounts := sets.SortedKeys(c.Users)
	var others []string
	for _, a := range accounts {
		if a != Admin {
			others = append(others, a)
		}
	}
	var top []string
	for i := 0; i < min(interior(sh.Groups), sh.Groups); i++ {
		top = append(top, GroupID(i))
	}
	for wi := 1; wi <= sh.Workspaces; wi++ {
		ws := &Workspace{Name: fmt.Sprintf("空间%02d", wi), Members: map[string]string{Admin: "admin"}}
		var members []string
		for _, i := range r.Perm(len(others))[:min(sh.Members, len(others))] {
			members = append(members, others[i])
		}
		sort.Strings(members)
		for _, a := range members {
			ws.Members[a] = typeRole(c.Users[a].Type, drawRole(r))
		}
		for di := 1; di <= sh.Datasets; di++ {
			d := &Dataset{Name: fmt.Sprintf("数据集%d", di)}
			d.Row = &Level{Enabled: true, MissHit: "none", WhiteUsers: []string{Admin}, WhiteGroups: pick(r, top, 1), Rules: map[string]*Rule{}}
			for ri := 1; ri <= sh.Rules; ri++ {
				ru := newRule(r, fmt.Sprintf("规则%02d", ri), members, top)
				d.Row.Rules[ru.Name] = ru
			}
			if di == 1 && sh.ColumnRules > 0 {
				d.Column = &Level{Enabled: true, MissHit: "all", Rules: map[string]*Rule{}}
				for ri := 1; ri <= sh.ColumnRules; ri++ {
					ru := &Rule{Name: fmt.Sprintf("隐藏列%02d", ri), Users: pick(r, members, 3), Groups: []string{}, Value: fmt.Sprintf("c%09d", ri)}
					d.Column.Rules[ru.Name] = ru
				}
			}
			ws.Datasets = append(ws.Datasets, d)
		}
		c.Workspaces = append(c.Workspaces, ws)
	}
	return c
}

func newRule(r *rand.Rand, name string, members, groups []string) *Rule {
	return &Rule{Name: name, Users: pick(r, members, 3), Groups: pick(r, groups, 1), Value: Regions[r.IntN(len(Regions))]}
}

// Clone deep-copies a company.
func (c *Company) Clone() *Company {
	out := &Company{Tags: append([]Tag(nil), c.Tags...), Users: make(map[string]*User, len(c.Users)), Groups: make(map[string]*Group, len(c.Groups))}
	for k, u := range c.Users {
		cp := *u
		cp.Roles = append([]string(nil), u.Roles...)
		cp.Tags = make(map[string][]string, len(u.Tags))
		for t, v := range u.Tags {
			cp.Tags[t] = append([]string(nil), v...)
		}
		out.Users[k] = &cp
	}
	for k, g := range c.Groups {
		cp := *g
		cp.Members = make(map[string]bool, len(g.Members))
		for a := range g.Members {
			cp.Members[a] = true
		}
		out.Groups[k] = &cp
	}
	for _, ws := range c.Workspaces {
		nw := &Workspace{Name: ws.Name, Members: make(map[string]string, len(ws.Members))}
		for a, role := range ws.Members {
			nw.Members[a] = role
		}
		for _, d := range ws.Datasets {
			nw.Datasets = append(nw.Datasets, &Dataset{Name: d.Name, Row: cloneLevel(d.Row), Column: cloneLevel(d.Column)})
		}
		out.Workspaces = append(out.Workspaces, nw)
	}
	return out
}

func cloneLevel(l *Level) *Level {
	if l == nil {
		return nil
	}
	cp := *l
	cp.WhiteUsers = append([]string{}, l.WhiteUsers...)
	cp.WhiteGroups = append([]string{}, l.WhiteGroups...)
	cp.Rules = make(map[string]*Rule, len(l.Rules))
	for k, ru := range l.Rules {
		nr := *ru
		nr.Users = append([]string{}, ru.Users...)
		nr.Groups = append([]string{}, ru.Groups...)
		cp.Rules[k] = &nr
	}
	return &cp
}

// Mutation counts what Mutate changed.
type Mutation struct {
	NewUsers, Leavers, Moved     int
	GroupsAdded, GroupsRemoved   int
	GroupsRenamed                int
	MembersAdded, MembersRemoved int
	RolesChanged                 int
	RulesAdded, RulesRemoved     int
	RulesChanged                 int
}

// Mutate derives the "after" company from before by a share s:
//
//   - a third of s of the members join (a viewer in one group and one
//     workspace), leave (out of every group, workspace, rule and
//     whitelist), or move (to another group, with a new region);
//   - half of s of the leaf groups are deleted (their members go to as
//     many new groups under other parents), and half of s renamed;
//   - in every workspace, half of s of the members change role, a quarter
//     of s leave it, a quarter of s join it;
//   - of all row rules, half of s are deleted, as many created, and half
//     of s get other users.
//
// before is not changed.
func Mutate(before *Company, s float64, seed uint64) (*Company, Mutation) {
	r := newRand(seed, 2)
	c := before.Clone()
	var m Mutation
	var others []string
	for _, a := range sets.SortedKeys(c.Users) {
		if a != Admin {
			others = append(others, a)
		}
	}
	perm := r.Perm(len(others))
	third := min(share(len(others), s/3), len(others)/3)
	gids := sets.SortedKeys(c.Groups)
	groupOf := map[string]string{}
	for _, id := range gids {
		for a := range c.Groups[id].Members {
			groupOf[a] = id
		}
	}
	leavers := map[string]bool{}
	for _, i := range perm[:third] {
		leavers[others[i]] = true
	}
	for _, a := range sets.SortedKeys(leavers) {
		delete(c.Users, a)
		if g := groupOf[a]; g != "" {
			delete(c.Groups[g].Members, a)
		}
		for _, ws := range c.Workspaces {
			delete(ws.Members, a)
			for _, d := range ws.Datasets {
				for _, l := range []*Level{d.Row, d.Column} {
					if l == nil {
						continue
					}
					l.WhiteUsers = without(l.WhiteUsers, a)
					for _, ru := range l.Rules {
						ru.Users = without(ru.Users, a)
					}
				}
			}
		}
		m.Leavers++
	}
	for _, i := range perm[third : 2*third] {
		a := others[i]
		u := c.Users[a]
		if old := groupOf[a]; old != "" && len(gids) > 1 {
			for {
				if g := gids[r.IntN(len(gids))]; g != old {
					delete(c.Groups[old].Members, a)
					c.Groups[g].Members[a] = true
					groupOf[a] = g
					break
				}
			}
		}
		for {
			if reg := Regions[r.IntN(len(Regions))]; len(u.Tags["region"]) != 1 || u.Tags["region"][0] != reg {
				u.Tags["region"] = []string{reg}
				break
			}
		}
		m.Moved++
	}
	for i := 1; i <= third; i++ {
		u := &User{Account: fmt.Sprintf("corp:n%06d", i), Nick: fmt.Sprintf("新人%06d", i), Type: "viewer", Roles: []string{"user"},
			Tags: map[string][]string{"region": {Regions[r.IntN(len(Regions))]}}}
		c.Users[u.Account] = u
		if len(gids) > 0 {
			g := gids[r.IntN(len(gids))]
			c.Groups[g].Members[u.Account] = true
			groupOf[u.Account] = g
		}
		if len(c.Workspaces) > 0 {
			c.Workspaces[r.IntN(len(c.Workspaces))].Members[u.Account] = "viewer"
		}
		m.NewUsers++
	}

	// Groups: leaves deleted, their members moved to new leaves elsewhere;
	// others renamed.
	nInterior := interior(len(before.Groups))
	var leaves []string
	for _, id := range gids {
		if !hasChildren(c, id) && c.Groups[id].Parent != "" {
			leaves = append(leaves, id)
		}
	}
	ng := min(share(len(leaves), s/2), len(leaves))
	lperm := r.Perm(len(leaves))
	for k, i := range lperm[:ng] {
		old := c.Groups[leaves[i]]
		delete(c.Groups, old.ID)
		parent := GroupID(r.IntN(min(nInterior, len(before.Groups))))
		ng := &Group{ID: fmt.Sprintf("n%04d", k+1), Name: fmt.Sprintf("新部门%04d", k+1), Parent: parent, Members: old.Members}
		c.Groups[ng.ID] = ng
		m.GroupsRemoved++
		m.GroupsAdded++
	}
	for _, i := range lperm[ng:min(2*ng, len(lperm))] {
		g := c.Groups[leaves[i]]
		g.Name += "新"
		m.GroupsRenamed++
	}

	// Workspace members.
	for _, ws := range c.Workspaces {
		members := without(sets.SortedKeys(ws.Members), Admin)
		n := len(members)
		mp := r.Perm(n)
		changes := min(share(n, s/2), n)
		for _, i := range mp[:changes] {
			a := members[i]
			old := ws.Members[a]
			for tries := 0; tries < 20; tries++ {
				if role := typeRole(c.Users[a].Type, drawRole(r)); role != old {
					ws.Members[a] = role
					m.RolesChanged++
					break
				}
			}
		}
		gone := min(share(n, s/4), n-changes)
		for _, i := range mp[changes : changes+gone] {
			delete(ws.Members, members[i])
			m.MembersRemoved++
		}
		for added, tries := 0, 0; added < share(n, s/4) && tries < 100*n; tries++ {
			a := others[r.IntN(len(others))]
			if _, in := ws.Members[a]; in || leavers[a] {
				continue
			}
			ws.Members[a] = typeRole(c.Users[a].Type, drawRole(r))
			m.MembersAdded++
			added++
		}
	}

	// Row rules, over the whole company.
	type ref struct {
		ws   *Workspace
		d    *Dataset
		name string
	}
	var refs []ref
	for _, ws := range c.Workspaces {
		for _, d := range ws.Datasets {
			for _, name := range sets.SortedKeys(d.Row.Rules) {
				refs = append(refs, ref{ws, d, name})
			}
		}
	}
	var top []string
	for i := 0; i < min(nInterior, len(before.Groups)); i++ {
		top = append(top, GroupID(i))
	}
	nr := min(share(len(refs), s/2), len(refs))
	rp := r.Perm(len(refs))
	for k, i := range rp[:nr] {
		x := refs[i]
		delete(x.d.Row.Rules, x.name)
		members := without(sets.SortedKeys(x.ws.Members), Admin)
		ru := newRule(r, fmt.Sprintf("新规则%03d", k+1), members, top)
		x.d.Row.Rules[ru.Name] = ru
		m.RulesRemoved++
		m.RulesAdded++
	}
	for _, i := range rp[nr:min(2*nr, len(rp))] {
		x := refs[i]
		members := without(sets.SortedKeys(x.ws.Members), Admin)
		ru := x.d.Row.Rules[x.name]
		for tries := 0; tries < 20; tries++ {
			if us := pick(r, members, 3); !equal(us, ru.Users) {
				ru.Users = us
				m.RulesChanged++
				break
			}
		}
	}
	return c, m
}

func hasChildren(c *Company, id string) bool {
	// The tree is the generated one: children of d<i> are d<10i+1..10i+10>,
	// and new groups are leaves.
	var i int
	if _, err := fmt.Sscanf(id, "d%04d", &i); err != nil {
		return false
	}
	for k := 10*i + 1; k <= 10*i+10; k++ {
		if c.Groups[GroupID(k)] != nil {
			return true
		}
	}
	return false
}

func without(list []string, s string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
