package figures

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
)

// HeatmapOptions lay out a heatmap. Zero values take the defaults noted.
type HeatmapOptions struct {
	Title, XLabel, YLabel string
	// Columns labels the columns (default: their index).
	Columns []string
	// Min and Max are the values at the two ends of the colour scale
	// (default, when both are 0: the range of the data).
	Min, Max float64
	// Width and Height of the figure in points (defaults 432 and 288).
	Width, Height float64
	// DPI of PNG output (default 144).
	DPI int
}

// Heatmap draws m[row][col] as a grid of coloured cells, row 0 at the top,
// on Moreland's smooth diverging blue-red scale (blue at Min, near-white
// half way, red at Max; Moreland, K., "Diverging Color Maps for
// Scientific Visualization", 2009), and writes it to w in format (PNG or
// SVG). Rows must have equal lengths; NaN cells are drawn in the scale's
// middle colour.
// It returns an error for an empty or ragged m or an unknown format.
func Heatmap(w io.Writer, format string, m [][]float64, o HeatmapOptions) error {
	if len(m) == 0 || len(m[0]) == 0 {
		return fmt.Errorf("figures: heatmap %q: empty matrix", o.Title)
	}
	g := grid{m: m}
	lo, hi := o.Min, o.Max
	if lo == 0 && hi == 0 {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, row := range m {
			if len(row) != len(m[0]) {
				return fmt.Errorf("figures: heatmap %q: ragged rows (%d and %d)", o.Title, len(row), len(m[0]))
			}
			for _, v := range row {
				if finite(v) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
		if lo > hi {
			lo, hi = 0, 1
		}
		if lo == hi {
			hi = lo + 1
		}
	}
	for _, row := range m {
		if len(row) != len(m[0]) {
			return fmt.Errorf("figures: heatmap %q: ragged rows (%d and %d)", o.Title, len(row), len(m[0]))
		}
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)
	hm := plotter.NewHeatMap(g, cm.Palette(64))
	hm.Min, hm.Max = lo, hi
	hm.NaN = hm.Palette.Colors()[32]
	p := plot.New()
	p.Title.Text = o.Title
	p.X.Label.Text = o.XLabel
	p.Y.Label.Text = o.YLabel
	p.Add(hm)
	cols := len(m[0])
	p.X.Tick.Marker = plot.TickerFunc(func(float64, float64) []plot.Tick {
		ts := make([]plot.Tick, cols)
		for c := range ts {
			label := fmt.Sprint(c)
			if c < len(o.Columns) {
				label = o.Columns[c]
			}
			ts[c] = plot.Tick{Value: float64(c), Label: label}
		}
		return ts
	})
	p.Y.Tick.Marker = plot.TickerFunc(func(float64, float64) []plot.Tick {
		step := max(1, len(m)/8)
		var ts []plot.Tick
		for r := 0; r < len(m); r += step {
			ts = append(ts, plot.Tick{Value: float64(len(m) - 1 - r), Label: fmt.Sprint(r)})
		}
		return ts
	})
	return render(w, format, p, o.Width, o.Height, o.DPI)
}

// grid adapts a row-major matrix to plotter.GridXYZ with row 0 on top.
type grid struct{ m [][]float64 }

func (g grid) Dims() (c, r int)   { return len(g.m[0]), len(g.m) }
func (g grid) Z(c, r int) float64 { return g.m[len(g.m)-1-r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }
