package configs

// Config is one training run: the data, the branched model, the optimizer,
// the schedule, when checkpoints are taken and kept, which metrics are logged
// and which intervention regime applies.
//
// Every field has a snake_case TOML key (its toml tag). A zero-valued Config
// is not valid; start from Defaults, a preset, or Parse, which decodes onto
// Defaults. Empty slices are nil in configs this package returns, so two
// configs that mean the same thing are reflect.DeepEqual.
type Config struct {
	// Name of the run: runs are written to OUT/NAME/seed-SEED.
	// Allowed: 1..128 characters of [a-zA-Z0-9._-], not "." or "..".
	Name string `toml:"name"`
	// Seed is the master seed: every RNG stream of the run derives from it.
	// Allowed: 0..9223372036854775807 (TOML integers are signed 64-bit).
	Seed uint64 `toml:"seed"`

	Data       Data          `toml:"data"`
	Model      Model         `toml:"model"`
	Optim      Optim         `toml:"optim"`
	Schedule   Schedule      `toml:"schedule"`
	Checkpoint Checkpoint    `toml:"checkpoint"`
	Metrics    Metrics       `toml:"metrics"`
	Regime     Interventions `toml:"regime"`
}

// Data sources.
const (
	SourceSynthetic = "synthetic"
	SourceCIFAR10   = "cifar10"
	SourceIDX       = "idx"
	SourceFolder    = "folder"
)

// Data selects the dataset, how much of it is used, and how its images
// become the network's input.
//
// The keys tagged omitdefault (here and in Model and Layer) came after runs
// were stored: at their default value they reproduce the behaviour from
// before them, and Canonical leaves them out, so the canonical text and
// hash of a config that does not use them are what they were. Their
// defaults must never change.
type Data struct {
	// Source is "synthetic", "cifar10", "idx" or "folder".
	Source string `toml:"source"`
	// Path is the directory holding the files: for cifar10 data_batch_1.bin
	// .. data_batch_5.bin and test_batch.bin; for idx train-images-idx3-ubyte,
	// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
	// (each optionally .gz); for folder the root of PATH/train/CLASS/*.jpg
	// and PATH/test/CLASS/*.jpg (or .png). A relative path is relative to
	// the working directory. Must be empty for synthetic, non-empty
	// otherwise.
	Path string `toml:"path"`
	// TrainSize is the number of training examples; 0 means all the files
	// hold (cifar10 <= 50000, idx <= 60000, folder <= 10000000). Synthetic:
	// 1..100000.
	TrainSize int `toml:"train_size"`
	// TestSize is the number of held-out examples; 0 means all the files hold
	// (cifar10, idx <= 10000, folder <= 10000000). Synthetic: 1..100000.
	TestSize int `toml:"test_size"`
	// Grayscale replaces every input by its Rec. 601 luminance replicated over
	// the three channels (the colour control). Needs 3-channel data.
	Grayscale bool `toml:"grayscale"`
	// Synthetic configures the generated dataset; used when Source is
	// "synthetic" (and validated always).
	Synthetic Synthetic `toml:"synthetic"`
	// Folder describes an image-folder dataset; used when Source is
	// "folder", and all zero otherwise.
	Folder Folder `toml:"folder,omitdefault"`
	// Preprocess maps the stored images to the network's input.
	Preprocess Preprocess `toml:"preprocess,omitdefault"`
	// Augment is the training augmentation (none by default).
	Augment Augment `toml:"augment,omitdefault"`
}

// Folder describes the images of an image-folder dataset, which the config
// must know to size the model before any file is read.
type Folder struct {
	// Size is the image side S in pixels, 8..1024: the input is 3 x S x S.
	// An image of another size is refused, naming the file, unless Resize.
	Size int `toml:"size"`
	// Classes is the number of class folders under PATH/train, 2..100000;
	// a folder with another number is refused.
	Classes int `toml:"classes"`
	// Resize resamples images of another size to S x S by area averaging
	// instead of refusing them (a non-square image is stretched).
	Resize bool `toml:"resize"`
}

// Input preprocessings (Preprocess.Kind).
const (
	PreprocessNone       = "none"
	PreprocessMeanImage  = "mean-image"
	PreprocessPerChannel = "per-channel"
)

