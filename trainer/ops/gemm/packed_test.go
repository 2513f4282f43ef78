package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// mulPanelShapes are MulPanel products: every tail of every kernel's panel
// split (m around multiples of 4, 6, 8 and 16), ragged and full column
// panels, empty and deep products, and windows read with a skip.
var mulPanelShapes = []struct{ m, n, k, skip int }{
	{1, 1, 1, 0}, {6, 16, 7, 0}, {5, 15, 0, 0}, {7, 17, 33, 0}, {32, 256, 288, 0},
	{13, 40, 9, 3}, {3, 16, 300, 5}, {36, 33, 64, 0}, {4, 16, 5, 0}, {8, 16, 5, 1},
	{9, 32, 6, 0}, {12, 16, 7, 0}, {16, 16, 27, 0}, {17, 20, 3, 0}, {20, 16, 11, 2},
	{24, 48, 8, 0}, {28, 16, 5, 0}, {29, 31, 4, 0}, {40, 16, 2, 0}, {45, 16, 3, 0},
}

// TestMulPanelMatchesNaive packs A with PackA and B panel by panel, runs
// MulPanel with every kernel and epilogue, and checks C against the
// float64 reference, including panel windows read with a stride.
func TestMulPanelMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	eps := []struct{ add, bias, relu bool }{
		{false, false, false}, {true, false, false}, {false, true, false}, {false, false, true}, {false, true, true}, {true, true, true},
	}
	for _, kern := range Kernels() {
		for _, tt := range mulPanelShapes {
			for _, e := range eps {
				name := fmt.Sprintf("%s/m%d_n%d_k%d_skip%d_add%t_bias%t_relu%t", kern, tt.m, tt.n, tt.k, tt.skip, e.add, e.bias, e.relu)
				t.Run(name, func(t *testing.T) {
					mulPanelCase(t, rng, kern, tt.m, tt.n, tt.k, tt.skip, Epilogue{Add: e.add, ReLU: e.relu}, e.bias)
				})
			}
		}
	}
}

// mulPanelCase runs one MulPanel product with kernel kern and checks it
// against the float64 reference.
func mulPanelCase(t *testing.T, rng *rand.Rand, kern Kernel, m, n, k, skip int, ep Epilogue, bias bool) {
	t.Helper()
	// A's panels are k+skip deep; MulPanel reads a window of k starting
	// skip rows in.
	kt := k + skip
	a := randSlice(rng, m*kt)
	ap := kern.PackA(nil, a, max(1, kt), m, kt)
	b := randSlice(rng, k*n)
	ldc := n + 2
	c := randSlice(rng, m*ldc)
	if !ep.Add {
		for i := range c {
			if i%ldc < n {
				c[i] = float32(math.NaN())
			}
		}
	}
	orig := append([]float32(nil), c...)
	if bias {
		ep.Bias = randSlice(rng, m)
	}
	w := Workspace{Kernel: kern}
	nr := kern.NR()
	bp := make([]float32, nr*k)
	for j0 := 0; j0 < n; j0 += nr {
		nv := min(nr, n-j0)
		for p := 0; p < k; p++ {
			copy(bp[p*nr:p*nr+nv], b[p*n+j0:p*n+j0+nv])
		}
		w.MulPanel(m, nv, k, ap, kern.MR()*kt, skip, bp, ep, c[j0:], ldc)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= n {
				if math.Float32bits(got) != math.Float32bits(orig[i*ldc+j]) {
					t.Fatalf("C[%d][%d] outside the product changed", i, j)
				}
				continue
			}
			var want, mag float64
			if ep.Add {
				want, mag = float64(orig[i*ldc+j]), math.Abs(float64(orig[i*ldc+j]))
			}
			for p := 0; p < k; p++ {
				v := float64(a[i*kt+skip+p]) * float64(b[p*n+j])
				want += v
				mag += math.Abs(v)
			}
			if bias {
				want += float64(ep.Bias[i])
				mag += math.Abs(float64(ep.Bias[i]))
			}
			if ep.ReLU {
				want = max(want, 0)
			}
			if err := math.Abs(float64(got)-want) / (1 + mag); !(err <= tolGemm) {
				t.Fatalf("C[%d][%d] = %g, want %g", i, j, got, want)
			}
		}
	}
}

func TestGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := randSlice(rng, 120)
	src1 := randSlice(rng, 120)
	offs := []int32{0, 84, 7, 50, 3}
	for _, kern := range Kernels() {
		width := kern.NR()
		g, err := kern.NewGather(offs)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"selected", "generic"} {
			dst := make([]float32, len(offs)*width+1)
			dst[len(dst)-1] = 42
			if name == "generic" {
				gatherPanelGeneric(dst, src, offs, width)
			} else {
				g.Pack(dst, src)
			}
			for r, o := range offs {
				for j := 0; j < width; j++ {
					if dst[r*width+j] != src[int(o)+j] {
						t.Fatalf("width %d %s: dst[%d] = %g, want src[%d] = %g", width, name, r*width+j, dst[r*width+j], int(o)+j, src[int(o)+j])
					}
				}
			}
			if dst[len(dst)-1] != 42 {
				t.Errorf("width %d %s: wrote past the panel", width, name)
			}
		}
		for _, name := range []string{"selected", "generic"} {
			dst := make([]float32, len(offs)*width)
			if name == "generic" {
				gatherPanel2Generic(dst, src, src1, offs, width)
			} else {
				g.Pack2(dst, src, src1)
			}
			for r, o := range offs {
				for j := 0; j < width; j++ {
					want := src[int(o)+j]
					if j >= width/2 {
						want = src1[int(o)+j-width/2]
					}
					if dst[r*width+j] != want {
						t.Fatalf("width %d Pack2 %s: dst[%d] = %g, want %g", width, name, r*width+j, dst[r*width+j], want)
					}
				}
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("width %d: Pack from a too short source did not panic", width)
				}
			}()
			g.Pack(make([]float32, len(offs)*width), src[:84+width-1])
		}()
	}
	if _, err := Portable.NewGather([]int32{3, -1}); err == nil {
		t.Errorf("NewGather with a negative offset: no error")
	}
}

