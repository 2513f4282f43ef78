package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"branchspec/configs"
	"branchspec/results"
	"branchspec/trainer"
)

// Options control how a run is driven. The zero value trains to the end
// quietly.
type Options struct {
	// StopAt, when > 0, makes the run checkpoint at that step and return
	// (status "stopped"); it can be resumed later.
	StopAt int
	// Progress receives the progress display (nil: none).
	Progress io.Writer
	// Terminal redraws one progress line in place; otherwise plain lines are
	// written at evaluations only.
	Terminal bool
	// Version is recorded in the run's store.
	Version string
	// Extra is recorded in a new run's Info (experiment, regime, ...).
	Extra map[string]string
	// Parent and ParentStep record fork lineage for a new run.
	Parent     string
	ParentStep int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// OnStep, when set, is called after every optimizer step with the
	// step reached and the run's total (a sweep's overall progress).
	OnStep func(step, total int)
	// AllowKernelChange lets a resume go on with other matrix products
	// than the run was made with (ErrKernelChanged otherwise); the change
	// is recorded in the run at the step it resumes from.
	AllowKernelChange bool
	// GEMM is the kernel a new run (or fork) computes with: "avx512",
	// "avx2", "portable", each alone or followed by "+winograd" (3x3
	// convolutions as Winograd F(2x2, 3x3) where they fit; see
	// trainer.GEMMKernels), or "" for the fastest this machine runs (or
	// the one the environment variable BRANCHSPEC_KERNEL names) with
	// Winograd.
	// A resume ignores it: it computes with the kernel that reproduces the
	// run's recorded identity (trainer.ResumeGEMM).
	GEMM string
	// Kernel, when set, stands for the identity of this program's matrix
	// products on another machine (tests): a new run records it, and a
	// resume reproduces a run only if it recorded the same.
	Kernel string
	// Threads is the number of goroutines the run's ops split their images
	// over (trainer.Options.Threads); 0 is GOMAXPROCS. It changes no
	// result; a sweep sets GOMAXPROCS / its runs at once.
	Threads int
}

// newRunGEMM returns the kernel a new run computes with and the identity
// it records (see Options.GEMM and Options.Kernel).
func (o *Options) newRunGEMM() (kernel, id string, err error) {
	if id, err = trainer.GEMMIdentity(o.GEMM); err != nil {
		return "", "", invalidWrap{err}
	}
	if o.Kernel != "" {
		id = o.Kernel
	}
	return o.GEMM, id, nil
}

// reproduceGEMM returns the kernel with which this program computes the
// bits of a run recorded under identity id, or an error saying why none
// does.
func (o *Options) reproduceGEMM(id string) (string, error) {
	if o.Kernel != "" {
		if id != o.Kernel {
			return "", fmt.Errorf("this program computes with %s", o.Kernel)
		}
		return o.GEMM, nil
	}
	return trainer.ResumeGEMM(id)
}

