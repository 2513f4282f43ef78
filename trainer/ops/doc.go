// Package ops provides fast float32 gorgonia operations for small NCHW
// convolutional networks (convolution of any stride, with or without a
// fused bias and ReLU; ReLU; local response normalisation; max pooling,
// tiled or overlapping; global average pooling; linear; channel
// concatenation; scaling; the gray of an image, a weighted channel sum;
// softmax cross-entropy) with symbolic gradients, batch-parallel yet
// bit-reproducible for any GOMAXPROCS.
//
// Each op owns its output and scratch buffers and reuses them on every run
// of the machine, so a value read from a node (its Value, or a gradient)
// stays valid only until the next run; copy it to keep it.
//
// The convolutions and Linear run the GEMM kernel their params name
// (ConvParams.Kernel, LinearParams.Kernel; "" is gemm.Default()), which
// fixes their bits (see gemm.Kernel); max pooling and LRN run the vector
// instructions of theirs (MaxPoolWith, MaxPool2DWith, LRNWith), with the
// same bits whichever it is.
//
// Boundaries: ops owns the custom gorgonia ops and their parallel split;
// it imports only the GEMM and must never import configs, trainer, results
// or experiments.
package ops
