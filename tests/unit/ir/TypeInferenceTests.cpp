// Unit tests of the op type rules (inferResultTypes): result shapes and
// dtypes, broadcasting with symbolic dims, and the error for each kind of
// invalid operand or attribute.
#include "ir/Graph.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace mlc;

namespace {

TensorType t(DType dtype, Shape shape) { return TensorType{dtype, shape}; }
TensorType f32(std::vector<int64_t> extents) {
  return TensorType{DType::F32, makeShape(extents)};
}
Dim sym(const std::string &name) { return Dim::symbol(name); }

Expected<TensorType> infer(OpKind kind, std::vector<TensorType> operands,
                           AttributeMap attrs = {}) {
  Expected<std::vector<TensorType>> types =
      inferResultTypes(kind, operands, attrs);
  if (!types.ok())
    return types.error();
  REQUIRE(types->size() == 1);
  return (*types)[0];
}

std::string inferError(OpKind kind, std::vector<TensorType> operands,
                       AttributeMap attrs = {}) {
  Expected<TensorType> type = infer(kind, std::move(operands), attrs);
  REQUIRE_FALSE(type.ok());
  return type.message();
}

std::string show(const Expected<TensorType> &type) {
  return type.ok() ? typeToString(*type) : "error: " + type.message();
}

using Ints = std::vector<int64_t>;
constexpr int64_t kTwo62 = int64_t{1} << 62;

} // namespace

TEST_CASE("type rules: elementwise broadcasting", "[type]") {
  CHECK(show(infer(OpKind::Add, {f32({2, 1}), f32({3})})) == "f32[2,3]");
  CHECK(show(infer(OpKind::Add, {f32({}), f32({4, 5})})) == "f32[4,5]");
  CHECK(inferError(OpKind::Add, {f32({2, 3}), f32({2, 4})}) ==
        "cannot broadcast 3 and 4 at dim 1");
  CHECK(inferError(OpKind::Mul, {f32({5, 2, 3}), f32({4, 1})}) ==
        "cannot broadcast 2 and 4 at dim 1");
}

TEST_CASE("type rules: broadcasting with symbolic dims", "[type]") {
  TensorType a = t(DType::F32, {sym("n"), Dim(3)});
  CHECK(show(infer(OpKind::Add, {a, f32({1, 3})})) == "f32[?n,3]");
  CHECK(show(infer(OpKind::Add, {a, f32({3})})) == "f32[?n,3]");
  CHECK(show(infer(OpKind::Add, {a, a})) == "f32[?n,3]");
  CHECK(inferError(OpKind::Add, {a, t(DType::F32, {sym("m"), Dim(3)})}) ==
        "cannot broadcast ?n and ?m at dim 0");
  CHECK(inferError(OpKind::Add, {a, f32({4, 3})}) ==
        "cannot broadcast ?n and 4 at dim 0");
  CHECK(show(infer(OpKind::Where,
                   {t(DType::Bool, {Dim(1)}), a, f32({1, 1})})) == "f32[?n,3]");
}

