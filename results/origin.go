package results

import (
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Origin is what a run's training is measured against. It is written with
// the run's first checkpoint (Commit.Origin), or later by PutOrigin for a
// run created before origins were stored, and read back unchanged by every
// resume and analysis, so that values measured against it are the same
// bits however often they are recomputed.
type Origin struct {
	// Weights are the weights the run started training from at
	// initialisation, w_0 (tensors in the order and layout of a
	// checkpoint's weights). nil when not stored.
	Weights []Tensor
	// Nulls holds, per metric key, a sample of the metric's null
	// distribution (for example its values over fresh initialisations of
	// the same architecture). The values are stored bit for bit, NaN
	// included; what they mean is the caller's. nil when not stored.
	Nulls map[string][]float64
}

// kindNulls is the record kind of Origin.Nulls.
const kindNulls byte = 7

// Bucket and keys of the origin; see the package documentation.
var (
	bucketOrigin = []byte("origin")
	keyNulls     = []byte("nulls")
)

// Origin returns the run's stored origin: Weights and Nulls are nil when
// they were never stored (a run made before origins existed).
func (r *Run) Origin() (Origin, error) {
	var o Origin
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		o, err = readOrigin(tx.Bucket(bucketOrigin))
		return err
	})
	if err != nil {
		return Origin{}, fmt.Errorf("results: origin %s: %w", r.path, err)
	}
	return o, nil
}

// PutOrigin stores o's non-nil parts, replacing those stored, in one
// transaction (see Commit.Origin).
func (r *Run) PutOrigin(o Origin) error {
	return r.commit("put origin", Commit{Origin: &o})
}

// encodedOrigin is an origin's records (nil for a part not given).
type encodedOrigin struct {
	weights, nulls []byte
}

func encodeOrigin(o *Origin) (*encodedOrigin, error) {
	if o == nil {
		return nil, nil
	}
	eo := &encodedOrigin{}
	if o.Weights != nil {
		w, err := encodeTensors(o.Weights)
		if err != nil {
			return nil, fmt.Errorf("origin weights: %w", err)
		}
		eo.weights = w
	}
	if o.Nulls != nil {
		eo.nulls = encodeNulls(o.Nulls)
	}
	return eo, nil
}

// put writes the origin's records in tx; a nil eo writes nothing.
func (eo *encodedOrigin) put(tx *bolt.Tx) error {
	if eo == nil {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketOrigin)
	if err != nil {
		return err
	}
	if eo.weights != nil {
		if err := b.Put(keyWeights, eo.weights); err != nil {
			return err
		}
	}
	if eo.nulls != nil {
		return b.Put(keyNulls, eo.nulls)
	}
	return nil
}

// readOrigin decodes the origin bucket b (which may be nil).
func readOrigin(b *bolt.Bucket) (Origin, error) {
	var o Origin
	if b == nil {
		return o, nil
	}
	var err error
	if rec := b.Get(keyWeights); rec != nil {
		if o.Weights, err = decodeTensors(rec); err != nil {
			return Origin{}, fmt.Errorf("origin weights: %w", err)
		}
		if o.Weights == nil {
			o.Weights = []Tensor{}
		}
	}
	if rec := b.Get(keyNulls); rec != nil {
		if o.Nulls, err = decodeNulls(rec); err != nil {
			return Origin{}, fmt.Errorf("origin nulls: %w", err)
		}
	}
	return o, nil
}

// encodeNulls encodes a nulls record: n, then n × (key string, m, m ×
// float64 bits), keys ascending.
func encodeNulls(m map[string][]float64) []byte {
	size := 8
	for k, v := range m {
		size += 16 + len(k) + 8*len(v)
	}
	e := newEncoder(kindNulls, size)
	e.uvarint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.str(k)
		e.uvarint(uint64(len(m[k])))
		for _, v := range m[k] {
			e.f64(v)
		}
	}
	return e.finish()
}

func decodeNulls(rec []byte) (map[string][]float64, error) {
	d, err := openRecord(rec, kindNulls)
	if err != nil {
		return nil, err
	}
	n := d.count(2)
	m := make(map[string][]float64, n)
	for range n {
		k := d.str()
		vals := make([]float64, d.count(8))
		for i := range vals {
			vals[i] = d.f64()
		}
		if _, dup := m[k]; dup {
			d.fail("key %q twice", k)
		}
		m[k] = vals
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return m, nil
}

// verifyOrigin decodes the origin's records, if any.
func verifyOrigin(tx *bolt.Tx) error {
	_, err := readOrigin(tx.Bucket(bucketOrigin))
	return err
}
