package cputime

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"
)

// ErrUnsupported is returned by the clocks where this package reads no CPU
// time (off Linux).
var ErrUnsupported = errors.New("cputime: no per-thread CPU time on this system")

// A Clock reads a CPU time.
type Clock func() (time.Duration, error)

// Thread returns the user plus system CPU time the calling OS thread has
// used. Two readings measure the work between them only if the goroutine
// stays on its thread (runtime.LockOSThread) and the work runs on it.
func Thread() (time.Duration, error) { return threadTime() }

// Process returns the user plus system CPU time of all threads of the
// process: what work spread over goroutines (or run on another goroutine,
// as gorgonia's tape machine does) costs, the garbage collector included.
func Process() (time.Duration, error) { return processTime() }

// Sample is a timing repeated Reps times: the median, the smallest and the
// largest per-call CPU time.
type Sample struct {
	Median, Min, Max time.Duration
	Reps             int
}

// Spread returns (Max - Min) / Median, the relative range of the
// repetitions.
func (s Sample) Spread() float64 {
	if s.Median <= 0 {
		return 0
	}
	return float64(s.Max-s.Min) / float64(s.Median)
}

func (s Sample) String() string {
	return fmt.Sprintf("%v per call (median of %d, range %v..%v)", s.Median, s.Reps, s.Min, s.Max)
}

// Time calls f on the calling goroutine, locked to its OS thread, in reps
// repetitions, each a loop of calls that lasts at least minCPU of clock's
// CPU time (in batches of 1, 2, 4, ... calls between readings of the
// clock, so that reading it costs little), and returns the per-call CPU
// time of the repetitions. With Thread, f must do its work on the calling
// goroutine (set GOMAXPROCS to 1 for code that would spread work over
// goroutines); with Process, anything else the process runs meanwhile is
// counted too. One untimed call comes first. It fails when reps < 1,
// minCPU <= 0 or the clock fails.
func Time(clock Clock, f func(), reps int, minCPU time.Duration) (Sample, error) {
	if reps < 1 || minCPU <= 0 {
		return Sample{}, fmt.Errorf("cputime: %d repetitions of at least %v, want >= 1 and > 0", reps, minCPU)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
	per := make([]time.Duration, reps)
	for r := range per {
		start, err := clock()
		if err != nil {
			return Sample{}, err
		}
		// Batches that double in size, so that the clock (a system call)
		// is read a logarithmic number of times.
		calls, used := 0, time.Duration(0)
		for batch := 1; used < minCPU; batch *= 2 {
			for i := 0; i < batch; i++ {
				f()
			}
			calls += batch
			now, err := clock()
			if err != nil {
				return Sample{}, err
			}
			used = now - start
		}
		per[r] = used / time.Duration(calls)
	}
	return Summarize(per), nil
}

// Summarize returns the median (the lower middle value for an even
// count), smallest and largest of v, which must not be empty.
func Summarize(v []time.Duration) Sample {
	s := slices.Clone(v)
	slices.Sort(s)
	return Sample{Median: s[(len(s)-1)/2], Min: s[0], Max: s[len(s)-1], Reps: len(s)}
}
