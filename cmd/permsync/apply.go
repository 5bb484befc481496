package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/audit"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/planfile"
	"github.com/permsync/permsync/plan/render"
	"github.com/permsync/permsync/state"
)

func init() {
	register(command{
		name:    "apply",
		summary: "make the server match the files, or apply a saved plan exactly as reviewed",
		run:     runApply,
		// The calls in flight at an interruption get 30 s to finish
		// (reconcile's InterruptGrace), then the state records them.
		stopGrace: 45 * time.Second,
	})
}

// nothingChanged is the note of an apply abandoned before its first write.
const nothingChanged = "Nothing was changed."

func runApply(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	pf := addPlanFlags(fs)
	autoApprove := fs.Bool("auto-approve", false, "apply without asking (required when there is no terminal)")
	forceUnlock := fs.Bool("force-unlock", false, "remove a lock left by an apply that is no longer running")
	batchSize := fs.Int("batch-size", 500, "users per user/batchImport call")
	verify := addVerifyFlag(fs, "after applying, read again and plan again, and report whether the server matches: changed (the default; --verify alone too) reads again what the apply wrote, full everything, false nothing")
	rfl := addRefreshFlags(fs, engine.RefreshFull)
	auditPath := fs.String("audit-log", "", `append one JSON line per change written (or tried) to this file ("-": standard error); see docs/audit.md`)
	reassert := fs.Bool("reassert", false, "send again every facet the files manage that the server cannot show (departments, users' departments, company, position, leaders and attributes, resource permissions, group descriptions, group and department bindings of roles, direct resource members): edits made to them in the web console are otherwise not seen")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync apply -f PATH... [--auto-approve] [flags]")
		fmt.Fprintln(env.stderr, "       permsync apply PLANFILE [flags]")
		fs.PrintDefaults()
	}
	posArgs, err := parseFlagsInterspersed(env, fs, args)
	if err != nil {
		return parseErrorCode(err)
	}
	var saved *planfile.File
	switch len(posArgs) {
	case 0:
	case 1:
		if *reassert {
			fmt.Fprintln(env.stderr, "permsync apply: --reassert plans anew: give -f PATH..., not a saved PLANFILE (or save a plan made with it)")
			return exitError
		}
		if len(pf.files) > 0 {
			fmt.Fprintln(env.stderr, "permsync apply: give either -f PATH... or a saved PLANFILE, not both")
			return exitError
		}
		f, err := planfile.Read(posArgs[0])
		if err != nil {
			printErr(env, "apply", err)
			return exitError
		}
		if err := f.CheckFiles(); err != nil {
			var fce *planfile.FilesChangedError
			if errors.As(err, &fce) && len(fce.Missing) == len(f.Files) && !filepath.IsAbs(fce.Missing[0]) {
				// Not one file is found: the plan is not stale, apply runs
				// in another directory than plan did.
				fmt.Fprintf(env.stderr, "permsync apply: none of the files the plan was made from is found (%s): their paths are relative to the directory 'permsync plan' ran in; run apply there. Nothing was changed.\n", strings.Join(fce.Missing, ", "))
				return exitError
			}
			printErr(env, "apply", fmt.Errorf("stale plan: %w", err))
			return exitError
		}
		if len(pf.targets) > 0 {
			fmt.Fprintln(env.stderr, "permsync apply: a saved PLANFILE is applied with the --target it was planned with; give --target to 'permsync plan', not here")
			return exitError
		}
		saved = f
		pf.files = f.Options.Paths
		pf.targets = f.Options.Targets
		pf.allowMassDelete = f.Options.AllowMassDelete
		if pf.tokenUser == "" {
			pf.tokenUser = f.Options.TokenUser
		}
		if pf.simulator == "" {
			pf.simulator = f.Options.Simulator
		}
		if pf.statePath == "" {
			// Empty for a simulator run that kept its state in a
			// temporary directory: it starts afresh again.
			pf.statePath = f.StatePath
		}
		// The plan was reviewed: applying it is the approval.
		*autoApprove = true
	default:
		fmt.Fprintf(env.stderr, "permsync apply: unexpected arguments %q\n", posArgs[1:])
		return exitError
	}

	refresh, err := rfl.options(0)
	if err != nil {
		fmt.Fprintf(env.stderr, "permsync apply: %v\n", err)
		return exitError
	}

	auditLog, err := openAudit(env, *auditPath, "apply")
	if err != nil {
		printErr(env, "apply", err)
		return exitError
	}
	auditOK := true
	defer func() {
		if err := auditLog.Close(); err != nil && auditOK {
			printErr(env, "apply", err)
		}
	}()
	runID := audit.NewRunID(time.Now())

	env.setPhase("loading the files and the state", nothingChanged)
	s, err := pf.open(ctx, env)
	if err != nil {
		printErr(env, "apply", err)
		return exitError
	}
	defer s.close()
	s.batchSize = *batchSize
	s.useReadConcurrency(pf.server.concurrency)
	s.pipeline(env, pf.allowMassDelete).Refresh = refresh
	if saved != nil && saved.Options.Simulator == "" && saved.Server != s.serverURL {
		printErr(env, "apply", fmt.Errorf("stale plan: it was made for %s, not %s", saved.Server, s.serverURL))
		return exitError
	}

	lockLeft := fmt.Sprintf("The lock %s is left: once sure that no apply runs, remove it with 'permsync apply --force-unlock'.", state.LockPath(s.statePath))
	env.setPhase("taking the state's lock", nothingChanged+" If it had been taken, "+strings.ToLower(lockLeft[:1])+lockLeft[1:])
	unlock, err := s.lock(env, *forceUnlock)
	if err != nil {
		printErr(env, "apply", err)
		return exitError
	}
	defer unlock()

	if *reassert {
		n, err := markReassert(s.pipeline(env, pf.allowMassDelete).Provider, s.state, time.Now())
		if err != nil {
			printErr(env, "apply", fmt.Errorf("--reassert: %w", err))
			return exitError
		}
		fmt.Fprintf(env.stdout, "Re-asserting the %d facet(s) the state records that the server cannot show: those the files still manage are sent again.\n\n", n)
	}
	env.setPhase("reading the server and planning", nothingChanged+" "+lockLeft)
	color := env.isTerminal && !pf.noColor
	p, err := s.plan(ctx, env, pf.allowMassDelete)
	if err != nil {
		printErr(env, "apply", err)
		return exitError
	}
	// newRefusals are the refusals of today's plan that the saved plan
	// shown below lacks.
	var newRefusals []string
	if saved != nil {
		if !plan.Equal(saved.Plan, p) {
			fmt.Fprintln(env.stderr, "permsync apply: stale plan: the server or the files changed since the plan was saved. Differences:")
			for _, d := range plan.Diff(saved.Plan, p) {
				fmt.Fprintf(env.stderr, "  %s\n", textsafe.Line(d))
			}
			fmt.Fprintln(env.stderr, "Nothing was changed. Run 'permsync plan' again and review the new plan.")
			return exitError
		}
		// The saved plan is applied as reviewed, under the guard rails of
		// today's server: a maxDeletes share may have shrunk since.
		for _, r := range p.RefusalMessages() {
			if !slices.Contains(saved.Plan.RefusalMessages(), r) {
				newRefusals = append(newRefusals, r)
			}
		}
		p = asReviewed(saved.Plan, p)
	}
	if err := render.Text(env.stdout, p, render.TextOptions{Color: color}); err != nil {
		printErr(env, "apply", err)
		return exitError
	}
	stateFile := state.NewWriter(s.statePath)
	if len(p.Changes) == 0 {
		if refresh.Mode == engine.RefreshChanged && s.pipeline(env, pf.allowMassDelete).RecordsReads() {
			// The drift sweep moves on: the units read are recorded.
			s.pipeline(env, pf.allowMassDelete).RecordReads(p)
			if err := s.recordReads(stateFile); err != nil {
				printErr(env, "apply", err)
				return exitError
			}
		}
		return exitOK
	}
	if len(p.Refusals)+len(newRefusals) > 0 {
		for _, r := range newRefusals {
			fmt.Fprintf(env.stderr, "permsync apply: refused now: %s\n", textsafe.Text(r))
		}
		fmt.Fprintln(env.stderr, "permsync apply: the plan cannot be applied (see above); nothing was changed.")
		return exitError
	}
	if !*autoApprove {
		if !env.isTerminal {
			fmt.Fprintln(env.stderr, "permsync apply: no terminal to ask for approval: review the plan and run again with --auto-approve, or apply a saved plan (permsync plan --out PLANFILE). Nothing was changed.")
			return exitError
		}
		if !confirm(ctx, env.stdin, env.stdout) {
			fmt.Fprintln(env.stdout, "Apply cancelled. Nothing was changed.")
			return exitError
		}
	}

	// Changes that failed for a reason that may pass are not sent again
	// blindly: Converge reads the server again and applies only what is
	// still missing, within the plan shown above.
	s.writing = true
	defer func() {
		// The journal of the apply's saves is folded into the state file.
		s.state.Server = s.serverURL
		if err := stateFile.Compact(s.state); err != nil {
			printErr(env, "apply", fmt.Errorf("%w; the state at %s and its journal %s hold what was applied", err, s.statePath, state.JournalPath(s.statePath)))
		}
	}()
	env.setPhase("applying the changes", fmt.Sprintf("Changes may have been applied: the state at %s records those whose calls had returned. %s Then run 'permsync plan' to see what is left.", s.statePath, lockLeft))
	progress := s.applyProgress(env, len(p.Changes))
	res, applyErr := s.pipeline(env, pf.allowMassDelete).Apply(ctx, p, engine.ApplyOptions{
		Progress: func(cr engine.ChangeResult) {
			auditLog.Change(runID, cr)
			progress.change(cr)
		},
		SaveState: func(st *state.State) error {
			st.Server = s.serverURL
			return stateFile.Save(st)
		},
		OnRound: func(round int, next *plan.Plan) {
			fmt.Fprintf(env.stdout, "Round %d: some changes failed; read the server again, %d change(s) of the plan still to apply.\n", round, len(next.Changes))
		},
	})
	progress.stop()
	if res != nil {
		printReport(env.stdout, res)
	}
	if err := auditLog.Err(); err != nil {
		// Said once, here, with what it means; not again at Close.
		auditOK = false
		printErr(env, "apply", fmt.Errorf("%w: the changes reported above were applied, but the audit log misses some of them", err))
		return exitError
	}
	if applyErr != nil {
		printErr(env, "apply", applyErr)
		switch {
		case res == nil:
			// Refused before the first write.
		case errors.Is(applyErr, engine.ErrStateNotSaved):
			fmt.Fprintf(env.stderr, "The state at %s does not record every change reported applied above: fix the cause before running apply again.\n", s.statePath)
		default:
			fmt.Fprintf(env.stderr, "The state at %s records exactly what was applied.\n", s.statePath)
		}
		return exitError
	}
	if res.Failed() > 0 {
		fmt.Fprintf(env.stderr, "permsync apply: %d change(s) failed; the state at %s records what was applied. Fix the cause and run apply again.\n", res.Failed(), s.statePath)
		return exitError
	}
	pipe := s.pipeline(env, pf.allowMassDelete)
	if verify.mode == engine.VerifyOff || ctx.Err() != nil {
		pipe.RecordReads(p)
		if err := s.recordReads(stateFile); err != nil {
			printErr(env, "apply", err)
			return exitError
		}
		return exitOK
	}
	fmt.Fprintln(env.stdout)
	if verify.mode == engine.VerifyFull {
		fmt.Fprintln(env.stdout, "Verifying: planning again against the server...")
	} else {
		fmt.Fprintln(env.stdout, "Verifying: reading again what the apply wrote, and planning again...")
	}
	env.setPhase("verifying", "The changes were applied and recorded. "+lockLeft)
	again, err := s.verify(ctx, env, pf.allowMassDelete, p, verify.mode)
	if err != nil {
		printErr(env, "apply", fmt.Errorf("verify: %w", err))
		return exitError
	}
	if err := s.recordReads(stateFile); err != nil {
		printErr(env, "apply", err)
		return exitError
	}
	if err := render.Text(env.stdout, again, render.TextOptions{Color: color}); err != nil {
		printErr(env, "apply", err)
		return exitError
	}
	if len(again.Changes) > 0 {
		fmt.Fprintln(env.stderr, "permsync apply: the server still differs from the files after the apply (see the plan above): someone may be changing it at the same time.")
		return exitError
	}
	return exitOK
}

