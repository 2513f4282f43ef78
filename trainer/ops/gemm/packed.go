package gemm

import "fmt"

// family is what a kernel runs: its packed layouts and its micro-kernels.
//
// B is packed in panels nr columns wide (16 for AVX2 and Portable, 32 for
// AVX512), each stored depth-major: row p of a panel is nr consecutive
// values.
//
// A matrix A of m rows is packed as panels of mr rows, then (for the last
// rows, when m is not a multiple of mr) smaller panels, which waste less
// than one zero-padded mr-row panel: with mr = 6 (AVX2, Portable), panels
// of 4 rows (32 rows are 4x6 + 2x4, 16 are 2x6 + 4, 3 are one 4-row panel);
// with mr = 12 (AVX512), one panel of 8 rows or one of 4 (32 rows are
// 2x12 + 8, 16 are 12 + 4). Every panel occupies a slot of mr*depth
// elements; a panel of h rows uses the first h*depth.
type family struct {
	kernel Kernel
	level  int // the instruction set of its data movement: levelPortable, levelAVX2, levelAVX512
	mr, nr int
	tile   [maxMR + 1]kernelFunc // the micro-kernel of each panel height
	half   [maxMR + 1]kernelFunc // the same for the first nr/2 columns of B only (rows nr apart), or nil
	gtile  [maxMR + 1]gatherFunc // the same reading B in place (see MulGather), or nil
	// column and gcolumn run tile and gtile over a whole column of
	// full-width panels in one call, or are nil.
	column  columnFunc
	gcolumn gatherColumnFunc
	dot     dotFunc // the A·Bᵀ dot-product kernel, or nil
}

// gatherFunc is the signature of a micro-kernel that reads row p of B in
// place: the nr/2 values at x0 + offs[p], then the nr/2 at x1 + offs[p].
type gatherFunc func(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)

// columnFunc is the signature of kernelFunc over the panels of A of one
// product: full panels of MR rows from a6, then tails panels of 4 rows
// from a4 (the family's split), each stride floats after the one before,
// into consecutive rows of C (and of bias), every tile nr wide: one call
// where mulPanel would make one per panel.
type columnFunc func(k int, a6, a4, b, c *float32, ldc int, flags int, bias *float32, seg, gap, full, tails, stride int)

// gatherColumnFunc is columnFunc for gatherFunc, its panels of A stride
// floats apart from a.
type gatherColumnFunc func(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32, full, tails, stride int)

// The instruction sets of the packing helpers (Gather, Interleave, ...),
// which follow the kernel they pack for; they all give the same bits.
const (
	levelPortable = iota
	levelAVX2
	levelAVX512
)

// maxMR and maxNR are the largest panel height of A and width of B of any
// kernel.
const (
	maxMR = 12
	maxNR = 32
)

// split returns the number of mr-row panels of m rows and the heights of
// the smaller panels after them (0: none).
func (f *family) split(m int) (full int, tails [2]int) {
	full, r := m/f.mr, m%f.mr
	if f.mr == 6 {
		switch {
		case r == 0:
			return full, tails
		case r <= 2 && full > 0:
			return full - 1, [2]int{4, 4}
		case r <= 4:
			return full, [2]int{4, 0}
		default:
			return full + 1, tails
		}
	}
	switch {
	case r == 0:
		return full, tails
	case r <= 4 && full > 0:
		return full - 1, [2]int{8, 8}
	case r <= 4:
		return full, [2]int{4, 0}
	case r <= 8:
		return full, [2]int{8, 0}
	default:
		return full + 1, tails
	}
}

// whole reports whether the split of m rows into full MR-row panels and
// panels-full 4-row ones fills every panel: the layout of the column
// kernels (columnFunc).
func (f *family) whole(m, full, panels int) bool { return full*f.mr+4*(panels-full) == m }

// panels returns the number of panels of m rows.
func (f *family) panels(m int) int {
	full, tails := f.split(m)
	n := full
	for _, h := range tails {
		if h > 0 {
			n++
		}
	}
	return n
}

// panelAt returns the first row and the height of panel ip of m rows.
func (f *family) panelAt(m, ip int) (row0, h int) {
	full, tails := f.split(m)
	if ip < full {
		return ip * f.mr, f.mr
	}
	row0 = full * f.mr
	for _, h := range tails[:ip-full] {
		row0 += h
	}
	return row0, tails[ip-full]
}

// MR returns the height of a full packed panel of A for k ("" is
// Default()): 6 for AVX2 and Portable, 12 for AVX512. It panics when k
// does not run here.
func (k Kernel) MR() int { return k.resolve().mr }

// NR returns the width of a packed panel of B for k ("" is Default()): 16
// for AVX2 and Portable, 32 for AVX512. It panics when k does not run
// here.
func (k Kernel) NR() int { return k.resolve().nr }

// PanelRow returns where row r of an m-row matrix packed for k lives: its
// panel ip (whose slot starts at ip*MR*depth), its index i within the
// panel and the panel's height h, so that element (r, p) is at
// ip*MR*depth + p*h + i.
func (k Kernel) PanelRow(m, r int) (ip, i, h int) {
	f := k.resolve()
	full, tails := f.split(m)
	if r < full*f.mr {
		return r / f.mr, r % f.mr, f.mr
	}
	r -= full * f.mr
	ip = full
	for _, h := range tails {
		if r < h {
			return ip, r, h
		}
		r -= h
		ip++
	}
	panic(fmt.Sprintf("gemm: PanelRow: row %d of %d", r, m))
}

// PanelsLen returns the length of rows x depth packed for k.
func (k Kernel) PanelsLen(rows, depth int) int {
	f := k.resolve()
	return f.panels(rows) * f.mr * depth
}

// PackA packs the m x depth row-major matrix a (row stride lda) into k's
// panels for MulPanel, each stored depth-major (see PanelRow):
//
//	dst[ip*MR*depth + p*h + i] = a[(row0(ip)+i)*lda + p]
//
// with rows past m zero. It returns dst resliced, or reallocated when too
// small, to PanelsLen(m, depth).
func (k Kernel) PackA(dst, a []float32, lda, m, depth int) []float32 {
	checkMatrix("A", m, depth, a, lda)
	return k.resolve().pack(dst, false, 1, a, lda, 0, m, 0, depth)
}

