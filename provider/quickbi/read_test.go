package quickbi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
)

// TestReadAbortsOnFailure: a read that fails, whichever call it is,
// aborts with its cause and the operation named, and gives no live model.
func TestReadAbortsOnFailure(t *testing.T) {
	d := loadDesired(t, exampleDesired)
	scope := quickbi.ScopeOf(d.QuickBI)
	for _, tc := range []struct{ action, want string }{
		{"QueryUserList", "read the organization's members"},
		{"ListOrganizationRoles", "read the organization roles"},
		{"QueryUserTagMetaList", "read the user tags"},
		{"QueryOrganizationWorkspaceList", "read the workspaces"},
		{"QueryUserTagValueList", "read the tag values of"},
		{"QueryUserGroupListByParentId", "read the user groups under"},
		{"QueryUserGroupMember", "read the members of group"},
		{"QueryWorkspaceUserList", "read the members of workspace"},
		{"ListWorkspaceRoles", "read the roles of workspace"},
		{"ListWorkspaceUserRolesByUserId", "read the workspace roles of"},
		{"QueryDatasetList", "read the datasets of workspace"},
		{"ListCubeDataLevelPermissionConfig", "permissions of dataset"},
		{"ListDataLevelPermissionWhiteList", "read the whitelist of"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			s := newSim(t, loadSeed(t, exampleSeed))
			s.SetFaults(tc.action, quickbitest.Fault{Permanent: true})
			live, err := quickbi.ReadLive(context.Background(), s.client, scope, "", quickbi.ReadOptions{})
			if err == nil || live != nil {
				t.Fatalf("live %v, err %v", live != nil, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			var ae *apiclient.APIError
			if !errors.As(err, &ae) {
				t.Errorf("error %q does not wrap the server's answer", err)
			}
			if s.Calls()[tc.action] == 0 {
				t.Errorf("%s was never called", tc.action)
			}
		})
	}
	// Without the fault the same read succeeds: the failures above were
	// the faults'.
	s := newSim(t, loadSeed(t, exampleSeed))
	if _, err := quickbi.ReadLive(context.Background(), s.client, scope, "", quickbi.ReadOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestReadLimits: a read beyond the object or listing limits stops with
// a ReadLimitError naming the setting that raises it.
func TestReadLimits(t *testing.T) {
	d := loadDesired(t, exampleDesired)
	scope := quickbi.ScopeOf(d.QuickBI)
	for _, tc := range []struct {
		name    string
		o       quickbi.ReadOptions
		setting string
	}{
		{"objects", quickbi.ReadOptions{MaxReadObjects: 5}, "max-read-objects"},
		{"listing", quickbi.ReadOptions{MaxListObjects: 3}, "max-list-objects"},
		{"time", quickbi.ReadOptions{MaxReadTime: 1}, "max-read-time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, loadSeed(t, exampleSeed))
			live, err := quickbi.ReadLive(context.Background(), s.client, scope, "", tc.o)
			var le *quickbi.ReadLimitError
			if live != nil || !errors.As(err, &le) || !errors.Is(err, quickbi.ErrReadLimit) {
				t.Fatalf("live %v, err %v", live != nil, err)
			}
			if le.Setting != tc.setting || !strings.Contains(err.Error(), "--"+tc.setting) {
				t.Errorf("error %q: setting %q, want %q", err, le.Setting, tc.setting)
			}
		})
	}
}

// TestTokenUserResolved: the member behind the credentials may be given
// as its account, its UID or its UserId; the read names it by account.
func TestTokenUserResolved(t *testing.T) {
	s := newSim(t, loadSeed(t, exampleSeed))
	admin := s.Snapshot().UserByID(s.AdminUserID())
	for _, given := range []string{admin.AccountName, admin.AccountID, admin.UserID, " " + admin.AccountName + " "} {
		live, err := quickbi.ReadLive(context.Background(), s.client, quickbi.ReadScope{}, given, quickbi.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if live.Principal() != admin.AccountName {
			t.Errorf("given %q: principal %q, want %q", given, live.Principal(), admin.AccountName)
		}
	}
	live, err := quickbi.ReadLive(context.Background(), s.client, quickbi.ReadScope{}, "nobody", quickbi.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if live.Principal() != "" {
		t.Errorf("an unknown member resolved to %q", live.Principal())
	}
}

// TestReadOnlyWhatFilesCover: tag values are read only for the users the
// files give tags, workspaces only when named, levels only when set.
func TestReadOnlyWhatFilesCover(t *testing.T) {
	s := newSim(t, loadSeed(t, exampleSeed))
	d := loadDesired(t, exampleDesired)
	scope := quickbi.ScopeOf(d.QuickBI)
	s.ResetCalls()
	live, err := quickbi.ReadLive(context.Background(), s.client, scope, "", quickbi.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	// zhangsan, lisi and zhouqi have tags in the files; zhouqi is no
	// member yet.
	if calls["QueryUserTagValueList"] != 2 {
		t.Errorf("QueryUserTagValueList: %d calls, want 2", calls["QueryUserTagValueList"])
	}
	if ws, _ := live.WorkspaceByName("财务分析"); ws == nil || ws.MembersRead || ws.DatasetsRead {
		t.Errorf("财务分析 (not in the files) was read: %+v", ws)
	}
	if calls["ListCubeDataLevelPermissionConfig"] != 2 || calls["ListDataLevelPermissionWhiteList"] != 1 {
		t.Errorf("levels read: %v", calls)
	}
	if rb := quickbi.ReadBound(live, scope); rb.Total() != s.TotalCalls() {
		t.Errorf("%d calls, ReadBound %d", s.TotalCalls(), rb.Total())
	}
}
