package results

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("results.seed", 0, "seed for the randomized tests in package results (0: from the clock)")

// testSeed returns the seed for a randomized test and logs it, so that a
// failure can be replayed with -results.seed.
func testSeed(t *testing.T) uint64 {
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -results.seed=%d)", s, s)
	return s
}

// TestCommitAtomic checks that a failing Commit writes nothing at all: the
// file is bit-identical afterwards.
func TestCommitAtomic(t *testing.T) {
	r := newTestRun(t)
	base := Commit{
		Rows:       []Row{{Step: 10, Values: map[string]float64{"loss": 1}}},
		Checkpoint: testCheckpoint(10, 512),
		Status:     &Status{State: Running, Step: 10, Total: 100},
	}
	if err := r.Commit(base); err != nil {
		t.Fatal(err)
	}
	badShape := testCheckpoint(20, 512)
	badShape.Solver = []Tensor{{Name: "m", Shape: []int{3}, Data: []float32{1}}}
	tests := []struct {
		name string
		c    Commit
	}{
		{"retain panics", Commit{
			Rows:       []Row{{Step: 20, Values: map[string]float64{"loss": 0.5}}, {Step: 10, Values: map[string]float64{"loss": 9}}},
			Checkpoint: testCheckpoint(20, 512),
			Status:     &Status{State: Done, Step: 20, Total: 100},
			Retain:     func(int, []int) bool { panic("policy bug") },
		}},
		{"bad tensor", Commit{
			Rows:       []Row{{Step: 20, Values: map[string]float64{"loss": 0.5}}},
			Checkpoint: badShape,
			Status:     &Status{State: Done, Step: 20, Total: 100},
		}},
		{"bad status", Commit{
			Rows:       []Row{{Step: 20, Values: map[string]float64{"loss": 0.5}}},
			Checkpoint: testCheckpoint(20, 512),
			Status:     &Status{State: "finished"},
		}},
	}
	path := filepath.Join(r.Dir(), dbName)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fileSHA(t, path)
			err := r.Commit(tt.c)
			if err == nil {
				t.Fatal("Commit succeeded")
			}
			if errors.Is(err, ErrCorrupt) {
				t.Errorf("err = %v, must not report corruption", err)
			}
			if after := fileSHA(t, path); after != before {
				t.Error("failed Commit changed run.db")
			}
			rows, err := r.Rows()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Values["loss"] != 1 {
				t.Errorf("rows after failed Commit = %v", rows)
			}
			if c, err := r.Latest(); err != nil || c.Step != 10 {
				t.Errorf("Latest after failed Commit = %v, %v", c, err)
			}
			if st, err := r.Status(); err != nil || st.State != Running {
				t.Errorf("Status after failed Commit = %+v, %v", st, err)
			}
		})
	}
}

// twin is the in-memory model of a run that TestSimulation checks the store
// against.
type twin struct {
	rows   map[int]map[string]float64
	ckpts  map[int]CheckpointInfo
	status Status
}

// commit applies c to the twin the way Run.Commit is documented to.
func (w *twin) commit(c Commit) {
	for _, row := range c.Rows {
		if w.rows[row.Step] == nil {
			w.rows[row.Step] = make(map[string]float64)
		}
		maps.Copy(w.rows[row.Step], row.Values)
	}
	if c.Checkpoint != nil {
		w.ckpts[c.Checkpoint.Step] = CheckpointInfo{
			Step: c.Checkpoint.Step, Time: c.Checkpoint.Time,
			WeightsSHA256: WeightsSHA256(c.Checkpoint.Weights), HasWeights: true,
		}
	}
	if c.Retain != nil && len(w.ckpts) > 1 {
		all := slices.Sorted(maps.Keys(w.ckpts))
		for _, s := range all[:len(all)-1] {
			if info := w.ckpts[s]; info.HasWeights && !c.Retain(s, all) {
				info.HasWeights = false
				w.ckpts[s] = info
			}
		}
	}
	if c.Status != nil {
		w.status = *c.Status
	}
}

