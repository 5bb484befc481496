package drill

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// groupChange is a change of group memberships across several projects,
// made in two applies: a baseline that brings some groups and roles under
// management (the state learns their ids and folders), then the change
// itself. In every project the change replaces a group's members
// ([a, b, c] → [d, e, f]), shifts another's, empties one, keeps one with
// a new description, moves one to another folder (a replace), creates two
// with members, binds roles and row permissions to groups (one role loses
// a group, so it is replaced), and adds, removes and re-roles members.
// The groups it replaces and empties are not known to the state: the
// server made them by hand, and a role the files do not manage is bound
// to them by hand, a binding that only the groups' survival keeps.
type groupChange struct {
	seed, baseline, change string // seed file; desired directories
}

const crashProjects = 4

func genGroupChange(t *testing.T) *groupChange {
	t.Helper()
	dir := t.TempDir()
	gc := &groupChange{seed: filepath.Join(dir, "seed.yaml"), baseline: filepath.Join(dir, "baseline"), change: filepath.Join(dir, "change")}
	uid := func(i int) string { return fmt.Sprintf("g%02d@corp.example", i) }
	const users = 30
	// m is the k-th member of project p.
	m := func(p, k int) string { return uid((p*7 + k) % users) }
	list := func(p int, ks ...int) string {
		var out []string
		for _, k := range ks {
			out = append(out, m(p, k))
		}
		return "[" + strings.Join(out, ", ") + "]"
	}

	var s strings.Builder
	s.WriteString("version: 1\nadmin: {uniqueId: admin@corp.example, email: admin@corp.example, nick: 管理员}\n")
	s.WriteString("orgs:\n  departments:\n    - {code: HQ, name: 总部}\n")
	s.WriteString("users:\n")
	for i := 0; i < users; i++ {
		nick := fmt.Sprintf("员工%02d", i)
		if i%9 == 0 {
			nick = "旧" + nick
		}
		fmt.Fprintf(&s, "  - {uniqueId: %s, email: %s, nick: %s}\n", uid(i), uid(i), nick)
	}
	s.WriteString("  - {uniqueId: gone@corp.example, email: gone@corp.example, nick: 离开}\n")
	s.WriteString("projects:\n")
	for p := 0; p < crashProjects; p++ {
		fmt.Fprintf(&s, "  - name: 项目%d\n    members:\n      - {user: admin@corp.example, systemRoles: [admin]}\n      - {user: gone@corp.example, systemRoles: [viewer]}\n", p)
		for k := 0; k < 13; k++ {
			fmt.Fprintf(&s, "      - {user: %s, systemRoles: [viewer]}\n", m(p, k))
		}
		fmt.Fprintf(&s, "    groups:\n")
		fmt.Fprintf(&s, "      - {name: 替换组, folder: 组, description: 手工, members: %s}\n", list(p, 0, 1, 2))
		fmt.Fprintf(&s, "      - {name: 交叉组, folder: 组, members: %s}\n", list(p, 0, 1, 2, 3))
		fmt.Fprintf(&s, "      - {name: 清空组, folder: 组, members: %s}\n", list(p, 6, 7))
		fmt.Fprintf(&s, "      - {name: 保持组, members: %s}\n", list(p, 8, 9))
		fmt.Fprintf(&s, "      - {name: 搬家组, folder: 旧, members: %s}\n", list(p, 10))
		fmt.Fprintf(&s, "    roles:\n")
		fmt.Fprintf(&s, "      - {name: 阅览, folder: 通用, users: %s, groups: [替换组], resources: [{type: NEW_REPORT, id: 1, permissions: [view]}]}\n", list(p, 0))
		fmt.Fprintf(&s, "      - {name: 编辑, users: %s, groups: [交叉组, 保持组], resources: [{type: NEW_REPORT, id: 2, permissions: [view, edit]}]}\n", list(p, 1, 2))
		// Bound by hand, not in the files: only the groups' survival
		// keeps these bindings.
		fmt.Fprintf(&s, "      - {name: 手工角色, groups: [替换组, 交叉组, 清空组, 保持组], resources: [{type: NEW_REPORT, id: 3, permissions: [view]}]}\n")
		fmt.Fprintf(&s, "    dataPermissions:\n")
		fmt.Fprintf(&s, "      - {name: 区域, folder: 区域, groups: [替换组], rules: [%s]}\n", crashRule("华北"))
	}
	writeFile(t, gc.seed, s.String())

	people := func(extra bool) string {
		var b strings.Builder
		b.WriteString("version: 1\nsettings:\n  protectedUsers: [admin@corp.example]\n  maxDeletes: 50%\nusers:\n  - {uniqueId: admin@corp.example, email: admin@corp.example, nick: 管理员}\n")
		n := users
		if extra {
			n = users + crashProjects
		}
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "  - {uniqueId: %s, email: %s, nick: 员工%02d}\n", uid(i), uid(i), i)
		}
		b.WriteString("  - {uniqueId: gone@corp.example, email: gone@corp.example, nick: 离开}\n")
		return b.String()
	}

	// The baseline manages 交叉组, 保持组, 搬家组 and the two roles as
	// the server has them; 替换组 and 清空组 stay unmanaged.
	var b strings.Builder
	b.WriteString("version: 1\nprojects:\n")
	for p := 0; p < crashProjects; p++ {
		fmt.Fprintf(&b, "  - name: 项目%d\n    groups:\n", p)
		fmt.Fprintf(&b, "      - {name: 交叉组, folder: 组, members: %s}\n", list(p, 0, 1, 2, 3))
		fmt.Fprintf(&b, "      - {name: 保持组, description: 原样, members: %s}\n", list(p, 8, 9))
		fmt.Fprintf(&b, "      - {name: 搬家组, folder: 旧, members: %s}\n", list(p, 10))
		fmt.Fprintf(&b, "    roles:\n")
		fmt.Fprintf(&b, "      - {name: 编辑, users: %s, groups: [交叉组, 保持组], resources: [{type: NEW_REPORT, id: 2, permissions: [view, edit]}]}\n", list(p, 1, 2))
	}
	writeFile(t, filepath.Join(gc.baseline, "people.yaml"), people(false))
	writeFile(t, filepath.Join(gc.baseline, "projects.yaml"), b.String())

	var c strings.Builder
	c.WriteString("version: 1\nprojects:\n")
	for p := 0; p < crashProjects; p++ {
		fmt.Fprintf(&c, "  - name: 项目%d\n    members:\n      - {user: admin@corp.example, systemRoles: [admin]}\n", p)
		for k := 0; k < 14; k++ {
			role := "viewer"
			if k%5 == 4 {
				role = "editor"
			}
			fmt.Fprintf(&c, "      - {user: %s, systemRoles: [%s]}\n", m(p, k), role)
		}
		fmt.Fprintf(&c, "      - {user: %s, systemRoles: [viewer]}\n", uid(users+p))
		fmt.Fprintf(&c, "    groups:\n")
		fmt.Fprintf(&c, "      - {name: 替换组, folder: 组, description: 替换, members: %s}\n", list(p, 3, 4, 5))
		fmt.Fprintf(&c, "      - {name: 交叉组, folder: 组, members: %s}\n", list(p, 2, 3, 4, 5))
		fmt.Fprintf(&c, "      - {name: 清空组, folder: 组, description: 已清空, members: []}\n")
		fmt.Fprintf(&c, "      - {name: 保持组, description: 保持, members: %s}\n", list(p, 8, 9))
		fmt.Fprintf(&c, "      - {name: 搬家组, folder: 新, description: 搬家, members: %s}\n", list(p, 10, 11))
		fmt.Fprintf(&c, "      - {name: 新组一, folder: 新, description: 新一, members: [%s, %s]}\n", m(p, 11), m(p, 12))
		fmt.Fprintf(&c, "      - {name: 新组二, members: [%s, %s]}\n", m(p, 13), uid(users+p))
		fmt.Fprintf(&c, "    roles:\n")
		fmt.Fprintf(&c, "      - {name: 阅览, folder: 通用, users: %s, groups: [替换组, 新组一], resources: [{type: NEW_REPORT, id: 1, permissions: [view]}]}\n", list(p, 0, 3))
		fmt.Fprintf(&c, "      - {name: 编辑, users: %s, groups: [交叉组, 清空组, 搬家组], resources: [{type: NEW_REPORT, id: 2, permissions: [view, edit]}]}\n", list(p, 1))
		fmt.Fprintf(&c, "      - {name: 经理, level: 2, users: %s, groups: [新组二, 保持组]}\n", list(p, 4))
		fmt.Fprintf(&c, "    dataPermissions:\n")
		fmt.Fprintf(&c, "      - {name: 区域, folder: 区域, users: %s, groups: [替换组, 新组二], rules: [%s]}\n", list(p, 5), crashRule("华北"))
		fmt.Fprintf(&c, "      - {name: 新数据, groups: [交叉组, 搬家组], rules: [%s]}\n", crashRule("华东"))
	}
	writeFile(t, filepath.Join(gc.change, "people.yaml"), people(true))
	writeFile(t, filepath.Join(gc.change, "projects.yaml"), c.String())
	return gc
}

