package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tol is the tolerance for hand-computed reference values: they are exact
// rationals or closed forms, so only rounding separates them.
const tol = 1e-12

func near(got, want, eps float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= eps
}

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

func TestMeanVariance(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name           string
		x              []float64
		mean, variance float64
	}{
		{"empty", nil, nan, nan},
		{"one", []float64{3}, 3, nan},
		{"1..4", []float64{1, 2, 3, 4}, 2.5, 5.0 / 3}, // sum of squared deviations 5, n-1 = 3
		{"constant", []float64{2, 2, 2}, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Mean(tc.x); !near(got, tc.mean, tol) {
				t.Errorf("Mean = %v, want %v", got, tc.mean)
			}
			if got := Variance(tc.x); !near(got, tc.variance, tol) {
				t.Errorf("Variance = %v, want %v", got, tc.variance)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{4, 1, 3, 2}
	for _, tc := range []struct {
		q, want float64
	}{
		{0, 1}, {0.25, 1.75}, {0.5, 2.5}, {0.9, 3.7}, {1, 4}, // h = 3q, linear between order statistics
	} {
		if got := Quantile(x, tc.q); !near(got, tc.want, tol) {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if x[0] != 4 {
		t.Error("Quantile sorted its input")
	}
	if got := Quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Quantile(empty) = %v, want NaN", got)
	}
}

func TestPearson(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y []float64
		want float64
	}{
		{"increasing", []float64{1, 2, 3}, []float64{2, 4, 6}, 1},
		{"decreasing", []float64{1, 2, 3}, []float64{3, 2, 1}, -1},
		// dx = dy = (-1.5, -.5, .5, 1.5) up to a swap: sxy = 4, sxx = syy = 5.
		{"0.8", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 0.8},
		{"constant", []float64{1, 2, 3}, []float64{5, 5, 5}, math.NaN()},
		// Mean(0.1, 0.1, 0.1) = 0.10000000000000002, so the deviations of
		// the constant x are tiny but not zero.
		{"constant up to rounding", []float64{0.1, 0.1, 0.1}, []float64{1, 3, 2}, math.NaN()},
		{"constant x", []float64{7, 7, 7, 7}, []float64{1, 2, 3, 4}, math.NaN()},
		{"one pair", []float64{1}, []float64{2}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Pearson(tc.x, tc.y); !near(got, tc.want, tol) {
				t.Errorf("Pearson = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTrapezoid(t *testing.T) {
	for _, tc := range []struct {
		name       string
		x, y       []float64
		area, mean float64
	}{
		{"empty", nil, nil, 0, math.NaN()},
		{"one point", []float64{5}, []float64{2}, 0, 2},
		// 1*(0+2)/2 + 2*(2+2)/2 = 5 over a range of 3.
		{"two pieces", []float64{0, 1, 3}, []float64{0, 2, 2}, 5, 5.0 / 3},
		// Log-spaced steps: 1*(1+1)/2 + 2*(1+3)/2 + 4*(3+3)/2 = 17 over 7.
		{"log-spaced", []float64{1, 2, 4, 8}, []float64{1, 1, 3, 3}, 17, 17.0 / 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Trapezoid(tc.x, tc.y); !near(got, tc.area, tol) {
				t.Errorf("Trapezoid = %v, want %v", got, tc.area)
			}
			if got := MeanOverRange(tc.x, tc.y); !near(got, tc.mean, tol) {
				t.Errorf("MeanOverRange = %v, want %v", got, tc.mean)
			}
		})
	}
}

func TestTrapezoidPanicsOnUnsortedX(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for descending x")
		}
	}()
	Trapezoid([]float64{2, 1}, []float64{0, 0})
}

func TestLinearFit(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name             string
		x, y             []float64
		slope, intercept float64
	}{
		{"exact line", []float64{0, 1, 2}, []float64{1, 3, 5}, 2, 1},
		// sxy = 4, sxx = 5: slope 0.8, intercept 2.5 - 0.8*2.5 = 0.5.
		{"noisy", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 0.8, 0.5},
		{"constant x", []float64{2, 2}, []float64{1, 3}, nan, nan},
		{"one point", []float64{1}, []float64{1}, nan, nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, i := LinearFit(tc.x, tc.y)
			if !near(s, tc.slope, tol) || !near(i, tc.intercept, tol) {
				t.Errorf("LinearFit = (%v, %v), want (%v, %v)", s, i, tc.slope, tc.intercept)
			}
		})
	}
}

func TestHedgesG(t *testing.T) {
	sqrt2pi := math.Sqrt(2 / math.Pi)
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		// means 2 and 4, variances 1 and 1: s_p = 1, d = -2, m = 4,
		// J = Gamma(2) / (sqrt(2) Gamma(3/2)) = sqrt(2/pi).
		{"3 vs 3", []float64{1, 2, 3}, []float64{3, 4, 5}, -2 * sqrt2pi},
		// means 1.5 and 3.5, variances 0.5 and 0.5: s_p = sqrt(0.5), d = 2 sqrt(2),
		// m = 2, J = Gamma(1) / Gamma(1/2) = 1/sqrt(pi).
		{"2 vs 2", []float64{3, 4}, []float64{1, 2}, 2 * math.Sqrt2 / math.Sqrt(math.Pi)},
		{"one value", []float64{1}, []float64{1, 2}, math.NaN()},
		{"no spread, same mean", []float64{1, 1}, []float64{1, 1}, math.NaN()},
		{"no spread, higher", []float64{2, 2}, []float64{1, 1}, math.Inf(1)},
		{"no spread, lower", []float64{0, 0}, []float64{1, 1}, math.Inf(-1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := HedgesG(tc.a, tc.b); !near(got, tc.want, tol) {
				t.Errorf("HedgesG = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHedgesJApproximation(t *testing.T) {
	// The doc comment's claim: |J - (1 - 3/(4m - 1))| < 0.008 for m >= 2.
	for m := 2.0; m <= 200; m++ {
		if d := math.Abs(hedgesJ(m) - (1 - 3/(4*m-1))); d >= 0.008 {
			t.Errorf("m = %v: exact and approximate J differ by %v", m, d)
		}
	}
}

func TestPermutationPExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		// 6 splits of {1,2,3,4}; |sum_a - 5| >= 2 for {1,2} and {3,4}: 2/6.
		{"2 vs 2", []float64{1, 2}, []float64{3, 4}, 1.0 / 3},
		// 20 splits of {1,2,3,3,4,5}; |d| = |2 sum_a - 18|/3 >= 2 when sum_a <= 6
		// ({1,2,3} twice) or >= 12 ({3,4,5} twice): 4/20.
		{"3 vs 3", []float64{1, 2, 3}, []float64{3, 4, 5}, 0.2},
		{"identical", []float64{1, 1}, []float64{1, 1}, 1},
		// Complete separation of 4 vs 4: 2 of C(8,4) = 70 splits.
		{"4 vs 4 separated", []float64{1, 2, 3, 4}, []float64{11, 12, 13, 14}, 2.0 / 70},
		{"empty", nil, []float64{1}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PermutationP(tc.a, tc.b, 10000, nil); !near(got, tc.want, tol) {
				t.Errorf("PermutationP = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPermutationPSampled(t *testing.T) {
	// 10 vs 10 has C(20,10) = 184756 splits: sampled with perms = 20000,
	// enumerated with perms = 200000. The sampled p has a standard error of
	// at most 0.5/sqrt(20000) = 0.0035; montecarloTol is four of those.
	const montecarloTol = 0.014
	rng := newRNG(7)
	a, b := make([]float64, 10), make([]float64, 10)
	for i := range a {
		a[i] = rng.NormFloat64()
		b[i] = rng.NormFloat64() + 0.6
	}
	exact := PermutationP(a, b, 200000, nil)
	p1 := PermutationP(a, b, 20000, newRNG(1))
	p2 := PermutationP(a, b, 20000, newRNG(1))
	if p1 != p2 {
		t.Errorf("same seed, different p: %v, %v", p1, p2)
	}
	if math.Abs(p1-exact) > montecarloTol {
		t.Errorf("sampled p = %v, exact %v", p1, exact)
	}
	// Complete separation: r may be 0 but p never is.
	sep := PermutationP([]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, []float64{9, 9, 9, 9, 9, 9, 9, 9, 9, 10}, 1000, newRNG(2))
	if want := 1.0 / 1001; sep < want || sep > 3*want {
		t.Errorf("separated samples: p = %v, want about (0+1)/(1000+1)", sep)
	}
}

func TestSignFlipPExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    []float64
		want float64
	}{
		// ±1±2±3 over 8 sign vectors: |sum| = 6, 4, 2, 0, 0, 2, 4, 6;
		// >= 6 for 2 of them.
		{"1 2 3", []float64{1, 2, 3}, 2.0 / 8},
		// All the same sign and size: only all + and all - reach 5.
		{"five ones", []float64{1, 1, 1, 1, 1}, 2.0 / 32},
		// |sum| = 0: every sign vector ties or exceeds it.
		{"cancelling", []float64{1, -1}, 1},
		// ±3±1: |sum| = 4, 2, 2, 4; >= 2 for all 4.
		{"3 -1", []float64{3, -1}, 1},
		{"empty", nil, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SignFlipP(tc.d, 10000, nil); !near(got, tc.want, tol) {
				t.Errorf("SignFlipP = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSignFlipPSampled(t *testing.T) {
	// 16 differences: 65536 sign vectors, enumerated with perms = 65536,
	// sampled with 20000 (standard error at most 0.0035; four of those).
	const montecarloTol = 0.014
	rng := newRNG(9)
	d := make([]float64, 16)
	for i := range d {
		d[i] = rng.NormFloat64() + 0.4
	}
	exact := SignFlipP(d, 1<<16, nil)
	p1, p2 := SignFlipP(d, 20000, newRNG(1)), SignFlipP(d, 20000, newRNG(1))
	if p1 != p2 {
		t.Errorf("same seed, different p: %v, %v", p1, p2)
	}
	if math.Abs(p1-exact) > montecarloTol {
		t.Errorf("sampled p = %v, exact %v", p1, exact)
	}
	// All 25 positive: r is about 0 but p never is.
	pos := make([]float64, 25)
	for i := range pos {
		pos[i] = 1
	}
	if got, want := SignFlipP(pos, 1000, newRNG(2)), 1.0/1001; got < want || got > 3*want {
		t.Errorf("all positive: p = %v, want about (0+1)/(1000+1)", got)
	}
}

func TestBootstrapMeanCI(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		x      []float64
		level  float64
		lo, hi float64
	}{
		// Replicate means 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4:
		// the 2.5th percentile is 0 and the 97.5th is 1.
		{"two values 95%", []float64{0, 1}, 0.95, 0, 1},
		// The 30th percentile lies past the 25% mass at 0, the 70th before
		// the 75% mark: both are 1/2.
		{"two values 40%", []float64{0, 1}, 0.40, 0.5, 0.5},
		{"constant", []float64{3, 3, 3}, 0.95, 3, 3},
		{"one value", []float64{3}, 0.95, nan, nan},
		{"empty", nil, 0.95, nan, nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := BootstrapMeanCI(tc.x, tc.level, 2000, newRNG(1))
			if !near(lo, tc.lo, tol) || !near(hi, tc.hi, tol) {
				t.Errorf("CI = [%v, %v], want [%v, %v]", lo, hi, tc.lo, tc.hi)
			}
		})
	}
}

func TestBootstrapProperties(t *testing.T) {
	x := []float64{0.1, 0.4, 0.35, 0.8, 0.55}
	lo1, hi1 := BootstrapMeanCI(x, 0.95, 2000, newRNG(1))
	lo2, hi2 := BootstrapMeanCI(x, 0.95, 2000, newRNG(1))
	if lo1 != lo2 || hi1 != hi2 {
		t.Errorf("same seed, different intervals: [%v, %v] and [%v, %v]", lo1, hi1, lo2, hi2)
	}
	m := Mean(x)
	if !(lo1 < m && m < hi1) || lo1 < 0.1 || hi1 > 0.8 {
		t.Errorf("CI [%v, %v] should hold the mean %v and lie within the data's range", lo1, hi1, m)
	}
	lo9, hi9 := BootstrapMeanCI(x, 0.5, 2000, newRNG(1))
	if !(lo1 <= lo9 && hi9 <= hi1) {
		t.Errorf("50%% interval [%v, %v] not inside the 95%% one [%v, %v]", lo9, hi9, lo1, hi1)
	}
	reps := Bootstrap(x, Mean, 3, newRNG(3))
	if len(reps) != 3 {
		t.Fatalf("Bootstrap gave %d replicates, want 3", len(reps))
	}
}

func TestBootstrapDiffCI(t *testing.T) {
	// mean(a*) - 5 takes -5, -4.5, -4 with probabilities 1/4, 1/2, 1/4.
	lo, hi := BootstrapDiffCI([]float64{0, 1}, []float64{5, 5}, 0.95, 2000, newRNG(1))
	if lo != -5 || hi != -4 {
		t.Errorf("CI = [%v, %v], want [-5, -4]", lo, hi)
	}
	lo, hi = BootstrapDiffCI([]float64{0}, []float64{5, 5}, 0.95, 2000, newRNG(1))
	if !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("one value: CI = [%v, %v], want NaN", lo, hi)
	}
}

func TestPercentileIntervalDropsNaN(t *testing.T) {
	lo, hi := PercentileInterval([]float64{math.NaN(), 1, 2, 3, math.NaN()}, 0.5)
	if lo != 1.5 || hi != 2.5 { // type 7 on {1,2,3}: h = 0.5 and 1.5
		t.Errorf("interval = [%v, %v], want [1.5, 2.5]", lo, hi)
	}
}
