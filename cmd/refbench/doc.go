// Command refbench measures branchspec's training step against PyTorch on
// two nets, side by side in one invocation: the reference net, then the
// cifar10-alexnet preset's net.
//
// The reference net: input 3x32x32; conv 3->32 3x3 pad 1, ReLU, max pool 2;
// two branches of two 32->32 3x3 pad 1 convs with ReLU; channel concat; max
// pool 2; linear 4096->10; no biases; softmax cross-entropy; Adam; batch 64;
// float32. branchspec builds it from a config with trainer.Model.Build and
// trains it with trainer/optim's Adam, as the trainer does (the pool after
// the concat is the pool of each branch's last layer: max pooling acts per
// channel, so the two are the same function). PyTorch runs torch_ref.py.
//
// The cifar10-alexnet net is the preset's model as its config builds it:
// two towers of conv 7x7/2 (16) + ReLU + LRN + max pool 3/2 and conv 5x5
// (32) + ReLU + LRN + max pool 3/2, concat, conv 3x3 (64) + ReLU, global
// average pool, linear; biases; N(0, 0.01^2) weights; inputs N(0, 64^2)
// (mean-subtracted pixel levels); SGD momentum 0.9, lr 0.01, weight decay
// 5e-4 on the weights; batch 128. PyTorch computes LRN with
// F.local_response_norm (alpha times the window size, as it divides by it).
//
// First it prints the machine: the CPU model and the features its kernels
// and PyTorch's choose between (AVX2, FMA, AVX-512 F/BW/DQ/VL, from
// /proc/cpuinfo), the FMA peak of one core measured with the fastest kernel
// (gemm.MeasurePeak, in thread CPU time), the GEMM kernel identity of the
// branchspec side and each side's threads.
//
// refbench writes the initial weights and the batches as .npy files, runs
// each side as a child process, alternating, -runs times, and prints every
// run (images/s, the CPU time per second of its timed steps against its
// threads, peak RSS, page faults, and the machine's state around it), the loss curves'
// agreement, and per side the median images/s, its GFLOP/s (the FLOPs of
// a training step per image, trainer.Arch.StepFLOPs, times images/s) and
// its share of the peak of the cores it uses, per net, with a ratio line
// for each: "ratio branchspec/pytorch images/s (reference): X.XX", and as
// the last line, for the last net (cifar10-alexnet by default),
//
//	ratio branchspec/pytorch images/s: X.XX
//
// PyTorch's side runs with glibc's malloc told to keep the memory PyTorch
// frees (-pytorch-malloc keep, the default: MALLOC_MMAP_THRESHOLD_=32 MiB,
// MALLOC_TRIM_THRESHOLD_=1 GiB), as PyTorch's CPU tuning guide gets from
// jemalloc or tcmalloc: with glibc's defaults each step's activations are
// fresh mappings, page-faulted in anew until the dynamic threshold happens
// to grow past them, which on a 2-vCPU guest more than halved PyTorch's
// speed in some runs and not in others (see pytorchEnv).
// -pytorch-malloc system leaves glibc's defaults. Its OpenMP threads are
// bound to cores (-pytorch-bind cores, the default: OMP_PROC_BIND=close,
// OMP_PLACES=cores), as the same guide advises: left to the scheduler, a
// few of a run's steps took four to six times as long as the others on a
// 2-vCPU guest, and PyTorch's runs spread by 40%. -pytorch-bind none
// leaves them unbound.
//
// -isa avx2 holds both sides to AVX2 (see isaCap): branchspec runs its avx2
// kernel, PyTorch runs with DNNL_MAX_CPU_ISA, ONEDNN_MAX_CPU_ISA,
// ATEN_CPU_CAPABILITY and OPENBLAS_CORETYPE set, and the peak is measured
// with AVX2 FMAs. Before the runs a probe (torch_ref.py --probe, with
// oneDNN's verbose mode on) reads the ISA oneDNN runs and OpenBLAS's core,
// printed as "pytorch libraries: ..."; with -isa avx2 refbench exits 2
// unless oneDNN runs AVX2 and OpenBLAS Haswell. On a CPU with AVX-512 this
// is a proxy for an AVX2-only host, and the output says so next to the
// ratios: the caches, clock and memory stay this CPU's.
//
// Only on a quiet machine. Before the first run and before and after each
// run it reads /proc/loadavg, /proc/stat and its own CPU time, and
// (package internal/host) counts the machine busy when the 1-minute load
// average is more than 0.5 above what its own threads explain, or other
// processes used more than 5% of the CPUs' time during a run, or steal
// did, or the machine cannot be read; and, after a net's runs, when one
// side's runs of the same work spread by more than 20% of their median
// (host.CheckSpread: the same work ran at different speeds in a way the
// kernel does not count, such as another guest on shared cores or the
// memory bus, or where a side's threads and memory landed).
// Then it stops, prints no ratio, says on stderr where and why with the
// numbers measured, and exits 3. With -allow-busy it goes on and prints the ratios labelled "busy
// machine, not valid for reporting" (so the last line is not the line
// above), lists the reasons on stderr, and still exits 3.
//
// Usage:
//
//	refbench [-nets reference,cifar10-alexnet] [-runs 5] [-warmup 3] [-steps 20] [-threads 2] [-python /usr/bin/python3] [-pytorch-malloc keep|system] [-pytorch-bind cores|none] [-isa native|avx2] [-allow-busy]
//
// It exits 1 when a run fails or the loss curves disagree, 2 on bad flags,
// a BRANCHSPEC_KERNEL this CPU does not run (or other than avx2 with -isa
// avx2) or a PyTorch not held to -isa avx2, 3 when the machine was busy.
//
// Boundaries: refbench drives the trainer's graph and solvers directly
// (Model.Build, Net.Update) and must never import gorgonia or bbolt.
package main
