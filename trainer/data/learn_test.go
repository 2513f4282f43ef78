package data

import (
	"fmt"
	"math"
	"testing"
)

// Hand features for the learnability check. colourFeatures sees only
// chroma (a hue histogram), formFeatures only luminance (oriented gradient
// energy and a few statistics), so a classifier on one of them can learn
// only its factor of the label.

const hueBins = 24

// colourFeatures returns the chroma-weighted histogram of HSV hue over the
// image's pixels, normalised to sum 1.
func colourFeatures(im []float32, h, w int) []float64 {
	p := h * w
	f := make([]float64, hueBins)
	var total float64
	for i := range p {
		r, g, b := (float64(im[i])+1)/2, (float64(im[p+i])+1)/2, (float64(im[2*p+i])+1)/2
		hi, lo := max(r, g, b), min(r, g, b)
		c := hi - lo
		if c <= 0 {
			continue
		}
		var hue float64 // in sixths of the circle
		switch hi {
		case r:
			hue = math.Mod((g-b)/c+6, 6)
		case g:
			hue = (b-r)/c + 2
		default:
			hue = (r-g)/c + 4
		}
		f[min(int(hue/6*hueBins), hueBins-1)] += c
		total += c
	}
	for i := range f {
		f[i] /= max(total, 1e-12)
	}
	return f
}

// formFeatures returns, from the luminance only: the gradient energy in 8
// orientation bins (normalised to sum 1), the total gradient energy over the
// luminance variance, the fraction of pixels brighter than the mean, and the
// same orientation histogram for the gradient of the luminance's local
// second differences (separates edges from smooth stripes).
func formFeatures(im []float32, c, h, w int) []float64 {
	y := make([]float32, c*h*w)
	Gray(y, im, c, h, w)
	y = y[:h*w]
	var mean, sq float64
	for _, v := range y {
		mean += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(h * w)
	mean /= n
	variance := max(sq/n-mean*mean, 1e-6)
	orient := func(at func(i, j int) float64) ([]float64, float64) {
		hist := make([]float64, 8)
		var total float64
		for i := 1; i < h-1; i++ {
			for j := 1; j < w-1; j++ {
				gx := at(i, j+1) - at(i, j-1)
				gy := at(i+1, j) - at(i-1, j)
				e := gx*gx + gy*gy
				if e == 0 {
					continue
				}
				a := math.Atan2(gy, gx) // doubled angle: orientation mod pi
				bin := int(math.Floor((a + math.Pi) / (2 * math.Pi) * 16))
				hist[bin%8] += e
				total += e
			}
		}
		for i := range hist {
			hist[i] /= max(total, 1e-12)
		}
		return hist, total
	}
	lum := func(i, j int) float64 { return float64(y[i*w+j]) }
	f, energy := orient(lum)
	var bright float64
	for _, v := range y {
		if float64(v) > mean {
			bright++
		}
	}
	lap := func(i, j int) float64 {
		i, j = min(max(i, 1), h-2), min(max(j, 1), w-2)
		return 4*lum(i, j) - lum(i-1, j) - lum(i+1, j) - lum(i, j-1) - lum(i, j+1)
	}
	g, _ := orient(lap)
	f = append(f, energy/variance/n, bright/n)
	return append(f, g...)
}

// softmaxAccuracy trains multinomial logistic regression on standardised
// features by full-batch gradient descent and returns its test accuracy.
func softmaxAccuracy(trainX [][]float64, trainY []int, testX [][]float64, testY []int, classes int) float64 {
	d := len(trainX[0])
	mu, sd := make([]float64, d), make([]float64, d)
	for _, x := range trainX {
		for j, v := range x {
			mu[j] += v
			sd[j] += v * v
		}
	}
	nt := float64(len(trainX))
	for j := range d {
		mu[j] /= nt
		sd[j] = math.Sqrt(max(sd[j]/nt-mu[j]*mu[j], 1e-12))
	}
	std := func(x []float64) []float64 {
		z := make([]float64, d+1)
		for j, v := range x {
			z[j] = (v - mu[j]) / sd[j]
		}
		z[d] = 1
		return z
	}
	zs := make([][]float64, len(trainX))
	for i, x := range trainX {
		zs[i] = std(x)
	}
	wt := make([][]float64, classes)
	for k := range wt {
		wt[k] = make([]float64, d+1)
	}
	logits := make([]float64, classes)
	predict := func(z []float64) {
		for k := range classes {
			var s float64
			for j, v := range z {
				s += wt[k][j] * v
			}
			logits[k] = s
		}
	}
	const steps, lr = 300, 0.5
	grad := make([][]float64, classes)
	for k := range grad {
		grad[k] = make([]float64, d+1)
	}
	for range steps {
		for k := range grad {
			clear(grad[k])
		}
		for i, z := range zs {
			predict(z)
			m := math.Inf(-1)
			for _, l := range logits {
				m = max(m, l)
			}
			var sum float64
			for k, l := range logits {
				logits[k] = math.Exp(l - m)
				sum += logits[k]
			}
			for k := range classes {
				p := logits[k] / sum
				if k == trainY[i] {
					p--
				}
				for j, v := range z {
					grad[k][j] += p * v
				}
			}
		}
		for k := range wt {
			for j := range wt[k] {
				wt[k][j] -= lr * grad[k][j] / nt
			}
		}
	}
	correct := 0
	for i, x := range testX {
		predict(std(x))
		best := 0
		for k := range logits {
			if logits[k] > logits[best] {
				best = k
			}
		}
		if best == testY[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(testX))
}

// TestSyntheticLearnable checks that the label needs both colour and form:
// a linear classifier on colour and form features together separates the
// classes far above chance and each factor is recoverable from its own
// features, while form-only features cannot beat the 1/Hues ceiling and
// colour-only features cannot beat 1/Forms. With 8 forms the colour
// histogram still tells the full-field textures (gratings, rings, checker)
// from the small shapes (cross, disc, square) by how much of the image is
// coloured, so its ceiling there is 2/Forms.
func TestSyntheticLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains classifiers on hand features; skipped in -short")
	}
	for _, c := range []struct {
		o          SyntheticOptions
		colourCeil float64
	}{
		{SyntheticOptions{Forms: 4, Hues: 4, Noise: 0.05, Train: 1600, Test: 800}, 1.0 / 4},
		{SyntheticOptions{Forms: 8, Hues: 4, Noise: 0.05, Train: 2400, Test: 800}, 2.0 / 8},
	} {
		t.Run(fmt.Sprintf("%dx%d", c.o.Forms, c.o.Hues), func(t *testing.T) { checkLearnable(t, c.o, c.colourCeil) })
	}
}

