package results

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var updateFlag = flag.Bool("update", false, "rewrite testdata/format1.bolt")

// goldenCommits are the commits stored in testdata/format1.bolt.
func goldenCommits() []Commit {
	return []Commit{
		{
			Rows:       []Row{{Step: 0, Values: map[string]float64{"loss": 2.3, "acc": math.NaN()}}},
			Checkpoint: &Checkpoint{Step: 0, Time: testTime, Weights: []Tensor{{Name: "out.b", Shape: []int{2}, Data: []float32{0.5, -0.25}}}},
		},
		{
			Rows:       []Row{{Step: 10, Values: map[string]float64{"loss": 1.5, "acc": 0.5, "csi": math.Inf(1)}}},
			Checkpoint: &Checkpoint{Step: 10, Time: testTime, Weights: []Tensor{{Name: "out.b", Shape: []int{2}, Data: []float32{1, 2}}}, Blobs: map[string][]byte{"rng": {9}}},
			Status:     &Status{State: Done, Step: 10, Total: 10, Updated: testTime, TestAcc: 0.5},
			Retain:     func(int, []int) bool { return false },
		},
	}
}

// TestFormat1Golden reads a run written by format 1 of this package and
// stored in testdata, so that later versions keep reading old runs.
// Refresh it (only when the format version changes) with -update.
func TestFormat1Golden(t *testing.T) {
	golden := filepath.Join("testdata", "format1.bolt")
	if *updateFlag {
		r := newTestRun(t)
		for _, c := range goldenCommits() {
			if err := r.Commit(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.PutAnalysis(10, "v0", map[string]float64{"cka": 0.125}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(r.Dir(), dbName))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, golden, b)
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, dbName), b)
	r, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
	info, err := r.Info()
	if err != nil || info.Name != "t" || !info.Created.Equal(testTime) || info.Extra["experiment"] != "unit" {
		t.Errorf("Info() = %+v, %v", info, err)
	}
	st, err := r.Status()
	if err != nil || st.State != Done || st.Step != 10 || st.TestAcc != 0.5 {
		t.Errorf("Status() = %+v, %v", st, err)
	}
	rows, err := r.Rows()
	if err != nil || len(rows) != 2 || !math.IsNaN(rows[0].Values["acc"]) || !math.IsInf(rows[1].Values["csi"], 1) {
		t.Errorf("Rows() = %v, %v", rows, err)
	}
	infos, err := r.Checkpoints()
	if err != nil || len(infos) != 2 || infos[0].HasWeights || !infos[1].HasWeights ||
		infos[0].WeightsSHA256 != WeightsSHA256(goldenCommits()[0].Checkpoint.Weights) {
		t.Errorf("Checkpoints() = %+v, %v", infos, err)
	}
	c, err := r.Latest()
	if err != nil || !sameTensors(c.Weights, goldenCommits()[1].Checkpoint.Weights) || !bytes.Equal(c.Blobs["rng"], []byte{9}) {
		t.Errorf("Latest() = %+v, %v", c, err)
	}
	an, err := r.Analysis("v0")
	if err != nil || len(an) != 1 || an[0].Step != 10 || an[0].Values["cka"] != 0.125 {
		t.Errorf("Analysis(v0) = %v, %v", an, err)
	}
}
