package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"branchspec/metrics/stats"
)

func TestNull(t *testing.T) {
	vals := []float64{3, 1, 4, 2}
	up, lo := NewNull(vals, Upper), NewNull(vals, Lower)
	tests := []struct {
		name string
		null Null
		obs  float64
		want float64
	}{
		// Upper: r = #{v >= obs}, p = (r+1)/(N+1) with N = 4.
		{"upper middle", up, 3, 3.0 / 5},
		{"upper beyond", up, 5, 1.0 / 5},
		{"upper below all", up, 0, 1},
		{"upper tie up to rounding", up, 3 + 1e-14, 3.0 / 5},
		{"upper just above a value", up, 3 + 1e-9, 2.0 / 5},
		// Lower: r = #{v <= obs}.
		{"lower middle", lo, 2, 3.0 / 5},
		{"lower beyond", lo, 0.5, 1.0 / 5},
		{"lower tie up to rounding", lo, 2 - 1e-14, 3.0 / 5},
		{"NaN obs", up, math.NaN(), math.NaN()},
		{"empty", NewNull(nil, Upper), 0.7, 1},
		{"zero value", Null{}, 0.7, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.null.P(tc.obs); !near(got, tc.want, tolExact) {
				t.Errorf("P(%v) = %v, want %v", tc.obs, got, tc.want)
			}
		})
	}
	t.Run("summary", func(t *testing.T) {
		// Mean 2.5; squared deviations 2.25+0.25+0.25+2.25 = 5, sd sqrt(5/3).
		if up.N() != 4 || !near(up.Mean(), 2.5, tolExact) || !near(up.SD(), math.Sqrt(5.0/3), tolExact) {
			t.Errorf("N, Mean, SD = %d, %v, %v", up.N(), up.Mean(), up.SD())
		}
		if !slices.Equal(up.Values(), []float64{1, 2, 3, 4}) || up.Tail() != Upper || lo.Tail() != Lower {
			t.Errorf("Values = %v, tails %v %v", up.Values(), up.Tail(), lo.Tail())
		}
		if vals[0] != 3 {
			t.Error("NewNull sorted its input")
		}
		up.Values()[0] = 99
		if up.Values()[0] != 1 {
			t.Error("Values returned the null's own slice")
		}
	})
	t.Run("NaN values dropped", func(t *testing.T) {
		n := NewNull([]float64{1, math.NaN(), 2}, Upper)
		if n.N() != 2 || !near(n.P(1.5), 2.0/3, tolExact) {
			t.Errorf("N = %d, P(1.5) = %v, want 2, 2/3", n.N(), n.P(1.5))
		}
	})
	t.Run("degenerate", func(t *testing.T) {
		if e := NewNull(nil, Lower); !math.IsNaN(e.Mean()) || !math.IsNaN(e.SD()) || e.N() != 0 {
			t.Errorf("empty null: Mean %v, SD %v", e.Mean(), e.SD())
		}
		if one := NewNull([]float64{2}, Upper); one.Mean() != 2 || !math.IsNaN(one.SD()) {
			t.Errorf("one value: Mean %v, SD %v", one.Mean(), one.SD())
		}
	})
	mustPanic(t, "bad tail", func() { NewNull(nil, Tail(7)) })
	if Upper.String() != "upper" || Lower.String() != "lower" || Tail(7).String() != "Tail(7)" {
		t.Errorf("Tail strings: %v %v %v", Upper, Lower, Tail(7))
	}
}

// TestNullValidWithFewDraws checks that P is a valid p-value even with a
// small null: when the observed value is one more draw from the null's
// distribution, p is uniform on {1/(N+1), ..., 1}, so P(p <= 0.05) = 0.05
// exactly for N = 19, in either tail.
func TestNullValidWithFewDraws(t *testing.T) {
	seeds := 2000
	if testing.Short() {
		seeds = 400
	}
	for _, tail := range []Tail{Upper, Lower} {
		cal := stats.Calibrate(seeds, 19, func(seed uint64) float64 {
			rng := newRNG(seed + 100000*uint64(tail))
			vals := make([]float64, 19)
			for i := range vals {
				vals[i] = rng.ExpFloat64()
			}
			return NewNull(vals, tail).P(rng.ExpFloat64())
		})
		rate, lo, hi := cal.Rate(0.05)
		t.Logf("%v tail: rate at 0.05 = %.3f [%.3f, %.3f], KS p %.3f", tail, rate, lo, hi, cal.KSP)
		if lo > 0.05 || hi < 0.05 || cal.KSP <= 0.01 {
			t.Errorf("%v tail: rate %.3f [%.3f, %.3f] at 0.05, KS p %.4f", tail, rate, lo, hi, cal.KSP)
		}
	}
}

// branchScores returns one score per unit of 2 branches of 16 units: unit
// scores share a per-branch term of size shared (as units of a later layer
// share their branch's inputs) plus their own noise.
func branchScores(rng *rand.Rand, shared float64) []float64 {
	z := [2]float64{rng.NormFloat64(), rng.NormFloat64()}
	s := make([]float64, 32)
	for i := range s {
		s[i] = shared*z[i/16] + rng.NormFloat64()
	}
	return s
}

// TestInitialisationNullCalibrated shows why units that share their inputs
// need an initialisation null. Scores with a shared per-branch term (no
// specialization, only the structure of a branched layer) make the
// permutation null reject far too often, while the null over 20 fresh
// draws of the same random structure is calibrated.
func TestInitialisationNullCalibrated(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 100
	}
	groups := branchLabels(2, 16)
	perm := stats.Calibrate(seeds, 200, func(seed uint64) float64 {
		rng := newRNG(seed)
		_, null := SplitTest(branchScores(rng, 0.5), groups, 200, rng)
		return null.P(EtaSquared(branchScores(newRNG(seed), 0.5), groups))
	})
	initNull := stats.Calibrate(seeds, 20, func(seed uint64) float64 {
		rng := newRNG(seed)
		obs := EtaSquared(branchScores(rng, 0.5), groups)
		vals := make([]float64, 20)
		for i := range vals {
			vals[i] = EtaSquared(branchScores(rng, 0.5), groups)
		}
		return NewNull(vals, Upper).P(obs)
	})
	pr, _, _ := perm.Rate(0.05)
	ir, ilo, ihi := initNull.Rate(0.05)
	t.Logf("shared inputs: permutation null rejects %.3f at 0.05 (KS p %.2g); initialisation null %.3f [%.3f, %.3f] (KS p %.3f)",
		pr, perm.KSP, ir, ilo, ihi, initNull.KSP)
	if perm.KSP > 0.01 || pr < 0.1 {
		t.Errorf("permutation null with shared inputs: rate %.3f, KS p %.3f; want it miscalibrated", pr, perm.KSP)
	}
	if initNull.KSP <= 0.01 || ilo > 0.05 || ihi < 0.05 {
		t.Errorf("initialisation null: rate %.3f [%.3f, %.3f], KS p %.4f; want calibrated", ir, ilo, ihi, initNull.KSP)
	}
}
