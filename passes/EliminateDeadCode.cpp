// Removes nodes whose results can never reach a graph output. See
// EliminateDeadCode.h.
#include "passes/EliminateDeadCode.h"

namespace mlc {

Status eliminateDeadCode(Graph &graph) {
  // Graph::removeDeadNodes marks what the outputs transitively read in one
  // backward sweep and erases the rest; inputs are never touched.
  graph.removeDeadNodes();
  return Status::success();
}

} // namespace mlc
