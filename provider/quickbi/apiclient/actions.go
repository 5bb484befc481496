package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Actions, and which writes are retried after a retryable failure that may
// have been applied (HTTP 5xx, InternalError, a broken connection). A
// retry repeats a call the server may already have carried out, so only
// writes whose repetition leaves the same state are retried:
//
//	action                                 retried  why
//	reads (Query*, List*)                  yes      no effect
//	UpdateUser, UpdateUserGroup            yes      set the fields sent
//	DeleteUser, DeleteUserGroup            yes      a repeat may answer "not found" (the error says an earlier attempt may have been applied)
//	CreateUserGroup with UserGroupId       yes      the id is the caller's: a repeat answers Duplicate.UserGroup.Id
//	CreateUserGroup without                NO       the server chooses an id: a repeat makes a second group
//	AddUserGroupMember(s)                  yes      membership is a set: adding twice leaves it the same
//	DeleteUserGroupMember(s)               yes      as above
//	AddUserToWorkspace, AddWorkspaceUsers  yes      a member added twice stays one member (a repeat reports AE0150010001)
//	UpdateWorkspaceUser(s)Role             yes      overwrite the roles
//	DeleteUserFromWorkspace                yes      as DeleteUser
//	UpdateUserTagMeta, DeleteUserTagMeta   yes      set / delete by id
//	UpdateUserTagValue                     yes      sets the value
//	SetDataLevelPermissionRuleConfig       yes with a ruleId (update), NO without (creates a rule each time)
//	DeleteDataLevelRuleConfig              yes      delete by id
//	Add/DeleteDataLevelPermissionRuleUsers yes      add / remove people of a set
//	SetDataLevelPermissionExtraConfig,
//	SetDataLevelPermissionWhiteList,
//	UpdateDataLevelPermissionStatus        yes      set / replace
//	DeleteTicket, UpdateTicketNum          yes      delete / set
//	AddUser                                NO       a repeat after success answers NickName.AlreadyIn.Organization
//	AddUserTagMeta                         NO       the server chooses the TagId; a repeat answers TagName.Repeat
//	CreateTicket                           NO       makes a new ticket each time
//	DelayTicketExpireTime                  NO       not documented as setting rather than adding time
//
// Whatever the action, a throttling answer (Throttling, Throttling.User,
// Throttling.Api, HTTP 429) and a connection that could not be made are
// retried: the server did not carry the request out. A write is not
// retried either while its first request may still be running on the
// server (a client-side timeout, HTTP 504).
var (
	acQueryUserList          = action{name: "QueryUserList", get: true}
	acQueryUserInfoByAccount = action{name: "QueryUserInfoByAccount"}
	acQueryUserInfoByUserID  = action{name: "QueryUserInfoByUserId"}
	acListOrganizationRoles  = action{name: "ListOrganizationRoles"}
	acAddUser                = action{name: "AddUser", write: true, idempotent: false}
	acUpdateUser             = action{name: "UpdateUser", write: true, idempotent: true}
	acDeleteUser             = action{name: "DeleteUser", write: true, idempotent: true}

	acQueryUserGroupListByParentID = action{name: "QueryUserGroupListByParentId"}
	acQueryUserGroupMember         = action{name: "QueryUserGroupMember"}
	acListUserGroupsByUserID       = action{name: "ListUserGroupsByUserId"}
	acCreateUserGroup              = action{name: "CreateUserGroup", write: true, idempotent: false}
	acUpdateUserGroup              = action{name: "UpdateUserGroup", write: true, idempotent: true}
	acDeleteUserGroup              = action{name: "DeleteUserGroup", write: true, idempotent: true}
	acAddUserGroupMember           = action{name: "AddUserGroupMember", write: true, idempotent: true}
	acAddUserGroupMembers          = action{name: "AddUserGroupMembers", write: true, idempotent: true}
	acDeleteUserGroupMember        = action{name: "DeleteUserGroupMember", write: true, idempotent: true}
	acDeleteUserGroupMembers       = action{name: "DeleteUserGroupMembers", write: true, idempotent: true}

	acQueryOrganizationWorkspaceList = action{name: "QueryOrganizationWorkspaceList"}
	acQueryWorkspaceUserList         = action{name: "QueryWorkspaceUserList"}
	acListWorkspaceRoles             = action{name: "ListWorkspaceRoles"}
	acListWorkspaceUserRolesByUserID = action{name: "ListWorkspaceUserRolesByUserId"}
	acAddUserToWorkspace             = action{name: "AddUserToWorkspace", write: true, idempotent: true}
	acAddWorkspaceUsers              = action{name: "AddWorkspaceUsers", write: true, idempotent: true}
	acUpdateWorkspaceUserRole        = action{name: "UpdateWorkspaceUserRole", write: true, idempotent: true}
	acUpdateWorkspaceUsersRole       = action{name: "UpdateWorkspaceUsersRole", write: true, idempotent: true}
	acDeleteUserFromWorkspace        = action{name: "DeleteUserFromWorkspace", write: true, idempotent: true}

	acQueryUserTagMetaList  = action{name: "QueryUserTagMetaList", get: true}
	acQueryUserTagValueList = action{name: "QueryUserTagValueList", get: true}
	acAddUserTagMeta        = action{name: "AddUserTagMeta", write: true, idempotent: false}
	acUpdateUserTagMeta     = action{name: "UpdateUserTagMeta", write: true, idempotent: true}
	acDeleteUserTagMeta     = action{name: "DeleteUserTagMeta", write: true, idempotent: true}
	acUpdateUserTagValue    = action{name: "UpdateUserTagValue", write: true, idempotent: true}

	acListCubeDataLevelPermissionConfig  = action{name: "ListCubeDataLevelPermissionConfig"}
	acListDataLevelPermissionWhiteList   = action{name: "ListDataLevelPermissionWhiteList"}
	acQueryDatasetSwitchInfo             = action{name: "QueryDatasetSwitchInfo"}
	acQueryDatasetList                   = action{name: "QueryDatasetList"}
	acSetDataLevelPermissionRuleConfig   = action{name: "SetDataLevelPermissionRuleConfig", write: true, idempotent: false}
	acDeleteDataLevelRuleConfig          = action{name: "DeleteDataLevelRuleConfig", write: true, idempotent: true}
	acAddDataLevelPermissionRuleUsers    = action{name: "AddDataLevelPermissionRuleUsers", write: true, idempotent: true}
	acDeleteDataLevelPermissionRuleUsers = action{name: "DeleteDataLevelPermissionRuleUsers", write: true, idempotent: true}
	acSetDataLevelPermissionExtraConfig  = action{name: "SetDataLevelPermissionExtraConfig", write: true, idempotent: true}
	acSetDataLevelPermissionWhiteList    = action{name: "SetDataLevelPermissionWhiteList", write: true, idempotent: true}
	acUpdateDataLevelPermissionStatus    = action{name: "UpdateDataLevelPermissionStatus", write: true, idempotent: true}

	acQueryTicketInfo       = action{name: "QueryTicketInfo"}
	acCreateTicket          = action{name: "CreateTicket", write: true, idempotent: false}
	acDelayTicketExpireTime = action{name: "DelayTicketExpireTime", write: true, idempotent: false}
	acDeleteTicket          = action{name: "DeleteTicket", write: true, idempotent: true}
	acUpdateTicketNum       = action{name: "UpdateTicketNum", write: true, idempotent: true}
	acQueryWorksByWorkspace = action{name: "QueryWorksByWorkspace"}
)

