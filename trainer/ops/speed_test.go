package ops

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/internal/cputime"
	"branchspec/trainer/ops/gemm"
)

// speedOp is one op of a net at the shapes a training step runs it with.
type speedOp struct {
	name  string
	count int     // runs per training step
	flops float64 // 2 x multiply-adds per run (nominal: a strided conv's zero phase taps are not counted); 0 for data movement
	op    G.Op
	in    []G.Value
	// fwd, when not nil, is the forward op whose records (argmax, LRN
	// denominators) the op reads: it runs once on fwdIn before timing.
	fwd   G.Op
	fwdIn []G.Value
}

// speedNet lists a net's ops for one kernel.
type speedNet struct {
	name  string
	batch int
	ops   func(k gemm.Kernel) ([]speedOp, error)
	step  func(k netKernel) (func() error, func(), error) // a forward+backward step and its cleanup
}

// speedNets are the reference net (cmd/refbench: no biases, each branch
// pooled before the concat, as the trainer builds it) and the
// cifar10-alexnet net.
var speedNets = []speedNet{
	{"refnet", 64, refNetSpeedOps, refNetSpeedStep},
	{"alexnet", 128, alexNetSpeedOps, alexNetSpeedStep},
}

// opsBuilder appends the ops of a net, running each forward op once to
// make the inputs of the ops after it and of its backward ops.
type opsBuilder struct {
	k   gemm.Kernel
	ops []speedOp
	err error
}

func (b *opsBuilder) add(o speedOp) { b.ops = append(b.ops, o) }

// run runs op on in and returns a copy of its output.
func (b *opsBuilder) run(op G.Op, in ...G.Value) *tensor.Dense {
	if b.err != nil {
		return nil
	}
	v, err := op.Do(in...)
	if err != nil {
		b.err = fmt.Errorf("%v: %w", op, err)
		return nil
	}
	return v.(*tensor.Dense).Clone().(*tensor.Dense)
}

// convLayer is one conv+ReLU layer of a speed net.
type convLayer struct {
	name                   string
	count                  int // runs per training step
	out, size, pad, stride int
	bias                   bool
	input                  bool // reads the net's input: no gradient with respect to it
	// pooled: a max pool follows, whose backward applies the ReLU's mask
	// (maskInPoolGrad), so the conv's gradient ops take the gradient
	// masked already.
	pooled bool
}

// conv adds a conv+ReLU layer (fused, as the trainer builds it) with its
// backward ops and returns its output.
func (b *opsBuilder) conv(x *tensor.Dense, l convLayer) *tensor.Dense {
	rng := newRand(uint64(len(b.ops)) + 900)
	s := x.Shape()
	w := randDense(rng, 0.1, l.out, s[1], l.size, l.size)
	fwd := &convOp{pad: l.pad, stride: l.stride, hasBias: l.bias, noInputGrad: l.input, relu: true, kernel: b.k}
	in := []G.Value{x, w}
	if l.bias {
		in = append(in, randDense(rng, 0.1, l.out))
	}
	y := b.run(fwd, in...)
	if y == nil {
		return nil
	}
	ys := y.Shape()
	gy := randDense(rng, 1, ys...)
	flops := 2 * float64(s[0]*l.out*s[1]*l.size*l.size*ys[2]*ys[3])
	grad := func(wrt string, winograd bool) *convGradOp {
		return &convGradOp{pad: l.pad, stride: l.stride, wrt: wrt, relu: !l.pooled, kernel: b.k, winograd: winograd}
	}
	gradIn := []G.Value{x, w, y, gy}
	b.add(speedOp{name: "conv_fwd/" + l.name, count: l.count, flops: flops, op: fwd, in: in})
	if !l.input {
		b.add(speedOp{name: "conv_bwd_data/" + l.name, count: l.count, flops: flops, op: grad(wrtInput, false), in: gradIn})
	}
	b.add(speedOp{name: "conv_bwd_filter/" + l.name, count: l.count, flops: flops, op: grad(wrtWeights, false), in: gradIn})
	// The Winograd passes where they fit (the "+winograd" kernels'), with
	// the direct convolution's FLOPs: their GFLOP/s are what a direct
	// convolution would need to match them.
	if g, err := newConvGeom(s, w.Shape(), l.pad, max(l.stride, 1)); err == nil && winoFits(g) {
		wfwd := &convOp{pad: l.pad, stride: l.stride, hasBias: l.bias, noInputGrad: l.input, relu: true, kernel: b.k, winograd: true}
		b.add(speedOp{name: "conv_fwd_winograd/" + l.name, count: l.count, flops: flops, op: wfwd, in: in})
		if bg, ok := g.backwardGeom(); ok && winoFits(bg) && !l.input {
			b.add(speedOp{name: "conv_bwd_data_winograd/" + l.name, count: l.count, flops: flops, op: grad(wrtInput, true), in: gradIn})
		}
		if l.out%16 == 0 {
			b.add(speedOp{name: "conv_bwd_filter_winograd/" + l.name, count: l.count, flops: flops, op: grad(wrtWeights, true), in: gradIn})
		}
	}
	if l.bias {
		biasIn := []G.Value{y, gy}
		if l.pooled {
			biasIn = []G.Value{gy}
		}
		b.add(speedOp{name: "conv_bwd_bias/" + l.name, count: l.count, op: &biasGradOp{relu: !l.pooled}, in: biasIn})
	}
	return y
}

