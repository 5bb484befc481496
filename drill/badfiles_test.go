package drill

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

// badFile is one malformed input: what a person gets wrong, the error
// that must say so, and the line it must name (0: none applies).
type badFile struct {
	name string
	data string
	want string
	line int
}

const okHead = "version: 1\n"

func laughs() string {
	var b strings.Builder
	b.WriteString("version: 1\nusers:\n  - uniqueId: a\n    customInfo:\n      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "      l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return b.String()
}

// aliasedValues is a 64 KiB value aliased 520 times: 33 MiB of customInfo
// once the aliases are expanded, in a 70 KB file.
func aliasedValues() string {
	var b strings.Builder
	b.WriteString("version: 1\nusers:\n  - uniqueId: a\n    customInfo:\n      big: &s \"" + strings.Repeat("x", 64<<10) + "\"\n")
	for i := 0; i < 520; i++ {
		fmt.Fprintf(&b, "      k%d: *s\n", i)
	}
	return b.String()
}

// flowItems is a list of more flow items than a file may hold nodes.
func flowItems() string {
	return okHead + "users: [" + strings.Repeat("a,", spec.MaxFileNodes/2) + "a]\n"
}

var badFiles = []badFile{
	{"tab indentation", okHead + "users:\n\t- uniqueId: a\n", "tab", 3},
	{"tab after key", okHead + "users:\n  - uniqueId:\ta\n    nick: b\n\t\n", "tab", 3},
	{"wrong indentation of a list item", okHead + "users:\n  - uniqueId: a\n   nick: b\n", "invalid YAML", 2},
	{"wrong indentation of a key", okHead + "projects:\n  - name: P\n     description: d\n", "invalid YAML", 4},
	{"key outdented under a list", okHead + "projects:\n  - name: P\n members: []\n", "invalid YAML", 3},
	{"duplicate key in one mapping", okHead + "users:\n  - uniqueId: a\n    nick: x\n    nick: y\n", "nick", 5},
	{"duplicate top-level key", okHead + "users: []\nusers: []\n", "users", 3},
	{"duplicate version", okHead + "version: 1\n", "version", 2},
	{"billion laughs", laughs(), "too large", 0},
	{"alias cycle", okHead + "users:\n  - &a {uniqueId: a, customInfo: *a}\n", "contains it", 3},
	{"alias as key", okHead + "users:\n  - {uniqueId: &k a}\n  - {uniqueId: b, *k : c}\n", "an alias cannot be a key", 4},
	{"unknown alias", okHead + "users: *nope\n", "unknown anchor", 2},
	{"merge key", okHead + "users:\n  - {<<: {nick: n}, uniqueId: a}\n", "merge keys", 3},
	{"BOM then content", "\ufeff" + okHead + "users:\n  - uniqueId: a\n    nick: [\n", "did not find expected node content", 4},
	{"UTF-16 file", "\xff\xfev\x00e\x00r\x00", "UTF-16", 1},
	{"non-UTF-8 bytes", okHead + "users:\n  - uniqueId: \xff\xfe\n", "not UTF-8", 3},
	{"Latin-1 nick", okHead + "users:\n  - uniqueId: a\n    nick: Jos\xe9\n", "not UTF-8", 4},
	{"NUL byte", okHead + "users:\n  - uniqueId: a\x00\n", "control characters", 3},
	{"missing version", "users: []\n", "version", 1},
	{"version as text", "version: one\nusers: []\n", "version", 1},
	{"version 2", "version: 2\n", "version", 1},
	{"top-level list", "- version: 1\n", "mapping", 1},
	{"top-level scalar", "hello\n", "mapping", 1},
	{"two documents", okHead + "---\nversion: 1\n", "more than one", 2},
	{"unknown top-level key", okHead + "user: []\n", "user", 2},
	{"misspelt field", okHead + "users:\n  - uniqueID: a\n", "uniqueID", 3},
	{"users as a mapping", okHead + "users:\n  uniqueId: a\n", "expected a list", 3},
	{"number for a string", okHead + "users:\n  - uniqueId: a\n    nick: 12\n", "nick", 4},
	{"string for a list", okHead + "projects:\n  - name: P\n    members: admin\n", "members", 4},
	{"string for a bool", okHead + "users:\n  - uniqueId: a\n    allowExternal: maybe\n", "allowExternal", 4},
	{"missing uniqueId", okHead + "users:\n  - nick: a\n", "uniqueId", 3},
	{"empty uniqueId", okHead + "users:\n  - uniqueId: \"\"\n", "uniqueId", 3},
	{"duplicate user", okHead + "users:\n  - uniqueId: a\n  - uniqueId: a\n", "a", 4},
	{"unterminated quote", okHead + "users:\n  - uniqueId: \"a\n", "invalid YAML", 0},
	{"unterminated flow list", okHead + "users: [\n", "invalid YAML", 0},
	{"colon in a plain value", okHead + "users:\n  - uniqueId: a: b\n", "invalid YAML", 3},
	{"unknown system role", okHead + "projects:\n  - name: P\n    members:\n      - {user: a, systemRoles: [boss]}\n", "boss", 5},
	{"member of an unknown group", okHead + "projects:\n  - name: P\n    roles:\n      - {name: r, groups: [nope]}\n", "nope", 5},
	{"expiry in a wrong format", okHead + "projects:\n  - name: P\n    roles:\n      - name: r\n        users: [a]\n        expires: {a: \"31/12/2026\"}\n", "expires", 7},
	{"maxDeletes over 100%", okHead + "settings: {maxDeletes: 150%}\n", "maxDeletes", 2},
	{"token in the file", okHead + "token: abc\n", "token", 2},
	{"password in customInfo", okHead + "users:\n  - uniqueId: a\n    customInfo: {password: x}\n", "password", 4},
	{"department parent missing", okHead + "orgs:\n  departments:\n    - {code: A, name: A, parent: B}\n", "B", 4},
	{"null list item", okHead + "users: [~, {uniqueId: a}]\n", "empty list item", 2},
	{"null block list item", okHead + "projects:\n  - name: P\n    roles:\n      - name: R\n        users:\n          -\n", "empty list item", 7},
	{"line feed in a uniqueId", okHead + "users:\n  - uniqueId: \"eve@corp.com\\n  + user admin@corp.com\"\n", "U+000A (line feed)", 3},
	{"escape in a nick", okHead + "users:\n  - {uniqueId: a, nick: \"A\\e[2J\"}\n", "U+001B (escape)", 3},
	{"zero-width space in a group", okHead + "projects:\n  - name: P\n    groups:\n      - name: \"Fin\\u200bance\"\n", "U+200B (zero-width space)", 5},
	{"right-to-left override in a role's user", okHead + "projects:\n  - name: P\n    roles:\n      - {name: R, users: [\"moc.proc@\\u202eeve\"]}\n", "U+202E", 5},
	{"Cyrillic letter in a uniqueId", okHead + "users:\n  - uniqueId: eve@corp.com\n  - uniqueId: \u0435ve@corp.com\n", "looks the same as \"eve@corp.com\"", 4},
	{"fullwidth letter in a group", okHead + "projects:\n  - name: P\n    groups:\n      - name: ops\n      - name: \uff4fps\n", "fullwidth", 6},
	{"aliases past the decoded-size budget", aliasedValues(), "once its aliases are expanded", 0},
	{"more flow items than a file may hold", flowItems(), "counted before parsing", 2},
	{"only comments", "# nothing here\n", "empty", 0},
	{"empty file", "", "empty", 0},
}

// TestDrill6BadFiles: every malformed file gives one clear error naming
// the file (and the line where there is one), and no call reaches the
// server: plan stops before it connects.
func TestDrill6BadFiles(t *testing.T) {
	if len(badFiles) < 40 {
		t.Fatalf("%d cases; the drill wants at least 40", len(badFiles))
	}
	dir := t.TempDir()
	sim := youdatatest.New(youdatatest.Options{Token: "drill-token"})
	defer sim.Close()
	withLine := 0
	for i, bf := range badFiles {
		bf := bf
		path := filepath.Join(dir, fmt.Sprintf("case%02d.yaml", i))
		if err := os.WriteFile(path, []byte(bf.data), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(bf.name, func(t *testing.T) {
			_, err := spec.Load([]string{path})
			if err == nil {
				t.Fatalf("loaded without an error:\n%s", bf.data)
			}
			ps := spec.Problems(err)
			if len(ps) == 0 {
				t.Fatalf("the error holds no problem: %v", err)
			}
			// One mistake, one problem: a typo is not also reported as the
			// field it was meant to be, missing.
			if len(ps) != 1 {
				t.Errorf("%d problems for one mistake, want 1:\n%v", len(ps), err)
			}
			if !strings.Contains(err.Error(), bf.want) {
				t.Errorf("error does not say %q:\n%v", bf.want, err)
			}
			found := false
			for _, p := range ps {
				if p.File != path {
					t.Errorf("problem names file %q, want %q: %v", p.File, path, p)
				}
				if bf.line == 0 || p.Line == bf.line {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem at line %d: %v", bf.line, err)
			}
			if bf.line > 0 {
				withLine++
			}
		})
	}
	// The same files through the command: each refused, none reaching the
	// server.
	needBinary(t)
	for i, bf := range badFiles {
		path := filepath.Join(dir, fmt.Sprintf("case%02d.yaml", i))
		r := runBin(t, []string{"PERMSYNC_TOKEN=drill-token"}, "plan", "-f", path, "--server", sim.URL(), "--state", filepath.Join(dir, "state.json"))
		if r.code != 1 || !strings.Contains(r.stderr, path) {
			t.Errorf("%s: plan should fail naming the file: %s", bf.name, r)
		}
	}
	if n := sim.TotalCalls(); n != 0 {
		t.Errorf("bad files reached the server: %d calls (%v)", n, sim.Calls())
	}
	t.Logf("bad files: %d cases, each refused with one problem naming the file, %d with the line checked, %d server calls", len(badFiles), withLine, sim.TotalCalls())
}

// TestDrill6HugeFile: a 100 MB file is refused by its size before it is
// parsed, and plan makes no server call.
func TestDrill6HugeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("  - {uniqueId: someone@example.com, nick: 某人, position: 职员, department: 部门}\n")
	if _, err := f.WriteString("version: 1\nusers:\n"); err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat(line, 1<<14)
	for written := 0; written < 100<<20; written += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = spec.Load([]string{path})
	if err == nil || !strings.Contains(err.Error(), "too large") || !strings.Contains(err.Error(), path) {
		t.Fatalf("100 MB file: %v", err)
	}
	needBinary(t)
	sim := youdatatest.New(youdatatest.Options{Token: "drill-token"})
	defer sim.Close()
	r := runBin(t, []string{"PERMSYNC_TOKEN=drill-token"}, "plan", "-f", path, "--server", sim.URL(), "--state", filepath.Join(dir, "state.json"))
	if r.code != 1 || !strings.Contains(r.stderr, "too large") {
		t.Errorf("plan of a 100 MB file: %s", r)
	}
	if n := sim.TotalCalls(); n != 0 {
		t.Errorf("%d server calls", n)
	}
	t.Logf("100 MB file: %v", err)
}

// TestDrill6NonRegularFiles: a *.yaml that is a named pipe, or a symlink
// to one or to /dev/stdin (a pipe nobody writes to), is refused by
// validate and by plan with an error naming it; neither waits for a
// writer, and plan makes no server call.
func TestDrill6NonRegularFiles(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, okHead+"users: [{uniqueId: a}]\n")
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	toFifo := filepath.Join(dir, "to-pipe.yaml")
	toStdin := filepath.Join(dir, "stdin.yaml")
	for link, target := range map[string]string{toFifo: fifo, toStdin: "/dev/stdin"} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	sim := youdatatest.New(youdatatest.Options{Token: "drill-token"})
	defer sim.Close()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"validate a pipe", []string{"validate", "-f", good, "-f", fifo}, fifo + ": cannot read: the path is a named pipe"},
		{"validate a symlink to a pipe", []string{"validate", "-f", toFifo}, toFifo + ": cannot read: the path (a symlink to " + fifo + ") is a named pipe"},
		{"validate a symlink to stdin", []string{"validate", "-f", toStdin}, toStdin + ": cannot read: the path (a symlink to /dev/stdin) is a named pipe"},
		{"validate a directory holding a pipe", []string{"validate", "-f", dir}, fifo + ": cannot read"},
		{"plan a symlink to stdin", []string{"plan", "-f", toStdin, "--server", sim.URL(), "--state", filepath.Join(dir, "state.json")}, "(a symlink to /dev/stdin) is a named pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Standard input is a pipe with a writer that never writes:
			// reading /dev/stdin would wait for ever.
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			defer pr.Close()
			cmd := binCmd([]string{"PERMSYNC_TOKEN=drill-token"}, tc.args...)
			cmd.Stdin = pr
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("permsync %s still runs after 60 s: it waits on the pipe", strings.Join(tc.args, " "))
			}
			if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "not a regular file") {
				t.Errorf("exit %d (%v), stderr:\n%s\nwant exit 1 and %q", cmd.ProcessState.ExitCode(), err, stderr.String(), tc.want)
			}
		})
	}
	if n := sim.TotalCalls(); n != 0 {
		t.Errorf("%d server calls", n)
	}
}

// TestDrill6NodeBudgetAcrossFiles: three files, each within the node
// budget of a file and over that of a load together, are refused by plan
// before any is parsed, naming the file that passes the budget; no call
// reaches the server.
func TestDrill6NodeBudgetAcrossFiles(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	data := okHead + "users: [" + strings.Repeat("a,", spec.MaxFileNodes*3/8) + "a]\n"
	for i := 0; i < 3; i++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%d.yaml", i)), data)
	}
	sim := youdatatest.New(youdatatest.Options{Token: "drill-token"})
	defer sim.Close()
	r := runBin(t, []string{"PERMSYNC_TOKEN=drill-token"}, "plan", "-f", dir, "--server", sim.URL(), "--state", filepath.Join(t.TempDir(), "state.json"))
	want := filepath.Join(dir, "f2.yaml") + ":2: files too large together"
	if r.code != 1 || !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "\n") != 2 {
		t.Errorf("plan of three files: %s\nwant exit 1 and one problem %q", r, want)
	}
	if n := sim.TotalCalls(); n != 0 {
		t.Errorf("%d server calls", n)
	}
}
