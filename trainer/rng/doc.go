// Package rng holds the one SplitMix64 finaliser and the one derivation of
// a run's random streams from its seed, so that every package that draws
// (trainer, trainer/data) derives its generators the same way.
//
// It owns: SplitMix64 and Stream. It must never import another branchspec
// package: it is the leaf that trainer and trainer/data both build on.
package rng
