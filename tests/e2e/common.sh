# shellcheck shell=bash
# Shared option parsing and helpers for the tests/e2e/*.sh scripts (sourced, not run).
# Sets: ROOT MLC PYTHON WORK and the array ARGS (what was not a common option).

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/../.." && pwd)"
MLC="$ROOT/build/bin/mlc"
PYTHON="$ROOT/.venv/bin/python"
WORK=""
ARGS=()
NEED_PYTHON=1  # scripts that only call mlc set this to 0 before parse_common

die() { printf 'error: %s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# run CMD...: echoes the command, then runs it; a failure names the command.
run() {
  printf '+ %s\n' "$*"
  "$@" || die "command failed (exit $?): $*"
}

parse_common() {
  while (($#)); do
    case "$1" in
      --mlc) MLC="${2:?}"; shift ;;
      --python) PYTHON="${2:?}"; shift ;;
      --work) WORK="${2:?}"; shift ;;
      *) ARGS+=("$1") ;;
    esac
    shift
  done
  [[ -x "$MLC" ]] || die "mlc not found at $MLC (build it, or pass --mlc PATH)"
  ((NEED_PYTHON == 0)) || [[ -x "$PYTHON" ]] || die "python not found at $PYTHON (run scripts/setup.sh, or pass --python PATH)"
}

# default_work MODEL KIND: a fresh work dir under build/tests/e2e unless --work was given.
default_work() {
  local stem; stem="$(basename "${1%.onnx}")"
  [[ -n "$WORK" ]] || WORK="$ROOT/build/tests/e2e/$stem.$2"
  rm -rf "$WORK"
  mkdir -p "$WORK"
}
