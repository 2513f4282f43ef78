package experiments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"branchspec/configs"
	"branchspec/results"
	"branchspec/trainer"
	"branchspec/trainer/data"
)

// Metric keys logged by every run. Keys marked wall-clock vary between
// otherwise identical runs; every other value is bit-identical across
// reruns and resumes.
const (
	KeyTrainLoss = "train.loss"   // mean training loss since the previous log step
	KeyTrainAcc  = "train.acc"    // training accuracy since the previous log step
	KeyTestLoss  = "test.loss"    // held-out loss
	KeyTestAcc   = "test.acc"     // held-out accuracy
	KeyLR        = "lr"           // learning rate used by the step just taken
	KeyEpoch     = "epoch"        // data epochs completed (fractional)
	KeyWall      = "wall"         // wall-clock: seconds of training so far, across resumes
	KeyCostTrain = "cost.train"   // wall-clock: seconds spent in optimizer steps
	KeyCostMeas  = "cost.metrics" // wall-clock: seconds spent measuring specialization
)

// WallClock reports whether key holds a wall-clock measurement, which no
// rerun reproduces.
func WallClock(key string) bool {
	return key == KeyWall || key == KeyCostTrain || key == KeyCostMeas
}

// ErrInterrupted is returned when the context is cancelled (SIGINT,
// SIGTERM): the run has checkpointed its current step and can be resumed.
var ErrInterrupted = errors.New("interrupted")

// session drives one run's training loop.
type session struct {
	run  *results.Run
	cfg  *configs.Config
	opts Options
	tr   *trainer.Trainer
	ev   *trainer.Evaluator
	inst *instruments
	prog *progress

	started   time.Time
	wallBase  float64
	costTrain float64
	costMeas  float64
	lastCk    int
	testAcc   float64 // at the latest evaluation
	pending   []results.Row
}

// LoadData returns the training and held-out sets a config names.
func LoadData(cfg *configs.Config) (train, test *data.Set, err error) {
	d := cfg.Data
	switch d.Source {
	case "synthetic":
		s := d.Synthetic
		train, test, err = data.Synthetic(data.SyntheticOptions{
			Forms: s.Forms, Hues: s.Hues, Size: s.Size, Noise: s.Noise,
			Train: d.TrainSize, Test: d.TestSize,
		}, s.Seed)
	case "cifar10":
		train, test, err = data.LoadCIFAR10(d.Path, d.TrainSize, d.TestSize)
	case "idx":
		train, test, err = data.LoadIDX(d.Path, d.TrainSize, d.TestSize)
	default:
		err = fmt.Errorf("unknown data source %q", d.Source)
	}
	if err != nil {
		return nil, nil, err
	}
	if d.Grayscale {
		train, test = train.Grayscale(), test.Grayscale()
	}
	return train, test, nil
}

func newSession(run *results.Run, cfg *configs.Config, opts Options) (*session, error) {
	train, test, err := LoadData(cfg)
	if err != nil {
		return nil, err
	}
	return newSessionWith(run, cfg, opts, train, test)
}

// newSessionWith is newSession on data already loaded.
func newSessionWith(run *results.Run, cfg *configs.Config, opts Options, train, test *data.Set) (*session, error) {
	tr, err := trainer.New(cfg, train, test)
	if err != nil {
		return nil, err
	}
	ev, err := tr.Model.NewEvaluator(evalBatch(test.Len()))
	if err != nil {
		tr.Close()
		return nil, err
	}
	inst, err := newInstruments(cfg, tr.Model, ev, test)
	if err != nil {
		ev.Close()
		tr.Close()
		return nil, err
	}
	prog := newProgress(opts.Progress, opts.Terminal, opts.now)
	prog.batch = cfg.Optim.BatchSize
	return &session{run: run, cfg: cfg, opts: opts, tr: tr, ev: ev, inst: inst, lastCk: -1, prog: prog}, nil
}

// evalBatch is the evaluation graph's batch size: large enough to amortise
// a run of the graph, small enough not to waste work on padding.
func evalBatch(n int) int { return min(max(n, 1), 256) }

func (s *session) close() {
	s.inst.close()
	s.ev.Close()
	s.tr.Close()
}

func (s *session) wall() float64 { return s.wallBase + s.opts.now().Sub(s.started).Seconds() }

func (s *session) status(state results.State, reason string) results.Status {
	return results.Status{State: state, Step: s.tr.StepCount(), Total: s.cfg.Schedule.Steps,
		Reason: reason, Updated: s.opts.now(), TestAcc: s.testAcc}
}

