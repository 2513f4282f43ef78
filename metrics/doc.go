// Package metrics computes the branch-specialization metrics that branchspec
// logs at each checkpoint: pure functions of weights, activations and labels,
// with no I/O and no imports from the rest of the project.
//
// The metrics follow the project's science notes (../shared/docs/science.md, revision 2,
// "Metrics to log at each checkpoint"), each function citing the paper it
// comes from:
//
//	metric  what                             functions
//	1       kernel chroma and frequency,     LuminanceAxis, ChromaAlong,
//	        of w and of dw = w - w0          ChromaChance, FrequencyCentroid,
//	                                         Delta, Drift
//	2       colour selectivity index         CSI
//	3       between-branch split, its null   EtaSquared, SplitTest,
//	                                         PermutationNull
//	4       family concentration             TailFamilies, FamilyLogTails,
//	                                         HypergeomLogTail, FamilyNMI, NMI
//	5       dependency at the rejoin         RejoinDependency,
//	                                         FunctionalRejoinDependency,
//	                                         ExpandGroups
//	6       n-cut clusterability             ChannelGraph, NCut, NCutTest,
//	                                         ReadMostPartition
//	7       debiased linear CKA              DebiasedCKA, DebiasedGramCKA,
//	                                         CenteredGram
//	8       lesions                          Accuracy, LesionDrop
//	9       gradient share                   Shares
//
// plus AlignBranches (orders branches per seed for comparison across seeds)
// and Probes / ProbeBank (a deterministic bank of gratings, colour blobs and
// curves used to measure CSI and other probe responses).
//
// # Chance levels
//
// Every statistic is read against a measured null, never an assumed chance
// level. A Null holds the statistic's values under its null hypothesis
// (branch-label permutations, within-layer shuffles, or fresh
// initialisations of the same architecture), with its Mean, SD and the
// one-sided p-value P(obs) = (r+1)/(N+1) in the direction of its Tail.
// An initialisation null is built once per run with NewNull and reused at
// every checkpoint. The nulls are shown to be calibrated (uniform p where
// the null holds) by tests built on stats.Calibrate.
//
// # Conventions
//
// Data come as flat row-major slices with explicit dimensions, in the
// project's layouts: conv weights [O, C, K, K], linear weights [Out, In],
// activations [examples, features]. Branch (group) labels are ints in
// [0, nGroups).
//
// Misuse by the caller (a slice whose length disagrees with its stated
// dimensions, a label out of range, a negative size) panics with a message
// naming the function, as gonum's floats package does: such errors are
// programming errors, not data. Degenerate but legal data (empty input,
// constant input, zero weights) never panics; each function documents the
// value it returns then. NaN in the input propagates to a NaN result unless
// the doc comment says otherwise.
//
// Randomness (permutation and shuffle nulls) is injected as a *rand.Rand
// from math/rand/v2; for a given generator state every result is
// deterministic. The package holds no mutable state.
//
// # Boundaries
//
// metrics owns the specialization metrics as pure functions of numbers. It
// must never import another branchspec package (trainer, results,
// experiments), gorgonia or bbolt, and does no I/O.
package metrics
