package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"branchspec/configs"
	"branchspec/trainer/data"
)

// This file implements the interventions of the config's [regime] table,
// configs.Interventions (science.md, "Regimes that test the feedback
// loop"). Steps are counted as the trainer counts them: "step s" is the
// update that takes the weights from StepCount() = s to s+1, so a
// checkpoint at step s holds the weights after s updates.
//
//   - freeze {layer, from, to}: the updates of steps s in [from, to) (to = -1:
//     every later step) leave the layer's weights and biases, their solver
//     slots and their per-parameter update count unchanged. The weights at
//     checkpoints from .. to are therefore bit-identical.
//   - rerandomize {layer, every K}: at the start of every step s > 0 with
//     s % K == 0, before its forward pass, the layer's weights are redrawn
//     from the initialiser with Stream(seed, "rerandomize/"+layer, s), its
//     biases are reset to their initial constant (the layer's bias_init, 0
//     by default), and its solver slots and update counts are reset to
//     those of a fresh parameter. The checkpoint at step s still holds the
//     weights before the redraw; the redraw is a pure function of (seed, layer,
//     s), so a run resumed from that checkpoint redraws the same values.
//   - mixing {branch.*.I, p}: see DrawMask and Model.Build.
//   - bias {branch, epsilon, axis}: see ApplyBias; New applies it to the
//     initial weights with Stream(seed, "bias", 0).
//   - gray_branch B: branch B's first conv reads gray(x); see Model.Build.
//
// A layer named by a regime may be "branch.*.I": it stands for that layer of
// every branch, each handled on its own (its own stream).

// mixIndex returns I of a mixing layer name "branch.*.I".
func mixIndex(layer string) (int, error) {
	rest, ok := strings.CutPrefix(layer, "branch.*.")
	i, err := strconv.Atoi(rest)
	if !ok || err != nil || i < 1 || strconv.Itoa(i) != rest {
		return 0, fmt.Errorf("trainer: mixing layer %q: want branch.*.I with I >= 1", layer)
	}
	return i, nil
}

// checkMixing checks that every branch has the mixed layer, reading inputs of
// one width: the mixed layer's input is their concatenation.
func (a *Arch) checkMixing() error {
	for b, br := range a.Branches {
		if a.MixLayer >= len(br) {
			return fmt.Errorf("trainer: mixing layer branch.*.%d: branch %d has %d layer(s)", a.MixLayer, b, len(br))
		}
		prev, ref := br[a.MixLayer-1], a.Branches[0][a.MixLayer-1]
		if prev.Out != ref.Out || prev.OutH != ref.OutH || prev.OutW != ref.OutW {
			return fmt.Errorf("trainer: mixing layer branch.*.%d: branch %d's input %dx%dx%d differs from branch 0's %dx%dx%d",
				a.MixLayer, b, prev.Out, prev.OutH, prev.OutW, ref.Out, ref.OutH, ref.OutW)
		}
	}
	return nil
}

// DrawMask returns the connection mask of branch b's mixed layer, with
// weights [out, B*in, k, k] reading the concatenation of the B branches'
// previous layers (branch 0's in channels first):
//
//	mask[o][j][.][.] = 1                       if j / in == b (its own branch)
//	                 = 1 if u(b,o,j) < p, else 0  otherwise
//
// where u(b,o,j) is one rng.Float64() per cross-branch (output unit, input
// channel) pair, drawn in order of o then j. A pair is connected or not at
// every tap alike. So p = 0 gives the branched layer (all cross-branch
// weights 0), p = 1 the dense one, and for the same rng two values p < p'
// give nested masks. Every pair is drawn whatever p is.
func DrawMask(b, branches, out, in, k int, p float64, rng *rand.Rand) []float32 {
	kk := k * k
	mask := make([]float32, out*branches*in*kk)
	for o := range out {
		for j := range branches * in {
			on := j/in == b
			if !on {
				on = rng.Float64() < p
			}
			if on {
				row := mask[(o*branches*in+j)*kk : (o*branches*in+j+1)*kk]
				for t := range row {
					row[t] = 1
				}
			}
		}
	}
	return mask
}

// drawMasks draws the masks of every mixed layer, branch 0's first, from one
// stream, and sets each weight's FanIn to its mean effective fan-in.
func (m *Model) drawMasks(rng *rand.Rand) {
	a := m.arch
	branches := len(a.Branches)
	for b, br := range a.Branches {
		cv := br[a.MixLayer]
		p := m.Weight(cv.Name)
		p.Mask = DrawMask(b, branches, cv.Out, cv.In/branches, cv.Kernel, a.MixP, rng)
		on := 0
		for _, v := range p.Mask {
			if v != 0 {
				on++
			}
		}
		p.FanIn = int(math.Round(float64(on) / float64(cv.Out)))
		for _, q := range m.params {
			if q.Layer == cv.Name {
				q.FanIn = p.FanIn
			}
		}
	}
}

