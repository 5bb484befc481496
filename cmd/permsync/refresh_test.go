package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// TestApplyRecordsReadsAndPlanRefreshesWhatChanged: an apply records
// what its reads and its verify found, and writes the state whole (no
// journal left); a plan with --refresh=changed then reads no member and
// says so; a full plan reads them all and says nothing more.
func TestApplyRecordsReadsAndPlanRefreshesWhatChanged(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	statePath := filepath.Join(filepath.Dir(desired), ".permsync", "state.json")
	code, stdout, stderr := runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--auto-approve")
	if code != exitOK || !strings.Contains(stdout, "Verifying: reading again what the apply wrote") {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(state.JournalPath(statePath)); !os.IsNotExist(err) {
		t.Errorf("the apply left its journal: %v", err)
	}
	st, _, err := state.Load(statePath)
	if err != nil || len(st.Reads) == 0 {
		t.Fatalf("state after apply: %d read records, %v", len(st.Reads), err)
	}

	sim.ResetCalls()
	code, stdout, stderr = runCmd(t, vars, "plan", "-f", desired, "--server", sim.URL(), "--refresh=changed", "--detailed-exitcode")
	if code != exitOK || !strings.Contains(stdout, "refresh=changed: ") {
		t.Fatalf("plan --refresh=changed: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := sim.Calls()["user/permissions"]; n != 0 {
		t.Errorf("plan --refresh=changed read %d members, want none: nothing changed", n)
	}

	sim.ResetCalls()
	code, stdout, stderr = runCmd(t, vars, "plan", "-f", desired, "--server", sim.URL(), "--detailed-exitcode")
	if code != exitOK || strings.Contains(stdout, "refresh=") {
		t.Fatalf("full plan: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := sim.Calls()["user/permissions"]; n == 0 {
		t.Error("the full plan read no member")
	}
}

// TestVerifyFlag: --verify takes changed (and true, and no value), full
// and false, as it was a boolean before.
func TestVerifyFlag(t *testing.T) {
	for _, tc := range []struct {
		arg, want string
		code      int
	}{
		{"--verify", "Verifying: reading again what the apply wrote", exitOK},
		{"--verify=true", "Verifying: reading again what the apply wrote", exitOK},
		{"--verify=full", "Verifying: planning again against the server", exitOK},
		{"--verify=false", "", exitOK},
		{"--verify=sometimes", "", exitError},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			sim, vars, desired := quickstartServer(t)
			code, stdout, stderr := runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--auto-approve", "--rps", "0", tc.arg)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
			if tc.code != exitOK {
				return
			}
			if tc.want == "" && strings.Contains(stdout, "Verifying") || tc.want != "" && !strings.Contains(stdout, tc.want) {
				t.Errorf("want %q in the output:\n%s", tc.want, stdout)
			}
		})
	}
}

// inFlight serves a simulator and holds every user/permissions call until
// limit of them are in flight (or a while has passed), counting the most
// in flight at once.
type inFlight struct {
	next  http.Handler
	limit int

	mu      sync.Mutex
	now     int
	max     int
	opened  bool
	release chan struct{}
}

func (h *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/user/permissions") {
		h.next.ServeHTTP(w, r)
		return
	}
	h.mu.Lock()
	h.now++
	h.max = max(h.max, h.now)
	if h.now >= h.limit && !h.opened {
		h.opened = true
		time.AfterFunc(100*time.Millisecond, func() { close(h.release) })
	}
	h.mu.Unlock()
	select {
	case <-h.release:
	case <-time.After(3 * time.Second):
	}
	h.next.ServeHTTP(w, r)
	h.mu.Lock()
	h.now--
	h.mu.Unlock()
}

// TestPlanReadsFollowConcurrency: plan keeps --concurrency reads in flight
// in a project of many members, and no more.
func TestPlanReadsFollowConcurrency(t *testing.T) {
	seed := &youdatatest.Seed{}
	var members strings.Builder
	sp := youdatatest.SeedProject{Name: "大项目"}
	for i := 0; i < 60; i++ {
		uid := fmt.Sprintf("u%02d@example.com", i)
		seed.Users = append(seed.Users, youdatatest.SeedUser{UniqueID: uid})
		sp.Members = append(sp.Members, youdatatest.SeedMember{User: uid, SystemRoles: []string{"viewer"}})
		fmt.Fprintf(&members, "      - {user: %s, systemRoles: [viewer]}\n", uid)
	}
	seed.Projects = []youdatatest.SeedProject{sp}
	sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: seed, Token: "t"})
	h := &inFlight{next: sim.Handler(), limit: 12, release: make(chan struct{})}
	ts := httptest.NewServer(h)
	defer ts.Close()
	dir := t.TempDir()
	files := filepath.Join(dir, "desired.yaml")
	doc := "version: 1\nprojects:\n  - name: 大项目\n    members:\n      - {user: admin, systemRoles: [admin]}\n" + members.String()
	if err := os.WriteFile(files, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, map[string]string{apiclient.EnvToken: "t"}, "plan", "-f", files, "--server", ts.URL, "--rps", "0", "--concurrency", "12")
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s%s", code, stdout, stderr)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.max != 12 {
		t.Errorf("at most %d user/permissions in flight, want --concurrency's 12", h.max)
	}
}

