package metrics

import "testing"

// Realistic sizes: 256 probe examples, a branch output of 16 channels of
// 16x16 (4096 features).
func BenchmarkLinearCKA(b *testing.B) {
	const n, p = 256, 16 * 16 * 16
	rng := newRNG(1)
	x, y := randMat(rng, n, p), randMat(rng, n, p)
	b.ResetTimer()
	for b.Loop() {
		LinearCKA(x, n, p, y, p)
	}
}

// GramCKA on precomputed Grams: the marginal cost of one more comparison.
func BenchmarkGramCKA(b *testing.B) {
	const n, p = 256, 16 * 16 * 16
	rng := newRNG(1)
	k, l := CenteredGram(randMat(rng, n, p), n, p), CenteredGram(randMat(rng, n, p), n, p)
	b.ResetTimer()
	for b.Loop() {
		GramCKA(k, l, n)
	}
}

// 32 units in 2 branches, 200 permutations of eta^2.
func BenchmarkPermutationTest(b *testing.B) {
	rng := newRNG(2)
	groups := branchLabels(2, 16)
	scores := make([]float64, len(groups))
	for i := range scores {
		scores[i] = rng.Float64()
	}
	stat := func(g []int) float64 { return EtaSquared(scores, g) }
	b.ResetTimer()
	for b.Loop() {
		PermutationTest(stat, groups, 200, rng)
	}
}

// 32 x 32 channels, 3x3 kernels, 50 shuffles.
func BenchmarkNCutShuffleTest(b *testing.B) {
	rng := newRNG(3)
	part := branchLabels(2, 16)
	w := convWeights(rng, 32, 32, part, part, 1)
	b.ResetTimer()
	for b.Loop() {
		NCutShuffleTest(w, 32, 32, 9, part, part, 2, 50, rng)
	}
}

// 32 first-layer kernels 3x5x5: chroma and frequency for each.
func BenchmarkKernelScores(b *testing.B) {
	rng := newRNG(4)
	w := make([]float32, 32*75)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	b.ResetTimer()
	for b.Loop() {
		for o := range 32 {
			k := w[o*75 : (o+1)*75]
			Chroma(k, 5)
			FrequencyCentroid(k, 3, 5)
		}
	}
}

func BenchmarkProbeBank(b *testing.B) {
	for b.Loop() {
		ProbeBank(64, 32)
	}
}
