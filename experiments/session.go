package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"branchspec/configs"
	"branchspec/results"
	"branchspec/trainer"
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
	KeyCostMeas  = "cost.metrics" // wall-clock: seconds spent measuring specialization (the null's included)
	KeyCostNull  = "cost.null"    // wall-clock: seconds spent drawing the initialisation null, where it was drawn
)

// WallClock reports whether key holds a wall-clock measurement, which no
// rerun reproduces.
func WallClock(key string) bool {
	return key == KeyWall || key == KeyCostTrain || key == KeyCostMeas || key == KeyCostNull
}

// ErrInterrupted is returned when the context is cancelled (SIGINT,
// SIGTERM): the run has checkpointed its current step and can be resumed.
var ErrInterrupted = errors.New("interrupted")

// session drives one run's training loop. Its run is nil until the store
// exists: a new run's first checkpoint is computed before it is created.
type session struct {
	run  *results.Run
	cfg  *configs.Config
	opts Options
	data *runData
	tr   *trainer.Trainer
	ev   *trainer.Evaluator
	inst *instruments
	prog *progress

	started   time.Time
	wallBase  float64
	costTrain float64
	costMeas  float64
	lastCk    int
	testAcc   float64 // at the latest evaluation; NaN before the first
	pending   []results.Row
	// newOrigin is a new run's origin, written with its first checkpoint.
	newOrigin *results.Origin
	costNull  float64 // seconds spent drawing the null, not yet logged
}

// newSession loads cfg's data with its preprocessing (see openData; stored
// is the run's stored data, nil for a new run) and builds the trainer at
// step 0 and the evaluators.
func newSession(cfg *configs.Config, opts Options, stored map[string][]byte, gemm string) (*session, error) {
	rd, err := openData(cfg, stored)
	if err != nil {
		return nil, err
	}
	train, test := rd.train, rd.test
	tr, err := trainer.NewWith(cfg, train, test, trainer.Options{GEMM: gemm, Threads: opts.Threads})
	if err != nil {
		return nil, err
	}
	ev, err := tr.Model().NewEvaluator(evalBatch(test.Len()))
	if err != nil {
		tr.Close()
		return nil, err
	}
	inst, err := newInstruments(cfg, tr.Model(), ev, test)
	if err != nil {
		ev.Close()
		tr.Close()
		return nil, err
	}
	prog := newProgress(opts.Progress, opts.Terminal, opts.now)
	prog.batch = cfg.Optim.BatchSize
	if f := rd.folder; f != nil && f.CacheWrite != nil {
		prog.line(fmt.Sprintf("note: the decoded images could not be cached, so the next run decodes them again: %v", f.CacheWrite))
	}
	return &session{cfg: cfg, opts: opts, data: rd, tr: tr, ev: ev, inst: inst, lastCk: -1, prog: prog, testAcc: math.NaN()}, nil
}

// evalBatch is the evaluation graph's batch size: large enough to amortise
// a run of the graph, small enough not to waste work on padding.
func evalBatch(n int) int { return min(max(n, 1), 256) }

func (s *session) close() {
	s.inst.close()
	s.ev.Close()
	s.tr.Close()
}

// begin sets a new run's starting state: a fork's parent state (with its
// regime change), its clock, and the progress display from that step.
func (s *session) begin(b birth) error {
	if b.state != nil {
		if err := s.tr.Restore(b.state); err != nil {
			return err
		}
	}
	if b.bias != nil {
		if err := s.tr.ApplyBias(*b.bias, uint64(s.tr.StepCount())); err != nil {
			return err
		}
	}
	s.wallBase = b.wallBase
	s.started = s.opts.now()
	s.prog.start(s.tr.StepCount(), s.cfg.Schedule.Steps)
	return s.startOrigin(b)
}