// ApplyBias adds a chromatic bias of size epsilon = bias.Epsilon to every
// unit's kernel of branch bias.Branch's first conv, which reads the RGB
// input. For unit o with kernel w_o [3, K, K]:
//
//	g_o  ~ N(0, I) over [3, K, K]                  (3*K*K draws from rng)
//	c_o  = P g_o                                   (purely chromatic)
//	d_o  = c_o - (<c_o, w_o> / ||P w_o||^2) P w_o  (orthogonal to w_o)
//	u_o  = d_o / ||d_o||
//	w_o += epsilon * ||w_o|| * u_o
//
// where P w is w's chromatic part: its part off the achromatic axis a at
// every tap t, P w_t = w_t - (w_t . a) a, with a by bias.Axis:
//
//	"rgb"        a = (1, 1, 1)/sqrt(3)        (P w = w - mean_rgb(w))
//	"luminance"  a = L/||L||, L = (0.299, 0.587, 0.114) (Rec. 601)
//
// The luminance axis is the one along which the metrics measure kernel
// chroma when every input channel has one gain (experiments.InputGain,
// metrics.LuminanceAxis; configs allows it only then), so with it the
// planted bias is what chroma.bB measures; the equal-weight axis (the
// default, kept so that runs made before the key keep their bits) plants
// a bias that chroma along L sees only in part.
//
// P is an orthogonal projection, so u_o is a random unit-norm, purely
// chromatic kernel orthogonal to w_o: the update grows ||w_o|| by the
// factor sqrt(1 + epsilon^2) and sets the kernel chroma along a (science.md,
// c = ||P w||^2 / ||w||^2) to exactly
//
//	c' = (c + epsilon^2) / (1 + epsilon^2)
//
// which rises monotonically with epsilon from c (epsilon = 0) towards 1.
// Units are visited in order and draw from rng in turn. A unit whose kernel
// is 0 is left alone (after its draws); one whose chromatic part is 0 takes
// u_o = c_o / ||c_o||. Draws are redone while ||d_o|| = 0, which has
// probability 0. Biases (the ".b" tensors) are not touched.
//
// It returns an error when the model has a stem or the input does not have
// 3 channels, or for an unknown axis (the configs package rejects such
// configs already).
func (m *Model) ApplyBias(bias configs.Bias, rng *rand.Rand) error {
	a := m.arch
	b := bias.Branch
	if len(a.Stem) > 0 || a.C != 3 {
		return fmt.Errorf("trainer: bias regime: needs 3-channel input read by the branches, have %d channel(s) and %d stem layer(s)", a.C, len(a.Stem))
	}
	if b < 0 || b >= len(a.Branches) {
		return fmt.Errorf("trainer: bias regime: no branch %d (have %d)", b, len(a.Branches))
	}
	var axis *[3]float64
	switch bias.Axis {
	case configs.BiasAxisRGB:
	case configs.BiasAxisLuminance:
		l := [3]float64{data.LumaR, data.LumaG, data.LumaB}
		n := math.Sqrt(l[0]*l[0] + l[1]*l[1] + l[2]*l[2])
		axis = &[3]float64{l[0] / n, l[1] / n, l[2] / n}
	default:
		return fmt.Errorf("trainer: bias regime: axis %q, want %q or %q", bias.Axis, configs.BiasAxisRGB, configs.BiasAxisLuminance)
	}
	cv := a.Branches[b][0]
	w := m.Weight(cv.Name).Data()
	kk := cv.Kernel * cv.Kernel
	size := 3 * kk
	g := make([]float64, size)
	for o := range cv.Out {
		applyBiasUnit(w[o*size:(o+1)*size], kk, bias.Epsilon, axis, g, rng)
	}
	return nil
}

// applyBiasUnit biases one kernel w [3, kk] off axis (nil: the equal-weight
// axis); g is scratch of len(w).
func applyBiasUnit(w []float32, kk int, epsilon float64, axis *[3]float64, g []float64, rng *rand.Rand) {
	wd := make([]float64, len(w))
	for i, v := range w {
		wd[i] = float64(v)
	}
	pw := chromatic(wd, kk, axis)
	wNorm, pwSq := math.Sqrt(dot(wd, wd)), dot(pw, pw)
	for {
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		c := chromatic(g, kk, axis)
		if wNorm == 0 {
			return
		}
		if pwSq > 0 {
			f := dot(c, wd) / pwSq
			for i := range c {
				c[i] -= f * pw[i]
			}
		}
		n := math.Sqrt(dot(c, c))
		if n == 0 {
			continue
		}
		for i := range w {
			w[i] = float32(wd[i] + epsilon*wNorm*c[i]/n)
		}
		return
	}
}

