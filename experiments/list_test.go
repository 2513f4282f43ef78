package experiments

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
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
