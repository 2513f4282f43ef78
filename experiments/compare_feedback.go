package experiments

import (
	"fmt"
	"math"

	"branchspec/configs"
	"branchspec/metrics/stats"
	"branchspec/trainer"
)

// FeedbackUpstream and FeedbackDownstream are the keys of the feedback
// signature, each in order of preference (a run that logs none of the
// first uses the next): the upstream split of what training added to the
// first layer, and the functional dependency at the rejoin, the default
// primary endpoints; then what runs made before revision 2 log.
func FeedbackUpstream() []string { return []string{"dchroma.eta2", "chroma.eta2", "csi.eta2"} }

// FeedbackDownstream: see FeedbackUpstream.
func FeedbackDownstream() []string { return []string{"rejoin.fmaxshare", "rejoin.maxshare"} }

// minFeedbackPairs is the fewest consecutive-checkpoint pairs a
// correlation is computed from, and minGrowthPoints the fewest points of
// the growth fit; with fewer the value is NaN.
const (
	minFeedbackPairs = 3
	minGrowthPoints  = 3
)

// SeedFeedback is the feedback signature of one run (science.md, "The
// feedback signature"). With t_0 < t_1 < ... < t_k the checkpoint steps
// at which the run logs both the upstream split u (dchroma.eta2, else
// chroma.eta2, else csi.eta2: FeedbackUpstream) and the downstream
// dependency d (rejoin.fmaxshare, else rejoin.maxshare:
// FeedbackDownstream):
//
//	Forward = Pearson over i = 0..k-1 of (u(t_{i+1}) - u(t_i), d(t_i))
//	Reverse = Pearson over i = 0..k-1 of (d(t_{i+1}) - d(t_i), u(t_i))
//
// A feedback loop predicts both positive: the more the downstream layer
// depends on single branches, the faster the upstream split grows, and
// vice versa. The changes are raw differences over intervals that, on the
// log-spaced part of the schedule, grow with t. Both are NaN with fewer
// than 3 pairs or a constant series.
//
// Growth is the early growth rate of the split, per step: the least
// squares slope r of
//
//	ln(u(t) - f) = a + r t
//
// over the checkpoints of the log-spaced phase (0 <= t <= the config's
// checkpoint.log_until) at which u(t) > f, where f = (B - 1)/(N - 1) is
// the mean of eta^2 under random assignment of the N first-layer units to
// the B branches (the permutation null's mean: E[SS_between] =
// SS_total (B - 1)/(N - 1) for a random split into groups). A split
// growing in proportion to its excess over chance, du/dt = r (u - f), has
// this slope. GrowthPoints counts the points fitted; Growth is NaN with
// fewer than 3.
type SeedFeedback struct {
	Group      string
	Seed       uint64
	Run        string
	Upstream   string // the key used for u
	Downstream string // the key used for d
	Pairs      int    // k, the number of consecutive-checkpoint pairs
	Forward    float64
	Reverse    float64

	Floor        float64 // f
	GrowthPoints int
	Growth       float64
}

// Estimate is the mean of per-seed values with its percentile bootstrap
// interval across seeds (NaN with fewer than two seeds) and the number of
// seeds with a finite value.
type Estimate struct {
	N      int
	Mean   float64
	Lo, Hi float64
}

// FeedbackSummary is a group's feedback signature across its seeds.
type FeedbackSummary struct {
	Group   string
	Forward Estimate
	Reverse Estimate
	Growth  Estimate
}

// feedback computes the per-run and per-group feedback signatures.
func (c *Comparison) feedback() {
	for _, g := range c.Groups {
		var fwd, rev, gro []float64
		for _, r := range c.runsOf(g) {
			sf := SeedSignature(r)
			c.FeedbackSeeds = append(c.FeedbackSeeds, sf)
			fwd = appendFinite(fwd, sf.Forward)
			rev = appendFinite(rev, sf.Reverse)
			gro = appendFinite(gro, sf.Growth)
		}
		c.Feedback = append(c.Feedback, FeedbackSummary{Group: g,
			Forward: c.estimate(fwd, "feedback/forward/"+g),
			Reverse: c.estimate(rev, "feedback/reverse/"+g),
			Growth:  c.estimate(gro, "feedback/growth/"+g)})
	}
}

