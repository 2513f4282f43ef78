package experiments

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"branchspec/configs"
	"branchspec/trainer"
	"branchspec/trainer/data"
)

// ErrMemory is matched (errors.Is) by the errors of a request refused
// before anything is created because it would need more memory than the
// machine has: a config, a sweep, or a flag value whose estimate exceeds
// the available memory. The error gives the estimate and what is
// available. The command line exits with status 3 for it.
var ErrMemory = errors.New("not enough memory")

// MemoryEnv names the environment variable that, when set, is taken as
// the memory available instead of what the machine reports: bytes, or a
// number with a suffix K, M, G or T (powers of 1024): "512M", "2G". It
// exists for tests, and for machines whose limits this program cannot
// read.
const MemoryEnv = "BRANCHSPEC_MEMORY"

// Memory is an amount of memory in bytes that prints in binary units.
type Memory float64

func (m Memory) String() string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, i := float64(m), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// Available is the memory this process may use and where that number
// comes from.
type Available struct {
	Bytes  Memory
	Source string // "MemAvailable in /proc/meminfo", "cgroup memory.max", MemoryEnv
}

// AvailableMemory is the memory this process may use: MemoryEnv when set;
// otherwise the least of MemAvailable in /proc/meminfo and, when the
// process's cgroup sets a limit, that limit less the cgroup's usage
// (cgroup v2 memory.max and memory.current, or v1 memory.limit_in_bytes
// and memory.usage_in_bytes). ok is false when none can be read (not
// Linux): the memory is then not checked.
func AvailableMemory() (a Available, ok bool, err error) {
	if v := os.Getenv(MemoryEnv); v != "" {
		b, err := parseBytes(v)
		if err != nil {
			return Available{}, false, invalidf("%s=%q: %v", MemoryEnv, v, err)
		}
		return Available{Bytes: Memory(b), Source: MemoryEnv}, true, nil
	}
	if kb, err := meminfoField("/proc/meminfo", "MemAvailable"); err == nil {
		a, ok = Available{Bytes: Memory(kb * 1024), Source: "MemAvailable in /proc/meminfo"}, true
	}
	if limit, used, src, found := cgroupLimit(); found {
		if left := Memory(max(limit-used, 0)); !ok || left < a.Bytes {
			a, ok = Available{Bytes: left, Source: src}, true
		}
	}
	return a, ok, nil
}

// parseBytes reads "123", "512M", "2G", "1.5T".
func parseBytes(s string) (float64, error) {
	mult := 1.0
	switch t := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(s, "B"), "i")); {
	case strings.HasSuffix(t, "K"):
		mult, s = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, s = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, s = 1<<30, t[:len(t)-1]
	case strings.HasSuffix(t, "T"):
		mult, s = 1<<40, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) {
		return 0, errors.New("want bytes, or a number with K, M, G or T")
	}
	return v * mult, nil
}

// meminfoField reads a "Name: N kB" line of /proc/meminfo.
func meminfoField(path, name string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == name {
			return strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, name)
}

// cgroupLimit is the memory limit of this process's cgroup and its usage,
// when a limit is set.
func cgroupLimit() (limit, used Memory, source string, ok bool) {
	readNum := func(path string) (float64, bool) {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		return v, err == nil
	}
	// cgroup v2: "0::/PATH" in /proc/self/cgroup; in a container the
	// cgroup is usually mounted at /sys/fs/cgroup itself.
	var dirs []string
	if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if p, ok := strings.CutPrefix(line, "0::"); ok {
				dirs = append(dirs, filepath.Join("/sys/fs/cgroup", p))
			}
		}
	}
	dirs = append(dirs, "/sys/fs/cgroup")
	for _, d := range dirs {
		l, ok1 := readNum(filepath.Join(d, "memory.max")) // "max" when unlimited: not a number
		u, ok2 := readNum(filepath.Join(d, "memory.current"))
		if ok1 && ok2 {
			return Memory(l), Memory(u), "cgroup memory.max", true
		}
	}
	l, ok1 := readNum("/sys/fs/cgroup/memory/memory.limit_in_bytes")
	u, ok2 := readNum("/sys/fs/cgroup/memory/memory.usage_in_bytes")
	if ok1 && ok2 && l < 1<<60 { // v1 writes a huge number for "no limit"
		return Memory(l), Memory(u), "cgroup memory.limit_in_bytes", true
	}
	return 0, 0, "", false
}

// MemoryPart is one part of a memory estimate.
type MemoryPart struct {
	What  string
	Bytes Memory
}

// MemoryEstimate is the memory something needs at its peak, by part.
type MemoryEstimate []MemoryPart

// Total is the sum of the parts.
func (e MemoryEstimate) Total() Memory {
	var t Memory
	for _, p := range e {
		t += p.Bytes
	}
	return t
}

