package ops

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	G "gorgonia.org/gorgonia"
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
// parts[1] + ... (left to right), each element the same chain of float32
// additions. It goes through dst in blocks of reduceBlock elements, which
// stay in L1 while every chunk's part is added to them.
func reduceChunks(dst []float32, parts [][]float32, k int) {
	reduceRange(dst, parts, k, 0, len(dst))
}

// reduceRange is reduceChunks for the elements [lo, hi) of dst.
func reduceRange(dst []float32, parts [][]float32, k, lo, hi int) {
	for ; lo < hi; lo += reduceBlock {
		d := dst[lo:min(hi, lo+reduceBlock)]
		copy(d, parts[0][lo:])
		for c := 1; c < k; c++ {
			addTo(d, parts[c][lo:])
		}
	}
}

// reduceChunks is reduceChunks spread over w's workers (w.forRanges), a
// block at a time.
func (w *Workers) reduceChunks(dst []float32, parts [][]float32, k int) {
	w.forRanges(len(dst), reduceBlock/chunkImages, func(lo, hi int) {
		reduceRange(dst, parts, k, lo, hi)
	})
}

// reduceBlock is the block of reduceChunks: 8 KiB of float32.
const reduceBlock = 2048

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

// Workers runs the chunks of ops' images on goroutines that stay awake
// between ops. forChunks without Workers starts goroutines for each op,
// and a core whose thread has gone to sleep between ops wakes late: on a
// 2-vCPU guest, later than a 40 µs chunk, so that in a training step of
// the cifar10-alexnet net the second core ran 30% of the chunks rather
// than half. A Workers' goroutines instead spin for a while after each op
// (watching for the next), then sleep until one comes. Results do not
// depend on which goroutine ran which chunk (see forChunks), so an op
// gives the same bits with or without Workers, with any number of them.
type Workers struct {
	n    int           // goroutines that run chunks, the caller's included
	spin time.Duration // how long a helper watches for the next op before it sleeps

	job      atomic.Pointer[chunkJob] // the latest op's chunks
	gen      atomic.Uint64            // counts jobs: a helper waits for it to change
	sleeping atomic.Int32             // helpers asleep on cond
	closed   atomic.Bool
	mu       sync.Mutex
	cond     *sync.Cond
	wg       sync.WaitGroup
}

// chunkJob is one forChunks call. Its chunks are cut into nw contiguous
// ranges, one per worker: each worker takes the chunks of its own range in
// order, then those left in the others'. So the same worker runs the same
// images op after op where it can, and their data stays in its core's
// caches.
type chunkJob struct {
	f      func(chunk, lo, hi, worker int)
	n, nc  int            // images, chunks
	nw     int            // worker indices in use: helpers at or past it stay out
	next   []atomic.Int64 // next[r]: the next chunk of range r to take
	active atomic.Int32   // helpers inside the job
}

// newChunkJob is the job of f over n images for at most workers workers.
func newChunkJob(f func(chunk, lo, hi, worker int), n, workers int) *chunkJob {
	j := &chunkJob{f: f, n: n, nc: numChunks(n)}
	j.nw = max(1, min(workers, j.nc))
	j.next = make([]atomic.Int64, j.nw)
	for r := range j.next {
		j.next[r].Store(int64(r * j.nc / j.nw))
	}
	return j
}

// rangeEnd is the end of worker range r's chunks: ranges split nc as
// evenly as whole chunks allow.
func (j *chunkJob) rangeEnd(r int) int { return (r + 1) * j.nc / j.nw }

// NewWorkers starts n-1 helper goroutines (the caller of an op is the
// n-th) that, after each op, watch for the next one for spin before they
// sleep. n < 2 starts none: ops then run on the caller alone. Close stops
// them.
func NewWorkers(n int, spin time.Duration) *Workers {
	w := &Workers{n: max(1, n), spin: spin}
	w.cond = sync.NewCond(&w.mu)
	for id := 1; id < w.n; id++ {
		w.wg.Add(1)
		go w.help(id)
	}
	return w
}

// Close stops the helpers and waits for them; w must not run ops after.
func (w *Workers) Close() {
	if w == nil || w.closed.Swap(true) {
		return
	}
	w.mu.Lock()
	w.cond.Broadcast()
	w.mu.Unlock()
	w.wg.Wait()
}

