package optim

import (
	"fmt"
	"math"
)

// LRSchedule kinds accepted in [LRSchedule.Kind].
const (
	Constant  = "constant"
	StepDecay = "step"
	Cosine    = "cosine"
)

// LRSchedule maps a 0-based optimizer step to a learning rate: an optional
// linear warmup followed by a constant, step-decay or cosine schedule. Fields
// a kind does not use are ignored.
type LRSchedule struct {
	// Kind is Constant, StepDecay or Cosine.
	Kind string
	// Base > 0 is the peak learning rate, reached at the end of warmup.
	Base float64
	// Warmup >= 0 is the number of warmup steps; 0 means none.
	Warmup int
	// Total is the step count of the whole run, warmup included; Cosine
	// requires Total > Warmup and stays at MinFrac·Base from step Total on.
	Total int
	// StepEvery > 0 and StepGamma in (0, 1] (StepDecay): the rate is
	// multiplied by StepGamma every StepEvery steps after warmup.
	StepEvery int
	StepGamma float64
	// MinFrac in [0, 1] (Cosine) is the final rate as a fraction of Base.
	MinFrac float64
}

// At returns the learning rate for the 0-based step. With W = Warmup,
// B = Base and s = step − W:
//
//	step < W:         B·(step+1)/W              (linear warmup, reaching B at step W−1)
//	constant:         B
//	step decay:       B·γ^⌊s/StepEvery⌋
//	cosine:           B·(f + (1−f)·½·(1 + cos(π·min(s, T)/T))),  T = Total − W, f = MinFrac
//
// so every post-warmup schedule starts at B at step W. A negative step is
// treated as 0. At assumes Validate passed; it returns NaN for an unknown
// Kind. Cosine annealing without restarts is Loshchilov & Hutter, "SGDR:
// Stochastic Gradient Descent with Warm Restarts", ICLR 2017, eq. 5; linear
// warmup is Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet
// in 1 Hour", 2017, section 2.2 (gradual warmup).
func (s LRSchedule) At(step int) float64 {
	step = max(step, 0)
	if step < s.Warmup {
		return s.Base * float64(step+1) / float64(s.Warmup)
	}
	t := step - s.Warmup
	switch s.Kind {
	case Constant:
		return s.Base
	case StepDecay:
		return s.Base * math.Pow(s.StepGamma, float64(t/s.StepEvery))
	case Cosine:
		span := s.Total - s.Warmup
		frac := float64(min(t, span)) / float64(span)
		return s.Base * (s.MinFrac + (1-s.MinFrac)*0.5*(1+math.Cos(math.Pi*frac)))
	}
	return math.NaN()
}

// Validate reports the first invalid field, wrapping [ErrLRSchedule].
func (s LRSchedule) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("optim: schedule (%s): %w: %s", s.Kind, ErrLRSchedule, fmt.Sprintf(format, args...))
	}
	if !(s.Base > 0) || math.IsInf(s.Base, 0) {
		return bad("Base must be finite and > 0, got %v", s.Base)
	}
	if s.Warmup < 0 {
		return bad("Warmup must be >= 0, got %d", s.Warmup)
	}
	switch s.Kind {
	case Constant:
	case StepDecay:
		if s.StepEvery <= 0 {
			return bad("StepEvery must be > 0, got %d", s.StepEvery)
		}
		if !(s.StepGamma > 0 && s.StepGamma <= 1) {
			return bad("StepGamma must be in (0, 1], got %v", s.StepGamma)
		}
	case Cosine:
		if s.Total <= s.Warmup {
			return bad("Total (%d) must exceed Warmup (%d)", s.Total, s.Warmup)
		}
		if !(s.MinFrac >= 0 && s.MinFrac <= 1) {
			return bad("MinFrac must be in [0, 1], got %v", s.MinFrac)
		}
	default:
		return bad("unknown kind %q (want %q, %q or %q)", s.Kind, Constant, StepDecay, Cosine)
	}
	return nil
}
