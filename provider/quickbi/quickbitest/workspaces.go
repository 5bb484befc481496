package quickbitest

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Workspaces, their members and workspace roles.

type wsRoleJSON struct {
	RoleId   int64  `json:"RoleId"`
	RoleName string `json:"RoleName"`
	RoleCode string `json:"RoleCode,omitempty"`
}

func (s *Server) workspace(id string) (*workspace, *apiError) {
	ws := s.w.workspaces[id]
	if ws == nil {
		return nil, workspaceNotExist(id)
	}
	return ws, nil
}

// roleAllowed: viewers hold no custom workspace role; analysts hold
// neither the admin nor the developer role, nor a custom role with a
// data-development permission.
func (s *Server) roleAllowed(u *member, roleID int64) *apiError {
	r := s.w.workspaceRole(roleID)
	if r == nil {
		return bizErr(CodeRoleTypeValid, "The role id %d is invalid.", roleID)
	}
	if !r.system && u.userType == UserTypeViewer {
		return bizErr(CodeViewerCustomRole, "A viewer cannot have a custom role.")
	}
	if u.userType == UserTypeAnalyst {
		bad := roleID == RoleWorkspaceAdmin || roleID == RoleWorkspaceDeveloper
		if !r.system {
			for _, k := range r.authKeys {
				bad = bad || analystForbiddenKeys[k]
			}
		}
		if bad {
			return bizErr(CodeAnalystRole, "The role has permissions that an analyst cannot be granted.")
		}
	}
	return nil
}

func (s *Server) wsRole(id int64) wsRoleJSON {
	r := s.w.workspaceRole(id)
	if r == nil {
		return wsRoleJSON{RoleId: id}
	}
	return wsRoleJSON{RoleId: r.id, RoleName: r.name, RoleCode: r.code}
}

func (s *Server) workspaceJSON(ws *workspace) map[string]any {
	acct := func(id string) string {
		if u := s.w.users[id]; u != nil {
			return u.accountName
		}
		return ""
	}
	return map[string]any{
		"WorkspaceId": ws.id, "WorkspaceName": ws.name, "WorkspaceDescription": ws.desc,
		"Owner": ws.owner, "OwnerAccountName": acct(ws.owner), "RealOwnerAccountName": acct(ws.owner),
		"CreateUser": ws.createUser, "CreateUserAccountName": acct(ws.createUser),
		"ModifyUser": ws.modifyUser, "ModifyUserAccountName": acct(ws.modifyUser),
		"CreateTime": fmtTime(ws.created), "ModifiedTime": fmtTime(ws.modified),
		"OrganizationId": s.w.org.id, "AllowShareOperation": ws.allowShare, "AllowPublishOperation": ws.allowPublish,
	}
}

func (s *Server) queryOrganizationWorkspaceList(c *call) (any, error) {
	num, size, e := page(c)
	if e != nil {
		return nil, e
	}
	uid := c.str("UserId")
	if c.has("UserId") {
		if _, e := s.member(uid); e != nil {
			return nil, e
		}
	}
	kw := c.str("Keyword")
	var out []map[string]any
	for _, ws := range s.w.workspacesInOrder() {
		if kw != "" && !strings.Contains(ws.name, kw) {
			continue
		}
		if uid != "" && ws.members[uid] == nil {
			continue
		}
		out = append(out, s.workspaceJSON(ws))
	}
	return pageOf(out, num, size), nil
}

