package quickbi

import "sort"

// Quick BI adds users to groups two ways: AddUserGroupMember puts many
// users into one group, AddUserGroupMembers one user into many groups.
// Each call covers the pairs (group, user) of one group or of one user,
// so the fewest calls that add a set of pairs are a minimum vertex cover
// of the bipartite graph of groups and users, whose size equals that of
// a maximum matching (König's theorem): no call can add two pairs of a
// matching, as they share neither group nor user. memberCover computes
// one with Hopcroft–Karp.

// pair is one user to add to one group.
type pair struct{ group, user string }

// memberCover splits pairs into calls: the users to add to each group by
// AddUserGroupMember, and the groups to add each user to by
// AddUserGroupMembers. The number of keys of both is the least number of
// calls that add every pair (before AddUserGroupMember's 1000 users per
// call).
func memberCover(pairs []pair) (byGroup, byUser map[string][]string) {
	gi := map[string]int{}
	ui := map[string]int{}
	var groups, users []string
	for _, p := range pairs {
		if _, ok := gi[p.group]; !ok {
			gi[p.group] = len(groups)
			groups = append(groups, p.group)
		}
		if _, ok := ui[p.user]; !ok {
			ui[p.user] = len(users)
			users = append(users, p.user)
		}
	}
	adj := make([][]int, len(groups))
	seen := map[pair]bool{}
	for _, p := range pairs {
		if seen[p] {
			continue
		}
		seen[p] = true
		adj[gi[p.group]] = append(adj[gi[p.group]], ui[p.user])
	}
	for _, a := range adj {
		sort.Ints(a)
	}
	inCover := koenig(len(groups), len(users), adj)
	byGroup, byUser = map[string][]string{}, map[string][]string{}
	for p := range seen {
		if inCover.left[gi[p.group]] {
			byGroup[p.group] = append(byGroup[p.group], p.user)
		} else {
			byUser[p.user] = append(byUser[p.user], p.group)
		}
	}
	for k := range byGroup {
		sort.Strings(byGroup[k])
	}
	for k := range byUser {
		sort.Strings(byUser[k])
	}
	return byGroup, byUser
}

// vertexCover marks the vertices of a cover.
type vertexCover struct{ left, right []bool }

// koenig returns a minimum vertex cover of the bipartite graph with nl
// left and nr right vertices and edges adj (left → right): a maximum
// matching by Hopcroft–Karp, then König's construction from the left
// vertices it leaves unmatched.
func koenig(nl, nr int, adj [][]int) vertexCover {
	const none = -1
	matchL := make([]int, nl)
	matchR := make([]int, nr)
	for i := range matchL {
		matchL[i] = none
	}
	for i := range matchR {
		matchR[i] = none
	}
	dist := make([]int, nl)
	const inf = int(^uint(0) >> 1)
	bfs := func() bool {
		var q []int
		for l := 0; l < nl; l++ {
			if matchL[l] == none {
				dist[l] = 0
				q = append(q, l)
			} else {
				dist[l] = inf
			}
		}
		found := false
		for len(q) > 0 {
			l := q[0]
			q = q[1:]
			for _, r := range adj[l] {
				m := matchR[r]
				if m == none {
					found = true
				} else if dist[m] == inf {
					dist[m] = dist[l] + 1
					q = append(q, m)
				}
			}
		}
		return found
	}
	var dfs func(l int) bool
	dfs = func(l int) bool {
		for _, r := range adj[l] {
			m := matchR[r]
			if m == none || dist[m] == dist[l]+1 && dfs(m) {
				matchL[l], matchR[r] = r, l
				return true
			}
		}
		dist[l] = inf
		return false
	}
	for bfs() {
		for l := 0; l < nl; l++ {
			if matchL[l] == none {
				dfs(l)
			}
		}
	}
	// König: Z = vertices reachable from unmatched left vertices by
	// alternating paths; the cover is (L \ Z) ∪ (R ∩ Z).
	visL := make([]bool, nl)
	visR := make([]bool, nr)
	var q []int
	for l := 0; l < nl; l++ {
		if matchL[l] == none {
			visL[l] = true
			q = append(q, l)
		}
	}
	for len(q) > 0 {
		l := q[0]
		q = q[1:]
		for _, r := range adj[l] {
			if visR[r] || matchL[l] == r {
				continue
			}
			visR[r] = true
			if m := matchR[r]; m != none && !visL[m] {
				visL[m] = true
				q = append(q, m)
			}
		}
	}
	c := vertexCover{left: make([]bool, nl), right: make([]bool, nr)}
	for l := range visL {
		c.left[l] = !visL[l]
	}
	copy(c.right, visR)
	return c
}
