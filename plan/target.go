package plan

import (
	"fmt"
	"sort"
	"strings"
)

// Target is one --target: the objects a targeted plan keeps, as
// Terraform's -target. It names one object ("user alice@example.com"),
// every object of a kind ("user"), or everything in one project or
// workspace ("project 销售分析", "workspace 华东"), whose scoped objects
// it then covers too.
type Target struct {
	Kind Kind
	// Key is the object's key; "" names every object of Kind.
	Key string
	// scope is set when Kind is the registry's ScopeKind: Key is a
	// project's or workspace's name.
	scope bool
}

// String is the target as written: "kind key", or "kind".
func (t Target) String() string {
	if t.Key == "" {
		return string(t.Kind)
	}
	return string(t.Kind) + " " + t.Key
}

// ParseTarget parses a --target against a provider's registry: "KIND" or
// "KIND KEY", KIND one of the registry's kinds or its ScopeKind.
func ParseTarget(s string, reg *Registry) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, fmt.Errorf("--target %q: empty; want KIND or KIND KEY, e.g. \"user alice@example.com\"", s)
	}
	kind, key, _ := strings.Cut(s, " ")
	key = strings.TrimSpace(key)
	t := Target{Kind: Kind(kind), Key: key}
	if reg.ScopeKind != "" && t.Kind == reg.ScopeKind {
		if key == "" {
			return Target{}, fmt.Errorf("--target %q: name the %s, e.g. \"%s NAME\"", s, kind, kind)
		}
		t.scope = true
		return t, nil
	}
	if _, ok := reg.Kind(t.Kind); !ok {
		kinds := make([]string, 0, len(reg.Kinds)+1)
		for _, k := range reg.KindOrder() {
			kinds = append(kinds, string(k))
		}
		if reg.ScopeKind != "" {
			if _, ok := reg.Kind(reg.ScopeKind); !ok {
				kinds = append(kinds, string(reg.ScopeKind))
			}
		}
		return Target{}, fmt.Errorf("--target %q: %s has no kind %q; its kinds are %s", s, reg.Provider, kind, strings.Join(kinds, ", "))
	}
	return t, nil
}

// ParseTargets parses every --target; the first bad one is the error.
func ParseTargets(ss []string, reg *Registry) ([]Target, error) {
	out := make([]Target, 0, len(ss))
	for _, s := range ss {
		t, err := ParseTarget(s, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// matches reports whether change c is one of the target's objects.
func (t Target) matches(c Change) bool {
	switch {
	case t.scope:
		return c.Scope == t.Key || c.Kind == t.Kind && c.Key == t.Key
	case t.Key == "":
		return c.Kind == t.Kind
	}
	return c.Kind == t.Kind && c.Key == t.Key
}

// Targeted returns the plan limited to the changes of the targets and,
// transitively, the creates and replaces they depend on (DependsOn), in
// the plan's order. Its Targets name the targets; a warning says how many
// changes were left out and which targets match no change. Refusals are
// kept: a plan that may not be applied is not made applicable by
// narrowing it. With no targets, p itself is returned.
func (p *Plan) Targeted(ts []Target) *Plan {
	if len(ts) == 0 {
		return p
	}
	byKey := make(map[string]int, len(p.Changes))
	for i, c := range p.Changes {
		if _, dup := byKey[StateKey(c.Kind, c.Key)]; !dup {
			byKey[StateKey(c.Kind, c.Key)] = i
		}
	}
	keep := make([]bool, len(p.Changes))
	hit := make([]bool, len(ts))
	var queue []int
	for i, c := range p.Changes {
		for j, t := range ts {
			if t.matches(c) {
				hit[j] = true
				if !keep[i] {
					keep[i] = true
					queue = append(queue, i)
				}
			}
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, dep := range p.Changes[i].DependsOn {
			if j, ok := byKey[dep]; ok && !keep[j] {
				keep[j] = true
				queue = append(queue, j)
			}
		}
	}
	out := *p
	out.Changes = []Change{}
	for i, c := range p.Changes {
		if keep[i] {
			out.Changes = append(out.Changes, c)
		}
	}
	out.Targets = make([]string, len(ts))
	for i, t := range ts {
		out.Targets[i] = t.String()
	}
	out.Warnings = append([]string(nil), p.Warnings...)
	names := strings.Join(quoteAll(out.Targets), ", ")
	if left := len(p.Changes) - len(out.Changes); left > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("--target is in effect (%s): %d other change(s) the files call for are left out of this plan; run without --target to see and apply them", names, left))
	}
	for j, t := range ts {
		if !hit[j] {
			out.Warnings = append(out.Warnings, fmt.Sprintf("--target %q matches no change in this plan", t.String()))
		}
	}
	sort.Strings(out.Warnings)
	return &out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
