package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"

	"branchspec/configs"
	"branchspec/trainer/data"
)

// Keys of the run-level data a run stores in its results.Info.Blobs when
// it is created, so that resume, fork and analyze see the data exactly as
// the run was trained on it.
const (
	// blobPreprocess is the JSON of the data.Preprocess fitted to the
	// training set; absent for preprocessing "none".
	blobPreprocess = "data.preprocess"
	// blobTrainDigest and blobTestDigest are data.Set.Digest of the
	// training and held-out sets (file sources only: synthetic data is a
	// function of the config).
	blobTrainDigest = "data.train.sha256"
	blobTestDigest  = "data.test.sha256"
)

// ErrDataChanged is returned when a run is resumed, forked or analyzed
// and its dataset no longer holds the examples the run was created with.
var ErrDataChanged = errors.New("the dataset changed since the run was created")

// LoadData returns the training and held-out sets a config names, as
// stored (grayscale views where data.grayscale is set), without
// preprocessing. A missing dataset's error says how to get it.
func LoadData(cfg *configs.Config) (train, test *data.Set, err error) {
	train, test, _, err = loadData(cfg)
	return train, test, err
}

// loadData is LoadData that also returns how a folder dataset was read
// (nil for the other sources).
func loadData(cfg *configs.Config) (train, test *data.Set, folder *data.FolderInfo, err error) {
	d := cfg.Data
	switch d.Source {
	case configs.SourceSynthetic:
		s := d.Synthetic
		train, test, err = data.Synthetic(data.SyntheticOptions{
			Forms: s.Forms, Hues: s.Hues, Size: s.Size, Noise: s.Noise,
			Train: d.TrainSize, Test: d.TestSize,
		}, s.Seed)
	case configs.SourceCIFAR10:
		train, test, err = data.LoadCIFAR10(d.Path, d.TrainSize, d.TestSize)
	case configs.SourceIDX:
		train, test, err = data.LoadIDX(d.Path, d.TrainSize, d.TestSize)
	case configs.SourceFolder:
		f := d.Folder
		train, test, folder, err = data.LoadFolder(d.Path, &data.FolderOptions{
			Train: d.TrainSize, Test: d.TestSize, Height: f.Size, Width: f.Size, Resize: f.Resize,
		})
		if err == nil && train.Classes != f.Classes {
			err = fmt.Errorf("data.folder.classes is %d but %s has %d class folders (%v): set data.folder.classes = %d",
				f.Classes, filepath.Join(d.Path, "train"), train.Classes, train.ClassNames, train.Classes)
		}
	default:
		err = fmt.Errorf("unknown data source %q", d.Source)
	}
	if err != nil {
		return nil, nil, nil, missingData(d, err)
	}
	if d.Grayscale {
		train, test = train.Grayscale(), test.Grayscale()
	}
	return train, test, folder, nil
}

// missingData adds to the error of a dataset that is not there how to get
// it.
func missingData(d configs.Data, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch d.Source {
	case configs.SourceCIFAR10:
		return fmt.Errorf("%w\nCIFAR-10 is not at data.path %q: fetch it with `branchspec data get cifar10 --dir DIR` and give DIR/cifar-10-batches-bin with --data or data.path", err, d.Path)
	case configs.SourceIDX:
		return fmt.Errorf("%w\nno IDX files at data.path %q: Fashion-MNIST is the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist puts it in /usr/share/datasets/fashion-mnist); give another directory with --data or data.path", err, d.Path)
	case configs.SourceFolder:
		return fmt.Errorf("%w\nno image folder at data.path %q (want PATH/train/CLASS/*.jpg|png and PATH/test/CLASS/*.jpg|png): give its location with --data PATH or data.path; CIFAR-10 as an image folder: `branchspec data get cifar10 --images --dir DIR` writes DIR/cifar10-png", err, d.Path)
	}
	return err
}

// runData is a run's data as its nets see it: the sets with their
// preprocessing (Set.Pre), and the run-level data that records them.
type runData struct {
	train, test *data.Set
	// blobs are what the run stores in Info.Blobs (see the blob keys).
	blobs  map[string][]byte
	folder *data.FolderInfo // how a folder dataset was read; nil otherwise
}

