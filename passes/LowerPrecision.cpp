// Computes an f32 model in f16 or bf16. See LowerPrecision.h.
#include "passes/LowerPrecision.h"

#include "ir/Interpreter.h"
#include "passes/InferShapes.h"
#include "passes/PassUtils.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace mlc {

namespace {

/// `data` (f32) as `half`, through the interpreter's Cast (round to nearest
/// even). For f16, finite magnitudes beyond its range saturate to 65504 and
/// nonzero ones below 1e-7 become 1e-7 (keeping the sign) first, as
/// onnxconverter-common's float16 conversion does: an epsilon of 1e-12
/// would otherwise become 0.
Expected<TensorData> convert(const TensorData &data, DType half) {
  TensorData source = data;
  if (half == DType::F16) {
    constexpr float kMax = 65504.0f, kMin = 1e-7f;
    std::vector<uint8_t> bytes = *data.bytes;
    for (size_t i = 0; i + sizeof(float) <= bytes.size(); i += sizeof(float)) {
      float x;
      std::memcpy(&x, &bytes[i], sizeof x);
      if (std::isfinite(x) && x != 0.0f)
        x = std::copysign(std::clamp(std::fabs(x), kMin, kMax), x);
      std::memcpy(&bytes[i], &x, sizeof x);
    }
    Expected<TensorData> clamped = makeTensorData(data.type, std::move(bytes));
    if (!clamped)
      return clamped.error();
    source = *clamped;
  }
  TensorType type = data.type;
  type.dtype = half;
  Expected<std::vector<TensorData>> cast =
      evaluateOp(OpKind::Cast, {source}, {{"to", half}}, {type});
  if (!cast)
    return cast.error();
  return (*cast)[0];
}

bool isF32(const Value *v) { return v && v->type().dtype == DType::F32; }

/// The f32 values that stay f32: what a cast to f32 from anything but f32
/// makes (integers: positions, counts, shape math; an f16 model's deliberate
/// upcasts), a bitcast to f32, and what is computed from those and f32
/// constants alone. Rounding them would break integers above 2048 (f16) or
/// 256 (bf16) and undo a mixed model's choices; they meet 16-bit data
/// through a cast where they are used with it.
std::set<const Value *> keptF32(const Graph &graph) {
  std::set<const Value *> kept;
  for (const auto &node : graph.nodes()) {
    bool root = (node->kind() == OpKind::Cast &&
                 node->result()->type().dtype == DType::F32 &&
                 !isF32(node->operand(0))) ||
                (node->kind() == OpKind::BitCast && isF32(node->result()));
    bool derived = node->kind() != OpKind::Constant;
    bool anyKept = false;
    for (const Value *operand : node->operands()) {
      if (!isF32(operand))
        continue;
      const Node *p = operand->producer();
      if (kept.count(operand))
        anyKept = true;
      else if (!p || p->kind() != OpKind::Constant)
        derived = false;
    }
    if (root || (derived && anyKept))
      for (const Value *result : node->results())
        if (isF32(result))
          kept.insert(result);
  }
  return kept;
}

Status lowerPrecision(Graph &graph, DType half) {
  std::vector<DType> outputTypes;
  for (const Value *v : graph.outputs())
    outputTypes.push_back(v->type().dtype);
  const std::set<const Value *> kept = keptF32(graph);
  auto isKept = [&](const Value *v) { return kept.count(v) != 0; };
  auto keptNode = [&](const Node &node) {
    return std::any_of(node.results().begin(), node.results().end(), isKept);
  };
  std::string suffix = "_" + std::string(dtypeName(half));
  Rewriter rewriter(graph);

  // Every use of each f32 value outside the kept part, by node.
  std::vector<Node *> nodes;
  for (const auto &node : graph.nodes())
    nodes.push_back(node.get());
  std::map<Value *, std::vector<std::pair<Node *, size_t>>> halfUses;
  for (Node *node : nodes)
    if (!keptNode(*node))
      for (size_t i = 0; i < node->numOperands(); ++i)
        if (isF32(node->operand(i)))
          halfUses[node->operand(i)].push_back({node, i});
  // The values the kept part reads (a constant among them keeps an f32
  // original).
  std::set<const Value *> readByKept;
  for (Node *node : nodes)
    if (keptNode(*node))
      readByKept.insert(node->operands().begin(), node->operands().end());
  // `value`'s 16-bit stand-in for those uses: a cast (graph inputs, kept
  // values) or a converted copy (constants that kept nodes read too).
  auto redirect = [&](Value *value, Value *standIn) {
    for (auto [node, i] : halfUses[value])
      rewriter.setOperand(node, i, standIn);
  };
  auto castOf = [&](Value *value) -> Expected<Value *> {
    Expected<Node *> cast =
        rewriter.addNode(OpKind::Cast, {value}, {{"to", half}}, value->name(),
                         value->name() + suffix);
    if (!cast)
      return cast.error();
    return (*cast)->result();
  };
  // The uses outside the kept part read a cast of `value`.
  auto castUses = [&](Value *value) -> Status {
    if (halfUses[value].empty())
      return Status::success();
    Expected<Value *> cast = castOf(value);
    if (!cast)
      return cast.error();
    redirect(value, *cast);
    return Status::success();
  };

  for (Value *input : graph.inputs())
    if (isF32(input))
      MLC_RETURN_IF_ERROR(castUses(input));
  for (Node *node : nodes) {
    Value *result = node->results().empty() ? nullptr : node->result();
    if (node->kind() == OpKind::Constant && isF32(result)) {
      // Read by the kept part only: it stays as it is.
      bool keptToo = readByKept.count(result) != 0;
      if (keptToo && halfUses[result].empty())
        continue;
      const TensorData &data = node->tensorAttr("value");
      Expected<TensorData> converted = convert(data, half);
      if (!converted)
        return makeError(nodeLabel(*node) + ": " + converted.message());
      if (!keptToo) {
        node->mutableAttrs()["value"] = *converted;
        continue;
      }
      Expected<Value *> copy =
          rewriter.addConstant(*converted, result->name() + suffix);
      if (!copy)
        return copy.error();
      redirect(result, *copy);
      continue;
    }
    if (keptNode(*node)) {
      // Kept values meet 16-bit data through a cast.
      for (Value *v : node->results())
        if (isKept(v))
          MLC_RETURN_IF_ERROR(castUses(v));
      continue;
    }
    if (node->kind() == OpKind::Cast && isF32(result))
      node->mutableAttrs()["to"] = half;
    if (node->kind() == OpKind::BitCast && isF32(node->operand(0))) {
      // Reinterprets f32 bits: it reads the value as f32 again.
      Expected<Node *> wide = rewriter.addNode(
          OpKind::Cast, {node->operand(0)}, {{"to", DType::F32}}, node->name(),
          node->operand(0)->name() + "_f32");
      if (!wide)
        return wide.error();
      rewriter.setOperand(node, 0, (*wide)->result());
    }
  }
  MLC_RETURN_IF_ERROR(rewriter.finish());

  // Every result type from the rules: f32 becomes `half` downstream of the
  // converted inputs, constants and casts.
  MLC_RETURN_IF_ERROR(inferShapes(graph));

  // Outputs that were f32 are again, under their names.
  std::vector<Value *> outputs = graph.outputs();
  std::map<Value *, Value *> widened;
  for (size_t j = 0; j < outputs.size(); ++j) {
    Value *v = outputs[j];
    if (outputTypes[j] != DType::F32 || v->type().dtype != half)
      continue;
    if (auto it = widened.find(v); it != widened.end()) {
      outputs[j] = it->second;
      continue;
    }
    std::string name = v->name();
    Expected<Node *> cast =
        graph.addNode(OpKind::Cast, {v}, {{"to", DType::F32}}, name,
                      {graph.freshName(name + "_f32")});
    if (!cast)
      return cast.error();
    MLC_RETURN_IF_ERROR(graph.renameValue(v, graph.freshName(name + suffix)));
    MLC_RETURN_IF_ERROR(graph.renameValue((*cast)->result(), name));
    widened[v] = (*cast)->result();
    outputs[j] = (*cast)->result();
  }
  graph.setOutputs(std::move(outputs));
  return Status::success();
}

} // namespace

Status lowerPrecisionToF16(Graph &graph) {
  return lowerPrecision(graph, DType::F16);
}

Status lowerPrecisionToBF16(Graph &graph) {
  return lowerPrecision(graph, DType::BF16);
}

} // namespace mlc
