package quickbitest

import (
	"strings"
	"time"
)

// The user-group tree, rooted at -1, read one level per call.

type groupJSON struct {
	UserGroupId          string `json:"UserGroupId"`
	UserGroupName        string `json:"UserGroupName"`
	UserGroupDescription string `json:"UserGroupDescription"`
	ParentUserGroupId    string `json:"ParentUserGroupId"`
	IdentifiedPath       string `json:"IdentifiedPath"`
	CreateTime           string `json:"CreateTime"`
	ModifiedTime         string `json:"ModifiedTime"`
	CreateUser           string `json:"CreateUser"`
	ModifyUser           string `json:"ModifyUser"`
}

// usergroupJSON is the same item as ListUserGroupsByUserId spells it.
type usergroupJSON struct {
	UsergroupId       string `json:"UsergroupId"`
	UsergroupName     string `json:"UsergroupName"`
	UsergroupDesc     string `json:"UsergroupDesc"`
	ParentUsergroupId string `json:"ParentUsergroupId"`
	IdentifiedPath    string `json:"IdentifiedPath"`
	CreateTime        string `json:"CreateTime"`
	ModifiedTime      string `json:"ModifiedTime"`
	CreateUser        string `json:"CreateUser"`
	ModifyUser        string `json:"ModifyUser"`
}

func fmtTime(t time.Time) string { return t.In(serverZone).Format(TimeLayout) }

func (s *Server) groupJSON(g *group) groupJSON {
	return groupJSON{UserGroupId: g.id, UserGroupName: g.name, UserGroupDescription: g.desc,
		ParentUserGroupId: g.parent, IdentifiedPath: s.w.identifiedPath(g), CreateTime: fmtTime(g.created),
		ModifiedTime: fmtTime(g.modified), CreateUser: g.createUser, ModifyUser: g.modifyUser}
}

func (s *Server) usergroupJSON(g *group) usergroupJSON {
	j := s.groupJSON(g)
	return usergroupJSON{UsergroupId: j.UserGroupId, UsergroupName: j.UserGroupName, UsergroupDesc: j.UserGroupDescription,
		ParentUsergroupId: j.ParentUserGroupId, IdentifiedPath: j.IdentifiedPath, CreateTime: j.CreateTime,
		ModifiedTime: j.ModifiedTime, CreateUser: j.CreateUser, ModifyUser: j.ModifyUser}
}

func (s *Server) group(id string) (*group, *apiError) {
	g := s.w.groups[id]
	if g == nil {
		return nil, groupNotExist(id)
	}
	return g, nil
}

// CreateUserGroup: the caller may choose the id; names are unique in the
// whole organization.
func (s *Server) createUserGroup(c *call) (any, error) {
	w := s.w
	name, desc := c.str("UserGroupName"), c.str("UserGroupDescription")
	if e := checkGroupText("name", name, true); e != nil {
		return nil, e
	}
	if e := checkGroupText("description", desc, false); e != nil {
		return nil, e
	}
	parent := c.str("ParentUserGroupId")
	if parent != RootGroupID && w.groups[parent] == nil {
		return nil, bizErr(CodeGroupParentMissing, "The parent user group %s does not exist.", parent)
	}
	id := ""
	if c.has("UserGroupId") {
		id = c.str("UserGroupId")
		if e := checkGroupID(id); e != nil {
			return nil, e
		}
		if w.groups[id] != nil {
			return nil, bizErr(CodeDuplicateGroupID, "The user group id %s already exists.", id)
		}
	}
	if w.groupNameTaken(name, "") {
		return nil, bizErr(CodeDuplicateGroupName, "The user group name %s already exists.", name)
	}
	if id == "" {
		for id == "" || w.groups[id] != nil {
			id = w.uuid("group")
		}
	}
	w.groups[id] = &group{seq: w.next(), id: id, name: name, desc: desc, parent: parent, members: map[string]int64{},
		created: c.now, modified: c.now, createUser: w.org.adminID, modifyUser: w.org.adminID}
	return id, nil
}

