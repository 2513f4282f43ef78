package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// tolDecodePIL bounds |ours - PIL| per 8-bit value on the fixtures of
// testdata/decode: the chroma upsampling and colour conversion are
// libjpeg's, bit for bit, but Go's inverse DCT rounds differently from
// libjpeg's islow one by up to a level or two.
const tolDecodePIL = 2

// TestDecodeMatchesPIL decodes the JPEG fixtures written by
// testdata/decode_reference.py and compares with the pixels PIL decoded
// from them (NAME.pil.rgb, interleaved RGB). With Go's nearest-neighbour
// chroma (YCbCr.At) the 4:2:0 and 4:2:2 fixtures differ from PIL by far
// more, which the second check shows.
func TestDecodeMatchesPIL(t *testing.T) {
	for _, name := range []string{"s420-13x9", "s420-32x32", "s422-11x6", "s444-8x5", "s420-4x4", "gray-10x7"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "decode", name+".jpg")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := os.ReadFile(filepath.Join("testdata", "decode", name+".pil.rgb"))
			if err != nil {
				t.Fatal(err)
			}
			pix, h, w, err := decodeImage(path, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(ref) != 3*h*w {
				t.Fatalf("decoded %dx%d, PIL has %d bytes", w, h, len(ref))
			}
			im, _ := jpeg.Decode(bytes.NewReader(b))
			worst, worstGo := 0, 0
			for i := range h * w {
				r, g, bb, _ := im.At(i%w, i/w).RGBA()
				nearest := [3]int{int(r >> 8), int(g >> 8), int(bb >> 8)}
				for c := range 3 {
					want := int(ref[3*i+c])
					worst = max(worst, absInt(int(pix[c*h*w+i])-want))
					worstGo = max(worstGo, absInt(nearest[c]-want))
				}
			}
			if worst > tolDecodePIL {
				t.Errorf("max |ours - PIL| = %d levels, want <= %d", worst, tolDecodePIL)
			}
			t.Logf("max |ours - PIL| = %d; with Go's YCbCr.At: %d", worst, worstGo)
			if name == "gray-10x7" {
				for i := range h * w {
					if pix[i] != pix[h*w+i] || pix[i] != pix[2*h*w+i] {
						t.Fatalf("gray JPEG pixel %d: R, G, B = %d, %d, %d; want equal", i, pix[i], pix[h*w+i], pix[2*h*w+i])
					}
				}
			}
		})
	}
}

func absInt(v int) int { return max(v, -v) }

// TestFancyUpsampling checks the triangle filters on hand-computed rows.
func TestFancyUpsampling(t *testing.T) {
	// h2v1 on one row c = (0, 40, 200): the ends copy c; inside
	// out[2i] = (3c[i] + c[i-1] + 1) >> 2, out[2i+1] = (3c[i] + c[i+1] + 2) >> 2.
	//   out[1] = (0 + 40 + 2) >> 2 = 10
	//   out[2] = (120 + 0 + 1) >> 2 = 30,  out[3] = (120 + 200 + 2) >> 2 = 80
	//   out[4] = (600 + 40 + 1) >> 2 = 160
	if got, want := fancyH2V1([]uint8{0, 40, 200}, 3, 1), []uint8{0, 10, 30, 80, 160, 200}; !slices.Equal(got, want) {
		t.Errorf("h2v1: %v, want %v", got, want)
	}
	// h1v2 on one column c = (0, 100): row 0 = (3*0 + 0 + 1) >> 2 = 0,
	// row 1 = (0 + 100 + 2) >> 2 = 25, row 2 = (300 + 0 + 1) >> 2 = 75,
	// row 3 = (300 + 100 + 2) >> 2 = 100.
	if got, want := fancyH1V2([]uint8{0, 100}, 1, 2), []uint8{0, 25, 75, 100}; !slices.Equal(got, want) {
		t.Errorf("h1v2: %v, want %v", got, want)
	}
	// h2v2 on a 3x1 plane c = (0, 16, 160) (one row: the neighbour row is
	// the row itself, so column sums s = 4c = (0, 64, 640)):
	//   out[0] = (4*0 + 8) >> 4 = 0,         out[1] = (0 + 64 + 7) >> 4 = 4
	//   out[2] = (192 + 0 + 8) >> 4 = 12,    out[3] = (192 + 640 + 7) >> 4 = 52
	//   out[4] = (1920 + 64 + 8) >> 4 = 124, out[5] = (2560 + 7) >> 4 = 160
	// and both output rows are equal.
	row := []uint8{0, 4, 12, 52, 124, 160}
	if got, want := fancyH2V2([]uint8{0, 16, 160}, 3, 1), append(slices.Clone(row), row...); !slices.Equal(got, want) {
		t.Errorf("h2v2: %v, want %v", got, want)
	}
}

