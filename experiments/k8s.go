package experiments

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults of a K8sJob's optional fields.
const (
	// DefaultK8sMount is where the results volume is mounted in the container.
	DefaultK8sMount = "/results"
	// DefaultK8sGrace is the seconds between SIGTERM and SIGKILL when a pod
	// is stopped: time for the step in flight and a checkpoint.
	DefaultK8sGrace = 120
)

// completionIndexAnnotation is the pod annotation that holds an Indexed
// Job's completion index.
const completionIndexAnnotation = "batch.kubernetes.io/job-completion-index"

// K8sJob describes a sweep as a Kubernetes Indexed Job: the pod of
// completion index I trains entry I of the manifest, and the runs live on
// a shared PersistentVolumeClaim.
type K8sJob struct {
	// Name is the Job's name; JobName makes it a DNS label.
	Name string
	// Image is the container image holding branchspec.
	Image string
	// Exe is branchspec in the image ("": "branchspec", looked up on PATH).
	Exe string
	// Claim is the PersistentVolumeClaim holding the results.
	Claim string
	// Mount is where Claim is mounted ("": DefaultK8sMount).
	Mount string
	// Manifest is the manifest's absolute path in the container, below Mount.
	Manifest string
	// Tasks is the number of manifest entries (completions).
	Tasks int
	// Parallel, when > 0, runs at most that many pods at once
	// (parallelism; 0: all Tasks).
	Parallel int
	// Grace is the pod's termination grace period in seconds
	// (0: DefaultK8sGrace).
	Grace int
	// AllowKernelChange lets a pod resume its run on a node whose matrix
	// products differ from those the run was made with (recorded).
	AllowKernelChange bool
	// First is the manifest entry of completion index 0: pod I trains
	// entry First+I (--index-offset; 0: pod I trains entry I). A sweep
	// gives each level of its fork regimes' runs a Job of its own.
	First int
	// ParentPoll, when > 0, makes a pod whose entry is the run of a fork
	// regime wait until the parent run has reached the fork step, checking
	// every ParentPoll (--wait-parent); 0: such a pod fails at once.
	ParentPoll time.Duration
}

var (
	dnsLabelRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// JobName turns name into a Kubernetes object name (a DNS label): lower
// case, runs of other characters as '-', at most 63 characters.
func JobName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

// mount is the mount point, cleaned as the manifest's paths are
// ("/results/" and "/data/../results" are "/results").
func (j *K8sJob) mount() string {
	if j.Mount == "" {
		return DefaultK8sMount
	}
	return path.Clean(j.Mount)
}

func (j *K8sJob) check() error {
	m := j.mount()
	switch {
	case j.Tasks < 1:
		return ErrNoTasks
	case j.First < 0 || j.ParentPoll < 0:
		return fmt.Errorf("first entry %d, parent poll %v: want >= 0", j.First, j.ParentPoll)
	case j.Parallel < 0:
		return fmt.Errorf("parallel %d: want 0 (all at once) or more", j.Parallel)
	case j.Grace < 0:
		return fmt.Errorf("grace period %d s: want 0 (default) or more", j.Grace)
	case !dnsLabelRE.MatchString(j.Name) || len(j.Name) > 63:
		return fmt.Errorf("name %q: want a DNS label (lower-case letters, digits and '-'; see JobName)", j.Name)
	case !dnsSubdomainRE.MatchString(j.Claim) || len(j.Claim) > 253:
		return fmt.Errorf("claim %q: want the name of a PersistentVolumeClaim", j.Claim)
	case j.Image == "" || strings.ContainsAny(j.Image, " \t\n"):
		return fmt.Errorf("image %q: want an image reference", j.Image)
	case !path.IsAbs(m):
		return fmt.Errorf("mount %q: %w", j.Mount, ErrNotAbsolute)
	case m == "/":
		return fmt.Errorf("mount %q: the claim would hide the container's root; want a directory such as %s", j.Mount, DefaultK8sMount)
	case !path.IsAbs(j.Manifest) || !strings.HasPrefix(path.Clean(j.Manifest), m+"/"):
		return fmt.Errorf("manifest %q: want an absolute path below the mount %s", j.Manifest, m)
	}
	return nil
}

// The Kubernetes objects a K8sJob writes, as much of batch/v1 Job as it
// uses. Field names and JSON keys follow the Kubernetes API reference.
type (
	k8sObject struct {
		APIVersion string     `json:"apiVersion"`
		Kind       string     `json:"kind"`
		Metadata   k8sMeta    `json:"metadata"`
		Spec       k8sJobSpec `json:"spec"`
	}
	k8sMeta struct {
		Name   string            `json:"name,omitempty"`
		Labels map[string]string `json:"labels,omitempty"`
	}
	k8sJobSpec struct {
		CompletionMode string         `json:"completionMode"`
		Completions    int            `json:"completions"`
		Parallelism    int            `json:"parallelism"`
		BackoffLimit   int            `json:"backoffLimit"`
		Template       k8sPodTemplate `json:"template"`
	}
	k8sPodTemplate struct {
		Metadata k8sMeta    `json:"metadata"`
		Spec     k8sPodSpec `json:"spec"`
	}
	k8sPodSpec struct {
		RestartPolicy                 string         `json:"restartPolicy"`
		TerminationGracePeriodSeconds int            `json:"terminationGracePeriodSeconds"`
		Containers                    []k8sContainer `json:"containers"`
		Volumes                       []k8sVolume    `json:"volumes"`
	}
	k8sContainer struct {
		Name         string           `json:"name"`
		Image        string           `json:"image"`
		Command      []string         `json:"command"`
		Env          []k8sEnv         `json:"env"`
		VolumeMounts []k8sVolumeMount `json:"volumeMounts"`
	}
	k8sEnv struct {
		Name      string          `json:"name"`
		ValueFrom k8sEnvValueFrom `json:"valueFrom"`
	}
	k8sEnvValueFrom struct {
		FieldRef k8sFieldRef `json:"fieldRef"`
	}
	k8sFieldRef struct {
		FieldPath string `json:"fieldPath"`
	}
	k8sVolumeMount struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	}
	k8sVolume struct {
		Name                  string      `json:"name"`
		PersistentVolumeClaim k8sClaimRef `json:"persistentVolumeClaim"`
	}
	k8sClaimRef struct {
		ClaimName string `json:"claimName"`
	}
)

