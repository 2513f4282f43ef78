package metrics

import (
	"math"
	"testing"

	"branchspec/metrics/stats"
)

func TestEtaSquared(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		groups []int
		want   float64
	}{
		{"separated", []float64{1, 1, 2, 2}, []int{0, 0, 1, 1}, 1},
		{"equal means", []float64{1, 3, 3, 1}, []int{0, 0, 1, 1}, 0},
		// Means 2 and 5 around 3.5: SS_between = 6 * 1.5^2 = 13.5,
		// SS_total = 2 (2.5^2 + 1.5^2 + 0.5^2) = 17.5, eta^2 = 27/35.
		{"hand", []float64{1, 2, 3, 4, 5, 6}, []int{0, 0, 0, 1, 1, 1}, 27.0 / 35},
		// Three groups {1,2}, {6}, {3,4}: mean 3.2, SS_total = 14.8,
		// SS_between = 2 (1.5-3.2)^2 + (6-3.2)^2 + 2 (3.5-3.2)^2 = 13.8.
		{"three groups", []float64{1, 2, 6, 3, 4}, []int{0, 0, 1, 2, 2}, 13.8 / 14.8},
		{"unused label", []float64{1, 1, 2, 2}, []int{0, 0, 3, 3}, 1},
		{"constant", []float64{4, 4, 4}, []int{0, 1, 1}, 0},
		{"empty", nil, nil, 0},
		{"NaN", []float64{1, math.NaN()}, []int{0, 1}, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EtaSquared(tc.scores, tc.groups); !near(got, tc.want, tolExact) {
				t.Errorf("EtaSquared = %v, want %v", got, tc.want)
			}
		})
	}
	mustPanic(t, "length mismatch", func() { EtaSquared([]float64{1}, nil) })
	mustPanic(t, "negative label", func() { EtaSquared([]float64{1}, []int{-1}) })
}

// branchLabels returns b branches of n units each: labels 0..0, 1..1, ...
func branchLabels(b, n int) []int {
	g := make([]int, 0, b*n)
	for i := range b {
		for range n {
			g = append(g, i)
		}
	}
	return g
}

func TestPermutationTestPlantedSplit(t *testing.T) {
	const perms = 200
	for seed := range uint64(5) {
		rng := newRNG(seed)
		groups := branchLabels(2, 16)
		scores := make([]float64, len(groups))
		for i, g := range groups {
			if g == 0 {
				scores[i] = 0.8 + 0.2*rng.Float64()
			} else {
				scores[i] = 0.2 * rng.Float64()
			}
		}
		stat := func(g []int) float64 { return EtaSquared(scores, g) }
		obs, z, p := PermutationTest(stat, groups, perms, rng)
		if obs <= 0.9 {
			t.Errorf("seed %d: eta^2 = %v, want > 0.9", seed, obs)
		}
		if p != 1.0/(perms+1) {
			t.Errorf("seed %d: p = %v, want 1/%d", seed, p, perms+1)
		}
		if z < 10 {
			t.Errorf("seed %d: z = %v, want a large positive z", seed, z)
		}
	}
}

// TestPermutationTestNull checks calibration on i.i.d. scores: p is roughly
// uniform and |z| >= 3 is rare. eta^2 with 2 groups of 16 is about
// Beta(1/2, 15) under the null, whose upper tail beyond mean + 3 sd holds
// about 2%, so the threshold on the |z| >= 3 rate is 5% of the seeds.
func TestPermutationTestNull(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 50
	}
	const perms = 200
	var big, small int
	var sumP float64
	for seed := range uint64(seeds) {
		rng := newRNG(1000 + seed)
		groups := branchLabels(2, 16)
		scores := make([]float64, len(groups))
		for i := range scores {
			scores[i] = rng.NormFloat64()
		}
		_, z, p := PermutationTest(func(g []int) float64 { return EtaSquared(scores, g) }, groups, perms, rng)
		if math.Abs(z) >= 3 {
			big++
		}
		if p <= 0.05 {
			small++
		}
		sumP += p
	}
	n := float64(seeds)
	t.Logf("%d seeds: |z| >= 3 in %d, p <= 0.05 in %d, mean p %.3f", seeds, big, small, sumP/n)
	if rate := float64(big) / n; rate > 0.05 {
		t.Errorf("|z| >= 3 in %d of %d seeds (%.3f), want <= 0.05", big, seeds, rate)
	}
	// Uniform p: mean 1/2 (sd 0.29/sqrt(n)), P(p <= 0.05) = 0.05.
	if mean := sumP / n; math.Abs(mean-0.5) > 4*0.29/math.Sqrt(n) {
		t.Errorf("mean p = %.3f over %d seeds, want about 0.5", mean, seeds)
	}
	if rate := float64(small) / n; rate > 0.05+4*math.Sqrt(0.05*0.95/n) {
		t.Errorf("p <= 0.05 in %.3f of seeds, want about 0.05", rate)
	}
}

func TestPermutationTestDeterministic(t *testing.T) {
	scores := []float64{0.1, 0.5, 0.3, 0.9, 0.2, 0.7, 0.4, 0.6}
	groups := branchLabels(2, 4)
	stat := func(g []int) float64 { return EtaSquared(scores, g) }
	o1, z1, p1 := PermutationTest(stat, groups, 50, newRNG(7))
	o2, z2, p2 := PermutationTest(stat, groups, 50, newRNG(7))
	if o1 != o2 || z1 != z2 || p1 != p2 {
		t.Errorf("same rng gave (%v,%v,%v) and (%v,%v,%v)", o1, z1, p1, o2, z2, p2)
	}
	if groups[0] != 0 || groups[7] != 1 {
		t.Errorf("PermutationTest modified the caller's groups: %v", groups)
	}
}

