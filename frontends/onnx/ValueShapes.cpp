// Ops whose output shape comes from the values of an integer graph input
// (Reshape's shape, Squeeze / Unsqueeze / Reduce* axes fed at run time):
// the input's elements become value symbols, the output dims symbol
// expressions over them, and the graph requires at run time what ONNX
// requires of the values (docs/frontends.md, "Shapes from input values").
#include "frontends/onnx/ImporterContext.h"

#include "ir/Printer.h"

#include <array>
#include <cmath>

namespace mlc::onnx_import {

namespace {

/// Builds symbol expressions on a graph, keeping the first error.
class SymbolMath {
public:
  explicit SymbolMath(Graph &graph) : graph_(graph) {}

  SymbolArg op(SymbolOp op, std::vector<SymbolArg> args) {
    if (!status_)
      return SymbolArg(int64_t{0});
    Expected<SymbolArg> r = graph_.defineSymbol(op, std::move(args));
    if (!r) {
      status_ = r.error();
      return SymbolArg(int64_t{0});
    }
    return r.take();
  }
  SymbolArg add(SymbolArg a, SymbolArg b) { return op(SymbolOp::Add, {a, b}); }
  SymbolArg sub(SymbolArg a, SymbolArg b) { return op(SymbolOp::Sub, {a, b}); }
  SymbolArg mul(SymbolArg a, SymbolArg b) { return op(SymbolOp::Mul, {a, b}); }
  SymbolArg eq(SymbolArg a, SymbolArg b) { return op(SymbolOp::Eq, {a, b}); }
  SymbolArg lt(SymbolArg a, SymbolArg b) { return op(SymbolOp::Lt, {a, b}); }
  SymbolArg max(SymbolArg a, SymbolArg b) { return op(SymbolOp::Max, {a, b}); }
  SymbolArg floorDiv(SymbolArg a, SymbolArg b) {
    return op(SymbolOp::FloorDiv, {a, b});
  }
  SymbolArg select(SymbolArg c, SymbolArg a, SymbolArg b) {
    return op(SymbolOp::Select, {c, a, b});
  }
  /// 1 - a for a in {0, 1}.
  SymbolArg negate(SymbolArg a) { return sub(int64_t{1}, a); }
  /// Axis `a` of a list (entry `j`) against `rank`: negative counts from
  /// the end; requires the result in [0, rank) at run time.
  SymbolArg axis(SymbolArg a, int64_t rank, const std::string &who, size_t j) {
    SymbolArg negative = lt(a, int64_t{0});
    SymbolArg wrapped = add(a, rank);
    SymbolArg n = select(negative, wrapped, a);
    SymbolArg above = lt(n, int64_t{0});
    SymbolArg inRange = mul(negate(above), lt(n, rank));
    require(inRange, who + "axes[" + std::to_string(j) +
                         "] is out of range for rank " + std::to_string(rank));
    return n;
  }
  /// Adds the run-time requirement that `condition` is non-zero.
  void require(SymbolArg condition, const std::string &message) {
    if (status_)
      status_ = graph_.require(condition, message);
  }
  Status status() const { return status_; }

private:
  Graph &graph_;
  Status status_;
};

/// "node 'NAME' (OP): " for run-time messages.
std::string nodeLabel(const NodeContext &ctx) {
  const std::string &name = ctx.importer.nodeName.empty()
                                ? ctx.proto.name()
                                : ctx.importer.nodeName;
  return "node '" + name + "' (" + ctx.proto.op_type() + "): ";
}

SymbolArg dimArg(const Dim &d) {
  if (d.isStatic())
    return SymbolArg(d.value());
  return SymbolArg(d.symbolName());
}

/// A symbol argument as an i64 scalar tensor: a constant, or the symbol's
/// run-time value (symbol_values).
Expected<Value *> scalarOf(Importer &im, const SymbolArg &a) {
  if (const auto *c = std::get_if<int64_t>(&a))
    return im.emitScalar(DType::I64, static_cast<double>(*c));
  ONNX_ASSIGN(v, im.emit(OpKind::SymbolValues, {},
                         {{"values", dimsAttribute({symbolArgDim(a)})}}));
  return im.emitReshape(v, {});
}

/// The element count of `shape` as a symbol expression.
SymbolArg countOf(SymbolMath &m, const Shape &shape) {
  SymbolArg n(int64_t{1});
  for (const Dim &d : shape)
    n = m.mul(n, dimArg(d));
  return n;
}

/// The value symbols of the elements of run-time integer input `v`.
Expected<std::vector<SymbolArg>> valueSymbols(Importer &im, const Value *v) {
  Expected<int64_t> count = elementCount(v->type().shape);
  if (!count)
    return count.error();
  std::vector<SymbolArg> out;
  for (int64_t i = 0; i < *count; ++i) {
    Expected<std::string> s = im.graph().defineValueSymbol(v, i);
    if (!s)
      return s.error();
    out.push_back(SymbolArg(s.take()));
  }
  return out;
}

/// Axes read at run time, normalized against `rank`, with the run-time
/// requirement that each lies in [-rank, rank - 1] and (with `distinct`)
/// that none repeats. Returns, per dim of the rank, 1 when some axis names
/// it and 0 otherwise.
Expected<std::vector<SymbolArg>> axisMask(NodeContext &ctx, SymbolMath &m,
                                          Value *axes, int64_t rank,
                                          bool distinct) {
  ONNX_ASSIGN(values, valueSymbols(ctx.importer, axes));
  const std::string who = nodeLabel(ctx);
  std::vector<SymbolArg> norm;
  for (size_t j = 0; j < values.size(); ++j) {
    norm.push_back(m.axis(values[j], rank, who, j));
  }
  std::vector<SymbolArg> mask;
  for (int64_t p = 0; p < rank; ++p) {
    SymbolArg hit(int64_t{0}), hits(int64_t{0});
    for (size_t j = 0; j < norm.size(); ++j) {
      SymbolArg e = m.eq(norm[j], p);
      hit = j == 0 ? e : m.max(hit, e);
      hits = m.add(hits, e);
    }
    mask.push_back(hit);
    if (distinct && norm.size() > 1)
      m.require(m.lt(hits, int64_t{2}),
                who + "axes name dim " + std::to_string(p) + " twice");
  }
  MLC_RETURN_IF_ERROR(m.status());
  return mask;
}

/// The dims of `dims` whose mask entry is 0, in order, as `outRank`
/// symbol expressions (the mask is known only at run time).
std::vector<SymbolArg> keptDims(SymbolMath &m, const Shape &dims,
                                const std::vector<SymbolArg> &mask,
                                int64_t outRank) {
  std::vector<SymbolArg> position; // of dim p among the kept ones
  SymbolArg before(int64_t{0});
  for (size_t p = 0; p < dims.size(); ++p) {
    position.push_back(before);
    before = m.add(before, m.negate(mask[p]));
  }
  std::vector<SymbolArg> out;
  for (int64_t j = 0; j < outRank; ++j) {
    SymbolArg d(int64_t{0});
    for (size_t p = 0; p < dims.size(); ++p) {
      SymbolArg here = m.mul(m.negate(mask[p]), m.eq(position[p], j));
      d = m.add(d, m.select(here, dimArg(dims[p]), int64_t{0}));
    }
    out.push_back(d);
  }
  return out;
}

/// A reshape of `x` to `dims` whose element counts compare at run time.
Expected<Value *> checkedReshape(Importer &im, Value *x,
                                 const std::vector<SymbolArg> &dims,
                                 const std::string &name) {
  Shape shape;
  for (const SymbolArg &d : dims) {
    if (const auto *c = std::get_if<int64_t>(&d); c && *c < 0)
      return makeError("the target shape has a negative dim (" +
                       std::to_string(*c) + ")");
    shape.push_back(symbolArgDim(d));
  }
  AttributeMap attrs{{"shape", dimsAttribute(shape)}, {"checked", int64_t{1}}};
  return im.emit(OpKind::Reshape, {x}, std::move(attrs), name);
}

} // namespace

Expected<std::vector<Value *>>
unifyBroadcastDims(Importer &im, const std::vector<Value *> &operands) {
  return unifyDims(im, operands, -1);
}

Expected<std::vector<Value *>> unifyDims(Importer &im,
                                         const std::vector<Value *> &operands,
                                         int64_t concatAxis) {
  bool broadcast = concatAxis < 0;
  size_t rank = 0;
  for (Value *v : operands)
    rank = std::max(rank, v->type().shape.size());
  // The dim at result position p of operand i (1 where it has none).
  auto dimAt = [&](size_t i, size_t p) {
    const Shape &s = operands[i]->type().shape;
    size_t lead = rank - s.size();
    return p < lead ? Dim(1) : s[p - lead];
  };
  Graph &g = im.graph();
  std::vector<std::optional<Dim>> target(rank);
  bool needed = false;
  for (size_t p = 0; p < rank; ++p) {
    if (!broadcast && static_cast<int64_t>(p) == concatAxis)
      continue;
    for (size_t i = 0; i < operands.size(); ++i) {
      if (!broadcast && operands[i]->type().shape.size() != rank)
        return operands; // concat of different ranks: the builder says why
      Dim d = dimAt(i, p);
      if (broadcast && d.isStatic() && d.value() == 1)
        continue;
      if (!d.isStatic() && g.isLateSymbol(d.symbolName()))
        return operands;
      if (!target[p]) {
        target[p] = d;
        continue;
      }
      if (*target[p] == d)
        continue;
      if (target[p]->isStatic() && d.isStatic())
        return operands; // cannot broadcast: the builder says why
      needed = true;
      if (d.isStatic())
        target[p] = d; // a static extent wins over a symbol
    }
  }
  if (!needed)
    return operands;
  std::vector<Value *> out = operands;
  for (size_t i = 0; i < operands.size(); ++i) {
    size_t lead = rank - operands[i]->type().shape.size();
    std::vector<std::optional<Dim>> mine(target.begin() + lead, target.end());
    ONNX_ASSIGN(r,
                matchDims(im, operands[i], mine, "operand " + std::to_string(i),
                          broadcast ? "dynamic dims broadcast only against "
                                      "equal ones"
                                    : "concatenated tensors must agree off "
                                      "the axis"));
    out[i] = r;
  }
  return out;
}

Expected<Value *> matchDims(Importer &im, Value *v,
                            const std::vector<std::optional<Dim>> &target,
                            const std::string &what, const std::string &why) {
  const Shape &s = v->type().shape;
  SymbolMath m(im.graph());
  auto text = [](const Dim &d) {
    return d.isStatic() ? std::to_string(d.value()) : "?" + d.symbolName();
  };
  std::vector<SymbolArg> dims;
  bool changed = false;
  for (size_t j = 0; j < s.size(); ++j) {
    const Dim &d = s[j];
    const std::optional<Dim> &t = j < target.size() ? target[j] : std::nullopt;
    if (d.isStatic() || !t || *t == d) {
      dims.push_back(dimArg(d));
      continue;
    }
    m.require(m.eq(dimArg(d), dimArg(*t)),
              "node '" + im.nodeName + "': dim " + std::to_string(j) + " of " +
                  what + " (" + text(d) + ") must equal " + text(*t) + " (" +
                  why + ")");
    dims.push_back(dimArg(*t));
    changed = true;
  }
  MLC_RETURN_IF_ERROR(m.status());
  if (!changed)
    return v;
  return checkedReshape(im, v, dims, "");
}

bool isRunTimeScalar(const Value *v) {
  if (!v || v->producer())
    return false;
  const TensorType &t = v->type();
  if (t.dtype != DType::I64 && t.dtype != DType::I32 && t.dtype != DType::F32 &&
      t.dtype != DType::F64)
    return false;
  Expected<int64_t> n = elementCount(t.shape);
  return isStatic(t.shape) && n.ok() && *n == 1;
}

Expected<std::vector<SymbolArg>> requireSymbolArgs(Importer &im, Value *v,
                                                   const std::string &what) {
  if (isRunTimeInts(v))
    return valueSymbols(im, v);
  if (const Shape *dims = im.dimValue(v)) {
    std::vector<SymbolArg> out;
    for (const Dim &d : *dims)
      out.push_back(dimArg(d));
    return out;
  }
  ONNX_ASSIGN(ints, im.requireInts(v, what));
  return std::vector<SymbolArg>(ints.begin(), ints.end());
}

Status rangeFromSymbols(NodeContext &ctx, Value *startIn, Value *limitIn,
                        Value *deltaIn) {
  Importer &im = ctx.importer;
  DType dt = startIn->type().dtype;
  if (limitIn->type().dtype != dt || deltaIn->type().dtype != dt)
    return makeError("start, limit and delta must have the same type");
  auto scalar = [&](Value *v, const char *what) -> Expected<SymbolArg> {
    if (isFloat(dt)) {
      // Floats: an integral constant, or the cast of an integer scalar
      // given at run time (a window's size), exact in the float type.
      if (Expected<TensorData> c = im.requireConstant(v, what); c.ok()) {
        if (c->numElements() != 1)
          return makeError(std::string(what) + " must be a scalar");
        double d = tensorElementAsDouble(*c, 0);
        if (!(d == std::floor(d) && std::fabs(d) < 9.0e15))
          return makeError(std::string(what) +
                           " must be an integral value when another input "
                           "of Range is given at run time");
        return SymbolArg(static_cast<int64_t>(d));
      }
      const Node *p = v->producer();
      if (!p || p->kind() != OpKind::Cast ||
          !isInteger(p->operand(0)->type().dtype))
        return makeError(std::string(what) + " '" + v->name() +
                         "' must be computable at import time (a constant or "
                         "computed from constants only) or the cast of an "
                         "integer given at run time");
      v = p->operand(0);
    }
    ONNX_ASSIGN(args, requireSymbolArgs(im, v, what));
    if (args.size() != 1)
      return makeError(std::string(what) + " must be a scalar");
    return args[0];
  };
  ONNX_ASSIGN(start, scalar(startIn, "start"));
  ONNX_ASSIGN(limit, scalar(limitIn, "limit"));
  ONNX_ASSIGN(delta, scalar(deltaIn, "delta"));
  SymbolMath m(im.graph());
  m.require(m.negate(m.eq(delta, int64_t{0})),
            nodeLabel(ctx) + "delta must not be 0");
  // n = max(ceil((limit - start) / delta), 0): with a positive constant
  // delta floor((limit - start + delta - 1) / delta) (so Range(0, ?n, 1) is
  // ?n), else -floor((start - limit) / delta).
  SymbolArg n;
  if (const auto *c = std::get_if<int64_t>(&delta); c && *c > 0)
    n = m.max(m.floorDiv(m.add(m.sub(limit, start), *c - 1), *c), int64_t{0});
  else
    n = m.max(m.sub(int64_t{0}, m.floorDiv(m.sub(start, limit), delta)),
              int64_t{0});
  MLC_RETURN_IF_ERROR(m.status());
  // start + delta * iota(n), in i64, then cast.
  ONNX_ASSIGN(iota, im.emit(OpKind::Iota, {},
                            {{"shape", dimsAttribute({symbolArgDim(n)})},
                             {"axis", int64_t{0}}}));
  ONNX_ASSIGN(s, scalarOf(im, start));
  ONNX_ASSIGN(d, scalarOf(im, delta));
  ONNX_ASSIGN(steps, im.emit(OpKind::Mul, {iota, d}));
  std::string name = ctx.outputName(0);
  if (dt == DType::I64)
    return setOutput(ctx, 0, im.emit(OpKind::Add, {steps, s}, {}, name));
  ONNX_ASSIGN(sum, im.emit(OpKind::Add, {steps, s}));
  return setOutput(ctx, 0, im.emit(OpKind::Cast, {sum}, {{"to", dt}}, name));
}

/// Gathers `len` elements of `x` along `axis` from `start` by `step`
/// (symbols; the indices are in range by construction).
Expected<Value *> gatherRun(Importer &im, Value *x, int64_t axis,
                            const SymbolArg &start, const SymbolArg &step,
                            const SymbolArg &len, const std::string &name) {
  ONNX_ASSIGN(iota, im.emit(OpKind::Iota, {},
                            {{"shape", dimsAttribute({symbolArgDim(len)})},
                             {"axis", int64_t{0}}}));
  Value *index = iota;
  if (!(std::holds_alternative<int64_t>(step) && std::get<int64_t>(step) == 1)) {
    ONNX_ASSIGN(s, scalarOf(im, step));
    ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {index, s}));
    index = scaled;
  }
  if (!(std::holds_alternative<int64_t>(start) &&
        std::get<int64_t>(start) == 0)) {
    ONNX_ASSIGN(s, scalarOf(im, start));
    ONNX_ASSIGN(shifted, im.emit(OpKind::Add, {index, s}));
    index = shifted;
  }
  return im.emit(OpKind::Gather, {x, index}, {{"axis", axis}}, name);
}