// UpdateUserGroup renames and re-describes; there is no parent parameter.
func (s *Server) updateUserGroup(c *call) (any, error) {
	w := s.w
	g, e := s.group(c.str("UserGroupId"))
	if e != nil {
		return nil, e
	}
	name, desc := g.name, g.desc
	if c.has("UserGroupName") {
		name = c.str("UserGroupName")
		if e := checkGroupText("name", name, true); e != nil {
			return nil, e
		}
		if w.groupNameTaken(name, g.id) {
			return nil, bizErr(CodeDuplicateGroupName, "The user group name %s already exists.", name)
		}
	}
	if c.has("UserGroupDescription") {
		desc = c.str("UserGroupDescription")
		if e := checkGroupText("description", desc, false); e != nil {
			return nil, e
		}
	}
	g.name, g.desc, g.modified, g.modifyUser = name, desc, c.now, w.org.adminID
	return true, nil
}

// DeleteUserGroup refuses the root and groups with child groups.
func (s *Server) deleteUserGroup(c *call) (any, error) {
	id := c.str("UserGroupId")
	if id == RootGroupID {
		return nil, bizErr(CodeGroupRemoveRoot, "The root user group cannot be removed.")
	}
	g, e := s.group(id)
	if e != nil {
		return nil, e
	}
	if len(s.w.children(g.id)) > 0 {
		return nil, bizErr(CodeGroupHasChildren, "The user group %s has child groups: remove them first.", g.id)
	}
	delete(s.w.groups, g.id)
	return true, nil
}

// QueryUserGroupListByParentId: direct children only.
func (s *Server) queryUserGroupListByParentID(c *call) (any, error) {
	parent := c.str("ParentUserGroupId")
	if parent != RootGroupID {
		if _, e := s.group(parent); e != nil {
			return nil, e
		}
	}
	out := []groupJSON{}
	for _, g := range s.w.children(parent) {
		out = append(out, s.groupJSON(g))
	}
	return out, nil
}

// QueryUserGroupMember: direct child groups, then direct users (not
// paged; members of deeper groups are not included).
func (s *Server) queryUserGroupMember(c *call) (any, error) {
	g, e := s.group(c.str("UserGroupId"))
	if e != nil {
		return nil, e
	}
	type item struct {
		Id                  string `json:"Id"`
		Name                string `json:"Name"`
		IsUserGroup         bool   `json:"IsUserGroup"`
		ParentUserGroupId   string `json:"ParentUserGroupId"`
		ParentUserGroupName string `json:"ParentUserGroupName"`
	}
	kw := c.str("Keyword")
	out := []item{}
	for _, ch := range s.w.children(g.id) {
		if kw == "" || strings.Contains(ch.name, kw) {
			out = append(out, item{Id: ch.id, Name: ch.name, IsUserGroup: true, ParentUserGroupId: g.id, ParentUserGroupName: g.name})
		}
	}
	for _, u := range s.groupUsers(g) {
		if kw == "" || strings.Contains(u.nick, kw) || strings.Contains(u.accountName, kw) {
			out = append(out, item{Id: u.id, Name: u.nick, ParentUserGroupId: g.id, ParentUserGroupName: g.name})
		}
	}
	return out, nil
}

// groupUsers are the direct members in the order they joined.
func (s *Server) groupUsers(g *group) []*member {
	var out []*member
	for id := range g.members {
		if u := s.w.users[id]; u != nil {
			out = append(out, u)
		}
	}
	sortBy(out, func(u *member) int64 { return g.members[u.id] })
	return out
}

// userIDs checks a list of UserIds: ≤max, every one a member.
func (s *Server) userIDs(name, v string, max int, notFoundCode string) ([]string, *apiError) {
	ids, e := splitList(name, v)
	if e != nil {
		return nil, e
	}
	if max > 0 && len(ids) > max {
		return nil, invalid("%s lists more than %d users", name, max)
	}
	for _, id := range ids {
		if s.w.users[id] == nil {
			if notFoundCode == CodeInvalidUser {
				return nil, bizErr(CodeInvalidUser, "The user %s does not exist.", id)
			}
			return nil, userNotInOrg(id)
		}
	}
	return ids, nil
}

