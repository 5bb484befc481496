// Package render shows a plan to people and programs: as text for a
// terminal (Text), as JSON with a stable, documented schema (JSON, see
// docs/plan-json.md) and as Markdown for pull-request comments (Markdown).
// Every renderer is deterministic: the same plan gives the same bytes.
package render

import (
	"fmt"
	"sort"

	"github.com/permsync/permsync/plan"
)

// Tally counts changes the way Terraform's summary line does: a replace is
// one add and one destroy.
type Tally struct {
	Add     int
	Change  int
	Destroy int
	// Replace counts replaces; each is also counted in Add and Destroy.
	Replace int
	// NoOp counts unchanged objects.
	NoOp int
}

// HasChanges reports whether anything would be added, changed or destroyed.
func (t Tally) HasChanges() bool { return t.Add+t.Change+t.Destroy > 0 }

func (t *Tally) count(a plan.Action) {
	switch a {
	case plan.Create:
		t.Add++
	case plan.Update:
		t.Change++
	case plan.Delete:
		t.Destroy++
	case plan.Replace:
		t.Add++
		t.Destroy++
		t.Replace++
	case plan.NoOp:
		t.NoOp++
	}
}

// Summary is what the renderers and the CLI (counts, exit codes) need to
// know of a plan as a whole.
type Summary struct {
	Tally
	// ByKind holds the tally of every kind that has at least one change or
	// unchanged object.
	ByKind map[plan.Kind]Tally
	// Warnings and Refusals are the numbers of each in the plan.
	Warnings int
	Refusals int
}

// Applicable reports whether the plan may be applied: it has no refusals.
func (s Summary) Applicable() bool { return s.Refusals == 0 }

// Line is the summary line: "Plan: 3 to add, 2 to change, 1 to destroy."
// or "No changes. The server matches the desired state."
func (s Summary) Line() string {
	if !s.HasChanges() {
		return "No changes. The server matches the desired state."
	}
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy)
}

// Counts tallies a plan. A nil plan is an empty one. Changes with an action
// the renderers do not know are not counted.
func Counts(p *plan.Plan) Summary {
	s := Summary{ByKind: map[plan.Kind]Tally{}}
	if p == nil {
		return s
	}
	for _, c := range p.Changes {
		if !knownAction(c.Action) {
			continue
		}
		s.count(c.Action)
		t := s.ByKind[c.Kind]
		t.count(c.Action)
		s.ByKind[c.Kind] = t
	}
	for k, n := range p.NoOps {
		if n <= 0 {
			continue
		}
		s.NoOp += n
		t := s.ByKind[k]
		t.NoOp += n
		s.ByKind[k] = t
	}
	s.Warnings = len(p.Warnings)
	s.Refusals = len(p.Refusals)
	return s
}

func knownAction(a plan.Action) bool {
	switch a {
	case plan.NoOp, plan.Create, plan.Update, plan.Delete, plan.Replace:
		return true
	}
	return false
}

// kindPhrase is "3 to add, 1 to change" for a kind's section titles: only
// the non-zero counts, or "no changes".
func kindPhrase(t Tally) string {
	var parts []string
	if t.Add > 0 {
		parts = append(parts, fmt.Sprintf("%d to add", t.Add))
	}
	if t.Change > 0 {
		parts = append(parts, fmt.Sprintf("%d to change", t.Change))
	}
	if t.Destroy > 0 {
		parts = append(parts, fmt.Sprintf("%d to destroy", t.Destroy))
	}
	if len(parts) == 0 {
		return "no changes"
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += ", " + p
	}
	return out
}

// kindOrder returns the kinds of the given changes in rendering order:
// the plan's kinds first, then kinds unknown to it by name.
func kindOrder(kinds []plan.Kind, changes []plan.Change) []plan.Kind {
	present := map[plan.Kind]bool{}
	for _, c := range changes {
		present[c.Kind] = true
	}
	var out []plan.Kind
	for _, k := range kinds {
		if present[k] {
			out = append(out, k)
			delete(present, k)
		}
	}
	var rest []plan.Kind
	for k := range present {
		rest = append(rest, k)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	return append(out, rest...)
}

// groups returns the rendered changes (no no-ops) by kind, each kind's
// changes in plan order.
func groups(p *plan.Plan) (kinds []plan.Kind, byKind map[plan.Kind][]*plan.Change) {
	byKind = map[plan.Kind][]*plan.Change{}
	if p == nil {
		return nil, byKind
	}
	var shown []plan.Change
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == plan.NoOp {
			continue
		}
		shown = append(shown, *c)
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	return kindOrder(p.Kinds, shown), byKind
}

// checkActions returns an error for the first change whose action is
// unknown: a plan the renderers cannot show faithfully.
func checkActions(p *plan.Plan) error {
	if p == nil {
		return nil
	}
	for i, c := range p.Changes {
		if !knownAction(c.Action) {
			return fmt.Errorf("render: change %d (%s %s): unknown action %q", i, c.Kind, c.Key, c.Action)
		}
	}
	return nil
}
