package host

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Snapshot is the machine's state at one moment.
type Snapshot struct {
	// At is the moment on a monotonic clock (any origin, the same for
	// the snapshots compared).
	At   time.Duration
	Load LoadAvg
	Stat Stat
	// Own is the CPU time this process and its waited-for children have
	// used so far (OwnCPU).
	Own time.Duration
}

// Limits are what a quiet machine stays within. DefaultLimits gives the
// benchmark's.
type Limits struct {
	// Load is the most the 1-minute load average may exceed our own part
	// of it (OwnLoad).
	Load float64
	// Others is the most CPU time other processes may use during a run,
	// as a share of the CPUs' time (CPUs x wall).
	Others float64
	// Steal is the most steal time (a hypervisor running other guests on
	// our CPUs) during a run, as a share of the CPUs' time.
	Steal float64
	// Spread is the most the throughputs of one side's runs (the same
	// work, repeated) may spread, (max - min) / median.
	Spread float64
}

// DefaultLimits are a quiet machine's: load average at most 0.5 above our
// own threads' part, other processes and steal at most 5% each of the
// CPUs' time during a run, and one side's runs within 20% of their median
// of each other.
func DefaultLimits() Limits { return Limits{Load: 0.5, Others: 0.05, Steal: 0.05, Spread: 0.20} }

// CheckSpread returns why the throughputs of repeated runs of the same
// work by one side (name) show a machine whose speed changed, or "" when
// their spread, (max - min) / median, is within lim.Spread. On a steady
// machine the same work takes the same time to a few percent; a wider
// spread with load, other processes and steal all quiet means something
// the kernel does not count: another guest on the sibling hyperthreads,
// the memory bus or the shared cache, or where a side's threads and memory
// landed in that run. Either way its median is not a speed the other side
// can be held against. Fewer than two runs, or a median that is not
// positive, pass.
func CheckSpread(name string, perS []float64, lim Limits) string {
	if len(perS) < 2 {
		return ""
	}
	s := slices.Clone(perS)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	if !(med > 0) {
		return ""
	}
	lo, hi := s[0], s[len(s)-1]
	spread := (hi - lo) / med
	if spread <= lim.Spread {
		return ""
	}
	return fmt.Sprintf("%s's %d runs of the same work ranged %.1f to %.1f images/s, a spread of %.0f%% of their median (limit %.0f%%): "+
		"the same work ran at different speeds with no sign in load, other processes or steal (another guest on the shared cores, memory bus or cache, "+
		"or where the side's threads and memory landed from run to run)",
		name, len(s), lo, hi, 100*spread, 100*lim.Spread)
}

// loadTau is the time constant of the 1-minute load average.
const loadTau = 60 * time.Second

// DecayLoad returns the 1-minute load average d after it was l, when n
// tasks were runnable on average meanwhile:
//
//	l·e^(-d/τ) + n·(1 - e^(-d/τ)),   τ = 60 s
//
// Linux updates the average every 5 s by the same recurrence (factor
// EXP_1 = 1884/2048 ≈ e^(-5/60), kernel/sched/loadavg.c), so over a span
// shorter than 5 s the model is off by up to one update, about 0.08·n.
// For d <= 0 it returns l.
func DecayLoad(l, n float64, d time.Duration) float64 {
	if d <= 0 {
		return l
	}
	f := math.Exp(-d.Seconds() / loadTau.Seconds())
	return l*f + n*(1-f)
}

// OwnLoad returns our own part of the 1-minute load average at to, given
// our part own at from: DecayLoad with n our CPU time between the two per
// second of wall time, the average number of our threads that ran. (A
// thread of ours that waits for a CPU adds to the load but not to our CPU
// time, so other load that delays us raises the excess over OwnLoad.)
func OwnLoad(own float64, from, to Snapshot) float64 {
	d := to.At - from.At
	if d <= 0 {
		return own
	}
	return DecayLoad(own, (to.Own-from.Own).Seconds()/d.Seconds(), d)
}

// CheckLoad returns why the load average in s shows a busy machine, given
// our own part own of it, or "" when it is within lim.Load.
func CheckLoad(s Snapshot, own float64, lim Limits) string {
	excess := s.Load.Load1 - own
	if excess <= lim.Load {
		return ""
	}
	return fmt.Sprintf("1-minute load average %.2f, of which %.2f is ours: %.2f from other work (limit %.2f)",
		s.Load.Load1, own, excess, lim.Load)
}

