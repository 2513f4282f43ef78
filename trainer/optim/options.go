package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Algorithm names accepted in [Options.Algorithm].
const (
	SGD  = "sgd"
	Adam = "adam"
)

// Sentinel errors. Errors returned by this package wrap one of them, with the
// operation and the offending object named in the text.
var (
	// ErrOptions is returned by [Options.Validate] and [New] when an option is
	// out of range or unknown.
	ErrOptions = errors.New("invalid options")
	// ErrParams is returned by Step when the parameters passed do not fit the
	// solver: an unnamed or badly named node, a repeated name, a value or
	// gradient that is not a float32 *tensor.Dense, mismatched lengths, or a
	// set of names that differs from the one the solver was first used with.
	ErrParams = errors.New("invalid parameters")
	// ErrState is returned by SetState when the State does not fit the solver:
	// another algorithm, a missing or unexpected slot, a slot of the wrong
	// length, or an impossible step count.
	ErrState = errors.New("state does not match solver")
	// ErrLRSchedule is returned by [LRSchedule.Validate] for an invalid schedule.
	ErrLRSchedule = errors.New("invalid schedule")
)

// Options configures a solver built by [New]. There are no hidden defaults:
// every field is used as given, and a zero that makes no sense for the chosen
// algorithm is rejected by Validate.
type Options struct {
	// Algorithm is SGD ("sgd") or Adam ("adam"). Required.
	Algorithm string
	// LR is the initial learning rate, >= 0. A schedule normally overrides it
	// before every step through SetLR.
	LR float64
	// Momentum is the SGD momentum coefficient mu in [0, 1); 0 means plain
	// SGD without a velocity slot. Must be 0 for Adam.
	Momentum float64
	// Nesterov selects Nesterov momentum for SGD (requires Momentum > 0).
	Nesterov bool
	// Beta1 in [0, 1) and Beta2 in (0, 1) are Adam's exponential decay rates
	// for the first and second moment estimates (0.9 and 0.999 in Kingma &
	// Ba). Ignored by SGD.
	Beta1, Beta2 float64
	// Eps > 0 is Adam's denominator term (1e-8 in Kingma & Ba). Ignored by
	// SGD.
	Eps float64
	// WeightDecay lambda >= 0; 0 disables it. For SGD it is an L2 penalty
	// added to the gradient (g += lambda*w); for Adam it is decoupled weight
	// decay (AdamW: w *= 1 - lr*lambda).
	WeightDecay float64
	// DecayFilter reports whether the named parameter receives weight decay.
	// It is called once per parameter, by the first Step or by SetState. nil
	// means names ending in ".w" (weights decay, biases do not).
	DecayFilter func(name string) bool
}

// Validate reports the first invalid option, wrapping [ErrOptions].
func (o Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("optim: options (%s): %w: %s", o.Algorithm, ErrOptions, fmt.Sprintf(format, args...))
	}
	if !(o.LR >= 0) || math.IsInf(o.LR, 0) {
		return bad("LR must be finite and >= 0, got %v", o.LR)
	}
	if !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0) {
		return bad("WeightDecay must be finite and >= 0, got %v", o.WeightDecay)
	}
	switch o.Algorithm {
	case SGD:
		if !(o.Momentum >= 0 && o.Momentum < 1) {
			return bad("Momentum must be in [0, 1), got %v", o.Momentum)
		}
		if o.Nesterov && o.Momentum == 0 {
			return bad("Nesterov requires Momentum > 0")
		}
	case Adam:
		if o.Momentum != 0 || o.Nesterov {
			return bad("Momentum and Nesterov are SGD options; use Beta1")
		}
		if !(o.Beta1 >= 0 && o.Beta1 < 1) {
			return bad("Beta1 must be in [0, 1), got %v", o.Beta1)
		}
		if !(o.Beta2 > 0 && o.Beta2 < 1) {
			return bad("Beta2 must be in (0, 1), got %v", o.Beta2)
		}
		if !(o.Eps > 0) || math.IsInf(o.Eps, 0) {
			return bad("Eps must be finite and > 0, got %v", o.Eps)
		}
	default:
		return bad("unknown algorithm %q (want %q or %q)", o.Algorithm, SGD, Adam)
	}
	return nil
}

// decays reports whether the named parameter receives weight decay.
func (o Options) decays(name string) bool {
	if o.WeightDecay == 0 {
		return false
	}
	if o.DecayFilter == nil {
		return strings.HasSuffix(name, ".w")
	}
	return o.DecayFilter(name)
}

// slotNames lists the per-parameter slots the algorithm keeps, in the order
// they are stored in param.slots.
func (o Options) slotNames() []string {
	switch {
	case o.Algorithm == Adam:
		return []string{"m", "v"}
	case o.Momentum != 0:
		return []string{"velocity"}
	}
	return nil
}
