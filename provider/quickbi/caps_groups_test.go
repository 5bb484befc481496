package quickbi_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestGroupDeletesCappedAgainstEveryGroup: settings.maxDeletes caps the
// group deletions as a share of every group on the server, those the
// files keep included. Three groups of twenty deleted are 15%, under a
// cap of 20%: the plan deletes them and refuses nothing.
func TestGroupDeletesCappedAgainstEveryGroup(t *testing.T) {
	var seed, files strings.Builder
	seed.WriteString("groups:\n")
	files.WriteString("version: 1\nprovider: quickbi\nsettings:\n  prune: {groups: true}\n  maxDeletes: 20%\ngroups:\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&seed, "  - {id: g%d, name: 组%d}\n", i, i)
		if i >= 3 {
			fmt.Fprintf(&files, "  - {id: g%d, name: 组%d}\n", i, i)
		}
	}
	s := newSim(t, parseSeed(t, seed.String()))
	pl := mustPlan(t, s.pipeline(desiredFrom(t, map[string]string{"groups.yaml": files.String()}), nil))
	if len(pl.Refusals) > 0 {
		t.Fatalf("refused: %v", pl.RefusalMessages())
	}
	if got := strings.Join(changeIDs(pl), "; "); got != "delete group g0; delete group g1; delete group g2" {
		t.Fatalf("changes %q, want the deletions of g0, g1 and g2", got)
	}
}
