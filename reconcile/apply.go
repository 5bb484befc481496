package reconcile

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

// ReasonInterrupted is the reason of the changes skipped because the apply
// was interrupted.
const ReasonInterrupted = "interrupted"

// defaultInterruptGrace is how long the calls in flight at an interruption
// may still take.
const defaultInterruptGrace = 30 * time.Second

// ErrStateNotSaved is wrapped by the error Apply returns when the state
// could not be saved: the saved state then lacks changes the Result
// reports applied.
var ErrStateNotSaved = errors.New("the state could not be saved")

// maxDeletesRefusal starts the refusals that --allow-mass-delete lifts.
const maxDeletesRefusal = "settings.maxDeletes:"

// Apply executes the plan p against the server: phase by phase in the
// order of diff.Phase, with the fewest write calls the API allows, the
// independent calls of a phase running concurrently. It never decides
// what to change: it works only from the changes of p.
//
// A change whose call fails is reported failed with the server's error;
// the changes that depend on it are skipped; the others go on. Every
// applied change is recorded in st, which is saved through o.SaveState
// after every phase that wrote something and at the end.
//
// When ctx is cancelled, the calls in flight finish and are recorded, no
// new call starts, the rest is skipped, the state is saved, and Apply
// returns the Result with an error wrapping ctx.Err(). A plan with
// refusals, or one that would remove o.ProtectedUsers or o.TokenUser, is
// refused before anything is written (nil Result).
func Apply(ctx context.Context, api apiclient.API, p *plan.Plan, st *state.State, o ApplyOptions) (*Result, error) {
	if p == nil {
		return nil, errors.New("apply: no plan")
	}
	if st == nil {
		st = state.New()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.InterruptGrace <= 0 {
		o.InterruptGrace = defaultInterruptGrace
	}
	if err := checkGuardRails(p, o); err != nil {
		return nil, err
	}
	a := newApplier(api, p, st, o)
	err := a.run(ctx)
	a.res.Calls, _ = a.api.snapshot()
	return a.res, err
}

// changeStatus is what is known of a change while the apply runs.
type changeStatus struct {
	status Status // "" while pending
	err    error
	reason string
	id     int64 // id learned on a create or replace
	// created is set once the object of a create or replace exists on the
	// server, deleted once a replace removed the old one: when the change
	// does not complete, the state still records what the server holds.
	created, deleted bool
	// adopted is set when group/add found the group existing: it is
	// recorded as existing, not created by permsync. described is set once
	// its description was set; folderUnknown when it is not in the folder
	// the files name.
	adopted, described, folderUnknown bool
}

// exists reports whether the object of a create or replace is on the
// server, where the changes that depend on it can find it.
func (s *changeStatus) exists() bool {
	return s.adopted || s.created && s.id != 0
}

// applier runs one apply.
type applier struct {
	api  *countingAPI
	plan *plan.Plan
	st   *state.State
	o    ApplyOptions
	res  *Result

	mu   sync.Mutex
	cs   []changeStatus
	done []bool // reported and recorded

	// Learned along the way; guarded by mu.
	projectIDs map[string]int64 // project name → id
	sysRoleIDs map[string]int64 // custom system role name → id
	// joined are the member changes whose user joined the project in the
	// batchImport that upserted it.
	joined map[int]bool
	// broken names the objects whose create (or replace) failed or was
	// skipped, by diff.StateKey, with what became of them.
	broken map[string]string
	// projectNames are the projects the plan names, to split keys.
	projectNames []string
	// stateDirty is true when the state changed since it was last saved.
	stateDirty bool
	// leaving maps the users the plan deletes from the domain to the
	// index of that change. domain/user/delete removes a user from every
	// project, group and role, so they are not unbound or removed one by
	// one before; relies records the changes that leave such a removal to
	// it (change → user deletions), and such a change fails when its user
	// is not deleted.
	leaving map[string]int
	relies  map[int][]int
	// groupDeletes maps the groups the plan deletes, by key, to the index
	// of that change: group/dels drops a group's role bindings, so a role
	// update leaves the unbinding of such a group to it (relies too).
	groupDeletes map[string]int
	// lostGroups are the group replaces whose group the state marked
	// pending when the apply started: an earlier group/add of it lost its
	// answer.
	lostGroups map[int]bool
}

func newApplier(api apiclient.API, p *plan.Plan, st *state.State, o ApplyOptions) *applier {
	a := &applier{
		api:        newCountingAPI(api),
		plan:       p,
		st:         st,
		o:          o,
		res:        &Result{Changes: make([]ChangeResult, len(p.Changes))},
		cs:         make([]changeStatus, len(p.Changes)),
		done:       make([]bool, len(p.Changes)),
		projectIDs: map[string]int64{},
		sysRoleIDs: map[string]int64{},
		joined:     map[int]bool{},
		broken:     map[string]string{},
	}
	a.leaving = map[string]int{}
	a.relies = map[int][]int{}
	a.groupDeletes = map[string]int{}
	a.lostGroups = map[int]bool{}
	for i, c := range p.Changes {
		if c.Kind == youdata.KindGroup && c.Action == plan.Replace && !c.Before.Has("id") {
			if o := st.Objects[plan.StateKey(c.Kind, c.Key)]; o != nil && o.Pending {
				a.lostGroups[i] = true
			}
		}
		if c.Action != plan.Delete {
			continue
		}
		switch c.Kind {
		case youdata.KindUser:
			a.leaving[c.Key] = i
		case youdata.KindGroup:
			a.groupDeletes[c.Key] = i
		}
	}
	seen := map[string]bool{}
	for _, c := range p.Changes {
		if c.Kind == youdata.KindProject && !seen[c.Key] {
			seen[c.Key] = true
			a.projectNames = append(a.projectNames, c.Key)
		}
	}
	return a
}

// run executes the phases in order.
func (a *applier) run(ctx context.Context) error {
	byPhase := make([][]int, len(youdata.PhaseNames))
	for i, c := range a.plan.Changes {
		ph := youdata.Phase(c)
		if ph < 0 || ph >= len(byPhase) {
			a.setFailed(i, fmt.Errorf("no phase for %s %s", c.Kind, c.Action))
			a.record([]int{i})
			continue
		}
		if c.Kind == youdata.KindMember && c.Action == plan.Delete {
			if _, ok := a.leaving[memberUser(c)]; ok {
				// Leaves the project with its deletion from the domain.
				ph = youdata.PhaseDeleteUsers
			}
		}
		byPhase[ph] = append(byPhase[ph], i)
	}
	for ph, idx := range byPhase {
		if len(idx) == 0 {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		a.skipDependents(idx)
		a.runPhase(ctx, ph, idx)
		a.record(idx)
		// Saved whenever the phase recorded something, calls or not: a
		// group whose members leave with their deletion from the domain
		// is recorded, with its id, before that deletion may empty it.
		if err := a.save(); err != nil {
			a.skipRest(fmt.Sprintf("not started: the state could not be saved after phase %q", youdata.PhaseNames[ph]))
			a.checkRelied()
			return err
		}
	}
	interrupted := ctx.Err() != nil
	if interrupted {
		a.res.Interrupted = true
		a.skipRest(ReasonInterrupted)
	}
	// After skipRest: a deletion skipped by an interruption fails the
	// changes that relied on it too.
	a.checkRelied()
	if err := a.save(); err != nil {
		return err
	}
	if interrupted {
		return fmt.Errorf("apply interrupted: %w", ctx.Err())
	}
	return nil
}

// relyOn notes that change i leaves the removal of user to its deletion
// from the domain.
func (a *applier) relyOn(i int, user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.relies[i] = append(a.relies[i], a.leaving[user])
}

// leavingUsers splits users into those the plan deletes from the domain
// and the others.
func (a *applier) leavingUsers(users []string) (leaving, staying []string) {
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
// only for groups it deletes).
func (a *applier) relyOnGroupDeletes(i int, c plan.Change) {
	if c.Action != plan.Update || !c.After.Has("groups") {
		return
	}
	project := a.projectName(c.Key)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, g := range minusStrings(c.Before.Strings("groups"), c.After.Strings("groups")) {
		if j, ok := a.groupDeletes[project+"/"+g]; ok {
			a.relies[i] = append(a.relies[i], j)
		}
	}
}

// checkRelied fails the changes reported applied that left a removal to a
// deletion that did not happen: of a user from the domain (the next plan
// reads the binding back), or of a group (the change's state keeps the
// group bound, so the next plan knows of the binding).
func (a *applier) checkRelied() {
	a.mu.Lock()
	defer a.mu.Unlock()
	idx := make([]int, 0, len(a.relies))
	for i := range a.relies {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		if a.res.Changes[i].Status != StatusApplied {
			continue
		}
		c := a.plan.Changes[i]
		var err error
		for _, j := range a.relies[i] {
			if !a.done[j] || a.cs[j].status == StatusApplied {
				continue
			}
			dep := a.plan.Changes[j]
			what := "unbinding user " + dep.Key + " was left to its deletion from the domain"
			if dep.Kind == youdata.KindGroup {
				what = "unbinding group " + dep.Before.String("name") + " was left to its deletion"
				a.keepGroupBoundLocked(c, dep.Before.String("name"))
			}
			how := "failed"
			if a.cs[j].status == StatusSkipped {
				how = "was skipped"
			}
			if err == nil {
				err = fmt.Errorf("%s %s: %s, which %s: the binding is still on the server", c.Kind, c.Key, what, how)
			}
		}
		if err != nil {
			a.res.Changes[i].Status = StatusFailed
			a.res.Changes[i].Err = err
		}
	}
}

// keepGroupBoundLocked records in the state that group is still bound to
// the role of change c. The fingerprint is left unknown, so that the next
// plan binds the role's groups again or, if the group stays, replaces the
// role to unbind it.
func (a *applier) keepGroupBoundLocked(c plan.Change, group string) {
	k := plan.StateKey(c.Kind, c.Key)
	old := a.st.Objects[k]
	if old == nil {
		return
	}
	o := *old
	o.Facets = make(map[string]state.Facet, len(old.Facets))
	for name, f := range old.Facets {
		o.Facets[name] = f
	}
	f := o.Facets["groups"]
	if !contains(f.Items, group) {
		f.Items = append(append([]string{}, f.Items...), group)
		sort.Strings(f.Items)
	}
	f.Hash = ""
	o.Facets["groups"] = f
	a.st.Objects[k] = &o
	a.stateDirty = true
}

// memberUser is the user of a member change.
func memberUser(c plan.Change) string {
	if u := c.Before.String("user"); u != "" {
		return u
	}
	if u := c.After.String("user"); u != "" {
		return u
	}
	return lastSegment(c.Key)
}

func (a *applier) save() error {
	a.mu.Lock()
	dirty := a.stateDirty
	a.mu.Unlock()
	if a.o.SaveState == nil || !dirty {
		// Nothing new to record: writing a large state costs CPU between
		// phases while no call runs.
		return nil
	}
	if err := a.o.SaveState(a.st); err != nil {
		return fmt.Errorf("apply: %w: %w", ErrStateNotSaved, err)
	}
	a.mu.Lock()
	a.stateDirty = false
	a.mu.Unlock()
	return nil
}

// applyStateLocked records c in the state and notes whether that changed
// it. a.mu is held.
func (a *applier) applyStateLocked(c plan.Change) {
	key := plan.StateKey(c.Kind, c.Key)
	before := a.st.Objects[key]
	c.Record(a.st)
	if !reflect.DeepEqual(before, a.st.Objects[key]) {
		a.stateDirty = true
	}
}

// record reports the changes of a phase and records the applied ones in
// the state, in plan order. A change still pending made all its calls.
func (a *applier) record(idx []int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, i := range idx {
		a.finishLocked(i)
	}
}

func (a *applier) finishLocked(i int) {
	if a.done[i] {
		return
	}
	a.done[i] = true
	c := a.plan.Changes[i]
	s := &a.cs[i]
	if s.status == "" {
		s.status = StatusApplied
		if c.NewState != nil {
			ns := *c.NewState
			if s.id != 0 {
				ns.ID = s.id
			}
			if s.adopted {
				ns.Created, ns.Pending = false, false
			}
			c.NewState = &ns
		}
		a.applyStateLocked(c)
	}
	if s.status != StatusApplied {
		a.recordPartialLocked(c, s)
	}
	if s.status != StatusApplied && (c.Action == plan.Create || c.Action == plan.Replace) && !s.exists() {
		a.broken[plan.StateKey(c.Kind, c.Key)] = string(c.Action) + " " + string(s.status)
	}
	cr := ChangeResult{Change: a.plan.Changes[i], Status: s.status, Err: s.err, Reason: s.reason}
	a.res.Changes[i] = cr
	if a.o.Progress != nil {
		a.o.Progress(cr)
	}
}

// recordPartialLocked records in the state what a change that did not
// complete left on the server: the object its create made (the calls left
// undone only touch facets the plan reads back, such as a group's
// members), or the absence of the object its replace deleted.
func (a *applier) recordPartialLocked(c plan.Change, s *changeStatus) {
	switch {
	case s.adopted:
		// Found existing: known from now on, so that no plan creates it
		// again, or deletes it as permsync's own.
		if a.st.Objects == nil {
			a.st.Objects = map[string]*state.Object{}
		}
		a.st.Objects[plan.StateKey(c.Kind, c.Key)] = adoptedGroup(c, s)
		a.stateDirty = true
	case s.created && c.NewState != nil:
		ns := *c.NewState
		ns.ID = s.id
		c.NewState = &ns
		a.applyStateLocked(c)
	case s.deleted:
		key := plan.StateKey(c.Kind, c.Key)
		if o := a.st.Objects[key]; o != nil && o.Pending {
			// The re-create was sent, and its answer lost: what it may
			// have left stays known, for the next apply to clear.
			a.st.Objects[key] = pendingGroup(c)
			a.stateDirty = true
			return
		}
		a.applyStateLocked(plan.Change{Action: plan.Delete, Kind: c.Kind, Key: c.Key})
	}
}

// checkpoint records in the state what the changes of idx not yet
// reported have created or deleted so far, and saves it. A failed save is
// not reported here: the save at the end of the phase reports it.
func (a *applier) checkpoint(idx []int) {
	a.mu.Lock()
	n := 0
	for _, i := range idx {
		if s := &a.cs[i]; !a.done[i] && (s.created || s.deleted || s.adopted) {
			a.recordPartialLocked(a.plan.Changes[i], s)
			n++
		}
	}
	a.mu.Unlock()
	if n > 0 {
		_ = a.save()
	}
}

// skipRest skips every change not yet reported.
func (a *applier) skipRest(reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.plan.Changes {
		if a.done[i] {
			continue
		}
		if a.cs[i].status == "" {
			a.cs[i] = changeStatus{status: StatusSkipped, reason: reason}
		}
		a.finishLocked(i)
	}
}

func (a *applier) setFailed(i int, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cs[i].status == "" {
		a.cs[i].status = StatusFailed
		a.cs[i].err = err
	}
}

func (a *applier) setSkipped(i int, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cs[i].status == "" {
		a.cs[i].status = StatusSkipped
		a.cs[i].reason = reason
	}
}

func (a *applier) setID(i int, id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cs[i].id = id
}

// setCreated notes that the object of change i now exists on the server,
// with its id when known.
func (a *applier) setCreated(i int, id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cs[i].created = true
	if id != 0 {
		a.cs[i].id = id
	}
}

// setDeleted notes that a replace removed the old object of change i.
func (a *applier) setDeleted(i int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cs[i].deleted = true
}

// pending reports whether change i may still be applied.
func (a *applier) pending(i int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cs[i].status == ""
}

// filter keeps the pending changes of idx.
func (a *applier) filter(idx []int) []int {
	var out []int
	for _, i := range idx {
		if a.pending(i) {
			out = append(out, i)
		}
	}
	return out
}

// call is one write call serving one or more changes. run makes the call;
// an error marks every change of idx failed. run may itself fail some of
// the changes (setFailed) for partial failures.
type call struct {
	idx []int
	run func(ctx context.Context) error
}

// runStep makes the calls of one step, at most o.Concurrency at a time.
// Once ctx is cancelled no call starts; the changes of the calls not
// started are skipped as interrupted.
func (a *applier) runStep(ctx context.Context, calls []*call) {
	var g errgroup.Group
	g.SetLimit(a.o.Concurrency)
	for _, c := range calls {
		if len(c.idx) == 0 {
			continue
		}
		if ctx.Err() != nil {
			a.skipAll(c.idx, ReasonInterrupted)
			continue
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				a.skipAll(c.idx, ReasonInterrupted)
				return nil
			}
			cctx, cancel := a.callContext(ctx)
			err := c.run(cctx)
			cancel()
			if err != nil {
				for _, i := range c.idx {
					a.setFailed(i, err)
				}
			}
			return nil
		})
	}
	_ = g.Wait()
}

func (a *applier) skipAll(idx []int, reason string) {
	for _, i := range idx {
		a.setSkipped(i, reason)
	}
}

// callContext is the context of one call: it is not cancelled with ctx,
// so a call in flight at an interruption finishes, but it is cancelled
// o.InterruptGrace after ctx is.
func (a *applier) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var tmu sync.Mutex
	var timer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		tmu.Lock()
		timer = time.AfterFunc(a.o.InterruptGrace, cancel)
		tmu.Unlock()
	})
	return cctx, func() {
		stop()
		tmu.Lock()
		if timer != nil {
			timer.Stop()
		}
		tmu.Unlock()
		cancel()
	}
}

