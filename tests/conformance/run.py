#!/usr/bin/env python3
"""ONNX conformance: every backend node test of the installed onnx, through mlc and onnxruntime.

Run with the project venv from the repository root:

    .venv/bin/python tests/conformance/run.py [--mlc build/bin/mlc] [--jobs 2]
    .venv/bin/python tests/conformance/run.py --guard [--subset N]
    .venv/bin/python tests/conformance/run.py --filter 'test_(add|sub)_' --keep

The full run (no --guard, no --filter) takes every case: it compiles the
model with `mlc compile --target=llvm`, runs each test data set with
`mlc run`, and compares the outputs with the expected ones as onnx's backend
tests do (node_tests.compare); the same cases also go through onnxruntime.
It writes docs/conformance.md, tests/conformance/passing.txt (the cases mlc
passes) and <work>/results.json, and exits 1 if a case on the previous
passing.txt no longer passes (the files are written all the same).

--guard runs only the cases on passing.txt (with --subset N, one in N of
them, chosen by a hash of the name) through mlc, and exits 1 listing any that
no longer pass: the regression guard ctest runs as conformance.guard.
--filter runs the matching cases and prints their results, nothing more.

The data (the node tests' models and test data sets) is generated once into
<work>/data by onnx's own test case generators (node_tests.generate) and
regenerated when the onnx version changes. <work> defaults to `conformance/`
beside the mlc binary's bin/ directory (build/conformance for build/bin/mlc).
A failing case leaves its artifact and outputs in <work>/cases/<case>/.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import asdict, dataclass
from typing import Any, TextIO

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import node_tests  # noqa: E402
import npy_names  # noqa: E402

PASS = "pass"
# The causes of a failure, in the order the report lists them.
UNSUPPORTED_OP = "unsupported op"  # the frontend names an op it does not support
COMPILE_ERROR = "compile error"  # mlc compile fails for any other reason
RUNTIME_ERROR = "runtime error"  # mlc run fails
NUMERIC_MISMATCH = "numeric mismatch"  # runs, but wrong values, dtype or shape
CAUSES = (UNSUPPORTED_OP, COMPILE_ERROR, RUNTIME_ERROR, NUMERIC_MISMATCH)

# "mlc: error: node 'Foo_0' (op Foo, opset 13): unsupported op"
_UNSUPPORTED = re.compile(r"\(op (\S+), opset \d+\): unsupported op")


@dataclass
class Result:
    name: str
    op: str  # the op the case tests (node_tests.tested_op)
    opset: int | None
    status: str  # PASS or one of CAUSES
    error: str  # the first error line; "" when passed
    unsupported_op: str  # for UNSUPPORTED_OP: the op the frontend rejected
    abnormal: str  # "" or how mlc ended abnormally: "SIGSEGV", "timeout", ...
    ort_passed: bool | None  # None when onnxruntime was not run
    ort_error: str


# ---- running mlc ----------------------------------------------------------------

def first_error_line(text: str) -> str:
    """mlc's `mlc: error: ...` line without its prefix, else the first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("mlc: error: "):
            return line[len("mlc: error: "):]
    return lines[0] if lines else ""


