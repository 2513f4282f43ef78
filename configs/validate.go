package configs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits enforced by Validate. Beyond the ranges that make a value
// meaningful, a value that a run could not hold gets a natural maximum,
// far above what science needs and below what exhausts a machine's memory
// in one step; whether a whole config fits a machine is estimated
// elsewhere, from all its values together.
const (
	MaxParams = 50_000_000 // total parameters of the model (exclusive)
	// maxSynthetic bounds synthetic train_size and test_size: the set is
	// generated into memory as float32, 48 KiB an image at size 64, and
	// 100000 is twice CIFAR-10's training set.
	maxSynthetic = 100_000
	// maxFolder bounds a folder source's train_size and test_size: ten
	// million images is two hundred times CIFAR-10's training set.
	maxFolder = 10_000_000
	maxSteps  = 100_000_000
	// maxLayers bounds each list of layers (stem, branch, each per_branch
	// list, trunk, hidden): deeper nets are out of this harness's scope.
	maxLayers = 32
	// maxProbes bounds metrics.probes: the probe bank is evaluated as one
	// batch, so like optim.batch_size it is at most 4096.
	maxProbes = 4096
	// maxNull bounds metrics.permutations and metrics.shuffles: a null of
	// n draws resolves p-values down to 1/(n+1), and 10^-5 is ample.
	maxNull = 100_000
	// maxInits bounds metrics.inits: each draw of the initialisation null
	// is a fresh model evaluated on the probes and held-out examples, so
	// 1000 already costs more than most runs' training.
	maxInits = 1000
)

// Validate checks every value against its documented range and the model
// against its input: layer shapes, pooling, the concat, the parameter count,
// and the layers that regimes name. It returns the first problem found, in
// the order of the schema, as an *Error with Key set and no position (Parse
// and Set add the position).
func (c *Config) Validate() error {
	checks := []func() *Error{c.validateTop, c.Data.validate, c.validateModel,
		c.validateOptim, c.Schedule.validate, c.Checkpoint.validate,
		c.validateMetrics, c.validateRegime}
	for _, check := range checks {
		if e := check(); e != nil {
			return e
		}
	}
	return nil
}

// Helpers that make a *Error for key, or nil if the value is allowed.

func intIn(key string, v, lo, hi int) *Error {
	if v < lo || v > hi {
		return keyError(key, fmt.Sprintf("must be in %d..%d, got %d", lo, hi, v))
	}
	return nil
}

func atLeast(key string, v, lo int) *Error {
	if v < lo {
		return keyError(key, fmt.Sprintf("must be >= %d, got %d", lo, v))
	}
	return nil
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// floatIn checks lo <= v <= hi (lo < v when openLo, v < hi when openHi).
func floatIn(key string, v, lo, hi float64, openLo, openHi bool) *Error {
	ok := !math.IsNaN(v) && (v > lo || !openLo && v == lo) && (v < hi || !openHi && v == hi)
	if ok {
		return nil
	}
	l, h := "[", "]"
	if openLo {
		l = "("
	}
	if openHi {
		h = ")"
	}
	return keyError(key, fmt.Sprintf("must be in %s%s, %s%s, got %s", l, num(lo), num(hi), h, num(v)))
}

func positive(key string, v float64) *Error {
	if !(v > 0) || math.IsInf(v, 1) {
		return keyError(key, "must be > 0 and finite, got "+num(v))
	}
	return nil
}

func nonNegative(key string, v float64) *Error {
	if !(v >= 0) || math.IsInf(v, 1) {
		return keyError(key, "must be >= 0 and finite, got "+num(v))
	}
	return nil
}

func oneOf(key, v string, allowed ...string) *Error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = strconv.Quote(a)
	}
	return keyError(key, fmt.Sprintf("must be one of %s; got %q", strings.Join(q, ", "), clip(v)))
}

