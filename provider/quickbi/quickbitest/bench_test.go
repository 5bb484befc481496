package quickbitest

import (
	"fmt"
	"testing"
)

// largeSeed is an organization of n members in n/10 groups, all in one
// workspace.
func largeSeed(n int) *Seed {
	seed := &Seed{Workspaces: []SeedWorkspace{{Name: "大空间"}}}
	for i := 0; i < n; i++ {
		acct := fmt.Sprintf("org:user%05d", i)
		seed.Users = append(seed.Users, SeedUser{Account: acct, Nick: fmt.Sprintf("用户%05d", i), Type: "analyst"})
		seed.Workspaces[0].Members = append(seed.Workspaces[0].Members, SeedMember{User: acct, Roles: []string{"analyst"}})
		if i%10 == 0 {
			seed.Groups = append(seed.Groups, SeedGroup{ID: fmt.Sprintf("g%05d", i), Name: fmt.Sprintf("组%05d", i)})
		}
		g := &seed.Groups[len(seed.Groups)-1]
		g.Members = append(g.Members, acct)
	}
	return seed
}

func BenchmarkSeed10k(b *testing.B) {
	seed := largeSeed(10000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewFromOptions(Options{Seed: seed, AccessKeySecret: "x"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadUsers10k reads every member of a 10,000-member organization
// in pages of 1000, signed, over HTTP.
func BenchmarkReadUsers10k(b *testing.B) {
	s, err := NewFromOptions(Options{Seed: largeSeed(10000), AccessKeySecret: "x"})
	if err != nil {
		b.Fatal(err)
	}
	s.Start()
	defer s.Close()
	c := &tc{t: b, s: s}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for pg := 1; pg <= 10; pg++ {
			c.call("QueryUserList", p("PageSize", "1000", "PageNum", fmt.Sprint(pg))).ok(b, nil)
		}
	}
}

// BenchmarkAddUser10k adds members to a 10,000-member organization.
func BenchmarkAddUser10k(b *testing.B) {
	s, err := NewFromOptions(Options{Seed: largeSeed(10000), AccessKeySecret: "x"})
	if err != nil {
		b.Fatal(err)
	}
	s.Start()
	defer s.Close()
	c := &tc{t: b, s: s}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.call("AddUser", p("NickName", fmt.Sprintf("新人%d", i), "UserType", "3", "AccountName", fmt.Sprintf("new:u%d", i))).ok(b, nil)
	}
}