// Preprocess is the map from a stored image to the network's input, fitted
// on the training set when a run is created and stored with it. Stored
// values are v = 2p - 1 for intensity p in [0, 1], that is v = 2q/255 - 1
// for the 8-bit pixel level q.
//
//	none:        x = v
//	mean-image:  x = (q - mean_q) * scale = (v - mean_v) * 127.5 * scale
//	per-channel: x[c] = (v[c] - mean[c]) / std[c]
//
// mean_q is the training set's mean image (per pixel and channel) in pixel
// levels; scale is one number for every channel, so the proportions
// between R, G and B that make luminance and chroma are kept. scale = 1 is
// AlexNet's input (raw 0-255 pixel levels minus the mean image; Krizhevsky
// et al. 2012, section 2); scale = "fit" divides by the standard deviation
// of the mean-subtracted training values (unit variance overall).
// per-channel normalises each channel by its own statistics, which changes
// what a fixed kernel reads as luminance.
type Preprocess struct {
	// Kind is "none", "mean-image" or "per-channel"; "" is the source's
	// default: "mean-image" for folder, "none" for the others (see
	// Data.PreprocessKind).
	Kind string `toml:"kind"`
	// Scale is mean-image's global scale in input units per pixel level,
	// > 0, or "fit" (written 0 in Go). Must be "fit" for the other kinds.
	Scale Scale `toml:"scale"`
}

// Scale is a preprocessing scale: a number > 0, or 0, written "fit" in
// TOML, for a scale fitted to the training set.
type Scale float64

// ScaleFit is the Scale fitted to the training set.
const ScaleFit Scale = 0

// PreprocessKind returns the preprocessing in effect: Preprocess.Kind, or
// the source's default when it is "".
func (d Data) PreprocessKind() string {
	switch {
	case d.Preprocess.Kind != "":
		return d.Preprocess.Kind
	case d.Source == SourceFolder:
		return PreprocessMeanImage
	}
	return PreprocessNone
}

// Augment is the augmentation of training batches: a random crop of the
// input zero-padded by Pad pixels on every side, and a horizontal flip with
// probability 1/2 (Krizhevsky et al. 2012, section 4.1). Draws are a pure
// function of the run's seed, the step and the example's slot in the
// batch, so a resumed run sees the same crops. Evaluation never augments.
type Augment struct {
	// Pad is P, 0..64 and less than the image side: offsets are uniform on
	// [-P, P] in each axis. 0 is no crop.
	Pad int `toml:"pad"`
	// Flip mirrors each training input left-right with probability 1/2.
	Flip bool `toml:"flip"`
}

// Synthetic configures the generated form x hue dataset.
type Synthetic struct {
	// Forms is the number of form (shape) classes, 2..8.
	Forms int `toml:"forms"`
	// Hues is the number of hue classes, 2..8. The label is form*Hues + hue.
	Hues int `toml:"hues"`
	// Size is the image side in pixels, 16..64.
	Size int `toml:"size"`
	// Noise is the standard deviation of the additive pixel noise, 0..1.
	Noise float64 `toml:"noise"`
	// Seed draws the dataset. It is separate from the run's seed so that a
	// seed sweep trains every seed on the same data.
	Seed uint64 `toml:"seed"`
}

