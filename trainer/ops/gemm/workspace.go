package gemm

import "fmt"

// Cache block sizes of the pure Go path: kc deep (one packed kc x nr
// panel of B, 16 or 32 KiB, stays in L1), mc rows of A at a time (a packed
// mc x kc block, 120 KiB, in L2). A product's bits depend on kc (each value
// is summed kc terms at a time), so it is the same for every kernel.
const (
	kc = 256
	mc = 120
)

// Workspace holds the packing buffers of the pure Go Sgemm and MulPanel so
// repeated calls do not allocate, and the kernel they run. A Workspace
// must not be used by two goroutines at once; the zero value is ready to
// use and runs Default().
type Workspace struct {
	// Kernel is the kernel of every product the workspace runs; "" is
	// Default(). A product panics when this CPU does not run it.
	Kernel Kernel

	packA   []float32
	packB   []float32
	tile    [maxMR * maxNR]float32
	dotTile [12]float32
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C with this build's
// implementation (see Impl), reusing the workspace buffers. Arguments are
// as for the package-level Sgemm.
func (w *Workspace) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemmImpl(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkArgs panics, as reference BLAS does, when a leading dimension is too
// small or a slice too short for the matrix it holds.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
}

func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: ld%s=%d < max(1, %d)", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s has %d elements, need %d", name, len(s), (rows-1)*ld+cols))
	}
}

// sgemmGo is the pure Go blocked product (Goto and van de Geijn, "Anatomy of
// high-performance matrix multiplication", ACM TOMS 34(3), 2008):
// alpha*op(A) is packed in mc x kc blocks of the kernel's panels, op(B) one
// kc x nr panel at a time (re-packed per A block, a cost of 1/mc of the
// arithmetic, in exchange for a pack buffer that stays in L1), and
// MulPanel adds each block's product to C. A·Bᵀ goes to sgemmDot instead
// when the kernel has a dot-product kernel. The summation order depends
// only on the shapes, so results are reproducible.
func sgemmGo(w *Workspace, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmFamily(w, w.Kernel.resolve(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmFamily is sgemmGo with the kernels of f.
func sgemmFamily(w *Workspace, f *family, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	if f.dot != nil && !transA && transB {
		sgemmDot(w, f.dot, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		for ic := 0; ic < m; ic += mc {
			mb := min(mc, m-ic)
			w.packA = f.pack(w.packA, transA, alpha, a, lda, ic, mb, pc, kb)
			for jr := 0; jr < n; jr += f.nr {
				nv := min(f.nr, n-jr)
				w.packB = packB(w.packB, f.nr, transB, b, ldb, pc, kb, jr, nv)
				w.mulPanel(f, mb, nv, kb, w.packA, f.mr*kb, 0, kb, 0, w.packB, Epilogue{Add: true}, c[ic*ldc+jr:], ldc)
			}
		}
	}
}

// scaleC sets C = beta*C; beta == 0 clears C without reading it, so NaNs in
// C do not propagate (the BLAS convention).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// grow returns buf resliced to n elements, reallocating only when its
// capacity is too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// packB packs op(B)[p0:p0+kb, j0:j0+nb] into nr-wide panels, each stored
// k-major (kb rows of nr values), zero-padding the last panel.
func packB(dst []float32, nr int, transB bool, b []float32, ldb, p0, kb, j0, nb int) []float32 {
	panels := (nb + nr - 1) / nr
	dst = grow(dst, panels*nr*kb)
	for jp := 0; jp < panels; jp++ {
		pan := dst[jp*nr*kb : (jp+1)*nr*kb]
		cols := min(nr, nb-jp*nr)
		c0 := j0 + jp*nr
		if cols < nr {
			clear(pan)
		}
		if transB {
			// op(B)[p][j] = b[j*ldb+p]: read the panel's columns as
			// parallel streams, 16 at a time, writing each packed row
			// contiguously.
			j := 0
			for ; j+16 <= cols; j += 16 {
				packTrans16(pan[j:], nr, b, ldb, c0+j, p0, kb)
			}
			for ; j < cols; j++ {
				src := b[(c0+j)*ldb+p0 : (c0+j)*ldb+p0+kb]
				for p, v := range src {
					pan[p*nr+j] = v
				}
			}
			continue
		}
		for p := 0; p < kb; p++ {
			copy(pan[p*nr:p*nr+cols], b[(p0+p)*ldb+c0:(p0+p)*ldb+c0+cols])
		}
	}
	return dst
}

// packTrans16 packs 16 columns of op(B) = Bᵀ into a panel of row stride
// nr: pan[p*nr+j] = b[(c0+j)*ldb+p0+p] for 0 <= p < kb, 0 <= j < 16.
func packTrans16(pan []float32, nr int, b []float32, ldb, c0, p0, kb int) {
	var rows [16][]float32
	for j := range rows {
		rows[j] = b[(c0+j)*ldb+p0 : (c0+j)*ldb+p0+kb]
	}
	for p := 0; p < kb; p++ {
		d := (*[16]float32)(pan[p*nr : p*nr+16])
		d[0], d[1], d[2], d[3] = rows[0][p], rows[1][p], rows[2][p], rows[3][p]
		d[4], d[5], d[6], d[7] = rows[4][p], rows[5][p], rows[6][p], rows[7][p]
		d[8], d[9], d[10], d[11] = rows[8][p], rows[9][p], rows[10][p], rows[11][p]
		d[12], d[13], d[14], d[15] = rows[12][p], rows[13][p], rows[14][p], rows[15][p]
	}
}
