package experiments

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"

	"branchspec/configs"
	"branchspec/results"
)

// ErrForkArchitecture is returned by Fork when an override would change
// what the parent's checkpoint describes: the model's parameters and
// connections, the data order it is part way through, the solver state's
// algorithm, or the seed every stream derives from.
var ErrForkArchitecture = errors.New("a fork cannot change the architecture or the state it starts from")

// ForkOptions say where a fork starts and what it changes.
type ForkOptions struct {
	// At is the parent's checkpoint step the fork starts from; the
	// checkpoint must still hold its weights.
	At int
	// Set are config overrides ("key=value"), applied to the parent's
	// stored config as --set applies them.
	Set []string
	// Name is the fork's run name; "" means PARENT-NAME-forkAT (for example
	// "baseline-fork500").
	Name string
	// Out is the results directory the fork goes under (OUT/NAME/seed-SEED);
	// "" means the directory that holds the parent's NAME directory, so the
	// fork sits next to its parent (inside the parent's experiment for a
	// sweep's run).
	Out string
}

// Fork creates a new run that starts from the parent run's checkpoint at
// fo.At, with the parent's config changed by fo.Set, and trains it as Start
// does. The fork continues from the checkpoint's weights, solver state, data
// order and step count, under the parent's seed; its own step counter goes
// on from fo.At, so its checkpoints, logs and regime schedules use the same
// step numbers as the parent's. It first saves a checkpoint (with
// evaluation and metrics) at fo.At. With no overrides it continues exactly
// as the parent: the same weights at every later checkpoint. The fork is
// created as every new run is (see Start): under its lock, with its first
// checkpoint in the creating transaction, so a fork that fails before it
// leaves nothing behind.
//
// The bias regime acts at initialisation, which a fork skips. When the
// fork's regime.bias differs from the parent's and has epsilon > 0, Fork
// applies it to the forked weights at fork time instead (a late bias or
// counter-bias), with the stream Stream(seed, "bias", At); see
// trainer.Trainer.ApplyBias.
//
// A fork shares its parent's initialisation, so it inherits the parent's
// origin (see forkOrigin): w_0, which drift and the dw scores measure
// from, and the initialisation null (drawn again only when the fork
// changes the data or metrics settings it depends on).
//
// A fork computed with other matrix products than its parent's
// (results.Run.Kernel) is not refused, since it is a new run, but records
// the change at fo.At: without overrides it then need not equal the
// parent bit for bit.
//
// The new run records Parent (the parent's directory, relative to the
// fork's directory when it can be, so that the tree can move as a whole) and
// ParentStep = fo.At in its Info, and Extra: the parent's labels (such as
// "experiment") with "regime" set to the fork's name, then opts.Extra. Overrides that change the architecture are refused with an
// error wrapping ErrForkArchitecture. Fork returns the fork's directory, also
// when training fails after creation.
func Fork(ctx context.Context, parent string, fo ForkOptions, opts Options) (string, error) {
	if err := opts.check(); err != nil {
		return "", err
	}
	prun, err := results.Open(parent, nil)
	if err != nil {
		return "", err
	}
	pcfg, err := RunConfig(prun)
	if err != nil {
		return "", err
	}
	ck, err := forkCheckpoint(prun, fo.At)
	if err != nil {
		return "", err
	}
	cfg, err := forkConfig(pcfg, fo)
	if err != nil {
		return "", err
	}
	out := fo.Out
	if out == "" {
		out = filepath.Dir(filepath.Dir(filepath.Clean(parent)))
	}
	dir := RunDir(out, cfg)
	b, err := forkBirth(prun, pcfg, cfg, ck, dir, opts)
	if err != nil {
		return "", err
	}
	return dir, withLock(dir, true, func() error { return create(ctx, b, dir, opts) })
}