// pool adds a max pool and its backward op and returns its output; with
// masked, the backward applies the ReLU mask of the conv before it.
func (b *opsBuilder) pool(name string, count int, x *tensor.Dense, size, stride int, masked bool) *tensor.Dense {
	fwd := &maxPoolOp{size: size, stride: stride, kernel: b.k}
	y := b.run(fwd, x)
	if y == nil {
		return nil
	}
	gy := randDense(newRand(uint64(len(b.ops))+950), 1, y.Shape()...)
	b.add(speedOp{name: "maxpool_fwd/" + name, count: count, op: fwd, in: []G.Value{x}})
	b.add(speedOp{name: "maxpool_bwd/" + name, count: count, op: &maxPoolGradOp{fwd: fwd, relu: masked}, in: []G.Value{x, y, gy}, fwd: fwd, fwdIn: []G.Value{x}})
	return y
}

// lrn adds an LRN with AlexNet's constants and its backward op.
func (b *opsBuilder) lrn(name string, count int, x *tensor.Dense) *tensor.Dense {
	fwd := &lrnOp{p: AlexNetLRN(), kernel: b.k}
	y := b.run(fwd, x)
	if y == nil {
		return nil
	}
	gy := randDense(newRand(uint64(len(b.ops))+970), 1, y.Shape()...)
	b.add(speedOp{name: "lrn_fwd/" + name, count: count, op: fwd, in: []G.Value{x}})
	b.add(speedOp{name: "lrn_bwd/" + name, count: count, op: &lrnGradOp{fwd: fwd}, in: []G.Value{x, y, gy}, fwd: fwd, fwdIn: []G.Value{x}})
	return y
}

// concat adds the concatenation of two branches and its backward slices.
func (b *opsBuilder) concat(name string, x0, x1 *tensor.Dense) *tensor.Dense {
	fwd := &concatOp{n: 2}
	y := b.run(fwd, x0, x1)
	if y == nil {
		return nil
	}
	b.add(speedOp{name: "concat_fwd/" + name, count: 1, op: fwd, in: []G.Value{x0, x1}})
	b.add(speedOp{name: "concat_bwd/" + name, count: 2, op: &channelSliceOp{}, in: []G.Value{x0, y}})
	return y
}

// head adds a linear layer on x and the softmax cross-entropy loss.
func (b *opsBuilder) head(name string, x *tensor.Dense, out int, bias bool) {
	rng := newRand(990)
	s := x.Shape()
	d := s.TotalSize() / s[0]
	w := randDense(rng, 0.01, out, d)
	fwd := &linearOp{xDims: len(s), hasBias: bias, gemm: splitGEMM{kernel: b.k}}
	in := []G.Value{x, w}
	if bias {
		in = append(in, randDense(rng, 0.01, out))
	}
	logits := b.run(fwd, in...)
	if logits == nil {
		return
	}
	gl := randDense(rng, 1, s[0], out)
	flops := 2 * float64(s[0]*out*d)
	b.add(speedOp{name: "linear_fwd/" + name, count: 1, flops: flops, op: fwd, in: in})
	for _, wrt := range []string{wrtInput, wrtWeights} {
		g := &linearGradOp{xDims: len(s), wrt: wrt, gemm: splitGEMM{kernel: b.k}}
		b.add(speedOp{name: "linear_bwd_" + map[string]string{wrtInput: "data", wrtWeights: "filter"}[wrt] + "/" + name, count: 1, flops: flops, op: g, in: []G.Value{x, w, gl}})
	}
	if bias {
		b.add(speedOp{name: "linear_bwd_bias/" + name, count: 1, op: &colSumOp{}, in: []G.Value{gl}})
	}
	labels := make([]float32, s[0])
	for i := range labels {
		labels[i] = float32(i % out)
	}
	lt := tensor.New(tensor.WithShape(s[0]), tensor.WithBacking(labels))
	one := G.F32(1)
	b.add(speedOp{name: "softmax_ce_fwd", count: 1, op: &softmaxCEOp{}, in: []G.Value{logits, lt}})
	b.add(speedOp{name: "softmax_ce_bwd", count: 1, op: &softmaxCEGradOp{}, in: []G.Value{logits, lt, &one}})
}

