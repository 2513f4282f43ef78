package gemm

import "fmt"

// Gather writes packed panels of B for a kernel, NR values wide, from
// runs of a source, one run per packed row, at offsets fixed when it is
// made; it checks the offsets once, so that each Pack checks only the
// source length.
type Gather struct {
	offs   []int32
	width  int   // the kernel's NR
	level  int   // the kernel's instruction set
	lo, hi int32 // smallest and largest offset
}

// NewGather returns a Gather of k's panels ("" is Default()) whose row r
// reads from offset offs[r] of the source. Offsets must be non-negative;
// it panics when k does not run here.
func (k Kernel) NewGather(offs []int32) (*Gather, error) {
	f := k.resolve()
	g := &Gather{offs: append([]int32(nil), offs...), width: f.nr, level: f.level}
	for i, o := range offs {
		if o < 0 {
			return nil, fmt.Errorf("gemm: gather offset %d is %d", i, o)
		}
		if i == 0 || o < g.lo {
			g.lo = o
		}
		g.hi = max(g.hi, o)
	}
	return g, nil
}

// Rows is the number of packed rows of a panel.
func (g *Gather) Rows() int { return len(g.offs) }

// Width is the number of values of a packed row.
func (g *Gather) Width() int { return g.width }

// Pack writes one panel:
//
//	dst[r*W + t] = src[offs[r] + t],  r < Rows(), t < W = Width()
//
// This is how a convolution writes a panel of its patch matrix straight
// into the layout MulPanel reads. It panics when a run falls outside src or
// dst is too short.
func (g *Gather) Pack(dst, src []float32) {
	if len(g.offs) == 0 {
		return
	}
	if len(dst) < len(g.offs)*g.width || int(g.hi)+g.width > len(src) {
		panic(fmt.Sprintf("gemm: Gather of %d rows of %d (offsets up to %d) from %d elements into %d", len(g.offs), g.width, g.hi, len(src), len(dst)))
	}
	gatherPanel(g.level, dst, src, g.offs, g.width)
}

// Offset returns the source offset of packed row r.
func (g *Gather) Offset(r int) int32 { return g.offs[r] }

// Pack2 writes one panel whose rows are two runs of W/2, from two sources
// read at the same offsets:
//
//	dst[r*W + t] = src0[offs[r] + t],  dst[r*W + W/2 + t] = src1[offs[r] + t]
//
// for r < Rows(), t < W/2: a panel of output positions that spans two
// output rows. It panics when a run falls outside a source or dst is too
// short.
func (g *Gather) Pack2(dst, src0, src1 []float32) {
	if len(g.offs) == 0 {
		return
	}
	if len(dst) < len(g.offs)*g.width || int(g.hi)+g.width/2 > min(len(src0), len(src1)) {
		panic(fmt.Sprintf("gemm: Gather.Pack2 of %d rows of %d (offsets up to %d) from %d and %d elements into %d",
			len(g.offs), g.width, g.hi, len(src0), len(src1), len(dst)))
	}
	gatherPanel2(g.level, dst, src0, src1, g.offs, g.width)
}

// Runs are the runs of consecutive values that make up each packed row of
// a panel: run i copies N[i] values from source offset Src[i] (past the
// row's gather offset) to Dst[i] in the row. Build them with NewRuns.
type Runs struct {
	width    int
	maxEnd   int     // the largest Src+N
	triples  []int32 // per run of at most 16: src, dst, lane mask
	src, dst []int32 // the same runs, for the portable path
	n        []int32
}

// NewRuns returns the runs (src[i], dst[i], n[i]) of a packed row of
// width values: each within the row (0 <= dst, dst+n <= width), from a
// non-negative source offset, n >= 1.
func NewRuns(width int, src, dst, n []int32) (*Runs, error) {
	if len(src) != len(dst) || len(n) != len(dst) {
		return nil, fmt.Errorf("gemm: runs of %d sources, %d destinations and %d lengths", len(src), len(dst), len(n))
	}
	r := &Runs{width: width}
	for i := range n {
		if src[i] < 0 || dst[i] < 0 || n[i] < 1 || int(dst[i])+int(n[i]) > width {
			return nil, fmt.Errorf("gemm: run %d (src %d, dst %d, n %d) outside a row of %d", i, src[i], dst[i], n[i], width)
		}
		r.maxEnd = max(r.maxEnd, int(src[i]+n[i]))
		for t := int32(0); t < n[i]; t += 16 {
			m := min(16, n[i]-t)
			r.triples = append(r.triples, src[i]+t, dst[i]+t, int32(1)<<m-1)
		}
	}
	r.src, r.dst, r.n = append([]int32(nil), src...), append([]int32(nil), dst...), append([]int32(nil), n...)
	return r, nil
}

// PackRuns writes one panel whose rows are made of the runs:
//
//	dst[r*W + run.Dst + t] = src[offs[r] + run.Src + t],  t < run.N
//
// for r < Rows() and each run, W = Width() (which must be the runs'
// width); values of a row no run covers are left as they are. This packs a
// panel of output positions that spans several output rows of a small
// image. It panics when a run falls outside src or dst is too short.
func (g *Gather) PackRuns(dst, src []float32, runs *Runs) {
	if len(g.offs) == 0 || len(runs.n) == 0 {
		return
	}
	if runs.width != g.width || len(dst) < len(g.offs)*g.width || int(g.hi)+runs.maxEnd > len(src) {
		panic(fmt.Sprintf("gemm: Gather.PackRuns of %d rows of %d (runs of rows of %d, offsets up to %d+%d) from %d elements into %d",
			len(g.offs), g.width, runs.width, g.hi, runs.maxEnd, len(src), len(dst)))
	}
	if g.level >= levelAVX512 {
		packRunsAVX512(&dst[0], &src[0], &g.offs[0], len(g.offs), g.width, &runs.triples[0], len(runs.triples)/3)
		return
	}
	for r, o := range g.offs {
		row := dst[r*g.width : (r+1)*g.width]
		for i, n := range runs.n {
			s := int(o) + int(runs.src[i])
			copy(row[runs.dst[i]:runs.dst[i]+n], src[s:s+int(n)])
		}
	}
}
