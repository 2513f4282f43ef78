package stats

import (
	"math"
	"testing"
)

func TestWilsonInterval(t *testing.T) {
	// tolWilson: the formula evaluated twice in double precision.
	const tolWilson = 1e-12
	ref := loadReference(t)
	for _, r := range ref.Wilson {
		lo, hi := WilsonInterval(r.K, r.N, r.Level)
		if !near(lo, r.CI[0], tolWilson) || !near(hi, r.CI[1], tolWilson) {
			t.Errorf("WilsonInterval(%d, %d, %v) = [%.15g, %.15g], want %v", r.K, r.N, r.Level, lo, hi, r.CI)
		}
	}
	// Newcombe (1998), Table II, method 3 (score interval without
	// continuity correction), printed to 4 decimals: an independent check
	// of the formula.
	const tolTable = 5e-5
	for _, tc := range []struct {
		k, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		lo, hi := WilsonInterval(tc.k, tc.n, 0.95)
		if !near(lo, tc.lo, tolTable) || !near(hi, tc.hi, tolTable) {
			t.Errorf("WilsonInterval(%d, %d) = [%.4f, %.4f], Newcombe [%.4f, %.4f]", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
	t.Run("bounds", func(t *testing.T) {
		if lo, _ := WilsonInterval(0, 10, 0.99); lo != 0 {
			t.Errorf("k = 0: lo = %v, want exactly 0", lo)
		}
		if _, hi := WilsonInterval(10, 10, 0.95); hi != 1 {
			t.Errorf("k = n: hi = %v, want exactly 1", hi)
		}
		if lo, hi := WilsonInterval(0, 0, 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("n = 0: [%v, %v], want NaN", lo, hi)
		}
	})
	for name, f := range map[string]func(){
		"k > n":     func() { WilsonInterval(3, 2, 0.95) },
		"k < 0":     func() { WilsonInterval(-1, 2, 0.95) },
		"level = 1": func() { WilsonInterval(1, 2, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