// refNetSpeedOps lists the reference net's ops at batch 64: conv 3->32
// (3x3 pad 1, ReLU) on 32x32 reading the input, pool 2; per branch two
// 32->32 convs on 16x16 and a pool 2; concat; linear 4096->10; no biases.
func refNetSpeedOps(k gemm.Kernel) ([]speedOp, error) {
	b := &opsBuilder{k: k}
	x := randDense(newRand(800), 1, 64, 3, 32, 32)
	h := b.conv(x, convLayer{name: "3to32_32x32", count: 1, out: 32, size: 3, pad: 1, stride: 1, input: true, pooled: true})
	h = b.pool("2_32x32x32", 1, h, 2, 2, true)
	h = b.conv(h, convLayer{name: "32to32_16x16", count: 2, out: 32, size: 3, pad: 1, stride: 1})
	h = b.conv(h, convLayer{name: "32to32_16x16_pooled", count: 2, out: 32, size: 3, pad: 1, stride: 1, pooled: true})
	h = b.pool("2_32x16x16", 2, h, 2, 2, true)
	h = b.concat("2x32x8x8", h, h)
	if h != nil {
		b.head("4096to10", h, 10, false)
	}
	return b.ops, b.err
}

// alexNetSpeedOps lists the cifar10-alexnet net's ops at batch 128: per
// tower conv 7x7/2 pad 3, 3->16 (ReLU) reading the input, LRN, max pool
// 3/2, conv 5x5 pad 2 16->32, LRN, max pool 3/2; concat; conv 3x3 pad 1
// 64->64; global average pool; linear 64->10; with biases.
func alexNetSpeedOps(k gemm.Kernel) ([]speedOp, error) {
	b := &opsBuilder{k: k}
	x := randDense(newRand(810), 1, 128, 3, 32, 32)
	h := b.conv(x, convLayer{name: "7x7s2_3to16_32x32", count: 2, out: 16, size: 7, pad: 3, stride: 2, bias: true, input: true})
	h = b.lrn("16x16x16", 2, h)
	h = b.pool("3s2_16x16x16", 2, h, 3, 2, false)
	h = b.conv(h, convLayer{name: "5x5_16to32_7x7", count: 2, out: 32, size: 5, pad: 2, stride: 1, bias: true})
	h = b.lrn("32x7x7", 2, h)
	h = b.pool("3s2_32x7x7", 2, h, 3, 2, false)
	h = b.concat("2x32x3x3", h, h)
	h = b.conv(h, convLayer{name: "3x3_64to64_3x3", count: 1, out: 64, size: 3, pad: 1, stride: 1, bias: true})
	if h == nil {
		return nil, b.err
	}
	gap := &gapOp{}
	f := b.run(gap, h)
	if f == nil {
		return nil, b.err
	}
	b.add(speedOp{name: "gap_fwd/64x3x3", count: 1, op: gap, in: []G.Value{h}})
	b.add(speedOp{name: "gap_bwd/64x3x3", count: 1, op: &gapOp{grad: true}, in: []G.Value{h, randDense(newRand(811), 1, 128, 64)}})
	b.head("64to10", f, 10, true)
	return b.ops, b.err
}

// speedResult is one op's (or step's) measured CPU time per run under one
// kernel, and its rate as a share of the FMA peak measured next to it.
type speedResult struct {
	net, name string
	count     int
	flops     float64
	kernel    gemm.Kernel
	t         cputime.Sample
	share     float64 // median over repetitions of rate / peak measured just before
}

