package experiments

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"branchspec/results"
)

// TestRunListTestAccuracy: ls shows a measured accuracy, 0 included, and
// "-" only for one never measured (NaN).
func TestRunListTestAccuracy(t *testing.T) {
	root := t.TempDir()
	for _, r := range []struct {
		name string
		acc  float64
	}{{"zero", 0}, {"half", 0.5}, {"none", math.NaN()}} {
		run, err := results.Create(filepath.Join(root, r.name), results.Info{Name: r.name, ConfigHash: "0123456789abcdef"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		st := results.Status{State: results.Stopped, Step: 2, Total: 4, Updated: time.Unix(0, 0), TestAcc: r.acc}
		if err := run.SetStatus(st); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := WriteRunList(&b, root); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"zero": "2/4   0.000", "half": "2/4   0.500", "none": "2/4   -"}
	for _, line := range strings.Split(b.String(), "\n")[1:] {
		for name, w := range want {
			if strings.HasPrefix(line, filepath.Join(root, name)+" ") && !strings.Contains(line, w) {
				t.Errorf("%s: %q lacks %q", name, line, w)
			}
		}
	}
	if n := strings.Count(b.String(), "\n"); n != 4 {
		t.Errorf("%d lines:\n%s", n, b.String())
	}
}

// TestRunListBusyAndNotADirectory: ls shows a run whose file another
// program holds as busy within about BusyTimeout (before, it waited
// results.DefaultTimeout, 5 s, per such run and printed the timeout as an
// error), and refuses a root that is a file (before: an empty table,
// exit 0).
func TestRunListBusyAndNotADirectory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "held")
	if _, err := results.Create(dir, results.Info{Name: "held", ConfigHash: "0123456789abcdef"}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "run.db"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// bbolt's writers take this lock; its readers wait for it.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	t0 := time.Now()
	if err := WriteRunList(&b, root); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el > 4*BusyTimeout {
		t.Errorf("ls took %v with one busy run; want about %v", el, BusyTimeout)
	}
	if !strings.Contains(b.String(), dir+"  -       -     -     -         busy: another program holds run.db") {
		t.Errorf("busy run not shown as busy:\n%s", b.String())
	}
	err = WriteRunList(&b, filepath.Join(dir, "run.db"))
	if want := filepath.Join(dir, "run.db") + " is not a directory: ls lists the runs below a results or run directory"; err == nil || err.Error() != want {
		t.Errorf("ls of a file: %v\nwant %s", err, want)
	}
}
