package youdatatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/permsync/permsync/internal/sets"
)

type roleItemJSON struct {
	ID            int64  `json:"id"`
	ProjectID     int64  `json:"projectId"`
	Type          int    `json:"type"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	IsAdminCreate bool   `json:"isAdminCreate"`
	CreatorName   string `json:"creatorName"`
	CreatorID     int64  `json:"creatorId"`
	FolderID      int64  `json:"folderId"`
	IsFolder      int    `json:"isFolder"`
}

type roleFolderJSON struct {
	ID         int64            `json:"id"`
	Type       string           `json:"type"`
	Name       string           `json:"name"`
	IsFolder   int              `json:"isFolder"`
	ProjectID  int64            `json:"projectId"`
	ParentID   int64            `json:"parentId"`
	ModifyTime string           `json:"modifyTime"`
	Items      []roleItemJSON   `json:"items"`
	Folders    []roleFolderJSON `json:"folders"`
}

// listRoles is GET role/list (l.2588): type ROLE lists roles (types 0 and
// 3), ROW_PERMISSION row permissions (type 2); folders one level deep with
// their items, then the root items, each sorted by name.
func (s *Server) listRoles(r *request) (any, error) {
	p, err := s.projectFromQuery(r)
	if err != nil {
		return nil, err
	}
	typ := r.query.Get("type")
	if typ != FolderRole && typ != FolderRowPerm {
		return nil, badRequest("type 只能是 ROLE 或 ROW_PERMISSION: %q", typ)
	}
	creator := s.st.Users[s.st.Admin]
	creatorName, creatorID := s.st.Admin, int64(0)
	if creator != nil {
		creatorID = creator.ID
		if creator.Nick != nil {
			creatorName = *creator.Nick
		}
	}
	byFolder := map[int64][]roleItemJSON{}
	for _, role := range p.Roles {
		if folderTypeOf(role.Type) != typ {
			continue
		}
		byFolder[role.FolderID] = append(byFolder[role.FolderID], roleItemJSON{ID: role.ID,
			ProjectID: p.ID, Type: role.Type, Name: role.Name, Description: role.Description,
			IsAdminCreate: true, CreatorName: creatorName, CreatorID: creatorID, FolderID: role.FolderID})
	}
	for _, items := range byFolder {
		sort.Slice(items, func(i, j int) bool {
			if items[i].Name != items[j].Name {
				return items[i].Name < items[j].Name
			}
			return items[i].ID < items[j].ID
		})
	}
	folders := []roleFolderJSON{}
	for _, f := range p.Folders {
		if f.Type != typ {
			continue
		}
		items := byFolder[f.ID]
		if items == nil {
			items = []roleItemJSON{}
		}
		folders = append(folders, roleFolderJSON{ID: f.ID, Type: f.Type, Name: f.Name, IsFolder: 1,
			ProjectID: p.ID, ModifyTime: "2024-01-01T00:00:00.000Z", Items: items, Folders: []roleFolderJSON{}})
	}
	sort.Slice(folders, func(i, j int) bool {
		if folders[i].Name != folders[j].Name {
			return folders[i].Name < folders[j].Name
		}
		return folders[i].ID < folders[j].ID
	})
	items := byFolder[0]
	if items == nil {
		items = []roleItemJSON{}
	}
	return map[string]any{"folders": folders, "items": items}, nil
}

type dataPermJSON struct {
	DataConnectionID int64             `json:"dataConnectionId"`
	Details          []json.RawMessage `json:"details"`
	Mode             string            `json:"mode"`
	Type             string            `json:"type"`
	Rule             string            `json:"rule"`
}

type resourcePermJSON struct {
	ResourceID        int64    `json:"resourceId"`
	ResourceNamePaths []string `json:"resourceNamePaths"`
	ResourceType      string   `json:"resourceType"`
	Permissions       []string `json:"permissions"`
	IsFolder          int      `json:"isFolder"`
}

var resourcePerms = map[string][]string{
	"NEW_REPORT":          {"view", "edit", "export", "copy"},
	"DATA_MODEL":          {"view", "edit", "export", "copy"},
	"DATA_CONNECTION":     {"view", "edit", "export", "copy", "customSql"},
	"SCREEN":              {"view", "edit", "export", "copy"},
	"NEW_SCREEN":          {"view", "edit", "export", "copy"},
	"ADD_DATA_CONNECTION": {"add", "noPrivateAdd"},
	"ADD_DATA_MODEL":      {"add", "noPrivateAdd"},
	"ADD_NEW_REPORT":      {"add", "noPrivateAdd"},
	"ADD_SCREEN":          {"add", "noPrivateAdd"},
}

func checkResource(rp resourcePermJSON) (ResourcePermission, error) {
	allowed, ok := resourcePerms[rp.ResourceType]
	if !ok {
		return ResourcePermission{}, badRequest("resourceType 不合法: %q", rp.ResourceType)
	}
	isAdd := len(rp.ResourceType) > 4 && rp.ResourceType[:4] == "ADD_"
	if !isAdd && rp.ResourceID == 0 && len(rp.ResourceNamePaths) == 0 {
		return ResourcePermission{}, badRequest("resourceId 和 resourceNamePaths 必须传一个")
	}
	if rp.IsFolder != 0 && rp.IsFolder != 1 {
		return ResourcePermission{}, badRequest("isFolder 只能是 0 或 1")
	}
	if len(rp.Permissions) == 0 {
		return ResourcePermission{}, badRequest("permissions 不能为空")
	}
	for _, perm := range rp.Permissions {
		if !slices.Contains(allowed, perm) {
			return ResourcePermission{}, badRequest("%s 不支持权限 %q", rp.ResourceType, perm)
		}
	}
	return ResourcePermission{Type: rp.ResourceType, ID: rp.ResourceID,
		Path: cloneStrings(rp.ResourceNamePaths), IsFolder: rp.IsFolder == 1,
		Permissions: cloneStrings(rp.Permissions)}, nil
}

func checkDataPermission(dp dataPermJSON) (DataPermission, error) {
	out := DataPermission{DataConnectionID: dp.DataConnectionID, Type: dp.Type, Mode: dp.Mode, Rule: dp.Rule}
	if dp.DataConnectionID == 0 {
		return out, badRequest("dataConnectionId 不能为空")
	}
	switch out.Type {
	case "":
		out.Type = "row"
	case "row", "column", "table":
	default:
		return out, badRequest("数据权限 type 不合法: %q", dp.Type)
	}
	switch out.Mode {
	case "":
		out.Mode = "fixed"
	case "fixed", "dynamic":
	default:
		return out, badRequest("mode 只能是 fixed 或 dynamic: %q", dp.Mode)
	}
	switch out.Rule {
	case "":
		out.Rule = "and"
		if out.Type == "row" {
			out.Rule = "or"
		}
	case "or", "and":
	default:
		return out, badRequest("rule 只能是 or 或 and: %q", dp.Rule)
	}
	if dp.Details == nil {
		return out, badRequest("details 不能为空")
	}
	out.Details = []json.RawMessage{}
	for _, d := range dp.Details {
		if _, ok := decodeObject(d); !ok {
			return out, badRequest("details 的每一项必须是对象: %s", d)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, d); err != nil {
			return out, badRequest("details 不是合法的 JSON: %v", err)
		}
		out.Details = append(out.Details, json.RawMessage(buf.Bytes()))
	}
	return out, nil
}

type importReq struct {
	base
	UniqueID            string             `json:"uniqueId"`
	UniqueIDs           []string           `json:"uniqueIds"`
	UserExpireMap       map[string]string  `json:"userExpireMap"`
	ProjectID           int64              `json:"projectId"`
	RoleName            string             `json:"roleName"`
	Path                *[]string          `json:"path"`
	Description         *string            `json:"description"`
	GroupNames          []string           `json:"groupNames"`
	GroupExpireMap      map[string]string  `json:"groupExpireMap"`
	OrgCodes            []string           `json:"orgCodes"`
	OrgExpireMap        map[string]string  `json:"orgExpireMap"`
	DataPermissions     []dataPermJSON     `json:"dataPermissions"`
	ResourcePermissions []resourcePermJSON `json:"resourcePermissions"`
	ImportResourceTypes []string           `json:"importResourceTypes"`
	Type                *int               `json:"type"`
	IgnoreInvalidUser   bool               `json:"ignoreInvalidUser"`
}

type holder[K comparable] struct {
	key K
	b   Binding
}

// importDataPermissions is POST role/importDataPermissions (l.2706). It
// finds the role by roleName + type + path and creates it (and its folder)
// if needed, updates the description when given, replaces permissions when
// dataPermissions or resourcePermissions is given, and adds (never
// removes) users, groups and orgs, each binding's expiry set from the
// maps or cleared. Users bound join the project. It answers the role id.
func (s *Server) importDataPermissions(r *request) (any, error) {
	var req importReq
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	if req.RoleName == "" {
		return nil, badRequest("roleName 不能为空")
	}
	if req.Type == nil {
		return nil, badRequest("type 不能为空")
	}
	typ := *req.Type
	if typ != 0 && typ != 2 && typ != 3 {
		return nil, badRequest("type 只能是 0、2 或 3: %d", typ)
	}
	if req.Path == nil {
		return nil, badRequest("path 不能为空,根目录请传空数组")
	}
	folder, err := folderPath(*req.Path)
	if err != nil {
		return nil, err
	}
	if typ == 2 && req.ResourcePermissions != nil {
		return nil, badRequest("行级权限不能导入资源权限")
	}
	if typ != 2 && req.DataPermissions != nil {
		return nil, badRequest("角色不能导入数据权限")
	}
	var resources []ResourcePermission
	for _, rp := range req.ResourcePermissions {
		res, err := checkResource(rp)
		if err != nil {
			return nil, err
		}
		if req.ImportResourceTypes != nil && !slices.Contains(req.ImportResourceTypes, res.Type) {
			return nil, badRequest(MsgOutsideTypes)
		}
		resources = append(resources, res)
	}
	for _, t := range req.ImportResourceTypes {
		if _, ok := resourcePerms[t]; !ok {
			return nil, badRequest("importResourceTypes 不合法: %q", t)
		}
	}
	var dataPerms []DataPermission
	for _, dp := range req.DataPermissions {
		d, err := checkDataPermission(dp)
		if err != nil {
			return nil, err
		}
		dataPerms = append(dataPerms, d)
	}

	var users []holder[string]
	uids := req.UniqueIDs
	if req.UniqueID != "" {
		uids = append([]string{req.UniqueID}, uids...)
	}
	for _, uid := range uids {
		if s.st.Users[uid] == nil {
			if req.IgnoreInvalidUser {
				continue
			}
			return nil, notFound(MsgNoUser)
		}
		exp, err := expiry(req.UserExpireMap, uid)
		if err != nil {
			return nil, err
		}
		users = append(users, holder[string]{uid, Binding{Expires: exp}})
	}
	var groups []holder[int64]
	for _, name := range req.GroupNames {
		g := p.GroupByName(name)
		if g == nil {
			return nil, notFound(MsgNoGroup)
		}
		exp, err := expiry(req.GroupExpireMap, name)
		if err != nil {
			return nil, err
		}
		groups = append(groups, holder[int64]{g.ID, Binding{Expires: exp}})
	}
	var orgs []holder[string]
	for _, code := range req.OrgCodes {
		if s.st.Orgs[code] == nil {
			return nil, notFound(MsgNoOrg)
		}
		exp, err := expiry(req.OrgExpireMap, code)
		if err != nil {
			return nil, err
		}
		orgs = append(orgs, holder[string]{code, Binding{Expires: exp}})
	}

	role := p.FindRole(folder, req.RoleName, typ)
	if role == nil {
		fid := s.ensureFolder(p, folder, folderTypeOf(typ))
		s.ids.role++
		role = newRole(s.ids.role, req.RoleName, typ, fid)
		p.Roles[role.ID] = role
	}
	if req.Description != nil {
		role.Description = *req.Description
	}
	if req.DataPermissions != nil || req.ResourcePermissions != nil {
		if req.ImportResourceTypes == nil {
			role.Resources = nil
			role.DataPermissions = nil
		} else {
			kept := []ResourcePermission{}
			for _, rp := range role.Resources {
				if !slices.Contains(req.ImportResourceTypes, rp.Type) {
					kept = append(kept, rp)
				}
			}
			role.Resources = kept
			if req.DataPermissions != nil {
				role.DataPermissions = nil
			}
		}
		role.Resources = append(role.Resources, resources...)
		role.DataPermissions = append(role.DataPermissions, dataPerms...)
	}
	for _, h := range users {
		role.Users[h.key] = h.b
		s.addMember(p, h.key, nil)
	}
	for _, h := range groups {
		role.Groups[h.key] = h.b
	}
	for _, h := range orgs {
		role.Orgs[h.key] = h.b
	}
	return role.ID, nil
}

// delRoles is POST user/delRoles (l.3017): unbinds users from the roles
// (roleNames) and row permissions (permissionRoleNames) at path (the root
// when absent) and from system roles; with none of the three, from every
// role and row permission bound to them directly in the project (system
// roles stay). Group bindings are untouched.
func (s *Server) delRoles(r *request) (any, error) {
	var req struct {
		base
		UniqueIDs           []string `json:"uniqueIds"`
		ProjectID           int64    `json:"projectId"`
		RoleNames           []string `json:"roleNames"`
		PermissionRoleNames []string `json:"permissionRoleNames"`
		SystemRoleIDs       []int64  `json:"systemRoleIds"`
		Path                []string `json:"path"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	if len(req.UniqueIDs) == 0 {
		return nil, badRequest("uniqueIds 不能为空")
	}
	for _, uid := range req.UniqueIDs {
		if s.st.Users[uid] == nil {
			return nil, notFound(MsgNoUser)
		}
	}
	if _, err := folderPath(req.Path); err != nil {
		return nil, err
	}
	var roles []*Role
	for _, n := range req.RoleNames {
		role, err := p.roleAt(append(append([]string{}, req.Path...), n), 0, 3)
		if err != nil {
			return nil, err
		}
		roles = append(roles, role)
	}
	for _, n := range req.PermissionRoleNames {
		role, err := p.roleAt(append(append([]string{}, req.Path...), n), 2)
		if err != nil {
			return nil, err
		}
		roles = append(roles, role)
	}
	if err := s.checkSystemRoles(req.SystemRoleIDs, true); err != nil {
		return nil, err
	}
	all := len(req.RoleNames) == 0 && len(req.PermissionRoleNames) == 0 && len(req.SystemRoleIDs) == 0
	if all {
		for _, id := range sets.SortedKeys(p.Roles) {
			roles = append(roles, p.Roles[id])
		}
	}
	affected := 0
	for _, uid := range req.UniqueIDs {
		for _, role := range roles {
			if _, ok := role.Users[uid]; ok {
				delete(role.Users, uid)
				affected++
			}
		}
		if m := p.Members[uid]; m != nil && len(req.SystemRoleIDs) > 0 {
			before := len(m.SystemRoles)
			m.SystemRoles = removeInts(m.SystemRoles, req.SystemRoleIDs)
			affected += before - len(m.SystemRoles)
		}
	}
	return map[string]any{"fieldCount": 0, "affectedRows": affected, "insertId": 0,
		"serverStatus": 2, "warningCount": 0, "message": "", "protocol41": true, "changedRows": 0}, nil
}

