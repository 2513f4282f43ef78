package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"branchspec/configs"
	"branchspec/metrics"
	"branchspec/metrics/stats"
	"branchspec/trainer"
	"branchspec/trainer/data"
)

// Specialization metric keys (science.md revision 2, "Metrics to log at
// each checkpoint"). B is a branch index, K a class, LAYER a layer name.
// A value read against a null comes with KEY.null.mean, KEY.null.sd and
// the one-sided KEY.p = (r+1)/(N+1) (metrics.Null); no z-scores.
//
// First conv that reads RGB (units exchangeable: branch-label permutation
// null of metrics.permutations relabellings, Upper tail):
//
//	chroma.bB, chroma.eta2         kernel chroma along the input's luminance axis (InputGain; item 1)
//	dchroma.bB, dchroma.eta2       the same of dw = w_t - w_0; omitted where dw = 0 (step 0)
//	freq.bB, freq.eta2             frequency centroid, cycles/pixel (item 1)
//	dfreq.bB, dfreq.eta2           the same of dw
//	csi.bB, csi.eta2               colour selectivity on the probe bank (items 2, 3)
//	family.chroma.colour.bB.log10p hypergeometric log10 P(X >= k): units above the 95th
//	family.chroma.achrom.bB.log10p percentile of chroma's chance law Beta(T, T/2) / below the 5th (item 4)
//	family.chroma.nmi              NMI(3-way family label; branch)
//	family.csi.*                   the same for CSI, tails of first-layer CSI over the
//	                               initialisation null's fresh draws
//
// Later layers, the rejoin and CKA (units not exchangeable: the
// initialisation null, metrics.inits fresh draws of the architecture,
// once per run; Upper tail unless noted):
//
//	csi.rejoin.bB, csi.rejoin.eta2 colour selectivity of each branch's last layer
//	rejoin.maxshare                mean over rejoin outputs of the largest branch share of |W| (item 5)
//	rejoin.entropy                 mean normalised entropy of those shares (Lower tail)
//	rejoin.fmaxshare, .fentropy    the same with input channels weighted by mean |activation|
//	                               on the first cka_examples held-out examples (functional)
//	cka.between                    mean pairwise debiased CKA of branch outputs (item 7; Lower)
//	cka.gray.bB                    debiased CKA(branch(x), branch(gray(x))) (Lower)
//
// Other nulls and values:
//
//	ncut.rejoin                    n-cut of the rejoin's |W| graph (item 6), against metrics.shuffles
//	                               within-layer shuffles, the read-most partition derived again
//	                               on every shuffled graph (Lower tail)
//	drift.LAYER                    ||w_t - w_0|| / ||w_0|| of each layer's weights
//	lesion.base                    accuracy on the lesion examples (item 8)
//	lesion.bB, lesion.bB.cK        drop with branch B zeroed at the rejoin, overall and per class,
//	  with .lo, .hi                and its 95% interval (stats.PairedDiffInterval)
//	grad.share.bB                  share of the squared gradient norm since the last checkpoint (item 9)

// measure computes the specialization metrics at the current step. Its
// randomness (permutation and shuffle nulls) comes from streams of the
// run's seed and the step, so a recomputation from the checkpoint gives
// the same bits.
func (s *session) measure(m *measurer, vals map[string]float64) error {
	sq, n := s.tr.TakeGradShare()
	if len(sq) > 1 && n > 0 {
		for b, v := range metrics.Shares(sq) {
			vals[fmt.Sprintf("grad.share.b%d", b)] = v
		}
	}
	if m == nil {
		return nil
	}
	return m.run(MetricGroups())
}

// instruments are what measuring needs and keeps across checkpoints: the
// held-out evaluator, an evaluator of the layers up to the rejoin, the
// probe bank, and what training is measured against.
type instruments struct {
	cfg      configs.Metrics
	model    *trainer.Model
	ev       *trainer.Evaluator // the whole net on held-out data; nil: draws of the null only
	bodyEv   *trainer.Evaluator // the layers up to the rejoin, batch cka_examples (at most 256): branch outputs alone
	test     *data.Set
	testGray *data.Set // gray(x) of the first cka_examples held-out examples
	probeSet *data.Set // nil when the input is not RGB or probes = 0
	probeGr  *data.Set // gray(probes)
	probeEv  *trainer.Evaluator
	headEv   *trainer.HeadEvaluator // the layers after the rejoin, for lesions; nil: no lesions
	lum      [3]float64             // the input space's luminance axis
	origin   *origin                // w_0 and the initialisation nulls; nil: neither
}