// first returns the first non-nil error.
func first(errs ...*Error) *Error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (c *Config) validateTop() *Error {
	if !ValidName(c.Name) {
		return keyError("name", fmt.Sprintf("%s; got %q", NameRule, clip(c.Name)))
	}
	if c.Seed > math.MaxInt64 {
		return keyError("seed", fmt.Sprintf("must be in 0..%d (TOML integers are signed 64-bit), got %d", int64(math.MaxInt64), c.Seed))
	}
	return nil
}

func (d *Data) validate() *Error {
	if e := oneOf("data.source", d.Source, SourceSynthetic, SourceCIFAR10, SourceIDX, SourceFolder); e != nil {
		return e
	}
	switch {
	case !utf8.ValidString(d.Path):
		return keyError("data.path", "must be valid UTF-8")
	case d.Source == SourceSynthetic && d.Path != "":
		return keyError("data.path", fmt.Sprintf(`must be empty for source "synthetic", got %q`, clip(d.Path)))
	case d.Source != SourceSynthetic && d.Path == "":
		return keyError("data.path", fmt.Sprintf("must name the directory holding the %s files", d.Source))
	}
	limits := map[string][2]int{
		SourceSynthetic: {maxSynthetic, maxSynthetic},
		SourceCIFAR10:   {50000, 10000},
		SourceIDX:       {60000, 10000},
		SourceFolder:    {maxFolder, maxFolder},
	}[d.Source]
	minSize := 0
	if d.Source == SourceSynthetic {
		minSize = 1
	}
	if e := first(
		sizeIn("data.train_size", d.Source, d.TrainSize, minSize, limits[0]),
		sizeIn("data.test_size", d.Source, d.TestSize, minSize, limits[1]),
	); e != nil {
		return e
	}
	if e := d.validateFolder(); e != nil {
		return e
	}
	if ch, _, _ := d.inputShape(); d.Grayscale && ch != 3 {
		return keyError("data.grayscale", fmt.Sprintf("needs 3-channel input; source %q has %d channel(s)", d.Source, ch))
	}
	s := d.Synthetic
	return first(
		intIn("data.synthetic.forms", s.Forms, 2, 8),
		intIn("data.synthetic.hues", s.Hues, 2, 8),
		intIn("data.synthetic.size", s.Size, 16, 64),
		floatIn("data.synthetic.noise", s.Noise, 0, 1, false, false),
		d.validatePreprocess(),
		d.validateAugment(),
	)
}

// validateFolder checks data.folder: set for source "folder", zero for the
// others, so that an unused key cannot change a config's hash.
func (d *Data) validateFolder() *Error {
	f := d.Folder
	if d.Source != SourceFolder {
		set := []struct {
			key string
			on  bool
		}{{"size", f.Size != 0}, {"classes", f.Classes != 0}, {"resize", f.Resize}}
		for _, k := range set {
			if k.on {
				return keyError("data.folder."+k.key, fmt.Sprintf("applies to source %q only; leave it out for source %q", SourceFolder, d.Source))
			}
		}
		return nil
	}
	return first(
		folderKey("data.folder.size", f.Size, 8, 1024, "the image side in pixels"),
		folderKey("data.folder.classes", f.Classes, 2, 100_000, "the number of class folders under data.path/train"),
	)
}

// folderKey checks a key that source "folder" requires.
func folderKey(key string, v, lo, hi int, what string) *Error {
	if v == 0 {
		return keyError(key, fmt.Sprintf("is required for source %q: %s, %d..%d", SourceFolder, what, lo, hi))
	}
	return intIn(key, v, lo, hi)
}

func (d *Data) validatePreprocess() *Error {
	p := d.Preprocess
	if p.Kind != "" {
		if e := oneOf("data.preprocess.kind", p.Kind, PreprocessNone, PreprocessMeanImage, PreprocessPerChannel); e != nil {
			return e
		}
	}
	v := float64(p.Scale)
	switch kind := d.PreprocessKind(); {
	case kind != PreprocessMeanImage && p.Scale != ScaleFit:
		return keyError("data.preprocess.scale", fmt.Sprintf(`applies to kind %q only; must be "fit" for kind %q, got %s`, PreprocessMeanImage, kind, num(v)))
	case !(v >= 0) || math.IsInf(v, 1):
		return keyError("data.preprocess.scale", fmt.Sprintf(`must be "fit" or a finite number > 0 (input units per pixel level), got %s`, num(v)))
	}
	return nil
}

