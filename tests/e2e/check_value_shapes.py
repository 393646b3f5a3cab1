#!/usr/bin/env python3
"""Shapes from input values, end to end: each model compiled once, run at several input values.

    .venv/bin/python tests/e2e/check_value_shapes.py --mlc build/bin/mlc [--work DIR]

Each model takes a shape-giving integer input (Reshape's shape, Reduce*'s,
Squeeze's and Unsqueeze's axes, Expand's shape, OneHot's depth, Range's
bounds) as a
graph input, so its output shape is known only at run time. Every model is
compiled once with `mlc compile --target=llvm`; then for each set of values
`mlc run` must match onnxruntime (dtype and shape exact, fp32 rtol 1e-3,
atol 1e-4), and for each bad set it must exit 1 with one "mlc: error:" line
naming the problem (an axis out of range, a shape that does not fit the
data, a dim that cannot broadcast). NonZero and Compress have dims the run computes
from the data, and so does NonMaxSuppression's selected count. Resize
takes run-time scales and sizes (antialiased too), Tile run-time repeats,
HannWindow a run-time size, STFT a run-time hop and frame length,
MelWeightMatrix run-time bin counts, Col2Im a run-time image and block
shape, and CenterCropPad's function body does its shape math on a
run-time target shape. Also checks `mlc inspect` shows the symbols and that
compiling twice gives the same bytes.
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
from onnx import TensorProto, helper

RNG = np.random.default_rng(7)


F, I64 = TensorProto.FLOAT, TensorProto.INT64


def model(name, node, inputs, output, opset=18, out_type=None):
    if out_type is None:
        out_type = TensorProto.INT64 if node.op_type == "Range" else TensorProto.FLOAT
    graph = helper.make_graph([node], name, inputs,
                              [helper.make_tensor_value_info(output, out_type, None)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


def info(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def center_crop_pad_expanded():
    """CenterCropPad-18's function body, on a run-time target shape."""
    n = helper.make_node
    two = helper.make_tensor("two", I64, [1], [2])
    nodes = [
        n("Shape", ["x"], ["xs"]),
        n("Max", ["xs", "shape"], ["padded"]),
        n("Sub", ["padded", "xs"], ["amount"]),
        n("Div", ["amount", "two"], ["left"]),
        n("Sub", ["amount", "left"], ["right"]),
        n("Concat", ["left", "right"], ["pads"], axis=0),
        n("Pad", ["x", "pads"], ["xp"]),
        n("Shape", ["xp"], ["ps"]),
        n("Sub", ["ps", "shape"], ["diff"]),
        n("Div", ["diff", "two"], ["starts"]),
        n("Add", ["starts", "shape"], ["ends"]),
        n("Slice", ["xp", "starts", "ends"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "center_crop_pad_expanded",
                              [info("x", F, [5, 4]), info("shape", I64, [2])],
                              [helper.make_tensor_value_info("y", F, None)],
                              initializer=[two])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 9
    return m


X = RNG.standard_normal((2, 3, 4)).astype(np.float32)

CASES = [
    # name, model, good input sets, bad input sets (values, expected text)
    ("reshape",
     model("reshape", helper.make_node("Reshape", ["x", "shape"], ["y"]),
           [info("x", F, [2, 3, 4]), info("shape", I64, [3])], "y"),
     [{"shape": [4, 3, 2]}, {"shape": [0, -1, 2]}, {"shape": [-1, 1, 1]},
      {"shape": [24, 1, 1]}],
     [({"shape": [5, 5, 1]}, "the target shape does not hold the 24 elements of f32[2,3,4]"),
      ({"shape": [-1, -1, 2]}, "more than one -1"),
      ({"shape": [-3, 1, 1]}, "below -1")]),
    ("reduce_sum_keepdims",
     model("reduce_sum_keepdims",
           helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=1),
           [info("x", F, [2, 3, 4]), info("axes", I64, [1])], "y"),
     [{"axes": [0]}, {"axes": [1]}, {"axes": [-1]}],
     [({"axes": [3]}, "out of range"), ({"axes": [-4]}, "out of range")]),
    ("reduce_max_two_axes",
     model("reduce_max_two_axes",
           helper.make_node("ReduceMax", ["x", "axes"], ["y"], keepdims=0),
           [info("x", F, [2, 3, 4]), info("axes", I64, [2])], "y"),
     [{"axes": [0, 2]}, {"axes": [2, 1]}, {"axes": [-3, 1]}],
     [({"axes": [1, 1]}, "twice")]),
    ("reduce_log_sum_exp",
     model("reduce_log_sum_exp",
           helper.make_node("ReduceLogSumExp", ["x", "axes"], ["y"], keepdims=0),
           [info("x", F, [2, 3, 4]), info("axes", I64, [1])], "y"),
     [{"axes": [1]}, {"axes": [2]}], []),
    ("unsqueeze",
     model("unsqueeze", helper.make_node("Unsqueeze", ["x", "axes"], ["y"]),
           [info("x", F, [2, 3, 4]), info("axes", I64, [2])], "y"),
     [{"axes": [0, 4]}, {"axes": [1, -1]}, {"axes": [2, 3]}],
     [({"axes": [0, 5]}, "out of range")]),
    ("squeeze",
     model("squeeze", helper.make_node("Squeeze", ["x", "axes"], ["y"]),
           [info("x", F, [2, 1, 4, 1]), info("axes", I64, [1])], "y"),
     [{"axes": [1]}, {"axes": [-1]}],
     [({"axes": [0]}, "cannot be squeezed")]),
    ("onehot_depth",
     model("onehot_depth",
           helper.make_node("OneHot", ["idx", "depth", "vals"], ["y"], axis=1),
           [info("idx", I64, [2, 3]), info("depth", F, []), info("vals", F, [2])], "y", opset=11),
     [{"idx": [[0, 1, 2], [-1, 3, 5]], "depth": 4.0, "vals": [0.5, 2.0]},
      {"idx": [[0, 1, 2], [-1, 3, 5]], "depth": 7.9, "vals": [0.0, 1.0]}],
     [({"idx": [[0, 1, 2], [0, 0, 0]], "depth": 0.0, "vals": [0.0, 1.0]}, "depth must be >= 1")]),
    ("range_limit",
     model("range_limit",
           helper.make_node("Range", ["start", "limit", "delta"], ["r"]),
           [info("start", I64, []), info("limit", I64, []), info("delta", I64, [])], "r", opset=11),
     [{"start": 0, "limit": 5, "delta": 1}, {"start": 10, "limit": -3, "delta": -4},
      {"start": 3, "limit": 3, "delta": 2}],
     [({"start": 0, "limit": 5, "delta": 0}, "delta must not be 0")]),
    ("slice",
     model("slice", helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"]),
           [info("x", F, [2, 3, 4]), info("starts", I64, [2]), info("ends", I64, [2]),
            info("axes", I64, [2]), info("steps", I64, [2])], "y"),
     [{"starts": [0, 1], "ends": [2, 4], "axes": [0, 2], "steps": [1, 2]},
      {"starts": [-1, 3], "ends": [-100, 0], "axes": [1, -1], "steps": [-1, -2]},
      {"starts": [5, 0], "ends": [9, 1], "axes": [2, 0], "steps": [1, 1]}],
     [({"starts": [0, 0], "ends": [1, 1], "axes": [0, 0], "steps": [1, 1]}, "twice"),
      ({"starts": [0, 0], "ends": [1, 1], "axes": [0, 1], "steps": [1, 0]}, "steps[1] is 0")]),
    ("split",
     model("split", helper.make_node("Split", ["x", "split"], ["y", "z"], axis=2),
           [info("x", F, [2, 3, 4]), info("split", I64, [2])], "y"),
     [{"split": [1, 3]}, {"split": [4, 0]}],
     [({"split": [2, 3]}, "do not sum"), ({"split": [5, -1]}, "negative")]),
    ("topk",
     model("topk", helper.make_node("TopK", ["x", "k"], ["y", "i"], axis=1, largest=0),
           [info("x", F, [2, 3, 4]), info("k", I64, [1])], "y"),
     [{"k": [2]}, {"k": [3]}, {"k": [0]}],
     [({"k": [4]}, "k must be in [0, 3]")]),
    # Dims the run computes from the data (load symbols): the caller
    # allocates the largest output, the run reports the actual extents.
    ("nonzero",
     model("nonzero", helper.make_node("NonZero", ["x"], ["y"]),
           [info("x", F, [2, 3])], "y", opset=13, out_type=TensorProto.INT64),
     [{"x": [[0, 1, 0], [2, 0, 3]]}, {"x": [[0, 0, 0], [0, 0, 0]]},
      {"x": [[1, 1, 1], [1, 1, 1]]}], []),
    ("compress",
     model("compress", helper.make_node("Compress", ["x", "c"], ["y"], axis=1),
           [info("x", F, [2, 3, 4]), info("c", TensorProto.BOOL, [3])], "y", opset=11),
     [{"c": [True, False, True]}, {"c": [False, False, False]}, {"c": [True, True, True]}],
     []),
    ("unique",
     model("unique", helper.make_node("Unique", ["x"], ["y", "i", "inv", "c"], sorted=1),
           [info("x", F, [6])], "y", opset=11),
     [{"x": [2, 1, 1, 3, 4, 3]}, {"x": [5, 5, 5, 5, 5, 5]}, {"x": [6, 5, 4, 3, 2, 1]}], []),
    ("expand",
     model("expand", helper.make_node("Expand", ["x", "shape"], ["y"]),
           [info("x", F, [3, 1]), info("shape", I64, [3])], "y"),
     [{"shape": [2, 3, 4]}, {"shape": [1, 1, 1]}, {"shape": [5, 3, 7]}],
     [({"shape": [1, 2, 4]}, "cannot broadcast")]),
    # Resize with run-time scales or sizes: extents floor(scale * extent)
    # or the sizes, taps computed at run time.
    ("resize_scales",
     model("resize_scales",
           helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear"),
           [info("x", F, [1, 2, 4, 5]), info("scales", F, [4])], "y", opset=19),
     [{"scales": [1, 1, 2, 0.6]}, {"scales": [1, 1, 0.5, 1.5]}, {"scales": [1, 2, 1, 1]}],
     [({"scales": [1, 1, 0.1, 1]}, "gives output dim 2 no elements")]),
    ("resize_sizes",
     model("resize_sizes",
           helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="nearest",
                            coordinate_transformation_mode="asymmetric"),
           [info("x", F, [1, 2, 4, 5]), info("sizes", I64, [4])], "y", opset=19),
     [{"sizes": [1, 2, 7, 3]}, {"sizes": [1, 2, 2, 10]}],
     [({"sizes": [1, 2, 0, 3]}, "gives output dim 2 no elements")]),
    # Antialiased downsampling: the filter's footprint follows the scale.
    ("resize_antialias",
     model("resize_antialias",
           helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="cubic",
                            antialias=1),
           [info("x", F, [1, 2, 12, 9]), info("scales", F, [4])], "y", opset=19),
     [{"scales": [1, 1, 0.3, 0.5]}, {"scales": [1, 1, 0.75, 2.0]},
      {"scales": [1, 1, 1.0, 0.2]}],
     [({"scales": [1, 1, 0.05, 1]}, "gives output dim 2 no elements")]),
    # Dims computed from a run-time size (CenterCropPad's function body:
    # Max, Sub, Div of the sizes, then Pad and Slice by the results).
    ("center_crop_pad_expanded", center_crop_pad_expanded(),
     [{"shape": [6, 8]}, {"shape": [3, 3]}, {"shape": [10, 2]}], []),
    # STFT with a run-time hop and frame length: the frame count and the
    # DFT matrix [N, K] follow the values.
    ("stft",
     model("stft", helper.make_node("STFT", ["x", "step", "", "len"], ["y"]),
           [info("x", F, [2, 64, 1]), info("step", I64, []), info("len", I64, [])],
           "y", opset=17),
     [{"step": 8, "len": 16}, {"step": 5, "len": 21}, {"step": 16, "len": 7}],
     [({"step": 0, "len": 16}, "frame_step must be positive"),
      ({"step": 4, "len": 65}, "frame_length exceeds the signal length")]),
    ("mel_weight_matrix",
     model("mel_weight_matrix",
           helper.make_node("MelWeightMatrix", ["bins", "dft", "rate", "lo", "hi"], ["y"]),
           [info("bins", TensorProto.INT32, []), info("dft", TensorProto.INT32, []),
            info("rate", TensorProto.INT32, []), info("lo", F, []), info("hi", F, [])],
           "y", opset=17),
     [{"bins": 8, "dft": 16, "rate": 8192, "lo": 0.0, "hi": 4096.0},
      {"bins": 20, "dft": 64, "rate": 16000, "lo": 100.0, "hi": 7000.0}],
     [({"bins": 0, "dft": 16, "rate": 8192, "lo": 0.0, "hi": 4096.0},
       "num_mel_bins must be positive"),
      ({"bins": 2147483647, "dft": 2147483646, "rate": 8192, "lo": 0.0, "hi": 4096.0},
       "overflows")]),
    # Col2Im with a run-time image and block shape: the kernel geometry and
    # the output dims follow the values.
    ("col2im",
     model("col2im", helper.make_node("Col2Im", ["x", "image", "block"], ["y"]),
           [info("x", F, [1, 4, 12]), info("image", I64, [2]), info("block", I64, [2])],
           "y", opset=18),
     [{"image": [4, 5], "block": [2, 2]}, {"image": [3, 7], "block": [1, 4]},
      {"image": [6, 4], "block": [4, 1]}],
     [({"image": [4, 5], "block": [3, 3]}, "is not a multiple of prod(block_shape)"),
      ({"image": [5, 5], "block": [2, 2]}, "is not the number of sliding blocks")]),
    ("tile",
     model("tile", helper.make_node("Tile", ["x", "repeats"], ["y"]),
           [info("x", F, [2, 3]), info("repeats", I64, [2])], "y"),
     [{"repeats": [2, 3]}, {"repeats": [1, 1]}, {"repeats": [3, 1]}],
     [({"repeats": [-1, 2]}, "repeats[0] is negative")]),
    ("hann_window",
     model("hann_window", helper.make_node("HannWindow", ["size"], ["y"]),
           [info("size", I64, [])], "y", opset=17),
     [{"size": 5}, {"size": 16}], [({"size": -2}, "size must not be negative")]),
    # NonMaxSuppression: the selected count is computed by the run.
    ("nms",
     model("nms",
           helper.make_node("NonMaxSuppression",
                            ["boxes", "scores", "max", "iou", "score"], ["y"]),
           [info("boxes", F, [2, 8, 4]), info("scores", F, [2, 3, 8]),
            info("max", I64, [1]), info("iou", F, [1]), info("score", F, [1])],
           "y", opset=11, out_type=TensorProto.INT64),
     [{"max": [3], "iou": [0.3], "score": [0.0]},
      {"max": [10], "iou": [0.7], "score": [-10.0]},
      {"max": [0], "iou": [0.5], "score": [0.0]}], []),
]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def inputs_for(case_model, values):
    feeds = {}
    for i in case_model.graph.input:
        dtype = {F: np.float32, TensorProto.BOOL: np.bool_, TensorProto.INT32: np.int32}.get(
            i.type.tensor_type.elem_type, np.int64)
        if i.name in values:
            feeds[i.name] = np.array(values[i.name], dtype=dtype)
        else:
            dims = [d.dim_value for d in i.type.tensor_type.shape.dim]
            feeds[i.name] = RNG.standard_normal(dims).astype(np.float32)
    return feeds


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mlc", required=True)
    p.add_argument("--work", default=None)
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="mlc-value-shapes-")
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name, m, good, bad in CASES:
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "model.onnx")
        onnx.save(m, path)
        so = os.path.join(d, "model.so")
        r = run([args.mlc, "compile", path, "--target=llvm", "-o", so])
        if r.returncode != 0:
            print(f"FAIL {name}: compile: {r.stderr.strip()}")
            failures += 1
            continue
        r2 = run([args.mlc, "compile", path, "--target=llvm", "-o", so + ".again"])
        if r2.returncode != 0 or open(so, "rb").read() != open(so + ".again", "rb").read():
            print(f"FAIL {name}: compiling twice gives different bytes")
            failures += 1
        inspect = run([args.mlc, "inspect", so]).stdout
        if "symbol" not in inspect:
            print(f"FAIL {name}: mlc inspect shows no value symbol:\n{inspect}")
            failures += 1
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for k, values in enumerate(good + [v for v, _ in bad]):
            feeds = inputs_for(m, values)
            run_dir = os.path.join(d, f"run{k}")
            os.makedirs(run_dir, exist_ok=True)
            cli = [args.mlc, "run", so, "--output-dir", os.path.join(run_dir, "out")]
            for key, arr in feeds.items():
                f = os.path.join(run_dir, key + ".npy")
                np.save(f, arr)
                cli += ["--input", f"{key}={f}"]
            r = run(cli)
            if k < len(good):
                if r.returncode != 0:
                    print(f"FAIL {name} {values}: mlc run: {r.stderr.strip()}")
                    failures += 1
                    continue
                want = session.run(None, feeds)[0]
                out_name = m.graph.output[0].name
                got = np.load(os.path.join(run_dir, "out", out_name + ".npy"))
                if got.dtype != want.dtype or got.shape != want.shape or not np.allclose(
                        got, want, rtol=1e-3, atol=1e-4):
                    print(f"FAIL {name} {values}: got {got.dtype}{got.shape}, "
                          f"onnxruntime {want.dtype}{want.shape}")
                    failures += 1
                    continue
                print(f"ok   {name} {values}: {list(got.shape)}")
            else:
                expect = bad[k - len(good)][1]
                lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
                if (r.returncode != 1 or len(lines) != 1 or not lines[0].startswith("mlc: error:")
                        or expect not in lines[0]):
                    print(f"FAIL {name} {values}: expected exit 1 and one error line "
                          f"with '{expect}', got {r.returncode}: {r.stderr.strip()}")
                    failures += 1
                    continue
                print(f"ok   {name} {values}: {lines[0]}")
    print("FAILED" if failures else "PASSED", f"({failures} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
