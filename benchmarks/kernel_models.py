"""Single-op ONNX models for the kernel microbenchmarks of bench.py.

GEMM shapes come from the zoo (every MatMul or Gemm whose B is a 2-D weight)
plus squares; convolution shapes are the distinct Conv layers of the zoo's
CNNs. Each becomes a one-node model whose weights (and conv bias) are seeded
random initializers, so the compiler may pack them at compile time as it does
inside real models. Shapes are read from the exported models with ONNX shape
inference, so they follow the models and need no list kept by hand.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

OPSET = 17


def _load_with_shapes(path):
    """The model with inferred shapes, and {value name: shape list}."""
    model = shape_inference.infer_shapes(onnx.load(path), data_prop=True)
    shapes = {}
    for vi in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = [d.dim_value for d in dims]
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    return model, shapes


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def gemm_shapes(model_path):
    """Distinct (M, N, K) of the model's MatMul/Gemm nodes with a 2-D weight, in graph order."""
    model, shapes = _load_with_shapes(model_path)
    inits = {i.name for i in model.graph.initializer}
    found = []
    for node in model.graph.node:
        if node.op_type not in ("MatMul", "Gemm") or len(node.input) < 2:
            continue
        a, b = node.input[0], node.input[1]
        if b not in inits or a not in shapes or len(shapes[b]) != 2:
            continue
        attrs = _attrs(node)
        k_b, n = shapes[b][::-1] if attrs.get("transB", 0) else shapes[b]
        a_shape = shapes[a]
        if attrs.get("transA", 0):
            a_shape = a_shape[::-1]
        m = int(np.prod(a_shape[:-1]))
        shape = (m, n, k_b)
        if shape not in found:
            found.append(shape)
    return found


def conv_shapes(model_path):
    """Distinct Conv layers as dicts (c, h, w, o, kh, kw, strides, pads, dilations, group)."""
    model, shapes = _load_with_shapes(model_path)
    found = []
    for node in model.graph.node:
        if node.op_type != "Conv" or node.input[0] not in shapes or node.input[1] not in shapes:
            continue
        attrs = _attrs(node)
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            continue  # torch writes explicit pads; skip anything else
        n, c, h, w = shapes[node.input[0]]
        o, _, kh, kw = shapes[node.input[1]]
        conv = {"c": c, "h": h, "w": w, "o": o, "kh": kh, "kw": kw,
                "strides": list(attrs.get("strides", [1, 1])),
                "pads": list(attrs.get("pads", [0, 0, 0, 0])),
                "dilations": list(attrs.get("dilations", [1, 1])),
                "group": int(attrs.get("group", 1))}
        if conv not in found:
            found.append(conv)
    return found


def gemm_name(m, n, k):
    return "gemm_%dx%dx%d" % (m, n, k)


def conv_name(conv):
    name = "conv_%dx%dx%d_o%d_k%dx%d_s%d" % (conv["c"], conv["h"], conv["w"], conv["o"],
                                             conv["kh"], conv["kw"], conv["strides"][0])
    if conv["group"] != 1:
        name += "_g%d" % conv["group"]
    return name


def conv_output_hw(conv):
    """The output spatial size, by ONNX Conv's formula."""
    out = []
    for i, (size, k) in enumerate([(conv["h"], conv["kh"]), (conv["w"], conv["kw"])]):
        span = conv["dilations"][i] * (k - 1) + 1
        out.append((size + conv["pads"][i] + conv["pads"][i + 2] - span) // conv["strides"][i] + 1)
    return out


def gemm_flops(m, n, k):
    return 2.0 * m * n * k


def conv_flops(conv):
    ho, wo = conv_output_hw(conv)
    return 2.0 * conv["o"] * ho * wo * (conv["c"] // conv["group"]) * conv["kh"] * conv["kw"]


def _save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    tmp = path + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, path)


def write_gemm_model(m, n, k, path, seed=0):
    """Y[M,N] = A[M,K] x W[K,N], W a seeded initializer scaled by 1/sqrt(K)."""
    rng = np.random.default_rng(seed)
    weight = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "W"], ["Y"])], gemm_name(m, n, k),
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(weight, "W")])
    _save(graph, path)


def write_conv_model(conv, path, seed=0):
    """Y = Conv(X, W, B) with the layer's attributes; W and B seeded initializers."""
    rng = np.random.default_rng(seed)
    c, o, g = conv["c"], conv["o"], conv["group"]
    fan_in = (c // g) * conv["kh"] * conv["kw"]
    weight = (rng.standard_normal((o, c // g, conv["kh"], conv["kw"])) / np.sqrt(fan_in))
    bias = rng.standard_normal(o) * 0.1
    ho, wo = conv_output_hw(conv)
    node = helper.make_node("Conv", ["X", "W", "B"], ["Y"], strides=conv["strides"],
                            pads=conv["pads"], dilations=conv["dilations"], group=g,
                            kernel_shape=[conv["kh"], conv["kw"]])
    graph = helper.make_graph(
        [node], conv_name(conv),
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, c, conv["h"], conv["w"]])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, o, ho, wo])],
        [numpy_helper.from_array(weight.astype(np.float32), "W"),
         numpy_helper.from_array(bias.astype(np.float32), "B")])
    _save(graph, path)


def _shapes_by_running(model, names, types):
    """Shapes of `names` that inference left unknown, by running onnxruntime once."""
    import onnxruntime as ort
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in names:
        probe.graph.output.append(helper.make_tensor_value_info(name, types[name], None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        feed[i.name] = (rng.integers(0, 100, shape) if "int" in i.type
                        else rng.standard_normal(shape)).astype(
            np.int64 if "int64" in i.type else np.float32)
    values = session.run(list(names), feed)
    return {name: list(v.shape) for name, v in zip(names, values)}


def intermediate_bytes(model_path):
    """Bytes of every intermediate tensor if each had its own buffer (no reuse).

    Counts each node output that is not a graph output and not made by a
    Constant node; the naive baseline for the planned arena (`arena_bytes`
    of `mlc inspect`). Shapes come from ONNX shape inference, or, where it
    cannot tell (ViT's Slice/Expand of computed shapes), from one
    onnxruntime run.
    """
    model, shapes = _load_with_shapes(model_path)
    types = {vi.name: vi.type.tensor_type.elem_type for vi in model.graph.value_info}
    outputs = {o.name for o in model.graph.output}
    wanted = [name for node in model.graph.node if node.op_type != "Constant"
              for name in node.output if name and name not in outputs]
    unknown = [name for name in wanted if name not in shapes]
    if any(name not in types for name in unknown):
        return None
    if unknown:
        shapes.update(_shapes_by_running(model, unknown, types))
    total = 0
    for name in wanted:
        itemsize = helper.tensor_dtype_to_np_dtype(types[name]).itemsize
        total += int(np.prod(shapes[name], dtype=np.int64)) * itemsize
    return total