// newInstruments builds the instruments of cfg's metrics for model on the
// held-out set test. ev evaluates the whole net on test (and gives the
// batch size); with ev nil the instruments serve only draws of the
// initialisation null: no evaluation, no lesions.
func newInstruments(cfg *configs.Config, model *trainer.Model, ev *trainer.Evaluator, test *data.Set) (*instruments, error) {
	in := &instruments{cfg: cfg.Metrics, model: model, ev: ev, test: test, lum: metrics.LuminanceAxis(InputGain(test))}
	var err error
	if in.bodyEv, err = model.NewBodyEvaluator(evalBatch(in.ckaExamples())); err != nil {
		return nil, err
	}
	c, h, w := model.InputShape()
	if c == 3 {
		in.testGray = test.Head(in.ckaExamples()).Grayscale()
	}
	if c == 3 && cfg.Metrics.Enabled && cfg.Metrics.Probes > 0 {
		x, _ := metrics.ProbeBank(max(cfg.Metrics.Probes/4, 1), h)
		n := len(x) / (3 * h * w)
		// The probes are stored images like the data's, so the net sees
		// them through the same preprocessing.
		in.probeSet = &data.Set{C: 3, H: h, W: w, Classes: 1, X: x, Y: make([]int32, n), Pre: test.Pre}
		in.probeGr = in.probeSet.Grayscale()
		if in.probeEv, err = model.NewBodyEvaluator(n); err != nil {
			in.close()
			return nil, err
		}
	}
	if ev != nil && model.Branches() > 1 && cfg.Metrics.Enabled {
		he, err := model.NewHeadEvaluator(ev.Batch())
		if err != nil {
			in.close()
			return nil, err
		}
		in.headEv = he
	}
	return in, nil
}

func (in *instruments) close() {
	if in.bodyEv != nil {
		in.bodyEv.Close()
	}
	if in.probeEv != nil {
		in.probeEv.Close()
	}
	if in.headEv != nil {
		in.headEv.Close()
	}
}

func (in *instruments) measurer(seed uint64, step int, vals map[string]float64) *measurer {
	return &measurer{instruments: in, seed: seed, step: step, vals: vals}
}

// ckaExamples is the number of held-out examples CKA and the functional
// rejoin dependency use; lesionExamples the number lesions use (0 when
// there are no lesions).
func (in *instruments) ckaExamples() int { return min(in.cfg.CKAExamples, in.test.Len()) }

func (in *instruments) lesionExamples() int {
	switch {
	case in.headEv == nil:
		return 0
	case in.cfg.LesionExamples == 0:
		return in.test.Len()
	}
	return min(in.cfg.LesionExamples, in.test.Len())
}

// MetricGroups names the groups of specialization metrics, in the order
// they are computed.
func MetricGroups() []string {
	return []string{"kernel", "drift", "rejoin", "csi", "cka", "lesion"}
}

// run computes the named metric groups.
func (m *measurer) run(groups []string) error {
	fns := map[string]func() error{
		"kernel": func() error { m.kernels(); return nil },
		"drift":  func() error { m.drift(); return nil },
		"rejoin": m.rejoin,
		"csi":    m.probes,
		"cka":    m.cka,
		"lesion": m.lesions,
	}
	for _, g := range groups {
		fn, ok := fns[g]
		if !ok {
			return fmt.Errorf("unknown metric group %q (have %s)", g, strings.Join(MetricGroups(), ", "))
		}
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", g, err)
		}
	}
	return nil
}

// measurer computes one checkpoint's metrics from a model and held-out data.
type measurer struct {
	*instruments
	seed    uint64
	step    int
	vals    map[string]float64
	heldout *heldout // the ungated pass over held-out examples, once computed
	// draw marks a draw of the initialisation null: the values only, no
	// permutation or shuffle null; csiFirst then keeps the first layer's
	// unit CSIs (the chance distribution of CSI families).
	draw     bool
	csiFirst []float64
}

