package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMulPanelMatchesNaive packs A with PackA and B panel by panel, runs
// MulPanel with and without add, and checks C against the float64
// reference, including panel windows read with a stride.
func TestMulPanelMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct{ m, n, k, skip int }{
		{1, 1, 1, 0}, {6, 16, 7, 0}, {5, 15, 0, 0}, {7, 17, 33, 0}, {32, 256, 288, 0},
		{13, 40, 9, 3}, {3, 16, 300, 5}, {36, 33, 64, 0},
	}
	eps := []struct{ add, bias, relu bool }{
		{false, false, false}, {true, false, false}, {false, true, false}, {false, false, true}, {false, true, true}, {true, true, true},
	}
	for _, tt := range tests {
		for _, e := range eps {
			add := e.add
			t.Run(fmt.Sprintf("m%d_n%d_k%d_skip%d_add%t_bias%t_relu%t", tt.m, tt.n, tt.k, tt.skip, e.add, e.bias, e.relu), func(t *testing.T) {
				// A's panels are k+skip deep; MulPanel reads a window of k
				// starting skip rows in.
				kt := tt.k + tt.skip
				a := randSlice(rng, tt.m*kt)
				ap := PackA(nil, a, max(1, kt), tt.m, kt)
				b := randSlice(rng, tt.k*tt.n)
				ldc := tt.n + 2
				c := randSlice(rng, tt.m*ldc)
				if !add {
					for i := range c {
						if i%ldc < tt.n {
							c[i] = float32(math.NaN())
						}
					}
				}
				orig := append([]float32(nil), c...)
				ep := Epilogue{Add: add, ReLU: e.relu}
				if e.bias {
					ep.Bias = randSlice(rng, tt.m)
				}
				var w Workspace
				bp := make([]float32, NR*tt.k)
				for j0 := 0; j0 < tt.n; j0 += NR {
					nv := min(NR, tt.n-j0)
					for p := 0; p < tt.k; p++ {
						copy(bp[p*NR:p*NR+nv], b[p*tt.n+j0:p*tt.n+j0+nv])
					}
					w.MulPanel(tt.m, nv, tt.k, ap, MR*kt, tt.skip, bp, ep, c[j0:], ldc)
				}
				for i := 0; i < tt.m; i++ {
					for j := 0; j < ldc; j++ {
						got := c[i*ldc+j]
						if j >= tt.n {
							if math.Float32bits(got) != math.Float32bits(orig[i*ldc+j]) {
								t.Fatalf("C[%d][%d] outside the product changed", i, j)
							}
							continue
						}
						var want, mag float64
						if add {
							want, mag = float64(orig[i*ldc+j]), math.Abs(float64(orig[i*ldc+j]))
						}
						for p := 0; p < tt.k; p++ {
							v := float64(a[i*kt+tt.skip+p]) * float64(b[p*tt.n+j])
							want += v
							mag += math.Abs(v)
						}
						if e.bias {
							want += float64(ep.Bias[i])
							mag += math.Abs(float64(ep.Bias[i]))
						}
						if e.relu {
							want = max(want, 0)
						}
						if err := math.Abs(float64(got)-want) / (1 + mag); !(err <= tolGemm) {
							t.Fatalf("C[%d][%d] = %g, want %g", i, j, got, want)
						}
					}
				}
			})
		}
	}
}

func TestGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := randSlice(rng, 100)
	offs := []int32{0, 84, 7, 50, 3}
	g, err := NewGather(offs)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"selected", "generic"} {
		dst := make([]float32, len(offs)*NR+1)
		dst[len(dst)-1] = 42
		if name == "generic" {
			gatherPanelGeneric(dst, src, offs)
		} else {
			g.Pack(dst, src)
		}
		for r, o := range offs {
			for j := 0; j < NR; j++ {
				if dst[r*NR+j] != src[int(o)+j] {
					t.Fatalf("%s: dst[%d] = %g, want src[%d] = %g", name, r*NR+j, dst[r*NR+j], int(o)+j, src[int(o)+j])
				}
			}
		}
		if dst[len(dst)-1] != 42 {
			t.Errorf("%s: wrote past the panel", name)
		}
	}
	src1 := randSlice(rng, 100)
	for _, name := range []string{"selected", "generic"} {
		dst := make([]float32, len(offs)*NR)
		if name == "generic" {
			gatherPanel2Generic(dst, src, src1, offs)
		} else {
			g.Pack2(dst, src, src1)
		}
		for r, o := range offs {
			for j := 0; j < NR; j++ {
				want := src[int(o)+j]
				if j >= NR/2 {
					want = src1[int(o)+j-NR/2]
				}
				if dst[r*NR+j] != want {
					t.Fatalf("Pack2 %s: dst[%d] = %g, want %g", name, r*NR+j, dst[r*NR+j], want)
				}
			}
		}
	}
	if _, err := NewGather([]int32{3, -1}); err == nil {
		t.Errorf("NewGather with a negative offset: no error")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Pack from a too short source did not panic")
		}
	}()
	g.Pack(make([]float32, len(offs)*NR), src[:99])
}

// TestKernelEpilogues checks the selected micro-kernel against the portable
// one on one tile for every combination of epilogue flags.
func TestKernelEpilogues(t *testing.T) {
	k6, name := microKernel()
	kernels := []struct {
		name      string
		rows      int
		got, want kernelFunc
	}{{name + " 6x16", MR, k6, kernelGeneric}, {name + " 4x16", 4, microKernel4(), kernelGeneric4}}
	rng := rand.New(rand.NewPCG(7, 8))
	const k, ldc = 37, NR + 3
	for _, kk := range kernels {
		a, b := randSlice(rng, k*kk.rows), randSlice(rng, k*NR)
		bias := randSlice(rng, kk.rows)
		c0 := randSlice(rng, MR*ldc)
		for flags := 0; flags < 8; flags++ {
			got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
			kk.got(k, &a[0], &b[0], &got[0], ldc, flags, &bias[0])
			kk.want(k, &a[0], &b[0], &want[0], ldc, flags, &bias[0])
			for i := range got {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("%s flags %d: C[%d] = %g, portable kernel %g", kk.name, flags, i, got[i], want[i])
				}
			}
		}
	}
}
