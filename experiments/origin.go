package experiments

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"branchspec/configs"
	"branchspec/metrics"
	"branchspec/metrics/stats"
	"branchspec/results"
	"branchspec/trainer"
	"branchspec/trainer/data"
)

// A run's origin is what its measurements are read against, stored once
// in its run.db (results.Origin) and read back by every resume and
// analysis, so that a value is the same bits however often it is
// recomputed:
//
//   - w_0, the weights the run was initialised with: drift and the dw
//     scores (dchroma, dfreq) measure the change from them. A run trained
//     from step 0 stores its step-0 weights (after the bias regime, which
//     acts at initialisation). A fork stores its parent's w_0, which for a
//     fork of a fork is the root's: every run of a fork tree measures its
//     change from the same initialisation, and a late bias applied at the
//     fork is part of what the fork's dw holds. The fork's null is of that
//     initialisation too (see forkOrigin).
//   - the initialisation null: the metrics whose units are not
//     exchangeable (initNullTail) computed on metrics.inits fresh
//     initialisations of the same architecture (same connection masks,
//     same bias regime) on the same probes and held-out examples. Draw i
//     initialises from the streams "init-null" and "init-null/bias" of
//     the run's seed with counter i, apart from every stream training
//     uses, so the run's own initialisation is one more independent draw
//     and p at step 0 is uniform. Each draw costs forward passes over the
//     probe bank and cka_examples held-out examples (each also in gray),
//     no training.
//
// A run made before origins were stored gets one when it is resumed or
// analysed: w_0 from its step-0 checkpoint, or, when retention pruned
// those weights, from the run's initialisation recomputed from its seed
// and accepted only if its SHA-256 equals the one recorded for step 0 (a
// fork's is not recomputed); the null drawn as for a new run.

// Purposes of the initialisation null's random streams.
const (
	initNullStream     = "init-null"
	initNullBiasStream = "init-null/bias"
)

// keyCSIChance holds, in the stored null, the first-layer unit CSIs over
// every fresh draw: the chance distribution whose 5th and 95th
// percentiles bound the CSI families.
const keyCSIChance = "family.csi.chance"

// initNullTail reports whether key is read against the initialisation
// null, and in which direction specialization moves it: up for the
// concentration of dependency and split statistics, down for entropies
// and for similarities (a branch that sees colour resembles its own
// grayscale response less).
func initNullTail(key string) (metrics.Tail, bool) {
	switch {
	case key == "rejoin.maxshare", key == "rejoin.fmaxshare", key == "csi.rejoin.eta2":
		return metrics.Upper, true
	case key == "rejoin.entropy", key == "rejoin.fentropy", key == "cka.between",
		strings.HasPrefix(key, "cka.gray.b"):
		return metrics.Lower, true
	}
	return metrics.Upper, false
}

// initNullGroups are the metric groups a draw of the initialisation null
// computes.
func initNullGroups() []string { return []string{"rejoin", "csi", "cka"} }

// origin is a run's origin as measuring uses it.
type origin struct {
	w0     map[string][]float32 // by parameter name; nil when unknown
	nulls  map[string]metrics.Null
	csiLo  float64
	csiHi  float64
	csiSet bool
}

// newOrigin checks w0 (nil: unknown) against model's parameters and builds
// the nulls of draws.
func newOrigin(model *trainer.Model, w0 []trainer.Tensor, draws map[string][]float64) (*origin, error) {
	o := &origin{nulls: map[string]metrics.Null{}}
	if w0 != nil {
		params := model.Params()
		if len(w0) != len(params) {
			return nil, fmt.Errorf("initial weights: %d tensors, the model has %d", len(w0), len(params))
		}
		o.w0 = map[string][]float32{}
		for i, t := range w0 {
			if p := params[i]; t.Name != p.Name || !slices.Equal(t.Shape, p.Shape) {
				return nil, fmt.Errorf("initial weights: tensor %d is %s%v, the model expects %s%v", i, t.Name, t.Shape, p.Name, p.Shape)
			}
			o.w0[t.Name] = t.Data
		}
	}
	for k, v := range draws {
		if tail, ok := initNullTail(k); ok {
			o.nulls[k] = metrics.NewNull(v, tail)
		}
	}
	if c := draws[keyCSIChance]; len(c) > 0 {
		o.csiLo, o.csiHi, o.csiSet = stats.Quantile(c, 0.05), stats.Quantile(c, 0.95), true
	}
	return o, nil
}

