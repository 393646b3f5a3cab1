// ONNX model reader: parses the ModelProto, checks versions, builds graph
// inputs and initializers, then translates nodes through the op table.
#include "frontends/onnx/OnnxImporter.h"

#include "frontends/onnx/ImporterContext.h"
#include "ir/Interpreter.h"
#include "ir/Printer.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mlc {

using namespace onnx_import;

namespace onnx_import {

namespace {

/// Newest ONNX IR version (file format) this importer has been checked with
/// (onnx 1.23 writes 14 for its newest opsets).
constexpr int64_t kMaxIrVersion = 14;

std::string sanitizeSymbol(const std::string &s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
    out = "d" + out;
  return out;
}

std::string sanitizeGraphName(const std::string &s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
            c == '.' || c == '-')
               ? c
               : '_';
  return out.empty() ? "main" : out;
}

std::string joinInts(const std::vector<int64_t> &v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "x" : "") + std::to_string(v[i]);
  return s;
}

} // namespace

Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return makeError("axis " + std::to_string(axis) +
                     " is out of range for "
                     "rank " +
                     std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Importer
//===----------------------------------------------------------------------===//

std::string Importer::resultNameFor(const std::string &name) {
  if (!name.empty() && !graph_.findValue(name))
    return name;
  return graph_.freshName(name);
}

/// Elementwise ops whose operands broadcast (numpy rules).
static bool broadcasts(OpKind kind) {
  return opInfo(kind).opClass == OpClass::ElementwiseBinary ||
         kind == OpKind::Where;
}

Expected<Value *> Importer::emit(OpKind kind, std::vector<Value *> operands,
                                 AttributeMap attrs,
                                 const std::string &resultName) {
  if (broadcasts(kind)) {
    auto unified = unifyBroadcastDims(*this, operands);
    if (!unified)
      return unified.error();
    operands = unified.take();
  }
  auto axis = attrs.find("axis");
  if (kind == OpKind::Concat && axis != attrs.end() && operands.size() > 1 &&
      std::holds_alternative<int64_t>(axis->second)) {
    int64_t a = std::get<int64_t>(axis->second);
    int64_t rank = operands[0]->type().rank();
    if (a >= 0 && a < rank) {
      auto unified = unifyDims(*this, operands, a);
      if (!unified)
        return unified.error();
      operands = unified.take();
    }
  }
  // Generators (iota, symbol_values) read symbols, known only at run time.
  bool constant = kind != OpKind::Iota && kind != OpKind::SymbolValues;
  for (Value *v : operands)
    constant = constant && constantLike_.count(v);
  std::vector<std::string> names;
  if (!resultName.empty())
    names.push_back(resultNameFor(resultName));
  auto node = graph_.addNode(kind, std::move(operands), std::move(attrs),
                             nodeName, std::move(names));
  if (!node)
    return node.error();
  if ((*node)->results().empty())
    return makeError("internal error: op " + std::string(opName(kind)) +
                     " produced no result");
  if (constant)
    for (Value *r : (*node)->results())
      constantLike_.insert(r);
  return (*node)->result(0);
}

Expected<Value *> Importer::emitConstant(TensorData data,
                                         const std::string &resultName) {
  AttributeMap attrs;
  attrs["value"] = std::move(data);
  return emit(OpKind::Constant, {}, std::move(attrs), resultName);
}

Expected<Value *> Importer::emitScalar(DType dtype, double value) {
  auto data = makeFilledTensor(TensorType{dtype, {}}, value);
  if (!data)
    return data.error();
  return emitConstant(data.take());
}

/// An i64 tensor of `values`: 1-D, or rank 0 when `scalar` (one value).
static Expected<TensorData> int64Tensor(const std::vector<int64_t> &values,
                                        bool scalar) {
  TensorType type{DType::I64, {}};
  if (!scalar)
    type.shape.push_back(Dim(static_cast<int64_t>(values.size())));
  std::vector<uint8_t> bytes(values.size() * sizeof(int64_t));
  if (!values.empty())
    std::memcpy(bytes.data(), values.data(), bytes.size());
  return makeTensorData(type, std::move(bytes));
}

Expected<Value *> Importer::emitInts(const std::vector<int64_t> &values) {
  auto data = int64Tensor(values, false);
  if (!data)
    return data.error();
  return emitConstant(data.take());
}

Expected<Value *> Importer::emitReshape(Value *x,
                                        const std::vector<int64_t> &extents,
                                        const std::string &resultName) {
  AttributeMap attrs;
  attrs["shape"] = extents;
  return emit(OpKind::Reshape, {x}, std::move(attrs), resultName);
}

Expected<TensorData> Importer::requireConstant(Value *v,
                                               const std::string &what) {
  if (!v)
    return makeError(what + " is missing");
  // A tensor with no elements has one value whatever computes it.
  if (!constantLike_.count(v) && isStatic(v->type().shape)) {
    Expected<int64_t> count = elementCount(v->type().shape);
    if (count.ok() && *count == 0)
      return makeTensorData(v->type(), {});
  }
  if (!constantLike_.count(v))
    return makeError(what + " '" + v->name() +
                     "' must be computable at import time (a constant or "
                     "computed from constants only)");
  // Evaluate the constant-like producers iteratively, in post order.
  std::vector<Value *> stack{v};
  while (!stack.empty()) {
    Value *top = stack.back();
    if (known_.count(top)) {
      stack.pop_back();
      continue;
    }
    Node *node = top->producer();
    if (!node)
      return makeError("internal error: constant-like value without producer");
    if (node->kind() == OpKind::Constant) {
      known_.emplace(top, node->tensorAttr("value"));
      stack.pop_back();
      continue;
    }
    bool ready = true;
    for (Value *operand : node->operands())
      if (!known_.count(operand)) {
        stack.push_back(operand);
        ready = false;
      }
    if (!ready)
      continue;
    std::vector<TensorData> operandData;
    for (Value *operand : node->operands())
      operandData.push_back(known_.at(operand));
    std::vector<TensorType> resultTypes;
    for (Value *r : node->results()) {
      if (!isStatic(r->type().shape))
        return makeError(what + " '" + v->name() + "' depends on '" +
                         r->name() + "' of dynamic shape " +
                         typeToString(r->type()));
      resultTypes.push_back(r->type());
    }
    auto results =
        evaluateOp(node->kind(), operandData, node->attrs(), resultTypes);
    if (!results)
      return makeError("evaluating " + what +
                       " at import time: " + results.message());
    if (results->size() != node->results().size())
      return makeError("internal error: evaluator returned the wrong number "
                       "of results");
    for (size_t i = 0; i < results->size(); ++i)
      known_.emplace(node->result(i), (*results)[i]);
    stack.pop_back();
  }
  return known_.at(v);
}

Status setOutput(NodeContext &ctx, size_t i, Expected<Value *> value) {
  if (!value)
    return value.error();
  if (i < ctx.outputs.size())
    ctx.outputs[i] = *value;
  return Status::success();
}

Expected<Value *> Importer::emitDimValue(const Shape &dims, bool scalar,
                                         const std::string &resultName,
                                         DType dtype) {
  // The data, for readers that take it as data: the symbols' values at run
  // time (symbol_values), reshaped to a scalar and cast as asked.
  bool last = !scalar && dtype == DType::I64;
  auto v = emit(OpKind::SymbolValues, {}, {{"values", dimsAttribute(dims)}},
                last ? resultName : "");
  if (!v)
    return v.error();
  if (scalar) {
    v = emitReshape(*v, {}, dtype == DType::I64 ? resultName : "");
    if (!v)
      return v.error();
  }
  if (dtype != DType::I64) {
    v = emit(OpKind::Cast, {*v}, {{"to", dtype}}, resultName);
    if (!v)
      return v.error();
  }
  dimValues_[*v] = dims;
  return *v;
}

Expected<Value *> Importer::emitAggregate(Aggregate aggregate) {
  auto empty = makeTensorData(TensorType{DType::U8, {Dim(0)}}, {});
  if (!empty)
    return empty.error();
  auto token = emitConstant(
      empty.take(),
      aggregate.kind == Aggregate::Kind::Sequence ? "sequence" : "optional");
  if (!token)
    return token.error();
  aggregates_[*token] = std::move(aggregate);
  return *token;
}

const Aggregate *Importer::aggregate(const Value *v) const {
  auto it = aggregates_.find(v);
  return it == aggregates_.end() ? nullptr : &it->second;
}

const Shape *Importer::dimValue(const Value *v) const {
  auto it = dimValues_.find(v);
  return it == dimValues_.end() ? nullptr : &it->second;
}

Expected<Shape> Importer::requireDims(Value *v, const std::string &what) {
  if (const Shape *dims = dimValue(v))
    return *dims;
  auto ints = requireInts(v, what);
  if (!ints)
    return ints.error();
  Shape dims;
  for (int64_t i : *ints)
    dims.push_back(Dim(i));
  return dims;
}

Expected<std::vector<int64_t>> Importer::requireInts(Value *v,
                                                     const std::string &what) {
  auto data = requireConstant(v, what);
  if (!data)
    return data.error();
  if (!isInteger(data->type.dtype))
    return makeError(what + " must be an integer tensor, got " +
                     typeToString(data->type));
  if (data->type.rank() > 1)
    return makeError(what + " must be a scalar or 1-D, got " +
                     typeToString(data->type));
  std::vector<int64_t> out;
  int64_t n = data->numElements();
  for (int64_t i = 0; i < n; ++i) {
    if (data->type.dtype == DType::I64) {
      int64_t x;
      std::memcpy(&x, data->bytes->data() + i * 8, 8);
      out.push_back(x);
    } else {
      out.push_back(static_cast<int64_t>(tensorElementAsDouble(*data, i)));
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

Expected<Value *> NodeContext::input(size_t i) const {
  if (i >= inputs.size() || !inputs[i])
    return makeError("missing required input " + std::to_string(i));
  return inputs[i];
}

std::string NodeContext::outputName(size_t i) const {
  std::string name =
      i < static_cast<size_t>(proto.output_size()) ? proto.output(i) : "";
  return name.empty() ? importer.graph().freshName(proto.op_type())
                      : importer.resultNameFor(name);
}

Status NodeContext::requireUnused(size_t i, const std::string &what) const {
  if (i < outputUsed.size() && outputUsed[i])
    return makeError("output " + std::to_string(i) + " (" + what +
                     ") is used but not supported");
  return Status::success();
}

const onnx::AttributeProto *NodeContext::attr(const std::string &name) const {
  for (const auto &a : proto.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

namespace {
Error wrongAttrType(const std::string &name, const char *want) {
  return makeError("attribute '" + name + "' must be " + want);
}
} // namespace

Expected<int64_t> NodeContext::intAttr(const std::string &name,
                                       int64_t def) const {
  const auto *a = attr(name);
  if (!a)
    return def;
  if (a->type() != onnx::AttributeProto::INT)
    return wrongAttrType(name, "an int");
  return static_cast<int64_t>(a->i());
}

Expected<double> NodeContext::floatAttr(const std::string &name,
                                        double def) const {
  const auto *a = attr(name);
  if (!a)
    return def;
  if (a->type() != onnx::AttributeProto::FLOAT)
    return wrongAttrType(name, "a float");
  return static_cast<double>(a->f());
}

Expected<std::string> NodeContext::stringAttr(const std::string &name,
                                              const std::string &def) const {
  const auto *a = attr(name);
  if (!a)
    return def;
  if (a->type() != onnx::AttributeProto::STRING)
    return wrongAttrType(name, "a string");
  return a->s();
}

Expected<std::vector<int64_t>>
NodeContext::intsAttr(const std::string &name) const {
  const auto *a = attr(name);
  if (!a)
    return std::vector<int64_t>{};
  if (a->type() != onnx::AttributeProto::INTS)
    return wrongAttrType(name, "a list of ints");
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Expected<std::vector<double>>
NodeContext::floatsAttr(const std::string &name) const {
  const auto *a = attr(name);
  if (!a)
    return std::vector<double>{};
  if (a->type() != onnx::AttributeProto::FLOATS)
    return wrongAttrType(name, "a list of floats");
  return std::vector<double>(a->floats().begin(), a->floats().end());
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

namespace {

Expected<TensorType> convertInputType(const onnx::ValueInfoProto &info,
                                      const OnnxImportOptions &options) {
  const std::string &name = info.name();
  auto fail = [&](const std::string &why) {
    return makeError("input '" + name + "': " + why);
  };
  if (!info.has_type() || !info.type().has_tensor_type())
    return fail("only tensor inputs are supported");
  const auto &tt = info.type().tensor_type();
  auto dtype = convertDType(tt.elem_type());
  if (!dtype)
    return fail(dtype.message());
  auto fixed = options.inputShapes.find(name);
  TensorType type;
  type.dtype = *dtype;
  if (!tt.has_shape()) {
    if (fixed == options.inputShapes.end())
      return fail("unknown rank; give its shape in the import options");
    for (int64_t d : fixed->second) {
      if (d < 0)
        return fail("fixed shape has a negative dim");
      type.shape.push_back(Dim(d));
    }
    return type;
  }
  const auto &dims = tt.shape().dim();
  if (fixed != options.inputShapes.end() &&
      static_cast<int64_t>(fixed->second.size()) != dims.size())
    return fail("fixed shape " + joinInts(fixed->second) + " has rank " +
                std::to_string(fixed->second.size()) + " but the model says " +
                std::to_string(dims.size()));
  for (int i = 0; i < dims.size(); ++i) {
    const auto &d = dims[i];
    bool isStaticDim = d.has_dim_value();
    if (isStaticDim && d.dim_value() < 0)
      return fail("negative dim " + std::to_string(d.dim_value()));
    if (fixed != options.inputShapes.end()) {
      int64_t want = fixed->second[i];
      if (want < 0)
        return fail("fixed shape has a negative dim");
      if (isStaticDim && d.dim_value() != want)
        return fail("fixed shape " + joinInts(fixed->second) +
                    " disagrees with the model's dim " + std::to_string(i) +
                    " = " + std::to_string(d.dim_value()));
      type.shape.push_back(Dim(want));
    } else if (isStaticDim) {
      type.shape.push_back(Dim(d.dim_value()));
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      type.shape.push_back(Dim::symbol(sanitizeSymbol(d.dim_param())));
    } else {
      type.shape.push_back(
          Dim::symbol(sanitizeSymbol(name) + "_d" + std::to_string(i)));
    }
  }
  auto count = elementCount(type.shape);
  if (isStatic(type.shape) && !count)
    return fail("shape " + shapeToString(type.shape) + ": " + count.message());
  return type;
}

/// The tensor graph input `info` describes, added to `graph`.
Expected<Value *> addTensorInput(Graph &graph, const onnx::ValueInfoProto &info,
                                 const OnnxImportOptions &options) {
  auto type = convertInputType(info, options);
  if (!type)
    return type.error();
  auto value = graph.addInput(info.name(), type.take());
  if (!value)
    return makeError("input '" + info.name() + "': " + value.message());
  return *value;
}

/// A sequence's element `k` as a tensor input: NAME.k, typed by the
/// declared element type with a symbol of its own for each dim not given
/// statically (elements of one sequence may differ in shape).
Expected<Value *> addElementInput(Graph &graph, const std::string &name,
                                  size_t k, const onnx::TypeProto &elemType,
                                  const OnnxImportOptions &options) {
  onnx::ValueInfoProto info;
  info.set_name(name + "." + std::to_string(k));
  *info.mutable_type() = elemType;
  if (info.type().tensor_type().has_shape())
    for (auto &d : *info.mutable_type()
                        ->mutable_tensor_type()
                        ->mutable_shape()
                        ->mutable_dim())
      if (!d.has_dim_value())
        d.clear_dim_param();
  return addTensorInput(graph, info, options);
}

/// A sequence or optional graph input: its tensors become graph inputs
/// (StructuredValue), and `env` maps its name to the aggregate's token.
Expected<Value *> importStructuredInput(const onnx::ValueInfoProto &info,
                                        const OnnxImportOptions &options,
                                        Graph &graph, Importer &importer,
                                        std::vector<StructuredValue> &out) {
  const std::string &name = info.name();
  auto fail = [&](const std::string &why) {
    return makeError("input '" + name + "': " + why);
  };
  const onnx::TypeProto &type = info.type();
  bool optional = type.has_optional_type();
  if (options.inputShapes.count(name) &&
      !(optional && type.optional_type().elem_type().has_tensor_type()))
    return fail("a sequence takes element shapes (--input-shape " + name +
                ".0=DIMS, ...), not a shape of its own");
  const onnx::TypeProto &content =
      optional ? type.optional_type().elem_type() : type;
  bool sequence = content.has_sequence_type();
  if (!(sequence ? content.sequence_type().elem_type().has_tensor_type()
                 : content.has_tensor_type()))
    return fail(optional ? "only optionals of tensors and of sequences of "
                           "tensors are supported"
                         : "only sequences of tensors are supported");
  auto length = options.sequenceLengths.find(name);
  bool absent = options.absentInputs.count(name);
  if (!optional && absent)
    return fail("only an optional input can be absent");
  if (!sequence && length != options.sequenceLengths.end())
    return fail("a sequence length is given, but it is not a sequence");
  StructuredValue sv;
  sv.name = name;
  sv.first = graph.inputs().size();
  Aggregate seq;
  if (sequence && !absent) {
    if (length == options.sequenceLengths.end())
      return fail("a sequence's length is fixed at compile time; give it "
                  "with --sequence-length " +
                  name + "=N");
    if (length->second < 0 || length->second > kMaxSequenceLength)
      return fail("sequence length " + std::to_string(length->second) +
                  " is not in 0.." + std::to_string(kMaxSequenceLength));
    const onnx::TypeProto &elem = content.sequence_type().elem_type();
    auto dtype = convertDType(elem.tensor_type().elem_type());
    if (!dtype)
      return fail(dtype.message());
    if (*dtype == DType::Str)
      return fail("sequences of strings are not supported as inputs yet");
    seq.elemDtype = *dtype;
    for (int64_t k = 0; k < length->second; ++k) {
      auto v =
          addElementInput(graph, name, static_cast<size_t>(k), elem, options);
      if (!v)
        return v.error();
      seq.elements.push_back(*v);
    }
  }
  sv.count = graph.inputs().size() - sv.first;
  if (!optional) {
    sv.kind = StructuredValue::Kind::Sequence;
    out.push_back(sv);
    return importer.emitAggregate(std::move(seq));
  }
  Aggregate opt;
  opt.kind = Aggregate::Kind::Optional;
  opt.ofSequence = sequence;
  if (!absent && sequence) {
    auto token = importer.emitAggregate(std::move(seq));
    if (!token)
      return token.error();
    opt.elements.push_back(*token);
  } else if (!absent) {
    onnx::ValueInfoProto tensorInfo;
    tensorInfo.set_name(name);
    *tensorInfo.mutable_type() = content;
    auto t = convertInputType(tensorInfo, options);
    if (!t)
      return t.error();
    auto v = graph.addInput(name, t.take());
    if (!v)
      return fail(v.message());
    opt.elements.push_back(*v);
  }
  sv.count = graph.inputs().size() - sv.first;
  sv.kind = !sequence ? StructuredValue::Kind::Optional
            : !absent ? StructuredValue::Kind::OptionalSequence
                      : StructuredValue::Kind::AbsentOptionalSequence;
  out.push_back(sv);
  return importer.emitAggregate(std::move(opt));
}

/// Imports the nodes of `g` in order: inputs resolve in `env` (the graph's
/// inputs and initializers, and for a subgraph the enclosing scopes too),
/// and each node's outputs are added to it. `prefix` goes before node names
/// (a subgraph's nodes read "Scan_0/body/Add_3").
Status importNodes(const onnx::GraphProto &g, Importer &importer,
                   std::map<std::string, Value *> &env, int64_t opset,
                   const std::map<std::string, int64_t> &domainOpsets,
                   const std::string &prefix) {
  // Which ONNX values are consumed, to reject uses of unsupported outputs.
  std::set<std::string> used;
  for (const auto &n : g.node())
    for (const auto &in : n.input())
      used.insert(in);
  for (const auto &out : g.output())
    used.insert(out.name());

  for (int index = 0; index < g.node_size(); ++index) {
    const onnx::NodeProto &n = g.node(index);
    std::string nodeName =
        prefix + (n.name().empty() ? n.op_type() + "_" + std::to_string(index)
                                   : n.name());
    bool defaultDomain = n.domain().empty() || n.domain() == "ai.onnx";
    auto other = domainOpsets.find(n.domain());
    int64_t nodeOpset = defaultDomain                 ? opset
                        : other != domainOpsets.end() ? other->second
                                                      : -1;
    std::string opsetText = nodeOpset < 0 ? "none" : std::to_string(nodeOpset);
    auto fail = [&](const std::string &why) {
      return makeError("node '" + nodeName + "' (op " + n.op_type() +
                       ", opset " + opsetText + "): " + why);
    };
    bool otherDomain = !defaultDomain && other != domainOpsets.end() &&
                       isSupportedDomainOp(n.domain(), n.op_type());
    if (!otherDomain && (!defaultDomain || !isSupportedOp(n.op_type())))
      return fail(defaultDomain
                      ? "unsupported op"
                      : "unsupported op (domain '" + n.domain() + "')");
    if (defaultDomain && opset < 0)
      return fail("the model imports no opset of the default ONNX domain");
    if (defaultDomain) {
      int64_t version = opVersion(n.op_type(), opset);
      int64_t oldest = oldestImplementedVersion(n.op_type());
      if (version < oldest)
        return fail(n.op_type() + "-" + std::to_string(version) +
                    " is not supported (mlc implements " + n.op_type() + "-" +
                    std::to_string(oldest) + " and newer: opset " +
                    std::to_string(oldest) + " or newer)");
    }
    NodeContext ctx{n, importer, {}, {}, {}, &env};
    for (const auto &in : n.input()) {
      if (in.empty()) {
        ctx.inputs.push_back(nullptr);
        continue;
      }
      auto it = env.find(in);
      if (it == env.end())
        return fail("input '" + in +
                    "' is not defined (nodes must be topologically sorted)");
      if (importer.aggregate(it->second) &&
          !(defaultDomain && takesAggregates(n.op_type())))
        return fail(
            "input '" + in + "' is a " +
            (importer.aggregate(it->second)->kind == Aggregate::Kind::Sequence
                 ? "sequence"
                 : "optional") +
            "; " + n.op_type() + " takes tensors");
      ctx.inputs.push_back(it->second);
    }
    ctx.outputs.assign(n.output_size(), nullptr);
    for (const auto &out : n.output())
      ctx.outputUsed.push_back(!out.empty() && used.count(out));
    importer.nodeName = nodeName;
    Expected<bool> symbolic = translateDimValueNode(ctx);
    if (!symbolic)
      return fail(symbolic.message());
    Status status = *symbolic ? Status::success() : translateNode(ctx);
    if (!status)
      return fail(status.message());
    for (int i = 0; i < n.output_size(); ++i) {
      const std::string &out = n.output(i);
      if (out.empty())
        continue;
      if (!ctx.outputs[i]) {
        if (ctx.outputUsed[i])
          return fail("output " + std::to_string(i) + " is not produced");
        continue;
      }
      if (env.count(out))
        return fail("output '" + out + "' is defined twice");
      env[out] = ctx.outputs[i];
    }
  }

  return Status::success();
}

Expected<Graph> importModel(const onnx::ModelProto &model,
                            const std::string &baseDir,
                            const OnnxImportOptions &options,
                            std::vector<StructuredValue> &structured) {
  if (model.ir_version() < 3 || model.ir_version() > kMaxIrVersion)
    return makeError("ONNX ir_version " + std::to_string(model.ir_version()) +
                     " is not supported (need 3.." +
                     std::to_string(kMaxIrVersion) + ")");
  int64_t opset = -1;
  // The other domains mlc has ops of (training, classical ML), by domain.
  std::map<std::string, int64_t> domainOpsets;
  for (const auto &op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") {
      opset = op.version();
      continue;
    }
    int64_t newest = newestDomainOpset(op.domain());
    if (newest == 0)
      continue;
    if (op.version() < 1 || op.version() > newest)
      return makeError("opset " + std::to_string(op.version()) + " of '" +
                       op.domain() + "' is not supported (mlc reads 1 to " +
                       std::to_string(newest) + ")");
    domainOpsets[op.domain()] = op.version();
  }
  // A model of other domains' ops only may import no default-domain opset;
  // any default-domain node of it fails below.
  if (opset < 0 && domainOpsets.empty())
    return makeError("model imports no opset of the default ONNX domain");
  if (opset >= 0 && opset < kOnnxMinOpset)
    return makeError("opset " + std::to_string(opset) +
                     " is not supported (need " +
                     std::to_string(kOnnxMinOpset) + " or newer)");
  if (opset > kOnnxMaxOpset)
    return makeError("opset " + std::to_string(opset) +
                     " is not supported (newest supported is " +
                     std::to_string(kOnnxMaxOpset) + ")");
  const onnx::GraphProto &g = model.graph();
  if (g.sparse_initializer_size() > 0)
    return makeError("sparse initializers are not supported");

  Graph graph;
  graph.setName(sanitizeGraphName(g.name()));
  Importer importer(graph, opset, baseDir);
  std::map<std::string, Value *> env;
  auto declare = [&](const onnx::ValueInfoProto &info) {
    if (!info.type().has_tensor_type() ||
        !info.type().tensor_type().has_shape())
      return;
    std::vector<int64_t> ext;
    for (const auto &d : info.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 0)
        return;
      ext.push_back(d.dim_value());
    }
    importer.declaredShapes[info.name()] = std::move(ext);
  };
  for (const auto &info : g.output())
    declare(info);
  for (const auto &info : g.value_info())
    declare(info);

  // Graph inputs that are also initializers are constants.
  std::set<std::string> initializerNames;
  for (const auto &t : g.initializer())
    initializerNames.insert(t.name());
  std::set<std::string> inputNames;
  for (const auto &info : g.input()) {
    if (initializerNames.count(info.name()))
      continue;
    if (info.name().empty())
      return makeError("a graph input has an empty name");
    if (!inputNames.insert(info.name()).second)
      return makeError("input '" + info.name() + "' is declared twice");
    if (info.type().has_sequence_type() || info.type().has_optional_type()) {
      auto token =
          importStructuredInput(info, options, graph, importer, structured);
      if (!token)
        return token.error();
      env[info.name()] = *token;
      continue;
    }
    if (options.sequenceLengths.count(info.name()))
      return makeError("input '" + info.name() +
                       "': a sequence length is given, but it is a tensor");
    if (options.absentInputs.count(info.name()))
      return makeError("input '" + info.name() +
                       "': only an optional input can be absent");
    auto value = addTensorInput(graph, info, options);
    if (!value)
      return value.error();
    env[info.name()] = *value;
  }
  for (const auto &[name, extents] : options.inputShapes)
    if (!inputNames.count(name) && !graph.findValue(name))
      return makeError("a fixed input shape names '" + name +
                       "', which is not a graph input");
  for (const auto &[name, length] : options.sequenceLengths)
    if (!inputNames.count(name))
      return makeError("a sequence length names '" + name +
                       "', which is not a graph input");
  for (const std::string &name : options.absentInputs)
    if (!inputNames.count(name))
      return makeError("an absent input names '" + name +
                       "', which is not a graph input");

  importer.nodeName = "";
  for (const auto &t : g.initializer()) {
    if (t.name().empty())
      return makeError("an initializer has an empty name");
    if (env.count(t.name()))
      return makeError("initializer '" + t.name() + "' is defined twice");
    auto data = convertTensor(t, baseDir);
    if (!data)
      return data.error();
    auto value = importer.emitConstant(data.take(), t.name());
    if (!value)
      return makeError("initializer '" + t.name() + "': " + value.message());
    env[t.name()] = *value;
  }

  importer.importSubgraph = [&](const onnx::GraphProto &body,
                                std::map<std::string, Value *> &scope,
                                const std::string &prefix) -> Status {
    // Every unrolled iteration (Scan, Loop, SequenceMap, nested or not)
    // comes through here: one cap on the whole graph bounds them all.
    if (static_cast<int64_t>(graph.nodes().size()) > kMaxGraphNodes)
      return makeError("unrolling subgraphs grows the graph past " +
                       std::to_string(kMaxGraphNodes) + " nodes");
    for (const auto &init : body.initializer()) {
      auto data = convertTensor(init, baseDir);
      if (!data)
        return data.error();
      auto c = importer.emitConstant(data.take());
      if (!c)
        return c.error();
      scope[init.name()] = *c;
    }
    return importNodes(body, importer, scope, opset, domainOpsets, prefix);
  };
  MLC_RETURN_IF_ERROR(importNodes(g, importer, env, opset, domainOpsets, ""));

  // Each graph output as (name, tensor): a sequence or optional output
  // gives its tensors (StructuredValue).
  std::vector<std::pair<std::string, Value *>> flat;
  for (const auto &out : g.output()) {
    auto it = env.find(out.name());
    if (it == env.end())
      return makeError("graph output '" + out.name() + "' is not defined");
    const Aggregate *agg = importer.aggregate(it->second);
    if (!agg) {
      flat.emplace_back(out.name(), it->second);
      continue;
    }
    StructuredValue sv;
    sv.isOutput = true;
    sv.name = out.name();
    sv.first = flat.size();
    const Aggregate *seq = agg;
    if (agg->kind == Aggregate::Kind::Optional) {
      sv.kind = agg->ofSequence ? StructuredValue::Kind::AbsentOptionalSequence
                                : StructuredValue::Kind::Optional;
      seq = nullptr;
      if (!agg->elements.empty()) {
        seq = importer.aggregate(agg->elements[0]);
        if (!seq)
          flat.emplace_back(out.name(), agg->elements[0]);
        else
          sv.kind = StructuredValue::Kind::OptionalSequence;
      }
    }
    if (seq)
      for (size_t k = 0; k < seq->elements.size(); ++k)
        flat.emplace_back(out.name() + "." + std::to_string(k),
                          seq->elements[k]);
    sv.count = flat.size() - sv.first;
    for (size_t k = sv.first; k < flat.size(); ++k)
      if (flat[k].second->type().dtype == DType::Str)
        return makeError("graph output '" + out.name() +
                         "': sequences and optionals of strings are not "
                         "supported as outputs yet");
    structured.push_back(sv);
  }
  std::vector<Value *> outputs;
  for (auto [name, value] : flat) {
    // Identity and Dropout alias their input, so an output may carry another
    // value's name. Users address outputs by their ONNX names: rename the
    // value, or copy it (a same-shape reshape) when it is a graph input,
    // feeds an earlier output, or the name is taken.
    if (value->name() != name) {
      bool isInput = std::find(graph.inputs().begin(), graph.inputs().end(),
                               value) != graph.inputs().end();
      bool isEarlierOutput =
          std::find(outputs.begin(), outputs.end(), value) != outputs.end();
      if (isInput || isEarlierOutput || graph.findValue(name)) {
        Expected<Node *> copy =
            graph.addNode(OpKind::Reshape, {value},
                          {{"shape", dimsAttribute(value->type().shape)}},
                          "output copy " + name);
        if (copy && !graph.findValue(name) &&
            graph.renameValue((*copy)->result(), name).ok())
          value = (*copy)->result();
      } else {
        MLC_RETURN_IF_ERROR(graph.renameValue(value, name));
      }
    }
    outputs.push_back(value);
  }
  if (outputs.empty())
    return makeError("the graph has no outputs");
  graph.setOutputs(std::move(outputs));
  graph.removeDeadNodes();
  Status verified = verify(graph);
  if (!verified)
    return makeError("imported graph does not verify: " + verified.message());
  return graph;
}

/// Keeps a message one printable line: control bytes and invalid UTF-8
/// (names come straight from the file) are written as \xNN.
std::string escapeMessage(const std::string &m) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  auto escape = [&](unsigned char c) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
  };
  for (size_t i = 0; i < m.size();) {
    unsigned char c = static_cast<unsigned char>(m[i]);
    if (c < 0x20 || c == 0x7f) {
      escape(c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (c >= 0xf5)
      len = 0;
    bool valid = len > 0 && i + len <= m.size();
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(m[i + k]) & 0xc0) == 0x80;
    if (!valid) {
      escape(c);
      ++i;
      continue;
    }
    out.append(m, i, len);
    i += len;
  }
  return out;
}

} // namespace
} // namespace onnx_import

Expected<Graph> importOnnxBytes(std::string_view bytes,
                                const std::string &baseDir,
                                const OnnxImportOptions &options,
                                const std::string &displayName,
                                std::vector<StructuredValue> *structured) {
  auto notValid = [&](const std::string &why) {
    return makeError("failed to parse ONNX model '" + displayName +
                     "': " + why);
  };
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return notValid("file is larger than 2 GiB (store weights as external "
                    "data)");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !model.has_graph())
    return notValid("not a valid ModelProto");
  std::vector<StructuredValue> found;
  auto graph = importModel(model, baseDir, options, found);
  if (!graph)
    return makeError(escapeMessage(graph.message()));
  if (structured)
    *structured = std::move(found);
  return graph;
}

Expected<Graph> importOnnxFile(const std::string &path,
                               const OnnxImportOptions &options,
                               std::vector<StructuredValue> *structured) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("cannot open ONNX model '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in && !in.eof())
    return makeError("cannot read ONNX model '" + path + "'");
  std::string bytes = buffer.str();
  size_t slash = path.rfind('/');
  std::string baseDir = slash == std::string::npos ? "."
                        : slash == 0               ? "/"
                                                   : path.substr(0, slash);
  return importOnnxBytes(bytes, baseDir, options, path, structured);
}

} // namespace mlc
