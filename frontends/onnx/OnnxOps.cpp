// The ONNX op table: one translation function per ONNX op (opsets 13..22),
// looked up in a sorted constexpr table (no static registration).
#include "frontends/onnx/ImporterContext.h"
#include "ir/Printer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace mlc::onnx_import {

namespace {

/// Largest extent of an import-time table (Resize taps, DFT matrices):
/// models asking for more are rejected rather than exhausting memory.
constexpr int64_t kMaxConstantExtent = int64_t{1} << 26;

constexpr double kInf = std::numeric_limits<double>::infinity();

Expected<std::vector<int64_t>> staticShape(Value *v, const std::string &what) {
  if (!isStatic(v->type().shape))
    return makeError(what + " needs a static shape, got " +
                     typeToString(v->type()) +
                     " (fix dynamic input dims in the import options)");
  return staticExtents(v->type().shape);
}

std::string joinInts(const std::vector<int64_t> &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

/// Normalizes, sorts and checks a list of axes for uniqueness.
Expected<std::vector<int64_t>> normalizeAxes(std::vector<int64_t> axes,
                                             int64_t rank) {
  for (int64_t &a : axes) {
    ONNX_ASSIGN(n, normalizeAxis(a, rank));
    a = n;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return makeError("axes " + joinInts(axes) + " repeat an axis");
  return axes;
}

/// Reads a constant scalar (or one-element tensor) input as a double.
Expected<double> scalarInput(NodeContext &ctx, Value *v,
                             const std::string &what) {
  ONNX_ASSIGN(data, ctx.importer.requireConstant(v, what));
  if (data.numElements() != 1)
    return makeError(what + " must have one element, got " +
                     typeToString(data.type));
  return tensorElementAsDouble(data, 0);
}

/// A constant scalar of the dtype of `like`.
Expected<Value *> scalarLike(Importer &im, Value *like, double value) {
  return im.emitScalar(like->type().dtype, value);
}

/// v[d] of a recurrent op's per-direction weight or state, reshaped to
/// `rest`; with hi >= 0 only [lo, hi) of its last dim.
Expected<Value *> directionSlice(Importer &im, Value *v, int64_t d,
                                 std::vector<int64_t> rest, int64_t lo,
                                 int64_t hi) {
  ONNX_ASSIGN(ve, staticShape(v, "a recurrent weight"));
  std::vector<int64_t> starts(ve.size(), 0), ends = ve, steps(ve.size(), 1);
  starts[0] = d;
  ends[0] = d + 1;
  if (hi >= 0) {
    starts.back() = lo;
    ends.back() = hi;
  }
  AttributeMap sl{{"starts", starts}, {"ends", ends}, {"steps", steps}};
  ONNX_ASSIGN(sv, im.emit(OpKind::Slice, {v}, sl));
  return im.emitReshape(sv, rest);
}

/// `v` cast to `dtype` (itself when it already has it).
Expected<Value *> castTo(Importer &im, Value *v, DType dtype,
                         const std::string &name = {}) {
  if (v->type().dtype == dtype && name.empty())
    return v;
  AttributeMap attrs{{"to", dtype}};
  return im.emit(OpKind::Cast, {v}, attrs, name);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Status unaryOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(x, ctx.input(0));
  return setOutput(ctx, 0, ctx.importer.emit(kind, {x}, {}, ctx.outputName(0)));
}

Status binaryOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  if (kind == OpKind::Equal && a->type().dtype == DType::Str)
    return setOutput(ctx, 0,
                     stringEqual(ctx.importer, a, b, ctx.outputName(0)));
  return setOutput(ctx, 0,
                   ctx.importer.emit(kind, {a, b}, {}, ctx.outputName(0)));
}

/// LessOrEqual / GreaterOrEqual as or(less|greater, equal): exact for NaN.
Status compareOrEqualOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  ONNX_ASSIGN(strict, ctx.importer.emit(kind, {a, b}));
  ONNX_ASSIGN(eq, ctx.importer.emit(OpKind::Equal, {a, b}));
  return setOutput(
      ctx, 0,
      ctx.importer.emit(OpKind::Or, {strict, eq}, {}, ctx.outputName(0)));
}

Status powOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  if (isInteger(a->type().dtype)) {
    // An integer base: pow in f64, truncated back (as numpy's astype).
    AttributeMap f64{{"to", DType::F64}};
    ONNX_ASSIGN(af, ctx.importer.emit(OpKind::Cast, {a}, f64));
    ONNX_ASSIGN(bf, ctx.importer.emit(OpKind::Cast, {b}, f64));
    ONNX_ASSIGN(p, ctx.importer.emit(OpKind::Pow, {af, bf}));
    AttributeMap back{{"to", a->type().dtype}};
    return setOutput(ctx, 0,
                     ctx.importer.emit(OpKind::Cast, {p}, back,
                                       ctx.outputName(0)));
  }
  if (b->type().dtype != a->type().dtype) {
    AttributeMap attrs{{"to", a->type().dtype}};
    ONNX_ASSIGN(cast, ctx.importer.emit(OpKind::Cast, {b}, attrs));
    b = cast;
  }
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Pow, {a, b}, {}, ctx.outputName(0)));
}

/// Folds the node's 1..n inputs left to right with the binary `kind`; the
/// last result gets `lastName`.
Expected<Value *> chainInputs(NodeContext &ctx, OpKind kind,
                              const std::string &lastName) {
  if (ctx.numInputs() == 0)
    return makeError("needs at least one input");
  ONNX_ASSIGN(acc, ctx.input(0));
  for (size_t i = 1; i < ctx.numInputs(); ++i) {
    ONNX_ASSIGN(next, ctx.input(i));
    bool last = i + 1 == ctx.numInputs();
    ONNX_ASSIGN(v,
                ctx.importer.emit(kind, {acc, next}, {}, last ? lastName : ""));
    acc = v;
  }
  return acc;
}

/// Max, Min, Sum (kind Add): a left-to-right chain over 1..n inputs.
Status variadicOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(acc, chainInputs(ctx, kind, ctx.outputName(0)));
  return setOutput(ctx, 0, acc);
}

/// Mean: the sum chain divided by the input count.
Status meanOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(acc, chainInputs(ctx, OpKind::Add, ""));
  if (ctx.numInputs() == 1)
    return setOutput(ctx, 0, acc);
  ONNX_ASSIGN(n, ctx.importer.emitScalar(acc->type().dtype,
                                         static_cast<double>(ctx.numInputs())));
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Div, {acc, n}, {}, ctx.outputName(0)));
}

Status whereOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(c, ctx.input(0));
  ONNX_ASSIGN(a, ctx.input(1));
  ONNX_ASSIGN(b, ctx.input(2));
  return setOutput(
      ctx, 0,
      ctx.importer.emit(OpKind::Where, {c, a, b}, {}, ctx.outputName(0)));
}

/// The attributes of a cast to `to`: Cast-19's `saturate` (default 1)
/// matters for the float8 formats only, Cast-24's round_mode (default "up")
/// for f8e8m0 only.
Expected<AttributeMap> castAttrs(NodeContext &ctx, DType to) {
  AttributeMap attrs{{"to", to}};
  ONNX_ASSIGN(saturate, ctx.intAttr("saturate", 1));
  if (isNarrowFloat(to) && to != DType::F4E2M1)
    attrs["saturate"] = saturate ? int64_t(1) : int64_t(0);
  if (to == DType::F8E8M0) {
    ONNX_ASSIGN(mode, ctx.stringAttr("round_mode", "up"));
    if (!parseE8M0Rounding(mode))
      return makeError("round_mode '" + mode + "' is not up, down or nearest");
    attrs["round_mode"] = mode;
  }
  return attrs;
}

/// BitCast-26: the same bytes as another type of the same width.
Status bitCastOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  if (!ctx.hasAttr("to"))
    return makeError("missing required attribute 'to'");
  ONNX_ASSIGN(to, ctx.intAttr("to", 0));
  if (to < INT32_MIN || to > INT32_MAX)
    return makeError("attribute 'to' is not an ONNX element type");
  ONNX_ASSIGN(dtype, convertDType(static_cast<int32_t>(to)));
  AttributeMap attrs{{"to", dtype}};
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::BitCast, {x}, attrs,
                                     ctx.outputName(0)));
}

Status castOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  if (!ctx.hasAttr("to"))
    return makeError("missing required attribute 'to'");
  ONNX_ASSIGN(to, ctx.intAttr("to", 0));
  if (to < INT32_MIN || to > INT32_MAX)
    return makeError("attribute 'to' is not an ONNX element type");
  ONNX_ASSIGN(dtype, convertDType(static_cast<int32_t>(to)));
  ONNX_ASSIGN(attrs, castAttrs(ctx, dtype));
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Cast, {x}, attrs, ctx.outputName(0)));
}

Status clipOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  double lo = -kInf, hi = kInf;
  Value *dynLo = nullptr, *dynHi = nullptr;
  // Constant bounds become attributes; computed ones become max/min ops.
  for (int i = 1; i <= 2; ++i) {
    Value *bound = ctx.optionalInput(i);
    if (!bound)
      continue;
    auto value = scalarInput(ctx, bound, i == 1 ? "min" : "max");
    if (!value) {
      (i == 1 ? dynLo : dynHi) = bound;
      continue;
    }
    (i == 1 ? lo : hi) = *value;
  }
  AttributeMap attrs{{"min", lo}, {"max", hi}};
  bool dyn = dynLo || dynHi;
  ONNX_ASSIGN(y, ctx.importer.emit(OpKind::Clip, {x}, attrs,
                                   dyn ? "" : ctx.outputName(0)));
  if (dynLo) {
    ONNX_ASSIGN(v, ctx.importer.emit(OpKind::Max, {y, dynLo}, {},
                                     dynHi ? "" : ctx.outputName(0)));
    y = v;
  }
  if (dynHi) {
    ONNX_ASSIGN(
        v, ctx.importer.emit(OpKind::Min, {y, dynHi}, {}, ctx.outputName(0)));
    y = v;
  }
  return setOutput(ctx, 0, y);
}

Status leakyReluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 0.01));
  AttributeMap attrs{{"alpha", alpha}};
  return setOutput(
      ctx, 0,
      ctx.importer.emit(OpKind::LeakyRelu, {x}, attrs, ctx.outputName(0)));
}

/// clip(alpha * x + beta, 0, 1), named `name`.
Expected<Value *> hardSigmoid(NodeContext &ctx, Value *x, double alpha,
                              double beta, const std::string &name) {
  DType dt = x->type().dtype;
  ONNX_ASSIGN(a, ctx.importer.emitScalar(dt, alpha));
  ONNX_ASSIGN(b, ctx.importer.emitScalar(dt, beta));
  ONNX_ASSIGN(ax, ctx.importer.emit(OpKind::Mul, {x, a}));
  ONNX_ASSIGN(axb, ctx.importer.emit(OpKind::Add, {ax, b}));
  AttributeMap attrs{{"min", 0.0}, {"max", 1.0}};
  return ctx.importer.emit(OpKind::Clip, {axb}, attrs, name);
}

Status hardSigmoidOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 0.2));
  ONNX_ASSIGN(beta, ctx.floatAttr("beta", 0.5));
  return setOutput(ctx, 0, hardSigmoid(ctx, x, alpha, beta, ctx.outputName(0)));
}

Status hardSwishOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(hs, hardSigmoid(ctx, x, 1.0 / 6.0, 0.5, ""));
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Mul, {x, hs}, {}, ctx.outputName(0)));
}

Status softplusOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(e, ctx.importer.emit(OpKind::Exp, {x}));
  ONNX_ASSIGN(one, ctx.importer.emitScalar(x->type().dtype, 1.0));
  ONNX_ASSIGN(s, ctx.importer.emit(OpKind::Add, {e, one}));
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::Log, {s}, {}, ctx.outputName(0)));
}

Status geluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(approximate, ctx.stringAttr("approximate", "none"));
  DType dt = x->type().dtype;
  Importer &im = ctx.importer;
  Value *inner = nullptr;
  if (approximate == "none") {
    // 0.5 * x * (1 + erf(x / sqrt(2)))
    ONNX_ASSIGN(c, im.emitScalar(dt, 1.0 / std::sqrt(2.0)));
    ONNX_ASSIGN(xc, im.emit(OpKind::Mul, {x, c}));
    ONNX_ASSIGN(e, im.emit(OpKind::Erf, {xc}));
    inner = e;
  } else if (approximate == "tanh") {
    // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    ONNX_ASSIGN(k, im.emitScalar(dt, 0.044715));
    ONNX_ASSIGN(c, im.emitScalar(dt, std::sqrt(2.0 / M_PI)));
    ONNX_ASSIGN(x2, im.emit(OpKind::Mul, {x, x}));
    ONNX_ASSIGN(x3, im.emit(OpKind::Mul, {x2, x}));
    ONNX_ASSIGN(kx3, im.emit(OpKind::Mul, {x3, k}));
    ONNX_ASSIGN(sum, im.emit(OpKind::Add, {x, kx3}));
    ONNX_ASSIGN(arg, im.emit(OpKind::Mul, {sum, c}));
    ONNX_ASSIGN(t, im.emit(OpKind::Tanh, {arg}));
    inner = t;
  } else {
    return makeError("attribute 'approximate' must be \"none\" or \"tanh\", "
                     "got \"" +
                     approximate + "\"");
  }
  ONNX_ASSIGN(one, im.emitScalar(dt, 1.0));
  ONNX_ASSIGN(half, im.emitScalar(dt, 0.5));
  ONNX_ASSIGN(p, im.emit(OpKind::Add, {inner, one}));
  ONNX_ASSIGN(hx, im.emit(OpKind::Mul, {x, half}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Mul, {hx, p}, {}, ctx.outputName(0)));
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

Status matMulOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  int64_t ra = a->type().rank(), rb = b->type().rank();
  if (ra == 0 || rb == 0)
    return makeError("operands must have rank >= 1");
  if (ra >= 2 && rb >= 2)
    return setOutput(
        ctx, 0,
        ctx.importer.emit(OpKind::MatMul, {a, b}, {}, ctx.outputName(0)));
  // numpy rules: a 1-D operand is promoted to a matrix, and the added dim
  // is removed from the result.
  if (ra == 1) {
    ONNX_ASSIGN(ext, staticShape(a, "a 1-D matmul operand"));
    ONNX_ASSIGN(r, ctx.importer.emitReshape(a, {1, ext[0]}));
    a = r;
  }
  if (rb == 1) {
    ONNX_ASSIGN(ext, staticShape(b, "a 1-D matmul operand"));
    ONNX_ASSIGN(r, ctx.importer.emitReshape(b, {ext[0], 1}));
    b = r;
  }
  ONNX_ASSIGN(m, ctx.importer.emit(OpKind::MatMul, {a, b}));
  ONNX_ASSIGN(ext, staticShape(m, "matmul with a 1-D operand"));
  if (rb == 1)
    ext.pop_back();
  if (ra == 1)
    ext.erase(ext.end() - (rb == 1 ? 1 : 2));
  return setOutput(ctx, 0, ctx.importer.emitReshape(m, ext, ctx.outputName(0)));
}

Status gemmOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  Value *c = ctx.optionalInput(2);
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1.0));
  ONNX_ASSIGN(beta, ctx.floatAttr("beta", 1.0));
  ONNX_ASSIGN(transA, ctx.intAttr("transA", 0));
  ONNX_ASSIGN(transB, ctx.intAttr("transB", 0));
  if (a->type().rank() != 2 || b->type().rank() != 2)
    return makeError("A and B must be 2-D, got " + typeToString(a->type()) +
                     " and " + typeToString(b->type()));
  Importer &im = ctx.importer;
  AttributeMap swap{{"perm", std::vector<int64_t>{1, 0}}};
  if (transA) {
    ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {a}, swap));
    a = t;
  }
  if (transB) {
    ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {b}, swap));
    b = t;
  }
  bool scaleAlpha = alpha != 1.0;
  bool addC = c && beta != 0.0;
  ONNX_ASSIGN(y, im.emit(OpKind::MatMul, {a, b}, {},
                         scaleAlpha || addC ? "" : ctx.outputName(0)));
  if (scaleAlpha) {
    ONNX_ASSIGN(s, im.emitScalar(y->type().dtype, alpha));
    ONNX_ASSIGN(
        v, im.emit(OpKind::Mul, {y, s}, {}, addC ? "" : ctx.outputName(0)));
    y = v;
  }
  if (addC) {
    if (beta != 1.0) {
      ONNX_ASSIGN(s, im.emitScalar(c->type().dtype, beta));
      ONNX_ASSIGN(v, im.emit(OpKind::Mul, {c, s}));
      c = v;
    }
    ONNX_ASSIGN(v, im.emit(OpKind::Add, {y, c}, {}, ctx.outputName(0)));
    y = v;
  }
  return setOutput(ctx, 0, y);
}

/// Reads the window attributes shared by Conv and the pools and resolves
/// auto_pad. `kernel` must already hold k extents.
Status windowAttrs(NodeContext &ctx, Value *x,
                   const std::vector<int64_t> &kernel, bool hasDilations,
                   std::vector<int64_t> &strides, std::vector<int64_t> &pads,
                   std::vector<int64_t> &dilations) {
  size_t k = kernel.size();
  ONNX_ASSIGN(s, ctx.intsAttr("strides"));
  ONNX_ASSIGN(p, ctx.intsAttr("pads"));
  ONNX_ASSIGN(d, ctx.intsAttr("dilations"));
  strides = s.empty() ? std::vector<int64_t>(k, 1) : s;
  dilations = d.empty() ? std::vector<int64_t>(k, 1) : d;
  pads = p.empty() ? std::vector<int64_t>(2 * k, 0) : p;
  if (strides.size() != k)
    return makeError("attribute 'strides' needs " + std::to_string(k) +
                     " values, got " + joinInts(strides));
  if (dilations.size() != k)
    return makeError("attribute 'dilations' needs " + std::to_string(k) +
                     " values, got " + joinInts(dilations));
  if (pads.size() != 2 * k)
    return makeError("attribute 'pads' needs " + std::to_string(2 * k) +
                     " values, got " + joinInts(pads));
  for (size_t i = 0; i < k; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1)
      return makeError("kernel, strides and dilations must be positive");
    if (!hasDilations && dilations[i] != 1)
      return makeError("dilations other than 1 are not supported");
  }
  for (int64_t v : pads)
    if (v < 0)
      return makeError("negative pads are not supported");
  ONNX_ASSIGN(autoPad, ctx.stringAttr("auto_pad", "NOTSET"));
  if (autoPad == "NOTSET")
    return Status::success();
  if (autoPad == "VALID") {
    pads.assign(2 * k, 0);
    return Status::success();
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return makeError("unknown auto_pad \"" + autoPad + "\"");
  ONNX_ASSIGN(ext, staticShape(x, "auto_pad " + autoPad));
  for (size_t i = 0; i < k; ++i) {
    int64_t in = ext[2 + i];
    int64_t out = (in + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - in);
    int64_t small = total / 2, big = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : big;
    pads[k + i] = autoPad == "SAME_UPPER" ? big : small;
  }
  return Status::success();
}

/// A Conv node's conv of `x` and `w` (+ `bias`, may be null) with its
/// attributes (kernel_shape, strides, pads or auto_pad, dilations, group).
Expected<Value *> emitConvWithAttrs(NodeContext &ctx, Value *x, Value *w,
                                    Value *bias, const std::string &name) {
  int64_t k = x->type().rank() - 2;
  if (k < 1 || k > 3)
    return makeError("input must have rank 3..5, got " +
                     typeToString(x->type()));
  if (w->type().rank() != k + 2)
    return makeError("weight rank does not match the input, got " +
                     typeToString(w->type()));
  ONNX_ASSIGN(kernel, ctx.intsAttr("kernel_shape"));
  if (kernel.empty()) {
    ONNX_ASSIGN(wext, staticShape(w, "conv weight"));
    kernel.assign(wext.begin() + 2, wext.end());
  }
  if (static_cast<int64_t>(kernel.size()) != k)
    return makeError("attribute 'kernel_shape' needs " + std::to_string(k) +
                     " values");
  std::vector<int64_t> strides, pads, dilations;
  MLC_RETURN_IF_ERROR(
      windowAttrs(ctx, x, kernel, true, strides, pads, dilations));
  ONNX_ASSIGN(group, ctx.intAttr("group", 1));
  AttributeMap attrs{{"strides", strides},
                     {"pads", pads},
                     {"dilations", dilations},
                     {"group", group}};
  std::vector<Value *> operands{x, w};
  if (bias)
    operands.push_back(bias);
  return ctx.importer.emit(OpKind::Conv, operands, attrs, name);
}

Status convOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(w, ctx.input(1));
  return setOutput(
      ctx, 0,
      emitConvWithAttrs(ctx, x, w, ctx.optionalInput(2), ctx.outputName(0)));
}

/// The first `n` inputs of the node, all required.
Expected<std::vector<Value *>> requiredInputs(NodeContext &ctx, size_t n) {
  std::vector<Value *> in;
  for (size_t i = 0; i < n; ++i) {
    ONNX_ASSIGN(v, ctx.input(i));
    in.push_back(v);
  }
  return in;
}

/// Fails unless each of `values` holds exactly one element (per-tensor
/// scales and zero points); `what` names them in the message.
Status requireOneValue(std::initializer_list<Value *> values,
                       const std::string &what) {
  for (Value *v : values) {
    ONNX_ASSIGN(e, staticShape(v, "a scale or zero point"));
    ONNX_ASSIGN(count, elementCount(makeShape(e)));
    if (count != 1)
      return makeError(what + " must have one value, got " +
                       typeToString(v->type()));
  }
  return Status::success();
}

/// The QLinear ops' output, as onnx's references compute it: the f64
/// accumulator `acc` times s1 * s2 / ys (in s1's type, then f64; s1, s2
/// and ys already shaped to broadcast against acc), plus y_zero_point `yz`,
/// rounded half to even and saturated to yz's type (u8 or i8).
Status requantize(NodeContext &ctx, Value *acc, Value *s1, Value *s2, Value *ys,
                  Value *yz) {
  DType out = yz->type().dtype;
  if (out != DType::U8 && out != DType::I8)
    return makeError("y_zero_point must be u8 or i8, got " +
                     typeToString(yz->type()));
  Importer &im = ctx.importer;
  DType sdt = s1->type().dtype;
  ONNX_ASSIGN(s2c, castTo(im, s2, sdt));
  ONNX_ASSIGN(ysc, castTo(im, ys, sdt));
  ONNX_ASSIGN(prod, im.emit(OpKind::Mul, {s1, s2c}));
  ONNX_ASSIGN(ratio, im.emit(OpKind::Div, {prod, ysc}));
  ONNX_ASSIGN(r64, castTo(im, ratio, DType::F64));
  ONNX_ASSIGN(d, im.emit(OpKind::Mul, {acc, r64}));
  ONNX_ASSIGN(yzs, im.emitReshape(yz, {}));
  ONNX_ASSIGN(yz64, castTo(im, yzs, DType::F64));
  ONNX_ASSIGN(dz, im.emit(OpKind::Add, {d, yz64}));
  ONNX_ASSIGN(r, im.emit(OpKind::Round, {dz}));
  AttributeMap range{{"min", out == DType::U8 ? 0.0 : -128.0},
                     {"max", out == DType::U8 ? 255.0 : 127.0}};
  ONNX_ASSIGN(cl, im.emit(OpKind::Clip, {r}, range));
  return setOutput(ctx, 0, castTo(im, cl, out, ctx.outputName(0)));
}

/// `v` (u8 or i8) minus its zero point `zp` (null: none; per tensor, or for
/// a conv weight [M, ...] one per output channel), in f64: exact, and a
/// conv of such values stays exact in f64 (|products| <= 2^16).
Expected<Value *> shiftedToF64(Importer &im, Value *v, Value *zp,
                               const std::string &what) {
  ONNX_ASSIGN(vf, castTo(im, v, DType::F64));
  if (!zp)
    return vf;
  if (zp->type().dtype != v->type().dtype)
    return makeError(what + "'s zero point must have its type, got " +
                     typeToString(zp->type()));
  ONNX_ASSIGN(ze, staticShape(zp, what + " zero point"));
  ONNX_ASSIGN(count, elementCount(makeShape(ze)));
  ONNX_ASSIGN(ve, staticShape(v, what));
  std::vector<int64_t> to;
  if (count == 1) {
    to = {};
  } else if (ze.size() == 1 && !ve.empty() && ze[0] == ve[0]) {
    to = std::vector<int64_t>(ve.size(), 1);
    to[0] = ze[0];
  } else {
    return makeError(what +
                     "'s zero point must have one value, or one per "
                     "output channel, got " +
                     typeToString(zp->type()));
  }
  ONNX_ASSIGN(zr, im.emitReshape(zp, to));
  ONNX_ASSIGN(zf, castTo(im, zr, DType::F64));
  return im.emit(OpKind::Sub, {vf, zf});
}

/// ai.onnx.ml Binarizer: 1 where x > threshold, else 0, in x's type.
Status binarizerOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  DType dt = x->type().dtype;
  if (!isFloat(dt) && dt != DType::I32 && dt != DType::I64)
    return makeError("X must be a float, int32 or int64 tensor, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(threshold, ctx.floatAttr("threshold", 0.0));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(t, im.emitScalar(dt, threshold));
  ONNX_ASSIGN(gt, im.emit(OpKind::Greater, {x, t}));
  return setOutput(ctx, 0, castTo(im, gt, dt, ctx.outputName(0)));
}

/// Most internal nodes and leaves a TreeEnsemble may have.
constexpr int64_t kMaxTreeNodes = 1 << 16;
/// Deepest root-to-leaf path (the import walks trees recursively).
constexpr int64_t kMaxTreeDepth = 256;

/// ai.onnx.ml TreeEnsemble-5, as onnx's reference: every internal node's
/// decision at once ([N, M]: X's feature column against the split by the
/// node's mode, set membership against its members, NaN going the true
/// way where nodes_missing_value_tracks_true says so), then each leaf's
/// indicator as the "and" of the decisions along its root path (a gather
/// from [D, not D, true] and a min over the depth), and the leaves'
/// weights aggregated per target: a matmul for SUM and AVERAGE, a masked
/// min or max for MIN and MAX. post_transform is 0 only (the reference
/// applies none).
Status treeEnsembleOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  DType dt = x->type().dtype;
  if (!isFloat(dt) || xe.size() != 2)
    return makeError("X must be a 2-D float tensor, got " +
                     typeToString(x->type()));
  auto tensorValues = [&](const char *name) -> Expected<std::vector<double>> {
    const onnx::AttributeProto *a = ctx.attr(name);
    std::vector<double> out;
    if (!a)
      return out;
    if (a->type() != onnx::AttributeProto::TENSOR)
      return makeError(std::string("attribute '") + name +
                       "' must be a tensor");
    ONNX_ASSIGN(t, convertTensor(a->t(), ctx.importer.baseDir()));
    for (int64_t i = 0; i < t.numElements(); ++i)
      out.push_back(tensorElementAsDouble(t, i));
    return out;
  };
  ONNX_ASSIGN(splits, tensorValues("nodes_splits"));
  ONNX_ASSIGN(modes, tensorValues("nodes_modes"));
  ONNX_ASSIGN(weights, tensorValues("leaf_weights"));
  ONNX_ASSIGN(members, tensorValues("membership_values"));
  ONNX_ASSIGN(features, ctx.intsAttr("nodes_featureids"));
  ONNX_ASSIGN(trueIds, ctx.intsAttr("nodes_truenodeids"));
  ONNX_ASSIGN(falseIds, ctx.intsAttr("nodes_falsenodeids"));
  ONNX_ASSIGN(trueLeafs, ctx.intsAttr("nodes_trueleafs"));
  ONNX_ASSIGN(falseLeafs, ctx.intsAttr("nodes_falseleafs"));
  ONNX_ASSIGN(missingTrue, ctx.intsAttr("nodes_missing_value_tracks_true"));
  ONNX_ASSIGN(targets, ctx.intsAttr("leaf_targetids"));
  ONNX_ASSIGN(roots, ctx.intsAttr("tree_roots"));
  ONNX_ASSIGN(nTargets, ctx.intAttr("n_targets", 0));
  ONNX_ASSIGN(aggregate, ctx.intAttr("aggregate_function", 1));
  ONNX_ASSIGN(post, ctx.intAttr("post_transform", 0));
  int64_t m = static_cast<int64_t>(splits.size());
  int64_t leaves = static_cast<int64_t>(weights.size());
  size_t um = static_cast<size_t>(m);
  if (modes.size() != um || features.size() != um || trueIds.size() != um ||
      falseIds.size() != um || trueLeafs.size() != um ||
      falseLeafs.size() != um ||
      (!missingTrue.empty() && missingTrue.size() != um))
    return makeError("the nodes_* attributes must have one entry per node");
  if (targets.size() != static_cast<size_t>(leaves))
    return makeError("leaf_targetids and leaf_weights differ in length");
  if (post != 0)
    return makeError("post_transform " + std::to_string(post) +
                     " is not supported (only 0, none)");
  if (aggregate < 0 || aggregate > 3)
    return makeError("unknown aggregate_function " + std::to_string(aggregate));
  if (nTargets < 1 || roots.empty() || m + leaves > kMaxTreeNodes)
    return makeError("needs n_targets >= 1, tree roots and at most " +
                     std::to_string(kMaxTreeNodes) + " nodes and leaves");
  for (int64_t t : targets)
    if (t < 0 || t >= nTargets)
      return makeError("a leaf target id is outside [0, n_targets)");
  for (size_t i = 0; i < um; ++i)
    if (features[i] < 0 || features[i] >= xe[1] || modes[i] < 0 || modes[i] > 6)
      return makeError("node " + std::to_string(i) +
                       " has a feature id outside X's columns or an unknown "
                       "mode");
  // Members per node (each MEMBER node's run ends with a NaN).
  std::vector<std::vector<double>> sets(um);
  size_t next = 0;
  int64_t widest = 0;
  for (size_t i = 0; i < um; ++i) {
    if (modes[i] != 6)
      continue;
    while (next < members.size() && !std::isnan(members[next]))
      sets[i].push_back(members[next++]);
    if (next++ >= members.size())
      return makeError("membership_values has no NaN-ended run for node " +
                       std::to_string(i));
    widest = std::max<int64_t>(widest, static_cast<int64_t>(sets[i].size()));
  }
  // Each leaf's root path: (node, went true) steps.
  struct Reach {
    int64_t leaf;
    std::vector<std::pair<int64_t, bool>> steps;
  };
  std::vector<Reach> reaches;
  std::vector<std::pair<int64_t, bool>> path;
  std::function<Status(int64_t, bool)> walk = [&](int64_t id,
                                                  bool leaf) -> Status {
    if (leaf) {
      if (id < 0 || id >= leaves)
        return makeError("leaf id " + std::to_string(id) + " is out of range");
      // A leaf reached by several paths (both branches of a node may name
      // it) gets one indicator row per path; one path per tree is taken.
      if (static_cast<int64_t>(reaches.size()) >= kMaxTreeNodes)
        return makeError("the trees have more than " +
                         std::to_string(kMaxTreeNodes) + " root-to-leaf paths");
      reaches.push_back({id, path});
      return Status::success();
    }
    if (id < 0 || id >= m)
      return makeError("node id " + std::to_string(id) + " is out of range");
    if (static_cast<int64_t>(path.size()) >= std::min(m, kMaxTreeDepth))
      return makeError("a tree is deeper than " +
                       std::to_string(std::min(m, kMaxTreeDepth)) +
                       " nodes (or has a cycle)");
    size_t u = static_cast<size_t>(id);
    path.push_back({id, true});
    MLC_RETURN_IF_ERROR(walk(trueIds[u], trueLeafs[u] != 0));
    path.back().second = false;
    MLC_RETURN_IF_ERROR(walk(falseIds[u], falseLeafs[u] != 0));
    path.pop_back();
    return Status::success();
  };
  for (int64_t r : roots) {
    if (r < 0 || r >= m)
      return makeError("tree root " + std::to_string(r) + " is out of range");
    size_t u = static_cast<size_t>(r);
    bool isLeaf = trueLeafs[u] && falseLeafs[u] && trueIds[u] == falseIds[u];
    MLC_RETURN_IF_ERROR(isLeaf ? walk(trueIds[u], true) : walk(r, false));
  }
  size_t depth = 1;
  for (const Reach &r : reaches)
    depth = std::max(depth, r.steps.size());
  // The rows of the indicator: one per root-to-leaf path.
  int64_t rowsL = static_cast<int64_t>(reaches.size());
  Importer &im = ctx.importer;
  int64_t n = xe[0];
  auto constant = [&](DType t, std::vector<int64_t> shape,
                      const std::vector<double> &v) -> Expected<Value *> {
    ONNX_ASSIGN(d, makeTensorFromDoubles(TensorType{t, makeShape(shape)}, v));
    return im.emitConstant(std::move(d));
  };
  auto bin = [&](OpKind k, Value *a, Value *b) { return im.emit(k, {a, b}); };
  Value *indicator = nullptr; // [N, leaves] in dt
  if (m > 0) {
    std::vector<double> feat(features.begin(), features.end());
    ONNX_ASSIGN(fi, constant(DType::I64, {m}, feat));
    ONNX_ASSIGN(xf, im.emit(OpKind::Gather, {x, fi}, {{"axis", int64_t{1}}}));
    std::vector<double> cLt(um), cEq(um), cGt(um), cNe(um), cMember(um),
        cMissing(um);
    for (size_t i = 0; i < um; ++i) {
      int mode = static_cast<int>(modes[i]);
      cLt[i] = mode == 0 || mode == 1;
      cEq[i] = mode == 0 || mode == 2 || mode == 4;
      cGt[i] = mode == 2 || mode == 3;
      cNe[i] = mode == 5;
      cMember[i] = mode == 6;
      cMissing[i] = !missingTrue.empty() && missingTrue[i] != 0;
    }
    ONNX_ASSIGN(sv, constant(dt, {m}, splits));
    ONNX_ASSIGN(lt, bin(OpKind::Less, xf, sv));
    ONNX_ASSIGN(eq, bin(OpKind::Equal, xf, sv));
    ONNX_ASSIGN(gt, bin(OpKind::Greater, xf, sv));
    ONNX_ASSIGN(ne, im.emit(OpKind::Not, {eq}));
    Value *d = nullptr;
    std::pair<Value *, std::vector<double> *> parts[] = {
        {lt, &cLt}, {eq, &cEq}, {gt, &cGt}, {ne, &cNe}};
    for (auto &[v, c] : parts) {
      ONNX_ASSIGN(cv, constant(DType::Bool, {m}, *c));
      ONNX_ASSIGN(t, bin(OpKind::And, v, cv));
      if (d) {
        ONNX_ASSIGN(o, bin(OpKind::Or, d, t));
        d = o;
      } else {
        d = t;
      }
    }
    if (widest > 0) {
      if (static_cast<int64_t>(um) * widest > (int64_t{1} << 24))
        return makeError("membership_values makes a node x member table of "
                         "more than 2^24 entries");
      std::vector<double> table(um * static_cast<size_t>(widest),
                                std::numeric_limits<double>::quiet_NaN());
      for (size_t i = 0; i < um; ++i)
        for (size_t j = 0; j < sets[i].size(); ++j)
          table[i * static_cast<size_t>(widest) + j] = sets[i][j];
      ONNX_ASSIGN(tv, constant(dt, {1, m, widest}, table));
      ONNX_ASSIGN(x3, im.emitReshape(xf, {n, m, 1}));
      ONNX_ASSIGN(hit, bin(OpKind::Equal, x3, tv));
      ONNX_ASSIGN(hitF, castTo(im, hit, DType::F32));
      ONNX_ASSIGN(any, im.emit(OpKind::ReduceMax, {hitF},
                               {{"axes", std::vector<int64_t>{2}},
                                {"keepdims", int64_t{0}}}));
      ONNX_ASSIGN(half, im.emitScalar(DType::F32, 0.5));
      ONNX_ASSIGN(isMember, bin(OpKind::Greater, any, half));
      ONNX_ASSIGN(cm, constant(DType::Bool, {m}, cMember));
      ONNX_ASSIGN(sel, im.emit(OpKind::Where, {cm, isMember, d}));
      d = sel;
    }
    ONNX_ASSIGN(same, bin(OpKind::Equal, xf, xf));
    ONNX_ASSIGN(nan, im.emit(OpKind::Not, {same}));
    ONNX_ASSIGN(cmiss, constant(DType::Bool, {m}, cMissing));
    ONNX_ASSIGN(missing, bin(OpKind::And, nan, cmiss));
    ONNX_ASSIGN(dm, bin(OpKind::Or, d, missing));
    ONNX_ASSIGN(notD, im.emit(OpKind::Not, {dm}));
    ONNX_ASSIGN(yes, constant(DType::Bool, {n, 1},
                              std::vector<double>(static_cast<size_t>(n), 1)));
    ONNX_ASSIGN(ext, im.emit(OpKind::Concat, {dm, notD, yes},
                             {{"axis", int64_t{1}}})); // [N, 2M + 1]
    std::vector<double> idx;
    for (const Reach &r : reaches)
      for (size_t k = 0; k < depth; ++k) {
        const std::vector<std::pair<int64_t, bool>> &p = r.steps;
        idx.push_back(
            k < p.size()
                ? static_cast<double>(p[k].second ? p[k].first : m + p[k].first)
                : static_cast<double>(2 * m));
      }
    ONNX_ASSIGN(
        iv, constant(DType::I64, {rowsL, static_cast<int64_t>(depth)}, idx));
    ONNX_ASSIGN(steps, im.emit(OpKind::Gather, {ext, iv},
                               {{"axis", int64_t{1}}})); // [N, rows, depth]
    ONNX_ASSIGN(stepsF, castTo(im, steps, dt));
    ONNX_ASSIGN(all, im.emit(OpKind::ReduceMin, {stepsF},
                             {{"axes", std::vector<int64_t>{2}},
                              {"keepdims", int64_t{0}}}));
    indicator = all;
  } else {
    ONNX_ASSIGN(ones, constant(dt, {n, rowsL},
                               std::vector<double>(
                                   static_cast<size_t>(n * rowsL), 1.0)));
    indicator = ones;
  }
  // Per path row: its leaf's weight and target.
  int64_t trees = static_cast<int64_t>(roots.size());
  if (aggregate <= 1) {
    std::vector<double> w(static_cast<size_t>(rowsL * nTargets), 0.0);
    double scale = aggregate == 0 ? 1.0 / static_cast<double>(trees) : 1.0;
    for (int64_t r = 0; r < rowsL; ++r) {
      size_t leaf = static_cast<size_t>(reaches[static_cast<size_t>(r)].leaf);
      w[static_cast<size_t>(r * nTargets + targets[leaf])] +=
          weights[leaf] * scale;
    }
    ONNX_ASSIGN(wv, constant(dt, {rowsL, nTargets}, w));
    return setOutput(
        ctx, 0,
        im.emit(OpKind::MatMul, {indicator, wv}, {}, ctx.outputName(0)));
  }
  // MIN / MAX: per target, over the taken paths whose leaf aims there.
  bool isMin = aggregate == 2;
  // np.finfo(X.dtype).max / .min, as the reference starts from.
  double big = dt == DType::F16    ? 65504.0
               : dt == DType::BF16 ? 3.3895313892515355e38
               : dt == DType::F32  ? std::numeric_limits<float>::max()
                                   : std::numeric_limits<double>::max();
  double init = isMin ? big : -big;
  std::vector<double> aim(static_cast<size_t>(rowsL * nTargets), 0.0),
      w(static_cast<size_t>(rowsL));
  for (int64_t r = 0; r < rowsL; ++r) {
    size_t leaf = static_cast<size_t>(reaches[static_cast<size_t>(r)].leaf);
    aim[static_cast<size_t>(r * nTargets + targets[leaf])] = 1.0;
    w[static_cast<size_t>(r)] = weights[leaf];
  }
  ONNX_ASSIGN(aimV, constant(DType::Bool, {1, rowsL, nTargets}, aim));
  ONNX_ASSIGN(ind3, im.emitReshape(indicator, {n, rowsL, 1}));
  ONNX_ASSIGN(half, im.emitScalar(dt, 0.5));
  ONNX_ASSIGN(on, bin(OpKind::Greater, ind3, half));
  ONNX_ASSIGN(both, bin(OpKind::And, on, aimV));
  ONNX_ASSIGN(wv, constant(dt, {1, rowsL, 1}, w));
  ONNX_ASSIGN(iv, im.emitScalar(dt, init));
  ONNX_ASSIGN(cand, im.emit(OpKind::Where, {both, wv, iv}));
  ONNX_ASSIGN(r, im.emit(isMin ? OpKind::ReduceMin : OpKind::ReduceMax, {cand},
                         {{"axes", std::vector<int64_t>{1}},
                          {"keepdims", int64_t{0}}}));
  ONNX_ASSIGN(best, bin(isMin ? OpKind::Min : OpKind::Max, r, iv));
  return setOutput(ctx, 0, castTo(im, best, dt, ctx.outputName(0)));
}

/// ai.onnx.ml ArrayFeatureExtractor: X's elements at indices Y (int64, 1-D
/// or [1, n]) along the last axis, as onnx's reference: [..., n], or
/// [1, n] for a 1-D X.
Status arrayFeatureExtractorOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(y, ctx.input(1));
  if (y->type().dtype != DType::I64)
    return makeError("Y must be an int64 tensor, got " +
                     typeToString(y->type()));
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  ONNX_ASSIGN(ye, staticShape(y, "Y"));
  if (xe.empty())
    return makeError("X must have rank >= 1, got " + typeToString(x->type()));
  if (!(ye.size() == 1 || (ye.size() == 2 && ye[0] == 1)))
    return makeError("Y must be [n] or [1, n], got " + typeToString(y->type()));
  int64_t n = ye.back();
  Importer &im = ctx.importer;
  ONNX_ASSIGN(idx, im.emitReshape(y, {n}));
  AttributeMap ga{{"axis", static_cast<int64_t>(xe.size()) - 1}};
  ONNX_ASSIGN(g, im.emit(OpKind::Gather, {x, idx}, ga));
  std::vector<int64_t> shape(xe.begin(), xe.end() - 1);
  if (shape.empty())
    shape.push_back(1);
  shape.push_back(n);
  return setOutput(ctx, 0, im.emitReshape(g, shape, ctx.outputName(0)));
}

/// ConvInteger-10: conv(x - x_zero_point, w - w_zero_point) in int32, as
/// onnx's reference; computed in f64, exact for 8-bit operands.
Status convIntegerOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(w, ctx.input(1));
  auto eightBit = [](DType t) { return t == DType::U8 || t == DType::I8; };
  if (!eightBit(x->type().dtype) || !eightBit(w->type().dtype))
    return makeError("x and w must be int8 or uint8, got " +
                     typeToString(x->type()) + " and " +
                     typeToString(w->type()));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(xs, shiftedToF64(im, x, ctx.optionalInput(2), "x"));
  ONNX_ASSIGN(ws, shiftedToF64(im, w, ctx.optionalInput(3), "w"));
  ONNX_ASSIGN(c, emitConvWithAttrs(ctx, xs, ws, nullptr, ""));
  return setOutput(ctx, 0, castTo(im, c, DType::I32, ctx.outputName(0)));
}

/// QLinearConv-10, as onnx's reference: conv(x - x_zp, w - w_zp) + B
/// (exact, in f64), times x_scale * w_scale / y_scale (the scales' type,
/// then f64; w_scale per tensor or per output channel), plus y_zp, rounded
/// half to even and saturated to y_zp's type.
Status qlinearConvOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(in, requiredInputs(ctx, 8));
  Value *x = in[0], *xsc = in[1], *xz = in[2], *w = in[3], *wsc = in[4],
        *wz = in[5], *ysc = in[6], *yz = in[7];
  Value *bias = ctx.optionalInput(8);
  auto eightBit = [](DType t) { return t == DType::U8 || t == DType::I8; };
  if (!eightBit(x->type().dtype) || !eightBit(w->type().dtype) ||
      !eightBit(yz->type().dtype))
    return makeError("x, w and y_zero_point must be int8 or uint8");
  if (bias && bias->type().dtype != DType::I32)
    return makeError("B must be int32, got " + typeToString(bias->type()));
  MLC_RETURN_IF_ERROR(
      requireOneValue({xsc, xz, ysc, yz}, "x and y scales and zero points"));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(xs, shiftedToF64(im, x, xz, "x"));
  ONNX_ASSIGN(ws, shiftedToF64(im, w, wz, "w"));
  Value *b64 = nullptr;
  if (bias) {
    ONNX_ASSIGN(bf, castTo(im, bias, DType::F64));
    b64 = bf;
  }
  ONNX_ASSIGN(c, emitConvWithAttrs(ctx, xs, ws, b64, ""));
  // The per-channel w_scale [M] as [M, 1, ...] against c [N, M, ...].
  ONNX_ASSIGN(we, staticShape(wsc, "w_scale"));
  ONNX_ASSIGN(wcount, elementCount(makeShape(we)));
  ONNX_ASSIGN(ce, staticShape(c, "the conv"));
  std::vector<int64_t> wto;
  if (wcount == 1) {
    wto = {};
  } else if (we.size() == 1 && ce.size() >= 2 && we[0] == ce[1]) {
    wto = std::vector<int64_t>(ce.size() - 1, 1);
    wto[0] = we[0];
  } else {
    return makeError("w_scale must have one value or one per output "
                     "channel, got " +
                     typeToString(wsc->type()));
  }
  ONNX_ASSIGN(xsr, im.emitReshape(xsc, {}));
  ONNX_ASSIGN(wsr, im.emitReshape(wsc, wto));
  ONNX_ASSIGN(ysr, im.emitReshape(ysc, {}));
  return requantize(ctx, c, xsr, wsr, ysr, yz);
}

//===----------------------------------------------------------------------===//
// Windows, reductions and normalizations
//===----------------------------------------------------------------------===//

/// MaxPool's Indices output, as onnx's reference computes it: for each
/// window the flat index (over the whole input, batch and channel
/// included; column-major within the 2-D spatial plane for storage_order
/// 1) of its first maximum in window order. Every tap's values are a
/// strided slice of x padded with -inf, its indices a constant per output
/// position plus the batch-and-channel base; a running where over the taps
/// keeps the first strict maximum.
Expected<Value *> maxPoolIndices(NodeContext &ctx, Value *x, Value *y,
                                 const std::vector<int64_t> &kernel,
                                 const std::vector<int64_t> &strides,
                                 const std::vector<int64_t> &pads,
                                 const std::vector<int64_t> &dilations) {
  if (!isFloat(x->type().dtype))
    return makeError("the Indices output needs a float input, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(storageOrder, ctx.intAttr("storage_order", 0));
  ONNX_ASSIGN(xe, staticShape(x, "MaxPool with Indices"));
  ONNX_ASSIGN(ye, staticShape(y, "MaxPool with Indices"));
  size_t k = kernel.size();
  if (storageOrder != 0 && (storageOrder != 1 || k != 2))
    return makeError("storage_order must be 0, or 1 for 2-D pooling, got " +
                     std::to_string(storageOrder));
  int64_t taps = 1, outPoints = 1, plane = 1;
  for (size_t i = 0; i < k; ++i) {
    taps *= kernel[i];
    outPoints *= ye[2 + i];
    plane *= xe[2 + i];
  }
  if (taps * outPoints > kMaxConstantExtent)
    return makeError("the Indices output needs " +
                     std::to_string(taps * outPoints) +
                     " index constants, too large (limit " +
                     std::to_string(kMaxConstantExtent) + ")");
  Importer &im = ctx.importer;
  // x padded with -inf so that every tap of every window is in bounds.
  std::vector<int64_t> padAll(2 * xe.size(), 0);
  for (size_t i = 0; i < k; ++i) {
    int64_t needed =
        (ye[2 + i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
    padAll[2 + i] = pads[i];
    padAll[xe.size() + 2 + i] =
        std::max<int64_t>(0, needed - xe[2 + i] - pads[i]);
  }
  AttributeMap pa{
      {"pads", padAll}, {"mode", std::string("constant")}, {"value", -kInf}};
  ONNX_ASSIGN(xp, im.emit(OpKind::Pad, {x}, pa));
  // (n * C + c) * plane, as [N, C, 1, ...].
  std::vector<int64_t> baseShape(xe.size(), 1);
  baseShape[0] = xe[0];
  baseShape[1] = xe[1];
  std::vector<double> base;
  for (int64_t nc = 0; nc < xe[0] * xe[1]; ++nc)
    base.push_back(static_cast<double>(nc * plane));
  ONNX_ASSIGN(baseData,
              makeTensorFromDoubles(
                  TensorType{DType::I64, makeShape(baseShape)}, base));
  ONNX_ASSIGN(baseV, im.emitConstant(std::move(baseData)));
  std::vector<int64_t> tapShape(xe.size(), 1);
  for (size_t i = 0; i < k; ++i)
    tapShape[2 + i] = ye[2 + i];
  Value *bestV = nullptr, *bestI = nullptr;
  std::vector<int64_t> tap(k, 0);
  for (int64_t t = 0; t < taps; ++t) {
    std::vector<int64_t> starts(xe.size(), 0), ends = ye, steps(xe.size(), 1);
    for (size_t i = 0; i < k; ++i) {
      starts[2 + i] = tap[i] * dilations[i];
      ends[2 + i] = starts[2 + i] + (ye[2 + i] - 1) * strides[i] + 1;
      steps[2 + i] = strides[i];
    }
    AttributeMap sl{{"starts", starts}, {"ends", ends}, {"steps", steps}};
    ONNX_ASSIGN(v, im.emit(OpKind::Slice, {xp}, sl));
    // The tap's input position for every output position.
    std::vector<double> offsets;
    std::vector<int64_t> o(k, 0);
    for (int64_t p = 0; p < outPoints; ++p) {
      int64_t flat = 0;
      bool inside = true;
      std::vector<int64_t> in(k);
      for (size_t i = 0; i < k; ++i) {
        in[i] = o[i] * strides[i] + tap[i] * dilations[i] - pads[i];
        inside &= in[i] >= 0 && in[i] < xe[2 + i];
      }
      if (storageOrder == 1) {
        flat = in[0] + in[1] * xe[2];
      } else {
        for (size_t i = 0; i < k; ++i)
          flat = flat * xe[2 + i] + in[i];
      }
      offsets.push_back(inside ? static_cast<double>(flat) : 0.0);
      for (size_t i = k; i-- > 0;) { // next output position, row-major
        if (++o[i] < ye[2 + i])
          break;
        o[i] = 0;
      }
    }
    ONNX_ASSIGN(offData,
                makeTensorFromDoubles(
                    TensorType{DType::I64, makeShape(tapShape)}, offsets));
    ONNX_ASSIGN(offV, im.emitConstant(std::move(offData)));
    ONNX_ASSIGN(idx, im.emit(OpKind::Add, {baseV, offV}));
    if (!bestV) {
      bestV = v;
      bestI = idx;
    } else {
      ONNX_ASSIGN(gt, im.emit(OpKind::Greater, {v, bestV}));
      ONNX_ASSIGN(ni, im.emit(OpKind::Where, {gt, idx, bestI}));
      ONNX_ASSIGN(nv, im.emit(OpKind::Where, {gt, v, bestV}));
      bestI = ni;
      bestV = nv;
    }
    for (size_t i = k; i-- > 0;) { // next tap, row-major
      if (++tap[i] < kernel[i])
        break;
      tap[i] = 0;
    }
  }
  return bestI;
}

/// A dilated AveragePool where ceil_mode adds a window, as onnx's
/// reference: the added window's taps beyond the padded input are left out
/// of the average, and count_include_pad = 0 counts only the input's
/// elements. Computed as the window sums of x, zero-padded to cover every
/// window, over the window counts of a constant mask of the counted
/// positions (both avg_pools without padding, so each averages all K taps
/// and the K cancels).
Status dilatedCeilAvgPool(NodeContext &ctx, Value *x,
                          const std::vector<int64_t> &ext,
                          const std::vector<int64_t> &kernel,
                          const std::vector<int64_t> &strides,
                          const std::vector<int64_t> &pads,
                          const std::vector<int64_t> &dilations) {
  Importer &im = ctx.importer;
  size_t k = kernel.size();
  ONNX_ASSIGN(cip, ctx.intAttr("count_include_pad", 0));
  std::vector<int64_t> fullPads(2 * (k + 2), 0), padded{1, 1};
  for (size_t i = 0; i < k; ++i) {
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    int64_t total = ext[2 + i] + pads[i] + pads[k + i];
    int64_t out = (total - span + strides[i] - 1) / strides[i] + 1;
    // The last window must start inside the input or its leading pad.
    if ((out - 1) * strides[i] >= ext[2 + i] + pads[i])
      --out;
    int64_t end = std::max((out - 1) * strides[i] + span, total);
    fullPads[2 + i] = pads[i];
    fullPads[k + 4 + i] = end - ext[2 + i] - pads[i];
    padded.push_back(end);
  }
  ONNX_ASSIGN(count, elementCount(makeShape(padded)));
  if (count > (int64_t{1} << 26))
    return makeError("a dilated AveragePool with ceil_mode over " +
                     std::to_string(count) +
                     " padded elements is too large (the count mask is a "
                     "constant of at most 2^26 elements)");
  // 1 where a tap counts: inside the padded input (count_include_pad) or
  // inside the input.
  std::vector<double> mask(static_cast<size_t>(count), 1.0);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t rest = flat;
    for (size_t i = k; i-- > 0;) {
      int64_t at = rest % padded[2 + i];
      rest /= padded[2 + i];
      int64_t lo = cip ? 0 : pads[i];
      int64_t hi =
          cip ? ext[2 + i] + pads[i] + pads[k + i] : pads[i] + ext[2 + i];
      if (at < lo || at >= hi)
        mask[static_cast<size_t>(flat)] = 0.0;
    }
  }
  DType dt = x->type().dtype;
  ONNX_ASSIGN(md,
              makeTensorFromDoubles(TensorType{dt, makeShape(padded)}, mask));
  ONNX_ASSIGN(mv, im.emitConstant(std::move(md)));
  AttributeMap pad{
      {"pads", fullPads}, {"mode", std::string("constant")}, {"value", 0.0}};
  ONNX_ASSIGN(xp, im.emit(OpKind::Pad, {x}, pad));
  AttributeMap attrs{{"kernel", kernel},
                     {"strides", strides},
                     {"pads", std::vector<int64_t>(2 * k, 0)},
                     {"dilations", dilations},
                     {"ceil_mode", int64_t(0)},
                     {"count_include_pad", int64_t(1)}};
  ONNX_ASSIGN(sums, im.emit(OpKind::AvgPool, {xp}, attrs));
  ONNX_ASSIGN(counts, im.emit(OpKind::AvgPool, {mv}, attrs));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Div, {sums, counts}, {}, ctx.outputName(0)));
}

Status poolOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(x, ctx.input(0));
  int64_t k = x->type().rank() - 2;
  if (k < 1)
    return makeError("input must have rank >= 3, got " +
                     typeToString(x->type()));
  if (!ctx.hasAttr("kernel_shape"))
    return makeError("missing required attribute 'kernel_shape'");
  ONNX_ASSIGN(kernel, ctx.intsAttr("kernel_shape"));
  if (static_cast<int64_t>(kernel.size()) != k)
    return makeError("attribute 'kernel_shape' needs " + std::to_string(k) +
                     " values");
  std::vector<int64_t> strides, pads, dilations;
  MLC_RETURN_IF_ERROR(
      windowAttrs(ctx, x, kernel, true, strides, pads, dilations));
  ONNX_ASSIGN(ceilMode, ctx.intAttr("ceil_mode", 0));
  AttributeMap attrs{{"kernel", kernel},
                     {"strides", strides},
                     {"pads", pads},
                     {"ceil_mode", ceilMode ? int64_t(1) : int64_t(0)}};
  // avg_pool's dilations are optional: left out when all 1.
  bool dilated = std::any_of(dilations.begin(), dilations.end(),
                             [](int64_t d) { return d != 1; });
  if (kind != OpKind::MaxPool && dilated && ceilMode) {
    ONNX_ASSIGN(ext, staticShape(x, "dilated AveragePool with ceil_mode"));
    for (int64_t i = 0; i < k; ++i) {
      int64_t span = ext[2 + i] + pads[i] + pads[k + i] -
                     dilations[i] * (kernel[i] - 1) - 1;
      if (span >= 0 && span % strides[i] != 0)
        return dilatedCeilAvgPool(ctx, x, ext, kernel, strides, pads,
                                  dilations);
    }
  }
  if (kind == OpKind::MaxPool || dilated)
    attrs["dilations"] = dilations;
  if (kind != OpKind::MaxPool) {
    ONNX_ASSIGN(cip, ctx.intAttr("count_include_pad", 0));
    attrs["count_include_pad"] = cip ? int64_t(1) : int64_t(0);
  }
  ONNX_ASSIGN(y, ctx.importer.emit(kind, {x}, attrs, ctx.outputName(0)));
  MLC_RETURN_IF_ERROR(setOutput(ctx, 0, y));
  if (kind != OpKind::MaxPool || ctx.outputUsed.size() < 2 ||
      !ctx.outputUsed[1])
    return Status::success();
  return setOutput(ctx, 1,
                   maxPoolIndices(ctx, x, y, kernel, strides, pads, dilations));
}

/// LpPool: (sum over the window of |x|^p)^(1/p), the sum as avg_pool with
/// count_include_pad times the window size (padding adds zeros).
Status lpPoolOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  int64_t k = x->type().rank() - 2;
  if (k < 1)
    return makeError("input must have rank >= 3, got " +
                     typeToString(x->type()));
  if (!isFloat(x->type().dtype))
    return makeError("input must be a float tensor, got " +
                     typeToString(x->type()));
  if (!ctx.hasAttr("kernel_shape"))
    return makeError("missing required attribute 'kernel_shape'");
  ONNX_ASSIGN(kernel, ctx.intsAttr("kernel_shape"));
  if (static_cast<int64_t>(kernel.size()) != k)
    return makeError("attribute 'kernel_shape' needs " + std::to_string(k) +
                     " values");
  ONNX_ASSIGN(p, ctx.intAttr("p", 2));
  if (p < 1)
    return makeError("p must be positive, got " + std::to_string(p));
  std::vector<int64_t> strides, pads, dilations;
  MLC_RETURN_IF_ERROR(
      windowAttrs(ctx, x, kernel, true, strides, pads, dilations));
  ONNX_ASSIGN(ceilMode, ctx.intAttr("ceil_mode", 0));
  if (ceilMode) {
    // avg_pool leaves a window that ceil_mode adds out of its divisor.
    ONNX_ASSIGN(ext, staticShape(x, "LpPool with ceil_mode"));
    for (int64_t i = 0; i < k; ++i) {
      int64_t span = ext[2 + i] + pads[i] + pads[k + i] -
                     dilations[i] * (kernel[i] - 1) - 1;
      if (span >= 0 && span % strides[i] != 0)
        return makeError("ceil_mode = 1 where it adds a window is not "
                         "supported");
    }
  }
  AttributeMap attrs{{"kernel", kernel},
                     {"strides", strides},
                     {"pads", pads},
                     {"dilations", dilations},
                     {"ceil_mode", ceilMode ? int64_t(1) : int64_t(0)},
                     {"count_include_pad", int64_t(1)}};
  Importer &im = ctx.importer;
  ONNX_ASSIGN(ax, im.emit(OpKind::Abs, {x}));
  Value *powered = ax;
  if (p == 2) {
    ONNX_ASSIGN(sq, im.emit(OpKind::Mul, {x, x}));
    powered = sq;
  } else if (p != 1) {
    ONNX_ASSIGN(pv, scalarLike(im, x, static_cast<double>(p)));
    ONNX_ASSIGN(pw, im.emit(OpKind::Pow, {ax, pv}));
    powered = pw;
  }
  ONNX_ASSIGN(avg, im.emit(OpKind::AvgPool, {powered}, attrs));
  double size = 1;
  for (int64_t e : kernel)
    size *= static_cast<double>(e);
  ONNX_ASSIGN(n, scalarLike(im, x, size));
  const std::string out = ctx.outputName(0);
  if (p == 1)
    return setOutput(ctx, 0, im.emit(OpKind::Mul, {avg, n}, {}, out));
  ONNX_ASSIGN(sum, im.emit(OpKind::Mul, {avg, n}));
  if (p == 2)
    return setOutput(ctx, 0, im.emit(OpKind::Sqrt, {sum}, {}, out));
  ONNX_ASSIGN(inv, scalarLike(im, x, 1.0 / static_cast<double>(p)));
  return setOutput(ctx, 0, im.emit(OpKind::Pow, {sum, inv}, {}, out));
}

Status globalPoolOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(x, ctx.input(0));
  int64_t rank = x->type().rank();
  if (rank < 3)
    return makeError("input must have rank >= 3, got " +
                     typeToString(x->type()));
  std::vector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  AttributeMap attrs{{"axes", axes}, {"keepdims", int64_t(1)}};
  return setOutput(ctx, 0,
                   ctx.importer.emit(kind, {x}, attrs, ctx.outputName(0)));
}

/// The axes of a Reduce* node: an attribute before opset 18 (13 for
/// ReduceSum), an input after. Empty means every axis, unless
/// noop_with_empty_axes asks for no reduction (`noop`).
Status reduceAxes(NodeContext &ctx, Value *x, bool axesAsInput,
                  std::vector<int64_t> &axes, bool &noop,
                  Value **runTime = nullptr) {
  int64_t rank = x->type().rank();
  noop = false;
  if (axesAsInput) {
    if (ctx.hasAttr("axes"))
      return makeError("attribute 'axes' is not allowed at this opset (axes "
                       "is an input)");
    ONNX_ASSIGN(n, ctx.intAttr("noop_with_empty_axes", 0));
    noop = n != 0;
    if (Value *a = ctx.optionalInput(1); a && runTime && isRunTimeInts(a)) {
      // Read at run time (ValueShapes.cpp); a non-empty list, so
      // noop_with_empty_axes does not matter.
      *runTime = a;
      return Status::success();
    }
    if (Value *a = ctx.optionalInput(1)) {
      ONNX_ASSIGN(list, ctx.importer.requireInts(a, "axes"));
      axes = list;
    }
  } else {
    ONNX_ASSIGN(list, ctx.intsAttr("axes"));
    axes = list;
  }
  if (axes.empty() && !noop)
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  ONNX_ASSIGN(norm, normalizeAxes(axes, rank));
  axes = norm;
  return Status::success();
}

Status reduceOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(keepdims, ctx.intAttr("keepdims", 1));
  std::vector<int64_t> axes;
  bool noop = false;
  Value *runTime = nullptr;
  MLC_RETURN_IF_ERROR(reduceAxes(
      ctx, x, ctx.importer.opset() >= 18 || kind == OpKind::ReduceSum, axes,
      noop, &runTime));
  if (runTime) {
    ONNX_ASSIGN(ra, runTimeReduceAxes(ctx, x, runTime));
    ONNX_ASSIGN(full, reduceFull(ctx.importer, kind, x, ra));
    return setOutput(ctx, 0,
                     finishReduce(ctx, full, x->type().shape, ra, keepdims));
  }
  if (axes.empty())
    return setOutput(ctx, 0, x);
  AttributeMap attrs{{"axes", axes},
                     {"keepdims", keepdims ? int64_t(1) : int64_t(0)}};
  return setOutput(ctx, 0,
                   ctx.importer.emit(kind, {x}, attrs, ctx.outputName(0)));
}

/// reduceCompositeOp with axes read at run time: the same formulas on
/// reduceFull's broadcast form, then finishReduce.
Status reduceCompositeRunTime(NodeContext &ctx, Value *x, Value *axesIn,
                              bool keepdims) {
  const std::string &op = ctx.proto.op_type();
  Importer &im = ctx.importer;
  ONNX_ASSIGN(ra, runTimeReduceAxes(ctx, x, axesIn));
  auto sum = [&](Value *v) { return reduceFull(im, OpKind::ReduceSum, v, ra); };
  Value *full = nullptr;
  if (op == "ReduceL1") {
    ONNX_ASSIGN(a, im.emit(OpKind::Abs, {x}));
    ONNX_ASSIGN(s1, sum(a));
    full = s1;
  } else if (op == "ReduceSumSquare" || op == "ReduceL2") {
    ONNX_ASSIGN(sq, im.emit(OpKind::Mul, {x, x}));
    ONNX_ASSIGN(s2, sum(sq));
    full = s2;
    if (op == "ReduceL2") {
      ONNX_ASSIGN(r, im.emit(OpKind::Sqrt, {s2}));
      full = r;
    }
  } else if (op == "ReduceLogSum") {
    ONNX_ASSIGN(s1, sum(x));
    ONNX_ASSIGN(l, im.emit(OpKind::Log, {s1}));
    full = l;
  } else {
    // ReduceLogSumExp, stable as in reduceCompositeOp.
    ONNX_ASSIGN(m, reduceFull(im, OpKind::ReduceMax, x, ra));
    AttributeMap finite{{"min", -std::numeric_limits<double>::max()},
                        {"max", std::numeric_limits<double>::max()}};
    ONNX_ASSIGN(shift, im.emit(OpKind::Clip, {m}, finite));
    ONNX_ASSIGN(d, im.emit(OpKind::Sub, {x, shift}));
    ONNX_ASSIGN(e, im.emit(OpKind::Exp, {d}));
    ONNX_ASSIGN(s1, sum(e));
    ONNX_ASSIGN(l, im.emit(OpKind::Log, {s1}));
    ONNX_ASSIGN(r, im.emit(OpKind::Add, {l, shift}));
    full = r;
  }
  return setOutput(ctx, 0,
                   finishReduce(ctx, full, x->type().shape, ra, keepdims));
}

/// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum and ReduceLogSumExp,
/// spelled with the IR's elementwise ops and reduce_sum / reduce_max. With
/// noop_with_empty_axes and no axes, only the elementwise part applies (as
/// in onnx's reference: a sum over no axes).
Status reduceCompositeOp(NodeContext &ctx, OpKind) {
  const std::string &op = ctx.proto.op_type();
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(keepdims, ctx.intAttr("keepdims", 1));
  std::vector<int64_t> axes;
  bool noop = false;
  Value *runTime = nullptr;
  MLC_RETURN_IF_ERROR(
      reduceAxes(ctx, x, ctx.importer.opset() >= 18, axes, noop, &runTime));
  bool isFloatType = isFloat(x->type().dtype);
  if (!isFloatType && op != "ReduceL1" && op != "ReduceSumSquare")
    return makeError(op + " needs a floating-point input");
  if (runTime)
    return reduceCompositeRunTime(ctx, x, runTime, keepdims != 0);
  auto sum = [&](Value *v, bool keep,
                 const std::string &name) -> Expected<Value *> {
    if (axes.empty())
      return v;
    AttributeMap attrs{{"axes", axes},
                       {"keepdims", keep ? int64_t(1) : int64_t(0)}};
    return ctx.importer.emit(OpKind::ReduceSum, {v}, attrs, name);
  };
  auto unary = [&](OpKind kind, Value *v, const std::string &name) {
    return ctx.importer.emit(kind, {v}, {}, name);
  };
  const std::string out = ctx.outputName(0);
  if (op == "ReduceL1") {
    ONNX_ASSIGN(a, unary(OpKind::Abs, x, ""));
    return setOutput(ctx, 0, sum(a, keepdims != 0, out));
  }
  if (op == "ReduceSumSquare" || op == "ReduceL2") {
    ONNX_ASSIGN(sq, ctx.importer.emit(OpKind::Mul, {x, x}, {}, ""));
    if (op == "ReduceSumSquare")
      return setOutput(ctx, 0, sum(sq, keepdims != 0, out));
    ONNX_ASSIGN(s2, sum(sq, keepdims != 0, ""));
    return setOutput(ctx, 0, unary(OpKind::Sqrt, s2, out));
  }
  if (op == "ReduceLogSum") {
    ONNX_ASSIGN(s1, sum(x, keepdims != 0, ""));
    return setOutput(ctx, 0, unary(OpKind::Log, s1, out));
  }
  // ReduceLogSumExp, stable: m + log(sum(exp(x - m))) with m the max over
  // the axes (kept for the subtraction); a -inf max gives -inf, not NaN.
  if (axes.empty()) {
    ONNX_ASSIGN(e, unary(OpKind::Exp, x, ""));
    return setOutput(ctx, 0, unary(OpKind::Log, e, out));
  }
  auto max = [&](bool keep) {
    AttributeMap attrs{{"axes", axes},
                       {"keepdims", keep ? int64_t(1) : int64_t(0)}};
    return ctx.importer.emit(OpKind::ReduceMax, {x}, attrs, "");
  };
  ONNX_ASSIGN(mKeep, max(true));
  ONNX_ASSIGN(mOut, max(keepdims != 0));
  AttributeMap finite{{"min", -std::numeric_limits<double>::max()},
                      {"max", std::numeric_limits<double>::max()}};
  ONNX_ASSIGN(shift, ctx.importer.emit(OpKind::Clip, {mKeep}, finite, ""));
  ONNX_ASSIGN(shiftOut, ctx.importer.emit(OpKind::Clip, {mOut}, finite, ""));
  ONNX_ASSIGN(d, ctx.importer.emit(OpKind::Sub, {x, shift}, {}, ""));
  ONNX_ASSIGN(e, unary(OpKind::Exp, d, ""));
  ONNX_ASSIGN(s, sum(e, keepdims != 0, ""));
  ONNX_ASSIGN(l, unary(OpKind::Log, s, ""));
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::Add, {l, shiftOut}, {}, out));
}

/// CastLike: Cast to the element type of the second input. `saturate` only
/// concerns float8 targets, which mlc does not have.
Status castLikeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(like, ctx.input(1));
  ONNX_ASSIGN(attrs, castAttrs(ctx, like->type().dtype));
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Cast, {x}, attrs, ctx.outputName(0)));
}

Status argMaxOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(axis, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(keepdims, ctx.intAttr("keepdims", 1));
  ONNX_ASSIGN(last, ctx.intAttr("select_last_index", 0));
  ONNX_ASSIGN(a, normalizeAxis(axis, x->type().rank()));
  AttributeMap attrs{{"axis", a},
                     {"keepdims", keepdims ? int64_t(1) : int64_t(0)},
                     {"select_last_index", last ? int64_t(1) : int64_t(0)}};
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::ArgMax, {x}, attrs, ctx.outputName(0)));
}

Status softmaxOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(axis, ctx.intAttr("axis", -1));
  ONNX_ASSIGN(a, normalizeAxis(axis, x->type().rank()));
  AttributeMap attrs{{"axis", a}};
  return setOutput(ctx, 0,
                   ctx.importer.emit(kind, {x}, attrs, ctx.outputName(0)));
}

Status layerNormOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(scale, ctx.input(1));
  Value *bias = ctx.optionalInput(2);
  ONNX_ASSIGN(axis, ctx.intAttr("axis", -1));
  ONNX_ASSIGN(eps, ctx.floatAttr("epsilon", 1e-5));
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(a, normalizeAxis(axis, rank));
  AttributeMap attrs{{"axis", a}, {"epsilon", eps}};
  std::vector<Value *> operands{x, scale};
  if (bias)
    operands.push_back(bias);
  Importer &im = ctx.importer;
  MLC_RETURN_IF_ERROR(setOutput(
      ctx, 0, im.emit(OpKind::LayerNorm, operands, attrs, ctx.outputName(0))));
  bool wantMean = ctx.outputs.size() > 1 && ctx.outputUsed[1];
  bool wantInv = ctx.outputs.size() > 2 && ctx.outputUsed[2];
  if (!wantMean && !wantInv)
    return Status::success();
  // Mean and InvStdDev (kept dims, in stash_type): the statistics
  // layer_norm uses, spelled with reductions.
  ONNX_ASSIGN(stash, ctx.intAttr("stash_type", 1));
  if (stash < INT32_MIN || stash > INT32_MAX)
    return makeError("attribute 'stash_type' is not an ONNX element type");
  ONNX_ASSIGN(st, convertDType(static_cast<int32_t>(stash)));
  if (!isFloat(st))
    return makeError("attribute 'stash_type' must be a float type");
  std::vector<int64_t> axes;
  for (int64_t i = a; i < rank; ++i)
    axes.push_back(i);
  AttributeMap kept{{"axes", axes}, {"keepdims", int64_t(1)}};
  ONNX_ASSIGN(xs, castTo(im, x, st));
  ONNX_ASSIGN(mean, im.emit(OpKind::ReduceMean, {xs}, kept,
                            wantMean ? ctx.outputName(1) : ""));
  ctx.outputs[1] = mean;
  if (!wantInv)
    return Status::success();
  ONNX_ASSIGN(d, im.emit(OpKind::Sub, {xs, mean}));
  ONNX_ASSIGN(d2, im.emit(OpKind::Mul, {d, d}));
  ONNX_ASSIGN(var, im.emit(OpKind::ReduceMean, {d2}, kept));
  ONNX_ASSIGN(e, im.emitScalar(st, eps));
  ONNX_ASSIGN(ve, im.emit(OpKind::Add, {var, e}));
  ONNX_ASSIGN(sd, im.emit(OpKind::Sqrt, {ve}));
  return setOutput(ctx, 2,
                   im.emit(OpKind::Reciprocal, {sd}, {}, ctx.outputName(2)));
}

/// BatchNormalization-14+ with training_mode = 1, as onnx's reference: y
/// normalizes with the batch's statistics over every axis but 1 (mean and
/// biased variance), and the running statistics are
/// input * momentum + batch * (1 - momentum).
Status batchNormTraining(NodeContext &ctx, std::vector<Value *> operands) {
  Importer &im = ctx.importer;
  Value *x = operands[0];
  int64_t rank = x->type().rank();
  if (rank < 2)
    return makeError("X must have rank 2 or more, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(eps, ctx.floatAttr("epsilon", 1e-5));
  ONNX_ASSIGN(momentum, ctx.floatAttr("momentum", 0.9));
  std::vector<int64_t> axes{0};
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  AttributeMap kept{{"axes", axes}, {"keepdims", int64_t(1)}};
  AttributeMap dropped{{"axes", axes}, {"keepdims", int64_t(0)}};
  ONNX_ASSIGN(mean, im.emit(OpKind::ReduceMean, {x}, dropped));
  ONNX_ASSIGN(meanKept, im.emit(OpKind::ReduceMean, {x}, kept));
  ONNX_ASSIGN(d, im.emit(OpKind::Sub, {x, meanKept}));
  ONNX_ASSIGN(d2, im.emit(OpKind::Mul, {d, d}));
  ONNX_ASSIGN(var, im.emit(OpKind::ReduceMean, {d2}, dropped));
  DType statType = operands[3]->type().dtype;
  ONNX_ASSIGN(meanS, castTo(im, mean, operands[1]->type().dtype));
  ONNX_ASSIGN(varS, castTo(im, var, operands[1]->type().dtype));
  operands[3] = meanS;
  operands[4] = varS;
  AttributeMap attrs{{"epsilon", eps}};
  MLC_RETURN_IF_ERROR(setOutput(
      ctx, 0, im.emit(OpKind::BatchNorm, operands, attrs, ctx.outputName(0))));
  Value *inputs[2] = {ctx.inputs[3], ctx.inputs[4]};
  Value *batch[2] = {mean, var};
  for (size_t i = 1; i <= 2 && i < ctx.outputs.size(); ++i) {
    ONNX_ASSIGN(m, im.emitScalar(statType, momentum));
    ONNX_ASSIGN(m1, im.emitScalar(statType, 1.0 - momentum));
    ONNX_ASSIGN(old, castTo(im, inputs[i - 1], statType));
    ONNX_ASSIGN(now, castTo(im, batch[i - 1], statType));
    ONNX_ASSIGN(a, im.emit(OpKind::Mul, {old, m}));
    ONNX_ASSIGN(b, im.emit(OpKind::Mul, {now, m1}));
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, i, im.emit(OpKind::Add, {a, b}, {}, ctx.outputName(i))));
  }
  return Status::success();
}

Status batchNormOp(NodeContext &ctx, OpKind) {
  std::vector<Value *> operands;
  for (size_t i = 0; i < 5; ++i) {
    ONNX_ASSIGN(v, ctx.input(i));
    operands.push_back(v);
  }
  ONNX_ASSIGN(training, ctx.intAttr("training_mode", 0));
  if (training)
    return batchNormTraining(ctx, operands);
  MLC_RETURN_IF_ERROR(ctx.requireUnused(1, "running_mean"));
  MLC_RETURN_IF_ERROR(ctx.requireUnused(2, "running_var"));
  ONNX_ASSIGN(eps, ctx.floatAttr("epsilon", 1e-5));
  AttributeMap attrs{{"epsilon", eps}};
  return setOutput(
      ctx, 0,
      ctx.importer.emit(OpKind::BatchNorm, operands, attrs, ctx.outputName(0)));
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Reshape with symbols in the input shape or the target: 0 copies an
/// input dim, -1 takes what is left of the input's symbolic element count
/// (a constant or a single symbol).
Status reshapeSymbolic(NodeContext &ctx, Value *x, Shape target,
                       bool allowZero) {
  const Shape &in = x->type().shape;
  auto text = [&] { return printAttribute(dimsAttribute(target)); };
  int64_t inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (!target[i].isStatic())
      continue;
    int64_t t = target[i].value();
    if (t == 0 && !allowZero) {
      if (i >= in.size())
        return makeError("shape " + text() + " copies dim " +
                         std::to_string(i) + " that the input " +
                         typeToString(x->type()) + " lacks");
      target[i] = in[i];
    } else if (t == -1) {
      if (inferred >= 0)
        return makeError("shape " + text() + " has more than one -1");
      inferred = static_cast<int64_t>(i);
    } else if (t < 0) {
      return makeError("shape " + text() + " has a negative dim");
    }
  }
  // The -1 as a symbol expression: the input's element count floordiv the
  // product of the target's other dims (the checked reshape compares the
  // counts at run time, which also catches a count that does not divide).
  auto inferSymbolically = [&]() -> Status {
    Graph &g = ctx.importer.graph();
    auto arg = [](const Dim &d) -> SymbolArg {
      return d.isStatic() ? SymbolArg(d.value()) : SymbolArg(d.symbolName());
    };
    SymbolArg count(int64_t{1}), rest(int64_t{1});
    for (const Dim &d : in) {
      ONNX_ASSIGN(m, g.defineSymbol(SymbolOp::Mul, {count, arg(d)}));
      count = m;
    }
    for (size_t i = 0; i < target.size(); ++i) {
      if (static_cast<int64_t>(i) == inferred)
        continue;
      ONNX_ASSIGN(m, g.defineSymbol(SymbolOp::Mul, {rest, arg(target[i])}));
      rest = m;
    }
    ONNX_ASSIGN(q, g.defineSymbol(SymbolOp::FloorDiv, {count, rest}));
    target[inferred] = symbolArgDim(q);
    return Status::success();
  };
  if (inferred >= 0) {
    // Cancel the target's known dims out of the input's dims.
    std::vector<std::string> symbols;
    int64_t constant = 1;
    for (const Dim &d : in) {
      if (d.isStatic()) {
        ONNX_ASSIGN(m, checkedMul(constant, d.value()));
        constant = m;
      } else {
        symbols.push_back(d.symbolName());
      }
    }
    int64_t rest = 1;
    bool cancels = true; // the target's symbols are all the input's
    for (size_t i = 0; i < target.size(); ++i) {
      if (static_cast<int64_t>(i) == inferred)
        continue;
      if (target[i].isStatic()) {
        ONNX_ASSIGN(m, checkedMul(rest, target[i].value()));
        rest = m;
        continue;
      }
      auto it =
          std::find(symbols.begin(), symbols.end(), target[i].symbolName());
      if (it == symbols.end()) {
        cancels = false;
        break;
      }
      symbols.erase(it);
    }
    if (rest == 0)
      return makeError("cannot reshape " + typeToString(x->type()) + " to " +
                       text() + ": a -1 beside a 0 is ambiguous");
    if (cancels && symbols.empty() && constant % rest != 0)
      return makeError("cannot reshape " + typeToString(x->type()) + " to " +
                       text());
    if (cancels && symbols.empty())
      target[inferred] = Dim(constant / rest);
    else if (cancels && constant == rest && symbols.size() == 1)
      target[inferred] = Dim::symbol(symbols[0]);
    else
      MLC_RETURN_IF_ERROR(inferSymbolically());
  }
  AttributeMap attrs;
  attrs["shape"] = dimsAttribute(target);
  // Dims computed by symbol expressions compare with the input's only at
  // run time.
  for (const SymbolDef &def : ctx.importer.graph().symbolDefs())
    for (const Dim &d : target)
      if (!d.isStatic() && d.symbolName() == def.name)
        attrs["checked"] = int64_t{1};
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::Reshape, {x}, std::move(attrs),
                                     ctx.outputName(0)));
}

Status reshapeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(shapeIn, ctx.input(1));
  ONNX_ASSIGN(allowZero, ctx.intAttr("allowzero", 0));
  if (isRunTimeInts(shapeIn))
    return reshapeFromValues(ctx, x, shapeIn, allowZero != 0);
  ONNX_ASSIGN(dims, ctx.importer.requireDims(shapeIn, "shape"));
  if (!isStatic(dims) || !isStatic(x->type().shape))
    return reshapeSymbolic(ctx, x, dims, allowZero != 0);
  ONNX_ASSIGN(target, ctx.importer.requireInts(shapeIn, "shape"));
  const Shape &in = x->type().shape;
  int64_t inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= in.size())
        return makeError("shape " + joinInts(target) + " copies dim " +
                         std::to_string(i) + " that the input " +
                         typeToString(x->type()) + " lacks");
      if (!in[i].isStatic())
        return makeError("shape " + joinInts(target) + " copies dynamic dim " +
                         std::to_string(i) + " of " + typeToString(x->type()));
      target[i] = in[i].value();
    } else if (target[i] == -1) {
      if (inferred >= 0)
        return makeError("shape " + joinInts(target) + " has more than one -1");
      inferred = static_cast<int64_t>(i);
    } else if (target[i] < 0) {
      return makeError("shape " + joinInts(target) + " has a negative dim");
    }
  }
  if (inferred >= 0) {
    ONNX_ASSIGN(ext, staticShape(x, "reshape with -1"));
    ONNX_ASSIGN(total, elementCount(makeShape(ext)));
    int64_t rest = 1;
    for (size_t i = 0; i < target.size(); ++i)
      if (static_cast<int64_t>(i) != inferred) {
        ONNX_ASSIGN(m, checkedMul(rest, target[i]));
        rest = m;
      }
    if (rest == 0 || total % rest != 0)
      return makeError("cannot reshape " + typeToString(x->type()) + " to " +
                       joinInts(target));
    target[inferred] = total / rest;
  }
  return setOutput(ctx, 0,
                   ctx.importer.emitReshape(x, target, ctx.outputName(0)));
}

Status flattenOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(axis, ctx.intAttr("axis", 1));
  int64_t rank = x->type().rank();
  if (axis < -rank || axis > rank)
    return makeError("axis " + std::to_string(axis) +
                     " is out of range for "
                     "rank " +
                     std::to_string(rank));
  if (axis < 0)
    axis += rank;
  if (!isStatic(x->type().shape)) {
    // Each side is a product of static dims, or one symbol (times 1s).
    auto side = [&](int64_t begin, int64_t end) -> Expected<Dim> {
      int64_t product = 1;
      std::optional<Dim> symbol;
      for (int64_t i = begin; i < end; ++i) {
        const Dim &d = x->type().shape[i];
        if (d.isStatic()) {
          ONNX_ASSIGN(m, checkedMul(product, d.value()));
          product = m;
        } else if (symbol) {
          return makeError("Flatten of " + typeToString(x->type()) +
                           " at axis " + std::to_string(axis) +
                           " would need dim expressions");
        } else {
          symbol = d;
        }
      }
      if (symbol && product != 1)
        return makeError("Flatten of " + typeToString(x->type()) + " at axis " +
                         std::to_string(axis) + " would need dim expressions");
      return symbol ? *symbol : Dim(product);
    };
    ONNX_ASSIGN(outer, side(0, axis));
    ONNX_ASSIGN(inner, side(axis, rank));
    AttributeMap attrs;
    attrs["shape"] = dimsAttribute({outer, inner});
    return setOutput(ctx, 0,
                     ctx.importer.emit(OpKind::Reshape, {x}, std::move(attrs),
                                       ctx.outputName(0)));
  }
  ONNX_ASSIGN(ext, staticShape(x, "Flatten"));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) {
    ONNX_ASSIGN(m, checkedMul(i < axis ? outer : inner, ext[i]));
    (i < axis ? outer : inner) = m;
  }
  return setOutput(
      ctx, 0, ctx.importer.emitReshape(x, {outer, inner}, ctx.outputName(0)));
}

Status squeezeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  const Shape &in = x->type().shape;
  int64_t rank = x->type().rank();
  std::vector<int64_t> axes;
  if (Value *a = ctx.optionalInput(1); a && isRunTimeInts(a))
    return squeezeFromValues(ctx, x, a);
  if (Value *a = ctx.optionalInput(1)) {
    ONNX_ASSIGN(list, ctx.importer.requireInts(a, "axes"));
    ONNX_ASSIGN(norm, normalizeAxes(list, rank));
    axes = norm;
  } else {
    for (int64_t i = 0; i < rank; ++i) {
      if (!in[i].isStatic())
        return makeError("cannot tell whether dynamic dim " +
                         std::to_string(i) + " of " + typeToString(x->type()) +
                         " is 1; give axes");
      if (in[i].value() == 1)
        axes.push_back(i);
    }
  }
  Shape out;
  for (int64_t i = 0; i < rank; ++i) {
    bool squeezed = std::binary_search(axes.begin(), axes.end(), i);
    if (squeezed && !(in[i].isStatic() && in[i].value() == 1))
      return makeError("cannot squeeze dim " + std::to_string(i) + " of " +
                       typeToString(x->type()) + " (not 1)");
    if (!squeezed)
      out.push_back(in[i]); // dynamic dims stay
  }
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::Reshape, {x},
                                     {{"shape", dimsAttribute(out)}},
                                     ctx.outputName(0)));
}

Status unsqueezeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(a, ctx.input(1));
  if (isRunTimeInts(a))
    return unsqueezeFromValues(ctx, x, a);
  ONNX_ASSIGN(list, ctx.importer.requireInts(a, "axes"));
  const Shape &in = x->type().shape;
  int64_t outRank = static_cast<int64_t>(in.size() + list.size());
  ONNX_ASSIGN(axes, normalizeAxes(list, outRank));
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i) {
    if (std::binary_search(axes.begin(), axes.end(), i))
      out.push_back(Dim(1));
    else
      out.push_back(in[next++]); // dynamic dims stay
  }
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::Reshape, {x},
                                     {{"shape", dimsAttribute(out)}},
                                     ctx.outputName(0)));
}

Status transposeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(perm, ctx.intsAttr("perm"));
  int64_t rank = x->type().rank();
  if (!ctx.hasAttr("perm"))
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < static_cast<int64_t>(sorted.size()); ++i)
    if (sorted[i] != i || static_cast<int64_t>(sorted.size()) != rank)
      return makeError("perm " + joinInts(perm) +
                       " is not a permutation of "
                       "rank " +
                       std::to_string(rank));
  if (static_cast<int64_t>(perm.size()) != rank)
    return makeError("perm " + joinInts(perm) + " does not match rank " +
                     std::to_string(rank));
  AttributeMap attrs{{"perm", perm}};
  return setOutput(
      ctx, 0,
      ctx.importer.emit(OpKind::Transpose, {x}, attrs, ctx.outputName(0)));
}

Status concatOp(NodeContext &ctx, OpKind) {
  if (ctx.numInputs() == 0)
    return makeError("needs at least one input");
  std::vector<Value *> operands;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    ONNX_ASSIGN(v, ctx.input(i));
    operands.push_back(v);
  }
  if (!ctx.hasAttr("axis"))
    return makeError("missing required attribute 'axis'");
  ONNX_ASSIGN(axis, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(a, normalizeAxis(axis, operands[0]->type().rank()));
  AttributeMap attrs{{"axis", a}};
  return setOutput(
      ctx, 0,
      ctx.importer.emit(OpKind::Concat, operands, attrs, ctx.outputName(0)));
}

/// A slice of `x` (static extents `ext`) taking [start, end) of `axis`.
Expected<Value *> sliceAxis(NodeContext &ctx, Value *x,
                            const std::vector<int64_t> &ext, int64_t axis,
                            int64_t start, int64_t end,
                            const std::string &name) {
  std::vector<int64_t> starts(ext.size(), 0), ends = ext, steps(ext.size(), 1);
  starts[axis] = start;
  ends[axis] = end;
  AttributeMap attrs{{"starts", starts}, {"ends", ends}, {"steps", steps}};
  return ctx.importer.emit(OpKind::Slice, {x}, attrs, name);
}

/// Largest matrix order Det expands (5! = 120 products of 5 factors).
constexpr int64_t kMaxDetOrder = 5;

/// Det-11 of [..., n, n] for n <= kMaxDetOrder: the Leibniz sum over the
/// n! permutations of signed products of entries, in f64 (a float input's
/// rounding then happens once, in the final cast), as exact as LAPACK's LU
/// that onnx's reference (numpy) uses.
Status detOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  if (!isFloat(x->type().dtype))
    return makeError("X must be a float tensor, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  if (xe.size() < 2 || xe[xe.size() - 1] != xe[xe.size() - 2])
    return makeError("X must be [..., n, n], got " + typeToString(x->type()));
  int64_t n = xe.back();
  if (n < 1 || n > kMaxDetOrder)
    return makeError("Det of order " + std::to_string(n) +
                     " is not supported (1 to " + std::to_string(kMaxDetOrder) +
                     ")");
  std::vector<int64_t> batch(xe.begin(), xe.end() - 2);
  int64_t rows = 1;
  for (int64_t d : batch)
    rows *= d; // bounded: X's element count is
  Importer &im = ctx.importer;
  ONNX_ASSIGN(xf, castTo(im, x, DType::F64));
  ONNX_ASSIGN(flat, im.emitReshape(xf, {rows, n * n}));
  std::vector<Value *> entry(static_cast<size_t>(n * n));
  for (int64_t k = 0; k < n * n; ++k) {
    ONNX_ASSIGN(e, sliceAxis(ctx, flat, {rows, n * n}, 1, k, k + 1, ""));
    entry[static_cast<size_t>(k)] = e;
  }
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    perm[static_cast<size_t>(i)] = i;
  Value *sum = nullptr;
  do {
    // The sign: parity of the inversions.
    int64_t inversions = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j)
        inversions +=
            perm[static_cast<size_t>(i)] > perm[static_cast<size_t>(j)];
    Value *term = entry[static_cast<size_t>(perm[0])];
    for (int64_t i = 1; i < n; ++i) {
      ONNX_ASSIGN(t,
                  im.emit(OpKind::Mul,
                          {term, entry[static_cast<size_t>(
                                     i * n + perm[static_cast<size_t>(i)])]}));
      term = t;
    }
    if (!sum && inversions % 2 == 0) {
      sum = term;
    } else if (!sum) {
      ONNX_ASSIGN(neg, im.emit(OpKind::Neg, {term}));
      sum = neg;
    } else {
      ONNX_ASSIGN(acc, im.emit(inversions % 2 ? OpKind::Sub : OpKind::Add,
                               {sum, term}));
      sum = acc;
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
  ONNX_ASSIGN(shaped, im.emitReshape(sum, batch));
  return setOutput(ctx, 0,
                   castTo(im, shaped, x->type().dtype, ctx.outputName(0)));
}

Status splitOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(ext, staticShape(x, "Split"));
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, x->type().rank()));
  int64_t dim = ext[axis];
  size_t n = ctx.outputs.size();
  if (n == 0)
    return makeError("has no outputs");
  std::vector<int64_t> sizes;
  if (Value *s = ctx.optionalInput(1); isRunTimeInts(s))
    return splitFromSymbols(ctx, x, axis, s);
  if (Value *s = ctx.optionalInput(1)) {
    ONNX_ASSIGN(list, ctx.importer.requireInts(s, "split"));
    sizes = list;
    if (sizes.size() != n)
      return makeError("split " + joinInts(sizes) +
                       " does not give one size "
                       "per output (" +
                       std::to_string(n) + ")");
  } else if (ctx.hasAttr("num_outputs")) {
    ONNX_ASSIGN(num, ctx.intAttr("num_outputs", 0));
    if (num != static_cast<int64_t>(n))
      return makeError("num_outputs " + std::to_string(num) +
                       " does not match the " + std::to_string(n) + " outputs");
    int64_t chunk = (dim + num - 1) / num;
    for (int64_t i = 0; i < num; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  } else {
    if (dim % static_cast<int64_t>(n) != 0)
      return makeError("dim " + std::to_string(dim) +
                       " does not split evenly "
                       "into " +
                       std::to_string(n) + " outputs");
    sizes.assign(n, dim / static_cast<int64_t>(n));
  }
  int64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    if (sizes[i] < 0 || sizes[i] > dim - offset)
      return makeError("split sizes " + joinInts(sizes) + " do not fit dim " +
                       std::to_string(dim));
    if (ctx.proto.output(static_cast<int>(i)).empty()) {
      offset += sizes[i];
      continue;
    }
    ONNX_ASSIGN(part, sliceAxis(ctx, x, ext, axis, offset, offset + sizes[i],
                                ctx.outputName(i)));
    ctx.outputs[i] = part;
    offset += sizes[i];
  }
  if (offset != dim)
    return makeError("split sizes " + joinInts(sizes) + " do not sum to dim " +
                     std::to_string(dim));
  return Status::success();
}

/// Slice's `axes` (default 0..count-1) and `steps` (default all 1) inputs.
Expected<std::pair<std::vector<int64_t>, std::vector<int64_t>>>
sliceAxesAndSteps(NodeContext &ctx, size_t count) {
  std::vector<int64_t> axes, steps(count, 1);
  if (Value *a = ctx.optionalInput(3)) {
    ONNX_ASSIGN(list, ctx.importer.requireInts(a, "axes"));
    axes = list;
  } else {
    for (size_t i = 0; i < count; ++i)
      axes.push_back(static_cast<int64_t>(i));
  }
  if (Value *st = ctx.optionalInput(4)) {
    ONNX_ASSIGN(list, ctx.importer.requireInts(st, "steps"));
    steps = list;
  }
  return std::make_pair(std::move(axes), std::move(steps));
}

/// Slice's axes normalized against `rank`, after checking that starts,
/// ends, axes and steps have equal lengths and no axis repeats.
Expected<std::vector<int64_t>>
normalizedSliceAxes(const std::vector<int64_t> &axes, size_t starts,
                    size_t ends, const std::vector<int64_t> &steps,
                    int64_t rank) {
  if (ends != starts || axes.size() != starts || steps.size() != starts)
    return makeError("starts, ends, axes and steps must have equal lengths");
  std::vector<int64_t> out;
  std::vector<bool> seen(rank, false);
  for (int64_t a : axes) {
    ONNX_ASSIGN(axis, normalizeAxis(a, rank));
    if (seen[axis])
      return makeError("axis " + std::to_string(axis) + " is sliced twice");
    seen[axis] = true;
    out.push_back(axis);
  }
  return out;
}

/// Slice with symbols in the input shape or in `ends`: each axis keeps
/// [0 : ?n] of a static dim (clamping ?n to the dim is a run-time check:
/// n <= dim) or the whole of a symbolic dim; other axes of a symbolic
/// input stay whole.
Status sliceSymbolic(NodeContext &ctx, Value *x,
                     const std::vector<int64_t> &starts, const Shape &ends) {
  int64_t rank = x->type().rank();
  const Shape &in = x->type().shape;
  ONNX_ASSIGN(axesSteps, sliceAxesAndSteps(ctx, starts.size()));
  const auto &[axes, steps] = axesSteps;
  ONNX_ASSIGN(normalized, normalizedSliceAxes(axes, starts.size(), ends.size(),
                                              steps, rank));
  std::vector<int64_t> outStarts(rank, 0), outSteps(rank, 1);
  Shape outEnds = in;
  for (size_t i = 0; i < normalized.size(); ++i) {
    int64_t axis = normalized[i];
    const Dim &dim = in[axis];
    const Dim &end = ends[i];
    bool fromZero = starts[i] == 0 && steps[i] == 1;
    // A huge end (INT64_MAX, as exporters write "to the end") takes all.
    bool toEnd = end.isStatic() && end.value() >= (int64_t{1} << 62);
    if (fromZero && (toEnd || end == dim))
      continue;
    if (fromZero && dim.isStatic() && !end.isStatic()) {
      outEnds[axis] = end;
      continue;
    }
    if (dim.isStatic() && end.isStatic()) {
      // A static axis of a symbolic input: clamp as the ONNX spec says.
      int64_t d = dim.value(), b = starts[i], e = end.value();
      if (steps[i] != 1)
        return makeError("slice steps other than 1 of a tensor with "
                         "symbolic dims are not supported");
      b = std::clamp<int64_t>(b < 0 ? b + d : b, 0, d);
      e = std::clamp<int64_t>(e < 0 ? e + d : e, 0, d);
      outStarts[axis] = b;
      outEnds[axis] = Dim(std::max(b, e));
      continue;
    }
    return makeError("slice of axis " + std::to_string(axis) + " (extent " +
                     shapeToString({dim}) + ") from " +
                     std::to_string(starts[i]) + " to " + shapeToString({end}) +
                     " step " + std::to_string(steps[i]) +
                     " is not supported with symbolic dims (only 0 to a "
                     "symbol, or the whole axis)");
  }
  AttributeMap attrs{{"starts", outStarts},
                     {"ends", dimsAttribute(outEnds)},
                     {"steps", outSteps}};
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Slice, {x}, attrs, ctx.outputName(0)));
}

Status sliceOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(startsIn, ctx.input(1));
  ONNX_ASSIGN(endsIn, ctx.input(2));
  for (size_t i = 1; i < 5; ++i) {
    Value *v = ctx.optionalInput(i);
    // Run-time starts, ends, axes or steps; or starts, axes or steps
    // computed from run-time sizes (symbolic ends alone: sliceSymbolic).
    const Shape *dims = v ? ctx.importer.dimValue(v) : nullptr;
    if (isRunTimeInts(v) || (dims && i != 2 && !isStatic(*dims)))
      return sliceFromSymbols(ctx, x);
  }
  ONNX_ASSIGN(starts, ctx.importer.requireInts(startsIn, "starts"));
  ONNX_ASSIGN(endDims, ctx.importer.requireDims(endsIn, "ends"));
  if (!isStatic(endDims) || !isStatic(x->type().shape))
    return sliceSymbolic(ctx, x, starts, endDims);
  ONNX_ASSIGN(ends, ctx.importer.requireInts(endsIn, "ends"));
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(axesSteps, sliceAxesAndSteps(ctx, starts.size()));
  const auto &[axes, steps] = axesSteps;
  ONNX_ASSIGN(normalized, normalizedSliceAxes(axes, starts.size(), ends.size(),
                                              steps, rank));
  ONNX_ASSIGN(ext, staticShape(x, "Slice"));
  std::vector<int64_t> outStarts(rank, 0), outEnds = ext, outSteps(rank, 1);
  for (size_t i = 0; i < normalized.size(); ++i) {
    int64_t axis = normalized[i];
    int64_t dim = ext[axis], step = steps[i];
    if (step == 0)
      return makeError("steps must be non-zero");
    int64_t start = starts[i], end = ends[i];
    // Clamp as the ONNX spec says; adding dim to a negative value can't
    // overflow.
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else if (dim == 0) {
      start = end = 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    outStarts[axis] = start;
    outEnds[axis] = end;
    outSteps[axis] = step;
  }
  AttributeMap attrs{
      {"starts", outStarts}, {"ends", outEnds}, {"steps", outSteps}};
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Slice, {x}, attrs, ctx.outputName(0)));
}

Status gatherOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(indices, ctx.input(1));
  ONNX_ASSIGN(axis, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(a, normalizeAxis(axis, x->type().rank()));
  AttributeMap attrs{{"axis", a}};
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::Gather, {x, indices}, attrs,
                                     ctx.outputName(0)));
}

Status gatherElementsOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(indices, ctx.input(1));
  ONNX_ASSIGN(axis, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(a, normalizeAxis(axis, x->type().rank()));
  if (indices->type().rank() == x->type().rank()) {
    // A dynamic dim of the indices (not along axis) takes the data's dim.
    std::vector<std::optional<Dim>> target(x->type().shape.begin(),
                                           x->type().shape.end());
    target[static_cast<size_t>(a)] = std::nullopt;
    ONNX_ASSIGN(matched,
                matchDims(ctx.importer, indices, target, "indices",
                          "dynamic dims of the indices must equal the data's "
                          "dims"));
    indices = matched;
  }
  AttributeMap attrs{{"axis", a}};
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::GatherElements, {x, indices},
                                     attrs, ctx.outputName(0)));
}

Status expandOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(s, ctx.input(1));
  if (isRunTimeInts(s) || ctx.importer.dimValue(s))
    return expandFromValues(ctx, x, s);
  ONNX_ASSIGN(shape, ctx.importer.requireInts(s, "shape"));
  AttributeMap attrs{{"shape", shape}};
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Expand, {x}, attrs, ctx.outputName(0)));
}

Status padOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(padsIn, ctx.input(1));
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "constant"));
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return makeError("pad mode \"" + mode + "\" is not supported");
  // Pads, axes or value known only at run time, negative pads, or wrap:
  // gathers (ValueShapes.cpp); otherwise the IR's pad.
  bool gathers =
      mode == "wrap" || isRunTimeInts(padsIn) ||
      ctx.importer.dimValue(padsIn) || isRunTimeInts(ctx.optionalInput(3)) ||
      (ctx.optionalInput(2) &&
       !ctx.importer.requireConstant(ctx.optionalInput(2), "constant_value")
            .ok());
  if (!gathers) {
    auto list = ctx.importer.requireInts(padsIn, "pads");
    gathers = list.ok() && std::any_of(list->begin(), list->end(),
                                       [](int64_t p) { return p < 0; });
  }
  if (gathers && isStatic(x->type().shape))
    return padFromSymbols(ctx, x, mode);
  if (mode == "wrap")
    return makeError("pad mode \"wrap\" needs a static input shape");
  ONNX_ASSIGN(pads, ctx.importer.requireInts(padsIn, "pads"));
  int64_t rank = x->type().rank();
  double value = 0.0;
  if (Value *v = ctx.optionalInput(2)) {
    ONNX_ASSIGN(c, scalarInput(ctx, v, "constant_value"));
    value = c;
  }
  std::vector<int64_t> full(2 * rank, 0);
  if (Value *a = ctx.optionalInput(3)) {
    ONNX_ASSIGN(list, ctx.importer.requireInts(a, "axes"));
    if (pads.size() != 2 * list.size())
      return makeError("pads " + joinInts(pads) + " needs 2 values per axis");
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < list.size(); ++i) {
      ONNX_ASSIGN(axis, normalizeAxis(list[i], rank));
      if (seen[axis])
        return makeError("axis " + std::to_string(axis) + " is padded twice");
      seen[axis] = true;
      full[axis] = pads[i];
      full[rank + axis] = pads[list.size() + i];
    }
  } else {
    if (static_cast<int64_t>(pads.size()) != 2 * rank)
      return makeError("pads " + joinInts(pads) + " needs " +
                       std::to_string(2 * rank) + " values");
    full = pads;
  }
  for (int64_t p : full)
    if (p < 0)
      return makeError("negative pads are not supported");
  AttributeMap attrs{{"pads", full}, {"mode", mode}, {"value", value}};
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Pad, {x}, attrs, ctx.outputName(0)));
}

//===----------------------------------------------------------------------===//
// Aliases, constants and shapes
//===----------------------------------------------------------------------===//

Status identityOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  return setOutput(ctx, 0, x);
}

/// Uniform floats in [0, 1) of static `shape` in `dtype`: a counter-based
/// hash (lowbias32) of each element's row-major index and the seed (mixed
/// with `stream`, for independent draws from one seed), in u32
/// IR ops, its top 24 bits scaled by 2^-24. Deterministic: the same seed
/// gives the same numbers in every run (the ONNX random ops leave the
/// generator to the implementation, so no backend matches another's).
Expected<Value *> uniformNoise(Importer &im, const std::vector<int64_t> &shape,
                               double seed, DType dtype, uint32_t stream = 0) {
  for (int64_t e : shape)
    if (e < 0)
      return makeError("a random tensor has a negative dim");
  ONNX_ASSIGN(count, elementCount(makeShape(shape)));
  float seedF = static_cast<float>(seed);
  uint32_t seedBits = 0;
  std::memcpy(&seedBits, &seedF, sizeof(seedBits));
  seedBits = (seedBits ^ stream) * 0x27d4eb2du + 0x165667b1u;
  auto u32 = [&](double v) { return im.emitScalar(DType::U32, v); };
  ONNX_ASSIGN(iota, im.emit(OpKind::Iota, {},
                            {{"shape", std::vector<int64_t>{count}},
                             {"axis", int64_t{0}}}));
  ONNX_ASSIGN(idx, castTo(im, iota, DType::U32));
  ONNX_ASSIGN(golden, u32(2654435769.0));
  ONNX_ASSIGN(spread, im.emit(OpKind::Mul, {idx, golden}));
  ONNX_ASSIGN(sv, u32(static_cast<double>(seedBits)));
  ONNX_ASSIGN(h0, im.emit(OpKind::Add, {spread, sv}));
  Value *h = h0;
  auto xorShift = [&](int bits) -> Status {
    ONNX_ASSIGN(amount, u32(bits));
    ONNX_ASSIGN(sh, im.emit(OpKind::Shr, {h, amount}));
    ONNX_ASSIGN(x, im.emit(OpKind::Xor, {h, sh}));
    h = x;
    return Status::success();
  };
  auto times = [&](double k) -> Status {
    ONNX_ASSIGN(kv, u32(k));
    ONNX_ASSIGN(m, im.emit(OpKind::Mul, {h, kv}));
    h = m;
    return Status::success();
  };
  MLC_RETURN_IF_ERROR(xorShift(16));
  MLC_RETURN_IF_ERROR(times(2146121005.0)); // 0x7feb352d
  MLC_RETURN_IF_ERROR(xorShift(15));
  MLC_RETURN_IF_ERROR(times(2221713035.0)); // 0x846ca68b
  MLC_RETURN_IF_ERROR(xorShift(16));
  ONNX_ASSIGN(eight, u32(8));
  ONNX_ASSIGN(top, im.emit(OpKind::Shr, {h, eight}));
  ONNX_ASSIGN(f, castTo(im, top, DType::F32));
  ONNX_ASSIGN(unit, im.emitScalar(DType::F32, 1.0 / 16777216.0));
  ONNX_ASSIGN(u, im.emit(OpKind::Mul, {f, unit}));
  ONNX_ASSIGN(shaped, im.emitReshape(u, shape));
  return castTo(im, shaped, dtype);
}

/// The seed attribute of a random op (a float; Dropout's is an int). When
/// absent, a hash of the node's name (deterministic, and different nodes
/// draw different numbers).
Expected<double> seedAttr(NodeContext &ctx) {
  const onnx::AttributeProto *a = ctx.attr("seed");
  if (a && a->type() == onnx::AttributeProto::INT)
    return static_cast<double>(a->i());
  if (a)
    return ctx.floatAttr("seed", 0.0);
  uint32_t h = 2166136261u; // FNV-1a
  const std::string &name =
      ctx.importer.nodeName.empty() ? ctx.proto.name() : ctx.importer.nodeName;
  for (char ch : name)
    h = (h ^ static_cast<uint8_t>(ch)) * 16777619u;
  return static_cast<double>(h % 16777216u); // exact in f32
}

/// Dropout: the identity in inference; with training_mode true (a
/// constant or a run-time bool), y = x * mask / (1 - ratio), mask = u >=
/// ratio for uniform noise u (uniformNoise, from the seed attribute), and
/// with a run-time training_mode both selected by it.
Status dropoutOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  Importer &im = ctx.importer;
  Value *t = ctx.optionalInput(2);
  Value *runTime = nullptr;
  if (t) {
    Expected<double> known = scalarInput(ctx, t, "training_mode");
    if (known && *known == 0) {
      t = nullptr;
    } else if (!known) {
      if (t->type().dtype != DType::Bool || !isStatic(t->type().shape) ||
          t->type().rank() > 1)
        return makeError("training_mode must be a bool scalar, got " +
                         typeToString(t->type()));
      ONNX_ASSIGN(ts, im.emitReshape(t, {}));
      runTime = ts;
    }
  }
  bool wantMask = ctx.outputs.size() > 1 && ctx.outputUsed[1];
  if (!t) {
    if (wantMask) {
      // Inference keeps every element: the mask is all true.
      ONNX_ASSIGN(ext, staticShape(x, "Dropout's mask"));
      ONNX_ASSIGN(count, elementCount(makeShape(ext)));
      ONNX_ASSIGN(data, makeTensorData(TensorType{DType::Bool, makeShape(ext)},
                                       std::vector<uint8_t>(
                                           static_cast<size_t>(count), 1)));
      ONNX_ASSIGN(mask, im.emitConstant(std::move(data), ctx.outputName(1)));
      ctx.outputs[1] = mask;
    }
    return setOutput(ctx, 0, x);
  }
  DType dt = x->type().dtype;
  if (!isFloat(dt))
    return makeError("training-mode Dropout needs a float input, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, "training-mode Dropout"));
  Value *ratio = ctx.optionalInput(1);
  Value *r = nullptr;
  if (ratio) {
    ONNX_ASSIGN(rs, im.emitReshape(ratio, {}));
    ONNX_ASSIGN(rf, castTo(im, rs, DType::F32));
    r = rf;
  } else {
    ONNX_ASSIGN(rv, im.emitScalar(DType::F32, 0.5));
    r = rv;
  }
  ONNX_ASSIGN(seed, seedAttr(ctx));
  ONNX_ASSIGN(u, uniformNoise(im, ext, seed, DType::F32));
  ONNX_ASSIGN(below, im.emit(OpKind::Less, {u, r}));
  ONNX_ASSIGN(keep, im.emit(OpKind::Not, {below}));
  ONNX_ASSIGN(one, im.emitScalar(DType::F32, 1.0));
  ONNX_ASSIGN(left, im.emit(OpKind::Sub, {one, r}));
  ONNX_ASSIGN(scale, im.emit(OpKind::Div, {one, left}));
  ONNX_ASSIGN(scaleT, castTo(im, scale, dt));
  ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {x, scaleT}));
  ONNX_ASSIGN(zero, im.emitScalar(dt, 0.0));
  Value *y = nullptr, *mask = keep;
  if (runTime) {
    ONNX_ASSIGN(dropped, im.emit(OpKind::Where, {keep, scaled, zero}));
    ONNX_ASSIGN(sel, im.emit(OpKind::Where, {runTime, dropped, x}, {},
                             ctx.outputName(0)));
    y = sel;
    if (wantMask) {
      ONNX_ASSIGN(notT, im.emit(OpKind::Not, {runTime}));
      ONNX_ASSIGN(m, im.emit(OpKind::Or, {keep, notT}, {}, ctx.outputName(1)));
      mask = m;
    }
  } else {
    ONNX_ASSIGN(dropped, im.emit(OpKind::Where, {keep, scaled, zero}, {},
                                 ctx.outputName(0)));
    y = dropped;
    if (wantMask) {
      ONNX_ASSIGN(m, castTo(im, keep, DType::Bool, ctx.outputName(1)));
      mask = m;
    }
  }
  if (wantMask)
    ctx.outputs[1] = mask;
  return setOutput(ctx, 0, y);
}

/// The output dtype of a random op: attribute `dtype`, else `fallback`.
Expected<DType> randomDType(NodeContext &ctx, DType fallback) {
  if (!ctx.hasAttr("dtype"))
    return fallback;
  ONNX_ASSIGN(code, ctx.intAttr("dtype", 1));
  if (code < INT32_MIN || code > INT32_MAX)
    return makeError("attribute 'dtype' is not an ONNX element type");
  ONNX_ASSIGN(dt, convertDType(static_cast<int32_t>(code)));
  return dt;
}

/// RandomUniform(Like) and RandomNormal(Like) (kind Add: uniform in [low,
/// high); kind Mul: normal with mean and scale, by Box-Muller from two
/// noise streams), and Bernoulli (kind Less: 1 where the noise is below
/// the input probability), from uniformNoise and the seed attribute.
Status randomOp(NodeContext &ctx, OpKind kind) {
  const std::string &op = ctx.proto.op_type();
  bool like = op == "RandomUniformLike" || op == "RandomNormalLike" ||
              op == "Bernoulli";
  Importer &im = ctx.importer;
  std::vector<int64_t> shape;
  DType fallback = DType::F32;
  Value *in = nullptr;
  if (like) {
    ONNX_ASSIGN(x, ctx.input(0));
    ONNX_ASSIGN(ext, staticShape(x, "the input"));
    shape = ext;
    fallback = x->type().dtype;
    in = x;
  } else {
    ONNX_ASSIGN(s, ctx.intsAttr("shape"));
    for (int64_t e : s)
      if (e < 0)
        return makeError("attribute 'shape' has a negative dim");
    shape = s;
  }
  ONNX_ASSIGN(dt, randomDType(ctx, fallback));
  ONNX_ASSIGN(seed, seedAttr(ctx));
  ONNX_ASSIGN(u, uniformNoise(im, shape, seed, DType::F32));
  const std::string out = ctx.outputName(0);
  if (kind == OpKind::Less) {
    if (!isFloat(in->type().dtype))
      return makeError("Bernoulli's input must be a float tensor, got " +
                       typeToString(in->type()));
    ONNX_ASSIGN(p, castTo(im, in, DType::F32));
    ONNX_ASSIGN(hit, im.emit(OpKind::Less, {u, p}));
    return setOutput(ctx, 0, castTo(im, hit, dt, out));
  }
  if (!isFloat(dt))
    return makeError(op + " needs a float dtype");
  if (kind == OpKind::Add) {
    ONNX_ASSIGN(low, ctx.floatAttr("low", 0.0));
    ONNX_ASSIGN(high, ctx.floatAttr("high", 1.0));
    ONNX_ASSIGN(span, im.emitScalar(DType::F32, high - low));
    ONNX_ASSIGN(base, im.emitScalar(DType::F32, low));
    ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {u, span}));
    ONNX_ASSIGN(v, im.emit(OpKind::Add, {scaled, base}));
    return setOutput(ctx, 0, castTo(im, v, dt, out));
  }
  ONNX_ASSIGN(mean, ctx.floatAttr("mean", 0.0));
  ONNX_ASSIGN(scale, ctx.floatAttr("scale", 1.0));
  ONNX_ASSIGN(u2, uniformNoise(im, shape, seed, DType::F32, 0x9e3779b9u));
  ONNX_ASSIGN(one, im.emitScalar(DType::F32, 1.0));
  ONNX_ASSIGN(open, im.emit(OpKind::Sub, {one, u})); // (0, 1]
  ONNX_ASSIGN(lg, im.emit(OpKind::Log, {open}));
  ONNX_ASSIGN(m2, im.emitScalar(DType::F32, -2.0));
  ONNX_ASSIGN(r2, im.emit(OpKind::Mul, {lg, m2}));
  ONNX_ASSIGN(radius, im.emit(OpKind::Sqrt, {r2}));
  ONNX_ASSIGN(tau, im.emitScalar(DType::F32, 6.283185307179586));
  ONNX_ASSIGN(angle, im.emit(OpKind::Mul, {u2, tau}));
  ONNX_ASSIGN(c, im.emit(OpKind::Cos, {angle}));
  ONNX_ASSIGN(z, im.emit(OpKind::Mul, {radius, c}));
  ONNX_ASSIGN(sv, im.emitScalar(DType::F32, scale));
  ONNX_ASSIGN(mv, im.emitScalar(DType::F32, mean));
  ONNX_ASSIGN(zs, im.emit(OpKind::Mul, {z, sv}));
  ONNX_ASSIGN(v, im.emit(OpKind::Add, {zs, mv}));
  return setOutput(ctx, 0, castTo(im, v, dt, out));
}

Status emitTensorOutput(NodeContext &ctx, TensorData data) {
  return setOutput(
      ctx, 0, ctx.importer.emitConstant(std::move(data), ctx.outputName(0)));
}

Expected<TensorData> intsTensor(const std::vector<int64_t> &values,
                                Shape shape) {
  std::vector<uint8_t> bytes(values.size() * sizeof(int64_t));
  if (!values.empty())
    std::memcpy(bytes.data(), values.data(), bytes.size());
  return makeTensorData(TensorType{DType::I64, std::move(shape)},
                        std::move(bytes));
}

Status shapeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(start, ctx.intAttr("start", 0));
  ONNX_ASSIGN(end, ctx.intAttr("end", rank));
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i) {
    const Dim &d = x->type().shape[i];
    if (!d.isStatic())
      return makeError("dim " + std::to_string(i) + " of " +
                       typeToString(x->type()) +
                       " is dynamic; fix it in the import options");
    dims.push_back(d.value());
  }
  ONNX_ASSIGN(data, intsTensor(dims, {Dim(static_cast<int64_t>(dims.size()))}));
  return emitTensorOutput(ctx, std::move(data));
}

/// The dims of input `i` when it is a dim value or a constant integer
/// tensor of rank <= 1; null otherwise.
std::optional<std::pair<Shape, bool>> dimsOfInput(NodeContext &ctx, size_t i) {
  Value *v = ctx.optionalInput(i);
  if (!v)
    return std::nullopt;
  if (const Shape *dims = ctx.importer.dimValue(v))
    return std::make_pair(*dims, v->type().rank() == 0);
  if (v->type().rank() > 1 || !isInteger(v->type().dtype))
    return std::nullopt;
  if (isRunTimeInts(v)) {
    // A run-time integer input: its elements' value symbols.
    auto args = requireSymbolArgs(ctx.importer, v, "dims");
    if (!args)
      return std::nullopt;
    Shape dims;
    for (const SymbolArg &a : *args)
      dims.push_back(symbolArgDim(a));
    return std::make_pair(dims, v->type().rank() == 0);
  }
  auto ints = ctx.importer.requireInts(v, "dims");
  if (!ints)
    return std::nullopt;
  return std::make_pair(makeShape(*ints), v->type().rank() == 0);
}

Status sizeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(ext, staticShape(x, "Size"));
  ONNX_ASSIGN(count, elementCount(makeShape(ext)));
  ONNX_ASSIGN(data, intsTensor({count}, {}));
  return emitTensorOutput(ctx, std::move(data));
}

Status constantOfShapeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(s, ctx.input(0));
  DType dtype = DType::F32;
  std::vector<uint8_t> element(4, 0);
  if (const auto *a = ctx.attr("value")) {
    if (a->type() != onnx::AttributeProto::TENSOR)
      return makeError("attribute 'value' must be a tensor");
    ONNX_ASSIGN(v, convertTensor(a->t(), ctx.importer.baseDir()));
    if (v.numElements() != 1)
      return makeError("attribute 'value' must have one element");
    dtype = v.type.dtype;
    element.assign(v.bytes->begin(), v.bytes->end());
  }
  if (isRunTimeInts(s) || ctx.importer.dimValue(s)) {
    // The value broadcast to the dims the input holds at run time.
    ONNX_ASSIGN(one, makeTensorData(TensorType{dtype, {}}, element));
    ONNX_ASSIGN(scalar, ctx.importer.emitConstant(std::move(one)));
    return expandFromValues(ctx, scalar, s);
  }
  ONNX_ASSIGN(extents, ctx.importer.requireInts(s, "shape"));
  for (int64_t e : extents)
    if (e < 0)
      return makeError("shape " + joinInts(extents) + " has a negative dim");
  TensorType type{dtype, makeShape(extents)};
  ONNX_ASSIGN(size, byteSize(type));
  ONNX_ASSIGN(count, elementCount(type.shape));
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(size));
  for (int64_t i = 0; i < count; ++i)
    bytes.insert(bytes.end(), element.begin(), element.end());
  ONNX_ASSIGN(data, makeTensorData(type, std::move(bytes)));
  return emitTensorOutput(ctx, std::move(data));
}

Status constantOp(NodeContext &ctx, OpKind) {
  if (ctx.proto.attribute_size() != 1)
    return makeError("needs exactly one value attribute");
  const auto &a = ctx.proto.attribute(0);
  using AP = onnx::AttributeProto;
  auto floats = [&](const std::vector<float> &v,
                    Shape shape) -> Expected<TensorData> {
    std::vector<uint8_t> bytes(v.size() * 4);
    if (!v.empty())
      std::memcpy(bytes.data(), v.data(), bytes.size());
    return makeTensorData(TensorType{DType::F32, std::move(shape)},
                          std::move(bytes));
  };
  Expected<TensorData> data =
      makeError("unsupported Constant attribute '" + a.name() + "'");
  if (a.name() == "value" && a.type() == AP::TENSOR) {
    data = convertTensor(a.t(), ctx.importer.baseDir());
  } else if (a.name() == "value_float" && a.type() == AP::FLOAT) {
    data = floats({a.f()}, {});
  } else if (a.name() == "value_floats" && a.type() == AP::FLOATS) {
    data = floats(std::vector<float>(a.floats().begin(), a.floats().end()),
                  {Dim(a.floats_size())});
  } else if (a.name() == "value_int" && a.type() == AP::INT) {
    data = intsTensor({a.i()}, {});
  } else if (a.name() == "value_ints" && a.type() == AP::INTS) {
    data = intsTensor(std::vector<int64_t>(a.ints().begin(), a.ints().end()),
                      {Dim(a.ints_size())});
  } else if (a.name() == "value" || a.name() == "value_float" ||
             a.name() == "value_floats" || a.name() == "value_int" ||
             a.name() == "value_ints") {
    return makeError("attribute '" + a.name() + "' has the wrong type");
  }
  if (!data)
    return data.error();
  return emitTensorOutput(ctx, data.take());
}

Status rangeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(startIn, ctx.input(0));
  ONNX_ASSIGN(limitIn, ctx.input(1));
  ONNX_ASSIGN(deltaIn, ctx.input(2));
  bool allConstant = ctx.importer.requireConstant(startIn, "start").ok() &&
                     ctx.importer.requireConstant(limitIn, "limit").ok() &&
                     ctx.importer.requireConstant(deltaIn, "delta").ok();
  if (!allConstant &&
      (isInteger(startIn->type().dtype) || isFloat(startIn->type().dtype)))
    return rangeFromSymbols(ctx, startIn, limitIn, deltaIn);
  ONNX_ASSIGN(s, ctx.importer.requireConstant(startIn, "start"));
  ONNX_ASSIGN(l, ctx.importer.requireConstant(limitIn, "limit"));
  ONNX_ASSIGN(d, ctx.importer.requireConstant(deltaIn, "delta"));
  DType dt = s.type.dtype;
  if (l.type.dtype != dt || d.type.dtype != dt)
    return makeError("start, limit and delta must have the same type");
  if (s.numElements() != 1 || l.numElements() != 1 || d.numElements() != 1)
    return makeError("start, limit and delta must be scalars");
  double start = tensorElementAsDouble(s, 0);
  double limit = tensorElementAsDouble(l, 0);
  double delta = tensorElementAsDouble(d, 0);
  if (delta == 0 || std::isnan(start) || std::isnan(limit) || std::isnan(delta))
    return makeError("delta must be non-zero and all values numbers");
  double n = std::max(std::ceil((limit - start) / delta), 0.0);
  if (n > 1e9)
    return makeError("range of " + std::to_string(n) +
                     " elements is too large");
  int64_t count = static_cast<int64_t>(n);
  TensorType type{dt, {Dim(count)}};
  int64_t elem = dtypeSize(dt);
  std::vector<uint8_t> bytes(static_cast<size_t>(count * elem));
  for (int64_t i = 0; i < count; ++i) {
    double v = start + static_cast<double>(i) * delta;
    ONNX_ASSIGN(e, makeFilledTensor(TensorType{dt, {}}, v));
    std::memcpy(bytes.data() + i * elem, e.bytes->data(), elem);
  }
  ONNX_ASSIGN(out, makeTensorData(type, std::move(bytes)));
  return emitTensorOutput(ctx, std::move(out));
}

/// HannWindow, HammingWindow and BlackmanWindow-17: a0 - a1 cos(t) + a2
/// cos(2t) at t = 2 pi n / N' for n in [0, size), N' = size (periodic) or
/// size - 1, computed in f32 as ONNX's function bodies compute it, then
/// cast to output_datatype. The size may be a run-time input (a value
/// symbol gives the extent).
Status windowOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(sizeIn, ctx.input(0));
  ONNX_ASSIGN(periodic, ctx.intAttr("periodic", 1));
  ONNX_ASSIGN(outType, ctx.intAttr("output_datatype", 1));
  ONNX_ASSIGN(dt, convertDType(static_cast<int32_t>(outType)));
  if (!isInteger(sizeIn->type().dtype) || sizeIn->type().rank() != 0)
    return makeError("size must be an integer scalar");
  ONNX_ASSIGN(sizes, requireSymbolArgs(im, sizeIn, "size"));
  SymbolArg n = sizes[0];
  if (const auto *c = std::get_if<int64_t>(&n); c && *c < 0)
    return makeError("size must not be negative");
  if (!std::holds_alternative<int64_t>(n)) {
    ONNX_ASSIGN(negative,
                im.graph().defineSymbol(SymbolOp::Lt, {n, int64_t{0}}));
    ONNX_ASSIGN(ok,
                im.graph().defineSymbol(SymbolOp::Sub, {int64_t{1}, negative}));
    MLC_RETURN_IF_ERROR(im.graph().require(
        ok, "node '" + im.nodeName + "' (" + ctx.proto.op_type() +
                "): size must not be negative"));
  }
  const std::string &op = ctx.proto.op_type();
  double a0 = 0.5, a1 = 0.5, a2 = 0.0;
  if (op == "HammingWindow")
    a0 = 25.0 / 46.0, a1 = 1.0 - a0;
  else if (op == "BlackmanWindow")
    a0 = 0.42, a1 = 0.5, a2 = 0.08;
  ONNX_ASSIGN(iota, im.emit(OpKind::Iota, {},
                            {{"shape", dimsAttribute({symbolArgDim(n)})},
                             {"axis", int64_t{0}}}));
  ONNX_ASSIGN(range, castTo(im, iota, DType::F32));
  ONNX_ASSIGN(sizeI, castTo(im, sizeIn, DType::F32));
  Value *size = sizeI;
  if (!periodic) {
    ONNX_ASSIGN(one, im.emitScalar(DType::F32, 1.0));
    ONNX_ASSIGN(t, im.emit(OpKind::Sub, {sizeI, one}));
    size = t;
  }
  ONNX_ASSIGN(tau, im.emitScalar(DType::F32, 6.2831855));
  ONNX_ASSIGN(step, im.emit(OpKind::Div, {tau, size}));
  ONNX_ASSIGN(angle, im.emit(OpKind::Mul, {range, step}));
  ONNX_ASSIGN(two, im.emitScalar(DType::F32, 2.0));
  ONNX_ASSIGN(angle2, im.emit(OpKind::Mul, {angle, two}));
  ONNX_ASSIGN(cos2, im.emit(OpKind::Cos, {angle2}));
  ONNX_ASSIGN(a2V, im.emitScalar(DType::F32, a2));
  ONNX_ASSIGN(term2, im.emit(OpKind::Mul, {a2V, cos2}));
  ONNX_ASSIGN(cos1, im.emit(OpKind::Cos, {angle}));
  ONNX_ASSIGN(a1V, im.emitScalar(DType::F32, a1));
  ONNX_ASSIGN(term1, im.emit(OpKind::Mul, {a1V, cos1}));
  ONNX_ASSIGN(a0V, im.emitScalar(DType::F32, a0));
  ONNX_ASSIGN(t0, im.emit(OpKind::Sub, {a0V, term1}));
  ONNX_ASSIGN(t1, im.emit(OpKind::Add, {t0, term2}));
  return setOutput(ctx, 0, castTo(im, t1, dt, ctx.outputName(0)));
}

//===----------------------------------------------------------------------===//
// Ops composed from IR ops
//===----------------------------------------------------------------------===//

/// A constant i64 tensor of `rank` dims, all 1 except `axis` (extent n),
/// holding 0..n-1: compared with indices, it spells a one-hot mask.
Expected<Value *> axisRange(Importer &im, int64_t n, int64_t rank,
                            int64_t axis) {
  std::vector<int64_t> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    values[i] = i;
  ONNX_ASSIGN(r, im.emitInts(values));
  std::vector<int64_t> ext(rank, 1);
  ext[axis] = n;
  return im.emitReshape(r, ext);
}

/// x > 0 ? x : alpha * (exp(x) - 1).
Expected<Value *> elu(Importer &im, Value *x, double alpha,
                      const std::string &name) {
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(one, scalarLike(im, x, 1.0));
  ONNX_ASSIGN(a, scalarLike(im, x, alpha));
  ONNX_ASSIGN(e, im.emit(OpKind::Exp, {x}));
  ONNX_ASSIGN(em1, im.emit(OpKind::Sub, {e, one}));
  ONNX_ASSIGN(neg, im.emit(OpKind::Mul, {em1, a}));
  ONNX_ASSIGN(pos, im.emit(OpKind::Greater, {x, zero}));
  return im.emit(OpKind::Where, {pos, x, neg}, {}, name);
}

Status eluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1.0));
  return setOutput(ctx, 0, elu(ctx.importer, x, alpha, ctx.outputName(0)));
}

Status seluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1.67326319217681884765625));
  ONNX_ASSIGN(gamma, ctx.floatAttr("gamma", 1.05070102214813232421875));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(e, elu(im, x, alpha, ""));
  ONNX_ASSIGN(g, scalarLike(im, x, gamma));
  return setOutput(ctx, 0, im.emit(OpKind::Mul, {e, g}, {}, ctx.outputName(0)));
}

/// Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
Status celuOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1.0));
  if (alpha == 0)
    return makeError("attribute 'alpha' must not be 0");
  Importer &im = ctx.importer;
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(one, scalarLike(im, x, 1.0));
  ONNX_ASSIGN(a, scalarLike(im, x, alpha));
  ONNX_ASSIGN(xa, im.emit(OpKind::Div, {x, a}));
  ONNX_ASSIGN(e, im.emit(OpKind::Exp, {xa}));
  ONNX_ASSIGN(em1, im.emit(OpKind::Sub, {e, one}));
  ONNX_ASSIGN(neg, im.emit(OpKind::Mul, {em1, a}));
  ONNX_ASSIGN(negPart, im.emit(OpKind::Min, {neg, zero}));
  ONNX_ASSIGN(posPart, im.emit(OpKind::Max, {x, zero}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Add, {posPart, negPart}, {},
                           ctx.outputName(0)));
}

Status thresholdedReluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1.0));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(a, scalarLike(im, x, alpha));
  ONNX_ASSIGN(keep, im.emit(OpKind::Greater, {x, a}));
  return setOutput(
      ctx, 0, im.emit(OpKind::Where, {keep, x, zero}, {}, ctx.outputName(0)));
}

/// Softsign: x / (1 + |x|).
Status softsignOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(one, scalarLike(im, x, 1.0));
  ONNX_ASSIGN(ax, im.emit(OpKind::Abs, {x}));
  ONNX_ASSIGN(d, im.emit(OpKind::Add, {ax, one}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Div, {x, d}, {}, ctx.outputName(0)));
}

/// Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0.
Status shrinkOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(bias, ctx.floatAttr("bias", 0.0));
  ONNX_ASSIGN(lambd, ctx.floatAttr("lambd", 0.5));
  Importer &im = ctx.importer;
  if (!isFloat(x->type().dtype) &&
      (bias != std::floor(bias) || lambd != std::floor(lambd)))
    return makeError("non-integer bias or lambd on an integer input is not "
                     "supported");
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(b, scalarLike(im, x, bias));
  ONNX_ASSIGN(lo, scalarLike(im, x, -lambd));
  ONNX_ASSIGN(hi, scalarLike(im, x, lambd));
  ONNX_ASSIGN(below, im.emit(OpKind::Less, {x, lo}));
  ONNX_ASSIGN(above, im.emit(OpKind::Greater, {x, hi}));
  ONNX_ASSIGN(plus, im.emit(OpKind::Add, {x, b}));
  ONNX_ASSIGN(minus, im.emit(OpKind::Sub, {x, b}));
  ONNX_ASSIGN(upper, im.emit(OpKind::Where, {above, minus, zero}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Where, {below, plus, upper}, {},
                           ctx.outputName(0)));
}

/// Swish: x * sigmoid(alpha * x).
Status swishOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1.0));
  Importer &im = ctx.importer;
  Value *ax = x;
  if (alpha != 1.0) {
    ONNX_ASSIGN(a, scalarLike(im, x, alpha));
    ONNX_ASSIGN(m, im.emit(OpKind::Mul, {x, a}));
    ax = m;
  }
  ONNX_ASSIGN(s, im.emit(OpKind::Sigmoid, {ax}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Mul, {x, s}, {}, ctx.outputName(0)));
}

//===----------------------------------------------------------------------===//
// ai.onnx.preview.training optimizers (as onnx's reference computes them)
//===----------------------------------------------------------------------===//

/// The shared part of the optimizers: inputs R (learning rate) and T
/// (update count), both scalars, then `perGroup` lists of n tensors each
/// (X, G, ...), n >= 1, the tensors of one group all of one float type and
/// shape. Returns n; `step` is T as R's type and `started` is T > 0.
struct OptimizerInputs {
  int64_t groups = 0;
  Value *rate = nullptr;
  Value *step = nullptr;
  Value *started = nullptr;
};

Expected<OptimizerInputs> optimizerInputs(NodeContext &ctx, int64_t perGroup) {
  int64_t tensors = static_cast<int64_t>(ctx.numInputs()) - 2;
  if (tensors < perGroup || tensors % perGroup != 0)
    return makeError("expects R, T and " + std::to_string(perGroup) +
                     " lists of the same length, got " +
                     std::to_string(ctx.numInputs()) + " inputs");
  OptimizerInputs in;
  in.groups = tensors / perGroup;
  if (ctx.outputs.size() != static_cast<size_t>(tensors - in.groups))
    return makeError("expects " + std::to_string(tensors - in.groups) +
                     " outputs, got " + std::to_string(ctx.outputs.size()));
  ONNX_ASSIGN(r, ctx.input(0));
  ONNX_ASSIGN(t, ctx.input(1));
  if (r->type().rank() != 0 || !isFloat(r->type().dtype) ||
      t->type().rank() != 0 || !isInteger(t->type().dtype))
    return makeError("R must be a float scalar and T an integer scalar, got " +
                     typeToString(r->type()) + " and " +
                     typeToString(t->type()));
  for (int64_t g = 0; g < in.groups; ++g)
    for (int64_t j = 0; j < perGroup; ++j) {
      ONNX_ASSIGN(v, ctx.input(static_cast<size_t>(2 + j * in.groups + g)));
      ONNX_ASSIGN(x, ctx.input(static_cast<size_t>(2 + g)));
      if (v->type() != x->type() || !isFloat(v->type().dtype))
        return makeError("tensor " + std::to_string(2 + j * in.groups + g) +
                         " must be a float tensor of X's type " +
                         typeToString(x->type()) + ", got " +
                         typeToString(v->type()));
    }
  Importer &im = ctx.importer;
  in.rate = r;
  ONNX_ASSIGN(step, castTo(im, t, r->type().dtype));
  in.step = step;
  ONNX_ASSIGN(zero, im.emitScalar(t->type().dtype, 0.0));
  ONNX_ASSIGN(started, im.emit(OpKind::Greater, {t, zero}));
  in.started = started;
  return in;
}

/// Tensor `i` of input list `list` (0: X, 1: G, then V and H).
Expected<Value *> groupTensor(NodeContext &ctx, const OptimizerInputs &in,
                              int64_t list, int64_t i) {
  return ctx.input(static_cast<size_t>(2 + list * in.groups + i));
}

/// Sets output `i` (an updated X) to x - step.
Status setUpdated(NodeContext &ctx, int64_t i, Value *x, Value *step) {
  return setOutput(ctx, static_cast<size_t>(i),
                   ctx.importer.emit(OpKind::Sub, {x, step}, {},
                                     ctx.outputName(static_cast<size_t>(i))));
}

/// norm_coefficient * X + G: the gradient with the L2 term.
Expected<Value *> regularized(Importer &im, Value *x, Value *g,
                              double coefficient) {
  ONNX_ASSIGN(c, im.emitScalar(x->type().dtype, coefficient));
  ONNX_ASSIGN(cx, im.emit(OpKind::Mul, {c, x}));
  return im.emit(OpKind::Add, {cx, g});
}

/// Adagrad-1: r = R / (1 + T * decay_factor); G' = norm * X + G;
/// H' = H + G'^2; X' = X - r * G' / (sqrt(H') + epsilon).
Status adagradOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(in, optimizerInputs(ctx, 3));
  ONNX_ASSIGN(norm, ctx.floatAttr("norm_coefficient", 0.0));
  ONNX_ASSIGN(decay, ctx.floatAttr("decay_factor", 0.0));
  ONNX_ASSIGN(epsilon, ctx.floatAttr("epsilon", 1e-6));
  Importer &im = ctx.importer;
  DType rdt = in.rate->type().dtype;
  ONNX_ASSIGN(d, im.emitScalar(rdt, decay));
  ONNX_ASSIGN(one, im.emitScalar(rdt, 1.0));
  ONNX_ASSIGN(td, im.emit(OpKind::Mul, {in.step, d}));
  ONNX_ASSIGN(den, im.emit(OpKind::Add, {one, td}));
  ONNX_ASSIGN(rate, im.emit(OpKind::Div, {in.rate, den}));
  for (int64_t i = 0; i < in.groups; ++i) {
    ONNX_ASSIGN(x, groupTensor(ctx, in, 0, i));
    ONNX_ASSIGN(g, groupTensor(ctx, in, 1, i));
    ONNX_ASSIGN(h, groupTensor(ctx, in, 2, i));
    DType dt = x->type().dtype;
    ONNX_ASSIGN(gr, regularized(im, x, g, norm));
    ONNX_ASSIGN(g2, im.emit(OpKind::Mul, {gr, gr}));
    ONNX_ASSIGN(hNew,
                im.emit(OpKind::Add, {h, g2}, {},
                        ctx.outputName(static_cast<size_t>(in.groups + i))));
    ONNX_ASSIGN(root, im.emit(OpKind::Sqrt, {hNew}));
    ONNX_ASSIGN(eps, im.emitScalar(dt, epsilon));
    ONNX_ASSIGN(scale, im.emit(OpKind::Add, {root, eps}));
    ONNX_ASSIGN(r, castTo(im, rate, dt));
    ONNX_ASSIGN(rg, im.emit(OpKind::Mul, {r, gr}));
    ONNX_ASSIGN(step, im.emit(OpKind::Div, {rg, scale}));
    MLC_RETURN_IF_ERROR(setUpdated(ctx, i, x, step));
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, static_cast<size_t>(in.groups + i), hNew));
  }
  return Status::success();
}

/// Momentum-1: G' = norm * X + G; b = T > 0 ? beta : 1; V' = alpha * V +
/// b * G'; X' = X - R * V' (standard) or X - R * (G' + alpha * V')
/// (nesterov).
Status momentumOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(in, optimizerInputs(ctx, 3));
  for (const char *name : {"alpha", "beta", "mode", "norm_coefficient"})
    if (!ctx.hasAttr(name))
      return makeError(std::string("missing required attribute '") + name +
                       "'");
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 0.0));
  ONNX_ASSIGN(beta, ctx.floatAttr("beta", 0.0));
  ONNX_ASSIGN(norm, ctx.floatAttr("norm_coefficient", 0.0));
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "standard"));
  if (mode != "standard" && mode != "nesterov")
    return makeError("mode '" + mode + "' is not standard or nesterov");
  Importer &im = ctx.importer;
  for (int64_t i = 0; i < in.groups; ++i) {
    ONNX_ASSIGN(x, groupTensor(ctx, in, 0, i));
    ONNX_ASSIGN(g, groupTensor(ctx, in, 1, i));
    ONNX_ASSIGN(v, groupTensor(ctx, in, 2, i));
    DType dt = x->type().dtype;
    ONNX_ASSIGN(gr, regularized(im, x, g, norm));
    ONNX_ASSIGN(a, im.emitScalar(dt, alpha));
    ONNX_ASSIGN(b, im.emitScalar(dt, beta));
    ONNX_ASSIGN(one, im.emitScalar(dt, 1.0));
    ONNX_ASSIGN(bAdj, im.emit(OpKind::Where, {in.started, b, one}));
    ONNX_ASSIGN(av, im.emit(OpKind::Mul, {a, v}));
    ONNX_ASSIGN(bg, im.emit(OpKind::Mul, {bAdj, gr}));
    ONNX_ASSIGN(vNew,
                im.emit(OpKind::Add, {av, bg}, {},
                        ctx.outputName(static_cast<size_t>(in.groups + i))));
    Value *direction = vNew;
    if (mode == "nesterov") {
      ONNX_ASSIGN(avNew, im.emit(OpKind::Mul, {a, vNew}));
      ONNX_ASSIGN(dir, im.emit(OpKind::Add, {gr, avNew}));
      direction = dir;
    }
    ONNX_ASSIGN(r, castTo(im, in.rate, dt));
    ONNX_ASSIGN(step, im.emit(OpKind::Mul, {r, direction}));
    MLC_RETURN_IF_ERROR(setUpdated(ctx, i, x, step));
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, static_cast<size_t>(in.groups + i), vNew));
  }
  return Status::success();
}

/// Adam-1: G' = norm * X + G; V' = alpha * V + (1 - alpha) * G';
/// H' = beta * H + (1 - beta) * G'^2; r = T > 0 ? R * sqrt(1 - beta^T) /
/// (1 - alpha^T) : R; X' = (1 - norm_post) * (X - r * V' / (sqrt(H') +
/// epsilon)).
Status adamOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(in, optimizerInputs(ctx, 4));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 0.9));
  ONNX_ASSIGN(beta, ctx.floatAttr("beta", 0.999));
  ONNX_ASSIGN(epsilon, ctx.floatAttr("epsilon", 1e-6));
  ONNX_ASSIGN(norm, ctx.floatAttr("norm_coefficient", 0.0));
  ONNX_ASSIGN(post, ctx.floatAttr("norm_coefficient_post", 0.0));
  Importer &im = ctx.importer;
  DType rdt = in.rate->type().dtype;
  // The bias-corrected learning rate.
  ONNX_ASSIGN(aR, im.emitScalar(rdt, alpha));
  ONNX_ASSIGN(bR, im.emitScalar(rdt, beta));
  ONNX_ASSIGN(oneR, im.emitScalar(rdt, 1.0));
  ONNX_ASSIGN(aT, im.emit(OpKind::Pow, {aR, in.step}));
  ONNX_ASSIGN(bT, im.emit(OpKind::Pow, {bR, in.step}));
  ONNX_ASSIGN(oneMinusA, im.emit(OpKind::Sub, {oneR, aT}));
  ONNX_ASSIGN(oneMinusB, im.emit(OpKind::Sub, {oneR, bT}));
  ONNX_ASSIGN(rootB, im.emit(OpKind::Sqrt, {oneMinusB}));
  ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {in.rate, rootB}));
  ONNX_ASSIGN(corrected, im.emit(OpKind::Div, {scaled, oneMinusA}));
  ONNX_ASSIGN(rate, im.emit(OpKind::Where, {in.started, corrected, in.rate}));
  for (int64_t i = 0; i < in.groups; ++i) {
    ONNX_ASSIGN(x, groupTensor(ctx, in, 0, i));
    ONNX_ASSIGN(g, groupTensor(ctx, in, 1, i));
    ONNX_ASSIGN(v, groupTensor(ctx, in, 2, i));
    ONNX_ASSIGN(h, groupTensor(ctx, in, 3, i));
    DType dt = x->type().dtype;
    ONNX_ASSIGN(gr, regularized(im, x, g, norm));
    ONNX_ASSIGN(a, im.emitScalar(dt, alpha));
    ONNX_ASSIGN(a1, im.emitScalar(dt, 1.0 - alpha));
    ONNX_ASSIGN(b, im.emitScalar(dt, beta));
    ONNX_ASSIGN(b1, im.emitScalar(dt, 1.0 - beta));
    ONNX_ASSIGN(av, im.emit(OpKind::Mul, {a, v}));
    ONNX_ASSIGN(ag, im.emit(OpKind::Mul, {a1, gr}));
    ONNX_ASSIGN(vNew,
                im.emit(OpKind::Add, {av, ag}, {},
                        ctx.outputName(static_cast<size_t>(in.groups + i))));
    ONNX_ASSIGN(g2, im.emit(OpKind::Mul, {gr, gr}));
    ONNX_ASSIGN(bh, im.emit(OpKind::Mul, {b, h}));
    ONNX_ASSIGN(bg, im.emit(OpKind::Mul, {b1, g2}));
    ONNX_ASSIGN(
        hNew, im.emit(OpKind::Add, {bh, bg}, {},
                      ctx.outputName(static_cast<size_t>(2 * in.groups + i))));
    ONNX_ASSIGN(root, im.emit(OpKind::Sqrt, {hNew}));
    ONNX_ASSIGN(eps, im.emitScalar(dt, epsilon));
    ONNX_ASSIGN(den, im.emit(OpKind::Add, {root, eps}));
    ONNX_ASSIGN(ratio, im.emit(OpKind::Div, {vNew, den}));
    ONNX_ASSIGN(r, castTo(im, rate, dt));
    ONNX_ASSIGN(step, im.emit(OpKind::Mul, {r, ratio}));
    ONNX_ASSIGN(xNew, im.emit(OpKind::Sub, {x, step}));
    ONNX_ASSIGN(keep, im.emitScalar(dt, 1.0 - post));
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, static_cast<size_t>(i),
                  im.emit(OpKind::Mul, {keep, xNew}, {}, ctx.outputName(i))));
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, static_cast<size_t>(in.groups + i), vNew));
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, static_cast<size_t>(2 * in.groups + i), hNew));
  }
  return Status::success();
}

/// Scan-9+ over a static sequence, unrolled: the body is imported once per
/// iteration with the state variables and one slice of each scan input
/// (along its axis, walked backwards for direction 1) bound to its inputs;
/// each scan output stacks the body's per-iteration values along its axis
/// (in reverse for direction 1).
///
/// scanUnrolled does the work on `inputs` (in Scan-9's order) and returns
/// the node's outputs (the used ones; named after the node's outputs when
/// `named`). Scan-8 (scanOp on opset 8) calls it once per batch entry.
Status scanUnrolled(NodeContext &ctx, const std::vector<Value *> &in,
                    bool scan8, bool named, std::vector<Value *> &results) {
  const onnx::AttributeProto *body = ctx.attr("body");
  if (!body || body->type() != onnx::AttributeProto::GRAPH)
    return makeError("missing required graph attribute 'body'");
  if (!ctx.hasAttr("num_scan_inputs"))
    return makeError("missing required attribute 'num_scan_inputs'");
  ONNX_ASSIGN(m, ctx.intAttr("num_scan_inputs", 0));
  int64_t inputs = static_cast<int64_t>(in.size());
  if (m < 1 || m > inputs)
    return makeError("num_scan_inputs " + std::to_string(m) + " with " +
                     std::to_string(inputs) + " inputs");
  int64_t n = inputs - m;
  const onnx::GraphProto &g = body->g();
  int64_t k = g.output_size() - n;
  if (g.input_size() != inputs || k < 0)
    return makeError("the body takes " + std::to_string(g.input_size()) +
                     " inputs and gives " + std::to_string(g.output_size()) +
                     " outputs; Scan has " + std::to_string(n) +
                     " state variables and " + std::to_string(m) +
                     " scan inputs");
  if (static_cast<int64_t>(ctx.outputs.size()) > n + k)
    return makeError("more outputs than the body's state variables and scan "
                     "outputs");
  auto listAttr = [&](const char *name,
                      int64_t count) -> Expected<std::vector<int64_t>> {
    ONNX_ASSIGN(v, ctx.intsAttr(name));
    if (v.empty())
      v.assign(static_cast<size_t>(count), 0);
    if (static_cast<int64_t>(v.size()) != count)
      return makeError(std::string("attribute '") + name + "' needs " +
                       std::to_string(count) + " values");
    return v;
  };
  // Scan-8 has only `directions` (of the scan inputs); its axes are 0.
  ONNX_ASSIGN(inAxes, listAttr(scan8 ? "" : "scan_input_axes", m));
  ONNX_ASSIGN(inDirs,
              listAttr(scan8 ? "directions" : "scan_input_directions", m));
  ONNX_ASSIGN(outAxes, listAttr(scan8 ? "" : "scan_output_axes", k));
  ONNX_ASSIGN(outDirs, listAttr(scan8 ? "" : "scan_output_directions", k));
  Importer &im = ctx.importer;
  std::string nodeName = im.nodeName;
  // The scan inputs' static shapes, normalized axes and common length.
  int64_t length = -1;
  std::vector<std::vector<int64_t>> inExt(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    Value *x = in[static_cast<size_t>(n + j)];
    if (!x)
      return makeError("scan input " + std::to_string(j) + " is missing");
    ONNX_ASSIGN(ext, staticShape(x, "a scan input"));
    ONNX_ASSIGN(axis,
                normalizeAxis(inAxes[j], static_cast<int64_t>(ext.size())));
    inAxes[j] = axis;
    if (length >= 0 && ext[axis] != length)
      return makeError("scan inputs have different lengths " +
                       std::to_string(length) + " and " +
                       std::to_string(ext[axis]));
    length = ext[axis];
    inExt[static_cast<size_t>(j)] = ext;
  }
  if (length < 1)
    return makeError("a scan of length 0 is not supported");
  if (length * std::max(g.node_size(), 1) > kMaxUnrolledNodes)
    return makeError("a scan of " + std::to_string(length) +
                     " iterations over a body of " +
                     std::to_string(g.node_size()) +
                     " nodes is too long to unroll (at most " +
                     std::to_string(kMaxUnrolledNodes) + " nodes)");
  std::vector<Value *> state;
  for (int64_t j = 0; j < n; ++j) {
    Value *s = in[static_cast<size_t>(j)];
    if (!s)
      return makeError("state variable " + std::to_string(j) + " is missing");
    state.push_back(s);
  }
  std::vector<std::vector<Value *>> slices(static_cast<size_t>(k));
  for (int64_t t = 0; t < length; ++t) {
    std::map<std::string, Value *> scope = *ctx.scope;
    for (int64_t j = 0; j < n; ++j)
      scope[g.input(static_cast<int>(j)).name()] =
          state[static_cast<size_t>(j)];
    im.nodeName = nodeName;
    for (int64_t j = 0; j < m; ++j) {
      const std::vector<int64_t> &ext = inExt[static_cast<size_t>(j)];
      int64_t axis = inAxes[j];
      int64_t at = inDirs[j] ? length - 1 - t : t;
      std::vector<int64_t> starts(ext.size(), 0), ends = ext,
                                                  steps(ext.size(), 1);
      starts[axis] = at;
      ends[axis] = at + 1;
      Value *x = in[static_cast<size_t>(n + j)];
      AttributeMap sl{{"starts", starts}, {"ends", ends}, {"steps", steps}};
      ONNX_ASSIGN(slice, im.emit(OpKind::Slice, {x}, sl));
      std::vector<int64_t> dropped = ext;
      dropped.erase(dropped.begin() + axis);
      ONNX_ASSIGN(r, im.emitReshape(slice, dropped));
      scope[g.input(static_cast<int>(n + j)).name()] = r;
    }
    MLC_RETURN_IF_ERROR(im.importSubgraph(
        g, scope, nodeName + "/body" + std::to_string(t) + "/"));
    for (int64_t j = 0; j < n + k; ++j) {
      const std::string &name = g.output(static_cast<int>(j)).name();
      auto it = scope.find(name);
      if (it == scope.end())
        return makeError("body output '" + name + "' is not defined");
      if (im.aggregate(it->second))
        return makeError("body output '" + name +
                         "' is a sequence or optional; Scan takes tensors");
      if (j < n)
        state[static_cast<size_t>(j)] = it->second;
      else
        slices[static_cast<size_t>(j - n)].push_back(it->second);
    }
  }
  im.nodeName = nodeName;
  auto nameOf = [&](int64_t j) {
    return named ? ctx.outputName(static_cast<size_t>(j)) : std::string();
  };
  results.clear();
  for (int64_t j = 0; j < n; ++j) {
    if (static_cast<size_t>(j) >= ctx.outputs.size())
      break;
    Value *v = state[static_cast<size_t>(j)];
    if (!named) {
      results.push_back(v);
      continue;
    }
    ONNX_ASSIGN(out, castTo(im, v, v->type().dtype, nameOf(j)));
    results.push_back(out);
  }
  for (int64_t j = 0; j < k; ++j) {
    if (static_cast<size_t>(n + j) >= ctx.outputs.size())
      break;
    std::vector<Value *> &parts = slices[static_cast<size_t>(j)];
    if (outDirs[j])
      std::reverse(parts.begin(), parts.end());
    ONNX_ASSIGN(pe, staticShape(parts[0], "a scan output"));
    ONNX_ASSIGN(axis,
                normalizeAxis(outAxes[j], static_cast<int64_t>(pe.size()) + 1));
    std::vector<Value *> stacked;
    for (Value *p : parts) {
      if (p->type() != parts[0]->type())
        return makeError("scan output " + std::to_string(j) +
                         " changes type across iterations");
      std::vector<int64_t> ext = pe;
      ext.insert(ext.begin() + axis, 1);
      ONNX_ASSIGN(r, im.emitReshape(p, ext));
      stacked.push_back(r);
    }
    std::string name = nameOf(n + j);
    if (stacked.size() == 1 && !named) {
      results.push_back(stacked[0]);
      continue;
    }
    ONNX_ASSIGN(out,
                stacked.size() == 1
                    ? castTo(im, stacked[0], stacked[0]->type().dtype, name)
                    : im.emit(OpKind::Concat, stacked, {{"axis", axis}}, name));
    results.push_back(out);
  }
  return Status::success();
}

/// Scan-8: inputs [sequence_lens], states [B, ...], scan inputs
/// [B, T, ...]; each batch entry scans on its own (Scan-9 on the entry's
/// slices), the outputs stacked along the batch again. sequence_lens must
/// be absent or a constant of full lengths. Scan-9+: scanUnrolled as is.
Status scanOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  std::vector<Value *> results;
  if (opVersion("Scan", im.opset()) >= 9) {
    MLC_RETURN_IF_ERROR(scanUnrolled(ctx, ctx.inputs, false, true, results));
    for (size_t i = 0; i < results.size(); ++i)
      MLC_RETURN_IF_ERROR(setOutput(ctx, i, results[i]));
    return Status::success();
  }
  if (ctx.numInputs() < 2)
    return makeError("Scan-8 needs sequence_lens and at least one input");
  std::vector<Value *> rest(ctx.inputs.begin() + 1, ctx.inputs.end());
  int64_t batch = -1;
  std::vector<std::vector<int64_t>> exts;
  for (Value *v : rest) {
    if (!v)
      return makeError("Scan-8 inputs other than sequence_lens are required");
    ONNX_ASSIGN(e, staticShape(v, "a Scan-8 input"));
    if (e.empty() || (batch >= 0 && e[0] != batch))
      return makeError("Scan-8 inputs must share the batch dim 0, got " +
                       typeToString(v->type()));
    batch = e[0];
    exts.push_back(e);
  }
  if (batch < 1)
    return makeError("a Scan-8 batch of 0 is not supported");
  ONNX_ASSIGN(m, ctx.intAttr("num_scan_inputs", 0));
  if (m < 1 || m > static_cast<int64_t>(rest.size()))
    return makeError("num_scan_inputs " + std::to_string(m) + " with " +
                     std::to_string(rest.size()) + " inputs");
  if (const onnx::AttributeProto *body = ctx.attr("body");
      body && body->type() == onnx::AttributeProto::GRAPH) {
    size_t scanAt = rest.size() - static_cast<size_t>(m);
    int64_t steps = exts[scanAt].size() > 1 ? exts[scanAt][1] : 1;
    if (batch * steps * std::max(body->g().node_size(), 1) > kMaxUnrolledNodes)
      return makeError("a Scan-8 of " + std::to_string(batch) + " x " +
                       std::to_string(steps) + " iterations over a body of " +
                       std::to_string(body->g().node_size()) +
                       " nodes is too long to unroll (at most " +
                       std::to_string(kMaxUnrolledNodes) + " nodes)");
  }
  if (Value *lens = ctx.optionalInput(0)) {
    ONNX_ASSIGN(list, im.requireInts(lens, "sequence_lens"));
    size_t first = rest.size() - static_cast<size_t>(m);
    for (int64_t l : list)
      if (exts[first].size() < 2 || l != exts[first][1])
        return makeError("sequence_lens shorter than the scan inputs are not "
                         "supported");
  }
  std::vector<std::vector<Value *>> perBatch;
  std::string nodeName = im.nodeName;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Value *> slices;
    for (size_t i = 0; i < rest.size(); ++i) {
      ONNX_ASSIGN(sl, sliceAxis(ctx, rest[i], exts[i], 0, b, b + 1, ""));
      std::vector<int64_t> dropped(exts[i].begin() + 1, exts[i].end());
      ONNX_ASSIGN(r, im.emitReshape(sl, dropped));
      slices.push_back(r);
    }
    im.nodeName = nodeName + "/batch" + std::to_string(b);
    MLC_RETURN_IF_ERROR(scanUnrolled(ctx, slices, true, false, results));
    im.nodeName = nodeName;
    perBatch.push_back(results);
  }
  for (size_t i = 0; i < perBatch[0].size(); ++i) {
    std::vector<Value *> parts;
    for (const auto &outs : perBatch) {
      ONNX_ASSIGN(pe, staticShape(outs[i], "a scan output"));
      pe.insert(pe.begin(), 1);
      ONNX_ASSIGN(r, im.emitReshape(outs[i], pe));
      parts.push_back(r);
    }
    Expected<Value *> out =
        parts.size() == 1
            ? castTo(im, parts[0], parts[0]->type().dtype, ctx.outputName(i))
            : im.emit(OpKind::Concat, parts, {{"axis", int64_t{0}}},
                      ctx.outputName(i));
    MLC_RETURN_IF_ERROR(setOutput(ctx, i, out));
  }
  return Status::success();
}

/// Resize-11+ with scales, sizes and roi computable at import time, as onnx's
/// reference (op_resize.py) computes it: separably, axis by axis, each
/// output position a weighted sum of `n` input positions along the axis.
/// The positions and weights depend on the shapes and attributes only, so
/// they are constants here: each axis becomes one gather per tap (a single
/// gather when every weight row is one-hot, as for nearest), a multiply by
/// the tap's weights and a sum.
namespace resize {

/// The taps of one axis: for output position i and tap j, the (clamped)
/// input index idx[i * n + j] and its weight w[i * n + j]; `outside[i]`
/// marks tf_crop_and_resize positions that take extrapolation_value.
struct AxisTaps {
  int64_t n = 0;
  std::vector<int64_t> idx;
  std::vector<double> w;
  std::vector<uint8_t> outside;
};

using Options = ResizeOptions;

/// get_coeffs of the reference for `ratio` in (0, 1] and the axis scale.
std::vector<double> coefficients(const Options &o, double ratio, double scale) {
  if (o.mode == "nearest") {
    if (ratio == std::floor(ratio))
      return {0, 1};
    const std::string &m = o.nearestMode;
    if (m == "round_prefer_ceil")
      return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
    if (m == "floor")
      return {1, 0};
    if (m == "ceil")
      return {0, 1};
    return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
  }
  if (o.mode == "linear") {
    if (!o.antialias)
      return {1 - ratio, ratio};
    double s = std::min(scale, 1.0);
    int64_t start = static_cast<int64_t>(std::floor(-1 / s) + 1);
    int64_t footprint = 2 - 2 * start;
    std::vector<double> c;
    double sum = 0;
    for (int64_t j = 0; j < footprint; ++j) {
      double arg = (static_cast<double>(start + j) - ratio) * s;
      double v = std::clamp(1 - std::fabs(arg), 0.0, 1.0);
      c.push_back(v);
      sum += v;
    }
    for (double &v : c)
      v /= sum;
    return c;
  }
  double a = o.cubicA;
  if (!o.antialias) {
    double r1 = ratio + 1, q = 1 - ratio, q1 = q + 1;
    return {((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
            ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
            ((a + 2) * q - (a + 3)) * q * q + 1,
            ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a};
  }
  double s = std::min(scale, 1.0);
  int64_t start = static_cast<int64_t>(std::floor(-2 / s) + 1);
  int64_t end = 2 - start;
  std::vector<double> c;
  double sum = 0;
  for (int64_t i = start; i < end; ++i) {
    double x = std::fabs(s * (static_cast<double>(i) - ratio));
    double x2 = x * x, x3 = x * x2;
    double v = x <= 1  ? (a + 2) * x3 - (a + 3) * x2 + 1
               : x < 2 ? a * x3 - 5 * a * x2 + 8 * a * x - 4 * a
                       : 0.0;
    c.push_back(v);
    sum += v;
  }
  for (double &v : c)
    v /= sum;
  return c;
}

/// _interpolate_1d_along_axis's positions and weights for one axis.
Expected<AxisTaps> axisTaps(const Options &o, int64_t in, double scale,
                            int64_t out, double roiStart, double roiEnd) {
  AxisTaps t;
  double outWidth = scale * static_cast<double>(in);
  double inD = static_cast<double>(in);
  t.outside.assign(static_cast<size_t>(out), 0);
  for (int64_t i = 0; i < out; ++i) {
    double y = static_cast<double>(i), x = 0;
    const std::string &m = o.coordinateMode;
    if (m == "align_corners") {
      x = outWidth == 1 ? 0.0 : y * (inD - 1) / (outWidth - 1);
    } else if (m == "asymmetric") {
      x = y / scale;
    } else if (m == "tf_crop_and_resize") {
      x = outWidth == 1 ? (roiEnd - roiStart) * (inD - 1) / 2
                        : y * (roiEnd - roiStart) * (inD - 1) / (outWidth - 1);
      x += roiStart * (inD - 1);
      t.outside[static_cast<size_t>(i)] = x < 0 || x > inD - 1;
    } else if (m == "pytorch_half_pixel") {
      x = outWidth == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
    } else if (m == "half_pixel") {
      x = (y + 0.5) / scale - 0.5;
    } else if (m == "half_pixel_symmetric") {
      double adjustment = static_cast<double>(out) / outWidth;
      double center = inD / 2;
      x = center * (1 - adjustment) + (y + 0.5) / scale - 0.5;
    } else {
      return makeError("coordinate_transformation_mode '" + m +
                       "' is not supported");
    }
    double xInt = std::floor(x);
    double ratio = x == xInt ? 1.0 : x - xInt;
    std::vector<double> c = coefficients(o, ratio, scale);
    int64_t n = static_cast<int64_t>(c.size());
    if (t.n == 0)
      t.n = n;
    if (n != t.n)
      return makeError("internal error: resize taps vary along an axis");
    int64_t pad = (n + 1) / 2;
    double xp = x + static_cast<double>(pad);
    double pp = std::floor(xp), frac = xp - pp;
    int64_t offset = n % 2 == 0
                         ? (frac == 0 ? -(n / 2) : -(n / 2) + 1)
                         : (frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1);
    int64_t start = static_cast<int64_t>(pp) + offset - pad;
    std::vector<int64_t> idx(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j)
      idx[static_cast<size_t>(j)] = start + j;
    if (o.excludeOutside) {
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        int64_t k = idx[static_cast<size_t>(j)];
        if (k < 0 || k >= in)
          c[static_cast<size_t>(j)] = 0;
        sum += c[static_cast<size_t>(j)];
      }
      for (double &v : c)
        v /= sum == 0 ? 1.0 : sum;
    }
    for (int64_t j = 0; j < n; ++j) {
      t.idx.push_back(
          std::clamp<int64_t>(idx[static_cast<size_t>(j)], 0, in - 1));
      t.w.push_back(c[static_cast<size_t>(j)]);
    }
  }
  return t;
}

} // namespace resize

Status resizeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  Importer &im = ctx.importer;
  resize::Options o;
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "nearest"));
  ONNX_ASSIGN(coord,
              ctx.stringAttr("coordinate_transformation_mode", "half_pixel"));
  ONNX_ASSIGN(nearest, ctx.stringAttr("nearest_mode", "round_prefer_floor"));
  ONNX_ASSIGN(cubicA, ctx.floatAttr("cubic_coeff_a", -0.75));
  ONNX_ASSIGN(antialias, ctx.intAttr("antialias", 0));
  ONNX_ASSIGN(exclude, ctx.intAttr("exclude_outside", 0));
  ONNX_ASSIGN(extrapolation, ctx.floatAttr("extrapolation_value", 0.0));
  ONNX_ASSIGN(policy, ctx.stringAttr("keep_aspect_ratio_policy", "stretch"));
  ONNX_ASSIGN(axesAttr, ctx.intsAttr("axes"));
  o.mode = mode, o.coordinateMode = coord, o.nearestMode = nearest;
  o.cubicA = cubicA, o.antialias = antialias != 0, o.excludeOutside = exclude;
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return makeError("mode '" + mode + "' is not nearest, linear or cubic");
  if (mode == "nearest" && o.antialias)
    return makeError("antialias is not defined for mode nearest");
  if (mode == "nearest" && nearest != "round_prefer_floor" &&
      nearest != "round_prefer_ceil" && nearest != "floor" && nearest != "ceil")
    return makeError("nearest_mode '" + nearest + "' is not supported");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    return makeError("keep_aspect_ratio_policy '" + policy +
                     "' is not supported");
  ONNX_ASSIGN(ext, staticShape(x, "X"));
  int64_t rank = static_cast<int64_t>(ext.size());
  std::vector<int64_t> axes;
  for (int64_t a : axesAttr) {
    ONNX_ASSIGN(na, normalizeAxis(a, rank));
    axes.push_back(na);
  }
  if (axes.empty())
    for (int64_t a = 0; a < rank; ++a)
      axes.push_back(a);
  int64_t na = static_cast<int64_t>(axes.size());
  o.axes = axes, o.policy = policy, o.extrapolation = extrapolation;
  DType dt = x->type().dtype;
  if (!isFloat(dt) && !isInteger(dt))
    return makeError("X must be a float or integer tensor, got " +
                     typeToString(x->type()));
  // Computed in f64 for f64 and integers (rounded back, as the reference's
  // saturate_cast), f32 otherwise.
  DType cdt = dt == DType::F64 || isInteger(dt) ? DType::F64 : DType::F32;
  auto finish = [&](Value *cur) -> Status {
    if (isInteger(dt)) { // saturate_cast: round half to even, clip, cast
      ONNX_ASSIGN(r, im.emit(OpKind::Round, {cur}));
      double lo = 0, hi = 0;
      switch (dt) {
      case DType::I8:
        lo = -128, hi = 127;
        break;
      case DType::U8:
        hi = 255;
        break;
      case DType::I16:
        lo = -32768, hi = 32767;
        break;
      case DType::U16:
        hi = 65535;
        break;
      case DType::I32:
        lo = -2147483648.0, hi = 2147483647.0;
        break;
      case DType::U32:
        hi = 4294967295.0;
        break;
      default:
        lo = -9.2e18, hi = 9.2e18;
        break;
      }
      ONNX_ASSIGN(c, im.emit(OpKind::Clip, {r}, {{"min", lo}, {"max", hi}}));
      cur = c;
    }
    return setOutput(ctx, 0, castTo(im, cur, dt, ctx.outputName(0)));
  };
  // roi (1, read by tf_crop_and_resize only), scales (2) and sizes (3): a
  // graph input with elements is read at run time (resizeFromValues).
  auto runTime = [&](size_t i) {
    Value *v = ctx.optionalInput(i);
    if (!v || v->producer() || !isStatic(v->type().shape))
      return false;
    Expected<int64_t> n = elementCount(v->type().shape);
    return n.ok() && *n > 0;
  };
  if ((coord == "tf_crop_and_resize" && runTime(1)) || runTime(2) ||
      runTime(3)) {
    ONNX_ASSIGN(xc, castTo(im, x, cdt));
    ONNX_ASSIGN(
        r, resizeFromValues(ctx, xc, o,
                            coord == "tf_crop_and_resize" ? ctx.optionalInput(1)
                                                          : nullptr,
                            ctx.optionalInput(2), ctx.optionalInput(3)));
    return finish(r);
  }
  // Constant inputs: roi (1), scales (2), sizes (3).
  auto constantList =
      [&](size_t i,
          const char *what) -> Expected<std::optional<std::vector<double>>> {
    Value *v = ctx.optionalInput(i);
    if (!v)
      return std::optional<std::vector<double>>();
    ONNX_ASSIGN(data, im.requireConstant(v, what));
    if (data.numElements() == 0)
      return std::optional<std::vector<double>>();
    std::vector<double> values;
    for (int64_t j = 0; j < data.numElements(); ++j)
      values.push_back(tensorElementAsDouble(data, j));
    return std::optional<std::vector<double>>(std::move(values));
  };
  std::optional<std::vector<double>> roiIn;
  if (coord == "tf_crop_and_resize") {
    ONNX_ASSIGN(r, constantList(1, "roi"));
    roiIn = std::move(r);
  }
  ONNX_ASSIGN(scalesIn, constantList(2, "scales"));
  ONNX_ASSIGN(sizesIn, constantList(3, "sizes"));
  if (scalesIn.has_value() == sizesIn.has_value())
    return makeError("exactly one of scales and sizes must be given");
  std::vector<double> scale(static_cast<size_t>(rank), 1.0);
  std::vector<int64_t> outExt = ext;
  if (scalesIn) {
    if (static_cast<int64_t>(scalesIn->size()) != na)
      return makeError("scales needs " + std::to_string(na) + " values");
    for (int64_t i = 0; i < na; ++i) {
      double s = (*scalesIn)[static_cast<size_t>(i)];
      if (!(s > 0))
        return makeError("scales must be positive");
      int64_t a = axes[static_cast<size_t>(i)];
      scale[static_cast<size_t>(a)] = s;
      double dim = s * static_cast<double>(ext[static_cast<size_t>(a)]);
      if (!(dim < 9.2e18))
        return makeError("scales make an output dim too large");
      outExt[static_cast<size_t>(a)] = static_cast<int64_t>(dim);
    }
  } else {
    if (static_cast<int64_t>(sizesIn->size()) != na)
      return makeError("sizes needs " + std::to_string(na) + " values");
    for (int64_t i = 0; i < na; ++i) {
      int64_t a = axes[static_cast<size_t>(i)];
      double sz = (*sizesIn)[static_cast<size_t>(i)];
      if (!(sz >= 1 && sz < 9.2e18) || ext[static_cast<size_t>(a)] == 0)
        return makeError("sizes must be positive for non-empty dims");
      outExt[static_cast<size_t>(a)] = static_cast<int64_t>(sz);
      scale[static_cast<size_t>(a)] =
          sz / static_cast<double>(ext[static_cast<size_t>(a)]);
    }
    if (policy != "stretch") {
      double s = policy == "not_larger" ? INFINITY : 0.0;
      for (int64_t a : axes)
        s = policy == "not_larger" ? std::min(s, scale[static_cast<size_t>(a)])
                                   : std::max(s, scale[static_cast<size_t>(a)]);
      for (int64_t a : axes) {
        scale[static_cast<size_t>(a)] = s;
        outExt[static_cast<size_t>(a)] = static_cast<int64_t>(
            s * static_cast<double>(ext[static_cast<size_t>(a)]) + 0.5);
      }
    }
  }
  // The taps are import-time constants of the output's extent per axis.
  ONNX_ASSIGN(outCount, elementCount(makeShape(outExt)));
  (void)outCount;
  for (int64_t a : axes)
    if (outExt[static_cast<size_t>(a)] > kMaxConstantExtent)
      return makeError("output dim " + std::to_string(a) + " of " +
                       std::to_string(outExt[static_cast<size_t>(a)]) +
                       " is too large (at most " +
                       std::to_string(kMaxConstantExtent) + ")");
  std::vector<double> roiStart(static_cast<size_t>(rank), 0.0),
      roiEnd(static_cast<size_t>(rank), 1.0);
  if (roiIn && coord == "tf_crop_and_resize") {
    if (static_cast<int64_t>(roiIn->size()) != 2 * na)
      return makeError("roi needs " + std::to_string(2 * na) + " values");
    for (int64_t i = 0; i < na; ++i) {
      roiStart[static_cast<size_t>(axes[static_cast<size_t>(i)])] =
          (*roiIn)[static_cast<size_t>(i)];
      roiEnd[static_cast<size_t>(axes[static_cast<size_t>(i)])] =
          (*roiIn)[static_cast<size_t>(na + i)];
    }
  } else if (coord == "tf_crop_and_resize") {
    return makeError("tf_crop_and_resize needs roi");
  }
  ONNX_ASSIGN(xc, castTo(im, x, cdt));
  Value *cur = xc;
  std::vector<int64_t> curExt = ext;
  for (int64_t a = 0; a < rank; ++a) {
    size_t ua = static_cast<size_t>(a);
    bool trivialRoi =
        std::fabs(roiStart[ua]) < 1e-9 && std::fabs(roiEnd[ua] - 1.0) < 1e-9;
    if (std::fabs(scale[ua] - 1.0) < 1e-9 && outExt[ua] == ext[ua] &&
        trivialRoi)
      continue;
    if (outExt[ua] == 0)
      return makeError("an output dim of 0 is not supported");
    ONNX_ASSIGN(taps, resize::axisTaps(o, ext[ua], scale[ua], outExt[ua],
                                       roiStart[ua], roiEnd[ua]));
    int64_t out = outExt[ua], n = taps.n;
    std::vector<int64_t> wShape(static_cast<size_t>(rank), 1);
    wShape[ua] = out;
    std::vector<int64_t> nextExt = curExt;
    nextExt[ua] = out;
    // One-hot weight rows (nearest): one gather of the chosen positions.
    bool oneHot = true;
    std::vector<int64_t> chosen(static_cast<size_t>(out), 0);
    for (int64_t i = 0; i < out && oneHot; ++i) {
      int ones = 0;
      for (int64_t j = 0; j < n; ++j) {
        double w = taps.w[static_cast<size_t>(i * n + j)];
        if (w == 1.0) {
          ++ones;
          chosen[static_cast<size_t>(i)] =
              taps.idx[static_cast<size_t>(i * n + j)];
        } else if (w != 0.0) {
          oneHot = false;
        }
      }
      oneHot = oneHot && ones == 1;
    }
    AttributeMap along{{"axis", a}};
    Value *sum = nullptr;
    if (oneHot) {
      ONNX_ASSIGN(idx, im.emitInts(chosen));
      ONNX_ASSIGN(g, im.emit(OpKind::Gather, {cur, idx}, along));
      sum = g;
    } else {
      for (int64_t j = 0; j < n; ++j) {
        std::vector<int64_t> idx(static_cast<size_t>(out));
        std::vector<double> weights(static_cast<size_t>(out));
        bool any = false;
        for (int64_t i = 0; i < out; ++i) {
          idx[static_cast<size_t>(i)] =
              taps.idx[static_cast<size_t>(i * n + j)];
          weights[static_cast<size_t>(i)] =
              taps.w[static_cast<size_t>(i * n + j)];
          any = any || weights[static_cast<size_t>(i)] != 0.0;
        }
        if (!any)
          continue;
        ONNX_ASSIGN(idxV, im.emitInts(idx));
        ONNX_ASSIGN(g, im.emit(OpKind::Gather, {cur, idxV}, along));
        ONNX_ASSIGN(wData, makeTensorFromDoubles(
                               TensorType{cdt, makeShape(wShape)}, weights));
        ONNX_ASSIGN(wV, im.emitConstant(std::move(wData)));
        ONNX_ASSIGN(term, im.emit(OpKind::Mul, {g, wV}));
        if (sum) {
          ONNX_ASSIGN(s, im.emit(OpKind::Add, {sum, term}));
          sum = s;
        } else {
          sum = term;
        }
      }
      if (!sum) { // every weight 0: zeros
        ONNX_ASSIGN(z,
                    makeFilledTensor(TensorType{cdt, makeShape(nextExt)}, 0.0));
        ONNX_ASSIGN(zv, im.emitConstant(std::move(z)));
        sum = zv;
      }
    }
    if (std::any_of(taps.outside.begin(), taps.outside.end(),
                    [](uint8_t b) { return b != 0; })) {
      TensorType mt{DType::Bool, makeShape(wShape)};
      ONNX_ASSIGN(mask, makeTensorData(mt, taps.outside));
      ONNX_ASSIGN(maskV, im.emitConstant(std::move(mask)));
      ONNX_ASSIGN(fill, im.emitScalar(cdt, extrapolation));
      ONNX_ASSIGN(sel, im.emit(OpKind::Where, {maskV, fill, sum}));
      sum = sel;
    }
    cur = sum;
    curExt = nextExt;
  }
  return finish(cur);
}

/// Upsample-9/10 (deprecated for Resize): output dims floor(scale * dim),
/// nearest taking input[floor(i / scale)] and linear interpolating at
/// i / scale: Resize with asymmetric coordinates (nearest_mode floor), the
/// scales constant or read at run time.
Status upsampleOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(scales, ctx.input(1));
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "nearest"));
  if (mode != "nearest" && mode != "linear")
    return makeError("mode '" + mode + "' is not nearest or linear");
  DType dt = x->type().dtype;
  if (!isFloat(dt))
    return makeError("X must be a float tensor, got " +
                     typeToString(x->type()));
  if (!isStatic(x->type().shape))
    return makeError("X must have a static shape, got " +
                     typeToString(x->type()));
  ResizeOptions o;
  o.mode = mode, o.coordinateMode = "asymmetric", o.nearestMode = "floor";
  o.policy = "stretch";
  for (int64_t a = 0; a < x->type().rank(); ++a)
    o.axes.push_back(a);
  Importer &im = ctx.importer;
  DType cdt = dt == DType::F64 ? DType::F64 : DType::F32;
  ONNX_ASSIGN(xc, castTo(im, x, cdt));
  ONNX_ASSIGN(y, resizeFromValues(ctx, xc, o, nullptr, scales, nullptr));
  return setOutput(ctx, 0, castTo(im, y, dt, ctx.outputName(0)));
}

/// If-11+: a condition computable at import time imports only the branch it
/// selects (the common case in exported models, whose conditions test
/// static shapes). A run-time condition imports both branches, which ONNX
/// makes free of side effects, and selects each output with `where`; the
/// branches must then give outputs of the same types.
Status ifOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(cond, ctx.input(0));
  const onnx::AttributeProto *thenAttr = ctx.attr("then_branch");
  const onnx::AttributeProto *elseAttr = ctx.attr("else_branch");
  if (!thenAttr || !elseAttr ||
      thenAttr->type() != onnx::AttributeProto::GRAPH ||
      elseAttr->type() != onnx::AttributeProto::GRAPH)
    return makeError("needs graph attributes then_branch and else_branch");
  if (cond->type().dtype != DType::Bool || !isStatic(cond->type().shape))
    return makeError("cond must be a bool tensor of one element, got " +
                     typeToString(cond->type()));
  ONNX_ASSIGN(count, elementCount(cond->type().shape));
  if (count != 1)
    return makeError("cond must have one element, got " +
                     typeToString(cond->type()));
  Importer &im = ctx.importer;
  std::string nodeName = im.nodeName;
  auto branch =
      [&](const onnx::GraphProto &g,
          const std::string &which) -> Expected<std::vector<Value *>> {
    std::map<std::string, Value *> scope = *ctx.scope;
    if (g.input_size() != 0)
      return makeError(which + " takes inputs");
    MLC_RETURN_IF_ERROR(
        im.importSubgraph(g, scope, nodeName + "/" + which + "/"));
    std::vector<Value *> outs;
    for (const auto &out : g.output()) {
      auto it = scope.find(out.name());
      if (it == scope.end())
        return makeError(which + " output '" + out.name() + "' is not defined");
      outs.push_back(it->second);
    }
    if (outs.size() < ctx.outputs.size())
      return makeError(which + " gives " + std::to_string(outs.size()) +
                       " outputs, If has " +
                       std::to_string(ctx.outputs.size()));
    im.nodeName = nodeName;
    return outs;
  };
  Expected<TensorData> known = im.requireConstant(cond, "cond");
  if (known) {
    bool taken = tensorElementAsDouble(*known, 0) != 0;
    ONNX_ASSIGN(outs, branch(taken ? thenAttr->g() : elseAttr->g(),
                             taken ? "then_branch" : "else_branch"));
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
      if (im.aggregate(outs[i])) {
        ctx.outputs[i] = outs[i]; // a sequence or optional, as it is
        continue;
      }
      if (const Shape *dims = im.dimValue(outs[i])) {
        // Dim values stay dim values (shape math in function bodies).
        MLC_RETURN_IF_ERROR(setOutput(
            ctx, i,
            im.emitDimValue(*dims, outs[i]->type().rank() == 0,
                            ctx.outputName(i), outs[i]->type().dtype)));
        continue;
      }
      MLC_RETURN_IF_ERROR(setOutput(
          ctx, i,
          castTo(im, outs[i], outs[i]->type().dtype, ctx.outputName(i))));
    }
    return Status::success();
  }
  // Both branches are imported, so a run-time check one of them adds (a
  // dynamic dim unified, a run-time reshape) would hold whichever branch
  // the cond takes: refuse those rather than fail a valid run.
  size_t checks = im.graph().requirements().size();
  ONNX_ASSIGN(thenOuts, branch(thenAttr->g(), "then_branch"));
  ONNX_ASSIGN(elseOuts, branch(elseAttr->g(), "else_branch"));
  if (im.graph().requirements().size() != checks)
    return makeError("with a run-time cond, a branch needs a run-time shape "
                     "check (" +
                     im.graph().requirements()[checks].message +
                     "), which would apply to both branches");
  ONNX_ASSIGN(c, im.emitReshape(cond, {}));
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    if (im.aggregate(thenOuts[i]) || im.aggregate(elseOuts[i])) {
      MLC_RETURN_IF_ERROR(
          setOutput(ctx, i, selectAggregates(im, c, thenOuts[i], elseOuts[i])));
      continue;
    }
    if (thenOuts[i]->type() != elseOuts[i]->type())
      return makeError("with a run-time cond, the branches must give outputs "
                       "of the same type; output " +
                       std::to_string(i) + " is " +
                       typeToString(thenOuts[i]->type()) + " and " +
                       typeToString(elseOuts[i]->type()));
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, i,
                  im.emit(OpKind::Where, {c, thenOuts[i], elseOuts[i]}, {},
                          ctx.outputName(i))));
  }
  return Status::success();
}

/// TensorScatter-24 (KV cache updates) as a gather: cache position s along
/// `axis` of batch b takes update[s - w[b]] (mod the cache length in
/// circular mode) when that lies in [0, sequence_length), else stays
/// past_cache[s]. write_indices w default to 0.
Status tensorScatterOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(past, ctx.input(0));
  ONNX_ASSIGN(update, ctx.input(1));
  Value *writes = ctx.optionalInput(2);
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "linear"));
  if (mode != "linear" && mode != "circular")
    return makeError("mode '" + mode + "' is not linear or circular");
  ONNX_ASSIGN(pe, staticShape(past, "past_cache"));
  ONNX_ASSIGN(ue, staticShape(update, "update"));
  int64_t rank = static_cast<int64_t>(pe.size());
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", -2));
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, rank));
  if (axis == 0 || ue.size() != pe.size() ||
      past->type().dtype != update->type().dtype)
    return makeError("update must be past_cache's type but along axis, which "
                     "must not be the batch axis; got " +
                     typeToString(update->type()) + " and " +
                     typeToString(past->type()));
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis ? ue[static_cast<size_t>(d)] != pe[static_cast<size_t>(d)]
                  : ue[static_cast<size_t>(d)] > pe[static_cast<size_t>(d)])
      return makeError("update " + typeToString(update->type()) +
                       " does not fit past_cache " +
                       typeToString(past->type()));
  int64_t cacheLength = pe[static_cast<size_t>(axis)];
  int64_t length = ue[static_cast<size_t>(axis)];
  Importer &im = ctx.importer;
  std::vector<int64_t> along(static_cast<size_t>(rank), 1);
  along[static_cast<size_t>(axis)] = cacheLength;
  std::vector<int64_t> positions(static_cast<size_t>(cacheLength));
  for (int64_t s = 0; s < cacheLength; ++s)
    positions[static_cast<size_t>(s)] = s;
  ONNX_ASSIGN(pos1, im.emitInts(positions));
  ONNX_ASSIGN(pos, im.emitReshape(pos1, along));
  Value *u = pos;
  if (writes) {
    ONNX_ASSIGN(we, staticShape(writes, "write_indices"));
    if (we.size() != 1 || we[0] != pe[0] || !isInteger(writes->type().dtype))
      return makeError("write_indices must be an integer tensor of shape [" +
                       std::to_string(pe[0]) + "], got " +
                       typeToString(writes->type()));
    std::vector<int64_t> perBatch(static_cast<size_t>(rank), 1);
    perBatch[0] = pe[0];
    ONNX_ASSIGN(w64, castTo(im, writes, DType::I64));
    ONNX_ASSIGN(w, im.emitReshape(w64, perBatch));
    ONNX_ASSIGN(d, im.emit(OpKind::Sub, {pos, w}));
    u = d;
  }
  if (mode == "circular") {
    ONNX_ASSIGN(m, im.emitScalar(DType::I64, static_cast<double>(cacheLength)));
    ONNX_ASSIGN(r, im.emit(OpKind::Mod, {u, m}));
    u = r;
  }
  ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0.0));
  ONNX_ASSIGN(len, im.emitScalar(DType::I64, static_cast<double>(length)));
  ONNX_ASSIGN(neg, im.emit(OpKind::Less, {u, zero}));
  ONNX_ASSIGN(notNeg, im.emit(OpKind::Not, {neg}));
  ONNX_ASSIGN(below, im.emit(OpKind::Less, {u, len}));
  ONNX_ASSIGN(valid, im.emit(OpKind::And, {notNeg, below}));
  ONNX_ASSIGN(clamped, im.emit(OpKind::Clip, {u},
                               {{"min", 0.0},
                                {"max", static_cast<double>(length - 1)}}));
  AttributeMap toCache{{"shape", pe}};
  ONNX_ASSIGN(idx, im.emit(OpKind::Expand, {clamped}, toCache));
  ONNX_ASSIGN(picked,
              im.emit(OpKind::GatherElements, {update, idx}, {{"axis", axis}}));
  ONNX_ASSIGN(validAll, im.emit(OpKind::Expand, {valid}, toCache));
  return setOutput(
      ctx, 0,
      im.emit(OpKind::Where, {validAll, picked, past}, {}, ctx.outputName(0)));
}

/// DFT-17/20 as f64 matrix products with constant twiddle factors (cos
/// and sin of 2 pi k n / N): the signal axis is moved last
/// and flattened against the others, Re and Im of the result are
/// a * C + b * S sums, then moved back. Forward, inverse (1/N), onesided
/// forward (the first N / 2 + 1 frequencies) and inverse onesided (irfft: a
/// real signal from a half spectrum, numpy's weights 1, 2, ..., 2, 1) as
/// onnx's reference; the input is zero-padded or cut to dft_length.
Status dftOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(xe, staticShape(x, "input"));
  int64_t rank = static_cast<int64_t>(xe.size());
  DType dt = x->type().dtype;
  if (!isFloat(dt) || rank < 2 || (xe.back() != 1 && xe.back() != 2))
    return makeError("input must be a float tensor of shape [..., n, 1] or "
                     "[..., n, 2], got " +
                     typeToString(x->type()));
  // The transform along `axis`, in f64.
  auto along = [&](int64_t axis) -> Expected<Value *> {
    ONNX_ASSIGN(inverseAttr, ctx.intAttr("inverse", 0));
    ONNX_ASSIGN(onesidedAttr, ctx.intAttr("onesided", 0));
    bool inverse = inverseAttr != 0, onesided = onesidedAttr != 0;
    int64_t n = xe[static_cast<size_t>(axis)];
    int64_t length = inverse && onesided ? 2 * (n - 1) : n;
    if (Value *l = ctx.optionalInput(1)) {
      ONNX_ASSIGN(v, im.requireInts(l, "dft_length"));
      if (v.size() != 1 || v[0] < 1)
        return makeError("dft_length must be one positive value");
      length = v[0];
    }
    if (length < 1)
      return makeError("the DFT length must be at least 1");
    if (length > kMaxConstantExtent)
      return makeError("dft_length " + std::to_string(length) +
                       " is too large (at most " +
                       std::to_string(kMaxConstantExtent) + ")");
    bool complexIn = xe.back() == 2;
    bool realOut = inverse && onesided;
    // Frequencies (or samples) out, and the input positions that count.
    int64_t outLen = realOut ? length : onesided ? length / 2 + 1 : length;
    int64_t used = std::min(n, realOut ? length / 2 + 1 : length);
    if (used * outLen > kMaxConstantExtent)
      return makeError("a DFT of " + std::to_string(used) + " by " +
                       std::to_string(outLen) +
                       " points is too large for its constant matrices");
    // In f64, as the reference (np.fft): the near-zero parts of a spectrum
    // are then within absolute tolerances too.
    DType cdt = DType::F64;
    // [P, n] views of the real and imaginary parts, signal axis last.
    std::vector<int64_t> perm, others;
    for (int64_t d = 0; d < rank - 1; ++d)
      if (d != axis) {
        perm.push_back(d);
        others.push_back(xe[static_cast<size_t>(d)]);
      }
    perm.push_back(axis);
    perm.push_back(rank - 1);
    int64_t rows = 1;
    for (int64_t e : others)
      rows *= e;
    ONNX_ASSIGN(xc, castTo(im, x, cdt));
    ONNX_ASSIGN(moved, im.emit(OpKind::Transpose, {xc}, {{"perm", perm}}));
    std::vector<int64_t> movedExt = others;
    movedExt.push_back(n);
    movedExt.push_back(xe.back());
    auto part = [&](int64_t which) -> Expected<Value *> {
      std::vector<int64_t> starts(movedExt.size(), 0),
          ends = movedExt, steps(movedExt.size(), 1);
      starts.back() = which;
      ends.back() = which + 1;
      ends[ends.size() - 2] = used;
      ONNX_ASSIGN(
          s, im.emit(OpKind::Slice, {moved},
                     {{"starts", starts}, {"ends", ends}, {"steps", steps}}));
      return im.emitReshape(s, {rows, used});
    };
    ONNX_ASSIGN(re, part(0));
    Value *imag = nullptr;
    if (complexIn) {
      ONNX_ASSIGN(i, part(1));
      imag = i;
    }
    // out = re * A + im * B with A, B [used, outLen] constants.
    auto matrix = [&](auto weight) -> Expected<Value *> {
      std::vector<double> values;
      values.reserve(static_cast<size_t>(used * outLen));
      for (int64_t k = 0; k < used; ++k)
        for (int64_t j = 0; j < outLen; ++j)
          values.push_back(weight(k, j));
      ONNX_ASSIGN(data,
                  makeTensorFromDoubles(
                      TensorType{cdt, makeShape({used, outLen})}, values));
      return im.emitConstant(std::move(data));
    };
    const double pi = 3.14159265358979323846;
    double scale = inverse ? 1.0 / static_cast<double>(length) : 1.0;
    double sign = inverse ? 1.0 : -1.0; // e^{sign * i * theta}
    auto theta = [&](int64_t a, int64_t b) {
      // Reduced mod N first: exact for large products.
      int64_t r = (a * b) % length;
      return 2 * pi * static_cast<double>(r) / static_cast<double>(length);
    };
    // irfft's weight of input frequency k (numpy: the Hermitian half counted
    // twice but for 0 and N/2).
    auto half = [&](int64_t k) {
      return realOut && k != 0 && !(length % 2 == 0 && k == length / 2) ? 2.0
                                                                        : 1.0;
    };
    // z e^{sign i t} = (a cos t - sign b sin t) + i (sign a sin t + b cos t).
    ONNX_ASSIGN(aCos, matrix([&](int64_t k, int64_t j) {
                  return scale * half(k) * std::cos(theta(k, j));
                }));
    ONNX_ASSIGN(reOut0, im.emit(OpKind::MatMul, {re, aCos}));
    Value *reOut = reOut0;
    if (imag) {
      ONNX_ASSIGN(bSin, matrix([&](int64_t k, int64_t j) {
                    return -sign * scale * half(k) * std::sin(theta(k, j));
                  }));
      ONNX_ASSIGN(t, im.emit(OpKind::MatMul, {imag, bSin}));
      ONNX_ASSIGN(s, im.emit(OpKind::Add, {reOut, t}));
      reOut = s;
    }
    std::vector<Value *> parts{reOut};
    if (!realOut) {
      ONNX_ASSIGN(aSin, matrix([&](int64_t k, int64_t j) {
                    return sign * scale * std::sin(theta(k, j));
                  }));
      ONNX_ASSIGN(imOut0, im.emit(OpKind::MatMul, {re, aSin}));
      Value *imOut = imOut0;
      if (imag) {
        ONNX_ASSIGN(bCos, matrix([&](int64_t k, int64_t j) {
                      return scale * std::cos(theta(k, j));
                    }));
        ONNX_ASSIGN(t, im.emit(OpKind::MatMul, {imag, bCos}));
        ONNX_ASSIGN(s, im.emit(OpKind::Add, {imOut, t}));
        imOut = s;
      }
      parts.push_back(imOut);
    }
    // Back to [others..., outLen, 1|2], then the signal axis into place.
    std::vector<int64_t> backExt = others;
    backExt.push_back(outLen);
    backExt.push_back(1);
    std::vector<Value *> shaped;
    for (Value *p : parts) {
      ONNX_ASSIGN(r, im.emitReshape(p, backExt));
      shaped.push_back(r);
    }
    Value *joined = shaped[0];
    if (shaped.size() == 2) {
      ONNX_ASSIGN(
          c, im.emit(OpKind::Concat, shaped,
                     {{"axis", static_cast<int64_t>(backExt.size() - 1)}}));
      joined = c;
    }
    std::vector<int64_t> inversePerm(static_cast<size_t>(rank));
    for (int64_t d = 0; d < rank; ++d)
      inversePerm[static_cast<size_t>(perm[static_cast<size_t>(d)])] = d;
    return im.emit(OpKind::Transpose, {joined}, {{"perm", inversePerm}});
  };
  Value *axisIn = ctx.optionalInput(2); // DFT-20
  if (axisIn && (isRunTimeInts(axisIn) || isRunTimeScalar(axisIn))) {
    // Known at run time only: the transform along every axis it may name
    // (those giving the output type of the first), selected by its value.
    ONNX_ASSIGN(axisArgs, requireSymbolArgs(im, axisIn, "axis"));
    if (axisArgs.size() != 1)
      return makeError("axis must hold one value");
    Graph &g = im.graph();
    const SymbolArg &a = axisArgs[0];
    ONNX_ASSIGN(negative, g.defineSymbol(SymbolOp::Lt, {a, int64_t{0}}));
    ONNX_ASSIGN(wrapped, g.defineSymbol(SymbolOp::Add, {a, rank}));
    ONNX_ASSIGN(norm, g.defineSymbol(SymbolOp::Select, {negative, wrapped, a}));
    // The output shape the model declares, if any, picks the candidates;
    // otherwise the first that transforms.
    std::optional<Shape> want;
    if (auto it = im.declaredShapes.find(ctx.proto.output(0));
        it != im.declaredShapes.end())
      want = makeShape(it->second);
    ONNX_ASSIGN(normV,
                im.emit(OpKind::SymbolValues, {},
                        {{"values", dimsAttribute({symbolArgDim(norm)})}}));
    ONNX_ASSIGN(normS, im.emitReshape(normV, {}));
    Value *y = nullptr;
    std::vector<int64_t> candidates;
    for (int64_t c = 0; c + 1 < rank; ++c) {
      Expected<Value *> t = along(c);
      if (!t)
        continue; // no transform along this axis (a DFT length of 0)
      if ((y && (*t)->type() != y->type()) ||
          (want && (*t)->type().shape != *want))
        continue;
      ONNX_ASSIGN(cV, im.emitScalar(DType::I64, static_cast<double>(c)));
      ONNX_ASSIGN(hit, im.emit(OpKind::Equal, {normS, cV}));
      if (y) {
        ONNX_ASSIGN(sel, im.emit(OpKind::Where, {hit, *t, y}));
        y = sel;
      } else {
        y = *t;
      }
      candidates.push_back(c);
    }
    if (!y)
      return makeError("no axis gives a transform of the declared output "
                       "shape");
    // The axis must be one of the candidates.
    SymbolArg any(int64_t{0});
    for (int64_t c : candidates) {
      ONNX_ASSIGN(e, g.defineSymbol(SymbolOp::Eq, {norm, c}));
      ONNX_ASSIGN(m, g.defineSymbol(SymbolOp::Max, {any, e}));
      any = m;
    }
    MLC_RETURN_IF_ERROR(g.require(
        any, "node '" + im.nodeName +
                 "' (DFT): axis must name a signal axis (not the last) "
                 "whose transform has the shape of axis " +
                 std::to_string(candidates.front()) + "'s"));
    return setOutput(ctx, 0, castTo(im, y, dt, ctx.outputName(0)));
  }
  int64_t axisValue = 0;
  if (axisIn) {
    ONNX_ASSIGN(v, im.requireInts(axisIn, "axis"));
    if (v.size() != 1)
      return makeError("axis must hold one value");
    axisValue = v[0];
  } else {
    bool v20 = ctx.numInputs() >= 3 || ctx.importer.opset() >= 20;
    ONNX_ASSIGN(attr, ctx.intAttr("axis", v20 ? -2 : 1));
    axisValue = attr;
  }
  ONNX_ASSIGN(axis, normalizeAxis(axisValue, rank));
  if (axis == rank - 1)
    return makeError("the signal axis cannot be the last (complex) axis");
  ONNX_ASSIGN(y, along(axis));
  return setOutput(ctx, 0, castTo(im, y, dt, ctx.outputName(0)));
}

/// RoiAlign-10/16/22 with a fixed sampling_ratio, as onnx's reference: per
/// roi, a grid of sampling_ratio^2 points per output bin, each a bilinear
/// mix of four input pixels (zero outside [-1, H] x [-1, W], clamped at
/// the last row and column), averaged or maxed per bin. The rois and batch
/// indices are run-time values; the sample grid is position arithmetic
/// and `gather_elements` on the roi's image.
Status roiAlignOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(rois, ctx.input(1));
  ONNX_ASSIGN(batch, ctx.input(2));
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "avg"));
  // RoiAlign-10 had no coordinate_transformation_mode: it behaved as
  // output_half_pixel, which 16 kept under that name.
  bool v16 = opVersion("RoiAlign", ctx.importer.opset()) >= 16;
  ONNX_ASSIGN(coord, ctx.stringAttr("coordinate_transformation_mode",
                                    v16 ? "half_pixel" : "output_half_pixel"));
  ONNX_ASSIGN(ph, ctx.intAttr("output_height", 1));
  ONNX_ASSIGN(pw, ctx.intAttr("output_width", 1));
  ONNX_ASSIGN(sr, ctx.intAttr("sampling_ratio", 0));
  ONNX_ASSIGN(spatialScale, ctx.floatAttr("spatial_scale", 1.0));
  if (mode != "avg" && mode != "max")
    return makeError("mode '" + mode + "' is not avg or max");
  if (coord != "half_pixel" && coord != "output_half_pixel")
    return makeError("coordinate_transformation_mode '" + coord +
                     "' is not half_pixel or output_half_pixel");
  if (sr <= 0)
    return makeError("sampling_ratio " + std::to_string(sr) +
                     " is not supported: the adaptive grid (0) makes the "
                     "number of samples depend on the rois' values");
  if (ph < 1 || pw < 1 || ph * sr > kMaxConstantExtent ||
      pw * sr > kMaxConstantExtent)
    return makeError("output_height and output_width must be positive");
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  ONNX_ASSIGN(re, staticShape(rois, "rois"));
  ONNX_ASSIGN(be, staticShape(batch, "batch_indices"));
  if (xe.size() != 4 || re.size() != 2 || re[1] != 4 || be.size() != 1 ||
      be[0] != re[0] || !isFloat(x->type().dtype) ||
      rois->type().dtype != x->type().dtype || !isInteger(batch->type().dtype))
    return makeError("X must be float [N, C, H, W], rois [R, 4] of its type "
                     "and batch_indices integer [R]; got " +
                     typeToString(x->type()) + ", " +
                     typeToString(rois->type()) + ", " +
                     typeToString(batch->type()));
  Importer &im = ctx.importer;
  DType dt = x->type().dtype;
  int64_t r = re[0], c = xe[1], h = xe[2], w = xe[3];
  bool halfPixel = coord == "half_pixel";
  auto scalar = [&](double v) { return im.emitScalar(dt, v); };
  auto bin = [&](OpKind kind, Value *a, Value *b) {
    return im.emit(kind, {a, b});
  };
  // Roi corners: rois[:, j] * spatial_scale - offset, as [R, 1, 1].
  auto corner = [&](int64_t j) -> Expected<Value *> {
    AttributeMap sl{{"starts", std::vector<int64_t>{0, j}},
                    {"ends", std::vector<int64_t>{r, j + 1}},
                    {"steps", std::vector<int64_t>{1, 1}}};
    ONNX_ASSIGN(s, im.emit(OpKind::Slice, {rois}, sl));
    ONNX_ASSIGN(s3, im.emitReshape(s, {r, 1, 1}));
    ONNX_ASSIGN(k, scalar(spatialScale));
    ONNX_ASSIGN(scaled, bin(OpKind::Mul, s3, k));
    ONNX_ASSIGN(off, scalar(halfPixel ? 0.5 : 0.0));
    return bin(OpKind::Sub, scaled, off);
  };
  // Sample coordinates along one side: start + bin * (p + (i + 0.5) / sr)
  // for the p-th bin's i-th sample, shaped to broadcast in [R, PH sr, PW sr].
  auto samples = [&](int64_t startCol, int64_t endCol, int64_t bins,
                     bool rows) -> Expected<Value *> {
    ONNX_ASSIGN(start, corner(startCol));
    ONNX_ASSIGN(end, corner(endCol));
    ONNX_ASSIGN(size0, bin(OpKind::Sub, end, start));
    Value *size = size0;
    if (!halfPixel) {
      ONNX_ASSIGN(one, scalar(1.0));
      ONNX_ASSIGN(m, bin(OpKind::Max, size0, one));
      size = m;
    }
    ONNX_ASSIGN(count, scalar(static_cast<double>(bins)));
    ONNX_ASSIGN(binSize, bin(OpKind::Div, size, count));
    int64_t n = bins * sr;
    TensorType t{dt, makeShape(rows ? std::vector<int64_t>{1, n, 1}
                                    : std::vector<int64_t>{1, 1, n})};
    std::vector<double> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(static_cast<double>(i / sr) +
                       (static_cast<double>(i % sr) + 0.5) /
                           static_cast<double>(sr));
    ONNX_ASSIGN(offsets, makeTensorFromDoubles(t, values));
    ONNX_ASSIGN(offV, im.emitConstant(std::move(offsets)));
    ONNX_ASSIGN(steps, bin(OpKind::Mul, binSize, offV));
    return bin(OpKind::Add, start, steps);
  };
  ONNX_ASSIGN(ys, samples(1, 3, ph, true));
  ONNX_ASSIGN(xs, samples(0, 2, pw, false));
  // Per axis: the low index, the high one and the weight of the high one;
  // `out` marks samples beyond [-1, extent].
  struct Axis {
    Value *low, *high, *frac, *out;
  };
  auto axisOf = [&](Value *v, int64_t extent) -> Expected<Axis> {
    double e = static_cast<double>(extent);
    ONNX_ASSIGN(minus1, scalar(-1.0));
    ONNX_ASSIGN(ext, scalar(e));
    ONNX_ASSIGN(below, bin(OpKind::Less, v, minus1));
    ONNX_ASSIGN(above, bin(OpKind::Greater, v, ext));
    ONNX_ASSIGN(out, bin(OpKind::Or, below, above));
    ONNX_ASSIGN(zero, scalar(0.0));
    ONNX_ASSIGN(vc, bin(OpKind::Max, v, zero));
    ONNX_ASSIGN(fl, im.emit(OpKind::Floor, {vc}));
    ONNX_ASSIGN(lastV, scalar(e - 1));
    ONNX_ASSIGN(atLast, im.emit(OpKind::Less, {fl, lastV}));
    ONNX_ASSIGN(notLast, im.emit(OpKind::Not, {atLast}));
    // At or past the last index: both ends there, weight 0.
    ONNX_ASSIGN(low, im.emit(OpKind::Where, {notLast, lastV, fl}));
    ONNX_ASSIGN(one, scalar(1.0));
    ONNX_ASSIGN(next, bin(OpKind::Add, fl, one));
    ONNX_ASSIGN(high, im.emit(OpKind::Where, {notLast, lastV, next}));
    ONNX_ASSIGN(f0, bin(OpKind::Sub, vc, fl));
    ONNX_ASSIGN(frac, im.emit(OpKind::Where, {notLast, zero, f0}));
    ONNX_ASSIGN(lowI, castTo(im, low, DType::I64));
    ONNX_ASSIGN(highI, castTo(im, high, DType::I64));
    return Axis{lowI, highI, frac, out};
  };
  ONNX_ASSIGN(ya, axisOf(ys, h));
  ONNX_ASSIGN(xa, axisOf(xs, w));
  ONNX_ASSIGN(outside, bin(OpKind::Or, ya.out, xa.out));
  ONNX_ASSIGN(one, scalar(1.0));
  ONNX_ASSIGN(zero, scalar(0.0));
  ONNX_ASSIGN(hy, bin(OpKind::Sub, one, ya.frac));
  ONNX_ASSIGN(hx, bin(OpKind::Sub, one, xa.frac));
  // The roi's image, [R, C, H W], and the samples flattened to S.
  int64_t rows = ph * sr, cols = pw * sr, s = rows * cols;
  ONNX_ASSIGN(xf, im.emitReshape(x, {xe[0], c, h * w}));
  ONNX_ASSIGN(b64, castTo(im, batch, DType::I64));
  ONNX_ASSIGN(images,
              im.emit(OpKind::Gather, {xf, b64}, {{"axis", int64_t(0)}}));
  ONNX_ASSIGN(widthV, im.emitScalar(DType::I64, static_cast<double>(w)));
  AttributeMap toGrid{{"shape", std::vector<int64_t>{r, rows, cols}}};
  AttributeMap toC{{"shape", std::vector<int64_t>{r, c, s}}};
  std::vector<Value *> terms;
  for (int corner2 = 0; corner2 < 4; ++corner2) {
    Value *yi = corner2 < 2 ? ya.low : ya.high;
    Value *xi = corner2 % 2 == 0 ? xa.low : xa.high;
    Value *wy = corner2 < 2 ? hy : ya.frac;
    Value *wx = corner2 % 2 == 0 ? hx : xa.frac;
    ONNX_ASSIGN(rowOff, bin(OpKind::Mul, yi, widthV));
    ONNX_ASSIGN(pos, bin(OpKind::Add, rowOff, xi));
    ONNX_ASSIGN(posGrid, im.emit(OpKind::Expand, {pos}, toGrid));
    ONNX_ASSIGN(posFlat, im.emitReshape(posGrid, {r, 1, s}));
    ONNX_ASSIGN(idx, im.emit(OpKind::Expand, {posFlat}, toC));
    ONNX_ASSIGN(v, im.emit(OpKind::GatherElements, {images, idx},
                           {{"axis", int64_t(2)}}));
    ONNX_ASSIGN(wgt, bin(OpKind::Mul, wy, wx));
    ONNX_ASSIGN(wIn, im.emit(OpKind::Where, {outside, zero, wgt}));
    ONNX_ASSIGN(wGrid, im.emit(OpKind::Expand, {wIn}, toGrid));
    ONNX_ASSIGN(wFlat, im.emitReshape(wGrid, {r, 1, s}));
    ONNX_ASSIGN(term, bin(OpKind::Mul, v, wFlat));
    terms.push_back(term);
  }
  Value *perSample = nullptr;
  OpKind combine = mode == "avg" ? OpKind::Add : OpKind::Max;
  for (Value *t : terms) {
    if (!perSample) {
      perSample = t;
      continue;
    }
    ONNX_ASSIGN(m, bin(combine, perSample, t));
    perSample = m;
  }
  ONNX_ASSIGN(grid, im.emitReshape(perSample, {r, c, ph, sr, pw, sr}));
  AttributeMap overSamples{{"axes", std::vector<int64_t>{3, 5}},
                           {"keepdims", int64_t(0)}};
  if (mode == "max")
    return setOutput(
        ctx, 0,
        im.emit(OpKind::ReduceMax, {grid}, overSamples, ctx.outputName(0)));
  ONNX_ASSIGN(total, im.emit(OpKind::ReduceSum, {grid}, overSamples));
  ONNX_ASSIGN(count, scalar(static_cast<double>(sr * sr)));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Div, {total, count}, {}, ctx.outputName(0)));
}

/// MatMulInteger-10: (A - a_zero_point) x (B - b_zero_point) in int32, as
/// onnx's reference; an a_zero_point of M values is per row of A, one of N
/// values per column of B.
Status matMulIntegerOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  auto eightBit = [](DType t) { return t == DType::U8 || t == DType::I8; };
  if (!eightBit(a->type().dtype) || !eightBit(b->type().dtype) ||
      a->type().rank() < 2 || b->type().rank() < 2)
    return makeError(
        "A and B must be int8 or uint8 tensors of rank >= 2, got " +
        typeToString(a->type()) + " and " + typeToString(b->type()));
  Importer &im = ctx.importer;
  auto shifted = [&](Value *x, Value *zp, bool rows) -> Expected<Value *> {
    ONNX_ASSIGN(xi, castTo(im, x, DType::I32));
    if (!zp)
      return xi;
    if (zp->type().dtype != x->type().dtype)
      return makeError("a zero point must have its input's type, got " +
                       typeToString(zp->type()));
    ONNX_ASSIGN(zi, castTo(im, zp, DType::I32));
    Value *z = zi;
    // A's per-row zero points [M] broadcast as [M, 1].
    if (rows && zp->type().rank() == 1 && x->type().rank() >= 2) {
      ONNX_ASSIGN(ze, staticShape(zp, "a_zero_point"));
      ONNX_ASSIGN(r, im.emitReshape(zi, {ze[0], 1}));
      z = r;
    }
    return im.emit(OpKind::Sub, {xi, z});
  };
  ONNX_ASSIGN(as, shifted(a, ctx.optionalInput(2), true));
  ONNX_ASSIGN(bs, shifted(b, ctx.optionalInput(3), false));
  return setOutput(ctx, 0,
                   im.emit(OpKind::MatMul, {as, bs}, {}, ctx.outputName(0)));
}

/// DeformConv-19/22 over 2-D images, as onnx's reference: kernel tap
/// (kh, kw) of output position (oh, ow) samples X bilinearly (zero outside
/// the image, as GridSample with align_corners = 1 and zeros padding) at
/// (oh sh - pad_top + kh dh + offset_y, ow sw - pad_left + kw dw +
/// offset_x), the offsets of the tap's offset group; the samples, times the
/// mask, form im2col columns [N, group, C/group KH KW, OH OW] that a
/// batched matmul with W [group, OC/group, C/group KH KW] reduces.
Status deformConvOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(w, ctx.input(1));
  ONNX_ASSIGN(offset, ctx.input(2));
  Value *bias = ctx.optionalInput(3);
  Value *mask = ctx.optionalInput(4);
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  ONNX_ASSIGN(we, staticShape(w, "W"));
  ONNX_ASSIGN(oe, staticShape(offset, "offset"));
  DType dt = x->type().dtype;
  if (!isFloat(dt) || xe.size() != 4 || we.size() != 4 || oe.size() != 4 ||
      w->type().dtype != dt || offset->type().dtype != dt)
    return makeError("X, W and offset must be float tensors of rank 4 and "
                     "one type (2-D images only), got " +
                     typeToString(x->type()) + ", " + typeToString(w->type()) +
                     " and " + typeToString(offset->type()));
  ONNX_ASSIGN(group, ctx.intAttr("group", 1));
  ONNX_ASSIGN(offGroups, ctx.intAttr("offset_group", 1));
  std::vector<int64_t> kernel = {we[2], we[3]};
  if (ctx.hasAttr("kernel_shape")) {
    ONNX_ASSIGN(k, ctx.intsAttr("kernel_shape"));
    kernel = k;
  }
  ONNX_ASSIGN(dil, ctx.intsAttr("dilations"));
  ONNX_ASSIGN(pads, ctx.intsAttr("pads"));
  ONNX_ASSIGN(strides, ctx.intsAttr("strides"));
  if (dil.empty())
    dil = {1, 1};
  if (pads.empty())
    pads = {0, 0, 0, 0};
  if (strides.empty())
    strides = {1, 1};
  int64_t n = xe[0], c = xe[1], h = xe[2], wd = xe[3], oc = we[0];
  if (kernel.size() != 2 || dil.size() != 2 || pads.size() != 4 ||
      strides.size() != 2 || kernel[0] != we[2] || kernel[1] != we[3])
    return makeError("kernel_shape, dilations, strides (2 values) and pads "
                     "(4) must describe W's 2-D kernel");
  for (int i = 0; i < 2; ++i)
    if (dil[i] < 1 || strides[i] < 1 || dil[i] > h + wd + 1 || pads[i] < 0 ||
        pads[i + 2] < 0 || pads[i] > (int64_t{1} << 20) ||
        pads[i + 2] > (int64_t{1} << 20))
      return makeError("dilations and strides must be positive and pads in "
                       "[0, 2^20]");
  if (group < 1 || offGroups < 1 || c != we[1] * group || oc % group != 0 ||
      c % offGroups != 0)
    return makeError("group " + std::to_string(group) + " and offset_group " +
                     std::to_string(offGroups) + " do not fit X " +
                     typeToString(x->type()) + " and W " +
                     typeToString(w->type()));
  int64_t kh = kernel[0], kw = kernel[1], k = kh * kw;
  int64_t oh = oe[2], ow = oe[3], l = oh * ow;
  auto outExtent = [&](int64_t in, int64_t d) {
    int64_t span = (kernel[d] - 1) * dil[d] + 1;
    return (in + pads[d] + pads[d + 2] - span) / strides[d] + 1;
  };
  if (oe[0] != n || oe[1] != offGroups * k * 2 || oh != outExtent(h, 0) ||
      ow != outExtent(wd, 1))
    return makeError("offset " + typeToString(offset->type()) +
                     " does not fit the convolution's output [" +
                     std::to_string(n) + ", " +
                     std::to_string(offGroups * k * 2) + ", " +
                     std::to_string(outExtent(h, 0)) + ", " +
                     std::to_string(outExtent(wd, 1)) + "]");
  Importer &im = ctx.importer;
  auto scalar = [&](double v) { return im.emitScalar(dt, v); };
  auto bin = [&](OpKind kind, Value *a, Value *b) {
    return im.emit(kind, {a, b});
  };
  int64_t g = offGroups;
  ONNX_ASSIGN(off5, im.emitReshape(offset, {n, g, k, 2, l}));
  // The sample coordinate along axis d: base + offset, [N, G, K, L].
  auto coordinate = [&](int64_t d) -> Expected<Value *> {
    ONNX_ASSIGN(sl, sliceAxis(ctx, off5, {n, g, k, 2, l}, 3, d, d + 1, ""));
    ONNX_ASSIGN(o, im.emitReshape(sl, {n, g, k, l}));
    std::vector<double> base;
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xx = 0; xx < ow; ++xx)
            base.push_back(d == 0 ? static_cast<double>(y * strides[0] -
                                                        pads[0] + i * dil[0])
                                  : static_cast<double>(xx * strides[1] -
                                                        pads[1] + j * dil[1]));
    ONNX_ASSIGN(bd, makeTensorFromDoubles(
                        TensorType{dt, makeShape({1, 1, k, l})}, base));
    ONNX_ASSIGN(bv, im.emitConstant(std::move(bd)));
    return bin(OpKind::Add, bv, o);
  };
  ONNX_ASSIGN(py, coordinate(0));
  ONNX_ASSIGN(px, coordinate(1));
  ONNX_ASSIGN(y0, im.emit(OpKind::Floor, {py}));
  ONNX_ASSIGN(x0, im.emit(OpKind::Floor, {px}));
  ONNX_ASSIGN(fy, bin(OpKind::Sub, py, y0));
  ONNX_ASSIGN(fx, bin(OpKind::Sub, px, x0));
  ONNX_ASSIGN(one, scalar(1.0));
  ONNX_ASSIGN(zero, scalar(0.0));
  ONNX_ASSIGN(gy, bin(OpKind::Sub, one, fy));
  ONNX_ASSIGN(gx, bin(OpKind::Sub, one, fx));
  int64_t cg = c / g;
  ONNX_ASSIGN(xg, im.emitReshape(x, {n, g, cg, h * wd}));
  ONNX_ASSIGN(widthI, im.emitScalar(DType::I64, static_cast<double>(wd)));
  AttributeMap toChannels{{"shape", std::vector<int64_t>{n, g, cg, k * l}}};
  // One corner: its index (clamped into the image), its weight (0 when
  // outside) and the value it contributes.
  auto corner = [&](Value *at, Value *weight, int64_t extent,
                    Value *&index) -> Expected<Value *> {
    ONNX_ASSIGN(lastV, scalar(static_cast<double>(extent - 1)));
    ONNX_ASSIGN(below, bin(OpKind::Less, at, zero));
    ONNX_ASSIGN(above, bin(OpKind::Greater, at, lastV));
    ONNX_ASSIGN(out, bin(OpKind::Or, below, above));
    ONNX_ASSIGN(lo, bin(OpKind::Max, at, zero));
    ONNX_ASSIGN(clamped, bin(OpKind::Min, lo, lastV));
    ONNX_ASSIGN(ci, castTo(im, clamped, DType::I64));
    index = ci;
    return im.emit(OpKind::Where, {out, zero, weight});
  };
  Value *sampled = nullptr;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      Value *yi = y0, *xi = x0;
      if (dy) {
        ONNX_ASSIGN(y1, bin(OpKind::Add, y0, one));
        yi = y1;
      }
      if (dx) {
        ONNX_ASSIGN(x1, bin(OpKind::Add, x0, one));
        xi = x1;
      }
      Value *yIndex = nullptr, *xIndex = nullptr;
      ONNX_ASSIGN(wy, corner(yi, dy ? fy : gy, h, yIndex));
      ONNX_ASSIGN(wx, corner(xi, dx ? fx : gx, wd, xIndex));
      ONNX_ASSIGN(wgt, bin(OpKind::Mul, wy, wx));
      ONNX_ASSIGN(rowOff, bin(OpKind::Mul, yIndex, widthI));
      ONNX_ASSIGN(pos, bin(OpKind::Add, rowOff, xIndex));
      ONNX_ASSIGN(pos4, im.emitReshape(pos, {n, g, 1, k * l}));
      ONNX_ASSIGN(idx, im.emit(OpKind::Expand, {pos4}, toChannels));
      ONNX_ASSIGN(v, im.emit(OpKind::GatherElements, {xg, idx},
                             {{"axis", int64_t(3)}}));
      ONNX_ASSIGN(wgt4, im.emitReshape(wgt, {n, g, 1, k * l}));
      ONNX_ASSIGN(term, bin(OpKind::Mul, v, wgt4));
      if (sampled) {
        ONNX_ASSIGN(sum, bin(OpKind::Add, sampled, term));
        sampled = sum;
      } else {
        sampled = term;
      }
    }
  if (mask) {
    ONNX_ASSIGN(me, staticShape(mask, "mask"));
    if (mask->type().dtype != dt ||
        me != std::vector<int64_t>{n, g * k, oh, ow})
      return makeError("mask must be X's type, shaped [" + std::to_string(n) +
                       ", " + std::to_string(g * k) + ", " +
                       std::to_string(oh) + ", " + std::to_string(ow) +
                       "], got " + typeToString(mask->type()));
    ONNX_ASSIGN(m4, im.emitReshape(mask, {n, g, 1, k * l}));
    ONNX_ASSIGN(masked, bin(OpKind::Mul, sampled, m4));
    sampled = masked;
  }
  int64_t perGroup = c / group, ocg = oc / group;
  ONNX_ASSIGN(cols, im.emitReshape(sampled, {n, group, perGroup * k, l}));
  ONNX_ASSIGN(w3, im.emitReshape(w, {1, group, ocg, perGroup * k}));
  ONNX_ASSIGN(prod, im.emit(OpKind::MatMul, {w3, cols}));
  if (!bias)
    return setOutput(ctx, 0,
                     im.emitReshape(prod, {n, oc, oh, ow}, ctx.outputName(0)));
  ONNX_ASSIGN(y, im.emitReshape(prod, {n, oc, oh, ow}));
  if (bias->type().dtype != dt || bias->type().rank() != 1)
    return makeError("B must be a 1-D tensor of X's type, got " +
                     typeToString(bias->type()));
  ONNX_ASSIGN(b4, im.emitReshape(bias, {1, oc, 1, 1}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Add, {y, b4}, {}, ctx.outputName(0)));
}

/// Largest MaxUnpool one-hot mask (input elements x output elements).
constexpr int64_t kMaxUnpoolMask = int64_t{1} << 26;

/// MaxUnpool-9/11/22, as onnx's reference: the output of the inferred
/// shape ((in - 1) stride - pads + kernel per spatial dim) is zero but for
/// element I[i] (flat, row-major) which takes X[i], the last i winning;
/// with output_shape, that result sits in the leading corner of a zero
/// tensor of that shape. The scatter is a one-hot [T, O] mask whose
/// largest hit position per output element picks the value (at most
/// 2^26 mask elements).
Status maxUnpoolOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(indices, ctx.input(1));
  Value *outShape = ctx.optionalInput(2);
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  ONNX_ASSIGN(ie, staticShape(indices, "I"));
  if (xe.size() < 3 || ie != xe || indices->type().dtype != DType::I64)
    return makeError("X needs rank >= 3 and I must be int64 of X's shape; "
                     "got " +
                     typeToString(x->type()) + " and " +
                     typeToString(indices->type()));
  size_t spatial = xe.size() - 2;
  ONNX_ASSIGN(kernel, ctx.intsAttr("kernel_shape"));
  ONNX_ASSIGN(pads, ctx.intsAttr("pads"));
  ONNX_ASSIGN(strides, ctx.intsAttr("strides"));
  if (pads.empty())
    pads.assign(2 * spatial, 0);
  if (strides.empty())
    strides.assign(spatial, 1);
  if (kernel.size() != spatial || pads.size() != 2 * spatial ||
      strides.size() != spatial)
    return makeError("kernel_shape and strides need " +
                     std::to_string(spatial) + " values and pads " +
                     std::to_string(2 * spatial));
  constexpr int64_t kMaxAttr = int64_t{1} << 20;
  for (size_t d = 0; d < spatial; ++d)
    if (kernel[d] < 1 || strides[d] < 1 || kernel[d] > kMaxAttr ||
        strides[d] > kMaxAttr || pads[d] < 0 || pads[d + spatial] < 0 ||
        pads[d] > kMaxAttr || pads[d + spatial] > kMaxAttr)
      return makeError("kernel_shape and strides must lie in [1, 2^20] and "
                       "pads in [0, 2^20]");
  std::vector<int64_t> inferred = {xe[0], xe[1]};
  for (size_t d = 0; d < spatial; ++d) {
    int64_t e = (xe[d + 2] - 1) * strides[d] - (pads[d] + pads[d + spatial]) +
                kernel[d];
    if (e < 0)
      return makeError("the unpooled extent of spatial dim " +
                       std::to_string(d) + " is negative");
    inferred.push_back(e);
  }
  ONNX_ASSIGN(t, elementCount(makeShape(xe)));
  ONNX_ASSIGN(o, elementCount(makeShape(inferred)));
  if (t > 0 && o > kMaxUnpoolMask / t)
    return makeError("MaxUnpool of " + std::to_string(t) + " elements into " +
                     std::to_string(o) +
                     " is too large (the one-hot mask "
                     "has at most 2^26 elements)");
  Importer &im = ctx.importer;
  ONNX_ASSIGN(flatI, im.emitReshape(indices, {t, 1}));
  ONNX_ASSIGN(flatX, im.emitReshape(x, {t}));
  ONNX_ASSIGN(positions, im.emit(OpKind::Iota, {},
                                 {{"shape", std::vector<int64_t>{1, o}},
                                  {"axis", int64_t{1}}}));
  ONNX_ASSIGN(hot, im.emit(OpKind::Equal, {flatI, positions}));
  ONNX_ASSIGN(which, im.emit(OpKind::Iota, {},
                             {{"shape", std::vector<int64_t>{t, 1}},
                              {"axis", int64_t{0}}}));
  ONNX_ASSIGN(none, im.emitScalar(DType::I64, -1.0));
  ONNX_ASSIGN(hitAt, im.emit(OpKind::Where, {hot, which, none}));
  ONNX_ASSIGN(last, im.emit(OpKind::ReduceMax, {hitAt},
                            {{"axes", std::vector<int64_t>{0}},
                             {"keepdims", int64_t{0}}}));
  ONNX_ASSIGN(zeroI, im.emitScalar(DType::I64, 0.0));
  ONNX_ASSIGN(found, im.emit(OpKind::Less, {none, last}));
  ONNX_ASSIGN(from, im.emit(OpKind::Max, {last, zeroI}));
  ONNX_ASSIGN(picked,
              im.emit(OpKind::Gather, {flatX, from}, {{"axis", int64_t{0}}}));
  ONNX_ASSIGN(zero, im.emitScalar(x->type().dtype, 0.0));
  ONNX_ASSIGN(flatY, im.emit(OpKind::Where, {found, picked, zero}));
  if (!outShape)
    return setOutput(ctx, 0,
                     im.emitReshape(flatY, inferred, ctx.outputName(0)));
  ONNX_ASSIGN(y, im.emitReshape(flatY, inferred));
  ONNX_ASSIGN(placed, zeroExtendTo(ctx, y, outShape));
  return setOutput(ctx, 0,
                   castTo(im, placed, placed->type().dtype, ctx.outputName(0)));
}

/// GridSample-16/20/22 as onnx's reference computes it, for any number of
/// spatial dims: each output position's grid coordinates are denormalized
/// (f32), out-of-range ones fixed up for the border and reflection modes,
/// and the value is a weighted sum of X gathered at the 1 (nearest), 2^k
/// (linear) or 4^k (cubic, Keys with a = -0.75) neighbouring positions,
/// each read through the padding mode (zeros: 0 outside; border: clamped;
/// reflection: reflected at the borders).
Status gridSampleOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(grid, ctx.input(1));
  // GridSample-16 spells the modes bilinear and bicubic.
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "linear"));
  ONNX_ASSIGN(padding, ctx.stringAttr("padding_mode", "zeros"));
  ONNX_ASSIGN(alignAttr, ctx.intAttr("align_corners", 0));
  bool align = alignAttr != 0;
  if (mode == "bilinear")
    mode = "linear";
  if (mode == "bicubic")
    mode = "cubic";
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return makeError("mode '" + mode + "' is not linear, nearest or cubic");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return makeError("padding_mode '" + padding +
                     "' is not zeros, border or reflection");
  if (!isFloat(x->type().dtype) || !isFloat(grid->type().dtype))
    return makeError("X and grid must be float tensors");
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  ONNX_ASSIGN(ge, staticShape(grid, "grid"));
  int64_t k = static_cast<int64_t>(xe.size()) - 2;
  if (k < 1 || static_cast<int64_t>(ge.size()) != k + 2 || ge[0] != xe[0] ||
      ge.back() != k)
    return makeError("grid must be (N, D1_out, ..., Dk_out, k) for X of "
                     "shape (N, C, D1, ..., Dk), got " +
                     typeToString(grid->type()) + " for " +
                     typeToString(x->type()));
  Importer &im = ctx.importer;
  DType xdt = x->type().dtype;
  int64_t n = xe[0], c = xe[1], points = 1, outPoints = 1;
  for (int64_t i = 0; i < k; ++i) {
    ONNX_ASSIGN(p, checkedMul(points, xe[2 + i]));
    ONNX_ASSIGN(q, checkedMul(outPoints, ge[1 + i]));
    points = p, outPoints = q;
  }
  auto f32 = [&](double v) { return im.emitScalar(DType::F32, v); };
  auto i64 = [&](double v) { return im.emitScalar(DType::I64, v); };
  auto bin = [&](OpKind kind, Value *a, Value *b) {
    return im.emit(kind, {a, b});
  };
  auto select = [&](Value *cond, Value *a, Value *b) {
    return im.emit(OpKind::Where, {cond, a, b});
  };
  // v reflected into [lo, hi] as _gs_reflect (hi == lo gives lo).
  auto reflect = [&](Value *v, double lo, double hi) -> Expected<Value *> {
    double range = hi - lo;
    ONNX_ASSIGN(loV, f32(lo));
    ONNX_ASSIGN(hiV, f32(hi));
    if (range <= 0)
      return im.emit(OpKind::Clip, {v}, {{"min", lo}, {"max", hi}});
    ONNX_ASSIGN(rangeV, f32(range));
    ONNX_ASSIGN(two, f32(2.0));
    ONNX_ASSIGN(zero, f32(0.0));
    // Distance past the near border, its whole ranges and the remainder.
    auto fold = [&](Value *dx, Value *from, Value *other,
                    bool towardsLow) -> Expected<Value *> {
      ONNX_ASSIGN(q, bin(OpKind::Div, dx, rangeV));
      ONNX_ASSIGN(whole, im.emit(OpKind::Floor, {q}));
      ONNX_ASSIGN(used, bin(OpKind::Mul, whole, rangeV));
      ONNX_ASSIGN(r, bin(OpKind::Sub, dx, used));
      ONNX_ASSIGN(half, bin(OpKind::Div, whole, two));
      ONNX_ASSIGN(halfFloor, im.emit(OpKind::Floor, {half}));
      ONNX_ASSIGN(twice, bin(OpKind::Mul, halfFloor, two));
      ONNX_ASSIGN(odd, bin(OpKind::Sub, whole, twice));
      ONNX_ASSIGN(even, bin(OpKind::Equal, odd, zero));
      // Even: from the near border inwards; odd: from the far one.
      ONNX_ASSIGN(nearIn, bin(towardsLow ? OpKind::Add : OpKind::Sub, from, r));
      ONNX_ASSIGN(farIn, bin(towardsLow ? OpKind::Sub : OpKind::Add, other, r));
      return select(even, nearIn, farIn);
    };
    ONNX_ASSIGN(dxLow, bin(OpKind::Sub, loV, v));
    ONNX_ASSIGN(fromLow, fold(dxLow, loV, hiV, true));
    ONNX_ASSIGN(dxHigh, bin(OpKind::Sub, v, hiV));
    ONNX_ASSIGN(fromHigh, fold(dxHigh, hiV, loV, false));
    ONNX_ASSIGN(below, bin(OpKind::Less, v, loV));
    ONNX_ASSIGN(above, bin(OpKind::Greater, v, hiV));
    ONNX_ASSIGN(inner, select(above, fromHigh, v));
    return select(below, fromLow, inner);
  };

  // The grid as (N, Q, k) in f32; component j addresses spatial dim k-1-j.
  ONNX_ASSIGN(gf, castTo(im, grid, DType::F32));
  ONNX_ASSIGN(g, im.emitReshape(gf, {n, outPoints, k}));
  std::vector<Value *> coord(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    int64_t j = k - 1 - i;
    double length = static_cast<double>(xe[2 + i]);
    AttributeMap sl{{"starts", std::vector<int64_t>{0, 0, j}},
                    {"ends", std::vector<int64_t>{n, outPoints, j + 1}},
                    {"steps", std::vector<int64_t>{1, 1, 1}}};
    ONNX_ASSIGN(gj3, im.emit(OpKind::Slice, {g}, sl));
    ONNX_ASSIGN(gj, im.emitReshape(gj3, {n, 1, outPoints}));
    ONNX_ASSIGN(one, f32(1.0));
    ONNX_ASSIGN(plus, bin(OpKind::Add, gj, one));
    Value *v = nullptr;
    if (align) { // (g + 1) / 2 * (L - 1)
      ONNX_ASSIGN(s, f32((length - 1) / 2.0));
      ONNX_ASSIGN(t, bin(OpKind::Mul, plus, s));
      v = t;
    } else { // ((g + 1) * L - 1) / 2
      ONNX_ASSIGN(l, f32(length));
      ONNX_ASSIGN(t, bin(OpKind::Mul, plus, l));
      ONNX_ASSIGN(t1, bin(OpKind::Sub, t, one));
      ONNX_ASSIGN(h, f32(0.5));
      ONNX_ASSIGN(t2, bin(OpKind::Mul, t1, h));
      v = t2;
    }
    if (mode == "nearest") {
      ONNX_ASSIGN(r, im.emit(OpKind::Round, {v}));
      v = r;
    }
    double lo = align ? 0.0 : -0.5, hi = align ? length - 1 : length - 0.5;
    if (padding == "border") {
      ONNX_ASSIGN(loV, f32(lo));
      ONNX_ASSIGN(hiV, f32(hi));
      ONNX_ASSIGN(below, bin(OpKind::Less, v, loV));
      ONNX_ASSIGN(above, bin(OpKind::Greater, v, hiV));
      ONNX_ASSIGN(out, bin(OpKind::Or, below, above));
      ONNX_ASSIGN(clamped, im.emit(OpKind::Clip, {v},
                                   {{"min", 0.0}, {"max", length - 1}}));
      ONNX_ASSIGN(fixed, select(out, clamped, v));
      v = fixed;
    } else if (padding == "reflection") {
      ONNX_ASSIGN(fixed, reflect(v, lo, hi));
      v = fixed;
    }
    coord[static_cast<size_t>(i)] = v;
  }

  // One tap along dim i at integer position `pos` (f32, integral): its
  // index into the dim as the padding mode reads it, and whether it reads X
  // at all (zeros mode outside the dim reads 0).
  struct Tap {
    Value *index; // i64, in [0, L)
    Value *valid; // bool, or null when always valid
  };
  auto tapAt = [&](int64_t i, Value *pos) -> Expected<Tap> {
    double length = static_cast<double>(xe[2 + i]);
    Value *p = pos;
    Value *valid = nullptr;
    if (padding == "zeros") {
      ONNX_ASSIGN(zero, f32(0.0));
      ONNX_ASSIGN(len, f32(length));
      ONNX_ASSIGN(neg, bin(OpKind::Less, p, zero));
      ONNX_ASSIGN(notLow, im.emit(OpKind::Not, {neg}));
      ONNX_ASSIGN(inHigh, bin(OpKind::Less, p, len));
      ONNX_ASSIGN(ok, bin(OpKind::And, notLow, inHigh));
      valid = ok;
    } else if (padding == "reflection" && mode != "nearest") {
      double lo = align ? 0.0 : -0.5, hi = align ? length - 1 : length - 0.5;
      ONNX_ASSIGN(r, reflect(p, lo, hi));
      p = r;
    }
    // Clamped into the dim (a no-op where valid or already inside), then
    // truncated as the reference's int().
    ONNX_ASSIGN(clamped, im.emit(OpKind::Clip, {p},
                                 {{"min", 0.0}, {"max", length - 1}}));
    ONNX_ASSIGN(index, castTo(im, clamped, DType::I64));
    return Tap{index, valid};
  };

  // Per dim: the taps' positions and weights.
  struct DimTaps {
    std::vector<Value *> position; // f32
    std::vector<Value *> weight;   // f32, null for nearest
  };
  std::vector<DimTaps> dims(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    Value *v = coord[static_cast<size_t>(i)];
    DimTaps &d = dims[static_cast<size_t>(i)];
    if (mode == "nearest") {
      d.position.push_back(v);
      d.weight.push_back(nullptr);
      continue;
    }
    ONNX_ASSIGN(x0, im.emit(OpKind::Floor, {v}));
    ONNX_ASSIGN(t, bin(OpKind::Sub, v, x0));
    if (mode == "linear") {
      ONNX_ASSIGN(one, f32(1.0));
      ONNX_ASSIGN(x1, bin(OpKind::Add, x0, one));
      ONNX_ASSIGN(w0, bin(OpKind::Sub, one, t));
      d.position = {x0, x1};
      d.weight = {w0, t};
      continue;
    }
    // Cubic: taps x0-1 .. x0+2 at distances t+1, t, 1-t, 2-t.
    const double a = -0.75;
    for (int tap = -1; tap <= 2; ++tap) {
      ONNX_ASSIGN(off, f32(tap));
      ONNX_ASSIGN(pos, bin(OpKind::Add, x0, off));
      d.position.push_back(pos);
      ONNX_ASSIGN(offV, f32(tap));
      ONNX_ASSIGN(dist0, bin(OpKind::Sub, t, offV));
      ONNX_ASSIGN(dist, im.emit(OpKind::Abs, {dist0}));
      // |d| <= 1: ((a + 2) d - (a + 3)) d^2 + 1;
      // 1 < |d| < 2: ((a d - 5a) d + 8a) d - 4a.
      ONNX_ASSIGN(d2, bin(OpKind::Mul, dist, dist));
      Value *w = nullptr;
      if (tap == 0 || tap == 1) {
        ONNX_ASSIGN(ca, f32(a + 2));
        ONNX_ASSIGN(cb, f32(a + 3));
        ONNX_ASSIGN(one, f32(1.0));
        ONNX_ASSIGN(p1, bin(OpKind::Mul, dist, ca));
        ONNX_ASSIGN(p2, bin(OpKind::Sub, p1, cb));
        ONNX_ASSIGN(p3, bin(OpKind::Mul, p2, d2));
        ONNX_ASSIGN(p4, bin(OpKind::Add, p3, one));
        w = p4;
      } else {
        ONNX_ASSIGN(ca, f32(a));
        ONNX_ASSIGN(c5, f32(5 * a));
        ONNX_ASSIGN(c8, f32(8 * a));
        ONNX_ASSIGN(c4, f32(4 * a));
        ONNX_ASSIGN(p1, bin(OpKind::Mul, dist, ca));
        ONNX_ASSIGN(p2, bin(OpKind::Sub, p1, c5));
        ONNX_ASSIGN(p3, bin(OpKind::Mul, p2, dist));
        ONNX_ASSIGN(p4, bin(OpKind::Add, p3, c8));
        ONNX_ASSIGN(p5, bin(OpKind::Mul, p4, dist));
        ONNX_ASSIGN(p6, bin(OpKind::Sub, p5, c4));
        w = p6;
      }
      d.weight.push_back(w);
    }
  }

  // Every combination of one tap per dim: gather X there and add it up.
  ONNX_ASSIGN(xf, im.emitReshape(x, {n, c, points}));
  AttributeMap toC{{"shape", std::vector<int64_t>{n, c, outPoints}}};
  AttributeMap lastAxis{{"axis", int64_t(2)}};
  int64_t perDim = static_cast<int64_t>(dims[0].position.size());
  int64_t combos = 1;
  for (int64_t i = 0; i < k; ++i)
    combos *= perDim;
  Value *sum = nullptr;
  for (int64_t combo = 0; combo < combos; ++combo) {
    Value *flat = nullptr, *valid = nullptr, *weight = nullptr;
    int64_t rest = combo, stride = points;
    for (int64_t i = 0; i < k; ++i) {
      int64_t which = rest % perDim;
      rest /= perDim;
      const DimTaps &d = dims[static_cast<size_t>(i)];
      ONNX_ASSIGN(tap, tapAt(i, d.position[static_cast<size_t>(which)]));
      stride /= xe[2 + i];
      ONNX_ASSIGN(strideV, i64(static_cast<double>(stride)));
      ONNX_ASSIGN(part, bin(OpKind::Mul, tap.index, strideV));
      if (flat) {
        ONNX_ASSIGN(f, bin(OpKind::Add, flat, part));
        flat = f;
      } else {
        flat = part;
      }
      if (tap.valid) {
        if (valid) {
          ONNX_ASSIGN(both, bin(OpKind::And, valid, tap.valid));
          valid = both;
        } else {
          valid = tap.valid;
        }
      }
      if (Value *w = d.weight[static_cast<size_t>(which)]) {
        if (weight) {
          ONNX_ASSIGN(prod, bin(OpKind::Mul, weight, w));
          weight = prod;
        } else {
          weight = w;
        }
      }
    }
    ONNX_ASSIGN(idx, im.emit(OpKind::Expand, {flat}, toC));
    ONNX_ASSIGN(picked, im.emit(OpKind::GatherElements, {xf, idx}, lastAxis));
    Value *term = picked;
    if (weight) {
      ONNX_ASSIGN(wx, castTo(im, weight, xdt));
      ONNX_ASSIGN(t, bin(OpKind::Mul, picked, wx));
      term = t;
    }
    if (valid) {
      ONNX_ASSIGN(zero, im.emitScalar(xdt, 0.0));
      ONNX_ASSIGN(t, select(valid, term, zero));
      term = t;
    }
    if (sum) {
      ONNX_ASSIGN(s, bin(OpKind::Add, sum, term));
      sum = s;
    } else {
      sum = term;
    }
  }
  std::vector<int64_t> ye{n, c};
  ye.insert(ye.end(), ge.begin() + 1, ge.end() - 1);
  return setOutput(ctx, 0, im.emitReshape(sum, ye, ctx.outputName(0)));
}

/// CausalConvWithState-27, as onnx's reference: the input left-padded with
/// past_state (zeros without one) to L + k - 1, a depthwise valid conv,
/// optional SiLU (computed in f32), and present_state = the padded input's
/// last k - 1 positions.
Status causalConvWithStateOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(w, ctx.input(1));
  Value *bias = ctx.optionalInput(2);
  Value *past = ctx.optionalInput(3);
  ONNX_ASSIGN(activation, ctx.stringAttr("activation", "none"));
  if (activation != "none" && activation != "silu" && activation != "swish")
    return makeError("activation '" + activation +
                     "' is not one of none, silu, swish");
  ONNX_ASSIGN(xe, staticShape(x, "input"));
  ONNX_ASSIGN(we, staticShape(w, "weight"));
  if (xe.size() != 3 || we.size() != 3 || we[0] != xe[1] || we[1] != 1)
    return makeError("input must be (batch, channels, length) and weight "
                     "(channels, 1, k), got " +
                     typeToString(x->type()) + " and " +
                     typeToString(w->type()));
  int64_t k = we[2], length = xe[2];
  if (k < 1)
    return makeError("the kernel size must be at least 1");
  Importer &im = ctx.importer;
  DType dt = x->type().dtype;
  Value *padded = x;
  if (k > 1) {
    Value *pad = past;
    if (!pad) {
      ONNX_ASSIGN(zeros,
                  makeFilledTensor(TensorType{dt, makeShape({xe[0], xe[1],
                                                             k - 1})},
                                   0.0));
      ONNX_ASSIGN(z, im.emitConstant(std::move(zeros)));
      pad = z;
    }
    AttributeMap last{{"axis", int64_t(2)}};
    ONNX_ASSIGN(p, im.emit(OpKind::Concat, {pad, x}, last));
    padded = p;
  }
  AttributeMap conv{{"strides", std::vector<int64_t>{1}},
                    {"pads", std::vector<int64_t>{0, 0}},
                    {"dilations", std::vector<int64_t>{1}},
                    {"group", xe[1]}};
  std::vector<Value *> operands{padded, w};
  if (bias)
    operands.push_back(bias);
  bool silu = activation != "none";
  ONNX_ASSIGN(y, im.emit(OpKind::Conv, operands, conv,
                         silu ? "" : ctx.outputName(0)));
  Value *out = y;
  if (silu) {
    ONNX_ASSIGN(yf, castTo(im, y, DType::F32));
    ONNX_ASSIGN(s, im.emit(OpKind::Sigmoid, {yf}));
    ONNX_ASSIGN(m, im.emit(OpKind::Mul, {yf, s}));
    ONNX_ASSIGN(o, castTo(im, m, dt, ctx.outputName(0)));
    out = o;
  }
  MLC_RETURN_IF_ERROR(setOutput(ctx, 0, out));
  if (ctx.outputs.size() < 2)
    return Status::success();
  int64_t total = length + k - 1;
  AttributeMap tail{{"starts", std::vector<int64_t>{0, 0, total - (k - 1)}},
                    {"ends", std::vector<int64_t>{xe[0], xe[1], total}},
                    {"steps", std::vector<int64_t>{1, 1, 1}}};
  return setOutput(ctx, 1,
                   im.emit(OpKind::Slice, {padded}, tail, ctx.outputName(1)));
}

/// SwiGLU-28: Swish_alpha(A) * B, as its function body (no broadcasting).
Status swigluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  if (a->type() != b->type())
    return makeError("A and B must have the same type, got " +
                     typeToString(a->type()) + " and " +
                     typeToString(b->type()));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1.0));
  Importer &im = ctx.importer;
  Value *ax = a;
  if (alpha != 1.0) {
    ONNX_ASSIGN(s, scalarLike(im, a, alpha));
    ONNX_ASSIGN(m, im.emit(OpKind::Mul, {a, s}));
    ax = m;
  }
  ONNX_ASSIGN(sig, im.emit(OpKind::Sigmoid, {ax}));
  ONNX_ASSIGN(gate, im.emit(OpKind::Mul, {a, sig}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Mul, {gate, b}, {}, ctx.outputName(0)));
}

/// log(1 + y) for y >= 0 without losing small y: log(u) * y / (u - 1) with
/// u = 1 + y (Goldberg's trick), and y itself where u rounds to 1.
Expected<Value *> log1p(Importer &im, Value *y) {
  ONNX_ASSIGN(one, scalarLike(im, y, 1.0));
  ONNX_ASSIGN(zero, scalarLike(im, y, 0.0));
  ONNX_ASSIGN(u, im.emit(OpKind::Add, {y, one}));
  ONNX_ASSIGN(d, im.emit(OpKind::Sub, {u, one}));
  ONNX_ASSIGN(l, im.emit(OpKind::Log, {u}));
  ONNX_ASSIGN(q, im.emit(OpKind::Div, {y, d}));
  ONNX_ASSIGN(lq, im.emit(OpKind::Mul, {l, q}));
  ONNX_ASSIGN(tiny, im.emit(OpKind::Equal, {d, zero}));
  // Where u - 1 is inf (y overflowed), log(u) is already right.
  ONNX_ASSIGN(big, im.emit(OpKind::Equal, {u, y}));
  ONNX_ASSIGN(r, im.emit(OpKind::Where, {big, l, lq}));
  return im.emit(OpKind::Where, {tiny, y, r});
}

/// Mish: x * tanh(softplus(x)), softplus as log1p(exp(x)).
Status mishOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(e, im.emit(OpKind::Exp, {x}));
  ONNX_ASSIGN(sp, log1p(im, e));
  ONNX_ASSIGN(t, im.emit(OpKind::Tanh, {sp}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Mul, {x, t}, {}, ctx.outputName(0)));
}

/// PRelu: x < 0 ? slope * x : x (slope broadcasts to x).
Status preluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(slope, ctx.input(1));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(neg, im.emit(OpKind::Less, {x, zero}));
  ONNX_ASSIGN(sx, im.emit(OpKind::Mul, {x, slope}));
  return setOutput(
      ctx, 0, im.emit(OpKind::Where, {neg, sx, x}, {}, ctx.outputName(0)));
}

/// Sinh and Cosh: (exp(x) -/+ exp(-x)) / 2; Tan: sin(x) / cos(x).
Status hyperbolicOp(NodeContext &ctx, OpKind) {
  const std::string &op = ctx.proto.op_type();
  ONNX_ASSIGN(x, ctx.input(0));
  Importer &im = ctx.importer;
  if (!isFloat(x->type().dtype))
    return makeError(op + " needs a floating-point input");
  if (op == "Tan") {
    ONNX_ASSIGN(s, im.emit(OpKind::Sin, {x}));
    ONNX_ASSIGN(c, im.emit(OpKind::Cos, {x}));
    return setOutput(ctx, 0,
                     im.emit(OpKind::Div, {s, c}, {}, ctx.outputName(0)));
  }
  ONNX_ASSIGN(nx, im.emit(OpKind::Neg, {x}));
  ONNX_ASSIGN(ep, im.emit(OpKind::Exp, {x}));
  ONNX_ASSIGN(en, im.emit(OpKind::Exp, {nx}));
  ONNX_ASSIGN(half, scalarLike(im, x, 0.5));
  ONNX_ASSIGN(s, im.emit(op == "Sinh" ? OpKind::Sub : OpKind::Add, {ep, en}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Mul, {s, half}, {}, ctx.outputName(0)));
}

/// Xor on bools: a != b.
Status xorOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  ONNX_ASSIGN(eq, ctx.importer.emit(OpKind::Equal, {a, b}));
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Not, {eq}, {}, ctx.outputName(0)));
}

/// ArgMin as arg_max of an order-reversing map that keeps ties exact: -x for
/// floats, -x - 1 (= ~x, wrapping at the minimum) for signed integers and
/// MAX - x for unsigned ones.
Status argMinOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(axis, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(keepdims, ctx.intAttr("keepdims", 1));
  ONNX_ASSIGN(last, ctx.intAttr("select_last_index", 0));
  ONNX_ASSIGN(a, normalizeAxis(axis, x->type().rank()));
  Importer &im = ctx.importer;
  DType dt = x->type().dtype;
  Value *flipped = nullptr;
  if (isFloat(dt)) {
    ONNX_ASSIGN(n, im.emit(OpKind::Neg, {x}));
    flipped = n;
  } else if (isSignedInteger(dt)) {
    ONNX_ASSIGN(n, im.emit(OpKind::Neg, {x}));
    ONNX_ASSIGN(one, scalarLike(im, x, 1.0));
    ONNX_ASSIGN(f, im.emit(OpKind::Sub, {n, one}));
    flipped = f;
  } else if (isInteger(dt)) {
    std::vector<uint8_t> bytes(static_cast<size_t>(dtypeSize(dt)), 0xFF);
    ONNX_ASSIGN(data, makeTensorData(TensorType{dt, {}}, std::move(bytes)));
    ONNX_ASSIGN(max, im.emitConstant(std::move(data)));
    ONNX_ASSIGN(f, im.emit(OpKind::Sub, {max, x}));
    flipped = f;
  } else {
    return makeError("input must be a number, got " + typeToString(x->type()));
  }
  AttributeMap attrs{{"axis", a},
                     {"keepdims", keepdims ? int64_t(1) : int64_t(0)},
                     {"select_last_index", last ? int64_t(1) : int64_t(0)}};
  return setOutput(
      ctx, 0, im.emit(OpKind::ArgMax, {flipped}, attrs, ctx.outputName(0)));
}

/// Hardmax: 1 where arg_max (the first maximum) along axis is, else 0.
Status hardmaxOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", -1));
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, rank));
  ONNX_ASSIGN(ext, staticShape(x, "Hardmax"));
  Importer &im = ctx.importer;
  AttributeMap attrs{{"axis", axis},
                     {"keepdims", int64_t(1)},
                     {"select_last_index", int64_t(0)}};
  ONNX_ASSIGN(am, im.emit(OpKind::ArgMax, {x}, attrs));
  ONNX_ASSIGN(r, axisRange(im, ext[axis], rank, axis));
  ONNX_ASSIGN(eq, im.emit(OpKind::Equal, {am, r}));
  return setOutput(ctx, 0,
                   castTo(im, eq, x->type().dtype, ctx.outputName(0)));
}

/// Trilu: x where the [N, M] mask of kept positions holds, else 0. With a
/// constant k the mask is a constant; otherwise it compares a constant
/// [N, M] matrix of j - i with k at run time.
Status triluOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(upper, ctx.intAttr("upper", 1));
  int64_t rank = x->type().rank();
  if (rank < 2)
    return makeError("input must have rank >= 2, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, "Trilu"));
  int64_t n = ext[rank - 2], m = ext[rank - 1];
  Importer &im = ctx.importer;
  Value *kv = ctx.optionalInput(1);
  Value *maskV = nullptr;
  if (kv && !im.requireInts(kv, "k")) {
    // k is computed at run time.
    if (kv->type().dtype != DType::I64 || !isStatic(kv->type().shape))
      return makeError("k must be an i64 scalar, got " +
                       typeToString(kv->type()));
    ONNX_ASSIGN(count, elementCount(kv->type().shape));
    if (count != 1)
      return makeError("k must have one element, got " +
                       typeToString(kv->type()));
    ONNX_ASSIGN(k0, im.emitReshape(kv, {}));
    std::vector<int64_t> diff(static_cast<size_t>(n * m));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j)
        diff[i * m + j] = j - i;
    ONNX_ASSIGN(dv, im.emitInts(diff));
    ONNX_ASSIGN(d, im.emitReshape(dv, {n, m}));
    // upper: j - i >= k, i.e. not (j - i < k); lower: not (j - i > k).
    ONNX_ASSIGN(cmp, im.emit(upper ? OpKind::Less : OpKind::Greater, {d, k0}));
    ONNX_ASSIGN(mask, im.emit(OpKind::Not, {cmp}));
    maskV = mask;
  } else {
    int64_t k = 0;
    if (kv) {
      ONNX_ASSIGN(list, im.requireInts(kv, "k"));
      if (list.size() != 1)
        return makeError("k must have one element");
      k = list[0];
    }
    std::vector<uint8_t> mask(static_cast<size_t>(n * m));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        // j - i and k compared without forming j - i - k (k may be huge).
        bool keep = upper ? j - i >= k : j - i <= k;
        mask[i * m + j] = keep ? 1 : 0;
      }
    ONNX_ASSIGN(data,
                makeTensorData(TensorType{DType::Bool, makeShape({n, m})},
                               std::move(mask)));
    ONNX_ASSIGN(c, im.emitConstant(std::move(data)));
    maskV = c;
  }
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Where, {maskV, x, zero}, {},
                           ctx.outputName(0)));
}

/// EyeLike: a constant with ones on diagonal k.
Status eyeLikeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  if (x->type().rank() != 2)
    return makeError("input must be 2-D, got " + typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, "EyeLike"));
  ONNX_ASSIGN(k, ctx.intAttr("k", 0));
  DType dt = x->type().dtype;
  if (ctx.hasAttr("dtype")) {
    ONNX_ASSIGN(to, ctx.intAttr("dtype", 0));
    if (to < INT32_MIN || to > INT32_MAX)
      return makeError("attribute 'dtype' is not an ONNX element type");
    ONNX_ASSIGN(d, convertDType(static_cast<int32_t>(to)));
    dt = d;
  }
  ONNX_ASSIGN(oneData, makeFilledTensor(TensorType{dt, {}}, 1.0));
  size_t elem = static_cast<size_t>(dtypeSize(dt));
  int64_t n = ext[0], m = ext[1];
  std::vector<uint8_t> bytes(static_cast<size_t>(n * m) * elem, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t j = i + k;
    if (k > m || k < -n || j < 0 || j >= m)
      continue;
    std::memcpy(bytes.data() + static_cast<size_t>(i * m + j) * elem,
                oneData.bytes->data(), elem);
  }
  ONNX_ASSIGN(data,
              makeTensorData(TensorType{dt, makeShape(ext)}, std::move(bytes)));
  return emitTensorOutput(ctx, std::move(data));
}

/// Tile: reshape to [1, d0, 1, d1, ...], expand to [r0, d0, r1, d1, ...],
/// reshape to [r0 * d0, r1 * d1, ...].
Status tileOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(rIn, ctx.input(1));
  if (isRunTimeInts(rIn) || ctx.importer.dimValue(rIn))
    return tileFromSymbols(ctx, x, rIn);
  ONNX_ASSIGN(repeats, ctx.importer.requireInts(rIn, "repeats"));
  ONNX_ASSIGN(ext, staticShape(x, "Tile"));
  if (repeats.size() != ext.size())
    return makeError("repeats " + joinInts(repeats) + " needs one value per "
                     "dim of " + typeToString(x->type()));
  std::vector<int64_t> split, expanded, out;
  for (size_t i = 0; i < ext.size(); ++i) {
    if (repeats[i] < 0)
      return makeError("repeats " + joinInts(repeats) + " has a negative value");
    split.insert(split.end(), {1, ext[i]});
    expanded.insert(expanded.end(), {repeats[i], ext[i]});
    ONNX_ASSIGN(m, checkedMul(repeats[i], ext[i]));
    out.push_back(m);
  }
  Importer &im = ctx.importer;
  ONNX_ASSIGN(r, im.emitReshape(x, split));
  AttributeMap attrs{{"shape", expanded}};
  ONNX_ASSIGN(e, im.emit(OpKind::Expand, {r}, attrs));
  return setOutput(ctx, 0, im.emitReshape(e, out, ctx.outputName(0)));
}

/// DepthToSpace and SpaceToDepth: reshape, transpose, reshape.
Status depthSpaceOp(NodeContext &ctx, OpKind) {
  const std::string &op = ctx.proto.op_type();
  ONNX_ASSIGN(x, ctx.input(0));
  if (!ctx.hasAttr("blocksize"))
    return makeError("missing required attribute 'blocksize'");
  ONNX_ASSIGN(b, ctx.intAttr("blocksize", 0));
  if (x->type().rank() != 4)
    return makeError("input must be 4-D, got " + typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, op));
  if (b < 1)
    return makeError("blocksize must be positive");
  int64_t n = ext[0], c = ext[1], h = ext[2], w = ext[3];
  // SpaceToDepth has a mode since version 28; the default is DCR for both.
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", "DCR"));
  if (mode != "DCR" && mode != "CRD")
    return makeError("mode \"" + mode + "\" must be \"DCR\" or \"CRD\"");
  std::vector<int64_t> split, perm, out;
  if (op == "DepthToSpace") {
    if (c % (b * b) != 0)
      return makeError("channels " + std::to_string(c) +
                       " are not a multiple of blocksize^2");
    int64_t cc = c / (b * b);
    if (mode == "DCR") {
      split = {n, b, b, cc, h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else {
      split = {n, cc, b, b, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    }
    out = {n, cc, h * b, w * b};
  } else {
    if (h % b != 0 || w % b != 0)
      return makeError("spatial dims are not multiples of blocksize");
    split = {n, c, h / b, b, w / b, b};
    perm = mode == "DCR" ? std::vector<int64_t>{0, 3, 5, 1, 2, 4}
                         : std::vector<int64_t>{0, 1, 3, 5, 2, 4};
    out = {n, c * b * b, h / b, w / b};
  }
  Importer &im = ctx.importer;
  ONNX_ASSIGN(r, im.emitReshape(x, split));
  AttributeMap attrs{{"perm", perm}};
  ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {r}, attrs));
  return setOutput(ctx, 0, im.emitReshape(t, out, ctx.outputName(0)));
}

/// OneHot: where(indices (negative ones wrapped) == range, on, off).
Status oneHotOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(indices, ctx.input(0));
  ONNX_ASSIGN(depthIn, ctx.input(1));
  ONNX_ASSIGN(values, ctx.input(2));
  Importer &im = ctx.importer;
  // The depth: known at import time, or read at run time from a graph
  // input (a value symbol; the data then uses the input itself).
  Dim depthDim;
  Value *depthTensor = nullptr;
  if (isRunTimeScalar(depthIn)) {
    ONNX_ASSIGN(symbol, im.graph().defineValueSymbol(depthIn, 0));
    ONNX_ASSIGN(atLeastOne, im.graph().defineSymbol(
                                SymbolOp::Lt, {int64_t{0}, SymbolArg(symbol)}));
    MLC_RETURN_IF_ERROR(im.graph().require(
        atLeastOne, "node '" + im.nodeName + "' (OneHot): depth must be >= 1"));
    depthDim = Dim::symbol(symbol);
    ONNX_ASSIGN(di, castTo(im, depthIn, DType::I64));
    ONNX_ASSIGN(ds, im.emitReshape(di, {}));
    depthTensor = ds;
  } else {
    ONNX_ASSIGN(depthValue, scalarInput(ctx, depthIn, "depth"));
    if (!(depthValue >= 1 && depthValue <= 1e9))
      return makeError("depth must be in [1, 1e9]");
    depthDim = Dim(static_cast<int64_t>(depthValue));
  }
  if (values->type().rank() != 1 || !values->type().shape[0].isStatic() ||
      values->type().shape[0].value() != 2)
    return makeError("values must have shape [2], got " +
                     typeToString(values->type()));
  ONNX_ASSIGN(ext, staticShape(indices, "OneHot"));
  int64_t outRank = static_cast<int64_t>(ext.size()) + 1;
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", -1));
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, outRank));
  ONNX_ASSIGN(idx, castTo(im, indices, DType::I64));
  ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
  Value *d = depthTensor;
  if (!d) {
    ONNX_ASSIGN(c, im.emitScalar(DType::I64,
                                 static_cast<double>(depthDim.value())));
    d = c;
  }
  ONNX_ASSIGN(neg, im.emit(OpKind::Less, {idx, zero}));
  ONNX_ASSIGN(wrapped, im.emit(OpKind::Add, {idx, d}));
  ONNX_ASSIGN(fixed, im.emit(OpKind::Where, {neg, wrapped, idx}));
  std::vector<int64_t> unsq = ext;
  unsq.insert(unsq.begin() + axis, 1);
  ONNX_ASSIGN(u, im.emitReshape(fixed, unsq));
  Value *r = nullptr;
  if (depthDim.isStatic()) {
    ONNX_ASSIGN(c, axisRange(im, depthDim.value(), outRank, axis));
    r = c;
  } else {
    Shape shape(static_cast<size_t>(outRank), Dim(1));
    shape[static_cast<size_t>(axis)] = depthDim;
    ONNX_ASSIGN(c, im.emit(OpKind::Iota, {},
                           {{"shape", dimsAttribute(shape)}, {"axis", axis}}));
    r = c;
  }
  ONNX_ASSIGN(hot, im.emit(OpKind::Equal, {u, r}));
  auto pick = [&](int64_t i) {
    AttributeMap attrs{{"starts", std::vector<int64_t>{i}},
                       {"ends", std::vector<int64_t>{i + 1}},
                       {"steps", std::vector<int64_t>{1}}};
    return im.emit(OpKind::Slice, {values}, attrs);
  };
  ONNX_ASSIGN(off, pick(0));
  ONNX_ASSIGN(on, pick(1));
  return setOutput(
      ctx, 0, im.emit(OpKind::Where, {hot, on, off}, {}, ctx.outputName(0)));
}

/// `x` cast to the stash dtype of attribute stash_type (default f32) when it
/// is a wider float than x's: the normalizations compute in it.
Expected<DType> stashType(NodeContext &ctx, DType dt) {
  ONNX_ASSIGN(stash, ctx.intAttr("stash_type", 1));
  if (stash < INT32_MIN || stash > INT32_MAX)
    return makeError("attribute 'stash_type' is not an ONNX element type");
  ONNX_ASSIGN(st, convertDType(static_cast<int32_t>(stash)));
  if (!isFloat(st))
    return makeError("attribute 'stash_type' must be a float type");
  if (dtypeSize(st) <= dtypeSize(dt))
    return dt;
  return st;
}

/// (x - mean) / sqrt(var + eps) over `axes` (kept), var biased.
Expected<Value *> normalizeOver(Importer &im, Value *x,
                                const std::vector<int64_t> &axes, double eps) {
  AttributeMap attrs{{"axes", axes}, {"keepdims", int64_t(1)}};
  ONNX_ASSIGN(mean, im.emit(OpKind::ReduceMean, {x}, attrs));
  ONNX_ASSIGN(d, im.emit(OpKind::Sub, {x, mean}));
  ONNX_ASSIGN(d2, im.emit(OpKind::Mul, {d, d}));
  ONNX_ASSIGN(var, im.emit(OpKind::ReduceMean, {d2}, attrs));
  ONNX_ASSIGN(e, scalarLike(im, x, eps));
  ONNX_ASSIGN(ve, im.emit(OpKind::Add, {var, e}));
  ONNX_ASSIGN(s, im.emit(OpKind::Sqrt, {ve}));
  return im.emit(OpKind::Div, {d, s});
}

/// A per-channel [C] tensor reshaped to [C, 1, ...] for x of `rank`.
Expected<Value *> perChannel(Importer &im, Value *v, int64_t rank,
                             int64_t channels) {
  std::vector<int64_t> ext(rank - 1, 1);
  ext[0] = channels;
  return im.emitReshape(v, ext);
}

Status instanceNormOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(scale, ctx.input(1));
  ONNX_ASSIGN(bias, ctx.input(2));
  ONNX_ASSIGN(eps, ctx.floatAttr("epsilon", 1e-5));
  int64_t rank = x->type().rank();
  if (rank < 3)
    return makeError("input must have rank >= 3, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, "InstanceNormalization"));
  std::vector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  Importer &im = ctx.importer;
  ONNX_ASSIGN(norm, normalizeOver(im, x, axes, eps));
  ONNX_ASSIGN(s, perChannel(im, scale, rank, ext[1]));
  ONNX_ASSIGN(b, perChannel(im, bias, rank, ext[1]));
  ONNX_ASSIGN(ys, im.emit(OpKind::Mul, {norm, s}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Add, {ys, b}, {}, ctx.outputName(0)));
}

/// GroupNormalization-21: normalize [N, G, C/G * spatial] over its last
/// dim, then per-channel scale and bias.
Status groupNormOp(NodeContext &ctx, OpKind) {
  if (opVersion("GroupNormalization", ctx.importer.opset()) < 21)
    return makeError("GroupNormalization-18 (per-group scale and bias) is "
                     "not supported (opset 21 or newer)");
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(scale, ctx.input(1));
  ONNX_ASSIGN(bias, ctx.input(2));
  ONNX_ASSIGN(eps, ctx.floatAttr("epsilon", 1e-5));
  if (!ctx.hasAttr("num_groups"))
    return makeError("missing required attribute 'num_groups'");
  ONNX_ASSIGN(groups, ctx.intAttr("num_groups", 1));
  int64_t rank = x->type().rank();
  if (rank < 3)
    return makeError("input must have rank >= 3, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, "GroupNormalization"));
  int64_t c = ext[1];
  if (groups < 1 || c % groups != 0)
    return makeError("num_groups " + std::to_string(groups) +
                     " does not divide the channels " + std::to_string(c));
  ONNX_ASSIGN(total, elementCount(makeShape(ext)));
  int64_t per = ext[0] == 0 || total == 0 ? 0 : total / (ext[0] * groups);
  Importer &im = ctx.importer;
  DType dt = x->type().dtype;
  ONNX_ASSIGN(st, stashType(ctx, dt));
  ONNX_ASSIGN(xs, castTo(im, x, st));
  ONNX_ASSIGN(g, im.emitReshape(xs, {ext[0], groups, per}));
  ONNX_ASSIGN(norm, normalizeOver(im, g, {2}, eps));
  ONNX_ASSIGN(back, im.emitReshape(norm, ext));
  ONNX_ASSIGN(nd, castTo(im, back, dt));
  ONNX_ASSIGN(s, perChannel(im, scale, rank, c));
  ONNX_ASSIGN(b, perChannel(im, bias, rank, c));
  ONNX_ASSIGN(ys, im.emit(OpKind::Mul, {nd, s}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Add, {ys, b}, {}, ctx.outputName(0)));
}

/// MeanVarianceNormalization: (x - mean) / (sqrt(var) + 1e-9) over axes.
Status meanVarianceNormOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  std::vector<int64_t> axes{0, 2, 3};
  if (ctx.hasAttr("axes")) {
    ONNX_ASSIGN(list, ctx.intsAttr("axes"));
    axes = list;
  }
  ONNX_ASSIGN(norm, normalizeAxes(axes, x->type().rank()));
  Importer &im = ctx.importer;
  AttributeMap attrs{{"axes", norm}, {"keepdims", int64_t(1)}};
  ONNX_ASSIGN(mean, im.emit(OpKind::ReduceMean, {x}, attrs));
  ONNX_ASSIGN(d, im.emit(OpKind::Sub, {x, mean}));
  ONNX_ASSIGN(d2, im.emit(OpKind::Mul, {d, d}));
  ONNX_ASSIGN(var, im.emit(OpKind::ReduceMean, {d2}, attrs));
  ONNX_ASSIGN(sd, im.emit(OpKind::Sqrt, {var}));
  ONNX_ASSIGN(e, scalarLike(im, x, 1e-9));
  ONNX_ASSIGN(den, im.emit(OpKind::Add, {sd, e}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Div, {d, den}, {}, ctx.outputName(0)));
}

/// LpNormalization: x / the p-norm (p = 1 or 2) along axis.
Status lpNormOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", -1));
  ONNX_ASSIGN(p, ctx.intAttr("p", 2));
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, x->type().rank()));
  if (p != 1 && p != 2)
    return makeError("p must be 1 or 2, got " + std::to_string(p));
  Importer &im = ctx.importer;
  AttributeMap attrs{{"axes", std::vector<int64_t>{axis}},
                     {"keepdims", int64_t(1)}};
  Value *norm = nullptr;
  if (p == 1) {
    ONNX_ASSIGN(a, im.emit(OpKind::Abs, {x}));
    ONNX_ASSIGN(s, im.emit(OpKind::ReduceSum, {a}, attrs));
    norm = s;
  } else {
    ONNX_ASSIGN(sq, im.emit(OpKind::Mul, {x, x}));
    ONNX_ASSIGN(s, im.emit(OpKind::ReduceSum, {sq}, attrs));
    ONNX_ASSIGN(r, im.emit(OpKind::Sqrt, {s}));
    norm = r;
  }
  // A zero norm gives 0, not 0/0 (as onnx's reference).
  ONNX_ASSIGN(q, im.emit(OpKind::Div, {x, norm}));
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(isZero, im.emit(OpKind::Equal, {norm, zero}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Where, {isZero, zero, q}, {},
                           ctx.outputName(0)));
}

/// RMSNormalization: x / sqrt(mean(x^2 over axis..rank-1) + eps) * scale,
/// computed in stash_type.
Status rmsNormOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(scale, ctx.input(1));
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", -1));
  ONNX_ASSIGN(eps, ctx.floatAttr("epsilon", 1e-5));
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, rank));
  std::vector<int64_t> axes;
  for (int64_t i = axis; i < rank; ++i)
    axes.push_back(i);
  Importer &im = ctx.importer;
  DType dt = x->type().dtype;
  ONNX_ASSIGN(st, stashType(ctx, dt));
  ONNX_ASSIGN(xs, castTo(im, x, st));
  AttributeMap attrs{{"axes", axes}, {"keepdims", int64_t(1)}};
  ONNX_ASSIGN(x2, im.emit(OpKind::Mul, {xs, xs}));
  ONNX_ASSIGN(ms, im.emit(OpKind::ReduceMean, {x2}, attrs));
  ONNX_ASSIGN(e, scalarLike(im, xs, eps));
  ONNX_ASSIGN(mse, im.emit(OpKind::Add, {ms, e}));
  ONNX_ASSIGN(rms, im.emit(OpKind::Sqrt, {mse}));
  ONNX_ASSIGN(n, im.emit(OpKind::Div, {xs, rms}));
  ONNX_ASSIGN(nd, castTo(im, n, dt));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Mul, {nd, scale}, {}, ctx.outputName(0)));
}

/// NegativeLogLikelihoodLoss on input [N, C, d...] and target [N, d...]:
/// -input[n, target, d...] * weight[target] (gather_elements and gather),
/// 0 where target is ignore_index.
Expected<Value *> nllLoss(NodeContext &ctx, Value *input, Value *target,
                          Value *weight, const std::string &name) {
  ONNX_ASSIGN(reduction, ctx.stringAttr("reduction", "mean"));
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return makeError("reduction \"" + reduction +
                     "\" must be \"none\", \"sum\" or \"mean\"");
  int64_t rank = input->type().rank();
  if (rank < 2)
    return makeError("input must have rank >= 2, got " +
                     typeToString(input->type()));
  if (target->type().rank() != rank - 1 ||
      (target->type().dtype != DType::I32 &&
       target->type().dtype != DType::I64))
    return makeError("target must be an i32 or i64 tensor of rank " +
                     std::to_string(rank - 1) + ", got " +
                     typeToString(target->type()));
  ONNX_ASSIGN(text, staticShape(target, "target"));
  Importer &im = ctx.importer;
  std::vector<int64_t> unsq = text;
  unsq.insert(unsq.begin() + 1, 1);
  ONNX_ASSIGN(tu, im.emitReshape(target, unsq));
  AttributeMap overC{{"axis", int64_t(1)}};
  ONNX_ASSIGN(g, im.emit(OpKind::GatherElements, {input, tu}, overC));
  ONNX_ASSIGN(picked, im.emitReshape(g, text));
  ONNX_ASSIGN(zero, scalarLike(im, input, 0.0));
  // The weight of each target: weight[target], 0 where ignored. An ignored
  // target may be out of range: gather clamps it, and where() drops what it
  // read (never multiplied, so a -inf there cannot give NaN).
  Value *w = nullptr;
  if (weight) {
    AttributeMap axis0{{"axis", int64_t(0)}};
    ONNX_ASSIGN(ws, im.emit(OpKind::Gather, {weight, target}, axis0));
    w = ws;
  }
  Value *loss = picked;
  if (w) {
    ONNX_ASSIGN(pw, im.emit(OpKind::Mul, {picked, w}));
    loss = pw;
  }
  if (ctx.hasAttr("ignore_index")) {
    ONNX_ASSIGN(ii, ctx.intAttr("ignore_index", 0));
    ONNX_ASSIGN(iiV, im.emitScalar(target->type().dtype,
                                   static_cast<double>(ii)));
    ONNX_ASSIGN(ignored, im.emit(OpKind::Equal, {target, iiV}));
    if (!w) {
      ONNX_ASSIGN(one, scalarLike(im, input, 1.0));
      ONNX_ASSIGN(ones, im.emit(OpKind::Where, {ignored, zero, one}));
      w = ones;
    } else {
      ONNX_ASSIGN(wz, im.emit(OpKind::Where, {ignored, zero, w}));
      w = wz;
    }
    ONNX_ASSIGN(lz, im.emit(OpKind::Where, {ignored, zero, loss}));
    loss = lz;
  }
  if (reduction == "none")
    return im.emit(OpKind::Neg, {loss}, {}, name);
  ONNX_ASSIGN(neg, im.emit(OpKind::Neg, {loss}));
  std::vector<int64_t> all;
  for (int64_t i = 0; i < rank - 1; ++i)
    all.push_back(i);
  AttributeMap overAll{{"axes", all}, {"keepdims", int64_t(0)}};
  if (reduction == "sum")
    return im.emit(OpKind::ReduceSum, {neg}, overAll, name);
  if (!w)
    return im.emit(OpKind::ReduceMean, {neg}, overAll, name);
  ONNX_ASSIGN(total, im.emit(OpKind::ReduceSum, {neg}, overAll));
  ONNX_ASSIGN(wsum, im.emit(OpKind::ReduceSum, {w}, overAll));
  return im.emit(OpKind::Div, {total, wsum}, {}, name);
}

Status nllLossOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(input, ctx.input(0));
  ONNX_ASSIGN(target, ctx.input(1));
  return setOutput(ctx, 0,
                   nllLoss(ctx, input, target, ctx.optionalInput(2),
                           ctx.outputName(0)));
}

/// SoftmaxCrossEntropyLoss: the NLL loss of log_softmax(scores) over C.
Status softmaxCrossEntropyOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(scores, ctx.input(0));
  ONNX_ASSIGN(labels, ctx.input(1));
  if (scores->type().rank() < 2)
    return makeError("scores must have rank >= 2, got " +
                     typeToString(scores->type()));
  AttributeMap attrs{{"axis", int64_t(1)}};
  bool wantLogProb = ctx.outputs.size() > 1 && ctx.outputUsed[1];
  ONNX_ASSIGN(logProb,
              ctx.importer.emit(OpKind::LogSoftmax, {scores}, attrs,
                                wantLogProb ? ctx.outputName(1) : ""));
  if (ctx.outputs.size() > 1)
    ctx.outputs[1] = logProb;
  return setOutput(ctx, 0,
                   nllLoss(ctx, logProb, labels, ctx.optionalInput(2),
                           ctx.outputName(0)));
}

/// IsNaN: x != x.
Status isNanOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  if (!isFloat(x->type().dtype))
    return makeError("input must be a float tensor, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(eq, ctx.importer.emit(OpKind::Equal, {x, x}));
  return setOutput(
      ctx, 0, ctx.importer.emit(OpKind::Not, {eq}, {}, ctx.outputName(0)));
}

/// IsInf: x == +inf and/or x == -inf, as detect_positive/negative ask.
Status isInfOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(pos, ctx.intAttr("detect_positive", 1));
  ONNX_ASSIGN(neg, ctx.intAttr("detect_negative", 1));
  if (!isFloat(x->type().dtype))
    return makeError("input must be a float tensor, got " +
                     typeToString(x->type()));
  Importer &im = ctx.importer;
  const std::string out = ctx.outputName(0);
  if (!pos && !neg) {
    // Neither sign: all false, spelled as x == x && x != x.
    ONNX_ASSIGN(eq, im.emit(OpKind::Equal, {x, x}));
    ONNX_ASSIGN(ne, im.emit(OpKind::Not, {eq}));
    return setOutput(ctx, 0, im.emit(OpKind::And, {eq, ne}, {}, out));
  }
  auto equals = [&](double inf, const std::string &name) -> Expected<Value *> {
    ONNX_ASSIGN(c, scalarLike(im, x, inf));
    return im.emit(OpKind::Equal, {x, c}, {}, name);
  };
  if (!neg || !pos)
    return setOutput(ctx, 0, equals(pos ? kInf : -kInf, out));
  ONNX_ASSIGN(p, equals(kInf, ""));
  ONNX_ASSIGN(n, equals(-kInf, ""));
  return setOutput(ctx, 0, im.emit(OpKind::Or, {p, n}, {}, out));
}

/// Sign: 1 for x > 0, -1 for x < 0, x itself otherwise (0, -0, NaN).
Status signOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  Importer &im = ctx.importer;
  DType dt = x->type().dtype;
  if (dt == DType::Bool)
    return makeError("input must be a number, got " + typeToString(x->type()));
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(one, scalarLike(im, x, 1.0));
  ONNX_ASSIGN(gt, im.emit(OpKind::Greater, {x, zero}));
  Value *rest = x;
  if (isFloat(dt) || isSignedInteger(dt)) {
    ONNX_ASSIGN(minusOne, scalarLike(im, x, -1.0));
    ONNX_ASSIGN(lt, im.emit(OpKind::Less, {x, zero}));
    ONNX_ASSIGN(r, im.emit(OpKind::Where, {lt, minusOne, x}));
    rest = r;
  }
  return setOutput(
      ctx, 0, im.emit(OpKind::Where, {gt, one, rest}, {}, ctx.outputName(0)));
}

/// Mod: fmod = 1 is C's fmod (the sign of the dividend), fmod = 0 numpy's
/// mod (the sign of the divisor; floats too since Mod-28).
Status modOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  ONNX_ASSIGN(fmod, ctx.intAttr("fmod", 0));
  if (fmod != 0 && fmod != 1)
    return makeError("attribute 'fmod' must be 0 or 1, got " +
                     std::to_string(fmod));
  return setOutput(ctx, 0,
                   ctx.importer.emit(fmod ? OpKind::Fmod : OpKind::Mod, {a, b},
                                     {}, ctx.outputName(0)));
}

/// BitShift (signed integers since BitShift-28): the IR's shl / shr, which
/// define shift amounts outside [0, bit width) as ONNX does.
Status bitShiftOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  if (!ctx.hasAttr("direction"))
    return makeError("missing required attribute 'direction'");
  ONNX_ASSIGN(direction, ctx.stringAttr("direction", ""));
  if (direction != "LEFT" && direction != "RIGHT")
    return makeError("attribute 'direction' must be \"LEFT\" or \"RIGHT\", "
                     "got \"" +
                     direction + "\"");
  return setOutput(ctx, 0,
                   ctx.importer.emit(direction == "LEFT" ? OpKind::Shl
                                                         : OpKind::Shr,
                                     {a, b}, {}, ctx.outputName(0)));
}

/// BitwiseAnd/Or/Xor/Not: the IR's and/or/xor/not on integers.
Status bitwiseOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(a, ctx.input(0));
  if (!isInteger(a->type().dtype))
    return makeError("input must be an integer tensor, got " +
                     typeToString(a->type()));
  if (kind == OpKind::Not)
    return unaryOp(ctx, kind);
  return binaryOp(ctx, kind);
}

/// RotaryEmbedding: as onnx's reference, on [B, S, heads, head_size]
/// (transposed from 4-D input, reshaped from 3-D): the first rotary dims
/// split into halves (or even/odd elements when interleaved) x1, x2 become
/// cos * x1 - sin * x2 and sin * x1 + cos * x2.
Status rotaryEmbeddingOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(cosCache, ctx.input(1));
  ONNX_ASSIGN(sinCache, ctx.input(2));
  Value *positions = ctx.optionalInput(3);
  ONNX_ASSIGN(interleaved, ctx.intAttr("interleaved", 0));
  ONNX_ASSIGN(numHeads, ctx.intAttr("num_heads", 0));
  ONNX_ASSIGN(rotaryDim, ctx.intAttr("rotary_embedding_dim", 0));
  ONNX_ASSIGN(ext, staticShape(x, "RotaryEmbedding"));
  Importer &im = ctx.importer;
  int64_t rank = static_cast<int64_t>(ext.size());
  Value *x4 = nullptr;
  std::vector<int64_t> e4;
  AttributeMap swap{{"perm", std::vector<int64_t>{0, 2, 1, 3}}};
  if (rank == 4) {
    ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {x}, swap));
    x4 = t;
    e4 = {ext[0], ext[2], ext[1], ext[3]};
  } else if (rank == 3) {
    if (numHeads < 1 || ext[2] % numHeads != 0)
      return makeError("num_heads " + std::to_string(numHeads) +
                       " must divide the hidden size " +
                       std::to_string(ext[2]));
    e4 = {ext[0], ext[1], numHeads, ext[2] / numHeads};
    ONNX_ASSIGN(r, im.emitReshape(x, e4));
    x4 = r;
  } else {
    return makeError("input must be 3-D or 4-D, got " +
                     typeToString(x->type()));
  }
  int64_t headSize = e4[3];
  int64_t rd = rotaryDim == 0 ? headSize : rotaryDim;
  if (rd < 2 || rd > headSize || rd % 2 != 0)
    return makeError("rotary_embedding_dim " + std::to_string(rd) +
                     " must be even and in [2, head size " +
                     std::to_string(headSize) + "]");
  int64_t half = rd / 2;
  // The caches, gathered by position, as [B, S, 1, half].
  auto cache = [&](Value *c) -> Expected<Value *> {
    Value *v = c;
    if (positions) {
      AttributeMap axis0{{"axis", int64_t(0)}};
      ONNX_ASSIGN(g, im.emit(OpKind::Gather, {c, positions}, axis0));
      v = g;
    }
    ONNX_ASSIGN(ce, staticShape(v, "a RotaryEmbedding cache"));
    if (ce.size() != 3 || ce[0] != e4[0] || ce[1] != e4[1] || ce[2] != half)
      return makeError("cache " + typeToString(v->type()) +
                       " (gathered by position_ids) must be [" +
                       std::to_string(e4[0]) + ", " + std::to_string(e4[1]) +
                       ", " + std::to_string(half) + "]");
    return im.emitReshape(v, {e4[0], e4[1], 1, half});
  };
  ONNX_ASSIGN(cosV, cache(cosCache));
  ONNX_ASSIGN(sinV, cache(sinCache));
  auto slice = [&](int64_t start, int64_t end, int64_t step) {
    AttributeMap attrs{{"starts", std::vector<int64_t>{0, 0, 0, start}},
                       {"ends", std::vector<int64_t>{e4[0], e4[1], e4[2], end}},
                       {"steps", std::vector<int64_t>{1, 1, 1, step}}};
    return im.emit(OpKind::Slice, {x4}, attrs);
  };
  ONNX_ASSIGN(x1, interleaved ? slice(0, rd, 2) : slice(0, half, 1));
  ONNX_ASSIGN(x2, interleaved ? slice(1, rd, 2) : slice(half, rd, 1));
  ONNX_ASSIGN(c1, im.emit(OpKind::Mul, {cosV, x1}));
  ONNX_ASSIGN(s2, im.emit(OpKind::Mul, {sinV, x2}));
  ONNX_ASSIGN(real, im.emit(OpKind::Sub, {c1, s2}));
  ONNX_ASSIGN(s1, im.emit(OpKind::Mul, {sinV, x1}));
  ONNX_ASSIGN(c2, im.emit(OpKind::Mul, {cosV, x2}));
  ONNX_ASSIGN(imag, im.emit(OpKind::Add, {s1, c2}));
  Value *rotated = nullptr;
  if (interleaved) {
    std::vector<int64_t> e5{e4[0], e4[1], e4[2], half, 1};
    ONNX_ASSIGN(r5, im.emitReshape(real, e5));
    ONNX_ASSIGN(i5, im.emitReshape(imag, e5));
    AttributeMap last{{"axis", int64_t(4)}};
    ONNX_ASSIGN(pairs, im.emit(OpKind::Concat, {r5, i5}, last));
    ONNX_ASSIGN(r, im.emitReshape(pairs, {e4[0], e4[1], e4[2], rd}));
    rotated = r;
  } else {
    AttributeMap last{{"axis", int64_t(3)}};
    ONNX_ASSIGN(r, im.emit(OpKind::Concat, {real, imag}, last));
    rotated = r;
  }
  if (rd < headSize) {
    ONNX_ASSIGN(rest, slice(rd, headSize, 1));
    AttributeMap last{{"axis", int64_t(3)}};
    ONNX_ASSIGN(r, im.emit(OpKind::Concat, {rotated, rest}, last));
    rotated = r;
  }
  if (rank == 3)
    return setOutput(ctx, 0, im.emitReshape(rotated, ext, ctx.outputName(0)));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Transpose, {rotated}, swap,
                           ctx.outputName(0)));
}

/// Attention (23..25) as onnx's reference computes it: heads split from
/// 3-D inputs, past key/value concatenated, K/V heads repeated for grouped
/// queries, sqrt(scale) on Q and K, softcap, the additive bias from
/// attn_mask and is_causal, a softmax that gives 0 on all -inf rows, rows
/// whose bias is all -inf zeroed. With nonpad_kv_seqlen (an external
/// cache), the causal and window frontiers move per batch at run time and
/// keys past each batch's length are masked.
/// LinearAttention-27: the recurrence of onnx's reference, unrolled over
/// the T tokens (static shapes). Per token: the state decays by exp(g_t)
/// (gated rules), v_t becomes beta_t * (v_t - S^T k_t) (delta rules),
/// S += k_t (x) v_t, and o_t = scale * q_t^T S with each KV head's state
/// read by its group of query heads. Accumulates in f32 like the reference.
Status linearAttentionOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(q, ctx.input(0));
  ONNX_ASSIGN(k, ctx.input(1));
  ONNX_ASSIGN(v, ctx.input(2));
  Value *past = ctx.optionalInput(3);
  Value *decay = ctx.optionalInput(4);
  Value *beta = ctx.optionalInput(5);
  ONNX_ASSIGN(rule, ctx.stringAttr("update_rule", "gated_delta"));
  if (rule != "linear" && rule != "gated" && rule != "delta" &&
      rule != "gated_delta")
    return makeError("update_rule '" + rule +
                     "' is not linear, gated, delta or gated_delta");
  bool gating = rule == "gated" || rule == "gated_delta";
  bool delta = rule == "delta" || rule == "gated_delta";
  if (gating != (decay != nullptr))
    return makeError("update_rule '" + rule + "' " +
                     (gating ? "requires" : "forbids") + " the decay input");
  if (delta != (beta != nullptr))
    return makeError("update_rule '" + rule + "' " +
                     (delta ? "requires" : "forbids") + " the beta input");
  ONNX_ASSIGN(hq, ctx.intAttr("q_num_heads", 0));
  ONNX_ASSIGN(hkv, ctx.intAttr("kv_num_heads", 0));
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
    return makeError("q_num_heads (" + std::to_string(hq) +
                     ") must be a positive multiple of kv_num_heads (" +
                     std::to_string(hkv) + ")");
  DType dt = q->type().dtype;
  if (!isFloat(dt))
    return makeError("query must be a float tensor, got " +
                     typeToString(q->type()));
  ONNX_ASSIGN(qe, staticShape(q, "query"));
  ONNX_ASSIGN(ke, staticShape(k, "key"));
  ONNX_ASSIGN(ve, staticShape(v, "value"));
  if (qe.size() != 3 || ke.size() != 3 || ve.size() != 3)
    return makeError("query, key and value must be rank 3 (B, T, H*D)");
  int64_t b = qe[0], t = qe[1];
  if (qe[2] % hq != 0 || ke[2] % hkv != 0 || ve[2] % hkv != 0)
    return makeError("the hidden sizes must divide by the head counts");
  int64_t dk = qe[2] / hq, dv = ve[2] / hkv, group = hq / hkv;
  if (ke[2] / hkv != dk || ke[0] != b || ve[0] != b || ke[1] != t ||
      ve[1] != t)
    return makeError("query, key and value shapes do not match");
  Importer &im = ctx.importer;
  auto f32 = [&](Value *x) -> Expected<Value *> {
    if (x->type().dtype == DType::F32)
      return x;
    return im.emit(OpKind::Cast, {x}, {{"to", DType::F32}});
  };
  AttributeMap swap{{"perm", std::vector<int64_t>{0, 2, 1, 3}}};
  AttributeMap lastTwo{{"perm", std::vector<int64_t>{0, 1, 3, 2}}};
  // (B, T, H*D) -> (B, H, T, D), in f32.
  auto heads = [&](Value *x, int64_t h, int64_t d) -> Expected<Value *> {
    ONNX_ASSIGN(c, f32(x));
    ONNX_ASSIGN(r, im.emitReshape(c, {b, t, h, d}));
    return im.emit(OpKind::Transpose, {r}, swap);
  };
  ONNX_ASSIGN(q4, heads(q, hq, dk));
  ONNX_ASSIGN(k4, heads(k, hkv, dk));
  ONNX_ASSIGN(v4, heads(v, hkv, dv));
  Value *g4 = nullptr, *beta4 = nullptr;
  if (decay) {
    ONNX_ASSIGN(de, staticShape(decay, "decay"));
    if (de.size() != 3 || (de[2] != hkv && de[2] != hkv * dk))
      return makeError("decay must be (B, T, kv_num_heads) or (B, T, "
                       "kv_num_heads * d_k)");
    ONNX_ASSIGN(g, heads(decay, hkv, de[2] / hkv));
    ONNX_ASSIGN(e, im.emit(OpKind::Exp, {g}));
    g4 = e;
  }
  if (beta) {
    ONNX_ASSIGN(be, staticShape(beta, "beta"));
    if (be.size() != 3 || (be[2] != hkv && be[2] != 1))
      return makeError("beta must be (B, T, kv_num_heads) or (B, T, 1)");
    ONNX_ASSIGN(bb, heads(beta, be[2], 1));
    beta4 = bb;
  }
  DType stateType = dt;
  Value *state = nullptr;
  if (past) {
    ONNX_ASSIGN(pe, staticShape(past, "past_state"));
    if (pe != std::vector<int64_t>{b, hkv, dk, dv})
      return makeError("past_state must be (B, kv_num_heads, d_k, d_v) = " +
                       joinInts({b, hkv, dk, dv}));
    stateType = past->type().dtype;
    ONNX_ASSIGN(s0, f32(past));
    state = s0;
  } else {
    ONNX_ASSIGN(zeros, makeFilledTensor(
                           TensorType{DType::F32, makeShape({b, hkv, dk, dv})},
                           0.0));
    ONNX_ASSIGN(s0, im.emitConstant(std::move(zeros)));
    state = s0;
  }
  ONNX_ASSIGN(scaleAttr, ctx.floatAttr("scale", 0.0));
  double scale = scaleAttr == 0.0 ? 1.0 / std::sqrt(static_cast<double>(dk))
                                  : scaleAttr;
  ONNX_ASSIGN(scaleValue, im.emitScalar(DType::F32, scale));
  auto token = [&](Value *x, int64_t i) -> Expected<Value *> {
    const Shape &sh = x->type().shape;
    std::vector<int64_t> ends;
    for (const Dim &d : sh)
      ends.push_back(d.value());
    std::vector<int64_t> starts(sh.size(), 0);
    starts[2] = i;
    ends[2] = i + 1;
    AttributeMap attrs{{"starts", starts},
                       {"ends", ends},
                       {"steps", std::vector<int64_t>(sh.size(), 1)}};
    return im.emit(OpKind::Slice, {x}, attrs);
  };
  std::vector<Value *> outs;
  for (int64_t i = 0; i < t; ++i) {
    ONNX_ASSIGN(qt, token(q4, i)); // (B, Hq, 1, dk)
    ONNX_ASSIGN(kt, token(k4, i)); // (B, Hkv, 1, dk)
    ONNX_ASSIGN(vt, token(v4, i)); // (B, Hkv, 1, dv)
    if (g4) {
      ONNX_ASSIGN(gt, token(g4, i)); // (B, Hkv, 1, dk or 1)
      ONNX_ASSIGN(gc, im.emit(OpKind::Transpose, {gt}, lastTwo));
      ONNX_ASSIGN(decayed, im.emit(OpKind::Mul, {state, gc}));
      state = decayed;
    }
    if (beta4) {
      ONNX_ASSIGN(bt, token(beta4, i)); // (B, Hkv or 1, 1, 1)
      ONNX_ASSIGN(got, im.emit(OpKind::MatMul, {kt, state})); // (B,Hkv,1,dv)
      ONNX_ASSIGN(diff, im.emit(OpKind::Sub, {vt, got}));
      ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {bt, diff}));
      vt = scaled;
    }
    ONNX_ASSIGN(kc, im.emit(OpKind::Transpose, {kt}, lastTwo));
    ONNX_ASSIGN(outer, im.emit(OpKind::MatMul, {kc, vt})); // (B,Hkv,dk,dv)
    ONNX_ASSIGN(next, im.emit(OpKind::Add, {state, outer}));
    state = next;
    Value *read = state;
    if (group > 1) {
      ONNX_ASSIGN(r5, im.emitReshape(state, {b, hkv, 1, dk, dv}));
      AttributeMap rep{{"shape", std::vector<int64_t>{b, hkv, group, dk, dv}}};
      ONNX_ASSIGN(e5, im.emit(OpKind::Expand, {r5}, rep));
      ONNX_ASSIGN(r4, im.emitReshape(e5, {b, hq, dk, dv}));
      read = r4;
    }
    ONNX_ASSIGN(ot, im.emit(OpKind::MatMul, {qt, read})); // (B, Hq, 1, dv)
    ONNX_ASSIGN(os, im.emit(OpKind::Mul, {ot, scaleValue}));
    outs.push_back(os);
  }
  Value *all = outs[0];
  if (outs.size() > 1) {
    ONNX_ASSIGN(c, im.emit(OpKind::Concat, outs, {{"axis", int64_t{2}}}));
    all = c;
  }
  ONNX_ASSIGN(bt, im.emit(OpKind::Transpose, {all}, swap));
  ONNX_ASSIGN(flat, im.emitReshape(bt, {b, t, hq * dv}));
  auto finish = [&](Value *x, DType to, size_t i) -> Status {
    if (to == DType::F32)
      return setOutput(ctx, i, x);
    return setOutput(ctx, i,
                     im.emit(OpKind::Cast, {x}, {{"to", to}}, ctx.outputName(i)));
  };
  MLC_RETURN_IF_ERROR(finish(flat, dt, 0));
  if (ctx.outputs.size() > 1)
    MLC_RETURN_IF_ERROR(finish(state, stateType, 1));
  return Status::success();
}

/// FlexAttention-1 (ai.onnx.preview): scores = (Q s)(K s)^T with s =
/// sqrt(scale), in the softmax precision (f32 for f16 / bf16 inputs unless
/// softmax_precision says otherwise); the optional score_mod and prob_mod
/// subgraphs (one rank-4 input, one output) around the softmax; Y = P V,
/// back in V's type. K and V heads repeat for grouped queries.
Status flexAttentionOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(q, ctx.input(0));
  ONNX_ASSIGN(k, ctx.input(1));
  ONNX_ASSIGN(v, ctx.input(2));
  ONNX_ASSIGN(qe, staticShape(q, "Q"));
  ONNX_ASSIGN(ke, staticShape(k, "K"));
  ONNX_ASSIGN(ve, staticShape(v, "V"));
  if (qe.size() != 4 || ke.size() != 4 || ve.size() != 4)
    return makeError("Q, K and V must be rank 4");
  if (ke[1] != ve[1] || ke[2] != ve[2] || ke[3] != qe[3])
    return makeError("Q, K and V shapes do not match");
  int64_t hq = qe[1], hkv = ke[1];
  if (hkv <= 0 || hq % hkv != 0)
    return makeError("q_num_heads must be a multiple of kv_num_heads");
  DType dt = q->type().dtype;
  if (!isFloat(dt))
    return makeError("Q must be a float tensor, got " + typeToString(q->type()));
  Importer &im = ctx.importer;
  DType compute = dt == DType::F64 ? DType::F64 : DType::F32;
  if (ctx.hasAttr("softmax_precision")) {
    ONNX_ASSIGN(p, ctx.intAttr("softmax_precision", 1));
    switch (p) {
    case onnx::TensorProto::FLOAT:
      compute = DType::F32;
      break;
    case onnx::TensorProto::FLOAT16:
      compute = DType::F16;
      break;
    case onnx::TensorProto::BFLOAT16:
      compute = DType::BF16;
      break;
    case onnx::TensorProto::DOUBLE:
      compute = DType::F64;
      break;
    default:
      return makeError("softmax_precision " + std::to_string(p) +
                       " is not float, float16, bfloat16 or double");
    }
  }
  auto repeatHeads = [&](Value *x, const std::vector<int64_t> &e)
      -> Expected<Value *> {
    if (hq == hkv)
      return x;
    int64_t g = hq / hkv;
    ONNX_ASSIGN(r5, im.emitReshape(x, {e[0], e[1], 1, e[2], e[3]}));
    AttributeMap rep{{"shape", std::vector<int64_t>{e[0], e[1], g, e[2], e[3]}}};
    ONNX_ASSIGN(x5, im.emit(OpKind::Expand, {r5}, rep));
    return im.emitReshape(x5, {e[0], hq, e[2], e[3]});
  };
  ONNX_ASSIGN(ka, repeatHeads(k, ke));
  ONNX_ASSIGN(va, repeatHeads(v, ve));
  ONNX_ASSIGN(scaleAttr, ctx.floatAttr("scale", 0.0));
  double scale = ctx.hasAttr("scale")
                     ? scaleAttr
                     : 1.0 / std::sqrt(static_cast<double>(qe[3]));
  ONNX_ASSIGN(root, im.emitScalar(
                        dt, std::sqrt(static_cast<double>(static_cast<float>(
                                scale)))));
  ONNX_ASSIGN(qs, im.emit(OpKind::Mul, {q, root}));
  ONNX_ASSIGN(ks, im.emit(OpKind::Mul, {ka, root}));
  AttributeMap lastTwo{{"perm", std::vector<int64_t>{0, 1, 3, 2}}};
  ONNX_ASSIGN(kt, im.emit(OpKind::Transpose, {ks}, lastTwo));
  ONNX_ASSIGN(raw, im.emit(OpKind::MatMul, {qs, kt}));
  auto castTo = [&](Value *x, DType to) -> Expected<Value *> {
    if (x->type().dtype == to)
      return x;
    return im.emit(OpKind::Cast, {x}, {{"to", to}});
  };
  ONNX_ASSIGN(scores, castTo(raw, compute));
  std::string nodeName = im.nodeName;
  auto modify = [&](Value *x, const char *attr) -> Expected<Value *> {
    const onnx::AttributeProto *a = ctx.attr(attr);
    if (!a)
      return x;
    if (a->type() != onnx::AttributeProto::GRAPH)
      return makeError(std::string(attr) + " must be a graph");
    const onnx::GraphProto &g = a->g();
    if (g.input_size() != 1 || g.output_size() != 1)
      return makeError(std::string(attr) +
                       " must take one input and give one output");
    std::map<std::string, Value *> scope = *ctx.scope;
    scope[g.input(0).name()] = x;
    MLC_RETURN_IF_ERROR(
        im.importSubgraph(g, scope, nodeName + "/" + attr + "/"));
    im.nodeName = nodeName;
    auto it = scope.find(g.output(0).name());
    if (it == scope.end())
      return makeError(std::string(attr) + " output '" + g.output(0).name() +
                       "' is not defined");
    if (!(it->second->type().shape == x->type().shape))
      return makeError(std::string(attr) + " changes the shape " +
                       typeToString(x->type()) + " to " +
                       typeToString(it->second->type()));
    return castTo(it->second, compute);
  };
  ONNX_ASSIGN(modded, modify(scores, "score_mod"));
  ONNX_ASSIGN(probs, im.emit(OpKind::Softmax, {modded}, {{"axis", int64_t{3}}}));
  ONNX_ASSIGN(pm, modify(probs, "prob_mod"));
  ONNX_ASSIGN(vc, castTo(va, compute));
  ONNX_ASSIGN(y, im.emit(OpKind::MatMul, {pm, vc}));
  if (y->type().dtype == v->type().dtype)
    return setOutput(ctx, 0, y);
  return setOutput(ctx, 0,
                   im.emit(OpKind::Cast, {y}, {{"to", v->type().dtype}},
                           ctx.outputName(0)));
}

/// Most elements TopK ranks along its axis (the rank form compares every
/// pair: n x n per row).
constexpr int64_t kMaxTopKAxis = 4096;

/// TopK-10+ by ranks: element i's rank is the number of elements before it
/// in the order (larger first, or smaller first with largest = 0; ties by
/// lower index, as ONNX says); output r takes the element of rank r. k may
/// be a run-time input (the output dim is then a value symbol). The result
/// is always sorted, which `sorted = 0` allows.
Status topKOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(kIn, ctx.input(1));
  ONNX_ASSIGN(ext, staticShape(x, "TopK"));
  int64_t rank = x->type().rank();
  if (rank == 0)
    return makeError("input must have rank >= 1");
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", -1));
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, rank));
  ONNX_ASSIGN(largest, ctx.intAttr("largest", 1));
  int64_t n = ext[axis];
  if (n > kMaxTopKAxis)
    return makeError("TopK over " + std::to_string(n) + " elements (more than " +
                     std::to_string(kMaxTopKAxis) + ") is not supported yet");
  Importer &im = ctx.importer;
  Dim k;
  if (isRunTimeScalar(kIn) && isInteger(kIn->type().dtype)) {
    ONNX_ASSIGN(sym, im.graph().defineValueSymbol(kIn, 0));
    ONNX_ASSIGN(fits, im.graph().defineSymbol(SymbolOp::Lt,
                                              {SymbolArg(sym), n + 1}));
    ONNX_ASSIGN(nonNegative, im.graph().defineSymbol(
                                 SymbolOp::Lt, {SymbolArg(sym), int64_t{0}}));
    ONNX_ASSIGN(ok, im.graph().defineSymbol(SymbolOp::Lt,
                                            {nonNegative, fits}));
    MLC_RETURN_IF_ERROR(im.graph().require(
        ok, "node '" + im.nodeName + "' (TopK): k must be in [0, " +
                std::to_string(n) + "]"));
    k = Dim::symbol(sym);
  } else {
    ONNX_ASSIGN(list, im.requireInts(kIn, "k"));
    if (list.size() != 1 || list[0] < 0 || list[0] > n)
      return makeError("k must be one value in [0, " + std::to_string(n) +
                       "]");
    k = Dim(list[0]);
  }
  // Work with the axis last.
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  std::vector<int64_t> back(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i)
    back[static_cast<size_t>(perm[i])] = i;
  Value *xl = x;
  if (axis != rank - 1) {
    ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {x}, {{"perm", perm}}));
    xl = t;
  }
  std::vector<int64_t> lead;
  for (int64_t i : perm)
    lead.push_back(ext[i]);
  lead.pop_back();
  auto with = [&](std::vector<int64_t> tail) {
    std::vector<int64_t> s = lead;
    s.insert(s.end(), tail.begin(), tail.end());
    return s;
  };
  ONNX_ASSIGN(xi, im.emitReshape(xl, with({n, 1}))); // element i
  ONNX_ASSIGN(xj, im.emitReshape(xl, with({1, n}))); // element j
  ONNX_ASSIGN(before, im.emit(largest ? OpKind::Greater : OpKind::Less,
                              {xj, xi}));
  ONNX_ASSIGN(same, im.emit(OpKind::Equal, {xj, xi}));
  // j < i: a lower index wins a tie.
  std::vector<uint8_t> lower(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j)
      lower[static_cast<size_t>(i * n + j)] = 1;
  ONNX_ASSIGN(lowerData, makeTensorData(TensorType{DType::Bool,
                                                   makeShape({n, n})},
                                        std::move(lower)));
  ONNX_ASSIGN(lowerValue, im.emitConstant(std::move(lowerData)));
  ONNX_ASSIGN(tie, im.emit(OpKind::And, {same, lowerValue}));
  ONNX_ASSIGN(ahead, im.emit(OpKind::Or, {before, tie}));
  ONNX_ASSIGN(ahead64, castTo(im, ahead, DType::I64));
  AttributeMap overJ{{"axes", std::vector<int64_t>{static_cast<int64_t>(
                          lead.size() + 1)}},
                     {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(ranks, im.emit(OpKind::ReduceSum, {ahead64}, overJ)); // [.., n]
  ONNX_ASSIGN(ranksRow, im.emitReshape(ranks, with({1, n})));
  ONNX_ASSIGN(slots, im.emit(OpKind::Iota, {},
                             {{"shape", dimsAttribute({k, Dim(1)})},
                              {"axis", int64_t{0}}}));
  ONNX_ASSIGN(pick, im.emit(OpKind::Equal, {ranksRow, slots})); // [.., k, n]
  AttributeMap overN{{"axes", std::vector<int64_t>{static_cast<int64_t>(
                          lead.size() + 1)}},
                     {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(zero, im.emitScalar(x->type().dtype, 0));
  ONNX_ASSIGN(chosen, im.emit(OpKind::Where, {pick, xj, zero}));
  ONNX_ASSIGN(values, im.emit(OpKind::ReduceSum, {chosen}, overN)); // [.., k]
  std::vector<int64_t> positions(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    positions[static_cast<size_t>(i)] = i;
  ONNX_ASSIGN(pos, im.emitInts(positions));
  ONNX_ASSIGN(zero64, im.emitScalar(DType::I64, 0));
  ONNX_ASSIGN(where, im.emit(OpKind::Where, {pick, pos, zero64}));
  ONNX_ASSIGN(indices, im.emit(OpKind::ReduceSum, {where}, overN));
  auto finish = [&](Value *v, size_t i) -> Status {
    if (axis == rank - 1)
      return setOutput(ctx, i, v);
    return setOutput(ctx, i,
                     im.emit(OpKind::Transpose, {v}, {{"perm", back}},
                             ctx.outputName(i)));
  };
  MLC_RETURN_IF_ERROR(finish(values, 0));
  if (ctx.outputs.size() > 1)
    MLC_RETURN_IF_ERROR(finish(indices, 1));
  return Status::success();
}

/// CenterCropPad-18: crop or zero-pad each of `axes` (default all) to the
/// size `shape` gives, centred (ValueShapes.cpp).
Status centerCropPadOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(shape, ctx.input(1));
  int64_t rank = x->type().rank();
  std::vector<int64_t> axes;
  if (ctx.hasAttr("axes")) {
    ONNX_ASSIGN(list, ctx.intsAttr("axes"));
    for (int64_t a : list) {
      ONNX_ASSIGN(n, normalizeAxis(a, rank));
      if (std::find(axes.begin(), axes.end(), n) != axes.end())
        return makeError("axes repeat axis " + std::to_string(n));
      axes.push_back(n);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  (void)shape;
  return centerCropPadFromSymbols(ctx, x, axes);
}

/// Most elements NonZero and Compress search (they compare every pair of
/// positions: n x n).
constexpr int64_t kMaxSelected = 4096;

} // namespace

Expected<Value *> truePositions(Importer &im, Value *mask, int64_t n) {
  ONNX_ASSIGN(m64, castTo(im, mask, DType::I64));
  AttributeMap all{{"axes", std::vector<int64_t>{0}}, {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(count, im.emit(OpKind::ReduceSum, {m64}, all)); // i64[]
  ONNX_ASSIGN(k, im.graph().defineLoadSymbol(count, 0, n));
  // prefix[i] = sum_{j <= i} m[j]: a [n(i), n(j)] where over j <= i.
  std::vector<uint8_t> upto(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      upto[static_cast<size_t>(i * n + j)] = 1;
  ONNX_ASSIGN(uptoData, makeTensorData(TensorType{DType::Bool, makeShape({n, n})},
                                       std::move(upto)));
  ONNX_ASSIGN(uptoValue, im.emitConstant(std::move(uptoData)));
  ONNX_ASSIGN(row, im.emitReshape(m64, {1, n}));
  ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
  ONNX_ASSIGN(counted, im.emit(OpKind::Where, {uptoValue, row, zero}));
  AttributeMap overJ{{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(prefix, im.emit(OpKind::ReduceSum, {counted}, overJ)); // [n]
  ONNX_ASSIGN(one, im.emitScalar(DType::I64, 1));
  ONNX_ASSIGN(slots, im.emit(OpKind::Iota, {},
                             {{"shape", dimsAttribute({Dim::symbol(k), Dim(1)})},
                              {"axis", int64_t{0}}}));
  ONNX_ASSIGN(wanted, im.emit(OpKind::Add, {slots, one})); // [?k, 1]
  ONNX_ASSIGN(prefixRow, im.emitReshape(prefix, {1, n}));
  ONNX_ASSIGN(hit, im.emit(OpKind::Equal, {prefixRow, wanted})); // [?k, n]
  ONNX_ASSIGN(maskRow, im.emitReshape(mask, {1, n}));
  ONNX_ASSIGN(pick, im.emit(OpKind::And, {hit, maskRow}));
  std::vector<int64_t> positions(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    positions[static_cast<size_t>(i)] = i;
  ONNX_ASSIGN(pos, im.emitInts(positions));
  ONNX_ASSIGN(at, im.emit(OpKind::Where, {pick, pos, zero}));
  return im.emit(OpKind::ReduceSum, {at}, overJ); // [?k]
}

namespace {

/// Unique-11: the distinct elements (or slices along `axis`), sorted or in
/// first-occurrence order, with the first occurrences' indices, each
/// input's position among them, and the counts. Items are compared
/// pairwise (slices lexicographically); the number of distinct ones is a
/// load symbol the run computes.
Status uniqueOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(ext, staticShape(x, "Unique"));
  ONNX_ASSIGN(sortedAttr, ctx.intAttr("sorted", 1));
  Importer &im = ctx.importer;
  int64_t rank = x->type().rank();
  // Items as rows of [n, m].
  Value *items = nullptr;
  int64_t axis = -1, n = 0, m = 1;
  if (ctx.hasAttr("axis")) {
    ONNX_ASSIGN(a, ctx.intAttr("axis", 0));
    ONNX_ASSIGN(norm, normalizeAxis(a, rank));
    axis = norm;
    n = ext[axis];
    std::vector<int64_t> perm{axis};
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis)
        perm.push_back(i);
    ONNX_ASSIGN(front, im.emit(OpKind::Transpose, {x}, {{"perm", perm}}));
    ONNX_ASSIGN(total, elementCount(makeShape(ext)));
    m = n == 0 ? 0 : total / n;
    ONNX_ASSIGN(rows, im.emitReshape(front, {n, m}));
    items = rows;
  } else {
    ONNX_ASSIGN(total, elementCount(makeShape(ext)));
    n = total;
    ONNX_ASSIGN(rows, im.emitReshape(x, {n, 1}));
    items = rows;
  }
  if (n == 0 || m == 0)
    return makeError("Unique of an empty input is not supported");
  if (n > kMaxSelected || n * n * m * m > (int64_t{1} << 24))
    return makeError("Unique over " + std::to_string(n) +
                     " items is not supported yet (items are compared "
                     "pairwise)");
  ONNX_ASSIGN(ai, im.emitReshape(items, {n, 1, m})); // item i
  ONNX_ASSIGN(bj, im.emitReshape(items, {1, n, m})); // item j
  ONNX_ASSIGN(same, im.emit(OpKind::Equal, {ai, bj})); // [n, n, m]
  ONNX_ASSIGN(same32, castTo(im, same, DType::I32));
  AttributeMap overE{{"axes", std::vector<int64_t>{2}}, {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(allSame, im.emit(OpKind::ReduceMin, {same32}, overE));
  ONNX_ASSIGN(eq, castTo(im, allSame, DType::Bool)); // [n, n]: i == j
  // less[i][j]: item j before item i (j < i lexicographically).
  ONNX_ASSIGN(lessE, im.emit(OpKind::Less, {bj, ai})); // [n, n, m]
  Value *less = nullptr;
  if (m == 1) {
    ONNX_ASSIGN(l2, im.emitReshape(lessE, {n, n}));
    less = l2;
  } else {
    // First difference at e: all equal before e and less at e.
    std::vector<uint8_t> earlier(static_cast<size_t>(m * m));
    for (int64_t e = 0; e < m; ++e)
      for (int64_t f = 0; f < m; ++f)
        earlier[static_cast<size_t>(e * m + f)] = f < e ? 0 : 1; // ignore f >= e
    ONNX_ASSIGN(ignoreData,
                makeTensorData(TensorType{DType::Bool, makeShape({m, m})},
                               std::move(earlier)));
    ONNX_ASSIGN(ignore, im.emitConstant(std::move(ignoreData)));
    ONNX_ASSIGN(same4, im.emitReshape(same, {n, n, 1, m}));
    ONNX_ASSIGN(okF, im.emit(OpKind::Or, {same4, ignore})); // [n,n,m(e),m(f)]
    ONNX_ASSIGN(ok32, castTo(im, okF, DType::I32));
    AttributeMap overF{{"axes", std::vector<int64_t>{3}},
                       {"keepdims", int64_t{0}}};
    ONNX_ASSIGN(prefix32, im.emit(OpKind::ReduceMin, {ok32}, overF));
    ONNX_ASSIGN(prefix, castTo(im, prefix32, DType::Bool)); // [n, n, m]
    ONNX_ASSIGN(firstDiff, im.emit(OpKind::And, {prefix, lessE}));
    ONNX_ASSIGN(fd32, castTo(im, firstDiff, DType::I32));
    ONNX_ASSIGN(any32, im.emit(OpKind::ReduceMax, {fd32}, overE));
    ONNX_ASSIGN(l2, castTo(im, any32, DType::Bool));
    less = l2;
  }
  // first[i]: no j < i equals item i.
  std::vector<uint8_t> before(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j)
      before[static_cast<size_t>(i * n + j)] = 1;
  ONNX_ASSIGN(beforeData, makeTensorData(TensorType{DType::Bool,
                                                    makeShape({n, n})},
                                         std::move(before)));
  ONNX_ASSIGN(beforeValue, im.emitConstant(std::move(beforeData)));
  ONNX_ASSIGN(earlierSame, im.emit(OpKind::And, {eq, beforeValue}));
  ONNX_ASSIGN(es64, castTo(im, earlierSame, DType::I64));
  AttributeMap overJ{{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(repeats, im.emit(OpKind::ReduceSum, {es64}, overJ));
  ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
  ONNX_ASSIGN(first, im.emit(OpKind::Equal, {repeats, zero})); // [n]
  ONNX_ASSIGN(first64, castTo(im, first, DType::I64));
  ONNX_ASSIGN(firstRow, im.emitReshape(first64, {1, n}));
  // rank[i]: item i's position among the distinct items.
  Value *rankOf = nullptr;
  if (sortedAttr != 0) {
    ONNX_ASSIGN(l64, castTo(im, less, DType::I64));
    ONNX_ASSIGN(smaller, im.emit(OpKind::Mul, {l64, firstRow}));
    ONNX_ASSIGN(r, im.emit(OpKind::ReduceSum, {smaller}, overJ));
    rankOf = r;
  } else {
    // The first occurrence f(i), then the distinct items before it.
    std::vector<int64_t> jIdx(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j)
      jIdx[static_cast<size_t>(j)] = j;
    ONNX_ASSIGN(jValue, im.emitInts(jIdx));
    ONNX_ASSIGN(big, im.emitScalar(DType::I64, static_cast<double>(n)));
    ONNX_ASSIGN(occ, im.emit(OpKind::Where, {eq, jValue, big}));
    ONNX_ASSIGN(f, im.emit(OpKind::ReduceMin, {occ}, overJ)); // [n]
    ONNX_ASSIGN(fCol, im.emitReshape(f, {n, 1}));
    ONNX_ASSIGN(jRow, im.emitReshape(jValue, {1, n}));
    ONNX_ASSIGN(lower, im.emit(OpKind::Less, {jRow, fCol}));
    ONNX_ASSIGN(lower64, castTo(im, lower, DType::I64));
    ONNX_ASSIGN(counted, im.emit(OpKind::Mul, {lower64, firstRow}));
    ONNX_ASSIGN(r, im.emit(OpKind::ReduceSum, {counted}, overJ));
    rankOf = r;
  }
  AttributeMap all{{"axes", std::vector<int64_t>{0}}, {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(count, im.emit(OpKind::ReduceSum, {first64}, all));
  ONNX_ASSIGN(u, im.graph().defineLoadSymbol(count, 0, n));
  ONNX_ASSIGN(slots, im.emit(OpKind::Iota, {},
                             {{"shape", dimsAttribute({Dim::symbol(u), Dim(1)})},
                              {"axis", int64_t{0}}}));
  ONNX_ASSIGN(rankRow, im.emitReshape(rankOf, {1, n}));
  ONNX_ASSIGN(atSlot, im.emit(OpKind::Equal, {rankRow, slots})); // [?u, n]
  ONNX_ASSIGN(firstRowB, im.emitReshape(first, {1, n}));
  ONNX_ASSIGN(pick, im.emit(OpKind::And, {atSlot, firstRowB}));
  std::vector<int64_t> positions(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    positions[static_cast<size_t>(i)] = i;
  ONNX_ASSIGN(pos, im.emitInts(positions));
  ONNX_ASSIGN(at, im.emit(OpKind::Where, {pick, pos, zero}));
  ONNX_ASSIGN(indices, im.emit(OpKind::ReduceSum, {at}, overJ,
                               ctx.outputs.size() > 1 ? ctx.outputName(1) : ""));
  Value *source = x;
  if (axis < 0) {
    ONNX_ASSIGN(flat, im.emitReshape(x, {n}));
    source = flat;
  }
  ONNX_ASSIGN(y, im.emit(OpKind::Gather, {source, indices},
                         {{"axis", axis < 0 ? int64_t{0} : axis}},
                         ctx.outputName(0)));
  MLC_RETURN_IF_ERROR(setOutput(ctx, 0, y));
  if (ctx.outputs.size() > 1)
    ctx.outputs[1] = indices;
  if (ctx.outputs.size() > 2)
    ctx.outputs[2] = rankOf;
  if (ctx.outputs.size() > 3) {
    ONNX_ASSIGN(atSlot64, castTo(im, atSlot, DType::I64));
    ONNX_ASSIGN(counts, im.emit(OpKind::ReduceSum, {atSlot64}, overJ,
                                ctx.outputName(3)));
    ctx.outputs[3] = counts;
  }
  return Status::success();
}

/// NonZero-9+: the indices of the non-zero elements, [rank, ?k] (row-major
/// order), ?k computed by the run.
Status nonZeroOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(ext, staticShape(x, "NonZero"));
  ONNX_ASSIGN(n, elementCount(makeShape(ext)));
  if (n > kMaxSelected)
    return makeError("NonZero over " + std::to_string(n) +
                     " elements (more than " + std::to_string(kMaxSelected) +
                     ") is not supported yet");
  if (n == 0 || ext.empty())
    return makeError("NonZero of an empty or rank-0 input is not supported");
  Importer &im = ctx.importer;
  ONNX_ASSIGN(flat, im.emitReshape(x, {n}));
  ONNX_ASSIGN(zero, im.emitScalar(x->type().dtype, 0));
  ONNX_ASSIGN(isZero, im.emit(OpKind::Equal, {flat, zero}));
  ONNX_ASSIGN(mask, im.emit(OpKind::Not, {isZero}));
  ONNX_ASSIGN(at, truePositions(im, mask, n));
  // Unravel: coordinate d = (flat / stride_d) % dim_d, one row per dim.
  int64_t rank = static_cast<int64_t>(ext.size());
  std::vector<int64_t> strides(ext.size()), dims(ext.begin(), ext.end());
  int64_t s = 1;
  for (size_t d = ext.size(); d-- > 0;) {
    strides[d] = s;
    s *= ext[d];
  }
  ONNX_ASSIGN(strideValue, im.emitInts(strides));
  ONNX_ASSIGN(strideCol, im.emitReshape(strideValue, {rank, 1}));
  ONNX_ASSIGN(dimValue, im.emitInts(dims));
  ONNX_ASSIGN(dimCol, im.emitReshape(dimValue, {rank, 1}));
  const Dim &k = at->type().shape[0];
  ONNX_ASSIGN(atRow, im.emit(OpKind::Reshape, {at},
                             {{"shape", dimsAttribute({Dim(1), k})}}));
  ONNX_ASSIGN(q, im.emit(OpKind::Div, {atRow, strideCol}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Mod, {q, dimCol}, {}, ctx.outputName(0)));
}

/// Compress-11+: the slices along `axis` (or the elements of the flattened
/// input) where condition is true; the count is computed by the run.
Status compressOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(cond, ctx.input(1));
  ONNX_ASSIGN(ext, staticShape(x, "Compress"));
  ONNX_ASSIGN(ce, staticShape(cond, "condition"));
  if (ce.size() != 1 || cond->type().dtype != DType::Bool)
    return makeError("condition must be a 1-D bool tensor");
  Importer &im = ctx.importer;
  Value *data = x;
  int64_t axis = 0;
  if (ctx.hasAttr("axis")) {
    ONNX_ASSIGN(a, ctx.intAttr("axis", 0));
    ONNX_ASSIGN(n, normalizeAxis(a, x->type().rank()));
    axis = n;
  } else {
    ONNX_ASSIGN(count, elementCount(makeShape(ext)));
    ONNX_ASSIGN(flat, im.emitReshape(x, {count}));
    data = flat;
  }
  int64_t d = data->type().shape[static_cast<size_t>(axis)].value();
  int64_t len = std::min(ce[0], d); // numpy ignores a longer condition
  if (ce[0] > d)
    return makeError("condition has " + std::to_string(ce[0]) +
                     " elements, more than the " + std::to_string(d) +
                     " along the axis");
  if (len > kMaxSelected)
    return makeError("Compress over " + std::to_string(len) +
                     " positions (more than " + std::to_string(kMaxSelected) +
                     ") is not supported yet");
  if (len == 0)
    return makeError("Compress with an empty condition is not supported");
  ONNX_ASSIGN(at, truePositions(im, cond, len));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Gather, {data, at}, {{"axis", axis}},
                           ctx.outputName(0)));
}

/// Most boxes NonMaxSuppression takes: the greedy selection is unrolled,
/// one step (a few ops over [B, C, n, n]) per box.
constexpr int64_t kMaxNmsBoxes = 256;

/// NonMaxSuppression-10/11, as onnx's reference: per batch and class, the
/// boxes above score_threshold in descending score order (ties: lower
/// index first), each kept unless a kept box overlaps it with IoU above
/// iou_threshold, at most max_output_boxes_per_class kept. The greedy
/// selection is unrolled over the n box ranks; the count of selected boxes
/// is computed by the run (a load symbol, at most B * C * n).
Status nonMaxSuppressionOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(boxes, ctx.input(0));
  ONNX_ASSIGN(scores, ctx.input(1));
  ONNX_ASSIGN(center, ctx.intAttr("center_point_box", 0));
  ONNX_ASSIGN(be, staticShape(boxes, "boxes"));
  ONNX_ASSIGN(se, staticShape(scores, "scores"));
  DType dt = boxes->type().dtype;
  if (be.size() != 3 || be[2] != 4 || !isFloat(dt))
    return makeError("boxes must be a float [batches, boxes, 4] tensor, got " +
                     typeToString(boxes->type()));
  if (se.size() != 3 || se[0] != be[0] || se[2] != be[1] ||
      scores->type().dtype != dt)
    return makeError("scores must be [batches, classes, boxes] of the boxes' "
                     "type, got " +
                     typeToString(scores->type()));
  int64_t b = be[0], n = be[1], c = se[1];
  if (center != 0 && center != 1)
    return makeError("center_point_box must be 0 or 1");
  if (b == 0 || n == 0 || c == 0)
    return makeError("NonMaxSuppression of no boxes is not supported");
  if (n > kMaxNmsBoxes)
    return makeError(std::to_string(n) + " boxes are more than the " +
                     std::to_string(kMaxNmsBoxes) + " supported");
  int64_t m = b * c * n;
  if (m > kMaxSelected)
    return makeError(std::to_string(m) +
                     " batch, class and box triples "
                     "are more than the " +
                     std::to_string(kMaxSelected) + " supported");
  Importer &im = ctx.importer;
  // A scalar of an optional one-element input (absent: `def`).
  auto scalarInput = [&](size_t i, DType to, double def) -> Expected<Value *> {
    Value *v = ctx.optionalInput(i);
    if (!v)
      return im.emitScalar(to, def);
    ONNX_ASSIGN(count, elementCount(v->type().shape));
    if (!isStatic(v->type().shape) || count != 1)
      return makeError("input " + std::to_string(i) + " must hold one value");
    ONNX_ASSIGN(r, im.emitReshape(v, {}));
    return castTo(im, r, to);
  };
  ONNX_ASSIGN(maxOut0, scalarInput(2, DType::I64, 0));
  ONNX_ASSIGN(zeroI, im.emitScalar(DType::I64, 0));
  ONNX_ASSIGN(maxOut, im.emit(OpKind::Max, {maxOut0, zeroI}));
  ONNX_ASSIGN(iouThr, scalarInput(3, dt, 0));
  // Box corners [B, n, 1] each.
  auto coord = [&](int64_t k) -> Expected<Value *> {
    return im.emit(OpKind::Slice, {boxes},
                   {{"starts", std::vector<int64_t>{0, 0, k}},
                    {"ends", std::vector<int64_t>{b, n, k + 1}},
                    {"steps", std::vector<int64_t>{1, 1, 1}}});
  };
  ONNX_ASSIGN(c0, coord(0));
  ONNX_ASSIGN(c1, coord(1));
  ONNX_ASSIGN(c2, coord(2));
  ONNX_ASSIGN(c3, coord(3));
  Value *xMin, *xMax, *yMin, *yMax;
  if (center == 0) {
    ONNX_ASSIGN(a, im.emit(OpKind::Min, {c1, c3}));
    ONNX_ASSIGN(bb, im.emit(OpKind::Max, {c1, c3}));
    ONNX_ASSIGN(cc, im.emit(OpKind::Min, {c0, c2}));
    ONNX_ASSIGN(d, im.emit(OpKind::Max, {c0, c2}));
    xMin = a, xMax = bb, yMin = cc, yMax = d;
  } else {
    ONNX_ASSIGN(two, im.emitScalar(dt, 2));
    ONNX_ASSIGN(hw, im.emit(OpKind::Div, {c2, two}));
    ONNX_ASSIGN(hh, im.emit(OpKind::Div, {c3, two}));
    ONNX_ASSIGN(a, im.emit(OpKind::Sub, {c0, hw}));
    ONNX_ASSIGN(bb, im.emit(OpKind::Add, {c0, hw}));
    ONNX_ASSIGN(cc, im.emit(OpKind::Sub, {c1, hh}));
    ONNX_ASSIGN(d, im.emit(OpKind::Add, {c1, hh}));
    xMin = a, xMax = bb, yMin = cc, yMax = d;
  }
  // Pairwise [B, n (i), n (j)]: box i against box j.
  auto rowOf = [&](Value *v) { return im.emitReshape(v, {b, 1, n}); };
  auto pair = [&](OpKind k, Value *v) -> Expected<Value *> {
    ONNX_ASSIGN(r, rowOf(v));
    return im.emit(k, {v, r});
  };
  ONNX_ASSIGN(ixMin, pair(OpKind::Max, xMin));
  ONNX_ASSIGN(ixMax, pair(OpKind::Min, xMax));
  ONNX_ASSIGN(iyMin, pair(OpKind::Max, yMin));
  ONNX_ASSIGN(iyMax, pair(OpKind::Min, yMax));
  ONNX_ASSIGN(okX, im.emit(OpKind::Greater, {ixMax, ixMin}));
  ONNX_ASSIGN(okY, im.emit(OpKind::Greater, {iyMax, iyMin}));
  ONNX_ASSIGN(iw, im.emit(OpKind::Sub, {ixMax, ixMin}));
  ONNX_ASSIGN(ih, im.emit(OpKind::Sub, {iyMax, iyMin}));
  ONNX_ASSIGN(inter, im.emit(OpKind::Mul, {iw, ih}));
  ONNX_ASSIGN(w, im.emit(OpKind::Sub, {xMax, xMin}));
  ONNX_ASSIGN(h, im.emit(OpKind::Sub, {yMax, yMin}));
  ONNX_ASSIGN(area, im.emit(OpKind::Mul, {w, h})); // [B, n, 1]
  ONNX_ASSIGN(areaRow, rowOf(area));
  ONNX_ASSIGN(sumArea, im.emit(OpKind::Add, {area, areaRow}));
  ONNX_ASSIGN(uni, im.emit(OpKind::Sub, {sumArea, inter}));
  ONNX_ASSIGN(zeroF, im.emitScalar(dt, 0));
  ONNX_ASSIGN(interPos, im.emit(OpKind::Greater, {inter, zeroF}));
  ONNX_ASSIGN(areaPos, im.emit(OpKind::Greater, {area, zeroF}));
  ONNX_ASSIGN(areaRowPos, im.emit(OpKind::Greater, {areaRow, zeroF}));
  ONNX_ASSIGN(uniPos, im.emit(OpKind::Greater, {uni, zeroF}));
  ONNX_ASSIGN(iou, im.emit(OpKind::Div, {inter, uni}));
  ONNX_ASSIGN(over, im.emit(OpKind::Greater, {iou, iouThr}));
  Value *supp = okX;
  for (Value *t : {okY, interPos, areaPos, areaRowPos, uniPos, over}) {
    ONNX_ASSIGN(a, im.emit(OpKind::And, {supp, t}));
    supp = a;
  }
  ONNX_ASSIGN(supp4, im.emitReshape(supp, {b, 1, n, n}));
  // Ranks [B, C, n]: the boxes scoring higher, or equal with a lower index.
  ONNX_ASSIGN(sCol, im.emitReshape(scores, {b, c, n, 1}));
  ONNX_ASSIGN(sRow, im.emitReshape(scores, {b, c, 1, n}));
  ONNX_ASSIGN(higher, im.emit(OpKind::Greater, {sRow, sCol})); // j above i
  ONNX_ASSIGN(same, im.emit(OpKind::Equal, {sRow, sCol}));
  std::vector<uint8_t> lower(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j)
      lower[static_cast<size_t>(i * n + j)] = 1;
  ONNX_ASSIGN(lowerData,
              makeTensorData(TensorType{DType::Bool, makeShape({n, n})},
                             std::move(lower)));
  ONNX_ASSIGN(lowerV, im.emitConstant(std::move(lowerData)));
  ONNX_ASSIGN(tie, im.emit(OpKind::And, {same, lowerV}));
  ONNX_ASSIGN(before, im.emit(OpKind::Or, {higher, tie}));
  ONNX_ASSIGN(before64, castTo(im, before, DType::I64));
  AttributeMap lastAxis{{"axes", std::vector<int64_t>{3}},
                        {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(rank, im.emit(OpKind::ReduceSum, {before64}, lastAxis));
  // Candidates: above score_threshold when it is given.
  Value *valid = nullptr;
  if (ctx.optionalInput(4)) {
    ONNX_ASSIGN(thr, scalarInput(4, dt, 0));
    ONNX_ASSIGN(v, im.emit(OpKind::Greater, {scores, thr}));
    valid = v;
  } else {
    ONNX_ASSIGN(t, makeFilledTensor(
                       TensorType{DType::Bool, makeShape({b, c, n})}, 1.0));
    ONNX_ASSIGN(v, im.emitConstant(std::move(t)));
    valid = v;
  }
  // The greedy selection, one rank at a time.
  ONNX_ASSIGN(none, makeFilledTensor(
                        TensorType{DType::Bool, makeShape({b, c, n})}, 0.0));
  ONNX_ASSIGN(sel0, im.emitConstant(std::move(none)));
  Value *sel = sel0;
  ONNX_ASSIGN(count0, makeFilledTensor(
                          TensorType{DType::I64, makeShape({b, c, 1})}, 0.0));
  ONNX_ASSIGN(countV, im.emitConstant(std::move(count0)));
  Value *count = countV;
  AttributeMap lastKeep{{"axes", std::vector<int64_t>{2}},
                        {"keepdims", int64_t{1}}};
  for (int64_t t = 0; t < n; ++t) {
    ONNX_ASSIGN(tV, im.emitScalar(DType::I64, static_cast<double>(t)));
    ONNX_ASSIGN(cur, im.emit(OpKind::Equal, {rank, tV}));
    ONNX_ASSIGN(selRow, im.emitReshape(sel, {b, c, 1, n}));
    ONNX_ASSIGN(hit, im.emit(OpKind::And, {selRow, supp4}));
    ONNX_ASSIGN(hit32, castTo(im, hit, DType::I32));
    ONNX_ASSIGN(anyHit, im.emit(OpKind::ReduceMax, {hit32}, lastAxis));
    ONNX_ASSIGN(zero32, im.emitScalar(DType::I32, 0));
    ONNX_ASSIGN(free, im.emit(OpKind::Equal, {anyHit, zero32}));
    ONNX_ASSIGN(room, im.emit(OpKind::Less, {count, maxOut}));
    ONNX_ASSIGN(t1, im.emit(OpKind::And, {cur, valid}));
    ONNX_ASSIGN(t2, im.emit(OpKind::And, {t1, free}));
    ONNX_ASSIGN(take, im.emit(OpKind::And, {t2, room}));
    ONNX_ASSIGN(nextSel, im.emit(OpKind::Or, {sel, take}));
    ONNX_ASSIGN(take64, castTo(im, take, DType::I64));
    ONNX_ASSIGN(added, im.emit(OpKind::ReduceSum, {take64}, lastKeep));
    ONNX_ASSIGN(nextCount, im.emit(OpKind::Add, {count, added}));
    sel = nextSel;
    count = nextCount;
  }
  // In rank order: sorted[b, c, t] = selected and the box index of rank t.
  ONNX_ASSIGN(rankCol, im.emitReshape(rank, {b, c, 1, n})); // box i at [.., i]
  std::vector<int64_t> ts(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    ts[static_cast<size_t>(i)] = i;
  ONNX_ASSIGN(tList, im.emitInts(ts));
  ONNX_ASSIGN(tCol, im.emitReshape(tList, {1, 1, n, 1}));
  ONNX_ASSIGN(atRank, im.emit(OpKind::Equal, {rankCol, tCol})); // [B,C,t,i]
  ONNX_ASSIGN(at64, castTo(im, atRank, DType::I64));
  ONNX_ASSIGN(iRow, im.emitReshape(tList, {1, 1, 1, n}));
  ONNX_ASSIGN(boxAt, im.emit(OpKind::Mul, {at64, iRow}));
  ONNX_ASSIGN(order, im.emit(OpKind::ReduceSum, {boxAt}, lastAxis));
  ONNX_ASSIGN(sel64, castTo(im, sel, DType::I64));
  ONNX_ASSIGN(selRowI, im.emitReshape(sel64, {b, c, 1, n}));
  ONNX_ASSIGN(selAt, im.emit(OpKind::Mul, {at64, selRowI}));
  ONNX_ASSIGN(selSorted, im.emit(OpKind::ReduceSum, {selAt}, lastAxis));
  ONNX_ASSIGN(flatSel, im.emitReshape(selSorted, {m}));
  ONNX_ASSIGN(oneI, im.emitScalar(DType::I64, 1));
  ONNX_ASSIGN(mask, im.emit(OpKind::Equal, {flatSel, oneI}));
  ONNX_ASSIGN(pos, truePositions(im, mask, m)); // [?k] flat (b, c, t)
  const Dim &k = pos->type().shape[0];
  ONNX_ASSIGN(cn, im.emitScalar(DType::I64, static_cast<double>(c * n)));
  ONNX_ASSIGN(nV, im.emitScalar(DType::I64, static_cast<double>(n)));
  ONNX_ASSIGN(cV, im.emitScalar(DType::I64, static_cast<double>(c)));
  ONNX_ASSIGN(batchIdx, im.emit(OpKind::Div, {pos, cn}));
  ONNX_ASSIGN(q, im.emit(OpKind::Div, {pos, nV}));
  ONNX_ASSIGN(classIdx, im.emit(OpKind::Mod, {q, cV}));
  ONNX_ASSIGN(flatOrder, im.emitReshape(order, {m}));
  ONNX_ASSIGN(boxIdx, im.emit(OpKind::Gather, {flatOrder, pos},
                              {{"axis", int64_t{0}}}));
  std::vector<Value *> cols;
  for (Value *v : {batchIdx, classIdx, boxIdx}) {
    ONNX_ASSIGN(col, im.emit(OpKind::Reshape, {v},
                             {{"shape", dimsAttribute({k, Dim(1)})}}));
    cols.push_back(col);
  }
  return setOutput(
      ctx, 0,
      im.emit(OpKind::Concat, cols, {{"axis", int64_t{1}}}, ctx.outputName(0)));
}

Status attentionOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(q, ctx.input(0));
  ONNX_ASSIGN(k, ctx.input(1));
  ONNX_ASSIGN(v, ctx.input(2));
  Value *mask = ctx.optionalInput(3);
  Value *pastK = ctx.optionalInput(4);
  Value *pastV = ctx.optionalInput(5);
  Value *nonpad = ctx.optionalInput(6);
  if (!pastK != !pastV)
    return makeError("past_key and past_value must be given together");
  if (nonpad && pastK)
    return makeError("nonpad_kv_seqlen cannot be combined with past_key");
  ONNX_ASSIGN(left, ctx.intAttr("left_window_size", -1));
  ONNX_ASSIGN(right, ctx.intAttr("right_window_size", -1));
  if (left < -1 || right < -1)
    return makeError("left_window_size and right_window_size must be -1 or "
                     "non-negative");
  ONNX_ASSIGN(isCausal, ctx.intAttr("is_causal", 0));
  ONNX_ASSIGN(mode, ctx.intAttr("qk_matmul_output_mode", 0));
  if (mode < 0 || mode > 3)
    return makeError("qk_matmul_output_mode must be 0..3, got " +
                     std::to_string(mode));
  ONNX_ASSIGN(softcap, ctx.floatAttr("softcap", 0.0));
  DType dt = q->type().dtype;
  if (!isFloat(dt))
    return makeError("Q must be a float tensor, got " + typeToString(q->type()));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(qe, staticShape(q, "Q"));
  ONNX_ASSIGN(ke, staticShape(k, "K"));
  ONNX_ASSIGN(ve, staticShape(v, "V"));
  if (qe.size() != ke.size() || qe.size() != ve.size() ||
      (qe.size() != 3 && qe.size() != 4))
    return makeError("Q, K and V must all be 3-D or all 4-D");
  bool threeD = qe.size() == 3;
  AttributeMap swap{{"perm", std::vector<int64_t>{0, 2, 1, 3}}};
  // [B, S, heads * D] -> [B, heads, S, D].
  auto heads = [&](Value *x, const std::vector<int64_t> &e,
                   const char *attr) -> Expected<Value *> {
    ONNX_ASSIGN(n, ctx.intAttr(attr, 0));
    if (n < 1 || e[2] % n != 0)
      return makeError(std::string(attr) + " " + std::to_string(n) +
                       " must divide the hidden size " + std::to_string(e[2]));
    ONNX_ASSIGN(r, im.emitReshape(x, {e[0], e[1], n, e[2] / n}));
    return im.emit(OpKind::Transpose, {r}, swap);
  };
  if (threeD) {
    ONNX_ASSIGN(q4, heads(q, qe, "q_num_heads"));
    ONNX_ASSIGN(k4, heads(k, ke, "kv_num_heads"));
    ONNX_ASSIGN(v4, heads(v, ve, "kv_num_heads"));
    q = q4;
    k = k4;
    v = v4;
  }
  if (pastK) {
    AttributeMap seq{{"axis", int64_t(2)}};
    ONNX_ASSIGN(kc, im.emit(OpKind::Concat, {pastK, k}, seq));
    ONNX_ASSIGN(vc, im.emit(OpKind::Concat, {pastV, v}, seq));
    k = kc;
    v = vc;
  }
  ONNX_ASSIGN(q4e, staticShape(q, "Q"));
  ONNX_ASSIGN(k4e, staticShape(k, "K"));
  ONNX_ASSIGN(v4e, staticShape(v, "V"));
  int64_t qHeads = q4e[1], kvHeads = k4e[1], qLen = q4e[2], kvLen = k4e[2];
  int64_t pastLen = 0;
  if (pastK) {
    ONNX_ASSIGN(pe, staticShape(pastK, "past_key"));
    pastLen = pe.size() == 4 ? pe[2] : 0;
  }
  // present_key / present_value: K and V after the cache, before repeats.
  if (ctx.outputs.size() > 1)
    ctx.outputs[1] = k;
  if (ctx.outputs.size() > 2)
    ctx.outputs[2] = v;
  if (qHeads != kvHeads) {
    if (kvHeads < 1 || qHeads % kvHeads != 0 || v4e[1] != kvHeads)
      return makeError("query heads " + std::to_string(qHeads) +
                       " are not a multiple of the key/value heads " +
                       std::to_string(kvHeads));
    int64_t reps = qHeads / kvHeads;
    // Interleaved repeat of each head: [h0, h0, h1, h1, ...].
    auto repeat = [&](Value *x,
                      const std::vector<int64_t> &e) -> Expected<Value *> {
      ONNX_ASSIGN(r, im.emitReshape(x, {e[0], e[1], 1, e[2], e[3]}));
      AttributeMap to{{"shape", std::vector<int64_t>{e[0], e[1], reps, e[2],
                                                     e[3]}}};
      ONNX_ASSIGN(x5, im.emit(OpKind::Expand, {r}, to));
      return im.emitReshape(x5, {e[0], e[1] * reps, e[2], e[3]});
    };
    ONNX_ASSIGN(kr, repeat(k, k4e));
    ONNX_ASSIGN(vr, repeat(v, v4e));
    k = kr;
    v = vr;
  }
  double scale = 1.0 / std::sqrt(static_cast<double>(q4e[3]));
  if (ctx.hasAttr("scale")) {
    ONNX_ASSIGN(sc, ctx.floatAttr("scale", scale));
    scale = sc;
  }
  // sqrt(scale) rounded to Q's dtype, on both Q and K (as the reference).
  ONNX_ASSIGN(sv, im.emitScalar(dt, std::sqrt(scale)));
  ONNX_ASSIGN(qs, im.emit(OpKind::Mul, {q, sv}));
  ONNX_ASSIGN(ks, im.emit(OpKind::Mul, {k, sv}));
  AttributeMap lastTwo{{"perm", std::vector<int64_t>{0, 1, 3, 2}}};
  ONNX_ASSIGN(kt, im.emit(OpKind::Transpose, {ks}, lastTwo));
  ONNX_ASSIGN(qk0, im.emit(OpKind::MatMul, {qs, kt}));
  Value *qk = qk0;
  if (softcap > 0) {
    ONNX_ASSIGN(cap, im.emitScalar(dt, softcap));
    ONNX_ASSIGN(d, im.emit(OpKind::Div, {qk, cap}));
    ONNX_ASSIGN(t, im.emit(OpKind::Tanh, {d}));
    ONNX_ASSIGN(m, im.emit(OpKind::Mul, {t, cap}));
    qk = m;
  }
  // The additive bias: 0 where a key may be attended, -inf elsewhere.
  ONNX_ASSIGN(zero, im.emitScalar(dt, 0.0));
  ONNX_ASSIGN(negInf, im.emitScalar(dt, -kInf));
  Value *bias = nullptr;
  if (mask) {
    Value *mb = mask;
    if (mask->type().dtype == DType::Bool) {
      ONNX_ASSIGN(w, im.emit(OpKind::Where, {mask, zero, negInf}));
      mb = w;
    } else if (mask->type().dtype != dt) {
      return makeError("attn_mask must be bool or Q's dtype, got " +
                       typeToString(mask->type()));
    }
    ONNX_ASSIGN(me, staticShape(mb, "attn_mask"));
    if (me.empty() || me.back() > kvLen)
      return makeError("attn_mask " + typeToString(mask->type()) +
                       " is longer than the " + std::to_string(kvLen) +
                       " keys");
    if (me.back() < kvLen) {
      std::vector<int64_t> pads(2 * me.size(), 0);
      pads.back() = kvLen - me.back();
      AttributeMap pa{{"pads", pads},
                      {"mode", std::string("constant")},
                      {"value", -kInf}};
      ONNX_ASSIGN(pm, im.emit(OpKind::Pad, {mb}, pa));
      mb = pm;
    }
    bias = mb;
  }
  auto addBias = [&](Value *b) -> Status {
    if (!bias) {
      bias = b;
      return Status::success();
    }
    ONNX_ASSIGN(sum, im.emit(OpKind::Add, {bias, b}));
    bias = sum;
    return Status::success();
  };
  // Masks from a frontier: query i sits at position i + offset, with offset
  // the past length, or per batch nonpad_kv_seqlen[b] - qLen at run time.
  bool window = left >= 0 || right >= 0;
  if (isCausal || window) {
    // diff[i, j] = i - j, compared with the frontier conditions below.
    std::vector<int64_t> diff(static_cast<size_t>(qLen * kvLen));
    for (int64_t i = 0; i < qLen; ++i)
      for (int64_t j = 0; j < kvLen; ++j)
        diff[i * kvLen + j] = i - j;
    ONNX_ASSIGN(dv, im.emitInts(diff));
    ONNX_ASSIGN(d, im.emitReshape(dv, {qLen, kvLen}));
    Value *pos = d; // (i + offset) - j
    if (nonpad) {
      ONNX_ASSIGN(npe, staticShape(nonpad, "nonpad_kv_seqlen"));
      ONNX_ASSIGN(np64, castTo(im, nonpad, DType::I64));
      ONNX_ASSIGN(npb, im.emitReshape(np64, {npe.empty() ? 1 : npe[0], 1, 1, 1}));
      ONNX_ASSIGN(ql, im.emitScalar(DType::I64, static_cast<double>(qLen)));
      ONNX_ASSIGN(off, im.emit(OpKind::Sub, {npb, ql}));
      ONNX_ASSIGN(p, im.emit(OpKind::Add, {d, off}));
      pos = p;
    } else if (pastLen) {
      ONNX_ASSIGN(off, im.emitScalar(DType::I64, static_cast<double>(pastLen)));
      ONNX_ASSIGN(p, im.emit(OpKind::Add, {d, off}));
      pos = p;
    }
    // Each condition that fails adds -inf.
    auto forbid = [&](Value *bad) -> Status {
      ONNX_ASSIGN(b, im.emit(OpKind::Where, {bad, negInf, zero}));
      return addBias(b);
    };
    ONNX_ASSIGN(i0, im.emitScalar(DType::I64, 0.0));
    if (isCausal) {
      // Attend j <= i + offset: forbid pos < 0.
      ONNX_ASSIGN(bad, im.emit(OpKind::Less, {pos, i0}));
      MLC_RETURN_IF_ERROR(forbid(bad));
    }
    if (left >= 0) {
      ONNX_ASSIGN(l, im.emitScalar(DType::I64, static_cast<double>(left)));
      ONNX_ASSIGN(bad, im.emit(OpKind::Greater, {pos, l}));
      MLC_RETURN_IF_ERROR(forbid(bad));
    }
    if (right >= 0) {
      ONNX_ASSIGN(r, im.emitScalar(DType::I64, -static_cast<double>(right)));
      ONNX_ASSIGN(bad, im.emit(OpKind::Less, {pos, r}));
      MLC_RETURN_IF_ERROR(forbid(bad));
    }
  }
  if (nonpad) {
    // Keys at or past nonpad_kv_seqlen[b] are padding.
    ONNX_ASSIGN(npe, staticShape(nonpad, "nonpad_kv_seqlen"));
    ONNX_ASSIGN(np64, castTo(im, nonpad, DType::I64));
    ONNX_ASSIGN(npb, im.emitReshape(np64, {npe.empty() ? 1 : npe[0], 1, 1, 1}));
    ONNX_ASSIGN(keys, axisRange(im, kvLen, 4, 3));
    ONNX_ASSIGN(valid, im.emit(OpKind::Less, {keys, npb}));
    ONNX_ASSIGN(b, im.emit(OpKind::Where, {valid, zero, negInf}));
    MLC_RETURN_IF_ERROR(addBias(b));
  }
  Value *withBias = qk;
  if (bias) {
    ONNX_ASSIGN(a, im.emit(OpKind::Add, {qk, bias}));
    withBias = a;
  }
  // The softmax over keys, in softmax_precision when given.
  Value *logits = withBias;
  DType sdt = dt;
  if (ctx.hasAttr("softmax_precision")) {
    ONNX_ASSIGN(sp, ctx.intAttr("softmax_precision", 1));
    if (sp < INT32_MIN || sp > INT32_MAX)
      return makeError("attribute 'softmax_precision' is not an ONNX type");
    ONNX_ASSIGN(spt, convertDType(static_cast<int32_t>(sp)));
    if (!isFloat(spt))
      return makeError("attribute 'softmax_precision' must be a float type");
    sdt = spt;
    ONNX_ASSIGN(c, castTo(im, logits, sdt));
    logits = c;
  }
  int64_t last = 3;
  AttributeMap overKeys{{"axes", std::vector<int64_t>{last}},
                        {"keepdims", int64_t(1)}};
  ONNX_ASSIGN(sZero, im.emitScalar(sdt, 0.0));
  ONNX_ASSIGN(sOne, im.emitScalar(sdt, 1.0));
  ONNX_ASSIGN(sNegInf, im.emitScalar(sdt, -kInf));
  ONNX_ASSIGN(mx, im.emit(OpKind::ReduceMax, {logits}, overKeys));
  ONNX_ASSIGN(mxInf, im.emit(OpKind::Equal, {mx, sNegInf}));
  ONNX_ASSIGN(safeMax, im.emit(OpKind::Where, {mxInf, sZero, mx}));
  ONNX_ASSIGN(shifted, im.emit(OpKind::Sub, {logits, safeMax}));
  ONNX_ASSIGN(e, im.emit(OpKind::Exp, {shifted}));
  ONNX_ASSIGN(sum, im.emit(OpKind::ReduceSum, {e}, overKeys));
  ONNX_ASSIGN(sumZero, im.emit(OpKind::Equal, {sum, sZero}));
  ONNX_ASSIGN(safeSum, im.emit(OpKind::Where, {sumZero, sOne, sum}));
  ONNX_ASSIGN(probs0, im.emit(OpKind::Div, {e, safeSum}));
  Value *probs = probs0;
  if (bias) {
    // Rows whose bias is all -inf attend nothing: 0.
    ONNX_ASSIGN(bmax, im.emit(OpKind::ReduceMax, {bias},
                              AttributeMap{{"axes", std::vector<int64_t>{
                                                static_cast<int64_t>(
                                                    bias->type().rank() - 1)}},
                                           {"keepdims", int64_t(1)}}));
    ONNX_ASSIGN(masked, im.emit(OpKind::Equal, {bmax, negInf}));
    ONNX_ASSIGN(guarded, im.emit(OpKind::Where, {masked, sZero, probs}));
    probs = guarded;
  }
  if (ctx.outputs.size() > 3 && ctx.outputUsed[3]) {
    Value *exposed = mode == 3 ? probs : mode == 2 ? withBias : qk;
    ONNX_ASSIGN(c, castTo(im, exposed, dt, ctx.outputName(3)));
    ctx.outputs[3] = c;
  }
  ONNX_ASSIGN(pc, castTo(im, probs, dt));
  if (!threeD)
    return setOutput(ctx, 0,
                     im.emit(OpKind::MatMul, {pc, v}, {}, ctx.outputName(0)));
  ONNX_ASSIGN(y4, im.emit(OpKind::MatMul, {pc, v}));
  ONNX_ASSIGN(yt, im.emit(OpKind::Transpose, {y4}, swap));
  ONNX_ASSIGN(ye, staticShape(yt, "the attention output"));
  return setOutput(ctx, 0,
                   im.emitReshape(yt, {ye[0], ye[1], ye[2] * ye[3]},
                                  ctx.outputName(0)));
}

/// A scale or zero point of Quantize/DequantizeLinear made broadcastable to
/// x (extents `ext`), as onnx's reference reshape_input: a scalar as is, a
/// 1-D per-axis vector along `axis`, or with `block` > 0 each element
/// repeated `block` times along axis (and cut to the axis extent).
Expected<Value *> quantParam(Importer &im, Value *v,
                             const std::vector<int64_t> &ext, int64_t axis,
                             int64_t block) {
  ONNX_ASSIGN(ve, staticShape(v, "a scale or zero point"));
  ONNX_ASSIGN(count, elementCount(makeShape(ve)));
  if (ve.empty())
    return v;
  if (count == 1)
    return im.emitReshape(v, {});
  ONNX_ASSIGN(a, normalizeAxis(axis, static_cast<int64_t>(ext.size())));
  axis = a;
  if (block == 0) {
    if (ve.size() != 1 || ve[0] != ext[axis])
      return makeError("per-axis " + typeToString(v->type()) +
                       " must be 1-D with the axis extent " +
                       std::to_string(ext[axis]));
    std::vector<int64_t> dims(ext.size(), 1);
    dims[axis] = ve[0];
    return im.emitReshape(v, dims);
  }
  if (block < 0 || ve.size() != ext.size())
    return makeError("blocked " + typeToString(v->type()) +
                     " must have the input's rank and a positive block_size");
  int64_t nb = ve[axis];
  if (nb * block < ext[axis])
    return makeError("blocked " + typeToString(v->type()) + " does not cover " +
                     std::to_string(ext[axis]) + " elements in blocks of " +
                     std::to_string(block));
  std::vector<int64_t> split = ve, expanded = ve, joined = ve;
  split.insert(split.begin() + axis + 1, 1);
  expanded.insert(expanded.begin() + axis + 1, block);
  joined[axis] = nb * block;
  ONNX_ASSIGN(r, im.emitReshape(v, split));
  AttributeMap to{{"shape", expanded}};
  ONNX_ASSIGN(e, im.emit(OpKind::Expand, {r}, to));
  ONNX_ASSIGN(j, im.emitReshape(e, joined));
  if (joined[axis] == ext[axis])
    return j;
  std::vector<int64_t> starts(joined.size(), 0), ends = joined,
      steps(joined.size(), 1);
  ends[axis] = ext[axis];
  AttributeMap sl{{"starts", starts}, {"ends", ends}, {"steps", steps}};
  return im.emit(OpKind::Slice, {j}, sl);
}

/// The output_dtype attribute of Quantize/DequantizeLinear, or `def`.
Expected<DType> outputDType(NodeContext &ctx, DType def) {
  ONNX_ASSIGN(to, ctx.intAttr("output_dtype", 0));
  if (to == 0)
    return def;
  if (to < INT32_MIN || to > INT32_MAX)
    return makeError("attribute 'output_dtype' is not an ONNX element type");
  return convertDType(static_cast<int32_t>(to));
}

/// DequantizeLinear: (float32(x) - zero_point) * scale, in f32 (f64 for an
/// f64 scale) as onnx's reference, cast to the scale's or output_dtype.
Status dequantizeLinearOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(scale, ctx.input(1));
  Value *zp = ctx.optionalInput(2);
  if (!isInteger(x->type().dtype) && !isNarrow(x->type().dtype))
    return makeError("x must be an integer, float8 or float4 tensor, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, "DequantizeLinear"));
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", 1));
  ONNX_ASSIGN(block, ctx.intAttr("block_size", 0));
  // The axis matters only for per-axis and blocked parameters.
  int64_t axis = axisAttr;
  Importer &im = ctx.importer;
  DType sdt = scale->type().dtype;
  DType cdt = sdt == DType::F64 ? DType::F64 : DType::F32;
  ONNX_ASSIGN(out, outputDType(ctx, sdt));
  ONNX_ASSIGN(xf, castTo(im, x, cdt));
  Value *dx = xf;
  if (zp) {
    // Cast first: the broadcasting views take no narrow types.
    ONNX_ASSIGN(zc, castTo(im, zp, cdt));
    ONNX_ASSIGN(zf, quantParam(im, zc, ext, axis, block));
    ONNX_ASSIGN(d, im.emit(OpKind::Sub, {xf, zf}));
    dx = d;
  }
  ONNX_ASSIGN(sc, quantParam(im, scale, ext, axis, block));
  ONNX_ASSIGN(sf, castTo(im, sc, cdt));
  ONNX_ASSIGN(y, im.emit(OpKind::Mul, {dx, sf}));
  return setOutput(ctx, 0, castTo(im, y, out, ctx.outputName(0)));
}

/// QuantizeLinear to u8/i8/u16/i16: clip(round_half_even(x / scale) +
/// zero_point) as onnx's reference (the division in the wider of the two
/// float types).
Status quantizeLinearOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(scale, ctx.input(1));
  Value *zp = ctx.optionalInput(2);
  DType xdt = x->type().dtype, sdt = scale->type().dtype;
  if (!isFloat(xdt) || !isFloat(sdt))
    return makeError("x and y_scale must be float tensors");
  ONNX_ASSIGN(ext, staticShape(x, "QuantizeLinear"));
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", 1));
  ONNX_ASSIGN(block, ctx.intAttr("block_size", 0));
  // The axis matters only for per-axis and blocked parameters.
  int64_t axis = axisAttr;
  ONNX_ASSIGN(out, outputDType(ctx, zp ? zp->type().dtype : DType::U8));
  if (zp && zp->type().dtype != out)
    return makeError("output_dtype does not match the zero point's type");
  double lo = 0, hi = 0;
  bool narrowFloat = isNarrowFloat(out);
  switch (out) {
  case DType::U8:
    hi = 255;
    break;
  case DType::U4:
    hi = 15;
    break;
  case DType::I4:
    lo = -8, hi = 7;
    break;
  case DType::U2:
    hi = 3;
    break;
  case DType::I2:
    lo = -2, hi = 1;
    break;
  case DType::F8E4M3FN:
  case DType::F8E4M3FNUZ:
  case DType::F8E5M2:
  case DType::F8E5M2FNUZ:
  case DType::F4E2M1:
    break;
  case DType::I8:
    lo = -128, hi = 127;
    break;
  case DType::U16:
    hi = 65535;
    break;
  case DType::I16:
    lo = -32768, hi = 32767;
    break;
  default:
    return makeError(std::string("quantizing to ") +
                     std::string(dtypeName(out)) + " is not supported");
  }
  Importer &im = ctx.importer;
  DType cdt = dtypeSize(xdt) >= dtypeSize(sdt) ? xdt : sdt;
  if (ctx.hasAttr("precision")) {
    ONNX_ASSIGN(pr, ctx.intAttr("precision", 0));
    if (pr != 0) {
      if (pr < INT32_MIN || pr > INT32_MAX)
        return makeError("attribute 'precision' is not an ONNX element type");
      ONNX_ASSIGN(pt, convertDType(static_cast<int32_t>(pr)));
      cdt = pt;
    }
  }
  ONNX_ASSIGN(xc, castTo(im, x, cdt));
  ONNX_ASSIGN(sc, quantParam(im, scale, ext, axis, block));
  ONNX_ASSIGN(scc, castTo(im, sc, cdt));
  ONNX_ASSIGN(q, im.emit(OpKind::Div, {xc, scc}));
  if (narrowFloat) {
    // As onnx's reference: float8 ignores the zero point (it must be 0) and
    // saturates unless `saturate` = 0; float4 adds it and always saturates.
    Value *v = q;
    if (zp && out == DType::F4E2M1) {
      ONNX_ASSIGN(zc, castTo(im, zp, cdt));
      ONNX_ASSIGN(z, quantParam(im, zc, ext, axis, block));
      ONNX_ASSIGN(a, im.emit(OpKind::Add, {q, z}));
      v = a;
    }
    ONNX_ASSIGN(attrs, castAttrs(ctx, out));
    return setOutput(ctx, 0,
                     im.emit(OpKind::Cast, {v}, attrs, ctx.outputName(0)));
  }
  ONNX_ASSIGN(r, im.emit(OpKind::Round, {q}));
  ONNX_ASSIGN(ri, castTo(im, r, DType::I32));
  Value *sum = ri;
  if (zp) {
    ONNX_ASSIGN(zc, castTo(im, zp, DType::I32));
    ONNX_ASSIGN(zi, quantParam(im, zc, ext, axis, block));
    ONNX_ASSIGN(a, im.emit(OpKind::Add, {ri, zi}));
    sum = a;
  }
  AttributeMap range{{"min", lo}, {"max", hi}};
  ONNX_ASSIGN(c, im.emit(OpKind::Clip, {sum}, range));
  return setOutput(ctx, 0, castTo(im, c, out, ctx.outputName(0)));
}

/// QLinearMatMul with per-tensor scales and zero points, as onnx's
/// reference: an exact i32 matmul of the zero-point-shifted inputs, scaled
/// by a_scale * b_scale / y_scale (in the scales' type) in f64, rounded half
/// to even, shifted by y_zero_point and saturated.
Status qlinearMatMulOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(in, requiredInputs(ctx, 8));
  Value *a = in[0], *as = in[1], *az = in[2], *b = in[3], *bs = in[4],
        *bz = in[5], *ys = in[6], *yz = in[7];
  MLC_RETURN_IF_ERROR(requireOneValue(
      {as, az, bs, bz, ys, yz},
      "scales and zero points (only per-tensor ones are supported)"));
  Importer &im = ctx.importer;
  auto shifted = [&](Value *x, Value *z) -> Expected<Value *> {
    ONNX_ASSIGN(xi, castTo(im, x, DType::I32));
    ONNX_ASSIGN(zs, im.emitReshape(z, {}));
    ONNX_ASSIGN(zi, castTo(im, zs, DType::I32));
    return im.emit(OpKind::Sub, {xi, zi});
  };
  ONNX_ASSIGN(ai, shifted(a, az));
  ONNX_ASSIGN(bi, shifted(b, bz));
  if (ai->type().rank() < 2 || bi->type().rank() < 2)
    return makeError("a and b must have rank >= 2");
  ONNX_ASSIGN(c, im.emit(OpKind::MatMul, {ai, bi}));
  ONNX_ASSIGN(asr, im.emitReshape(as, {}));
  ONNX_ASSIGN(bsr, im.emitReshape(bs, {}));
  ONNX_ASSIGN(ysr, im.emitReshape(ys, {}));
  ONNX_ASSIGN(c64, castTo(im, c, DType::F64));
  return requantize(ctx, c64, asr, bsr, ysr, yz);
}

/// DynamicQuantizeLinear: u8 quantization with the scale and zero point
/// from the input's range (extended to include 0), as onnx's reference.
Status dynamicQuantizeLinearOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  if (x->type().dtype != DType::F32)
    return makeError("x must be f32, got " + typeToString(x->type()));
  Importer &im = ctx.importer;
  std::vector<int64_t> all;
  for (int64_t i = 0; i < x->type().rank(); ++i)
    all.push_back(i);
  AttributeMap overAll{{"axes", all}, {"keepdims", int64_t(0)}};
  ONNX_ASSIGN(zero, im.emitScalar(DType::F32, 0.0));
  ONNX_ASSIGN(one, im.emitScalar(DType::F32, 1.0));
  ONNX_ASSIGN(q255, im.emitScalar(DType::F32, 255.0));
  Value *mx = x, *mn = x;
  if (!all.empty()) {
    ONNX_ASSIGN(m1, im.emit(OpKind::ReduceMax, {x}, overAll));
    ONNX_ASSIGN(m2, im.emit(OpKind::ReduceMin, {x}, overAll));
    mx = m1;
    mn = m2;
  }
  ONNX_ASSIGN(maxx, im.emit(OpKind::Max, {mx, zero}));
  ONNX_ASSIGN(minx, im.emit(OpKind::Min, {mn, zero}));
  ONNX_ASSIGN(same, im.emit(OpKind::Equal, {maxx, minx}));
  ONNX_ASSIGN(span, im.emit(OpKind::Sub, {maxx, minx}));
  ONNX_ASSIGN(safe, im.emit(OpKind::Where, {same, one, span}));
  ONNX_ASSIGN(scale, im.emit(OpKind::Div, {safe, q255}, {},
                             ctx.outputs.size() > 1 ? ctx.outputName(1) : ""));
  ONNX_ASSIGN(ms, im.emit(OpKind::Div, {minx, scale}));
  ONNX_ASSIGN(z0, im.emit(OpKind::Sub, {zero, ms}));
  AttributeMap range{{"min", 0.0}, {"max", 255.0}};
  ONNX_ASSIGN(zc, im.emit(OpKind::Clip, {z0}, range));
  ONNX_ASSIGN(zr, im.emit(OpKind::Round, {zc}));
  if (ctx.outputs.size() > 2) {
    ONNX_ASSIGN(zpOut, castTo(im, zr, DType::U8, ctx.outputName(2)));
    ctx.outputs[2] = zpOut;
  }
  if (ctx.outputs.size() > 1)
    ctx.outputs[1] = scale;
  ONNX_ASSIGN(xs, im.emit(OpKind::Div, {x, scale}));
  ONNX_ASSIGN(xr, im.emit(OpKind::Round, {xs}));
  ONNX_ASSIGN(y, im.emit(OpKind::Add, {xr, zr}));
  ONNX_ASSIGN(yc, im.emit(OpKind::Clip, {y}, range));
  return setOutput(ctx, 0, castTo(im, yc, DType::U8, ctx.outputName(0)));
}

/// Einsum of one or two operands: a repeated index in a term first takes
/// the diagonal; then it sums out the indices only one side has, then one
/// batched matmul (batch, free-left, contracted) x (batch, contracted,
/// free-right), and a transpose to the output order. "..." stands for the same
/// leading dims in every term (named by digits internally).
Status einsumOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(eq, ctx.stringAttr("equation", ""));
  std::string e;
  for (char c : eq)
    if (c != ' ')
      e += c;
  size_t arrow = e.find("->");
  std::string lhs = e.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (terms.size() != ctx.numInputs() || terms.size() > 2)
    return makeError("equation \"" + eq + "\" needs one term per input, and "
                     "at most two inputs are supported");
  std::vector<Value *> ops;
  std::vector<std::vector<int64_t>> exts;
  for (size_t i = 0; i < terms.size(); ++i) {
    ONNX_ASSIGN(v, ctx.input(i));
    ONNX_ASSIGN(x, staticShape(v, "Einsum"));
    ops.push_back(v);
    exts.push_back(x);
  }
  // Expand "..." into digit names, right-aligned across terms.
  int64_t ellipsisRank = 0;
  auto expand = [&](std::string t, int64_t rank) -> Expected<std::string> {
    size_t dots = t.find("...");
    if (dots == std::string::npos)
      return t;
    int64_t k = rank - static_cast<int64_t>(t.size() - 3);
    if (k < 0 || k > 10)
      return makeError("equation \"" + eq + "\" does not fit the ranks");
    std::string names;
    for (int64_t j = 0; j < k; ++j)
      names += static_cast<char>('0' + (10 - k + j));
    ellipsisRank = std::max(ellipsisRank, k);
    return t.substr(0, dots) + names + t.substr(dots + 3);
  };
  std::map<char, int64_t> extent, uses;
  std::set<char> repeated; // implicit outputs leave them out (traces)
  Importer &im = ctx.importer;
  for (size_t i = 0; i < terms.size(); ++i) {
    ONNX_ASSIGN(t0, expand(terms[i], static_cast<int64_t>(exts[i].size())));
    std::string t = t0;
    if (t.size() != exts[i].size())
      return makeError("term \"" + t + "\" does not match input " +
                       std::to_string(i) + " of rank " +
                       std::to_string(exts[i].size()));
    // A repeated index takes the diagonal: both dims moved last, merged,
    // and every (n + 1)-th element kept; the index then appears once.
    for (size_t d = 0; d < t.size(); ++d) {
      size_t q = t.find(t[d], d + 1);
      if (q == std::string::npos)
        continue;
      std::vector<int64_t> &ext = exts[i];
      if (ext[d] != ext[q])
        return makeError("repeated index '" + std::string(1, t[d]) +
                         "' spans dims of different extents");
      std::vector<int64_t> perm, kept;
      std::string rest;
      for (size_t j = 0; j < t.size(); ++j)
        if (j != d && j != q) {
          perm.push_back(static_cast<int64_t>(j));
          kept.push_back(ext[j]);
          rest += t[j];
        }
      perm.push_back(static_cast<int64_t>(d));
      perm.push_back(static_cast<int64_t>(q));
      int64_t n = ext[d];
      ONNX_ASSIGN(tr, im.emit(OpKind::Transpose, {ops[i]}, {{"perm", perm}}));
      std::vector<int64_t> merged = kept;
      merged.push_back(n * n);
      ONNX_ASSIGN(flat, im.emitReshape(tr, merged));
      std::vector<int64_t> starts(merged.size(), 0), steps(merged.size(), 1);
      std::vector<int64_t> ends = merged;
      steps.back() = n + 1;
      ONNX_ASSIGN(
          diag,
          im.emit(OpKind::Slice, {flat},
                  {{"starts", starts}, {"ends", ends}, {"steps", steps}}));
      ops[i] = diag;
      repeated.insert(t[d]);
      kept.push_back(n);
      ext = kept;
      t = rest + t[d];
      d = static_cast<size_t>(-1); // rescan the new term
    }
    terms[i] = t;
    for (size_t d = 0; d < t.size(); ++d) {
      char c = t[d];
      if (extent.count(c) && extent[c] != exts[i][d])
        return makeError("index '" + std::string(1, c) +
                         "' has different extents");
      extent[c] = exts[i][d];
      ++uses[c];
    }
  }
  std::string outTerm;
  if (arrow != std::string::npos) {
    std::string o = e.substr(arrow + 2);
    size_t dots = o.find("...");
    if (dots != std::string::npos) {
      std::string names;
      for (int64_t j = 0; j < ellipsisRank; ++j)
        names += static_cast<char>('0' + (10 - ellipsisRank + j));
      o = o.substr(0, dots) + names + o.substr(dots + 3);
    }
    outTerm = o;
  } else {
    for (int64_t j = 0; j < ellipsisRank; ++j)
      outTerm += static_cast<char>('0' + (10 - ellipsisRank + j));
    for (const auto &[c, n] : uses)
      if (n == 1 && !(c >= '0' && c <= '9') && !repeated.count(c))
        outTerm += c;
  }
  for (size_t d = 0; d < outTerm.size(); ++d)
    if (!extent.count(outTerm[d]) || outTerm.find(outTerm[d]) != d)
      return makeError("output term \"" + outTerm + "\" is invalid");
  auto inOut = [&](char c) { return outTerm.find(c) != std::string::npos; };
  // Sum out the indices that only this operand has and the output lacks.
  for (size_t i = 0; i < ops.size(); ++i) {
    const std::string &other = ops.size() == 2 ? terms[1 - i] : std::string();
    std::vector<int64_t> axes;
    std::string kept;
    for (size_t d = 0; d < terms[i].size(); ++d) {
      char c = terms[i][d];
      if (!inOut(c) && other.find(c) == std::string::npos)
        axes.push_back(static_cast<int64_t>(d));
      else
        kept += c;
    }
    if (axes.empty())
      continue;
    AttributeMap attrs{{"axes", axes}, {"keepdims", int64_t(0)}};
    ONNX_ASSIGN(r, im.emit(OpKind::ReduceSum, {ops[i]}, attrs));
    ops[i] = r;
    terms[i] = kept;
  }
  // Transposes `v` (indices `from`) to the order `to`.
  auto permute = [&](Value *v, const std::string &from,
                     const std::string &to) -> Expected<Value *> {
    std::vector<int64_t> perm;
    bool identity = true;
    for (size_t d = 0; d < to.size(); ++d) {
      perm.push_back(static_cast<int64_t>(from.find(to[d])));
      identity &= perm.back() == static_cast<int64_t>(d);
    }
    if (identity)
      return v;
    AttributeMap attrs{{"perm", perm}};
    return im.emit(OpKind::Transpose, {v}, attrs);
  };
  auto product = [&](const std::string &idx) {
    int64_t p = 1;
    for (char c : idx)
      p *= extent[c];
    return p;
  };
  auto extentsOf = [&](const std::string &idx) {
    std::vector<int64_t> v;
    for (char c : idx)
      v.push_back(extent[c]);
    return v;
  };
  const std::string out = ctx.outputName(0);
  if (ops.size() == 1) {
    ONNX_ASSIGN(t, permute(ops[0], terms[0], outTerm));
    return setOutput(ctx, 0, im.emitReshape(t, extentsOf(outTerm), out));
  }
  std::string batch, contr, freeA, freeB;
  for (char c : terms[0]) {
    bool inB = terms[1].find(c) != std::string::npos;
    (inB ? (inOut(c) ? batch : contr) : freeA) += c;
  }
  for (char c : terms[1])
    if (terms[0].find(c) == std::string::npos)
      freeB += c;
  ONNX_ASSIGN(at, permute(ops[0], terms[0], batch + freeA + contr));
  ONNX_ASSIGN(bt, permute(ops[1], terms[1], batch + contr + freeB));
  ONNX_ASSIGN(a3, im.emitReshape(at, {product(batch), product(freeA),
                                      product(contr)}));
  ONNX_ASSIGN(b3, im.emitReshape(bt, {product(batch), product(contr),
                                      product(freeB)}));
  ONNX_ASSIGN(m, im.emit(OpKind::MatMul, {a3, b3}));
  std::string got = batch + freeA + freeB;
  ONNX_ASSIGN(mr, im.emitReshape(m, extentsOf(got)));
  ONNX_ASSIGN(t, permute(mr, got, outTerm));
  return setOutput(ctx, 0, im.emitReshape(t, extentsOf(outTerm), out));
}

/// ScatterElements (and the old Scatter): the updates land where a one-hot
/// mask (indices == the data positions along axis, one new dim per index)
/// holds; a reduction over the index dim combines them (a sum for "none",
/// where ONNX leaves duplicates undefined) and with the data.
Status scatterElementsOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(data, ctx.input(0));
  ONNX_ASSIGN(indices, ctx.input(1));
  ONNX_ASSIGN(updates, ctx.input(2));
  ONNX_ASSIGN(reduction, ctx.stringAttr("reduction", "none"));
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", 0));
  int64_t rank = data->type().rank();
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, rank));
  ONNX_ASSIGN(de, staticShape(data, "ScatterElements data"));
  ONNX_ASSIGN(ie, staticShape(indices, "ScatterElements indices"));
  ONNX_ASSIGN(ue, staticShape(updates, "ScatterElements updates"));
  DType dt = data->type().dtype;
  if (ie != ue || static_cast<int64_t>(ie.size()) != rank)
    return makeError("indices and updates must have the same shape and the "
                     "data's rank");
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && ie[d] > de[d])
      return makeError("indices dim " + std::to_string(d) +
                       " exceeds the data dim");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return makeError("reduction \"" + reduction + "\" is not supported");
  if ((reduction == "max" || reduction == "min") && !isFloat(dt))
    return makeError("reduction \"" + reduction +
                     "\" on integers is not supported");
  if (indices->type().dtype != DType::I32 &&
      indices->type().dtype != DType::I64)
    return makeError("indices must be i32 or i64");
  Importer &im = ctx.importer;
  int64_t n = de[axis];
  ONNX_ASSIGN(idx, castTo(im, indices, DType::I64));
  ONNX_ASSIGN(zero64, im.emitScalar(DType::I64, 0.0));
  ONNX_ASSIGN(n64, im.emitScalar(DType::I64, static_cast<double>(n)));
  ONNX_ASSIGN(neg, im.emit(OpKind::Less, {idx, zero64}));
  ONNX_ASSIGN(wrapped, im.emit(OpKind::Add, {idx, n64}));
  ONNX_ASSIGN(fixedIdx, im.emit(OpKind::Where, {neg, wrapped, idx}));
  // [..., m, 1, ...] against a range over the new dim axis + 1.
  std::vector<int64_t> split = ie;
  split.insert(split.begin() + axis + 1, 1);
  ONNX_ASSIGN(iu, im.emitReshape(fixedIdx, split));
  ONNX_ASSIGN(uu, im.emitReshape(updates, split));
  ONNX_ASSIGN(r, axisRange(im, n, rank + 1, axis + 1));
  ONNX_ASSIGN(hot, im.emit(OpKind::Equal, {iu, r}));
  double neutral = reduction == "mul" ? 1.0
                   : reduction == "max" ? -kInf
                   : reduction == "min" ? kInf
                                        : 0.0;
  OpKind reduce = reduction == "mul"   ? OpKind::ReduceProd
                  : reduction == "max" ? OpKind::ReduceMax
                  : reduction == "min" ? OpKind::ReduceMin
                                       : OpKind::ReduceSum;
  ONNX_ASSIGN(neutralV, im.emitScalar(dt, neutral));
  ONNX_ASSIGN(masked, im.emit(OpKind::Where, {hot, uu, neutralV}));
  AttributeMap overM{{"axes", std::vector<int64_t>{axis}},
                     {"keepdims", int64_t(0)}};
  ONNX_ASSIGN(combined, im.emit(reduce, {masked}, overM));
  ONNX_ASSIGN(hot32, castTo(im, hot, DType::I32));
  ONNX_ASSIGN(count, im.emit(OpKind::ReduceSum, {hot32}, overM));
  // Pad what covers only part of the data (indices dims below the data's).
  std::vector<int64_t> pads(2 * rank, 0);
  bool partial = false;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && ie[d] < de[d]) {
      pads[rank + d] = de[d] - ie[d];
      partial = true;
    }
  if (partial) {
    AttributeMap pc{{"pads", pads}, {"mode", std::string("constant")},
                    {"value", neutral}};
    ONNX_ASSIGN(c2, im.emit(OpKind::Pad, {combined}, pc));
    combined = c2;
    AttributeMap pz{{"pads", pads}, {"mode", std::string("constant")},
                    {"value", 0.0}};
    ONNX_ASSIGN(n2, im.emit(OpKind::Pad, {count}, pz));
    count = n2;
  }
  ONNX_ASSIGN(zero32, im.emitScalar(DType::I32, 0.0));
  ONNX_ASSIGN(hit, im.emit(OpKind::Greater, {count, zero32}));
  const std::string out = ctx.outputName(0);
  if (reduction == "none")
    return setOutput(ctx, 0,
                     im.emit(OpKind::Where, {hit, combined, data}, {}, out));
  OpKind merge = reduction == "add"   ? OpKind::Add
                 : reduction == "mul" ? OpKind::Mul
                 : reduction == "max" ? OpKind::Max
                                      : OpKind::Min;
  ONNX_ASSIGN(merged, im.emit(merge, {data, combined}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Where, {hit, merged, data}, {}, out));
}

/// ScatterND: the index tuples linearized over the first q data dims, then
/// the data as [N, R] and the updates as [P, R] combined as in
/// ScatterElements through a [P, N] one-hot mask (O(P N R) memory).
Status scatterNDOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(data, ctx.input(0));
  ONNX_ASSIGN(indices, ctx.input(1));
  ONNX_ASSIGN(updates, ctx.input(2));
  ONNX_ASSIGN(reduction, ctx.stringAttr("reduction", "none"));
  ONNX_ASSIGN(de, staticShape(data, "ScatterND data"));
  ONNX_ASSIGN(ie, staticShape(indices, "ScatterND indices"));
  ONNX_ASSIGN(ue, staticShape(updates, "ScatterND updates"));
  DType dt = data->type().dtype;
  if (ie.empty())
    return makeError("indices must have rank >= 1");
  int64_t q = ie.back();
  int64_t rank = static_cast<int64_t>(de.size());
  if (q < 1 || q > rank)
    return makeError("the index tuples must have 1..rank elements");
  std::vector<int64_t> want(ie.begin(), ie.end() - 1);
  want.insert(want.end(), de.begin() + q, de.end());
  if (ue != want)
    return makeError("updates must have shape " + joinInts(want));
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return makeError("reduction \"" + reduction + "\" is not supported");
  if ((reduction == "max" || reduction == "min") && !isFloat(dt))
    return makeError("reduction \"" + reduction +
                     "\" on integers is not supported");
  if (indices->type().dtype != DType::I64 &&
      indices->type().dtype != DType::I32)
    return makeError("indices must be i32 or i64");
  int64_t p = 1, n = 1, r = 1;
  for (size_t i = 0; i + 1 < ie.size(); ++i)
    p *= ie[i];
  for (int64_t i = 0; i < q; ++i)
    n *= de[i];
  for (int64_t i = q; i < rank; ++i)
    r *= de[i];
  Importer &im = ctx.importer;
  // Linear index: sum of (idx_j wrapped into [0, d_j)) * stride_j.
  ONNX_ASSIGN(idx, castTo(im, indices, DType::I64));
  ONNX_ASSIGN(flat, im.emitReshape(idx, {p, q}));
  std::vector<int64_t> extents(de.begin(), de.begin() + q), strides(q, 1);
  for (int64_t j = q - 2; j >= 0; --j)
    strides[j] = strides[j + 1] * de[j + 1];
  ONNX_ASSIGN(extV, im.emitInts(extents));
  ONNX_ASSIGN(strideV, im.emitInts(strides));
  ONNX_ASSIGN(zero64, im.emitScalar(DType::I64, 0.0));
  ONNX_ASSIGN(neg, im.emit(OpKind::Less, {flat, zero64}));
  ONNX_ASSIGN(wrapped, im.emit(OpKind::Add, {flat, extV}));
  ONNX_ASSIGN(fixedIdx, im.emit(OpKind::Where, {neg, wrapped, flat}));
  ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {fixedIdx, strideV}));
  AttributeMap overQ{{"axes", std::vector<int64_t>{1}},
                     {"keepdims", int64_t(1)}};
  ONNX_ASSIGN(lin, im.emit(OpKind::ReduceSum, {scaled}, overQ)); // [P, 1]
  ONNX_ASSIGN(range, axisRange(im, n, 2, 1));                     // [1, N]
  ONNX_ASSIGN(hot, im.emit(OpKind::Equal, {lin, range}));         // [P, N]
  ONNX_ASSIGN(hot3, im.emitReshape(hot, {p, n, 1}));
  ONNX_ASSIGN(u3, im.emitReshape(updates, {p, 1, r}));
  double neutral = reduction == "mul" ? 1.0
                   : reduction == "max" ? -kInf
                   : reduction == "min" ? kInf
                                        : 0.0;
  OpKind reduce = reduction == "mul"   ? OpKind::ReduceProd
                  : reduction == "max" ? OpKind::ReduceMax
                  : reduction == "min" ? OpKind::ReduceMin
                                       : OpKind::ReduceSum;
  ONNX_ASSIGN(neutralV, im.emitScalar(dt, neutral));
  ONNX_ASSIGN(masked, im.emit(OpKind::Where, {hot3, u3, neutralV}));
  AttributeMap overP{{"axes", std::vector<int64_t>{0}},
                     {"keepdims", int64_t(0)}};
  ONNX_ASSIGN(combined, im.emit(reduce, {masked}, overP)); // [N, R]
  ONNX_ASSIGN(hot32, castTo(im, hot, DType::I32));
  ONNX_ASSIGN(count, im.emit(OpKind::ReduceSum, {hot32}, overP)); // [N]
  ONNX_ASSIGN(zero32, im.emitScalar(DType::I32, 0.0));
  ONNX_ASSIGN(hit1, im.emit(OpKind::Greater, {count, zero32}));
  ONNX_ASSIGN(hit, im.emitReshape(hit1, {n, 1}));
  ONNX_ASSIGN(d2, im.emitReshape(data, {n, r}));
  Value *result = nullptr;
  if (reduction == "none") {
    ONNX_ASSIGN(w, im.emit(OpKind::Where, {hit, combined, d2}));
    result = w;
  } else {
    OpKind merge = reduction == "add"   ? OpKind::Add
                   : reduction == "mul" ? OpKind::Mul
                   : reduction == "max" ? OpKind::Max
                                        : OpKind::Min;
    ONNX_ASSIGN(merged, im.emit(merge, {d2, combined}));
    ONNX_ASSIGN(w, im.emit(OpKind::Where, {hit, merged, d2}));
    result = w;
  }
  return setOutput(ctx, 0, im.emitReshape(result, de, ctx.outputName(0)));
}

/// GatherND: each index tuple (negative entries wrapped) linearized over
/// its data dims, offset by its batch, then one gather from the data viewed
/// as [batches * indexed positions, rest].
Status gatherNDOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(data, ctx.input(0));
  ONNX_ASSIGN(indices, ctx.input(1));
  ONNX_ASSIGN(b, ctx.intAttr("batch_dims", 0));
  ONNX_ASSIGN(de, staticShape(data, "GatherND data"));
  ONNX_ASSIGN(ie, staticShape(indices, "GatherND indices"));
  if (ie.empty() || indices->type().dtype != DType::I64)
    return makeError("indices must be an i64 tensor of rank >= 1");
  int64_t q = ie.back(), rank = static_cast<int64_t>(de.size());
  int64_t irank = static_cast<int64_t>(ie.size());
  if (b < 0 || b >= irank || b + q > rank || q < 1)
    return makeError("batch_dims and the index tuple size do not fit");
  int64_t batches = 1, positions = 1, n = 1, r = 1;
  for (int64_t i = 0; i < b; ++i) {
    if (ie[i] != de[i])
      return makeError("the batch dims of data and indices differ");
    batches *= de[i];
  }
  for (int64_t i = b; i + 1 < irank; ++i)
    positions *= ie[i];
  for (int64_t i = b; i < b + q; ++i)
    n *= de[i];
  for (int64_t i = b + q; i < rank; ++i)
    r *= de[i];
  Importer &im = ctx.importer;
  ONNX_ASSIGN(flat, im.emitReshape(indices, {batches, positions, q}));
  std::vector<int64_t> extents(de.begin() + b, de.begin() + b + q),
      strides(q, 1);
  for (int64_t j = q - 2; j >= 0; --j)
    strides[j] = strides[j + 1] * extents[j + 1];
  ONNX_ASSIGN(extV, im.emitInts(extents));
  ONNX_ASSIGN(strideV, im.emitInts(strides));
  ONNX_ASSIGN(zero64, im.emitScalar(DType::I64, 0.0));
  ONNX_ASSIGN(neg, im.emit(OpKind::Less, {flat, zero64}));
  ONNX_ASSIGN(wrapped, im.emit(OpKind::Add, {flat, extV}));
  ONNX_ASSIGN(fixedIdx, im.emit(OpKind::Where, {neg, wrapped, flat}));
  ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {fixedIdx, strideV}));
  AttributeMap overQ{{"axes", std::vector<int64_t>{2}},
                     {"keepdims", int64_t(0)}};
  ONNX_ASSIGN(lin, im.emit(OpKind::ReduceSum, {scaled}, overQ));
  Value *global = lin;
  if (batches > 1) {
    ONNX_ASSIGN(br, axisRange(im, batches, 2, 0));
    ONNX_ASSIGN(nv, im.emitScalar(DType::I64, static_cast<double>(n)));
    ONNX_ASSIGN(off, im.emit(OpKind::Mul, {br, nv}));
    ONNX_ASSIGN(g, im.emit(OpKind::Add, {lin, off}));
    global = g;
  }
  ONNX_ASSIGN(d2, im.emitReshape(data, {batches * n, r}));
  AttributeMap axis0{{"axis", int64_t(0)}};
  ONNX_ASSIGN(gathered, im.emit(OpKind::Gather, {d2, global}, axis0));
  std::vector<int64_t> out(ie.begin(), ie.end() - 1);
  out.insert(out.end(), de.begin() + b + q, de.end());
  return setOutput(ctx, 0,
                   im.emitReshape(gathered, out, ctx.outputName(0)));
}

/// Most output columns a TfIdfVectorizer may have.
constexpr int64_t kMaxTfIdfOutputs = int64_t{1} << 20;

/// TfIdfVectorizer-9 over integer tokens, as onnx's reference counts: an
/// n-gram of the pool (n in [min_gram_length, max_gram_length]) matches at
/// position s with skip distance d when X[s + k d] is its k-th token for
/// every k; unigrams count at d = 1 only, longer n-grams at every d in
/// [1, max_skip_count + 1]. Per n and d, the tokens at the n strided
/// offsets are compared with the pool's n-grams of that length
/// ([B, P, G] booleans, anded over k) and summed over the positions; a
/// constant [G, O] matrix then adds each n-gram's count into its output
/// column (ngram_indexes). TF keeps the counts, IDF and TFIDF weigh them.
Status tfIdfVectorizerOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  DType xt = x->type().dtype;
  if (xt != DType::I32 && xt != DType::I64)
    return makeError("X must be an int32 or int64 tensor (string tokens are "
                     "not supported), got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(xe, staticShape(x, "X"));
  if (xe.size() != 1 && xe.size() != 2)
    return makeError("X must have rank 1 or 2, got " + typeToString(x->type()));
  ONNX_ASSIGN(mode, ctx.stringAttr("mode", ""));
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF")
    return makeError("mode must be TF, IDF or TFIDF, got '" + mode + "'");
  ONNX_ASSIGN(minN, ctx.intAttr("min_gram_length", 0));
  ONNX_ASSIGN(maxN, ctx.intAttr("max_gram_length", 0));
  ONNX_ASSIGN(maxSkip, ctx.intAttr("max_skip_count", 0));
  ONNX_ASSIGN(counts, ctx.intsAttr("ngram_counts"));
  ONNX_ASSIGN(indexes, ctx.intsAttr("ngram_indexes"));
  ONNX_ASSIGN(pool, ctx.intsAttr("pool_int64s"));
  ONNX_ASSIGN(weights, ctx.floatsAttr("weights"));
  if (ctx.hasAttr("pool_strings"))
    return makeError("pool_strings (string tokens) is not supported");
  if (minN < 1 || maxN < minN || maxSkip < 0)
    return makeError("needs 1 <= min_gram_length <= max_gram_length and "
                     "max_skip_count >= 0");
  if (indexes.empty())
    return makeError("ngram_indexes must not be empty");
  int64_t outSize = 0;
  for (int64_t i : indexes) {
    if (i < 0 || i >= kMaxTfIdfOutputs)
      return makeError("ngram_indexes must lie in [0, " +
                       std::to_string(kMaxTfIdfOutputs) + ")");
    outSize = std::max(outSize, i + 1);
  }
  if (static_cast<int64_t>(indexes.size()) * outSize > kMaxTfIdfOutputs * 16)
    return makeError("the n-gram to output map is too large (" +
                     std::to_string(indexes.size()) + " x " +
                     std::to_string(outSize) + ")");
  if (!weights.empty() && static_cast<int64_t>(weights.size()) != outSize)
    return makeError("weights has " + std::to_string(weights.size()) +
                     " values for " + std::to_string(outSize) + " outputs");
  // The pool's n-grams by length: (tokens, ngram id). A repeated n-gram
  // counts under its last id, as the reference's trie keeps the last.
  std::map<int64_t, std::map<std::vector<int64_t>, int64_t>> grams;
  int64_t id = 0;
  int64_t total = static_cast<int64_t>(pool.size());
  for (size_t level = 0; level < counts.size(); ++level) {
    int64_t n = static_cast<int64_t>(level) + 1;
    int64_t begin = counts[level];
    int64_t end = level + 1 < counts.size() ? counts[level + 1] : total;
    if (begin < 0 || end < begin || end > total || (end - begin) % n != 0)
      return makeError("ngram_counts does not split pool_int64s into whole "
                       "n-grams");
    for (int64_t at = begin; at < end; at += n, ++id) {
      if (id >= static_cast<int64_t>(indexes.size()))
        return makeError("ngram_indexes has fewer entries than the pool has "
                         "n-grams");
      if (n >= minN && n <= maxN)
        grams[n][std::vector<int64_t>(pool.begin() + at,
                                      pool.begin() + at + n)] = id;
    }
  }
  Importer &im = ctx.importer;
  int64_t batch = xe.size() == 2 ? xe[0] : 1;
  int64_t length = xe.back();
  ONNX_ASSIGN(x2, im.emitReshape(x, {batch, length}));
  // Counts per pool n-gram id: [B, ids], summed over n and d.
  std::vector<Value *> terms;
  std::vector<int64_t> termIds;
  for (const auto &[n, table] : grams) {
    int64_t g = static_cast<int64_t>(table.size());
    std::vector<std::vector<double>> column(static_cast<size_t>(n));
    for (const auto &[tokens, gid] : table) {
      for (int64_t k = 0; k < n; ++k)
        column[static_cast<size_t>(k)].push_back(
            static_cast<double>(tokens[static_cast<size_t>(k)]));
      termIds.push_back(gid);
    }
    Value *sum = nullptr;
    int64_t lastSkip = n == 1 ? 1 : std::min(maxSkip, length) + 1;
    for (int64_t d = 1; d <= lastSkip; ++d) {
      int64_t positions = length - d * (n - 1);
      if (positions <= 0)
        break;
      Value *all = nullptr;
      for (int64_t k = 0; k < n; ++k) {
        ONNX_ASSIGN(tok, sliceAxis(ctx, x2, {batch, length}, 1, k * d,
                                   k * d + positions, ""));
        ONNX_ASSIGN(tok3, im.emitReshape(tok, {batch, positions, 1}));
        ONNX_ASSIGN(want,
                    makeTensorFromDoubles(TensorType{xt, makeShape({g})},
                                          column[static_cast<size_t>(k)]));
        ONNX_ASSIGN(wantV, im.emitConstant(std::move(want)));
        ONNX_ASSIGN(eq, im.emit(OpKind::Equal, {tok3, wantV}));
        if (all) {
          ONNX_ASSIGN(both, im.emit(OpKind::And, {all, eq}));
          all = both;
        } else {
          all = eq;
        }
      }
      ONNX_ASSIGN(hits, castTo(im, all, DType::F32));
      AttributeMap over{{"axes", std::vector<int64_t>{1}},
                        {"keepdims", int64_t(0)}};
      ONNX_ASSIGN(c, im.emit(OpKind::ReduceSum, {hits}, over));
      if (sum) {
        ONNX_ASSIGN(added, im.emit(OpKind::Add, {sum, c}));
        sum = added;
      } else {
        sum = c;
      }
    }
    if (!sum) {
      ONNX_ASSIGN(
          zero, makeTensorFromDoubles(
                    TensorType{DType::F32, makeShape({batch, g})},
                    std::vector<double>(static_cast<size_t>(batch * g), 0.0)));
      ONNX_ASSIGN(zeroV, im.emitConstant(std::move(zero)));
      sum = zeroV;
    }
    terms.push_back(sum);
  }
  Value *freq = nullptr;
  if (terms.empty()) {
    ONNX_ASSIGN(zero, makeTensorFromDoubles(
                          TensorType{DType::F32, makeShape({batch, outSize})},
                          std::vector<double>(
                              static_cast<size_t>(batch * outSize), 0.0)));
    ONNX_ASSIGN(zeroV, im.emitConstant(std::move(zero)));
    freq = zeroV;
  } else {
    Value *byId = terms[0];
    if (terms.size() > 1) {
      ONNX_ASSIGN(cat, im.emit(OpKind::Concat, terms, {{"axis", int64_t(1)}}));
      byId = cat;
    }
    // [ids, O]: row j has a 1 in column ngram_indexes[id of j].
    int64_t rows = static_cast<int64_t>(termIds.size());
    std::vector<double> scatter(static_cast<size_t>(rows * outSize), 0.0);
    for (int64_t j = 0; j < rows; ++j)
      scatter[static_cast<size_t>(
          j * outSize + indexes[static_cast<size_t>(termIds[j])])] = 1.0;
    ONNX_ASSIGN(
        m, makeTensorFromDoubles(
               TensorType{DType::F32, makeShape({rows, outSize})}, scatter));
    ONNX_ASSIGN(mV, im.emitConstant(std::move(m)));
    ONNX_ASSIGN(f, im.emit(OpKind::MatMul, {byId, mV}));
    freq = f;
  }
  Value *y = freq;
  if (mode != "TF") {
    ONNX_ASSIGN(zero, im.emitScalar(DType::F32, 0.0));
    Value *w = nullptr;
    if (!weights.empty()) {
      ONNX_ASSIGN(wd,
                  makeTensorFromDoubles(
                      TensorType{DType::F32, makeShape({outSize})}, weights));
      ONNX_ASSIGN(wv, im.emitConstant(std::move(wd)));
      w = wv;
    }
    if (mode == "IDF") {
      ONNX_ASSIGN(seen, im.emit(OpKind::Greater, {freq, zero}));
      ONNX_ASSIGN(one, im.emitScalar(DType::F32, 1.0));
      ONNX_ASSIGN(picked, im.emit(OpKind::Where, {seen, w ? w : one, zero}));
      y = picked;
    } else if (w) {
      ONNX_ASSIGN(weighed, im.emit(OpKind::Mul, {freq, w}));
      y = weighed;
    }
  }
  std::vector<int64_t> outShape = xe.size() == 2
                                      ? std::vector<int64_t>{batch, outSize}
                                      : std::vector<int64_t>{outSize};
  return setOutput(ctx, 0, im.emitReshape(y, outShape, ctx.outputName(0)));
}

/// ReverseSequence: gather_elements along the time axis with indices
/// len[b] - 1 - t below each batch's length and t beyond it.
Status reverseSequenceOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(lens, ctx.input(1));
  ONNX_ASSIGN(batchAttr, ctx.intAttr("batch_axis", 1));
  ONNX_ASSIGN(timeAttr, ctx.intAttr("time_axis", 0));
  int64_t rank = x->type().rank();
  if (rank < 2)
    return makeError("input must have rank >= 2");
  ONNX_ASSIGN(batchAxis, normalizeAxis(batchAttr, rank));
  ONNX_ASSIGN(timeAxis, normalizeAxis(timeAttr, rank));
  if (batchAxis == timeAxis)
    return makeError("batch_axis and time_axis must differ");
  ONNX_ASSIGN(ext, staticShape(x, "ReverseSequence"));
  Importer &im = ctx.importer;
  ONNX_ASSIGN(l64, castTo(im, lens, DType::I64));
  std::vector<int64_t> lshape(rank, 1);
  lshape[batchAxis] = ext[batchAxis];
  ONNX_ASSIGN(l, im.emitReshape(l64, lshape));
  ONNX_ASSIGN(t, axisRange(im, ext[timeAxis], rank, timeAxis));
  ONNX_ASSIGN(inside, im.emit(OpKind::Less, {t, l}));
  ONNX_ASSIGN(one, im.emitScalar(DType::I64, 1.0));
  ONNX_ASSIGN(lm1, im.emit(OpKind::Sub, {l, one}));
  ONNX_ASSIGN(rev, im.emit(OpKind::Sub, {lm1, t}));
  ONNX_ASSIGN(idx, im.emit(OpKind::Where, {inside, rev, t}));
  AttributeMap to{{"shape", ext}};
  ONNX_ASSIGN(full, im.emit(OpKind::Expand, {idx}, to));
  AttributeMap axis{{"axis", timeAxis}};
  return setOutput(ctx, 0,
                   im.emit(OpKind::GatherElements, {x, full}, axis,
                           ctx.outputName(0)));
}

/// CumSum along `axis` of x (static extents `ext`): x moved to [..., n]
/// times a constant 0/1 triangular [n, n] matrix (exclusive / reverse pick
/// the triangle), moved back. O(n^2) per line; exact for integers.
Expected<Value *> cumSumAlong(Importer &im, Value *x,
                              const std::vector<int64_t> &ext, int64_t axis,
                              bool exclusive, bool reverse,
                              const std::string &name) {
  int64_t rank = static_cast<int64_t>(ext.size());
  int64_t n = ext[axis];
  DType dt = x->type().dtype;
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  Value *moved = x;
  if (axis != rank - 1) {
    AttributeMap attrs{{"perm", perm}};
    ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {x}, attrs));
    moved = t;
  }
  int64_t lines = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      lines *= ext[d];
  ONNX_ASSIGN(m2, im.emitReshape(moved, {lines, n}));
  // y[j] = sum over i of x[i] * T[i, j].
  ONNX_ASSIGN(oneData, makeFilledTensor(TensorType{dt, {}}, 1.0));
  size_t elem = static_cast<size_t>(dtypeSize(dt));
  std::vector<uint8_t> bytes(static_cast<size_t>(n * n) * elem, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      bool take = reverse ? (exclusive ? i > j : i >= j)
                          : (exclusive ? i < j : i <= j);
      if (take)
        std::memcpy(bytes.data() + static_cast<size_t>(i * n + j) * elem,
                    oneData.bytes->data(), elem);
    }
  ONNX_ASSIGN(data,
              makeTensorData(TensorType{dt, makeShape({n, n})}, std::move(bytes)));
  ONNX_ASSIGN(tri, im.emitConstant(std::move(data)));
  ONNX_ASSIGN(prod, im.emit(OpKind::MatMul, {m2, tri}));
  std::vector<int64_t> movedExt;
  for (int64_t d : perm)
    movedExt.push_back(ext[d]);
  if (axis == rank - 1)
    return im.emitReshape(prod, movedExt, name);
  ONNX_ASSIGN(back, im.emitReshape(prod, movedExt));
  std::vector<int64_t> inverse(rank);
  for (int64_t d = 0; d < rank; ++d)
    inverse[perm[d]] = d;
  AttributeMap attrs{{"perm", inverse}};
  return im.emit(OpKind::Transpose, {back}, attrs, name);
}

/// CumProd along `axis` by doubling (Hillis-Steele): log2(n) steps of
/// y *= y shifted by 1, 2, 4, ... (shifted-in positions hold 1); exclusive
/// shifts the result by one more. Exact for integers (wrapping products
/// associate).
Expected<Value *> cumProdAlong(Importer &im, Value *x,
                               const std::vector<int64_t> &ext, int64_t axis,
                               bool exclusive, bool reverse,
                               const std::string &name) {
  int64_t rank = static_cast<int64_t>(ext.size());
  int64_t n = ext[axis];
  // v shifted by s toward the scan direction, 1 shifted in.
  auto shift = [&](Value *v, int64_t s,
                   const std::string &outName) -> Expected<Value *> {
    if (s >= n) {
      ONNX_ASSIGN(one, scalarLike(im, v, 1.0));
      AttributeMap to{{"shape", ext}};
      return im.emit(OpKind::Expand, {one}, to, outName);
    }
    std::vector<int64_t> starts(rank, 0), ends = ext, steps(rank, 1);
    std::vector<int64_t> pads(2 * rank, 0);
    if (reverse) {
      starts[axis] = s;
      pads[rank + axis] = s;
    } else {
      ends[axis] = n - s;
      pads[axis] = s;
    }
    AttributeMap sl{{"starts", starts}, {"ends", ends}, {"steps", steps}};
    ONNX_ASSIGN(part, im.emit(OpKind::Slice, {v}, sl));
    AttributeMap pa{{"pads", pads}, {"mode", std::string("constant")},
                    {"value", 1.0}};
    return im.emit(OpKind::Pad, {part}, pa, outName);
  };
  Value *y = x;
  std::vector<int64_t> shifts;
  for (int64_t s = 1; s < n; s *= 2)
    shifts.push_back(s);
  for (size_t i = 0; i < shifts.size(); ++i) {
    ONNX_ASSIGN(sh, shift(y, shifts[i], ""));
    bool last = i + 1 == shifts.size() && !exclusive;
    ONNX_ASSIGN(m, im.emit(OpKind::Mul, {y, sh}, {}, last ? name : ""));
    y = m;
  }
  if (exclusive)
    return shift(y, 1, name);
  if (y == x) {
    AttributeMap to{{"shape", ext}};
    return im.emit(OpKind::Expand, {x}, to, name);
  }
  return y;
}

/// CumSum (kind Add) and CumProd (kind Mul) along the axis; an axis
/// computed at run time selects among the scans along every axis.
Status cumulativeOp(NodeContext &ctx, OpKind kind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(axisIn, ctx.input(1));
  ONNX_ASSIGN(exclusive, ctx.intAttr("exclusive", 0));
  ONNX_ASSIGN(reverse, ctx.intAttr("reverse", 0));
  if (x->type().dtype == DType::Bool)
    return makeError("input must be a number");
  ONNX_ASSIGN(ext, staticShape(x, ctx.proto.op_type()));
  int64_t rank = static_cast<int64_t>(ext.size());
  if (rank == 0)
    return makeError("input must have rank >= 1");
  Importer &im = ctx.importer;
  const std::string out = ctx.outputName(0);
  auto along = [&](int64_t axis, const std::string &name) {
    return kind == OpKind::Mul
               ? cumProdAlong(im, x, ext, axis, exclusive != 0, reverse != 0,
                              name)
               : cumSumAlong(im, x, ext, axis, exclusive != 0, reverse != 0,
                             name);
  };
  if (auto axes = im.requireInts(axisIn, "axis")) {
    if (axes->size() != 1)
      return makeError("axis must have one element");
    ONNX_ASSIGN(axis, normalizeAxis((*axes)[0], rank));
    return setOutput(ctx, 0, along(axis, out));
  }
  if (!isInteger(axisIn->type().dtype) || !isStatic(axisIn->type().shape))
    return makeError("axis must be an integer scalar");
  ONNX_ASSIGN(count, elementCount(axisIn->type().shape));
  if (count != 1)
    return makeError("axis must have one element");
  if (rank == 1)
    return setOutput(ctx, 0, along(0, out));
  // Run-time axis (out-of-range values pick no axis: 0 results).
  ONNX_ASSIGN(a64, castTo(im, axisIn, DType::I64));
  ONNX_ASSIGN(a0, im.emitReshape(a64, {}));
  ONNX_ASSIGN(zero64, im.emitScalar(DType::I64, 0.0));
  ONNX_ASSIGN(rankV, im.emitScalar(DType::I64, static_cast<double>(rank)));
  ONNX_ASSIGN(neg, im.emit(OpKind::Less, {a0, zero64}));
  ONNX_ASSIGN(wrapped, im.emit(OpKind::Add, {a0, rankV}));
  ONNX_ASSIGN(axis, im.emit(OpKind::Where, {neg, wrapped, a0}));
  ONNX_ASSIGN(acc0, im.emitScalar(x->type().dtype, 0.0));
  Value *acc = acc0;
  for (int64_t d = 0; d < rank; ++d) {
    ONNX_ASSIGN(sum, along(d, ""));
    ONNX_ASSIGN(dv, im.emitScalar(DType::I64, static_cast<double>(d)));
    ONNX_ASSIGN(is, im.emit(OpKind::Equal, {axis, dv}));
    ONNX_ASSIGN(sel, im.emit(OpKind::Where, {is, sum, acc}, {},
                             d + 1 == rank ? out : ""));
    acc = sel;
  }
  return setOutput(ctx, 0, acc);
}

/// LRN: x / (bias + alpha / size * the sum of x^2 over the channel
/// window)^beta, the window sum as avg_pool over channels (zero padding
/// included) times size.
Status lrnOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(alpha, ctx.floatAttr("alpha", 1e-4));
  ONNX_ASSIGN(beta, ctx.floatAttr("beta", 0.75));
  ONNX_ASSIGN(bias, ctx.floatAttr("bias", 1.0));
  if (!ctx.hasAttr("size"))
    return makeError("missing required attribute 'size'");
  ONNX_ASSIGN(size, ctx.intAttr("size", 1));
  if (size < 1)
    return makeError("size must be positive");
  if (!isFloat(x->type().dtype) || x->type().rank() < 3)
    return makeError("input must be a float tensor of rank >= 3, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(ext, staticShape(x, "LRN"));
  int64_t spatial = 1;
  for (size_t i = 2; i < ext.size(); ++i)
    spatial *= ext[i];
  Importer &im = ctx.importer;
  ONNX_ASSIGN(sq, im.emit(OpKind::Mul, {x, x}));
  ONNX_ASSIGN(s4, im.emitReshape(sq, {ext[0], 1, ext[1], spatial}));
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  AttributeMap pool{{"kernel", std::vector<int64_t>{size, 1}},
                    {"strides", std::vector<int64_t>{1, 1}},
                    {"pads", std::vector<int64_t>{before, 0, after, 0}},
                    {"ceil_mode", int64_t(0)},
                    {"count_include_pad", int64_t(1)}};
  ONNX_ASSIGN(avg, im.emit(OpKind::AvgPool, {s4}, pool));
  ONNX_ASSIGN(avgBack, im.emitReshape(avg, ext));
  // alpha / size * (avg * size) = alpha * avg.
  ONNX_ASSIGN(a, scalarLike(im, x, alpha));
  ONNX_ASSIGN(b, scalarLike(im, x, bias));
  ONNX_ASSIGN(be, scalarLike(im, x, beta));
  ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {avgBack, a}));
  ONNX_ASSIGN(base, im.emit(OpKind::Add, {scaled, b}));
  ONNX_ASSIGN(den, im.emit(OpKind::Pow, {base, be}));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Div, {x, den}, {}, ctx.outputName(0)));
}

/// ConvTranspose as a conv: the input with stride - 1 zeros inserted
/// between elements (reshape, pad, reshape, slice), padded by
/// dilation * (kernel - 1) minus the pads (plus output_padding at the end),
/// convolved with the weights flipped and transposed per group.
Status convTransposeOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(w, ctx.input(1));
  Value *bias = ctx.optionalInput(2);
  ONNX_ASSIGN(xe, staticShape(x, "ConvTranspose input"));
  ONNX_ASSIGN(we, staticShape(w, "ConvTranspose weight"));
  int64_t k = static_cast<int64_t>(xe.size()) - 2;
  if (k < 1 || k > 3 || static_cast<int64_t>(we.size()) != k + 2)
    return makeError("input must have rank 3..5 and the weight the same rank");
  ONNX_ASSIGN(group, ctx.intAttr("group", 1));
  if (group < 1 || xe[1] != we[0] || we[0] % group != 0)
    return makeError("weight channels do not match the input and group");
  std::vector<int64_t> kernel(we.begin() + 2, we.end());
  ONNX_ASSIGN(ks, ctx.intsAttr("kernel_shape"));
  if (!ks.empty() && ks != kernel)
    return makeError("kernel_shape differs from the weight's");
  auto attrOr = [&](const char *name,
                    int64_t def) -> Expected<std::vector<int64_t>> {
    ONNX_ASSIGN(v, ctx.intsAttr(name));
    if (v.empty())
      v.assign(k, def);
    if (static_cast<int64_t>(v.size()) != k)
      return makeError(std::string("attribute '") + name + "' needs " +
                       std::to_string(k) + " values");
    return v;
  };
  ONNX_ASSIGN(strides, attrOr("strides", 1));
  ONNX_ASSIGN(dil, attrOr("dilations", 1));
  ONNX_ASSIGN(outPad, attrOr("output_padding", 0));
  ONNX_ASSIGN(pads, ctx.intsAttr("pads"));
  if (pads.empty())
    pads.assign(2 * k, 0);
  if (static_cast<int64_t>(pads.size()) != 2 * k)
    return makeError("attribute 'pads' needs " + std::to_string(2 * k) +
                     " values");
  ONNX_ASSIGN(autoPad, ctx.stringAttr("auto_pad", "NOTSET"));
  ONNX_ASSIGN(outShape, ctx.intsAttr("output_shape"));
  if (!outShape.empty() && static_cast<int64_t>(outShape.size()) != k) {
    if (static_cast<int64_t>(outShape.size()) == k + 2)
      outShape.erase(outShape.begin(), outShape.begin() + 2);
    else
      return makeError("attribute 'output_shape' needs " + std::to_string(k) +
                       " values");
  }
  for (int64_t i = 0; i < k; ++i) {
    if (strides[i] < 1 || dil[i] < 1)
      return makeError("strides and dilations must be positive");
    int64_t full = strides[i] * (xe[2 + i] - 1) + outPad[i] +
                   (kernel[i] - 1) * dil[i] + 1;
    int64_t target = -1;
    if (!outShape.empty())
      target = outShape[i];
    else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
      target = xe[2 + i] * strides[i];
    else if (autoPad == "VALID")
      pads[i] = pads[k + i] = 0;
    else if (autoPad != "NOTSET")
      return makeError("unknown auto_pad \"" + autoPad + "\"");
    if (target >= 0) {
      int64_t total = full - target;
      if (total < 0) {
        // A larger output_shape extends the end, as output_padding does.
        outPad[i] -= total;
        pads[i] = pads[k + i] = 0;
        continue;
      }
      bool upper = autoPad == "SAME_UPPER";
      pads[i] = upper ? total / 2 : total - total / 2;
      pads[k + i] = upper ? total - total / 2 : total / 2;
    }
  }
  Importer &im = ctx.importer;
  // Insert stride - 1 zeros between input elements.
  Value *xd = x;
  bool strided = std::any_of(strides.begin(), strides.end(),
                             [](int64_t s) { return s > 1; });
  if (strided) {
    std::vector<int64_t> split{xe[0], xe[1]}, padsZ(2 * (2 + 2 * k), 0),
        joined{xe[0], xe[1]}, ends{xe[0], xe[1]};
    int64_t r = 2 + 2 * k;
    for (int64_t i = 0; i < k; ++i) {
      split.insert(split.end(), {xe[2 + i], 1});
      padsZ[r + 2 + 2 * i + 1] = strides[i] - 1;
      joined.push_back(xe[2 + i] * strides[i]);
      ends.push_back(std::max<int64_t>(0, (xe[2 + i] - 1) * strides[i] + 1));
    }
    ONNX_ASSIGN(sx, im.emitReshape(x, split));
    AttributeMap pa{{"pads", padsZ}, {"mode", std::string("constant")},
                    {"value", 0.0}};
    ONNX_ASSIGN(px, im.emit(OpKind::Pad, {sx}, pa));
    ONNX_ASSIGN(jx, im.emitReshape(px, joined));
    std::vector<int64_t> starts(2 + k, 0), steps(2 + k, 1);
    AttributeMap sl{{"starts", starts}, {"ends", ends}, {"steps", steps}};
    ONNX_ASSIGN(cx, im.emit(OpKind::Slice, {jx}, sl));
    xd = cx;
  }
  // Weights [Cin, Cout/g, K..] -> [Cout, Cin/g, K..] per group, flipped.
  int64_t cin = we[0], coutG = we[1], cinG = cin / group;
  std::vector<int64_t> wg{group, cinG, coutG}, perm{0, 2, 1}, wc{group * coutG,
                                                              cinG};
  for (int64_t i = 0; i < k; ++i) {
    wg.push_back(kernel[i]);
    perm.push_back(3 + i);
    wc.push_back(kernel[i]);
  }
  ONNX_ASSIGN(w5, im.emitReshape(w, wg));
  AttributeMap tp{{"perm", perm}};
  ONNX_ASSIGN(wt, im.emit(OpKind::Transpose, {w5}, tp));
  ONNX_ASSIGN(w4, im.emitReshape(wt, wc));
  std::vector<int64_t> fs(2 + k, 0), fe = wc, fst(2 + k, 1);
  for (int64_t i = 0; i < k; ++i) {
    fs[2 + i] = kernel[i] - 1;
    fe[2 + i] = -1;
    fst[2 + i] = -1;
  }
  AttributeMap flip{{"starts", fs}, {"ends", fe}, {"steps", fst}};
  ONNX_ASSIGN(wf, im.emit(OpKind::Slice, {w4}, flip));
  std::vector<int64_t> convPads(2 * k);
  for (int64_t i = 0; i < k; ++i) {
    int64_t span = (kernel[i] - 1) * dil[i];
    convPads[i] = span - pads[i];
    convPads[k + i] = span - pads[k + i] + outPad[i];
    if (convPads[i] < 0 || convPads[k + i] < 0)
      return makeError("pads larger than dilation * (kernel - 1) are not "
                       "supported");
  }
  AttributeMap attrs{{"strides", std::vector<int64_t>(k, 1)},
                     {"pads", convPads},
                     {"dilations", dil},
                     {"group", group}};
  std::vector<Value *> operands{xd, wf};
  if (bias)
    operands.push_back(bias);
  return setOutput(ctx, 0,
                   im.emit(OpKind::Conv, operands, attrs, ctx.outputName(0)));
}

/// sequence_lens of a recurrent op as i64 [batch, 1], checked against the
/// batch.
Expected<Value *> sequenceLengths(Importer &im, Value *lens, int64_t batch) {
  ONNX_ASSIGN(le, staticShape(lens, "sequence_lens"));
  if (le[0] != batch)
    return makeError("sequence_lens has " + std::to_string(le[0]) +
                     " entries for a batch of " + std::to_string(batch));
  ONNX_ASSIGN(l64, castTo(im, lens, DType::I64));
  return im.emitReshape(l64, {batch, 1});
}

/// [batch, 1] bools: the entries whose sequence reaches step t.
Expected<Value *> stepActive(Importer &im, Value *lens, int64_t t) {
  ONNX_ASSIGN(tv, im.emitScalar(DType::I64, static_cast<double>(t)));
  return im.emit(OpKind::Less, {tv, lens});
}

/// After a recurrent step: entries whose sequence ended keep their state
/// (h, and c when given) and output 0 (`out`).
Status maskStep(Importer &im, Value *active, Value *zero, Value *hPrev,
                Value *cPrev, Value *&h, Value **c, Value *&out) {
  ONNX_ASSIGN(hk, im.emit(OpKind::Where, {active, h, hPrev}));
  ONNX_ASSIGN(yk, im.emit(OpKind::Where, {active, h, zero}));
  h = hk;
  out = yk;
  if (c) {
    ONNX_ASSIGN(ck, im.emit(OpKind::Where, {active, *c, cPrev}));
    *c = ck;
  }
  return Status::success();
}

/// RNN unrolled over the (static) sequence: per direction, X W^T + Wb + Rb
/// for every step at once, then H = f(x_t + H R^T) step by step (clip
/// before f). sequence_lens must be absent.
Status rnnOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(w, ctx.input(1));
  ONNX_ASSIGN(r, ctx.input(2));
  Value *b = ctx.optionalInput(3);
  Value *lens = ctx.optionalInput(4);
  if (lens && (!isInteger(lens->type().dtype) || lens->type().rank() != 1))
    return makeError("sequence_lens must be a 1-D integer tensor, got " +
                     typeToString(lens->type()));
  Value *h0 = ctx.optionalInput(5);
  ONNX_ASSIGN(hidden, ctx.intAttr("hidden_size", 0));
  ONNX_ASSIGN(layout, ctx.intAttr("layout", 0));
  ONNX_ASSIGN(direction, ctx.stringAttr("direction", "forward"));
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return makeError("unknown direction \"" + direction + "\"");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  std::vector<std::string> acts;
  if (const auto *a = ctx.attr("activations"))
    for (const auto &name : a->strings())
      acts.push_back(name);
  if (acts.empty())
    acts.assign(dirs, "Tanh");
  if (static_cast<int64_t>(acts.size()) != dirs)
    return makeError("activations needs one entry per direction");
  if (ctx.hasAttr("activation_alpha") || ctx.hasAttr("activation_beta"))
    return makeError("activation_alpha/beta are not supported");
  std::vector<OpKind> actKinds;
  for (const std::string &a : acts) {
    if (a == "Tanh")
      actKinds.push_back(OpKind::Tanh);
    else if (a == "Relu")
      actKinds.push_back(OpKind::Relu);
    else if (a == "Sigmoid")
      actKinds.push_back(OpKind::Sigmoid);
    else
      return makeError("activation \"" + a + "\" is not supported");
  }
  bool clip = ctx.hasAttr("clip");
  ONNX_ASSIGN(clipValue, ctx.floatAttr("clip", 0.0));
  Importer &im = ctx.importer;
  AttributeMap swap01{{"perm", std::vector<int64_t>{1, 0, 2}}};
  if (layout) {
    ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {x}, swap01));
    x = t;
    if (h0) {
      ONNX_ASSIGN(th, im.emit(OpKind::Transpose, {h0}, swap01));
      h0 = th;
    }
  }
  ONNX_ASSIGN(xe, staticShape(x, "RNN input"));
  if (xe.size() != 3)
    return makeError("X must be 3-D");
  int64_t seq = xe[0], batch = xe[1], input = xe[2];
  if (hidden < 1)
    return makeError("hidden_size must be positive");
  auto pick = [&](Value *v, int64_t d, std::vector<int64_t> rest,
                  int64_t lo = 0, int64_t hi = -1) {
    return directionSlice(im, v, d, std::move(rest), lo, hi);
  };
  AttributeMap swap{{"perm", std::vector<int64_t>{1, 0}}};
  ONNX_ASSIGN(x2, im.emitReshape(x, {seq * batch, input}));
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  Value *lens2 = nullptr;
  if (lens) {
    ONNX_ASSIGN(lr, sequenceLengths(im, lens, batch));
    lens2 = lr;
  }
  std::vector<Value *> ys, hs;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    ONNX_ASSIGN(wd, pick(w, d, {hidden, input}));
    ONNX_ASSIGN(wt, im.emit(OpKind::Transpose, {wd}, swap));
    ONNX_ASSIGN(rd, pick(r, d, {hidden, hidden}));
    ONNX_ASSIGN(rt, im.emit(OpKind::Transpose, {rd}, swap));
    ONNX_ASSIGN(xw0, im.emit(OpKind::MatMul, {x2, wt}));
    Value *xw = xw0;
    if (b) {
      ONNX_ASSIGN(wb, pick(b, d, {hidden}, 0, hidden));
      ONNX_ASSIGN(rb, pick(b, d, {hidden}, hidden, 2 * hidden));
      ONNX_ASSIGN(bsum, im.emit(OpKind::Add, {wb, rb}));
      ONNX_ASSIGN(xb, im.emit(OpKind::Add, {xw, bsum}));
      xw = xb;
    }
    ONNX_ASSIGN(xw3, im.emitReshape(xw, {seq, batch, hidden}));
    Value *h = nullptr;
    if (h0) {
      ONNX_ASSIGN(hi, pick(h0, d, {batch, hidden}));
      h = hi;
    } else {
      ONNX_ASSIGN(z, scalarLike(im, x, 0.0));
      AttributeMap to{{"shape", std::vector<int64_t>{batch, hidden}}};
      ONNX_ASSIGN(hz, im.emit(OpKind::Expand, {z}, to));
      h = hz;
    }
    std::vector<Value *> steps(seq);
    for (int64_t i = 0; i < seq; ++i) {
      int64_t t = reverse ? seq - 1 - i : i;
      Value *hPrev = h;
      ONNX_ASSIGN(xt, pick(xw3, t, {batch, hidden}));
      ONNX_ASSIGN(hr, im.emit(OpKind::MatMul, {h, rt}));
      ONNX_ASSIGN(pre0, im.emit(OpKind::Add, {xt, hr}));
      Value *pre = pre0;
      if (clip) {
        AttributeMap c{{"min", -clipValue}, {"max", clipValue}};
        ONNX_ASSIGN(pc, im.emit(OpKind::Clip, {pre}, c));
        pre = pc;
      }
      ONNX_ASSIGN(hn, im.emit(actKinds[d], {pre}));
      h = hn;
      Value *out = h;
      if (lens2) {
        ONNX_ASSIGN(active, stepActive(im, lens2, t));
        MLC_RETURN_IF_ERROR(maskStep(im, active, zero, hPrev, nullptr, h,
                                     nullptr, out));
      }
      ONNX_ASSIGN(h4, im.emitReshape(out, {1, 1, batch, hidden}));
      steps[t] = h4;
    }
    AttributeMap axis0{{"axis", int64_t(0)}};
    if (seq > 0) {
      ONNX_ASSIGN(yd, im.emit(OpKind::Concat, steps, axis0));
      ys.push_back(yd);
    }
    ONNX_ASSIGN(hl, im.emitReshape(h, {1, batch, hidden}));
    hs.push_back(hl);
  }
  if (seq == 0)
    return makeError("an empty sequence is not supported");
  AttributeMap axis1{{"axis", int64_t(1)}}, axis0{{"axis", int64_t(0)}};
  ONNX_ASSIGN(y, im.emit(OpKind::Concat, ys, axis1));    // [seq, dirs, B, H]
  ONNX_ASSIGN(yh, im.emit(OpKind::Concat, hs, axis0));   // [dirs, B, H]
  if (layout) {
    AttributeMap py{{"perm", std::vector<int64_t>{2, 0, 1, 3}}};
    ONNX_ASSIGN(yt, im.emit(OpKind::Transpose, {y}, py, ctx.outputName(0)));
    y = yt;
    if (ctx.outputs.size() > 1) {
      ONNX_ASSIGN(yht,
                  im.emit(OpKind::Transpose, {yh}, swap01, ctx.outputName(1)));
      yh = yht;
    }
  }
  if (ctx.outputs.size() > 1)
    ctx.outputs[1] = yh;
  return setOutput(ctx, 0, y);
}

/// GRU (kind Sigmoid) and LSTM (kind Tanh) unrolled over the static
/// sequence, per direction: X W^T + Wb for every step and gate at once, then
/// the gate equations of the ONNX spec step by step (linear_before_reset for
/// GRU; peepholes for LSTM). With sequence_lens, step t of batch entry b
/// runs only while t < sequence_lens[b], as onnxruntime: the state stays,
/// and Y is 0, past the entry's length (reverse direction: the state stays
/// at its initial value until the entry's last step, so the entry is
/// walked backwards from its own end). clip, input_forget and activations
/// other than the defaults are rejected.
Status gatedRnnOp(NodeContext &ctx, OpKind kind) {
  bool lstm = kind == OpKind::Tanh;
  int64_t gates = lstm ? 4 : 3;
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(w, ctx.input(1));
  ONNX_ASSIGN(r, ctx.input(2));
  Value *b = ctx.optionalInput(3);
  Value *lens = ctx.optionalInput(4);
  if (lens && (!isInteger(lens->type().dtype) || lens->type().rank() != 1))
    return makeError("sequence_lens must be a 1-D integer tensor, got " +
                     typeToString(lens->type()));
  Value *h0 = ctx.optionalInput(5);
  Value *c0 = lstm ? ctx.optionalInput(6) : nullptr;
  Value *peep = lstm ? ctx.optionalInput(7) : nullptr;
  ONNX_ASSIGN(hidden, ctx.intAttr("hidden_size", 0));
  ONNX_ASSIGN(layout, ctx.intAttr("layout", 0));
  ONNX_ASSIGN(lbr, ctx.intAttr("linear_before_reset", 0));
  ONNX_ASSIGN(inputForget, ctx.intAttr("input_forget", 0));
  ONNX_ASSIGN(direction, ctx.stringAttr("direction", "forward"));
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return makeError("unknown direction \"" + direction + "\"");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  if (ctx.hasAttr("clip") || inputForget)
    return makeError("clip and input_forget are not supported");
  if (const auto *a = ctx.attr("activations")) {
    for (int i = 0; i < a->strings_size(); ++i) {
      int64_t slot = i % (lstm ? 3 : 2);
      const std::string &want = slot == 0 ? "Sigmoid" : "Tanh";
      if (a->strings(i) != want)
        return makeError("activations other than the defaults are not "
                         "supported");
    }
  }
  Importer &im = ctx.importer;
  AttributeMap swap01{{"perm", std::vector<int64_t>{1, 0, 2}}};
  if (layout) {
    ONNX_ASSIGN(t, im.emit(OpKind::Transpose, {x}, swap01));
    x = t;
    for (Value **v : {&h0, &c0})
      if (*v) {
        ONNX_ASSIGN(tv, im.emit(OpKind::Transpose, {*v}, swap01));
        *v = tv;
      }
  }
  ONNX_ASSIGN(xe, staticShape(x, "the recurrent input"));
  if (xe.size() != 3)
    return makeError("X must be 3-D");
  int64_t seq = xe[0], batch = xe[1], input = xe[2];
  if (hidden < 1 || seq < 1)
    return makeError("hidden_size and the sequence must be positive");
  auto pick = [&](Value *v, int64_t d, std::vector<int64_t> rest,
                  int64_t lo = 0, int64_t hi = -1) {
    return directionSlice(im, v, d, std::move(rest), lo, hi);
  };
  // Columns [g * hidden, (g + 1) * hidden) of a [rows, G * hidden] value.
  auto gate = [&](Value *v, int64_t rows, int64_t g) {
    AttributeMap sl{{"starts", std::vector<int64_t>{0, g * hidden}},
                    {"ends", std::vector<int64_t>{rows, (g + 1) * hidden}},
                    {"steps", std::vector<int64_t>{1, 1}}};
    return im.emit(OpKind::Slice, {v}, sl);
  };
  AttributeMap swap{{"perm", std::vector<int64_t>{1, 0}}};
  ONNX_ASSIGN(x2, im.emitReshape(x, {seq * batch, input}));
  ONNX_ASSIGN(zero, scalarLike(im, x, 0.0));
  ONNX_ASSIGN(one, scalarLike(im, x, 1.0));
  AttributeMap zeroShape{{"shape", std::vector<int64_t>{batch, hidden}}};
  Value *lens2 = nullptr;
  if (lens) {
    ONNX_ASSIGN(lr, sequenceLengths(im, lens, batch));
    lens2 = lr;
  }
  std::vector<Value *> ys, hs, cs;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    ONNX_ASSIGN(wd, pick(w, d, {gates * hidden, input}));
    ONNX_ASSIGN(wt, im.emit(OpKind::Transpose, {wd}, swap));
    ONNX_ASSIGN(rd, pick(r, d, {gates * hidden, hidden}));
    ONNX_ASSIGN(rt, im.emit(OpKind::Transpose, {rd}, swap));
    ONNX_ASSIGN(xw0, im.emit(OpKind::MatMul, {x2, wt}));
    Value *xw = xw0, *rb = nullptr;
    if (b) {
      ONNX_ASSIGN(wb, pick(b, d, {gates * hidden}, 0, gates * hidden));
      ONNX_ASSIGN(rbv, pick(b, d, {gates * hidden}, gates * hidden,
                            2 * gates * hidden));
      ONNX_ASSIGN(xb, im.emit(OpKind::Add, {xw, wb}));
      xw = xb;
      rb = rbv;
    }
    Value *h = nullptr, *c = nullptr;
    if (h0) {
      ONNX_ASSIGN(hi, pick(h0, d, {batch, hidden}));
      h = hi;
    } else {
      ONNX_ASSIGN(hz, im.emit(OpKind::Expand, {zero}, zeroShape));
      h = hz;
    }
    if (lstm) {
      if (c0) {
        ONNX_ASSIGN(ci, pick(c0, d, {batch, hidden}));
        c = ci;
      } else {
        ONNX_ASSIGN(cz, im.emit(OpKind::Expand, {zero}, zeroShape));
        c = cz;
      }
    }
    Value *pi = nullptr, *po = nullptr, *pf = nullptr;
    if (peep) {
      ONNX_ASSIGN(a, pick(peep, d, {hidden}, 0, hidden));
      ONNX_ASSIGN(o, pick(peep, d, {hidden}, hidden, 2 * hidden));
      ONNX_ASSIGN(f, pick(peep, d, {hidden}, 2 * hidden, 3 * hidden));
      pi = a, po = o, pf = f;
    }
    std::vector<Value *> steps(seq);
    for (int64_t i = 0; i < seq; ++i) {
      int64_t t = reverse ? seq - 1 - i : i;
      Value *hPrev = h, *cPrev = c;
      AttributeMap rows{{"starts", std::vector<int64_t>{t * batch, 0}},
                        {"ends", std::vector<int64_t>{(t + 1) * batch,
                                                      gates * hidden}},
                        {"steps", std::vector<int64_t>{1, 1}}};
      ONNX_ASSIGN(xt, im.emit(OpKind::Slice, {xw}, rows)); // [B, G*H]
      ONNX_ASSIGN(hr0, im.emit(OpKind::MatMul, {h, rt}));  // [B, G*H]
      Value *hr = hr0;
      if (rb) {
        ONNX_ASSIGN(hb, im.emit(OpKind::Add, {hr, rb}));
        hr = hb;
      }
      auto sum = [&](int64_t g) -> Expected<Value *> {
        ONNX_ASSIGN(a, gate(xt, batch, g));
        ONNX_ASSIGN(bb, gate(hr, batch, g));
        return im.emit(OpKind::Add, {a, bb});
      };
      if (!lstm) {
        // Gates z, r, h.
        ONNX_ASSIGN(zs, sum(0));
        ONNX_ASSIGN(z, im.emit(OpKind::Sigmoid, {zs}));
        ONNX_ASSIGN(rs, sum(1));
        ONNX_ASSIGN(rg, im.emit(OpKind::Sigmoid, {rs}));
        ONNX_ASSIGN(xh, gate(xt, batch, 2));
        Value *hpart = nullptr;
        if (lbr) {
          ONNX_ASSIGN(hh, gate(hr, batch, 2)); // H R_h^T + Rb_h
          ONNX_ASSIGN(m, im.emit(OpKind::Mul, {rg, hh}));
          hpart = m;
        } else {
          ONNX_ASSIGN(rh, im.emit(OpKind::Mul, {rg, h}));
          ONNX_ASSIGN(rhT, gate(rt, hidden, 2));
          ONNX_ASSIGN(m, im.emit(OpKind::MatMul, {rh, rhT}));
          hpart = m;
          if (rb) {
            AttributeMap sl{{"starts", std::vector<int64_t>{2 * hidden}},
                            {"ends", std::vector<int64_t>{3 * hidden}},
                            {"steps", std::vector<int64_t>{1}}};
            ONNX_ASSIGN(rbh, im.emit(OpKind::Slice, {rb}, sl));
            ONNX_ASSIGN(mb, im.emit(OpKind::Add, {m, rbh}));
            hpart = mb;
          }
        }
        ONNX_ASSIGN(hs0, im.emit(OpKind::Add, {xh, hpart}));
        ONNX_ASSIGN(ht, im.emit(OpKind::Tanh, {hs0}));
        ONNX_ASSIGN(omz, im.emit(OpKind::Sub, {one, z}));
        ONNX_ASSIGN(a1, im.emit(OpKind::Mul, {omz, ht}));
        ONNX_ASSIGN(a2, im.emit(OpKind::Mul, {z, h}));
        ONNX_ASSIGN(hn, im.emit(OpKind::Add, {a1, a2}));
        h = hn;
      } else {
        // Gates i, o, f, c.
        auto peephole = [&](Value *v, Value *p,
                            Value *cell) -> Expected<Value *> {
          if (!p)
            return v;
          ONNX_ASSIGN(m, im.emit(OpKind::Mul, {p, cell}));
          return im.emit(OpKind::Add, {v, m});
        };
        ONNX_ASSIGN(is, sum(0));
        ONNX_ASSIGN(isp, peephole(is, pi, c));
        ONNX_ASSIGN(ig, im.emit(OpKind::Sigmoid, {isp}));
        ONNX_ASSIGN(fs, sum(2));
        ONNX_ASSIGN(fsp, peephole(fs, pf, c));
        ONNX_ASSIGN(fg, im.emit(OpKind::Sigmoid, {fsp}));
        ONNX_ASSIGN(cs0, sum(3));
        ONNX_ASSIGN(cg, im.emit(OpKind::Tanh, {cs0}));
        ONNX_ASSIGN(fc, im.emit(OpKind::Mul, {fg, c}));
        ONNX_ASSIGN(icg, im.emit(OpKind::Mul, {ig, cg}));
        ONNX_ASSIGN(cn, im.emit(OpKind::Add, {fc, icg}));
        c = cn;
        ONNX_ASSIGN(os, sum(1));
        ONNX_ASSIGN(osp, peephole(os, po, c));
        ONNX_ASSIGN(og, im.emit(OpKind::Sigmoid, {osp}));
        ONNX_ASSIGN(tc, im.emit(OpKind::Tanh, {c}));
        ONNX_ASSIGN(hn, im.emit(OpKind::Mul, {og, tc}));
        h = hn;
      }
      Value *out = h;
      if (lens2) {
        ONNX_ASSIGN(active, stepActive(im, lens2, t));
        MLC_RETURN_IF_ERROR(maskStep(im, active, zero, hPrev, cPrev, h,
                                     lstm ? &c : nullptr, out));
      }
      ONNX_ASSIGN(h4, im.emitReshape(out, {1, 1, batch, hidden}));
      steps[t] = h4;
    }
    AttributeMap axis0{{"axis", int64_t(0)}};
    ONNX_ASSIGN(yd, im.emit(OpKind::Concat, steps, axis0));
    ys.push_back(yd);
    ONNX_ASSIGN(hl, im.emitReshape(h, {1, batch, hidden}));
    hs.push_back(hl);
    if (lstm) {
      ONNX_ASSIGN(cl, im.emitReshape(c, {1, batch, hidden}));
      cs.push_back(cl);
    }
  }
  AttributeMap axis1{{"axis", int64_t(1)}}, axis0{{"axis", int64_t(0)}};
  ONNX_ASSIGN(y, im.emit(OpKind::Concat, ys, axis1)); // [seq, dirs, B, H]
  std::vector<Value *> finals;
  ONNX_ASSIGN(yh, im.emit(OpKind::Concat, hs, axis0)); // [dirs, B, H]
  finals.push_back(yh);
  if (lstm) {
    ONNX_ASSIGN(yc, im.emit(OpKind::Concat, cs, axis0));
    finals.push_back(yc);
  }
  if (layout) {
    AttributeMap py{{"perm", std::vector<int64_t>{2, 0, 1, 3}}};
    ONNX_ASSIGN(yt, im.emit(OpKind::Transpose, {y}, py));
    y = yt;
    for (Value *&f : finals) {
      ONNX_ASSIGN(ft, im.emit(OpKind::Transpose, {f}, swap01));
      f = ft;
    }
  }
  for (size_t i = 0; i < finals.size(); ++i)
    if (ctx.outputs.size() > i + 1)
      ctx.outputs[i + 1] = finals[i];
  return setOutput(ctx, 0, y);
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

using TranslateFn = Status (*)(NodeContext &, OpKind);

struct OpEntry {
  std::string_view name;
  TranslateFn fn;
  OpKind kind;
};

/// Sorted by name (checked by a static_assert below).
constexpr std::array kOps = {
    OpEntry{"Abs", unaryOp, OpKind::Abs},
    OpEntry{"Acos", unaryOp, OpKind::Acos},
    OpEntry{"Acosh", unaryOp, OpKind::Acosh},
    OpEntry{"Add", binaryOp, OpKind::Add},
    OpEntry{"AffineGrid", affineGridOp, OpKind::MatMul},
    OpEntry{"And", binaryOp, OpKind::And},
    OpEntry{"ArgMax", argMaxOp, OpKind::ArgMax},
    OpEntry{"ArgMin", argMinOp, OpKind::ArgMax},
    OpEntry{"Asin", unaryOp, OpKind::Asin},
    OpEntry{"Asinh", unaryOp, OpKind::Asinh},
    OpEntry{"Atan", unaryOp, OpKind::Atan},
    OpEntry{"Atanh", unaryOp, OpKind::Atanh},
    OpEntry{"Attention", attentionOp, OpKind::MatMul},
    OpEntry{"AveragePool", poolOp, OpKind::AvgPool},
    OpEntry{"BatchNormalization", batchNormOp, OpKind::BatchNorm},
    OpEntry{"Bernoulli", randomOp, OpKind::Less},
    OpEntry{"BitCast", bitCastOp, OpKind::BitCast},
    OpEntry{"BitShift", bitShiftOp, OpKind::Shl},
    OpEntry{"BitwiseAnd", bitwiseOp, OpKind::And},
    OpEntry{"BitwiseNot", bitwiseOp, OpKind::Not},
    OpEntry{"BitwiseOr", bitwiseOp, OpKind::Or},
    OpEntry{"BitwiseXor", bitwiseOp, OpKind::Xor},
    OpEntry{"BlackmanWindow", windowOp, OpKind::Cos},
    OpEntry{"Cast", castOp, OpKind::Cast},
    OpEntry{"CastLike", castLikeOp, OpKind::Cast},
    OpEntry{"CausalConvWithState", causalConvWithStateOp, OpKind::Conv},
    OpEntry{"Ceil", unaryOp, OpKind::Ceil},
    OpEntry{"Celu", celuOp, OpKind::Exp},
    OpEntry{"CenterCropPad", centerCropPadOp, OpKind::Gather},
    OpEntry{"Clip", clipOp, OpKind::Clip},
    OpEntry{"Col2Im", col2ImOp, OpKind::Gather},
    OpEntry{"Compress", compressOp, OpKind::Gather},
    OpEntry{"Concat", concatOp, OpKind::Concat},
    OpEntry{"ConcatFromSequence", concatFromSequenceOp, OpKind::Concat},
    OpEntry{"Constant", constantOp, OpKind::Constant},
    OpEntry{"ConstantOfShape", constantOfShapeOp, OpKind::Constant},
    OpEntry{"Conv", convOp, OpKind::Conv},
    OpEntry{"ConvInteger", convIntegerOp, OpKind::Conv},
    OpEntry{"ConvTranspose", convTransposeOp, OpKind::Conv},
    OpEntry{"Cos", unaryOp, OpKind::Cos},
    OpEntry{"Cosh", hyperbolicOp, OpKind::Exp},
    OpEntry{"CumProd", cumulativeOp, OpKind::Mul},
    OpEntry{"CumSum", cumulativeOp, OpKind::Add},
    OpEntry{"DFT", dftOp, OpKind::MatMul},
    OpEntry{"DeformConv", deformConvOp, OpKind::MatMul},
    OpEntry{"DepthToSpace", depthSpaceOp, OpKind::Transpose},
    OpEntry{"DequantizeLinear", dequantizeLinearOp, OpKind::Mul},
    OpEntry{"Det", detOp, OpKind::Mul},
    OpEntry{"Div", binaryOp, OpKind::Div},
    OpEntry{"Dropout", dropoutOp, OpKind::Constant},
    OpEntry{"DynamicQuantizeLinear", dynamicQuantizeLinearOp, OpKind::Round},
    OpEntry{"Einsum", einsumOp, OpKind::MatMul},
    OpEntry{"Elu", eluOp, OpKind::Exp},
    OpEntry{"Equal", binaryOp, OpKind::Equal},
    OpEntry{"Erf", unaryOp, OpKind::Erf},
    OpEntry{"Exp", unaryOp, OpKind::Exp},
    OpEntry{"Expand", expandOp, OpKind::Expand},
    OpEntry{"EyeLike", eyeLikeOp, OpKind::Constant},
    OpEntry{"Flatten", flattenOp, OpKind::Reshape},
    OpEntry{"Floor", unaryOp, OpKind::Floor},
    OpEntry{"GRU", gatedRnnOp, OpKind::Sigmoid},
    OpEntry{"Gather", gatherOp, OpKind::Gather},
    OpEntry{"GatherElements", gatherElementsOp, OpKind::GatherElements},
    OpEntry{"GatherND", gatherNDOp, OpKind::Gather},
    OpEntry{"Gelu", geluOp, OpKind::Erf},
    OpEntry{"Gemm", gemmOp, OpKind::MatMul},
    OpEntry{"GlobalAveragePool", globalPoolOp, OpKind::ReduceMean},
    OpEntry{"GlobalMaxPool", globalPoolOp, OpKind::ReduceMax},
    OpEntry{"Greater", binaryOp, OpKind::Greater},
    OpEntry{"GreaterOrEqual", compareOrEqualOp, OpKind::Greater},
    OpEntry{"GridSample", gridSampleOp, OpKind::GatherElements},
    OpEntry{"GroupNormalization", groupNormOp, OpKind::ReduceMean},
    OpEntry{"HammingWindow", windowOp, OpKind::Cos},
    OpEntry{"HannWindow", windowOp, OpKind::Cos},
    OpEntry{"HardSigmoid", hardSigmoidOp, OpKind::Clip},
    OpEntry{"HardSwish", hardSwishOp, OpKind::Clip},
    OpEntry{"Hardmax", hardmaxOp, OpKind::ArgMax},
    OpEntry{"Identity", identityOp, OpKind::Constant},
    OpEntry{"If", ifOp, OpKind::Where},
    OpEntry{"InstanceNormalization", instanceNormOp, OpKind::ReduceMean},
    OpEntry{"IsInf", isInfOp, OpKind::Equal},
    OpEntry{"IsNaN", isNanOp, OpKind::Equal},
    OpEntry{"LRN", lrnOp, OpKind::AvgPool},
    OpEntry{"LSTM", gatedRnnOp, OpKind::Tanh},
    OpEntry{"LayerNormalization", layerNormOp, OpKind::LayerNorm},
    OpEntry{"LeakyRelu", leakyReluOp, OpKind::LeakyRelu},
    OpEntry{"Less", binaryOp, OpKind::Less},
    OpEntry{"LessOrEqual", compareOrEqualOp, OpKind::Less},
    OpEntry{"LinearAttention", linearAttentionOp, OpKind::MatMul},
    OpEntry{"Log", unaryOp, OpKind::Log},
    OpEntry{"LogSoftmax", softmaxOp, OpKind::LogSoftmax},
    OpEntry{"Loop", loopOp, OpKind::Concat},
    OpEntry{"LpNormalization", lpNormOp, OpKind::ReduceSum},
    OpEntry{"LpPool", lpPoolOp, OpKind::AvgPool},
    OpEntry{"MatMul", matMulOp, OpKind::MatMul},
    OpEntry{"MatMulInteger", matMulIntegerOp, OpKind::MatMul},
    OpEntry{"Max", variadicOp, OpKind::Max},
    OpEntry{"MaxPool", poolOp, OpKind::MaxPool},
    OpEntry{"MaxUnpool", maxUnpoolOp, OpKind::Gather},
    OpEntry{"Mean", meanOp, OpKind::Add},
    OpEntry{"MeanVarianceNormalization", meanVarianceNormOp,
            OpKind::ReduceMean},
    OpEntry{"MelWeightMatrix", melWeightMatrixOp, OpKind::Mul},
    OpEntry{"Min", variadicOp, OpKind::Min},
    OpEntry{"Mish", mishOp, OpKind::Tanh},
    OpEntry{"Mod", modOp, OpKind::Mod},
    OpEntry{"Mul", binaryOp, OpKind::Mul},
    OpEntry{"Neg", unaryOp, OpKind::Neg},
    OpEntry{"NegativeLogLikelihoodLoss", nllLossOp, OpKind::GatherElements},
    OpEntry{"NonMaxSuppression", nonMaxSuppressionOp, OpKind::ReduceSum},
    OpEntry{"NonZero", nonZeroOp, OpKind::ReduceSum},
    OpEntry{"Not", unaryOp, OpKind::Not},
    OpEntry{"OneHot", oneHotOp, OpKind::Equal},
    OpEntry{"Optional", optionalOp, OpKind::Constant},
    OpEntry{"OptionalGetElement", optionalGetElementOp, OpKind::Constant},
    OpEntry{"OptionalHasElement", optionalHasElementOp, OpKind::Constant},
    OpEntry{"Or", binaryOp, OpKind::Or},
    OpEntry{"PRelu", preluOp, OpKind::Where},
    OpEntry{"Pad", padOp, OpKind::Pad},
    OpEntry{"Pow", powOp, OpKind::Pow},
    OpEntry{"QLinearConv", qlinearConvOp, OpKind::Conv},
    OpEntry{"QLinearMatMul", qlinearMatMulOp, OpKind::MatMul},
    OpEntry{"QuantizeLinear", quantizeLinearOp, OpKind::Round},
    OpEntry{"RMSNormalization", rmsNormOp, OpKind::ReduceMean},
    OpEntry{"RNN", rnnOp, OpKind::MatMul},
    OpEntry{"RandomNormal", randomOp, OpKind::Mul},
    OpEntry{"RandomNormalLike", randomOp, OpKind::Mul},
    OpEntry{"RandomUniform", randomOp, OpKind::Add},
    OpEntry{"RandomUniformLike", randomOp, OpKind::Add},
    OpEntry{"Range", rangeOp, OpKind::Constant},
    OpEntry{"Reciprocal", unaryOp, OpKind::Reciprocal},
    OpEntry{"ReduceL1", reduceCompositeOp, OpKind::ReduceSum},
    OpEntry{"ReduceL2", reduceCompositeOp, OpKind::ReduceSum},
    OpEntry{"ReduceLogSum", reduceCompositeOp, OpKind::ReduceSum},
    OpEntry{"ReduceLogSumExp", reduceCompositeOp, OpKind::ReduceSum},
    OpEntry{"ReduceMax", reduceOp, OpKind::ReduceMax},
    OpEntry{"ReduceMean", reduceOp, OpKind::ReduceMean},
    OpEntry{"ReduceMin", reduceOp, OpKind::ReduceMin},
    OpEntry{"ReduceProd", reduceOp, OpKind::ReduceProd},
    OpEntry{"ReduceSum", reduceOp, OpKind::ReduceSum},
    OpEntry{"ReduceSumSquare", reduceCompositeOp, OpKind::ReduceSum},
    OpEntry{"RegexFullMatch", regexFullMatchOp, OpKind::RegexFullMatch},
    OpEntry{"Relu", unaryOp, OpKind::Relu},
    OpEntry{"Reshape", reshapeOp, OpKind::Reshape},
    OpEntry{"Resize", resizeOp, OpKind::Gather},
    OpEntry{"ReverseSequence", reverseSequenceOp, OpKind::GatherElements},
    OpEntry{"RoiAlign", roiAlignOp, OpKind::GatherElements},
    OpEntry{"RotaryEmbedding", rotaryEmbeddingOp, OpKind::Mul},
    OpEntry{"Round", unaryOp, OpKind::Round},
    OpEntry{"STFT", stftOp, OpKind::MatMul},
    OpEntry{"Scan", scanOp, OpKind::Concat},
    OpEntry{"Scatter", scatterElementsOp, OpKind::Where},
    OpEntry{"ScatterElements", scatterElementsOp, OpKind::Where},
    OpEntry{"ScatterND", scatterNDOp, OpKind::Where},
    OpEntry{"Selu", seluOp, OpKind::Exp},
    OpEntry{"SequenceAt", sequenceAtOp, OpKind::Constant},
    OpEntry{"SequenceConstruct", sequenceConstructOp, OpKind::Constant},
    OpEntry{"SequenceEmpty", sequenceEmptyOp, OpKind::Constant},
    OpEntry{"SequenceErase", sequenceEraseOp, OpKind::Constant},
    OpEntry{"SequenceInsert", sequenceInsertOp, OpKind::Constant},
    OpEntry{"SequenceLength", sequenceLengthOp, OpKind::Constant},
    OpEntry{"SequenceMap", sequenceMapOp, OpKind::Constant},
    OpEntry{"Shape", shapeOp, OpKind::Constant},
    OpEntry{"Shrink", shrinkOp, OpKind::Where},
    OpEntry{"Sigmoid", unaryOp, OpKind::Sigmoid},
    OpEntry{"Sign", signOp, OpKind::Where},
    OpEntry{"Sin", unaryOp, OpKind::Sin},
    OpEntry{"Sinh", hyperbolicOp, OpKind::Exp},
    OpEntry{"Size", sizeOp, OpKind::Constant},
    OpEntry{"Slice", sliceOp, OpKind::Slice},
    OpEntry{"Softmax", softmaxOp, OpKind::Softmax},
    OpEntry{"SoftmaxCrossEntropyLoss", softmaxCrossEntropyOp,
            OpKind::LogSoftmax},
    OpEntry{"Softplus", softplusOp, OpKind::Log},
    OpEntry{"Softsign", softsignOp, OpKind::Div},
    OpEntry{"SpaceToDepth", depthSpaceOp, OpKind::Transpose},
    OpEntry{"Split", splitOp, OpKind::Slice},
    OpEntry{"SplitToSequence", splitToSequenceOp, OpKind::Slice},
    OpEntry{"Sqrt", unaryOp, OpKind::Sqrt},
    OpEntry{"Squeeze", squeezeOp, OpKind::Reshape},
    OpEntry{"StringConcat", stringConcatOp, OpKind::StringConcat},
    OpEntry{"StringNormalizer", stringNormalizerOp, OpKind::StringIndex},
    OpEntry{"StringSplit", stringSplitOp, OpKind::StringSplit},
    OpEntry{"Sub", binaryOp, OpKind::Sub},
    OpEntry{"Sum", variadicOp, OpKind::Add},
    OpEntry{"SwiGLU", swigluOp, OpKind::Mul},
    OpEntry{"Swish", swishOp, OpKind::Sigmoid},
    OpEntry{"Tan", hyperbolicOp, OpKind::Sin},
    OpEntry{"Tanh", unaryOp, OpKind::Tanh},
    OpEntry{"TensorScatter", tensorScatterOp, OpKind::Where},
    OpEntry{"TfIdfVectorizer", tfIdfVectorizerOp, OpKind::MatMul},
    OpEntry{"ThresholdedRelu", thresholdedReluOp, OpKind::Where},
    OpEntry{"Tile", tileOp, OpKind::Expand},
    OpEntry{"TopK", topKOp, OpKind::ReduceSum},
    OpEntry{"Transpose", transposeOp, OpKind::Transpose},
    OpEntry{"Trilu", triluOp, OpKind::Where},
    OpEntry{"Unique", uniqueOp, OpKind::ReduceSum},
    OpEntry{"Unsqueeze", unsqueezeOp, OpKind::Reshape},
    OpEntry{"Upsample", upsampleOp, OpKind::Gather},
    OpEntry{"Where", whereOp, OpKind::Where},
    OpEntry{"Xor", xorOp, OpKind::Equal},
};

constexpr bool isSorted() {
  for (size_t i = 1; i < kOps.size(); ++i)
    if (!(kOps[i - 1].name < kOps[i].name))
      return false;
  return true;
}
static_assert(isSorted(), "kOps must be sorted by name");

const OpEntry *findOp(std::string_view name) {
  auto it = std::lower_bound(
      kOps.begin(), kOps.end(), name,
      [](const OpEntry &e, std::string_view n) { return e.name < n; });
  if (it == kOps.end() || it->name != name)
    return nullptr;
  return &*it;
}

} // namespace

bool isSupportedOp(const std::string &opType) { return findOp(opType); }

namespace {

/// One default-domain op and the opsets that changed it, ascending.
struct OpVersions {
  std::string_view name;
  std::array<int16_t, 16> versions;
};

constexpr OpVersions kOpVersions[] = {
#include "frontends/onnx/OnnxOpVersions.inc"
};

/// Older schema versions that mean the same as the opset-13 one for every
/// model that can use them, by op. Where a version is not listed, the
/// importer accepts the version in effect at opset 13 and newer only.
constexpr std::pair<std::string_view, int16_t> kOlderVersions[] = {
    // Only the type lists grew since these versions (6 dropped the
    // consumed_inputs attribute, 7 introduced numpy broadcasting, 8 the
    // broadcasting of the variadic ops).
    {"Abs", 6},
    {"Add", 7},
    {"AveragePool", 7},
    {"BatchNormalization", 9}, // 9 dropped `spatial`
    {"Cast", 6},               // 6 made `to` an enum
    {"Ceil", 6},
    {"Clip", 11},  // 11 moved min/max to inputs
    {"Concat", 4}, // 4 made `axis` required
    {"Constant", 9},
    {"ConstantOfShape", 9},
    {"Conv", 1},
    {"Cos", 7},
    {"DequantizeLinear", 10}, // 13 added per-axis scales (axis)
    {"Div", 7},
    {"Dropout", 10}, // 12 moved ratio to an input; inference is identity
    {"Equal", 7},
    {"Erf", 9},
    {"Exp", 6},
    {"Expand", 8},
    {"Flatten", 1},
    {"Floor", 6},
    {"Gather", 1},
    {"Gemm", 7}, // 7 dropped `broadcast`
    {"GlobalAveragePool", 1},
    {"GlobalMaxPool", 1},
    {"Greater", 7},
    {"HardSigmoid", 6},
    {"Identity", 1},
    {"If", 1},   // later versions only grew the type lists
    {"Loop", 1}, // 11 only reworded the semantics (body inputs are the
                 // previous iteration's values)
    {"LeakyRelu", 6},
    {"Less", 7},
    {"Log", 6},
    {"MatMul", 1},
    {"Max", 8},
    {"MaxPool", 8},
    {"Mean", 8},
    {"Min", 8},
    {"Mul", 7},
    {"Neg", 6},
    {"Pad", 11}, // 11 moved pads to an input
    {"Pow", 7},
    {"QuantizeLinear", 10}, // 13 added per-axis scales (axis)
    {"Reciprocal", 6},
    {"ReduceMax", 11}, // 11 allowed negative axes; 12, 13 grew types
    {"ReduceMin", 11},
    {"Relu", 6},
    {"Reshape", 5}, // 5 moved shape to an input
    {"Resize", 11}, // 13 made roi and scales optional; 18 added axes etc.
    {"Scan", 8},    // 9 dropped the batch axis; 11 allowed negative axes
    {"Scatter", 9}, // 11 allowed negative indices
    {"Shape", 1},
    {"Sigmoid", 6},
    {"Sin", 7},
    {"Size", 1},
    {"Slice", 10}, // 10 moved starts/ends/axes to inputs, added steps
    {"Softplus", 1},
    {"Sqrt", 6},
    {"Sub", 7},
    {"Sum", 8},
    {"Tanh", 6},
    {"TopK", 10}, // 10 moved k to an input; 11 added largest, sorted
    {"Transpose", 1},
    {"Upsample", 9}, // 9 moved scales to an input; 10 only deprecated it
    {"Where", 9},
};

const OpVersions *findVersions(std::string_view name) {
  for (const OpVersions &v : kOpVersions)
    if (v.name == name)
      return &v;
  return nullptr;
}

} // namespace

int64_t opVersion(const std::string &opType, int64_t opset) {
  const OpVersions *v = findVersions(opType);
  int64_t found = 0;
  if (v)
    for (int16_t version : v->versions)
      if (version != 0 && version <= opset)
        found = version;
  return found;
}

int64_t oldestImplementedVersion(const std::string &opType) {
  for (const auto &[name, version] : kOlderVersions)
    if (name == opType)
      return version;
  return opVersion(opType, 13);
}

namespace {

/// The ops of the ai.onnx.preview.training domain (version 1).
constexpr std::array kTrainingOps = {
    OpEntry{"Adagrad", adagradOp, OpKind::Div},
    OpEntry{"Adam", adamOp, OpKind::Div},
    OpEntry{"Momentum", momentumOp, OpKind::Mul},
};

/// The ops of the ai.onnx.ml domain (each unchanged since version 1, but
/// LabelEncoder, read from version 2 on).
constexpr std::array kMlOps = {
    OpEntry{"ArrayFeatureExtractor", arrayFeatureExtractorOp, OpKind::Gather},
    OpEntry{"Binarizer", binarizerOp, OpKind::Greater},
    OpEntry{"LabelEncoder", labelEncoderOp, OpKind::Gather},
    OpEntry{"TreeEnsemble", treeEnsembleOp, OpKind::MatMul},
};

/// The ops of the ai.onnx.preview domain (version 1).
constexpr std::array kPreviewOps = {
    OpEntry{"FlexAttention", flexAttentionOp, OpKind::MatMul},
};

/// The entry of `name` in non-default `domain`, or null.
const OpEntry *findDomainOp(std::string_view domain, std::string_view name) {
  auto find = [&](const auto &table) -> const OpEntry * {
    for (const OpEntry &entry : table)
      if (entry.name == name)
        return &entry;
    return nullptr;
  };
  if (domain == kTrainingDomain)
    return find(kTrainingOps);
  if (domain == kMlDomain)
    return find(kMlOps);
  if (domain == kPreviewDomain)
    return find(kPreviewOps);
  return nullptr;
}

} // namespace

int64_t newestDomainOpset(const std::string &domain) {
  if (domain == kTrainingDomain || domain == kPreviewDomain)
    return 1;
  return domain == kMlDomain ? 5 : 0;
}

bool isSupportedDomainOp(const std::string &domain, const std::string &opType) {
  return findDomainOp(domain, opType);
}

Expected<bool> translateDimValueNode(NodeContext &ctx) {
  const std::string &op = ctx.proto.op_type();
  bool defaultDomain =
      ctx.proto.domain().empty() || ctx.proto.domain() == "ai.onnx";
  if (!defaultDomain || (ctx.proto.output_size() != 1 && op != "Split"))
    return false;
  auto emit = [&](const Shape &dims, bool scalar,
                  DType dtype = DType::I64) -> Expected<bool> {
    if (isStatic(dims)) {
      // Folded back to an ordinary constant.
      auto data = intsTensor(
          staticExtents(dims),
          scalar ? Shape{} : Shape{Dim(static_cast<int64_t>(dims.size()))});
      if (!data)
        return data.error();
      if (dtype != DType::I64) {
        auto c = ctx.importer.emitConstant(data.take());
        if (!c)
          return c.error();
        MLC_RETURN_IF_ERROR(
            setOutput(ctx, 0, castTo(ctx.importer, *c, dtype, ctx.outputName(0))));
        return true;
      }
      MLC_RETURN_IF_ERROR(emitTensorOutput(ctx, data.take()));
      return true;
    }
    auto v = ctx.importer.emitDimValue(dims, scalar, ctx.outputName(0), dtype);
    if (!v)
      return v.error();
    ctx.outputs[0] = *v;
    return true;
  };
  if (op == "Shape") {
    Value *x = ctx.optionalInput(0);
    if (!x || isStatic(x->type().shape))
      return false;
    int64_t rank = x->type().rank();
    ONNX_ASSIGN(start, ctx.intAttr("start", 0));
    ONNX_ASSIGN(end, ctx.intAttr("end", rank));
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    Shape dims;
    for (int64_t i = start; i < end; ++i)
      dims.push_back(x->type().shape[i]);
    return emit(dims, false);
  }
  // The other ops take part only when their data input is a dim value.
  Value *data = ctx.optionalInput(0);
  // Run-time integer inputs take part as value symbols, but only in dim
  // arithmetic and concatenation: shape math computed from run-time sizes
  // (CenterCropPad's and AffineGrid's function bodies).
  // Only int64 inputs (ONNX's shape type), one per node: data math on
  // run-time integers (Max of two int32 inputs) stays data math.
  bool anyDimValue = false;
  int runTime = 0;
  for (Value *v : ctx.inputs) {
    anyDimValue |= v && ctx.importer.dimValue(v);
    if (v && isRunTimeInts(v))
      runTime += v->type().dtype == DType::I64 ? 1 : 2;
  }
  bool anyRunTime = runTime == 1;
  bool arithmetic = op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
                    op == "Max" || op == "Min" || op == "Concat" ||
                    op == "Split";
  anyDimValue |= anyRunTime && arithmetic;
  if (!data || !anyDimValue)
    return false;
  auto in = dimsOfInput(ctx, 0);
  if (!in)
    return false;
  const Shape &dims = in->first;
  bool scalar = in->second;
  if (op == "Identity")
    return emit(dims, scalar);
  if (op == "Cast") {
    ONNX_ASSIGN(to, ctx.intAttr("to", 0));
    if (to != onnx::TensorProto_DataType_INT64 &&
        to != onnx::TensorProto_DataType_INT32)
      return false;
    return emit(dims, scalar,
                to == onnx::TensorProto_DataType_INT32 ? DType::I32
                                                       : DType::I64);
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
      op == "Max" || op == "Min") {
    // Dim arithmetic, element by element (numpy broadcasting of a scalar
    // or one-element side): symbol expressions. Div is exact floor division
    // only for non-negative operands; otherwise the op runs on the data.
    if (ctx.numInputs() != 2)
      return false;
    auto other = dimsOfInput(ctx, 1);
    if (!other || dims.empty() || other->first.empty())
      return false;
    const Shape &a = dims, &b = other->first;
    if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
      return false;
    Graph &g = ctx.importer.graph();
    auto arg = [](const Dim &d) {
      return d.isStatic() ? SymbolArg(d.value()) : SymbolArg(d.symbolName());
    };
    SymbolOp sop = op == "Add"   ? SymbolOp::Add
                   : op == "Sub" ? SymbolOp::Sub
                   : op == "Mul" ? SymbolOp::Mul
                   : op == "Div" ? SymbolOp::FloorDiv
                   : op == "Max" ? SymbolOp::Max
                                 : SymbolOp::Min;
    Shape out;
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      SymbolArg x = arg(a[a.size() == 1 ? 0 : i]);
      SymbolArg y = arg(b[b.size() == 1 ? 0 : i]);
      if (sop == SymbolOp::FloorDiv && std::holds_alternative<int64_t>(y) &&
          std::get<int64_t>(y) == 0)
        return false;
      if (sop == SymbolOp::FloorDiv && !std::holds_alternative<int64_t>(y)) {
        // Symbol division by 0 gives 0; ONNX's would be an error.
        auto zero = g.defineSymbol(SymbolOp::Eq, {y, int64_t{0}});
        if (!zero)
          return false;
        auto nonZero = g.defineSymbol(SymbolOp::Sub, {int64_t{1}, *zero});
        if (!nonZero)
          return false;
        const std::string &name = ctx.importer.nodeName.empty()
                                      ? ctx.proto.name()
                                      : ctx.importer.nodeName;
        MLC_RETURN_IF_ERROR(
            g.require(*nonZero, "node '" + name + "' (Div): division by zero"));
      }
      auto r = g.defineSymbol(sop, {x, y});
      if (!r)
        return false;
      SymbolArg result = *r;
      if (sop == SymbolOp::FloorDiv &&
          (!g.isNonNegative(x) || !g.isNonNegative(y))) {
        // ONNX's integer Div truncates: the floor quotient plus 1 where the
        // signs differ and the division is not exact.
        auto sym =
            [&](SymbolOp o,
                std::vector<SymbolArg> args) -> std::optional<SymbolArg> {
          auto v = g.defineSymbol(o, std::move(args));
          if (!v)
            return std::nullopt;
          return *v;
        };
        auto xn = sym(SymbolOp::Lt, {x, int64_t{0}});
        auto yn = sym(SymbolOp::Lt, {y, int64_t{0}});
        auto rem = sym(SymbolOp::Mod, {x, y});
        if (!xn || !yn || !rem)
          return false;
        auto same = sym(SymbolOp::Eq, {*xn, *yn});
        auto exact = sym(SymbolOp::Eq, {*rem, int64_t{0}});
        if (!same || !exact)
          return false;
        auto up = sym(SymbolOp::Select, {*same, int64_t{0}, int64_t{1}});
        auto keep = sym(SymbolOp::Select, {*exact, int64_t{0}, *up});
        if (!up || !keep)
          return false;
        auto fixed = sym(SymbolOp::Add, {result, *keep});
        if (!fixed)
          return false;
        result = *fixed;
      }
      out.push_back(symbolArgDim(result));
    }
    return emit(out, scalar && other->second);
  }
  if (op == "Gather" && !scalar) {
    ONNX_ASSIGN(axis, ctx.intAttr("axis", 0));
    if (axis != 0 && axis != -1)
      return false;
    Value *indices = ctx.optionalInput(1);
    if (!indices || ctx.importer.dimValue(indices))
      return false;
    ONNX_ASSIGN(list, ctx.importer.requireInts(indices, "indices"));
    Shape out;
    int64_t n = static_cast<int64_t>(dims.size());
    for (int64_t i : list) {
      if (i < -n || i >= n)
        return makeError("gather index " + std::to_string(i) +
                         " is out of range for " + std::to_string(n) + " dims");
      out.push_back(dims[i < 0 ? i + n : i]);
    }
    return emit(out, indices->type().rank() == 0);
  }
  if (op == "Unsqueeze" && scalar) {
    std::vector<int64_t> axes;
    if (Value *a = ctx.optionalInput(1)) {
      ONNX_ASSIGN(list, ctx.importer.requireInts(a, "axes"));
      axes = list;
    } else {
      ONNX_ASSIGN(list, ctx.intsAttr("axes"));
      axes = list;
    }
    if (axes.size() != 1 || (axes[0] != 0 && axes[0] != -1))
      return false;
    return emit(dims, false);
  }
  if (op == "Squeeze" && !scalar && dims.size() == 1)
    return emit(dims, true);
  if (op == "Reshape" && ctx.optionalInput(1) &&
      !ctx.importer.dimValue(ctx.optionalInput(1))) {
    ONNX_ASSIGN(target,
                ctx.importer.requireInts(ctx.optionalInput(1), "shape"));
    if (target.empty() && dims.size() == 1)
      return emit(dims, true);
    if (target.size() == 1 &&
        (target[0] == -1 || target[0] == static_cast<int64_t>(dims.size())))
      return emit(dims, false);
    return false;
  }
  if (op == "Split" && !scalar) {
    // Pieces of a 1-D dim value: by the constant split sizes, or
    // num_outputs (ceil-sized pieces, as Split-18) / the output count.
    ONNX_ASSIGN(axis, ctx.intAttr("axis", 0));
    if (axis != 0 && axis != -1)
      return false;
    int64_t n = static_cast<int64_t>(dims.size());
    int64_t outs = ctx.proto.output_size();
    std::vector<int64_t> sizes;
    if (Value *sp = ctx.optionalInput(1)) {
      if (ctx.importer.dimValue(sp) || isRunTimeInts(sp))
        return false;
      ONNX_ASSIGN(list, ctx.importer.requireInts(sp, "split"));
      sizes = list;
    } else if (ctx.hasAttr("split")) {
      ONNX_ASSIGN(list, ctx.intsAttr("split"));
      sizes = list;
    } else {
      ONNX_ASSIGN(parts, ctx.intAttr("num_outputs", outs));
      if (parts < 1)
        return false;
      int64_t each = (n + parts - 1) / parts;
      for (int64_t at = 0; at < n; at += each)
        sizes.push_back(std::min(each, n - at));
    }
    int64_t total = 0;
    for (int64_t v : sizes) {
      if (v < 0)
        return false;
      total += v;
    }
    if (total != n || static_cast<int64_t>(sizes.size()) != outs)
      return false;
    int64_t at = 0;
    for (int64_t i = 0; i < outs; ++i) {
      Shape piece(dims.begin() + at, dims.begin() + at + sizes[i]);
      at += sizes[i];
      if (!ctx.outputUsed[static_cast<size_t>(i)])
        continue;
      DType pieceType = data->type().dtype;
      if (isStatic(piece)) {
        ONNX_ASSIGN(bytes,
                    intsTensor(staticExtents(piece), Shape{Dim(sizes[i])}));
        ONNX_ASSIGN(c, ctx.importer.emitConstant(std::move(bytes)));
        ONNX_ASSIGN(cc, castTo(ctx.importer, c, pieceType,
                               ctx.outputName(static_cast<size_t>(i))));
        ctx.outputs[static_cast<size_t>(i)] = cc;
        continue;
      }
      ONNX_ASSIGN(v, ctx.importer.emitDimValue(
                         piece, false, ctx.outputName(static_cast<size_t>(i)),
                         pieceType));
      ctx.outputs[static_cast<size_t>(i)] = v;
    }
    return true;
  }
  if (op == "Concat") {
    Shape out;
    for (size_t i = 0; i < ctx.numInputs(); ++i) {
      auto part = dimsOfInput(ctx, i);
      if (!part || part->second)
        return false;
      out.insert(out.end(), part->first.begin(), part->first.end());
    }
    return emit(out, false);
  }
  if (op == "Slice" && !scalar) {
    for (size_t i = 1; i < ctx.numInputs(); ++i)
      if (ctx.inputs[i] && ctx.importer.dimValue(ctx.inputs[i]))
        return false;
    ONNX_ASSIGN(startsIn, ctx.input(1));
    ONNX_ASSIGN(endsIn, ctx.input(2));
    ONNX_ASSIGN(starts, ctx.importer.requireInts(startsIn, "starts"));
    ONNX_ASSIGN(ends, ctx.importer.requireInts(endsIn, "ends"));
    std::vector<int64_t> steps{1};
    if (Value *st = ctx.optionalInput(4)) {
      ONNX_ASSIGN(list, ctx.importer.requireInts(st, "steps"));
      steps = list;
    }
    if (starts.size() != 1 || ends.size() != 1 || steps.size() != 1 ||
        steps[0] != 1)
      return false;
    int64_t n = static_cast<int64_t>(dims.size());
    int64_t b =
        std::clamp<int64_t>(starts[0] < 0 ? starts[0] + n : starts[0], 0, n);
    int64_t e = std::clamp<int64_t>(ends[0] < 0 ? ends[0] + n : ends[0], 0, n);
    Shape out;
    for (int64_t i = b; i < e; ++i)
      out.push_back(dims[i]);
    return emit(out, false);
  }
  return false;
}

Status translateNode(NodeContext &ctx) {
  bool defaultDomain =
      ctx.proto.domain().empty() || ctx.proto.domain() == "ai.onnx";
  const OpEntry *entry =
      defaultDomain ? findOp(ctx.proto.op_type())
                    : findDomainOp(ctx.proto.domain(), ctx.proto.op_type());
  if (!entry)
    return makeError("unsupported op");
  return entry->fn(ctx, entry->kind);
}

} // namespace mlc::onnx_import