// CreateWorkspace: names unique in the organization, ≤50 characters; the
// caller (the admin) owns it.
func (s *Server) createWorkspace(c *call) (any, error) {
	w := s.w
	name := c.str("WorkspaceName")
	if utf8.RuneCountInString(name) > 50 {
		return nil, tooLong("WorkspaceName")
	}
	if utf8.RuneCountInString(c.str("WorkspaceDescription")) > 255 {
		return nil, tooLong("WorkspaceDescription")
	}
	for _, o := range w.workspaces {
		if o.name == name {
			return nil, invalid("a workspace named %s already exists", name)
		}
	}
	opt := func(k string, def bool) bool {
		if c.has(k) {
			return c.boolean(k)
		}
		return def
	}
	id := w.uuid("workspace")
	for w.workspaces[id] != nil {
		id = w.uuid("workspace")
	}
	admin := w.org.adminID
	ws := &workspace{seq: w.next(), id: id, name: name, desc: c.str("WorkspaceDescription"), owner: admin,
		createUser: admin, modifyUser: admin, created: c.now, modified: c.now,
		allowShare: opt("AllowShare", true), allowPublish: opt("AllowPublish", true),
		allowViewAll: opt("AllowViewAll", false), defaultShareToAll: opt("DefaultShareToAll", false),
		onlyAdminCreateDS: opt("OnlyAdminCreateDatasource", false), useComment: opt("UseComment", false),
		members:  map[string]*wsMember{admin: {seq: w.next(), roles: []int64{RoleWorkspaceAdmin}}},
		datasets: map[string]*dataset{}, works: map[string]*work{}}
	w.workspaces[id] = ws
	return id, nil
}

// membersInOrder are a workspace's members in the order they joined.
func (s *Server) membersInOrder(ws *workspace) []*member {
	var out []*member
	for id := range ws.members {
		if u := s.w.users[id]; u != nil {
			out = append(out, u)
		}
	}
	sortBy(out, func(u *member) int64 { return ws.members[u.id].seq })
	return out
}

// QueryWorkspaceUserList shows one role per member: the most privileged
// predefined one, else the lowest custom id.
func (s *Server) queryWorkspaceUserList(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	num, size, e := page(c)
	if e != nil {
		return nil, e
	}
	type item struct {
		UserId      string     `json:"UserId"`
		AccountId   string     `json:"AccountId,omitempty"`
		AccountName string     `json:"AccountName"`
		NickName    string     `json:"NickName"`
		Role        wsRoleJSON `json:"Role"`
	}
	kw := c.str("Keyword")
	var out []item
	for _, u := range s.membersInOrder(ws) {
		if kw != "" && !strings.Contains(u.nick, kw) && !strings.Contains(u.accountName, kw) {
			continue
		}
		out = append(out, item{UserId: u.id, AccountId: u.accountID, AccountName: u.accountName, NickName: u.nick,
			Role: s.wsRole(ws.members[u.id].roles[0])})
	}
	return pageOf(out, num, size), nil
}

// AddUserToWorkspace: one member, one role (custom ids accepted).
func (s *Server) addUserToWorkspace(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	role := c.num("RoleId")
	if e := s.roleAllowed(u, role); e != nil {
		return nil, e
	}
	if ws.members[u.id] != nil {
		return nil, bizErr(CodeWorkspaceUserExists, "This user already exists.")
	}
	ws.members[u.id] = &wsMember{seq: s.w.next(), roles: []int64{role}}
	return true, nil
}

type batchJSON struct {
	Total         int               `json:"Total"`
	Success       int               `json:"Success"`
	Failure       int               `json:"Failure"`
	FailureDetail map[string]string `json:"FailureDetail"`
}

func (b *batchJSON) answer() any {
	if b.Success == 0 {
		return unsaved{result: b}
	}
	return b
}

// predefinedRole reads a batch call's RoleId: predefined ids only.
func predefinedRole(c *call) (int64, *apiError) {
	role := c.num("RoleId")
	if !isPredefinedWorkspaceRole(role) {
		return 0, bizErr(CodeRoleTypeValid, "The role id %d is invalid: this call takes 25, 26, 27 or 30.", role)
	}
	return role, nil
}

func reason(e *apiError) string { return e.code + ": " + e.msg }