// String is the total and its parts: "1.2 GiB (data 800.0 MiB, ...)".
func (e MemoryEstimate) String() string {
	parts := make([]string, len(e))
	for i, p := range e {
		parts[i] = p.What + " " + p.Bytes.String()
	}
	return fmt.Sprintf("%s (%s)", e.Total(), strings.Join(parts, ", "))
}

// checkMemory refuses, as ErrMemory, what is estimated to need more than
// the available memory; what names it ("run tiny seed 1", "filters --scale
// 2000000000") and hint says what to lower. It checks nothing where the
// available memory cannot be read.
func checkMemory(what string, e MemoryEstimate, hint string) error {
	a, ok, err := AvailableMemory()
	if err != nil || !ok {
		return err
	}
	if e.Total() <= a.Bytes {
		return nil
	}
	src := a.Source
	if src != MemoryEnv {
		src += "; " + MemoryEnv + " overrides it"
	}
	return fmt.Errorf("%w: %s needs about %s, but %s is available (%s): %s", ErrMemory, what, e, a.Bytes, src, hint)
}

// The constants of the run estimate (EstimateRun), fitted to the peak
// resident memory of real runs; see TestEstimateRunAgainstPeakRSS for how
// close the estimate comes.
const (
	// trainFactor is the bytes the training graph holds per activation
	// value of one example: the float32 value and its gradient.
	trainFactor = 8
	// evalFactor is the same for a forward-only graph: the value.
	evalFactor = 4
	// gramCopies is the n x n float64 matrices alive per branch while the
	// CKA Grams are computed and compared.
	gramCopies = 2
	// heldCopies is the copies of the held-out branch outputs the lesion
	// pass makes.
	heldCopies = 3
	// stateCopies is the copies of the parameters and solver state alive
	// while a checkpoint is written: the state, its encoding, the bbolt
	// transaction's pages.
	stateCopies = 3
	// heapFactor is how far the Go heap grows beyond what is live before a
	// collection (GOGC = 100 lets it double) for everything but the data,
	// which is allocated once.
	heapFactor = 1.6
	// baseBytes is the program itself: runtime, code, graph bookkeeping.
	baseBytes = 15 << 20
	// openblasBytes is what OpenBLAS allocates when it starts (its GEMM
	// buffer): measured 29 MiB more peak for the tiny run.
	openblasBytes = 32 << 20
)

// datasetSizes is how many training and held-out examples cfg loads, and
// for a folder source how many image files its splits hold (0 for other
// sources): a folder's images are counted, not read.
func datasetSizes(cfg *configs.Config) (train, test, files int) {
	d := cfg.Data
	train, test = d.TrainSize, d.TestSize
	full := map[string][2]int{configs.SourceCIFAR10: {50000, 10000}, configs.SourceIDX: {60000, 10000}}[d.Source]
	if d.Source == configs.SourceFolder {
		full[0], full[1] = data.CountFolder(d.Path)
		files = full[0] + full[1]
	}
	if train == 0 {
		train = full[0]
	}
	if test == 0 {
		test = full[1]
	}
	return train, test, files
}

