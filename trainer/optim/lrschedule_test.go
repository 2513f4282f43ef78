package optim

import (
	"errors"
	"math"
	"testing"
)

// scheduleTol absorbs float64 rounding in cos and pow.
const scheduleTol = 1e-15

func TestScheduleAt(t *testing.T) {
	constant := LRSchedule{Kind: Constant, Base: 0.1, Warmup: 4}
	decay := LRSchedule{Kind: StepDecay, Base: 1, Warmup: 2, StepEvery: 3, StepGamma: 0.5}
	cosine := LRSchedule{Kind: Cosine, Base: 1, Total: 10}
	cosineWarm := LRSchedule{Kind: Cosine, Base: 1, Warmup: 2, Total: 12, MinFrac: 0.1}
	// Hand-computed: warmup B·(step+1)/W; decay B·γ^⌊(step−W)/E⌋;
	// cosine B·(f + (1−f)·(1+cos(π·s/T))/2).
	tests := []struct {
		name  string
		sched LRSchedule
		step  int
		want  float64
	}{
		{"constant warmup first", constant, 0, 0.025},
		{"constant warmup middle", constant, 1, 0.05},
		{"constant warmup last", constant, 3, 0.1},
		{"constant after warmup", constant, 4, 0.1},
		{"constant late", constant, 1000, 0.1},
		{"negative step is step 0", constant, -5, 0.025},
		{"constant without warmup", LRSchedule{Kind: Constant, Base: 0.3}, 0, 0.3},
		{"decay warmup", decay, 0, 0.5},
		{"decay warmup last", decay, 1, 1},
		{"decay first plateau start", decay, 2, 1},
		{"decay first plateau end", decay, 4, 1},
		{"decay first drop", decay, 5, 0.5},
		{"decay second plateau end", decay, 7, 0.5},
		{"decay second drop", decay, 8, 0.25},
		{"cosine start", cosine, 0, 1},
		{"cosine quarter", cosine, 1, 0.5 * (1 + math.Cos(math.Pi/10))},
		{"cosine midpoint", cosine, 5, 0.5},
		{"cosine end", cosine, 10, 0},
		{"cosine past end", cosine, 25, 0},
		{"cosine warm first", cosineWarm, 0, 0.5},
		{"cosine warm peak", cosineWarm, 2, 1},
		{"cosine warm midpoint", cosineWarm, 7, 0.55},
		{"cosine warm end", cosineWarm, 12, 0.1},
		{"cosine warm past end", cosineWarm, 13, 0.1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sched.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tc.sched.At(tc.step); math.Abs(got-tc.want) > scheduleTol {
				t.Errorf("At(%d) = %.17g, want %.17g", tc.step, got, tc.want)
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	tests := []struct {
		name  string
		sched LRSchedule
		want  string
	}{
		{"unknown kind", LRSchedule{Kind: "linear", Base: 1}, `optim: schedule (linear): invalid schedule: unknown kind "linear" (want "constant", "step" or "cosine")`},
		{"zero base", LRSchedule{Kind: Constant}, "optim: schedule (constant): invalid schedule: Base must be finite and > 0, got 0"},
		{"infinite base", LRSchedule{Kind: Constant, Base: math.Inf(1)}, "optim: schedule (constant): invalid schedule: Base must be finite and > 0, got +Inf"},
		{"negative warmup", LRSchedule{Kind: Constant, Base: 1, Warmup: -1}, "optim: schedule (constant): invalid schedule: Warmup must be >= 0, got -1"},
		{"step every zero", LRSchedule{Kind: StepDecay, Base: 1, StepGamma: 0.5}, "optim: schedule (step): invalid schedule: StepEvery must be > 0, got 0"},
		{"gamma zero", LRSchedule{Kind: StepDecay, Base: 1, StepEvery: 2}, "optim: schedule (step): invalid schedule: StepGamma must be in (0, 1], got 0"},
		{"gamma above one", LRSchedule{Kind: StepDecay, Base: 1, StepEvery: 2, StepGamma: 1.5}, "optim: schedule (step): invalid schedule: StepGamma must be in (0, 1], got 1.5"},
		{"cosine total not past warmup", LRSchedule{Kind: Cosine, Base: 1, Warmup: 5, Total: 5}, "optim: schedule (cosine): invalid schedule: Total (5) must exceed Warmup (5)"},
		{"cosine min frac", LRSchedule{Kind: Cosine, Base: 1, Total: 5, MinFrac: 2}, "optim: schedule (cosine): invalid schedule: MinFrac must be in [0, 1], got 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sched.Validate()
			if !errors.Is(err, ErrLRSchedule) || err.Error() != tc.want {
				t.Errorf("Validate = %v\nwant %s", err, tc.want)
			}
		})
	}
}