// AddWorkspaceUsers: many members, one predefined role; an existing
// member fails in FailureDetail.
func (s *Server) addWorkspaceUsers(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	role, e := predefinedRole(c)
	if e != nil {
		return nil, e
	}
	ids, e := splitList("UserIds", c.str("UserIds"))
	if e != nil {
		return nil, e
	}
	if len(ids) > 1000 {
		return nil, invalid("UserIds lists more than 1000 users")
	}
	b := &batchJSON{Total: len(ids), FailureDetail: map[string]string{}}
	for _, id := range ids {
		u := s.w.users[id]
		switch {
		case u == nil:
			b.FailureDetail[id] = reason(userNotInOrg(id))
		case ws.members[id] != nil:
			b.FailureDetail[id] = AlreadyExistsReason
		default:
			if e := s.roleAllowed(u, role); e != nil {
				b.FailureDetail[id] = reason(e)
				continue
			}
			ws.members[id] = &wsMember{seq: s.w.next(), roles: []int64{role}}
			b.Success++
		}
	}
	b.Failure = len(b.FailureDetail)
	return b.answer(), nil
}

// setRoles replaces a member's roles, keeping the owner an admin.
func (s *Server) setRoles(ws *workspace, u *member, roles []int64) *apiError {
	m := ws.members[u.id]
	if m == nil {
		return invalid("the user %s is not a member of the workspace", u.id)
	}
	if u.id == ws.owner && !containsInt64(roles, RoleWorkspaceAdmin) {
		return invalid("the owner of the workspace keeps the admin role")
	}
	for _, r := range roles {
		if e := s.roleAllowed(u, r); e != nil {
			return e
		}
	}
	sortWorkspaceRoles(roles)
	m.roles = roles
	return nil
}

// UpdateWorkspaceUserRole replaces one member's roles (RoleIds wins over
// the deprecated RoleId).
func (s *Server) updateWorkspaceUserRole(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	var roles []int64
	switch {
	case c.has("RoleIds"):
		items, e := splitList("RoleIds", c.str("RoleIds"))
		if e != nil {
			return nil, e
		}
		for _, it := range items {
			id, err := strconv.ParseInt(it, 10, 64)
			if err != nil || strconv.FormatInt(id, 10) != it {
				return nil, invalidType("RoleIds")
			}
			roles = append(roles, id)
		}
	case c.has("RoleId"):
		roles = []int64{c.num("RoleId")}
	default:
		return nil, paramEmpty("RoleIds")
	}
	if e := s.setRoles(ws, u, roles); e != nil {
		return nil, e
	}
	return true, nil
}

// UpdateWorkspaceUsersRole: many members to one predefined role.
func (s *Server) updateWorkspaceUsersRole(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	role, e := predefinedRole(c)
	if e != nil {
		return nil, e
	}
	ids, e := splitList("UserIds", c.str("UserIds"))
	if e != nil {
		return nil, e
	}
	if len(ids) > 1000 {
		return nil, invalid("UserIds lists more than 1000 users")
	}
	b := &batchJSON{Total: len(ids), FailureDetail: map[string]string{}}
	for _, id := range ids {
		u := s.w.users[id]
		if u == nil {
			b.FailureDetail[id] = reason(userNotInOrg(id))
			continue
		}
		if e := s.setRoles(ws, u, []int64{role}); e != nil {
			b.FailureDetail[id] = reason(e)
			continue
		}
		b.Success++
	}
	b.Failure = len(b.FailureDetail)
	return b.answer(), nil
}

// DeleteUserFromWorkspace: the owner cannot be removed; Result false for
// a user who is not a member.
func (s *Server) deleteUserFromWorkspace(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	if u.id == ws.owner {
		return nil, bizErr(CodeRemoveOwner, "The owner of the workspace cannot be removed.")
	}
	if ws.members[u.id] == nil {
		return false, nil
	}
	delete(ws.members, u.id)
	return true, nil
}

func (s *Server) workspaceRolesInOrder() []*roleDef {
	var out []*roleDef
	for i := range predefinedWorkspaceRoles {
		out = append(out, &predefinedWorkspaceRoles[i])
	}
	var ids []int64
	for id := range s.w.org.customWorkRoles {
		ids = append(ids, id)
	}
	sortInt64s(ids)
	for _, id := range ids {
		out = append(out, s.w.org.customWorkRoles[id])
	}
	return out
}

