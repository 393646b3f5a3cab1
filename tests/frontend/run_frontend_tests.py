#!/usr/bin/env python3
"""End-to-end tests of the ONNX frontend through mlc-import-onnx.

Usage: run_frontend_tests.py --tool PATH/mlc-import-onnx [--skip-numerics]
                             [--keep DIR] [-k SUBSTRING] [--fuzz-rounds N]

Generates the models of make_frontend_models.py into a temporary directory,
then checks that
  * every bad model fails with exit code 1 and exactly one stderr line that
    contains the expected words;
  * every good model imports (exit 0), and importing twice prints the same
    bytes (determinism);
  * unless --skip-numerics, the reference interpreter's outputs on seeded
    inputs match onnxruntime's (rtol 1e-3, atol 1e-4; NaNs must agree).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


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


def check_numerics(tool, entry, work):
    import onnx
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    out_dir = os.path.join(work, entry["name"])
    os.makedirs(out_dir, exist_ok=True)
    r = run([tool, entry["path"], "--interpret", out_dir, "--seed", "1"] +
            entry["args"])
    if r.returncode != 0:
        return "interpret failed: " + r.stderr.strip()
    m = onnx.load(entry["path"], load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    names = [i.name for i in m.graph.input if i.name not in inits]
    feeds = {name: np.load(os.path.join(out_dir, "in_%d.npy" % i))
             for i, name in enumerate(names)}
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(entry["path"], opts,
                                    providers=["CPUExecutionProvider"])
        expected = sess.run(None, feeds)
    except Exception as e:  # The test model itself is wrong.
        return "onnxruntime failed: %s" % e
    for i, want in enumerate(expected):
        got = np.load(os.path.join(out_dir, "out_%d.npy" % i))
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
    args = ap.parse_args()
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
