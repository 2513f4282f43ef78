package experiments

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"branchspec/results"
)

// TestNewLoadedRunIsLoadRuns builds a RunSet from runs read the way a
// viewer reads them (results.Find, Snapshot, NewLoadedRun, SkipReason)
// and checks that it compares exactly as LoadRuns' set does.
func TestNewLoadedRunIsLoadRuns(t *testing.T) {
	root := fixture(t)
	want, err := LoadRuns([]string{root}, GroupByRegime)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := results.Find(root)
	if err != nil {
		t.Fatal(err)
	}
	got := &RunSet{}
	for _, d := range dirs {
		run, err := results.Open(d, nil)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := run.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		live, _ := run.Live()
		s := results.Summary{Dir: d, Info: snap.Info, Status: snap.Status, Live: live}
		if reason := SkipReason(s, len(snap.Rows)); reason != "" {
			got.Skipped = append(got.Skipped, SkippedRun{Dir: d, Group: GroupOf(snap.Info, GroupByRegime), State: string(snap.Status.State),
				Step: snap.Status.Step, Total: snap.Status.Total, Reason: reason})
			continue
		}
		got.Runs = append(got.Runs, NewLoadedRun(s, snap.Rows, GroupByRegime))
	}
	opts := CompareOptions{BootSeed: 3, Resamples: 200, Permutations: 100}
	a, err := Compare(want, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compare(got, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ja, jb bytes.Buffer
	if err := a.WriteJSON(&ja); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja.Bytes(), jb.Bytes()) {
		t.Errorf("the comparison of runs read with NewLoadedRun differs from LoadRuns':\n%s\nvs\n%s", jb.String(), ja.String())
	}
}

func TestSkipReason(t *testing.T) {
	for _, c := range []struct {
		s    results.Summary
		rows int
		want string
	}{
		{results.Summary{Status: results.Status{State: results.Done}}, 3, ""},
		{results.Summary{Status: results.Status{State: results.Done}}, 0, "no metric rows"},
		{results.Summary{Status: results.Status{State: results.Running}, Live: true}, 3, "still training"},
		{results.Summary{Dir: "d", Status: results.Status{State: results.Running}}, 3, "interrupted (resume with: branchspec resume d)"},
		{results.Summary{Status: results.Status{State: results.Failed, Reason: "NaN"}}, 3, "failed: NaN"},
		{results.Summary{Status: results.Status{State: results.Stopped, Reason: "--stop-at 4"}}, 3, "stopped: --stop-at 4"},
		{results.Summary{Err: errors.New("corrupt run store")}, 0, "corrupt run store"},
	} {
		if got := SkipReason(c.s, c.rows); got != c.want {
			t.Errorf("SkipReason(%+v, %d) = %q, want %q", c.s, c.rows, got, c.want)
		}
	}
}

// TestCompareCurvesIsCompare checks that CompareCurves gives Compare's
// values and curve points, bit for bit, and nothing else.
func TestCompareCurvesIsCompare(t *testing.T) {
	set, err := LoadRuns([]string{fixture(t)}, "")
	if err != nil {
		t.Fatal(err)
	}
	opts := CompareOptions{Metrics: []string{"test.acc", "chroma.a0"}, BootSeed: 5, Resamples: 300}
	full, err := Compare(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := CompareCurves(set, opts)
	if !reflect.DeepEqual(c.Curves, full.Curves) || !reflect.DeepEqual(c.Values, full.Values) || !reflect.DeepEqual(c.Groups, full.Groups) {
		t.Error("CompareCurves' curves, values or groups differ from Compare's")
	}
	if len(c.Curves) == 0 || len(c.Contrasts) != 0 || len(c.Feedback) != 0 {
		t.Errorf("CompareCurves: %d curve points, %d contrasts, %d feedback rows; want curves only", len(c.Curves), len(c.Contrasts), len(c.Feedback))
	}
	if e := CompareCurves(&RunSet{}, opts); len(e.Curves) != 0 || len(e.Groups) != 0 {
		t.Errorf("CompareCurves of no runs: %+v", e)
	}
}

// TestLearnedKernels: the learned kernels are the checkpoint's first-layer
// weights less the step-0 checkpoint's (the stored w_0), exactly, and zero
// at step 0.
func TestLearnedKernels(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=8", `checkpoint.keep="all"`)
	dir := must(Start(context.Background(), cfg, t.TempDir(), Options{}))
	w8, _, _, _, err := FirstLayerKernels(dir, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	w0, _, _, _, err := FirstLayerKernels(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	d8, _, _, at, err := firstLayerKernels(dir, 8, nil, true, nil)
	if err != nil || at != 8 {
		t.Fatalf("learned kernels at step %d: %v", at, err)
	}
	moved := false
	for b := range w8 {
		for i := range w8[b] {
			if want := w8[b][i] - w0[b][i]; d8[b][i] != want {
				t.Fatalf("branch %d tap %d: learned %g, want %g - %g", b, i, d8[b][i], w8[b][i], w0[b][i])
			}
			moved = moved || d8[b][i] != 0
		}
	}
	if !moved {
		t.Error("training moved no first-layer weight")
	}
	d0, _, _, _, err := firstLayerKernels(dir, 0, nil, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for b := range d0 {
		for i, v := range d0[b] {
			if v != 0 {
				t.Fatalf("branch %d tap %d: learned %g at step 0, want 0", b, i, v)
			}
		}
	}
}

// TestWriteKernelGrid checks that DrawKernels writes WriteKernelGrid's
// PNG, that an aligned order swaps the branch blocks pixel for pixel,
// and that a short timeout gives results.ErrTimeout during a commit.
func TestWriteKernelGrid(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=8")
	dir := must(Start(context.Background(), cfg, t.TempDir(), Options{}))
	var plain, swapped bytes.Buffer
	blocks, at, err := WriteKernelGrid(&plain, dir, KernelGridOptions{Step: -1, Scale: 3})
	if err != nil || blocks != 2 || at != 8 {
		t.Fatalf("WriteKernelGrid = %d blocks at step %d, %v; want 2 at 8", blocks, at, err)
	}
	if _, _, err := WriteKernelGrid(&swapped, dir, KernelGridOptions{Step: 8, Scale: 3, Order: []int{1, 0}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "k.png")
	if _, _, err := DrawKernels(dir, KernelGridOptions{Step: 8, Scale: 3}, file); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(file); err != nil || !bytes.Equal(b, plain.Bytes()) {
		t.Errorf("DrawKernels wrote other bytes than WriteKernelGrid (%v)", err)
	}
	a, err := png.Decode(&plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.Decode(&swapped)
	if err != nil {
		t.Fatal(err)
	}
	// tiny: 4 kernels of 3x3 per branch in one row; cells of 3*3+2 pixels
	// below a 2-pixel margin, blocks 12 pixels apart (figures defaults).
	const cell, gap, branch = 3*3 + 2, 2, 12
	top := image.Rect(0, gap, a.Bounds().Dx(), gap+cell)
	bottom := top.Add(image.Pt(0, cell+branch))
	if a.Bounds() != b.Bounds() || bottom.Max.Y > a.Bounds().Max.Y {
		t.Fatalf("bounds %v and %v; want equal, holding two blocks", a.Bounds(), b.Bounds())
	}
	if !samePixels(a, bottom, b, top) || !samePixels(a, top, b, bottom) || samePixels(a, top, a, bottom) {
		t.Error("order [1 0] does not swap the two branch blocks")
	}

	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := run.Latest()
	if err != nil {
		t.Fatal(err)
	}
	inTx, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	next := *ck
	next.Step++
	go func() {
		done <- run.Commit(results.Commit{Checkpoint: &next, Retain: func(int, []int) bool {
			once.Do(func() { close(inTx) })
			<-release
			return true
		}})
	}()
	<-inTx
	start := time.Now()
	var w bytes.Buffer
	_, _, err = WriteKernelGrid(&w, dir, KernelGridOptions{Step: 8, Timeout: 10 * time.Millisecond})
	if elapsed := time.Since(start); !errors.Is(err, results.ErrTimeout) || elapsed > time.Second || w.Len() != 0 {
		t.Errorf("during a commit: %v after %v, %d bytes written; want ErrTimeout at once and nothing", err, elapsed, w.Len())
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// samePixels reports whether region ra of a equals region rb of b.
func samePixels(a image.Image, ra image.Rectangle, b image.Image, rb image.Rectangle) bool {
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			if a.At(ra.Min.X+x, ra.Min.Y+y) != b.At(rb.Min.X+x, rb.Min.Y+y) {
				return false
			}
		}
	}
	return true
}
