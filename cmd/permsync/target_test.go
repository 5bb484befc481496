package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan/planfile"
)

func TestPlanTarget(t *testing.T) {
	t.Parallel()
	full := planJSON(t, nil, quickstartArgs(t)...)
	if len(full.Targets) != 0 || len(full.Changes) < 10 {
		t.Fatalf("the untargeted plan: %d changes, targets %q", len(full.Changes), full.Targets)
	}

	one := planJSON(t, nil, quickstartArgs(t, "--target", "user zhao.lei@example.com")...)
	// The user, and the departments it is created into (the quickstart
	// creates them too): nothing else.
	users := 0
	for _, c := range one.Changes {
		switch {
		case c.Kind == "user" && c.Key == "zhao.lei@example.com" && c.Action == "create":
			users++
		case c.Kind == "department" && c.Action == "create":
		default:
			t.Errorf("--target user zhao.lei@example.com plans %s %s %s", c.Action, c.Kind, c.Key)
		}
	}
	if users != 1 || len(one.Changes) >= len(full.Changes) {
		t.Errorf("--target user zhao.lei@example.com plans %+v", one.Changes)
	}
	if len(one.Targets) != 1 || one.Targets[0] != "user zhao.lei@example.com" {
		t.Errorf("targets = %q", one.Targets)
	}
	if !strings.Contains(strings.Join(one.Warnings, "\n"), "--target is in effect") {
		t.Errorf("no warning that changes were left out: %q", one.Warnings)
	}

	// A project covers everything in it, and what it needs outside it.
	proj := planJSON(t, nil, quickstartArgs(t, "--target", "project 销售分析")...)
	inProject, outside := 0, 0
	for _, c := range proj.Changes {
		if c.Kind == "project" && c.Key == "销售分析" || strings.HasPrefix(c.Key, "销售分析/") {
			inProject++
		} else {
			outside++
		}
	}
	if inProject == 0 || len(proj.Changes) >= len(full.Changes) {
		t.Errorf("--target project 销售分析: %d changes in the project, %d outside, of %d", inProject, outside, len(full.Changes))
	}
	for _, c := range proj.Changes {
		if !(c.Kind == "project" || strings.HasPrefix(c.Key, "销售分析/")) && c.Kind != "user" && c.Kind != "department" && c.Kind != "systemRole" {
			t.Errorf("--target project 销售分析 plans %s %s, neither in the project nor something it depends on", c.Kind, c.Key)
		}
	}
}

func TestTargetBad(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "--target", "usr zhao.lei@example.com")...)...)
	if code != exitError || !strings.Contains(stderr, `youdata has no kind "usr"`) || !strings.Contains(stderr, "user, ") || stdout != "" {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

// apply --target writes only the target: the rest of the plan is still to
// apply, and the target's own plan is empty.
func TestApplyTarget(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"-f", desired, "--server", sim.URL(), "--state", state}
	code, stdout, stderr := runCmd(t, vars, append([]string{"apply", "--auto-approve", "--target", "user zhao.lei@example.com"}, args...)...)
	if code != exitOK {
		t.Fatalf("apply --target: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "+ user zhao.lei@example.com") || strings.Contains(stdout, "+ user chen.jing@example.com") {
		t.Errorf("apply --target shows:\n%s", stdout)
	}
	after := planJSON(t, vars, append([]string{"--target", "user zhao.lei@example.com"}, args...)...)
	if len(after.Changes) != 0 {
		t.Errorf("the target still plans %+v", after.Changes)
	}
	rest := planJSON(t, vars, args...)
	found := false
	for _, c := range rest.Changes {
		if c.Key == "zhao.lei@example.com" {
			t.Errorf("the untargeted plan still has %+v", c)
		}
		if c.Key == "chen.jing@example.com" {
			found = true
		}
	}
	if !found {
		t.Errorf("the changes outside the target were applied too: %+v", rest.Changes)
	}
}

// A saved plan keeps its --target, and is applied with it.
func TestApplySavedTargetedPlan(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "p.plan")
	state := filepath.Join(dir, "state.json")
	code, _, stderr := runCmd(t, vars, "plan", "-f", desired, "--server", sim.URL(), "--state", state, "--target", "user zhao.lei@example.com", "--out", planFile)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	f, err := planfile.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Options.Targets) != 1 || len(f.Plan.Changes) == 0 || f.Plan.Changes[len(f.Plan.Changes)-1].Key != "zhao.lei@example.com" {
		t.Fatalf("saved: targets %q, %d changes", f.Options.Targets, len(f.Plan.Changes))
	}
	if code, _, stderr := runCmd(t, vars, "apply", planFile, "--server", sim.URL(), "--target", "user"); code != exitError || !strings.Contains(stderr, "--target it was planned with") {
		t.Errorf("apply PLANFILE --target: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := runCmd(t, vars, "apply", planFile, "--server", sim.URL())
	if code != exitOK || strings.Contains(stderr, "stale plan") {
		t.Fatalf("apply PLANFILE: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "+ user zhao.lei@example.com") {
		t.Errorf("apply PLANFILE shows:\n%s", stdout)
	}
	rest := planJSON(t, vars, "-f", desired, "--server", sim.URL(), "--state", state)
	for _, c := range rest.Changes {
		if c.Key == "zhao.lei@example.com" {
			t.Errorf("not applied: %+v", c)
		}
	}
	if len(rest.Changes) == 0 {
		t.Error("the whole plan was applied, not only its target")
	}
}
