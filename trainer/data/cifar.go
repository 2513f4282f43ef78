package data

import (
	"fmt"
	"path/filepath"
	"strings"
)

// CIFAR-10 binary format (Krizhevsky, "Learning multiple layers of features
// from tiny images", 2009; https://www.cs.toronto.edu/~kriz/cifar.html):
// each record is one label byte then 1024 red, 1024 green and 1024 blue
// bytes of a 32x32 image in row-major order.
const (
	cifarSide    = 32
	cifarClasses = 10
	cifarImage   = 3 * cifarSide * cifarSide
	cifarRecord  = 1 + cifarImage
)

// LoadCIFAR10 reads CIFAR-10 from dir in its binary version: the first
// nTrain records of data_batch_1.bin .. data_batch_5.bin (read in order,
// only as many files as needed) and the first nTest of test_batch.bin;
// n = 0 means all. Class names come from batches.meta.txt (one per line)
// when it exists, else the standard CIFAR-10 names.
//
// Errors name the file at fault and wrap fs.ErrNotExist, ErrTruncated (size
// not a multiple of the 3073-byte record), ErrLabelRange or ErrTooFew.
func LoadCIFAR10(dir string, nTrain, nTest int) (train, test *Set, err error) {
	names, err := cifarNames(dir)
	if err != nil {
		return nil, nil, err
	}
	var batches []string
	for i := 1; i <= 5; i++ {
		batches = append(batches, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i)))
	}
	if train, err = loadCIFARFiles(batches, nTrain, names); err != nil {
		return nil, nil, err
	}
	if test, err = loadCIFARFiles([]string{filepath.Join(dir, "test_batch.bin")}, nTest, names); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// cifarNames returns the class names from dir/batches.meta.txt, or the
// standard ones when the file does not exist.
func cifarNames(dir string) ([]string, error) {
	path := filepath.Join(dir, "batches.meta.txt")
	b, err := readFile(path)
	if err != nil {
		if isNotExist(err) {
			return []string{"airplane", "automobile", "bird", "cat", "deer",
				"dog", "frog", "horse", "ship", "truck"}, nil
		}
		return nil, err
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" {
			names = append(names, line)
		}
	}
	if len(names) != cifarClasses {
		return nil, fmt.Errorf("data: %s: %d class names, want %d", path, len(names), cifarClasses)
	}
	return names, nil
}

// loadCIFARFiles reads the first n records (0: all) from the files in
// order, opening only as many as it needs.
func loadCIFARFiles(paths []string, n int, names []string) (*Set, error) {
	s := &Set{C: 3, H: cifarSide, W: cifarSide, Classes: cifarClasses, ClassNames: names}
	var last string
	for _, path := range paths {
		if n > 0 && s.Len() >= n {
			break
		}
		b, err := readFile(path)
		if err != nil {
			return nil, err
		}
		last = path
		if len(b)%cifarRecord != 0 {
			return nil, fmt.Errorf("data: %s: %w: %d bytes is not a multiple of the %d-byte record",
				path, ErrTruncated, len(b), cifarRecord)
		}
		take := len(b) / cifarRecord
		if n > 0 {
			take = min(take, n-s.Len())
		}
		if err := s.appendCIFAR(b[:take*cifarRecord], path); err != nil {
			return nil, err
		}
	}
	if n > 0 && s.Len() < n {
		return nil, fmt.Errorf("data: %s: %w: %d requested, %d in %d files", last, ErrTooFew, n, s.Len(), len(paths))
	}
	return s, nil
}

// appendCIFAR appends the records in b, read from path, to s.
func (s *Set) appendCIFAR(b []byte, path string) error {
	k := len(b) / cifarRecord
	base, lut := len(s.X), newByteLUT()
	s.X = append(s.X, make([]float32, k*cifarImage)...)
	for i := range k {
		rec := b[i*cifarRecord : (i+1)*cifarRecord]
		if rec[0] >= cifarClasses {
			return fmt.Errorf("data: %s: %w: label %d of record %d, want < %d", path, ErrLabelRange, rec[0], i, cifarClasses)
		}
		s.Y = append(s.Y, int32(rec[0]))
		lut.convert(s.X[base+i*cifarImage:base+(i+1)*cifarImage], rec[1:])
	}
	return nil
}
