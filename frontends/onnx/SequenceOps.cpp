// Sequence and optional ops, and Loop, for the ONNX importer.
//
// A sequence's length and an optional's presence are fixed at import time:
// the importer holds a sequence as a list of IR tensors and an optional as
// its content or nothing (Aggregate in ImporterContext.h), so the IR stays a
// graph of tensors. Positions (SequenceAt, -Insert, -Erase) must be known at
// import time, and Loop is unrolled, which needs its trip count and every
// iteration's condition at import time too. docs/frontends.md, "Sequences
// and optionals", says what this covers and what it rejects.
#include "frontends/onnx/ImporterContext.h"

#include <algorithm>
#include <string_view>

namespace mlc::onnx_import {

namespace {

/// The sequence input `i` of the node.
Expected<const Aggregate *> sequenceInput(NodeContext &ctx, size_t i) {
  ONNX_ASSIGN(v, ctx.input(i));
  const Aggregate *a = ctx.importer.aggregate(v);
  if (!a || a->kind != Aggregate::Kind::Sequence)
    return makeError("input " + std::to_string(i) + " must be a sequence");
  return a;
}

/// `v` when it is a tensor; sequences hold tensors only.
Expected<Value *> requireTensor(Importer &im, Value *v,
                                const std::string &what) {
  if (const Aggregate *a = im.aggregate(v))
    return makeError(
        what + " is a" +
        (a->kind == Aggregate::Kind::Sequence ? " sequence" : "n optional") +
        ", but must be a tensor (sequences hold tensors only)");
  return v;
}

/// Fails unless `t` has the element dtype of `seq` (ONNX sequences are
/// homogeneous in dtype; shapes may differ).
Status checkElementType(const Aggregate &seq, const Value *t) {
  std::optional<DType> want = seq.elemDtype;
  if (!want && !seq.elements.empty())
    want = seq.elements[0]->type().dtype;
  if (want && *want != t->type().dtype)
    return makeError("the tensor is " +
                     std::string(dtypeName(t->type().dtype)) +
                     ", the sequence holds " + std::string(dtypeName(*want)));
  return Status::success();
}

/// Sets output `i` to a new sequence of `elements`.
Status setSequence(NodeContext &ctx, size_t i, std::vector<Value *> elements,
                   std::optional<DType> dtype) {
  Aggregate a;
  a.elements = std::move(elements);
  a.elemDtype = dtype;
  if (!a.elemDtype && !a.elements.empty())
    a.elemDtype = a.elements[0]->type().dtype;
  return setOutput(ctx, i, ctx.importer.emitAggregate(std::move(a)));
}

/// The position input `pos` of a sequence of `n` elements, normalized:
/// [-n, n - 1], or [-n, n] when inserting.
Expected<int64_t> positionOf(NodeContext &ctx, Value *pos, int64_t n,
                             bool insert) {
  ONNX_ASSIGN(ints, ctx.importer.requireInts(pos, "position"));
  if (ints.size() != 1)
    return makeError("position must have one element, got " +
                     std::to_string(ints.size()));
  int64_t p = ints[0];
  int64_t hi = insert ? n : n - 1;
  if (p < -n || p > hi)
    return makeError("position " + std::to_string(p) +
                     " is out of range for a sequence of " + std::to_string(n) +
                     " tensors");
  return p < 0 ? p + n : p;
}

/// A scalar constant of `dtype` as output `i`, named after the ONNX output.
Status setScalar(NodeContext &ctx, size_t i, DType dtype, double value) {
  ONNX_ASSIGN(data, makeFilledTensor(TensorType{dtype, {}}, value));
  return setOutput(
      ctx, i, ctx.importer.emitConstant(std::move(data), ctx.outputName(i)));
}

/// `x` with a dim of extent 1 inserted at `axis` (a reshape; symbolic dims
/// stay).
Expected<Value *> insertUnitDim(Importer &im, Value *x, int64_t axis) {
  Shape s = x->type().shape;
  s.insert(s.begin() + axis, Dim(1));
  return im.emit(OpKind::Reshape, {x}, {{"shape", dimsAttribute(s)}});
}

/// `x` without its dim `axis` (of extent 1).
Expected<Value *> dropUnitDim(Importer &im, Value *x, int64_t axis) {
  Shape s = x->type().shape;
  s.erase(s.begin() + axis);
  return im.emit(OpKind::Reshape, {x}, {{"shape", dimsAttribute(s)}});
}

/// The graph attribute `name` of the node.
Expected<const onnx::GraphProto *> graphAttr(NodeContext &ctx,
                                             const std::string &name) {
  const onnx::AttributeProto *a = ctx.attr(name);
  if (!a || a->type() != onnx::AttributeProto::GRAPH)
    return makeError("needs the graph attribute '" + name + "'");
  return &a->g();
}

} // namespace

bool takesAggregates(const std::string &opType) {
  static constexpr std::string_view kOps[] = {
      "ConcatFromSequence",
      "Identity",
      "If",
      "Loop",
      "Optional",
      "OptionalGetElement",
      "OptionalHasElement",
      "SequenceAt",
      "SequenceConstruct",
      "SequenceEmpty",
      "SequenceErase",
      "SequenceInsert",
      "SequenceLength",
      "SequenceMap",
      "SplitToSequence",
  };
  return std::find(std::begin(kOps), std::end(kOps), opType) != std::end(kOps);
}

Status sequenceConstructOp(NodeContext &ctx, OpKind) {
  std::vector<Value *> elements;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    ONNX_ASSIGN(v, ctx.input(i));
    ONNX_ASSIGN(t,
                requireTensor(ctx.importer, v, "input " + std::to_string(i)));
    if (!elements.empty() && t->type().dtype != elements[0]->type().dtype)
      return makeError("the inputs must have one dtype, got " +
                       std::string(dtypeName(elements[0]->type().dtype)) +
                       " and " + std::string(dtypeName(t->type().dtype)));
    elements.push_back(t);
  }
  if (elements.empty())
    return makeError("needs at least one input");
  return setSequence(ctx, 0, std::move(elements), std::nullopt);
}

