#!/usr/bin/env bash
# Runs one compiled model with 1, 2 and 3 threads on the same seeded inputs
# and checks the outputs are byte-identical: parallel loops split work, never
# the order of a reduction (docs/codegen.md, Multithreading). Also checks the
# artifact has parallel loops at all, so the test cannot pass vacuously.
#
# Usage: check_threads.sh MODEL.onnx [--mlc PATH] [--work DIR]
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NEED_PYTHON=0
parse_common "$@"
((${#ARGS[@]} == 1)) || die "expected one MODEL.onnx, got: ${ARGS[*]:-nothing}"
MODEL="${ARGS[0]}"
default_work "$MODEL" threads

run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/model.so"
tasks=$(nm "$WORK/model.so" | grep -c '_task$' || true)
((tasks > 0)) || die "$MODEL compiled without parallel loops (no *_task symbols)"
echo "parallel loops: $tasks"
for threads in 1 2 3; do
  run "$MLC" run "$WORK/model.so" --threads "$threads" --output-dir "$WORK/out$threads"
done
for threads in 2 3; do
  for file in "$WORK/out1"/*; do
    other="$WORK/out$threads/$(basename "$file")"
    cmp "$file" "$other" ||
      die "$(basename "$file"): $threads threads give other bytes than 1"
  done
done
echo "identical outputs with 1, 2 and 3 threads ($(ls "$WORK/out1" | wc -l) files)"
