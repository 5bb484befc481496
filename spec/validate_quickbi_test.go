package spec

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// qbFile is a Quick BI file: the header, then body.
func qbFile(body string) string { return "version: 1\nprovider: quickbi\n" + body }

// TestQuickBIValidation: each rule of the Quick BI part has its message,
// naming the file, the line and the field; a file breaking several rules
// gets every problem at once.
func TestQuickBIValidation(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		// Required fields.
		{"account missing", "users: [{nick: 张三}]\n", []string{
			`q.yaml:3: users[0]: missing required field "account"`}},
		{"account empty", "users: [{account: \"\"}]\n", []string{
			`q.yaml:3: users[0].account: must not be empty`}},
		{"account misspelt", "users: [{acount: a}]\n", []string{
			`q.yaml:3: users[0].acount: unknown field "acount" (did you mean "account"?)`}},
		{"group id missing", "groups: [{name: G}]\n", []string{
			`q.yaml:3: groups[0]: missing required field "id"`}},
		{"group name missing", "groups: [{id: g}]\n", []string{
			`q.yaml:3: groups[0]: missing required field "name"`}},
		{"workspace name missing", "workspaces: [{id: w1}]\n", []string{
			`q.yaml:3: workspaces[0]: missing required field "name"`}},
		{"member user missing", "workspaces: [{name: W, members: [{roles: [viewer]}]}]\n", []string{
			`q.yaml:3: workspaces[0].members[0]: missing required field "user"`}},
		{"member roles missing", "workspaces: [{name: W, members: [{user: a}]}]\n", []string{
			`q.yaml:3: workspaces[0].members[0]: missing required field "roles" (admin, developer, analyst, viewer or a custom workspace role's name)`}},
		{"member roles empty", "workspaces: [{name: W, members: [{user: a, roles: []}]}]\n", []string{
			`q.yaml:3: workspaces[0].members[0].roles: list at least one role: a workspace member holds one or more`}},
		{"tag name missing", "tags: [{description: x}]\n", []string{
			`q.yaml:3: tags[0]: missing required field "name"`}},
		{"rule name missing", "workspaces: [{name: W, datasets: [{id: c, rowLevel: {rules: [{content: {a: 1}}]}}]}]\n", []string{
			`q.yaml:3: workspaces[0].datasets[0].rowLevel.rules[0]: missing required field "name"`}},
		{"rule content missing", "workspaces: [{name: W, datasets: [{id: c, rowLevel: {rules: [{name: r}]}}]}]\n", []string{
			`q.yaml:3: workspaces[0].datasets[0].rowLevel.rules[0]: missing required field "content" (the rule's ruleContentJson: a mapping, or a JSON object written as a string)`}},
		{"dataset neither", "workspaces: [{name: W, datasets: [{rowLevel: {enabled: true}}]}]\n", []string{
			`q.yaml:3: workspaces[0].datasets[0]: give the dataset's id (CubeId) or its name`}},
		{"dataset both", "workspaces: [{name: W, datasets: [{id: c, name: 订单}]}]\n", []string{
			`q.yaml:3: workspaces[0].datasets[0]: give either id or name, not both`}},
		{"dataset empty id", "workspaces: [{name: W, datasets: [{id: \"\"}]}]\n", []string{
			`q.yaml:3: workspaces[0].datasets[0]: the dataset's id or name must not be empty`}},
		// Enumerations.
		{"user type", "users: [{account: a, type: admin}]\n", []string{
			`q.yaml:3: users[0].type: invalid user type "admin" (want one of developer, viewer, analyst)`}},
		{"user type empty", "users: [{account: a, type: \"\"}]\n", []string{
			`q.yaml:3: users[0].type: must not be empty (want one of developer, viewer, analyst)`}},
		{"four roles", "users: [{account: a, roles: [admin, permissionAdmin, user, 审计]}]\n", []string{
			`q.yaml:3: users[0].roles: 4 organization roles: a member holds at most 3`}},
		{"role twice", "users: [{account: a, roles: [admin, admin]}]\n", []string{
			`q.yaml:3: users[0].roles[1]: duplicate role "admin" (first at q.yaml:3)`}},
		{"missHit", "workspaces: [{name: W, datasets: [{id: c, columnLevel: {missHit: NONE}}]}]\n", []string{
			`q.yaml:3: workspaces[0].datasets[0].columnLevel.missHit: invalid missHit "NONE" (want one of none, all)`}},
		{"viewer with a custom workspace role", "users: [{account: v, type: viewer}]\nworkspaces: [{name: W, members: [{user: v, roles: [viewer, 报表审核]}]}]\n", []string{
			`q.yaml:4: workspaces[0].members[0].roles[1]: user "v" is a viewer (q.yaml:3), and viewers cannot hold custom workspace roles such as "报表审核" (want one of admin, developer, analyst, viewer)`}},
		// The server's lengths and characters.
		{"nick too long", "users: [{account: a, nick: " + long("张", 51) + "}]\n", []string{
			`q.yaml:3: users[0].nick: nickname too long: 51 characters (the server takes at most 50)`}},
		{"nick outside the BMP", "users: [{account: a, nick: " + long("\U00020000", 26) + "}]\n", []string{
			`q.yaml:3: users[0].nick: nickname too long: 52 characters (the server takes at most 50)`}},
		{"nick with a space", "users: [{account: a, nick: 张 三}]\n", []string{
			`q.yaml:3: users[0].nick: nickname "张 三" holds ' ', which the server refuses: a nickname holds letters, digits and _ \ / | ( ) [ ] only`}},
		{"nick with a dot", "users: [{account: a, nick: wang.wu}]\n", []string{
			`q.yaml:3: users[0].nick: nickname "wang.wu" holds '.', which the server refuses: a nickname holds letters, digits and _ \ / | ( ) [ ] only`}},
		{"nick empty", "users: [{account: a, nick: \"\"}]\n", []string{
			`q.yaml:3: users[0].nick: must not be empty (leave nick out to keep the server's)`}},
		{"accountId not digits", "users: [{account: a, accountId: \"1914xx23754\"}]\n", []string{
			`q.yaml:3: users[0].accountId: invalid accountId "1914xx23754": an AccountId (the Alibaba Cloud UID) is digits only`}},
		{"group name too long", "groups: [{id: g, name: " + long("a", 256) + "}]\n", []string{
			`q.yaml:3: groups[0].name: group name too long: 256 characters (the server takes at most 255)`}},
		{"group name with a hyphen", "groups: [{id: g, name: 销售-华北}]\n", []string{
			`q.yaml:3: groups[0].name: group name "销售-华北" holds '-', which the server refuses: a group name holds letters, digits and _ \ / | ( ) [ ] only`}},
		{"group description with a comma", "groups: [{id: g, name: G, description: \"华北, 东北\"}]\n", []string{
			`q.yaml:3: groups[0].description: group description "华北, 东北" holds ',', which the server refuses: a group description holds letters, digits and _ \ / | ( ) [ ] only`}},
		{"group description too long", "groups: [{id: g, name: G, description: " + long("a", 256) + "}]\n", []string{
			`q.yaml:3: groups[0].description: group description too long: 256 characters (the server takes at most 255)`}},
		{"group id too long", "groups: [{id: " + long("g", 65) + ", name: G}]\n", []string{
			`q.yaml:3: groups[0].id: group id too long: 65 characters (the server takes at most 64)`}},
		{"group id root", "groups: [{id: \"-1\", name: G}]\n", []string{
			`q.yaml:3: groups[0].id: group id "-1" is the root of the group tree: choose another id`}},
		{"group id with a comma", "groups: [{id: \"a,b\", name: G}]\n", []string{
			`q.yaml:3: groups[0].id: group id "a,b" holds ',', which permsync refuses: a group id holds ASCII letters, digits, "-", "_" and "." only (ids travel in comma-separated lists, such as UserGroupIds, and are joined with "/" in the tree's paths)`}},
		{"group id with a slash", "groups: [{id: a/b, name: G}]\n", []string{
			`q.yaml:3: groups[0].id: group id "a/b" holds '/', which permsync refuses: a group id holds ASCII letters, digits, "-", "_" and "." only (ids travel in comma-separated lists, such as UserGroupIds, and are joined with "/" in the tree's paths)`}},
		{"tag name too long", "tags: [{name: " + long("t", 51) + "}]\n", []string{
			`q.yaml:3: tags[0].name: tag name too long: 51 characters (the server takes at most 50)`}},
		{"tag name with an underscore", "tags: [{name: sales_region}]\n", []string{
			`q.yaml:3: tags[0].name: tag name "sales_region" holds '_', which the server refuses: a tag name holds letters, digits and / \ | [ ] ( ) only`}},
		{"tag description too long", "tags: [{name: t, description: " + long("d", 256) + "}]\n", []string{
			`q.yaml:3: tags[0].description: tag description too long: 256 characters (the server takes at most 255)`}},
		{"tag value with a comma", "users:\n  - account: a\n    tags: {region: [华北, \"华东,华南\"]}\n", []string{
			`q.yaml:5: users[0].tags["region"][1]: tag value "华东,华南" holds a comma: the server splits a tag's values on commas; write them as separate items`}},
		{"tag values too long", "users:\n  - account: a\n    tags: {region: [" + long("x", 1500) + ", " + long("y", 1500) + "]}\n", []string{
			`q.yaml:5: users[0].tags["region"]: the values joined with commas are 3001 characters (the server takes at most 3000)`}},
		{"tag value null marker", "users:\n  - account: a\n    tags: {region: [\"($NULL$)\"]}\n", []string{
			`q.yaml:5: users[0].tags["region"][0]: "($NULL$)" is the server's marker that clears a tag: write null to clear it`}},
		{"tag value empty", "users:\n  - account: a\n    tags: {region: [\"\", b, b]}\n", []string{
			`q.yaml:5: users[0].tags["region"][0]: value must not be empty`, `q.yaml:5: users[0].tags["region"][2]: duplicate value "b" (first at q.yaml:5)`}},
		{"tag name empty", "users:\n  - account: a\n    tags: {\"\": [x]}\n", []string{
			`q.yaml:5: users[0].tags: a tag name must not be empty`}},
		// Uniqueness.
		{"account twice", "users:\n  - account: a\n  - account: a\n", []string{
			`q.yaml:5: users[1].account: duplicate user "a" (first at q.yaml:4)`}},
		{"nick twice", "users:\n  - {account: a, nick: 张三}\n  - {account: b, nick: 张三}\n", []string{
			`q.yaml:5: users[1].nick: duplicate nickname "张三" (first at q.yaml:4, user "a"): nicknames are unique in the organization`}},
		{"accountId twice", "users:\n  - {account: a, accountId: \"1\"}\n  - {account: b, accountId: \"1\"}\n", []string{
			`q.yaml:5: users[1].accountId: duplicate accountId "1" (first at q.yaml:4, user "a"): one Alibaba Cloud account is one member`}},
		{"group id twice", "groups:\n  - {id: g, name: A}\n  - {id: g, name: B}\n", []string{
			`q.yaml:5: groups[1].id: duplicate group id "g" (first at q.yaml:4)`}},
		{"group name twice", "groups:\n  - {id: a, name: 销售}\n  - {id: b, name: 销售, parent: a}\n", []string{
			`q.yaml:5: groups[1].name: duplicate group name "销售" (first at q.yaml:4): group names are unique in the organization`}},
		{"tag twice", "tags:\n  - name: region\n  - name: region\n", []string{
			`q.yaml:5: tags[1].name: duplicate tag "region" (first at q.yaml:4)`}},
		{"workspace twice", "workspaces:\n  - name: W\n  - name: W\n", []string{
			`q.yaml:5: workspaces[1].name: duplicate workspace "W" (first at q.yaml:4)`}},
		{"workspace id twice", "workspaces:\n  - {name: A, id: w1}\n  - {name: B, id: w1}\n", []string{
			`q.yaml:5: workspaces[1].id: duplicate workspace id "w1" (first at q.yaml:4)`}},
		{"workspace id empty", "workspaces:\n  - {name: A, id: \"\"}\n", []string{
			`q.yaml:4: workspaces[0].id: must not be empty (leave id out to match the workspace by name)`}},
		{"member twice", "workspaces:\n  - name: W\n    members:\n      - {user: a, roles: [viewer]}\n      - {user: a, roles: [admin]}\n", []string{
			`q.yaml:7: workspaces[0].members[1].user: duplicate member "a" in workspace "W" (first at q.yaml:6)`}},
		{"dataset id in two workspaces", "workspaces:\n  - {name: A, datasets: [{id: c}]}\n  - {name: B, datasets: [{id: c}]}\n", []string{
			`q.yaml:5: workspaces[1].datasets[0].id: duplicate dataset id "c" (first at q.yaml:4): a dataset belongs to one workspace, and its rules are written once`}},
		{"dataset name twice", "workspaces:\n  - name: A\n    datasets:\n      - name: 订单\n      - name: 订单\n", []string{
			`q.yaml:7: workspaces[0].datasets[1].name: duplicate dataset "订单" in workspace "A" (first at q.yaml:6)`}},
		{"rule twice in a level", "workspaces:\n  - name: A\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - {name: r, all: true, content: {}}\n            - {name: r, all: true, content: {}}\n        columnLevel:\n          rules:\n            - {name: r, all: true, content: {}}\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.rules[1].name: duplicate rule "r" in rowLevel of dataset "c" (first at q.yaml:9)`}},
		// References.
		{"unknown parent", "groups:\n  - {id: hq, name: HQ}\n  - {id: sales, name: S, parent: hQ}\n", []string{
			`q.yaml:5: groups[1].parent: unknown parent group "hQ" (not among the ids under groups:) (did you mean "hq", at q.yaml:4? it differs in letter case)`}},
		{"own parent", "groups:\n  - {id: g, name: G, parent: g}\n", []string{
			`q.yaml:4: groups[0].parent: group "g" is its own parent`}},
		{"root parent", "groups:\n  - {id: g, name: G, parent: \"-1\"}\n", []string{
			`q.yaml:4: groups[0].parent: parent "-1" is the root of the tree: leave parent out for a top-level group`}},
		{"empty parent", "groups:\n  - {id: g, name: G, parent: \"\"}\n", []string{
			`q.yaml:4: groups[0].parent: must not be empty (leave parent out for a top-level group)`}},
		{"cycle", "groups:\n  - {id: top, name: T}\n  - {id: b, name: B, parent: c}\n  - {id: a, name: A, parent: b}\n  - {id: c, name: C, parent: a}\n  - {id: d, name: D, parent: a}\n", []string{
			`q.yaml:5: groups[1].parent: group cycle: b → c → a → b`}},
		{"strict users", "settings: {strictUsers: true, protectedUsers: [ops:bot]}\nusers: [{account: a}]\ngroups: [{id: g, name: G, members: [a, b]}]\n", []string{
			`q.yaml:3: settings.protectedUsers[0]: user "ops:bot" is not declared under users: (settings.strictUsers is on)`, `q.yaml:5: groups[0].members[1]: user "b" is not declared under users: (settings.strictUsers is on)`}},
		{"prune users", "settings: {prune: {users: true}, protectedUsers: [ops:bot]}\nworkspaces:\n  - name: W\n    members: [{user: ops:bot, roles: [admin]}, {user: b, roles: [viewer]}]\n", []string{
			`q.yaml:6: workspaces[0].members[1].user: user "b" is not declared under users:, and settings.prune.users removes such users from the organization: declare it, or list it under settings.protectedUsers`}},
		{"prune groups", "settings: {prune: {groups: true}}\ngroups: [{id: sales, name: S}]\nworkspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          whitelist: {groups: [sales, hr]}\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.whitelist.groups[1]: group "hr" is not declared under groups:, and settings.prune.groups deletes such groups`}},
		{"prune tags", "settings: {prune: {tags: true}}\ntags: [{name: region}]\nusers: [{account: a, tags: {region: [x], city: [y]}}]\n", []string{
			`q.yaml:5: users[0].tags["city"]: tag "city" is not declared under tags:, and settings.prune.tags deletes such tags`}},
		{"root group in a whitelist", "workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel: {whitelist: {groups: [\"-1\"]}}\n", []string{
			`q.yaml:7: workspaces[0].datasets[0].rowLevel.whitelist.groups[0]: group "-1" is the root of the group tree, not a group`}},
		{"transferTo viewer", "settings: {transferTo: v}\nusers:\n  - account: v\n    type: viewer\n", []string{
			`q.yaml:3: settings.transferTo: user "v" is a viewer (q.yaml:6): DeleteUser hands works only to a user who is not a viewer`}},
		{"transferTo empty", "settings: {transferTo: \"\"}\n", []string{
			`q.yaml:3: settings.transferTo: must not be empty (leave transferTo out to hand works to each workspace's owner)`}},
		{"protected twice", "settings: {protectedUsers: [a, a]}\n", []string{
			`q.yaml:3: settings.protectedUsers[1]: duplicate user "a" (first at q.yaml:3)`}},
		{"max deletes", "settings: {maxDeletes: 101%}\n", []string{
			`q.yaml:3: settings.maxDeletes: maxDeletes share 101% is out of range (0% to 100%)`}},
		// Rules.
		{"all with users", "workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - name: r\n              all: true\n              users: [a]\n              content: {}\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.rules[0].all: all: true applies the rule to everyone: leave users and groups out`}},
		{"content a list", "workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - name: r\n              content: [a]\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.rules[0].content: content must be a mapping, or a JSON object written as a string, not a list`}},
		{"content a number", "workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - name: r\n              content: 1\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.rules[0].content: content must be a mapping, or a JSON object written as a string, not a number`}},
		{"content bad JSON", "workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - name: r\n              content: '{\"pathId\": [1,}'\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.rules[0].content: content is not valid JSON: invalid character '}' looking for beginning of value (at byte 15); want a mapping, or a JSON object written as a string`}},
		{"content JSON array", "workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - name: r\n              content: '[1]'\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.rules[0].content: content is an array in JSON, not an object; want a mapping, or a JSON object written as a string`}},
		{"content empty", "workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - name: r\n              content: \"\"\n", []string{
			`q.yaml:10: workspaces[0].datasets[0].rowLevel.rules[0].content: must not be empty (want a mapping, or a JSON object written as a string)`}},
		// Identifiers.
		{"control character in an account", "users: [{account: \"a\\nb\"}]\n", []string{
			`q.yaml:3: users[0].account: U+000A (line feed) in "a\nb": names, codes and references cannot hold control characters or invisible ones`}},
		{"invisible character in a group id", "groups: [{id: \"sa\\u200bles\", name: S}]\n", []string{
			`q.yaml:3: groups[0].id: U+200B (zero-width space) in "sa\u200bles": names, codes and references cannot hold control characters or invisible ones`}},
		{"control character in a tag value", "users: [{account: a, tags: {region: [\"x\\ty\"]}}]\n", []string{
			`q.yaml:3: users[0].tags["region"][0]: U+0009 (tab) in "x\ty": this text cannot hold control characters`}},
		{"look-alike accounts", "users:\n  - account: wangwu\n  - account: wangwu:zh\u0430ngsan\ngroups: [{id: g, name: G, members: [wangwu:zhangsan]}]\n", []string{
			`q.yaml:6: groups[0].members[0]: user "wangwu:zhangsan" looks the same as "wangwu:zhаngsan" (q.yaml:5), but the server takes it for another user: it has 'a' where the other has U+0430 (Cyrillic 'а'); write both the same way`}},
		{"look-alike nicks", "users:\n  - {account: a, nick: Ann}\n  - {account: b, nick: \u0410nn}\n", []string{
			`q.yaml:5: users[1].nick: nickname "Аnn" looks the same as "Ann" (q.yaml:4), but the server takes it for another nickname: it has U+0410 (Cyrillic 'А') where the other has 'A'; write both the same way`}},
		{"look-alike organization role", "users: [{account: a, roles: [\u0430dmin]}]\n", []string{
			`q.yaml:3: users[0].roles[0]: organization role "аdmin" looks the same as "admin" (a built-in organization role), but the server takes it for another organization role: it has U+0430 (Cyrillic 'а') where the other has 'a'; write both the same way`}},
		{"look-alike workspaces", "workspaces:\n  - name: Sales\n  - name: S\u0430les\n", []string{
			`q.yaml:5: workspaces[1].name: workspace "Sаles" looks the same as "Sales" (q.yaml:4), but the server takes it for another workspace: it has U+0430 (Cyrillic 'а') where the other has 'a'; write both the same way`}},
		{"look-alike group reference", "groups: [{id: sales, name: S}]\nworkspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel: {whitelist: {groups: [s\u0430les]}}\n", []string{
			`q.yaml:8: workspaces[0].datasets[0].rowLevel.whitelist.groups[0]: group "sаles" looks the same as "sales" (q.yaml:3), but the server takes it for another group: it has U+0430 (Cyrillic 'а') where the other has 'a'; write both the same way`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes(`q.yaml`, []byte(qbFile(tc.yaml)))
			got := problemLines(err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuickBILeftToTheProvider: what the files may name without
// declaring it (users and groups that may exist only on the server, tags,
// custom roles) is valid; the plan, which reads the server, checks it.
// Names that differ only in letter case are warnings naming both places.
func TestQuickBILeftToTheProvider(t *testing.T) {
	d := mustLoadBytes(t, qbFile(`settings: {protectedUsers: [ops:bot], transferTo: boss}
users:
  - {account: wangwu, roles: [审计员, user]}
  - {account: Wangwu}
groups:
  - {id: sales, name: 销售, members: [zhaoliu]}
  - {id: Sales, name: 销售二部}
workspaces:
  - name: W
    members: [{user: qianqi, roles: [Admin, 报表审核]}]
    datasets:
      - id: c
        rowLevel:
          whitelist: {users: [sunba], groups: [server-only-group]}
          rules:
            - {name: r, users: [zhoujiu], groups: [hr], content: {}}
`))
	var got []string
	for _, w := range d.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`test.yaml:6: users[1].account: user "Wangwu" differs only in letter case from "wangwu" (test.yaml:5): the server keeps them apart, as two users; if they are one, write it the same way in both places`,
		`test.yaml:9: groups[1].id: group "Sales" differs only in letter case from "sales" (test.yaml:8): the server keeps them apart, as two groups; if they are one, write it the same way in both places`,
		`test.yaml:12: workspaces[0].members[0].roles[0]: workspace role "Admin" differs only in letter case from "admin" (a built-in workspace role): the server keeps them apart, as two workspace roles; if they are one, write it the same way in both places`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestQuickBIProblemsAtOnce: every problem of the files comes at once,
// sorted by file and line.
func TestQuickBIProblemsAtOnce(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": qbFile("users:\n  - {account: a, nick: 张三, type: boss}\ngroups:\n  - {id: g, name: G, parent: x}\n"),
		"b.yaml": qbFile("users:\n  - {account: a, nick: 张三}\nworkspaces:\n  - {name: W, members: [{user: a}]}\n"),
	})
	_, err := Load([]string{dir})
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	want := []string{
		a + `:4: users[0].type: invalid user type "boss" (want one of developer, viewer, analyst)`,
		a + `:6: groups[0].parent: unknown parent group "x" (not among the ids under groups:)`,
		b + `:4: users[0].account: duplicate user "a" (first at ` + a + `:4)`,
		b + `:4: users[0].nick: duplicate nickname "张三" (first at ` + a + `:4, user "a"): nicknames are unique in the organization`,
		b + `:6: workspaces[0].members[0]: missing required field "roles" (admin, developer, analyst, viewer or a custom workspace role's name)`,
	}
	if diff := cmp.Diff(want, problemLines(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestValidateQuickBIProgrammatic: a desired state built in code is
// checked as a loaded one, and its provider must match its parts.
func TestValidateQuickBIProgrammatic(t *testing.T) {
	q := &QuickBI{Users: []QuickBIUser{{Src: Source{File: "gen", Line: 1, Path: "users[0]"}, Account: "a", Type: strp("boss")}}}
	want := []string{`gen:1: users[0].type: invalid user type "boss" (want one of developer, viewer, analyst)`}
	if diff := cmp.Diff(want, problemLines(Validate(&Desired{Provider: QuickBIProvider, QuickBI: q}))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := Validate(&Desired{Provider: QuickBIProvider, QuickBI: &QuickBI{}}); err != nil {
		t.Errorf("empty Quick BI part: %v", err)
	}
	if err := Validate(&Desired{Provider: QuickBIProvider}); err != nil {
		t.Errorf("no Quick BI part: %v", err)
	}
	for _, tc := range []struct {
		d    *Desired
		want string
	}{
		{&Desired{QuickBI: &QuickBI{}}, `provider: the desired state has a Quick BI part, but its provider is "youdata", not "quickbi"`},
		{&Desired{Provider: QuickBIProvider, Users: []User{{UniqueID: "a"}}}, `provider: the provider is "quickbi", but the desired state has Youdata's users, orgs, system roles or projects`},
	} {
		if diff := cmp.Diff([]string{tc.want}, problemLines(Validate(tc.d))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

func TestQuickBIRuleContentJSON(t *testing.T) {
	d := mustLoadBytes(t, qbFile(`workspaces:
  - name: W
    datasets:
      - id: c
        rowLevel:
          rules:
            - {name: a, all: true, content: {pathId: [x, "<y>"], b: 1.5, a: {n: 2, t: true}}}
            - {name: b, all: true, content: ' {"pathId": ["x"]} '}
`))
	rules := d.QuickBI.Workspaces[0].Datasets[0].RowLevel.Rules
	for i, want := range []string{`{"a":{"n":2,"t":true},"b":1.5,"pathId":["x","<y>"]}`, ` {"pathId": ["x"]} `} {
		got, err := rules[i].ContentJSON()
		if err != nil || got != want {
			t.Errorf("rule %d: ContentJSON() = %q, %v; want %q", i, got, err, want)
		}
	}
	if _, err := (&QuickBIRule{Name: "x"}).ContentJSON(); err == nil {
		t.Error("ContentJSON of a rule without content: no error")
	}
}