Status sequenceEmptyOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(code, ctx.intAttr("dtype", onnx::TensorProto_DataType_FLOAT));
  ONNX_ASSIGN(dtype, convertDType(static_cast<int32_t>(code)));
  return setSequence(ctx, 0, {}, dtype);
}

Status sequenceInsertOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(seq, sequenceInput(ctx, 0));
  ONNX_ASSIGN(v, ctx.input(1));
  ONNX_ASSIGN(t, requireTensor(ctx.importer, v, "the inserted value"));
  MLC_RETURN_IF_ERROR(checkElementType(*seq, t));
  std::vector<Value *> elements = seq->elements;
  int64_t n = static_cast<int64_t>(elements.size());
  int64_t at = n;
  if (Value *pos = ctx.optionalInput(2)) {
    ONNX_ASSIGN(p, positionOf(ctx, pos, n, true));
    at = p;
  }
  elements.insert(elements.begin() + at, t);
  return setSequence(ctx, 0, std::move(elements), seq->elemDtype);
}

Status sequenceEraseOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(seq, sequenceInput(ctx, 0));
  std::vector<Value *> elements = seq->elements;
  int64_t n = static_cast<int64_t>(elements.size());
  if (n == 0)
    return makeError("cannot erase from an empty sequence");
  int64_t at = n - 1;
  if (Value *pos = ctx.optionalInput(1)) {
    ONNX_ASSIGN(p, positionOf(ctx, pos, n, false));
    at = p;
  }
  elements.erase(elements.begin() + at);
  return setSequence(ctx, 0, std::move(elements), seq->elemDtype);
}

Status sequenceAtOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(seq, sequenceInput(ctx, 0));
  ONNX_ASSIGN(pos, ctx.input(1));
  int64_t n = static_cast<int64_t>(seq->elements.size());
  ONNX_ASSIGN(p, positionOf(ctx, pos, n, false));
  return setOutput(ctx, 0, seq->elements[static_cast<size_t>(p)]);
}

Status sequenceLengthOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(seq, sequenceInput(ctx, 0));
  return setScalar(ctx, 0, DType::I64,
                   static_cast<double>(seq->elements.size()));
}

