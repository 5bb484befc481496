package youdata

import (
	"context"

	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// The executor's calls of each facet go through a client of the endpoints
// that facet needs and no other (peribolos's narrow clients): a facet's
// code cannot call what is not its own, and a fake for one facet's tests
// implements a handful of methods.

// systemRoleClient writes custom system roles.
type systemRoleClient interface {
	AddSystemRole(ctx context.Context, name, description string) (int64, error)
	UpdateSystemRole(ctx context.Context, req apiclient.SystemRoleUpdateRequest) error
}

// orgClient writes the company and the departments.
type orgClient interface {
	SyncOrg(ctx context.Context, req apiclient.SyncOrgRequest) error
}

// userClient upserts users (and joins them to projects on the way).
type userClient interface {
	BatchImport(ctx context.Context, req apiclient.BatchImportRequest) ([]apiclient.OrgFailedUser, error)
}

// projectClient writes projects and their members' system roles.
type projectClient interface {
	AddProject(ctx context.Context, req apiclient.ProjectAddRequest) error
	UpdateProject(ctx context.Context, req apiclient.ProjectUpdateRequest) error
	ListProjects(ctx context.Context) ([]apiclient.Project, error)
	BatchImport(ctx context.Context, req apiclient.BatchImportRequest) ([]apiclient.OrgFailedUser, error)
	DelRoles(ctx context.Context, req apiclient.DelRolesRequest) error
}

// groupClient writes groups and their members.
type groupClient interface {
	AddGroup(ctx context.Context, req apiclient.GroupAddRequest) (int64, error)
	UpdateGroup(ctx context.Context, req apiclient.GroupUpdateRequest) error
	DeleteGroups(ctx context.Context, req apiclient.GroupDelsRequest) error
	DeleteGroupUsers(ctx context.Context, req apiclient.GroupDelUsersRequest) error
	BatchImport(ctx context.Context, req apiclient.BatchImportRequest) ([]apiclient.OrgFailedUser, error)
}

// roleClient writes roles and data permissions and their user bindings.
type roleClient interface {
	ImportDataPermissions(ctx context.Context, req apiclient.ImportDataPermissionsRequest) (int64, error)
	DelRoles(ctx context.Context, req apiclient.DelRolesRequest) error
	DeleteRole(ctx context.Context, req apiclient.DeleteRoleRequest) error
	DeleteGroups(ctx context.Context, req apiclient.GroupDelsRequest) error
}

// resourceClient writes the direct members of resources.
type resourceClient interface {
	SyncResourceMembers(ctx context.Context, req apiclient.SyncMembersRequest) error
}

// deleteClient makes the deletions of the delete phases.
type deleteClient interface {
	DeleteDomainUsers(ctx context.Context, uniqueIDs []string) error
	DeleteProject(ctx context.Context, projectID int64) error
	DeleteProjectUsers(ctx context.Context, req apiclient.DeleteProjectUsersRequest) error
	DeleteSystemRoles(ctx context.Context, ids []int64) error
	DeleteGroups(ctx context.Context, req apiclient.GroupDelsRequest) error
	DeleteRole(ctx context.Context, req apiclient.DeleteRoleRequest) error
	DelRoles(ctx context.Context, req apiclient.DelRolesRequest) error
	SyncOrg(ctx context.Context, req apiclient.SyncOrgRequest) error
}

// clients are the executor's narrow clients, all over one counting API.
type clients struct {
	sysRoles  systemRoleClient
	orgs      orgClient
	users     userClient
	projects  projectClient
	groups    groupClient
	roles     roleClient
	resources resourceClient
	deletes   deleteClient
}

func newClients(api apiclient.API) clients {
	return clients{sysRoles: api, orgs: api, users: api, projects: api, groups: api, roles: api, resources: api, deletes: api}
}
