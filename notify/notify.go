// Package notify sends permsync's notifications — drift found or
// repaired, a plan refused, a run failed — to a webhook: permsync's own
// JSON (generic), or the message formats of DingTalk, Feishu/Lark, WeCom
// and Slack robots. The webhook's URL (which holds its token) and signing
// secret come from the environment or a file and never appear in an
// error or a log line.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is what a notification is about.
type Kind string

// Kinds of notifications.
const (
	// Drift: the server differed from the files (in apply mode, the
	// run repaired it).
	Drift Kind = "drift"
	// Refusal: the plan has refusals and was not applied.
	Refusal Kind = "refusal"
	// Failure: the run failed, timed out or was interrupted.
	Failure Kind = "failure"
)

// Kinds lists every kind.
var Kinds = []Kind{Drift, Refusal, Failure}

// Event is one notification. Its JSON (the generic format) is a
// contract (docs/run.md): new fields may appear.
type Event struct {
	Kind   Kind      `json:"kind"`
	RunID  string    `json:"run_id"`
	Time   time.Time `json:"time"`
	Server string    `json:"server"`
	Mode   string    `json:"mode"`
	Result string    `json:"result"`
	// Planned counts the plan's changes per "kind action"
	// ("user create": 3).
	Planned  map[string]int `json:"planned"`
	Applied  int            `json:"changes_applied"`
	Failed   int            `json:"changes_failed"`
	Refusals []string       `json:"refusals"`
	Error    string         `json:"error,omitempty"`
}

// Title is the event's one-line summary.
func (e Event) Title() string {
	switch e.Kind {
	case Refusal:
		return fmt.Sprintf("permsync: plan refused on %s (nothing applied)", e.Server)
	case Failure:
		return fmt.Sprintf("permsync: run %s on %s", e.Result, e.Server)
	}
	if e.Mode == "apply" {
		return fmt.Sprintf("permsync: drift repaired on %s (%d change(s) applied)", e.Server, e.Applied)
	}
	return fmt.Sprintf("permsync: drift found on %s (%d change(s) to apply)", e.Server, total(e.Planned))
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Text is the event as a few lines of Markdown, for the robots' formats.
func (e Event) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n", e.Title())
	fmt.Fprintf(&b, "- run: %s (%s mode), result %s\n", e.RunID, e.Mode, e.Result)
	if len(e.Planned) > 0 {
		keys := make([]string, 0, len(e.Planned))
		for k := range e.Planned {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, e.Planned[k])
		}
		fmt.Fprintf(&b, "- planned: %s\n", strings.Join(parts, ", "))
	}
	if e.Applied+e.Failed > 0 {
		fmt.Fprintf(&b, "- applied %d, failed %d\n", e.Applied, e.Failed)
	}
	for _, r := range e.Refusals {
		fmt.Fprintf(&b, "- refused: %s\n", r)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "- error: %s\n", e.Error)
	}
	return b.String()
}

// Format is a webhook's message format.
type Format string

// Formats.
const (
	Generic  Format = "generic"
	DingTalk Format = "dingtalk"
	Feishu   Format = "feishu" // Feishu and Lark
	WeCom    Format = "wecom"
	Slack    Format = "slack"
)

// Formats lists every format.
var Formats = []Format{Generic, DingTalk, Feishu, WeCom, Slack}

// ParseFormat parses a format name; "lark" is Feishu's.
func ParseFormat(s string) (Format, error) {
	if s == "lark" {
		return Feishu, nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("notification format %q: want one of %s (or lark)", s, strings.Join(names, ", "))
}

// Webhook posts events to a URL.
type Webhook struct {
	URL    string
	Format Format
	// Secret signs DingTalk's and Feishu's messages (their robots' "加签"
	// / signature verification); empty: unsigned.
	Secret string
	// Client sends the requests (default: a client with a 10 s timeout).
	Client *http.Client
	// Now is the clock of the signatures (default time.Now).
	Now func() time.Time
}

// Notify posts one event, once; the caller decides on retries. The error
// never holds the URL (its path and query are the robot's token).
func (w *Webhook) Notify(ctx context.Context, e Event) error {
	u, body, err := w.request(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify %s: %w", w.Format, redact(err, u))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "permsync")
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("notify %s: %w", w.Format, redact(err, u))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("notify %s: HTTP %d from the webhook", w.Format, resp.StatusCode)
	}
	return checkAnswer(w.Format, answer)
}

// request is the URL and body of an event's post.
func (w *Webhook) request(e Event) (string, []byte, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	u := w.URL
	var msg any
	switch w.Format {
	case Generic, "":
		msg = e
	case Slack:
		msg = map[string]any{"text": e.Text()}
	case WeCom:
		msg = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": e.Text()}}
	case DingTalk:
		msg = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": e.Title(), "text": e.Text()}}
		if w.Secret != "" {
			ts := strconv.FormatInt(now().UnixMilli(), 10)
			parsed, err := url.Parse(u)
			if err != nil {
				return "", nil, errors.New("notify dingtalk: the webhook URL does not parse")
			}
			q := parsed.Query()
			q.Set("timestamp", ts)
			q.Set("sign", DingTalkSign(ts, w.Secret))
			parsed.RawQuery = q.Encode()
			u = parsed.String()
		}
	case Feishu:
		m := map[string]any{"msg_type": "text", "content": map[string]any{"text": e.Title() + "\n" + e.Text()}}
		if w.Secret != "" {
			ts := strconv.FormatInt(now().Unix(), 10)
			m["timestamp"], m["sign"] = ts, FeishuSign(ts, w.Secret)
		}
		msg = m
	default:
		return "", nil, fmt.Errorf("notify: unknown format %q", w.Format)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return "", nil, fmt.Errorf("notify %s: encode: %w", w.Format, err)
	}
	return u, body, nil
}

// DingTalkSign is a DingTalk robot's signature: base64 of the
// HMAC-SHA256, keyed by the secret, of "timestamp\nsecret" (the
// timestamp in milliseconds); url.Values encodes it into the query.
func DingTalkSign(timestamp, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// FeishuSign is a Feishu/Lark robot's signature: base64 of the
// HMAC-SHA256 of an empty message keyed by "timestamp\nsecret" (the
// timestamp in seconds).
func FeishuSign(timestamp, secret string) string {
	m := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// checkAnswer reads a robot's answer: they answer HTTP 200 with an error
// code in the body.
func checkAnswer(f Format, body []byte) error {
	var a struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		Code    *int   `json:"code"`
		Msg     string `json:"msg"`
	}
	switch f {
	case DingTalk, WeCom:
		if json.Unmarshal(body, &a) == nil && a.ErrCode != nil && *a.ErrCode != 0 {
			return fmt.Errorf("notify %s: the robot refused the message: errcode %d: %s", f, *a.ErrCode, a.ErrMsg)
		}
	case Feishu:
		if json.Unmarshal(body, &a) == nil && a.Code != nil && *a.Code != 0 {
			return fmt.Errorf("notify %s: the robot refused the message: code %d: %s", f, *a.Code, a.Msg)
		}
	}
	return nil
}

// redact removes the URL from an error of net/http, which quotes it.
func redact(err error, u string) error {
	msg := err.Error()
	if u != "" {
		msg = strings.ReplaceAll(msg, u, "<webhook URL>")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = strings.ReplaceAll(msg, ue.URL, "<webhook URL>")
		if ue.Err != nil {
			return fmt.Errorf("%s <webhook URL>: %s", ue.Op, strings.ReplaceAll(ue.Err.Error(), u, "<webhook URL>"))
		}
	}
	return errors.New(msg)
}
