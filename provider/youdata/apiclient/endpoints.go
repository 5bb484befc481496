package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Endpoints, and which writes are retried after a retryable failure (a
// network error, a timeout, HTTP 429 or 5xx). A retry after a lost answer
// repeats a call the server may already have applied, so only calls whose
// repetition leaves the same state are retried:
//
//	endpoint                              retried  why
//	reads (GET, systemRole/list)          yes      no effect
//	user/batchImport                      yes      upsert by uniqueId; bindings are added, userOrgs replaced
//	userAttr/update                       yes      sets values (overwrite)
//	role/importDataPermissions            yes      upsert by name+type+path; permissions replaced; members only added
//	user/delRoles                         yes      unbinding twice leaves the same state
//	role/ext/delete                       yes      deleting twice: the second may answer "not found" (error says an earlier attempt may have been applied)
//	group/ext/update                      yes      sets title/description
//	group/dels                            yes      as role/ext/delete
//	group/ext/delUsers                    yes      removing members twice leaves the same state
//	orgStructure/syncOrg                  yes      keyed by orgCode; the document allows deleting a code again
//	projectUser/delUsersByUniqueIds       yes      as user/delRoles
//	domain/user/delete                    yes      as role/ext/delete
//	systemRole/update, systemRole/dels    yes      set values / delete by id
//	project/update, project/del           yes      set values / delete by id
//	directResourcePerm/syncMembers        yes      sets members' permissions (whole cover or per member)
//	group/add                             NO       creates a group each time: a retry could make a duplicate
//	systemRole/add                        NO       creates a system role each time
//	project/add                           NO       creates a project each time
//	role/folder/add                       NO       a retry after success answers "title repeat"
//
// A write is not retried either when its first request may still be
// running on the server (a client-side timeout, or HTTP 504): a second
// copy would run beside the first, and two upserts by name racing each
// other can create the same role or folder twice. Such errors, and
// retryable failures of the calls marked NO, say that the server may have
// applied the call, so the next plan shows what happened.
var (
	epGetAllUsers      = endpoint{path: "user/getAllUsers", method: http.MethodGet, auth: true, retry: true}
	epProjectList      = endpoint{path: "project/list", method: http.MethodGet, auth: true, retry: true}
	epProjectUserList  = endpoint{path: "projectUser/list", method: http.MethodGet, auth: true, retry: true}
	epRoleList         = endpoint{path: "role/list", method: http.MethodGet, auth: true, retry: true}
	epUserPermissions  = endpoint{path: "user/permissions", method: http.MethodGet, auth: true, retry: true}
	epSystemRoleList   = endpoint{path: "systemRole/list", method: http.MethodPost, auth: true, retry: true, lenient: true}
	epBatchImport      = endpoint{path: "user/batchImport", method: http.MethodPost, auth: true, retry: true}
	epUserAttrUpdate   = endpoint{path: "userAttr/update", method: http.MethodPost, auth: true, retry: true}
	epImportDataPerms  = endpoint{path: "role/importDataPermissions", method: http.MethodPost, auth: true, retry: true}
	epDelRoles         = endpoint{path: "user/delRoles", method: http.MethodPost, auth: true, retry: true}
	epRoleDelete       = endpoint{path: "role/ext/delete", method: http.MethodPost, auth: true, retry: true}
	epRoleFolderAdd    = endpoint{path: "role/folder/add", method: http.MethodPost, auth: true, retry: false, lenient: true}
	epGroupAdd         = endpoint{path: "group/add", method: http.MethodPost, auth: true, retry: false}
	epGroupUpdate      = endpoint{path: "group/ext/update", method: http.MethodPost, auth: true, retry: true}
	epGroupDels        = endpoint{path: "group/dels", method: http.MethodPost, auth: true, retry: true}
	epGroupDelUsers    = endpoint{path: "group/ext/delUsers", method: http.MethodPost, auth: true, retry: true}
	epSyncOrg          = endpoint{path: "orgStructure/syncOrg", method: http.MethodPost, auth: true, retry: true}
	epProjectUserDel   = endpoint{path: "projectUser/delUsersByUniqueIds", method: http.MethodPost, auth: true, retry: true}
	epDomainUserDelete = endpoint{path: "domain/user/delete", method: http.MethodPost, auth: true, retry: true}
	epSystemRoleAdd    = endpoint{path: "systemRole/add", method: http.MethodPost, auth: true, retry: false, lenient: true}
	epSystemRoleUpdate = endpoint{path: "systemRole/update", method: http.MethodPost, auth: true, retry: true}
	epSystemRoleDels   = endpoint{path: "systemRole/dels", method: http.MethodPost, auth: true, retry: true}
	epProjectAdd       = endpoint{path: "project/add", method: http.MethodPost, auth: true, retry: false}
	epProjectUpdate    = endpoint{path: "project/update", method: http.MethodPost, auth: true, retry: true}
	epProjectDel       = endpoint{path: "project/del", method: http.MethodDelete, auth: true, retry: true}
	epSyncMembers      = endpoint{path: "directResourcePerm/syncMembers", method: http.MethodPost, auth: true, retry: true}
)

// ---- reads ----

// GetAllUsers reads one page of domain users (GET user/getAllUsers).
func (c *Client) GetAllUsers(ctx context.Context, offset, limit int) ([]User, error) {
	q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
	var users []User
	if err := c.call(ctx, epGetAllUsers, q, nil, &users); err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return users, nil
}

// ListProjects lists projects (GET project/list). The result is
// {list, count}; a bare list is accepted too.
func (c *Client) ListProjects(ctx context.Context) ([]Project, error) {
	var raw json.RawMessage
	if err := c.call(ctx, epProjectList, nil, nil, &raw); err != nil {
		return nil, fmt.Errorf("listing projects: %w", err)
	}
	var projects []Project
	if _, err := decodeList(raw, &projects); err != nil {
		return nil, fmt.Errorf("listing projects: %w", c.badResult(epProjectList, err))
	}
	return projects, nil
}

// ListProjectUsers reads one page of a project's members (GET
// projectUser/list). The result is {list, total}; when the server answers
// a bare list, total is -1 (unknown).
func (c *Client) ListProjectUsers(ctx context.Context, projectID int64, offset, limit int) ([]ProjectUser, int, error) {
	q := url.Values{
		"projectId": {strconv.FormatInt(projectID, 10)},
		"offset":    {strconv.Itoa(offset)},
		"limit":     {strconv.Itoa(limit)},
	}
	var raw json.RawMessage
	if err := c.call(ctx, epProjectUserList, q, nil, &raw); err != nil {
		return nil, 0, fmt.Errorf("listing members of project %d: %w", projectID, err)
	}
	var members []ProjectUser
	total, err := decodeList(raw, &members)
	if err != nil {
		return nil, 0, fmt.Errorf("listing members of project %d: %w", projectID, c.badResult(epProjectUserList, err))
	}
	return members, total, nil
}

// badResult is a 2xx answer whose result has an unexpected shape. The
// reason may quote the answer, so it is scrubbed of secrets.
func (c *Client) badResult(ep endpoint, err error) *ResponseError {
	return &ResponseError{Endpoint: ep.path, HTTPStatus: http.StatusOK, Reason: c.scrub(err.Error())}
}

// decodeList decodes a result that is either a bare array or an object
// {list, total|count}. It returns the total, or -1 when none was given.
func decodeList(raw json.RawMessage, out any) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, out); err != nil {
			return 0, fmt.Errorf("unexpected result: %w", err)
		}
		return -1, nil
	}
	var obj struct {
		List  json.RawMessage `json:"list"`
		Total *int            `json:"total"`
		Count *int            `json:"count"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return 0, fmt.Errorf("unexpected result: %w", err)
	}
	if obj.List == nil {
		return 0, errors.New("unexpected result: no list")
	}
	if err := json.Unmarshal(obj.List, out); err != nil {
		return 0, fmt.Errorf("unexpected result: %w", err)
	}
	switch {
	case obj.Total != nil:
		return *obj.Total, nil
	case obj.Count != nil:
		return *obj.Count, nil
	}
	return -1, nil
}

// ListRoles reads a project's roles (typ RoleTypeRole) or row permissions
// (RoleTypeRowPermission) (GET role/list).
func (c *Client) ListRoles(ctx context.Context, projectID int64, typ string) (*RoleTree, error) {
	if typ != RoleTypeRole && typ != RoleTypeRowPermission {
		return nil, fmt.Errorf("listing roles: type %q is neither %s nor %s", typ, RoleTypeRole, RoleTypeRowPermission)
	}
	q := url.Values{"projectId": {strconv.FormatInt(projectID, 10)}, "type": {typ}}
	var tree RoleTree
	if err := c.call(ctx, epRoleList, q, nil, &tree); err != nil {
		return nil, fmt.Errorf("listing %s of project %d: %w", typ, projectID, err)
	}
	return &tree, nil
}

// UserPermissions reads one user's roles, row permissions and groups in a
// project (GET user/permissions).
func (c *Client) UserPermissions(ctx context.Context, projectID int64, uniqueID string) (*UserPermissions, error) {
	q := url.Values{"projectId": {strconv.FormatInt(projectID, 10)}, "uniqueId": {uniqueID}}
	var p UserPermissions
	if err := c.call(ctx, epUserPermissions, q, nil, &p); err != nil {
		return nil, fmt.Errorf("reading permissions of %q in project %d: %w", uniqueID, projectID, err)
	}
	return &p, nil
}

// ListSystemRoles lists custom system roles (POST systemRole/list). The
// document shows a bare array; an envelope or {list} is accepted too.
func (c *Client) ListSystemRoles(ctx context.Context) ([]SystemRole, error) {
	var raw json.RawMessage
	if err := c.call(ctx, epSystemRoleList, nil, struct{}{}, &raw); err != nil {
		return nil, fmt.Errorf("listing system roles: %w", err)
	}
	var roles []SystemRole
	if _, err := decodeList(raw, &roles); err != nil {
		return nil, fmt.Errorf("listing system roles: %w", c.badResult(epSystemRoleList, err))
	}
	return roles, nil
}

// ---- writes ----

// BatchImport upserts users (POST user/batchImport). With
// ReturnOrgFailedUsers, it returns the users whose departments failed.
func (c *Client) BatchImport(ctx context.Context, req BatchImportRequest) ([]OrgFailedUser, error) {
	if len(req.Users) == 0 {
		return nil, errors.New("importing users: no users")
	}
	var raw json.RawMessage
	if err := c.call(ctx, epBatchImport, nil, req, &raw); err != nil {
		return nil, fmt.Errorf("importing %d users: %w", len(req.Users), err)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, nil // "ok"
	}
	var failed []OrgFailedUser
	if err := json.Unmarshal(raw, &failed); err != nil {
		return nil, fmt.Errorf("importing users: %w", c.badResult(epBatchImport, fmt.Errorf("unexpected result: %w", err)))
	}
	return failed, nil
}

// UpdateUserAttrs sets a user's attribute values (POST userAttr/update).
func (c *Client) UpdateUserAttrs(ctx context.Context, req UserAttrUpdateRequest) error {
	if req.UniqueID == "" && req.UserID == 0 {
		return errors.New("updating user attributes: no uniqueId or userId")
	}
	if req.Attrs == nil {
		req.Attrs = []AttrValue{}
	}
	if err := c.call(ctx, epUserAttrUpdate, nil, req, nil); err != nil {
		return fmt.Errorf("updating attributes of %q: %w", req.UniqueID, err)
	}
	return nil
}

// ImportDataPermissions upserts a role or row permission and returns its id
// (POST role/importDataPermissions).
func (c *Client) ImportDataPermissions(ctx context.Context, req ImportDataPermissionsRequest) (int64, error) {
	if req.Path == nil {
		req.Path = []string{}
	}
	var raw json.RawMessage
	if err := c.call(ctx, epImportDataPerms, nil, req, &raw); err != nil {
		return 0, fmt.Errorf("importing role %q: %w", req.RoleName, err)
	}
	id, err := decodeID(raw)
	if err != nil {
		return 0, fmt.Errorf("importing role %q: %w", req.RoleName, c.badResult(epImportDataPerms, err))
	}
	return id, nil
}

// decodeID reads an id result: a number, a numeric string or {"id": n}.
func decodeID(raw json.RawMessage) (int64, error) {
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, fmt.Errorf("unexpected id: %w", err)
	}
	switch t := v.(type) {
	case json.Number:
		n = t
	case string:
		n = json.Number(t)
	case map[string]any:
		if x, ok := t["id"].(json.Number); ok {
			n = x
		}
	}
	id, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("unexpected id in %s", snippet(raw))
	}
	return id, nil
}

// DelRoles unbinds users from roles, row permissions or system roles (POST
// user/delRoles).
func (c *Client) DelRoles(ctx context.Context, req DelRolesRequest) error {
	if len(req.RoleNames) == 0 && len(req.PermissionRoleNames) == 0 && len(req.SystemRoleIDs) == 0 {
		// Without any of them the server unbinds every role of the users.
		return errors.New("unbinding roles: no roleNames, permissionRoleNames or systemRoleIds (the server would unbind every role)")
	}
	if err := c.call(ctx, epDelRoles, nil, req, nil); err != nil {
		return fmt.Errorf("unbinding roles in project %d: %w", req.ProjectID, err)
	}
	return nil
}

// DeleteRole deletes a role or row permission (POST role/ext/delete).
func (c *Client) DeleteRole(ctx context.Context, req DeleteRoleRequest) error {
	if req.RoleID == 0 && (req.ProjectID == 0 || len(req.Path) == 0) {
		return errors.New("deleting a role: neither roleId nor projectId and path")
	}
	if err := c.call(ctx, epRoleDelete, nil, req, nil); err != nil {
		return fmt.Errorf("deleting role %v: %w", rolePathOrID(req.RoleID, req.Path), err)
	}
	return nil
}

func rolePathOrID(id int64, path []string) string {
	if id != 0 {
		return strconv.FormatInt(id, 10)
	}
	return fmt.Sprintf("%q", path)
}

// AddRoleFolder creates a role or data-permission folder (POST
// role/folder/add) and returns its id. An existing folder of that name is
// an error wrapping ErrAlreadyExists.
func (c *Client) AddRoleFolder(ctx context.Context, req RoleFolderAddRequest) (int64, error) {
	var raw json.RawMessage
	if err := c.call(ctx, epRoleFolderAdd, nil, req, &raw); err != nil {
		return 0, fmt.Errorf("adding folder %q: %w", req.Name, err)
	}
	var repeat struct {
		TitleRepeat bool   `json:"titleRepeat"`
		NewTitle    string `json:"newTitle"`
	}
	if json.Unmarshal(raw, &repeat) == nil && repeat.TitleRepeat {
		return 0, fmt.Errorf("adding folder %q: %w (the server suggests %q)", req.Name, ErrAlreadyExists, repeat.NewTitle)
	}
	id, err := decodeID(raw)
	if err != nil {
		return 0, fmt.Errorf("adding folder %q: %w", req.Name, c.badResult(epRoleFolderAdd, err))
	}
	return id, nil
}

// AddGroup creates a user group (POST group/add) and returns its id.
func (c *Client) AddGroup(ctx context.Context, req GroupAddRequest) (int64, error) {
	if req.Path == nil {
		req.Path = []string{}
	}
	if req.Category == "" {
		req.Category = "editor" // the document: always "editor"
	}
	var raw json.RawMessage
	if err := c.call(ctx, epGroupAdd, nil, req, &raw); err != nil {
		return 0, fmt.Errorf("adding group %q: %w", req.Title, err)
	}
	id, err := decodeID(raw)
	if err != nil {
		return 0, fmt.Errorf("adding group %q: %w", req.Title, c.badResult(epGroupAdd, err))
	}
	return id, nil
}

// UpdateGroup renames a group or changes its description (POST
// group/ext/update).
func (c *Client) UpdateGroup(ctx context.Context, req GroupUpdateRequest) error {
	if req.ID == 0 && (req.ProjectID == 0 || len(req.Path) == 0) {
		return errors.New("updating a group: neither id nor projectId and path")
	}
	if err := c.call(ctx, epGroupUpdate, nil, req, nil); err != nil {
		return fmt.Errorf("updating group %s: %w", rolePathOrID(req.ID, req.Path), err)
	}
	return nil
}

// DeleteGroups deletes groups by ids or one group by path (POST
// group/dels; the document allows either, "跟 ids 二选一").
func (c *Client) DeleteGroups(ctx context.Context, req GroupDelsRequest) error {
	if len(req.Path) == 0 && len(req.IDs) == 0 {
		return errors.New("deleting a group: neither ids nor a path")
	}
	if len(req.Path) > 0 && len(req.IDs) > 0 {
		return errors.New("deleting a group: give ids or a path, not both")
	}
	if err := c.call(ctx, epGroupDels, nil, req, nil); err != nil {
		if len(req.IDs) > 0 {
			return fmt.Errorf("deleting groups %v: %w", req.IDs, err)
		}
		return fmt.Errorf("deleting group %q: %w", req.Path, err)
	}
	return nil
}

// DeleteGroupUsers removes members from a group (POST group/ext/delUsers).
func (c *Client) DeleteGroupUsers(ctx context.Context, req GroupDelUsersRequest) error {
	if req.GroupID == 0 && (req.ProjectID == 0 || len(req.Path) == 0) {
		return errors.New("removing group members: neither groupId nor projectId and path")
	}
	if len(req.UniqueIDs) == 0 && !req.Erase {
		return errors.New("removing group members: no uniqueIds and erase not set")
	}
	if err := c.call(ctx, epGroupDelUsers, nil, req, nil); err != nil {
		return fmt.Errorf("removing members of group %s: %w", rolePathOrID(req.GroupID, req.Path), err)
	}
	return nil
}

// syncOrgBody is what SyncOrg sends: always forceDeleteOrg false, so a
// deleted department with members or children fails instead of being
// deleted recursively with its members frozen.
type syncOrgBody struct {
	CompanyName     string   `json:"companyName,omitempty"`
	UpdatedOrgs     []Org    `json:"updatedOrgs"`
	ForceDeleteOrg  bool     `json:"forceDeleteOrg"`
	DeletedOrgCodes []string `json:"deletedOrgCodes"`
}

// SyncOrg creates, updates and deletes departments (POST
// orgStructure/syncOrg), never forcing a recursive delete.
func (c *Client) SyncOrg(ctx context.Context, req SyncOrgRequest) error {
	body := syncOrgBody{CompanyName: req.CompanyName, UpdatedOrgs: req.UpdatedOrgs, ForceDeleteOrg: false, DeletedOrgCodes: req.DeletedOrgCodes}
	if body.UpdatedOrgs == nil {
		body.UpdatedOrgs = []Org{}
	}
	if body.DeletedOrgCodes == nil {
		body.DeletedOrgCodes = []string{} // required by the server
	}
	if err := c.call(ctx, epSyncOrg, nil, body, nil); err != nil {
		return fmt.Errorf("syncing departments: %w", err)
	}
	return nil
}

// DeleteProjectUsers removes users from a project (POST
// projectUser/delUsersByUniqueIds).
func (c *Client) DeleteProjectUsers(ctx context.Context, req DeleteProjectUsersRequest) error {
	if len(req.UniqueIDs) == 0 {
		return nil
	}
	if err := c.call(ctx, epProjectUserDel, nil, req, nil); err != nil {
		return fmt.Errorf("removing %d users from project %d: %w", len(req.UniqueIDs), req.ProjectID, err)
	}
	return nil
}

// DeleteDomainUsers deletes users from the domain (POST domain/user/delete).
func (c *Client) DeleteDomainUsers(ctx context.Context, uniqueIDs []string) error {
	if len(uniqueIDs) == 0 {
		return nil
	}
	body := struct {
		UniqueIDs []string `json:"uniqueIds"`
	}{uniqueIDs}
	if err := c.call(ctx, epDomainUserDelete, nil, body, nil); err != nil {
		return fmt.Errorf("deleting %d users: %w", len(uniqueIDs), err)
	}
	return nil
}

// AddSystemRole creates a custom system role (POST systemRole/add) and
// returns its id.
func (c *Client) AddSystemRole(ctx context.Context, name, description string) (int64, error) {
	body := struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
	}{name, description}
	var raw json.RawMessage
	if err := c.call(ctx, epSystemRoleAdd, nil, body, &raw); err != nil {
		return 0, fmt.Errorf("adding system role %q: %w", name, err)
	}
	id, err := decodeID(raw)
	if err != nil {
		return 0, fmt.Errorf("adding system role %q: %w", name, c.badResult(epSystemRoleAdd, err))
	}
	return id, nil
}

// UpdateSystemRole renames a custom system role or changes its
// description (POST systemRole/update).
func (c *Client) UpdateSystemRole(ctx context.Context, req SystemRoleUpdateRequest) error {
	if err := c.call(ctx, epSystemRoleUpdate, nil, req, nil); err != nil {
		return fmt.Errorf("updating system role %d: %w", req.ID, err)
	}
	return nil
}

// DeleteSystemRoles deletes custom system roles (POST systemRole/dels).
func (c *Client) DeleteSystemRoles(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	body := struct {
		IDs []int64 `json:"ids"`
	}{ids}
	if err := c.call(ctx, epSystemRoleDels, nil, body, nil); err != nil {
		return fmt.Errorf("deleting system roles %v: %w", ids, err)
	}
	return nil
}

// AddProject creates a project (POST project/add); it needs a member.
func (c *Client) AddProject(ctx context.Context, req ProjectAddRequest) error {
	if len(req.ReceiverList) == 0 {
		return fmt.Errorf("adding project %q: at least one member is required", req.Name)
	}
	if err := c.call(ctx, epProjectAdd, nil, req, nil); err != nil {
		return fmt.Errorf("adding project %q: %w", req.Name, err)
	}
	return nil
}

// UpdateProject renames a project or changes its description (POST
// project/update).
func (c *Client) UpdateProject(ctx context.Context, req ProjectUpdateRequest) error {
	if err := c.call(ctx, epProjectUpdate, nil, req, nil); err != nil {
		return fmt.Errorf("updating project %d: %w", req.ID, err)
	}
	return nil
}

// DeleteProject deletes a project (DELETE project/del). token and
// projectId are sent both in the query string and in a JSON body: the
// document lists them as parameters and shows a JSON body, and servers
// commonly ignore the body of a DELETE.
func (c *Client) DeleteProject(ctx context.Context, projectID int64) error {
	q := url.Values{"projectId": {strconv.FormatInt(projectID, 10)}}
	body := struct {
		ProjectID int64 `json:"projectId"`
	}{projectID}
	if err := c.call(ctx, epProjectDel, q, body, nil); err != nil {
		return fmt.Errorf("deleting project %d: %w", projectID, err)
	}
	return nil
}

// SyncResourceMembers sets the direct members of one resource (POST
// directResourcePerm/syncMembers).
func (c *Client) SyncResourceMembers(ctx context.Context, req SyncMembersRequest) error {
	if req.MemberInfos == nil {
		req.MemberInfos = []MemberInfo{}
	}
	if err := c.call(ctx, epSyncMembers, nil, req, nil); err != nil {
		return fmt.Errorf("syncing members of %s %d: %w", req.ResourceName, req.ResourceID, err)
	}
	return nil
}