Status sliceFromSymbols(NodeContext &ctx, Value *x) {
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  ONNX_ASSIGN(starts, requireSymbolArgs(im, ctx.inputs[1], "starts"));
  ONNX_ASSIGN(ends, requireSymbolArgs(im, ctx.inputs[2], "ends"));
  size_t count = starts.size();
  if (ends.size() != count)
    return makeError("starts and ends have different lengths");
  std::vector<SymbolArg> axes, steps(count, SymbolArg(int64_t{1}));
  if (Value *a = ctx.optionalInput(3)) {
    ONNX_ASSIGN(list, requireSymbolArgs(im, a, "axes"));
    axes = list;
  } else {
    for (size_t i = 0; i < count; ++i)
      axes.push_back(SymbolArg(static_cast<int64_t>(i)));
  }
  if (Value *s = ctx.optionalInput(4)) {
    ONNX_ASSIGN(list, requireSymbolArgs(im, s, "steps"));
    steps = list;
  }
  if (axes.size() != count || steps.size() != count)
    return makeError("starts, ends, axes and steps have different lengths");
  const Shape &in = x->type().shape;
  int64_t rank = x->type().rank();
  // Per entry: its axis, normalized and checked; no axis twice.
  std::vector<SymbolArg> norm;
  for (size_t j = 0; j < count; ++j) {
    norm.push_back(m.axis(axes[j], rank, who, j));
    m.require(m.negate(m.eq(steps[j], int64_t{0})),
              who + "steps[" + std::to_string(j) + "] is 0");
  }
  Value *cur = x;
  Shape outShape;
  std::vector<std::pair<int64_t, std::array<SymbolArg, 3>>> runs;
  for (int64_t p = 0; p < rank; ++p) {
    SymbolArg d = dimArg(in[p]);
    bool empty = in[p].isStatic() && in[p].value() == 0;
    // This dim's entry (if any): start, end, step.
    SymbolArg has(int64_t{0}), st(int64_t{0}), en(int64_t{0}),
        sp(int64_t{0});
    for (size_t j = 0; j < count; ++j) {
      SymbolArg e = m.eq(norm[j], p);
      if (j > 0)
        m.require(m.lt(m.add(has, e), int64_t{2}),
                  who + "axes name dim " + std::to_string(p) + " twice");
      has = m.add(has, e);
      st = m.add(st, m.select(e, starts[j], int64_t{0}));
      en = m.add(en, m.select(e, ends[j], int64_t{0}));
      sp = m.add(sp, m.select(e, steps[j], int64_t{0}));
    }
    if ((std::holds_alternative<int64_t>(has) && std::get<int64_t>(has) == 0) ||
        empty) {
      outShape.push_back(in[p]);
      continue; // no entry names this dim, or it stays empty
    }
    st = m.select(has, st, int64_t{0});
    en = m.select(has, en, d);
    sp = m.select(has, sp, int64_t{1});
    // Clamp as the ONNX spec says (negative counts from the end).
    auto wrap = [&](SymbolArg v) {
      return m.select(m.lt(v, int64_t{0}), m.add(v, d), v);
    };
    auto clamp = [&](SymbolArg v, int64_t lo, SymbolArg hi) {
      return m.op(SymbolOp::Min, {m.max(v, lo), hi});
    };
    SymbolArg back = m.lt(sp, int64_t{0});
    SymbolArg s0 = wrap(st), e0 = wrap(en);
    SymbolArg last = m.sub(d, int64_t{1});
    SymbolArg start =
        m.select(back, clamp(s0, 0, m.max(last, int64_t{0})), clamp(s0, 0, d));
    SymbolArg end = m.select(back, clamp(e0, -1, last), clamp(e0, 0, d));
    // ceil((end - start) / step), at least 0.
    SymbolArg len = m.max(
        m.sub(int64_t{0}, m.floorDiv(m.sub(start, end), sp)), int64_t{0});
    outShape.push_back(symbolArgDim(len));
    runs.push_back({p, {start, sp, len}});
  }
  MLC_RETURN_IF_ERROR(m.status());
  for (size_t r = 0; r < runs.size(); ++r) {
    const auto &[p, v] = runs[r];
    ONNX_ASSIGN(
        g, gatherRun(im, cur, p, v[0], v[1], v[2],
                     r + 1 == runs.size() ? ctx.outputName(0) : std::string()));
    cur = g;
  }
  return setOutput(ctx, 0, cur);
}

Status padFromSymbols(NodeContext &ctx, Value *x, const std::string &mode) {
  Importer &im = ctx.importer;
  if (!isStatic(x->type().shape))
    return makeError("with pads given at run time, the input needs a static "
                     "shape, got " +
                     typeToString(x->type()));
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  const Shape &in = x->type().shape;
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(pads, requireSymbolArgs(im, ctx.inputs[1], "pads"));
  std::vector<SymbolArg> axes;
  if (Value *a = ctx.optionalInput(3)) {
    ONNX_ASSIGN(list, requireSymbolArgs(im, a, "axes"));
    axes = list;
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(SymbolArg(i));
  }
  size_t count = axes.size();
  if (pads.size() != 2 * count)
    return makeError("pads has " + std::to_string(pads.size()) +
                     " values for " + std::to_string(count) + " axes");
  std::vector<SymbolArg> norm;
  for (size_t j = 0; j < count; ++j) {
    norm.push_back(m.axis(axes[j], rank, who, j));
  }
  // The fill value (constant mode), in x's type.
  Value *fill = nullptr;
  if (mode == "constant") {
    if (Value *v = ctx.optionalInput(2)) {
      ONNX_ASSIGN(c, im.emit(OpKind::Cast, {v}, {{"to", x->type().dtype}}));
      ONNX_ASSIGN(s, im.emitReshape(c, {}));
      fill = s;
    } else {
      ONNX_ASSIGN(z, im.emitScalar(x->type().dtype, 0));
      fill = z;
    }
  }
  Value *cur = x;
  std::string name = ctx.outputName(0);
  struct Run {
    int64_t dim;
    SymbolArg begin, len;
  };
  std::vector<Run> runs;
  for (int64_t p = 0; p < rank; ++p) {
    SymbolArg has(int64_t{0}), b(int64_t{0}), e(int64_t{0});
    for (size_t j = 0; j < count; ++j) {
      SymbolArg hit = m.eq(norm[j], p);
      if (j > 0)
        m.require(m.lt(m.add(has, hit), int64_t{2}),
                  who + "axes name dim " + std::to_string(p) + " twice");
      has = m.add(has, hit);
      b = m.add(b, m.select(hit, pads[j], int64_t{0}));
      e = m.add(e, m.select(hit, pads[count + j], int64_t{0}));
    }
    if ((std::holds_alternative<int64_t>(b) && std::get<int64_t>(b) == 0 &&
         std::holds_alternative<int64_t>(e) && std::get<int64_t>(e) == 0))
      continue;
    int64_t d = in[p].value();
    SymbolArg len = m.add(m.add(b, d), e);
    m.require(m.negate(m.lt(len, int64_t{0})),
              who + "the pads of dim " + std::to_string(p) +
                  " remove more than its extent");
    if (d == 0 && mode != "constant")
      m.require(m.eq(len, int64_t{0}),
                who + "cannot pad the empty dim " + std::to_string(p) +
                    " in mode " + mode);
    runs.push_back({p, b, len});
  }
  MLC_RETURN_IF_ERROR(m.status());
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run &run = runs[r];
    int64_t d = in[run.dim].value();
    std::string resultName = r + 1 == runs.size() ? name : std::string();
    // Output i reads x at j = i - begin, mapped into [0, d) by the mode.
    ONNX_ASSIGN(iota,
                im.emit(OpKind::Iota, {},
                        {{"shape", dimsAttribute({symbolArgDim(run.len)})},
                         {"axis", int64_t{0}}}));
    ONNX_ASSIGN(begin, scalarOf(im, run.begin));
    ONNX_ASSIGN(j, im.emit(OpKind::Sub, {iota, begin}));
    if (d == 0) {
      // Constant mode around nothing: the fill value everywhere.
      Shape shape = cur->type().shape;
      shape[static_cast<size_t>(run.dim)] = symbolArgDim(run.len);
      AttributeMap attrs{{"shape", dimsAttribute(shape)}};
      ONNX_ASSIGN(filled, im.emit(OpKind::Expand, {fill}, attrs, resultName));
      cur = filled;
      continue;
    }
    Value *src = j;
    ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
    ONNX_ASSIGN(last, im.emitScalar(DType::I64, static_cast<double>(d - 1)));
    if (mode == "wrap") {
      ONNX_ASSIGN(dv, im.emitScalar(DType::I64, static_cast<double>(d)));
      ONNX_ASSIGN(w, im.emit(OpKind::Mod, {j, dv}));
      src = w;
    } else if (mode == "reflect" && d > 1) {
      ONNX_ASSIGN(period,
                  im.emitScalar(DType::I64, static_cast<double>(2 * (d - 1))));
      ONNX_ASSIGN(mm, im.emit(OpKind::Mod, {j, period}));
      ONNX_ASSIGN(mirrored, im.emit(OpKind::Sub, {period, mm}));
      ONNX_ASSIGN(high, im.emit(OpKind::Greater, {mm, last}));
      ONNX_ASSIGN(rf, im.emit(OpKind::Where, {high, mirrored, mm}));
      src = rf;
    } else {
      // edge, constant (masked below), reflect of one element.
      ONNX_ASSIGN(lo, im.emit(OpKind::Max, {j, zero}));
      ONNX_ASSIGN(hi, im.emit(OpKind::Min, {lo, last}));
      src = hi;
    }
    bool masked = mode == "constant";
    ONNX_ASSIGN(g, im.emit(OpKind::Gather, {cur, src}, {{"axis", run.dim}},
                           masked ? "" : resultName));
    cur = g;
    if (!masked)
      continue;
    // In range: 0 <= j <= d - 1, along this dim only.
    ONNX_ASSIGN(below, im.emit(OpKind::Less, {j, zero}));
    ONNX_ASSIGN(above, im.emit(OpKind::Greater, {j, last}));
    ONNX_ASSIGN(outside, im.emit(OpKind::Or, {below, above}));
    Shape along(static_cast<size_t>(rank), Dim(1));
    along[static_cast<size_t>(run.dim)] = symbolArgDim(run.len);
    AttributeMap shape{{"shape", dimsAttribute(along)}};
    ONNX_ASSIGN(mask, im.emit(OpKind::Reshape, {outside}, std::move(shape)));
    ONNX_ASSIGN(out, im.emit(OpKind::Where, {mask, fill, cur}, {}, resultName));
    cur = out;
  }
  return setOutput(ctx, 0, cur);
}

