// Package cputime reads the CPU time the operating system has given the
// calling thread, and times functions by it, so that benchmarks on a
// machine shared with other work measure the work done rather than the
// time spent waiting for a core: other load delays a thread but does not
// add to its CPU time (it can still slow it, through shared caches, memory
// bandwidth and a sibling hyperthread, which no clock separates).
//
// Boundaries: cputime imports no other package of the module; it is the
// only place that reads per-thread CPU clocks.
package cputime
