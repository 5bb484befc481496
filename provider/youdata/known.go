package youdata

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

var _ engine.StateReader = (*Provider)(nil)

// ReadKnown is Read with what the state knows (ReadKnownLive).
func (p *Provider) ReadKnown(ctx context.Context, s provider.Scope, st *state.State) (provider.Live, error) {
	o := p.c.Read
	o.TokenUser, o.AllProjects, o.Refresh = s.TokenUser, s.AllSpaces, s.Refresh
	o.GroupMembers, _ = s.Extra.(GroupMembers)
	refs := make([]ProjectRef, 0, len(s.Spaces))
	for _, sp := range s.Spaces {
		id, _ := strconv.ParseInt(sp.ID, 10, 64)
		refs = append(refs, ProjectRef{Name: sp.Name, ID: id})
	}
	live, err := ReadKnownLive(ctx, p.c.API, refs, st, o)
	if err != nil {
		return nil, err
	}
	return live, nil
}

// groupProber is the call ReadKnownLive probes groups with.
type groupProber interface {
	apiclient.Reader
	UpdateGroup(ctx context.Context, req apiclient.GroupUpdateRequest) error
}

// ReadKnownLive reads what ReadLive reads, and what the state knows of it:
//
//   - A project the files name by name whose id the state records is also
//     read by that id, so that one renamed in the web console is read in
//     full (and renamed back by the plan), not taken for missing.
//   - When exactly one project the state records is no longer named by the
//     files and a project the files name is new to the state, that one is
//     read too: the plan may take the new name for its rename.
//   - A group the state records in a project read in full that the read
//     does not show (no member's user/permissions names it, nor its id) is
//     probed with group/ext/update naming only its id (or, without one,
//     its project and path), which changes nothing: the document makes
//     title and description optional. The server answers that the group
//     does not exist (LiveProject.GoneGroups: deleted in the web console)
//     or accepts (an empty group, which no read shows). So a stale id is
//     found here and never sent.
//
// A probe that fails otherwise fails the read.
func ReadKnownLive(ctx context.Context, api groupProber, refs []ProjectRef, st *state.State, o ReadOptions) (*Live, error) {
	live, err := ReadLive(ctx, api, knownRefs(refs, st), o)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return live, nil
	}
	if err := probeGroups(ctx, api, live, st, o); err != nil {
		return nil, err
	}
	return live, nil
}

// knownRefs adds to refs the ids the state records of the projects refs
// name (and of the one project the files left, when one is new).
func knownRefs(refs []ProjectRef, st *state.State) []ProjectRef {
	if st == nil {
		return refs
	}
	out := append([]ProjectRef(nil), refs...)
	named := map[string]bool{}
	fresh := 0
	for _, r := range refs {
		named[r.Name] = true
		o := st.Objects[plan.StateKey(KindProject, r.Name)]
		switch {
		case r.ID != 0:
		case o != nil && o.ID != 0:
			out = append(out, ProjectRef{Name: r.Name, ID: o.ID})
		case o == nil:
			fresh++
		}
	}
	var left []ProjectRef
	prefix := string(KindProject) + " "
	for key, o := range st.Objects {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok || named[name] || o == nil || o.ID == 0 {
			continue
		}
		left = append(left, ProjectRef{Name: name, ID: o.ID})
	}
	if len(left) == 1 && fresh > 0 {
		out = append(out, left[0])
	}
	return out
}

// probeGroups records in each project read in full the groups the state
// knows there that the server says it does not hold. After a read narrowed
// to what changed, it probes only the groups LiveReads.probes names: the
// others show in no permission that read had reason to expect them in.
func probeGroups(ctx context.Context, api groupProber, live *Live, st *state.State, ro ReadOptions) error {
	concurrency := ro.Concurrency
	if concurrency <= 0 {
		concurrency = 8
	}
	// The state's project names of each project read: its name, and the
	// names the state records its id under.
	names := map[*LiveProject][]string{}
	byID := map[int64]*LiveProject{}
	for _, lp := range live.Projects {
		if lp.Read {
			byID[lp.ID] = lp
			names[lp] = append(names[lp], lp.Name)
		}
	}
	var projects []string
	prefix := string(KindProject) + " "
	for key, o := range st.Objects {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		projects = append(projects, name)
		if lp := byID[idOf(o)]; lp != nil && name != lp.Name {
			names[lp] = append(names[lp], name)
		}
	}
	for name := range live.Projects {
		projects = append(projects, name)
	}
	type probe struct {
		lp   *LiveProject
		name string
		req  apiclient.GroupUpdateRequest
	}
	var probes []probe
	for _, lp := range sortedProjects(names) {
		shown := map[int64]bool{}
		for _, g := range lp.Groups {
			shown[g.ID] = true
		}
		for _, pname := range names[lp] {
			for _, gname := range stateKeysIn(st, KindGroup, pname, projects) {
				o := st.Objects[plan.StateKey(KindGroup, pname+"/"+gname)]
				// Shown with its id, or shown by name when the state knows
				// no id: nothing to probe. Shown by name with another id:
				// probed, to tell one made again by hand (the state's id
				// gone) from one renamed while empty.
				if o == nil || o.Pending || o.ID != 0 && shown[o.ID] || o.ID == 0 && lp.Groups[gname] != nil {
					continue
				}
				if !live.Reads.probes(lp, gname, ro) {
					continue
				}
				req := apiclient.GroupUpdateRequest{ID: o.ID}
				if o.ID == 0 {
					folder := ""
					if f, ok := o.Facets["folder"]; ok && len(f.Items) == 1 {
						folder = f.Items[0]
					}
					req = apiclient.GroupUpdateRequest{ProjectID: lp.ID, Path: groupPath(folder, gname)}
				}
				probes = append(probes, probe{lp: lp, name: gname, req: req})
			}
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for _, pr := range probes {
		pr := pr
		g.Go(func() error {
			err := api.UpdateGroup(gctx, pr.req)
			switch {
			case err == nil:
				return nil
			case isGone(err):
				mu.Lock()
				if pr.lp.GoneGroups == nil {
					pr.lp.GoneGroups = map[string]bool{}
				}
				pr.lp.GoneGroups[pr.name] = true
				mu.Unlock()
				return nil
			}
			return fmt.Errorf("read groups of project %q: probing group %q, which the state knows and no read shows: %w", pr.lp.Name, pr.name, err)
		})
	}
	return g.Wait()
}

func idOf(o *state.Object) int64 {
	if o == nil {
		return 0
	}
	return o.ID
}

// sortedProjects lists the keys of m by project id.
func sortedProjects(m map[*LiveProject][]string) []*LiveProject {
	out := make([]*LiveProject, 0, len(m))
	for lp, names := range m {
		sort.Strings(names)
		out = append(out, lp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// stateKeysIn lists, sorted and without the "project/" prefix, the keys of
// the state's objects of kind k in project, leaving out those of a longer
// project name among projects that starts with "project/".
func stateKeysIn(st *state.State, k plan.Kind, project string, projects []string) []string {
	full := string(k) + " " + project + "/"
	var out []string
	for key := range st.Objects {
		rest, ok := strings.CutPrefix(key, full)
		if !ok {
			continue
		}
		mine := true
		for _, other := range projects {
			if strings.HasPrefix(other, project+"/") && strings.HasPrefix(project+"/"+rest, other+"/") {
				mine = false
				break
			}
		}
		if mine {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}
