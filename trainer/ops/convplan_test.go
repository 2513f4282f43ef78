package ops

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

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
			plan, packedPlan := newConvPlan(g, kern), newConvPlanMode(g, kern, false, nil)
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
				packedPlan.forward(s, wpk, packed, ep.bias, ep.relu)
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

// TestBatchedModeSameBits runs convolutions of small outputs, forward (with
// and without bias and ReLU) and backward data (through the ReLU), on
// batches that do and do not take the batched mode (fewer than NR/2
// images; NR/2; a full batch; batches with a partial one or single images
// after them, so that a batch's unused columns hold an earlier batch's
// images), with every kernel: outputs and input gradients must agree bit
// for bit with the same ops one image at a time.
func TestBatchedModeSameBits(t *testing.T) {
	rng := newRand(707)
	for _, kern := range gemm.Kernels() {
		nr := kern.NR()
		for _, c := range []struct{ c, o, h, k, pad int }{
			{16, 32, 7, 5, 2}, {64, 64, 3, 3, 1}, {5, 7, 4, 3, 1}, {3, 20, 6, 3, 0},
		} {
			for _, n := range []int{1, nr/2 - 1, nr / 2, nr, nr + 3, 2*nr + nr/2 + 1} {
				name := fmt.Sprintf("%s/c%d_o%d_h%d_k%d_pad%d/n%d", kern, c.c, c.o, c.h, c.k, c.pad, n)
				x := randDense(rng, 1, n, c.c, c.h, c.h)
				w := randDense(rng, 0.3, c.o, c.c, c.k, c.k)
				b := randDense(rng, 0.3, c.o)
				g, err := newConvGeom(x.Shape(), w.Shape(), c.pad, 1)
				if err != nil {
					t.Fatal(err)
				}
				// one image at a time: the op with a plan that has no batched mode.
				single := func(pg convGeom) *convPlan {
					p := newConvPlan(pg, kern)
					p.batchTaps = nil
					return p
				}
				for _, relu := range []bool{false, true} {
					batched := &convOp{pad: c.pad, hasBias: relu, relu: relu, kernel: kern}
					ref := &convOp{pad: c.pad, hasBias: relu, relu: relu, kernel: kern, plan: single(g)}
					in := []G.Value{x, w}
					if relu {
						in = append(in, b)
					}
					yb, err := batched.Do(in...)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := batched.plan.batched(), n >= nr/2; got != want {
						t.Fatalf("%s: batched mode %t, want %t", name, got, want)
					}
					yr, err := ref.Do(in...)
					if err != nil {
						t.Fatal(err)
					}
					if err := bitsEqual(yb.Data().([]float32), yr.Data().([]float32)); err != nil {
						t.Fatalf("%s forward relu %t: %v", name, relu, err)
					}
				}
				y := randDense(rng, 1, n, c.o, g.oh, g.ow)
				for i, v := range y.Data().([]float32) {
					y.Data().([]float32)[i] = max(v, 0)
				}
				gy := randDense(rng, 1, n, c.o, g.oh, g.ow)
				bg, _ := g.backwardGeom()
				batched := &convGradOp{pad: c.pad, wrt: wrtInput, relu: true, kernel: kern}
				ref := &convGradOp{pad: c.pad, wrt: wrtInput, relu: true, kernel: kern, plan: single(bg)}
				db, err := batched.Do(x, w, y, gy)
				if err != nil {
					t.Fatal(err)
				}
				dr, err := ref.Do(x, w, y, gy)
				if err != nil {
					t.Fatal(err)
				}
				if err := bitsEqual(db.Data().([]float32), dr.Data().([]float32)); err != nil {
					t.Fatalf("%s backward data: %v", name, err)
				}
			}
		}
	}
}

// TestPackGrad checks packGrad against its definition, bit for bit, with
// every kernel, with and without the ReLU mask, for planes whose size is a
// multiple of 16, of 8 only, or neither (7x7, 3x3, 5x5 outputs, with
// positions left after the transposed blocks) and channel counts that do
// and do not fill the panels (blocks of 16, 8 and single channels); each
// case packs two images into the same buffer, so that nothing of the first
// survives.
func TestPackGrad(t *testing.T) {
	rng := newRand(909)
	for _, kern := range gemm.Kernels() {
		for _, c := range []struct{ o, h, k, pad int }{
			{32, 7, 5, 2}, {64, 3, 3, 1}, {16, 5, 3, 1}, {24, 7, 3, 1}, {8, 3, 3, 0}, {12, 7, 3, 1}, {32, 16, 3, 1}, {16, 8, 3, 1}, {3, 4, 3, 1}, {19, 6, 3, 1},
		} {
			g, err := newConvGeom([]int{1, 3, c.h, c.h}, []int{c.o, 3, c.k, c.k}, c.pad, 1)
			if err != nil {
				t.Fatal(err)
			}
			plan := newConvPlan(g, kern)
			nr, ohw := plan.nr, g.ohw()
			gpk := make([]float32, (c.o+nr-1)/nr*nr*ohw)
			for _, masked := range []bool{false, true} {
				for image := 0; image < 2; image++ {
					gy := randDense(rng, 1, c.o, g.oh, g.ow).Data().([]float32)
					var y []float32
					if masked {
						y = randDense(rng, 1, c.o, g.oh, g.ow).Data().([]float32)
						for i := range y {
							y[i] = max(y[i], 0)
						}
					}
					plan.packGrad(gpk, gy, y)
					want := make([]float32, len(gpk))
					for o := 0; o < c.o; o++ {
						for r := 0; r < g.oh; r++ {
							for x := 0; x < g.ow; x++ {
								v := gy[(o*g.oh+r)*g.ow+x]
								if y != nil {
									v = reluMask(v, y[(o*g.oh+r)*g.ow+x])
								}
								want[(o/nr)*nr*ohw+(r*g.ow+x)*nr+o%nr] = v
							}
						}
					}
					if err := bitsEqual(gpk, want); err != nil {
						t.Fatalf("%s o%d %dx%d masked %t image %d: %v", kern, c.o, g.oh, g.ow, masked, image, err)
					}
				}
			}
		}
	}
}

