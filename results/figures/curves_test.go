package figures

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"
)

func testCurves() []Curve {
	nan := math.NaN()
	return []Curve{
		{Label: "baseline", X: []float64{0, 1, 2, 4, 8, 100}, Mean: []float64{0.1, 0.15, 0.2, 0.3, 0.5, 0.6},
			Lo: []float64{0.05, 0.1, 0.15, 0.2, 0.4, 0.5}, Hi: []float64{0.15, 0.2, 0.25, 0.4, 0.6, 0.7}},
		// One seed at step 0: no interval there.
		{Label: "cut-downstream", X: []float64{0, 1, 2, 4, 8, 100}, Mean: []float64{0.1, 0.1, 0.1, 0.12, 0.1, nan},
			Lo: []float64{nan, 0.05, 0.05, 0.05, 0.05, nan}, Hi: []float64{nan, 0.15, 0.15, 0.2, 0.15, nan}},
	}
}

// countColor counts the pixels of img within 40 of c in every channel.
func countColor(img image.Image, r, g, b uint8) int {
	n := 0
	near := func(a uint32, want uint8) bool { return math.Abs(float64(a>>8)-float64(want)) < 40 }
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}

func TestCurvesPNG(t *testing.T) {
	for _, logx := range []bool{false, true} {
		var buf bytes.Buffer
		err := Curves(&buf, PNG, testCurves(), CurvesOptions{Title: "chroma.eta2", XLabel: "step", YLabel: "eta^2", LogX: logx})
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		// 432 x 288 points at 144 dpi.
		if b := img.Bounds(); b.Dx() != 864 || b.Dy() != 576 {
			t.Errorf("logx %v: size %v, want 864x576", logx, b)
		}
		c0, c1 := CurveColor(0), CurveColor(1)
		if n := countColor(img, c0.R, c0.G, c0.B); n < 200 {
			t.Errorf("logx %v: %d pixels of the first curve's colour", logx, n)
		}
		if n := countColor(img, c1.R, c1.G, c1.B); n < 200 {
			t.Errorf("logx %v: %d pixels of the second curve's colour", logx, n)
		}
	}
}

func TestCurvesSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := Curves(&buf, SVG, testCurves(), CurvesOptions{Title: "rejoin.maxshare", LogX: true}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{"<svg", "rejoin.maxshare", "baseline", "cut-downstream"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestCurvesErrors(t *testing.T) {
	var buf bytes.Buffer
	nan := math.NaN()
	for name, tc := range map[string]struct {
		format string
		curves []Curve
	}{
		"format":    {"gif", testCurves()},
		"ragged":    {PNG, []Curve{{Label: "x", X: []float64{0, 1}, Mean: []float64{0}, Lo: []float64{0}, Hi: []float64{0}}}},
		"no points": {PNG, []Curve{{Label: "x", X: []float64{0}, Mean: []float64{nan}, Lo: []float64{nan}, Hi: []float64{nan}}}},
	} {
		if err := Curves(&buf, tc.format, tc.curves, CurvesOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLog1pTicks(t *testing.T) {
	var labels []string
	for _, tk := range (log1pTicks{}).Ticks(0, 300) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, ","); got != "0,1,10,100" {
		t.Errorf("labels %s, want 0,1,10,100", got)
	}
	s := log1pScale{}
	if a, b, c := s.Normalize(0, 99, 0), s.Normalize(0, 99, 9), s.Normalize(0, 99, 99); a != 0 || math.Abs(b-0.5) > 1e-12 || c != 1 {
		t.Errorf("normalize 0, 9, 99 on [0, 99] = %v, %v, %v; want 0, 0.5, 1 (log10 of 1, 10, 100)", a, b, c)
	}
}

func TestHeatmap(t *testing.T) {
	m := [][]float64{{1, 0}, {0.9, 0.1}, {0.5, 0.5}, {0, 1}}
	var buf bytes.Buffer
	if err := Heatmap(&buf, PNG, m, HeatmapOptions{Title: "A", Columns: []string{"a0", "a1"}, Min: 0, Max: 1}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// The scale runs from blue (59, 76, 192) at 0 to red (180, 4, 38) at 1,
	// Moreland's end points: both appear.
	if countColor(img, 59, 76, 192) < 1000 {
		t.Error("no blue cells for 0")
	}
	if countColor(img, 180, 4, 38) < 1000 {
		t.Error("no red cells for 1")
	}
	if err := Heatmap(&buf, PNG, [][]float64{{1, 2}, {3}}, HeatmapOptions{}); err == nil {
		t.Error("ragged matrix: no error")
	}
	if err := Heatmap(&buf, PNG, nil, HeatmapOptions{}); err == nil {
		t.Error("empty matrix: no error")
	}
}

// TestCurvesPastThePalette checks that curves past the seven colours stay
// distinct: the first pass is solid, the second dashed (its own dash
// pattern and dot shape), so nine regimes never share a look.
func TestCurvesPastThePalette(t *testing.T) {
	for i := range 3 * len(curvePalette) {
		for j := range i {
			ci, di, gi := curveLook(i)
			cj, dj, gj := curveLook(j)
			if ci == cj && slices.Equal(di, dj) && gi == gj {
				t.Errorf("curves %d and %d look the same: %v %v %T", i, j, ci, di, gi)
			}
		}
	}
	var curves []Curve
	for i := range 9 {
		c := testCurves()[0]
		c.Label = fmt.Sprintf("regime-%d", i)
		curves = append(curves, c)
	}
	var solid, dashed bytes.Buffer
	if err := Curves(&solid, SVG, curves[:7], CurvesOptions{Title: "seven"}); err != nil {
		t.Fatal(err)
	}
	if err := Curves(&dashed, SVG, curves, CurvesOptions{Title: "nine"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(solid.String(), "stroke-dasharray") || !strings.Contains(dashed.String(), "stroke-dasharray") {
		t.Errorf("dashes: seven curves %v, nine curves %v; want none, then some",
			strings.Contains(solid.String(), "stroke-dasharray"), strings.Contains(dashed.String(), "stroke-dasharray"))
	}
}
