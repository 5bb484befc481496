package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// KV is an attribute name and its value.
type KV struct {
	Name  string
	Value any
}

// Object builds the change of one object facet by facet: each readable
// facet compared with the server, each write-only one with the state's
// fingerprint, as the registry says; Finish adds the change to the plan
// (a create, an update, a replace) or counts a no-op.
type Object struct {
	p    *Planner
	Kind plan.Kind
	Key  string
	// Scope is the project or workspace of an object of a scoped kind.
	Scope  string
	Src    spec.Source
	Exists bool
	// Old is the object's record in the state (nil: none).
	Old *state.Object
	// Before and After are the change's attributes (Before nil for a
	// create); New is what the state records once it is applied.
	Before plan.Attrs
	After  plan.Attrs
	New    *state.Object
	// LastApplied and BeforeUnknown are what the change shows of the
	// write-only facets that changed since the last apply: their values
	// then, from the state, or their names when the state keeps only a
	// fingerprint (see plan.Change).
	LastApplied   plan.Attrs
	BeforeUnknown []string

	// Why the change is planned: drift of readable facets, write-only
	// facets changed since the last apply or not in the state, why the
	// object must be re-created, updates forced for other reasons, and
	// write-only facets re-asserted (see MarkReassert).
	Drift, Changed, NotInState, Replace, ForceUpdate, Reassert []string
	// CreateReason replaces "not on the server" as a create's reason.
	CreateReason string
}

// NewObject starts the change of the object (k, key), written at src,
// which exists on the server (or, for objects no read shows, in the state)
// when exists is set.
func (p *Planner) NewObject(k plan.Kind, key string, src spec.Source, exists bool) *Object {
	o := &Object{p: p, Kind: k, Key: key, Src: src, Exists: exists, Old: p.StateOf(k, key),
		After: plan.Attrs{}, New: &state.Object{}}
	if exists {
		o.Before = plan.Attrs{}
	}
	if o.Old != nil {
		o.New.Created = o.Old.Created
		o.New.ID = o.Old.ID
	}
	if !exists {
		o.New.Created = true
	}
	return o
}

// Ident sets an identity attribute on both sides.
func (o *Object) Ident(name string, v any) {
	o.After.Set(name, v)
	if o.Exists {
		o.Before.Set(name, v)
	}
}

// ID records the server id, when known.
func (o *Object) ID(id int64) {
	if id == 0 {
		return
	}
	if o.Exists {
		o.Before.Set("id", id)
		o.After.Set("id", id)
	}
	o.New.ID = id
}

// maxReasonValue is the longest server value a drift reason quotes.
const maxReasonValue = 48

// Readable compares the desired value of a facet the server shows with
// the live one.
func (o *Object) Readable(name string, desired, live any) {
	if a := o.p.reg.FacetAccess(o.Kind, name); a == plan.WriteOnly {
		panic(fmt.Sprintf("diff: facet %q of %s is write-only in the registry, not readable", name, o.Kind))
	}
	d := canon.JSON(desired)
	o.After[name] = d
	if !o.Exists {
		return
	}
	l := canon.JSON(live)
	o.Before[name] = l
	if !bytes.Equal(d, l) {
		// Neutral: the plan cannot tell whether the server or the files
		// moved. A short value reads well in the reason; a long one
		// (members, rules) is shown by the attribute lines, not repeated.
		if utf8.RuneCount(l) <= maxReasonValue {
			o.Drift = append(o.Drift, fmt.Sprintf("the server has %s %s", name, l))
		} else {
			o.Drift = append(o.Drift, fmt.Sprintf("the server has different %s", name))
		}
	}
}

// WriteOnly compares the desired values of one facet the server does not
// show with the state's fingerprint. items, when non-nil, are kept in the
// state and shown as the first value's Before when the fingerprint
// differs.
func (o *Object) WriteOnly(facet string, items []string, vals ...KV) {
	if a := o.p.reg.FacetAccess(o.Kind, facet); a == plan.Readable {
		panic(fmt.Sprintf("diff: facet %q of %s is readable in the registry, not write-only", facet, o.Kind))
	}
	m := make(map[string]json.RawMessage, len(vals))
	for _, v := range vals {
		o.After.Set(v.Name, v.Value)
		m[v.Name] = o.After[v.Name]
	}
	h := canon.FingerprintRaw(m)
	f := state.Facet{Hash: h, Value: facetValue(m)}
	if items != nil {
		f.Items = append([]string{}, items...)
	}
	if o.New.Facets == nil {
		o.New.Facets = map[string]state.Facet{}
	}
	o.New.Facets[facet] = f
	if !o.Exists {
		return
	}
	var old state.Facet
	var ok bool
	if o.Old != nil {
		old, ok = o.Old.Facets[facet]
	}
	switch {
	case ok && old.Hash == h:
		for _, v := range vals {
			o.Before[v.Name] = o.After[v.Name]
		}
	case ok && old.Hash == ReassertPrefix+h:
		// Applied as the files say, and to be sent again: Before does not
		// hold it, so the executor sends it whole.
		o.Reassert = append(o.Reassert, facet)
	case ok:
		o.Changed = append(o.Changed, facet)
		if items != nil {
			prev := old.Items
			if prev == nil {
				prev = []string{}
			}
			o.Before.Set(vals[0].Name, prev)
		}
		o.showApplied(old, vals)
	default:
		o.NotInState = append(o.NotInState, facet)
	}
}

