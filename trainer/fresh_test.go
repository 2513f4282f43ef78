package trainer

import (
	"slices"
	"testing"
)

// TestReinitializeIsNew: redrawing a model with the run's init and bias
// streams gives New's weights bit for bit (so that fresh draws from other
// streams follow the run's own initialisation), under the baseline, the
// bias regime and the mixing regime; other streams give other weights.
func TestReinitializeIsNew(t *testing.T) {
	for _, sets := range [][]string{
		nil,
		{"regime.bias.branch=1", "regime.bias.epsilon=0.3"},
		{`regime.mixing={layer = "branch.*.1", p = 0.5}`},
	} {
		tr := tinyTrainer(t, sets...)
		cfg := tr.Config()
		m, err := NewModel(cfg, Stream(99, "other", 0))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Reinitialize(cfg, Stream(cfg.Seed, "init", 0), Stream(cfg.Seed, "bias", 0)); err != nil {
			t.Fatal(err)
		}
		for i, p := range tr.Model().Params() {
			if !slices.Equal(p.Data(), m.Params()[i].Data()) {
				t.Errorf("%v: %s differs from New's", sets, p.Name)
			}
		}
		if err := m.Reinitialize(cfg, Stream(cfg.Seed, "init-null", 3), Stream(cfg.Seed, "init-null/bias", 3)); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(tr.Model().Params()[0].Data(), m.Params()[0].Data()) {
			t.Errorf("%v: a fresh initialisation equals the run's", sets)
		}
	}
}
