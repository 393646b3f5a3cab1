#!/usr/bin/env bash
# End-to-end test of one model: seeded inputs -> mlc compile -> mlc run -> compare with onnxruntime.
#
# Usage: run_model_test.sh MODEL.onnx [--input-shape NAME=DxD ...] [--int-high N]
#          [--rtol R] [--atol A] [--mlc PATH] [--python VENV_PYTHON] [--work DIR]
#          [-- EXTRA MLC COMPILE ARGS...]
# --input-shape goes to both make_inputs.py and mlc compile.
# Files land in --work (default build/tests/e2e/<model>.run/): inputs/, model.so, out/.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL=""; INPUT_ARGS=(); SHAPE_ARGS=(); COMPARE_ARGS=(); COMPILE_EXTRA=()
rest=()
while (($#)); do
  case "$1" in
    --input-shape) SHAPE_ARGS+=(--input-shape "${2:?}"); shift ;;
    --int-high) INPUT_ARGS+=(--int-high "${2:?}"); shift ;;
    --rtol|--atol) COMPARE_ARGS+=("$1" "${2:?}"); shift ;;
    --) shift; COMPILE_EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) rest+=("$1") ;;
  esac
  shift
done
parse_common "${rest[@]}"
((${#ARGS[@]} == 1)) || die "expected one MODEL.onnx, got: ${ARGS[*]:-nothing} (see --help)"
MODEL="${ARGS[0]}"
[[ -f "$MODEL" ]] || die "no such model: $MODEL"
default_work "$MODEL" run

INPUT_ARGS+=("${SHAPE_ARGS[@]}")
echo "+ $PYTHON $E2E_DIR/make_inputs.py $MODEL $WORK/inputs ${INPUT_ARGS[*]} --print-args"
pairs="$("$PYTHON" "$E2E_DIR/make_inputs.py" "$MODEL" "$WORK/inputs" "${INPUT_ARGS[@]}" \
         --print-args)" || die "make_inputs.py failed"
run_inputs=()
while IFS= read -r pair; do run_inputs+=(--input "$pair"); done <<<"$pairs"

run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/model.so" "${SHAPE_ARGS[@]}" \
  "${COMPILE_EXTRA[@]}"
run "$MLC" run "$WORK/model.so" "${run_inputs[@]}" --output-dir "$WORK/out"
run "$PYTHON" "$E2E_DIR/compare.py" "$MODEL" --inputs "$WORK/inputs" --outputs "$WORK/out" \
  "${COMPARE_ARGS[@]}"