// heldout is one ungated forward pass over the first examples of the
// held-out set, shared by CKA, the functional rejoin dependency (branch
// outputs) and lesions (the baseline).
type heldout struct {
	n     int
	feats [][]float32 // per branch, [n, features] of its output
	nCKA  int
	base  trainer.Result // accuracy on the first lesion examples
}

// rng is the stream of one metric's permutation or shuffle null at this
// step: its own stream, so that computing a subset of the metrics gives
// the same values.
func (m *measurer) rng(key string) *rand.Rand {
	return trainer.Stream(m.seed, "metrics/"+key, uint64(m.step))
}

func (m *measurer) branches() int { return m.model.Branches() }

// withNull logs v under key with its null's mean, sd and one-sided p.
func (m *measurer) withNull(key string, v float64, null metrics.Null) {
	m.vals[key] = v
	m.vals[key+".null.mean"], m.vals[key+".null.sd"], m.vals[key+".p"] = null.Mean(), null.SD(), null.P(v)
}

// withInitNull logs v under key, with the run's initialisation null of key
// when there is one.
func (m *measurer) withInitNull(key string, v float64) {
	if null, ok := m.origin.null(key); ok && !m.draw {
		m.withNull(key, v, null)
		return
	}
	m.vals[key] = v
}

// split logs the per-branch means of unit scores and, with two branches or
// more, their eta^2 against the branch-label permutation null. Units whose
// score is undefined (NaN: a kernel with dw = 0) are left out; a branch
// left without units has no mean, and the split is then not logged.
func (m *measurer) split(key string, scores []float64, groups []int) {
	s, g := definedUnits(scores, groups)
	counts := m.branchMeans(key, s, g)
	if m.branches() < 2 || m.draw || len(s) < 3 || !allPositive(counts) {
		return
	}
	eta, null := metrics.SplitTest(s, g, m.cfg.Permutations, m.rng(key))
	m.withNull(key+".eta2", eta, null)
}

// branchMeans logs key.bB, the mean of the scores of branch B's units, for
// every branch that has units, and returns the unit count per branch.
func (m *measurer) branchMeans(key string, scores []float64, groups []int) []int {
	sums, counts := make([]float64, m.branches()), make([]int, m.branches())
	for i, g := range groups {
		sums[g] += scores[i]
		counts[g]++
	}
	for b, n := range counts {
		if n > 0 {
			m.vals[fmt.Sprintf("%s.b%d", key, b)] = sums[b] / float64(n)
		}
	}
	return counts
}

// definedUnits returns the scores that are not NaN and their groups.
func definedUnits(scores []float64, groups []int) ([]float64, []int) {
	var s []float64
	var g []int
	for i, v := range scores {
		if !math.IsNaN(v) {
			s, g = append(s, v), append(g, groups[i])
		}
	}
	return s, g
}

func allPositive(n []int) bool {
	for _, v := range n {
		if v <= 0 {
			return false
		}
	}
	return true
}

// families logs the concentration of the two tail families in branches:
// labels from metrics.TailFamilies (FamilyHigh: the colour family,
// FamilyLow: the achromatic one).
func (m *measurer) families(key string, labels, groups []int) {
	if m.branches() < 2 || m.draw {
		return
	}
	m.vals[key+".nmi"] = metrics.NMI(labels, groups)
	for _, f := range []struct {
		name  string
		label int
	}{{"colour", metrics.FamilyHigh}, {"achrom", metrics.FamilyLow}} {
		for b, lp := range metrics.FamilyLogTails(labels, f.label, groups, m.branches()) {
			m.vals[fmt.Sprintf("%s.%s.b%d.log10p", key, f.name, b)] = lp
		}
	}
}

