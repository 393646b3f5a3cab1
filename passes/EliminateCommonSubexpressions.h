// Merges nodes that compute the same value.
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Merges each node into an earlier node with the same op, the same
/// operands and equal attributes (floats compared bit for bit, so 0.0 and
/// -0.0 stay apart). Constants merge when dtype, shape and bytes are equal.
/// The earlier node survives; a node whose result is a graph output is
/// never merged away (its output would be renamed). Every op in the IR is
/// pure, so merging is always sound.
///
/// Why: exporters duplicate work freely: torch emits one shape constant per
/// use, BERT's layers re-read the same attention-mask arithmetic, and
/// folding produces equal constants from different weights. Merging
/// constants shrinks the weights blob; merging ops removes kernels.
Status eliminateCommonSubexpressions(Graph &graph);

} // namespace mlc