// allActions lists every action of the client, for tests.
var allActions = []action{
	acQueryUserList, acQueryUserInfoByAccount, acQueryUserInfoByUserID, acListOrganizationRoles, acAddUser, acUpdateUser, acDeleteUser,
	acQueryUserGroupListByParentID, acQueryUserGroupMember, acListUserGroupsByUserID, acCreateUserGroup, acUpdateUserGroup,
	acDeleteUserGroup, acAddUserGroupMember, acAddUserGroupMembers, acDeleteUserGroupMember, acDeleteUserGroupMembers,
	acQueryOrganizationWorkspaceList, acQueryWorkspaceUserList, acListWorkspaceRoles, acListWorkspaceUserRolesByUserID,
	acAddUserToWorkspace, acAddWorkspaceUsers, acUpdateWorkspaceUserRole, acUpdateWorkspaceUsersRole, acDeleteUserFromWorkspace,
	acQueryUserTagMetaList, acQueryUserTagValueList, acAddUserTagMeta, acUpdateUserTagMeta, acDeleteUserTagMeta, acUpdateUserTagValue,
	acListCubeDataLevelPermissionConfig, acListDataLevelPermissionWhiteList, acQueryDatasetSwitchInfo, acQueryDatasetList,
	acSetDataLevelPermissionRuleConfig, acDeleteDataLevelRuleConfig, acAddDataLevelPermissionRuleUsers,
	acDeleteDataLevelPermissionRuleUsers, acSetDataLevelPermissionExtraConfig, acSetDataLevelPermissionWhiteList,
	acUpdateDataLevelPermissionStatus,
	acQueryTicketInfo, acCreateTicket, acDelayTicketExpireTime, acDeleteTicket, acUpdateTicketNum, acQueryWorksByWorkspace,
}

// ---- parameters ----

// params are business parameters, every value a string.
type params map[string]string

func (p params) str(k, v string) {
	if v != "" {
		p[k] = v
	}
}

func (p params) num(k string, v int) {
	if v != 0 {
		p[k] = strconv.Itoa(v)
	}
}

func (p params) flag(k string, v *bool) {
	if v != nil {
		p[k] = strconv.FormatBool(*v)
	}
}

func (p params) optInt(k string, v *int) {
	if v != nil {
		p[k] = strconv.Itoa(*v)
	}
}

// paging sets PageNum and PageSize (0: the server's default).
func (p params) paging(a action, num, size, maxSize int) error {
	if num < 0 {
		return fmt.Errorf("quickbi %s: PageNum %d is negative", a.name, num)
	}
	if size < 0 {
		return fmt.Errorf("quickbi %s: PageSize %d is negative", a.name, size)
	}
	if maxSize > 0 && size > maxSize {
		return fmt.Errorf("quickbi %s: PageSize %d is more than %d", a.name, size, maxSize)
	}
	p.num("PageNum", num)
	p.num("PageSize", size)
	return nil
}

// need reports a missing required parameter.
func need(a action, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return fmt.Errorf("quickbi %s: %s is required", a.name, pairs[i])
		}
	}
	return nil
}

// idList joins ids with commas; an empty id, or one holding a comma, would
// change the list and is refused.
func idList(a action, name string, ids []string, maxLen int) (string, error) {
	if len(ids) == 0 {
		return "", fmt.Errorf("quickbi %s: %s is empty", a.name, name)
	}
	if maxLen > 0 && len(ids) > maxLen {
		return "", fmt.Errorf("quickbi %s: %s holds %d ids, more than %d", a.name, name, len(ids), maxLen)
	}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" || strings.Contains(id, ",") {
			return "", fmt.Errorf("quickbi %s: %s holds an empty id or one with a comma (%q)", a.name, name, id)
		}
	}
	return strings.Join(ids, ","), nil
}

