package sets

import (
	"slices"
	"testing"
)

func TestSortedKeys(t *testing.T) {
	got := SortedKeys(map[string]int{"b": 1, "a": 2, "c": 3})
	if want := []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("SortedKeys = %v, want %v", got, want)
	}
	if got := SortedKeys(map[int64]bool{}); got == nil || len(got) != 0 {
		t.Errorf("SortedKeys(empty) = %#v, want an empty, non-nil slice", got)
	}
	if got := SortedKeys(map[int64]bool{3: true, -1: true}); !slices.Equal(got, []int64{-1, 3}) {
		t.Errorf("SortedKeys(int64) = %v", got)
	}
}

func TestUniq(t *testing.T) {
	in := []string{"b", "a", "b", "c", "a"}
	if got := Uniq(in); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Uniq = %v", got)
	}
	if !slices.Equal(in, []string{"b", "a", "b", "c", "a"}) {
		t.Errorf("Uniq changed its input: %v", in)
	}
	if got := Uniq[string](nil); got == nil || len(got) != 0 {
		t.Errorf("Uniq(nil) = %#v, want an empty, non-nil slice", got)
	}
}

func TestMinusAndSame(t *testing.T) {
	if got := Minus([]int64{5, 1, 3, 1}, []int64{3}); !slices.Equal(got, []int64{1, 1, 5}) {
		t.Errorf("Minus = %v", got)
	}
	if got := Minus([]string{"a"}, []string{"a", "b"}); got != nil {
		t.Errorf("Minus with nothing left = %#v, want nil", got)
	}
	if !Same([]string{"a", "b", "a"}, []string{"b", "a"}) || Same([]string{"a"}, []string{"a", "b"}) {
		t.Error("Same is wrong")
	}
	if m := Of([]string{"x", "y"}); !m["x"] || !m["y"] || len(m) != 2 {
		t.Errorf("Of = %v", m)
	}
}
