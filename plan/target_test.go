package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var targetRegistry = &Registry{
	Provider:  "test",
	ScopeKind: "project",
	Kinds: []KindInfo{
		{Kind: "user", Shape: Shape{Parts: 1}},
		{Kind: "project", Shape: Shape{Parts: 1}},
		{Kind: "member", Shape: Shape{Scoped: true, Parts: 1}},
		{Kind: "role", Shape: Shape{Scoped: true, Parts: 2}},
	},
}

func targetPlan() *Plan {
	return &Plan{Provider: "test", Changes: []Change{
		{Action: Create, Kind: "user", Key: "alice"},
		{Action: Create, Kind: "user", Key: "bob"},
		{Action: Create, Kind: "project", Key: "P"},
		{Action: Create, Kind: "member", Key: "P/alice", Scope: "P", DependsOn: []string{"user alice", "project P"}},
		{Action: Update, Kind: "role", Key: "P/f/R", Scope: "P", DependsOn: []string{"member P/alice"}},
		{Action: Update, Kind: "role", Key: "Q/f/S", Scope: "Q"},
		{Action: Delete, Kind: "user", Key: "carol"},
	}, Warnings: []string{"w"}}
}

func keysOf(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, StateKey(c.Kind, c.Key))
	}
	return out
}

func TestTargeted(t *testing.T) {
	cases := []struct {
		name    string
		targets []string
		want    []string
		warn    string
	}{
		{name: "one object, nothing it depends on", targets: []string{"user bob"}, want: []string{"user bob"}, warn: "6 other change(s)"},
		{name: "what it depends on, transitively", targets: []string{"role P/f/R"},
			want: []string{"user alice", "project P", "member P/alice", "role P/f/R"}},
		{name: "a project covers its contents", targets: []string{"project Q"}, want: []string{"role Q/f/S"}},
		{name: "a kind", targets: []string{"user"}, want: []string{"user alice", "user bob", "user carol"}},
		{name: "a delete", targets: []string{"user carol"}, want: []string{"user carol"}},
		{name: "repeated, in plan order", targets: []string{"user carol", "user bob"}, want: []string{"user bob", "user carol"}},
		{name: "no match", targets: []string{"user dave"}, want: nil, warn: `--target "user dave" matches no change`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := ParseTargets(tc.targets, targetRegistry)
			if err != nil {
				t.Fatal(err)
			}
			p := targetPlan()
			got := p.Targeted(ts)
			if d := cmp.Diff(tc.want, keysOf(got)); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
			if !cmp.Equal(got.Targets, tc.targets) {
				t.Errorf("Targets = %q, want %q", got.Targets, tc.targets)
			}
			if len(p.Changes) != 7 || len(p.Warnings) != 1 {
				t.Errorf("the plan given was changed: %d changes, warnings %q", len(p.Changes), p.Warnings)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(got.Warnings, "\n"), tc.warn) {
				t.Errorf("warnings %q lack %q", got.Warnings, tc.warn)
			}
		})
	}
	if p := targetPlan(); p.Targeted(nil) != p {
		t.Error("no targets: the plan itself is the plan")
	}
}

func TestTargetedKeepsRefusals(t *testing.T) {
	p := targetPlan()
	p.Refusals = []Refusal{{Kind: RefuseMaxDeletes, Message: "1 user deletion exceeds the limit of 0"}}
	ts, _ := ParseTargets([]string{"user bob"}, targetRegistry)
	if got := p.Targeted(ts); len(got.Refusals) != 1 {
		t.Errorf("refusals = %v: narrowing a plan must not make it applicable", got.Refusals)
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"", "empty"},
		{"usr alice", `test has no kind "usr"; its kinds are user, project, member, role`},
		{"project", `name the project`},
	} {
		_, err := ParseTarget(tc.in, targetRegistry)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseTarget(%q) = %v, want an error with %q", tc.in, err, tc.err)
		}
	}
	tg, err := ParseTarget("role 销售分析/通用/报告阅览", targetRegistry)
	if err != nil || tg.Kind != "role" || tg.Key != "销售分析/通用/报告阅览" || tg.String() != "role 销售分析/通用/报告阅览" {
		t.Errorf("ParseTarget = %+v, %v", tg, err)
	}
}
