package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// stringList is a repeatable string flag (-f a -f b).
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// parseErrorCode is the exit code after a failed flag parse: -h asked for
// the usage, which is no error.
func parseErrorCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitError
}

// parseInterspersed parses flags that may come before or after positional
// arguments (permsync apply PLANFILE --server URL), and returns the
// positional ones. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFlags parses a command's flags as every command should: -h prints
// the command's usage followed by its examples; an unknown flag prints the
// error, the flags it may have been meant as, and where the usage is, not
// the whole usage (which would bury the error). The error is what
// fs.Parse returns: the caller ends with parseErrorCode(err).
func parseFlags(env *cmdEnv, fs *flag.FlagSet, args []string) error {
	return parseWith(env, fs, func() error { return fs.Parse(args) })
}

// parseFlagsInterspersed is parseFlags for a command whose flags may come
// after its positional arguments (see parseInterspersed).
func parseFlagsInterspersed(env *cmdEnv, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	err := parseWith(env, fs, func() error {
		var err error
		pos, err = parseInterspersed(fs, args)
		return err
	})
	return pos, err
}

func parseWith(env *cmdEnv, fs *flag.FlagSet, parse func() error) error {
	if env.describe != nil {
		// Completion asks for the flags only: the command stops here.
		env.describe(fs)
		return flag.ErrHelp
	}
	out, usage := fs.Output(), fs.Usage
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.Usage = func() {}
	err := parse()
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		if usage != nil {
			usage()
		} else {
			fs.PrintDefaults()
		}
		printExamples(out, fs.Name())
		return err
	}
	fmt.Fprint(out, msg.String())
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest(strings.TrimLeft(name, "-"), names); len(s) > 0 {
			for i := range s {
				s[i] = flagName(s[i])
			}
			fmt.Fprintf(out, "Did you mean %s?\n", orList(s))
		}
	}
	fmt.Fprintf(out, "Run 'permsync %s -h' for its flags and examples.\n", fs.Name())
	return err
}

// flagName is how the usage and the docs spell a flag: -f, --server.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// orList is "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