// weights returns w_0 by parameter name (nil when unknown, or o is nil).
func (o *origin) weights() map[string][]float32 {
	if o == nil {
		return nil
	}
	return o.w0
}

// null returns the initialisation null of key, if the run has one.
func (o *origin) null(key string) (metrics.Null, bool) {
	if o == nil {
		return metrics.Null{}, false
	}
	n, ok := o.nulls[key]
	return n, ok
}

// csiTails returns the 5th and 95th percentiles of first-layer CSI over
// the initialisation null's draws.
func (o *origin) csiTails() (lo, hi float64, ok bool) {
	if o == nil {
		return 0, 0, false
	}
	return o.csiLo, o.csiHi, o.csiSet
}

// drawInitNull computes the initialisation null of cfg's run on the
// held-out set test (see drawInitNull of instruments) with instruments of
// its own, on the GEMM kernel gemm ("": the default).
func drawInitNull(cfg *configs.Config, test *data.Set, gemm string) (map[string][]float64, error) {
	if !cfg.Metrics.Enabled {
		return map[string][]float64{}, nil
	}
	model, err := trainer.NewModel(cfg, trainer.Stream(cfg.Seed, initNullStream, 0))
	if err != nil {
		return nil, err
	}
	if err := model.UseGEMM(gemm); err != nil {
		return nil, err
	}
	inst, err := newInstruments(cfg, model, nil, test)
	if err != nil {
		return nil, err
	}
	defer inst.close()
	return inst.drawInitNull(cfg)
}

// drawInitNull computes the initialisation null of cfg's run with in,
// whose model it redraws: the values of every key initNullTail accepts on
// cfg.Metrics.Inits fresh initialisations, in draw order, and
// keyCSIChance. It returns an empty map when metrics are off.
func (in *instruments) drawInitNull(cfg *configs.Config) (map[string][]float64, error) {
	draws := map[string][]float64{}
	if !cfg.Metrics.Enabled {
		return draws, nil
	}
	for i := range cfg.Metrics.Inits {
		c := uint64(i)
		if err := in.model.Reinitialize(cfg, trainer.Stream(cfg.Seed, initNullStream, c), trainer.Stream(cfg.Seed, initNullBiasStream, c)); err != nil {
			return nil, err
		}
		m := in.measurer(cfg.Seed, 0, map[string]float64{})
		m.draw = true
		if err := m.run(initNullGroups()); err != nil {
			return nil, fmt.Errorf("initialisation null, draw %d: %w", i, err)
		}
		for k, v := range m.vals {
			if _, ok := initNullTail(k); ok {
				draws[k] = append(draws[k], v)
			}
		}
		if len(m.csiFirst) > 0 {
			draws[keyCSIChance] = append(draws[keyCSIChance], m.csiFirst...)
		}
	}
	return draws, nil
}

// initialWeights returns the weights a run of cfg starts from at step 0
// (trainer.New's: the init stream, then the bias regime), drawn into
// model.
func initialWeights(cfg *configs.Config, model *trainer.Model) ([]trainer.Tensor, error) {
	if err := model.Reinitialize(cfg, trainer.Stream(cfg.Seed, "init", 0), trainer.Stream(cfg.Seed, "bias", 0)); err != nil {
		return nil, err
	}
	return model.Weights(), nil
}

// loadOrigin reads run's origin and completes what a run made before
// origins lacks (see the comment at the top of this file): init are the
// run's own initial weights, recomputed from its seed, taken for w_0 only
// when they match what the run recorded at step 0. put is what must be
// stored (nil when nothing).
func loadOrigin(run *results.Run, cfg *configs.Config, model *trainer.Model, init []trainer.Tensor, test *data.Set) (o *origin, put *results.Origin, err error) {
	stored, err := run.Origin()
	if err != nil {
		return nil, nil, err
	}
	w0 := trainerTensors(stored.Weights)
	if stored.Weights == nil {
		if w0, err = oldRunW0(run, init); err != nil {
			return nil, nil, err
		}
		if w0 != nil {
			put = &results.Origin{Weights: resultsTensors(w0)}
		}
	}
	draws := stored.Nulls
	if draws == nil {
		if draws, err = drawInitNull(cfg, test, model.GEMM()); err != nil {
			return nil, nil, err
		}
		if put == nil {
			put = &results.Origin{}
		}
		put.Nulls = draws
	}
	o, err = newOrigin(model, w0, draws)
	return o, put, err
}

