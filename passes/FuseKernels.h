// Partitions the graph into kernels: assigns each node a group id.
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Assigns every non-constant node a kernel group (Node::setGroup); codegen
/// compiles each group as one kernel. Constants get no group (-1).
///
/// Rules, applied greedily in node order:
///  1. Each contraction, window, reduction, normalization or data-movement
///     node (softmax and layer_norm included) starts a new group as its
///     anchor.
///  2. An elementwise node E joins the group G of an operand v (the first
///     operand, in operand order, that qualifies) when
///       - v is G's current tail (the result of G's last member),
///       - every use of v is by E and v is not a graph output, so that v
///         never needs to be written to memory, and
///       - E's result shape equals the shape of G's anchor result (other
///         operands are external inputs that may broadcast into it).
///     E then becomes G's tail. This fuses epilogues: bias add, relu/clip,
///     residual add, mul by a constant, casts.
///  3. A group of reshapes only (a view, which costs nothing inside a
///     kernel but a copy as a kernel of its own) is joined by the consumer
///     of its tail, of any kind, under the same use conditions; that
///     consumer becomes the anchor. (ViT's [1,197,768] -> [197,1,768]
///     views before its matmuls were 5% of its time as copies.)
///  4. An elementwise node that joins no group starts one as its anchor, so
///     chains of elementwise ops fuse among themselves.
///  5. Groups are made contiguous: nodes are reordered (a stable
///     topological sort of the groups, constants placed before their first
///     consumer group) and group ids are renumbered 0..G-1 in node order.
/// So each group is a chain with a single output value, and the order of
/// groups is a valid schedule. The result is a pure function of the node
/// order, hence deterministic.
///
/// Why: the kernel launch and the round trip through memory of every
/// intermediate value dominate small ops; fusing epilogues into the
/// producing contraction or reduction removes both.
Status fuseKernels(Graph &graph);

} // namespace mlc
