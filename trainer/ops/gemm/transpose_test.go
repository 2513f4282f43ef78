package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestTranspose8AndMaskCopy(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n, lds, ldd = 24, 29, 11
	src := randSlice(rng, 8*lds)
	mask := randSlice(rng, 8*lds)
	for i := range mask {
		switch i % 5 {
		case 0:
			mask[i] = 0
		case 1:
			mask[i] = float32(math.Copysign(0, -1))
		case 2:
			mask[i] = float32(math.NaN())
		}
	}
	for _, kern := range Kernels() {
		testTranspose8AndMaskCopy(t, kern, src, mask)
	}
}

func testTranspose8AndMaskCopy(t *testing.T, kern Kernel, src, mask []float32) {
	const n, lds, ldd = 24, 29, 11
	rng := rand.New(rand.NewPCG(21, 22))
	for _, m := range [][]float32{nil, mask} {
		dst := randSlice(rng, (n-1)*ldd+8)
		orig := append([]float32(nil), dst...)
		kern.Transpose8(dst, ldd, src, lds, m, n)
		for p := 0; p < n; p++ {
			for i := 0; i < ldd && p*ldd+i < len(dst); i++ {
				got := dst[p*ldd+i]
				if i >= 8 {
					if got != orig[p*ldd+i] {
						t.Fatalf("mask %t: dst[%d][%d] outside the block changed", m != nil, p, i)
					}
					continue
				}
				want := src[i*lds+p]
				if m != nil && (m[i*lds+p] == 0) {
					want = 0
				}
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("%s, mask %t: dst[%d][%d] = %g, want %g", kern, m != nil, p, i, got, want)
				}
			}
		}
	}
	dst := make([]float32, 8*lds-3)
	kern.MaskCopy(dst, src[3:], mask[3:])
	for i, v := range dst {
		want := src[3+i]
		if mask[3+i] == 0 {
			want = 0
		}
		if math.Float32bits(v) != math.Float32bits(want) {
			t.Fatalf("%s: MaskCopy[%d] = %g, want %g", kern, i, v, want)
		}
	}
}

func TestTranspose16(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n, lds, ldd = 48, 53, 19
	src := randSlice(rng, 16*lds)
	mask := randSlice(rng, 16*lds)
	for i := range mask {
		switch i % 5 {
		case 0:
			mask[i] = 0
		case 1:
			mask[i] = float32(math.Copysign(0, -1))
		case 2:
			mask[i] = float32(math.NaN())
		}
	}
	for _, kern := range Kernels() {
		for _, m := range [][]float32{nil, mask} {
			dst := randSlice(rng, (n-1)*ldd+16)
			orig := append([]float32(nil), dst...)
			kern.Transpose16(dst, ldd, src, lds, m, n)
			for p := 0; p < n; p++ {
				for i := 0; i < ldd && p*ldd+i < len(dst); i++ {
					got, want := dst[p*ldd+i], orig[p*ldd+i]
					if i < 16 {
						want = src[i*lds+p]
						if m != nil && m[i*lds+p] == 0 {
							want = 0
						}
					}
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%s, mask %t: dst[%d][%d] = %g, want %g", kern, m != nil, p, i, got, want)
					}
				}
			}
		}
	}
}

func TestInterleave(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const lds = 70
	src := randSlice(rng, 16*lds)
	for _, kern := range Kernels() {
		testInterleave(t, kern, rng, src, lds)
	}
}

func testInterleave(t *testing.T, kern Kernel, rng *rand.Rand, src []float32, lds int) {
	for _, h := range []int{4, 6, 8, 12} {
		for rows := 1; rows <= h; rows++ {
			for _, n := range []int{8, 16, 40, 13, 3, 35, 64, 19, 9} {
				dst := randSlice(rng, (n+3)*h)
				orig := append([]float32(nil), dst...)
				kern.Interleave(dst, h, src, lds, rows, n)
				for i, got := range dst {
					tt, r := i/h, i%h
					var want float32
					switch {
					case tt < n && r < rows:
						want = src[r*lds+tt]
					case tt < n || (tt == n && got == 0):
						want = 0
					default:
						want = orig[i]
					}
					if got != want {
						t.Fatalf("%s h=%d rows=%d n=%d: dst[%d] = %g, want %g", kern, h, rows, n, i, got, want)
					}
				}
			}
		}
	}
}

func TestCopyRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const lds, ldd = 41, 37
	src := randSlice(rng, 6*lds)
	mask := randSlice(rng, 6*lds)
	for i := range mask {
		switch i % 4 {
		case 0:
			mask[i] = 0
		case 1:
			mask[i] = float32(math.Copysign(0, -1))
		case 2:
			mask[i] = float32(math.NaN())
		}
	}
	for _, kern := range Kernels() {
		for _, rows := range []int{1, 2, 6} {
			for _, n := range []int{1, 7, 15, 16, 17, 32, 35} {
				for _, m := range [][]float32{nil, mask} {
					dst := randSlice(rng, 6*ldd+3)
					orig := append([]float32(nil), dst...)
					kern.CopyRows(dst, ldd, src, lds, m, rows, n)
					for i, got := range dst {
						r, c := i/ldd, i%ldd
						want := orig[i]
						if r < rows && c < n {
							want = src[r*lds+c]
							if m != nil && m[r*lds+c] == 0 {
								want = 0
							}
						}
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s rows %d n %d mask %t: dst[%d][%d] = %g, want %g", kern, rows, n, m != nil, r, c, got, want)
						}
					}
				}
			}
		}
	}
}

// TestDecimateRows checks DecimateRows with every kernel: every second
// value of each row in order, nothing written between or past the rows,
// and src read no further than needed (its slice ends there), at lengths
// around the vector blocks of 8.
func TestDecimateRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kern := range Kernels() {
		for _, rows := range []int{1, 3} {
			for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 19, 33} {
				for _, extra := range []int{-1, 0, 5} {
					const ldd = 40
					lds := 2*n + 3
					src := randSlice(rng, (rows-1)*lds+2*n+extra)
					buf := randSlice(rng, rows*ldd)
					orig := append([]float32(nil), buf...)
					kern.DecimateRows(buf, ldd, src, lds, rows, n)
					for i, got := range buf {
						r, c := i/ldd, i%ldd
						want := orig[i]
						if c < n {
							want = src[r*lds+2*c]
						}
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s rows=%d n=%d len(src)=%d: dst[%d][%d] = %g, want %g", kern, rows, n, len(src), r, c, got, want)
						}
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("DecimateRows of 4 values from 6 did not panic")
		}
	}()
	Kernel("").DecimateRows(make([]float32, 4), 4, make([]float32, 6), 8, 1, 4)
}
