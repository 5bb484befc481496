package quickbitest

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Organization members and organization roles.

type userJSON struct {
	UserId         string   `json:"UserId"`
	AccountId      string   `json:"AccountId,omitempty"`
	AccountName    string   `json:"AccountName"`
	NickName       string   `json:"NickName"`
	UserType       int      `json:"UserType"`
	RoleIdList     []int64  `json:"RoleIdList"`
	IsDeleted      bool     `json:"IsDeleted"`
	JoinedDate     int64    `json:"JoinedDate"`
	LastLoginTime  *int64   `json:"LastLoginTime,omitempty"`
	CopilotModules []string `json:"CopilotModules"`
	AdminUser      bool     `json:"AdminUser"`
	AuthAdminUser  bool     `json:"AuthAdminUser"`
}

type userInfoJSON struct {
	UserId         string   `json:"UserId"`
	AccountId      string   `json:"AccountId,omitempty"`
	AccountName    string   `json:"AccountName"`
	NickName       string   `json:"NickName"`
	Email          string   `json:"Email,omitempty"`
	Phone          string   `json:"Phone,omitempty"`
	UserType       int      `json:"UserType"`
	RoleIdList     []int64  `json:"RoleIdList"`
	CopilotModules []string `json:"CopilotModules"`
	AdminUser      bool     `json:"AdminUser"`
	AuthAdminUser  bool     `json:"AuthAdminUser"`
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func (u *member) listJSON() userJSON {
	j := userJSON{UserId: u.id, AccountId: u.accountID, AccountName: u.accountName, NickName: u.nick,
		UserType: u.userType, RoleIdList: append([]int64{}, u.roles...), IsDeleted: u.deleted,
		JoinedDate: ms(u.joined), CopilotModules: append([]string{}, u.copilot...),
		AdminUser: containsInt64(u.roles, RoleOrgAdmin), AuthAdminUser: containsInt64(u.roles, RoleOrgPermAdmin)}
	if u.lastLogin != nil {
		v := ms(*u.lastLogin)
		j.LastLoginTime = &v
	}
	return j
}

func (u *member) infoJSON() userInfoJSON {
	return userInfoJSON{UserId: u.id, AccountId: u.accountID, AccountName: u.accountName, NickName: u.nick,
		Email: u.email, Phone: u.phone, UserType: u.userType, RoleIdList: append([]int64{}, u.roles...),
		CopilotModules: append([]string{}, u.copilot...),
		AdminUser:      containsInt64(u.roles, RoleOrgAdmin), AuthAdminUser: containsInt64(u.roles, RoleOrgPermAdmin)}
}

// seatFree answers the quota error when the UserType's seats are full.
func (s *Server) seatFree(userType int) *apiError {
	var quota int
	var code, what string
	switch userType {
	case UserTypeDeveloper:
		quota, code, what = s.w.org.seats.Developers, CodeDevelopersFull, "developers"
	case UserTypeViewer:
		quota, code, what = s.w.org.seats.Viewers, CodeViewersFull, "viewers"
	case UserTypeAnalyst:
		quota, code, what = s.w.org.seats.Analysts, CodeAnalystsFull, "analysts"
	}
	if quota > 0 && s.w.seatsUsed(userType) >= quota {
		return bizErr(code, "The number of %s in the organization has reached the upper limit.", what)
	}
	return nil
}

func (s *Server) member(id string) (*member, *apiError) {
	u := s.w.users[id]
	if u == nil {
		return nil, userNotInOrg(id)
	}
	return u, nil
}

func userType(c *call, name string) (int, *apiError) {
	t := int(c.num(name))
	if t != UserTypeDeveloper && t != UserTypeViewer && t != UserTypeAnalyst {
		return 0, invalidType(name)
	}
	return t, nil
}

// orgRoleList reads RoleIds: ≤3 distinct known organization role ids.
func (s *Server) orgRoleList(v string) ([]int64, *apiError) {
	items, e := splitList("RoleIds", v)
	if e != nil {
		return nil, e
	}
	if len(items) != len(strings.Split(v, ",")) {
		return nil, invalid("RoleIds lists a role twice")
	}
	if len(items) > 3 {
		return nil, invalid("a member holds at most 3 organization roles")
	}
	var out []int64
	for _, it := range items {
		id, err := strconv.ParseInt(it, 10, 64)
		if err != nil || strconv.FormatInt(id, 10) != it {
			return nil, invalidType("RoleIds")
		}
		if s.w.orgRole(id) == nil {
			return nil, invalid("organization role %d does not exist", id)
		}
		out = append(out, id)
	}
	sortInt64s(out)
	return out, nil
}

func copilotList(v string) ([]string, *apiError) {
	items, e := splitList("CopilotModules", v)
	if e != nil {
		return nil, e
	}
	for _, it := range items {
		if !copilotModules[it] {
			return nil, invalid("CopilotModules: %s is not qreport, qExploreNum, smartQAskNum or smartQDevNum", it)
		}
	}
	sort.Strings(items)
	return items, nil
}

// AddUser: not an upsert.
func (s *Server) addUser(c *call) (any, error) {
	w := s.w
	nick := c.str("NickName")
	if e := checkNick(nick); e != nil {
		return nil, e
	}
	ut, e := userType(c, "UserType")
	if e != nil {
		return nil, e
	}
	acctID, acctName := c.str("AccountId"), c.str("AccountName")
	if acctID == "" && acctName == "" {
		return nil, paramEmpty("AccountId")
	}
	if acctID != "" && !digits.MatchString(acctID) {
		return nil, invalid("AccountId is an Alibaba Cloud UID (digits)")
	}
	if acctName != "" {
		if e := checkAccountName(acctName); e != nil {
			return nil, e
		}
		acctName = normalizeAccount(acctName)
	}
	var roles []int64
	if c.has("RoleIds") {
		if roles, e = s.orgRoleList(c.str("RoleIds")); e != nil {
			return nil, e
		}
	} else {
		if c.boolean("AdminUser") {
			roles = append(roles, RoleOrgAdmin)
		}
		if c.boolean("AuthAdminUser") {
			roles = append(roles, RoleOrgPermAdmin)
		}
		if len(roles) == 0 {
			roles = []int64{RoleOrgRegularUse}
		}
	}
	var copilot []string
	if c.has("CopilotModules") {
		if copilot, e = copilotList(c.str("CopilotModules")); e != nil {
			return nil, e
		}
	}
	if w.nickTaken(nick, "") {
		return nil, bizErr(CodeNickNameTaken, "The nickname %s already exists in the organization.", nick)
	}
	if (acctID != "" && w.byAccountID[acctID] != nil) || w.userByAccountName(acctName) != nil {
		return nil, invalid("the account is already a member of the organization")
	}
	if e := s.seatFree(ut); e != nil {
		return nil, e
	}
	at := 1
	if strings.Contains(acctName, ":") {
		at = 5
	}
	u := &member{seq: w.next(), id: s.newUserID(), accountID: acctID, accountName: acctName, accountType: at,
		nick: nick, userType: ut, roles: roles, joined: c.now, copilot: copilot, tags: map[string]string{}}
	w.putUser(u)
	return map[string]any{"UserId": u.id, "AccountName": u.accountName, "NickName": u.nick, "UserType": u.userType,
		"RoleIdList": u.roles, "AdminUser": containsInt64(u.roles, RoleOrgAdmin),
		"AuthAdminUser": containsInt64(u.roles, RoleOrgPermAdmin), "CopilotModules": append([]string{}, u.copilot...)}, nil
}

// UpdateUser changes only the fields sent.
func (s *Server) updateUser(c *call) (any, error) {
	w := s.w
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	isAdmin := u.id == w.org.adminID
	next := *u
	if c.has("NickName") {
		if e := checkNick(c.str("NickName")); e != nil {
			return nil, e
		}
		next.nick = c.str("NickName")
		if w.nickTaken(next.nick, u.id) {
			return nil, bizErr(CodeNickNameTaken, "The nickname %s already exists in the organization.", next.nick)
		}
	}
	if c.has("UserType") {
		t, e := userType(c, "UserType")
		if e != nil {
			return nil, e
		}
		if t != u.userType {
			if isAdmin {
				return nil, invalid("the organization's admin stays a developer")
			}
			if e := s.seatFree(t); e != nil {
				return nil, e
			}
			next.userType = t
			for _, ws := range w.workspaces {
				if m := ws.members[u.id]; m != nil {
					for _, r := range m.roles {
						if e := s.roleAllowed(&next, r); e != nil {
							return nil, e
						}
					}
				}
			}
		}
	}
	if c.has("RoleIds") {
		roles, e := s.orgRoleList(c.str("RoleIds"))
		if e != nil {
			return nil, e
		}
		next.roles = roles
	} else if c.has("AdminUser") || c.has("AuthAdminUser") {
		roles := append([]int64{}, u.roles...)
		set := func(id int64, on bool) {
			var keep []int64
			for _, r := range roles {
				if r != id {
					keep = append(keep, r)
				}
			}
			if on {
				keep = append(keep, id)
			}
			roles = keep
		}
		if c.has("AdminUser") {
			set(RoleOrgAdmin, c.boolean("AdminUser"))
		}
		if c.has("AuthAdminUser") {
			set(RoleOrgPermAdmin, c.boolean("AuthAdminUser"))
		}
		if len(roles) == 0 {
			roles = []int64{RoleOrgRegularUse}
		}
		if len(roles) > 3 {
			return nil, invalid("a member holds at most 3 organization roles")
		}
		sortInt64s(roles)
		next.roles = roles
	}
	if isAdmin && !containsInt64(next.roles, RoleOrgAdmin) {
		return nil, invalid("the organization's admin keeps the organization admin role")
	}
	if c.has("IsDeleted") {
		next.deleted = c.boolean("IsDeleted")
		if isAdmin && next.deleted {
			return nil, invalid("the organization's admin cannot be made inactive")
		}
	}
	if c.has("CopilotModules") {
		var mods []struct {
			ModuleType *string `json:"moduleType"`
			Status     *int    `json:"status"`
		}
		if e := strictJSON("CopilotModules", c.str("CopilotModules"), &mods); e != nil {
			return nil, e
		}
		set := map[string]bool{}
		for _, m := range u.copilot {
			set[m] = true
		}
		for _, m := range mods {
			if m.ModuleType == nil || m.Status == nil || !copilotModules[*m.ModuleType] || (*m.Status != 0 && *m.Status != 1) {
				return nil, invalid("CopilotModules items are {\"moduleType\": module, \"status\": 0|1}")
			}
			set[*m.ModuleType] = *m.Status == 1
		}
		next.copilot = nil
		for m, on := range set {
			if on {
				next.copilot = append(next.copilot, m)
			}
		}
		sort.Strings(next.copilot)
	}
	w.dropUser(u)
	*u = next
	w.putUser(u)
	return true, nil
}

// DeleteUser removes a member; its works go to TransferUserId or to each
// workspace's owner.
func (s *Server) deleteUser(c *call) (any, error) {
	w := s.w
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	if u.id == w.org.adminID {
		return nil, invalid("the organization's admin cannot be deleted")
	}
	var heir *member
	if c.has("TransferUserId") {
		if heir, e = s.member(c.str("TransferUserId")); e != nil {
			return nil, e
		}
		if heir.id == u.id {
			return nil, invalid("TransferUserId is the user being deleted")
		}
		if heir.userType == UserTypeViewer {
			return nil, invalid("TransferUserId is a viewer and cannot receive works")
		}
	}
	// Check everything before changing anything.
	type grant struct {
		ws    *workspace
		roles []int64
	}
	var grants []grant
	for _, ws := range w.workspacesInOrder() {
		owns := ws.owner == u.id
		for _, k := range ws.works {
			owns = owns || k.owner == u.id
		}
		for _, d := range ws.datasets {
			owns = owns || d.owner == u.id
		}
		if !owns {
			continue
		}
		if heir == nil {
			if ws.owner == u.id {
				return nil, bizErr(CodeRemoveOwner, "The user owns workspace %s: give a TransferUserId.", ws.id)
			}
			continue
		}
		mine := ws.members[u.id]
		var roles []int64
		if mine != nil {
			roles = append(roles, mine.roles...)
		}
		if ws.owner == u.id && !containsInt64(roles, RoleWorkspaceAdmin) {
			roles = append(roles, RoleWorkspaceAdmin)
		}
		sortWorkspaceRoles(roles)
		if hm := ws.members[heir.id]; hm != nil {
			if bestRank(hm.roles) < bestRank(roles) {
				return nil, invalid("TransferUserId holds less workspace permission than the user in workspace %s", ws.id)
			}
			continue
		}
		for _, r := range roles {
			if e := s.roleAllowed(heir, r); e != nil {
				return nil, e
			}
		}
		grants = append(grants, grant{ws: ws, roles: roles})
	}
	for _, g := range grants {
		g.ws.members[heir.id] = &wsMember{seq: w.next(), roles: g.roles}
	}
	for _, ws := range w.workspaces {
		to := ws.owner
		if heir != nil {
			to = heir.id
		}
		if ws.owner == u.id {
			ws.owner = to
		}
		for _, k := range ws.works {
			if k.owner == u.id {
				k.owner = to
			}
			if k.modifier == u.id {
				k.modifier = to
			}
		}
		for _, d := range ws.datasets {
			if d.owner == u.id {
				d.owner = to
			}
		}
		delete(ws.members, u.id)
	}
	for _, g := range w.groups {
		delete(g.members, u.id)
	}
	w.dropUser(u)
	return true, nil
}

func bestRank(roles []int64) int {
	best := 0
	for _, r := range roles {
		if workspaceRoleRank[r] > best {
			best = workspaceRoleRank[r]
		}
	}
	return best
}

// QueryUserList (GET): members in the order they joined; Keyword matches
// the account name or the nickname.
func (s *Server) queryUserList(c *call) (any, error) {
	num, size, e := page(c)
	if e != nil {
		return nil, e
	}
	kw := c.str("Keyword")
	var out []userJSON
	for _, u := range s.w.usersInOrder() {
		if kw == "" || strings.Contains(u.accountName, kw) || strings.Contains(u.nick, kw) {
			out = append(out, u.listJSON())
		}
	}
	return pageOf(out, num, size), nil
}

// QueryUserInfoByAccount: a UID, a primary account name, primary:sub, or
// the RAM user's own name, the part before its @ (ParentAccountName tells
// two apart). A name with its @domain is not found.
func (s *Server) queryUserInfoByAccount(c *call) (any, error) {
	acct := c.str("Account")
	parent := c.str("ParentAccountName")
	var hits []*member
	for _, u := range s.w.usersInOrder() {
		p, sub, isRAM := strings.Cut(u.accountName, ":")
		switch {
		case u.accountID != "" && u.accountID == acct,
			u.accountName != "" && u.accountName == acct,
			isRAM && sub == acct && (parent == "" || parent == p):
			hits = append(hits, u)
		}
	}
	switch len(hits) {
	case 0:
		return nil, userNotInOrg(acct)
	case 1:
		return hits[0].infoJSON(), nil
	}
	return nil, invalid("several users match %s: give ParentAccountName", acct)
}

func (s *Server) queryUserInfoByUserID(c *call) (any, error) {
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	return u.infoJSON(), nil
}

func (s *Server) checkOrganizationMember(c *call) (any, error) {
	return s.w.users[c.str("UserId")] != nil, nil
}

type roleJSON struct {
	RoleId         int64     `json:"RoleId"`
	RoleName       string    `json:"RoleName"`
	IsSystemRole   bool      `json:"IsSystemRole"`
	AuthConfigList []authKey `json:"AuthConfigList"`
}

type authKey struct {
	AuthKey string `json:"AuthKey"`
}

type wsAuthKey struct {
	AuthKey        string   `json:"AuthKey"`
	ActionAuthKeys []string `json:"ActionAuthKeys"`
}

func orgRoleJSON(r *roleDef) roleJSON {
	j := roleJSON{RoleId: r.id, RoleName: r.name, IsSystemRole: r.system, AuthConfigList: []authKey{}}
	for _, k := range r.authKeys {
		j.AuthConfigList = append(j.AuthConfigList, authKey{AuthKey: k})
	}
	return j
}

func (s *Server) orgRolesInOrder() []*roleDef {
	var out []*roleDef
	for i := range predefinedOrgRoles {
		out = append(out, &predefinedOrgRoles[i])
	}
	var ids []int64
	for id := range s.w.org.customOrgRoles {
		ids = append(ids, id)
	}
	sortInt64s(ids)
	for _, id := range ids {
		out = append(out, s.w.org.customOrgRoles[id])
	}
	return out
}

func (s *Server) listOrganizationRoles(c *call) (any, error) {
	out := []roleJSON{}
	for _, r := range s.orgRolesInOrder() {
		out = append(out, orgRoleJSON(r))
	}
	return out, nil
}

func (s *Server) queryOrganizationRoleConfig(c *call) (any, error) {
	r := s.w.orgRole(c.num("RoleId"))
	if r == nil {
		return nil, invalid("organization role %d does not exist", c.num("RoleId"))
	}
	return orgRoleJSON(r), nil
}

func (s *Server) listOrganizationRoleUsers(c *call) (any, error) {
	id := c.num("RoleId")
	if s.w.orgRole(id) == nil {
		return nil, invalid("organization role %d does not exist", id)
	}
	num, size, e := page(c)
	if e != nil {
		return nil, e
	}
	type item struct {
		UserId   string `json:"UserId"`
		NickName string `json:"NickName"`
	}
	kw := c.str("Keyword")
	var out []item
	for _, u := range s.w.usersInOrder() {
		if containsInt64(u.roles, id) && (kw == "" || strings.Contains(u.nick, kw)) {
			out = append(out, item{UserId: u.id, NickName: u.nick})
		}
	}
	return pageOf(out, num, size), nil
}
