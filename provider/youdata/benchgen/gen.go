// Package benchgen generates the company of permsync's scale benchmark
// (cmd/permsync-bench): a seeded, deterministic domain of users,
// departments and projects with members, groups, roles and data
// permissions, a "before" that seeds the simulator and an "after" that
// differs from it by a given share, and the lower bound of the API calls
// that reading the one and applying the change need.
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
	Name        string
	Users       int
	Departments int
	Projects    int
	// Members per project.
	Members int
	// Groups, Roles and DataPermissions per project.
	Groups          int
	Roles           int
	DataPermissions int
}

// Shapes are the sizes of the benchmark: S, M and L scale users and
// project members; the structure (departments, projects, groups, roles)
// is the same.
var Shapes = []Shape{
	{Name: "S", Users: 1000, Departments: 800, Projects: 20, Members: 50, Groups: 100, Roles: 300, DataPermissions: 100},
	{Name: "M", Users: 10000, Departments: 800, Projects: 20, Members: 500, Groups: 100, Roles: 300, DataPermissions: 100},
	{Name: "L", Users: 50000, Departments: 800, Projects: 20, Members: 2500, Groups: 100, Roles: 300, DataPermissions: 100},
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

// Admin is the uniqueId of the domain admin, the token's user.
const Admin = "admin"

// Company is one side (before or after) of the benchmark.
type Company struct {
	Depts    []Dept
	Users    map[string]*User
	Projects []*Project
}

// Dept is a department.
type Dept struct{ Code, Name, Parent string }

// User is a domain user.
type User struct{ UID, Email, Nick, Dept string }

// Project is a project and what permsync manages in it.
type Project struct {
	Name    string
	Members map[string]string // uniqueId → system role (admin, editor, viewer)
	Groups  map[string]*Group // by name
	Roles   map[string]*Role  // by folder/name
	DPs     map[string]*Role  // data permissions, by folder/name
}

// Group is a user group.
type Group struct {
	Name, Folder string
	Members      map[string]bool
}

// Role is a role or a data permission.
type Role struct {
	Name, Folder string
	Users        map[string]string // uniqueId → expiry ("" for none)
	Groups       []string          // sorted
	Orgs         []string          // sorted
}

// Expiry is the expiry of the bindings that have one.
const Expiry = "2030-12-31 23:59:59"

func newRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// Generate builds the "before" company of a shape.
func Generate(sh Shape, seed uint64) *Company {
	r := newRand(seed, 1)
	c := &Company{Users: map[string]*User{}}
	for i := 0; i < sh.Departments; i++ {
		d := Dept{Code: fmt.Sprintf("D%04d", i), Name: fmt.Sprintf("部门%04d", i)}
		if i > 0 {
			d.Parent = fmt.Sprintf("D%04d", (i-1)/10)
		}
		c.Depts = append(c.Depts, d)
	}
	for i := 1; i <= sh.Users; i++ {
		uid := fmt.Sprintf("u%06d@corp.example", i)
		c.Users[uid] = &User{UID: uid, Email: uid, Nick: fmt.Sprintf("用户%06d", i), Dept: c.Depts[r.IntN(len(c.Depts))].Code}
	}
	uids := sets.SortedKeys(c.Users)
	for pi := 1; pi <= sh.Projects; pi++ {
		p := &Project{Name: fmt.Sprintf("项目%02d", pi), Members: map[string]string{Admin: "admin"},
			Groups: map[string]*Group{}, Roles: map[string]*Role{}, DPs: map[string]*Role{}}
		var members []string
		for _, i := range r.Perm(len(uids))[:min(sh.Members, len(uids))] {
			members = append(members, uids[i])
		}
		sort.Strings(members)
		for _, u := range members {
			role := "viewer"
			switch x := r.IntN(100); {
			case x < 2:
				role = "admin"
			case x < 10:
				role = "editor"
			}
			p.Members[u] = role
		}
		var groups []string
		for gi := 1; gi <= sh.Groups; gi++ {
			g := &Group{Name: fmt.Sprintf("组%03d", gi), Folder: fmt.Sprintf("组目录%02d", gi%10), Members: map[string]bool{}}
			p.Groups[g.Name] = g
			groups = append(groups, g.Name)
		}
		var roles, dps []*Role
		for ri := 1; ri <= sh.Roles; ri++ {
			ro := newRole(r, fmt.Sprintf("角色%03d", ri), fmt.Sprintf("角色目录%02d", ri%20), groups, c.Depts)
			p.Roles[ro.Folder+"/"+ro.Name] = ro
			roles = append(roles, ro)
		}
		for di := 1; di <= sh.DataPermissions; di++ {
			dp := newRole(r, fmt.Sprintf("数据%03d", di), fmt.Sprintf("数据目录%02d", di%10), groups, nil)
			p.DPs[dp.Folder+"/"+dp.Name] = dp
			dps = append(dps, dp)
		}
		for _, u := range members {
			for n := []int{0, 1, 1, 2}[r.IntN(4)]; n > 0 && len(groups) > 0; n-- {
				p.Groups[groups[r.IntN(len(groups))]].Members[u] = true
			}
			for n := []int{0, 1, 1, 2, 3}[r.IntN(5)]; n > 0 && len(roles) > 0; n-- {
				bind(r, roles[r.IntN(len(roles))], u)
			}
			if len(dps) > 0 && r.IntN(3) == 0 {
				bind(r, dps[r.IntN(len(dps))], u)
			}
		}
		// A group without members shows in no read: none is left empty.
		for _, name := range groups {
			if g := p.Groups[name]; len(g.Members) == 0 && len(members) > 0 {
				g.Members[members[r.IntN(len(members))]] = true
			}
		}
		c.Projects = append(c.Projects, p)
	}
	return c
}

func newRole(r *rand.Rand, name, folder string, groups []string, depts []Dept) *Role {
	ro := &Role{Name: name, Folder: folder, Users: map[string]string{}, Groups: []string{}, Orgs: []string{}}
	if len(groups) > 0 {
		ro.Groups = []string{groups[r.IntN(len(groups))]}
	}
	if len(depts) > 0 && r.IntN(10) < 3 {
		ro.Orgs = []string{depts[r.IntN(len(depts))].Code}
	}
	return ro
}

func bind(r *rand.Rand, ro *Role, u string) {
	exp := ""
	if r.IntN(10) == 0 {
		exp = Expiry
	}
	ro.Users[u] = exp
}

// Clone deep-copies a company.
func (c *Company) Clone() *Company {
	out := &Company{Depts: append([]Dept(nil), c.Depts...), Users: make(map[string]*User, len(c.Users))}
	for k, u := range c.Users {
		cp := *u
		out.Users[k] = &cp
	}
	for _, p := range c.Projects {
		np := &Project{Name: p.Name, Members: make(map[string]string, len(p.Members)),
			Groups: make(map[string]*Group, len(p.Groups)), Roles: cloneRoles(p.Roles), DPs: cloneRoles(p.DPs)}
		for k, v := range p.Members {
			np.Members[k] = v
		}
		for k, g := range p.Groups {
			ng := &Group{Name: g.Name, Folder: g.Folder, Members: make(map[string]bool, len(g.Members))}
			for u := range g.Members {
				ng.Members[u] = true
			}
			np.Groups[k] = ng
		}
		out.Projects = append(out.Projects, np)
	}
	return out
}

func cloneRoles(in map[string]*Role) map[string]*Role {
	out := make(map[string]*Role, len(in))
	for k, r := range in {
		nr := &Role{Name: r.Name, Folder: r.Folder, Users: make(map[string]string, len(r.Users)),
			Groups: append([]string{}, r.Groups...), Orgs: append([]string{}, r.Orgs...)}
		for u, e := range r.Users {
			nr.Users[u] = e
		}
		out[k] = nr
	}
	return out
}

// Mutation counts what Mutate changed.
type Mutation struct {
	NewUsers, Leavers, Moved                  int
	BindingsAdded, BindingsRemoved            int
	RolesAdded, RolesRemoved                  int
	DataPermissionsAdded, DataPermissionsGone int
	GroupsAdded, GroupsRemoved                int
}

func share(n int, s float64) int { return int(math.Round(float64(n) * s)) }

// Mutate derives the "after" company from before: a share of the users
// join, leave or move department (a third each), and in every project a
// share of the direct role bindings change (half added, half removed) and
// half the share of roles, data permissions and groups are removed and as
// many new ones added. before is not changed.
func Mutate(before *Company, s float64, seed uint64) (*Company, Mutation) {
	r := newRand(seed, 2)
	c := before.Clone()
	var m Mutation
	uids := sets.SortedKeys(c.Users)
	perm := r.Perm(len(uids))
	third := share(len(uids), s/3)
	leavers := map[string]bool{}
	for _, i := range perm[:min(third, len(perm))] {
		leavers[uids[i]] = true
	}
	for _, u := range sets.SortedKeys(leavers) {
		delete(c.Users, u)
		for _, p := range c.Projects {
			delete(p.Members, u)
			for _, g := range p.Groups {
				delete(g.Members, u)
			}
			for _, ro := range p.Roles {
				delete(ro.Users, u)
			}
			for _, ro := range p.DPs {
				delete(ro.Users, u)
			}
		}
		m.Leavers++
	}
	for _, i := range perm[min(third, len(perm)):min(2*third, len(perm))] {
		u := c.Users[uids[i]]
		for {
			d := c.Depts[r.IntN(len(c.Depts))].Code
			if d != u.Dept || len(c.Depts) == 1 {
				u.Dept = d
				break
			}
		}
		m.Moved++
	}
	for i := 1; i <= third; i++ {
		uid := fmt.Sprintf("n%06d@corp.example", i)
		c.Users[uid] = &User{UID: uid, Email: uid, Nick: fmt.Sprintf("新人%06d", i), Dept: c.Depts[r.IntN(len(c.Depts))].Code}
		if len(c.Projects) > 0 {
			p := c.Projects[r.IntN(len(c.Projects))]
			p.Members[uid] = "viewer"
			if gs := sets.SortedKeys(p.Groups); len(gs) > 0 && r.IntN(2) == 0 {
				p.Groups[gs[r.IntN(len(gs))]].Members[uid] = true
			}
			if rs := sets.SortedKeys(p.Roles); len(rs) > 0 && r.IntN(2) == 0 {
				bind(r, p.Roles[rs[r.IntN(len(rs))]], uid)
			}
		}
		m.NewUsers++
	}

	for _, p := range c.Projects {
		// Groups: removed ones leave the roles that listed them.
		gs := sets.SortedKeys(p.Groups)
		ng := min(share(len(gs), s/2), len(gs))
		for _, i := range r.Perm(len(gs))[:ng] {
			name := gs[i]
			delete(p.Groups, name)
			for _, ro := range p.Roles {
				ro.Groups = without(ro.Groups, name)
			}
			for _, ro := range p.DPs {
				ro.Groups = without(ro.Groups, name)
			}
			m.GroupsRemoved++
		}
		members := sets.SortedKeys(p.Members)
		for i := 1; i <= ng; i++ {
			g := &Group{Name: fmt.Sprintf("新组%03d", i), Folder: "新组目录", Members: map[string]bool{}}
			for n := 0; n < 5 && len(members) > 0; n++ {
				g.Members[members[r.IntN(len(members))]] = true
			}
			p.Groups[g.Name] = g
			m.GroupsAdded++
		}
		groups := sets.SortedKeys(p.Groups)
		n := churn(r, p.Roles, "新角色", "角色目录00", s, groups, members, c.Depts)
		m.RolesRemoved += n
		m.RolesAdded += n
		n = churn(r, p.DPs, "新数据", "数据目录00", s, groups, members, nil)
		m.DataPermissionsGone += n
		m.DataPermissionsAdded += n

		// Direct bindings of roles: half added, half removed.
		type pair struct{ role, user string }
		var pairs []pair
		rkeys := sets.SortedKeys(p.Roles)
		for _, k := range rkeys {
			for _, u := range sets.SortedKeys(p.Roles[k].Users) {
				pairs = append(pairs, pair{k, u})
			}
		}
		nb := share(len(pairs), s)
		for _, i := range r.Perm(len(pairs))[:min(nb/2, len(pairs))] {
			delete(p.Roles[pairs[i].role].Users, pairs[i].user)
			m.BindingsRemoved++
		}
		// Draws are bounded: a tiny company may have no free (role,
		// member) pair left.
		for n, tries := nb-nb/2, 0; n > 0 && len(rkeys) > 0 && len(members) > 0 && tries < 100*nb; tries++ {
			ro := p.Roles[rkeys[r.IntN(len(rkeys))]]
			u := members[r.IntN(len(members))]
			if _, ok := ro.Users[u]; ok || u == Admin {
				continue
			}
			bind(r, ro, u)
			m.BindingsAdded++
			n--
		}
	}
	return c, m
}

// churn removes half the share s of the roles in rs and adds as many new
// ones (prefix, in folder), each bound to three members and a group. It
// returns the number removed.
func churn(r *rand.Rand, rs map[string]*Role, prefix, folder string, s float64, groups, members []string, depts []Dept) int {
	keys := sets.SortedKeys(rs)
	n := min(share(len(keys), s/2), len(keys))
	for _, i := range r.Perm(len(keys))[:n] {
		delete(rs, keys[i])
	}
	for i := 1; i <= n; i++ {
		ro := newRole(r, fmt.Sprintf("%s%03d", prefix, i), folder, groups, depts)
		for k := 0; k < 3 && len(members) > 0; k++ {
			if u := members[r.IntN(len(members))]; u != Admin {
				bind(r, ro, u)
			}
		}
		rs[ro.Folder+"/"+ro.Name] = ro
	}
	return n
}

func without(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// UserChange counts what MutateUsers changed.
type UserChange struct {
	Bound, Unbound, Joined, Left, Promoted int
}

// MutateUsers derives from before a change of n users' permissions: each
// of n members (one per user, the admin aside), drawn at random, is in
// turn bound to a role, unbound from one, joins a group, leaves one, or
// has its system role changed (viewer and editor swap). before is not
// changed.
func MutateUsers(before *Company, n int, seed uint64) (*Company, UserChange) {
	r := newRand(seed, 3)
	c := before.Clone()
	var ch UserChange
	type pick struct {
		p *Project
		u string
	}
	var picks []pick
	used := map[string]bool{}
	for tries := 0; len(picks) < n && tries < 100*n+100 && len(c.Projects) > 0; tries++ {
		p := c.Projects[r.IntN(len(c.Projects))]
		ms := sets.SortedKeys(p.Members)
		if len(ms) == 0 {
			continue
		}
		u := ms[r.IntN(len(ms))]
		if u == Admin || used[u] {
			continue
		}
		used[u] = true
		picks = append(picks, pick{p, u})
	}
	for i, pk := range picks {
		p, u := pk.p, pk.u
		roles := sets.SortedKeys(p.Roles)
		groups := sets.SortedKeys(p.Groups)
		var boundTo, freeRoles, in, out []string
		for _, k := range roles {
			if _, ok := p.Roles[k].Users[u]; ok {
				boundTo = append(boundTo, k)
			} else {
				freeRoles = append(freeRoles, k)
			}
		}
		for _, g := range groups {
			if p.Groups[g].Members[u] {
				if len(p.Groups[g].Members) > 1 {
					in = append(in, g) // never left empty: no read would show it
				}
			} else {
				out = append(out, g)
			}
		}
		switch kind := i % 5; {
		case kind == 1 && len(boundTo) > 0:
			delete(p.Roles[boundTo[r.IntN(len(boundTo))]].Users, u)
			ch.Unbound++
		case kind == 2 && len(out) > 0:
			p.Groups[out[r.IntN(len(out))]].Members[u] = true
			ch.Joined++
		case kind == 3 && len(in) > 0:
			delete(p.Groups[in[r.IntN(len(in))]].Members, u)
			ch.Left++
		case kind == 4 && p.Members[u] != "admin":
			if p.Members[u] == "viewer" {
				p.Members[u] = "editor"
			} else {
				p.Members[u] = "viewer"
			}
			ch.Promoted++
		case len(freeRoles) > 0:
			bind(r, p.Roles[freeRoles[r.IntN(len(freeRoles))]], u)
			ch.Bound++
		}
	}
	return c, ch
}
