// Package data supplies labelled image sets for training: a procedurally
// generated colour-by-form set that needs no download, loaders for CIFAR-10
// and IDX (MNIST-family) files, grayscale conversion, and the per-epoch
// shuffling order whose whole state is two integers.
//
// Every set is float32, NCHW, row-major, with pixel intensity p in [0,1]
// stored as
//
//	x = 2p - 1
//
// on every channel. The map is affine and the Rec. 601 luminance weights sum
// to 1, so luminance computed on stored values equals the stored value of the
// luminance.
//
// All randomness comes from PCG generators (math/rand/v2) seeded by the
// caller; the package holds no mutable state and no global RNG.
//
// Boundaries: data owns the image sets, their loaders and the epoch
// order; it draws through trainer/rng and must never import configs,
// trainer, results or experiments.
package data
