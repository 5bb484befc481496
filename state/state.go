// Package state is the record of what permsync created on a server and
// last applied of the facets the server cannot read back: the state file
// (written atomically, one object per line), and the lock that keeps two
// applies of one state apart.
package state

import (
	"encoding/json"
	"time"
)

// Version is the version of the state format.
const Version = 1

// State is the record of what permsync created and last applied, for the
// facets the API cannot read back. It is JSON with sorted keys.
type State struct {
	Version int `json:"version"`
	// Serial increases with every write.
	Serial int64 `json:"serial"`
	// Server is the server the state belongs to (URL, no credentials).
	Server string `json:"server,omitempty"`
	// Objects by "kind key", e.g. "role 销售分析/通用/报告阅览".
	Objects map[string]*Object `json:"objects"`
	// Reads are the records of the reads of the units a provider reads
	// alone (a member's permissions in a project, a listing), by unit: what
	// the files wanted of it when a read last found the server matching
	// them, and when. A plan that refreshes only what changed reads the
	// units whose record is missing or differs from what the files want
	// now, and a slice of the oldest. The file keeps each record as an
	// object whose key starts with ReadPrefix (see ReadObject), so that a
	// permsync that does not know them loads the state all the same.
	Reads map[string]*Read `json:"-"`

	// disk is what the file held when Load read it: a writer of the same
	// file appends to its journal what changed since.
	disk *snapshot
	// changes names what Record, Put, Delete and SetRead set or removed
	// since the file (or its journal) last took this state in, so that a
	// save appends what changed without comparing every object (nil: not
	// known; the writer compares them all).
	changes *changeSet
}

// changeSet is what a state changed since snap was taken of it: object
// keys and, prefixed with ReadPrefix, read records.
type changeSet struct {
	snap *snapshot
	gen  int64 // snap.gen when it held this state
	keys map[string]struct{}
}

// track starts noting what s changes from now on, as snap holds it.
func (s *State) track(snap *snapshot) {
	s.changes = &changeSet{snap: snap, gen: snap.gen, keys: map[string]struct{}{}}
}

// noted returns what s noted since snap held it, or nil when that is not
// known: s was never tracked against snap, or snap took in something else
// since (another state saved by the same writer).
func (s *State) noted(snap *snapshot) *changeSet {
	if c := s.changes; c != nil && c.snap == snap && c.gen == snap.gen {
		return c
	}
	return nil
}

func (s *State) note(key string) {
	if s.changes != nil {
		s.changes.keys[key] = struct{}{}
	}
}

// Read is the record of the last read of one unit.
type Read struct {
	// Desired is the fingerprint of what the files wanted of the unit when
	// the read found the server matching them ("" when the files wanted
	// nothing of it and the server had it all the same, e.g. a protected
	// member kept).
	Desired string
	// At is when the unit was read, in UTC to the second.
	At time.Time
}

// SetRead records the read of unit (a copy of r: records are replaced,
// never changed in place), or removes its record when r is nil.
func (s *State) SetRead(unit string, r *Read) {
	s.note(ReadPrefix + unit)
	if r == nil {
		delete(s.Reads, unit)
		return
	}
	if s.Reads == nil {
		s.Reads = map[string]*Read{}
	}
	cp := Read{Desired: r.Desired, At: r.At.UTC().Truncate(time.Second)}
	s.Reads[unit] = &cp
}

// Object is what is known of one object.
type Object struct {
	// Created is true when permsync created the object; such objects are
	// deleted when they leave the files, without prune. A group group/add
	// found existing (the name taken) is recorded with Created false: it
	// is known, so no plan creates it again, but not permsync's own.
	Created bool `json:"created,omitempty"`
	// ID is the server id learned for it (group, role, system role).
	ID int64 `json:"id,omitempty"`
	// Pending is true while a group/add permsync sent for the object has
	// no recorded answer (a timeout, a killed process): a group it made
	// has no members, which no read shows, and its id is not known. The
	// next plan replaces such a group, saying so: group/add is sent
	// again, and only if the name is taken is the group deleted by the
	// path that create named (the folder facet) and created again. A
	// definite answer that the name is taken is never left pending: the
	// group is recorded as existing, not Created, and never deleted for it.
	Pending bool `json:"pending,omitempty"`
	// Facets maps a facet name to what was last applied.
	Facets map[string]Facet `json:"facets,omitempty"`
}

// Facet is what was last applied of one write-only facet: a fingerprint,
// for sets whose removals need a replace (a role's groups and orgs) the
// items themselves, and the value that was applied.
type Facet struct {
	Hash  string   `json:"hash"`
	Items []string `json:"items,omitempty"`
	// Value is what was last applied: the canonical JSON object of the
	// facet's attributes (e.g. {"rules":[...]}), the very text Hash is the
	// fingerprint of, so that a plan shows what a change replaces. It
	// holds what the files say, never a secret. States written before it
	// was kept have none: their plans show such a facet's earlier value
	// as unknown.
	Value json.RawMessage `json:"value,omitempty"`
}

// Key is the key of an object in State.Objects: "kind key".
func Key(kind, key string) string { return kind + " " + key }

// New returns an empty state of the current version.
func New() *State {
	return &State{Version: Version, Objects: map[string]*Object{}}
}

// Record stores what a change leaves of the object at key: a copy of ns,
// or the object's removal when ns is nil.
//
// Record, Put and Delete are the only ways to change Objects of a state
// that is saved: a save appends to the journal only what they noted.
func (s *State) Record(key string, ns *Object) {
	if ns == nil {
		s.Delete(key)
		return
	}
	s.Put(key, ns.Clone())
}

// Put stores o at key as it is, without a copy: o must not be changed
// afterwards (objects are replaced, never changed in place).
func (s *State) Put(key string, o *Object) {
	if o == nil {
		s.Delete(key)
		return
	}
	if s.Objects == nil {
		s.Objects = map[string]*Object{}
	}
	s.note(key)
	s.Objects[key] = o
}

// Delete removes the object at key.
func (s *State) Delete(key string) {
	if _, ok := s.Objects[key]; !ok {
		return
	}
	s.note(key)
	delete(s.Objects, key)
}

// Clone returns a deep copy of o (nil for nil).
func (o *Object) Clone() *Object {
	if o == nil {
		return nil
	}
	out := &Object{Created: o.Created, ID: o.ID, Pending: o.Pending}
	if o.Facets != nil {
		out.Facets = make(map[string]Facet, len(o.Facets))
		for k, f := range o.Facets {
			if f.Items != nil {
				f.Items = append([]string(nil), f.Items...)
			}
			if f.Value != nil {
				f.Value = append(json.RawMessage(nil), f.Value...)
			}
			out.Facets[k] = f
		}
	}
	return out
}
