package ops

import (
	"fmt"
	"testing"

	"branchspec/trainer/ops/gemm"
)

// TestWideModeSameBits runs the forward product of small outputs (rows of
// fewer than NR/2 positions) in the plan's wide mode and with packed
// output-position panels, with every kernel, with and without bias and
// ReLU: the outputs must agree bit for bit (each kept value is the same
// product), and a large output must not take the wide mode.
func TestWideModeSameBits(t *testing.T) {
	rng := newRand(808)
	for _, kern := range gemm.Kernels() {
		for _, c := range []struct{ c, o, h, k, pad int }{
			{16, 32, 7, 5, 2}, {64, 64, 3, 3, 1}, {3, 5, 5, 3, 1}, {8, 20, 6, 3, 0}, {4, 13, 4, 1, 0}, {5, 7, 2, 3, 2},
		} {
			name := fmt.Sprintf("%s/c%d_o%d_h%d_k%d_pad%d", kern, c.c, c.o, c.h, c.k, c.pad)
			g, err := newConvGeom([]int{1, c.c, c.h, c.h}, []int{c.o, c.c, c.k, c.k}, c.pad, 1)
			if err != nil {
				t.Fatal(err)
			}
			plan := newConvPlan(g, kern)
			if !plan.wide {
				t.Fatalf("%s: a %dx%d output does not take the wide mode (NR %d)", name, g.oh, g.ow, plan.nr)
			}
			x := randDense(rng, 1, c.c, c.h, c.h).Data().([]float32)
			w := randDense(rng, 0.3, c.o, c.c, c.k, c.k).Data().([]float32)
			bias := randDense(rng, 0.3, c.o).Data().([]float32)
			wpk := kern.PackA(nil, w, g.ckk(), c.o, g.ckk())
			s := &convWorker{ws: gemm.Workspace{Kernel: kern}, xp: make([]float32, plan.padLen()), bp: make([]float32, g.ckk()*plan.nr)}
			plan.pad(s.xp, x)
			for _, ep := range []struct {
				bias []float32
				relu bool
			}{{nil, false}, {bias, true}} {
				wide, packed := make([]float32, c.o*g.ohw()), make([]float32, c.o*g.ohw())
				plan.forward(s, wpk, wide, ep.bias, ep.relu)
				plan.wide = false
				plan.forward(s, wpk, packed, ep.bias, ep.relu)
				plan.wide = true
				if err := bitsEqual(wide, packed); err != nil {
					t.Errorf("%s bias %t relu %t: %v", name, ep.bias != nil, ep.relu, err)
				}
			}
		}
	}
	g, _ := newConvGeom([]int{1, 3, 32, 32}, []int{8, 3, 3, 3}, 1, 1)
	if newConvPlan(g, "").wide {
		t.Error("a 32x32 output takes the wide mode")
	}
}
