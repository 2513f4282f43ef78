package experiments

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DefaultSignalLead is how many seconds before a task's time limit Slurm
// sends SIGUSR1 when a SlurmJob does not say: time for the step in flight,
// a checkpoint and the requeue.
const DefaultSignalLead = 120

// SlurmJob describes a sweep submitted as a Slurm job array: array task I
// trains entry I of the manifest. The zero values of the optional fields
// are documented with each; Script checks the rest.
type SlurmJob struct {
	// Name is the job name (--job-name), usually the experiment's.
	Name string
	// Exe is the absolute path of branchspec on the compute nodes.
	Exe string
	// Manifest is the absolute path of the manifest (on a file system the
	// compute nodes share).
	Manifest string
	// Tasks is the number of manifest entries: the array is 0..Tasks-1.
	Tasks int
	// Parallel, when > 0, runs at most that many tasks at once (%K).
	Parallel int
	// Partition is the partition ("": the cluster's default).
	Partition string
	// Time is each task's time limit as sbatch reads it ("2:00:00",
	// "1-00:00:00"; "": the partition's default).
	Time string
	// SignalLead is how many seconds before the time limit SIGUSR1 comes
	// (0: DefaultSignalLead).
	SignalLead int
	// Logs is the absolute directory of the task logs, one per task, named
	// ARRAYJOB_TASK.out (%A_%a); a requeued task appends to its log.
	Logs string
	// Extra are further sbatch options, one #SBATCH line each ("--mem=2G").
	Extra []string
	// AllowKernelChange lets a task resume its run on a node whose matrix
	// products differ from those the run was made with (recorded in the
	// run); false refuses, and the task fails with the reason in its log.
	AllowKernelChange bool
	// Stages, when set, splits the tasks into arrays submitted one after
	// another: stage k+1 starts at task Stages[k] (ascending, in
	// 1..Tasks-1). The array of a stage starts once every task of the
	// array before it has ended (sbatch --dependency=afterany): a sweep
	// puts each level of its fork regimes' runs (ManifestEntry.Fork) in a
	// stage after the runs they fork. nil: one array of all tasks.
	Stages []int
}

// Errors returned by SlurmJob.Script for a job it cannot describe.
var (
	// ErrNoTasks is returned when the job has no array task.
	ErrNoTasks = errors.New("a job array needs at least one task")
	// ErrNotAbsolute is returned when a path the tasks read is relative:
	// a task's working directory is not the submitter's.
	ErrNotAbsolute = errors.New("path must be absolute")
)

// slurmTimeRE matches sbatch's --time forms: MM, MM:SS, HH:MM:SS, D-HH,
// D-HH:MM, D-HH:MM:SS.
var slurmTimeRE = regexp.MustCompile(`^(\d+-)?\d+(:\d+){0,2}$`)

// SlurmSeconds is the length of a time limit in sbatch's --time forms
// (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) in seconds; 0 for "0"
// (no limit) or a string in none of the forms.
func SlurmSeconds(t string) int {
	if !slurmTimeRE.MatchString(t) {
		return 0
	}
	sec, scale := 0, []int{60, 1} // MM, MM:SS
	if d, rest, ok := strings.Cut(t, "-"); ok {
		days, _ := strconv.Atoi(d)
		sec, t, scale = days*86400, rest, []int{3600, 60, 1} // D-HH[:MM[:SS]]
	} else if strings.Count(t, ":") == 2 {
		scale = []int{3600, 60, 1} // HH:MM:SS
	}
	for i, p := range strings.Split(t, ":") {
		n, _ := strconv.Atoi(p)
		sec += n * scale[i]
	}
	return sec
}

// lead is SignalLead or its default.
func (j *SlurmJob) lead() int {
	if j.SignalLead == 0 {
		return DefaultSignalLead
	}
	return j.SignalLead
}

// Array is the --array value of the first stage: "0-(Tasks-1)" when the
// job has one stage, with "%Parallel" when Parallel limits it.
func (j *SlurmJob) Array() string { return j.StageArray(0) }