func TestPermutationTestEdges(t *testing.T) {
	groups := branchLabels(2, 3)
	t.Run("no permutations", func(t *testing.T) {
		obs, z, p := PermutationTest(func([]int) float64 { return 0.5 }, groups, 0, newRNG(1))
		if obs != 0.5 || z != 0 || p != 1 {
			t.Errorf("got (%v, %v, %v), want (0.5, 0, 1)", obs, z, p)
		}
	})
	t.Run("constant statistic", func(t *testing.T) {
		_, z, p := PermutationTest(func([]int) float64 { return 0.5 }, groups, 9, newRNG(1))
		if z != 0 || p != 1 {
			t.Errorf("got z = %v, p = %v, want 0, 1", z, p)
		}
	})
	t.Run("NaN statistic", func(t *testing.T) {
		_, z, p := PermutationTest(func([]int) float64 { return math.NaN() }, groups, 9, newRNG(1))
		if !math.IsNaN(z) || !math.IsNaN(p) {
			t.Errorf("got z = %v, p = %v, want NaN", z, p)
		}
	})
}

func TestSplitTest(t *testing.T) {
	const perms = 200
	groups := branchLabels(2, 16)
	t.Run("planted", func(t *testing.T) {
		// Luminance-only kernels in branch 0, colour-opponent ones in
		// branch 1: chroma 0 against 1, eta^2 = 1, no permutation reaches it
		// but the one that swaps the branches whole.
		rng := newRNG(4)
		lum := LuminanceAxis([3]float64{1, 1, 1})
		orth := [3]float64{0, lum[2], -lum[1]}
		scores := make([]float64, len(groups))
		for i, g := range groups {
			gains := lum
			if g == 1 {
				gains = orth
			}
			k := make([]float32, 9)
			for j := range k {
				k[j] = float32(rng.NormFloat64())
			}
			scores[i] = ChromaAlong(planes(k, gains32(gains)), 3, lum)
		}
		eta2, null := SplitTest(scores, groups, perms, rng)
		if !near(eta2, 1, tolFloat32) || null.P(eta2) != 1.0/(perms+1) || null.N() != perms {
			t.Errorf("eta^2 = %v, p = %v, N = %d; want 1, 1/%d, %d", eta2, null.P(eta2), null.N(), perms+1, perms)
		}
		if m := null.Mean(); m > 0.1 {
			t.Errorf("null mean %v, want about 1/31 (E eta^2 = (B-1)/(n-1) under the null)", m)
		}
	})
	t.Run("same p and obs as PermutationTest", func(t *testing.T) {
		scores := make([]float64, len(groups))
		rng := newRNG(6)
		for i := range scores {
			scores[i] = rng.Float64()
		}
		eta2, null := SplitTest(scores, groups, perms, newRNG(7))
		obs, z, p := PermutationTest(func(g []int) float64 { return EtaSquared(scores, g) }, groups, perms, newRNG(7))
		if eta2 != obs || null.P(eta2) != p || !near(z, (eta2-null.Mean())/null.SD(), tolExact) {
			t.Errorf("SplitTest (%v, %v), PermutationTest (%v, %v, z %v)", eta2, null.P(eta2), obs, p, z)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		eta2, null := SplitTest([]float64{1, math.NaN(), 2, 3}, []int{0, 0, 1, 1}, perms, newRNG(1))
		if !math.IsNaN(eta2) || !math.IsNaN(null.P(eta2)) || null.N() != 0 {
			t.Errorf("eta^2 = %v, p = %v, N = %d; want NaN, NaN, 0", eta2, null.P(eta2), null.N())
		}
	})
	mustPanic(t, "length mismatch", func() { SplitTest([]float64{1}, nil, 10, newRNG(1)) })
	mustPanic(t, "negative label", func() { SplitTest([]float64{1}, []int{-1}, 10, newRNG(1)) })
}

// TestSplitTestCalibrated is the step-0 calibration of the first-layer
// split null: for i.i.d. random kernels (exchangeable units) the
// permutation p of eta^2 of chroma and of frequency is uniform over seeds.
func TestSplitTestCalibrated(t *testing.T) {
	const perms, k = 200, 5
	seeds := 200
	if testing.Short() {
		seeds = 100
	}
	groups := branchLabels(2, 16)
	lum := LuminanceAxis([3]float64{1 / 0.247, 1 / 0.243, 1 / 0.261})
	for _, sc := range []struct {
		name  string
		score func([]float32) float64
	}{
		{"chroma", func(w []float32) float64 { return ChromaAlong(w, k, lum) }},
		{"frequency", func(w []float32) float64 { return FrequencyCentroid(w, 3, k) }},
	} {
		name, score := sc.name, sc.score
		cal := stats.Calibrate(seeds, perms, func(seed uint64) float64 {
			rng := newRNG(seed)
			scores := make([]float64, len(groups))
			for i := range scores {
				scores[i] = score(randKernel(rng, k))
			}
			eta2, null := SplitTest(scores, groups, perms, rng)
			return null.P(eta2)
		})
		rate, lo, hi := cal.Rate(0.05)
		t.Logf("%s: p <= 0.05 in %.3f [%.3f, %.3f] of %d seeds, KS p %.3f", name, rate, lo, hi, seeds, cal.KSP)
		if cal.KSP <= 0.01 || lo > 0.05 || hi < 0.05 {
			t.Errorf("%s: rate %.3f [%.3f, %.3f], KS p %.4f; want calibrated", name, rate, lo, hi, cal.KSP)
		}
	}
}
