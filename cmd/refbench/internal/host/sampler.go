package host

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// Sampler takes Snapshots. Its fields are its sources, so that tests can
// give it a fixed /proc, clock and CPU time.
type Sampler struct {
	Proc fs.FS                         // the proc file system: stat, loadavg, cpuinfo
	Now  func() time.Duration          // a monotonic clock
	Own  func() (time.Duration, error) // our CPU time so far (OwnCPU)
}

// System returns the Sampler of this machine and process: /proc, the
// monotonic time since the call, OwnCPU.
func System() Sampler {
	start := time.Now()
	return Sampler{Proc: os.DirFS("/proc"), Now: func() time.Duration { return time.Since(start) }, Own: OwnCPU}
}

// Take reads a Snapshot: our CPU time, the load average and /proc/stat.
func (s Sampler) Take() (Snapshot, error) {
	own, err := s.Own()
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{At: s.Now(), Own: own}
	if snap.Load, err = parseFile(s.Proc, "loadavg", ParseLoadAvg); err != nil {
		return Snapshot{}, err
	}
	if snap.Stat, err = parseFile(s.Proc, "stat", ParseStat); err != nil {
		return Snapshot{}, err
	}
	return snap, nil
}

// CPUInfo reads the first processor's description from cpuinfo.
func (s Sampler) CPUInfo() (CPUInfo, error) {
	return parseFile(s.Proc, "cpuinfo", func(b []byte) (CPUInfo, error) { return ParseCPUInfo(b), nil })
}

// parseFile reads name from fsys and parses it, naming the file in errors.
func parseFile[T any](fsys fs.FS, name string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return zero, fmt.Errorf("host: /proc: %w", err)
	}
	v, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("host: /proc/%s: %w", name, err)
	}
	return v, nil
}

// OwnCPU returns the user and system CPU time of this process plus that of
// its terminated, waited-for children (getrusage RUSAGE_SELF and
// RUSAGE_CHILDREN).
func OwnCPU() (time.Duration, error) {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return 0, fmt.Errorf("host: getrusage: %w", err)
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total, nil
}