func int64List(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// jsonParam is a parameter that is JSON text inside a string: written
// without HTML escaping (a "<" stays "<"), without a trailing newline.
func jsonParam(a action, name string, v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("quickbi %s: encoding %s: %w", a.name, name, err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func checkRuleType(a action, ruleType string) error {
	if ruleType != RuleTypeRow && ruleType != RuleTypeColumn {
		return fmt.Errorf("quickbi %s: RuleType %q is neither %s nor %s", a.name, ruleType, RuleTypeRow, RuleTypeColumn)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// ---- results ----

// badResult is a success answer whose Result has an unexpected shape. The
// reason may quote the answer, so it is scrubbed.
func (c *Client) badResult(a action, format string, args ...any) *ResponseError {
	return &ResponseError{Action: a.name, HTTPStatus: 200, Reason: c.scrub(fmt.Sprintf(format, args...))}
}

// decode reads the Result into out.
func (c *Client) decode(a action, env *envelope, out any) error {
	if string(bytes.TrimSpace(env.Result)) == "null" {
		return c.badResult(a, "no Result")
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return c.badResult(a, "unexpected Result: %v: %s", err, snippet(env.Result))
	}
	return nil
}

// decodeList reads an array Result; null reads as an empty list.
func decodeList[T any](c *Client, a action, env *envelope) ([]T, error) {
	if string(bytes.TrimSpace(env.Result)) == "null" {
		return []T{}, nil
	}
	var out []T
	if err := json.Unmarshal(env.Result, &out); err != nil {
		return nil, c.badResult(a, "unexpected Result: %v: %s", err, snippet(env.Result))
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

func decodePage[T any](c *Client, a action, env *envelope) (*Page[T], error) {
	var p Page[T]
	if err := c.decode(a, env, &p); err != nil {
		return nil, err
	}
	if p.Data == nil {
		p.Data = []T{}
	}
	return &p, nil
}

// done reads a boolean Result: false means the operation did not take
// effect.
func (c *Client) done(a action, env *envelope) error {
	var ok bool
	if err := json.Unmarshal(env.Result, &ok); err != nil {
		var s string
		if json.Unmarshal(env.Result, &s) != nil || (s != "true" && s != "false") {
			return c.badResult(a, "Result is not a boolean: %s", snippet(env.Result))
		}
		ok = s == "true"
	}
	if !ok {
		return &NotAppliedError{Action: a.name, RequestID: env.RequestID, Reason: "the server answered Result=false (the operation did not take effect)"}
	}
	return nil
}

// id reads a string Result that names what was made; "" means it failed.
func (c *Client) id(a action, env *envelope) (string, error) {
	var s flexString
	if err := json.Unmarshal(env.Result, &s); err != nil {
		return "", c.badResult(a, "Result is not a string: %s", snippet(env.Result))
	}
	if s == "" {
		return "", &NotAppliedError{Action: a.name, RequestID: env.RequestID, Reason: "the server answered an empty id"}
	}
	return string(s), nil
}

// jsonText reads a Result that is JSON text inside a string (an object
// given as such is accepted too) into out.
func (c *Client) jsonText(a action, env *envelope, out any) error {
	raw := bytes.TrimSpace(env.Result)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return c.badResult(a, "unexpected Result: %v", err)
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	if len(raw) == 0 || raw[0] != '{' {
		return c.badResult(a, "Result does not hold a JSON object: %s", snippet(env.Result))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return c.badResult(a, "unexpected JSON in Result: %v: %s", err, snippet(raw))
	}
	return nil
}

// batch reads a batch Result {Total, Success, Failure, FailureDetail}: any
// failure gives a *PartialFailureError beside the result.
func (c *Client) batch(a action, env *envelope) (*BatchResult, error) {
	var raw struct {
		Total         int                        `json:"Total"`
		Success       int                        `json:"Success"`
		Failure       int                        `json:"Failure"`
		FailureDetail map[string]json.RawMessage `json:"FailureDetail"`
	}
	if err := c.decode(a, env, &raw); err != nil {
		return nil, err
	}
	res := &BatchResult{Total: raw.Total, Success: raw.Success, Failure: raw.Failure, FailureDetail: map[string]string{}}
	for id, v := range raw.FailureDetail {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		res.FailureDetail[id] = c.scrub(s)
	}
	if res.Failure == 0 && len(res.FailureDetail) == 0 {
		return res, nil
	}
	pf := &PartialFailureError{Action: a.name, RequestID: env.RequestID, Total: res.Total, Succeeded: res.Success}
	for id, reason := range res.FailureDetail {
		pf.Failures = append(pf.Failures, UserFailure{UserID: id, Reason: reason})
	}
	sort.Slice(pf.Failures, func(i, j int) bool { return pf.Failures[i].UserID < pf.Failures[j].UserID })
	if res.Failure > len(pf.Failures) {
		pf.Unnamed = res.Failure - len(pf.Failures)
	}
	return res, pf
}

// ---- organization users ----

// AddUser adds an organization member (POST, RoleIds in the form body). It
// is not an upsert: look the account up first. Not retried after a
// failure that may have been applied.
func (c *Client) AddUser(ctx context.Context, req AddUserRequest) (*AddedUser, error) {
	a := acAddUser
	if err := need(a, "NickName", req.NickName); err != nil {
		return nil, err
	}
	if req.UserType < UserTypeDeveloper || req.UserType > UserTypeAnalyst {
		return nil, fmt.Errorf("quickbi %s: UserType %d is not 1 (developer), 2 (viewer) or 3 (analyst)", a.name, req.UserType)
	}
	if len(req.RoleIDs) > 3 {
		return nil, fmt.Errorf("quickbi %s: %d RoleIds, at most 3", a.name, len(req.RoleIDs))
	}
	q := params{"NickName": req.NickName, "UserType": strconv.Itoa(req.UserType)}
	q.str("AccountId", req.AccountID)
	q.str("AccountName", req.AccountName)
	q.flag("AdminUser", req.AdminUser)
	q.flag("AuthAdminUser", req.AuthAdminUser)
	if len(req.CopilotModules) > 0 {
		q["CopilotModules"] = strings.Join(req.CopilotModules, ",")
	}
	var form params
	if len(req.RoleIDs) > 0 {
		form = params{"RoleIds": int64List(req.RoleIDs)}
	}
	env, err := c.call(ctx, a, request{query: q, form: form})
	if err != nil {
		return nil, fmt.Errorf("adding user %q: %w", req.NickName, err)
	}
	var u AddedUser
	if err := c.decode(a, env, &u); err != nil {
		return nil, fmt.Errorf("adding user %q: %w", req.NickName, err)
	}
	if u.UserID == "" {
		return nil, fmt.Errorf("adding user %q: %w", req.NickName, c.badResult(a, "no UserId in the Result"))
	}
	return &u, nil
}

// UpdateUser changes the fields set in req (POST).
func (c *Client) UpdateUser(ctx context.Context, req UpdateUserRequest) error {
	a := acUpdateUser
	if err := need(a, "UserId", req.UserID); err != nil {
		return err
	}
	if len(req.RoleIDs) > 3 {
		return fmt.Errorf("quickbi %s: %d RoleIds, at most 3", a.name, len(req.RoleIDs))
	}
	if req.UserType != 0 && (req.UserType < UserTypeDeveloper || req.UserType > UserTypeAnalyst) {
		return fmt.Errorf("quickbi %s: UserType %d is not 1 (developer), 2 (viewer) or 3 (analyst)", a.name, req.UserType)
	}
	q := params{"UserId": req.UserID}
	q.str("NickName", req.NickName)
	q.num("UserType", req.UserType)
	if len(req.RoleIDs) > 0 {
		q["RoleIds"] = int64List(req.RoleIDs)
	}
	q.flag("IsDeleted", req.IsDeleted)
	q.flag("AdminUser", req.AdminUser)
	q.flag("AuthAdminUser", req.AuthAdminUser)
	if req.CopilotModules != nil {
		s, err := jsonParam(a, "CopilotModules", req.CopilotModules)
		if err != nil {
			return err
		}
		q["CopilotModules"] = s
	}
	if len(q) == 1 {
		return fmt.Errorf("quickbi %s: nothing to change for user %s", a.name, req.UserID)
	}
	env, err := c.call(ctx, a, request{query: q})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("updating user %s: %w", req.UserID, err)
	}
	return nil
}

// DeleteUser removes a member from the organization (POST); its works go
// to transferUserID, or to each workspace's owner when it is "".
func (c *Client) DeleteUser(ctx context.Context, userID, transferUserID string) error {
	a := acDeleteUser
	if err := need(a, "UserId", userID); err != nil {
		return err
	}
	q := params{"UserId": userID}
	q.str("TransferUserId", transferUserID)
	env, err := c.call(ctx, a, request{query: q})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("deleting user %s: %w", userID, err)
	}
	return nil
}

// QueryUserList reads one page of organization members (GET).
func (c *Client) QueryUserList(ctx context.Context, req QueryUserListRequest) (*Page[User], error) {
	a := acQueryUserList
	q := params{}
	q.str("Keyword", req.Keyword)
	if err := q.paging(a, req.PageNum, req.PageSize, MaxPageSize); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("listing users (page %d): %w", req.PageNum, err)
	}
	p, err := decodePage[User](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing users (page %d): %w", req.PageNum, err)
	}
	return p, nil
}

// QueryUserInfoByAccount finds a member by account: a primary account
// name, the part of a RAM user name before "@", or a UID (POST).
// parentAccountName, when set, resolves a "duplicate user" error for RAM
// users.
func (c *Client) QueryUserInfoByAccount(ctx context.Context, account, parentAccountName string) (*UserInfo, error) {
	a := acQueryUserInfoByAccount
	if err := need(a, "Account", account); err != nil {
		return nil, err
	}
	q := params{"Account": account}
	q.str("ParentAccountName", parentAccountName)
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("looking up account %q: %w", account, err)
	}
	var u UserInfo
	if err := c.decode(a, env, &u); err != nil {
		return nil, fmt.Errorf("looking up account %q: %w", account, err)
	}
	return &u, nil
}

// QueryUserInfoByUserID reads one member by UserId (POST
// QueryUserInfoByUserId).
func (c *Client) QueryUserInfoByUserID(ctx context.Context, userID string) (*UserInfo, error) {
	a := acQueryUserInfoByUserID
	if err := need(a, "UserId", userID); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"UserId": userID}})
	if err != nil {
		return nil, fmt.Errorf("reading user %s: %w", userID, err)
	}
	var u UserInfo
	if err := c.decode(a, env, &u); err != nil {
		return nil, fmt.Errorf("reading user %s: %w", userID, err)
	}
	return &u, nil
}