// forChunks is w.run, or the package function forChunks when w is nil.
func (w *Workers) forChunks(n int, f func(chunk, lo, hi, worker int)) {
	if w == nil {
		forChunks(n, f)
		return
	}
	w.run(n, f)
}

// forRanges calls f(lo, hi) on pieces [lo, hi) covering [0, n), each of
// chunkImages*unit elements (the last one shorter), as the chunks of
// w.forChunks, for elementwise work whose result does not depend on the
// pieces.
func (w *Workers) forRanges(n, unit int, f func(lo, hi int)) {
	w.forChunks((n+unit-1)/unit, func(_, lo, hi, _ int) {
		f(lo*unit, min(n, hi*unit))
	})
}

// Ranges calls f(lo, hi) on pieces [lo, hi) covering [0, n), 8192
// elements each (the last one shorter), on w's workers (nil: goroutines
// started per call), for elementwise work whose result does not depend on
// the pieces, such as a solver's update (optim.Solver.SetParallel).
func (w *Workers) Ranges(n int, f func(lo, hi int)) {
	w.forRanges(n, 8192/chunkImages, f)
}

// run is forChunks on w: the caller takes chunks along with the helpers
// and returns once every chunk is done. It must not be called from inside
// a chunk (worker indices would repeat).
func (w *Workers) run(n int, f func(chunk, lo, hi, worker int)) {
	j := newChunkJob(f, n, w.n)
	if j.nw > 1 {
		w.job.Store(j)
		w.gen.Add(1)
		if w.sleeping.Load() > 0 {
			w.mu.Lock()
			w.cond.Broadcast()
			w.mu.Unlock()
		}
	}
	j.work(0)
	// Every chunk is taken; wait for the helpers still running one. A
	// helper that joins from now on finds none left.
	for j.active.Load() > 0 {
		runtime.Gosched()
		osYield()
	}
}

// work runs chunks of j, as worker id, until none is left: those of its
// own range first, then of the ranges after it, wrapping around.
func (j *chunkJob) work(id int) {
	for k := 0; k < j.nw; k++ {
		r := (id + k) % j.nw
		end := j.rangeEnd(r)
		for {
			c := int(j.next[r].Add(1) - 1)
			if c >= end {
				break
			}
			j.f(c, c*chunkImages, min(j.n, (c+1)*chunkImages), id)
		}
	}
}

// help is helper id's loop: wait for a job, join it, repeat until Close.
func (w *Workers) help(id int) {
	defer w.wg.Done()
	var seen uint64
	for {
		g, ok := w.wait(seen)
		if !ok {
			return
		}
		seen = g
		j := w.job.Load()
		if id >= j.nw {
			continue
		}
		j.active.Add(1)
		j.work(id)
		j.active.Add(-1)
	}
}

// wait returns the job count once it differs from seen, spinning for
// w.spin and then sleeping on w.cond; ok is false once w is closed.
func (w *Workers) wait(seen uint64) (gen uint64, ok bool) {
	start := time.Now()
	for i := 1; ; i++ {
		if g := w.gen.Load(); g != seen {
			return g, true
		}
		if w.closed.Load() {
			return 0, false
		}
		if i%64 == 0 {
			// Give way to other goroutines (another run's, in a sweep
			// that trains several at once) and to other processes'
			// threads (runs started side by side on one machine) without
			// letting the thread sleep.
			runtime.Gosched()
			osYield()
			if time.Since(start) > w.spin {
				break
			}
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sleeping.Add(1)
	defer w.sleeping.Add(-1)
	for w.gen.Load() == seen && !w.closed.Load() {
		w.cond.Wait()
	}
	return w.gen.Load(), !w.closed.Load()
}

// UseWorkers makes every op of g that splits its images into chunks run
// them on w (nil: goroutines started per call, the default).
func UseWorkers(g *G.ExprGraph, w *Workers) {
	for _, n := range g.AllNodes() {
		if op, ok := n.Op().(interface{ setWorkers(*Workers) }); ok {
			op.setWorkers(w)
		}
	}
}