// chromatic returns the part of a kernel x [3, kk] off the unit axis a at
// every tap, x_t - (x_t . a) a; a = nil is the equal-weight axis, computed
// as x_t - mean_rgb(x_t) (the arithmetic of runs made before the axis
// choice, so their bits are kept).
func chromatic(x []float64, kk int, a *[3]float64) []float64 {
	c := make([]float64, len(x))
	for t := range kk {
		if a == nil {
			m := (x[t] + x[kk+t] + x[2*kk+t]) / 3
			for ch := range 3 {
				c[ch*kk+t] = x[ch*kk+t] - m
			}
			continue
		}
		p := x[t]*a[0] + x[kk+t]*a[1] + x[2*kk+t]*a[2]
		for ch := range 3 {
			c[ch*kk+t] = x[ch*kk+t] - p*a[ch]
		}
	}
	return c
}

func dot(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// interventions are a config's freeze and rerandomize regimes resolved to
// the model's parameters.
type interventions struct {
	// freeze maps a parameter name to its frozen step ranges [from, to),
	// to = MaxInt for "to the end".
	freeze map[string][][2]int
	rerand []rerandomizer
}

// rerandomizer redraws one layer every `every` steps.
type rerandomizer struct {
	layer  string
	every  int
	params []*Param
}

// newInterventions resolves the regime's layer names (branch.*.I
// expanded) against m.
func newInterventions(cfg *configs.Config, m *Model) (*interventions, error) {
	s := &interventions{freeze: map[string][][2]int{}}
	layerParams := func(name string) ([]string, [][]*Param, error) {
		layers, err := cfg.Expand(name)
		if err != nil {
			return nil, nil, fmt.Errorf("trainer: regime layer %q: %w", name, err)
		}
		ps := make([][]*Param, len(layers))
		for i, l := range layers {
			for _, p := range m.params {
				if p.Layer == l {
					ps[i] = append(ps[i], p)
				}
			}
			if len(ps[i]) == 0 {
				return nil, nil, fmt.Errorf("trainer: regime layer %q: the model has no layer %s", name, l)
			}
		}
		return layers, ps, nil
	}
	for _, f := range cfg.Regime.Freeze {
		_, ps, err := layerParams(f.Layer)
		if err != nil {
			return nil, err
		}
		to := f.To
		if to < 0 {
			to = math.MaxInt
		}
		for _, group := range ps {
			for _, p := range group {
				s.freeze[p.Name] = append(s.freeze[p.Name], [2]int{f.From, to})
			}
		}
	}
	for _, rr := range cfg.Regime.Rerandomize {
		layers, ps, err := layerParams(rr.Layer)
		if err != nil {
			return nil, err
		}
		for i, l := range layers {
			s.rerand = append(s.rerand, rerandomizer{layer: l, every: rr.Every, params: ps[i]})
		}
	}
	return s, nil
}

// frozen reports whether parameter name is frozen in the update of step.
func (s *interventions) frozen(name string, step int) bool {
	for _, r := range s.freeze[name] {
		if step >= r[0] && step < r[1] {
			return true
		}
	}
	return false
}

// Frozen reports whether the update of step s (from StepCount() = s to
// s+1) leaves parameter name unchanged under the freeze regime.
func (t *Trainer) Frozen(name string, s int) bool { return t.ivs.frozen(name, s) }

// rerandomize applies the rerandomize regime due at the start of the
// current step (see the top of this file).
func (t *Trainer) rerandomize() error {
	s := t.step
	if s == 0 || len(t.ivs.rerand) == 0 {
		return nil
	}
	var names []string
	for _, rr := range t.ivs.rerand {
		if s%rr.every != 0 {
			continue
		}
		rng := Stream(t.cfg.Seed, "rerandomize/"+rr.layer, uint64(s))
		for _, p := range rr.params {
			t.model.InitParam(p, rng)
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	st := t.solver.State()
	for _, name := range names {
		if _, ok := st.ParamSteps[name]; !ok {
			continue // the solver has not seen the parameter yet: nothing to reset
		}
		st.ParamSteps[name] = 0
		for key, slot := range st.Slots {
			if _, pn, _ := strings.Cut(key, "/"); pn == name {
				clear(slot)
			}
		}
	}
	if err := t.solver.SetState(st); err != nil {
		return fmt.Errorf("trainer: rerandomize at step %d: reset solver: %w", s, err)
	}
	return nil
}

// ApplyBias applies a bias regime to the current weights with the stream
// Stream(seed, "bias", counter). New applies the config's bias at init with
// counter 0; a fork that changes regime.bias applies it to the forked
// weights with counter = the fork step (a late counter-bias). The solver's
// state is left as it is.
func (t *Trainer) ApplyBias(b configs.Bias, counter uint64) error {
	if b.Epsilon == 0 {
		return nil
	}
	return t.model.ApplyBias(b, Stream(t.cfg.Seed, "bias", counter))
}
