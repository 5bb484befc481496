package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/planfile"
	"github.com/permsync/permsync/plan/render"
	"github.com/permsync/permsync/spec"
)

func init() {
	register(command{
		name:    "plan",
		summary: "show what apply would change on the server (never writes)",
		run:     runPlan,
	})
}

func runPlan(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	pf := addPlanFlags(fs)
	format := fs.String("o", "text", "output format: text, json or markdown")
	out := fs.String("out", "", "save the plan to this file, for 'permsync apply PLANFILE'")
	detailed := fs.Bool("detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error or when apply would refuse the plan")
	mdDir := fs.String("markdown-dir", "", "also write the Markdown plan to this directory, one file per pull-request comment (plan-1.md, plan-2.md, ...)")
	rfl := addRefreshFlags(fs, engine.RefreshFull)
	summary := addSummaryFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync plan -f PATH... [--server URL] [--state PATH] [-o text|json|markdown] [--out PLANFILE] [--markdown-dir DIR] [--detailed-exitcode] [--refresh full|changed]")
		fs.PrintDefaults()
	}
	if err := parseFlags(env, fs, args); err != nil {
		return parseErrorCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "permsync plan: unexpected argument %q (files are given with -f)\n", fs.Arg(0))
		return exitError
	}
	switch *format {
	case "text", "json", "markdown":
	default:
		fmt.Fprintf(env.stderr, "permsync plan: -o %q: want text, json or markdown\n", *format)
		return exitError
	}
	refresh, err := rfl.options(0)
	if err != nil {
		fmt.Fprintf(env.stderr, "permsync plan: %v\n", err)
		return exitError
	}

	env.setPhase("loading the files and the state", "")
	s, err := pf.open(ctx, env)
	if err != nil {
		printErr(env, "plan", err)
		return exitError
	}
	defer s.close()
	s.useReadConcurrency(pf.server.concurrency)
	s.pipeline(env, pf.allowMassDelete).Refresh = refresh
	env.setPhase("reading the server and planning", "")
	p, err := s.plan(ctx, env, pf.allowMassDelete)
	if err != nil {
		printErr(env, "plan", err)
		return exitError
	}
	env.setPhase("writing the plan", "")
	if err := writePlan(env.stdout, p, *format, env.isTerminal && !pf.noColor); err != nil {
		printErr(env, "plan", err)
		return exitError
	}
	if *mdDir != "" {
		if err := writeMarkdownParts(*mdDir, p); err != nil {
			printErr(env, "plan", err)
			return exitError
		}
	}
	if err := summary.write(env, p, *out, *mdDir); err != nil {
		printErr(env, "plan", err)
		return exitError
	}
	if *out != "" {
		if err := savePlan(*out, s, pf, p); err != nil {
			printErr(env, "plan", err)
			return exitError
		}
		fmt.Fprintf(env.stderr, "Saved the plan to %s. Apply it exactly as shown with: permsync apply %s\n", *out, *out)
	}
	if *detailed && len(p.Refusals) > 0 {
		// A plan apply would refuse is no "changes to apply": a pipeline
		// that runs plan on a pull request must fail there, not at merge.
		fmt.Fprintln(env.stderr, "permsync plan: the plan cannot be applied (see the refusals above).")
		return exitError
	}
	if *detailed && len(p.Changes) > 0 {
		return exitChanges
	}
	return exitOK
}

// writePlan renders a plan in one of the output formats.
func writePlan(w io.Writer, p *plan.Plan, format string, color bool) error {
	switch format {
	case "json":
		return render.JSON(w, p, render.JSONOptions{})
	case "markdown":
		parts := render.Markdown(p, render.MarkdownOptions{})
		for i, part := range parts {
			if i > 0 {
				// One comment each; a line of its own marks the split.
				if _, err := io.WriteString(w, "\n<!-- permsync: next comment -->\n\n"); err != nil {
					return err
				}
			}
			if _, err := io.WriteString(w, part); err != nil {
				return err
			}
		}
		return nil
	default:
		return render.Text(w, p, render.TextOptions{Color: color})
	}
}

// writeMarkdownParts writes each comment-sized part of the Markdown plan
// to dir as plan-N.md, and removes parts a previous, longer plan left, so
// a pipeline can post exactly the files it finds.
func writeMarkdownParts(dir string, p *plan.Plan) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write markdown parts: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "plan-*.md"))
	if err != nil {
		return fmt.Errorf("write markdown parts: %w", err)
	}
	for _, f := range old {
		// Only the parts: plan-notes.md is someone else's file.
		n := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "plan-"), ".md")
		if n == "" || strings.Trim(n, "0123456789") != "" {
			continue
		}
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("write markdown parts: %w", err)
		}
	}
	for i, part := range render.Markdown(p, render.MarkdownOptions{}) {
		name := filepath.Join(dir, fmt.Sprintf("plan-%d.md", i+1))
		if err := os.WriteFile(name, []byte(part), 0o644); err != nil {
			return fmt.Errorf("write markdown parts: %w", err)
		}
	}
	return nil
}

// savePlan writes the plan file with what apply PLANFILE needs to re-plan
// and compare.
func savePlan(path string, s *session, pf *planFlags, p *plan.Plan) error {
	statePath := s.statePath
	if s.tempDir != "" {
		// The simulator's throwaway state: apply starts afresh too.
		statePath = ""
	}
	f := &planfile.File{
		CreatedBy:   "permsync " + version,
		Server:      s.serverURL,
		StatePath:   statePath,
		StateSerial: s.state.Serial,
		Plan:        p,
		Options: planfile.Options{
			AllowMassDelete: pf.allowMassDelete,
			Paths:           pf.files,
			TokenUser:       pf.tokenUser,
			Simulator:       pf.simulator,
			Targets:         pf.targets,
		},
	}
	for _, df := range s.desired.Files {
		f.Files = append(f.Files, planfile.FileRef{Path: df.Path, SHA256: df.SHA256})
	}
	if err := planfile.Write(path, f); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

// printErr prints an error, never a stack trace. Problems in the files
// come one per line, file:line: field: message, with their count, as
// validate prints them.
func printErr(env *cmdEnv, cmd string, err error) {
	var me *multierror.Error
	if errors.As(err, &me) {
		printProblems(env.stderr, spec.Problems(err))
		return
	}
	// An error may quote the server (its message, a name it holds):
	// escaped, so that it cannot rewrite the terminal or start a CI
	// workflow command; permsync's own line breaks are kept.
	msg := textsafe.Text(strings.TrimRight(err.Error(), "\n"))
	fmt.Fprintf(env.stderr, "permsync %s: %s\n", cmd, msg)
}

// printProblems prints the problems found in the files and their count.
func printProblems(w io.Writer, probs []*spec.Problem) {
	for _, p := range probs {
		fmt.Fprintln(w, textsafe.Text(p.Error()))
	}
	if len(probs) == 1 {
		fmt.Fprintln(w, "1 problem.")
	} else {
		fmt.Fprintf(w, "%d problems.\n", len(probs))
	}
}

// printWarnings prints what the files hold that is valid but doubtful (two
// names that differ only by case, ...), one line each on stderr.
func printWarnings(env *cmdEnv, d *spec.Desired) {
	for _, w := range d.Warnings {
		fmt.Fprintf(env.stderr, "Warning: %s\n", w.Error())
	}
}
