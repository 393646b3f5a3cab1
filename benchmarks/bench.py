#!/usr/bin/env python3
"""mlc's benchmark harness: the model zoo and kernels, side by side with onnxruntime.

Run it through `make bench` (see docs/benchmarks.md), or directly with the
project venv:

    .venv/bin/python benchmarks/bench.py --mlc build/bin/mlc [--models mlp,resnet50]
        [--iters 20] [--rounds 4] [--threads 1,all] [--kernels all|gemm|conv|none]
        [--no-tvm]

For each model it exports the ONNX file (Debian's torch, cached), compiles it
with `mlc compile` (wall time, arena bytes), checks mlc's outputs against
onnxruntime's at every thread count BEFORE timing (rtol 1e-3, atol 1e-4, with
tests/e2e/compare.py), then times `mlc bench` and onnxruntime
(benchmarks/ort_bench.py) with the same thread count in alternating rounds,
each process loading and warming up on its own. The kernel part measures
the FP32 FMA peak (benchmarks/kernels/fma_peak.c) and times single-op GEMM
and Conv models at the zoo's shapes on one thread. TVM, when its wheel
installs, is a third column (benchmarks/tvm_bench.py).

Writes benchmarks/results/results.json, benchmarks/results/latency.png and
benchmarks/RESULTS.md (benchmarks/report.py).
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import kernel_models  # noqa: E402
import make_inputs  # noqa: E402
import report  # noqa: E402

ZOO = ["mlp", "resnet50", "mobilenet_v2", "squeezenet1_1", "vit_b_16", "bert_encoder"]
# Integer inputs cover the whole table they index (BERT's vocabulary).
INT_HIGH = {"bert_encoder": 30522}
# CNN whose Conv layers make the conv kernel set; models whose weight GEMMs make the GEMM set.
CONV_MODELS = ["resnet50", "mobilenet_v2"]
GEMM_MODELS = ["bert_encoder", "mlp"]
GEMM_SQUARES = [256, 512, 1024, 2048]
TVM_REQUIREMENTS = os.path.join(HERE, "requirements-tvm.txt")
RTOL, ATOL = 1e-3, 1e-4


def log(message):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def run(cmd, env=None, timeout=None):
    """Runs cmd; returns (exit code, stdout, stderr). Never raises on failure."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return 124, e.stdout or "", "timed out after %s s" % timeout
    except OSError as e:
        return 127, "", str(e)


