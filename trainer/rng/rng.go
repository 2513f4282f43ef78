package rng

import (
	"hash/fnv"
	"math/rand/v2"
)

// golden is 2^64 / phi, the increment of SplitMix64's state.
const golden = 0x9e3779b97f4a7c15

// SplitMix64 is the output function of SplitMix64 applied to the state
// x + golden (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014):
//
//	z = x + 0x9e3779b97f4a7c15
//	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
//	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
//	SplitMix64(x) = z ^ (z >> 31)
//
// so SplitMix64(0), SplitMix64(golden), ... are the generator's outputs
// from state 0. It spreads nearby inputs (seeds 1, 2, 3) far apart.
func SplitMix64(x uint64) uint64 {
	x += golden
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream returns the generator for one purpose of a run ("init", "mixing",
// "rerandomize/branch.0.1", "metrics/chroma", ...): a PCG seeded with
//
//	PCG(SplitMix64(seed ^ FNV-1a(purpose)), SplitMix64(counter + 0x9e3779b97f4a7c15))
//
// Streams are pure functions of their arguments, so a checkpoint needs no
// generator state beyond the counters it already holds (the step, the data
// order's epoch and position).
func Stream(seed uint64, purpose string, counter uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(SplitMix64(seed^h.Sum64()), SplitMix64(counter+golden)))
}

// Keyed returns the PCG source of item i of a tagged purpose under seed:
//
//	PCG(seed, SplitMix64(SplitMix64(tag) ^ i))
//
// trainer/data draws its generated images and epoch orders from it with
// its own fixed algorithms (seed there is already a stream's output, such
// as Stream(runSeed, "data-order", 0).Uint64()). It keeps the bits of
// every dataset and order generated so far.
func Keyed(seed, tag, i uint64) *rand.PCG {
	return rand.NewPCG(seed, SplitMix64(SplitMix64(tag)^i))
}