// train runs the loop from the trainer's current step to the end, to
// StopAt, or until ctx is cancelled.
func (s *session) train(ctx context.Context) error {
	total := s.cfg.Schedule.Steps
	sch := s.cfg.Schedule
	s.started = s.opts.now()
	s.prog.start(s.tr.StepCount(), total)
	if s.tr.StepCount() == 0 {
		if err := s.checkpoint(results.Running); err != nil {
			return err
		}
	} else {
		st := s.status(results.Running, "")
		if err := s.run.SetStatus(st); err != nil {
			return err
		}
		s.lastCk = s.tr.StepCount()
	}
	for s.tr.StepCount() < total {
		step := s.tr.StepCount()
		if ctx.Err() != nil {
			if err := s.stop(results.Stopped, "interrupted"); err != nil {
				return err
			}
			s.prog.line(fmt.Sprintf("interrupted at step %d; resume with: branchspec resume %s", step, s.run.Dir()))
			return fmt.Errorf("%w at step %d", ErrInterrupted, step)
		}
		if s.opts.StopAt > 0 && step >= s.opts.StopAt {
			if err := s.stop(results.Stopped, fmt.Sprintf("stop-at %d", s.opts.StopAt)); err != nil {
				return err
			}
			s.prog.line(fmt.Sprintf("stopped at step %d; resume with: branchspec resume %s", step, s.run.Dir()))
			return nil
		}
		t0 := s.opts.now()
		lr := s.tr.LR()
		loss, err := s.tr.Step()
		s.costTrain += s.opts.now().Sub(t0).Seconds()
		step = s.tr.StepCount()
		if err != nil {
			s.commitRows()
			return fail(s.run, step, total, err)
		}
		if step%sch.LogEvery == 0 {
			l, a, _ := s.tr.TakeWindow()
			s.row(step, map[string]float64{KeyTrainLoss: l, KeyTrainAcc: a, KeyLR: lr,
				KeyEpoch: float64(step*s.cfg.Optim.BatchSize) / float64(s.tr.Train.Len())})
		}
		switch {
		case s.cfg.Checkpoint.Due(step, total):
			state := results.Running
			if step == total {
				state = results.Done
			}
			if err := s.checkpoint(state); err != nil {
				return err
			}
		case sch.EvalEvery > 0 && step%sch.EvalEvery == 0:
			if err := s.evaluate(step); err != nil {
				return err
			}
			if err := s.commitRows(); err != nil {
				return err
			}
		}
		s.prog.step(step, loss)
		if s.opts.OnStep != nil {
			s.opts.OnStep(step, total)
		}
	}
	if err := s.stop(results.Done, ""); err != nil {
		return err
	}
	s.prog.done(s.run.Dir())
	return nil
}

// stop checkpoints the current step if it has not been, and sets state.
// A checkpoint off the config's schedule saves the state only: it logs no
// evaluation or metric, so a resumed run's series equal an uninterrupted
// run's.
func (s *session) stop(state results.State, reason string) error {
	if s.lastCk == s.tr.StepCount() {
		return s.run.SetStatus(s.status(state, reason))
	}
	return s.save(state, reason)
}

func (s *session) row(step int, vals map[string]float64) {
	if n := len(s.pending); n > 0 && s.pending[n-1].Step == step {
		for k, v := range vals {
			s.pending[n-1].Values[k] = v
		}
		return
	}
	s.pending = append(s.pending, results.Row{Step: step, Values: vals})
}

func (s *session) commitRows() error {
	if len(s.pending) == 0 {
		return nil
	}
	err := s.run.Commit(results.Commit{Rows: s.pending})
	s.pending = nil
	return err
}

// evaluate logs held-out loss and accuracy at step.
func (s *session) evaluate(step int) error { return s.evaluateWith(step, nil) }

// evaluateWith is evaluate that lets a measurer take what it needs from
// the same pass (m may be nil).
func (s *session) evaluateWith(step int, m *measurer) error {
	var r trainer.Result
	var err error
	if m != nil {
		r, err = m.evaluateAll()
	} else {
		r, err = s.ev.Evaluate(s.tr.Test, 0, nil)
	}
	if err != nil {
		return fmt.Errorf("evaluate at step %d: %w", step, err)
	}
	s.row(step, map[string]float64{KeyTestLoss: r.Loss, KeyTestAcc: r.Acc, KeyWall: s.wall()})
	s.testAcc = r.Acc
	s.prog.eval(step, r.Acc)
	return nil
}

// checkpoint evaluates, measures specialization and saves a scheduled
// checkpoint.
func (s *session) checkpoint(state results.State) error {
	step := s.tr.StepCount()
	vals := map[string]float64{}
	var m *measurer
	if s.cfg.Metrics.Enabled {
		m = s.inst.measurer(s.cfg.Seed, step, vals)
	}
	if err := s.evaluateWith(step, m); err != nil {
		return err
	}
	t0 := s.opts.now()
	err := s.measure(m, vals)
	if err != nil {
		return fmt.Errorf("measure at step %d: %w", step, err)
	}
	s.costMeas += s.opts.now().Sub(t0).Seconds()
	vals[KeyCostTrain], vals[KeyCostMeas] = s.costTrain, s.costMeas
	s.row(step, vals)
	return s.save(state, "")
}

// save writes the trainer's state, the pending rows and the status in one
// transaction.
func (s *session) save(state results.State, reason string) error {
	step := s.tr.StepCount()
	ck, err := encodeState(s.tr.State(), s.opts.now())
	if err != nil {
		return err
	}
	st := s.status(state, reason)
	st.TestAcc = s.testAcc
	keep := s.cfg.Checkpoint
	err = s.run.Commit(results.Commit{
		Rows: s.pending, Checkpoint: ck, Status: &st,
		Retain: func(step int, all []int) bool { return keep.Retain(step, all[len(all)-1], all) },
	})
	if err != nil {
		return fmt.Errorf("checkpoint at step %d: %w", step, err)
	}
	s.pending = nil
	s.lastCk = step
	return nil
}
