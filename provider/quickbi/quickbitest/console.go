package quickbitest

import "fmt"

// What someone may do in the web console that no action of the API does.
// Everything else a console user does has its action (DeleteUserGroup,
// CreateUserGroup without an id, UpdateUser, ...): tests change the server
// by hand between applies through those.

// RenameWorkspace renames a workspace, as its owner may in the console:
// the API has no action for it. The id stays.
func (s *Server) RenameWorkspace(id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.w.workspaces[id]
	if ws == nil {
		return fmt.Errorf("rename workspace %s: no such workspace", id)
	}
	if name == "" {
		return fmt.Errorf("rename workspace %s: empty name", id)
	}
	ws.name = name
	return nil
}
