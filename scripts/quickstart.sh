#!/usr/bin/env bash
# First run: installs and builds mlc, then compiles, runs and checks the bundled example model.
#
# Usage: scripts/quickstart.sh
# Compiles examples/mobilenet_tiny.onnx to build/examples/mobilenet_tiny.so, runs
# it on seeded random input, prints the outputs, and compares them with onnxruntime.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '==> %s\n' "$*"; }
die() { printf '\nerror: quickstart.sh: %s\n' "$*" >&2; exit 1; }
show() { printf '$ %s\n' "$*"; "$@" || die "command failed (exit $?): $*"; }

scripts/setup.sh

MLC=build/bin/mlc
PY=.venv/bin/python
MODEL=examples/mobilenet_tiny.onnx
OUT=build/examples
[[ -x "$MLC" ]] || die "$MLC was not built (see build/setup-logs/cmake-build.log)"
rm -rf "$OUT/inputs" "$OUT/out"
mkdir -p "$OUT"

step "compiling $MODEL"
show "$MLC" compile "$MODEL" --target=llvm -o "$OUT/mobilenet_tiny.so"

step "running it"
show "$PY" tests/e2e/make_inputs.py "$MODEL" "$OUT/inputs"
show "$MLC" run "$OUT/mobilenet_tiny.so" --input input="$OUT/inputs/input.npy" --output-dir "$OUT/out"

step "outputs in $OUT/out"
"$PY" - "$OUT/out" <<'PYEOF'
import os, sys
import numpy as np
out = sys.argv[1]
for f in sorted(os.listdir(out)):
    a = np.load(os.path.join(out, f))
    print("  %s: %s %s  min %.4g max %.4g mean %.4g" % (f[:-4], a.dtype, list(a.shape),
                                                       a.min(), a.max(), a.mean()))
    if a.ndim == 2 and a.shape[0] == 1:
        top = np.argsort(-a[0])[:3]
        print("    top-3 classes: " + ", ".join("%d (%.4f)" % (i, a[0, i]) for i in top))
PYEOF

step "comparing with onnxruntime"
show "$PY" tests/e2e/compare.py "$MODEL" --inputs "$OUT/inputs" --outputs "$OUT/out"
step "quickstart ok"
