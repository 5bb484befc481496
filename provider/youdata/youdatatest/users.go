package youdatatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/permsync/permsync/internal/sets"
)

// userJSON is a user as user/getAllUsers answers (l.2315).
type userJSON struct {
	ID         int64           `json:"id"`
	Email      *string         `json:"email"`
	Nick       *string         `json:"nick"`
	Phone      *string         `json:"phone"`
	UniqueID   string          `json:"uniqueId"`
	CustomInfo json.RawMessage `json:"customInfo,omitempty"`
}

func (s *Server) usersByID() []*User {
	out := make([]*User, 0, len(s.st.Users))
	for _, u := range s.st.Users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// getAllUsers is GET user/getAllUsers: domain users by id, paged. Frozen
// and left users are listed too; nothing else about a user is shown.
func (s *Server) getAllUsers(r *request) (any, error) {
	offset, limit, err := page(r)
	if err != nil {
		return nil, err
	}
	all := s.usersByID()
	from, to := window(len(all), offset, limit)
	out := make([]userJSON, 0, to-from)
	for _, u := range all[from:to] {
		out = append(out, userJSON{ID: u.ID, Email: u.Email, Nick: u.Nick, Phone: u.Phone,
			UniqueID: u.UniqueID, CustomInfo: u.CustomInfo})
	}
	return out, nil
}

type projectUserJSON struct {
	ID             int64   `json:"id"`
	UserID         int64   `json:"userId"`
	DirectLeaderID *int64  `json:"directLeaderId"`
	Email          *string `json:"email"`
	Nick           *string `json:"nick"`
	UniqueID       string  `json:"uniqueId"`
	DomainRole     int     `json:"domainRole"`
	Active         int     `json:"active"`
	Category       string  `json:"category"`
	IsMajor        int     `json:"isMajor"`
	CreateTime     string  `json:"createTime"`
}

// listProjectUsers is GET projectUser/list (l.2368): {list, total}. The
// document's example is not valid JSON; the simulator answers
// "result": {"list": [...], "total": N}.
func (s *Server) listProjectUsers(r *request) (any, error) {
	p, err := s.projectFromQuery(r)
	if err != nil {
		return nil, err
	}
	offset, limit, err := page(r)
	if err != nil {
		return nil, err
	}
	members := make([]*Member, 0, len(p.Members))
	for _, m := range p.Members {
		members = append(members, m)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].ID < members[j].ID })
	from, to := window(len(members), offset, limit)
	list := make([]projectUserJSON, 0, to-from)
	for _, m := range members[from:to] {
		u := s.st.Users[m.UniqueID]
		if u == nil {
			continue
		}
		pu := projectUserJSON{ID: m.ID, UserID: u.ID, Email: u.Email, Nick: u.Nick,
			UniqueID: u.UniqueID, DomainRole: 3, Active: 1, Category: category(m),
			CreateTime: "2024-01-01T00:00:00.000Z"}
		if u.UniqueID == s.st.Admin {
			pu.DomainRole = 1
		}
		if u.Frozen {
			pu.Active = 0
		}
		list = append(list, pu)
	}
	return map[string]any{"list": list, "total": len(members)}, nil
}

type importUser struct {
	UniqueID      string          `json:"uniqueId"`
	Email         *string         `json:"email"`
	Phone         json.RawMessage `json:"phone"`
	Password      *string         `json:"password"`
	Nick          *string         `json:"nick"`
	Department    *string         `json:"department"`
	Company       *string         `json:"company"`
	Position      *string         `json:"position"`
	NetworkConfig *struct {
		AllowExternal bool `json:"allowExternal"`
	} `json:"networkConfig"`
	IfLeave    *int            `json:"ifLeave"`
	Attrs      []attrJSON      `json:"attrs"`
	CustomInfo json.RawMessage `json:"customInfo"`
	UserOrgs   []struct {
		OrgCode string `json:"orgCode"`
		OrgRole string `json:"orgRole"`
	} `json:"userOrgs"`
}

type attrJSON struct {
	AttrID    int64           `json:"attrId"`
	AttrName  string          `json:"attrName"`
	AttrValue json.RawMessage `json:"attrValue"`
}

// attrChange is a resolved attribute value: values nil clears.
type attrChange struct {
	name   string
	values []string
}