// gflops returns the op's rate at the median time.
func (r speedResult) gflops() float64 { return r.flops / r.t.Median.Seconds() / 1e9 }

// speedRun times f in reps repetitions of at least minCPU of clock's CPU
// time, each right after a 10 ms measurement of peak's FMA peak, and
// returns the times and the median of flops/time/peak: a share of the
// peak that other load on the machine (a busy sibling hyperthread) lowers
// on both sides alike.
func speedRun(clock cputime.Clock, f func(), flops float64, peak gemm.Kernel, reps int, minCPU time.Duration) (cputime.Sample, float64, error) {
	var times []time.Duration
	var shares []float64
	for r := 0; r < reps; r++ {
		p, err := gemm.MeasurePeak(peak, 1, 10*time.Millisecond)
		if err != nil {
			return cputime.Sample{}, 0, err
		}
		s, err := cputime.Time(clock, f, 1, minCPU)
		if err != nil {
			return cputime.Sample{}, 0, err
		}
		times = append(times, s.Median)
		shares = append(shares, flops/s.Median.Seconds()/1e9/p.GFLOPS)
	}
	slices.Sort(shares)
	return cputime.Summarize(times), shares[(len(shares)-1)/2], nil
}

// BenchmarkSpeed measures, in CPU time on one core (GOMAXPROCS 1), every
// op of the reference net and of the cifar10-alexnet net (thread time),
// and a whole forward+backward step of each, direct and with Winograd
// where it fits (step_winograd; process time: the tape machine runs on a
// goroutine of its own), under each vector kernel this CPU runs, the
// kernels alternating, each repetition right after a short measurement of
// the FMA peak (that of the fastest kernel). Each op is a sub-benchmark
// reporting, per kernel, cpu-ns/op (the median of 5 repetitions), GFLOP/s
// and %peak (the median share of the peak measured next to it), and the
// speedup of the fastest kernel over the next. At the end it prints a
// markdown table of it all, with each op's share of the step that runs
// it. Run it alone: go test -run '^$' -bench Speed -benchtime 1x
// ./trainer/ops.
func BenchmarkSpeed(b *testing.B) {
	var kernels []gemm.Kernel
	for _, k := range gemm.Kernels() {
		if k != gemm.Portable {
			kernels = append(kernels, k)
		}
	}
	if len(kernels) == 0 {
		b.Skip("no vector kernel on this CPU")
	}
	peak, err := gemm.MeasurePeak(kernels[0], 5, 100*time.Millisecond)
	if err != nil {
		b.Skip(err)
	}
	const reps, minCPU = 5, 60 * time.Millisecond
	var results []speedResult
	report := func(b *testing.B, rs []speedResult) {
		for _, r := range rs {
			b.ReportMetric(float64(r.t.Median.Nanoseconds()), string(r.kernel)+"-cpu-ns/op")
			if r.flops > 0 {
				b.ReportMetric(r.gflops(), string(r.kernel)+"-GFLOP/s")
				b.ReportMetric(100*r.share, string(r.kernel)+"-%peak")
			}
		}
		if len(rs) > 1 {
			b.ReportMetric(rs[1].t.Median.Seconds()/rs[0].t.Median.Seconds(), "speedup")
		}
		results = append(results, rs...)
	}
	for _, net := range speedNets {
		ops := map[gemm.Kernel][]speedOp{}
		for _, k := range kernels {
			if ops[k], err = net.ops(k); err != nil {
				b.Fatal(err)
			}
		}
		for i, o := range ops[kernels[0]] {
			b.Run(net.name+"/"+o.name, func(b *testing.B) {
				// The benchmark runner sets GOMAXPROCS per -cpu; the work
				// must stay on the timed thread.
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				for b.Loop() {
					var rs []speedResult
					for _, k := range kernels {
						s, share, err := timeOp(ops[k][i], kernels[0], reps, minCPU)
						if err != nil {
							b.Fatal(err)
						}
						rs = append(rs, speedResult{net: net.name, name: o.name, count: o.count, flops: o.flops, kernel: k, t: s, share: share})
					}
					report(b, rs)
				}
			})
		}
		// The whole step, direct and with Winograd where it fits (the
		// kernels' "+winograd" identities: what a new run uses).
		for _, winograd := range []bool{false, true} {
			name := "step"
			if winograd {
				name = "step_winograd"
			}
			b.Run(net.name+"/"+name, func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				for b.Loop() {
					var rs []speedResult
					for _, k := range kernels {
						step, done, err := net.step(netKernel{gemm: k, winograd: winograd})
						if err != nil {
							b.Fatal(err)
						}
						var serr error
						s, _, err := speedRun(cputime.Process, func() {
							if e := step(); e != nil && serr == nil {
								serr = e
							}
						}, 0, kernels[0], reps, 4*minCPU)
						done()
						if err != nil || serr != nil {
							b.Fatal(err, serr)
						}
						rs = append(rs, speedResult{net: net.name, name: name, count: 1, kernel: k, t: s})
						b.ReportMetric(float64(net.batch)/s.Median.Seconds(), string(k)+"-images/cpu-s")
					}
					report(b, rs)
				}
			})
		}
	}
	fmt.Printf("FMA peak per core, measured before the ops: %v\n\n%s", peak, speedTable(results, kernels))
}

