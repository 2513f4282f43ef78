package optim_test

import (
	"fmt"
	"log"

	"branchspec/trainer/optim"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func ExampleLRSchedule_At() {
	s := optim.LRSchedule{Kind: optim.Cosine, Base: 0.1, Warmup: 2, Total: 6, MinFrac: 0.1}
	if err := s.Validate(); err != nil {
		log.Fatal(err)
	}
	for step := range 7 {
		fmt.Printf("%d: %.4f\n", step, s.At(step))
	}
	// Output:
	// 0: 0.0500
	// 1: 0.1000
	// 2: 0.1000
	// 3: 0.0868
	// 4: 0.0550
	// 5: 0.0232
	// 6: 0.0100
}

// Example trains one weight vector on loss = Σ w², saves the solver's state
// half way and resumes it in a fresh solver.
func Example() {
	g := G.NewGraph()
	w := G.NewVector(g, G.Float32, G.WithShape(2), G.WithName("out.w"),
		G.WithValue(tensor.New(tensor.WithBacking([]float32{1, -2}))))
	loss := G.Must(G.Sum(G.Must(G.Square(w))))
	if _, err := G.Grad(loss, w); err != nil {
		log.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(w))
	defer vm.Close()

	opts := optim.Options{Algorithm: optim.SGD, LR: 0.1, Momentum: 0.5}
	s, err := optim.New(opts)
	if err != nil {
		log.Fatal(err)
	}
	step := func(s optim.Solver) {
		if err := vm.RunAll(); err != nil {
			log.Fatal(err)
		}
		if err := s.Step(G.NodesToValueGrads(G.Nodes{w})); err != nil {
			log.Fatal(err)
		}
		vm.Reset()
	}
	step(s)
	step(s)
	saved := s.State() // checkpoint this along with the weights

	resumed, err := optim.New(opts)
	if err != nil {
		log.Fatal(err)
	}
	if err := resumed.SetState(saved); err != nil {
		log.Fatal(err)
	}
	step(resumed)
	fmt.Println("params:", saved.Params(), "steps:", resumed.State().Step)
	fmt.Println("w:", w.Value())
	// Output:
	// params: [out.w] steps: 3
	// w: [ 0.302  -0.604]
}
