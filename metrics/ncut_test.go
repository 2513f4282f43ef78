package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"branchspec/metrics/stats"
)

func TestNCut(t *testing.T) {
	tests := []struct {
		name            string
		e               []float64
		out, in         int
		partOut, partIn []int
		nParts          int
		want            float64
	}{
		// In-part weights 1, cross weights 0.5: vol = 1.5 + 1.5 = 3 per
		// part, cut = 0.5 + 0.5 = 1 per part: 1/3 + 1/3.
		{"hand", []float64{1, 0.5, 0.5, 1}, 2, 2, []int{0, 1}, []int{0, 1}, 2, 2.0 / 3},
		{"block diagonal", []float64{1, 0, 0, 2}, 2, 2, []int{0, 1}, []int{0, 1}, 2, 0},
		// All edges cross: each part's cut equals its volume.
		{"anti-diagonal", []float64{0, 1, 1, 0}, 2, 2, []int{0, 1}, []int{0, 1}, 2, 2},
		{"single part", []float64{1, 2, 3, 4}, 2, 2, []int{0, 0}, []int{0, 0}, 1, 0},
		{"empty part", []float64{1, 0.5, 0.5, 1}, 2, 2, []int{0, 1}, []int{0, 1}, 3, 2.0 / 3},
		{"zero graph", []float64{0, 0, 0, 0}, 2, 2, []int{0, 1}, []int{0, 1}, 2, 0},
		{"NaN", []float64{math.NaN(), 0, 0, 1}, 2, 2, []int{0, 1}, []int{0, 1}, 2, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NCut(tc.e, tc.out, tc.in, tc.partOut, tc.partIn, tc.nParts); !near(got, tc.want, tolExact) {
				t.Errorf("NCut = %v, want %v", got, tc.want)
			}
		})
	}
	mustPanic(t, "part out of range", func() { NCut([]float64{1}, 1, 1, []int{2}, []int{0}, 2) })
}

func TestChannelGraph(t *testing.T) {
	w := []float32{1, -2, 0.5, 0, 3, 3, -1, -1} // [2, 2, 2]
	want := []float64{3, 0.5, 6, 2}
	got := ChannelGraph(w, 2, 2, 2)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ChannelGraph = %v, want %v", got, want)
		}
	}
}

// convWeights returns conv weights [out, in, 9] with |w| drawn U(0,1) on
// in-branch kernels and scaled by offScale on cross-branch kernels.
func convWeights(rng *rand.Rand, out, in int, partOut, partIn []int, offScale float64) []float32 {
	w := make([]float32, out*in*9)
	for j := range out {
		for i := range in {
			s := 1.0
			if partOut[j] != partIn[i] {
				s = offScale
			}
			for t := range 9 {
				w[(j*in+i)*9+t] = float32(s * (2*rng.Float64() - 1))
			}
		}
	}
	return w
}

func TestNCutShuffleTestPlanted(t *testing.T) {
	rng := newRNG(11)
	partIn, partOut := branchLabels(2, 16), branchLabels(2, 16)
	w := convWeights(rng, 32, 32, partOut, partIn, 1e-3)
	obs, z, p := NCutShuffleTest(w, 32, 32, 9, partOut, partIn, 2, 50, rng)
	if obs > 0.01 || z > -3 || p != 1.0/51 {
		t.Errorf("planted blocks: obs = %v, z = %v, p = %v; want obs ~ 0, z < -3, p = 1/51", obs, z, p)
	}
}

// TestNCutShuffleTestNull checks that dense i.i.d. weights are rarely
// called modular: |z| >= 3 in at most 10% of seeds (a z-score of a roughly
// normal null; expected rate ~0.3%).
func TestNCutShuffleTestNull(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 10
	}
	partIn, partOut := branchLabels(2, 16), branchLabels(2, 16)
	bad := 0
	for s := range uint64(seeds) {
		rng := newRNG(100 + s)
		w := convWeights(rng, 32, 32, partOut, partIn, 1)
		_, z, _ := NCutShuffleTest(w, 32, 32, 9, partOut, partIn, 2, 50, rng)
		if math.Abs(z) >= 3 {
			bad++
		}
	}
	if bad > seeds/10 {
		t.Errorf("|z| >= 3 in %d of %d random graphs", bad, seeds)
	}
}

