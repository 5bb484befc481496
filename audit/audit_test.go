package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
)

func TestLogWritesAppliedAndFailedOnly(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, "apply")
	l.Now = func() time.Time { return time.Date(2026, 12, 3, 14, 25, 30, 0, time.FixedZone("CST", 8*3600)) }
	var after plan.Attrs
	after.Set("nick", "李娜")
	l.Change("run-1", engine.ChangeResult{Change: plan.Change{Action: plan.Create, Kind: "user", Key: "li.na@example.com", After: after, Source: "people.yaml:4"}, Status: engine.StatusApplied})
	l.Change("run-1", engine.ChangeResult{Change: plan.Change{Action: plan.Update, Kind: "role", Key: "P/f/R"}, Status: engine.StatusFailed, Err: errors.New("youdata role/update: code 400: 角色不存在")})
	l.Change("run-1", engine.ChangeResult{Change: plan.Change{Action: plan.Update, Kind: "role", Key: "P/f/S"}, Status: engine.StatusSkipped, Reason: "depends on a failed change"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, m)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (the skipped change sent nothing)", len(recs))
	}
	r := recs[0]
	if r["time"] != "2026-12-03T06:25:30Z" || r["run_id"] != "run-1" || r["command"] != "apply" || r["address"] != "user li.na@example.com" ||
		r["action"] != "create" || r["result"] != "applied" || r["source"] != "people.yaml:4" {
		t.Errorf("record %v", r)
	}
	if a, _ := r["after"].(map[string]any); a["nick"] != "李娜" {
		t.Errorf("after %v", r["after"])
	}
	if recs[1]["result"] != "failed" || recs[1]["error"] != "youdata role/update: code 400: 角色不存在" {
		t.Errorf("record %v", recs[1])
	}
}

func TestOpenAppendsPrivately(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for i := 0; i < 2; i++ {
		l, err := Open(path, "run")
		if err != nil {
			t.Fatal(err)
		}
		l.Change("r", engine.ChangeResult{Change: plan.Change{Action: plan.Delete, Kind: "user", Key: "a"}, Status: engine.StatusApplied})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 2 {
		t.Errorf("%d lines after two opens, want 2 (appended)", n)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrIsKept(t *testing.T) {
	l := New(failingWriter{}, "apply")
	l.Change("r", engine.ChangeResult{Change: plan.Change{Action: plan.Create, Kind: "user", Key: "a"}, Status: engine.StatusApplied})
	if err := l.Err(); err == nil || !regexp.MustCompile(`audit log: write user a: disk full`).MatchString(err.Error()) {
		t.Errorf("Err = %v", err)
	}
	if n, err := l.Missed(); n != 1 || err == nil {
		t.Errorf("Missed = %d, %v after one failed record", n, err)
	}
	l.Change("r", engine.ChangeResult{Change: plan.Change{Action: plan.Create, Kind: "user", Key: "b"}, Status: engine.StatusApplied})
	if n, err := l.Missed(); n != 2 || !regexp.MustCompile(`write user b`).MatchString(err.Error()) {
		t.Errorf("Missed = %d, %v after two, want the latest error", n, err)
	}
	if err := l.Err(); !regexp.MustCompile(`write user a`).MatchString(err.Error()) {
		t.Errorf("Err = %v, want the first error", err)
	}
	var nilLog *Log
	nilLog.Change("r", engine.ChangeResult{})
	if n, _ := nilLog.Missed(); nilLog.Err() != nil || nilLog.Close() != nil || n != 0 {
		t.Error("a nil log is no log")
	}
}

func TestNewRunID(t *testing.T) {
	a := NewRunID(time.Date(2026, 12, 3, 14, 25, 30, 0, time.UTC))
	b := NewRunID(time.Date(2026, 12, 3, 14, 25, 30, 0, time.UTC))
	if !regexp.MustCompile(`^20261203T142530Z-[0-9a-f]{6}$`).MatchString(a) || a == b {
		t.Errorf("ids %q %q", a, b)
	}
}