func (d *Data) validateAugment() *Error {
	a := d.Augment
	_, h, w := d.inputShape()
	if e := intIn("data.augment.pad", a.Pad, 0, 64); e != nil {
		return e
	}
	if a.Pad >= min(h, w) {
		return keyError("data.augment.pad", fmt.Sprintf("must be less than the image side (%d), got %d", min(h, w), a.Pad))
	}
	return nil
}

// sizeIn checks a dataset size, explaining what 0 means.
func sizeIn(key, source string, v, lo, hi int) *Error {
	if v >= lo && v <= hi {
		return nil
	}
	if lo == 0 {
		return keyError(key, fmt.Sprintf("must be in 0..%d for source %q (0 = all the files hold), got %d", hi, source, v))
	}
	return keyError(key, fmt.Sprintf("must be in %d..%d for source %q, got %d", lo, hi, source, v))
}

func (d *Data) inputShape() (ch, h, w int) {
	switch d.Source {
	case SourceCIFAR10:
		return 3, 32, 32
	case SourceIDX:
		return 1, 28, 28
	case SourceFolder:
		return 3, d.Folder.Size, d.Folder.Size
	}
	return 3, d.Synthetic.Size, d.Synthetic.Size
}

// InputShape returns the channels, height and width of one input image:
// synthetic 3 x size x size, cifar10 3 x 32 x 32, idx 1 x 28 x 28, folder
// 3 x folder.size x folder.size. Grayscale keeps the channel count
// (luminance is replicated).
func (c *Config) InputShape() (ch, h, w int) { return c.Data.inputShape() }

// Classes returns the number of classes: synthetic forms*hues (label =
// form*hues + hue), cifar10 and idx 10, folder folder.classes.
func (c *Config) Classes() int {
	switch c.Data.Source {
	case SourceSynthetic:
		return c.Data.Synthetic.Forms * c.Data.Synthetic.Hues
	case SourceFolder:
		return c.Data.Folder.Classes
	}
	return 10
}

func checkLayer(key string, l Layer, bias bool) *Error {
	if l.Kernel%2 == 0 || l.Kernel < 1 || l.Kernel > 11 {
		return keyError(key+".kernel", fmt.Sprintf("must be odd, 1..11, got %d", l.Kernel))
	}
	if l.Pool < 0 || l.Pool > 4 {
		return keyError(key+".pool", fmt.Sprintf("must be 0 or 1 (no pooling) or 2..4, got %d", l.Pool))
	}
	if e := first(
		intIn(key+".out", l.Out, 1, 4096),
		intIn(key+".stride", l.Stride, 0, 4),
		intIn(key+".pool_stride", l.PoolStride, 0, 4),
	); e != nil {
		return e
	}
	if l.PoolStride > 0 && l.Pool < 2 {
		return keyError(key+".pool_stride", fmt.Sprintf("needs a pool of 2..4, got pool = %d", l.Pool))
	}
	if l.Activation != "" {
		if e := oneOf(key+".activation", l.Activation, ActivationReLU, ActivationLinear); e != nil {
			return e
		}
	}
	if e := nonNegative(key+".init_std", l.InitStd); e != nil {
		return e
	}
	switch {
	case math.IsNaN(l.BiasInit) || math.IsInf(l.BiasInit, 0):
		return keyError(key+".bias_init", "must be finite, got "+num(l.BiasInit))
	case l.BiasInit != 0 && !bias:
		return keyError(key+".bias_init", "needs model.bias = true")
	}
	return nil
}

func checkLayers(key string, ls []Layer, bias bool) *Error {
	if len(ls) > maxLayers {
		return keyError(key, fmt.Sprintf("must have at most %d layers, got %d", maxLayers, len(ls)))
	}
	for i, l := range ls {
		if e := checkLayer(fmt.Sprintf("%s[%d]", key, i), l, bias); e != nil {
			return e
		}
	}
	return nil
}

