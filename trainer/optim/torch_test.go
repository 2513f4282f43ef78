package optim

import (
	"math"
	"testing"
)

// torchTol is the tolerance against PyTorch, relative to max(|want|, 1)
// (the weights are of order 1): float32 rounding in a different order of
// operations, accumulated over five steps.
const torchTol = 1e-6

// torchCases are PyTorch's weights after each of five steps. Provenance:
// printed by testdata/torch_reference.py with Debian's python3-torch 1.13.1
// (torch.__version__ "1.13.0a0"), float32, foreach=False; that script
// documents the inputs, which torchInit and torchGrad reproduce.
var torchCases = []struct {
	name  string
	opts  Options
	lrAt  func(k int) float64
	steps [][2][]float32 // per step: {a.w, a.b}
}{
	{name: "sgd", opts: Options{Algorithm: SGD, LR: 0.1}, steps: [][2][]float32{
		{{-0.625, -0.200000003, 0.224999994, 0.649999976}, {-0.649999976, -0.224999994, 0.200000003}},
		{{-0.675000012, -0.325000018, 0.299999982, 0.649999976}, {-0.724999964, -0.099999994, 0.25}},
		{{-0.625, -0.350000024, 0.199999988, 0.75}, {-0.699999988, -0.149999991, 0.125}},
		{{-0.75, -0.275000036, 0.199999988, 0.675000012}, {-0.574999988, -0.099999994, 0.100000001}},
		{{-0.774999976, -0.37500003, 0.299999982, 0.699999988}, {-0.625, -0.224999994, 0.174999997}},
	}},
	{name: "sgd momentum", opts: Options{Algorithm: SGD, LR: 0.1, Momentum: 0.9}, steps: [][2][]float32{
		{{-0.625, -0.200000003, 0.224999994, 0.649999976}, {-0.649999976, -0.224999994, 0.200000003}},
		{{-0.5625, -0.280000001, 0.277500004, 0.560000002}, {-0.63499999, -0.0774999931, 0.204999998}},
		{{-0.456250012, -0.377000004, 0.224749997, 0.578999996}, {-0.596499979, 0.00525000645, 0.0844999924}},
		{{-0.485625029, -0.389299989, 0.177275002, 0.521099985}, {-0.436849982, 0.129725009, -0.0489500053}},
		{{-0.537062526, -0.500369966, 0.234547496, 0.493990004}, {-0.34316501, 0.116752513, -0.094054997}},
	}},
	{name: "sgd nesterov decay", opts: Options{Algorithm: SGD, LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}, steps: [][2][]float32{
		{{-0.51107502, -0.154524997, 0.202024996, 0.558574975}, {-0.560000002, -0.202500001, 0.155000001}},
		{{-0.503246486, -0.351028919, 0.323688656, 0.475906193}, {-0.621500015, 0.0552500151, 0.2095}},
		{{-0.355704606, -0.462354541, 0.175252751, 0.591102779}, {-0.561850011, 0.0797250122, -0.0239500105}},
		{{-0.505194008, -0.396985054, 0.131618783, 0.461584926}, {-0.293165028, 0.24175252, -0.169055}},
		{{-0.574094713, -0.595314384, 0.282255858, 0.459673852}, {-0.258848548, 0.105077267, -0.134649485}},
	}},
	{name: "adam", opts: Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, steps: [][2][]float32{
		{{-0.74000001, -0.239999995, 0.239999995, 0.74000001}, {-0.74000001, -0.239999995, 0.239999995}},
		{{-0.736543953, -0.244422153, 0.24494189, 0.733299434}, {-0.739106774, -0.231389537, 0.240526304}},
		{{-0.731813967, -0.248949915, 0.242297888, 0.734158099}, {-0.737175941, -0.22752732, 0.235165343}},
		{{-0.732711256, -0.249408111, 0.240132079, 0.732054532}, {-0.731975973, -0.222560957, 0.229841828}},
		{{-0.734174192, -0.25267899, 0.242061794, 0.731140614}, {-0.729216635, -0.222929746, 0.228339598}},
	}},
	{name: "adamw warmup", opts: Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1},
		lrAt: func(k int) float64 { return 0.01 * float64(k+1) / 5 },
		steps: [][2][]float32{
			{{-0.74785006, -0.247950003, 0.247950003, 0.74785006}, {-0.748000026, -0.247999996, 0.247999996}},
			{{-0.746168494, -0.249619678, 0.249827579, 0.744870663}, {-0.747642756, -0.244555816, 0.24821052}},
			{{-0.742882788, -0.252186567, 0.24809128, 0.74493897}, {-0.74648422, -0.242238477, 0.24499394}},
			{{-0.743006289, -0.252351373, 0.24616015, 0.742660105}, {-0.742324233, -0.23826538, 0.240735129}},
			{{-0.743726254, -0.255369902, 0.247843713, 0.741003513}, {-0.739564896, -0.238634169, 0.239232898}},
		}},
}

// torchInit returns w[i] = (i − 1.5)/2.
func torchInit(n int) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = (float32(i) - 1.5) / 2
	}
	return w
}

// torchGrad returns g[i] = ((7k + 3i + j) mod 11 − 5)/4.
func torchGrad(k, n, j int) []float32 {
	g := make([]float32, n)
	for i := range g {
		g[i] = float32((7*k+3*i+j)%11-5) / 4
	}
	return g
}

func TestMatchesPyTorch(t *testing.T) {
	for _, tc := range torchCases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.opts)
			w := newParam("a.w", torchInit(4)...)
			b := newParam("a.b", torchInit(3)...)
			for k, want := range tc.steps {
				if tc.lrAt != nil {
					s.SetLR(tc.lrAt(k))
				}
				w.setGrad(torchGrad(k, 4, 0)...)
				b.setGrad(torchGrad(k, 3, 1)...)
				if err := s.Step(valueGrads(b, w)); err != nil {
					t.Fatal(err)
				}
				for pi, p := range []*fakeParam{w, b} {
					for i, got := range p.weights() {
						exp := want[pi][i]
						if d := math.Abs(float64(got - exp)); d > torchTol*math.Max(math.Abs(float64(exp)), 1) {
							t.Errorf("step %d %s[%d] = %.9g, PyTorch %.9g", k, p.name, i, got, exp)
						}
					}
				}
			}
		})
	}
}
