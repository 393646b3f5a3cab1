// Reference interpreter: naive, obviously-correct host implementations of
// every op. It is the test oracle and the engine of constant folding.
#pragma once

#include "ir/Graph.h"

#include <vector>

namespace mlc {

/// Evaluates one node of kind `kind` on constant operands. `resultTypes`
/// are the node's (static) result types.
Expected<std::vector<TensorData>>
evaluateOp(OpKind kind, const std::vector<TensorData> &operands,
           const AttributeMap &attrs,
           const std::vector<TensorType> &resultTypes);

/// Runs a whole graph with static shapes on the given inputs (one per graph
/// input, in order) and returns the outputs in order.
Expected<std::vector<TensorData>>
interpretGraph(const Graph &graph, const std::vector<TensorData> &inputs);

} // namespace mlc
