package optim

// sgdUpdate applies one SGD step to the elements [lo, hi) of p, element by
// element, in float32:
//
//	g ← g + λ·w                  if p decays (L2 penalty, λ = WeightDecay)
//	v ← μ·v + g                  if μ = Momentum > 0
//	d ← g + μ·v  (Nesterov),  v  (heavy ball),  g  (μ = 0)
//	w ← w − η·d
//
// with η the learning rate. v starts at zero, so the first step sets v = g.
// This is PyTorch's torch.optim.SGD with dampening 0 (Sutskever, Martens,
// Dahl & Hinton, "On the importance of initialization and momentum in deep
// learning", ICML 2013, eq. 1-4 in the form used by PyTorch), chosen so that
// runs compare with PyTorch's; Polyak, "Some methods of speeding up the
// convergence of iteration methods", 1964, for the heavy-ball method. The
// gradient tensor itself is not modified.
func (s *solver) sgdUpdate(p *param, lr float32, lo, hi int) {
	mu := float32(s.opts.Momentum)
	lambda := float32(0)
	if p.decay {
		lambda = float32(s.opts.WeightDecay)
	}
	nesterov := s.opts.Nesterov
	w, g := p.w[lo:hi], p.g[lo:hi]
	if mu == 0 {
		for i := range w {
			gi := g[i] + float32(lambda*w[i])
			w[i] -= float32(lr * gi)
		}
		return
	}
	v := p.slots[0][lo:hi]
	for i := range w {
		gi := g[i] + float32(lambda*w[i])
		vi := float32(mu*v[i]) + gi
		v[i] = vi
		d := vi
		if nesterov {
			d = gi + float32(mu*vi)
		}
		w[i] -= float32(lr * d)
	}
}