func crashRule(region string) string {
	return `{connection: 2010, details: [{type: row, tableName: 订单总表, filterType: listFilter, selectType: select, filter: {dim: {field: 地区, dataType: String}, select: [` + region + `]}}]}`
}

// crashKiller serves a simulator and SIGKILLs the apply child at the k-th
// write call: before the server sees it (the write never made), or
// right after it was handled (made, the answer never read).
type crashKiller struct {
	next   http.Handler
	mu     sync.Mutex
	n, k   int
	before bool
	cmd    *exec.Cmd
	killed bool
}

func (h *crashKiller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWrite(r) {
		h.mu.Lock()
		h.n++
		hit := h.k > 0 && h.n == h.k && h.cmd != nil && h.cmd.Process != nil
		if hit && h.before {
			_ = h.cmd.Process.Kill()
			h.killed = true
			h.mu.Unlock()
			http.Error(w, "killed", http.StatusBadGateway)
			return
		}
		h.mu.Unlock()
		h.next.ServeHTTP(w, r)
		if hit {
			h.mu.Lock()
			_ = h.cmd.Process.Kill()
			h.killed = true
			h.mu.Unlock()
		}
		return
	}
	h.next.ServeHTTP(w, r)
}

// arm makes the next child started with start be killed at its k-th
// write call (0: not killed).
func (h *crashKiller) arm(k int, before bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n, h.k, h.before, h.killed, h.cmd = 0, k, before, false, nil
}

