package diff

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// The new state keeps a write-only facet's value, the very text its
// fingerprint is of; a later plan shows it as what the change replaces.
func TestWriteOnlyKeepsTheAppliedValue(t *testing.T) {
	p := NewPlanner(testRegistry, state.New(), Options{}, nil, nil)
	o := p.NewObject("user", "alice", spec.Source{}, true)
	o.WriteOnly("department", nil, KV{Name: "department", Value: []string{"华东", "<sales>"}}, KV{Name: "since", Value: 3})
	f := o.New.Facets["department"]
	if want := `{"department":["华东","<sales>"],"since":3}`; string(f.Value) != want {
		t.Errorf("value %s, want %s", f.Value, want)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f.Value, &m); err != nil {
		t.Fatal(err)
	}
	if canon.FingerprintRaw(m) != f.Hash {
		t.Errorf("the value is not the text fingerprinted")
	}

	st := state.New()
	st.Record("user alice", o.New)
	p2 := NewPlanner(testRegistry, st, Options{}, nil, nil)
	o2 := p2.NewObject("user", "alice", spec.Source{}, true)
	o2.WriteOnly("department", nil, KV{Name: "department", Value: []string{"华南"}}, KV{Name: "since", Value: 3})
	o2.Finish(0)
	c := p2.Plan().Changes[0]
	want := plan.Attrs{"department": json.RawMessage(`["华东","<sales>"]`), "since": json.RawMessage(`3`)}
	if d := cmp.Diff(want, c.LastApplied); d != "" {
		t.Errorf("last applied (-want +got):\n%s", d)
	}
	if c.BeforeUnknown != nil || c.Before.Has("department") {
		t.Errorf("before unknown %v, before %v: Before must stay as the executor reads it", c.BeforeUnknown, c.Before)
	}
	if d := cmp.Diff(plan.Attrs{"department": json.RawMessage(`["华东","<sales>"]`), "since": json.RawMessage(`3`)}, c.Shown()); d != "" {
		t.Errorf("shown (-want +got):\n%s", d)
	}
}

// A state that keeps only a fingerprint (an earlier release's), or a
// value that is not the one fingerprinted, shows the earlier value as
// unknown.
func TestWriteOnlyBeforeUnknown(t *testing.T) {
	for name, f := range map[string]state.Facet{
		"fingerprint only": {Hash: canon.Fingerprint(map[string]any{"department": []string{"华东"}})},
		"value not fingerprinted": {Hash: canon.Fingerprint(map[string]any{"department": []string{"华东"}}),
			Value: json.RawMessage(`{"department":["华北"]}`)},
		"value not an object": {Hash: canon.Fingerprint([]string{"华东"}), Value: json.RawMessage(`["华东"]`)},
	} {
		t.Run(name, func(t *testing.T) {
			st := state.New()
			st.Record("user alice", &state.Object{Facets: map[string]state.Facet{"department": f}})
			p := NewPlanner(testRegistry, st, Options{}, nil, nil)
			o := p.NewObject("user", "alice", spec.Source{}, true)
			o.WriteOnly("department", nil, KV{Name: "department", Value: []string{"华南"}})
			o.Finish(0)
			c := p.Plan().Changes[0]
			if d := cmp.Diff([]string{"department"}, c.BeforeUnknown); d != "" || c.LastApplied != nil {
				t.Errorf("before unknown (-want +got):\n%s\nlast applied %v", d, c.LastApplied)
			}
		})
	}
}
