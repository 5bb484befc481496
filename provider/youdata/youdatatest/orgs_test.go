package youdatatest

import (
	"reflect"
	"testing"

	"github.com/permsync/permsync/internal/sets"
)

func TestSyncOrgUpsert(t *testing.T) {
	s := newServer(t, baseSeed)
	post(t, s, "orgStructure/syncOrg", map[string]any{
		"companyName": "新公司",
		"updatedOrgs": []map[string]any{
			{"orgCode": "TECH_A", "name": "平台组", "parentOrgCode": "TECH"}, // parent later in the call
			{"orgCode": "TECH", "name": "技术部", "parentOrgCode": "HQ", "orgAdminUniqueIds": []string{"carol"}},
			{"orgCode": "FIN", "name": "财务中心", "parentOrgCode": "HQ"},
		},
		"forceDeleteOrg":  false,
		"deletedOrgCodes": []string{"ALREADY_GONE"},
	}).ok(t, nil)
	st := s.Snapshot()
	if st.Company != "新公司" || st.Orgs["TECH_A"].Parent != "TECH" || st.Orgs["FIN"].Name != "财务中心" ||
		!reflect.DeepEqual(st.Orgs["TECH"].Admins, []string{"carol"}) {
		t.Fatalf("orgs = %+v company %q", st.Orgs, st.Company)
	}
	post(t, s, "orgStructure/syncOrg", map[string]any{"updatedOrgs": []map[string]any{
		{"orgCode": "X", "name": "X", "parentOrgCode": "MISSING"}}, "deletedOrgCodes": []string{}}).fails(t, CodeBadRequest, "MISSING")
	post(t, s, "orgStructure/syncOrg", map[string]any{"updatedOrgs": []map[string]any{}}).fails(t, CodeBadRequest, "deletedOrgCodes")
	if s.Snapshot().Orgs["X"] != nil {
		t.Fatal("a failed call changed the tree")
	}
}

// TestSyncOrgForceDelete is the trap: without "forceDeleteOrg": false a
// delete takes the subtree and freezes everyone in it.
func TestSyncOrgForceDelete(t *testing.T) {
	s := newServer(t, baseSeed)
	post(t, s, "orgStructure/syncOrg", map[string]any{"updatedOrgs": []map[string]any{},
		"deletedOrgCodes": []string{"SALES"}}).ok(t, nil)
	st := s.Snapshot()
	if st.Orgs["SALES"] != nil || st.Orgs["SALES_N"] != nil || st.Orgs["HQ"] == nil || st.Orgs["FIN"] == nil {
		t.Fatalf("orgs after forced delete: %v", sets.SortedKeys(st.Orgs))
	}
	for _, uid := range []string{"alice", "bob"} {
		if u := st.Users[uid]; !u.Frozen || len(u.Orgs) != 0 {
			t.Errorf("%s: frozen %v orgs %v, want frozen without departments", uid, u.Frozen, u.Orgs)
		}
	}
	if st.Users["carol"].Frozen {
		t.Error("carol frozen")
	}
}

func TestSyncOrgNoForce(t *testing.T) {
	s := newServer(t, baseSeed)
	del := func(codes ...string) env {
		return post(t, s, "orgStructure/syncOrg", map[string]any{"updatedOrgs": []map[string]any{},
			"forceDeleteOrg": false, "deletedOrgCodes": codes})
	}
	del("SALES").fails(t, CodeBadRequest, "SALES")  // members and a child
	del("SALES_N").fails(t, CodeBadRequest, "直属员工") // alice is in it
	del("HQ").fails(t, CodeBadRequest, "子部门")
	st := s.Snapshot()
	if len(st.Orgs) != 4 || st.Users["alice"].Frozen || len(st.Users["alice"].Orgs) != 1 {
		t.Fatalf("failed deletes changed state: %v %+v", sets.SortedKeys(st.Orgs), st.Users["alice"])
	}
	del("FIN").ok(t, nil)
	del("FIN").ok(t, nil) // deleting again is fine
	// Move the members out, then parent and child go in one call.
	post(t, s, "user/batchImport", map[string]any{"users": []map[string]any{
		{"uniqueId": "alice", "userOrgs": []map[string]any{{"orgCode": "HQ"}}},
		{"uniqueId": "bob", "userOrgs": []map[string]any{{"orgCode": "HQ"}}}}}).ok(t, nil)
	del("SALES", "SALES_N").ok(t, nil)
	st = s.Snapshot()
	if !reflect.DeepEqual(sets.SortedKeys(st.Orgs), []string{"HQ"}) || st.Users["alice"].Frozen {
		t.Fatalf("orgs %v alice %+v", sets.SortedKeys(st.Orgs), st.Users["alice"])
	}
}
