package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes encodes an IDX file of unsigned bytes with the given magic,
// dimensions and body.
func idxBytes(magic uint32, dims []int, body []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(body)
	return b.Bytes()
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// idxFixture is a small IDX set: n 3x2 images whose pixel j of item i is
// (i*6 + j*40) mod 256, and labels i mod 10.
type idxFixture struct {
	nTrain, nTest int
	files         map[string][]byte
}

func newIDXFixture(nTrain, nTest int) idxFixture {
	f := idxFixture{nTrain, nTest, map[string][]byte{}}
	for _, sp := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		var im, lb []byte
		for i := range sp.n {
			for j := range 6 {
				im = append(im, byte(i*6+j*40))
			}
			lb = append(lb, byte(i%10))
		}
		f.files[sp.prefix+"-images-idx3-ubyte"] = idxBytes(idxImageMagic, []int{sp.n, 3, 2}, im)
		f.files[sp.prefix+"-labels-idx1-ubyte"] = idxBytes(idxLabelMagic, []int{sp.n}, lb)
	}
	return f
}

// write stores the fixture in a new directory, gzipping the files named in
// gz (with a .gz suffix), and returns the directory.
func (f idxFixture) write(t *testing.T, gz ...string) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range f.files {
		path := filepath.Join(dir, name)
		for _, g := range gz {
			if g == name {
				b, path = gzipBytes(t, b), path+".gz"
			}
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadIDX(t *testing.T) {
	f := newIDXFixture(12, 5)
	all := []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
	for _, c := range []struct {
		name          string
		gz            []string
		nTrain, nTest int
		wantTrain     int
		wantTest      int
	}{
		{"raw", nil, 0, 0, 12, 5},
		{"gzip", all, 0, 0, 12, 5},
		{"mixed", all[1:3], 0, 0, 12, 5},
		{"head", all, 7, 2, 7, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			train, test, err := LoadIDX(f.write(t, c.gz...), c.nTrain, c.nTest)
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range []struct {
				s *Set
				n int
			}{{train, c.wantTrain}, {test, c.wantTest}} {
				s := sc.s
				if s.Len() != sc.n || s.C != 1 || s.H != 3 || s.W != 2 || s.Classes != 10 || len(s.ClassNames) != 10 {
					t.Fatalf("len %d C %d H %d W %d classes %d", s.Len(), s.C, s.H, s.W, s.Classes)
				}
				for i := range s.Len() {
					if s.Y[i] != int32(i%10) {
						t.Errorf("Y[%d] = %d", i, s.Y[i])
					}
					for j, v := range s.Image(i) {
						p := byte(i*6 + j*40)
						if want := float32(2*float64(p)/255 - 1); v != want {
							t.Errorf("item %d pixel %d = %v, want %v", i, j, v, want)
						}
					}
				}
			}
		})
	}
}

// TestLoadIDXNormalisation checks the end points of x = 2p - 1.
func TestLoadIDXNormalisation(t *testing.T) {
	f := newIDXFixture(1, 1)
	f.files["train-images-idx3-ubyte"] = idxBytes(idxImageMagic, []int{1, 1, 3}, []byte{0, 255, 51})
	f.files["t10k-images-idx3-ubyte"] = idxBytes(idxImageMagic, []int{1, 1, 3}, []byte{0, 0, 0})
	train, _, err := LoadIDX(f.write(t), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-7 // float32 rounding of 2*51/255 - 1 = -0.6
	if x := train.X; x[0] != -1 || x[1] != 1 || x[2] < -0.6-tol || x[2] > -0.6+tol {
		t.Errorf("X = %v, want [-1 1 -0.6]", x)
	}
}

func TestLoadIDXErrors(t *testing.T) {
	type mutate func(f idxFixture, dir string)
	set := func(name string, b []byte) func(f idxFixture) { return func(f idxFixture) { f.files[name] = b } }
	goodImages := func(n int) []byte { return idxBytes(idxImageMagic, []int{n, 3, 2}, make([]byte, 6*n)) }
	for _, c := range []struct {
		name   string
		edit   func(f idxFixture)
		gz     []string
		after  func(t *testing.T, dir string)
		file   string // the file the error must name
		target error
		text   string // substring of the message
	}{
		{"missing", func(f idxFixture) { delete(f.files, "t10k-labels-idx1-ubyte") }, nil, nil,
			"t10k-labels-idx1-ubyte", fs.ErrNotExist, "no such file or directory (nor with .gz)"},
		{"magic images", set("train-images-idx3-ubyte", idxBytes(idxLabelMagic, []int{4, 3, 2}, make([]byte, 24))), nil, nil,
			"train-images-idx3-ubyte", ErrBadMagic, "got 0x00000801, want 0x00000803"},
		{"magic labels", set("train-labels-idx1-ubyte", idxBytes(0x00000803, []int{4}, make([]byte, 4))), nil, nil,
			"train-labels-idx1-ubyte", ErrBadMagic, "got 0x00000803, want 0x00000801"},
		{"short header", set("train-images-idx3-ubyte", idxBytes(idxImageMagic, []int{4, 3}, nil)), nil, nil,
			"train-images-idx3-ubyte", ErrTruncated, "header needs 16"},
		{"empty", set("train-labels-idx1-ubyte", nil), nil, nil,
			"train-labels-idx1-ubyte", ErrTruncated, "no IDX header"},
		{"truncated images", set("train-images-idx3-ubyte", goodImages(12)[:16+6*11+3]), nil, nil,
			"train-images-idx3-ubyte", ErrTruncated, "header declares 12 items"},
		{"truncated labels gz", set("t10k-labels-idx1-ubyte", idxBytes(idxLabelMagic, []int{5}, []byte{1, 2})),
			[]string{"t10k-labels-idx1-ubyte"}, nil, "t10k-labels-idx1-ubyte.gz", ErrTruncated, ""},
		{"trailing", set("train-labels-idx1-ubyte", idxBytes(idxLabelMagic, []int{12}, make([]byte, 13))), nil, nil,
			"train-labels-idx1-ubyte", ErrTrailingData, ""},
		{"label range", set("train-labels-idx1-ubyte", idxBytes(idxLabelMagic, []int{12}, append(make([]byte, 11), 10))), nil, nil,
			"train-labels-idx1-ubyte", ErrLabelRange, "label 10 of item 11"},
		{"count mismatch", set("t10k-images-idx3-ubyte", goodImages(6)), nil, nil,
			"t10k-labels-idx1-ubyte", ErrCountMismatch, "5 labels"},
		{"shape", set("t10k-images-idx3-ubyte", idxBytes(idxImageMagic, []int{5, 2, 3}, make([]byte, 30))), nil, nil,
			"t10k-images-idx3-ubyte", ErrShape, "test 2x3, train 3x2"},
		{"gzip corrupt", nil, []string{"train-images-idx3-ubyte"}, func(t *testing.T, dir string) {
			path := filepath.Join(dir, "train-images-idx3-ubyte.gz")
			b, _ := os.ReadFile(path)
			b[len(b)-6] ^= 0xff // inside the CRC-32 trailer
			os.WriteFile(path, b, 0o644)
		}, "train-images-idx3-ubyte.gz", gzip.ErrChecksum, ""},
		{"gzip header", nil, []string{"train-labels-idx1-ubyte"}, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), []byte("not gzip at all"), 0o644)
		}, "train-labels-idx1-ubyte.gz", gzip.ErrHeader, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newIDXFixture(12, 5)
			if c.edit != nil {
				c.edit(f)
			}
			dir := f.write(t, c.gz...)
			if c.after != nil {
				c.after(t, dir)
			}
			_, _, err := LoadIDX(dir, 0, 0)
			if !errors.Is(err, c.target) {
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

// TestLoadIDXErrorText pins one rendered message verbatim.
func TestLoadIDXErrorText(t *testing.T) {
	f := newIDXFixture(12, 5)
	f.files["train-images-idx3-ubyte"] = idxBytes(0x00000802, []int{12, 3, 2}, make([]byte, 72))
	dir := f.write(t)
	_, _, err := LoadIDX(dir, 0, 0)
	want := "data: " + dir + "/train-images-idx3-ubyte: wrong IDX magic number: got 0x00000802, want 0x00000803"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}

func TestLoadIDXCounts(t *testing.T) {
	dir := newIDXFixture(12, 5).write(t)
	for _, c := range []struct {
		nTrain, nTest int
		target        error
	}{{13, 0, ErrTooFew}, {0, 6, ErrTooFew}, {-1, 0, nil}} {
		_, _, err := LoadIDX(dir, c.nTrain, c.nTest)
		if err == nil || (c.target != nil && !errors.Is(err, c.target)) {
			t.Errorf("LoadIDX(%d, %d): err = %v, want %v", c.nTrain, c.nTest, err, c.target)
		}
	}
}

// TestLoadFashionMNIST reads the Debian package dataset-fashion-mnist when
// it is installed (files train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
// t10k-labels-idx1-ubyte.gz; Xiao, Rasul & Vollgraf 2017: 60000 + 10000
// 28x28 images, 6000 and 1000 per class).
func TestLoadFashionMNIST(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not installed (apt-get install dataset-fashion-mnist)", dir)
	}
	if testing.Short() {
		t.Skip("decompresses 30 MB")
	}
	train, test, err := LoadIDX(dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s      *Set
		n, per int
	}{{train, 60000, 6000}, {test, 10000, 1000}} {
		if c.s.Len() != c.n || c.s.H != 28 || c.s.W != 28 || c.s.C != 1 {
			t.Fatalf("len %d, %dx%dx%d", c.s.Len(), c.s.C, c.s.H, c.s.W)
		}
		counts := make([]int, 10)
		for _, y := range c.s.Y {
			counts[y]++
		}
		for k, n := range counts {
			if n != c.per {
				t.Errorf("class %d: %d examples, want %d", k, n, c.per)
			}
		}
		lo, hi := c.s.X[0], c.s.X[0]
		for _, v := range c.s.X {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != -1 || hi != 1 {
			t.Errorf("values in [%v, %v], want [-1, 1]", lo, hi)
		}
	}
}
