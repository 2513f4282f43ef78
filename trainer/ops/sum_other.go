//go:build !amd64

package ops

// hasSum4Lanes reports whether sum4Lanes runs here: not on this
// architecture.
const hasSum4Lanes = false

func sum4Lanes(g, y []float32) [4]float32 { panic("ops: sum4Lanes without a vector path") }
