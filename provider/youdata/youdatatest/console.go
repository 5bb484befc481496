package youdatatest

// Edit changes the server as someone in the web console would, outside
// the API: fn runs on the live state under the server's lock, and what it
// leaves is what every later call sees. Tests use it to rename, delete or
// re-create objects by hand between applies. fn must keep the state
// consistent (ids unique, maps non-nil); NextID hands out fresh ids.
func (s *Server) Edit(fn func(st *State, ids *IDs)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.st, &IDs{s: s})
}

// IDs hands out server ids during an Edit, from the counters the API
// uses, so that an object made by hand never takes an id the server gives
// later.
type IDs struct{ s *Server }

// Group is a fresh group id.
func (i *IDs) Group() int64 { i.s.ids.group++; return i.s.ids.group }

// Project is a fresh project id.
func (i *IDs) Project() int64 { i.s.ids.project++; return i.s.ids.project }

// SystemRole is a fresh custom system role id.
func (i *IDs) SystemRole() int64 { i.s.ids.systemRole++; return i.s.ids.systemRole }

// Role is a fresh role id.
func (i *IDs) Role() int64 { i.s.ids.role++; return i.s.ids.role }

// NewProject is an empty project with a fresh id, for st.Projects.
func (i *IDs) NewProject(name, description string) *Project {
	return newProject(i.Project(), name, description)
}
