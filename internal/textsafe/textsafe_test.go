package textsafe

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// Hostile is text a hostile server may send: a screen clear, a forged
// line, GitHub and Azure workflow commands, a bidirectional override, a
// C1 CSI, a bell.
const Hostile = "\x1b[2J\x1b[H\rApply complete: 0 failed\n::error::forged\r\n##vso[task.setvariable variable=TOKEN]x\n  ::add-mask::y ##[warning]z \u202eevil\u009b2J\x07\x7f\u2028end"

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"plain text: code 500, 对应的项目不存在 (log: http://x/log/1)", "plain text: code 500, 对应的项目不存在 (log: http://x/log/1)"},
		{"a::b ## c #[d] ::", "a::b ## c #[d] ::"},
		{"\x1b[31mred", `\u001b[31mred`},
		{"one\r\ntwo\tthree", `one\r\ntwo\tthree`},
		{"::error::x", `\u003a:error::x`},
		{"  \u3000::warning file=a::x", "  \u3000\\u003a:warning file=a::x"},
		{"\t::error::x", `\t::error::x`},
		{"x ::error::y", "x ::error::y"},
		{"##vso[task.setvariable variable=a]b", `\u0023#vso[task.setvariable variable=a]b`},
		{"x ##VSO[task.complete]", `x \u0023#VSO[task.complete]`},
		{"###[group]", `#\u0023#[group]`},
		{"evil\u202e@corp\u2066", `evil\u202e@corp\u2066`},
		{"csi\u009b2J del\x7f", `csi\u009b2J del\u007f`},
		{"sep\u2028x", `sep\u2028x`},
	} {
		if got := Line(c.in); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := Line(Hostile)
	if strings.Contains(got, "\n") {
		t.Errorf("Line kept a line feed: %q", got)
	}
	for _, b := range Unsafe(got) {
		t.Errorf("Line(Hostile): %s", b)
	}
	if Line(got) != got {
		t.Errorf("Line is not idempotent: %q then %q", got, Line(got))
	}
}

func TestText(t *testing.T) {
	if got, want := Text("apply refused, nothing was written:\n  - a\n  - b"), "apply refused, nothing was written:\n  - a\n  - b"; got != want {
		t.Errorf("Text changed ordinary lines: %q", got)
	}
	got := Text(Hostile)
	if n := strings.Count(got, "\n"); n != strings.Count(Hostile, "\n") {
		t.Errorf("Text kept %d line feeds of %d: %q", n, strings.Count(Hostile, "\n"), got)
	}
	for _, b := range Unsafe(got) {
		t.Errorf("Text(Hostile): %s", b)
	}
}

func TestJSON(t *testing.T) {
	v := map[string]any{"message": Hostile, "plain": "对应的项目不存在 ## #[x] a::b"}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := JSON(buf.Bytes())
	for _, b := range Unsafe(string(got)) {
		t.Errorf("JSON: %s", b)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("JSON made invalid JSON: %v\n%s", err, got)
	}
	if back["message"] != Hostile || back["plain"] != v["plain"] {
		t.Errorf("JSON changed the strings: %q", back)
	}
	plain := []byte(`{"a": "对应的项目不存在 ## #[x] a::b"}`)
	if got := JSON(plain); !bytes.Equal(got, plain) {
		t.Errorf("JSON changed ordinary JSON: %s", got)
	}
}

type stringer struct{}

func (stringer) String() string { return "##[error]s" }

type hostileErr struct{}

func (hostileErr) Error() string { return "code 500: \x1b[2J\n::error::e" }

func TestHandler(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if format == "json" {
			h = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(NewHandler(h)).With("server", "##vso[x]")
		log.WithGroup("g").Warn("run finished\n::error::msg", "error", Hostile, "err", hostileErr{}, "s", stringer{},
			"reasons", []string{"ok", "\r##[x]"}, slog.Group("sub", "key", "\x1b]0;title\x07"), "n", 3)
		out := buf.String()
		if strings.Count(out, "\n") != 1 {
			t.Errorf("%s: not one line: %q", format, out)
		}
		for _, b := range Unsafe(out) {
			t.Errorf("%s: %s", format, b)
		}
		if format == "json" {
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("json: %v: %s", err, out)
			}
			g, _ := rec["g"].(map[string]any)
			if g == nil || g["n"] != 3.0 || g["error"] != Line(Hostile) {
				t.Errorf("json: record %v", rec)
			}
			// What jq -r would print is safe too.
			for _, b := range Unsafe(g["error"].(string)) {
				t.Errorf("json decoded: %s", b)
			}
		}
	}
}

// TestUnsafeFinds: the checker the other tests rely on finds each thing it
// looks for.
func TestUnsafeFinds(t *testing.T) {
	for _, s := range []string{"a\x1b[2Jb", "a\rb", "x\u202ey", "x\u009by", "ok\n  ::error::x", "ok ##vso[task.complete]", "##[group]"} {
		if len(Unsafe(s)) == 0 {
			t.Errorf("Unsafe(%q) found nothing", s)
		}
	}
	if bad := Unsafe("ok: a::b ## c\n\tindented\n"); len(bad) > 0 {
		t.Errorf("Unsafe flags ordinary text: %v", bad)
	}
}
