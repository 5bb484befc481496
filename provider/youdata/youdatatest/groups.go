package youdatatest

// groupAt finds a group by folder..., name.
func (p *Project) groupAt(path []string) (*Group, error) {
	folder, name, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	g := p.GroupByName(name)
	if g == nil || g.Folder != folder {
		return nil, notFound(MsgNoGroup)
	}
	return g, nil
}

// findGroup finds a group by id (in any project) or by projectId + path.
func (s *Server) findGroup(id, projectID int64, path []string) (*Project, *Group, error) {
	if id != 0 {
		for _, p := range s.st.Projects {
			if g := p.Groups[id]; g != nil {
				return p, g, nil
			}
		}
		return nil, nil, notFound(MsgNoGroup)
	}
	p, err := s.project(projectID)
	if err != nil {
		return nil, nil, err
	}
	g, err := p.groupAt(path)
	return p, g, err
}

// addGroup is POST group/add (l.3154). Group names are unique in a
// project. roleIds bind the group to roles of the project. Members join
// through user/batchImport groupIds.
func (s *Server) addGroup(r *request) (any, error) {
	var req struct {
		base
		ProjectID   int64     `json:"projectId"`
		Title       string    `json:"title"`
		Description string    `json:"description"`
		RoleIDs     []int64   `json:"roleIds"`
		Path        *[]string `json:"path"`
		FolderID    int64     `json:"folderId"`
		Category    string    `json:"category"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	if req.Title == "" {
		return nil, badRequest("title 不能为空")
	}
	if req.Category != "editor" {
		return nil, badRequest("category 必须为 editor")
	}
	if req.FolderID != 0 {
		return nil, badRequest("folderId 不存在,请使用 path")
	}
	var path []string
	if req.Path != nil {
		path = *req.Path
	}
	folder, err := folderPath(path)
	if err != nil {
		return nil, err
	}
	if p.GroupByName(req.Title) != nil {
		return nil, errf(CodeConflict, "用户组名称已存在: %s", req.Title)
	}
	for _, id := range req.RoleIDs {
		if p.Roles[id] == nil {
			return nil, notFound(MsgNoRole)
		}
	}
	s.ids.group++
	g := &Group{ID: s.ids.group, Name: req.Title, Folder: folder, Description: req.Description, Members: []string{}}
	p.Groups[g.ID] = g
	for _, id := range req.RoleIDs {
		p.Roles[id].Groups[g.ID] = Binding{}
	}
	return g.ID, nil
}

// updateGroup is POST group/ext/update (l.3188): title and description.
func (s *Server) updateGroup(r *request) (any, error) {
	var req struct {
		base
		ID          int64    `json:"id"`
		ProjectID   int64    `json:"projectId"`
		Path        []string `json:"path"`
		Title       *string  `json:"title"`
		Description *string  `json:"description"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, g, err := s.findGroup(req.ID, req.ProjectID, req.Path)
	if err != nil {
		return nil, err
	}
	if req.Title != nil {
		if *req.Title == "" {
			return nil, badRequest("title 不能为空")
		}
		if other := p.GroupByName(*req.Title); other != nil && other.ID != g.ID {
			return nil, errf(CodeConflict, "用户组名称已存在: %s", *req.Title)
		}
		g.Name = *req.Title
	}
	if req.Description != nil {
		g.Description = *req.Description
	}
	return nil, nil
}

// deleteGroups is POST group/dels (l.3225), by path (or ids). The group's
// role bindings go with it.
func (s *Server) deleteGroups(r *request) (any, error) {
	var req struct {
		base
		ProjectID int64    `json:"projectId"`
		Path      []string `json:"path"`
		IDs       []int64  `json:"ids"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.project(req.ProjectID)
	if err != nil {
		return nil, err
	}
	var del []*Group
	if len(req.IDs) > 0 {
		for _, id := range req.IDs {
			g := p.Groups[id]
			if g == nil {
				return nil, notFound(MsgNoGroup)
			}
			del = append(del, g)
		}
	} else {
		g, err := p.groupAt(req.Path)
		if err != nil {
			return nil, err
		}
		del = append(del, g)
	}
	for _, g := range del {
		delete(p.Groups, g.ID)
		for _, role := range p.Roles {
			delete(role.Groups, g.ID)
		}
	}
	return nil, nil
}

// deleteGroupUsers is POST group/ext/delUsers (l.3251): some members
// (uniqueIds) or all (erase).
func (s *Server) deleteGroupUsers(r *request) (any, error) {
	var req struct {
		base
		GroupID   int64    `json:"groupId"`
		ProjectID int64    `json:"projectId"`
		Path      []string `json:"path"`
		UniqueIDs []string `json:"uniqueIds"`
		Erase     bool     `json:"erase"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	_, g, err := s.findGroup(req.GroupID, req.ProjectID, req.Path)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Erase:
		g.Members = []string{}
	case len(req.UniqueIDs) > 0:
		for _, uid := range req.UniqueIDs {
			g.Members = removeString(g.Members, uid)
		}
	default:
		return nil, badRequest("uniqueIds 和 erase 必须传一个")
	}
	return nil, nil
}