// features holds one set's hand features and label factors.
type features struct {
	colour, form, both [][]float64
	label, fm, hue     []int
}

func featurise(s *Set, hues int) features {
	var f features
	for i := range s.Len() {
		im := s.Image(i)
		c, fo := colourFeatures(im, s.H, s.W), formFeatures(im, s.C, s.H, s.W)
		f.colour, f.form = append(f.colour, c), append(f.form, fo)
		f.both = append(f.both, append(append([]float64(nil), c...), fo...))
		fm, h := SyntheticFactors(s.Y[i], hues)
		f.label, f.fm, f.hue = append(f.label, int(s.Y[i])), append(f.fm, fm), append(f.hue, h)
	}
	return f
}

func checkLearnable(t *testing.T, o SyntheticOptions, colourCeil float64) {
	train, test, err := Synthetic(o, 11)
	if err != nil {
		t.Fatal(err)
	}
	a, b := featurise(train, o.Hues), featurise(test, o.Hues)
	k := train.Classes
	// Thresholds: "far above chance" is at least 10x chance (capped at 0.75)
	// for the label on both feature kinds and 0.9 for each factor on its own
	// kind; ceilings allow 0.05 for sampling noise on 800 test examples
	// (binomial standard error about 0.016 at accuracy 0.25).
	const ceilingSlack = 0.05
	chance := 1 / float64(k)
	checks := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"label|colour+form", softmaxAccuracy(a.both, a.label, b.both, b.label, k), min(10*chance, 0.75), 1},
		{"hue|colour", softmaxAccuracy(a.colour, a.hue, b.colour, b.hue, o.Hues), 0.9, 1},
		{"form|form", softmaxAccuracy(a.form, a.fm, b.form, b.fm, o.Forms), 0.9, 1},
		{"label|colour", softmaxAccuracy(a.colour, a.label, b.colour, b.label, k), 0, colourCeil + ceilingSlack},
		{"label|form", softmaxAccuracy(a.form, a.label, b.form, b.label, k), 0, 1/float64(o.Hues) + ceilingSlack},
	}
	for _, c := range checks {
		t.Logf("%-18s accuracy %.3f (chance %.3f)", c.name, c.got, chance)
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s: accuracy %.3f, want in [%.3f, %.3f]", c.name, c.got, c.min, c.max)
		}
	}
}