// showApplied records what the change shows of a write-only facet that
// changed since the last apply: the values the state keeps of it, or,
// when it keeps only a fingerprint (or a value that is not the one
// fingerprinted), that they are unknown. Before is left as it is: it says
// what the executor sends.
func (o *Object) showApplied(old state.Facet, vals []KV) {
	prev, known := appliedValues(old)
	for _, v := range vals {
		if o.Before.Has(v.Name) {
			continue
		}
		if !known {
			o.BeforeUnknown = append(o.BeforeUnknown, v.Name)
			continue
		}
		if raw, ok := prev[v.Name]; ok {
			if o.LastApplied == nil {
				o.LastApplied = plan.Attrs{}
			}
			o.LastApplied[v.Name] = raw
		}
	}
}

// appliedValues decodes the value a facet of the state keeps, when it is
// the one its fingerprint is of.
func appliedValues(f state.Facet) (map[string]json.RawMessage, bool) {
	if len(f.Value) == 0 {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f.Value, &m); err != nil || m == nil {
		return nil, false
	}
	if canon.FingerprintRaw(m) != Unmarked(f.Hash) {
		return nil, false
	}
	return m, true
}

// facetValue is the canonical JSON object of a facet's attributes, whose
// values are canonical already: the text canon.FingerprintRaw(m) is the
// fingerprint of, written without encoding the values again.
func facetValue(m map[string]json.RawMessage) json.RawMessage {
	names := make([]string, 0, len(m))
	n := 2
	for name, raw := range m {
		names = append(names, name)
		n += len(name) + len(raw) + 4
	}
	sort.Strings(names)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = canon.AppendString(b, name)
		b = append(b, ':')
		b = append(b, m[name]...)
	}
	return append(b, '}')
}

// Applied records in the new state the fingerprint and the value of a
// facet whose attributes (vals, set in After) are compared with the
// server this time, so that a later plan that cannot read them back
// (ReadableWhenShown) knows what was applied.
func (o *Object) Applied(facet string, vals ...KV) {
	m := make(map[string]json.RawMessage, len(vals))
	for _, v := range vals {
		m[v.Name] = canon.JSON(v.Value)
	}
	if o.New.Facets == nil {
		o.New.Facets = map[string]state.Facet{}
	}
	o.New.Facets[facet] = state.Facet{Hash: canon.FingerprintRaw(m), Value: facetValue(m)}
}

// Fingerprint records in the new state the fingerprint of a facet that is
// compared with the server this time, so that a later plan that cannot
// read it back (ReadableWhenShown) knows what was applied.
func (o *Object) Fingerprint(facet string, v any) {
	if o.New.Facets == nil {
		o.New.Facets = map[string]state.Facet{}
	}
	o.New.Facets[facet] = state.Facet{Hash: canon.Fingerprint(v)}
}

// OldItems returns the items the state has for a facet (nil, false when
// the facet is not in the state).
func (o *Object) OldItems(facet string) ([]string, bool) {
	if o.Old == nil {
		return nil, false
	}
	f, ok := o.Old.Facets[facet]
	if !ok {
		return nil, false
	}
	return f.Items, true
}

func (o *Object) reason() string {
	var parts []string
	parts = append(parts, o.Replace...)
	parts = append(parts, o.ForceUpdate...)
	sort.Strings(o.Drift)
	parts = append(parts, o.Drift...)
	if len(o.Changed) > 0 {
		sort.Strings(o.Changed)
		parts = append(parts, "changed since last apply: "+strings.Join(o.Changed, ", "))
	}
	if len(o.NotInState) > 0 {
		sort.Strings(o.NotInState)
		parts = append(parts, "not in state: "+strings.Join(o.NotInState, ", "))
	}
	if len(o.Reassert) > 0 {
		sort.Strings(o.Reassert)
		parts = append(parts, ReassertReason(o.Reassert))
	}
	return strings.Join(parts, "; ")
}

// Finish adds the object's change to the plan, or counts it as a no-op.
// depth orders changes of one kind within their phase (departments:
// parents first).
func (o *Object) Finish(depth int) {
	c := plan.Change{Kind: o.Kind, Key: o.Key, Scope: o.Scope, Source: SourceString(o.Src), After: o.After, NewState: o.New}
	if len(o.LastApplied) > 0 {
		c.LastApplied = o.LastApplied
	}
	if len(o.BeforeUnknown) > 0 {
		c.BeforeUnknown = append([]string(nil), o.BeforeUnknown...)
		sort.Strings(c.BeforeUnknown)
	}
	switch {
	case !o.Exists:
		c.Action = plan.Create
		c.NewState.ID = 0
		c.Reason = o.CreateReason
		if c.Reason == "" {
			c.Reason = "not on the server"
		}
	case len(o.Replace) > 0:
		c.Action = plan.Replace
		c.Before = o.Before
		c.Reason = o.reason()
		c.NewState.ID = 0
	case len(o.Drift)+len(o.Changed)+len(o.NotInState)+len(o.ForceUpdate)+len(o.Reassert) > 0:
		c.Action = plan.Update
		c.Before = o.Before
		c.Reason = o.reason()
	default:
		o.p.noops[o.Kind]++
		return
	}
	if len(c.NewState.Facets) == 0 {
		c.NewState.Facets = nil
	}
	o.p.Add(c, depth)
}
