package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"branchspec/cmd/refbench/internal/host"
	"branchspec/trainer"
	"branchspec/trainer/ops/gemm"
)

//go:embed torch_ref.py
var torchScript []byte

// Tolerance of the loss-curve check: |go - torch| <= tolLoss * |torch| at
// every compared step. Both sides run float32 with different summation
// orders; over 20 steps the curves agree to about 3e-4 (reference net,
// Adam, whose He-initialised logits start large; its loss jumps between 2
// and 10 in the first steps, and a difference of 1e-7 at step 2 grows
// about tenfold every four steps) and 1e-7 (cifar10-alexnet, SGD from
// N(0, 0.01^2)). With Winograd convolutions (the default kernel) the
// reference net's curve differs from the direct one's by up to 5e-4 in 20
// steps, and from PyTorch's by up to 8e-4.
const tolLoss = 1e-3

// Exit statuses.
const (
	exitFailed = 1 // a run failed or the loss curves disagree
	exitUsage  = 2 // bad flags or environment
	exitBusy   = 3 // the machine was busy (or could not be judged): no valid ratio
)

// options are refbench's flags.
type options struct {
	runs, warmup, steps, threads, check int
	python                              string
	pytorchMalloc                       string // "keep" or "system"; see pytorchEnv
	pytorchBind                         string // "cores" or "none"; see pytorchEnv
	isa                                 string // "native" or "avx2"; see parseISA
	nets                                string // comma-separated refNet names
	allowBusy                           bool
	child                               string // internal: "go" runs the Go side in this process
	dir                                 string // internal: the inputs directory of a child run
}

// env is what refbench measures the machine with: its sampler (a
// host.Sampler) and the FMA peak measurement of a kernel's instructions;
// tests give fakes.
type env struct {
	sampler interface {
		Take() (host.Snapshot, error)
		CPUInfo() (host.CPUInfo, error)
	}
	peak func(gemm.Kernel) (gemm.Peak, error)
}

func main() {
	e := env{sampler: host.System(), peak: func(k gemm.Kernel) (gemm.Peak, error) {
		return gemm.MeasurePeak(k, peakReps, peakMinCPU)
	}}
	os.Exit(run(os.Args[1:], e, os.Stdout, os.Stderr))
}

// The FMA peak measurement: repetitions of at least this much thread CPU
// time each (about a second in all).
const (
	peakReps   = 5
	peakMinCPU = 200 * time.Millisecond
)

// features are the CPU flags refbench reports: those its kernels and
// PyTorch's choose between.
func features() []string {
	return []string{"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"}
}