func (c *Config) validateModel() *Error {
	m := &c.Model
	if e := intIn("model.branches", m.Branches, 1, 8); e != nil {
		return e
	}
	if e := first(checkLayers("model.stem", m.Stem, m.Bias), checkLayers("model.branch", m.Branch, m.Bias)); e != nil {
		return e
	}
	if len(m.PerBranch) == 0 && len(m.Branch) == 0 {
		return keyError("model.branch", "needs at least 1 layer (unless model.per_branch is given)")
	}
	if len(m.PerBranch) > 0 && len(m.PerBranch) != m.Branches {
		return keyError("model.per_branch", fmt.Sprintf("has %d lists but model.branches is %d; give exactly one list per branch", len(m.PerBranch), m.Branches))
	}
	for b, ls := range m.PerBranch {
		key := fmt.Sprintf("model.per_branch[%d]", b)
		if len(ls) == 0 {
			return keyError(key, "needs at least 1 layer")
		}
		if e := checkLayers(key, ls, m.Bias); e != nil {
			return e
		}
	}
	if e := checkLayers("model.trunk", m.Trunk, m.Bias); e != nil {
		return e
	}
	if len(m.Hidden) > maxLayers {
		return keyError("model.hidden", fmt.Sprintf("must have at most %d layers, got %d", maxLayers, len(m.Hidden)))
	}
	for i, h := range m.Hidden {
		if e := intIn(fmt.Sprintf("model.hidden[%d]", i), h, 1, 65536); e != nil {
			return e
		}
	}
	if e := first(
		oneOf("model.init", m.Init, InitHe, InitGlorot, InitNormal),
		positive("model.init_std", m.InitStd),
		intIn("model.lrn.size", m.LRN.Size, 1, 15),
		positive("model.lrn.k", m.LRN.K),
		nonNegative("model.lrn.alpha", m.LRN.Alpha),
		floatIn("model.lrn.beta", m.LRN.Beta, 0, 4, false, false),
	); e != nil {
		return e
	}
	layers, err := c.Layers()
	if err != nil {
		return err.(*Error)
	}
	params := 0
	for _, l := range layers {
		params += l.Params
	}
	if params >= MaxParams {
		return keyError("model", fmt.Sprintf("has %d parameters; must be < %d", params, MaxParams))
	}
	return nil
}

func (c *Config) validateOptim() *Error {
	o := &c.Optim
	if e := first(
		oneOf("optim.algorithm", o.Algorithm, AlgorithmSGD, AlgorithmAdam),
		positive("optim.lr", o.LR),
		floatIn("optim.momentum", o.Momentum, 0, 1, false, true),
	); e != nil {
		return e
	}
	if o.Nesterov && o.Algorithm != AlgorithmSGD {
		return keyError("optim.nesterov", fmt.Sprintf(`applies to algorithm "sgd" only, not %q`, o.Algorithm))
	}
	if o.Nesterov && o.Momentum == 0 {
		return keyError("optim.nesterov", "needs optim.momentum > 0")
	}
	if e := first(
		floatIn("optim.beta1", o.Beta1, 0, 1, false, true),
		floatIn("optim.beta2", o.Beta2, 0, 1, false, true),
		positive("optim.eps", o.Eps),
		nonNegative("optim.weight_decay", o.WeightDecay),
		intIn("optim.batch_size", o.BatchSize, 1, 4096),
	); e != nil {
		return e
	}
	if n := c.Data.TrainSize; n > 0 && o.BatchSize > n {
		return keyError("optim.batch_size", fmt.Sprintf("must be <= data.train_size (%d), got %d", n, o.BatchSize))
	}
	return nil
}

func (s *Schedule) validate() *Error {
	if e := intIn("schedule.steps", s.Steps, 1, maxSteps); e != nil {
		return e
	}
	if s.Warmup < 0 || s.Warmup >= s.Steps {
		return keyError("schedule.warmup", fmt.Sprintf("must be in 0..%d (less than schedule.steps), got %d", s.Steps-1, s.Warmup))
	}
	return first(
		oneOf("schedule.lr", s.LR, LRConstant, LRStep, LRCosine),
		atLeast("schedule.step_every", s.StepEvery, 1),
		floatIn("schedule.step_gamma", s.StepGamma, 0, 1, true, false),
		floatIn("schedule.min_lr", s.MinLR, 0, 1, false, false),
		atLeast("schedule.eval_every", s.EvalEvery, 1),
		atLeast("schedule.log_every", s.LogEvery, 1),
	)
}

