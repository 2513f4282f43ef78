package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"branchspec/configs"
	"branchspec/results"
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
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Errors returned by Start and Resume.
var (
	// ErrFinished is returned when resuming a run that is done.
	ErrFinished = errors.New("run is already finished")
	// ErrRunning is returned when resuming a run that another process is training.
	ErrRunning = errors.New("run is being trained by another process")
)

// RunDir is where a run of cfg goes under out: OUT/NAME/seed-SEED.
func RunDir(out string, cfg *configs.Config) string {
	return filepath.Join(out, cfg.Name, "seed-"+strconv.FormatUint(cfg.Seed, 10))
}

// Start creates the run directory for cfg under out and trains it. It
// returns the run's directory, also when training fails after creation.
func Start(ctx context.Context, cfg *configs.Config, out string, opts Options) (string, error) {
	dir := RunDir(out, cfg)
	return dir, StartIn(ctx, cfg, dir, opts)
}

// StartIn creates a run of cfg in dir and trains it.
func StartIn(ctx context.Context, cfg *configs.Config, dir string, opts Options) error {
	// Data first: a missing or damaged dataset leaves no run behind.
	train, test, err := LoadData(cfg)
	if err != nil {
		return err
	}
	run, err := results.Create(dir, results.Info{
		Name: cfg.Name, Seed: cfg.Seed,
		ConfigText: cfg.Canonical(), ConfigHash: cfg.Hash(),
		Version: opts.Version, Created: opts.now(),
		Parent: opts.Parent, ParentStep: opts.ParentStep, Extra: opts.Extra,
	}, nil)
	if err != nil {
		if errors.Is(err, results.ErrExists) {
			return fmt.Errorf("%w (resume it with: branchspec resume %s)", err, dir)
		}
		return err
	}
	release, err := run.Lock()
	if err != nil {
		return err
	}
	defer release()
	s, err := newSessionWith(run, cfg, opts, train, test)
	if err != nil {
		return fail(run, 0, cfg.Schedule.Steps, err)
	}
	defer s.close()
	return s.train(ctx)
}

// Resume continues the run in dir from its latest checkpoint. The
// architecture and every setting come from the config stored in the run.
func Resume(ctx context.Context, dir string, opts Options) error {
	run, err := results.Open(dir, nil)
	if err != nil {
		return err
	}
	release, err := run.Lock()
	if errors.Is(err, results.ErrLocked) {
		return fmt.Errorf("resume %s: %w", dir, ErrRunning)
	}
	if err != nil {
		return err
	}
	defer release()
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
	ck, err := run.Latest()
	fresh := errors.Is(err, results.ErrNoCheckpoint)
	if err != nil && !fresh {
		return fmt.Errorf("resume %s: %w", dir, err)
	}
	s, err := newSession(run, cfg, opts)
	if err != nil {
		return err
	}
	defer s.close()
	if fresh {
		// Stopped before its first checkpoint: nothing was trained, so
		// the run starts from step 0 as a new one would.
		return s.train(ctx)
	}
	state, err := decodeState(ck)
	if err != nil {
		return fmt.Errorf("resume %s: checkpoint %d: %w", dir, ck.Step, err)
	}
	if err := s.tr.Restore(state); err != nil {
		return fmt.Errorf("resume %s: checkpoint %d: %w", dir, ck.Step, err)
	}
	s.wallBase = valueAt(run, KeyWall, ck.Step)
	s.testAcc = valueAt(run, KeyTestAcc, ck.Step)
	return s.train(ctx)
}

// Ensure brings the run of cfg in dir to its end: it starts the run if dir
// holds none, resumes it if it was stopped or interrupted, and does nothing
// if it is done (skipped = true). A run in dir with another config is an
// error, not overwritten.
func Ensure(ctx context.Context, cfg *configs.Config, dir string, opts Options) (skipped bool, err error) {
	run, err := results.Open(dir, nil)
	if errors.Is(err, results.ErrNotFound) {
		return false, StartIn(ctx, cfg, dir, opts)
	}
	if err != nil {
		return false, err
	}
	info, err := run.Info()
	if err != nil {
		return false, err
	}
	if info.ConfigHash != cfg.Hash() {
		return false, fmt.Errorf("%s holds a run of config %.12s, not %.12s: move it away or choose another --out", dir, info.ConfigHash, cfg.Hash())
	}
	st, err := run.Status()
	if err != nil {
		return false, err
	}
	if st.State == results.Done {
		return true, nil
	}
	return false, Resume(ctx, dir, opts)
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

// valueAt is the last value of key logged at or before step (0 if none),
// so that a resumed run's clock and status go on from there.
func valueAt(run *results.Run, key string, step int) float64 {
	steps, vals, err := run.Series(key)
	if err != nil {
		return 0
	}
	v := 0.0
	for i, s := range steps {
		if s <= step {
			v = vals[i]
		}
	}
	return v
}

func fail(run *results.Run, step, total int, cause error) error {
	st := results.Status{State: results.Failed, Step: step, Total: total, Reason: cause.Error(), Updated: time.Now()}
	if err := run.SetStatus(st); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}
