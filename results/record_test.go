package results

import (
	"bytes"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestTensorsRoundTrip(t *testing.T) {
	nan := math.Float32frombits(0x7fc00123) // a NaN with a payload
	tests := []struct {
		name string
		ts   []Tensor
	}{
		{"none", nil},
		{"scalar", []Tensor{{Name: "s", Shape: nil, Data: []float32{2.5}}}},
		{"special values", []Tensor{{Name: "x", Shape: []int{2, 3}, Data: []float32{
			0, float32(math.Copysign(0, -1)), nan, float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32,
		}}}},
		{"zero size", []Tensor{{Name: "e", Shape: []int{4, 0}, Data: []float32{}}}},
		{"several", testWeights(3, 1000)},
		{"unicode name", []Tensor{{Name: "branch.0.0.w·é", Shape: []int{1}, Data: []float32{1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := encodeTensors(tt.ts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeTensors(rec)
			if err != nil {
				t.Fatal(err)
			}
			if !sameTensors(got, tt.ts) {
				t.Errorf("round trip:\n got %v\nwant %v", got, tt.ts)
			}
		})
	}
}

func TestEncodeTensorsRejectsBadShape(t *testing.T) {
	tests := []struct {
		name string
		t    Tensor
	}{
		{"too few values", Tensor{Name: "a", Shape: []int{2, 2}, Data: make([]float32, 3)}},
		{"too many values", Tensor{Name: "a", Shape: []int{2}, Data: make([]float32, 3)}},
		{"negative dimension", Tensor{Name: "a", Shape: []int{-1, -2}, Data: make([]float32, 2)}},
		{"scalar without value", Tensor{Name: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := encodeTensors([]Tensor{tt.t}); err == nil {
				t.Errorf("encodeTensors(%v) succeeded", tt.t)
			}
		})
	}
}

func TestRowRoundTrip(t *testing.T) {
	vals := map[string]float64{
		"loss": 0.25, "nan": math.NaN(), "+inf": math.Inf(1), "-inf": math.Inf(-1),
		"neg0": math.Copysign(0, -1), "tiny": math.SmallestNonzeroFloat64, "": 1,
	}
	row, err := decodeRow(stepKey(42), encodeRow(42, vals))
	if err != nil {
		t.Fatal(err)
	}
	if row.Step != 42 || len(row.Values) != len(vals) {
		t.Fatalf("decoded %v, want step 42 and %d values", row, len(vals))
	}
	for k, v := range vals {
		if !sameBits64(row.Values[k], v) {
			t.Errorf("value %q = %v, want %v", k, row.Values[k], v)
		}
	}
}

func TestBlobsRoundTrip(t *testing.T) {
	tests := []map[string][]byte{
		nil,
		{"rng": {0, 1, 2, 255}, "empty": {}, "cursor": []byte("epoch=3 index=17")},
	}
	for _, m := range tests {
		got, err := decodeBlobs(encodeBlobs(m))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(got, m, bytes.Equal) {
			t.Errorf("round trip of %v gave %v", m, got)
		}
	}
}

func TestStatusRoundTrip(t *testing.T) {
	tests := []Status{
		{State: Running},
		{State: Failed, Step: 10, Total: 100, Reason: "loss is NaN", Updated: testTime, TestAcc: math.NaN()},
		{State: Done, Step: 100, Total: 100, Updated: testTime.In(time.FixedZone("CET", 3600)), TestAcc: 0.875},
	}
	for _, s := range tests {
		rec, err := encodeStatus(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeStatus(rec)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != s.State || got.Step != s.Step || got.Total != s.Total || got.Reason != s.Reason ||
			!got.Updated.Equal(s.Updated) || !sameBits64(got.TestAcc, s.TestAcc) {
			t.Errorf("round trip of %+v gave %+v", s, got)
		}
	}
	if _, err := encodeStatus(Status{State: "paused"}); err == nil {
		t.Error("encodeStatus accepted an unknown state")
	}
}

// TestRecordDetectsEveryFlip flips each bit of small records in turn and
// checks that decoding reports ErrCorrupt (or ErrVersion for the version
// byte) instead of returning data.
func TestRecordDetectsEveryFlip(t *testing.T) {
	ts, err := encodeTensors([]Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := encodeCkptInfo(CheckpointInfo{Step: 3, Time: testTime, WeightsSHA256: WeightsSHA256(nil), HasWeights: true, Bytes: 9})
	if err != nil {
		t.Fatal(err)
	}
	recs := []struct {
		name   string
		rec    []byte
		decode func([]byte) error
	}{
		{"tensors", ts, func(b []byte) error { _, err := decodeTensors(b); return err }},
		{"row", encodeRow(1, map[string]float64{"acc": 0.5}), func(b []byte) error { _, err := decodeRow(stepKey(1), b); return err }},
		{"blobs", encodeBlobs(map[string][]byte{"k": {1}}), func(b []byte) error { _, err := decodeBlobs(b); return err }},
		{"ckpt info", info, func(b []byte) error { _, err := decodeCkptInfo(b); return err }},
	}
	for _, r := range recs {
		t.Run(r.name, func(t *testing.T) {
			for i := range 8 * len(r.rec) {
				b := bytes.Clone(r.rec)
				b[i/8] ^= 1 << (i % 8)
				if err := r.decode(b); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("flipping bit %d: err = %v, want ErrCorrupt", i, err)
				}
			}
		})
	}
}

// TestDecodeGarbage feeds random bytes with a valid CRC to the decoders:
// they must return errors, not panic or allocate without bound.
func TestDecodeGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		for _, kind := range []byte{kindTensors, kindRow, kindBlobs, kindCkptInfo, kindStatus} {
			e := newEncoder(kind, 64)
			for range rng.IntN(40) {
				e.b = append(e.b, byte(rng.Uint32()))
			}
			rec := e.finish()
			var err error
			switch kind {
			case kindTensors:
				_, err = decodeTensors(rec)
			case kindRow:
				_, err = decodeRow(stepKey(i), rec)
			case kindBlobs:
				_, err = decodeBlobs(rec)
			case kindCkptInfo:
				_, err = decodeCkptInfo(rec)
			case kindStatus:
				_, err = decodeStatus(rec)
			}
			// Most payloads fail; the few that decode are fine.
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("kind %d, payload %x: err = %v, want ErrCorrupt", kind, rec, err)
			}
		}
	}
}