Expected<Value *> zeroExtendTo(NodeContext &ctx, Value *y, Value *shapeIn) {
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  const Shape &in = y->type().shape;
  ONNX_ASSIGN(dims, requireSymbolArgs(im, shapeIn, "output_shape"));
  if (dims.size() != in.size())
    return makeError("output_shape has " + std::to_string(dims.size()) +
                     " values for rank " + std::to_string(in.size()));
  for (size_t d = 0; d < in.size(); ++d)
    m.require(m.negate(m.lt(dims[d], in[d].value())),
              who + "output_shape[" + std::to_string(d) +
                  "] is below the unpooled extent " +
                  std::to_string(in[d].value()));
  MLC_RETURN_IF_ERROR(m.status());
  ONNX_ASSIGN(zero, im.emitScalar(y->type().dtype, 0.0));
  ONNX_ASSIGN(zeroI, im.emitScalar(DType::I64, 0.0));
  Value *cur = y;
  int64_t rank = static_cast<int64_t>(in.size());
  for (int64_t d = 0; d < rank; ++d) {
    const SymbolArg &len = dims[static_cast<size_t>(d)];
    int64_t extent = in[static_cast<size_t>(d)].value();
    if (const auto *c = std::get_if<int64_t>(&len); c && *c == extent)
      continue;
    ONNX_ASSIGN(iota, im.emit(OpKind::Iota, {},
                              {{"shape", dimsAttribute({symbolArgDim(len)})},
                               {"axis", int64_t{0}}}));
    if (extent == 0)
      return makeError("cannot extend the empty dim " + std::to_string(d));
    ONNX_ASSIGN(last,
                im.emitScalar(DType::I64, static_cast<double>(extent - 1)));
    ONNX_ASSIGN(lo, im.emit(OpKind::Max, {iota, zeroI}));
    ONNX_ASSIGN(src, im.emit(OpKind::Min, {lo, last}));
    ONNX_ASSIGN(g, im.emit(OpKind::Gather, {cur, src}, {{"axis", d}}));
    ONNX_ASSIGN(outside, im.emit(OpKind::Greater, {iota, last}));
    Shape along(static_cast<size_t>(rank), Dim(1));
    along[static_cast<size_t>(d)] = symbolArgDim(len);
    ONNX_ASSIGN(mask, im.emit(OpKind::Reshape, {outside},
                              {{"shape", dimsAttribute(along)}}));
    ONNX_ASSIGN(out, im.emit(OpKind::Where, {mask, zero, g}));
    cur = out;
  }
  return cur;
}

Status centerCropPadFromSymbols(NodeContext &ctx, Value *x,
                                const std::vector<int64_t> &axes) {
  Importer &im = ctx.importer;
  if (!isStatic(x->type().shape))
    return makeError("CenterCropPad needs a static input shape, got " +
                     typeToString(x->type()));
  SymbolMath m(im.graph());
  ONNX_ASSIGN(target, requireSymbolArgs(im, ctx.inputs[1], "shape"));
  if (target.size() != axes.size())
    return makeError("shape has " + std::to_string(target.size()) +
                     " values for " + std::to_string(axes.size()) + " axes");
  const Shape &in = x->type().shape;
  // Per axis: output i reads x at i + off, where off centres the window
  // (crop: (d - t) / 2 rounded down; pad: -((t - d) / 2), the odd pixel on
  // the right); outside x it is 0.
  std::vector<SymbolArg> offsets;
  for (size_t j = 0; j < axes.size(); ++j) {
    int64_t d = in[static_cast<size_t>(axes[j])].value();
    SymbolArg t = target[j];
    offsets.push_back(m.select(m.lt(t, d), m.floorDiv(m.sub(d, t), int64_t{2}),
                               m.sub(int64_t{0},
                                     m.floorDiv(m.sub(t, d), int64_t{2}))));
  }
  MLC_RETURN_IF_ERROR(m.status());
  ONNX_ASSIGN(fill, im.emitScalar(x->type().dtype, 0));
  ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
  Value *cur = x;
  int64_t rank = x->type().rank();
  for (size_t j = 0; j < axes.size(); ++j) {
    int64_t axis = axes[j];
    int64_t d = in[static_cast<size_t>(axis)].value();
    std::string name = j + 1 == axes.size() ? ctx.outputName(0) : "";
    Dim len = symbolArgDim(target[j]);
    if (d == 0) {
      Shape shape = cur->type().shape;
      shape[static_cast<size_t>(axis)] = len;
      ONNX_ASSIGN(filled, im.emit(OpKind::Expand, {fill},
                                  {{"shape", dimsAttribute(shape)}}, name));
      cur = filled;
      continue;
    }
    ONNX_ASSIGN(
        iota, im.emit(OpKind::Iota, {},
                      {{"shape", dimsAttribute({len})}, {"axis", int64_t{0}}}));
    ONNX_ASSIGN(off, scalarOf(im, offsets[j]));
    ONNX_ASSIGN(src, im.emit(OpKind::Add, {iota, off}));
    ONNX_ASSIGN(last, im.emitScalar(DType::I64, static_cast<double>(d - 1)));
    ONNX_ASSIGN(lo, im.emit(OpKind::Max, {src, zero}));
    ONNX_ASSIGN(hi, im.emit(OpKind::Min, {lo, last}));
    ONNX_ASSIGN(g, im.emit(OpKind::Gather, {cur, hi}, {{"axis", axis}}));
    ONNX_ASSIGN(below, im.emit(OpKind::Less, {src, zero}));
    ONNX_ASSIGN(above, im.emit(OpKind::Greater, {src, last}));
    ONNX_ASSIGN(outside, im.emit(OpKind::Or, {below, above}));
    Shape along(static_cast<size_t>(rank), Dim(1));
    along[static_cast<size_t>(axis)] = len;
    ONNX_ASSIGN(mask, im.emit(OpKind::Reshape, {outside},
                              {{"shape", dimsAttribute(along)}}));
    ONNX_ASSIGN(out, im.emit(OpKind::Where, {mask, fill, g}, {}, name));
    cur = out;
  }
  return setOutput(ctx, 0, cur);
}

Status tileFromSymbols(NodeContext &ctx, Value *x, Value *repeatsIn) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(repeats, requireSymbolArgs(im, repeatsIn, "repeats"));
  const Shape &xs = x->type().shape;
  if (!isStatic(xs))
    return makeError("with repeats given at run time, the input needs a "
                     "static shape, got " +
                     typeToString(x->type()));
  if (repeats.size() != xs.size())
    return makeError("repeats needs one value per dim of " +
                     typeToString(x->type()));
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  std::vector<int64_t> split;
  Shape expanded;
  std::vector<SymbolArg> out;
  for (size_t i = 0; i < xs.size(); ++i) {
    int64_t e = xs[i].value();
    m.require(m.negate(m.lt(repeats[i], int64_t{0})),
              who + "repeats[" + std::to_string(i) + "] is negative");
    split.insert(split.end(), {1, e});
    expanded.push_back(symbolArgDim(repeats[i]));
    expanded.push_back(Dim(e));
    out.push_back(m.mul(repeats[i], e));
  }
  MLC_RETURN_IF_ERROR(m.status());
  ONNX_ASSIGN(r, im.emitReshape(x, split));
  ONNX_ASSIGN(
      e, im.emit(OpKind::Expand, {r}, {{"shape", dimsAttribute(expanded)}}));
  return setOutput(ctx, 0, checkedReshape(im, e, out, ctx.outputName(0)));
}