// kernels: chroma and frequency of each branch's first conv and of its
// change since initialisation, when the branches read the RGB image
// directly.
func (m *measurer) kernels() {
	ks := m.model.FirstKernels()
	if ks[0].Branch < 0 || ks[0].In != 3 {
		return // a stem reads the image, or it is not RGB
	}
	var chroma, freq, dchroma, dfreq []float64
	var groups, labels []int
	w0 := m.origin.weights()
	for b, k := range ks {
		size := k.In * k.Kernel * k.Kernel
		init, known := w0[m.model.Weight(k.Layer).Name]
		var cs []float64 // this branch's chroma
		for o := 0; o < k.Out; o++ {
			w := k.W[o*size : (o+1)*size]
			cs = append(cs, metrics.ChromaAlong(w, k.Kernel, m.lum))
			freq = append(freq, metrics.FrequencyCentroid(w, k.In, k.Kernel))
			groups = append(groups, b)
			if known {
				dw := metrics.Delta(w, init[o*size:(o+1)*size])
				dchroma = append(dchroma, metrics.ChromaAlong(dw, k.Kernel, m.lum))
				dfreq = append(dfreq, metrics.FrequencyCentroid(dw, k.In, k.Kernel))
			}
		}
		// The chance tails of a kernel of this shape (dw has none: its
		// entries are not i.i.d., so dchroma gets no families).
		chance := metrics.ChromaChance(k.Kernel * k.Kernel)
		labels = append(labels, metrics.TailFamilies(cs, chance.Quantile(0.05), chance.Quantile(0.95))...)
		chroma = append(chroma, cs...)
	}
	m.split("chroma", chroma, groups)
	m.split("freq", freq, groups)
	m.families("family.chroma", labels, groups)
	if len(dchroma) == len(chroma) {
		m.split("dchroma", dchroma, groups)
		m.split("dfreq", dfreq, groups)
	}
}

// drift: each layer's relative distance from its initial weights.
func (m *measurer) drift() {
	w0 := m.origin.weights()
	for _, p := range m.model.Params() {
		if init, ok := w0[p.Name]; ok && len(p.Shape) > 1 {
			m.vals["drift."+p.Layer] = metrics.Drift(p.Data(), init)
		}
	}
}

// rejoin: the dependency of the first layer after the concat on each
// branch, by weights and by weights times activations, and the n-cut of
// its weight graph.
func (m *measurer) rejoin() error {
	if m.branches() < 2 {
		return nil
	}
	r := m.model.Rejoin()
	_, maxShare, entropy := metrics.RejoinDependency(r.W, r.Out, r.In, r.Taps, r.Groups, r.Branches)
	m.withInitNull("rejoin.maxshare", maxShare)
	m.withInitNull("rejoin.entropy", entropy)
	if act, err := m.rejoinActivity(r); err != nil {
		return err
	} else if act != nil {
		_, fMax, fEnt := metrics.FunctionalRejoinDependency(r.W, r.Out, r.In, r.Taps, r.Groups, r.Branches, act)
		m.withInitNull("rejoin.fmaxshare", fMax)
		m.withInitNull("rejoin.fentropy", fEnt)
	}
	if !m.draw {
		obs, null := metrics.NCutTest(r.W, r.Out, r.In, r.Taps, nil, r.Groups, r.Branches, m.cfg.Shuffles, m.rng("ncut.rejoin"))
		m.withNull("ncut.rejoin", obs, null)
	}
	return nil
}

// rejoinActivity returns the mean absolute activation of each input
// channel of the rejoin (the branches' outputs, in concat order) over the
// first cka_examples held-out examples and all positions; nil when there
// are none.
func (m *measurer) rejoinActivity(r trainer.Rejoin) ([]float64, error) {
	h, err := m.heldoutPass()
	if err != nil || h.nCKA == 0 {
		return nil, err
	}
	act := make([]float64, 0, r.In)
	for b, f := range h.feats {
		ch := 0
		for _, g := range r.Groups {
			if g == b {
				ch++
			}
		}
		p := len(f) / h.n // features per example
		hw := p / ch
		for c := range ch {
			var sum float64
			for e := range h.nCKA {
				for _, v := range f[e*p+c*hw : e*p+(c+1)*hw] {
					sum += math.Abs(float64(v))
				}
			}
			act = append(act, sum/float64(h.nCKA*hw))
		}
	}
	return act, nil
}

// unitMeans runs ev on the first n examples of set and returns, for the
// activations layers picks from each batch, each unit's mean activation
// per example: out[layer][unit*n + example].
func unitMeans(ev *trainer.Evaluator, set *data.Set, n int, layers func(trainer.Activations) []trainer.Feature) ([][]float64, error) {
	var out [][]float64
	err := ev.Batches(set, n, func(a trainer.Activations) error {
		fs := layers(a)
		if out == nil {
			out = make([][]float64, len(fs))
			for i, f := range fs {
				out[i] = make([]float64, f.C*n)
			}
		}
		for i, f := range fs {
			for e := 0; e < f.N; e++ {
				for u := 0; u < f.C; u++ {
					sum := 0.0
					for _, x := range f.Data[(e*f.C+u)*f.HW : (e*f.C+u+1)*f.HW] {
						sum += float64(x)
					}
					out[i][u*n+a.Lo+e] = sum / float64(f.HW)
				}
			}
		}
		return nil
	})
	return out, err
}

