package youdata

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/spec"
)

// TestBuiltinSystemRoleIDsCoverTheFormat keeps Youdata's ids of the
// built-in system roles and the names the format accepts the same set.
func TestBuiltinSystemRoleIDsCoverTheFormat(t *testing.T) {
	var names []string
	for n := range builtinSystemRoleIDs {
		names = append(names, n)
	}
	sort.Strings(names)
	if diff := cmp.Diff(spec.BuiltinSystemRoleNames, names); diff != "" {
		t.Errorf("built-in system roles (-spec +ids):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		id   int64
	}{{"admin", 1}, {"editor", 2}, {"viewer", 3}} {
		if id, ok := BuiltinSystemRoleID(tc.name); !ok || id != tc.id {
			t.Errorf("BuiltinSystemRoleID(%q) = %d, %v; want %d, true", tc.name, id, ok, tc.id)
		}
	}
	if id, ok := BuiltinSystemRoleID("项目管理员"); ok {
		t.Errorf("BuiltinSystemRoleID(项目管理员) = %d, true; want false: only the files' names are built-in names", id)
	}
}