// Verdict is what Judge found of one run.
type Verdict struct {
	Wall time.Duration
	CPUs int
	// Own is our CPU time during the run, Others the other processes'
	// (the CPUs' busy time less ours, at least 0), Steal the hypervisor's.
	Own, Others, Steal time.Duration
	// OthersShare and StealShare are Others and Steal over CPUs x Wall.
	OthersShare, StealShare float64
	// LoadBefore and LoadAfter are the 1-minute load averages;
	// OwnBefore and OwnAfter our part of them (OwnLoad).
	LoadBefore, LoadAfter, OwnBefore, OwnAfter float64
	// Reasons say, with the numbers, why the machine was busy; none when
	// it was quiet.
	Reasons []string
}

// Busy reports whether the machine was busy during the run.
func (v Verdict) Busy() bool { return len(v.Reasons) > 0 }

// String sums the verdict up in one line: "others 0.4% of 2 CPUs, steal
// 0.0%, load 0.31->0.35 (ours 0.28->0.33)".
func (v Verdict) String() string {
	return fmt.Sprintf("others %.1f%% of %d CPUs, steal %.1f%%, load %.2f->%.2f (ours %.2f->%.2f)",
		100*v.OthersShare, v.CPUs, 100*v.StealShare, v.LoadBefore, v.LoadAfter, v.OwnBefore, v.OwnAfter)
}

// Judge decides from snapshots taken right before and right after a run
// whether the machine was busy, given our own part ownBefore of the load
// average before it (OwnLoad). It was busy when
//
//	load1 - own > lim.Load                      (before or after)
//	(Δbusy - Δown) / (CPUs · wall) > lim.Others (Δbusy: CPUTimes.Busy)
//	Δsteal / (CPUs · wall) > lim.Steal
//
// or when the snapshots cannot be compared (no time passed, the number of
// CPUs differs or is 0, a counter went backwards): a run that cannot be
// judged does not count as quiet.
func Judge(before, after Snapshot, ownBefore float64, lim Limits) Verdict {
	v := Verdict{Wall: after.At - before.At, CPUs: after.Stat.CPUs, Own: after.Own - before.Own,
		LoadBefore: before.Load.Load1, LoadAfter: after.Load.Load1,
		OwnBefore: ownBefore, OwnAfter: OwnLoad(ownBefore, before, after)}
	for _, c := range []struct {
		when string
		s    Snapshot
		own  float64
	}{{"before the run", before, v.OwnBefore}, {"after the run", after, v.OwnAfter}} {
		if r := CheckLoad(c.s, c.own, lim); r != "" {
			v.Reasons = append(v.Reasons, c.when+": "+r)
		}
	}
	b, a := before.Stat, after.Stat
	switch {
	case v.Wall <= 0:
		return v.busy("no time passed between the snapshots around the run, so its CPU use cannot be told")
	case a.CPUs <= 0 || a.CPUs != b.CPUs:
		return v.busy(fmt.Sprintf("/proc/stat listed %d CPUs before the run and %d after", b.CPUs, a.CPUs))
	case a.Busy() < b.Busy() || a.Steal < b.Steal || v.Own < 0:
		return v.busy("CPU time counters went backwards during the run")
	}
	capacity := float64(a.CPUs) * v.Wall.Seconds()
	v.Others = max(ticks(a.Busy()-b.Busy())-v.Own, 0)
	v.Steal = ticks(a.Steal - b.Steal)
	v.OthersShare, v.StealShare = v.Others.Seconds()/capacity, v.Steal.Seconds()/capacity
	if v.OthersShare > lim.Others {
		v.Reasons = append(v.Reasons, fmt.Sprintf("during the run other processes used %.1f%% of the %d CPUs' time (%.2f s of CPU in %.2f s; limit %.1f%%)",
			100*v.OthersShare, a.CPUs, v.Others.Seconds(), v.Wall.Seconds(), 100*lim.Others))
	}
	if v.StealShare > lim.Steal {
		v.Reasons = append(v.Reasons, fmt.Sprintf("during the run the hypervisor gave %.1f%% of the %d CPUs' time to others (steal %.2f s in %.2f s; limit %.1f%%)",
			100*v.StealShare, a.CPUs, v.Steal.Seconds(), v.Wall.Seconds(), 100*lim.Steal))
	}
	return v
}

func (v Verdict) busy(reason string) Verdict {
	v.Reasons = append(v.Reasons, reason)
	return v
}