// oldRunW0 finds the initial weights of a run that did not store them:
// its step-0 checkpoint's, or init when they match what the run recorded
// at step 0 (or the run has no checkpoint yet); nil for a fork, whose
// initialisation is its root's.
func oldRunW0(run *results.Run, init []trainer.Tensor) ([]trainer.Tensor, error) {
	ck, err := run.Checkpoint(0)
	switch {
	case err == nil:
		return trainerTensors(ck.Weights), nil
	case !errors.Is(err, results.ErrPruned) && !errors.Is(err, results.ErrNoCheckpoint):
		return nil, err
	}
	info, err := run.Info()
	if err != nil || info.Parent != "" {
		return nil, err
	}
	infos, err := run.Checkpoints()
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return init, nil
	}
	if infos[0].Step == 0 && infos[0].WeightsSHA256 == results.WeightsSHA256(resultsTensors(init)) {
		return init, nil
	}
	return nil, nil
}

// forkOrigin is what a fork with config cfg of parent (config pcfg)
// inherits: the parent's w_0 (see loadOrigin; nil when unknown) and the
// initialisation null of the fork tree's initialisation. The null is the
// parent's own when the fork measures as the parent does (same data and
// metrics settings; the seed and the architecture a fork cannot change);
// otherwise nullCfg is the config to draw it from: cfg with the bias
// regime of the first run of the tree, the one that acted at
// initialisation (a fork's own bias acts late, on the forked weights).
func forkOrigin(parent *results.Run, pcfg, cfg *configs.Config) (w0 []trainer.Tensor, draws map[string][]float64, nullCfg *configs.Config, err error) {
	stored, err := parent.Origin()
	if err != nil {
		return nil, nil, nil, err
	}
	if w0 = trainerTensors(stored.Weights); w0 == nil {
		model, err := trainer.NewModel(pcfg, trainer.Stream(pcfg.Seed, "init", 0))
		if err != nil {
			return nil, nil, nil, err
		}
		init, err := initialWeights(pcfg, model)
		if err != nil {
			return nil, nil, nil, err
		}
		if w0, err = oldRunW0(parent, init); err != nil {
			return nil, nil, nil, err
		}
	}
	if stored.Nulls != nil && pcfg.Data == cfg.Data && pcfg.Metrics == cfg.Metrics {
		return w0, stored.Nulls, nil, nil
	}
	bias, err := rootBias(parent)
	if err != nil {
		return nil, nil, nil, err
	}
	nullCfg = cfg.Clone()
	nullCfg.Regime.Bias = bias
	return w0, nil, nullCfg, nil
}

// rootBias is the bias regime of the first run of run's fork tree,
// following each run's recorded parent.
func rootBias(run *results.Run) (configs.Bias, error) {
	for range 1000 {
		info, err := run.Info()
		if err != nil {
			return configs.Bias{}, err
		}
		if info.Parent == "" {
			cfg, err := RunConfig(run)
			if err != nil {
				return configs.Bias{}, err
			}
			return cfg.Regime.Bias, nil
		}
		dir := info.Parent
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(run.Dir(), dir)
		}
		if run, err = results.Open(dir, nil); err != nil {
			return configs.Bias{}, fmt.Errorf("the parent of %s: %w", info.Name, err)
		}
	}
	return configs.Bias{}, fmt.Errorf("fork lineage of %s is longer than 1000 runs", run.Dir())
}

func trainerTensors(ts []results.Tensor) []trainer.Tensor {
	if ts == nil {
		return nil
	}
	return tensorsOf(ts)
}

func resultsTensors(ts []trainer.Tensor) []results.Tensor {
	if ts == nil {
		return nil
	}
	out := make([]results.Tensor, len(ts))
	for i, t := range ts {
		out[i] = results.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
	}
	return out
}
