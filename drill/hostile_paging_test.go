package drill

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// TestDrill5EndlessPagingAtDefaults: at the default limits, a server whose
// user list never ends (every page a thousand new users) stops at
// reconcile.DefaultMaxListObjects users, in as many pages, with bounded
// memory; nothing is returned to plan from.
func TestDrill5EndlessPagingAtDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200,000 users")
	}
	var calls atomic.Int64
	ts := httptest.NewServer(hostile("user/getAllUsers", endlessPages(func(w http.ResponseWriter, off, lim int) {
		calls.Add(1)
		fmt.Fprint(w, `{"code":200,"result":[`)
		for i := 0; i < lim; i++ {
			if i > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"id":%d,"uniqueId":"u%09d@corp.example","email":"u%09d@corp.example","nick":"n"}`, off+i+1, off+i, off+i)
		}
		fmt.Fprint(w, `]}`)
	})))
	defer ts.Close()
	c, err := apiclient.New(apiclient.Config{Server: ts.URL, Credentials: apiclient.Credentials{Token: hostileToken}, RPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	live, err := youdata.ReadLive(ctx, c, []youdata.ProjectRef{{Name: "P"}}, youdata.ReadOptions{})
	runtime.ReadMemStats(&m1)
	var rl *youdata.ReadLimitError
	if live != nil || !errors.As(err, &rl) || rl.Setting != "max-list-objects" || rl.Endpoint != "user/getAllUsers" {
		t.Fatalf("live %v, err %v: want no result and the listing limit of user/getAllUsers", live != nil, err)
	}
	if ctx.Err() != nil {
		t.Fatal("the read ran until the drill's deadline")
	}
	want := int64(youdata.DefaultMaxListObjects/1000 + 1)
	if n := calls.Load(); n > want {
		t.Errorf("%d pages, want at most %d", n, want)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 512<<20 {
		t.Errorf("the read allocated %d MiB", alloc>>20)
	}
	t.Logf("%v (%d pages, allocated %d MiB)", err, calls.Load(), (m1.TotalAlloc-m0.TotalAlloc)>>20)
}

// TestDrill5RetryAfterHonoured: a Retry-After within the retry budget is
// waited for before the call is made again, and the read then succeeds.
// The server checks that the second request did not come before the time
// it gave (a lower bound only: a slow machine cannot break it).
func TestDrill5RetryAfterHonoured(t *testing.T) {
	var mu sync.Mutex
	var first time.Time
	var early []time.Duration
	n := 0
	ts := httptest.NewServer(hostile("user/getAllUsers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		n++
		k := n
		if k == 1 {
			first = time.Now()
		} else if d := time.Since(first); d < time.Second {
			early = append(early, d)
		}
		mu.Unlock()
		switch {
		case k == 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"code":429,"message":"slow down"}`)
		case r.URL.Query().Get("offset") == "0":
			fmt.Fprint(w, `{"code":200,"result":[{"id":1,"uniqueId":"admin"}]}`)
		default:
			fmt.Fprint(w, `{"code":200,"result":[]}`)
		}
	}))
	defer ts.Close()
	var retries atomic.Int32
	c, err := apiclient.New(apiclient.Config{Server: ts.URL, Credentials: apiclient.Credentials{Token: hostileToken}, RPS: -1,
		Logf: func(format string, args ...any) {
			if strings.Contains(fmt.Sprintf(format, args...), "retrying in 1s") {
				retries.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	live, err := youdata.ReadLive(ctx, c, []youdata.ProjectRef{{Name: "P"}}, youdata.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := live.Users["admin"]; !ok || !live.Projects["P"].Read {
		t.Errorf("the read after the wait is incomplete: %+v", live)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(early) > 0 {
		t.Errorf("user/getAllUsers was called again %v after a Retry-After of 1s", early)
	}
	if n != 3 || retries.Load() != 1 {
		t.Errorf("%d calls to user/getAllUsers and %d retries logged as waiting 1s, want 3 and 1", n, retries.Load())
	}
}
