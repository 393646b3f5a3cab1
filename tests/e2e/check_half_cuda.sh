#!/usr/bin/env bash
# The CUDA target's f16 tensor cores end to end: a generated f16 CNN
# (make_half_cnn.py) compiles with --target=cuda to PTX whose contractions
# are mma.sync m16n8k16 f16 instructions; with --target=cuda-emulate (the
# same kernels, each warp's mma.sync emulated on the host) it matches
# onnxruntime within the f16 tolerance (rtol 1e-2, atol 1e-3). For sm_90a
# the same contractions are wgmma m64n32k16 instructions instead, and their
# emulation (each warpgroup's wgmma computed on the host from its shared-
# memory descriptors) matches onnxruntime too. check_cuda.sh runs on it at
# that tolerance (ptxas, metadata, recompiles, and the outputs on a GPU when
# there is one), and the artifact's sm_90a cubin is the one ptxas builds
# from the sm_90a PTX. Without a ptxas those last parts are skipped, and
# said so.
#
# Usage: check_half_cuda.sh [--mlc PATH] [--python VENV_PYTHON] [--work DIR]
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_common "$@"
((${#ARGS[@]} == 0)) || die "unexpected arguments: ${ARGS[*]}"
default_work half_cnn cuda

run "$PYTHON" "$E2E_DIR/make_half_cnn.py" "$WORK/half_cnn.onnx"
run "$MLC" compile "$WORK/half_cnn.onnx" --target=cuda --emit=ptx -o "$WORK/kernels.ptx"
mma="$(grep -c 'mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.f16\.f16\.f32' "$WORK/kernels.ptx" || true)"
# Two convolutions and a matmul, each 2 x 2 mma tiles per warp in every
# depth tile (a loop body and a remainder).
((mma >= 12)) || die "expected the three contractions on f16 tensor cores, found $mma mma.sync"
run bash "$E2E_DIR/run_model_test.sh" "$WORK/half_cnn.onnx" --mlc "$MLC" --python "$PYTHON" \
  --work "$WORK/emulate" --rtol 1e-2 --atol 1e-3 -- --target=cuda-emulate

# sm_90a: one wgmma per depth tile (a loop body, a remainder) of each of
# the three contractions, no mma.sync.
run "$MLC" compile "$WORK/half_cnn.onnx" --target=cuda -mcpu=sm_90a --emit=ptx \
  -o "$WORK/kernels.sm_90a.ptx"
wgmma="$(grep -c 'wgmma\.mma_async\.sync\.aligned\.m64n32k16\.f32\.f16\.f16' \
         "$WORK/kernels.sm_90a.ptx" || true)"
((wgmma >= 3)) || die "expected the three contractions on wgmma, found $wgmma"
if grep -q 'mma\.sync' "$WORK/kernels.sm_90a.ptx"; then die "sm_90a PTX uses mma.sync"; fi
run bash "$E2E_DIR/run_model_test.sh" "$WORK/half_cnn.onnx" --mlc "$MLC" --python "$PYTHON" \
  --work "$WORK/emulate_sm90a" --rtol 1e-2 --atol 1e-3 -- --target=cuda-emulate \
  --emulate-arch=sm_90a
set +e
bash "$E2E_DIR/check_cuda.sh" "$WORK/half_cnn.onnx" --mlc "$MLC" --python "$PYTHON" \
  --work "$WORK/cuda" --rtol 1e-2 --atol 1e-3
rc=$?
set -e
if ((rc == 77)); then
  echo "note: check_cuda.sh skipped (no ptxas): the PTX was not assembled"
elif ((rc != 0)); then
  die "check_cuda.sh failed (exit $rc)"
else
  # The artifact's sm_90a cubin comes from the wgmma PTX, not the portable one.
  run "$PYTHON" "$E2E_DIR/artifact_symbol.py" "$WORK/cuda/model.so" mlc_cuda_cubin_sm_90a \
    "$WORK/embedded.sm_90a.cubin"
  cmp -s "$WORK/embedded.sm_90a.cubin" "$WORK/cuda/kernels.wgmma.cubin" ||
    die "the artifact's sm_90a cubin is not ptxas's build of the sm_90a PTX"
fi
echo "PASS: f16 tensor cores ($mma mma.sync, $wgmma wgmma), emulated outputs match onnxruntime"
