package youdata

import (
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// goneOnServer reports whether a delete is of an object the read found
// deleted on the server already (Before "exists": false): nothing is
// sent, and the state forgets it.
func goneOnServer(c plan.Change) bool {
	var exists bool
	return c.Action == plan.Delete && c.Before.Decode("exists", &exists) == nil && !exists
}

// moveState drops, once the rename of change c is made on the server,
// the state record its object had under the name the files renamed it
// from (After "moved_from"); the change records the new one. For a
// project, the records of what is in it move to the new name, so that
// the objects in it stay known (created by permsync, their ids and what
// was last applied) rather than look new.
func (a *executor) moveState(c plan.Change) {
	from := c.After.String("moved_from")
	if from == "" || from == c.Key {
		return
	}
	a.UpdateState(func(st *state.State) bool {
		return moveRecords(st, c.Kind, from, c.Key)
	})
}

// moveRecords moves in st the record of (k, from) out of the way and, for
// a project, the records of what is in it from "from/..." to "to/...",
// leaving a record already at the new key as it is. It reports whether st
// changed.
func moveRecords(st *state.State, k plan.Kind, from, to string) bool {
	changed := false
	if _, ok := st.Objects[plan.StateKey(k, from)]; ok {
		st.Delete(plan.StateKey(k, from))
		changed = true
	}
	if k != KindProject {
		return changed
	}
	// Keys of a longer project name that starts with "from/" are that
	// project's.
	var longer []string
	prefix := string(KindProject) + " "
	for key := range st.Objects {
		if name, ok := strings.CutPrefix(key, prefix); ok && strings.HasPrefix(name, from+"/") {
			longer = append(longer, name)
		}
	}
	var keys []string
	for key := range st.Objects {
		keys = append(keys, key)
	}
	for _, key := range keys {
		o := st.Objects[key]
		kind, rest, ok := strings.Cut(key, " ")
		if !ok || !projectKinds[plan.Kind(kind)] || !strings.HasPrefix(rest, from+"/") {
			continue
		}
		mine := true
		for _, other := range longer {
			if strings.HasPrefix(rest, other+"/") {
				mine = false
				break
			}
		}
		if !mine {
			continue
		}
		nk := plan.StateKey(plan.Kind(kind), to+"/"+strings.TrimPrefix(rest, from+"/"))
		if _, taken := st.Objects[nk]; !taken {
			st.Put(nk, o)
		}
		st.Delete(key)
		changed = true
	}
	return changed
}

// learnIDs records in st the server ids the plan's changes carry of
// objects the state knows no id of: the project of every project-scoped
// change (project_id), and the custom system roles members are given
// (system_role_ids). A project or system role permsync never had to change
// is then known by its id all the same, so that one renamed in the web
// console is found and renamed back rather than made again. Only the id is
// recorded: such an object is not taken for permsync's own. It reports
// whether st changed.
func learnIDs(p *plan.Plan, st *state.State) bool {
	changed := false
	learn := func(k plan.Kind, key string, id int64) {
		if id == 0 || key == "" {
			return
		}
		sk := plan.StateKey(k, key)
		old := st.Objects[sk]
		if old != nil && (old.ID != 0 || old.Pending) {
			return
		}
		o := &state.Object{ID: id}
		if old != nil {
			o = old.Clone()
			o.ID = id
		}
		st.Put(sk, o)
		changed = true
	}
	for _, c := range p.Changes {
		if c.Action == plan.Delete || !projectKinds[c.Kind] || c.Scope == "" {
			continue
		}
		id := c.After.Int("project_id")
		if id == 0 {
			id = c.Before.Int("project_id")
		}
		learn(KindProject, c.Scope, id)
		if c.Kind == KindMember {
			var ids map[string]int64
			_ = c.After.Decode("system_role_ids", &ids)
			for name, id := range ids {
				if _, builtin := builtinSystemRoleIDs[name]; !builtin {
					learn(KindSystemRole, name, id)
				}
			}
		}
	}
	return changed
}
