package experiments

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func testK8sJob() K8sJob {
	return K8sJob{
		Name: JobName("Feedback_Loop-0123abcd"), Image: "registry.example/branchspec:0.1",
		Claim: "branchspec-results", Manifest: "/results/Feedback_Loop/k8s/manifest-0123456789ab.json",
		Tasks: 6, Parallel: 2,
	}
}

// TestK8sJobYAML checks the Job by reading it back. The file is JSON, which
// is YAML; no YAML library is a requirement of this module, so the check
// decodes it with encoding/json, as a YAML parser would read it.
func TestK8sJobYAML(t *testing.T) {
	j := testK8sJob()
	y, err := j.YAML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "job.yaml", y)

	var got map[string]any
	if err := json.Unmarshal(y, &got); err != nil {
		t.Fatalf("the job does not parse: %v", err)
	}
	container := map[string]any{
		"name":  "branchspec",
		"image": "registry.example/branchspec:0.1",
		"command": []any{"branchspec", "run", "--manifest", "/results/Feedback_Loop/k8s/manifest-0123456789ab.json",
			"--index", "$(JOB_COMPLETION_INDEX)"},
		"env": []any{map[string]any{"name": "JOB_COMPLETION_INDEX", "valueFrom": map[string]any{
			"fieldRef": map[string]any{"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}},
		"volumeMounts": []any{map[string]any{"name": "results", "mountPath": "/results"}},
	}
	for _, c := range []struct {
		path string
		want any
	}{
		{"apiVersion", "batch/v1"},
		{"kind", "Job"},
		{"metadata.name", "feedback-loop-0123abcd"},
		{"spec.completionMode", "Indexed"},
		{"spec.completions", 6.0},
		{"spec.parallelism", 2.0},
		{"spec.template.spec.restartPolicy", "OnFailure"},
		{"spec.template.spec.terminationGracePeriodSeconds", 120.0},
		{"spec.template.spec.containers", []any{container}},
		{"spec.template.spec.volumes", []any{map[string]any{"name": "results",
			"persistentVolumeClaim": map[string]any{"claimName": "branchspec-results"}}}},
	} {
		if v := lookupPath(got, c.path); !reflect.DeepEqual(v, c.want) {
			t.Errorf("%s = %#v, want %#v", c.path, v, c.want)
		}
	}
}

func lookupPath(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestK8sJobDefaultsAndRejects(t *testing.T) {
	j := testK8sJob()
	j.Parallel = 0
	y, err := j.YAML()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(y, &got)
	if p := lookupPath(got, "spec.parallelism"); p != 6.0 {
		t.Errorf("Parallel 0: parallelism %v, want all 6", p)
	}
	tests := []struct {
		name string
		edit func(*K8sJob)
		want string
	}{
		{"no tasks", func(j *K8sJob) { j.Tasks = 0 }, "at least one task"},
		{"name not a label", func(j *K8sJob) { j.Name = "Feedback_Loop" }, "DNS label"},
		{"no image", func(j *K8sJob) { j.Image = "" }, "image"},
		{"bad claim", func(j *K8sJob) { j.Claim = "My Claim" }, "claim"},
		{"manifest outside the mount", func(j *K8sJob) { j.Manifest = "/data/m.json" }, "below the mount /results"},
		{"relative mount", func(j *K8sJob) { j.Mount = "results" }, "path must be absolute"},
		{"root mount", func(j *K8sJob) { j.Mount = "/x/.." }, `mount "/x/..": the claim would hide the container's root`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := testK8sJob()
			tt.edit(&j)
			if _, err := j.YAML(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("YAML() error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestK8sMountCleaned: the mount point is cleaned as the manifest's paths
// are, in the Job and in the plan (before, "/results/" and
// "/data/../results" were written into mountPath as given while the
// manifest's paths were cleaned).
func TestK8sMountCleaned(t *testing.T) {
	specs := []RunSpec{{Index: 0, Regime: "a", Seed: 1, Config: tinyConfig(t), Dir: "/out/e/a/seed-1"}}
	for _, mount := range []string{"/results/", "/data/../results", "/results/."} {
		p, err := PlanK8s("e", specs, "/out", K8sOptions{Image: "img", Claim: "c", Mount: mount})
		if err != nil {
			t.Fatal(err)
		}
		var job map[string]any
		if err := json.Unmarshal(p.JobText, &job); err != nil {
			t.Fatal(err)
		}
		got := lookupPath(job, "spec.template.spec.containers").([]any)[0].(map[string]any)["volumeMounts"].([]any)[0].(map[string]any)["mountPath"]
		if got != "/results" || !strings.HasPrefix(p.PodManifest, "/results/e/k8s/manifest-") {
			t.Errorf("mount %q: mountPath %v, pod manifest %s", mount, got, p.PodManifest)
		}
		if !strings.Contains(string(p.ManifestJSON), `"dir": "/results/e/a/seed-1"`) {
			t.Errorf("mount %q: manifest\n%s", mount, p.ManifestJSON)
		}
	}
	for _, mount := range []string{"results", "/", "/a/.."} {
		if _, err := PlanK8s("e", specs, "/out", K8sOptions{Image: "img", Claim: "c", Mount: mount}); !errors.Is(err, ErrInvalid) {
			t.Errorf("mount %q: %v, want ErrInvalid", mount, err)
		}
	}
}

func TestJobName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"feedback-loop", "feedback-loop"},
		{"Feedback_Loop.v2", "feedback-loop-v2"},
		{"__a__", "a"},
		{strings.Repeat("ab-", 30), strings.TrimRight(strings.Repeat("ab-", 21), "-")},
	}
	for _, tt := range tests {
		if got := JobName(tt.in); got != tt.want || !dnsLabelRE.MatchString(got) {
			t.Errorf("JobName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestManifestRebase(t *testing.T) {
	m := &Manifest{Experiment: "e", Runs: []ManifestEntry{
		{Index: 0, Dir: "/home/u/out/e/a/seed-1"}, {Index: 1, Dir: "/home/u/out/e/b/seed-1"}}}
	got, err := m.Rebase("/home/u/out", "/results")
	if err != nil {
		t.Fatal(err)
	}
	if got.Runs[0].Dir != "/results/e/a/seed-1" || got.Runs[1].Dir != "/results/e/b/seed-1" {
		t.Errorf("rebased dirs %q, %q", got.Runs[0].Dir, got.Runs[1].Dir)
	}
	if m.Runs[0].Dir != "/home/u/out/e/a/seed-1" {
		t.Error("Rebase changed its receiver")
	}
	if _, err := m.Rebase("/home/u/other", "/results"); err == nil || !strings.Contains(err.Error(), "is not below /home/u/other") {
		t.Errorf("run outside from: %v", err)
	}
}
