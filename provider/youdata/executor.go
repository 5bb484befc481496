package youdata

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

// ApplyOptions tune Apply. The zero value is usable except for SaveState,
// without which nothing is recorded.
type ApplyOptions struct {
	// BatchSize is the most users in one user/batchImport call; default 500.
	BatchSize int
	// Concurrency of independent calls within a phase; default 4. The
	// client's own limits apply on top.
	Concurrency int
	// ProtectedUsers and TokenUser are checked once more right before the
	// first write: a plan that would remove or unbind them is refused.
	ProtectedUsers []string
	TokenUser      string
	// AllowMassDelete lifts the plan's maxDeletes refusals; other refusals
	// always stop the apply.
	AllowMassDelete bool
	// SaveState is called with the state after every phase that recorded
	// something, and once more at the end, also after failures and
	// interruptions.
	SaveState func(*state.State) error
	// Progress, if set, is told of every change as it ends.
	Progress func(engine.ChangeResult)
	// InterruptGrace is how long the calls in flight when the context is
	// cancelled may still take before they are cancelled too; default 30s.
	InterruptGrace time.Duration
}

// engineOptions are the options of the engine's part of an apply.
func (o ApplyOptions) engineOptions() engine.Options {
	return engine.Options{
		Registry:        Registry,
		Concurrency:     o.Concurrency,
		ProtectedUsers:  o.ProtectedUsers,
		TokenUser:       o.TokenUser,
		Guard:           guard{},
		AllowMassDelete: o.AllowMassDelete,
		SaveState:       o.SaveState,
		Progress:        o.Progress,
		InterruptGrace:  o.InterruptGrace,
	}
}

// Apply executes the plan p against the server with the fewest write calls
// the API allows (see engine.Apply for what happens on failures and
// interruptions). A plan made by Compute carries its phases and
// dependencies; one built otherwise is sequenced first.
func Apply(ctx context.Context, api apiclient.API, p *plan.Plan, st *state.State, o ApplyOptions) (*engine.Result, error) {
	if p == nil {
		return engine.Apply(ctx, p, st, o.engineOptions(), nil)
	}
	return engine.Apply(ctx, sequenced(p), st, o.engineOptions(), func(x provider.Exec) provider.Executor {
		return newExecutor(api, x, o)
	})
}

// sequenced returns p with its phases and dependencies, sequencing a copy
// of a plan that has none (one not made by Compute).
func sequenced(p *plan.Plan) *plan.Plan {
	if p.Provider != "" {
		return p
	}
	q := *p
	q.Changes = append([]plan.Change(nil), p.Changes...)
	var projects []string
	for _, c := range q.Changes {
		if c.Kind == KindProject {
			projects = append(projects, c.Key)
		}
	}
	pl := &planner{projects: sets.Uniq(projects)}
	pl.sequence(&q)
	return &q
}

// groupStatus is what became of a group create that group/add found
// existing: adopted (recorded as existing, not created by permsync),
// described once its description was set, folderUnknown when it is not
// in the folder the files name.
type groupStatus struct {
	adopted, described, folderUnknown bool
}

// executor applies one plan to a Youdata server.
type executor struct {
	provider.Exec
	clients
	api  *countingAPI
	plan *plan.Plan
	o    ApplyOptions

	mu sync.Mutex
	// Learned along the way; guarded by mu.
	projectIDs map[string]int64 // project name → id
	sysRoleIDs map[string]int64 // custom system role name → id
	// joined are the member changes whose user joined the project in the
	// batchImport that upserted it.
	joined      map[int]bool
	groupStates map[int]*groupStatus
	// projectNames are the projects the plan names, to split keys.
	projectNames []string
	// leaving maps the users the plan deletes from the domain to the
	// index of that change. domain/user/delete removes a user from every
	// project, group and role, so they are not unbound or removed one by
	// one before: a change that leaves such a removal to it relies on it,
	// and fails when its user is not deleted.
	leaving map[string]int
	// groupDeletes maps the groups the plan deletes, by key, to the index
	// of that change: group/dels drops a group's role bindings, so a role
	// update leaves the unbinding of such a group to it.
	groupDeletes map[string]int
	// revoked maps, per project, the users the plan removes from it for
	// having left (settings.leavers: revoke) to that member deletion:
	// leaving the project takes their roles and groups there with them,
	// so they are not unbound one by one before.
	revoked map[string]map[string]int
	// lostGroups are the group replaces whose group the state marked
	// pending when the apply started: an earlier group/add of it lost its
	// answer.
	lostGroups map[int]bool
}

