package data

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"branchspec/trainer/rng"
)

// Stream tags keep the generators of different purposes apart even when the
// caller passes the same seed to several of them.
const (
	tagTrain uint64 = 1
	tagTest  uint64 = 2
	tagOrder uint64 = 3
)

// stream draws numbers from a PCG generator (PCG-DXSM, math/rand/v2) with
// the algorithms fixed in this file, so that generated images and orders stay
// bit-identical across Go releases: only the PCG output is relied upon, not
// rand.Rand's derived methods.
type stream struct {
	src *rand.PCG
}

// newStream returns the stream for item i of the purpose tag under seed
// (rng.Keyed).
func newStream(seed, tag, i uint64) *stream {
	return &stream{src: rng.Keyed(seed, tag, i)}
}

// float returns a uniform value in [0, 1) with 53 random bits.
func (s *stream) float() float64 {
	return float64(s.src.Uint64()>>11) * 0x1p-53
}

// uniform returns a uniform value in [a, b).
func (s *stream) uniform(a, b float64) float64 {
	return a + (b-a)*s.float()
}

// intn returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method (Lemire, "Fast random integer generation in an
// interval", ACM TOMACS 2019, algorithm 5).
func (s *stream) intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(s.src.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(s.src.Uint64(), un)
		}
	}
	return int(hi)
}

// ziggurat holds the tables of Marsaglia and Tsang's ziggurat method for
// the standard normal with 128 layers (Marsaglia & Tsang, "The ziggurat
// method for generating random variables", J. Stat. Softw. 5(8), 2000,
// RNOR/zigset). Tables are built per use, so the package holds no state.
type ziggurat struct {
	k, w, f [128]float64
}

// Ziggurat constants from Marsaglia & Tsang (2000): the rightmost layer's
// edge r and the common layer area v.
const (
	zigR = 3.442619855899
	zigV = 9.91256303526217e-3
	zigM = 1 << 31
)

func newZiggurat() *ziggurat {
	z := new(ziggurat)
	d, t := zigR, zigR
	q := zigV / math.Exp(-0.5*d*d)
	z.k[0], z.k[1] = d/q*zigM, 0
	z.w[0], z.w[127] = q/zigM, d/zigM
	z.f[0], z.f[127] = 1, math.Exp(-0.5*d*d)
	for i := 126; i >= 1; i-- {
		d = math.Sqrt(-2 * math.Log(zigV/d+math.Exp(-0.5*d*d)))
		z.k[i+1] = d / t * zigM
		t = d
		z.f[i] = math.Exp(-0.5 * d * d)
		z.w[i] = d / zigM
	}
	return z
}

// norm returns a standard normal value by the ziggurat method, drawing the
// signed 32-bit value and the layer index from separate bits of one output
// (avoiding the correlation Doornik (2005) found when they share bits).
func (s *stream) norm(z *ziggurat) float64 {
	for {
		b := s.src.Uint64()
		hz, iz := int32(b), (b>>32)&127
		x := float64(hz) * z.w[iz]
		if math.Abs(float64(hz)) < z.k[iz] {
			return x // inside the layer's rectangle: accept at once
		}
		if iz == 0 { // the tail beyond r
			for {
				x = -math.Log(1-s.float()) / zigR
				y := -math.Log(1 - s.float())
				if y+y >= x*x {
					break
				}
			}
			if hz > 0 {
				return zigR + x
			}
			return -zigR - x
		}
		if z.f[iz]+s.float()*(z.f[iz-1]-z.f[iz]) < math.Exp(-0.5*x*x) {
			return x // under the density in the layer's wedge
		}
	}
}

// shuffle permutes p uniformly (Fisher-Yates; Knuth TAOCP vol. 2, 3.4.2,
// algorithm P).
func (s *stream) shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := s.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}
