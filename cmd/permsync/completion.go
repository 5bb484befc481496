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
		name:    "completion",
		summary: "print a shell completion script: bash, zsh or fish",
		run:     runCompletion,
	})
}

func runCompletion(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("completion", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync completion bash|zsh|fish")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Prints a script that completes permsync's commands, their flags and the")
		fmt.Fprintln(env.stderr, "values of flags that take one of a few (-o text|json|markdown, ...).")
	}
	if err := parseFlags(env, fs, args); err != nil {
		return parseErrorCode(err)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.stderr, "permsync completion: name one shell: bash, zsh or fish")
		return exitError
	}
	cmds := completionModel(ctx)
	var err error
	switch fs.Arg(0) {
	case "bash":
		err = writeBashCompletion(env.stdout, cmds)
	case "zsh":
		err = writeZshCompletion(env.stdout, cmds)
	case "fish":
		err = writeFishCompletion(env.stdout, cmds)
	default:
		msg := fmt.Sprintf("permsync completion: %q: want bash, zsh or fish", fs.Arg(0))
		if s := suggest(fs.Arg(0), []string{"bash", "zsh", "fish"}); len(s) > 0 {
			msg += " (did you mean " + orList(s) + "?)"
		}
		fmt.Fprintln(env.stderr, msg)
		return exitError
	}
	if err != nil {
		printErr(env, "completion", fmt.Errorf("write the script: %w", err))
		return exitError
	}
	return exitOK
}

// compCommand is what completion knows of a command.
type compCommand struct {
	name    string
	summary string
	flags   []compFlag
	// args completes the positional arguments: "files", "commands",
	// "shells" or "" (none).
	args string
}

// compFlag is a flag: its name, whether it takes a value and, when the
// value is one of a few, which.
type compFlag struct {
	name   string
	usage  string
	value  bool
	values []string
	// file: the value is a path.
	file bool
}

// flagValues are the values of the flags that take one of a few, by flag
// name; a flag with a value not listed here completes file names.
var flagValues = map[string][]string{
	"o":           {"text", "json", "markdown"},
	"progress":    {progressAuto, progressAlways, progressNever},
	"log-level":   {"debug", "info", "warn", "error"},
	"log-format":  {"text", "json"},
	"mode":        {"apply", "plan"},
	"provider":    {"youdata", "quickbi"},
	"split":       {"by-kind", "by-project", "single"},
	"signature":   {"v3", "rpc"},
	"annotations": {"github", "gitlab="},
}

// fileFlags are the flags whose value is a path.
var fileFlags = map[string]bool{
	"f": true, "state": true, "simulator": true, "seed": true, "out": true,
	"markdown-dir": true, "markdown-summary": true, "audit-log": true,
}

// positionalArgs says what each command takes besides flags.
var positionalArgs = map[string]string{
	"apply":      "files",
	"show":       "files",
	"help":       "commands",
	"completion": "shells",
}

