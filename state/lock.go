package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Lock is held while an apply runs, so two applies never write the same
// server and state at once. It is a file beside the state holding the
// holder's pid and host.
type Lock struct {
	path string
}

// LockInfo is the content of a lock file.
type LockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Created time.Time `json:"created"`
}

// ErrLocked is returned (wrapped in a *LockedError) when the lock is held.
var ErrLocked = errors.New("state is locked")

// LockedError says who holds the lock, and whether that process is gone.
type LockedError struct {
	Path   string
	Holder LockInfo
	// Stale is true when the holder is a process of this host that no
	// longer runs.
	Stale bool
}

func (e *LockedError) Error() string {
	if e.Stale {
		return fmt.Sprintf("state is locked by %s (pid %d on %s since %s), which is no longer running: a previous apply was killed; check the server, then run again with --force-unlock",
			e.Path, e.Holder.PID, e.Holder.Host, e.Holder.Created.Format(time.RFC3339))
	}
	if host, _ := os.Hostname(); e.Holder.Host == host {
		// --force-unlock keeps the lock of a live holder on this host.
		return fmt.Sprintf("state is locked by %s (pid %d on this host since %s): another apply is running; wait for it",
			e.Path, e.Holder.PID, e.Holder.Created.Format(time.RFC3339))
	}
	return fmt.Sprintf("state is locked by %s (pid %d on %s since %s): another apply is running; wait for it, or use --force-unlock if you are sure it is gone",
		e.Path, e.Holder.PID, e.Holder.Host, e.Holder.Created.Format(time.RFC3339))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// LockPath is the lock file of a state file.
func LockPath(statePath string) string { return statePath + ".lock" }

// AcquireLock takes the lock of the state at statePath.
func AcquireLock(statePath string) (*Lock, error) {
	path := LockPath(statePath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	host, _ := os.Hostname()
	info := LockInfo{PID: os.Getpid(), Host: host, Created: time.Now().UTC().Truncate(time.Second)}
	b, _ := json.Marshal(info)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		held, rerr := readLock(path)
		// A lock file is created, then written: another apply that just
		// created it may not have written it yet.
		for i := 0; rerr != nil && i < 20; i++ {
			time.Sleep(5 * time.Millisecond)
			held, rerr = readLock(path)
		}
		if rerr != nil {
			return nil, fmt.Errorf("lock state: %s exists but cannot be read (%v); remove it with --force-unlock", path, rerr)
		}
		return nil, &LockedError{Path: path, Holder: held, Stale: held.Host == host && !holderRuns(held, path)}
	}
	if err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("lock state: %w", errors.Join(werr, cerr))
	}
	heldHere.Store(lockKey(path), true)
	return &Lock{path: path}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	heldHere.Delete(lockKey(l.path))
	if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unlock state: %w", err)
	}
	return nil
}

// ForceUnlock removes the lock of the state at statePath and returns what
// it held (zero if there was no lock). A lock whose holder still runs on
// this host is kept: that apply is not stale, and two applies must never
// write at once. A holder on another host cannot be checked; the caller
// vouches for it.
func ForceUnlock(statePath string) (LockInfo, error) {
	path := LockPath(statePath)
	held, _ := readLock(path)
	if host, _ := os.Hostname(); held.PID != 0 && held.Host == host && holderRuns(held, path) {
		return held, fmt.Errorf("force-unlock: the apply holding %s (pid %d, since %s) is still running on this host; wait for it or stop it first (if pid %d is another program, the apply was killed and its pid reused: remove %s by hand)",
			path, held.PID, held.Created.Format(time.RFC3339), held.PID, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return held, fmt.Errorf("force-unlock: %w", err)
	}
	return held, nil
}

func readLock(path string) (LockInfo, error) {
	var li LockInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return li, err
	}
	err = json.Unmarshal(b, &li)
	return li, err
}

// heldHere are the lock files this process holds (by lockKey). A lock that
// names this process's pid but is not among them was left by a killed
// apply whose pid this process now has, as happens to pid 1 in a container.
var heldHere sync.Map

func lockKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// holderRuns reports whether the holder of the lock at path, a process of
// this host, still runs.
func holderRuns(held LockInfo, path string) bool {
	if held.PID == os.Getpid() {
		_, ok := heldHere.Load(lockKey(path))
		return ok
	}
	return processAlive(held.PID)
}

// processAlive reports whether a process with this pid runs on this host.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
