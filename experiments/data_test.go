package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"branchspec/configs"
	"branchspec/results"
	"branchspec/trainer/data"
)

// makeImageFolder writes a small image-folder dataset under root: classes
// "a" (reddish) and "b" (bluish), train and test PNGs of size x size with
// per-pixel noise from a seeded generator, so that a net can learn it.
func makeImageFolder(t *testing.T, root string, train, test, size int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for _, split := range []struct {
		name string
		n    int
	}{{"train", train}, {"test", test}} {
		for k, class := range []string{"a", "b"} {
			dir := filepath.Join(root, split.name, class)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range split.n {
				im := image.NewNRGBA(image.Rect(0, 0, size, size))
				for y := range size {
					for x := range size {
						n := uint8(r.IntN(96))
						c := color.NRGBA{R: 40 + n, G: 60 + n/2, B: 40 + n, A: 255}
						if k == 0 {
							c.R += 100
						} else {
							c.B += 100
						}
						im.SetNRGBA(x, y, c)
					}
				}
				writePNG(t, filepath.Join(dir, fmt.Sprintf("%03d.png", i)), im)
			}
		}
	}
}

func writePNG(t *testing.T, path string, im image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, im); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// folderConfig is the tiny preset on an image folder at root (2 classes,
// 16x16) with mean-image preprocessing, crops and flips, strided convs,
// LRN, an overlapping pool and a global average pool: every knob of the
// natural-image conditions at once. The folder cache goes to a temporary
// directory.
func folderConfig(t *testing.T, root string, sets ...string) *configs.Config {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(t.TempDir(), "cache"))
	base := []string{
		`data.source="folder"`, configs.SetString("data.path", root), "data.train_size=0", "data.test_size=0",
		"data.folder.size=16", "data.folder.classes=2",
		`data.preprocess.kind="mean-image"`, "data.augment.pad=2", "data.augment.flip=true",
		`model.branch=[{out = 4, kernel = 5, stride = 2, lrn = true, pool = 3, pool_stride = 2}, {out = 4, kernel = 3, lrn = true}]`,
		`model.trunk=[{out = 8, kernel = 3, bias_init = 0.1}]`, "model.global_pool=true",
		`model.init="normal"`, "model.init_std=0.05",
		`optim.algorithm="sgd"`, "optim.lr=0.05", "metrics.lesion_examples=16", "metrics.cka_examples=16",
	}
	return tinyConfig(t, append(base, sets...)...)
}

