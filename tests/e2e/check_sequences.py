#!/usr/bin/env python3
"""Sequences, optionals, unrolled Loop and dynamic-dim broadcasting, against onnxruntime.

    .venv/bin/python tests/e2e/check_sequences.py --mlc build/bin/mlc [--work DIR]

Each model is compiled once with the structure of its sequence and optional
inputs (`--sequence-length`, `--absent-input`), run with `mlc run` on ONNX
SequenceProto / OptionalProto / TensorProto files, and its outputs (read back
from the .pb or .npy files `mlc run` writes) must match onnxruntime's (fp32
rtol 1e-3, atol 1e-4; integers exactly). The bad cases must fail with one
`mlc: error:` line and a non-zero exit, never a crash.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "conformance"))
import node_tests  # noqa: E402
import npy_names  # noqa: E402

F = TensorProto.FLOAT


def seq_type(dims: list[Any] | None) -> onnx.TypeProto:
    return helper.make_sequence_type_proto(helper.make_tensor_type_proto(F, dims))


def model(nodes, inputs, outputs, inits=(), opset=18) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9

    return m


def split_map_concat() -> onnx.ModelProto:
    """SplitToSequence -> SequenceMap (relu(x) * w) -> ConcatFromSequence: sequences inside."""
    body = helper.make_graph(
        [helper.make_node("Relu", ["e"], ["r"]), helper.make_node("Mul", ["r", "w"], ["o"])],
        "body", [helper.make_tensor_value_info("e", F, [2, "k"])],
        [helper.make_tensor_value_info("o", F, [2, "k"])])
    w = numpy_helper.from_array(np.array([[0.5], [2.0]], np.float32), "w")
    return model(
        [helper.make_node("SplitToSequence", ["x", "sizes"], ["s"], axis=1),
         helper.make_node("SequenceMap", ["s"], ["m"], body=body),
         helper.make_node("ConcatFromSequence", ["m"], ["y"], axis=1)],
        [helper.make_tensor_value_info("x", F, [2, 7])],
        [helper.make_tensor_value_info("y", F, None)],
        [w, numpy_helper.from_array(np.array([3, 1, 3], np.int64), "sizes")])


def sequence_io() -> onnx.ModelProto:
    """A sequence input of differently shaped tensors; insert, erase, at, concat; a sequence output."""
    return model(
        [helper.make_node("SequenceInsert", ["s", "t", "one"], ["s1"]),
         helper.make_node("SequenceErase", ["s1", "minus_one"], ["s2"]),
         helper.make_node("SequenceAt", ["s2", "zero"], ["first"]),
         helper.make_node("SequenceLength", ["s2"], ["n"]),
         helper.make_node("Sigmoid", ["first"], ["y"]),
         # Stacking tensors of dynamic lengths (equal at run time): a concat
         # whose dims off the axis are dynamic.
         helper.make_node("ConcatFromSequence", ["u"], ["stacked"], axis=0, new_axis=1)],
        [helper.make_value_info("s", seq_type(["d"])),
         helper.make_tensor_value_info("t", F, [4]),
         helper.make_value_info("u", seq_type(["e", 2]))],
        [helper.make_value_info("s2", seq_type(None)),
         helper.make_tensor_value_info("y", F, None),
         helper.make_tensor_value_info("n", TensorProto.INT64, []),
         helper.make_tensor_value_info("stacked", F, None)],
        [numpy_helper.from_array(np.array(1, np.int64), "one"),
         numpy_helper.from_array(np.array(-1, np.int64), "minus_one"),
         numpy_helper.from_array(np.array(0, np.int64), "zero")])


def loop_accumulate() -> onnx.ModelProto:
    """Loop with a constant trip count: a carried sum, a carried sequence and a scan output."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("Cast", ["i"], ["i_f"], to=F),
         helper.make_node("Mul", ["x", "i_f"], ["xi"]),
         helper.make_node("Add", ["acc_in", "xi"], ["acc_out"]),
         helper.make_node("SequenceInsert", ["seq_in", "acc_out"], ["seq_out"]),
         helper.make_node("Tanh", ["acc_out"], ["scan"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", F, [3]),
         helper.make_value_info("seq_in", seq_type([3]))],
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", F, [3]),
         helper.make_value_info("seq_out", seq_type([3])),
         helper.make_tensor_value_info("scan", F, [3])])
    return model(
        [helper.make_node("SequenceEmpty", [], ["empty"], dtype=F),
         helper.make_node("Loop", ["trips", "", "acc0", "empty"], ["acc", "seq", "scans"],
                          body=body),
         helper.make_node("ConcatFromSequence", ["seq"], ["stacked"], axis=0, new_axis=1)],
        [helper.make_tensor_value_info("x", F, [3]),
         helper.make_tensor_value_info("acc0", F, [3])],
        [helper.make_tensor_value_info("acc", F, None),
         helper.make_tensor_value_info("stacked", F, None),
         helper.make_tensor_value_info("scans", F, None)],
        [numpy_helper.from_array(np.array(4, np.int64), "trips")])