func (k *Checkpoint) validate() *Error {
	if e := first(
		atLeast("checkpoint.log_until", k.LogUntil, 0),
		atLeast("checkpoint.every", k.Every, 1),
		oneOf("checkpoint.keep", k.Keep, KeepAll, KeepLast, KeepSchedule),
		atLeast("checkpoint.keep_last", k.KeepLast, 1),
		atLeast("checkpoint.keep_every", k.KeepEvery, 1),
	); e != nil {
		return e
	}
	if k.Keep == KeepSchedule && k.KeepEvery%k.Every != 0 {
		return keyError("checkpoint.keep_every", fmt.Sprintf(`must be a multiple of checkpoint.every (%d) for keep = "schedule", got %d`, k.Every, k.KeepEvery))
	}
	return nil
}

func (c *Config) validateMetrics() *Error {
	m := &c.Metrics
	if e := first(
		intIn("metrics.probes", m.Probes, 1, maxProbes),
		intIn("metrics.permutations", m.Permutations, 1, maxNull),
		intIn("metrics.shuffles", m.Shuffles, 1, maxNull),
		intIn("metrics.inits", m.Inits, 1, maxInits),
		atLeast("metrics.cka_examples", m.CKAExamples, 4),
		atLeast("metrics.lesion_examples", m.LesionExamples, 0),
		intIn("metrics.csi_top", m.CSITop, 1, m.Probes),
	); e != nil {
		return e
	}
	return nil
}

func (c *Config) validateRegime() *Error {
	r := &c.Regime
	steps := c.Schedule.Steps
	for i, f := range r.Freeze {
		key := fmt.Sprintf("regime.freeze[%d]", i)
		if _, err := c.Expand(f.Layer); err != nil {
			return keyError(key+".layer", err.Error())
		}
		if e := intIn(key+".from", f.From, 0, steps-1); e != nil {
			return e
		}
		if f.To != -1 && (f.To <= f.From || f.To > steps) {
			return keyError(key+".to", fmt.Sprintf("must be -1 (to the end) or in %d..%d (after from, at most schedule.steps), got %d", f.From+1, steps, f.To))
		}
	}
	for i, rr := range r.Rerandomize {
		key := fmt.Sprintf("regime.rerandomize[%d]", i)
		if _, err := c.Expand(rr.Layer); err != nil {
			return keyError(key+".layer", err.Error())
		}
		if e := atLeast(key+".every", rr.Every, 1); e != nil {
			return e
		}
	}
	if e := c.validateMixing(); e != nil {
		return e
	}
	if e := c.validateBias(); e != nil {
		return e
	}
	return c.validateGrayBranch()
}

// needsOneGain is the complaint about a regime (key) that needs every
// input channel to have one gain, or "" when the preprocessing gives them
// one: per-channel preprocessing scales the channels apart, which tilts the
// input space's luminance axis away from Rec. 601's.
func (c *Config) needsOneGain() string {
	if kind := c.Data.PreprocessKind(); kind == PreprocessPerChannel {
		return fmt.Sprintf("needs one gain on every input channel (data.preprocess.kind %q or %q), got %q", PreprocessNone, PreprocessMeanImage, kind)
	}
	return ""
}

