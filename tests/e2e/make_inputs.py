#!/usr/bin/env python3
"""Writes seeded random inputs for every input of an ONNX model, one .npy each.

Run with the project venv (.venv/bin/python). Floats are standard normal;
integers are uniform in [0, --int-high); bools are fair coin flips. Files are
named <input name>.npy (see npy_names.py for names with odd characters).

    make_inputs.py MODEL.onnx OUT_DIR [--seed 0] [--int-high 1000]
                   [--input-shape NAME=1x128 ...] [--print-args]

With --print-args, prints one NAME=PATH line per input, ready for
`mlc run --input NAME=PATH`.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npy_names  # noqa: E402


def parse_shape(text):
    """'NAME=1x3x224x224' -> ('NAME', (1, 3, 224, 224)). The last '=' splits."""
    name, sep, dims = text.rpartition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME=DxDxD, got %r" % text)
    try:
        shape = tuple(int(d) for d in dims.split("x")) if dims else ()
    except ValueError:
        raise argparse.ArgumentTypeError("bad dims in %r" % text)
    return name, shape


def graph_inputs(model):
    """The real inputs: graph inputs that are not initializers (old IR versions list both)."""
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def resolve_shape(value_info, overrides):
    if value_info.name in overrides:
        return overrides[value_info.name]
    dims = []
    for d in value_info.type.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        else:
            raise SystemExit("error: input %r has symbolic dim %r; pass --input-shape %s=DxD..."
                             % (value_info.name, d.dim_param or "?", value_info.name))
    return tuple(dims)


def random_tensor(rng, dtype, shape, int_high):
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, int_high, size=shape).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(size=shape).astype(dtype)
    raise SystemExit("error: unsupported input dtype %s" % dtype)


def make_inputs(model_path, out_dir, seed=0, int_high=1000, shapes=None):
    """Writes the inputs; returns [(name, path)] in graph order."""
    model = onnx.load(model_path, load_external_data=False)
    shapes = dict(shapes or {})
    known = {i.name for i in graph_inputs(model)}
    for name in shapes:
        if name not in known:
            raise SystemExit("error: --input-shape names %r, which is not an input (inputs: %s)"
                             % (name, ", ".join(sorted(known))))
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for vi in graph_inputs(model):
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type))
        data = random_tensor(rng, dtype, resolve_shape(vi, shapes), int_high)
        path = os.path.join(out_dir, npy_names.file_name(vi.name))
        np.save(path, data)
        written.append((vi.name, path))
    return written


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--int-high", type=int, default=1000,
                   help="integer inputs are drawn from [0, INT_HIGH) (default 1000)")
    p.add_argument("--input-shape", type=parse_shape, action="append", default=[],
                   metavar="NAME=DxD", help="shape for an input with symbolic dims")
    p.add_argument("--print-args", action="store_true",
                   help="print NAME=PATH per input instead of a summary")
    args = p.parse_args()
    for name, path in make_inputs(args.model, args.out_dir, args.seed, args.int_high,
                                  args.input_shape):
        if args.print_args:
            print("%s=%s" % (name, path))
        else:
            a = np.load(path)
            print("%s: %s %s -> %s" % (name, a.dtype, list(a.shape), path))


if __name__ == "__main__":
    main()
