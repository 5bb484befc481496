package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	qbclient "github.com/permsync/permsync/provider/quickbi/apiclient"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSimServes(t *testing.T) {
	seed := filepath.Join("..", "..", "examples", "quickstart", "server-before.yaml")
	var stdout, stderr lockedBuffer
	env := &cmdEnv{stdin: bytes.NewReader(nil), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, env, []string{"sim", "--addr", "127.0.0.1:0", "--seed", seed, "--token", "sim-token"})
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("sim exited %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("sim did not stop")
		}
	}()

	re := regexp.MustCompile(`export PERMSYNC_SERVER=(\S+)\nexport PERMSYNC_TOKEN=(\S+)\n`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; {
		select {
		case code := <-done:
			t.Fatalf("sim exited %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q", stdout.String())
		}
		m = re.FindStringSubmatch(stdout.String())
		time.Sleep(10 * time.Millisecond)
	}
	if m[2] != "sim-token" {
		t.Fatalf("printed token %q, want the one given", m[2])
	}

	getUsers := func(query string) (int, map[string]json.RawMessage) {
		resp, err := http.Get(m[1] + "/api/dash/user/getAllUsers" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("answer is not the JSON envelope: %s", body)
		}
		return resp.StatusCode, env
	}
	status, env1 := getUsers("?token=sim-token&offset=0&limit=100")
	var users []struct {
		UniqueID string `json:"uniqueId"`
	}
	if status != http.StatusOK || string(env1["code"]) != "200" || json.Unmarshal(env1["result"], &users) != nil || len(users) == 0 {
		t.Fatalf("with token: HTTP %d %v", status, env1)
	}
	_, env2 := getUsers("")
	if string(env2["code"]) != "401" || env2["result"] != nil {
		t.Fatalf("without token: %v, want code 401", env2)
	}
}

func TestSimBadSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(path, []byte("userz: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	env := &cmdEnv{stdin: bytes.NewReader(nil), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	if code := runMain(context.Background(), env, []string{"sim", "--addr", "127.0.0.1:0", "--seed", path}); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if !bytes.Contains([]byte(stderr.String()), []byte(path)) {
		t.Fatalf("stderr does not name the seed: %s", stderr.String())
	}
}

func TestSimAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr lockedBuffer
	env := &cmdEnv{stdin: bytes.NewReader(nil), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	if code := runMain(context.Background(), env, []string{"sim", "--addr", ln.Addr().String()}); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if msg := stderr.String(); !strings.Contains(msg, ln.Addr().String()) || !strings.Contains(msg, "--addr") {
		t.Fatalf("stderr does not name the address and the way out: %s", msg)
	}
}

// TestSimServesQuickBI: `permsync sim --provider quickbi` serves the Quick
// BI simulator and prints the access key it accepts; a request the Quick
// BI client signs with that key is answered, one signed with another
// secret is refused.
func TestSimServesQuickBI(t *testing.T) {
	seed := filepath.Join("..", "..", "provider", "quickbi", "quickbitest", "testdata", "example.yaml")
	var stdout, stderr lockedBuffer
	env := &cmdEnv{stdin: bytes.NewReader(nil), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, env, []string{"sim", "--provider", "quickbi", "--addr", "127.0.0.1:0", "--seed", seed})
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("sim exited %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("sim did not stop")
		}
	}()
	re := regexp.MustCompile(`export PERMSYNC_SERVER=(\S+)\nexport PERMSYNC_ACCESS_KEY_ID=(\S+)\nexport PERMSYNC_ACCESS_KEY_SECRET=(\S+)\n`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; {
		select {
		case code := <-done:
			t.Fatalf("sim exited %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q", stdout.String())
		}
		m = re.FindStringSubmatch(stdout.String())
		time.Sleep(10 * time.Millisecond)
	}
	list := func(secret string) error {
		c, err := qbclient.New(qbclient.Config{Server: m[1],
			Credentials: qbclient.Credentials{AccessKeyID: m[2], AccessKeySecret: secret},
			Retry:       qbclient.RetryPolicy{MaxAttempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.QueryUserTagMetaList(context.Background())
		return err
	}
	if err := list(m[3]); err != nil {
		t.Errorf("a request signed with the printed key: %v", err)
	}
	if err := list(m[3] + "x"); err == nil || !strings.Contains(err.Error(), "Signature") {
		t.Errorf("a request signed with another secret: %v, want a signature error", err)
	}
}