// Layer is one convolution: Out output channels, an odd Kernel x Kernel
// kernel zero-padded by Kernel/2 on every side, with a stride, then ReLU
// (or nothing), then optional local response normalisation, then an
// optional max pool. Layer.Shape gives its output size. Every field after
// Pool is omitted from the canonical text when zero, its default.
type Layer struct {
	// Out is the number of output channels, 1..4096.
	Out int `toml:"out"`
	// Kernel is the odd kernel side, 1..11.
	Kernel int `toml:"kernel"`
	// Pool is 0 or 1 for no pooling, or 2..4 for a max pool of that size.
	// With PoolStride 0 the stride is the size and the size must divide the
	// feature map; otherwise see PoolStride.
	Pool int `toml:"pool"`
	// Stride is the conv's stride on both axes, 0..4; 0 and 1 both mean 1
	// ("same" size). The output side is floor((n - 1) / stride) + 1.
	Stride int `toml:"stride,omitdefault"`
	// PoolStride is the max pool's stride, 0..4: 0 is the pool size; a
	// stride below the size overlaps the windows (AlexNet's 3/2). With a
	// PoolStride the output side is floor((n - Pool) / PoolStride) + 1 and
	// the pool need not divide the map, but must fit in it.
	PoolStride int `toml:"pool_stride,omitdefault"`
	// LRN applies local response normalisation across channels after the
	// activation, before the pool, with the constants of model.lrn.
	LRN bool `toml:"lrn,omitdefault"`
	// Activation is "relu" (also "", the default) or "linear" (none).
	Activation string `toml:"activation,omitdefault"`
	// InitStd, when > 0, draws this layer's weights from N(0, InitStd^2)
	// whatever model.init says; 0 uses model.init.
	InitStd float64 `toml:"init_std,omitdefault"`
	// BiasInit is the constant every bias of the layer starts at (any
	// finite value; needs model.bias for a value other than 0).
	BiasInit float64 `toml:"bias_init,omitdefault"`
}

// Activations of Layer.Activation.
const (
	ActivationReLU   = "relu"
	ActivationLinear = "linear"
)

// Weight initialisations.
const (
	InitHe     = "he"
	InitGlorot = "glorot"
	InitNormal = "normal"
)

// LRN holds the constants of local response normalisation (Krizhevsky et
// al. 2012, section 3.3), for the layers that set lrn = true:
//
//	y[c] = x[c] / (k + alpha * sum_{c' within size/2 of c} x[c']^2)^beta
//
// alpha as the paper writes it (PyTorch's LocalResponseNorm takes
// size*alpha). The defaults are the paper's.
type LRN struct {
	// Size is n, the channels in the window, 1..15.
	Size int `toml:"size"`
	// K is k > 0.
	K float64 `toml:"k"`
	// Alpha is alpha >= 0.
	Alpha float64 `toml:"alpha"`
	// Beta is beta, 0..4.
	Beta float64 `toml:"beta"`
}

// Model is the branched CNN:
//
//	input -> stem -> split into B branches -> concat channels -> trunk
//	      -> flatten -> hidden (fully connected) -> out (logits)
//
// Each list of layers (Stem, Branch, each PerBranch list, Trunk, Hidden)
// holds at most 32. Parameter names (stable across packages): stem.I,
// branch.B.I, trunk.I, hidden.I, out; tensors append ".w" and ".b".
type Model struct {
	// Branches is B, 1..8; 1 is the unbranched twin.
	Branches int `toml:"branches"`
	// Stem holds shared conv layers before the split; empty means the split
	// is at the first conv (AlexNet-style: every branch reads the input).
	Stem []Layer `toml:"stem"`
	// Branch holds the conv layers of every branch: at least one, unless
	// PerBranch is given, in which case Branch is ignored.
	Branch []Layer `toml:"branch"`
	// PerBranch optionally gives exactly B layer lists, one per branch
	// (Inception-like heterogeneity). They may differ in kernel, width and
	// depth, but their final spatial sizes must be equal for the concat.
	PerBranch [][]Layer `toml:"per_branch"`
	// Trunk holds conv layers after the rejoin (channel concatenation).
	Trunk []Layer `toml:"trunk"`
	// Hidden holds the widths (1..65536) of fully connected layers between
	// the flattened trunk output and the logits layer.
	Hidden []int `toml:"hidden"`
	// Bias gives every layer a bias vector.
	Bias bool `toml:"bias"`
	// Init is the weight initialisation, "he", "glorot" or "normal" (a
	// normal of standard deviation InitStd for every weight).
	Init string `toml:"init"`
	// InitStd is the standard deviation of init "normal", > 0 (default
	// 0.01, AlexNet's).
	InitStd float64 `toml:"init_std,omitdefault"`
	// GlobalPool averages each channel of the trunk's output (the rejoin's
	// without a trunk) over its positions before the fully connected
	// layers, which then read one feature per channel (Lin et al.,
	// "Network in network", 2014).
	GlobalPool bool `toml:"global_pool,omitdefault"`
	// LRN holds the constants of the layers with lrn = true.
	LRN LRN `toml:"lrn,omitdefault"`
}

