package trainer

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"branchspec/configs"
	"branchspec/trainer/data"
)

// tinyTrainer builds a trainer of the tiny preset with overrides.
func tinyTrainer(t *testing.T, sets ...string) *Trainer {
	t.Helper()
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetAll(sets); err != nil {
		t.Fatal(err)
	}
	s := cfg.Data.Synthetic
	train, test, err := data.Synthetic(data.SyntheticOptions{Forms: s.Forms, Hues: s.Hues, Size: s.Size, Noise: s.Noise,
		Train: cfg.Data.TrainSize, Test: cfg.Data.TestSize}, s.Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(cfg, train, test)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// trace steps tr n times and returns the weights at every step count
// 0..n, indexed by step count then parameter name.
func trace(t *testing.T, tr *Trainer, n int) []map[string][]float32 {
	t.Helper()
	snap := func() map[string][]float32 {
		m := map[string][]float32{}
		for _, w := range tr.model.Weights() {
			m[w.Name] = w.Data
		}
		return m
	}
	out := []map[string][]float32{snap()}
	for range n {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
		out = append(out, snap())
	}
	return out
}

func TestFreezeKeepsWeightsInWindow(t *testing.T) {
	const from, to, n = 3, 7, 10
	tr := tinyTrainer(t, fmt.Sprintf("regime.freeze=[{layer = %q, from = %d, to = %d}]", "branch.*.1", from, to))
	ws := trace(t, tr, n)
	for _, name := range []string{"branch.0.1.w", "branch.1.1.w", "branch.0.1.b", "branch.1.1.b", "branch.0.0.w", "trunk.0.w"} {
		frozenLayer := name[len(name)-4:len(name)-2] == ".1" && name[:6] == "branch"
		for s := 0; s < n; s++ {
			same := slices.Equal(ws[s][name], ws[s+1][name])
			want := frozenLayer && s >= from && s < to
			if same != want {
				t.Errorf("%s: step %d -> %d unchanged = %v, want %v", name, s, s+1, same, want)
			}
		}
	}
}

func TestFreezeToTheEnd(t *testing.T) {
	tr := tinyTrainer(t, `regime.freeze=[{layer = "branch.0.0", from = 0, to = -1}]`)
	ws := trace(t, tr, 6)
	for s := 1; s <= 6; s++ {
		if !slices.Equal(ws[0]["branch.0.0.w"], ws[s]["branch.0.0.w"]) {
			t.Errorf("branch.0.0.w changed by step %d", s)
		}
		if slices.Equal(ws[s-1]["branch.1.0.w"], ws[s]["branch.1.0.w"]) {
			t.Errorf("branch.1.0.w did not train at step %d", s-1)
		}
	}
	if st := tr.solver.State(); st.ParamSteps["branch.0.0.w"] != 0 || st.ParamSteps["branch.1.0.w"] != 6 {
		t.Errorf("update counts %d and %d, want 0 (frozen) and 6", st.ParamSteps["branch.0.0.w"], st.ParamSteps["branch.1.0.w"])
	}
}

// TestRerandomizeAtMultiples freezes the layer as well, so that the only
// changes are the redraws: at the start of each step s > 0 with s % K == 0.
func TestRerandomizeAtMultiples(t *testing.T) {
	const every, n = 4, 13
	tr := tinyTrainer(t, `regime.freeze=[{layer = "branch.*.1", from = 0, to = -1}]`,
		fmt.Sprintf(`regime.rerandomize=[{layer = "branch.*.1", every = %d}]`, every))
	ws := trace(t, tr, n)
	for _, b := range []int{0, 1} {
		name := fmt.Sprintf("branch.%d.1.w", b)
		for s := 0; s < n; s++ {
			changed := !slices.Equal(ws[s][name], ws[s+1][name])
			want := s > 0 && s%every == 0
			if changed != want {
				t.Errorf("%s: step %d -> %d changed = %v, want %v", name, s, s+1, changed, want)
			}
		}
	}
}

// TestRerandomizeDrawsFromInitialiser checks the redrawn values and the
// reset of the layer's solver state.
func TestRerandomizeDrawsFromInitialiser(t *testing.T) {
	const every = 3
	tr := tinyTrainer(t, `regime.freeze=[{layer = "branch.1.1", from = 0, to = -1}]`,
		fmt.Sprintf(`regime.rerandomize=[{layer = "branch.1.1", every = %d}, {layer = "trunk.0", every = %d}]`, every, every))
	ws := trace(t, tr, every+1)
	ref := tinyTrainer(t)
	for _, layer := range []string{"branch.1.1", "trunk.0"} {
		rng := Stream(tr.cfg.Seed, "rerandomize/"+layer, every)
		w := ref.model.Param(layer + ".w")
		ref.model.InitParam(w, rng)
		if layer == "branch.1.1" {
			// Frozen: the weights after step `every` are the redrawn ones.
			if !slices.Equal(ws[every+1][layer+".w"], w.Data()) {
				t.Errorf("%s after the redraw differs from InitParam on stream rerandomize/%s/%d", layer, layer, every)
			}
		}
	}
	st := tr.solver.State()
	if got := st.ParamSteps["trunk.0.w"]; got != 1 {
		t.Errorf("trunk.0.w has %d updates after its reset and one step, want 1", got)
	}
	if got := st.ParamSteps["branch.0.0.w"]; got != every+1 {
		t.Errorf("branch.0.0.w has %d updates, want %d", got, every+1)
	}
}

func TestDrawMask(t *testing.T) {
	const branches, out, in, k = 3, 20, 10, 3
	frac := func(mask []float32, b int) (within, cross float64) {
		var nw, nc, on int
		for o := range out {
			for j := range branches * in {
				v := mask[(o*branches*in+j)*k*k]
				for tap := 1; tap < k*k; tap++ {
					if mask[(o*branches*in+j)*k*k+tap] != v {
						t.Fatalf("mask differs across taps at (%d, %d)", o, j)
					}
				}
				if j/in == b {
					within += float64(v)
					nw++
				} else {
					cross += float64(v)
					nc++
					on += int(v)
				}
			}
		}
		return within / float64(nw), cross / float64(nc)
	}
	// Tolerance: 4 standard deviations of a binomial fraction over
	// out*(branches-1)*in = 400 pairs at p = 0.5.
	const tol = 4 * 0.025
	var prev []float32
	for _, p := range []float64{0, 0.1, 0.5, 0.9, 1} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mask := DrawMask(1, branches, out, in, k, p, Stream(7, "mixing", 0))
			within, cross := frac(mask, 1)
			if within != 1 {
				t.Errorf("within-branch fraction %v, want 1", within)
			}
			switch {
			case p == 0 && cross != 0, p == 1 && cross != 1, math.Abs(cross-p) > tol:
				t.Errorf("cross-branch fraction %v, want %v", cross, p)
			}
			for i := range prev {
				if prev[i] > mask[i] {
					t.Fatalf("mask of p = %v does not contain the mask of a smaller p at %d", p, i)
				}
			}
			prev = mask
		})
	}
}

