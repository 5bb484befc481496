package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "version")
	if code != exitOK || !strings.HasPrefix(out, "permsync "+version+"\ncommit: ") || !strings.Contains(out, "\nbuilt: ") {
		t.Errorf("version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, alias, _ := runCmd(t, nil, "--version"); code != exitOK || alias != out {
		t.Errorf("--version: exit %d, %q; want the output of version", code, alias)
	}
	code, out, _ = runCmd(t, nil, "version", "--json")
	var b buildInfo
	if err := json.Unmarshal([]byte(out), &b); code != exitOK || err != nil {
		t.Fatalf("version --json: exit %d, %v: %q", code, err, out)
	}
	if b.Version != version || b.Commit == "" || b.Date == "" || !strings.HasPrefix(b.GoVersion, "go") || !strings.Contains(b.Platform, "/") {
		t.Errorf("version --json = %+v", b)
	}
	if code, _, errOut := runCmd(t, nil, "version", "extra"); code != exitError || !strings.Contains(errOut, "unexpected arguments") {
		t.Errorf("version extra: exit %d, %q", code, errOut)
	}
}
