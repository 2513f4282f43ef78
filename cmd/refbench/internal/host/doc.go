// Package host says what machine a benchmark runs on and whether it had the
// machine to itself: the CPU model and features (/proc/cpuinfo), the CPU
// time of all tasks (/proc/stat), the load average (/proc/loadavg) and the
// CPU time of this process and its children (getrusage), taken as
// Snapshots before and after a timed run; Judge decides from two of them,
// as a pure function, whether the run's machine was busy.
//
// A machine is busy when the 1-minute load average exceeds what the
// benchmark's own threads explain by more than Limits.Load, or when other
// processes (or the hypervisor, as steal time) took more than a small share
// of the CPUs' time during the run. Our own part of the load average is
// modelled from our own CPU time, as the kernel averages the number of
// runnable tasks (see DecayLoad).
//
// The files are read as Linux documents them (proc(5)). The package
// judges the machine /proc describes: in a container that shares the
// host's /proc, the whole host.
//
// Boundaries: host imports no other package of the module.
package host
