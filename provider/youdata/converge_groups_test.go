package youdata_test

import (
	"context"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

// A group/add whose answer is lost in the first round (the server made
// the group) leaves a pending mark; the next round plans the group's
// replace, which deletes only what that create left, by the path it
// named. Converge allows it: the approved plan created the group there.
func TestConvergeRecoversLostGroupCreate(t *testing.T) {
	e := quickstart(t)
	const key = "销售分析/华东销售组"
	e.sim.SetFaults("group/add", youdatatest.Fault{Share5xx: 1, AfterApply: true})
	var replaced bool
	_, res, err := e.converge(context.Background(), func(_ int, next *plan.Plan) {
		e.sim.ClearFaults()
		if c := groupChange(next, key); c != nil && c.Action == plan.Replace {
			replaced = true
		}
	})
	if err != nil {
		t.Fatalf("converge: %v", err)
	}
	reportFailures(t, res)
	if !replaced {
		t.Error("no later round replaced the group whose create lost its answer")
	}
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华东销售组"); g == nil || len(g.Members) != 2 {
		t.Errorf("group at the end = %+v", g)
	}
	e.converged()
}
