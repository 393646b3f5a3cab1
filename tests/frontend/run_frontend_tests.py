#!/usr/bin/env python3
"""End-to-end tests of the ONNX frontend through mlc-import-onnx.

Usage: run_frontend_tests.py --tool PATH/mlc-import-onnx [--skip-numerics]
                             [--keep DIR] [-k SUBSTRING] [--fuzz-rounds N]
                             [--mlc PATH/mlc [--compiled-only] [--jobs N]]

Generates the models of make_frontend_models.py into a temporary directory,
then checks that
  * every bad model fails with exit code 1 and exactly one stderr line that
    contains the expected words;
  * every good model imports (exit 0), and importing twice prints the same
    bytes (determinism);
  * unless --skip-numerics, the reference interpreter's outputs on seeded
    inputs match onnxruntime's (rtol 1e-3, atol 1e-4; NaNs must agree);
  * with --mlc, every good model also compiles (`mlc compile --target=llvm`),
    runs (`mlc run`) on the interpreter's seeded inputs, and matches
    onnxruntime (same tolerances; ints and bools exactly; dtype and shape
    exactly). A model is skipped, with its reason printed, only when mlc
    rejects it because a dimension is left dynamic (codegen needs static
    shapes). --compiled-only runs just these checks; --jobs sets how many
    models compile at once (default 2).
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import npy_names  # noqa: E402

# The only reason a good model may fail to compile: a graph input dimension
# left dynamic (codegen needs static shapes, so the driver asks for
# --input-shape). Any other compile error is a failure.
DYNAMIC_INPUT_ERROR = re.compile(
    r"^mlc: error: input '[^']*' has dynamic shape .*; fix it with "
    r"--input-shape ")


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True,
                          errors="replace", timeout=120)


def check_bad(tool, entry):
    r = run([tool, entry["path"]] + entry["args"])
    lines = r.stderr.strip().splitlines()
    if r.returncode != 1:
        return "exit code %d (want 1); stderr: %s" % (r.returncode, r.stderr)
    if len(lines) != 1:
        return "want one stderr line, got %d: %r" % (len(lines), r.stderr)
    missing = [w for w in entry["expect"] if w.lower() not in lines[0].lower()]
    if missing:
        return "message %r lacks %r" % (lines[0], missing)
    return None


def input_names(entry):
    """The model's graph inputs that are not initializers, in order."""
    import onnx
    m = onnx.load(entry["path"], load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits]


# The extent the compiled check runs a symbolic input dim at: the model is
# compiled with the dim left symbolic, the interpreter's inputs fix it.
DYNAMIC_EXTENT = 3