Expected<Value *> resizeFromValues(NodeContext &ctx, Value *x,
                                   const ResizeOptions &o, Value *roi,
                                   Value *scales, Value *sizes) {
  Importer &im = ctx.importer;
  Graph &g = im.graph();
  SymbolMath m(g);
  const std::string who = nodeLabel(ctx);
  const Shape &xs = x->type().shape;
  DType cdt = x->type().dtype;
  int64_t rank = static_cast<int64_t>(xs.size());
  int64_t na = static_cast<int64_t>(o.axes.size());
  auto count = [](const Value *v) -> int64_t {
    if (!v || !isStatic(v->type().shape))
      return 0;
    Expected<int64_t> n = elementCount(v->type().shape);
    return n.ok() ? *n : 0;
  };
  bool useScales = count(scales) > 0, useSizes = count(sizes) > 0;
  if (useScales == useSizes)
    return makeError("exactly one of scales and sizes must be given");
  Value *list = useScales ? scales : sizes;
  if (count(list) != na)
    return makeError(std::string(useScales ? "scales" : "sizes") + " needs " +
                     std::to_string(na) + " values");
  if (useSizes && !isInteger(sizes->type().dtype))
    return makeError("sizes must be an integer tensor");
  if (useScales && !isFloat(scales->type().dtype))
    return makeError("scales must be a float tensor");
  if (o.antialias && o.mode == "nearest")
    return makeError("antialias with mode nearest is not supported");
  bool crop = o.coordinateMode == "tf_crop_and_resize";
  if (crop && count(roi) != 2 * na)
    return makeError("tf_crop_and_resize needs roi of " +
                     std::to_string(2 * na) + " values");
  for (int64_t a : o.axes)
    if (xs[static_cast<size_t>(a)].value() == 0)
      return makeError("resizing an empty dim is not supported");

  auto f64 = [&](double v) { return im.emitScalar(DType::F64, v); };
  auto bin = [&](OpKind k, Value *l, Value *r) { return im.emit(k, {l, r}); };
  // l >= r and l <= r, as not(l < r) and not(l > r).
  auto notBin = [&](OpKind k, Value *l, Value *r) -> Expected<Value *> {
    ONNX_ASSIGN(t, im.emit(k, {l, r}));
    return im.emit(OpKind::Not, {t});
  };
  auto toF64 = [&](Value *v) -> Expected<Value *> {
    if (v->type().dtype == DType::F64)
      return v;
    return im.emit(OpKind::Cast, {v}, {{"to", DType::F64}});
  };
  // Element i of a 1-D tensor as an f64 scalar.
  auto element = [&](Value *t, int64_t i) -> Expected<Value *> {
    ONNX_ASSIGN(idx, im.emitScalar(DType::I64, static_cast<double>(i)));
    ONNX_ASSIGN(e, im.emit(OpKind::Gather, {t, idx}, {{"axis", int64_t{0}}}));
    return toF64(e);
  };

  // Per resized axis: the output extent (a symbol or a constant) and the
  // scale its coordinates use (an f64 scalar tensor).
  std::vector<SymbolArg> outDim;
  for (const Dim &d : xs)
    outDim.push_back(dimArg(d));
  std::vector<Value *> axisScale(static_cast<size_t>(rank), nullptr);
  std::vector<SymbolArg> given;
  if (!list->producer()) {
    for (int64_t i = 0; i < na; ++i) {
      int64_t a = o.axes[static_cast<size_t>(i)];
      // floor(scale * extent) in double, as the reference; sizes as given.
      Expected<std::string> sym = g.defineValueSymbol(
          list, i, useScales ? xs[static_cast<size_t>(a)].value() : 1);
      if (!sym)
        return sym.error();
      given.push_back(SymbolArg(sym.take()));
    }
  } else {
    ONNX_ASSIGN(data, im.requireConstant(list, useScales ? "scales" : "sizes"));
    for (int64_t i = 0; i < na; ++i) {
      double v = tensorElementAsDouble(data, i);
      if (useScales)
        v *= static_cast<double>(xs[static_cast<size_t>(o.axes[i])].value());
      if (!(v >= 0 && v < 9.2e18))
        return makeError(std::string(useScales ? "scales" : "sizes") +
                         " must be positive");
      given.push_back(SymbolArg(static_cast<int64_t>(v)));
    }
  }
  // The scale of each axis's coordinates: scales[i], sizes[i] / extent, or
  // (a keep_aspect_ratio_policy) one common scale.
  Value *perAxis = scales;
  if (useSizes) {
    std::vector<double> inExt;
    for (int64_t a : o.axes)
      inExt.push_back(static_cast<double>(xs[static_cast<size_t>(a)].value()));
    ONNX_ASSIGN(sizesF, toF64(sizes));
    ONNX_ASSIGN(extData, makeTensorFromDoubles(
                             TensorType{DType::F64, makeShape({na})}, inExt));
    ONNX_ASSIGN(extV, im.emitConstant(std::move(extData)));
    ONNX_ASSIGN(ratio, bin(OpKind::Div, sizesF, extV));
    perAxis = ratio;
    if (o.policy != "stretch") {
      perAxis = nullptr;
      // One scale for every axis: the least (not_larger) or greatest
      // (not_smaller) of sizes[i] / extent; the extents round half up. In
      // symbols, the chosen ratio s / d is compared by cross-multiplying.
      bool smallest = o.policy == "not_larger";
      ONNX_ASSIGN(common,
                  im.emit(smallest ? OpKind::ReduceMin : OpKind::ReduceMax,
                          {ratio},
                          {{"axes", std::vector<int64_t>{0}},
                           {"keepdims", int64_t{0}}}));
      SymbolArg bestS = given[0];
      SymbolArg bestD(static_cast<int64_t>(inExt[0]));
      for (int64_t i = 1; i < na; ++i) {
        SymbolArg si = given[static_cast<size_t>(i)];
        SymbolArg di(static_cast<int64_t>(inExt[static_cast<size_t>(i)]));
        SymbolArg lhs = m.mul(si, bestD), rhs = m.mul(bestS, di);
        SymbolArg better = smallest ? m.lt(lhs, rhs) : m.lt(rhs, lhs);
        bestS = m.select(better, si, bestS);
        bestD = m.select(better, di, bestD);
      }
      for (int64_t i = 0; i < na; ++i) {
        size_t a = static_cast<size_t>(o.axes[static_cast<size_t>(i)]);
        SymbolArg num =
            m.add(m.mul(m.mul(bestS, xs[a].value()), int64_t{2}), bestD);
        outDim[a] = m.floorDiv(num, m.mul(bestD, int64_t{2}));
        axisScale[a] = common;
      }
    }
  }
  if (perAxis) {
    for (int64_t i = 0; i < na; ++i) {
      size_t a = static_cast<size_t>(o.axes[static_cast<size_t>(i)]);
      outDim[a] = given[static_cast<size_t>(i)];
      ONNX_ASSIGN(sc, element(perAxis, i));
      axisScale[a] = sc;
    }
  }
  for (int64_t i = 0; i < na; ++i) {
    size_t a = static_cast<size_t>(o.axes[static_cast<size_t>(i)]);
    m.require(m.lt(int64_t{0}, outDim[a]),
              who + (useScales ? "scales[" : "sizes[") + std::to_string(i) +
                  "] gives output dim " + std::to_string(a) + " no elements");
  }
  MLC_RETURN_IF_ERROR(m.status());

  int64_t n = o.mode == "cubic" ? 4 : 2;
  Value *cur = x;
  Shape curShape = xs;
  for (int64_t a = 0; a < rank; ++a) {
    size_t ua = static_cast<size_t>(a);
    auto at = std::find(o.axes.begin(), o.axes.end(), a);
    if (at == o.axes.end())
      continue; // scale 1, identity taps
    int64_t i = at - o.axes.begin();
    int64_t in = xs[ua].value();
    double inD = static_cast<double>(in);
    Dim od = symbolArgDim(outDim[ua]);
    ONNX_ASSIGN(
        iota, im.emit(OpKind::Iota, {},
                      {{"shape", dimsAttribute({od})}, {"axis", int64_t{0}}}));
    ONNX_ASSIGN(y, toF64(iota));
    Value *sc = axisScale[ua];
    ONNX_ASSIGN(inV, f64(inD));
    ONNX_ASSIGN(outWidth, bin(OpKind::Mul, sc, inV));
    ONNX_ASSIGN(one, f64(1));
    ONNX_ASSIGN(half, f64(0.5));
    ONNX_ASSIGN(widthIsOne, bin(OpKind::Equal, outWidth, one));
    ONNX_ASSIGN(yHalf, bin(OpKind::Add, y, half));
    ONNX_ASSIGN(yHalfScaled, bin(OpKind::Div, yHalf, sc));
    ONNX_ASSIGN(halfPixel, bin(OpKind::Sub, yHalfScaled, half));
    ONNX_ASSIGN(inM1, f64(inD - 1));
    ONNX_ASSIGN(widthM1, bin(OpKind::Sub, outWidth, one));
    const std::string &mode = o.coordinateMode;
    Value *coord = nullptr, *outside = nullptr;
    if (mode == "align_corners") {
      ONNX_ASSIGN(t, bin(OpKind::Mul, y, inM1));
      ONNX_ASSIGN(q, bin(OpKind::Div, t, widthM1));
      ONNX_ASSIGN(zero, f64(0));
      ONNX_ASSIGN(c, im.emit(OpKind::Where, {widthIsOne, zero, q}));
      coord = c;
    } else if (mode == "asymmetric") {
      ONNX_ASSIGN(c, bin(OpKind::Div, y, sc));
      coord = c;
    } else if (mode == "pytorch_half_pixel") {
      ONNX_ASSIGN(mhalf, f64(-0.5));
      ONNX_ASSIGN(c, im.emit(OpKind::Where, {widthIsOne, mhalf, halfPixel}));
      coord = c;
    } else if (mode == "half_pixel") {
      coord = halfPixel;
    } else if (mode == "half_pixel_symmetric") {
      ONNX_ASSIGN(outI, scalarOf(im, outDim[ua]));
      ONNX_ASSIGN(outF, toF64(outI));
      ONNX_ASSIGN(adjustment, bin(OpKind::Div, outF, outWidth));
      ONNX_ASSIGN(keep, bin(OpKind::Sub, one, adjustment));
      ONNX_ASSIGN(center, f64(inD / 2));
      ONNX_ASSIGN(shift, bin(OpKind::Mul, center, keep));
      ONNX_ASSIGN(c, bin(OpKind::Add, shift, halfPixel));
      coord = c;
    } else if (mode == "tf_crop_and_resize") {
      ONNX_ASSIGN(rs, element(roi, i));
      ONNX_ASSIGN(re, element(roi, na + i));
      ONNX_ASSIGN(span, bin(OpKind::Sub, re, rs));
      ONNX_ASSIGN(spanIn, bin(OpKind::Mul, span, inM1));
      ONNX_ASSIGN(two, f64(2));
      ONNX_ASSIGN(middle, bin(OpKind::Div, spanIn, two));
      ONNX_ASSIGN(t, bin(OpKind::Mul, y, spanIn));
      ONNX_ASSIGN(q, bin(OpKind::Div, t, widthM1));
      ONNX_ASSIGN(c0, im.emit(OpKind::Where, {widthIsOne, middle, q}));
      ONNX_ASSIGN(base, bin(OpKind::Mul, rs, inM1));
      ONNX_ASSIGN(c, bin(OpKind::Add, c0, base));
      coord = c;
      ONNX_ASSIGN(zero, f64(0));
      ONNX_ASSIGN(below, bin(OpKind::Less, coord, zero));
      ONNX_ASSIGN(above, bin(OpKind::Greater, coord, inM1));
      ONNX_ASSIGN(out, bin(OpKind::Or, below, above));
      outside = out;
    } else {
      return makeError("coordinate_transformation_mode '" + mode +
                       "' is not supported");
    }
    double ca = o.cubicA;
    // Keys' cubic (a = cubic_coeff_a), the taps' and the antialiased
    // filter's: near (|t| <= 1) ((a + 2) t - (a + 3)) t^2 + 1; far
    // (1 < |t| < 2) ((a t - 5a) t + 8a) t - 4a.
    auto nearW = [&](Value *t) -> Expected<Value *> {
      ONNX_ASSIGN(k1, f64(ca + 2));
      ONNX_ASSIGN(k2, f64(ca + 3));
      ONNX_ASSIGN(p, bin(OpKind::Mul, k1, t));
      ONNX_ASSIGN(p2, bin(OpKind::Sub, p, k2));
      ONNX_ASSIGN(p3, bin(OpKind::Mul, p2, t));
      ONNX_ASSIGN(p4, bin(OpKind::Mul, p3, t));
      return bin(OpKind::Add, p4, one);
    };
    auto farW = [&](Value *t) -> Expected<Value *> {
      ONNX_ASSIGN(k1, f64(ca));
      ONNX_ASSIGN(k5, f64(5 * ca));
      ONNX_ASSIGN(k8, f64(8 * ca));
      ONNX_ASSIGN(k4, f64(4 * ca));
      ONNX_ASSIGN(p, bin(OpKind::Mul, k1, t));
      ONNX_ASSIGN(p2, bin(OpKind::Sub, p, k5));
      ONNX_ASSIGN(p3, bin(OpKind::Mul, p2, t));
      ONNX_ASSIGN(p4, bin(OpKind::Add, p3, k8));
      ONNX_ASSIGN(p5, bin(OpKind::Mul, p4, t));
      return bin(OpKind::Sub, p5, k4);
    };
    if (o.antialias) {
      // The antialiased filter's footprint grows as 1 / scale, so its taps
      // are a dense [out, in] matrix: the filter at s' (q - x) over virtual
      // positions q (s' = min(scale, 1); the footprint, at most 2 / s' <=
      // 2 in as the output keeps an element, fits in [-V, in + V)),
      // normalized per row, each q's weight added to the column of
      // clamp(q) (the reference's edge padding). The reference's taps are
      // exactly the q where the filter is non-zero.
      int64_t v = 2 * in + 2, q = in + 2 * v;
      std::vector<double> qs;
      for (int64_t k = 0; k < q; ++k)
        qs.push_back(static_cast<double>(k - v));
      ONNX_ASSIGN(qData, makeTensorFromDoubles(
                             TensorType{DType::F64, makeShape({1, q})}, qs));
      ONNX_ASSIGN(qV, im.emitConstant(std::move(qData)));
      // [Q, in]: 1 where clamp(q) is the column (computed, not a constant:
      // it has Q x in elements).
      ONNX_ASSIGN(qCol, im.emit(OpKind::Iota, {},
                                {{"shape", std::vector<int64_t>{q, 1}},
                                 {"axis", int64_t{0}}}));
      ONNX_ASSIGN(vV, im.emitScalar(DType::I64, static_cast<double>(v)));
      ONNX_ASSIGN(qShift, bin(OpKind::Sub, qCol, vV));
      ONNX_ASSIGN(qClamp, im.emit(OpKind::Clip, {qShift},
                                  {{"min", 0.0},
                                   {"max", static_cast<double>(in - 1)}}));
      ONNX_ASSIGN(cols, im.emit(OpKind::Iota, {},
                                {{"shape", std::vector<int64_t>{1, in}},
                                 {"axis", int64_t{1}}}));
      ONNX_ASSIGN(hit, bin(OpKind::Equal, qClamp, cols));
      ONNX_ASSIGN(hotV, im.emit(OpKind::Cast, {hit}, {{"to", DType::F64}}));
      ONNX_ASSIGN(sMin, bin(OpKind::Min, sc, one));
      ONNX_ASSIGN(c2, im.emit(OpKind::Reshape, {coord},
                              {{"shape", dimsAttribute({od, Dim(1)})}}));
      ONNX_ASSIGN(dq, bin(OpKind::Sub, qV, c2));
      ONNX_ASSIGN(ds, bin(OpKind::Mul, dq, sMin));
      ONNX_ASSIGN(t, im.emit(OpKind::Abs, {ds}));
      ONNX_ASSIGN(zero, f64(0));
      Value *w = nullptr;
      if (o.mode == "linear") {
        ONNX_ASSIGN(l, bin(OpKind::Sub, one, t));
        ONNX_ASSIGN(c, bin(OpKind::Max, l, zero));
        w = c;
      } else {
        ONNX_ASSIGN(nearV, nearW(t));
        ONNX_ASSIGN(farV, farW(t));
        ONNX_ASSIGN(two, f64(2));
        ONNX_ASSIGN(isNear, notBin(OpKind::Greater, t, one));
        ONNX_ASSIGN(isFar, bin(OpKind::Less, t, two));
        ONNX_ASSIGN(farOrZero, im.emit(OpKind::Where, {isFar, farV, zero}));
        ONNX_ASSIGN(c, im.emit(OpKind::Where, {isNear, nearV, farOrZero}));
        w = c;
      }
      if (o.excludeOutside) {
        ONNX_ASSIGN(lo, notBin(OpKind::Less, qV, zero));
        ONNX_ASSIGN(hi, notBin(OpKind::Greater, qV, inM1));
        ONNX_ASSIGN(inside, bin(OpKind::And, lo, hi));
        ONNX_ASSIGN(wi, im.emit(OpKind::Where, {inside, w, zero}));
        w = wi;
      }
      ONNX_ASSIGN(total, im.emit(OpKind::ReduceSum, {w},
                                 {{"axes", std::vector<int64_t>{1}},
                                  {"keepdims", int64_t{1}}}));
      ONNX_ASSIGN(none, bin(OpKind::Equal, total, zero));
      ONNX_ASSIGN(den, im.emit(OpKind::Where, {none, one, total}));
      ONNX_ASSIGN(wn, bin(OpKind::Div, w, den));
      ONNX_ASSIGN(mat, bin(OpKind::MatMul, wn, hotV)); // [out, in]
      ONNX_ASSIGN(matC, im.emit(OpKind::Cast, {mat}, {{"to", cdt}}));
      // cur with axis a second to last (a dim of 1 appended for rank 1),
      // the matrix times it as a batched matmul, and the axis moved back.
      Value *front = cur;
      int64_t r = rank;
      if (rank == 1) {
        Shape two{curShape[0], Dim(int64_t{1})};
        ONNX_ASSIGN(u, im.emit(OpKind::Reshape, {cur},
                               {{"shape", dimsAttribute(two)}}));
        front = u;
        r = 2;
      }
      int64_t target = r - 2;
      std::vector<int64_t> perm;
      for (int64_t d = 0; d < r; ++d)
        if (d != a)
          perm.push_back(d);
      perm.insert(perm.begin() + target, a);
      bool moved = a != target;
      if (moved) {
        ONNX_ASSIGN(tr, im.emit(OpKind::Transpose, {front}, {{"perm", perm}}));
        front = tr;
      }
      ONNX_ASSIGN(prod, bin(OpKind::MatMul, matC, front));
      Value *result = prod;
      if (moved) {
        std::vector<int64_t> inv(static_cast<size_t>(r));
        for (int64_t d = 0; d < r; ++d)
          inv[static_cast<size_t>(perm[static_cast<size_t>(d)])] = d;
        ONNX_ASSIGN(tr, im.emit(OpKind::Transpose, {prod}, {{"perm", inv}}));
        result = tr;
      }
      if (rank == 1) {
        ONNX_ASSIGN(u, im.emit(OpKind::Reshape, {result},
                               {{"shape", dimsAttribute({od})}}));
        result = u;
      }
      Shape nextShape = curShape;
      nextShape[ua] = od;
      if (outside) {
        Shape wShape(static_cast<size_t>(rank), Dim(int64_t{1}));
        wShape[ua] = od;
        ONNX_ASSIGN(mask, im.emit(OpKind::Reshape, {outside},
                                  {{"shape", dimsAttribute(wShape)}}));
        ONNX_ASSIGN(fill, im.emitScalar(cdt, o.extrapolation));
        ONNX_ASSIGN(sel, im.emit(OpKind::Where, {mask, fill, result}));
        result = sel;
      }
      cur = result;
      curShape = nextShape;
      continue;
    }
    ONNX_ASSIGN(xInt, im.emit(OpKind::Floor, {coord}));
    ONNX_ASSIGN(isInt, bin(OpKind::Equal, coord, xInt));
    ONNX_ASSIGN(frac0, bin(OpKind::Sub, coord, xInt));
    ONNX_ASSIGN(ratio, im.emit(OpKind::Where, {isInt, one, frac0}));
    // The coefficients (get_coeffs of the reference).
    std::vector<Value *> coeff;
    if (o.mode == "cubic") {
      ONNX_ASSIGN(r1, bin(OpKind::Add, ratio, one));
      ONNX_ASSIGN(q, bin(OpKind::Sub, one, ratio));
      ONNX_ASSIGN(q1, bin(OpKind::Add, q, one));
      ONNX_ASSIGN(w0, farW(r1));
      ONNX_ASSIGN(w1, nearW(ratio));
      ONNX_ASSIGN(w2, nearW(q));
      ONNX_ASSIGN(w3, farW(q1));
      coeff = {w0, w1, w2, w3};
    } else if (o.mode == "linear") {
      ONNX_ASSIGN(w0, bin(OpKind::Sub, one, ratio));
      coeff = {w0, ratio};
    }
    // The taps' positions: start = floor(x + pad) + offset - pad, offset
    // -(n/2) when x + pad is integral, else -(n/2) + 1 (n even).
    int64_t pad = (n + 1) / 2;
    ONNX_ASSIGN(padV, f64(static_cast<double>(pad)));
    ONNX_ASSIGN(xp, bin(OpKind::Add, coord, padV));
    ONNX_ASSIGN(pp, im.emit(OpKind::Floor, {xp}));
    ONNX_ASSIGN(integral, bin(OpKind::Equal, xp, pp));
    ONNX_ASSIGN(offIntegral, f64(static_cast<double>(-(n / 2) - pad)));
    ONNX_ASSIGN(offOther, f64(static_cast<double>(-(n / 2) + 1 - pad)));
    ONNX_ASSIGN(offset,
                im.emit(OpKind::Where, {integral, offIntegral, offOther}));
    ONNX_ASSIGN(start, bin(OpKind::Add, pp, offset));
    std::vector<Value *> pos;
    for (int64_t j = 0; j < n; ++j) {
      ONNX_ASSIGN(jV, f64(static_cast<double>(j)));
      ONNX_ASSIGN(p, bin(OpKind::Add, start, jV));
      pos.push_back(p);
    }
    ONNX_ASSIGN(zero, f64(0));
    Value *pickSecond = nullptr; // nearest: the row's 1 is the second tap
    if (o.mode == "nearest") {
      // One-hot rows: the second tap when the reference's get_coeffs puts
      // its 1 there (always at an integral position).
      Value *second = nullptr;
      const std::string &nm = o.nearestMode;
      if (nm == "ceil") {
        ONNX_ASSIGN(t, notBin(OpKind::Less, ratio, zero));
        second = t;
      } else if (nm == "floor") {
        second = isInt;
      } else {
        ONNX_ASSIGN(t, nm == "round_prefer_ceil"
                           ? notBin(OpKind::Less, ratio, half)
                           : bin(OpKind::Greater, ratio, half));
        second = t;
      }
      pickSecond = second;
      ONNX_ASSIGN(w1, im.emit(OpKind::Cast, {second}, {{"to", DType::F64}}));
      ONNX_ASSIGN(w0, bin(OpKind::Sub, one, w1));
      coeff = {w0, w1};
    }
    if (o.excludeOutside) {
      Value *sum = nullptr;
      for (int64_t j = 0; j < n; ++j) {
        ONNX_ASSIGN(lo, notBin(OpKind::Less, pos[j], zero));
        ONNX_ASSIGN(hi, notBin(OpKind::Greater, pos[j], inM1));
        ONNX_ASSIGN(inside, bin(OpKind::And, lo, hi));
        ONNX_ASSIGN(w, im.emit(OpKind::Where, {inside, coeff[j], zero}));
        coeff[j] = w;
        if (sum) {
          ONNX_ASSIGN(t, bin(OpKind::Add, sum, w));
          sum = t;
        } else {
          sum = w;
        }
      }
      ONNX_ASSIGN(none, bin(OpKind::Equal, sum, zero));
      ONNX_ASSIGN(den, im.emit(OpKind::Where, {none, one, sum}));
      for (Value *&w : coeff) {
        ONNX_ASSIGN(t, bin(OpKind::Div, w, den));
        w = t;
      }
    }
    Shape wShape(static_cast<size_t>(rank), Dim(int64_t{1}));
    wShape[ua] = od;
    Shape nextShape = curShape;
    nextShape[ua] = od;
    AttributeMap along{{"axis", a}};
    auto index = [&](Value *p) -> Expected<Value *> {
      ONNX_ASSIGN(c,
                  im.emit(OpKind::Clip, {p}, {{"min", 0.0}, {"max", inD - 1}}));
      return im.emit(OpKind::Cast, {c}, {{"to", DType::I64}});
    };
    Value *sum = nullptr;
    if (o.mode == "nearest" && !o.excludeOutside) {
      ONNX_ASSIGN(p, im.emit(OpKind::Where, {pickSecond, pos[1], pos[0]}));
      ONNX_ASSIGN(idx, index(p));
      ONNX_ASSIGN(gathered, im.emit(OpKind::Gather, {cur, idx}, along));
      sum = gathered;
    } else {
      for (int64_t j = 0; j < n; ++j) {
        ONNX_ASSIGN(idx, index(pos[j]));
        ONNX_ASSIGN(gathered, im.emit(OpKind::Gather, {cur, idx}, along));
        ONNX_ASSIGN(wc, im.emit(OpKind::Cast, {coeff[j]}, {{"to", cdt}}));
        ONNX_ASSIGN(w, im.emit(OpKind::Reshape, {wc},
                               {{"shape", dimsAttribute(wShape)}}));
        ONNX_ASSIGN(term, bin(OpKind::Mul, gathered, w));
        if (sum) {
          ONNX_ASSIGN(t, bin(OpKind::Add, sum, term));
          sum = t;
        } else {
          sum = term;
        }
      }
    }
    if (outside) {
      ONNX_ASSIGN(mask, im.emit(OpKind::Reshape, {outside},
                                {{"shape", dimsAttribute(wShape)}}));
      ONNX_ASSIGN(fill, im.emitScalar(cdt, o.extrapolation));
      ONNX_ASSIGN(sel, im.emit(OpKind::Where, {mask, fill, sum}));
      sum = sel;
    }
    cur = sum;
    curShape = nextShape;
  }
  return cur;
}