TEST_CASE("type rules: elementwise dtypes", "[type]") {
  TensorType i64 = t(DType::I64, makeShape({2}));
  TensorType b = t(DType::Bool, makeShape({2}));
  CHECK(inferError(OpKind::Add, {f32({2}), i64}) ==
        "operand 1 has dtype i64, expected f32");
  CHECK(inferError(OpKind::Exp, {i64}) ==
        "operand 0 has dtype i64, expected float");
  CHECK(inferError(OpKind::Neg, {t(DType::U8, makeShape({2}))}) ==
        "operand 0 has dtype u8, expected signed int or float");
  CHECK(inferError(OpKind::Not, {f32({2})}) ==
        "operand 0 has dtype f32, expected int or bool");
  CHECK(show(infer(OpKind::Not, {i64})) == "i64[2]");
  CHECK(show(infer(OpKind::Xor, {i64, i64})) == "i64[2]");
  CHECK(show(infer(OpKind::Shr, {i64, i64})) == "i64[2]");
  CHECK(inferError(OpKind::Shl, {b, b}) ==
        "operand 0 has dtype bool, expected int");
  CHECK(inferError(OpKind::Or, {f32({2}), f32({2})}) ==
        "operand 0 has dtype f32, expected int or bool");
  CHECK(show(infer(OpKind::Mod, {f32({2}), f32({2})})) == "f32[2]");
  CHECK(inferError(OpKind::Fmod, {b, b}) ==
        "operand 0 has dtype bool, expected int or float");
  CHECK(inferError(OpKind::Add, {b, b}) ==
        "operand 0 has dtype bool, expected int or float");
  CHECK(inferError(OpKind::Pow, {i64, i64}) ==
        "operand 0 has dtype i64, expected float");
  CHECK(show(infer(OpKind::Less, {i64, i64})) == "bool[2]");
  CHECK(show(infer(OpKind::Equal, {b, b})) == "bool[2]");
  CHECK(show(infer(OpKind::And, {b, b})) == "bool[2]");
  CHECK(inferError(OpKind::Less, {b, b}) ==
        "operand 0 has dtype bool, expected int or float");
  CHECK(inferError(OpKind::Where, {f32({2}), f32({2}), f32({2})}) ==
        "operand 0 has dtype f32, expected bool");
  CHECK(inferError(OpKind::Where, {b, f32({2}), i64}) ==
        "operand 2 has dtype i64, expected f32");
  CHECK(show(infer(OpKind::Where, {b, i64, i64})) == "i64[2]");
  CHECK(show(infer(OpKind::Abs, {t(DType::U16, makeShape({3}))})) ==
        "u16[3]");
}

TEST_CASE("type rules: operand counts", "[type]") {
  CHECK(inferError(OpKind::Add, {f32({2})}) ==
        "add expects 2 operands, got 1");
  CHECK(inferError(OpKind::Conv, {f32({1, 1, 3})}) ==
        "conv expects 2 to 3 operands, got 1");
}

TEST_CASE("type rules: unary attributes", "[type]") {
  CHECK(inferError(OpKind::Clip, {f32({2})}, {{"max", 1.0}}) ==
        "missing attribute 'min'");
  CHECK(inferError(OpKind::Clip, {f32({2})}, {{"min", int64_t{0}}, {"max", 1.0}}) ==
        "attribute 'min' must be a float");
  CHECK(show(infer(OpKind::Clip, {t(DType::I32, makeShape({2}))},
                   {{"min", 0.0}, {"max", 6.0}})) == "i32[2]");
  CHECK(inferError(OpKind::LeakyRelu, {f32({2})}) ==
        "missing attribute 'alpha'");
  CHECK(show(infer(OpKind::Cast, {f32({2, 2})}, {{"to", DType::F16}})) ==
        "f16[2,2]");
  CHECK(inferError(OpKind::Cast, {f32({2})}, {{"to", std::string("f16")}}) ==
        "attribute 'to' must be a dtype");
}

TEST_CASE("type rules: constant", "[type]") {
  std::vector<uint8_t> bytes(8, 0);
  TensorData data = *makeTensorData(
      TensorType{DType::I32, makeShape({2})}, bytes);
  CHECK(show(infer(OpKind::Constant, {}, {{"value", data}})) == "i32[2]");
  CHECK(inferError(OpKind::Constant, {}) == "missing attribute 'value'");
  CHECK(inferError(OpKind::Constant, {}, {{"value", 1.0}}) ==
        "attribute 'value' must be a tensor");
}

