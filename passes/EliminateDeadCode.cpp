// Removes nodes whose results can never reach a graph output. See
// EliminateDeadCode.h.
#include "passes/EliminateDeadCode.h"

namespace mlc {

Status eliminateDeadCode(Graph &graph) {
  // Graph::removeDeadNodes marks what the outputs transitively read in one
  // backward sweep and erases the rest; inputs are never touched. Symbols
  // that only dead nodes used go too (first, so that the values unused
  // load symbols read can die).
  graph.removeDeadNodes();
  if (graph.removeUnusedSymbols() > 0)
    graph.removeDeadNodes();
  return Status::success();
}

} // namespace mlc
