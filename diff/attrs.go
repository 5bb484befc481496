// # The change model
//
// A Plan is a list of Changes; the executor works from nothing else. Each
// Change names the object (Kind, Key), what to do (Action), the object's
// attributes before and after (Before, After) and the state to record once
// applied (NewState). Every attribute value is canonical JSON: sets are
// sorted lists, maps have sorted keys, times are "2006-01-02 15:04:05" in
// UTC+08:00 (expiry read from the server as "2025-07-24T16:00:00.000Z" is
// converted to that form before comparing).
//
// Which attributes changed. After holds every facet the files manage, changed
// or not. Before holds what is known of the same facets: the live value of a
// readable facet; for a write-only facet, the desired value when the state
// says it was applied as is, the last applied items (a role's groups and
// orgs) when the state knows them, and nothing otherwise. A facet changed
// when its name is in After and Before lacks it or holds other bytes, or
// when it is only in Before; Change.Changed lists them. Identity attributes
// ("id", "project_id", names) are in both and never differ, except a
// project's "name" on a rename.
//
// Ids. Before holds "id", the server id, whenever it is known from the live
// state or the state file. Project-scoped kinds carry "project_id" in Before
// and After when the project exists; when it is created by the same plan the
// executor takes the id from the project's create. Creates and replaces
// leave NewState.ID zero: the executor fills in the id it learns.
//
// Attributes per kind (w: write-only, kept as a fingerprint in the state;
// r: readable, compared with the live server):
//
//	systemRole name         id, name, description (r)
//	company    "company"    name (w, facet "name")
//	department CODE         code, name, parent, admins, description (w, one
//	                        facet "department"; facet "parent" keeps the parent
//	                        code as its item so deletions can be ordered)
//	user       uniqueId     id, uniqueId; email, phone, nick, customInfo (r);
//	                        department, company, position, left,
//	                        allowExternal, orgs ([{code, role}] sorted by code,
//	                        role defaults to normal), attrs (name → list or
//	                        null; null clears, [] means none) (w, one facet
//	                        each)
//	project    name         id, name, description (r); receivers (members
//	                        for project/add, on create)
//	member     project/uid  project_id, user, systemRoles (r: sorted names:
//	                        admin, editor, viewer or custom names),
//	                        system_role_ids (name → id, where known)
//	group      project/name id, project_id, name; members (r); folder,
//	                        description (w, facet each; folder's item is the
//	                        folder)
//	role       project/folder/name  (project//name at the root)
//	dataPermission same key form
//	                        id, project_id, name, folder, type (0, 3 or 2),
//	                        level (roles); description (r); users,
//	                        user_expires (r: uniqueId → time); groups +
//	                        group_expires (w, facet "groups", items: the
//	                        groups); orgs + org_expires (w, facet "orgs",
//	                        items: the codes); resources (w, roles, a list
//	                        of spec.Resource); rules (data permissions, a
//	                        list of spec.Rule with defaults filled in: r when
//	                        the server showed them, else w, facet "rules")
//	resourceMembers project/TYPE/id
//	                        project_id, type, resource_id, members
//	                        ([{user, permissions}] sorted; w, full sync)
//
// Actions. A create makes the object with everything in After. An update
// applies the changed facets. A replace deletes the object (Before "id") and
// creates it again with everything in After; it is used where the API has no
// call to undo a binding (a group or an org bound to a role). A role's After
// also brings back what the files leave alone: its users and description as
// read, its groups and orgs as the state records them (without expiries);
// bindings known to neither are lost, and the plan warns. A delete
// removes the object named by Before. Removing users from a role
// (user/delRoles) and members from a group are part of the update.
//
// NewState is the object's record in the state after the change: Created
// (true for creates, kept otherwise; a department is never recorded as
// created, since syncOrg upserts and the server does not show which
// departments exist), ID, and the fingerprints of the
// write-only facets as applied. It is nil for deletes. Objects with nothing
// to do are counted in Plan.NoOps and keep their state as it is.
package diff

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Strings decodes a list-of-strings attribute; nil when absent or not a list.
func (a Attrs) Strings(name string) []string {
	var out []string
	if err := a.Decode(name, &out); err != nil {
		return nil
	}
	return out
}

// String decodes a string attribute; "" when absent or not a string.
func (a Attrs) String(name string) string {
	var out string
	if err := a.Decode(name, &out); err != nil {
		return ""
	}
	return out
}

// Int decodes an integer attribute; 0 when absent or not a number.
func (a Attrs) Int(name string) int64 {
	var out int64
	if err := a.Decode(name, &out); err != nil {
		return 0
	}
	return out
}

// Has reports whether the attribute is present.
func (a Attrs) Has(name string) bool {
	_, ok := a[name]
	return ok
}

