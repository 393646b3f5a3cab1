"""Writes a small f16 ONNX model for the CUDA target's f16 tensor-core path.

Usage: make_half_cnn.py OUT.onnx

Two convolutions (3 -> 32 -> 32 channels, the second strided) and a matmul,
all in float16 with seeded random weights, each large enough for the tiled
contraction kernels (docs/codegen.md, "Tensor cores"): mlc computes them as
f16 products with f32 sums, onnxruntime (CPU) in its own f16 kernels.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rng = np.random.default_rng(2026)

    def weight(name, shape, scale):
        data = (rng.standard_normal(shape) * scale).astype(np.float16)
        return numpy_helper.from_array(data, name)

    inits = [
        weight("w1", (32, 3, 3, 3), 0.3),
        weight("b1", (32,), 0.1),
        weight("w2", (32, 32, 3, 3), 0.08),
        weight("w3", (64, 48), 0.1),
        numpy_helper.from_array(np.array([2, 32, 64], dtype=np.int64), "shape"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1],
                         strides=[2, 2]),
        helper.make_node("Reshape", ["c2", "shape"], ["f"]),
        helper.make_node("MatMul", ["f", "w3"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "half_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [2, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [2, 32, 48])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[1])


if __name__ == "__main__":
    main()
