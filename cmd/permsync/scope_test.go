package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// planSummary is the part of the JSON plan the scope and --target tests
// read.
type planSummary struct {
	Changes []struct {
		Action string `json:"action"`
		Kind   string `json:"kind"`
		Key    string `json:"key"`
	} `json:"changes"`
	Targets  []string `json:"targets"`
	Warnings []string `json:"warnings"`
}

func planJSON(t *testing.T, vars map[string]string, args ...string) planSummary {
	t.Helper()
	code, stdout, stderr := runCmd(t, vars, append([]string{"plan", "-o", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("plan %q: exit %d\n%s", args, code, stderr)
	}
	var p planSummary
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Leaving out every users: (here: planning the finance project's file and the
// system roles) deletes none of the users permsync created: a kind no
// file declares is not managed, as a project whose file is left out.
func TestPlanWithoutUsersDeletesNoUser(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	state := filepath.Join(t.TempDir(), "state.json")
	code, stdout, stderr := runCmd(t, vars, "apply", "--auto-approve", "-f", desired, "--server", sim.URL(), "--state", state)
	if code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	part := []string{"-f", filepath.Join(desired, "projects", "finance.yaml"), "-f", filepath.Join(desired, "system-roles.yaml"), "--server", sim.URL(), "--state", state}
	p := planJSON(t, vars, part...)
	for _, c := range p.Changes {
		if c.Action == "delete" && (c.Kind == "user" || c.Kind == "department") {
			t.Errorf("plans %s %s %s without a file that declares its kind", c.Action, c.Kind, c.Key)
		}
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "no file declares users:") || !strings.Contains(w, "chen.jing@example.com") {
		t.Errorf("warnings do not say which users are left alone: %q", p.Warnings)
	}
}