def run_tool(cmd: list[str], timeout: float) -> tuple[str | None, str]:
    """Runs `cmd`; returns (None, "") on success, else (first error line, abnormal end).

    The command runs in its own process group, so that a timeout also ends
    whatever it started (mlc compile runs the linker).
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"timed out after {timeout:g} s", "timeout"
    if proc.returncode == 0:
        return None, ""
    line = first_error_line(stderr + "\n" + stdout)
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        return f"killed by {name}" + (f": {line}" if line else ""), name
    return line or f"exit status {proc.returncode}", ""


@dataclass
class Settings:
    mlc: str
    data_dir: str
    cases_dir: str
    compile_timeout: float
    run_timeout: float
    keep: bool  # keep the artifact and outputs of passing cases too


def check_mlc(settings: Settings, case: node_tests.Case) -> tuple[str, str, str, str]:
    """Compiles and runs one case with mlc: (status, error, unsupported op, abnormal)."""
    status, error, unsupported, abnormal = compile_and_run(settings, case)
    # Error lines go into the report: no paths that differ from run to run.
    error = error.replace(os.path.join(settings.cases_dir, case.name) + "/", "")
    error = error.replace(case.dir + "/", "")
    error = re.sub(r"/tmp/[\w.-]+", "/tmp/…", error)
    return status, error, unsupported, abnormal


def structure_flags(case: node_tests.Case, set_dir: str) -> list[str]:
    """`mlc compile` flags for the structure of a data set's sequence and optional inputs."""
    flags: list[str] = []
    for info, path in zip(case.inputs, node_tests.data_files(set_dir, "input")):
        t = info.type
        if not (t.HasField("sequence_type") or t.HasField("optional_type")):
            continue
        value = node_tests.load_value(path, t)
        if value is None:
            flags += ["--absent-input", info.name]
            continue
        if not isinstance(value, list):
            continue
        flags += ["--sequence-length", f"{info.name}={len(value)}"]
        # mlc needs each element's rank at compile time: an element type of
        # unknown rank takes the shape of the data's tensor (as `mlc
        # compile` asks for any input of unknown rank).
        elem = t.optional_type.elem_type if t.HasField("optional_type") else t
        if not elem.sequence_type.elem_type.tensor_type.HasField("shape"):
            for k, tensor in enumerate(value):
                dims = "x".join(str(d) for d in tensor.shape) or "scalar"
                flags += ["--input-shape", f"{info.name}.{k}={dims}"]
    return flags


