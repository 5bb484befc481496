package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDefaultStatePath(t *testing.T) {
	for in, want := range map[string]string{
		"examples/quickstart/desired":  "examples/quickstart/.permsync/state.json",
		"examples/quickstart/desired/": "examples/quickstart/.permsync/state.json",
		"perms.yaml":                   ".permsync/state.json",
		"/srv/perms/a.yaml":            "/srv/perms/.permsync/state.json",
	} {
		if got := DefaultPath(in); got != filepath.FromSlash(want) {
			t.Errorf("DefaultPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".permsync", "state.json")
	st, exists, err := Load(path)
	if err != nil || exists {
		t.Fatalf("missing state: exists=%v err=%v", exists, err)
	}
	if st.Version != Version || st.Objects == nil || len(st.Objects) != 0 {
		t.Fatalf("missing state must load as empty: %+v", st)
	}
	st.Objects[Key("group", "销售分析/华北分析师")] = &Object{
		Created: true, ID: 50, Facets: map[string]Facet{"description": {Hash: "abc"}},
	}
	if err := Save(path, st); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, st); err != nil {
		t.Fatal(err)
	}
	got, exists, err := Load(path)
	if err != nil || !exists {
		t.Fatalf("exists=%v err=%v", exists, err)
	}
	if got.Serial != 2 {
		t.Errorf("serial = %d after two saves, want 2", got.Serial)
	}
	if d := cmp.Diff(st, got, cmpopts.IgnoreUnexported(State{})); d != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", d)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "\n  \"objects\"") || !strings.Contains(string(b), `"version": 1`) {
		t.Errorf("state is not indented, versioned JSON:\n%s", b)
	}
}

// TestStateOneObjectPerLine pins the layout: valid JSON equal to the
// state, one object per line in key order, so a change to one object is
// a one-line diff in git.
func TestStateOneObjectPerLine(t *testing.T) {
	st := &State{Version: Version, Server: "https://bi.example.com/<a&b>", Objects: map[string]*Object{
		"user b@example.com":    {ID: 2, Facets: map[string]Facet{"attrs": {Hash: "sha256:2"}, "department": {Hash: "sha256:d"}}},
		"group 销售分析/华北分析师":      {Created: true, ID: 50, Facets: map[string]Facet{"folder": {Hash: "sha256:f", Items: []string{"区域组"}}}},
		"user a@example.com":    {ID: 1},
		"role 销售分析/通用/报告\"阅览\"": {ID: 7},
	}}
	b, err := encodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	var got State
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	if d := cmp.Diff(st, &got, cmpopts.IgnoreUnexported(State{})); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var objLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "    \"") {
			objLines = append(objLines, l)
		}
	}
	want := []string{`    "group 销售分析/华北分析师": `, `    "role 销售分析/通用/报告\"阅览\"": `, `    "user a@example.com": `, `    "user b@example.com": `}
	if len(objLines) != len(want) {
		t.Fatalf("object lines:\n%s", strings.Join(objLines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(objLines[i], w) {
			t.Errorf("line %d = %s, want it to start with %s", i, objLines[i], w)
		}
	}
	empty, err := encodeState(&State{Version: 1})
	if err != nil || !json.Valid(empty) {
		t.Errorf("empty state: %v\n%s", err, empty)
	}
}

func TestStateBadVersionAndGarbage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "v9.json")
	os.WriteFile(bad, []byte(`{"version": 9, "serial": 1, "objects": {}}`), 0o600)
	if _, _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("version 9: %v", err)
	}
	garbage := filepath.Join(dir, "g.json")
	os.WriteFile(garbage, []byte(`{"version": 1, "objects": {}, "extra": true}`), 0o600)
	if _, _, err := Load(garbage); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("unknown field: %v", err)
	}
}

