package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// FormatVersion is the only version of the format.
const FormatVersion = 1

// Load expands paths (a directory is searched recursively for *.yaml and
// *.yml files, skipping hidden files and folders; a file is taken as
// given), parses every file strictly in sorted order, merges them and
// validates the result. On failure the error is a *multierror.Error holding every
// *Problem found; file names in it are as given in paths.
func Load(paths []string) (*Desired, error) {
	files, err := Expand(paths)
	if err != nil {
		return nil, err
	}
	return LoadFiles(files)
}

// Expand lists the files Load would read, sorted, in the order it reads
// them. It fails when a path cannot be read or no file is found.
func Expand(paths []string) ([]string, error) {
	var ps problems
	if len(paths) == 0 {
		ps.add(&Problem{Msg: "no files given"})
		return nil, ps.err()
	}
	seen := map[string]bool{}
	var files []string
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			ps.add(&Problem{File: root, Msg: "cannot read: " + describeFSError(err)})
			continue
		}
		if !info.IsDir() {
			if !seen[filepath.Clean(root)] {
				seen[filepath.Clean(root)] = true
				files = append(files, root)
			}
			continue
		}
		var found []string
		walkRoot := root
		if li, err := os.Lstat(root); err == nil && li.Mode()&fs.ModeSymlink != 0 {
			// A directory reached through a symlink, as git-sync's
			// worktree link or a mounted volume: walk what it points to
			// (WalkDir does not follow a symlinked root).
			walkRoot = root + string(filepath.Separator)
		}
		err = filepath.WalkDir(walkRoot, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				ps.add(&Problem{File: p, Msg: "cannot read: " + describeFSError(err)})
				if e != nil && e.IsDir() && p != walkRoot {
					return fs.SkipDir
				}
				return nil
			}
			hidden := p != walkRoot && strings.HasPrefix(e.Name(), ".")
			if e.IsDir() {
				if hidden {
					return fs.SkipDir
				}
				return nil
			}
			if hidden || !e.Type().IsRegular() && e.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			if ext := strings.ToLower(filepath.Ext(p)); ext == ".yaml" || ext == ".yml" {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			ps.add(&Problem{File: root, Msg: "cannot read: " + describeFSError(err)})
		}
		sort.Strings(found)
		for _, f := range found {
			if !seen[filepath.Clean(f)] {
				seen[filepath.Clean(f)] = true
				files = append(files, f)
			}
		}
	}
	if len(ps.list) > 0 {
		return nil, ps.err()
	}
	if len(files) == 0 {
		ps.add(&Problem{Msg: "no *.yaml or *.yml files found in " + strings.Join(paths, ", ")})
		return nil, ps.err()
	}
	sort.Strings(files)
	return files, nil
}

func describeFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// LoadFiles reads, merges and validates exactly the files given, in that
// order.
func LoadFiles(files []string) (*Desired, error) {
	inputs := make([]input, 0, len(files))
	var ps problems
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			ps.add(&Problem{File: f, Msg: err.Error()})
			continue
		}
		inputs = append(inputs, input{path: f, data: data})
	}
	if len(ps.list) > 0 {
		return nil, ps.err()
	}
	return load(inputs)
}

// LoadBytes loads one file's content as if read from name.
func LoadBytes(name string, data []byte) (*Desired, error) {
	if len(data) > MaxFileBytes {
		var ps problems
		ps.add(&Problem{File: name, Msg: tooLarge(int64(len(data)))})
		return nil, ps.err()
	}
	return load([]input{{path: name, data: data}})
}

// MaxFileBytes is the largest file the loader reads: far above any
// company's permissions, far below what would exhaust memory while
// parsing. A larger file is refused before it is parsed.
const MaxFileBytes = 16 << 20

func tooLarge(n int64) string {
	return fmt.Sprintf("file too large (%d bytes; the limit is %d MiB): split it into several files", n, MaxFileBytes>>20)
}

// readLimited reads a file of at most MaxFileBytes, refusing a larger one
// without reading it all.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.New("cannot read: " + describeFSError(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileBytes {
		return nil, errors.New(tooLarge(fi.Size()))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, errors.New("cannot read: " + describeFSError(err))
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("file too large (more than %d MiB): split it into several files", MaxFileBytes>>20)
	}
	return data, nil
}

type input struct {
	path string
	data []byte
}

// parsed is one file, decoded.
type parsed struct {
	path string
	doc  *Document // nil when the file holds no document
	// lines maps the file's field paths to their lines.
	lines map[string]int
}

