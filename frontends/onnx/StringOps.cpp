// String ops of the ONNX importer: Equal on strings and LabelEncoder with
// string keys.
//
// Strings are str tensors (docs/ir.md, "Strings"): graph inputs that the
// data movement ops move and the host ops (string_equal, string_index)
// read. There are no string constants in the IR: LabelEncoder's keys become
// string_index's attribute, its values a numeric constant gathered by the
// key's position.
#include "frontends/onnx/ImporterContext.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>

namespace mlc::onnx_import {

namespace {

/// The strings of a STRING TensorProto attribute value.
Expected<std::vector<std::string>> stringsOf(const onnx::TensorProto &t,
                                             const std::string &what) {
  if (t.data_type() != onnx::TensorProto::STRING)
    return makeError(what + " must be a string tensor");
  return std::vector<std::string>(t.string_data().begin(),
                                  t.string_data().end());
}

/// `a` and `b` (str) expanded to their broadcast shape.
Status broadcastStrings(Importer &im, Value *&a, Value *&b) {
  if (a->type().shape != b->type().shape) {
    if (!isStatic(a->type().shape) || !isStatic(b->type().shape))
      return makeError("strings of different dynamic shapes (" +
                       typeToString(a->type()) + " and " +
                       typeToString(b->type()) + ") do not broadcast");
    Expected<Shape> shape = broadcastShapes(a->type().shape, b->type().shape);
    if (!shape)
      return shape.error();
    for (Value **v : {&a, &b}) {
      if ((*v)->type().shape == *shape)
        continue;
      auto e =
          im.emit(OpKind::Expand, {*v}, {{"shape", staticExtents(*shape)}});
      if (!e)
        return e.error();
      *v = *e;
    }
  }
  return Status::success();
}

} // namespace

Expected<Value *> stringEqual(Importer &im, Value *a, Value *b,
                              const std::string &name) {
  if (a->type().dtype != DType::Str || b->type().dtype != DType::Str)
    return makeError("Equal compares a string only with a string, got " +
                     typeToString(a->type()) + " and " +
                     typeToString(b->type()));
  MLC_RETURN_IF_ERROR(broadcastStrings(im, a, b));
  return im.emit(OpKind::StringEqual, {a, b}, {}, name);
}

Status stringConcatOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(a, ctx.input(0));
  ONNX_ASSIGN(b, ctx.input(1));
  if (a->type().dtype != DType::Str || b->type().dtype != DType::Str)
    return makeError("StringConcat takes strings, got " +
                     typeToString(a->type()) + " and " +
                     typeToString(b->type()));
  MLC_RETURN_IF_ERROR(broadcastStrings(im, a, b));
  return setOutput(
      ctx, 0, im.emit(OpKind::StringConcat, {a, b}, {}, ctx.outputName(0)));
}

