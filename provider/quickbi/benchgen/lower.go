package benchgen

import (
	"fmt"

	"github.com/permsync/permsync/provider/quickbi"
)

// FirstApplyBound is the fewest write calls that make the company on its
// Skeleton, counted from the company alone (not from a plan), with the
// API as documented. It checks quickbi.WriteBound of the first plan:
//
//   - AddUserTagMeta per tag; AddUser per member but the admin (who is
//     there); UpdateUserTagValue per member and tag with a value (one
//     member, one tag a call), the admin's included;
//   - CreateUserGroup per group; the members: every member is in one
//     group, so the pairs (group, member) form stars and a maximum
//     matching has one pair per group with members: one
//     AddUserGroupMember per such group (per 1000 members);
//   - per workspace, one AddWorkspaceUsers per predefined role held (per
//     1000 members), the admin being the owner already;
//   - per level: UpdateDataLevelPermissionStatus to switch it on,
//     SetDataLevelPermissionExtraConfig when its miss-hit policy is not
//     the default none, SetDataLevelPermissionWhiteList when it has a
//     whitelist; SetDataLevelPermissionRuleConfig per rule.
//
// It panics on a company where a member is in two groups (Generate and
// Mutate make none).
func FirstApplyBound(c *Company) quickbi.Calls {
	calls := quickbi.Calls{"AddUserTagMeta": len(c.Tags)}
	for _, u := range c.Users {
		if u.Account != Admin {
			calls["AddUser"]++
		}
		for _, v := range u.Tags {
			if len(v) > 0 {
				calls["UpdateUserTagValue"]++
			}
		}
	}
	in := map[string]string{}
	for _, g := range c.Groups {
		calls["CreateUserGroup"]++
		for a := range g.Members {
			if other, dup := in[a]; dup {
				panic(fmt.Sprintf("benchgen: %s is in groups %s and %s", a, other, g.ID))
			}
			in[a] = g.ID
		}
		calls["AddUserGroupMember(s)"] += ceilDiv(len(g.Members), quickbi.MaxBatch)
	}
	for _, ws := range c.Workspaces {
		roles := map[string]int{}
		for a, r := range ws.Members {
			if a != Admin {
				roles[r]++
			}
		}
		for _, n := range roles {
			calls["AddWorkspaceUsers"] += ceilDiv(n, quickbi.MaxBatch)
		}
		for _, d := range ws.Datasets {
			for _, l := range []*Level{d.Row, d.Column} {
				if l == nil {
					continue
				}
				if l.Enabled {
					calls["UpdateDataLevelPermissionStatus"]++
				}
				if l.MissHit != "" && l.MissHit != "none" {
					calls["SetDataLevelPermissionExtraConfig"]++
				}
				if len(l.WhiteUsers)+len(l.WhiteGroups) > 0 {
					calls["SetDataLevelPermissionWhiteList"]++
				}
				calls["SetDataLevelPermissionRuleConfig"] += len(l.Rules)
			}
		}
	}
	for k, v := range calls {
		if v == 0 {
			delete(calls, k)
		}
	}
	return calls
}

func ceilDiv(n, d int) int { return (n + d - 1) / d }
