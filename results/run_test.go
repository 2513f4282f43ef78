package results

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestCreateOpenInfo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "seed-7")
	want := testInfo("wide")
	want.Parent, want.ParentStep = "../other/seed-7", 500
	if _, err := Create(dir, want, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", r.Dir(), dir)
	}
	got, err := r.Info()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(want.Created) {
		t.Errorf("Created = %v, want %v", got.Created, want.Created)
	}
	got.Created = want.Created
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
	st, err := r.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.State != Running || !st.Updated.Equal(want.Created) {
		t.Errorf("initial Status() = %+v, want Running updated at creation", st)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != dbName {
		t.Errorf("run directory holds %v, want only %s", entries, dbName)
	}
}

func TestCreateExisting(t *testing.T) {
	r := newTestRun(t)
	before := fileSHA(t, filepath.Join(r.Dir(), dbName))
	if _, err := Create(r.Dir(), testInfo("again"), nil); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: err = %v, want ErrExists", err)
	}
	if after := fileSHA(t, filepath.Join(r.Dir(), dbName)); after != before {
		t.Error("second Create changed run.db")
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(t.TempDir(), nil)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestSetStatus(t *testing.T) {
	r := newTestRun(t)
	want := Status{State: Failed, Step: 30, Total: 100, Reason: "loss diverged", Updated: testTime, TestAcc: math.NaN()}
	if err := r.SetStatus(want); err != nil {
		t.Fatal(err)
	}
	got, err := r.Status()
	if err != nil {
		t.Fatal(err)
	}
	if got.State != want.State || got.Step != want.Step || got.Reason != want.Reason || !math.IsNaN(got.TestAcc) {
		t.Errorf("Status() = %+v, want %+v", got, want)
	}
	if err := r.SetStatus(Status{State: "paused"}); err == nil {
		t.Error("SetStatus accepted an unknown state")
	}
}

func TestRowsMergeSeriesKeys(t *testing.T) {
	r := newTestRun(t)
	commits := []Commit{
		{Rows: []Row{{Step: 20, Values: map[string]float64{"loss": 2}}, {Step: 10, Values: map[string]float64{"loss": 3, "acc": 0.1}}}},
		{Rows: []Row{{Step: 10, Values: map[string]float64{"acc": 0.2, "csi": math.Inf(1)}}, {Step: 30, Values: map[string]float64{"loss": math.NaN()}}}},
	}
	for _, c := range commits {
		if err := r.Commit(c); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := r.Rows()
	if err != nil {
		t.Fatal(err)
	}
	steps := make([]int, len(rows))
	for i, row := range rows {
		steps[i] = row.Step
	}
	if !slices.Equal(steps, []int{10, 20, 30}) {
		t.Fatalf("row steps = %v, want [10 20 30]", steps)
	}
	if v := rows[0].Values; len(v) != 3 || v["loss"] != 3 || v["acc"] != 0.2 || !math.IsInf(v["csi"], 1) {
		t.Errorf("merged row 10 = %v, want loss 3, acc 0.2, csi +Inf", v)
	}
	s, vals, err := r.Series("loss")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s, []int{10, 20, 30}) || vals[0] != 3 || vals[1] != 2 || !math.IsNaN(vals[2]) {
		t.Errorf("Series(loss) = %v, %v", s, vals)
	}
	keys, err := r.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"acc", "csi", "loss"}) {
		t.Errorf("Keys() = %v", keys)
	}
}

func TestAnalysisKeptApart(t *testing.T) {
	r := newTestRun(t)
	if err := r.Commit(Commit{Rows: []Row{{Step: 5, Values: map[string]float64{"loss": 1}}}}); err != nil {
		t.Fatal(err)
	}
	puts := []struct {
		step    int
		version string
		vals    map[string]float64
	}{
		{5, "v1.0", map[string]float64{"csi": 0.5}},
		{5, "v1.0", map[string]float64{"cka": 0.25}},
		{0, "v1.0", map[string]float64{"csi": 0}},
		{5, "v1.1", map[string]float64{"csi": 0.75}},
	}
	for _, p := range puts {
		if err := r.PutAnalysis(p.step, p.version, p.vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.PutAnalysis(1, "", map[string]float64{"x": 1}); err == nil {
		t.Error("PutAnalysis accepted an empty version")
	}
	vs, err := r.AnalysisVersions()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vs, []string{"v1.0", "v1.1"}) {
		t.Errorf("AnalysisVersions() = %v", vs)
	}
	rows, err := r.Analysis("v1.0")
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Step: 0, Values: map[string]float64{"csi": 0}}, {Step: 5, Values: map[string]float64{"csi": 0.5, "cka": 0.25}}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("Analysis(v1.0) = %v, want %v", rows, want)
	}
	keys, err := r.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"loss"}) {
		t.Errorf("training Keys() = %v, want only [loss]", keys)
	}
	if rows, err := r.Analysis("v9"); err != nil || rows != nil {
		t.Errorf("Analysis(v9) = %v, %v; want none", rows, err)
	}
}

func TestNegativeStep(t *testing.T) {
	r := newTestRun(t)
	if err := r.Commit(Commit{Rows: []Row{{Step: -1}}}); err == nil {
		t.Error("Commit accepted a negative step")
	}
	if err := r.Commit(Commit{Checkpoint: testCheckpoint(-2, 8)}); err == nil {
		t.Error("Commit accepted a checkpoint at a negative step")
	}
}

func TestKernelChanges(t *testing.T) {
	info := testInfo("k")
	info.Kernel = "pure-go/avx2-fma/amd64.v1"
	r, err := Create(filepath.Join(t.TempDir(), "run"), info, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := r.Kernel(); err != nil || k != info.Kernel {
		t.Fatalf("Kernel() = %q, %v", k, err)
	}
	want := []KernelChange{
		{Step: 3, From: info.Kernel, To: "pure-go/generic/amd64.v1", Time: testTime},
		{Step: 9, From: "pure-go/generic/amd64.v1", To: "openblas-haswell/avx2-fma/amd64.v1", Time: testTime},
	}
	for _, k := range want {
		if err := r.Commit(Commit{KernelChange: &k}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.KernelChanges()
	if err != nil || len(got) != 2 {
		t.Fatalf("KernelChanges() = %+v, %v", got, err)
	}
	for i := range want {
		if got[i].Step != want[i].Step || got[i].From != want[i].From || got[i].To != want[i].To || !got[i].Time.Equal(want[i].Time) {
			t.Errorf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if k, _ := r.Kernel(); k != want[1].To {
		t.Errorf("Kernel() after changes = %q", k)
	}
	if err := r.Verify(); err != nil {
		t.Error(err)
	}
}