// completionModel is every command with its flags, as each defines them.
func completionModel(ctx context.Context) []compCommand {
	var out []compCommand
	for _, name := range commandNames() {
		c := compCommand{name: name, summary: commands[name].summary, args: positionalArgs[name]}
		if fs := describeFlags(ctx, name); fs != nil {
			fs.VisitAll(func(f *flag.Flag) {
				cf := compFlag{name: f.Name, usage: firstClause(f.Usage), value: !isBoolFlag(f)}
				if cf.value {
					cf.values, cf.file = flagValues[f.Name], fileFlags[f.Name]
				}
				c.flags = append(c.flags, cf)
			})
		}
		out = append(out, c)
	}
	return out
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// firstClause is the start of a flag's usage, up to its first
// parenthesis, semicolon or colon, at most 70 characters: a description
// that fits a completion menu.
func firstClause(s string) string {
	for _, sep := range []string{" (", "; ", ": "} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	s = strings.TrimSpace(strings.Join(strings.Fields(s), " "))
	if r := []rune(s); len(r) > 70 {
		s = strings.TrimSpace(string(r[:69])) + "…"
	}
	return s
}

func commandList(cmds []compCommand) string {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	return strings.Join(names, " ")
}

// shellQuote quotes s for a POSIX shell (and fish): single quotes, a
// single quote inside written as quote, backslash, quote, quote.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func writeBashCompletion(w io.Writer, cmds []compCommand) error {
	var b strings.Builder
	b.WriteString(`# bash completion for permsync: source <(permsync completion bash)
_permsync() {
    local cur prev cmd
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev=""
    if [[ $COMP_CWORD -gt 1 ]]; then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W ` + shellQuote(commandList(cmds)) + ` -- "$cur"))
        return
    fi
    cmd="${COMP_WORDS[1]}"
    local flags="" valueflags="" args=""
    case "$cmd" in
`)
	for _, c := range cmds {
		var flags, valueFlags []string
		for _, f := range c.flags {
			flags = append(flags, flagName(f.name))
			if f.value {
				valueFlags = append(valueFlags, "-"+f.name, "--"+f.name)
			}
		}
		fmt.Fprintf(&b, "        %s) flags=%s; valueflags=%s; args=%s ;;\n", c.name,
			shellQuote(strings.Join(flags, " ")), shellQuote(" "+strings.Join(valueFlags, " ")+" "), shellQuote(c.args))
	}
	b.WriteString(`    esac
    if [[ -n "$prev" && "$valueflags" == *" $prev "* ]]; then
        case "${prev#-}" in
`)
	for _, name := range flagValueNames(flagValues) {
		fmt.Fprintf(&b, "            %s|-%s) COMPREPLY=($(compgen -W %s -- \"$cur\")) ;;\n", name, name, shellQuote(strings.Join(flagValues[name], " ")))
	}
	b.WriteString(``)
	var files []string
	for _, name := range flagValueNames(fileFlags) {
		files = append(files, name, "-"+name)
	}
	fmt.Fprintf(&b, "            %s) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n", strings.Join(files, "|"))
	b.WriteString(`            *) COMPREPLY=() ;;
        esac
        return
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
        return
    fi
    case "$args" in
        commands) COMPREPLY=($(compgen -W ` + shellQuote(commandList(cmds)) + ` -- "$cur")) ;;
        shells) COMPREPLY=($(compgen -W 'bash zsh fish' -- "$cur")) ;;
        files) COMPREPLY=($(compgen -f -- "$cur")) ;;
        *) COMPREPLY=() ;;
    esac
}
complete -o default -o bashdefault -F _permsync permsync
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// zshEscape escapes a description for _arguments and _describe: the
// brackets and colons they read, and the single quotes of the script.
func zshEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, ":", `\:`, "'", `'\''`)
	return r.Replace(s)
}

func writeZshCompletion(w io.Writer, cmds []compCommand) error {
	var b strings.Builder
	b.WriteString("#compdef permsync\n# zsh completion for permsync: permsync completion zsh > \"${fpath[1]}/_permsync\"\n\n_permsync() {\n    local -a commands\n    commands=(\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "        '%s:%s'\n", c.name, zshEscape(c.summary))
	}
	b.WriteString("    )\n    if (( CURRENT == 2 )); then\n        _describe -t commands 'permsync command' commands\n        return\n    fi\n    local cmd=$words[2]\n    shift words\n    (( CURRENT-- ))\n    case $cmd in\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s)\n            _arguments -S \\\n", c.name)
		for _, f := range c.flags {
			spec := fmt.Sprintf("'%s[%s]", flagName(f.name), zshEscape(f.usage))
			if f.value {
				switch {
				case len(f.values) > 0:
					spec += fmt.Sprintf(":%s:(%s)", f.name, strings.Join(f.values, " "))
				case f.file:
					spec += fmt.Sprintf(":%s:_files", f.name)
				default:
					spec += fmt.Sprintf(":%s: ", f.name)
				}
			}
			fmt.Fprintf(&b, "                %s' \\\n", spec)
		}
		switch c.args {
		case "files":
			b.WriteString("                '*:file:_files'\n")
		case "commands":
			b.WriteString("                '1:command:(" + commandList(cmds) + ")'\n")
		case "shells":
			b.WriteString("                '1:shell:(bash zsh fish)'\n")
		default:
			b.WriteString("                ''\n")
		}
		b.WriteString("            ;;\n")
	}
	b.WriteString("    esac\n}\n\nif [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n    _permsync \"$@\"\nelse\n    compdef _permsync permsync\nfi\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFishCompletion(w io.Writer, cmds []compCommand) error {
	var b strings.Builder
	b.WriteString("# fish completion for permsync: permsync completion fish > ~/.config/fish/completions/permsync.fish\ncomplete -c permsync -f\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "complete -c permsync -n __fish_use_subcommand -a %s -d %s\n", c.name, shellQuote(c.summary))
	}
	for _, c := range cmds {
		cond := shellQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			opt := "-l " + f.name
			if len(f.name) == 1 {
				opt = "-s " + f.name
			}
			line := fmt.Sprintf("complete -c permsync -n %s %s -d %s", cond, opt, shellQuote(f.usage))
			if f.value {
				if len(f.values) > 0 {
					line += " -x -a " + shellQuote(strings.Join(f.values, " "))
				} else if f.file {
					line += " -r -F"
				} else {
					line += " -x"
				}
			}
			b.WriteString(line + "\n")
		}
		switch c.args {
		case "files":
			fmt.Fprintf(&b, "complete -c permsync -n %s -F\n", cond)
		case "commands":
			fmt.Fprintf(&b, "complete -c permsync -n %s -a %s\n", cond, shellQuote(commandList(cmds)))
		case "shells":
			fmt.Fprintf(&b, "complete -c permsync -n %s -a 'bash zsh fish'\n", cond)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// flagValueNames are the keys of m, sorted.
func flagValueNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