// start runs a child whose process the killer may kill, and waits for it.
func (h *crashKiller) start(t *testing.T, env []string, args ...string) (run, bool) {
	t.Helper()
	cmd := binCmd(env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	h.mu.Lock()
	h.cmd = cmd
	err := cmd.Start()
	h.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	h.mu.Lock()
	killed := h.killed
	h.cmd = nil
	h.mu.Unlock()
	r := run{stdout: out.String(), stderr: errb.String()}
	if ee, ok := werr.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	return r, killed
}

func (h *crashKiller) writes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// TestDrill2CrashGroupChange: the apply of a change of group memberships
// (about 100 write calls) is SIGKILLed at seeded random write calls,
// before the server sees the call or right after it made it, and every
// killed apply is resumed (with --force-unlock), and killed again now and
// then, until the plan is empty. The server then holds exactly what a
// kill-free run of the same change left, write-only facets included.
func TestDrill2CrashGroupChange(t *testing.T) {
	needBinary(t)
	gc := genGroupChange(t)
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	type server struct {
		sim   *youdatatest.Server
		h     *crashKiller
		url   string
		state string
	}
	newServer := func(t *testing.T) *server {
		sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, gc.seed), Token: "drill-token"})
		h := &crashKiller{next: sim.Handler()}
		ts := httptest.NewServer(h)
		t.Cleanup(ts.Close)
		return &server{sim: sim, h: h, url: ts.URL, state: filepath.Join(t.TempDir(), "state.json")}
	}
	apply := func(s *server, desired string, extra ...string) []string {
		return append([]string{"apply", "-f", desired, "--auto-approve", "--server", s.url, "--state", s.state, "--rps", "0"}, extra...)
	}
	pl := func(s *server, desired string) []string {
		return []string{"plan", "-f", desired, "--server", s.url, "--state", s.state, "--detailed-exitcode", "--rps", "0"}
	}
	baseline := func(t *testing.T, s *server) {
		t.Helper()
		if r := runBin(t, env, apply(s, gc.baseline)...); r.code != 0 {
			t.Fatalf("baseline apply: %s", r)
		}
		if r := runBin(t, env, pl(s, gc.baseline)...); r.code != 0 {
			t.Fatalf("plan after the baseline: %s", r)
		}
	}

	// The kill-free run: its write calls and its end.
	ref := newServer(t)
	baseline(t, ref)
	ref.h.arm(0, false)
	if r := runBin(t, env, apply(ref, gc.change)...); r.code != 0 {
		t.Fatalf("kill-free apply of the change: %s", r)
	}
	total := ref.h.writes()
	if r := runBin(t, env, pl(ref, gc.change)...); r.code != 0 {
		t.Fatalf("plan after the kill-free apply: %s", r)
	}
	want := ref.sim.Snapshot().Image()
	if total < 80 {
		t.Fatalf("the change makes %d write calls: too few to drill", total)
	}

	const trials = 32
	rnd := rand.New(rand.NewSource(13))
	// Each trial kills the apply at write k, before or after the server
	// handled it; a third of them kill the first resumed apply too, at
	// its write again.
	type trial struct {
		k, again            int
		before, beforeAgain bool
	}
	plans := make([]trial, trials)
	for i := range plans {
		plans[i] = trial{k: 1 + rnd.Intn(total), before: rnd.Intn(2) == 0}
		if rnd.Intn(3) == 0 {
			plans[i].again, plans[i].beforeAgain = 1+rnd.Intn(12), rnd.Intn(2) == 0
		}
	}
	kills, converged, applies := 0, 0, 0
	for i, tr := range plans {
		t.Run(fmt.Sprintf("%02d-k%d", i, tr.k), func(t *testing.T) {
			s := newServer(t)
			baseline(t, s)
			s.h.arm(tr.k, tr.before)
			r, killed := s.h.start(t, env, apply(s, gc.change)...)
			if !killed {
				t.Fatalf("the apply was not killed at write %d: %s", tr.k, r)
			}
			n, runs := 1, 1
			defer func() { kills, applies = kills+n, applies+runs }()
			for attempt := 0; attempt < 4; attempt++ {
				if _, _, err := state.Load(s.state); err != nil {
					t.Fatalf("after a kill the state does not parse: %v", err)
				}
				if attempt == 0 && tr.again > 0 {
					s.h.arm(tr.again, tr.beforeAgain)
				} else {
					s.h.arm(0, false)
				}
				r, killed = s.h.start(t, env, apply(s, gc.change, "--force-unlock")...)
				runs++
				if killed {
					n++
					continue
				}
				if r.code != 0 {
					t.Fatalf("the resumed apply, not killed, failed: %s", r)
				}
				break
			}
			if r := runBin(t, env, pl(s, gc.change)...); r.code != 0 {
				t.Fatalf("plan after the resumed applies: want no changes, got %s", r)
			}
			if d := cmp.Diff(want, s.sim.Snapshot().Image()); d != "" {
				t.Fatalf("the server differs from the kill-free run's (-kill-free +killed):\n%s", d)
			}
			converged++
		})
	}
	t.Logf("crash drill, group change: %d write calls in the change over %d projects; %d trials, %d kills (SIGKILL at seeded random write calls, before or after the server handled them), %d applies; %d/%d trials converged to the kill-free run's server, write-only facets included",
		total, crashProjects, trials, kills, applies, converged, trials)
	if converged != trials {
		t.Errorf("%d of %d trials did not converge to the kill-free run's server", trials-converged, trials)
	}
}
