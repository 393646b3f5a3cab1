#!/usr/bin/env bash
# Dynamic shapes end to end: a model with a symbolic input dim is compiled
# once, with no --input-shape, then run at several extents of that dim, each
# run compared with onnxruntime. Also checks the run-time shape checks: an
# extent beyond the model's limit, and a wrong rank, each fail with one
# error line.
#
# Usage: check_dynamic.sh MODEL.onnx --input NAME --dims 1x{} --at 16,77,128
#          [--too-long N] [--int-high N] [--mlc PATH] [--python VENV_PYTHON]
#          [--work DIR]
# `{}` in --dims stands for each value of --at.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=""; DIMS=""; AT=""; TOO_LONG=""; INPUT_ARGS=()
rest=()
while (($#)); do
  case "$1" in
    --input) NAME="${2:?}"; shift ;;
    --dims) DIMS="${2:?}"; shift ;;
    --at) AT="${2:?}"; shift ;;
    --too-long) TOO_LONG="${2:?}"; shift ;;
    --int-high) INPUT_ARGS+=(--int-high "${2:?}"); shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) rest+=("$1") ;;
  esac
  shift
done
parse_common "${rest[@]}"
((${#ARGS[@]} == 1)) || die "expected one MODEL.onnx (see --help)"
MODEL="${ARGS[0]}"
[[ -f "$MODEL" && -n "$NAME" && -n "$DIMS" && -n "$AT" ]] || die "need MODEL, --input, --dims and --at"
default_work "$MODEL" dynamic

run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/model.so"
run "$MLC" inspect "$WORK/model.so" > "$WORK/inspect.txt"
grep -q '?' "$WORK/inspect.txt" || die "mlc inspect shows no symbolic dim"

IFS=, read -r -a values <<<"$AT"
for v in "${values[@]}"; do
  dims="${DIMS//\{\}/$v}"
  dir="$WORK/at$v"
  pairs="$("$PYTHON" "$E2E_DIR/make_inputs.py" "$MODEL" "$dir/inputs" \
           --input-shape "$NAME=$dims" "${INPUT_ARGS[@]}" --print-args)" ||
    die "make_inputs.py failed"
  run_inputs=()
  while IFS= read -r pair; do run_inputs+=(--input "$pair"); done <<<"$pairs"
  run "$MLC" run "$WORK/model.so" "${run_inputs[@]}" --output-dir "$dir/out"
  run "$PYTHON" "$E2E_DIR/compare.py" "$MODEL" --inputs "$dir/inputs" --outputs "$dir/out"
done

# expect_error WHAT ARGS...: mlc run must exit 1 with one "mlc: error:" line.
expect_error() {
  local what="$1"; shift
  set +e
  "$MLC" run "$WORK/model.so" "$@" --output-dir "$WORK/bad" > "$WORK/bad.log" 2>&1
  local rc=$?
  set -e
  [[ $rc -eq 1 ]] || { cat "$WORK/bad.log"; die "$what: expected exit 1, got $rc"; }
  [[ "$(wc -l < "$WORK/bad.log")" -eq 1 ]] && grep -q '^mlc: error: ' "$WORK/bad.log" ||
    { cat "$WORK/bad.log"; die "$what: expected one 'mlc: error:' line"; }
  echo "ok: $what: $(cat "$WORK/bad.log")"
}
if [[ -n "$TOO_LONG" ]]; then
  dims="${DIMS//\{\}/$TOO_LONG}"
  pairs="$("$PYTHON" "$E2E_DIR/make_inputs.py" "$MODEL" "$WORK/long" \
           --input-shape "$NAME=$dims" "${INPUT_ARGS[@]}" --print-args)"
  long_inputs=()
  while IFS= read -r pair; do long_inputs+=(--input "$pair"); done <<<"$pairs"
  expect_error "an extent beyond the model's limit" "${long_inputs[@]}"
fi
# A rank-1 tensor for the input.
"$PYTHON" -c "import numpy as np, sys; np.save(sys.argv[1], np.zeros([4], np.int64))" "$WORK/rank1.npy"
expect_error "a wrong rank" --input "$NAME=$WORK/rank1.npy"
echo "dynamic shapes: $MODEL compiled once, matched onnxruntime at $AT"