// openData loads cfg's data and sets its preprocessing. stored is the
// run-level data the run holds (Info.Blobs; nil for a new run): a stored
// preprocessing is used as it is, never refitted, and each stored digest
// must equal the digest of the set loaded now (else ErrDataChanged). What
// stored lacks is computed: the preprocessing is fitted to the training
// set. The result's blobs hold the preprocessing in use and the digests
// of the sets loaded.
func openData(cfg *configs.Config, stored map[string][]byte) (*runData, error) {
	train, test, folder, err := loadData(cfg)
	if err != nil {
		return nil, err
	}
	rd := &runData{train: train, test: test, blobs: map[string][]byte{}, folder: folder}
	if cfg.Data.Source != configs.SourceSynthetic {
		for _, s := range []struct {
			key, split string
			set        *data.Set
		}{{blobTrainDigest, "training", train}, {blobTestDigest, "held-out", test}} {
			digest := []byte(s.set.Digest())
			if want, ok := stored[s.key]; ok && string(want) != string(digest) {
				return nil, fmt.Errorf("%w: the %s set at data.path %q has SHA-256 %.16s..., the run was created with %.16s...; restore the files it was trained on, or start a new run",
					ErrDataChanged, s.split, cfg.Data.Path, digest, want)
			}
			rd.blobs[s.key] = digest
		}
	}
	pre, err := preprocessing(cfg, train, stored[blobPreprocess])
	if err != nil {
		return nil, err
	}
	if pre != nil {
		if rd.blobs[blobPreprocess], err = json.Marshal(pre); err != nil {
			return nil, fmt.Errorf("store preprocessing: %w", err)
		}
	}
	train.Pre, test.Pre = pre, pre
	return rd, nil
}

// preprocessing returns the preprocessing of cfg for the training set
// train: the stored one (JSON of a data.Preprocess) when there is one,
// after checking that it fits, else one fitted to train (see
// configs.Preprocess for the map). It is nil for kind "none".
func preprocessing(cfg *configs.Config, train *data.Set, stored []byte) (*data.Preprocess, error) {
	kind := cfg.Data.PreprocessKind()
	if stored != nil {
		var p data.Preprocess
		if err := json.Unmarshal(stored, &p); err != nil {
			return nil, fmt.Errorf("stored preprocessing: %w", err)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("stored preprocessing: %w", err)
		}
		if string(p.Kind) != kind || p.C != train.C || p.H != train.H || p.W != train.W {
			return nil, fmt.Errorf("stored preprocessing is %s for %dx%dx%d images, the config asks for %s on %dx%dx%d", p.Kind, p.C, p.H, p.W, kind, train.C, train.H, train.W)
		}
		return &p, nil
	}
	var (
		p   *data.Preprocess
		err error
	)
	switch kind {
	case configs.PreprocessNone:
		return nil, nil
	case configs.PreprocessMeanImage:
		p, err = data.FitPreprocess(train, data.MeanImage, storedUnits(cfg.Data.Preprocess.Scale))
	case configs.PreprocessPerChannel:
		p, err = data.FitPreprocess(train, data.PerChannel, 0)
	default:
		err = fmt.Errorf("unknown preprocessing %q", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("data.preprocess: %w", err)
	}
	return p, nil
}

// storedUnits converts mean-image's scale (input units per pixel level)
// to data.FitPreprocess's divisor of stored values: a pixel level is
// 2/255 in stored units (v = 2q/255 - 1), so x = (v - m) * 127.5 * scale =
// (v - m) / s with s = 1 / (127.5 * scale). ScaleFit gives 0 (fit).
func storedUnits(scale configs.Scale) float64 {
	if scale == configs.ScaleFit {
		return 0
	}
	return 1 / (127.5 * float64(scale))
}

// forkStored is the stored run-level data a fork of a parent with config
// pcfg and data parent starts from, for the fork's config cfg: the
// training digest always (CheckFork keeps the training set), the held-out
// digest when data.test_size is unchanged, and the preprocessing when
// data.preprocess and data.grayscale are unchanged (otherwise the fork
// fits its own on the same training set).
func forkStored(pcfg, cfg *configs.Config, parent map[string][]byte) map[string][]byte {
	s := maps.Clone(parent)
	if cfg.Data.TestSize != pcfg.Data.TestSize {
		delete(s, blobTestDigest)
	}
	if cfg.Data.Preprocess != pcfg.Data.Preprocess || cfg.Data.Grayscale != pcfg.Data.Grayscale {
		delete(s, blobPreprocess)
	}
	return s
}

// InputGain returns, per input channel, the factor g_c by which the
// network's input changes for a unit change of the stored value (2p - 1)
// of channel c: the multiplicative scale that metrics.LuminanceAxis takes.
// With s.Pre mapping x = (v - m) * r (see data.Preprocess) it is r_c =
// 1/Std[c] rounded to float32, as Apply uses it; without preprocessing it
// is 1. A 1-channel set gives its one gain in all three.
//
// With mean-image preprocessing the three gains are equal and the
// luminance axis is Rec. 601's; per-channel preprocessing tilts it. The
// metric pass measures kernel chroma along metrics.LuminanceAxis of these
// gains, proportional to (0.299, 0.587, 0.114) / g: a kernel along it
// ignores every isoluminant change of the image.
func InputGain(s *data.Set) [3]float64 {
	g := [3]float64{1, 1, 1}
	if s.Pre == nil {
		return g
	}
	for c := range g {
		g[c] = float64(1 / s.Pre.Std[min(c, len(s.Pre.Std)-1)])
	}
	return g
}