Status stftOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(stepIn, ctx.input(1));
  Value *window = ctx.optionalInput(2);
  Value *lengthIn = ctx.optionalInput(3);
  ONNX_ASSIGN(onesided, ctx.intAttr("onesided", 1));
  const Shape &xs = x->type().shape;
  DType dt = x->type().dtype;
  if (!isFloat(dt) || xs.size() != 3 || !isStatic(xs) ||
      (xs[2].value() != 1 && xs[2].value() != 2))
    return makeError("signal must be a float [batch, length, 1 or 2] tensor "
                     "of static shape, got " +
                     typeToString(x->type()));
  int64_t batch = xs[0].value(), length = xs[1].value();
  bool complex = xs[2].value() == 2;
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  ONNX_ASSIGN(steps, requireSymbolArgs(im, stepIn, "frame_step"));
  if (steps.size() != 1)
    return makeError("frame_step must have one element");
  SymbolArg step = steps[0];
  SymbolArg n(length);
  if (lengthIn) {
    ONNX_ASSIGN(ls, requireSymbolArgs(im, lengthIn, "frame_length"));
    if (ls.size() != 1)
      return makeError("frame_length must have one element");
    n = ls[0];
  } else if (window) {
    if (window->type().rank() != 1 || !isStatic(window->type().shape))
      return makeError("window must be a 1-D tensor of static shape");
    n = SymbolArg(window->type().shape[0].value());
  }
  m.require(m.lt(int64_t{0}, step), who + "frame_step must be positive");
  m.require(m.lt(int64_t{0}, n), who + "frame_length must be positive");
  m.require(m.negate(m.lt(length, n)),
            who + "frame_length exceeds the signal length " +
                std::to_string(length));
  SymbolArg frames = m.add(int64_t{1}, m.floorDiv(m.sub(length, n), step));
  SymbolArg bins = onesided ? m.add(m.floorDiv(n, int64_t{2}), int64_t{1}) : n;
  MLC_RETURN_IF_ERROR(m.status());
  Dim fd = symbolArgDim(frames), nd = symbolArgDim(n), kd = symbolArgDim(bins);
  auto iota = [&](Shape shape, int64_t axis) {
    return im.emit(OpKind::Iota, {},
                   {{"shape", dimsAttribute(shape)}, {"axis", axis}});
  };
  // Frame f's sample t: signal[f * step + t], [F, N].
  ONNX_ASSIGN(fi, iota({fd, Dim(1)}, 0));
  ONNX_ASSIGN(ti, iota({Dim(1), nd}, 1));
  ONNX_ASSIGN(stepV, scalarOf(im, step));
  ONNX_ASSIGN(start, im.emit(OpKind::Mul, {fi, stepV}));
  ONNX_ASSIGN(pos, im.emit(OpKind::Add, {start, ti}));
  ONNX_ASSIGN(framed, im.emit(OpKind::Gather, {x, pos},
                              {{"axis", int64_t{1}}})); // [B, F, N, C]
  Value *w = framed;
  if (window) {
    if (window->type().dtype != dt)
      return makeError("window must have the signal's type");
    if (lengthIn) {
      // The window's length must be the frame length.
      m.require(m.eq(n, window->type().shape[0].value()),
                who + "window length differs from frame_length");
      MLC_RETURN_IF_ERROR(m.status());
    }
    ONNX_ASSIGN(
        w4, im.emit(OpKind::Reshape, {window},
                    {{"shape", dimsAttribute({Dim(1), Dim(1), nd, Dim(1)})}}));
    ONNX_ASSIGN(weighted, im.emit(OpKind::Mul, {framed, w4}));
    w = weighted;
  }
  // The DFT matrix [N, K]: angle 2 pi ((t k) mod N) / N in f64.
  ONNX_ASSIGN(tn, iota({nd, Dim(1)}, 0));
  ONNX_ASSIGN(kn, iota({Dim(1), kd}, 1));
  ONNX_ASSIGN(tk, im.emit(OpKind::Mul, {tn, kn}));
  ONNX_ASSIGN(nV, scalarOf(im, n));
  ONNX_ASSIGN(wrapped, im.emit(OpKind::Mod, {tk, nV}, {{"fmod", int64_t{0}}}));
  ONNX_ASSIGN(wf, im.emit(OpKind::Cast, {wrapped}, {{"to", DType::F64}}));
  ONNX_ASSIGN(nf, im.emit(OpKind::Cast, {nV}, {{"to", DType::F64}}));
  ONNX_ASSIGN(tau, im.emitScalar(DType::F64, 6.283185307179586));
  ONNX_ASSIGN(scaled, im.emit(OpKind::Mul, {wf, tau}));
  ONNX_ASSIGN(angle, im.emit(OpKind::Div, {scaled, nf}));
  ONNX_ASSIGN(cosD, im.emit(OpKind::Cos, {angle}));
  ONNX_ASSIGN(sinD, im.emit(OpKind::Sin, {angle}));
  ONNX_ASSIGN(cosT, im.emit(OpKind::Cast, {cosD}, {{"to", dt}}));
  ONNX_ASSIGN(sinT, im.emit(OpKind::Cast, {sinD}, {{"to", dt}}));
  // The real and imaginary samples, [B, F, N] each.
  auto part = [&](int64_t c) -> Expected<Value *> {
    Shape at{Dim(batch), fd, nd, Dim(1)};
    std::vector<int64_t> st{0, 0, 0, c}, en{batch, 0, 0, c + 1}, sp{1, 1, 1, 1};
    Shape ends{Dim(batch), fd, nd, Dim(c + 1)};
    ONNX_ASSIGN(sl, im.emit(OpKind::Slice, {w},
                            {{"starts", st},
                             {"ends", dimsAttribute(ends)},
                             {"steps", sp}}));
    return im.emit(OpKind::Reshape, {sl},
                   {{"shape", dimsAttribute({Dim(batch), fd, nd})}});
  };
  ONNX_ASSIGN(re, part(0));
  ONNX_ASSIGN(reCos, im.emit(OpKind::MatMul, {re, cosT}));
  ONNX_ASSIGN(reSin, im.emit(OpKind::MatMul, {re, sinT}));
  Value *real = reCos, *imag = nullptr;
  ONNX_ASSIGN(negSin, im.emit(OpKind::Neg, {reSin}));
  imag = negSin;
  if (complex) {
    // (a + ib)(cos - i sin) = a cos + b sin + i (b cos - a sin).
    ONNX_ASSIGN(ip, part(1));
    ONNX_ASSIGN(imCos, im.emit(OpKind::MatMul, {ip, cosT}));
    ONNX_ASSIGN(imSin, im.emit(OpKind::MatMul, {ip, sinT}));
    ONNX_ASSIGN(r2, im.emit(OpKind::Add, {reCos, imSin}));
    ONNX_ASSIGN(i2, im.emit(OpKind::Sub, {imCos, reSin}));
    real = r2;
    imag = i2;
  }
  Shape four{Dim(batch), fd, kd, Dim(1)};
  ONNX_ASSIGN(
      r4, im.emit(OpKind::Reshape, {real}, {{"shape", dimsAttribute(four)}}));
  ONNX_ASSIGN(
      i4, im.emit(OpKind::Reshape, {imag}, {{"shape", dimsAttribute(four)}}));
  // [..., 2]: real where the last index is 0, else imaginary (a where
  // rather than a concat, which codegen needs static for now).
  ONNX_ASSIGN(last, iota({Dim(1), Dim(1), Dim(1), Dim(2)}, 3));
  ONNX_ASSIGN(zeroI, im.emitScalar(DType::I64, 0.0));
  ONNX_ASSIGN(isReal, im.emit(OpKind::Equal, {last, zeroI}));
  return setOutput(
      ctx, 0, im.emit(OpKind::Where, {isReal, r4, i4}, {}, ctx.outputName(0)));
}

