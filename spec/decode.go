package spec

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// secretKeys are keys that must never appear in the files, at any depth,
// compared case-insensitively.
var secretKeys = map[string]bool{
	"token":    true,
	"tokenkey": true,
	"password": true,
	"passwd":   true,
	"secret":   true,
	// Quick BI's credentials: the AccessKey secret and an STS token.
	"accesskeysecret": true,
	"securitytoken":   true,
}

// secretMsg says where secrets belong. It never includes the value.
const secretMsg = "secrets do not belong in the YAML: give the API token in PERMSYNC_TOKEN " +
	"(or a token key in PERMSYNC_TOKEN_KEY, or PERMSYNC_EMAIL and PERMSYNC_PASSWORD) " +
	"in the environment or read it from a file"

// quickBISecretMsg says where Quick BI's secrets belong, for files that
// say provider: quickbi.
const quickBISecretMsg = "secrets do not belong in the YAML: give the AccessKey in PERMSYNC_ACCESS_KEY_ID and PERMSYNC_ACCESS_KEY_SECRET " +
	"(and an STS token in PERMSYNC_SECURITY_TOKEN) in the environment, or read them from files named by the same variables with _FILE"

var (
	typeSource     = reflect.TypeOf(Source{})
	typeMaxDeletes = reflect.TypeOf(MaxDeletes{})
	typeDetail     = reflect.TypeOf(Detail{})
)

// nullItemMsg is the problem of a list item written as null (~).
const nullItemMsg = "empty list item (null): remove it, or write what it stands for"

// shared is what the decoders of the files of one load share: their
// counts against the budgets of all files together.
type shared struct {
	aliasValues int
	bytes       int64
	// over is set once a budget is spent; decoding stops.
	over bool
}

// decoder decodes a yaml.v3 node tree into the spec types, strictly, and
// records the line of every field path it meets.
type decoder struct {
	file  string
	probs *problems
	// lines maps a field path of this file to the line it is written on.
	lines map[string]int
	// aliasValues counts the values decoded through aliases, bytes the
	// bytes of every key and value, aliases expanded.
	aliasValues int
	bytes       int64
	shared      *shared
	// aliases are the alias nodes being expanded, to stop cycles.
	aliases []*yaml.Node
	// secretMsg is what a secret key is told: secretMsg, or
	// quickBISecretMsg in a Quick BI file.
	secretMsg string
}

func (d *decoder) problem(line int, path, format string, args ...any) {
	d.probs.add(&Problem{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) mark(path string, line int) {
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = line
	}
}

// spend counts a value (values: 1) or a key (0) of size bytes about to be
// decoded at n against the budgets. It returns false once one is spent,
// after reporting it (once).
func (d *decoder) spend(n *yaml.Node, path string, values int, size int64) bool {
	if d.shared.over {
		return false
	}
	if len(d.aliases) == 0 {
		values = 0 // counted before parsing, by nodeBound
	}
	d.aliasValues += values
	d.shared.aliasValues += values
	d.bytes += size
	d.shared.bytes += size
	if msg := d.spent(0); msg != "" {
		d.refuse(n, path, msg)
		return false
	}
	return true
}

// spent says which budget is spent once values more are decoded through
// aliases, or "".
func (d *decoder) spent(values int) string {
	switch {
	case d.aliasValues+values > MaxFileAliasValues:
		return fmt.Sprintf("file too large once its aliases are expanded: they add more than %d values", MaxFileAliasValues)
	case d.shared.aliasValues+values > MaxTotalAliasValues:
		return fmt.Sprintf("files too large together once their aliases are expanded: they add more than %d values", MaxTotalAliasValues)
	case d.bytes > MaxFileDecodedBytes:
		return fmt.Sprintf("file too large once its aliases are expanded: its keys and values add up to more than %s", mib(MaxFileDecodedBytes))
	case d.shared.bytes > MaxTotalDecodedBytes:
		return fmt.Sprintf("files too large together once their aliases are expanded: their keys and values add up to more than %s", mib(MaxTotalDecodedBytes))
	}
	return ""
}

// refuse reports a spent budget at the alias being expanded (the
// outermost one), else at n, and stops decoding.
func (d *decoder) refuse(n *yaml.Node, path, msg string) {
	d.shared.over = true
	line := n.Line
	if len(d.aliases) > 0 {
		a := d.aliases[0]
		line = a.Line
		msg += fmt.Sprintf(" (the alias *%s on this line repeats what &%s names each time it is written)", a.Value, a.Value)
	}
	d.problem(line, path, "%s: write the values out, use fewer aliases, or split the file", msg)
}

// enter follows an alias and counts the node against the budgets. It
// returns false (after reporting) when a budget is spent or an alias
// refers to a node that contains it. Call leave when done with the node.
func (d *decoder) enter(n *yaml.Node, path string) (_ *yaml.Node, leave func(), ok bool) {
	leave = func() {}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.problem(n.Line, path, "unknown alias")
			return nil, leave, false
		}
		for _, a := range d.aliases {
			if a == n {
				d.problem(n.Line, path, "alias *%s refers to a value that contains it", n.Value)
				return nil, leave, false
			}
		}
		d.aliases = append(d.aliases, n)
		leave = func() { d.aliases = d.aliases[:len(d.aliases)-1] }
		n = n.Alias
	}
	size := int64(0)
	if n.Kind == yaml.ScalarNode {
		size = int64(len(n.Value))
	}
	if !d.spend(n, path, 1, size) {
		return nil, leave, false
	}
	return n, leave, true
}

