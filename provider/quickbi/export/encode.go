package export

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/permsync/permsync/spec"
)

// flowWidth is the longest line part a flow collection may take; longer
// ones are written in block style.
const flowWidth = 72

// flowTypes are the spec types written as one-line mappings when they
// fit, as the examples write them: {user: alice, roles: [viewer]}.
var flowTypes = map[reflect.Type]bool{
	reflect.TypeOf(spec.QuickBITag{}):    true,
	reflect.TypeOf(spec.QuickBIUser{}):   true,
	reflect.TypeOf(spec.QuickBIGroup{}):  true,
	reflect.TypeOf(spec.QuickBIMember{}): true,
	reflect.TypeOf(spec.QuickBIPeople{}): true,
}

var sourceType = reflect.TypeOf(spec.Source{})

// toNode converts a value of the spec types (or maps, slices and
// scalars) into a YAML node. Struct fields come in declaration order under
// their JSON names. Presence is kept: a nil slice, map or pointer is left
// out, an empty one is written ([] or {}); empty scalars of omitempty
// fields are left out. It returns nil for a value that is left out.
func toNode(v any) *yaml.Node { return valueNode(reflect.ValueOf(v)) }

func valueNode(v reflect.Value) *yaml.Node {
	if !v.IsValid() {
		return nil
	}
	if n, ok := v.Interface().(json.Number); ok {
		tag := "!!int"
		if strings.ContainsAny(n.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: n.String()}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return valueNode(v.Elem())
	case reflect.Struct:
		m := &yaml.Node{Kind: yaml.MappingNode}
		addFields(m, v)
		if flowTypes[v.Type()] && fitsFlow(m) {
			m.Style = yaml.FlowStyle
		}
		return m
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		s := &yaml.Node{Kind: yaml.SequenceNode}
		for i := 0; i < v.Len(); i++ {
			c := valueNode(v.Index(i))
			if c == nil {
				c = nullNode()
			}
			s.Content = append(s.Content, c)
		}
		if fitsFlow(s) {
			s.Style = yaml.FlowStyle
		}
		return s
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		keys := make([]string, 0, v.Len())
		byKey := map[string]reflect.Value{}
		for _, k := range v.MapKeys() {
			ks := fmt.Sprint(k.Interface())
			keys = append(keys, ks)
			byKey[ks] = k
		}
		sort.Strings(keys)
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			c := valueNode(v.MapIndex(byKey[k]))
			if c == nil {
				c = nullNode()
			}
			m.Content = append(m.Content, strNode(k), c)
		}
		if fitsFlow(m) {
			m.Style = yaml.FlowStyle
		}
		return m
	case reflect.String:
		return strNode(v.String())
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Float32, reflect.Float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v.Float(), 'g', -1, 64)}
	}
	return strNode(fmt.Sprint(v.Interface()))
}

func nullNode() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }

// addFields appends the fields of struct v to the mapping m.
func addFields(m *yaml.Node, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Type == sourceType {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if strings.Contains(opts, "omitempty") && emptyScalar(fv) {
			continue
		}
		c := valueNode(fv)
		if c == nil {
			continue
		}
		m.Content = append(m.Content, strNode(name), c)
	}
}

// emptyScalar reports a zero string, number or bool (omitempty leaves
// them out); collections and pointers are judged by presence instead.
func emptyScalar(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	}
	return false
}

// strNode is a string scalar; the encoder quotes it where YAML would read
// it as something else ("191476...", "true", "").
func strNode(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}

// fitsFlow reports whether a collection holds only scalars (or, for a
// mapping, scalars and flow collections) without comments and is short
// enough for one line.
func fitsFlow(n *yaml.Node) bool {
	width := 2
	for i, c := range n.Content {
		if c.HeadComment != "" || c.LineComment != "" || c.FootComment != "" {
			return false
		}
		switch {
		case c.Kind == yaml.ScalarNode:
			if strings.ContainsAny(c.Value, "\n\r") {
				return false
			}
			width += displayWidth(c.Value) + 2
		case (c.Kind == yaml.SequenceNode || c.Kind == yaml.MappingNode) && n.Kind == yaml.MappingNode && i%2 == 1 && c.Style == yaml.FlowStyle:
			for _, cc := range c.Content {
				if cc.Kind != yaml.ScalarNode {
					return false
				}
				width += displayWidth(cc.Value) + 2
			}
			width += 2
		default:
			return false
		}
		if width > flowWidth {
			return false
		}
	}
	return true
}

// displayWidth counts wide (CJK) characters twice.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 && utf8.RuneLen(r) >= 3 {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// maxNameBytes keeps file names well under the 255-byte limit of common
// file systems, with room for a suffix and the extension.
const maxNameBytes = 180

// windowsReserved are device names Windows refuses as file names.
var windowsReserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// SafeName turns a workspace name into a file name stem valid on Linux,
// macOS and Windows: separators, characters Windows forbids and control
// characters become "_", whitespace runs one "-", leading dots go (the
// loader skips hidden files), and the result is cut to a safe length.
// Chinese and other letters are kept. An empty result is "workspace".
func SafeName(name string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(name) {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`/\:*?"<>|`, r):
			r = '_'
		}
		if space {
			b.WriteByte('-')
			space = false
		}
		b.WriteRune(r)
	}
	s := strings.TrimLeft(b.String(), ".")
	for len(s) > maxNameBytes {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	s = strings.TrimRight(s, ". ")
	if s == "" {
		return "workspace"
	}
	stem, _, _ := strings.Cut(s, ".")
	if windowsReserved[strings.ToUpper(stem)] {
		s = "_" + s
	}
	return s
}

// uniqueStems gives each workspace a distinct file name stem: SafeName,
// and where two collide (also in letter case only) the workspace id is
// appended to all of them.
func uniqueStems(names, ids []string) []string {
	stems := make([]string, len(names))
	count := map[string]int{}
	for i, n := range names {
		stems[i] = SafeName(n)
		count[strings.ToLower(stems[i])]++
	}
	for i := range stems {
		if count[strings.ToLower(stems[i])] > 1 {
			stems[i] += "-" + ids[i]
		}
	}
	return stems
}