// check refuses options no run can take, as ErrInvalid.
func (o *Options) check() error {
	if o.StopAt < 0 {
		return invalidf("stop-at %d: want >= 0 (0: train to the end)", o.StopAt)
	}
	return nil
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Errors returned by Start, Resume, Ensure and Fork.
var (
	// ErrFinished is returned when resuming a run that is done.
	ErrFinished = errors.New("run is already finished")
	// ErrRunning is returned when another process holds the run's training
	// lock: it is training the run, or creating it.
	ErrRunning = errors.New("run is being trained by another process")
	// ErrKernelChanged is returned when resuming a run made with other
	// matrix products (implementation, micro-kernel or architecture level)
	// than this program computes with here: it would not continue bit for
	// bit as the run would have. Options.AllowKernelChange overrides it.
	ErrKernelChanged = errors.New("the run was made with other matrix products")
)

// RunDir is where a run of cfg goes under out: OUT/NAME/seed-SEED.
func RunDir(out string, cfg *configs.Config) string {
	return filepath.Join(out, cfg.Name, "seed-"+strconv.FormatUint(cfg.Seed, 10))
}

// Every way a run begins training (Start, Resume, Ensure, Fork, a
// manifest entry) follows one lifecycle:
//
//  0. estimate the memory the run needs (EstimateRun) and refuse it with
//     ErrMemory, before anything is created, when it exceeds what the
//     machine has (AvailableMemory);
//  1. take the run directory's training lock (results.Lock), before the
//     run exists when it is to be created, so that no other process can
//     take over a run between its creation and its first checkpoint;
//  2. create the store, or open it and read where the run stands;
//  3. build the session (data, trainer, evaluators);
//  4. restore the state it starts from (a checkpoint of its own, or a
//     fork's parent's);
//  5. train.
//
// A new run or fork is created with its first checkpoint in the creating
// transaction (results.CreateWith): it is stored whole or not at all, and a
// failure before that leaves nothing behind.

// Start creates the run directory for cfg under out and trains it. It
// returns the run's directory, also when training fails after creation.
func Start(ctx context.Context, cfg *configs.Config, out string, opts Options) (string, error) {
	dir := RunDir(out, cfg)
	return dir, StartIn(ctx, cfg, dir, opts)
}

// StartIn creates a run of cfg in dir and trains it. It fails with an
// error wrapping results.ErrExists when dir holds a run, and ErrRunning
// when another process holds dir's lock.
func StartIn(ctx context.Context, cfg *configs.Config, dir string, opts Options) error {
	if err := opts.check(); err != nil {
		return err
	}
	if err := checkRunMemory(cfg, 1); err != nil {
		return err
	}
	return withLock(dir, true, func() error {
		b, err := newRunBirth(cfg, opts)
		if err != nil {
			return err
		}
		return create(ctx, b, dir, opts)
	})
}

// Resume continues the run in dir from its latest checkpoint. The
// architecture and every setting come from the config stored in the run.
func Resume(ctx context.Context, dir string, opts Options) error {
	if err := opts.check(); err != nil {
		return err
	}
	// Validated before the lock, which is not taken in a directory that
	// holds no run.
	run, err := results.Open(dir, nil)
	if err != nil {
		return err
	}
	return withLock(dir, false, func() error { return resume(ctx, run, opts) })
}

// Ensure brings the run of cfg in dir to its end: it starts the run if dir
// holds none, resumes it if it was stopped or interrupted, and does nothing
// if it is done (skipped = true). A run in dir with another config is an
// error, not overwritten. The decision is taken under dir's lock, so two
// processes ensuring the same run (a requeued or duplicated array task)
// never both train it.
func Ensure(ctx context.Context, cfg *configs.Config, dir string, opts Options) (skipped bool, err error) {
	if err := opts.check(); err != nil {
		return false, err
	}
	if err := checkRunMemory(cfg, 1); err != nil {
		return false, err
	}
	err = withLock(dir, true, func() error {
		run, err := results.Open(dir, nil)
		if errors.Is(err, results.ErrNotFound) {
			b, err := newRunBirth(cfg, opts)
			if err != nil {
				return err
			}
			return create(ctx, b, dir, opts)
		}
		if err != nil {
			return err
		}
		skipped, err = ensureExisting(ctx, run, cfg, opts)
		return err
	})
	return skipped, err
}

// ensureExisting resumes run, whose lock the caller holds, unless it is
// done (skipped); it must hold a run of cfg.
func ensureExisting(ctx context.Context, run *results.Run, cfg *configs.Config, opts Options) (skipped bool, err error) {
	info, err := run.Info()
	if err != nil {
		return false, err
	}
	if info.ConfigHash != cfg.Hash() {
		return false, fmt.Errorf("%s holds a run of config %.12s, not %.12s: move it away or choose another --out", run.Dir(), info.ConfigHash, cfg.Hash())
	}
	st, err := run.Status()
	if err != nil {
		return false, err
	}
	if st.State == results.Done {
		return true, nil
	}
	return false, resume(ctx, run, opts)
}

// withLock runs fn holding dir's training lock (creating dir when mkdir).
func withLock(dir string, mkdir bool, fn func() error) error {
	if mkdir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	release, err := results.Lock(dir)
	if errors.Is(err, results.ErrLocked) {
		return fmt.Errorf("%s: %w", dir, ErrRunning)
	}
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// birth is what a new run starts from: its config and identity, and for a
// fork the parent's state and the regime change applied to it.
type birth struct {
	cfg  *configs.Config
	info results.Info
	// state, when not nil, is restored before the first checkpoint (a
	// fork); bias is then applied to it with counter state.Step.
	state    *trainer.State
	bias     *configs.Bias
	wallBase float64
	// stored is the run-level data the new run starts from (a fork's
	// parent's, see forkStored); nil for a run trained from scratch.
	stored map[string][]byte
	// w0 is a fork's initial weights, its parent's (nil: unknown); a run
	// from scratch takes its own step-0 weights. draws is a fork's
	// inherited initialisation null; when nil the null is drawn, from
	// nullCfg when set (a fork's), else from cfg.
	w0      []trainer.Tensor
	draws   map[string][]float64
	nullCfg *configs.Config
	// gemm is the GEMM kernel the run computes with ("": the default).
	gemm string
	// kernel, when not nil, records in the first commit that a fork goes
	// on with other matrix products than its parent was made with.
	kernel *results.KernelChange
	// exists explains a directory that already holds a run.
	exists string
}

// newRunBirth is the birth of a run of cfg trained from scratch.
func newRunBirth(cfg *configs.Config, opts Options) (birth, error) {
	kernel, id, err := opts.newRunGEMM()
	if err != nil {
		return birth{}, err
	}
	return birth{cfg: cfg, info: runInfo(cfg, opts, id), gemm: kernel, exists: "resume it with: branchspec resume %s"}, nil
}

// runInfo is the Info of a new run of cfg that records the GEMM identity
// id.
func runInfo(cfg *configs.Config, opts Options, id string) results.Info {
	return results.Info{
		Name: cfg.Name, Seed: cfg.Seed,
		ConfigText: cfg.Canonical(), ConfigHash: cfg.Hash(),
		Version: opts.Version, Created: opts.now(), Kernel: id,
		Parent: opts.Parent, ParentStep: opts.ParentStep, Extra: opts.Extra,
	}
}

// interruptible runs fn and returns its result, or ErrInterrupted as soon
// as ctx is cancelled: a setup that does not watch ctx (reading a config
// from a FIFO, loading a dataset, building the graphs, the first metric
// pass) cannot hold a signalled process. fn then goes on in its goroutine
// and its result is handed to drop (which may be nil), so nothing it
// opened stays open; fn must not write anything that outlives it.
func interruptible[T any](ctx context.Context, what string, fn func() (T, error), drop func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil && drop != nil {
				drop(r.v)
			}
		}()
		var zero T
		return zero, fmt.Errorf("%w %s", ErrInterrupted, what)
	}
}

