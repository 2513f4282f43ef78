package results

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var updateFlag = flag.Bool("update", false, "rewrite testdata/"+currentGolden)

// The golden run stores in testdata, each with the payload version of its
// row records. Every file written by an earlier version stays, so that
// later versions keep reading old runs; -update rewrites only the current
// one, and only when a record version or the layout changes.
const currentGolden = "format1-rows2.bolt"

var goldens = []struct {
	file       string
	rowVersion byte
}{
	{"format1.bolt", 1}, // rows without their step; never rewrite
	{currentGolden, rowVersion},
}

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

// TestFormat1Golden reads the runs written by earlier and current
// versions of this package and stored in testdata.
func TestFormat1Golden(t *testing.T) {
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
		writeFile(t, filepath.Join("testdata", currentGolden), b)
	}
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) { checkGolden(t, g.file, g.rowVersion) })
	}
}

func checkGolden(t *testing.T, file string, rowVersion byte) {
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, dbName), b)
	db, err := bolt.Open(filepath.Join(dir, dbName), 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRows).ForEach(func(k, v []byte) error {
			if v[1] != rowVersion {
				t.Errorf("row %x has record version %d, want %d", k, v[1], rowVersion)
			}
			return nil
		})
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil || len(rows) != 2 || rows[0].Step != 0 || rows[1].Step != 10 ||
		!math.IsNaN(rows[0].Values["acc"]) || !math.IsInf(rows[1].Values["csi"], 1) {
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
