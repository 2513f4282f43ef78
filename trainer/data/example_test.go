package data_test

import (
	"fmt"

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
