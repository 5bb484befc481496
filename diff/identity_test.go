package diff

import "testing"

func TestMatchIdentities(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   IdentityInput[int64]
		want map[string]How
		live map[string]string // desired → live name, where it differs
	}{
		{
			name: "by name, hidden, new",
			in:   IdentityInput[int64]{Desired: []string{"a", "b", "c"}, Live: map[string]int64{"a": 1}, State: map[string]int64{"a": 1, "b": 2}},
			want: map[string]How{"a": ByName, "b": Hidden, "c": New},
		},
		{
			name: "renamed on the server",
			in:   IdentityInput[int64]{Desired: []string{"a"}, Live: map[string]int64{"x": 1}, State: map[string]int64{"a": 1}},
			want: map[string]How{"a": RenamedOnServer},
			live: map[string]string{"a": "x"},
		},
		{
			name: "deleted on the server: a listing, or a probe",
			in:   IdentityInput[int64]{Desired: []string{"a", "b"}, State: map[string]int64{"a": 1, "b": 2}, Gone: map[int64]bool{2: true}},
			want: map[string]How{"a": Hidden, "b": DeletedOnServer},
		},
		{
			name: "re-created on the server",
			in:   IdentityInput[int64]{Desired: []string{"a"}, Live: map[string]int64{"a": 5}, State: map[string]int64{"a": 1}, Complete: true},
			want: map[string]How{"a": RecreatedOnServer},
		},
		{
			name: "the name is held, and the state's id is elsewhere: the name wins",
			in:   IdentityInput[int64]{Desired: []string{"a"}, Live: map[string]int64{"a": 5, "x": 1}, State: map[string]int64{"a": 1}, Complete: true},
			want: map[string]How{"a": ByName},
		},
		{
			name: "renamed in the files",
			in:   IdentityInput[int64]{Desired: []string{"b"}, Live: map[string]int64{"a": 1}, State: map[string]int64{"a": 1}, PairRenames: true},
			want: map[string]How{"b": RenamedInFiles},
			live: map[string]string{"b": "a"},
		},
		{
			name: "two new names: no rename guessed",
			in:   IdentityInput[int64]{Desired: []string{"b", "c"}, Live: map[string]int64{"a": 1}, State: map[string]int64{"a": 1}, PairRenames: true},
			want: map[string]How{"b": New, "c": New},
		},
		{
			name: "pair refused",
			in: IdentityInput[int64]{Desired: []string{"b"}, Live: map[string]int64{"a": 1}, State: map[string]int64{"a": 1}, PairRenames: true,
				MayPair: func(string, string) bool { return false }},
			want: map[string]How{"b": New},
		},
		{
			name: "the state's name is another object's now: no rename guessed",
			in:   IdentityInput[int64]{Desired: []string{"b"}, Live: map[string]int64{"a": 7}, State: map[string]int64{"a": 1}, PairRenames: true},
			want: map[string]How{"b": New},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MatchIdentities(tc.in)
			for d, how := range tc.want {
				m := got.ByDesired[d]
				if m.How != how {
					t.Errorf("%s: %s, want %s", d, m.How, how)
				}
				if l, ok := tc.live[d]; ok && m.Live != l {
					t.Errorf("%s: live %q, want %q", d, m.Live, l)
				}
			}
		})
	}
	// What a rename claims is not an object of its own.
	got := MatchIdentities(IdentityInput[int64]{Desired: []string{"b"}, Live: map[string]int64{"a": 1}, State: map[string]int64{"a": 1}, PairRenames: true})
	if !got.Claimed["a"] || got.Moved["a"] != "b" {
		t.Errorf("claimed %v, moved %v", got.Claimed, got.Moved)
	}
	if r := got.ByDesired["b"].Reason(); r != `renamed in the files from "a" (id 1 in the state); renamed on the server, not deleted and created` {
		t.Errorf("reason %q", r)
	}
}
