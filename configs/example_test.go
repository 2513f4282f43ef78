package configs_test

import (
	"fmt"

	"branchspec/configs"
)

// A run file names only what it changes; the rest comes from the defaults.
// Overrides from the command line are applied with Set.
func Example() {
	c, err := configs.Parse("mixing.toml", []byte(`
name = "mix-0.25"
[regime.mixing]
layer = "branch.*.1"
p = 0.25
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Set("optim.lr=0.001"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name, c.Optim.Algorithm, c.Optim.LR, c.Regime.Mixing.P)
	fmt.Println(c.Classes(), "classes;", len(c.Hash()), "hex digits of hash")

	// Errors name the file, the line, the key and what is allowed.
	_, err = configs.Parse("bad.toml", []byte("[optim]\nLR = 0.1\n"))
	fmt.Println(err)
	fmt.Println(c.Set("optim.momentum=1"))
	// Output:
	// mix-0.25 adam 0.001 0.25
	// 36 classes; 64 hex digits of hash
	// bad.toml:2: optim.LR: keys are case-sensitive: write "optim.lr"
	// --set: optim.momentum: must be in [0, 1), got 1
}

func ExampleCheckpoint_Steps() {
	k := configs.Checkpoint{LogUntil: 8, Every: 10}
	fmt.Println(k.Steps(35))
	fmt.Println(k.Due(16, 35), k.Due(20, 35))
	// Output:
	// [0 1 2 4 8 10 20 30 35]
	// false true
}

func ExampleConfig_Layers() {
	c, _ := configs.Preset("tiny")
	layers, _ := c.Layers()
	for _, l := range layers {
		fmt.Println(l.Name, l.In, "->", l.Out, l.Params)
	}
	// Output:
	// branch.0.0 [3 16 16] -> [4 8 8] 112
	// branch.0.1 [4 8 8] -> [4 4 4] 148
	// branch.1.0 [3 16 16] -> [4 8 8] 112
	// branch.1.1 [4 8 8] -> [4 4 4] 148
	// trunk.0 [8 4 4] -> [8 2 2] 584
	// out [32 1 1] -> [4 1 1] 132
}
