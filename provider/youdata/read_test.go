package youdata

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/provider/youdata/apiclient"
)

var errBadGateway = errors.New("bad gateway")

// fakeReader is an in-memory apiclient.Reader with failure injection.
type fakeReader struct {
	mu       sync.Mutex
	users    []apiclient.User
	projects []apiclient.Project
	members  map[int64][]apiclient.ProjectUser
	// total overrides the total projectUser/list reports, per project.
	total  map[int64]int
	trees  map[string]*apiclient.RoleTree // "projectID/TYPE"
	perms  map[string]*apiclient.UserPermissions
	sysr   []apiclient.SystemRole
	failOn string // method name that fails
	calls  map[string]int
	// maxPage, when set, caps every page below what was asked, as a
	// server with its own limit would.
	maxPage int
	// noTotal makes projectUser/list answer without a total (-1).
	noTotal bool
}

var _ apiclient.Reader = (*fakeReader)(nil)

func (f *fakeReader) hit(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[name]++
	if f.failOn == name {
		return fmt.Errorf("%s: %w", name, errBadGateway)
	}
	return nil
}

func page[T any](all []T, offset, limit int) []T {
	if offset >= len(all) {
		return nil
	}
	end := offset + limit
	if end > len(all) {
		end = len(all)
	}
	return all[offset:end]
}

func (f *fakeReader) GetAllUsers(ctx context.Context, offset, limit int) ([]apiclient.User, error) {
	if err := f.hit("GetAllUsers"); err != nil {
		return nil, err
	}
	return page(f.users, offset, f.capped(limit)), nil
}

func (f *fakeReader) capped(limit int) int {
	if f.maxPage > 0 && limit > f.maxPage {
		return f.maxPage
	}
	return limit
}

func (f *fakeReader) ListProjects(ctx context.Context) ([]apiclient.Project, error) {
	if err := f.hit("ListProjects"); err != nil {
		return nil, err
	}
	return f.projects, nil
}

func (f *fakeReader) ListProjectUsers(ctx context.Context, id int64, offset, limit int) ([]apiclient.ProjectUser, int, error) {
	if err := f.hit("ListProjectUsers"); err != nil {
		return nil, 0, err
	}
	total := len(f.members[id])
	if t, ok := f.total[id]; ok {
		total = t
	}
	if f.noTotal {
		total = -1
	}
	return page(f.members[id], offset, f.capped(limit)), total, nil
}

func (f *fakeReader) ListRoles(ctx context.Context, id int64, typ string) (*apiclient.RoleTree, error) {
	if err := f.hit("ListRoles"); err != nil {
		return nil, err
	}
	if t := f.trees[fmt.Sprintf("%d/%s", id, typ)]; t != nil {
		return t, nil
	}
	return &apiclient.RoleTree{}, nil
}

func (f *fakeReader) UserPermissions(ctx context.Context, id int64, uid string) (*apiclient.UserPermissions, error) {
	if err := f.hit("UserPermissions"); err != nil {
		return nil, err
	}
	if p := f.perms[fmt.Sprintf("%d/%s", id, uid)]; p != nil {
		return p, nil
	}
	return &apiclient.UserPermissions{}, nil
}

func (f *fakeReader) ListSystemRoles(ctx context.Context) ([]apiclient.SystemRole, error) {
	if err := f.hit("ListSystemRoles"); err != nil {
		return nil, err
	}
	return f.sysr, nil
}

func strp(s string) *string { return &s }

