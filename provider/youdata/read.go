package youdata

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// ProjectRef names a project the files cover: by name, or pinned to an id.
type ProjectRef struct {
	Name string
	ID   int64
}

// Defaults of ReadOptions' limits. They leave headroom for a tenant of
// 50,000 users with 200 projects of 2,500 members each (about 2.5 million
// objects: users, members, role trees and each member's roles, groups and
// data permissions), whose full read takes about 84 minutes at the
// client's defaults (10 requests/s, 4 in flight).
const (
	// DefaultMaxListObjects caps the objects of one paged listing: four
	// times the users of that tenant. Project reads run Concurrency at a
	// time, so endless member listings hold at most that many times this.
	DefaultMaxListObjects = 200_000
	// DefaultMaxReadObjects caps the objects of a whole read: twice those
	// of that tenant.
	DefaultMaxReadObjects = 5_000_000
	// DefaultMaxReadTime caps the time of a whole read: about three times
	// that tenant's read at the client's defaults.
	DefaultMaxReadTime = 4 * time.Hour
)

// ErrReadLimit is wrapped by every error of a read stopped by one of
// ReadOptions' limits (see ReadLimitError).
var ErrReadLimit = errors.New("read limit reached")

// ReadLimitError is a read stopped by one of ReadOptions' limits: a
// listing that does not end, a server larger than the limits, or a read
// that takes too long. Nothing read before it is returned.
type ReadLimitError struct {
	// Endpoint is the call that went over the limit, e.g.
	// "user/getAllUsers"; empty for the time limit (Cause names the call
	// it cut).
	Endpoint string
	// Project is the project being read, when there is one.
	Project string
	// Reached is what was reached, in words (e.g. "200001 users and the
	// list has not ended").
	Reached string
	// Limit is the limit, in words, and Setting the command-line flag
	// that raises it (without dashes).
	Limit   string
	Setting string
	// Cause is the error of the call the time limit cut, or nil.
	Cause error
}

