// Package data supplies labelled image sets for training: a procedurally
// generated colour-by-form set that needs no download, loaders for CIFAR-10
// binary batches, IDX (MNIST-family) files and image folders
// (ROOT/{train,test}/CLASS/*.{jpg,png}, decoded once into a checked cache),
// grayscale conversion, input preprocessing (mean image and one global
// scale, or per-channel normalisation), training augmentation (padded
// random crop and horizontal flip) and the per-epoch shuffling order whose
// whole state is two integers.
//
// Every set is NCHW, row-major, with pixel intensity p in [0,1] stored as
//
//	x = 2p - 1
//
// on every channel, either as float32 (Set.X) or, for 8-bit sources, as
// the bytes 255p (Set.Pix) converted when a batch is gathered. The map is
// affine and the Rec. 601 luminance weights sum to 1, so luminance
// computed on stored values equals the stored value of the luminance. What
// the network sees is Set.Gather's output: stored values, their luminance
// for a grayscale set, then the set's Preprocess; augmentation acts on
// that.
//
// All randomness comes from PCG generators (math/rand/v2) seeded by the
// caller, and augmentation draws are pure functions of (seed, step, slot);
// the package holds no mutable state and no global RNG.
//
// Boundaries: data owns the image sets, their loaders, preprocessing,
// augmentation and the epoch order; it draws through trainer/rng and must
// never import configs, trainer, results or experiments.
package data
