package gemm

import "fmt"

// MR and NR are the height of a packed panel of A and the width of a packed
// panel of B: the micro-kernel's register tile.
const (
	MR = mr
	NR = nr
)

// A matrix of m rows is packed as panels of MR rows, then (for the last
// rows, when m is not a multiple of MR) panels of 4 rows, which waste less
// than one zero-padded MR-row panel: 32 rows are 4x6 + 2x4, 16 are 2x6 + 4,
// 3 are one 4-row panel. Every panel occupies a slot of MR*k elements; a
// 4-row panel uses the first 4*k.

// panelSplit returns the number of MR-row and 4-row panels of m rows.
func panelSplit(m int) (n6, n4 int) {
	n6, r := m/MR, m%MR
	switch {
	case r == 0:
		return n6, 0
	case r <= 2 && n6 > 0:
		return n6 - 1, 2
	case r <= 4:
		return n6, 1
	default:
		return n6 + 1, 0
	}
}

// panelAt returns the first row and the height of panel ip.
func panelAt(ip, n6 int) (row0, h int) {
	if ip < n6 {
		return ip * MR, MR
	}
	return n6*MR + (ip-n6)*4, 4
}

// PanelRow returns where row r of a packed m-row matrix lives: its panel
// ip (whose slot starts at ip*MR*k), its index i within the panel and the
// panel's height h, so that element (r, p) is at ip*MR*k + p*h + i.
func PanelRow(m, r int) (ip, i, h int) {
	n6, _ := panelSplit(m)
	if r < n6*MR {
		return r / MR, r % MR, MR
	}
	r -= n6 * MR
	return n6 + r/4, r % 4, 4
}

// PanelsLen returns the length of rows x k packed into panels.
func PanelsLen(rows, k int) int {
	n6, n4 := panelSplit(rows)
	return (n6 + n4) * MR * k
}

// PackA packs the m x k row-major matrix a (row stride lda) into panels for
// MulPanel, each stored k-major (see PanelRow):
//
//	dst[ip*MR*k + p*h + i] = a[(row0(ip)+i)*lda + p]
//
// with rows past m zero. It returns dst resliced, or reallocated when too
// small, to PanelsLen(m, k).
func PackA(dst, a []float32, lda, m, k int) []float32 {
	checkMatrix("A", m, k, a, lda)
	dst = grow(dst, PanelsLen(m, k))
	if k == 0 {
		return dst
	}
	n6, n4 := panelSplit(m)
	for ip := 0; ip < n6+n4; ip++ {
		row0, h := panelAt(ip, n6)
		pan := dst[ip*MR*k : (ip+1)*MR*k]
		rows := min(h, m-row0)
		if rows < h {
			clear(pan)
		}
		for i := 0; i < rows; i++ {
			src := a[(row0+i)*lda : (row0+i)*lda+k]
			for p, v := range src {
				pan[p*h+i] = v
			}
		}
	}
	return dst
}

// Epilogue says what MulPanel does with each product value v before it
// stores it in C, in this order: add C, add the row's bias, take the ReLU.
// The zero value overwrites C with the product.
type Epilogue struct {
	Add  bool      // v = C + v; without Add, C is not read
	Bias []float32 // nil, or v += Bias[i] on row i (len >= m)
	ReLU bool      // v = max(v, 0), a NaN staying NaN
}

// MulPanel multiplies the packed m x k matrix A by one packed k x NR panel
// of B into the first nv (<= NR) columns of C (row stride ldc), finishing
// each value as ep says:
//
//	C[i][j] = ep(sum_p A[i][p] * bp[p*NR + j])
//
// for i < m, j < nv, where A is packed as PackA lays it out except that
// panel ip's slot starts at ap[ip*stride], and the product reads the window
// [skip, skip+k) of depths of panels at least skip+k deep (stride >=
// MR*(skip+k)). Columns of bp past nv are ignored. The sum over p runs in order, so the result depends only on the
// shapes and the data. It panics when a slice is too short.
func (w *Workspace) MulPanel(m, nv, k int, ap []float32, stride, skip int, bp []float32, ep Epilogue, c []float32, ldc int) {
	if m <= 0 || nv <= 0 {
		return
	}
	n6, n4 := panelSplit(m)
	panels := n6 + n4
	_, hLast := panelAt(panels-1, n6)
	if nv > NR || skip < 0 || stride < MR*(skip+k) || ldc < nv || len(ap) < (panels-1)*stride+hLast*(skip+k) ||
		len(bp) < NR*k || len(c) < (m-1)*ldc+nv || (ep.Bias != nil && len(ep.Bias) < m) {
		panic(fmt.Sprintf("gemm: MulPanel m=%d nv=%d k=%d stride=%d skip=%d ldc=%d with len(ap)=%d len(bp)=%d len(c)=%d len(bias)=%d",
			m, nv, k, stride, skip, ldc, len(ap), len(bp), len(c), len(ep.Bias)))
	}
	if k == 0 {
		// The kernels need an element to address: finish a zero product.
		for i := 0; i < m; i++ {
			ep.finish(c[i*ldc:i*ldc+nv], make([]float32, nv), i)
		}
		return
	}
	kern6, _ := microKernel()
	kern4 := microKernel4()
	flags := 0
	if ep.Add {
		flags |= flagAdd
	}
	if ep.Bias != nil {
		flags |= flagBias
	}
	if ep.ReLU {
		flags |= flagReLU
	}
	for ip := 0; ip < panels; ip++ {
		row0, h := panelAt(ip, n6)
		a := &ap[ip*stride+skip*h]
		kern := kern6
		if h == 4 {
			kern = kern4
		}
		mv := min(h, m-row0)
		if mv == h && nv == NR {
			var bias *float32
			if ep.Bias != nil {
				bias = &ep.Bias[row0]
			}
			kern(k, a, &bp[0], &c[row0*ldc], ldc, flags, bias)
			continue
		}
		kern(k, a, &bp[0], &w.tile[0], NR, 0, nil)
		for i := 0; i < mv; i++ {
			ep.finish(c[(row0+i)*ldc:(row0+i)*ldc+nv], w.tile[i*NR:i*NR+nv], row0+i)
		}
	}
}

// finish stores row i of a product, t, into row of C as the micro-kernels
// do.
func (ep Epilogue) finish(row, t []float32, i int) {
	t = t[:len(row)]
	for j, v := range t {
		if ep.Add {
			v = row[j] + v
		}
		if ep.Bias != nil {
			v += ep.Bias[i]
		}
		if ep.ReLU {
			v = max(v, 0)
		}
		row[j] = v
	}
}
