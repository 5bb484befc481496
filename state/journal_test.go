package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var at = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// loadedState writes a state of n users whole to a new file and loads it,
// as an apply does before its first save.
func loadedState(t *testing.T, n int) (string, *State) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.json")
	st := New()
	st.Server = "https://bi.example.com"
	for i := 0; i < n; i++ {
		st.Objects[fmt.Sprintf("user u%03d", i)] = &Object{ID: int64(i), Facets: map[string]Facet{"attrs": {Hash: fmt.Sprint("h", i)}}}
		st.SetRead(fmt.Sprintf("member p/u%03d", i), &Read{Desired: fmt.Sprint("d", i), At: at})
	}
	if err := Save(path, st); err != nil {
		t.Fatal(err)
	}
	got, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, got
}

func mustLoad(t *testing.T, path string) *State {
	t.Helper()
	st, exists, err := Load(path)
	if err != nil || !exists {
		t.Fatalf("load: exists %v, %v", exists, err)
	}
	return st
}

func sameState(t *testing.T, step string, want, got *State) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(State{})); d != "" {
		t.Fatalf("%s: the state loaded differs from the one saved (-saved +loaded):\n%s", step, d)
	}
}

// TestJournalSavesWhatChanged: saves of a loaded state append only the
// objects and read records replaced, added or removed, and leave the file
// as it was; Load reads the file and the journal back to the state saved;
// Compact writes the state whole and removes the journal.
func TestJournalSavesWhatChanged(t *testing.T) {
	path, st := loadedState(t, 200)
	base, _ := os.ReadFile(path)
	w := NewWriter(path)
	st.Record(Key("user", "u007"), &Object{ID: 7, Facets: map[string]Facet{"attrs": {Hash: "changed"}}})
	st.Record(Key("user", "u008"), nil)
	st.SetRead("member p/u009", &Read{Desired: "d9x", At: at.Add(time.Hour)})
	st.SetRead("member p/u010", nil)
	if err := w.Save(st); err != nil {
		t.Fatal(err)
	}
	st.Record(Key("group", "p/g"), &Object{Created: true, ID: 5})
	if err := w.Save(st); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, base) {
		t.Error("a save of a loaded state wrote the file whole")
	}
	j, err := os.ReadFile(JournalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(j), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("journal: %d lines, want a header and one per save:\n%s", len(lines), j)
	}
	for _, key := range []string{"user u007", "user u008", "~read member p/u009", "~read member p/u010"} {
		if !strings.Contains(lines[1], key) {
			t.Errorf("the first save's line does not name %s: %s", key, lines[1])
		}
	}
	if strings.Contains(lines[1], "u011") || strings.Contains(lines[2], "user") {
		t.Errorf("a line names objects that did not change:\n%s", j)
	}
	if len(j) > len(base)/20 {
		t.Errorf("the journal is %d bytes for 5 changes in a file of %d", len(j), len(base))
	}
	sameState(t, "after two saves", st, mustLoad(t, path))

	if err := w.Compact(st); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(JournalPath(path)); !os.IsNotExist(err) {
		t.Errorf("the journal is left after Compact: %v", err)
	}
	want, _ := encodeState(st)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Errorf("after Compact the file is not the state written whole")
	}
	sameState(t, "after Compact", st, mustLoad(t, path))
	serial := st.Serial
	if err := w.Compact(st); err != nil || st.Serial != serial {
		t.Errorf("a second Compact with nothing new wrote again (serial %d → %d, %v)", serial, st.Serial, err)
	}
}

// TestJournalCrashMidAppend: a crash that cuts the journal's last line
// loses only that save: the state loads with every save before it, and a
// writer of the state loaded appends after the last whole line.
func TestJournalCrashMidAppend(t *testing.T) {
	path, st := loadedState(t, 20)
	w := NewWriter(path)
	var saved []*State
	for i := 0; i < 3; i++ {
		st.Record(Key("user", fmt.Sprintf("u%03d", i)), &Object{ID: int64(100 + i)})
		st.SetRead(fmt.Sprintf("member p/u%03d", i), &Read{Desired: "x", At: at.Add(time.Duration(i) * time.Minute)})
		if err := w.Save(st); err != nil {
			t.Fatal(err)
		}
		saved = append(saved, clone(t, st))
	}
	w.Close()
	j, _ := os.ReadFile(JournalPath(path))
	last := bytes.LastIndexByte(j[:len(j)-1], '\n')
	for _, cut := range []struct {
		name string
		keep int
		want int // saves that load
	}{
		{"the last line cut in the middle", last + 1 + (len(j)-last)/2, 2},
		{"the last line without its line break", len(j) - 1, 3},
		{"only the line break of the line before left", last + 1, 2},
	} {
		t.Run(cut.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "state.json")
			b, _ := os.ReadFile(path)
			os.WriteFile(p, b, 0o600)
			os.WriteFile(JournalPath(p), j[:cut.keep], 0o600)
			got := mustLoad(t, p)
			sameState(t, "after the crash", saved[cut.want-1], got)

			// The next apply goes on from there.
			got.Record(Key("user", "u019"), &Object{ID: 999})
			w := NewWriter(p)
			if err := w.Save(got); err != nil {
				t.Fatal(err)
			}
			sameState(t, "after a save on top", got, mustLoad(t, p))
		})
	}
}

