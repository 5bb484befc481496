package quickbitest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// The internal model: maps for lookups, a creation sequence for every
// object so that lists come out in a stable order. Snapshot turns it into
// the exported, sorted State.

// Organization role ids (long) the reference names.
const (
	RoleOrgAdmin      int64 = 111111111
	RoleOrgPermAdmin  int64 = 111111112
	RoleOrgRegularUse int64 = 111111113
)

// Workspace role ids (long) the reference names.
const (
	RoleWorkspaceAdmin     int64 = 25
	RoleWorkspaceDeveloper int64 = 26
	RoleWorkspaceAnalyst   int64 = 27
	RoleWorkspaceViewer    int64 = 30
)

// UserType values.
const (
	UserTypeDeveloper = 1
	UserTypeViewer    = 2
	UserTypeAnalyst   = 3
)

// Rule types of row and column permissions.
const (
	RowLevel    = "ROW_LEVEL"
	ColumnLevel = "COLUMN_LEVEL"
)

// RootGroupID is the parent of the top-level user groups.
const RootGroupID = "-1"

type roleDef struct {
	id       int64
	name     string
	system   bool
	authKeys []string
	code     string // workspace roles: RoleCode
}

var predefinedOrgRoles = []roleDef{
	{id: RoleOrgAdmin, name: "组织管理员", system: true},
	{id: RoleOrgPermAdmin, name: "权限管理员", system: true},
	{id: RoleOrgRegularUse, name: "普通用户", system: true},
}

// The reference documents RoleCode role_workspace_admin for 25 only; the
// other three codes are the simulator's (clients should match RoleId).
var predefinedWorkspaceRoles = []roleDef{
	{id: RoleWorkspaceAdmin, name: "空间管理员", system: true, code: "role_workspace_admin",
		authKeys: []string{"portal_create", "dashboard_create", "report_create", "screen_create", "analysis", "offline_download", "data_form", "quick_etl", "cube", "datasource"}},
	{id: RoleWorkspaceDeveloper, name: "开发者", system: true, code: "role_workspace_developer",
		authKeys: []string{"portal_create", "dashboard_create", "report_create", "screen_create", "analysis", "offline_download", "data_form", "quick_etl", "cube", "datasource"}},
	{id: RoleWorkspaceAnalyst, name: "分析师", system: true, code: "role_workspace_analyst",
		authKeys: []string{"dashboard_create", "report_create", "analysis", "offline_download"}},
	{id: RoleWorkspaceViewer, name: "阅览者", system: true, code: "role_workspace_viewer"},
}

// analystForbiddenKeys are the workspace permissions an analyst cannot
// hold (data development): a custom role with one of them answers
// UserAnalyst.NotSupport.ThisRole for an analyst.
var analystForbiddenKeys = map[string]bool{"quick_etl": true, "cube": true, "datasource": true}

// predefined workspace role order, most privileged first.
var workspaceRoleRank = map[int64]int{RoleWorkspaceAdmin: 4, RoleWorkspaceDeveloper: 3, RoleWorkspaceAnalyst: 2, RoleWorkspaceViewer: 1}

type org struct {
	id, name        string
	adminID         string // UserId of the account the access key belongs to
	seats           Seats
	maxTags         int
	newRowModel     bool
	globalParam     bool
	customOrgRoles  map[int64]*roleDef
	customWorkRoles map[int64]*roleDef
}

type member struct {
	seq         int64
	id          string
	accountID   string
	accountName string
	accountType int
	nick        string
	email       string
	phone       string
	userType    int
	roles       []int64 // sorted
	deleted     bool    // IsDeleted: inactive
	joined      time.Time
	lastLogin   *time.Time
	copilot     []string
	tags        map[string]string // TagId → value
}

type group struct {
	seq                    int64
	id, name, desc, parent string
	members                map[string]int64 // UserId → join sequence
	created, modified      time.Time
	createUser, modifyUser string
}

type workspace struct {
	seq                                              int64
	id, name, desc, owner                            string
	createUser, modifyUser                           string
	created, modified                                time.Time
	allowShare, allowPublish, allowViewAll           bool
	defaultShareToAll, onlyAdminCreateDS, useComment bool
	members                                          map[string]*wsMember
	datasets                                         map[string]*dataset
	works                                            map[string]*work
}

type wsMember struct {
	seq   int64
	roles []int64 // predefined by rank, then custom ascending
}

type dataset struct {
	seq                int64
	id, name, desc     string
	workspace, owner   string
	created, modified  time.Time
	dsID, dsName, dsTy string
	dirID, dirName     string
	levels             map[string]*level
}

type level struct {
	open        bool
	missHit     string
	whiteUsers  []string
	whiteGroups []string
	rules       []*rule // creation order
}

type rule struct {
	seq            int64
	id, name, kind string
	scope          string
	hitTakeEffect  int
	isOpen         int
	permissionMode string
	users, groups  []string // sorted, unique
	contentType    string
	contentJSON    string
	originJSON     string
}

type work struct {
	seq                       int64
	id, name, kind, workspace string
	owner, modifier, desc     string
	securityLevel             string
	status                    int
	embedded                  bool
	created, modified         time.Time
	publicFlag                bool
	dirID, dirName            string
	components                []string
}

type ticket struct {
	seq                     int64
	value, worksID, cmptID  string
	userID, boundBy         string
	accountName             string
	accountType             int
	globalParam, watermark  string
	max, used               int
	registered, invalidTime time.Time
}

type world struct {
	org   org
	users map[string]*member // by UserId
	// Indexes of users, kept by putUser and dropUser.
	byAccount   map[string]*member
	byAccountID map[string]*member
	byNick      map[string]*member
	seats       map[int]int // members per UserType
	groups      map[string]*group
	workspaces  map[string]*workspace
	tags        map[string]*tagMeta
	tickets     map[string]*ticket
	cubes       map[string]*dataset // by CubeId, across workspaces
	works       map[string]*work    // by WorksId, across workspaces
	seq         int64
	idCounter   map[string]int64
}