func sampleServer() *fakeReader {
	f := &fakeReader{
		members: map[int64][]apiclient.ProjectUser{},
		total:   map[int64]int{},
		trees:   map[string]*apiclient.RoleTree{},
		perms:   map[string]*apiclient.UserPermissions{},
	}
	for i := 0; i < 7; i++ {
		uid := fmt.Sprintf("u%d@corp.com", i)
		f.users = append(f.users, apiclient.User{ID: int64(100 + i), UniqueID: uid, Email: strp(uid), Nick: strp(fmt.Sprintf("User %d", i))})
	}
	f.projects = []apiclient.Project{{ID: 1, Name: "销售分析", Description: "销售数据"}, {ID: 2, Name: "其他", Description: ""}}
	for i := 0; i < 5; i++ {
		uid := fmt.Sprintf("u%d@corp.com", i)
		f.members[1] = append(f.members[1], apiclient.ProjectUser{ID: int64(900 + i), UserID: int64(100 + i), UniqueID: uid, Category: "viewer"})
	}
	f.members[2] = []apiclient.ProjectUser{{UserID: 106, UniqueID: "u6@corp.com", Category: "admin"}}
	f.trees["1/ROLE"] = &apiclient.RoleTree{
		Items: []apiclient.RoleItem{{ID: 11, Type: 0, Name: "报告阅览", Description: "看报告"}},
		Folders: []apiclient.RoleFolder{{ID: 5, Name: "通用", Items: []apiclient.RoleItem{
			{ID: 12, Type: 3, Name: "二级", FolderID: 5},
		}}},
	}
	f.trees["1/ROW_PERMISSION"] = &apiclient.RoleTree{
		Folders: []apiclient.RoleFolder{{ID: 6, Name: "区域", Items: []apiclient.RoleItem{{ID: 21, Type: 2, Name: "华北数据", FolderID: 6}}}},
	}
	rule := apiclient.DataPermissionRead{Mode: "fixed", Rule: "or", Type: "row", ResourceID: 2010, RoleID: 21}
	f.perms["1/u0@corp.com"] = &apiclient.UserPermissions{
		Roles: []apiclient.UserRole{
			{ID: 3, Name: "阅览者", Type: 1},
			{ID: 1, Name: "项目管理员", Type: 1},
			{ID: 11, Name: "报告阅览", Type: 0, ExpiredTime: strp("2027-10-10T02:00:00.000Z")},
		},
		Groups: []apiclient.UserGroupRef{{ID: 50, Name: "华北分析师"}},
	}
	f.perms["1/u1@corp.com"] = &apiclient.UserPermissions{
		Roles:          []apiclient.UserRole{{ID: 12, Name: "二级", Type: 3}},
		RowPermissions: []apiclient.UserRowPerm{{ID: 21, Name: "华北数据", Type: 2, DataPermissions: []apiclient.DataPermissionRead{rule}}},
		Groups:         []apiclient.UserGroupRef{{ID: 50, Name: "华北分析师"}},
	}
	f.sysr = []apiclient.SystemRole{{ID: 1001, Name: "审计员", Description: "只读审计"}}
	return f
}

func TestReadLive(t *testing.T) {
	f := sampleServer()
	live, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}, {Name: "不存在"}}, ReadOptions{PageSize: 2, TokenUser: "admin@corp.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(live.Users); got != 7 {
		t.Errorf("users: got %d, want 7 (paged by 2)", got)
	}
	if live.TokenUser != "admin@corp.com" {
		t.Errorf("TokenUser = %q", live.TokenUser)
	}
	p := live.Projects["销售分析"]
	if p == nil || !p.Read {
		t.Fatalf("project 销售分析 not read: %+v", p)
	}
	if other := live.Projects["其他"]; other == nil || other.Read || other.Members != nil {
		t.Errorf("project 其他 is not in the files and must not be read in full: %+v", other)
	}
	if got := len(p.Members); got != 5 {
		t.Errorf("members: got %d, want 5", got)
	}
	if diff := cmp.Diff([]int64{1, 3}, p.Members["u0@corp.com"].SystemRoleIDs); diff != "" {
		t.Errorf("system roles of u0 (-want +got):\n%s", diff)
	}
	want := map[string]*string{"u0@corp.com": strp("2027-10-10T02:00:00.000Z")}
	if diff := cmp.Diff(want, p.Roles["/报告阅览"].Users); diff != "" {
		t.Errorf("users of 报告阅览 (-want +got):\n%s", diff)
	}
	if r := p.Roles["通用/二级"]; r == nil || r.Type != 3 || r.Folder != "通用" || r.Users["u1@corp.com"] != nil {
		t.Errorf("role 通用/二级 = %+v", r)
	}
	dp := p.DataPermissions["区域/华北数据"]
	if dp == nil || !dp.RulesKnown || len(dp.Rules) != 1 || dp.Rules[0].ResourceID != 2010 {
		t.Errorf("data permission 区域/华北数据 = %+v", dp)
	}
	if p.RoleFolders["通用"] != 5 || p.DataPermissionFolders["区域"] != 6 {
		t.Errorf("folders: %v %v", p.RoleFolders, p.DataPermissionFolders)
	}
	g := p.Groups["华北分析师"]
	if g == nil || g.ID != 50 || !sort.StringsAreSorted(g.Members) || len(g.Members) != 2 {
		t.Errorf("group 华北分析师 = %+v", g)
	}
	if live.SystemRoles["审计员"].ID != 1001 {
		t.Errorf("system roles: %v", live.SystemRoles)
	}
}

