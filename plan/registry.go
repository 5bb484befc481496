package plan

import "fmt"

// Registry describes the objects of one provider: its kinds in rendering
// order, how their keys are made, the phase each change is applied in,
// and for each facet whether the server can read it back or the state
// must keep a fingerprint. It is the one place a provider's kinds and
// facets are named; the diff checks every facet it plans against it.
type Registry struct {
	// Provider is the provider's name ("youdata").
	Provider string
	// Kinds in rendering order.
	Kinds []KindInfo
	// Phases names the phases in apply order, indexed by phase number.
	Phases []string
	// ScopeKind names the provider's projects or workspaces in a
	// --target ("project"): a target of it covers the objects scoped by
	// it. It need not be one of Kinds.
	ScopeKind Kind
}

// KindInfo describes one kind.
type KindInfo struct {
	Kind  Kind
	Shape Shape
	// Phase is the phase of its creates, updates and replaces; DeletePhase
	// that of its deletes.
	Phase, DeletePhase int
	// Facets are the facets the diff plans for the kind.
	Facets []Facet
}

// Access is whether the server shows a facet.
type Access int

// Accesses.
const (
	// Readable facets are compared with what the server shows.
	Readable Access = iota + 1
	// WriteOnly facets cannot be read back: the state keeps a fingerprint
	// of what was last applied.
	WriteOnly
	// ReadableWhenShown facets are read back when the server happens to
	// show them (a row permission's rules, through a member who holds
	// it), and fingerprinted otherwise.
	ReadableWhenShown
)

// Facet is one facet of a kind.
type Facet struct {
	Name   string
	Access Access
}

// Kind returns the description of kind k.
func (r *Registry) Kind(k Kind) (KindInfo, bool) {
	for _, ki := range r.Kinds {
		if ki.Kind == k {
			return ki, true
		}
	}
	return KindInfo{}, false
}

// KindOrder lists the kinds in rendering order.
func (r *Registry) KindOrder() []Kind {
	out := make([]Kind, len(r.Kinds))
	for i, ki := range r.Kinds {
		out[i] = ki.Kind
	}
	return out
}

// KindIndex is the position of k in rendering order (len(Kinds) when k is
// unknown).
func (r *Registry) KindIndex(k Kind) int {
	for i, ki := range r.Kinds {
		if ki.Kind == k {
			return i
		}
	}
	return len(r.Kinds)
}

// Phase is the phase change c is applied in by its kind and action (-1
// for an unknown kind).
func (r *Registry) Phase(c Change) int {
	ki, ok := r.Kind(c.Kind)
	if !ok {
		return -1
	}
	if c.Action == Delete {
		return ki.DeletePhase
	}
	return ki.Phase
}

// PhaseName names phase ph.
func (r *Registry) PhaseName(ph int) string {
	if ph < 0 || ph >= len(r.Phases) {
		return fmt.Sprintf("phase %d", ph)
	}
	return r.Phases[ph]
}

// FacetAccess says how facet name of kind k is known; it panics on a facet
// the registry does not name, which is a provider's programming error that
// its tests meet at once.
func (r *Registry) FacetAccess(k Kind, name string) Access {
	ki, ok := r.Kind(k)
	if !ok {
		panic(fmt.Sprintf("plan: kind %q is not in the %s registry", k, r.Provider))
	}
	for _, f := range ki.Facets {
		if f.Name == name {
			return f.Access
		}
	}
	panic(fmt.Sprintf("plan: facet %q of kind %s is not in the %s registry", name, k, r.Provider))
}
