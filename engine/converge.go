package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/state"
)

// DefaultMaxRounds is how many rounds Converge runs at most, the first
// included.
const DefaultMaxRounds = 8

// ErrOutsidePlan is wrapped by the error Converge returns when the server,
// read again after a round with failures, calls for a change the approved
// plan does not hold: it is not applied.
var ErrOutsidePlan = errors.New("the server needs changes the approved plan does not hold")

// ConvergeOptions tune Converge.
type ConvergeOptions struct {
	// Replan reads the server again and plans against the state as Apply
	// left it. Without it, Converge is Apply.
	Replan func(ctx context.Context) (*plan.Plan, error)
	// MaxRounds bounds the rounds, the first included; default
	// DefaultMaxRounds.
	MaxRounds int
	// OnRound, if set, is told before every round after the first: its
	// number (2, 3, ...) and the changes it will apply.
	OnRound func(round int, p *plan.Plan)
	// MayPass reports whether a failure may pass by trying again after a
	// fresh read (the provider's error classification); default
	// provider.MayPass.
	MayPass func(error) bool
	// AllowsLater, if set, allows in a later round a change of the same
	// object that the approved change does not cover by the general rule
	// below: a provider's own recovery that the plan says it may make (st
	// is the state the later change was planned against).
	AllowsLater func(approved, later plan.Change, st *state.State) bool
}

// Converge applies p as Apply does and, when changes failed for a reason
// that may pass (the server answered 5xx, 429 or code >= 500, a timeout, a
// broken connection), reads the server again, plans again and applies what
// is still missing: at most MaxRounds rounds, and only while the rounds
// make progress (two rounds in a row that apply nothing and fail the same way end it). It never sends a failed call again blindly: each
// round works from what the server now holds, so a write whose answer was
// lost but which the server made is not made twice.
//
// A later round applies only changes the approved plan p holds (same kind
// and key and server id, an action p allows, attributes p sets to the
// same values, and for an update no binding taken away that p's update
// leaves in place), or the replace of a group whose create p holds and
// whose group/add lost its answer in an earlier round (the state marks
// it pending in the folder p creates it in: the replace deletes only
// what that create may have left);
// a plan calling for anything else stops Converge with ErrOutsidePlan
// before that round writes anything.
//
// The Result covers the changes of p, in the order of p: a change is
// applied when a round applied it or when the server, read again, already
// matched it; otherwise it carries the failure of the last round that
// tried it. Calls sum the write calls of every round.
func Converge(ctx context.Context, p *plan.Plan, st *state.State, o Options, co ConvergeOptions, newExecutor NewExecutor) (*Result, error) {
	res, err := Apply(ctx, p, st, o, newExecutor)
	if res == nil || co.Replan == nil {
		return res, err
	}
	if co.MaxRounds <= 0 {
		co.MaxRounds = DefaultMaxRounds
	}
	if co.MayPass == nil {
		co.MayPass = provider.MayPass
	}
	merged := cloneResult(res)
	// Two rounds in a row that apply nothing and fail the same way end
	// it: the failures persist. Rounds that fail otherwise (a timeout
	// where a 503 was, another step of a group's recovery) may still be
	// getting somewhere, up to MaxRounds.
	lastFailures := failures(res)
	idle := false // the last round applied nothing
	for round := 2; round <= co.MaxRounds; round++ {
		if err != nil || res.Interrupted || ctx.Err() != nil || !worthAnotherRound(res, co.MayPass) {
			return merged, err
		}
		next, perr := co.Replan(ctx)
		if perr == nil && next == nil {
			perr = errors.New("no plan")
		}
		if perr != nil {
			return merged, fmt.Errorf("round %d: planning again: %w", round, perr)
		}
		markMatched(merged, next)
		if len(next.Changes) == 0 {
			return merged, nil
		}
		if outside := outsidePlan(p, next, st, co.AllowsLater); len(outside) > 0 {
			return merged, fmt.Errorf("round %d: %w; not applied:\n  - %s", round, ErrOutsidePlan, strings.Join(outside, "\n  - "))
		}
		if co.OnRound != nil {
			co.OnRound(round, next)
		}
		res, err = Apply(ctx, next, st, o, newExecutor)
		if res == nil {
			return merged, fmt.Errorf("round %d: %w", round, err)
		}
		mergeRound(merged, res)
		now := failures(res)
		same := now == lastFailures
		lastFailures = now
		if res.Applied() == 0 && idle && same {
			// Two rounds in a row without progress: the failures persist.
			return merged, err
		}
		idle = res.Applied() == 0
	}
	return merged, err
}

// failures is a signature of how a round failed: each failed change and
// its error, in plan order.
func failures(r *Result) string {
	var b strings.Builder
	for _, c := range r.Changes {
		if c.Status == StatusFailed {
			fmt.Fprintf(&b, "%s %s %s: %v\n", c.Change.Action, c.Change.Kind, c.Change.Key, c.Err)
		}
	}
	return b.String()
}

// worthAnotherRound reports whether a round failed only where trying again
// after a fresh read may help: at least one failure, and every failure
// one the server may get over.
func worthAnotherRound(r *Result, mayPass func(error) bool) bool {
	failed := 0
	for _, c := range r.Changes {
		if c.Status != StatusFailed {
			continue
		}
		failed++
		if !mayPass(c.Err) {
			return false
		}
	}
	return failed > 0
}

func changeID(c plan.Change) string { return string(c.Kind) + " " + c.Key }

func cloneResult(r *Result) *Result {
	m := &Result{Changes: append([]ChangeResult(nil), r.Changes...), Calls: map[string]int{}, Interrupted: r.Interrupted}
	for k, v := range r.Calls {
		m.Calls[k] = v
	}
	return m
}

