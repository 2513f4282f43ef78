package results

import (
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Row is the metrics logged at one step, by key. Values may be NaN or ±Inf;
// they are stored bit for bit.
type Row struct {
	Step   int
	Values map[string]float64
}

// Rows returns the training-time metric rows in ascending step order.
func (r *Run) Rows() ([]Row, error) {
	var rows []Row
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		rows, err = readRows(tx.Bucket(bucketRows))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("results: rows %s: %w", r.path, err)
	}
	return rows, nil
}

// Series returns the steps at which the training-time metric key was
// logged, ascending, and its values there.
func (r *Run) Series(key string) (steps []int, vals []float64, err error) {
	rows, err := r.Rows()
	if err != nil {
		return nil, nil, err
	}
	for _, row := range rows {
		if v, ok := row.Values[key]; ok {
			steps = append(steps, row.Step)
			vals = append(vals, v)
		}
	}
	return steps, vals, nil
}

// Keys returns the training-time metric keys present in any row, sorted.
func (r *Run) Keys() ([]string, error) {
	rows, err := r.Rows()
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool)
	for _, row := range rows {
		for k := range row.Values {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// PutAnalysis records metrics computed after training, at step, by the
// program version version (which must not be empty). They are kept apart
// from the training-time rows, one series per version, and merged into an
// existing row for the same version and step (new values win).
func (r *Run) PutAnalysis(step int, version string, values map[string]float64) error {
	err := checkStep(step)
	if err == nil && version == "" {
		err = fmt.Errorf("empty analysis version")
	}
	if err == nil {
		err = update(r.path, r.timeout, func(tx *bolt.Tx) error {
			all, err := tx.CreateBucketIfNotExists(bucketAnalysis)
			if err != nil {
				return err
			}
			b, err := all.CreateBucketIfNotExists([]byte(version))
			if err != nil {
				return err
			}
			return mergeRow(b, Row{Step: step, Values: values})
		})
	}
	if err != nil {
		return fmt.Errorf("results: put analysis %s: %w", r.path, err)
	}
	return nil
}

// Analysis returns the rows recorded by PutAnalysis for version, in
// ascending step order; none if that version recorded nothing.
func (r *Run) Analysis(version string) ([]Row, error) {
	var rows []Row
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		if all := tx.Bucket(bucketAnalysis); all != nil {
			rows, err = readRows(all.Bucket([]byte(version)))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("results: analysis %s: %w", r.path, err)
	}
	return rows, nil
}

// AnalysisVersions returns the program versions that recorded analysis
// rows, sorted.
func (r *Run) AnalysisVersions() ([]string, error) {
	var vs []string
	err := view(r.path, r.timeout, func(tx *bolt.Tx) error {
		all := tx.Bucket(bucketAnalysis)
		if all == nil {
			return nil
		}
		return all.ForEachBucket(func(k []byte) error {
			vs = append(vs, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("results: analysis versions %s: %w", r.path, err)
	}
	return vs, nil
}

func checkStep(step int) error {
	if step < 0 {
		return fmt.Errorf("negative step %d", step)
	}
	return nil
}

// readRows decodes every row of b (which may be nil) in key order and
// checks that the steps ascend, so that a reader gets verified rows or an
// error, never rows under a damaged key (see decodeRow).
func readRows(b *bolt.Bucket) ([]Row, error) {
	if b == nil {
		return nil, nil
	}
	var rows []Row
	err := b.ForEach(func(k, v []byte) error {
		row, err := decodeRow(k, v)
		if err == nil && len(rows) > 0 {
			err = checkOrder(rows[len(rows)-1].Step, row.Step)
		}
		rows = append(rows, row)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// checkOrder reports a row key that does not follow the previous one:
// bbolt keeps keys sorted, so only damage to a key can cause it.
func checkOrder(prev, step int) error {
	if step <= prev {
		return fmt.Errorf("row key %d: %w: follows key %d; row keys must ascend", step, ErrCorrupt, prev)
	}
	return nil
}

// lastRow returns the row with the highest step in b, or the zero Row. It
// checks the row's key against the one before it.
func lastRow(b *bolt.Bucket) (Row, error) {
	if b == nil {
		return Row{}, nil
	}
	c := b.Cursor()
	k, v := c.Last()
	if k == nil {
		return Row{}, nil
	}
	row, err := decodeRow(k, v)
	if err != nil {
		return Row{}, err
	}
	if pk, _ := c.Prev(); pk != nil {
		prev, err := keyStep(pk)
		if err == nil {
			err = checkOrder(prev, row.Step)
		}
		if err != nil {
			return Row{}, err
		}
	}
	return row, nil
}

// mergeRow merges row into the stored row for its step, if any.
func mergeRow(b *bolt.Bucket, row Row) error {
	key := stepKey(row.Step)
	vals := row.Values
	if old := b.Get(key); old != nil {
		prev, err := decodeRow(key, old)
		if err != nil {
			return err
		}
		vals = maps.Clone(prev.Values)
		if vals == nil {
			vals = make(map[string]float64, len(row.Values))
		}
		maps.Copy(vals, row.Values)
	}
	return b.Put(key, encodeRow(row.Step, vals))
}

// encodeRow makes the row record of vals at step (version 2: the step, then
// the values).
func encodeRow(step int, vals map[string]float64) []byte {
	keys := slices.Sorted(maps.Keys(vals))
	e := newEncoder(kindRow, 16*len(keys)+10)
	e.varint(int64(step))
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.f64(vals[k])
	}
	return e.finish()
}

// decodeRow decodes the row record v stored under bbolt key k. The key is
// outside the record's CRC, so a version 2 record's step must equal it:
// otherwise the key was damaged and the row is reported as ErrCorrupt,
// never returned under the wrong step. Version 1 records (written before
// rows carried their step) can only be checked for order, by readRows.
func decodeRow(k, v []byte) (Row, error) {
	step, err := keyStep(k)
	if err != nil {
		return Row{}, fmt.Errorf("row key %x: %w", k, err)
	}
	fail := func(err error) (Row, error) {
		return Row{Step: step}, fmt.Errorf("row key %d: %w", step, err)
	}
	d, err := openRecord(v, kindRow)
	if err != nil {
		return fail(err)
	}
	if d.version >= 2 {
		if s := d.varint(); d.err == nil && s != int64(step) {
			return fail(fmt.Errorf("%w: the record is of step %d", ErrCorrupt, s))
		}
	}
	n := d.count(9) // a key of at least 1 length byte and 8 value bytes
	row := Row{Step: step, Values: make(map[string]float64, n)}
	for range n {
		key := d.str()
		row.Values[key] = d.f64()
	}
	if err := d.done(); err != nil {
		return fail(err)
	}
	return row, nil
}
