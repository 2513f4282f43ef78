package cputime

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

func TestThreadAdvancesWithWork(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := Thread()
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Busy work for at least 20 ms of wall time; the thread's CPU time can
	// only grow, and a thread that got no CPU at all would not finish.
	x := 1.0
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
		for i := 0; i < 1000; i++ {
			x = x*1.0000001 + 1e-9
		}
	}
	after, err := Thread()
	if err != nil {
		t.Fatal(err)
	}
	if after <= before || x == 0 {
		t.Errorf("thread CPU time went from %v to %v over busy work", before, after)
	}
}

func TestProcessCountsOtherGoroutines(t *testing.T) {
	before, err := Process()
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Busy work on another goroutine, for at least 20 ms of wall time.
	done := make(chan float64)
	go func() {
		x := 1.0
		for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
			for i := 0; i < 1000; i++ {
				x = x*1.0000001 + 1e-9
			}
		}
		done <- x
	}()
	x := <-done
	after, err := Process()
	if err != nil {
		t.Fatal(err)
	}
	if after <= before || x == 0 {
		t.Errorf("process CPU time went from %v to %v over busy work on another goroutine", before, after)
	}
}

func TestTime(t *testing.T) {
	if _, err := Thread(); errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	calls := 0
	s, err := Time(Thread, func() {
		calls++
		x := 1.0
		for i := 0; i < 20000; i++ {
			x = x*1.0000001 + 1e-9
		}
		if x == 0 {
			t.Log(x)
		}
	}, 3, 2*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if s.Reps != 3 || !(s.Min > 0 && s.Min <= s.Median && s.Median <= s.Max) || calls < 4 {
		t.Errorf("sample %+v after %d calls: want 3 ordered positive repetitions", s, calls)
	}
	if _, err := Time(Thread, func() {}, 0, time.Millisecond); err == nil {
		t.Errorf("0 repetitions: no error")
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want Sample
	}{
		{[]time.Duration{5}, Sample{5, 5, 5, 1}},
		{[]time.Duration{9, 1, 5}, Sample{5, 1, 9, 3}},
		{[]time.Duration{4, 1, 3, 2}, Sample{2, 1, 4, 4}},
	}
	for _, tt := range tests {
		if got := Summarize(tt.in); got != tt.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if got := (Sample{Median: 10, Min: 8, Max: 13}).Spread(); got != 0.5 {
		t.Errorf("Spread = %g, want 0.5", got)
	}
}
