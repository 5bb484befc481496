package spec

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Problem is one thing wrong with the desired state: where it is and what
// is wrong. Load and Validate return every problem at once, as the elements
// of a *multierror.Error.
type Problem struct {
	File string // as given on the command line
	Line int    // 1-based; 0 when unknown
	Path string // field path inside the file, e.g. "projects[0].roles[3]"
	Msg  string
}

// Error renders "file:line: path: msg", leaving out the parts that are
// unknown.
func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems returns the problems inside an error returned by Load, LoadFiles,
// LoadBytes or Validate. An error that holds none (an I/O error, say) comes
// back as a single Problem with only Msg set.
func Problems(err error) []*Problem {
	if err == nil {
		return nil
	}
	var me *multierror.Error
	if errors.As(err, &me) {
		out := make([]*Problem, 0, len(me.Errors))
		for _, e := range me.Errors {
			var p *Problem
			if errors.As(e, &p) {
				out = append(out, p)
			} else {
				out = append(out, &Problem{Msg: e.Error()})
			}
		}
		return out
	}
	var p *Problem
	if errors.As(err, &p) {
		return []*Problem{p}
	}
	return []*Problem{{Msg: err.Error()}}
}

// maxProblems is the most problems a load lists: a file of a million bad
// items would otherwise cost more to report than to read.
const maxProblems = 1000

// problems collects Problems, at most maxProblems of them.
type problems struct {
	list []*Problem
	// dropped counts the problems not kept.
	dropped int
}

func (ps *problems) add(p *Problem) {
	if len(ps.list) >= maxProblems {
		ps.dropped++
		return
	}
	ps.list = append(ps.list, p)
}

// sorted returns the problems sorted by file, line and path, each once,
// followed by a note of how many were not kept.
func (ps *problems) sorted() []*Problem {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]*Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Msg < b.Msg
	})
	// The same problem found twice (an alias expanded in two places, say)
	// is reported once.
	out := list[:0]
	for i, p := range list {
		if i > 0 && *p == *list[i-1] {
			continue
		}
		out = append(out, p)
	}
	if ps.dropped > 0 {
		out = append(out, &Problem{Msg: fmt.Sprintf("%d more problems not listed (at most %d are): fix these and run again", ps.dropped, maxProblems)})
	}
	return out
}

// err returns the sorted problems as a *multierror.Error, or nil when
// there are none.
func (ps *problems) err() error {
	list := ps.sorted()
	if len(list) == 0 {
		return nil
	}
	errs := make([]error, len(list))
	for i, p := range list {
		errs[i] = p
	}
	return &multierror.Error{Errors: errs, ErrorFormat: formatProblems}
}

func formatProblems(errs []error) string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
