package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/permsync/permsync/spec"
)

func init() {
	register(command{
		name:    "validate",
		summary: "check the desired-state files, without touching the server",
		run:     runValidate,
		// Nothing to finish: an interrupted validate that has not
		// returned is blocked in a read.
		stopGrace: 2 * time.Second,
	})
}

// runValidate loads, merges and checks the files given with -f. It prints a
// one-line summary when they are valid, else every problem, one per line.
func runValidate(_ context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var files stringList
	fs.Var(&files, "f", "a YAML file or a directory searched for *.yaml and *.yml (repeatable)")
	var ann annotations
	fs.Var(&ann, "annotations", annotationsUsage)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync validate -f PATH [-f PATH]...")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Loads every file, merges them into one desired state and checks it.")
		fmt.Fprintln(env.stderr, "Exits 0 when valid, 1 with every problem found when not.")
		fmt.Fprintln(env.stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(env, fs, args); err != nil {
		return parseErrorCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "permsync validate: unexpected argument %q (give files with -f)\n", fs.Arg(0))
		return exitError
	}
	if len(files) == 0 {
		fmt.Fprintln(env.stderr, "permsync validate: give at least one file or directory with -f")
		return exitError
	}
	env.setPhase("reading the files", "")
	if err := ann.begin(env, files); err != nil {
		printErr(env, "validate", err)
		return exitError
	}
	d, err := spec.Load(files)
	if err != nil {
		printProblems(env.stderr, spec.Problems(err))
		if err := ann.problems(env, spec.Problems(err), "error"); err != nil {
			printErr(env, "validate", err)
		}
		return exitError
	}
	fmt.Fprintf(env.stdout, "Valid: %s.\n", d.Summary())
	printWarnings(env, d)
	if err := ann.problems(env, d.Warnings, "warning"); err != nil {
		printErr(env, "validate", err)
		return exitError
	}
	return exitOK
}
