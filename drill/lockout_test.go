package drill

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

// refusedWithoutWrites runs plan --detailed-exitcode and apply on the
// edited files and checks that both refuse with want in their output and
// that no write call reaches the server; it returns the plan's output.
func refusedWithoutWrites(t *testing.T, sim *youdatatest.Server, env, srv []string, dir string, want ...string) string {
	t.Helper()
	before := grants(sim.Snapshot())
	sim.ResetCalls()
	pl := runBin(t, env, append([]string{"plan", "-f", dir, "--detailed-exitcode", "--no-color"}, srv...)...)
	if pl.code != 1 {
		t.Errorf("plan: exit %d, want 1\n%s", pl.code, pl)
	}
	for _, w := range want {
		if !strings.Contains(pl.stdout+pl.stderr, w) {
			t.Errorf("plan does not say %q:\n%s", w, pl)
		}
	}
	apply := runBin(t, env, append([]string{"apply", "-f", dir, "--auto-approve", "--no-color"}, srv...)...)
	if apply.code != 1 || !strings.Contains(apply.stderr, "nothing was changed") {
		t.Errorf("apply: want exit 1 and nothing changed, got %s", apply)
	}
	for ep, n := range sim.Calls() {
		if !readEndpoints[ep] {
			t.Errorf("%d %s calls after the refusal", n, ep)
		}
	}
	after := grants(sim.Snapshot())
	for g := range before {
		if !after[g] {
			t.Errorf("grant lost despite the refusal: %s", g)
		}
	}
	return pl.stdout + pl.stderr
}

