package quickbi_test

import (
	"bytes"
	"testing"

	"github.com/permsync/permsync/plan/render"
)

// TestExampleConverges applies examples/quickbi/desired to a simulator
// seeded with examples/quickbi/server-before.yaml through the pipeline
// permsync apply runs: every change is applied, and the next plan is
// empty.
func TestExampleConverges(t *testing.T) {
	s := newSim(t, loadSeed(t, exampleSeed))
	d := loadDesired(t, exampleDesired)
	p := s.pipeline(d, nil)
	pl, _ := applyAll(t, p)
	var b bytes.Buffer
	_ = render.Text(&b, pl, render.TextOptions{})
	t.Logf("plan:\n%s", b.String())
	if len(pl.Changes) == 0 {
		t.Fatal("the example's plan is empty: nothing is tested")
	}
	expectEmpty(t, p)
}