// Decode unmarshals the attribute into v. An absent attribute is an error.
func (a Attrs) Decode(name string, v any) error {
	raw, ok := a[name]
	if !ok {
		return fmt.Errorf("decode attribute %q: absent", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode attribute %q: %w", name, err)
	}
	return nil
}

// Set stores v, as canonical JSON, under name. It allocates the map when nil.
func (a *Attrs) Set(name string, v any) {
	if *a == nil {
		*a = Attrs{}
	}
	(*a)[name] = Canonical(v)
}

// Changed lists, sorted, the attributes that differ between Before and
// After (see the change model above): every attribute of a create, none
// of a delete.
func (c Change) Changed() []string {
	var out []string
	for name, after := range c.After {
		if before, ok := c.Before[name]; !ok || !bytes.Equal(before, after) {
			out = append(out, name)
		}
	}
	for name := range c.Before {
		if _, ok := c.After[name]; !ok && c.After != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Canonical returns v as canonical JSON: object keys sorted, no
// insignificant whitespace, no HTML escaping, numbers as written. It panics
// only on values that cannot be JSON (channels, functions), which the diff
// never holds.
func Canonical(v any) json.RawMessage {
	// The most common values, written directly: an encoder per value was
	// most of diff.Compute's remaining CPU. The output is byte for byte
	// what the encoder below writes (a test pins it).
	switch x := v.(type) {
	case nil:
		return json.RawMessage("null")
	case bool:
		return json.RawMessage(strconv.FormatBool(x))
	case int:
		return json.RawMessage(strconv.Itoa(x))
	case int64:
		return json.RawMessage(strconv.FormatInt(x, 10))
	case string:
		if b, ok := appendCanonicalString(nil, x); ok {
			return b
		}
	case []string:
		if x == nil {
			return json.RawMessage("null")
		}
		b := make([]byte, 0, 2+16*len(x))
		b = append(b, '[')
		ok := true
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendCanonicalString(b, e); !ok {
				break
			}
		}
		if ok {
			return append(b, ']')
		}
	}
	return canonicalEncoded(v)
}

// AppendJSONString appends s as a JSON string, as encoding/json writes it
// without HTML escaping (the canonical form fingerprints use).
func AppendJSONString(b []byte, s string) []byte {
	if out, ok := appendCanonicalString(b, s); ok {
		return out
	}
	return append(b, canonicalEncoded(s)...)
}

// appendCanonicalString appends s as encoding/json writes it without HTML
// escaping, or reports false for strings that take more than the common
// escapes (invalid UTF-8, U+2028, U+2029); b is then to be dropped.
func appendCanonicalString(b []byte, s string) ([]byte, bool) {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return b, false
			}
			i += size - 1
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}

// canonicalEncoded is Canonical through encoding/json.
func canonicalEncoded(v any) json.RawMessage {
	switch v.(type) {
	case nil, string, bool, int, int64, []string, map[string]string, map[string]int64, map[string]bool:
		// Already canonical once encoded: no objects with unsorted keys.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(fmt.Sprintf("diff: canonical JSON: %v", err))
		}
		return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("diff: canonical JSON: %v", err))
	}
	out, err := canonicalBytes(raw)
	if err != nil {
		panic(fmt.Sprintf("diff: canonical JSON: %v", err))
	}
	return out
}

// canonicalBytes re-encodes JSON text with sorted keys and compact form.
func canonicalBytes(raw []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// Fingerprint is the SHA-256 of v's canonical JSON, "sha256:<hex>". The
// state keeps fingerprints of write-only facets.
func Fingerprint(v any) string {
	if m, ok := v.(map[string]any); ok {
		// The canonical JSON of an object is its keys, sorted, with each
		// value's canonical JSON: canonicalising the values one by one
		// gives the same text as canonicalising the whole, without
		// encoding, decoding and encoding it all again.
		raw := make(map[string]json.RawMessage, len(m))
		for k, x := range m {
			raw[k] = Canonical(x)
		}
		return fingerprintRaw(raw)
	}
	return fingerprintOf(Canonical(v))
}

// fingerprintRaw is the fingerprint of an object whose values are
// already canonical JSON (as Attrs holds them).
func fingerprintRaw(m map[string]json.RawMessage) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic(fmt.Sprintf("diff: canonical JSON: %v", err))
	}
	return fingerprintOf(bytes.TrimRight(buf.Bytes(), "\n"))
}

func fingerprintOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// NewState returns an empty state of the current version.
func NewState() *State {
	return &State{Version: StateVersion, Objects: map[string]*ObjectState{}}
}

// Apply records in the state what a change leaves: its NewState, or the
// object's removal when NewState is nil. It copies NewState; the caller
// sets NewState.ID beforehand where it learned the id.
func (s *State) Apply(c Change) {
	if c.Action == NoOp {
		return
	}
	if s.Objects == nil {
		s.Objects = map[string]*ObjectState{}
	}
	key := StateKey(c.Kind, c.Key)
	if c.NewState == nil {
		delete(s.Objects, key)
		return
	}
	s.Objects[key] = c.NewState.clone()
}

func (o *ObjectState) clone() *ObjectState {
	if o == nil {
		return nil
	}
	out := &ObjectState{Created: o.Created, ID: o.ID, Pending: o.Pending}
	if o.Facets != nil {
		out.Facets = make(map[string]Facet, len(o.Facets))
		for k, f := range o.Facets {
			if f.Items != nil {
				f.Items = append([]string(nil), f.Items...)
			}
			out.Facets[k] = f
		}
	}
	return out
}