func TestNCutShuffleTestDeterministic(t *testing.T) {
	partIn, partOut := branchLabels(2, 4), branchLabels(2, 4)
	w := convWeights(newRNG(3), 8, 8, partOut, partIn, 0.5)
	o1, z1, p1 := NCutShuffleTest(w, 8, 8, 9, partOut, partIn, 2, 20, newRNG(9))
	o2, z2, p2 := NCutShuffleTest(w, 8, 8, 9, partOut, partIn, 2, 20, newRNG(9))
	if o1 != o2 || z1 != z2 || p1 != p2 {
		t.Errorf("same rng gave (%v,%v,%v) and (%v,%v,%v)", o1, z1, p1, o2, z2, p2)
	}
}

func TestReadMostPartition(t *testing.T) {
	e := []float64{
		1, 2, 0, 0, // reads part 0 only
		0, 0, 3, 1, // part 1
		1, 1, 1, 1, // a tie: the lowest part
		0, 0.5, 2, 0, // 0.5 against 2: part 1
		0, 0, 0, 0, // reads nothing: part 0
	}
	got := ReadMostPartition(e, 5, 4, []int{0, 0, 1, 1}, 2)
	if want := []int{0, 1, 0, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("ReadMostPartition = %v, want %v", got, want)
	}
	mustPanic(t, "length", func() { ReadMostPartition(e, 5, 3, []int{0, 0, 1}, 2) })
	mustPanic(t, "label", func() { ReadMostPartition(e, 5, 4, []int{0, 0, 1, 2}, 2) })
}

// rejoinOut, rejoinIn, rejoinTaps: the rejoin of the default config: 2 branches of 16
// channels concatenated into a 3x3 conv with 64 outputs.
const rejoinOut, rejoinIn, rejoinTaps = 64, 32, 9

// randomLayer returns i.i.d. N(0, 1) weights [out, in, taps].
func randomLayer(rng *rand.Rand, out, in, taps int) []float32 {
	w := make([]float32, out*in*taps)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	return w
}