Status concatFromSequenceOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(seq, sequenceInput(ctx, 0));
  if (seq->elements.empty())
    return makeError("cannot concatenate an empty sequence");
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(newAxis, ctx.intAttr("new_axis", 0));
  if (newAxis != 0 && newAxis != 1)
    return makeError("new_axis must be 0 or 1, got " + std::to_string(newAxis));
  Importer &im = ctx.importer;
  int64_t rank = seq->elements[0]->type().rank();
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, rank + newAxis));
  std::vector<Value *> parts = seq->elements;
  for (Value *&p : parts) {
    if (p->type().rank() != rank)
      return makeError("the sequence's tensors have different ranks (" +
                       typeToString(seq->elements[0]->type()) + " and " +
                       typeToString(p->type()) + ")");
    if (newAxis) {
      ONNX_ASSIGN(u, insertUnitDim(im, p, axis));
      p = u;
    }
  }
  return setOutput(
      ctx, 0,
      im.emit(OpKind::Concat, parts, {{"axis", axis}}, ctx.outputName(0)));
}

Status splitToSequenceOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(input, ctx.input(0));
  ONNX_ASSIGN(x, requireTensor(im, input, "the input"));
  if (Value *s = ctx.optionalInput(1))
    MLC_RETURN_IF_ERROR(requireTensor(im, s, "split").status());
  ONNX_ASSIGN(axisAttr, ctx.intAttr("axis", 0));
  ONNX_ASSIGN(keepdims, ctx.intAttr("keepdims", 1));
  int64_t rank = x->type().rank();
  ONNX_ASSIGN(axis, normalizeAxis(axisAttr, rank));
  const Dim &along = x->type().shape[static_cast<size_t>(axis)];
  Value *split = ctx.optionalInput(1);
  if (split && isRunTimeInts(split) && split->type().rank() == 1) {
    // Sizes known at run time, their count (the sequence's length) now
    // (at most kMaxRunTimeInts).
    int64_t count = split->type().shape[0].value();
    onnx::NodeProto parts = ctx.proto;
    parts.clear_output();
    std::string base = ctx.proto.output_size() > 0 ? ctx.proto.output(0) : "";
    for (int64_t i = 0; i < count; ++i)
      parts.add_output(base + "." + std::to_string(i));
    NodeContext sub{parts,
                    im,
                    ctx.inputs,
                    std::vector<Value *>(static_cast<size_t>(count)),
                    std::vector<bool>(static_cast<size_t>(count), true),
                    ctx.scope};
    MLC_RETURN_IF_ERROR(splitFromSymbols(sub, x, axis, split));
    return setSequence(ctx, 0, sub.outputs, x->type().dtype);
  }
  if (split && isRunTimeScalar(split))
    return makeError("a split size given at run time makes the number of "
                     "tensors a run-time value; sequences have a length "
                     "known at compile time");
  if (!isStatic(x->type().shape))
    return makeError("the input needs a static shape, got " +
                     typeToString(x->type()));
  std::vector<int64_t> ext = staticExtents(x->type().shape);
  int64_t dim = along.value();
  // The number of tensors first (at most kMaxSequenceLength), then sizes.
  std::vector<int64_t> sizes;
  auto tooMany = [](int64_t count) {
    return makeError("a split into " + std::to_string(count) +
                     " tensors is too long (at most " +
                     std::to_string(kMaxSequenceLength) + ")");
  };
  if (split) {
    ONNX_ASSIGN(data, im.requireConstant(split, "split"));
    ONNX_ASSIGN(ints, im.requireInts(split, "split"));
    if (data.type.rank() == 0) {
      if (ints[0] <= 0)
        return makeError("split must be positive, got " +
                         std::to_string(ints[0]));
      int64_t count = dim / ints[0] + (dim % ints[0] != 0);
      if (count > kMaxSequenceLength)
        return tooMany(count);
      for (int64_t at = 0; at < dim; at += ints[0])
        sizes.push_back(std::min(ints[0], dim - at));
    } else {
      if (static_cast<int64_t>(ints.size()) > kMaxSequenceLength)
        return tooMany(static_cast<int64_t>(ints.size()));
      sizes = ints;
    }
  } else {
    if (dim > kMaxSequenceLength)
      return tooMany(dim);
    sizes.assign(static_cast<size_t>(dim), 1);
  }
  std::vector<Value *> elements;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    if (size < 0 || size > dim - offset)
      return makeError("the split sizes do not fit dim " +
                       std::to_string(axis) + " (" + std::to_string(dim) + ")");
    std::vector<int64_t> starts(static_cast<size_t>(rank), 0),
        steps(static_cast<size_t>(rank), 1);
    std::vector<int64_t> ends = ext;
    starts[static_cast<size_t>(axis)] = offset;
    ends[static_cast<size_t>(axis)] = offset + size;
    ONNX_ASSIGN(
        part, im.emit(OpKind::Slice, {x},
                      {{"starts", starts}, {"ends", ends}, {"steps", steps}}));
    if (!split && keepdims == 0) {
      ONNX_ASSIGN(squeezed, dropUnitDim(im, part, axis));
      part = squeezed;
    }
    elements.push_back(part);
    offset += size;
  }
  if (offset != dim)
    return makeError("the split sizes sum to " + std::to_string(offset) +
                     ", not to dim " + std::to_string(axis) + " (" +
                     std::to_string(dim) + ")");
  return setSequence(ctx, 0, std::move(elements), x->type().dtype);
}

