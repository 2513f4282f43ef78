package results

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestBadFiles opens files that are not healthy runs and checks the error
// and that neither Open nor an attempted Commit changed a byte.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, path string) // makes the bad run.db
		want  error
	}{
		{"random bytes", func(t *testing.T, path string) {
			rng := rand.New(rand.NewPCG(3, 4))
			b := make([]byte, 64<<10)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			writeFile(t, path, b)
		}, ErrCorrupt},
		{"empty", func(t *testing.T, path string) { writeFile(t, path, nil) }, ErrCorrupt},
		{"one page", func(t *testing.T, path string) { writeFile(t, path, make([]byte, 4096)) }, ErrCorrupt},
		{"text", func(t *testing.T, path string) { writeFile(t, path, []byte("name = \"run\"\n")) }, ErrCorrupt},
		{"foreign bbolt", func(t *testing.T, path string) {
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("users"))
				if err != nil {
					return err
				}
				return b.Put([]byte("alice"), []byte("1"))
			})
		}, ErrNotRun},
		{"meta without format", func(t *testing.T, path string) {
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket(bucketMeta)
				return err
			})
		}, ErrNotRun},
		{"newer format", func(t *testing.T, path string) {
			makeRun(t, path)
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keyFormat, binary.BigEndian.AppendUint32(nil, formatVersion+1))
			})
		}, ErrVersion},
		{"truncated", func(t *testing.T, path string) {
			makeRun(t, path)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/3); err != nil {
				t.Fatal(err)
			}
		}, ErrCorrupt},
		{"both meta pages damaged", func(t *testing.T, path string) {
			makeRun(t, path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[20] ^= 0xff // inside meta page 0
			b[4096+20] ^= 0xff
			writeFile(t, path, b)
		}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, dbName)
			tt.write(t, path)
			before := fileSHA(t, path)
			_, err := Open(dir, &Options{Timeout: shortWait})
			if !errors.Is(err, tt.want) {
				t.Errorf("Open: err = %v, want %v", err, tt.want)
			}
			// A handle obtained before the file went bad must not write either.
			r := newRun(dir, &Options{Timeout: shortWait})
			err = r.Commit(Commit{
				Rows:       []Row{{Step: 1, Values: map[string]float64{"loss": 1}}},
				Checkpoint: testCheckpoint(1, 64),
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("Commit: err = %v, want %v", err, tt.want)
			}
			if err := r.PutAnalysis(1, "v", map[string]float64{"x": 1}); !errors.Is(err, tt.want) {
				t.Errorf("PutAnalysis: err = %v, want %v", err, tt.want)
			}
			if after := fileSHA(t, path); after != before {
				t.Error("the file changed")
			}
		})
	}
}

// TestFlippedByteInCheckpoint damages one byte of stored weights and checks
// that reading the checkpoint, and Verify, report ErrCorrupt while the rest
// of the run stays readable.
func TestFlippedByteInCheckpoint(t *testing.T) {
	r := newTestRun(t)
	c := testCheckpoint(5, 4096)
	c.Weights[0].Name = "stem.0.w.marker"
	if err := r.Commit(Commit{Rows: []Row{{Step: 5, Values: map[string]float64{"loss": 1}}}, Checkpoint: c}); err != nil {
		t.Fatal(err)
	}
	if err := r.Verify(); err != nil {
		t.Fatalf("Verify before damage: %v", err)
	}
	path := filepath.Join(r.Dir(), dbName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("stem.0.w.marker"))
	if i < 0 {
		t.Fatal("weights not found in the file")
	}
	b[i+100] ^= 0x01 // inside the tensor's float data
	writeFile(t, path, b)
	before := fileSHA(t, path)
	if _, err := r.Latest(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Latest: err = %v, want ErrCorrupt", err)
	}
	if err := r.Verify(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify: err = %v, want ErrCorrupt", err)
	}
	if rows, err := r.Rows(); err != nil || len(rows) != 1 {
		t.Errorf("Rows after damage = %v, %v", rows, err)
	}
	if infos, err := r.Checkpoints(); err != nil || len(infos) != 1 {
		t.Errorf("Checkpoints after damage = %v, %v", infos, err)
	}
	if after := fileSHA(t, path); after != before {
		t.Error("reading changed the file")
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rawUpdate runs fn on path with bbolt directly, creating the file.
func rawUpdate(t *testing.T, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// makeRun creates a run whose run.db is at path, with a checkpoint large
// enough to span many pages.
func makeRun(t *testing.T, path string) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "run")
	r, err := Create(tmp, testInfo("bad"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(Commit{Checkpoint: testCheckpoint(1, 1<<16)}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(tmp, dbName))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
}
