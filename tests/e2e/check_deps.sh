#!/usr/bin/env bash
# Checks that the runtime library and a compiled model do not pull in LLVM, MLIR or protobuf.
#
# Usage: check_deps.sh MODEL.onnx LIB.so... [--mlc PATH] [--work DIR]
# Compiles MODEL, then runs ldd on every LIB and on the compiled model.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NEED_PYTHON=0
parse_common "$@"
((${#ARGS[@]} >= 1)) || die "expected MODEL.onnx [LIB.so...]"
MODEL="${ARGS[0]}"
default_work "$MODEL" deps
run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/model.so"

status=0
for lib in "${ARGS[@]:1}" "$WORK/model.so"; do
  [[ -f "$lib" ]] || die "no such file: $lib"
  deps="$(ldd "$lib" 2>&1)" || die "ldd failed on $lib: $deps"
  bad="$(grep -E 'LLVM|MLIR|protobuf' <<<"$deps" || true)"
  if [[ -n "$bad" ]]; then
    printf 'FAIL %s links:\n%s\n' "$lib" "$bad"
    status=1
  else
    printf 'ok   %s (%d deps)\n' "$lib" "$(wc -l <<<"$deps")"
  fi
done
exit $status