Status sequenceMapOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(body, graphAttr(ctx, "body"));
  ONNX_ASSIGN(first, sequenceInput(ctx, 0));
  size_t n = first->elements.size();
  if (static_cast<size_t>(body->input_size()) != ctx.numInputs())
    return makeError("the body takes " + std::to_string(body->input_size()) +
                     " inputs, the node gives " +
                     std::to_string(ctx.numInputs()));
  if (static_cast<size_t>(body->output_size()) < ctx.outputs.size())
    return makeError("the body gives " + std::to_string(body->output_size()) +
                     " outputs, the node has " +
                     std::to_string(ctx.outputs.size()));
  std::vector<const Aggregate *> seqs(ctx.numInputs(), nullptr);
  for (size_t j = 0; j < ctx.numInputs(); ++j) {
    ONNX_ASSIGN(v, ctx.input(j));
    const Aggregate *a = im.aggregate(v);
    if (a && a->kind != Aggregate::Kind::Sequence)
      return makeError("input " + std::to_string(j) +
                       " is an optional; SequenceMap takes sequences and "
                       "tensors");
    if (a && a->elements.size() != n)
      return makeError("input " + std::to_string(j) + " has " +
                       std::to_string(a->elements.size()) +
                       " tensors, input 0 has " + std::to_string(n));
    seqs[j] = a;
  }
  if (static_cast<int64_t>(n) * std::max(body->node_size(), 1) >
      kMaxUnrolledNodes)
    return makeError(
        "a map over " + std::to_string(n) + " tensors with a body of " +
        std::to_string(body->node_size()) + " nodes is too long to unroll");
  std::string nodeName = im.nodeName;
  std::vector<std::vector<Value *>> outs(ctx.outputs.size());
  for (size_t k = 0; k < n; ++k) {
    std::map<std::string, Value *> scope = *ctx.scope;
    for (size_t j = 0; j < ctx.numInputs(); ++j)
      scope[body->input(static_cast<int>(j)).name()] =
          seqs[j] ? seqs[j]->elements[k] : ctx.inputs[j];
    MLC_RETURN_IF_ERROR(im.importSubgraph(
        *body, scope, nodeName + "/body" + std::to_string(k) + "/"));
    im.nodeName = nodeName;
    for (size_t o = 0; o < outs.size(); ++o) {
      const std::string &name = body->output(static_cast<int>(o)).name();
      auto it = scope.find(name);
      if (it == scope.end())
        return makeError("body output '" + name + "' is not defined");
      ONNX_ASSIGN(t,
                  requireTensor(im, it->second, "body output '" + name + "'"));
      outs[o].push_back(t);
    }
  }
  for (size_t o = 0; o < outs.size(); ++o) {
    std::optional<DType> dtype;
    const onnx::TypeProto &type = body->output(static_cast<int>(o)).type();
    if (outs[o].empty() && type.has_tensor_type()) {
      ONNX_ASSIGN(d, convertDType(type.tensor_type().elem_type()));
      dtype = d;
    }
    MLC_RETURN_IF_ERROR(setSequence(ctx, o, outs[o], dtype));
  }
  return Status::success();
}

