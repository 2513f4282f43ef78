package ops

import (
	"fmt"
	"math"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestEngineAddSameBits checks Engine.Add against gorgonia's standard
// engine bit for bit, into a (unsafe), into a reuse tensor apart from both
// operands or equal to either, and in the cases it leaves to the standard
// engine, for lengths around the vector width, the block and the pieces,
// with and without Workers, on values that include zeros of both signs,
// infinities and NaN.
func TestEngineAddSameBits(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, 1e-45}
	values := func(seed uint64, n int) []float32 {
		v := f32data(randDense(newRand(seed), 1e3, n))
		for i := 0; i < n; i += 7 {
			v[i] = special[(i/7)%len(special)]
		}
		return v
	}
	workers := NewWorkers(2, time.Millisecond)
	defer workers.Close()
	modes := []string{"unsafe", "reuse", "reuse=a", "reuse=b", "safe", "incr"}
	for _, w := range []*Workers{nil, workers} {
		for _, n := range []int{1, 15, 16, 2047, 2049, 4*addUnit + 1, 3*4*addUnit + 5} {
			for _, mode := range modes {
				t.Run(fmt.Sprintf("workers=%t/n%d/%s", w != nil, n, mode), func(t *testing.T) {
					tensors := func() (a, b, r *tensor.Dense, opts []tensor.FuncOpt) {
						a = tensor.New(tensor.WithShape(n), tensor.WithBacking(values(1, n)))
						b = tensor.New(tensor.WithShape(n), tensor.WithBacking(values(2, n)))
						r = tensor.New(tensor.WithShape(n), tensor.WithBacking(values(3, n)))
						switch mode {
						case "unsafe":
							opts = []tensor.FuncOpt{tensor.UseUnsafe()}
						case "reuse":
							opts = []tensor.FuncOpt{tensor.WithReuse(r)}
						case "reuse=a":
							opts = []tensor.FuncOpt{tensor.WithReuse(a)}
						case "reuse=b":
							opts = []tensor.FuncOpt{tensor.WithReuse(b)}
						case "incr":
							opts = []tensor.FuncOpt{tensor.WithIncr(r)}
						}
						return a, b, r, opts
					}
					a, b, r, opts := tensors()
					want, err := G.StandardEngine{}.Add(a, b, opts...)
					if err != nil {
						t.Fatal(err)
					}
					wantA, wantB, wantR := cloneF32(f32data(a)), cloneF32(f32data(b)), cloneF32(f32data(r))
					a, b, r, opts = tensors()
					got, err := NewEngine(w).Add(a, b, opts...)
					if err != nil {
						t.Fatal(err)
					}
					if err := bitsEqual(f32data(got), f32data(want)); err != nil {
						t.Errorf("sum: %v", err)
					}
					for _, c := range []struct {
						name      string
						got, want []float32
					}{{"a", f32data(a), wantA}, {"b", f32data(b), wantB}, {"reuse", f32data(r), wantR}} {
						if err := bitsEqual(c.got, c.want); err != nil {
							t.Errorf("%s afterwards: %v", c.name, err)
						}
					}
				})
			}
		}
	}
}

// TestEngineAddOthers checks that additions Engine.Add leaves to the
// standard engine (float64, a scalar operand, shapes that differ) still
// give its results and errors.
func TestEngineAddOthers(t *testing.T) {
	e := NewEngine(nil)
	a64 := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{1, 2, 3}))
	b64 := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{0.5, 0.25, 0.125}))
	got, err := e.Add(a64, b64)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(got.Data()); s != "[1.5 2.25 3.125]" {
		t.Errorf("float64 sum %s", s)
	}
	a := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6}))
	b := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float32{1, 1, 1, 1, 1, 1}))
	_, err = e.Add(a, b)
	_, stdErr := G.StandardEngine{}.Add(a, b)
	if (err == nil) != (stdErr == nil) {
		t.Errorf("shapes 2x3 + 3x2: error %v, standard engine %v", err, stdErr)
	}
}

// TestEngineInMachine trains a graph in which one node is read by two ops
// (their gradients meet there, as at a stem read by every branch) on a
// machine with the Engine and on gorgonia's standard one: the gradients
// agree bit for bit, and the machine's additions of float32 tensors take
// Engine.Add's own path.
func TestEngineInMachine(t *testing.T) {
	workers := NewWorkers(2, time.Millisecond)
	defer workers.Close()
	x := randDense(newRand(3), 1, 64, 32, 16, 16)
	grad := func(withEngine bool) ([]float32, int) {
		g := G.NewGraph()
		xn := G.NewTensor(g, G.Float32, 4, G.WithShape(x.Shape()...), G.WithValue(x.Clone()), G.WithName("x"))
		a, err := ReLU(xn)
		if err != nil {
			t.Fatal(err)
		}
		b, err := GlobalAvgPool(xn)
		if err != nil {
			t.Fatal(err)
		}
		sa, err := G.Sum(a)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := G.Sum(b)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := G.Add(sa, sb)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := G.Grad(loss, xn); err != nil {
			t.Fatal(err)
		}
		UseWorkers(g, workers)
		counting := &countingEngine{Engine: NewEngine(workers)}
		var opts []G.VMOpt
		if withEngine {
			opts = append(opts, G.WithEngine(counting))
		}
		m := G.NewTapeMachine(g, opts...)
		defer m.Close()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		gx, err := xn.Grad()
		if err != nil {
			t.Fatal(err)
		}
		return cloneF32(f32data(gx)), counting.own
	}
	want, _ := grad(false)
	got, own := grad(true)
	if err := bitsEqual(got, want); err != nil {
		t.Errorf("gradient: %v", err)
	}
	if own == 0 {
		t.Error("no addition of the machine took Engine.Add's own path")
	}
}

// countingEngine counts the additions that Engine.Add does itself.
type countingEngine struct {
	Engine
	own int
}

func (e *countingEngine) Add(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	if _, _, _, _, ok := addOperands(a, b, opts); ok {
		e.own++
	}
	return e.Engine.Add(a, b, opts...)
}