// forkBirth is the birth of a fork in dir of the run prun (whose config is
// pcfg) from its checkpoint ck, with config cfg (CheckFork allows it): the
// checkpoint's state, the parent's clock, origin, arithmetic and run-level
// data, its lineage and labels, and a changed bias to apply.
func forkBirth(prun *results.Run, pcfg, cfg *configs.Config, ck *results.Checkpoint, dir string, opts Options) (birth, error) {
	parent, at := prun.Dir(), ck.Step
	pinfo, err := prun.Info()
	if err != nil {
		return birth{}, err
	}
	if err := checkRunMemory(cfg, 1); err != nil {
		return birth{}, err
	}
	state, err := decodeState(ck)
	if err != nil {
		return birth{}, fmt.Errorf("fork %s: checkpoint %d: %w", parent, at, err)
	}
	wall, err := lastValue(prun, KeyWall, at, 0)
	if err != nil {
		return birth{}, err
	}
	w0, draws, nullCfg, err := forkOrigin(prun, pcfg, cfg)
	if err != nil {
		return birth{}, fmt.Errorf("fork %s: origin: %w", parent, err)
	}
	pk, err := prun.Kernel()
	if err != nil {
		return birth{}, err
	}
	kernel, id, change, err := forkGEMM(pk, at, opts)
	if err != nil {
		return birth{}, err
	}
	b := birth{cfg: cfg, info: runInfo(cfg, opts, id), state: state, wallBase: wall, w0: w0, draws: draws, nullCfg: nullCfg, gemm: kernel, kernel: change,
		stored: forkStored(pcfg, cfg, pinfo.Blobs),
		exists: "choose another --name, or resume it with: branchspec resume %s"}
	b.info.Parent, b.info.ParentStep = parentPath(dir, parent), at
	b.info.Extra = maps.Clone(pinfo.Extra)
	if b.info.Extra == nil {
		b.info.Extra = map[string]string{}
	}
	b.info.Extra["regime"] = cfg.Name
	maps.Copy(b.info.Extra, opts.Extra)
	if bias := cfg.Regime.Bias; bias != pcfg.Regime.Bias {
		b.bias = &bias
	}
	return b, nil
}

// ErrParentNotReady is returned by EnsureFork when the fork's run does not
// exist yet and its parent run has not reached the fork step (or does not
// exist yet): the same call may succeed later. A sweep reports such a
// fork as Waiting; a manifest task fails on it, or waits
// (ManifestRun.Ensure).
var ErrParentNotReady = errors.New("the parent run has not reached the fork step yet")

// EnsureFork brings the fork run of cfg in dir, which starts from the run
// p.Dir at step p.At, to its end, as Ensure brings a run: if dir holds no
// run it forks the parent (see Fork: same step numbering, lineage, a late
// bias at the fork step) into dir with config cfg; if dir holds the fork
// it resumes it, or does nothing if it is done (skipped = true). The
// decision is taken under dir's lock.
//
// The parent is read only to create the fork. It must hold config
// p.ConfigHash, and cfg must be a config a fork of it may take
// (CheckFork). It is ready once it holds a checkpoint with weights at
// p.At, whatever it does after (a sweep's parent may still be training,
// or have failed later). Before that EnsureFork returns an error wrapping
// ErrParentNotReady; a parent that can no longer get there (failed, done
// or past p.At without those weights) is an error of its own. Neither
// creates anything, dir included. A run in dir that is not that fork (one
// trained from scratch, a fork of another run or step, another config) is
// refused, never forked over.
func EnsureFork(ctx context.Context, cfg *configs.Config, dir string, p ParentRun, opts Options) (skipped bool, err error) {
	if err := opts.check(); err != nil {
		return false, err
	}
	if err := checkRunMemory(cfg, 1); err != nil {
		return false, err
	}
	// A fork that cannot be made yet leaves no trace (not even dir); the
	// decision is taken again under the lock.
	if _, err := results.Open(dir, nil); errors.Is(err, results.ErrNotFound) {
		if _, _, err := readyParent(p); err != nil {
			return false, parentError{err}
		}
	}
	err = withLock(dir, true, func() error {
		run, err := results.Open(dir, nil)
		if errors.Is(err, results.ErrNotFound) {
			prun, pcfg, err := readyParent(p)
			if err != nil {
				return parentError{err}
			}
			if err := CheckFork(pcfg, cfg); err != nil {
				return err
			}
			ck, err := forkCheckpoint(prun, p.At)
			if err != nil {
				return parentError{err}
			}
			b, err := forkBirth(prun, pcfg, cfg, ck, dir, opts)
			if err != nil {
				return err
			}
			return create(ctx, b, dir, opts)
		}
		if err != nil {
			return err
		}
		if err := isForkOf(run, p); err != nil {
			return err
		}
		skipped, err = ensureExisting(ctx, run, cfg, opts)
		return err
	})
	return skipped, err
}

// parentError is an error of EnsureFork about the parent run rather than
// the fork: the fork was not created.
type parentError struct{ err error }

func (e parentError) Error() string { return e.err.Error() }
func (e parentError) Unwrap() error { return e.err }

