package export

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/permsync/permsync/spec"
)

// flowWidth is the longest line part a flow collection may take; longer
// ones are written in block style.
const flowWidth = 72

// flowTypes are the spec types written as one-line mappings when they fit,
// as the examples write them: {user: alice, systemRoles: [admin]}.
var flowTypes = map[reflect.Type]bool{
	reflect.TypeOf(spec.Member{}):            true,
	reflect.TypeOf(spec.Field{}):             true,
	reflect.TypeOf(spec.DataMask{}):          true,
	reflect.TypeOf(spec.UserOrg{}):           true,
	reflect.TypeOf(spec.Resource{}):          true,
	reflect.TypeOf(spec.ResourceMemberRef{}): true,
}

var sourceType = reflect.TypeOf(spec.Source{})

// toNode converts a value of the spec types (or maps, slices and scalars)
// into a YAML node. Struct fields come in declaration order under their
// JSON names, which is the order of the examples. Presence is kept: a nil
// slice, map or pointer is left out, an empty one is written ([] or {});
// empty scalars of omitempty fields are left out. It returns nil for a
// value that is left out.
func toNode(v any) *yaml.Node {
	return valueNode(reflect.ValueOf(v))
}

func valueNode(v reflect.Value) *yaml.Node {
	if !v.IsValid() {
		return nil
	}
	if n, ok := v.Interface().(json.Number); ok {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: n.String()}
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
				c = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
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
				c = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
			}
			m.Content = append(m.Content, strNode(k), c)
		}
		return m
	case reflect.String:
		return strNode(v.String())
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(v.Uint(), 10)}
	case reflect.Float32, reflect.Float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v.Float(), 'g', -1, 64)}
	}
	// The spec types hold nothing else.
	return strNode(fmt.Sprint(v.Interface()))
}

// addFields appends the fields of struct v to the mapping m; an embedded
// struct's fields are inlined, as encoding/json does.
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
		fv := v.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && name == "" {
			addFields(m, fv)
			continue
		}
		if name == "" {
			name = f.Name
		}
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

// emptyScalar reports a zero string, number or bool (omitempty leaves them
// out); collections and pointers are judged by presence instead.
func emptyScalar(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	}
	return false
}

// strNode is a string scalar; the encoder quotes it where YAML would read
// it as something else ("13800000000", "true", "").
func strNode(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}

// fitsFlow reports whether a collection holds only scalars (or, for a
// mapping, scalars and flow sequences) without comments and is short
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
		case c.Kind == yaml.SequenceNode && n.Kind == yaml.MappingNode && i%2 == 1 && c.Style == yaml.FlowStyle:
			for _, cc := range c.Content {
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

// mapGet returns the value node of key in mapping m, or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// footNote adds comment lines after the last entry of mapping m.
func footNote(m *yaml.Node, lines ...string) {
	if len(lines) == 0 || m == nil || len(m.Content) < 2 {
		return
	}
	if m.Style == yaml.FlowStyle {
		m.Style = 0
	}
	k := m.Content[len(m.Content)-2]
	if k.FootComment != "" {
		k.FootComment += "\n"
	}
	k.FootComment += strings.Join(lines, "\n")
}
