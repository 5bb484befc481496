package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Check values computed apart from this code (Python's hmac and base64)
// for the robots' documented signing schemes.
func TestSignatures(t *testing.T) {
	const secret = "SEC0123456789abcdef"
	if got, want := DingTalkSign("1764771930000", secret), "jZFwhsFL9XNsTa1WmymncVwkILJJ5ldH57Or57I+4X4="; got != want {
		t.Errorf("DingTalkSign = %q, want %q", got, want)
	}
	if got, want := FeishuSign("1764771930", secret), "PfFyXS9MUSLdZfN8HZ/aikdfOhQWyesO200wN/LPm9k="; got != want {
		t.Errorf("FeishuSign = %q, want %q", got, want)
	}
}

type received struct {
	query url.Values
	body  map[string]any
}

func robot(t *testing.T, answer string) (*httptest.Server, *[]received) {
	t.Helper()
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		got = append(got, received{query: r.URL.Query(), body: m})
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

var event = Event{Kind: Drift, RunID: "20261203T142530Z-3f9a1c", Server: "https://bi.example.com", Mode: "apply", Result: "success",
	Planned: map[string]int{"user create": 2, "role update": 1}, Applied: 3, Refusals: []string{}}

func TestFormats(t *testing.T) {
	clock := func() time.Time { return time.UnixMilli(1764771930000) }
	for _, tc := range []struct {
		format Format
		secret string
		check  func(t *testing.T, r received)
	}{
		{format: Generic, check: func(t *testing.T, r received) {
			if r.body["kind"] != "drift" || r.body["run_id"] != event.RunID || r.body["changes_applied"] != 3.0 {
				t.Errorf("generic body %v", r.body)
			}
		}},
		{format: Slack, check: func(t *testing.T, r received) {
			if text, _ := r.body["text"].(string); !strings.Contains(text, "drift repaired on https://bi.example.com (3 change(s) applied)") || !strings.Contains(text, "role update 1, user create 2") {
				t.Errorf("slack body %v", r.body)
			}
		}},
		{format: WeCom, check: func(t *testing.T, r received) {
			md, _ := r.body["markdown"].(map[string]any)
			if r.body["msgtype"] != "markdown" || !strings.Contains(md["content"].(string), event.RunID) {
				t.Errorf("wecom body %v", r.body)
			}
		}},
		{format: DingTalk, secret: "SEC0123456789abcdef", check: func(t *testing.T, r received) {
			md, _ := r.body["markdown"].(map[string]any)
			if r.body["msgtype"] != "markdown" || md["title"] == "" || !strings.Contains(md["text"].(string), event.RunID) {
				t.Errorf("dingtalk body %v", r.body)
			}
			if r.query.Get("access_token") != "t0ken" || r.query.Get("timestamp") != "1764771930000" || r.query.Get("sign") != "jZFwhsFL9XNsTa1WmymncVwkILJJ5ldH57Or57I+4X4=" {
				t.Errorf("dingtalk query %v", r.query)
			}
		}},
		{format: Feishu, secret: "SEC0123456789abcdef", check: func(t *testing.T, r received) {
			content, _ := r.body["content"].(map[string]any)
			if r.body["msg_type"] != "text" || !strings.Contains(content["text"].(string), event.RunID) ||
				r.body["timestamp"] != "1764771930" || r.body["sign"] != "PfFyXS9MUSLdZfN8HZ/aikdfOhQWyesO200wN/LPm9k=" {
				t.Errorf("feishu body %v", r.body)
			}
		}},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			srv, got := robot(t, `{"errcode":0,"code":0}`)
			w := &Webhook{URL: srv.URL + "/robot/send?access_token=t0ken", Format: tc.format, Secret: tc.secret, Now: clock}
			if err := w.Notify(context.Background(), event); err != nil {
				t.Fatal(err)
			}
			if len(*got) != 1 {
				t.Fatalf("%d posts", len(*got))
			}
			tc.check(t, (*got)[0])
		})
	}
}

// A robot's refusal (HTTP 200, an error code) and a dead URL are errors
// that do not quote the URL: it holds the robot's token.
func TestErrorsKeepTheURLOut(t *testing.T) {
	srv, _ := robot(t, `{"errcode":310000,"errmsg":"sign not match"}`)
	w := &Webhook{URL: srv.URL + "/robot/send?access_token=t0ken", Format: DingTalk}
	err := w.Notify(context.Background(), event)
	if err == nil || !strings.Contains(err.Error(), "errcode 310000: sign not match") || strings.Contains(err.Error(), "t0ken") {
		t.Errorf("err = %v", err)
	}
	dead := &Webhook{URL: "http://127.0.0.1:1/hook?token=t0ken", Format: Generic}
	err = dead.Notify(context.Background(), event)
	if err == nil || strings.Contains(err.Error(), "t0ken") {
		t.Errorf("err = %v", err)
	}
	srv500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv500.Close()
	err = (&Webhook{URL: srv500.URL + "/?key=t0ken", Format: WeCom}).Notify(context.Background(), event)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || strings.Contains(err.Error(), "t0ken") {
		t.Errorf("err = %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := ParseFormat("lark"); err != nil || f != Feishu {
		t.Errorf("lark: %v %v", f, err)
	}
	if _, err := ParseFormat("teams"); err == nil || !strings.Contains(err.Error(), "generic, dingtalk, feishu, wecom, slack") {
		t.Errorf("teams: %v", err)
	}
}