func run(args []string, e env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("refbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.runs, "runs", 5, "runs of each side, alternating")
	fs.IntVar(&o.warmup, "warmup", 3, "untimed steps at the start of each run")
	fs.IntVar(&o.steps, "steps", 20, "timed steps of each run")
	fs.IntVar(&o.threads, "threads", 2, "PyTorch threads (torch.set_num_threads); the Go side uses GOMAXPROCS")
	fs.IntVar(&o.check, "check", 20, "leading steps whose losses must agree (at most warmup+steps)")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with torch and numpy")
	fs.StringVar(&o.pytorchMalloc, "pytorch-malloc", "keep", `PyTorch's glibc malloc: "keep" keeps freed memory for reuse (MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ set), "system" leaves glibc's defaults`)
	fs.StringVar(&o.pytorchBind, "pytorch-bind", "cores", `PyTorch's OpenMP threads: "cores" binds each to a core (OMP_PROC_BIND=close, OMP_PLACES=cores), "none" leaves them to the scheduler`)
	fs.StringVar(&o.isa, "isa", "native", `instructions both sides may use: "native" (each side's fastest on this CPU) or "avx2" (branchspec's avx2 kernel, PyTorch's oneDNN, ATen and OpenBLAS held to AVX2: on a CPU with AVX-512, a proxy for an AVX2-only host)`)
	fs.StringVar(&o.nets, "nets", "reference,cifar10-alexnet", "nets to time, in order; the last one's ratio is the last line")
	fs.BoolVar(&o.allowBusy, "allow-busy", false, "print the ratios even when the machine was busy, labelled as not valid for reporting (the exit status stays 3)")
	fs.StringVar(&o.child, "child", "", "internal: run one side in this process")
	fs.StringVar(&o.dir, "dir", "", "internal: inputs directory of a child run")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if o.runs < 1 || o.steps < 1 || o.warmup < 0 || o.check < 0 || o.threads < 1 {
		fmt.Fprintln(stderr, "refbench: need runs >= 1, steps >= 1, warmup >= 0, check >= 0 and threads >= 1")
		return exitUsage
	}
	if o.child != "" {
		return runChild(o, stdout, stderr)
	}
	if _, err := pytorchEnv(o.pytorchMalloc, o.pytorchBind); err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return exitUsage
	}
	isa, err := parseISA(o.isa, os.Getenv(gemm.EnvKernel))
	if err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return exitUsage
	}
	var nets []refNet
	for _, name := range strings.Split(o.nets, ",") {
		n, err := netNamed(strings.TrimSpace(name))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		nets = append(nets, n)
	}
	// The Go side's nets run the model's default: the process's GEMM
	// kernel (isa's, through the environment) with Winograd.
	engine := ""
	if isa.kernel != "" {
		engine = string(isa.kernel) + trainer.WinogradSuffix
	}
	kernel, err := trainer.GEMMIdentity(engine)
	if err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return exitUsage
	}
	mon := &monitor{s: e.sampler, lim: host.DefaultLimits(), allow: o.allowBusy}
	if err := mon.seed(); err != nil {
		return refuse(stderr, err)
	}
	info, infoErr := e.sampler.CPUInfo()
	isa = isa.onCPU(info)
	peak := describe(stdout, e, info, infoErr, kernel, isa, o, mon.lim)
	libs, perr := probeTorch(o, isa)
	if err := isa.confirm(libs, perr); err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return exitUsage
	}
	if perr != nil {
		fmt.Fprintf(stdout, "pytorch libraries: not probed (%v)\n", perr)
	} else {
		fmt.Fprintf(stdout, "pytorch libraries: %s\n", libs)
	}
	if err := mon.check("before the first run"); err != nil {
		return refuse(stderr, err)
	}
	var failed error
	for i, n := range nets {
		err := bench(o, isa, n, i == len(nets)-1, peak, mon, stdout)
		var busy *busyError
		if errors.As(err, &busy) {
			return refuse(stderr, err)
		}
		if err != nil {
			fmt.Fprintf(stderr, "refbench: %s: %v\n", n.name, err)
			failed = err
		}
	}
	switch {
	case failed != nil:
		return exitFailed
	case len(mon.busy) > 0:
		fmt.Fprintln(stderr, "refbench: NOT VALID FOR REPORTING (-allow-busy): the machine was busy:")
		for _, r := range mon.busy {
			fmt.Fprintln(stderr, "  "+r)
		}
		return exitBusy
	}
	return 0
}

// refuse prints why no ratio is printed and returns exitBusy.
func refuse(w io.Writer, err error) int {
	fmt.Fprintln(w, "refbench: no ratio printed: the machine was busy (-allow-busy prints it anyway, labelled as not valid for reporting):")
	var busy *busyError
	if errors.As(err, &busy) {
		for _, r := range busy.reasons {
			fmt.Fprintln(w, "  "+r)
		}
	} else {
		fmt.Fprintln(w, "  "+err.Error())
	}
	return exitBusy
}

