// Package plan is the plan as a value: what permsync would change on a
// server, object by object, before anything is sent. It is what the diff
// produces, what is rendered for a reviewer, saved to a plan file, and what
// the engine applies; it knows no server.
package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/state"
)

// Action is what a change does to an object.
type Action string

// Actions, as Terraform's plans name them.
const (
	NoOp    Action = "no-op" // kept only for counting; never rendered or applied
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace" // delete and re-create: the API cannot undo a binding
)

// Kind is the kind of object a change is about; each provider names its
// kinds (its registry lists them in rendering order).
type Kind string

// Attrs are an object's attributes, each a canonical JSON value (sorted
// lists where order does not matter, no insignificant whitespace). Attrs
// marshal with sorted keys, so plans are deterministic.
type Attrs map[string]json.RawMessage

// Change is one planned change of one object.
type Change struct {
	Action Action `json:"action"`
	Kind   Kind   `json:"kind"`
	Key    string `json:"key"`
	// Scope is the project or workspace of an object of a scoped kind:
	// the start of Key, so that no one splits Key to find it.
	Scope string `json:"scope,omitempty"`
	// Before is what the server has (readable facets) or what was last
	// applied (write-only facets, from the state); nil for a create.
	Before Attrs `json:"before,omitempty"`
	// After is what the change leaves; nil for a delete.
	After Attrs `json:"after,omitempty"`
	// LastApplied is display-only: for the write-only attributes the
	// change sets again that Before does not hold, what the state records
	// as last applied, so that a reviewer sees what the change replaces.
	// The executor never reads it (Before alone says what is sent).
	LastApplied Attrs `json:"last_applied,omitempty"`
	// BeforeUnknown is display-only: the write-only attributes the change
	// sets again whose last-applied value the state does not keep (a
	// state written by an earlier release holds only their fingerprint).
	// Sorted.
	BeforeUnknown []string `json:"before_unknown,omitempty"`
	// Reason is display-only: why this change is in the plan.
	Reason string `json:"reason,omitempty"`
	// Source is where the desired object is written ("file:line").
	Source string `json:"source,omitempty"`
	// NewState is what the state records for this object once the change
	// is applied (nil: the object leaves the state). The executor stores
	// it as is; it never computes fingerprints itself.
	NewState *state.Object `json:"new_state,omitempty"`
	// Phase is the phase the change is applied in (an index of the
	// provider's Registry.Phases).
	Phase int `json:"phase"`
	// DependsOn names, by state key ("kind key"), the objects this plan
	// creates or replaces that the change needs: when such a create fails
	// or is skipped, the change is skipped.
	DependsOn []string `json:"depends_on,omitempty"`
}

// Plan is the value produced by Compute and executed by reconcile. Changes
// are in apply order (see Order) and never contain NoOp.
type Plan struct {
	// Provider names the provider that made the plan ("youdata"), and
	// with it the meaning of its kinds, phases and dependencies.
	Provider string `json:"provider,omitempty"`
	// Kinds are the provider's kinds in rendering order.
	Kinds   []Kind   `json:"kinds,omitempty"`
	Changes []Change `json:"changes"`
	// NoOps counts unchanged objects per kind.
	NoOps map[Kind]int `json:"no_ops,omitempty"`
	// Warnings are shown with the plan (dropped changes to protected users,
	// ...). Sorted.
	Warnings []string `json:"warnings,omitempty"`
	// Refusals, when not empty, make the plan not applicable (maxDeletes
	// exceeded, ...). --allow-mass-delete clears the maxDeletes ones.
	Refusals []Refusal `json:"refusals,omitempty"`
	// Targets, when set, are the --target the plan is limited to (see
	// Targeted).
	Targets []string `json:"targets,omitempty"`
}

// Strings decodes a list-of-strings attribute; nil when absent or not a list.
func (a Attrs) Strings(name string) []string {
	if out, ok := fastStrings(a[name]); ok {
		return out
	}
	var out []string
	if err := a.Decode(name, &out); err != nil {
		return nil
	}
	return out
}

// String decodes a string attribute; "" when absent or not a string.
func (a Attrs) String(name string) string {
	if out, ok := fastString(a[name]); ok {
		return out
	}
	var out string
	if err := a.Decode(name, &out); err != nil {
		return ""
	}
	return out
}

// Int decodes an integer attribute; 0 when absent or not a number.
func (a Attrs) Int(name string) int64 {
	if out, ok := fastInt(a[name]); ok {
		return out
	}
	var out int64
	if err := a.Decode(name, &out); err != nil {
		return 0
	}
	return out
}

// Has reports whether the attribute is present.
func (a Attrs) Has(name string) bool {
	_, ok := a[name]
	return ok
}

