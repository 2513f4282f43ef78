package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tensor is a named float32 tensor, row-major with the given shape.
// len(Data) must equal the product of Shape (1 for an empty Shape).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Checkpoint is everything needed to resume training at Step.
type Checkpoint struct {
	Step    int
	Time    time.Time
	Weights []Tensor // nil once pruned by retention
	Solver  []Tensor // optimizer state; nil once pruned by retention
	// Blobs holds anything else a bit-identical resume needs (RNG states,
	// data cursor, solver scalars), opaque to this package. Blobs survive
	// pruning. A nil or empty map reads back as nil.
	Blobs map[string][]byte
}

// CheckpointInfo describes a stored checkpoint without loading it.
type CheckpointInfo struct {
	Step          int
	Time          time.Time
	WeightsSHA256 string // WeightsSHA256 of the weights as committed; kept after pruning
	HasWeights    bool   // false once retention pruned weights and solver state
	Bytes         int    // encoded bytes of weights, solver state and blobs currently stored
}

// WeightsSHA256 returns the lowercase hex SHA-256 of ts. The hashed bytes
// are, for each tensor in order, with every integer a little-endian uint64:
//
//	len(Name) | Name | len(Shape) | Shape[0] ... Shape[k-1] | len(Data) | Data as little-endian float32 bits
//
// The hash thus covers names, shapes and exact float32 bits (so -0 differs
// from +0 and NaN payloads count), and not how the tensors are stored.
func WeightsSHA256(ts []Tensor) string {
	h := sha256.New()
	var buf []byte
	for _, t := range ts {
		buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(len(t.Name)))
		buf = append(buf, t.Name...)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(t.Shape)))
		for _, d := range t.Shape {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(d))
		}
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(t.Data)))
		for _, x := range t.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Checkpoints returns the infos of all stored checkpoints, pruned or not,
// in ascending step order.
func (r *Run) Checkpoints() ([]CheckpointInfo, error) {
	var infos []CheckpointInfo
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		infos, err = readCkptInfos(tx.Bucket(bucketCkpt))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("results: checkpoints %s: %w", r.path, err)
	}
	return infos, nil
}

// Checkpoint returns the checkpoint at step. It returns ErrNoCheckpoint if
// there is none, and if retention pruned it, the checkpoint without
// Weights and Solver together with ErrPruned. The weights read are checked
// against the SHA-256 recorded at commit (ErrCorrupt on mismatch).
func (r *Run) Checkpoint(step int) (*Checkpoint, error) {
	return r.readCheckpoint("checkpoint", func(b *bolt.Bucket) []byte {
		if k := stepKey(step); b.Bucket(k) != nil {
			return k
		}
		return nil
	})
}

// Latest returns the checkpoint with the highest step (which retention
// never prunes), or ErrNoCheckpoint if the run has none.
func (r *Run) Latest() (*Checkpoint, error) {
	return r.readCheckpoint("latest", func(b *bolt.Bucket) []byte {
		k, _ := b.Cursor().Last()
		return k
	})
}

func (r *Run) readCheckpoint(op string, find func(*bolt.Bucket) []byte) (*Checkpoint, error) {
	var c *Checkpoint
	err := view(r.path, r.timeout, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCkpt)
		var k []byte
		if b != nil {
			k = find(b)
		}
		if k == nil {
			return ErrNoCheckpoint
		}
		var err error
		c, err = decodeCheckpoint(k, b.Bucket(k))
		return err
	})
	if err != nil {
		return c, fmt.Errorf("results: %s %s: %w", op, r.path, err)
	}
	return c, nil
}

// readCkptInfos decodes the info of every checkpoint in b (which may be nil).
func readCkptInfos(b *bolt.Bucket) ([]CheckpointInfo, error) {
	if b == nil {
		return nil, nil
	}
	var infos []CheckpointInfo
	err := b.ForEachBucket(func(k []byte) error {
		info, err := ckptInfoOf(k, b.Bucket(k))
		infos = append(infos, info)
		return err
	})
	return infos, err
}