// TestKernelEpilogues checks each micro-kernel of every kernel this CPU
// runs against the portable one of the same height on one tile, for
// every combination of epilogue flags and depths around each kernel's
// unrolling.
func TestKernelEpilogues(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const ldc = maxNR + 3
	for _, kern := range Kernels() {
		f := familyOf(kern)
		for h, tile := range f.tile {
			if tile == nil {
				continue
			}
			for _, k := range []int{1, 2, 3, 4, 5, 37} {
				a, b := randSlice(rng, k*h), randSlice(rng, k*f.nr)
				bias := randSlice(rng, h)
				c0 := randSlice(rng, maxMR*ldc)
				for flags := 0; flags < 8; flags++ {
					got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
					tile(k, &a[0], &b[0], &got[0], ldc, flags, &bias[0], max(k, 1), 0)
					genericTile(h, f.nr, k, &a[0], &b[0], &want[0], ldc, flags, &bias[0], max(k, 1), 0)
					for i := range got {
						if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("%s %dx%d k=%d flags %d: C[%d] = %g, portable kernel %g", kern, h, f.nr, k, flags, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestHalfKernels checks each half-width kernel against its family's
// full-width kernel on the same panels: the first nr/2 columns bit for bit,
// with every epilogue, and nothing written past them.
func TestHalfKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const ldc = maxNR + 3
	for _, kern := range Kernels() {
		f := familyOf(kern)
		for h, half := range f.half {
			if half == nil {
				continue
			}
			for _, k := range []int{0, 1, 2, 3, 4, 5, 37} {
				a, b := randSlice(rng, max(1, k*h)), randSlice(rng, max(1, k*f.nr))
				bias := randSlice(rng, h)
				c0 := randSlice(rng, maxMR*ldc)
				for flags := 0; flags < 8; flags++ {
					got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
					half(k, &a[0], &b[0], &got[0], ldc, flags, &bias[0], max(k, 1), 0)
					f.tile[h](k, &a[0], &b[0], &want[0], ldc, flags, &bias[0], max(k, 1), 0)
					for i := range got {
						w := want[i]
						if i%ldc >= f.nr/2 || i/ldc >= h {
							w = c0[i]
						}
						if math.Float32bits(got[i]) != math.Float32bits(w) {
							t.Fatalf("%s %dx%d k=%d flags %d: C[%d][%d] = %g, want %g", kern, h, f.nr/2, k, flags, i/ldc, i%ldc, got[i], w)
						}
					}
				}
			}
		}
	}
}

// TestKernelGaps checks every micro-kernel (full and half width) reading A
// with gaps against the same kernel on A with the gaps taken out, bit for
// bit, for runs that divide the depth and runs that do not, odd and even
// (the kernels unroll by 2 and 4), and runs longer than the depth; and
// MulPanelGaps against MulPanel over a B with zero rows at A's gaps, the
// product it stands for.
func TestKernelGaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const ldc = maxNR + 3
	for _, kern := range Kernels() {
		f := familyOf(kern)
		kernels := map[string][maxMR + 1]kernelFunc{"tile": f.tile, "half": f.half}
		for name, tiles := range kernels {
			for h, tile := range tiles {
				if tile == nil {
					continue
				}
				for _, c := range []struct{ k, seg, gap int }{
					{1, 1, 3}, {7, 1, 1}, {16, 4, 2}, {17, 4, 2}, {21, 7, 4}, {21, 3, 2}, {37, 5, 1}, {37, 40, 3}, {48, 16, 2}, {49, 7, 4},
				} {
					span := aSteps(c.k, c.seg, c.gap)
					a, b := randSlice(rng, span*h), randSlice(rng, c.k*f.nr)
					// compact: A without its gaps.
					var compact []float32
					for q := 0; q < span; q++ {
						if q%(c.seg+c.gap) < c.seg {
							compact = append(compact, a[q*h:(q+1)*h]...)
						}
					}
					bias := randSlice(rng, h)
					c0 := randSlice(rng, maxMR*ldc)
					for flags := 0; flags < 8; flags++ {
						got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
						tile(c.k, &a[0], &b[0], &got[0], ldc, flags, &bias[0], c.seg, c.gap)
						tile(c.k, &compact[0], &b[0], &want[0], ldc, flags, &bias[0], c.k, 0)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s %s %d rows k=%d seg=%d gap=%d flags %d: C[%d][%d] = %g, without the gaps %g",
									kern, name, h, c.k, c.seg, c.gap, flags, i/ldc, i%ldc, got[i], want[i])
							}
						}
					}
				}
			}
		}
		// MulPanelGaps against MulPanel over B with zero rows at the gaps.
		w := Workspace{Kernel: kern}
		const m, depth, seg, gap, skip = 29, 45, 9, 3, 2
		span := aSteps(depth, seg, gap)
		a := randSlice(rng, m*(skip+span))
		ap := kern.PackA(nil, a, skip+span, m, skip+span)
		stride := f.mr * (skip + span)
		bGaps := randSlice(rng, depth*f.nr)
		bFull := make([]float32, span*f.nr)
		for p := 0; p < depth; p++ {
			q := p + p/seg*gap
			copy(bFull[q*f.nr:(q+1)*f.nr], bGaps[p*f.nr:(p+1)*f.nr])
		}
		for _, nv := range []int{f.nr, f.nr / 2, 3} {
			got, want := make([]float32, m*nv), make([]float32, m*nv)
			w.MulPanelGaps(m, nv, depth, ap, stride, skip, seg, gap, bGaps, Epilogue{}, got, nv)
			w.MulPanel(m, nv, span, ap, stride, skip, bFull, Epilogue{}, want, nv)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s nv=%d: MulPanelGaps C[%d][%d] = %g, MulPanel over zero rows %g", kern, nv, i/nv, i%nv, got[i], want[i])
				}
			}
		}
	}
}

