package trainer

import (
	"math/rand/v2"

	"branchspec/trainer/rng"
)

// Stream returns the generator for one purpose of a run ("init", "mixing",
// "rerandomize/branch.0.1", "metrics/chroma", ...); it is rng.Stream, the
// one derivation of a run's streams from its seed, named here for the
// packages that drive the trainer.
func Stream(seed uint64, purpose string, counter uint64) *rand.Rand {
	return rng.Stream(seed, purpose, counter)
}
