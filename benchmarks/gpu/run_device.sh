#!/usr/bin/env bash
# Runs on the lent GPU machine, from the repository root, one bundle made by
# benchmarks/gpu/prepare.py --out .gpu/CHUNK: unpacks it into .gpuwork/CHUNK
# and runs device_bench.py on it, results under $OUT/CHUNK.
#
#   bash benchmarks/gpu/run_device.sh CHUNK [device_bench.py options]
set -uo pipefail
chunk="${1:?usage: run_device.sh CHUNK [options]}"
shift
out="${OUT:-/tmp/out}/$chunk"
mkdir -p "$out" ".gpuwork/$chunk"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu \
  --format=csv,noheader
python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
  ".gpu/$chunk/bundle.tar.xz" ".gpuwork/$chunk" || exit 1
PYTHONUNBUFFERED=1 python3 benchmarks/gpu/device_bench.py --bundle ".gpuwork/$chunk" \
  --runtime ".gpu/$chunk/libmlc_runtime.so" --out "$out" "$@" 2>&1 | tee "$out/log.txt"
