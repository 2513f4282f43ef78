package gemm_test

import (
	"fmt"

	"branchspec/trainer/ops/gemm"
)

func ExampleSgemm() {
	// C = A·Bᵀ for A = [[1 2] [3 4]], B = [[5 6] [7 8]].
	a := []float32{1, 2, 3, 4}
	b := []float32{5, 6, 7, 8}
	c := make([]float32, 4)
	gemm.Sgemm(false, true, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [17 23 39 53]
}
