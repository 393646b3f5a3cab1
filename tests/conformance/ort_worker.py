"""Runs node test cases through onnxruntime, for run.py's side-by-side column.

run.py keeps one of these per job and writes one case directory per line on
its stdin; for each it answers one JSON line, {"ok": bool, "error": str},
once every data set is run and compared (node_tests.compare). It runs in its
own process so that a crash or a hang in onnxruntime costs one case, not the
whole run. Anything else printed, by onnxruntime too, goes to stderr.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto

import node_tests

# Element types numpy has no type of its own for (onnx reads them as
# ml_dtypes arrays, one element per byte) and their width in bits.
# onnxruntime's Python API takes and gives them only as OrtValues, with the
# sub-byte types packed, first element in the lowest bits.
_ORT_VALUE_BITS = {
    TensorProto.BFLOAT16: 16,
    TensorProto.FLOAT8E4M3FN: 8, TensorProto.FLOAT8E4M3FNUZ: 8,
    TensorProto.FLOAT8E5M2: 8, TensorProto.FLOAT8E5M2FNUZ: 8,
    TensorProto.FLOAT8E8M0: 8,
    TensorProto.INT4: 4, TensorProto.UINT4: 4, TensorProto.FLOAT4E2M1: 4,
    TensorProto.INT2: 2, TensorProto.UINT2: 2,
}


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def elem_type(info: onnx.ValueInfoProto) -> int:
    return info.type.tensor_type.elem_type if info.type.HasField("tensor_type") else 0


def to_ort_value(array: np.ndarray, onnx_type: int) -> ort.OrtValue:
    bits = _ORT_VALUE_BITS[onnx_type]
    raw = np.ascontiguousarray(array).view(np.uint8 if bits <= 8 else np.uint16).ravel()
    if bits < 8:
        per_byte = 8 // bits
        codes = np.zeros(-(-raw.size // per_byte) * per_byte, np.uint8)
        codes[:raw.size] = raw & ((1 << bits) - 1)
        codes = codes.reshape(-1, per_byte) << (np.arange(per_byte, dtype=np.uint8) * bits)
        raw = np.bitwise_or.reduce(codes, axis=1)
        # ortvalue_from_numpy_with_onnx_type takes the shape from the array:
        # make a tensor of the right shape and copy the packed bytes into it.
        value = ort.OrtValue.ortvalue_from_shape_and_type(list(array.shape), onnx_type)
        ctypes.memmove(value.data_ptr(), raw.ctypes.data, raw.size)
        return value
    return ort.OrtValue.ortvalue_from_numpy_with_onnx_type(raw.reshape(array.shape), onnx_type)


def from_ort_value(value: ort.OrtValue) -> np.ndarray:
    onnx_type = value.element_type()
    dtype = onnx.helper.tensor_dtype_to_np_dtype(onnx_type)
    shape = value.shape()
    raw = np.frombuffer(ctypes.string_at(value.data_ptr(), value.tensor_size_in_bytes()),
                        np.uint8)
    bits = _ORT_VALUE_BITS.get(onnx_type, 8)
    if bits < 8:
        per_byte = 8 // bits
        shifts = np.arange(per_byte, dtype=np.uint8) * bits
        codes = ((raw[:, None] >> shifts) & ((1 << bits) - 1)).ravel()
        count = int(np.prod(shape))
        return codes[:count].astype(np.uint8).view(dtype).reshape(shape)
    return raw.view(dtype).reshape(shape)


def check(case_dir: str) -> str | None:
    """None when onnxruntime passes the case; else the first line of why not."""
    case = node_tests.load_case(os.path.dirname(case_dir), os.path.basename(case_dir))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    try:
        session = ort.InferenceSession(case.model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - any failure is the case's result
        return "load: " + first_line(str(e))
    names = [o.name for o in case.outputs]
    # Models with a type only OrtValues carry run through OrtValues; the
    # rest through plain numpy arrays, which also carry sequences and optionals.
    use_ort_values = any(elem_type(v) in _ORT_VALUE_BITS for v in case.inputs + case.outputs)
    for set_dir in case.data_sets:
        feeds: dict[str, Any] = {
            info.name: node_tests.load_value(path, info.type)
            for info, path in zip(case.inputs, node_tests.data_files(set_dir, "input"))}
        want = [node_tests.load_value(path, info.type)
                for info, path in zip(case.outputs, node_tests.data_files(set_dir, "output"))]
        try:
            if use_ort_values:
                ort_feeds = {
                    info.name: (to_ort_value(feeds[info.name], elem_type(info))
                                if elem_type(info) in _ORT_VALUE_BITS
                                else ort.OrtValue.ortvalue_from_numpy(feeds[info.name]))
                    for info in case.inputs if info.name in feeds}
                got = [from_ort_value(v) for v in session.run_with_ort_values(names, ort_feeds)]
            else:
                got = session.run(names, feeds)
        except Exception as e:  # noqa: BLE001
            return "run: " + first_line(str(e))
        if (error := node_tests.compare(names, want, got)) is not None:
            return error
    return None


def main() -> None:
    # The answers go to the original stdout; fd 1 becomes stderr, so that
    # nothing onnxruntime prints can corrupt them.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        try:
            error = check(line.rstrip("\n"))
        except Exception as e:  # noqa: BLE001 - unreadable data: report, go on
            error = f"harness: {type(e).__name__}: {first_line(str(e))}"
        answers.write(json.dumps({"ok": error is None, "error": error or ""}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