def fixed_shape_args(entry):
    """--input-shape arguments fixing every symbolic input dim of a model
    that has no --input-shape of its own to DYNAMIC_EXTENT."""
    if "--input-shape" in entry["args"]:
        return []
    import onnx
    m = onnx.load(entry["path"], load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    args = []
    for vi in m.graph.input:
        if vi.name in inits or not vi.type.HasField("tensor_type"):
            continue
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            continue
        ext = [str(d.dim_value) if d.HasField("dim_value") else
               str(DYNAMIC_EXTENT) for d in dims]
        args += ["--input-shape", vi.name + "=" + ",".join(ext)]
    return args


def interpret(tool, entry, out_dir, extra=()):
    """Runs the reference interpreter on seeded inputs into out_dir
    (in_<i>.npy, out_<i>.npy); returns an error or None."""
    os.makedirs(out_dir, exist_ok=True)
    r = run([tool, entry["path"], "--interpret", out_dir, "--seed", "1"] +
            entry["args"] + list(extra))
    if r.returncode != 0:
        return "interpret failed: " + r.stderr.strip()
    return None


def run_onnxruntime(entry, feeds):
    """Returns (outputs, error)."""
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(entry["path"], opts,
                                    providers=["CPUExecutionProvider"])
        return sess.run(None, feeds), None
    except Exception as e:  # The test model itself is wrong.
        return None, "onnxruntime failed: %s" % e


def compare_outputs(outputs, expected):
    """outputs[i] is the array to check against expected[i]."""
    for i, want in enumerate(expected):
        got = outputs[i]
        if got.shape != want.shape:
            return "output %d: shape %s, onnxruntime %s" % (i, got.shape,
                                                            want.shape)
        if got.dtype != want.dtype:
            return "output %d: dtype %s, onnxruntime %s" % (i, got.dtype,
                                                            want.dtype)
        if want.dtype.kind in "fc":
            ok = np.allclose(got, want, rtol=1e-3, atol=1e-4, equal_nan=True)
        else:
            ok = np.array_equal(got, want)
        if not ok:
            diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
            return "output %d differs (max abs diff %g)\n got %s\nwant %s" % (
                i, np.nanmax(diff) if diff.size else 0, got.ravel()[:8],
                want.ravel()[:8])
    return None


def check_numerics(tool, entry, work):
    out_dir = os.path.join(work, entry["name"])
    err = interpret(tool, entry, out_dir)
    if err:
        return err
    feeds = {name: np.load(os.path.join(out_dir, "in_%d.npy" % i))
             for i, name in enumerate(input_names(entry))}
    expected, err = run_onnxruntime(entry, feeds)
    if err:
        return err
    return compare_outputs([np.load(os.path.join(out_dir, "out_%d.npy" % i))
                            for i in range(len(expected))], expected)


def mlc_shape_args(import_args):
    """mlc-import-onnx's `--input-shape x=2,3,4` is mlc's `x=2x3x4`."""
    out = list(import_args)
    for i in range(len(out) - 1):
        if out[i] == "--input-shape":
            name, _, dims = out[i + 1].partition("=")
            out[i + 1] = name + "=" + dims.replace(",", "x")
    return out


def check_compiled(tool, mlc, entry, work):
    """Compiles the model with mlc, runs it on the interpreter's seeded
    inputs and compares with onnxruntime. Returns (status, message), status
    one of "pass", "skip", "fail"."""
    import onnx
    d = os.path.join(work, entry["name"])
    os.makedirs(d, exist_ok=True)
    artifact = os.path.join(d, "model.so")
    r = run([mlc, "compile", entry["path"], "--target=llvm", "-o", artifact] +
            mlc_shape_args(entry["args"]))
    if r.returncode != 0:
        msg = r.stderr.strip()
        if r.returncode == 1 and DYNAMIC_INPUT_ERROR.match(msg) and \
                len(msg.splitlines()) == 1:
            return "skip", msg
        return "fail", "compile failed (exit %d): %s" % (r.returncode, msg)
    err = interpret(tool, entry, os.path.join(d, "interp"),
                    fixed_shape_args(entry))
    if err:
        return "fail", err
    names = input_names(entry)
    feeds, cmd = {}, [mlc, "run", artifact, "--output-dir",
                      os.path.join(d, "out")]
    for i, name in enumerate(names):
        path = os.path.join(d, "interp", "in_%d.npy" % i)
        feeds[name] = np.load(path)
        cmd += ["--input", "%s=%s" % (name, path)]
    r = run(cmd)
    if r.returncode != 0:
        return "fail", "run failed (exit %d): %s" % (r.returncode,
                                                     r.stderr.strip())
    expected, err = run_onnxruntime(entry, feeds)
    if err:
        return "fail", err
    m = onnx.load(entry["path"], load_external_data=False)
    outputs = []
    for o in m.graph.output:
        path = os.path.join(d, "out", npy_names.file_name(o.name))
        if not os.path.exists(path):
            return "fail", "mlc run wrote no %s" % path
        outputs.append(np.load(path))
    err = compare_outputs(outputs, expected)
    return ("fail", err) if err else ("pass", None)


def compiled_suite(tool, mlc, entries, work, jobs):
    """Runs check_compiled over `entries` with `jobs` threads (the work is in
    subprocesses); prints one line per skip or failure. Returns
    (passed, skipped, failed)."""
    counts = {"pass": 0, "skip": 0, "fail": 0}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(check_compiled, tool, mlc, e, work)
                   for e in entries]
        for entry, future in zip(entries, futures):
            try:
                status, msg = future.result()
            except Exception as e:  # A crash of the harness is a failure.
                status, msg = "fail", "%s: %s" % (type(e).__name__, e)
            counts[status] += 1
            if status == "skip":
                print("SKIP compiled %s: %s" % (entry["name"], msg))
            elif status == "fail":
                print("FAIL compiled %s: %s" % (entry["name"], msg))
            sys.stdout.flush()
    return counts["pass"], counts["skip"], counts["fail"]


