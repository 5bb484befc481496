package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/permsync/permsync/internal/canon"
)

// DefaultPath is where the state lives when --state is not given:
// .permsync/state.json beside the first path given with -f.
func DefaultPath(firstPath string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(firstPath)), ".permsync", "state.json")
}

// Load reads the state at path, and then its journal (JournalPath): the
// changes an apply recorded since the file was last written whole. A
// missing file is an empty state (exists is false): losing the state costs
// a redundant re-apply, never a wrong deletion. A journal whose last line
// was cut by a crash loads up to that line.
func Load(path string) (st *State, exists bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		st = emptyState()
		st.disk = newSnapshot(path, st, -1, 0)
		st.track(st.disk)
		return st, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read state: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, false, emptyStateError(path, len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	st = &State{}
	if err := dec.Decode(st); err != nil {
		return nil, false, fmt.Errorf("read state %s: %w", path, err)
	}
	if st.Version != Version {
		return nil, false, fmt.Errorf("read state %s: version %d is not supported (this permsync reads version %d)", path, st.Version, Version)
	}
	if st.Objects == nil {
		st.Objects = map[string]*Object{}
	}
	st.takeReads()
	base := st.Serial
	j, err := replayJournal(path, st)
	if err != nil {
		return nil, false, err
	}
	st.disk = newSnapshot(path, st, base, int64(len(b)))
	st.disk.journal = j
	st.track(st.disk)
	return st, true, nil
}

// errEmptyState is what Load's error wraps when the state file holds
// nothing.
var errEmptyState = errors.New("the state file is empty")

// emptyStateError explains a state file that holds nothing. permsync never
// writes one (it writes a new file and renames it into place), so
// something else made it; reading it as "no state" would forget what
// permsync created without anyone deciding so.
func emptyStateError(path string, size int) error {
	what := "0 bytes"
	if size > 0 {
		what = "only whitespace"
	}
	return fmt.Errorf("read state %s: %w (%s). permsync never writes an empty state (it writes a new file "+
		"and renames it into place), so something else emptied it. Restore it from a backup, or delete it to "+
		"start over: the next apply then re-applies the settings the API cannot read back, and what permsync "+
		"created stays on the server when it leaves the files, unless prune is on", path, errEmptyState, what)
}

func emptyState() *State {
	return &State{Version: Version, Objects: map[string]*Object{}}
}

// Save increments the state's serial and writes it whole, atomically: a
// temp file in the same directory, fsync, rename, fsync of the directory.
// A crash leaves either the old or the new state, never a torn one. A
// journal beside it is removed: the file holds everything.
func Save(path string, st *State) error {
	w := NewWriter(path)
	w.mu.Lock()
	defer w.mu.Unlock()
	st.Version = Version
	st.Serial++
	if err := w.writeFull(st); err != nil {
		st.Serial--
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Writer writes the state of one apply to its file, again and again:
// after every phase that changes it. The first save of a state that Load
// read from the same path, and every save after the first, append to the
// file's journal (JournalPath) only the objects and read records replaced,
// added or removed since the last save, and fsync it: a save costs what
// changed, not the size of the state. Compact (and a save once the journal
// has grown past half the file) writes the whole state again, atomically,
// and removes the journal. Load reads the file and then the journal, so a
// crash at any point leaves a state that loads with everything saved
// before it.
//
// The objects and read records of a state are replaced, never changed in
// place, between saves (State.Record and State.SetRead store copies, and
// so does everything in this package that records in the state); an object
// at the same address is taken as unchanged. A state Load read or a Writer
// saved notes the keys Record, Put, Delete and SetRead change, and the next
// append looks at those alone: nothing may write its Objects or Reads maps
// around them. The writer keeps the encoded line of every object and
// encodes again only those replaced since its last whole write.
type Writer struct {
	path  string
	mu    sync.Mutex
	lines map[string]cachedLine
	keys  []string // the sorted keys of the last whole write
	buf   []byte   // the last whole write's output, reused

	// disk is what the file and its journal hold (nil: not known yet).
	disk *snapshot
	jf   *os.File // the journal, open for appending
	// broken is set when an append failed and the journal could not be
	// cut back: the next save writes the whole state.
	broken bool
}

type cachedLine struct {
	obj  *Object
	rd   *Read
	line []byte
}

// NewWriter returns a writer of the state file at path.
func NewWriter(path string) *Writer {
	return &Writer{path: filepath.Clean(path), lines: map[string]cachedLine{}}
}

// Save records st, with its version set and its serial increased: in the
// journal when the writer knows what the file holds, else whole.
func (w *Writer) Save(st *State) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.adopt(st)
	st.Version = Version
	st.Serial++
	var err error
	if w.disk == nil || w.disk.base < 0 || w.broken || w.disk.journal.size > w.compactAt() {
		err = w.writeFull(st)
	} else {
		err = w.appendJournal(st)
	}
	if err != nil {
		st.Serial--
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Compact writes st whole (its serial increased) and removes the journal,
// unless the file already holds exactly st and no journal. An apply
// compacts when it ends, so that the file alone is the state.
func (w *Writer) Compact(st *State) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.adopt(st)
	if w.disk != nil && w.disk.base >= 0 && !w.broken && w.disk.journal.size == 0 && w.disk.base == st.Serial && !w.disk.differs(st) {
		return nil
	}
	st.Version = Version
	st.Serial++
	if err := w.writeFull(st); err != nil {
		st.Serial--
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Close closes the journal; the writer may still be used (it opens it
// again).
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.jf == nil {
		return nil
	}
	err := w.jf.Close()
	w.jf = nil
	return err
}

// adopt takes what Load read of this writer's file as what the disk holds.
func (w *Writer) adopt(st *State) {
	if w.disk == nil && st.disk != nil && st.disk.path == w.path && st.disk.serial == st.Serial {
		w.disk, st.disk = st.disk, nil
	}
}

// compactAt is the journal size past which a save writes the whole state:
// half the file, at least 1 MiB.
func (w *Writer) compactAt() int64 {
	return max(w.disk.size/2, 1<<20)
}

// writeFull writes st whole and removes the journal.
func (w *Writer) writeFull(st *State) error {
	b, err := w.encode(st)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(w.path, b, 0o600); err != nil {
		return err
	}
	// The file holds everything now; a journal left by a crash between
	// the rename and the removal names an older base and is not read.
	if w.jf != nil {
		w.jf.Close()
		w.jf = nil
	}
	if err := os.Remove(JournalPath(w.path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.broken = true
		return err
	}
	syncDir(filepath.Dir(w.path))
	w.disk = newSnapshot(w.path, st, st.Serial, int64(len(b)))
	st.track(w.disk)
	w.broken = false
	return nil
}

// encodeState renders the state as JSON with one object per line, in key
// order: a change to one object is a one-line diff where the state is kept
// in git, and large states are written in one pass (indenting every
// nested value of a 50,000-user state was most of an apply's CPU, spent
// between phases while no call runs).
func encodeState(st *State) ([]byte, error) {
	return (&Writer{}).encode(st)
}

// encode is encodeState with w's lines of unchanged objects reused (w.lines
// nil: none).
func (w *Writer) encode(st *State) ([]byte, error) {
	keys := w.keys
	same := len(keys) == len(st.Objects)+len(st.Reads)
	for i := 0; same && i < len(keys); i++ {
		if unit, ok := strings.CutPrefix(keys[i], ReadPrefix); ok {
			_, same = st.Reads[unit]
		} else {
			_, same = st.Objects[keys[i]]
		}
	}
	if !same {
		keys = make([]string, 0, len(st.Objects)+len(st.Reads))
		for k := range st.Objects {
			keys = append(keys, k)
		}
		for u := range st.Reads {
			keys = append(keys, ReadPrefix+u)
		}
		sort.Strings(keys)
	}
	b := w.buf[:0]
	if b == nil {
		b = make([]byte, 0, 64+160*len(keys))
	}
	b = append(b, "{\n  \"version\": "...)
	b = strconv.AppendInt(b, int64(st.Version), 10)
	b = append(b, ",\n  \"serial\": "...)
	b = strconv.AppendInt(b, st.Serial, 10)
	b = append(b, ",\n"...)
	if st.Server != "" {
		b = append(b, "  \"server\": "...)
		b = canon.AppendString(b, st.Server)
		b = append(b, ",\n"...)
	}
	b = append(b, `  "objects": {`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var o *Object
		var rd *Read
		if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
			rd = st.Reads[unit]
		} else {
			o = st.Objects[k]
		}
		if c, ok := w.lines[k]; ok && c.obj == o && c.rd == rd && (o != nil || rd != nil) {
			b = append(b, c.line...)
			continue
		}
		start := len(b)
		b = append(b, "\n    "...)
		b = canon.AppendString(b, k)
		b = append(b, ": "...)
		if rd != nil {
			b = appendReadState(b, rd)
		} else {
			b = appendObjectState(b, o)
		}
		if w.lines != nil {
			// A copy: a slice of b would keep every buffer alive.
			w.lines[k] = cachedLine{obj: o, rd: rd, line: append([]byte(nil), b[start:]...)}
		}
	}
	if w.lines != nil && len(w.lines) > len(keys) {
		for k := range w.lines {
			if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
				if _, ok := st.Reads[unit]; !ok {
					delete(w.lines, k)
				}
			} else if _, ok := st.Objects[k]; !ok {
				delete(w.lines, k)
			}
		}
	}
	if len(keys) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "}\n}\n"...)
	if w.lines != nil {
		// Kept for the next save: the key order while the keys are the
		// same, and the buffer, written out before the next encode.
		w.keys, w.buf = keys, b
	}
	return b, nil
}

// appendObjectState appends o as encoding/json would encode it (the
// field tags of Object and Facet), without reflection: the
// state of a large company has tens of thousands of objects and is
// written after every phase that changes it.
func appendObjectState(b []byte, o *Object) []byte {
	if o == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	sep := false
	field := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	if o.Created {
		field("created")
		b = append(b, "true"...)
	}
	if o.ID != 0 {
		field("id")
		b = strconv.AppendInt(b, o.ID, 10)
	}
	if o.Pending {
		field("pending")
		b = append(b, "true"...)
	}
	if len(o.Facets) > 0 {
		field("facets")
		names := make([]string, 0, len(o.Facets))
		for n := range o.Facets {
			names = append(names, n)
		}
		sort.Strings(names)
		b = append(b, '{')
		for i, n := range names {
			if i > 0 {
				b = append(b, ',')
			}
			f := o.Facets[n]
			b = canon.AppendString(b, n)
			b = append(b, `:{"hash":`...)
			b = canon.AppendString(b, f.Hash)
			if len(f.Items) > 0 {
				b = append(b, `,"items":[`...)
				for j, it := range f.Items {
					if j > 0 {
						b = append(b, ',')
					}
					b = canon.AppendString(b, it)
				}
				b = append(b, ']')
			}
			if len(f.Value) > 0 {
				b = append(b, `,"value":`...)
				b = appendCompact(b, f.Value)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendCompact appends JSON text without insignificant whitespace, as
// encoding/json writes a json.RawMessage (without HTML escaping), so that
// an object stays on its line; text that is not JSON is written as null.
func appendCompact(b []byte, raw []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(b, "null"...)
	}
	return append(b, buf.Bytes()...)
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
	syncDir(dir)
	return nil
}

// syncDir fsyncs a directory, so that a rename or a new file in it lasts;
// best effort: not every file system syncs directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