type wsRoleConfigJSON struct {
	RoleId         int64       `json:"RoleId"`
	RoleName       string      `json:"RoleName"`
	IsSystemRole   bool        `json:"IsSystemRole"`
	AuthConfigList []wsAuthKey `json:"AuthConfigList"`
}

func wsRoleConfig(r *roleDef) wsRoleConfigJSON {
	j := wsRoleConfigJSON{RoleId: r.id, RoleName: r.name, IsSystemRole: r.system, AuthConfigList: []wsAuthKey{}}
	for _, k := range r.authKeys {
		j.AuthConfigList = append(j.AuthConfigList, wsAuthKey{AuthKey: k, ActionAuthKeys: []string{"create"}})
	}
	return j
}

func (s *Server) listWorkspaceRoles(c *call) (any, error) {
	if _, e := s.workspace(c.str("WorkspaceId")); e != nil {
		return nil, e
	}
	out := []wsRoleConfigJSON{}
	for _, r := range s.workspaceRolesInOrder() {
		out = append(out, wsRoleConfig(r))
	}
	return out, nil
}

func (s *Server) queryWorkspaceRoleConfig(c *call) (any, error) {
	r := s.w.workspaceRole(c.num("RoleId"))
	if r == nil {
		return nil, bizErr(CodeRoleTypeValid, "The role id %d is invalid.", c.num("RoleId"))
	}
	return wsRoleConfig(r), nil
}

func (s *Server) queryUserRoleInfoInWorkspace(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	m := ws.members[u.id]
	if m == nil {
		return nil, invalid("the user %s is not a member of the workspace", u.id)
	}
	return s.wsRole(m.roles[0]), nil
}

// ListWorkspaceUserRolesByUserId: one item per workspace and role; RoleId
// is a string here.
func (s *Server) listWorkspaceUserRolesByUserID(c *call) (any, error) {
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	type roleModel struct {
		RoleId   string `json:"RoleId"`
		RoleName string `json:"RoleName"`
		RoleCode string `json:"RoleCode,omitempty"`
	}
	type item struct {
		WorkspaceId   string    `json:"WorkspaceId"`
		WorkspaceName string    `json:"WorkspaceName"`
		RoleModel     roleModel `json:"RoleModel"`
	}
	out := []item{}
	for _, ws := range s.w.workspacesInOrder() {
		m := ws.members[u.id]
		if m == nil {
			continue
		}
		for _, r := range m.roles {
			j := s.wsRole(r)
			out = append(out, item{WorkspaceId: ws.id, WorkspaceName: ws.name,
				RoleModel: roleModel{RoleId: strconv.FormatInt(j.RoleId, 10), RoleName: j.RoleName, RoleCode: j.RoleCode}})
		}
	}
	return out, nil
}

func (s *Server) listWorkspaceRoleUsers(c *call) (any, error) {
	role := c.num("RoleId")
	if s.w.workspaceRole(role) == nil {
		return nil, bizErr(CodeRoleTypeValid, "The role id %d is invalid.", role)
	}
	var only *workspace
	if c.has("WorkspaceId") {
		ws, e := s.workspace(c.str("WorkspaceId"))
		if e != nil {
			return nil, e
		}
		only = ws
	}
	num, size, e := page(c)
	if e != nil {
		return nil, e
	}
	type item struct {
		UserId        string `json:"UserId"`
		NickName      string `json:"NickName"`
		WorkspaceId   string `json:"WorkspaceId"`
		WorkspaceName string `json:"WorkspaceName"`
	}
	kw := c.str("Keyword")
	var out []item
	for _, ws := range s.w.workspacesInOrder() {
		if only != nil && ws != only {
			continue
		}
		for _, u := range s.membersInOrder(ws) {
			if containsInt64(ws.members[u.id].roles, role) && (kw == "" || strings.Contains(u.nick, kw)) {
				out = append(out, item{UserId: u.id, NickName: u.nick, WorkspaceId: ws.id, WorkspaceName: ws.name})
			}
		}
	}
	return pageOf(out, num, size), nil
}
