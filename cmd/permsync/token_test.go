package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

const tokenFiles = `version: 1
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
embeds:
  - name: sales-portal
    report: "7001"
    project: 销售
    viewer: ${user}
    expires: 240m
`

func runCmdStdin(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cmdEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := runMain(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "files.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTokenYoudata(t *testing.T) {
	seed := &youdatatest.Seed{Users: []youdatatest.SeedUser{{UniqueID: "bob@corp.com"}, {UniqueID: "dave@corp.com"}},
		Projects: []youdatatest.SeedProject{{ID: 7, Name: "销售"}}}
	sim := youdatatest.New(youdatatest.Options{Seed: seed, TokenKey: "k-secret"})
	defer sim.Close()
	files := writeFile(t, tokenFiles)
	vars := map[string]string{"PERMSYNC_SERVER": sim.URL(), "PERMSYNC_TOKEN_KEY": "k-secret"}

	code, out, errOut := runCmd(t, vars, "token", "-f", files, "sales-portal", "--var", "user=bob@corp.com", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got credentialJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	toks := sim.EmbedTokens()
	if len(toks) != 1 || toks[0].Token != got.Credential || toks[0].User != "bob@corp.com" || toks[0].ExpiryTime != 14400 {
		t.Fatalf("printed %+v; the server issued %+v", got, toks)
	}
	if want := `{"rule":"or","dataFilters":[{"filterType":"listFilter","selectType":"select","tableName":"订单","filter":{"dim":{"field":"地区","dataType":"String"},"select":["华北"]}}]}`; string(toks[0].FilterMap["2010"]) != want {
		t.Errorf("filterMap[2010] = %s, want %s", toks[0].FilterMap["2010"], want)
	}
	if !strings.Contains(got.URL, "/dash/integration/7?rid=7001&token="+got.Credential) {
		t.Errorf("url %q", got.URL)
	}
	if strings.Contains(errOut, got.Credential) {
		t.Error("stderr holds the token")
	}

	// A viewer without declared permissions is refused, and nothing issued.
	code, _, errOut = runCmd(t, vars, "token", "-f", files, "sales-portal", "--var", "user=dave@corp.com")
	if code != 1 || !strings.Contains(errOut, "say permissions: none") || len(sim.EmbedTokens()) != 1 {
		t.Errorf("dave: exit %d, %s; %d tokens", code, errOut, len(sim.EmbedTokens()))
	}

	// ... before any connection: no server, no credentials needed.
	code, _, errOut = runCmd(t, nil, "token", "-f", files, "sales-portal", "--var", "user=dave@corp.com")
	if code != 1 || !strings.Contains(errOut, "say permissions: none") {
		t.Errorf("dave without a server: exit %d, %s", code, errOut)
	}

	// --explain needs no server and prints no credential.
	code, out, errOut = runCmd(t, nil, "token", "-f", files, "sales-portal", "--var", "user=bob@corp.com", "--explain")
	if code != 0 || !strings.Contains(out, `"filterMap"`) || !strings.Contains(out, `data permission "华北" (bound to the user)`) {
		t.Errorf("explain: exit %d\n%s%s", code, out, errOut)
	}

	// --revoke reads the token from stdin.
	code, _, errOut = runCmdStdin(t, vars, got.Credential+"\n", "token", "-f", files, "sales-portal", "--revoke")
	if code != 0 || !sim.EmbedTokens()[0].Revoked {
		t.Errorf("revoke: exit %d, %s", code, errOut)
	}
	if strings.Contains(errOut, got.Credential) {
		t.Error("stderr holds the token")
	}
}

func TestTokenQuickBI(t *testing.T) {
	seed, err := quickbitest.ParseSeed([]byte(`
organization:
  name: 测试组织
  admin: {account: ops, nick: 运维管理员}
users:
  - {account: "ops:wangwu", nick: 王五, type: viewer}
workspaces:
  - id: ws-sales
    name: 销售分析
    datasets:
      - {id: cube-orders, name: 订单}
    works:
      - {id: works-board, name: 销售看板, type: PAGE, embedded: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := quickbitest.NewFromOptions(quickbitest.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	sim.Start()
	defer sim.Close()
	files := writeFile(t, `version: 1
provider: quickbi
users:
  - account: "ops:wangwu"
workspaces:
  - name: 销售分析
    datasets:
      - id: cube-orders
        rowLevel:
          enabled: true
          rules:
            - {name: 本人, users: ["ops:wangwu"], content: {a: 1}}
embeds:
  - {name: board, report: works-board, viewer: "${user}", expires: 30m}
`)
	vars := map[string]string{"PERMSYNC_SERVER": sim.URL(), "PERMSYNC_ACCESS_KEY_ID": sim.AccessKeyID(), "PERMSYNC_ACCESS_KEY_SECRET": sim.AccessKeySecret()}
	code, out, errOut := runCmd(t, vars, "token", "-f", files, "board", "--var", "user=ops:wangwu")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	line, _, _ := strings.Cut(out, "\n")
	ticket := strings.TrimPrefix(line, "ticket: ")
	tk := sim.Snapshot().Ticket(ticket)
	if tk == nil || tk.UserID != sim.Snapshot().User("ops:wangwu").UserID || tk.MaxUses != 1 || tk.Expires.Sub(tk.Registered).Minutes() != 30 {
		t.Fatalf("printed\n%s\nthe server holds %+v", out, tk)
	}
	code, _, errOut = runCmdStdin(t, vars, ticket, "token", "-f", files, "board", "--renew")
	if code != 0 || sim.Snapshot().Ticket(ticket).Expires.Sub(tk.Expires).Minutes() != 30 {
		t.Errorf("renew: exit %d, %s", code, errOut)
	}
}

// TestRunEmbedNeedsASecret: permsync run --embed refuses to start without
// PERMSYNC_EMBED_SECRET, and over a fixed Youdata token.
func TestRunEmbedNeedsASecret(t *testing.T) {
	files := writeFile(t, tokenFiles)
	base := []string{"run", "-f", files, "--schedule", "@every 1h", "--listen", "127.0.0.1:0", "--embed", "--server", "http://127.0.0.1:1"}
	code, _, errOut := runCmd(t, map[string]string{"PERMSYNC_TOKEN_KEY": "k"}, base...)
	if code != 1 || !strings.Contains(errOut, "PERMSYNC_EMBED_SECRET") {
		t.Errorf("no secret: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCmd(t, map[string]string{"PERMSYNC_TOKEN": "t", "PERMSYNC_EMBED_SECRET": "0123456789abcdef0123"}, base...)
	if code != 1 || !strings.Contains(errOut, "not a fixed token") {
		t.Errorf("fixed token: exit %d, %s", code, errOut)
	}
}
