package experiments

import (
	"fmt"
	"math"

	"branchspec/configs"
	"branchspec/metrics/stats"
	"branchspec/results"
)

// Which branch turns chromatic, against what the bias regime predicts
// (science.md, regime 4): a chromatic bias on branch A's first layer makes
// A the colour branch (P(A) a steep sigmoid in epsilon), and a counter-bias
// applied late, by a fork, fails to flip the split (hysteresis). The colour
// branch of a run is the one whose first layer training made the most
// chromatic: the largest dchroma.bB at the end (slot 0 of the alignment).

// BranchReading is what one run says about which branch turned chromatic.
type BranchReading struct {
	// Bias is the branch the run's config biases (regime.bias.branch with
	// epsilon > 0), -1 for none.
	Bias int
	// Colour is the run's colour branch at its end, -1 when its branches
	// were not aligned by dchroma.
	Colour int
	// A fork's reading: the step it started from, its parent's colour
	// branch there (the largest dchroma.bB the parent logged at that
	// step), and the branch training made the most chromatic after the
	// fork (AddedChroma from the fork step to the end, which leaves out a
	// bias planted at the fork). -1 where not measurable; At is -1 for a
	// run trained from scratch.
	At, ParentColour, AfterFork int
	// Note says what could not be read (a fork's parent or checkpoints).
	Note string
}

// readBranches makes run r's BranchReading; problems reading the parent
// or the checkpoints leave -1 and a Note.
func readBranches(r *LoadedRun) BranchReading {
	br := BranchReading{Bias: -1, Colour: -1, At: -1, ParentColour: -1, AfterFork: -1}
	if cfg, err := configs.Parse(r.Dir, r.Info.ConfigText); err == nil && cfg.Regime.Bias.Epsilon > 0 {
		br.Bias = cfg.Regime.Bias.Branch
	}
	if r.AlignedBy == "dchroma.bB" && len(r.Order) > 0 {
		br.Colour = r.Order[0]
	}
	if r.Info.Parent == "" {
		return br
	}
	br.At = r.Info.ParentStep
	last := r.Status.Step
	if after, err := AddedChroma(r.Dir, br.At, last); err == nil {
		br.AfterFork = argmax(after)
	} else {
		br.Note = fmt.Sprintf("%s: what training added after the fork: %v", r.Dir, err)
		return br
	}
	parent, err := results.Open(parentDir(r.Dir, r.Info), nil)
	if err != nil {
		br.Note = fmt.Sprintf("%s: its parent: %v", r.Dir, err)
		return br
	}
	var at []float64
	for b := 0; ; b++ {
		steps, vals, err := parent.Series(fmt.Sprintf("dchroma.b%d", b))
		if err != nil || len(steps) == 0 {
			break
		}
		v := math.NaN() // not logged at the fork step
		for i, s := range steps {
			if s == br.At {
				v = vals[i]
			}
		}
		at = append(at, v)
	}
	br.ParentColour = argmax(at)
	return br
}

// argmax is the index of the largest of xs (NaN never wins), -1 when
// there is none.
func argmax(xs []float64) int {
	best := -1
	for i, x := range xs {
		if x == x && (best < 0 || x > xs[best]) {
			best = i
		}
	}
	return best
}

// BranchCount counts, per group, runs whose colour branch is the one a
// prediction names, with the Wilson 95% interval of K/N.
type BranchCount struct {
	Group string
	// What is "bias" (the colour branch is the biased branch, among runs
	// that bias one) or "kept" (training after a fork made the parent's
	// colour branch the more chromatic again, among fork runs).
	What   string
	K, N   int
	Lo, Hi float64
}

// branchCounts counts the groups' bias and fork readings.
func (c *Comparison) branchCounts() []BranchCount {
	var out []BranchCount
	for _, g := range c.Groups {
		bias := BranchCount{Group: g, What: "bias"}
		kept := BranchCount{Group: g, What: "kept"}
		for _, r := range c.runsOf(g) {
			br := r.Branches
			if br.Bias >= 0 && br.Colour >= 0 && br.At < 0 {
				bias.N++
				if br.Colour == br.Bias {
					bias.K++
				}
			}
			if br.ParentColour >= 0 && br.AfterFork >= 0 {
				kept.N++
				if br.AfterFork == br.ParentColour {
					kept.K++
				}
			}
		}
		for _, bc := range []BranchCount{bias, kept} {
			if bc.N > 0 {
				bc.Lo, bc.Hi = stats.WilsonInterval(bc.K, bc.N, 0.95)
				out = append(out, bc)
			}
		}
	}
	return out
}
