// Package diff is the neutral core of planning: given what the files want,
// what the server shows and what the state recorded, it decides, object by
// object and facet by facet, what a plan creates, updates, replaces or
// deletes. It is pure (no I/O, no logging, no clock) and knows no server:
// a provider describes its objects with it (NewObject, Readable,
// WriteOnly, Finish) and the registry says which facets the server can
// read back. The same inputs give byte-identical plans.
package diff

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Options tune planning.
type Options struct {
	// AllowMassDelete lifts settings.maxDeletes (--allow-mass-delete).
	AllowMassDelete bool
}

// PlanError lists every problem that makes a plan impossible.
type PlanError struct {
	Problems []string // sorted
}

func (e *PlanError) Error() string {
	if len(e.Problems) == 1 {
		return "plan: " + e.Problems[0]
	}
	return fmt.Sprintf("plan: %d problems:\n  - %s", len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// Planner collects the changes of one plan.
type Planner struct {
	reg        *plan.Registry
	st         *state.State
	Opts       Options
	maxDeletes *spec.MaxDeletes
	scopeOf    func(plan.Kind, string) string

	changes   []planned
	deletes   map[plan.Kind][]planned
	noops     map[plan.Kind]int
	warnings  map[string]bool
	refusals  []plan.Refusal
	problems  []string
	protected map[string]bool
	caps      map[capBucket]*capCounts
	// undeclared are the deletions left out because no file declares
	// their kind (Undeclared), by section.
	undeclared map[string]*undeclared
}

// NewPlanner starts a plan against the state st (nil: none). maxDeletes is
// settings.maxDeletes (nil: the default); scopeOf names the project or
// workspace of an object's key ("" for objects outside one), for the
// removal caps.
func NewPlanner(reg *plan.Registry, st *state.State, opts Options, maxDeletes *spec.MaxDeletes, scopeOf func(plan.Kind, string) string) *Planner {
	if st == nil {
		st = state.New()
	}
	return &Planner{
		reg: reg, st: st, Opts: opts, maxDeletes: maxDeletes, scopeOf: scopeOf,
		deletes:   map[plan.Kind][]planned{},
		noops:     map[plan.Kind]int{},
		warnings:  map[string]bool{},
		protected: map[string]bool{},
		caps:      map[capBucket]*capCounts{},
	}
}

// Registry is the registry the planner plans against.
func (p *Planner) Registry() *plan.Registry { return p.reg }

// State is the state the planner plans against.
func (p *Planner) State() *state.State { return p.st }

// Protect marks a user the plan never removes or unbinds.
func (p *Planner) Protect(user string) { p.protected[user] = true }

// Protected reports whether user is protected.
func (p *Planner) Protected(user string) bool { return p.protected[user] }

// Warn adds a warning; the same warning twice is one.
func (p *Planner) Warn(format string, args ...any) {
	p.warnings[fmt.Sprintf(format, args...)] = true
}

// Refuse makes the plan not applicable, saying why.
func (p *Planner) Refuse(kind plan.RefusalKind, msg string) {
	p.refusals = append(p.refusals, plan.Refusal{Kind: kind, Message: msg})
}

// Problem records a problem that makes a plan impossible.
func (p *Planner) Problem(msg string) { p.problems = append(p.problems, msg) }

// Err returns the problems recorded, sorted, as one *PlanError (nil when
// there are none).
func (p *Planner) Err() error {
	if len(p.problems) == 0 {
		return nil
	}
	sort.Strings(p.problems)
	return &PlanError{Problems: p.problems}
}

// StateOf is the state's record of (k, key), or nil.
func (p *Planner) StateOf(k plan.Kind, key string) *state.Object {
	return p.st.Objects[plan.StateKey(k, key)]
}

// StateKeys lists, sorted, the keys of the state's objects of kind k that
// start with prefix.
func (p *Planner) StateKeys(k plan.Kind, prefix string) []string {
	var out []string
	full := string(k) + " " + prefix
	for sk := range p.st.Objects {
		if strings.HasPrefix(sk, full) {
			out = append(out, strings.TrimPrefix(sk, string(k)+" "))
		}
	}
	sort.Strings(out)
	return out
}

// Add adds a create, update or replace; depth orders changes of one kind
// within their phase.
func (p *Planner) Add(c plan.Change, depth int) {
	p.changes = append(p.changes, planned{c: c, depth: depth})
}

// AddDelete adds a deletion. Deletions are capped by settings.maxDeletes
// when the plan is made.
func (p *Planner) AddDelete(c plan.Change, depth int) {
	c.Action = plan.Delete
	c.NewState = nil
	p.deletes[c.Kind] = append(p.deletes[c.Kind], planned{c: c, depth: depth})
}

// Deletes are the deletions of kind k added so far.
func (p *Planner) Deletes(k plan.Kind) []plan.Change {
	out := make([]plan.Change, len(p.deletes[k]))
	for i, pl := range p.deletes[k] {
		out[i] = pl.c
	}
	return out
}

// Changes are the creates, updates and replaces added so far.
func (p *Planner) Changes() []plan.Change {
	out := make([]plan.Change, len(p.changes))
	for i, pl := range p.changes {
		out[i] = pl.c
	}
	return out
}

// Plan caps the removals (settings.maxDeletes), orders the changes by
// phase, kind, depth and key, and returns the plan.
func (p *Planner) Plan() *plan.Plan {
	p.checkCaps()
	p.undeclaredWarnings()
	for _, k := range p.reg.KindOrder() {
		p.changes = append(p.changes, p.deletes[k]...)
	}
	pl := &plan.Plan{Provider: p.reg.Provider, Kinds: p.reg.KindOrder(), Changes: p.sorted(), NoOps: map[plan.Kind]int{}}
	for k, n := range p.noops {
		if n > 0 {
			pl.NoOps[k] = n
		}
	}
	if len(pl.NoOps) == 0 {
		pl.NoOps = nil
	}
	if pl.Changes == nil {
		pl.Changes = []plan.Change{}
	}
	if len(p.warnings) > 0 {
		pl.Warnings = make([]string, 0, len(p.warnings))
		for w := range p.warnings {
			pl.Warnings = append(pl.Warnings, w)
		}
		sort.Strings(pl.Warnings)
	}
	sort.Slice(p.refusals, func(i, j int) bool { return p.refusals[i].Message < p.refusals[j].Message })
	pl.Refusals = p.refusals
	return pl
}

// planned is a change with what orders it within its phase.
type planned struct {
	c     plan.Change
	depth int
}

// sorted orders the changes by phase, then kind, then depth (parents
// first, leaves first on delete), then key.
func (p *Planner) sorted() []plan.Change {
	ps := p.changes
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if pa, pb := p.reg.Phase(a.c), p.reg.Phase(b.c); pa != pb {
			return pa < pb
		}
		if ka, kb := p.reg.KindIndex(a.c.Kind), p.reg.KindIndex(b.c.Kind); ka != kb {
			return ka < kb
		}
		if a.depth != b.depth {
			if a.c.Action == plan.Delete {
				return a.depth > b.depth
			}
			return a.depth < b.depth
		}
		return a.c.Key < b.c.Key
	})
	out := make([]plan.Change, len(ps))
	for i, pl := range ps {
		out[i] = pl.c
	}
	return out
}

// SourceString renders a source as "file:line" (the field path without a
// file).
func SourceString(s spec.Source) string {
	if s.File == "" {
		return s.Path
	}
	return s.File + ":" + strconv.Itoa(s.Line)
}

// SortedSources sorts "file:line" sources by file, then by line number
// (desired.yaml:8 before desired.yaml:13).
func SortedSources(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	split := func(s string) (string, int) {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return s, 0
		}
		n, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return s, 0
		}
		return s[:i], n
	}
	sort.SliceStable(out, func(i, j int) bool {
		fi, li := split(out[i])
		fj, lj := split(out[j])
		if fi != fj {
			return fi < fj
		}
		return li < lj
	})
	return out
}

// DeleteWhy says why an object absent from the files is deleted, or ""
// when it is not: permsync created it, or prune is on for its kind.
func DeleteWhy(old *state.Object, prune bool, pruneName string) string {
	switch {
	case old != nil && old.Created:
		return "not in the files; created by permsync"
	case prune:
		return "not in the files; " + pruneName + " is on"
	}
	return ""
}
