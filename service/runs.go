package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/atomicfile"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/render"
)

// RunKeeper keeps each run's plan and result as JSON in Dir/<run id>/
// (plan.json in the format of docs/plan-json.md, result.json as
// RunResult), and the newest Keep runs only.
type RunKeeper struct {
	Dir  string
	Keep int
	// Logger is told when a run cannot be kept (default: discard).
	Logger *slog.Logger
}

var _ Observer = (*RunKeeper)(nil)

// RunResult is result.json of a kept run. Its fields are a contract
// (docs/run.md): new ones may appear.
type RunResult struct {
	RunID    string    `json:"run_id"`
	Run      int       `json:"run"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended"`
	Mode     Mode      `json:"mode"`
	Result   Result    `json:"result"`
	Error    string    `json:"error,omitempty"`
	Planned  int       `json:"changes_planned"`
	Applied  int       `json:"changes_applied"`
	Failed   int       `json:"changes_failed"`
	Skipped  int       `json:"changes_skipped"`
	Refusals []string  `json:"refusals"`
	Warnings []string  `json:"warnings"`
	Calls    int64     `json:"calls"`
	// WriteCalls counts the apply's write calls per endpoint.
	WriteCalls map[string]int `json:"write_calls,omitempty"`
	// Remaining is what the verify plan still found (-1: none was made).
	Remaining int `json:"remaining_after_verify"`
	// Changes are the apply's changes and what became of each.
	Changes   []RunChange `json:"changes"`
	Abandoned bool        `json:"abandoned,omitempty"`
}

// RunChange is one change of a kept run's apply.
type RunChange struct {
	Address string        `json:"address"`
	Action  plan.Action   `json:"action"`
	Status  engine.Status `json:"status"`
	Error   string        `json:"error,omitempty"`
	Reason  string        `json:"reason,omitempty"`
}

// NewRunResult is the result.json of a finished run.
func NewRunResult(r RunRecord) RunResult {
	rep := r.Report
	out := RunResult{RunID: r.ID, Run: r.N, Started: r.Started.UTC(), Ended: r.Ended.UTC(), Mode: rep.Mode, Result: rep.Result,
		Planned: -1, Refusals: []string{}, Warnings: []string{}, Calls: r.Calls, Remaining: rep.Remaining, Changes: []RunChange{}, Abandoned: r.Abandoned}
	if rep.Err != nil {
		out.Error = rep.Err.Error()
	}
	if rep.Plan != nil {
		out.Planned = len(rep.Plan.Changes)
		out.Refusals = append(out.Refusals, rep.Plan.RefusalMessages()...)
		out.Warnings = append(out.Warnings, rep.Plan.Warnings...)
	}
	if a := rep.Apply; a != nil {
		out.Applied, out.Failed, out.Skipped, out.WriteCalls = a.Applied(), a.Failed(), a.Skipped(), a.Calls
		for _, cr := range a.Changes {
			c := RunChange{Address: plan.StateKey(cr.Change.Kind, cr.Change.Key), Action: cr.Change.Action, Status: cr.Status, Reason: cr.Reason}
			if cr.Err != nil {
				c.Error = cr.Err.Error()
			}
			out.Changes = append(out.Changes, c)
		}
	}
	return out
}

// RunFinished writes the run's files, then removes the oldest runs
// beyond Keep.
func (k *RunKeeper) RunFinished(_ context.Context, r RunRecord) {
	if err := k.keep(r); err != nil {
		k.logger().Error("keeping the run's plan and result", "run_id", r.ID, "error", err.Error())
	}
	if err := k.prune(); err != nil {
		k.logger().Error("removing old runs", "dir", k.Dir, "error", err.Error())
	}
}

func (k *RunKeeper) logger() *slog.Logger {
	if k.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return k.Logger
}

func (k *RunKeeper) keep(r RunRecord) error {
	dir := filepath.Join(k.Dir, r.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("keep run %s: %w", r.ID, err)
	}
	if p := r.Report.Plan; p != nil {
		var b bytes.Buffer
		if err := render.JSON(&b, p, render.JSONOptions{}); err != nil {
			return fmt.Errorf("keep run %s: plan: %w", r.ID, err)
		}
		if err := atomicfile.WriteAll(filepath.Join(dir, "plan.json"), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("keep run %s: %w", r.ID, err)
		}
	}
	b, err := json.MarshalIndent(NewRunResult(r), "", "  ")
	if err != nil {
		return fmt.Errorf("keep run %s: result: %w", r.ID, err)
	}
	if err := atomicfile.WriteAll(filepath.Join(dir, "result.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("keep run %s: %w", r.ID, err)
	}
	return nil
}

// prune removes the oldest run directories beyond Keep. Run ids sort by
// time; entries that are not run directories are left alone.
func (k *RunKeeper) prune() error {
	if k.Keep <= 0 {
		return nil
	}
	ents, err := os.ReadDir(k.Dir)
	if err != nil {
		return err
	}
	var runs []string
	for _, e := range ents {
		if e.IsDir() && isRunID(e.Name()) {
			runs = append(runs, e.Name())
		}
	}
	sort.Strings(runs)
	for len(runs) > k.Keep {
		if err := os.RemoveAll(filepath.Join(k.Dir, runs[0])); err != nil {
			return err
		}
		runs = runs[1:]
	}
	return nil
}

// isRunID reports whether name looks like audit.NewRunID's ids
// ("20261203T142530Z-3f9a1c").
func isRunID(name string) bool {
	ts, _, ok := strings.Cut(name, "-")
	if !ok {
		return false
	}
	_, err := time.Parse("20060102T150405Z", ts)
	return err == nil
}