TEST_CASE("type rules: matmul", "[type]") {
  CHECK(show(infer(OpKind::MatMul, {f32({2, 3}), f32({3, 4})})) == "f32[2,4]");
  CHECK(show(infer(OpKind::MatMul, {f32({5, 1, 2, 3}), f32({7, 3, 4})})) ==
        "f32[5,7,2,4]");
  CHECK(show(infer(OpKind::MatMul, {t(DType::F32, {sym("b"), sym("s"), Dim(8)}),
                                    f32({8, 16})})) == "f32[?b,?s,16]");
  CHECK(inferError(OpKind::MatMul, {f32({2, 3}), f32({4, 5})}) ==
        "matmul contraction dims differ: 3 and 4");
  CHECK(inferError(OpKind::MatMul, {f32({3}), f32({3, 4})}) ==
        "operand 0 of matmul must have rank >= 2, got 1");
  CHECK(inferError(OpKind::MatMul, {f32({2, 2, 3}), f32({3, 3, 4})}) ==
        "cannot broadcast 2 and 3 at dim 0");
}

namespace {
AttributeMap convAttrs(Ints strides, Ints pads, Ints dilations,
                       int64_t group = 1) {
  return {{"strides", strides},
          {"pads", pads},
          {"dilations", dilations},
          {"group", group}};
}
} // namespace

TEST_CASE("type rules: conv", "[type]") {
  AttributeMap plain = convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1});
  CHECK(show(infer(OpKind::Conv, {f32({1, 3, 5, 5}), f32({8, 3, 3, 3})},
                   plain)) == "f32[1,8,3,3]");
  CHECK(show(infer(OpKind::Conv,
                   {f32({2, 3, 224, 224}), f32({64, 3, 7, 7}), f32({64})},
                   convAttrs({2, 2}, {3, 3, 3, 3}, {1, 1}))) ==
        "f32[2,64,112,112]");
  // Asymmetric pads and dilation: (10 + 1 + 2 - 2*2 - 1)/3 + 1 = 3.
  CHECK(show(infer(OpKind::Conv, {f32({1, 1, 10}), f32({1, 1, 3})},
                   convAttrs({3}, {1, 2}, {2}))) == "f32[1,1,3]");
  CHECK(show(infer(OpKind::Conv, {f32({1, 4, 2, 2, 2}), f32({6, 2, 1, 1, 1})},
                   convAttrs({1, 1, 1}, {0, 0, 0, 0, 0, 0}, {1, 1, 1}, 2))) ==
        "f32[1,6,2,2,2]");
  CHECK(show(infer(OpKind::Conv,
                   {t(DType::F32, {sym("n"), Dim(3), Dim(5), Dim(5)}),
                    f32({8, 3, 3, 3})},
                   plain)) == "f32[?n,8,3,3]");
  CHECK(inferError(OpKind::Conv, {f32({1, 3, 5, 5}), f32({8, 2, 3, 3})},
                   plain) == "weight has 2 input channels per group, expected 3");
  CHECK(inferError(OpKind::Conv, {f32({1, 6, 5, 5}), f32({8, 2, 3, 3})},
                   convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 4)) ==
        "input channels 6 not divisible by group 4");
  CHECK(inferError(OpKind::Conv, {f32({1, 6, 5, 5}), f32({4, 2, 3, 3})},
                   convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 3)) ==
        "output channels 4 not divisible by group 3");
  CHECK(inferError(OpKind::Conv,
                   {f32({1, 3, 5, 5}), f32({8, 3, 3, 3}), f32({7})}, plain) ==
        "bias has 7 elements, expected 8");
  CHECK(inferError(OpKind::Conv, {f32({1, 3, 5, 5}), f32({8, 3, 3, 3})},
                   convAttrs({1}, {0, 0, 0, 0}, {1, 1})) ==
        "attribute 'strides' must have 2 elements, got 1");
  CHECK(inferError(OpKind::Conv, {f32({1, 3, 5, 5}), f32({8, 3, 3, 3})},
                   convAttrs({0, 1}, {0, 0, 0, 0}, {1, 1})) ==
        "attribute 'strides' must have elements >= 1, got [0, 1]");
  CHECK(inferError(OpKind::Conv, {f32({1, 3, 5, 5}), f32({8, 3, 3, 3})},
                   convAttrs({1, 1}, {0, -1, 0, 0}, {1, 1})) ==
        "attribute 'pads' must have elements >= 0, got [0, -1, 0, 0]");
  CHECK(inferError(OpKind::Conv, {f32({1, 3, 2, 5}), f32({8, 3, 3, 3})},
                   plain) ==
        "window extent 3 exceeds padded input extent 2 at spatial dim 0");
  CHECK(inferError(OpKind::Conv,
                   {t(DType::F32, {Dim(1), Dim(3), sym("h"), Dim(5)}),
                    f32({8, 3, 3, 3})},
                   plain) == "dim 2 of operand 0 must be static for now (is ?h)");
  CHECK(inferError(OpKind::Conv, {f32({1, 3}), f32({8, 3})}, plain) ==
        "conv input must have rank 3 to 5, got 2");
  CHECK(inferError(OpKind::Conv,
                   {t(DType::I32, makeShape({1, 3, 5, 5})),
                    t(DType::I32, makeShape({8, 3, 3, 3}))},
                   plain) == "operand 0 has dtype i32, expected float");
  AttributeMap noGroup = plain;
  noGroup.erase("group");
  CHECK(inferError(OpKind::Conv, {f32({1, 3, 5, 5}), f32({8, 3, 3, 3})},
                   noGroup) == "missing attribute 'group'");
}

