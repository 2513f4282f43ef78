package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"branchspec/configs"
	"branchspec/results"
)

// SweepOptions control Sweep. The zero value runs one run at a time to the
// end, quietly.
type SweepOptions struct {
	// Jobs is the number of runs trained at once; < 1 means 1. Each run's
	// ops split their images over GOMAXPROCS / Jobs goroutines (at least
	// one). Each run is deterministic on its own, so Jobs changes no
	// result.
	Jobs int
	// StopAt, when > 0, stops every run at that step (checkpointed,
	// resumable); a run already there is skipped.
	StopAt int
	// Experiment is recorded as Extra["experiment"] of every new run, with
	// Extra["regime"] = the run's regime and its endpoints (see
	// Endpoints).
	Experiment string
	// Progress receives the sweep's progress (nil: none): on a terminal one
	// line redrawn in place (runs done/total, the running runs' steps, the
	// overall ETA); otherwise one plain line per run started and finished.
	Progress io.Writer
	Terminal bool
	// Version is recorded in new runs.
	Version string
	// AllowKernelChange: see Options.AllowKernelChange.
	AllowKernelChange bool
	// GEMM is the kernel of new runs: see Options.GEMM.
	GEMM string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// RunOutcome is what happened to one run of a sweep.
type RunOutcome string

// The outcomes of a run in a sweep.
const (
	Trained     RunOutcome = "trained"     // trained to the end (or to StopAt) now
	Skipped     RunOutcome = "skipped"     // already done (or at StopAt): no work
	Interrupted RunOutcome = "interrupted" // checkpointed on cancel; resumable
	Failed      RunOutcome = "failed"
	NotStarted  RunOutcome = "not started" // the sweep was cancelled first
	// Waiting: a fork whose parent ended this sweep before the fork step
	// (stopped by StopAt); a later sweep starts it.
	Waiting RunOutcome = "waiting"
)

// SweepReport is the outcome of every run of a sweep, in spec order.
type SweepReport struct {
	Outcomes []RunOutcome
	Errs     []error // per run; nil unless Failed
}

// Count returns how many runs had outcome o.
func (r *SweepReport) Count(o RunOutcome) int {
	n := 0
	for _, x := range r.Outcomes {
		if x == o {
			n++
		}
	}
	return n
}

// Summary is one line: "24 runs: 20 trained, 4 skipped".
func (r *SweepReport) Summary() string {
	var parts []string
	for _, o := range []RunOutcome{Trained, Skipped, Interrupted, Failed, NotStarted, Waiting} {
		if n := r.Count(o); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	return fmt.Sprintf("%d runs: %s", len(r.Outcomes), strings.Join(parts, ", "))
}

// Sweep brings every run of specs to its end (or to StopAt) with Ensure,
// o.Jobs at a time: finished runs are skipped, interrupted or stopped ones
// resumed, missing ones started. A second Sweep of the same specs does no
// work. When ctx is cancelled the running runs checkpoint their current
// step, no new run starts, and Sweep returns an error wrapping
// ErrInterrupted; running the sweep again continues where it stopped. A run
// that fails does not stop the others; Sweep then returns an error naming
// the failed runs. The report is complete in every case, except when the
// runs o.Jobs at a time would not fit in memory: Sweep then refuses with
// ErrMemory before it starts any, and returns no report.
//
// A run of a fork regime (RunSpec.Parent) is brought to its end with
// EnsureFork, and starts once its parent's run has ended in this sweep
// (trained, skipped, failed): runs start in spec order among those whose
// parent has ended, so a fork never holds a job while it waits. A fork
// whose parent failed before the fork step fails, naming the parent; one
// whose parent stopped before it (StopAt) is Waiting. The parent of a fork
// must come before it in specs (Experiment.Runs orders them so).
func Sweep(ctx context.Context, specs []RunSpec, o SweepOptions) (*SweepReport, error) {
	if err := checkParents(specs); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if err := checkSweepMemory(specs, max(o.Jobs, 1)); err != nil {
		return nil, err
	}
	rep := &SweepReport{Outcomes: make([]RunOutcome, len(specs)), Errs: make([]error, len(specs))}
	for i := range rep.Outcomes {
		rep.Outcomes[i] = NotStarted
	}
	d := newSweepDisplay(o, specs)
	ended := make([]bool, len(specs))
	ready := func(i int) bool { p := specs[i].Parent; return p == nil || ended[p.Index] }
	pending := make([]int, len(specs))
	for i := range pending {
		pending[i] = i
	}
	done := make(chan int)
	for running, jobs := 0, max(o.Jobs, 1); ; running-- {
		for running < jobs && ctx.Err() == nil {
			k := slices.IndexFunc(pending, ready)
			if k < 0 {
				break
			}
			i := pending[k]
			pending = slices.Delete(pending, k, k+1)
			running++
			// The parent's outcome was written before its index came
			// back on done, which happened before this goroutine starts.
			go func() {
				rep.Outcomes[i], rep.Errs[i] = sweepOne(ctx, specs, i, rep, o, d)
				done <- i
			}()
		}
		if running == 0 {
			break
		}
		ended[<-done] = true
	}
	d.finish(rep)
	var failed []string
	for i, err := range rep.Errs {
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", specs[i].Dir, err))
		}
	}
	switch {
	case ctx.Err() != nil || rep.Count(Interrupted) > 0:
		return rep, fmt.Errorf("sweep: %w (%s); run the sweep again to continue", ErrInterrupted, rep.Summary())
	case len(failed) > 0:
		return rep, fmt.Errorf("sweep: %d run(s) failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return rep, nil
}

// sweepOne ensures run i of specs; for a fork, its parent's outcome is in
// rep.
func sweepOne(ctx context.Context, specs []RunSpec, i int, rep *SweepReport, o SweepOptions, d *sweepDisplay) (RunOutcome, error) {
	spec := specs[i]
	if ctx.Err() != nil {
		return NotStarted, nil
	}
	if o.StopAt > 0 && atStep(spec.Dir, o.StopAt) {
		d.skip(i)
		return Skipped, nil
	}
	opts := Options{StopAt: o.StopAt, Version: o.Version, Now: o.Now, AllowKernelChange: o.AllowKernelChange, GEMM: o.GEMM,
		Threads: max(1, runtime.GOMAXPROCS(0)/max(o.Jobs, 1)),
		Extra:   spec.extra(o.Experiment),
		OnStep:  func(step, total int) { d.step(i, step, total) }}
	var skipped bool
	var err error
	if p := spec.Parent; p != nil {
		switch rep.Outcomes[p.Index] {
		case Interrupted, NotStarted:
			return NotStarted, nil
		}
		d.start(i)
		skipped, err = EnsureFork(ctx, spec.Config, spec.Dir, *p, opts)
		var pe parentError
		switch {
		case errors.As(err, &pe) && rep.Errs[p.Index] != nil:
			err = fmt.Errorf("not forked: its parent %s/seed-%d failed: %w", p.Regime, spec.Seed, rep.Errs[p.Index])
		case errors.Is(err, ErrParentNotReady):
			d.end(i, fmt.Sprintf("waiting: %v", err))
			return Waiting, nil
		}
	} else {
		d.start(i)
		skipped, err = Ensure(ctx, spec.Config, spec.Dir, opts)
	}
	switch {
	case errors.Is(err, ErrInterrupted):
		d.end(i, "interrupted")
		return Interrupted, nil
	case err != nil:
		d.end(i, "failed: "+err.Error())
		return Failed, err
	case skipped:
		d.skip(i)
		return Skipped, nil
	}
	d.end(i, "done")
	return Trained, nil
}

// atStep reports whether the run in dir exists and has reached step
// (stopped or done there or later): a sweep stopping at step has nothing
// left to do for it.
func atStep(dir string, step int) bool {
	run, err := results.Open(dir, nil)
	if err != nil {
		return false
	}
	st, err := run.Status()
	if err != nil {
		return false
	}
	return (st.State == results.Stopped || st.State == results.Done) && st.Step >= step
}

// sweepDisplay is the sweep's one progress display. Its methods are called
// from the workers and serialise on mu.
type sweepDisplay struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	now      func() time.Time
	specs    []RunSpec
	stopAt   int

	t0       time.Time
	lastDraw time.Time
	drawn    bool
	done     int // runs finished, skipped, failed or interrupted
	// step and total per run: the step reached and where it ends (StopAt or
	// the schedule), from the store for runs not yet started.
	stepAt, total []int
	first         []int // step each run started from in this sweep (-1: not started)
	running       map[int]bool
}

func newSweepDisplay(o SweepOptions, specs []RunSpec) *sweepDisplay {
	var w io.Writer
	if o.Progress != nil {
		w = &quietOnError{w: o.Progress}
	}
	d := &sweepDisplay{w: w, terminal: o.Terminal, now: o.Now, specs: specs, stopAt: o.StopAt,
		stepAt: make([]int, len(specs)), total: make([]int, len(specs)), first: make([]int, len(specs)),
		running: map[int]bool{}}
	if d.now == nil {
		d.now = time.Now
	}
	d.t0 = d.now()
	for i, s := range specs {
		d.total[i] = s.Config.Schedule.Steps
		if o.StopAt > 0 {
			d.total[i] = min(d.total[i], o.StopAt)
		}
		d.first[i] = -1
		if d.w != nil {
			if run, err := results.Open(s.Dir, nil); err == nil {
				if st, err := run.Status(); err == nil {
					d.stepAt[i] = min(st.Step, d.total[i])
				}
			}
		}
	}
	return d
}

func (d *sweepDisplay) label(i int) string {
	s := d.specs[i]
	return fmt.Sprintf("%s/seed-%d", s.Regime, s.Seed)
}

func (d *sweepDisplay) start(i int) {
	if d.w == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running[i] = true
	d.first[i] = d.stepAt[i]
	if !d.terminal {
		from := ""
		if d.stepAt[i] > 0 {
			from = fmt.Sprintf(" from step %d", d.stepAt[i])
		}
		fmt.Fprintf(d.w, "[%d/%d] start %s%s\n", i+1, len(d.specs), d.label(i), from)
		return
	}
	d.draw(true)
}

func (d *sweepDisplay) step(i, step, total int) {
	if d.w == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stepAt[i] = min(step, d.total[i])
	if d.terminal {
		d.draw(false)
	}
}

func (d *sweepDisplay) skip(i int) {
	if d.w == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done++
	d.stepAt[i] = d.total[i]
	d.line(fmt.Sprintf("[%d/%d] skip %s: already at step %d", i+1, len(d.specs), d.label(i), d.total[i]))
}

func (d *sweepDisplay) end(i int, how string) {
	if d.w == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, i)
	d.done++
	d.line(fmt.Sprintf("[%d/%d] %s %s at step %d (%d/%d runs)  %s", i+1, len(d.specs), d.label(i), how, d.stepAt[i],
		d.done, len(d.specs), d.eta()))
}

// line prints a permanent line, above the redrawn one on a terminal.
func (d *sweepDisplay) line(msg string) {
	if d.drawn {
		fmt.Fprint(d.w, "\r\033[K")
		d.drawn = false
	}
	fmt.Fprintln(d.w, msg)
	if d.terminal {
		d.draw(true)
	}
}

// eta is the overall estimate: the steps left in every run over the rate
// of steps trained so far in this sweep.
func (d *sweepDisplay) eta() string {
	doneSteps, left := 0, 0
	for i := range d.specs {
		left += d.total[i] - d.stepAt[i]
		if d.first[i] >= 0 {
			doneSteps += d.stepAt[i] - d.first[i]
		}
	}
	el := d.now().Sub(d.t0).Seconds()
	if doneSteps == 0 || el <= 0 {
		return "ETA -"
	}
	eta := time.Duration(float64(left) / (float64(doneSteps) / el) * float64(time.Second))
	return "ETA " + eta.Round(time.Second).String()
}

// draw redraws the terminal line, at most ten times a second unless forced.
func (d *sweepDisplay) draw(force bool) {
	now := d.now()
	if !force && now.Sub(d.lastDraw) < 100*time.Millisecond {
		return
	}
	d.lastDraw = now
	ids := make([]int, 0, len(d.running))
	for i := range d.running {
		ids = append(ids, i)
	}
	sort.Ints(ids)
	var runs []string
	for _, i := range ids {
		runs = append(runs, fmt.Sprintf("%s %d/%d", d.label(i), d.stepAt[i], d.total[i]))
	}
	fmt.Fprintf(d.w, "\r\033[Ksweep %d/%d runs  %s  %s", d.done, len(d.specs), strings.Join(runs, ", "), d.eta())
	d.drawn = true
}

func (d *sweepDisplay) finish(rep *SweepReport) {
	if d.w == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.drawn {
		fmt.Fprint(d.w, "\r\033[K")
		d.drawn = false
	}
	fmt.Fprintf(d.w, "sweep: %s in %s\n", rep.Summary(), d.now().Sub(d.t0).Round(time.Second))
}

// extra is what a new run of spec records in its Info.Extra: the
// experiment, the regime and the endpoints.
func (spec RunSpec) extra(experiment string) map[string]string {
	x := spec.Endpoints.extra()
	x["experiment"], x["regime"] = experiment, spec.Regime
	return x
}

// checkSweepMemory refuses, as ErrMemory, a sweep whose largest run, jobs
// times over, is estimated to exceed the available memory.
func checkSweepMemory(specs []RunSpec, jobs int) error {
	var largest *configs.Config
	var most Memory
	for _, s := range specs {
		e, err := EstimateRun(s.Config)
		if err != nil {
			return err
		}
		if t := e.Total(); largest == nil || t > most {
			largest, most = s.Config, t
		}
	}
	if largest == nil {
		return nil
	}
	return checkRunMemory(largest, min(jobs, len(specs)))
}
