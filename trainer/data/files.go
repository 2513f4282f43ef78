package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// readFile returns the contents of path, with errors that name the file
// once: "data: PATH: file does not exist".
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	return b, nil
}

// readMaybeGzip reads path, or path+".gz" (gunzipped) when path does not
// exist, and returns the contents and the path actually read. When neither
// exists the error names path, says that .gz was tried and wraps
// fs.ErrNotExist.
func readMaybeGzip(path string) ([]byte, string, error) {
	b, plainErr := readFile(path)
	if plainErr == nil || !isNotExist(plainErr) {
		return b, path, plainErr
	}
	gz := path + ".gz"
	b, err := readFile(gz)
	if isNotExist(err) {
		return nil, path, fmt.Errorf("%w (nor with .gz)", plainErr)
	}
	if err != nil {
		return nil, gz, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, gz, fmt.Errorf("data: %s: %w", gz, err)
	}
	out, err := io.ReadAll(zr)
	if err == nil {
		err = zr.Close()
	}
	if err != nil {
		return nil, gz, fmt.Errorf("data: %s: %w", gz, err)
	}
	return out, gz, nil
}

// byteLUT maps an 8-bit intensity b to its normalised value.
type byteLUT [256]float32

// newByteLUT returns the table of x = 2 b/255 - 1.
func newByteLUT() *byteLUT {
	var t byteLUT
	for i := range t {
		t[i] = float32(2*float64(i)/255 - 1)
	}
	return &t
}

// convert writes the normalised values of src into dst.
func (t *byteLUT) convert(dst []float32, src []byte) {
	for i, b := range src {
		dst[i] = t[b]
	}
}

// checkCount returns n, or avail when n is 0; an error when n is negative
// or above avail.
func checkCount(n, avail int, what string) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("data: %s: negative count %d", what, n)
	case n == 0:
		return avail, nil
	case n > avail:
		return 0, fmt.Errorf("data: %s: %w: %d requested, %d available", what, ErrTooFew, n, avail)
	}
	return n, nil
}

// isNotExist reports whether err says a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
