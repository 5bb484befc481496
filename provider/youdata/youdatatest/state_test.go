package youdatatest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// fullState fills every field of every type of State, so that a clone
// that forgets one shares memory with it.
func fullState() *State {
	s := func(v string) *string { return &v }
	b := true
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &State{
		Company: "c",
		Admin:   "admin",
		Users: map[string]*User{"u": {ID: 1, UniqueID: "u", Email: s("e"), Nick: s("n"), Phone: s("p"),
			CustomInfo: json.RawMessage(`{"a":1}`), Department: s("d"), Company: s("c"), Position: s("po"),
			AllowExternal: &b, Attrs: map[string][]string{"region": {"华北"}},
			Orgs: []UserOrg{{Code: "HQ", Role: "leader"}}}},
		Orgs:        map[string]*Org{"HQ": {Code: "HQ", Name: "总部", Admins: []string{"u"}}},
		Attributes:  map[int64]string{1: "region"},
		SystemRoles: map[int64]*SystemRole{101: {ID: 101, Name: "审计员"}},
		Projects: map[int64]*Project{101: {ID: 101, Name: "p",
			Members: map[string]*Member{"u": {ID: 1, UniqueID: "u", SystemRoles: []int64{3}}},
			Roles: map[int64]*Role{1: {ID: 1, Name: "r",
				Resources:       []ResourcePermission{{Type: "NEW_REPORT", Path: []string{"x"}, Permissions: []string{"view"}}},
				DataPermissions: []DataPermission{{DataConnectionID: 1, Details: []json.RawMessage{json.RawMessage(`{}`)}}},
				Users:           map[string]Binding{"u": {Expires: &exp}},
				Groups:          map[int64]Binding{1: {Expires: &exp}},
				Orgs:            map[string]Binding{"HQ": {Expires: &exp}}}},
			Groups:          map[int64]*Group{1: {ID: 1, Name: "g", Members: []string{"u"}}},
			Folders:         map[int64]*Folder{1: {ID: 1, Name: "f", Type: FolderRole}},
			ResourceMembers: map[ResourceKey]map[string][]string{{Type: "DATA_MODEL", ID: 1}: {"u": {"view"}}}}},
	}
}

// TestCloneIsDeep walks a State and its clone side by side: they must be
// equal and share no pointer, map or slice backing array. A reference
// left empty in fullState is an error too, so a field added to State
// later is covered once fullState fills it.
func TestCloneIsDeep(t *testing.T) {
	orig := fullState()
	c := orig.Clone()
	if !reflect.DeepEqual(orig, c) {
		t.Fatalf("clone differs:\n%+v\n%+v", orig, c)
	}
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice:
			if a.IsNil() || a.Kind() != reflect.Pointer && a.Len() == 0 {
				t.Errorf("%s: empty in fullState; fill it so the clone of it is checked", path)
				return
			}
		}
		switch a.Kind() {
		case reflect.Pointer:
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s: pointer shared", path)
			}
			walk(path, a.Elem(), b.Elem())
		case reflect.Map:
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s: map shared", path)
			}
			for _, k := range a.MapKeys() {
				walk(fmt.Sprintf("%s[%v]", path, k.Interface()), a.MapIndex(k), b.MapIndex(k))
			}
		case reflect.Slice:
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s: slice shared", path)
			}
			for i := 0; i < a.Len(); i++ {
				walk(path+"[]", a.Index(i), b.Index(i))
			}
		case reflect.Struct:
			if a.Type() == reflect.TypeOf(time.Time{}) {
				return
			}
			for i := 0; i < a.NumField(); i++ {
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	}
	walk("State", reflect.ValueOf(orig), reflect.ValueOf(c))

	// And through the server: changing a snapshot changes nothing inside.
	srv := newServer(t, baseSeed)
	snap := srv.Snapshot()
	p := snap.ProjectByName("销售分析")
	p.GroupByName("华北组").Members[0] = "mallory"
	p.FindRole("区域", "华北数据").DataPermissions[0].Details[0][2] = 'X'
	snap.Users["alice"].Orgs[0].Code = "GONE"
	again := srv.Snapshot()
	if g := again.ProjectByName("销售分析").GroupByName("华北组").Members[0]; g != "alice" {
		t.Errorf("a change to a snapshot reached the server: group member %q", g)
	}
	if c := again.Users["alice"].Orgs[0].Code; c != "SALES_N" {
		t.Errorf("a change to a snapshot reached the server: department %q", c)
	}
	if !json.Valid(again.ProjectByName("销售分析").FindRole("区域", "华北数据").DataPermissions[0].Details[0]) {
		t.Error("a change to a snapshot reached the server: rule details")
	}
}