namespace {
AttributeMap poolAttrs(Ints kernel, Ints strides, Ints pads, int64_t ceil) {
  Ints dil(kernel.size(), 1);
  return {{"kernel", kernel},       {"strides", strides},
          {"pads", pads},           {"dilations", dil},
          {"ceil_mode", ceil},      {"count_include_pad", int64_t{0}}};
}
} // namespace

TEST_CASE("type rules: pools", "[type]") {
  CHECK(show(infer(OpKind::MaxPool, {f32({1, 2, 5})},
                   poolAttrs({2}, {2}, {0, 0}, 0))) == "f32[1,2,2]");
  CHECK(show(infer(OpKind::MaxPool, {f32({1, 2, 5})},
                   poolAttrs({2}, {2}, {0, 0}, 1))) == "f32[1,2,3]");
  // ceil_mode would add a window starting in the end padding: dropped.
  CHECK(show(infer(OpKind::MaxPool, {f32({1, 1, 2})},
                   poolAttrs({2}, {3}, {0, 2}, 1))) == "f32[1,1,1]");
  CHECK(show(infer(OpKind::AvgPool, {f32({1, 1, 6, 6})},
                   poolAttrs({3, 3}, {2, 2}, {1, 1, 1, 1}, 1))) ==
        "f32[1,1,4,4]");
  CHECK(show(infer(OpKind::MaxPool, {t(DType::I8, makeShape({1, 1, 4}))},
                   poolAttrs({2}, {2}, {0, 0}, 0))) == "i8[1,1,2]");
  CHECK(inferError(OpKind::AvgPool, {t(DType::I8, makeShape({1, 1, 4}))},
                   poolAttrs({2}, {2}, {0, 0}, 0)) ==
        "operand 0 has dtype i8, expected float");
  AttributeMap bad = poolAttrs({2}, {2}, {0, 0}, 2);
  CHECK(inferError(OpKind::MaxPool, {f32({1, 1, 4})}, bad) ==
        "attribute 'ceil_mode' must be 0 or 1, got 2");
  AttributeMap noCount = poolAttrs({2}, {2}, {0, 0}, 0);
  noCount.erase("count_include_pad");
  CHECK(inferError(OpKind::AvgPool, {f32({1, 1, 4})}, noCount) ==
        "missing attribute 'count_include_pad'");
  CHECK(inferError(OpKind::MaxPool, {f32({1, 1, 4})},
                   poolAttrs({0}, {2}, {0, 0}, 0)) ==
        "attribute 'kernel' must have elements >= 1, got [0]");
}