// StageCount is the number of stages, len(Stages) + 1.
func (j *SlurmJob) StageCount() int { return len(j.Stages) + 1 }

// StageArray is the --array value of stage k: "FIRST-LAST", with
// "%Parallel" when Parallel limits it (each stage's array on its own).
func (j *SlurmJob) StageArray(k int) string {
	a := j.stageTasks(k)
	if j.Parallel > 0 {
		a += "%" + strconv.Itoa(j.Parallel)
	}
	return a
}

// stageTasks is "FIRST-LAST", the tasks of stage k.
func (j *SlurmJob) stageTasks(k int) string {
	bounds := slices.Concat([]int{0}, j.Stages, []int{j.Tasks})
	return strconv.Itoa(bounds[k]) + "-" + strconv.Itoa(bounds[k+1]-1)
}

// PreviousJob stands, in the sbatch command lines of a ClusterPlan, for
// the job id that the command before printed.
const PreviousJob = "$PREVIOUS_JOB"

// SbatchArgs is the command line that submits stage k of the script at
// path; a stage after the first waits for the job after (the previous
// stage's id, or PreviousJob). The array is given on the command line,
// where it wins over the script's own #SBATCH line, so the command says
// what it submits.
func (j *SlurmJob) SbatchArgs(path string, k int, after string) []string {
	args := []string{"sbatch", "--parsable", "--array=" + j.StageArray(k)}
	if k > 0 {
		args = append(args, "--dependency=afterany:"+after)
	}
	return append(args, path)
}

func (j *SlurmJob) check() error {
	switch {
	case j.Tasks < 1:
		return ErrNoTasks
	case j.Parallel < 0:
		return fmt.Errorf("parallel %d: want 0 (no limit) or more", j.Parallel)
	case j.SignalLead < 0:
		return fmt.Errorf("signal lead %d s: want 0 (default) or more", j.SignalLead)
	case j.Time != "" && !slurmTimeRE.MatchString(j.Time):
		return fmt.Errorf("time %q: want MM, HH:MM:SS or D-HH:MM:SS", j.Time)
	case j.Time != "" && SlurmSeconds(j.Time) > 0 && j.lead() >= SlurmSeconds(j.Time):
		return fmt.Errorf("signal lead %d s: the signal would come at or before the start of a task whose time limit is %s (%d s); want a lead below the limit", j.lead(), j.Time, SlurmSeconds(j.Time))
	case !nameRE.MatchString(j.Name):
		return fmt.Errorf("job name %q: want letters, digits, '.', '_' or '-'", j.Name)
	case j.Partition != "" && !nameRE.MatchString(j.Partition):
		return fmt.Errorf("partition %q: want letters, digits, '.', '_' or '-'", j.Partition)
	}
	for k, first := range j.Stages {
		if first < 1 || first >= j.Tasks || k > 0 && first <= j.Stages[k-1] {
			return fmt.Errorf("stages %v: want ascending first tasks in 1..%d", j.Stages, j.Tasks-1)
		}
	}
	for _, p := range []struct{ what, path string }{{"branchspec", j.Exe}, {"manifest", j.Manifest}, {"logs", j.Logs}} {
		if !filepath.IsAbs(p.path) {
			return fmt.Errorf("%s %q: %w", p.what, p.path, ErrNotAbsolute)
		}
		if strings.ContainsAny(p.path, "\n\r") {
			return fmt.Errorf("%s %q: a path with a line break cannot be written into a script", p.what, p.path)
		}
	}
	// #SBATCH lines are split at spaces, and %A, %a, ... are patterns there.
	if strings.ContainsAny(j.Logs, " \t%") {
		return fmt.Errorf("logs %q: spaces and %% cannot be written into an #SBATCH line", j.Logs)
	}
	for _, x := range j.Extra {
		if !strings.HasPrefix(x, "-") || strings.ContainsAny(x, "\n\r") {
			return fmt.Errorf("sbatch argument %q: want one option such as --mem=2G", x)
		}
	}
	return nil
}

