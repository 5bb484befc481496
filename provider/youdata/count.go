package youdata

import (
	"context"
	"sync"

	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// countingAPI counts the write calls made through it, per endpoint. Reads
// pass through uncounted.
type countingAPI struct {
	apiclient.API

	mu    sync.Mutex
	calls map[string]int
	total int
}

var _ apiclient.API = (*countingAPI)(nil)

func newCountingAPI(api apiclient.API) *countingAPI {
	return &countingAPI{API: api, calls: map[string]int{}}
}

func (c *countingAPI) count(endpoint string) {
	c.mu.Lock()
	c.calls[endpoint]++
	c.total++
	c.mu.Unlock()
}

// snapshot returns the counts so far and their sum.
func (c *countingAPI) snapshot() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out, c.total
}

func (c *countingAPI) writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Endpoint names as counted in Result.Calls.
const (
	epBatchImport     = "user/batchImport"
	epUserAttrUpdate  = "userAttr/update"
	epImportDataPerms = "role/importDataPermissions"
	epDelRoles        = "user/delRoles"
	epDeleteRole      = "role/ext/delete"
	epAddRoleFolder   = "role/folder/add"
	epAddGroup        = "group/add"
	epUpdateGroup     = "group/ext/update"
	epDeleteGroups    = "group/dels"
	epDeleteGroupUser = "group/ext/delUsers"
	epSyncOrg         = "orgStructure/syncOrg"
	epDelProjectUsers = "projectUser/delUsersByUniqueIds"
	epDelDomainUsers  = "domain/user/delete"
	epAddSystemRole   = "systemRole/add"
	epUpdSystemRole   = "systemRole/update"
	epDelSystemRoles  = "systemRole/dels"
	epAddProject      = "project/add"
	epUpdateProject   = "project/update"
	epDeleteProject   = "project/del"
	epSyncMembers     = "directResourcePerm/syncMembers"
)

func (c *countingAPI) BatchImport(ctx context.Context, req apiclient.BatchImportRequest) ([]apiclient.OrgFailedUser, error) {
	c.count(epBatchImport)
	return c.API.BatchImport(ctx, req)
}

func (c *countingAPI) UpdateUserAttrs(ctx context.Context, req apiclient.UserAttrUpdateRequest) error {
	c.count(epUserAttrUpdate)
	return c.API.UpdateUserAttrs(ctx, req)
}

func (c *countingAPI) ImportDataPermissions(ctx context.Context, req apiclient.ImportDataPermissionsRequest) (int64, error) {
	c.count(epImportDataPerms)
	return c.API.ImportDataPermissions(ctx, req)
}

func (c *countingAPI) DelRoles(ctx context.Context, req apiclient.DelRolesRequest) error {
	c.count(epDelRoles)
	return c.API.DelRoles(ctx, req)
}

func (c *countingAPI) DeleteRole(ctx context.Context, req apiclient.DeleteRoleRequest) error {
	c.count(epDeleteRole)
	return c.API.DeleteRole(ctx, req)
}

func (c *countingAPI) AddRoleFolder(ctx context.Context, req apiclient.RoleFolderAddRequest) (int64, error) {
	c.count(epAddRoleFolder)
	return c.API.AddRoleFolder(ctx, req)
}

func (c *countingAPI) AddGroup(ctx context.Context, req apiclient.GroupAddRequest) (int64, error) {
	c.count(epAddGroup)
	return c.API.AddGroup(ctx, req)
}

func (c *countingAPI) UpdateGroup(ctx context.Context, req apiclient.GroupUpdateRequest) error {
	c.count(epUpdateGroup)
	return c.API.UpdateGroup(ctx, req)
}

func (c *countingAPI) DeleteGroups(ctx context.Context, req apiclient.GroupDelsRequest) error {
	c.count(epDeleteGroups)
	return c.API.DeleteGroups(ctx, req)
}

func (c *countingAPI) DeleteGroupUsers(ctx context.Context, req apiclient.GroupDelUsersRequest) error {
	c.count(epDeleteGroupUser)
	return c.API.DeleteGroupUsers(ctx, req)
}

func (c *countingAPI) SyncOrg(ctx context.Context, req apiclient.SyncOrgRequest) error {
	c.count(epSyncOrg)
	return c.API.SyncOrg(ctx, req)
}

func (c *countingAPI) DeleteProjectUsers(ctx context.Context, req apiclient.DeleteProjectUsersRequest) error {
	c.count(epDelProjectUsers)
	return c.API.DeleteProjectUsers(ctx, req)
}

func (c *countingAPI) DeleteDomainUsers(ctx context.Context, uniqueIDs []string) error {
	c.count(epDelDomainUsers)
	return c.API.DeleteDomainUsers(ctx, uniqueIDs)
}

func (c *countingAPI) AddSystemRole(ctx context.Context, name, description string) (int64, error) {
	c.count(epAddSystemRole)
	return c.API.AddSystemRole(ctx, name, description)
}

func (c *countingAPI) UpdateSystemRole(ctx context.Context, req apiclient.SystemRoleUpdateRequest) error {
	c.count(epUpdSystemRole)
	return c.API.UpdateSystemRole(ctx, req)
}

func (c *countingAPI) DeleteSystemRoles(ctx context.Context, ids []int64) error {
	c.count(epDelSystemRoles)
	return c.API.DeleteSystemRoles(ctx, ids)
}

func (c *countingAPI) AddProject(ctx context.Context, req apiclient.ProjectAddRequest) error {
	c.count(epAddProject)
	return c.API.AddProject(ctx, req)
}

func (c *countingAPI) UpdateProject(ctx context.Context, req apiclient.ProjectUpdateRequest) error {
	c.count(epUpdateProject)
	return c.API.UpdateProject(ctx, req)
}

func (c *countingAPI) DeleteProject(ctx context.Context, projectID int64) error {
	c.count(epDeleteProject)
	return c.API.DeleteProject(ctx, projectID)
}

func (c *countingAPI) SyncResourceMembers(ctx context.Context, req apiclient.SyncMembersRequest) error {
	c.count(epSyncMembers)
	return c.API.SyncResourceMembers(ctx, req)
}
