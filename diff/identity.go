package diff

import (
	"fmt"
	"sort"

	"github.com/permsync/permsync/internal/sets"
)

// Objects known by id. The state records the server id of what permsync
// made or found; someone in the web console may since have renamed such an
// object, deleted it, or deleted it and made another under its name, and
// the files may rename it. MatchIdentities tells, for the objects of one
// kind in one scope (a project, a workspace, the domain), which of these
// happened, from names and ids alone, so that every provider plans the
// same repairs: rename back, create again and bind again, follow a new
// id, rename on the server what the files renamed. The provider only
// gathers the names and ids (its live model, its state keys, what its
// read found gone) and calls the update its API has.

// How says how a desired object was matched with the server.
type How int

const (
	// ByName: on the server under the files' name, with the id the state
	// records (or the state records none).
	ByName How = iota
	// Hidden: the state knows it by id, the server shows no object of
	// that name or id, and nothing says it is gone (an empty group, which
	// no read shows).
	Hidden
	// New: neither the server nor the state knows it.
	New
	// RenamedOnServer: the id the state records is on the server under
	// another name.
	RenamedOnServer
	// RecreatedOnServer: the files' name is on the server with another id
	// than the state's, and the state's id is gone.
	RecreatedOnServer
	// DeletedOnServer: the state's id is gone and no object holds the
	// name.
	DeletedOnServer
	// RenamedInFiles: the files name it anew, and the one object of the
	// scope that the state knows and the files no longer name is on the
	// server (under Live).
	RenamedInFiles
)

func (h How) String() string {
	switch h {
	case ByName:
		return "by name"
	case Hidden:
		return "hidden"
	case New:
		return "new"
	case RenamedOnServer:
		return "renamed on the server"
	case RecreatedOnServer:
		return "re-created on the server"
	case DeletedOnServer:
		return "deleted on the server"
	case RenamedInFiles:
		return "renamed in the files"
	}
	return fmt.Sprintf("How(%d)", int(h))
}

// IdentityInput is what is known of the objects of one kind in one scope.
type IdentityInput[ID comparable] struct {
	// Desired are the files' names.
	Desired []string
	// Live are the objects the server shows, by name.
	Live map[string]ID
	// State are the state's records that hold an id, by name.
	State map[string]ID
	// Gone are ids the server answered it does not hold (a probe).
	Gone map[ID]bool
	// Complete is set when Live shows every object of the scope (a
	// listing): an id of State that Live lacks is gone.
	Complete bool
	// PairRenames allows taking a new name in the files for the one
	// object the state knows that the files no longer name, when there is
	// exactly one of each; MayPair, if set, must allow the pair too (a
	// group in the same folder).
	PairRenames bool
	MayPair     func(stateName, desired string) bool
}

// Identity is how one desired object was matched.
type Identity[ID comparable] struct {
	Desired string
	How     How
	// Live is the object's name on the server ("" when it is not there
	// or not shown).
	Live string
	// StateName names the state record the object takes ("" when none):
	// the desired name, or for a rename in the files the name it had.
	StateName string
	// ID is the server id of the object (zero when it is not there), and
	// StateID the one the state records.
	ID, StateID ID
}

// Reason is what the plan says of a match that repairs something, or ""
// (ByName, Hidden, New).
func (m Identity[ID]) Reason() string {
	switch m.How {
	case RenamedOnServer:
		return fmt.Sprintf("renamed on the server to %q; renaming back", m.Live)
	case RecreatedOnServer:
		return fmt.Sprintf("re-created on the server: the state knew id %v, the server now has id %v under this name", m.StateID, m.ID)
	case DeletedOnServer:
		return fmt.Sprintf("deleted on the server (id %v is gone); creating it again", m.StateID)
	case RenamedInFiles:
		return fmt.Sprintf("renamed in the files from %q (id %v in the state); renamed on the server, not deleted and created", m.StateName, m.ID)
	}
	return ""
}