// TestTapRowsSameBits takes the weight gradient of convolutions with fewer
// input channels than a panel holds both ways, as one product over the
// C*K*K tap rows (filterRows) and as K*K products over the C channel rows
// (filter), with every kernel: over two images (the second added to the
// first), the parts must agree bit for bit, for channel counts up to MR-1,
// kernels of 1, 3 and 5 with every padding, non-square images, outputs
// that do and do not fill the panels and output channels that fill a
// panel, half of one, or a partial last one. A 1x1 case with MR-1
// channels makes the tap rows one partial panel.
func TestTapRowsSameBits(t *testing.T) {
	rng := newRand(919)
	for _, kern := range gemm.Kernels() {
		mr, nr := kern.MR(), kern.NR()
		for _, c := range []struct{ c, o, h, w, k, pad int }{
			{3, 32, 32, 32, 3, 1}, {3, nr, 9, 7, 5, 2}, {1, 5, 6, 6, 3, 0}, {2, nr/2 + 1, 5, 8, 5, 4},
			{mr - 1, nr + 3, 4, 4, 1, 0}, {mr - 1, 7, 7, 5, 3, 2}, {4, nr / 2, 11, 3, 3, 1},
		} {
			name := fmt.Sprintf("%s/c%d_o%d_%dx%d_k%d_pad%d", kern, c.c, c.o, c.h, c.w, c.k, c.pad)
			g, err := newConvGeom([]int{2, c.c, c.h, c.w}, []int{c.o, c.c, c.k, c.k}, c.pad, 1)
			if err != nil {
				t.Fatal(err)
			}
			plan := newConvPlan(g, kern)
			if !plan.tapRows() {
				t.Fatalf("%s: %d channels do not take the tap rows (MR %d)", name, c.c, mr)
			}
			ws := &gemm.Workspace{Kernel: kern}
			ohw := g.ohw()
			xpk := make([]float32, kern.PanelsLen(g.c, plan.planeLen())+mr)
			rpk := make([]float32, plan.filterInputLen())
			span := plan.tapSpan()
			col := make([]float32, g.ckk()*span)
			for i := range col {
				col[i] = float32(math.NaN()) // packTapRows writes every value
			}
			gpk := make([]float32, (c.o+nr-1)/nr*nr*ohw)
			xp := make([]float32, plan.padLen())
			byTap, byRow := make([]float32, g.ckk()*c.o), make([]float32, g.ckk()*c.o)
			for image := 0; image < 2; image++ {
				x := randDense(rng, 1, c.c, c.h, c.w).Data().([]float32)
				gy := randDense(rng, 1, c.o, g.oh, g.ow).Data().([]float32)
				plan.packGrad(gpk, gy, nil)
				plan.packInputTaps(xpk, x, g.c)
				plan.filter(ws, xpk, gpk, byTap, image > 0)
				plan.pad(xp, x)
				plan.packTapRows(rpk, col, xp)
				plan.filterRows(ws, rpk, gpk, byRow, image > 0)
				for r := 0; r < g.ckk(); r++ {
					ch, i, j := r/(c.k*c.k), r/c.k%c.k, r%c.k
					for tp := 0; tp < ohw; tp++ {
						y, xx := tp/g.ow, tp%g.ow
						yy, xi := y+i-c.pad, xx+j-c.pad
						want := float32(0)
						if yy >= 0 && yy < c.h && xi >= 0 && xi < c.w {
							want = x[(ch*c.h+yy)*c.w+xi]
						}
						if got := col[r*span+y*plan.wp+xx]; got != want {
							t.Fatalf("%s image %d: tap row %d at output (%d, %d) = %g, want %g", name, image, r, y, xx, got, want)
						}
					}
				}
				if err := bitsEqual(byRow, byTap); err != nil {
					t.Fatalf("%s image %d: %v", name, image, err)
				}
			}
		}
	}
}
