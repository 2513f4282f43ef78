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

.PHONY: all build demo test test-short bench lint deps clean

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

test-short:
	$(GO) test $(TAGS) -short ./...

bench: build
	$(GO) test $(TAGS) -run '^$$' -bench . -benchtime 3x ./trainer/ops/...

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
