// Package provider is the seam between permsync's engine and a BI server.
// A provider names its kinds and facets (its registry), checks what only
// its server knows of the files, reads the server into its live model,
// plans with the diff's neutral core, turns each phase of a plan into
// batched calls (its executor), and classifies its errors where its client
// makes them. Everything outside a provider works on plans, states and
// these interfaces only.
package provider

import (
	"context"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Provider is one BI server.
type Provider interface {
	// Name is the provider's name, as the files' provider: key names it.
	Name() string
	// Registry names its kinds, phases and facets.
	Registry() *plan.Registry
	// Validate checks what only this server knows of its part of the
	// files (the YAML loader checked the rest).
	Validate(d *spec.Desired) error
	// Scope is what of the server the files cover: Read reads that and
	// only that.
	Scope(d *spec.Desired) Scope
	// Read reads the server. A failed or partial read is an error, never
	// a live model with objects missing.
	Read(ctx context.Context, s Scope) (Live, error)
	// Plan computes the plan that makes the server match the files: pure
	// and deterministic.
	Plan(d *spec.Desired, live Live, st *state.State, o diff.Options) (*plan.Plan, error)
	// NewExecutor makes the executor of one apply.
	NewExecutor(x Exec) Executor
	// Guard says what changes take from users.
	Guard
	// Classify says what an error of this provider means.
	Classify(err error) Class
	// AllowsLater allows, in a later round of an apply, a change of an
	// object that the approved change does not cover by the engine's
	// general rule: the provider's own recovery, which the plan said it
	// may make.
	AllowsLater(approved, later plan.Change, st *state.State) bool
}

// Scope is what of the server the files cover.
type Scope struct {
	// Spaces are the projects or workspaces the files name, by name or
	// pinned to an id.
	Spaces []SpaceRef
	// AllSpaces reads every project or workspace in full (export).
	AllSpaces bool
	// TokenUser is the user behind the credentials as the command line or
	// the environment names it, if at all; the read resolves it.
	TokenUser string
	// Refresh, when set, narrows the read to the units it names (see
	// Refresher): a provider that cannot narrow reads in full.
	Refresh *Refresh
	// Extra is the provider's own part of the scope, as its Scope made
	// it (nil for none): what else of the server the files cover, for a
	// server whose reads go object by object (Quick BI reads a user's tag
	// values one user per call, so only for the users whose tags the
	// files manage). The engine passes it through untouched.
	Extra any
}

// SpaceRef names a project or workspace: by name, or pinned to its id.
type SpaceRef struct {
	Name string
	ID   string
}

// Live is what a provider read of the server, in the provider's own
// model; the engine needs of it only what is here.
type Live interface {
	// Principal is the user behind the credentials as the read resolved
	// it ("" when unknown).
	Principal() string
}
