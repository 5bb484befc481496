package quickbi

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

	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// Defaults of ReadOptions' limits. They leave headroom for an
// organization of 50,000 members in 10,000 groups and 500 workspaces of
// 2,000 members each (about 1.1 million objects), whose read of
// everything at 30 requests/s per action takes well under an hour.
const (
	// DefaultMaxListObjects caps the objects of one listing (the
	// members, one workspace's members, the groups of the tree).
	DefaultMaxListObjects = 200_000
	// DefaultMaxReadObjects caps the objects of a whole read.
	DefaultMaxReadObjects = 5_000_000
	// DefaultMaxReadTime caps the time of a whole read.
	DefaultMaxReadTime = 4 * time.Hour
)

// ErrReadLimit is wrapped by every error of a read stopped by one of
// ReadOptions' limits (see ReadLimitError).
var ErrReadLimit = errors.New("read limit reached")

// ReadLimitError is a read stopped by one of ReadOptions' limits: a
// listing that does not end, a server larger than the limits, or a read
// that takes too long. Nothing read before it is returned.
type ReadLimitError struct {
	// Action is the call that went over the limit, e.g. "QueryUserList";
	// empty for the time limit.
	Action string
	// Reached and Limit say, in words, what was reached and the limit;
	// Setting is the command-line flag that raises it (without dashes).
	Reached, Limit, Setting string
	// Cause is the error of the call the time limit cut, or nil.
	Cause error
}

