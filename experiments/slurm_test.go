package experiments

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func testSlurmJob() SlurmJob {
	return SlurmJob{
		Name: "feedback-loop", Exe: "/opt/branchspec/bin/branchspec",
		Manifest: "/shared/results/feedback-loop/slurm/manifest-0123456789ab.json",
		Tasks:    6, Parallel: 2, Partition: "cpu", Time: "2:00:00",
		Logs:  "/shared/results/feedback-loop/slurm/logs",
		Extra: []string{"--mem=2G", "--cpus-per-task=1"},
	}
}

func TestSlurmScriptGolden(t *testing.T) {
	j := testSlurmJob()
	s, err := j.Script()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.sbatch", []byte(s))
	// The lines the scheduler depends on, so a golden file refreshed by
	// mistake still cannot lose them.
	for _, want := range []string{
		"#!/bin/bash\n",
		"\n#SBATCH --array=0-5%2\n",
		"\n#SBATCH --signal=B:USR1@120\n",
		"\n#SBATCH --requeue\n",
		"\n#SBATCH --time=2:00:00\n",
		"\n#SBATCH --partition=cpu\n",
		"\n#SBATCH --output=/shared/results/feedback-loop/slurm/logs/%A_%a.out\n",
		"\n#SBATCH --open-mode=append\n",
		"\n#SBATCH --mem=2G\n",
		"\n/opt/branchspec/bin/branchspec run --manifest /shared/results/feedback-loop/slurm/manifest-0123456789ab.json --index \"$SLURM_ARRAY_TASK_ID\" &\n",
		`scontrol requeue "$task"`,
		`task="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if strings.Contains(s, "SLURM_JOB_ID") {
		t.Error("script names a task by SLURM_JOB_ID, which differs per array task and per requeue")
	}
	if got := j.SbatchArgs("/x/s.sbatch", 0, ""); strings.Join(got, " ") != "sbatch --parsable --array=0-5%2 /x/s.sbatch" {
		t.Errorf("SbatchArgs = %q", got)
	}
}

func TestSlurmScriptOptional(t *testing.T) {
	j := SlurmJob{Name: "e", Exe: "/b s/branchspec", Manifest: "/m's.json", Tasks: 1, Logs: "/l"}
	s, err := j.Script()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#SBATCH --array=0-0\n", "--signal=B:USR1@120\n", `'/b s/branchspec' run --manifest '/m'\''s.json'`} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	for _, absent := range []string{"--time", "--partition"} {
		if strings.Contains(s, absent) {
			t.Errorf("script has %s though the job sets none", absent)
		}
	}
	j.SignalLead = 30
	if s, _ := j.Script(); !strings.Contains(s, "--signal=B:USR1@30\n") {
		t.Error("SignalLead 30 not in the script")
	}
}

func TestSlurmSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"30", 1800}, {"30:15", 1815}, {"2:00:00", 7200}, {"1-0", 86400},
		{"1-2", 93600}, {"1-2:03", 93780}, {"1-2:03:04", 93784}, {"0", 0}, {"2h", 0}, {"", 0},
	}
	for _, tt := range tests {
		if got := SlurmSeconds(tt.in); got != tt.want {
			t.Errorf("SlurmSeconds(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	// A lead below the limit is accepted.
	j := testSlurmJob()
	j.Time, j.SignalLead = "3", 120
	if _, err := j.Script(); err != nil {
		t.Error(err)
	}
}

func TestSlurmScriptRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*SlurmJob)
		want string
	}{
		{"no tasks", func(j *SlurmJob) { j.Tasks = 0 }, "at least one task"},
		{"relative manifest", func(j *SlurmJob) { j.Manifest = "results/m.json" }, "manifest \"results/m.json\": path must be absolute"},
		{"relative exe", func(j *SlurmJob) { j.Exe = "branchspec" }, "branchspec \"branchspec\": path must be absolute"},
		{"percent in logs", func(j *SlurmJob) { j.Logs = "/a%b" }, "spaces and %"},
		{"line break in manifest", func(j *SlurmJob) { j.Manifest = "/a\nb" }, "line break"},
		{"bad time", func(j *SlurmJob) { j.Time = "2h" }, `time "2h"`},
		{"bad partition", func(j *SlurmJob) { j.Partition = "a b" }, `partition "a b"`},
		{"extra not an option", func(j *SlurmJob) { j.Extra = []string{"mem=2G"} }, `sbatch argument "mem=2G"`},
		{"extra with newline", func(j *SlurmJob) { j.Extra = []string{"--mem=2G\nrm -rf /"} }, "want one option"},
		{"negative parallel", func(j *SlurmJob) { j.Parallel = -1 }, "parallel -1"},
		// A lead at or past the limit signals the task before it trains.
		{"lead past the limit", func(j *SlurmJob) { j.Time, j.SignalLead = "1:00", 120 },
			`signal lead 120 s: the signal would come at or before the start of a task whose time limit is 1:00 (60 s); want a lead below the limit`},
		{"default lead past the limit", func(j *SlurmJob) { j.Time = "2" }, "signal lead 120 s"},
		{"lead equal to the limit", func(j *SlurmJob) { j.Time, j.SignalLead = "0:02:00", 120 }, "signal lead 120 s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := testSlurmJob()
			tt.edit(&j)
			_, err := j.Script()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Script() error %v, want one containing %q", err, tt.want)
			}
		})
	}
	j := testSlurmJob()
	j.Tasks = 0
	if _, err := j.Script(); !errors.Is(err, ErrNoTasks) {
		t.Errorf("no tasks: %v, want ErrNoTasks", err)
	}
}

