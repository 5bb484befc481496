package quickbi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/embed"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/spec"
)

const embedSeed = `
organization:
  name: 测试组织
  globalParam: true
  admin: {account: ops, nick: 运维管理员}
users:
  - {account: "ops:wangwu", nick: 王五, type: viewer}
  - {account: "ops:lisi", nick: 李四, type: viewer}
  - {account: "ops:zhao", nick: 赵, type: viewer}
groups:
  - {id: north, name: 华北销售, members: ["ops:lisi"]}
workspaces:
  - id: ws-sales
    name: 销售分析
    datasets:
      - id: cube-orders
        name: 订单
    works:
      - {id: works-board, name: 销售看板, type: PAGE, embedded: true, components: [cmpt-1]}
`

// embedQBFiles declares a row rule by account, one through a group, a
// column rule, and profiles over them.
const embedQBFiles = `
version: 1
provider: quickbi
users:
  - account: "ops:wangwu"
  - account: "ops:lisi"
  - account: "ops:zhao"
groups:
  - {id: north, name: 华北销售, members: ["ops:lisi"]}
workspaces:
  - name: 销售分析
    datasets:
      - id: cube-orders
        rowLevel:
          enabled: true
          missHit: none
          rules:
            - {name: 本人, users: ["ops:wangwu"], content: {a: 1}}
            - {name: 华北, groups: [north], content: {a: 2}}
        columnLevel:
          enabled: true
          rules:
            - {name: 隐藏成本, users: ["ops:wangwu"], content: {pathId: [x]}}
embeds:
  - name: board
    report: works-board
    component: cmpt-1
    viewer: ${user}
    expires: 120m
    uses: 3
    watermark: 三方嵌入
    url: https://bi.example.com/token3rd/dashboard/view/pc.htm
    filters:
      - paramKey: price
        conditionList: [{operate: ">", value: "0"}]
  - name: open
    report: works-board
    viewer: ${user}
    permissions: none
    expires: 10m
`

func newEmbedMinter(t *testing.T) (*sim, *embed.Minter) {
	t.Helper()
	s := newSim(t, parseSeed(t, embedSeed))
	d, err := spec.LoadBytes("embed.yaml", []byte(embedQBFiles))
	if err != nil {
		t.Fatal(err)
	}
	m, err := embed.New(d, quickbi.NewEmbedIssuer(s.client))
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

func mintQB(t *testing.T, m *embed.Minter, profile, viewer string) *embed.Credential {
	t.Helper()
	c, err := m.Mint(context.Background(), embed.Request{Profile: profile, Vars: map[string]string{"user": viewer}})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return c
}

// TestEmbedTicketBoundToTheViewer: the ticket is bound to the viewer's
// UserId (whose rules the server applies), with the profile's uses,
// expiry, watermark, component and GlobalParam.
func TestEmbedTicketBoundToTheViewer(t *testing.T) {
	s, m := newEmbedMinter(t)
	c := mintQB(t, m, "board", "ops:wangwu")
	tk := s.Snapshot().Ticket(c.Value.Reveal())
	if tk == nil {
		t.Fatal("the simulator holds no such ticket")
	}
	wangwu := s.Snapshot().User("ops:wangwu")
	if tk.UserID != wangwu.UserID || tk.BoundBy != "UserId" || tk.WorksID != "works-board" || tk.CmptID != "cmpt-1" ||
		tk.MaxUses != 3 || tk.Watermark != "三方嵌入" || tk.Expires.Sub(tk.Registered).Minutes() != 120 {
		t.Errorf("ticket %+v, want bound by UserId to %s, works-board/cmpt-1, 3 uses, 120 minutes, the watermark", tk, wangwu.UserID)
	}
	var gp any
	if err := json.Unmarshal([]byte(tk.GlobalParam), &gp); err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"paramKey": "price", "joinType": "and", "conditionList": []any{map[string]any{"operate": ">", "value": "0"}}}}
	if d := cmp.Diff(want, gp); d != "" {
		t.Errorf("GlobalParam (-want +got):\n%s", d)
	}
	if !strings.HasPrefix(c.URL.Reveal(), "https://bi.example.com/token3rd/dashboard/view/pc.htm?accessTicket=") || c.Uses != 3 {
		t.Errorf("URL or uses wrong (uses %d)", c.Uses)
	}
	for i := 0; i < 3; i++ {
		uid, err := s.VisitTicket(c.Value.Reveal(), "works-board")
		if err != nil || uid != wangwu.UserID {
			t.Fatalf("visit %d: %s, %v", i, uid, err)
		}
	}
	if _, err := s.VisitTicket(c.Value.Reveal(), "works-board"); err == nil {
		t.Error("a fourth visit of a 3-use ticket")
	}
}

// TestEmbedTicketRulesPerKind: the explanation names the rules the server
// applies to the viewer: by account (row and column), through a group.
func TestEmbedTicketRulesPerKind(t *testing.T) {
	_, m := newEmbedMinter(t)
	for viewer, want := range map[string][]string{
		"ops:wangwu": {`rowLevel rule "本人" of dataset "cube-orders" (the account), applied by the server to the viewer`,
			`columnLevel rule "隐藏成本" of dataset "cube-orders" (the account), applied by the server to the viewer`},
		"ops:lisi": {`rowLevel rule "华北" of dataset "cube-orders" (group "north"), applied by the server to the viewer`},
	} {
		ex, err := m.Explain(embed.Request{Profile: "board", Vars: map[string]string{"user": viewer}})
		if err != nil {
			t.Fatalf("%s: %v", viewer, err)
		}
		if d := cmp.Diff(want, ex.From); d != "" {
			t.Errorf("%s (-want +got):\n%s", viewer, d)
		}
	}
}

func TestEmbedTicketRefusalsRevokeRenew(t *testing.T) {
	s, m := newEmbedMinter(t)
	ctx := context.Background()
	if _, err := m.Mint(ctx, embed.Request{Profile: "board", Vars: map[string]string{"user": "ops:zhao"}}); !errors.Is(err, embed.ErrRefused) {
		t.Errorf("a viewer without rules: %v, want ErrRefused", err)
	}
	if _, err := m.Mint(ctx, embed.Request{Profile: "board", Vars: map[string]string{"user": "ops:nobody"}}); !errors.Is(err, embed.ErrUnknownViewer) {
		t.Errorf("an undeclared viewer: %v, want ErrUnknownViewer", err)
	}
	if n := len(s.Snapshot().Tickets); n != 0 {
		t.Fatalf("%d tickets made for refused requests", n)
	}
	c := mintQB(t, m, "open", "ops:zhao")
	before := s.Snapshot().Ticket(c.Value.Reveal()).Expires
	if err := m.Renew(ctx, "open", c.Value.Reveal()); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	if got := s.Snapshot().Ticket(c.Value.Reveal()).Expires.Sub(before).Minutes(); got != 10 {
		t.Errorf("renewed by %v minutes, want 10", got)
	}
	if err := m.Revoke(ctx, "open", c.Value.Reveal()); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if s.Snapshot().Ticket(c.Value.Reveal()) != nil {
		t.Error("the revoked ticket is still there")
	}
}
