package provider

import (
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// A unit is what a provider reads of its server alone: for Youdata a
// member's permissions in a project ("member 销售分析/wang.fang@example.com"),
// a project's member listing and role trees ("project 销售分析"), the
// domain's users ("users"). Units are named by strings the provider makes;
// the engine never looks inside them.
//
// A provider that implements Refresher lets the engine read only some
// units (Scope.Refresh): those whose desired state changed since a read
// last found them matching the files (the state's read records), those
// an apply wrote (a verify), and the oldest ones (the drift sweep). It
// honours a narrowed scope so:
//
//   - Read reads every unit of Refresh.Units, and every unit it meets for
//     which Refresh.Assumed is false, and whatever else it needs to read
//     them (a listing, the ids of roles);
//   - the units it does not read are taken to be as the files want them:
//     Plan plans no change of them, and in particular no deletion or
//     removal stands on them;
//   - its Live implements RefreshedLive and says which units it read.
//
// A provider that does not implement Refresher is always read in full; a
// plan asked to refresh only what changed says so in a warning.
type Refresher interface {
	// Units fingerprints, by unit, what the files want of every unit they
	// cover. A unit the files want nothing of has no entry; its
	// fingerprint is "".
	Units(d *spec.Desired) map[string]string
	// Writes lists the units change c writes: a verify reads them again,
	// and their records are dropped when the apply starts.
	Writes(c plan.Change) []string
	// Needs lists the units whose live data change c stands on because it
	// deletes, takes away, or re-creates an object with what the server
	// has: when the read that planned it did not read one of them
	// (RefreshedLive.Fresh), the engine plans again with it read.
	Needs(c plan.Change) []string
}

// Refresh narrows a read to units.
type Refresh struct {
	// Units are the units to read afresh, sorted.
	Units []string
	// Assumed reports whether a unit outside Units may go unread: the
	// files want of it what a read last found on the server. A provider
	// reads every unit it meets for which Assumed is false (a member the
	// state has no record of).
	Assumed func(unit string) bool
	// Matched, when set, reports whether the state's record of a unit
	// says that a read last found it as the files want it now: a unit of
	// Units read for the drift sweep, not because the files changed it. A
	// provider may rely on what such a unit showed then to tell what it
	// should show now.
	Matched func(unit string) bool
	// Base, when set, is what the previous read of the same plan returned:
	// a provider may read only the units of Units that Base does not hold
	// and return a copy of Base with them added. One that ignores it reads
	// anew.
	Base Live
}

// CompletedLive is a live model that can say what the server holds with
// what a narrowed read did not read taken as last read: as the files want
// it, as the plan takes it. What a run makes of a read besides its plan
// (the access report) uses it.
type CompletedLive interface {
	Live
	// Completed is the live model with what the read did not read filled
	// in as the files d want it (the ids from st); a read in full is
	// returned as it is.
	Completed(d *spec.Desired, st *state.State) Live
}

// RefreshedLive is the live model of a provider that implements
// Refresher, read in full or narrowed.
type RefreshedLive interface {
	Live
	// Refreshed lists, sorted, the units this read read and found on the
	// server.
	Refreshed() []string
	// Fresh reports whether this read holds what the server has of unit u:
	// a unit of Refreshed, or one it read and did not find (a member not
	// in its project's listing), or a unit Needs names that it covered.
	Fresh(u string) bool
}
