// The closed op set of the IR, in one list. docs/ir.md specifies each op.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mlc {

/// Every op the IR knows. Adding an op means: an entry here and in kOpInfos
/// (Ops.cpp), a type rule (TypeInference.cpp), a reference implementation
/// (Interpreter.cpp), a section in docs/ir.md and test cases.
enum class OpKind : uint16_t {
  // Graph-level.
  Constant,
  // Elementwise unary.
  Neg,
  Abs,
  Exp,
  Log,
  Sqrt,
  Reciprocal,
  Tanh,
  Sigmoid,
  Relu,
  Erf,
  Floor,
  Ceil,
  Sin,
  Cos,
  Asin,
  Acos,
  Atan,
  Asinh,
  Acosh,
  Atanh,
  Round,
  Not,
  Clip,
  LeakyRelu,
  Cast,
  BitCast,
  // Elementwise binary, numpy broadcasting.
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  Equal,
  Less,
  Greater,
  And,
  Or,
  Xor,
  Shl,
  Shr,
  Mod,
  Fmod,
  // Elementwise ternary.
  Where,
  // Contractions.
  MatMul,
  Conv,
  // Windows and reductions.
  MaxPool,
  AvgPool,
  ReduceSum,
  ReduceMean,
  ReduceMax,
  ReduceMin,
  ReduceProd,
  ArgMax,
  Softmax,
  LogSoftmax,
  LayerNorm,
  BatchNorm,
  // Data movement.
  Reshape,
  Transpose,
  Concat,
  Slice,
  Gather,
  GatherElements,
  Expand,
  Pad,
  // Generators (no operands; shapes and values may come from symbols).
  Iota,
  SymbolValues,
  // Strings (run by the runtime's host functions, never fused).
  StringEqual,
  StringIndex,
  StringConcat,
  StringCase,
  RegexFullMatch,
  StringSplit,
  StringSplitCount,
};

/// How an op relates its operands to its result; drives fusion and codegen.
enum class OpClass : uint8_t {
  Constant,
  ElementwiseUnary,
  ElementwiseBinary,
  ElementwiseTernary,
  Contraction,
  Window,
  Reduction,
  Normalization,
  DataMovement,
  /// Runs on the host through the runtime's functions (the string ops): a
  /// kernel of its own, no fusion.
  Host,
};

/// Static facts about one op.
struct OpInfo {
  OpKind kind;
  /// Name in the textual IR, e.g. "max_pool".
  std::string_view name;
  OpClass opClass;
  /// Operand count range; optional trailing operands may be absent.
  uint8_t minOperands;
  uint8_t maxOperands;
};

/// Facts about `kind`.
const OpInfo &opInfo(OpKind kind);
/// The textual name of `kind`.
std::string_view opName(OpKind kind);
/// Looks an op up by its textual name.
std::optional<OpKind> parseOpKind(std::string_view name);
/// Number of ops in the IR.
int numOpKinds();
/// True for the three elementwise classes.
bool isElementwise(OpKind kind);
/// True for the ops of OpClass::Host.
bool isHostOp(OpKind kind);

} // namespace mlc
