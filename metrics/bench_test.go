package metrics

import "testing"

// The benchmarks cover what runs at every checkpoint, at the default
// config's sizes: a first layer of 2 branches of 16 kernels 3x5x5, a rejoin
// conv 3x3 from 32 to 64 channels, 256 examples for CKA with branch
// outputs of 16 channels of 8x8.

// 32 first-layer kernels 3x5x5: chroma and frequency of w and of dw.
func BenchmarkKernelScores(b *testing.B) {
	rng := newRNG(4)
	w, w0 := randomLayer(rng, 32, 3, 25), randomLayer(rng, 32, 3, 25)
	l := LuminanceAxis([3]float64{1, 1, 1})
	b.ResetTimer()
	for b.Loop() {
		dw := Delta(w, w0)
		for o := range 32 {
			for _, k := range [][]float32{w[o*75 : (o+1)*75], dw[o*75 : (o+1)*75]} {
				ChromaAlong(k, 5, l)
				FrequencyCentroid(k, 3, 5)
			}
		}
	}
}

// 32 units in 2 branches, 200 permutations of eta^2.
func BenchmarkSplitTest(b *testing.B) {
	rng := newRNG(2)
	groups := branchLabels(2, 16)
	scores := make([]float64, len(groups))
	for i := range scores {
		scores[i] = rng.Float64()
	}
	b.ResetTimer()
	for b.Loop() {
		eta2, null := SplitTest(scores, groups, 200, rng)
		null.P(eta2)
	}
}

// The rejoin, 64 x 32 channels, 3x3 kernels, 50 shuffles, the partition
// derived again on each.
func BenchmarkNCutTest(b *testing.B) {
	rng := newRNG(3)
	w := randomLayer(rng, rejoinOut, rejoinIn, rejoinTaps)
	partIn := branchLabels(2, 16)
	b.ResetTimer()
	for b.Loop() {
		NCutTest(w, rejoinOut, rejoinIn, rejoinTaps, nil, partIn, 2, 50, rng)
	}
}

// Weight and functional dependency at the rejoin.
func BenchmarkRejoinDependency(b *testing.B) {
	rng := newRNG(5)
	w := randomLayer(rng, rejoinOut, rejoinIn, rejoinTaps)
	groups := branchLabels(2, 16)
	act := make([]float64, rejoinIn)
	for i := range act {
		act[i] = rng.Float64()
	}
	b.ResetTimer()
	for b.Loop() {
		RejoinDependency(w, rejoinOut, rejoinIn, rejoinTaps, groups, 2)
		FunctionalRejoinDependency(w, rejoinOut, rejoinIn, rejoinTaps, groups, 2, act)
	}
}

// Families of the first layer from chance tails, both families' tails and
// NMI.
func BenchmarkFamilies(b *testing.B) {
	rng := newRNG(6)
	groups := branchLabels(2, 16)
	scores := make([]float64, len(groups))
	for i := range scores {
		scores[i] = rng.Float64()
	}
	d := ChromaChance(25)
	lo, hi := d.Quantile(0.05), d.Quantile(0.95)
	b.ResetTimer()
	for b.Loop() {
		labels := TailFamilies(scores, lo, hi)
		for _, f := range []int{FamilyHigh, FamilyLow} {
			FamilyLogTails(labels, f, groups, 2)
			FamilyNMI(labels, f, groups)
		}
	}
}

// Debiased CKA of two branch outputs (256 examples, 16*8*8 features),
// Grams included.
func BenchmarkDebiasedCKA(b *testing.B) {
	const n, p = 256, 16 * 8 * 8
	rng := newRNG(1)
	x, y := randMat(rng, n, p), randMat(rng, n, p)
	b.ResetTimer()
	for b.Loop() {
		DebiasedCKA(x, n, p, y, p)
	}
}

// DebiasedGramCKA on precomputed Grams: the marginal cost of one more
// comparison.
func BenchmarkDebiasedGramCKA(b *testing.B) {
	const n, p = 256, 16 * 8 * 8
	rng := newRNG(1)
	k, l := CenteredGram(randMat(rng, n, p), n, p), CenteredGram(randMat(rng, n, p), n, p)
	b.ResetTimer()
	for b.Loop() {
		DebiasedGramCKA(k, l, n)
	}
}

// GramCKA (plain, deprecated) on the same Grams, for comparison.
func BenchmarkGramCKA(b *testing.B) {
	const n, p = 256, 16 * 8 * 8
	rng := newRNG(1)
	k, l := CenteredGram(randMat(rng, n, p), n, p), CenteredGram(randMat(rng, n, p), n, p)
	b.ResetTimer()
	for b.Loop() {
		GramCKA(k, l, n)
	}
}

func BenchmarkProbeBank(b *testing.B) {
	for b.Loop() {
		ProbeBank(64, 32)
	}
}
