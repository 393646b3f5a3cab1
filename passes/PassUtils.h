// Shared bookkeeping for passes that edit the graph: exact use counts across
// edits, cleanup of what an edit orphaned, and reading constant operands.
#pragma once

#include "ir/Graph.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mlc {

/// How diagnostics name a node, as the verifier does: `node 'srcname'` when
/// it has a source name, else `node '%result'`.
std::string nodeLabel(const Node &node);

/// The data of `value` when a constant node defines it, else null.
const TensorData *constantData(const Value *value);

/// Element `index` of numeric tensor data, widened to double.
double readElement(const TensorData &data, int64_t index);

/// The common value of every element of a constant (of any numeric dtype),
/// or nothing when `value` is not a constant or its elements differ.
std::optional<double> splatValue(const Value *value);

/// Encodes doubles as tensor data of a float dtype, rounding to nearest
/// even. Only f32 and f64 are supported; other dtypes return an error.
Expected<TensorData> makeFloatData(TensorType type,
                                   const std::vector<double> &values);

/// Edits a graph while keeping use counts exact, so that rules can ask "is
/// this the only use?" after earlier edits in the same sweep. Nodes whose
/// results lose their last use are erased by finish(), transitively, so a
/// pass leaves no garbage of its own making (pre-existing dead code is left
/// to eliminate-dead-code).
class Rewriter {
public:
  explicit Rewriter(Graph &graph);

  Graph &graph() { return graph_; }
  /// Uses of `value` by nodes, plus one per graph output slot.
  int uses(const Value *value) const;
  /// True when `value` is one of the graph outputs.
  bool isOutput(const Value *value) const;
  /// Replaces every use of `from` with `to`. Graph outputs are replaced too,
  /// which renames the output: callers avoid it where the name matters.
  void replaceAllUsesWith(Value *from, Value *to);
  /// Sets operand `index` of `node` to `value`.
  void setOperand(Node *node, size_t index, Value *value);
  /// Appends a type-checked node (see Graph::addNode).
  Expected<Node *> addNode(OpKind kind, std::vector<Value *> operands,
                           AttributeMap attrs, std::string name,
                           const std::string &resultHint);
  /// Appends a constant node holding `data`.
  Expected<Value *> addConstant(TensorData data, const std::string &hint);
  /// True once any edit was made.
  bool changed() const { return changed_; }
  /// Restores topological order if nodes were added and erases every node
  /// left without uses by this rewriter's edits.
  Status finish();

private:
  void dropUse(Value *value);

  Graph &graph_;
  std::unordered_map<const Value *, int> uses_;
  std::unordered_set<const Node *> orphanCandidates_;
  bool added_ = false;
  bool changed_ = false;
};

/// A local rewrite: true when it changed the graph around `node`.
using RewriteRule = Expected<bool> (*)(Rewriter &rewriter, Node *node);

/// Applies `rule` to every node of a snapshot of the graph, in node order,
/// then finishes the edits (Rewriter::finish), sweep after sweep until one
/// changes nothing or `maxSweeps` have run. A node whose results lost every
/// use earlier in the sweep is skipped; nodes added during a sweep are
/// visited by the next one. A rule's error is returned prefixed with the
/// node's label.
Status sweepNodes(Graph &graph, RewriteRule rule, int maxSweeps);

} // namespace mlc
