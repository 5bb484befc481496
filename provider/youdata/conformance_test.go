package youdata_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/permsync/permsync/provider/providertest"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

// TestConformance runs the providers' conformance suite for Youdata
// against its simulator, seeded with the quickstart's "before" server and
// planned with the quickstart's files.
func TestConformance(t *testing.T) {
	h := providertest.Harness{New: newConformanceFixture}
	if testing.Short() {
		h.CrashPoints = []int{1, 5, 11, 17}
	}
	providertest.Run(t, h)
}

// youdataReads are the endpoints that only read.
var youdataReads = map[string]bool{"user/getAllUsers": true, "project/list": true, "projectUser/list": true,
	"role/list": true, "user/permissions": true, "systemRole/list": true, "util/genToken": true, "util/renewToken": true}

// faultyServer serves the simulator with the faults the suite asks for.
type faultyServer struct {
	sim *youdatatest.Server

	mu     sync.Mutex
	fault  providertest.ReadFault
	writes int
	crashN int // handle this many more writes, then crash; 0: off
	crash  func()
	dead   bool
}

func (f *faultyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep := strings.TrimPrefix(r.URL.Path, youdatatest.PathPrefix)
	f.mu.Lock()
	fault, dead := f.fault, f.dead
	f.mu.Unlock()
	if dead {
		http.Error(w, "the process that sent this is gone", http.StatusServiceUnavailable)
		return
	}
	if youdataReads[ep] {
		switch {
		case fault == providertest.ReadError && ep != "util/genToken":
			http.Error(w, "read failed", http.StatusInternalServerError)
			return
		case fault == providertest.ReadShort && ep == "projectUser/list":
			f.short(w, r)
			return
		case fault == providertest.ReadEndless && ep == "user/getAllUsers":
			endlessUsers(w, r)
			return
		}
		f.sim.Handler().ServeHTTP(w, r)
		return
	}
	f.sim.Handler().ServeHTTP(w, r)
	f.mu.Lock()
	f.writes++
	var crash func()
	if f.crashN > 0 {
		f.crashN--
		if f.crashN == 0 {
			f.dead, crash = true, f.crash
		}
	}
	f.mu.Unlock()
	if crash != nil {
		crash()
	}
}

// short answers a page of members with the total the server reports but
// none of the members.
func (f *faultyServer) short(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	f.sim.Handler().ServeHTTP(rec, r)
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err == nil {
		var res map[string]json.RawMessage
		if json.Unmarshal(env["result"], &res) == nil {
			res["list"] = json.RawMessage("[]")
			env["result"], _ = json.Marshal(res)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(env)
}

// endlessUsers answers every page of domain users with new users.
func endlessUsers(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	offset := r.URL.Query().Get("offset")
	b.WriteString(`{"code":200,"result":[`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"uniqueId":"u-%s-%d"}`, i+1, offset, i)
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

func newConformanceFixture(t *testing.T) *providertest.Fixture {
	seed, err := youdatatest.LoadSeed(filepath.Join("..", "..", "examples", "quickstart", "server-before.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := youdatatest.NewFromOptions(youdatatest.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	fs := &faultyServer{sim: sim}
	ts := httptest.NewServer(fs)
	t.Cleanup(ts.Close)
	client, err := apiclient.New(apiclient.Config{
		Server:      ts.URL,
		Credentials: apiclient.Credentials{Token: sim.Token()},
		RPS:         -1,
		Retry:       apiclient.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	desired, err := spec.Load([]string{filepath.Join("..", "..", "examples", "quickstart", "desired")})
	if err != nil {
		t.Fatal(err)
	}
	sales := sim.Snapshot().ProjectByName("销售分析")
	return &providertest.Fixture{
		Provider:  youdata.New(youdata.Config{API: client, Read: youdata.ReadOptions{MaxListObjects: 2000}}),
		Desired:   desired,
		TokenUser: sim.TokenUser(),
		Snapshot:  func() any { return sim.Snapshot().Image() },
		FailReads: func(rf providertest.ReadFault) {
			fs.mu.Lock()
			fs.fault = rf
			fs.mu.Unlock()
		},
		CrashAfter: func(n int, crash func()) {
			fs.mu.Lock()
			fs.crashN, fs.crash = n, crash
			fs.mu.Unlock()
		},
		Writes: func() int {
			fs.mu.Lock()
			defer fs.mu.Unlock()
			return fs.writes
		},
		ClearFaults: func() {
			fs.mu.Lock()
			fs.fault, fs.crashN, fs.crash, fs.dead = 0, 0, nil, false
			fs.mu.Unlock()
		},
		Missing: func(ctx context.Context) error {
			return client.DeleteGroups(ctx, apiclient.GroupDelsRequest{ProjectID: sales.ID, Path: []string{"没有这个组"}})
		},
		Taken: func(ctx context.Context) error {
			g := sales.Groups[firstKey(sales.Groups)]
			folder := []string{}
			if g.Folder != "" {
				folder = []string{g.Folder}
			}
			_, err := client.AddGroup(ctx, apiclient.GroupAddRequest{ProjectID: sales.ID, Title: g.Name, Path: folder, Category: "editor"})
			return err
		},
	}
}

func firstKey[V any](m map[int64]V) int64 {
	var best int64
	first := true
	for k := range m {
		if first || k < best {
			best, first = k, false
		}
	}
	return best
}
