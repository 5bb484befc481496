package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

func init() {
	register(command{
		name:    "help",
		summary: "show the commands, or a command's usage, flags and examples",
		run:     runHelp,
	})
}

// runHelp prints the usage of permsync, or of the command named, on
// stdout: the command's own -h, which also lists its examples.
func runHelp(ctx context.Context, env *cmdEnv, args []string) int {
	if len(args) == 0 {
		usage(env.stdout)
		return exitOK
	}
	if len(args) > 1 {
		fmt.Fprintf(env.stderr, "permsync help: give one command, not %q\n", args)
		return exitError
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stdout, "Usage: permsync help [COMMAND]")
		fmt.Fprintln(env.stdout)
		fmt.Fprintln(env.stdout, "Lists the commands, or shows a command's usage, flags and examples")
		fmt.Fprintln(env.stdout, "(what 'permsync COMMAND -h' shows, on stdout).")
		printExamples(env.stdout, "help")
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "permsync help: unknown command %q\n", args[0])
		if s := suggest(args[0], commandNames()); len(s) > 0 {
			fmt.Fprintf(env.stderr, "Did you mean %s?\n", orList(s))
		}
		fmt.Fprintln(env.stderr, "Run 'permsync help' for the commands.")
		return exitError
	}
	// A command prints its usage on stderr, as -h asks; asked for with
	// help, the usage is the output.
	helpEnv := &cmdEnv{stdin: env.stdin, stdout: env.stdout, stderr: env.stdout, getenv: env.getenv, isTerminal: env.isTerminal}
	return c.run(ctx, helpEnv, []string{"-h"})
}

// commandNames are the registered commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// usage is permsync's usage: the commands, a few examples and where each
// command's help is.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: permsync <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := commandNames()
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].summary)
	}
	printExamples(w, "")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'permsync help <command>' or 'permsync <command> -h' for a command's flags and examples.")
}

// printExamples prints the examples of a command ("" for permsync's
// own), if it has any.
func printExamples(w io.Writer, name string) {
	ex := examples[name]
	if len(ex) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	for i, e := range ex {
		if i > 0 {
			fmt.Fprintln(w)
		}
		for _, line := range strings.Split(e, "\n") {
			if line == "" {
				fmt.Fprintln(w)
				continue
			}
			fmt.Fprintln(w, "  "+line)
		}
	}
}

// describeFlags are the flags of the command named, as it defines them, or
// nil when it does not parse them with parseFlags.
func describeFlags(ctx context.Context, name string) *flag.FlagSet {
	c, ok := commands[name]
	if !ok || name == "help" {
		return nil
	}
	return describeCommand(ctx, c)
}

// describeCommand runs c to learn its flags: parseFlags hands them over
// and stops it. A command that parses its flags otherwise is run with -h
// only, which prints its usage (discarded) and does nothing else.
func describeCommand(ctx context.Context, c command) *flag.FlagSet {
	var fs *flag.FlagSet
	env := &cmdEnv{
		stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv:   func(string) string { return "" },
		describe: func(f *flag.FlagSet) { fs = f },
	}
	c.run(ctx, env, []string{"-h"})
	return fs
}