// EstimateRun estimates the memory a run of cfg needs at its peak, before
// anything is loaded or built, from the config alone:
//
//	data       (train + test) x C*H*W float32 (twice for grayscale, which
//	           converts a copy)
//	parameters P x 4 bytes x (weight + gradient + solver slots), and
//	           stateCopies more of weight + slots while checkpointing
//	training   batch x A x trainFactor
//	evaluation 256-example batches x A x evalFactor, the probe bank as one
//	           batch, and the lesion head's batches
//	metrics    held-out branch outputs for CKA and lesions, the CKA Gram
//	           matrices (n x n float64 per branch, on x and gray(x))
//
// where A is the activation values of one example (the input and, under
// regime.gray_branch, its gray copy; every conv's output before and after
// its pool, the concat and every linear layer);
// all but the data times heapFactor, plus the program itself
// (programBytes). cfg must be valid.
func EstimateRun(cfg *configs.Config) (MemoryEstimate, error) {
	layers, err := cfg.Layers()
	if err != nil {
		return nil, err
	}
	c, h, w := cfg.InputShape()
	input := float64(c * h * w)
	act, afterRejoin, params := input, 0.0, 0.0
	if cfg.Regime.GrayBranch >= 0 {
		act += input
	}
	rejoin := 0.0 // values at the concat, per example
	for _, l := range layers {
		params += float64(l.Params)
		out := float64(l.Out[0] * l.Out[1] * l.Out[2])
		a := out
		if l.Kind == configs.KindConv {
			a += float64(l.Out[0] * l.In[1] * l.In[2]) // before the pool
		}
		act += a
		if strings.HasPrefix(l.Name, "branch.") {
			continue
		}
		if strings.HasPrefix(l.Name, "trunk.") || l.Kind == configs.KindLinear {
			afterRejoin += a
		}
	}
	for _, l := range layers {
		// The concat holds each branch's last output.
		if strings.HasPrefix(l.Name, "branch.") && isLastBranchLayer(layers, l.Name) {
			rejoin += float64(l.Out[0] * l.Out[1] * l.Out[2])
		}
	}
	act += rejoin
	afterRejoin += rejoin

	train, test, files := datasetSizes(cfg)
	data := float64(train+test) * (input*4 + 4)
	if cfg.Data.Grayscale {
		data *= 2
	}
	if files > 0 {
		// A folder's images stay bytes: the decoded cache is read whole
		// and the sets are views of it, except prefixes (train_size or
		// test_size below the files'), which are copied out.
		data = float64(files) * (input + 4)
		if train+test < files {
			data += float64(train+test) * (input + 4)
		}
	}
	slots := 2.0 // Adam's moments
	if cfg.Optim.Algorithm == "sgd" {
		slots = 1
	}
	model := params * 4 * (2 + slots + stateCopies*(1+slots))
	batch := float64(cfg.Optim.BatchSize)
	evalBatch := float64(evalBatch(test))
	trainGraph := batch * act * trainFactor
	eval := evalBatch * act * evalFactor
	var metrics float64
	if m := cfg.Metrics; m.Enabled {
		if c == 3 {
			probes := float64(max(m.Probes/4, 1) * 4)
			eval += probes * (act*evalFactor + input*4)
		}
		branches := float64(cfg.Model.Branches)
		if branches > 1 {
			eval += evalBatch * afterRejoin * evalFactor
		}
		nCKA := float64(min(m.CKAExamples, test))
		nHeld := math.Max(nCKA, float64(min(m.LesionExamples, test)))
		metrics = nHeld*rejoin*4*heldCopies + 2*nCKA*(rejoin+input)*4 + 2*branches*nCKA*nCKA*8*gramCopies
	}
	e := MemoryEstimate{
		{"data", Memory(data)},
		{"parameters and solver", Memory(model)},
		{"training graph", Memory(trainGraph)},
		{"evaluation graphs", Memory(eval)},
		{"metrics", Memory(metrics)},
	}
	for i := range e[1:] {
		e[i+1].Bytes *= heapFactor
	}
	return append(e, MemoryPart{"program", programBytes()}), nil
}

// programBytes is the memory of the program before it loads anything:
// baseBytes, and OpenBLAS's buffer when the products are OpenBLAS's.
func programBytes() Memory {
	if id, _ := trainer.GEMMIdentity(""); strings.HasPrefix(id, "openblas") {
		return baseBytes + openblasBytes
	}
	return baseBytes
}

// isLastBranchLayer reports whether the layer named name (branch.B.I) is
// the last of its branch.
func isLastBranchLayer(layers []configs.LayerInfo, name string) bool {
	prefix := name[:strings.LastIndexByte(name, '.')+1]
	last := ""
	for _, l := range layers {
		if strings.HasPrefix(l.Name, prefix) {
			last = l.Name
		}
	}
	return last == name
}

// checkRunMemory refuses, as ErrMemory, a run of cfg (jobs of them at once,
// for a sweep) whose estimate exceeds the available memory.
func checkRunMemory(cfg *configs.Config, jobs int) error {
	e, err := EstimateRun(cfg)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("a run of %s (seed %d)", cfg.Name, cfg.Seed)
	if jobs > 1 {
		for i := range e {
			e[i].Bytes *= Memory(jobs)
		}
		what = fmt.Sprintf("%d runs of %s at once", jobs, cfg.Name)
	}
	hint := "lower data.train_size or data.test_size, optim.batch_size, the layers' widths, metrics.probes or metrics.cka_examples"
	if jobs > 1 {
		hint += ", or --jobs"
	}
	return checkMemory(what, e, hint)
}

// planBytesFactor is the bytes a sweep's plan holds per byte of a run's
// config text: the run's config, its manifest entry and the manifest's
// JSON (measured: 240000 runs of feedback-loop.toml, whose entries are
// about 1.3 KB, peaked at 2.0 GiB, 8.7 KB a run).
const planBytesFactor = 8

// EstimatePlan estimates the memory a plan of runs runs of the experiment
// needs: its run specs (a config each) and, for a cluster, the manifest
// and its JSON, about planBytesFactor times each run's config text and
// directory.
func EstimatePlan(e *Experiment, runs int) MemoryEstimate {
	per := float64(len(e.Base.Canonical()) + 300)
	return MemoryEstimate{{"run specs and manifest", Memory(float64(runs) * per * planBytesFactor)}}
}

// EstimateBootstrap estimates the memory one bootstrap interval of
// resamples draws needs: its replicates and their sorted copy, float64,
// with the heap's growth (stats.Bootstrap, stats.PercentileInterval). The
// comparison computes its intervals one after another.
func EstimateBootstrap(resamples int) MemoryEstimate {
	return MemoryEstimate{{"bootstrap replicates", Memory(float64(resamples) * 8 * 2 * heapFactor)}, {"program", baseBytes}}
}