Status melWeightMatrixOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(melIn, ctx.input(0));
  ONNX_ASSIGN(dftIn, ctx.input(1));
  ONNX_ASSIGN(rateIn, ctx.input(2));
  ONNX_ASSIGN(lowIn, ctx.input(3));
  ONNX_ASSIGN(highIn, ctx.input(4));
  DType outType = DType::F32;
  if (ctx.hasAttr("output_datatype")) {
    ONNX_ASSIGN(code, ctx.intAttr("output_datatype", 1));
    if (code < INT32_MIN || code > INT32_MAX)
      return makeError("output_datatype is not an ONNX element type");
    ONNX_ASSIGN(t, convertDType(static_cast<int32_t>(code)));
    outType = t;
  }
  if (!isInteger(rateIn->type().dtype) || !isFloat(lowIn->type().dtype) ||
      !isFloat(highIn->type().dtype))
    return makeError("sample_rate must be an integer and the edges floats");
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  ONNX_ASSIGN(mels, requireSymbolArgs(im, melIn, "num_mel_bins"));
  ONNX_ASSIGN(dfts, requireSymbolArgs(im, dftIn, "dft_length"));
  if (mels.size() != 1 || dfts.size() != 1)
    return makeError("num_mel_bins and dft_length must be scalars");
  SymbolArg bins = mels[0], dft = dfts[0];
  m.require(m.lt(int64_t{0}, bins), who + "num_mel_bins must be positive");
  m.require(m.lt(int64_t{0}, dft), who + "dft_length must be positive");
  SymbolArg rows = m.add(m.floorDiv(dft, int64_t{2}), int64_t{1});
  SymbolArg points = m.add(bins, int64_t{2});
  MLC_RETURN_IF_ERROR(m.status());
  auto bin = [&](OpKind k, Value *a, Value *b) { return im.emit(k, {a, b}); };
  auto f32 = [&](double v) { return im.emitScalar(DType::F32, v); };
  auto f64 = [&](double v) { return im.emitScalar(DType::F64, v); };
  auto scalar = [&](Value *v, DType t) -> Expected<Value *> {
    ONNX_ASSIGN(
        r, im.emit(OpKind::Reshape, {v}, {{"shape", std::vector<int64_t>{}}}));
    return im.emit(OpKind::Cast, {r}, {{"to", t}});
  };
  // The edges in mels, in f32 as onnx's reference computes them (numpy
  // keeps the float32 inputs' precision): 2595 log10(1 + hz / 700).
  auto mel = [&](Value *hz) -> Expected<Value *> {
    ONNX_ASSIGN(h, scalar(hz, DType::F32));
    ONNX_ASSIGN(k700, f32(700));
    ONNX_ASSIGN(r, bin(OpKind::Div, h, k700));
    ONNX_ASSIGN(one, f32(1));
    ONNX_ASSIGN(r1, bin(OpKind::Add, r, one));
    ONNX_ASSIGN(l, im.emit(OpKind::Log, {r1}));
    ONNX_ASSIGN(k2595, f32(2595));
    ONNX_ASSIGN(p, bin(OpKind::Mul, k2595, l));
    ONNX_ASSIGN(ln10, f32(std::log(10.0)));
    return bin(OpKind::Div, p, ln10);
  };
  ONNX_ASSIGN(lowMel, mel(lowIn));
  ONNX_ASSIGN(highMel, mel(highIn));
  ONNX_ASSIGN(span, bin(OpKind::Sub, highMel, lowMel));
  ONNX_ASSIGN(pointsV, scalarOf(im, points));
  ONNX_ASSIGN(pointsF, im.emit(OpKind::Cast, {pointsV}, {{"to", DType::F32}}));
  ONNX_ASSIGN(step, bin(OpKind::Div, span, pointsF));
  // Band edges i = 0 .. bins + 1, in f64: the bin of 700 (10^(mel / 2595)
  // - 1) Hz, floor((dft + 1) hz / rate).
  ONNX_ASSIGN(iota, im.emit(OpKind::Iota, {},
                            {{"shape", dimsAttribute({symbolArgDim(points)})},
                             {"axis", int64_t{0}}}));
  ONNX_ASSIGN(iF, im.emit(OpKind::Cast, {iota}, {{"to", DType::F64}}));
  ONNX_ASSIGN(step64, im.emit(OpKind::Cast, {step}, {{"to", DType::F64}}));
  ONNX_ASSIGN(low64, im.emit(OpKind::Cast, {lowMel}, {{"to", DType::F64}}));
  ONNX_ASSIGN(melI0, bin(OpKind::Mul, iF, step64));
  ONNX_ASSIGN(melI, bin(OpKind::Add, melI0, low64));
  ONNX_ASSIGN(k2595d, f64(2595));
  ONNX_ASSIGN(e0, bin(OpKind::Div, melI, k2595d));
  ONNX_ASSIGN(ln10d, f64(std::log(10.0)));
  ONNX_ASSIGN(e1, bin(OpKind::Mul, e0, ln10d));
  ONNX_ASSIGN(ex, im.emit(OpKind::Exp, {e1}));
  ONNX_ASSIGN(oneD, f64(1));
  ONNX_ASSIGN(em1, bin(OpKind::Sub, ex, oneD));
  ONNX_ASSIGN(k700d, f64(700));
  ONNX_ASSIGN(hz, bin(OpKind::Mul, k700d, em1));
  ONNX_ASSIGN(dftV, scalarOf(im, dft));
  ONNX_ASSIGN(dftF, im.emit(OpKind::Cast, {dftV}, {{"to", DType::F64}}));
  ONNX_ASSIGN(dft1, bin(OpKind::Add, dftF, oneD));
  ONNX_ASSIGN(scaled, bin(OpKind::Mul, dft1, hz));
  ONNX_ASSIGN(rate, scalar(rateIn, DType::F64));
  ONNX_ASSIGN(q, bin(OpKind::Div, scaled, rate));
  ONNX_ASSIGN(fl, im.emit(OpKind::Floor, {q}));
  ONNX_ASSIGN(edges, im.emit(OpKind::Cast, {fl}, {{"to", DType::I64}}));
  // lower / center / upper edge of band i: edges[i], [i + 1], [i + 2].
  Dim md = symbolArgDim(bins);
  ONNX_ASSIGN(bandIota, im.emit(OpKind::Iota, {},
                                {{"shape", dimsAttribute({Dim(1), md})},
                                 {"axis", int64_t{1}}}));
  auto edge = [&](int64_t shift) -> Expected<Value *> {
    ONNX_ASSIGN(sv, im.emitScalar(DType::I64, static_cast<double>(shift)));
    ONNX_ASSIGN(at, bin(OpKind::Add, bandIota, sv));
    ONNX_ASSIGN(g, im.emit(OpKind::Gather, {edges, at},
                           {{"axis", int64_t{0}}})); // [1, M]
    return im.emit(OpKind::Cast, {g}, {{"to", DType::F64}});
  };
  ONNX_ASSIGN(lower, edge(0));
  ONNX_ASSIGN(center, edge(1));
  ONNX_ASSIGN(upper, edge(2));
  ONNX_ASSIGN(jI,
              im.emit(OpKind::Iota, {},
                      {{"shape", dimsAttribute({symbolArgDim(rows), Dim(1)})},
                       {"axis", int64_t{0}}}));
  ONNX_ASSIGN(j, im.emit(OpKind::Cast, {jI}, {{"to", DType::F64}}));
  // Rising from lower to center (1 at the center when they coincide),
  // falling from center to upper.
  ONNX_ASSIGN(zero, f64(0));
  ONNX_ASSIGN(rise, bin(OpKind::Sub, center, lower));
  ONNX_ASSIGN(flatRise, bin(OpKind::Equal, rise, zero));
  ONNX_ASSIGN(riseDen, im.emit(OpKind::Where, {flatRise, oneD, rise}));
  ONNX_ASSIGN(fromLow, bin(OpKind::Sub, j, lower));
  ONNX_ASSIGN(up, bin(OpKind::Div, fromLow, riseDen));
  ONNX_ASSIGN(upFixed, im.emit(OpKind::Where, {flatRise, oneD, up}));
  ONNX_ASSIGN(belowLow, bin(OpKind::Less, j, lower));
  ONNX_ASSIGN(aboveCenter, bin(OpKind::Greater, j, center));
  ONNX_ASSIGN(outRise, bin(OpKind::Or, belowLow, aboveCenter));
  ONNX_ASSIGN(fall, bin(OpKind::Sub, upper, center));
  ONNX_ASSIGN(fallPos, bin(OpKind::Greater, fall, zero));
  ONNX_ASSIGN(fallDen, im.emit(OpKind::Where, {fallPos, fall, oneD}));
  ONNX_ASSIGN(toHigh, bin(OpKind::Sub, upper, j));
  ONNX_ASSIGN(down, bin(OpKind::Div, toHigh, fallDen));
  ONNX_ASSIGN(belowUpper, bin(OpKind::Less, j, upper));
  ONNX_ASSIGN(onFall0, bin(OpKind::And, aboveCenter, belowUpper));
  ONNX_ASSIGN(onFall, bin(OpKind::And, onFall0, fallPos));
  ONNX_ASSIGN(risen, im.emit(OpKind::Where, {outRise, zero, upFixed}));
  ONNX_ASSIGN(w, im.emit(OpKind::Where, {onFall, down, risen}));
  return setOutput(
      ctx, 0, im.emit(OpKind::Cast, {w}, {{"to", outType}}, ctx.outputName(0)));
}

