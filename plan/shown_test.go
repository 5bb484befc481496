package plan

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/state"
)

// Shown is Before with the last-applied values it does not hold; Before
// wins where both hold one, and is not changed.
func TestShown(t *testing.T) {
	c := Change{Action: Update,
		Before:      Attrs{"name": json.RawMessage(`"a"`)},
		LastApplied: Attrs{"rules": json.RawMessage(`[1]`), "name": json.RawMessage(`"stale"`)}}
	want := Attrs{"name": json.RawMessage(`"a"`), "rules": json.RawMessage(`[1]`)}
	if d := cmp.Diff(want, c.Shown()); d != "" {
		t.Errorf("Shown (-want +got):\n%s", d)
	}
	if len(c.Before) != 1 {
		t.Errorf("Before changed: %v", c.Before)
	}
	if (Change{Action: Create, After: Attrs{}}).Shown() != nil {
		t.Error("a create shows a before")
	}
}

// What is only shown does not make two plans differ: a plan saved by an
// earlier release (no values in its new states, no last-applied values)
// equals today's plan of the same changes.
func TestEqualIgnoresWhatIsOnlyShown(t *testing.T) {
	old := &Plan{Changes: []Change{{Action: Update, Kind: "user", Key: "a",
		Before: Attrs{"nick": json.RawMessage(`"A"`)}, After: Attrs{"nick": json.RawMessage(`"B"`), "position": json.RawMessage(`"x"`)},
		NewState: &state.Object{Facets: map[string]state.Facet{"position": {Hash: "sha256:1"}}}}}}
	today := &Plan{Changes: []Change{{Action: Update, Kind: "user", Key: "a",
		Before: Attrs{"nick": json.RawMessage(`"A"`)}, After: Attrs{"nick": json.RawMessage(`"B"`), "position": json.RawMessage(`"x"`)},
		LastApplied: Attrs{"position": json.RawMessage(`"y"`)}, BeforeUnknown: []string{"other"},
		NewState: &state.Object{Facets: map[string]state.Facet{"position": {Hash: "sha256:1", Value: json.RawMessage(`{"position":"x"}`)}}}}}}
	if d := Diff(old, today); len(d) != 0 {
		t.Errorf("Diff = %q, want none", d)
	}
	today.Changes[0].NewState.Facets["position"] = state.Facet{Hash: "sha256:2", Value: json.RawMessage(`{"position":"x"}`)}
	if Equal(old, today) {
		t.Error("plans recording different fingerprints are Equal")
	}
	if today.Changes[0].NewState.Facets["position"].Value == nil {
		t.Error("Diff changed the plan's new state")
	}
}