// ListOrganizationRoles lists the organization's roles, predefined and
// custom (POST, no parameters).
func (c *Client) ListOrganizationRoles(ctx context.Context) ([]OrganizationRole, error) {
	a := acListOrganizationRoles
	env, err := c.call(ctx, a, request{})
	if err != nil {
		return nil, fmt.Errorf("listing organization roles: %w", err)
	}
	roles, err := decodeList[OrganizationRole](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing organization roles: %w", err)
	}
	return roles, nil
}

// ---- user groups ----

// CreateUserGroup creates a group under a parent (POST) and returns its id.
// With a caller-chosen UserGroupID the call is retried after a failure
// that may have been applied; without one it is not.
func (c *Client) CreateUserGroup(ctx context.Context, req CreateUserGroupRequest) (string, error) {
	a := acCreateUserGroup
	if err := need(a, "UserGroupName", req.UserGroupName, "ParentUserGroupId", req.ParentUserGroupID); err != nil {
		return "", err
	}
	if req.UserGroupID == RootUserGroupID || utf8.RuneCountInString(req.UserGroupID) > 64 {
		return "", fmt.Errorf("quickbi %s: UserGroupId %q must not be %q nor longer than 64 characters", a.name, req.UserGroupID, RootUserGroupID)
	}
	q := params{"UserGroupName": req.UserGroupName, "ParentUserGroupId": req.ParentUserGroupID}
	q.str("UserGroupId", req.UserGroupID)
	q.str("UserGroupDescription", req.UserGroupDescription)
	env, err := c.call(ctx, a, request{query: q, idempotent: ptr(req.UserGroupID != "")})
	var id string
	if err == nil {
		id, err = c.id(a, env)
	}
	if err != nil {
		return "", fmt.Errorf("creating user group %q: %w", req.UserGroupName, err)
	}
	return id, nil
}

// UpdateUserGroup renames a group or changes its description (POST).
func (c *Client) UpdateUserGroup(ctx context.Context, req UpdateUserGroupRequest) error {
	a := acUpdateUserGroup
	if err := need(a, "UserGroupId", req.UserGroupID); err != nil {
		return err
	}
	q := params{"UserGroupId": req.UserGroupID}
	q.str("UserGroupName", req.UserGroupName)
	if req.UserGroupDescription != nil {
		q["UserGroupDescription"] = *req.UserGroupDescription
	}
	if len(q) == 1 {
		return fmt.Errorf("quickbi %s: nothing to change for group %s", a.name, req.UserGroupID)
	}
	env, err := c.call(ctx, a, request{query: q})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("updating user group %s: %w", req.UserGroupID, err)
	}
	return nil
}

// DeleteUserGroup deletes a group that has no child groups (POST).
func (c *Client) DeleteUserGroup(ctx context.Context, userGroupID string) error {
	a := acDeleteUserGroup
	if err := need(a, "UserGroupId", userGroupID); err != nil {
		return err
	}
	if userGroupID == RootUserGroupID {
		return fmt.Errorf("quickbi %s: the root group %q cannot be deleted", a.name, RootUserGroupID)
	}
	env, err := c.call(ctx, a, request{query: params{"UserGroupId": userGroupID}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("deleting user group %s: %w", userGroupID, err)
	}
	return nil
}

// QueryUserGroupListByParentID lists the direct child groups of a group
// (RootUserGroupID for the top level; POST QueryUserGroupListByParentId).
func (c *Client) QueryUserGroupListByParentID(ctx context.Context, parentUserGroupID string) ([]UserGroup, error) {
	a := acQueryUserGroupListByParentID
	if err := need(a, "ParentUserGroupId", parentUserGroupID); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"ParentUserGroupId": parentUserGroupID}})
	if err != nil {
		return nil, fmt.Errorf("listing the child groups of %s: %w", parentUserGroupID, err)
	}
	groups, err := decodeList[UserGroup](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the child groups of %s: %w", parentUserGroupID, err)
	}
	return groups, nil
}

// QueryUserGroupMember lists a group's direct members, users and child
// groups (POST, not paged).
func (c *Client) QueryUserGroupMember(ctx context.Context, userGroupID, keyword string) ([]UserGroupMember, error) {
	a := acQueryUserGroupMember
	if err := need(a, "UserGroupId", userGroupID); err != nil {
		return nil, err
	}
	q := params{"UserGroupId": userGroupID}
	q.str("Keyword", keyword)
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("listing the members of group %s: %w", userGroupID, err)
	}
	m, err := decodeList[UserGroupMember](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the members of group %s: %w", userGroupID, err)
	}
	return m, nil
}

// AddUserGroupMember puts up to 1000 users into one group (POST).
func (c *Client) AddUserGroupMember(ctx context.Context, userGroupID string, userIDs []string) error {
	a := acAddUserGroupMember
	if err := need(a, "UserGroupId", userGroupID); err != nil {
		return err
	}
	list, err := idList(a, "UserIdList", userIDs, 1000)
	if err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"UserGroupId": userGroupID, "UserIdList": list}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("adding %d users to group %s: %w", len(userIDs), userGroupID, err)
	}
	return nil
}

// AddUserGroupMembers puts one user into several groups (POST).
func (c *Client) AddUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error {
	a := acAddUserGroupMembers
	if err := need(a, "UserId", userID); err != nil {
		return err
	}
	list, err := idList(a, "UserGroupIds", userGroupIDs, 0)
	if err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"UserId": userID, "UserGroupIds": list}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("adding user %s to %d groups: %w", userID, len(userGroupIDs), err)
	}
	return nil
}

// DeleteUserGroupMember takes one user out of one group (POST).
func (c *Client) DeleteUserGroupMember(ctx context.Context, userGroupID, userID string) error {
	a := acDeleteUserGroupMember
	if err := need(a, "UserGroupId", userGroupID, "UserId", userID); err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"UserGroupId": userGroupID, "UserId": userID}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("removing user %s from group %s: %w", userID, userGroupID, err)
	}
	return nil
}

// DeleteUserGroupMembers takes one user out of several groups (POST).
func (c *Client) DeleteUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error {
	a := acDeleteUserGroupMembers
	if err := need(a, "UserId", userID); err != nil {
		return err
	}
	list, err := idList(a, "UserGroupIds", userGroupIDs, 0)
	if err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"UserId": userID, "UserGroupIds": list}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("removing user %s from %d groups: %w", userID, len(userGroupIDs), err)
	}
	return nil
}