// TestFolderRunResumeEqualsUninterrupted: a run on an image folder with
// preprocessing and augmentation trains, and stopped and resumed (at a
// checkpoint and between checkpoints) equals the uninterrupted run bit
// for bit; so does a run with GOMAXPROCS 1 against 2.
func TestFolderRunResumeEqualsUninterrupted(t *testing.T) {
	root := t.TempDir()
	makeImageFolder(t, filepath.Join(root, "images"), 24, 8, 16)
	cfg := folderConfig(t, filepath.Join(root, "images"))
	var want runRecord
	for _, procs := range []int{2, 1} {
		old := runtime.GOMAXPROCS(procs)
		dir, err := Start(context.Background(), cfg, filepath.Join(root, fmt.Sprint("full", procs)), Options{})
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, dir)
		if procs == 2 {
			want = rec
			continue
		}
		sameRun(t, rec, want)
	}
	if want.st.State != results.Done {
		t.Fatalf("status %+v", want.st)
	}
	first, last := want.rows[0][KeyTestLoss], want.rows[cfg.Schedule.Steps][KeyTestLoss]
	if !(last < first) {
		t.Errorf("test loss went from %v to %v; training should lower it", first, last)
	}
	dir, err := Start(context.Background(), cfg, filepath.Join(root, "stopped"), Options{StopAt: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, stop := range []int{10, 0} {
		if err := Resume(context.Background(), dir, Options{StopAt: stop}); err != nil {
			t.Fatal(err)
		}
	}
	sameRun(t, record(t, dir), want)
}

// TestFolderRunAugments: the same run without augmentation trains on
// other inputs (the crops and flips reach the training step), and
// evaluation does not augment (the step-0 evaluation, before any update,
// is the same).
func TestFolderRunAugments(t *testing.T) {
	root := t.TempDir()
	makeImageFolder(t, filepath.Join(root, "images"), 24, 8, 16)
	aug := record(t, must(Start(context.Background(), folderConfig(t, filepath.Join(root, "images"), "schedule.steps=5", "schedule.warmup=0"), filepath.Join(root, "aug"), Options{})))
	plain := record(t, must(Start(context.Background(), folderConfig(t, filepath.Join(root, "images"), "schedule.steps=5", "schedule.warmup=0", "data.augment.pad=0", "data.augment.flip=false"), filepath.Join(root, "plain"), Options{})))
	if aug.sha[0] != plain.sha[0] || aug.rows[0][KeyTestLoss] != plain.rows[0][KeyTestLoss] {
		t.Errorf("step 0 differs: weights %s vs %s, test loss %v vs %v", aug.sha[0], plain.sha[0], aug.rows[0][KeyTestLoss], plain.rows[0][KeyTestLoss])
	}
	if aug.sha[1] == plain.sha[1] {
		t.Error("augmentation did not change the first update")
	}
}

// TestFolderRunStoresData: a new run stores the preprocessing fitted to
// its training set and the digests of its sets; resume and analyze refuse
// a dataset whose images changed, naming it.
func TestFolderRunStoresData(t *testing.T) {
	root := t.TempDir()
	images := filepath.Join(root, "images")
	makeImageFolder(t, images, 24, 8, 16)
	cfg := folderConfig(t, images)
	dir, err := Start(context.Background(), cfg, filepath.Join(root, "runs"), Options{StopAt: 4})
	if err != nil {
		t.Fatal(err)
	}
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := run.Info()
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fitted, err := data.FitPreprocess(train, data.MeanImage, 0)
	if err != nil {
		t.Fatal(err)
	}
	var stored data.Preprocess
	if err := json.Unmarshal(info.Blobs[blobPreprocess], &stored); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&stored, fitted) {
		t.Errorf("stored preprocessing differs from the one fitted to the training set")
	}
	if got, want := string(info.Blobs[blobTrainDigest]), train.Digest(); got != want {
		t.Errorf("train digest %s, want %s", got, want)
	}
	if got, want := string(info.Blobs[blobTestDigest]), test.Digest(); got != want {
		t.Errorf("test digest %s, want %s", got, want)
	}

	// Change one training image (same name, new pixels).
	im := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	writePNG(t, filepath.Join(images, "train", "a", "000.png"), im)
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(images, "train", "a", "000.png"), future, future); err != nil {
		t.Fatal(err)
	}
	err = Resume(context.Background(), dir, Options{})
	if !errors.Is(err, ErrDataChanged) || !strings.Contains(err.Error(), "training set") || !strings.Contains(err.Error(), images) {
		t.Errorf("resume on a changed dataset: %v, want ErrDataChanged naming the training set and %s", err, images)
	}
	if st := record(t, dir).st; st.Step != 4 {
		t.Errorf("the refused resume moved the run to step %d", st.Step)
	}
	// analyze reads the held-out set only, which is unchanged, but it
	// still refuses: the stored digests are checked together.
	if _, err := Analyze(dir, nil, "test", nil); !errors.Is(err, ErrDataChanged) {
		t.Errorf("analyze on a changed dataset: %v, want ErrDataChanged", err)
	}
}

