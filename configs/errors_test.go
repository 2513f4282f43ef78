package configs

import (
	"errors"
	"strings"
	"testing"
)

// TestParseErrors holds the rendered text of every kind of config error
// verbatim: the messages are part of the interface.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		// Syntax.
		{"syntax/missing value", "name = \n",
			`x.toml:1:8: syntax error: expected value but found '\n' instead`},
		{"syntax/unterminated string", "[optim]\nalgorithm = \"sgd\n",
			`x.toml:2:17: syntax error: strings cannot contain newlines`},
		{"syntax/duplicate key", "[optim]\nlr = 0.1\nlr = 0.2\n",
			`x.toml:3:10: syntax error: Key 'optim.lr' has already been defined.`},

		// Unknown keys.
		{"unknown/top level", "foo = 1\n",
			`x.toml:1: foo: unknown key; allowed here: name, seed, data, model, optim, schedule, checkpoint, metrics, regime`},
		{"unknown/near miss", "[optim]\nlr = 0.1\nmomentun = 0.5\n",
			`x.toml:3: optim.momentun: unknown key (did you mean "momentum"?)`},
		{"unknown/table", "[optimizer]\nlr = 0.1\n",
			`x.toml:1: optimizer: unknown key; allowed here: name, seed, data, model, optim, schedule, checkpoint, metrics, regime`},
		{"unknown/in layer", "[model]\nbranch = [{out = 16, kernel = 5, pool = 2, padding = 1}]\n",
			`x.toml:2: model.branch[0].padding: unknown key; allowed here: out, kernel, pool, stride, pool_stride, lrn, activation, init_std, bias_init`},
		{"unknown/in array of tables", "[[regime.freeze]]\nlayer = \"out\"\nto = -1\nuntil = 5\n",
			`x.toml:4: regime.freeze[0].until: unknown key; allowed here: layer, from, to`},

		// Keys in the wrong case.
		{"case/key", "[optim]\nLR = 0.1\n",
			`x.toml:2: optim.LR: keys are case-sensitive: write "optim.lr"`},
		{"case/table", "[Optim]\nlr = 0.1\n",
			`x.toml:1: Optim: keys are case-sensitive: write "optim"`},
		{"case/dotted", "\nOptim.lr = 0.1\n",
			`x.toml:2: Optim: keys are case-sensitive: write "optim"`},
		{"case/in layer", "[model]\nbranch = [\n  {out = 8, kernel = 3},\n  {Out = 8, kernel = 3},\n]\n",
			`x.toml:4: model.branch[1].Out: keys are case-sensitive: write "model.branch[1].out"`},

		// Types.
		{"type/string for float", "[optim]\nlr = \"fast\"\n",
			`x.toml:2: optim.lr: want a number, got string "fast"`},
		{"type/float for int", "[optim]\nbatch_size = 1.5\n",
			`x.toml:2: optim.batch_size: want an integer, got float 1.5`},
		{"type/negative seed", "seed = -1\n",
			`x.toml:1: seed: want a non-negative integer, got integer -1`},
		{"type/scalar for array", "[model]\nbranch = 3\n",
			`x.toml:2: model.branch: want an array, got integer 3`},
		{"type/array element", "[model]\nhidden = [64, \"x\"]\n",
			`x.toml:2: model.hidden[1]: want an integer, got string "x"`},
		{"type/scalar for table", "data = 1\n",
			`x.toml:1: data: want a table, got integer 1`},
		{"type/int for bool", "[model]\nbias = 1\n",
			`x.toml:2: model.bias: want a boolean, got integer 1`},
		{"type/inexact float", "[optim]\nlr = 9007199254740993\n",
			`x.toml:2: optim.lr: integer 9007199254740993 is not exactly a float64; write it as a float`},
		{"type/datetime", "[optim]\nlr = 2024-01-01\n",
			`x.toml:2: optim.lr: want a number, got a datetime`},

		// Ranges, section by section.
		{"range/name", "name = \"my run\"\n",
			`x.toml:1: name: must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got "my run"`},
		{"range/name dotdot", "name = \"..\"\n",
			`x.toml:1: name: must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got ".."`},
		{"data/source", "[data]\nsource = \"cifar\"\n",
			`x.toml:2: data.source: must be one of "synthetic", "cifar10", "idx", "folder"; got "cifar"`},
		{"data/path for synthetic", "[data]\npath = \"/tmp\"\n",
			`x.toml:2: data.path: must be empty for source "synthetic", got "/tmp"`},
		{"data/no path", "[data]\nsource = \"cifar10\"\ntrain_size = 0\n",
			`x.toml:1: data.path: must name the directory holding the cifar10 files`},
		{"data/synthetic all", "[data]\ntrain_size = 0\n",
			`x.toml:2: data.train_size: must be in 1..100000 for source "synthetic", got 0`},
		{"data/cifar too many", "[data]\nsource = \"cifar10\"\npath = \"d\"\ntest_size = 20000\n",
			`x.toml:4: data.test_size: must be in 0..10000 for source "cifar10" (0 = all the files hold), got 20000`},
		{"data/grayscale idx", "[data]\nsource = \"idx\"\npath = \"/x\"\ntrain_size = 0\ntest_size = 0\ngrayscale = true\n",
			`x.toml:6: data.grayscale: needs 3-channel input; source "idx" has 1 channel(s)`},
		{"data/folder size missing", "[data]\nsource = \"folder\"\npath = \"d\"\ntrain_size = 0\ntest_size = 0\n[data.folder]\nclasses = 10\n",
			`x.toml:6: data.folder.size: is required for source "folder": the image side in pixels, 8..1024`},
		{"data/folder classes", "[data]\nsource = \"folder\"\npath = \"d\"\n[data.folder]\nsize = 32\nclasses = 1\n",
			`x.toml:6: data.folder.classes: must be in 2..100000, got 1`},
		{"data/folder key for synthetic", "[data.folder]\nresize = true\n",
			`x.toml:2: data.folder.resize: applies to source "folder" only; leave it out for source "synthetic"`},
		{"data/preprocess kind", "[data.preprocess]\nkind = \"zca\"\n",
			`x.toml:2: data.preprocess.kind: must be one of "none", "mean-image", "per-channel"; got "zca"`},
		{"data/preprocess scale word", "[data.preprocess]\nkind = \"mean-image\"\nscale = \"raw\"\n",
			`x.toml:3: data.preprocess.scale: want a number or "fit", got string "raw"`},
		{"data/preprocess scale negative", "[data.preprocess]\nkind = \"mean-image\"\nscale = -1\n",
			`x.toml:3: data.preprocess.scale: must be "fit" or a finite number > 0 (input units per pixel level), got -1`},
		{"data/preprocess scale per-channel", "[data.preprocess]\nkind = \"per-channel\"\nscale = 1\n",
			`x.toml:3: data.preprocess.scale: applies to kind "mean-image" only; must be "fit" for kind "per-channel", got 1`},
		{"data/preprocess scale default none", "[data.preprocess]\nscale = 2\n",
			`x.toml:2: data.preprocess.scale: applies to kind "mean-image" only; must be "fit" for kind "none", got 2`},
		{"data/augment pad", "[data.augment]\npad = 65\n",
			`x.toml:2: data.augment.pad: must be in 0..64, got 65`},
		{"data/augment pad over image", "[data.synthetic]\nsize = 16\n[data.augment]\npad = 16\n",
			`x.toml:4: data.augment.pad: must be less than the image side (16), got 16`},
		{"data/size", "[data.synthetic]\nsize = 100\n",
			`x.toml:2: data.synthetic.size: must be in 16..64, got 100`},
		{"data/noise", "[data.synthetic]\nnoise = 1.5\n",
			`x.toml:2: data.synthetic.noise: must be in [0, 1], got 1.5`},
		{"data/nan noise", "[data.synthetic]\nnoise = nan\n",
			`x.toml:2: data.synthetic.noise: must be in [0, 1], got NaN`},
		{"model/branches", "[model]\nbranches = 9\n",
			`x.toml:2: model.branches: must be in 1..8, got 9`},
		{"model/even kernel", "[model]\nbranch = [{out = 8, kernel = 4}]\n",
			`x.toml:2: model.branch[0].kernel: must be odd, 1..11, got 4`},
		{"model/omitted kernel", "[model]\ntrunk = [{out = 8}]\n",
			`x.toml:2: model.trunk[0].kernel: must be odd, 1..11, got 0`},
		{"model/pool", "[model]\nstem = [{out = 8, kernel = 3, pool = 5}]\n",
			`x.toml:2: model.stem[0].pool: must be 0 or 1 (no pooling) or 2..4, got 5`},
		{"model/out", "[model]\nbranch = [{out = 0, kernel = 3}]\n",
			`x.toml:2: model.branch[0].out: must be in 1..4096, got 0`},
		{"model/no branch layers", "[model]\nbranch = []\n",
			`x.toml:2: model.branch: needs at least 1 layer (unless model.per_branch is given)`},
		{"model/hidden", "[model]\nhidden = [64, 0]\n",
			`x.toml:2: model.hidden[1]: must be in 1..65536, got 0`},
		{"model/init", "[model]\ninit = \"xavier\"\n",
			`x.toml:2: model.init: must be one of "he", "glorot", "normal"; got "xavier"`},
		{"model/init std", "[model]\ninit = \"normal\"\ninit_std = 0\n",
			`x.toml:3: model.init_std: must be > 0 and finite, got 0`},
		{"model/stride", "[model]\nbranch = [{out = 8, kernel = 3, stride = 5}]\n",
			`x.toml:2: model.branch[0].stride: must be in 0..4, got 5`},
		{"model/pool stride without pool", "[model]\nbranch = [{out = 8, kernel = 3, pool_stride = 2}]\n",
			`x.toml:2: model.branch[0].pool_stride: needs a pool of 2..4, got pool = 0`},
		{"model/overlapping pool too big", "[model]\nbranch = [{out = 8, kernel = 3, stride = 4, pool = 4}, {out = 8, kernel = 3, pool = 3, pool_stride = 2}]\n",
			`x.toml:2: model.branch[1].pool: max pool 3 (stride 2) does not fit in the 2x2 feature map of layer branch.0.1`},
		{"model/activation", "[model]\ntrunk = [{out = 8, kernel = 3, activation = \"tanh\"}]\n",
			`x.toml:2: model.trunk[0].activation: must be one of "relu", "linear"; got "tanh"`},
		{"model/layer init std", "[model]\ntrunk = [{out = 8, kernel = 3, init_std = -1}]\n",
			`x.toml:2: model.trunk[0].init_std: must be >= 0 and finite, got -1`},
		{"model/bias init without bias", "[model]\nbias = false\ntrunk = [{out = 8, kernel = 3, bias_init = 0.1}]\n",
			`x.toml:3: model.trunk[0].bias_init: needs model.bias = true`},
		{"model/lrn size", "[model.lrn]\nsize = 0\n",
			`x.toml:2: model.lrn.size: must be in 1..15, got 0`},
		{"model/lrn k", "[model.lrn]\nk = 0\n",
			`x.toml:2: model.lrn.k: must be > 0 and finite, got 0`},
		{"model/too many parameters", "[model]\nhidden = [65536, 65536]\n",
			`x.toml:1: model: has 4364592132 parameters; must be < 50000000`},
		{"optim/algorithm", "[optim]\nalgorithm = \"rmsprop\"\n",
			`x.toml:2: optim.algorithm: must be one of "sgd", "adam"; got "rmsprop"`},
		{"optim/lr", "[optim]\nlr = -1\n",
			`x.toml:2: optim.lr: must be > 0 and finite, got -1`},
		{"optim/lr inf", "[optim]\nlr = inf\n",
			`x.toml:2: optim.lr: must be > 0 and finite, got +Inf`},
		{"optim/momentum", "[optim]\nmomentum = 1\n",
			`x.toml:2: optim.momentum: must be in [0, 1), got 1`},
		{"optim/nesterov adam", "[optim]\nnesterov = true\n",
			`x.toml:2: optim.nesterov: applies to algorithm "sgd" only, not "adam"`},
		{"optim/nesterov no momentum", "[optim]\nalgorithm = \"sgd\"\nmomentum = 0\nnesterov = true\n",
			`x.toml:4: optim.nesterov: needs optim.momentum > 0`},
		{"optim/beta2", "[optim]\nbeta2 = 1.0\n",
			`x.toml:2: optim.beta2: must be in [0, 1), got 1`},
		{"optim/eps", "[optim]\neps = 0\n",
			`x.toml:2: optim.eps: must be > 0 and finite, got 0`},
		{"optim/weight decay", "[optim]\nweight_decay = -0.1\n",
			`x.toml:2: optim.weight_decay: must be >= 0 and finite, got -0.1`},
		{"optim/batch size", "[optim]\nbatch_size = 5000\n",
			`x.toml:2: optim.batch_size: must be in 1..4096, got 5000`},
		{"optim/batch over train", "[data]\ntrain_size = 32\n[optim]\n",
			`x.toml:3: optim.batch_size: must be <= data.train_size (32), got 64`},
		{"schedule/steps", "[schedule]\nsteps = 0\n",
			`x.toml:2: schedule.steps: must be in 1..100000000, got 0`},
		{"schedule/warmup", "[schedule]\nwarmup = 1500\n",
			`x.toml:2: schedule.warmup: must be in 0..799 (less than schedule.steps), got 1500`},
		{"schedule/lr", "[schedule]\nlr = \"linear\"\n",
			`x.toml:2: schedule.lr: must be one of "constant", "step", "cosine"; got "linear"`},
		{"schedule/step gamma", "[schedule]\nstep_gamma = 0\n",
			`x.toml:2: schedule.step_gamma: must be in (0, 1], got 0`},
		{"schedule/min lr", "[schedule]\nmin_lr = 2\n",
			`x.toml:2: schedule.min_lr: must be in [0, 1], got 2`},
		{"schedule/eval every", "[schedule]\neval_every = 0\n",
			`x.toml:2: schedule.eval_every: must be >= 1, got 0`},
		{"checkpoint/every", "[checkpoint]\nevery = 0\n",
			`x.toml:2: checkpoint.every: must be >= 1, got 0`},
		{"checkpoint/keep", "[checkpoint]\nkeep = \"some\"\n",
			`x.toml:2: checkpoint.keep: must be one of "all", "last", "schedule"; got "some"`},
		{"checkpoint/keep every", "[checkpoint]\nkeep_every = 100\n",
			`x.toml:2: checkpoint.keep_every: must be a multiple of checkpoint.every (200) for keep = "schedule", got 100`},
		{"metrics/probes", "[metrics]\nprobes = 0\n",
			`x.toml:2: metrics.probes: must be in 1..4096, got 0`},
		{"metrics/cka", "[metrics]\ncka_examples = 1\n",
			`x.toml:2: metrics.cka_examples: must be >= 4, got 1`},
		{"metrics/inits", "[metrics]\ninits = 0\n",
			`x.toml:2: metrics.inits: must be in 1..1000, got 0`},
		{"metrics/lesion", "[metrics]\nlesion_examples = -1\n",
			`x.toml:2: metrics.lesion_examples: must be >= 0, got -1`},
		{"metrics/csi top", "[metrics]\ncsi_top = 100\n",
			`x.toml:2: metrics.csi_top: must be in 1..64, got 100`},

		// Architectures.
		{"shape/pool does not divide", "[model]\nbranch = [\n  {out = 16, kernel = 5, pool = 2},\n  {out = 16, kernel = 3, pool = 3},\n]\n",
			`x.toml:4: model.branch[1].pool: max pool 3 does not divide the 16x16 feature map of layer branch.0.1`},
		{"shape/pool in trunk", "[data.synthetic]\nsize = 24\n[model]\ntrunk = [{out = 8, kernel = 3, pool = 4}]\n",
			`x.toml:4: model.trunk[0].pool: max pool 4 does not divide the 6x6 feature map of layer trunk.0`},
		{"shape/per_branch length", "[model]\nbranches = 3\nper_branch = [[{out = 8, kernel = 3, pool = 2}], [{out = 8, kernel = 5, pool = 2}]]\n",
			`x.toml:3: model.per_branch: has 2 lists but model.branches is 3; give exactly one list per branch`},
		{"shape/per_branch empty list", "[model]\nper_branch = [[{out = 8, kernel = 3}], []]\n",
			`x.toml:2: model.per_branch[1]: needs at least 1 layer`},
		{"shape/per_branch final sizes", "[model]\nper_branch = [\n  [{out = 8, kernel = 3, pool = 2}],\n  [{out = 8, kernel = 5, pool = 4}],\n]\n",
			`x.toml:2: model.per_branch: branch 1 ends at 8x8 but branch 0 at 16x16; the concat needs equal final spatial sizes`},
		{"shape/per_branch pool", "[model]\nper_branch = [\n  [{out = 8, kernel = 3, pool = 2}],\n  [{out = 8, kernel = 5, pool = 3}],\n]\n",
			`x.toml:4: model.per_branch[1][0].pool: max pool 3 does not divide the 32x32 feature map of layer branch.1.0`},

		// Regimes.
		{"regime/missing branch layer", "[[regime.freeze]]\nlayer = \"branch.*.2\"\nfrom = 0\nto = -1\n",
			`x.toml:2: regime.freeze[0].layer: no layer "branch.*.2": branch 0 has 2 layer(s)`},
		{"regime/missing branch", "[[regime.rerandomize]]\nlayer = \"branch.2.0\"\nevery = 10\n",
			`x.toml:2: regime.rerandomize[0].layer: no layer "branch.2.0": the model has 2 branch(es)`},
		{"regime/missing stem layer", "[regime]\nfreeze = [{layer = \"stem.0\", to = -1}]\n",
			`x.toml:2: regime.freeze[0].layer: no layer "stem.0": the model has 0 stem layer(s)`},
		{"regime/bad layer name", "[regime]\nfreeze = [{layer = \"conv1\", to = -1}]\n",
			`x.toml:2: regime.freeze[0].layer: bad layer name "conv1"; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out`},
		{"regime/leading zero", "[regime]\nfreeze = [{layer = \"trunk.00\", to = -1}]\n",
			`x.toml:2: regime.freeze[0].layer: bad layer name "trunk.00"; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out`},
		{"regime/freeze omitted to", "[regime]\nfreeze = [\n  {layer = \"out\"},\n]\n",
			`x.toml:3: regime.freeze[0].to: must be -1 (to the end) or in 1..800 (after from, at most schedule.steps), got 0`},
		{"regime/freeze from", "[regime]\nfreeze = [{layer = \"out\", from = 1500, to = -1}]\n",
			`x.toml:2: regime.freeze[0].from: must be in 0..799, got 1500`},
		{"regime/rerandomize every", "[[regime.rerandomize]]\nlayer = \"trunk.0\"\n",
			`x.toml:1: regime.rerandomize[0].every: must be >= 1, got 0`},
		{"regime/mixing one branch", "[model]\nbranches = 1\n[regime.mixing]\nlayer = \"branch.*.1\"\np = 0.5\n",
			`x.toml:4: regime.mixing.layer: needs model.branches >= 2, got 1`},
		{"regime/mixing one named branch", "[regime.mixing]\nlayer = \"branch.0.1\"\np = 0.5\n",
			`x.toml:2: regime.mixing.layer: must be "branch.*.I" (every branch, layer I), got "branch.0.1"`},
		{"regime/mixing first layer", "[regime.mixing]\nlayer = \"branch.*.0\"\np = 0.5\n",
			`x.toml:2: regime.mixing.layer: needs branch layer I >= 1 (cross-branch inputs come from layer I-1), got 0`},
		{"regime/mixing p without layer", "[regime.mixing]\np = 0.5\n",
			`x.toml:2: regime.mixing.p: must be 0 when regime.mixing.layer is ""`},
		{"regime/mixing p", "[regime.mixing]\nlayer = \"branch.*.1\"\np = 2\n",
			`x.toml:3: regime.mixing.p: must be in [0, 1], got 2`},
		{"regime/mixing unequal widths", "[model]\nper_branch = [\n  [{out = 8, kernel = 3, pool = 2}, {out = 8, kernel = 3}],\n  [{out = 8, kernel = 5, pool = 2}, {out = 4, kernel = 3}],\n]\n[regime.mixing]\nlayer = \"branch.*.1\"\np = 0.5\n",
			`x.toml:7: regime.mixing.layer: needs equal widths and input shapes in every branch at layer 1: branch 0 maps [8 16 16] to 8 channels, branch 1 maps [8 16 16] to 4`},
		{"regime/bias with stem", "[model]\nstem = [{out = 8, kernel = 3}]\n[regime.bias]\nepsilon = 0.1\n",
			`x.toml:4: regime.bias.epsilon: needs the first conv inside the branches, but model.stem has 1 layer(s)`},
		{"regime/bias grayscale idx", "[data]\nsource = \"idx\"\npath = \"/x\"\ntrain_size = 0\ntest_size = 0\n[model]\ntrunk = [{out = 8, kernel = 3}]\n[regime.bias]\nepsilon = 0.1\n",
			`x.toml:9: regime.bias.epsilon: needs 3-channel input; source "idx" has 1 channel(s)`},
		{"regime/bias branch", "[regime.bias]\nbranch = 2\nepsilon = 0.1\n",
			`x.toml:2: regime.bias.branch: must be in 0..1, got 2`},
		{"regime/bias epsilon", "[regime.bias]\nepsilon = -0.1\n",
			`x.toml:2: regime.bias.epsilon: must be >= 0 and finite, got -0.1`},
		{"regime/bias axis", "[regime.bias]\nepsilon = 0.1\naxis = \"lab\"\n",
			`x.toml:3: regime.bias.axis: must be one of "rgb", "luminance"; got "lab"`},
		{"regime/bias luminance per-channel", "[data.preprocess]\nkind = \"per-channel\"\n[regime.bias]\nepsilon = 0.1\naxis = \"luminance\"\n",
			`x.toml:5: regime.bias.axis: needs one gain on every input channel (data.preprocess.kind "none" or "mean-image"), got "per-channel"`},
		{"regime/gray branch range", "[regime]\ngray_branch = 2\n",
			`x.toml:2: regime.gray_branch: must be in -1..1, got 2`},
		{"regime/gray branch one branch", "[model]\nbranches = 1\n[regime]\ngray_branch = 0\n",
			`x.toml:4: regime.gray_branch: needs model.branches >= 2 (a branch that reads colour beside it), got 1`},
		{"regime/gray branch idx", "[data]\nsource = \"idx\"\npath = \"/x\"\ntrain_size = 0\ntest_size = 0\n[model]\ntrunk = [{out = 8, kernel = 3}]\n[regime]\ngray_branch = 1\n",
			`x.toml:9: regime.gray_branch: needs 3-channel input; source "idx" has 1 channel(s)`},
		{"regime/gray branch stem", "[model]\nstem = [{out = 8, kernel = 3}]\n[regime]\ngray_branch = 0\n",
			`x.toml:4: regime.gray_branch: needs the first conv inside the branches, but model.stem has 1 layer(s)`},
		{"regime/gray branch per-channel", "[data.preprocess]\nkind = \"per-channel\"\n[regime]\ngray_branch = 0\n",
			`x.toml:4: regime.gray_branch: needs one gain on every input channel (data.preprocess.kind "none" or "mean-image"), got "per-channel"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.toml", []byte(tt.text))
			if err == nil {
				t.Fatalf("Parse succeeded (%s); want error %s", c.Name, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T; want *Error", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestFirstErrorInDocumentOrder checks that of several key errors the one
// on the earliest line is reported, whatever the table order.
func TestFirstErrorInDocumentOrder(t *testing.T) {
	text := "[schedule]\nStepz = 1\n[data]\nsourcee = \"x\"\n"
	_, err := Parse("x.toml", []byte(text))
	want := `x.toml:2: schedule.Stepz: unknown key (did you mean "steps"?)`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name, assign, want string
	}{
		{"no equals", "optim.lr", `--set: want key=value, got "optim.lr"`},
		{"empty key", "=1", `--set: want key=value, got "=1"`},
		{"unknown key", "optim.lrr=1", `--set: optim.lrr: unknown key (did you mean "lr"?)`},
		{"unknown table", "optimizer.lr=1", `--set: optimizer.lr: unknown key; allowed here: name, seed, data, model, optim, schedule, checkpoint, metrics, regime`},
		{"wrong case", "optim.LR=1", `--set: optim.LR: keys are case-sensitive: write "optim.lr"`},
		{"wrong case table", "Optim.lr=1", `--set: Optim.lr: keys are case-sensitive: write "optim"`},
		{"not a table", "optim.lr.x=1", `--set: optim.lr.x: optim.lr is a number, not a table`},
		{"not an array", "optim[0]=1", `--set: optim[0]: optim is a table, not an array`},
		{"bad index", "model.branch[x].out=1", `--set: model.branch[x].out: bad index "x"; write model.branch[N] with N >= 0`},
		{"index out of range", "model.branch[2].kernel=5", `--set: model.branch[2].kernel: index 2 out of range: model.branch has 2 elements`},
		{"unparsable value", "optim.lr=fast", `--set: optim.lr: cannot read "fast" as one TOML value (want a number)`},
		{"two values", "optim.lr=1\nfoo=2", `--set: optim.lr: cannot read "1\nfoo=2" as one TOML value (want a number)`},
		{"wrong type", "optim.batch_size=\"64\"", `--set: optim.batch_size: want an integer, got string "64"`},
		{"wrong type in table", "regime.mixing={layer = 1}", `--set: regime.mixing.layer: want a string, got integer 1`},
		{"unknown key in table", "regime.mixing={layr = \"branch.*.1\"}", `--set: regime.mixing.layr: unknown key (did you mean "layer"?)`},
		{"out of range", "optim.lr=-1", `--set: optim.lr: must be > 0 and finite, got -1`},
		{"bare word enum", "optim.algorithm=rmsprop", `--set: optim.algorithm: must be one of "sgd", "adam"; got "rmsprop"`},
		{"architecture", "model.branch[1].pool=3", `--set: model.branch[1].pool: max pool 3 does not divide the 16x16 feature map of layer branch.0.1`},
		{"regime", "regime.mixing.layer=branch.*.1", `--set: regime.mixing.layer: needs model.branches >= 2, got 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			if tt.name == "regime" {
				c.Model.Branches = 1
			}
			before := c.Clone()
			err := c.Set(tt.assign)
			if err == nil {
				t.Fatalf("Set(%q) succeeded; want %s", tt.assign, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
			if string(c.Canonical()) != string(before.Canonical()) {
				t.Errorf("failed Set changed the config")
			}
		})
	}
}

