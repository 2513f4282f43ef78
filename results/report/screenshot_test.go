package report

import (
	"image/png"
	"os"
	"testing"
)

// TestScreenshot checks a browser's screenshot of a rendered report, named
// by REPORT_SCREENSHOT (make report-check sets it): it must decode as a
// PNG and not be blank. A blank page is one colour; a rendered report has
// text, tables and figures, so many pixels differ from the background.
// minInk is the fraction of pixels that must differ from the top-left
// pixel (the page background); a report's first 4000 rows hold far more.
func TestScreenshot(t *testing.T) {
	const minInk = 0.02
	path := os.Getenv("REPORT_SCREENSHOT")
	if path == "" {
		t.Skip("REPORT_SCREENSHOT not set (make report-check sets it)")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot missing: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	b := img.Bounds()
	bg := img.At(b.Min.X, b.Min.Y)
	br, bgG, bb, _ := bg.RGBA()
	ink := 0
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != br || g != bgG || bl != bb {
				ink++
			}
			if len(colours) < 1000 {
				colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			}
		}
	}
	frac := float64(ink) / float64(b.Dx()*b.Dy())
	t.Logf("%s: %dx%d, %.1f%% ink, %d+ colours", path, b.Dx(), b.Dy(), 100*frac, len(colours))
	if frac < minInk || len(colours) < 16 {
		t.Errorf("screenshot looks blank: %.2f%% of pixels differ from the background, %d colours", 100*frac, len(colours))
	}
}