// pack packs alpha*op(A)[i0:i0+m, p0:p0+depth] into f's panels, each
// stored depth-major, zero-padding rows past m; op(A) is A or, with
// transA, Aᵀ (op(A)[i][p] = a[p*lda+i]). It returns dst resliced, or
// reallocated when too small, to the panels' length.
func (f *family) pack(dst []float32, transA bool, alpha float32, a []float32, lda, i0, m, p0, depth int) []float32 {
	n := f.panels(m)
	dst = grow(dst, n*f.mr*depth)
	if depth == 0 {
		return dst
	}
	for ip := 0; ip < n; ip++ {
		row0, h := f.panelAt(m, ip)
		pan := dst[ip*f.mr*depth : ip*f.mr*depth+h*depth]
		rows := min(h, m-row0)
		if rows < h {
			clear(pan)
		}
		r0 := i0 + row0
		if transA {
			// The panel's rows are contiguous in each row of a.
			for p := 0; p < depth; p++ {
				src := a[(p0+p)*lda+r0 : (p0+p)*lda+r0+rows]
				d := pan[p*h : p*h+rows]
				for i, v := range src {
					d[i] = alpha * v
				}
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(r0+i)*lda+p0 : (r0+i)*lda+p0+depth]
			for p, v := range src {
				pan[p*h+i] = alpha * v
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

// flags returns the micro-kernels' epilogue flags for ep.
func (ep Epilogue) flags() int {
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
	return flags
}

// MulPanel multiplies the packed m x depth matrix A by one packed
// depth x NR panel of B (NR = w.Kernel.NR()) into the first nv (<= NR)
// columns of C (row stride ldc), finishing each value as ep says:
//
//	C[i][j] = ep(sum_p A[i][p] * bp[p*NR + j])
//
// for i < m, j < nv, with the workspace's kernel. A is packed as
// w.Kernel.PackA lays it out except that panel ip's slot starts at
// ap[ip*stride], and the product reads the window [skip, skip+depth) of
// depths of panels at least skip+depth deep (stride >= MR*(skip+depth)).
// Columns of bp past nv are ignored. Each value's sum over p is one chain
// of multiply-adds in order, so the result depends only on the shapes, the
// data and the kernel. It panics when a slice is too short.
func (w *Workspace) MulPanel(m, nv, depth int, ap []float32, stride, skip int, bp []float32, ep Epilogue, c []float32, ldc int) {
	w.mulPanel(w.Kernel.resolve(), m, nv, depth, ap, stride, skip, max(depth, 1), 0, bp, ep, c, ldc)
}

// MulPanelGaps is MulPanel with gaps in A's depth: the product's depth
// steps read A in runs of seg (>= 1), each followed by gap steps of A that
// are skipped, so that
//
//	C[i][j] = ep(sum_p A[i][skip + p + (p/seg)*gap] * bp[p*NR + j])
//
// and the window of A read is skip + depth + ((depth-1)/seg)*gap deep.
// The terms are summed in the same order as by MulPanel over a B with
// zero rows where A has gaps, and adding a zero product to a chain changes
// nothing but the sign of a zero sum, so for finite A the two give the
// same bits up to the sign of a zero.
func (w *Workspace) MulPanelGaps(m, nv, depth int, ap []float32, stride, skip, seg, gap int, bp []float32, ep Epilogue, c []float32, ldc int) {
	if seg < 1 || gap < 0 {
		panic(fmt.Sprintf("gemm: MulPanelGaps seg=%d gap=%d", seg, gap))
	}
	w.mulPanel(w.Kernel.resolve(), m, nv, depth, ap, stride, skip, seg, gap, bp, ep, c, ldc)
}

// mulPanel is MulPanelGaps with the kernels of f.
func (w *Workspace) mulPanel(f *family, m, nv, depth int, ap []float32, stride, skip, seg, gap int, bp []float32, ep Epilogue, c []float32, ldc int) {
	if m <= 0 || nv <= 0 {
		return
	}
	span := aSteps(depth, seg, gap) // the depth of A read
	full, tails := f.split(m)
	panels, hLast := full, f.mr
	for _, h := range tails {
		if h > 0 {
			panels, hLast = panels+1, h
		}
	}
	if nv > f.nr || skip < 0 || stride < f.mr*(skip+span) || ldc < nv || len(ap) < (panels-1)*stride+hLast*(skip+span) ||
		len(bp) < f.nr*depth || len(c) < (m-1)*ldc+nv || (ep.Bias != nil && len(ep.Bias) < m) {
		panic(fmt.Sprintf("gemm: MulPanel m=%d nv=%d k=%d stride=%d skip=%d ldc=%d with len(ap)=%d len(bp)=%d len(c)=%d len(bias)=%d",
			m, nv, depth, stride, skip, ldc, len(ap), len(bp), len(c), len(ep.Bias)))
	}
	if depth == 0 {
		// The kernels need an element to address: finish a zero product.
		for i := 0; i < m; i++ {
			ep.finish(c[i*ldc:i*ldc+nv], make([]float32, nv), i)
		}
		return
	}
	flags := ep.flags()
	if f.column != nil && nv == f.nr && f.whole(m, full, panels) {
		var a6, a4, bias *float32
		if full > 0 {
			a6 = &ap[skip*f.mr]
		}
		if panels > full {
			a4 = &ap[full*stride+skip*4]
		}
		if ep.Bias != nil {
			bias = &ep.Bias[0]
		}
		f.column(depth, a6, a4, &bp[0], &c[0], ldc, flags, bias, seg, gap, full, panels-full, stride)
		return
	}
	row0, h := 0, f.mr
	for ip := 0; ip < panels; ip++ {
		if ip >= full {
			h = tails[ip-full]
		}
		a := &ap[ip*stride+skip*h]
		kern, width := f.tile[h], f.nr
		if nv <= f.nr/2 && f.half[h] != nil {
			kern, width = f.half[h], f.nr/2
		}
		mv := min(h, m-row0)
		if mv == h && nv == width {
			var bias *float32
			if ep.Bias != nil {
				bias = &ep.Bias[row0]
			}
			kern(depth, a, &bp[0], &c[row0*ldc], ldc, flags, bias, seg, gap)
		} else {
			kern(depth, a, &bp[0], &w.tile[0], width, 0, nil, seg, gap)
			for i := 0; i < mv; i++ {
				ep.finish(c[(row0+i)*ldc:(row0+i)*ldc+nv], w.tile[i*width:i*width+nv], row0+i)
			}
		}
		row0 += h
	}
}

// MulGather is MulPanel of a panel of B that is gathered rather than
// packed: row p (p < depth = g.Rows()) of the panel is
//
//	src0[g.Offset(p):][:NR/2] followed by src1[g.Offset(p):][:NR/2]
//
// (g.Pack2's panel), or, with src1 nil, src0[g.Offset(p):][:NR] (g.Pack's);
// g.Width() must be the kernel's NR. A (packed as for MulPanel, depth
// deep, panels stride apart) multiplies it into the first nv columns of C,
// finished as ep says. Kernels that read such rows in place (AVX512 and
// AVX2) skip the packing; Portable packs the panel into the workspace
// first. Either way the result is MulPanel's on the packed panel, bit for
// bit. It panics when a slice is too short.
func (w *Workspace) MulGather(m, nv int, ap []float32, stride int, g *Gather, src0, src1 []float32, ep Epilogue, c []float32, ldc int) {
	f := w.Kernel.resolve()
	if g.width != f.nr {
		panic(fmt.Sprintf("gemm: MulGather of %d-wide rows with kernel %s (NR %d)", g.width, f.kernel, f.nr))
	}
	depth := g.Rows()
	if f.gtile[f.mr] == nil || depth == 0 || m <= 0 || nv <= 0 {
		w.packB = grow(w.packB, depth*f.nr)
		if src1 == nil {
			g.Pack(w.packB, src0)
		} else {
			g.Pack2(w.packB, src0, src1)
		}
		w.mulPanel(f, m, nv, depth, ap, stride, 0, max(depth, 1), 0, w.packB, ep, c, ldc)
		return
	}
	x0, x1 := src0, src1
	if src1 == nil {
		if int(g.hi)+f.nr > len(src0) {
			panic(fmt.Sprintf("gemm: MulGather of %d rows of %d (offsets up to %d) from %d elements", depth, f.nr, g.hi, len(src0)))
		}
		x1 = src0[f.nr/2:]
	}
	if int(g.hi)+f.nr/2 > min(len(x0), len(x1)) {
		panic(fmt.Sprintf("gemm: MulGather of %d rows of two runs of %d (offsets up to %d) from %d and %d elements", depth, f.nr/2, g.hi, len(x0), len(x1)))
	}
	full, tails := f.split(m)
	panels, hLast := full, f.mr
	for _, h := range tails {
		if h > 0 {
			panels, hLast = panels+1, h
		}
	}
	if nv > f.nr || stride < f.mr*depth || ldc < nv || len(ap) < (panels-1)*stride+hLast*depth ||
		len(c) < (m-1)*ldc+nv || (ep.Bias != nil && len(ep.Bias) < m) {
		panic(fmt.Sprintf("gemm: MulGather m=%d nv=%d k=%d stride=%d ldc=%d with len(ap)=%d len(c)=%d len(bias)=%d",
			m, nv, depth, stride, ldc, len(ap), len(c), len(ep.Bias)))
	}
	flags := ep.flags()
	if f.gcolumn != nil && nv == f.nr && f.whole(m, full, panels) {
		var bias *float32
		if ep.Bias != nil {
			bias = &ep.Bias[0]
		}
		f.gcolumn(depth, &ap[0], &x0[0], &x1[0], &g.offs[0], &c[0], ldc, flags, bias, full, panels-full, stride)
		return
	}
	row0, h := 0, f.mr
	for ip := 0; ip < panels; ip++ {
		if ip >= full {
			h = tails[ip-full]
		}
		kern := f.gtile[h]
		mv := min(h, m-row0)
		if mv == h && nv == f.nr {
			var bias *float32
			if ep.Bias != nil {
				bias = &ep.Bias[row0]
			}
			kern(depth, &ap[ip*stride], &x0[0], &x1[0], &g.offs[0], &c[row0*ldc], ldc, flags, bias)
		} else {
			kern(depth, &ap[ip*stride], &x0[0], &x1[0], &g.offs[0], &w.tile[0], f.nr, 0, nil)
			for i := 0; i < mv; i++ {
				ep.finish(c[(row0+i)*ldc:(row0+i)*ldc+nv], w.tile[i*f.nr:i*f.nr+nv], row0+i)
			}
		}
		row0 += h
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