def error_line(code, stdout, stderr):
    """The most telling one-line message of a failed command."""
    for text in (stderr, stdout):
        lines = [line for line in (text or "").strip().splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        if errors:
            return errors[-1].strip()
        if lines:
            return lines[-1].strip()
    if code < 0 or code > 128:
        return "killed by signal %d (exit status %d)" % (abs(code) % 128, code)
    return "exit status %d" % code


def last_json(stdout):
    """The JSON object on the last line of stdout."""
    return json.loads(stdout.strip().splitlines()[-1])


# ---- machine and versions -----------------------------------------------------

def cpu_info():
    """CPU model, vector flags, CPUs usable by this process, load average."""
    model, flags = platform.processor() or "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        m = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
        model = m.group(1).strip() if m else model
        m = re.search(r"^flags\s*:\s*(.*)$", text, re.M)
        flags = m.group(1).split() if m else []
    except OSError:
        pass
    vector = [f for f in flags if f in ("sse4_2", "avx", "avx2", "fma", "f16c")
              or f.startswith("avx512") or f.startswith("amx")]
    return {"model": model, "vector_flags": vector, "cpus": len(os.sched_getaffinity(0)),
            "machine": platform.machine()}


def load_average():
    return list(os.getloadavg())


def versions(mlc):
    """Versions of everything measured or used to measure."""
    import numpy
    import onnx
    import onnxruntime
    out = {"python": platform.python_version(), "onnxruntime": onnxruntime.__version__,
           "onnx": onnx.__version__, "numpy": numpy.__version__}
    code, stdout, _ = run([mlc, "--version"])
    out["mlc"] = stdout.strip() if code == 0 else "unknown"
    code, stdout, _ = run(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    out["mlc_commit"] = stdout.strip() if code == 0 else "unknown"
    code, stdout, _ = run(["llvm-config-19", "--version"])
    out["llvm"] = stdout.strip() if code == 0 else "unknown"
    code, stdout, _ = run(["cc", "--version"])
    out["cc"] = stdout.splitlines()[0] if code == 0 and stdout else "unknown"
    return out


# ---- TVM ----------------------------------------------------------------------

def setup_tvm(venv, system_python):
    """Makes a venv with apache-tvm; returns (python or None, status line, version)."""
    python = os.path.join(venv, "bin", "python")
    probe = [python, "-c", "import tvm, onnx; from tvm.relax.frontend.onnx import from_onnx;"
             "print(tvm.__version__)"]
    if os.path.exists(python):
        code, stdout, _ = run(probe)
        if code == 0:
            return python, "ok", stdout.strip()
    log("creating the TVM venv %s (pip install -r %s)" % (venv, TVM_REQUIREMENTS))
    code, stdout, stderr = run([system_python, "-m", "venv", venv])
    if code != 0:
        return None, "python -m venv failed: " + error_line(code, stdout, stderr), None
    code, stdout, stderr = run([python, "-m", "pip", "install", "--disable-pip-version-check",
                                "--no-input", "-r", TVM_REQUIREMENTS], timeout=1800)
    if code != 0:
        return None, "pip install failed: " + error_line(code, stdout, stderr), None
    code, stdout, stderr = run(probe)
    if code != 0:
        return None, "import failed: " + error_line(code, stdout, stderr), None
    return python, "ok", stdout.strip()


# ---- one model: compile, check, time --------------------------------------------

def inspect_artifact(mlc, artifact):
    """{key: value} of `mlc inspect`'s metadata lines."""
    code, stdout, _ = run([mlc, "inspect", artifact])
    meta = {}
    if code == 0:
        for line in stdout.splitlines():
            parts = line.split(None, 1)
            if len(parts) == 2:
                meta.setdefault(parts[0], parts[1])
    return meta


def compile_mlc(mlc, onnx_path, artifact):
    """Compiles with mlc; returns a record with wall time, sizes or the error."""
    start = time.monotonic()
    code, stdout, stderr = run([mlc, "compile", onnx_path, "--target=llvm", "-o", artifact])
    record = {"compile_s": time.monotonic() - start}
    if code != 0:
        record["error"] = "mlc compile: " + error_line(code, stdout, stderr)
        return record
    meta = inspect_artifact(mlc, artifact)
    record["artifact_bytes"] = os.path.getsize(artifact)
    if "arena_bytes" in meta:
        record["arena_bytes"] = int(meta["arena_bytes"])
    return record


def check_outputs(model_path, in_dir, out_dir):
    """compare.py's verdict on out_dir: (ok, its report lines)."""
    code, stdout, stderr = run([sys.executable, os.path.join(ROOT, "tests", "e2e", "compare.py"),
                                model_path, "--inputs", in_dir, "--outputs", out_dir,
                                "--rtol", str(RTOL), "--atol", str(ATOL)])
    lines = [line for line in (stdout + stderr).strip().splitlines() if line.strip()]
    return code == 0, lines


def check_mlc(mlc, model_path, artifact, work, threads, int_high):
    """Runs mlc on seeded inputs at each thread count and compares with onnxruntime."""
    in_dir = os.path.join(work, "inputs")
    pairs = make_inputs.make_inputs(model_path, in_dir, seed=0, int_high=int_high)
    result = {"ok": True, "lines": []}
    for n in threads:
        out_dir = os.path.join(work, "mlc_out_t%d" % n)
        cmd = [mlc, "run", artifact, "--threads", str(n), "--output-dir", out_dir]
        for name, path in pairs:
            cmd += ["--input", "%s=%s" % (name, path)]
        code, stdout, stderr = run(cmd)
        if code != 0:
            result["ok"] = False
            result["lines"].append("threads=%d: mlc run failed: %s"
                                   % (n, error_line(code, stdout, stderr)))
            continue
        ok, lines = check_outputs(model_path, in_dir, out_dir)
        result["ok"] &= ok
        result["lines"] += ["threads=%d: %s" % (n, line) for line in lines]
    return result


def merge_rounds(rounds):
    """One summary from several rounds' JSON records (pools every timed run)."""
    times = [t for r in rounds for t in r["times_ms"]]
    ordered = sorted(times)
    n = len(ordered)
    return {"median_ms": statistics.median(ordered), "mean_ms": statistics.fmean(ordered),
            "p90_ms": ordered[max(-(-9 * n // 10), 1) - 1], "min_ms": ordered[0],
            "max_ms": ordered[-1], "stddev_ms": statistics.stdev(ordered) if n > 1 else 0.0,
            "runs": n, "rounds": len(rounds),
            "round_medians_ms": [r["median_ms"] for r in rounds]}


def time_mlc(mlc, artifact, threads, warmup, iters, warmup_ms=0):
    code, stdout, stderr = run([mlc, "bench", artifact, "--threads", str(threads), "--warmup",
                                str(warmup), "--warmup-ms", str(warmup_ms), "--iters", str(iters),
                                "--json"], timeout=3600)
    if code != 0:
        raise RuntimeError("mlc bench: " + error_line(code, stdout, stderr))
    return last_json(stdout)


def time_ort(model_path, threads, warmup, iters, warmup_ms=0):
    code, stdout, stderr = run([sys.executable, os.path.join(HERE, "ort_bench.py"), model_path,
                                "--threads", str(threads), "--warmup", str(warmup),
                                "--warmup-ms", str(warmup_ms), "--iters", str(iters), "--json"],
                               timeout=3600)
    if code != 0:
        raise RuntimeError("onnxruntime: " + error_line(code, stdout, stderr))
    return last_json(stdout)


def time_tvm(tvm_python, lib, in_dir, threads, warmup, iters, warmup_ms=0):
    env = dict(os.environ, TVM_NUM_THREADS=str(threads))
    code, stdout, stderr = run([tvm_python, os.path.join(HERE, "tvm_bench.py"), "time", lib,
                                "--inputs", in_dir, "--warmup", str(warmup), "--warmup-ms",
                                str(warmup_ms), "--iters", str(iters), "--json"], env=env,
                               timeout=3600)
    if code != 0:
        raise RuntimeError("tvm: " + error_line(code, stdout, stderr))
    return last_json(stdout)


def prepare_tvm(tvm_python, model_path, work):
    """Compiles with TVM and checks it like mlc; returns a record (lib, check or error)."""
    lib = os.path.join(work, "tvm.so")
    start = time.monotonic()
    code, stdout, stderr = run([tvm_python, os.path.join(HERE, "tvm_bench.py"), "compile",
                                model_path, "-o", lib], timeout=3600)
    record = {"compile_s": time.monotonic() - start}
    if code != 0:
        record["error"] = "tvm compile: " + error_line(code, stdout, stderr)
        return record
    in_dir, out_dir = os.path.join(work, "inputs"), os.path.join(work, "tvm_out")
    code, stdout, stderr = run([tvm_python, os.path.join(HERE, "tvm_bench.py"), "run", lib,
                                "--inputs", in_dir, "--output-dir", out_dir], timeout=3600)
    if code != 0:
        record["error"] = "tvm run: " + error_line(code, stdout, stderr)
        return record
    ok, lines = check_outputs(model_path, in_dir, out_dir)
    record["check"] = {"ok": ok, "lines": lines}
    record["lib"] = lib
    return record


def bench_model(name, args, paths, threads, tvm_python):
    """Everything about one zoo model; returns its results record."""
    model_path = os.path.join(paths["models"], name + ".onnx")
    work = os.path.join(paths["work"], name)
    os.makedirs(work, exist_ok=True)
    artifact = os.path.join(work, "model.so")
    record = {"name": name, "onnx_bytes": os.path.getsize(model_path)}
    log("%s: compiling" % name)
    record["mlc"] = compile_mlc(args.mlc, model_path, artifact)
    record["intermediate_bytes"] = kernel_models.intermediate_bytes(model_path)
    if "error" not in record["mlc"]:
        log("%s: compiled in %.1f s; checking against onnxruntime" % (name, record["mlc"]["compile_s"]))
        record["check"] = check_mlc(args.mlc, model_path, artifact, work, threads,
                                    INT_HIGH.get(name, 1000))
        if not record["check"]["ok"]:
            log("%s: MISMATCH against onnxruntime:\n  %s" % (name, "\n  ".join(record["check"]["lines"])))
    else:
        make_inputs.make_inputs(model_path, os.path.join(work, "inputs"), seed=0,
                                int_high=INT_HIGH.get(name, 1000))
        log("%s: %s" % (name, record["mlc"]["error"]))
    mlc_ok = "error" not in record["mlc"] and record["check"]["ok"]
    if tvm_python:
        log("%s: compiling with TVM" % name)
        record["tvm"] = prepare_tvm(tvm_python, model_path, work)
    tvm_ok = bool(tvm_python) and "error" not in record["tvm"] and record["tvm"]["check"]["ok"]

    per_round = max(1, math.ceil(args.iters / args.rounds))
    record["timings"] = {}
    for n in threads:
        rounds = {"mlc": [], "ort": [], "tvm": []}
        errors = {}
        for r in range(args.rounds):
            # Alternate which runs first, so neither always follows the other.
            order = ["mlc", "ort"] if r % 2 == 0 else ["ort", "mlc"]
            for who in order:
                if who in errors or (who == "mlc" and not mlc_ok):
                    continue
                try:
                    if who == "mlc":
                        rounds[who].append(time_mlc(args.mlc, artifact, n, args.warmup, per_round,
                                                    args.warmup_ms))
                    else:
                        rounds[who].append(time_ort(model_path, n, args.warmup, per_round,
                                                    args.warmup_ms))
                except RuntimeError as e:
                    errors[who] = str(e)
            # Untuned TVM is slow: a few runs in the middle round only.
            if tvm_ok and r == args.rounds // 2 and "tvm" not in errors:
                try:
                    rounds["tvm"].append(time_tvm(tvm_python, record["tvm"]["lib"],
                                                  os.path.join(work, "inputs"), n, 1,
                                                  args.tvm_iters))
                except RuntimeError as e:
                    errors["tvm"] = str(e)
        timing = {who: merge_rounds(rs) for who, rs in rounds.items() if rs}
        timing["errors"] = errors
        record["timings"][str(n)] = timing
        summary = "  ".join("%s %.3f ms" % (who, t["median_ms"]) for who, t in timing.items()
                            if who != "errors")
        log("%s: %d thread(s): %s%s" % (name, n, summary, "  errors: %s" % errors if errors else ""))
    return record


# ---- kernels ----------------------------------------------------------------------

def fma_peak(work):
    """Builds and runs kernels/fma_peak.c; returns its JSON record or an error."""
    exe = os.path.join(work, "fma_peak")
    src = os.path.join(HERE, "kernels", "fma_peak.c")
    code, stdout, stderr = run(["cc", "-O2", "-march=native", "-o", exe, src])
    if code != 0:
        return {"error": "cc: " + error_line(code, stdout, stderr)}
    code, stdout, stderr = run([exe, "--json"])
    if code != 0:
        return {"error": "fma_peak: " + error_line(code, stdout, stderr)}
    return last_json(stdout)


def kernel_list(kinds, models_dir):
    """[(name, kind, shape record, flops)] of the kernels to time."""
    kernels = []
    if kinds in ("all", "gemm"):
        shapes = []
        for model in GEMM_MODELS:
            for s in kernel_models.gemm_shapes(os.path.join(models_dir, model + ".onnx")):
                if s not in shapes:
                    shapes.append(s)
        shapes += [(n, n, n) for n in GEMM_SQUARES if (n, n, n) not in shapes]
        for m, n, k in shapes:
            kernels.append((kernel_models.gemm_name(m, n, k), "gemm",
                            {"m": m, "n": n, "k": k}, kernel_models.gemm_flops(m, n, k)))
    if kinds in ("all", "conv"):
        seen = set()
        for model in CONV_MODELS:
            for conv in kernel_models.conv_shapes(os.path.join(models_dir, model + ".onnx")):
                name = kernel_models.conv_name(conv)
                if name in seen:
                    continue
                seen.add(name)
                kernels.append((name, "conv", dict(conv, model=model),
                                kernel_models.conv_flops(conv)))
    return kernels


def bench_kernel(name, kind, shape, flops, args, paths):
    """Compiles, checks and times one single-op model on one thread."""
    work = os.path.join(paths["work"], "kernels", name)
    os.makedirs(work, exist_ok=True)
    model_path = os.path.join(work, name + ".onnx")
    if not os.path.exists(model_path):
        if kind == "gemm":
            kernel_models.write_gemm_model(shape["m"], shape["n"], shape["k"], model_path)
        else:
            kernel_models.write_conv_model(shape, model_path)
    artifact = os.path.join(work, "model.so")
    record = {"name": name, "kind": kind, "shape": shape, "flops": flops}
    record["mlc"] = compile_mlc(args.mlc, model_path, artifact)
    if "error" not in record["mlc"]:
        record["check"] = check_mlc(args.mlc, model_path, artifact, work, [1], 1000)
    ok = "error" not in record["mlc"] and record["check"]["ok"]
    for who in (["mlc", "ort"] if ok else ["ort"]):
        try:
            if who == "mlc":
                t = time_mlc(args.mlc, artifact, 1, 2, args.kernel_iters)
            else:
                t = time_ort(model_path, 1, 2, args.kernel_iters)
            record[who + "_ms"] = t["median_ms"]
            record[who + "_gflops"] = flops / (t["median_ms"] * 1e-3) / 1e9
        except RuntimeError as e:
            record[who + "_error"] = str(e)
    return record


# ---- driver ---------------------------------------------------------------------

def parse_threads(text):
    """'1,all' -> [1, CPUs]; duplicates dropped, order kept."""
    out = []
    for part in text.split(","):
        n = len(os.sched_getaffinity(0)) if part.strip() == "all" else int(part)
        if n < 1:
            raise argparse.ArgumentTypeError("thread counts must be at least 1")
        if n not in out:
            out.append(n)
    return out


def parse_models(text):
    names = ZOO if text in ("", "all") else [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in ZOO]
    if unknown:
        raise argparse.ArgumentTypeError("unknown model(s) %s; the zoo is %s"
                                         % (", ".join(unknown), ", ".join(ZOO)))
    return names


def export_models(names, models_dir, system_python):
    """Exports the zoo models (cached by export_models.py itself)."""
    cmd = [system_python, os.path.join(HERE, "models", "export_models.py"), "--out", models_dir,
           "--only"] + names
    log("exporting: " + " ".join(names))
    code, stdout, stderr = run(cmd)
    sys.stdout.write(stdout)
    if code != 0:
        raise SystemExit("error: model export failed: %s" % error_line(code, stdout, stderr))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mlc", default=os.path.join(ROOT, "build", "bin", "mlc"),
                   help="the mlc binary (default build/bin/mlc)")
    p.add_argument("--models", type=parse_models, default=ZOO,
                   help="comma-separated zoo models, or 'all' (default: %s)" % ",".join(ZOO))
    p.add_argument("--iters", type=int, default=20,
                   help="timed runs per model, framework and thread count (default 20)")
    p.add_argument("--rounds", type=int, default=4,
                   help="alternating mlc/onnxruntime rounds the runs are split into (default 4)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs per round (default 3)")
    p.add_argument("--warmup-ms", type=int, default=200,
                   help="and untimed runs until this many ms have passed (default 200): a "
                        "sub-millisecond model needs thousands of runs to reach a steady state")
    p.add_argument("--threads", type=parse_threads, default=parse_threads("1,all"),
                   help="thread counts, e.g. '1,all' (default) or '1'")
    p.add_argument("--kernels", choices=["all", "gemm", "conv", "none"], default="all",
                   help="kernel microbenchmarks to run (default all)")
    p.add_argument("--kernel-iters", type=int, default=10,
                   help="timed runs per kernel (default 10)")
    p.add_argument("--no-tvm", dest="tvm", action="store_false", help="skip the TVM column")
    p.add_argument("--tvm-iters", type=int, default=3,
                   help="timed TVM runs per model and thread count (default 3; untuned TVM is slow)")
    p.add_argument("--work", default=os.path.join(HERE, "out"),
                   help="models, artifacts and logs (default benchmarks/out)")
    p.add_argument("--results", default=os.path.join(HERE, "results"),
                   help="where results.json and latency.png go (default benchmarks/results)")
    p.add_argument("--report", default=os.path.join(HERE, "RESULTS.md"),
                   help="the Markdown report (default benchmarks/RESULTS.md)")
    p.add_argument("--system-python", default="/usr/bin/python3",
                   help="python with torch, for the export (default /usr/bin/python3)")
    p.add_argument("--command", help="the command to record in the report (default: this one)")
    p.add_argument("--note", help="run conditions to print at the top of the report")
    args = p.parse_args()
    if args.iters < 1 or args.rounds < 1 or args.kernel_iters < 1:
        p.error("--iters, --rounds and --kernel-iters must be at least 1")
    args.mlc = os.path.abspath(args.mlc)
    if not os.access(args.mlc, os.X_OK):
        p.error("no mlc at %s: build it (scripts/setup.sh) or pass --mlc" % args.mlc)

    paths = {"models": os.path.join(args.work, "models"), "work": os.path.join(args.work, "runs")}
    os.makedirs(paths["work"], exist_ok=True)
    os.makedirs(args.results, exist_ok=True)
    results = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": args.command or " ".join(shlex.quote(a) for a in sys.argv),
        "note": args.note,
        "machine": cpu_info(),
        "load_average_start": load_average(),
        "versions": versions(args.mlc),
        "config": {"models": args.models, "iters": args.iters, "rounds": args.rounds,
                   "warmup": args.warmup, "warmup_ms": args.warmup_ms, "threads": args.threads, "kernels": args.kernels,
                   "kernel_iters": args.kernel_iters, "tvm_iters": args.tvm_iters,
                   "rtol": RTOL, "atol": ATOL},
    }
    started = time.monotonic()

    tvm_python = None
    if args.tvm:
        tvm_python, status, version = setup_tvm(os.path.join(args.work, "tvm-venv"),
                                                args.system_python)
        results["tvm"] = {"status": status, "version": version}
        log("TVM: %s%s" % (status, " (%s)" % version if version else ""))
    else:
        results["tvm"] = {"status": "skipped (--no-tvm)", "version": None}

    needed = list(args.models)
    if args.kernels in ("all", "gemm"):
        needed += [m for m in GEMM_MODELS if m not in needed]
    if args.kernels in ("all", "conv"):
        needed += [m for m in CONV_MODELS if m not in needed]
    export_models([m for m in ZOO if m in needed], paths["models"], args.system_python)

    results["models"] = [bench_model(name, args, paths, args.threads, tvm_python)
                         for name in args.models]
    if args.kernels != "none":
        log("kernels: FMA peak")
        results["fma_peak"] = fma_peak(paths["work"])
        log("FMA peak: %s" % results["fma_peak"])
        results["kernels"] = []
        for name, kind, shape, flops in kernel_list(args.kernels, paths["models"]):
            record = bench_kernel(name, kind, shape, flops, args, paths)
            results["kernels"].append(record)
            log("%-36s mlc %s  ort %s GFLOP/s" % (
                name, "%.1f" % record["mlc_gflops"] if "mlc_gflops" in record else "FAILED",
                "%.1f" % record["ort_gflops"] if "ort_gflops" in record else "FAILED"))
    results["load_average_end"] = load_average()
    results["duration_s"] = time.monotonic() - started

    json_path = os.path.join(args.results, "results.json")
    with open(json_path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    chart = os.path.join(args.results, "latency.png")
    report.write_chart(results, chart)
    report.write_markdown(results, args.report, os.path.relpath(chart, os.path.dirname(args.report)))
    log("wrote %s, %s and %s (%.0f s)" % (json_path, chart, args.report, results["duration_s"]))
    failed = [m["name"] for m in results["models"] if not report.mlc_ok(m)]
    if failed:
        log("FAILED (mlc): %s" % ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
