package configs

import "sort"

// Weight retention rules of Checkpoint.Keep.
const (
	KeepAll      = "all"
	KeepLast     = "last"
	KeepSchedule = "schedule"
)

// Checkpoint sets when checkpoints are taken and whose weights are kept.
//
// Checkpoints are due at step 0, at the powers of two 1, 2, 4, 8, ... up to
// and including LogUntil, at every multiple of Every, and at the last step.
// Dynamics are fastest early, hence the log-spaced start (Pythia used 0, 1,
// 2, 4 .. 512, then every 1000).
//
// Metrics are logged at every checkpoint; Keep only decides which weight
// files survive once later checkpoints exist.
type Checkpoint struct {
	// LogUntil is the last log-spaced checkpoint step, >= 0.
	LogUntil int `toml:"log_until"`
	// Every is the period of the regular checkpoints, >= 1.
	Every int `toml:"every"`
	// Keep is the weight retention rule: "all", "last" (the KeepLast newest)
	// or "schedule" (log-spaced steps <= LogUntil and multiples of
	// KeepEvery). The latest checkpoint and step 0 are always kept.
	Keep string `toml:"keep"`
	// KeepLast is N of "last", >= 1.
	KeepLast int `toml:"keep_last"`
	// KeepEvery is the period of "schedule", >= 1; for "schedule" it must be
	// a multiple of Every so that the kept steps are checkpoint steps.
	KeepEvery int `toml:"keep_every"`
}

// logSpaced reports whether step is 0 or a power of two no larger than until.
func logSpaced(step, until int) bool {
	return step == 0 || (step > 0 && step <= until && step&(step-1) == 0)
}

// Due reports whether step of a run of total steps is a checkpoint step:
// 0, the powers of two <= LogUntil, the multiples of Every, and total itself.
// Steps outside [0, total] are never due. Every <= 0 disables the regular
// checkpoints.
func (c Checkpoint) Due(step, total int) bool {
	if step < 0 || step > total {
		return false
	}
	if step == total || logSpaced(step, c.LogUntil) {
		return true
	}
	return c.Every > 0 && step%c.Every == 0
}

// Steps returns every step at which Due(step, total) holds, ascending and
// without repeats. For total < 0 it returns nil.
func (c Checkpoint) Steps(total int) []int {
	if total < 0 {
		return nil
	}
	steps := []int{0}
	for p := 1; p <= c.LogUntil && p <= total; p *= 2 {
		steps = append(steps, p)
	}
	if c.Every > 0 {
		for s := c.Every; s <= total; s += c.Every {
			steps = append(steps, s)
		}
	}
	steps = append(steps, total)
	sort.Ints(steps)
	out := steps[:1]
	for _, s := range steps[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

// Retain reports whether the weights saved at step should be kept, in a
// run of total steps, given the latest checkpoint step and the steps of all
// checkpoints saved so far (in any order; latest may or may not be among
// them).
//
//   - step == latest: always kept (resuming needs it).
//   - step == 0: always kept, under every rule: the weights at
//     initialisation, w_0, are what drift and the scores of dw = w_t - w_0
//     are measured against.
//   - a step off the schedule (Due is false: a stop or an interruption
//     between scheduled checkpoints) is dropped once a later checkpoint
//     exists, under every rule, and is not counted as newer by "last": a
//     run stopped and resumed keeps the checkpoints an uninterrupted run
//     keeps.
//   - "all": kept.
//   - "last": kept while fewer than KeepLast distinct scheduled steps in
//     saved, or latest, are newer than step (the KeepLast newest are kept).
//   - "schedule": kept if step is 0, a power of two <= LogUntil, or a
//     multiple of KeepEvery.
//
// An unknown Keep keeps every scheduled step: losing weights is not
// undoable.
func (c Checkpoint) Retain(step, latest, total int, saved []int) bool {
	if step == latest || step == 0 {
		return true
	}
	if !c.Due(step, total) {
		return false
	}
	switch c.Keep {
	case KeepLast:
		newer := map[int]bool{}
		for _, s := range append([]int{latest}, saved...) {
			if s > step && (s == latest || c.Due(s, total)) {
				newer[s] = true
			}
		}
		return len(newer) < c.KeepLast
	case KeepSchedule:
		return logSpaced(step, c.LogUntil) || (c.KeepEvery > 0 && step%c.KeepEvery == 0)
	default:
		return true
	}
}
