package results

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
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

// TestFlippedRowKey damages one bit of a row's bbolt key, which lies
// outside the row record's CRC, and checks that every reader of rows
// reports ErrCorrupt naming the run and the key instead of returning a
// row under the altered step or rows out of step order.
func TestFlippedRowKey(t *testing.T) {
	tests := []struct {
		name    string
		step    int  // the row whose key is damaged
		mask    byte // XORed into the key's last byte
		wantMsg string
	}{
		// 10 -> 11: still between 0 and 20, so the order gives nothing away.
		{"in order", 10, 0x01, "row key 11: corrupt run store: the record is of step 10"},
		// 10 -> 42: after 20, so the keys no longer ascend in the page.
		{"out of order", 10, 0x20, "row key 42: corrupt run store: the record is of step 10"},
		// 20 -> 21: the last row, which List reads alone.
		{"last", 20, 0x01, "row key 21: corrupt run store: the record is of step 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRun(t)
			for _, step := range []int{0, 10, 20} {
				row := Row{Step: step, Values: map[string]float64{"loss": float64(step), "acc": 0.5}}
				if err := r.Commit(Commit{Rows: []Row{row}}); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(r.Dir(), dbName)
			flipRowKey(t, path, tt.step, tt.mask)
			before := fileSHA(t, path)
			checkRowReaders(t, r, tt.wantMsg, tt.step == 20)
			if after := fileSHA(t, path); after != before {
				t.Error("reading changed the file")
			}
		})
	}
}

// TestRowKeysOutOfOrderInOldRecords reads a run written before row records
// carried their step (testdata/format1.bolt, rows at steps 0 and 10) with
// the key of step 0 damaged into 32, so that it sorts after 10 in its page:
// the readers must report the order, as they cannot see the step.
func TestRowKeysOutOfOrderInOldRecords(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "format1.bolt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, dbName)
	writeFile(t, path, b)
	flipRowKey(t, path, 0, 0x20)
	r, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRowReaders(t, r, "row key 10: corrupt run store: follows key 32; row keys must ascend", false)
}

// checkRowReaders checks that Rows, Series, Keys and Verify (and, if last,
// List's summary, which reads only the last row) fail with ErrCorrupt and
// an error that names run.db and contains msg.
func checkRowReaders(t *testing.T, r *Run, msg string, last bool) {
	t.Helper()
	path := filepath.Join(r.Dir(), dbName)
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: err = %v; want ErrCorrupt naming %s and saying %q", what, err, path, msg)
		}
	}
	rows, err := r.Rows()
	check("Rows", err)
	if err == nil {
		t.Logf("Rows returned %v", rows)
	}
	_, _, err = r.Series("loss")
	check("Series", err)
	_, err = r.Keys()
	check("Keys", err)
	check("Verify", r.Verify())
	if last {
		sums, err := List(filepath.Dir(r.Dir()))
		if err != nil || len(sums) != 1 {
			t.Fatalf("List = %v, %v", sums, err)
		}
		check("List", sums[0].Err)
	}
}

// flipRowKey XORs mask into the last byte of the bbolt key of the row at
// step in the file at path, found as the key's 8 bytes followed by the
// row's record in a leaf page.
func flipRowKey(t *testing.T, path string, step int, mask byte) {
	t.Helper()
	var rec []byte
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		rec = bytes.Clone(tx.Bucket(bucketRows).Get(stepKey(step)))
		return nil
	})
	db.Close()
	if err != nil || rec == nil {
		t.Fatalf("row %d not found: %v", step, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Copy-on-write leaves earlier copies of the page in free pages; damage
	// them all, which changes nothing a reader sees but the live one.
	kv := append(stepKey(step), rec...)
	n := 0
	for i := 0; ; n++ {
		j := bytes.Index(b[i:], kv)
		if j < 0 {
			break
		}
		i += j
		b[i+7] ^= mask
		i += len(kv)
	}
	if n == 0 {
		t.Fatalf("row %d not found in the file", step)
	}
	writeFile(t, path, b)
}
