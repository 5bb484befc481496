package drill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// binPath is the permsync binary built once for the drills that run it as
// a child process; binErr says why it could not be built.
var (
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "permsync-drill-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "permsync")
	cmd := exec.Command("go", "build", "-o", binPath, "../cmd/permsync")
	if out, err := cmd.CombinedOutput(); err != nil {
		binErr = fmt.Errorf("go build ../cmd/permsync: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBinary fails a drill that runs permsync as a child process when the
// binary could not be built: a drill skipped in CI would prove nothing.
func needBinary(t *testing.T) {
	t.Helper()
	if binErr != nil {
		t.Fatalf("the permsync binary could not be built, so this drill cannot run: %v", binErr)
	}
}

// run is the outcome of one permsync child process.
type run struct {
	code           int
	stdout, stderr string
}

func (r run) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// runBin runs the permsync binary with args and the given environment
// (added to a minimal one: no PERMSYNC_* from the caller's).
func runBin(t *testing.T, env []string, args ...string) run {
	t.Helper()
	cmd := binCmd(env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("permsync %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func binCmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}, env...)
	return cmd
}

// readEndpoints are the endpoints that change nothing.
var readEndpoints = map[string]bool{"user/getAllUsers": true, "project/list": true, "projectUser/list": true,
	"role/list": true, "user/permissions": true, "systemRole/list": true, "util/genToken": true, "util/renewToken": true}

func isWrite(r *http.Request) bool {
	return !readEndpoints[strings.TrimPrefix(r.URL.Path, youdatatest.PathPrefix)]
}

// company is a generated company: desired files and the server before.
type company struct {
	dir     string // holds desired/ and seed.yaml
	desired string
	seed    string
	users   int
}

// medium is the size of the "medium company" of the drills: users in the
// domain, spread over two projects. -short halves it.
func medium() int {
	if testing.Short() {
		return 60
	}
	return 120
}

// genCompany writes a company of n users: the desired state (departments,
// users, two projects with members, groups, roles bound to users, groups
// and departments, a row permission) and a server that has drifted from it
// (a third of the users missing, nicks out of date, a leaver still in a
// project and a role, groups and roles missing or with other holders).
func genCompany(t *testing.T, n int) *company {
	t.Helper()
	dir := t.TempDir()
	c := &company{dir: dir, desired: filepath.Join(dir, "desired"), seed: filepath.Join(dir, "seed.yaml"), users: n}
	depts := []string{"D0", "D1", "D2", "D3"}
	uid := func(i int) string { return fmt.Sprintf("u%03d@corp.example", i) }
	inProject := func(p, i int) bool {
		if p == 0 {
			return i%2 == 0
		}
		return i%3 == 0
	}

	var d strings.Builder
	d.WriteString("version: 1\nsettings:\n  protectedUsers: [admin@corp.example]\n  maxDeletes: 50%\n  strictUsers: true\n")
	d.WriteString("orgs:\n  company: 演练公司\n  departments:\n    - {code: HQ, name: 总部}\n")
	for _, dep := range depts {
		fmt.Fprintf(&d, "    - {code: %s, name: 部门%s, parent: HQ}\n", dep, dep)
	}
	d.WriteString("users:\n  - {uniqueId: admin@corp.example, email: admin@corp.example, nick: 管理员, orgs: [{code: HQ}]}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&d, "  - {uniqueId: %s, email: %s, nick: 员工%03d, position: 职员, orgs: [{code: %s}]}\n", uid(i), uid(i), i, depts[i%len(depts)])
	}
	d.WriteString("projects:\n")
	for p := 0; p < 2; p++ {
		var members []int
		for i := 0; i < n; i++ {
			if inProject(p, i) {
				members = append(members, i)
			}
		}
		fmt.Fprintf(&d, "  - name: 项目%d\n    members:\n      - {user: admin@corp.example, systemRoles: [admin]}\n", p)
		for k, i := range members {
			role := "viewer"
			if k%7 == 0 {
				role = "editor"
			}
			fmt.Fprintf(&d, "      - {user: %s, systemRoles: [%s]}\n", uid(i), role)
		}
		d.WriteString("    groups:\n")
		for g := 0; g < 3; g++ {
			fmt.Fprintf(&d, "      - name: 组%d\n        folder: 组\n        members: [", g)
			first := true
			for k, i := range members {
				if k%3 == g {
					if !first {
						d.WriteString(", ")
					}
					first = false
					d.WriteString(uid(i))
				}
			}
			d.WriteString("]\n")
		}
		d.WriteString("    roles:\n")
		fmt.Fprintf(&d, "      - name: 阅览\n        folder: 通用\n        users: [%s]\n        groups: [组0]\n", joinUsers(uid, members[:5]))
		d.WriteString("      - name: 编辑\n        folder: 通用\n        groups: [组1, 组2]\n")
		d.WriteString("      - name: 部门阅览\n        orgs: [D1, D2]\n")
		fmt.Fprintf(&d, "      - name: 经理\n        level: 2\n        users: [%s]\n", joinUsers(uid, members[5:10]))
		d.WriteString(`    dataPermissions:
      - name: 区域数据
        folder: 区域
        groups: [组0]
        users: [` + joinUsers(uid, members[10:14]) + `]
        rules:
          - connection: 2010
            details:
              - type: row
                tableName: 订单总表
                filterType: listFilter
                selectType: select
                filter:
                  dim: {field: 地区, dataType: String}
                  select: [华北]
`)
	}
	if err := os.MkdirAll(c.desired, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(c.desired, "company.yaml"), d.String())

	var s strings.Builder
	s.WriteString("version: 1\nadmin: {uniqueId: admin@corp.example, email: admin@corp.example, nick: 管理员, orgs: [{code: HQ}]}\n")
	s.WriteString("orgs:\n  company: 演练公司\n  departments:\n    - {code: HQ, name: 总部}\n")
	for _, dep := range depts {
		fmt.Fprintf(&s, "    - {code: %s, name: 部门%s, parent: HQ}\n", dep, dep)
	}
	s.WriteString("users:\n  - {uniqueId: leaver@corp.example, email: leaver@corp.example, nick: 离职, left: true}\n")
	exists := func(i int) bool { return i%3 != 1 }
	for i := 0; i < n; i++ {
		if !exists(i) {
			continue
		}
		nick := fmt.Sprintf("员工%03d", i)
		if i%5 == 0 {
			nick = "旧名" + nick
		}
		fmt.Fprintf(&s, "  - {uniqueId: %s, email: %s, nick: %s, position: 职员, orgs: [{code: %s}]}\n", uid(i), uid(i), nick, depts[i%len(depts)])
	}
	s.WriteString("projects:\n")
	for p := 0; p < 2; p++ {
		var members []int
		for i := 0; i < n; i++ {
			if inProject(p, i) && exists(i) && i%4 != 0 {
				members = append(members, i)
			}
		}
		fmt.Fprintf(&s, "  - name: 项目%d\n    members:\n      - {user: admin@corp.example, systemRoles: [admin]}\n      - {user: leaver@corp.example, systemRoles: [viewer]}\n", p)
		for _, i := range members {
			fmt.Fprintf(&s, "      - {user: %s, systemRoles: [viewer]}\n", uid(i))
		}
		fmt.Fprintf(&s, "    groups:\n      - {name: 组0, folder: 组, members: [%s]}\n", joinUsers(uid, members[:4]))
		fmt.Fprintf(&s, "    roles:\n      - {name: 阅览, folder: 通用, users: [leaver@corp.example, %s]}\n", joinUsers(uid, members[:2]))
	}
	writeFile(t, c.seed, s.String())
	return c
}

func joinUsers(uid func(int) string, is []int) string {
	var out []string
	for _, i := range is {
		out = append(out, uid(i))
	}
	return strings.Join(out, ", ")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newSim starts a simulator seeded from path.
func newSim(t *testing.T, seedPath string, opts youdatatest.Options) *youdatatest.Server {
	t.Helper()
	seed, err := youdatatest.LoadSeed(seedPath)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	opts.Seed = seed
	s := youdatatest.New(opts)
	t.Cleanup(s.Close)
	return s
}

// counters count what a client did: attempts retried and calls.
type counters struct {
	mu      sync.Mutex
	retries int
	renewed int
}

func (c *counters) logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case strings.Contains(msg, "retrying in"):
		c.retries++
	case strings.Contains(msg, "renewing"):
		c.renewed++
	}
}

func (c *counters) get() (retries, renewed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retries, c.renewed
}

// newClient is a client on sim with the drills' limits: no rate limit,
// short retry delays, and the given timeout.
func newClient(t *testing.T, sim *youdatatest.Server, timeout time.Duration, cnt *counters) *apiclient.Client {
	t.Helper()
	return newClientAt(t, sim.URL(), sim.Token(), timeout, cnt)
}

// newClientAt is newClient on a server at url (a simulator served behind
// a handler of the drill's own).
func newClientAt(t *testing.T, url, token string, timeout time.Duration, cnt *counters) *apiclient.Client {
	t.Helper()
	cfg := apiclient.Config{
		Server:      url,
		Credentials: apiclient.Credentials{Token: token},
		RPS:         -1,
		Concurrency: 4,
		Timeout:     timeout,
		Retry:       apiclient.RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: 10 * time.Second},
	}
	if cnt != nil {
		cfg.Logf = cnt.logf
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// planner plans a company against a server and a state in memory.
type planner struct {
	t       *testing.T
	api     apiclient.API
	desired *spec.Desired
	user    string
}

func (p *planner) plan(ctx context.Context, st *state.State) (*plan.Plan, error) {
	var refs []youdata.ProjectRef
	for _, pr := range p.desired.Projects {
		refs = append(refs, youdata.ProjectRef{Name: pr.Name, ID: pr.ID})
	}
	live, err := youdata.ReadLive(ctx, p.api, refs, youdata.ReadOptions{TokenUser: p.user})
	if err != nil {
		return nil, err
	}
	return youdata.Compute(p.desired, live, st, youdata.Options{})
}

// grants lists every permission a server state gives: project members
// and their system roles, group members, and the users, groups and
// departments bound to roles and row permissions.
func grants(st *youdatatest.State) map[string]bool {
	out := map[string]bool{}
	for _, p := range st.Projects {
		for u, m := range p.Members {
			out["member "+p.Name+" "+u] = true
			for _, sr := range m.SystemRoles {
				out[fmt.Sprintf("systemRole %s %s %d", p.Name, u, sr)] = true
			}
		}
		groupNames := map[int64]string{}
		for _, g := range p.Groups {
			groupNames[g.ID] = g.Name
			for _, u := range g.Members {
				out["group "+p.Name+"/"+g.Name+" "+u] = true
			}
		}
		for _, r := range p.Roles {
			for u := range r.Users {
				out[fmt.Sprintf("role %s/%s user %s", p.Name, r.Name, u)] = true
			}
			for g := range r.Groups {
				out[fmt.Sprintf("role %s/%s group %s", p.Name, r.Name, groupNames[g])] = true
			}
			for o := range r.Orgs {
				out[fmt.Sprintf("role %s/%s org %s", p.Name, r.Name, o)] = true
			}
		}
	}
	return out
}

// unaskedGrants lists the grants of got found neither before nor in the
// desired end state.
func unaskedGrants(got, before, desired map[string]bool) []string {
	var out []string
	for g := range got {
		if before[g] || desired[g] {
			continue
		}
		// The server makes anyone it binds in a project a viewer member
		// (system role 3) on the way: no more than membership, which the
		// desired state grants.
		if rest, ok := strings.CutPrefix(g, "systemRole "); ok && strings.HasSuffix(rest, " 3") {
			if desired["member "+strings.TrimSuffix(rest, " 3")] {
				continue
			}
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// grantWatch serves a simulator and, after every write call it handled,
// compares the server's grants with those of before and of the desired
// end state: a grant outside both, even one a later call takes back, is
// recorded.
type grantWatch struct {
	sim             *youdatatest.Server
	before, desired map[string]bool
	mu              sync.Mutex
	writes          int
	unasked         map[string]int // grant → the write call after which it was first seen
}

func (g *grantWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.sim.Handler().ServeHTTP(w, r)
	if !isWrite(r) {
		return
	}
	got := grants(g.sim.Snapshot())
	g.mu.Lock()
	defer g.mu.Unlock()
	g.writes++
	for _, u := range unaskedGrants(got, g.before, g.desired) {
		if _, ok := g.unasked[u]; !ok {
			g.unasked[u] = g.writes
		}
	}
}

// report lists the grants seen outside the desired state, sorted, and the
// write calls checked.
func (g *grantWatch) report() ([]string, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.unasked))
	for u, n := range g.unasked {
		out = append(out, fmt.Sprintf("%s (after write call %d)", u, n))
	}
	sort.Strings(out)
	return out, g.writes
}
