package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestManifestFork: a fork regime's entry names its parent's entry, as the
// pods see it too; a fork that names no earlier entry is refused.
func TestManifestFork(t *testing.T) {
	_, specs := forkSweep(t, "/home/u/out")
	m := NewManifest("h", specs)
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := WriteManifest(path, m); err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		r, err := ReadManifestRun(context.Background(), path, s.Index)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Parent, s.Parent) {
			t.Errorf("entry %d: parent %+v, want %+v", s.Index, r.Parent, s.Parent)
		}
	}
	pods, err := m.Rebase("/home/u/out", "/results")
	if err != nil {
		t.Fatal(err)
	}
	if f := pods.Runs[3].Fork; f == nil || f.Dir != "/results/h/bias/seed-2" || f.Index != 1 || f.At != 10 || m.Runs[3].Fork.Dir != specs[1].Dir {
		t.Errorf("rebased fork %+v; the original's %+v", f, m.Runs[3].Fork)
	}
	if ManifestDigest(m) == ManifestDigest(NewManifest("h", slices.Concat(specs[:2], []RunSpec{withParent(specs[2], nil), specs[3]}))) {
		t.Error("the digest does not depend on where the forks start")
	}
	for _, edit := range []func(f *ManifestFork){
		func(f *ManifestFork) { f.Index = 3 },
		func(f *ManifestFork) { f.Index = -1 },
		func(f *ManifestFork) { f.Dir = "/elsewhere" },
		func(f *ManifestFork) { f.ConfigHash = "0123" },
	} {
		bad := NewManifest("h", specs)
		edit(bad.Runs[3].Fork)
		if err := WriteManifest(path, bad); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadManifestRun(context.Background(), path, 3); err == nil || !strings.Contains(err.Error(), "names no earlier entry") {
			t.Errorf("fork %+v: %v", *bad.Runs[3].Fork, err)
		}
	}
}

func withParent(s RunSpec, p *ParentRun) RunSpec {
	s.Parent = p
	return s
}

// TestManifestForkWaits: a fork's task fails at once while its parent has
// not reached the fork step, or with a poll interval waits for it, and
// then makes the fork Fork makes; a waiting task ends on cancel.
func TestManifestForkWaits(t *testing.T) {
	out := t.TempDir()
	e, specs := forkSweep(t, out)
	path := filepath.Join(out, "manifest.json")
	if err := WriteManifest(path, NewManifest(e.Name, specs)); err != nil {
		t.Fatal(err)
	}
	task := func(i int) *ManifestRun {
		r, err := ReadManifestRun(context.Background(), path, i)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if _, err := task(2).Ensure(context.Background(), Options{}, 0); !errors.Is(err, ErrParentNotReady) {
		t.Fatalf("before the parent: %v, want ErrParentNotReady", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := task(2).Ensure(ctx, Options{}, 10*time.Millisecond); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("cancelled while waiting: %v, want ErrInterrupted", err)
	}
	// The parent trains while the fork's task waits.
	said := &syncWriter{}
	done := make(chan error, 1)
	go func() {
		_, err := task(2).Ensure(context.Background(), Options{Progress: said}, 10*time.Millisecond)
		done <- err
	}()
	// heard waits until the task has said what it waits for.
	heard := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); !strings.Contains(said.String(), what); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the waiting task did not say %q:\n%s", what, said.String())
			}
		}
	}
	heard("holds no run yet")
	if _, err := task(0).Ensure(context.Background(), Options{StopAt: 8}, 0); err != nil {
		t.Fatal(err)
	}
	heard("stopped at step 8")
	if _, err := task(0).Ensure(context.Background(), Options{}, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the fork's task still waits a minute after its parent is done")
	}
	for _, want := range []string{
		"waiting (checked every 10ms): the parent run has not reached the fork step yet: " + specs[0].Dir + " holds no run yet (the fork starts at its step 10)\n",
		"waiting (checked every 10ms): the parent run has not reached the fork step yet: " + specs[0].Dir + " is stopped at step 8 of 20, the fork starts at 10\n",
	} {
		if !strings.Contains(said.String(), want) {
			t.Errorf("the task did not say %q:\n%s", want, said.String())
		}
	}
	refs := manualForks(t, e, specs[:3], t.TempDir())
	sameFork(t, specs[2].Dir, refs[2])
}

