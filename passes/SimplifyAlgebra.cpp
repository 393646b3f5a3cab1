// Local algebraic rewrites that keep results exact. See SimplifyAlgebra.h.
#include "passes/SimplifyAlgebra.h"

#include "passes/PassUtils.h"

#include <cmath>

namespace mlc {

namespace {

constexpr int kMaxSweeps = 16;

bool isFoldableFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64;
}

/// Reads a constant as doubles; null when `value` is not a constant.
std::optional<std::vector<double>> readConstant(const Value *value) {
  const TensorData *data = constantData(value);
  if (!data)
    return std::nullopt;
  std::vector<double> values(data->numElements());
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = readElement(*data, static_cast<int64_t>(i));
  return values;
}

/// Replaces `node`'s result by `value`. When the result is a graph output,
/// `value` takes over its name, which needs `value` to be a node result
/// that is not an output already (else the rewrite is skipped).
bool forwardTo(Rewriter &rewriter, Node *node, Value *value) {
  Value *result = node->result();
  if (result->type() != value->type())
    return false;
  if (rewriter.isOutput(result)) {
    if (!value->producer() || rewriter.isOutput(value))
      return false;
    Graph &graph = rewriter.graph();
    std::string name = result->name();
    if (!graph.renameValue(result, graph.freshName(name)).ok() ||
        !graph.renameValue(value, name).ok())
      return false;
  }
  rewriter.replaceAllUsesWith(result, value);
  return true;
}

/// The batch-norm parameters as per-channel scale and shift:
/// y = x * scale + shift.
struct ChannelAffine {
  std::vector<double> scale;
  std::vector<double> shift;
};

std::optional<ChannelAffine> batchNormAffine(const Node &bn) {
  auto gamma = readConstant(bn.operand(1));
  auto beta = readConstant(bn.operand(2));
  auto mean = readConstant(bn.operand(3));
  auto var = readConstant(bn.operand(4));
  if (!gamma || !beta || !mean || !var)
    return std::nullopt;
  size_t channels = gamma->size();
  if (beta->size() != channels || mean->size() != channels ||
      var->size() != channels)
    return std::nullopt;
  double epsilon = bn.floatAttr("epsilon");
  ChannelAffine affine;
  for (size_t c = 0; c < channels; ++c) {
    double scale = (*gamma)[c] / std::sqrt((*var)[c] + epsilon);
    affine.scale.push_back(scale);
    affine.shift.push_back((*beta)[c] - (*mean)[c] * scale);
  }
  return affine;
}

/// conv -> batch_norm, the conv result used only by the batch norm:
/// w'[f] = w[f] * s[f], b'[f] = (b[f] - mean[f]) * s[f] + beta[f].
Expected<bool> foldBatchNormIntoConv(Rewriter &rewriter, Node *bn) {
  Value *x = bn->operand(0);
  Node *conv = x->producer();
  if (!conv || conv->kind() != OpKind::Conv || rewriter.uses(x) != 1 ||
      rewriter.isOutput(bn->result()))
    return false;
  auto weights = readConstant(conv->operand(1));
  std::optional<std::vector<double>> bias;
  if (conv->numOperands() > 2 && !(bias = readConstant(conv->operand(2))))
    return false;
  auto affine = batchNormAffine(*bn);
  if (!weights || !affine)
    return false;
  size_t filters = affine->scale.size();
  if (filters == 0 || weights->size() % filters != 0)
    return false;
  size_t perFilter = weights->size() / filters;
  for (size_t i = 0; i < weights->size(); ++i)
    (*weights)[i] *= affine->scale[i / perFilter];
  std::vector<double> newBias(filters);
  for (size_t f = 0; f < filters; ++f) {
    double b = bias ? (*bias)[f] : 0.0;
    // (b - mean) * s + beta == b * s + (beta - mean * s).
    newBias[f] = b * affine->scale[f] + affine->shift[f];
  }
  DType dtype = x->type().dtype;
  Expected<TensorData> weightData =
      makeFloatData(conv->operand(1)->type(), *weights);
  Expected<TensorData> biasData = makeFloatData(
      TensorType{dtype, makeShape({static_cast<int64_t>(filters)})}, newBias);
  if (!weightData)
    return weightData.error();
  if (!biasData)
    return biasData.error();
  Expected<Value *> weight =
      rewriter.addConstant(weightData.take(), conv->operand(1)->name());
  if (!weight)
    return weight.error();
  Expected<Value *> biasValue =
      rewriter.addConstant(biasData.take(), x->name() + "_bias");
  if (!biasValue)
    return biasValue.error();
  if (conv->numOperands() > 2) {
    rewriter.setOperand(conv, 1, *weight);
    rewriter.setOperand(conv, 2, *biasValue);
    rewriter.replaceAllUsesWith(bn->result(), x);
    return true;
  }
  Expected<Node *> newConv =
      rewriter.addNode(OpKind::Conv, {conv->operand(0), *weight, *biasValue},
                       conv->attrs(), conv->name(), x->name());
  if (!newConv)
    return newConv.error();
  rewriter.replaceAllUsesWith(bn->result(), (*newConv)->result());
  return true;
}

/// batch_norm with constant parameters -> mul + add by [C,1,..,1] constants,
/// which fuse into whatever produced x.
Expected<bool> batchNormToAffine(Rewriter &rewriter, Node *bn) {
  Value *x = bn->operand(0);
  if (rewriter.isOutput(bn->result()) || x->type().rank() < 2)
    return false;
  auto affine = batchNormAffine(*bn);
  if (!affine)
    return false;
  std::vector<int64_t> extents(x->type().rank() - 1, 1);
  extents[0] = static_cast<int64_t>(affine->scale.size());
  TensorType type{x->type().dtype, makeShape(extents)};
  Expected<TensorData> scaleData = makeFloatData(type, affine->scale);
  Expected<TensorData> shiftData = makeFloatData(type, affine->shift);
  if (!scaleData)
    return scaleData.error();
  if (!shiftData)
    return shiftData.error();
  Expected<Value *> scale = rewriter.addConstant(scaleData.take(), "bn_scale");
  if (!scale)
    return scale.error();
  Expected<Value *> shift = rewriter.addConstant(shiftData.take(), "bn_shift");
  if (!shift)
    return shift.error();
  Expected<Node *> mul = rewriter.addNode(OpKind::Mul, {x, *scale}, {},
                                          bn->name(), bn->result()->name());
  if (!mul)
    return mul.error();
  Expected<Node *> add =
      rewriter.addNode(OpKind::Add, {(*mul)->result(), *shift}, {}, bn->name(),
                       bn->result()->name());
  if (!add)
    return add.error();
  rewriter.replaceAllUsesWith(bn->result(), (*add)->result());
  return true;
}

Expected<bool> simplifyBatchNorm(Rewriter &rewriter, Node *bn) {
  if (!isFoldableFloat(bn->result()->type().dtype))
    return false;
  Expected<bool> folded = foldBatchNormIntoConv(rewriter, bn);
  if (!folded || *folded)
    return folded;
  return batchNormToAffine(rewriter, bn);
}

bool simplifyReshape(Rewriter &rewriter, Node *reshape) {
  Value *x = reshape->operand(0);
  if (Node *inner = x->producer(); inner && inner->kind() == OpKind::Reshape) {
    // The counts the inner reshape compared at run time must still be.
    if (inner->hasAttr("checked"))
      reshape->mutableAttrs()["checked"] = int64_t{1};
    rewriter.setOperand(reshape, 0, inner->operand(0));
    forwardTo(rewriter, reshape, reshape->operand(0));
    return true;
  }
  return forwardTo(rewriter, reshape, x);
}

bool isIdentityPermutation(const std::vector<int64_t> &perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i))
      return false;
  return true;
}