Status optionalOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  Aggregate opt;
  opt.kind = Aggregate::Kind::Optional;
  if (Value *v = ctx.optionalInput(0)) {
    const Aggregate *a = im.aggregate(v);
    if (a && a->kind == Aggregate::Kind::Optional)
      return makeError("optionals of optionals are not supported");
    opt.ofSequence = a != nullptr;
    opt.elements.push_back(v);
  } else {
    const onnx::AttributeProto *type = ctx.attr("type");
    if (!type || type->type() != onnx::AttributeProto::TYPE_PROTO)
      return makeError("an empty Optional needs the attribute 'type'");
    opt.ofSequence = type->tp().has_sequence_type();
  }
  return setOutput(ctx, 0, im.emitAggregate(std::move(opt)));
}

Status optionalHasElementOp(NodeContext &ctx, OpKind) {
  bool has = false;
  if (Value *v = ctx.optionalInput(0)) {
    const Aggregate *a = ctx.importer.aggregate(v);
    has = !a || a->kind == Aggregate::Kind::Sequence || !a->elements.empty();
  }
  return setScalar(ctx, 0, DType::Bool, has ? 1 : 0);
}

Status optionalGetElementOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(v, ctx.input(0));
  const Aggregate *a = ctx.importer.aggregate(v);
  if (!a || a->kind == Aggregate::Kind::Sequence)
    return setOutput(ctx, 0, v); // a tensor or sequence is its own element
  if (a->elements.empty())
    return makeError("the optional is empty (compiled as absent)");
  return setOutput(ctx, 0, a->elements[0]);
}

