#!/usr/bin/env bash
# Installs mlc's dependencies on Debian 12 and builds it into build/. Safe to re-run.
#
# Usage: scripts/setup.sh [--no-build] [--build-type TYPE] [--build-dir DIR]
#                         [-- EXTRA CMAKE ARGS...]
#
# Steps, each skipped when already done:
#   1. apt packages (apt-get update + install only if some are missing; root or sudo)
#   2. the PyPI venv .venv (from Debian's /usr/bin/python3) with scripts/requirements.txt
#      and benchmarks/requirements.txt
#   3. CMake configure (Ninja, ccache, BUILD_TESTING=ON) into build/, then build
# Step output goes to <build dir>/setup-logs/; on failure its tail is printed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
VENV="$ROOT/.venv"
SYSTEM_PYTHON=/usr/bin/python3
BUILD_TYPE=Release
DO_BUILD=1
CMAKE_EXTRA=()

PACKAGES=(
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools clang-19 lld-19
  libonnx-dev libprotobuf-dev protobuf-compiler libfmt-dev catch2 libdlpack-dev
  ninja-build ccache cmake g++ python3-venv python3-torch python3-torchvision
)

while (($#)); do
  case "$1" in
    --no-build) DO_BUILD=0 ;;
    --build-type) BUILD_TYPE="${2:?--build-type needs a value}"; shift ;;
    --build-dir) BUILD_DIR="$(realpath -m "${2:?--build-dir needs a value}")"; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; CMAKE_EXTRA=("$@"); break ;;
    *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

LOG_DIR="$BUILD_DIR/setup-logs"

step() { printf '==> %s\n' "$*"; }
die() { printf '\nerror: setup.sh: %s\n' "$*" >&2; exit 1; }

# run_logged NAME CMD...: runs CMD with its output in $LOG_DIR/NAME.log.
# On failure shows the useful part of the log and exits.
run_logged() {
  local name="$1"; shift
  local log="$LOG_DIR/$name.log"
  mkdir -p "$LOG_DIR"
  if ! "$@" >"$log" 2>&1; then
    printf '\n---- last lines of %s ----\n' "$log" >&2
    if grep -q '^FAILED: ' "$log"; then  # ninja: show from the first failing edge
      sed -n '/^FAILED: /,$p' "$log" | head -n 150 >&2
    elif grep -q '^CMake Error' "$log"; then  # cmake: show from the first error
      sed -n '/^CMake Error/,$p' "$log" | head -n 80 >&2
    else
      tail -n 50 "$log" >&2
    fi
    die "step '$name' failed: $*  (full log: $log)"
  fi
}

# ---- 1. apt packages --------------------------------------------------------
[[ -r /etc/debian_version ]] || die "this script supports Debian 12 only (no /etc/debian_version)"
missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == installed ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if ((EUID == 0)); then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "missing packages and not root, no sudo; as root run:
  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  step "installing ${#missing[@]} apt packages: ${missing[*]}"
  run_logged apt-update "${SUDO[@]}" apt-get update
  run_logged apt-install "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
else
  step "apt packages: all ${#PACKAGES[@]} installed"
fi

# ---- 2. Python venv ----------------------------------------------------------
# Debian's torch lives in the system python only; the venv holds onnx and
# onnxruntime from PyPI. They stay separate: Debian torch needs numpy 1.x.
[[ -x "$SYSTEM_PYTHON" ]] || die "$SYSTEM_PYTHON not found (python3 should have come with python3-venv)"
if [[ -f "$VENV/pyvenv.cfg" ]] && ! { grep -qx 'home = /usr/bin' "$VENV/pyvenv.cfg" \
     && grep -qx 'include-system-site-packages = false' "$VENV/pyvenv.cfg"; }; then
  step "recreating $VENV: it was not made by '$SYSTEM_PYTHON -m venv'"
  rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  step "creating venv $VENV"
  run_logged venv "$SYSTEM_PYTHON" -m venv "$VENV"
fi
# pip is a fast no-op (and needs no network) when the pins are already met.
# benchmarks/requirements.txt adds what `make bench` needs (matplotlib).
run_logged pip "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
  -r "$ROOT/scripts/requirements.txt" -r "$ROOT/benchmarks/requirements.txt"
run_logged venv-check "$VENV/bin/python" -c 'import onnx, onnxruntime, numpy'
step "venv: $("$VENV/bin/python" -c 'import onnx, onnxruntime, numpy; print("onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "numpy", numpy.__version__)')"
run_logged torch-check "$SYSTEM_PYTHON" -c 'import torch, torchvision'

# ---- 3. configure and build --------------------------------------------------
if ((DO_BUILD == 0)); then
  step "skipping the build (--no-build)"
  exit 0
fi
if [[ -f "$BUILD_DIR/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$BUILD_DIR/CMakeCache.txt"; then
  die "$BUILD_DIR was configured with another generator than Ninja; remove it (rm -rf $BUILD_DIR) and re-run"
fi
step "configuring $BUILD_DIR ($BUILD_TYPE, Ninja, ccache)"
run_logged cmake-configure cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DBUILD_TESTING=ON \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  "${CMAKE_EXTRA[@]}"
step "building ($(nproc) jobs)"
run_logged cmake-build cmake --build "$BUILD_DIR" --parallel "$(nproc)"
step "build ok: $BUILD_DIR"
