package quickbi

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestMemberCoverMinimal checks memberCover against a brute force on
// small random graphs: every pair is covered by exactly one call, and no
// smaller set of calls covers them.
func TestMemberCoverMinimal(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for trial := 0; trial < 300; trial++ {
		ng, nu := 1+r.Intn(4), 1+r.Intn(5)
		var pairs []pair
		for g := 0; g < ng; g++ {
			for u := 0; u < nu; u++ {
				if r.Intn(3) == 0 {
					pairs = append(pairs, pair{fmt.Sprint("g", g), fmt.Sprint("u", u)})
				}
			}
		}
		if len(pairs) == 0 {
			continue
		}
		byGroup, byUser := memberCover(pairs)
		covered := map[pair]int{}
		for g, us := range byGroup {
			for _, u := range us {
				covered[pair{g, u}]++
			}
		}
		for u, gs := range byUser {
			for _, g := range gs {
				covered[pair{g, u}]++
			}
		}
		for _, p := range pairs {
			if covered[p] != 1 {
				t.Fatalf("trial %d: pair %v covered %d times (%v / %v)", trial, p, covered[p], byGroup, byUser)
			}
		}
		if got, want := len(byGroup)+len(byUser), bruteCover(pairs); got != want {
			t.Fatalf("trial %d: %d calls, the least is %d: %v", trial, got, want, pairs)
		}
	}
}

// bruteCover is the size of a minimum vertex cover, by trying every set.
func bruteCover(pairs []pair) int {
	var vs []string
	idx := map[string]int{}
	for _, p := range pairs {
		for _, v := range []string{"g:" + p.group, "u:" + p.user} {
			if _, ok := idx[v]; !ok {
				idx[v] = len(vs)
				vs = append(vs, v)
			}
		}
	}
	best := len(vs)
	for mask := 0; mask < 1<<len(vs); mask++ {
		ok := true
		for _, p := range pairs {
			if mask&(1<<idx["g:"+p.group]) == 0 && mask&(1<<idx["u:"+p.user]) == 0 {
				ok = false
				break
			}
		}
		if n := popcount(mask); ok && n < best {
			best = n
		}
	}
	return best
}

func popcount(x int) int {
	n := 0
	for ; x > 0; x &= x - 1 {
		n++
	}
	return n
}

// TestMemberCoverShapes: many users into one group is one call for the
// group; one user into many groups is one call for the user.
func TestMemberCoverShapes(t *testing.T) {
	var pairs []pair
	for i := 0; i < 50; i++ {
		pairs = append(pairs, pair{"big", fmt.Sprint("u", i)})
	}
	for i := 0; i < 7; i++ {
		pairs = append(pairs, pair{fmt.Sprint("g", i), "joiner"})
	}
	byGroup, byUser := memberCover(pairs)
	if len(byGroup) != 1 || len(byGroup["big"]) != 50 || len(byUser) != 1 || len(byUser["joiner"]) != 7 {
		t.Errorf("groups %v, users %v", byGroup, byUser)
	}
}
