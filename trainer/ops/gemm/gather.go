package gemm

import "fmt"

// Gather writes packed panels of B, width values wide (a kernel's NR),
// from runs of a source, one run per packed row, at offsets fixed when it
// is made; it checks the offsets once, so that each Pack checks only the
// source length.
type Gather struct {
	offs   []int32
	width  int
	lo, hi int32 // smallest and largest offset
}

// NewGather returns a Gather of panels width values wide (16 or 32) whose
// row r reads from offset offs[r] of the source. Offsets must be
// non-negative.
func NewGather(offs []int32, width int) (*Gather, error) {
	if width != 16 && width != 32 {
		return nil, fmt.Errorf("gemm: gather width %d, want 16 or 32", width)
	}
	g := &Gather{offs: append([]int32(nil), offs...), width: width}
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
	gatherPanel(dst, src, g.offs, g.width)
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
	gatherPanel2(dst, src0, src1, g.offs, g.width)
}