Status loopOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(body, graphAttr(ctx, "body"));
  size_t carried = ctx.numInputs() < 2 ? 0 : ctx.numInputs() - 2;
  if (static_cast<size_t>(body->input_size()) != carried + 2)
    return makeError("the body takes " + std::to_string(body->input_size()) +
                     " inputs; it must take the iteration number, the "
                     "condition and the " +
                     std::to_string(carried) + " loop-carried values");
  if (static_cast<size_t>(body->output_size()) < carried + 1)
    return makeError("the body gives " + std::to_string(body->output_size()) +
                     " outputs, fewer than the condition and the " +
                     std::to_string(carried) + " loop-carried values");
  size_t scans = static_cast<size_t>(body->output_size()) - carried - 1;
  const std::string unrolled =
      " (mlc unrolls Loop: its trip count and conditions must be "
      "computable at import time)";
  std::optional<int64_t> trips;
  if (Value *m = ctx.optionalInput(0)) {
    auto ints = im.requireInts(m, "the trip count");
    if (!ints)
      return makeError(ints.message() + unrolled);
    if (ints->size() != 1)
      return makeError("the trip count must have one element");
    trips = std::max<int64_t>((*ints)[0], 0);
    if (*trips > kMaxUnrolledNodes / std::max(body->node_size(), 1))
      return makeError("a loop of " + std::to_string(*trips) +
                       " iterations over a body of " +
                       std::to_string(body->node_size()) +
                       " nodes is too long to unroll (at most " +
                       std::to_string(kMaxUnrolledNodes) + " nodes)");
  }
  bool cond = true;
  if (Value *c = ctx.optionalInput(1)) {
    auto data = im.requireConstant(c, "the condition");
    if (!data)
      return makeError(data.message() + unrolled);
    if (data->numElements() != 1)
      return makeError("the condition must have one element");
    cond = tensorElementAsDouble(*data, 0) != 0;
  }
  std::vector<Value *> state;
  for (size_t j = 0; j < carried; ++j) {
    ONNX_ASSIGN(v, ctx.input(2 + j));
    state.push_back(v);
  }
  std::string nodeName = im.nodeName;
  std::vector<std::vector<Value *>> scanned(scans);
  int64_t budget = kMaxUnrolledNodes;
  for (int64_t t = 0; cond && (!trips || t < *trips); ++t) {
    budget -= std::max(body->node_size(), 1);
    if (budget < 0)
      return makeError("the loop is too long to unroll (more than " +
                       std::to_string(kMaxUnrolledNodes) + " nodes)");
    std::map<std::string, Value *> scope = *ctx.scope;
    ONNX_ASSIGN(iter, im.emitScalar(DType::I64, static_cast<double>(t)));
    ONNX_ASSIGN(condIn, im.emitScalar(DType::Bool, 1));
    scope[body->input(0).name()] = iter;
    scope[body->input(1).name()] = condIn;
    for (size_t j = 0; j < carried; ++j)
      scope[body->input(static_cast<int>(2 + j)).name()] = state[j];
    MLC_RETURN_IF_ERROR(im.importSubgraph(
        *body, scope, nodeName + "/body" + std::to_string(t) + "/"));
    im.nodeName = nodeName;
    auto output = [&](size_t o) -> Expected<Value *> {
      const std::string &name = body->output(static_cast<int>(o)).name();
      auto it = scope.find(name);
      if (it == scope.end())
        return makeError("body output '" + name + "' is not defined");
      return it->second;
    };
    ONNX_ASSIGN(condOut, output(0));
    auto next = im.requireConstant(condOut, "the condition of iteration " +
                                                std::to_string(t));
    if (!next)
      return makeError(next.message() + unrolled);
    if (next->numElements() != 1)
      return makeError("the body's condition must have one element");
    cond = tensorElementAsDouble(*next, 0) != 0;
    for (size_t j = 0; j < carried; ++j) {
      ONNX_ASSIGN(v, output(1 + j));
      state[j] = v;
    }
    for (size_t s = 0; s < scans; ++s) {
      ONNX_ASSIGN(v, output(1 + carried + s));
      ONNX_ASSIGN(tensor, requireTensor(im, v, "a scan output"));
      if (!scanned[s].empty() && scanned[s][0]->type() != tensor->type())
        return makeError("scan output " + std::to_string(s) +
                         " changes type between iterations (" +
                         typeToString(scanned[s][0]->type()) + " and " +
                         typeToString(tensor->type()) + ")");
      scanned[s].push_back(tensor);
    }
  }
  for (size_t j = 0; j < carried && j < ctx.outputs.size(); ++j) {
    Value *v = state[j];
    if (im.aggregate(v) || ctx.proto.output(static_cast<int>(j)).empty()) {
      ctx.outputs[j] = v;
      continue;
    }
    // A copy under the ONNX name (the final value may be an input).
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, j,
                  im.emit(OpKind::Reshape, {v},
                          {{"shape", dimsAttribute(v->type().shape)}},
                          ctx.outputName(j))));
  }
  for (size_t s = 0; s < scans && carried + s < ctx.outputs.size(); ++s) {
    if (scanned[s].empty())
      return makeError("scan output " + std::to_string(s) +
                       " of a loop that runs no iteration has no type");
    std::vector<Value *> parts;
    for (Value *p : scanned[s]) {
      ONNX_ASSIGN(u, insertUnitDim(im, p, 0));
      parts.push_back(u);
    }
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, carried + s,
                  im.emit(OpKind::Concat, parts, {{"axis", int64_t{0}}},
                          ctx.outputName(carried + s))));
  }
  return Status::success();
}

Expected<Value *> selectAggregates(Importer &im, Value *cond, Value *a,
                                   Value *b) {
  const Aggregate *x = im.aggregate(a), *y = im.aggregate(b);
  if (!x && !y)
    return im.emit(OpKind::Where, {cond, a, b});
  auto differ = [&]() {
    return makeError("with a run-time cond, the branches must give values of "
                     "the same structure (the same sequence length, the same "
                     "optional presence)");
  };
  if (!x || !y || x->kind != y->kind ||
      x->elements.size() != y->elements.size())
    return differ();
  Aggregate out = *x;
  for (size_t i = 0; i < x->elements.size(); ++i) {
    Value *p = x->elements[i], *q = y->elements[i];
    if (!im.aggregate(p) && !im.aggregate(q) && p->type() != q->type())
      return makeError("with a run-time cond, the branches must give "
                       "tensors of the same type; " +
                       typeToString(p->type()) + " and " +
                       typeToString(q->type()));
    ONNX_ASSIGN(e, selectAggregates(im, cond, p, q));
    out.elements[i] = e;
  }
  return im.emitAggregate(std::move(out));
}

} // namespace mlc::onnx_import
