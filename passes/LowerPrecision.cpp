// Computes an f32 model in f16 or bf16. See LowerPrecision.h.
#include "passes/LowerPrecision.h"

#include "ir/Interpreter.h"
#include "passes/InferShapes.h"
#include "passes/PassUtils.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

namespace mlc {

namespace {

/// `data` (f32) as `half`, through the interpreter's Cast (round to nearest
/// even); f16 saturates finite values beyond its range first.
Expected<TensorData> convert(const TensorData &data, DType half) {
  TensorData source = data;
  if (half == DType::F16) {
    constexpr float kMax = 65504.0f;
    std::vector<uint8_t> bytes = *data.bytes;
    for (size_t i = 0; i + sizeof(float) <= bytes.size(); i += sizeof(float)) {
      float x;
      std::memcpy(&x, &bytes[i], sizeof x);
      if (std::isfinite(x))
        x = std::clamp(x, -kMax, kMax);
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

Status lowerPrecision(Graph &graph, DType half) {
  std::vector<DType> outputTypes;
  for (const Value *v : graph.outputs())
    outputTypes.push_back(v->type().dtype);

  // Constants and `to` attributes.
  for (const auto &node : graph.nodes())
    for (auto &[name, attr] : node->mutableAttrs()) {
      if (auto *dtype = std::get_if<DType>(&attr); dtype && *dtype == DType::F32)
        *dtype = half;
      if (auto *data = std::get_if<TensorData>(&attr);
          data && data->type.dtype == DType::F32) {
        Expected<TensorData> converted = convert(*data, half);
        if (!converted)
          return makeError(nodeLabel(*node) + ": " + converted.message());
        *data = *converted;
      }
    }

  // Inputs: one cast each, which every use reads instead.
  Rewriter rewriter(graph);
  std::string suffix = "_" + std::string(dtypeName(half));
  for (Value *input : graph.inputs()) {
    if (input->type().dtype != DType::F32)
      continue;
    std::vector<std::pair<Node *, size_t>> uses;
    for (const auto &node : graph.nodes())
      for (size_t i = 0; i < node->numOperands(); ++i)
        if (node->operand(i) == input)
          uses.push_back({node.get(), i});
    if (uses.empty())
      continue;
    Expected<Node *> cast = rewriter.addNode(OpKind::Cast, {input},
                                             {{"to", half}}, input->name(),
                                             input->name() + suffix);
    if (!cast)
      return cast.error();
    for (auto [node, i] : uses)
      rewriter.setOperand(node, i, (*cast)->result());
  }
  MLC_RETURN_IF_ERROR(rewriter.finish());

  // Every result type from the rules: f32 becomes `half` downstream.
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