// timeOp measures one op in thread CPU time on one thread; see speedRun.
func timeOp(o speedOp, peak gemm.Kernel, reps int, minCPU time.Duration) (cputime.Sample, float64, error) {
	if o.fwd != nil {
		if _, err := o.fwd.Do(o.fwdIn...); err != nil {
			return cputime.Sample{}, 0, err
		}
	}
	var err error
	s, share, terr := speedRun(cputime.Thread, func() {
		if _, e := o.op.Do(o.in...); e != nil && err == nil {
			err = e
		}
	}, o.flops, peak, reps, minCPU)
	if terr != nil {
		return s, 0, terr
	}
	return s, share, err
}

// speedTable renders results as a markdown table: per net and op, the
// runs per step and, per kernel, GFLOP/s and share of peak (or the CPU
// time for ops without flops), the op's share of the step's CPU time
// under the first kernel, and the first kernel's speedup over the second.
func speedTable(results []speedResult, kernels []gemm.Kernel) string {
	type key struct {
		net, name string
		k         gemm.Kernel
	}
	by := map[key]speedResult{}
	var order []key
	for _, r := range results {
		kk := key{r.net, r.name, r.kernel}
		if _, ok := by[kk]; !ok && r.kernel == kernels[0] {
			order = append(order, kk)
		}
		by[kk] = r
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "| net | op | runs/step |")
	for _, k := range kernels {
		fmt.Fprintf(&sb, " %s |", k)
	}
	fmt.Fprintf(&sb, " share of step (%s) |", kernels[0])
	if len(kernels) > 1 {
		fmt.Fprintf(&sb, " %s / %s |", kernels[0], kernels[1])
	}
	sb.WriteString("\n|---|---|---:|")
	for range kernels {
		sb.WriteString("---:|")
	}
	sb.WriteString("---:|")
	if len(kernels) > 1 {
		sb.WriteString("---:|")
	}
	sb.WriteString("\n")
	for _, o := range order {
		r := by[o]
		// A Winograd pass's share is of the step that runs it.
		stepName := "step"
		if strings.Contains(o.name, "_winograd") {
			stepName = "step_winograd"
		}
		step := by[key{o.net, stepName, kernels[0]}]
		fmt.Fprintf(&sb, "| %s | %s | %d |", o.net, o.name, r.count)
		for _, k := range kernels {
			rk := by[key{o.net, o.name, k}]
			switch {
			case strings.HasPrefix(o.name, "step"):
				fmt.Fprintf(&sb, " %.1f ms (%.0f..%.0f) |", rk.t.Median.Seconds()*1e3, rk.t.Min.Seconds()*1e3, rk.t.Max.Seconds()*1e3)
			case rk.flops > 0:
				fmt.Fprintf(&sb, " %.0f GFLOP/s, %.0f%% |", rk.gflops(), 100*rk.share)
			default:
				fmt.Fprintf(&sb, " %.0f µs |", rk.t.Median.Seconds()*1e6)
			}
		}
		share := float64(r.count) * r.t.Median.Seconds() / step.t.Median.Seconds()
		fmt.Fprintf(&sb, " %.1f%% |", 100*share)
		if len(kernels) > 1 {
			other := by[key{o.net, o.name, kernels[1]}]
			fmt.Fprintf(&sb, " %.2fx |", other.t.Median.Seconds()/r.t.Median.Seconds())
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