// TestOpenDataUsesStoredPreprocessing: a stored preprocessing is used as
// it is, not refitted, and one that does not fit the config is refused.
func TestOpenDataUsesStoredPreprocessing(t *testing.T) {
	cfg := tinyConfig(t, `data.preprocess.kind="mean-image"`, "data.preprocess.scale=1")
	fresh, err := openData(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pre := *fresh.train.Pre
	if want := float32(1 / 127.5); math.Abs(float64(pre.Std[0]-want)) > 1e-9 {
		t.Errorf("scale 1: divisor %v, want 1/127.5", pre.Std[0])
	}
	pre.Mean = append([]float32(nil), pre.Mean...)
	pre.Mean[0] += 0.25
	blob, err := json.Marshal(&pre)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := openData(cfg, map[string][]byte{blobPreprocess: blob})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rd.train.Pre, &pre) || rd.test.Pre != rd.train.Pre || string(rd.blobs[blobPreprocess]) != string(blob) {
		t.Error("the stored preprocessing was not used as stored for both sets")
	}
	other := tinyConfig(t, `data.preprocess.kind="per-channel"`)
	if _, err := openData(other, map[string][]byte{blobPreprocess: blob}); err == nil || !strings.Contains(err.Error(), "stored preprocessing is mean-image") {
		t.Errorf("a stored mean-image preprocessing for a per-channel config: %v", err)
	}
	if _, err := openData(cfg, map[string][]byte{blobPreprocess: []byte(`{"kind":"mean-image"}`)}); err == nil {
		t.Error("an incomplete stored preprocessing was accepted")
	}
	none, err := openData(tinyConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if none.train.Pre != nil || len(none.blobs) != 0 {
		t.Errorf("preprocessing none on synthetic data: Pre %v, blobs %v; want nothing stored", none.train.Pre, none.blobs)
	}
}

func TestForkStored(t *testing.T) {
	parent := map[string][]byte{blobPreprocess: []byte("p"), blobTrainDigest: []byte("tr"), blobTestDigest: []byte("te")}
	p := tinyConfig(t, `data.preprocess.kind="mean-image"`)
	tests := []struct {
		name string
		sets []string
		want []string
	}{
		{"unchanged", nil, []string{blobPreprocess, blobTestDigest, blobTrainDigest}},
		{"test size", []string{"data.test_size=64"}, []string{blobPreprocess, blobTrainDigest}},
		{"grayscale", []string{"data.grayscale=true"}, []string{blobTestDigest, blobTrainDigest}},
		{"scale", []string{"data.preprocess.scale=2"}, []string{blobTestDigest, blobTrainDigest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := p.Clone()
			if err := f.SetAll(tt.sets); err != nil {
				t.Fatal(err)
			}
			got := forkStored(p, f, parent)
			var keys []string
			for _, k := range []string{blobPreprocess, blobTestDigest, blobTrainDigest} {
				if _, ok := got[k]; ok {
					keys = append(keys, k)
				}
			}
			if !reflect.DeepEqual(keys, tt.want) {
				t.Errorf("kept %v, want %v", keys, tt.want)
			}
		})
	}
}

// TestFolderFork: a fork of a folder run with no overrides continues as
// its parent did (the stored preprocessing and digests carry over).
func TestFolderFork(t *testing.T) {
	root := t.TempDir()
	images := filepath.Join(root, "images")
	makeImageFolder(t, images, 24, 8, 16)
	parent := must(Start(context.Background(), folderConfig(t, images), filepath.Join(root, "runs"), Options{}))
	fork, err := Fork(context.Background(), parent, ForkOptions{At: 8, Name: "again"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, got := record(t, parent), record(t, fork)
	for step, sha := range got.sha {
		if step >= 8 && want.sha[step] != sha {
			t.Errorf("step %d: fork weights %s, parent %s", step, sha, want.sha[step])
		}
	}
}

func TestMissingDataErrors(t *testing.T) {
	absent := filepath.Join(t.TempDir(), "absent")
	tests := []struct {
		sets []string
		want string
	}{
		{[]string{`data.source="cifar10"`, configs.SetString("data.path", absent), "data.train_size=0", "data.test_size=0"},
			"branchspec data get cifar10"},
		{[]string{`data.source="idx"`, configs.SetString("data.path", absent), "data.train_size=0", "data.test_size=0"},
			"dataset-fashion-mnist"},
		{[]string{`data.source="folder"`, configs.SetString("data.path", absent), "data.train_size=0", "data.test_size=0", "data.folder.size=32", "data.folder.classes=10"},
			"--data PATH"},
	}
	for _, tt := range tests {
		cfg := tinyConfig(t, append(tt.sets, "model.trunk=[{out = 8, kernel = 3}]")...)
		t.Run(cfg.Data.Source, func(t *testing.T) {
			dir, err := Start(context.Background(), cfg, t.TempDir(), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), absent) {
				t.Errorf("error %v; want it to name %q and %s", err, tt.want, absent)
			}
			if _, err := results.Open(dir, nil); !errors.Is(err, results.ErrNotFound) {
				t.Errorf("a run was created: %v", err)
			}
		})
	}
}

func TestFolderClassesMismatch(t *testing.T) {
	root := t.TempDir()
	makeImageFolder(t, root, 2, 2, 16)
	cfg := folderConfig(t, root, "data.folder.classes=3", "optim.batch_size=2")
	_, _, err := LoadData(cfg)
	if err == nil || !strings.Contains(err.Error(), "data.folder.classes is 3") || !strings.Contains(err.Error(), "has 2 class folders") {
		t.Errorf("error %v", err)
	}
}

func TestInputGain(t *testing.T) {
	if got := InputGain(&data.Set{C: 3}); got != [3]float64{1, 1, 1} {
		t.Errorf("no preprocessing: %v", got)
	}
	// x = (v - m) / s with s = 1/127.5 (scale 1 in pixel levels): the gain
	// is 127.5 up to float32 rounding of s and of its reciprocal.
	s := float32(1 / 127.5)
	pre := &data.Preprocess{Kind: data.MeanImage, C: 3, H: 1, W: 1, Mean: make([]float32, 3), Std: []float32{s, s, s}}
	got := InputGain(&data.Set{C: 3, Pre: pre})
	for c, g := range got {
		if math.Abs(g-127.5) > 127.5*1e-6 || g != got[0] {
			t.Errorf("mean-image gain[%d] = %v, want 127.5 in every channel", c, g)
		}
	}
	pc := &data.Preprocess{Kind: data.PerChannel, C: 3, H: 1, W: 1, Mean: make([]float32, 3), Std: []float32{0.5, 0.25, 2}}
	if got := InputGain(&data.Set{C: 3, Pre: pc}); got != [3]float64{2, 4, 0.5} {
		t.Errorf("per-channel gain %v, want [2 4 0.5]", got)
	}
}

// cifar10JPEG returns the CIFAR-10 image folder, $BRANCHSPEC_CIFAR10_JPEG or
// ../shared/data/cifar10-jpeg next to the module root, and skips the test
// when it is absent.
func cifar10JPEG(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BRANCHSPEC_CIFAR10_JPEG")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data", "cifar10-jpeg") // experiments/ is one below the root
	}
	if _, err := os.Stat(filepath.Join(dir, "train")); err != nil {
		t.Skipf("CIFAR-10 JPEG folder %s absent (set BRANCHSPEC_CIFAR10_JPEG to its path): %v", dir, err)
	}
	return dir
}

