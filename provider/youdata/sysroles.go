package youdata

// builtinSystemRoleIDs are Youdata's ids of its built-in system roles, by
// the names the files give them (spec.BuiltinSystemRoleNames).
var builtinSystemRoleIDs = map[string]int64{"admin": 1, "editor": 2, "viewer": 3}

// BuiltinSystemRoleID returns Youdata's id of the built-in system role the
// files name name, and whether name is one.
func BuiltinSystemRoleID(name string) (int64, bool) {
	id, ok := builtinSystemRoleIDs[name]
	return id, ok
}
