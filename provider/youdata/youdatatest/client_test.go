package youdatatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

const clientSeed = `
admin: {uniqueId: admin, email: admin@example.com}
orgs:
  departments:
    - {code: HQ, name: 总部}
attributes: [{id: 1, name: region}]
users:
  - {uniqueId: alice, email: alice@example.com, nick: Alice}
projects:
  - name: p
    members: [{user: admin, systemRoles: [admin]}, {user: alice}]
`

func ptr[T any](v T) *T { return &v }

// TestClientRoundTrip drives every method of apiclient.Client against the
// simulator: the request shapes of one half must be what the other reads.
func TestClientRoundTrip(t *testing.T) {
	seed, err := youdatatest.ParseSeed([]byte(clientSeed))
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed, TokenKey: "k"})
	defer sim.Close()
	c, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{TokenKey: "k"},
		RPS: -1, Retry: apiclient.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	projects, err := c.ListProjects(ctx)
	must("ListProjects", err)
	if len(projects) != 1 {
		t.Fatalf("projects = %+v", projects)
	}
	pid := projects[0].ID

	srID, err := c.AddSystemRole(ctx, "审计员", "只读")
	must("AddSystemRole", err)
	must("UpdateSystemRole", c.UpdateSystemRole(ctx, apiclient.SystemRoleUpdateRequest{ID: srID, Description: ptr("审计")}))
	srs, err := c.ListSystemRoles(ctx)
	must("ListSystemRoles", err)
	if len(srs) != 1 || srs[0].Description != "审计" {
		t.Fatalf("system roles = %+v", srs)
	}

	must("SyncOrg", c.SyncOrg(ctx, apiclient.SyncOrgRequest{CompanyName: "公司",
		UpdatedOrgs: []apiclient.Org{{OrgCode: "S", Name: "销售", ParentOrgCode: "HQ"}}, DeletedOrgCodes: []string{}}))

	gid, err := c.AddGroup(ctx, apiclient.GroupAddRequest{ProjectID: pid, Title: "组", Path: []string{}, Category: "editor"})
	must("AddGroup", err)
	failed, err := c.BatchImport(ctx, apiclient.BatchImportRequest{ProjectID: pid, GroupIDs: []int64{gid},
		SystemRoleIDs: []int64{2, srID}, ReturnOrgFailedUsers: true,
		Users: []apiclient.ImportUser{{UniqueID: "bob", Nick: ptr("Bob"),
			UserOrgs: []apiclient.UserOrg{{OrgCode: "S", OrgRole: "normal"}},
			Attrs:    []apiclient.AttrValue{{AttrName: "region", AttrValue: &[]string{"华北"}}}}}})
	must("BatchImport", err)
	if len(failed) != 0 {
		t.Fatalf("failed = %+v", failed)
	}
	must("UpdateUserAttrs", c.UpdateUserAttrs(ctx, apiclient.UserAttrUpdateRequest{UniqueID: "bob",
		Attrs: []apiclient.AttrValue{{AttrID: 1, AttrValue: nil}}}))

	rid, err := c.ImportDataPermissions(ctx, apiclient.ImportDataPermissionsRequest{ProjectID: pid, RoleName: "行权限",
		Path: []string{"区域"}, Type: 2, UniqueIDs: []string{"bob"}, GroupNames: []string{"组"}, OrgCodes: []string{"S"},
		UserExpireMap: map[string]string{"bob": "2027-01-01 08:00:00"},
		DataPermissions: []apiclient.DataPermissionWrite{{DataConnectionID: 2010, Mode: "fixed",
			Details: []json.RawMessage{json.RawMessage(`{"tableName":"t","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"f","dataType":"String"},"select":["b","a"]}}`)}}}})
	must("ImportDataPermissions", err)
	roleID, err := c.ImportDataPermissions(ctx, apiclient.ImportDataPermissionsRequest{ProjectID: pid, RoleName: "角色",
		Path: []string{}, Type: 0, UniqueIDs: []string{"bob"}, ImportResourceTypes: []string{"NEW_REPORT"},
		ResourcePermissions: []apiclient.ResourcePermission{{ResourceID: 1, ResourceType: "NEW_REPORT", Permissions: []string{"view"}}}})
	must("ImportDataPermissions (role)", err)

	tree, err := c.ListRoles(ctx, pid, apiclient.RoleTypeRowPermission)
	must("ListRoles", err)
	if len(tree.Folders) != 1 || len(tree.Folders[0].Items) != 1 || tree.Folders[0].Items[0].ID != rid {
		t.Fatalf("row permission tree = %+v", tree)
	}
	perms, err := c.UserPermissions(ctx, pid, "bob")
	must("UserPermissions", err)
	if len(perms.Roles) != 3 || len(perms.RowPermissions) != 1 || len(perms.Groups) != 1 ||
		*perms.RowPermissions[0].ExpiredTime != "2027-01-01T00:00:00.000Z" ||
		perms.RowPermissions[0].DataPermissions[0].ResourceID != 2010 {
		t.Fatalf("permissions = %+v", perms)
	}

	members, total, err := c.ListProjectUsers(ctx, pid, 0, 100)
	must("ListProjectUsers", err)
	if total != 3 || len(members) != 3 || members[2].UniqueID != "bob" || members[2].Category != "editor" {
		t.Fatalf("members = %+v total %d", members, total)
	}
	users, err := c.GetAllUsers(ctx, 0, 100)
	must("GetAllUsers", err)
	if len(users) != 3 || *users[2].Nick != "Bob" {
		t.Fatalf("users = %+v", users)
	}

	must("SyncResourceMembers", c.SyncResourceMembers(ctx, apiclient.SyncMembersRequest{ProjectID: pid,
		ResourceName: "DATA_MODEL", ResourceID: 9, WholeCoverMembers: true,
		MemberInfos: []apiclient.MemberInfo{{Type: "uniqueId", ID: "alice", Permissions: []string{"view"}}}}))
	must("DelRoles", c.DelRoles(ctx, apiclient.DelRolesRequest{ProjectID: pid, UniqueIDs: []string{"bob"},
		PermissionRoleNames: []string{"行权限"}, Path: []string{"区域"}}))
	must("DeleteRole", c.DeleteRole(ctx, apiclient.DeleteRoleRequest{RoleID: roleID}))
	fid, err := c.AddRoleFolder(ctx, apiclient.RoleFolderAddRequest{ProjectID: pid, ManagementType: apiclient.FolderTypeRole, Name: "新文件夹"})
	must("AddRoleFolder", err)
	if fid == 0 {
		t.Fatal("AddRoleFolder returned 0")
	}
	must("UpdateGroup", c.UpdateGroup(ctx, apiclient.GroupUpdateRequest{ID: gid, Description: ptr("说明")}))
	must("DeleteGroupUsers", c.DeleteGroupUsers(ctx, apiclient.GroupDelUsersRequest{ProjectID: pid, Path: []string{"组"}, UniqueIDs: []string{"bob"}}))
	must("DeleteGroups", c.DeleteGroups(ctx, apiclient.GroupDelsRequest{ProjectID: pid, Path: []string{"组"}}))
	must("DeleteProjectUsers", c.DeleteProjectUsers(ctx, apiclient.DeleteProjectUsersRequest{ProjectID: pid, UniqueIDs: []string{"alice"}}))
	must("AddProject", c.AddProject(ctx, apiclient.ProjectAddRequest{Name: "q", ReceiverList: []apiclient.Receiver{{Type: "user", Name: "bob"}}}))
	projects, err = c.ListProjects(ctx)
	must("ListProjects", err)
	q := projects[len(projects)-1].ID
	must("UpdateProject", c.UpdateProject(ctx, apiclient.ProjectUpdateRequest{ID: q, Name: ptr("r")}))
	must("DeleteProject", c.DeleteProject(ctx, q))
	must("DeleteSystemRoles", c.DeleteSystemRoles(ctx, []int64{srID}))
	must("DeleteDomainUsers", c.DeleteDomainUsers(ctx, []string{"bob"}))

	st := sim.Snapshot()
	if st.Company != "公司" || st.Users["bob"] != nil || len(st.Projects) != 1 || len(st.SystemRoles) != 0 {
		t.Fatalf("final state: company %q, %d projects", st.Company, len(st.Projects))
	}

	// The simulator's own errors come back as *apiclient.APIError.
	err = c.DeleteDomainUsers(ctx, []string{"admin"})
	var ae *apiclient.APIError
	if !errors.As(err, &ae) || ae.Code != youdatatest.CodeForbidden {
		t.Fatalf("deleting oneself: %v", err)
	}

	// An expired token is renewed by the client through genToken.
	sim.ExpireTokenAfter(0)
	if _, err := c.ListProjects(ctx); err != nil {
		t.Fatalf("after token expiry: %v", err)
	}
	if sim.Calls()["util/genToken"] < 2 {
		t.Fatalf("calls = %v, want a second genToken", sim.Calls())
	}
}