type tagMeta struct {
	seq      int64
	id, name string
	desc     string
}

func newWorld() *world {
	return &world{
		org: org{customOrgRoles: map[int64]*roleDef{}, customWorkRoles: map[int64]*roleDef{},
			newRowModel: true, maxTags: defaultMaxTags},
		users:     map[string]*member{},
		byAccount: map[string]*member{}, byAccountID: map[string]*member{}, byNick: map[string]*member{},
		seats:      map[int]int{},
		groups:     map[string]*group{},
		workspaces: map[string]*workspace{},
		tags:       map[string]*tagMeta{},
		tickets:    map[string]*ticket{},
		cubes:      map[string]*dataset{},
		works:      map[string]*work{},
		idCounter:  map[string]int64{},
	}
}

const defaultMaxTags = 50

func (w *world) next() int64 {
	w.seq++
	return w.seq
}

// hexID is a deterministic 32-hex id: the same sequence of creations gives
// the same ids on every run, whatever faults are injected.
func (w *world) hexID(kind string) string {
	w.idCounter[kind]++
	sum := sha256.Sum256([]byte(fmt.Sprintf("quickbitest/%s/%d", kind, w.idCounter[kind])))
	return hex.EncodeToString(sum[:16])
}

// uuid is a deterministic lower-case UUID-shaped id.
func (w *world) uuid(kind string) string {
	h := w.hexID(kind)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// Lookups.

func (w *world) userByAccountName(name string) *member {
	if name == "" {
		return nil
	}
	return w.byAccount[name]
}

// putUser adds a member and indexes it; dropUser removes both. A change
// of nickname, account or type is a dropUser, the change, a putUser.
func (w *world) putUser(u *member) {
	w.users[u.id] = u
	if u.accountName != "" {
		w.byAccount[u.accountName] = u
	}
	if u.accountID != "" {
		w.byAccountID[u.accountID] = u
	}
	w.byNick[u.nick] = u
	w.seats[u.userType]++
}

func (w *world) dropUser(u *member) {
	delete(w.users, u.id)
	if w.byAccount[u.accountName] == u {
		delete(w.byAccount, u.accountName)
	}
	if w.byAccountID[u.accountID] == u {
		delete(w.byAccountID, u.accountID)
	}
	if w.byNick[u.nick] == u {
		delete(w.byNick, u.nick)
	}
	w.seats[u.userType]--
}

func (w *world) usersInOrder() []*member {
	out := make([]*member, 0, len(w.users))
	for _, u := range w.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (w *world) groupsInOrder(keep func(*group) bool) []*group {
	var out []*group
	for _, g := range w.groups {
		if keep == nil || keep(g) {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (w *world) workspacesInOrder() []*workspace {
	out := make([]*workspace, 0, len(w.workspaces))
	for _, ws := range w.workspaces {
		out = append(out, ws)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (w *world) tagsInOrder() []*tagMeta {
	out := make([]*tagMeta, 0, len(w.tags))
	for _, t := range w.tags {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (w *world) tagByName(name string) *tagMeta {
	for _, t := range w.tags {
		if t.name == name {
			return t
		}
	}
	return nil
}

func (w *world) nickTaken(nick, except string) bool {
	u := w.byNick[nick]
	return u != nil && u.id != except
}

func (w *world) groupNameTaken(name, except string) bool {
	for _, g := range w.groups {
		if g.name == name && g.id != except {
			return true
		}
	}
	return false
}

func (w *world) children(id string) []*group {
	return w.groupsInOrder(func(g *group) bool { return g.parent == id })
}

// identifiedPath is the ids from the top down to g, joined by "/".
func (w *world) identifiedPath(g *group) string {
	path := g.id
	for p := w.groups[g.parent]; p != nil; p = w.groups[p.parent] {
		path = p.id + "/" + path
	}
	return path
}

func (w *world) orgRole(id int64) *roleDef {
	for i := range predefinedOrgRoles {
		if predefinedOrgRoles[i].id == id {
			return &predefinedOrgRoles[i]
		}
	}
	return w.org.customOrgRoles[id]
}

func (w *world) workspaceRole(id int64) *roleDef {
	for i := range predefinedWorkspaceRoles {
		if predefinedWorkspaceRoles[i].id == id {
			return &predefinedWorkspaceRoles[i]
		}
	}
	return w.org.customWorkRoles[id]
}

func isPredefinedWorkspaceRole(id int64) bool { _, ok := workspaceRoleRank[id]; return ok }

// sortWorkspaceRoles orders roles: predefined most privileged first, then
// custom ids ascending.
func sortWorkspaceRoles(ids []int64) {
	sort.Slice(ids, func(i, j int) bool {
		ri, rj := workspaceRoleRank[ids[i]], workspaceRoleRank[ids[j]]
		if ri != rj {
			return ri > rj
		}
		return ids[i] < ids[j]
	})
}

// seatsUsed counts the members of one UserType (inactive ones included:
// they keep their seat).
func (w *world) seatsUsed(userType int) int { return w.seats[userType] }

func sortedUnique(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func removeAll(list []string, del []string) []string {
	drop := map[string]bool{}
	for _, d := range del {
		drop[d] = true
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !drop[v] {
			out = append(out, v)
		}
	}
	return out
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sortInt64s(a []int64) { sort.Slice(a, func(i, j int) bool { return a[i] < a[j] }) }

// sortBy orders items by a key, ascending.
func sortBy[T any](items []T, key func(T) int64) {
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
}
