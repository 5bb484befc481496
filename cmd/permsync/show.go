package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan/planfile"
)

func init() {
	register(command{
		name:    "show",
		summary: "show a saved plan (plan --out PLANFILE) as text, JSON or Markdown",
		run:     runShow,
		// Reads one local file.
		stopGrace: 2 * time.Second,
	})
}

// runShow renders a saved plan exactly as 'permsync plan' rendered it
// when it was saved: stdout holds the plan only; what the plan was made
// from, and whether its files have changed since, go to stderr.
func runShow(_ context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	format := fs.String("o", "text", "output format: text, json or markdown")
	noColor := fs.Bool("no-color", false, "no colours, even on a terminal (so do NO_COLOR=1 and TERM=dumb)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync show PLANFILE [-o text|json|markdown] [--no-color]")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Renders a plan saved with 'permsync plan --out PLANFILE', as plan renders it,")
		fmt.Fprintln(env.stderr, "without reading the server. Where it came from goes to stderr.")
		fmt.Fprintln(env.stderr)
		fs.PrintDefaults()
	}
	pos, err := parseFlagsInterspersed(env, fs, args)
	if err != nil {
		return parseErrorCode(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "permsync show: give one saved plan: permsync show PLANFILE")
		return exitError
	}
	switch *format {
	case "text", "json", "markdown":
	default:
		fmt.Fprintf(env.stderr, "permsync show: -o %q: want text, json or markdown\n", *format)
		return exitError
	}
	env.setPhase("reading the plan file", "")
	f, err := planfile.Read(pos[0])
	if err != nil {
		printErr(env, "show", err)
		return exitError
	}
	color := *format == "text" && env.isTerminal && !*noColor && !env.noColor()
	if err := writePlan(env.stdout, f.Plan, *format, color); err != nil {
		printErr(env, "show", err)
		return exitError
	}
	paths := make([]string, len(f.Files))
	for i, r := range f.Files {
		paths[i] = r.Path
	}
	from := fmt.Sprintf("%d file(s)", len(paths))
	if len(paths) > 0 && len(paths) <= 5 {
		from = strings.Join(paths, ", ")
	}
	fmt.Fprintf(env.stderr, "Saved plan for %s (state serial %d), made by %s from %s.\n",
		textsafe.Line(f.Server), f.StateSerial, textsafe.Line(f.CreatedBy), textsafe.Line(from))
	if err := f.CheckFiles(); err != nil {
		fmt.Fprintf(env.stderr, "The files changed since it was saved: 'permsync apply %s' would refuse it as stale (%s).\n", pos[0], textsafe.Line(err.Error()))
	}
	return exitOK
}
