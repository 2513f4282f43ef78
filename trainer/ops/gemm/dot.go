package gemm

// Block sizes of the dot-product path: kcDot floats of 4 rows of A and 3
// rows of B stay in L1; mcDot rows of A in L2.
const (
	kcDot = 512
	mcDot = 64
)

// dotFunc is the signature of a 4x3 dot-product kernel.
type dotFunc func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// sgemmDot computes C += alpha*A*Bᵀ (C already scaled by beta) for
// row-major A [m, k] and B [n, k] as 4x3 tiles of dot products along k,
// which is contiguous in both operands, so nothing is packed. This suits
// small m and n with long k, such as a convolution's weight gradient
// gy·colᵀ. For each tile and k block, the kernel's sum over the first
// multiple of 8 is followed by the remaining terms in order, so results are
// reproducible.
func sgemmDot(w *Workspace, dot dotFunc, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for pc := 0; pc < k; pc += kcDot {
		kb := min(kcDot, k-pc)
		kv := kb &^ 7
		for ic := 0; ic < m; ic += mcDot {
			mb := min(mcDot, m-ic)
			for j := 0; j < n; j += 3 {
				// A last group narrower than the kernel is computed as the
				// full group ending at column n, of which only the columns
				// from j on are added; the others were added already.
				j0 := j
				if n-j < 3 && n >= 3 {
					j0 = n - 3
				}
				nv := min(3, n-j0)
				for i := ic; i < ic+mb; i += 4 {
					i0 := i
					if ic+mb-i < 4 && mb >= 4 {
						i0 = ic + mb - 4
					}
					mv := min(4, ic+mb-i0)
					tile := &w.dotTile
					*tile = [12]float32{}
					if mv == 4 && nv == 3 && kv > 0 {
						dot(kv, &a[i0*lda+pc], lda, &b[j0*ldb+pc], ldb, &tile[0], 3)
					} else {
						dotScalar(mv, nv, 0, kv, a[i0*lda+pc:], lda, b[j0*ldb+pc:], ldb, tile[:])
					}
					dotScalar(mv, nv, kv, kb, a[i0*lda+pc:], lda, b[j0*ldb+pc:], ldb, tile[:])
					for ii := i - i0; ii < mv; ii++ {
						row := c[(i0+ii)*ldc+j0 : (i0+ii)*ldc+j0+nv]
						for jj := j - j0; jj < nv; jj++ {
							row[jj] += alpha * tile[ii*3+jj]
						}
					}
				}
			}
		}
	}
}

// dotScalar adds sum_{p0<=p<p1} a[ii*lda+p]*b[jj*ldb+p] to tile[ii*3+jj]
// for ii < mv, jj < nv.
func dotScalar(mv, nv, p0, p1 int, a []float32, lda int, b []float32, ldb int, tile []float32) {
	if p0 >= p1 {
		return
	}
	for ii := 0; ii < mv; ii++ {
		ar := a[ii*lda+p0 : ii*lda+p1]
		for jj := 0; jj < nv; jj++ {
			br := b[jj*ldb+p0 : jj*ldb+p1]
			s := tile[ii*3+jj]
			for p, v := range ar {
				s += v * br[p]
			}
			tile[ii*3+jj] = s
		}
	}
}
