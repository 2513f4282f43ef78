package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"branchspec/configs"
	"branchspec/experiments"
	"branchspec/trainer"
)

const python = "/usr/bin/python3"

// hasTorch reports whether python imports torch and numpy.
func hasTorch() bool {
	return exec.Command(python, "-c", "import torch, numpy").Run() == nil
}

// TestLossCurveMatchesTorch trains each net for 20 steps from the same
// weights on the same batches with branchspec and with PyTorch and checks
// the loss curves agree within tolLoss at every step.
func TestLossCurveMatchesTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the nets on both sides")
	}
	if !hasTorch() {
		t.Skipf("%s cannot import torch and numpy", python)
	}
	for _, net := range refNets {
		t.Run(net.name, func(t *testing.T) { lossCurveMatchesTorch(t, net) })
	}
}

func lossCurveMatchesTorch(t *testing.T, net refNet) {
	dir := t.TempDir()
	if err := writeInputs(dir, net, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "torch_ref.py")
	if err := os.WriteFile(script, torchScript, 0o644); err != nil {
		t.Fatal(err)
	}
	const steps = 20
	ours, err := runGo(dir, steps, 0)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := runSide(exec.Command(python, script, dir, "20", "0", "2"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if !checkLosses(&out, ours.Losses, theirs.Losses, steps) {
		t.Errorf("%s", out.String())
	}
	t.Log(strings.TrimSpace(out.String()))
	if len(ours.Losses) != steps || len(theirs.Losses) != steps {
		t.Errorf("got %d and %d losses, want %d each", len(ours.Losses), len(theirs.Losses), steps)
	}
}

// BenchmarkRefNetTrainStep times one full training step of each net
// (forward, backward, update) as refbench's Go side runs it.
func BenchmarkRefNetTrainStep(b *testing.B) {
	for _, net := range refNets {
		b.Run(net.name, func(b *testing.B) {
			dir := b.TempDir()
			if err := writeInputs(dir, net, rand.New(rand.NewPCG(1, 2))); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			res, err := runGo(dir, 2, b.N)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.ImagesPerS, "images/s")
		})
	}
}

// BenchmarkDefaultConfigStep times trainer.Step on the project's default
// config (2 branches of conv5x5x16 pool 2 and conv3x3x16 pool 2, concat,
// trunk conv3x3x64 pool 2, linear; batch 64) on its synthetic data, with
// fewer training examples so that setup is quick; the variants change the
// branch count, kernel sizes and widths.
func BenchmarkDefaultConfigStep(b *testing.B) {
	for _, v := range []struct {
		name string
		set  []string
	}{
		{"default", nil},
		{"4branches_wide", []string{"model.branches=4", "model.branch[0].out=32", "model.branch[1].out=32"}},
		{"kernel7_width8", []string{"model.branch[0].kernel=7", "model.branch[0].out=8", "model.branch[1].kernel=5", "model.branch[1].out=8"}},
	} {
		b.Run(v.name, func(b *testing.B) {
			cfg := configs.Defaults()
			if err := cfg.SetAll(v.set); err != nil {
				b.Fatal(err)
			}
			cfg.Data.TrainSize, cfg.Data.TestSize = 1024, 64
			benchTrainerStep(b, cfg)
		})
	}
}

func benchTrainerStep(b *testing.B, cfg *configs.Config) {
	train, test, err := experiments.LoadData(cfg)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := trainer.New(cfg, train, test)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	for i := 0; i < 2; i++ {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cfg.Optim.BatchSize*b.N)/b.Elapsed().Seconds(), "images/s")
}
