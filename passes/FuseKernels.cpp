// Partitions the graph into kernels. See FuseKernels.h.
#include "passes/FuseKernels.h"

#include <algorithm>

#include <functional>
#include <queue>
#include <unordered_map>

namespace mlc {

namespace {

/// A kernel in the making: a chain anchored at its first member.
struct Group {
  Shape anchorShape;
  /// The value a further elementwise op may consume to join; null when the
  /// group cannot grow (multi-result anchors).
  const Value *tail = nullptr;
  std::vector<Node *> members;
};

/// The group `node` may join, or -1 (rule 2 in FuseKernels.h).
int joinableGroup(const Node &node, const std::vector<Group> &groups,
                  const std::unordered_map<const Node *, int> &groupOf,
                  const std::map<const Value *, int> &useCounts) {
  // Host ops (the string ops) run on their own: they join no group and no
  // node joins theirs.
  if (node.results().size() != 1 || isHostOp(node.kind()))
    return -1;
  bool elementwise = isElementwise(node.kind());
  for (const Value *operand : node.operands()) {
    auto it = groupOf.find(operand->producer());
    if (it == groupOf.end())
      continue;
    const Group &group = groups[it->second];
    if (isHostOp(group.members.front()->kind()))
      continue;
    // Rule 3: a group of reshapes only is a view prefix that any consumer
    // may join.
    bool viewPrefix = std::all_of(
        group.members.begin(), group.members.end(),
        [](const Node *m) { return m->kind() == OpKind::Reshape; });
    if (group.tail != operand ||
        (!viewPrefix && (!elementwise ||
                         node.result()->type().shape != group.anchorShape)))
      continue;
    // useCounts counts graph output slots too, so equality means "used by
    // this node only, and not an output".
    int usesHere = 0;
    for (const Value *other : node.operands())
      usesHere += other == operand;
    if (useCounts.at(operand) == usesHere)
      return it->second;
  }
  return -1;
}

/// Rebuilds `graph` with its nodes in `order` (a topological permutation),
/// keeping names, attributes and groups.
Expected<Graph> rebuildInOrder(const Graph &graph,
                               const std::vector<const Node *> &order) {
  Graph result;
  result.setName(graph.name());
  std::unordered_map<const Value *, Value *> remap;
  for (const Value *input : graph.inputs()) {
    Expected<Value *> value = result.addInput(input->name(), input->type());
    if (!value)
      return value.error();
    remap[input] = *value;
  }
  for (const SymbolDef &def : graph.symbolDefs())
    result.addSymbolDef(def);
  for (const Requirement &r : graph.requirements())
    result.addRequirement(r);
  for (const Node *node : order) {
    std::vector<Value *> operands;
    for (const Value *operand : node->operands())
      operands.push_back(remap.at(operand));
    std::vector<TensorType> types;
    std::vector<std::string> names;
    for (const Value *value : node->results()) {
      types.push_back(value->type());
      names.push_back(value->name());
    }
    Expected<Node *> copy = result.addNodeWithTypes(
        node->kind(), std::move(operands), node->attrs(), std::move(types),
        node->name(), std::move(names));
    if (!copy)
      return copy.error();
    (*copy)->setGroup(node->group());
    for (size_t i = 0; i < node->results().size(); ++i)
      remap[node->result(i)] = (*copy)->result(i);
  }
  std::vector<Value *> outputs;
  for (const Value *output : graph.outputs())
    outputs.push_back(remap.at(output));
  result.setOutputs(std::move(outputs));
  return result;
}

} // namespace

Status fuseKernels(Graph &graph) {
  std::map<const Value *, int> useCounts = graph.useCounts();
  std::vector<Group> groups;
  std::unordered_map<const Node *, int> groupOf;
  // Units are what gets scheduled: a group, or a lone constant. A unit's id
  // is the position of its first node, which is also its priority.
  std::vector<std::vector<Node *>> units;
  std::unordered_map<const Node *, int> unitOf;
  std::vector<int> unitOfGroup;
  for (const auto &owned : graph.nodes()) {
    Node *node = owned.get();
    int unit;
    if (node->kind() == OpKind::Constant) {
      unit = static_cast<int>(units.size());
      units.emplace_back();
    } else {
      int group = joinableGroup(*node, groups, groupOf, useCounts);
      if (group >= 0 && node->kind() != OpKind::Reshape &&
          std::all_of(groups[group].members.begin(),
                      groups[group].members.end(), [](const Node *m) {
                        return m->kind() == OpKind::Reshape;
                      }))
        groups[group].anchorShape = node->result()->type().shape;
      if (group < 0) {
        group = static_cast<int>(groups.size());
        Group fresh;
        fresh.anchorShape = node->result()->type().shape;
        groups.push_back(std::move(fresh));
        unitOfGroup.push_back(static_cast<int>(units.size()));
        units.emplace_back();
      }
      groups[group].members.push_back(node);
      groups[group].tail =
          node->results().size() == 1 ? node->result() : nullptr;
      groupOf[node] = group;
      unit = unitOfGroup[group];
    }
    units[unit].push_back(node);
    unitOf[node] = unit;
  }

  // Stable topological sort of the units: among ready units, the one whose
  // first node came first goes next. Groups are single-output chains, so
  // the unit graph is acyclic (see FuseKernels.h).
  std::vector<int> pending(units.size(), 0);
  std::vector<std::vector<int>> dependents(units.size());
  for (size_t unit = 0; unit < units.size(); ++unit)
    for (const Node *node : units[unit])
      for (const Value *operand : node->operands()) {
        if (!operand->producer())
          continue;
        int from = unitOf.at(operand->producer());
        if (from == static_cast<int>(unit))
          continue;
        dependents[from].push_back(static_cast<int>(unit));
        ++pending[unit];
      }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t unit = 0; unit < units.size(); ++unit)
    if (pending[unit] == 0)
      ready.push(static_cast<int>(unit));
  std::vector<const Node *> order;
  std::unordered_map<int, int64_t> groupIds; // unit -> final group id
  while (!ready.empty()) {
    int unit = ready.top();
    ready.pop();
    if (units[unit].front()->kind() != OpKind::Constant)
      groupIds.emplace(unit, static_cast<int64_t>(groupIds.size()));
    for (Node *node : units[unit]) {
      order.push_back(node);
      node->setGroup(node->kind() == OpKind::Constant ? -1 : groupIds.at(unit));
    }
    for (int dependent : dependents[unit])
      if (--pending[dependent] == 0)
        ready.push(dependent);
  }
  if (order.size() != graph.nodes().size())
    return makeError("fusion produced a cyclic kernel graph");

  bool sameOrder = true;
  for (size_t i = 0; i < order.size(); ++i)
    sameOrder = sameOrder && order[i] == graph.nodes()[i].get();
  if (sameOrder)
    return Status::success();
  Expected<Graph> rebuilt = rebuildInOrder(graph, order);
  if (!rebuilt)
    return rebuilt.error();
  graph = rebuilt.take();
  return Status::success();
}

} // namespace mlc
