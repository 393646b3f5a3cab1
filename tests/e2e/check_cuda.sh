#!/usr/bin/env bash
# CUDA target end to end for one model: mlc compile --target=cuda (ptxas
# assembles cubins for sm_80 and sm_90a), an independent ptxas check of the
# emitted PTX (the portable sm_80 PTX for sm_80, sm_90 and sm_90a, and the
# sm_90a PTX, whose contractions use wgmma, for sm_90a), the artifact's
# metadata, byte-identical recompiles, and then
# either a run on the GPU compared with onnxruntime (CPU) or, on a machine
# without a GPU, the one-line error a run must give.
#
# Usage: check_cuda.sh MODEL.onnx [--int-high N] [--rtol R] [--atol A]
#          [--compile-arg ARG]... [--run-raw PATH] [--mlc PATH]
#          [--python VENV_PYTHON] [--work DIR]
# --compile-arg adds ARG (e.g. --precision=fp16) to every mlc compile.
# --run-raw also checks examples/run_raw (the runtime-only runner) on the
# artifact.
# Exits 77 (skipped, with the reason) when no ptxas can be found.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

INPUT_ARGS=(); COMPARE_ARGS=(); COMPILE_ARGS=(); RUN_RAW=""; rest=()
while (($#)); do
  case "$1" in
    --int-high) INPUT_ARGS+=(--int-high "${2:?}"); shift ;;
    --rtol|--atol) COMPARE_ARGS+=("$1" "${2:?}"); shift ;;
    --run-raw) RUN_RAW="${2:?}"; shift ;;
    --compile-arg) COMPILE_ARGS+=("${2:?}"); shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) rest+=("$1") ;;
  esac
  shift