// TestDrill8Lockout: with only PERMSYNC_TOKEN, files that demote the
// token's user are refused (no write call); whoever the token's user is,
// a plan that leaves a project without an admin is refused; lists emptied
// in one project exceed settings.maxDeletes, counted per project and per
// kind, and --allow-mass-delete lifts exactly that.
func TestDrill8Lockout(t *testing.T) {
	needBinary(t)
	setup := func(t *testing.T, env []string) (*youdatatest.Server, []string, string) {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "desired")
		copyDir(t, quickDesired, dir)
		// Nothing in the files protects the token's user.
		editFile(t, filepath.Join(dir, "settings.yaml"), "protectedUsers: [bi.admin@example.com]", "protectedUsers: []")
		sim := newSim(t, quickSeed, youdatatest.Options{Token: "drill-token", TokenKey: "drill-key",
			Email: "bi.admin@example.com", Password: "drill-password"})
		srv := []string{"--server", sim.URL(), "--state", filepath.Join(t.TempDir(), "state.json"), "--rps", "0"}
		if r := runBin(t, env, append([]string{"apply", "-f", dir, "--auto-approve"}, srv...)...); r.code != 0 {
			t.Fatalf("first apply: %s", r)
		}
		return sim, srv, dir
	}

	demoteToken := func(t *testing.T, dir string) {
		editFile(t, filepath.Join(dir, "projects", "sales.yaml"), "{user: bi.admin@example.com, systemRoles: [admin]}", "{user: bi.admin@example.com, systemRoles: [viewer]}")
	}
	for _, tc := range []struct{ name, env string }{
		{"a token", "PERMSYNC_TOKEN=drill-token"},
		{"a token key", "PERMSYNC_TOKEN_KEY=drill-key"},
	} {
		t.Run("the token's admin role, token user not named, "+tc.name, func(t *testing.T) {
			env := []string{tc.env}
			sim, srv, dir := setup(t, env)
			demoteToken(t, dir)
			refusedWithoutWrites(t, sim, env, srv, dir,
				"update member 销售分析/bi.admin@example.com takes the admin system role from bi.admin@example.com, and the user behind the token is not known",
				"set PERMSYNC_TOKEN_USER (or --token-user)")
			// Named, the token's user keeps its role and the rest applies.
			named := append([]string{"PERMSYNC_TOKEN_USER=bi.admin@example.com"}, env...)
			r := runBin(t, named, append([]string{"apply", "-f", dir, "--auto-approve"}, srv...)...)
			if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "keeps the admin system role in project 销售分析") {
				t.Errorf("apply with PERMSYNC_TOKEN_USER: %s", r)
			}
			if !grants(sim.Snapshot())["systemRole 销售分析 bi.admin@example.com 1"] {
				t.Error("the token's user lost the admin role of 销售分析")
			}
		})
	}

	t.Run("the token's admin role, an email and password login", func(t *testing.T) {
		// The login names the token's user: it keeps its role.
		env := []string{"PERMSYNC_EMAIL=bi.admin@example.com", "PERMSYNC_PASSWORD=drill-password"}
		sim, srv, dir := setup(t, env)
		demoteToken(t, dir)
		r := runBin(t, env, append([]string{"apply", "-f", dir, "--auto-approve"}, srv...)...)
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "keeps the admin system role in project 销售分析") {
			t.Errorf("apply: %s", r)
		}
		if !grants(sim.Snapshot())["systemRole 销售分析 bi.admin@example.com 1"] {
			t.Error("the token's user lost the admin role of 销售分析")
		}
	})

	t.Run("a project left without an admin", func(t *testing.T) {
		// The token's user is named, and is not an admin of 财务分析.
		env := []string{"PERMSYNC_TOKEN=drill-token", "PERMSYNC_TOKEN_USER=zhou.min@example.com"}
		sim, srv, dir := setup(t, env)
		f := filepath.Join(dir, "projects", "finance.yaml")
		editFile(t, f, "{user: bi.admin@example.com, systemRoles: [admin]}", "{user: bi.admin@example.com, systemRoles: [viewer]}")
		editFile(t, f, "{user: sun.li@example.com, systemRoles: [admin]}", "{user: sun.li@example.com, systemRoles: [editor]}")
		refusedWithoutWrites(t, sim, env, srv, dir, "project 财务分析 would be left without an admin")
		// --allow-mass-delete does not lift it.
		r := runBin(t, env, append([]string{"apply", "-f", dir, "--auto-approve", "--allow-mass-delete"}, srv...)...)
		if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "would be left without an admin") {
			t.Errorf("apply --allow-mass-delete: want the refusal, got %s", r)
		}
	})

	t.Run("users: [] and members: [] in one project", func(t *testing.T) {
		env := []string{"PERMSYNC_TOKEN=drill-token", "PERMSYNC_TOKEN_USER=bi.admin@example.com"}
		sim, srv, dir := setup(t, env)
		f := filepath.Join(dir, "projects", "sales.yaml")
		editFile(t, f, "users: [zhang.wei@example.com]", "users: []")
		editFile(t, f, "        expires:\n          zhang.wei@example.com: \"2026-12-31 23:59:59\"\n", "")
		editFile(t, f, "users: [li.na@example.com, wu.hao@example.com]", "users: []")
		editFile(t, f, "members: [wang.fang@example.com, liu.yang@example.com]", "members: []")
		editFile(t, f, "members: [chen.jing@example.com, zhao.lei@example.com]", "members: []")
		refusedWithoutWrites(t, sim, env, srv, dir,
			"settings.maxDeletes: project 销售分析: 3 role user bindings removed exceed the limit of 1 (10%, 4 existing in the project)",
			"settings.maxDeletes: project 销售分析: 4 group memberships removed exceed the limit of 1 (10%, 4 existing in the project)")
		r := runBin(t, env, append([]string{"apply", "-f", dir, "--auto-approve", "--allow-mass-delete"}, srv...)...)
		if r.code != 0 {
			t.Errorf("apply --allow-mass-delete: %s", r)
		}
		for g := range grants(sim.Snapshot()) {
			if strings.HasPrefix(g, "group 销售分析/") || strings.HasPrefix(g, "role 销售分析/销售报告阅览 user") || strings.HasPrefix(g, "role 销售分析/销售数据编辑 user") {
				t.Errorf("after --allow-mass-delete: %s is left", g)
			}
		}
	})

	t.Run("one project's members wiped among eleven", func(t *testing.T) {
		// Eleven projects of ten members each: wiping one project's
		// membership removes 9 of 110 members, within 10% of them all.
		dir := t.TempDir()
		var seed, files strings.Builder
		seed.WriteString("version: 1\nadmin: {uniqueId: admin@corp.example, email: admin@corp.example, nick: 管理员}\nusers:\n")
		files.WriteString("version: 1\nsettings:\n  maxDeletes: 10%\nprojects:\n")
		for i := 1; i <= 9; i++ {
			fmt.Fprintf(&seed, "  - {uniqueId: u%d@corp.example, email: u%d@corp.example, nick: 员工%d}\n", i, i, i)
		}
		seed.WriteString("projects:\n")
		for p := 0; p < 11; p++ {
			fmt.Fprintf(&seed, "  - name: 项目%02d\n    members:\n      - {user: admin@corp.example, systemRoles: [admin]}\n", p)
			fmt.Fprintf(&files, "  - name: 项目%02d\n    members:\n      - {user: admin@corp.example, systemRoles: [admin]}\n", p)
			for i := 1; i <= 9; i++ {
				fmt.Fprintf(&seed, "      - {user: u%d@corp.example, systemRoles: [viewer]}\n", i)
				if p != 0 {
					fmt.Fprintf(&files, "      - {user: u%d@corp.example, systemRoles: [viewer]}\n", i)
				}
			}
		}
		seedPath := filepath.Join(dir, "seed.yaml")
		writeFile(t, seedPath, seed.String())
		desired := filepath.Join(dir, "desired")
		writeFile(t, filepath.Join(desired, "projects.yaml"), files.String())
		sim := newSim(t, seedPath, youdatatest.Options{Token: "drill-token"})
		env := []string{"PERMSYNC_TOKEN=drill-token", "PERMSYNC_TOKEN_USER=admin@corp.example"}
		srv := []string{"--server", sim.URL(), "--state", filepath.Join(dir, "state.json"), "--rps", "0"}
		refusedWithoutWrites(t, sim, env, srv, desired,
			"settings.maxDeletes: project 项目00: 9 member deletions exceed the limit of 1 (10%, 10 existing in the project)")
	})
}