Status col2ImOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(imageIn, ctx.input(1));
  ONNX_ASSIGN(blockIn, ctx.input(2));
  const Shape &xs = x->type().shape;
  if (xs.size() != 3 || !isStatic(xs))
    return makeError("input must be [N, C * prod(block_shape), L] of static "
                     "shape, got " +
                     typeToString(x->type()));
  int64_t n = xs[0].value(), ck = xs[1].value(), l = xs[2].value();
  ONNX_ASSIGN(image, requireSymbolArgs(im, imageIn, "image_shape"));
  ONNX_ASSIGN(block, requireSymbolArgs(im, blockIn, "block_shape"));
  size_t d = image.size();
  if (d == 0 || block.size() != d)
    return makeError("image_shape and block_shape need the same number (>= 1) "
                     "of values");
  auto listAttr = [&](const char *name, size_t count,
                      int64_t fill) -> Expected<std::vector<int64_t>> {
    ONNX_ASSIGN(v, ctx.intsAttr(name));
    if (v.empty())
      v.assign(count, fill);
    if (v.size() != count)
      return makeError(std::string("attribute '") + name + "' needs " +
                       std::to_string(count) + " values");
    return v;
  };
  ONNX_ASSIGN(dil, listAttr("dilations", d, 1));
  ONNX_ASSIGN(pads, listAttr("pads", 2 * d, 0));
  ONNX_ASSIGN(strides, listAttr("strides", d, 1));
  for (size_t i = 0; i < d; ++i)
    if (dil[i] < 1 || strides[i] < 1 || pads[i] < 0 || pads[d + i] < 0)
      return makeError("dilations and strides must be positive and pads not "
                       "negative");
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  SymbolArg k(int64_t{1}), blocks(int64_t{1});
  std::vector<SymbolArg> per; // blocks along each dim
  for (size_t i = 0; i < d; ++i) {
    m.require(m.lt(int64_t{0}, block[i]),
              who + "block_shape[" + std::to_string(i) + "] must be positive");
    m.require(m.lt(int64_t{0}, image[i]),
              who + "image_shape[" + std::to_string(i) + "] must be positive");
    k = m.mul(k, block[i]);
    SymbolArg span =
        m.add(m.mul(m.sub(block[i], int64_t{1}), dil[i]), int64_t{1});
    SymbolArg room = m.sub(m.add(image[i], pads[i] + pads[d + i]), span);
    SymbolArg count = m.add(m.floorDiv(room, strides[i]), int64_t{1});
    m.require(m.negate(m.lt(room, int64_t{0})),
              who + "block_shape[" + std::to_string(i) +
                  "] does not fit the padded image");
    per.push_back(count);
    blocks = m.mul(blocks, count);
  }
  m.require(m.eq(m.op(SymbolOp::Mod, {ck, k}), int64_t{0}),
            who + "input dim 1 (" + std::to_string(ck) +
                ") is not a multiple of prod(block_shape)");
  m.require(m.eq(blocks, l), who + "input dim 2 (" + std::to_string(l) +
                                 ") is not the number of sliding blocks");
  SymbolArg c = m.floorDiv(ck, k);
  MLC_RETURN_IF_ERROR(m.status());
  // The input as [N, C, K L]: block position major, as the reference.
  ONNX_ASSIGN(flat, checkedReshape(im, x, {SymbolArg(n), c, m.mul(k, l)}, ""));
  MLC_RETURN_IF_ERROR(m.status());
  // Over the grid [I_1 .. I_d, B_1 .. B_d]: output pixel p, block offset
  // q; the block index along dim i is (p + pad - q dil) / stride when that
  // divides and lies in [0, blocks_i).
  Shape grid;
  for (size_t i = 0; i < d; ++i)
    grid.push_back(symbolArgDim(image[i]));
  for (size_t i = 0; i < d; ++i)
    grid.push_back(symbolArgDim(block[i]));
  auto axisIota = [&](size_t axis) -> Expected<Value *> {
    Shape shape(2 * d, Dim(int64_t{1}));
    shape[axis] = grid[axis];
    return im.emit(OpKind::Iota, {},
                   {{"shape", dimsAttribute(shape)},
                    {"axis", static_cast<int64_t>(axis)}});
  };
  auto i64 = [&](int64_t v) {
    return im.emitScalar(DType::I64, static_cast<double>(v));
  };
  auto bin = [&](OpKind kind, Value *a, Value *b) {
    return im.emit(kind, {a, b});
  };
  ONNX_ASSIGN(zero, i64(0));
  Value *valid = nullptr, *blockLin = nullptr, *offLin = nullptr;
  for (size_t i = 0; i < d; ++i) {
    ONNX_ASSIGN(p, axisIota(i));
    ONNX_ASSIGN(q, axisIota(d + i));
    ONNX_ASSIGN(padV, i64(pads[i]));
    ONNX_ASSIGN(dilV, i64(dil[i]));
    ONNX_ASSIGN(strideV, i64(strides[i]));
    ONNX_ASSIGN(pp, bin(OpKind::Add, p, padV));
    ONNX_ASSIGN(qd, bin(OpKind::Mul, q, dilV));
    ONNX_ASSIGN(num, bin(OpKind::Sub, pp, qd));
    ONNX_ASSIGN(rem,
                im.emit(OpKind::Mod, {num, strideV}, {{"fmod", int64_t{0}}}));
    ONNX_ASSIGN(exact, bin(OpKind::Equal, rem, zero));
    ONNX_ASSIGN(neg, bin(OpKind::Less, num, zero));
    ONNX_ASSIGN(nonNeg, im.emit(OpKind::Not, {neg}));
    ONNX_ASSIGN(at, bin(OpKind::Div, num, strideV));
    ONNX_ASSIGN(countV, scalarOf(im, per[i]));
    ONNX_ASSIGN(inside, bin(OpKind::Less, at, countV));
    ONNX_ASSIGN(v1, bin(OpKind::And, exact, nonNeg));
    ONNX_ASSIGN(v2, bin(OpKind::And, v1, inside));
    if (valid) {
      ONNX_ASSIGN(v, bin(OpKind::And, valid, v2));
      valid = v;
    } else {
      valid = v2;
    }
    ONNX_ASSIGN(atSafe, bin(OpKind::Max, at, zero));
    if (blockLin) {
      ONNX_ASSIGN(sc, bin(OpKind::Mul, blockLin, countV));
      ONNX_ASSIGN(sum, bin(OpKind::Add, sc, atSafe));
      blockLin = sum;
    } else {
      blockLin = atSafe;
    }
    ONNX_ASSIGN(bV, scalarOf(im, block[i]));
    if (offLin) {
      ONNX_ASSIGN(sc, bin(OpKind::Mul, offLin, bV));
      ONNX_ASSIGN(sum, bin(OpKind::Add, sc, q));
      offLin = sum;
    } else {
      offLin = q;
    }
  }
  ONNX_ASSIGN(lV, i64(l));
  ONNX_ASSIGN(major, bin(OpKind::Mul, offLin, lV));
  ONNX_ASSIGN(index0, bin(OpKind::Add, major, blockLin));
  ONNX_ASSIGN(index, im.emit(OpKind::Where, {valid, index0, zero}));
  ONNX_ASSIGN(g, im.emit(OpKind::Gather, {flat, index},
                         {{"axis", int64_t{2}}})); // [N, C, grid]
  ONNX_ASSIGN(fill, im.emitScalar(x->type().dtype, 0.0));
  ONNX_ASSIGN(masked, im.emit(OpKind::Where, {valid, g, fill}));
  std::vector<int64_t> axes;
  for (size_t i = 0; i < d; ++i)
    axes.push_back(static_cast<int64_t>(2 + d + i));
  return setOutput(ctx, 0,
                   im.emit(OpKind::ReduceSum, {masked},
                           {{"axes", axes}, {"keepdims", int64_t{0}}},
                           ctx.outputName(0)));
}

Status affineGridOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(theta, ctx.input(0));
  ONNX_ASSIGN(sizeIn, ctx.input(1));
  ONNX_ASSIGN(align, ctx.intAttr("align_corners", 0));
  ONNX_ASSIGN(size, requireSymbolArgs(im, sizeIn, "size"));
  const Shape &ts = theta->type().shape;
  DType dt = theta->type().dtype;
  if (!isFloat(dt) || ts.size() != 3 || !isStatic(ts))
    return makeError("theta must be a float (N, 2, 3) or (N, 3, 4) tensor of "
                     "static shape, got " +
                     typeToString(theta->type()));
  size_t spatial = size.size() - 2;
  if ((size.size() != 4 && size.size() != 5) ||
      ts[1].value() != static_cast<int64_t>(spatial) ||
      ts[2].value() != static_cast<int64_t>(spatial) + 1)
    return makeError("size must be (N, C, H, W) with theta (N, 2, 3), or (N, "
                     "C, D, H, W) with theta (N, 3, 4)");
  int64_t n = ts[0].value();
  SymbolMath m(im.graph());
  m.require(m.eq(size[0], n), nodeLabel(ctx) + "size[0] is not theta's N (" +
                                  std::to_string(n) + ")");
  MLC_RETURN_IF_ERROR(m.status());
  size_t outRank = spatial + 2; // N, spatial.., coordinate
  // The coordinates along spatial dim s (extent L): align_corners: -1 +
  // 2t / max(L - 1, 1); else -1 + (2t + 1) / L.
  std::vector<Value *> coords; // per spatial dim, shaped to broadcast
  for (size_t s = 0; s < spatial; ++s) {
    Dim len = symbolArgDim(size[2 + s]);
    ONNX_ASSIGN(
        iota, im.emit(OpKind::Iota, {},
                      {{"shape", dimsAttribute({len})}, {"axis", int64_t{0}}}));
    ONNX_ASSIGN(t, im.emit(OpKind::Cast, {iota}, {{"to", dt}}));
    ONNX_ASSIGN(l64, scalarOf(im, size[2 + s]));
    ONNX_ASSIGN(l, im.emit(OpKind::Cast, {l64}, {{"to", dt}}));
    ONNX_ASSIGN(one, im.emitScalar(dt, 1.0));
    ONNX_ASSIGN(two, im.emitScalar(dt, 2.0));
    ONNX_ASSIGN(two_t, im.emit(OpKind::Mul, {t, two}));
    Value *ratio = nullptr;
    if (align) {
      ONNX_ASSIGN(lm1, im.emit(OpKind::Sub, {l, one}));
      ONNX_ASSIGN(den, im.emit(OpKind::Max, {lm1, one}));
      ONNX_ASSIGN(r, im.emit(OpKind::Div, {two_t, den}));
      ratio = r;
    } else {
      ONNX_ASSIGN(num, im.emit(OpKind::Add, {two_t, one}));
      ONNX_ASSIGN(r, im.emit(OpKind::Div, {num, l}));
      ratio = r;
    }
    ONNX_ASSIGN(c, im.emit(OpKind::Sub, {ratio, one}));
    Shape shape(outRank, Dim(1));
    shape[1 + s] = len;
    ONNX_ASSIGN(
        b, im.emit(OpKind::Reshape, {c}, {{"shape", dimsAttribute(shape)}}));
    coords.push_back(b);
  }
  // grid[n, .., i] = sum_j theta[n, i, j] * pos_j + theta[n, i, last], with
  // pos = (x, y[, z]) = the coordinates of the last spatial dim first.
  int64_t dims = static_cast<int64_t>(spatial);
  auto column = [&](int64_t j) -> Expected<Value *> {
    AttributeMap attrs{{"starts", std::vector<int64_t>{0, 0, j}},
                       {"ends", std::vector<int64_t>{n, dims, j + 1}},
                       {"steps", std::vector<int64_t>{1, 1, 1}}};
    ONNX_ASSIGN(col, im.emit(OpKind::Slice, {theta}, attrs));
    std::vector<int64_t> shape(outRank, 1);
    shape[0] = n;
    shape[outRank - 1] = dims;
    return im.emitReshape(col, shape);
  };
  ONNX_ASSIGN(acc, column(dims));
  Value *sum = acc;
  for (int64_t j = 0; j < dims; ++j) {
    ONNX_ASSIGN(col, column(j));
    ONNX_ASSIGN(term, im.emit(OpKind::Mul, {col, coords[spatial - 1 - j]}));
    ONNX_ASSIGN(next, im.emit(OpKind::Add, {sum, term}, {},
                              j + 1 == dims ? ctx.outputName(0) : ""));
    sum = next;
  }
  return setOutput(ctx, 0, sum);
}

