package trainer

import (
	"errors"
	"fmt"
	"math"

	"branchspec/configs"
	"branchspec/trainer/data"
	"branchspec/trainer/optim"
)

// ErrDiverged is returned by Step when the loss is NaN or infinite.
var ErrDiverged = errors.New("loss is not finite")

// Trainer trains one model on one dataset under one config. It is not safe
// for concurrent use.
type Trainer struct {
	cfg   *configs.Config
	model *Model
	train *data.Set
	test  *data.Set

	net    *Net
	solver optim.Solver
	ivs    *interventions
	lr     optim.LRSchedule
	order  *data.Order
	idx    []int
	aug    data.Augment

	step    int
	window  Window
	gradSq  []float64 // per-branch squared gradient norm summed since the last TakeGradShare
	gradN   int
	paramBr []int // branch of each param, -1 outside
}

// Window accumulates the training loss and accuracy between two logged steps.
type Window struct {
	LossSum float64
	Correct int
	Seen    int
}

// New builds a trainer at step 0 with the default Options: NewWith(cfg,
// train, test, Options{}).
func New(cfg *configs.Config, train, test *data.Set) (*Trainer, error) {
	return NewWith(cfg, train, test, Options{})
}

// NewWith builds a trainer at step 0: weights from the "init" stream of the
// run's seed (then the bias regime, if any, from the "bias" stream), a
// fresh solver that follows the freeze regime, the data order at epoch 0,
// the augmentation of data.augment seeded from the "augment" stream, and
// nets (the training net, and those of Model().NewEvaluator) on the GEMM
// kernel of eo. train and test are used as Gather hands them out (their
// Pre included).
func NewWith(cfg *configs.Config, train, test *data.Set, eo Options) (*Trainer, error) {
	model, err := NewModel(cfg, Stream(cfg.Seed, "init", 0))
	if err != nil {
		return nil, err
	}
	if err := model.UseGEMM(eo.GEMM); err != nil {
		return nil, err
	}
	model.UseThreads(eo.Threads)
	if b := cfg.Regime.Bias; b.Epsilon > 0 {
		if err := model.ApplyBias(b, Stream(cfg.Seed, "bias", 0)); err != nil {
			return nil, err
		}
	}
	ivs, err := newInterventions(cfg, model)
	if err != nil {
		return nil, err
	}
	if err := model.checkShapes(train.C, train.H, train.W); err != nil {
		return nil, err
	}
	o, s := cfg.Optim, cfg.Schedule
	opts := optim.Options{Algorithm: o.Algorithm, LR: o.LR, WeightDecay: o.WeightDecay}
	if o.Algorithm == optim.SGD {
		opts.Momentum, opts.Nesterov = o.Momentum, o.Nesterov
	} else {
		opts.Beta1, opts.Beta2, opts.Eps = o.Beta1, o.Beta2, o.Eps
	}
	solver, err := optim.New(opts)
	if err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	lr := optim.LRSchedule{Kind: s.LR, Base: o.LR, Warmup: s.Warmup, Total: s.Steps,
		StepEvery: s.StepEvery, StepGamma: s.StepGamma, MinFrac: s.MinLR}
	if err := lr.Validate(); err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	net, err := model.Build(NetOptions{Batch: o.BatchSize, Train: true})
	if err != nil {
		return nil, err
	}
	t := &Trainer{
		cfg: cfg, model: model, train: train, test: test,
		net: net, solver: solver, lr: lr, ivs: ivs,
		order:  data.NewOrder(train.Len(), dataOrderSeed(cfg.Seed)),
		idx:    make([]int, o.BatchSize),
		gradSq: make([]float64, model.Branches()),
		aug:    data.Augment{Pad: cfg.Data.Augment.Pad, Flip: cfg.Data.Augment.Flip, Seed: augmentSeed(cfg.Seed)},
	}
	for _, p := range model.params {
		t.paramBr = append(t.paramBr, p.Branch)
	}
	if len(ivs.freeze) > 0 {
		solver.SetFrozen(func(name string) bool { return ivs.frozen(name, t.step) })
	}
	return t, nil
}

// Config returns the trainer's config; it must not be modified.
func (t *Trainer) Config() *configs.Config { return t.cfg }

// Model returns the model being trained: its weights change with every
// Step.
func (t *Trainer) Model() *Model { return t.model }

// Data returns the training and held-out sets.
func (t *Trainer) Data() (train, test *data.Set) { return t.train, t.test }

func dataOrderSeed(seed uint64) uint64 { return Stream(seed, "data-order", 0).Uint64() }

func augmentSeed(seed uint64) uint64 { return Stream(seed, "augment", 0).Uint64() }

// StepCount is the number of optimizer steps taken so far.
func (t *Trainer) StepCount() int { return t.step }

// LR is the learning rate the next step will use.
func (t *Trainer) LR() float64 { return t.lr.At(t.step) }

// Step runs one optimizer step on the next batch and returns its loss. A
// rerandomize regime due at this step acts first, and frozen layers are not
// updated (see regime.go). The batch is augmented with the draws of the
// step about to be taken (0 for the first), a pure function of the seed
// and the step, so a resumed run augments as the uninterrupted one did.
func (t *Trainer) Step() (float64, error) {
	if err := t.rerandomize(); err != nil {
		return 0, err
	}
	x, y := t.net.Input()
	t.order.Next(t.idx)
	t.train.Gather(t.idx, x, y)
	t.aug.Apply(x, t.train.C, t.train.H, t.train.W, uint64(t.step))
	if err := t.net.Run(); err != nil {
		return 0, err
	}
	loss := t.net.LossValue()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("trainer: step %d: %w (%v)", t.step+1, ErrDiverged, loss)
	}
	t.window.LossSum += loss * float64(len(t.idx))
	t.window.Correct += correctCount(t.net.LogitsValue(), y, t.model.Classes())
	t.window.Seen += len(t.idx)
	for i, gn := range t.net.grads {
		if b := t.paramBr[i]; b >= 0 {
			g := gn.Value().Data().([]float32)
			s := 0.0
			for _, v := range g {
				s += float64(v) * float64(v)
			}
			t.gradSq[b] += s
		}
	}
	t.gradN++
	t.solver.SetLR(t.lr.At(t.step))
	if err := t.net.Update(t.solver); err != nil {
		return loss, fmt.Errorf("trainer: step %d: solver: %w", t.step+1, err)
	}
	t.step++
	return loss, nil
}

// TakeWindow returns the training loss and accuracy accumulated since the
// last call and starts a new window.
func (t *Trainer) TakeWindow() (loss, acc float64, ok bool) {
	w := t.window
	t.window = Window{}
	if w.Seen == 0 {
		return 0, 0, false
	}
	return w.LossSum / float64(w.Seen), float64(w.Correct) / float64(w.Seen), true
}

// TakeGradShare returns, per branch, the squared gradient norm reaching the
// branch's parameters summed over the steps since the last call, and the
// number of steps; it then starts a new accumulation.
func (t *Trainer) TakeGradShare() ([]float64, int) {
	s, n := append([]float64(nil), t.gradSq...), t.gradN
	clear(t.gradSq)
	t.gradN = 0
	return s, n
}

// Close releases the training graph.
func (t *Trainer) Close() error { return t.net.Close() }

// correctCount is the number of rows of logits ([len(y), classes]) whose
// argmax is the label y[i] (class indices stored as float32).
func correctCount(logits, y []float32, classes int) int {
	c := 0
	for i := range y {
		if argmax(logits[i*classes:(i+1)*classes]) == int(y[i]) {
			c++
		}
	}
	return c
}
