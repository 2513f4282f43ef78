package main

import (
	"bytes"
	"errors"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"branchspec/cmd/refbench/internal/host"
	"branchspec/trainer/ops/gemm"
)

// script is a fake sampler: it returns its snapshots in order, or err.
type script struct {
	snaps []host.Snapshot
	err   error
}

func (s *script) Take() (host.Snapshot, error) {
	if s.err != nil {
		return host.Snapshot{}, s.err
	}
	if len(s.snaps) == 0 {
		return host.Snapshot{}, errors.New("script: no more snapshots")
	}
	v := s.snaps[0]
	s.snaps = s.snaps[1:]
	return v, nil
}

// snapAt is a 2-CPU snapshot at second at: 1-minute load average load,
// busy ticks, our CPU time so far in seconds.
func snapAt(at, load float64, busy uint64, own float64) host.Snapshot {
	return host.Snapshot{At: time.Duration(at * float64(time.Second)), Load: host.LoadAvg{Load1: load},
		Stat: host.Stat{CPUTimes: host.CPUTimes{User: busy}, CPUs: 2}, Own: time.Duration(own * float64(time.Second))}
}

func TestMonitor(t *testing.T) {
	const tol = 1e-9
	// Seed at 0 s; a 1 s peak measurement (1 thread of ours); a 10 s run
	// with 1.95 threads of ours; the CPUs' busy ticks match ours unless
	// others add some.
	seed, check := snapAt(0, 0.1, 0, 0), snapAt(1, 0.12, 100, 1)
	ownCheck := 1 - math.Exp(-1.0/60)
	ownRun := func(threads float64) float64 { return ownCheck*math.Exp(-10.0/60) + threads*(1-math.Exp(-10.0/60)) }
	tests := []struct {
		name    string
		after   host.Snapshot
		threads float64 // ours during the run
		allow   bool
		busy    []string // recorded reasons
		wantErr string   // "" for none
	}{
		{name: "quiet", after: snapAt(11, 0.4, 100+1950, 1+19.5), threads: 1.95},
		{
			name:  "others took CPU",
			after: snapAt(11, 0.4, 100+2000, 1+15), threads: 1.5,
			busy: []string{"pytorch run 1 of reference: during the run other processes used 25.0% of the 2 CPUs' time (5.00 s of CPU in 10.00 s; limit 5.0%)"},
			wantErr: "the machine was busy: pytorch run 1 of reference: during the run other processes used 25.0% " +
				"of the 2 CPUs' time (5.00 s of CPU in 10.00 s; limit 5.0%)",
		},
		{
			name:  "others took CPU, allowed",
			after: snapAt(11, 0.4, 100+2000, 1+15), threads: 1.5,
			allow: true,
			busy:  []string{"pytorch run 1 of reference: during the run other processes used 25.0% of the 2 CPUs' time (5.00 s of CPU in 10.00 s; limit 5.0%)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &monitor{s: &script{snaps: []host.Snapshot{seed, check, check, tt.after}}, lim: host.DefaultLimits(), allow: tt.allow}
			if err := m.seed(); err != nil {
				t.Fatal(err)
			}
			if err := m.check("before the first run"); err != nil {
				t.Fatal(err)
			}
			if math.Abs(m.own-ownCheck) > tol {
				t.Errorf("our load after the peak = %.12g, want %.12g", m.own, ownCheck)
			}
			ran := false
			v, err := m.around("pytorch run 1 of reference", func() error { ran = true; return nil })
			if !ran {
				t.Error("around did not run f")
			}
			if got := errText(err); got != tt.wantErr {
				t.Errorf("error = %q, want %q", got, tt.wantErr)
			}
			var busy *busyError
			if (tt.wantErr != "") != errors.As(err, &busy) {
				t.Errorf("error %v: want a *busyError: %t", err, tt.wantErr != "")
			}
			if !slices.Equal(m.busy, tt.busy) {
				t.Errorf("recorded %q, want %q", m.busy, tt.busy)
			}
			if want := ownRun(tt.threads); math.Abs(v.OwnAfter-want) > tol || math.Abs(m.own-want) > tol {
				t.Errorf("our load after the run: verdict %.12g, monitor %.12g, want %.12g", v.OwnAfter, m.own, want)
			}
		})
	}
}

