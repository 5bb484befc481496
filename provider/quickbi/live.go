package quickbi

import (
	"sort"
	"strings"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// Live is what a read showed of a Quick BI organization: its members,
// custom organization roles and tag definitions always; the user-group
// tree, tag values, workspaces' members and datasets' permissions as far
// as the files cover them. Build one by hand with Index called after.
type Live struct {
	// TokenUser is the account of the member behind the credentials, as
	// the read resolved the one given ("" when unknown).
	TokenUser string

	// Users are every member of the organization, by UserId.
	Users map[string]*LiveUser
	// OrgRoles maps custom organization role ids to their names.
	OrgRoles map[int64]string
	// Tags are the tag definitions, by name.
	Tags map[string]*LiveTag

	// GroupsRead is set when the user-group tree was read; Groups are
	// then every group, by UserGroupId.
	GroupsRead bool
	Groups     map[string]*LiveGroup

	// Workspaces are every workspace of the organization, by id; those
	// the files name are read in full (Read).
	Workspaces map[string]*LiveWorkspace

	// tags says which members' tag values this read read; nil after a
	// read in full (see refresh.go).
	tags *tagsRead

	byAccount   map[string]*LiveUser
	byAccountID map[string]*LiveUser
	byNick      map[string]*LiveUser
	orgRoleIDs  map[string]int64
}

// LiveUser is an organization member.
type LiveUser struct {
	UserID    string
	AccountID string
	// Account is the AccountName as the server shows it (no @domain); ""
	// for a member added by AccountId only.
	Account  string
	Nick     string
	Type     int
	Roles    []int64 // sorted
	Inactive bool
	// Tags are the member's tag values by tag name (only the tags that
	// have one); nil when they were not read.
	Tags map[string]string
}

// LiveTag is a tag definition.
type LiveTag struct {
	ID, Name, Description string
}

// LiveGroup is a user group.
type LiveGroup struct {
	ID, Name, Description string
	// Parent is the parent's id, apiclient.RootUserGroupID at the top.
	Parent string
	// Children are the child groups' ids, sorted.
	Children []string
	// MembersRead is set when the group's members were read: Members are
	// then its direct members' UserIds, sorted.
	MembersRead bool
	Members     []string
}

// LiveWorkspace is a workspace.
type LiveWorkspace struct {
	ID, Name string
	// Owner is the owner's UserId.
	Owner string
	// MembersRead is set when the members were read: Members then holds
	// each by UserId, and Roles the custom workspace roles by id.
	MembersRead bool
	Members     map[string]*LiveMember
	Roles       map[int64]*LiveRole
	// DatasetsRead is set when the datasets were listed: Datasets then
	// holds each by CubeId.
	DatasetsRead bool
	Datasets     map[string]*LiveDataset
}

// LiveMember is a workspace member.
type LiveMember struct {
	UserID string
	// Roles are its workspace role ids, sorted: every one when AllRoles,
	// else the one QueryWorkspaceUserList shows.
	Roles    []int64
	AllRoles bool
}

// LiveRole is a custom workspace role.
type LiveRole struct {
	ID       int64
	Name     string
	AuthKeys []string
}

// LiveDataset is a dataset (cube) and the permission levels read.
type LiveDataset struct {
	ID, Name string
	// Levels are the levels read, by LevelRow / LevelColumn.
	Levels map[string]*LiveLevel
}

// LiveLevel is one rule type of a dataset.
type LiveLevel struct {
	Open    bool
	MissHit string // apiclient.MissHitNone or MissHitAll
	// Rules in the server's order.
	Rules []apiclient.RuleModel
	// Whitelist is nil when it was not read.
	Whitelist *apiclient.UsersModel
}

var _ provider.Live = (*Live)(nil)

// Principal is the account of the member behind the credentials, as the
// read resolved it ("" when unknown).
func (l *Live) Principal() string {
	if l == nil {
		return ""
	}
	return l.TokenUser
}

// NormalizeAccount is an account as Quick BI shows it: every part of
// "primary:sub" without an @domain.
func NormalizeAccount(account string) string {
	parts := strings.Split(account, ":")
	for i, p := range parts {
		if at := strings.IndexByte(p, '@'); at > 0 {
			parts[i] = p[:at]
		}
	}
	return strings.Join(parts, ":")
}

// Index builds the lookups of a live model made by hand; ReadLive calls
// it.
func (l *Live) Index() {
	l.byAccount = map[string]*LiveUser{}
	l.byAccountID = map[string]*LiveUser{}
	l.byNick = map[string]*LiveUser{}
	for _, id := range sortedKeys(l.Users) {
		u := l.Users[id]
		if u.Account != "" {
			l.byAccount[NormalizeAccount(u.Account)] = u
		}
		if u.AccountID != "" {
			l.byAccountID[u.AccountID] = u
		}
		if u.Nick != "" {
			l.byNick[u.Nick] = u
		}
	}
	l.orgRoleIDs = map[string]int64{}
	for id, name := range l.OrgRoles {
		if old, dup := l.orgRoleIDs[name]; !dup || id < old {
			l.orgRoleIDs[name] = id
		}
	}
}

// User is the member with that account (as the files write it), or nil.
func (l *Live) User(account string) *LiveUser {
	if l == nil || l.byAccount == nil {
		return nil
	}
	return l.byAccount[NormalizeAccount(account)]
}

// UserByAccountID is the member with that Alibaba Cloud UID, or nil.
func (l *Live) UserByAccountID(uid string) *LiveUser {
	if l == nil || l.byAccountID == nil || uid == "" {
		return nil
	}
	return l.byAccountID[uid]
}

// UserByNick is the member with that nickname, or nil.
func (l *Live) UserByNick(nick string) *LiveUser {
	if l == nil || l.byNick == nil {
		return nil
	}
	return l.byNick[nick]
}

// WorkspaceByName is the workspace with that name, or nil (and the
// number of workspaces so named).
func (l *Live) WorkspaceByName(name string) (*LiveWorkspace, int) {
	var found *LiveWorkspace
	n := 0
	for _, id := range sortedKeys(l.Workspaces) {
		if ws := l.Workspaces[id]; ws.Name == name {
			if found == nil {
				found = ws
			}
			n++
		}
	}
	return found, n
}

// sortedKeys lists a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
