package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/permsync/permsync/access"
)

func init() {
	register(command{
		name:    "explain",
		summary: "show everything that reaches a user, and how (or everyone a resource reaches)",
		run:     runExplain,
	})
}

func runExplain(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	af := addAccessFlags(fs)
	resource := fs.String("resource", "", "explain a resource instead of a user: a report, dataset, role, data permission, group, department or table, by name, folder/name, path or id")
	project := fs.String("project", "", "only this project (Quick BI: workspace)")
	fs.StringVar(project, "workspace", "", "only this workspace (Quick BI; the same as --project)")
	format := fs.String("o", "text", "output format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync explain -f PATH... USER [--live] [--project NAME | --workspace NAME] [-o text|json]")
		fmt.Fprintln(env.stderr, "       permsync explain -f PATH... --resource NAME [--live] [--project NAME] [-o text|json]")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Every role, data permission, rule and resource that reaches the user, each with the path that grants it; with --live, also what the server shows, marked where it differs. See docs/access.md.")
		fs.PrintDefaults()
	}
	pos, err := parseFlagsInterspersed(env, fs, args)
	if err != nil {
		return parseErrorCode(err)
	}
	fail := func(err error) int {
		printErr(env, "explain", err)
		return exitError
	}
	switch {
	case *format != "text" && *format != "json":
		return fail(fmt.Errorf("-o %q: want text or json", *format))
	case len(pos) > 1:
		return fail(fmt.Errorf("one user at a time, got %d: %q", len(pos), pos))
	case len(pos) == 1 && *resource != "":
		return fail(errors.New("give a user or --resource, not both"))
	case len(pos) == 0 && *resource == "":
		return fail(errors.New("name a user (permsync explain -f DIR alice@corp.com) or a resource (--resource NAME)"))
	}
	rep, err := af.report(ctx, env)
	if err != nil {
		return fail(err)
	}
	var e *access.Explanation
	if *resource != "" {
		e, err = rep.ForResource(*resource, *project)
	} else {
		e, err = rep.ForUser(pos[0])
		if err == nil && *project != "" {
			kept := e.Grants[:0]
			for _, g := range e.Grants {
				if g.Space == *project {
					kept = append(kept, g)
				}
			}
			e.Grants = kept
		}
	}
	if err != nil {
		return fail(err)
	}
	if *format == "json" {
		err = e.WriteJSON(env.stdout)
	} else {
		err = e.WriteText(env.stdout)
	}
	if err != nil {
		return fail(err)
	}
	return exitOK
}
