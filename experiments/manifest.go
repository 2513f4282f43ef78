package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

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
	// Fork, for a run of a fork regime, is where it starts (RunSpec.Parent);
	// nil for a run trained from scratch.
	Fork *ManifestFork `json:"fork,omitempty"`
}

// ManifestFork is where the run of a manifest entry starts: the run of
// an earlier entry (Index, whose directory and config hash it repeats so
// that a task can check them) at its checkpoint step At.
type ManifestFork struct {
	Index      int    `json:"index"`
	Dir        string `json:"dir"`
	At         int    `json:"at"`
	ConfigHash string `json:"config_sha256"`
}

// NewManifest describes specs.
func NewManifest(experiment string, specs []RunSpec) *Manifest {
	m := &Manifest{Experiment: experiment}
	for _, s := range specs {
		e := ManifestEntry{Index: s.Index, Regime: s.Regime, Seed: s.Seed,
			ConfigHash: s.Config.Hash(), Dir: s.Dir, Config: string(s.Config.Canonical()),
			Primary: s.Endpoints.Primary, Split: s.Endpoints.Split}
		if p := s.Parent; p != nil {
			e.Fork = &ManifestFork{Index: p.Index, Dir: p.Dir, At: p.At, ConfigHash: p.ConfigHash}
		}
		m.Runs = append(m.Runs, e)
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
	// Parent is where the run of a fork regime starts (from Entry.Fork
	// and its parent's entry); nil for a run trained from scratch.
	Parent *ParentRun
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
// config checked against its hash; an entry's fork must name an earlier
// entry by its index, directory and config hash. A cancelled ctx ends the
// read with ErrInterrupted.
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
	r := &ManifestRun{Experiment: m.Experiment, Entry: ent, Config: cfg}
	if f := ent.Fork; f != nil {
		if f.Index < 0 || f.Index >= index || m.Runs[f.Index].Dir != f.Dir || m.Runs[f.Index].ConfigHash != f.ConfigHash || f.At < 0 {
			return nil, fmt.Errorf("%s: entry %d: fork %+v names no earlier entry of the manifest by its index, dir and config_sha256", path, index, *f)
		}
		r.Parent = &ParentRun{Index: f.Index, Regime: m.Runs[f.Index].Regime, Dir: f.Dir, At: f.At, ConfigHash: f.ConfigHash}
	}
	return r, nil
}

// DefaultParentPoll is how often a Kubernetes pod of a fork regime's run
// checks whether the parent run has reached the fork step.
const DefaultParentPoll = 30 * time.Second

// Ensure brings the entry's run to its end in its directory (see the
// function Ensure), labelled with the experiment and regime as a local
// sweep labels its runs; a requeued or repeated task is safe.
//
// The run of a fork regime (r.Parent) is brought to its end with
// EnsureFork. While its parent has not reached the fork step, Ensure
// returns an error wrapping ErrParentNotReady when poll is 0; with poll > 0
// it waits, checking again every poll, until the parent gets there, the
// parent can no longer get there (an error), or ctx is cancelled
// (ErrInterrupted). What it waits for goes to opts.Progress, once per
// change.
func (r *ManifestRun) Ensure(ctx context.Context, opts Options, poll time.Duration) (skipped bool, err error) {
	spec := RunSpec{Regime: r.Entry.Regime, Endpoints: Endpoints{Primary: r.Entry.Primary, Split: r.Entry.Split}}
	opts.Extra = spec.extra(r.Experiment)
	if r.Parent == nil {
		return Ensure(ctx, r.Config, r.Entry.Dir, opts)
	}
	said := ""
	for {
		skipped, err := EnsureFork(ctx, r.Config, r.Entry.Dir, *r.Parent, opts)
		if poll <= 0 || !errors.Is(err, ErrParentNotReady) {
			return skipped, err
		}
		if msg := err.Error(); msg != said && opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "waiting (checked every %s): %s\n", poll, msg)
			said = msg
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("%w while waiting for the parent run %s", ErrInterrupted, r.Parent.Dir)
		case <-time.After(poll):
		}
	}
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
