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
			if hidden {
				return nil
			}
			// A named pipe, a device or a socket named *.yaml is listed
			// too, and refused when read: skipping it would silently drop
			// part of the desired state.
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
	total := int64(0)
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			ps.add(&Problem{File: f, Msg: err.Error()})
			continue
		}
		total += int64(len(data))
		if total > MaxTotalBytes {
			// Stop reading: what is read is held in memory.
			ps.add(&Problem{File: f, Msg: fmt.Sprintf("files too large together: they add up to more than %s (%d bytes with this one): "+
				"give fewer files, or smaller ones", mib(MaxTotalBytes), total)})
			break
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

// readLimited reads a regular file of at most MaxFileBytes, refusing a
// larger one without reading it all. It never blocks on what is not a
// regular file (a named pipe, a device, a socket, /dev/stdin): it opens
// without waiting and refuses anything but a regular file, through a
// symlink or not, before it reads.
func readLimited(path string) ([]byte, error) {
	f, err := openFile(path)
	if err != nil {
		if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
			return nil, notRegular(path, fi.Mode())
		}
		return nil, errors.New("cannot read: " + describeFSError(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, errors.New("cannot read: " + describeFSError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	if fi.Size() > MaxFileBytes {
		return nil, errors.New(tooLarge(fi.Size()))
	}
	// Room for the whole file at once: a buffer that grows by doubling
	// would cost twice the file.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileBytes+1)); err != nil {
		return nil, errors.New("cannot read: " + describeFSError(err))
	}
	data := buf.Bytes()
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("file too large (more than %s): split it into several files", mib(MaxFileBytes))
	}
	return data, nil
}

// notRegular says what path is instead of a regular file, and through
// which symlink.
func notRegular(path string, m fs.FileMode) error {
	var what string
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	default:
		what = "a special file"
	}
	via := ""
	if li, err := os.Lstat(path); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if target, err := os.Readlink(path); err == nil {
			via = fmt.Sprintf(" (a symlink to %s)", target)
		}
	}
	return fmt.Errorf("cannot read: the path%s is %s, not a regular file: permsync reads only regular files (or symlinks to them)", via, what)
}

type input struct {
	path string
	data []byte
}

// parsed is one file, decoded.
type parsed struct {
	path string
	// doc is in the format of the file's provider; nil when the file
	// holds no document or names no provider permsync knows.
	doc document
	// provider is the provider the file targets; providerLine the line
	// that names it, 0 when the file names none (DefaultProvider).
	provider     string
	providerLine int
	// top is the line of the file's top mapping.
	top int
	// lines maps the file's field paths to their lines.
	lines map[string]int
}