def check_good(tool, entry, numerics, work):
    r = run([tool, entry["path"]] + entry["args"])
    if r.returncode != 0:
        return "import failed: " + r.stderr.strip()
    if not r.stdout.strip():
        return "printed nothing"
    again = run([tool, entry["path"]] + entry["args"])
    if again.stdout != r.stdout:
        return "importing twice printed different IR"
    if numerics and entry["numerics"]:
        return check_numerics(tool, entry, work)
    return None


def fuzz(tool, manifest, work, rounds=150):
    """Mutated and truncated good models must fail cleanly, never crash."""
    import random
    rng = random.Random(1234)
    os.makedirs(work, exist_ok=True)
    goods = [e for e in manifest if e["kind"] == "good" and
             not e["name"].startswith("ext_")]
    for i in range(rounds):
        entry = goods[i % len(goods)]
        with open(entry["path"], "rb") as f:
            data = bytearray(f.read())
        if i % 3 == 0:
            data = data[:rng.randrange(len(data))]
        for _ in range(rng.randrange(1, 8)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        path = os.path.join(work, "m%d.onnx" % i)
        with open(path, "wb") as f:
            f.write(bytes(data))
        r = run([tool, path] + entry["args"])
        lines = r.stderr.strip().splitlines()
        if r.returncode not in (0, 1) or (r.returncode == 1 and
                                          len(lines) != 1):
            return "mutation %d of %s: exit %d, stderr %r" % (
                i, entry["name"], r.returncode, r.stderr[-500:])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--skip-numerics", action="store_true")
    ap.add_argument("--keep", help="generate into this directory and keep it")
    ap.add_argument("-k", default="", help="only models whose name contains")
    ap.add_argument("--fuzz-rounds", type=int, default=150)
    ap.add_argument("--mlc", help="also compile and run every good model")
    ap.add_argument("--compiled-only", action="store_true",
                    help="with --mlc: only the compiled checks")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if args.compiled_only and not args.mlc:
        ap.error("--compiled-only needs --mlc")
    tool = os.path.abspath(args.tool)
    with tempfile.TemporaryDirectory() as tmp:
        models = args.keep or os.path.join(tmp, "models")
        gen = run([sys.executable, os.path.join(HERE, "make_frontend_models.py"),
                   models])
        if gen.returncode != 0:
            print(gen.stdout + gen.stderr)
            return 1
        with open(os.path.join(models, "manifest.json")) as f:
            manifest = json.load(f)
        failures = 0
        count = 0
        if args.mlc:
            goods = [e for e in manifest
                     if e["kind"] == "good" and args.k in e["name"]]
            passed, skipped, failed = compiled_suite(
                tool, os.path.abspath(args.mlc), goods,
                os.path.join(tmp, "compiled"), args.jobs)
            print("%d/%d compiled models match onnxruntime (%d skipped)" % (
                passed, passed + failed, skipped))
            failures += failed
            if args.compiled_only:
                return 1 if failures else 0
        for entry in manifest:
            if args.k not in entry["name"]:
                continue
            count += 1
            if entry["kind"] == "bad":
                err = check_bad(tool, entry)
            else:
                err = check_good(tool, entry, not args.skip_numerics,
                                 os.path.join(tmp, "run"))
            if err:
                failures += 1
                print("FAIL %s: %s" % (entry["name"], err))
        if not args.k:
            count += 1
            err = fuzz(tool, manifest, os.path.join(tmp, "fuzz"),
                       args.fuzz_rounds)
            if err:
                failures += 1
                print("FAIL fuzz: %s" % err)
        print("%d/%d frontend tests passed" % (count - failures, count))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
