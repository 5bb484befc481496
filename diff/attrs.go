// # The change model
//
// A Plan is a list of Changes; the executor works from nothing else. Each
// Change names the object (Kind, Key), what to do (Action), the object's
// attributes before and after (Before, After) and the state to record once
// applied (NewState). Every attribute value is canonical JSON: sets are
// sorted lists, maps have sorted keys, times are "2006-01-02 15:04:05" in
// UTC+08:00 (expiry read from the server as "2025-07-24T16:00:00.000Z" is
// converted to that form before comparing).
//
// Which attributes changed. After holds every facet the files manage, changed
// or not. Before holds what is known of the same facets: the live value of a
// readable facet; for a write-only facet, the desired value when the state
// says it was applied as is, the last applied items (a role's groups and
// orgs) when the state knows them, and nothing otherwise. A facet changed
// when its name is in After and Before lacks it or holds other bytes, or
// when it is only in Before; Change.Changed lists them. Identity attributes
// ("id", "project_id", names) are in both and never differ, except a
// project's "name" on a rename.
//
// Ids. Before holds "id", the server id, whenever it is known from the live
// state or the state file. Project-scoped kinds carry "project_id" in Before
// and After when the project exists; when it is created by the same plan the
// executor takes the id from the project's create. Creates and replaces
// leave NewState.ID zero: the executor fills in the id it learns.
//
// Attributes per kind (w: write-only, kept as a fingerprint in the state;
// r: readable, compared with the live server):
//
//	systemRole name         id, name, description (r)
//	company    "company"    name (w, facet "name")
//	department CODE         code, name, parent, admins, description (w, one
//	                        facet "department"; facet "parent" keeps the parent
//	                        code as its item so deletions can be ordered)
//	user       uniqueId     id, uniqueId; email, phone, nick, customInfo (r);
//	                        department, company, position, left,
//	                        allowExternal, orgs ([{code, role}] sorted by code,
//	                        role defaults to normal), attrs (name → list or
//	                        null; null clears, [] means none) (w, one facet
//	                        each)
//	project    name         id, name, description (r); receivers (members
//	                        for project/add, on create)
//	member     project/uid  project_id, user, systemRoles (r: sorted names:
//	                        admin, editor, viewer or custom names),
//	                        system_role_ids (name → id, where known)
//	group      project/name id, project_id, name; members (r); folder,
//	                        description (w, facet each; folder's item is the
//	                        folder)
//	role       project/folder/name  (project//name at the root)
//	dataPermission same key form
//	                        id, project_id, name, folder, type (0, 3 or 2),
//	                        level (roles); description (r); users,
//	                        user_expires (r: uniqueId → time); groups +
//	                        group_expires (w, facet "groups", items: the
//	                        groups); orgs + org_expires (w, facet "orgs",
//	                        items: the codes); resources (w, roles, a list
//	                        of spec.Resource); rules (data permissions, a
//	                        list of spec.Rule with defaults filled in: r when
//	                        the server showed them, else w, facet "rules")
//	resourceMembers project/TYPE/id
//	                        project_id, type, resource_id, members
//	                        ([{user, permissions}] sorted; w, full sync)
//
// Actions. A create makes the object with everything in After. An update
// applies the changed facets. A replace deletes the object (Before "id") and
// creates it again with everything in After; it is used where the API has no
// call to undo a binding (a group or an org bound to a role). A role's After
// also brings back what the files leave alone: its users and description as
// read, its groups and orgs as the state records them (without expiries);
// bindings known to neither are lost, and the plan warns. A delete
// removes the object named by Before. Removing users from a role
// (user/delRoles) and members from a group are part of the update.
//
// NewState is the object's record in the state after the change: Created
// (true for creates, kept otherwise; a department is never recorded as
// created, since syncOrg upserts and the server does not show which
// departments exist), ID, and the fingerprints of the
// write-only facets as applied. It is nil for deletes. Objects with nothing
// to do are counted in Plan.NoOps and keep their state as it is.
package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/state"
)

// Strings decodes a list-of-strings attribute; nil when absent or not a list.
func (a Attrs) Strings(name string) []string {
	var out []string
	if err := a.Decode(name, &out); err != nil {
		return nil
	}
	return out
}

// String decodes a string attribute; "" when absent or not a string.
func (a Attrs) String(name string) string {
	var out string
	if err := a.Decode(name, &out); err != nil {
		return ""
	}
	return out
}

// Int decodes an integer attribute; 0 when absent or not a number.
func (a Attrs) Int(name string) int64 {
	var out int64
	if err := a.Decode(name, &out); err != nil {
		return 0
	}
	return out
}

// Has reports whether the attribute is present.
func (a Attrs) Has(name string) bool {
	_, ok := a[name]
	return ok
}

// Decode unmarshals the attribute into v. An absent attribute is an error.
func (a Attrs) Decode(name string, v any) error {
	raw, ok := a[name]
	if !ok {
		return fmt.Errorf("decode attribute %q: absent", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode attribute %q: %w", name, err)
	}
	return nil
}

// Set stores v, as canonical JSON, under name. It allocates the map when nil.
func (a *Attrs) Set(name string, v any) {
	if *a == nil {
		*a = Attrs{}
	}
	(*a)[name] = canon.JSON(v)
}

// Changed lists, sorted, the attributes that differ between Before and
// After (see the change model above): every attribute of a create, none
// of a delete.
func (c Change) Changed() []string {
	var out []string
	for name, after := range c.After {
		if before, ok := c.Before[name]; !ok || !bytes.Equal(before, after) {
			out = append(out, name)
		}
	}
	for name := range c.Before {
		if _, ok := c.After[name]; !ok && c.After != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Record records in the state what the change leaves: its NewState, or
// the object's removal when NewState is nil; a NoOp records nothing. It
// copies NewState; the caller sets NewState.ID beforehand where it learned
// the id.
func (c Change) Record(st *state.State) {
	if c.Action == NoOp {
		return
	}
	st.Record(StateKey(c.Kind, c.Key), c.NewState)
}