func TestReadLiveDeterministic(t *testing.T) {
	a, err := ReadLive(context.Background(), sampleServer(), []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 3, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadLive(context.Background(), sampleServer(), []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 100, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("page size and concurrency change the result (-a +b):\n%s", d)
	}
}

func TestReadLivePinnedID(t *testing.T) {
	live, err := ReadLive(context.Background(), sampleServer(), []ProjectRef{{Name: "新名字", ID: 1}}, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !live.Projects["销售分析"].Read {
		t.Error("a project pinned by id must be read under its live name")
	}
}

// Every failed read aborts the whole read with its cause; nothing is taken
// to mean absent.
func TestReadLiveFailureAborts(t *testing.T) {
	for _, m := range []string{"GetAllUsers", "ListProjects", "ListProjectUsers", "ListRoles", "UserPermissions", "ListSystemRoles"} {
		t.Run(m, func(t *testing.T) {
			f := sampleServer()
			f.failOn = m
			live, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{})
			if err == nil {
				t.Fatalf("read succeeded with a failing %s", m)
			}
			if live != nil {
				t.Error("a failed read must not return a partial live state")
			}
			if !errors.Is(err, errBadGateway) {
				t.Errorf("cause lost: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "read ") {
				t.Errorf("error does not name the read: %v", err)
			}
		})
	}
}

func TestReadLivePagingEndsEarly(t *testing.T) {
	f := sampleServer()
	f.total[1] = 9 // the server says 9 members but pages end after 5
	_, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 2})
	if err == nil || !strings.Contains(err.Error(), "paging ended after 5 of 9 members") {
		t.Fatalf("got %v, want a paging error", err)
	}
}

func TestReadLiveUnknownRoleID(t *testing.T) {
	f := sampleServer()
	f.perms["1/u2@corp.com"] = &apiclient.UserPermissions{Roles: []apiclient.UserRole{{ID: 999, Name: "新角色", Type: 0}}}
	_, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), "not in role/list") {
		t.Fatalf("got %v, want an error about a role missing from role/list", err)
	}
}

func TestReadLiveProgress(t *testing.T) {
	var mu sync.Mutex
	var last ReadProgress
	_, err := ReadLive(context.Background(), sampleServer(), []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 2, Progress: func(p ReadProgress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Calls > last.Calls {
			last = p
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	// 5 user pages (the last one empty), projects, system roles, 3 member
	// pages, 2 trees, 5 members' permissions.
	if last.Calls != 17 {
		t.Errorf("progress counted %d calls, want 17", last.Calls)
	}
	if last.Objects == 0 {
		t.Error("progress counted no objects")
	}
}

// Two projects with the same name: pinning one by id reads that one; with
// no pin the read stops, naming both ids.
func TestReadLiveDuplicateProjectNames(t *testing.T) {
	f := sampleServer()
	f.projects = append(f.projects, apiclient.Project{ID: 3, Name: "销售分析"})
	live, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析", ID: 1}}, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lp := live.Projects["销售分析"]; lp == nil || lp.ID != 1 || !lp.Read {
		t.Errorf("project 销售分析 = %+v, want id 1 read in full", lp)
	}
	_, err = ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), "ids 1 and 3") {
		t.Errorf("unpinned duplicate: err %v", err)
	}
}

