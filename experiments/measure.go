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
	"branchspec/trainer/ops/gemm"

	G "gorgonia.org/gorgonia"
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
	headEv   *trainer.Evaluator // the layers after the rejoin, for lesions
}

func newInstruments(cfg *configs.Config, model *trainer.Model, ev *trainer.Evaluator, test *data.Set) (*instruments, error) {
	in := &instruments{cfg: cfg.Metrics, model: model, ev: ev, test: test}
	a := model.Arch
	if a.C == 3 && cfg.Metrics.Enabled && cfg.Metrics.Probes > 0 {
		x, _ := metrics.ProbeBank(max(cfg.Metrics.Probes/4, 1), a.H)
		n := len(x) / (3 * a.H * a.W)
		in.probeSet = &data.Set{C: 3, H: a.H, W: a.W, Classes: 1, X: x, Y: make([]int32, n)}
		pe, err := model.NewEvaluator(n)
		if err != nil {
			return nil, err
		}
		in.probeEv = pe
	}
	if len(a.Branches) > 1 && cfg.Metrics.Enabled && cfg.Metrics.LesionExamples > 0 {
		he, err := model.NewHeadEvaluator(ev.Net.Batch)
		if err != nil {
			in.close()
			return nil, err
		}
		in.headEv = he
	}
	return in, nil
}