func load(inputs []input) (*Desired, error) {
	var ps problems
	checkNodes(inputs, &ps)
	if len(ps.list) > 0 {
		return nil, ps.err()
	}
	var docs []parsed
	files := make([]File, 0, len(inputs))
	shared := &shared{}
	for _, in := range inputs {
		sum := sha256.Sum256(in.data)
		files = append(files, File{Path: in.path, SHA256: hex.EncodeToString(sum[:])})
		docs = append(docs, parseFile(in.path, in.data, &ps, shared))
		if shared.over || ps.dropped > 0 {
			// A budget is spent, or the problems are more than are
			// listed: what is decoded is partial, and checking it would
			// only add noise.
			return nil, ps.err()
		}
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
	var ws problems
	validate(d, lines, &ps, &ws)
	if err := ps.err(); err != nil {
		return nil, err
	}
	d.Warnings = ws.sorted()
	return d, nil
}

// checkNodes refuses, before anything is parsed, a file whose nodes could
// pass MaxFileNodes and files whose nodes together could pass
// MaxTotalNodes (see nodeBound).
func checkNodes(inputs []input, ps *problems) {
	total := 0
	for _, in := range inputs {
		n, line := nodeBound(in.data, MaxFileNodes)
		if line > 0 {
			ps.add(&Problem{File: in.path, Line: line, Msg: fmt.Sprintf("file too large: it holds more than %d keys and values "+
				"(counted before parsing; the count passes the limit on this line): split it into several files", MaxFileNodes)})
			continue
		}
		if total <= MaxTotalNodes && total+n > MaxTotalNodes {
			_, line := nodeBound(in.data, MaxTotalNodes-total)
			ps.add(&Problem{File: in.path, Line: line, Msg: fmt.Sprintf("files too large together: they hold more than %d keys and values "+
				"(counted before parsing; the count passes the limit on this line of this file): give fewer files, or smaller ones", MaxTotalNodes)})
		}
		total += n
	}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFile parses one file into a Document, reporting problems.
func parseFile(path string, data []byte, ps *problems, sh *shared) (out parsed) {
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
	if p := unprintable(path, data); p != nil {
		ps.add(p)
		return out
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := safeDecode(dec, &root); err != nil {
		if errors.Is(err, io.EOF) {
			return out
		}
		ps.add(withHint(yamlProblem(path, err, data), data))
		return out
	}
	d := &decoder{file: path, probs: ps, lines: out.lines, shared: sh, secretMsg: secretMsgFor(&root)}
	d.secrets(&root, "")
	var extra yaml.Node
	if err := safeDecode(dec, &extra); err == nil {
		ps.add(&Problem{File: path, Line: extra.Line, Msg: "more than one YAML document; put each in a file of its own"})
		return out
	} else if !errors.Is(err, io.EOF) {
		ps.add(yamlProblem(path, err, data))
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
	f, ok := d.provider(n, &out)
	if !ok {
		// The rest of the file is in a format not known.
		return out
	}
	doc := f.document()
	d.value(n, reflect.ValueOf(doc).Elem(), "", false)
	out.doc = doc
	v, ok := findKey(n, "version")
	for ok && v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch {
	case !ok || isNull(v):
		d.problem(n.Line, "version", "missing; start the file with \"version: %d\"", FormatVersion)
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" && doc.formatVersion() != FormatVersion:
		d.problem(out.lines["version"], "version", "unsupported version %s (this permsync reads version %d)", v.Value, FormatVersion)
	}
	return out
}

// secretMsgFor is the message for secrets in the file whose root is
// root: Quick BI's when its top mapping says provider: quickbi.
func secretMsgFor(root *yaml.Node) string {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.MappingNode {
		if v, ok := findKey(n, "provider"); ok {
			if v = resolve(v); v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) == QuickBIProvider {
				return quickBISecretMsg
			}
		}
	}
	return secretMsg
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

func yamlProblem(path string, err error, data []byte) *Problem {
	msg := err.Error()
	// yaml.v3 wraps some messages in a TypeError; keep the first line.
	msg, _, _ = strings.Cut(msg, "\n")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Problem{File: path, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		return &Problem{File: path, Line: aliasLine(data, m[1]),
			Msg: fmt.Sprintf("invalid YAML: unknown anchor %q: the alias *%s refers to no &%s written before it", m[1], m[1], m[1])}
	}
	return &Problem{File: path, Msg: "invalid YAML: " + msg}
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '([0-9A-Za-z_-]+)' referenced$`)

// aliasLine finds the line of the first alias *name in data: a "*" that
// starts a token, followed by the name and a character that ends it. It
// returns 0 when it finds none outside what looks like a comment.
func aliasLine(data []byte, name string) int {
	line := 1
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\n':
			line++
			continue
		case '*':
		default:
			continue
		}
		if i > 0 && !bytes.ContainsRune([]byte(" \t\n[{,:-?"), rune(data[i-1])) {
			continue
		}
		rest := data[i+1:]
		if !bytes.HasPrefix(rest, []byte(name)) || len(rest) > len(name) && isAnchorChar(rest[len(name)]) {
			continue
		}
		start := bytes.LastIndexByte(data[:i], '\n') + 1
		if before := data[start:i]; bytes.HasPrefix(bytes.TrimLeft(before, " \t"), []byte("#")) || bytes.Contains(before, []byte(" #")) {
			continue
		}
		return line
	}
	return 0
}

func isAnchorChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '-'
}

// unprintable reports the first character the YAML reader refuses (it
// names neither line nor column): C0 controls but tab, line feed and
// carriage return, DEL, C1 controls but NEL, surrogates and U+FFFE/U+FFFF.
func unprintable(path string, data []byte) *Problem {
	line, col := 1, 1
	for _, r := range string(data) {
		switch {
		case r == '\n':
			line, col = line+1, 1
			continue
		case r == '\t', r == '\r', r >= 0x20 && r <= 0x7e, r == 0x85,
			r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
			col++
			continue
		}
		return &Problem{File: path, Line: line, Msg: fmt.Sprintf("invalid YAML: %s at column %d: control characters are not allowed; remove it", runeName(r), col)}
	}
	return nil
}

// merge joins the documents into one desired state. Settings and
// orgs.company may be set once; lists are concatenated in file order.
// Quick BI documents go into d.QuickBI, by the same rules.
func merge(docs []parsed, ps *problems) *Desired {
	d := &Desired{}
	mergeProvider(d, docs, ps)
	var settingsAt *Source
	var companyAt *Source
	var qbSettingsAt *Source
	for _, p := range docs {
		if qb, ok := p.doc.(*QuickBIDocument); ok {
			mergeQuickBI(d, qb, &qbSettingsAt, ps)
			continue
		}
		doc, _ := p.doc.(*Document)
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
		d.Embeds = appendKeep(d.Embeds, doc.Embeds)
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