// resolve follows an alias without counting it, for second looks at a node
// already decoded.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName names what a node holds, for messages. It never includes the
// value.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a date"
	case "!!binary":
		return "binary data"
	}
	return "a value tagged " + n.Tag
}

func fieldPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func indexPath(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// keyPath is the path of a map entry: parent["key"].
func keyPath(parent, key string) string { return parent + "[" + strconv.Quote(key) + "]" }

// jsonName returns the json name of a struct field and whether it is
// decoded (false for "-" and unexported fields).
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, true
}

type fieldsOf struct {
	names []string
	index map[string][]int
}

// fieldCache holds structFields by type.
var fieldCache sync.Map

// structFields lists the decoded fields of a struct type, embedded structs
// inlined, as json names and index paths. The result is shared: do not
// change it.
func structFields(t reflect.Type) (names []string, index map[string][]int) {
	if f, ok := fieldCache.Load(t); ok {
		return f.(fieldsOf).names, f.(fieldsOf).index
	}
	names, index = listFields(t)
	fieldCache.Store(t, fieldsOf{names, index})
	return names, index
}

func listFields(t reflect.Type) (names []string, index map[string][]int) {
	index = map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(append([]int(nil), prefix...), i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
				walk(f.Type, idx)
				continue
			}
			name, ok := jsonName(f)
			if !ok {
				continue
			}
			names = append(names, name)
			index[name] = idx
		}
	}
	walk(t, nil)
	return names, index
}

// checkKey reports a key that is not a plain string or that names a
// secret. It returns the key and whether decoding may go on with it.
func (d *decoder) checkKey(k *yaml.Node, path string) (string, bool) {
	if k.Kind == yaml.AliasNode {
		d.problem(k.Line, path, "an alias cannot be a key")
		return "", false
	}
	if k.Kind != yaml.ScalarNode {
		d.problem(k.Line, path, "a key must be a string, not %s", kindName(k))
		return "", false
	}
	if k.ShortTag() == "!!merge" {
		d.problem(k.Line, path, "merge keys (<<) are not supported; write the fields out")
		return "", false
	}
	key := k.Value
	if !d.spend(k, path, 0, int64(len(key))) {
		return "", false
	}
	if isSecretKey(k) {
		return "", false // reported by secrets
	}
	return key, true
}

func isSecretKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && secretKeys[strings.ToLower(strings.TrimSpace(k.Value))]
}

// secrets reports every key under n that names a secret, wherever it is
// written: also inside unknown fields, values of the wrong type and keys
// the decoder refuses. It does not follow aliases; what an alias refers to
// is reached where it is written.
func (d *decoder) secrets(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = indexPath(path, i)
			}
			d.secrets(c, p)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := fieldPath(path, k.Value)
			if isSecretKey(k) {
				d.problem(k.Line, p, "%s", cmp.Or(d.secretMsg, secretMsg))
			}
			d.secrets(k, path)
			d.secrets(val, p)
		}
	}
}