func TestNCutTest(t *testing.T) {
	const shuffles = 50
	partIn := branchLabels(2, 16)
	t.Run("planted block diagonal", func(t *testing.T) {
		// Outputs 0..31 read branch 0, 32..63 branch 1, cross-branch
		// kernels 1000 times weaker: the derived partition recovers the
		// blocks, the n-cut is near 0 and no shuffle comes close.
		rng := newRNG(12)
		partOut := branchLabels(2, 32)
		w := convWeights(rng, rejoinOut, rejoinIn, partOut, partIn, 1e-3)
		obs, null := NCutTest(w, rejoinOut, rejoinIn, rejoinTaps, nil, partIn, 2, shuffles, rng)
		if obs > 0.01 || null.P(obs) != 1.0/(shuffles+1) || null.Tail() != Lower {
			t.Errorf("obs = %v, p = %v (tail %v); want ~0, 1/%d", obs, null.P(obs), null.Tail(), shuffles+1)
		}
		if m := null.Mean(); m < 0.8 {
			t.Errorf("null mean %v: shuffled graphs should cut about half their weight in each part", m)
		}
	})
	t.Run("fixed partition agrees with NCutShuffleTest", func(t *testing.T) {
		partOut := branchLabels(2, 32)
		w := randomLayer(newRNG(2), rejoinOut, rejoinIn, rejoinTaps)
		obs, null := NCutTest(w, rejoinOut, rejoinIn, rejoinTaps, partOut, partIn, 2, shuffles, newRNG(3))
		o2, _, p2 := NCutShuffleTest(w, rejoinOut, rejoinIn, rejoinTaps, partOut, partIn, 2, shuffles, newRNG(3))
		if obs != o2 || null.P(obs) != p2 {
			t.Errorf("NCutTest (%v, %v), NCutShuffleTest (%v, %v)", obs, null.P(obs), o2, p2)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		w := randomLayer(newRNG(2), rejoinOut, rejoinIn, rejoinTaps)
		o1, n1 := NCutTest(w, rejoinOut, rejoinIn, rejoinTaps, nil, partIn, 2, shuffles, newRNG(9))
		o2, n2 := NCutTest(w, rejoinOut, rejoinIn, rejoinTaps, nil, partIn, 2, shuffles, newRNG(9))
		if o1 != o2 || !slices.Equal(n1.Values(), n2.Values()) {
			t.Errorf("same rng gave %v and %v", o1, o2)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		w := randomLayer(newRNG(2), 4, 4, 1)
		w[3] = float32(math.NaN())
		obs, null := NCutTest(w, 4, 4, 1, nil, []int{0, 0, 1, 1}, 2, shuffles, newRNG(1))
		if !math.IsNaN(obs) || null.N() != 0 || !math.IsNaN(null.P(obs)) {
			t.Errorf("obs %v, N %d", obs, null.N())
		}
	})
}

// ncutPValue returns the p-value of the n-cut null for a random rejoin
// layer of seed s: with the partition derived again on every shuffle
// (derive) or derived once from the observed graph and held fixed.
func ncutPValue(s uint64, derive bool) float64 {
	const shuffles = 50
	rng := newRNG(5000 + s)
	partIn := branchLabels(2, 16)
	w := randomLayer(rng, rejoinOut, rejoinIn, rejoinTaps)
	if derive {
		obs, null := NCutTest(w, rejoinOut, rejoinIn, rejoinTaps, nil, partIn, 2, shuffles, rng)
		return null.P(obs)
	}
	e := ChannelGraph(w, rejoinOut, rejoinIn, rejoinTaps)
	partOut := ReadMostPartition(e, rejoinOut, rejoinIn, partIn, 2)
	obs, null := NCutTest(w, rejoinOut, rejoinIn, rejoinTaps, partOut, partIn, 2, shuffles, rng)
	return null.P(obs)
}

// TestNCutTestCalibrated: on random layers (exchangeable kernels) the
// re-derived n-cut null gives uniform p: p < 0.05 in about 5% of 200
// seeds and KS p > 0.01.
func TestNCutTestCalibrated(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 100
	}
	cal := stats.Calibrate(seeds, 50, func(s uint64) float64 { return ncutPValue(s, true) })
	rate, lo, hi := cal.Rate(0.05)
	t.Logf("re-derived partition: p <= 0.05 in %.3f [%.3f, %.3f] of %d random layers, KS p %.3f", rate, lo, hi, seeds, cal.KSP)
	if cal.KSP <= 0.01 || lo > 0.05 || hi < 0.05 {
		t.Errorf("rate %.3f [%.3f, %.3f], KS p %.4f; want calibrated", rate, lo, hi, cal.KSP)
	}
}

// TestNCutFixedPartitionNullMiscalibrated documents why NCutShuffleTest's
// use with a partition derived from the observed weights was replaced: the
// observed cut is optimised by its own partition and the shuffled ones are
// not, so random layers look modular in nearly every seed.
func TestNCutFixedPartitionNullMiscalibrated(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 50
	}
	cal := stats.Calibrate(seeds, 50, func(s uint64) float64 { return ncutPValue(s, false) })
	rate, lo, hi := cal.Rate(0.05)
	t.Logf("fixed partition: p <= 0.05 in %.3f [%.3f, %.3f] of %d random layers, KS p %.2g", rate, lo, hi, seeds, cal.KSP)
	if cal.KSP > 0.01 || lo < 0.5 {
		t.Errorf("rate %.3f [%.3f, %.3f], KS p %.4f; expected the fixed-partition null to reject most random layers", rate, lo, hi, cal.KSP)
	}
}
