package results

import (
	"errors"
	"math"
	"path/filepath"
	"testing"
)

// statusV1 encodes s as version 1 of the status record did, which stored
// 0 for a test accuracy not measured.
func statusV1(t *testing.T, s Status) []byte {
	t.Helper()
	e := newEncoder(kindStatus, 64)
	e.b[1] = 1 // the version byte
	e.str(string(s.State))
	e.varint(int64(s.Step))
	e.varint(int64(s.Total))
	e.str(s.Reason)
	if err := e.time(s.Updated); err != nil {
		t.Fatal(err)
	}
	e.f64(s.TestAcc)
	return e.finish()
}

// TestStatusTestAccVersions: version 2 stores NaN for "not measured" and
// keeps a measured 0; version 1 records, which stored 0 for "not
// measured", read 0 as NaN and keep every other value.
func TestStatusTestAccVersions(t *testing.T) {
	tests := []struct {
		name string
		rec  func() []byte
		want float64
	}{
		{"v2 measured 0", func() []byte { b, _ := encodeStatus(Status{State: Done, TestAcc: 0}); return b }, 0},
		{"v2 not measured", func() []byte { b, _ := encodeStatus(Status{State: Running, TestAcc: math.NaN()}); return b }, math.NaN()},
		{"v2 value", func() []byte { b, _ := encodeStatus(Status{State: Done, TestAcc: 0.25}); return b }, 0.25},
		{"v1 zero", func() []byte { return statusV1(t, Status{State: Failed, TestAcc: 0}) }, math.NaN()},
		{"v1 value", func() []byte { return statusV1(t, Status{State: Done, TestAcc: 0.25}) }, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := decodeStatus(tt.rec())
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits64(s.TestAcc, tt.want) {
				t.Errorf("TestAcc %v, want %v", s.TestAcc, tt.want)
			}
		})
	}
	rec := statusV1(t, Status{State: Done})
	rec[1] = 3
	if _, err := decodeStatus(rec); !errors.Is(err, ErrVersion) && !errors.Is(err, ErrCorrupt) {
		t.Errorf("version 3: %v, want ErrVersion or ErrCorrupt", err)
	}
}

// TestCreateWithFirstCommit: the first commit is in the new run.db from
// the start, and a commit that cannot be encoded leaves no run.
func TestCreateWithFirstCommit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	first := Commit{
		Rows:       []Row{{Step: 4, Values: map[string]float64{"acc": 0.5}}},
		Checkpoint: &Checkpoint{Step: 4, Time: testTime, Weights: []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{2}}}},
		Status:     &Status{State: Running, Step: 4, Total: 10, Updated: testTime, TestAcc: 0.5},
	}
	r, err := CreateWith(dir, Info{Name: "t", Created: testTime}, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Status()
	if err != nil || st.Step != 4 || st.TestAcc != 0.5 {
		t.Errorf("status %+v, %v", st, err)
	}
	ck, err := r.Latest()
	if err != nil || ck.Step != 4 || ck.Weights[0].Data[0] != 2 {
		t.Errorf("latest %+v, %v", ck, err)
	}
	rows, err := r.Rows()
	if err != nil || len(rows) != 1 || rows[0].Values["acc"] != 0.5 {
		t.Errorf("rows %v, %v", rows, err)
	}

	bad := filepath.Join(t.TempDir(), "bad")
	_, err = CreateWith(bad, Info{Name: "t"}, Commit{Status: &Status{State: "finished"}}, nil)
	if err == nil {
		t.Fatal("a bad first status created a run")
	}
	if _, err := Open(bad, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("after a failed create: %v, want ErrNotFound", err)
	}
}

// TestLockBeforeCreate: the lock of a directory can be held before its
// run exists, and excludes a second holder.
func TestLockBeforeCreate(t *testing.T) {
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); !errors.Is(err, ErrLocked) {
		t.Errorf("second lock: %v, want ErrLocked", err)
	}
	r, err := Create(dir, Info{Name: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if live, err := r.Live(); err != nil || !live {
		t.Errorf("Live() = %v, %v while the lock is held", live, err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if st, err := r.Status(); err != nil || !math.IsNaN(st.TestAcc) {
		t.Errorf("a new run's status %+v, %v: want TestAcc NaN", st, err)
	}
}