// A server that answers fewer items than asked for must not make the read
// skip or drop any: the offset follows what came, and only an empty page
// (or the total) ends a list.
func TestReadLiveServerCapsPages(t *testing.T) {
	want, err := ReadLive(context.Background(), sampleServer(), []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	f := sampleServer()
	f.maxPage = 2
	got, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("pages capped at 2 read something else (-uncapped +capped):\n%s", d)
	}
}

func TestReadLiveMembersWithoutTotal(t *testing.T) {
	f := sampleServer()
	f.noTotal = true
	live, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(live.Projects["销售分析"].Members); n != 5 {
		t.Errorf("read %d members without a total, want 5", n)
	}
}

// reverseReader answers user/permissions in the reverse order of the
// members' uniqueIds: each answer waits for the one after it.
type reverseReader struct {
	*fakeReader
	done map[string]chan struct{}
	next map[string]string // uid → the uid answered before it
}

func (r *reverseReader) UserPermissions(ctx context.Context, id int64, uid string) (*apiclient.UserPermissions, error) {
	if n, ok := r.next[uid]; ok {
		select {
		case <-r.done[n]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer close(r.done[uid])
	return r.fakeReader.UserPermissions(ctx, id, uid)
}

// The merge of user/permissions answers does not depend on the order they
// come in: a data permission two members hold with different rules (the
// server changed between the two reads) takes those of the first member
// by uniqueId, and group members are sorted.
func TestReadLiveMergeOrderIndependent(t *testing.T) {
	server := func() *fakeReader {
		f := sampleServer()
		other := apiclient.DataPermissionRead{Mode: "fixed", Rule: "or", Type: "row", ResourceID: 3030, RoleID: 21}
		f.perms["1/u3@corp.com"] = &apiclient.UserPermissions{
			RowPermissions: []apiclient.UserRowPerm{{ID: 21, Name: "华北数据", Type: 2, DataPermissions: []apiclient.DataPermissionRead{other}}},
			Groups:         []apiclient.UserGroupRef{{ID: 50, Name: "华北分析师"}},
		}
		f.perms["1/u4@corp.com"] = &apiclient.UserPermissions{Groups: []apiclient.UserGroupRef{{ID: 50, Name: "华北分析师"}}}
		return f
	}
	inOrder, err := ReadLive(context.Background(), server(), []ProjectRef{{Name: "销售分析"}}, ReadOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := server()
	rr := &reverseReader{fakeReader: f, done: map[string]chan struct{}{}, next: map[string]string{}}
	var uids []string
	for _, m := range f.members[1] {
		uids = append(uids, m.UniqueID)
		rr.done[m.UniqueID] = make(chan struct{})
	}
	sort.Strings(uids)
	for i := 0; i+1 < len(uids); i++ {
		rr.next[uids[i]] = uids[i+1]
	}
	reversed, err := ReadLive(context.Background(), rr, []ProjectRef{{Name: "销售分析"}}, ReadOptions{Concurrency: len(uids) + 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(inOrder, reversed); d != "" {
		t.Errorf("the order of the answers changes the result (-in order +reversed):\n%s", d)
	}
	dp := reversed.Projects["销售分析"].DataPermissions["区域/华北数据"]
	if len(dp.Rules) != 1 || dp.Rules[0].ResourceID != 2010 {
		t.Errorf("rules of 华北数据 = %+v, want those of u1 (the first member holding it)", dp.Rules)
	}
	if g := reversed.Projects["销售分析"].Groups["华北分析师"]; !cmp.Equal(g.Members, []string{"u0@corp.com", "u1@corp.com", "u3@corp.com", "u4@corp.com"}) {
		t.Errorf("members of 华北分析师 = %v", g.Members)
	}
}

// The token's user may be named by email (PERMSYNC_EMAIL); the diff
// compares uniqueIds. One user with that email: resolved; two: left as
// given rather than pick one.
func TestReadLiveResolvesTokenUserEmail(t *testing.T) {
	f := sampleServer()
	f.users[0].Email = strp("boss@corp.com")
	live, err := ReadLive(context.Background(), f, nil, ReadOptions{TokenUser: "boss@corp.com"})
	if err != nil {
		t.Fatal(err)
	}
	if live.TokenUser != f.users[0].UniqueID {
		t.Errorf("TokenUser = %q, want %q", live.TokenUser, f.users[0].UniqueID)
	}
	f.users[1].Email = strp("boss@corp.com")
	live, err = ReadLive(context.Background(), f, nil, ReadOptions{TokenUser: "boss@corp.com"})
	if err != nil {
		t.Fatal(err)
	}
	if live.TokenUser != "boss@corp.com" {
		t.Errorf("two users with the email: TokenUser = %q, want it left as given", live.TokenUser)
	}
}

var errRunaway = errors.New("the reader went on paging far beyond the limit under test")

// endlessReader is a server whose paging never ends: every page is full of
// users or members not seen before. guard stops it, with errRunaway, far
// beyond the limits the tests set, so that a read without limits fails
// instead of running away.
type endlessReader struct {
	*fakeReader
	users bool // user/getAllUsers never ends
	// members: projectUser/list never ends; total gives its total: a
	// number, "none", "growing" (one page ahead of what was sent).
	members bool
	total   string
	fixed   int // the total when total is "fixed"
	guard   int
}

func (e *endlessReader) GetAllUsers(ctx context.Context, offset, limit int) ([]apiclient.User, error) {
	if !e.users {
		return e.fakeReader.GetAllUsers(ctx, offset, limit)
	}
	if err := e.hit("GetAllUsers"); err != nil {
		return nil, err
	}
	if offset > e.guard {
		return nil, errRunaway
	}
	page := make([]apiclient.User, limit)
	for i := range page {
		page[i] = apiclient.User{ID: int64(offset + i + 1), UniqueID: fmt.Sprintf("user%07d@corp.com", offset+i)}
	}
	return page, nil
}

func (e *endlessReader) ListProjectUsers(ctx context.Context, id int64, offset, limit int) ([]apiclient.ProjectUser, int, error) {
	if !e.members {
		return e.fakeReader.ListProjectUsers(ctx, id, offset, limit)
	}
	if err := e.hit("ListProjectUsers"); err != nil {
		return nil, 0, err
	}
	if offset > e.guard {
		return nil, 0, errRunaway
	}
	page := make([]apiclient.ProjectUser, limit)
	for i := range page {
		page[i] = apiclient.ProjectUser{UserID: int64(offset + i + 1), UniqueID: fmt.Sprintf("user%07d@corp.com", offset+i), Category: "viewer"}
	}
	total := -1
	switch e.total {
	case "growing":
		total = offset + 2*limit
	case "fixed":
		total = e.fixed
	}
	return page, total, nil
}

// Paging that does not end, or a server beyond the limits, stops at the
// limit with an error naming the call, the project, what was reached and
// the limit; nothing is returned, so no plan is built.
func TestReadLiveBoundedPaging(t *testing.T) {
	const limit = 50
	for _, tc := range []struct {
		name string
		e    endlessReader
		want []string
	}{
		{"users never end", endlessReader{users: true},
			[]string{"user/getAllUsers: 60 users and the list has not ended, beyond the limit of 50 objects in one listing", "--max-list-objects"}},
		{"members never end, no total", endlessReader{members: true, total: "none"},
			[]string{`projectUser/list in project "销售分析": 60 members without a total and the list has not ended, beyond the limit of 50 objects in one listing`}},
		{"total beyond the limit", endlessReader{members: true, total: "fixed", fixed: 2_000_000_000},
			[]string{`projectUser/list in project "销售分析": the server reports 2000000000 members, beyond the limit of 50 objects in one listing`}},
		{"members beyond the total", endlessReader{members: true, total: "fixed", fixed: 15},
			[]string{`project "销售分析" (offset 10): projectUser/list sent 20 members, more than the 15 it reports`}},
		{"total that keeps growing", endlessReader{members: true, total: "growing"},
			[]string{`project "销售分析": the member count changed from 20 to 30 while paging`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			e.fakeReader, e.guard = sampleServer(), 100*limit
			live, err := ReadLive(context.Background(), &e, []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 10, MaxListObjects: limit})
			if err == nil {
				t.Fatal("read succeeded")
			}
			if live != nil {
				t.Error("a partial read was returned with the error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if errors.Is(err, errRunaway) {
				t.Errorf("the read ran past the limit: %v", err)
			}
			// At most the calls to reach the limit, plus those of the
			// other reads of the sample server.
			e.mu.Lock()
			calls := e.calls["GetAllUsers"] + e.calls["ListProjectUsers"]
			e.mu.Unlock()
			if calls > limit/10+2+2 {
				t.Errorf("%d paged calls for a limit of %d objects in pages of 10", calls, limit)
			}
		})
	}
}

// The limits leave a server that caps its pages readable to the end: a
// listing of exactly the limit, read one object per page, is whole.
func TestReadLiveLimitKeepsCappedPages(t *testing.T) {
	f := sampleServer()
	f.maxPage, f.noTotal = 1, true
	live, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 100, MaxListObjects: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Users) != 7 || len(live.Projects["销售分析"].Members) != 5 {
		t.Errorf("read %d users and %d members, want 7 and 5", len(live.Users), len(live.Projects["销售分析"].Members))
	}
	f = sampleServer()
	f.maxPage = 1
	_, err = ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 100, MaxListObjects: 6})
	if !errors.Is(err, ErrReadLimit) || !strings.Contains(err.Error(), "7 users and the list has not ended, beyond the limit of 6") {
		t.Errorf("7 users with a limit of 6: err %v", err)
	}
}

// The objects of a whole read are capped, whichever call goes beyond.
func TestReadLiveObjectLimit(t *testing.T) {
	f := sampleServer()
	_, err := ReadLive(context.Background(), f, []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 2, Concurrency: 1, MaxReadObjects: 12})
	var rl *ReadLimitError
	if !errors.As(err, &rl) || rl.Setting != "max-read-objects" || rl.Endpoint == "" {
		t.Fatalf("err = %v, want a ReadLimitError of max-read-objects naming the call", err)
	}
	if !strings.Contains(err.Error(), "beyond the limit of 12 objects in a whole read") {
		t.Errorf("error %q", err)
	}
	if _, err := ReadLive(context.Background(), sampleServer(), []ProjectRef{{Name: "销售分析"}}, ReadOptions{PageSize: 2, MaxReadObjects: 1000}); err != nil {
		t.Errorf("a read within the limit: %v", err)
	}
}

// slowReader never answers user/permissions: only a deadline ends it.
type slowReader struct{ *fakeReader }

func (s slowReader) UserPermissions(ctx context.Context, id int64, uid string) (*apiclient.UserPermissions, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("youdata GET user/permissions: %w", ctx.Err())
}

// A read that takes longer than MaxReadTime ends with an error saying so,
// naming the call it cut; the caller's own deadline is not mistaken for it.
func TestReadLiveTimeLimit(t *testing.T) {
	guard, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	live, err := ReadLive(guard, slowReader{sampleServer()}, []ProjectRef{{Name: "销售分析"}}, ReadOptions{MaxReadTime: 20 * time.Millisecond})
	if live != nil || !errors.Is(err, ErrReadLimit) {
		t.Fatalf("err = %v, want a read limit", err)
	}
	for _, w := range []string{"read stopped: it ran for", "beyond the limit of 20ms on a read's time", "--max-read-time", `the call it cut: read permissions of "u`, "user/permissions"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the cut call's error is lost: %v", err)
	}
	if guard.Err() != nil {
		t.Fatal("the read ran until the test's guard")
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	_, err = ReadLive(ctx, slowReader{sampleServer()}, []ProjectRef{{Name: "销售分析"}}, ReadOptions{})
	if err == nil || errors.Is(err, ErrReadLimit) {
		t.Errorf("the caller's deadline: err = %v, want no read limit", err)
	}
}