done
parse_common "${rest[@]}"
((${#ARGS[@]} == 1)) || die "expected one MODEL.onnx, got: ${ARGS[*]:-nothing}"
MODEL="${ARGS[0]}"
[[ -f "$MODEL" ]] || die "no such model: $MODEL"
default_work "$MODEL" cuda

PTXAS="$(command -v ptxas || true)"
[[ -n "$PTXAS" ]] || { [[ -x /usr/local/cuda/bin/ptxas ]] && PTXAS=/usr/local/cuda/bin/ptxas; }
if [[ -z "$PTXAS" ]]; then
  echo "SKIPPED: no ptxas on PATH or in /usr/local/cuda/bin (install the CUDA toolkit)"
  exit 77
fi

run "$MLC" compile "$MODEL" --target=cuda "${COMPILE_ARGS[@]}" -o "$WORK/model.so"
run "$MLC" compile "$MODEL" --target=cuda "${COMPILE_ARGS[@]}" -o "$WORK/again.so"
run cmp "$WORK/model.so" "$WORK/again.so"

# The PTX on its own, through ptxas for every architecture it is for.
run "$MLC" compile "$MODEL" --target=cuda "${COMPILE_ARGS[@]}" --emit=ptx -o "$WORK/kernels.ptx"
grep -q '^\.target sm_80' "$WORK/kernels.ptx" || die "PTX does not target sm_80"
if grep -q '\.extern \.func' "$WORK/kernels.ptx"; then die "PTX calls external functions"; fi
for arch in sm_80 sm_90 sm_90a; do
  run "$PTXAS" -arch="$arch" -O3 -o "$WORK/kernels.$arch.cubin" "$WORK/kernels.ptx"
done
run "$MLC" compile "$MODEL" --target=cuda -mcpu=sm_90a "${COMPILE_ARGS[@]}" --emit=ptx \
  -o "$WORK/kernels.sm_90a.ptx"
grep -q '^\.target sm_90a' "$WORK/kernels.sm_90a.ptx" || die "PTX does not target sm_90a"
if grep -q 'mma\.sync' "$WORK/kernels.sm_90a.ptx"; then die "sm_90a PTX uses mma.sync"; fi
run "$PTXAS" -arch=sm_90a -O3 -o "$WORK/kernels.wgmma.cubin" "$WORK/kernels.sm_90a.ptx"

# The artifact says what it holds.
"$MLC" inspect --launches "$WORK/model.so" >"$WORK/inspect.txt"
for want in '^target nvptx64-nvidia-cuda$' '^device cuda$' '^cuda_ptx sm_80$' \
            '^cuda_cubins sm_80,sm_90a$' '^cuda_launch k0 '; do
  grep -q "$want" "$WORK/inspect.txt" || die "mlc inspect lacks '$want'"
done
kernels="$(grep -c '^\.visible \.entry' "$WORK/kernels.ptx")"
launches="$(grep -c '^cuda_launch ' "$WORK/inspect.txt")"
[[ "$kernels" == "$launches" ]] || die "$kernels PTX entries but $launches launches"
echo "$launches kernels; ptxas $("$PTXAS" --version | tail -1)"

# Without ptxas (as on a host without the CUDA toolkit) the artifact holds
# PTX only and says so; a ptxas that cannot run is one clear error.
run "$MLC" compile "$MODEL" --target=cuda "${COMPILE_ARGS[@]}" --ptxas=none -o "$WORK/ptx-only.so"
"$MLC" inspect "$WORK/ptx-only.so" | grep -q '^cuda_cubins$' || die "PTX-only artifact lists cubins"
if "$MLC" compile "$MODEL" --target=cuda --ptxas="$WORK/no-such-ptxas" -o "$WORK/x.so" \
     2>"$WORK/ptxas.err"; then
  die "compiling with a missing ptxas succeeded"
fi
cat "$WORK/ptxas.err"
[[ "$(wc -l <"$WORK/ptxas.err")" == 1 ]] || die "expected one error line for a missing ptxas"

echo "+ $PYTHON $E2E_DIR/make_inputs.py $MODEL $WORK/inputs ${INPUT_ARGS[*]} --print-args"
pairs="$("$PYTHON" "$E2E_DIR/make_inputs.py" "$MODEL" "$WORK/inputs" "${INPUT_ARGS[@]}" \
         --print-args)" || die "make_inputs.py failed"
run_inputs=()
while IFS= read -r pair; do run_inputs+=(--input "$pair"); done <<<"$pairs"

if nvidia-smi -L >/dev/null 2>&1; then
  run "$MLC" run "$WORK/model.so" --device=cuda:0 "${run_inputs[@]}" --output-dir "$WORK/out"
  run "$PYTHON" "$E2E_DIR/compare.py" "$MODEL" --inputs "$WORK/inputs" --outputs "$WORK/out" \
    "${COMPARE_ARGS[@]}"
else
  echo "no NVIDIA GPU here (nvidia-smi -L fails): the GPU run is replaced by the no-device error check"
  set +e
  "$MLC" run "$WORK/model.so" "${run_inputs[@]}" --output-dir "$WORK/out" \
    >"$WORK/run.out" 2>"$WORK/run.err"
  rc=$?
  set -e
  cat "$WORK/run.err"
  ((rc != 0)) || die "mlc run succeeded without a GPU"
  ((rc < 128)) || die "mlc run crashed (exit $rc)"
  [[ "$(wc -l <"$WORK/run.err")" == 1 ]] || die "expected one error line"
  grep -qiE 'cuda|gpu|driver' "$WORK/run.err" || die "the error does not name the missing GPU or driver"
  if [[ -n "$RUN_RAW" ]]; then
    mkdir -p "$WORK/raw"
    set +e
    "$RUN_RAW" "$WORK/model.so" cuda:0 "$WORK/raw" "$WORK/raw" 1 2>"$WORK/raw.err"
    rc=$?
    set -e
    cat "$WORK/raw.err"
    ((rc == 1)) || die "run_raw: expected exit 1 without a GPU, got $rc"
    grep -qiE 'cuda|gpu|driver' "$WORK/raw.err" || die "run_raw's error does not name the missing GPU or driver"
  fi
fi
echo "PASS: $MODEL on the CUDA target"