func (e *ReadLimitError) Error() string {
	var b strings.Builder
	if e.Action != "" {
		b.WriteString(e.Action + ": ")
	}
	fmt.Fprintf(&b, "%s, beyond the limit of %s", e.Reached, e.Limit)
	if e.Cause == nil {
		fmt.Fprintf(&b, " (raise --%s if the server truly holds that many)", e.Setting)
	} else {
		fmt.Fprintf(&b, " (raise --%s); the call it cut: %v", e.Setting, e.Cause)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrReadLimit) true.
func (e *ReadLimitError) Is(target error) bool { return target == ErrReadLimit }

// Unwrap gives the error of the call the time limit cut (nil otherwise).
func (e *ReadLimitError) Unwrap() error { return e.Cause }

// ReadOptions tune ReadLive. The zero value is usable.
type ReadOptions struct {
	// PageSize of the paged reads; default and at most 1000.
	PageSize int
	// Concurrency of the reads; default 8. The client's own limits apply
	// on top.
	Concurrency int
	// MaxListObjects caps one listing; default DefaultMaxListObjects.
	MaxListObjects int
	// MaxReadObjects caps the objects of a whole read; default
	// DefaultMaxReadObjects.
	MaxReadObjects int64
	// MaxReadTime caps the time of a whole read; default
	// DefaultMaxReadTime.
	MaxReadTime time.Duration
	// Progress, if set, is called after every call with the running
	// totals. It must be safe for concurrent use.
	Progress func(ReadProgress)
}

// ReadProgress is how far a read has come.
type ReadProgress struct {
	Calls   int64
	Objects int64
	Elapsed time.Duration
}

func (o *ReadOptions) defaults() {
	if o.PageSize <= 0 || o.PageSize > apiclient.MaxPageSize {
		o.PageSize = apiclient.MaxPageSize
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
}

// errReadTime is the cause of the context of a read that ran out of time.
var errReadTime = errors.New("the read ran out of time")

// ReadLive reads what s covers, and only that: every member (paged), the
// custom organization roles, the tag definitions and the workspace list;
// the tag values of the members s names (one call each); the user-group
// tree breadth-first from the root, one level per call, with the members
// of the groups s names; and for each workspace s names that exists, its
// members and custom roles, its datasets, and for each dataset and level
// s names its rules, miss-hit policy and switch (and whitelist). Every
// role of a member is read (one call per member, for every workspace at
// once) where one role shown may hide others: in a workspace with custom
// roles, and for members the files give several roles.
//
// tokenUser (an account, a UID or a UserId) is resolved to the account
// of that member.
//
// A failed read, a page short of the total the server reports, or a
// read beyond one of o's limits is an error, and nothing is returned
// with it: no plan is built on a partial read.
func ReadLive(ctx context.Context, r apiclient.Reader, s ReadScope, tokenUser string, o ReadOptions) (*Live, error) {
	o.defaults()
	rd := &reader{r: r, o: o, s: s, start: time.Now()}
	ctx, cancel := context.WithTimeoutCause(ctx, o.MaxReadTime, errReadTime)
	defer cancel()
	live, err := rd.read(ctx)
	if err != nil {
		if errors.Is(context.Cause(ctx), errReadTime) {
			return nil, fmt.Errorf("read stopped: %w", &ReadLimitError{
				Reached: fmt.Sprintf("it ran for %s (%d calls, %d objects)", time.Since(rd.start).Round(time.Millisecond), rd.calls.Load(), rd.objects.Load()),
				Limit:   fmt.Sprintf("%s on a read's time", o.MaxReadTime),
				Setting: "max-read-time",
				Cause:   err,
			})
		}
		return nil, err
	}
	live.TokenUser = resolveTokenUser(live, tokenUser)
	return live, nil
}

// resolveTokenUser finds the member given as an account, a UID or a
// UserId, and returns its account ("" when no member matches).
func resolveTokenUser(live *Live, given string) string {
	given = strings.TrimSpace(given)
	if given == "" {
		return ""
	}
	u := live.User(given)
	if u == nil {
		u = live.UserByAccountID(given)
	}
	if u == nil {
		u = live.Users[given]
	}
	if u == nil {
		return ""
	}
	return u.Account
}

type reader struct {
	r       apiclient.Reader
	o       ReadOptions
	s       ReadScope
	start   time.Time
	calls   atomic.Int64
	objects atomic.Int64
}

// tick counts one call and the objects it brought, and fails once the
// whole read has gone beyond MaxReadObjects.
func (rd *reader) tick(objects int, action string) error {
	c := rd.calls.Add(1)
	n := rd.objects.Add(int64(objects))
	if rd.o.Progress != nil {
		rd.o.Progress(ReadProgress{Calls: c, Objects: n, Elapsed: time.Since(rd.start)})
	}
	if n > rd.o.MaxReadObjects {
		return &ReadLimitError{Action: action,
			Reached: fmt.Sprintf("the read reached %d objects in %d calls", n, c),
			Limit:   fmt.Sprintf("%d objects in a whole read", rd.o.MaxReadObjects),
			Setting: "max-read-objects"}
	}
	return nil
}

// call makes one read and counts it.
func call[T any](rd *reader, action string, n func(T) int, f func() (T, error)) (T, error) {
	v, err := f()
	cerr := rd.tick(n(v), action)
	if err != nil {
		return v, err
	}
	return v, cerr
}

// pages reads a paged listing whole, counting every page, and stops at
// MaxListObjects: a listing that never ends fails rather than grows.
func pages[T any](ctx context.Context, rd *reader, action string, read func(ctx context.Context, num, size int) (*apiclient.Page[T], error)) ([]T, error) {
	seen := 0
	return apiclient.AllPages(ctx, rd.o.PageSize, func(ctx context.Context, num, size int) (*apiclient.Page[T], error) {
		p, err := read(ctx, num, size)
		n := 0
		if p != nil {
			n = len(p.Data)
		}
		cerr := rd.tick(n, action)
		if err != nil {
			return nil, err
		}
		if cerr != nil {
			return nil, cerr
		}
		seen += n
		if seen > rd.o.MaxListObjects || p.TotalNum > rd.o.MaxListObjects {
			return nil, &ReadLimitError{Action: action,
				Reached: fmt.Sprintf("%d items listed of %d the server counts", seen, p.TotalNum),
				Limit:   fmt.Sprintf("%d objects in one listing", rd.o.MaxListObjects),
				Setting: "max-list-objects"}
		}
		return p, nil
	})
}

func (rd *reader) read(ctx context.Context) (*Live, error) {
	live := &Live{Users: map[string]*LiveUser{}, OrgRoles: map[int64]string{}, Tags: map[string]*LiveTag{},
		Groups: map[string]*LiveGroup{}, Workspaces: map[string]*LiveWorkspace{}}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rd.o.Concurrency)
	g.Go(func() error { return rd.users(gctx, live) })
	g.Go(func() error { return rd.orgRoles(gctx, live) })
	g.Go(func() error { return rd.tags(gctx, live) })
	g.Go(func() error { return rd.workspaces(gctx, live) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	live.Index()

	// The group tree, the tag values and the workspaces are independent.
	g, gctx = errgroup.WithContext(ctx)
	if rd.s.Groups || rd.s.All {
		g.Go(func() error { return rd.groups(gctx, live) })
	}
	g.Go(func() error { return rd.tagValues(gctx, live) })
	g.Go(func() error { return rd.workspaceContents(gctx, live) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return live, nil
}

func (rd *reader) users(ctx context.Context, live *Live) error {
	users, err := pages(ctx, rd, "QueryUserList", func(ctx context.Context, num, size int) (*apiclient.Page[apiclient.User], error) {
		return rd.r.QueryUserList(ctx, apiclient.QueryUserListRequest{PageNum: num, PageSize: size})
	})
	if err != nil {
		return fmt.Errorf("read the organization's members: %w", err)
	}
	for _, u := range users {
		if u.UserID == "" {
			return errors.New("read the organization's members: a member without a UserId")
		}
		if _, dup := live.Users[u.UserID]; dup {
			return fmt.Errorf("read the organization's members: member %s listed twice: the list changed while it was read; try again", u.UserID)
		}
		roles := append([]int64(nil), u.RoleIDList...)
		sort.Slice(roles, func(i, j int) bool { return roles[i] < roles[j] })
		live.Users[u.UserID] = &LiveUser{UserID: u.UserID, AccountID: u.AccountID, Account: u.AccountName,
			Nick: u.NickName, Type: u.UserType, Roles: roles, Inactive: u.IsDeleted}
	}
	return nil
}

func (rd *reader) orgRoles(ctx context.Context, live *Live) error {
	roles, err := call(rd, "ListOrganizationRoles", lenOf[apiclient.OrganizationRole], func() ([]apiclient.OrganizationRole, error) {
		return rd.r.ListOrganizationRoles(ctx)
	})
	if err != nil {
		return fmt.Errorf("read the organization roles: %w", err)
	}
	for _, ro := range roles {
		if _, builtin := orgRoleNames[ro.RoleID]; builtin {
			continue
		}
		live.OrgRoles[ro.RoleID] = ro.RoleName
	}
	return nil
}

func (rd *reader) tags(ctx context.Context, live *Live) error {
	tags, err := call(rd, "QueryUserTagMetaList", lenOf[apiclient.UserTagMeta], func() ([]apiclient.UserTagMeta, error) {
		return rd.r.QueryUserTagMetaList(ctx)
	})
	if err != nil {
		return fmt.Errorf("read the user tags: %w", err)
	}
	for _, t := range tags {
		if _, dup := live.Tags[t.TagName]; dup {
			return fmt.Errorf("read the user tags: two tags are named %q", t.TagName)
		}
		live.Tags[t.TagName] = &LiveTag{ID: t.TagID, Name: t.TagName, Description: t.TagDescription}
	}
	return nil
}

func (rd *reader) workspaces(ctx context.Context, live *Live) error {
	list, err := pages(ctx, rd, "QueryOrganizationWorkspaceList", func(ctx context.Context, num, size int) (*apiclient.Page[apiclient.Workspace], error) {
		return rd.r.QueryOrganizationWorkspaceList(ctx, apiclient.QueryWorkspaceListRequest{PageNum: num, PageSize: size})
	})
	if err != nil {
		return fmt.Errorf("read the workspaces: %w", err)
	}
	for _, w := range list {
		if _, dup := live.Workspaces[w.WorkspaceID]; dup {
			return fmt.Errorf("read the workspaces: workspace %s listed twice: the list changed while it was read; try again", w.WorkspaceID)
		}
		live.Workspaces[w.WorkspaceID] = &LiveWorkspace{ID: w.WorkspaceID, Name: w.WorkspaceName, Owner: w.Owner}
	}
	return nil
}

// tagValues reads the tag values of the members whose tags the files
// manage (all of them for an export), one member per call.
func (rd *reader) tagValues(ctx context.Context, live *Live) error {
	var users []*LiveUser
	if rd.s.All {
		for _, id := range sortedKeys(live.Users) {
			users = append(users, live.Users[id])
		}
	} else {
		seen := map[string]bool{}
		var narrow *tagsRead
		if rd.s.Refresh != nil {
			narrow = newTagsRead(rd.s.Refresh, rd.s.TagUsers)
			live.tags = narrow
		}
		for _, account := range rd.s.TagUsers {
			u := live.User(account)
			if u == nil || seen[u.UserID] {
				continue
			}
			seen[u.UserID] = true
			if narrow != nil && !narrow.reads(account) {
				narrow.assumed[u.UserID] = true
				continue
			}
			users = append(users, u)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rd.o.Concurrency)
	for _, u := range users {
		g.Go(func() error {
			vals, err := call(rd, "QueryUserTagValueList", lenOf[apiclient.UserTagValue], func() ([]apiclient.UserTagValue, error) {
				return rd.r.QueryUserTagValueList(gctx, u.UserID)
			})
			if err != nil {
				return fmt.Errorf("read the tag values of %s: %w", userName(u), err)
			}
			tags := map[string]string{}
			for _, v := range vals {
				name := v.TagName
				for _, t := range live.Tags {
					if t.ID == v.TagID {
						name = t.Name
					}
				}
				tags[name] = v.TagValue
			}
			u.Tags = tags
			return nil
		})
	}
	return g.Wait()
}

// userName names a member in messages: its account, else its UserId.
func userName(u *LiveUser) string {
	if u.Account != "" {
		return u.Account
	}
	return "member " + u.UserID
}

func lenOf[T any](v []T) int { return len(v) }

// groups reads the user-group tree breadth-first from the root, one
// level per call: QueryUserGroupListByParentId lists a group's children
// with their names and descriptions. The members of the groups the files
// name come from QueryUserGroupMember, which also lists a group's child
// groups: a group it shows without any is a leaf, whose children are not
// listed again.
func (rd *reader) groups(ctx context.Context, live *Live) error {
	want, wantName := map[string]bool{}, map[string]bool{}
	for _, id := range rd.s.MemberGroups {
		want[id] = true
	}
	for _, name := range rd.s.MemberGroupNames {
		wantName[name] = true
	}
	var mu sync.Mutex
	wantMembers := func(id string) bool {
		if rd.s.All || want[id] || want[strings.TrimSuffix(id, MovedSuffix)] {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		return wantName[live.Groups[id].Name]
	}

	add := func(parent string, children []apiclient.UserGroup) error {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range children {
			if c.UserGroupID == "" || c.UserGroupID == apiclient.RootUserGroupID {
				return fmt.Errorf("read the user groups: a child of %s has no id", parent)
			}
			if c.ParentUserGroupID != "" && c.ParentUserGroupID != parent {
				return fmt.Errorf("read the user groups: group %s is listed under %s but names %s as its parent: the tree changed while it was read; try again", c.UserGroupID, parent, c.ParentUserGroupID)
			}
			if _, dup := live.Groups[c.UserGroupID]; dup {
				return fmt.Errorf("read the user groups: group %s is listed twice: the tree changed while it was read; try again", c.UserGroupID)
			}
			if len(live.Groups) >= rd.o.MaxListObjects {
				return &ReadLimitError{Action: "QueryUserGroupListByParentId",
					Reached: fmt.Sprintf("%d groups and the tree has not ended", len(live.Groups)+1),
					Limit:   fmt.Sprintf("%d objects in one listing", rd.o.MaxListObjects),
					Setting: "max-list-objects"}
			}
			live.Groups[c.UserGroupID] = &LiveGroup{ID: c.UserGroupID, Name: c.UserGroupName,
				Description: c.UserGroupDescription, Parent: parent}
			if p := live.Groups[parent]; p != nil {
				p.Children = append(p.Children, c.UserGroupID)
			}
		}
		return nil
	}
	list := func(ctx context.Context, parent string) ([]string, error) {
		children, err := call(rd, "QueryUserGroupListByParentId", lenOf[apiclient.UserGroup], func() ([]apiclient.UserGroup, error) {
			return rd.r.QueryUserGroupListByParentID(ctx, parent)
		})
		if err != nil {
			return nil, fmt.Errorf("read the user groups under %s: %w", parent, err)
		}
		if err := add(parent, children); err != nil {
			return nil, err
		}
		ids := make([]string, len(children))
		for i, c := range children {
			ids[i] = c.UserGroupID
		}
		return ids, nil
	}

	level, err := list(ctx, apiclient.RootUserGroupID)
	if err != nil {
		return err
	}
	for len(level) > 0 {
		var next []string
		var nmu sync.Mutex
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(rd.o.Concurrency)
		for _, id := range level {
			g.Go(func() error {
				var kids []string
				if wantMembers(id) {
					users, childGroups, err := rd.groupMembers(gctx, id)
					if err != nil {
						return err
					}
					mu.Lock()
					lg := live.Groups[id]
					lg.Members, lg.MembersRead = users, true
					mu.Unlock()
					if len(childGroups) == 0 {
						return nil
					}
					if kids, err = list(gctx, id); err != nil {
						return err
					}
					if !sameSet(kids, childGroups) {
						return fmt.Errorf("read the user groups: the members of group %s name child groups %v, its children are %v: the tree changed while it was read; try again", id, childGroups, kids)
					}
				} else {
					var err error
					if kids, err = list(gctx, id); err != nil {
						return err
					}
				}
				nmu.Lock()
				next = append(next, kids...)
				nmu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		sort.Strings(next)
		level = next
	}
	for _, lg := range live.Groups {
		sort.Strings(lg.Children)
	}
	live.GroupsRead = true
	return nil
}

// groupMembers reads a group's direct members: its users' UserIds and
// its child groups' ids, both sorted.
func (rd *reader) groupMembers(ctx context.Context, id string) (users, groups []string, err error) {
	items, err := call(rd, "QueryUserGroupMember", lenOf[apiclient.UserGroupMember], func() ([]apiclient.UserGroupMember, error) {
		return rd.r.QueryUserGroupMember(ctx, id, "")
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the members of group %s: %w", id, err)
	}
	if len(items) > rd.o.MaxListObjects {
		return nil, nil, &ReadLimitError{Action: "QueryUserGroupMember",
			Reached: fmt.Sprintf("%d members of group %s", len(items), id),
			Limit:   fmt.Sprintf("%d objects in one listing", rd.o.MaxListObjects),
			Setting: "max-list-objects"}
	}
	users, groups = []string{}, []string{}
	for _, it := range items {
		if it.ParentUserGroupID != "" && it.ParentUserGroupID != id {
			continue // a member of a deeper group, should the server list those
		}
		if it.IsUserGroup {
			groups = append(groups, it.ID)
		} else {
			users = append(users, it.ID)
		}
	}
	sort.Strings(users)
	sort.Strings(groups)
	return uniq(users), uniq(groups), nil
}

// workspaceContents reads the workspaces the files name (every one for
// an export): members, custom roles, datasets and their levels.
func (rd *reader) workspaceContents(ctx context.Context, live *Live) error {
	type job struct {
		ws *LiveWorkspace
		sc WorkspaceScope
	}
	var jobs []job
	seen := map[string]bool{}
	if rd.s.All {
		for _, id := range sortedKeys(live.Workspaces) {
			jobs = append(jobs, job{ws: live.Workspaces[id], sc: WorkspaceScope{Members: true}})
		}
	} else {
		for _, sc := range rd.s.Workspaces {
			ws := sc.resolve(live) // nil when ambiguous: the plan says so
			if ws == nil || seen[ws.ID] {
				continue
			}
			seen[ws.ID] = true
			jobs = append(jobs, job{ws: ws, sc: sc})
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rd.o.Concurrency)
	for _, j := range jobs {
		if j.sc.Members {
			g.Go(func() error { return rd.members(gctx, live, j.ws) })
			g.Go(func() error { return rd.workspaceRoles(gctx, j.ws) })
		}
		if len(j.sc.Datasets) > 0 || rd.s.All {
			g.Go(func() error { return rd.datasets(gctx, j.ws, j.sc) })
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return rd.allRoles(ctx, live, jobs2scopes(jobs, func(j job) (*LiveWorkspace, WorkspaceScope) { return j.ws, j.sc }))
}

func jobs2scopes[J any](jobs []J, f func(J) (*LiveWorkspace, WorkspaceScope)) map[*LiveWorkspace]WorkspaceScope {
	out := map[*LiveWorkspace]WorkspaceScope{}
	for _, j := range jobs {
		ws, sc := f(j)
		out[ws] = sc
	}
	return out
}

func (rd *reader) members(ctx context.Context, live *Live, ws *LiveWorkspace) error {
	list, err := pages(ctx, rd, "QueryWorkspaceUserList", func(ctx context.Context, num, size int) (*apiclient.Page[apiclient.WorkspaceUser], error) {
		return rd.r.QueryWorkspaceUserList(ctx, apiclient.QueryWorkspaceUserListRequest{WorkspaceID: ws.ID, PageNum: num, PageSize: size})
	})
	if err != nil {
		return fmt.Errorf("read the members of workspace %q: %w", ws.Name, err)
	}
	members := map[string]*LiveMember{}
	for _, m := range list {
		if _, dup := members[m.UserID]; dup {
			return fmt.Errorf("read the members of workspace %q: member %s listed twice: the list changed while it was read; try again", ws.Name, m.UserID)
		}
		members[m.UserID] = &LiveMember{UserID: m.UserID, Roles: []int64{m.Role.RoleID}}
	}
	ws.Members, ws.MembersRead = members, true
	return nil
}

func (rd *reader) workspaceRoles(ctx context.Context, ws *LiveWorkspace) error {
	roles, err := call(rd, "ListWorkspaceRoles", lenOf[apiclient.WorkspaceRole], func() ([]apiclient.WorkspaceRole, error) {
		return rd.r.ListWorkspaceRoles(ctx, ws.ID)
	})
	if err != nil {
		return fmt.Errorf("read the roles of workspace %q: %w", ws.Name, err)
	}
	out := map[int64]*LiveRole{}
	for _, ro := range roles {
		if _, builtin := workspaceRoleNames[ro.RoleID]; builtin {
			continue
		}
		lr := &LiveRole{ID: ro.RoleID, Name: ro.RoleName}
		for _, a := range ro.AuthConfigList {
			lr.AuthKeys = append(lr.AuthKeys, a.AuthKey)
		}
		sort.Strings(lr.AuthKeys)
		out[ro.RoleID] = lr
	}
	ws.Roles = out
	return nil
}

// allRoles reads every workspace role of the members whose one role
// shown may hide others, one call per member for all its workspaces.
func (rd *reader) allRoles(ctx context.Context, live *Live, read map[*LiveWorkspace]WorkspaceScope) error {
	who := map[string]bool{}
	for ws, sc := range read {
		if !ws.MembersRead {
			continue
		}
		if len(ws.Roles) > 0 {
			for id := range ws.Members {
				who[id] = true
			}
			continue
		}
		for _, account := range sc.AllRolesOf {
			if u := live.User(account); u != nil && ws.Members[u.UserID] != nil {
				who[u.UserID] = true
			}
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rd.o.Concurrency)
	for _, id := range sortedKeys(who) {
		g.Go(func() error {
			list, err := call(rd, "ListWorkspaceUserRolesByUserId", lenOf[apiclient.WorkspaceRolesOfUser], func() ([]apiclient.WorkspaceRolesOfUser, error) {
				return rd.r.ListWorkspaceUserRolesByUserID(gctx, id)
			})
			name := id
			if u := live.Users[id]; u != nil {
				name = userName(u)
			}
			if err != nil {
				return fmt.Errorf("read the workspace roles of %s: %w", name, err)
			}
			roles := map[string][]int64{}
			for _, it := range list {
				var rid int64
				if _, err := fmt.Sscan(it.RoleModel.RoleID, &rid); err != nil {
					return fmt.Errorf("read the workspace roles of %s: role id %q: %w", name, it.RoleModel.RoleID, err)
				}
				roles[it.WorkspaceID] = append(roles[it.WorkspaceID], rid)
			}
			mu.Lock()
			defer mu.Unlock()
			for ws := range read {
				m := ws.Members[id]
				if m == nil || !ws.MembersRead {
					continue
				}
				got := roles[ws.ID]
				if len(got) == 0 {
					return fmt.Errorf("read the workspace roles of %s: none in workspace %q, which lists it as a member: the server changed while it was read; try again", name, ws.Name)
				}
				sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
				m.Roles, m.AllRoles = uniqInt(got), true
			}
			return nil
		})
	}
	return g.Wait()
}

// datasets lists a workspace's datasets and reads the levels the files
// name (all of them for an export).
func (rd *reader) datasets(ctx context.Context, ws *LiveWorkspace, sc WorkspaceScope) error {
	list, err := pages(ctx, rd, "QueryDatasetList", func(ctx context.Context, num, size int) (*apiclient.Page[apiclient.Dataset], error) {
		return rd.r.QueryDatasetList(ctx, apiclient.QueryDatasetListRequest{WorkspaceID: ws.ID, PageNum: num, PageSize: size})
	})
	if err != nil {
		return fmt.Errorf("read the datasets of workspace %q: %w", ws.Name, err)
	}
	ds := map[string]*LiveDataset{}
	byName := map[string][]*LiveDataset{}
	for _, d := range list {
		if _, dup := ds[d.DatasetID]; dup {
			return fmt.Errorf("read the datasets of workspace %q: dataset %s listed twice: the list changed while it was read; try again", ws.Name, d.DatasetID)
		}
		ld := &LiveDataset{ID: d.DatasetID, Name: d.DatasetName, Levels: map[string]*LiveLevel{}}
		ds[d.DatasetID] = ld
		byName[d.DatasetName] = append(byName[d.DatasetName], ld)
	}
	ws.Datasets, ws.DatasetsRead = ds, true

	type levelJob struct {
		d         *LiveDataset
		level     string
		whitelist bool
	}
	var jobs []levelJob
	if rd.s.All {
		for _, id := range sortedKeys(ds) {
			jobs = append(jobs, levelJob{ds[id], LevelRow, true}, levelJob{ds[id], LevelColumn, true})
		}
	} else {
		done := map[string]bool{}
		for _, dsc := range sc.Datasets {
			d := ds[dsc.ID]
			if dsc.ID == "" {
				if m := byName[dsc.Name]; len(m) == 1 {
					d = m[0]
				}
			}
			if d == nil {
				continue // the plan says so
			}
			for _, level := range []string{LevelRow, LevelColumn} {
				wl, ok := dsc.Levels[level]
				if !ok || done[d.ID+"/"+level] {
					continue
				}
				done[d.ID+"/"+level] = true
				jobs = append(jobs, levelJob{d, level, wl})
			}
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rd.o.Concurrency)
	for _, j := range jobs {
		g.Go(func() error {
			l, err := rd.level(gctx, ws, j.d, j.level, j.whitelist)
			if err != nil {
				return err
			}
			mu.Lock()
			j.d.Levels[j.level] = l
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}

// RuleType is the API's rule type of a level (LevelRow, LevelColumn).
func RuleType(level string) string {
	if level == LevelColumn {
		return apiclient.RuleTypeColumn
	}
	return apiclient.RuleTypeRow
}

func (rd *reader) level(ctx context.Context, ws *LiveWorkspace, d *LiveDataset, level string, whitelist bool) (*LiveLevel, error) {
	rt := RuleType(level)
	what := fmt.Sprintf("the %s permissions of dataset %q in workspace %q", strings.ToLower(strings.TrimSuffix(rt, "_LEVEL")), d.Name, ws.Name)
	cfg, err := call(rd, "ListCubeDataLevelPermissionConfig", func(c *apiclient.CubeDataLevelConfig) int {
		if c == nil {
			return 0
		}
		return len(c.RuleModels)
	}, func() (*apiclient.CubeDataLevelConfig, error) {
		return rd.r.ListCubeDataLevelPermissionConfig(ctx, d.ID, rt)
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if cfg == nil {
		return nil, fmt.Errorf("read %s: no configuration in the answer", what)
	}
	l := &LiveLevel{Open: cfg.IsOpen == 1, MissHit: cfg.ExtraConfigModel.MissHitPolicy, Rules: cfg.RuleModels}
	if l.MissHit == "" {
		l.MissHit = apiclient.MissHitNone
	}
	names := map[string]bool{}
	for _, rule := range l.Rules {
		if names[rule.RuleName] {
			return nil, fmt.Errorf("read %s: two rules are named %q", what, rule.RuleName)
		}
		names[rule.RuleName] = true
	}
	if whitelist {
		wl, err := call(rd, "ListDataLevelPermissionWhiteList", func(w *apiclient.WhiteList) int {
			if w == nil {
				return 0
			}
			return len(w.UsersModel.Users) + len(w.UsersModel.UserGroups)
		}, func() (*apiclient.WhiteList, error) {
			return rd.r.ListDataLevelPermissionWhiteList(ctx, d.ID, rt)
		})
		if err != nil {
			return nil, fmt.Errorf("read the whitelist of %s: %w", what, err)
		}
		if wl == nil {
			return nil, fmt.Errorf("read the whitelist of %s: no whitelist in the answer", what)
		}
		um := wl.UsersModel
		l.Whitelist = &um
	}
	return l, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// uniq drops repeats of a sorted list.
func uniq(in []string) []string {
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func uniqInt(in []int64) []int64 {
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}
