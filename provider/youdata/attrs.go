// # The change model
//
// A plan.Plan is a list of Changes; the executor works from nothing else. Each
// plan.Change names the object (plan.Kind, Key), what to do (plan.Action), the object's
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
// when it is only in Before; plan.Change.Changed lists them. Identity attributes
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
// to do are counted in plan.Plan.NoOps and keep their state as it is.
package youdata
