package configs

import (
	"reflect"
	"slices"
	"testing"
)

func TestLayersDefault(t *testing.T) {
	layers, err := Defaults().Layers()
	if err != nil {
		t.Fatal(err)
	}
	// Shapes and parameter counts worked out by hand from default.toml:
	// conv params = out*in*k*k + out, linear = out*in + out.
	l5, l3, t3 := Layer{Out: 16, Kernel: 5, Pool: 2}, Layer{Out: 16, Kernel: 3, Pool: 2}, Layer{Out: 64, Kernel: 3, Pool: 2}
	want := []LayerInfo{
		{Name: "branch.0.0", Kind: KindConv, In: [3]int{3, 32, 32}, Out: [3]int{16, 16, 16}, Kernel: 5, Pool: 2, Layer: l5, Branch: 0, Params: 16*3*25 + 16},
		{Name: "branch.0.1", Kind: KindConv, In: [3]int{16, 16, 16}, Out: [3]int{16, 8, 8}, Kernel: 3, Pool: 2, Layer: l3, Branch: 0, Params: 16*16*9 + 16},
		{Name: "branch.1.0", Kind: KindConv, In: [3]int{3, 32, 32}, Out: [3]int{16, 16, 16}, Kernel: 5, Pool: 2, Layer: l5, Branch: 1, Params: 16*3*25 + 16},
		{Name: "branch.1.1", Kind: KindConv, In: [3]int{16, 16, 16}, Out: [3]int{16, 8, 8}, Kernel: 3, Pool: 2, Layer: l3, Branch: 1, Params: 16*16*9 + 16},
		{Name: "trunk.0", Kind: KindConv, In: [3]int{32, 8, 8}, Out: [3]int{64, 4, 4}, Kernel: 3, Pool: 2, Layer: t3, Branch: -1, Params: 64*32*9 + 64},
		{Name: "out", Kind: KindLinear, In: [3]int{1024, 1, 1}, Out: [3]int{36, 1, 1}, Branch: -1, Params: 36*1024 + 36},
	}
	if !reflect.DeepEqual(layers, want) {
		t.Errorf("Layers() =\n%+v\nwant\n%+v", layers, want)
	}
}

func TestLayersHeterogeneous(t *testing.T) {
	c, err := Parse("x.toml", []byte(`
[model]
branches = 2
stem = [{out = 4, kernel = 3, pool = 2}]
per_branch = [
  [{out = 6, kernel = 1}],
  [{out = 2, kernel = 5, pool = 1}, {out = 3, kernel = 3}],
]
trunk = []
hidden = [10]
bias = false
`))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := c.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range layers {
		names = append(names, l.Name)
	}
	if want := []string{"stem.0", "branch.0.0", "branch.1.0", "branch.1.1", "hidden.0", "out"}; !slices.Equal(names, want) {
		t.Errorf("names %v; want %v", names, want)
	}
	// Concat of 6 + 3 channels at 16x16, no biases.
	if h := layers[4]; h.In != [3]int{9 * 16 * 16, 1, 1} || h.Params != 9*16*16*10 {
		t.Errorf("hidden.0 = %+v", h)
	}
	if b := layers[3]; b.In != [3]int{2, 16, 16} || b.Params != 3*2*9 {
		t.Errorf("branch.1.1 = %+v", b)
	}
}

func TestExpand(t *testing.T) {
	c, err := Parse("x.toml", []byte("[model]\nbranches = 3\nstem = [{out = 4, kernel = 3}]\nhidden = [8, 8]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want []string
		err  string
	}{
		{name: "out", want: []string{"out"}},
		{name: "stem.0", want: []string{"stem.0"}},
		{name: "trunk.0", want: []string{"trunk.0"}},
		{name: "hidden.1", want: []string{"hidden.1"}},
		{name: "branch.2.1", want: []string{"branch.2.1"}},
		{name: "branch.*.0", want: []string{"branch.0.0", "branch.1.0", "branch.2.0"}},
		{name: "hidden.2", err: `no layer "hidden.2": the model has 2 hidden layer(s)`},
		{name: "branch.3.0", err: `no layer "branch.3.0": the model has 3 branch(es)`},
		{name: "branch.*.2", err: `no layer "branch.*.2": branch 0 has 2 layer(s)`},
		{name: "branch.0", err: `bad layer name "branch.0"; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out`},
		{name: "branch.-1.0", err: `bad layer name "branch.-1.0"; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out`},
		{name: "out.0", err: `bad layer name "out.0"; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out`},
		{name: "Out", err: `bad layer name "Out"; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out`},
		{name: "", err: `bad layer name ""; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Expand(tt.name)
			switch {
			case tt.err != "":
				if err == nil || err.Error() != tt.err {
					t.Errorf("error %v; want %s", err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case !slices.Equal(got, tt.want):
				t.Errorf("Expand(%q) = %v; want %v", tt.name, got, tt.want)
			}
		})
	}
}

// TestLayerShape: output sizes by hand from PyTorch's formulas,
// floor((n + 2*(k/2) - k)/s) + 1 for Conv2d(padding=k//2, stride=s) and
// floor((n - p)/q) + 1 for MaxPool2d(p, q).
func TestLayerShape(t *testing.T) {
	tests := []struct {
		l      Layer
		n      int
		want   int
		errKey string
	}{
		{Layer{Kernel: 3}, 32, 32, ""},
		{Layer{Kernel: 5, Pool: 2}, 32, 16, ""},
		{Layer{Kernel: 7, Stride: 2}, 32, 16, ""},                           // (32+6-7)/2+1
		{Layer{Kernel: 7, Stride: 2}, 31, 16, ""},                           // (31+6-7)/2+1
		{Layer{Kernel: 3, Stride: 3}, 32, 11, ""},                           // (32+2-3)/3+1
		{Layer{Kernel: 7, Stride: 2, Pool: 3, PoolStride: 2}, 32, 7, ""},    // 16 -> (16-3)/2+1
		{Layer{Kernel: 5, Pool: 3, PoolStride: 2}, 7, 3, ""},                // (7-3)/2+1
		{Layer{Kernel: 3, Pool: 2, PoolStride: 2}, 7, 3, ""},                // (7-2)/2+1: need not divide
		{Layer{Kernel: 3, Pool: 4, PoolStride: 1}, 4, 1, ""},                // one window
		{Layer{Kernel: 3, Pool: 2}, 7, 0, "pool"},                           // must divide without a pool stride
		{Layer{Kernel: 3, Stride: 4, Pool: 3, PoolStride: 2}, 8, 0, "pool"}, // 2x2 map, pool 3
	}
	for _, tt := range tests {
		oh, ow, err := tt.l.Shape(tt.n, tt.n)
		switch {
		case tt.errKey != "":
			if err == nil || err.Key != tt.errKey {
				t.Errorf("%+v on %d: %v, want an error at %q", tt.l, tt.n, err, tt.errKey)
			}
		case err != nil || oh != tt.want || ow != tt.want:
			t.Errorf("%+v on %d: %dx%d (%v), want %d", tt.l, tt.n, oh, ow, err, tt.want)
		}
	}
	if oh, ow, err := (Layer{Kernel: 3, Stride: 2}).Shape(9, 4); err != nil || oh != 5 || ow != 2 {
		t.Errorf("9x4 with stride 2: %dx%d, %v; want 5x2", oh, ow, err)
	}
}
