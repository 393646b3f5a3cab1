// The op table: one entry per OpKind, in enum order.
#include "ir/Ops.h"

#include <array>

namespace mlc {

namespace {
using C = OpClass;
using K = OpKind;

constexpr uint8_t kVariadic = 255;

constexpr OpInfo kOpInfos[] = {
    {K::Constant, "constant", C::Constant, 0, 0},
    {K::Neg, "neg", C::ElementwiseUnary, 1, 1},
    {K::Abs, "abs", C::ElementwiseUnary, 1, 1},
    {K::Exp, "exp", C::ElementwiseUnary, 1, 1},
    {K::Log, "log", C::ElementwiseUnary, 1, 1},
    {K::Sqrt, "sqrt", C::ElementwiseUnary, 1, 1},
    {K::Reciprocal, "reciprocal", C::ElementwiseUnary, 1, 1},
    {K::Tanh, "tanh", C::ElementwiseUnary, 1, 1},
    {K::Sigmoid, "sigmoid", C::ElementwiseUnary, 1, 1},
    {K::Relu, "relu", C::ElementwiseUnary, 1, 1},
    {K::Erf, "erf", C::ElementwiseUnary, 1, 1},
    {K::Floor, "floor", C::ElementwiseUnary, 1, 1},
    {K::Ceil, "ceil", C::ElementwiseUnary, 1, 1},
    {K::Sin, "sin", C::ElementwiseUnary, 1, 1},
    {K::Cos, "cos", C::ElementwiseUnary, 1, 1},
    {K::Asin, "asin", C::ElementwiseUnary, 1, 1},
    {K::Acos, "acos", C::ElementwiseUnary, 1, 1},
    {K::Atan, "atan", C::ElementwiseUnary, 1, 1},
    {K::Asinh, "asinh", C::ElementwiseUnary, 1, 1},
    {K::Acosh, "acosh", C::ElementwiseUnary, 1, 1},
    {K::Atanh, "atanh", C::ElementwiseUnary, 1, 1},
    {K::Round, "round", C::ElementwiseUnary, 1, 1},
    {K::Not, "not", C::ElementwiseUnary, 1, 1},
    {K::Clip, "clip", C::ElementwiseUnary, 1, 1},
    {K::LeakyRelu, "leaky_relu", C::ElementwiseUnary, 1, 1},
    {K::Cast, "cast", C::ElementwiseUnary, 1, 1},
    {K::BitCast, "bitcast", C::ElementwiseUnary, 1, 1},
    {K::Add, "add", C::ElementwiseBinary, 2, 2},
    {K::Sub, "sub", C::ElementwiseBinary, 2, 2},
    {K::Mul, "mul", C::ElementwiseBinary, 2, 2},
    {K::Div, "div", C::ElementwiseBinary, 2, 2},
    {K::Pow, "pow", C::ElementwiseBinary, 2, 2},
    {K::Max, "max", C::ElementwiseBinary, 2, 2},
    {K::Min, "min", C::ElementwiseBinary, 2, 2},
    {K::Equal, "equal", C::ElementwiseBinary, 2, 2},
    {K::Less, "less", C::ElementwiseBinary, 2, 2},
    {K::Greater, "greater", C::ElementwiseBinary, 2, 2},
    {K::And, "and", C::ElementwiseBinary, 2, 2},
    {K::Or, "or", C::ElementwiseBinary, 2, 2},
    {K::Xor, "xor", C::ElementwiseBinary, 2, 2},
    {K::Shl, "shl", C::ElementwiseBinary, 2, 2},
    {K::Shr, "shr", C::ElementwiseBinary, 2, 2},
    {K::Mod, "mod", C::ElementwiseBinary, 2, 2},
    {K::Fmod, "fmod", C::ElementwiseBinary, 2, 2},
    {K::Where, "where", C::ElementwiseTernary, 3, 3},
    {K::MatMul, "matmul", C::Contraction, 2, 2},
    {K::Conv, "conv", C::Contraction, 2, 3},
    {K::MaxPool, "max_pool", C::Window, 1, 1},
    {K::AvgPool, "avg_pool", C::Window, 1, 1},
    {K::ReduceSum, "reduce_sum", C::Reduction, 1, 1},
    {K::ReduceMean, "reduce_mean", C::Reduction, 1, 1},
    {K::ReduceMax, "reduce_max", C::Reduction, 1, 1},
    {K::ReduceMin, "reduce_min", C::Reduction, 1, 1},
    {K::ReduceProd, "reduce_prod", C::Reduction, 1, 1},
    {K::ArgMax, "arg_max", C::Reduction, 1, 1},
    {K::Softmax, "softmax", C::Normalization, 1, 1},
    {K::LogSoftmax, "log_softmax", C::Normalization, 1, 1},
    {K::LayerNorm, "layer_norm", C::Normalization, 2, 3},
    {K::BatchNorm, "batch_norm", C::Normalization, 5, 5},
    {K::Reshape, "reshape", C::DataMovement, 1, 1},
    {K::Transpose, "transpose", C::DataMovement, 1, 1},
    {K::Concat, "concat", C::DataMovement, 1, kVariadic},
    {K::Slice, "slice", C::DataMovement, 1, 1},
    {K::Gather, "gather", C::DataMovement, 2, 2},
    {K::GatherElements, "gather_elements", C::DataMovement, 2, 2},
    {K::Expand, "expand", C::DataMovement, 1, 1},
    {K::Pad, "pad", C::DataMovement, 1, 1},
    {K::Iota, "iota", C::DataMovement, 0, 0},
    {K::SymbolValues, "symbol_values", C::DataMovement, 0, 0},
    {K::StringEqual, "string_equal", C::Host, 2, 2},
    {K::StringIndex, "string_index", C::Host, 1, 1},
    {K::StringConcat, "string_concat", C::Host, 2, 2},
    {K::StringCase, "string_case", C::Host, 1, 1},
    {K::RegexFullMatch, "regex_full_match", C::Host, 1, 1},
    {K::StringSplit, "string_split", C::Host, 1, 1},
    {K::StringSplitCount, "string_split_count", C::Host, 1, 1},
};

constexpr int kNumOps = sizeof(kOpInfos) / sizeof(kOpInfos[0]);
static_assert(kNumOps == static_cast<int>(K::StringSplitCount) + 1,
              "kOpInfos must have one entry per OpKind");

constexpr bool tableInEnumOrder() {
  for (int i = 0; i < kNumOps; ++i)
    if (static_cast<int>(kOpInfos[i].kind) != i)
      return false;
  return true;
}
static_assert(tableInEnumOrder(), "kOpInfos must be in OpKind order");
} // namespace

const OpInfo &opInfo(OpKind kind) { return kOpInfos[static_cast<int>(kind)]; }

std::string_view opName(OpKind kind) { return opInfo(kind).name; }

std::optional<OpKind> parseOpKind(std::string_view name) {
  for (const OpInfo &info : kOpInfos)
    if (info.name == name)
      return info.kind;
  return std::nullopt;
}

int numOpKinds() { return kNumOps; }

bool isHostOp(OpKind kind) { return opInfo(kind).opClass == OpClass::Host; }

bool isElementwise(OpKind kind) {
  OpClass c = opInfo(kind).opClass;
  return c == OpClass::ElementwiseUnary || c == OpClass::ElementwiseBinary ||
         c == OpClass::ElementwiseTernary;
}

} // namespace mlc