Status splitFromSymbols(NodeContext &ctx, Value *x, int64_t axis,
                        Value *split) {
  Importer &im = ctx.importer;
  if (!isStatic(x->type().shape))
    return makeError("with split given at run time, the input needs a static "
                     "shape, got " +
                     typeToString(x->type()));
  SymbolMath m(im.graph());
  const std::string who = nodeLabel(ctx);
  ONNX_ASSIGN(sizes, valueSymbols(im, split));
  if (sizes.size() != ctx.outputs.size())
    return makeError("split has " + std::to_string(sizes.size()) +
                     " sizes for " + std::to_string(ctx.outputs.size()) +
                     " outputs");
  int64_t d = x->type().shape[static_cast<size_t>(axis)].value();
  SymbolArg offset(int64_t{0});
  std::vector<SymbolArg> starts;
  for (size_t i = 0; i < sizes.size(); ++i) {
    m.require(m.negate(m.lt(sizes[i], int64_t{0})),
              who + "split[" + std::to_string(i) + "] is negative");
    starts.push_back(offset);
    offset = m.add(offset, sizes[i]);
  }
  m.require(m.eq(offset, d), who + "the split sizes do not sum to dim " +
                                 std::to_string(axis) + " (" +
                                 std::to_string(d) + ")");
  MLC_RETURN_IF_ERROR(m.status());
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (ctx.proto.output(static_cast<int>(i)).empty())
      continue;
    if (d == 0) {
      // Every part is empty too (the sizes sum to 0).
      std::vector<SymbolArg> dims;
      for (const Dim &e : x->type().shape)
        dims.push_back(dimArg(e));
      dims[static_cast<size_t>(axis)] = sizes[i];
      ONNX_ASSIGN(part, checkedReshape(im, x, dims, ctx.outputName(i)));
      ctx.outputs[i] = part;
      continue;
    }
    ONNX_ASSIGN(part, gatherRun(im, x, axis, starts[i], int64_t{1}, sizes[i],
                                ctx.outputName(i)));
    ctx.outputs[i] = part;
  }
  return Status::success();
}

bool isRunTimeInts(const Value *v) {
  if (!v || v->producer())
    return false;
  const TensorType &t = v->type();
  if ((t.dtype != DType::I64 && t.dtype != DType::I32) || t.rank() > 1 ||
      !isStatic(t.shape))
    return false;
  Expected<int64_t> n = elementCount(t.shape);
  return n.ok() && *n > 0 && *n <= kMaxRunTimeInts;
}

Status reshapeFromValues(NodeContext &ctx, Value *x, Value *shape,
                         bool allowZero) {
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  ONNX_ASSIGN(values, valueSymbols(im, shape));
  const Shape &in = x->type().shape;
  const std::string who = nodeLabel(ctx);
  std::vector<SymbolArg> z, minusOne;
  SymbolArg rest(int64_t{1}), negatives(int64_t{0});
  for (size_t i = 0; i < values.size(); ++i) {
    SymbolArg v = values[i];
    m.require(m.negate(m.lt(v, int64_t{-1})),
              who + "shape[" + std::to_string(i) + "] is below -1");
    SymbolArg zi = v;
    if (!allowZero && i < in.size())
      zi = m.select(m.eq(v, int64_t{0}), dimArg(in[i]), v);
    else if (!allowZero)
      m.require(m.negate(m.eq(v, int64_t{0})),
                who + "shape[" + std::to_string(i) +
                    "] is 0 but the input has no dim " + std::to_string(i) +
                    " to copy");
    SymbolArg isMinusOne = m.eq(v, int64_t{-1});
    z.push_back(zi);
    minusOne.push_back(isMinusOne);
    negatives = m.add(negatives, isMinusOne);
    rest = m.mul(rest, m.select(isMinusOne, int64_t{1}, zi));
  }
  m.require(m.lt(negatives, int64_t{2}), who + "shape has more than one -1");
  SymbolArg inferred = m.floorDiv(countOf(m, in), rest);
  std::vector<SymbolArg> dims;
  for (size_t i = 0; i < values.size(); ++i)
    dims.push_back(m.select(minusOne[i], inferred, z[i]));
  MLC_RETURN_IF_ERROR(m.status());
  return setOutput(ctx, 0, checkedReshape(im, x, dims, ctx.outputName(0)));
}

Status expandFromValues(NodeContext &ctx, Value *x, Value *shape) {
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  ONNX_ASSIGN(values, requireSymbolArgs(im, shape, "shape"));
  const Shape &in = x->type().shape;
  size_t rank = std::max(in.size(), values.size());
  const std::string who = nodeLabel(ctx);
  Shape target;
  for (size_t i = 0; i < rank; ++i) {
    size_t fromEnd = rank - 1 - i;
    Dim xd = fromEnd < in.size() ? in[in.size() - 1 - fromEnd] : Dim(1);
    if (fromEnd >= values.size()) {
      target.push_back(xd);
      continue;
    }
    size_t k = values.size() - 1 - fromEnd;
    SymbolArg v = values[k];
    if (xd.isStatic() && xd.value() == 1) {
      target.push_back(symbolArgDim(v));
      continue;
    }
    // A dim other than 1 stays; the shape must hold 1 or that dim there.
    m.require(m.max(m.eq(v, int64_t{1}), m.eq(v, dimArg(xd))),
              who + "shape[" + std::to_string(k) + "] cannot broadcast dim " +
                  std::to_string(i) + " of " + typeToString(x->type()));
    target.push_back(xd);
  }
  MLC_RETURN_IF_ERROR(m.status());
  AttributeMap attrs{{"shape", dimsAttribute(target)}};
  return setOutput(
      ctx, 0,
      im.emit(OpKind::Expand, {x}, std::move(attrs), ctx.outputName(0)));
}

Status squeezeFromValues(NodeContext &ctx, Value *x, Value *axes) {
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  const Shape &in = x->type().shape;
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(mask, axisMask(ctx, m, axes, rank, true));
  const std::string who = nodeLabel(ctx);
  for (int64_t p = 0; p < rank; ++p)
    if (!(in[p].isStatic() && in[p].value() == 1))
      m.require(m.negate(mask[p]), who + "dim " + std::to_string(p) + " of " +
                                       typeToString(x->type()) +
                                       " is not 1 and cannot be squeezed");
  int64_t outRank = rank - axes->type().shape.at(0).value();
  if (outRank < 0)
    return makeError("more axes than the input's rank " +
                     std::to_string(rank));
  std::vector<SymbolArg> dims = keptDims(m, in, mask, outRank);
  MLC_RETURN_IF_ERROR(m.status());
  return setOutput(ctx, 0, checkedReshape(im, x, dims, ctx.outputName(0)));
}

Status unsqueezeFromValues(NodeContext &ctx, Value *x, Value *axes) {
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  const Shape &in = x->type().shape;
  int64_t rank = x->type().rank();
  int64_t outRank = rank + axes->type().shape.at(0).value();
  ONNX_ASSIGN(mask, axisMask(ctx, m, axes, outRank, true));
  // Output dim p is 1 where an axis names it, else the next input dim.
  std::vector<SymbolArg> dims;
  SymbolArg inserted(int64_t{0});
  for (int64_t p = 0; p < outRank; ++p) {
    inserted = m.add(inserted, mask[p]);
    SymbolArg source = m.sub(p, inserted);
    SymbolArg d(int64_t{0});
    for (int64_t i = 0; i < rank; ++i)
      d = m.add(d, m.select(m.eq(source, i), dimArg(in[i]), int64_t{0}));
    dims.push_back(m.select(mask[p], int64_t{1}, d));
  }
  MLC_RETURN_IF_ERROR(m.status());
  return setOutput(ctx, 0, checkedReshape(im, x, dims, ctx.outputName(0)));
}

Expected<RunTimeAxes> runTimeReduceAxes(NodeContext &ctx, Value *x,
                                        Value *axes) {
  if (!isStatic(x->type().shape))
    return makeError("with axes given at run time, the input needs a static "
                     "shape, got " +
                     typeToString(x->type()));
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  int64_t rank = x->type().rank();
  RunTimeAxes r;
  r.axes = axes;
  ONNX_ASSIGN(mask, axisMask(ctx, m, axes, rank, true));
  r.mask = mask;
  // The same mask as data: per dim a bool of rank `rank`, all extents 1.
  Value *a = axes;
  if (a->type().dtype != DType::I64) {
    ONNX_ASSIGN(c, im.emit(OpKind::Cast, {a}, {{"to", DType::I64}}));
    a = c;
  }
  int64_t count = a->type().shape.at(0).value();
  ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
  ONNX_ASSIGN(rankValue, im.emitScalar(DType::I64, static_cast<double>(rank)));
  ONNX_ASSIGN(isNeg, im.emit(OpKind::Less, {a, zero}));
  ONNX_ASSIGN(shifted, im.emit(OpKind::Add, {a, rankValue}));
  ONNX_ASSIGN(norm, im.emit(OpKind::Where, {isNeg, shifted, a}));
  ONNX_ASSIGN(column, im.emitReshape(norm, {count, 1}));
  std::vector<int64_t> iota;
  for (int64_t p = 0; p < rank; ++p)
    iota.push_back(p);
  ONNX_ASSIGN(dims, im.emitInts(iota));
  ONNX_ASSIGN(row, im.emitReshape(dims, {1, rank}));
  ONNX_ASSIGN(hits, im.emit(OpKind::Equal, {column, row}));
  ONNX_ASSIGN(hits32, im.emit(OpKind::Cast, {hits}, {{"to", DType::I32}}));
  AttributeMap overAxes{{"axes", std::vector<int64_t>{0}},
                        {"keepdims", int64_t{0}}};
  ONNX_ASSIGN(any, im.emit(OpKind::ReduceMax, {hits32}, overAxes));
  ONNX_ASSIGN(anyBool, im.emit(OpKind::Cast, {any}, {{"to", DType::Bool}}));
  std::vector<int64_t> ones(static_cast<size_t>(rank), 1);
  for (int64_t p = 0; p < rank; ++p) {
    AttributeMap slice{{"starts", std::vector<int64_t>{p}},
                       {"ends", std::vector<int64_t>{p + 1}},
                       {"steps", std::vector<int64_t>{1}}};
    ONNX_ASSIGN(one, im.emit(OpKind::Slice, {anyBool}, slice));
    ONNX_ASSIGN(b, im.emitReshape(one, ones));
    r.maskValues.push_back(b);
  }
  MLC_RETURN_IF_ERROR(m.status());
  return r;
}

Expected<Value *> reduceFull(Importer &im, OpKind kind, Value *t,
                             const RunTimeAxes &axes) {
  const Shape shape = t->type().shape;
  // Bools reduce as i32 (max is any, min is all).
  bool isBool = t->type().dtype == DType::Bool;
  if (isBool) {
    ONNX_ASSIGN(wide, im.emit(OpKind::Cast, {t}, {{"to", DType::I32}}));
    t = wide;
  }
  // Dims of extent 0 first: reduced whatever the mask (1 element either
  // way; finishReduce keeps 0 or 1 of it), so that no empty dim hides the
  // others' values.
  for (int pass = 0; pass < 2; ++pass)
    for (size_t p = 0; p < shape.size(); ++p) {
      int64_t d = shape[p].value();
      if (d == 1 || (d == 0) != (pass == 0))
        continue; // reducing one element changes nothing
      AttributeMap attrs{
          {"axes", std::vector<int64_t>{static_cast<int64_t>(p)}},
          {"keepdims", int64_t{1}}};
      ONNX_ASSIGN(reduced, im.emit(kind, {t}, attrs));
      if (d == 0) {
        t = reduced;
        continue;
      }
      ONNX_ASSIGN(picked,
                  im.emit(OpKind::Where, {axes.maskValues[p], reduced, t}));
      t = picked;
    }
  if (isBool) {
    // > 0, not a cast: an empty max is INT32_MIN (false), min INT32_MAX.
    ONNX_ASSIGN(zero, im.emitScalar(DType::I32, 0));
    return im.emit(OpKind::Greater, {t, zero});
  }
  return t;
}

Expected<Value *> finishReduce(NodeContext &ctx, Value *full, const Shape &in,
                               const RunTimeAxes &axes, bool keepdims) {
  Importer &im = ctx.importer;
  SymbolMath m(im.graph());
  Shape ends;
  std::vector<SymbolArg> kept;
  for (size_t p = 0; p < in.size(); ++p) {
    int64_t d = in[p].value();
    SymbolArg e = d == 1 ? SymbolArg(int64_t{1})
                         : m.select(axes.mask[p], int64_t{1}, d);
    ends.push_back(symbolArgDim(e));
    kept.push_back(e);
  }
  MLC_RETURN_IF_ERROR(m.status());
  int64_t rank = static_cast<int64_t>(in.size());
  std::string name = ctx.outputName(0);
  AttributeMap attrs{{"starts", std::vector<int64_t>(in.size(), 0)},
                     {"ends", dimsAttribute(ends)},
                     {"steps", std::vector<int64_t>(in.size(), 1)}};
  ONNX_ASSIGN(crop,
              im.emit(OpKind::Slice, {full}, attrs, keepdims ? name : ""));
  if (keepdims)
    return crop;
  int64_t outRank = rank - axes.axes->type().shape.at(0).value();
  if (outRank < 0)
    return makeError("more axes than the input's rank " +
                     std::to_string(rank));
  std::vector<SymbolArg> dims = keptDims(m, in, axes.mask, outRank);
  MLC_RETURN_IF_ERROR(m.status());
  return checkedReshape(im, crop, dims, name);
}

} // namespace mlc::onnx_import
