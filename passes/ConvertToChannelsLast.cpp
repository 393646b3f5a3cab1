// Channels-last convolutions and pools. See ConvertToChannelsLast.h.
#include "passes/ConvertToChannelsLast.h"

#include "passes/PassUtils.h"

#include <algorithm>

namespace mlc {

namespace {

constexpr int kMaxSweeps = 64;

/// [0, 2, .., r-1, 1]: channels-first to channels-last.
std::vector<int64_t> toLastPerm(int64_t rank) {
  std::vector<int64_t> perm = {0};
  for (int64_t i = 2; i < rank; ++i)
    perm.push_back(i);
  perm.push_back(1);
  return perm;
}

/// [0, r-1, 1, .., r-2]: channels-last to channels-first.
std::vector<int64_t> toFirstPerm(int64_t rank) {
  std::vector<int64_t> perm = {0, rank - 1};
  for (int64_t i = 1; i + 1 < rank; ++i)
    perm.push_back(i);
  return perm;
}

/// Replaces every use of `from` with `to`; when `from` is a graph output,
/// `to` takes over its name so that the output keeps it.
Status replaceKeepingName(Rewriter &rewriter, Value *from, Value *to) {
  if (rewriter.isOutput(from)) {
    std::string name = from->name();
    Graph &graph = rewriter.graph();
    MLC_RETURN_IF_ERROR(graph.renameValue(from, graph.freshName(name)));
    MLC_RETURN_IF_ERROR(graph.renameValue(to, name));
  }
  rewriter.replaceAllUsesWith(from, to);
  return Status::success();
}

/// Appends `kind(operands)` in channels-last order and a transpose of its
/// result back to channels-first, which replaces `node`'s result.
Status replaceWithChannelsLast(Rewriter &rewriter, Node *node,
                               std::vector<Value *> operands,
                               AttributeMap attrs) {
  Value *old = node->result();
  int64_t rank = old->type().rank();
  Expected<Node *> inner = rewriter.addNode(
      node->kind(), std::move(operands), std::move(attrs), node->name(),
      old->name() + "_cl");
  if (!inner)
    return inner.error();
  Expected<Node *> back =
      rewriter.addNode(OpKind::Transpose, {(*inner)->result()},
                       {{"perm", toFirstPerm(rank)}}, node->name(), old->name());
  if (!back)
    return back.error();
  return replaceKeepingName(rewriter, old, (*back)->result());
}

/// conv / max_pool / avg_pool -> transpose, channels-last op, transpose.
Expected<bool> convert(Rewriter &rewriter, Node *node) {
  OpKind kind = node->kind();
  if (kind != OpKind::Conv && kind != OpKind::MaxPool &&
      kind != OpKind::AvgPool)
    return false;
  Value *x = node->operand(0);
  int64_t rank = x->type().rank();
  if (rank < 3 || rank > 5 || x->type().dtype != DType::F32 ||
      node->results().size() != 1 ||
      (node->hasAttr("channels_last") && node->intAttr("channels_last") != 0))
    return false;
  Expected<Node *> in = rewriter.addNode(OpKind::Transpose, {x},
                                         {{"perm", toLastPerm(rank)}},
                                         node->name(), x->name() + "_cl");
  if (!in)
    return in.error();
  std::vector<Value *> operands = node->operands();
  operands[0] = (*in)->result();
  AttributeMap attrs = node->attrs();
  attrs["channels_last"] = int64_t{1};
  MLC_RETURN_IF_ERROR(
      replaceWithChannelsLast(rewriter, node, operands, std::move(attrs)));
  return true;
}

/// The transpose to channels-first that defines `value`, or null.
const Node *channelsFirstTranspose(const Value *value) {
  const Node *producer = value->producer();
  if (!producer || producer->kind() != OpKind::Transpose)
    return nullptr;
  return producer->intsAttr("perm") == toFirstPerm(value->type().rank())
             ? producer
             : nullptr;
}

bool isKeepdimsReduction(const Node &node) {
  switch (node.kind()) {
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ReduceProd:
    return node.intAttr("keepdims") == 1;
  default:
    return false;
  }
}

/// `constant` (rank <= `rank`) as an operand of the channels-last form of
/// an op of that rank: one element stays as it is; otherwise it is
/// reshaped to the full rank (leading 1s, as broadcasting does) and
/// transposed to channels-last. Fold-constants evaluates both.
Expected<Value *> constantToChannelsLast(Rewriter &rewriter, Value *constant,
                                         int64_t rank, const Node &user) {
  const TensorType &type = constant->type();
  if (constantData(constant)->numElements() == 1)
    return constant;
  Value *full = constant;
  if (type.rank() < rank) {
    std::vector<int64_t> shape(static_cast<size_t>(rank - type.rank()), 1);
    for (const Dim &d : type.shape)
      shape.push_back(d.value());
    Expected<Node *> reshape =
        rewriter.addNode(OpKind::Reshape, {constant}, {{"shape", shape}},
                         user.name(), constant->name() + "_r");
    if (!reshape)
      return reshape.error();
    full = (*reshape)->result();
  }
  Expected<Node *> transpose =
      rewriter.addNode(OpKind::Transpose, {full}, {{"perm", toLastPerm(rank)}},
                       user.name(), constant->name() + "_cl");
  if (!transpose)
    return transpose.error();
  return (*transpose)->result();
}

/// An existing transpose of `value` to channels-last (a conv's input, say),
/// or null.
Value *channelsLastTwin(Rewriter &rewriter, const Value *value) {
  std::vector<int64_t> perm = toLastPerm(value->type().rank());
  for (const auto &node : rewriter.graph().nodes())
    if (node->kind() == OpKind::Transpose && node->operand(0) == value &&
        node->intsAttr("perm") == perm && rewriter.uses(node->result()) > 0)
      return node->result();
  return nullptr;
}

/// op(transpose_to_first(x), ...) -> transpose_to_first(op(x, ...)) for
/// the ops listed in the header.
Expected<bool> sink(Rewriter &rewriter, Node *node) {
  bool concat = node->kind() == OpKind::Concat;
  bool reduction = isKeepdimsReduction(*node);
  if ((!isElementwise(node->kind()) && !concat && !reduction) ||
      node->results().size() != 1)
    return false;
  int64_t rank = node->result()->type().rank();
  if (rank < 3)
    return false;
  bool any = false;
  for (const Value *operand : node->operands()) {
    if (const Node *t = channelsFirstTranspose(operand);
        t && operand->type().rank() == rank) {
      any = true;
      continue;
    }
    if (operand->type().rank() == rank && channelsLastTwin(rewriter, operand))
      continue;
    if (!constantData(operand) || operand->type().rank() > rank ||
        !isStatic(operand->type().shape))
      return false;
  }
  if (!any)
    return false;
  std::vector<Value *> operands;
  for (Value *operand : node->operands()) {
    if (const Node *t = channelsFirstTranspose(operand);
        t && operand->type().rank() == rank) {
      operands.push_back(t->operand(0));
      continue;
    }
    if (operand->type().rank() == rank && !constantData(operand)) {
      operands.push_back(channelsLastTwin(rewriter, operand));
      continue;
    }
    Expected<Value *> c =
        constantToChannelsLast(rewriter, operand, rank, *node);
    if (!c)
      return c.error();
    operands.push_back(*c);
  }
  // Dim i of the channels-first value is dim perm[i] of the channels-last one.
  std::vector<int64_t> perm = toFirstPerm(rank);
  AttributeMap attrs = node->attrs();
  if (concat) {
    attrs["axis"] = perm[static_cast<size_t>(node->intAttr("axis"))];
  } else if (reduction) {
    std::vector<int64_t> axes;
    for (int64_t axis : node->intsAttr("axes"))
      axes.push_back(perm[static_cast<size_t>(axis)]);
    std::sort(axes.begin(), axes.end());
    attrs["axes"] = axes;
  }
  MLC_RETURN_IF_ERROR(
      replaceWithChannelsLast(rewriter, node, operands, std::move(attrs)));
  return true;
}

} // namespace

Status convertToChannelsLast(Graph &graph) {
  MLC_RETURN_IF_ERROR(sweepNodes(graph, convert, 1));
  return sweepNodes(graph, sink, kMaxSweeps);
}

} // namespace mlc
