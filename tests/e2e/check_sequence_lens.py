#!/usr/bin/env python3
"""RNN, GRU and LSTM with sequence_lens shorter than the sequence, against onnxruntime.

    .venv/bin/python tests/e2e/check_sequence_lens.py --mlc build/bin/mlc [--work DIR]

The ONNX node tests only feed full lengths. Here each op, in each direction,
runs a batch of three whose lengths are 5, 2 and 1 of 5 steps (a run-time
int32 input): past an entry's length its state must stay and Y must be 0,
and the reverse direction must start at the entry's own end. Y and Y_h must
match onnxruntime (fp32 rtol 1e-3, atol 1e-4).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HIDDEN, INPUT, STEPS, BATCH = 3, 4, 5, 3
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def build(op: str, direction: str, rng: np.random.Generator) -> onnx.ModelProto:
    dirs = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    weights = [
        numpy_helper.from_array(
            rng.standard_normal((dirs, g * HIDDEN, INPUT)).astype(np.float32), "W"),
        numpy_helper.from_array(
            rng.standard_normal((dirs, g * HIDDEN, HIDDEN)).astype(np.float32), "R"),
        numpy_helper.from_array(
            rng.standard_normal((dirs, 2 * g * HIDDEN)).astype(np.float32), "B"),
    ]
    node = helper.make_node(op, ["X", "W", "R", "B", "L"], ["Y", "Y_h"],
                            hidden_size=HIDDEN, direction=direction)
    graph = helper.make_graph(
        [node], f"{op}_{direction}",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [STEPS, BATCH, INPUT]),
         helper.make_tensor_value_info("L", TensorProto.INT32, [BATCH])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, None)],
        initializer=weights)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mlc", required=True)
    p.add_argument("--work", default=None)
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="mlc-sequence-lens-")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(3)
    failures = 0
    for op in GATES:
        for direction in ("forward", "reverse", "bidirectional"):
            name = f"{op}_{direction}"
            d = os.path.join(work, name)
            os.makedirs(d, exist_ok=True)
            m = build(op, direction, rng)
            path, so = os.path.join(d, "model.onnx"), os.path.join(d, "model.so")
            onnx.save(m, path)
            x = rng.standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
            lens = np.array([5, 2, 1], np.int32)
            np.save(os.path.join(d, "X.npy"), x)
            np.save(os.path.join(d, "L.npy"), lens)
            r = subprocess.run([args.mlc, "compile", path, "--target=llvm", "-o", so],
                               capture_output=True, text=True)
            if r.returncode == 0:
                r = subprocess.run(
                    [args.mlc, "run", so, "--input", f"X={d}/X.npy", "--input",
                     f"L={d}/L.npy", "--output-dir", os.path.join(d, "out")],
                    capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {name}: {r.stderr.strip()}")
                failures += 1
                continue
            want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
                None, {"X": x, "L": lens})
            for out, w in zip(("Y", "Y_h"), want):
                got = np.load(os.path.join(d, "out", out + ".npy"))
                if got.shape != w.shape or not np.allclose(got, w, rtol=1e-3, atol=1e-4):
                    print(f"FAIL {name} {out}: max abs diff "
                          f"{np.abs(got.astype(np.float64) - w).max()}")
                    failures += 1
                else:
                    print(f"ok   {name} {out}")
    print("PASSED (0 failures)" if failures == 0 else f"FAILED ({failures} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
