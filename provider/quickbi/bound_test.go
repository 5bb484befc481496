package quickbi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/state"
)

// TestCallsAtBound applies the example and every golden case whose plan
// applies, and compares the calls made with the bounds: the read makes
// exactly ReadBound's calls, and the apply WriteBound's, action by
// action (the two group-member actions counted together).
func TestCallsAtBound(t *testing.T) {
	type tc struct{ name, seed, desired, state string }
	cases := []tc{{"example", exampleSeed, exampleDesired, ""}}
	entries, err := os.ReadDir(planCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir := filepath.Join(planCasesDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "error.txt")); err == nil {
			continue
		}
		stPath := filepath.Join(dir, "state.json")
		if _, err := os.Stat(stPath); err != nil {
			stPath = ""
		}
		cases = append(cases, tc{e.Name(), filepath.Join(dir, "live.yaml"), filepath.Join(dir, "desired"), stPath})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := newSim(t, loadSeed(t, c.seed))
			d := loadDesired(t, c.desired)
			var st *state.State
			scope := quickbi.ScopeOf(d.QuickBI)
			if c.state != "" {
				var err error
				if st, _, err = state.Load(c.state); err != nil {
					t.Fatal(err)
				}
				scope = quickbi.KnownScope(scope, st)
			}
			p := s.pipeline(d, st)
			p.AllowMassDelete = true
			s.ResetCalls()
			live, err := p.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rb := quickbi.ReadBound(live.(*quickbi.Live), scope); rb.Total() != s.TotalCalls() {
				t.Errorf("read: %d calls (%v), ReadBound %d (%v)", s.TotalCalls(), s.Calls(), rb.Total(), rb)
			}
			pl := mustPlan(t, p)
			if len(pl.Refusals) > 0 && !pl.Refusals[0].Liftable() {
				t.Skipf("refused: %v", pl.RefusalMessages())
			}
			res, err := p.Apply(ctx, pl, engine.ApplyOptions{MaxRounds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed()+res.Skipped() > 0 {
				t.Fatalf("%d failed, %d skipped", res.Failed(), res.Skipped())
			}
			got, want := quickbi.Calls(res.Calls).Merged(), quickbi.WriteBound(pl)
			if got.String() != want.String() {
				t.Errorf("writes %v, WriteBound %v", got, want)
			}
			noRefusedCalls(t, s)
		})
	}
}