// TestAlexNetPresetOnCIFAR10: the cifar10-alexnet preset on the real
// image folder, with the whole training set (its mean image is fitted on
// all 50,000 images) and a few steps: it trains, stores the mean image
// whose channel means are CIFAR-10's, and a stop and resume equals the
// uninterrupted run.
func TestAlexNetPresetOnCIFAR10(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 60,000 images and trains the preset")
	}
	dir := cifar10JPEG(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // decodes into a fresh cache, not the user's
	cfg, err := LoadConfig(context.Background(), "cifar10-alexnet", []string{DataPathSet(dir), "data.test_size=256", "schedule.steps=6",
		"checkpoint.log_until=2", "checkpoint.every=3", "checkpoint.keep_every=3", "schedule.eval_every=3",
		"metrics.probes=16", "metrics.permutations=20", "metrics.shuffles=5", "metrics.cka_examples=32", "metrics.lesion_examples=64", "metrics.csi_top=4"})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	full := must(Start(context.Background(), cfg, filepath.Join(root, "full"), Options{}))
	want := record(t, full)
	stopped := must(Start(context.Background(), cfg, filepath.Join(root, "stopped"), Options{StopAt: 4}))
	if err := Resume(context.Background(), stopped, Options{}); err != nil {
		t.Fatal(err)
	}
	sameRun(t, record(t, stopped), want)

	run, err := results.Open(full, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := run.Info()
	if err != nil {
		t.Fatal(err)
	}
	var pre data.Preprocess
	if err := json.Unmarshal(info.Blobs[blobPreprocess], &pre); err != nil {
		t.Fatal(err)
	}
	// Channel means of the 50,000 training images in pixel levels, printed
	// by trainer/data/testdata/cifar10_jpeg_reference.py with PIL (see
	// trainer/data's TestLoadFolderCIFAR10JPEG); our decoder agrees to
	// 0.05 levels.
	ref := [3]float64{125.268848, 122.933019, 113.862839}
	const tol = 0.06
	for c := range 3 {
		m := 0.0
		for _, v := range pre.Mean[c*1024 : (c+1)*1024] {
			m += (float64(v) + 1) * 127.5
		}
		if m /= 1024; math.Abs(m-ref[c]) > tol {
			t.Errorf("channel %d: stored mean image averages %.4f levels, CIFAR-10's is %.4f", c, m, ref[c])
		}
	}
	if g := InputGain(&data.Set{C: 3, Pre: &pre}); math.Abs(g[0]-127.5) > 1e-3 || g[0] != g[1] || g[1] != g[2] {
		t.Errorf("input gain %v, want 127.5 on every channel (raw pixel levels)", g)
	}
}