Status regexFullMatchOp(NodeContext &ctx, OpKind) {
  ONNX_ASSIGN(x, ctx.input(0));
  if (x->type().dtype != DType::Str)
    return makeError("RegexFullMatch takes strings, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(pattern, ctx.stringAttr("pattern", ""));
  return setOutput(ctx, 0,
                   ctx.importer.emit(OpKind::RegexFullMatch, {x},
                                     {{"pattern", pattern}},
                                     ctx.outputName(0)));
}

Status stringSplitOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(x, ctx.input(0));
  if (x->type().dtype != DType::Str)
    return makeError("StringSplit takes strings, got " +
                     typeToString(x->type()));
  ONNX_ASSIGN(delimiter, ctx.stringAttr("delimiter", ""));
  ONNX_ASSIGN(maxSplit, ctx.intAttr("maxsplit", -1));
  // Negative: no limit (more than 2^63 - 2 splits is no limit either).
  maxSplit = maxSplit < 0 ? -1 : std::min(maxSplit, INT64_MAX - 1);
  AttributeMap attrs{{"delimiter", delimiter}, {"maxsplit", maxSplit}};
  if (ctx.outputUsed.size() > 0 && ctx.outputUsed[0]) {
    // Y's last dim, the most pieces of any string, comes from the strings
    // themselves: the runtime reads it from the input before the run.
    bool isInput = false;
    for (const Value *in : im.graph().inputs())
      isInput |= in == x;
    if (!isInput)
      return makeError("StringSplit's output Y is supported only on a graph "
                       "input: its last dim (the most pieces of any string) "
                       "is read from the input's strings before the run, and "
                       "'" +
                       x->name() + "' is computed by the model");
    ONNX_ASSIGN(width, im.graph().defineSplitSymbol(x, delimiter, maxSplit));
    AttributeMap pieceAttrs = attrs;
    pieceAttrs["width"] = dimsAttribute(Shape{Dim::symbol(width)});
    MLC_RETURN_IF_ERROR(
        setOutput(ctx, 0,
                  im.emit(OpKind::StringSplit, {x}, std::move(pieceAttrs),
                          ctx.outputName(0))));
  }
  if (ctx.outputUsed.size() > 1 && ctx.outputUsed[1])
    MLC_RETURN_IF_ERROR(setOutput(
        ctx, 1,
        im.emit(OpKind::StringSplitCount, {x}, attrs, ctx.outputName(1))));
  return Status::success();
}

Status stringNormalizerOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(x, ctx.input(0));
  ONNX_ASSIGN(action, ctx.stringAttr("case_change_action", "NONE"));
  ONNX_ASSIGN(sensitive, ctx.intAttr("is_case_sensitive", 0));
  ONNX_ASSIGN(locale, ctx.stringAttr("locale", ""));
  if (action != "NONE" && action != "LOWER" && action != "UPPER")
    return makeError("case_change_action '" + action +
                     "' is not NONE, LOWER or UPPER");
  if (!locale.empty() && locale != "en_US" && locale != "C")
    return makeError("locale '" + locale +
                     "' is not supported (ASCII case only: en_US)");
  const Shape &shape = x->type().shape;
  bool row = shape.size() == 2;
  if (x->type().dtype != DType::Str || shape.empty() || shape.size() > 2 ||
      !isStatic(shape) || (row && shape[0].value() != 1))
    return makeError("the input must be a string tensor [C] or [1, C] of "
                     "static shape, got " +
                     typeToString(x->type()));
  int64_t c = shape.back().value();
  std::vector<std::string> stopwords;
  if (const onnx::AttributeProto *a = ctx.attr("stopwords")) {
    if (a->type() != onnx::AttributeProto::STRINGS)
      return makeError("attribute 'stopwords' must be a list of strings");
    stopwords.assign(a->strings().begin(), a->strings().end());
  }
  ONNX_ASSIGN(flat, im.emitReshape(x, {c}));
  Value *kept = flat;
  if (!stopwords.empty() && c > 0) {
    // The positions of the words that are not stopwords, then one empty
    // string when none is left (ONNX's output for an all-stopword input).
    ONNX_ASSIGN(at, im.emit(OpKind::StringIndex, {flat},
                            {{"keys", encodeStringList(stopwords)},
                             {"fold_case", int64_t{sensitive ? 0 : 1}}}));
    ONNX_ASSIGN(minusOne, im.emitScalar(DType::I64, -1));
    ONNX_ASSIGN(keep, im.emit(OpKind::Equal, {at, minusOne}));
    // One more position, the blank, selected only when no word is kept:
    // the mask [c + 1] has max(count, 1) true elements.
    ONNX_ASSIGN(keepInts, im.emit(OpKind::Cast, {keep}, {{"to", DType::I64}}));
    ONNX_ASSIGN(total, im.emit(OpKind::ReduceSum, {keepInts},
                               {{"axes", std::vector<int64_t>{0}},
                                {"keepdims", int64_t{1}}}));
    ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
    ONNX_ASSIGN(none, im.emit(OpKind::Equal, {total, zero}));
    ONNX_ASSIGN(mask,
                im.emit(OpKind::Concat, {keep, none}, {{"axis", int64_t{0}}}));
    ONNX_ASSIGN(positions, truePositions(im, mask, c + 1));
    ONNX_ASSIGN(empty, makeTensorData(TensorType{DType::Str, {Dim(1)}},
                                      std::vector<uint8_t>(16, 0)));
    ONNX_ASSIGN(blank, im.emitConstant(std::move(empty)));
    ONNX_ASSIGN(padded,
                im.emit(OpKind::Concat, {flat, blank}, {{"axis", int64_t{0}}}));
    ONNX_ASSIGN(words, im.emit(OpKind::Gather, {padded, positions},
                               {{"axis", int64_t{0}}}));
    kept = words;
  }
  if (action != "NONE") {
    ONNX_ASSIGN(
        cased, im.emit(OpKind::StringCase, {kept},
                       {{"mode",
                         std::string(action == "UPPER" ? "upper" : "lower")}}));
    kept = cased;
  }
  Shape out = kept->type().shape;
  if (row)
    out.insert(out.begin(), Dim(1));
  return setOutput(ctx, 0,
                   im.emit(OpKind::Reshape, {kept},
                           {{"shape", dimsAttribute(out)}}, ctx.outputName(0)));
}

