// Command refbench measures branchspec's training step against PyTorch on
// the reference net, side by side in one invocation.
//
// The reference net: input 3x32x32; conv 3->32 3x3 pad 1, ReLU, max pool 2;
// two branches of two 32->32 3x3 pad 1 convs with ReLU; channel concat; max
// pool 2; linear 4096->10; no biases; softmax cross-entropy; Adam; batch 64;
// float32. branchspec builds it from a config with trainer.Model.Build and
// trains it with trainer/optim's Adam, as the trainer does (the pool after
// the concat is the pool of each branch's last layer: max pooling acts per
// channel, so the two are the same function). PyTorch runs torch_ref.py.
//
// refbench writes the initial weights and the batches as .npy files, runs
// each side as a child process, alternating, -runs times, and prints every
// run, the median images/s and the peak resident memory of each side, the
// loss curves' agreement, and as its last line
//
//	ratio branchspec/pytorch images/s: X.XX
//
// Usage:
//
//	refbench [-runs 5] [-warmup 3] [-steps 20] [-threads 2] [-python /usr/bin/python3]
//
// It exits 1 when a run fails or the loss curves disagree, 2 on bad flags.
//
// Boundaries: refbench drives the trainer's graph and solvers directly
// (Model.Build, Net.Update) and must never import gorgonia or bbolt.
package main
