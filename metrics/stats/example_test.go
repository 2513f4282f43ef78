package stats_test

import (
	"fmt"
	"math/rand/v2"

	"branchspec/metrics/stats"
)

// Compare a regime's final values across seeds with the baseline's.
func Example() {
	baseline := []float64{0.10, 0.12, 0.08, 0.11}
	cut := []float64{0.02, 0.04, 0.03, 0.01}
	rng := rand.New(rand.NewPCG(1, 0))
	lo, hi := stats.BootstrapDiffCI(cut, baseline, 0.95, 2000, rng)
	fmt.Printf("difference %.4f, 95%% CI excludes 0: %v\n", stats.Mean(cut)-stats.Mean(baseline), hi < 0 || lo > 0)
	fmt.Printf("Hedges' g %.2f\n", stats.HedgesG(cut, baseline))
	fmt.Printf("p = %.4f (exact, C(8,4) = 70 splits)\n", stats.PermutationP(cut, baseline, 10000, nil))
	// Output:
	// difference -0.0775, 95% CI excludes 0: true
	// Hedges' g -4.45
	// p = 0.0286 (exact, C(8,4) = 70 splits)
}
