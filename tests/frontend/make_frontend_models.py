#!/usr/bin/env python3
"""Writes small ONNX models for the ONNX frontend tests into a directory.

Usage: make_frontend_models.py OUT_DIR

Writes one model per supported op family (checkable against onnxruntime) and
a set of malformed or hostile models, plus OUT_DIR/manifest.json:
  [{"name", "path", "kind": "good" | "bad", "expect": [words in the error],
    "args": [extra mlc-import-onnx arguments], "numerics": bool}]
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64
B = TensorProto.BOOL

OUT = None
MANIFEST = []


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, inits=(), opset=17, ir_version=8,
          name="g", extra_opsets=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)] + list(extra_opsets)
    m = helper.make_model(graph, opset_imports=opsets)
    m.ir_version = ir_version
    return m


def save(m, name, kind="good", expect=(), args=(), numerics=True, subdir=None):
    directory = os.path.join(OUT, subdir) if subdir else OUT
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name + ".onnx")
    if isinstance(m, bytes):
        with open(path, "wb") as f:
            f.write(m)
    else:
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
    MANIFEST.append({"name": name, "path": path, "kind": kind,
                     "expect": list(expect), "args": list(args),
                     "numerics": numerics and kind == "good"})


def good(name, nodes, inputs, outputs, inits=(), **kw):
    opts = {k: kw.pop(k) for k in ("args", "numerics") if k in kw}
    save(model(nodes, inputs, outputs, inits, **kw), name, **opts)


def bad(name, m, *expect, **kw):
    save(m, name, kind="bad", expect=expect, **kw)


def n(op, ins, outs, name=None, **attrs):
    return helper.make_node(op, ins, outs, name=name or (op.lower() + "0"),
                            **attrs)


def unary_models():
    x = vi("x", F, [2, 3, 4])
    y = vi("y", F, [2, 3, 4])
    for op in ["Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt",
               "Reciprocal", "Neg", "Abs", "Floor", "Ceil", "Sin", "Cos",
               "Softplus", "HardSigmoid", "HardSwish", "Identity"]:
        good("unary_" + op, [n(op, ["x"], ["y"])], [x], [y])
    good("unary_LeakyRelu", [n("LeakyRelu", ["x"], ["y"], alpha=0.3)], [x], [y])
    good("unary_HardSigmoid_attrs",
         [n("HardSigmoid", ["x"], ["y"], alpha=0.4, beta=0.3)], [x], [y])
    good("unary_Not", [n("Not", ["x"], ["y"])], [vi("x", B, [5])],
         [vi("y", B, [5])])
    for approx in ["none", "tanh"]:
        good("gelu_" + approx, [n("Gelu", ["x"], ["y"], approximate=approx)],
             [x], [y], opset=20, ir_version=9)
    good("dropout", [n("Dropout", ["x"], ["y"])], [x], [y])
    good("dropout_mask", [n("Dropout", ["x"], ["y", "mask"])], [x],
         [y, vi("mask", TensorProto.BOOL, [2, 3, 4])])
    good("cast_f32_i32", [n("Cast", ["x"], ["y"], to=TensorProto.INT32)], [x],
         [vi("y", TensorProto.INT32, [2, 3, 4])])
    good("cast_i64_f32", [n("Cast", ["x"], ["y"], to=F)], [vi("x", I64, [6])],
         [vi("y", F, [6])])
    good("clip_const", [n("Clip", ["x", "lo", "hi"], ["y"])], [x], [y],
         [init("lo", np.float32(-0.5)), init("hi", np.float32(0.7))])
    good("clip_min_only", [n("Clip", ["x", "lo"], ["y"])], [x], [y],
         [init("lo", np.float32(0.1))])
    good("clip_none", [n("Clip", ["x"], ["y"])], [x], [y])
    good("clip_dynamic", [n("Clip", ["x", "lo", "hi"], ["y"])],
         [x, vi("lo", F, []), vi("hi", F, [])], [y])


def binary_models():
    a = vi("a", F, [2, 3, 4])
    b = vi("b", F, [3, 1])
    y = vi("y", F, [2, 3, 4])
    for op in ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"]:
        good("binary_" + op, [n(op, ["a", "b"], ["y"])], [a, b], [y])
    c = vi("c", F, [4])
    for op in ["Sum", "Mean", "Max", "Min"]:
        good("variadic_" + op, [n(op, ["a", "b", "c"], ["y"])], [a, b, c], [y])
    good("variadic_Sum1", [n("Sum", ["a"], ["y"])], [a], [y])
    good("pow_int_exponent", [n("Pow", ["a", "e"], ["y"])], [a], [y],
         [init("e", np.int64(2))])
    ia = vi("a", I64, [2, 3])
    ib = vi("b", I64, [3])
    yb = vi("y", B, [2, 3])
    for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
        good("compare_" + op, [n(op, ["a", "b"], ["y"])], [ia, ib], [yb])
    good("compare_float_LessOrEqual", [n("LessOrEqual", ["a", "b"], ["y"])],
         [a, b], [vi("y", B, [2, 3, 4])])
    for op in ["And", "Or"]:
        good("logic_" + op, [n(op, ["a", "b"], ["y"])],
             [vi("a", B, [2, 3]), vi("b", B, [3])], [yb])
    good("where", [n("Where", ["c", "a", "b"], ["y"])],
         [vi("c", B, [3, 4]), a, b], [y])
    good("int_add", [n("Add", ["a", "b"], ["y"])], [ia, ib],
         [vi("y", I64, [2, 3])])


def contraction_models():
    rng = np.random.default_rng(0)
    w = lambda *s: rng.standard_normal(s).astype(np.float32)
    good("matmul_2d", [n("MatMul", ["a", "b"], ["y"])],
         [vi("a", F, [3, 4]), vi("b", F, [4, 5])], [vi("y", F, [3, 5])])
    good("matmul_batched", [n("MatMul", ["a", "b"], ["y"])],
         [vi("a", F, [2, 3, 4]), vi("b", F, [4, 5])], [vi("y", F, [2, 3, 5])])
    good("matmul_1d_left", [n("MatMul", ["a", "b"], ["y"])],
         [vi("a", F, [4]), vi("b", F, [2, 4, 5])], [vi("y", F, [2, 5])])
    good("matmul_1d_right", [n("MatMul", ["a", "b"], ["y"])],
         [vi("a", F, [2, 3, 4]), vi("b", F, [4])], [vi("y", F, [2, 3])])
    good("matmul_1d_both", [n("MatMul", ["a", "b"], ["y"])],
         [vi("a", F, [4]), vi("b", F, [4])], [vi("y", F, [])])
    good("gemm", [n("Gemm", ["a", "w", "c"], ["y"], alpha=0.5, beta=2.0,
                    transB=1)],
         [vi("a", F, [3, 4])], [vi("y", F, [3, 5])],
         [init("w", w(5, 4)), init("c", w(5))])
    good("gemm_transA_noC", [n("Gemm", ["a", "w"], ["y"], transA=1)],
         [vi("a", F, [4, 3])], [vi("y", F, [3, 5])], [init("w", w(4, 5))])
    x = vi("x", F, [1, 4, 9, 9])
    good("conv_basic", [n("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 2, 1],
                          strides=[2, 1])],
         [x], [vi("y", F, None)], [init("w", w(6, 4, 3, 3)), init("b", w(6))])
    good("conv_same_upper", [n("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER",
                               strides=[2, 2])],
         [x], [vi("y", F, None)], [init("w", w(2, 4, 4, 4))])
    good("conv_same_lower", [n("Conv", ["x", "w"], ["y"], auto_pad="SAME_LOWER",
                               kernel_shape=[2, 2])],
         [x], [vi("y", F, None)], [init("w", w(2, 4, 2, 2))])
    good("conv_valid", [n("Conv", ["x", "w"], ["y"], auto_pad="VALID")],
         [x], [vi("y", F, None)], [init("w", w(2, 4, 3, 3))])
    good("conv_group_dilation", [n("Conv", ["x", "w"], ["y"], group=4,
                                   dilations=[2, 2], pads=[2, 2, 2, 2])],
         [x], [vi("y", F, None)], [init("w", w(4, 1, 3, 3))])
    good("conv_1d", [n("Conv", ["x", "w"], ["y"], pads=[1, 1])],
         [vi("x", F, [2, 3, 7])], [vi("y", F, None)], [init("w", w(5, 3, 3))])
    good("batchnorm", [n("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                         epsilon=1e-3)],
         [x], [vi("y", F, None)],
         [init("s", w(4)), init("b", w(4)), init("m", w(4)),
          init("v", np.abs(w(4)) + 0.5)])


def window_models():
    x = vi("x", F, [1, 3, 8, 7])
    out = [vi("y", F, None)]
    good("maxpool", [n("MaxPool", ["x"], ["y"], kernel_shape=[3, 3],
                       strides=[2, 2], pads=[1, 1, 1, 1])], [x], out)
    good("maxpool_ceil", [n("MaxPool", ["x"], ["y"], kernel_shape=[2, 2],
                            strides=[2, 2], ceil_mode=1)], [x], out)
    good("maxpool_same", [n("MaxPool", ["x"], ["y"], kernel_shape=[3, 3],
                            strides=[2, 2], auto_pad="SAME_UPPER")], [x], out)
    for cip in [0, 1]:
        good("avgpool_cip%d" % cip,
             [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 2],
                strides=[2, 1], pads=[1, 0, 1, 1], count_include_pad=cip)],
             [x], out)
    good("global_avgpool", [n("GlobalAveragePool", ["x"], ["y"])], [x], out)
    good("global_maxpool", [n("GlobalMaxPool", ["x"], ["y"])], [x], out)
    r = vi("x", F, [2, 3, 4])
    good("reducesum_input", [n("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
         [r], out, [init("axes", np.array([0, -1], np.int64))], opset=13,
         ir_version=7)
    good("reducesum_all", [n("ReduceSum", ["x"], ["y"])], [r], out)
    good("reducesum_noop", [n("ReduceSum", ["x"], ["y"],
                              noop_with_empty_axes=1)], [r], out)
    good("reducemean_attr", [n("ReduceMean", ["x"], ["y"], axes=[1])], [r],
         out)
    good("reducemax_attr_keep0", [n("ReduceMax", ["x"], ["y"], axes=[-1],
                                    keepdims=0)], [r], out)
    good("reducemin_op18", [n("ReduceMin", ["x", "axes"], ["y"])], [r], out,
         [init("axes", np.array([1], np.int64))], opset=18)
    good("reduceprod_op18_all", [n("ReduceProd", ["x"], ["y"], keepdims=0)],
         [r], out, opset=18)
    good("argmax", [n("ArgMax", ["x"], ["y"], axis=1, keepdims=0)], [r],
         [vi("y", I64, None)])
    good("argmax_last", [n("ArgMax", ["x"], ["y"], axis=-1,
                           select_last_index=1)],
         [vi("x", I64, [3, 5])], [vi("y", I64, None)])
    good("softmax", [n("Softmax", ["x"], ["y"], axis=1)], [r], out)
    good("softmax_default", [n("Softmax", ["x"], ["y"])], [r], out)
    good("logsoftmax", [n("LogSoftmax", ["x"], ["y"])], [r], out)
    good("layernorm", [n("LayerNormalization", ["x", "s", "b"], ["y"],
                         epsilon=1e-5)], [r], out,
         [init("s", np.linspace(0.5, 1.5, 4).astype(np.float32)),
          init("b", np.linspace(-1, 1, 4).astype(np.float32))])
    good("layernorm_axis1_nobias", [n("LayerNormalization", ["x", "s"], ["y"],
                                      axis=1)], [r], out,
         [init("s", np.ones((3, 4), np.float32))])
    # Mean and InvStdDev used: composed beside layer_norm.
    good("layernorm_stats", [n("LayerNormalization", ["x", "s"],
                               ["y", "mean", "inv"], axis=1)], [r],
         [vi("y", F, None), vi("mean", F, None), vi("inv", F, None)],
         [init("s", np.ones((3, 4), np.float32))])


def data_models():
    x = vi("x", F, [2, 3, 4])
    out = [vi("y", F, None)]
    good("reshape", [n("Reshape", ["x", "s"], ["y"])], [x], out,
         [init("s", np.array([0, -1, 2], np.int64))])
    good("reshape_allowzero", [n("Reshape", ["x", "s"], ["y"], allowzero=1)],
         [x], out, [init("s", np.array([4, 6], np.int64))])
    good("flatten", [n("Flatten", ["x"], ["y"], axis=2)], [x], out)
    good("flatten_0", [n("Flatten", ["x"], ["y"], axis=0)], [x], out)
    good("squeeze_axes", [n("Squeeze", ["x", "a"], ["y"])],
         [vi("x", F, [1, 3, 1, 2])], out, [init("a", np.array([-2], np.int64))])
    good("squeeze_all", [n("Squeeze", ["x"], ["y"])],
         [vi("x", F, [1, 3, 1, 2])], out)
    good("unsqueeze", [n("Unsqueeze", ["x", "a"], ["y"])], [x], out,
         [init("a", np.array([0, -1], np.int64))])
    good("transpose_default", [n("Transpose", ["x"], ["y"])], [x], out)
    good("transpose_perm", [n("Transpose", ["x"], ["y"], perm=[1, 0, 2])], [x],
         out)
    good("concat", [n("Concat", ["x", "z"], ["y"], axis=-1)],
         [x, vi("z", F, [2, 3, 2])], out)
    good("split_input", [n("Split", ["x", "s"], ["y", "y2"], axis=2)], [x],
         [vi("y", F, None), vi("y2", F, None)],
         [init("s", np.array([1, 3], np.int64))])
    good("split_equal", [n("Split", ["x"], ["y", "y2", "y3"], axis=1)], [x],
         [vi("y", F, None), vi("y2", F, None), vi("y3", F, None)])
    good("split_num_outputs", [n("Split", ["x"], ["y", "y2", "y3"], axis=2,
                                 num_outputs=3)], [vi("x", F, [2, 3, 5])],
         [vi("y", F, None), vi("y2", F, None), vi("y3", F, None)], opset=18)
    good("slice_basic", [n("Slice", ["x", "st", "en"], ["y"])], [x], out,
         [init("st", np.array([1, 0], np.int64)),
          init("en", np.array([2, -1], np.int64))])
    good("slice_steps_clamp", [n("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
         [x], out,
         [init("st", np.array([-1, 100], np.int64)),
          init("en", np.array([-100, 0], np.int64)),
          init("ax", np.array([2, 1], np.int64)),
          init("sp", np.array([-2, -1], np.int64))])
    good("slice_big_end", [n("Slice", ["x", "st", "en", "ax"], ["y"])], [x], out,
         [init("st", np.array([1], np.int64)),
          init("en", np.array([2**63 - 1], np.int64)),
          init("ax", np.array([-1], np.int64))])
    good("gather", [n("Gather", ["x", "i"], ["y"], axis=1)], [x], out,
         [init("i", np.array([[2, -1], [0, 1]], np.int64))])
    good("gather_scalar_index", [n("Gather", ["x", "i"], ["y"])], [x], out,
         [init("i", np.array(1, np.int64))])
    good("expand", [n("Expand", ["x", "s"], ["y"])], [vi("x", F, [3, 1])], out,
         [init("s", np.array([2, 1, 4], np.int64))])
    for mode in ["constant", "reflect", "edge"]:
        good("pad_" + mode, [n("Pad", ["x", "p", "v"], ["y"], mode=mode)],
             [vi("x", F, [3, 4])], out,
             [init("p", np.array([1, 2, 2, 1], np.int64)),
              init("v", np.float32(1.5))])
    good("pad_axes", [n("Pad", ["x", "p", "", "ax"], ["y"])], [x], out,
         [init("p", np.array([1, 2], np.int64)),
          init("ax", np.array([-1], np.int64))], opset=18)


def constant_models():
    x = vi("x", F, [2, 3, 4])
    out = [vi("y", F, None)]
    # The torch pattern: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    good("shape_chain", [
        n("Shape", ["x"], ["s"], name="shape0"),
        n("Gather", ["s", "i0"], ["d0"], name="gather0", axis=0),
        n("Unsqueeze", ["d0", "ax0"], ["d0u"], name="unsq0"),
        n("Constant", [], ["minus1"], name="c0",
          value=helper.make_tensor("", I64, [1], [-1])),
        n("Concat", ["d0u", "minus1"], ["newshape"], name="concat0", axis=0),
        n("Reshape", ["x", "newshape"], ["y"], name="reshape0"),
    ], [x], out, [init("i0", np.array(0, np.int64)),
                  init("ax0", np.array([0], np.int64))])
    good("shape_start_end", [
        n("Shape", ["x"], ["s"], start=1, end=-1),
        n("Cast", ["s"], ["y"], to=F)], [vi("x", F, ["batch", 3, 4])], out,
         numerics=False)
    good("shape_start_end_fixed", [
        n("Shape", ["x"], ["s"], start=-2),
        n("Cast", ["s"], ["y"], to=F)], [vi("x", F, ["batch", 3, 4])], out,
         args=["--input-shape", "x=2,3,4"])
    good("size", [n("Size", ["x"], ["s"]), n("Cast", ["s"], ["sf"], to=F),
                  n("Add", ["x", "sf"], ["y"], name="add0")], [x], out)
    good("constant_of_shape", [
        n("ConstantOfShape", ["s"], ["c"],
          value=helper.make_tensor("", F, [1], [2.5])),
        n("Add", ["x", "c"], ["y"])], [x], out,
         [init("s", np.array([3, 4], np.int64))])
    good("constant_of_shape_default", [
        n("ConstantOfShape", ["s"], ["c"]), n("Add", ["x", "c"], ["y"])],
         [x], out, [init("s", np.array([4], np.int64))])
    good("constant_variants", [
        n("Constant", [], ["a"], name="ca", value_float=1.5),
        n("Constant", [], ["b"], name="cb", value_floats=[1.0, 2.0, 3.0, 4.0]),
        n("Constant", [], ["c"], name="cc", value_ints=[1, 2, 3, 4]),
        n("Constant", [], ["d"], name="cd", value_int=3),
        n("Cast", ["c"], ["cf"], name="cast0", to=F),
        n("Cast", ["d"], ["df"], name="cast1", to=F),
        n("Sum", ["x", "a", "b", "cf", "df"], ["y"], name="sum0")], [x], out)
    good("range", [
        n("Range", ["st", "li", "de"], ["r"]),
        n("Add", ["x", "r"], ["y"])], [vi("x", F, [2, 4])], out,
         [init("st", np.float32(1.0)), init("li", np.float32(3.0)),
          init("de", np.float32(0.5))])
    good("range_int_to_reshape", [
        n("Range", ["st", "li", "de"], ["r"]),
        n("Reshape", ["x", "r"], ["y"])], [vi("x", F, [2, 3])], out,
         [init("st", np.int64(3)), init("li", np.int64(1)),
          init("de", np.int64(-1))])
    # Typed-field initializers (no raw_data).
    t16 = helper.make_tensor("h", TensorProto.FLOAT16, [2],
                             np.array([1.5, -2], np.float16).view(np.uint16))
    good("typed_fields", [
        n("Cast", ["h"], ["hf"], name="c1", to=F),
        n("Cast", ["i8"], ["i8f"], name="c2", to=F),
        n("Cast", ["u64"], ["u64f"], name="c3", to=F),
        n("Cast", ["bl"], ["blf"], name="c4", to=F),
        n("Sum", ["x", "hf", "i8f", "u64f", "blf", "d"], ["y"], name="s")],
         [vi("x", F, [2])], out,
         [t16,
          helper.make_tensor("i8", TensorProto.INT8, [2], [-3, 7]),
          helper.make_tensor("u64", TensorProto.UINT64, [2], [5, 9]),
          helper.make_tensor("bl", TensorProto.BOOL, [2], [True, False]),
          helper.make_tensor("d", F, [2], [0.25, 0.5])])


def network_models():
    rng = np.random.default_rng(1)
    w = lambda *s: (0.3 * rng.standard_normal(s)).astype(np.float32)
    # A ResNet-style block.
    good("tiny_cnn", [
        n("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        n("BatchNormalization", ["c1", "s", "bb", "m", "v"], ["bn"], name="bn"),
        n("Relu", ["bn"], ["r"], name="relu"),
        n("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2],
          strides=[2, 2]),
        n("Conv", ["p", "w2"], ["c2"], name="conv2", group=8, pads=[1, 1, 1, 1]),
        n("Clip", ["c2", "zero", "six"], ["c6"], name="relu6"),
        n("GlobalAveragePool", ["c6"], ["g"], name="gap"),
        n("Flatten", ["g"], ["f"], name="flat"),
        n("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1)],
         [vi("x", F, [2, 3, 8, 8])], [vi("y", F, [2, 10])],
         [init("w1", w(8, 3, 3, 3)), init("b1", w(8)), init("s", w(8)),
          init("bb", w(8)), init("m", w(8)), init("v", np.abs(w(8)) + 1),
          init("w2", w(8, 1, 3, 3)), init("zero", np.float32(0)),
          init("six", np.float32(6)), init("fw", w(10, 8)), init("fb", w(10))])
    # A BERT-style attention block with torch's shape arithmetic.
    B_, S, H, NH = 2, 5, 8, 2
    D = H // NH
    nodes = [
        n("LayerNormalization", ["x", "ln_s", "ln_b"], ["ln"], name="ln"),
        n("MatMul", ["ln", "wq"], ["q0"], name="q_mm"),
        n("Add", ["q0", "bq"], ["q"], name="q_add"),
        n("Shape", ["q"], ["qs"], name="q_shape"),
        n("Gather", ["qs", "i0"], ["bsz"], name="g_b", axis=0),
        n("Gather", ["qs", "i1"], ["seq"], name="g_s", axis=0),
        n("Unsqueeze", ["bsz", "ax0"], ["bsz1"], name="u_b"),
        n("Unsqueeze", ["seq", "ax0"], ["seq1"], name="u_s"),
        n("Concat", ["bsz1", "seq1", "heads"], ["qshape"], name="cat", axis=0),
        n("Reshape", ["q", "qshape"], ["q4"], name="q_reshape"),
        n("Transpose", ["q4"], ["qt"], name="q_t", perm=[0, 2, 1, 3]),
        n("Transpose", ["q4"], ["kt"], name="k_t", perm=[0, 2, 3, 1]),
        n("MatMul", ["qt", "kt"], ["sc0"], name="scores"),
        n("Div", ["sc0", "scale"], ["sc"], name="scale_div"),
        n("Softmax", ["sc"], ["pr"], name="softmax", axis=-1),
        n("MatMul", ["pr", "qt"], ["ctx"], name="ctx_mm"),
        n("Transpose", ["ctx"], ["ctx_t"], name="ctx_t", perm=[0, 2, 1, 3]),
        n("Reshape", ["ctx_t", "flat_shape"], ["ctx2"], name="ctx_reshape"),
        n("MatMul", ["ctx2", "wo"], ["o0"], name="o_mm"),
        n("Div", ["o0", "sqrt2"], ["o1"], name="gelu_div"),
        n("Erf", ["o1"], ["o2"], name="gelu_erf"),
        n("Add", ["o2", "one"], ["o3"], name="gelu_add"),
        n("Mul", ["o0", "o3"], ["o4"], name="gelu_mul"),
        n("Mul", ["o4", "half"], ["o5"], name="gelu_half"),
        n("Add", ["o5", "x"], ["y"], name="residual"),
    ]
    good("tiny_attention", nodes, [vi("x", F, ["batch", "seq", H])],
         [vi("y", F, ["batch", "seq", H])],
         [init("ln_s", w(H) + 1), init("ln_b", w(H)), init("wq", w(H, H)),
          init("bq", w(H)), init("i0", np.int64(0)), init("i1", np.int64(1)),
          init("ax0", np.array([0], np.int64)),
          init("heads", np.array([NH, D], np.int64)),
          init("scale", np.float32(np.sqrt(D))),
          init("flat_shape", np.array([0, 0, -1], np.int64)),
          init("wo", w(H, H)), init("sqrt2", np.float32(np.sqrt(2))),
          init("one", np.float32(1)), init("half", np.float32(0.5))],
         args=["--input-shape", "x=%d,%d,%d" % (B_, S, H)])
    # A newer file format (ir_version 10, opset 21) must parse.
    good("ir10_opset21", [n("Relu", ["x"], ["y"])], [vi("x", F, [4])],
         [vi("y", F, [4])], opset=21, ir_version=10)
    good("ir11_opset22", [n("Relu", ["x"], ["y"])], [vi("x", F, [4])],
         [vi("y", F, [4])], opset=22, ir_version=11)
    # The newest released opset (26; onnxruntime 1.31 supports up to it): ops
    # whose schemas changed after 22 only widened their type lists.
    good("ir13_opset26",
         [n("Cast", ["x"], ["c"], name="cast_in", to=TensorProto.DOUBLE),
          n("Reshape", ["c", "s"], ["r"]),
          n("Transpose", ["r"], ["t"], perm=[1, 0]),
          n("Cast", ["t"], ["y"], name="cast_out", to=F)],
         [vi("x", F, [2, 3])], [vi("y", F, [3, 2])],
         [numpy_helper.from_array(np.array([2, 3], np.int64), "s")],
         opset=26, ir_version=13)
    # Dynamic dims import without fixing (no numerics: inputs must be static).
    good("dynamic_dims", [n("Relu", ["x"], ["y"])],
         [vi("x", F, ["batch", None, 4])], [vi("y", F, None)], numerics=False)
    # Shape arithmetic on a symbolic dim imports symbolically: the reshape
    # target [?seq, 2, 4] comes from Shape -> Gather -> Unsqueeze -> Concat,
    # and the slice end from the same dim (no numerics: inputs must be static).
    good("dynamic_shape_ops", [
        n("Shape", ["x"], ["s"], name="sh"),
        n("Gather", ["s", "i0"], ["d0"], name="g0", axis=0),
        n("Unsqueeze", ["d0", "ax0"], ["d1"], name="u0"),
        n("Concat", ["d1", "rest"], ["target"], name="c0", axis=0),
        n("Reshape", ["x", "target"], ["r"], name="rs"),
        n("Slice", ["table", "zero", "d1", "ax0"], ["pos"], name="sl"),
        n("Gather", ["emb", "pos"], ["e"], name="ge", axis=0),
        n("Reshape", ["e", "shape3"], ["e3"], name="rs2"),
        n("Add", ["r", "e3"], ["y"], name="add")],
        [vi("x", F, ["seq", 8])], [vi("y", F, None)],
        [init("i0", np.array(0, np.int64)), init("ax0", np.array([0], np.int64)),
         init("rest", np.array([2, 4], np.int64)),
         init("table", np.arange(16, dtype=np.int64)),
         init("zero", np.array([0], np.int64)),
         init("emb", np.ones((16, 8), np.float32)),
         init("shape3", np.array([-1, 2, 4], np.int64))], numerics=False)
    # The shape of a dynamic tensor read as data (Cast to float) and dim
    # arithmetic (?n * 4 / 2) feeding a Reshape.
    good("shape_as_data", [
        n("Shape", ["x"], ["s"], name="sh"),
        n("Cast", ["s"], ["sf"], name="c", to=TensorProto.FLOAT),
        n("Gather", ["s", "i0"], ["n0"], name="g0", axis=0),
        n("Mul", ["n0", "four"], ["n4"], name="m4"),
        n("Div", ["n4", "two"], ["n2"], name="d2"),
        n("Unsqueeze", ["n2", "ax0"], ["n2v"], name="u"),
        n("Concat", ["n2v", "two1"], ["target"], name="cc", axis=0),
        n("Reshape", ["x", "target"], ["r"], name="rs"),
        n("ReduceSum", ["r"], ["t"], name="rsum", keepdims=0),
        n("ReduceSum", ["sf"], ["u2"], name="rs2", keepdims=0),
        n("Add", ["t", "u2"], ["y"], name="add")],
        [vi("x", F, ["n", 4])], [vi("y", F, None)],
        [init("i0", np.array(0, np.int64)), init("four", np.array(4, np.int64)),
         init("two", np.array(2, np.int64)), init("ax0", np.array([0], np.int64)),
         init("two1", np.array([2], np.int64))], numerics=False)
    # Position ids and a mask from the shape of a dynamic input (the
    # transformer pattern): Range up to a dim value, ConstantOfShape and
    # Expand of dim values, iota at run time.
    good("range_of_dynamic_shape", [
        n("Shape", ["x"], ["s"], name="sh"),
        n("Gather", ["s", "i1"], ["len"], name="g1", axis=0),
        n("Range", ["zero", "len", "one"], ["pos"], name="rg"),
        n("Cast", ["pos"], ["posf"], name="cf", to=F),
        n("ConstantOfShape", ["s"], ["ones"], name="cs",
          value=helper.make_tensor("v", F, [1], [1.0])),
        n("Expand", ["posf", "s"], ["grid"], name="ex"),
        n("Mul", ["grid", "ones"], ["g2"], name="m"),
        n("Add", ["x", "g2"], ["y"], name="add")],
        [vi("x", F, [2, "seq"])], [vi("y", F, None)],
        [init("i1", np.array(1, np.int64)), init("zero", np.array(0, np.int64)),
         init("one", np.array(1, np.int64))], numerics=False)
    # An initializer listed as a graph input is a constant.
    good("initializer_as_input", [n("Add", ["x", "w"], ["y"])],
         [vi("x", F, [3]), vi("w", F, [3])], [vi("y", F, [3])],
         [init("w", np.array([1, 2, 3], np.float32))])
    # Unnamed nodes and colliding value names get fresh names.
    good("unnamed_nodes", [
        helper.make_node("Relu", ["x"], ["t"]),
        helper.make_node("Neg", ["t"], ["y"])],
         [vi("x", F, [3])], [vi("y", F, [3])])


def external(name, location, data, *expect, offset=None, length=None,
             setup=None):
    """A model whose initializer 'w' (f32[4]) lives in external data."""
    directory = os.path.join(OUT, "ext_" + name)
    os.makedirs(directory, exist_ok=True)
    if setup:
        setup(directory)
    elif data is not None:
        with open(os.path.join(directory, "w.bin"), "wb") as f:
            f.write(data)
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", offset),
                 ("length", length)]:
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    m = model([n("Add", ["x", "w"], ["y"])], [vi("x", F, [4])],
              [vi("y", F, [4])], [t])
    if expect:
        bad("ext_" + name, m, *expect, subdir="ext_" + name)
    else:
        save(m, "ext_" + name, subdir="ext_" + name)


def bad_models():
    four = np.arange(4, dtype=np.float32).tobytes()
    external("good", "w.bin", b"\0" * 8 + four, offset=8, length=16)
    external("good_subdir", "sub/./w.bin", None, setup=lambda d: (
        os.makedirs(os.path.join(d, "sub"), exist_ok=True),
        open(os.path.join(d, "sub", "w.bin"), "wb").write(four)))
    external("dotdot", "../w.bin", four, "'w'", "'..'")
    external("absolute", os.path.join(OUT, "ext_absolute", "w.bin"), four,
             "'w'", "absolute")

    def symlink_setup(d):
        outside = os.path.join(OUT, "outside.bin")
        with open(outside, "wb") as f:
            f.write(four)
        link = os.path.join(d, "w.bin")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(outside, link)
    external("symlink", "w.bin", None, "'w'", "symbolic link",
             setup=symlink_setup)

    def symlink_dir_setup(d):
        link = os.path.join(d, "sub")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(OUT, link)
        with open(os.path.join(OUT, "w2.bin"), "wb") as f:
            f.write(four)
    external("symlink_dir", "sub/w2.bin", None, "'w'", "symbolic link",
             setup=symlink_dir_setup)

    def hardlink_setup(d):
        p = os.path.join(d, "w.bin")
        with open(p, "wb") as f:
            f.write(four)
        q = os.path.join(d, "other.bin")
        if os.path.lexists(q):
            os.remove(q)
        os.link(p, q)
    external("hardlink", "w.bin", None, "'w'", "hard link",
             setup=hardlink_setup)
    external("missing", "nothere.bin", None, "'w'", "nothere.bin",
             "no such file")
    external("short", "w.bin", four[:8], "'w'", "too short")
    external("offset_beyond", "w.bin", four, "'w'", "too short", offset=100)
    external("length_mismatch", "w.bin", four, "'w'", "length 8", length=8)
    external("not_regular", "sub", None, "'w'", "not a regular file",
             setup=lambda d: os.makedirs(os.path.join(d, "sub"), exist_ok=True))
    external("bad_offset", "w.bin", four, "'w'", "offset", offset="12abc")

    relu = model([n("Relu", ["x"], ["y"])], [vi("x", F, [4])],
                 [vi("y", F, [4])],
                 [init("big", np.zeros(1000, np.float32))])
    data = relu.SerializeToString()
    bad("truncated", data[:len(data) // 2], "failed to parse",
        "not a valid ModelProto")
    bad("random_bytes", np.random.default_rng(7).integers(
        0, 256, 2000, dtype=np.uint8).tobytes(), "failed to parse")
    bad("empty_file", b"", "failed to parse")
    bad("unknown_op", model([n("Foo", ["x"], ["y"], name="n3")],
                            [vi("x", F, [4])], [vi("y", F, [4])]),
        "node 'n3' (op Foo, opset 17): unsupported op")
    bad("custom_domain", model(
        [helper.make_node("Relu", ["x"], ["y"], name="n1", domain="com.x")],
        [vi("x", F, [4])], [vi("y", F, [4])],
        extra_opsets=[helper.make_opsetid("com.x", 1)]),
        "node 'n1'", "unsupported op", "com.x")
    # Old opsets: an op whose version there means what its opset-13 version
    # means is accepted (Add-7, Relu-6); one that differs is not (Softmax-11
    # coerces its input to 2-D).
    # onnxruntime's dynamic quantization of a Linear layer: u8 activations
    # quantized at run time, u8 weights with a zero point, int32 products.
    rng = np.random.default_rng(3)
    good("dynamic_quant_linear", [
        n("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
        n("MatMulInteger", ["xq", "w", "xz", "wz"], ["acc"]),
        n("Cast", ["acc"], ["accf"], to=TensorProto.FLOAT),
        n("Mul", ["xs", "ws"], ["scale"], name="mul_scale"),
        n("Mul", ["accf", "scale"], ["y"], name="mul_out")],
        [vi("x", F, [3, 8])], [vi("y", F, [3, 5])],
        [init("w", rng.integers(0, 256, (8, 5), dtype=np.uint8)),
         init("wz", np.array(131, np.uint8)),
         init("ws", np.array(0.0123, np.float32))])
    good("opset7_add_relu", [n("Add", ["x", "b"], ["s"]), n("Relu", ["s"], ["y"])],
         [vi("x", F, [2, 4]), vi("b", F, [4])], [vi("y", F, [2, 4])],
         opset=7, ir_version=3)
    bad("opset11_softmax", model([n("Softmax", ["x"], ["y"])], [vi("x", F, [2, 4])],
                                 [vi("y", F, [2, 4])], opset=11, ir_version=6),
        "node 'softmax0' (op Softmax, opset 11)",
        "Softmax-11 is not supported (mlc implements Softmax-13 and newer")
    # A model of training-domain ops only imports no default opset; a
    # default-domain node in it must say so.
    training_only = model([n("Relu", ["x"], ["y"], name="r0")], [vi("x", F, [4])],
                          [vi("y", F, [4])])
    del training_only.opset_import[:]
    training_only.opset_import.append(helper.make_opsetid("ai.onnx.preview.training", 1))
    bad("training_domain_only", training_only, "node 'r0' (op Relu, opset none)",
        "imports no opset of the default ONNX domain")
    ml_new = model([n("Binarizer", ["x"], ["y"], domain="ai.onnx.ml")],
                   [vi("x", F, [4])], [vi("y", F, [4])])
    ml_new.opset_import.append(helper.make_opsetid("ai.onnx.ml", 6))
    bad("ml_opset_6", ml_new, "opset 6 of 'ai.onnx.ml' is not supported (mlc reads 1 to 5)")
    # Import-time tables sized by attribute inputs are bounded: a huge
    # Resize scale or dft_length is an error, not an allocation failure.
    bad("resize_huge_scale", model(
        [n("Resize", ["x", "", "scales"], ["y"], name="rz", mode="linear")],
        [vi("x", F, [1, 1, 4, 4])], [vi("y", F, None)],
        [init("scales", np.array([1, 1, 1e9, 1], np.float32))]),
        "node 'rz' (op Resize, opset 17)", "too large")
    bad("dft_huge_length", model(
        [n("DFT", ["x", "len"], ["y"], name="dft", axis=1)],
        [vi("x", F, [1, 8, 1])], [vi("y", F, None)],
        [init("len", np.array(1 << 40, np.int64))]),
        "node 'dft' (op DFT, opset 17)", "too large")
    bad("maxpool_indices_int", model(
        [n("MaxPool", ["x"], ["y", "i"], name="mp", kernel_shape=[2, 2])],
        [vi("x", TensorProto.INT8, [1, 1, 4, 4])],
        [vi("y", TensorProto.INT8, None), vi("i", TensorProto.INT64, None)]),
        "node 'mp' (op MaxPool, opset 17)", "Indices output needs a float input")
    bad("det_order_6", model(
        [n("Det", ["x"], ["y"], name="det")],
        [vi("x", F, [6, 6])], [vi("y", F, None)]),
        "node 'det' (op Det, opset 17)", "order 6 is not supported")
    bad("conv_integer_float", model(
        [n("ConvInteger", ["x", "w"], ["y"], name="ci")],
        [vi("x", F, [1, 1, 3, 3]), vi("w", F, [1, 1, 2, 2])],
        [vi("y", TensorProto.INT32, None)]),
        "node 'ci' (op ConvInteger, opset 17)", "must be int8 or uint8")
    bad("opset29", model([n("Relu", ["x"], ["y"])], [vi("x", F, [4])],
                         [vi("y", F, [4])], opset=29, ir_version=13),
        "opset 29 is not supported")
    short = TensorProto(name="w", data_type=F, dims=[2, 3])
    short.raw_data = b"\0" * 12
    bad("raw_size", model([n("Add", ["x", "w"], ["y"])], [vi("x", F, [2, 3])],
                          [vi("y", F, [2, 3])], [short]),
        "initializer 'w': 12 bytes of data for shape 2x3 of f32 (expected 24)")
    bad("typed_count", model([n("Add", ["x", "w"], ["y"])], [vi("x", F, [3])],
                             [vi("y", F, [3])],
                             [TensorProto(name="w", data_type=F, dims=[3],
                                          float_data=[1.0, 2.0])]),
        "initializer 'w'", "2 elements in float_data", "expected 3")
    big = TensorProto(name="w", data_type=F, dims=[2**40, 2**40])
    big.raw_data = b"\0" * 4
    bad("overflow_shape", model([n("Add", ["x", "w"], ["y"])],
                                [vi("x", F, [3])], [vi("y", F, [3])], [big]),
        "initializer 'w'", "overflow")
    bad("overflow_input", model([n("Relu", ["x"], ["y"])],
                                [vi("x", F, [2**40, 2**40])],
                                [vi("y", F, None)]),
        "input 'x'", "overflow")
    # Strings come from graph inputs only, and only move or compare.
    bad("string_constant", model(
        [n("Equal", ["x", "w"], ["y"], name="eq")],
        [vi("x", TensorProto.STRING, [2])], [vi("y", TensorProto.BOOL, [2])],
        [helper.make_tensor("w", TensorProto.STRING, [2], [b"a", b"b"])]),
        "initializer 'w'", "string constants are not supported")
    bad("cast_to_string", model(
        [n("Cast", ["x"], ["y"], name="ct", to=TensorProto.STRING)],
        [vi("x", F, [2])], [vi("y", TensorProto.STRING, [2])]),
        "node 'ct' (op Cast, opset 17)", "cannot give dtype str")
    bad("trilu_of_strings", model(
        [n("Trilu", ["x"], ["y"], name="tr")],
        [vi("x", TensorProto.STRING, [2, 2])], [vi("y", TensorProto.STRING, None)]),
        "node 'tr' (op Trilu, opset 17)", "string constants are not supported")
    bad("sequence_of_strings_output", model(
        [n("SequenceConstruct", ["x", "x"], ["s"], name="sc")],
        [vi("x", TensorProto.STRING, [2])],
        [helper.make_value_info("s", helper.make_sequence_type_proto(
            helper.make_tensor_type_proto(TensorProto.STRING, [2])))]),
        "graph output 's'", "sequences and optionals of strings")
    for name, pattern, why in (("regex_backreference", r"(a)\1", "\\1 is not supported"),
                               ("regex_flags", "(?i)abc", "group flags"),
                               ("regex_unbalanced", "(ab", "without a closing ')'"),
                               ("regex_deep", "(" * 100000 + ")" * 100000, "nest more than")):
        bad(name, model([n("RegexFullMatch", ["x"], ["y"], name="re", pattern=pattern)],
                        [vi("x", TensorProto.STRING, [2])], [vi("y", TensorProto.BOOL, None)],
                        opset=20),
            "node 're' (op RegexFullMatch, opset 20)", why)
    bad("string_arithmetic", model(
        [n("Add", ["x", "x"], ["y"], name="ad")],
        [vi("x", TensorProto.STRING, [2])], [vi("y", TensorProto.STRING, [2])]),
        "node 'ad' (op Add, opset 17)", "add does not take dtype str")
    # A shape fed at run time works (value symbols); one computed from a
    # run-time input does not yet.
    bad("reshape_dynamic_shape", model(
        [n("Add", ["s", "s"], ["s2"], name="twice"),
         n("Reshape", ["x", "s2"], ["y"], name="rs")],
        [vi("x", F, [4]), vi("s", I64, [1])], [vi("y", F, None)]),
        "node 'rs' (op Reshape, opset 17)", "import time")
    # The -1 of a reshape of symbolic dims that do not cancel: a symbol
    # expression (n * 4 floordiv 2), the counts compared at run time.
    good("reshape_symbolic", [n("Reshape", ["x", "s"], ["y"], name="rs")],
         [vi("x", F, ["n", 4])], [vi("y", F, None)],
         [init("s", np.array([-1, 2], np.int64))],
         args=["--input-shape", "x=3,4"])
    # A shape computed from a run-time value by an op that has no symbolic
    # form (here Mod) cannot give a Reshape its shape.
    bad("shape_from_data_op", model(
        [n("Shape", ["x"], ["s"], name="sh"),
         n("Mod", ["s", "two"], ["m"], name="md"),
         n("Reshape", ["x", "m"], ["y"], name="rs")],
        [vi("x", F, ["n", 4])], [vi("y", F, None)],
        [init("two", np.array([2, 3], np.int64))]),
        "node 'rs'", "import time")
    bad("attr_wrong_type", model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="cv",
                          strides=[1.0, 1.0])],
        [vi("x", F, [1, 1, 4, 4])], [vi("y", F, None)],
        [init("w", np.ones((1, 1, 3, 3), np.float32))]),
        "node 'cv' (op Conv, opset 17)", "attribute 'strides'")
    bad("missing_input", model([n("Add", ["x"], ["y"], name="ad")],
                               [vi("x", F, [4])], [vi("y", F, None)]),
        "node 'ad'", "missing required input 1")
    bad("undefined_input", model([n("Relu", ["nope"], ["y"], name="r")],
                                 [vi("x", F, [4])], [vi("y", F, None)]),
        "node 'r'", "'nope' is not defined")
    bad("undefined_output", model([n("Relu", ["x"], ["y"], name="r")],
                                  [vi("x", F, [4])], [vi("z", F, None)]),
        "graph output 'z' is not defined")
    bad("type_mismatch", model([n("Add", ["x", "i"], ["y"], name="ad")],
                               [vi("x", F, [4]), vi("i", I64, [4])],
                               [vi("y", F, None)]),
        "node 'ad' (op Add, opset 17)")
    bad("bad_input_shape_option", model([n("Relu", ["x"], ["y"])],
                                        [vi("x", F, ["n", 4])],
                                        [vi("y", F, None)]),
        "input 'x'", "disagrees", args=["--input-shape", "x=2,5"])
    # Sequences: their structure must be known at import time.
    seq_f = helper.make_sequence_type_proto(helper.make_tensor_type_proto(F, [2]))
    two = [vi("x", F, [2])]
    bad("sequence_at_out_of_range", model(
        [n("SequenceConstruct", ["x", "x"], ["s"], name="sc"),
         n("SequenceAt", ["s", "five"], ["y"], name="sa")],
        two, [vi("y", F, None)], [init("five", np.array(5, np.int64))]),
        "node 'sa' (op SequenceAt, opset 17)",
        "position 5 is out of range for a sequence of 2 tensors")
    bad("tensor_op_on_sequence", model(
        [n("SequenceConstruct", ["x"], ["s"], name="sc"),
         n("Relu", ["s"], ["y"], name="r")], two, [vi("y", F, None)]),
        "node 'r' (op Relu, opset 17)", "input 's' is a sequence; Relu takes tensors")
    bad("sequence_input_without_length", model(
        [n("ConcatFromSequence", ["s"], ["y"], name="c", axis=0)],
        [helper.make_value_info("s", seq_f)], [vi("y", F, None)]),
        "input 's'", "give it with --sequence-length s=N")
    bad("split_to_sequence_runtime_count", model(
        [n("SplitToSequence", ["x", "k"], ["s"], name="st"),
         n("ConcatFromSequence", ["s"], ["y"], name="c", axis=0)],
        [vi("x", F, [6]), vi("k", I64, [])], [vi("y", F, None)]),
        "node 'st' (op SplitToSequence, opset 17)", "run-time value")
    body = helper.make_graph(
        [n("Identity", ["c"], ["co"], name="id"), n("Add", ["v", "v"], ["vo"], name="ad")],
        "body", [vi("i", I64, []), vi("c", B, []), vi("v", F, [2])],
        [vi("co", B, []), vi("vo", F, [2])])
    bad("loop_runtime_trip_count", model(
        [n("Loop", ["m", "", "x"], ["y"], name="lp", body=body)],
        [vi("m", I64, []), vi("x", F, [2])], [vi("y", F, None)]),
        "node 'lp' (op Loop, opset 17)", "mlc unrolls Loop")
    bad("loop_too_long", model(
        [n("Loop", ["m", "", "x"], ["y"], name="lp", body=body)],
        two, [vi("y", F, None)], [init("m", np.array(10**12, np.int64))]),
        "node 'lp' (op Loop, opset 17)", "too long to unroll")
    bad("sequence_map_body_arity", model(
        [n("SequenceConstruct", ["x"], ["s"], name="sc"),
         n("SequenceMap", ["s"], ["m"], name="sm", body=helper.make_graph(
             [n("Add", ["a", "b"], ["o"], name="ad")], "b",
             [vi("a", F, [2]), vi("b", F, [2])], [vi("o", F, [2])])),
         n("ConcatFromSequence", ["m"], ["y"], name="c", axis=0)],
        two, [vi("y", F, None)]),
        "node 'sm' (op SequenceMap, opset 17)", "the body takes 2 inputs")
    bad("split_to_sequence_huge", model(
        [n("SplitToSequence", ["x"], ["s"], name="st"),
         n("ConcatFromSequence", ["s"], ["y"], name="c", axis=0)],
        [vi("x", F, [2**40])], [vi("y", F, None)]),
        "node 'st'", "too long (at most 4096)")
    bad("split_to_sequence_of_sequence", model(
        [n("SequenceEmpty", [], ["e"], name="se"),
         n("SplitToSequence", ["e"], ["s"], name="st"),
         n("ConcatFromSequence", ["s"], ["y"], name="c", axis=0)],
        two, [vi("y", F, None)]),
        "node 'st'", "the input is a sequence")
    scan_body = helper.make_graph(
        [n("SequenceConstruct", ["xi"], ["so"], name="sc")], "sb",
        [vi("xi", F, [2])], [helper.make_value_info("so", seq_f)])
    bad("scan_gives_sequence", model(
        [n("Scan", ["xs"], ["y"], name="scan", body=scan_body,
           num_scan_inputs=1)],
        [vi("xs", F, [3, 2])], [vi("y", F, None)]),
        "node 'scan'", "Scan takes tensors")
    # Nested loops multiply: one cap on the whole graph bounds them.
    inner = body
    for depth in range(4):
        d = str(depth)
        inner = helper.make_graph(
            [n("Identity", ["c" + d], ["co" + d], name="id" + d),
             n("Loop", ["m" + d, "", "v" + d], ["vo" + d], name="lp" + d,
               body=inner)],
            "nest" + d,
            [vi("i" + d, I64, []), vi("c" + d, B, []), vi("v" + d, F, [2])],
            [vi("co" + d, B, []), vi("vo" + d, F, [2])],
            [init("m" + d, np.array(1000, np.int64))])
    bad("nested_loops_too_long", model(
        [n("Loop", ["m", "", "x"], ["y"], name="outer", body=inner)],
        two, [vi("y", F, None)], [init("m", np.array(1000, np.int64))]),
        "node 'outer'", "grows the graph past")
    bad("reshape_minus_one_beside_zero", model(
        [n("Reshape", ["x", "s"], ["y"], name="rs", allowzero=1)],
        [vi("x", F, ["n", 4])], [vi("y", F, None)],
        [init("s", np.array([0, -1], np.int64))]),
        "node 'rs'", "ambiguous")
    then_g = helper.make_graph([n("Add", ["x", "c5"], ["t"], name="ad")], "t",
                               [], [vi("t", F, None)])
    else_g = helper.make_graph([n("Identity", ["x"], ["e"], name="id")], "e",
                               [], [vi("e", F, None)])
    bad("if_branch_needs_check", model(
        [n("If", ["cond"], ["y"], name="if", then_branch=then_g,
           else_branch=else_g)],
        [vi("cond", B, []), vi("x", F, ["n"])], [vi("y", F, None)],
        [init("c5", np.ones(5, np.float32))]),
        "node 'if'", "a branch needs a run-time shape check")
    bad("unknown_input_shape_option", model([n("Relu", ["x"], ["y"])],
                                            [vi("x", F, ["n", 4])],
                                            [vi("y", F, None)]),
        "'q'", "not a graph input", args=["--input-shape", "q=2,5"])


def main():
    global OUT
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    OUT = os.path.abspath(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    for make in [unary_models, binary_models, contraction_models,
                 window_models, data_models, constant_models, network_models,
                 bad_models]:
        make()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1)
    print("wrote %d models to %s" % (len(MANIFEST), OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