// markMatched marks applied the changes of merged that a fresh plan no
// longer holds: the server matches them (a write whose answer was lost).
func markMatched(merged *Result, next *plan.Plan) {
	left := map[string]bool{}
	for _, c := range next.Changes {
		left[changeID(c)] = true
	}
	for i, cr := range merged.Changes {
		if cr.Status != StatusApplied && !left[changeID(cr.Change)] {
			merged.Changes[i].Status = StatusApplied
			merged.Changes[i].Err = nil
			merged.Changes[i].Reason = ""
		}
	}
}

// mergeRound folds a later round's result into merged: each change of
// merged takes the outcome of the round's change of the same object.
func mergeRound(merged, r *Result) {
	byID := map[string]ChangeResult{}
	for _, cr := range r.Changes {
		byID[changeID(cr.Change)] = cr
	}
	for i, cr := range merged.Changes {
		if cr.Status == StatusApplied {
			continue
		}
		if got, ok := byID[changeID(cr.Change)]; ok {
			merged.Changes[i].Status, merged.Changes[i].Err, merged.Changes[i].Reason = got.Status, got.Err, got.Reason
		}
	}
	for k, v := range r.Calls {
		merged.Calls[k] += v
	}
	merged.Interrupted = merged.Interrupted || r.Interrupted
}

// outsidePlan lists the changes of next that the approved plan does not
// allow. st is the state next was planned against.
func outsidePlan(approved, next *plan.Plan, st *state.State, allowsLater func(a, c plan.Change, st *state.State) bool) []string {
	byID := map[string][]plan.Change{}
	for _, c := range approved.Changes {
		byID[changeID(c)] = append(byID[changeID(c)], c)
	}
	var out []string
	for _, c := range next.Changes {
		ok := false
		for _, a := range byID[changeID(c)] {
			if allows(a, c) || allowsLater != nil && allowsLater(a, c, st) {
				ok = true
				break
			}
		}
		if !ok {
			line := fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Key)
			for _, a := range byID[changeID(c)] {
				if r := unplannedRemovals(a, c); len(r) > 0 {
					line += " (it would also remove " + strings.Join(r, ", ") + ", which the plan does not)"
					break
				}
			}
			out = append(out, line)
		}
	}
	sort.Strings(out)
	return out
}

// allows reports whether an approved change covers a later one of the
// same object: a delete or a replace only as such, a create only for a
// create or replace, every attribute the later change sets set to the
// same value by the approved one (but for the id the server gave an
// object the approved plan created), the same object (sameObject), and,
// between two updates, nothing taken away that the approved update leaves
// (see unplannedRemovals).
// Allows reports whether an approved change covers a later one (allows).
func Allows(a, c plan.Change) bool { return allows(a, c) }

func allows(a, c plan.Change) bool {
	switch c.Action {
	case plan.Delete, plan.Replace:
		if a.Action != c.Action {
			return false
		}
	case plan.Create:
		if a.Action != plan.Create && a.Action != plan.Replace {
			return false
		}
	case plan.Update:
		if a.Action == plan.Delete {
			return false
		}
	default:
		return false
	}
	if !sameObject(a, c) {
		return false
	}
	for k, v := range c.After {
		if k == "id" {
			// The server's id of an object the approved plan created.
			continue
		}
		av, ok := a.After[k]
		if !ok || !bytes.Equal(av, v) {
			return false
		}
	}
	return len(unplannedRemovals(a, c)) == 0
}

// sameObject reports whether a later change acts on the object the
// approved one named: the same server id when both know it. An object the
// approved plan made anew (a create, or a replace followed by a create or
// an update) has a new id.
func sameObject(a, c plan.Change) bool {
	switch {
	case a.Action == plan.Create:
		return true
	case a.Action == plan.Replace && c.Action != plan.Replace:
		return true
	}
	aid, cid := a.Before.Int("id"), c.Before.Int("id")
	return aid == 0 || cid == 0 || aid == cid
}

// unplannedRemovals lists, as "attribute item", what a later update c
// takes away from a list attribute (an item its Before holds and its
// After lacks: a user unbound from a role, a member removed from a group,
// a system role taken from a member) that the approved update a does not
// take away. With the same After, such an item is one added on the server
// since a was reviewed, and the reviewed plan never showed its removal.
// A create or a replace leaves the object exactly as After says, so only
// two updates are compared.
func unplannedRemovals(a, c plan.Change) []string {
	if a.Action != plan.Update || c.Action != plan.Update {
		return nil
	}
	names := make([]string, 0, len(c.After))
	for k := range c.After {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		approved := map[string]bool{}
		for _, it := range removedItems(a.Before[k], a.After[k]) {
			approved[it] = true
		}
		for _, it := range removedItems(c.Before[k], c.After[k]) {
			if !approved[it] {
				out = append(out, k+" "+displayItem(it))
			}
		}
	}
	return out
}

// removedItems lists the items of the JSON list before that the JSON
// list after lacks, each as its canonical JSON; nil when either is not a
// list (an absent before removes nothing).
func removedItems(before, after json.RawMessage) []string {
	var b, a []json.RawMessage
	if len(before) == 0 || json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return nil
	}
	kept := make(map[string]bool, len(a))
	for _, it := range a {
		kept[string(it)] = true
	}
	var out []string
	for _, it := range b {
		if !kept[string(it)] {
			out = append(out, string(it))
		}
	}
	return out
}

// displayItem shows a list item: a string without its quotes, anything
// else as JSON.
func displayItem(raw string) string {
	var s string
	if json.Unmarshal([]byte(raw), &s) == nil {
		return s
	}
	return raw
}
