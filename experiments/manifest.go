package experiments

import (
	"encoding/json"
	"fmt"
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
}

// NewManifest describes specs.
func NewManifest(experiment string, specs []RunSpec) *Manifest {
	m := &Manifest{Experiment: experiment}
	for _, s := range specs {
		m.Runs = append(m.Runs, ManifestEntry{Index: s.Index, Regime: s.Regime, Seed: s.Seed,
			ConfigHash: s.Config.Hash(), Dir: s.Dir, Config: string(s.Config.Canonical())})
	}
	return m
}

// WriteManifest writes m as indented JSON.
func WriteManifest(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadManifest reads a manifest and returns entry index's run, its config
// checked against the recorded hash.
func ReadManifest(path string, index int) (*ManifestEntry, *configs.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if index < 0 || index >= len(m.Runs) {
		return nil, nil, fmt.Errorf("%s: index %d out of range 0..%d", path, index, len(m.Runs)-1)
	}
	ent := &m.Runs[index]
	if ent.Index != index {
		return nil, nil, fmt.Errorf("%s: entry %d has index %d", path, index, ent.Index)
	}
	cfg, err := configs.Parse(fmt.Sprintf("%s[%d]", path, index), []byte(ent.Config))
	if err != nil {
		return nil, nil, err
	}
	if cfg.Hash() != ent.ConfigHash {
		return nil, nil, fmt.Errorf("%s: entry %d: config hash %s does not match its text (%s)", path, index, ent.ConfigHash, cfg.Hash())
	}
	return ent, cfg, nil
}
