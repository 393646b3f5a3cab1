// Re-derives every result type from the op type rules.
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Recomputes each node's result types, in node order, with the same type
/// rules that Graph::addNode applies (inferResultTypes).
///
/// Why: frontends may pin input shapes after building the graph (a symbolic
/// batch fixed to 1), and rewrites may change an operand's type; both leave
/// downstream result types stale. Re-running the rules in order propagates
/// the change through the whole graph in one sweep. A rule that now fails is
/// an error naming the node.
Status inferShapes(Graph &graph);

} // namespace mlc
