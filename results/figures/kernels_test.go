package figures

import (
	"image/color"
	"testing"
)

func TestKernelGridLayoutAndColours(t *testing.T) {
	// Branch 0: one pure red-minus-green 1x1 kernel; branch 1: two
	// luminance kernels, the second constant.
	b0 := []float32{1, -1, 0}
	b1 := []float32{2, 2, 2, 5, 5, 5}
	img, err := KernelGrid([][]float32{b0, b1}, 3, 1, KernelGridOptions{Scale: 4, Gap: 1, Branch: 10, Columns: 16})
	if err != nil {
		t.Fatal(err)
	}
	cell := 4 + 1
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 1+2*cell || h != 1+cell+10+cell {
		t.Fatalf("size %dx%d", w, h)
	}
	// Red-minus-green scaled to its own range: R=1 -> 255, G=-1 -> 0, B=0 -> 128.
	if got := img.RGBAAt(1, 1); got != (color.RGBA{255, 0, 128, 255}) {
		t.Errorf("branch 0 kernel drawn %v", got)
	}
	// Constant kernels are mid-gray.
	y := 1 + cell + 10
	if got := img.RGBAAt(1, y); got != (color.RGBA{128, 128, 128, 255}) {
		t.Errorf("constant kernel drawn %v", got)
	}
	// The gap between branches stays background.
	if got := img.RGBAAt(1, 1+cell+5); got != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("branch gap drawn %v", got)
	}
}

func TestKernelGridRejects(t *testing.T) {
	if _, err := KernelGrid([][]float32{{1, 2}}, 3, 1, KernelGridOptions{}); err == nil {
		t.Error("no error for 2 weights of 3-channel 1x1 kernels")
	}
	if _, err := KernelGrid([][]float32{{1, 2}}, 2, 1, KernelGridOptions{}); err == nil {
		t.Error("no error for 2-channel kernels")
	}
}
