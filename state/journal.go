package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/internal/canon"
)

// ReadPrefix starts the key under which the file keeps a read record
// (State.Reads): "~read member 销售分析/wang.fang@example.com". No kind
// starts with "~", so a permsync that does not know read records loads
// them as objects of no kind it plans, and keeps them.
const ReadPrefix = "~read "

// readFacet is the facet of a read record's object: the fingerprint of
// what the files wanted, and the time of the read as its one item.
const readFacet = "read"

// JournalPath is the journal of the state file at path: the changes saved
// since the file was last written whole, one line per save.
func JournalPath(path string) string { return path + ".journal" }

// ReadObject is the object under which the file keeps a read record.
func ReadObject(r *Read) *Object {
	return &Object{Facets: map[string]Facet{readFacet: {Hash: r.Desired, Items: []string{r.At.UTC().Format(time.RFC3339)}}}}
}

// readOf is the read record an object of the file holds; false when it
// holds none that can be read (it is then dropped: a missing record only
// costs a read).
func readOf(o *Object) (*Read, bool) {
	if o == nil {
		return nil, false
	}
	f, ok := o.Facets[readFacet]
	if !ok || len(f.Items) != 1 {
		return nil, false
	}
	t, err := time.Parse(time.RFC3339, f.Items[0])
	if err != nil {
		return nil, false
	}
	return &Read{Desired: f.Hash, At: t.UTC()}, true
}

// takeReads moves the read records out of the objects a decoded file
// holds.
func (s *State) takeReads() {
	for k, o := range s.Objects {
		unit, ok := strings.CutPrefix(k, ReadPrefix)
		if !ok {
			continue
		}
		delete(s.Objects, k)
		if r, ok := readOf(o); ok {
			if s.Reads == nil {
				s.Reads = map[string]*Read{}
			}
			s.Reads[unit] = r
		}
	}
}

// appendReadState appends the object of a read record as
// appendObjectState would.
func appendReadState(b []byte, r *Read) []byte {
	b = append(b, `{"facets":{"read":{"hash":`...)
	b = canon.AppendString(b, r.Desired)
	b = append(b, `,"items":[`...)
	b = canon.AppendString(b, r.At.UTC().Format(time.RFC3339))
	return append(b, "]}}}"...)
}

// snapshot is what a state file and its journal hold: the objects and
// read records by key (the pointers of the State they were loaded into or
// saved from), its serial and server.
type snapshot struct {
	path    string
	serial  int64
	server  string
	objects map[string]*Object
	reads   map[string]*Read
	// base is the serial of the file written whole (-1: there is none),
	// size its length.
	base, size int64
	journal    journalInfo
	// gen counts the appends that changed what it holds.
	gen int64
}

// journalInfo is what Load found of a journal that extends the file.
type journalInfo struct {
	// size is the length of its lines that were read: a line cut by a
	// crash after them is cut off before the next append.
	size int64
	// newline is set when its last line was read whole but lacks its
	// line break.
	newline bool
}

func newSnapshot(path string, st *State, base, size int64) *snapshot {
	s := &snapshot{path: filepath.Clean(path), serial: st.Serial, server: st.Server, base: base, size: size,
		objects: make(map[string]*Object, len(st.Objects)), reads: make(map[string]*Read, len(st.Reads))}
	for k, o := range st.Objects {
		s.objects[k] = o
	}
	for u, r := range st.Reads {
		s.reads[u] = r
	}
	return s
}

// differs reports whether st holds other objects or read records than s.
func (s *snapshot) differs(st *State) bool {
	if st.Server != s.server || len(st.Objects) != len(s.objects) || len(st.Reads) != len(s.reads) {
		return true
	}
	for k, o := range st.Objects {
		if old, ok := s.objects[k]; !ok || old != o {
			return true
		}
	}
	for u, r := range st.Reads {
		if old, ok := s.reads[u]; !ok || old != r {
			return true
		}
	}
	return false
}

// journalHeader is the first line of a journal: the serial of the file it
// extends. A journal whose base is not the file's serial is left over from
// before the file was last written whole (a crash between the rename and
// the journal's removal) and is not read.
type journalHeader struct {
	Journal int   `json:"journal"`
	Base    int64 `json:"base"`
}

