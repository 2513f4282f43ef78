package experiments

import (
	"testing"

	"branchspec/configs"
	"branchspec/trainer"
)

// BenchmarkMeasureDefault times each metric group at one checkpoint of the
// default config, the unit of the metric pass's cost, and the drawing of
// the initialisation null, paid once per run.
func BenchmarkMeasureDefault(b *testing.B) {
	cfg := configs.Defaults()
	_, test, err := LoadData(cfg)
	if err != nil {
		b.Fatal(err)
	}
	model, err := trainer.NewModel(cfg, trainer.Stream(1, "init", 0))
	if err != nil {
		b.Fatal(err)
	}
	ev, err := model.NewEvaluator(evalBatch(test.Len()))
	if err != nil {
		b.Fatal(err)
	}
	defer ev.Close()
	inst, err := newInstruments(cfg, model, ev, test)
	if err != nil {
		b.Fatal(err)
	}
	defer inst.close()
	draws, err := drawInitNull(cfg, test, "")
	if err != nil {
		b.Fatal(err)
	}
	if inst.origin, err = newOrigin(model, model.Weights(), draws); err != nil {
		b.Fatal(err)
	}
	b.Run("init-null", func(b *testing.B) {
		for b.Loop() {
			if _, err := drawInitNull(cfg, test, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, g := range append(MetricGroups(), "test-eval") {
		b.Run(g, func(b *testing.B) {
			for b.Loop() {
				if g == "test-eval" {
					if _, err := ev.Evaluate(test, 0, nil); err != nil {
						b.Fatal(err)
					}
					continue
				}
				m := inst.measurer(1, 0, map[string]float64{})
				if err := m.run([]string{g}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
