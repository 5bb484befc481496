package spec

import (
	"strings"
	"testing"
)

const embedBase = `version: 1
users:
  - uniqueId: bob@corp.com
  - uniqueId: dave@corp.com
projects:
  - name: 销售
    dataPermissions:
      - name: 华北
        users: [bob@corp.com]
        rules:
          - connection: 2010
            details:
              - tableName: 订单
                filterType: listFilter
                selectType: select
                filter: {dim: {field: 地区, dataType: String}, select: [华北]}
`

// TestEmbedValidation: each rule of embed profiles has its message at the
// profile's field; the silent cases (a token that would show rows the
// files restrict) are refused.
func TestEmbedValidation(t *testing.T) {
	for _, tc := range []struct {
		name, embeds string
		want         string // "" when valid
	}{
		{"declared viewer with permissions", `{name: p, report: "1", project: 销售, viewer: bob@corp.com, expires: 1h}`, ""},
		{"variable viewer", `{name: p, report: "1", project: 销售, viewer: "${user}", expires: 1h}`, ""},
		{"declared viewer without permissions", `{name: p, report: "1", project: 销售, viewer: dave@corp.com, expires: 1h}`,
			`e.yaml:18: embeds[0].permissions: the user holds no data permission in project "销售" (directly, through a group or a department): say permissions: none to embed the report unfiltered`},
		{"none is explicit consent", `{name: p, report: "1", project: 销售, viewer: dave@corp.com, permissions: none, expires: 1h}`, ""},
		{"explicit filters leave a connection unfiltered", `{name: p, report: "1", project: 销售, viewer: "${user}", permissions: explicit, expires: 1h,
      filters: [{connection: 3000, details: [{tableName: t, filterType: listFilter, selectType: select, filter: {dim: {field: f, dataType: String}, select: [a]}}]}]}`,
			`embeds[0].filters: the filters leave the rows of data connection 2010 unfiltered`},
		{"explicit filters cover it", `{name: p, report: "1", project: 销售, viewer: "${user}", permissions: explicit, expires: 1h,
      filters: [{connection: 2010, details: [{tableName: t, filterType: listFilter, selectType: select, filter: {dim: {field: f, dataType: String}, select: [a]}}]}]}`, ""},
		{"connections outside the restricted ones", `{name: p, report: "1", project: 销售, viewer: dave@corp.com, connections: [3000], expires: 1h}`,
			`embeds[0].permissions: the files declare no data permission in project "销售" (connections 3000), so the user has none`},
		{"unknown viewer", `{name: p, report: "1", project: 销售, viewer: eve@corp.com, expires: 1h}`,
			`embeds[0].viewer: user "eve@corp.com" is not declared under users:`},
		{"unknown project", `{name: p, report: "1", project: 财务, viewer: bob@corp.com, expires: 1h}`,
			`embeds[0].project: project "财务" is not in the files`},
		{"expires missing", `{name: p, report: "1", project: 销售, viewer: bob@corp.com}`,
			`embeds[0]: missing required field "expires"`},
		{"expires too long", `{name: p, report: "1", project: 销售, viewer: bob@corp.com, expires: 800h}`,
			`embeds[0].expires: "800h" is longer than 720h (30 days)`},
		{"Quick BI fields", `{name: p, report: "1", project: 销售, viewer: bob@corp.com, expires: 1h, uses: 1}`,
			`embeds[0].uses: uses is Quick BI's TicketNum`},
		{"filters without explicit", `{name: p, report: "1", project: 销售, viewer: bob@corp.com, expires: 1h, filters: []}`,
			`embeds[0].filters: filters are the rules of permissions: explicit`},
		{"bad name", `{name: "a b", report: "1", project: 销售, viewer: bob@corp.com, expires: 1h}`,
			`embeds[0].name: profile name "a b" holds`},
		{"url with a query", `{name: p, report: "1", project: 销售, viewer: bob@corp.com, expires: 1h, url: "https://bi/x?token=1"}`,
			`embeds[0].url: a URL with a query or a fragment`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("e.yaml", []byte(embedBase+"embeds:\n  - "+tc.embeds+"\n"))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("accepted, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got\n%v\nwant it to hold\n%s", err, tc.want)
			}
		})
	}
}

const qbEmbedBase = `version: 1
provider: quickbi
users:
  - account: wangwu
  - account: zhao
workspaces:
  - name: W
    datasets:
      - id: cube1
        rowLevel:
          enabled: true
          rules:
            - {name: 华北, users: [wangwu], content: {a: 1}}
      - id: cube2
`

func TestQuickBIEmbedValidation(t *testing.T) {
	for _, tc := range []struct {
		name, embeds string
		want         string
	}{
		{"declared viewer with a rule", `{name: p, report: w1, viewer: wangwu, expires: 240m, uses: 3, watermark: 三方嵌入}`, ""},
		{"declared viewer without a rule", `{name: p, report: w1, viewer: zhao, expires: 240m}`,
			`embeds[0].permissions: no row or column rule of the datasets of the files applies to the account`},
		{"none", `{name: p, report: w1, viewer: zhao, permissions: none, expires: 240m}`, ""},
		{"expires over 240m", `{name: p, report: w1, viewer: wangwu, expires: 5h}`,
			`embeds[0].expires: "5h" is longer than 240m`},
		{"expires not minutes", `{name: p, report: w1, viewer: wangwu, expires: 90s}`,
			`embeds[0].expires: "90s" is not whole minutes`},
		{"uses", `{name: p, report: w1, viewer: wangwu, expires: 1h, uses: 100000}`,
			`embeds[0].uses: uses is CreateTicket's TicketNum: 1 to 99999`},
		{"watermark", `{name: p, report: w1, viewer: wangwu, expires: 1h, watermark: "` + strings.Repeat("水", 51) + `"}`,
			`embeds[0].watermark: 51 characters`},
		{"explicit without filters", `{name: p, report: w1, viewer: wangwu, permissions: explicit, expires: 1h}`,
			`embeds[0].filters: permissions: explicit takes its GlobalParam filters`},
		{"filter join", `{name: p, report: w1, viewer: wangwu, expires: 1h, filters: [{paramKey: price, joinType: xor, conditionList: [{operate: ">", value: "0"}]}]}`,
			`embeds[0].filters[0].joinType: invalid joinType "xor"`},
		{"unknown dataset", `{name: p, report: w1, viewer: wangwu, expires: 1h, datasets: [nope]}`,
			`embeds[0].datasets: dataset "nope" is not among the datasets`},
		{"variable viewer, no rule on the datasets", `{name: p, report: w1, viewer: "${user}", expires: 1h, workspace: W, datasets: [cube2]}`,
			`embeds[0].permissions: the files declare no row or column rule on the datasets the report reads`},
		{"variable viewer, rules", `{name: p, report: w1, viewer: "${user}", expires: 1h}`, ""},
		{"Youdata field", `{name: p, report: w1, viewer: wangwu, expires: 1h, project: x}`,
			`unknown field "project"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("q.yaml", []byte(qbEmbedBase+"embeds:\n  - "+tc.embeds+"\n"))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("accepted, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got\n%v\nwant it to hold\n%s", err, tc.want)
			}
		})
	}
}
