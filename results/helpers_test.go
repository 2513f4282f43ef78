package results

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testTime is a fixed clock reading for tests.
var testTime = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

// testInfo is the Info of runs created by tests.
func testInfo(name string) Info {
	return Info{
		Name: name, Seed: 7,
		ConfigText: []byte("name = \"" + name + "\"\n"), ConfigHash: "abc123",
		Version: "test", Created: testTime,
		Extra: map[string]string{"experiment": "unit"},
	}
}

// newTestRun creates a run in a fresh temporary directory.
func newTestRun(t *testing.T) *Run {
	t.Helper()
	r, err := Create(filepath.Join(t.TempDir(), "run"), testInfo("t"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// testWeights returns tensors of about floats values in total, determined
// by step, so a checker can rebuild what a writer committed.
func testWeights(step, floats int) []Tensor {
	names := []string{"stem.0.w", "branch.0.0.w", "branch.1.0.w", "out.w"}
	per := max(floats/len(names), 1)
	ts := make([]Tensor, len(names))
	for i, name := range names {
		data := make([]float32, per)
		for j := range data {
			data[j] = float32(step) + float32(i)*0.25 + float32(j)*1e-4
		}
		ts[i] = Tensor{Name: name, Shape: []int{per}, Data: data}
	}
	return ts
}

// testCheckpoint is a checkpoint at step with weights of floats values.
func testCheckpoint(step, floats int) *Checkpoint {
	return &Checkpoint{
		Step:    step,
		Time:    testTime.Add(time.Duration(step) * time.Second),
		Weights: testWeights(step, floats),
		Solver:  []Tensor{{Name: "momentum", Shape: []int{2}, Data: []float32{float32(step), -1}}},
		Blobs:   map[string][]byte{"rng.init": {byte(step), 1, 2}, "cursor": []byte("epoch 3")},
	}
}

// fileSHA returns the hex SHA-256 of the file at path.
func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sameBits64 reports whether a and b are bit-identical.
func sameBits64(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// sameTensors reports whether a and b hold the same names, shapes and bits.
func sameTensors(a, b []Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Shape) != len(b[i].Shape) || len(a[i].Data) != len(b[i].Data) {
			return false
		}
		for j := range a[i].Shape {
			if a[i].Shape[j] != b[i].Shape[j] {
				return false
			}
		}
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				return false
			}
		}
	}
	return true
}