var _ provider.Executor = (*executor)(nil)

func newExecutor(api apiclient.API, x provider.Exec, o ApplyOptions) *executor {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	p := x.Plan()
	counting := newCountingAPI(api)
	a := &executor{
		Exec:         x,
		clients:      newClients(counting),
		api:          counting,
		plan:         p,
		o:            o,
		projectIDs:   map[string]int64{},
		sysRoleIDs:   map[string]int64{},
		joined:       map[int]bool{},
		groupStates:  map[int]*groupStatus{},
		leaving:      map[string]int{},
		groupDeletes: map[string]int{},
		lostGroups:   map[int]bool{},
		revoked:      map[string]map[string]int{},
	}
	x.UpdateState(func(st *state.State) bool { return learnIDs(p, st) })
	x.UpdateState(func(st *state.State) bool {
		for i, c := range p.Changes {
			if c.Kind == KindGroup && c.Action == plan.Replace && !c.Before.Has("id") {
				if o := st.Objects[plan.StateKey(c.Kind, c.Key)]; o != nil && o.Pending {
					a.lostGroups[i] = true
				}
			}
		}
		return false
	})
	for i, c := range p.Changes {
		if c.Action != plan.Delete {
			continue
		}
		switch c.Kind {
		case KindUser:
			a.leaving[c.Key] = i
		case KindGroup:
			a.groupDeletes[c.Key] = i
		}
	}
	seen := map[string]bool{}
	for _, c := range p.Changes {
		if c.Kind == KindProject && !seen[c.Key] {
			seen[c.Key] = true
			a.projectNames = append(a.projectNames, c.Key)
		}
	}
	for i, c := range p.Changes {
		var left bool
		if c.Kind == KindMember && c.Action == plan.Delete && c.Before.Decode("left", &left) == nil && left {
			project := a.projectOf(c)
			if a.revoked[project] == nil {
				a.revoked[project] = map[string]int{}
			}
			a.revoked[project][memberUser(c)] = i
		}
	}
	return a
}

// Calls counts the write calls made, per endpoint.
func (a *executor) Calls() map[string]int {
	calls, _ := a.api.snapshot()
	return calls
}

// group updates what is known of the group create i.
func (a *executor) group(i int, fn func(*groupStatus)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.groupStates[i]
	if g == nil {
		g = &groupStatus{}
		a.groupStates[i] = g
	}
	fn(g)
}

// groupOf is what is known of the group create i (zero when nothing).
func (a *executor) groupOf(i int) groupStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	if g := a.groupStates[i]; g != nil {
		return *g
	}
	return groupStatus{}
}

// Applied is what the state records of change i once applied: a group
// group/add found existing is known, not created by permsync.
func (a *executor) Applied(i int, ns *state.Object) *state.Object {
	if a.groupOf(i).adopted {
		ns.Created, ns.Pending = false, false
	}
	return withSetItems(a.plan.Changes[i], ns)
}

// Partial is what a change that did not complete left on the server: a
// group found existing, the object its create made (the calls left undone
// only touch facets the plan reads back, such as a group's members), or
// the absence of the object its replace deleted.
func (a *executor) Partial(i int, p provider.Progress, cur *state.Object) (*state.Object, bool) {
	c := a.plan.Changes[i]
	g := a.groupOf(i)
	switch {
	case g.adopted:
		// Found existing: known from now on, so that no plan creates it
		// again, or deletes it as permsync's own.
		return adoptedGroup(c, p.ID, g), true
	case p.Created && c.NewState != nil:
		ns := *c.NewState
		ns.ID = p.ID
		return &ns, true
	case p.Deleted:
		if cur != nil && cur.Pending {
			// The re-create was sent, and its answer lost: what it may
			// have left stays known, for the next apply to clear.
			return pendingGroup(c), true
		}
		return nil, true
	}
	return nil, false
}

