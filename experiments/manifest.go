package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"branchspec/configs"
)

// Manifest lists the runs of a sweep for a scheduler: each array task
// runs the entry at its index (`branchspec run --manifest M --index I`).
type Manifest struct {
	Experiment string          `json:"experiment"`
	Runs       []ManifestEntry `json:"runs"`
}

// ManifestEntry is one run of a manifest, with its full config text so a
// task needs nothing but the manifest.
type ManifestEntry struct {
	Index      int    `json:"index"`
	Regime     string `json:"regime"`
	Seed       uint64 `json:"seed"`
	ConfigHash string `json:"config_sha256"`
	Dir        string `json:"dir"`
	Config     string `json:"config"`
	// Primary and Split are the experiment's endpoints (Endpoints),
	// recorded in the run.
	Primary []string `json:"primary,omitempty"`
	Split   string   `json:"split,omitempty"`
}

// NewManifest describes specs.
func NewManifest(experiment string, specs []RunSpec) *Manifest {
	m := &Manifest{Experiment: experiment}
	for _, s := range specs {
		m.Runs = append(m.Runs, ManifestEntry{Index: s.Index, Regime: s.Regime, Seed: s.Seed,
			ConfigHash: s.Config.Hash(), Dir: s.Dir, Config: string(s.Config.Canonical()),
			Primary: s.Endpoints.Primary, Split: s.Endpoints.Split})
	}
	return m
}

// WriteManifest writes m as indented JSON, whole or not at all.
func WriteManifest(path string, m *Manifest) error {
	b, err := manifestJSON(m)
	if err != nil {
		return err
	}
	return writeOutput(path, 0o644, writeBytes(b))
}

// ManifestRun is one entry of a manifest, as a task runs it.
type ManifestRun struct {
	// Experiment is the sweep's experiment name, recorded in the run.
	Experiment string
	Entry      ManifestEntry
	Config     *configs.Config
}

// ReadManifest reads a manifest and returns entry index's run, its config
// checked against the recorded hash.
func ReadManifest(path string, index int) (*ManifestEntry, *configs.Config, error) {
	r, err := ReadManifestRun(context.Background(), path, index)
	if err != nil {
		return nil, nil, err
	}
	return &r.Entry, r.Config, nil
}

// MaxManifestBytes is the longest manifest ReadManifestRun reads, 256 MiB:
// ten thousand runs of the longest config text that fits in a manifest
// entry in practice (the default's is about 3 KB) take 30 MB.
const MaxManifestBytes = 256 << 20

// ReadManifestRun reads entry index of the manifest at path (at most
// MaxManifestBytes of it), with the experiment's name and the entry's
// config checked against its hash. A cancelled ctx ends the read with
// ErrInterrupted.
func ReadManifestRun(ctx context.Context, path string, index int) (*ManifestRun, error) {
	b, err := interruptible(ctx, "while reading "+path, func() ([]byte, error) { return readLimited(path, MaxManifestBytes) }, nil)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if index < 0 || index >= len(m.Runs) {
		return nil, fmt.Errorf("%s: index %d out of range 0..%d", path, index, len(m.Runs)-1)
	}
	ent := m.Runs[index]
	if ent.Index != index {
		return nil, fmt.Errorf("%s: entry %d has index %d", path, index, ent.Index)
	}
	cfg, err := configs.Parse(fmt.Sprintf("%s[%d]", path, index), []byte(ent.Config))
	if err != nil {
		return nil, err
	}
	if cfg.Hash() != ent.ConfigHash {
		return nil, fmt.Errorf("%s: entry %d: config hash %s does not match its text (%s)", path, index, ent.ConfigHash, cfg.Hash())
	}
	return &ManifestRun{Experiment: m.Experiment, Entry: ent, Config: cfg}, nil
}

// Ensure brings the entry's run to its end in its directory (see the
// function Ensure), labelled with the experiment and regime as a local
// sweep labels its runs; a requeued or repeated task is safe.
func (r *ManifestRun) Ensure(ctx context.Context, opts Options) (skipped bool, err error) {
	spec := RunSpec{Regime: r.Entry.Regime, Endpoints: Endpoints{Primary: r.Entry.Primary, Split: r.Entry.Split}}
	opts.Extra = spec.extra(r.Experiment)
	return Ensure(ctx, r.Config, r.Entry.Dir, opts)
}

// readLimited reads the file at path, refusing one longer than max bytes
// (a device, a pipe that never ends, a file that is not a manifest).
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: longer than %d bytes; not a manifest this program wrote", path, max)
	}
	return b, nil
}