// ckptInfoOf decodes the info record of the checkpoint bucket cb at key k.
func ckptInfoOf(k []byte, cb *bolt.Bucket) (CheckpointInfo, error) {
	step, err := keyStep(k)
	if err != nil {
		return CheckpointInfo{}, err
	}
	if cb == nil {
		return CheckpointInfo{Step: step}, fmt.Errorf("checkpoint %d: %w: not a bucket", step, ErrCorrupt)
	}
	info, err := decodeCkptInfo(cb.Get(keyInfo))
	if err == nil && info.Step != step {
		err = fmt.Errorf("%w: info of step %d stored under step %d", ErrCorrupt, info.Step, step)
	}
	if err != nil {
		return CheckpointInfo{Step: step}, fmt.Errorf("checkpoint %d: %w", step, err)
	}
	return info, nil
}

func decodeCheckpoint(k []byte, cb *bolt.Bucket) (*Checkpoint, error) {
	info, err := ckptInfoOf(k, cb)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Step: info.Step, Time: info.Time}
	if c.Blobs, err = decodeBlobs(cb.Get(keyBlobs)); err != nil {
		return nil, fmt.Errorf("checkpoint %d: blobs: %w", c.Step, err)
	}
	if !info.HasWeights {
		return c, fmt.Errorf("checkpoint %d: %w", c.Step, ErrPruned)
	}
	if c.Weights, err = decodeTensors(cb.Get(keyWeights)); err != nil {
		return nil, fmt.Errorf("checkpoint %d: weights: %w", c.Step, err)
	}
	if c.Solver, err = decodeTensors(cb.Get(keySolver)); err != nil {
		return nil, fmt.Errorf("checkpoint %d: solver: %w", c.Step, err)
	}
	if got := WeightsSHA256(c.Weights); got != info.WeightsSHA256 {
		return nil, fmt.Errorf("checkpoint %d: %w: weights SHA-256 %s, committed %s", c.Step, ErrCorrupt, got, info.WeightsSHA256)
	}
	return c, nil
}

// encodedCheckpoint is a checkpoint's records, built before the write
// transaction so that encoding does not hold the file lock.
type encodedCheckpoint struct {
	step                   int
	info                   CheckpointInfo
	weights, solver, blobs []byte
}

func encodeCheckpoint(c *Checkpoint) (*encodedCheckpoint, error) {
	if err := checkStep(c.Step); err != nil {
		return nil, err
	}
	w, err := encodeTensors(c.Weights)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %d: weights: %w", c.Step, err)
	}
	s, err := encodeTensors(c.Solver)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %d: solver: %w", c.Step, err)
	}
	b := encodeBlobs(c.Blobs)
	return &encodedCheckpoint{
		step: c.Step, weights: w, solver: s, blobs: b,
		info: CheckpointInfo{
			Step: c.Step, Time: c.Time, HasWeights: true,
			WeightsSHA256: WeightsSHA256(c.Weights),
			Bytes:         len(w) + len(s) + len(b),
		},
	}, nil
}

