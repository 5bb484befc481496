package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// driver is the loop both providers' benchmarks share: the simulator
// process and the child of one size, or every size in a child process of
// its own with its details printed as text, JSON lines or Markdown rows.
// S is the provider's shape of a company, D its details of one size.
type driver[S, D any] struct {
	// prefix starts the error messages: "permsync-bench" or
	// "permsync-bench quickbi".
	prefix         string
	sizes          []S
	name           func(S) string
	json, markdown bool
	child          bool
	serveSim       bool
	// serve serves the simulator of a size on stdin and stdout.
	serve func(sh S, stdin io.Reader, stdout io.Writer) error
	// runSize measures a size in this process; childArgs are the flags
	// of the process that does.
	runSize   func(ctx context.Context, sh S) (*D, error)
	childArgs func(sh S) []string
	// jsonLine is what --json prints of a size; header and rows the
	// Markdown table; text the details.
	jsonLine func(*D) any
	header   string
	rows     func(*D) string
	text     func(io.Writer, *D)
}

func (dr driver[S, D]) run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case dr.serveSim:
		if err := dr.serve(dr.sizes[0], stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "permsync-bench simulator:", err)
			return 1
		}
		return 0
	case dr.child:
		d, err := dr.runSize(ctx, dr.sizes[0])
		if err != nil {
			fmt.Fprintf(stderr, "%s %s: %v\n", dr.prefix, dr.name(dr.sizes[0]), err)
			return 1
		}
		if err := json.NewEncoder(stdout).Encode(d); err != nil {
			fmt.Fprintln(stderr, "permsync-bench:", err)
			return 1
		}
		return 0
	}

	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "permsync-bench:", err)
		return 1
	}
	if dr.markdown {
		fmt.Fprintln(stdout, dr.header)
	}
	var rows []string
	for _, sh := range dr.sizes {
		d, err := runChildProcess[D](ctx, exe, dr.childArgs(sh), stderr)
		if err != nil {
			fmt.Fprintf(stderr, "%s %s: %v\n", dr.prefix, dr.name(sh), err)
			return 1
		}
		switch {
		case dr.json:
			line, err := json.Marshal(dr.jsonLine(d))
			if err != nil {
				fmt.Fprintln(stderr, "permsync-bench:", err)
				return 1
			}
			fmt.Fprintln(stdout, string(line))
		case dr.markdown:
			fmt.Fprintln(stdout, dr.rows(d))
		default:
			dr.text(stdout, d)
			rows = append(rows, dr.rows(d))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintf(stdout, "\n%s\n%s\n", dr.header, strings.Join(rows, "\n"))
	}
	return 0
}

// runChildProcess runs this program with args and reads the details it
// prints as JSON.
func runChildProcess[D any](ctx context.Context, exe string, args []string, stderr io.Writer) (*D, error) {
	cmd := exec.CommandContext(ctx, exe, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	var d D
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		return nil, fmt.Errorf("reading the result: %w", err)
	}
	return &d, nil
}
