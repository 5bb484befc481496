package quickbi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/render"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/state"
)

// The golden plan cases live in testdata/plan/<case>/:
//
//	desired/*.yaml  the files (provider: quickbi)
//	live.yaml       the simulator's seed: the organization as it is
//	state.json      optional: the state of what permsync last applied
//	options.json    optional: {"allow_mass_delete": bool, "token_user": "account"}
//	plan.txt        golden: render.Text, no colour
//	plan.json       golden: render.JSON
//	error.txt       golden, instead of the plans: the error of Compute
//
// go test ./provider/quickbi -run TestPlanGolden -update rewrites them.
const planCasesDir = "testdata/plan"

var update = flag.Bool("update", false, "rewrite the golden files")

// planCaseOptions is a case's options.json.
type planCaseOptions struct {
	AllowMassDelete bool `json:"allow_mass_delete"`
	// TokenUser replaces the simulator's admin as the member behind the
	// credentials ("" for unknown).
	TokenUser *string `json:"token_user"`
}

// readGolden reads the organization as plan does, in small pages so
// that every case also pages.
func readGolden(ctx context.Context, s *sim, q *quickbi.ReadScope, tokenUser string) (*quickbi.Live, error) {
	return quickbi.ReadLive(ctx, s.client, *q, tokenUser, quickbi.ReadOptions{PageSize: 2})
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
	d := loadDesired(t, filepath.Join(dir, "desired"))
	var st *state.State
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err == nil {
		st, _, err = state.Load(filepath.Join(dir, "state.json"))
		if err != nil {
			t.Fatal(err)
		}
	}
	s := newSim(t, loadSeed(t, filepath.Join(dir, "live.yaml")))
	tokenUser := adminAccount(s)
	if opts.TokenUser != nil {
		tokenUser = *opts.TokenUser
	}
	scope := quickbi.ScopeOf(d.QuickBI)
	if st != nil {
		scope = quickbi.KnownScope(scope, st) // as the engine reads
	}
	live, err := readGolden(ctx, s, &scope, tokenUser)
	if err != nil {
		t.Fatalf("reading the simulator: %v", err)
	}
	dopts := diff.Options{AllowMassDelete: opts.AllowMassDelete}
	p, err := quickbi.Compute(d, live, st, dopts)
	if _, statErr := os.Stat(filepath.Join(dir, "error.txt")); statErr == nil || (*update && err != nil) {
		if err == nil {
			t.Fatalf("Compute succeeded; error.txt wants it to fail")
		}
		var pe *diff.PlanError
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
		t.Fatalf("Compute: %v", err)
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
	p2, err := quickbi.Compute(d, live, st, dopts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustMarshal(t, p), mustMarshal(t, p2); !bytes.Equal(a, b) {
		t.Errorf("two computations of the same plan differ:\n%s", cmp.Diff(string(a), string(b)))
	}
	checkPlanInvariants(t, p)
}

// checkPlanInvariants checks what holds for every plan: After on all but
// deletes, Before on all but creates, a new state on all but deletes, a
// reason and a phase for each.
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
			if c.Before == nil || c.After == nil || c.NewState == nil {
				t.Errorf("%s: before %v, after %v, new state %v", id, c.Before, c.After, c.NewState)
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
		if c.Phase != quickbi.Registry.Phase(c) && !(c.Kind == quickbi.KindMember && c.Phase == quickbi.PhaseDeleteUsers) && !(c.Kind == quickbi.KindUser && c.Phase == quickbi.PhaseLoweredUsers) {
			t.Errorf("%s: phase %d", id, c.Phase)
		}
		if (c.Kind == quickbi.KindMember || c.Kind == quickbi.KindDataLevel || c.Kind == quickbi.KindRule) && c.Scope == "" {
			t.Errorf("%s: no scope", id)
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
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}