// lock takes the state's lock (removing a stale one first with
// forceUnlock) and reads the state again under it: an apply that held the
// lock when the session was opened may have written the state since. The
// returned func releases the lock.
func (s *session) lock(env *cmdEnv, forceUnlock bool) (func(), error) {
	if forceUnlock {
		held, err := state.ForceUnlock(s.statePath)
		if err != nil {
			return nil, err
		}
		if held.PID != 0 {
			fmt.Fprintf(env.stderr, "Removed the lock of pid %d on %s (since %s).\n", held.PID, held.Host, held.Created.Format("2006-01-02 15:04:05 MST"))
		}
	}
	lock, err := state.AcquireLock(s.statePath)
	if err != nil {
		return nil, err
	}
	unlock := func() {
		if err := lock.Release(); err != nil {
			printErr(env, "apply", err)
		}
	}
	if err := s.loadState(); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// confirm asks for "yes" as Terraform does. Ctrl-C (ctx cancelled) at the
// prompt is a no, so the lock is released on the way out.
func confirm(ctx context.Context, in io.Reader, out io.Writer) bool {
	fmt.Fprint(out, "\nDo you want to apply these changes?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
	answer := make(chan bool, 1)
	go func() {
		line, err := bufio.NewReader(in).ReadString('\n')
		answer <- (err == nil || errors.Is(err, io.EOF)) && strings.TrimSpace(line) == "yes"
	}()
	select {
	case yes := <-answer:
		return yes
	case <-ctx.Done():
		fmt.Fprintln(out)
		return false
	}
}

// printReport prints what was applied, what failed (with the server's
// answer) and what was skipped. Keys, errors and reasons may hold the
// server's text: each is escaped onto its line, so that none can forge a
// line of the report (a fake "Apply complete: 0 failed").
func printReport(w io.Writer, r *engine.Result) {
	fmt.Fprintln(w)
	for _, cr := range r.Changes {
		switch cr.Status {
		case engine.StatusFailed:
			fmt.Fprintf(w, "  failed   %s %s %s: %s\n", cr.Change.Action, cr.Change.Kind, textsafe.Line(cr.Change.Key), textsafe.Line(errText(cr.Err)))
		case engine.StatusSkipped:
			fmt.Fprintf(w, "  skipped  %s %s %s: %s\n", cr.Change.Action, cr.Change.Kind, textsafe.Line(cr.Change.Key), textsafe.Line(cr.Reason))
		}
	}
	endpoints := make([]string, 0, len(r.Calls))
	total := 0
	for ep, n := range r.Calls {
		endpoints = append(endpoints, fmt.Sprintf("%s %d", ep, n))
		total += n
	}
	sort.Strings(endpoints)
	fmt.Fprintf(w, "Apply complete: %d applied, %d failed, %d skipped; %d write calls", r.Applied(), r.Failed(), r.Skipped(), total)
	if len(endpoints) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(endpoints, ", "))
	}
	fmt.Fprintln(w, ".")
	if r.Interrupted {
		fmt.Fprintln(w, "Interrupted: the calls in flight were finished and recorded; the rest was not started.")
	}
}

// errText is err's message, "<nil>" for none, as %v prints it.
func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// asReviewed is the saved plan to apply, equal to today's plan in
// everything reviewed (plan.Equal). A plan file written before plans
// carried their provider, phases and dependencies takes them from today's
// plan, change by change.
func asReviewed(saved, today *plan.Plan) *plan.Plan {
	if saved.Provider != "" || len(saved.Changes) != len(today.Changes) {
		return saved
	}
	out := *saved
	out.Provider, out.Kinds = today.Provider, today.Kinds
	out.Changes = append([]plan.Change(nil), saved.Changes...)
	for i := range out.Changes {
		out.Changes[i].Phase = today.Changes[i].Phase
		out.Changes[i].DependsOn = today.Changes[i].DependsOn
	}
	return &out
}