bool simplifyTranspose(Rewriter &rewriter, Node *transpose) {
  Value *x = transpose->operand(0);
  Node *inner = x->producer();
  if (!inner || inner->kind() != OpKind::Transpose) {
    if (!isIdentityPermutation(transpose->intsAttr("perm")))
      return false;
    return forwardTo(rewriter, transpose, x);
  }
  // Result dim i = inner dim outer[i] = source dim inner[outer[i]].
  const std::vector<int64_t> &outerPerm = transpose->intsAttr("perm");
  const std::vector<int64_t> &innerPerm = inner->intsAttr("perm");
  std::vector<int64_t> composed;
  for (int64_t axis : outerPerm)
    composed.push_back(innerPerm[axis]);
  Value *source = inner->operand(0);
  if (isIdentityPermutation(composed) && forwardTo(rewriter, transpose, source))
    return true;
  transpose->mutableAttrs()["perm"] = composed;
  rewriter.setOperand(transpose, 0, source);
  return true;
}

/// A transpose that keeps the order of the dims larger than 1 moves no
/// data: it becomes a reshape ([1, 1, 1, C] -> [1, C, 1, 1]).
Expected<bool> transposeToReshape(Rewriter &rewriter, Node *transpose) {
  Value *x = transpose->operand(0);
  Value *result = transpose->result();
  if (rewriter.isOutput(result) || !isStatic(x->type().shape))
    return false;
  int64_t last = -1;
  for (int64_t axis : transpose->intsAttr("perm")) {
    if (x->type().shape[static_cast<size_t>(axis)].value() == 1)
      continue;
    if (axis < last)
      return false;
    last = axis;
  }
  std::vector<int64_t> shape;
  for (const Dim &d : result->type().shape)
    shape.push_back(d.value());
  Expected<Node *> reshape =
      rewriter.addNode(OpKind::Reshape, {x}, {{"shape", shape}},
                       transpose->name(), result->name());
  if (!reshape)
    return reshape.error();
  rewriter.replaceAllUsesWith(result, (*reshape)->result());
  return true;
}

