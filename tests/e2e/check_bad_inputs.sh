#!/usr/bin/env bash
# Bad input through the CLI: every case must exit non-zero with exactly one
# line on stderr, starting "mlc: error:" and naming the problem.
#
# Usage: check_bad_inputs.sh MODEL.onnx [--mlc PATH] [--python PATH] [--work DIR]
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_common "$@"
((${#ARGS[@]} == 1)) || die "expected one MODEL.onnx, got: ${ARGS[*]:-nothing}"
MODEL="${ARGS[0]}"
default_work "$MODEL" bad

failures=0
# expect_error PATTERN CMD...: CMD must fail with one stderr line matching PATTERN.
expect_error() {
  local pattern="$1"; shift
  local err rc=0
  err="$("$@" 2>&1 >/dev/null)" || rc=$?
  local lines; lines="$(printf '%s' "$err" | grep -c '' || true)"
  if ((rc == 0)); then
    echo "FAIL (exit 0): $*"; failures=$((failures + 1))
  elif ((rc >= 128)); then
    echo "FAIL (crashed, exit $rc): $*"; echo "  $err"; failures=$((failures + 1))
  elif [[ "$lines" != 1 ]] || ! grep -Eq "^mlc: error: .*($pattern)" <<<"$err"; then
    echo "FAIL (want one line matching '$pattern'): $*"; echo "$err" | sed 's/^/  /'
    failures=$((failures + 1))
  else
    echo "ok: $err"
  fi
}

run "$MLC" compile "$MODEL" --target=llvm -o "$WORK/good.so"
size=$(stat -c %s "$WORK/good.so")

# Corrupt and truncated artifacts.
cp "$WORK/good.so" "$WORK/flipped.so"
printf '\xff' | dd of="$WORK/flipped.so" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_error "checksum mismatch" "$MLC" run "$WORK/flipped.so"
head -c $((size / 3)) "$WORK/good.so" >"$WORK/truncated.so"
expect_error "truncated|corrupt|not an mlc artifact" "$MLC" run "$WORK/truncated.so"
head -c 10 "$WORK/good.so" >"$WORK/tiny.so"
expect_error "truncated|corrupt|not an mlc artifact|too small" "$MLC" run "$WORK/tiny.so"
expect_error "No such file|cannot open|cannot read" "$MLC" run "$WORK/missing.so"

# An artifact built for CPU features this host lacks.
if ! grep -qw avx512fp16 /proc/cpuinfo; then
  run "$MLC" compile "$MODEL" --target=llvm -mcpu=sapphirerapids -o "$WORK/spr.so"
  expect_error "avx512fp16.*lacks|lacks" "$MLC" run "$WORK/spr.so"
  "$MLC" inspect "$WORK/spr.so" | grep -q avx512fp16 || { echo "FAIL: inspect of foreign artifact"; failures=$((failures + 1)); }
else
  echo "skip: this host has avx512fp16, so a sapphirerapids artifact would load"
fi

# Wrong input shape and dtype at run time.
name="$("$MLC" inspect "$WORK/good.so" | awk '$1 == "input" {print $2; exit}')"
"$PYTHON" - "$WORK" <<'PY'
import sys, numpy as np
np.save(sys.argv[1] + "/wrong_shape.npy", np.zeros((1, 3, 7, 7), np.float32))
np.save(sys.argv[1] + "/wrong_dtype.npy", np.zeros((1, 3, 32, 32), np.int64))
PY
expect_error "expected shape" "$MLC" run "$WORK/good.so" --input "$name=$WORK/wrong_shape.npy"
expect_error "expected dtype" "$MLC" run "$WORK/good.so" --input "$name=$WORK/wrong_dtype.npy"
expect_error "no input named" "$MLC" run "$WORK/good.so" --input "nope=$WORK/wrong_shape.npy"

# Bad models and options.
head -c 1000 "$MODEL" >"$WORK/truncated.onnx"
expect_error "not a valid ModelProto|failed to parse" "$MLC" compile "$WORK/truncated.onnx" -o "$WORK/x.so"
expect_error "cannot open|No such file" "$MLC" compile "$WORK/missing.onnx" -o "$WORK/x.so"
expect_error "unsupported target" "$MLC" compile "$MODEL" --target=vulkan -o "$WORK/x.so"
expect_error "unknown option" "$MLC" compile "$MODEL" --frobnicate -o "$WORK/x.so"
expect_error "unknown command" "$MLC" frobnicate

# A TreeEnsemble chain 2000 nodes deep: the import walks trees recursively,
# so depth is bounded (one line, not a stack overflow).
"$PYTHON" - "$WORK/deep_tree.onnx" <<'PY'
import sys
import onnx
from onnx import TensorProto as T, helper
n = 2000
node = helper.make_node(
    "TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml",
    nodes_featureids=[0] * n,
    nodes_splits=helper.make_tensor("s", T.DOUBLE, [n], [0.5] * n),
    nodes_modes=helper.make_tensor("m", T.UINT8, [n], [0] * n),
    nodes_truenodeids=[i + 1 for i in range(n - 1)] + [n - 1],
    nodes_trueleafs=[0] * (n - 1) + [1],
    nodes_falsenodeids=list(range(n)), nodes_falseleafs=[1] * n,
    leaf_targetids=[0] * n,
    leaf_weights=helper.make_tensor("w", T.DOUBLE, [n], [1.0] * n),
    tree_roots=[0], n_targets=1, aggregate_function=1, post_transform=0)
graph = helper.make_graph([node], "deep",
                          [helper.make_tensor_value_info("X", T.DOUBLE, [2, 1])],
                          [helper.make_tensor_value_info("Y", T.DOUBLE, None)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                helper.make_opsetid("ai.onnx.ml", 5)])
model.ir_version = 10
onnx.save(model, sys.argv[1])
PY
expect_error "deeper than 256" "$MLC" compile "$WORK/deep_tree.onnx" -o "$WORK/x.so"

((failures == 0)) || die "$failures bad-input case(s) misbehaved"
echo "all bad-input cases give one clear error line"