// journalRecord is one save: the serial it gave the state, its server, the
// objects (and read records, under ReadPrefix) set and the keys removed.
type journalRecord struct {
	Serial  int64              `json:"serial"`
	Server  string             `json:"server"`
	Set     map[string]*Object `json:"set"`
	Removed []string           `json:"removed"`
}

// replayJournal applies to st, which Load read from path, the records of
// the journal that extends it, in order. A last line cut by a crash is
// not applied; any other line that cannot be read is an error.
func replayJournal(path string, st *State) (journalInfo, error) {
	jpath := JournalPath(path)
	b, err := os.ReadFile(jpath)
	if errors.Is(err, fs.ErrNotExist) {
		return journalInfo{}, nil
	}
	if err != nil {
		return journalInfo{}, fmt.Errorf("read state journal: %w", err)
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		// Not even its header was written whole: nothing was saved in it.
		return journalInfo{}, nil
	}
	var h journalHeader
	if err := strictJSON(b[:nl], &h); err != nil {
		return journalInfo{}, fmt.Errorf("read state journal %s: line 1: %w", jpath, err)
	}
	if h.Journal != 1 {
		return journalInfo{}, fmt.Errorf("read state journal %s: journal version %d is not supported (this permsync reads version 1)", jpath, h.Journal)
	}
	if h.Base != st.Serial {
		return journalInfo{}, nil
	}
	info := journalInfo{size: int64(nl + 1)}
	off, line := nl+1, 2
	for off < len(b) {
		end := len(b)
		if i := bytes.IndexByte(b[off:], '\n'); i >= 0 {
			end = off + i
		}
		var rec journalRecord
		err := strictJSON(b[off:end], &rec)
		if err == nil && rec.Serial != st.Serial+1 {
			err = fmt.Errorf("serial %d after %d", rec.Serial, st.Serial)
		}
		if err != nil {
			if end == len(b) {
				// Cut by a crash while it was written: that save never
				// returned.
				break
			}
			return journalInfo{}, fmt.Errorf("read state journal %s: line %d: %w", jpath, line, err)
		}
		st.Serial, st.Server = rec.Serial, rec.Server
		for _, k := range rec.Removed {
			if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
				delete(st.Reads, unit)
			} else {
				delete(st.Objects, k)
			}
		}
		for k, o := range rec.Set {
			if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
				if r, ok := readOf(o); ok {
					if st.Reads == nil {
						st.Reads = map[string]*Read{}
					}
					st.Reads[unit] = r
				} else {
					delete(st.Reads, unit)
				}
				continue
			}
			st.Objects[k] = o
		}
		if end == len(b) {
			info.size, info.newline = int64(len(b)), true
		} else {
			info.size = int64(end + 1)
		}
		off, line = end+1, line+1
	}
	return info, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one value on the line")
	}
	return nil
}

// appendJournal appends to the journal what st changed since the last
// save, and fsyncs it.
func (w *Writer) appendJournal(st *State) error {
	d := w.disk
	var set, removed []string
	if c := st.noted(d); c != nil {
		set, removed = d.changed(st, c)
		if checkNoted {
			allSet, allRemoved := d.compare(st)
			if !slices.Equal(set, allSet) || !slices.Equal(removed, allRemoved) {
				return fmt.Errorf("the state changed around Record, Put, Delete and SetRead: noted set %q removed %q, compared set %q removed %q", set, removed, allSet, allRemoved)
			}
		}
	} else {
		set, removed = d.compare(st)
	}

	b := append([]byte(nil), `{"serial":`...)
	b = strconv.AppendInt(b, st.Serial, 10)
	b = append(b, `,"server":`...)
	b = canon.AppendString(b, st.Server)
	b = append(b, `,"set":{`...)
	for i, k := range set {
		if i > 0 {
			b = append(b, ',')
		}
		b = canon.AppendString(b, k)
		b = append(b, ':')
		if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
			b = appendReadState(b, st.Reads[unit])
		} else {
			b = appendObjectState(b, st.Objects[k])
		}
	}
	b = append(b, `},"removed":[`...)
	for i, k := range removed {
		if i > 0 {
			b = append(b, ',')
		}
		b = canon.AppendString(b, k)
	}
	b = append(b, "]}\n"...)

	if err := w.openJournal(); err != nil {
		return err
	}
	if _, err := w.jf.Write(b); err != nil {
		w.cutJournal()
		return err
	}
	if err := w.jf.Sync(); err != nil {
		// Whether the line is on disk is not known: write it all again.
		w.broken = true
		return err
	}
	d.journal.size += int64(len(b))
	d.serial, d.server = st.Serial, st.Server
	d.gen++
	st.track(d)
	for _, k := range removed {
		if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
			delete(d.reads, unit)
		} else {
			delete(d.objects, k)
		}
	}
	for _, k := range set {
		if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
			d.reads[unit] = st.Reads[unit]
		} else {
			d.objects[k] = st.Objects[k]
		}
	}
	return nil
}

