package apiclient

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden request bodies in testdata/requests")

func ptr[T any](v T) *T { return &v }

// methodCase is one client method against a handler answering answer.
type methodCase struct {
	name   string            // golden name for writes: testdata/requests/<name>.json
	method string            // expected HTTP method
	path   string            // expected path under /api/dash/
	query  map[string]string // expected query parameters besides the token
	answer string            // the server's answer
	call   func(ctx context.Context, c *Client) (any, error)
	want   any // the method's result
}

// docDetails reads the "details" of each dataPermissions entry of the
// document's example, so the data-permission golden carries the document's
// (opaque to the client) detail objects.
func docDetails(t *testing.T) [][]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/doc/role/importDataPermissions.data.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		DataPermissions []struct {
			Details []json.RawMessage `json:"details"`
		} `json:"dataPermissions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out [][]json.RawMessage
	for _, dp := range doc.DataPermissions {
		out = append(out, dp.Details)
	}
	return out
}

func methodCases(t *testing.T) []methodCase {
	details := docDetails(t)
	expire := "2027-10-10 10:00:00"
	return []methodCase{
		// ---- reads ----
		{
			name: "user/getAllUsers", method: "GET", path: "user/getAllUsers",
			query:  map[string]string{"offset": "20", "limit": "10"},
			answer: `{"code":200,"result":[{"id":1,"email":"email1@163.com","nick":"Jack","phone":"13136123456","uniqueId":"email1@163.com","customInfo":"用户自定义信息"},{"id":3,"email":"email3@163.com","nick":"Sam","phone":null,"uniqueId":"email3@163.com"}],"logPath":"http://x/log"}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.GetAllUsers(ctx, 20, 10) },
			want: []User{
				{ID: 1, Email: ptr("email1@163.com"), Nick: ptr("Jack"), Phone: ptr("13136123456"), UniqueID: "email1@163.com", CustomInfo: json.RawMessage(`"用户自定义信息"`)},
				{ID: 3, Email: ptr("email3@163.com"), Nick: ptr("Sam"), UniqueID: "email3@163.com"},
			},
		},
		{
			name: "project/list", method: "GET", path: "project/list",
			answer: `{"code":200,"result":{"list":[{"id":3,"name":"我的项目","description":"我的demo项目"}],"count":1}}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.ListProjects(ctx) },
			want:   []Project{{ID: 3, Name: "我的项目", Description: "我的demo项目"}},
		},
		{
			name: "projectUser/list", method: "GET", path: "projectUser/list",
			query:  map[string]string{"projectId": "1", "offset": "0", "limit": "20"},
			answer: `{"code":200,"result":{"list":[{"id":90501,"userId":11836,"directLeaderId":null,"email":"konglei@corp.netease.com","nick":"孔磊","uniqueId":"konglei@corp.netease.com","domainRole":3,"active":1,"category":"editor","isMajor":0}],"total":76}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				m, total, err := c.ListProjectUsers(ctx, 1, 0, 20)
				return []any{m, total}, err
			},
			want: []any{[]ProjectUser{{ID: 90501, UserID: 11836, Email: "konglei@corp.netease.com", Nick: "孔磊", UniqueID: "konglei@corp.netease.com", Category: "editor", Active: 1}}, 76},
		},
		{
			name: "role/list", method: "GET", path: "role/list",
			query:  map[string]string{"projectId": "1", "type": "ROW_PERMISSION"},
			answer: `{"code":200,"result":{"folders":[{"id":35,"type":"ROLE","name":"name1","isFolder":1,"projectId":1,"parentId":0,"items":[{"id":2682,"projectId":1,"type":2,"name":"2","description":"","folderId":35,"isFolder":0}],"folders":[]}],"items":[{"id":2665,"projectId":1,"type":2,"name":"1","description":"d","folderId":0,"isFolder":0}]}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListRoles(ctx, 1, RoleTypeRowPermission)
			},
			want: &RoleTree{
				Folders: []RoleFolder{{ID: 35, Type: "ROLE", Name: "name1", ProjectID: 1, Items: []RoleItem{{ID: 2682, ProjectID: 1, Type: 2, Name: "2", FolderID: 35}}, Folders: []RoleFolder{}}},
				Items:   []RoleItem{{ID: 2665, ProjectID: 1, Type: 2, Name: "1", Description: "d"}},
			},
		},
		{
			name: "user/permissions", method: "GET", path: "user/permissions",
			query:  map[string]string{"projectId": "7", "uniqueId": "a@x.com"},
			answer: `{"code":200,"result":{"roles":[{"id":1,"name":"项目管理员","type":1,"expiredTime":null}],"rowPermissions":[{"id":190,"name":"r","type":2,"expiredTime":"2025-07-24T16:00:00.000Z","dataPermissions":[{"details":[{"a":1}],"mode":"fixed","rule":"or","type":"row","resourceId":700315840,"resourceCategory":3,"roleId":26360}]}],"groups":[{"id":50,"name":"用户组1"}]}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UserPermissions(ctx, 7, "a@x.com")
			},
			want: &UserPermissions{
				Roles: []UserRole{{ID: 1, Name: "项目管理员", Type: 1}},
				RowPermissions: []UserRowPerm{{ID: 190, Name: "r", Type: 2, ExpiredTime: ptr("2025-07-24T16:00:00.000Z"),
					DataPermissions: []DataPermissionRead{{Details: []json.RawMessage{json.RawMessage(`{"a":1}`)}, Mode: "fixed", Rule: "or", Type: "row", ResourceID: 700315840, ResourceCategory: 3, RoleID: 26360}}}},
				Groups: []UserGroupRef{{ID: 50, Name: "用户组1"}},
			},
		},
		{
			name: "systemRole/list", method: "POST", path: "systemRole/list",
			answer: `[{"name":"xxx","id":1,"domainId":1,"description":"d"}]`, // as the document shows it
			call:   func(ctx context.Context, c *Client) (any, error) { return c.ListSystemRoles(ctx) },
			want:   []SystemRole{{ID: 1, Name: "xxx", DomainID: 1, Description: "d"}},
		},
		// ---- writes ----
		{
			name: "user/batchImport", method: "POST", path: "user/batchImport",
			answer: `{"code":200,"result":"ok"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.BatchImport(ctx, BatchImportRequest{
					Users: []ImportUser{{
						Email: ptr("zhangsan@163.com"), Phone: ptr("15977765765"), UniqueID: "20", Nick: ptr("张三"),
						Department: ptr("有数"), NetworkConfig: &NetworkConfig{AllowExternal: true}, IfLeave: ptr(0),
						Attrs: []AttrValue{
							{AttrID: 1, AttrValue: &[]string{"东北", "华北"}},
							{AttrID: 2, AttrValue: &[]string{"男"}},
							{AttrID: 5, AttrValue: &[]string{}},
							{AttrID: 8, AttrValue: nil},
						},
					}},
					GroupIDs:            []int64{1, 2, 3},
					RoleNames:           []string{"角色1", "角色2"},
					RolePaths:           [][]string{{"smartdata", "0"}, {"smartdata", "1"}},
					PermissionRoleNames: []string{"行级角色1", "行级角色2"},
				})
			},
			want: []OrgFailedUser(nil),
		},
		{
			name: "user/batchImport.userOrgs", method: "POST", path: "user/batchImport",
			answer: `{"code":200,"result":[{"uniqueId":"maomao","message":"code1 dosen't exist!"}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.BatchImport(ctx, BatchImportRequest{
					Users:                []ImportUser{{UniqueID: "wanglibing6@admin.com", UserOrgs: []UserOrg{{OrgCode: "4BnnSF6KcKnY", OrgRole: "normal"}}}},
					ReturnOrgFailedUsers: true,
				})
			},
			want: []OrgFailedUser{{UniqueID: "maomao", Message: "code1 dosen't exist!"}},
		},
		{
			name: "userAttr/update", method: "POST", path: "userAttr/update",
			answer: `{"code":200,"result":"ok"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateUserAttrs(ctx, UserAttrUpdateRequest{UserID: 141, Attrs: []AttrValue{
					{AttrID: 1, AttrValue: &[]string{"武汉大学", "黄冈师范学院"}}, {AttrID: 3, AttrValue: &[]string{}}, {AttrID: 5},
				}})
			},
		},
		{
			name: "role/importDataPermissions.resource", method: "POST", path: "role/importDataPermissions",
			answer: `{"code":200,"result":1}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ImportDataPermissions(ctx, ImportDataPermissionsRequest{
					UniqueIDs:      []string{"xiaozhupeiqi@corp.netease.com", "xiaozhupeiqi2@corp.netease.com"},
					UserExpireMap:  map[string]string{"xiaozhupeiqi@corp.netease.com": expire},
					GroupNames:     []string{"5月10号用户组"},
					GroupExpireMap: map[string]string{"5月10号用户组": expire},
					OrgCodes:       []string{"rC57m4iRY5e3"},
					OrgExpireMap:   map[string]string{"rC57m4iRY5e3": expire},
					ProjectID:      63666,
					RoleName:       "5月10号角色", Description: ptr("5月10号角色"), Type: RoleKindLevel1,
					ImportResourceTypes: []string{"DATA_CONNECTION", "NEW_REPORT"},
					ResourcePermissions: []ResourcePermission{
						{ResourceID: 2010, ResourceNamePaths: []string{"lidasong", "3.9"}, ResourceType: "DATA_CONNECTION", Permissions: []string{"view", "edit"}},
						{ResourceNamePaths: []string{"lly"}, ResourceType: "NEW_REPORT", IsFolder: 1, Permissions: []string{"view", "edit"}},
					},
				})
			},
			want: int64(1),
		},
		{
			name: "role/importDataPermissions.data", method: "POST", path: "role/importDataPermissions",
			answer: `{"code":200,"result":26360}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ImportDataPermissions(ctx, ImportDataPermissionsRequest{
					UniqueIDs:      []string{"xiaozhupeiqi@corp.netease.com", "xiaozhupeiqi2@corp.netease.com"},
					UserExpireMap:  map[string]string{"xiaozhupeiqi@corp.netease.com": expire},
					GroupNames:     []string{"5月10号用户组"},
					GroupExpireMap: map[string]string{"5月10号用户组": expire},
					OrgCodes:       []string{"rC57m4iRY5e3"},
					OrgExpireMap:   map[string]string{"rC57m4iRY5e3": expire},
					ProjectID:      63666,
					RoleName:       "5月10号行级权限", Description: ptr("5月10号行级权限"), Type: RoleKindRowPerm,
					DataPermissions: []DataPermissionWrite{
						{Mode: "dynamic", DataConnectionID: 2010, Details: details[0]},
						{Mode: "fixed", DataConnectionID: 2010, Details: details[1]},
						{Mode: "fixed", DataConnectionID: 700310177, Details: details[2], Type: "column"},
						{Mode: "fixed", DataConnectionID: 700310177, Details: details[3], Type: "table"},
					},
				})
			},
			want: int64(26360),
		},
		{
			name: "user/delRoles", method: "POST", path: "user/delRoles",
			answer: `{"code":200,"result":{"fieldCount":0,"affectedRows":1}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DelRoles(ctx, DelRolesRequest{UniqueIDs: []string{"wanlibing@admin.com"}, ProjectID: 427, RoleNames: []string{"文件角色123"}, Path: []string{"文件夹1"}})
			},
		},
		{
			name: "role/ext/delete", method: "POST", path: "role/ext/delete",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteRole(ctx, DeleteRoleRequest{ProjectID: 1, Path: []string{"文件夹1", "角色1"}})
			},
		},
		{
			name: "role/folder/add", method: "POST", path: "role/folder/add",
			answer: `{"code":200,"result":{"id":88}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddRoleFolder(ctx, RoleFolderAddRequest{ProjectID: 64233, ParentID: 0, ManagementType: FolderTypeDataPerm, Name: "测试数据权限文件夹"})
			},
			want: int64(88),
		},
		{
			name: "group/add", method: "POST", path: "group/add",
			answer: `{"code":200,"result":123}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddGroup(ctx, GroupAddRequest{ProjectID: 1, Title: "用户组1", Description: "用户组1的描述", Path: []string{"文件夹1"}})
			},
			want: int64(123),
		},
		{
			name: "group/ext/update.path", method: "POST", path: "group/ext/update",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateGroup(ctx, GroupUpdateRequest{ProjectID: 1, Path: []string{"文件夹1", "用户组2"}, Title: ptr("用户组1"), Description: ptr("用户组1的描述")})
			},
		},
		{
			name: "group/ext/update.id", method: "POST", path: "group/ext/update",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateGroup(ctx, GroupUpdateRequest{ID: 300, Title: ptr("用户组1"), Description: ptr("用户组1的描述")})
			},
		},
		{
			name: "group/dels", method: "POST", path: "group/dels",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteGroups(ctx, GroupDelsRequest{ProjectID: 1, Path: []string{"文件夹1", "用户组A"}})
			},
		},
		{
			name: "group/dels.ids", method: "POST", path: "group/dels",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteGroups(ctx, GroupDelsRequest{ProjectID: 1, IDs: []int64{123}})
			},
		},
		{
			name: "group/ext/delUsers.erase", method: "POST", path: "group/ext/delUsers",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteGroupUsers(ctx, GroupDelUsersRequest{GroupID: 123, Erase: true})
			},
		},
		{
			name: "group/ext/delUsers.path", method: "POST", path: "group/ext/delUsers",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteGroupUsers(ctx, GroupDelUsersRequest{ProjectID: 1, Path: []string{"文件夹1", "用户组B"}, UniqueIDs: []string{"aaa@163.com", "bbb@126.com"}})
			},
		},
		{
			name: "orgStructure/syncOrg", method: "POST", path: "orgStructure/syncOrg",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SyncOrg(ctx, SyncOrgRequest{
					CompanyName:     "xxx公司",
					UpdatedOrgs:     []Org{{OrgCode: "xxx", Name: "部门名称", ParentOrgCode: "上级部门编码", OrgAdminUniqueIDs: []string{"account1", "account2"}, Description: "部门描述"}},
					DeletedOrgCodes: []string{"code1", "code2", "code3"},
				})
			},
		},
		{
			name: "orgStructure/syncOrg.empty", method: "POST", path: "orgStructure/syncOrg",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SyncOrg(ctx, SyncOrgRequest{})
			},
		},
		{
			name: "projectUser/delUsersByUniqueIds", method: "POST", path: "projectUser/delUsersByUniqueIds",
			answer: `{"code":200,"result":"ok","logPath":"http://x/log"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteProjectUsers(ctx, DeleteProjectUsersRequest{ProjectID: 1, UniqueIDs: []string{"admin@corp.netease.com", "admin2@corp.netease.com"}})
			},
		},
		{
			name: "domain/user/delete", method: "POST", path: "domain/user/delete",
			answer: `{"code":200,"result":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteDomainUsers(ctx, []string{"user1@corp.netease.com", "user2@corp.netease.com"})
			},
		},
		{
			name: "systemRole/add", method: "POST", path: "systemRole/add",
			answer: `{"result":5}`, // as the document shows it: no code
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddSystemRole(ctx, "系统管理员", "拥有系统管理权限")
			},
			want: int64(5),
		},
		{
			name: "systemRole/update", method: "POST", path: "systemRole/update",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateSystemRole(ctx, SystemRoleUpdateRequest{ID: 123, Name: ptr("系统管理员"), Description: ptr("拥有系统管理权限")})
			},
		},
		{
			name: "systemRole/dels", method: "POST", path: "systemRole/dels",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteSystemRoles(ctx, []int64{4, 9})
			},
		},
		{
			name: "project/add", method: "POST", path: "project/add",
			answer: `{"code":200,"logPath":"http://x/log"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AddProject(ctx, ProjectAddRequest{Name: "项目A", Description: "描述", ReceiverList: []Receiver{{Type: "user", Name: "xxx1@xxx.com"}, {Type: "user", Name: "xxx2@xxx.com"}}})
			},
		},
		{
			name: "project/update", method: "POST", path: "project/update",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateProject(ctx, ProjectUpdateRequest{ID: 1, Name: ptr("新项目A"), Description: ptr("新描述")})
			},
		},
		{
			name: "project/del", method: "DELETE", path: "project/del",
			query:  map[string]string{"projectId": "1"},
			answer: `{"code":200}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteProject(ctx, 1) },
		},
		{
			name: "directResourcePerm/syncMembers", method: "POST", path: "directResourcePerm/syncMembers",
			answer: `{"code":200}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SyncResourceMembers(ctx, SyncMembersRequest{ProjectID: 505, ResourceID: 144861, ResourceName: "DATA_MODEL",
					MemberInfos: []MemberInfo{{Type: "uniqueId", ID: "xxxx@163.com", Permissions: []string{"view", "copyData", "export"}}}})
			},
		},
	}
}

// TestMethods runs every method against a handler and checks the method,
// path, token placement, query, body (golden) and decoded result.
func TestMethods(t *testing.T) {
	for _, tc := range methodCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.answer))
			})
			c := newTestClient(t, testConfig(fs.URL))
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if tc.want != nil {
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("result (-want +got):\n%s", d)
				}
			}
			reqs := fs.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.Path != "/api/dash/"+tc.path {
				t.Errorf("request %s %s, want %s /api/dash/%s", r.Method, r.Path, tc.method, tc.path)
			}
			if r.UA != "permsync/test" {
				t.Errorf("User-Agent %q", r.UA)
			}
			query := map[string]string{}
			for k, v := range r.Query {
				query[k] = strings.Join(v, ",")
			}
			switch tc.method {
			case "GET", "DELETE":
				if query["token"] != testToken {
					t.Errorf("token in query = %q, want the token", query["token"])
				}
				delete(query, "token")
			default:
				if _, in := query["token"]; in {
					t.Errorf("POST carries the token in the query string")
				}
			}
			want := tc.query
			if want == nil {
				want = map[string]string{}
			}
			if d := cmp.Diff(want, query); d != "" {
				t.Errorf("query (-want +got):\n%s", d)
			}
			if tc.method == "GET" {
				if len(r.Body) != 0 {
					t.Errorf("GET with a body: %s", r.Body)
				}
				return
			}
			var body map[string]any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
			}
			if body["token"] != testToken {
				t.Errorf("token in body = %v, want the token", body["token"])
			}
			body["token"] = "REDACTED"
			if tc.path == "systemRole/list" {
				if d := cmp.Diff(map[string]any{"token": "REDACTED"}, body); d != "" {
					t.Errorf("body (-want +got):\n%s", d)
				}
				return
			}
			checkGolden(t, tc.name, body)
		})
	}
}

func goldenPath(name string) string {
	return filepath.Join("testdata", "requests", filepath.FromSlash(name)+".json")
}

func checkGolden(t *testing.T, name string, body map[string]any) {
	t.Helper()
	path := goldenPath(name)
	if *update {
		b, err := json.MarshalIndent(body, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update)", path, err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	if d := cmp.Diff(want, body); d != "" {
		t.Errorf("request body differs from %s (-golden +got):\n%s", path, d)
	}
}

// TestEveryWriteHasAGolden makes sure every write endpoint of the Writer
// interface is covered by a golden request.
func TestEveryWriteHasAGolden(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range methodCases(t) {
		covered[tc.path] = true
	}
	for _, ep := range []endpoint{epBatchImport, epUserAttrUpdate, epImportDataPerms, epDelRoles, epRoleDelete, epRoleFolderAdd,
		epGroupAdd, epGroupUpdate, epGroupDels, epGroupDelUsers, epSyncOrg, epProjectUserDel, epDomainUserDelete, epSystemRoleAdd,
		epSystemRoleUpdate, epSystemRoleDels, epProjectAdd, epProjectUpdate, epProjectDel, epSyncMembers} {
		if !covered[ep.path] {
			t.Errorf("no test case for %s", ep.path)
		}
		if ep.method == http.MethodGet {
			t.Errorf("write %s uses GET", ep.path)
		}
	}
}
