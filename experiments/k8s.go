package experiments

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"
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
// Pod I runs `branchspec run --manifest M --index $(JOB_COMPLETION_INDEX)`;
// Kubernetes expands $(JOB_COMPLETION_INDEX) from the container's
// environment, where the Job sets it from the pod's completion-index
// annotation (declared here too, so the expansion does not depend on that).
// A failed container restarts in place (restartPolicy OnFailure) and
// resumes its run; a pod that is stopped gets SIGTERM, checkpoints within
// the grace period, and its replacement resumes. Every index may fail
// three times on average before the Job gives up (backoffLimit 3*Tasks).
func (j *K8sJob) YAML() ([]byte, error) {
	if err := j.check(); err != nil {
		return nil, fmt.Errorf("kubernetes job %s: %w", j.Name, err)
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
	b, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Rebase returns m with every run directory below from moved below to:
// the manifest as the pods see it when from is mounted at to.
func (m *Manifest) Rebase(from, to string) (*Manifest, error) {
	c := *m
	c.Runs = append([]ManifestEntry(nil), m.Runs...)
	for i := range c.Runs {
		rel, err := filepath.Rel(from, c.Runs[i].Dir)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("run %d: %s is not below %s", i, c.Runs[i].Dir, from)
		}
		c.Runs[i].Dir = path.Join(to, filepath.ToSlash(rel))
	}
	return &c, nil
}
