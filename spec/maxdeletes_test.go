package spec

import "testing"

func TestMaxDeletesLimit(t *testing.T) {
	share := func(s float64) *MaxDeletes { return &MaxDeletes{Share: s, Percent: true} }
	for _, tc := range []struct {
		m     *MaxDeletes
		total int
		want  int
	}{
		{nil, 0, 1},      // the default allows at least one
		{nil, 25, 2},     // 10% of 25, rounded down
		{nil, 1000, 100}, // 10%
		{share(4.6), 1500, 69},
		{share(0.1), 1000, 1},
		{share(0), 1000, 0}, // 0% means none
		{share(100), 7, 7},
		{&MaxDeletes{Count: 3}, 1000, 3},
		{&MaxDeletes{Count: 0}, 1000, 0},
	} {
		if got := tc.m.Limit(tc.total); got != tc.want {
			t.Errorf("%v.Limit(%d) = %d, want %d", tc.m, tc.total, got, tc.want)
		}
	}
	// No decimal share in 0.1..100.0 rounds one short for up to 2000
	// objects: the limit is the largest n with n/total <= share.
	for tenths := 1; tenths <= 1000; tenths++ {
		s := float64(tenths) / 10
		for total := 1; total <= 2000; total += 7 {
			got := share(s).Limit(total)
			exact := total * tenths / 1000 // integer arithmetic, no rounding error
			if exact < 1 {
				exact = 1
			}
			if got != exact {
				t.Fatalf("%v%% of %d = %d, want %d", s, total, got, exact)
			}
		}
	}
}