// put replaces any checkpoint at the same step in b.
func (ec *encodedCheckpoint) put(b *bolt.Bucket) error {
	k := stepKey(ec.step)
	if b.Bucket(k) != nil {
		if err := b.DeleteBucket(k); err != nil {
			return err
		}
	}
	cb, err := b.CreateBucket(k)
	if err != nil {
		return err
	}
	info, err := encodeCkptInfo(ec.info)
	if err != nil {
		return err
	}
	for _, kv := range [][2][]byte{{keyInfo, info}, {keyWeights, ec.weights}, {keySolver, ec.solver}, {keyBlobs, ec.blobs}} {
		if err := cb.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// prune drops the weights and solver state of the checkpoint at step in b,
// keeping its info (marked HasWeights false) and blobs.
func prune(b *bolt.Bucket, info CheckpointInfo) error {
	cb := b.Bucket(stepKey(info.Step))
	if err := cb.Delete(keyWeights); err != nil {
		return err
	}
	if err := cb.Delete(keySolver); err != nil {
		return err
	}
	info.HasWeights = false
	info.Bytes = len(cb.Get(keyBlobs))
	rec, err := encodeCkptInfo(info)
	if err != nil {
		return err
	}
	return cb.Put(keyInfo, rec)
}

func encodeTensors(ts []Tensor) ([]byte, error) {
	size := 8
	for _, t := range ts {
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("tensor %q: shape %v needs %d values, has %d", t.Name, t.Shape, n, len(t.Data))
		}
		size += 16 + len(t.Name) + 8*len(t.Shape) + 4*len(t.Data)
	}
	e := newEncoder(kindTensors, size)
	e.uvarint(uint64(len(ts)))
	for _, t := range ts {
		e.str(t.Name)
		e.uvarint(uint64(len(t.Shape)))
		for _, d := range t.Shape {
			e.uvarint(uint64(d))
		}
		e.f32s(t.Data)
	}
	return e.finish(), nil
}

func decodeTensors(rec []byte) ([]Tensor, error) {
	d, err := openRecord(rec, kindTensors)
	if err != nil {
		return nil, err
	}
	ts := make([]Tensor, d.count(2))
	for i := range ts {
		t := &ts[i]
		t.Name = d.str()
		t.Shape = make([]int, d.count(1))
		for j := range t.Shape {
			if dim := d.uvarint(); dim <= uint64(maxStep) {
				t.Shape[j] = int(dim)
			} else {
				d.fail("tensor %q: dimension %d is %d", t.Name, j, dim)
			}
		}
		n := shapeSize(t.Shape, len(d.b)/4)
		if n < 0 {
			d.fail("tensor %q: shape %v exceeds the %d bytes left", t.Name, t.Shape, len(d.b))
		}
		t.Data = d.f32s(n)
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return ts, nil
}

// shapeSize returns the product of shape, or -1 if it exceeds limit.
func shapeSize(shape []int, limit int) int {
	if slices.Contains(shape, 0) {
		return 0
	}
	n := 1
	for _, d := range shape {
		if n > limit/d {
			return -1
		}
		n *= d
	}
	return n
}

func encodeBlobs(m map[string][]byte) []byte {
	keys := slices.Sorted(maps.Keys(m))
	size := 0
	for _, k := range keys {
		size += 20 + len(k) + len(m[k])
	}
	e := newEncoder(kindBlobs, size)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.bytes(m[k])
	}
	return e.finish()
}

func decodeBlobs(rec []byte) (map[string][]byte, error) {
	d, err := openRecord(rec, kindBlobs)
	if err != nil {
		return nil, err
	}
	n := d.count(2)
	if n == 0 {
		return nil, d.done()
	}
	m := make(map[string][]byte, n)
	for range n {
		k := d.str()
		m[k] = d.bytes()
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return m, nil
}

func encodeCkptInfo(info CheckpointInfo) ([]byte, error) {
	sum, err := hex.DecodeString(info.WeightsSHA256)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("bad weights SHA-256 %q", info.WeightsSHA256)
	}
	e := newEncoder(kindCkptInfo, 64)
	e.varint(int64(info.Step))
	if err := e.time(info.Time); err != nil {
		return nil, err
	}
	e.raw(sum)
	e.b = append(e.b, boolByte(info.HasWeights))
	e.uvarint(uint64(info.Bytes))
	return e.finish(), nil
}

func decodeCkptInfo(rec []byte) (CheckpointInfo, error) {
	var info CheckpointInfo
	d, err := openRecord(rec, kindCkptInfo)
	if err != nil {
		return info, err
	}
	info.Step = int(d.varint())
	info.Time = d.time()
	info.WeightsSHA256 = hex.EncodeToString(d.next(sha256.Size))
	switch flag := d.next(1); {
	case flag == nil:
	case bytes.Equal(flag, []byte{1}):
		info.HasWeights = true
	case !bytes.Equal(flag, []byte{0}):
		d.fail("has-weights byte %d", flag[0])
	}
	info.Bytes = int(d.uvarint())
	return info, d.done()
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
