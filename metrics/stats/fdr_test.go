package stats

import (
	"math"
	"slices"
	"testing"
)

func TestBHAdjust(t *testing.T) {
	// tolBH: a product and a division per value.
	const tolBH = 1e-15
	ref := loadReference(t)
	for _, r := range ref.BH {
		q := BHAdjust(r.P)
		disc := BHDiscoveries(r.P, 0.05)
		for i := range r.P {
			if !near(q[i], r.Q[i], tolBH) {
				t.Errorf("m = %d: q[%d] = %.17g, statsmodels %.17g", len(r.P), i, q[i], r.Q[i])
			}
			if disc[i] != r.Reject05[i] || disc[i] != (q[i] <= 0.05) {
				t.Errorf("m = %d, test %d (p %v, q %v): discovery %v, statsmodels %v", len(r.P), i, r.P[i], q[i], disc[i], r.Reject05[i])
			}
		}
	}
	t.Run("hand", func(t *testing.T) {
		// m = 4, sorted p = 0.01, 0.02, 0.03, 0.5: m p/i = 0.04, 0.04, 0.04,
		// 0.5; at alpha = 0.04 the step-up rejects the first three.
		p := []float64{0.03, 0.5, 0.01, 0.02}
		want := []float64{0.04, 0.5, 0.04, 0.04}
		q := BHAdjust(p)
		for i := range want {
			if !near(q[i], want[i], tol) {
				t.Errorf("q = %v, want %v", q, want)
				break
			}
		}
		if got := BHDiscoveries(p, 0.04); !slices.Equal(got, []bool{true, false, true, true}) {
			t.Errorf("BHDiscoveries = %v", got)
		}
		// Step-up, not step-down: p_(1) = 0.02 > alpha/m = 0.0125, but
		// p_(2) = 0.024 <= 2 alpha/m = 0.025, so both are discoveries.
		if got := BHDiscoveries([]float64{0.024, 0.02, 0.9, 0.8}, 0.05); !slices.Equal(got, []bool{true, true, false, false}) {
			t.Errorf("step-up: BHDiscoveries = %v", got)
		}
	})
	t.Run("NaN left out", func(t *testing.T) {
		q := BHAdjust([]float64{0.01, math.NaN(), 0.04})
		if !near(q[0], 0.02, tol) || !math.IsNaN(q[1]) || !near(q[2], 0.04, tol) {
			t.Errorf("q = %v, want [0.02 NaN 0.04] (m = 2)", q)
		}
		if d := BHDiscoveries([]float64{0.01, math.NaN()}, 0.05); !d[0] || d[1] {
			t.Errorf("BHDiscoveries = %v", d)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if q := BHAdjust(nil); len(q) != 0 {
			t.Errorf("BHAdjust(nil) = %v", q)
		}
	})
	for name, f := range map[string]func(){
		"p > 1":        func() { BHAdjust([]float64{1.5}) },
		"p < 0":        func() { BHDiscoveries([]float64{-0.1}, 0.05) },
		"alpha > 1":    func() { BHDiscoveries([]float64{0.1}, 2) },
		"alpha is NaN": func() { BHDiscoveries([]float64{0.1}, math.NaN()) },
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

// TestBHControlsFDR simulates families of 20 tests, 15 true nulls (uniform
// p) and 5 strong effects, and checks that the false discovery proportion
// averages at most alpha m0/m = 0.0375 (plus four standard errors).
func TestBHControlsFDR(t *testing.T) {
	reps := 2000
	if testing.Short() {
		reps = 300
	}
	const m, m0, alpha = 20, 15, 0.05
	rng := newRNG(99)
	fdp := make([]float64, reps)
	for r := range fdp {
		p := make([]float64, m)
		for i := range p {
			p[i] = rng.Float64()
			if i >= m0 {
				p[i] *= 1e-4
			}
		}
		var disc, falseDisc int
		for i, d := range BHDiscoveries(p, alpha) {
			if d {
				disc++
				if i < m0 {
					falseDisc++
				}
			}
		}
		if disc > 0 {
			fdp[r] = float64(falseDisc) / float64(disc)
		}
	}
	mean, se := Mean(fdp), math.Sqrt(Variance(fdp)/float64(reps))
	if bound := alpha * m0 / m; mean > bound+4*se {
		t.Errorf("mean FDP %.4f (se %.4f), want <= %.4f", mean, se, bound)
	}
}
