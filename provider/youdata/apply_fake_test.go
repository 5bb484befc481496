package youdata

import (
	"context"
	"sync"

	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// fakeCall is one write call the fake received.
type fakeCall struct {
	endpoint string
	req      any
}

// fakeAPI records write calls and answers them successfully, unless fail
// says otherwise. With gate set, every write call first announces itself
// on started and then waits for gate to be closed.
type fakeAPI struct {
	mu       sync.Mutex
	calls    []fakeCall
	projects []apiclient.Project
	nextID   int64
	fail     func(endpoint string, req any) error
	orgFails func(req apiclient.BatchImportRequest) []apiclient.OrgFailedUser
	started  chan string
	gate     chan struct{}
}

var _ apiclient.API = (*fakeAPI)(nil)

func (f *fakeAPI) write(endpoint string, req any) (int64, error) {
	if f.started != nil {
		f.started <- endpoint
	}
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{endpoint, req})
	if f.fail != nil {
		if err := f.fail(endpoint, req); err != nil {
			return 0, err
		}
	}
	f.nextID++
	return 1000 + f.nextID, nil
}

// of returns the requests made to one endpoint, in order.
func (f *fakeAPI) of(endpoint string) []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []any
	for _, c := range f.calls {
		if c.endpoint == endpoint {
			out = append(out, c.req)
		}
	}
	return out
}

func (f *fakeAPI) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeAPI) GetAllUsers(context.Context, int, int) ([]apiclient.User, error) { return nil, nil }
func (f *fakeAPI) ListProjects(context.Context) ([]apiclient.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiclient.Project(nil), f.projects...), nil
}
func (f *fakeAPI) ListProjectUsers(context.Context, int64, int, int) ([]apiclient.ProjectUser, int, error) {
	return nil, 0, nil
}
func (f *fakeAPI) ListRoles(context.Context, int64, string) (*apiclient.RoleTree, error) {
	return &apiclient.RoleTree{}, nil
}
func (f *fakeAPI) UserPermissions(context.Context, int64, string) (*apiclient.UserPermissions, error) {
	return &apiclient.UserPermissions{}, nil
}
func (f *fakeAPI) ListSystemRoles(context.Context) ([]apiclient.SystemRole, error) { return nil, nil }

func (f *fakeAPI) BatchImport(_ context.Context, req apiclient.BatchImportRequest) ([]apiclient.OrgFailedUser, error) {
	if _, err := f.write(epBatchImport, req); err != nil {
		return nil, err
	}
	if f.orgFails != nil {
		return f.orgFails(req), nil
	}
	return nil, nil
}
func (f *fakeAPI) UpdateUserAttrs(_ context.Context, req apiclient.UserAttrUpdateRequest) error {
	_, err := f.write(epUserAttrUpdate, req)
	return err
}
func (f *fakeAPI) ImportDataPermissions(_ context.Context, req apiclient.ImportDataPermissionsRequest) (int64, error) {
	return f.write(epImportDataPerms, req)
}
func (f *fakeAPI) DelRoles(_ context.Context, req apiclient.DelRolesRequest) error {
	_, err := f.write(epDelRoles, req)
	return err
}
func (f *fakeAPI) DeleteRole(_ context.Context, req apiclient.DeleteRoleRequest) error {
	_, err := f.write(epDeleteRole, req)
	return err
}
func (f *fakeAPI) AddRoleFolder(_ context.Context, req apiclient.RoleFolderAddRequest) (int64, error) {
	return f.write(epAddRoleFolder, req)
}
func (f *fakeAPI) AddGroup(_ context.Context, req apiclient.GroupAddRequest) (int64, error) {
	return f.write(epAddGroup, req)
}
func (f *fakeAPI) UpdateGroup(_ context.Context, req apiclient.GroupUpdateRequest) error {
	_, err := f.write(epUpdateGroup, req)
	return err
}
func (f *fakeAPI) DeleteGroups(_ context.Context, req apiclient.GroupDelsRequest) error {
	_, err := f.write(epDeleteGroups, req)
	return err
}
func (f *fakeAPI) DeleteGroupUsers(_ context.Context, req apiclient.GroupDelUsersRequest) error {
	_, err := f.write(epDeleteGroupUser, req)
	return err
}
func (f *fakeAPI) SyncOrg(_ context.Context, req apiclient.SyncOrgRequest) error {
	_, err := f.write(epSyncOrg, req)
	return err
}
func (f *fakeAPI) DeleteProjectUsers(_ context.Context, req apiclient.DeleteProjectUsersRequest) error {
	_, err := f.write(epDelProjectUsers, req)
	return err
}
func (f *fakeAPI) DeleteDomainUsers(_ context.Context, ids []string) error {
	_, err := f.write(epDelDomainUsers, ids)
	return err
}
func (f *fakeAPI) AddSystemRole(_ context.Context, name, description string) (int64, error) {
	return f.write(epAddSystemRole, [2]string{name, description})
}
func (f *fakeAPI) UpdateSystemRole(_ context.Context, req apiclient.SystemRoleUpdateRequest) error {
	_, err := f.write(epUpdSystemRole, req)
	return err
}
func (f *fakeAPI) DeleteSystemRoles(_ context.Context, ids []int64) error {
	_, err := f.write(epDelSystemRoles, ids)
	return err
}
func (f *fakeAPI) AddProject(_ context.Context, req apiclient.ProjectAddRequest) error {
	id, err := f.write(epAddProject, req)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.projects = append(f.projects, apiclient.Project{ID: id, Name: req.Name})
	f.mu.Unlock()
	return nil
}
func (f *fakeAPI) UpdateProject(_ context.Context, req apiclient.ProjectUpdateRequest) error {
	_, err := f.write(epUpdateProject, req)
	return err
}
func (f *fakeAPI) DeleteProject(_ context.Context, id int64) error {
	_, err := f.write(epDeleteProject, id)
	return err
}
func (f *fakeAPI) SyncResourceMembers(_ context.Context, req apiclient.SyncMembersRequest) error {
	_, err := f.write(epSyncMembers, req)
	return err
}
