// Runs f16 and bf16 contractions and reductions in f32. See
// WidenHalfAccumulation.h.
#include "passes/WidenHalfAccumulation.h"

#include "passes/PassUtils.h"

namespace mlc {

namespace {

bool isHalf(DType dtype) { return dtype == DType::F16 || dtype == DType::BF16; }

/// The ops that sum (or multiply) many terms.
bool accumulates(OpKind kind) {
  switch (kind) {
  case OpKind::MatMul:
  case OpKind::Conv:
  case OpKind::AvgPool:
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceProd:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::LayerNorm:
    return true;
  default:
    return false;
  }
}

/// Replaces `from` by `to` (a fresh node result) everywhere; `to` takes over
/// the name, so graph outputs keep theirs and dumps stay readable.
Status forward(Rewriter &rewriter, Value *from, Value *to) {
  Graph &graph = rewriter.graph();
  std::string name = from->name();
  MLC_RETURN_IF_ERROR(graph.renameValue(from, graph.freshName(name)));
  MLC_RETURN_IF_ERROR(graph.renameValue(to, name));
  rewriter.replaceAllUsesWith(from, to);
  return Status::success();
}

Expected<bool> widen(Rewriter &rewriter, Node *node) {
  if (!accumulates(node->kind()))
    return false;
  bool half = false;
  for (Value *result : node->results())
    half = half || isHalf(result->type().dtype);
  if (!half)
    return false;
  std::vector<Value *> operands;
  for (Value *operand : node->operands()) {
    if (!operand || !isHalf(operand->type().dtype)) {
      operands.push_back(operand);
      continue;
    }
    Expected<Node *> cast =
        rewriter.addNode(OpKind::Cast, {operand}, {{"to", DType::F32}},
                         node->name(), operand->name() + "_f32");
    if (!cast)
      return cast.error();
    operands.push_back((*cast)->result());
  }
  Expected<Node *> wide =
      rewriter.addNode(node->kind(), operands, node->attrs(), node->name(),
                       node->result()->name() + "_f32");
  if (!wide)
    return wide.error();
  for (size_t i = 0; i < node->results().size(); ++i) {
    Value *result = node->result(i);
    Value *value = (*wide)->result(i);
    if (value->type().dtype != result->type().dtype) {
      Expected<Node *> back = rewriter.addNode(OpKind::Cast, {value},
                                               {{"to", result->type().dtype}},
                                               node->name(), result->name());
      if (!back)
        return back.error();
      value = (*back)->result();
    }
    MLC_RETURN_IF_ERROR(forward(rewriter, result, value));
  }
  return true;
}

} // namespace

Status widenHalfAccumulation(Graph &graph) {
  // One sweep: the widened nodes are f32 and never match again.
  return sweepNodes(graph, widen, 1);
}

} // namespace mlc