// Script returns the sbatch script of the job array.
//
// Each task runs `branchspec run --manifest M --index $SLURM_ARRAY_TASK_ID`,
// which starts its run, resumes it from its latest checkpoint, or does
// nothing if it is done: a requeued or repeated task is safe. Tasks are
// named by the array job and task (%A_%a, SLURM_ARRAY_JOB_ID and
// SLURM_ARRAY_TASK_ID), never by SLURM_JOB_ID, which changes per task.
//
// Time limits: `--signal=B:USR1@LEAD` makes Slurm send SIGUSR1 to the batch
// shell LEAD seconds before the limit. The shell runs branchspec in the
// background and forwards the signal; branchspec checkpoints and exits
// with status 130, and the shell requeues the task (`--requeue`), which
// continues from that checkpoint when it runs again. branchspec is not
// exec'd in place of the shell: something must outlive it to requeue.
// SIGTERM (scancel, the limit itself) is forwarded but does not requeue.
func (j *SlurmJob) Script() (string, error) {
	if err := j.check(); err != nil {
		return "", fmt.Errorf("slurm job %s: %w", j.Name, err)
	}
	lead := j.lead()
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/bin/bash")
	if len(j.Stages) == 0 {
		w("# branchspec sweep %s: %d runs as a Slurm job array, one run per task.", j.Name, j.Tasks)
	} else {
		var later []string
		for k := 1; k < j.StageCount(); k++ {
			later = append(later, j.stageTasks(k))
		}
		w("# branchspec sweep %s: %d runs as %d Slurm job arrays, one run per task.", j.Name, j.Tasks, j.StageCount())
		w("# Tasks %s are runs of fork regimes, which start from checkpoints of", strings.Join(later, ", then "))
		w("# earlier tasks' runs: each range is an array of its own, submitted with")
		w("# --dependency=afterany on the array before it (see 'branchspec sweep --slurm').")
	}
	w("# Submitting it again is safe: finished runs are skipped, the others resume.")
	w("#SBATCH --job-name=%s", j.Name)
	w("#SBATCH --array=%s", j.Array())
	if j.Time != "" {
		w("#SBATCH --time=%s", j.Time)
	}
	if j.Partition != "" {
		w("#SBATCH --partition=%s", j.Partition)
	}
	w("#SBATCH --ntasks=1")
	w("#SBATCH --output=%s", filepath.Join(j.Logs, "%A_%a.out"))
	w("#SBATCH --open-mode=append")
	w("#SBATCH --signal=B:USR1@%d", lead)
	w("#SBATCH --requeue")
	for _, x := range j.Extra {
		w("#SBATCH %s", x)
	}
	allow := ""
	if j.AllowKernelChange {
		allow = " --allow-kernel-change"
	}
	b.WriteString(fmt.Sprintf(slurmBody, shellQuote(j.Exe), shellQuote(j.Manifest), allow))
	return b.String(), nil
}

// slurmBody is the script after its #SBATCH lines; %[1]s is branchspec,
// %[2]s the manifest, both shell-quoted, %[3]s further run flags.
const slurmBody = `
task="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
echo "branchspec: task $task on $(hostname -s), start $((${SLURM_RESTART_COUNT:-0} + 1))"

# branchspec runs in the background so that this shell, which Slurm signals
# (B:), can forward SIGUSR1 to it and requeue the task once it has
# checkpointed.
%[1]s run --manifest %[2]s --index "$SLURM_ARRAY_TASK_ID"%[3]s &
pid=$!
signal=
trap 'signal=USR1; kill -USR1 "$pid" 2>/dev/null' USR1
trap 'signal=TERM; kill -TERM "$pid" 2>/dev/null' TERM
# A trapped signal ends wait early; wait again until branchspec has exited
# (bash keeps its exit status for the last wait).
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
wait "$pid"
status=$?

# 130: checkpointed on the signal; above 128: killed by it before branchspec
# could catch it. Either way the run resumes from its latest checkpoint.
if [ "$signal" = USR1 ] && [ "$status" -gt 128 ]; then
	echo "branchspec: task $task checkpointed before its time limit; requeueing"
	scontrol requeue "$task"
	exit 0
fi
echo "branchspec: task $task exited with status $status"
exit "$status"
`

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
