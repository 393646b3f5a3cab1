#!/usr/bin/env bash
# Runs one loaded model from 8 threads at once (examples/run_model.c) and
# checks that every thread gets identical outputs.
#
# Usage: check_concurrency.sh MODEL.onnx RUN_MODEL_BINARY [EXTENT] [--mlc PATH] [--work DIR]
# EXTENT: the extent of symbolic input dims (models with dynamic shapes).
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
NEED_PYTHON=0
parse_common "$@"
((${#ARGS[@]} == 2 || ${#ARGS[@]} == 3)) || die "expected MODEL.onnx, the run_model binary and an optional extent"
MODEL="${ARGS[0]}"; RUNNER="${ARGS[1]}"; EXTENT="${ARGS[2]:-8}"
default_work "$MODEL" threads
run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/model.so"
run "$RUNNER" "$WORK/model.so" 8 "$EXTENT"
