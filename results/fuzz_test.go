package results

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"math"
	"testing"
)

// Fuzz targets of the record decoders: whatever the bytes, a decoder
// returns ErrCorrupt or ErrVersion, or a value that encodes back to a
// record decoding to the same value; and no damaged record or row key is
// ever returned as data. Seeds are in testdata/fuzz; make fuzz runs them.

// FuzzDecodeRecord feeds the same bytes to every record decoder but rows'.
// A value decoded is encoded again and must be a fixpoint: decoding the
// new record and encoding it gives the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	ts, _ := encodeTensors(testWeights(1, 8))
	st, _ := encodeStatus(Status{State: Failed, Step: 3, Total: 9, Reason: "x", Updated: testTime, TestAcc: math.NaN()})
	ci, _ := encodeCkptInfo(CheckpointInfo{Step: 3, Time: testTime, WeightsSHA256: WeightsSHA256(nil), HasWeights: true, Bytes: 9})
	info, _ := encodeInfo(testInfo("seed"))
	for _, rec := range [][]byte{ts, st, ci, info, encodeBlobs(map[string][]byte{"rng": {1, 2}}),
		{kindTensors, recordVersion, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		f.Add(rec)
		f.Add(rec[:len(rec)-4]) // sealed again by the target
	}
	codecs := []struct {
		name  string
		round func(rec []byte) ([]byte, error) // decode, then encode
	}{
		{"tensors", func(rec []byte) ([]byte, error) { return reencode(decodeTensors, encodeTensors, rec) }},
		{"blobs", func(rec []byte) ([]byte, error) {
			return reencode(decodeBlobs, func(m map[string][]byte) ([]byte, error) { return encodeBlobs(m), nil }, rec)
		}},
		{"status", func(rec []byte) ([]byte, error) { return reencode(decodeStatus, encodeStatus, rec) }},
		{"checkpoint info", func(rec []byte) ([]byte, error) { return reencode(decodeCkptInfo, encodeCkptInfo, rec) }},
		{"info", func(rec []byte) ([]byte, error) { return reencode(decodeInfo, encodeInfo, rec) }},
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		for _, c := range codecs {
			for _, rec := range [][]byte{rec, seal(rec)} {
				checkRound(t, c.name, c.round, rec)
			}
		}
	})
}

// checkRound checks that round (decode, then encode) fails with ErrCorrupt
// or ErrVersion, or gives a record it maps to itself.
func checkRound(t *testing.T, name string, round func([]byte) ([]byte, error), rec []byte) {
	once, err := round(rec)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Fatalf("%s: error %v is neither ErrCorrupt nor ErrVersion", name, err)
		}
		return
	}
	twice, err := round(once)
	if err != nil {
		t.Fatalf("%s: decoded value encodes to a record that does not decode: %v", name, err)
	}
	if !bytes.Equal(once, twice) {
		t.Fatalf("%s: record %x decodes and encodes to %x, then to %x", name, rec, once, twice)
	}
}

// seal appends the CRC to b, so that the fuzzer reaches the payload
// decoders behind the checksum.
func seal(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(bytes.Clone(b), crc32.Checksum(b, castagnoli))
}

// reencode decodes rec and encodes the value again. An error of encode is
// returned unwrapped, so that it is neither ErrCorrupt nor ErrVersion.
func reencode[T any](decode func([]byte) (T, error), encode func(T) ([]byte, error), rec []byte) ([]byte, error) {
	v, err := decode(rec)
	if err != nil {
		return nil, err
	}
	b, err := encode(v)
	if err != nil {
		return nil, errors.New("decoded value does not encode: " + err.Error())
	}
	return b, nil
}

// FuzzDecodeRow decodes a row record under a bbolt key: an error is
// ErrCorrupt or ErrVersion; a row decoded from a current record has the
// key's step, and re-encoded at its step decodes to the same values, bit
// for bit.
func FuzzDecodeRow(f *testing.F) {
	f.Add(stepKey(10), encodeRow(10, map[string]float64{"loss": 0.5, "acc": math.NaN()}))
	f.Add(stepKey(11), encodeRow(10, map[string]float64{"loss": 0.5}))
	f.Add(stepKey(0), encodeRowV1(map[string]float64{"loss": math.Inf(1)}))
	f.Add([]byte{1, 2, 3}, []byte{kindRow, rowVersion, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		checkRow(t, k, v)
		checkRow(t, k, seal(v))
	})
}

func checkRow(t *testing.T, k, v []byte) {
	row, err := decodeRow(k, v)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Fatalf("error %v is neither ErrCorrupt nor ErrVersion", err)
		}
		return
	}
	if step, _ := keyStep(k); step != row.Step {
		t.Fatalf("row of step %d under key %x (step %d)", row.Step, k, step)
	}
	back, err := decodeRow(stepKey(row.Step), encodeRow(row.Step, row.Values))
	if err != nil {
		t.Fatalf("re-encoded row does not decode: %v", err)
	}
	if back.Step != row.Step || !maps.EqualFunc(back.Values, row.Values, sameBits64) {
		t.Fatalf("row %v re-encodes to %v", row, back)
	}
}

// FuzzRowCorruption flips one bit of a row's record, or of its bbolt key,
// and checks that decoding reports ErrCorrupt: the CRC covers the record,
// and the record's step the key.
func FuzzRowCorruption(f *testing.F) {
	f.Add(uint64(10), "loss", 0.5, uint(0), false)
	f.Add(uint64(10), "loss", 0.5, uint(63), true)
	f.Add(uint64(1)<<40, "", math.NaN(), uint(100), false)
	f.Fuzz(func(t *testing.T, step uint64, key string, val float64, bit uint, inKey bool) {
		s := int(step >> 1) // any non-negative int
		rec, k := encodeRow(s, map[string]float64{key: val}), stepKey(s)
		target := rec
		if inKey {
			target = k
		}
		target[bit/8%uint(len(target))] ^= 1 << (bit % 8)
		if row, err := decodeRow(k, rec); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipping bit %d of the %s: got %v, %v; want ErrCorrupt", bit, map[bool]string{false: "record", true: "key"}[inKey], row, err)
		}
	})
}

// encodeRowV1 makes a row record of version 1, written before rows held
// their step.
func encodeRowV1(vals map[string]float64) []byte {
	rec := encodeRow(0, vals)
	e := &encoder{b: append([]byte{kindRow, 1}, rec[3:len(rec)-4]...)} // drop the step, 0: one byte
	return e.finish()
}
