package npy

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		shape []int
		data  []float32
	}{
		{[]int{3}, []float32{1, -2, 3.5}},
		{[]int{2, 3}, []float32{0, 1, 2, 3, 4, float32(math.Inf(1))}},
		{[]int{2, 1, 2, 2}, []float32{1, 2, 3, 4, 5, 6, 7, 8}},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, tc.shape, tc.data); err != nil {
			t.Fatal(err)
		}
		if off := buf.Len() - 4*len(tc.data); off%64 != 0 {
			t.Errorf("shape %v: data starts at %d, want a multiple of 64", tc.shape, off)
		}
		shape, data, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(shape, tc.shape) || !slices.Equal(data, tc.data) {
			t.Errorf("round trip: got %v %v, want %v %v", shape, data, tc.shape, tc.data)
		}
	}
}

func TestWriteRejectsWrongSize(t *testing.T) {
	if err := Write(&bytes.Buffer{}, []int{2, 2}, []float32{1}); err == nil {
		t.Fatal("no error for 1 value in shape [2 2]")
	}
}

// TestNumpyLoads checks the files against numpy itself when it is installed.
func TestNumpyLoads(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import numpy").Run() != nil {
		t.Skip("python3 with numpy not available")
	}
	path := filepath.Join(t.TempDir(), "a.npy")
	f, _ := os.Create(path)
	if err := Write(f, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6.5}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command(py, "-c", "import numpy as np; a = np.load('"+path+"'); print(a.dtype, a.shape, a.sum())").CombinedOutput()
	if err != nil {
		t.Fatalf("numpy.load: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "float32 (2, 3) 21.5" {
		t.Errorf("numpy sees %q, want %q", got, "float32 (2, 3) 21.5")
	}
}