// probes: colour selectivity of each branch's first and last layer, from the
// deterministic probe bank and its grayscale twin.
func (m *measurer) probes() error {
	if m.probeSet == nil {
		return nil
	}
	n := m.probeSet.Len()
	nFirst := len(m.model.FirstKernels())
	layers := func(a trainer.Activations) []trainer.Feature {
		var fs []trainer.Feature
		for i := range nFirst {
			fs = append(fs, a.FirstLayer(i))
		}
		for b := range m.branches() {
			fs = append(fs, a.BranchOutput(b))
		}
		return fs
	}
	act, err := unitMeans(m.probeEv, m.probeSet, n, layers)
	if err != nil {
		return err
	}
	actGray, err := unitMeans(m.probeEv, m.probeGr, n, layers)
	if err != nil {
		return err
	}
	csiOf := func(i int) (scores []float64) {
		units := len(act[i]) / n
		for u := 0; u < units; u++ {
			scores = append(scores, metrics.CSI(act[i][u*n:(u+1)*n], actGray[i][u*n:(u+1)*n], m.cfg.CSITop))
		}
		return scores
	}
	// byBranch scores the units of layers first..first+B-1, one per branch.
	byBranch := func(first int) (scores []float64, groups []int) {
		for b := 0; b < m.branches(); b++ {
			s := csiOf(first + b)
			scores = append(scores, s...)
			for range s {
				groups = append(groups, b)
			}
		}
		return scores, groups
	}
	if nFirst == m.branches() {
		scores, groups := byBranch(0)
		m.split("csi", scores, groups)
		if m.draw {
			m.csiFirst = append(m.csiFirst, scores...)
		} else if lo, hi, ok := m.origin.csiTails(); ok {
			m.families("family.csi", metrics.TailFamilies(scores, lo, hi), groups)
		}
	}
	scores, groups := byBranch(nFirst)
	m.branchMeans("csi.rejoin", scores, groups)
	if m.branches() > 1 {
		m.withInitNull("csi.rejoin.eta2", metrics.EtaSquared(scores, groups))
	}
	return nil
}

// heldoutPass runs the ungated net once over the first held-out examples
// that CKA, the functional rejoin dependency and lesions need, keeping
// every branch's output and the accuracy on the lesion examples.
func (m *measurer) heldoutPass() (*heldout, error) {
	if m.heldout != nil {
		return m.heldout, nil
	}
	h := m.newHeldout()
	switch {
	case h.n == 0:
	case m.draw || m.ev == nil: // no lesion, so no accuracy: the branches alone
		if err := m.bodyEv.Batches(m.test, h.n, m.collect(h.feats, h.n)); err != nil {
			return nil, err
		}
	default:
		r, err := m.ev.EvaluateEach(m.test, h.n, nil, m.collect(h.feats, h.n))
		if err != nil {
			return nil, err
		}
		h.base = r.Prefix(m.lesionExamples(), m.test.Y)
	}
	m.heldout = h
	return h, nil
}

func (m *measurer) newHeldout() *heldout {
	nCKA, nLes := m.ckaExamples(), m.lesionExamples()
	if m.draw {
		nLes = 0 // a draw of the null computes no lesion
	}
	return &heldout{n: max(nCKA, nLes), nCKA: nCKA, feats: make([][]float32, m.branches())}
}

// evaluateAll evaluates the whole held-out set and keeps, from the same
// pass, what heldoutPass would compute: its first batches are the same
// batches, so the values are the same bits.
func (m *measurer) evaluateAll() (trainer.Result, error) {
	h := m.newHeldout()
	r, err := m.ev.EvaluateEach(m.test, 0, nil, m.collect(h.feats, h.n))
	if err != nil {
		return r, err
	}
	h.base = r.Prefix(m.lesionExamples(), m.test.Y)
	m.heldout = h
	return r, nil
}