// TestMulGatherMatchesMulPanel checks that MulGather gives MulPanel's bits
// on the packed panel, with every kernel, for panels of one run and of two
// runs, ragged columns and every panel height.
// TestColumnsMatchTiles checks that the kernels that run a column of
// tiles in one call (family.column and gcolumn) give the bits of their
// tiles called one panel at a time, for every split into 6- and 4-row
// panels up to 32 rows, depths with and without gaps, a skip, and every
// epilogue.
func TestColumnsMatchTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, kern := range Kernels() {
		f := familyOf(kern)
		if f.column == nil && f.gcolumn == nil {
			continue
		}
		for _, m := range []int{4, 6, 8, 10, 12, 16, 20, 24, 32} {
			full, tails := f.split(m)
			nt := 0
			for _, h := range tails {
				if h == 4 {
					nt++
				}
			}
			if full*f.mr+4*nt != m {
				continue // a partial panel: the column kernels are not used
			}
			for _, c := range []struct{ k, seg, gap, skip int }{{1, 1, 0, 0}, {3, 3, 0, 2}, {27, 27, 0, 0}, {49, 7, 4, 1}, {64, 16, 2, 3}} {
				span := aSteps(c.k, c.seg, c.gap)
				stride := f.mr * (c.skip + span)
				ap := randSlice(rng, (full+nt)*stride)
				b := randSlice(rng, c.k*f.nr)
				src := randSlice(rng, 64+f.nr)
				offs := make([]int32, c.k)
				for i := range offs {
					offs[i] = int32(rng.IntN(64))
				}
				bias := randSlice(rng, m)
				c0 := randSlice(rng, m*f.nr)
				for flags := 0; flags < 8; flags++ {
					name := fmt.Sprintf("%s m=%d k=%d seg=%d gap=%d skip=%d flags=%d", kern, m, c.k, c.seg, c.gap, c.skip, flags)
					// a(ip) is panel ip's A where the product reads it.
					height := func(ip int) int { return map[bool]int{true: f.mr, false: 4}[ip < full] }
					a := func(ip int) *float32 { return &ap[ip*stride+c.skip*height(ip)] }
					var a6, a4 *float32
					if full > 0 {
						a6 = a(0)
					}
					if nt > 0 {
						a4 = a(full)
					}
					if f.column != nil {
						got, want := slices.Clone(c0), slices.Clone(c0)
						f.column(c.k, a6, a4, &b[0], &got[0], f.nr, flags, &bias[0], c.seg, c.gap, full, nt, stride)
						for ip, row := 0, 0; ip < full+nt; ip++ {
							f.tile[height(ip)](c.k, a(ip), &b[0], &want[row*f.nr], f.nr, flags, &bias[row], c.seg, c.gap)
							row += height(ip)
						}
						sameFloats(t, "column "+name, got, want)
					}
					if f.gcolumn != nil && c.gap == 0 && c.skip == 0 {
						got, want := slices.Clone(c0), slices.Clone(c0)
						f.gcolumn(c.k, &ap[0], &src[0], &src[f.nr/2], &offs[0], &got[0], f.nr, flags, &bias[0], full, nt, stride)
						for ip, row := 0, 0; ip < full+nt; ip++ {
							f.gtile[height(ip)](c.k, &ap[ip*stride], &src[0], &src[f.nr/2], &offs[0], &want[row*f.nr], f.nr, flags, &bias[row])
							row += height(ip)
						}
						sameFloats(t, "gather column "+name, got, want)
					}
				}
			}
		}
	}
}

