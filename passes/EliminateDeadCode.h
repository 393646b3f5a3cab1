// Removes nodes whose results can never reach a graph output.
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Erases every node that no graph output depends on. Graph inputs stay,
/// even unused ones: they are the compiled model's signature.
///
/// Why: frontends import whole ONNX graphs, including initializers and
/// side branches nobody reads, and folding and simplification leave the
/// nodes they bypassed behind. Dead nodes cost compile time, weight bytes
/// in the bundle and, if they reached codegen, kernels.
Status eliminateDeadCode(Graph &graph);

} // namespace mlc
