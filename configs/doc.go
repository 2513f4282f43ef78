// Package configs defines the TOML schema of a branchspec training run, its
// documented defaults and embedded presets, strict parsing, --set overrides,
// and the canonical text and SHA-256 stored with every run.
//
// A run is described by a Config: data, model, optim, schedule, checkpoint,
// metrics and regime tables (see default.toml, which spells out every key
// with its allowed values). Files are decoded onto Defaults(), so a file need
// only name what it changes:
//
//	name = "mix-0.1"
//	[regime.mixing]
//	layer = "branch.*.1"
//	p = 0.1
//
// Decoding is strict where BurntSushi/toml alone is lenient: unknown keys,
// keys spelt in another case (LR for lr), values of the wrong type and
// values out of range are errors, and an array always replaces the default
// array whole. Every error is an *Error whose one-line text names the file,
// the line, the key and what is allowed:
//
//	x.toml:12: optim.lr: must be > 0 and finite, got -1
//
// A text that sets no key is an error too, so that an empty or truncated
// file does not train the defaults unnoticed; to train them, set the name
// (name = "default").
//
// Every TOML text read (files, presets, stored config texts, --set values,
// and experiment files through ReadFile and CheckText) is held to limits
// that keep parsing linear in the text's size, with errors that say which:
//
//	MaxTextBytes  1 MiB     a file is read no further (/dev/zero, a pipe)
//	MaxDepth      32        parts of a key path, keys and array indexes
//	                        (model.branch[0].out has 4)
//	MaxKeyBytes   256       bytes of a key path, keys joined by dots
//
//	x.toml:1:37: nested too deep: a key path has at most 32 parts (...)
//
// Values a run could not hold have natural maxima beyond their meaningful
// ranges (32 layers a list, 4096 probes, nulls of 100000 draws, synthetic
// sets of 100000 images); see validate.go.
//
// Presets (default, tiny, fashion-mnist, cifar10, cifar10-alexnet) are
// embedded, so the binary runs with no files around it. A bare word naming
// a preset ("tiny") is the preset; a path ("./tiny", "configs/tiny.toml",
// "tiny.toml") is a file, and falls back to the preset of that name when
// no such file exists (see LoadFrom).
//
// The text stored with a run is Canonical(): every key, in schema order, so
// that Parse(Canonical()) gives the same Config back and Hash() identifies
// the configuration exactly; keys added after runs were stored (tagged
// omitdefault) are left out while they hold their default, which
// reproduces the behaviour from before them, so older configs keep their
// text and hash.
//
// Layer.Shape is the one rule for a conv layer's output size (padding
// kernel/2, stride, tiling or overlapping pool); Layers walks the model with
// it, and trainer builds its net from that walk.
//
// # Boundaries
//
// configs owns the config schema, its defaults and presets, strict TOML
// decoding (Document: the one decoding path with file:line key errors, also
// used for experiment files), --set and the canonical text. It must never
// import another branchspec package, gorgonia or bbolt: everything else
// reads configs, configs reads nothing.
package configs
