package quickbi

import (
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// Re-assertion (apply --reassert, run --reassert-every) re-sends the
// facets a server cannot show, so that a console edit to one is repaired.
// Quick BI shows everything the files set: every plan compares it with the
// server, and a console edit (a group's members or name, a user's tag
// values, type or roles, a workspace role, a rule, a whitelist) is put
// back by the next apply, re-assertion or not. The one facet the state
// fingerprints, a user's accountId while the server does not show it, is
// not re-sent: only AddUser takes it, and Quick BI cannot change a
// member's AccountId. So a re-assertion marks nothing, sends nothing
// more than the plan without it, and records its time like any other.

// reassertable reports whether a facet of a kind is re-sent by a
// re-assertion: none of Quick BI's (see above).
func reassertable(k plan.Kind, facet string) bool { return false }

// MarkReassert marks for re-assertion what the state records of Quick
// BI's write-only facets (nothing: see reassertable), records the time of
// the re-assertion, and reports how many facets it marked.
func (p *Provider) MarkReassert(st *state.State, at time.Time) int {
	return MarkReassert(st, at)
}

// MarkReassert is Provider.MarkReassert.
func MarkReassert(st *state.State, at time.Time) int {
	n := diff.MarkReassert(st, reassertable)
	diff.RecordReassert(st, Name, at)
	return n
}