// syncWriter is a writer that goroutines share.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// forkJob is a Slurm job of 8 tasks: 4 trained from scratch, 2 forks of
// those, 2 forks of the forks.
func forkJob() SlurmJob {
	j := testSlurmJob()
	j.Tasks, j.Stages = 8, []int{4, 6}
	return j
}

func TestSlurmScriptStages(t *testing.T) {
	j := forkJob()
	s, err := j.Script()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep-forks.sbatch", []byte(s))
	if !strings.Contains(s, "\n#SBATCH --array=0-3%2\n") {
		t.Error("the script's own array is not the first stage's")
	}
	want := [][]string{
		{"sbatch", "--parsable", "--array=0-3%2", "/x/s.sbatch"},
		{"sbatch", "--parsable", "--array=4-5%2", "--dependency=afterany:41", "/x/s.sbatch"},
		{"sbatch", "--parsable", "--array=6-7%2", "--dependency=afterany:42", "/x/s.sbatch"},
	}
	if j.StageCount() != 3 {
		t.Fatalf("%d stages", j.StageCount())
	}
	for k, w := range want {
		if got := j.SbatchArgs("/x/s.sbatch", k, strconv.Itoa(40+k)); !slices.Equal(got, w) {
			t.Errorf("stage %d: %q, want %q", k, got, w)
		}
	}
	for _, bad := range [][]int{{0}, {8}, {6, 4}, {4, 4}} {
		j.Stages = bad
		if _, err := j.Script(); err == nil || !strings.Contains(err.Error(), "want ascending first tasks in 1..7") {
			t.Errorf("stages %v: %v", bad, err)
		}
	}
}

// TestPlanSlurmForks: a sweep with fork regimes is one array per level of
// forks, each submitted after the one before; specs out of that order are
// refused.
func TestPlanSlurmForks(t *testing.T) {
	out := t.TempDir()
	specs := hysteresisRuns(t, out)
	p, err := PlanSlurm("h", specs, out, SlurmOptions{Exe: "/opt/branchspec", Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"sbatch", "--parsable", "--array=0-3%3", p.Job},
		{"sbatch", "--parsable", "--array=4-5%3", "--dependency=afterany:$PREVIOUS_JOB", p.Job},
		{"sbatch", "--parsable", "--array=6-7%3", "--dependency=afterany:$PREVIOUS_JOB", p.Job},
	}
	if !reflect.DeepEqual(p.Submit, want) || !slices.Equal(p.Stages, []int{4, 6}) {
		t.Errorf("submit %q, stages %v; want %q", p.Submit, p.Stages, want)
	}
	if !strings.Contains(string(p.JobText), "# Tasks 4-5, then 6-7 are runs of fork regimes") {
		t.Errorf("script:\n%s", p.JobText)
	}
	// Submitting: each array after the one before, by its id.
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	writeExe(t, filepath.Join(bin, "sbatch"), "#!/bin/sh\necho \"$@\" >>"+calls+"\nn=$(wc -l <"+calls+")\necho \"$((76 + n));cluster\"\n")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ids, err := p.SubmitSlurm(context.Background())
	if err != nil || !slices.Equal(ids, []string{"77", "78", "79"}) {
		t.Fatalf("ids %v, %v", ids, err)
	}
	got, _ := os.ReadFile(calls)
	if w := "--parsable --array=0-3%3 " + p.Job + "\n--parsable --array=4-5%3 --dependency=afterany:77 " + p.Job +
		"\n--parsable --array=6-7%3 --dependency=afterany:78 " + p.Job + "\n"; string(got) != w {
		t.Errorf("sbatch calls:\n%s\nwant\n%s", got, w)
	}
	// A fork before its parent, and a fork of a fork in the first level.
	swapped := slices.Clone(specs)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	swapped[3].Index, swapped[4].Index = 3, 4
	if _, err := PlanSlurm("h", swapped, out, SlurmOptions{Exe: "/x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a fork before its level: %v, want ErrInvalid", err)
	}
	skipped := slices.Concat(specs[:4], specs[6:])
	for i := range skipped {
		skipped[i].Index = i
	}
	if _, err := PlanSlurm("h", skipped, out, SlurmOptions{Exe: "/x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a fork whose parent is not in the sweep: %v, want ErrInvalid", err)
	}
}

