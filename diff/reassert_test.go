package diff

import (
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// A marked facet the files give as applied is an update that sends it
// whole; applying it records it unmarked; ownership records are kept.
func TestReassertMarksAndPlans(t *testing.T) {
	p := NewPlanner(testRegistry, nil, Options{}, nil, nil)
	o := p.NewObject("user", "alice", spec.Source{}, false)
	o.WriteOnly("department", nil, KV{Name: "department", Value: "Sales"})
	applied := o.New.Facets["department"].Hash

	st := state.New()
	st.Objects["user alice"] = &state.Object{Created: true, ID: 7, Facets: map[string]state.Facet{"department": {Hash: applied}}}
	kept := st.Objects["user alice"]
	if n := MarkReassert(st, func(k plan.Kind, f string) bool { return k == "user" && f == "department" }); n != 1 {
		t.Fatalf("marked %d facets", n)
	}
	if kept.Facets["department"].Hash != applied {
		t.Error("MarkReassert changed the object in place")
	}
	if got := st.Objects["user alice"]; !got.Created || got.ID != 7 || got.Facets["department"].Hash != ReassertPrefix+applied {
		t.Errorf("marked record %+v", got)
	}
	if n := MarkReassert(st, func(plan.Kind, string) bool { return true }); n != 0 {
		t.Errorf("marked again: %d", n)
	}

	p = NewPlanner(testRegistry, st, Options{}, nil, nil)
	o = p.NewObject("user", "alice", spec.Source{}, true)
	o.WriteOnly("department", nil, KV{Name: "department", Value: "Sales"})
	o.Finish(0)
	pl := p.Plan()
	if len(pl.Changes) != 1 || pl.Changes[0].Action != plan.Update || !strings.HasPrefix(pl.Changes[0].Reason, "reassert: department") ||
		pl.Changes[0].Before.Has("department") || pl.Changes[0].NewState.Facets["department"].Hash != applied {
		t.Fatalf("plan %+v", pl.Changes)
	}

	// Changed in the files since: the usual update, not a re-assertion.
	p = NewPlanner(testRegistry, st, Options{}, nil, nil)
	o = p.NewObject("user", "alice", spec.Source{}, true)
	o.WriteOnly("department", nil, KV{Name: "department", Value: "East"})
	o.Finish(0)
	if r := p.Plan().Changes[0].Reason; r != "changed since last apply: department" {
		t.Errorf("reason %q", r)
	}
}

func TestReassertDue(t *testing.T) {
	st := state.New()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if due, _ := ReassertDue(st, "youdata", time.Hour, now); !due {
		t.Error("never re-asserted: not due")
	}
	RecordReassert(st, "youdata", now)
	if last, ok := LastReassert(st, "youdata"); !ok || !last.Equal(now) {
		t.Errorf("last %s %v", last, ok)
	}
	if due, _ := ReassertDue(st, "youdata", time.Hour, now.Add(59*time.Minute)); due {
		t.Error("due within the period")
	}
	if due, _ := ReassertDue(st, "youdata", time.Hour, now.Add(time.Hour)); !due {
		t.Error("not due after the period")
	}
	if _, ok := LastReassert(st, "quickbi"); ok {
		t.Error("another provider's record")
	}
}
