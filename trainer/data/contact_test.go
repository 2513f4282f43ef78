package data

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// contactSheet tiles the first rows*cols images of s (1 or 3 channels) into
// one RGBA image with a one-pixel gap.
func contactSheet(s *Set, rows, cols int) *image.RGBA {
	h, w := s.H+1, s.W+1
	img := image.NewRGBA(image.Rect(0, 0, cols*w+1, rows*h+1))
	p := s.H * s.W
	for i := range min(rows*cols, s.Len()) {
		x0, y0 := 1+(i%cols)*w, 1+(i/cols)*h
		im := s.Image(i)
		for y := range s.H {
			for x := range s.W {
				var rgb [3]uint8
				for c := range 3 {
					v := im[min(c, s.C-1)*p+y*s.W+x]
					rgb[c] = uint8(min(max((v+1)/2, 0), 1)*255 + 0.5)
				}
				img.Set(x0+x, y0+y, color.RGBA{rgb[0], rgb[1], rgb[2], 255})
			}
		}
	}
	return img
}

// TestContactSheet renders synthetic images to PNG. Set
// BRANCHSPEC_SYNTH_PNG=/path/sheet.png to keep the sheet for inspection:
// row r holds class r (form r/Hues, hue r%Hues), then its grayscale twin.
func TestContactSheet(t *testing.T) {
	o := SyntheticOptions{Forms: MaxForms, Hues: 4, Noise: 0.03, Train: 256, Test: 1}
	train, _, err := Synthetic(o, 7)
	if err != nil {
		t.Fatal(err)
	}
	k := train.Classes
	byClass := &Set{C: 3, H: train.H, W: train.W}
	for i := range 16 * k {
		j := (i/16)%k + (i%8)*k // row i/16: class; 8 colour then 8 gray
		src := train
		if i%16 >= 8 {
			src = train.Grayscale()
		}
		byClass.X = append(byClass.X, src.Image(j)...)
		byClass.Y = append(byClass.Y, train.Y[j])
	}
	sheet := contactSheet(byClass, k, 16)
	var buf bytes.Buffer
	if err := png.Encode(&buf, sheet); err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("BRANCHSPEC_SYNTH_PNG")
	if path == "" {
		path = filepath.Join(t.TempDir(), "sheet.png")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Bounds(), sheet.Bounds(); got != want {
		t.Errorf("decoded bounds %v, want %v", got, want)
	}
}
