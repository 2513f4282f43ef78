package gemm

import "unsafe"

// kernelFunc is the signature of a micro-kernel of a panel of some height;
// see kernelGeneric.
type kernelFunc func(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// Epilogue flags of a micro-kernel, applied in this order.
const (
	flagAdd  = 1 // add the tile of C
	flagBias = 2 // add bias[i] to row i
	flagReLU = 4 // take max(v, 0), NaN staying NaN
)

// portableFamily is Portable: the AVX2 layout, in pure Go.
var portableFamily = family{kernel: Portable, level: levelPortable, mr: 6, nr: 16, tile: [maxMR + 1]kernelFunc{6: kernelGeneric, 4: kernelGeneric4}}

// kernelGeneric is the portable version of the 6x16 micro-kernel:
//
//	v[i][j] = sum_p a[p*6+i] * b[p*16+j]  (+ C[i][j]) (+ bias[i]),  0 <= i < 6, 0 <= j < 16
//	C[i][j] = v[i][j], or max(v[i][j], 0) with flagReLU
//
// a holds k*6 packed values, b holds k*16, and c addresses a tile with row
// stride ldc. Without flagAdd, C is not read; without flagBias, bias is not
// read (and may be nil).
//
// A may have gaps: its k steps are read in runs of seg (seg >= 1), each run
// followed by gap steps of A that the product skips (B has none), so step
// p reads A's step p + (p/seg)*gap and a holds that many more values.
// seg >= k (gap 0) is the plain product. A weight gradient uses this to
// skip the padding columns of its wide positions (see convPlan.filter).
func kernelGeneric(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int) {
	genericTile(6, 16, k, a, b, c, ldc, flags, bias, seg, gap)
}

// kernelGeneric4 is kernelGeneric for 4-row panels of A (a holds k*4
// values, a[p*4+i]).
func kernelGeneric4(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int) {
	genericTile(4, 16, k, a, b, c, ldc, flags, bias, seg, gap)
}

// genericTile is the portable micro-kernel for panels of rows <= maxMR
// rows of A and cols <= maxNR columns of B (b holds k*cols values). Each
// value is one chain of multiply-adds along p, in order, as in the vector
// kernels (which fuse them). A's steps have gaps as kernelGeneric says.
func genericTile(rows, cols, k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int) {
	as, bs := unsafe.Slice(a, aSteps(k, seg, gap)*rows), unsafe.Slice(b, k*cols)
	if cols == 16 {
		var acc [maxMR][16]float32 // Portable's own width: arrays checked once
		for p, q, run := 0, 0, 0; p < k; p, q, run = p+1, q+1, run+1 {
			if run == seg {
				q, run = q+gap, 0
			}
			bp := (*[16]float32)(bs[p*16 : p*16+16])
			ap := as[q*rows : q*rows+rows]
			for i, ai := range ap {
				row := &acc[i]
				for j := 0; j < 16; j++ {
					row[j] += ai * bp[j]
				}
			}
		}
		for i := 0; i < rows; i++ {
			finishRow(acc[i][:], i, c, ldc, flags, bias)
		}
		return
	}
	var acc [maxMR][maxNR]float32
	for p, q, run := 0, 0, 0; p < k; p, q, run = p+1, q+1, run+1 {
		if run == seg {
			q, run = q+gap, 0
		}
		bp := bs[p*cols : p*cols+cols]
		ap := as[q*rows : q*rows+rows]
		for i, ai := range ap {
			row := acc[i][:cols]
			for j, bv := range bp {
				row[j] += ai * bv
			}
		}
	}
	for i := 0; i < rows; i++ {
		finishRow(acc[i][:cols], i, c, ldc, flags, bias)
	}
}

// aSteps is the number of steps of A that a product of k steps in runs
// of seg with gaps of gap spans: k plus a gap after each run but the last.
func aSteps(k, seg, gap int) int {
	if k == 0 {
		return 0
	}
	return k + (k-1)/seg*gap
}

// finishRow stores row i of a tile, acc, into C (row stride ldc) through
// the epilogue of flags, as the micro-kernels do.
func finishRow(acc []float32, i int, c *float32, ldc int, flags int, bias *float32) {
	row := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(c), 4*i*ldc)), len(acc))
	var b float32
	if flags&flagBias != 0 {
		b = *(*float32)(unsafe.Add(unsafe.Pointer(bias), 4*i))
	}
	for j, v := range acc {
		if flags&flagAdd != 0 {
			v = row[j] + v
		}
		if flags&flagBias != 0 {
			v += b
		}
		if flags&flagReLU != 0 {
			v = max(v, 0)
		}
		row[j] = v
	}
}

// gatherPanelGeneric is the portable Gather.Pack of rows of width values.
func gatherPanelGeneric(dst, src []float32, offs []int32, width int) {
	for r, o := range offs {
		copy(dst[r*width:(r+1)*width], src[o:int(o)+width])
	}
}

// gatherPanel2Generic is the portable Gather.Pack2 of rows of width
// values.
func gatherPanel2Generic(dst, src0, src1 []float32, offs []int32, width int) {
	h := width / 2
	for r, o := range offs {
		copy(dst[r*width:r*width+h], src0[o:int(o)+h])
		copy(dst[r*width+h:(r+1)*width], src1[o:int(o)+h])
	}
}
