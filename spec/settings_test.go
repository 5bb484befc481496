package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// settings.deleteProjects and settings.leavers: read, trimmed, checked.
func TestSettingsDeleteProjectsAndLeavers(t *testing.T) {
	d := mustLoadBytes(t, "version: 1\nsettings:\n  deleteProjects: [\" 活动项目 \", 旧项目]\n  leavers: revoke\nusers: [{uniqueId: a}]\n")
	if !cmp.Equal(d.Settings.DeleteProjects, []string{"活动项目", "旧项目"}) || d.Settings.Leavers != LeaversRevoke {
		t.Errorf("settings: %+v", d.Settings)
	}
	_, err := LoadBytes("test.yaml", []byte("version: 1\nsettings:\n  deleteProjects: [a, a, \"\"]\n  leavers: drop\nusers: [{uniqueId: a}]\n"))
	want := []string{
		`test.yaml:3: settings.deleteProjects[1]: duplicate project "a" (first at test.yaml:3)`,
		`test.yaml:3: settings.deleteProjects[2]: project must not be empty`,
		`test.yaml:4: settings.leavers: invalid leavers setting "drop" (want one of keep, revoke)`,
	}
	if diff := cmp.Diff(want, problemLines(err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
