package results

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"time"
)

// Record kinds: the first byte of every stored value.
const (
	kindInfo     byte = 1
	kindStatus   byte = 2
	kindRow      byte = 3
	kindTensors  byte = 4
	kindBlobs    byte = 5
	kindCkptInfo byte = 6
	kindKernels  byte = 7
)

// recordVersion is the payload version written for every kind but rows
// and the status.
const recordVersion byte = 1

// statusVersion is the payload version of the status: version 2 stores NaN
// for a test accuracy not measured, where version 1 stored 0 (read back as
// NaN).
const statusVersion byte = 2

// rowVersion is the payload version of rows: version 2 holds the row's step,
// so that the CRC covers it and a damaged bbolt key is detected; version 1
// (written before) lacks it and is still read.
const rowVersion byte = 2

// version returns the payload version written for kind, the highest that
// openRecord accepts for it.
func version(kind byte) byte {
	switch kind {
	case kindRow:
		return rowVersion
	case kindStatus:
		return statusVersion
	}
	return recordVersion
}

// recordOverhead is the kind and version bytes plus the CRC.
const recordOverhead = 2 + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encoder appends a record payload to b.
type encoder struct{ b []byte }

func newEncoder(kind byte, sizeHint int) *encoder {
	e := &encoder{b: make([]byte, 0, sizeHint+recordOverhead)}
	e.b = append(e.b, kind, version(kind))
	return e
}

// finish appends the CRC and returns the record.
func (e *encoder) finish() []byte {
	return binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli))
}

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) f64(v float64)    { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) raw(p []byte)     { e.b = append(e.b, p...) }

func (e *encoder) bytes(p []byte) {
	e.uvarint(uint64(len(p)))
	e.b = append(e.b, p...)
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) time(t time.Time) error {
	p, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	e.bytes(p)
	return nil
}

func (e *encoder) f32s(v []float32) {
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(x))
	}
}

// decoder reads a record payload. The first error sticks: later reads
// return zero values and err reports the first failure.
type decoder struct {
	b       []byte
	version byte // the record's payload version, 1..version(kind)
	err     error
}

// openRecord checks the CRC, kind and version of rec and returns a decoder
// over its payload. The payload aliases rec. Versions 1 to version(kind)
// are accepted; the caller reads the payload its version defines.
func openRecord(rec []byte, kind byte) (*decoder, error) {
	if len(rec) < recordOverhead {
		return nil, fmt.Errorf("%w: record of %d bytes is too short", ErrCorrupt, len(rec))
	}
	body, sum := rec[:len(rec)-4], binary.LittleEndian.Uint32(rec[len(rec)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return nil, fmt.Errorf("%w: record checksum %08x, want %08x", ErrCorrupt, got, sum)
	}
	if body[0] != kind {
		return nil, fmt.Errorf("%w: record kind %d, want %d", ErrCorrupt, body[0], kind)
	}
	if body[1] < 1 || body[1] > version(kind) {
		return nil, fmt.Errorf("%w: record kind %d has version %d, want 1..%d", ErrVersion, kind, body[1], version(kind))
	}
	return &decoder{b: body[2:], version: body[1]}, nil
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

// done reports the first error, or an error if bytes are left over.
func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes in record", len(d.b))
	}
	return d.err
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count or length and checks that at least count*unit bytes
// remain, so a corrupt count cannot cause a huge allocation.
func (d *decoder) count(unit int) int {
	v := d.uvarint()
	if d.err == nil && v > uint64(len(d.b)/max(unit, 1)) {
		d.fail("count %d exceeds the %d bytes left", v, len(d.b))
		return 0
	}
	return int(v)
}

func (d *decoder) next(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("need %d bytes, have %d", n, len(d.b))
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) bytes() []byte { return slices.Clone(d.next(d.count(1))) }
func (d *decoder) str() string   { return string(d.next(d.count(1))) }

func (d *decoder) f64() float64 {
	p := d.next(8)
	if p == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p))
}

func (d *decoder) time() time.Time {
	var t time.Time
	p := d.next(d.count(1))
	if d.err == nil {
		if err := t.UnmarshalBinary(p); err != nil {
			d.fail("time: %v", err)
		}
	}
	return t
}

func (d *decoder) f32s(n int) []float32 {
	p := d.next(4 * n)
	if p == nil {
		return nil
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	return v
}
