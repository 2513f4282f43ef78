package trainer

// StepFLOPs returns the floating-point operations of one training step
// (forward and backward) per example: 2 per multiply-add of the conv and
// linear layers, counted as the graph computes them. A conv of I input
// and O output channels with a K x K kernel, producing an OH x OW map
// before its pool (configs.Layer.Shape), and a linear layer of I
// inputs and O outputs cost
//
//	conv:   2 * O*I*K*K*OH*OW  per pass
//	linear: 2 * O*I            per pass
//
// and every layer runs three passes (forward, gradient of the input,
// gradient of the weights) except the convs that read the image, which
// need no input gradient and run two. The count is nominal: the taps that
// read the zero padding are counted, a mixed layer (mixing regime) counts
// every connection its mask cuts (the product runs dense), and biases,
// activations, LRN, pooling, the concat, softmax and the solver's update
// are left out (they add no multiply-adds of this kind).
func (a *Arch) StepFLOPs() float64 {
	reads := map[string]bool{}
	for _, cv := range a.FirstConvs() {
		reads[cv.Name] = !cv.Mixed
	}
	var total float64
	for _, cv := range a.Convs() {
		conv := cv.Layer
		conv.Pool = 0 // the conv's own output size, before its pool
		oh, ow, _ := conv.Shape(cv.H, cv.W)
		passes := 3.0
		if reads[cv.Name] {
			passes = 2
		}
		total += passes * 2 * float64(cv.Out*cv.In*cv.Kernel*cv.Kernel*oh*ow)
	}
	for _, d := range append(a.Hidden[:len(a.Hidden):len(a.Hidden)], a.Out) {
		total += 3 * 2 * float64(d.Out*d.In)
	}
	return total
}
