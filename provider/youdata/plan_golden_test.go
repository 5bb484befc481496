package youdata_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/render"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// The golden plan cases live in testdata/plan/<case>/:
//
//	desired/*.yaml  the desired state (permsync's format)
//	live.yaml       the simulator's seed: the server as it is
//	state.json      optional: the state of what permsync last applied
//	applied/*.yaml  optional, instead of state.json: the files as last
//	                applied; the state is what applying their plan against
//	                the same server records (fingerprints and values)
//	options.json    optional: {"allow_mass_delete": bool, "token_user": "uid"}
//	plan.txt        golden: render.Text, no colour
//	plan.json       golden: render.JSON
//	error.txt       golden, instead of the plans: the error of diff.Compute
//
// go test ./reconcile -run TestPlanGolden -update rewrites the goldens.
const planCasesDir = "testdata/plan"

func init() {
	// -update is shared with the other golden tests of this package; it is
	// registered here only when no other file of the test binary did.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files")
	}
}

// updateGoldens reports whether -update was given.
func updateGoldens() bool {
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, _ := g.Get().(bool)
	return b
}

// planCaseOptions is a case's options.json.
type planCaseOptions struct {
	AllowMassDelete bool `json:"allow_mass_delete"`
	// TokenUser replaces the simulator's token user (its admin).
	TokenUser *string `json:"token_user"`
}

