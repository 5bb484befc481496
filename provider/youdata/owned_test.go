package youdata

import (
	"strings"
	"testing"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// A state written before the attribute names were recorded plans as it
// did; one that records them clears what the files no longer list.
func TestAttrsClearedNeedTheStatesItems(t *testing.T) {
	d := desired(t, `users: [{uniqueId: alice, attrs: {region: [north]}}]`)
	live := &Live{Users: map[string]LiveUser{"alice": {ID: 1, UniqueID: "alice"}}, TokenUser: "alice"}
	before := canon.Fingerprint(map[string]any{"attrs": map[string]any{"region": []string{"north"}, "team": []string{"A"}}})

	old := state.New()
	old.Objects["user alice"] = &state.Object{ID: 1, Facets: map[string]state.Facet{"attrs": {Hash: before}}}
	p := compute(t, d, live, old, Options{})
	c := find(t, p, KindUser, "alice")
	if c.After.Has("attrs_cleared") {
		t.Errorf("attrs_cleared without the state's items: %s", c.After["attrs_cleared"])
	}
	if c.Action != plan.Update || len(p.Warnings) != 0 {
		t.Errorf("%s (%s), warnings %q: want the update an earlier permsync planned", c.Action, c.Reason, p.Warnings)
	}

	known := state.New()
	known.Objects["user alice"] = &state.Object{ID: 1, Facets: map[string]state.Facet{"attrs": {Hash: before, Items: []string{"region", "team"}}}}
	p = compute(t, d, live, known, Options{})
	c = find(t, p, KindUser, "alice")
	if got := c.After.Strings("attrs_cleared"); len(got) != 1 || got[0] != "team" {
		t.Errorf("attrs_cleared = %v", got)
	}
	u, err := importUser(c)
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, a := range u.Attrs {
		v := "null"
		if a.AttrValue != nil {
			v = strings.Join(*a.AttrValue, ",")
		}
		sent = append(sent, a.AttrName+"="+v)
	}
	if strings.Join(sent, " ") != "region=north team=null" {
		t.Errorf("batchImport attrs: %v", sent)
	}
	// Applied: the state records region, not team.
	ns := withSetItems(c, c.NewState.Clone())
	if got := ns.Facets["attrs"].Items; len(got) != 1 || got[0] != "region" {
		t.Errorf("items recorded: %v", got)
	}
	if c.NewState.Facets["attrs"].Items != nil {
		t.Error("withSetItems changed the plan's new state")
	}
}