// TestSlurmScriptSignals runs the generated script under bash with a fake
// branchspec and a fake scontrol, and sends the batch shell what Slurm
// sends it: SIGUSR1 before the time limit must reach branchspec and
// requeue the array task once branchspec has exited; SIGTERM must reach
// branchspec and not requeue; a task that ends by itself keeps its status.
func TestSlurmScriptSignals(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	tests := []struct {
		name        string
		signal      syscall.Signal // 0: none, the fake exits by itself
		fakeExit    int            // the fake's status when it ends by itself
		wantStatus  int
		wantRequeue bool
		wantFake    string // what the fake says it got
	}{
		{"usr1 requeues", syscall.SIGUSR1, 0, 0, true, "got USR1"},
		{"term does not requeue", syscall.SIGTERM, 0, 130, false, "got TERM"},
		{"done", 0, 0, 0, false, "finished"},
		{"failure", 0, 1, 1, false, "finished"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			os.Mkdir(bin, 0o755)
			log := filepath.Join(dir, "calls")
			loops := 4 // 0.2 s when it ends by itself, 10 s when it waits for a signal
			if tt.signal != 0 {
				loops = 200
			}
			// The fake checkpoints (sleeps a little) and exits 130 on
			// either signal, as branchspec does.
			writeExe(t, filepath.Join(bin, "branchspec"), `#!/bin/bash
echo "branchspec $*" >>`+log+`
trap 'sleep 0.2; echo "got USR1" >>`+log+`; exit 130' USR1
trap 'sleep 0.2; echo "got TERM" >>`+log+`; exit 130' TERM
touch `+filepath.Join(dir, "started")+`
for i in $(seq `+strconv.Itoa(loops)+`); do sleep 0.05; done
echo finished >>`+log+`
exit `+strconv.Itoa(tt.fakeExit)+"\n")
			writeExe(t, filepath.Join(bin, "scontrol"), "#!/bin/bash\necho \"scontrol $*\" >>"+log+"\n")
			j := SlurmJob{Name: "e", Exe: filepath.Join(bin, "branchspec"), Manifest: "/m.json", Tasks: 4, Logs: "/l"}
			script, err := j.Script()
			if err != nil {
				t.Fatal(err)
			}
			c := exec.Command(bash, "-c", script)
			c.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"),
				"SLURM_ARRAY_JOB_ID=41", "SLURM_ARRAY_TASK_ID=3", "SLURM_JOB_ID=44")
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			if tt.signal != 0 {
				// Slurm signals minutes after the start; here the signal
				// follows at once, so wait until the batch shell has set
				// its traps (it starts branchspec first), as well as
				// for the fake's.
				waitFile(t, filepath.Join(dir, "started"))
				waitCaught(t, c.Process.Pid, tt.signal)
				c.Process.Signal(tt.signal)
			}
			err = c.Wait()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			calls, _ := os.ReadFile(log)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d\noutput:\n%s\ncalls:\n%s", status, tt.wantStatus, out.String(), calls)
			}
			if !strings.HasPrefix(string(calls), "branchspec run --manifest /m.json --index 3\n") {
				t.Errorf("branchspec called as:\n%s", calls)
			}
			if !strings.Contains(string(calls), tt.wantFake) {
				t.Errorf("the fake did not say %q:\n%s", tt.wantFake, calls)
			}
			requeued := strings.Contains(string(calls), "scontrol requeue 41_3\n")
			if requeued != tt.wantRequeue {
				t.Errorf("requeued %v, want %v:\n%s", requeued, tt.wantRequeue, calls)
			}
		})
	}
}

func writeExe(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// waitCaught waits until process pid catches sig (its SigCgt mask in
// /proc/PID/status has the signal's bit), for at most 10 s; where /proc
// cannot be read it waits a second instead.
func waitCaught(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	status := fmt.Sprintf("/proc/%d/status", pid)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		text, err := os.ReadFile(status)
		if err != nil {
			time.Sleep(time.Second)
			return
		}
		for _, line := range strings.Split(string(text), "\n") {
			if hex, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
				if err == nil && mask&(1<<(uint(sig)-1)) != 0 {
					return
				}
			}
		}
	}
	t.Fatalf("process %d did not catch %v in 10 s", pid, sig)
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear in 10 s", path)
}
