package metrics_test

import (
	"fmt"
	"math/rand/v2"

	"branchspec/metrics"
)

// Chroma of three 1x1 kernels: colour blind, red only, red versus green.
func ExampleChroma() {
	for _, w := range [][]float32{{1, 1, 1}, {1, 0, 0}, {1, -1, 0}} {
		fmt.Printf("%v: %.3f\n", w, metrics.Chroma(w, 1))
	}
	// Output:
	// [1 1 1]: 0.000
	// [1 0 0]: 0.667
	// [1 -1 0]: 1.000
}

// The between-branch split of unit chroma with its permutation null: two
// branches of four units, the second one colour-tuned. Only 2 of the
// C(8,4) = 70 splits into two groups of four (this one and its relabelling)
// reach the observed eta^2, so p cannot fall much below 2/70 = 0.029.
func ExamplePermutationTest() {
	chroma := []float64{0.05, 0.10, 0.02, 0.08, 0.90, 0.85, 0.95, 0.70}
	branch := []int{0, 0, 0, 0, 1, 1, 1, 1}
	rng := rand.New(rand.NewPCG(1, 2))
	eta2, _, p := metrics.PermutationTest(func(g []int) float64 {
		return metrics.EtaSquared(chroma, g)
	}, branch, 200, rng)
	fmt.Printf("eta^2 = %.3f, p = %.3f\n", eta2, p)
	fmt.Println("colour branch:", metrics.AlignBranches(chroma, branch, 2)[0])
	// Output:
	// eta^2 = 0.970, p = 0.035
	// colour branch: 1
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
