package ops

import (
	"fmt"
	"math"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// TestWinoTransformsSameBits checks the vector transforms against winoInput,
// winoOutput and winoGrad, which spell out the same operations in Go: the
// same bits for random values with signed zeros, two tile rows a call, and
// every epilogue (bias, ReLU).
func TestWinoTransformsSameBits(t *testing.T) {
	if kernelVec(gemm.Fastest()) < vecAVX2 {
		t.Skip("no AVX2 on this CPU: only the Go transforms run")
	}
	rng := newRand(1500)
	for _, w := range []int{16, 32, 48} {
		nb, tw := w/16, w/2
		wp := w + 2
		xp := make([]float32, 6*wp) // two tile rows
		for i := range xp {
			xp[i] = rng.Float32()*2 - 1
			if rng.IntN(8) == 0 {
				xp[i] = float32(math.Copysign(0, -1))
			}
		}
		const ldv = 100 // two tile rows of up to 24 tiles
		got, want := make([]float32, 16*ldv), make([]float32, 16*ldv)
		winoInputAVX(&xp[0], wp, &got[0], ldv, nb, 2)
		winoInput(xp, wp, want, ldv, tw)
		winoInput(xp[2*wp:], wp, want[tw:], ldv, tw)
		if err := bitsEqual(got, want); err != nil {
			t.Errorf("input transform, w=%d: %v", w, err)
		}
		m := make([]float32, 16*ldv)
		for i := range m {
			m[i] = rng.Float32()*2 - 1
		}
		gy := make([]float32, 4*w) // two tile rows of output gradient
		for i := range gy {
			gy[i] = rng.Float32()*2 - 1
			if rng.IntN(8) == 0 {
				gy[i] = 0
			}
		}
		ga, gg := make([]float32, 16*ldv), make([]float32, 16*ldv)
		winoGradAVX(&gy[0], w, &ga[0], ldv, nb, 2)
		winoGrad(gy, w, gg, ldv, tw)
		winoGrad(gy[2*w:], w, gg[tw:], ldv, tw)
		if err := bitsEqual(ga, gg); err != nil {
			t.Errorf("gradient transform, w=%d: %v", w, err)
		}
		for flags := 0; flags < 4; flags++ {
			bias := float32(-0.3)
			ya, yg := make([]float32, 4*w), make([]float32, 4*w)
			winoOutputAVX(&m[0], ldv, &ya[0], w, &bias, flags, nb, 2)
			winoOutput(m, ldv, yg, w, bias, flags, tw)
			winoOutput(m[tw:], ldv, yg[2*w:], w, bias, flags, tw)
			if err := bitsEqual(ya, yg); err != nil {
				t.Errorf("output transform, w=%d, flags %d: %v", w, flags, err)
			}
		}
	}
}

// TestWinoForward checks winoPlan's convolution against a direct one in
// float64: within 2e-6 of the sum of |w x| over each output's terms (the
// scale of its rounding), with bias and ReLU, at every kernel this CPU
// runs, for channel counts that do and do not fill the kernels' panels.
func TestWinoForward(t *testing.T) {
	for _, kern := range gemm.Kernels() {
		for _, tc := range []struct{ c, o, h, w int }{{32, 32, 16, 16}, {33, 7, 16, 16}, {32, 13, 8, 32}, {48, 8, 32, 16}} {
			g := convGeom{n: 1, c: tc.c, h: tc.h, w: tc.w, o: tc.o, k: 3, pad: 1, stride: 1, oh: tc.h, ow: tc.w}
			if !winoFits(g) {
				t.Fatalf("%+v does not fit", g)
			}
			t.Run(fmt.Sprintf("%s/%dto%d_%dx%d", kern, tc.c, tc.o, tc.h, tc.w), func(t *testing.T) {
				rng := newRand(uint64(1501 + tc.c))
				x := randDense(rng, 1, g.c, g.h, g.w).Data().([]float32)
				w := randDense(rng, 0.3, g.o, g.c, 3, 3).Data().([]float32)
				bias := randDense(rng, 0.3, g.o).Data().([]float32)
				p := newWinoPlan(g, kern)
				xp := make([]float32, p.padLen())
				for c := 0; c < g.c; c++ {
					for r := 0; r < g.h; r++ {
						copy(xp[c*p.hp*p.wp+(r+1)*p.wp+1:], x[(c*g.h+r)*g.w:(c*g.h+r+1)*g.w])
					}
				}
				upk, _, stride := p.packWeights(nil, nil, w)
				ws := &gemm.Workspace{Kernel: kern}
				for _, relu := range []bool{false, true} {
					y := make([]float32, g.o*g.h*g.w)
					p.forward(ws, xp, upk, stride, make([]float32, p.vLen()), make([]float32, p.mLen()), y, bias, relu)
					worst := 0.0
					for o := 0; o < g.o; o++ {
						for r := 0; r < g.h; r++ {
							for q := 0; q < g.w; q++ {
								sum, scale := float64(bias[o]), math.Abs(float64(bias[o]))
								for c := 0; c < g.c; c++ {
									for i := 0; i < 3; i++ {
										for j := 0; j < 3; j++ {
											rr, qq := r+i-1, q+j-1
											if rr < 0 || rr >= g.h || qq < 0 || qq >= g.w {
												continue
											}
											v := float64(w[((o*g.c+c)*3+i)*3+j]) * float64(x[(c*g.h+rr)*g.w+qq])
											sum += v
											scale += math.Abs(v)
										}
									}
								}
								if relu && sum < 0 {
									sum = 0
								}
								got := float64(y[(o*g.h+r)*g.w+q])
								worst = max(worst, math.Abs(got-sum)/scale)
								if math.Abs(got-sum) > 2e-6*scale {
									t.Fatalf("relu %t, y[%d][%d][%d] = %g, want %g (scale %g)", relu, o, r, q, got, sum, scale)
								}
							}
						}
					}
					t.Logf("relu %t: worst error %.2g of the terms' scale", relu, worst)
				}
			})
		}
	}
}

// TestConvWinograd checks the Winograd convolution op in a graph (forward
// with bias and ReLU, backward data through the flipped weights, the weight
// gradient in the transformed domain, the bias gradient direct): its
// gradients against finite differences
// (without the ReLU);
// against the direct convolution within float32 rounding; the same bits on
// avx512 and avx2 (which give the same bits on every product) and at any
// number of workers; and the direct convolution where the geometry does
// not fit (a stride, or too few channels).
func TestConvWinograd(t *testing.T) {
	type result struct{ y, dx, dw, db []float32 }
	run := func(t *testing.T, kern gemm.Kernel, wino bool, workers int, n, c, o, hw, stride int, check bool) result {
		rng := newRand(1600)
		x := randDense(rng, 1, n, c, hw, hw)
		w := randDense(rng, 0.2, o, c, 3, 3)
		b := randDense(rng, 0.2, o)
		tg := newTestGraph(t, rng, []*tensor.Dense{x, w, b}, []int{0, 1, 2}, func(in []*G.Node) (*G.Node, error) {
			// The finite differences run without the ReLU, whose kink a
			// weight's perturbation crosses somewhere.
			return Conv(in[0], in[1], in[2], ConvParams{Pad: 1, Stride: stride, ReLU: !check, Kernel: kern, Winograd: wino})
		})
		if workers > 0 {
			ws := NewWorkers(workers, time.Millisecond)
			t.Cleanup(ws.Close)
			UseWorkers(tg.g, ws)
		}
		if check {
			checkGradients(t, rng, tg, 40)
		}
		tg.run(t)
		g := tg.analytic(t)
		return result{cloneF32(f32data(tg.y.Value())), g[0], g[1], g[2]}
	}
	kernels := gemm.Kernels()
	run(t, kernels[0], true, 0, 3, 32, 32, 16, 1, true)
	ref := run(t, kernels[0], true, 0, 3, 32, 32, 16, 1, false)
	direct := run(t, kernels[0], false, 0, 3, 32, 32, 16, 1, false)
	for i, pair := range [][2][]float32{{ref.y, direct.y}, {ref.dx, direct.dx}, {ref.dw, direct.dw}, {ref.db, direct.db}} {
		if err := closeTo(pair[0], pair[1], 1e-4); err != nil {
			t.Errorf("Winograd against direct, output %d: %v", i, err)
		}
	}
	if bitsEqual(ref.y, direct.y) == nil || bitsEqual(ref.dx, direct.dx) == nil || bitsEqual(ref.dw, direct.dw) == nil {
		t.Error("Winograd gave the direct convolution's bits in a pass: did it run?")
	}
	for _, kern := range kernels {
		for _, workers := range []int{1, 3} {
			got := run(t, kern, true, workers, 3, 32, 32, 16, 1, false)
			if !kern.SameBits(kernels[0]) {
				continue
			}
			for i, pair := range [][2][]float32{{got.y, ref.y}, {got.dx, ref.dx}, {got.dw, ref.dw}, {got.db, ref.db}} {
				if err := bitsEqual(pair[0], pair[1]); err != nil {
					t.Errorf("%s, %d workers, output %d: %v", kern, workers, i, err)
				}
			}
		}
	}
	for _, tc := range []struct{ c, stride int }{{16, 1}, {32, 2}} {
		a := run(t, kernels[0], true, 0, 2, tc.c, 16, 16, tc.stride, false)
		b := run(t, kernels[0], false, 0, 2, tc.c, 16, 16, tc.stride, false)
		if err := bitsEqual(a.y, b.y); err != nil {
			t.Errorf("%d channels, stride %d: not the direct convolution: %v", tc.c, tc.stride, err)
		}
	}
}
