package data_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"branchspec/trainer/data"
)

// A training loop draws batches from an Order and copies them out of a Set;
// the Order's state is what a checkpoint stores to resume the same sequence.
func Example() {
	train, test, err := data.Synthetic(data.SyntheticOptions{Forms: 4, Hues: 4, Noise: 0.05, Train: 640, Test: 160}, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(train.Len(), test.Len(), train.C, train.H, train.W, train.Classes)
	fmt.Println(train.ClassNames[0], train.ClassNames[5], train.ClassNames[15])

	const batch = 64
	order := data.NewOrder(train.Len(), 7)
	idx := make([]int, batch)
	x := make([]float32, batch*train.C*train.H*train.W)
	y := make([]float32, batch)
	for range 12 { // 768 examples: the 12th batch spans epochs 0 and 1
		order.Next(idx)
		train.Gather(idx, x, y)
	}
	fmt.Printf("%+v\n", order.State())
	// Output:
	// 640 160 3 32 32 16
	// hgrating/h045 vgrating/h135 rings/h315
	// {Epoch:1 Pos:128}
}

func ExampleSyntheticFactors() {
	form, hue := data.SyntheticFactors(13, 4)
	fmt.Println(data.FormName(form), hue)
	// Output: rings 1
}

// An image folder is decoded once into a cache; the second load reads the
// cache. The training set is then preprocessed (mean image, one global
// scale) and each training batch augmented by a draw that depends only on
// (seed, step, slot).
func ExampleLoadFolder() {
	root, err := os.MkdirTemp("", "folder")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	for _, split := range []string{"train", "test"} {
		for k, class := range []string{"dark", "light"} {
			for i := range 3 {
				im := image.NewGray(image.Rect(0, 0, 8, 8))
				for p := range im.Pix {
					im.Pix[p] = uint8(40 + 150*k + 10*i + p%5)
				}
				path := filepath.Join(root, split, class, fmt.Sprintf("%d.png", i))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					panic(err)
				}
				var buf bytes.Buffer
				if err := png.Encode(&buf, im); err != nil {
					panic(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					panic(err)
				}
			}
		}
	}
	opts := &data.FolderOptions{CacheDir: filepath.Join(root, "cache")}
	_, _, info, err := data.LoadFolder(root, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("first load: decoded", info.Decoded, "files; cache", info.CacheMiss)
	train, test, info, err := data.LoadFolder(root, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("second load: cache hit", info.CacheHit)
	fmt.Println(train.ClassNames, train.Y, test.Len(), train.C, train.H, train.W)

	// The per-pixel deviations from the mean image are ±65, ±75 and ±85
	// levels, so s = sqrt(34150/6) levels = 75.44 * 2/255 in stored units.
	pre, err := data.FitPreprocess(train, data.MeanImage, 0)
	if err != nil {
		panic(err)
	}
	train.Pre, test.Pre = pre, pre
	fmt.Printf("input scale %.4f (all channels: %v)\n", pre.Std[0], train.InputScale()[0] == train.InputScale()[2])

	aug := data.Augment{Pad: 2, Flip: true, Seed: 7}
	x := make([]float32, 2*3*8*8)
	train.Gather([]int{0, 1}, x, nil)
	aug.Apply(x, 3, 8, 8, 0) // batch 0 of the run
	dy, dx, flip := aug.Draw(0, 1)
	fmt.Println("batch 0, slot 1:", dy, dx, flip)
	// Output:
	// first load: decoded 12 files; cache absent
	// second load: cache hit true
	// [dark light] [0 1 0 1 0 1] 6 3 8 8
	// input scale 0.5917 (all channels: true)
	// batch 0, slot 1: 1 1 true
}
