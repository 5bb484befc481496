package youdata

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// What permsync set and the files no longer list is cleared: the
// attributes of a user, the direct members of a resource. The server
// shows neither, so the state records, as the items of the facet, what
// was applied: the names of the attributes given values, the users synced
// as members. The executor records them once the change is applied
// (withSetItems); a state written before it does not know them, and the
// plan says so where that matters.

// planAttrs plans a user's attributes: those the files give, and those
// permsync set (the state's items) that the files no longer list, cleared
// (attrs_cleared, sent as null). attrs absent from the files clears every
// attribute permsync set.
func (p *planner) planAttrs(o *diff.Object, u spec.User) {
	// A state that records them holds a list, [] when none was set.
	prev, _ := o.OldItems("attrs")
	if u.Attrs == nil && len(prev) == 0 {
		return
	}
	listed := map[string]*[]string{}
	for name, v := range u.Attrs {
		listed[name] = v
	}
	var cleared []string
	for _, name := range prev {
		if _, ok := listed[name]; !ok {
			cleared = append(cleared, name)
		}
	}
	o.WriteOnly("attrs", nil, diff.KV{Name: "attrs", Value: normUserAttrs(listed)})
	if len(cleared) > 0 {
		o.After.Set("attrs_cleared", sets.Uniq(cleared))
		if !o.Exists {
			return
		}
		// Changed since last apply, or not: what is cleared is sent.
		if !containsStr(o.Changed, "attrs") && !containsStr(o.NotInState, "attrs") {
			o.ForceUpdate = append(o.ForceUpdate, "attributes permsync set that the files no longer list are cleared")
		}
	}
	// A state written before the names were recorded (prev nil) cannot
	// say what to clear: an attribute the files drop stays set until
	// written as null (docs/state.md). The next apply of the facet
	// records the names.
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// setAttrNames are the names of the attributes the change gives values
// (not null), sorted.
func setAttrNames(attrs plan.Attrs) []string {
	var m map[string]json.RawMessage
	if attrs.Decode("attrs", &m) != nil {
		return nil
	}
	var out []string
	for name, v := range m {
		if strings.TrimSpace(string(v)) != "null" {
			out = append(out, name)
		}
	}
	return sets.Sorted(out)
}

// withSetItems is ns with the items of the facets that record what
// permsync set: a user's attributes given values, the users synced as a
// resource's direct members. ns's facets are copied, not changed.
func withSetItems(c plan.Change, ns *state.Object) *state.Object {
	if ns == nil || ns.Facets == nil {
		return ns
	}
	var facet string
	var items []string
	switch c.Kind {
	case KindUser:
		facet, items = "attrs", setAttrNames(c.After)
	case KindResourceMembers:
		facet = "members"
		for _, m := range decodeResourceMembers(c.After) {
			items = append(items, m.User)
		}
		items = sets.Uniq(items)
	default:
		return ns
	}
	f, ok := ns.Facets[facet]
	if !ok {
		return ns
	}
	facets := make(map[string]state.Facet, len(ns.Facets))
	for k, v := range ns.Facets {
		facets[k] = v
	}
	f.Items = items
	if f.Items == nil {
		f.Items = []string{}
	}
	facets[facet] = f
	ns.Facets = facets
	return ns
}

// planDroppedResourceMembers plans, for the resources whose direct members
// permsync synced (the state knows them) and that the files no longer
// list, a sync to no member: the members permsync put there leave.
func (c *projectCtx) planDroppedResourceMembers(listed map[string]bool) {
	if c.lp == nil || c.ident.stale {
		return
	}
	for _, rest := range c.stateKeys(KindResourceMembers) {
		if listed[rest] {
			continue
		}
		old := c.stateOf(KindResourceMembers, rest)
		if old == nil || !old.Created {
			continue
		}
		typ, id, ok := strings.Cut(rest, "/")
		if !ok {
			continue
		}
		var before plan.Attrs
		before.Set("project_id", c.pid)
		before.Set("type", typ)
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			continue
		}
		before.Set("resource_id", n)
		if f, ok := old.Facets["members"]; ok && f.Items != nil {
			before.Set("members", f.Items)
		}
		c.p.AddDelete(plan.Change{Kind: KindResourceMembers, Key: c.key(rest), Scope: c.pr.Name, Before: before,
			Reason: "not in the files; permsync synced its direct members: they are removed (a sync to no member)"}, 0)
	}
}
