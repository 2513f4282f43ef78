package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"branchspec/configs"
	"branchspec/metrics"
	"branchspec/trainer"
	"branchspec/trainer/data"
)

// Specialization metric keys (science.md, "Metrics to log at each
// checkpoint"). B is a branch index, K a class. Every eta2 key comes with
// .z and .p from its branch-label permutation null.
//
//	chroma.bB, chroma.eta2        kernel chroma of the first RGB conv (item 1)
//	freq.bB, freq.eta2            kernel frequency centroid, cycles/pixel (item 1)
//	csi.bB, csi.eta2              colour selectivity of the first conv, probes (item 2)
//	csi.rejoin.bB, csi.rejoin.eta2  colour selectivity of each branch's last layer
//	family.chroma.nmi             NMI(colour family by chroma > 0.5; branch) (item 4)
//	family.chroma.bB.log10p       log10 P(X >= k) of the branch's colour units
//	family.csi.nmi, family.csi.bB.log10p   the same with CSI > 0.5
//	rejoin.maxshare, rejoin.entropy   dependency of the first layer after the concat (item 5)
//	ncut.rejoin, ncut.rejoin.z    n-cut of the rejoin's |W| graph vs kernel shuffles (item 6)
//	cka.between                   mean pairwise linear CKA of branch outputs (item 7)
//	cka.gray.bB                   CKA(branch(x), branch(gray(x))): colour invariance
//	lesion.base, lesion.bB        accuracy, and its drop with branch B zeroed (item 8)
//	lesion.bB.cK                  the drop on class K
//	grad.share.bB                 share of the squared gradient norm, since the last checkpoint (item 9)
const familyThreshold = 0.5

// measure computes the specialization metrics at the current step. Its
// randomness (permutation nulls) comes from a stream of the run's seed and
// the step, so a recomputation from the checkpoint gives the same bits.
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
// held-out evaluator, a probe-sized evaluator and the probe bank.
type instruments struct {
	cfg      configs.Metrics
	model    *trainer.Model
	ev       *trainer.Evaluator
	test     *data.Set
	probeSet *data.Set // nil when the input is not RGB or probes = 0
	probeEv  *trainer.Evaluator
	headEv   *trainer.HeadEvaluator // the layers after the rejoin, for lesions
}