// describe prints the machine (CPU model and features, from info or the
// error reading them; the FMA peak of isa's kernel), the instructions the
// sides are held to, the kernel and threads of each side and the
// quiet-machine limits, and
// returns the measured peak per core in GFLOP/s (0 where it could not be
// measured).
func describe(w io.Writer, e env, info host.CPUInfo, infoErr error, kernel string, isa isaCap, o options, l host.Limits) float64 {
	if infoErr != nil {
		fmt.Fprintf(w, "cpu: unknown (%v)\n", infoErr)
	} else {
		fmt.Fprintf(w, "cpu: %s, %d CPUs\nfeatures: %s\n", info, runtime.NumCPU(), info.Features(features()...))
	}
	fmt.Fprintf(w, "isa: %s\n", isa.describe())
	peak := 0.0
	if p, err := e.peak(isa.peakKernel()); err != nil {
		fmt.Fprintf(w, "machine peak: not measured (%v); shares of the peak are left out\n", err)
	} else {
		fmt.Fprintf(w, "machine peak: %s\n", p)
		peak = p.GFLOPS
	}
	malloc, bind := "glibc malloc's defaults", "threads left to the scheduler"
	if env, _ := pytorchEnv(o.pytorchMalloc, "none"); len(env) > 0 {
		malloc = "glibc malloc keeps freed memory: " + strings.Join(env, " ")
	}
	if env, _ := pytorchEnv("system", o.pytorchBind); len(env) > 0 {
		bind = "threads bound to cores: " + strings.Join(env, " ")
	}
	fmt.Fprintf(w, "branchspec: kernel %s, GOMAXPROCS %d; pytorch: %d threads (%s), %s, %s\n", kernel, runtime.GOMAXPROCS(0), o.threads, o.python, malloc, bind)
	fmt.Fprintf(w, "quiet machine: 1-minute load average at most %.2f above our own threads'; during each run other processes at most %.0f%% and steal at most %.0f%% of the CPUs' time; each side's runs within %.0f%% of their median of each other\n",
		l.Load, 100*l.Others, 100*l.Steal, 100*l.Spread)
	return peak
}

// pytorchEnv returns the environment refbench adds to PyTorch's runs for
// its malloc setting: for "keep", glibc's malloc serves every block PyTorch
// frees and asks again from the heap it keeps (blocks up to 32 MiB, the
// most MALLOC_MMAP_THRESHOLD_ takes on 64-bit, come from the heap rather
// than a fresh mmap, and the heap's top is not returned below 1 GiB), as
// PyTorch's own CPU tuning guide gets from jemalloc or tcmalloc; for
// "system", nothing. With glibc's defaults a tensor of more than 128 KiB
// is a fresh mapping until the dynamic threshold has grown past it, so a
// step's activations and gradients are page-faulted in anew step after
// step, and whether the threshold grows depends on the order of frees: on
// a 2-vCPU Zen 5 guest the reference net's PyTorch runs took 120-145
// thousand faults and 700-930 images/s, or 57-64 thousand and 1590,
// from run to run; with "keep", 50-53 thousand and 1380-1920.
//
// For bind "cores" it adds OMP_PROC_BIND=close and OMP_PLACES=cores, which
// bind each of PyTorch's OpenMP threads to a core, as its CPU tuning guide
// advises; "none" adds nothing. Left to the scheduler, PyTorch's two
// threads on a 2-vCPU Zen 5 guest took 60-140 ms for 0-4 of a run's 20
// steps of the reference net (the others 22-34 ms), 1592-2302 images/s
// from run to run; bound, no such steps in the same five runs, 2329-2519
// (cifar10-alexnet: 3594-3825, bound 3820-3870). branchspec's side is not
// bound: its runs agree within 6% without.
func pytorchEnv(malloc, bind string) ([]string, error) {
	var env []string
	switch malloc {
	case "keep":
		env = append(env, "MALLOC_MMAP_THRESHOLD_=33554432", "MALLOC_TRIM_THRESHOLD_=1073741824")
	case "system":
	default:
		return nil, fmt.Errorf("-pytorch-malloc %q: want keep or system", malloc)
	}
	switch bind {
	case "cores":
		env = append(env, "OMP_PROC_BIND=close", "OMP_PLACES=cores")
	case "none":
	default:
		return nil, fmt.Errorf("-pytorch-bind %q: want cores or none", bind)
	}
	return env, nil
}

// runChild runs the Go side once and prints its result as one JSON line.
func runChild(o options, stdout, stderr io.Writer) int {
	if o.child != "go" {
		fmt.Fprintf(stderr, "refbench: unknown child %q\n", o.child)
		return exitUsage
	}
	res, err := runGo(o.dir, o.warmup, o.steps)
	if err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return exitFailed
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return exitFailed
	}
	return 0
}