// groupIDs checks a list of UserGroupIds: every one an existing group.
func (s *Server) groupIDs(name, v string) ([]*group, *apiError) {
	ids, e := splitList(name, v)
	if e != nil {
		return nil, e
	}
	var out []*group
	for _, id := range ids {
		g, e := s.group(id)
		if e != nil {
			return nil, e
		}
		out = append(out, g)
	}
	return out, nil
}

// AddUserGroupMember: up to 1000 users into one group; all or nothing.
func (s *Server) addUserGroupMember(c *call) (any, error) {
	g, e := s.group(c.str("UserGroupId"))
	if e != nil {
		return nil, e
	}
	ids, e := s.userIDs("UserIdList", c.str("UserIdList"), 1000, CodeInvalidUser)
	if e != nil {
		return nil, e
	}
	for _, id := range ids {
		if _, in := g.members[id]; !in {
			g.members[id] = s.w.next()
		}
	}
	return true, nil
}

// AddUserGroupMembers: one user into several groups; all or nothing.
func (s *Server) addUserGroupMembers(c *call) (any, error) {
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	groups, e := s.groupIDs("UserGroupIds", c.str("UserGroupIds"))
	if e != nil {
		return nil, e
	}
	for _, g := range groups {
		if _, in := g.members[u.id]; !in {
			g.members[u.id] = s.w.next()
		}
	}
	return true, nil
}

// DeleteUserGroupMember: Result false when the user was not a member.
func (s *Server) deleteUserGroupMember(c *call) (any, error) {
	g, e := s.group(c.str("UserGroupId"))
	if e != nil {
		return nil, e
	}
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	if _, in := g.members[u.id]; !in {
		return false, nil
	}
	delete(g.members, u.id)
	return true, nil
}

// DeleteUserGroupMembers: one user out of several groups; Result false
// when it was in none of them.
func (s *Server) deleteUserGroupMembers(c *call) (any, error) {
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	groups, e := s.groupIDs("UserGroupIds", c.str("UserGroupIds"))
	if e != nil {
		return nil, e
	}
	changed := false
	for _, g := range groups {
		if _, in := g.members[u.id]; in {
			delete(g.members, u.id)
			changed = true
		}
	}
	return changed, nil
}

func (s *Server) withdrawAllUserGroups(c *call) (any, error) {
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	for _, g := range s.w.groups {
		delete(g.members, u.id)
	}
	return true, nil
}

func (s *Server) listUserGroupsByUserID(c *call) (any, error) {
	u, e := s.member(c.str("UserId"))
	if e != nil {
		return nil, e
	}
	out := []usergroupJSON{}
	for _, g := range s.w.groupsInOrder(func(g *group) bool { _, in := g.members[u.id]; return in }) {
		out = append(out, s.usergroupJSON(g))
	}
	return out, nil
}

// GetUserGroupInfo: groups whose name contains Keyword.
func (s *Server) getUserGroupInfo(c *call) (any, error) {
	kw := c.str("Keyword")
	out := []usergroupJSON{}
	for _, g := range s.w.groupsInOrder(func(g *group) bool { return strings.Contains(g.name, kw) }) {
		out = append(out, s.usergroupJSON(g))
	}
	return out, nil
}

// ListByUserGroupId: the groups found, and the ids not found.
func (s *Server) listByUserGroupID(c *call) (any, error) {
	ids, e := splitList("UserGroupIds", c.str("UserGroupIds"))
	if e != nil {
		return nil, e
	}
	models, failed := []usergroupJSON{}, []string{}
	for _, id := range ids {
		if g := s.w.groups[id]; g != nil {
			models = append(models, s.usergroupJSON(g))
		} else {
			failed = append(failed, id)
		}
	}
	return map[string]any{"UserGroupModels": models, "FailedUserGroupIds": failed}, nil
}
