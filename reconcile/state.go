package reconcile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/permsync/permsync/diff"
)

// DefaultStatePath is where the state lives when --state is not given:
// .permsync/state.json beside the first path given with -f.
func DefaultStatePath(firstPath string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(firstPath)), ".permsync", "state.json")
}

// LoadState reads the state at path. A missing file is an empty state
// (exists is false): losing the state costs a redundant re-apply, never a
// wrong deletion.
func LoadState(path string) (st *diff.State, exists bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return emptyState(), false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read state: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	st = &diff.State{}
	if err := dec.Decode(st); err != nil {
		return nil, false, fmt.Errorf("read state %s: %w", path, err)
	}
	if st.Version != diff.StateVersion {
		return nil, false, fmt.Errorf("read state %s: version %d is not supported (this permsync reads version %d)", path, st.Version, diff.StateVersion)
	}
	if st.Objects == nil {
		st.Objects = map[string]*diff.ObjectState{}
	}
	return st, true, nil
}

func emptyState() *diff.State {
	return &diff.State{Version: diff.StateVersion, Objects: map[string]*diff.ObjectState{}}
}

// SaveState increments the state's serial and writes it atomically: a temp
// file in the same directory, fsync, rename, fsync of the directory. A
// crash leaves either the old or the new state, never a torn one.
func SaveState(path string, st *diff.State) error {
	st.Version = diff.StateVersion
	st.Serial++
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	b = append(b, '\n')
	if err := writeFileAtomic(path, b, 0o600); err != nil {
		st.Serial--
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to path through a temp file and a rename.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}
