package youdata

import (
	"context"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// Right before the first write, a plan that demotes or removes an admin is
// refused when the user behind the token is not known, whatever its
// refusals say: that admin may be the token's user.
func TestApplyRefusesAdminChangesWithoutTokenUser(t *testing.T) {
	demote := memberChange(plan.Update, "P", 7, "boss", []string{"admin"}, []string{"viewer"})
	remove := plan.Change{Action: plan.Delete, Kind: KindMember, Key: "P/boss",
		Before: attrs("user", "boss", "project_id", 7, "systemRoles", []string{"admin"})}
	viewerGone := plan.Change{Action: plan.Delete, Kind: KindMember, Key: "P/x",
		Before: attrs("user", "x", "project_id", 7, "systemRoles", []string{"viewer"})}
	for _, tc := range []struct {
		name    string
		c       plan.Change
		o       ApplyOptions
		refused string
	}{
		{"admin demoted", demote, ApplyOptions{AllowMassDelete: true}, "update member P/boss would take the admin system role from boss, and the user behind the token is not known"},
		{"admin removed", remove, ApplyOptions{AllowMassDelete: true}, "delete member P/boss would remove admin boss from the project, and the user behind the token is not known"},
		{"admin demoted, token user known", demote, ApplyOptions{TokenUser: "me"}, ""},
		{"viewer removed", viewerGone, ApplyOptions{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{}
			res, err := Apply(context.Background(), f, &plan.Plan{Changes: []plan.Change{tc.c}}, state.New(), tc.o)
			if tc.refused == "" {
				if err != nil || res.Failed() != 0 || f.total() == 0 {
					t.Fatalf("err = %v, res = %+v, %d calls", err, res, f.total())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "PERMSYNC_TOKEN_USER") {
				t.Fatalf("err = %v, want a refusal %q", err, tc.refused)
			}
			if f.total() != 0 || res != nil {
				t.Errorf("%d calls made after a refusal", f.total())
			}
		})
	}
}
