#!/usr/bin/env python3
"""Casts to and from the narrow types (float8, float4, int4, int2), compiled by mlc, against onnx's reference.

    .venv/bin/python tests/e2e/check_narrow_casts.py --mlc build/bin/mlc [--work DIR]

For every narrow type T it compiles one-node models with
`mlc compile --target=llvm` and runs them with `mlc run`:
- Cast(float32 -> T, saturate=1) and, for float8, saturate=0 (for f8e8m0 also
  with each Cast-24 round_mode), on every float16
  value widened to float32, the midpoints between T's neighbouring values (the
  ties of round-to-nearest-even, and one float32 ulp either side of each), and
  huge values, infinities and NaNs;
- Cast(T -> float32) on every code of T.
The outputs must equal onnx.reference.ReferenceEvaluator's bit for bit (NaNs
compare by position: any NaN code for NaN). Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

NARROW = {
    "f8e4m3fn": TensorProto.FLOAT8E4M3FN,
    "f8e4m3fnuz": TensorProto.FLOAT8E4M3FNUZ,
    "f8e5m2": TensorProto.FLOAT8E5M2,
    "f8e5m2fnuz": TensorProto.FLOAT8E5M2FNUZ,
    "f4e2m1": TensorProto.FLOAT4E2M1,
    "i4": TensorProto.INT4,
    "u4": TensorProto.UINT4,
    "i2": TensorProto.INT2,
    "u2": TensorProto.UINT2,
    "f8e8m0": TensorProto.FLOAT8E8M0,
}
CODE_BITS = {"f4e2m1": 4, "i4": 4, "u4": 4, "i2": 2, "u2": 2}


def cast_model(src: int, dst: int, n: int, saturate: int | None,
               round_mode: str | None = None) -> onnx.ModelProto:
    attrs = {"to": dst}
    if saturate is not None:
        attrs["saturate"] = saturate
    if round_mode is not None:  # Cast-24
        attrs["round_mode"] = round_mode
    node = helper.make_node("Cast", ["x"], ["y"], **attrs)
    graph = helper.make_graph([node], "cast", [helper.make_tensor_value_info("x", src, [n])],
                              [helper.make_tensor_value_info("y", dst, [n])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 24 if round_mode else 23)])


def run_mlc(mlc: str, work: str, name: str, model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """Compiles `model`, runs it on `x` (written by onnx's numpy_helper) and reads its output."""
    model_path = os.path.join(work, name + ".onnx")
    onnx.save(model, model_path)
    artifact = os.path.join(work, name + ".so")
    subprocess.run([mlc, "compile", model_path, "--target=llvm", "-o", artifact], check=True)
    input_path = os.path.join(work, name + ".in.pb")
    with open(input_path, "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    out_dir = os.path.join(work, name + ".out")
    subprocess.run([mlc, "run", artifact, "--threads", "1", "--input", f"x={input_path}",
                    "--output-dir", out_dir], check=True, stdout=subprocess.DEVNULL)
    npy, pb = os.path.join(out_dir, "y.npy"), os.path.join(out_dir, "y.pb")
    if os.path.exists(npy):
        return np.load(npy)
    with open(pb, "rb") as f:  # float8 and sub-byte outputs
        return numpy_helper.to_array(onnx.load_tensor_from_string(f.read()))


def codes(a: np.ndarray, bits: int) -> np.ndarray:
    """The stored code of each element (low `bits` bits)."""
    return a.view(np.uint8).astype(np.int64) & ((1 << bits) - 1)


def to_float_inputs(values: np.ndarray) -> np.ndarray:
    """float32 probes: every float16, the ties between neighbouring `values` and one ulp either side."""
    f16 = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)
    v = np.unique(values[np.isfinite(values)].astype(np.float64))
    mid = ((v[:-1] + v[1:]) / 2).astype(np.float32)
    near = np.concatenate([np.nextafter(mid, np.float32(np.inf)), np.nextafter(mid, np.float32(-np.inf))])
    extra = np.array([1e30, -1e30, 3.4e38, np.inf, -np.inf, np.nan, -np.nan, 0.0, -0.0], np.float32)
    return np.concatenate([f16, mid, near, extra]).astype(np.float32)


def compare(name: str, got: np.ndarray, want: np.ndarray, bits: int, is_float: bool) -> int:
    if got.shape != want.shape or got.dtype != want.dtype:
        print(f"FAIL {name}: got {got.dtype} {got.shape}, want {want.dtype} {want.shape}")
        return 1
    if want.dtype == np.float32:  # NaN anywhere NaN
        bad = ~((got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want)))
    else:
        g, w = codes(got, bits), codes(want, bits)
        bad = g != w
        if is_float:  # any NaN code for a NaN
            bad &= ~(np.isnan(got.astype(np.float32)) & np.isnan(want.astype(np.float32)))
    count = int(np.count_nonzero(bad))
    if count:
        i = int(np.flatnonzero(bad)[0])
        print(f"FAIL {name}: {count} of {want.size} differ, first at {i}: got {got.reshape(-1)[i]!r}, "
              f"want {want.reshape(-1)[i]!r}")
        return 1
    print(f"ok   {name}: {want.size} values")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mlc", required=True)
    p.add_argument("--work")
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="mlc-narrow-")
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name, t in NARROW.items():
        bits = CODE_BITS.get(name, 8)
        is_float = name.startswith("f")
        np_type = helper.tensor_dtype_to_np_dtype(t)
        all_codes = np.arange(1 << bits, dtype=np.uint8)
        # Every code of T (4- and 2-bit integers as their values).
        if is_float:
            narrow = all_codes.view(np_type)
        else:
            signed = name.startswith("i")
            values = all_codes.astype(np.int64)
            if signed:
                values = np.where(values >= (1 << (bits - 1)), values - (1 << bits), values)
            narrow = values.astype(np_type)
        ref_values = narrow.astype(np.float32)
        x = to_float_inputs(ref_values) if is_float else np.concatenate(
            [to_float_inputs(ref_values)[::97], np.arange(-20, 20, 0.25, dtype=np.float32)])
        variants = [(s, None) for s in ((1, 0) if name.startswith("f8") else (None,))]
        if name == "f8e8m0":
            variants += [(s, m) for m in ("up", "down", "nearest") for s in (1, 0)]
        for saturate, round_mode in variants:
            case = (f"f32_to_{name}" + ("" if saturate is None else f"_sat{saturate}")
                    + ("" if round_mode is None else f"_{round_mode}"))
            model = cast_model(TensorProto.FLOAT, t, x.size, saturate, round_mode)
            want = ReferenceEvaluator(model).run(None, {"x": x})[0]
            got = run_mlc(args.mlc, work, case, model, x)
            failures += compare(case, got, want, bits, is_float)
        case = f"{name}_to_f32"
        model = cast_model(t, TensorProto.FLOAT, narrow.size, None)
        want = ReferenceEvaluator(model).run(None, {"x": narrow})[0]
        got = run_mlc(args.mlc, work, case, model, narrow)
        failures += compare(case, got, want, 32, True)
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
