package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNullListItems: a list item written as null is one problem naming
// the file, the line and the item's path, in any list.
func TestNullListItems(t *testing.T) {
	for _, tc := range []struct {
		name, src, path string
		line            int
	}{
		{"flow users", "version: 1\nusers: [~, {uniqueId: a}]\n", "users[0]", 2},
		{"block users", "version: 1\nusers:\n  - uniqueId: a\n  -\n", "users[1]", 4},
		{"null word", "version: 1\nusers:\n  - null\n", "users[0]", 3},
		{"project", "version: 1\nprojects:\n  - name: P\n  - ~\n", "projects[1]", 4},
		{"members", "version: 1\nprojects:\n  - name: P\n    members:\n      - ~\n", "projects[0].members[0]", 5},
		{"group members", "version: 1\nprojects:\n  - name: P\n    groups:\n      - {name: G, members: [a, ~]}\n", "projects[0].groups[0].members[1]", 5},
		{"role users", "version: 1\nprojects:\n  - name: P\n    roles:\n      - name: R\n        users:\n          - a\n          - ~\n", "projects[0].roles[0].users[1]", 8},
		{"resources", "version: 1\nprojects:\n  - name: P\n    roles:\n      - {name: R, resources: [~]}\n", "projects[0].roles[0].resources[0]", 5},
		{"department", "version: 1\norgs:\n  departments: [~]\n", "orgs.departments[0]", 3},
		{"alias to null", "version: 1\nx: &n ~\n", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("n.yaml", []byte(tc.src))
			if tc.path == "" {
				return // an unknown field; only a null through an alias is checked below
			}
			p := onlyProblem(t, err)
			if p.File != "n.yaml" || p.Line != tc.line || p.Path != tc.path || p.Msg != nullItemMsg {
				t.Errorf("got %v, want n.yaml:%d: %s: %s", p, tc.line, tc.path, nullItemMsg)
			}
		})
	}
	_, err := LoadBytes("n.yaml", []byte("version: 1\nprojects:\n  - name: P\n    groups:\n      - {name: G, members: &none ~}\n    roles:\n      - {name: R, users: [*none]}\n"))
	if p := onlyProblem(t, err); p.Line != 7 || p.Path != "projects[0].roles[0].users[0]" {
		t.Errorf("alias to null in a list: %v", p)
	}
}

// TestYAMLErrorsNameTheLine: a control character the YAML reader refuses
// and an alias of no anchor name the line.
func TestYAMLErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		line      int
	}{
		{"version: 1\nusers:\n  - uniqueId: a\x00\n", "U+0000 (NUL) at column 16", 3},
		{"version: 1\nusers:\n  - {uniqueId: a, nick: \"b\x1b[2J\"}\n", "U+001B (escape) at column 27", 3},
		{"version: 1\n\nusers:\n  - uniqueId: a\x7f\n", "U+007F (delete)", 4},
		{"version: 1\nusers:\n  - uniqueId: a\u0080\n", "U+0080", 3},
		{"version: 1\nusers: *nope\n", `unknown anchor "nope"`, 2},
		{"version: 1\n# *nope in a comment\nusers:\n  - uniqueId: a\n    customInfo: {k: [x, *nope]}\n", `unknown anchor "nope"`, 5},
		{"version: 1\nusers:\n  - &nope {uniqueId: a, customInfo: {k: *nope2}}\n", `unknown anchor "nope2"`, 3},
	} {
		_, err := LoadBytes("y.yaml", []byte(tc.src))
		p := onlyProblem(t, err)
		if p.File != "y.yaml" || p.Line != tc.line || !strings.Contains(p.Msg, tc.want) {
			t.Errorf("%q: got %v, want line %d saying %q", tc.src, p, tc.line, tc.want)
		}
	}
}