Status labelEncoderOp(NodeContext &ctx, OpKind) {
  Importer &im = ctx.importer;
  ONNX_ASSIGN(x, ctx.input(0));
  if (ctx.hasAttr("classes_strings"))
    return makeError("LabelEncoder-1 (classes_strings) is not supported "
                     "(mlc reads LabelEncoder-2 and newer)");
  if (x->type().dtype != DType::Str)
    return makeError("only string keys are supported (the input is " +
                     std::string(dtypeName(x->type().dtype)) + ")");
  // The keys: keys_strings or keys_tensor.
  std::vector<std::string> keys;
  if (const onnx::AttributeProto *a = ctx.attr("keys_strings")) {
    if (a->type() != onnx::AttributeProto::STRINGS)
      return makeError("attribute 'keys_strings' must be a list of strings");
    keys.assign(a->strings().begin(), a->strings().end());
  } else if (const onnx::AttributeProto *t = ctx.attr("keys_tensor")) {
    if (t->type() != onnx::AttributeProto::TENSOR)
      return makeError("attribute 'keys_tensor' must be a tensor");
    ONNX_ASSIGN(list, stringsOf(t->t(), "keys_tensor"));
    keys = std::move(list);
  } else {
    return makeError("needs string keys (keys_strings or keys_tensor) for a "
                     "string input");
  }
  // The values, one per key, and the default.
  TensorData values, fallback;
  auto numeric = [&](DType dtype, const std::vector<double> &list,
                     double def) -> Status {
    ONNX_ASSIGN(
        v,
        makeTensorFromDoubles(
            TensorType{dtype, {Dim(static_cast<int64_t>(list.size()))}}, list));
    values = std::move(v);
    ONNX_ASSIGN(d, makeFilledTensor(TensorType{dtype, {}}, def));
    fallback = std::move(d);
    return Status::success();
  };
  if (ctx.hasAttr("values_strings") || ctx.hasAttr("default_string"))
    return makeError("string values are not supported (string constants)");
  if (ctx.hasAttr("values_int64s")) {
    ONNX_ASSIGN(list, ctx.intsAttr("values_int64s"));
    ONNX_ASSIGN(def, ctx.intAttr("default_int64", -1));
    // The bytes as they are (doubles hold int64 exactly only to 2^53).
    std::vector<uint8_t> bytes(list.size() * 8);
    if (!list.empty())
      std::memcpy(bytes.data(), list.data(), bytes.size());
    ONNX_ASSIGN(exact, makeTensorData(
                           TensorType{DType::I64,
                                      {Dim(static_cast<int64_t>(list.size()))}},
                           std::move(bytes)));
    values = std::move(exact);
    std::vector<uint8_t> d(8);
    std::memcpy(d.data(), &def, 8);
    ONNX_ASSIGN(exactDefault,
                makeTensorData(TensorType{DType::I64, {}}, std::move(d)));
    fallback = std::move(exactDefault);
  } else if (ctx.hasAttr("values_floats")) {
    ONNX_ASSIGN(list, ctx.floatsAttr("values_floats"));
    ONNX_ASSIGN(def, ctx.floatAttr("default_float", -0.0));
    MLC_RETURN_IF_ERROR(numeric(DType::F32, list, def));
  } else if (const onnx::AttributeProto *t = ctx.attr("values_tensor")) {
    if (t->type() != onnx::AttributeProto::TENSOR)
      return makeError("attribute 'values_tensor' must be a tensor");
    ONNX_ASSIGN(v, convertTensor(t->t(), ""));
    if (v.type.rank() != 1)
      return makeError("values_tensor must be 1-D, got " +
                       typeToString(v.type));
    values = std::move(v);
    if (const onnx::AttributeProto *d = ctx.attr("default_tensor")) {
      if (d->type() != onnx::AttributeProto::TENSOR)
        return makeError("attribute 'default_tensor' must be a tensor");
      ONNX_ASSIGN(dv, convertTensor(d->t(), ""));
      if (dv.type.dtype != values.type.dtype || dv.numElements() != 1)
        return makeError("default_tensor must be one element of the values' "
                         "dtype, got " +
                         typeToString(dv.type));
      ONNX_ASSIGN(scalar,
                  makeTensorData(TensorType{dv.type.dtype, {}}, *dv.bytes));
      fallback = std::move(scalar);
    } else {
      // default_int64 / default_float when given (as onnxruntime reads
      // them), else the spec's -1 for integers and -0.0 for floats.
      bool floats = isFloat(values.type.dtype);
      ONNX_ASSIGN(i, ctx.intAttr("default_int64", -1));
      ONNX_ASSIGN(f, ctx.floatAttr("default_float", -0.0));
      ONNX_ASSIGN(spec, makeFilledTensor(TensorType{values.type.dtype, {}},
                                         floats ? f : static_cast<double>(i)));
      fallback = std::move(spec);
    }
  } else {
    return makeError("needs values (values_int64s, values_floats or "
                     "values_tensor)");
  }
  if (values.numElements() != static_cast<int64_t>(keys.size()))
    return makeError(std::to_string(keys.size()) + " keys but " +
                     std::to_string(values.numElements()) + " values");
  // Y = the value at the key's position, or the default where none is.
  ONNX_ASSIGN(position, im.emit(OpKind::StringIndex, {x},
                                {{"keys", encodeStringList(keys)}}));
  ONNX_ASSIGN(dflt, im.emitConstant(std::move(fallback)));
  if (keys.empty())
    return setOutput(ctx, 0,
                     im.emit(OpKind::Expand, {dflt},
                             {{"shape", dimsAttribute(x->type().shape)}},
                             ctx.outputName(0)));
  ONNX_ASSIGN(minusOne, im.emitScalar(DType::I64, -1));
  ONNX_ASSIGN(zero, im.emitScalar(DType::I64, 0));
  ONNX_ASSIGN(found, im.emit(OpKind::Greater, {position, minusOne}));
  ONNX_ASSIGN(safe, im.emit(OpKind::Max, {position, zero}));
  ONNX_ASSIGN(table, im.emitConstant(std::move(values)));
  ONNX_ASSIGN(picked,
              im.emit(OpKind::Gather, {table, safe}, {{"axis", int64_t{0}}}));
  return setOutput(
      ctx, 0,
      im.emit(OpKind::Where, {found, picked, dflt}, {}, ctx.outputName(0)));
}

} // namespace mlc::onnx_import