// Identities is the result of MatchIdentities.
type Identities[ID comparable] struct {
	// ByDesired holds a match for every desired name.
	ByDesired map[string]Identity[ID]
	// Claimed are the live names that a desired object under another
	// name took (renamed on the server or in the files): not objects of
	// their own, never deleted as such.
	Claimed map[string]bool
	// Moved are the state names a rename in the files moved to a desired
	// name: their records are the renamed object's, never deleted as
	// objects left out of the files.
	Moved map[string]string
}

// MatchIdentities matches the desired objects of one scope with the
// server and the state (see How). It is pure and deterministic.
func MatchIdentities[ID comparable](in IdentityInput[ID]) Identities[ID] {
	var zero ID
	out := Identities[ID]{ByDesired: map[string]Identity[ID]{}, Claimed: map[string]bool{}, Moved: map[string]string{}}
	liveByID := map[ID]string{}
	for _, name := range sets.SortedKeys(in.Live) {
		id := in.Live[name]
		if id == zero {
			continue
		}
		if _, dup := liveByID[id]; !dup {
			liveByID[id] = name
		}
	}
	desired := map[string]bool{}
	for _, d := range in.Desired {
		desired[d] = true
	}
	gone := func(id ID) bool {
		if in.Gone[id] {
			return true
		}
		_, shown := liveByID[id]
		return in.Complete && !shown
	}
	names := append([]string(nil), in.Desired...)
	sort.Strings(names)
	for _, d := range names {
		m := Identity[ID]{Desired: d}
		sid, inState := in.State[d]
		lid, onServer := in.Live[d]
		if inState {
			m.StateName, m.StateID = d, sid
		}
		switch {
		case onServer && (!inState || sid == lid || sid == zero):
			m.How, m.Live, m.ID = ByName, d, lid
		case onServer && gone(sid):
			m.How, m.Live, m.ID = RecreatedOnServer, d, lid
		case onServer:
			// The name is on the server, and so is the state's id under
			// another name: the object of the name is the one meant, the
			// other is left alone.
			m.How, m.Live, m.ID = ByName, d, lid
		case !inState:
			m.How = New
		case sid != zero && !gone(sid) && liveByID[sid] != "" && !desired[liveByID[sid]]:
			m.How, m.Live, m.ID = RenamedOnServer, liveByID[sid], sid
		case sid != zero && gone(sid):
			m.How = DeletedOnServer
		default:
			m.How, m.ID = Hidden, sid
		}
		out.ByDesired[d] = m
		if m.How == RenamedOnServer {
			out.Claimed[m.Live] = true
		}
	}
	if !in.PairRenames {
		return out
	}
	// A rename in the files: exactly one state object the files left that
	// the server still holds, and exactly one new desired name.
	var left, fresh []string
	for _, name := range sets.SortedKeys(in.State) {
		id := in.State[name]
		if desired[name] || id == zero || gone(id) {
			continue
		}
		if lid, ok := in.Live[name]; ok && lid != id {
			continue // the name is another object's now
		}
		if ln, ok := liveByID[id]; ok && (desired[ln] || out.Claimed[ln]) {
			continue
		}
		left = append(left, name)
	}
	for _, d := range names {
		if out.ByDesired[d].How == New {
			fresh = append(fresh, d)
		}
	}
	if len(left) != 1 || len(fresh) != 1 || in.MayPair != nil && !in.MayPair(left[0], fresh[0]) {
		return out
	}
	from, to := left[0], fresh[0]
	id := in.State[from]
	m := Identity[ID]{Desired: to, How: RenamedInFiles, StateName: from, StateID: id, ID: id, Live: liveByID[id]}
	if m.Live == "" {
		// Not shown, but not known gone either (an empty group).
		m.Live = from
	} else {
		out.Claimed[m.Live] = true
	}
	out.ByDesired[to] = m
	out.Moved[from] = to
	return out
}
