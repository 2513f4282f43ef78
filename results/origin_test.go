package results

import (
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestOriginRoundTrip: an origin written with the first checkpoint reads
// back bit for bit (NaN and -0 in the nulls included); a later PutOrigin
// replaces only the parts it gives; Verify decodes it.
func TestOriginRoundTrip(t *testing.T) {
	nulls := map[string][]float64{
		"rejoin.maxshare": {0.51, 0.52, math.Copysign(0, -1)},
		"cka.between":     {math.NaN(), 0.01},
		"empty":           {},
	}
	w0 := testWeights(0, 64)
	dir := filepath.Join(t.TempDir(), "run")
	r, err := CreateWith(dir, testInfo("o"), Commit{Checkpoint: testCheckpoint(0, 64), Origin: &Origin{Weights: w0, Nulls: nulls}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Origin()
	if err != nil {
		t.Fatal(err)
	}
	if WeightsSHA256(got.Weights) != WeightsSHA256(w0) {
		t.Errorf("origin weights differ from those committed")
	}
	if !sameBits(got.Nulls, nulls) {
		t.Errorf("origin nulls = %v, want %v bit for bit", got.Nulls, nulls)
	}

	more := map[string][]float64{"csi.rejoin.eta2": {0.1, 0.2}}
	if err := r.PutOrigin(Origin{Nulls: more}); err != nil {
		t.Fatal(err)
	}
	got, err = r.Origin()
	if err != nil {
		t.Fatal(err)
	}
	if WeightsSHA256(got.Weights) != WeightsSHA256(w0) || !sameBits(got.Nulls, more) {
		t.Errorf("after PutOrigin(nulls only): weights kept = %v, nulls = %v, want %v",
			WeightsSHA256(got.Weights) == WeightsSHA256(w0), got.Nulls, more)
	}
	if err := r.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// TestOriginAbsent: a run without an origin (made before origins were
// stored) reads an empty one, not an error; a commit without Origin leaves
// a stored one alone.
func TestOriginAbsent(t *testing.T) {
	r := newTestRun(t)
	o, err := r.Origin()
	if err != nil || o.Weights != nil || o.Nulls != nil {
		t.Fatalf("Origin() of a run without one = %+v, %v; want zero, nil", o, err)
	}
	if err := r.PutOrigin(Origin{Weights: testWeights(0, 8)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(Commit{Checkpoint: testCheckpoint(1, 8)}); err != nil {
		t.Fatal(err)
	}
	o, err = r.Origin()
	if err != nil || WeightsSHA256(o.Weights) != WeightsSHA256(testWeights(0, 8)) || o.Nulls != nil {
		t.Errorf("Origin() = %+v, %v; want the weights put and no nulls", o, err)
	}
}

// TestOriginCorrupt: a flipped byte in the nulls record is ErrCorrupt,
// from Origin and from Verify.
func TestOriginCorrupt(t *testing.T) {
	r := newTestRun(t)
	if err := r.PutOrigin(Origin{Nulls: map[string][]float64{"k": {1, 2, 3}}}); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(r.Dir(), dbName), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOrigin)
		rec := append([]byte(nil), b.Get(keyNulls)...)
		rec[5] ^= 0x40
		return b.Put(keyNulls, rec)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Origin(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Origin() of a corrupt record: err = %v, want ErrCorrupt", err)
	}
	if err := r.Verify(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify: err = %v, want ErrCorrupt", err)
	}
}

// sameBits compares two nulls maps value by value as float64 bits.
func sameBits(a, b map[string][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || len(va) != len(vb) {
			return false
		}
		bits := func(v []float64) []uint64 {
			out := make([]uint64, len(v))
			for i, x := range v {
				out[i] = math.Float64bits(x)
			}
			return out
		}
		if !reflect.DeepEqual(bits(va), bits(vb)) {
			return false
		}
	}
	return true
}