// BranchLayers returns the conv layers of branch b: PerBranch[b] if PerBranch
// is set, otherwise Branch. The result aliases the config; do not modify it.
func (m Model) BranchLayers(b int) []Layer {
	if len(m.PerBranch) > 0 {
		return m.PerBranch[b]
	}
	return m.Branch
}

// Optimizer algorithms.
const (
	AlgorithmSGD  = "sgd"
	AlgorithmAdam = "adam"
)

// Optim configures the optimizer.
type Optim struct {
	// Algorithm is "sgd" or "adam".
	Algorithm string `toml:"algorithm"`
	// LR is the peak learning rate, > 0.
	LR float64 `toml:"lr"`
	// Momentum is the SGD momentum, 0 <= momentum < 1 (ignored by adam).
	Momentum float64 `toml:"momentum"`
	// Nesterov selects Nesterov momentum; only for sgd with momentum > 0.
	Nesterov bool `toml:"nesterov"`
	// Beta1 and Beta2 are Adam's moment decay rates, each in [0, 1).
	Beta1 float64 `toml:"beta1"`
	Beta2 float64 `toml:"beta2"`
	// Eps is Adam's denominator constant, > 0.
	Eps float64 `toml:"eps"`
	// WeightDecay is >= 0: decoupled (AdamW) for adam, an L2 term for sgd;
	// applied to ".w" tensors only.
	WeightDecay float64 `toml:"weight_decay"`
	// BatchSize is 1..4096 and at most data.train_size when that is set.
	BatchSize int `toml:"batch_size"`
}

// Learning-rate schedules.
const (
	LRConstant = "constant"
	LRStep     = "step"
	LRCosine   = "cosine"
)

// Schedule sets the length of training, the learning-rate schedule and how
// often the run is evaluated and logged.
type Schedule struct {
	// Steps is the total number of optimizer steps, 1..100000000.
	Steps int `toml:"steps"`
	// LR is the learning-rate schedule after warmup: "constant", "step"
	// (multiply by step_gamma every step_every steps) or "cosine" (from lr
	// down to min_lr*lr at the last step).
	LR string `toml:"lr"`
	// Warmup is the number of linear warmup steps, 0 <= warmup < steps.
	Warmup int `toml:"warmup"`
	// StepEvery is the period of the "step" schedule, >= 1.
	StepEvery int `toml:"step_every"`
	// StepGamma is the factor of the "step" schedule, in (0, 1].
	StepGamma float64 `toml:"step_gamma"`
	// MinLR is the cosine floor as a fraction of lr, in [0, 1].
	MinLR float64 `toml:"min_lr"`
	// EvalEvery: evaluate on the held-out split every N steps (and at each
	// checkpoint), >= 1.
	EvalEvery int `toml:"eval_every"`
	// LogEvery: record the training loss and accuracy every N steps, >= 1.
	LogEvery int `toml:"log_every"`
}

// Metrics configures the specialization metrics logged at checkpoints. The
// sample sizes trade precision for time; the minimums are those that make the
// computation defined, not those that make it meaningful (see each field).
type Metrics struct {
	// Enabled turns the checkpoint metrics on.
	Enabled bool `toml:"enabled"`
	// Probes is the number of probe images in all, 1..4096: the bank holds
	// probes/4 (rounded down, at least 1) of each of its four kinds
	// (achromatic and colour gratings, colour blobs, curves).
	Probes int `toml:"probes"`
	// Permutations is the size of the branch-label permutation null of
	// eta^2, 1..100000; 200 is the minimum for reported science.
	Permutations int `toml:"permutations"`
	// Shuffles is the size of the within-layer weight-shuffle null of the
	// n-cut, 1..100000; 50 is the minimum for reported science.
	Shuffles int `toml:"shuffles"`
	// Inits is the size of the initialisation null: the metrics whose
	// units are not exchangeable (later layers, the rejoin, CKA) are
	// computed on this many fresh initialisations of the same
	// architecture, once per run, 1..1000; 20 is the minimum for reported
	// science.
	Inits int `toml:"inits"`
	// CKAExamples is the number of held-out examples for debiased CKA and
	// for the activations that weight the functional rejoin dependency,
	// >= 4 (the debiased estimator needs four); the held-out split's size
	// caps it. Each fresh draw of the initialisation null runs them twice
	// (x and gray(x)).
	CKAExamples int `toml:"cka_examples"`
	// LesionExamples is the number of held-out examples for branch
	// lesions, >= 0: 0 means the whole held-out split, which the split's
	// size also caps.
	LesionExamples int `toml:"lesion_examples"`
	// CSITop is N of the colour selectivity index: the unit's top-N probes,
	// 1..probes.
	CSITop int `toml:"csi_top"`
}

