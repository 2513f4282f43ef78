# branchspec: `make demo` trains the embedded default; `make test` runs every test.
# OpenBLAS is used when its headers and library are installed (Debian:
# libopenblas-dev); otherwise the pure-Go GEMM is built. `make deps` installs it.

GO      ?= go
BIN     := bin/branchspec
# Build tag for the cgo OpenBLAS GEMM, set when a C program can link it.
BLAS    := $(shell printf '\043include <cblas.h>\nint main(void){return 0;}\n' | cc -x c - -lopenblas -o /dev/null 2>/dev/null && echo openblas)
TAGS    := $(if $(BLAS),-tags $(BLAS),)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -ldflags "-X main.version=$(VERSION)"

.PHONY: all build demo test test-short bench bench-avx2 lint deps clean fuzz fuzz-short results

all: build

build:
	@echo "building $(BIN) with GEMM: $(if $(BLAS),OpenBLAS (cgo),pure Go)"
	$(GO) build $(TAGS) $(LDFLAGS) -o $(BIN) ./cmd/branchspec

# demo trains the embedded default config (synthetic data, no download)
# into results/demo and shows the run.
demo: build
	rm -rf results/demo
	$(BIN) run --out results/demo
	$(BIN) show results/demo/default/seed-1

test:
	$(GO) vet ./...
	$(GO) test $(TAGS) -count=1 -timeout 25m ./...
ifneq ($(BLAS),)
	# The pure-Go GEMM too, which machines without OpenBLAS build, and the
	# old run's fixture, whose bits are the pure-Go GEMM's.
	$(GO) test -count=1 ./trainer/ops/...
	$(GO) test -count=1 -run 'TestOldRun' ./cmd/branchspec
endif

test-short:
	$(GO) test $(TAGS) -short ./...

# bench trains the reference net and then the cifar10-alexnet preset's net
# (cmd/refbench) with branchspec and with PyTorch (Debian's python3-torch,
# installed when /usr/bin/python3 lacks it), alternating, and prints the
# CPU, its features and measured FMA peak, then per net the medians, each
# side's GFLOP/s and share of the peak, its peak memory, the loss curves'
# agreement and the images/s ratio; the last line is the cifar10-alexnet
# ratio. On a busy machine it prints no ratio, says why and exits 3
# (bin/refbench -allow-busy prints it labelled as not valid). The per-op and
# per-step benchmarks stay in the packages:
#   go test -run '^$$' -bench . ./trainer/ops/... ./cmd/refbench
# bench-avx2 is bench with both sides held to AVX2 (refbench -isa avx2:
# branchspec's avx2 kernel; PyTorch's oneDNN, ATen and OpenBLAS capped by
# their environment switches, checked before the runs): on a CPU with
# AVX-512 a proxy for an AVX2-only host, and it says so.
bench: ISA = native
bench-avx2: ISA = avx2
bench bench-avx2:
	@/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || { \
		echo "installing python3-torch (Debian) for the PyTorch side"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy; }
	$(GO) build $(TAGS) -o bin/refbench ./cmd/refbench
	bin/refbench -python /usr/bin/python3 -runs 5 -isa $(ISA)

# fuzz runs each Go fuzz target for FUZZTIME (seeds in each package's
# testdata/fuzz; new failing inputs are written there). fuzz-short is the
# brief run CI can afford: a count of inputs, not a duration, because on
# Go before 1.27 a duration's deadline can fail a target that found
# nothing ("context deadline exceeded": a race in the fuzzing coordinator,
# golang/go#75804; seen here in 1 of 4 runs on a loaded machine). A target
# is PACKAGE:FUNCTION.
FUZZTIME     ?= 30s
FUZZ_TARGETS := configs:FuzzParse configs:FuzzSet experiments:FuzzParseExperiment \
	results:FuzzDecodeRow results:FuzzRowCorruption results:FuzzDecodeRecord
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./$${t%%:*} || exit 1; \
	done

fuzz-short:
	$(MAKE) fuzz FUZZTIME=10000x

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# deps installs the optional fast BLAS where apt-get is available.
deps:
	@if [ -n "$(BLAS)" ]; then echo "OpenBLAS already installed"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev; \
	else echo "install libopenblas-dev for the fast GEMM (optional)"; fi

clean:
	rm -rf bin results/demo

# slurm-test submits sweeps to a real one-machine Slurm and checks that they
# finish, requeue on the time-limit signal and resume bit-identically. It
# needs root: .ci/slurm/up.sh installs and starts Slurm where it is missing.
.PHONY: slurm-test
slurm-test:
	.ci/slurm/test.sh

# report-check trains two tiny regimes (3 seeds each, a few seconds), writes
# an HTML report of them, renders it with headless Chromium and fails if the
# screenshot is missing or blank. Needs chromium (Debian: apt-get install
# chromium). Output in $(RC).
RC       ?= /tmp/branchspec-report-check
CHROMIUM ?= chromium
.PHONY: report-check
report-check: build
	@command -v $(CHROMIUM) >/dev/null || { echo "report-check needs $(CHROMIUM): apt-get update && apt-get install -y --no-install-recommends chromium"; exit 1; }
	rm -rf $(RC) && mkdir -p $(RC)
	for s in 1 2 3; do \
		$(BIN) run tiny --seed $$s --out $(RC)/runs/check --set name=baseline >/dev/null || exit 1; \
		$(BIN) run tiny --seed $$s --out $(RC)/runs/check --set name=gray --set data.grayscale=true >/dev/null || exit 1; \
	done
	$(BIN) report $(RC)/runs -o $(RC)/report.html
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
		--user-data-dir=$$(mktemp -d) --window-size=1280,4000 \
		--screenshot=$(abspath $(RC))/report.png file://$(abspath $(RC))/report.html 2>/dev/null
	test -s $(RC)/report.png
	REPORT_SCREENSHOT=$(abspath $(RC))/report.png $(GO) test -count=1 -run '^TestScreenshot$$' -v ./results/report
	@echo "report-check: $(RC)/report.html and $(RC)/report.png"

# serve-check trains two tiny regimes (3 seeds each, a few seconds), starts
# a run training in the background, serves them with 'branchspec serve'
# and has headless Chromium load the page (.ci/servecheck, its own Go
# module: the DevTools-protocol client stays out of branchspec's
# dependencies), wait until the run list has updated itself while the run
# trains and a curve is drawn, and save a screenshot. Installs chromium
# where apt-get can (as root). Output in $(SC).
SC ?= /tmp/branchspec-serve-check
.PHONY: serve-check
serve-check: build
	@command -v $(CHROMIUM) >/dev/null || { \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "installing chromium (Debian) for serve-check"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
		else echo "serve-check needs $(CHROMIUM): apt-get update && apt-get install -y --no-install-recommends chromium"; exit 1; fi; }
	cd .ci/servecheck && $(GO) vet ./...
	.ci/servecheck/check.sh $(BIN) $(SC) $(CHROMIUM)

# results reruns the checked-in experiments and rewrites their summaries
# under experiments/results/ (experiments/results/reproduce.sh; RESULTS.md,
# the prose, is not rewritten). Sweeps resume, so an interrupted `make
# results` goes on where it stopped. Runs land in RUNS, outside the work
# tree; DATA is CIFAR-10 as an image folder.
RUNS ?= $(HOME)/branchspec-runs
DATA ?= $(CURDIR)/../shared/data/cifar10-jpeg
JOBS ?= 2
results: build
	experiments/results/reproduce.sh $(BIN) $(RUNS) $(DATA) $(JOBS)