/// x+0, 0+x, x-0, x*1, 1*x, x/1.
bool simplifyArithmeticIdentity(Rewriter &rewriter, Node *node) {
  auto isSplat = [](const Value *value, double expected) {
    std::optional<double> splat = splatValue(value);
    return splat && *splat == expected;
  };
  Value *lhs = node->operand(0);
  Value *rhs = node->operand(1);
  double neutral =
      node->kind() == OpKind::Add || node->kind() == OpKind::Sub ? 0.0 : 1.0;
  bool commutative = node->kind() == OpKind::Add || node->kind() == OpKind::Mul;
  if (isSplat(rhs, neutral) && forwardTo(rewriter, node, lhs))
    return true;
  return commutative && isSplat(lhs, neutral) && forwardTo(rewriter, node, rhs);
}

bool isNoOpSlice(const Node &slice) {
  for (int64_t step : slice.intsAttr("steps"))
    if (step != 1)
      return false;
  return slice.result()->type() == slice.operand(0)->type();
}

bool hasNoPadding(const Node &pad) {
  for (int64_t amount : pad.intsAttr("pads"))
    if (amount != 0)
      return false;
  return true;
}

/// Applies the first rule that matches `node`; true when it changed.
Expected<bool> simplifyNode(Rewriter &rewriter, Node *node) {
  Value *x = node->numOperands() ? node->operand(0) : nullptr;
  switch (node->kind()) {
  case OpKind::BatchNorm:
    return simplifyBatchNorm(rewriter, node);
  case OpKind::Reshape:
    return simplifyReshape(rewriter, node);
  case OpKind::Transpose:
    if (simplifyTranspose(rewriter, node))
      return true;
    return transposeToReshape(rewriter, node);
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
    return simplifyArithmeticIdentity(rewriter, node);
  case OpKind::Cast:
  case OpKind::Expand:
    return forwardTo(rewriter, node, x);
  case OpKind::Slice:
    return isNoOpSlice(*node) && forwardTo(rewriter, node, x);
  case OpKind::Pad:
    return hasNoPadding(*node) && forwardTo(rewriter, node, x);
  case OpKind::Concat:
    return node->numOperands() == 1 && forwardTo(rewriter, node, x);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ReduceProd:
    return node->intsAttr("axes").empty() && forwardTo(rewriter, node, x);
  default:
    return false;
  }
}

} // namespace

Status simplifyAlgebra(Graph &graph) {
  // Rules look only at a node and its producers, and a rewrite orphans only
  // nodes at or before the one being visited.
  return sweepNodes(graph, simplifyNode, kMaxSweeps);
}

} // namespace mlc