func appendFinite(x []float64, v float64) []float64 {
	if finite(v) {
		return append(x, v)
	}
	return x
}

// estimate is the mean of x with its bootstrap interval.
func (c *Comparison) estimate(x []float64, purpose string) Estimate {
	lo, hi := stats.BootstrapMeanCI(x, c.Options.Level, c.Options.Resamples, c.stream(purpose, 0))
	return Estimate{N: len(x), Mean: stats.Mean(x), Lo: lo, Hi: hi}
}

// SeedSignature computes a run's feedback signature (see SeedFeedback).
// The growth fit needs the run's stored config for the log-spaced phase
// and the unit count; if it cannot be parsed, Growth is NaN.
func SeedSignature(r *LoadedRun) SeedFeedback {
	sf := SeedFeedback{Group: r.Group, Seed: r.Info.Seed, Run: r.Dir,
		Upstream: r.firstLogged(FeedbackUpstream()), Downstream: r.firstLogged(FeedbackDownstream()),
		Forward: math.NaN(), Reverse: math.NaN(), Floor: math.NaN(), Growth: math.NaN()}
	var steps, u, d []float64
	for _, row := range r.Rows {
		uv, ok1 := row.Values[sf.Upstream]
		dv, ok2 := row.Values[sf.Downstream]
		if ok1 && ok2 && finite(uv) && finite(dv) {
			steps, u, d = append(steps, float64(row.Step)), append(u, uv), append(d, dv)
		}
	}
	if k := len(u) - 1; k >= 1 {
		sf.Pairs = k
	}
	if sf.Pairs >= minFeedbackPairs {
		du, dd := diffs(u), diffs(d)
		sf.Forward = stats.Pearson(du, d[:sf.Pairs])
		sf.Reverse = stats.Pearson(dd, u[:sf.Pairs])
	}
	logUntil, units, branches, err := growthSetting(r)
	if err != nil || branches < 2 || units < 2 {
		return sf
	}
	sf.Floor = float64(branches-1) / float64(units-1)
	ts, us := r.series(sf.Upstream)
	var x, y []float64
	for i, t := range ts {
		if t <= float64(logUntil) && us[i] > sf.Floor {
			x, y = append(x, t), append(y, math.Log(us[i]-sf.Floor))
		}
	}
	sf.GrowthPoints = len(x)
	if len(x) >= minGrowthPoints {
		sf.Growth, _ = stats.LinearFit(x, y)
	}
	return sf
}

// firstLogged is the first of keys the run logs a finite value of (the
// last when it logs none).
func (r *LoadedRun) firstLogged(keys []string) string {
	for _, k := range keys {
		if _, v := r.series(k); len(v) > 0 {
			return k
		}
	}
	return keys[len(keys)-1]
}

func diffs(x []float64) []float64 {
	d := make([]float64, len(x)-1)
	for i := range d {
		d[i] = x[i+1] - x[i]
	}
	return d
}

// growthSetting reads the log-spaced phase's end and the first-layer unit
// and branch counts from the run's stored config.
func growthSetting(r *LoadedRun) (logUntil, units, branches int, err error) {
	cfg, err := configs.Parse(r.Dir+"/run.db:config", r.Info.ConfigText)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("feedback (%s): %w", r.Dir, err)
	}
	arch, err := trainer.NewArch(cfg)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("feedback (%s): %w", r.Dir, err)
	}
	for _, br := range arch.Branches {
		if len(br) > 0 {
			units += br[0].Out
		}
	}
	return cfg.Checkpoint.LogUntil, units, len(arch.Branches), nil
}