// deleteRole is POST role/ext/delete (l.3063), by roleId or projectId +
// path (folder..., name). A path that names both a role and a row
// permission is refused as ambiguous.
func (s *Server) deleteRole(r *request) (any, error) {
	var req struct {
		base
		RoleID    int64    `json:"roleId"`
		ProjectID int64    `json:"projectId"`
		Path      []string `json:"path"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if req.RoleID != 0 {
		for _, p := range s.st.Projects {
			if p.Roles[req.RoleID] != nil {
				delete(p.Roles, req.RoleID)
				return nil, nil
			}
		}
		return nil, notFound(MsgNoRole)
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	folder, name, err := splitPath(req.Path)
	if err != nil {
		return nil, err
	}
	role, rowPerm := p.FindRole(folder, name, 0, 3), p.FindRole(folder, name, 2)
	switch {
	case role != nil && rowPerm != nil:
		return nil, badRequest("存在同名的角色和行级权限,请使用 roleId 删除")
	case role != nil:
		delete(p.Roles, role.ID)
	case rowPerm != nil:
		delete(p.Roles, rowPerm.ID)
	default:
		return nil, notFound(MsgNoRole)
	}
	return nil, nil
}

// addRoleFolder is POST role/folder/add (l.3381). A folder name already
// taken answers code 200 with {titleRepeat: true, newTitle} and creates
// nothing, as the document shows.
func (s *Server) addRoleFolder(r *request) (any, error) {
	var req struct {
		base
		ProjectID      int64  `json:"projectId"`
		ParentID       int64  `json:"parentId"`
		ManagementType int    `json:"managementType"`
		Name           string `json:"name"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	var typ string
	switch req.ManagementType {
	case 3:
		typ = FolderRole
	case 4:
		typ = FolderRowPerm
	default:
		return nil, badRequest("managementType 只能是 3 或 4: %d", req.ManagementType)
	}
	if req.ParentID != 0 {
		return nil, badRequest("只支持一层文件夹,parentId 必须为 0")
	}
	if req.Name == "" {
		return nil, badRequest("name 不能为空")
	}
	if p.folder(req.Name, typ) != nil {
		n := 1
		for p.folder(fmt.Sprintf("%s(%d)", req.Name, n), typ) != nil {
			n++
		}
		return map[string]any{"titleRepeat": true, "newTitle": fmt.Sprintf("%s(%d)", req.Name, n)}, nil
	}
	return map[string]any{"id": s.ensureFolder(p, req.Name, typ)}, nil
}

var memberPerms = []string{"view", "copyData", "export", "edit", "share", "mail", "warning", "showSummaryWithoutPerm"}

// syncResourceMembers is POST directResourcePerm/syncMembers (l.2970).
// wholeCoverMembers replaces every direct member of the resource; without
// it the members given are merged (their permissions replaced). Users not
// in the domain are ignored; users not in the project join it as viewers
// unless autoAddProjectUser is false, in which case they are ignored.
func (s *Server) syncResourceMembers(r *request) (any, error) {
	var req struct {
		base
		ProjectID    int64  `json:"projectId"`
		ResourceName string `json:"resourceName"`
		ResourceID   int64  `json:"resourceId"`
		MemberInfos  []struct {
			Type        string   `json:"type"`
			ID          string   `json:"id"`
			Permissions []string `json:"permissions"`
		} `json:"memberInfos"`
		AutoAddProjectUser *bool `json:"autoAddProjectUser"`
		WholeCoverMembers  bool  `json:"wholeCoverMembers"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	switch req.ResourceName {
	case "DATA_MODEL", "DATA_CONNECTION", "NEW_REPORT":
	default:
		return nil, badRequest("resourceName 不合法: %q", req.ResourceName)
	}
	if req.ResourceID == 0 {
		return nil, badRequest("resourceId 不能为空")
	}
	if req.MemberInfos == nil {
		return nil, badRequest("memberInfos 不能为空")
	}
	for _, mi := range req.MemberInfos {
		if mi.Type != "uniqueId" && mi.Type != "user" {
			return nil, badRequest("memberInfos.type 只能是 uniqueId 或 user: %q", mi.Type)
		}
		for _, perm := range mi.Permissions {
			if !slices.Contains(memberPerms, perm) {
				return nil, badRequest("不支持的权限 %q", perm)
			}
		}
	}
	autoAdd := req.AutoAddProjectUser == nil || *req.AutoAddProjectUser
	key := ResourceKey{Type: req.ResourceName, ID: req.ResourceID}
	members := p.ResourceMembers[key]
	if members == nil || req.WholeCoverMembers {
		members = map[string][]string{}
	}
	for _, mi := range req.MemberInfos {
		if s.st.Users[mi.ID] == nil {
			continue
		}
		if p.Members[mi.ID] == nil {
			if !autoAdd {
				continue
			}
			s.addMember(p, mi.ID, nil)
		}
		perms := cloneStrings(mi.Permissions)
		if perms == nil {
			perms = []string{}
		}
		sort.Strings(perms)
		members[mi.ID] = perms
	}
	if len(members) == 0 {
		delete(p.ResourceMembers, key)
	} else {
		p.ResourceMembers[key] = members
	}
	return "ok", nil
}