// readyParent opens the parent run p names and returns it with its config
// once it holds weights at p.At (see EnsureFork).
func readyParent(p ParentRun) (*results.Run, *configs.Config, error) {
	prun, err := results.Open(p.Dir, nil)
	if errors.Is(err, results.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: %s holds no run yet (the fork starts at its step %d)", ErrParentNotReady, p.Dir, p.At)
	}
	if err != nil {
		return nil, nil, err
	}
	pinfo, err := prun.Info()
	if err != nil {
		return nil, nil, err
	}
	if pinfo.ConfigHash != p.ConfigHash {
		return nil, nil, fmt.Errorf("parent %s holds a run of config %.12s, not %.12s: a fork of it would not be the fork planned", p.Dir, pinfo.ConfigHash, p.ConfigHash)
	}
	pcfg, err := RunConfig(prun)
	if err != nil {
		return nil, nil, err
	}
	// The status first: a checkpoint committed after it was read is then
	// found below, never taken for one missing.
	st, err := prun.Status()
	if err != nil {
		return nil, nil, err
	}
	cks, err := prun.Checkpoints()
	if err != nil {
		return nil, nil, err
	}
	if slices.ContainsFunc(cks, func(c results.CheckpointInfo) bool { return c.Step == p.At && c.HasWeights }) {
		return prun, pcfg, nil
	}
	switch {
	case st.State == results.Failed:
		return nil, nil, fmt.Errorf("parent %s failed at step %d before the fork step %d: %s", p.Dir, st.Step, p.At, st.Reason)
	case st.State == results.Done || st.Step >= p.At:
		if _, err := forkCheckpoint(prun, p.At); err != nil {
			return nil, nil, err
		}
		return prun, pcfg, nil
	}
	return nil, nil, fmt.Errorf("%w: %s is %s at step %d of %d, the fork starts at %d", ErrParentNotReady, p.Dir, st.State, st.Step, st.Total, p.At)
}

// isForkOf refuses a run that is not a fork of p's run at p.At.
func isForkOf(run *results.Run, p ParentRun) error {
	what, err := forkOf(run, p)
	if err != nil || what == "" {
		return err
	}
	return fmt.Errorf("%s holds %s, not a fork of %s at step %d: move it away or choose another --out", run.Dir(), what, p.Dir, p.At)
}

// forkOf returns "" if run is a fork of p's run at p.At, else what it is:
// "a run trained from scratch" or "a fork of DIR at step N".
func forkOf(run *results.Run, p ParentRun) (string, error) {
	info, err := run.Info()
	if err != nil {
		return "", err
	}
	if info.Parent == "" {
		return "a run trained from scratch", nil
	}
	parent := parentDir(run.Dir(), info)
	a, err1 := filepath.Abs(parent)
	b, err2 := filepath.Abs(p.Dir)
	if err1 != nil || err2 != nil || a != b || info.ParentStep != p.At {
		return fmt.Sprintf("a fork of %s at step %d", parent, info.ParentStep), nil
	}
	return "", nil
}

// forkGEMM returns the GEMM kernel a fork of a parent recorded under
// identity pk computes with, the identity it records, and the change it
// records at step (nil: none). Without opts.GEMM the fork goes on with the
// parent's arithmetic wherever a kernel here reproduces it, and keeps its
// identity; otherwise (or when none does) it takes a new run's kernel and
// records the change from the parent's.
func forkGEMM(pk string, step int, opts Options) (kernel, id string, change *results.KernelChange, err error) {
	if pk != "" && opts.GEMM == "" {
		if k, why := opts.reproduceGEMM(pk); why == nil {
			return k, pk, nil, nil
		}
	}
	if kernel, id, err = opts.newRunGEMM(); err != nil {
		return "", "", nil, err
	}
	if pk != "" && pk != id {
		change = &results.KernelChange{Step: step, From: pk, To: id, Time: opts.now()}
	}
	return kernel, id, change, nil
}

// forkCheckpoint reads the parent's checkpoint at step, with an error that
// lists the steps a fork can start from when it is missing.
func forkCheckpoint(run *results.Run, step int) (*results.Checkpoint, error) {
	ck, err := run.Checkpoint(step)
	if err == nil {
		return ck, nil
	}
	infos, lerr := run.Checkpoints()
	if lerr != nil {
		return nil, errors.Join(err, lerr)
	}
	var have []string
	for _, c := range infos {
		if c.HasWeights {
			have = append(have, strconv.Itoa(c.Step))
		}
	}
	return nil, fmt.Errorf("fork %s at step %d: %w (checkpoints with weights: %s)", run.Dir(), step, err, joinOr(have, "none"))
}

func joinOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	s := xs[0]
	for _, x := range xs[1:] {
		s += ", " + x
	}
	return s
}

// forkConfig applies a fork's overrides and name to the parent's config and
// refuses changes that the checkpoint cannot carry.
func forkConfig(pcfg *configs.Config, fo ForkOptions) (*configs.Config, error) {
	name := fo.Name
	if name == "" {
		name = fmt.Sprintf("%s-fork%d", pcfg.Name, fo.At)
	}
	cfg := pcfg.Clone()
	if err := cfg.SetAll(append(slices.Clone(fo.Set), "name="+strconv.Quote(name))); err != nil {
		return nil, err
	}
	if err := CheckFork(pcfg, cfg); err != nil {
		return nil, err
	}
	if fo.At < 0 || fo.At >= cfg.Schedule.Steps {
		return nil, fmt.Errorf("fork at step %d: want 0 <= step < schedule.steps (%d)", fo.At, cfg.Schedule.Steps)
	}
	return cfg, nil
}

// CheckFork reports, as an error wrapping ErrForkArchitecture, the first key
// that differs between a parent's config and a fork's where a fork may not
// change it: seed; model.* (parameters and their shapes); regime.mixing
// (the connection masks); data.source, data.path, data.train_size,
// data.synthetic.forms, .hues and .size and data.folder (the input shape,
// the classes and the data order's length); optim.algorithm (the solver
// state's slots). Everything else (learning rate and schedule, steps,
// freeze, rerandomize, bias, grayscale, preprocessing, augmentation,
// checkpoints, metrics, ...) may change.
func CheckFork(parent, fork *configs.Config) error {
	if key, a, b := forkDiff(parent, fork); key != "" {
		return fmt.Errorf("fork: %s: %w (parent %v, fork %v); start a new run instead", key, ErrForkArchitecture, a, b)
	}
	return nil
}

// forkDiff returns the first key of CheckFork that differs between parent
// and fork, with its two values, or "".
func forkDiff(parent, fork *configs.Config) (key string, a, b any) {
	p, f := parent, fork
	checks := []struct {
		key  string
		a, b any
	}{
		{"seed", p.Seed, f.Seed},
		{"model.branches", p.Model.Branches, f.Model.Branches},
		{"model.stem", p.Model.Stem, f.Model.Stem},
		{"model.branch", p.Model.Branch, f.Model.Branch},
		{"model.per_branch", p.Model.PerBranch, f.Model.PerBranch},
		{"model.trunk", p.Model.Trunk, f.Model.Trunk},
		{"model.hidden", p.Model.Hidden, f.Model.Hidden},
		{"model.bias", p.Model.Bias, f.Model.Bias},
		{"model.init", p.Model.Init, f.Model.Init},
		{"model.init_std", p.Model.InitStd, f.Model.InitStd},
		{"model.global_pool", p.Model.GlobalPool, f.Model.GlobalPool},
		{"model.lrn", p.Model.LRN, f.Model.LRN},
		{"regime.mixing", p.Regime.Mixing, f.Regime.Mixing},
		{"data.source", p.Data.Source, f.Data.Source},
		{"data.path", p.Data.Path, f.Data.Path},
		{"data.train_size", p.Data.TrainSize, f.Data.TrainSize},
		{"data.synthetic.forms", p.Data.Synthetic.Forms, f.Data.Synthetic.Forms},
		{"data.synthetic.hues", p.Data.Synthetic.Hues, f.Data.Synthetic.Hues},
		{"data.synthetic.size", p.Data.Synthetic.Size, f.Data.Synthetic.Size},
		{"data.folder", p.Data.Folder, f.Data.Folder},
		{"optim.algorithm", p.Optim.Algorithm, f.Optim.Algorithm},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.a, c.b) {
			return c.key, c.a, c.b
		}
	}
	return "", nil, nil
}

// parentDir is the directory of the run a fork in dir was forked from, as
// its info records it (parentPath: relative to dir where it can be).
func parentDir(dir string, info results.Info) string {
	if filepath.IsAbs(info.Parent) {
		return info.Parent
	}
	return filepath.Join(dir, info.Parent)
}

// parentPath is parent as recorded in a fork in dir: relative to dir when
// both can be made absolute, else as given.
func parentPath(dir, parent string) string {
	ad, err1 := filepath.Abs(dir)
	ap, err2 := filepath.Abs(parent)
	if err1 != nil || err2 != nil {
		return parent
	}
	rel, err := filepath.Rel(ad, ap)
	if err != nil {
		return ap
	}
	return rel
}
