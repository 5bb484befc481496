package drill

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

// embedDrillFiles: a project with one row permission and an embed
// profile over it.
const embedDrillFiles = `version: 1
users:
  - uniqueId: bob@corp.com
  - uniqueId: dave@corp.com
projects:
  - name: 销售
    members:
      - {user: bob@corp.com}
      - {user: dave@corp.com}
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
  - {name: sales-portal, report: "7001", project: 销售, viewer: "${user}", expires: 10m}
`

const secretEmbed = "SECRETEMBED9b7c5a3e1f0d"

// TestDrill7EmbedSecrets: the embed credentials permsync mints (permsync
// token, its --explain, --revoke and --renew, and the endpoint of run
// --embed) appear where they are asked for (the token command's stdout,
// the endpoint's answer) and nowhere else: not on stderr with
// --debug-http, not in the service's logs (text or JSON), /metrics,
// /readyz, the state or any file written; neither do the token key, the
// password or the endpoint's secret.
func TestDrill7EmbedSecrets(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	files := filepath.Join(dir, "desired", "files.yaml")
	writeFile(t, files, embedDrillFiles)
	seed := &youdatatest.Seed{Users: []youdatatest.SeedUser{{UniqueID: "bob@corp.com"}, {UniqueID: "dave@corp.com"}},
		Projects: []youdatatest.SeedProject{{ID: 7, Name: "销售"}}}
	sim := youdatatest.New(youdatatest.Options{Seed: seed, Token: secretToken, TokenKey: secretKey, Email: "admin@example.com", Password: secretPassword})
	defer sim.Close()
	creds := map[string][]string{
		"tokenKey": {"PERMSYNC_TOKEN_KEY=" + secretKey},
		"password": {"PERMSYNC_EMAIL=admin@example.com", "PERMSYNC_PASSWORD=" + secretPassword},
	}
	type output struct{ where, text string }
	var outs []output           // every output but the ones meant to carry a credential
	var carriers []output       // the token command's stdout, the endpoint's answers
	minted := map[string]bool{} // credentials printed
	srv := []string{"--server", sim.URL(), "--debug-http", "--rps", "0"}
	for cname, env := range creds {
		r := runBin(t, env, append([]string{"token", "-f", files, "sales-portal", "--var", "user=bob@corp.com", "-o", "json"}, srv...)...)
		if r.code != 0 {
			t.Fatalf("%s token: %s", cname, r)
		}
		var got struct{ Credential string }
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Credential == "" {
			t.Fatalf("%s token printed no credential: %v\n%s", cname, err, r)
		}
		minted[got.Credential] = true
		carriers = append(carriers, output{cname + " token stdout", r.stdout})
		outs = append(outs, output{cname + " token stderr", r.stderr})
		if !strings.Contains(r.stderr, "util/genToken") {
			t.Errorf("%s token: --debug-http traced nothing, so the drill checks nothing:\n%s", cname, r.stderr)
		}

		r = runBin(t, env, "token", "-f", files, "sales-portal", "--var", "user=bob@corp.com", "--explain")
		outs = append(outs, output{cname + " token --explain stdout", r.stdout}, output{cname + " token --explain stderr", r.stderr})
		r = runBin(t, env, append([]string{"token", "-f", files, "sales-portal", "--var", "user=dave@corp.com"}, srv...)...)
		if r.code == 0 {
			t.Errorf("%s: a viewer without permissions got a token", cname)
		}
		outs = append(outs, output{cname + " refused token", r.stdout + r.stderr})
		for _, op := range []string{"--renew", "--revoke"} {
			cmd := binCmd(env, append([]string{"token", "-f", files, "sales-portal", op}, srv...)...)
			cmd.Stdin = strings.NewReader(got.Credential + "\n")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%s token %s: %v\n%s", cname, op, err, out)
			}
			outs = append(outs, output{cname + " token " + op, string(out)})
		}
	}

	// The endpoint: JSON logs, with the secret; one credential, refusals.
	stPath := filepath.Join(dir, "state", "state.json")
	c := startChild(t, append(creds["tokenKey"], "PERMSYNC_EMBED_SECRET="+secretEmbed),
		runArgs(filepath.Dir(files), sim.URL(), stPath, "--embed", "--mode", "plan", "--debug-http")...)
	addr, _ := c.waitRecord(t, "serving /healthz, /readyz and /metrics", 1)["addr"].(string)
	c.waitRecord(t, "run finished", 1)
	post := func(auth, body string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/embed/sales-portal", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, bad := range []struct {
		auth, body string
		want       int
	}{{"", `{"user": "bob@corp.com"}`, 401}, {"wrong-wrong-wrong-wrong", `{"user": "bob@corp.com"}`, 401},
		{secretEmbed, `{"user": "mallory@corp.com"}`, 404}, {secretEmbed, `{"user": "dave@corp.com"}`, 403}} {
		code, body := post(bad.auth, bad.body)
		if code != bad.want {
			t.Errorf("POST %s: %d %s, want %d", bad.body, code, body, bad.want)
		}
		outs = append(outs, output{"endpoint refusal answer", body})
	}
	code, body := post(secretEmbed, `{"user": "bob@corp.com"}`)
	var ans struct{ Credential string }
	if code != 200 || json.Unmarshal([]byte(body), &ans) != nil || ans.Credential == "" {
		t.Fatalf("endpoint: %d %s\n%s", code, body, c)
	}
	minted[ans.Credential] = true
	carriers = append(carriers, output{"endpoint answer", body})
	c.waitRecord(t, "embed credential issued", 1)
	for _, p := range []string{"/metrics", "/readyz", "/healthz"} {
		_, b := httpGet(t, addr, p)
		outs = append(outs, output{p, b})
	}
	if code := c.terminate(t); code != 0 {
		t.Errorf("run --embed ended with %d\n%s", code, c)
	}
	outs = append(outs, output{"run --embed stderr", c.stderr.String()}, output{"run --embed stdout", c.stdout.String()})

	for _, tok := range sim.EmbedTokens() {
		if tok.UseType == "" && !minted[tok.Token] {
			t.Errorf("the server issued a token no output carried: the drill lost track")
		}
	}
	// Every file written.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		outs = append(outs, output{p, string(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{secretEmbed}, secrets...)
	for tok := range minted {
		all = append(all, tok)
	}
	leaked := 0
	for _, o := range outs {
		for _, s := range all {
			if strings.Contains(o.text, s) {
				leaked++
				t.Errorf("%s holds a secret (%s...)", o.where, s[:6])
			}
		}
	}
	for _, o := range carriers {
		for _, s := range append([]string{secretEmbed}, secrets...) {
			if strings.Contains(o.text, s) {
				leaked++
				t.Errorf("%s holds a credential of permsync's own (%s...)", o.where, s[:6])
			}
		}
	}
	t.Logf("embed secrets: %d outputs and files searched for %d secrets (%d minted credentials), %d leaks", len(outs), len(all), len(minted), leaked)
}
