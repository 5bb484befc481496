package diff

import (
	"fmt"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// Re-assertion. A write-only facet cannot be read back, so a change made
// to it by hand on the server is invisible: the plan compares the files
// with what the state says was last applied. To repair such changes, an
// apply may re-send every write-only facet the files manage. MarkReassert
// marks, in the state the plan is made against, each facet the state
// records as applied; the plan then holds, for each marked facet the
// files still give as applied, an update that sends it whole (its reason
// says "reassert: ..."). Applying that update records the facet's
// fingerprint again, unmarked; a facet whose update fails stays marked,
// so the next plan sends it again, and a later round of the same apply
// sends only what is left. The marks change no other record: what
// permsync created, the ids, the items the state keeps.

// ReassertPrefix marks the fingerprint of a facet to re-assert.
const ReassertPrefix = "reassert:"

// ReassertReason is the part of a change's reason naming the facets it
// re-asserts.
func ReassertReason(facets []string) string {
	return "reassert: " + strings.Join(facets, ", ") + " (the server does not show them: sent again as the files say)"
}

// Unmarked is a facet's fingerprint without the mark of MarkReassert.
func Unmarked(hash string) string { return strings.TrimPrefix(hash, ReassertPrefix) }

// MarkReassert marks for re-assertion every facet of st's objects that
// reassertable allows (by the object's kind and the facet's name) and that
// holds a fingerprint, and reports how many it marked. The objects it
// changes are replaced by marked copies.
func MarkReassert(st *state.State, reassertable func(k plan.Kind, facet string) bool) int {
	n := 0
	for key, o := range st.Objects {
		kind, _, ok := strings.Cut(key, " ")
		if !ok || o == nil || len(o.Facets) == 0 {
			continue
		}
		var cp *state.Object
		for name, f := range o.Facets {
			if f.Hash == "" || strings.HasPrefix(f.Hash, ReassertPrefix) || !reassertable(plan.Kind(kind), name) {
				continue
			}
			if cp == nil {
				cp = o.Clone()
			}
			f.Hash = ReassertPrefix + f.Hash
			f.Items = cp.Facets[name].Items
			cp.Facets[name] = f
			n++
		}
		if cp != nil {
			st.Put(key, cp)
		}
	}
	return n
}

// reassertKind is the kind of the state's record of the last
// re-assertion, keyed by provider: "reassert youdata".
const reassertKind = "reassert"

// RecordReassert records in st that a re-assertion of provider's facets
// was planned at at (UTC, to the second).
func RecordReassert(st *state.State, provider string, at time.Time) {
	t := at.UTC().Truncate(time.Second).Format(time.RFC3339)
	st.Record(state.Key(reassertKind, provider), &state.Object{Facets: map[string]state.Facet{
		"at": {Hash: canon.Fingerprint(t), Items: []string{t}},
	}})
}

// LastReassert is when RecordReassert last recorded a re-assertion of
// provider's facets in st (false: never, or a record it cannot read).
func LastReassert(st *state.State, provider string) (time.Time, bool) {
	if st == nil {
		return time.Time{}, false
	}
	o := st.Objects[state.Key(reassertKind, provider)]
	if o == nil || len(o.Facets["at"].Items) != 1 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, o.Facets["at"].Items[0])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// ReassertDue reports whether a re-assertion every period is due at now
// (none recorded yet: due), and says when the last one was.
func ReassertDue(st *state.State, provider string, every time.Duration, now time.Time) (bool, string) {
	last, ok := LastReassert(st, provider)
	if !ok {
		return true, "never re-asserted"
	}
	return !now.Before(last.Add(every)), fmt.Sprintf("last re-asserted at %s", last.Format(time.RFC3339))
}
