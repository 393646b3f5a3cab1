#!/usr/bin/env python3
"""Checks mlc's outputs against onnxruntime on the same inputs.

Run with the project venv (.venv/bin/python):

    compare.py MODEL.onnx --inputs IN_DIR --outputs MLC_OUT_DIR [--rtol 1e-3] [--atol 1e-4]
    compare.py MODEL.onnx --inputs IN_DIR --write-reference REF_DIR

IN_DIR holds <input name>.npy per model input, MLC_OUT_DIR <output name>.npy
per model output (names encoded as in npy_names.py). Every output must match
onnxruntime's in dtype and shape exactly and in value by np.allclose(mlc, ort,
rtol, atol). Prints max abs/rel error per output; exits 1 on any mismatch.
--write-reference saves onnxruntime's outputs instead, in the same layout.
"""

import argparse
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npy_names  # noqa: E402


def run_onnxruntime(model_path, in_dir):
    """Returns {output name: array} from a single-threaded onnxruntime session."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    # Basic graph rewrites only: the reference should compute the graph as written.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in sess.get_inputs():
        path = os.path.join(in_dir, npy_names.file_name(i.name))
        if not os.path.exists(path):
            raise SystemExit("error: missing input %r (expected %s)" % (i.name, path))
        feeds[i.name] = np.load(path)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def errors(got, want, atol):
    """(max abs error, max rel error); NaNs in the same place count as equal.

    The relative error skips elements with |want| <= atol, where it means nothing.
    """
    if got.size == 0:
        return 0.0, 0.0
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    both_nan = np.isnan(g) & np.isnan(w)
    diff = np.where(both_nan, 0.0, np.abs(g - w))
    big = np.abs(w) > atol
    rel = np.where(big, diff / np.where(big, np.abs(w), 1.0), 0.0)
    return float(np.max(diff)), float(np.max(rel))


def compare_one(name, got, want, rtol, atol):
    """Prints one line; returns True when `got` matches `want`."""
    head = "%s: %s %s" % (name, want.dtype, list(want.shape))
    if got.dtype != want.dtype:
        print("%s MISMATCH dtype: mlc %s, onnxruntime %s" % (head, got.dtype, want.dtype))
        return False
    if got.shape != want.shape:
        print("%s MISMATCH shape: mlc %s, onnxruntime %s" % (head, list(got.shape),
                                                              list(want.shape)))
        return False
    if got.dtype == np.bool_ or np.issubdtype(got.dtype, np.integer):
        ok = np.array_equal(got, want)
        bad = np.count_nonzero(got != want)
    else:
        close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        ok = bool(close.all())
        bad = close.size - np.count_nonzero(close)
    max_abs, max_rel = errors(got, want, atol)
    line = "%s max_abs=%.3g max_rel=%.3g" % (head, max_abs, max_rel)
    if ok:
        print(line + " OK")
        return True
    g, w = got.astype(np.float64).ravel(), want.astype(np.float64).ravel()
    worst = int(np.nanargmax(np.abs(g - w) - atol - rtol * np.abs(w)))
    index = [int(i) for i in np.unravel_index(worst, got.shape)]
    print("%s MISMATCH %d of %d elements; worst at %s: mlc %.8g, onnxruntime %.8g"
          % (line, bad, got.size, index, g[worst], w[worst]))
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--inputs", required=True, help="directory of <input name>.npy")
    p.add_argument("--outputs", help="mlc's output directory (<output name>.npy)")
    p.add_argument("--write-reference", metavar="DIR",
                   help="write onnxruntime's outputs to DIR and exit")
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--atol", type=float, default=1e-4)
    args = p.parse_args()
    if bool(args.outputs) == bool(args.write_reference):
        p.error("give exactly one of --outputs and --write-reference")

    onnx.checker.check_model(args.model)
    want = run_onnxruntime(args.model, args.inputs)

    if args.write_reference:
        os.makedirs(args.write_reference, exist_ok=True)
        for name, value in want.items():
            np.save(os.path.join(args.write_reference, npy_names.file_name(name)), value)
            print("%s: %s %s" % (name, value.dtype, list(value.shape)))
        return 0

    ok = True
    for name, value in want.items():
        path = os.path.join(args.outputs, npy_names.file_name(name))
        raw = os.path.join(args.outputs, name + ".npy")
        if not os.path.exists(path) and "/" not in name and os.path.exists(raw):
            path = raw  # tolerate an unencoded name
        if not os.path.exists(path):
            print("%s: MISSING (expected %s)" % (name, path))
            ok = False
            continue
        ok &= compare_one(name, np.load(path), value, args.rtol, args.atol)
    print("PASS" if ok else "FAIL", "(rtol=%g atol=%g)" % (args.rtol, args.atol))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
