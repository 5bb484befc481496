package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// attrs builds Attrs from name, JSON value pairs.
func attrs(kv ...string) plan.Attrs {
	a := plan.Attrs{}
	for i := 0; i < len(kv); i += 2 {
		a[kv[i]] = json.RawMessage(kv[i+1])
	}
	return a
}

// goldenPlans are hand-built plans covering every action, several kinds,
// warnings, refusals and the empty plan.
func goldenPlans() map[string]*plan.Plan {
	plans := rawGoldenPlans()
	for _, p := range plans {
		p.Kinds = testKinds
	}
	return plans
}

func rawGoldenPlans() map[string]*plan.Plan {
	return map[string]*plan.Plan{
		"empty": {},
		"converged": {
			NoOps:    map[plan.Kind]int{kindUser: 12, kindRole: 3},
			Warnings: []string{"user root@corp.com is protected: its removal from project 销售分析 was dropped from the plan"},
		},
		"mixed": {
			Changes: []plan.Change{
				{Action: plan.Create, Kind: kindSystemRole, Key: "数据分析师", Reason: "not on the server",
					Source: "desired/system.yaml:3", After: attrs("description", `"可以编辑报告"`, "name", `"数据分析师"`)},
				{Action: plan.Create, Kind: kindUser, Key: "alice@corp.com", Reason: "not on the server",
					Source: "desired/users.yaml:4",
					After: attrs("email", `"alice@corp.com"`, "nick", `"Alice"`, "departments", `["sales","sales-north"]`,
						"customInfo", `{"level":3,"city":"杭州"}`, "phone", `null`, "attributes", `[]`)},
				{Action: plan.Update, Kind: kindUser, Key: "bob@corp.com", Reason: "changed on the server",
					Source: "desired/users.yaml:11",
					Before: attrs("email", `"bob@corp.com"`, "nick", `"Al"`, "departments", `["ops"]`, "phone", `"123"`),
					After:  attrs("email", `"bob@corp.com"`, "nick", `"Alice"`, "departments", `["ops","sales"]`, "title", `"lead"`)},
				{Action: plan.Update, Kind: kindMember, Key: "销售分析/bob@corp.com",
					Before: attrs("systemRoles", `["阅览者"]`), After: attrs("systemRoles", `["编辑者"]`)},
				{Action: plan.Update, Kind: kindGroup, Key: "销售分析/华东组", Reason: "members changed",
					Before: attrs("members", `["alice@corp.com","bob@corp.com","dave@corp.com"]`),
					After:  attrs("members", `["alice@corp.com","bob@corp.com","carol@corp.com"]`)},
				{Action: plan.Delete, Kind: kindGroup, Key: "销售分析/旧组", Reason: "created by permsync and no longer in the files",
					Before: attrs("description", `"old"`, "members", `["erin@corp.com"]`)},
				{Action: plan.Create, Kind: kindRole, Key: "销售分析/通用/报告阅览", Source: "desired/roles.yaml:20",
					After: attrs("description", `"reports"`,
						"users", `[{"expires":"2025-07-24 16:00:00","uniqueId":"alice@corp.com"},{"uniqueId":"bob@corp.com"}]`)},
				{Action: plan.Replace, Kind: kindRole, Key: "销售分析//管理", Reason: "the API cannot unbind a group from a role",
					Before: attrs("description", `"admins"`, "groups", `["华东组","旧组"]`, "users", `["alice@corp.com"]`),
					After:  attrs("description", `"admins"`, "groups", `["华东组"]`, "users", `["alice@corp.com"]`)},
				{Action: plan.Update, Kind: kindDataPermission, Key: "销售分析/行权限/华东",
					Before: attrs("rules", `[{"field":"region","op":"in","values":["华东"]}]`),
					After:  attrs("rules", `[{"field":"region","op":"in","values":["华东","华南"]}]`)},
			},
			NoOps:    map[plan.Kind]int{kindUser: 40, kindGroup: 2},
			Warnings: []string{"the user behind the token, admin@corp.com, keeps its admin role: its change was dropped"},
		},
		"refused": {
			Changes: []plan.Change{
				{Action: plan.Delete, Kind: kindUser, Key: "u1@corp.com", Before: attrs("nick", `"U1"`)},
				{Action: plan.Delete, Kind: kindUser, Key: "u2@corp.com", Before: attrs("nick", `"U2"`)},
				{Action: plan.Delete, Kind: kindDepartment, Key: "east", Before: attrs("name", `"East"`, "parent", `"company"`)},
			},
			Warnings: []string{"a", "b\nsecond line"},
			Refusals: refusals(
				"2 of 3 users would be deleted, over settings.maxDeletes (1):\nu1@corp.com\nu2@corp.com",
				"1 of 2 departments would be deleted, over settings.maxDeletes (0)",
			),
		},
		"refused-one": {
			Changes: []plan.Change{
				{Action: plan.Delete, Kind: kindUser, Key: "u1@corp.com", Before: attrs("nick", `"U1"`)},
			},
			Refusals: refusals("1 of 1 users would be deleted, over settings.maxDeletes (0); use --allow-mass-delete"),
		},
		// Lists and rules, element by element: a rule paired with the one
		// it replaces, a value last applied (from the state), one whose
		// earlier value is unknown, long items added and removed whole.
		"structured": {
			Changes: []plan.Change{
				{Action: plan.Update, Kind: kindDataPermission, Key: "销售分析/区域/华东数据", Reason: "changed since last apply: rules",
					Before: attrs("name", `"华东数据"`),
					LastApplied: attrs("rules", `[{"connection":2010,"details":[{"filter":{"or":[{"cond":{"inlist":[["华东","上海"],["华东","浙江"]]},`+
						`"dims":[{"dataType":"String","field":"地区"},{"dataType":"String","field":"省"}]}]},"filterType":"treeFilter","selectType":"select","tableName":"订单表"}],`+
						`"mode":"fixed","rule":"or","type":"row"}]`),
					After: attrs("name", `"华东数据"`, "rules", `[{"connection":2010,"details":[{"filter":{"or":[{"cond":{"inlist":[["华东","上海"],["华南","广东"]]},`+
						`"dims":[{"dataType":"String","field":"地区"},{"dataType":"String","field":"省"}]}]},"filterType":"treeFilter","selectType":"select","tableName":"订单表"}],`+
						`"mode":"fixed","rule":"or","type":"row"}]`)},
				{Action: plan.Update, Kind: kindUser, Key: "alice@corp.com", Reason: "changed since last apply: orgs, position",
					Before: attrs("uniqueId", `"alice@corp.com"`), BeforeUnknown: []string{"orgs", "position"},
					After: attrs("uniqueId", `"alice@corp.com"`, "position", `"总监"`, "orgs", `[{"code":"HQ","role":"leader"}]`)},
				{Action: plan.Update, Kind: kindRole, Key: "销售分析//数据编辑", Reason: "changed since last apply: resources",
					Before:      attrs("name", `"数据编辑"`),
					LastApplied: attrs("resources", `[{"id":173,"permissions":["view"],"type":"NEW_REPORT"}]`),
					After:       attrs("name", `"数据编辑"`, "resources", `[{"id":173,"permissions":["export","view"],"type":"NEW_REPORT"},{"id":88001,"permissions":["view"],"type":"SCREEN"}]`)},
				{Action: plan.Delete, Kind: kindResourceMembers, Key: "销售分析/DATA_MODEL/700288358", Reason: "not in the files",
					Before: attrs("members", `[{"permissions":["edit","export","view"],"user":"alice.with.a.rather.long.name@example.com","note":"kept for the quarterly review of the sales data"}]`)},
				{Action: plan.Create, Kind: kindGroup, Key: "销售分析/华东组", Reason: "not on the server",
					After: attrs("members", `["alice@corp.com","bob@corp.com"]`, "settings", `{"filters":[{"field":"region","values":["华东","华南","华北","华中","西南","西北","东北","港澳台","海外"]}],"owner":"alice@corp.com"}`)},
			},
		},
		"edge": {
			Changes: []plan.Change{
				{Action: plan.Update, Kind: kindUser, Key: "evil\x1b[31m\u202e@corp.com", Reason: "line one\nline two",
					Before: attrs("nick", `"`+strings.Repeat("长", 130)+`"`, "attributes", `null`, "tags", `[" padded","","null","42"]`),
					After:  attrs("nick", `"`+strings.Repeat("短", 130)+`"`, "attributes", `[]`, "tags", `[]`)},
				{Action: plan.Create, Kind: kindResourceMembers, Key: "销售分析/REPORT/```42",
					After: attrs("users", `["a@corp.com"]`)},
				{Action: plan.Create, Kind: "widget", Key: "w1", After: attrs("size", `1.50`)},
				{Action: plan.Update, Kind: kindRole, Key: "p//long", Before: attrs("description", `"`+strings.Repeat("x", 200)+`a tail"`),
					After: attrs("description", `"`+strings.Repeat("x", 200)+`b tail"`, "note", `"`+strings.Repeat("y", 150)+`"`)},
				{Action: plan.Update, Kind: kindCompany, Key: "company", Reason: "changed since last apply",
					Before: attrs("name", `"Corp"`, "hash", `"abc"`), After: attrs("name", `"Corp"`, "hash", `"def"`)},
			},
		},
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, d)
	}
}

func TestGolden(t *testing.T) {
	for name, p := range goldenPlans() {
		t.Run(name, func(t *testing.T) {
			var plain, color, js bytes.Buffer
			if err := Text(&plain, p, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".txt", plain.Bytes())
			if err := Text(&color, p, TextOptions{Color: true}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".color.txt", color.Bytes())
			if err := JSON(&js, p, JSONOptions{}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".json", js.Bytes())
			parts := Markdown(p, MarkdownOptions{})
			if len(parts) != 1 {
				t.Fatalf("Markdown gave %d parts, want 1", len(parts))
			}
			checkGolden(t, name+".md", []byte(parts[0]))

			if bytes.Contains(plain.Bytes(), []byte("\x1b")) {
				t.Error("text without colour contains an escape character")
			}
		})
	}
}