// TestJournalCrashBetweenCompactAndRemove: a crash after Compact renamed
// the whole state into place but before it removed the journal leaves a
// journal of an older base, which is not read: it would undo what changed
// after its last line.
func TestJournalCrashBetweenCompactAndRemove(t *testing.T) {
	path, st := loadedState(t, 20)
	w := NewWriter(path)
	st.Record(Key("user", "u001"), &Object{ID: 1, Facets: map[string]Facet{"attrs": {Hash: "v1"}}})
	if err := w.Save(st); err != nil {
		t.Fatal(err)
	}
	journal, _ := os.ReadFile(JournalPath(path))
	st.Record(Key("user", "u001"), &Object{ID: 1, Facets: map[string]Facet{"attrs": {Hash: "v2"}}})
	if err := w.Compact(st); err != nil {
		t.Fatal(err)
	}
	// As if the process died right after the rename.
	if err := os.WriteFile(JournalPath(path), journal, 0o600); err != nil {
		t.Fatal(err)
	}
	got := mustLoad(t, path)
	sameState(t, "after the crash", st, got)
	if h := got.Objects["user u001"].Facets["attrs"].Hash; h != "v2" {
		t.Errorf("user u001 has %q: the old journal was read over the newer file", h)
	}
	// A writer of it writes a journal of its own.
	got.Record(Key("user", "u002"), nil)
	if err := NewWriter(path).Save(got); err != nil {
		t.Fatal(err)
	}
	sameState(t, "after the next save", got, mustLoad(t, path))
}

// TestJournalCorruptLine: a line that cannot be read before the last one
// is an error naming the journal and the line; nothing is guessed.
func TestJournalCorruptLine(t *testing.T) {
	path, st := loadedState(t, 5)
	w := NewWriter(path)
	for i := 0; i < 2; i++ {
		st.Record(Key("user", "u001"), &Object{ID: int64(i)})
		if err := w.Save(st); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	j, _ := os.ReadFile(JournalPath(path))
	lines := bytes.SplitAfter(j, []byte("\n"))
	lines[1] = []byte("{\"serial\": oops}\n")
	os.WriteFile(JournalPath(path), bytes.Join(lines, nil), 0o600)
	_, _, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), JournalPath(path)) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("load of a journal with a bad line: %v", err)
	}
}

