package ops

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// benchDo times op.Do on the given inputs, reporting GFLOP/s when flops is
// positive.
func benchDo(b *testing.B, op G.Op, flops float64, in ...G.Value) {
	b.Helper()
	if _, err := op.Do(in...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := op.Do(in...); err != nil {
			b.Fatal(err)
		}
	}
	if flops > 0 {
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

// BenchmarkOps times each op's forward and backward on the reference
// net's shapes at batch 64.
func BenchmarkOps(b *testing.B) {
	rng := newRand(700)
	const n = 64
	convs := []struct {
		name    string
		c, h, o int
	}{{"stem_3to32_32x32", 3, 32, 32}, {"branch_32to32_16x16", 32, 16, 32}}
	for _, cv := range convs {
		x := randDense(rng, 1, n, cv.c, cv.h, cv.h)
		w := randDense(rng, 0.1, cv.o, cv.c, 3, 3)
		bias := randDense(rng, 0.1, cv.o)
		gy := randDense(rng, 1, n, cv.o, cv.h, cv.h)
		flops := 2 * float64(n*cv.o*cv.c*9*cv.h*cv.h)
		b.Run("conv_fwd/"+cv.name, func(b *testing.B) { benchDo(b, &convOp{pad: 1, hasBias: true}, flops, x, w, bias) })
		b.Run("conv_bwd_data/"+cv.name, func(b *testing.B) { benchDo(b, &convGradOp{pad: 1, wrt: wrtInput}, flops, x, w, gy) })
		b.Run("conv_bwd_filter/"+cv.name, func(b *testing.B) { benchDo(b, &convGradOp{pad: 1, wrt: wrtWeights}, flops, x, w, gy) })
		b.Run("conv_bwd_bias/"+cv.name, func(b *testing.B) { benchDo(b, &biasGradOp{}, 0, gy) })
		// The fused conv+bias+ReLU and its backward ops, which read the
		// ReLU output y for the mask.
		fused := &convOp{pad: 1, hasBias: true, relu: true}
		yv, err := fused.Do(x, w, bias)
		if err != nil {
			b.Fatal(err)
		}
		y := yv.(*tensor.Dense).Clone().(*tensor.Dense)
		b.Run("conv_relu_fwd/"+cv.name, func(b *testing.B) { benchDo(b, fused, flops, x, w, bias) })
		b.Run("conv_relu_bwd_data/"+cv.name, func(b *testing.B) {
			benchDo(b, &convGradOp{pad: 1, wrt: wrtInput, relu: true}, flops, x, w, y, gy)
		})
		b.Run("conv_relu_bwd_filter/"+cv.name, func(b *testing.B) {
			benchDo(b, &convGradOp{pad: 1, wrt: wrtWeights, relu: true}, flops, x, w, y, gy)
		})
		b.Run("conv_relu_bwd_bias/"+cv.name, func(b *testing.B) { benchDo(b, &biasGradOp{relu: true}, 0, y, gy) })
	}
	act := randDense(rng, 1, n, 32, 32, 32)
	b.Run("relu_fwd/64x32x32x32", func(b *testing.B) { benchDo(b, &reluOp{dims: 4}, 0, act) })
	b.Run("relu_bwd/64x32x32x32", func(b *testing.B) { benchDo(b, &reluOp{dims: 4, grad: true}, 0, act, act) })
	pool := &maxPoolOp{size: 2}
	pooled, err := pool.Do(act)
	if err != nil {
		b.Fatal(err)
	}
	gp := randDense(rng, 1, pooled.Shape()...)
	b.Run("maxpool_fwd/64x32x32x32", func(b *testing.B) { benchDo(b, pool, 0, act) })
	b.Run("maxpool_bwd/64x32x32x32", func(b *testing.B) {
		// Re-run the forward pass so the recorded argmax fits act.
		if _, err := pool.Do(act); err != nil {
			b.Fatal(err)
		}
		benchDo(b, &maxPoolGradOp{fwd: pool}, 0, act, pooled, gp)
	})
	half := randDense(rng, 1, n, 32, 16, 16)
	b.Run("concat_fwd/2x64x32x16x16", func(b *testing.B) { benchDo(b, &concatOp{n: 2}, 0, half, half) })
	feat := randDense(rng, 1, n, 64, 8, 8)
	lw := randDense(rng, 0.01, 10, 4096)
	lb := randDense(rng, 0.01, 10)
	lg := randDense(rng, 1, n, 10)
	lflops := 2 * float64(n*10*4096)
	b.Run("linear_fwd/64x4096to10", func(b *testing.B) { benchDo(b, &linearOp{xDims: 4, hasBias: true}, lflops, feat, lw, lb) })
	b.Run("linear_bwd_data/64x4096to10", func(b *testing.B) { benchDo(b, &linearGradOp{xDims: 4, wrt: wrtInput}, lflops, feat, lw, lg) })
	b.Run("linear_bwd_filter/64x4096to10", func(b *testing.B) {
		benchDo(b, &linearGradOp{xDims: 4, wrt: wrtWeights}, lflops, feat, lw, lg)
	})
	logits := randDense(rng, 3, n, 10)
	labels := tensor.New(tensor.WithShape(n), tensor.WithBacking(make([]float32, n)))
	b.Run("softmax_ce_fwd/64x10", func(b *testing.B) { benchDo(b, &softmaxCEOp{}, 0, logits, labels) })
	one := G.F32(1)
	b.Run("softmax_ce_bwd/64x10", func(b *testing.B) { benchDo(b, &softmaxCEGradOp{}, 0, logits, labels, &one) })
}

// benchBytes is benchDo reporting the op's memory traffic (bytes read and
// written per call) as MB/s.
func benchBytes(b *testing.B, op G.Op, bytes int64, in ...G.Value) {
	b.Helper()
	b.SetBytes(bytes)
	benchDo(b, op, 0, in...)
}

// BenchmarkAlexNetOps times the ops of an AlexNet-style tower on 32x32
// input at batch 64: a 7x7/2 first convolution (Zeiler & Fergus) next to
// the stride-1 5x5 it replaces, LRN and overlapping 3/2 max pooling on its
// output, and global average pooling before the classifier; and, for
// scale, the 2x2 max pool and ReLU of BenchmarkOps on the same tensor.
func BenchmarkAlexNetOps(b *testing.B) {
	rng := newRand(710)
	const n, c, o, h = 64, 3, 48, 32
	x := randDense(rng, 1, n, c, h, h)
	bias := randDense(rng, 0.1, o)
	for _, cv := range []struct {
		name           string
		k, pad, stride int
	}{{"7x7s2_3to48_32x32", 7, 3, 2}, {"5x5s1_3to48_32x32", 5, 2, 1}} {
		w := randDense(rng, 0.1, o, c, cv.k, cv.k)
		oh := (h+2*cv.pad-cv.k)/cv.stride + 1
		gy := randDense(rng, 1, n, o, oh, oh)
		flops := 2 * float64(n*o*c*cv.k*cv.k*oh*oh)
		fwd := &convOp{pad: cv.pad, stride: cv.stride, hasBias: true, relu: true}
		yv, err := fwd.Do(x, w, bias)
		if err != nil {
			b.Fatal(err)
		}
		y := yv.(*tensor.Dense).Clone().(*tensor.Dense)
		b.Run("conv_relu_fwd/"+cv.name, func(b *testing.B) { benchDo(b, fwd, flops, x, w, bias) })
		b.Run("conv_relu_bwd_data/"+cv.name, func(b *testing.B) {
			benchDo(b, &convGradOp{pad: cv.pad, stride: cv.stride, wrt: wrtInput, relu: true}, flops, x, w, y, gy)
		})
		b.Run("conv_relu_bwd_filter/"+cv.name, func(b *testing.B) {
			benchDo(b, &convGradOp{pad: cv.pad, stride: cv.stride, wrt: wrtWeights, relu: true}, flops, x, w, y, gy)
		})
	}
	act := randDense(rng, 1, n, o, h, h)
	elems := int64(n * o * h * h)
	lrn := &lrnOp{p: AlexNetLRN()}
	ly, err := lrn.Do(act)
	if err != nil {
		b.Fatal(err)
	}
	lyc := ly.(*tensor.Dense).Clone().(*tensor.Dense)
	shape := "/64x48x32x32"
	// Forward reads x, writes y and d; backward reads x, y, gy, d, writes gx.
	b.Run("lrn_fwd"+shape, func(b *testing.B) { benchBytes(b, lrn, 12*elems, act) })
	b.Run("lrn_bwd"+shape, func(b *testing.B) {
		if _, err := lrn.Do(act); err != nil {
			b.Fatal(err)
		}
		benchBytes(b, &lrnGradOp{fwd: lrn}, 20*elems, act, lyc, act)
	})
	for _, p := range []struct {
		name         string
		size, stride int
	}{{"maxpool3s2", 3, 2}, {"maxpool2", 2, 2}} {
		pool := &maxPoolOp{size: p.size, stride: p.stride}
		pooled, err := pool.Do(act)
		if err != nil {
			b.Fatal(err)
		}
		out := int64(pooled.Shape().TotalSize())
		gp := randDense(rng, 1, pooled.Shape()...)
		// Forward reads x, writes y and the argmax; backward reads gy and
		// the argmax, writes gx.
		b.Run(p.name+"_fwd"+shape, func(b *testing.B) { benchBytes(b, pool, 4*elems+8*out, act) })
		b.Run(p.name+"_bwd"+shape, func(b *testing.B) {
			if _, err := pool.Do(act); err != nil {
				b.Fatal(err)
			}
			benchBytes(b, &maxPoolGradOp{fwd: pool}, 4*elems+8*out, act, pooled, gp)
		})
	}
	b.Run("relu_fwd"+shape, func(b *testing.B) { benchBytes(b, &reluOp{dims: 4}, 8*elems, act) })
	feat := randDense(rng, 1, n, 256, 8, 8)
	gf := randDense(rng, 1, n, 256)
	fe := int64(n * 256 * 64)
	b.Run("gap_fwd/64x256x8x8", func(b *testing.B) { benchBytes(b, &gapOp{}, 4*fe, feat) })
	b.Run("gap_bwd/64x256x8x8", func(b *testing.B) { benchBytes(b, &gapOp{grad: true}, 4*fe, feat, gf) })
}