def compile_and_run(settings: Settings,
                    case: node_tests.Case) -> tuple[str, str, str, str]:
    """check_mlc's work, in <cases_dir>/<case>/: case.so (case1.so, ...: one per input
    structure), out_test_data_set_<i>/."""
    work = os.path.join(settings.cases_dir, case.name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # A sequence's length and an optional's presence are fixed at compile
    # time: one artifact per distinct structure of the data sets' inputs.
    artifacts: dict[tuple[str, ...], str] = {}
    names = [o.name for o in case.outputs]
    for set_dir in case.data_sets:
        flags = tuple(structure_flags(case, set_dir))
        artifact = artifacts.get(flags)
        if artifact is None:
            artifact = os.path.join(work, f"case{len(artifacts) or ''}.so")
            error, abnormal = run_tool(
                [settings.mlc, "compile", os.path.join(case.dir, "model.onnx"),
                 "--target=llvm", "-o", artifact, *flags], settings.compile_timeout)
            if error is not None:
                m = _UNSUPPORTED.search(error)
                if m and not abnormal:
                    return UNSUPPORTED_OP, error, m.group(1), ""
                return COMPILE_ERROR, error, "", abnormal
            artifacts[flags] = artifact
        out_dir = os.path.join(work, "out_" + os.path.basename(set_dir))
        cmd = [settings.mlc, "run", artifact, "--threads", "1", "--output-dir", out_dir]
        for info, path in zip(case.inputs, node_tests.data_files(set_dir, "input")):
            cmd += ["--input", f"{info.name}={path}"]
        error, abnormal = run_tool(cmd, settings.run_timeout)
        if error is not None:
            return RUNTIME_ERROR, error, "", abnormal
        got: list[Any] = []
        for info in case.outputs:
            name = info.name
            # .npy, or an ONNX TensorProto .pb for the dtypes .npy cannot hold
            # (bf16, float8, sub-byte types); a SequenceProto or
            # OptionalProto .pb for a sequence or optional.
            path = os.path.join(out_dir, npy_names.file_name(name))
            pb = path[:-len(".npy")] + ".pb"
            if not os.path.exists(path) and not os.path.exists(pb):
                return NUMERIC_MISMATCH, f"output '{name}' was not written", "", ""
            try:
                if os.path.exists(path):
                    got.append(np.load(path, allow_pickle=False))
                else:
                    got.append(node_tests.load_value(pb, info.type))
            except Exception as e:  # noqa: BLE001 - any unreadable file is a mismatch
                return NUMERIC_MISMATCH, f"output '{name}' is unreadable: {e}", "", ""
        want = [node_tests.load_value(path, info.type)
                for info, path in zip(case.outputs, node_tests.data_files(set_dir, "output"))]
        if (error := node_tests.compare(names, want, got)) is not None:
            return NUMERIC_MISMATCH, error, "", ""
    if not settings.keep:
        shutil.rmtree(work)
    return PASS, "", "", ""


# ---- running onnxruntime ----------------------------------------------------------

class OrtWorker:
    """One ort_worker.py process, started on first use and again after a crash or hang."""

    def __init__(self, log_path: str, timeout: float):
        self.log_path = log_path
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        with open(self.log_path, "a", encoding="utf-8") as log:
            return subprocess.Popen([sys.executable, os.path.join(HERE, "ort_worker.py")],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=log, text=True)

    def check(self, case_dir: str) -> tuple[bool, str]:
        """(passed, first error line) of onnxruntime on one case."""
        if self.proc is None:
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(case_dir + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died on the previous case: readline() below sees the end
        ready, _, _ = select.select([proc.stdout], [], [], self.timeout)
        line = proc.stdout.readline() if ready else ""
        if line:
            answer = json.loads(line)
            return answer["ok"], answer["error"]
        if ready:
            status = proc.wait()
            why = (f"killed by {signal.Signals(-status).name}" if status < 0
                   else f"exited with status {status}")
        else:
            proc.kill()
            proc.wait()
            why = f"timed out after {self.timeout:g} s"
        self.proc = None
        return False, f"onnxruntime {why}"

    def close(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait()
            self.proc = None


# ---- one case, many cases -----------------------------------------------------------

def check_case(settings: Settings, name: str, ort: OrtWorker | None) -> Result:
    case = node_tests.load_case(settings.data_dir, name)
    status, error, unsupported, abnormal = check_mlc(settings, case)
    ort_passed, ort_error = ort.check(case.dir) if ort else (None, "")
    return Result(name=name, op=node_tests.tested_op(settings.data_dir, case),
                  opset=node_tests.default_opset(case.model), status=status, error=error,
                  unsupported_op=unsupported, abnormal=abnormal, ort_passed=ort_passed,
                  ort_error=ort_error)


def run_cases(settings: Settings, names: list[str], jobs: int, with_ort: bool,
              log_path: str, verbose: bool) -> list[Result]:
    """Checks `names` on `jobs` threads; prints failures (everything with `verbose`) in order."""
    local = threading.local()
    workers: list[OrtWorker] = []
    lock = threading.Lock()

    def one(name: str) -> Result:
        ort = None
        if with_ort:
            if not hasattr(local, "ort"):
                local.ort = OrtWorker(log_path, settings.run_timeout)
                with lock:
                    workers.append(local.ort)
            ort = local.ort
        return check_case(settings, name, ort)

    results = []
    start = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for i, result in enumerate(pool.map(one, names), 1):
                results.append(result)
                if verbose or result.status != PASS:
                    print(f"[{i}/{len(names)}] {result.status.upper()} {result.name}"
                          + (f": {result.error}" if result.error else ""), flush=True)
                elif i % 100 == 0:
                    print(f"[{i}/{len(names)}] ... {time.monotonic() - start:.0f} s",
                          flush=True)
    finally:
        for worker in workers:
            worker.close()
    return results


# ---- the report ---------------------------------------------------------------------

def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def cell(text: str, limit: int = 160) -> str:
    """`text` made safe for one markdown table cell, cut to `limit` characters."""
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def reason(r: Result) -> str:
    """Why a case failed, with its case-specific parts blanked, for grouping."""
    if r.status == UNSUPPORTED_OP:
        return f"unsupported op {r.unsupported_op}"
    error = re.sub(r"^node '[^']*' \(op \S+, opset \d+\): ", "", r.error)
    error = re.sub(r"'[^']*'", "'…'", error)
    error = re.sub(r"loc\([^)]*\)", "loc(…)", error)  # MLIR source locations
    if r.status != NUMERIC_MISMATCH:
        return error  # numbers here are opsets and types: worth grouping by
    return re.sub(r"(?<![\w.])-?\d+(\.\d+)?(e[-+]?\d+)?(?![\w.])", "N", error)


def git_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True,
                              text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return head + (" (with uncommitted changes)" if dirty else "")


# Cases whose expected outputs cannot be compared, with the reason. They stay
# in the denominator (they count as failures); the report lists the reasons.
# Only cases mlc compiles and runs belong here: a case that fails to compile
# is not expected to fail.
EXPECTED_FAILURES = [
    (re.compile(r"^test_bernoulli"),
     "random: the expected values are numpy's generator draws; mlc draws its "
     "own (a counter-based hash of the seed and the element index)"),
    (re.compile(r"^test_training_dropout(_default)?(_mask)?$"),
     "random: the dropout mask is numpy's generator draws; mlc draws its own "
     "(the zero-ratio cases, whose mask is all true, pass)"),
]


def expected_failure(r: Result) -> str:
    """The reason `r` cannot be compared, or "" (also "" when it passes or does
    not even run: only a numeric mismatch is an expected failure)."""
    if r.status != NUMERIC_MISMATCH:
        return ""
    for pattern, why in EXPECTED_FAILURES:
        if pattern.search(r.name):
            return why
    return ""


def write_report(path: str, results: list[Result], command: str, seconds: float,
                 jobs: int, guard_note: str) -> None:
    total = len(results)
    passed = sum(r.status == PASS for r in results)
    ort_passed = sum(bool(r.ort_passed) for r in results)
    failures = [r for r in results if r.status != PASS]
    by_cause = collections.Counter(r.status for r in failures)
    out: list[str] = []
    w = out.append

    w("<!-- Generated by tests/conformance/run.py: do not edit by hand. -->")
    w("# ONNX conformance")
    w("")
    w("Every ONNX backend node test of onnx "
      f"{onnx.__version__} (`onnx/backend/test/case/node`, the data generated by "
      "onnx's own test case generators), compiled with `mlc compile --target=llvm`, "
      "run with `mlc run` and compared with the expected outputs the way onnx's "
      "backend tests compare them: rtol 1e-3, atol 1e-7, dtype and shape exact, "
      f"NaNs equal. The same cases went through onnxruntime {onnxruntime.__version__} "
      "(CPU execution provider) in the same run.")
    w("")
    w("Generated by:")
    w("")
    w("```sh")
    w(command)
    w("```")
    w("")
    w(f"mlc: the tree at commit {git_state()}; numpy {np.__version__}; "
      f"the run took {seconds / 60:.1f} min with {jobs} jobs. docs/testing.md says how "
      "to run it.")
    w("")
    w("## Totals")
    w("")
    w("| | cases | passed | % |")
    w("|---|---:|---:|---:|")
    w(f"| mlc | {total} | {passed} | {percent(passed, total)} |")
    w(f"| onnxruntime {onnxruntime.__version__} | {total} | {ort_passed} | "
      f"{percent(ort_passed, total)} |")
    w("")
    both = sum(r.status == PASS and bool(r.ort_passed) for r in results)
    w(f"Both pass {both} cases; mlc alone {passed - both}; onnxruntime alone "
      f"{ort_passed - both}.")
    w("")
    w(guard_note)
    w("")

    w("## mlc failures by cause")
    w("")
    w("| cause | cases | % of all cases |")
    w("|---|---:|---:|")
    for cause in CAUSES:
        w(f"| {cause} | {by_cause[cause]} | {percent(by_cause[cause], total)} |")
    w("")
    abnormal = [r for r in failures if r.abnormal]
    w(f"Crashes and timeouts of mlc (included above): {len(abnormal)}"
      + ("." if not abnormal else ":"))
    for r in abnormal:
        w(f"- `{r.name}` ({r.status}): {cell(r.error)}")
    w("")

    expected = [(r, expected_failure(r)) for r in failures if expected_failure(r)]
    w("### Expected failures")
    w("")
    w("Failures whose outputs cannot be compared with the expected ones (they "
      f"are counted above as failures): {len(expected)}" + ("." if not expected else ":"))
    w("")
    if expected:
        w("| case | reason |")
        w("|---|---|")
        for r, why in expected:
            w(f"| {r.name} | {cell(why, 200)} |")
        w("")

    blocked = collections.Counter(r.unsupported_op for r in failures
                                  if r.status == UNSUPPORTED_OP)
    w("### Unsupported ops")
    w("")
    w("The op the frontend rejected, by the number of cases it stops (the first "
      "unsupported op of each case; function expansions count under the ops they "
      "expand into):")
    w("")
    w("| op | cases |")
    w("|---|---:|")
    for op, count in sorted(blocked.items(), key=lambda kv: (-kv[1], kv[0])):
        w(f"| {op} | {count} |")
    w("")
    for cause in CAUSES[1:]:
        groups: dict[str, list[Result]] = collections.defaultdict(list)
        for r in failures:
            if r.status == cause:
                groups[reason(r)].append(r)
        if not groups:
            continue
        w(f"### {cause[0].upper() + cause[1:]}s by reason")
        w("")
        w("| reason | cases | e.g. |")
        w("|---|---:|---|")
        for text, rs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            w(f"| {cell(text)} | {len(rs)} | {rs[0].name} |")
        w("")

    w("## Per op")
    w("")
    w("The op a case tests is its model's single node; a function expansion "
      "(`<case>_expanded`, `<case>_expanded_ver<N>`) counts under the op it expands. "
      "The last column gives the most common reason among the op's mlc failures.")
    w("")
    w("| op | cases | mlc | onnxruntime | mlc fails most with |")
    w("|---|---:|---:|---:|---|")
    per_op: dict[str, list[Result]] = collections.defaultdict(list)
    for r in results:
        per_op[r.op].append(r)
    for op in sorted(per_op, key=str.lower):
        rs = per_op[op]
        reasons = collections.Counter(reason(r) for r in rs if r.status != PASS)
        top = min(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[0] if reasons else ""
        w(f"| {op} | {len(rs)} | {sum(r.status == PASS for r in rs)} | "
          f"{sum(bool(r.ort_passed) for r in rs)} | {cell(top, 80)} |")
    w("")

    w("## Failing cases")
    w("")
    w("mlc's first error line; ort: whether onnxruntime passes the case.")
    w("")
    w("| case | cause | ort | first error |")
    w("|---|---|---|---|")
    for r in failures:
        w(f"| {r.name} | {r.status} | {'yes' if r.ort_passed else 'no'} | {cell(r.error)} |")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


# ---- the passing list --------------------------------------------------------------

_PASSING_HEADER = ("# Generated by tests/conformance/run.py: the ONNX node tests mlc passes "
                   "(onnx {}).\n# conformance.guard fails when one of them stops passing.\n")


def read_passing(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def write_passing(path: str, names: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(_PASSING_HEADER.format(onnx.__version__))
        f.writelines(name + "\n" for name in sorted(names))


def in_subset(name: str, n: int) -> bool:
    """One case in `n`, the same ones on every machine and whatever the list holds."""
    return zlib.crc32(name.encode()) % n == 0


# ---- main ---------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--mlc", default=os.path.join(ROOT, "build", "bin", "mlc"),
                   help="the mlc binary (default: build/bin/mlc)")
    p.add_argument("--work", help="data, scratch and results directory "
                   "(default: conformance/ beside the mlc binary's bin/)")
    p.add_argument("--jobs", type=int, default=2, help="cases checked at once (default: 2)")
    p.add_argument("--compile-timeout", type=float, default=60, metavar="S",
                   help="seconds per mlc compile (default: 60)")
    p.add_argument("--run-timeout", type=float, default=60, metavar="S",
                   help="seconds per mlc run and per onnxruntime case (default: 60)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--guard", action="store_true",
                      help="run the cases on passing.txt; exit 1 if one fails")
    mode.add_argument("--filter", metavar="REGEX",
                      help="run the cases whose name matches REGEX (re.search); "
                           "print only")
    mode.add_argument("--generate-only", action="store_true",
                      help="generate the data if it is missing or stale, then exit")
    p.add_argument("--subset", type=int, default=1, metavar="N",
                   help="with --guard: run one case in N of the list (default: all)")
    p.add_argument("--passing", default=os.path.join(HERE, "passing.txt"),
                   help="the passing list (default: tests/conformance/passing.txt)")
    p.add_argument("--report", default=os.path.join(ROOT, "docs", "conformance.md"),
                   help="the report a full run writes (default: docs/conformance.md)")
    p.add_argument("--no-onnxruntime", action="store_true",
                   help="do not run onnxruntime beside mlc (only with --filter)")
    p.add_argument("--keep", action="store_true",
                   help="keep artifacts and outputs of passing cases too")
    p.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = p.parse_args()
    if args.subset < 1 or args.jobs < 1:
        p.error("--subset and --jobs take a positive count")
    if args.subset > 1 and not args.guard:
        p.error("--subset goes with --guard")
    if args.no_onnxruntime and not args.filter:
        p.error("--no-onnxruntime goes with --filter: a full run reports onnxruntime")
    return args


def ensure_data(data_dir: str, out: TextIO) -> None:
    if node_tests.data_is_current(data_dir):
        return
    print(f"generating the onnx {onnx.__version__} node tests into {data_dir} ...",
          file=out, flush=True)
    count = node_tests.generate(data_dir)
    print(f"{count} cases", file=out, flush=True)


def main() -> int:
    args = parse_args()
    mlc = os.path.abspath(args.mlc)
    work = os.path.abspath(args.work or os.path.join(os.path.dirname(os.path.dirname(mlc)),
                                                     "conformance"))
    data_dir = os.path.join(work, "data")
    os.makedirs(work, exist_ok=True)
    ensure_data(data_dir, sys.stdout)
    if args.generate_only:
        return 0
    if not os.access(mlc, os.X_OK):
        print(f"error: no mlc binary at {mlc} (--mlc)", file=sys.stderr)
        return 2

    all_names = node_tests.case_names(data_dir)
    settings = Settings(mlc=mlc, data_dir=data_dir, cases_dir=os.path.join(work, "cases"),
                        compile_timeout=args.compile_timeout, run_timeout=args.run_timeout,
                        keep=args.keep)
    log_path = os.path.join(work, "onnxruntime.log")
    start = time.monotonic()

    if args.guard:
        listed = read_passing(args.passing)
        if not listed:
            print(f"error: {args.passing} lists no case", file=sys.stderr)
            return 2
        names = [n for n in listed if in_subset(n, args.subset)]
        missing = sorted(set(names) - set(all_names))
        names = [n for n in names if n in set(all_names)]
        results = run_cases(settings, names, args.jobs, False, log_path, args.verbose)
        failed = [r for r in results if r.status != PASS]
        seconds = time.monotonic() - start
        which = "all" if args.subset == 1 else f"one in {args.subset}"
        print(f"conformance guard: {len(results) - len(failed)} of {len(results)} cases "
              f"pass ({which} of the {len(listed)} on {os.path.relpath(args.passing)}); "
              f"{seconds:.0f} s")
        for name in missing:
            print(f"MISSING {name}: not a node test of onnx {onnx.__version__} "
                  "(regenerate the list with a full run)")
        for r in failed:
            print(f"REGRESSED {r.name} ({r.status}): {r.error}")
        return 1 if failed or missing else 0

    if args.filter:
        names = [n for n in all_names if re.search(args.filter, n)]
        results = run_cases(settings, names, args.jobs, not args.no_onnxruntime, log_path,
                            args.verbose)
        passed = sum(r.status == PASS for r in results)
        ort = sum(bool(r.ort_passed) for r in results)
        print(f"{len(results)} cases: mlc passes {passed}"
              + ("" if args.no_onnxruntime else f", onnxruntime {ort}"))
        return 0

    previous = set(read_passing(args.passing))
    results = run_cases(settings, all_names, args.jobs, True, log_path, args.verbose)
    seconds = time.monotonic() - start
    passing = [r.name for r in results if r.status == PASS]
    python = os.path.relpath(sys.executable, ROOT)
    command = " ".join([python if not python.startswith("..") else sys.executable,
                        os.path.relpath(os.path.abspath(__file__), ROOT),
                        *map(shlex.quote, sys.argv[1:])])
    guard_note = (
        "CI runs the regression guard, ctest `conformance.guard` "
        "(`run.py --guard`): the full passing list, "
        f"{len(passing)} cases, through mlc only. It fails when one of them stops passing.")
    write_report(args.report, results, command, seconds, args.jobs, guard_note)
    write_passing(args.passing, passing)
    with open(os.path.join(work, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                   "mlc": mlc, "seconds": round(seconds),
                   "results": [asdict(r) for r in results]}, f, indent=1)
        f.write("\n")
    print(f"{len(results)} cases: mlc passes {len(passing)} "
          f"({percent(len(passing), len(results))}), onnxruntime "
          f"{sum(bool(r.ort_passed) for r in results)}; {seconds:.0f} s")
    print(f"wrote {os.path.relpath(args.report)}, {os.path.relpath(args.passing)}, "
          f"{os.path.relpath(os.path.join(work, 'results.json'))}")
    regressed = sorted(previous - set(passing))
    for name in regressed:
        print(f"REGRESSED {name}: on the previous passing list, fails now")
    return 1 if regressed else 0


if __name__ == "__main__":
    sys.exit(main())
