package diff

import (
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
)

// testRegistry is a provider of two kinds.
var testRegistry = &plan.Registry{
	Provider: "test",
	Phases:   []string{"make", "remove"},
	Kinds: []plan.KindInfo{
		{Kind: "user", Shape: plan.Shape{Parts: 1}, Phase: 0, DeletePhase: 1,
			Facets: []plan.Facet{{Name: "nick", Access: plan.Readable}, {Name: "department", Access: plan.WriteOnly}}},
		{Kind: "group", Shape: plan.Shape{Scoped: true, Parts: 1}, Phase: 0, DeletePhase: 1,
			Facets: []plan.Facet{{Name: "members", Access: plan.Readable}}},
	},
}

// A drift reason quotes a short server value and only names a long one,
// which the attribute lines show in full.
func TestDriftReasonLength(t *testing.T) {
	p := NewPlanner(testRegistry, nil, Options{}, nil, nil)
	short := p.NewObject("user", "alice", spec.Source{}, true)
	short.Readable("nick", "Alice", "Al")
	if len(short.Drift) != 1 || short.Drift[0] != `the server has nick "Al"` {
		t.Errorf("short drift: %q", short.Drift)
	}
	long := p.NewObject("group", "P/G", spec.Source{}, true)
	members := []string{"liu.yang@example.com", "wang.fang@example.com", "wu.hao@example.com"}
	long.Readable("members", members[:2], members)
	if len(long.Drift) != 1 || long.Drift[0] != "the server has different members" {
		t.Errorf("long drift: %q", long.Drift)
	}
}