func load(inputs []input) (*Desired, error) {
	var ps problems
	var docs []parsed
	files := make([]File, 0, len(inputs))
	for _, in := range inputs {
		sum := sha256.Sum256(in.data)
		files = append(files, File{Path: in.path, SHA256: hex.EncodeToString(sum[:])})
		docs = append(docs, parseFile(in.path, in.data, &ps))
	}
	empty := true
	for _, p := range docs {
		if p.doc != nil {
			empty = false
		}
	}
	if empty && len(ps.list) == 0 {
		if len(inputs) == 1 {
			ps.add(&Problem{File: inputs[0].path, Msg: "empty input: the file has no content"})
		} else {
			ps.add(&Problem{Msg: fmt.Sprintf("empty input: none of the %d files has content", len(inputs))})
		}
		return nil, ps.err()
	}
	d := merge(docs, &ps)
	d.Files = files
	lines := map[string]map[string]int{}
	for _, p := range docs {
		lines[p.path] = p.lines
	}
	validate(d, lines, &ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return d, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFile parses one file into a Document, reporting problems.
func parseFile(path string, data []byte, ps *problems) (out parsed) {
	out = parsed{path: path, lines: map[string]int{}}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		ps.add(&Problem{File: path, Line: 1, Msg: "the file is UTF-16 text: save it as UTF-8"})
		return out
	}
	if !utf8.Valid(data) {
		at := 0
		for rest := data; len(rest) > 0; {
			r, size := utf8.DecodeRune(rest)
			if r == utf8.RuneError && size <= 1 {
				break
			}
			rest, at = rest[size:], at+size
		}
		ps.add(&Problem{File: path, Line: bytes.Count(data[:at], []byte("\n")) + 1,
			Msg: fmt.Sprintf("not UTF-8 text (byte 0x%02x): save the file as UTF-8", data[at])})
		return out
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := safeDecode(dec, &root); err != nil {
		if errors.Is(err, io.EOF) {
			return out
		}
		ps.add(withHint(yamlProblem(path, err), data))
		return out
	}
	d := &decoder{file: path, probs: ps, lines: out.lines}
	d.secrets(&root, "")
	var extra yaml.Node
	if err := safeDecode(dec, &extra); err == nil {
		ps.add(&Problem{File: path, Line: extra.Line, Msg: "more than one YAML document; put each in a file of its own"})
		return out
	} else if !errors.Is(err, io.EOF) {
		ps.add(yamlProblem(path, err))
		return out
	}
	n := &root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return out
		}
		n = n.Content[0]
	}
	if isNull(n) {
		return out
	}
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, "", "expected a mapping at the top of the file, got %s", kindName(n))
		return out
	}
	doc := &Document{}
	d.value(n, reflect.ValueOf(doc).Elem(), "", false)
	out.doc = doc
	v, ok := findKey(n, "version")
	for ok && v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch {
	case !ok || isNull(v):
		d.problem(n.Line, "version", "missing; start the file with \"version: %d\"", FormatVersion)
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" && doc.Version != FormatVersion:
		d.problem(out.lines["version"], "version", "unsupported version %s (this permsync reads version %d)", v.Value, FormatVersion)
	}
	return out
}

func findKey(m *yaml.Node, key string) (*yaml.Node, bool) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], true
		}
	}
	return nil, false
}

// safeDecode runs the YAML parser, turning a panic inside it into an error.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse this file (%v)", r)
		}
	}()
	return dec.Decode(n)
}

// withHint adds what a person most likely got wrong to the parser's
// words: a tab where YAML wants spaces.
func withHint(p *Problem, data []byte) *Problem {
	if p.Line <= 0 {
		return p
	}
	lines := bytes.Split(data, []byte("\n"))
	for _, n := range []int{p.Line - 1, p.Line - 2} {
		if n >= 0 && n < len(lines) && bytes.ContainsRune(lines[n], '\t') {
			p.Line = n + 1
			p.Msg += " (a tab: YAML indents with spaces only)"
			return p
		}
	}
	return p
}

func yamlProblem(path string, err error) *Problem {
	msg := err.Error()
	// yaml.v3 wraps some messages in a TypeError; keep the first line.
	msg, _, _ = strings.Cut(msg, "\n")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Problem{File: path, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &Problem{File: path, Msg: "invalid YAML: " + msg}
}

// merge joins the documents into one desired state. Settings and
// orgs.company may be set once; lists are concatenated in file order.
func merge(docs []parsed, ps *problems) *Desired {
	d := &Desired{}
	var settingsAt *Source
	var companyAt *Source
	for _, p := range docs {
		doc := p.doc
		if doc == nil {
			continue
		}
		if doc.Settings != nil {
			if settingsAt != nil {
				ps.add(&Problem{File: doc.Settings.Src.File, Line: doc.Settings.Src.Line, Path: "settings",
					Msg: fmt.Sprintf("settings are given twice (first at %s:%d); keep them in one file", settingsAt.File, settingsAt.Line)})
			} else {
				d.Settings = *doc.Settings
				settingsAt = &doc.Settings.Src
			}
		}
		if o := doc.Orgs; o != nil {
			if d.Orgs == nil {
				d.Orgs = &Orgs{Src: o.Src}
			}
			if o.Company != "" {
				line := p.lines["orgs.company"]
				if companyAt != nil {
					ps.add(&Problem{File: o.Src.File, Line: line, Path: "orgs.company",
						Msg: fmt.Sprintf("company is given twice (first at %s:%d)", companyAt.File, companyAt.Line)})
				} else {
					d.Orgs.Company = o.Company
					companyAt = &Source{File: o.Src.File, Line: line}
				}
			}
			d.Orgs.Departments = appendKeep(d.Orgs.Departments, o.Departments)
		}
		d.Users = appendKeep(d.Users, doc.Users)
		d.SystemRoles = appendKeep(d.SystemRoles, doc.SystemRoles)
		d.Projects = appendKeep(d.Projects, doc.Projects)
	}
	return d
}

// appendKeep appends b to a, keeping the result non-nil when either is.
func appendKeep[T any](a, b []T) []T {
	if a == nil && b != nil {
		a = make([]T, 0, len(b))
	}
	return append(a, b...)
}