def optional_tensor() -> onnx.ModelProto:
    """An optional tensor input: OptionalHasElement and OptionalGetElement."""
    opt = helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [3]))
    return model(
        [helper.make_node("OptionalHasElement", ["o"], ["has"]),
         helper.make_node("OptionalGetElement", ["o"], ["v"]),
         helper.make_node("Neg", ["v"], ["y"])],
        [helper.make_value_info("o", opt)],
        [helper.make_tensor_value_info("has", TensorProto.BOOL, []),
         helper.make_tensor_value_info("y", F, None)])


def broadcast_dynamic() -> onnx.ModelProto:
    """Add of two inputs with different dynamic dims: equal at run time, or refused."""
    return model([helper.make_node("Add", ["a", "b"], ["y"])],
                 [helper.make_tensor_value_info("a", F, ["n"]),
                  helper.make_tensor_value_info("b", F, ["m"])],
                 [helper.make_tensor_value_info("y", F, None)])


def tensor_op_on_sequence() -> onnx.ModelProto:
    return model([helper.make_node("Relu", ["s"], ["y"])],
                 [helper.make_value_info("s", seq_type([2]))],
                 [helper.make_tensor_value_info("y", F, None)])


def write_value(path: str, value: Any, type_proto: onnx.TypeProto, name: str) -> None:
    if type_proto.HasField("sequence_type"):
        proto: Any = numpy_helper.from_list(value, name)
    elif type_proto.HasField("optional_type"):
        proto = numpy_helper.from_optional(value, name)
    else:
        proto = numpy_helper.from_array(value, name)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


def read_output(out_dir: str, info: onnx.ValueInfoProto) -> Any:
    stem = os.path.join(out_dir, npy_names.encode(info.name))
    if os.path.exists(stem + ".npy"):
        return np.load(stem + ".npy")
    return node_tests.load_value(stem + ".pb", info.type)


def same(got: Any, want: Any) -> bool:
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(
            same(g, w) for g, w in zip(got, want))
    if want is None or got is None:
        return want is None and got is None
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    if want.dtype.kind in "f":
        return bool(np.allclose(got, want, rtol=1e-3, atol=1e-4))
    return bool(np.array_equal(got, want))


