#!/usr/bin/env bash
# Installs and builds everything (scripts/setup.sh), then runs the whole test suite with ctest.
#
# Usage: scripts/test.sh [CTEST ARGS...]      e.g. scripts/test.sh -L e2e, scripts/test.sh -LE models
# Arguments go to ctest; the output ends with ctest's summary and the exit status is ctest's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/setup.sh
printf '==> ctest\n'
exec ctest --test-dir build --output-on-failure -j2 "$@"
