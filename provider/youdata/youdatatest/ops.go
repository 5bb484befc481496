package youdatatest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Built-in system roles.
const (
	sysAdmin  = 1
	sysEditor = 2
	sysViewer = 3
)

var builtinSystemRoleNames = map[int64]string{sysAdmin: "项目管理员", sysEditor: "编辑者", sysViewer: "阅览者"}

// serverZone is the server's local time (UTC+08:00) in which expiry times
// are written.
var serverZone = time.FixedZone("UTC+8", 8*3600)

// ExpireLayout is the layout of expiry times in requests and in seeds.
const ExpireLayout = "2006-01-02 15:04:05"

// ParseExpire parses an expiry time written in the server's local time.
func ParseExpire(v string) (time.Time, error) {
	t, err := time.ParseInLocation(ExpireLayout, v, serverZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("expiry %q is not %q (UTC+08:00): %w", v, ExpireLayout, err)
	}
	return t.UTC(), nil
}

// FormatExpire renders an expiry as the server returns it:
// "2025-07-24T16:00:00.000Z".
func FormatExpire(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func emptyState() *State {
	return &State{
		Users:       map[string]*User{},
		Orgs:        map[string]*Org{},
		Attributes:  map[int64]string{},
		SystemRoles: map[int64]*SystemRole{},
		Projects:    map[int64]*Project{},
	}
}

func newProject(id int64, name, desc string) *Project {
	return &Project{ID: id, Name: name, Description: desc,
		Members: map[string]*Member{}, Roles: map[int64]*Role{}, Groups: map[int64]*Group{},
		Folders: map[int64]*Folder{}, ResourceMembers: map[ResourceKey]map[string][]string{}}
}

func newRole(id int64, name string, typ int, folder int64) *Role {
	return &Role{ID: id, Name: name, Type: typ, FolderID: folder,
		Users: map[string]Binding{}, Groups: map[int64]Binding{}, Orgs: map[string]Binding{}}
}

func (s *Server) project(id int64) (*Project, error) {
	if id == 0 {
		return nil, badRequest("projectId 不能为空")
	}
	p := s.st.Projects[id]
	if p == nil {
		return nil, notFound(MsgNoProject)
	}
	return p, nil
}

// projectFromQuery reads projectId from the query string.
func (s *Server) projectFromQuery(r *request) (*Project, error) {
	v := r.query.Get("projectId")
	if v == "" {
		return nil, badRequest("projectId 不能为空")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, badRequest("projectId 不合法: %q", v)
	}
	return s.project(id)
}

// page reads offset and limit. limit defaults to and is capped at 1000.
func page(r *request) (offset, limit int, err error) {
	offset, limit = defaultPageOffset, maxPageSize
	if v := r.query.Get("offset"); v != "" {
		offset, err = strconv.Atoi(v)
		if err != nil || offset < 0 {
			return 0, 0, badRequest("offset 不合法: %q", v)
		}
	}
	if v := r.query.Get("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 0 {
			return 0, 0, badRequest("limit 不合法: %q", v)
		}
		if limit > maxPageSize {
			limit = maxPageSize
		}
	}
	return offset, limit, nil
}

func window(n, offset, limit int) (int, int) {
	if offset > n {
		offset = n
	}
	end := offset + limit
	if end > n {
		end = n
	}
	return offset, end
}

// addMember makes uid a member of p. A new member gets the built-in roles
// among sys, or viewer when there is none; custom ids of sys are added.
// An existing member gets sys added. It reports whether uid joined.
func (s *Server) addMember(p *Project, uid string, sys []int64) bool {
	m := p.Members[uid]
	joined := m == nil
	if joined {
		s.ids.member++
		m = &Member{ID: s.ids.member, UniqueID: uid}
		p.Members[uid] = m
		builtin := false
		for _, id := range sys {
			if id <= sysViewer {
				builtin = true
			}
		}
		if !builtin {
			m.SystemRoles = []int64{sysViewer}
		}
	}
	m.SystemRoles = unionInts(m.SystemRoles, sys)
	return joined
}

// removeMember takes uid out of p with its direct role bindings, its group
// memberships and its direct resource permissions.
// removeMembers is removeMember for many users at once, in one pass over
// the project's roles, groups and resources.
func removeMembers(p *Project, uids map[string]bool) {
	for uid := range uids {
		delete(p.Members, uid)
	}
	for _, r := range p.Roles {
		if len(r.Users) < len(uids) {
			for u := range r.Users {
				if uids[u] {
					delete(r.Users, u)
				}
			}
		} else {
			for u := range uids {
				delete(r.Users, u)
			}
		}
	}
	for _, g := range p.Groups {
		kept := g.Members[:0:0]
		for _, m := range g.Members {
			if !uids[m] {
				kept = append(kept, m)
			}
		}
		if len(kept) != len(g.Members) {
			g.Members = kept
		}
	}
	for _, ms := range p.ResourceMembers {
		for u := range uids {
			delete(ms, u)
		}
	}
}