func (s *Server) resolveAttrs(attrs []attrJSON) ([]attrChange, error) {
	var out []attrChange
	for _, a := range attrs {
		var name string
		switch {
		case a.AttrID != 0:
			n, ok := s.st.Attributes[a.AttrID]
			if !ok {
				return nil, notFound(fmt.Sprintf("用户属性不存在: %d", a.AttrID))
			}
			name = n
		case a.AttrName != "":
			for _, n := range s.st.Attributes {
				if n == a.AttrName {
					name = n
				}
			}
			if name == "" {
				return nil, notFound("用户属性不存在: " + a.AttrName)
			}
		default:
			return nil, badRequest("attrId 和 attrName 必须传一个")
		}
		c := attrChange{name: name}
		if !isNull(a.AttrValue) {
			c.values = []string{}
			if err := json.Unmarshal(a.AttrValue, &c.values); err != nil {
				return nil, badRequest("attrValue 必须是字符串数组或 null: %s", a.AttrValue)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func applyAttrs(u *User, changes []attrChange) {
	for _, c := range changes {
		if c.values == nil {
			delete(u.Attrs, c.name)
			continue
		}
		if u.Attrs == nil {
			u.Attrs = map[string][]string{}
		}
		u.Attrs[c.name] = c.values
	}
}

type batchImportReq struct {
	base
	Users                    []importUser    `json:"users"`
	ProjectID                int64           `json:"projectId"`
	GroupIDs                 []int64         `json:"groupIds"`
	DefaultPassword          *string         `json:"defaultPassword"`
	RoleNames                []string        `json:"roleNames"`
	RolePaths                [][]string      `json:"rolePaths"`
	DelRoleNames             []string        `json:"delRoleNames"`
	DelRolePaths             [][]string      `json:"delRolePaths"`
	PermissionRoleNames      []string        `json:"permissionRoleNames"`
	PermissionRolePaths      [][]string      `json:"permissionRolePaths"`
	DelPermissionRoleNames   []string        `json:"delPermissionRoleNames"`
	DelPermissionRolePaths   [][]string      `json:"delPermissionRolePaths"`
	SystemRoleIDs            []int64         `json:"systemRoleIds"`
	WholeCustomSystemRoleIDs []int64         `json:"wholeCustomSystemRoleIds"`
	ReturnOrgFailedUsers     bool            `json:"returnOrgFailedUsers"`
	DomainID                 *int64          `json:"domainId"`
	DomainName               *string         `json:"domainName"`
	CustomInfo               json.RawMessage `json:"customInfo"` // misplaced in the document's example; ignored
}

type orgFailedUser struct {
	UniqueID string `json:"uniqueId"`
	Message  string `json:"message"`
}

// resolveRoles resolves names (at the root) and paths of one category.
func resolveRoles(p *Project, names []string, paths [][]string, types ...int) ([]*Role, error) {
	var out []*Role
	for _, n := range names {
		r, err := p.roleAt([]string{n}, types...)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	for _, path := range paths {
		r, err := p.roleAt(path, types...)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// batchImport is POST user/batchImport (l.2125, l.3593). Every option
// (project, groups, roles, row permissions, system roles) applies to every
// user of the call. The call is checked before anything changes.
func (s *Server) batchImport(r *request) (any, error) {
	var req batchImportReq
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if len(req.Users) == 0 {
		return nil, badRequest("users 不能为空")
	}
	for _, u := range req.Users {
		if u.UniqueID == "" {
			return nil, badRequest("uniqueId 不能为空")
		}
	}
	needProject := len(req.GroupIDs) > 0 || len(req.RoleNames) > 0 || len(req.RolePaths) > 0 ||
		len(req.DelRoleNames) > 0 || len(req.DelRolePaths) > 0 || len(req.PermissionRoleNames) > 0 ||
		len(req.PermissionRolePaths) > 0 || len(req.DelPermissionRoleNames) > 0 ||
		len(req.DelPermissionRolePaths) > 0 || len(req.SystemRoleIDs) > 0 || req.WholeCustomSystemRoleIDs != nil
	var p *Project
	if req.ProjectID != 0 {
		var err error
		if p, err = s.project(req.ProjectID); err != nil {
			return nil, err
		}
	} else if needProject {
		if len(req.GroupIDs) > 0 {
			return nil, badRequest("导入用户组时 projectId 必传")
		}
		return nil, badRequest("绑定角色或系统角色时 projectId 必传")
	}
	var groups []*Group
	var bind, unbind []*Role
	if p != nil {
		for _, id := range req.GroupIDs {
			g := p.Groups[id]
			if g == nil {
				return nil, notFound(MsgNoGroup)
			}
			groups = append(groups, g)
		}
		roles, err := resolveRoles(p, req.RoleNames, nil, 0)
		if err != nil {
			return nil, err
		}
		bind = append(bind, roles...)
		if roles, err = resolveRoles(p, nil, req.RolePaths, 0, 3); err != nil {
			return nil, err
		}
		bind = append(bind, roles...)
		if roles, err = resolveRoles(p, req.PermissionRoleNames, req.PermissionRolePaths, 2); err != nil {
			return nil, err
		}
		bind = append(bind, roles...)
		if roles, err = resolveRoles(p, req.DelRoleNames, nil, 0); err != nil {
			return nil, err
		}
		unbind = append(unbind, roles...)
		if roles, err = resolveRoles(p, nil, req.DelRolePaths, 0, 3); err != nil {
			return nil, err
		}
		unbind = append(unbind, roles...)
		if roles, err = resolveRoles(p, req.DelPermissionRoleNames, req.DelPermissionRolePaths, 2); err != nil {
			return nil, err
		}
		unbind = append(unbind, roles...)
		if err := s.checkSystemRoles(req.SystemRoleIDs, true); err != nil {
			return nil, err
		}
		if err := s.checkSystemRoles(req.WholeCustomSystemRoleIDs, false); err != nil {
			return nil, err
		}
	}
	attrs := make([][]attrChange, len(req.Users))
	phones := make([]*string, len(req.Users))
	for i, u := range req.Users {
		var err error
		if attrs[i], err = s.resolveAttrs(u.Attrs); err != nil {
			return nil, err
		}
		if phones[i], err = stringOrNumber(u.Phone); err != nil {
			return nil, err
		}
		if u.IfLeave != nil && *u.IfLeave != 0 && *u.IfLeave != 1 {
			return nil, badRequest("ifLeave 只能是 0 或 1")
		}
		for _, o := range u.UserOrgs {
			if o.OrgRole != "" && o.OrgRole != "leader" && o.OrgRole != "normal" {
				return nil, badRequest("orgRole 只能是 leader 或 normal: %q", o.OrgRole)
			}
		}
	}

	failed := []orgFailedUser{}
	for i, in := range req.Users {
		u := s.st.Users[in.UniqueID]
		if u == nil {
			s.ids.user++
			u = &User{ID: s.ids.user, UniqueID: in.UniqueID}
			s.st.Users[in.UniqueID] = u
		}
		if in.Email != nil {
			u.Email = cloneStr(in.Email)
		}
		if phones[i] != nil {
			u.Phone = phones[i]
		}
		if in.Nick != nil {
			u.Nick = cloneStr(in.Nick)
		}
		if in.Department != nil {
			u.Department = cloneStr(in.Department)
		}
		if in.Company != nil {
			u.Company = cloneStr(in.Company)
		}
		if in.Position != nil {
			u.Position = cloneStr(in.Position)
		}
		if in.NetworkConfig != nil {
			v := in.NetworkConfig.AllowExternal
			u.AllowExternal = &v
		}
		if in.IfLeave != nil {
			u.Left = *in.IfLeave == 1
		}
		if in.CustomInfo != nil {
			if isNull(in.CustomInfo) {
				u.CustomInfo = nil
			} else {
				u.CustomInfo = cloneRaw(in.CustomInfo)
			}
		}
		applyAttrs(u, attrs[i])
		if in.UserOrgs != nil {
			var missing string
			orgs := []UserOrg{}
			for _, o := range in.UserOrgs {
				if s.st.Orgs[o.OrgCode] == nil {
					if missing == "" {
						missing = o.OrgCode
					}
					continue
				}
				role := o.OrgRole
				if role == "" {
					role = "normal"
				}
				orgs = append(orgs, UserOrg{Code: o.OrgCode, Role: role})
			}
			if missing != "" {
				// The user's departments stay as they were.
				failed = append(failed, orgFailedUser{UniqueID: in.UniqueID,
					Message: missing + " dosen't exist!"})
			} else {
				sort.Slice(orgs, func(i, j int) bool { return orgs[i].Code < orgs[j].Code })
				u.Orgs = orgs
			}
		}
		if p == nil {
			continue
		}
		s.addMember(p, u.UniqueID, req.SystemRoleIDs)
		m := p.Members[u.UniqueID]
		if req.WholeCustomSystemRoleIDs != nil {
			var builtin []int64
			for _, id := range m.SystemRoles {
				if id <= sysViewer {
					builtin = append(builtin, id)
				}
			}
			m.SystemRoles = unionInts(builtin, req.WholeCustomSystemRoleIDs)
		}
		for _, g := range groups {
			g.Members = addString(g.Members, u.UniqueID)
		}
		for _, role := range bind {
			role.Users[u.UniqueID] = Binding{}
		}
		for _, role := range unbind {
			delete(role.Users, u.UniqueID)
		}
	}
	if req.ReturnOrgFailedUsers {
		return failed, nil
	}
	return "ok", nil
}

// updateUserAttrs is POST userAttr/update (l.3100).
func (s *Server) updateUserAttrs(r *request) (any, error) {
	var req struct {
		base
		UniqueID string     `json:"uniqueId"`
		UserID   int64      `json:"userId"`
		Attrs    []attrJSON `json:"attrs"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	var u *User
	switch {
	case req.UniqueID != "":
		u = s.st.Users[req.UniqueID]
	case req.UserID != 0:
		for _, x := range s.st.Users {
			if x.ID == req.UserID {
				u = x
			}
		}
	default:
		return nil, badRequest("uniqueId 和 userId 必须传一个")
	}
	if u == nil {
		return nil, notFound(MsgNoUser)
	}
	changes, err := s.resolveAttrs(req.Attrs)
	if err != nil {
		return nil, err
	}
	applyAttrs(u, changes)
	return "ok", nil
}

// deleteDomainUsers is POST domain/user/delete (l.2416). Unknown users are
// ignored; the token's own user (the domain owner) cannot be deleted.
func (s *Server) deleteDomainUsers(r *request) (any, error) {
	var req struct {
		base
		UniqueIDs  []string `json:"uniqueIds"`
		DomainID   *int64   `json:"domainId"`
		DomainName *string  `json:"domainName"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if len(req.UniqueIDs) == 0 {
		return nil, badRequest("uniqueIds 不能为空")
	}
	for _, uid := range req.UniqueIDs {
		if uid == r.user {
			return nil, errf(CodeForbidden, MsgDeleteSelf)
		}
	}
	gone := map[string]bool{}
	for _, uid := range req.UniqueIDs {
		if s.st.Users[uid] != nil {
			gone[uid] = true
			delete(s.st.Users, uid)
		}
	}
	if len(gone) > 0 {
		for _, p := range s.st.Projects {
			removeMembers(p, gone)
		}
	}
	return true, nil
}

// deleteProjectUsers is POST projectUser/delUsersByUniqueIds (l.2280). The
// user leaves the project with its direct roles, groups and resource
// permissions there. Users not in the project are ignored.
func (s *Server) deleteProjectUsers(r *request) (any, error) {
	var req struct {
		base
		ProjectID int64    `json:"projectId"`
		UniqueIDs []string `json:"uniqueIds"`
		UserIDs   []int64  `json:"userIds"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	uids := append([]string{}, req.UniqueIDs...)
	for _, id := range req.UserIDs {
		for _, u := range s.st.Users {
			if u.ID == id {
				uids = append(uids, u.UniqueID)
			}
		}
	}
	if len(req.UniqueIDs) == 0 && len(req.UserIDs) == 0 {
		return nil, badRequest("uniqueIds 和 userIds 必须传一个")
	}
	for _, uid := range uids {
		if uid == r.user {
			return nil, errf(CodeForbidden, MsgDeleteSelf)
		}
	}
	for _, uid := range uids {
		removeMember(p, uid)
	}
	return "ok", nil
}

type userRoleJSON struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Type        int     `json:"type"`
	ExpiredTime *string `json:"expiredTime"`
}

type rowPermJSON struct {
	ID              int64            `json:"id"`
	Name            string           `json:"name"`
	Type            int              `json:"type"`
	ExpiredTime     *string          `json:"expiredTime"`
	DataPermissions []map[string]any `json:"dataPermissions"`
}

type groupRefJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// userPermissions is GET user/permissions (l.2452): the system roles
// (type 1), roles and row permissions bound to the user directly, and the
// user's groups. Nothing inherited through a group or a department.
func (s *Server) userPermissions(r *request) (any, error) {
	p, err := s.projectFromQuery(r)
	if err != nil {
		return nil, err
	}
	uid := r.query.Get("uniqueId")
	if uid == "" {
		return nil, badRequest("uniqueId 不能为空")
	}
	if s.st.Users[uid] == nil {
		return nil, notFound(MsgNoUser)
	}
	roles := []userRoleJSON{}
	rows := []rowPermJSON{}
	groups := []groupRefJSON{}
	if m := p.Members[uid]; m != nil {
		for _, id := range m.SystemRoles {
			roles = append(roles, userRoleJSON{ID: id, Name: s.systemRoleName(id), Type: 1})
		}
	}
	for _, id := range sets.SortedKeys(p.Roles) {
		role := p.Roles[id]
		b, ok := role.Users[uid]
		if !ok {
			continue
		}
		var exp *string
		if b.Expires != nil {
			v := FormatExpire(*b.Expires)
			exp = &v
		}
		if role.Type == 2 {
			rows = append(rows, rowPermJSON{ID: role.ID, Name: role.Name, Type: 2,
				ExpiredTime: exp, DataPermissions: readDataPermissions(role)})
			continue
		}
		roles = append(roles, userRoleJSON{ID: role.ID, Name: role.Name, Type: role.Type, ExpiredTime: exp})
	}
	for _, id := range sets.SortedKeys(p.Groups) {
		g := p.Groups[id]
		i := sort.SearchStrings(g.Members, uid)
		if i < len(g.Members) && g.Members[i] == uid {
			groups = append(groups, groupRefJSON{ID: g.ID, Name: g.Name})
		}
	}
	return map[string]any{"roles": roles, "rowPermissions": rows, "groups": groups}, nil
}

// readDataPermissions renders a row permission's rules as user/permissions
// does: the details as stored plus what the server adds (model "manual"
// and tableAlias on row details, tableAlias on column details), list
// selections sorted, and resourceId, resourceCategory and roleId.
func readDataPermissions(role *Role) []map[string]any {
	out := []map[string]any{}
	for _, dp := range role.DataPermissions {
		details := []any{}
		for _, raw := range dp.Details {
			d, ok := decodeObject(raw)
			if !ok {
				continue
			}
			switch dp.Type {
			case "row":
				if _, ok := d["model"]; !ok {
					d["model"] = "manual"
				}
				addTableAlias(d)
				if f, ok := d["filter"].(map[string]any); ok {
					sortSelect(f)
				}
			case "column":
				addTableAlias(d)
			case "table":
				sortSelect(d)
			}
			details = append(details, d)
		}
		out = append(out, map[string]any{
			"details":          details,
			"mode":             dp.Mode,
			"rule":             dp.Rule,
			"type":             dp.Type,
			"resourceId":       dp.DataConnectionID,
			"resourceCategory": 3,
			"roleId":           role.ID,
		})
	}
	return out
}

func addTableAlias(d map[string]any) {
	if _, ok := d["tableAlias"]; ok {
		return
	}
	if t, ok := d["tableName"].(string); ok {
		d["tableAlias"] = t
	}
}

// sortSelect sorts a "select" list of strings in place.
func sortSelect(m map[string]any) {
	sel, ok := m["select"].([]any)
	if !ok {
		return
	}
	strs := make([]string, 0, len(sel))
	for _, v := range sel {
		s, ok := v.(string)
		if !ok {
			return
		}
		strs = append(strs, s)
	}
	sort.Strings(strs)
	for i, v := range strs {
		sel[i] = v
	}
}

// decodeObject decodes a JSON object keeping numbers as written.
func decodeObject(raw json.RawMessage) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var d map[string]any
	if dec.Decode(&d) != nil || d == nil {
		return nil, false
	}
	return d, true
}
