package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifarRecords returns k records whose labels are (first+i) mod 10 and whose
// byte j of record i is (first+i + 7j) mod 256.
func cifarRecords(first, k int) []byte {
	var b []byte
	for i := range k {
		b = append(b, byte((first+i)%10))
		for j := range cifarImage {
			b = append(b, byte(first+i+7*j))
		}
	}
	return b
}

// writeCIFAR writes batches of the given sizes, numbering records across
// them, and a test batch of nTest records; it returns the directory.
func writeCIFAR(t *testing.T, sizes []int, nTest int) string {
	t.Helper()
	dir := t.TempDir()
	first := 0
	for i, k := range sizes {
		write(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i+1)), cifarRecords(first, k))
		first += k
	}
	write(t, filepath.Join(dir, "test_batch.bin"), cifarRecords(1000, nTest))
	return dir
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkCIFARSet(t *testing.T, s *Set, first, n int) {
	t.Helper()
	if s.Len() != n || s.C != 3 || s.H != 32 || s.W != 32 || s.Classes != 10 || len(s.X) != n*cifarImage {
		t.Fatalf("len %d shape %dx%dx%d classes %d len(X) %d", s.Len(), s.C, s.H, s.W, s.Classes, len(s.X))
	}
	for i := range n {
		if want := int32((first + i) % 10); s.Y[i] != want {
			t.Errorf("Y[%d] = %d, want %d", i, s.Y[i], want)
		}
		im := s.Image(i)
		// R, G, B planes: byte j of the record is channel j/1024, pixel j%1024.
		for _, j := range []int{0, 1, 31, 32, 1023, 1024, 2047, 2048, 3071} {
			p := byte(first + i + 7*j)
			if want := float32(2*float64(p)/255 - 1); im[j] != want {
				t.Errorf("record %d value %d = %v, want %v", i, j, im[j], want)
			}
		}
	}
}

func TestLoadCIFAR10(t *testing.T) {
	dir := writeCIFAR(t, []int{4, 3, 5, 2, 6}, 7)
	t.Run("all", func(t *testing.T) {
		train, test, err := LoadCIFAR10(dir, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkCIFARSet(t, train, 0, 20)
		checkCIFARSet(t, test, 1000, 7)
		if train.ClassNames[0] != "airplane" || train.ClassNames[9] != "truck" {
			t.Errorf("default names %v", train.ClassNames)
		}
	})
	t.Run("head spanning batches", func(t *testing.T) {
		train, test, err := LoadCIFAR10(dir, 9, 3)
		if err != nil {
			t.Fatal(err)
		}
		checkCIFARSet(t, train, 0, 9)
		checkCIFARSet(t, test, 1000, 3)
	})
	t.Run("only needed batches", func(t *testing.T) {
		d := writeCIFAR(t, []int{5}, 2) // data_batch_2..5 absent
		train, _, err := LoadCIFAR10(d, 5, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkCIFARSet(t, train, 0, 5)
	})
	t.Run("meta names", func(t *testing.T) {
		d := writeCIFAR(t, []int{1, 1, 1, 1, 1}, 1)
		names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
		write(t, filepath.Join(d, "batches.meta.txt"), []byte(strings.Join(names, "\n")+"\n\n"))
		train, test, err := LoadCIFAR10(d, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(train.ClassNames, names) || !slices.Equal(test.ClassNames, names) {
			t.Errorf("names %v / %v", train.ClassNames, test.ClassNames)
		}
	})
}

func TestLoadCIFAR10Errors(t *testing.T) {
	for _, c := range []struct {
		name          string
		edit          func(t *testing.T, dir string)
		nTrain, nTest int
		file          string
		target        error
		text          string
	}{
		{"missing batch", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "data_batch_3.bin")) }, 0, 0,
			"data_batch_3.bin", fs.ErrNotExist, "no such file or directory"},
		{"missing test", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "test_batch.bin")) }, 0, 0,
			"test_batch.bin", fs.ErrNotExist, ""},
		{"truncated", func(t *testing.T, d string) {
			write(t, filepath.Join(d, "data_batch_2.bin"), cifarRecords(0, 3)[:2*cifarRecord+100])
		}, 0, 0, "data_batch_2.bin", ErrTruncated, "6246 bytes is not a multiple of the 3073-byte record"},
		{"label range", func(t *testing.T, d string) {
			b := cifarRecords(0, 3)
			b[cifarRecord] = 10
			write(t, filepath.Join(d, "test_batch.bin"), b)
		}, 0, 0, "test_batch.bin", ErrLabelRange, "label 10 of record 1"},
		{"too few train", nil, 11, 0, "data_batch_5.bin", ErrTooFew, "11 requested, 10 in 5 files"},
		{"too few test", nil, 0, 3, "test_batch.bin", ErrTooFew, ""},
		{"meta count", func(t *testing.T, d string) {
			write(t, filepath.Join(d, "batches.meta.txt"), []byte("cat\ndog\n"))
		}, 0, 0, "batches.meta.txt", nil, "2 class names, want 10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeCIFAR(t, []int{2, 2, 2, 2, 2}, 2)
			if c.edit != nil {
				c.edit(t, dir)
			}
			_, _, err := LoadCIFAR10(dir, c.nTrain, c.nTest)
			if err == nil || (c.target != nil && !errors.Is(err, c.target)) {
				t.Fatalf("err = %v, want %v", err, c.target)
			}
			if want := "data: " + filepath.Join(dir, c.file) + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want prefix %q", err, want)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("err = %q, want it to contain %q", err, c.text)
			}
		})
	}
}