// sideRun is one child run: its report and its peak resident set.
type sideRun struct {
	runResult
	maxRSS      int64 // bytes
	minorFaults int64 // page faults served without I/O, over the whole process
}

// cpuThreads is the CPU time the side got per second of its timed steps:
// how many of its threads ran on average (its thread count on a quiet
// machine, for code that keeps them all busy).
func (r sideRun) cpuThreads() float64 {
	if r.WallS <= 0 {
		return 0
	}
	return r.CPUS / r.WallS
}

// side is one implementation under test.
type side struct {
	name    string
	threads int
	cmd     func() *exec.Cmd
	runs    []sideRun
}

// bench times net on both sides and prints its runs, medians and ratio;
// the last net's ratio line is the plain "ratio branchspec/pytorch
// images/s: X.XX", the others name their net. The monitor judges every
// run; at the first busy one bench returns its *busyError (unless
// -allow-busy, when the ratio lines say they are not valid). peak is the
// FMA peak of one core in GFLOP/s, or 0.
func bench(o options, isa isaCap, net refNet, last bool, peak float64, mon *monitor, w io.Writer) error {
	cfg, err := net.config()
	if err != nil {
		return err
	}
	arch, err := trainer.NewArch(cfg)
	if err != nil {
		return err
	}
	flops := arch.StepFLOPs()
	dir, err := os.MkdirTemp("", "refbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeInputs(dir, net, rand.New(rand.NewPCG(1, 2))); err != nil {
		return err
	}
	script := filepath.Join(dir, "torch_ref.py")
	if err := os.WriteFile(script, torchScript, 0o644); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	steps := []string{"-warmup", strconv.Itoa(o.warmup), "-steps", strconv.Itoa(o.steps)}
	torch := &side{name: "pytorch", threads: o.threads, cmd: func() *exec.Cmd {
		cmd := exec.Command(o.python, script, dir, strconv.Itoa(o.warmup), strconv.Itoa(o.steps), strconv.Itoa(o.threads))
		env, _ := pytorchEnv(o.pytorchMalloc, o.pytorchBind) // checked in run
		cmd.Env = append(append(os.Environ(), env...), isa.torchEnv...)
		return cmd
	}}
	ours := &side{name: "branchspec", threads: runtime.GOMAXPROCS(0), cmd: func() *exec.Cmd {
		cmd := exec.Command(self, append([]string{"-child", "go", "-dir", dir}, steps...)...)
		cmd.Env = append(os.Environ(), isa.goEnv()...)
		return cmd
	}}
	fmt.Fprintf(w, "\n%s: %d runs per side, alternating, each %d warmup + %d timed steps\n",
		net.title, o.runs, o.warmup, o.steps)
	fmt.Fprintf(w, "work: %.1f MFLOP per image and training step (2 per multiply-add of the convs and linear layers, forward and backward)\n", flops/1e6)
	for i := 0; i < o.runs; i++ {
		for _, s := range []*side{torch, ours} {
			var r sideRun
			v, err := mon.around(fmt.Sprintf("%s run %d of %s", s.name, i+1, net.name), func() (err error) {
				r, err = runSide(s.cmd())
				return err
			})
			var busy *busyError
			if err != nil && !errors.As(err, &busy) {
				return fmt.Errorf("%s run %d: %w", s.name, i+1, err)
			}
			s.runs = append(s.runs, r)
			mark := ""
			if v.Busy() {
				mark = "  BUSY"
			}
			fmt.Fprintf(w, "run %d %-10s %8.1f images/s  CPU %4.2f of %d threads  peak RSS %6.1f MiB  page faults %6.0fk  %s%s\n",
				i+1, s.name, r.ImagesPerS, r.cpuThreads(), s.threads, mib(r.maxRSS), float64(r.minorFaults)/1e3, v, mark)
			if err != nil {
				return err
			}
		}
	}
	var uneven []string
	for _, s := range []*side{torch, ours} {
		if r := host.CheckSpread(s.name, s.imagesPerS(), mon.lim); r != "" {
			fmt.Fprintf(w, "uneven runs: %s\n", r)
			uneven = append(uneven, r)
		}
	}
	if err := mon.judged(net.name+" runs", uneven); err != nil {
		return err
	}
	agree := checkLosses(w, ours.runs[0].Losses, torch.runs[0].Losses, o.check)
	for _, s := range []*side{torch, ours} {
		ips := median(s.imagesPerS())
		fmt.Fprintf(w, "median %-10s %8.1f images/s  %6.1f GFLOP/s%s  peak RSS %6.1f MiB\n",
			s.name, ips, ips*flops/1e9, peakShare(ips*flops/1e9, peak, s.threads), mib(s.peakRSS()))
	}
	ratio := median(ours.imagesPerS()) / median(torch.imagesPerS())
	if note := isa.note(); note != "" {
		fmt.Fprintln(w, note)
	}
	label := ""
	if len(mon.busy) > 0 {
		label = "busy machine, not valid for reporting"
	}
	switch {
	case last && label == "":
		fmt.Fprintf(w, "ratio branchspec/pytorch images/s: %.2f\n", ratio)
	case last:
		fmt.Fprintf(w, "ratio branchspec/pytorch images/s (%s): %.2f\n", label, ratio)
	case label == "":
		fmt.Fprintf(w, "ratio branchspec/pytorch images/s (%s): %.2f\n", net.name, ratio)
	default:
		fmt.Fprintf(w, "ratio branchspec/pytorch images/s (%s; %s): %.2f\n", net.name, label, ratio)
	}
	if !agree {
		return errors.New("the loss curves disagree")
	}
	return nil
}