// TestMixingZeroIsBranched: with p = 0 the mixed layer's within-branch
// weights are the branched layer's, every other parameter is equal, and the
// network computes the same function.
func TestMixingZeroIsBranched(t *testing.T) {
	mixed := tinyTrainer(t, `regime.mixing={layer = "branch.*.1", p = 0.0}`)
	plain := tinyTrainer(t)
	for _, p := range plain.model.params {
		q := mixed.model.Param(p.Name)
		if q.Mask == nil {
			if !slices.Equal(p.Data(), q.Data()) {
				t.Errorf("%s differs", p.Name)
			}
			continue
		}
		// Extract the own-branch block of [Out, B*In, K, K].
		out, in, kk, b := p.Shape[0], p.Shape[1], p.Shape[2]*p.Shape[3], p.Branch
		var block []float32
		for o := range out {
			row := q.Data()[o*2*in*kk : (o+1)*2*in*kk]
			block = append(block, row[b*in*kk:(b+1)*in*kk]...)
			for j, v := range row {
				if j/(in*kk) != b && v != 0 {
					t.Fatalf("%s: cross-branch weight (%d, %d) = %v, want 0", q.Name, o, j/kk, v)
				}
			}
		}
		if !slices.Equal(block, p.Data()) {
			t.Errorf("%s: own-branch weights differ from the branched layer's", p.Name)
		}
	}
	lm, lp := logits(t, mixed), logits(t, plain)
	// Tolerance: float32 sums of the same products in another order.
	const tol = 1e-4
	for i := range lp {
		if math.Abs(float64(lm[i]-lp[i])) > tol*(1+math.Abs(float64(lp[i]))) {
			t.Fatalf("logit %d: mixed p=0 %v, branched %v", i, lm[i], lp[i])
		}
	}
}

