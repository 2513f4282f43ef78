package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

const magic = "\x93NUMPY"

// Write writes data of the given shape as a little-endian float32 array.
func Write(w io.Writer, shape []int, data []float32) error {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("npy: shape %v holds %d values, got %d", shape, n, len(data))
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", tuple)
	total := len(magic) + 2 + 2 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	bw := bufio.NewWriter(w)
	bw.WriteString(magic)
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(len(header)))
	bw.WriteString(header)
	var buf [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
		bw.Write(buf[:])
	}
	return bw.Flush()
}

var shapeRE = regexp.MustCompile(`'shape':\s*\(([0-9,\s]*)\)`)

// Read reads a little-endian float32 C-order array written by Write or by
// numpy.save.
func Read(r io.Reader) (shape []int, data []float32, err error) {
	br := bufio.NewReader(r)
	head := make([]byte, len(magic)+4)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, nil, fmt.Errorf("npy: header: %w", err)
	}
	if string(head[:len(magic)]) != magic || head[len(magic)] != 1 {
		return nil, nil, errors.New("npy: not a version 1 .npy file")
	}
	hdr := make([]byte, binary.LittleEndian.Uint16(head[len(magic)+2:]))
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, nil, fmt.Errorf("npy: header: %w", err)
	}
	h := string(hdr)
	if !strings.Contains(h, "'descr': '<f4'") || !strings.Contains(h, "'fortran_order': False") {
		return nil, nil, fmt.Errorf("npy: unsupported array %s, want little-endian float32 in C order", strings.TrimSpace(h))
	}
	m := shapeRE.FindStringSubmatch(h)
	if m == nil {
		return nil, nil, fmt.Errorf("npy: no shape in header %s", strings.TrimSpace(h))
	}
	n := 1
	for _, f := range strings.Split(m[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil {
			return nil, nil, fmt.Errorf("npy: shape %q: %w", m[1], err)
		}
		shape = append(shape, d)
		n *= d
	}
	data = make([]float32, n)
	if err := binary.Read(br, binary.LittleEndian, data); err != nil {
		return nil, nil, fmt.Errorf("npy: data: %w", err)
	}
	return shape, data, nil
}
