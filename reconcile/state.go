package reconcile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

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
	b, err := encodeState(st)
	if err != nil {
		st.Serial--
		return fmt.Errorf("write state: %w", err)
	}
	if err := writeFileAtomic(path, b, 0o600); err != nil {
		st.Serial--
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// encodeState renders the state as JSON with one object per line, in key
// order: a change to one object is a one-line diff where the state is kept
// in git, and large states are written in one pass (indenting every
// nested value of a 50,000-user state was most of an apply's CPU, spent
// between phases while no call runs).
func encodeState(st *diff.State) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"version\": %d,\n  \"serial\": %d,\n", st.Version, st.Serial)
	if st.Server != "" {
		server, err := json.Marshal(st.Server)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "  \"server\": %s,\n", server)
	}
	keys := make([]string, 0, len(st.Objects))
	for k := range st.Objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString(`  "objects": {`)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		ob, err := json.Marshal(st.Objects[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		b.WriteString("\n    ")
		b.Write(kb)
		b.WriteString(": ")
		b.Write(ob)
	}
	if len(keys) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("}\n}\n")
	return b.Bytes(), nil
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