// peakShare is ", S% of peak (C cores)": gflops over the peak of the cores
// threads use (at most the CPUs this process may run on), or "" without a
// peak.
func peakShare(gflops, peak float64, threads int) string {
	if peak <= 0 {
		return ""
	}
	cores := min(threads, runtime.NumCPU())
	return fmt.Sprintf(", %4.1f%% of peak (%d cores)", 100*gflops/(peak*float64(cores)), cores)
}

// runSide runs one child and reads its JSON report and peak RSS.
func runSide(cmd *exec.Cmd) (sideRun, error) {
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return sideRun{}, fmt.Errorf("%v: %s", err, bytes.TrimSpace(errOut.Bytes()))
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	var r sideRun
	if err := json.Unmarshal(lines[len(lines)-1], &r.runResult); err != nil {
		return sideRun{}, fmt.Errorf("report %q: %w", lines[len(lines)-1], err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = int64(ru.Maxrss) * 1024 // Linux reports KiB
		r.minorFaults = ru.Minflt
	}
	return r, nil
}

// checkLosses prints the first n losses of both sides and reports whether
// they agree within tolLoss.
func checkLosses(w io.Writer, ours, torch []float64, n int) bool {
	n = min(n, len(ours), len(torch))
	worst := 0.0
	for i := 0; i < n; i++ {
		worst = max(worst, relDiff(ours[i], torch[i]))
	}
	ok := worst <= tolLoss
	verdict := "agree"
	if !ok {
		verdict = "DISAGREE"
	}
	fmt.Fprintf(w, "loss curves, %d steps: %s (max relative difference %.2g, tolerance %.0g)\n", n, verdict, worst, float64(tolLoss))
	for i := 0; i < n; i += max(1, n/5) {
		fmt.Fprintf(w, "  step %2d  branchspec %.6f  pytorch %.6f\n", i+1, ours[i], torch[i])
	}
	return ok
}

// relDiff is |a-b| / |b|, or +Inf when either is not finite.
func relDiff(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.Inf(1)
	}
	return math.Abs(a-b) / max(math.Abs(b), 1e-12)
}

func (s *side) imagesPerS() []float64 {
	v := make([]float64, len(s.runs))
	for i, r := range s.runs {
		v[i] = r.ImagesPerS
	}
	return v
}

func (s *side) peakRSS() int64 {
	var m int64
	for _, r := range s.runs {
		m = max(m, r.maxRSS)
	}
	return m
}

// median of v (the mean of the middle two for an even count).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
