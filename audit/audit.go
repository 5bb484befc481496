// Package audit writes the audit trail of permsync apply and permsync
// run: one JSON line per change an apply wrote (or tried to write), with
// the time, the run, the object's address, the action, what it was and
// what it became, and the result. Changes that were skipped (nothing was
// sent for them) and unchanged objects are not written. The values are
// the plan's: they hold no secret (tokens, passwords and keys never enter
// a plan).
package audit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
)

// Record is one line of the audit log. Its fields are a contract
// (docs/audit.md): new fields may appear, none changes meaning.
type Record struct {
	Time time.Time `json:"time"`
	// RunID names the apply or the run of the service that made the
	// change; every record of one run has the same.
	RunID string `json:"run_id"`
	// Command is "apply" or "run".
	Command string `json:"command"`
	// Address is "kind key", as plans and states name objects.
	Address string      `json:"address"`
	Kind    plan.Kind   `json:"kind"`
	Key     string      `json:"key"`
	Action  plan.Action `json:"action"`
	Before  plan.Attrs  `json:"before,omitempty"`
	After   plan.Attrs  `json:"after,omitempty"`
	// Result is "applied" or "failed".
	Result engine.Status `json:"result"`
	// Error is the failure, with the server's code and message.
	Error string `json:"error,omitempty"`
	// Source is where the files ask for the change ("file:line").
	Source string `json:"source,omitempty"`
}

// Log writes records, one JSON line each, whole lines at a time; it is
// safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	w       io.Writer
	closer  io.Closer
	command string
	// Now is the clock; tests set it.
	Now func() time.Time
	// err is the first error met; missed counts the records not written
	// and last is the latest error.
	err    error
	missed int
	last   error
}

// New writes records of command ("apply", "run") to w.
func New(w io.Writer, command string) *Log {
	return &Log{w: w, command: command, Now: time.Now}
}

// Open appends records to the file at path (created 0600 if missing);
// "-" is standard error.
func Open(path, command string) (*Log, error) {
	if path == "-" {
		return New(os.Stderr, command), nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: open %s: %w", path, err)
	}
	l := New(f, command)
	l.closer = f
	return l, nil
}

// Change records what became of one change of run runID. Skipped changes
// are not recorded: nothing was sent for them.
func (l *Log) Change(runID string, cr engine.ChangeResult) {
	if l == nil || cr.Status == engine.StatusSkipped {
		return
	}
	c := cr.Change
	r := Record{
		Time: l.Now().UTC(), RunID: runID, Command: l.command,
		Address: plan.StateKey(c.Kind, c.Key), Kind: c.Kind, Key: c.Key, Action: c.Action,
		Before: c.Before, After: c.After, Result: cr.Status, Source: c.Source,
	}
	if cr.Err != nil {
		r.Error = cr.Err.Error()
	}
	line, err := json.Marshal(r)
	if err != nil {
		l.fail(fmt.Errorf("audit log: encode %s: %w", r.Address, err))
		return
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.w.Write(line); err != nil {
		l.failLocked(fmt.Errorf("audit log: write %s: %w", r.Address, err))
	}
}

func (l *Log) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failLocked(err)
}

func (l *Log) failLocked(err error) {
	if l.err == nil {
		l.err = err
	}
	l.missed++
	l.last = err
}

// Missed counts the records that could not be written so far, with the
// latest error: a service compares the count before and after a run to
// say whether that run's trail has a hole.
func (l *Log) Missed() (int, error) {
	if l == nil {
		return 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.missed, l.last
}

// Err is the first error met writing the log: an apply reports it, since
// an audit trail with a hole must not pass unnoticed.
func (l *Log) Err() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the file Open opened, and returns Err or the close's error.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	err := l.Err()
	if l.closer != nil {
		if cerr := l.closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("audit log: close: %w", cerr)
		}
	}
	return err
}

// NewRunID makes a run id: the UTC time to the second, and 6 random
// hex digits, so ids sort by time and do not collide across processes
// ("20261203T142530Z-3f9a1c").
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