// ListUserGroupsByUserID lists the groups a user belongs to (POST
// ListUserGroupsByUserId).
func (c *Client) ListUserGroupsByUserID(ctx context.Context, userID string) ([]UserGroupOfUser, error) {
	a := acListUserGroupsByUserID
	if err := need(a, "UserId", userID); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"UserId": userID}})
	if err != nil {
		return nil, fmt.Errorf("listing the groups of user %s: %w", userID, err)
	}
	g, err := decodeList[UserGroupOfUser](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the groups of user %s: %w", userID, err)
	}
	return g, nil
}

// ---- workspaces ----

// QueryOrganizationWorkspaceList reads one page of workspaces (POST).
func (c *Client) QueryOrganizationWorkspaceList(ctx context.Context, req QueryWorkspaceListRequest) (*Page[Workspace], error) {
	a := acQueryOrganizationWorkspaceList
	q := params{}
	q.str("Keyword", req.Keyword)
	q.str("UserId", req.UserID)
	if err := q.paging(a, req.PageNum, req.PageSize, MaxPageSize); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("listing workspaces (page %d): %w", req.PageNum, err)
	}
	p, err := decodePage[Workspace](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing workspaces (page %d): %w", req.PageNum, err)
	}
	return p, nil
}

// QueryWorkspaceUserList reads one page of a workspace's members (POST).
func (c *Client) QueryWorkspaceUserList(ctx context.Context, req QueryWorkspaceUserListRequest) (*Page[WorkspaceUser], error) {
	a := acQueryWorkspaceUserList
	if err := need(a, "WorkspaceId", req.WorkspaceID); err != nil {
		return nil, err
	}
	q := params{"WorkspaceId": req.WorkspaceID}
	q.str("Keyword", req.Keyword)
	if err := q.paging(a, req.PageNum, req.PageSize, MaxPageSize); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("listing the members of workspace %s (page %d): %w", req.WorkspaceID, req.PageNum, err)
	}
	p, err := decodePage[WorkspaceUser](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the members of workspace %s (page %d): %w", req.WorkspaceID, req.PageNum, err)
	}
	return p, nil
}

// AddUserToWorkspace adds one member with one role (POST): a predefined
// role id, or a custom one (Quick BI 6.0.3 and later).
func (c *Client) AddUserToWorkspace(ctx context.Context, workspaceID, userID string, roleID int64) error {
	a := acAddUserToWorkspace
	if err := need(a, "WorkspaceId", workspaceID, "UserId", userID); err != nil {
		return err
	}
	if roleID <= 0 {
		return fmt.Errorf("quickbi %s: RoleId %d is not a role id", a.name, roleID)
	}
	q := params{"WorkspaceId": workspaceID, "UserId": userID, "RoleId": strconv.FormatInt(roleID, 10)}
	env, err := c.call(ctx, a, request{query: q})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("adding user %s to workspace %s: %w", userID, workspaceID, err)
	}
	return nil
}

// AddWorkspaceUsers adds many members with one predefined role (POST). Any
// failure in FailureDetail (an existing member reports AE0150010001) gives
// a *PartialFailureError beside the result; the other users were added.
func (c *Client) AddWorkspaceUsers(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*BatchResult, error) {
	a := acAddWorkspaceUsers
	if err := need(a, "WorkspaceId", workspaceID); err != nil {
		return nil, err
	}
	if err := checkPredefinedWorkspaceRole(a, roleID); err != nil {
		return nil, err
	}
	list, err := idList(a, "UserIds", userIDs, 0)
	if err != nil {
		return nil, err
	}
	q := params{"WorkspaceId": workspaceID, "UserIds": list, "RoleId": strconv.FormatInt(roleID, 10)}
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("adding %d users to workspace %s: %w", len(userIDs), workspaceID, err)
	}
	res, err := c.batch(a, env)
	if err != nil {
		return res, fmt.Errorf("adding %d users to workspace %s: %w", len(userIDs), workspaceID, err)
	}
	return res, nil
}

func checkPredefinedWorkspaceRole(a action, roleID int64) error {
	switch roleID {
	case WorkspaceRoleAdmin, WorkspaceRoleDeveloper, WorkspaceRoleAnalyst, WorkspaceRoleViewer:
		return nil
	}
	return fmt.Errorf("quickbi %s: RoleId %d is not a predefined workspace role (25, 26, 27, 30)", a.name, roleID)
}

// UpdateWorkspaceUserRole sets one member's roles, replacing the ones it
// had (POST, RoleIds).
func (c *Client) UpdateWorkspaceUserRole(ctx context.Context, workspaceID, userID string, roleIDs []int64) error {
	a := acUpdateWorkspaceUserRole
	if err := need(a, "WorkspaceId", workspaceID, "UserId", userID); err != nil {
		return err
	}
	if len(roleIDs) == 0 {
		return fmt.Errorf("quickbi %s: no RoleIds", a.name)
	}
	q := params{"WorkspaceId": workspaceID, "UserId": userID, "RoleIds": int64List(roleIDs)}
	env, err := c.call(ctx, a, request{query: q})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("setting the roles of user %s in workspace %s: %w", userID, workspaceID, err)
	}
	return nil
}

// UpdateWorkspaceUsersRole sets many members to one predefined role
// (POST); failures come as for AddWorkspaceUsers.
func (c *Client) UpdateWorkspaceUsersRole(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*BatchResult, error) {
	a := acUpdateWorkspaceUsersRole
	if err := need(a, "WorkspaceId", workspaceID); err != nil {
		return nil, err
	}
	if err := checkPredefinedWorkspaceRole(a, roleID); err != nil {
		return nil, err
	}
	list, err := idList(a, "UserIds", userIDs, 0)
	if err != nil {
		return nil, err
	}
	q := params{"WorkspaceId": workspaceID, "UserIds": list, "RoleId": strconv.FormatInt(roleID, 10)}
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("setting the role of %d users in workspace %s: %w", len(userIDs), workspaceID, err)
	}
	res, err := c.batch(a, env)
	if err != nil {
		return res, fmt.Errorf("setting the role of %d users in workspace %s: %w", len(userIDs), workspaceID, err)
	}
	return res, nil
}

// DeleteUserFromWorkspace removes one member (POST); the owner cannot be
// removed.
func (c *Client) DeleteUserFromWorkspace(ctx context.Context, workspaceID, userID string) error {
	a := acDeleteUserFromWorkspace
	if err := need(a, "WorkspaceId", workspaceID, "UserId", userID); err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"WorkspaceId": workspaceID, "UserId": userID}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("removing user %s from workspace %s: %w", userID, workspaceID, err)
	}
	return nil
}

// ListWorkspaceRoles lists a workspace's roles, predefined and custom
// (POST).
func (c *Client) ListWorkspaceRoles(ctx context.Context, workspaceID string) ([]WorkspaceRole, error) {
	a := acListWorkspaceRoles
	if err := need(a, "WorkspaceId", workspaceID); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"WorkspaceId": workspaceID}})
	if err != nil {
		return nil, fmt.Errorf("listing the roles of workspace %s: %w", workspaceID, err)
	}
	roles, err := decodeList[WorkspaceRole](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the roles of workspace %s: %w", workspaceID, err)
	}
	return roles, nil
}