func TestMonitorFailures(t *testing.T) {
	t.Run("run fails", func(t *testing.T) {
		m := &monitor{s: &script{snaps: []host.Snapshot{snapAt(0, 0, 0, 0)}}, lim: host.DefaultLimits()}
		boom := errors.New("boom")
		if _, err := m.around("x", func() error { return boom }); err != boom {
			t.Errorf("error = %v, want the run's", err)
		}
	})
	t.Run("no snapshot", func(t *testing.T) {
		m := &monitor{s: &script{err: errors.New("host: /proc: open stat: file does not exist")}, lim: host.DefaultLimits()}
		err := m.seed()
		const want = "the machine was busy: at the start: cannot tell whether the machine is quiet: host: /proc: open stat: file does not exist"
		if errText(err) != want {
			t.Errorf("error = %q, want %q", errText(err), want)
		}
	})
	t.Run("loaded before the first run", func(t *testing.T) {
		m := &monitor{s: &script{snaps: []host.Snapshot{snapAt(0, 6.4, 0, 0), snapAt(1, 6.53, 100, 1)}}, lim: host.DefaultLimits()}
		if err := m.seed(); err != nil {
			t.Fatal(err)
		}
		const want = "the machine was busy: before the first run: 1-minute load average 6.53, of which 0.02 is ours: 6.51 from other work (limit 0.50)"
		if err := m.check("before the first run"); errText(err) != want {
			t.Errorf("error = %q, want %q", errText(err), want)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fakeEnv is a machine with the given load average text (a quiet one for
// nil) and a fixed FMA peak.
func fakeEnv(loadavg []byte) env {
	if loadavg == nil {
		loadavg = []byte("0.02 0.05 0.10 1/90 123\n")
	}
	proc := fstest.MapFS{
		"loadavg": {Data: loadavg},
		"stat":    {Data: []byte("cpu  100 0 50 1000 0 0 0 0 0 0\ncpu0 50 0 25 500 0 0 0 0 0 0\ncpu1 50 0 25 500 0 0 0 0 0 0\n")},
		"cpuinfo": {Data: []byte("processor\t: 0\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC 9654\nflags\t\t: fma avx2 avx512f avx512bw\n\n")},
	}
	at := time.Duration(0)
	return env{
		sampler: host.Sampler{Proc: proc, Now: func() time.Duration { at += time.Second; return at }, Own: func() (time.Duration, error) { return 0, nil }},
		peak: func(gemm.Kernel) (gemm.Peak, error) {
			return gemm.Peak{Kernel: gemm.AVX2, GFLOPS: 113, MinGFLOPS: 110, MaxGFLOPS: 115, Reps: 5}, nil
		},
	}
}

// TestRefusesBusyMachine runs refbench on a machine whose load average
// shows other work: it prints the machine and its peak, then refuses
// before the first run, saying why, with exit status 3 and no ratio.
func TestRefusesBusyMachine(t *testing.T) {
	for _, allow := range []bool{false, true} {
		var out, errOut bytes.Buffer
		args := []string{"-runs", "1"}
		if allow {
			// -allow-busy goes on to the runs: here they fail (no
			// children in a test), which is exit 1, not a ratio.
			args = append(args, "-allow-busy", "-python", "/nonexistent/python3", "-nets", "reference")
		}
		code := run(args, fakeEnv([]byte("6.53 3.91 3.09 6/126 11038\n")), &out, &errOut)
		if allow {
			if code != exitFailed || strings.Contains(out.String(), "ratio") {
				t.Errorf("-allow-busy with failing runs: exit %d, stdout:\n%s", code, out.String())
			}
			continue
		}
		if code != exitBusy {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitBusy, errOut.String())
		}
		for _, want := range []string{
			"cpu: AMD EPYC 9654 (family 25, model 17), ",
			"features: avx2 yes, fma yes, avx512f yes, avx512bw yes, avx512dq no, avx512vl no\n",
			"machine peak: avx2 FMA peak 113.0 GFLOP/s per core (median of 5, 110.0..115.0)\n",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("stdout lacks %q:\n%s", want, out.String())
			}
		}
		if strings.Contains(out.String(), "ratio") {
			t.Errorf("a busy machine printed a ratio:\n%s", out.String())
		}
		// The fake's clock advances 1 s a snapshot and our CPU time stays
		// 0, so none of the load is ours.
		const wantErr = "refbench: no ratio printed: the machine was busy (-allow-busy prints it anyway, labelled as not valid for reporting):\n" +
			"  before the first run: 1-minute load average 6.53, of which 0.00 is ours: 6.53 from other work (limit 0.50)\n"
		if errOut.String() != wantErr {
			t.Errorf("stderr:\n%s\nwant:\n%s", errOut.String(), wantErr)
		}
	}
}

// TestMain lets the test binary stand in for refbench as the Go side's
// child process (bench runs os.Executable() -child go ...).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		os.Exit(run(os.Args[1:], env{}, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// fakeMachine is a quiet 2-CPU machine whose clock advances 1 s a
// snapshot and on which other processes add othersTicks busy ticks a
// snapshot; our CPU time reads 0.
type fakeMachine struct {
	at          time.Duration
	busy        uint64
	othersTicks uint64
}

func (f *fakeMachine) Take() (host.Snapshot, error) {
	f.at += time.Second
	f.busy += f.othersTicks
	return host.Snapshot{At: f.at, Load: host.LoadAvg{Load1: 0.05}, Stat: host.Stat{CPUTimes: host.CPUTimes{User: f.busy}, CPUs: 2}}, nil
}

func (f *fakeMachine) CPUInfo() (host.CPUInfo, error) {
	return host.CPUInfo{Model: "Test CPU", Flags: []string{"avx2", "fma"}}, nil
}

// TestBenchOutput runs refbench end to end on the reference net (one
// short run a side, real children) with a fake machine: quiet, the last
// line is exactly the ratio line and the exit status 0, also with both
// sides held to AVX2 (PyTorch's oneDNN says it runs AVX2), and with
// PyTorch's threads bound to cores (the default) or not; busy during the
// runs with -allow-busy, the ratio is labelled and the exit status 3.
func TestBenchOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the reference net on both sides")
	}
	if !hasTorch() {
		t.Skipf("%s cannot import torch and numpy", python)
	}
	peak := func(gemm.Kernel) (gemm.Peak, error) { return gemm.Peak{Kernel: gemm.AVX2, GFLOPS: 100, Reps: 1}, nil }
	args := []string{"-nets", "reference", "-runs", "1", "-warmup", "1", "-steps", "2", "-check", "3", "-python", python}
	tests := []struct {
		name     string
		others   uint64
		extra    []string
		code     int
		lastLine string   // a regular expression
		stderr   string   // a substring
		stdout   []string // substrings
	}{
		{
			name: "quiet", code: 0, lastLine: `^ratio branchspec/pytorch images/s: [0-9]+\.[0-9]{2}$`,
			stdout: []string{"isa: native", "threads bound to cores: OMP_PROC_BIND=close OMP_PLACES=cores\n"},
		},
		{
			name: "held to AVX2", extra: []string{"-isa", "avx2"}, code: 0, lastLine: `^ratio branchspec/pytorch images/s: [0-9]+\.[0-9]{2}$`,
			stdout: []string{`oneDNN isa "Intel AVX2"`},
		},
		{
			name: "threads unbound", extra: []string{"-pytorch-bind", "none"}, code: 0, lastLine: `^ratio branchspec/pytorch images/s: [0-9]+\.[0-9]{2}$`,
			stdout: []string{"MALLOC_TRIM_THRESHOLD_=1073741824, threads left to the scheduler\n"},
		},
		{
			name: "busy, allowed", others: 100, extra: []string{"-allow-busy"}, code: exitBusy,
			lastLine: `^ratio branchspec/pytorch images/s \(busy machine, not valid for reporting\): [0-9]+\.[0-9]{2}$`,
			stderr:   "refbench: NOT VALID FOR REPORTING (-allow-busy): the machine was busy:\n  pytorch run 1 of reference: during the run other processes used 50.0% of the 2 CPUs' time (1.00 s of CPU in 1.00 s; limit 5.0%)\n",
		},
		{
			name: "busy", others: 100, code: exitBusy, lastLine: `^run 1 pytorch .* BUSY$`,
			stderr: "refbench: no ratio printed: the machine was busy (-allow-busy prints it anyway, labelled as not valid for reporting):\n  pytorch run 1 of reference: during the run other processes used 50.0% of the 2 CPUs' time (1.00 s of CPU in 1.00 s; limit 5.0%)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if slices.Contains(tt.extra, "avx2") && !gemm.AVX2.Runs() {
				t.Skip("this CPU does not run the avx2 kernel")
			}
			var out, errOut bytes.Buffer
			code := run(append(args, tt.extra...), env{sampler: &fakeMachine{othersTicks: tt.others}, peak: peak}, &out, &errOut)
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			missing := slices.ContainsFunc(tt.stdout, func(s string) bool { return !strings.Contains(out.String(), s) })
			if code != tt.code || !regexp.MustCompile(tt.lastLine).MatchString(last) || !strings.Contains(errOut.String(), tt.stderr) || missing {
				t.Errorf("exit %d (want %d), last line %q (want %s); stdout:\n%s\nstderr:\n%s", code, tt.code, last, tt.lastLine, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), "% of peak (") && tt.code != exitBusy {
				t.Errorf("no share of the peak printed:\n%s", out.String())
			}
		})
	}
}
