// Package trainer builds the branched CNN that a config describes and trains
// it: weights drawn from the run's seeded RNG, a gorgonia graph for the
// training step and one for evaluation, our own checkpointable solvers, and a
// State that holds everything a bit-identical resume needs.
//
// The network (Voss et al., "Branch Specialization", Distill 2021):
//
//	input -> stem convs -> split into B branches -> each branch's convs
//	      -> concat on channels (the rejoin) -> trunk convs -> flatten
//	      -> hidden fully connected layers -> logits
//
// Every conv is zero-padded by half its kernel, with a stride (1: "same"
// size), followed by ReLU (or nothing), optional local response
// normalisation and an optional max pool (tiling, or overlapping 3/2); the
// trunk's output may be averaged per channel (global average pooling)
// before the dense layers. B = 1 with the same total width is the
// unbranched twin. Training batches are augmented (padded crops and flips)
// with draws that are a function of the seed and the step.
//
// # Boundaries
//
// trainer owns the architecture (Arch: each layer's knobs from
// configs.Layer and the shapes it meets), the parameters, the gorgonia
// graphs and the training step. Its graph nodes never leave the package:
// what measuring needs it offers as methods (Model.FirstKernels,
// Model.Rejoin, Model.Weight, Evaluator.EvaluateEach and Batches with
// Activations, HeadEvaluator.Lesion, CenteredGram), so nothing above it
// imports gorgonia or the GEMM. It must never import results, metrics or
// experiments: it trains, and knows nothing of stores or metrics.
package trainer