// Decode unmarshals the attribute into v. An absent attribute is an error.
func (a Attrs) Decode(name string, v any) error {
	raw, ok := a[name]
	if !ok {
		return fmt.Errorf("decode attribute %q: absent", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode attribute %q: %w", name, err)
	}
	return nil
}

// Set stores v, as canonical JSON, under name. It allocates the map when nil.
func (a *Attrs) Set(name string, v any) {
	if *a == nil {
		*a = Attrs{}
	}
	(*a)[name] = canon.JSON(v)
}

// Shown is what a reviewer is shown as the object's value before the
// change: Before with the LastApplied values it does not hold (nil for a
// create). It shares the values of Before and LastApplied.
func (c Change) Shown() Attrs {
	if c.Before == nil || len(c.LastApplied) == 0 {
		return c.Before
	}
	out := make(Attrs, len(c.Before)+len(c.LastApplied))
	for n, v := range c.LastApplied {
		out[n] = v
	}
	for n, v := range c.Before {
		out[n] = v
	}
	return out
}

// Changed lists, sorted, the attributes that differ between Before and
// After (see the change model above): every attribute of a create, none
// of a delete.
func (c Change) Changed() []string {
	var out []string
	for name, after := range c.After {
		if before, ok := c.Before[name]; !ok || !bytes.Equal(before, after) {
			out = append(out, name)
		}
	}
	for name := range c.Before {
		if _, ok := c.After[name]; !ok && c.After != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Record records in the state what the change leaves: its NewState, or
// the object's removal when NewState is nil; a NoOp records nothing. It
// copies NewState; the caller sets NewState.ID beforehand where it learned
// the id.
func (c Change) Record(st *state.State) {
	if c.Action == NoOp {
		return
	}
	st.Record(StateKey(c.Kind, c.Key), c.NewState)
}

// StateKey is the key of an object in the state's Objects.
func StateKey(k Kind, key string) string { return state.Key(string(k), key) }

// RefusalKind says why a plan cannot be applied.
type RefusalKind string

// Kinds of refusals.
const (
	// RefuseMaxDeletes: the plan removes more than settings.maxDeletes
	// allows. --allow-mass-delete lifts it (and only it).
	RefuseMaxDeletes RefusalKind = "maxDeletes"
	// RefuseDataLoss: a change would lose what the server cannot read
	// back and the files do not say (a role re-created without its
	// resources).
	RefuseDataLoss RefusalKind = "dataLoss"
	// RefuseLockout: the plan would leave a project without an admin, or
	// demote an admin who may be the token's user.
	RefuseLockout RefusalKind = "lockout"
	// RefuseOther: any other.
	RefuseOther RefusalKind = "other"
)

// Refusal is one reason a plan cannot be applied.
type Refusal struct {
	Kind    RefusalKind `json:"kind"`
	Message string      `json:"message"`
}

// Liftable reports whether --allow-mass-delete lifts the refusal.
func (r Refusal) Liftable() bool { return r.Kind == RefuseMaxDeletes }

func (r Refusal) String() string { return r.Message }

// UnmarshalJSON reads a refusal, or the bare message that plan files
// written before refusals had kinds hold; the kind of such a message is
// what its words say (the one place that reads them).
func (r *Refusal) UnmarshalJSON(b []byte) error {
	var msg string
	if err := json.Unmarshal(b, &msg); err == nil {
		r.Message, r.Kind = msg, RefuseOther
		if strings.HasPrefix(msg, "settings.maxDeletes:") {
			r.Kind = RefuseMaxDeletes
		}
		return nil
	}
	type plain Refusal
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("plan: refusal: %w", err)
	}
	*r = Refusal(p)
	return nil
}

// RefusalMessages lists the messages of the plan's refusals.
func (p *Plan) RefusalMessages() []string {
	if p == nil || p.Refusals == nil {
		return nil
	}
	out := make([]string, len(p.Refusals))
	for i, r := range p.Refusals {
		out[i] = r.Message
	}
	return out
}

// Address is the change's typed address, its key parsed with the kind's
// shape as the registry gives it. The scope is the change's; a change of
// a scoped kind made without one (by hand) takes its key up to the first
// "/". A kind the registry does not name keeps its key as one part.
func (c Change) Address(reg *Registry) Address {
	shape := Shape{Parts: 1}
	if reg != nil {
		if ki, ok := reg.Kind(c.Kind); ok {
			shape = ki.Shape
		}
	}
	if c.Scope == "" && shape.Scoped {
		if a, err := ParseKey(c.Kind, shape, c.Key, nil); err == nil {
			return a
		}
	}
	rest := c.Key
	if c.Scope != "" {
		rest = strings.TrimPrefix(rest, c.Scope+"/")
	}
	parts := shape.Parts
	if parts < 1 {
		parts = 1
	}
	return Address{Kind: c.Kind, Scope: c.Scope, Path: strings.SplitN(rest, "/", parts)}
}
