package trainer

import (
	"math/rand/v2"

	"branchspec/configs"
)

// Reinitialize redraws every parameter of m as New initialises the model
// of a run of cfg: each parameter in order from init (InitParam; the
// connection masks of a mixed layer are kept, they are the architecture),
// then, under cfg's bias regime, the chromatic bias from bias (ApplyBias).
// With init = Stream(seed, "init", 0) and bias = Stream(seed, "bias", 0)
// it gives exactly the weights New starts from; with other streams it
// draws a fresh initialisation of the same architecture, such as the
// draws of an initialisation null. bias is not used when cfg has no bias
// regime. m must be a model of cfg.
func (m *Model) Reinitialize(cfg *configs.Config, init, bias *rand.Rand) error {
	for _, p := range m.params {
		m.InitParam(p, init)
	}
	if b := cfg.Regime.Bias; b.Epsilon > 0 {
		return m.ApplyBias(b, bias)
	}
	return nil
}
