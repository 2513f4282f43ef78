package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// tolGemm bounds |got-want| / (1 + sum_p |alpha*a_ip*b_pj| + |beta*c_ij|):
// a few float32 ulps per term of the float64 reference sum.
const tolGemm = 1e-5

// naive is the float64 reference C = alpha*op(A)*op(B) + beta*C; it also
// returns the magnitude bound used to scale the tolerance.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, mag float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				mag += math.Abs(float64(av) * float64(bv) * float64(alpha))
			}
			cv := 0.0
			if beta != 0 {
				cv = float64(beta) * float64(c[i*ldc+j])
			}
			want[i*n+j] = float64(alpha)*s + cv
			scale[i*n+j] = 1 + mag + math.Abs(cv)
		}
	}
	return want, scale
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra columns in each leading dimension
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%t,tB=%t,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d", tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad)
}

// gemmCases returns edge shapes (0, 1, tile-1, tile+1, block boundaries)
// and random shapes for all transpose combinations and alpha/beta variants.
func gemmCases(rng *rand.Rand, nRandom int) []gemmCase {
	var cs []gemmCase
	sizes := []int{0, 1, 5, 6, 7, 15, 16, 17, 33}
	ab := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}, {2, -1}}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					k := sizes[(m+n)%len(sizes)]
					v := ab[(m+2*n)%len(ab)]
					cs = append(cs, gemmCase{tA, tB, m, n, k, v[0], v[1], (m + n) % 3})
				}
			}
			// Block boundaries of kc, mc and the reference conv shapes.
			cs = append(cs,
				gemmCase{tA, tB, 121, 40, 257, 1, 0, 0},
				gemmCase{tA, tB, 32, 256, 288, 1, 0, 1},
				gemmCase{tA, tB, 241, 17, 513, 0.5, 1, 2},
			)
			for r := 0; r < nRandom; r++ {
				v := ab[rng.IntN(len(ab))]
				cs = append(cs, gemmCase{tA, tB, 1 + rng.IntN(70), 1 + rng.IntN(70), rng.IntN(300), v[0], v[1], rng.IntN(4)})
			}
		}
	}
	return cs
}

// runCase fills A, B, C for tc, calls f and checks C against naive.
func runCase(t *testing.T, rng *rand.Rand, tc gemmCase, f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := max(1, ac+tc.pad), max(1, bc+tc.pad), max(1, tc.n+tc.pad)
	a := randSlice(rng, max(0, ar*lda))
	b := randSlice(rng, max(0, br*ldb))
	c := randSlice(rng, max(0, tc.m*ldc))
	if tc.beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN()) // beta == 0 must not read C
		}
	}
	orig := append([]float32(nil), c...)
	want, scale := naive(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	f(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= tc.n {
				if math.Float32bits(got) != math.Float32bits(orig[i*ldc+j]) {
					t.Fatalf("%v: padding C[%d][%d] changed", tc, i, j)
				}
				continue
			}
			if err := math.Abs(float64(got)-want[i*tc.n+j]) / scale[i*tc.n+j]; !(err <= tolGemm) {
				t.Fatalf("%v: C[%d][%d] = %g, want %g (scaled error %g)", tc, i, j, got, want[i*tc.n+j], err)
			}
		}
	}
}

func TestSgemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type sgemmFunc = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	impls := []struct {
		name string
		f    sgemmFunc
	}{{"Sgemm/" + Impl(), Sgemm}}
	for _, kern := range Kernels() {
		// Each kernel's pure Go product, and its blocked path for A·Bᵀ too.
		f := familyOf(kern)
		blocked := *f
		blocked.dot = nil
		for _, fam := range []*family{f, &blocked} {
			name := "go/" + string(kern)
			if fam.dot == nil && f.dot != nil {
				name += "/blocked"
			}
			impls = append(impls, struct {
				name string
				f    sgemmFunc
			}{name, func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				w := Workspace{Kernel: kern}
				sgemmFamily(&w, fam, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			}})
		}
	}
	nRandom := 40
	if testing.Short() {
		nRandom = 5
	}
	cases := gemmCases(rng, nRandom)
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			for _, tc := range cases {
				runCase(t, rng, tc, impl.f)
			}
		})
	}
}

func TestWorkspaceReuse(t *testing.T) {
	// One workspace across shrinking and growing shapes must give the same
	// bits as a fresh workspace per call.
	rng := rand.New(rand.NewPCG(3, 4))
	var w Workspace
	for _, s := range [][3]int{{50, 300, 40}, {7, 9, 3}, {130, 20, 600}, {6, 16, 1}} {
		m, n, k := s[0], s[1], s[2]
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		c1, c2 := make([]float32, m*n), make([]float32, m*n)
		w.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c1, n)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c2, n)
		for i := range c1 {
			if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
				t.Fatalf("shape %v: element %d differs: %g vs %g", s, i, c1[i], c2[i])
			}
		}
	}
}

func TestSgemmPanicsOnBadArgs(t *testing.T) {
	tests := []struct {
		name string
		call func()
	}{
		{"short A", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"small ldb", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 1, 0, make([]float32, 4), 2)
		}},
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, make([]float32, 4), 2, 0, nil, 2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tt.call()
		})
	}
}

// benchShapes are the per-image products of the reference net's 32->32
// 3x3 convolutions at 16x16 and its 3->32 stem at 32x32.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"fwd_m32_n1024_k288", false, false, 32, 1024, 288},
	{"fwd_m32_n256_k288", false, false, 32, 256, 288},
	{"bwdData_m288_n1024_k32", true, false, 288, 1024, 32},
	{"bwdFilter_m32_n288_k1024", false, true, 32, 288, 1024},
	{"stem_m32_n1024_k27", false, false, 32, 1024, 27},
}

func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range benchShapes {
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		a, bm, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), make([]float32, s.m*s.n)
		flops := 2 * float64(s.m*s.n*s.k)
		b.Run(s.name+"/"+Impl(), func(b *testing.B) {
			var w Workspace
			for b.Loop() {
				w.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(s.name+"/gonum", func(b *testing.B) {
			tA, tB := blas.NoTrans, blas.NoTrans
			if s.transA {
				tA = blas.Trans
			}
			if s.transB {
				tB = blas.Trans
			}
			var impl gonum.Implementation
			for b.Loop() {
				impl.Sgemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