// YAML returns the Indexed Job as a Kubernetes manifest for
// `kubectl apply -f`. It is written as indented JSON, which is YAML.
//
// Pod I runs `branchspec run --manifest M --index $(JOB_COMPLETION_INDEX)`
// (with --index-offset First and --wait-parent ParentPoll when set);
// Kubernetes expands $(JOB_COMPLETION_INDEX) from the container's
// environment, where the Job sets it from the pod's completion-index
// annotation (declared here too, so the expansion does not depend on that).
// A failed container restarts in place (restartPolicy OnFailure) and
// resumes its run; a pod that is stopped gets SIGTERM, checkpoints within
// the grace period, and its replacement resumes. Every index may fail
// three times on average before the Job gives up (backoffLimit 3*Tasks).
func (j *K8sJob) YAML() ([]byte, error) {
	obj, err := j.object()
	if err != nil {
		return nil, err
	}
	return k8sJSON(obj)
}

// K8sList returns jobs as one Kubernetes manifest for `kubectl apply -f`:
// a v1 List of the Jobs, written as indented JSON, which is YAML.
func K8sList(jobs []K8sJob) ([]byte, error) {
	list := struct {
		APIVersion string      `json:"apiVersion"`
		Kind       string      `json:"kind"`
		Items      []k8sObject `json:"items"`
	}{APIVersion: "v1", Kind: "List"}
	for _, j := range jobs {
		obj, err := j.object()
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, obj)
	}
	return k8sJSON(list)
}

// k8sJSON writes a Kubernetes object as YAML does: indented JSON and a
// newline.
func k8sJSON(obj any) ([]byte, error) {
	b, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// object is the Job j describes.
func (j *K8sJob) object() (k8sObject, error) {
	if err := j.check(); err != nil {
		return k8sObject{}, fmt.Errorf("kubernetes job %s: %w", j.Name, err)
	}
	exe, par, grace := j.Exe, j.Parallel, j.Grace
	if exe == "" {
		exe = "branchspec"
	}
	if par == 0 || par > j.Tasks {
		par = j.Tasks
	}
	if grace == 0 {
		grace = DefaultK8sGrace
	}
	labels := map[string]string{"app.kubernetes.io/name": "branchspec", "branchspec/sweep": j.Name}
	command := []string{exe, "run", "--manifest", j.Manifest, "--index", "$(JOB_COMPLETION_INDEX)"}
	if j.First > 0 {
		command = append(command, "--index-offset", strconv.Itoa(j.First))
	}
	if j.ParentPoll > 0 {
		command = append(command, "--wait-parent", j.ParentPoll.String())
	}
	if j.AllowKernelChange {
		command = append(command, "--allow-kernel-change")
	}
	obj := k8sObject{
		APIVersion: "batch/v1", Kind: "Job",
		Metadata: k8sMeta{Name: j.Name, Labels: labels},
		Spec: k8sJobSpec{
			CompletionMode: "Indexed", Completions: j.Tasks, Parallelism: par, BackoffLimit: 3 * j.Tasks,
			Template: k8sPodTemplate{
				Metadata: k8sMeta{Labels: labels},
				Spec: k8sPodSpec{
					RestartPolicy: "OnFailure", TerminationGracePeriodSeconds: grace,
					Containers: []k8sContainer{{
						Name: "branchspec", Image: j.Image,
						Command: command,
						Env: []k8sEnv{{Name: "JOB_COMPLETION_INDEX", ValueFrom: k8sEnvValueFrom{
							FieldRef: k8sFieldRef{FieldPath: "metadata.annotations['" + completionIndexAnnotation + "']"}}}},
						VolumeMounts: []k8sVolumeMount{{Name: "results", MountPath: j.mount()}},
					}},
					Volumes: []k8sVolume{{Name: "results", PersistentVolumeClaim: k8sClaimRef{ClaimName: j.Claim}}},
				},
			},
		},
	}
	return obj, nil
}

// Rebase returns m with every run directory below from moved below to
// (the runs' and their forks' parents'): the manifest as the pods see it
// when from is mounted at to.
func (m *Manifest) Rebase(from, to string) (*Manifest, error) {
	rebase := func(i int, dir string) (string, error) {
		rel, err := filepath.Rel(from, dir)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return "", fmt.Errorf("run %d: %s is not below %s", i, dir, from)
		}
		return path.Join(to, filepath.ToSlash(rel)), nil
	}
	c := *m
	c.Runs = append([]ManifestEntry(nil), m.Runs...)
	for i := range c.Runs {
		var err error
		if c.Runs[i].Dir, err = rebase(i, c.Runs[i].Dir); err != nil {
			return nil, err
		}
		if f := c.Runs[i].Fork; f != nil {
			g := *f
			if g.Dir, err = rebase(i, g.Dir); err != nil {
				return nil, err
			}
			c.Runs[i].Fork = &g
		}
	}
	return &c, nil
}
