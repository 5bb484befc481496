package diff

import (
	"testing"

	"github.com/permsync/permsync/spec"
)

func TestMaxDeletesDecimalShare(t *testing.T) {
	// 4.6% of 1500 is 69; 1500*4.6/100 in binary floating point is
	// 68.99999999999999.
	for _, tc := range []struct {
		share float64
		n     int
		want  int
	}{{4.6, 1500, 69}, {5.6, 1375, 77}, {9.2, 750, 69}, {10, 29, 2}, {4.6, 10, 1}} {
		got, _ := maxDeletes(&spec.MaxDeletes{Percent: true, Share: tc.share}, tc.n)
		if got != tc.want {
			t.Errorf("maxDeletes(%v%%, %d) = %d, want %d", tc.share, tc.n, got, tc.want)
		}
	}
}
