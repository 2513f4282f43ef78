package cputime

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// threadTime reads getrusage(RUSAGE_THREAD): the scheduler's exact runtime
// of the thread, split into user and system time.
func threadTime() (time.Duration, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0, fmt.Errorf("cputime: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
