package quickbitest

import (
	"sort"
	"time"
)

// State is the whole content of a simulated server, as Snapshot returns
// it: a deep copy, in a deterministic order (every list sorted by its
// key), with what HTTP cannot read included (ticket bindings, seat
// quotas, Email and Phone of every member, deleted users' dangling
// references in rules and whitelists).
type State struct {
	Organization   Organization
	OrgRoles       []Role // custom organization roles, by id
	WorkspaceRoles []Role // custom workspace roles, by id
	Users          []User // by AccountName, then UserId
	Groups         []Group
	Tags           []Tag       // by name
	Workspaces     []Workspace // by name
	Tickets        []Ticket    // by ticket value
}

// Organization is the organization and its settings.
type Organization struct {
	ID          string
	Name        string
	AdminUserID string
	Seats       Seats
	MaxTags     int
	// NewRowPermissionModel: the row/column permission actions work.
	NewRowPermissionModel bool
	// GlobalParam: CreateTicket accepts GlobalParam.
	GlobalParam bool
}

// Role is a custom organization or workspace role.
type Role struct {
	ID       int64
	Name     string
	AuthKeys []string
}

// User is an organization member.
type User struct {
	UserID      string
	AccountID   string
	AccountName string
	AccountType int
	NickName    string
	Email       string
	Phone       string
	UserType    int
	// Roles are the organization role ids, sorted.
	Roles []int64
	// Inactive is IsDeleted.
	Inactive       bool
	JoinedDate     time.Time
	CopilotModules []string
	// Tags are the tag values by tag name.
	Tags map[string]string
}

// Group is a user group; Parent is RootGroupID for a top-level group.
type Group struct {
	ID          string
	Name        string
	Description string
	Parent      string
	// Members are the direct members' UserIds, sorted.
	Members []string
}

// Tag is a tag definition.
type Tag struct {
	ID          string
	Name        string
	Description string
}

// Workspace is a workspace and its content.
type Workspace struct {
	ID          string
	Name        string
	Description string
	Owner       string // UserId
	Members     []WorkspaceMember
	Datasets    []Dataset // by id
	Works       []Work    // by id
}

// WorkspaceMember is a member and every role it holds (most privileged
// predefined role first, then custom ids ascending).
type WorkspaceMember struct {
	UserID string
	Roles  []int64
}

// Dataset is a dataset (cube) with its row and column permissions.
type Dataset struct {
	ID     string
	Name   string
	Owner  string
	Row    Level
	Column Level
}

// Level is one rule type of a dataset.
type Level struct {
	Open          bool
	MissHitPolicy string // NONE | ALL
	// WhiteUsers and WhiteGroups are ids, sorted.
	WhiteUsers  []string
	WhiteGroups []string
	// Rules in creation order.
	Rules []Rule
}

// Rule is a row or column rule.
type Rule struct {
	ID             string
	Name           string
	Type           string // ROW_LEVEL | COLUMN_LEVEL
	Scope          string // ALL | OTHERS
	HitTakeEffect  int
	IsOpen         int
	PermissionMode string
	// Users and Groups are ids, sorted.
	Users            []string
	Groups           []string
	ContentType      string
	ContentJSON      string
	OriginConfigJSON string
}

// Work is a work of a workspace.
type Work struct {
	ID         string
	Name       string
	Type       string
	Owner      string
	Status     int
	Embedded   bool
	Components []string
}

// Ticket is an embed ticket with its binding.
type Ticket struct {
	Ticket  string
	WorksID string
	CmptID  string
	// UserID is the user the ticket is bound to; BoundBy says how:
	// "UserId", "AccountName" or "Owner" (neither given: the work's
	// owner).
	UserID      string
	BoundBy     string
	AccountName string
	AccountType int
	GlobalParam string
	Watermark   string
	MaxUses     int
	Used        int
	Registered  time.Time
	Expires     time.Time
}