// TestIdentifierCharacters: every identifier refuses control characters
// and invisible ones, naming the file, line and field; texts refuse
// control characters only.
func TestIdentifierCharacters(t *testing.T) {
	for _, tc := range []struct {
		field, yaml, path, want string
	}{
		{"uniqueId", `users: [{uniqueId: "eve@corp.com\n  + user admin@corp.com"}]`, "users[0].uniqueId", "U+000A (line feed)"},
		{"uniqueId zero-width", `users: [{uniqueId: "ev\u200be@corp.com"}]`, "users[0].uniqueId", "U+200B (zero-width space)"},
		{"uniqueId bidi", `users: [{uniqueId: "moc.proc@\u202eeve"}]`, "users[0].uniqueId", "U+202E (right-to-left override)"},
		{"email", `users: [{uniqueId: a, email: "a@x\tb"}]`, "users[0].email", "U+0009 (tab)"},
		{"phone", `users: [{uniqueId: a, phone: "138\u20280"}]`, "users[0].phone", "U+2028 (line separator)"},
		{"user org", `users: [{uniqueId: a, orgs: [{code: "D\u00ad1"}]}]`, "users[0].orgs[0].code", "U+00AD (soft hyphen)"},
		{"attribute name", `users: [{uniqueId: a, attrs: {"re\u200dgion": [x]}}]`, `users[0].attrs["re\u200dgion"]`, "U+200D"},
		{"nick", `users: [{uniqueId: a, nick: "Ann\x1b[31m"}]`, "users[0].nick", "U+001B (escape)"},
		{"position", `users: [{uniqueId: a, position: "a\rb"}]`, "users[0].position", "carriage return"},
		{"department code", `orgs: {departments: [{code: "D\ufeff1", name: d}]}`, "orgs.departments[0].code", "U+FEFF"},
		{"department name", `orgs: {departments: [{code: D1, name: "d\ne"}]}`, "orgs.departments[0].name", "line feed"},
		{"company", `orgs: {company: "C\u2066o"}`, "orgs.company", "U+2066"},
		{"protected user", `settings: {protectedUsers: ["a\u0085b"]}`, "settings.protectedUsers[0]", "U+0085 (next line)"},
		{"system role", `systemRoles: [{name: "r\u200e"}]`, "systemRoles[0].name", "U+200E"},
		{"project", `projects: [{name: "P\u2060"}]`, "projects[0].name", "U+2060 (word joiner)"},
		{"member", `projects: [{name: P, members: [{user: "a\u200c"}]}]`, "projects[0].members[0].user", "U+200C"},
		{"member system role", `projects: [{name: P, members: [{user: a, systemRoles: ["v\u200b"]}]}]`, "projects[0].members[0].systemRoles[0]", "U+200B"},
		{"group", `projects: [{name: P, groups: [{name: "G\u202a"}]}]`, "projects[0].groups[0].name", "U+202A"},
		{"group folder", `projects: [{name: P, groups: [{name: G, folder: "F\u034f"}]}]`, "projects[0].groups[0].folder", "U+034F (an invisible"},
		{"group member", `projects: [{name: P, groups: [{name: G, members: ["a\u0007"]}]}]`, "projects[0].groups[0].members[0]", "U+0007 (bell)"},
		{"role", `projects: [{name: P, roles: [{name: "R\ufe0f"}]}]`, "projects[0].roles[0].name", "U+FE0F"},
		{"role user", `projects: [{name: P, roles: [{name: R, users: ["a\u200b"]}]}]`, "projects[0].roles[0].users[0]", "U+200B"},
		{"role group", `projects: [{name: P, groups: [{name: G}], roles: [{name: R, groups: ["G\u200b"]}]}]`, "projects[0].roles[0].groups[0]", "U+200B"},
		{"role org", `projects: [{name: P, roles: [{name: R, orgs: ["D\u200b"]}]}]`, "projects[0].roles[0].orgs[0]", "U+200B"},
		{"expires key", `projects: [{name: P, roles: [{name: R, users: [a], expires: {"a\u200b": "2030-01-01 00:00:00"}}]}]`, `projects[0].roles[0].expires["a\u200b"]`, "U+200B"},
		{"resource path", `projects: [{name: P, roles: [{name: R, resources: [{type: NEW_REPORT, path: ["r\u200b"], permissions: [view]}]}]}]`, "projects[0].roles[0].resources[0].path[0]", "U+200B"},
		{"data permission", `projects: [{name: P, dataPermissions: [{name: "D\u200b"}]}]`, "projects[0].dataPermissions[0].name", "U+200B"},
		{"data permission user", `projects: [{name: P, dataPermissions: [{name: D, users: ["a\nb"]}]}]`, "projects[0].dataPermissions[0].users[0]", "line feed"},
		{"resource member", `projects: [{name: P, resourceMembers: [{type: DATA_MODEL, id: 1, members: [{user: "a\u200b", permissions: [view]}]}]}]`, "projects[0].resourceMembers[0].members[0].user", "U+200B"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			_, err := LoadBytes("c.yaml", []byte("version: 1\n"+tc.yaml+"\n"))
			p := onlyProblem(t, err)
			if p.File != "c.yaml" || p.Line != 2 || p.Path != tc.path || !strings.Contains(p.Msg, tc.want) {
				t.Errorf("got %v, want c.yaml:2: %s: ... %s", p, tc.path, tc.want)
			}
			if strings.ContainsAny(p.Error(), "\n\r\t\x1b\x07\u200b\u202e\u2028") {
				t.Errorf("the message holds the character raw: %q", p.Error())
			}
		})
	}
	// Texts may hold invisible characters: an emoji sequence joins with
	// U+200D.
	mustLoadBytes(t, "version: 1\nusers: [{uniqueId: a, nick: \"\U0001F469\u200d\U0001F4BB Ann\"}]\n")
}