// TestYCCToRGB checks libjpeg's fixed-point conversion on values worked
// out by hand from its tables: FIX(1.402) = 91881, FIX(1.772) = 116130,
// FIX(0.34414) = 22554, FIX(0.71414) = 46802.
func TestYCCToRGB(t *testing.T) {
	for _, c := range []struct{ y, cb, cr, r, g, b uint8 }{
		{128, 128, 128, 128, 128, 128}, // gray
		// Cr - 128 = 72: R = 100 + (91881*72 + 32768) >> 16 = 100 + 101 = 201;
		// G = 100 + (32768 - 46802*72) >> 16 = 100 + floor(-50.92) = 49.
		{100, 128, 200, 201, 49, 100},
		// Cb - 128 = -128: B = 10 + (-116130*128 + 32768) >> 16 = 10 - 227 -> 0;
		// G = 10 + (22554*128 + 32768) >> 16 = 10 + 44 = 54.
		{10, 0, 128, 10, 54, 0},
		// Cb - 128 = Cr - 128 = 127: R = 250 + 178 and B = 250 + 225 clamp to
		// 255; G = 250 + (32768 - 22554*127 - 46802*127) >> 16
		// = 250 + floor(-133.9) = 116.
		{250, 255, 255, 255, 116, 255},
	} {
		r, g, b := yccToRGB(c.y, c.cb, c.cr)
		if r != c.r || g != c.g || b != c.b {
			t.Errorf("YCbCr (%d, %d, %d) -> (%d, %d, %d), want (%d, %d, %d)", c.y, c.cb, c.cr, r, g, b, c.r, c.g, c.b)
		}
	}
}

// TestResizeArea checks area averaging on hand-computed cases.
func TestResizeArea(t *testing.T) {
	// 4x4 -> 2x2: block means. One channel pattern, the same on all three.
	plane := []uint8{
		0, 10, 100, 101,
		20, 30, 102, 103,
		7, 7, 255, 255,
		7, 8, 255, 254,
	}
	src := slices.Concat(plane, plane, plane)
	// means 15, 101.5 -> 102 (half away from zero), 7.25 -> 7, 254.75 -> 255
	want := []uint8{15, 102, 7, 255}
	if got := resizeArea(src, 4, 4, 2, 2); !slices.Equal(got, slices.Concat(want, want, want)) {
		t.Errorf("4x4 -> 2x2: %v, want %v", got, want)
	}
	// 3x1 -> 2x1: cells [0, 1.5) and [1.5, 3): (2/3) a + (1/3) b and
	// (1/3) b + (2/3) c. With (0, 90, 180): 30 and 150.
	row := []uint8{0, 90, 180}
	if got := resizeArea(slices.Concat(row, row, row), 1, 3, 1, 2); !slices.Equal(got[:2], []uint8{30, 150}) {
		t.Errorf("1x3 -> 1x2: %v, want [30 150]", got[:2])
	}
	// 1x2 -> 1x4 upscaling replicates: cells of half a pixel.
	up := []uint8{10, 200}
	if got := resizeArea(slices.Concat(up, up, up), 1, 2, 1, 4); !slices.Equal(got[:4], []uint8{10, 10, 200, 200}) {
		t.Errorf("1x2 -> 1x4: %v, want [10 10 200 200]", got[:4])
	}
	// The weights of every cell sum to 1.
	for _, nm := range [][2]int{{7, 4}, {5, 3}, {3, 7}, {32, 24}} {
		for k, taps := range areaWeights(nm[0], nm[1]) {
			var s float64
			for _, tp := range taps {
				s += tp.w
			}
			if s < 1-1e-12 || s > 1+1e-12 {
				t.Errorf("areaWeights(%d, %d) cell %d: weights sum to %v", nm[0], nm[1], k, s)
			}
		}
	}
}

