package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
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
