package apiclient

import "encoding/json"

// Some lists mean something when present and empty: userOrgs: [] takes a
// user out of every department, and resourcePermissions: [] or
// dataPermissions: [] wipes a role's permissions. omitempty would drop
// them, so these requests marshal through a wrapper whose pointer fields,
// at a shallower depth, take the place of the embedded ones: nil slices
// are left out, empty ones are sent as [].

// present is nil for a nil slice and a pointer to it otherwise.
func present[T any](s []T) *[]T {
	if s == nil {
		return nil
	}
	return &s
}

// MarshalJSON sends UserOrgs when it is non-nil, even empty.
func (u ImportUser) MarshalJSON() ([]byte, error) {
	type plain ImportUser
	return json.Marshal(struct {
		plain
		UserOrgs *[]UserOrg `json:"userOrgs,omitempty"`
	}{plain(u), present(u.UserOrgs)})
}

// MarshalJSON sends DataPermissions and ResourcePermissions when they are
// non-nil, even empty.
func (r ImportDataPermissionsRequest) MarshalJSON() ([]byte, error) {
	type plain ImportDataPermissionsRequest
	return json.Marshal(struct {
		plain
		DataPermissions     *[]DataPermissionWrite `json:"dataPermissions,omitempty"`
		ResourcePermissions *[]ResourcePermission  `json:"resourcePermissions,omitempty"`
	}{plain(r), present(r.DataPermissions), present(r.ResourcePermissions)})
}