// checkNoted makes every save that appends what was noted compare the
// whole state too, and fail when the two differ: an Objects map written
// around Record, Put and Delete would lose changes in the journal. It is
// on under test, so that every test that saves a state checks it.
var checkNoted = testing.Testing()

// compare finds what st set (replaced or added) and removed of the objects
// and read records s holds, by comparing them all; both sorted.
func (s *snapshot) compare(st *State) (set, removed []string) {
	for k, o := range st.Objects {
		if old, ok := s.objects[k]; !ok || old != o {
			set = append(set, k)
		}
	}
	for k := range s.objects {
		if _, ok := st.Objects[k]; !ok {
			removed = append(removed, k)
		}
	}
	for u, r := range st.Reads {
		if old, ok := s.reads[u]; !ok || old != r {
			set = append(set, ReadPrefix+u)
		}
	}
	for u := range s.reads {
		if _, ok := st.Reads[u]; !ok {
			removed = append(removed, ReadPrefix+u)
		}
	}
	sort.Strings(set)
	sort.Strings(removed)
	return set, removed
}

// changed is compare for the keys c noted: what a save costs is then what
// changed, not the size of the state.
func (s *snapshot) changed(st *State, c *changeSet) (set, removed []string) {
	for k := range c.keys {
		var isSet, isRemoved bool
		if unit, ok := strings.CutPrefix(k, ReadPrefix); ok {
			isSet, isRemoved = keyChanged(st.Reads, s.reads, unit)
		} else {
			isSet, isRemoved = keyChanged(st.Objects, s.objects, k)
		}
		switch {
		case isSet:
			set = append(set, k)
		case isRemoved:
			removed = append(removed, k)
		}
	}
	sort.Strings(set)
	sort.Strings(removed)
	return set, removed
}

// keyChanged says whether now sets k (added or replaced) or removes it,
// compared with before.
func keyChanged[V comparable](now, before map[string]V, k string) (set, removed bool) {
	v, inNow := now[k]
	old, inBefore := before[k]
	return inNow && (!inBefore || old != v), !inNow && inBefore
}

// openJournal opens the journal for appending: the one Load read, cut
// back to its last line read whole, or a new one naming the file's serial.
func (w *Writer) openJournal() error {
	if w.jf != nil {
		return nil
	}
	jpath := JournalPath(w.path)
	d := w.disk
	if d.journal.size > 0 {
		f, err := os.OpenFile(jpath, os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if err := f.Truncate(d.journal.size); err != nil {
			f.Close()
			return err
		}
		if _, err := f.Seek(d.journal.size, io.SeekStart); err != nil {
			f.Close()
			return err
		}
		if d.journal.newline {
			if _, err := f.Write([]byte("\n")); err != nil {
				f.Close()
				return err
			}
			d.journal.size++
			d.journal.newline = false
		}
		w.jf = f
		return nil
	}
	f, err := os.OpenFile(jpath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	h := append(append([]byte(`{"journal":1,"base":`), strconv.FormatInt(d.base, 10)...), "}\n"...)
	if _, err := f.Write(h); err != nil {
		f.Close()
		os.Remove(jpath)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(jpath)
		return err
	}
	syncDir(filepath.Dir(jpath))
	d.journal = journalInfo{size: int64(len(h))}
	w.jf = f
	return nil
}

// cutJournal cuts the journal back after a failed append, so that no torn
// line precedes the next one; when it cannot, the next save writes the
// whole state.
func (w *Writer) cutJournal() {
	if err := w.jf.Truncate(w.disk.journal.size); err != nil {
		w.broken = true
		return
	}
	if _, err := w.jf.Seek(w.disk.journal.size, io.SeekStart); err != nil {
		w.broken = true
	}
}
