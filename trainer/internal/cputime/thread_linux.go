package cputime

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// threadTime reads clock_gettime(CLOCK_THREAD_CPUTIME_ID): the scheduler's
// runtime of the calling thread, brought up to date at the call.
// (getrusage(RUSAGE_THREAD) is not: it can lag by a scheduler tick.)
func threadTime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, fmt.Errorf("cputime: clock_gettime: %w", err)
	}
	return time.Duration(ts.Nano()), nil
}

// processTime reads clock_gettime(CLOCK_PROCESS_CPUTIME_ID).
func processTime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, fmt.Errorf("cputime: clock_gettime: %w", err)
	}
	return time.Duration(ts.Nano()), nil
}