// startOrigin sets a new run's origin (see origin.go), to be written with
// its first checkpoint: its initial weights and its initialisation null
// (a fork's are its parent's), whose drawing counts as measuring.
func (s *session) startOrigin(b birth) error {
	t0 := s.opts.now()
	w0 := b.w0
	if b.state == nil {
		w0 = s.tr.Model().Weights()
	}
	draws, err := b.draws, error(nil)
	if draws == nil {
		nullCfg := s.cfg
		if b.nullCfg != nil {
			nullCfg = b.nullCfg
		}
		_, test := s.tr.Data()
		if draws, err = drawInitNull(nullCfg, test, s.tr.Model().GEMM()); err != nil {
			return err
		}
	}
	if s.inst.origin, err = newOrigin(s.tr.Model(), w0, draws); err != nil {
		return err
	}
	s.newOrigin = &results.Origin{Weights: resultsTensors(w0), Nulls: draws}
	s.costNull = s.opts.now().Sub(t0).Seconds()
	s.costMeas += s.costNull
	return nil
}

// loadOrigin reads the origin of the session's run, completing and storing
// what a run made before origins lacks; the trainer must still be at its
// initialisation.
func (s *session) loadOrigin() error {
	t0 := s.opts.now()
	_, test := s.tr.Data()
	o, put, err := loadOrigin(s.run, s.cfg, s.tr.Model(), s.tr.Model().Weights(), test)
	if err != nil {
		return fmt.Errorf("origin of %s: %w", s.run.Dir(), err)
	}
	if put != nil {
		if err := s.run.PutOrigin(*put); err != nil {
			return err
		}
	}
	s.inst.origin = o
	if put != nil && put.Nulls != nil {
		s.costNull = s.opts.now().Sub(t0).Seconds()
		s.costMeas += s.costNull
	}
	return nil
}

// restore sets the trainer to a checkpoint of the run and the clock and
// status to what the run logged up to it.
func (s *session) restore(ck *results.Checkpoint) error {
	state, err := decodeState(ck)
	if err != nil {
		return err
	}
	if err := s.tr.Restore(state); err != nil {
		return err
	}
	if s.wallBase, err = lastValue(s.run, KeyWall, ck.Step, 0); err != nil {
		return err
	}
	if s.testAcc, err = lastValue(s.run, KeyTestAcc, ck.Step, math.NaN()); err != nil {
		return err
	}
	s.lastCk = ck.Step
	return nil
}

func (s *session) wall() float64 { return s.wallBase + s.opts.now().Sub(s.started).Seconds() }

func (s *session) status(state results.State, reason string) results.Status {
	return results.Status{State: state, Step: s.tr.StepCount(), Total: s.cfg.Schedule.Steps,
		Reason: reason, Updated: s.opts.now(), TestAcc: s.testAcc}
}

// train runs the loop from the trainer's current step to the end, to
// StopAt, or until ctx is cancelled. The run's current step is
// checkpointed, or it is step 0 of a run created without a checkpoint.
func (s *session) train(ctx context.Context) error {
	total := s.cfg.Schedule.Steps
	s.started = s.opts.now()
	s.prog.start(s.tr.StepCount(), total)
	if s.lastCk != s.tr.StepCount() {
		if err := s.checkpoint(results.Running); err != nil {
			return err
		}
	}
	for s.tr.StepCount() < total {
		if done, err := s.stopHere(ctx); done || err != nil {
			return err
		}
		if err := s.step(); err != nil {
			return err
		}
	}
	if err := s.stop(results.Done, ""); err != nil {
		return err
	}
	s.prog.done(s.run.Dir())
	return nil
}

// stopHere checkpoints and reports done when ctx is cancelled (with
// ErrInterrupted) or the run has reached StopAt.
func (s *session) stopHere(ctx context.Context) (done bool, err error) {
	step := s.tr.StepCount()
	if ctx.Err() != nil {
		if err := s.stop(results.Stopped, "interrupted"); err != nil {
			return true, err
		}
		s.prog.line(fmt.Sprintf("interrupted at step %d; resume with: branchspec resume %s", step, s.run.Dir()))
		return true, fmt.Errorf("%w at step %d", ErrInterrupted, step)
	}
	if s.opts.StopAt > 0 && step >= s.opts.StopAt {
		if err := s.stop(results.Stopped, fmt.Sprintf("stop-at %d", s.opts.StopAt)); err != nil {
			return true, err
		}
		s.prog.line(fmt.Sprintf("stopped at step %d; resume with: branchspec resume %s", step, s.run.Dir()))
		return true, nil
	}
	return false, nil
}

