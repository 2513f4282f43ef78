package results_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"branchspec/results"
)

// A training process creates its run, holds the lock while it trains, and
// commits metrics, a checkpoint and its status together at each checkpoint.
func Example() {
	root, err := os.MkdirTemp("", "runs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "wide", "seed-1")
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	run, err := results.Create(dir, results.Info{Name: "wide", Seed: 1, Created: now}, nil)
	if err != nil {
		log.Fatal(err)
	}
	release, err := run.Lock()
	if err != nil {
		log.Fatal(err)
	}
	defer release()

	w := []results.Tensor{{Name: "out.b", Shape: []int{2}, Data: []float32{0.5, -0.5}}}
	err = run.Commit(results.Commit{
		Rows: []results.Row{
			{Step: 50, Values: map[string]float64{"loss": 1.25}},
			{Step: 100, Values: map[string]float64{"loss": 0.75}},
		},
		Checkpoint: &results.Checkpoint{Step: 100, Time: now, Weights: w},
		Status:     &results.Status{State: results.Running, Step: 100, Total: 1000, Updated: now},
	})
	if err != nil {
		log.Fatal(err)
	}

	steps, loss, err := run.Series("loss")
	if err != nil {
		log.Fatal(err)
	}
	ck, err := run.Latest()
	if err != nil {
		log.Fatal(err)
	}
	live, err := run.Live()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loss:", steps, loss)
	fmt.Println("latest checkpoint:", ck.Step, ck.Weights[0].Data)
	fmt.Println("live:", live)
	// Output:
	// loss: [50 100] [1.25 0.75]
	// latest checkpoint: 100 [0.5 -0.5]
	// live: true
}

// List summarizes every run below a directory, including the ones it
// cannot read.
func ExampleList() {
	root, err := os.MkdirTemp("", "runs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	for _, name := range []string{"a", "b"} {
		if _, err := results.Create(filepath.Join(root, name), results.Info{Name: name}, nil); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "b", "run.db"), []byte("garbage"), 0o644); err != nil {
		log.Fatal(err)
	}
	runs, err := results.List(root)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range runs {
		rel, _ := filepath.Rel(root, s.Dir)
		fmt.Printf("%s %q interrupted=%v err=%v\n", rel, s.Status.State, s.Interrupted(), s.Err != nil)
	}
	// Output:
	// a "running" interrupted=true err=false
	// b "" interrupted=false err=true
}