// TestLookalikeIdentifiers: two identifiers of one kind and scope that
// print the same are an error naming both places; two that differ only in
// letter case are a warning naming both places.
func TestLookalikeIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string // the one problem
	}{
		{"Cyrillic e in a uniqueId", "users:\n  - uniqueId: eve@corp.com\n  - uniqueId: \u0435ve@corp.com\n",
			`c.yaml:4: users[1].uniqueId: user "еve@corp.com" looks the same as "eve@corp.com" (c.yaml:3), but the server takes it for another user: it has U+0435 (Cyrillic 'е') where the other has 'e'; write both the same way`},
		{"fullwidth letter in a role's user", "users:\n  - uniqueId: eve@corp.com\nprojects:\n  - name: P\n    roles:\n      - {name: R, users: [\uff45ve@corp.com]}\n",
			`c.yaml:7: projects[0].roles[0].users[0]: user "ｅve@corp.com" looks the same as "eve@corp.com" (c.yaml:3), but the server takes it for another user: it has U+FF45 (fullwidth 'ｅ') where the other has 'e'; write both the same way`},
		{"two references", "projects:\n  - name: P\n    groups:\n      - {name: G, members: [bob@corp.com, b\u043eb@corp.com]}\n",
			`c.yaml:5: projects[0].groups[0].members[1]: user "bоb@corp.com" looks the same as "bob@corp.com" (c.yaml:5), but the server takes it for another user: it has U+043E (Cyrillic 'о') where the other has 'o'; write both the same way`},
		{"Greek letter in a group", "projects:\n  - name: P\n    groups:\n      - name: Ops\n      - name: \u039fps\n",
			`c.yaml:6: projects[0].groups[1].name: group "Οps" looks the same as "Ops" (c.yaml:5), but the server takes it for another group: it has U+039F (Greek 'Ο') where the other has 'O'; write both the same way`},
		{"project", "projects:\n  - name: Sales\n  - name: S\u0430les\n",
			`c.yaml:4: projects[1].name: project "Sаles" looks the same as "Sales" (c.yaml:3), but the server takes it for another project: it has U+0430 (Cyrillic 'а') where the other has 'a'; write both the same way`},
		{"built-in system role", "systemRoles:\n  - name: \u0430dmin\n",
			`c.yaml:3: systemRoles[0].name: system role "аdmin" looks the same as "admin" (a built-in system role), but the server takes it for another system role: it has U+0430 (Cyrillic 'а') where the other has 'a'; write both the same way`},
		{"department", "orgs:\n  departments:\n    - {code: HQ, name: a}\n    - {code: \u041dQ, name: b}\n",
			`c.yaml:5: orgs.departments[1].code: department "НQ" looks the same as "HQ" (c.yaml:4), but the server takes it for another department: it has U+041D (Cyrillic 'Н') where the other has 'H'; write both the same way`},
		{"no-break space in a role", "projects:\n  - name: P\n    roles:\n      - name: a b\n      - name: a\u00a0b\n",
			`c.yaml:6: projects[0].roles[1].name: role "a\u00a0b" looks the same as "a b" (c.yaml:5), but the server takes it for another role: it has U+00A0 (a space of another width) where the other has ' '; write both the same way`},
		{"strict reference", "settings: {strictUsers: true}\nusers:\n  - uniqueId: eve@corp.com\nprojects:\n  - name: P\n    roles:\n      - {name: R, users: [Eve@corp.com]}\n",
			`c.yaml:8: projects[0].roles[0].users[0]: user "Eve@corp.com" is not declared under users: (settings.strictUsers is on) (did you mean "eve@corp.com", at c.yaml:4? it differs in letter case)`},
		{"unknown group", "projects:\n  - name: P\n    groups: [{name: Ops}]\n    roles:\n      - {name: R, groups: [\u039fps]}\n",
			`c.yaml:6: projects[0].roles[0].groups[0]: unknown group "Οps" (not among the groups of project "P") (did you mean "Ops", at c.yaml:4? it looks the same but holds other characters)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("c.yaml", []byte("version: 1\n"+tc.yaml))
			p := onlyProblem(t, err)
			if diff := cmp.Diff(tc.want, p.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// Letter case: valid, with one warning for each value that differs.
	d := mustLoadBytes(t, `version: 1
users:
  - uniqueId: eve@corp.com
  - uniqueId: Eve@corp.com
projects:
  - name: P
    groups:
      - {name: ops}
      - {name: Ops}
    roles:
      - {name: R, users: [EVE@corp.com, Eve@corp.com]}
      - {name: S, users: [EVE@corp.com]}
  - name: p
`)
	var got []string
	for _, w := range d.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`test.yaml:4: users[1].uniqueId: user "Eve@corp.com" differs only in letter case from "eve@corp.com" (test.yaml:3): the server keeps them apart, as two users; if they are one, write it the same way in both places`,
		`test.yaml:9: projects[0].groups[1].name: group "Ops" differs only in letter case from "ops" (test.yaml:8): the server keeps them apart, as two groups; if they are one, write it the same way in both places`,
		`test.yaml:11: projects[0].roles[0].users[0]: user "EVE@corp.com" differs only in letter case from "eve@corp.com" (test.yaml:3): the server keeps them apart, as two users; if they are one, write it the same way in both places`,
		`test.yaml:13: projects[1].name: project "p" differs only in letter case from "P" (test.yaml:6): the server keeps them apart, as two projects; if they are one, write it the same way in both places`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if d := mustLoadBytes(t, "version: 1\nusers: [{uniqueId: a}, {uniqueId: b}]\n"); d.Warnings != nil {
		t.Errorf("warnings for distinct names: %v", d.Warnings)
	}
}

func TestSkeleton(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"eve@corp.com", "\u0435ve@corp.com"},
		{"eve@corp.com", "EVE@CORP.COM"},
		{"admin", "\uff41\uff44\uff4d\uff49\uff4e"},
		{"Kelvin", "\u212aelvin"},
		{"abc", "\U0001d41a\U0001d41b\U0001d41c"},
		{"a b", "a\u3000b"},
		{"eve", "e\u200bve"},
	} {
		if skeleton(tc.a) != skeleton(tc.b) {
			t.Errorf("skeleton(%q) = %q, skeleton(%q) = %q", tc.a, skeleton(tc.a), tc.b, skeleton(tc.b))
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"user1", "userl"}, {"rené", "rene"}, {"张三", "张二"}, {"вob", "bob"},
	} {
		if skeleton(tc.a) == skeleton(tc.b) {
			t.Errorf("%q and %q have one skeleton", tc.a, tc.b)
		}
	}
	if lookDiff("\u212aelvin", "Kelvin") == "" {
		t.Error("the Kelvin sign is taken for a letter case difference")
	}
}