func logits(t *testing.T, tr *Trainer) []float32 {
	t.Helper()
	ev, err := tr.model.NewEvaluator(16)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	var out []float32
	if err := ev.Batches(tr.test, 16, func(Activations) error {
		out = append(out, ev.net.LogitsValue()...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMixingMaskHoldsInTraining: masked weights get no gradient, so they
// stay 0 through Adam with weight decay, and the connected cross-branch
// weights train.
func TestMixingMaskHoldsInTraining(t *testing.T) {
	for _, p := range []float64{0, 0.5, 1} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			tr := tinyTrainer(t, fmt.Sprintf(`regime.mixing={layer = "branch.*.1", p = %v}`, p))
			ws := trace(t, tr, 5)
			for _, b := range []int{0, 1} {
				w := tr.model.Param(fmt.Sprintf("branch.%d.1.w", b))
				if w.Shape[1] != 2*4 {
					t.Fatalf("%s shape %v, want [4 8 3 3]", w.Name, w.Shape)
				}
				on, moved := 0, 0
				for i, m := range w.Mask {
					if m == 0 && w.Data()[i] != 0 {
						t.Fatalf("%s: masked weight %d = %v", w.Name, i, w.Data()[i])
					}
					if m != 0 {
						on++
						if ws[0][w.Name][i] != ws[5][w.Name][i] {
							moved++
						}
					}
				}
				if moved == 0 {
					t.Errorf("%s: no connected weight trained", w.Name)
				}
				if want := len(w.Mask) / 2; p == 0 && on != want || p == 1 && on != len(w.Mask) {
					t.Errorf("%s: %d of %d weights connected at p = %v", w.Name, on, len(w.Mask), p)
				}
			}
		})
	}
}

// chroma is science.md's kernel chroma of a [3, kk] kernel.
func chroma(w []float32, kk int) float64 {
	var num, den float64
	for tap := range kk {
		r, g, b := float64(w[tap]), float64(w[kk+tap]), float64(w[2*kk+tap])
		m := (r + g + b) / 3
		num += (r-m)*(r-m) + (g-m)*(g-m) + (b-m)*(b-m)
		den += r*r + g*g + b*b
	}
	return num / den
}

// TestBiasSetsChroma checks ApplyBias's formula c' = (c + eps^2)/(1 + eps^2)
// unit by unit, the norm growth sqrt(1 + eps^2), and that only the named
// branch's first layer changes.
func TestBiasSetsChroma(t *testing.T) {
	plain := tinyTrainer(t)
	for _, eps := range []float64{0.1, 0.5, 2} {
		t.Run(fmt.Sprint(eps), func(t *testing.T) {
			tr := tinyTrainer(t, fmt.Sprintf("regime.bias={branch = 1, epsilon = %v}", eps))
			for _, p := range plain.model.params {
				if p.Name != "branch.1.0.w" && !slices.Equal(p.Data(), tr.model.Param(p.Name).Data()) {
					t.Errorf("%s changed", p.Name)
				}
			}
			cv := tr.model.arch.Branches[1][0]
			kk := cv.Kernel * cv.Kernel
			w0, w1 := plain.model.Param(cv.Name+".w").Data(), tr.model.Param(cv.Name+".w").Data()
			// Tolerance: float32 rounding of the biased kernel.
			const tol = 1e-5
			for o := range cv.Out {
				k0, k1 := w0[o*3*kk:(o+1)*3*kk], w1[o*3*kk:(o+1)*3*kk]
				c0, c1 := chroma(k0, kk), chroma(k1, kk)
				if want := (c0 + eps*eps) / (1 + eps*eps); math.Abs(c1-want) > tol {
					t.Errorf("unit %d: chroma %v -> %v, want %v", o, c0, c1, want)
				}
				n0, n1 := norm(k0), norm(k1)
				if want := n0 * math.Sqrt(1+eps*eps); math.Abs(n1-want) > tol*want {
					t.Errorf("unit %d: norm %v -> %v, want %v", o, n0, n1, want)
				}
			}
		})
	}
}

func norm(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// TestRegimesResumeExactly restores a trainer's State into a fresh trainer
// in a freeze window and just before a redraw, and checks that it goes on
// bit-identically.
func TestRegimesResumeExactly(t *testing.T) {
	sets := []string{
		`regime.freeze=[{layer = "branch.*.1", from = 2, to = 9}]`,
		`regime.rerandomize=[{layer = "trunk.0", every = 4}]`,
		`regime.mixing={layer = "branch.*.1", p = 0.5}`,
		`regime.bias={branch = 0, epsilon = 0.3}`,
	}
	const n = 12
	want := trace(t, tinyTrainer(t, sets...), n)
	for _, stop := range []int{4, 5, 8} {
		t.Run(fmt.Sprint(stop), func(t *testing.T) {
			a := tinyTrainer(t, sets...)
			trace(t, a, stop)
			b := tinyTrainer(t, sets...)
			if err := b.Restore(a.State()); err != nil {
				t.Fatal(err)
			}
			got := trace(t, b, n-stop)
			for s := range got {
				for name, w := range want[stop+s] {
					if !slices.Equal(got[s][name], w) {
						t.Fatalf("restored at %d: %s differs at step %d", stop, name, stop+s)
					}
				}
			}
		})
	}
}
