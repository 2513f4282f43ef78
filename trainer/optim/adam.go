package optim

import "math"

// adamUpdate applies one Adam step to the elements [lo, hi) of p, element
// by element, in float32:
//
//	m ← β₁·m + (1−β₁)·g
//	v ← β₂·v + (1−β₂)·g²
//	m̂ ← m / (1−β₁ᵗ)
//	v̂ ← v / (1−β₂ᵗ)
//	w ← w·(1 − η·λ)              if p decays (decoupled, λ = WeightDecay)
//	w ← w − η·m̂ / (√v̂ + ε)
//
// with η the learning rate and t the number of updates applied to this
// parameter, this one included (t = 1 on its first update). m and v start
// at zero. The factors 1−β₁, 1−β₂, 1−β₁ᵗ, 1−β₂ᵗ and 1−η·λ are computed in
// float64 and rounded once to float32; √ is the correctly rounded float32
// square root.
//
// t is counted per parameter, not per Step call: a parameter frozen for k
// steps resumes with the bias correction it had when frozen, as if the frozen
// steps had not happened. With a global count, a parameter frozen from the
// start would see 1−β₂ᵗ ≈ 1 on its first update while v holds only (1−β₂)·g²,
// inflating that update by up to 1/√(1−β₂).
//
// Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
// Algorithm 1; the decoupled decay is Loshchilov & Hutter, "Decoupled Weight
// Decay Regularization", ICLR 2019, Algorithm 2 (line 12, with schedule
// multiplier η folded into the learning rate, as in PyTorch's AdamW). Without
// decay this matches torch.optim.Adam, with decay torch.optim.AdamW, up to
// float32 rounding of the order of operations.
func (s *solver) adamUpdate(p *param, lr float32, lo, hi int) {
	b1, b2 := s.opts.Beta1, s.opts.Beta2
	t := float64(p.t)
	beta1, beta2 := float32(b1), float32(b2)
	c1, c2 := float32(1-b1), float32(1-b2)
	bc1, bc2 := float32(1-math.Pow(b1, t)), float32(1-math.Pow(b2, t))
	eps := float32(s.opts.Eps)
	keep := float32(1)
	if p.decay {
		keep = float32(1 - s.lr*s.opts.WeightDecay)
	}
	w, g := p.w[lo:hi], p.g[lo:hi]
	m, v := p.slots[0][lo:hi], p.slots[1][lo:hi]
	for i := range w {
		gi := g[i]
		mi := float32(beta1*m[i]) + float32(c1*gi)
		vi := float32(beta2*v[i]) + float32(c2*float32(gi*gi))
		m[i], v[i] = mi, vi
		mhat := mi / bc1
		vhat := vi / bc2
		wi := w[i]
		if p.decay {
			wi *= keep
		}
		w[i] = wi - float32(lr*mhat)/(float32(math.Sqrt(float64(vhat)))+eps)
	}
}