// skipDependents skips the changes of a phase that depend on an object
// whose create failed or was skipped.
func (a *applier) skipDependents(idx []int) {
	for _, i := range idx {
		c := a.plan.Changes[i]
		if reason := a.dependency(c); reason != "" {
			a.setSkipped(i, reason)
		}
	}
}

// dependency names the broken object c depends on, or "".
func (a *applier) dependency(c plan.Change) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	dep := func(k plan.Kind, key string) string {
		if what, ok := a.broken[plan.StateKey(k, key)]; ok {
			return fmt.Sprintf("depends on %s %s, whose %s", k, key, what)
		}
		return ""
	}
	if c.Action == plan.Delete {
		return ""
	}
	attrs := c.After
	switch c.Kind {
	case youdata.KindDepartment:
		if parent := attrs.String("parent"); parent != "" {
			return dep(youdata.KindDepartment, parent)
		}
	case youdata.KindUser:
		for _, o := range decodeUserOrgs(attrs) {
			if r := dep(youdata.KindDepartment, o.OrgCode); r != "" {
				return r
			}
		}
	case youdata.KindMember, youdata.KindGroup, youdata.KindRole, youdata.KindDataPermission, youdata.KindResourceMembers:
		if r := dep(youdata.KindProject, a.projectName(c.Key)); r != "" {
			return r
		}
	}
	switch c.Kind {
	case youdata.KindMember:
		user := attrs.String("user")
		if r := dep(youdata.KindUser, user); r != "" {
			return r
		}
		for _, sr := range attrs.Strings("systemRoles") {
			if r := dep(youdata.KindSystemRole, sr); r != "" {
				return r
			}
		}
	case youdata.KindGroup:
		for _, u := range attrs.Strings("members") {
			if r := dep(youdata.KindUser, u); r != "" {
				return r
			}
		}
	case youdata.KindRole, youdata.KindDataPermission:
		for _, u := range attrs.Strings("users") {
			if r := dep(youdata.KindUser, u); r != "" {
				return r
			}
		}
		project := a.projectName(c.Key)
		for _, g := range attrs.Strings("groups") {
			if r := dep(youdata.KindGroup, project+"/"+g); r != "" {
				return r
			}
		}
		for _, o := range attrs.Strings("orgs") {
			if r := dep(youdata.KindDepartment, o); r != "" {
				return r
			}
		}
	case youdata.KindResourceMembers:
		for _, m := range decodeResourceMembers(attrs) {
			if r := dep(youdata.KindUser, m.User); r != "" {
				return r
			}
		}
	}
	return ""
}

// projectName is the project a project-scoped key belongs to: the longest
// project of the plan that prefixes it, else the key up to its first "/".
func (a *applier) projectName(key string) string {
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
func (a *applier) projectID(c plan.Change) int64 {
	if id := c.After.Int("project_id"); id != 0 {
		return id
	}
	if id := c.Before.Int("project_id"); id != 0 {
		return id
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.projectIDs[a.projectName(c.Key)]
}

// errNoProjectID fails a change whose project id is unknown.
func errNoProjectID(c plan.Change) error {
	return fmt.Errorf("%s %s: the id of its project is not known", c.Kind, c.Key)
}

func lastSegment(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
