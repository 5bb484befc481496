package youdata

import (
	"context"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

// allowsLater allows, in a later round of Converge, the replace of a group
// whose create was lost; it reports whether c replaces a group whose create the
// approved change a sent in an earlier round without getting the answer
// (the state marks it pending): the replace deletes only what that
// create may have left, by the path it named, and creates the group as
// a does.
func allowsLater(a, c plan.Change, st *state.State) bool {
	if c.Kind != KindGroup || c.Action != plan.Replace || c.Before.Has("id") || st == nil {
		return false
	}
	if a.Action != plan.Create && a.Action != plan.Replace {
		return false
	}
	if o := st.Objects[plan.StateKey(c.Kind, c.Key)]; o == nil || !o.Pending {
		return false
	}
	if c.Before.String("folder") != a.After.String("folder") {
		return false
	}
	a.Action = plan.Replace
	return engine.Allows(a, c)
}

// ConvergeOptions tune Converge (see engine.ConvergeOptions).
type ConvergeOptions struct {
	// Replan reads the server again and plans against the state as Apply
	// left it. Without it, Converge is Apply.
	Replan func(ctx context.Context) (*plan.Plan, error)
	// MaxRounds bounds the rounds, the first included; default
	// engine.DefaultMaxRounds.
	MaxRounds int
	// OnRound, if set, is told before every round after the first.
	OnRound func(round int, p *plan.Plan)
}

// Converge applies p as Apply does and, when changes failed for a reason
// that may pass, reads the server again and applies what is still
// missing, within the approved plan (see engine.Converge).
func Converge(ctx context.Context, api apiclient.API, p *plan.Plan, st *state.State, o ApplyOptions, co ConvergeOptions) (*engine.Result, error) {
	if p != nil {
		p = sequenced(p)
	}
	return engine.Converge(ctx, p, st, o.engineOptions(), engine.ConvergeOptions{
		Replan:      co.Replan,
		MaxRounds:   co.MaxRounds,
		OnRound:     co.OnRound,
		MayPass:     mayPass,
		AllowsLater: allowsLater,
	}, func(x provider.Exec) provider.Executor { return newExecutor(api, x, o) })
}

// mayPass reports whether a failure may pass by trying again after a
// fresh read.
func mayPass(err error) bool { return apiclient.Classify(err) == provider.Retryable }