// value decodes n into v (settable). verbatim turns off trimming of
// strings (descriptions, the API's own detail objects, attribute values).
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, verbatim bool) {
	n, leave, ok := d.enter(n, path)
	defer leave()
	if !ok || isNull(n) {
		return
	}
	t := v.Type()
	switch {
	case t == typeMaxDeletes:
		d.maxDeletes(n, v, path)
		return
	case t == typeDetail:
		verbatim = true
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		d.value(n, p.Elem(), path, verbatim)
		v.Set(p)
	case reflect.Struct:
		d.structValue(n, v, path, verbatim)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.problem(n.Line, path, "expected a list, got %s", kindName(n))
			return
		}
		// Through an alias, refuse a list larger than what is left of the
		// budget before making room for it.
		if len(d.aliases) > 0 {
			if msg := d.spent(len(n.Content)); msg != "" {
				d.refuse(n, path, msg)
				return
			}
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		var src reflect.StructField
		hasSrc := false
		if t.Elem().Kind() == reflect.Struct {
			src, hasSrc = t.Elem().FieldByName("Src")
			hasSrc = hasSrc && src.Type == typeSource
		}
		for i, c := range n.Content {
			p := indexPath(path, i)
			d.mark(p, c.Line)
			if hasSrc {
				// Where the item is written, set before it is decoded:
				// an item that is null or not a mapping gets no Src
				// otherwise, and the checks after decoding could name
				// no place for it.
				s.Index(i).FieldByIndex(src.Index).Set(reflect.ValueOf(Source{File: d.file, Line: c.Line, Path: p}))
			}
			if isNull(resolve(c)) {
				d.problem(c.Line, p, "%s", nullItemMsg)
				continue
			}
			d.value(c, s.Index(i), p, verbatim)
		}
		v.Set(s)
	case reflect.Map:
		d.mapValue(n, v, path, verbatim)
	case reflect.Interface:
		if x, ok := d.anyNode(n, path); ok {
			if x == nil {
				return
			}
			v.Set(reflect.ValueOf(x))
		}
	case reflect.String:
		if msg := stringProblem(n); msg != "" {
			d.problem(n.Line, path, "%s", msg)
			return
		}
		s := n.Value
		if !verbatim {
			s = strings.TrimSpace(s)
		}
		v.SetString(s)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.problem(n.Line, path, "expected true or false, got %s", kindName(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.problem(n.Line, path, "expected a whole number, got %s", kindName(n))
			return
		}
		if err := n.Decode(&i); err != nil || v.OverflowInt(i) {
			d.problem(n.Line, path, "number out of range")
			return
		}
		v.SetInt(i)
	default:
		d.problem(n.Line, path, "cannot decode into %s", t)
	}
}

// stringProblem says why n is not a string, or returns "" when it is one.
func stringProblem(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return "expected a string, got " + kindName(n)
	}
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return ""
	case "!!int", "!!float", "!!bool":
		return "expected a string, got " + kindName(n) + " (put it in quotes)"
	}
	return "expected a string, got " + kindName(n)
}

func (d *decoder) structValue(n *yaml.Node, v reflect.Value, path string, verbatim bool) {
	t := v.Type()
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "expected a mapping, got %s", kindName(n))
		return
	}
	names, index := structFields(t)
	if f, ok := t.FieldByName("Src"); ok && f.Type == typeSource {
		line := n.Line
		if l, ok := d.lines[path]; ok {
			line = l
		}
		v.FieldByIndex(f.Index).Set(reflect.ValueOf(Source{File: d.file, Line: line, Path: path}))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key, ok := d.checkKey(k, path)
		if !ok {
			continue
		}
		p := fieldPath(path, key)
		if first, dup := seen[key]; dup {
			d.problem(k.Line, p, "duplicate key %q (first at line %d)", key, first)
			continue
		}
		seen[key] = k.Line
		idx, ok := index[key]
		if !ok {
			msg := fmt.Sprintf("unknown field %q", key)
			if s := suggest(key, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.problem(k.Line, p, "%s", msg)
			continue
		}
		d.mark(p, k.Line)
		fv := v.FieldByIndex(idx)
		d.value(val, fv, p, verbatim || key == "description")
		if key == "folder" && fv.Kind() == reflect.String && fv.String() == "" {
			if r := resolve(val); r.Kind == yaml.ScalarNode && r.ShortTag() == "!!str" {
				d.problem(k.Line, p, "folder must be a name when given (leave it out for the root)")
			}
		}
	}
}