// sameFloats fails unless got and want are equal bit for bit.
func sameFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %g, tile by tile %g", what, i, got[i], want[i])
		}
	}
}

func TestMulGatherMatchesMulPanel(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	src0, src1 := randSlice(rng, 400), randSlice(rng, 400)
	for _, kern := range Kernels() {
		nr := kern.NR()
		for _, depth := range []int{1, 2, 3, 27, 64} {
			offs := make([]int32, depth)
			for i := range offs {
				offs[i] = int32(rng.IntN(400 - nr))
			}
			g, err := kern.NewGather(offs)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []int{1, 4, 5, 8, 12, 13, 16, 20, 32} {
				a := randSlice(rng, m*depth)
				ap := kern.PackA(nil, a, depth, m, depth)
				bias := randSlice(rng, m)
				for _, two := range []bool{false, true} {
					for _, nv := range []int{nr, nr - 3} {
						ep := Epilogue{Bias: bias, ReLU: two}
						w := Workspace{Kernel: kern}
						bp := make([]float32, depth*nr)
						var s1 []float32
						if two {
							s1 = src1
							g.Pack2(bp, src0, src1)
						} else {
							g.Pack(bp, src0)
						}
						ldc := nr + 1
						want, got := make([]float32, m*ldc), make([]float32, m*ldc)
						w.MulPanel(m, nv, depth, ap, kern.MR()*depth, 0, bp, ep, want, ldc)
						w.MulGather(m, nv, ap, kern.MR()*depth, g, src0, s1, ep, got, ldc)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s depth %d m %d two runs %t nv %d: C[%d] = %g, MulPanel %g", kern, depth, m, two, nv, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

func TestPackRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	src := randSlice(rng, 300)
	offs := []int32{0, 200, 7, 51, 3, 120}
	for _, c := range []struct {
		width          int
		rsrc, rdst, rn []int32
	}{
		// Runs of 7 (7-wide output rows, 9 apart in the source), the
		// last cut short; a run longer than 16; runs of a 16-wide row.
		{32, []int32{0, 9, 18, 27, 40}, []int32{0, 7, 14, 21, 24}, []int32{7, 7, 7, 3, 8}},
		{32, []int32{3, 60}, []int32{0, 7}, []int32{7, 20}},
		{16, []int32{2, 40}, []int32{0, 5}, []int32{5, 11}},
	} {
		for _, kern := range Kernels() {
			if kern.NR() == c.width {
				testPackRuns(t, rng, kern, src, offs, c.width, c.rsrc, c.rdst, c.rn)
			}
		}
	}
	if _, err := NewRuns(16, []int32{0}, []int32{10}, []int32{7}); err == nil {
		t.Errorf("NewRuns with a run past the row: no error")
	}
	if _, err := NewRuns(16, []int32{-1}, []int32{0}, []int32{7}); err == nil {
		t.Errorf("NewRuns with a negative source: no error")
	}
}

func testPackRuns(t *testing.T, rng *rand.Rand, kern Kernel, src []float32, offs []int32, width int, rsrc, rdst, rn []int32) {
	t.Helper()
	g, err := kern.NewGather(offs)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := NewRuns(width, rsrc, rdst, rn)
	if err != nil {
		t.Fatal(err)
	}
	dst := randSlice(rng, len(offs)*width+1)
	want := append([]float32(nil), dst...)
	g.PackRuns(dst, src, runs)
	for r, o := range offs {
		for i := range rn {
			for k := int32(0); k < rn[i]; k++ {
				want[r*width+int(rdst[i]+k)] = src[o+rsrc[i]+k]
			}
		}
	}
	for i := range dst {
		if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, runs %v %v %v: dst[%d] = %g, want %g", kern, rsrc, rdst, rn, i, dst[i], want[i])
		}
	}
}
