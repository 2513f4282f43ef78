package trainer

import (
	"testing"

	"branchspec/configs"
)

// TestStepFLOPs checks StepFLOPs against counts made by hand: MACs per
// pass are O*I*K*K*OH*OW for a conv (OH x OW before its pool) and O*I for
// a linear layer; each layer runs 3 passes (a conv reading the image 2)
// of 2 flops per multiply-add.
func TestStepFLOPs(t *testing.T) {
	small := []string{
		"data.synthetic.size=16", "data.synthetic.forms=2", "data.synthetic.hues=2", // 3x16x16, 4 classes
		"model.branch=[{out = 4, kernel = 3, pool = 2}, {out = 2, kernel = 1, pool = 0}]",
		"model.trunk=[{out = 3, kernel = 3, stride = 2, pool = 0}]",
		"model.hidden=[5]",
	}
	tests := []struct {
		name string
		sets []string
		want float64
	}{
		{
			// branch.B.0: 4*3*9*(16*16) = 27648 MACs, reads the image: 2
			// passes, 2*2*27648 = 110592, two branches 221184.
			// branch.B.1 on 8x8: 2*4*1*64 = 512 MACs, 3 passes: 3072, two:
			// 6144. trunk.0, stride 2 on 8x8 -> 4x4: 3*4*9*16 = 1728 MACs:
			// 10368. hidden.0 48->5: 240 MACs: 1440. out 5->4: 20 MACs: 120.
			name: "branches, strided trunk, hidden",
			sets: small,
			want: 221184 + 6144 + 10368 + 1440 + 120,
		},
		{
			// As above, but branch.*.1 is mixed: it reads both branches' 4
			// channels, 2*8*1*64 = 1024 MACs, 3 passes: 6144, two: 12288.
			name: "mixing at branch.*.1",
			sets: append(small[:len(small):len(small)], "regime.mixing.layer=branch.*.1", "regime.mixing.p=0.5"),
			want: 221184 + 12288 + 10368 + 1440 + 120,
		},
		{
			// stem.0: 4*3*9*256 = 27648 MACs, reads the image: 110592.
			// branch.B.0 on 8x8: 2*4*9*64 = 4608 MACs, 3 passes: 27648, two
			// branches 55296. out 256->4 (2 branches x 2 channels x 8x8):
			// 1024 MACs: 6144.
			name: "stem, no trunk",
			sets: []string{
				"data.synthetic.size=16", "data.synthetic.forms=2", "data.synthetic.hues=2",
				"model.stem=[{out = 4, kernel = 3, pool = 2}]",
				"model.branch=[{out = 2, kernel = 3, pool = 0}]",
				"model.trunk=[]", "model.hidden=[]",
			},
			want: 110592 + 55296 + 6144,
		},
		{
			// cmd/refbench's reference net on 3x32x32, 10 classes: stem
			// 32*3*9*1024 = 884736 MACs, 2 passes: 3538944; four 32->32
			// convs on 16x16, 2359296 MACs each, 3 passes: 56623104;
			// linear 4096->10: 40960 MACs: 245760.
			name: "reference net",
			sets: []string{
				"data.synthetic.forms=2", "data.synthetic.hues=5", "model.bias=false",
				"model.stem=[{out = 32, kernel = 3, pool = 2}]",
				"model.branch=[{out = 32, kernel = 3, pool = 0}, {out = 32, kernel = 3, pool = 2}]",
				"model.trunk=[]", "model.hidden=[]",
			},
			want: 3538944 + 56623104 + 245760,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configs.Defaults()
			if err := cfg.SetAll(tt.sets); err != nil {
				t.Fatal(err)
			}
			a, err := NewArch(cfg)
			if err != nil {
				t.Fatal(err)
			}
			// The counts are integers far below 2^53: exact in float64.
			if got := a.StepFLOPs(); got != tt.want {
				t.Errorf("StepFLOPs = %.0f, want %.0f", got, tt.want)
			}
		})
	}
}
