package experiments

import (
	"errors"
	"fmt"
	"io"

	"branchspec/results"
	"branchspec/trainer"
)

// Analyze recomputes the named metric groups (nil: all) from every stored
// checkpoint of the run in dir that still has its weights, and records them
// in the run's store under version. A metric added after a run was trained
// thus applies to it without retraining. The values equal those logged
// during training bit for bit: the same weights, data, evaluation batches,
// per-metric random streams, the data's preprocessing stored with the run
// (its dataset must be unchanged) and the run's stored origin (initial weights
// and initialisation null). A run made before origins were stored gets
// one first, stored in its run.db (see loadOrigin): its drift and dw
// scores need its step-0 weights, kept by retention or recomputed from its
// seed and checked against the SHA-256 it recorded at step 0. Gradient
// shares need the training steps and are not recomputed. Progress lines go
// to w (nil: none).
func Analyze(dir string, groups []string, version string, w io.Writer) (steps int, err error) {
	if len(groups) == 0 {
		groups = MetricGroups()
	}
	run, err := results.Open(dir, nil)
	if err != nil {
		return 0, err
	}
	cfg, err := RunConfig(run)
	if err != nil {
		return 0, err
	}
	info, err := run.Info()
	if err != nil {
		return 0, err
	}
	rd, err := openData(cfg, info.Blobs)
	if err != nil {
		return 0, fmt.Errorf("analyze %s: %w", dir, err)
	}
	test := rd.test
	model, err := trainer.NewModel(cfg, trainer.Stream(cfg.Seed, "init", 0))
	if err != nil {
		return 0, err
	}
	if info.Kernel != "" {
		// The run's own arithmetic where a kernel here reproduces it;
		// otherwise the values may differ from the logged ones in their
		// last bits, and the analysis says so.
		if k, err := trainer.ResumeGEMM(info.Kernel); err == nil {
			if err := model.UseGEMM(k); err != nil {
				return 0, err
			}
		} else if w != nil {
			fmt.Fprintf(w, "note: %s was made with %s, which this machine does not reproduce (%v): values may differ from the logged ones in their last bits\n", dir, info.Kernel, err)
		}
	}
	ev, err := model.NewEvaluator(evalBatch(test.Len()))
	if err != nil {
		return 0, err
	}
	defer ev.Close()
	inst, err := newInstruments(cfg, model, ev, test)
	if err != nil {
		return 0, err
	}
	defer inst.close()
	init, err := initialWeights(cfg, model)
	if err != nil {
		return 0, err
	}
	o, put, err := loadOrigin(run, cfg, model, init, test)
	if err != nil {
		return 0, fmt.Errorf("analyze %s: origin: %w", dir, err)
	}
	if put != nil {
		if err := run.PutOrigin(*put); err != nil {
			return 0, err
		}
	}
	inst.origin = o
	cks, err := run.Checkpoints()
	if err != nil {
		return 0, err
	}
	for _, info := range cks {
		if !info.HasWeights {
			continue
		}
		ck, err := run.Checkpoint(info.Step)
		if errors.Is(err, results.ErrPruned) {
			continue
		}
		if err != nil {
			return steps, err
		}
		if err := model.SetWeights(tensorsOf(ck.Weights)); err != nil {
			return steps, fmt.Errorf("analyze %s: step %d: %w", dir, ck.Step, err)
		}
		m := inst.measurer(cfg.Seed, ck.Step, map[string]float64{})
		if err := m.run(groups); err != nil {
			return steps, fmt.Errorf("analyze %s: step %d: %w", dir, ck.Step, err)
		}
		if err := run.PutAnalysis(ck.Step, version, m.vals); err != nil {
			return steps, err
		}
		steps++
		if w != nil {
			fmt.Fprintf(w, "analyzed step %d (%d values)\n", ck.Step, len(m.vals))
		}
	}
	return steps, nil
}