func (w *world) snapshot() *State {
	st := &State{Organization: Organization{ID: w.org.id, Name: w.org.name, AdminUserID: w.org.adminID,
		Seats: w.org.seats, MaxTags: w.org.maxTags, NewRowPermissionModel: w.org.newRowModel, GlobalParam: w.org.globalParam}}
	st.OrgRoles = rolesOut(w.org.customOrgRoles)
	st.WorkspaceRoles = rolesOut(w.org.customWorkRoles)
	for _, u := range w.users {
		su := User{UserID: u.id, AccountID: u.accountID, AccountName: u.accountName, AccountType: u.accountType,
			NickName: u.nick, Email: u.email, Phone: u.phone, UserType: u.userType, Roles: append([]int64{}, u.roles...),
			Inactive: u.deleted, JoinedDate: u.joined, CopilotModules: append([]string{}, u.copilot...),
			Tags: map[string]string{}}
		for id, v := range u.tags {
			if t := w.tags[id]; t != nil {
				su.Tags[t.name] = v
			}
		}
		st.Users = append(st.Users, su)
	}
	sort.Slice(st.Users, func(i, j int) bool {
		a, b := st.Users[i], st.Users[j]
		if a.AccountName != b.AccountName {
			return a.AccountName < b.AccountName
		}
		return a.UserID < b.UserID
	})
	for _, g := range w.groups {
		sg := Group{ID: g.id, Name: g.name, Description: g.desc, Parent: g.parent, Members: []string{}}
		for id := range g.members {
			sg.Members = append(sg.Members, id)
		}
		sort.Strings(sg.Members)
		st.Groups = append(st.Groups, sg)
	}
	sort.Slice(st.Groups, func(i, j int) bool { return st.Groups[i].ID < st.Groups[j].ID })
	for _, t := range w.tags {
		st.Tags = append(st.Tags, Tag{ID: t.id, Name: t.name, Description: t.desc})
	}
	sort.Slice(st.Tags, func(i, j int) bool { return st.Tags[i].Name < st.Tags[j].Name })
	for _, ws := range w.workspaces {
		sw := Workspace{ID: ws.id, Name: ws.name, Description: ws.desc, Owner: ws.owner}
		for id, m := range ws.members {
			sw.Members = append(sw.Members, WorkspaceMember{UserID: id, Roles: append([]int64{}, m.roles...)})
		}
		sort.Slice(sw.Members, func(i, j int) bool { return sw.Members[i].UserID < sw.Members[j].UserID })
		for _, d := range ws.datasets {
			sw.Datasets = append(sw.Datasets, Dataset{ID: d.id, Name: d.name, Owner: d.owner,
				Row: levelOut(d.levels[RowLevel]), Column: levelOut(d.levels[ColumnLevel])})
		}
		sort.Slice(sw.Datasets, func(i, j int) bool { return sw.Datasets[i].ID < sw.Datasets[j].ID })
		for _, k := range ws.works {
			sw.Works = append(sw.Works, Work{ID: k.id, Name: k.name, Type: k.kind, Owner: k.owner, Status: k.status,
				Embedded: k.embedded, Components: append([]string{}, k.components...)})
		}
		sort.Slice(sw.Works, func(i, j int) bool { return sw.Works[i].ID < sw.Works[j].ID })
		st.Workspaces = append(st.Workspaces, sw)
	}
	sort.Slice(st.Workspaces, func(i, j int) bool { return st.Workspaces[i].Name < st.Workspaces[j].Name })
	for _, t := range w.tickets {
		st.Tickets = append(st.Tickets, Ticket{Ticket: t.value, WorksID: t.worksID, CmptID: t.cmptID, UserID: t.userID,
			BoundBy: t.boundBy, AccountName: t.accountName, AccountType: t.accountType, GlobalParam: t.globalParam,
			Watermark: t.watermark, MaxUses: t.max, Used: t.used, Registered: t.registered, Expires: t.invalidTime})
	}
	sort.Slice(st.Tickets, func(i, j int) bool { return st.Tickets[i].Ticket < st.Tickets[j].Ticket })
	return st
}