// Interventions are the [regime] table: what a run does to its net to test
// the feedback-loop hypothesis. Defaults().Regime is the baseline (its
// GrayBranch is -1). Layer names are stem.I, branch.B.I, branch.*.I (every
// branch), trunk.I, hidden.I and out; they must exist in the model.
type Interventions struct {
	// Freeze lists layers whose parameters are not updated for a step range.
	Freeze []Freeze `toml:"freeze"`
	// Rerandomize lists layers re-drawn from their initialisation
	// periodically.
	Rerandomize []Rerandomize `toml:"rerandomize"`
	// Mixing adds cross-branch connections at one branch layer.
	Mixing Mixing `toml:"mixing"`
	// Bias adds a chromatic bias to one branch's first-layer kernels at init.
	Bias Bias `toml:"bias"`
	// GrayBranch is the branch whose first conv reads gray(x), the Rec. 601
	// luminance of the network's input replicated over its three channels,
	// while the other branches read x: a split planted in what training
	// adds (a positive control). -1 (the default) is off; otherwise
	// 0..branches-1, with branches >= 2, 3-channel input, no stem, and a
	// preprocessing that gives every channel one gain (data.preprocess.kind
	// "none" or "mean-image"), so that gray(x) is the luminance of the
	// image as the net sees it.
	GrayBranch int `toml:"gray_branch,omitdefault"`
}

// Freeze keeps Layer's parameters fixed for steps in [From, To).
type Freeze struct {
	// Layer names the layer (branch.*.I allowed).
	Layer string `toml:"layer"`
	// From is the first frozen step, 0 <= from < schedule.steps.
	From int `toml:"from"`
	// To is the first step trained again, from < to <= schedule.steps, or
	// -1 for "to the end". An omitted to is 0 and therefore an error.
	To int `toml:"to"`
}

// Rerandomize re-draws Layer's weights from its initialisation every Every
// steps (at steps Every, 2*Every, ...).
type Rerandomize struct {
	// Layer names the layer (branch.*.I allowed).
	Layer string `toml:"layer"`
	// Every is the period in steps, >= 1.
	Every int `toml:"every"`
}

// Mixing gives branch layer I a fraction P of cross-branch input
// connections: P = 0 is the branched net, P = 1 the dense one.
type Mixing struct {
	// Layer is "" (off) or "branch.*.I" with I >= 1, at which every branch
	// has the same width and input shape. Needs model.branches >= 2.
	Layer string `toml:"layer"`
	// P is the fraction of cross-branch connections, in [0, 1]; 0 when
	// layer is "".
	P float64 `toml:"p"`
}

// Bias is the biased-initialisation regime: a chromatic bias of size Epsilon
// added to branch Branch's first-layer kernels at init. Epsilon = 0 is off.
type Bias struct {
	// Branch is the biased branch, 0..branches-1.
	Branch int `toml:"branch"`
	// Epsilon is the bias size, >= 0 (to bias the other way, name the other
	// branch). When > 0 the input must have 3 channels and the model no stem.
	Epsilon float64 `toml:"epsilon"`
	// Axis is the achromatic axis the bias is orthogonal to at every tap:
	// "rgb" (the default; the equal-weight axis (1, 1, 1), as runs made
	// before this key) or "luminance" (Rec. 601, (0.299, 0.587, 0.114), the
	// axis along which the metrics measure kernel chroma when every input
	// channel has one gain; so it needs data.preprocess.kind "none" or
	// "mean-image").
	Axis string `toml:"axis,omitdefault"`
}

// Bias axes (Bias.Axis).
const (
	BiasAxisRGB       = "rgb"
	BiasAxisLuminance = "luminance"
)