// ListWorkspaceUserRolesByUserID lists every workspace role of a user
// (POST ListWorkspaceUserRolesByUserId).
func (c *Client) ListWorkspaceUserRolesByUserID(ctx context.Context, userID string) ([]WorkspaceRolesOfUser, error) {
	a := acListWorkspaceUserRolesByUserID
	if err := need(a, "UserId", userID); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"UserId": userID}})
	if err != nil {
		return nil, fmt.Errorf("listing the workspace roles of user %s: %w", userID, err)
	}
	roles, err := decodeList[WorkspaceRolesOfUser](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the workspace roles of user %s: %w", userID, err)
	}
	return roles, nil
}

// ---- user tags ----

// AddUserTagMeta defines a tag (POST) and returns its TagId. Not retried
// after a failure that may have been applied.
func (c *Client) AddUserTagMeta(ctx context.Context, tagName, tagDescription string) (string, error) {
	a := acAddUserTagMeta
	if err := need(a, "TagName", tagName); err != nil {
		return "", err
	}
	q := params{"TagName": tagName}
	q.str("TagDescription", tagDescription)
	env, err := c.call(ctx, a, request{query: q})
	var id string
	if err == nil {
		id, err = c.id(a, env)
	}
	if err != nil {
		return "", fmt.Errorf("adding tag %q: %w", tagName, err)
	}
	return id, nil
}

// UpdateUserTagMeta renames a tag and sets its description (POST).
func (c *Client) UpdateUserTagMeta(ctx context.Context, tagID, tagName, tagDescription string) error {
	a := acUpdateUserTagMeta
	if err := need(a, "TagId", tagID, "TagName", tagName); err != nil {
		return err
	}
	q := params{"TagId": tagID, "TagName": tagName}
	q.str("TagDescription", tagDescription)
	env, err := c.call(ctx, a, request{query: q})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("updating tag %s: %w", tagID, err)
	}
	return nil
}

// DeleteUserTagMeta deletes a tag (POST).
func (c *Client) DeleteUserTagMeta(ctx context.Context, tagID string) error {
	a := acDeleteUserTagMeta
	if err := need(a, "TagId", tagID); err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"TagId": tagID}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("deleting tag %s: %w", tagID, err)
	}
	return nil
}

// QueryUserTagMetaList lists the tag definitions (GET, no parameters).
func (c *Client) QueryUserTagMetaList(ctx context.Context) ([]UserTagMeta, error) {
	a := acQueryUserTagMetaList
	env, err := c.call(ctx, a, request{})
	if err != nil {
		return nil, fmt.Errorf("listing tags: %w", err)
	}
	tags, err := decodeList[UserTagMeta](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing tags: %w", err)
	}
	return tags, nil
}

// UpdateUserTagValue sets a member's value of a tag (POST): several
// values comma-separated, at most 3000 characters; TagValueClear clears it.
func (c *Client) UpdateUserTagValue(ctx context.Context, userID, tagID, tagValue string) error {
	a := acUpdateUserTagValue
	if err := need(a, "UserId", userID, "TagId", tagID, "TagValue", tagValue); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(tagValue); n > 3000 {
		return fmt.Errorf("quickbi %s: TagValue of %d characters, at most 3000", a.name, n)
	}
	env, err := c.call(ctx, a, request{query: params{"UserId": userID, "TagId": tagID, "TagValue": tagValue}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("setting tag %s of user %s: %w", tagID, userID, err)
	}
	return nil
}

// QueryUserTagValueList reads a member's tag values (GET).
func (c *Client) QueryUserTagValueList(ctx context.Context, userID string) ([]UserTagValue, error) {
	a := acQueryUserTagValueList
	if err := need(a, "UserId", userID); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"UserId": userID}})
	if err != nil {
		return nil, fmt.Errorf("reading the tags of user %s: %w", userID, err)
	}
	v, err := decodeList[UserTagValue](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("reading the tags of user %s: %w", userID, err)
	}
	return v, nil
}

// ---- row and column permissions ----

// SetDataLevelPermissionRuleConfig creates a rule (no RuleID) or updates
// one (RuleID) with its whole people list (POST, RuleModel as JSON text),
// and returns the saved rule. A create is not retried after a failure
// that may have been applied; an update is.
func (c *Client) SetDataLevelPermissionRuleConfig(ctx context.Context, rule RuleModel) (*RuleModel, error) {
	a := acSetDataLevelPermissionRuleConfig
	if err := need(a, "cubeId", rule.CubeID, "ruleName", rule.RuleName); err != nil {
		return nil, err
	}
	if err := checkRuleType(a, rule.RuleLevelType); err != nil {
		return nil, err
	}
	if rule.RuleTargetScope != RuleScopeAll && rule.RuleTargetScope != RuleScopeOthers {
		return nil, fmt.Errorf("quickbi %s: ruleTargetScope %q is neither %s nor %s", a.name, rule.RuleTargetScope, RuleScopeAll, RuleScopeOthers)
	}
	rule.RuleUsersModel.Users = nonNil(rule.RuleUsersModel.Users)
	rule.RuleUsersModel.UserGroups = nonNil(rule.RuleUsersModel.UserGroups)
	model, err := jsonParam(a, "RuleModel", rule)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("creating rule %q of dataset %s", rule.RuleName, rule.CubeID)
	if rule.RuleID != "" {
		what = fmt.Sprintf("updating rule %s of dataset %s", rule.RuleID, rule.CubeID)
	}
	env, err := c.call(ctx, a, request{query: params{"RuleModel": model}, idempotent: ptr(rule.RuleID != "")})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var saved RuleModel
	if err := c.jsonText(a, env, &saved); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &saved, nil
}

// DeleteDataLevelRuleConfig deletes a rule (POST).
func (c *Client) DeleteDataLevelRuleConfig(ctx context.Context, cubeID, ruleID string) error {
	a := acDeleteDataLevelRuleConfig
	if err := need(a, "CubeId", cubeID, "RuleId", ruleID); err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"CubeId": cubeID, "RuleId": ruleID}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("deleting rule %s of dataset %s: %w", ruleID, cubeID, err)
	}
	return nil
}

type ruleUsersModel struct {
	RuleID   string    `json:"ruleId"`
	CubeID   string    `json:"cubeId"`
	AddModel *ruleRefs `json:"addModel,omitempty"`
	DelModel *ruleRefs `json:"delModel,omitempty"`
}

type ruleRefs struct {
	UserGroups []string `json:"userGroups"`
	Users      []string `json:"users"`
}