TEST_CASE("type rules: reductions and arg_max", "[type]") {
  AttributeMap keep{{"axes", Ints{1}}, {"keepdims", int64_t{1}}};
  AttributeMap drop{{"axes", Ints{0, 2}}, {"keepdims", int64_t{0}}};
  CHECK(show(infer(OpKind::ReduceSum, {f32({2, 3, 4})}, keep)) == "f32[2,1,4]");
  CHECK(show(infer(OpKind::ReduceMax, {f32({2, 3, 4})}, drop)) == "f32[3]");
  CHECK(show(infer(OpKind::ReduceMean,
                   {t(DType::F32, {sym("n"), Dim(3), Dim(4)})}, keep)) ==
        "f32[?n,1,4]");
  CHECK(show(infer(OpKind::ReduceProd, {f32({2, 3})},
                   {{"axes", Ints{}}, {"keepdims", int64_t{0}}})) ==
        "f32[2,3]");
  CHECK(inferError(OpKind::ReduceSum, {f32({2, 3, 4})},
                   {{"axes", Ints{2, 1}}, {"keepdims", int64_t{0}}}) ==
        "attribute 'axes' must be sorted and unique, got [2, 1]");
  CHECK(inferError(OpKind::ReduceSum, {f32({2, 3, 4})},
                   {{"axes", Ints{3}}, {"keepdims", int64_t{0}}}) ==
        "attribute 'axes' has 3, expected values in [0, 3)");
  CHECK(inferError(OpKind::ReduceMin, {t(DType::Bool, makeShape({2}))},
                   {{"axes", Ints{0}}, {"keepdims", int64_t{0}}}) ==
        "operand 0 has dtype bool, expected int or float");
  AttributeMap arg{{"axis", int64_t{1}},
                   {"keepdims", int64_t{0}},
                   {"select_last_index", int64_t{0}}};
  CHECK(show(infer(OpKind::ArgMax, {f32({2, 3, 4})}, arg)) == "i64[2,4]");
  arg["keepdims"] = int64_t{1};
  CHECK(show(infer(OpKind::ArgMax, {f32({2, 3, 4})}, arg)) == "i64[2,1,4]");
  arg["axis"] = int64_t{3};
  CHECK(inferError(OpKind::ArgMax, {f32({2, 3, 4})}, arg) ==
        "attribute 'axis' is 3, expected 0 <= axis < 3");
}

TEST_CASE("type rules: normalizations", "[type]") {
  CHECK(show(infer(OpKind::Softmax, {t(DType::F16, {sym("b"), Dim(10)})},
                   {{"axis", int64_t{1}}})) == "f16[?b,10]");
  CHECK(inferError(OpKind::Softmax, {f32({2, 3})}, {{"axis", int64_t{2}}}) ==
        "attribute 'axis' is 2, expected 0 <= axis < 2");
  CHECK(inferError(OpKind::LogSoftmax, {t(DType::I32, makeShape({2}))},
                   {{"axis", int64_t{0}}}) ==
        "operand 0 has dtype i32, expected float");
  AttributeMap ln{{"axis", int64_t{2}}, {"epsilon", 1e-5}};
  TensorType x = t(DType::F32, {sym("b"), sym("s"), Dim(8)});
  CHECK(show(infer(OpKind::LayerNorm, {x, f32({8}), f32({8})}, ln)) ==
        "f32[?b,?s,8]");
  CHECK(show(infer(OpKind::LayerNorm, {f32({2, 3, 4}), f32({1, 4})},
                   {{"axis", int64_t{1}}, {"epsilon", 1e-5}})) ==
        "f32[2,3,4]");
  CHECK(inferError(OpKind::LayerNorm, {x, f32({4})}, ln) ==
        "operand 1 of shape 4 does not broadcast to 8");
  CHECK(inferError(OpKind::LayerNorm, {x, f32({2, 8})}, ln) ==
        "operand 1 of shape 2x8 does not broadcast to 8");
  std::vector<TensorType> bn{f32({1, 3, 4, 4}), f32({3}), f32({3}), f32({3}),
                             f32({3})};
  CHECK(show(infer(OpKind::BatchNorm, bn, {{"epsilon", 1e-5}})) ==
        "f32[1,3,4,4]");
  bn[4] = f32({4});
  CHECK(inferError(OpKind::BatchNorm, bn, {{"epsilon", 1e-5}}) ==
        "operand 4 has 4 elements, expected 3");
}