func newInstruments(cfg *configs.Config, model *trainer.Model, ev *trainer.Evaluator, test *data.Set) (*instruments, error) {
	in := &instruments{cfg: cfg.Metrics, model: model, ev: ev, test: test}
	c, h, w := model.InputShape()
	if c == 3 && cfg.Metrics.Enabled && cfg.Metrics.Probes > 0 {
		x, _ := metrics.ProbeBank(max(cfg.Metrics.Probes/4, 1), h)
		n := len(x) / (3 * h * w)
		in.probeSet = &data.Set{C: 3, H: h, W: w, Classes: 1, X: x, Y: make([]int32, n)}
		pe, err := model.NewEvaluator(n)
		if err != nil {
			return nil, err
		}
		in.probeEv = pe
	}
	if model.Branches() > 1 && cfg.Metrics.Enabled && cfg.Metrics.LesionExamples > 0 {
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

// MetricGroups names the groups of specialization metrics, in the order
// they are computed.
func MetricGroups() []string { return []string{"kernel", "rejoin", "csi", "cka", "lesion"} }

// run computes the named metric groups.
func (m *measurer) run(groups []string) error {
	fns := map[string]func() error{
		"kernel": func() error { m.kernels(); return nil },
		"rejoin": func() error { m.rejoin(); return nil },
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
}

// heldout is one ungated forward pass over the first examples of the
// held-out set, shared by CKA (branch outputs) and lesions (the baseline).
type heldout struct {
	n     int
	feats [][]float32 // per branch, [nCKA, features] of its output
	nCKA  int
	base  trainer.Result // accuracy on the first lesion_examples
}

// rng is the stream of one metric's permutation null at this step: its own
// stream, so that computing a subset of the metrics gives the same values.
func (m *measurer) rng(key string) *rand.Rand {
	return trainer.Stream(m.seed, "metrics/"+key, uint64(m.step))
}

func (m *measurer) branches() int { return m.model.Branches() }

// split logs the per-branch means of unit scores and their eta^2 with its
// permutation null.
func (m *measurer) split(key string, scores []float64, groups []int) {
	sums, counts := make([]float64, m.branches()), make([]int, m.branches())
	for i, g := range groups {
		sums[g] += scores[i]
		counts[g]++
	}
	for b := range sums {
		m.vals[fmt.Sprintf("%s.b%d", key, b)] = sums[b] / float64(counts[b])
	}
	if m.branches() < 2 {
		return
	}
	stat := func(g []int) float64 { return metrics.EtaSquared(scores, g) }
	eta, z, p := metrics.PermutationTest(stat, groups, m.cfg.Permutations, m.rng(key))
	m.vals[key+".eta2"], m.vals[key+".eta2.z"], m.vals[key+".eta2.p"] = eta, z, p
}

// family logs the concentration of units whose score exceeds the threshold.
func (m *measurer) family(key string, scores []float64, groups []int) {
	if m.branches() < 2 {
		return
	}
	labels := metrics.FamilyLabels(scores, familyThreshold)
	m.vals[key+".nmi"] = metrics.NMI(labels, groups)
	for b, lp := range metrics.FamilyLogTails(labels, 1, groups, m.branches()) {
		m.vals[fmt.Sprintf("%s.b%d.log10p", key, b)] = lp
	}
}

// kernels: chroma and frequency of each branch's first conv, when the
// branches read the RGB image directly.
func (m *measurer) kernels() {
	ks := m.model.FirstKernels()
	if ks[0].Branch < 0 || ks[0].In != 3 {
		return // a stem reads the image, or it is not RGB
	}
	var chroma, freq []float64
	var groups []int
	for b, k := range ks {
		size := k.In * k.Kernel * k.Kernel
		for o := 0; o < k.Out; o++ {
			w := k.W[o*size : (o+1)*size]
			chroma = append(chroma, metrics.Chroma(w, k.Kernel))
			freq = append(freq, metrics.FrequencyCentroid(w, k.In, k.Kernel))
			groups = append(groups, b)
		}
	}
	m.split("chroma", chroma, groups)
	m.split("freq", freq, groups)
	m.family("family.chroma", chroma, groups)
}

func (m *measurer) rejoin() {
	if m.branches() < 2 {
		return
	}
	r := m.model.Rejoin()
	A, maxShare, entropy := metrics.RejoinDependency(r.W, r.Out, r.In, r.Taps, r.Groups, r.Branches)
	m.vals["rejoin.maxshare"], m.vals["rejoin.entropy"] = maxShare, entropy
	// Each output unit joins the branch it reads most.
	partOut := make([]int, r.Out)
	for o, row := range A {
		for b, v := range row {
			if v > row[partOut[o]] {
				partOut[o] = b
			}
		}
	}
	obs, z, _ := metrics.NCutShuffleTest(r.W, r.Out, r.In, r.Taps, partOut, r.Groups, r.Branches, m.cfg.Shuffles, m.rng("ncut.rejoin"))
	m.vals["ncut.rejoin"], m.vals["ncut.rejoin.z"] = obs, z
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
	actGray, err := unitMeans(m.probeEv, m.probeSet.Grayscale(), n, layers)
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
		m.family("family.csi", scores, groups)
	}
	scores, groups := byBranch(nFirst)
	m.split("csi.rejoin", scores, groups)
	return nil
}

// heldoutPass runs the ungated net once over the first held-out examples
// that CKA and lesions need, keeping every branch's output and the accuracy
// on the first lesion_examples.
func (m *measurer) heldoutPass() (*heldout, error) {
	if m.heldout != nil {
		return m.heldout, nil
	}
	nCKA := min(m.cfg.CKAExamples, m.test.Len())
	nLes := min(m.cfg.LesionExamples, m.test.Len())
	h := &heldout{n: max(nCKA, nLes), nCKA: nCKA, feats: make([][]float32, m.branches())}
	if h.n > 0 {
		r, err := m.ev.EvaluateEach(m.test, h.n, nil, m.collect(h.feats, h.n))
		if err != nil {
			return nil, err
		}
		h.base = r.Prefix(nLes, m.test.Y)
	}
	m.heldout = h
	return h, nil
}

// evaluateAll evaluates the whole held-out set and keeps, from the same
// pass, what heldoutPass would compute: its first batches are the same
// batches, so the values are the same bits.
func (m *measurer) evaluateAll() (trainer.Result, error) {
	nCKA := min(m.cfg.CKAExamples, m.test.Len())
	nLes := min(m.cfg.LesionExamples, m.test.Len())
	h := &heldout{n: max(nCKA, nLes), nCKA: nCKA, feats: make([][]float32, m.branches())}
	r, err := m.ev.EvaluateEach(m.test, 0, nil, m.collect(h.feats, h.n))
	if err != nil {
		return r, err
	}
	h.base = r.Prefix(nLes, m.test.Y)
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
	return feats, m.ev.Batches(set, n, m.collect(feats, n))
}

// centeredGrams returns each branch's doubly-centred Gram matrix of its
// features ([n, p] each; trainer.CenteredGram): the input of
// metrics.GramCKA.
func centeredGrams(feats [][]float32, n int) [][]float64 {
	gs := make([][]float64, len(feats))
	for b, f := range feats {
		gs[b] = trainer.CenteredGram(f, n)
	}
	return gs
}

// cka: similarity of the branches' outputs on held-out examples, and of each
// branch's output on x and on gray(x).
func (m *measurer) cka() error {
	h, err := m.heldoutPass()
	if err != nil || h.nCKA == 0 {
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
				sum += metrics.GramCKA(g[i], g[j], n)
				pairs++
			}
		}
		m.vals["cka.between"] = sum / float64(pairs)
	}
	if c, _, _ := m.model.InputShape(); c == 3 {
		gf, err := m.branchFeatures(m.test.Head(n).Grayscale(), n)
		if err != nil {
			return err
		}
		gg := centeredGrams(gf, n)
		for b := range g {
			m.vals[fmt.Sprintf("cka.gray.b%d", b)] = metrics.GramCKA(g[b], gg[b], n)
		}
	}
	return nil
}

// lesions: held-out accuracy with each branch's output zeroed at the
// rejoin. The branches' outputs come from the held-out pass; only the layers
// after the rejoin run again, once per lesioned branch.
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
	for b := 0; b < m.branches(); b++ {
		r, err := m.headEv.Lesion(h.feats, m.test.Y, n, b)
		if err != nil {
			return err
		}
		m.vals[fmt.Sprintf("lesion.b%d", b)] = base.Acc - r.Acc
		for k, acc := range r.PerClass {
			if !math.IsNaN(acc) && !math.IsNaN(base.PerClass[k]) {
				m.vals[fmt.Sprintf("lesion.b%d.c%d", b, k)] = base.PerClass[k] - acc
			}
		}
	}
	return nil
}