func TestLock(t *testing.T) {
	stPath := filepath.Join(t.TempDir(), "state.json")
	l, err := AcquireLock(stPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(stPath)
	le, ok := err.(*LockedError)
	if !ok || le.Stale || le.Holder.PID != os.Getpid() {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := AcquireLock(stPath)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}

func TestStaleLock(t *testing.T) {
	stPath := filepath.Join(t.TempDir(), "state.json")
	// The pid of a process that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no 'true' command:", err)
	}
	host, _ := os.Hostname()
	os.WriteFile(LockPath(stPath), []byte(`{"pid": `+strconv.Itoa(cmd.Process.Pid)+`, "host": "`+host+`", "created": "2026-01-01T00:00:00Z"}`), 0o600)
	_, err := AcquireLock(stPath)
	le, ok := err.(*LockedError)
	if !ok || !le.Stale {
		t.Fatalf("want a stale lock error, got %v", err)
	}
	if !strings.Contains(err.Error(), "--force-unlock") {
		t.Errorf("stale lock error does not say how to recover: %v", err)
	}
	held, err := ForceUnlock(stPath)
	if err != nil || held.PID != cmd.Process.Pid {
		t.Fatalf("force unlock: %+v %v", held, err)
	}
	l, err := AcquireLock(stPath)
	if err != nil {
		t.Fatalf("lock after force unlock: %v", err)
	}
	l.Release()
}

// A lock held by a process that still runs on this host is not stale, and
// --force-unlock keeps it.
func TestForceUnlockKeepsALiveHolder(t *testing.T) {
	stPath := filepath.Join(t.TempDir(), "state.json")
	l, err := AcquireLock(stPath)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if _, err := ForceUnlock(stPath); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("force-unlock of a live holder: %v", err)
	}
	if _, err := AcquireLock(stPath); err == nil {
		t.Error("the lock was removed")
	}
}

// A lock naming this process's pid that this process does not hold was
// left by a killed apply whose pid came back (pid 1 in a container): it is
// stale, and --force-unlock removes it.
func TestLockOfThisPIDNotHeldIsStale(t *testing.T) {
	stPath := filepath.Join(t.TempDir(), "state.json")
	host, _ := os.Hostname()
	left := fmt.Sprintf(`{"pid": %d, "host": %q, "created": "2026-01-01T00:00:00Z"}`, os.Getpid(), host)
	if err := os.WriteFile(LockPath(stPath), []byte(left), 0o600); err != nil {
		t.Fatal(err)
	}
	var le *LockedError
	if _, err := AcquireLock(stPath); !errors.As(err, &le) || !le.Stale {
		t.Fatalf("acquire under a lock left with this pid: %v", err)
	}
	if _, err := ForceUnlock(stPath); err != nil {
		t.Fatalf("force-unlock: %v", err)
	}
	l, err := AcquireLock(stPath)
	if err != nil {
		t.Fatalf("acquire after force-unlock: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// A live holder on this host cannot be force-unlocked, so the error does
// not suggest it; a holder on another host can.
func TestLockedErrorAdvice(t *testing.T) {
	host, _ := os.Hostname()
	here := (&LockedError{Path: "s.lock", Holder: LockInfo{PID: 42, Host: host}}).Error()
	if strings.Contains(here, "--force-unlock") || !strings.Contains(here, "wait for it") {
		t.Errorf("live holder here: %s", here)
	}
	there := (&LockedError{Path: "s.lock", Holder: LockInfo{PID: 42, Host: host + "-other"}}).Error()
	if !strings.Contains(there, "--force-unlock") {
		t.Errorf("holder on another host: %s", there)
	}
}

// TestEncodeStateMatchesEncodingJSON: the hand-written encoder writes
// every object exactly as encoding/json does without HTML escaping, for
// random states with every kind of character a name may hold.
func TestEncodeStateMatchesEncodingJSON(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "Z", "销售", "\"", "\\", "\n", "\t", "\x01", "\x1f", "<", ">", "&", "/", " ", "\u2028", "\xff", "é", "\u00a0"}
	str := func() string {
		var sb strings.Builder
		for n := rnd.Intn(6); n > 0; n-- {
			sb.WriteString(alphabet[rnd.Intn(len(alphabet))])
		}
		return sb.String()
	}
	for i := 0; i < 300; i++ {
		st := &State{Version: 1, Serial: rnd.Int63n(1000), Server: str(), Objects: map[string]*Object{}}
		for n := rnd.Intn(8); n > 0; n-- {
			o := &Object{Created: rnd.Intn(2) == 0, ID: rnd.Int63n(3) * 100000, Pending: rnd.Intn(3) == 0}
			switch rnd.Intn(3) {
			case 0:
			case 1:
				o.Facets = map[string]Facet{}
			default:
				o.Facets = map[string]Facet{}
				for m := rnd.Intn(4); m > 0; m-- {
					f := Facet{Hash: str()}
					if rnd.Intn(3) == 0 {
						f.Value = marshalNoHTML(t, map[string]any{str(): []string{str(), str()}})
					}
					if rnd.Intn(2) == 0 {
						f.Items = []string{}
						for k := rnd.Intn(3); k > 0; k-- {
							f.Items = append(f.Items, str())
						}
					}
					o.Facets[str()] = f
				}
			}
			if rnd.Intn(10) == 0 {
				o = nil
			}
			st.Objects[str()] = o
		}
		b, err := encodeState(st)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON:\n%s", b)
		}
		for k, o := range st.Objects {
			kb, ob := marshalNoHTML(t, k), marshalNoHTML(t, o)
			if line := "\n    " + string(kb) + ": " + string(ob); !strings.Contains(string(b), line) {
				t.Fatalf("object %q is not written as encoding/json writes it (%s):\n%s", k, line, b)
			}
		}
		var got State
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Serial != st.Serial || len(got.Objects) != len(st.Objects) {
			t.Fatalf("decoded %d objects, serial %d; want %d, %d", len(got.Objects), got.Serial, len(st.Objects), st.Serial)
		}
	}
}

// TestStateWriterReusesUnchangedLines: a writer writing the same state
// whole again writes what a fresh encoding writes, after objects were
// replaced, added and removed.
func TestStateWriterReusesUnchangedLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	w := NewWriter(path)
	st := New()
	for i := 0; i < 50; i++ {
		st.Objects[fmt.Sprintf("user u%02d", i)] = &Object{ID: int64(i), Facets: map[string]Facet{"attrs": {Hash: fmt.Sprint("h", i)}}}
	}
	check := func(step string) {
		t.Helper()
		w.disk = nil // write it whole
		if err := w.Save(st); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := encodeState(st)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("%s: the writer wrote\n%s\nwant\n%s", step, got, want)
		}
	}
	check("first save")
	st.Record(Key("user", "u07"), &Object{ID: 7, Facets: map[string]Facet{"attrs": {Hash: "changed"}}})
	st.Record(Key("user", "u08"), nil)
	st.Record(Key("user", "u99"), &Object{Created: true})
	st.SetRead("member p/u07", &Read{Desired: "sha256:d", At: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)})
	check("after replacing, removing and adding objects and a read record")
	check("unchanged")
	st.Record(Key("user", "u03"), &Object{ID: 3, Pending: true})
	st.SetRead("member p/u07", &Read{Desired: "sha256:e", At: time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)})
	check("after replacing an object and a read record, the keys the same")
	if len(w.lines) != len(st.Objects)+len(st.Reads) {
		t.Errorf("the writer keeps %d lines for %d objects and %d read records", len(w.lines), len(st.Objects), len(st.Reads))
	}
}

