package results

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"testing"
)

func TestWeightsSHA256Golden(t *testing.T) {
	// Values computed with Python's struct and hashlib from the byte layout
	// documented on WeightsSHA256.
	tests := []struct {
		name string
		ts   []Tensor
		want string
	}{
		{"none", nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"two tensors", []Tensor{
			{Name: "stem.0.w", Shape: []int{2, 1, 1, 2}, Data: []float32{1, -0.5, 0, 3.25}},
			{Name: "out.b", Shape: []int{3}, Data: []float32{-1, 0.125, 1e-3}},
		}, "d358960158df349fbebd1fc849db76ceda44722c435c8303bd0f646e4838f7b7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WeightsSHA256(tt.ts); got != tt.want {
				t.Errorf("WeightsSHA256 = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	r := newTestRun(t)
	if _, err := r.Latest(); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Latest on a new run: err = %v, want ErrNoCheckpoint", err)
	}
	want := testCheckpoint(100, 4096)
	if err := r.Commit(Commit{Checkpoint: want}); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() (*Checkpoint, error){
		"Checkpoint": func() (*Checkpoint, error) { return r.Checkpoint(100) },
		"Latest":     r.Latest,
	} {
		got, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Step != 100 || !got.Time.Equal(want.Time) || !sameTensors(got.Weights, want.Weights) ||
			!sameTensors(got.Solver, want.Solver) || !maps.EqualFunc(got.Blobs, want.Blobs, bytes.Equal) {
			t.Errorf("%s: round trip differs", name)
		}
	}
	if _, err := r.Checkpoint(99); !errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("Checkpoint(99): err = %v, want ErrNoCheckpoint", err)
	}
	infos, err := r.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].WeightsSHA256 != WeightsSHA256(want.Weights) || !infos[0].HasWeights || infos[0].Bytes < 4*4096 {
		t.Errorf("Checkpoints() = %+v", infos)
	}
}

func TestCheckpointReplaced(t *testing.T) {
	r := newTestRun(t)
	first, second := testCheckpoint(10, 64), testCheckpoint(11, 32)
	second.Step = 10
	second.Blobs = nil
	for _, c := range []*Checkpoint{first, second} {
		if err := r.Commit(Commit{Checkpoint: c}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.Checkpoint(10)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTensors(got.Weights, second.Weights) || got.Blobs != nil {
		t.Error("second commit at step 10 did not replace the first")
	}
}

func TestRetention(t *testing.T) {
	r := newTestRun(t)
	// Keep every 100th step and the two most recent checkpoints.
	keep := func(step int, all []int) bool {
		return step%100 == 0 || slices.Index(all, step) >= len(all)-2
	}
	var calls int
	counting := func(step int, all []int) bool {
		calls++
		return keep(step, all)
	}
	for step := 50; step <= 300; step += 50 {
		if err := r.Commit(Commit{Checkpoint: testCheckpoint(step, 256), Retain: counting}); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := r.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	var kept, pruned []int
	for _, info := range infos {
		if info.WeightsSHA256 != WeightsSHA256(testWeights(info.Step, 256)) {
			t.Errorf("checkpoint %d lost its SHA-256", info.Step)
		}
		if info.HasWeights {
			kept = append(kept, info.Step)
		} else {
			pruned = append(pruned, info.Step)
		}
	}
	if !slices.Equal(kept, []int{100, 200, 250, 300}) || !slices.Equal(pruned, []int{50, 150}) {
		t.Errorf("kept %v, pruned %v; want kept [100 200 250 300], pruned [50 150]", kept, pruned)
	}
	c, err := r.Checkpoint(150)
	if !errors.Is(err, ErrPruned) {
		t.Fatalf("Checkpoint(150): err = %v, want ErrPruned", err)
	}
	if c == nil || c.Weights != nil || c.Solver != nil || !bytes.Equal(c.Blobs["rng.init"], []byte{150, 1, 2}) {
		t.Errorf("pruned checkpoint = %+v, want blobs without weights", c)
	}
	// Pruned checkpoints are not offered to Retain again, and the newest
	// never is: the commits saw 0+1+2+2+3+3 candidates.
	if calls != 11 {
		t.Errorf("Retain called %d times, want 11", calls)
	}
	// Rejecting everything still keeps the newest.
	if err := r.Commit(Commit{Retain: func(int, []int) bool { return false }}); err != nil {
		t.Fatal(err)
	}
	if c, err := r.Latest(); err != nil || c.Step != 300 {
		t.Errorf("Latest after pruning all = %v, %v; want step 300", c, err)
	}
	if err := r.Verify(); err != nil {
		t.Error(err)
	}
}