func (in *instruments) close() {
	for _, e := range []*trainer.Evaluator{in.probeEv, in.headEv} {
		if e != nil {
			e.Close()
		}
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

func (m *measurer) branches() int { return len(m.model.Arch.Branches) }

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
	a := m.model.Arch
	if len(a.Stem) > 0 || a.C != 3 {
		return
	}
	var chroma, freq []float64
	var groups []int
	for b, br := range a.Branches {
		cv := br[0]
		w := m.model.Param(cv.Name + ".w").Data()
		size := cv.In * cv.K * cv.K
		for o := 0; o < cv.Out; o++ {
			k := w[o*size : (o+1)*size]
			chroma = append(chroma, metrics.Chroma(k, cv.K))
			freq = append(freq, metrics.FrequencyCentroid(k, cv.In, cv.K))
			groups = append(groups, b)
		}
	}
	m.split("chroma", chroma, groups)
	m.split("freq", freq, groups)
	m.family("family.chroma", chroma, groups)
}

// rejoinLayer returns the weights of the first layer after the concat as
// [out, in channels, taps] with each input channel's branch.
func (m *measurer) rejoinLayer() (w []float32, out, in, taps int, groups []int) {
	a := m.model.Arch
	for b, c := range a.RejoinChannels {
		for range c {
			groups = append(groups, b)
		}
	}
	in = len(groups)
	if len(a.Trunk) > 0 {
		cv := a.Trunk[0]
		return m.model.Param(cv.Name + ".w").Data(), cv.Out, in, cv.K * cv.K, groups
	}
	name, o := a.Out.Name, a.Out.Out
	if len(a.Hidden) > 0 {
		name, o = a.Hidden[0].Name, a.Hidden[0].Out
	}
	// A linear layer after the flatten reads channel-major inputs, so its
	// weights are [out, channel, pixel].
	return m.model.Param(name + ".w").Data(), o, in, a.RejoinH * a.RejoinW, groups
}

func (m *measurer) rejoin() {
	if m.branches() < 2 {
		return
	}
	w, out, in, taps, groups := m.rejoinLayer()
	A, maxShare, entropy := metrics.RejoinDependency(w, out, in, taps, groups, m.branches())
	m.vals["rejoin.maxshare"], m.vals["rejoin.entropy"] = maxShare, entropy
	// Each output unit joins the branch it reads most.
	partOut := make([]int, out)
	for o, row := range A {
		for b, v := range row {
			if v > row[partOut[o]] {
				partOut[o] = b
			}
		}
	}
	obs, z, _ := metrics.NCutShuffleTest(w, out, in, taps, partOut, groups, m.branches(), m.cfg.Shuffles, m.rng("ncut.rejoin"))
	m.vals["ncut.rejoin"], m.vals["ncut.rejoin.z"] = obs, z
}

// unitMeans runs ev on the first n examples of set and returns, for the
// chosen activations, each unit's mean activation per example:
// out[layer][unit*n + example].
func unitMeans(ev *trainer.Evaluator, set *data.Set, n int, layers func(*trainer.Net) []*G.Node) ([][]float64, error) {
	nodes := layers(ev.Net)
	out := make([][]float64, len(nodes))
	for i, nd := range nodes {
		out[i] = make([]float64, nd.Shape()[1]*n)
	}
	err := ev.Batches(set, n, func(lo, hi int) error {
		for i, nd := range nodes {
			sh := nd.Shape()
			units, hw := sh[1], sh[2]*sh[3]
			v := nd.Value().Data().([]float32)
			for e := 0; e < hi-lo; e++ {
				for u := 0; u < units; u++ {
					sum := 0.0
					for _, x := range v[(e*units+u)*hw : (e*units+u+1)*hw] {
						sum += float64(x)
					}
					out[i][u*n+lo+e] = sum / float64(hw)
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
	layers := func(net *trainer.Net) []*G.Node {
		return append(append([]*G.Node(nil), net.FirstAct...), net.BranchOut...)
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
	nFirst := len(m.probeEv.Net.FirstAct)
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
		for b := range m.ev.Net.Gates {
			m.ev.Net.SetGate(b, 1)
		}
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
	for b := range m.ev.Net.Gates {
		m.ev.Net.SetGate(b, 1)
	}
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
func (m *measurer) collect(feats [][]float32, n int) func(lo, hi int) error {
	return func(lo, hi int) error {
		if lo >= n {
			return nil
		}
		hi = min(hi, n)
		for b, nd := range m.ev.Net.BranchOut {
			v := nd.Value().Data().([]float32)
			p := len(v) / m.ev.Net.Batch
			if feats[b] == nil {
				feats[b] = make([]float32, n*p)
			}
			copy(feats[b][lo*p:hi*p], v[:(hi-lo)*p])
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
	for b := range m.ev.Net.Gates {
		m.ev.Net.SetGate(b, 1)
	}
	return feats, m.ev.Batches(set, n, m.collect(feats, n))
}

// centeredGrams returns each branch's doubly-centred Gram matrix
// K = Xc Xc^T (n x n) of its features X ([n, p], float32), Xc = X minus its
// column means: the input of metrics.GramCKA. Column means are taken in
// float64; the product is one float32 GEMM, converted to float64.
func centeredGrams(feats [][]float32, n int) [][]float64 {
	gs := make([][]float64, len(feats))
	k := make([]float32, n*n)
	for b, f := range feats {
		p := len(f) / n
		mean := make([]float64, p)
		for i := 0; i < n; i++ {
			for j, v := range f[i*p : (i+1)*p] {
				mean[j] += float64(v)
			}
		}
		xc := make([]float32, len(f))
		for i := 0; i < n; i++ {
			for j, v := range f[i*p : (i+1)*p] {
				xc[i*p+j] = float32(float64(v) - mean[j]/float64(n))
			}
		}
		gemm.Sgemm(false, true, n, n, p, 1, xc, p, xc, p, 0, k, n)
		gs[b] = make([]float64, n*n)
		for i, v := range k {
			gs[b][i] = float64(v)
		}
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
	if m.model.Arch.C == 3 {
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
	a := m.model.Arch
	hw := a.RejoinH * a.RejoinW
	rejoin := &data.Set{C: a.RejoinC(), H: a.RejoinH, W: a.RejoinW, Classes: a.Classes,
		X: make([]float32, n*a.RejoinC()*hw), Y: m.test.Y[:n]}
	for b := 0; b < m.branches(); b++ {
		// Example e's rejoin input: every branch's channels in order, branch
		// b's left at zero.
		clear(rejoin.X)
		off := 0
		for c, f := range h.feats {
			p := a.RejoinChannels[c] * hw
			if c != b {
				for e := 0; e < n; e++ {
					copy(rejoin.X[e*a.RejoinC()*hw+off:], f[e*p:(e+1)*p])
				}
			}
			off += p
		}
		r, err := m.headEv.Evaluate(rejoin, n, nil)
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
