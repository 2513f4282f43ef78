package trainer

import (
	"hash/fnv"
	"math/rand/v2"
)

// Stream returns the RNG for one purpose of a run ("init", "mixing",
// "rerandomize/branch.0.1", ...), a PCG seeded from the run's seed, a hash
// of the purpose and a counter. Streams are pure functions of their
// arguments, so a checkpoint needs no RNG state beyond the counters it
// already holds (step, data epoch and position).
func Stream(seed uint64, purpose string, counter uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(splitmix(seed^h.Sum64()), splitmix(counter+0x9e3779b97f4a7c15)))
}

// splitmix is SplitMix64's finaliser: it spreads nearby inputs apart.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
