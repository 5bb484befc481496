package quickbi

import (
	"context"
	"sync"

	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// The executor's calls of each facet go through a client of the actions
// that facet needs and no other: a facet's code cannot call what is not
// its own, and a fake for one facet's tests implements a handful of
// methods.

// tagClient writes tag definitions.
type tagClient interface {
	AddUserTagMeta(ctx context.Context, tagName, tagDescription string) (string, error)
	UpdateUserTagMeta(ctx context.Context, tagID, tagName, tagDescription string) error
}

// userClient adds and changes members and their tag values.
type userClient interface {
	AddUser(ctx context.Context, req apiclient.AddUserRequest) (*apiclient.AddedUser, error)
	UpdateUser(ctx context.Context, req apiclient.UpdateUserRequest) error
	UpdateUserTagValue(ctx context.Context, userID, tagID, tagValue string) error
}

// groupClient writes groups and their members.
type groupClient interface {
	CreateUserGroup(ctx context.Context, req apiclient.CreateUserGroupRequest) (string, error)
	UpdateUserGroup(ctx context.Context, req apiclient.UpdateUserGroupRequest) error
	DeleteUserGroup(ctx context.Context, userGroupID string) error
	AddUserGroupMember(ctx context.Context, userGroupID string, userIDs []string) error
	AddUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error
	DeleteUserGroupMember(ctx context.Context, userGroupID, userID string) error
	DeleteUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error
}

// memberClient adds workspace members and sets their roles.
type memberClient interface {
	AddUserToWorkspace(ctx context.Context, workspaceID, userID string, roleID int64) error
	AddWorkspaceUsers(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*apiclient.BatchResult, error)
	UpdateWorkspaceUserRole(ctx context.Context, workspaceID, userID string, roleIDs []int64) error
	UpdateWorkspaceUsersRole(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*apiclient.BatchResult, error)
}

// datasetClient writes rules, miss-hit policies, whitelists and switches.
type datasetClient interface {
	SetDataLevelPermissionRuleConfig(ctx context.Context, rule apiclient.RuleModel) (*apiclient.RuleModel, error)
	SetDataLevelPermissionExtraConfig(ctx context.Context, cubeID, ruleType, missHitPolicy string) error
	SetDataLevelPermissionWhiteList(ctx context.Context, wl apiclient.WhiteList) error
	UpdateDataLevelPermissionStatus(ctx context.Context, cubeID, ruleType string, open bool) error
}

// deleteClient makes the deletions of the delete phases.
type deleteClient interface {
	DeleteDataLevelRuleConfig(ctx context.Context, cubeID, ruleID string) error
	DeleteUserFromWorkspace(ctx context.Context, workspaceID, userID string) error
	DeleteUserGroup(ctx context.Context, userGroupID string) error
	DeleteUser(ctx context.Context, userID, transferUserID string) error
	DeleteUserTagMeta(ctx context.Context, tagID string) error
}

// clients are the executor's narrow clients, all over one counting API.
type clients struct {
	tags     tagClient
	users    userClient
	groups   groupClient
	members  memberClient
	datasets datasetClient
	deletes  deleteClient
}

func newClients(api apiclient.Writer) clients {
	return clients{tags: api, users: api, groups: api, members: api, datasets: api, deletes: api}
}

// countingAPI counts the write calls made through it, per action.
type countingAPI struct {
	apiclient.Writer

	mu    sync.Mutex
	calls map[string]int
}

func newCountingAPI(w apiclient.Writer) *countingAPI {
	return &countingAPI{Writer: w, calls: map[string]int{}}
}

func (c *countingAPI) count(action string) {
	c.mu.Lock()
	c.calls[action]++
	c.mu.Unlock()
}

func (c *countingAPI) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

func (c *countingAPI) AddUser(ctx context.Context, req apiclient.AddUserRequest) (*apiclient.AddedUser, error) {
	c.count("AddUser")
	return c.Writer.AddUser(ctx, req)
}

func (c *countingAPI) UpdateUser(ctx context.Context, req apiclient.UpdateUserRequest) error {
	c.count("UpdateUser")
	return c.Writer.UpdateUser(ctx, req)
}

func (c *countingAPI) DeleteUser(ctx context.Context, userID, transferUserID string) error {
	c.count("DeleteUser")
	return c.Writer.DeleteUser(ctx, userID, transferUserID)
}

func (c *countingAPI) CreateUserGroup(ctx context.Context, req apiclient.CreateUserGroupRequest) (string, error) {
	c.count("CreateUserGroup")
	return c.Writer.CreateUserGroup(ctx, req)
}

func (c *countingAPI) UpdateUserGroup(ctx context.Context, req apiclient.UpdateUserGroupRequest) error {
	c.count("UpdateUserGroup")
	return c.Writer.UpdateUserGroup(ctx, req)
}

func (c *countingAPI) DeleteUserGroup(ctx context.Context, userGroupID string) error {
	c.count("DeleteUserGroup")
	return c.Writer.DeleteUserGroup(ctx, userGroupID)
}

func (c *countingAPI) AddUserGroupMember(ctx context.Context, userGroupID string, userIDs []string) error {
	c.count("AddUserGroupMember")
	return c.Writer.AddUserGroupMember(ctx, userGroupID, userIDs)
}

func (c *countingAPI) AddUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error {
	c.count("AddUserGroupMembers")
	return c.Writer.AddUserGroupMembers(ctx, userID, userGroupIDs)
}

func (c *countingAPI) DeleteUserGroupMember(ctx context.Context, userGroupID, userID string) error {
	c.count("DeleteUserGroupMember")
	return c.Writer.DeleteUserGroupMember(ctx, userGroupID, userID)
}

func (c *countingAPI) DeleteUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error {
	c.count("DeleteUserGroupMembers")
	return c.Writer.DeleteUserGroupMembers(ctx, userID, userGroupIDs)
}

func (c *countingAPI) AddUserToWorkspace(ctx context.Context, workspaceID, userID string, roleID int64) error {
	c.count("AddUserToWorkspace")
	return c.Writer.AddUserToWorkspace(ctx, workspaceID, userID, roleID)
}

func (c *countingAPI) AddWorkspaceUsers(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*apiclient.BatchResult, error) {
	c.count("AddWorkspaceUsers")
	return c.Writer.AddWorkspaceUsers(ctx, workspaceID, userIDs, roleID)
}

func (c *countingAPI) UpdateWorkspaceUserRole(ctx context.Context, workspaceID, userID string, roleIDs []int64) error {
	c.count("UpdateWorkspaceUserRole")
	return c.Writer.UpdateWorkspaceUserRole(ctx, workspaceID, userID, roleIDs)
}

func (c *countingAPI) UpdateWorkspaceUsersRole(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*apiclient.BatchResult, error) {
	c.count("UpdateWorkspaceUsersRole")
	return c.Writer.UpdateWorkspaceUsersRole(ctx, workspaceID, userIDs, roleID)
}

func (c *countingAPI) DeleteUserFromWorkspace(ctx context.Context, workspaceID, userID string) error {
	c.count("DeleteUserFromWorkspace")
	return c.Writer.DeleteUserFromWorkspace(ctx, workspaceID, userID)
}

func (c *countingAPI) AddUserTagMeta(ctx context.Context, tagName, tagDescription string) (string, error) {
	c.count("AddUserTagMeta")
	return c.Writer.AddUserTagMeta(ctx, tagName, tagDescription)
}

func (c *countingAPI) UpdateUserTagMeta(ctx context.Context, tagID, tagName, tagDescription string) error {
	c.count("UpdateUserTagMeta")
	return c.Writer.UpdateUserTagMeta(ctx, tagID, tagName, tagDescription)
}

func (c *countingAPI) DeleteUserTagMeta(ctx context.Context, tagID string) error {
	c.count("DeleteUserTagMeta")
	return c.Writer.DeleteUserTagMeta(ctx, tagID)
}

func (c *countingAPI) UpdateUserTagValue(ctx context.Context, userID, tagID, tagValue string) error {
	c.count("UpdateUserTagValue")
	return c.Writer.UpdateUserTagValue(ctx, userID, tagID, tagValue)
}

func (c *countingAPI) SetDataLevelPermissionRuleConfig(ctx context.Context, rule apiclient.RuleModel) (*apiclient.RuleModel, error) {
	c.count("SetDataLevelPermissionRuleConfig")
	return c.Writer.SetDataLevelPermissionRuleConfig(ctx, rule)
}

func (c *countingAPI) DeleteDataLevelRuleConfig(ctx context.Context, cubeID, ruleID string) error {
	c.count("DeleteDataLevelRuleConfig")
	return c.Writer.DeleteDataLevelRuleConfig(ctx, cubeID, ruleID)
}

func (c *countingAPI) SetDataLevelPermissionExtraConfig(ctx context.Context, cubeID, ruleType, missHitPolicy string) error {
	c.count("SetDataLevelPermissionExtraConfig")
	return c.Writer.SetDataLevelPermissionExtraConfig(ctx, cubeID, ruleType, missHitPolicy)
}

func (c *countingAPI) SetDataLevelPermissionWhiteList(ctx context.Context, wl apiclient.WhiteList) error {
	c.count("SetDataLevelPermissionWhiteList")
	return c.Writer.SetDataLevelPermissionWhiteList(ctx, wl)
}

func (c *countingAPI) UpdateDataLevelPermissionStatus(ctx context.Context, cubeID, ruleType string, open bool) error {
	c.count("UpdateDataLevelPermissionStatus")
	return c.Writer.UpdateDataLevelPermissionStatus(ctx, cubeID, ruleType, open)
}
