package youdata

import (
	"context"
	"fmt"
	"strconv"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Name is the provider's name in the files.
const Name = "youdata"

// Config configures the Youdata provider.
type Config struct {
	// API is the client of the server (or of its simulator).
	API apiclient.API
	// Read bounds and tunes every read (its TokenUser and AllProjects come
	// from the scope).
	Read ReadOptions
	// BatchSize is the most users in one user/batchImport call; default
	// 500.
	BatchSize int
}

// Provider is NetEase Youdata (网易有数).
type Provider struct {
	c Config
}

var _ provider.Provider = (*Provider)(nil)

// New makes the provider.
func New(c Config) *Provider { return &Provider{c: c} }

// Name is "youdata".
func (p *Provider) Name() string { return Name }

// Registry is Youdata's registry.
func (p *Provider) Registry() *plan.Registry { return Registry }

// Validate checks what only Youdata knows of the files: the loader has
// checked everything Youdata's part of the format says.
func (p *Provider) Validate(*spec.Desired) error { return nil }

// Scope is the projects the files name.
func (p *Provider) Scope(d *spec.Desired) provider.Scope {
	var s provider.Scope
	for _, pr := range d.Projects {
		ref := provider.SpaceRef{Name: pr.Name}
		if pr.ID != 0 {
			ref.ID = strconv.FormatInt(pr.ID, 10)
		}
		s.Spaces = append(s.Spaces, ref)
	}
	s.Extra = scopeGroups(d)
	return s
}

// Read reads what the scope covers (ReadLive).
func (p *Provider) Read(ctx context.Context, s provider.Scope) (provider.Live, error) {
	o := p.c.Read
	o.TokenUser, o.AllProjects, o.Refresh = s.TokenUser, s.AllSpaces, s.Refresh
	o.GroupMembers, _ = s.Extra.(GroupMembers)
	refs := make([]ProjectRef, 0, len(s.Spaces))
	for _, sp := range s.Spaces {
		id, _ := strconv.ParseInt(sp.ID, 10, 64)
		refs = append(refs, ProjectRef{Name: sp.Name, ID: id})
	}
	live, err := ReadLive(ctx, p.c.API, refs, o)
	if err != nil {
		return nil, err
	}
	return live, nil
}

// Plan computes the plan (Compute).
func (p *Provider) Plan(d *spec.Desired, live provider.Live, st *state.State, o diff.Options) (*plan.Plan, error) {
	l, ok := live.(*Live)
	if live != nil && !ok {
		return nil, fmt.Errorf("plan: a live model of type %T is not Youdata's", live)
	}
	if l != nil && d != nil && l.Reads != nil && l.Reads.Narrowed {
		// What a narrowed read did not read is as the files want it.
		l = l.clone()
		assume(d, l, st)
	}
	return Compute(d, l, st, o)
}

// NewExecutor makes the executor of one apply.
func (p *Provider) NewExecutor(x provider.Exec) provider.Executor {
	return newExecutor(p.c.API, x, ApplyOptions{BatchSize: p.c.BatchSize})
}

// Removals lists the users a change removes or unbinds.
func (p *Provider) Removals(c plan.Change) []provider.Removal { return guard{}.Removals(c) }

// AdminLoss says what a change does to an admin it demotes or removes.
func (p *Provider) AdminLoss(c plan.Change) string { return guard{}.AdminLoss(c) }

// Classify classifies the client's errors (apiclient.Classify).
func (p *Provider) Classify(err error) provider.Class { return apiclient.Classify(err) }

// AllowsLater allows a later round to replace a group whose create lost
// its answer.
func (p *Provider) AllowsLater(approved, later plan.Change, st *state.State) bool {
	return allowsLater(approved, later, st)
}

// Principal is the user behind the token as the read resolved it (an
// email turned into the uniqueId of the one user with it), or "" when it
// is no user of the server.
func (l *Live) Principal() string {
	if l == nil {
		return ""
	}
	if _, ok := l.Users[l.TokenUser]; !ok {
		return ""
	}
	return l.TokenUser
}
