// Re-derives every result type from the op type rules. See InferShapes.h.
#include "passes/InferShapes.h"

#include "passes/PassUtils.h"

namespace mlc {

Status inferShapes(Graph &graph) {
  for (const auto &node : graph.nodes()) {
    std::vector<TensorType> operandTypes;
    operandTypes.reserve(node->numOperands());
    for (const Value *operand : node->operands())
      operandTypes.push_back(operand->type());
    Expected<std::vector<TensorType>> types =
        inferResultTypes(node->kind(), operandTypes, node->attrs());
    if (!types)
      return makeError(nodeLabel(*node) + ": " + types.message());
    if (types->size() != node->results().size())
      return makeError(nodeLabel(*node) + ": type rule gives " +
                       std::to_string(types->size()) + " results, node has " +
                       std::to_string(node->results().size()));
    for (size_t i = 0; i < types->size(); ++i)
      node->result(i)->setType((*types)[i]);
  }
  return Status::success();
}

} // namespace mlc