// create makes the run of b in dir, whose lock the caller holds, with its
// first checkpoint, and trains it. The setup before the store is written
// is interruptible: a cancelled ctx leaves nothing behind.
func create(ctx context.Context, b birth, dir string, opts Options) error {
	switch _, err := results.Open(dir, nil); {
	case err == nil:
		return fmt.Errorf("%s: %w (%s)", dir, results.ErrExists, fmt.Sprintf(b.exists, dir))
	case !errors.Is(err, results.ErrNotFound):
		return err
	}
	type setup struct {
		s     *session
		first results.Commit
	}
	su, err := interruptible(ctx, "before the run was created", func() (setup, error) {
		s, err := newSession(b.cfg, opts, b.stored, b.gemm)
		if err != nil {
			return setup{}, err
		}
		if err := s.begin(b); err != nil {
			s.close()
			return setup{}, err
		}
		first, err := s.checkpointCommit(results.Running)
		if err != nil {
			s.close()
			return setup{}, err
		}
		return setup{s, first}, nil
	}, func(su setup) { su.s.close() })
	if err != nil {
		return err
	}
	s := su.s
	defer s.close()
	if ctx.Err() != nil {
		return fmt.Errorf("%w before the run was created", ErrInterrupted)
	}
	su.first.KernelChange = b.kernel
	b.info.Blobs = s.data.blobs
	if s.run, err = results.CreateWith(dir, b.info, su.first, nil); err != nil {
		return err
	}
	s.committed(su.first)
	return s.train(ctx)
}

