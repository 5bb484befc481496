package quickbi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/state"
)

// ExecOptions tune the executor.
type ExecOptions struct {
	// GroupBatch is the most users of one AddUserGroupMember call;
	// default and at most 1000.
	GroupBatch int
	// WorkspaceBatch is the most users of one AddWorkspaceUsers or
	// UpdateWorkspaceUsersRole call; default and at most 1000.
	WorkspaceBatch int
}

// MaxBatch is the most users Quick BI takes in one batch call.
const MaxBatch = 1000

func (o *ExecOptions) defaults() {
	if o.GroupBatch <= 0 || o.GroupBatch > MaxBatch {
		o.GroupBatch = MaxBatch
	}
	if o.WorkspaceBatch <= 0 || o.WorkspaceBatch > MaxBatch {
		o.WorkspaceBatch = MaxBatch
	}
}

// executor applies one plan to a Quick BI organization.
type executor struct {
	provider.Exec
	clients
	api  *countingAPI
	plan *plan.Plan
	o    ExecOptions

	mu sync.Mutex
	// userIDs and tagIDs map the plan's accounts and tag names to the
	// server's ids: those the plan knew, and those learned on the way
	// (AddUser, AddUserTagMeta).
	userIDs map[string]string
	tagIDs  map[string]string
	// ruleIDs are the ids of the rules created, by change.
	ruleIDs map[int]string
	// leaving maps the accounts the plan removes from the organization to
	// that change: DeleteUser takes a member out of every group and
	// workspace, so those removals are left to it.
	leaving map[string]int
	// lookup finds a member after a failed AddUser (exec_readd.go); nil:
	// no lookup. meanwhile are the creates of users that found the member
	// added by hand since the plan, and wasCreated whether the state
	// recorded each created by permsync before: such a member is not
	// taken for permsync's own on that account.
	lookup     memberLookup
	meanwhile  map[int]bool
	wasCreated map[string]bool
}

var _ provider.Executor = (*executor)(nil)

func newExecutor(api apiclient.Writer, x provider.Exec, o ExecOptions) *executor {
	o.defaults()
	counting := newCountingAPI(api)
	p := x.Plan()
	a := &executor{Exec: x, clients: newClients(counting), api: counting, plan: p, o: o,
		userIDs: map[string]string{}, tagIDs: map[string]string{}, ruleIDs: map[int]string{}, leaving: map[string]int{}}
	for i, c := range p.Changes {
		for _, attrs := range []plan.Attrs{c.Before, c.After} {
			var ids map[string]string
			if attrs.Decode(attrUserIDs, &ids) == nil {
				for k, v := range ids {
					a.userIDs[k] = v
				}
			}
			if attrs.Decode(attrTagIDs, &ids) == nil {
				for k, v := range ids {
					a.tagIDs[k] = v
				}
			}
		}
		id := c.Before.String("id")
		switch {
		case c.Kind == KindUser && id != "":
			a.userIDs[c.Key] = id
		case c.Kind == KindTag && id != "":
			a.tagIDs[c.Key] = id
		}
		if c.Kind == KindUser && c.Action == plan.Delete {
			a.leaving[c.Key] = i
		}
	}
	return a
}

// Calls counts the write calls made, per action.
func (a *executor) Calls() map[string]int { return a.api.snapshot() }

func (a *executor) change(i int) plan.Change { return a.plan.Changes[i] }

// userID is the UserId of an account of the plan ("" when not known).
func (a *executor) userID(account string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.userIDs[account]
}

func (a *executor) learnUser(account, id string) {
	a.mu.Lock()
	a.userIDs[account] = id
	a.mu.Unlock()
}

// userIDList maps accounts to UserIds, failing on one not known.
func (a *executor) userIDList(accounts []string) ([]string, error) {
	out := make([]string, 0, len(accounts))
	for _, u := range accounts {
		id := a.userID(u)
		if id == "" {
			return nil, fmt.Errorf("the UserId of %s is not known", u)
		}
		out = append(out, id)
	}
	return out, nil
}

func (a *executor) tagID(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tagIDs[name]
}

// RunPhase makes the calls of one phase. Phases with inner order (a
// group's parent before the group, members after the group, a user added
// before its tag values) run in steps; the calls of a step run
// concurrently.
func (a *executor) RunPhase(ctx context.Context, ph int, idx []int) {
	idx = a.Filter(idx)
	if len(idx) == 0 {
		return
	}
	switch ph {
	case PhaseTags:
		a.RunStep(ctx, a.tagCalls(idx))
	case PhaseUsers, PhaseLoweredUsers:
		a.runUsers(ctx, idx)
	case PhaseGroups:
		a.runGroups(ctx, idx)
	case PhaseMembers:
		a.runMembers(ctx, idx)
	case PhaseDatasets:
		a.runDatasets(ctx, idx)
	case PhaseDeleteGroups:
		a.runGroupDeletes(ctx, idx)
	default:
		a.RunStep(ctx, a.deleteCalls(idx))
	}
}

// Applied is what the state records of change i once applied: a rule
// created keeps the id the server gave it.
func (a *executor) Applied(i int, ns *state.Object) *state.Object {
	a.mu.Lock()
	id := a.ruleIDs[i]
	if a.meanwhile[i] {
		ns.Created = a.wasCreated[a.plan.Changes[i].Key]
	}
	a.mu.Unlock()
	if id != "" {
		if ns.Facets == nil {
			ns.Facets = map[string]state.Facet{}
		}
		ns.Facets[FacetRuleID] = ruleIDFacet(id)
	}
	return ns
}

// Partial is what a change that did not complete left on the server: the
// object its create made (the calls left undone touch facets the plan
// reads back, such as a group's members or a user's tag values).
func (a *executor) Partial(i int, p provider.Progress, cur *state.Object) (*state.Object, bool) {
	c := a.change(i)
	if p.Created && c.NewState != nil {
		return a.Applied(i, c.NewState.Clone()), true
	}
	return nil, false
}

// Exists reports whether the object of a create or replace is on the
// server, where the changes that depend on it find it.
func (a *executor) Exists(i int, p provider.Progress) bool { return p.Created }

// changed reports whether a create, replace or update sets the attribute:
// it is in After and, for an update, differs from Before.
func changed(c plan.Change, name string) bool {
	after, ok := c.After[name]
	if !ok {
		return false
	}
	if c.Action == plan.Create || c.Action == plan.Replace {
		return true
	}
	before, ok := c.Before[name]
	return !ok || !bytes.Equal(before, after)
}

// isGone reports an answer that the object is not on the server.
func isGone(err error) bool { return apiclient.Classify(err) == provider.NotFound }

// notApplied reports an answer that the call changed nothing (Result
// false): for a removal, the user was not there.
func notApplied(err error) bool {
	var na *apiclient.NotAppliedError
	return errors.As(err, &na)
}

// goneIsDone makes a deletion whose object is gone already succeed.
func goneIsDone(run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := run(ctx); err != nil && !isGone(err) {
			return err
		}
		return nil
	}
}

// code is the server's error code of err ("" when none).
func code(err error) string {
	var ae *apiclient.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// chunks splits items into runs of at most size.
func chunks[T any](items []T, size int) [][]T {
	var out [][]T
	for len(items) > size {
		out = append(out, items[:size])
		items = items[size:]
	}
	if len(items) > 0 {
		out = append(out, items)
	}
	return out
}

// unsupported fails a change of an action its kind's executor does not
// make.
func (a *executor) unsupported(i int) {
	c := a.change(i)
	a.SetFailed(i, fmt.Errorf("%s %s: action %s is not supported", c.Kind, c.Key, c.Action))
}
