package data

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteFolder: a float set (as the CIFAR-10 loader makes it) written
// as PNG files reads back with LoadFolder to the 8-bit levels it was
// made from, class by class; a gray set becomes gray images.
func TestWriteFolder(t *testing.T) {
	const h, w = 4, 3
	lut := newByteLUT()
	mk := func(n, split int) *Set {
		s := &Set{C: 3, H: h, W: w, Classes: 2, ClassNames: []string{"cat", "dog"}}
		for i := range n {
			k := i % 2
			s.Y = append(s.Y, int32(k))
			x := make([]float32, 3*h*w)
			lut.convert(x, fixturePlanes(split, k, i, w, h))
			s.X = append(s.X, x...)
		}
		return s
	}
	root := filepath.Join(t.TempDir(), "out")
	train, test := mk(6, 0), mk(2, 1)
	if err := WriteFolder(root, train, test); err != nil {
		t.Fatal(err)
	}
	gotTrain, gotTest, _, err := LoadFolder(root, &FolderOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotTrain.ClassNames, []string{"cat", "dog"}) || gotTrain.Len() != 6 || gotTest.Len() != 2 {
		t.Fatalf("read back %v, %d + %d images", gotTrain.ClassNames, gotTrain.Len(), gotTest.Len())
	}
	// Written as train/CLASS/NNNNN.png with NNNNN the index in the split;
	// read back class by class in name order, interleaved: cat 0, dog 1,
	// cat 2, dog 3, ...: the same order here.
	for split, s := range []*Set{gotTrain, gotTest} {
		for i := range s.Len() {
			want := fixturePlanes(split, i%2, i, w, h)
			if got := s.Pix[i*3*h*w : (i+1)*3*h*w]; !slices.Equal(got, want) || s.Y[i] != int32(i%2) {
				t.Errorf("split %d image %d: label %d, pixels %v, want %d, %v", split, i, s.Y[i], got, i%2, want)
			}
		}
	}
	if err := WriteFolder(root, train, test); err == nil {
		t.Error("WriteFolder over an existing folder succeeded")
	}
	bad := mk(2, 0)
	bad.ClassNames = []string{"a/b", "c"}
	other := filepath.Join(t.TempDir(), "bad")
	if err := WriteFolder(other, bad, bad); err == nil {
		t.Error("a class name with a slash was accepted")
	}
	if _, err := os.Stat(other); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused write left %s", other)
	}
}
