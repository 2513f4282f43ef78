package results

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// shortWait is the lock timeout of readers in these tests; slack is how
// much longer than that a timed-out call may take.
const (
	shortWait = 100 * time.Millisecond
	slack     = 900 * time.Millisecond
)

// TestReaderTimesOutDuringWrite holds a write transaction open (Retain
// blocks inside Commit) and checks that readers give up with ErrTimeout
// after their timeout, then succeed once the commit is done.
func TestReaderTimesOutDuringWrite(t *testing.T) {
	w := newTestRun(t)
	if err := w.Commit(Commit{Checkpoint: testCheckpoint(1, 64)}); err != nil {
		t.Fatal(err)
	}
	inTx, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- w.Commit(Commit{
			Rows:       []Row{{Step: 2, Values: map[string]float64{"loss": 0.5}}},
			Checkpoint: testCheckpoint(2, 64),
			Retain: func(int, []int) bool {
				once.Do(func() { close(inTx) })
				<-release
				return true
			},
		})
	}()
	<-inTx
	opts := &Options{Timeout: shortWait}
	start := time.Now()
	_, err := Open(w.Dir(), opts)
	if elapsed := time.Since(start); !errors.Is(err, ErrTimeout) || elapsed > shortWait+slack {
		t.Errorf("Open during a write: err = %v after %v, want ErrTimeout after about %v", err, elapsed, shortWait)
	}
	if !errors.Is(err, bolt.ErrTimeout) {
		t.Errorf("err = %v does not wrap bbolt's ErrTimeout", err)
	}
	r := newRun(w.Dir(), opts)
	if _, err := r.Rows(); !errors.Is(err, ErrTimeout) {
		t.Errorf("Rows during a write: err = %v, want ErrTimeout", err)
	}
	summaries, err := ListWith(filepath.Dir(w.Dir()), opts)
	if err != nil || len(summaries) != 1 || !errors.Is(summaries[0].Err, ErrTimeout) {
		t.Errorf("List during a write = %+v, %v; want one entry with ErrTimeout", summaries, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows, err := r.Rows()
	if err != nil || len(rows) != 1 || rows[0].Step != 2 {
		t.Errorf("Rows after the write = %v, %v; want the committed row", rows, err)
	}
}

// TestReaderDoesNotHoldWriter checks that a Run used for reading keeps no
// lock between calls, and that a reader in the middle of a transaction
// delays a commit only until it closes.
func TestReaderDoesNotHoldWriter(t *testing.T) {
	w := newTestRun(t)
	opts := &Options{Timeout: shortWait}
	reader, err := Open(w.Dir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Status(); err != nil {
		t.Fatal(err)
	}
	writer := newRun(w.Dir(), opts)
	if err := writer.Commit(Commit{Checkpoint: testCheckpoint(1, 64)}); err != nil {
		t.Fatalf("Commit after reads: %v", err)
	}

	// A raw read-only open stands in for a reader caught mid-transaction.
	db, err := bolt.Open(filepath.Join(w.Dir(), dbName), 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const hold = 300 * time.Millisecond
	go func() {
		time.Sleep(hold)
		db.Close()
	}()
	start := time.Now()
	slow := newRun(w.Dir(), &Options{Timeout: hold + slack})
	if err := slow.Commit(Commit{Checkpoint: testCheckpoint(2, 64)}); err != nil {
		t.Fatalf("Commit behind a reader: %v", err)
	}
	if elapsed := time.Since(start); elapsed < hold/2 {
		t.Errorf("Commit took %v while a reader held the file for %v", elapsed, hold)
	}
}

// TestConcurrentReadersAndWriter runs readers in a loop while a writer
// commits, all through the package API, and checks that every call
// succeeds within a generous timeout and that readers see whole commits.
// Each reader pauses 2 ms between reads, as any poller does: flock is not
// fair, so two readers that re-open the store back to back with no pause
// can keep a shared lock held at every moment and starve the writer (it
// failed that way on a loaded 2-core machine, 2 runs in 10); the readers
// of this program (ls, show, compare, serve) read once per request.
func TestConcurrentReadersAndWriter(t *testing.T) {
	w := newTestRun(t)
	const commits = 20
	stop := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			r := newRun(w.Dir(), &Options{Timeout: 5 * time.Second})
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				c, err := r.Latest()
				if errors.Is(err, ErrNoCheckpoint) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				// The row and status go in with the checkpoint.
				rows, err := r.Rows()
				if err == nil && (len(rows) < c.Step || rows[c.Step-1].Step != c.Step) {
					err = errors.New("a checkpoint is visible without its row")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for step := 1; step <= commits; step++ {
		err := w.Commit(Commit{
			Rows:       []Row{{Step: step, Values: map[string]float64{"loss": 1}}},
			Checkpoint: testCheckpoint(step, 1024),
			Status:     &Status{State: Running, Step: step, Total: commits},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