func rolesOut(m map[int64]*roleDef) []Role {
	out := []Role{}
	for _, r := range m {
		out = append(out, Role{ID: r.id, Name: r.name, AuthKeys: append([]string{}, r.authKeys...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func levelOut(l *level) Level {
	out := Level{Open: l.open, MissHitPolicy: l.missHit, WhiteUsers: append([]string{}, l.whiteUsers...),
		WhiteGroups: append([]string{}, l.whiteGroups...), Rules: []Rule{}}
	for _, r := range l.rules {
		out.Rules = append(out.Rules, Rule{ID: r.id, Name: r.name, Type: r.kind, Scope: r.scope,
			HitTakeEffect: r.hitTakeEffect, IsOpen: r.isOpen, PermissionMode: r.permissionMode,
			Users: append([]string{}, r.users...), Groups: append([]string{}, r.groups...),
			ContentType: r.contentType, ContentJSON: r.contentJSON, OriginConfigJSON: r.originJSON})
	}
	return out
}

// User returns the member with that AccountName, or nil.
func (st *State) User(account string) *User {
	for i := range st.Users {
		if st.Users[i].AccountName == account {
			return &st.Users[i]
		}
	}
	return nil
}

// UserByID returns the member with that UserId, or nil.
func (st *State) UserByID(id string) *User {
	for i := range st.Users {
		if st.Users[i].UserID == id {
			return &st.Users[i]
		}
	}
	return nil
}

// Accounts maps UserIds to AccountNames, sorted; an id that is no member
// is kept as "?id".
func (st *State) Accounts(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if u := st.UserByID(id); u != nil {
			out = append(out, u.AccountName)
		} else {
			out = append(out, "?"+id)
		}
	}
	sort.Strings(out)
	return out
}

// Group returns the group with that id, or nil.
func (st *State) Group(id string) *Group {
	for i := range st.Groups {
		if st.Groups[i].ID == id {
			return &st.Groups[i]
		}
	}
	return nil
}

// GroupByName returns the group with that name, or nil.
func (st *State) GroupByName(name string) *Group {
	for i := range st.Groups {
		if st.Groups[i].Name == name {
			return &st.Groups[i]
		}
	}
	return nil
}

// Tag returns the tag definition with that name, or nil.
func (st *State) Tag(name string) *Tag {
	for i := range st.Tags {
		if st.Tags[i].Name == name {
			return &st.Tags[i]
		}
	}
	return nil
}

// Workspace returns the workspace with that name, or nil.
func (st *State) Workspace(name string) *Workspace {
	for i := range st.Workspaces {
		if st.Workspaces[i].Name == name {
			return &st.Workspaces[i]
		}
	}
	return nil
}

// Member returns the workspace member with that UserId, or nil.
func (ws *Workspace) Member(userID string) *WorkspaceMember {
	for i := range ws.Members {
		if ws.Members[i].UserID == userID {
			return &ws.Members[i]
		}
	}
	return nil
}

// Dataset returns the dataset with that id or name, or nil.
func (ws *Workspace) Dataset(idOrName string) *Dataset {
	for i := range ws.Datasets {
		if ws.Datasets[i].ID == idOrName || ws.Datasets[i].Name == idOrName {
			return &ws.Datasets[i]
		}
	}
	return nil
}

// Dataset returns the dataset with that id in any workspace, or nil.
func (st *State) Dataset(id string) *Dataset {
	for i := range st.Workspaces {
		if d := st.Workspaces[i].Dataset(id); d != nil && d.ID == id {
			return d
		}
	}
	return nil
}

// Level returns the row (ROW_LEVEL) or column (COLUMN_LEVEL) level.
func (d *Dataset) Level(ruleType string) *Level {
	if ruleType == ColumnLevel {
		return &d.Column
	}
	return &d.Row
}

// Rule returns the rule with that name, or nil.
func (l *Level) Rule(name string) *Rule {
	for i := range l.Rules {
		if l.Rules[i].Name == name {
			return &l.Rules[i]
		}
	}
	return nil
}

// Ticket returns the ticket with that value, or nil.
func (st *State) Ticket(value string) *Ticket {
	for i := range st.Tickets {
		if st.Tickets[i].Ticket == value {
			return &st.Tickets[i]
		}
	}
	return nil
}
