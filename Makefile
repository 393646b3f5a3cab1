# Convenience entry points. The build itself is CMake (scripts/setup.sh).
#
#   make bench                          the whole benchmark (docs/benchmarks.md)
#   make bench BENCH_MODELS=mlp,resnet50 BENCH_ITERS=5 BENCH_KERNELS=none
#
# Variables (also read from the environment):
#   BUILD_DIR      CMake build directory whose mlc is measured (default build)
#   BENCH_MODELS   comma-separated zoo models or 'all' (default all)
#   BENCH_ITERS    timed runs per model, framework and thread count (default 20)
#   BENCH_ROUNDS   alternating mlc/onnxruntime rounds (default 4)
#   BENCH_THREADS  thread counts, e.g. 1,all (default 1,all)
#   BENCH_KERNELS  all, gemm, conv or none (default all)
#   BENCH_TVM      1 to add the TVM column when its wheel installs, 0 to skip (default 1)
#   BENCH_ARGS     anything else for benchmarks/bench.py

BUILD_DIR ?= build
VENV_PYTHON ?= .venv/bin/python
BENCH_MODELS ?= all
BENCH_ITERS ?= 20
BENCH_ROUNDS ?= 4
BENCH_THREADS ?= 1,all
BENCH_KERNELS ?= all
BENCH_TVM ?= 1
BENCH_ARGS ?=

BENCH_FLAGS = --mlc $(BUILD_DIR)/bin/mlc --models $(BENCH_MODELS) --iters $(BENCH_ITERS) \
  --rounds $(BENCH_ROUNDS) --threads $(BENCH_THREADS) --kernels $(BENCH_KERNELS) \
  $(if $(filter 0,$(BENCH_TVM)),--no-tvm) $(BENCH_ARGS)

.PHONY: help bench

help:
	@sed -n '2,15p' Makefile | sed 's/^# \{0,1\}//'

bench:
	@test -x $(VENV_PYTHON) || { echo "error: no $(VENV_PYTHON): run scripts/setup.sh first" >&2; exit 1; }
	@test -f $(BUILD_DIR)/CMakeCache.txt || { echo "error: $(BUILD_DIR) is not configured: run scripts/setup.sh first (or pass BUILD_DIR=...)" >&2; exit 1; }
	nice -n 10 cmake --build $(BUILD_DIR) --target mlc
	$(VENV_PYTHON) benchmarks/bench.py $(BENCH_FLAGS) \
	  --command "make bench BUILD_DIR=$(BUILD_DIR) BENCH_MODELS=$(BENCH_MODELS) BENCH_ITERS=$(BENCH_ITERS) BENCH_ROUNDS=$(BENCH_ROUNDS) BENCH_THREADS=$(BENCH_THREADS) BENCH_KERNELS=$(BENCH_KERNELS) BENCH_TVM=$(BENCH_TVM)$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')"
