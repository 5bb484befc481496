// Package quickbi is the Alibaba Cloud Quick BI provider: its registry,
// the read of an organization into its live model (ReadLive), the planner
// on the diff's core (Compute), the executor that turns a plan's phases
// into the fewest calls the OpenAPI allows, the guard rails and the
// lower bounds of calls a plan needs (ReadBound, WriteBound).
//
// The client is apiclient, the simulator quickbitest; docs/quickbi.md
// says how the files map onto the API, what is read, and the traps.
package quickbi

import (
	"context"
	"fmt"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Config configures the Quick BI provider.
type Config struct {
	// API is the client of the organization (or of its simulator).
	API apiclient.API
	// Read bounds and tunes every read.
	Read ReadOptions
	// Exec tunes the executor's batches.
	Exec ExecOptions
}

// Provider is Alibaba Cloud Quick BI.
type Provider struct {
	c Config
}

var _ provider.Provider = (*Provider)(nil)

// New makes the provider.
func New(c Config) *Provider { return &Provider{c: c} }

// Name is "quickbi".
func (p *Provider) Name() string { return Name }

// Registry is Quick BI's registry.
func (p *Provider) Registry() *plan.Registry { return Registry }

// Validate checks the files' Quick BI part for what the YAML loader does
// not know and the server need not be asked about: the ids groups may
// have. What only the server knows (custom role names, dataset names,
// nicknames taken) is checked when planning, as problems of the plan.
func (p *Provider) Validate(d *spec.Desired) error {
	if d == nil || d.QuickBI == nil {
		return fmt.Errorf("validate: the files hold no Quick BI part (provider: %s)", Name)
	}
	var problems []string
	for _, g := range d.QuickBI.Groups {
		if !groupIDPattern.MatchString(g.ID) || len(g.ID) > 0 && hasMovedSuffix(g.ID) {
			problems = append(problems, fmt.Sprintf("%s: group id %q: a group id is 1 to 57 letters, digits, - and _, and does not end in %q", g.Src, g.ID, MovedSuffix))
		}
	}
	if len(problems) > 0 {
		return &diff.PlanError{Problems: problems}
	}
	return nil
}

// Scope is what the files cover: their workspaces, and the provider's
// ReadScope.
func (p *Provider) Scope(d *spec.Desired) provider.Scope {
	var s provider.Scope
	if d == nil || d.QuickBI == nil {
		return s
	}
	for _, w := range d.QuickBI.Workspaces {
		s.Spaces = append(s.Spaces, provider.SpaceRef{Name: w.Name, ID: w.ID})
	}
	s.Extra = ScopeOf(d.QuickBI)
	return s
}

// Read reads what the scope covers (ReadLive); with AllSpaces, everything
// (ReadScope.All).
func (p *Provider) Read(ctx context.Context, s provider.Scope) (provider.Live, error) {
	rs, _ := s.Extra.(ReadScope)
	if s.AllSpaces {
		rs.All = true
	} else {
		rs.Refresh = s.Refresh
	}
	live, err := ReadLive(ctx, p.c.API, rs, s.TokenUser, p.c.Read)
	if err != nil {
		return nil, err
	}
	return live, nil
}

// Plan computes the plan (Compute).
func (p *Provider) Plan(d *spec.Desired, live provider.Live, st *state.State, o diff.Options) (*plan.Plan, error) {
	l, ok := live.(*Live)
	if live != nil && !ok {
		return nil, fmt.Errorf("plan: a live model of type %T is not Quick BI's", live)
	}
	return Compute(d, l, st, o)
}

// NewExecutor makes the executor of one apply.
func (p *Provider) NewExecutor(x provider.Exec) provider.Executor {
	x.UpdateState(func(st *state.State) bool { return learnWorkspaceIDs(x.Plan(), st) })
	ex := newExecutor(p.c.API, x, p.c.Exec)
	ex.lookup, ex.meanwhile, ex.wasCreated = p.c.API, map[int]bool{}, map[string]bool{}
	x.UpdateState(ex.recordOwnership)
	return ex
}

// Removals lists the users a change removes or makes inactive.
func (p *Provider) Removals(c plan.Change) []provider.Removal { return guard{}.Removals(c) }

// AdminLoss says what a change does to an organization admin.
func (p *Provider) AdminLoss(c plan.Change) string { return guard{}.AdminLoss(c) }

// Classify classifies the client's errors (apiclient.Classify).
func (p *Provider) Classify(err error) provider.Class { return apiclient.Classify(err) }

// AllowsLater allows, in a later round of an apply, a change the approved
// one covers but for the server ids it knows more of (a user the earlier
// round added, now a member of the group the approved change fills).
// Every recovery of Quick BI's own (a move finished, a member found
// already there) is a change the approved plan holds.
func (p *Provider) AllowsLater(approved, later plan.Change, st *state.State) bool {
	return allowsLater(approved, later)
}

func hasMovedSuffix(id string) bool {
	return len(id) >= len(MovedSuffix) && id[len(id)-len(MovedSuffix):] == MovedSuffix
}
