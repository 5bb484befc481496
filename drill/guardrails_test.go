package drill

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

// copyDir copies the files of src (recursively) into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(dst, rel), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not hold %q", path, old)
	}
	writeFile(t, path, strings.Replace(string(b), old, new, 1))
}

// TestDrill8GuardRails: an edit removing 30% of the users is refused by
// plan and apply (settings.maxDeletes); edits unbinding the token's own
// admin role or a protected user are dropped from the plan with a warning
// and never reach the server.
func TestDrill8GuardRails(t *testing.T) {
	needBinary(t)
	t.Run("30% of users removed", func(t *testing.T) {
		full := genCompany(t, 60)
		smaller := genCompany(t, 42) // the same company without its last 30% of users
		sim := newSim(t, full.seed, youdatatest.Options{Token: "drill-token"})
		stPath := filepath.Join(t.TempDir(), "state.json")
		env := []string{"PERMSYNC_TOKEN=drill-token"}
		srv := []string{"--server", sim.URL(), "--state", stPath, "--rps", "0"}
		if r := runBin(t, env, append([]string{"apply", "-f", full.desired, "--auto-approve"}, srv...)...); r.code != 0 {
			t.Fatalf("first apply: %s", r)
		}
		f := filepath.Join(smaller.desired, "company.yaml")
		editFile(t, f, "maxDeletes: 50%", "maxDeletes: 10%")
		before := sim.Snapshot()
		sim.ResetCalls()
		r := runBin(t, env, append([]string{"plan", "-f", smaller.desired, "--detailed-exitcode"}, srv...)...)
		if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "maxDeletes") {
			t.Errorf("plan: want exit 1 naming settings.maxDeletes, got %s", r)
		}
		r = runBin(t, env, append([]string{"apply", "-f", smaller.desired, "--auto-approve"}, srv...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "nothing was changed") {
			t.Errorf("apply: want exit 1 and nothing changed, got %s", r)
		}
		for ep, n := range sim.Calls() {
			if !readEndpoints[ep] {
				t.Errorf("%d %s calls after the refusal", n, ep)
			}
		}
		if len(sim.Snapshot().Users) != len(before.Users) {
			t.Error("users were deleted despite the refusal")
		}
		t.Logf("30%% of users removed: plan exit %d, apply exit %d, 0 write calls", 1, r.code)
	})

	for _, tc := range []struct {
		name, file, old, new, user string
	}{
		{"the token's own admin role", "projects/sales.yaml", "{user: bi.admin@example.com, systemRoles: [admin]}", "{user: bi.admin@example.com, systemRoles: [viewer]}", "bi.admin@example.com"},
		{"a protected user unbound from a role", "projects/sales.yaml", "users: [li.na@example.com, wu.hao@example.com]", "users: [wu.hao@example.com]", "li.na@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "desired")
			copyDir(t, quickDesired, dir)
			editFile(t, filepath.Join(dir, "settings.yaml"), "protectedUsers: [bi.admin@example.com]", "protectedUsers: [bi.admin@example.com, li.na@example.com]")
			sim := newSim(t, quickSeed, youdatatest.Options{Token: "drill-token"})
			stPath := filepath.Join(t.TempDir(), "state.json")
			env := []string{"PERMSYNC_TOKEN=drill-token", "PERMSYNC_TOKEN_USER=bi.admin@example.com"}
			srv := []string{"--server", sim.URL(), "--state", stPath, "--rps", "0"}
			if r := runBin(t, env, append([]string{"apply", "-f", dir, "--auto-approve"}, srv...)...); r.code != 0 {
				t.Fatalf("first apply: %s", r)
			}
			want := grants(sim.Snapshot())
			editFile(t, filepath.Join(dir, tc.file), tc.old, tc.new)
			r := runBin(t, env, append([]string{"plan", "-f", dir}, srv...)...)
			if !strings.Contains(r.stdout+r.stderr, "protected") || !strings.Contains(r.stdout+r.stderr, tc.user) {
				t.Errorf("plan does not say %s is protected: %s", tc.user, r)
			}
			r = runBin(t, env, append([]string{"apply", "-f", dir, "--auto-approve"}, srv...)...)
			got := grants(sim.Snapshot())
			var lost []string
			for g := range want {
				if strings.Contains(g, tc.user) && !got[g] {
					lost = append(lost, g)
				}
			}
			if len(lost) > 0 {
				t.Errorf("apply removed grants of %s: %v\n%s", tc.user, lost, r)
			}
			t.Logf("%s: plan warns, apply exit %d, %d grant(s) of %s lost", tc.name, r.code, len(lost), tc.user)
		})
	}
}