// TestReadRecordsLoadInTheEarlierRelease: read records are objects of the
// file, so the earlier release, which decodes the file into the same
// types and refuses unknown fields, loads a state that has them.
func TestReadRecordsLoadInTheEarlierRelease(t *testing.T) {
	path, st := loadedState(t, 3)
	if err := NewWriter(path).Compact(st); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var old struct {
		Version int                `json:"version"`
		Serial  int64              `json:"serial"`
		Server  string             `json:"server,omitempty"`
		Objects map[string]*Object `json:"objects"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&old); err != nil {
		t.Fatalf("the earlier release cannot decode it: %v", err)
	}
	if old.Version != Version || len(old.Objects) != len(st.Objects)+len(st.Reads) {
		t.Errorf("version %d, %d objects; want %d and %d", old.Version, len(old.Objects), Version, len(st.Objects)+len(st.Reads))
	}
	o := old.Objects[ReadPrefix+"member p/u001"]
	if o == nil || o.Facets["read"].Hash != "d1" || len(o.Facets["read"].Items) != 1 || o.Facets["read"].Items[0] != "2025-06-01T10:00:00Z" {
		t.Errorf("read record as an object: %+v", o)
	}
}

func clone(t *testing.T, st *State) *State {
	t.Helper()
	out := &State{Version: st.Version, Serial: st.Serial, Server: st.Server, Objects: map[string]*Object{}, Reads: map[string]*Read{}}
	for k, o := range st.Objects {
		out.Objects[k] = o.Clone()
	}
	for u, r := range st.Reads {
		cp := *r
		out.Reads[u] = &cp
	}
	return out
}

// TestJournalKeepsFacetValues: a facet's last-applied value saved in the
// journal loads back as it was saved.
func TestJournalKeepsFacetValues(t *testing.T) {
	path, st := loadedState(t, 3)
	w := NewWriter(path)
	defer w.Close()
	v := json.RawMessage(`{"position":"总监","tags":["a","b"]}`)
	st.Record("user u001", &Object{ID: 1, Facets: map[string]Facet{"attrs": {Hash: "h1", Value: v}}})
	if err := w.Save(st); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(JournalPath(path)); err != nil {
		t.Fatalf("the save wrote no journal: %v", err)
	}
	got := mustLoad(t, path)
	sameState(t, "after a save in the journal", st, got)
	if string(got.Objects["user u001"].Facets["attrs"].Value) != string(v) {
		t.Errorf("value %s, want %s", got.Objects["user u001"].Facets["attrs"].Value, v)
	}
}

// TestJournalNotesWhatChanged: a save appends what Record, Put, Delete and
// SetRead noted; under test a change made around them is an error, not a
// journal that silently lacks it; a state whose changes were not noted
// (here: forgotten) is compared whole and saved all the same.
func TestJournalNotesWhatChanged(t *testing.T) {
	path, st := loadedState(t, 50)
	w := NewWriter(path)
	st.Put(Key("group", "p/g"), &Object{ID: 9})
	st.Delete(Key("user", "u001"))
	st.Delete(Key("user", "absent"))
	st.SetRead("member p/u002", nil)
	if err := w.Save(st); err != nil {
		t.Fatal(err)
	}
	sameState(t, "after noted changes", st, mustLoad(t, path))

	st.Objects[Key("user", "u003")] = &Object{ID: 33}
	err := w.Save(st)
	if err == nil || !strings.Contains(err.Error(), "around Record") || !strings.Contains(err.Error(), "user u003") {
		t.Fatalf("a direct write of Objects saved with %v, want an error naming user u003", err)
	}
	if got := mustLoad(t, path); got.Objects[Key("user", "u003")].ID == 33 {
		t.Error("the refused save wrote the direct change")
	}

	st.changes = nil
	if err := w.Save(st); err != nil {
		t.Fatalf("a state without noted changes: %v", err)
	}
	sameState(t, "after a save that compared everything", st, mustLoad(t, path))
	st.Record(Key("user", "u004"), &Object{ID: 44})
	if err := w.Save(st); err != nil {
		t.Fatal(err)
	}
	sameState(t, "after noting again", st, mustLoad(t, path))
}

// BenchmarkJournalSave: one save of ten changed objects and read records
// of a 50,000-member state, as an apply phase's save is.
func BenchmarkJournalSave(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state.json")
	st := New()
	for i := 0; i < 50000; i++ {
		st.Objects[fmt.Sprintf("user u%05d", i)] = &Object{ID: int64(i), Facets: map[string]Facet{"attrs": {Hash: fmt.Sprint("h", i)}}}
		st.SetRead(fmt.Sprintf("member p/u%05d", i), &Read{Desired: fmt.Sprint("d", i), At: at})
	}
	if err := Save(path, st); err != nil {
		b.Fatal(err)
	}
	st, _, err := Load(path)
	if err != nil {
		b.Fatal(err)
	}
	w := NewWriter(path)
	defer func(on bool) { checkNoted = on }(checkNoted)
	checkNoted = false // measure the save, not the test's check of it
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := 0; i < 10; i++ {
			k := (n*10 + i) % 50000
			st.Record(fmt.Sprintf("user u%05d", k), &Object{ID: int64(n), Facets: map[string]Facet{"attrs": {Hash: fmt.Sprint("n", n)}}})
			st.SetRead(fmt.Sprintf("member p/u%05d", k), &Read{Desired: fmt.Sprint("n", n), At: at})
		}
		if err := w.Save(st); err != nil {
			b.Fatal(err)
		}
	}
}

// TestJournalTwoStatesOneWriter: a state whose writer saved another state
// since it was tracked is compared whole, not taken at what it noted.
func TestJournalTwoStatesOneWriter(t *testing.T) {
	path, a := loadedState(t, 20)
	w := NewWriter(path)
	if err := w.Save(a); err != nil {
		t.Fatal(err)
	}
	b := mustLoad(t, path)
	b.Record(Key("user", "u005"), nil)
	b.changes = nil // b is not the state the writer tracks
	if err := w.Save(b); err != nil {
		t.Fatal(err)
	}
	// a still holds u005 and noted nothing: the file must get it back.
	a.Serial = b.Serial
	if err := w.Save(a); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, path); got.Objects[Key("user", "u005")] == nil {
		t.Error("the save of a took what it noted since its own save, and lost user u005")
	}
}