// TestResizeAreaMatchesPIL compares an 8x6 -> 4x3 downscale with PIL's box
// filter (testdata/decode/box-4x3.pil.rgb, see decode_reference.py), which
// averages the same 2x2 blocks but rounds to 8 bits between its horizontal
// and vertical passes: within one level. (For non-integer factors PIL's
// box weighs pixels by whether their centre lies in the cell, not by
// overlap; TestResizeArea checks those cases by hand.)
func TestResizeAreaMatchesPIL(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "decode", "box.png"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(filepath.Join("testdata", "decode", "box-4x3.pil.rgb"))
	if err != nil {
		t.Fatal(err)
	}
	pix, h, w, err := decodeImage("box.png", b)
	if err != nil || h != 6 || w != 8 {
		t.Fatalf("box.png: %dx%d, %v", w, h, err)
	}
	got := resizeArea(pix, h, w, 3, 4)
	for i := range 12 {
		for c := range 3 {
			if d := absInt(int(got[c*12+i]) - int(ref[3*i+c])); d > 1 {
				t.Errorf("pixel %d channel %d: %d, PIL %d", i, c, got[c*12+i], ref[3*i+c])
			}
		}
	}
}

// TestToRGBPNG checks the PNG colour models against the pixels encoded:
// PNG is lossless, so RGB and gray must come back exactly, 16-bit values
// as their high byte, palette entries as their colour, alpha ignored.
func TestToRGBPNG(t *testing.T) {
	const w, h = 3, 2
	rgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	gray := image.NewGray(image.Rect(0, 0, w, h))
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.NRGBA{1, 2, 3, 255}, color.NRGBA{200, 100, 50, 255}})
	var want [4][3 * w * h]uint8
	for i := range w * h {
		x, y := i%w, i/w
		c := color.NRGBA{uint8(40 * i), uint8(255 - 30*i), uint8(7 * i), uint8(255 - 50*i)}
		rgba.SetNRGBA(x, y, c)
		want[0][i], want[0][w*h+i], want[0][2*w*h+i] = c.R, c.G, c.B
		g := uint8(11 + 41*i)
		gray.SetGray(x, y, color.Gray{g})
		want[1][i], want[1][w*h+i], want[1][2*w*h+i] = g, g, g
		g16 := uint16(1000 + 9000*i)
		gray16.SetGray16(x, y, color.Gray16{g16})
		hi := uint8(g16 >> 8)
		want[2][i], want[2][w*h+i], want[2][2*w*h+i] = hi, hi, hi
		k := uint8(i % 2)
		pal.SetColorIndex(x, y, k)
		pc := pal.Palette[k].(color.NRGBA)
		want[3][i], want[3][w*h+i], want[3][2*w*h+i] = pc.R, pc.G, pc.B
	}
	for j, im := range []image.Image{rgba, gray, gray16, pal} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, im); err != nil {
			t.Fatal(err)
		}
		pix, ph, pw, err := decodeImage("x.png", buf.Bytes())
		if err != nil || ph != h || pw != w {
			t.Fatalf("%T: %dx%d, %v", im, pw, ph, err)
		}
		if !slices.Equal(pix, want[j][:]) {
			t.Errorf("%T: %v, want %v", im, pix, want[j])
		}
	}
}
