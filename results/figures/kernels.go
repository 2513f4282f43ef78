package figures

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// KernelGridOptions sets the layout of a kernel grid. Zero values take the
// defaults noted.
type KernelGridOptions struct {
	Scale   int // screen pixels per kernel tap (default 8)
	Columns int // kernels per row (default 16)
	Gap     int // pixels between kernels (default 2)
	Branch  int // pixels between branch blocks (default 12)
}

func (o KernelGridOptions) withDefaults() KernelGridOptions {
	if o.Scale <= 0 {
		o.Scale = 8
	}
	if o.Columns <= 0 {
		o.Columns = 16
	}
	if o.Gap <= 0 {
		o.Gap = 2
	}
	if o.Branch <= 0 {
		o.Branch = 12
	}
	return o
}

// KernelGridSize is the width and height in pixels of the image
// KernelGrid draws for these kernels, computed without drawing it, so that
// a caller can refuse an image too large for its memory first. A side
// past 2^51 pixels is an error.
func KernelGridSize(branches [][]float32, c, k int, o KernelGridOptions) (width, height int, err error) {
	o = o.withDefaults()
	size := c * k * k
	cell := float64(k)*float64(o.Scale) + float64(o.Gap)
	w, h := 0.0, float64(o.Gap)
	for b, ws := range branches {
		if len(ws)%size != 0 {
			return 0, 0, fmt.Errorf("figures: branch %d has %d weights, not a multiple of %dx%dx%d", b, len(ws), c, k, k)
		}
		n := len(ws) / size
		cols := min(n, o.Columns)
		rows := (n + o.Columns - 1) / o.Columns
		w = max(w, float64(cols)*cell+float64(o.Gap))
		h += float64(rows) * cell
		if b > 0 {
			h += float64(o.Branch)
		}
	}
	if w > math.MaxInt32*float64(1<<20) || h > math.MaxInt32*float64(1<<20) {
		return 0, 0, fmt.Errorf("figures: a kernel grid of %.3g x %.3g pixels is beyond any image", w, h)
	}
	return int(w), int(h), nil
}

// KernelGrid draws the kernels of each branch's first conv as a grid, one
// block of rows per branch, top to bottom, separated by a wider gap. Each
// branch holds weights [out, c, k, k] with c = 3 (drawn in colour) or 1
// (gray). Every kernel is scaled to its own range over all its channels:
// v -> (v - min) / (max - min), a constant kernel drawn mid-gray.
func KernelGrid(branches [][]float32, c, k int, o KernelGridOptions) (*image.RGBA, error) {
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("figures: kernels with %d input channels cannot be drawn as images (want 1 or 3)", c)
	}
	o = o.withDefaults()
	size := c * k * k
	cell := k*o.Scale + o.Gap
	width, height, err := KernelGridSize(branches, c, k, o)
	if err != nil {
		return nil, err
	}
	if float64(width)*float64(height)*4 > math.MaxInt32 {
		return nil, fmt.Errorf("figures: a kernel grid of %d x %d pixels is too large to draw (at most 2 GiB)", width, height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	bg := color.RGBA{255, 255, 255, 255}
	for i := range img.Pix {
		img.Pix[i] = bg.R
	}
	y0 := o.Gap
	for _, w := range branches {
		n := len(w) / size
		for u := 0; u < n; u++ {
			x := o.Gap + (u%o.Columns)*cell
			y := y0 + (u/o.Columns)*cell
			drawKernel(img, x, y, w[u*size:(u+1)*size], c, k, o.Scale)
		}
		y0 += (n+o.Columns-1)/o.Columns*cell + o.Branch
	}
	return img, nil
}

func drawKernel(img *image.RGBA, x0, y0 int, w []float32, c, k, scale int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range w {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	norm := func(v float32) uint8 {
		if hi <= lo {
			return 128
		}
		return uint8(math.Round(255 * (float64(v) - lo) / (hi - lo)))
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			var px color.RGBA
			if c == 3 {
				px = color.RGBA{norm(w[i*k+j]), norm(w[k*k+i*k+j]), norm(w[2*k*k+i*k+j]), 255}
			} else {
				g := norm(w[i*k+j])
				px = color.RGBA{g, g, g, 255}
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetRGBA(x0+j*scale+dx, y0+i*scale+dy, px)
				}
			}
		}
	}
}