// TestPlanK8sForks: a sweep with fork regimes is a List of Jobs, one per
// level of forks; a fork Job's pod I trains entry First+I and waits for
// its parent.
func TestPlanK8sForks(t *testing.T) {
	out := t.TempDir()
	specs := hysteresisRuns(t, out)
	p, err := PlanK8s("h", specs, out, K8sOptions{Image: "img", Claim: "c", Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		APIVersion, Kind string
		Items            []struct {
			Kind     string
			Metadata struct{ Name string }
			Spec     struct {
				Completions, Parallelism int
				Template                 struct {
					Spec struct{ Containers []struct{ Command []string } }
				}
			}
		}
	}
	if err := json.Unmarshal(p.JobText, &list); err != nil {
		t.Fatal(err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" || len(list.Items) != 3 {
		t.Fatalf("%s", p.JobText)
	}
	digest := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p.Manifest), "manifest-"), ".json")[:8]
	base := []string{"branchspec", "run", "--manifest", p.PodManifest, "--index", "$(JOB_COMPLETION_INDEX)"}
	want := []struct {
		name        string
		completions int
		command     []string
	}{
		{"h-" + digest, 4, base},
		{"h-" + digest + "-forks1", 2, slices.Concat(base, []string{"--index-offset", "4", "--wait-parent", "30s"})},
		{"h-" + digest + "-forks2", 2, slices.Concat(base, []string{"--index-offset", "6", "--wait-parent", "30s"})},
	}
	for k, w := range want {
		it := list.Items[k]
		if it.Kind != "Job" || it.Metadata.Name != w.name || it.Spec.Completions != w.completions || it.Spec.Parallelism != min(3, w.completions) ||
			!slices.Equal(it.Spec.Template.Spec.Containers[0].Command, w.command) {
			t.Errorf("job %d: %s %+v; want %+v", k, it.Metadata.Name, it.Spec, w)
		}
	}
}

// TestStageJobName: the names of a sweep's Jobs are DNS labels that keep
// the digest and the level whatever the experiment's name.
func TestStageJobName(t *testing.T) {
	long := strings.Repeat("ab-", 30)
	tests := []struct {
		exp  string
		k    int
		want string
	}{
		{"Feedback_Loop", 0, "feedback-loop-0123abcd"},
		{"Feedback_Loop", 2, "feedback-loop-0123abcd-forks2"},
		{"___", 1, "0123abcd-forks1"},
		{long, 0, strings.TrimRight(long[:54], "-") + "-0123abcd"},
		{long, 1, strings.TrimRight(long[:47], "-") + "-0123abcd-forks1"},
	}
	for _, tt := range tests {
		if got := stageJobName(tt.exp, "0123abcd", tt.k); got != tt.want || !dnsLabelRE.MatchString(got) || len(got) > 63 {
			t.Errorf("stageJobName(%q, %d) = %q, want %q", tt.exp, tt.k, got, tt.want)
		}
	}
}

// hysteresisRuns returns the runs of the hysteresis experiment under out.
func hysteresisRuns(t *testing.T, out string) []RunSpec {
	t.Helper()
	_, specs := expandExperiment(t, hysteresis, out)
	return specs
}