TEST_CASE("type rules: reshape and expand", "[type]") {
  CHECK(show(infer(OpKind::Reshape, {f32({2, 3})}, {{"shape", Ints{3, 1, 2}}})) ==
        "f32[3,1,2]");
  CHECK(inferError(OpKind::Reshape, {f32({2, 3})}, {{"shape", Ints{4, 2}}}) ==
        "cannot reshape 6 elements to [4, 2] (8 elements)");
  CHECK(inferError(OpKind::Reshape, {f32({8})}, {{"shape", Ints{kTwo62, 4}}}) ==
        "reshape target [4611686018427387904, 4] has too many elements");
  CHECK(inferError(OpKind::Reshape, {f32({2})}, {{"shape", Ints{-1, 2}}}) ==
        "attribute 'shape' must have elements >= 0, got [-1, 2]");
  CHECK(inferError(OpKind::Reshape, {t(DType::F32, {sym("n"), Dim(2)})},
                   {{"shape", Ints{2, 2}}}) ==
        "cannot reshape ?nx2 to 2x2 (the element counts differ)");
  // With symbols, the counts compare as a constant times the symbols.
  CHECK(
      show(infer(OpKind::Reshape, {t(DType::F32, {Dim(1), sym("n"), Dim(768)})},
                 {{"shape", Shape{Dim(1), sym("n"), Dim(12), Dim(64)}}})) ==
      "f32[1,?n,12,64]");
  CHECK(show(infer(OpKind::Slice, {f32({512, 4})},
                   {{"starts", Ints{0, 0}},
                    {"ends", Shape{sym("n"), Dim(4)}},
                    {"steps", Ints{1, 1}}})) == "f32[?n,4]");
  CHECK(show(infer(OpKind::Expand, {f32({3, 1})}, {{"shape", Ints{2, 1, 4}}})) ==
        "f32[2,3,4]");
  CHECK(inferError(OpKind::Expand, {f32({3, 2})}, {{"shape", Ints{4, 1}}}) ==
        "cannot broadcast 3 and 4 at dim 0");
  CHECK(inferError(OpKind::Expand, {f32({1, 1})}, {{"shape", Ints{kTwo62, 4}}}) ==
        "result shape 4611686018427387904x4 is too large (element count "
        "overflows int64)");
  CHECK(inferError(OpKind::Expand, {f32({1})},
                   {{"shape", Ints{int64_t{1} << 61}}}) ==
        "result shape 2305843009213693952 is too large (byte size overflows "
        "int64)");
  CHECK(show(infer(OpKind::Expand, {t(DType::I8, {sym("n"), Dim(1)})},
                   {{"shape", Ints{1, 5}}})) == "i8[?n,5]");
}

