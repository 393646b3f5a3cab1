#!/usr/bin/env bash
# Compiles a model twice to the same path and checks the artifacts are byte-identical (STYLE.md 12).
#
# Usage: check_determinism.sh MODEL.onnx [--mlc PATH] [--work DIR] [-- EXTRA MLC COMPILE ARGS...]
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rest=(); COMPILE_EXTRA=()
while (($#)); do
  case "$1" in
    --) shift; COMPILE_EXTRA=("$@"); break ;;
    *) rest+=("$1") ;;
  esac
  shift
done
NEED_PYTHON=0
parse_common "${rest[@]}"
((${#ARGS[@]} == 1)) || die "expected one MODEL.onnx, got: ${ARGS[*]:-nothing}"
MODEL="${ARGS[0]}"
default_work "$MODEL" determinism

run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/model.so" "${COMPILE_EXTRA[@]}"
mv "$WORK/model.so" "$WORK/first.so"
run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/model.so" "${COMPILE_EXTRA[@]}"
if ! cmp "$WORK/first.so" "$WORK/model.so"; then
  cmp -l "$WORK/first.so" "$WORK/model.so" | wc -l | xargs printf '%s bytes differ\n'
  die "compiling $MODEL twice gave different bytes ($WORK/first.so vs $WORK/model.so)"
fi
echo "identical: $(sha256sum <"$WORK/model.so" | cut -d' ' -f1) ($(stat -c %s "$WORK/model.so") bytes)"