// step takes one optimizer step and logs, evaluates and checkpoints as
// the config says.
func (s *session) step() error {
	total, sch := s.cfg.Schedule.Steps, s.cfg.Schedule
	t0 := s.opts.now()
	lr := s.tr.LR()
	loss, err := s.tr.Step()
	s.costTrain += s.opts.now().Sub(t0).Seconds()
	step := s.tr.StepCount()
	if err != nil {
		return s.fail(errors.Join(err, s.commitRows()))
	}
	if step%sch.LogEvery == 0 {
		l, a, _ := s.tr.TakeWindow()
		train, _ := s.tr.Data()
		s.row(step, map[string]float64{KeyTrainLoss: l, KeyTrainAcc: a, KeyLR: lr,
			KeyEpoch: float64(step*s.cfg.Optim.BatchSize) / float64(train.Len())})
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
		if err := s.evaluate(step, nil); err != nil {
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
	return nil
}

// fail records the run as failed at the current step with cause as the
// reason, and returns cause (joined with the error of recording it).
func (s *session) fail(cause error) error {
	st := s.status(results.Failed, cause.Error())
	if err := s.run.SetStatus(st); err != nil {
		return errors.Join(cause, err)
	}
	return cause
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

// evaluate logs held-out loss and accuracy at step, letting a measurer
// take what it needs from the same pass (m may be nil).
func (s *session) evaluate(step int, m *measurer) error {
	var r trainer.Result
	var err error
	if m != nil {
		r, err = m.evaluateAll()
	} else {
		_, test := s.tr.Data()
		r, err = s.ev.Evaluate(test, 0, nil)
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
	if err := s.measureAll(); err != nil {
		return err
	}
	return s.save(state, "")
}

// measureAll evaluates and measures specialization at the current step
// into the pending rows.
func (s *session) measureAll() error {
	step := s.tr.StepCount()
	vals := map[string]float64{}
	var m *measurer
	if s.cfg.Metrics.Enabled {
		m = s.inst.measurer(s.cfg.Seed, step, vals)
	}
	if err := s.evaluate(step, m); err != nil {
		return err
	}
	t0 := s.opts.now()
	if err := s.measure(m, vals); err != nil {
		return fmt.Errorf("measure at step %d: %w", step, err)
	}
	s.costMeas += s.opts.now().Sub(t0).Seconds()
	vals[KeyCostTrain], vals[KeyCostMeas] = s.costTrain, s.costMeas
	if s.costNull > 0 {
		vals[KeyCostNull], s.costNull = s.costNull, 0
	}
	s.row(step, vals)
	return nil
}

// checkpointCommit evaluates and measures the current step and returns the
// commit of its rows, state and status: a new run's first checkpoint,
// written by the transaction that creates the run.
func (s *session) checkpointCommit(state results.State) (results.Commit, error) {
	if err := s.measureAll(); err != nil {
		return results.Commit{}, err
	}
	c, err := s.saveCommit(state, "")
	s.wallBase, s.started = s.wall(), s.opts.now()
	return c, err
}

// saveCommit is the commit of the trainer's state, the pending rows and
// the status.
func (s *session) saveCommit(state results.State, reason string) (results.Commit, error) {
	ck, err := encodeState(s.tr.State(), s.opts.now())
	if err != nil {
		return results.Commit{}, err
	}
	st := s.status(state, reason)
	keep, total := s.cfg.Checkpoint, s.cfg.Schedule.Steps
	return results.Commit{
		Rows: s.pending, Checkpoint: ck, Status: &st, Origin: s.newOrigin,
		Retain: func(step int, all []int) bool { return keep.Retain(step, all[len(all)-1], total, all) },
	}, nil
}

// committed records that c was written.
func (s *session) committed(c results.Commit) {
	s.pending = nil
	s.newOrigin = nil
	s.lastCk = c.Checkpoint.Step
}

// save writes the trainer's state, the pending rows and the status in one
// transaction.
func (s *session) save(state results.State, reason string) error {
	c, err := s.saveCommit(state, reason)
	if err != nil {
		return err
	}
	if err := s.run.Commit(c); err != nil {
		return fmt.Errorf("checkpoint at step %d: %w", s.tr.StepCount(), err)
	}
	s.committed(c)
	return nil
}
