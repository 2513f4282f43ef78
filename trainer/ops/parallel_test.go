package ops

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkersRunEveryChunkOnce runs jobs of many sizes on Workers of 1 to
// 4 goroutines, with helpers spinning between jobs and sleeping (spin 0),
// and checks that every chunk of every job ran exactly once with the right
// image range and a worker index below numWorkers, and that Close stops
// the helpers.
func TestWorkersRunEveryChunkOnce(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, n := range []int{1, 2, 3, 4} {
		for _, spin := range []time.Duration{0, time.Millisecond} {
			t.Run(fmt.Sprintf("n%d_spin%v", n, spin), func(t *testing.T) {
				w := NewWorkers(n, spin)
				op := &pureOp{workers: w}
				for rep := 0; rep < 200; rep++ {
					images := 1 + rep%37
					nc := numChunks(images)
					runs := make([]atomic.Int32, nc)
					var bad atomic.Value
					op.forChunks(images, func(chunk, lo, hi, worker int) {
						runs[chunk].Add(1)
						if lo != chunk*chunkImages || hi != min(images, lo+chunkImages) || worker < 0 || worker >= op.numWorkers(images) {
							bad.Store(fmt.Sprintf("chunk %d: images [%d, %d), worker %d of %d", chunk, lo, hi, worker, op.numWorkers(images)))
						}
						if rep%5 == 0 {
							time.Sleep(20 * time.Microsecond) // let the helpers join
						}
					})
					if b := bad.Load(); b != nil {
						t.Fatalf("%d images: %s", images, b)
					}
					for c := range runs {
						if got := runs[c].Load(); got != 1 {
							t.Fatalf("%d images: chunk %d ran %d times", images, c, got)
						}
					}
					if rep%50 == 49 {
						time.Sleep(3 * time.Millisecond) // helpers go to sleep
					}
				}
				w.Close()
				w.Close() // a second Close is a no-op
			})
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		t.Errorf("%d goroutines after Close, %d before the Workers", got, before)
	}
}

// TestChunkJobTakesOwnRangeFirst runs a job's chunks on one worker alone:
// it takes its own range in order, then the ranges after it, wrapping
// around, and every chunk once; the ranges split the chunks as evenly as
// whole chunks allow (10 chunks over 3 workers: 3, 3, 4).
func TestChunkJobTakesOwnRangeFirst(t *testing.T) {
	const images = 38 // 10 chunks, the last of 2 images
	for id, want := range [][]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{3, 4, 5, 6, 7, 8, 9, 0, 1, 2},
		{6, 7, 8, 9, 0, 1, 2, 3, 4, 5},
	} {
		var got []int
		j := newChunkJob(func(chunk, lo, hi, worker int) {
			if worker != id || lo != chunk*chunkImages || hi != min(images, lo+chunkImages) {
				t.Errorf("chunk %d: images [%d, %d) on worker %d, want worker %d", chunk, lo, hi, worker, id)
			}
			got = append(got, chunk)
		}, images, 3)
		j.work(id)
		if !slices.Equal(got, want) {
			t.Errorf("worker %d alone took chunks %v, want %v", id, got, want)
		}
	}
}

// TestRangesCoverOnce checks that Workers.Ranges and forRanges call f on
// pieces that cover [0, n) once each, of the stated size but the last,
// with and without Workers.
func TestRangesCoverOnce(t *testing.T) {
	workers := NewWorkers(2, time.Millisecond)
	defer workers.Close()
	for _, w := range []*Workers{nil, workers} {
		for _, unit := range []int{1, 3, 2048} {
			for _, n := range []int{0, 1, 4*unit - 1, 4 * unit, 4*unit + 1, 37*unit + 2} {
				covered := make([]atomic.Int32, n)
				var bad atomic.Value
				f := func(lo, hi int) {
					if lo%(chunkImages*unit) != 0 || hi != min(n, lo+chunkImages*unit) {
						bad.Store(fmt.Sprintf("piece [%d, %d)", lo, hi))
					}
					for i := lo; i < hi; i++ {
						covered[i].Add(1)
					}
				}
				if unit == 2048 {
					w.Ranges(n, f)
				} else {
					w.forRanges(n, unit, f)
				}
				if b := bad.Load(); b != nil {
					t.Errorf("workers=%t unit %d n %d: %s", w != nil, unit, n, b)
				}
				for i := range covered {
					if c := covered[i].Load(); c != 1 {
						t.Fatalf("workers=%t unit %d n %d: element %d covered %d times", w != nil, unit, n, i, c)
					}
				}
			}
		}
	}
}

// TestForImagesEveryImageOnce checks that pureOp.forImages calls f once
// for every image, with a worker index below numImageWorkers, with and
// without Workers.
func TestForImagesEveryImageOnce(t *testing.T) {
	workers := NewWorkers(3, time.Millisecond)
	defer workers.Close()
	for _, w := range []*Workers{nil, workers} {
		op := &pureOp{workers: w}
		for _, n := range []int{1, 2, 3, 5, 64, 65} {
			runs := make([]atomic.Int32, n)
			var bad atomic.Value
			op.forImages(n, func(image, worker int) {
				runs[image].Add(1)
				if worker < 0 || worker >= op.numImageWorkers(n) {
					bad.Store(fmt.Sprintf("image %d: worker %d of %d", image, worker, op.numImageWorkers(n)))
				}
			})
			if b := bad.Load(); b != nil {
				t.Fatalf("workers=%t, %d images: %s", w != nil, n, b)
			}
			for i := range runs {
				if got := runs[i].Load(); got != 1 {
					t.Fatalf("workers=%t, %d images: image %d ran %d times", w != nil, n, i, got)
				}
			}
		}
	}
}
