package youdatatest

import (
	"strconv"

	"github.com/permsync/permsync/internal/sets"
)

type projectJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// listProjects is GET project/list (l.2242): {list, count}. The domain
// admin sees every project, member or not.
func (s *Server) listProjects(r *request) (any, error) {
	list := []projectJSON{}
	for _, id := range sets.SortedKeys(s.st.Projects) {
		p := s.st.Projects[id]
		list = append(list, projectJSON{ID: p.ID, Name: p.Name, Description: p.Description})
	}
	return map[string]any{"list": list, "count": len(list)}, nil
}

func (s *Server) projectNameTaken(name string, except int64) bool {
	for _, p := range s.st.Projects {
		if p.Name == name && p.ID != except {
			return true
		}
	}
	return false
}

// addProject is POST project/add (l.3421). At least one receiver is
// required; every receiver joins as project admin. The token's user joins
// only when it is a receiver. The answer has no result: the new id is read
// back through project/list.
func (s *Server) addProject(r *request) (any, error) {
	var req struct {
		base
		Name         string `json:"name"`
		Description  string `json:"description"`
		ReceiverList []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"receiverList"`
		DomainID   *int64  `json:"domainId"`
		DomainName *string `json:"domainName"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, badRequest("项目名称不能为空")
	}
	if len(req.ReceiverList) == 0 {
		return nil, badRequest("必须指定至少一个项目成员")
	}
	for _, rc := range req.ReceiverList {
		if rc.Type != "user" {
			return nil, badRequest("receiverList.type 只能是 user: %q", rc.Type)
		}
		if s.st.Users[rc.Name] == nil {
			return nil, notFound(MsgNoUser)
		}
	}
	if s.projectNameTaken(req.Name, 0) {
		return nil, errf(CodeConflict, "项目名称已存在: %s", req.Name)
	}
	s.ids.project++
	p := newProject(s.ids.project, req.Name, req.Description)
	s.st.Projects[p.ID] = p
	for _, rc := range req.ReceiverList {
		s.addMember(p, rc.Name, []int64{sysAdmin})
	}
	return nil, nil
}

// updateProject is POST project/update (l.3467).
func (s *Server) updateProject(r *request) (any, error) {
	var req struct {
		base
		ID          int64   `json:"id"`
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ID)
	if err != nil {
		return nil, err
	}
	if req.Name != nil {
		if *req.Name == "" {
			return nil, badRequest("项目名称不能为空")
		}
		if s.projectNameTaken(*req.Name, p.ID) {
			return nil, errf(CodeConflict, "项目名称已存在: %s", *req.Name)
		}
		p.Name = *req.Name
	}
	if req.Description != nil {
		p.Description = *req.Description
	}
	return nil, nil
}

// deleteProject is DELETE project/del (l.3502); projectId in the JSON body
// (as the document shows) or the query string.
func (s *Server) deleteProject(r *request) (any, error) {
	var id int64
	if len(r.body) > 0 {
		var req struct {
			base
			ProjectID int64 `json:"projectId"`
		}
		if err := r.decode(&req); err != nil {
			return nil, err
		}
		id = req.ProjectID
	}
	if id == 0 && r.query.Get("projectId") != "" {
		v, err := strconv.ParseInt(r.query.Get("projectId"), 10, 64)
		if err != nil {
			return nil, badRequest("projectId 不合法")
		}
		id = v
	}
	p, err := s.project(id)
	if err != nil {
		return nil, err
	}
	delete(s.st.Projects, p.ID)
	return nil, nil
}

type systemRoleJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DomainID    int64  `json:"domainId"`
	Description string `json:"description"`
}

// listSystemRoles is POST systemRole/list (l.3359): the custom system
// roles. The document shows a bare array; the simulator wraps it in the
// envelope like every other answer.
func (s *Server) listSystemRoles(r *request) (any, error) {
	var req base
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	out := []systemRoleJSON{}
	for _, id := range sets.SortedKeys(s.st.SystemRoles) {
		sr := s.st.SystemRoles[id]
		out = append(out, systemRoleJSON{ID: sr.ID, Name: sr.Name, DomainID: 1, Description: sr.Description})
	}
	return out, nil
}

func (s *Server) systemRoleNameTaken(name string, except int64) bool {
	for _, sr := range s.st.SystemRoles {
		if sr.Name == name && sr.ID != except {
			return true
		}
	}
	for _, n := range builtinSystemRoleNames {
		if n == name {
			return true
		}
	}
	return false
}

// addSystemRole is POST systemRole/add (l.3291); it answers the id.
func (s *Server) addSystemRole(r *request) (any, error) {
	var req struct {
		base
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, badRequest("name 不能为空")
	}
	if s.systemRoleNameTaken(req.Name, 0) {
		return nil, errf(CodeConflict, "系统角色名称已存在: %s", req.Name)
	}
	s.ids.systemRole++
	s.st.SystemRoles[s.ids.systemRole] = &SystemRole{ID: s.ids.systemRole, Name: req.Name, Description: req.Description}
	return s.ids.systemRole, nil
}

// updateSystemRole is POST systemRole/update (l.3320).
func (s *Server) updateSystemRole(r *request) (any, error) {
	var req struct {
		base
		ID          int64   `json:"id"`
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	sr := s.st.SystemRoles[req.ID]
	if sr == nil {
		return nil, notFound(MsgNoSystemRole)
	}
	if req.Name != nil {
		if *req.Name == "" {
			return nil, badRequest("name 不能为空")
		}
		if s.systemRoleNameTaken(*req.Name, sr.ID) {
			return nil, errf(CodeConflict, "系统角色名称已存在: %s", *req.Name)
		}
		sr.Name = *req.Name
	}
	if req.Description != nil {
		sr.Description = *req.Description
	}
	return nil, nil
}

// deleteSystemRoles is POST systemRole/dels (l.3345). Built-in roles cannot
// be deleted; members lose the deleted roles.
func (s *Server) deleteSystemRoles(r *request) (any, error) {
	var req struct {
		base
		IDs []int64 `json:"ids"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if len(req.IDs) == 0 {
		return nil, badRequest("ids 不能为空")
	}
	for _, id := range req.IDs {
		if _, ok := builtinSystemRoleNames[id]; ok {
			return nil, badRequest("内置系统角色不能删除: %d", id)
		}
		if s.st.SystemRoles[id] == nil {
			return nil, notFound(MsgNoSystemRole)
		}
	}
	for _, id := range req.IDs {
		delete(s.st.SystemRoles, id)
	}
	for _, p := range s.st.Projects {
		for _, m := range p.Members {
			m.SystemRoles = removeInts(m.SystemRoles, req.IDs)
		}
	}
	return nil, nil
}
