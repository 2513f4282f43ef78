package data

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strconv"
)

// IDX magic numbers (LeCun et al., "The MNIST database of handwritten
// digits"): two zero bytes, the element type (0x08 unsigned byte) and the
// number of dimensions.
const (
	idxImageMagic = 0x00000803
	idxLabelMagic = 0x00000801
)

// IDXClasses is the number of classes LoadIDX accepts: labels must lie in
// [0, IDXClasses).
const IDXClasses = 10

// idxFile is the parsed content of one IDX file of unsigned bytes.
type idxFile struct {
	path string
	dims []int  // after the item count: rows, cols for images; none for labels
	n    int    // number of items
	body []byte // n * prod(dims) bytes
}

// readIDX reads the IDX file path (or path.gz) with the given magic number
// and number of dimensions (including the item count).
func readIDX(path string, magic uint32, ndim int) (*idxFile, error) {
	b, used, err := readMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*idxFile, error) { return nil, fmt.Errorf("data: %s: %w", used, err) }
	head := 4 * (1 + ndim)
	if len(b) < 4 {
		return fail(fmt.Errorf("%w: %d bytes, no IDX header", ErrTruncated, len(b)))
	}
	if got := binary.BigEndian.Uint32(b); got != magic {
		return fail(fmt.Errorf("%w: got 0x%08x, want 0x%08x", ErrBadMagic, got, magic))
	}
	if len(b) < head {
		return fail(fmt.Errorf("%w: %d bytes, header needs %d", ErrTruncated, len(b), head))
	}
	f := &idxFile{path: used, n: int(binary.BigEndian.Uint32(b[4:]))}
	size := f.n
	for i := 1; i < ndim; i++ {
		d := int(binary.BigEndian.Uint32(b[4+4*i:]))
		f.dims = append(f.dims, d)
		size *= d
	}
	switch body := len(b) - head; {
	case body < size:
		return fail(fmt.Errorf("%w: header declares %d items of %v (%d bytes), file holds %d", ErrTruncated, f.n, f.dims, size, body))
	case body > size:
		return fail(fmt.Errorf("%w: header declares %d bytes, file holds %d", ErrTrailingData, size, body))
	}
	f.body = b[head:]
	return f, nil
}

// LoadIDX reads an MNIST-family set from dir: train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each optionally gzipped with a .gz suffix (the
// plain file is preferred when both exist). It returns 1-channel sets of
// the first nTrain and nTest examples; n = 0 means all. Labels must be below
// IDXClasses; class names are the label digits.
//
// Errors name the file at fault and wrap fs.ErrNotExist, ErrTruncated,
// ErrTrailingData, ErrBadMagic, ErrLabelRange, ErrCountMismatch, ErrShape,
// ErrTooFew or the gzip error.
func LoadIDX(dir string, nTrain, nTest int) (train, test *Set, err error) {
	train, err = loadIDXSplit(dir, "train", nTrain)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadIDXSplit(dir, "t10k", nTest)
	if err != nil {
		return nil, nil, err
	}
	if test.H != train.H || test.W != train.W {
		return nil, nil, fmt.Errorf("data: %s: %w: test %dx%d, train %dx%d",
			filepath.Join(dir, "t10k-images-idx3-ubyte"), ErrShape, test.H, test.W, train.H, train.W)
	}
	return train, test, nil
}

// loadIDXSplit reads PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte.
func loadIDXSplit(dir, prefix string, n int) (*Set, error) {
	im, err := readIDX(filepath.Join(dir, prefix+"-images-idx3-ubyte"), idxImageMagic, 3)
	if err != nil {
		return nil, err
	}
	lb, err := readIDX(filepath.Join(dir, prefix+"-labels-idx1-ubyte"), idxLabelMagic, 1)
	if err != nil {
		return nil, err
	}
	if im.n != lb.n {
		return nil, fmt.Errorf("data: %s: %w: %d labels, %s holds %d images", lb.path, ErrCountMismatch, lb.n, im.path, im.n)
	}
	n, err = checkCount(n, im.n, im.path)
	if err != nil {
		return nil, err
	}
	h, w := im.dims[0], im.dims[1]
	s := &Set{C: 1, H: h, W: w, Classes: IDXClasses, X: make([]float32, n*h*w), Y: make([]int32, n)}
	for i := range IDXClasses {
		s.ClassNames = append(s.ClassNames, strconv.Itoa(i))
	}
	for i, l := range lb.body[:n] {
		if int(l) >= IDXClasses {
			return nil, fmt.Errorf("data: %s: %w: label %d of item %d, want < %d", lb.path, ErrLabelRange, l, i, IDXClasses)
		}
		s.Y[i] = int32(l)
	}
	newByteLUT().convert(s.X, im.body[:n*h*w])
	return s, nil
}
