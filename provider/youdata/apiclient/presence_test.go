package apiclient

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestEmptyListsArePresent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       any
		want    []string
		wantNot []string
	}{
		{"userOrgs absent", ImportUser{UniqueID: "a"}, []string{`"uniqueId":"a"`}, []string{"userOrgs"}},
		{"userOrgs empty", ImportUser{UniqueID: "a", UserOrgs: []UserOrg{}}, []string{`"userOrgs":[]`}, nil},
		{"userOrgs set", ImportUser{UniqueID: "a", UserOrgs: []UserOrg{{OrgCode: "HQ", OrgRole: "normal"}}}, []string{`"userOrgs":[{"orgCode":"HQ","orgRole":"normal"}]`}, nil},
		{"permissions absent", ImportDataPermissionsRequest{RoleName: "r", Path: []string{}}, []string{`"path":[]`}, []string{"dataPermissions", "resourcePermissions"}},
		{"resources empty", ImportDataPermissionsRequest{RoleName: "r", ResourcePermissions: []ResourcePermission{}}, []string{`"resourcePermissions":[]`}, []string{"dataPermissions"}},
		{"rules empty", ImportDataPermissionsRequest{RoleName: "r", DataPermissions: []DataPermissionWrite{}}, []string{`"dataPermissions":[]`}, []string{"resourcePermissions"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s: want %s", b, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(string(b), w) {
					t.Errorf("%s: must not contain %s", b, w)
				}
			}
			if strings.Count(string(b), `"userOrgs"`) > 1 || strings.Count(string(b), `"resourcePermissions"`) > 1 {
				t.Errorf("a key appears twice: %s", b)
			}
		})
	}
}

// group/dels takes ids or a path (the document: "跟 ids 二选一"), never
// neither and never both.
func TestDeleteGroupsNeedsIDsOrPath(t *testing.T) {
	c := newTestClient(t, testConfig("http://127.0.0.1:1"))
	for _, req := range []GroupDelsRequest{
		{ProjectID: 1},
		{ProjectID: 1, Path: []string{"G"}, IDs: []int64{5}},
	} {
		if err := c.DeleteGroups(context.Background(), req); err == nil {
			t.Errorf("%+v was sent", req)
		}
	}
}
