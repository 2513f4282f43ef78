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
)

//go:embed torch_ref.py
var torchScript []byte

// Tolerance of the loss-curve check: |go - torch| <= tolLoss * |torch| at
// every compared step. Both sides run float32 with different summation
// orders; over 20 steps the curves agree to about 3e-4 (reference net,
// Adam, whose He-initialised logits start large) and 1e-7
// (cifar10-alexnet, SGD from N(0, 0.01^2)).
const tolLoss = 1e-3

// options are refbench's flags.
type options struct {
	runs, warmup, steps, threads, check int
	python                              string
	nets                                string // comma-separated refNet names
	child                               string // internal: "go" runs the Go side in this process
	dir                                 string // internal: the inputs directory of a child run
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("refbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.runs, "runs", 5, "runs of each side, alternating")
	fs.IntVar(&o.warmup, "warmup", 3, "untimed steps at the start of each run")
	fs.IntVar(&o.steps, "steps", 20, "timed steps of each run")
	fs.IntVar(&o.threads, "threads", 2, "PyTorch threads (torch.set_num_threads); the Go side uses GOMAXPROCS")
	fs.IntVar(&o.check, "check", 20, "leading steps whose losses must agree (at most warmup+steps)")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with torch and numpy")
	fs.StringVar(&o.nets, "nets", "reference,cifar10-alexnet", "nets to time, in order; the last one's ratio is the last line")
	fs.StringVar(&o.child, "child", "", "internal: run one side in this process")
	fs.StringVar(&o.dir, "dir", "", "internal: inputs directory of a child run")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.runs < 1 || o.steps < 1 || o.warmup < 0 || o.check < 0 {
		fmt.Fprintln(stderr, "refbench: need runs >= 1, steps >= 1, warmup >= 0 and check >= 0")
		return 2
	}
	if o.child != "" {
		return runChild(o, stdout, stderr)
	}
	var nets []refNet
	for _, name := range strings.Split(o.nets, ",") {
		n, err := netNamed(strings.TrimSpace(name))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		nets = append(nets, n)
	}
	fmt.Fprintf(stdout, "branchspec: GOMAXPROCS %d; pytorch: %d threads (%s)\n", runtime.GOMAXPROCS(0), o.threads, o.python)
	var failed error
	for i, n := range nets {
		if err := bench(o, n, i == len(nets)-1, stdout); err != nil {
			fmt.Fprintf(stderr, "refbench: %s: %v\n", n.name, err)
			failed = err
		}
	}
	if failed != nil {
		return 1
	}
	return 0
}

// runChild runs the Go side once and prints its result as one JSON line.
func runChild(o options, stdout, stderr io.Writer) int {
	if o.child != "go" {
		fmt.Fprintf(stderr, "refbench: unknown child %q\n", o.child)
		return 2
	}
	res, err := runGo(o.dir, o.warmup, o.steps)
	if err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, "refbench:", err)
		return 1
	}
	return 0
}

// sideRun is one child run: its report and its peak resident set.
type sideRun struct {
	runResult
	maxRSS int64 // bytes
}

// side is one implementation under test.
type side struct {
	name string
	cmd  func() *exec.Cmd
	runs []sideRun
}

// bench times net on both sides and prints its runs, medians and ratio;
// the last net's ratio line is the plain "ratio branchspec/pytorch
// images/s: X.XX", the others name their net.
func bench(o options, net refNet, last bool, w io.Writer) error {
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
	torch := &side{name: "pytorch", cmd: func() *exec.Cmd {
		return exec.Command(o.python, script, dir, strconv.Itoa(o.warmup), strconv.Itoa(o.steps), strconv.Itoa(o.threads))
	}}
	ours := &side{name: "branchspec", cmd: func() *exec.Cmd {
		return exec.Command(self, append([]string{"-child", "go", "-dir", dir}, steps...)...)
	}}
	fmt.Fprintf(w, "\n%s: %d runs per side, alternating, each %d warmup + %d timed steps\n",
		net.title, o.runs, o.warmup, o.steps)
	fmt.Fprintf(w, "load average before: %s\n", loadAvg())
	for i := 0; i < o.runs; i++ {
		for _, s := range []*side{torch, ours} {
			r, err := runSide(s.cmd())
			if err != nil {
				return fmt.Errorf("%s run %d: %w", s.name, i+1, err)
			}
			s.runs = append(s.runs, r)
			fmt.Fprintf(w, "run %d %-10s %8.1f images/s  peak RSS %6.1f MiB\n", i+1, s.name, r.ImagesPerS, mib(r.maxRSS))
		}
	}
	fmt.Fprintf(w, "load average after: %s (other work on the machine slows both sides, PyTorch's OpenMP threads most)\n", loadAvg())
	agree := checkLosses(w, ours.runs[0].Losses, torch.runs[0].Losses, o.check)
	for _, s := range []*side{torch, ours} {
		fmt.Fprintf(w, "median %-10s %8.1f images/s  peak RSS %6.1f MiB\n", s.name, median(s.imagesPerS()), mib(s.peakRSS()))
	}
	ratio := median(ours.imagesPerS()) / median(torch.imagesPerS())
	if last {
		fmt.Fprintf(w, "ratio branchspec/pytorch images/s: %.2f\n", ratio)
	} else {
		fmt.Fprintf(w, "ratio branchspec/pytorch images/s (%s): %.2f\n", net.name, ratio)
	}
	if !agree {
		return errors.New("the loss curves disagree")
	}
	return nil
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

// loadAvg returns the 1, 5 and 15 minute load averages from /proc/loadavg,
// or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "unknown"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
