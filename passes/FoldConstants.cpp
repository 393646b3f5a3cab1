// Evaluates nodes whose operands are all constants at compile time. See
// FoldConstants.h.
#include "passes/FoldConstants.h"

#include "ir/Interpreter.h"
#include "passes/PassUtils.h"

namespace mlc {

namespace {

constexpr int64_t kMaxResultElements = int64_t(64) << 20;
constexpr int64_t kMaxGrowthElements = int64_t(64) << 10;
constexpr int64_t kMaxMultiplyAdds = int64_t(1) << 30;

bool isDataMovement(OpKind kind) {
  return opInfo(kind).opClass == OpClass::DataMovement;
}

/// Multiply-adds of a contraction, or 0 for other ops; saturates.
int64_t multiplyAdds(const Node &node, int64_t resultElements) {
  int64_t reduced = 1;
  if (node.kind() == OpKind::MatMul) {
    const Shape &a = node.operand(0)->type().shape;
    reduced = a.back().value();
  } else if (node.kind() == OpKind::Conv) {
    // Each output element reads C/group * K1 * ... * Kk weights.
    const Shape &w = node.operand(1)->type().shape;
    for (size_t i = 1; i < w.size(); ++i)
      reduced = w[i].value() == 0 ? 0 : reduced * w[i].value();
  } else {
    return 0;
  }
  Expected<int64_t> total = checkedMul(resultElements, reduced);
  return total ? *total : INT64_MAX;
}

/// Decides whether folding `node` keeps the weights and compile time sane.
bool worthFolding(const Node &node) {
  int64_t operandElements = 0;
  for (const Value *operand : node.operands())
    operandElements += constantData(operand)->numElements();
  int64_t resultElements = 0;
  for (const Value *result : node.results()) {
    if (!isStatic(result->type().shape))
      return false;
    Expected<int64_t> count = elementCount(result->type().shape);
    if (!count)
      return false;
    resultElements += *count;
  }
  if (resultElements > operandElements)
    return resultElements <= kMaxGrowthElements;
  if (isDataMovement(node.kind()))
    return true;
  if (resultElements > kMaxResultElements)
    return false;
  return multiplyAdds(node, resultElements) <= kMaxMultiplyAdds;
}

bool hasOnlyConstantOperands(const Node &node) {
  for (const Value *operand : node.operands())
    if (!constantData(operand))
      return false;
  return true;
}

} // namespace

Status foldConstants(Graph &graph) {
  Rewriter rewriter(graph);
  // Snapshot: folding appends constant nodes, which need no visit.
  std::vector<Node *> order;
  for (const auto &node : graph.nodes())
    order.push_back(node.get());
  for (Node *node : order) {
    // Generators (iota, symbol_values) stay: their shapes or values are
    // symbols, or a frontend would have emitted a constant.
    if (node->kind() == OpKind::Constant || node->numOperands() == 0 ||
        !hasOnlyConstantOperands(*node))
      continue;
    bool isOutput = false;
    for (const Value *result : node->results())
      isOutput = isOutput || rewriter.isOutput(result);
    if (isOutput || !worthFolding(*node))
      continue;
    // The interpreter does not move strings (the empty-string constants
    // StringNormalizer makes): leave such nodes to codegen.
    bool strings = false;
    for (const Value *operand : node->operands())
      strings |= operand->type().dtype == DType::Str;
    if (strings)
      continue;
    std::vector<TensorData> operands;
    for (const Value *operand : node->operands())
      operands.push_back(*constantData(operand));
    std::vector<TensorType> resultTypes;
    for (const Value *result : node->results())
      resultTypes.push_back(result->type());
    Expected<std::vector<TensorData>> values =
        evaluateOp(node->kind(), operands, node->attrs(), resultTypes);
    if (!values)
      return makeError(nodeLabel(*node) + ": cannot fold: " + values.message());
    for (size_t i = 0; i < values->size(); ++i) {
      Expected<Value *> constant = rewriter.addConstant(
          std::move((*values)[i]), node->result(i)->name());
      if (!constant)
        return makeError(nodeLabel(*node) + ": " + constant.message());
      rewriter.replaceAllUsesWith(node->result(i), *constant);
    }
  }
  return rewriter.finish();
}

} // namespace mlc