// Exists reports whether the object of a create or replace is on the
// server, where the changes that depend on it can find it.
func (a *executor) Exists(i int, p provider.Progress) bool {
	return a.groupOf(i).adopted || p.Created && p.ID != 0
}

// relyOn notes that change i leaves the removal of user to its deletion
// from the domain.
func (a *executor) relyOn(i int, user string) {
	a.Rely(i, a.leaving[user], "unbinding user "+user+" was left to its deletion from the domain", nil)
}

// leavingProject returns users without those the plan removes from the
// project of change i for having left; change i leaves their removal to
// that deletion.
func (a *executor) leavingProject(i int, c plan.Change, users []string) []string {
	revoked := a.revoked[a.projectOf(c)]
	if len(revoked) == 0 {
		return users
	}
	var staying []string
	for _, u := range users {
		j, ok := revoked[u]
		if !ok {
			staying = append(staying, u)
			continue
		}
		a.Rely(i, j, "removing user "+u+" was left to its leaving the project", nil)
	}
	return staying
}

// leavingUsers splits users into those the plan deletes from the domain
// and the others.
func (a *executor) leavingUsers(users []string) (leaving, staying []string) {
	for _, u := range users {
		if _, ok := a.leaving[u]; ok {
			leaving = append(leaving, u)
		} else {
			staying = append(staying, u)
		}
	}
	return leaving, staying
}

// relyOnGroupDeletes notes that the role update i leaves the unbinding of
// the groups it drops to their deletion (the plan makes such an update
// only for groups it deletes). When such a deletion does not happen, the
// role's state keeps the group bound, so the next plan knows of the
// binding.
func (a *executor) relyOnGroupDeletes(i int, c plan.Change) {
	if c.Action != plan.Update || !c.After.Has("groups") {
		return
	}
	project := a.projectOf(c)
	for _, g := range sets.Minus(c.Before.Strings("groups"), c.After.Strings("groups")) {
		j, ok := a.groupDeletes[project+"/"+g]
		if !ok {
			continue
		}
		name := a.plan.Changes[j].Before.String("name")
		a.Rely(i, j, "unbinding group "+name+" was left to its deletion", func(st *state.State) bool {
			return keepGroupBound(st, c, name)
		})
	}
}

// keepGroupBound records in the state that group is still bound to the
// role of change c. The fingerprint is left unknown, so that the next plan
// binds the role's groups again or, if the group stays, replaces the role
// to unbind it.
func keepGroupBound(st *state.State, c plan.Change, group string) bool {
	k := plan.StateKey(c.Kind, c.Key)
	old := st.Objects[k]
	if old == nil {
		return false
	}
	o := old.Clone()
	if o.Facets == nil {
		o.Facets = map[string]state.Facet{}
	}
	f := o.Facets["groups"]
	if !slices.Contains(f.Items, group) {
		f.Items = append(append([]string{}, f.Items...), group)
		sort.Strings(f.Items)
	}
	f.Hash = ""
	o.Facets["groups"] = f
	st.Put(k, o)
	return true
}

// projectOf is the project of a project-scoped change: its scope, or for
// a change made without one (built by hand), the longest project of the
// plan that prefixes its key, else the key up to its first "/".
func (a *executor) projectOf(c plan.Change) string {
	if c.Scope != "" {
		return c.Scope
	}
	key := c.Key
	best := ""
	for _, name := range a.projectNames {
		if strings.HasPrefix(key, name+"/") && len(name) > len(best) {
			best = name
		}
	}
	if best != "" {
		return best
	}
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return key
}

// projectID is the id of the project of a project-scoped change.
func (a *executor) projectID(c plan.Change) int64 {
	if id := c.After.Int("project_id"); id != 0 {
		return id
	}
	if id := c.Before.Int("project_id"); id != 0 {
		return id
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.projectIDs[a.projectOf(c)]
}

// errNoProjectID fails a change whose project id is unknown.
func errNoProjectID(c plan.Change) error {
	return fmt.Errorf("%s %s: the id of its project is not known", c.Kind, c.Key)
}

// chunks splits n items into runs of at most size.
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
