package engine

import (
	"context"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/state"
)

// StateReader is implemented by a provider whose read needs what the state
// knows of the scope: the server ids of the objects the files name, to find
// one renamed on the server (a project or workspace read by its id rather
// than its name), and to tell an object deleted on the server from one no
// read shows (an empty group). The read never changes the server.
type StateReader interface {
	ReadKnown(ctx context.Context, s provider.Scope, st *state.State) (provider.Live, error)
}

// readScope reads what s covers, with what st knows when the provider can
// use it.
func readScope(ctx context.Context, pr provider.Provider, s provider.Scope, st *state.State) (provider.Live, error) {
	if sr, ok := pr.(StateReader); ok && st != nil {
		return sr.ReadKnown(ctx, s, st)
	}
	return pr.Read(ctx, s)
}
