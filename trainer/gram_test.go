package trainer

import (
	"math"
	"testing"
)

// TestCenteredGram checks a hand-computed case: rows (1, 2), (3, 2),
// (5, 2) have column means (3, 2), so Xc = (-2, 0), (0, 0), (2, 0) and
// K[i][j] = Xc_i . Xc_j.
func TestCenteredGram(t *testing.T) {
	const tol = 1e-6
	got := CenteredGram([]float32{1, 2, 3, 2, 5, 2}, 3)
	want := []float64{4, 0, -4, 0, 0, 0, -4, 0, 4}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("K = %v, want %v", got, want)
		}
	}
}