// TestSimulation applies random commits to a run and to its in-memory twin
// and checks that both agree after each one.
func TestSimulation(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 0x5eed))
	r := newTestRun(t)
	w := &twin{rows: map[int]map[string]float64{}, ckpts: map[int]CheckpointInfo{}, status: Status{State: Running, Updated: testTime, TestAcc: math.NaN()}}
	keys := []string{"loss", "acc", "csi.0", "csi.1"}
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0}
	n := 60
	if testing.Short() {
		n = 20
	}
	for i := range n {
		var c Commit
		for range rng.IntN(4) {
			row := Row{Step: rng.IntN(50), Values: map[string]float64{}}
			for _, k := range keys {
				switch rng.IntN(4) {
				case 0:
					row.Values[k] = specials[rng.IntN(len(specials))]
				case 1, 2:
					row.Values[k] = rng.NormFloat64()
				}
			}
			c.Rows = append(c.Rows, row)
		}
		if rng.IntN(2) == 0 {
			c.Checkpoint = testCheckpoint(rng.IntN(50), 1+rng.IntN(64))
		}
		if rng.IntN(3) == 0 {
			mod := 1 + rng.IntN(3)
			c.Retain = func(step int, all []int) bool { return step%mod == 0 }
		}
		if rng.IntN(3) == 0 {
			c.Status = &Status{State: Stopped, Step: i, Total: n, Updated: testTime, TestAcc: rng.Float64()}
		}
		if err := r.Commit(c); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		w.commit(c)
		w.check(t, r, i)
	}
	if err := r.Verify(); err != nil {
		t.Error(err)
	}
}

// check compares the run with the twin.
func (w *twin) check(t *testing.T, r *Run, i int) {
	t.Helper()
	rows, err := r.Rows()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), len(w.rows); got != want {
		t.Fatalf("after commit %d: %d rows, twin has %d", i, got, want)
	}
	for _, row := range rows {
		if !maps.EqualFunc(row.Values, w.rows[row.Step], sameBits64) {
			t.Fatalf("after commit %d: row %d = %v, twin has %v", i, row.Step, row.Values, w.rows[row.Step])
		}
	}
	infos, err := r.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(infos), len(w.ckpts); got != want {
		t.Fatalf("after commit %d: %d checkpoints, twin has %d", i, got, want)
	}
	for _, info := range infos {
		want := w.ckpts[info.Step]
		if info.HasWeights != want.HasWeights || info.WeightsSHA256 != want.WeightsSHA256 || !info.Time.Equal(want.Time) {
			t.Fatalf("after commit %d: checkpoint %+v, twin has %+v", i, info, want)
		}
	}
	st, err := r.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.State != w.status.State || st.Step != w.status.Step || !sameBits64(st.TestAcc, w.status.TestAcc) {
		t.Fatalf("after commit %d: status %+v, twin has %+v", i, st, w.status)
	}
}

// BenchmarkCommit1MB measures a checkpoint commit of about 1 MB of weights
// with one metric row and a status, keeping the last two checkpoints.
func BenchmarkCommit1MB(b *testing.B) {
	r, err := Create(filepath.Join(b.TempDir(), "run"), testInfo("bench"), nil)
	if err != nil {
		b.Fatal(err)
	}
	const floats = 1 << 18 // 1 MiB of float32
	ckpts := []*Checkpoint{testCheckpoint(0, floats), testCheckpoint(1, floats)}
	keepLast2 := func(step int, all []int) bool { return slices.Index(all, step) >= len(all)-2 }
	b.SetBytes(4 * floats)
	b.ResetTimer()
	for i := range b.N {
		c := ckpts[i%2]
		c.Step = i
		err := r.Commit(Commit{
			Rows:       []Row{{Step: i, Values: map[string]float64{"loss": 1 / float64(i+1)}}},
			Checkpoint: c,
			Status:     &Status{State: Running, Step: i, Total: b.N},
			Retain:     keepLast2,
		})
		if err != nil {
			b.Fatal(fmt.Errorf("commit %d: %w", i, err))
		}
	}
}