// resume continues run, whose lock the caller holds, from its latest
// checkpoint.
func resume(ctx context.Context, run *results.Run, opts Options) error {
	dir := run.Dir()
	st, err := run.Status()
	if err != nil {
		return err
	}
	if st.State == results.Done {
		return fmt.Errorf("resume %s: %w at step %d", dir, ErrFinished, st.Step)
	}
	cfg, err := RunConfig(run)
	if err != nil {
		return err
	}
	if err := checkRunMemory(cfg, 1); err != nil {
		return err
	}
	ck, err := run.Latest()
	fresh := errors.Is(err, results.ErrNoCheckpoint)
	if err != nil && !fresh {
		return fmt.Errorf("resume %s: %w", dir, err)
	}
	from := 0
	if !fresh {
		from = ck.Step
	}
	info, err := run.Info()
	if err != nil {
		return err
	}
	if fresh && info.Parent != "" {
		return fmt.Errorf("resume %s: a fork of %s at step %d that has no checkpoint (created by a program before forks were created with their first checkpoint): it would train from fresh weights at step 0; delete %s and fork again", dir, info.Parent, info.ParentStep, dir)
	}
	gemmKernel, change, err := kernelChange(run, from, opts)
	if err != nil {
		return err
	}
	s, err := interruptible(ctx, "before training resumed", func() (*session, error) {
		s, err := newSession(cfg, opts, info.Blobs, gemmKernel)
		if err != nil {
			return nil, err
		}
		s.run = run
		if err := s.loadOrigin(); err != nil {
			s.close()
			return nil, err
		}
		if fresh {
			return s, nil
		}
		if err := s.restore(ck); err != nil {
			s.close()
			return nil, fmt.Errorf("checkpoint %d: %w", ck.Step, err)
		}
		return s, nil
	}, (*session).close)
	if err != nil {
		return fmt.Errorf("resume %s: %w", dir, err)
	}
	defer s.close()
	s.run = run
	st = s.status(results.Running, "")
	if err := run.Commit(results.Commit{Status: &st, KernelChange: change}); err != nil {
		return err
	}
	// A run created before its first checkpoint (by a program that did not
	// create runs with it) trained nothing: train starts it from step 0 as
	// a new run would.
	return s.train(ctx)
}

// kernelChange returns the GEMM kernel a resume from step computes with:
// the one that reproduces the identity the run recorded
// (results.Run.Kernel; an avx512 run resumes on avx2 with the same bits),
// with no change to record. When no kernel here reproduces it:
// ErrKernelChanged, unless opts.AllowKernelChange, when it returns a new
// run's kernel and the change to record. A run that recorded none (made
// before kernels were recorded) cannot be checked: its first resume
// records the kernel it goes on with, from "".
func kernelChange(run *results.Run, step int, opts Options) (kernel string, change *results.KernelChange, err error) {
	was, err := run.Kernel()
	if err != nil {
		return "", nil, err
	}
	if was != "" {
		k, why := opts.reproduceGEMM(was)
		if why == nil {
			return k, nil, nil
		}
		if !opts.AllowKernelChange {
			return "", nil, fmt.Errorf("resume %s: %w: it was made with %s, and %v, so it would not continue bit for bit as it would have; resume it where %s is available, or allow the change (--allow-kernel-change), which the run records at step %d",
				run.Dir(), ErrKernelChanged, was, why, was, step)
		}
	}
	kernel, now, err := opts.newRunGEMM()
	if err != nil {
		return "", nil, err
	}
	return kernel, &results.KernelChange{Step: step, From: was, To: now, Time: opts.now()}, nil
}

// RunConfig parses the config stored in a run.
func RunConfig(run *results.Run) (*configs.Config, error) {
	info, err := run.Info()
	if err != nil {
		return nil, err
	}
	cfg, err := configs.Parse(filepath.Join(run.Dir(), "run.db:config"), info.ConfigText)
	if err != nil {
		return nil, fmt.Errorf("stored config: %w", err)
	}
	return cfg, nil
}

// valueAt is the last value of key logged at or before step, and whether
// there is one, so that a resumed run's clock and status go on from there.
func valueAt(run *results.Run, key string, step int) (v float64, ok bool, err error) {
	steps, vals, err := run.Series(key)
	if err != nil {
		return 0, false, fmt.Errorf("read %s of %s: %w", key, run.Dir(), err)
	}
	for i, s := range steps {
		if s <= step {
			v, ok = vals[i], true
		}
	}
	return v, ok, nil
}

// lastValue is valueAt with a default for a key never logged.
func lastValue(run *results.Run, key string, step int, none float64) (float64, error) {
	v, ok, err := valueAt(run, key, step)
	if err != nil || !ok {
		return none, err
	}
	return v, nil
}

// MatrixProducts describes this program's matrix products: the identity a
// new run records by default (trainer.GEMMIdentity, e.g.
// "pure-go/avx512/amd64.v3") and the kernels this CPU runs, fastest first.
func MatrixProducts() (identity string, kernels []string, err error) {
	identity, err = trainer.GEMMIdentity("")
	if err != nil {
		return "", nil, err
	}
	return identity, trainer.GEMMKernels(), nil
}
