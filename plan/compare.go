package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/state"
)

// Equal reports whether two plans make the same changes: the same actions
// on the same objects with the same attributes and the same new state, in
// the same order. Reasons and sources are ignored; so are warnings and
// no-op counts.
func Equal(a, b *Plan) bool {
	return len(Diff(a, b)) == 0
}

// Diff describes, change by change, how plan b differs from plan a
// (ignoring what is only shown: Reason, Source, LastApplied,
// BeforeUnknown, and the values the new state keeps beside its
// fingerprints, which plans of earlier releases did not hold), e.g. for a
// stale saved plan. Empty when they are Equal.
func Diff(a, b *Plan) []string {
	ac, bc := changesOf(a), changesOf(b)
	index := func(cs []Change) (map[string]Change, []string) {
		m := map[string]Change{}
		var order []string
		for _, c := range cs {
			id := string(c.Kind) + " " + c.Key
			for n := 2; ; n++ {
				if _, dup := m[id]; !dup {
					break
				}
				id = fmt.Sprintf("%s %s (#%d)", c.Kind, c.Key, n)
			}
			m[id] = c
			order = append(order, id)
		}
		return m, order
	}
	am, aorder := index(ac)
	bm, border := index(bc)
	var out []string
	ids := map[string]bool{}
	for _, id := range aorder {
		ids[id] = true
	}
	for _, id := range border {
		ids[id] = true
	}
	for _, id := range sets.SortedKeys(ids) {
		x, inA := am[id]
		y, inB := bm[id]
		switch {
		case !inB:
			out = append(out, fmt.Sprintf("%s: %s is no longer planned", id, x.Action))
		case !inA:
			out = append(out, fmt.Sprintf("%s: %s is newly planned", id, y.Action))
		default:
			if x.Action != y.Action {
				out = append(out, fmt.Sprintf("%s: action %s becomes %s", id, x.Action, y.Action))
			}
			out = append(out, attrsDiff(id, "before", x.Before, y.Before)...)
			out = append(out, attrsDiff(id, "after", x.After, y.After)...)
			if xs, ys := stateJSON(x.NewState), stateJSON(y.NewState); !bytes.Equal(xs, ys) {
				out = append(out, fmt.Sprintf("%s: new state %s becomes %s", id, xs, ys))
			}
		}
	}
	if len(out) == 0 && !sameOrder(aorder, border) {
		out = append(out, "the changes are in another order")
	}
	return out
}

func changesOf(p *Plan) []Change {
	if p == nil {
		return nil
	}
	var out []Change
	for _, c := range p.Changes {
		if c.Action != NoOp {
			out = append(out, c)
		}
	}
	return out
}

func attrsDiff(id, side string, a, b Attrs) []string {
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	var out []string
	keys := sets.SortedKeys(names)
	sort.Strings(keys)
	for _, n := range keys {
		x, inA := a[n]
		y, inB := b[n]
		switch {
		case !inB:
			out = append(out, fmt.Sprintf("%s: %s.%s %s is gone", id, side, n, canonOrRaw(x)))
		case !inA:
			out = append(out, fmt.Sprintf("%s: %s.%s is new: %s", id, side, n, canonOrRaw(y)))
		default:
			if cx, cy := canonOrRaw(x), canonOrRaw(y); cx != cy {
				out = append(out, fmt.Sprintf("%s: %s.%s %s becomes %s", id, side, n, cx, cy))
			}
		}
	}
	return out
}

func canonOrRaw(raw json.RawMessage) string {
	if c, err := canon.Bytes(raw); err == nil {
		return string(c)
	}
	return string(raw)
}

func stateJSON(s *state.Object) []byte {
	if s == nil {
		return []byte("null")
	}
	hasValues := false
	for _, f := range s.Facets {
		hasValues = hasValues || f.Value != nil
	}
	if hasValues {
		// The values are what After holds, compared above; the
		// fingerprints stay compared.
		s = s.Clone()
		for n, f := range s.Facets {
			f.Value = nil
			s.Facets[n] = f
		}
	}
	return canon.JSON(s)
}

func sameOrder(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
