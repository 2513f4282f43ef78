package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"branchspec/cmd/refbench/internal/host"
	"branchspec/trainer"
	"branchspec/trainer/optim"
)

// runResult is what one side reports for one run: the rate of its timed
// steps, their wall and process CPU time, and the loss of every step.
type runResult struct {
	ImagesPerS float64   `json:"images_per_s"`
	WallS      float64   `json:"wall_s"`
	CPUS       float64   `json:"cpu_s"`
	Losses     []float64 `json:"losses"`
}

// goSide is a net as branchspec's trainer builds it (the model compiled by
// Model.Build, trainer/optim's solver), with its batches.
type goSide struct {
	batch  int
	net    *trainer.Net
	solver optim.Solver
	xs, ys [][]float32
}

// newGoSide builds the Go side of the net described by dir's meta.json
// from the weights and batches in dir.
func newGoSide(dir string) (*goSide, error) {
	m, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	rn, err := netNamed(m.Net)
	if err != nil {
		return nil, err
	}
	cfg, err := rn.config()
	if err != nil {
		return nil, err
	}
	model, err := trainer.NewModel(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		return nil, err
	}
	if len(model.Params()) != len(m.Params) {
		return nil, fmt.Errorf("refbench: the model has %d parameters, the files %d", len(model.Params()), len(m.Params))
	}
	for _, name := range m.Params {
		shape, data, err := readNpy(dir, name)
		if err != nil {
			return nil, err
		}
		mp := model.Param(name)
		if mp == nil || !slices.Equal(shape, mp.Shape) {
			return nil, fmt.Errorf("refbench: parameter %s: file shape %v does not fit the model", name, shape)
		}
		copy(mp.Data(), data)
	}
	s := &goSide{batch: m.Batch, xs: make([][]float32, m.Batches), ys: make([][]float32, m.Batches)}
	for b := range s.xs {
		if _, s.xs[b], err = readNpy(dir, fmt.Sprintf("x.%d", b)); err != nil {
			return nil, err
		}
		if _, s.ys[b], err = readNpy(dir, fmt.Sprintf("y.%d", b)); err != nil {
			return nil, err
		}
	}
	if s.net, err = model.Build(trainer.NetOptions{Batch: m.Batch, Train: true}); err != nil {
		return nil, err
	}
	if s.solver, err = optim.New(rn.opt); err != nil {
		s.net.Close()
		return nil, err
	}
	return s, nil
}

// step runs training step i (forward, backward, update) on batch i mod
// the number of batches and returns its loss.
func (s *goSide) step(i int) (float64, error) {
	x, y := s.net.Input()
	copy(x, s.xs[i%len(s.xs)])
	copy(y, s.ys[i%len(s.ys)])
	if err := s.net.Run(); err != nil {
		return 0, err
	}
	loss := s.net.LossValue()
	return loss, s.net.Update(s.solver)
}

// Close releases the graph.
func (s *goSide) Close() error { return s.net.Close() }

// runGo trains the net described in dir from its weights and batches for
// warmup+steps full steps, timing the last steps in wall and process CPU
// time.
func runGo(dir string, warmup, steps int) (runResult, error) {
	s, err := newGoSide(dir)
	if err != nil {
		return runResult{}, err
	}
	defer s.Close()
	res := runResult{Losses: make([]float64, 0, warmup+steps)}
	var start time.Time
	var cpu0 time.Duration
	for i := 0; i < warmup+steps; i++ {
		if i == warmup {
			if cpu0, err = host.OwnCPU(); err != nil {
				return runResult{}, err
			}
			start = time.Now()
		}
		loss, err := s.step(i)
		if err != nil {
			return runResult{}, err
		}
		res.Losses = append(res.Losses, loss)
	}
	if steps > 0 {
		res.WallS = time.Since(start).Seconds()
		cpu, err := host.OwnCPU()
		if err != nil {
			return runResult{}, err
		}
		res.CPUS = (cpu - cpu0).Seconds()
		res.ImagesPerS = float64(s.batch*steps) / res.WallS
	}
	return res, nil
}
