package results

import (
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Commit is what a training process writes at a checkpoint. Run.Commit
// applies all of it in one transaction, or none of it.
type Commit struct {
	// Rows are merged into the training-time metric series: a row for a
	// step that already has one adds its values to it (new values win).
	Rows []Row

	// Checkpoint, if not nil, is stored, replacing any checkpoint at the
	// same step.
	Checkpoint *Checkpoint

	// Status, if not nil, replaces the run's status.
	Status *Status

	// KernelChange, if not nil, is appended to the run's kernel changes
	// (Run.KernelChanges).
	KernelChange *KernelChange

	// Retain, if not nil, is called after the checkpoint is added, once for
	// every checkpoint that still has weights except the newest, with that
	// checkpoint's step and the steps of all checkpoints (pruned or not),
	// ascending. Checkpoints for which it returns false are pruned: their
	// weights and solver state are deleted, their info (including the
	// weights' SHA-256) and blobs are kept. The newest checkpoint is never
	// pruned. Retain runs inside the write transaction and so holds the
	// database lock; it must be quick. If it panics, Commit rolls back and
	// returns an error.
	Retain func(step int, all []int) bool

	// Origin, if not nil, stores its non-nil parts (the run's initial
	// weights, its metrics' nulls), replacing those stored; see Origin.
	Origin *Origin
}

// errRetainPanic is returned by Commit when Commit.Retain panics.
var errRetainPanic = errors.New("retain panicked")

// Commit writes c in one bbolt transaction, synced to disk before Commit
// returns. If anything fails, including encoding an invalid tensor or a
// panic in c.Retain, nothing of c is written. A process killed during
// Commit leaves the run as it was before the call.
func (r *Run) Commit(c Commit) error {
	return r.commit("commit", c)
}

func (r *Run) commit(op string, c Commit) error {
	if err := r.applyCommit(c); err != nil {
		return fmt.Errorf("results: %s %s: %w", op, r.path, err)
	}
	return nil
}

func (r *Run) applyCommit(c Commit) error {
	ec, status, err := c.encode()
	if err != nil {
		return err
	}
	eo, err := encodeOrigin(c.Origin)
	if err != nil {
		return err
	}
	return update(r.path, r.timeout, func(tx *bolt.Tx) error {
		if err := c.apply(tx, ec, status); err != nil {
			return err
		}
		return eo.put(tx)
	})
}

// encode checks the commit's steps and encodes its checkpoint and status
// (nil for those it lacks) before any transaction.
func (c *Commit) encode() (*encodedCheckpoint, []byte, error) {
	for _, row := range c.Rows {
		if err := checkStep(row.Step); err != nil {
			return nil, nil, err
		}
	}
	var ec *encodedCheckpoint
	if c.Checkpoint != nil {
		var err error
		if ec, err = encodeCheckpoint(c.Checkpoint); err != nil {
			return nil, nil, err
		}
	}
	var status []byte
	if c.Status != nil {
		var err error
		if status, err = encodeStatus(*c.Status); err != nil {
			return nil, nil, err
		}
	}
	return ec, status, nil
}

// apply writes the commit's parts in tx.
func (c *Commit) apply(tx *bolt.Tx, ec *encodedCheckpoint, status []byte) error {
	if len(c.Rows) > 0 {
		rows, err := tx.CreateBucketIfNotExists(bucketRows)
		if err != nil {
			return err
		}
		for _, row := range c.Rows {
			if err := mergeRow(rows, row); err != nil {
				return err
			}
		}
	}
	if ec != nil || c.Retain != nil {
		ckpts, err := tx.CreateBucketIfNotExists(bucketCkpt)
		if err != nil {
			return err
		}
		if ec != nil {
			if err := ec.put(ckpts); err != nil {
				return err
			}
		}
		if c.Retain != nil {
			if err := c.retain(ckpts); err != nil {
				return err
			}
		}
	}
	if c.KernelChange != nil {
		meta := tx.Bucket(bucketMeta)
		ks, err := decodeKernels(meta.Get(keyKernels))
		if err != nil {
			return err
		}
		rec, err := encodeKernels(append(ks, *c.KernelChange))
		if err != nil {
			return err
		}
		if err := meta.Put(keyKernels, rec); err != nil {
			return err
		}
	}
	if status != nil {
		return tx.Bucket(bucketMeta).Put(keyStatus, status)
	}
	return nil
}

// retain prunes the checkpoints of b that c.Retain rejects.
func (c *Commit) retain(b *bolt.Bucket) error {
	infos, err := readCkptInfos(b)
	if err != nil || len(infos) < 2 {
		return err
	}
	all := make([]int, len(infos))
	for i, info := range infos {
		all[i] = info.Step
	}
	for _, info := range infos[:len(infos)-1] {
		if !info.HasWeights {
			continue
		}
		keep, err := c.callRetain(info.Step, all)
		if err != nil {
			return err
		}
		if !keep {
			if err := prune(b, info); err != nil {
				return err
			}
		}
	}
	return nil
}

// callRetain calls c.Retain, turning a panic into an error so that the
// transaction rolls back and guard does not report it as corruption.
func (c *Commit) callRetain(step int, all []int) (keep bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w at checkpoint %d: %v", errRetainPanic, step, p)
		}
	}()
	return c.Retain(step, slices.Clone(all)), nil
}
