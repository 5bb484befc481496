package export

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// serverIDs matches what differs between two servers holding the same
// content: the ids they gave projects and roles, and the notes on objects
// the first export could not write (which the second server never got).
var serverIDs = regexp.MustCompile(`(?m)^\s*id: \d+\n|\(id \d+\)|^\s*# .* is not exported: .*\n`)

// TestRoundTripThroughApply exports a server, applies the export to an
// empty server (only the same domain admin), and exports that: the files
// are the same, but for the ids the servers gave.
func TestRoundTripThroughApply(t *testing.T) {
	for _, seedPath := range []string{quickstartSeed, fullSeed} {
		t.Run(filepath.Base(filepath.Dir(seedPath)), func(t *testing.T) {
			ctx := context.Background()
			seed, err := youdatatest.LoadSeed(seedPath)
			if err != nil {
				t.Fatal(err)
			}
			_, src := newSim(t, seedPath)
			first, _, _ := exportTo(t, src, SplitByKind)

			// The same admin (who owns the token), without the departments
			// an empty server does not have.
			admin := youdatatest.SeedUser{UniqueID: seed.Admin.UniqueID, Email: seed.Admin.Email, Nick: seed.Admin.Nick}
			empty := youdatatest.New(youdatatest.Options{Seed: &youdatatest.Seed{Admin: &admin}})
			t.Cleanup(empty.Close)
			dst, err := apiclient.New(apiclient.Config{Server: empty.URL(), Credentials: apiclient.Credentials{Token: empty.Token()}, RPS: -1})
			if err != nil {
				t.Fatal(err)
			}
			d, err := spec.Load([]string{first})
			if err != nil {
				t.Fatal(err)
			}
			var refs []youdata.ProjectRef
			for _, p := range d.Projects {
				refs = append(refs, youdata.ProjectRef{Name: p.Name, ID: p.ID})
			}
			live, err := youdata.ReadLive(ctx, dst, refs, youdata.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st := state.New()
			pl, err := youdata.Compute(d, live, st, youdata.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(pl.Refusals) > 0 {
				t.Fatalf("the plan onto the empty server is refused: %v", pl.Refusals)
			}
			res, err := youdata.Apply(ctx, dst, pl, st, youdata.ApplyOptions{TokenUser: empty.TokenUser()})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Changes {
				if c.Status != engine.StatusApplied {
					t.Errorf("%s %s %s: %s %v", c.Change.Action, c.Change.Kind, c.Change.Key, c.Status, c.Err)
				}
			}

			second, _, _ := exportTo(t, dst, SplitByKind)
			a, b := readTree(t, first), readTree(t, second)
			for name := range a {
				a[name] = serverIDs.ReplaceAllString(a[name], "")
			}
			for name := range b {
				b[name] = serverIDs.ReplaceAllString(b[name], "")
			}
			if diffText := cmp.Diff(a, b); diffText != "" {
				t.Errorf("the export of the applied export differs (-first +second):\n%s", diffText)
			}
			if !strings.Contains(a["users.yaml"], "uniqueId:") {
				t.Errorf("nothing compared: %v", a)
			}
		})
	}
}
