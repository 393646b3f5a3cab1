// Evaluates nodes whose operands are all constants at compile time.
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Replaces every node whose operands are all constants by a constant node
/// holding its value, computed by the reference interpreter (evaluateOp).
/// Runs in node order, so whole constant subgraphs fold in one call.
///
/// Why: exported models compute a lot from weights alone: transposed or
/// reshaped weight matrices (torch exports Linear as transpose + matmul),
/// shape arithmetic, casts of constants, the constants that
/// simplify-algebra produces. Folding them moves that work to compile time
/// and exposes constant operands to later rewrites and to codegen.
///
/// Limits, so that folding never bloats the weights blob or the compile:
///  - results must have static shapes and no graph output is folded (the
///    output would lose its name);
///  - data movement that does not grow the data (reshape, transpose, slice,
///    concat, and gather/pad/expand when the result is no larger than the
///    operands) always folds: the folded weight replaces the original, which
///    becomes dead;
///  - a result larger than all operands together folds only up to 64 Ki
///    elements (an expand of a scalar to an activation-sized tensor is
///    better broadcast inside the consuming kernel);
///  - anything else folds up to 64 Mi result elements, and contractions
///    only up to 2^30 multiply-adds.
/// The folded node's now-unused constant operands are erased.
Status foldConstants(Graph &graph);

} // namespace mlc
