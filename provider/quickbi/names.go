package quickbi

import (
	"sort"
	"strconv"
	"strings"

	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// The predefined roles, by the names the files give them.
var (
	orgRoleIDs = map[string]int64{
		"admin":           apiclient.OrgRoleAdmin,
		"permissionAdmin": apiclient.OrgRolePermissionAdmin,
		"user":            apiclient.OrgRoleUser,
	}
	orgRoleNames = invert(orgRoleIDs)

	workspaceRoleIDs = map[string]int64{
		"admin":     apiclient.WorkspaceRoleAdmin,
		"developer": apiclient.WorkspaceRoleDeveloper,
		"analyst":   apiclient.WorkspaceRoleAnalyst,
		"viewer":    apiclient.WorkspaceRoleViewer,
	}
	workspaceRoleNames = invert(workspaceRoleIDs)

	// workspaceRoleRank orders the predefined workspace roles: each holds
	// every permission of the ones below it.
	workspaceRoleRank = map[int64]int{
		apiclient.WorkspaceRoleAdmin:     4,
		apiclient.WorkspaceRoleDeveloper: 3,
		apiclient.WorkspaceRoleAnalyst:   2,
		apiclient.WorkspaceRoleViewer:    1,
	}

	userTypes = map[string]int{
		"developer": apiclient.UserTypeDeveloper,
		"viewer":    apiclient.UserTypeViewer,
		"analyst":   apiclient.UserTypeAnalyst,
	}
	userTypeNames = invertInt(userTypes)
)

func invert(m map[string]int64) map[int64]string {
	out := make(map[int64]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

func invertInt(m map[string]int) map[int]string {
	out := make(map[int]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// unknownID names a role id no name is known for.
func unknownID(id int64) string { return "#" + strconv.FormatInt(id, 10) }

// typeName names a UserType ("#n" when unknown).
func typeName(t int) string {
	if n, ok := userTypeNames[t]; ok {
		return n
	}
	return "#" + strconv.Itoa(t)
}

// orgRoleName names an organization role id.
func (l *Live) orgRoleName(id int64) string {
	if n, ok := orgRoleNames[id]; ok {
		return n
	}
	if n, ok := l.OrgRoles[id]; ok {
		return n
	}
	return unknownID(id)
}

// OrgRoleNames names organization role ids, sorted.
func (l *Live) OrgRoleNames(ids []int64) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, l.orgRoleName(id))
	}
	sort.Strings(out)
	return out
}

// orgRoleID is the id of an organization role name (false when none).
func (l *Live) orgRoleID(name string) (int64, bool) {
	if id, ok := orgRoleIDs[name]; ok {
		return id, true
	}
	if l == nil || l.orgRoleIDs == nil {
		return 0, false
	}
	id, ok := l.orgRoleIDs[name]
	return id, ok
}

// roleName names a workspace role id in a workspace.
func (ws *LiveWorkspace) roleName(id int64) string {
	if n, ok := workspaceRoleNames[id]; ok {
		return n
	}
	if ws != nil {
		if r := ws.Roles[id]; r != nil {
			return r.Name
		}
	}
	return unknownID(id)
}

// RoleNames names workspace role ids, sorted.
func (ws *LiveWorkspace) RoleNames(ids []int64) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, ws.roleName(id))
	}
	sort.Strings(out)
	return out
}

// roleID is the id of a workspace role name in a workspace.
func (ws *LiveWorkspace) roleID(name string) (int64, bool) {
	if id, ok := workspaceRoleIDs[name]; ok {
		return id, true
	}
	if ws == nil {
		return 0, false
	}
	var best int64
	for _, id := range sortedRoleIDs(ws.Roles) {
		if ws.Roles[id].Name == name {
			best = id
			break
		}
	}
	return best, best != 0
}

func sortedRoleIDs(m map[int64]*LiveRole) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// MovedSuffix ends the id of a group permsync moved: the API cannot
// change a group's parent, so a move creates a copy under the new parent
// while the old group still exists, which takes another id. A group's id
// alternates between the files' id and the files' id with this suffix,
// move after move; the read finds it by either.
const MovedSuffix = "--moved"

// fileGroupID is the files' id of a server group id.
func fileGroupID(serverID string) string { return strings.TrimSuffix(serverID, MovedSuffix) }

// otherGroupID is the id a move of the group with server id id gives it.
func otherGroupID(id string) string {
	if strings.HasSuffix(id, MovedSuffix) {
		return strings.TrimSuffix(id, MovedSuffix)
	}
	return id + MovedSuffix
}

// movingName is the name a group takes while its copy under the new
// parent takes its name (group names are unique in the organization).
func movingName(id string) string {
	return "permsync_moving_" + strings.ReplaceAll(id, "-", "_")
}
