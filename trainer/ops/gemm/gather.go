package gemm

import "fmt"

// Gather writes packed NR-wide panels of B from NR-element runs of a
// source, one run per packed row, at offsets fixed when it is made; it
// checks the offsets once, so that each Pack checks only the source length.
type Gather struct {
	offs   []int32
	lo, hi int32 // smallest and largest offset
}

// NewGather returns a Gather reading row r of a panel from offset offs[r]
// of the source. Offsets must be non-negative.
func NewGather(offs []int32) (*Gather, error) {
	g := &Gather{offs: append([]int32(nil), offs...)}
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

// Pack writes one panel:
//
//	dst[r*NR + t] = src[offs[r] + t],  r < Rows(), t < NR
//
// This is how a convolution writes a panel of its patch matrix straight
// into the layout MulPanel reads. It panics when a run falls outside src or
// dst is too short.
func (g *Gather) Pack(dst, src []float32) {
	if len(g.offs) == 0 {
		return
	}
	if len(dst) < len(g.offs)*NR || int(g.hi)+NR > len(src) {
		panic(fmt.Sprintf("gemm: Gather of %d rows (offsets up to %d) from %d elements into %d", len(g.offs), g.hi, len(src), len(dst)))
	}
	gatherPanel(dst, src, g.offs)
}

// Offset returns the source offset of packed row r.
func (g *Gather) Offset(r int) int32 { return g.offs[r] }

// Pack2 writes one panel whose rows are two runs of NR/2, from two sources
// read at the same offsets:
//
//	dst[r*NR + t] = src0[offs[r] + t],  dst[r*NR + NR/2 + t] = src1[offs[r] + t]
//
// for r < Rows(), t < NR/2: a panel of output positions that spans two
// output rows. It panics when a run falls outside a source or dst is too
// short.
func (g *Gather) Pack2(dst, src0, src1 []float32) {
	if len(g.offs) == 0 {
		return
	}
	if len(dst) < len(g.offs)*NR || int(g.hi)+NR/2 > min(len(src0), len(src1)) {
		panic(fmt.Sprintf("gemm: Gather.Pack2 of %d rows (offsets up to %d) from %d and %d elements into %d",
			len(g.offs), g.hi, len(src0), len(src1), len(dst)))
	}
	gatherPanel2(dst, src0, src1, g.offs)
}
