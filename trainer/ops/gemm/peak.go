package gemm

import (
	"fmt"
	"time"

	"branchspec/trainer/internal/cputime"
)

// Peak is a measured single-precision multiply-add throughput of one core.
type Peak struct {
	Kernel               Kernel
	GFLOPS               float64 // median over the repetitions, 2 flops per multiply-add
	MinGFLOPS, MaxGFLOPS float64 // the slowest and the fastest repetition
	Reps                 int
}

func (p Peak) String() string {
	return fmt.Sprintf("%s FMA peak %.1f GFLOP/s per core (median of %d, %.1f..%.1f)", p.Kernel, p.GFLOPS, p.Reps, p.MinGFLOPS, p.MaxGFLOPS)
}

// peakIters is the number of loop iterations of one timed call.
const peakIters = 1 << 16

// MeasurePeak measures the single-precision FMA peak of one core with the
// vector instructions kernel k runs: a loop of independent chains of
// VFMADD231PS (24 zmm registers for AVX512, 12 ymm for AVX2: more chains
// than the multiply-add latency times the number of FMA pipes, so that
// latency is covered and only throughput bounds the loop):
//
//	peak = 2 * lanes * chains * iterations / thread CPU seconds
//
// It runs reps repetitions of at least minCPU of the thread's CPU time
// each (package cputime), on the calling goroutine locked to its thread,
// so other load on the machine delays it without lowering the figure
// (except through a busy sibling hyperthread, which shares the FMA
// units). It fails for a kernel with no vector peak loop (Portable), one
// this CPU does not run, or where thread CPU time cannot be read.
func MeasurePeak(k Kernel, reps int, minCPU time.Duration) (Peak, error) {
	loop, flops := peakLoop(k)
	if loop == nil {
		return Peak{}, fmt.Errorf("gemm: no FMA-peak loop for kernel %s", k)
	}
	if !k.Runs() {
		return Peak{}, fmt.Errorf("gemm: kernel %s does not run on this CPU (it runs %s)", k, list(Kernels()))
	}
	s, err := cputime.Time(cputime.Thread, func() { loop(peakIters) }, reps, minCPU)
	if err != nil {
		return Peak{}, fmt.Errorf("gemm: FMA peak of %s: %w", k, err)
	}
	rate := func(d time.Duration) float64 { return flops * peakIters / d.Seconds() / 1e9 }
	return Peak{Kernel: k, GFLOPS: rate(s.Median), MinGFLOPS: rate(s.Max), MaxGFLOPS: rate(s.Min), Reps: s.Reps}, nil
}