func (e *ReadLimitError) Error() string {
	var b strings.Builder
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		if e.Project != "" {
			fmt.Fprintf(&b, " in project %q", e.Project)
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s, beyond the limit of %s", e.Reached, e.Limit)
	if e.Cause == nil {
		fmt.Fprintf(&b, " (raise --%s if the server truly holds that many)", e.Setting)
	} else {
		fmt.Fprintf(&b, " (raise --%s, or --rps if the server allows it); the call it cut: %v", e.Setting, e.Cause)
	}
	return b.String()
}

func (e *ReadLimitError) Is(target error) bool { return target == ErrReadLimit }

// Unwrap gives the error of the call the time limit cut (nil otherwise).
func (e *ReadLimitError) Unwrap() error { return e.Cause }

// ReadOptions tune ReadLive. The zero value is usable.
type ReadOptions struct {
	// PageSize of the paged reads; default 1000. The document sets no
	// maximum; a server that sends fewer per page is read to the end all
	// the same (paging advances by what was sent, until an empty page).
	PageSize int
	// Concurrency is the most calls of the read in flight, across and
	// within projects; default 8. The client's own limits apply on top.
	Concurrency int
	// Progress, if set, is called after every call with the running
	// totals. It must be safe for concurrent use.
	Progress func(ReadProgress)
	// TokenUser is copied into the result (see diff.Live.TokenUser); an
	// email is turned into the uniqueId of the one user with it.
	TokenUser string
	// AllProjects reads every project on the server in full, not only
	// those named (export).
	AllProjects bool
	// Refresh, when set, narrows the read to its units (see
	// provider.Refresher): the domain's users ("users"), a project's
	// member listing and role trees ("project NAME"), a member's
	// permissions ("member NAME/uniqueId", "member NAME/*" for all of a
	// project's). What is not read is taken, when planning, as the files
	// want it.
	Refresh *provider.Refresh
	// GroupMembers are the members the files give each group, for a
	// narrowed read (ReadKnownLive): it probes only the groups that a
	// member it read is in, or all of a project whose listing it was
	// asked for.
	GroupMembers GroupMembers

	// MaxListObjects caps the objects of one paged listing (the domain's
	// users, one project's members); default DefaultMaxListObjects. A
	// listing that goes beyond it, or a total beyond it, ends the read
	// with a ReadLimitError.
	MaxListObjects int
	// MaxReadObjects caps the objects of the whole read, as counted by
	// ReadProgress.Objects; default DefaultMaxReadObjects.
	MaxReadObjects int64
	// MaxReadTime caps the time of the whole read; default
	// DefaultMaxReadTime.
	MaxReadTime time.Duration
}

// ReadProgress is how far a read has come.
type ReadProgress struct {
	Calls   int64
	Objects int64
	Elapsed time.Duration
}

// ReadLive reads everything the files cover, and only that: domain users,
// projects, custom system roles and, for every project in projects that
// exists, its members, both role trees and every member's permissions.
//
// Any failed read, and paging that ends before the server's total, aborts
// with the cause: a read that did not happen is never taken to mean absent.
// So does a read beyond one of o's limits (a ReadLimitError): a listing
// that does not end, a server larger than the limits, a read that takes
// too long. Nothing is returned with an error, so no plan is built on a
// partial read.
func ReadLive(ctx context.Context, r apiclient.Reader, projects []ProjectRef, o ReadOptions) (*Live, error) {
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.MaxListObjects <= 0 {
		o.MaxListObjects = DefaultMaxListObjects
	}
	if o.MaxReadObjects <= 0 {
		o.MaxReadObjects = DefaultMaxReadObjects
	}
	if o.MaxReadTime <= 0 {
		o.MaxReadTime = DefaultMaxReadTime
	}
	rd := &reader{r: r, o: o, start: time.Now(), sem: make(chan struct{}, o.Concurrency)}
	ctx, cancel := context.WithTimeoutCause(ctx, o.MaxReadTime, errReadTime)
	defer cancel()
	live, err := rd.read(ctx, projects)
	if err != nil && errors.Is(context.Cause(ctx), errReadTime) {
		return nil, fmt.Errorf("read stopped: %w", &ReadLimitError{
			Reached: fmt.Sprintf("it ran for %s (%d calls, %d objects)", roundElapsed(time.Since(rd.start)), rd.calls.Load(), rd.objects.Load()),
			Limit:   fmt.Sprintf("%s on a read's time", o.MaxReadTime),
			Setting: "max-read-time",
			Cause:   err,
		})
	}
	return live, err
}

// roundElapsed rounds a read's time for a message.
func roundElapsed(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// errReadTime is the cause of the context of a read that ran out of time.
var errReadTime = errors.New("the read ran out of time")

func (rd *reader) read(ctx context.Context, projects []ProjectRef) (*Live, error) {
	if o := rd.o; o.Refresh != nil && !o.AllProjects {
		if base, ok := o.Refresh.Base.(*Live); ok && base != nil && base.Reads != nil {
			return rd.more(ctx, base, projects)
		}
	}
	return rd.fresh(ctx, projects)
}

// fresh reads what the files cover, narrowed by rd.o.Refresh when set.
func (rd *reader) fresh(ctx context.Context, projects []ProjectRef) (*Live, error) {
	r, o := rd.r, rd.o
	live := &Live{
		TokenUser:   o.TokenUser,
		Users:       map[string]LiveUser{},
		SystemRoles: map[string]LiveSystemRole{},
		Projects:    map[string]*LiveProject{},
	}

	reads := &LiveReads{Listed: map[string]map[string]bool{}, Read: map[string]map[string]bool{}, All: map[string]bool{},
		ListedNow: map[string]bool{}, ReadNow: map[string]map[string]bool{}}
	if o.Refresh != nil && !o.AllProjects {
		names := make([]string, 0, len(projects))
		for _, ref := range projects {
			names = append(names, ref.Name)
		}
		rd.want = newWanted(o.Refresh, names)
		reads.Narrowed = true
		reads.Asked = map[string]bool{}
		for _, u := range o.Refresh.Units {
			reads.Asked[u] = true
		}
	}
	live.Reads = reads
	reads.Users = rd.want == nil || rd.want.users()

	g, gctx := errgroup.WithContext(ctx)
	if reads.Users {
		g.Go(func() error { return rd.users(gctx, live) })
	}
	g.Go(func() error { return rd.systemRoles(gctx, live) })
	var all []apiclient.Project
	g.Go(func() error {
		var ps []apiclient.Project
		err := rd.call(gctx, func() (err error) {
			ps, err = r.ListProjects(gctx)
			return err
		})
		cerr := rd.tick(int64(len(ps)), "project/list", "")
		if err != nil {
			return fmt.Errorf("read projects: %w", err)
		}
		if cerr != nil {
			return fmt.Errorf("read projects: %w", cerr)
		}
		all = ps
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Projects are known by name; of two with the same name, the one the
	// files pin by id is the one meant, and the other is left out.
	pinned := map[int64]bool{}
	for _, ref := range projects {
		if ref.ID != 0 {
			pinned[ref.ID] = true
		}
	}
	byID := map[int64]apiclient.Project{}
	for _, p := range all {
		byID[p.ID] = p
		if old, dup := live.Projects[p.Name]; dup {
			switch {
			case pinned[old.ID] && !pinned[p.ID]:
				continue
			case pinned[p.ID] && !pinned[old.ID]:
			default:
				return nil, fmt.Errorf("read projects: two projects are named %q (ids %d and %d); rename one on the server, or pin the one the files mean with its id", p.Name, old.ID, p.ID)
			}
		}
		live.Projects[p.Name] = &LiveProject{ID: p.ID, Name: p.Name, Description: p.Description}
	}

	// The projects to read, each once, under the name the files give it.
	var toRead []*LiveProject
	filesName := map[*LiveProject]string{}
	seen := map[int64]bool{}
	if o.AllProjects {
		projects = nil
		for _, p := range all {
			projects = append(projects, ProjectRef{Name: p.Name, ID: p.ID})
		}
	}
	for _, ref := range projects {
		var lp *LiveProject
		if ref.ID != 0 {
			if p, ok := byID[ref.ID]; ok {
				lp = live.Projects[p.Name]
			}
		} else {
			lp = live.Projects[ref.Name]
		}
		if lp == nil || seen[lp.ID] {
			continue
		}
		seen[lp.ID] = true
		lp.FilesName = ref.Name
		if rd.want != nil && !rd.want.project(ref.Name) {
			continue // taken as the files want it
		}
		toRead = append(toRead, lp)
		filesName[lp] = ref.Name
	}
	sort.Slice(toRead, func(i, j int) bool { return toRead[i].ID < toRead[j].ID })

	// Projects run Concurrency at a time, and their calls share the
	// read's slots: one large project fills them as well as many small.
	read := make([]projectRead, len(toRead))
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for i, lp := range toRead {
		g.Go(func() (err error) {
			read[i], err = rd.project(gctx, lp, filesName[lp])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, lp := range toRead {
		name := filesName[lp]
		reads.Listed[name], reads.Read[name] = read[i].listed, read[i].read
		reads.ListedNow[name], reads.ReadNow[name] = true, read[i].read
		if read[i].all {
			reads.All[name] = true
		}
	}
	resolveTokenUser(live)
	return live, nil
}

// projectRead is what the read of one project read: its members listed,
// those whose permissions it read, and whether that is all of them.
type projectRead struct {
	listed, read map[string]bool
	all          bool
}

// resolveTokenUser turns live.TokenUser from an email into a uniqueId when
// exactly one user has that email: the diff compares uniqueIds. Two users
// with that email leave it unresolved rather than pick one.
func resolveTokenUser(live *Live) {
	if _, ok := live.Users[live.TokenUser]; ok || live.TokenUser == "" {
		return
	}
	var match []string
	for _, u := range live.Users {
		if u.Email != nil && *u.Email == live.TokenUser {
			match = append(match, u.UniqueID)
		}
	}
	if len(match) == 1 {
		live.TokenUser = match[0]
	}
}

type reader struct {
	r       apiclient.Reader
	o       ReadOptions
	start   time.Time
	calls   atomic.Int64
	objects atomic.Int64
	// sem holds a slot per call in flight: Concurrency across the whole
	// read, so that one large project fills them as well as many small.
	sem chan struct{}
	// want is what a narrowed read reads (nil: everything).
	want *wanted
}

// call makes one call of the read within its limit of calls in flight.
func (rd *reader) call(ctx context.Context, fn func() error) error {
	select {
	case rd.sem <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-rd.sem }()
	return fn()
}

// tick counts one call and the objects it brought, and fails once the
// whole read has gone beyond MaxReadObjects. endpoint and project name
// the call in the error.
func (rd *reader) tick(objects int64, endpoint, project string) error {
	c := rd.calls.Add(1)
	n := rd.objects.Add(objects)
	if rd.o.Progress != nil {
		rd.o.Progress(ReadProgress{Calls: c, Objects: n, Elapsed: time.Since(rd.start)})
	}
	if n > rd.o.MaxReadObjects {
		return &ReadLimitError{
			Endpoint: endpoint, Project: project,
			Reached: fmt.Sprintf("the read reached %d objects in %d calls", n, c),
			Limit:   fmt.Sprintf("%d objects in a whole read", rd.o.MaxReadObjects),
			Setting: "max-read-objects",
		}
	}
	return nil
}

// users pages through the domain users. getAllUsers gives no total, and a
// server may answer fewer users than asked for, so the offset advances by
// what came and only an empty page ends the list: a short page is never
// taken for the end, at the cost of one call. A list that does not end
// (every page new users) stops at MaxListObjects: every page brings at
// least one user not seen before (a repeat is an error), so the calls of
// the listing are bounded too.
func (rd *reader) users(ctx context.Context, live *Live) error {
	for offset := 0; ; {
		var page []apiclient.User
		err := rd.call(ctx, func() (err error) {
			page, err = rd.r.GetAllUsers(ctx, offset, rd.o.PageSize)
			return err
		})
		cerr := rd.tick(int64(len(page)), "user/getAllUsers", "")
		if err != nil {
			return fmt.Errorf("read users (offset %d): %w", offset, err)
		}
		if cerr != nil {
			return fmt.Errorf("read users (offset %d): %w", offset, cerr)
		}
		if len(page) == 0 {
			return nil
		}
		if n := offset + len(page); n > rd.o.MaxListObjects {
			return fmt.Errorf("read users (offset %d): %w", offset, &ReadLimitError{
				Endpoint: "user/getAllUsers",
				Reached:  fmt.Sprintf("%d users and the list has not ended", n),
				Limit:    fmt.Sprintf("%d objects in one listing", rd.o.MaxListObjects),
				Setting:  "max-list-objects",
			})
		}
		for _, u := range page {
			if _, dup := live.Users[u.UniqueID]; dup {
				return fmt.Errorf("read users (offset %d): user %q seen twice: the list changed while it was paged; try again", offset, u.UniqueID)
			}
			live.Users[u.UniqueID] = LiveUser{
				ID: u.ID, UniqueID: u.UniqueID, Email: u.Email, Nick: u.Nick, Phone: u.Phone, CustomInfo: u.CustomInfo,
			}
		}
		offset += len(page)
	}
}

func (rd *reader) systemRoles(ctx context.Context, live *Live) error {
	var roles []apiclient.SystemRole
	err := rd.call(ctx, func() (err error) {
		roles, err = rd.r.ListSystemRoles(ctx)
		return err
	})
	cerr := rd.tick(int64(len(roles)), "systemRole/list", "")
	if err != nil {
		return fmt.Errorf("read system roles: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("read system roles: %w", cerr)
	}
	for _, sr := range roles {
		if _, dup := live.SystemRoles[sr.Name]; dup {
			return fmt.Errorf("read system roles: two custom system roles are named %q", sr.Name)
		}
		live.SystemRoles[sr.Name] = LiveSystemRole{ID: sr.ID, Name: sr.Name, Description: sr.Description}
	}
	return nil
}

// project reads one project's members, role trees and the permissions of
// every member (of those the narrowed read wants) into lp. name is the
// files' name of the project.
func (rd *reader) project(ctx context.Context, lp *LiveProject, name string) (projectRead, error) {
	pr := projectRead{listed: map[string]bool{}, read: map[string]bool{}, all: true}
	lp.Members = map[string]LiveMember{}
	lp.Roles = map[string]*LiveRole{}
	lp.DataPermissions = map[string]*LiveRole{}
	lp.RoleFolders = map[string]int64{}
	lp.DataPermissionFolders = map[string]int64{}
	lp.Groups = map[string]*LiveGroup{}

	var members []apiclient.ProjectUser
	var roleTree, permTree *apiclient.RoleTree
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		members, err = rd.members(gctx, lp)
		return err
	})
	g.Go(func() (err error) {
		err = rd.call(gctx, func() (err error) {
			roleTree, err = rd.r.ListRoles(gctx, lp.ID, apiclient.RoleTypeRole)
			return err
		})
		cerr := rd.tick(treeSize(roleTree), "role/list", lp.Name)
		if err != nil {
			return fmt.Errorf("read roles of project %q: %w", lp.Name, err)
		}
		if cerr != nil {
			return fmt.Errorf("read roles of project %q: %w", lp.Name, cerr)
		}
		return nil
	})
	g.Go(func() (err error) {
		err = rd.call(gctx, func() (err error) {
			permTree, err = rd.r.ListRoles(gctx, lp.ID, apiclient.RoleTypeRowPermission)
			return err
		})
		cerr := rd.tick(treeSize(permTree), "role/list", lp.Name)
		if err != nil {
			return fmt.Errorf("read data permissions of project %q: %w", lp.Name, err)
		}
		if cerr != nil {
			return fmt.Errorf("read data permissions of project %q: %w", lp.Name, cerr)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return pr, err
	}

	rolesByID := map[int64]*LiveRole{}
	if err := addTree(lp, roleTree, lp.Roles, lp.RoleFolders, rolesByID); err != nil {
		return pr, err
	}
	if err := addTree(lp, permTree, lp.DataPermissions, lp.DataPermissionFolders, rolesByID); err != nil {
		return pr, err
	}

	var todo []apiclient.ProjectUser
	for _, m := range members {
		pr.listed[m.UniqueID] = true
		if rd.want != nil && !rd.want.member(name, m.UniqueID) {
			// Listed, and taken as the files want it.
			lp.Members[m.UniqueID] = LiveMember{UserID: m.UserID, Category: m.Category}
			pr.all = false
			continue
		}
		pr.read[m.UniqueID] = true
		todo = append(todo, m)
	}
	if err := rd.permissions(ctx, lp, rolesByID, todo); err != nil {
		return pr, err
	}
	lp.Read = true
	return pr, nil
}

// permissions reads the permissions of members in lp, whose role trees
// (by id) are rolesByID, and merges them into lp.
func (rd *reader) permissions(ctx context.Context, lp *LiveProject, rolesByID map[int64]*LiveRole, members []apiclient.ProjectUser) error {
	// Each answer is merged as it comes and then dropped: a large server's
	// answers are never all held at once. The result does not depend on
	// the order of the answers: a row permission's rules are those of the
	// first member (by uniqueId) holding it, and groups' members are sorted.
	var mu sync.Mutex
	rulesFrom := map[*LiveRole]string{}
	merge := func(m apiclient.ProjectUser, p *apiclient.UserPermissions) error {
		mu.Lock()
		defer mu.Unlock()
		lm := LiveMember{UserID: m.UserID, Category: m.Category}
		for _, r := range p.Roles {
			if r.Type == apiclient.RoleKindSystem {
				lm.SystemRoleIDs = append(lm.SystemRoleIDs, r.ID)
				continue
			}
			lr := rolesByID[r.ID]
			if lr == nil || lr.Type == apiclient.RoleKindRowPerm {
				return fmt.Errorf("read permissions of %q in project %q: role %d %q is not in role/list; the server changed during the read, try again", m.UniqueID, lp.Name, r.ID, r.Name)
			}
			lr.Users[m.UniqueID] = r.ExpiredTime
		}
		for _, rp := range p.RowPermissions {
			lr := rolesByID[rp.ID]
			if lr == nil || lr.Type != apiclient.RoleKindRowPerm {
				return fmt.Errorf("read permissions of %q in project %q: data permission %d %q is not in role/list; the server changed during the read, try again", m.UniqueID, lp.Name, rp.ID, rp.Name)
			}
			lr.Users[m.UniqueID] = rp.ExpiredTime
			if from, ok := rulesFrom[lr]; !lr.RulesKnown || ok && m.UniqueID < from {
				lr.Rules = rp.DataPermissions
				lr.RulesKnown = true
				rulesFrom[lr] = m.UniqueID
			}
		}
		for _, gr := range p.Groups {
			lg := lp.Groups[gr.Name]
			if lg == nil {
				lg = &LiveGroup{ID: gr.ID, Name: gr.Name}
				lp.Groups[gr.Name] = lg
			} else if lg.ID != gr.ID {
				ids := []int64{lg.ID, gr.ID}
				sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
				return fmt.Errorf("read permissions in project %q: two groups are named %q (ids %d and %d); rename one on the server", lp.Name, gr.Name, ids[0], ids[1])
			}
			lg.Members = append(lg.Members, m.UniqueID)
		}
		sort.Slice(lm.SystemRoleIDs, func(a, b int) bool { return lm.SystemRoleIDs[a] < lm.SystemRoleIDs[b] })
		lp.Members[m.UniqueID] = lm
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rd.o.Concurrency)
	for _, m := range members {
		g.Go(func() error {
			var p *apiclient.UserPermissions
			err := rd.call(gctx, func() (err error) {
				p, err = rd.r.UserPermissions(gctx, lp.ID, m.UniqueID)
				return err
			})
			var n int64
			if p != nil {
				n = int64(len(p.Roles) + len(p.RowPermissions) + len(p.Groups))
			}
			cerr := rd.tick(n, "user/permissions", lp.Name)
			if err != nil {
				return fmt.Errorf("read permissions of %q in project %q: %w", m.UniqueID, lp.Name, err)
			}
			if cerr != nil {
				return fmt.Errorf("read permissions of %q in project %q: %w", m.UniqueID, lp.Name, cerr)
			}
			if p == nil {
				return fmt.Errorf("read permissions of %q in project %q: empty answer", m.UniqueID, lp.Name)
			}
			return merge(m, p)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, lg := range lp.Groups {
		sort.Strings(lg.Members)
	}
	return nil
}

// members pages through a project's members. A page that ends before the
// server's total is an error, and so is a total that changes, a total
// beyond MaxListObjects, and members beyond the total. Without a total an
// empty page ends the list, and a list that does not end stops at
// MaxListObjects. Every page brings at least one member not seen before
// (a repeat is an error), so the calls are bounded by the members.
func (rd *reader) members(ctx context.Context, lp *LiveProject) ([]apiclient.ProjectUser, error) {
	var out []apiclient.ProjectUser
	seen := map[string]bool{}
	limit := func(reached string) error {
		return &ReadLimitError{
			Endpoint: "projectUser/list", Project: lp.Name,
			Reached: reached,
			Limit:   fmt.Sprintf("%d objects in one listing", rd.o.MaxListObjects),
			Setting: "max-list-objects",
		}
	}
	// total is the server's count; -1 until the first page, and stays -1
	// when the server gives none (then an empty page ends the list).
	total := -1
	for offset := 0; ; {
		var page []apiclient.ProjectUser
		var t int
		err := rd.call(ctx, func() (err error) {
			page, t, err = rd.r.ListProjectUsers(ctx, lp.ID, offset, rd.o.PageSize)
			return err
		})
		cerr := rd.tick(int64(len(page)), "projectUser/list", lp.Name)
		if err != nil {
			return nil, fmt.Errorf("read members of project %q (offset %d): %w", lp.Name, offset, err)
		}
		if cerr != nil {
			return nil, fmt.Errorf("read members of project %q (offset %d): %w", lp.Name, offset, cerr)
		}
		if offset == 0 {
			total = t
			if total > rd.o.MaxListObjects {
				return nil, fmt.Errorf("read members of project %q: %w", lp.Name, limit(fmt.Sprintf("the server reports %d members", total)))
			}
		} else if t != total {
			return nil, fmt.Errorf("read members of project %q: the member count changed from %d to %d while paging; try again", lp.Name, total, t)
		}
		n := len(out) + len(page)
		if total >= 0 && n > total {
			return nil, fmt.Errorf("read members of project %q (offset %d): projectUser/list sent %d members, more than the %d it reports; try again", lp.Name, offset, n, total)
		}
		if n > rd.o.MaxListObjects {
			return nil, fmt.Errorf("read members of project %q (offset %d): %w", lp.Name, offset, limit(fmt.Sprintf("%d members without a total and the list has not ended", n)))
		}
		for _, m := range page {
			if seen[m.UniqueID] {
				return nil, fmt.Errorf("read members of project %q (offset %d): member %q seen twice while paging; try again", lp.Name, offset, m.UniqueID)
			}
			seen[m.UniqueID] = true
			out = append(out, m)
		}
		if total >= 0 && len(out) == total {
			break
		}
		if len(page) == 0 {
			if total < 0 {
				break
			}
			return nil, fmt.Errorf("read members of project %q: paging ended after %d of %d members", lp.Name, len(out), total)
		}
		// A server may answer fewer than asked for: go on from what came.
		offset += len(page)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UniqueID < out[j].UniqueID })
	return out, nil
}

// addTree adds the items of a role/list tree to dst (by "folder/name") and
// byID, and the folders to folders.
func addTree(lp *LiveProject, t *apiclient.RoleTree, dst map[string]*LiveRole, folders map[string]int64, byID map[int64]*LiveRole) error {
	if t == nil {
		return fmt.Errorf("read roles of project %q: empty answer", lp.Name)
	}
	add := func(folder string, it apiclient.RoleItem) error {
		key := folder + "/" + it.Name
		if old, dup := dst[key]; dup {
			return fmt.Errorf("read roles of project %q: two roles at %q (ids %d and %d); rename one on the server", lp.Name, key, old.ID, it.ID)
		}
		lr := &LiveRole{ID: it.ID, Name: it.Name, Folder: folder, Type: it.Type, Description: it.Description, Users: map[string]*string{}}
		dst[key] = lr
		byID[it.ID] = lr
		return nil
	}
	for _, it := range t.Items {
		if err := add("", it); err != nil {
			return err
		}
	}
	for _, f := range t.Folders {
		folders[f.Name] = f.ID
		for _, it := range f.Items {
			if err := add(f.Name, it); err != nil {
				return err
			}
		}
		if len(f.Folders) > 0 {
			return fmt.Errorf("read roles of project %q: folder %q has sub-folders, which permsync does not manage (the API allows one level)", lp.Name, f.Name)
		}
	}
	return nil
}

func treeSize(t *apiclient.RoleTree) int64 {
	if t == nil {
		return 0
	}
	n := int64(len(t.Items))
	for _, f := range t.Folders {
		n += int64(len(f.Items)) + 1
	}
	return n
}
