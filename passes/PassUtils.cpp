// Shared bookkeeping for passes that edit the graph. See PassUtils.h.
#include "passes/PassUtils.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mlc {

namespace {

template <typename T> T load(const TensorData &data, int64_t index) {
  T value;
  std::memcpy(&value, data.bytes->data() + index * sizeof(T), sizeof(T));
  return value;
}

double halfToDouble(uint16_t bits) {
  int sign = bits >> 15;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  double magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<double>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? std::nan("") : HUGE_VAL;
  else
    magnitude =
        std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  return sign ? -magnitude : magnitude;
}

double bfloatToDouble(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

} // namespace

std::string nodeLabel(const Node &node) {
  if (!node.name().empty())
    return "node '" + node.name() + "'";
  if (node.results().empty())
    return "node of op '" + std::string(opName(node.kind())) + "'";
  return "node '%" + node.result()->name() + "'";
}

const TensorData *constantData(const Value *value) {
  const Node *producer = value->producer();
  if (!producer || producer->kind() != OpKind::Constant ||
      !producer->hasAttr("value"))
    return nullptr;
  return &producer->tensorAttr("value");
}

double readElement(const TensorData &data, int64_t index) {
  switch (data.type.dtype) {
  case DType::F32:
    return load<float>(data, index);
  case DType::F64:
    return load<double>(data, index);
  case DType::F16:
    return halfToDouble(load<uint16_t>(data, index));
  case DType::BF16:
    return bfloatToDouble(load<uint16_t>(data, index));
  case DType::I8:
    return load<int8_t>(data, index);
  case DType::I16:
    return load<int16_t>(data, index);
  case DType::I32:
    return load<int32_t>(data, index);
  case DType::I64:
    return static_cast<double>(load<int64_t>(data, index));
  case DType::U8:
    return load<uint8_t>(data, index);
  case DType::U16:
    return load<uint16_t>(data, index);
  case DType::U32:
    return load<uint32_t>(data, index);
  case DType::U64:
    return static_cast<double>(load<uint64_t>(data, index));
  case DType::Bool:
    return load<uint8_t>(data, index) ? 1.0 : 0.0;
  default:
    return narrowToDouble(data.type.dtype, load<uint8_t>(data, index));
  }
}

std::optional<double> splatValue(const Value *value) {
  const TensorData *data = constantData(value);
  if (!data || !isStatic(data->type.shape))
    return std::nullopt;
  int64_t count = data->numElements();
  if (count == 0)
    return std::nullopt;
  // Compare bytes, not doubles: 0.0 and -0.0 are different splats, and
  // wide integers must not collide after rounding to double.
  int64_t size = dtypeSize(data->type.dtype);
  const uint8_t *bytes = data->bytes->data();
  for (int64_t i = 1; i < count; ++i)
    if (std::memcmp(bytes, bytes + i * size, size) != 0)
      return std::nullopt;
  return readElement(*data, 0);
}

Expected<TensorData> makeFloatData(TensorType type,
                                   const std::vector<double> &values) {
  std::vector<uint8_t> bytes;
  if (type.dtype == DType::F32) {
    bytes.resize(values.size() * sizeof(float));
    for (size_t i = 0; i < values.size(); ++i) {
      float narrowed = static_cast<float>(values[i]);
      std::memcpy(bytes.data() + i * sizeof(float), &narrowed, sizeof(float));
    }
  } else if (type.dtype == DType::F64) {
    bytes.resize(values.size() * sizeof(double));
    std::memcpy(bytes.data(), values.data(), bytes.size());
  } else {
    return makeError("cannot encode constants of type " +
                     std::string(dtypeName(type.dtype)));
  }
  return makeTensorData(std::move(type), std::move(bytes));
}

Rewriter::Rewriter(Graph &graph) : graph_(graph) {
  for (const auto &[value, count] : graph.useCounts())
    uses_[value] = count;
}

int Rewriter::uses(const Value *value) const {
  auto it = uses_.find(value);
  return it == uses_.end() ? 0 : it->second;
}

bool Rewriter::isOutput(const Value *value) const {
  const auto &outputs = graph_.outputs();
  return std::find(outputs.begin(), outputs.end(), value) != outputs.end();
}

void Rewriter::dropUse(Value *value) {
  if (--uses_[value] == 0 && value->producer())
    orphanCandidates_.insert(value->producer());
}

void Rewriter::replaceAllUsesWith(Value *from, Value *to) {
  if (from == to)
    return;
  graph_.replaceAllUsesWith(from, to);
  uses_[to] += uses(from);
  uses_[from] = 0;
  if (from->producer())
    orphanCandidates_.insert(from->producer());
  changed_ = true;
}

void Rewriter::setOperand(Node *node, size_t index, Value *value) {
  Value *old = node->operand(index);
  if (old == value)
    return;
  node->setOperand(index, value);
  ++uses_[value];
  dropUse(old);
  changed_ = true;
}

Expected<Node *> Rewriter::addNode(OpKind kind, std::vector<Value *> operands,
                                   AttributeMap attrs, std::string name,
                                   const std::string &resultHint) {
  Expected<Node *> node =
      graph_.addNode(kind, operands, std::move(attrs), std::move(name),
                     {graph_.freshName(resultHint)});
  if (!node)
    return node.error();
  for (Value *operand : operands)
    ++uses_[operand];
  added_ = true;
  changed_ = true;
  return node;
}

Expected<Value *> Rewriter::addConstant(TensorData data,
                                        const std::string &hint) {
  AttributeMap attrs;
  attrs["value"] = std::move(data);
  Expected<Node *> node =
      addNode(OpKind::Constant, {}, std::move(attrs), "", hint);
  if (!node)
    return node.error();
  return (*node)->result();
}

Status Rewriter::finish() {
  if (added_)
    MLC_RETURN_IF_ERROR(graph_.sortTopologically());
  added_ = false;
  if (orphanCandidates_.empty())
    return Status::success();
  // Users come after producers, so one reverse sweep erases whole chains.
  std::vector<Node *> dead;
  const auto &nodes = graph_.nodes();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node *node = it->get();
    if (!orphanCandidates_.count(node))
      continue;
    bool unused = std::all_of(node->results().begin(), node->results().end(),
                              [&](const Value *v) { return uses(v) == 0; });
    if (!unused)
      continue;
    dead.push_back(node);
    for (Value *operand : node->operands())
      dropUse(operand);
  }
  orphanCandidates_.clear();
  if (!dead.empty())
    graph_.eraseNodes(dead);
  return Status::success();
}

Status sweepNodes(Graph &graph, RewriteRule rule, int maxSweeps) {
  for (int sweep = 0; sweep < maxSweeps; ++sweep) {
    Rewriter rewriter(graph);
    std::vector<Node *> order;
    for (const auto &node : graph.nodes())
      order.push_back(node.get());
    for (Node *node : order) {
      bool used = false;
      for (const Value *result : node->results())
        used |= rewriter.uses(result) > 0;
      if (!used)
        continue;
      Expected<bool> changed = rule(rewriter, node);
      if (!changed)
        return makeError(nodeLabel(*node) + ": " + changed.message());
    }
    MLC_RETURN_IF_ERROR(rewriter.finish());
    if (!rewriter.changed())
      return Status::success();
  }
  return Status::success();
}

} // namespace mlc