// TestReassertingKeepsRefresh: run --reassert-every wraps the provider;
// over Youdata and Quick BI the wrapper still narrows its reads
// (provider.Refresher), over Youdata it reads with the state
// (engine.StateReader), so that a run refreshes what changed; over a
// provider that cannot narrow, it does not claim to.
func TestReassertingKeepsRefresh(t *testing.T) {
	yd := reasserting(&reassertingProvider{Provider: youdata.New(youdata.Config{}), every: time.Hour, now: time.Now})
	if _, ok := yd.(provider.Refresher); !ok {
		t.Error("over Youdata: not a provider.Refresher, so run --reassert-every reads everything every run")
	}
	if _, ok := yd.(engine.StateReader); !ok {
		t.Error("over Youdata: not an engine.StateReader")
	}
	if _, ok := reasserting(&reassertingProvider{Provider: quickbi.New(quickbi.Config{}), every: time.Hour, now: time.Now}).(provider.Refresher); !ok {
		t.Error("over Quick BI: not a provider.Refresher")
	}
	fake := reasserting(&reassertingProvider{Provider: &fakeProvider{}, every: time.Hour, now: time.Now})
	if _, ok := fake.(provider.Refresher); ok {
		t.Error("over a provider that cannot narrow its reads: a provider.Refresher")
	}
}

// TestQuickBIRefreshChanged: over Quick BI, apply --refresh=changed with
// no state reads every member's tag values (no record says they match),
// verifies what it wrote and converges, and the state records a read of
// each.
func TestQuickBIRefreshChanged(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "state.json")
	code, stdout, stderr := runCmd(t, nil, "apply", "--simulator", quickbiBefore, "-f", quickbiDesired, "--state", statePath,
		"--auto-approve", "--refresh=changed", "--verify=changed")
	if code != exitOK {
		t.Fatalf("apply exit %d\n%s%s", code, stdout, stderr)
	}
	read := regexp.MustCompile(`refresh=changed: (\d+) of (\d+) units read \((\d+) whose files changed or with no record`).FindStringSubmatch(stdout)
	if read == nil || read[1] != read[2] || read[1] != read[3] || read[1] == "0" {
		t.Fatalf("a plan without records does not say it read every unit: %q\n%s", read, stdout)
	}
	if !strings.Contains(stdout, "No changes. The server matches the desired state.") {
		t.Errorf("the verify did not find the server matching:\n%s", stdout)
	}
	st, _, err := state.Load(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strconv.Itoa(len(st.Reads)); n != read[2] {
		t.Errorf("the state records %s reads, want the %s units", n, read[2])
	}
}

// TestQuickBIRunKeepsReadRecords: a run of the Quick BI provider records
// the tag values it read, and a run with nothing to change changes no
// object of the state.
func TestQuickBIRunKeepsReadRecords(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "state.json")
	logs, stop := startRun(t, nil, "-f", quickbiDesired, "--simulator", quickbiBefore, "--schedule", "@every 1s",
		"--state", statePath, "--log-format", "json", "--jitter", "0")
	if first := logs.next(t, "run finished"); first["result"] != "success" {
		t.Fatalf("first run: %v", first)
	}
	before, _, err := state.Load(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Reads) == 0 {
		t.Error("the first run recorded no read")
	}
	if second := logs.next(t, "run finished"); second["result"] != "success" {
		t.Fatalf("second run: %v", second)
	}
	if c := stop(); c != exitOK {
		t.Errorf("exit code = %d\n%s", c, logs)
	}
	after, _, err := state.Load(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before.Objects, after.Objects); d != "" {
		t.Errorf("a run with nothing to change changed the state's objects:\n%s", d)
	}
	if len(after.Reads) != len(before.Reads) {
		t.Errorf("the second run left %d read records, the first %d", len(after.Reads), len(before.Reads))
	}
}
