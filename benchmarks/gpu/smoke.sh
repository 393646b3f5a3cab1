#!/usr/bin/env bash
# The GPU harness on this machine's CPU: prepare.py builds a CPU bundle
# (--target=llvm) of the example and a generated GEMM, and device_bench.py
# --cpu-smoke loads, checks, runs from 4 threads and times it through the C
# runtime via ctypes, as it does on a lent GPU. Fails if a case does not match.
#
#   smoke.sh MLC VENV_PYTHON SYSTEM_PYTHON WORK_DIR
set -euo pipefail
mlc="${1:?usage: smoke.sh MLC VENV_PYTHON SYSTEM_PYTHON WORK_DIR}"
venv="${2:?}" sys_python="${3:?}" work="${4:?}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$work"
"$venv" "$here/prepare.py" --mlc "$mlc" --target llvm --only 'mobilenet_tiny|gemm_1024' \
  --out "$work"
"$sys_python" "$here/device_bench.py" --cpu-smoke --bundle "$work/bundle" \
  --runtime "$work/libmlc_runtime.so" --out "$work/out" --iters 3 --warmup 1
"$sys_python" - "$work/out/gpu_results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
names = [c["name"] for c in r["cases"]]
assert names == ["mobilenet_tiny", "gemm_1024"], names
for c in r["cases"]:
    assert "error" not in c, c
    assert c["check"]["ok"] and c["concurrent_ok"], c
    assert c["mlc"]["median_ms"] > 0, c
print("PASS: the GPU harness on CPU artifacts (%s)" % ", ".join(names))
PY
