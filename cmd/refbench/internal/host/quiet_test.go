package host

import (
	"math"
	"slices"
	"testing"
	"time"
)

// tolLoad bounds float64 rounding in load averages and shares computed
// from the synthetic samples below.
const tolLoad = 1e-9

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// snap is a synthetic Snapshot of a 2-CPU machine at second at: 1-minute
// load average load, busy ticks (all counted as user time), steal ticks,
// and our CPU time so far, in seconds.
func snap(at, load float64, busy, steal uint64, own float64) Snapshot {
	return Snapshot{At: secs(at), Load: LoadAvg{Load1: load}, Stat: Stat{CPUTimes: CPUTimes{User: busy, Idle: 9999, Steal: steal}, CPUs: 2}, Own: secs(own)}
}

func TestJudge(t *testing.T) {
	// A 10 s run on 2 CPUs (20 s of CPU time, 2000 ticks) starting with 3 s
	// of our CPU time used and 5000 busy ticks on the counters.
	before := snap(100, 0.05, 5000, 0, 3)
	// Our part of the load after 10 s of 1.95 threads of ours from 0:
	// 1.95·(1 - e^(-10/60)) = 0.29936...; after 10 s of 1 thread: 0.15352...
	ownQuiet := 1.95 * (1 - math.Exp(-10.0/60))
	tests := []struct {
		name          string
		before, after Snapshot
		ownBefore     float64
		others, steal float64 // shares
		ownAfter      float64
		reasons       []string
	}{
		{
			name:   "quiet",
			before: before, after: snap(110, 0.35, 5000+1960, 0, 3+19.5),
			others: 0.1 / 20, ownAfter: ownQuiet,
		},
		{
			name:   "other processes took half the CPUs",
			before: before, after: snap(110, 0.35, 5000+2000, 0, 3+10),
			others: 0.5, ownAfter: 1 - math.Exp(-10.0/60),
			reasons: []string{"during the run other processes used 50.0% of the 2 CPUs' time (10.00 s of CPU in 10.00 s; limit 5.0%)"},
		},
		{
			name:   "load average above our own before and after",
			before: snap(100, 2.1, 5000, 0, 3), after: snap(110, 2.1, 5000+1960, 0, 3+19.5),
			others: 0.1 / 20, ownAfter: ownQuiet,
			reasons: []string{
				"before the run: 1-minute load average 2.10, of which 0.00 is ours: 2.10 from other work (limit 0.50)",
				"after the run: 1-minute load average 2.10, of which 0.30 is ours: 1.80 from other work (limit 0.50)",
			},
		},
		{
			// Earlier runs left 1.8 of ours in the average: 1.8·e^(-1/6) +
			// 1.95·(1 - e^(-1/6)) = 1.82302 of the 2.0 after is ours.
			name:   "our own earlier runs explain the load average",
			before: snap(100, 1.9, 5000, 0, 3), after: snap(110, 2.0, 5000+1960, 0, 3+19.5),
			ownBefore: 1.8, others: 0.1 / 20, ownAfter: 1.8*math.Exp(-10.0/60) + ownQuiet,
		},
		{
			name:   "steal",
			before: before, after: snap(110, 0.35, 5000+1900, 200, 3+19),
			steal: 0.1, ownAfter: 1.9 * (1 - math.Exp(-10.0/60)),
			reasons: []string{"during the run the hypervisor gave 10.0% of the 2 CPUs' time to others (steal 2.00 s in 10.00 s; limit 5.0%)"},
		},
		{
			// 1 s of others' CPU and 1 s of steal in 20 s are 5% each, and
			// the load average is 0.5 above ours before: all at the limits.
			name:   "at the limits",
			before: snap(100, 0.5, 5000, 0, 3), after: snap(110, 0.6, 5000+1900+100, 100, 3+19),
			others: 0.05, steal: 0.05, ownAfter: 1.9 * (1 - math.Exp(-10.0/60)),
		},
		{
			// getrusage is exact, /proc/stat counts whole ticks: our time can
			// exceed the CPUs' busy time a little; others count 0, not less.
			name:   "our CPU time above the busy ticks",
			before: before, after: snap(110, 0.35, 5000+1950, 0, 3+19.6),
			ownAfter: 1.96 * (1 - math.Exp(-10.0/60)),
		},
		{
			name:   "no time passed",
			before: before, after: snap(100, 0.05, 5000, 0, 3),
			reasons: []string{"no time passed between the snapshots around the run, so its CPU use cannot be told"},
		},
		{
			name:   "the number of CPUs changed",
			before: before, after: func() Snapshot { s := snap(110, 0.35, 5000+1960, 0, 3+19.5); s.Stat.CPUs = 3; return s }(),
			ownAfter: ownQuiet,
			reasons:  []string{"/proc/stat listed 2 CPUs before the run and 3 after"},
		},
		{
			name:   "counters went backwards",
			before: before, after: snap(110, 0.35, 4000, 0, 3+19.5),
			ownAfter: ownQuiet,
			reasons:  []string{"CPU time counters went backwards during the run"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.before, tt.after, tt.ownBefore, DefaultLimits())
			if !slices.Equal(v.Reasons, tt.reasons) {
				t.Errorf("reasons:\n got %q\nwant %q", v.Reasons, tt.reasons)
			}
			if v.Busy() != (len(tt.reasons) > 0) {
				t.Errorf("Busy = %t with reasons %q", v.Busy(), v.Reasons)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"OthersShare", v.OthersShare, tt.others}, {"StealShare", v.StealShare, tt.steal}, {"OwnAfter", v.OwnAfter, tt.ownAfter}} {
				if math.Abs(c.got-c.want) > tolLoad {
					t.Errorf("%s = %.12g, want %.12g", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestVerdictString(t *testing.T) {
	v := Judge(snap(100, 0.05, 5000, 0, 3), snap(110, 0.35, 5000+1960, 0, 3+19.5), 0, DefaultLimits())
	const want = "others 0.5% of 2 CPUs, steal 0.0%, load 0.05->0.35 (ours 0.00->0.30)"
	if got := v.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestCheckLoad(t *testing.T) {
	tests := []struct {
		load, own float64
		want      string
	}{
		{0.4, 0, ""},
		{0.5, 0, ""},
		{2.3, 1.9, ""},
		{0.51, 0, "1-minute load average 0.51, of which 0.00 is ours: 0.51 from other work (limit 0.50)"},
		{6.53, 0.02, "1-minute load average 6.53, of which 0.02 is ours: 6.51 from other work (limit 0.50)"},
	}
	for _, tt := range tests {
		if got := CheckLoad(snap(0, tt.load, 0, 0, 0), tt.own, DefaultLimits()); got != tt.want {
			t.Errorf("CheckLoad(load %g, own %g) = %q, want %q", tt.load, tt.own, got, tt.want)
		}
	}
}

func TestCheckSpread(t *testing.T) {
	tests := []struct {
		name string
		perS []float64
		want string
	}{
		{"none", nil, ""},
		{"one run", []float64{611}, ""},
		{"steady", []float64{3269, 3301, 3250, 3322, 3280}, ""},
		// (2400 - 2000) / 2000 = 0.20 exactly: at the limit passes.
		{"at the limit", []float64{2000, 2400, 2000}, ""},
		{"even count, median of the middle two", []float64{1000, 1020, 1180, 1210}, ""}, // 210 / 1100
		// PyTorch on the reference net on a 2-vCPU guest whose load,
		// other processes and steal all read quiet.
		{"uneven", []float64{610.9, 891.0, 1054.7, 688.7, 1288.1}, "pytorch's 5 runs of the same work ranged 610.9 to 1288.1 images/s, a spread of 76% of their median (limit 20%): " +
			"the same work ran at different speeds with no sign in load, other processes or steal (another guest on the shared cores, memory bus or cache, " +
			"or where the side's threads and memory landed from run to run)"},
		{"zero median", []float64{0, 0, 5}, ""},
	}
	for _, tt := range tests {
		if got := CheckSpread("pytorch", tt.perS, DefaultLimits()); got != tt.want {
			t.Errorf("%s: CheckSpread(%v) = %q, want %q", tt.name, tt.perS, got, tt.want)
		}
	}
}

func TestDecayLoad(t *testing.T) {
	tests := []struct {
		name string
		l, n float64
		d    time.Duration
		want float64
	}{
		{"rise over one time constant", 0, 1, time.Minute, 1 - 1/math.E},
		{"decay over one time constant", 2, 0, time.Minute, 2 / math.E},
		{"steady state", 1.5, 1.5, 37 * time.Second, 1.5},
		{"no time", 0.7, 3, 0, 0.7},
		{"negative time", 0.7, 3, -time.Second, 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecayLoad(tt.l, tt.n, tt.d); math.Abs(got-tt.want) > tolLoad {
				t.Errorf("DecayLoad(%g, %g, %v) = %.12g, want %.12g", tt.l, tt.n, tt.d, got, tt.want)
			}
		})
	}
}

// TestDecayLoadMatchesKernel compares DecayLoad with Linux's recurrence
// (kernel/sched/loadavg.c: every 5 s, load = load·e + n·(1 - e) with e =
// EXP_1/FIXED_1 = 1884/2048) over 12 updates, one minute of n = 2
// runnable tasks. The kernel's factor is e^(-5/60) rounded to 11 bits, so
// the two differ by about 6e-4 after a minute; the bound is tolKernel.
func TestDecayLoadMatchesKernel(t *testing.T) {
	const tolKernel = 2e-3
	kernel := 0.25
	for range 12 {
		kernel = kernel*1884/2048 + 2*(1-1884.0/2048)
	}
	if got := DecayLoad(0.25, 2, time.Minute); math.Abs(got-kernel) > tolKernel {
		t.Errorf("DecayLoad = %.6f, the kernel's recurrence %.6f", got, kernel)
	}
}

func TestOwnLoad(t *testing.T) {
	// 30 s of 1.5 of our threads on average from 0.2: 0.2·e^(-1/2) +
	// 1.5·(1 - e^(-1/2)).
	from, to := snap(10, 0, 0, 0, 4), snap(40, 0, 0, 0, 4+45)
	want := 0.2*math.Exp(-0.5) + 1.5*(1-math.Exp(-0.5))
	if got := OwnLoad(0.2, from, to); math.Abs(got-want) > tolLoad {
		t.Errorf("OwnLoad = %.12g, want %.12g", got, want)
	}
	if got := OwnLoad(0.2, to, to); got != 0.2 {
		t.Errorf("OwnLoad over no time = %g, want 0.2", got)
	}
}