// goldenSim starts a simulator seeded from seedPath and a client on it that
// neither rate-limits nor waits long between retries.
func goldenSim(t *testing.T, seedPath string) (*youdatatest.Server, apiclient.API) {
	t.Helper()
	seed, err := youdatatest.LoadSeed(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	t.Cleanup(sim.Close)
	c, err := apiclient.New(apiclient.Config{
		Server:      sim.URL(),
		Credentials: apiclient.Credentials{Token: sim.Token()},
		RPS:         -1,
		Retry:       apiclient.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// goldenProjectRefs are the projects the desired files name.
func goldenProjectRefs(d *spec.Desired) []youdata.ProjectRef {
	var refs []youdata.ProjectRef
	for _, p := range d.Projects {
		refs = append(refs, youdata.ProjectRef{Name: p.Name, ID: p.ID})
	}
	return refs
}

// planAgainst reads the server and computes the plan, as permsync plan
// does. A failed read returns the read's error and no plan.
func planAgainst(ctx context.Context, r apiclient.Reader, d *spec.Desired, tokenUser string, st *state.State, opts youdata.Options) (*youdata.Live, *plan.Plan, error) {
	// Small pages, so that every case also pages.
	live, err := youdata.ReadLive(ctx, r, goldenProjectRefs(d), youdata.ReadOptions{TokenUser: tokenUser, PageSize: 3})
	if err != nil {
		return nil, nil, err
	}
	p, err := youdata.Compute(d, live, st, opts)
	if err != nil {
		return live, nil, err
	}
	return live, p, nil
}

func TestPlanGolden(t *testing.T) {
	entries, err := os.ReadDir(planCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		dir := filepath.Join(planCasesDir, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			runPlanCase(t, dir)
		})
	}
	if n < 20 {
		t.Errorf("%d golden plan cases, want at least 20", n)
	}
}

func runPlanCase(t *testing.T, dir string) {
	ctx := context.Background()
	var opts planCaseOptions
	if b, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opts); err != nil {
			t.Fatalf("options.json: %v", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}

	d, err := spec.Load([]string{filepath.Join(dir, "desired")})
	if err != nil {
		t.Fatalf("desired: %v", err)
	}
	sim, client := goldenSim(t, filepath.Join(dir, "live.yaml"))
	tokenUser := sim.TokenUser()
	if opts.TokenUser != nil {
		tokenUser = *opts.TokenUser
	}
	dopts := youdata.Options{AllowMassDelete: opts.AllowMassDelete}
	var st *state.State
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err == nil {
		st, _, err = state.Load(filepath.Join(dir, "state.json"))
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "applied")); err == nil {
		st = appliedState(ctx, t, client, filepath.Join(dir, "applied"), tokenUser)
	}

	live, p, err := planAgainst(ctx, client, d, tokenUser, st, dopts)
	if live == nil {
		t.Fatalf("reading the simulator: %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "error.txt")); statErr == nil || (updateGoldens() && err != nil) {
		if err == nil {
			t.Fatalf("diff.Compute succeeded; error.txt wants it to fail")
		}
		var pe *youdata.PlanError
		if !errors.As(err, &pe) {
			t.Errorf("error %T is not a *diff.PlanError", err)
		}
		compareGolden(t, filepath.Join(dir, "error.txt"), []byte(err.Error()+"\n"))
		for _, name := range []string{"plan.txt", "plan.json"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Errorf("%s exists in a case whose plan fails", name)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("diff.Compute: %v", err)
	}

	var txt, js bytes.Buffer
	if err := render.Text(&txt, p, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := render.JSON(&js, p, render.JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join(dir, "plan.txt"), txt.Bytes())
	compareGolden(t, filepath.Join(dir, "plan.json"), js.Bytes())

	// Deterministic: the same inputs give a byte-identical plan.
	p2, err := youdata.Compute(d, live, st, dopts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustMarshal(t, p), mustMarshal(t, p2); !bytes.Equal(a, b) {
		t.Errorf("two computations of the same plan differ:\n%s", cmp.Diff(string(a), string(b)))
	}
	checkPlanInvariants(t, p)
}

// appliedState is the state applying the files in dir to the server
// records: every change's new state, the values of write-only facets
// included.
func appliedState(ctx context.Context, t *testing.T, r apiclient.Reader, dir, tokenUser string) *state.State {
	t.Helper()
	d, err := spec.Load([]string{dir})
	if err != nil {
		t.Fatalf("applied: %v", err)
	}
	_, p, err := planAgainst(ctx, r, d, tokenUser, nil, youdata.Options{})
	if err != nil {
		t.Fatalf("applied: %v", err)
	}
	if len(p.Refusals) > 0 {
		t.Fatalf("applied: the plan is refused: %v", p.RefusalMessages())
	}
	st := state.New()
	for _, c := range p.Changes {
		c.Record(st)
	}
	return st
}

// checkPlanInvariants checks what holds for every plan: no no-ops among
// the changes, After on everything but deletes, Before on everything but
// creates, and no creates or updates without a new state.
func checkPlanInvariants(t *testing.T, p *plan.Plan) {
	t.Helper()
	for _, c := range p.Changes {
		id := fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Key)
		switch c.Action {
		case plan.Create:
			if c.Before != nil || c.After == nil || c.NewState == nil {
				t.Errorf("%s: before %v, after %v, new state %v", id, c.Before, c.After, c.NewState)
			}
		case plan.Update, plan.Replace:
			if c.Before == nil || c.After == nil || c.NewState == nil || len(c.Changed()) == 0 && c.Action == plan.Update && c.Kind != youdata.KindProject {
				t.Errorf("%s: before %v, after %v, new state %v, changed %v", id, c.Before, c.After, c.NewState, c.Changed())
			}
		case plan.Delete:
			if c.Before == nil || c.After != nil || c.NewState != nil {
				t.Errorf("%s: before %v, after %v, new state %v", id, c.Before, c.After, c.NewState)
			}
		default:
			t.Errorf("%s: unexpected action", id)
		}
		if c.Reason == "" {
			t.Errorf("%s: no reason", id)
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compareGolden compares got with the golden file, or rewrites it with
// -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updateGoldens() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestPlanAbortsOnFailedRead shows that a read that fails aborts the plan
// with its cause: it is never taken to mean that the object is absent.
func TestPlanAbortsOnFailedRead(t *testing.T) {
	dir := filepath.Join(planCasesDir, "converged")
	d, err := spec.Load([]string{filepath.Join(dir, "desired")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		endpoint string
		want     string // in the error
	}{
		{"user/permissions", "read permissions of"},
		{"projectUser/list", "read members of project"},
		{"user/getAllUsers", "read users"},
		{"role/list", "read "},
		{"systemRole/list", "read system roles"},
		{"project/list", "read projects"},
	} {
		t.Run(strings.ReplaceAll(tc.endpoint, "/", "_"), func(t *testing.T) {
			t.Parallel()
			sim, client := goldenSim(t, filepath.Join(dir, "live.yaml"))
			sim.SetFaults(tc.endpoint, youdatatest.Fault{Permanent: true})
			live, p, err := planAgainst(context.Background(), client, d, sim.TokenUser(), nil, youdata.Options{})
			if err == nil {
				t.Fatalf("no error; plan %+v", p)
			}
			if live != nil || p != nil {
				t.Errorf("a failed read gave live %v and plan %v; want neither", live != nil, p != nil)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			var ae *apiclient.APIError
			if !errors.As(err, &ae) {
				t.Errorf("error %q does not wrap the server's answer (%T)", err, err)
			}
			if sim.Calls()[tc.endpoint] == 0 {
				t.Errorf("%s was never called", tc.endpoint)
			}
		})
	}

	// The same server without the fault plans fine: the failure above was
	// the fault's, not the case's.
	sim, client := goldenSim(t, filepath.Join(dir, "live.yaml"))
	if _, _, err := planAgainst(context.Background(), client, d, sim.TokenUser(), nil, youdata.Options{}); err != nil {
		t.Fatal(err)
	}
}