func TestErrorRendering(t *testing.T) {
	tests := []struct {
		name          string
		err           *Error
		text, snippet string
	}{
		{"bare", &Error{Msg: "m"}, "m", "m"},
		{"key", &Error{Key: "optim.lr", Msg: "m"}, "optim.lr: m", "optim.lr: m"},
		{"file", &Error{File: "f.toml", Key: "k", Msg: "m"}, "f.toml: k: m", "f.toml: k: m"},
		{"line", &Error{File: "f.toml", Line: 12, Key: "k", Msg: "m", src: "k = 1"},
			"f.toml:12: k: m", "f.toml:12: k: m\n12 | k = 1"},
		{"column", &Error{File: "f.toml", Line: 3, Col: 5, Msg: "m", src: "a = \"x"},
			"f.toml:3:5: m", "f.toml:3:5: m\n3 | a = \"x\n        ^"},
		{"control characters", &Error{File: "f\n.toml", Key: "a\nb", Msg: "m\r\x00é"},
			`f\n.toml: a\nb: m\r\x00é`, `f\n.toml: a\nb: m\r\x00é`},
		{"column past the line shown", &Error{File: "f.toml", Line: 1, Col: 300, Msg: "m", src: "x = [[[..."},
			"f.toml:1:300: m", "f.toml:1:300: m\n1 | x = [[[..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.text {
				t.Errorf("Error() = %q; want %q", got, tt.text)
			}
			if got := tt.err.Snippet(); got != tt.snippet {
				t.Errorf("Snippet() = %q; want %q", got, tt.snippet)
			}
			if strings.Contains(tt.err.Error(), "\n") {
				t.Errorf("Error() spans lines")
			}
		})
	}
}
