package configs

// Defaults returns the documented default config, the value that
// default.toml spells out key by key (a test holds them equal): a 2-branch
// AlexNet-style CNN (the split at the first conv) on the synthetic form x hue
// dataset, sized to train well above chance in about two minutes on two CPU
// cores. Every call returns a fresh value.
func Defaults() *Config {
	return &Config{
		Name: "default",
		Seed: 1,
		Data: Data{
			Source:    SourceSynthetic,
			TrainSize: 12000,
			TestSize:  2000,
			Synthetic: Synthetic{Forms: 6, Hues: 6, Size: 32, Noise: 0.25, Seed: 1},
		},
		Model: Model{
			Branches: 2,
			Branch: []Layer{
				{Out: 16, Kernel: 5, Pool: 2},
				{Out: 16, Kernel: 3, Pool: 2},
			},
			Trunk:   []Layer{{Out: 64, Kernel: 3, Pool: 2}},
			Bias:    true,
			Init:    InitHe,
			InitStd: 0.01,
			LRN:     LRN{Size: 5, K: 2, Alpha: 1e-4, Beta: 0.75},
		},
		Optim: Optim{
			Algorithm:   AlgorithmAdam,
			LR:          0.002,
			Momentum:    0.9,
			Beta1:       0.9,
			Beta2:       0.999,
			Eps:         1e-8,
			WeightDecay: 0.0001,
			BatchSize:   64,
		},
		Schedule: Schedule{
			Steps:     800,
			LR:        LRCosine,
			Warmup:    50,
			StepEvery: 300,
			StepGamma: 0.1,
			MinLR:     0.05,
			EvalEvery: 100,
			LogEvery:  10,
		},
		Checkpoint: Checkpoint{
			LogUntil:  128,
			Every:     200,
			Keep:      KeepSchedule,
			KeepLast:  3,
			KeepEvery: 200,
		},
		Metrics: Metrics{
			Enabled:        true,
			Probes:         64,
			Permutations:   200,
			Shuffles:       50,
			Inits:          20,
			CKAExamples:    64,
			LesionExamples: 500,
			CSITop:         16,
		},
		Regime: Interventions{
			Bias:       Bias{Axis: BiasAxisRGB},
			GrayBranch: -1,
		},
	}
}
