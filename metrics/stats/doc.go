// Package stats holds the statistics branchspec uses to compare runs across
// seeds and regimes: means, percentile bootstrap intervals, Hedges' g,
// permutation p-values, Pearson correlation, trapezoid areas and least
// squares lines; Wilson intervals for counts ("a split formed in k of n
// runs") and for the difference of paired proportions (a lesion's accuracy
// drop on the same examples), Benjamini-Hochberg false discovery rate control across many
// contrasts, and a Kolmogorov-Smirnov test of uniformity with which a null's
// p-values are shown to be calibrated (Calibrate). It is pure computation:
// no I/O, and every random draw comes from a *rand.Rand the caller passes
// in.
//
// Conventions shared by every function: an input that leaves a statistic
// undefined (too few values, zero variance) gives NaN rather than an error
// or a panic; slices that must pair up (x and y) and out-of-range
// parameters panic, as they are programming errors. NaN inputs propagate;
// callers drop missing values first.
//
// Boundaries: stats owns the statistics of comparisons across seeds, pure
// computation; it must never import another branchspec package and does no
// I/O.
package stats
