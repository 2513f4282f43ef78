package results

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestFind checks that Find lists run directories at any depth in lexical
// order, passes over a run.db that is a symbolic link or a directory, and
// opens nothing: a run whose file is locked by a writer is still found.
func TestFind(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{"b/seed-2", "a/x/seed-1", "a/seed-3"} {
		if _, err := Create(filepath.Join(root, rel), testInfo("f"), nil); err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	if _, err := Create(filepath.Join(outside, "run"), testInfo("outside"), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "link"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "run", dbName), filepath.Join(root, "link", dbName)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "dir", dbName), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Find(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/seed-3", "a/x/seed-1", "b/seed-2"}
	for i := range want {
		want[i] = filepath.Join(root, filepath.FromSlash(want[i]))
	}
	if !slices.Equal(got, want) {
		t.Errorf("Find = %v, want %v", got, want)
	}
	if _, err := Find(filepath.Join(root, "missing")); err == nil {
		t.Error("Find of a missing root succeeded")
	}
}

// TestSnapshot checks that a snapshot holds what the separate readers
// return, and that it gives up with ErrTimeout while a commit holds the
// file.
func TestSnapshot(t *testing.T) {
	w := newTestRun(t)
	err := w.Commit(Commit{
		Rows:       []Row{{Step: 1, Values: map[string]float64{"loss": 2}}, {Step: 4, Values: map[string]float64{"loss": 1, "acc": 0.5}}},
		Checkpoint: testCheckpoint(4, 16),
		Status:     &Status{State: Running, Step: 4, Total: 9, Updated: testTime, TestAcc: 0.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(w.Dir(), &Options{Timeout: shortWait})
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	info, _ := r.Info()
	st, _ := r.Status()
	rows, _ := r.Rows()
	cks, _ := r.Checkpoints()
	if !reflect.DeepEqual(s.Info, info) || !reflect.DeepEqual(s.Rows, rows) || !reflect.DeepEqual(s.Checkpoints, cks) ||
		s.Status.State != st.State || s.Status.Step != 4 || s.Status.TestAcc != 0.5 {
		t.Errorf("Snapshot = %+v\nwant info %+v, status %+v, rows %v, checkpoints %v", s, info, st, rows, cks)
	}

	inTx, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- w.Commit(Commit{Checkpoint: testCheckpoint(5, 16), Retain: func(int, []int) bool {
			once.Do(func() { close(inTx) })
			<-release
			return true
		}})
	}()
	<-inTx
	start := time.Now()
	_, err = r.Snapshot()
	if elapsed := time.Since(start); !errors.Is(err, ErrTimeout) || elapsed > shortWait+slack {
		t.Errorf("Snapshot during a commit: %v after %v, want ErrTimeout after about %v", err, elapsed, shortWait)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestStampOf checks that a commit changes a run's stamp, that reading
// does not, and that a missing run.db is ErrNotFound.
func TestStampOf(t *testing.T) {
	w := newTestRun(t)
	before, err := StampOf(w.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if after, _ := StampOf(w.Dir()); after != before {
		t.Errorf("a read changed the stamp from %+v to %+v", before, after)
	}
	time.Sleep(10 * time.Millisecond) // past the file system clock's tick
	if err := w.Commit(Commit{Rows: []Row{{Step: 1, Values: map[string]float64{"loss": 1}}}}); err != nil {
		t.Fatal(err)
	}
	if after, _ := StampOf(w.Dir()); after == before {
		t.Errorf("a commit left the stamp at %+v", before)
	}
	if _, err := StampOf(t.TempDir()); !errors.Is(err, ErrNotFound) {
		t.Errorf("StampOf of an empty directory: %v, want ErrNotFound", err)
	}
}