func (d *decoder) mapValue(n *yaml.Node, v reflect.Value, path string, verbatim bool) {
	t := v.Type()
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "expected a mapping, got %s", kindName(n))
		return
	}
	if t.Key().Kind() != reflect.String {
		d.problem(n.Line, path, "cannot decode into %s", t)
		return
	}
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	seen := map[string]int{}
	// Attribute values and customInfo are data, kept as written.
	elemVerbatim := verbatim || t.Elem().Kind() != reflect.String
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key, ok := d.checkKey(k, path)
		if !ok {
			continue
		}
		if k.ShortTag() != "!!str" && k.ShortTag() != "!!int" {
			d.problem(k.Line, path, "a key must be a string, not %s", kindName(k))
			continue
		}
		if !verbatim {
			key = strings.TrimSpace(key)
		}
		p := keyPath(path, key)
		if first, dup := seen[key]; dup {
			d.problem(k.Line, p, "duplicate key %q (first at line %d)", key, first)
			continue
		}
		seen[key] = k.Line
		d.mark(p, k.Line)
		ev := reflect.New(t.Elem()).Elem()
		d.value(val, ev, p, elemVerbatim)
		m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), ev)
	}
	v.Set(m)
}

// anyValue decodes free-form data (customInfo): strings, numbers, booleans,
// lists and mappings with string keys.
func (d *decoder) anyValue(n *yaml.Node, path string) (any, bool) {
	n, leave, ok := d.enter(n, path)
	defer leave()
	if !ok {
		return nil, false
	}
	return d.anyNode(n, path)
}

// anyNode decodes a node already entered as free-form data.
func (d *decoder) anyNode(n *yaml.Node, path string) (any, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, true
		case "!!str", "!!timestamp":
			return n.Value, true
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b, true
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i, true
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, true
			}
		}
		d.problem(n.Line, path, "unsupported value: %s", kindName(n))
		return nil, false
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			// No line is recorded inside free-form data: nothing
			// checks it after decoding.
			p := indexPath(path, i)
			x, ok := d.anyValue(c, p)
			if !ok {
				return nil, false
			}
			out = append(out, x)
		}
		return out, true
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		seen := map[string]int{}
		good := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key, ok := d.checkKey(k, path)
			if !ok {
				good = false
				continue
			}
			p := keyPath(path, key)
			if first, dup := seen[key]; dup {
				d.problem(k.Line, p, "duplicate key %q (first at line %d)", key, first)
				good = false
				continue
			}
			seen[key] = k.Line
			x, ok := d.anyValue(val, p)
			if !ok {
				good = false
				continue
			}
			out[key] = x
		}
		return out, good
	}
	d.problem(n.Line, path, "unsupported value: %s", kindName(n))
	return nil, false
}

// maxDeletes decodes 10, "10" (a count) or 10%, "10%" (a share).
func (d *decoder) maxDeletes(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.problem(n.Line, path, "expected a count (10) or a share (10%%), got %s", kindName(n))
		return
	}
	tag := n.ShortTag()
	if tag != "!!int" && tag != "!!str" && tag != "!!float" {
		d.problem(n.Line, path, "expected a count (10) or a share (10%%), got %s", kindName(n))
		return
	}
	m, err := ParseMaxDeletes(n.Value)
	if err != nil {
		d.problem(n.Line, path, "%v", err)
		return
	}
	v.Set(reflect.ValueOf(m))
}

// suggest returns the name closest to key when it is close enough.
func suggest(key string, names []string) string {
	best, bestD := "", 3
	lk := strings.ToLower(key)
	for _, n := range names {
		if strings.ToLower(n) == lk {
			return n
		}
		if dist := levenshtein(lk, strings.ToLower(n)); dist < bestD {
			best, bestD = n, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 64
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
