package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"plan", "plan", 0},
		{"valdate", "validate", 1}, // a letter left out
		{"plna", "plan", 1},        // two swapped
		{"aplly", "apply", 1},      // one changed
		{"runn", "run", 1},         // one added
		{"export", "sim", 6},
		{"用户", "用戶", 1}, // runes, not bytes
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	cmds := []string{"apply", "export", "help", "plan", "run", "show", "sim", "validate", "version"}
	flags := []string{"f", "server", "state", "simulator", "no-color", "max-read-objects", "max-read-time", "max-list-objects"}
	for _, tc := range []struct {
		typed      string
		candidates []string
		want       []string
	}{
		{"valdate", cmds, []string{"validate"}},
		{"VALIDATE", cmds, nil}, // the same name is no suggestion
		{"plna", cmds, []string{"plan"}},
		{"shwo", cmds, []string{"show"}},
		{"zzzzzz", cmds, nil},
		{"sevrer", flags, []string{"server"}},
		{"stat", flags, []string{"state"}},
		{"simulater", flags, []string{"simulator"}},
		{"max-read", flags, []string{"max-read-objects", "max-read-time"}},
		{"max", flags, nil}, // begins three flags and more: too vague
		{"", flags, nil},
	} {
		if d := cmp.Diff(tc.want, suggest(tc.typed, tc.candidates)); d != "" {
			t.Errorf("suggest(%q) (-want +got):\n%s", tc.typed, d)
		}
	}
}
