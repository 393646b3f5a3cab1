#!/usr/bin/env python3
"""ONNX Resize with constant scales, sizes and roi, checked on onnx's own Resize node tests.

    .venv/bin/python tests/frontend/check_resize_constant.py --mlc build/bin/mlc \\
        --data build/conformance/data [--work DIR]

onnx's test_resize_* cases feed scales, sizes and roi as graph inputs, so
their output shapes depend on input values, which mlc does not compile (see
docs/conformance.md). Real models give them as constants. This test turns
each case into that form: every input but X becomes an initializer holding
the case's test data, and the model is compiled with `mlc compile
--target=llvm`, run with `mlc run` on X and compared with the case's expected
output as the backend tests compare (rtol 1e-3, atol 1e-7, dtype and shape
exact). Exit status 1 if any case fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import node_tests  # noqa: E402
import npy_names  # noqa: E402


def constant_form(case: node_tests.Case, set_dir: str) -> tuple[onnx.ModelProto, str]:
    """The case's model with every input but the first as an initializer; returns it and X's file."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    files = node_tests.data_files(set_dir, "input")
    graph = model.graph
    keep = graph.input[0]
    for info, path in zip(list(graph.input)[1:], files[1:]):
        value = node_tests.load_value(path, info.type)
        graph.initializer.append(numpy_helper.from_array(np.asarray(value), info.name))
    del graph.input[1:]
    assert graph.input[0] == keep
    return model, files[0]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mlc", required=True)
    p.add_argument("--data", required=True, help="the conformance data (run.py --generate-only)")
    p.add_argument("--work")
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="mlc-resize-")
    os.makedirs(work, exist_ok=True)
    names = [n for n in node_tests.case_names(args.data) if n.startswith("test_resize_")]
    if not names:
        print(f"no test_resize_* cases in {args.data}")
        return 1
    failures = 0
    for name in names:
        case = node_tests.load_case(args.data, name)
        error = None
        for set_dir in case.data_sets:
            model, x_path = constant_form(case, set_dir)
            model_path = os.path.join(work, name + ".onnx")
            onnx.save(model, model_path)
            artifact = os.path.join(work, name + ".so")
            out_dir = os.path.join(work, name + ".out")
            run = subprocess.run([args.mlc, "compile", model_path, "--target=llvm", "-o", artifact],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                error = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "compile failed"
                break
            run = subprocess.run([args.mlc, "run", artifact, "--threads", "1",
                                  "--input", f"{case.inputs[0].name}={x_path}",
                                  "--output-dir", out_dir], capture_output=True, text=True)
            if run.returncode != 0:
                error = run.stderr.strip() or "run failed"
                break
            got = [np.load(os.path.join(out_dir, npy_names.file_name(o.name))) for o in case.outputs]
            want = [node_tests.load_value(path, info.type) for info, path in
                    zip(case.outputs, node_tests.data_files(set_dir, "output"))]
            error = node_tests.compare([o.name for o in case.outputs], want, got)
            if error:
                break
        print(f"{'FAIL' if error else 'ok  '} {name}{': ' + error if error else ''}")
        failures += bool(error)
    print(f"{len(names) - failures} of {len(names)} Resize cases pass with constant scales/sizes/roi")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