// validateGrayBranch checks regime.gray_branch: -1 (off) or a branch of a
// model of >= 2 branches whose first convs read the 3-channel input with
// one gain on every channel.
func (c *Config) validateGrayBranch() *Error {
	const key = "regime.gray_branch"
	g := c.Regime.GrayBranch
	if g == -1 {
		return nil
	}
	if e := intIn(key, g, -1, c.Model.Branches-1); e != nil {
		return e
	}
	if c.Model.Branches < 2 {
		return keyError(key, fmt.Sprintf("needs model.branches >= 2 (a branch that reads colour beside it), got %d", c.Model.Branches))
	}
	if ch, _, _ := c.InputShape(); ch != 3 {
		return keyError(key, fmt.Sprintf("needs 3-channel input; source %q has %d channel(s)", c.Data.Source, ch))
	}
	if n := len(c.Model.Stem); n > 0 {
		return keyError(key, fmt.Sprintf("needs the first conv inside the branches, but model.stem has %d layer(s)", n))
	}
	if msg := c.needsOneGain(); msg != "" {
		return keyError(key, msg)
	}
	return nil
}

func (c *Config) validateMixing() *Error {
	mx := &c.Regime.Mixing
	if e := floatIn("regime.mixing.p", mx.P, 0, 1, false, false); e != nil {
		return e
	}
	if mx.Layer == "" {
		if mx.P != 0 {
			return keyError("regime.mixing.p", `must be 0 when regime.mixing.layer is ""`)
		}
		return nil
	}
	const key = "regime.mixing.layer"
	if c.Model.Branches < 2 {
		return keyError(key, fmt.Sprintf("needs model.branches >= 2, got %d", c.Model.Branches))
	}
	rest, ok := strings.CutPrefix(mx.Layer, "branch.*.")
	idx, err := strconv.Atoi(rest)
	if !ok || err != nil || strconv.Itoa(idx) != rest {
		return keyError(key, fmt.Sprintf(`must be "branch.*.I" (every branch, layer I), got %q`, clip(mx.Layer)))
	}
	if idx < 1 {
		return keyError(key, fmt.Sprintf("needs branch layer I >= 1 (cross-branch inputs come from layer I-1), got %d", idx))
	}
	if _, err := c.Expand(mx.Layer); err != nil {
		return keyError(key, err.Error())
	}
	layers, _ := c.Layers()
	byName := map[string]LayerInfo{}
	for _, l := range layers {
		byName[l.Name] = l
	}
	ref := byName[fmt.Sprintf("branch.0.%d", idx)]
	for b := 1; b < c.Model.Branches; b++ {
		l := byName[fmt.Sprintf("branch.%d.%d", b, idx)]
		if l.Out[0] != ref.Out[0] || l.In != ref.In {
			return keyError(key, fmt.Sprintf("needs equal widths and input shapes in every branch at layer %d: branch 0 maps %v to %d channels, branch %d maps %v to %d",
				idx, ref.In, ref.Out[0], b, l.In, l.Out[0]))
		}
	}
	return nil
}

func (c *Config) validateBias() *Error {
	bs := &c.Regime.Bias
	if e := first(
		intIn("regime.bias.branch", bs.Branch, 0, c.Model.Branches-1),
		nonNegative("regime.bias.epsilon", bs.Epsilon),
		oneOf("regime.bias.axis", bs.Axis, BiasAxisRGB, BiasAxisLuminance),
	); e != nil {
		return e
	}
	if bs.Epsilon == 0 {
		return nil
	}
	if msg := c.needsOneGain(); msg != "" && bs.Axis == BiasAxisLuminance {
		return keyError("regime.bias.axis", msg)
	}
	if ch, _, _ := c.InputShape(); ch != 3 {
		return keyError("regime.bias.epsilon", fmt.Sprintf("needs 3-channel input; source %q has %d channel(s)", c.Data.Source, ch))
	}
	if n := len(c.Model.Stem); n > 0 {
		return keyError("regime.bias.epsilon", fmt.Sprintf("needs the first conv inside the branches, but model.stem has %d layer(s)", n))
	}
	return nil
}

// NameRule says what ValidName accepts, for error messages.
const NameRule = `must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."`

// ValidName reports whether name is 1..128 characters of [a-zA-Z0-9._-]
// and not "." or "..", so that it is one safe path component. Run names,
// experiment names and regime names all follow it: each becomes a
// directory under the results directory.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > 128 || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isBare(c) && c != '.' {
			return false
		}
	}
	return true
}