TEST_CASE("type rules: transpose, concat, slice, gather, pad", "[type]") {
  TensorType x = t(DType::F32, {sym("n"), Dim(3), Dim(4)});
  CHECK(show(infer(OpKind::Transpose, {x}, {{"perm", Ints{2, 0, 1}}})) ==
        "f32[4,?n,3]");
  CHECK(inferError(OpKind::Transpose, {x}, {{"perm", Ints{0, 0, 1}}}) ==
        "attribute 'perm' is not a permutation: [0, 0, 1]");
  CHECK(inferError(OpKind::Transpose, {x}, {{"perm", Ints{0, 1}}}) ==
        "attribute 'perm' must have 3 elements, got 2");

  CHECK(show(infer(OpKind::Concat, {x, x, x}, {{"axis", int64_t{2}}})) ==
        "f32[?n,3,12]");
  CHECK(inferError(OpKind::Concat, {x, t(DType::F32, {sym("n"), Dim(2), Dim(4)})},
                   {{"axis", int64_t{2}}}) ==
        "operand 1 has dim 1 = 2, expected 3");
  CHECK(inferError(OpKind::Concat, {x, x}, {{"axis", int64_t{0}}}) ==
        "concat axis dims must be static for now");
  CHECK(inferError(OpKind::Concat, {x, f32({1, 3})}, {{"axis", int64_t{0}}}) ==
        "operand 1 must have rank 3, got 2");

  AttributeMap s{{"starts", Ints{4, 0}},
                 {"ends", Ints{-1, 3}},
                 {"steps", Ints{-2, 2}}};
  CHECK(show(infer(OpKind::Slice, {f32({5, 3})}, s)) == "f32[3,2]");
  s["steps"] = Ints{0, 1};
  CHECK(inferError(OpKind::Slice, {f32({5, 3})}, s) ==
        "slice step must be non-zero at dim 0 (extent 5)");
  s["steps"] = Ints{1, 1};
  CHECK(inferError(OpKind::Slice, {f32({5, 3})}, s) ==
        "slice bounds 4:-1 out of range at dim 0 (extent 5)");
  CHECK(show(infer(OpKind::Slice, {f32({5})},
                   {{"starts", Ints{3}}, {"ends", Ints{1}}, {"steps", Ints{1}}})) ==
        "f32[0]");

  TensorType idx = t(DType::I32, {sym("k")});
  CHECK(show(infer(OpKind::Gather, {x, idx}, {{"axis", int64_t{1}}})) ==
        "f32[?n,?k,4]");
  CHECK(show(infer(OpKind::Gather, {f32({5, 6}), t(DType::I64, {})},
                   {{"axis", int64_t{0}}})) == "f32[6]");
  CHECK(inferError(OpKind::Gather, {x, f32({2})}, {{"axis", int64_t{1}}}) ==
        "operand 1 has dtype f32, expected i32 or i64");
  CHECK(show(infer(OpKind::GatherElements, {f32({5, 6}), t(DType::I64, {2, 9})},
                   {{"axis", int64_t{1}}})) == "f32[2,9]");
  CHECK(inferError(OpKind::GatherElements,
                   {f32({5, 6}), t(DType::I64, {2, 7})},
                   {{"axis", int64_t{0}}}) ==
        "indices dim 1 (7) exceeds the data dim (6)");
  CHECK(inferError(OpKind::GatherElements, {f32({5, 6}), t(DType::I32, {2})},
                   {{"axis", int64_t{0}}}) ==
        "indices rank 1 differs from the data rank 2");

  AttributeMap p{{"pads", Ints{0, 1, 2, 0, 3, 4}},
                 {"mode", std::string("constant")},
                 {"value", 0.0}};
  CHECK(show(infer(OpKind::Pad, {x}, p)) == "f32[?n,7,10]");
  p["mode"] = std::string("wrap");
  CHECK(inferError(OpKind::Pad, {x}, p) ==
        "attribute 'mode' must be \"constant\", \"reflect\" or \"edge\", got "
        "\"wrap\"");
  p["mode"] = std::string("reflect");
  CHECK(inferError(OpKind::Pad, {x}, p) ==
        "reflect pads must be smaller than the dim at dim 1");
  p["pads"] = Ints{1, 0, 0, 0, 0, 0};
  CHECK(inferError(OpKind::Pad, {x}, p) ==
        "dim 0 of operand 0 must be static for now (is ?n)");
}

TEST_CASE("type rules: attribute kinds", "[type]") {
  CHECK(inferError(OpKind::Softmax, {f32({2})}, {{"axis", 1.0}}) ==
        "attribute 'axis' must be an integer");
  CHECK(inferError(OpKind::Transpose, {f32({2})}, {{"perm", int64_t{0}}}) ==
        "attribute 'perm' must be an integer list");
  CHECK(inferError(OpKind::Pad, {f32({2})},
                   {{"pads", Ints{0, 0}}, {"mode", int64_t{0}}, {"value", 0.0}}) ==
        "attribute 'mode' must be a string");
}
