package metrics_test

import (
	"fmt"
	"math/rand/v2"

	"branchspec/metrics"
)

// Chroma of three 1x1 kernels against the Rec. 601 luminance axis of
// unscaled inputs: one along it (sees luminance only), red only, and red
// against green at equal luminance.
func ExampleChromaAlong() {
	l := metrics.LuminanceAxis([3]float64{1, 1, 1})
	lum := []float32{float32(l[0]), float32(l[1]), float32(l[2])}
	for _, w := range [][]float32{lum, {1, 0, 0}, {0.587, -0.299, 0}} {
		fmt.Printf("%.3f\n", metrics.ChromaAlong(w, 1, l))
	}
	d := metrics.ChromaChance(5 * 5) // random 5x5 kernels
	fmt.Printf("chance: mean %.3f, 5th %.3f, 95th percentile %.3f\n", d.Mean(), d.Quantile(0.05), d.Quantile(0.95))
	// Output:
	// 0.000
	// 0.800
	// 1.000
	// chance: mean 0.667, 5th 0.537, 95th percentile 0.787
}

// The between-branch split of unit chroma with its permutation null: two
// branches of four units, the second one colour-tuned. Only 2 of the
// C(8,4) = 70 splits into two groups of four (this one and its relabelling)
// reach the observed eta^2, so p cannot fall much below 2/70 = 0.029. The
// null's mean is near E eta^2 = (B-1)/(n-1) = 1/7.
func ExampleSplitTest() {
	chroma := []float64{0.05, 0.10, 0.02, 0.08, 0.90, 0.85, 0.95, 0.70}
	branch := []int{0, 0, 0, 0, 1, 1, 1, 1}
	rng := rand.New(rand.NewPCG(1, 2))
	eta2, null := metrics.SplitTest(chroma, branch, 200, rng)
	fmt.Printf("eta^2 = %.3f, null %.3f +- %.3f, p = %.3f\n", eta2, null.Mean(), null.SD(), null.P(eta2))
	fmt.Println("colour branch:", metrics.AlignBranches(chroma, branch, 2)[0])
	// Output:
	// eta^2 = 0.970, null 0.133 +- 0.190, p = 0.035
	// colour branch: 1
}

// An initialisation null: a metric's values over fresh initialisations,
// stored once per run, then read at every checkpoint. 13 of the 20 values
// are >= 0.52, so p(0.52) = 14/21; none reaches 0.60, so p = 1/21.
func ExampleNull() {
	atInit := []float64{0.52, 0.51, 0.53, 0.52, 0.50, 0.52, 0.54, 0.51, 0.52, 0.53,
		0.51, 0.52, 0.50, 0.53, 0.52, 0.51, 0.52, 0.55, 0.52, 0.51}
	null := metrics.NewNull(atInit, metrics.Upper)
	for _, obs := range []float64{0.52, 0.60} {
		fmt.Printf("obs %.2f: null %.3f +- %.3f (N = %d), p = %.3f\n", obs, null.Mean(), null.SD(), null.N(), null.P(obs))
	}
	// Output:
	// obs 0.52: null 0.519 +- 0.012 (N = 20), p = 0.667
	// obs 0.60: null 0.519 +- 0.012 (N = 20), p = 0.048
}

// The article's InceptionV1 figures: all 9 black-and-white-vs-colour units
// of mixed3a in its 5x5 branch (32 of 256 units), all 30 curve units of
// mixed3b in its 5x5 branch (96 of 480 units).
func ExampleHypergeomLogTail() {
	fmt.Printf("mixed3a: log10 p = %.2f\n", metrics.HypergeomLogTail(9, 32, 9, 256))
	fmt.Printf("mixed3b: log10 p = %.2f\n", metrics.HypergeomLogTail(30, 96, 30, 480))
	// Output:
	// mixed3a: log10 p = -8.60
	// mixed3b: log10 p = -22.77
}

// How much each output of the first layer after the rejoin reads from each
// of two branches.
func ExampleRejoinDependency() {
	// Linear layer, 2 outputs, 4 inputs: inputs 0-1 from branch 0, 2-3
	// from branch 1.
	w := []float32{
		1, 1, 0, 0, // output 0 reads branch 0 only
		1, 0, 0, 1, // output 1 reads both equally
	}
	A, maxShare, entropy := metrics.RejoinDependency(w, 2, 4, 1, []int{0, 0, 1, 1}, 2)
	fmt.Println(A)
	fmt.Printf("maxShare %.2f, entropy %.2f\n", maxShare, entropy)
	// Output:
	// [[1 0] [0.5 0.5]]
	// maxShare 0.75, entropy 0.50
}