func (c *Client) ruleUsers(ctx context.Context, a action, name string, ch RuleUsersChange, add bool) error {
	if err := need(a, "ruleId", ch.RuleID, "cubeId", ch.CubeID); err != nil {
		return err
	}
	if len(ch.Users) == 0 && len(ch.UserGroups) == 0 {
		return fmt.Errorf("quickbi %s: no users or userGroups", a.name)
	}
	m := ruleUsersModel{RuleID: ch.RuleID, CubeID: ch.CubeID}
	refs := &ruleRefs{UserGroups: nonNil(ch.UserGroups), Users: nonNil(ch.Users)}
	verb := "removing people from"
	if add {
		m.AddModel, verb = refs, "adding people to"
	} else {
		m.DelModel = refs
	}
	model, err := jsonParam(a, name, m)
	if err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{name: model}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("%s rule %s of dataset %s: %w", verb, ch.RuleID, ch.CubeID, err)
	}
	return nil
}

// AddDataLevelPermissionRuleUsers adds people to a rule (POST,
// AddUserModel as JSON text).
func (c *Client) AddDataLevelPermissionRuleUsers(ctx context.Context, change RuleUsersChange) error {
	return c.ruleUsers(ctx, acAddDataLevelPermissionRuleUsers, "AddUserModel", change, true)
}

// DeleteDataLevelPermissionRuleUsers removes people from a rule (POST,
// DeleteUserModel as JSON text).
func (c *Client) DeleteDataLevelPermissionRuleUsers(ctx context.Context, change RuleUsersChange) error {
	return c.ruleUsers(ctx, acDeleteDataLevelPermissionRuleUsers, "DeleteUserModel", change, false)
}

// ListCubeDataLevelPermissionConfig reads a dataset's rules of one type
// (POST). The Result is JSON text holding the configuration; both layers
// are decoded.
func (c *Client) ListCubeDataLevelPermissionConfig(ctx context.Context, cubeID, ruleType string) (*CubeDataLevelConfig, error) {
	a := acListCubeDataLevelPermissionConfig
	if err := need(a, "CubeId", cubeID); err != nil {
		return nil, err
	}
	if err := checkRuleType(a, ruleType); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"CubeId": cubeID, "RuleType": ruleType}})
	if err != nil {
		return nil, fmt.Errorf("reading the %s rules of dataset %s: %w", ruleType, cubeID, err)
	}
	var cfg CubeDataLevelConfig
	if err := c.jsonText(a, env, &cfg); err != nil {
		return nil, fmt.Errorf("reading the %s rules of dataset %s: %w", ruleType, cubeID, err)
	}
	if cfg.RuleModels == nil {
		cfg.RuleModels = []RuleModel{}
	}
	return &cfg, nil
}

// SetDataLevelPermissionExtraConfig sets a dataset's miss-hit policy for
// one rule type (POST): MissHitNone or MissHitAll.
func (c *Client) SetDataLevelPermissionExtraConfig(ctx context.Context, cubeID, ruleType, missHitPolicy string) error {
	a := acSetDataLevelPermissionExtraConfig
	if err := need(a, "CubeId", cubeID); err != nil {
		return err
	}
	if err := checkRuleType(a, ruleType); err != nil {
		return err
	}
	if missHitPolicy != MissHitNone && missHitPolicy != MissHitAll {
		return fmt.Errorf("quickbi %s: MissHitPolicy %q is neither %s nor %s", a.name, missHitPolicy, MissHitNone, MissHitAll)
	}
	env, err := c.call(ctx, a, request{query: params{"CubeId": cubeID, "RuleType": ruleType, "MissHitPolicy": missHitPolicy}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("setting the %s miss-hit policy of dataset %s: %w", ruleType, cubeID, err)
	}
	return nil
}

type whiteListModel struct {
	CubeID     string   `json:"cubeId"`
	RuleType   string   `json:"ruleType"`
	UsersModel ruleRefs `json:"usersModel"`
}

// SetDataLevelPermissionWhiteList replaces a dataset's whitelist for one
// rule type (POST, WhiteListModel as JSON text); empty lists clear it.
func (c *Client) SetDataLevelPermissionWhiteList(ctx context.Context, wl WhiteList) error {
	a := acSetDataLevelPermissionWhiteList
	if err := need(a, "cubeId", wl.CubeID); err != nil {
		return err
	}
	if err := checkRuleType(a, wl.RuleType); err != nil {
		return err
	}
	m := whiteListModel{CubeID: wl.CubeID, RuleType: wl.RuleType, UsersModel: ruleRefs{Users: nonNil(wl.UsersModel.Users), UserGroups: nonNil(wl.UsersModel.UserGroups)}}
	model, err := jsonParam(a, "WhiteListModel", m)
	if err != nil {
		return err
	}
	env, err := c.call(ctx, a, request{query: params{"WhiteListModel": model}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("setting the %s whitelist of dataset %s: %w", wl.RuleType, wl.CubeID, err)
	}
	return nil
}

// ListDataLevelPermissionWhiteList reads a dataset's whitelist for one
// rule type (POST).
func (c *Client) ListDataLevelPermissionWhiteList(ctx context.Context, cubeID, ruleType string) (*WhiteList, error) {
	a := acListDataLevelPermissionWhiteList
	if err := need(a, "CubeId", cubeID); err != nil {
		return nil, err
	}
	if err := checkRuleType(a, ruleType); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"CubeId": cubeID, "RuleType": ruleType}})
	if err != nil {
		return nil, fmt.Errorf("reading the %s whitelist of dataset %s: %w", ruleType, cubeID, err)
	}
	var wl WhiteList
	if err := c.decode(a, env, &wl); err != nil {
		return nil, fmt.Errorf("reading the %s whitelist of dataset %s: %w", ruleType, cubeID, err)
	}
	wl.UsersModel.Users = nonNil(wl.UsersModel.Users)
	wl.UsersModel.UserGroups = nonNil(wl.UsersModel.UserGroups)
	return &wl, nil
}

// UpdateDataLevelPermissionStatus switches a dataset's rules of one type on
// or off (POST, IsOpen 1/0).
func (c *Client) UpdateDataLevelPermissionStatus(ctx context.Context, cubeID, ruleType string, open bool) error {
	a := acUpdateDataLevelPermissionStatus
	if err := need(a, "CubeId", cubeID); err != nil {
		return err
	}
	if err := checkRuleType(a, ruleType); err != nil {
		return err
	}
	isOpen := "0"
	if open {
		isOpen = "1"
	}
	env, err := c.call(ctx, a, request{query: params{"CubeId": cubeID, "RuleType": ruleType, "IsOpen": isOpen}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("switching the %s rules of dataset %s %s: %w", ruleType, cubeID, map[bool]string{true: "on", false: "off"}[open], err)
	}
	return nil
}

// QueryDatasetSwitchInfo reads a dataset's row and column switches (POST).
func (c *Client) QueryDatasetSwitchInfo(ctx context.Context, cubeID string) (*DatasetSwitchInfo, error) {
	a := acQueryDatasetSwitchInfo
	if err := need(a, "CubeId", cubeID); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: params{"CubeId": cubeID}})
	if err != nil {
		return nil, fmt.Errorf("reading the switches of dataset %s: %w", cubeID, err)
	}
	var s DatasetSwitchInfo
	if err := c.decode(a, env, &s); err != nil {
		return nil, fmt.Errorf("reading the switches of dataset %s: %w", cubeID, err)
	}
	return &s, nil
}

