package ops

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkImages is the fixed number of images per work chunk. Work is split
// into chunks that do not depend on GOMAXPROCS, and per-chunk partial sums
// are reduced in chunk order, so results are bit-identical for any number
// of workers.
const chunkImages = 4

// numChunks returns how many chunks of chunkImages cover n images.
func numChunks(n int) int { return (n + chunkImages - 1) / chunkImages }

// numWorkers returns how many goroutines forChunks uses for n images.
func numWorkers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), numChunks(n))) }

// forChunks calls f(chunk, lo, hi, worker) for every chunk [lo, hi) of the
// n images, spreading chunks over numWorkers(n) goroutines that each take
// the next chunk not yet taken, so that a worker slowed by other load on
// the machine does not hold the others up. f may use per-worker scratch
// indexed by worker (whose contents must not affect results), and must
// write only to outputs owned by its images or its chunk; then results do
// not depend on which worker ran which chunk.
func forChunks(n int, f func(chunk, lo, hi, worker int)) {
	nc := numChunks(n)
	nw := numWorkers(n)
	var next atomic.Int64
	run := func(w int) {
		for {
			c := int(next.Add(1) - 1)
			if c >= nc {
				return
			}
			f(c, c*chunkImages, min(n, (c+1)*chunkImages), w)
		}
	}
	if nw == 1 {
		run(0)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
}

// grow returns buf resliced to n elements, reallocating only when its
// capacity is too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// growEach makes bufs hold k buffers of n elements each.
func growEach(bufs [][]float32, k, n int) [][]float32 {
	for len(bufs) < k {
		bufs = append(bufs, nil)
	}
	for i := 0; i < k; i++ {
		bufs[i] = grow(bufs[i], n)
	}
	return bufs
}

// reduceChunks sums parts[0..k) into dst in chunk order: dst = parts[0] +
// parts[1] + ... (left to right).
func reduceChunks(dst []float32, parts [][]float32, k int) {
	copy(dst, parts[0])
	for c := 1; c < k; c++ {
		p := parts[c][:len(dst)]
		for i := range dst {
			dst[i] += p[i]
		}
	}
}

// minParallel is the smallest elementwise job split across goroutines.
const minParallel = 1 << 15

// forRange calls f on contiguous pieces [lo, hi) covering [0, n), one per
// goroutine, for elementwise work whose result does not depend on the split.
func forRange(n int, f func(lo, hi int)) {
	nw := max(1, min(runtime.GOMAXPROCS(0), n/minParallel))
	if nw == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + nw - 1) / nw
	for lo := step; lo < n; lo += step {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, min(n, lo+step))
		}()
	}
	f(0, min(n, step))
	wg.Wait()
}
