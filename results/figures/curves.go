package figures

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Formats that Curves and Heatmap write.
const (
	PNG = "png"
	SVG = "svg"
)

// Curve is one line of a curves plot: the mean of a metric at each x (a
// step) with a band from Lo to Hi (a confidence interval). X must be
// ascending and all four slices of equal length. A point whose Mean is not
// finite is left out of the line; the band is drawn over the runs of
// consecutive points whose Lo and Hi are both finite.
type Curve struct {
	Label   string
	X, Mean []float64
	Lo, Hi  []float64
}

// CurvesOptions lay out a curves plot. Zero values take the defaults
// noted.
type CurvesOptions struct {
	Title, XLabel, YLabel string
	// LogX draws x on a log(1 + x) scale, so that step 0 and the
	// log-spaced early checkpoints are spread out; ticks are labelled with
	// x itself (0, 1, 10, 100, ...).
	LogX bool
	// Width and Height of the figure in points, 1/72 inch (defaults 432
	// and 288: 6 x 4 inches).
	Width, Height float64
	// DPI of PNG output (default 144); SVG is resolution-free.
	DPI int
}

// palette is Okabe and Ito's colour-blind safe palette (Okabe, M. and Ito,
// K., "Color Universal Design", 2008), without its black.
var curvePalette = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{213, 94, 0, 255},    // vermillion
	{0, 158, 115, 255},   // bluish green
	{204, 121, 167, 255}, // reddish purple
	{230, 159, 0, 255},   // orange
	{86, 180, 233, 255},  // sky blue
	{240, 228, 66, 255},  // yellow
}

// CurveColor is the colour of the i-th curve of a plot, cycling through a
// palette of seven colour-blind safe colours.
func CurveColor(i int) color.RGBA { return curvePalette[i%len(curvePalette)] }

// curveLook is how the i-th curve is told apart from the others: its
// colour, and on each pass through the palette after the first a dash
// pattern and dot shape of its own, so that curve 8 (blue again) is
// dashed with squares where curve 1 is solid with circles.
func curveLook(i int) (col color.RGBA, dashes []vg.Length, glyph draw.GlyphDrawer) {
	col = CurveColor(i)
	switch i / len(curvePalette) % 3 {
	case 0:
		return col, nil, draw.CircleGlyph{}
	case 1:
		return col, []vg.Length{vg.Points(5), vg.Points(2.5)}, draw.SquareGlyph{}
	}
	return col, []vg.Length{vg.Points(1.5), vg.Points(2)}, draw.TriangleGlyph{}
}

// Curves draws each curve's mean as a line with dots at its points and
// its band as a translucent area of the same colour, with a legend, and
// writes the figure to w in format (PNG or SVG). It returns an error for
// an unknown format, slices of unequal length, or no finite point at all.
func Curves(w io.Writer, format string, curves []Curve, o CurvesOptions) error {
	p := plot.New()
	p.Title.Text = o.Title
	p.X.Label.Text = o.XLabel
	p.Y.Label.Text = o.YLabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	if o.LogX {
		p.X.Scale = log1pScale{}
		p.X.Tick.Marker = log1pTicks{}
	}
	points := 0
	for i, c := range curves {
		n, err := addCurve(p, c, i)
		if err != nil {
			return fmt.Errorf("figures: curves %q: %w", o.Title, err)
		}
		points += n
	}
	if points == 0 {
		return fmt.Errorf("figures: curves %q: no finite point to draw", o.Title)
	}
	return render(w, format, p, o.Width, o.Height, o.DPI)
}

// addCurve adds the i-th curve's band, line and legend entry; it returns
// the number of points drawn.
func addCurve(p *plot.Plot, c Curve, i int) (int, error) {
	col, dashes, glyph := curveLook(i)
	n := len(c.X)
	if len(c.Mean) != n || len(c.Lo) != n || len(c.Hi) != n {
		return 0, fmt.Errorf("curve %q: %d x, %d means, %d lo, %d hi", c.Label, n, len(c.Mean), len(c.Lo), len(c.Hi))
	}
	band := color.RGBA{col.R / 4, col.G / 4, col.B / 4, 64} // premultiplied alpha 1/4
	for _, seg := range finiteRuns(n, func(i int) bool { return finite(c.Lo[i]) && finite(c.Hi[i]) }) {
		var xys plotter.XYs
		for i := seg[0]; i < seg[1]; i++ {
			xys = append(xys, plotter.XY{X: c.X[i], Y: c.Hi[i]})
		}
		for i := seg[1] - 1; i >= seg[0]; i-- {
			xys = append(xys, plotter.XY{X: c.X[i], Y: c.Lo[i]})
		}
		poly, err := plotter.NewPolygon(xys)
		if err != nil {
			return 0, err
		}
		poly.Color = band
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	var xys plotter.XYs
	for i := range c.X {
		if finite(c.Mean[i]) && finite(c.X[i]) {
			xys = append(xys, plotter.XY{X: c.X[i], Y: c.Mean[i]})
		}
	}
	if len(xys) == 0 {
		return 0, nil
	}
	line, dots, err := plotter.NewLinePoints(xys)
	if err != nil {
		return 0, err
	}
	line.Color, line.Width, line.Dashes = col, vg.Points(1.5), dashes
	dots.Color, dots.Shape, dots.Radius = col, glyph, vg.Points(2)
	p.Add(line, dots)
	p.Legend.Add(c.Label, line, dots)
	return len(xys), nil
}

// finiteRuns returns the [start, end) index ranges of consecutive i < n
// with ok(i).
func finiteRuns(n int, ok func(int) bool) [][2]int {
	var runs [][2]int
	start := -1
	for i := 0; i <= n; i++ {
		if i < n && ok(i) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			runs = append(runs, [2]int{start, i})
			start = -1
		}
	}
	return runs
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// render writes p in format at width x height points.
func render(w io.Writer, format string, p *plot.Plot, width, height float64, dpi int) error {
	if width <= 0 {
		width = 432
	}
	if height <= 0 {
		height = 288
	}
	if dpi <= 0 {
		dpi = 144
	}
	wl, hl := vg.Length(width), vg.Length(height)
	var wt io.WriterTo
	switch format {
	case PNG:
		c := vgimg.NewWith(vgimg.UseWH(wl, hl), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
		p.Draw(draw.New(c))
		wt = vgimg.PngCanvas{Canvas: c}
	case SVG:
		c := vgsvg.New(wl, hl)
		p.Draw(draw.New(c))
		wt = c
	default:
		return fmt.Errorf("figures: unknown format %q (want %s or %s)", format, PNG, SVG)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("figures: write %s: %w", format, err)
	}
	return nil
}

// log1pScale maps x to log(1 + x), so that 0 has a place on a log-like
// axis. Values below 0 are clamped to 0.
type log1pScale struct{}

func (log1pScale) Normalize(lo, hi, x float64) float64 {
	l, h := math.Log1p(max(lo, 0)), math.Log1p(max(hi, 0))
	if h == l {
		return 0.5
	}
	return (math.Log1p(max(x, 0)) - l) / (h - l)
}

// log1pTicks labels 0 and the powers of ten in range, with unlabelled
// ticks at 2..9 times each power.
type log1pTicks struct{}

func (log1pTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	if lo <= 0 {
		ts = append(ts, plot.Tick{Value: 0, Label: "0"})
	}
	for p := 1.0; p <= hi; p *= 10 {
		for m := 1.0; m < 10; m++ {
			v := m * p
			if v < lo || v > hi {
				continue
			}
			label := ""
			if m == 1 {
				label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
	}
	return ts
}
