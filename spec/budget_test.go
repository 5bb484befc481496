package spec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// aliasFile is a user whose customInfo names one string of size bytes
// and then aliases it n times.
func aliasFile(size, n int) []byte {
	var b bytes.Buffer
	b.WriteString("version: 1\nusers:\n  - uniqueId: a@corp.com\n    customInfo:\n      big: &s \"")
	b.WriteString(strings.Repeat("x", size))
	b.WriteString("\"\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "      k%d: *s\n", i)
	}
	return b.Bytes()
}

// flowItems is "users: [item,item,...]" with n items.
func flowItems(item string, n int) []byte {
	var b bytes.Buffer
	b.Grow(len(item)*n + 32)
	b.WriteString("version: 1\nusers: [")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item)
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// lineOf returns line n (1-based) of data.
func lineOf(data []byte, n int) string {
	lines := bytes.Split(data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return string(lines[n-1])
}

// onlyProblem returns the one problem err holds.
func onlyProblem(t *testing.T, err error) *Problem {
	t.Helper()
	if err == nil {
		t.Fatal("loaded without an error")
	}
	ps := Problems(err)
	if len(ps) != 1 {
		t.Fatalf("%d problems, want 1:\n%.2000s", len(ps), err)
	}
	return ps[0]
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestAliasBytesBudget: a 1 MiB string aliased 300 or 2,000 times in
// customInfo is refused while it is decoded, at the alias where the file
// passes MaxFileDecodedBytes, with the field's path.
func TestAliasBytesBudget(t *testing.T) {
	for _, n := range []int{300, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := aliasFile(1<<20, n)
			var err error
			alloc := allocated(func() { _, err = LoadBytes("big.yaml", data) })
			p := onlyProblem(t, err)
			if p.File != "big.yaml" || !strings.Contains(lineOf(data, p.Line), ": *s") ||
				!strings.HasPrefix(p.Path, `users[0].customInfo["k`) {
				t.Errorf("problem not at an alias of customInfo: %v (line %d is %q)", p, p.Line, lineOf(data, p.Line))
			}
			if !strings.Contains(p.Msg, "once its aliases are expanded") || !strings.Contains(p.Msg, mib(MaxFileDecodedBytes)) {
				t.Errorf("message: %s", p.Msg)
			}
			// Refused while counting, before the plan copies anything.
			if alloc > 64<<20 {
				t.Errorf("loading allocated %d MiB", alloc>>20)
			}
		})
	}
}

// TestAliasBytesBudgetAcrossFiles: files each within MaxFileDecodedBytes
// that add up to more than MaxTotalDecodedBytes are refused at the file
// that passes it.
func TestAliasBytesBudgetAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := 0; i < 3; i++ {
		data := bytes.Replace(aliasFile(1<<20, 24), []byte("a@corp.com"), []byte(fmt.Sprintf("u%d@corp.com", i)), 1)
		path := filepath.Join(dir, fmt.Sprintf("f%d.yaml", i))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	if _, err := LoadFiles(files[:2]); err != nil {
		t.Fatalf("two files within the budgets: %v", err)
	}
	_, err := LoadFiles(files)
	p := onlyProblem(t, err)
	if p.File != files[2] || p.Line == 0 || !strings.Contains(p.Msg, "together") || !strings.Contains(p.Msg, mib(MaxTotalDecodedBytes)) {
		t.Errorf("problem: %v", p)
	}
}

// TestNodeBudgetBeforeParsing: a file of flow items whose nodes pass
// MaxFileNodes is refused before it is parsed: the loader allocates little
// more than the file.
func TestNodeBudgetBeforeParsing(t *testing.T) {
	for _, item := range []string{"a", "{}"} {
		t.Run(item, func(t *testing.T) {
			data := flowItems(item, MaxFileNodes/2+1000)
			var err error
			alloc := allocated(func() { _, err = LoadBytes("many.yaml", data) })
			p := onlyProblem(t, err)
			if p.File != "many.yaml" || p.Line != 2 || !strings.Contains(p.Msg, "counted before parsing") {
				t.Errorf("problem: %v", p)
			}
			if alloc > 16<<20 {
				t.Errorf("refusing a %d-byte file allocated %d MiB: it was parsed", len(data), alloc>>20)
			}
		})
	}
}

// TestNodeBudgetAcrossFiles: three files each within MaxFileNodes, over
// MaxTotalNodes together, are refused before any is parsed, at the file
// and line where the count passes the budget.
func TestNodeBudgetAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	data := flowItems("a", MaxFileNodes*3/8)
	var files []string
	for i := 0; i < 3; i++ {
		path := filepath.Join(dir, fmt.Sprintf("f%d.yaml", i))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	var err error
	alloc := allocated(func() { _, err = LoadFiles(files) })
	p := onlyProblem(t, err)
	if p.File != files[2] || p.Line != 2 || !strings.Contains(p.Msg, "together") || !strings.Contains(p.Msg, "counted before parsing") {
		t.Errorf("problem: %v", p)
	}
	if limit := uint64(3*len(data) + 16<<20); alloc > limit {
		t.Errorf("refusing 3 files of %d bytes allocated %d MiB: they were parsed", len(data), alloc>>20)
	}
}

// TestNodeBoundBoundsNodes: nodeBound is never below the nodes yaml.v3
// builds, for the shapes that make the most nodes of the fewest
// characters.
func TestNodeBoundBoundsNodes(t *testing.T) {
	for _, src := range []string{
		"a", "[a]", "[a, b, c]", "{a, b, c}", "{a: b, c: d}", "[a: b, c: d]", "[? a, ? b]", "? a\n? b\n",
		"- - - a\n", "a:\n  b:\n    c: d\n", "[[[[]]]]", "{{}: {}}", "[&x a, *x, *x]", "--- a\n", "- [a, {b, c}]\n",
		"x: !!str a\ny: |\n  text, with: marks - and ? signs\n", "k: [a,b,c,d,e,f,g,h,i,j]",
	} {
		n, _ := nodeBound([]byte(src), 1<<30)
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(src), &root); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		nodes := countNodes(&root)
		if n < nodes {
			t.Errorf("%q: bound %d < %d nodes", src, n, nodes)
		}
	}
}

func countNodes(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// TestFileBudgetsLeaveRoomForLargeFiles: a users file in flow style, one
// user a line, of 50,000 users fits the budgets.
func TestFileBudgetsLeaveRoomForLargeFiles(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("version: 1\nusers:\n")
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&b, "  - {uniqueId: u%05d@corp.example, email: u%05d@corp.example, nick: 员工%05d, position: 职员, orgs: [{code: D%d}]}\n", i, i, i, i%800)
	}
	if n, line := nodeBound(b.Bytes(), MaxFileNodes); line != 0 || n*3/2 > MaxFileNodes {
		t.Errorf("50,000 users: bound %d leaves less than half again of %d", n, MaxFileNodes)
	}
	d, err := LoadBytes("users.yaml", b.Bytes())
	if err != nil {
		t.Fatalf("50,000 users: %.1000v", err)
	}
	if len(d.Users) != 50000 {
		t.Errorf("%d users", len(d.Users))
	}
}

// TestTotalBytesBudget: files that add up to more than MaxTotalBytes are
// refused, naming the file that passes it, before it is parsed.
func TestTotalBytesBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 70 MB")
	}
	dir := t.TempDir()
	chunk := bytes.Repeat([]byte("# "+strings.Repeat("x", 97)+"\n"), (MaxFileBytes-(1<<20))/100)
	var files []string
	for i := 0; i*len(chunk) <= MaxTotalBytes; i++ {
		path := filepath.Join(dir, fmt.Sprintf("f%d.yaml", i))
		if err := os.WriteFile(path, append([]byte("version: 1\n"), chunk...), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	_, err := LoadFiles(files)
	p := onlyProblem(t, err)
	if p.File != files[len(files)-1] || !strings.Contains(p.Msg, mib(MaxTotalBytes)) {
		t.Errorf("problem: %v", p)
	}
}

// TestManyProblemsAreCapped: a file of many bad items lists at most
// maxProblems of them and says how many more there are.
func TestManyProblemsAreCapped(t *testing.T) {
	_, err := LoadBytes("bad.yaml", flowItems("a", 5000))
	ps := Problems(err)
	if len(ps) != maxProblems+1 || !strings.Contains(ps[len(ps)-1].Msg, "4000 more problems not listed") {
		t.Errorf("%d problems, last %v", len(ps), ps[len(ps)-1])
	}
}