func removeMember(p *Project, uid string) {
	delete(p.Members, uid)
	for _, r := range p.Roles {
		delete(r.Users, uid)
	}
	for _, g := range p.Groups {
		g.Members = removeString(g.Members, uid)
	}
	for _, ms := range p.ResourceMembers {
		delete(ms, uid)
	}
}

// category is the projectUser/list category of a member.
func category(m *Member) string {
	for _, id := range m.SystemRoles {
		switch id {
		case sysAdmin:
			return "admin"
		case sysEditor:
			return "editor"
		}
	}
	return "viewer"
}

func (s *Server) systemRoleName(id int64) string {
	if n, ok := builtinSystemRoleNames[id]; ok {
		return n
	}
	if r := s.st.SystemRoles[id]; r != nil {
		return r.Name
	}
	return ""
}

func (s *Server) checkSystemRoles(ids []int64, allowBuiltin bool) error {
	for _, id := range ids {
		if _, ok := builtinSystemRoleNames[id]; ok {
			if !allowBuiltin {
				return badRequest("wholeCustomSystemRoleIds 只能包含自定义系统角色: %d", id)
			}
			continue
		}
		if s.st.SystemRoles[id] == nil {
			return notFound(fmt.Sprintf("%s: %d", MsgNoSystemRole, id))
		}
	}
	return nil
}

// folderPath checks a one-level folder path and returns the folder name.
func folderPath(path []string) (string, error) {
	switch len(path) {
	case 0:
		return "", nil
	case 1:
		if path[0] == "" {
			return "", badRequest("文件夹名称不能为空")
		}
		return path[0], nil
	default:
		return "", badRequest("path 最多支持一层文件夹")
	}
}

// splitPath splits folder..., name (at most one folder).
func splitPath(path []string) (folder, name string, err error) {
	if len(path) == 0 || path[len(path)-1] == "" {
		return "", "", badRequest("path 不能为空,最后一项是名称")
	}
	folder, err = folderPath(path[:len(path)-1])
	return folder, path[len(path)-1], err
}

// roleAt finds the role at path (folder..., name) among types.
func (p *Project) roleAt(path []string, types ...int) (*Role, error) {
	folder, name, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	r := p.FindRole(folder, name, types...)
	if r == nil {
		return nil, notFound(MsgNoRole + ": " + strings.Join(path, "/"))
	}
	return r, nil
}

// folder finds a folder of a type by name.
func (p *Project) folder(name, typ string) *Folder {
	var best *Folder
	for _, f := range p.Folders {
		if f.Name == name && f.Type == typ && (best == nil || f.ID < best.ID) {
			best = f
		}
	}
	return best
}

// ensureFolder returns the id of a folder, creating it; "" is the root.
func (s *Server) ensureFolder(p *Project, name, typ string) int64 {
	if name == "" {
		return 0
	}
	if f := p.folder(name, typ); f != nil {
		return f.ID
	}
	s.ids.folder++
	p.Folders[s.ids.folder] = &Folder{ID: s.ids.folder, Name: name, Type: typ}
	return s.ids.folder
}

func folderTypeOf(roleType int) string {
	if roleType == 2 {
		return FolderRowPerm
	}
	return FolderRole
}

// expiry reads the entry of an expire map: nil when absent.
func expiry(m map[string]string, key string) (*time.Time, error) {
	v, ok := m[key]
	if !ok || v == "" {
		return nil, nil
	}
	t, err := ParseExpire(v)
	if err != nil {
		return nil, badRequest("过期时间格式错误: %q", v)
	}
	return &t, nil
}

func unionInts(a, b []int64) []int64 {
	set := map[int64]bool{}
	for _, x := range a {
		set[x] = true
	}
	for _, x := range b {
		set[x] = true
	}
	out := make([]int64, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func removeInts(a []int64, del []int64) []int64 {
	out := []int64{}
	for _, x := range a {
		keep := true
		for _, d := range del {
			if x == d {
				keep = false
			}
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

func addString(list []string, v string) []string {
	i := sort.SearchStrings(list, v)
	if i < len(list) && list[i] == v {
		return list
	}
	list = append(list, "")
	copy(list[i+1:], list[i:])
	list[i] = v
	return list
}

func removeString(list []string, v string) []string {
	i := sort.SearchStrings(list, v)
	if i < len(list) && list[i] == v {
		return append(list[:i], list[i+1:]...)
	}
	return list
}

// stringOrNumber reads a JSON string or number (the document sends phone
// numbers both ways) as a string; null or absent is nil.
func stringOrNumber(raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return &s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		v := n.String()
		return &v, nil
	}
	return nil, badRequest("需要字符串或数字: %s", raw)
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || strings.TrimSpace(string(raw)) == "null"
}