// marshalNoHTML is json.Marshal without HTML escaping.
func marshalNoHTML(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// TestStateEmptyFile: a state file of 0 bytes or only whitespace is an
// error that names the file, says it is empty and what to do; it is never
// read as "no state".
func TestStateEmptyFile(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", " \n\t\n"} {
		path := filepath.Join(dir, "state.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		st, exists, err := Load(path)
		if err == nil {
			t.Fatalf("%q: loaded as a state (exists %v, %d objects)", content, exists, len(st.Objects))
		}
		msg := err.Error()
		for _, want := range []string{path, "empty", "Restore it from a backup", "delete it"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%q: the error does not say %q: %s", content, want, msg)
			}
		}
		if !errors.Is(err, errEmptyState) || strings.Contains(msg, "EOF") {
			t.Errorf("%q: %v", content, err)
		}
	}
}

// TestStateOfAnEarlierReleaseLoads: a state an earlier permsync wrote
// (the quickstart applied) loads, and saving it again writes the same
// bytes: the format is unchanged.
func TestStateOfAnEarlierReleaseLoads(t *testing.T) {
	path := filepath.Join("testdata", "release-quickstart.json")
	st, exists, err := Load(path)
	if err != nil || !exists {
		t.Fatalf("load: exists %v, %v", exists, err)
	}
	if len(st.Objects) == 0 {
		t.Fatal("no objects")
	}
	out := filepath.Join(t.TempDir(), "state.json")
	st.Serial-- // Save increases the serial
	if err := Save(out, st); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(path)
	got, _ := os.ReadFile(out)
	if !bytes.Equal(want, got) {
		t.Errorf("the state written again differs from the earlier release's:\n%s\nwant:\n%s", got, want)
	}
}