// collect returns a per-batch hook that copies each branch's output for
// examples below n into feats[b] ([n, features]).
func (m *measurer) collect(feats [][]float32, n int) func(trainer.Activations) error {
	return func(a trainer.Activations) error {
		if a.Lo >= n {
			return nil
		}
		hi := min(a.Hi, n)
		for b := range feats {
			f := a.BranchOutput(b)
			p := f.C * f.HW
			if feats[b] == nil {
				feats[b] = make([]float32, n*p)
			}
			copy(feats[b][a.Lo*p:hi*p], f.Data[:(hi-a.Lo)*p])
		}
		return nil
	}
}

// branchFeatures returns each branch's output at the rejoin for the first
// n examples of set, [n, features] per branch, with no branch lesioned.
func (m *measurer) branchFeatures(set *data.Set, n int) ([][]float32, error) {
	feats := make([][]float32, m.branches())
	if n == 0 {
		return feats, nil
	}
	return feats, m.bodyEv.Batches(set, n, m.collect(feats, n))
}

// centeredGrams returns each branch's doubly-centred Gram matrix of its
// features ([n, p] each; trainer.CenteredGram): the input of
// metrics.DebiasedGramCKA.
func centeredGrams(feats [][]float32, n int) [][]float64 {
	gs := make([][]float64, len(feats))
	for b, f := range feats {
		gs[b] = trainer.CenteredGram(f, n)
	}
	return gs
}

// cka: debiased CKA of the branches' outputs on held-out examples, and of
// each branch's output on x and on gray(x).
func (m *measurer) cka() error {
	h, err := m.heldoutPass()
	if err != nil || h.nCKA < 4 {
		return err
	}
	n := h.nCKA
	feats := make([][]float32, len(h.feats))
	for b, f := range h.feats {
		feats[b] = f[:len(f)/h.n*n]
	}
	g := centeredGrams(feats, n)
	if m.branches() > 1 {
		sum, pairs := 0.0, 0
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				sum += metrics.DebiasedGramCKA(g[i], g[j], n)
				pairs++
			}
		}
		m.withInitNull("cka.between", sum/float64(pairs))
	}
	if c, _, _ := m.model.InputShape(); c == 3 {
		gf, err := m.branchFeatures(m.testGray, n)
		if err != nil {
			return err
		}
		gg := centeredGrams(gf, n)
		for b := range g {
			m.withInitNull(fmt.Sprintf("cka.gray.b%d", b), metrics.DebiasedGramCKA(g[b], gg[b], n))
		}
	}
	return nil
}

// lesions: held-out accuracy with each branch's output zeroed at the
// rejoin, its drop overall and per class with 95% intervals. The
// branches' outputs come from the held-out pass; only the layers after the
// rejoin run again, once per lesioned branch.
func (m *measurer) lesions() error {
	if m.headEv == nil {
		return nil
	}
	h, err := m.heldoutPass()
	if err != nil {
		return err
	}
	base, n := h.base, h.base.N
	m.vals["lesion.base"] = base.Acc
	y := m.test.Y[:n]
	for b := 0; b < m.branches(); b++ {
		r, err := m.headEv.Lesion(h.feats, m.test.Y, n, b)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("lesion.b%d", b)
		m.vals[key] = base.Acc - r.Acc
		m.vals[key+".lo"], m.vals[key+".hi"] = dropInterval(base.Correct, r.Correct, y, -1)
		for k, acc := range r.PerClass {
			if !math.IsNaN(acc) && !math.IsNaN(base.PerClass[k]) {
				ck := fmt.Sprintf("%s.c%d", key, k)
				m.vals[ck] = base.PerClass[k] - acc
				m.vals[ck+".lo"], m.vals[ck+".hi"] = dropInterval(base.Correct, r.Correct, y, int32(k))
			}
		}
	}
	return nil
}

// dropInterval is the 95% interval of the accuracy drop from the intact
// net (before[i]: example i correct) to the lesioned one (after), on the
// examples of class k (every example when k < 0): paired proportions on
// the same examples, stats.PairedDiffInterval.
func dropInterval(before, after []bool, y []int32, k int32) (lo, hi float64) {
	var t [4]int // both, before only, after only, neither
	for i, ok := range before {
		if k >= 0 && y[i] != k {
			continue
		}
		switch {
		case ok && after[i]:
			t[0]++
		case ok:
			t[1]++
		case after[i]:
			t[2]++
		default:
			t[3]++
		}
	}
	return stats.PairedDiffInterval(t[0], t[1], t[2], t[3], 0.95)
}
