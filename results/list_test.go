package results

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestList(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string) *Run {
		r, err := Create(filepath.Join(root, rel), testInfo(filepath.Base(rel)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	done := mk("exp/done/seed-1")
	err := done.Commit(Commit{
		Rows:   []Row{{Step: 1, Values: map[string]float64{"loss": 2}}, {Step: 9, Values: map[string]float64{"loss": 1}}},
		Status: &Status{State: Done, Step: 9, Total: 9},
	})
	if err != nil {
		t.Fatal(err)
	}
	live := mk("exp/live/nested/seed-2")
	release, err := live.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	mk("interrupted")
	if err := os.MkdirAll(filepath.Join(root, "bad"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "bad", dbName), []byte("not a database, just some bytes that fill more than two pages?"))
	if err := os.MkdirAll(filepath.Join(root, "empty-dir"), 0o755); err != nil {
		t.Fatal(err)
	}

	got, err := ListWith(root, &Options{Timeout: shortWait})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		dir         string
		err         error
		live        bool
		interrupted bool
		state       State
		lastStep    int
	}{
		{"bad", ErrCorrupt, false, false, "", 0},
		{"exp/done/seed-1", nil, false, false, Done, 9},
		{"exp/live/nested/seed-2", nil, true, false, Running, 0},
		{"interrupted", nil, false, true, Running, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("List found %d runs, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		s := got[i]
		if s.Dir != filepath.Join(root, w.dir) {
			t.Errorf("entry %d: Dir = %s, want %s", i, s.Dir, w.dir)
			continue
		}
		if !errors.Is(s.Err, w.err) || (w.err == nil) != (s.Err == nil) {
			t.Errorf("%s: Err = %v, want %v", w.dir, s.Err, w.err)
		}
		if s.Live != w.live || s.Interrupted() != w.interrupted || s.Status.State != w.state || s.Last.Step != w.lastStep {
			t.Errorf("%s: Live %v, Interrupted %v, State %q, last step %d; want %v, %v, %q, %d",
				w.dir, s.Live, s.Interrupted(), s.Status.State, s.Last.Step, w.live, w.interrupted, w.state, w.lastStep)
		}
		if w.err == nil && s.Info.Name != filepath.Base(w.dir) {
			t.Errorf("%s: Info.Name = %q", w.dir, s.Info.Name)
		}
	}
	if _, err := List(filepath.Join(root, "missing")); err == nil {
		t.Error("List of a missing root succeeded")
	}
}
