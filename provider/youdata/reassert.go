package youdata

import (
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// reassertable reports whether a facet of a kind is re-sent by a
// re-assertion: every facet the server cannot show (departments, users'
// department, company, position, leaving flag, network setting,
// departments and attributes, roles' resources and group and department
// bindings, data permissions' rules when no member shows them, group
// descriptions, direct resource members, the company name), but a group's
// folder (the API cannot move a group: it is set once, by group/add) and
// a department's parent (sent with the department, its own facet only
// orders deletions).
func reassertable(k plan.Kind, facet string) bool {
	switch {
	case k == KindGroup && facet == "folder", k == KindDepartment && facet == "parent":
		return false
	}
	ki, ok := Registry.Kind(k)
	if !ok {
		return false // not an object of Youdata's (the re-assertion's own record)
	}
	for _, f := range ki.Facets {
		if f.Name == facet {
			return f.Access == plan.WriteOnly || f.Access == plan.ReadableWhenShown
		}
	}
	return false
}

// MarkReassert marks in st every write-only facet it records as applied,
// so that the next plan sends each that the files still manage again
// (diff.MarkReassert), and records the time of the re-assertion. It
// reports how many facets it marked. Ownership records (created, ids,
// items) are kept.
func (p *Provider) MarkReassert(st *state.State, at time.Time) int {
	return MarkReassert(st, at)
}

// MarkReassert is Provider.MarkReassert.
func MarkReassert(st *state.State, at time.Time) int {
	n := diff.MarkReassert(st, reassertable)
	diff.RecordReassert(st, Name, at)
	return n
}