// QueryDatasetList reads one page of a workspace's datasets, newest first
// (POST).
func (c *Client) QueryDatasetList(ctx context.Context, req QueryDatasetListRequest) (*Page[Dataset], error) {
	a := acQueryDatasetList
	if err := need(a, "WorkspaceId", req.WorkspaceID); err != nil {
		return nil, err
	}
	q := params{"WorkspaceId": req.WorkspaceID}
	q.str("Keyword", req.Keyword)
	q.str("DirectoryId", req.DirectoryID)
	q.flag("WithChildren", req.WithChildren)
	if err := q.paging(a, req.PageNum, req.PageSize, MaxPageSize); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("listing the datasets of workspace %s (page %d): %w", req.WorkspaceID, req.PageNum, err)
	}
	p, err := decodePage[Dataset](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the datasets of workspace %s (page %d): %w", req.WorkspaceID, req.PageNum, err)
	}
	return p, nil
}

// ---- embedding ----

// ErrTicketRequired: an embed-ticket call without a ticket.
var ErrTicketRequired = errors.New("no ticket")

// CreateTicket makes an embed ticket for a work (POST) and returns it. The
// ticket is a bearer secret: it is never shown in Debug output. Not
// retried after a failure that may have been applied.
func (c *Client) CreateTicket(ctx context.Context, req CreateTicketRequest) (string, error) {
	a := acCreateTicket
	if err := need(a, "WorksId", req.WorksID); err != nil {
		return "", err
	}
	switch {
	case req.UserID != "" && req.AccountName != "":
		return "", fmt.Errorf("quickbi %s: give UserId or AccountName, not both", a.name)
	case req.AccountName != "" && req.AccountType == 0:
		return "", fmt.Errorf("quickbi %s: AccountName needs AccountType", a.name)
	case req.TicketNum < 0 || req.TicketNum > 99999:
		return "", fmt.Errorf("quickbi %s: TicketNum %d is outside 1..99999", a.name, req.TicketNum)
	case req.ExpireTime < 0:
		return "", fmt.Errorf("quickbi %s: ExpireTime %d is negative", a.name, req.ExpireTime)
	case utf8.RuneCountInString(req.WatermarkParam) > 50:
		return "", fmt.Errorf("quickbi %s: WatermarkParam longer than 50 characters", a.name)
	}
	q := params{"WorksId": req.WorksID}
	q.str("UserId", req.UserID)
	q.str("AccountName", req.AccountName)
	if req.AccountName != "" {
		q.num("AccountType", req.AccountType)
	}
	q.str("CmptId", req.CmptID)
	q.num("TicketNum", req.TicketNum)
	q.num("ExpireTime", req.ExpireTime)
	q.str("WatermarkParam", req.WatermarkParam)
	if len(req.GlobalParam) > 0 {
		s, err := jsonParam(a, "GlobalParam", req.GlobalParam)
		if err != nil {
			return "", err
		}
		q["GlobalParam"] = s
	}
	env, err := c.call(ctx, a, request{query: q})
	var t string
	if err == nil {
		t, err = c.id(a, env)
	}
	if err != nil {
		return "", fmt.Errorf("creating a ticket for work %s: %w", req.WorksID, err)
	}
	return t, nil
}

// DelayTicketExpireTime extends a ticket by 0..240 minutes (POST). Not
// retried after a failure that may have been applied.
func (c *Client) DelayTicketExpireTime(ctx context.Context, ticket string, expireMinutes int) error {
	a := acDelayTicketExpireTime
	if ticket == "" {
		return fmt.Errorf("quickbi %s: %w", a.name, ErrTicketRequired)
	}
	if expireMinutes < 0 || expireMinutes > 240 {
		return fmt.Errorf("quickbi %s: ExpireTime %d is outside 0..240 minutes", a.name, expireMinutes)
	}
	env, err := c.call(ctx, a, request{query: params{"Ticket": ticket, "ExpireTime": strconv.Itoa(expireMinutes)}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("extending a ticket: %w", err)
	}
	return nil
}

// DeleteTicket deletes a ticket (POST).
func (c *Client) DeleteTicket(ctx context.Context, ticket string) error {
	a := acDeleteTicket
	if ticket == "" {
		return fmt.Errorf("quickbi %s: %w", a.name, ErrTicketRequired)
	}
	env, err := c.call(ctx, a, request{query: params{"Ticket": ticket}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("deleting a ticket: %w", err)
	}
	return nil
}

// QueryTicketInfo reads a ticket (POST).
func (c *Client) QueryTicketInfo(ctx context.Context, ticket string) (*TicketInfo, error) {
	a := acQueryTicketInfo
	if ticket == "" {
		return nil, fmt.Errorf("quickbi %s: %w", a.name, ErrTicketRequired)
	}
	env, err := c.call(ctx, a, request{query: params{"Ticket": ticket}})
	if err != nil {
		return nil, fmt.Errorf("reading a ticket: %w", err)
	}
	var t TicketInfo
	if err := c.decode(a, env, &t); err != nil {
		return nil, fmt.Errorf("reading a ticket: %w", err)
	}
	return &t, nil
}

// UpdateTicketNum sets a ticket's number of uses, 1..99998 (POST).
func (c *Client) UpdateTicketNum(ctx context.Context, ticket string, ticketNum int) error {
	a := acUpdateTicketNum
	if ticket == "" {
		return fmt.Errorf("quickbi %s: %w", a.name, ErrTicketRequired)
	}
	if ticketNum < 1 || ticketNum > 99998 {
		return fmt.Errorf("quickbi %s: TicketNum %d is outside 1..99998", a.name, ticketNum)
	}
	env, err := c.call(ctx, a, request{query: params{"Ticket": ticket, "TicketNum": strconv.Itoa(ticketNum)}})
	if err == nil {
		err = c.done(a, env)
	}
	if err != nil {
		return fmt.Errorf("setting the uses of a ticket: %w", err)
	}
	return nil
}

// ---- works ----

// QueryWorksByWorkspace reads one page of a workspace's works (POST).
func (c *Client) QueryWorksByWorkspace(ctx context.Context, req QueryWorksRequest) (*Page[Work], error) {
	a := acQueryWorksByWorkspace
	if err := need(a, "WorkspaceId", req.WorkspaceID); err != nil {
		return nil, err
	}
	q := params{"WorkspaceId": req.WorkspaceID}
	q.str("WorksType", req.WorksType)
	q.optInt("Status", req.Status)
	q.optInt("ThirdPartAuthFlag", req.ThirdPartAuthFlag)
	// The maximum PageSize of this action is not documented.
	if err := q.paging(a, req.PageNum, req.PageSize, 0); err != nil {
		return nil, err
	}
	env, err := c.call(ctx, a, request{query: q})
	if err != nil {
		return nil, fmt.Errorf("listing the works of workspace %s (page %d): %w", req.WorkspaceID, req.PageNum, err)
	}
	p, err := decodePage[Work](c, a, env)
	if err != nil {
		return nil, fmt.Errorf("listing the works of workspace %s (page %d): %w", req.WorkspaceID, req.PageNum, err)
	}
	return p, nil
}
