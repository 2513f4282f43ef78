package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"branchspec/trainer"
	"branchspec/trainer/optim"
)

// runResult is what one side reports for one run.
type runResult struct {
	ImagesPerS float64   `json:"images_per_s"`
	Losses     []float64 `json:"losses"`
}

// goSide is the reference net as branchspec's trainer builds it (the model
// compiled by Model.Build, trainer/optim's Adam), with its batches.
type goSide struct {
	net    *trainer.Net
	solver optim.Solver
	xs, ys [][]float32
}

// newGoSide builds the Go side from the weights and batches in dir.
func newGoSide(dir string) (*goSide, error) {
	model, err := trainer.NewModel(refConfig(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		return nil, err
	}
	if len(model.Params()) != len(refParams) {
		return nil, fmt.Errorf("refbench: the model has %d parameters, the files %d", len(model.Params()), len(refParams))
	}
	for _, p := range refParams {
		shape, data, err := readNpy(dir, p.name)
		if err != nil {
			return nil, err
		}
		mp := model.Param(p.name)
		if mp == nil || !slices.Equal(shape, mp.Shape) {
			return nil, fmt.Errorf("refbench: parameter %s: file shape %v does not fit the model", p.name, shape)
		}
		copy(mp.Data(), data)
	}
	s := &goSide{xs: make([][]float32, nBatches), ys: make([][]float32, nBatches)}
	for b := range s.xs {
		if _, s.xs[b], err = readNpy(dir, fmt.Sprintf("x.%d", b)); err != nil {
			return nil, err
		}
		if _, s.ys[b], err = readNpy(dir, fmt.Sprintf("y.%d", b)); err != nil {
			return nil, err
		}
	}
	if s.net, err = model.Build(trainer.NetOptions{Batch: batchSize, Train: true}); err != nil {
		return nil, err
	}
	if s.solver, err = optim.New(optim.Options{Algorithm: optim.Adam, LR: adamLR, Beta1: adamBeta1, Beta2: adamBeta2, Eps: adamEps}); err != nil {
		s.net.Close()
		return nil, err
	}
	return s, nil
}

// step runs training step i (forward, backward, Adam update) on batch
// i mod nBatches and returns its loss.
func (s *goSide) step(i int) (float64, error) {
	x, y := s.net.Input()
	copy(x, s.xs[i%nBatches])
	copy(y, s.ys[i%nBatches])
	if err := s.net.Run(); err != nil {
		return 0, err
	}
	loss := s.net.LossValue()
	return loss, s.net.Update(s.solver)
}

// Close releases the graph.
func (s *goSide) Close() error { return s.net.Close() }

// runGo trains the reference net from the weights and batches in dir for
// warmup+steps full steps, timing the last steps.
func runGo(dir string, warmup, steps int) (runResult, error) {
	s, err := newGoSide(dir)
	if err != nil {
		return runResult{}, err
	}
	defer s.Close()
	res := runResult{Losses: make([]float64, 0, warmup+steps)}
	var start time.Time
	for i := 0; i < warmup+steps; i++ {
		if i == warmup {
			start = time.Now()
		}
		loss, err := s.step(i)
		if err != nil {
			return runResult{}, err
		}
		res.Losses = append(res.Losses, loss)
	}
	if steps > 0 {
		res.ImagesPerS = float64(batchSize*steps) / time.Since(start).Seconds()
	}
	return res, nil
}
