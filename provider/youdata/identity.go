package youdata

import (
	"fmt"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// The objects permsync knows by id (projects, groups, custom system roles)
// are matched with the server by the ids the state records before
// anything is planned (diff.MatchIdentities): one renamed in the web
// console is renamed back, one deleted there is created again (and bound
// again by the roles that list it), one deleted and made again under its
// name is taken with its new id, and one the files rename is renamed on
// the server (project/update, group/ext/update, systemRole/update), not
// deleted and created. The planner then works on a view of the live model
// keyed by the files' names: an object renamed on the server sits under
// the files' name, with its server name in its Name.

// identity is what the planner made of the ids the state records.
type identity struct {
	sysRoles diff.Identities[int64]
	// projects holds, for every project the files name, how it was found.
	projects map[string]projectIdentity
	// groups holds, for every project the files name, how its groups
	// were found.
	groups map[string]diff.Identities[int64]
}

// projectIdentity is how a project the files name was found.
type projectIdentity struct {
	match diff.Identity[int64]
	// movedFrom is the name the state records the project (and what is
	// in it) under when it is not the files' name: renamed in the files,
	// or pinned by id to a project the state knows under another name.
	movedFrom string
	// stale is set when the state's records of what is in the project
	// describe another project: it was deleted on the server (and maybe
	// made again under its name).
	stale bool
}

// matchIdentities matches the files' projects, groups and custom system
// roles with the server by the state's ids, and re-keys p.live (a copy:
// the caller's model is left as it is) by the files' names.
func (p *planner) matchIdentities() {
	p.ident = &identity{projects: map[string]projectIdentity{}, groups: map[string]diff.Identities[int64]{}}
	l := *p.live
	p.live = &l

	// Custom system roles: systemRole/list shows them all.
	var srNames []string
	for _, r := range p.d.SystemRoles {
		srNames = append(srNames, r.Name)
	}
	liveSR := map[string]int64{}
	for name, r := range l.SystemRoles {
		liveSR[name] = r.ID
	}
	p.ident.sysRoles = diff.MatchIdentities(diff.IdentityInput[int64]{
		Desired: srNames, Live: liveSR, State: p.stateIDs(KindSystemRole, ""), Complete: true, PairRenames: true,
	})
	sr := make(map[string]LiveSystemRole, len(l.SystemRoles))
	for name, r := range l.SystemRoles {
		if !p.ident.sysRoles.Claimed[name] {
			sr[name] = r
		}
	}
	for d, m := range p.ident.sysRoles.ByDesired {
		if m.How == diff.RenamedOnServer || m.How == diff.RenamedInFiles {
			if r, ok := l.SystemRoles[m.Live]; ok {
				sr[d] = r
			}
		}
	}
	l.SystemRoles = sr
	for _, to := range sets.SortedKeys(p.ident.sysRoles.ByDesired) {
		if m := p.ident.sysRoles.ByDesired[to]; m.How == diff.RenamedInFiles {
			p.Warn("system role %s is taken for %s renamed in the files (the one custom system role the state knows that the files no longer name, and the one new one): systemRole/update renames it, and its members keep it; to delete %s and create %s instead, remove %s in one apply and add %s in the next",
				to, m.StateName, m.StateName, to, m.StateName, to)
		}
	}

	// Projects: project/list shows them all. Projects pinned by id are
	// found by it and left out of the matching by name.
	pinned := map[int64]bool{}
	var prNames []string
	for _, pr := range p.d.Projects {
		if pr.ID != 0 {
			pinned[pr.ID] = true
		} else {
			prNames = append(prNames, pr.Name)
		}
	}
	liveP := map[string]int64{}
	for name, lp := range l.Projects {
		if lp != nil && !pinned[lp.ID] {
			liveP[name] = lp.ID
		}
	}
	stP := map[string]int64{}
	for name, id := range p.stateIDs(KindProject, "") {
		if !pinned[id] {
			stP[name] = id
		}
	}
	confirmed := sets.Of(p.d.Settings.DeleteProjects)
	pm := diff.MatchIdentities(diff.IdentityInput[int64]{
		Desired: prNames, Live: liveP, State: stP, Complete: true, PairRenames: true,
		// A project whose deletion the files confirm is not renamed.
		MayPair: func(from, _ string) bool { return !confirmed[from] },
	})
	projects := make(map[string]*LiveProject, len(l.Projects))
	for name, lp := range l.Projects {
		if !pm.Claimed[name] {
			projects[name] = lp
		}
	}
	for _, pr := range p.d.Projects {
		pi := projectIdentity{}
		if pr.ID != 0 {
			pi.match = diff.Identity[int64]{Desired: pr.Name, How: diff.ByName, StateName: pr.Name}
			for _, name := range sets.SortedKeys(p.stateIDs(KindProject, "")) {
				if p.StateOf(KindProject, name).ID == pr.ID && name != pr.Name && !p.inFiles(name) {
					pi.movedFrom = name
					break
				}
			}
			p.ident.projects[pr.Name] = pi
			continue
		}
		m := pm.ByDesired[pr.Name]
		pi.match = m
		switch m.How {
		case diff.RenamedOnServer, diff.RenamedInFiles:
			if lp := l.Projects[m.Live]; lp != nil {
				projects[pr.Name] = lp
			}
			if m.How == diff.RenamedInFiles {
				pi.movedFrom = m.StateName
				p.Warn("project %s is taken for %s renamed in the files (the one project the state knows that the files no longer name, and the one new one): project/update renames it, keeping its reports and everything in it; to delete %s and create %s instead, list %s under settings.deleteProjects",
					pr.Name, m.StateName, m.StateName, pr.Name, m.StateName)
			}
		case diff.RecreatedOnServer, diff.DeletedOnServer:
			pi.stale = true
		}
		p.ident.projects[pr.Name] = pi
	}
	l.Projects = projects

	// Groups, per project read in full: no read lists them, so an id the
	// read does not show is gone only when the probe said so.
	for _, pr := range p.d.Projects {
		lp := l.Projects[pr.Name]
		if pr.ID != 0 {
			lp = nil
			for _, name := range sets.SortedKeys(l.Projects) {
				if c := l.Projects[name]; c != nil && c.ID == pr.ID {
					lp = c
					break
				}
			}
		}
		if lp == nil || !lp.Read {
			continue
		}
		pi := p.ident.projects[pr.Name]
		want := map[string]string{}
		var names []string
		for _, g := range pr.Groups {
			names = append(names, g.Name)
			want[g.Name] = g.Folder
		}
		liveG := map[string]int64{}
		for name, lg := range lp.Groups {
			liveG[name] = lg.ID
		}
		stG := map[string]int64{}
		gone := map[int64]bool{}
		folders := map[string]string{}
		if !pi.stale {
			for _, name := range p.projectStateKeysOf(KindGroup, pr.Name, pi.movedFrom) {
				o := p.groupState(pr.Name, pi.movedFrom, name)
				if o == nil || o.Pending || o.ID == 0 {
					continue
				}
				stG[name] = o.ID
				if lp.GoneGroups[name] {
					gone[o.ID] = true
				}
				if f, ok := o.Facets["folder"]; ok && len(f.Items) == 1 {
					folders[name] = f.Items[0]
				}
			}
		}
		gm := diff.MatchIdentities(diff.IdentityInput[int64]{
			Desired: names, Live: liveG, State: stG, Gone: gone, PairRenames: true,
			MayPair: func(from, to string) bool { return folders[from] == want[to] },
		})
		p.ident.groups[pr.Name] = gm
		for _, to := range sets.SortedKeys(gm.ByDesired) {
			if m := gm.ByDesired[to]; m.How == diff.RenamedInFiles {
				p.Warn("group %s/%s is taken for %s renamed in the files (the one group of the project the state knows that the files no longer name, and the one new one, in the same folder): group/ext/update renames it, keeping its members and role bindings; to delete %s and create %s instead, remove %s in one apply and add %s in the next",
					pr.Name, to, m.StateName, m.StateName, to, m.StateName, to)
			}
		}
		cp := *lp
		groups := make(map[string]*LiveGroup, len(lp.Groups))
		for name, lg := range lp.Groups {
			if !gm.Claimed[name] {
				groups[name] = lg
			}
		}
		for d, m := range gm.ByDesired {
			if m.How == diff.RenamedOnServer || m.How == diff.RenamedInFiles {
				if lg := lp.Groups[m.Live]; lg != nil {
					groups[d] = lg
				}
			}
		}
		cp.Groups = groups
		for name, key := range l.Projects {
			if key == lp {
				l.Projects[name] = &cp
			}
		}
	}
}

// inFiles reports whether the files name a project.
func (p *planner) inFiles(project string) bool {
	for _, pr := range p.d.Projects {
		if pr.Name == project {
			return true
		}
	}
	return false
}

// stateIDs maps the names (keys without the kind, after prefix) of the
// state's records of kind k that hold an id to that id.
func (p *planner) stateIDs(k plan.Kind, prefix string) map[string]int64 {
	out := map[string]int64{}
	for _, key := range p.StateKeys(k, prefix) {
		if o := p.StateOf(k, key); o != nil && o.ID != 0 && !o.Pending {
			out[strings.TrimPrefix(key, prefix)] = o.ID
		}
	}
	return out
}

// projectStateKeysOf lists the names of the state's records of kind k in
// the project the files call project, under that name and, when set,
// under the name movedFrom it had: the files' name first.
func (p *planner) projectStateKeysOf(k plan.Kind, project, movedFrom string) []string {
	names := sets.Of(p.projectStateKeys(k, project))
	if movedFrom != "" {
		for _, n := range p.projectStateKeys(k, movedFrom) {
			names[n] = true
		}
	}
	return sets.SortedKeys(names)
}

// groupState is the state's record of a group of a project the files
// name: under the files' name of the project, else under movedFrom.
func (p *planner) groupState(project, movedFrom, group string) *state.Object {
	if o := p.StateOf(KindGroup, project+"/"+group); o != nil || movedFrom == "" {
		return o
	}
	return p.StateOf(KindGroup, movedFrom+"/"+group)
}

// stateOf is the state's record of an object of kind k in this project,
// keyed rest within it: none when the state's records describe another
// project (stale); under the files' name of the project, else under the
// name it had (movedFrom).
func (c *projectCtx) stateOf(k plan.Kind, rest string) *state.Object {
	if c.ident.stale {
		return nil
	}
	if o := c.p.StateOf(k, c.key(rest)); o != nil || c.ident.movedFrom == "" {
		return o
	}
	return c.p.StateOf(k, c.ident.movedFrom+"/"+rest)
}

// stateKeys lists the names of the state's records of kind k in this
// project (see stateOf).
func (c *projectCtx) stateKeys(k plan.Kind) []string {
	if c.ident.stale {
		return nil
	}
	return c.p.projectStateKeysOf(k, c.pr.Name, c.ident.movedFrom)
}

// adoptState makes o take the state record old (an object whose record
// is under another key, or none when the record describes another
// object), as NewObject would have.
func adoptState(o *diff.Object, old *state.Object) {
	o.Old = old
	o.New.Created = !o.Exists
	o.New.ID = 0
	if old != nil {
		o.New.Created = old.Created || !o.Exists
		o.New.ID = old.ID
	}
}

// groupMatch is how group name of this project was found.
func (c *projectCtx) groupMatch(name string) diff.Identity[int64] {
	if gm, ok := c.p.ident.groups[c.pr.Name]; ok {
		if m, ok := gm.ByDesired[name]; ok {
			return m
		}
	}
	return diff.Identity[int64]{Desired: name, How: diff.ByName}
}

// movedGroups maps the names of the groups of this project that the
// files renamed to their new names.
func (c *projectCtx) movedGroups() map[string]string {
	if gm, ok := c.p.ident.groups[c.pr.Name]; ok {
		return gm.Moved
	}
	return nil
}

// movedKey is the key of the state record an object renamed in the files
// had, for the change's "moved_from": the executor drops that record (and
// for a project, moves what is in it) once the rename is made.
func movedKey(scope, name string) string {
	if scope == "" {
		return name
	}
	return scope + "/" + name
}

// confirmDelete says how to confirm the deletion of a project.
func confirmDelete(name string, id int64) string {
	return fmt.Sprintf("list %q under settings.deleteProjects to confirm it; if the files renamed it, pin the new entry with id: %d instead", name, id)
}
