package experiments

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// boundaries are the imports each package must never have (what its
// doc.go promises), checked on the packages' non-test files. "branchspec/"
// forbids every package of the module; a prefix forbids its subtree.
var boundaries = map[string][]string{
	"configs":                         {"branchspec/", "gorgonia.org/", "go.etcd.io/bbolt"},
	"metrics":                         {"branchspec/", "gorgonia.org/", "go.etcd.io/bbolt", "os", "io", "net"},
	"metrics/stats":                   {"branchspec/", "gorgonia.org/", "go.etcd.io/bbolt", "os", "io", "net"},
	"results":                         {"branchspec/", "gorgonia.org/"},
	"results/npy":                     {"branchspec/", "gorgonia.org/", "go.etcd.io/bbolt"},
	"results/figures":                 {"branchspec/", "gorgonia.org/", "go.etcd.io/bbolt"},
	"results/report":                  {"branchspec/", "gorgonia.org/", "go.etcd.io/bbolt"},
	"trainer/rng":                     {"branchspec/", "gorgonia.org/"},
	"trainer/data":                    {"branchspec/configs", "branchspec/trainer/ops", "branchspec/trainer/optim", "branchspec/results", "branchspec/metrics", "branchspec/experiments", "gorgonia.org/", "go.etcd.io/bbolt"},
	"trainer":                         {"branchspec/results", "branchspec/metrics", "branchspec/experiments", "go.etcd.io/bbolt"},
	"trainer/ops":                     {"branchspec/configs", "branchspec/results", "branchspec/metrics", "branchspec/experiments", "go.etcd.io/bbolt"},
	"trainer/optim":                   {"branchspec/configs", "branchspec/results", "branchspec/metrics", "branchspec/experiments", "go.etcd.io/bbolt"},
	"experiments":                     {"gorgonia.org/", "branchspec/trainer/ops", "go.etcd.io/bbolt", "branchspec/experiments/serve"},
	"experiments/serve":               {"gorgonia.org/", "go.etcd.io/bbolt", "branchspec/configs", "branchspec/trainer", "branchspec/metrics", "branchspec/cmd"},
	"cmd/branchspec":                  {"gorgonia.org/", "go.etcd.io/bbolt", "branchspec/configs", "branchspec/trainer", "branchspec/metrics", "branchspec/results"},
	"cmd/refbench":                    {"gorgonia.org/", "go.etcd.io/bbolt", "branchspec/experiments"}, // and so experiments/serve
	"cmd/refbench/internal/host":      {"branchspec/"},
	"trainer/ops/gemm":                {"branchspec/configs", "branchspec/trainer/data", "branchspec/results", "branchspec/experiments", "gorgonia.org/"},
	"trainer/ops/gemm/internal/cblas": {"branchspec/"},
}

// TestImportBoundaries: imports flow one way (cmd -> experiments/serve
// -> experiments -> trainer, metrics, results -> configs), nothing above
// trainer imports gorgonia or the GEMM, only results imports bbolt,
// metrics does no I/O, and the web page's package reads runs only
// through experiments and results. Every other package already forbids
// branchspec/ (and so experiments/serve) or experiments' subtree.
func TestImportBoundaries(t *testing.T) {
	for dir, forbidden := range boundaries {
		pkg, err := build.ImportDir(filepath.Join("..", filepath.FromSlash(dir)), 0)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		for _, imp := range pkg.Imports {
			for _, f := range forbidden {
				if forbids(f, imp) {
					t.Errorf("%s imports %s, which its boundary forbids", dir, imp)
				}
			}
		}
	}
}

// forbids reports whether the rule f covers the import path imp: f itself,
// a package below f, or below f when f ends in "/".
func forbids(f, imp string) bool {
	return imp == f || strings.HasPrefix(imp, strings.TrimSuffix(f, "/")+"/")
}