class Checker:
    def __init__(self, mlc: str, work: str):
        self.mlc, self.work, self.failures = mlc, work, 0

    def report(self, ok: bool, name: str, detail: str = "") -> None:
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
        self.failures += not ok

    def prepare(self, name: str, m: onnx.ModelProto, flags: list[str]) -> tuple[str, str, Any]:
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        path, so = os.path.join(d, "model.onnx"), os.path.join(d, "model.so")
        onnx.save(m, path)
        r = subprocess.run([self.mlc, "compile", path, "--target=llvm", "-o", so, *flags],
                           capture_output=True, text=True)
        return d, so, r

    def run(self, d: str, so: str, m: onnx.ModelProto, feeds: dict[str, Any],
            tag: str = "") -> subprocess.CompletedProcess[str]:
        cmd = [self.mlc, "run", so, "--output-dir", os.path.join(d, "out" + tag)]
        types = {i.name: i.type for i in m.graph.input}
        for k, v in feeds.items():
            p = os.path.join(d, f"{k}{tag}.pb")
            write_value(p, v, types[k], k)
            cmd += ["--input", f"{k}={p}"]
        return subprocess.run(cmd, capture_output=True, text=True)

    def matches(self, name: str, m: onnx.ModelProto, feeds: dict[str, Any],
                flags: list[str]) -> None:
        d, so, r = self.prepare(name, m, flags)
        if r.returncode == 0:
            r = self.run(d, so, m, feeds)
        if r.returncode != 0:
            self.report(False, name, r.stderr.strip())
            return
        sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        want = sess.run(None, feeds)
        for info, w in zip(m.graph.output, want):
            got = read_output(os.path.join(d, "out"), info)
            self.report(same(got, w), f"{name} {info.name}")

    def fails(self, name: str, r: subprocess.CompletedProcess[str], expect: str) -> None:
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        ok = (r.returncode not in (0,) and r.returncode > 0 and len(lines) == 1
              and lines[0].startswith("mlc: error: ") and expect in lines[0])
        self.report(ok, name, "" if ok else f"rc {r.returncode}: {r.stderr.strip()!r}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mlc", required=True)
    p.add_argument("--work", default=None)
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="mlc-sequences-")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(5)
    c = Checker(args.mlc, work)

    def r(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    c.matches("split_map_concat", split_map_concat(), {"x": r(2, 7)}, [])
    seq = [r(3), r(5), r(2)]
    c.matches("sequence_io", sequence_io(), {"s": seq, "t": r(4), "u": [r(3, 2), r(3, 2)]},
              ["--sequence-length", "s=3", "--sequence-length", "u=2"])
    c.matches("loop_accumulate", loop_accumulate(), {"x": r(3), "acc0": r(3)}, [])
    # onnxruntime takes an optional tensor input as the tensor itself.
    c.matches("optional_tensor", optional_tensor(), {"o": r(3)}, [])
    c.matches("broadcast_dynamic", broadcast_dynamic(), {"a": r(6), "b": r(6)}, [])

    # Bad inputs: one error line each.
    m = sequence_io()
    d, so, res = c.prepare("no_length", m, ["--sequence-length", "u=2"])
    c.fails("no_length", res, "give it with --sequence-length s=N")
    d, so, res = c.prepare("wrong_length", m,
                           ["--sequence-length", "s=2", "--sequence-length", "u=2"])
    if res.returncode != 0:
        c.report(False, "wrong_length compile", res.stderr.strip())
    else:
        u = [r(3, 2), r(3, 2)]
        c.fails("wrong_length", c.run(d, so, m, {"s": seq, "t": r(4), "u": u}),
                "is a sequence of 2 tensors in this artifact")
        c.fails("unequal_stack", c.run(d, so, m, {"s": seq[:2], "t": r(4),
                                                   "u": [r(3, 2), r(4, 2)]}, "_bad"),
                "must equal")
    d, so, res = c.prepare("tensor_op_on_sequence", tensor_op_on_sequence(),
                           ["--sequence-length", "s=1"])
    c.fails("tensor_op_on_sequence", res, "input 's' is a sequence; Relu takes tensors")
    m = optional_tensor()
    d, so, res = c.prepare("absent_optional", m, ["--absent-input", "o"])
    c.fails("absent_optional", res, "the optional is empty")
    m = broadcast_dynamic()
    d, so, res = c.prepare("broadcast_mismatch", m, [])
    if res.returncode != 0:
        c.report(False, "broadcast_mismatch compile", res.stderr.strip())
    else:
        c.fails("broadcast_mismatch", c.run(d, so, m, {"a": r(6), "b": r(4)}, "_bad"),
                "must equal")
    print("PASSED (0 failures)" if c.failures == 0 else f"FAILED ({c.failures} failures)")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
