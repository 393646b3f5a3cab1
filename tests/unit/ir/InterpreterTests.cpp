// Unit tests of the reference interpreter: every op on small tensors with
// hand-computed expected values, plus dtype conversions and error paths.
#include "ir/Interpreter.h"
#include "ir/Parser.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlc;

namespace {

using Ints = std::vector<int64_t>;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

template <typename T>
TensorData tensor(DType dtype, Ints shape, const std::vector<T> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!values.empty())
    std::memcpy(bytes.data(), values.data(), bytes.size());
  Expected<TensorData> data =
      makeTensorData(TensorType{dtype, makeShape(shape)}, std::move(bytes));
  REQUIRE(data.ok());
  return *data;
}

TensorData f32(Ints shape, std::vector<float> v) {
  return tensor(DType::F32, shape, v);
}
TensorData f64(Ints shape, std::vector<double> v) {
  return tensor(DType::F64, shape, v);
}
TensorData i32(Ints shape, std::vector<int32_t> v) {
  return tensor(DType::I32, shape, v);
}
TensorData i64(Ints shape, std::vector<int64_t> v) {
  return tensor(DType::I64, shape, v);
}
TensorData boolean(Ints shape, std::vector<uint8_t> v) {
  return tensor(DType::Bool, shape, v);
}

template <typename T> std::vector<T> values(const TensorData &data) {
  std::vector<T> out(data.bytes->size() / sizeof(T));
  if (!out.empty())
    std::memcpy(out.data(), data.bytes->data(), data.bytes->size());
  return out;
}

Expected<TensorData> tryRun(OpKind kind, std::vector<TensorData> operands,
                            AttributeMap attrs = {}) {
  std::vector<TensorType> types;
  for (const TensorData &op : operands)
    types.push_back(op.type);
  Expected<std::vector<TensorType>> resultTypes =
      inferResultTypes(kind, types, attrs);
  if (!resultTypes.ok())
    return resultTypes.error();
  Expected<std::vector<TensorData>> results =
      evaluateOp(kind, operands, attrs, *resultTypes);
  if (!results.ok())
    return results.error();
  return (*results)[0];
}

TensorData run(OpKind kind, std::vector<TensorData> operands,
               AttributeMap attrs = {}) {
  Expected<TensorData> result = tryRun(kind, std::move(operands), attrs);
  INFO((result.ok() ? std::string() : result.message()));
  REQUIRE(result.ok());
  return *result;
}

std::string shapeOf(const TensorData &data) { return typeToString(data.type); }

/// Checks floats against expected values with a relative tolerance.
void checkNear(const std::vector<float> &got, const std::vector<double> &want,
               double eps = 1e-6) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).epsilon(eps).margin(1e-7));
  }
}

} // namespace

TEST_CASE("interpreter: constant", "[interp]") {
  TensorData v = i32({2}, {7, -3});
  TensorData r = run(OpKind::Constant, {}, {{"value", v}});
  CHECK(values<int32_t>(r) == std::vector<int32_t>{7, -3});
}

TEST_CASE("interpreter: float unary ops", "[interp]") {
  TensorData x = f32({4}, {-1.5f, 0.0f, 1.0f, 4.0f});
  CHECK(values<float>(run(OpKind::Neg, {x})) ==
        std::vector<float>{1.5f, -0.0f, -1.0f, -4.0f});
  CHECK(values<float>(run(OpKind::Abs, {x})) ==
        std::vector<float>{1.5f, 0.0f, 1.0f, 4.0f});
  CHECK(values<float>(run(OpKind::Relu, {x})) ==
        std::vector<float>{0.0f, 0.0f, 1.0f, 4.0f});
  CHECK(values<float>(run(OpKind::Floor, {x})) ==
        std::vector<float>{-2.0f, 0.0f, 1.0f, 4.0f});
  CHECK(values<float>(run(OpKind::Ceil, {x})) ==
        std::vector<float>{-1.0f, 0.0f, 1.0f, 4.0f});
  CHECK(values<float>(run(OpKind::Round, {f32({5}, {-2.5f, -1.5f, 0.5f, 1.5f, 2.6f})})) ==
        std::vector<float>{-2.0f, -2.0f, 0.0f, 2.0f, 3.0f});
  TensorData u = f32({3}, {-0.5f, 0.0f, 0.5f});
  checkNear(values<float>(run(OpKind::Asin, {u})), {-0.5235988, 0.0, 0.5235988});
  checkNear(values<float>(run(OpKind::Acos, {u})), {2.0943951, 1.5707963, 1.0471976});
  checkNear(values<float>(run(OpKind::Atan, {u})), {-0.4636476, 0.0, 0.4636476});
  checkNear(values<float>(run(OpKind::Asinh, {u})), {-0.4812118, 0.0, 0.4812118});
  checkNear(values<float>(run(OpKind::Atanh, {u})), {-0.5493061, 0.0, 0.5493061});
  checkNear(values<float>(run(OpKind::Acosh, {f32({2}, {1.0f, 2.0f})})), {0.0, 1.3169579});
  CHECK(std::isnan(values<float>(run(OpKind::Asin, {f32({1}, {2.0f})}))[0]));
  checkNear(values<float>(run(OpKind::Exp, {x})),
            {0.22313016014842982, 1.0, 2.718281828459045, 54.598150033144236});
  checkNear(values<float>(run(OpKind::Sqrt, {f32({2}, {4.0f, 2.0f})})),
            {2.0, 1.4142135623730951});
  checkNear(values<float>(run(OpKind::Log, {f32({2}, {1.0f, 10.0f})})),
            {0.0, 2.302585092994046});
  CHECK(values<float>(run(OpKind::Reciprocal, {f32({2}, {4.0f, 0.0f})})) ==
        std::vector<float>{0.25f, kInf});
  checkNear(values<float>(run(OpKind::Tanh, {f32({2}, {0.0f, 1.0f})})),
            {0.0, 0.7615941559557649});
  checkNear(values<float>(run(OpKind::Sigmoid, {f32({3}, {0.0f, 2.0f, -200.0f})})),
            {0.5, 0.8807970779778823, 0.0});
  checkNear(values<float>(run(OpKind::Erf, {f32({2}, {0.0f, 1.0f})})),
            {0.0, 0.8427007929497149});
  checkNear(values<float>(run(OpKind::Sin, {f32({2}, {0.0f, 1.0f})})),
            {0.0, 0.8414709848078965});
  checkNear(values<float>(run(OpKind::Cos, {f32({2}, {0.0f, 1.0f})})),
            {1.0, 0.5403023058681398});
  CHECK(values<float>(run(OpKind::LeakyRelu, {x}, {{"alpha", 0.5}})) ==
        std::vector<float>{-0.75f, 0.0f, 1.0f, 4.0f});
  CHECK(values<float>(run(OpKind::Clip, {x}, {{"min", -1.0}, {"max", 2.0}})) ==
        std::vector<float>{-1.0f, 0.0f, 1.0f, 2.0f});
  CHECK(values<float>(run(OpKind::Clip, {x},
                          {{"min", -double(kInf)}, {"max", 0.5}})) ==
        std::vector<float>{-1.5f, 0.0f, 0.5f, 0.5f});
  std::vector<float> nan = values<float>(
      run(OpKind::Clip, {f32({1}, {kNaN})}, {{"min", 0.0}, {"max", 1.0}}));
  CHECK(std::isnan(nan[0]));
  CHECK(values<double>(run(OpKind::Neg, {f64({1}, {2.5})})) ==
        std::vector<double>{-2.5});
}

TEST_CASE("interpreter: integer and bool unary ops", "[interp]") {
  TensorData x = tensor<int8_t>(DType::I8, {3}, {-128, -5, 7});
  CHECK(values<int8_t>(run(OpKind::Neg, {x})) ==
        std::vector<int8_t>{-128, 5, -7});
  CHECK(values<int8_t>(run(OpKind::Abs, {x})) ==
        std::vector<int8_t>{-128, 5, 7});
  CHECK(values<int8_t>(run(OpKind::Relu, {x})) ==
        std::vector<int8_t>{0, 0, 7});
  // Integer clip uses the integers inside [min, max]: [ceil(-5.5), floor(6.9)].
  CHECK(values<int8_t>(run(OpKind::Clip, {x}, {{"min", -5.5}, {"max", 6.9}})) ==
        std::vector<int8_t>{-5, -5, 6});
  CHECK(values<uint8_t>(run(OpKind::Abs, {tensor<uint8_t>(DType::U8, {1}, {200})})) ==
        std::vector<uint8_t>{200});
  CHECK(values<uint8_t>(run(OpKind::Not, {boolean({2}, {0, 1})})) ==
        std::vector<uint8_t>{1, 0});
}

TEST_CASE("interpreter: cast", "[interp]") {
  auto cast = [](TensorData x, DType to) {
    return run(OpKind::Cast, {std::move(x)}, {{"to", to}});
  };
  TensorData x = f32({6}, {-2.7f, 2.7f, kNaN, 1e10f, -1e10f, -0.5f});
  CHECK(values<int32_t>(cast(x, DType::I32)) ==
        std::vector<int32_t>{-2, 2, 0, 2147483647, -2147483647 - 1, 0});
  CHECK(values<uint8_t>(cast(x, DType::U8)) ==
        std::vector<uint8_t>{0, 2, 0, 255, 0, 0});
  CHECK(values<uint8_t>(cast(x, DType::Bool)) ==
        std::vector<uint8_t>{1, 1, 1, 1, 1, 1});
  CHECK(values<int8_t>(cast(i32({3}, {300, -129, 5}), DType::I8)) ==
        std::vector<int8_t>{44, 127, 5});
  CHECK(values<uint32_t>(cast(i32({1}, {-1}), DType::U32)) ==
        std::vector<uint32_t>{4294967295u});
  CHECK(values<float>(cast(boolean({2}, {1, 0}), DType::F32)) ==
        std::vector<float>{1.0f, 0.0f});
  CHECK(values<uint8_t>(cast(i32({3}, {0, -4, 2}), DType::Bool)) ==
        std::vector<uint8_t>{0, 1, 1});
  CHECK(values<float>(cast(f64({2}, {0.1, 1e300}), DType::F32)) ==
        std::vector<float>{0.1f, kInf});
  CHECK(values<uint64_t>(cast(f64({2}, {1.8446744073709552e19, 3.9}), DType::U64)) ==
        std::vector<uint64_t>{18446744073709551615ull, 3});
}

TEST_CASE("narrow types: encoding and decoding", "[types]") {
  // f8e4m3fn: bias 7, 3 mantissa bits, 0x7F the NaN, 448 the largest value.
  CHECK(narrowToDouble(DType::F8E4M3FN, 0x38) == 1.0);
  CHECK(narrowToDouble(DType::F8E4M3FN, 0x7E) == 448.0);
  CHECK(narrowToDouble(DType::F8E4M3FN, 0x01) == std::ldexp(1.0, -9));
  CHECK(std::isnan(narrowToDouble(DType::F8E4M3FN, 0xFF)));
  CHECK(narrowFromDouble(DType::F8E4M3FN, 1.0, true) == 0x38);
  // 1 + 1/16 is halfway between 1 and 1.125: ties go to the even mantissa.
  CHECK(narrowFromDouble(DType::F8E4M3FN, 1.0625, true) == 0x38);
  CHECK(narrowFromDouble(DType::F8E4M3FN, 1.1875, true) == 0x3A);
  CHECK(narrowFromDouble(DType::F8E4M3FN, 460.0, true) == 0x7E);
  CHECK(narrowFromDouble(DType::F8E4M3FN, 1e9, true) == 0x7E);
  CHECK(narrowFromDouble(DType::F8E4M3FN, -1e9, false) == 0xFF);
  CHECK(narrowFromDouble(DType::F8E4M3FN, kInf, true) == 0x7E);
  CHECK(narrowFromDouble(DType::F8E4M3FN, -0.0, true) == 0x80);
  // Half the smallest subnormal rounds to (even) zero; a bit more rounds up.
  CHECK(narrowFromDouble(DType::F8E4M3FN, std::ldexp(1.0, -10), true) == 0);
  CHECK(narrowFromDouble(DType::F8E4M3FN, std::ldexp(1.1, -10), true) == 1);
  // The largest subnormal rounds up into the smallest normal.
  CHECK(narrowFromDouble(DType::F8E4M3FN, std::ldexp(15.9, -10), true) == 0x08);
  // fnuz: one NaN (0x80), no negative zero, bias 8.
  CHECK(narrowFromDouble(DType::F8E4M3FNUZ, -0.0, true) == 0x00);
  CHECK(narrowFromDouble(DType::F8E4M3FNUZ, kNaN, true) == 0x80);
  CHECK(narrowFromDouble(DType::F8E4M3FNUZ, 1e9, false) == 0x80);
  CHECK(narrowFromDouble(DType::F8E4M3FNUZ, 1e9, true) == 0x7F);
  CHECK(narrowToDouble(DType::F8E4M3FNUZ, 0x7F) == 240.0);
  // f8e5m2 has infinities.
  CHECK(narrowFromDouble(DType::F8E5M2, 1e9, false) == 0x7C);
  CHECK(narrowFromDouble(DType::F8E5M2, 1e9, true) == 0x7B);
  CHECK(narrowToDouble(DType::F8E5M2, 0x7B) == 57344.0);
  CHECK(std::isinf(narrowToDouble(DType::F8E5M2, 0xFC)));
  CHECK(narrowFromDouble(DType::F8E5M2FNUZ, 57344.0, true) == 0x7F);
  // f4e2m1: 0, 0.5, 1, 1.5, 2, 3, 4, 6; always saturating.
  CHECK(narrowFromDouble(DType::F4E2M1, 5.0, false) == 0x6); // tie: even
  CHECK(narrowFromDouble(DType::F4E2M1, -9.0, false) == 0xF);
  CHECK(narrowToDouble(DType::F4E2M1, 0x5) == 3.0);
  // Narrow integers: truncation, 0 outside the range; integers wrap.
  CHECK(narrowFromDouble(DType::I4, -8.9, true) == 0xF8);
  CHECK(narrowFromDouble(DType::I4, -9.0, true) == 0);
  CHECK(narrowFromDouble(DType::U4, 15.5, true) == 15);
  CHECK(narrowFromDouble(DType::U4, 16.0, true) == 0);
  CHECK(narrowFromInteger(DType::I4, 300, true) == 0xFC); // 300 = 0x12C
  CHECK(narrowToDouble(DType::I4, 0xFC) == -4.0);
  CHECK(narrowToDouble(DType::I2, 0xFE) == -2.0);
  // Sub-byte packing: first element in the low bits.
  std::vector<uint8_t> elements{0x01, 0xFE, 0x07};
  std::vector<uint8_t> packed = packSubByte(DType::I4, elements.data(), 3);
  CHECK(packed == std::vector<uint8_t>{0xE1, 0x07});
  CHECK(unpackSubByte(DType::I4, packed.data(), 3) == elements);
}

TEST_CASE("interpreter: narrow casts", "[interp]") {
  auto cast = [](TensorData x, DType to, int64_t saturate = 1) {
    return run(OpKind::Cast, {std::move(x)},
               {{"to", to}, {"saturate", saturate}});
  };
  TensorData x = f32({4}, {1.0f, 1000.0f, kNaN, -0.0f});
  CHECK(values<uint8_t>(cast(x, DType::F8E4M3FN)) ==
        std::vector<uint8_t>{0x38, 0x7E, 0x7F, 0x80});
  CHECK(values<uint8_t>(cast(x, DType::F8E4M3FN, 0)) ==
        std::vector<uint8_t>{0x38, 0x7F, 0x7F, 0x80});
  TensorData codes = run(OpKind::Cast, {x}, {{"to", DType::F8E5M2}});
  std::vector<float> back = values<float>(cast(codes, DType::F32));
  CHECK(back[0] == 1.0f);
  CHECK(back[1] == 1024.0f);
  CHECK(std::isnan(back[2]));
  CHECK(std::signbit(back[3]));
  CHECK(values<int8_t>(cast(i32({3}, {7, 8, -9}), DType::I4)) ==
        std::vector<int8_t>{7, -8, 7});
  CHECK(values<int32_t>(cast(cast(i32({2}, {7, -8}), DType::I4), DType::I32)) ==
        std::vector<int32_t>{7, -8});
}

TEST_CASE("interpreter: f16 and bf16 rounding", "[interp]") {
  auto toHalf = [](std::vector<double> v) {
    return values<uint16_t>(
        run(OpKind::Cast, {f64({int64_t(v.size())}, v)}, {{"to", DType::F16}}));
  };
  double ulp = std::ldexp(1.0, -10);
  CHECK(toHalf({1.0, 1.0 + ulp / 2, 1.0 + 3 * ulp / 2,
                1.0 + ulp / 2 + std::ldexp(1.0, -40)}) ==
        std::vector<uint16_t>{0x3C00, 0x3C00, 0x3C02, 0x3C01});
  CHECK(toHalf({65504.0, 65519.0, 65520.0, -1e9}) ==
        std::vector<uint16_t>{0x7BFF, 0x7BFF, 0x7C00, 0xFC00});
  // Subnormals: 2^-24 is the smallest; 2^-25 ties to zero; 3*2^-26 rounds up.
  CHECK(toHalf({std::ldexp(1.0, -24), std::ldexp(1.0, -25),
                3 * std::ldexp(1.0, -26), std::ldexp(1.0, -14), -0.0}) ==
        std::vector<uint16_t>{0x0001, 0x0000, 0x0001, 0x0400, 0x8000});
  std::vector<uint16_t> nanBits = toHalf({std::nan("")});
  CHECK((nanBits[0] & 0x7C00) == 0x7C00);
  CHECK((nanBits[0] & 0x03FF) != 0);

  TensorData h = tensor<uint16_t>(DType::F16, {4}, {0x3555, 0x0001, 0xFC00, 0xC000});
  std::vector<float> back = values<float>(run(OpKind::Cast, {h}, {{"to", DType::F32}}));
  CHECK(back == std::vector<float>{0.333251953125f, std::ldexp(1.0f, -24), -kInf, -2.0f});

  auto toBf16 = [](TensorData x) {
    return values<uint16_t>(run(OpKind::Cast, {std::move(x)}, {{"to", DType::BF16}}));
  };
  CHECK(toBf16(f32({3}, {1.0f, 1.0f + std::ldexp(1.0f, -8),
                         1.0f + 3 * std::ldexp(1.0f, -8)})) ==
        std::vector<uint16_t>{0x3F80, 0x3F80, 0x3F82});
  // 2^62 + 2^54 + 1 is just above a bf16 tie; a detour through f64 would
  // round to the tie and then down to 2^62.
  int64_t big = (int64_t{1} << 62) + (int64_t{1} << 54) + 1;
  CHECK(toBf16(i64({2}, {big, -(int64_t{1} << 62)})) ==
        std::vector<uint16_t>{0x5E81, 0xDE80});
  CHECK(values<uint16_t>(run(OpKind::Cast, {i32({2}, {65519, 2049})},
                             {{"to", DType::F16}})) ==
        std::vector<uint16_t>{0x7BFF, 0x6800});

  // Arithmetic on f16 runs in f32 and rounds back: 1 + 2^-11 ties to 1.
  TensorData one = tensor<uint16_t>(DType::F16, {1}, {0x3C00});
  TensorData tiny = tensor<uint16_t>(DType::F16, {1}, {0x1000}); // 2^-11
  CHECK(values<uint16_t>(run(OpKind::Add, {one, tiny})) ==
        std::vector<uint16_t>{0x3C00});
  TensorData b = tensor<uint16_t>(DType::BF16, {2}, {0x3F80, 0x4000});
  CHECK(values<uint16_t>(run(OpKind::Mul, {b, b})) ==
        std::vector<uint16_t>{0x3F80, 0x4080});
}

TEST_CASE("interpreter: binary ops broadcast", "[interp]") {
  TensorData a = f32({2, 1}, {1.0f, 2.0f});
  TensorData b = f32({3}, {10.0f, 20.0f, 30.0f});
  TensorData sum = run(OpKind::Add, {a, b});
  CHECK(shapeOf(sum) == "f32[2,3]");
  CHECK(values<float>(sum) ==
        std::vector<float>{11.0f, 21.0f, 31.0f, 12.0f, 22.0f, 32.0f});
  CHECK(values<float>(run(OpKind::Sub, {a, b})) ==
        std::vector<float>{-9.0f, -19.0f, -29.0f, -8.0f, -18.0f, -28.0f});
  CHECK(values<float>(run(OpKind::Mul, {b, f32({}, {2.0f})})) ==
        std::vector<float>{20.0f, 40.0f, 60.0f});
  CHECK(values<float>(run(OpKind::Div, {f32({2}, {1.0f, -1.0f}), f32({1}, {0.0f})})) ==
        std::vector<float>{kInf, -kInf});
  CHECK(values<float>(run(OpKind::Pow, {f32({2}, {2.0f, 9.0f}), f32({2}, {3.0f, 0.5f})})) ==
        std::vector<float>{8.0f, 3.0f});
  std::vector<float> mx = values<float>(
      run(OpKind::Max, {f32({3}, {1.0f, kNaN, 5.0f}), f32({3}, {2.0f, 0.0f, kNaN})}));
  CHECK(mx[0] == 2.0f);
  CHECK(std::isnan(mx[1]));
  CHECK(std::isnan(mx[2]));
  CHECK(values<float>(run(OpKind::Min, {f32({2}, {1.0f, 4.0f}), f32({2}, {2.0f, 3.0f})})) ==
        std::vector<float>{1.0f, 3.0f});
}

TEST_CASE("interpreter: integer binary ops", "[interp]") {
  TensorData a = i32({5}, {7, -7, 5, std::numeric_limits<int32_t>::min(), 1 << 30});
  TensorData b = i32({5}, {-2, 2, 0, -1, 4});
  CHECK(values<int32_t>(run(OpKind::Div, {a, b})) ==
        std::vector<int32_t>{-3, -3, 0, std::numeric_limits<int32_t>::min(), 1 << 28});
  CHECK(values<int32_t>(run(OpKind::Mul, {a, b})) ==
        std::vector<int32_t>{-14, -14, 0, std::numeric_limits<int32_t>::min(), 0});
  CHECK(values<int32_t>(run(OpKind::Sub, {a, b})) ==
        std::vector<int32_t>{9, -9, 5, std::numeric_limits<int32_t>::min() + 1,
                             (1 << 30) - 4});
  CHECK(values<int32_t>(run(OpKind::Sub, {i32({1}, {std::numeric_limits<int32_t>::min()}),
                                         i32({1}, {1})})) ==
        std::vector<int32_t>{std::numeric_limits<int32_t>::max()});
  TensorData u = tensor<uint16_t>(DType::U16, {2}, {65535, 3});
  CHECK(values<uint16_t>(run(OpKind::Mul, {u, u})) ==
        std::vector<uint16_t>{1, 9});
  CHECK(values<uint16_t>(run(OpKind::Add, {u, u})) ==
        std::vector<uint16_t>{65534, 6});
  CHECK(values<uint16_t>(run(OpKind::Div, {u, tensor<uint16_t>(DType::U16, {}, {0})})) ==
        std::vector<uint16_t>{0, 0});
  CHECK(values<int32_t>(run(OpKind::Max, {a, b})) ==
        std::vector<int32_t>{7, 2, 5, -1, 1 << 30});
}

TEST_CASE("interpreter: bitwise ops, shifts and remainders", "[interp]") {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  TensorData a = i32({6}, {7, -7, 7, -7, kMin, 5});
  TensorData b = i32({6}, {3, 3, -3, -3, -1, 0});
  // mod takes the divisor's sign, fmod the dividend's; by 0 and -1 give 0.
  CHECK(values<int32_t>(run(OpKind::Mod, {a, b})) ==
        std::vector<int32_t>{1, 2, -2, -1, 0, 0});
  CHECK(values<int32_t>(run(OpKind::Fmod, {a, b})) ==
        std::vector<int32_t>{1, -1, 1, -1, 0, 0});
  TensorData x = f32({5}, {7.5f, -7.5f, 7.5f, 0.0f, 1.0f});
  TensorData y = f32({5}, {2.0f, 2.0f, -2.0f, -2.0f, kInf});
  CHECK(values<float>(run(OpKind::Fmod, {x, y})) ==
        std::vector<float>{1.5f, -1.5f, 1.5f, 0.0f, 1.0f});
  std::vector<float> m = values<float>(run(OpKind::Mod, {x, y}));
  CHECK(m == std::vector<float>{1.5f, 0.5f, -0.5f, 0.0f, 1.0f});
  CHECK(std::signbit(m[3]));
  CHECK(std::isnan(values<float>(run(OpKind::Mod, {x, f32({1}, {0.0f})}))[0]));
  CHECK(values<int32_t>(run(OpKind::And, {i32({2}, {12, -1}), i32({2}, {10, 5})})) ==
        std::vector<int32_t>{8, 5});
  CHECK(values<int32_t>(run(OpKind::Or, {i32({2}, {12, -8}), i32({2}, {10, 5})})) ==
        std::vector<int32_t>{14, -3});
  CHECK(values<int32_t>(run(OpKind::Xor, {i32({2}, {12, -1}), i32({2}, {10, 5})})) ==
        std::vector<int32_t>{6, -6});
  CHECK(values<int32_t>(run(OpKind::Not, {i32({2}, {0, -6})})) ==
        std::vector<int32_t>{-1, 5});
  CHECK(values<uint8_t>(run(OpKind::Xor, {boolean({2}, {0, 1}), boolean({1}, {1})})) ==
        std::vector<uint8_t>{1, 0});
  // Shifts: amounts outside [0, 32) leave the sign fill.
  TensorData v = i32({5}, {-8, -8, 3, -8, 1});
  TensorData s = i32({5}, {1, 32, 31, -1, 31});
  CHECK(values<int32_t>(run(OpKind::Shr, {v, s})) ==
        std::vector<int32_t>{-4, -1, 0, -1, 0});
  CHECK(values<int32_t>(run(OpKind::Shl, {v, s})) ==
        std::vector<int32_t>{-16, 0, kMin, 0, kMin});
  TensorData u = tensor<uint8_t>(DType::U8, {3}, {0x81, 0x81, 0x81});
  TensorData us = tensor<uint8_t>(DType::U8, {3}, {1, 7, 8});
  CHECK(values<uint8_t>(run(OpKind::Shl, {u, us})) ==
        std::vector<uint8_t>{0x02, 0x80, 0});
  CHECK(values<uint8_t>(run(OpKind::Shr, {u, us})) ==
        std::vector<uint8_t>{0x40, 0x01, 0});
}

TEST_CASE("interpreter: comparisons and logic", "[interp]") {
  TensorData a = f32({3}, {1.0f, 2.0f, kNaN});
  TensorData b = f32({1}, {2.0f});
  CHECK(values<uint8_t>(run(OpKind::Equal, {a, b})) == std::vector<uint8_t>{0, 1, 0});
  CHECK(values<uint8_t>(run(OpKind::Less, {a, b})) == std::vector<uint8_t>{1, 0, 0});
  CHECK(values<uint8_t>(run(OpKind::Greater, {a, f32({1}, {1.0f})})) ==
        std::vector<uint8_t>{0, 1, 0});
  TensorData p = boolean({2, 1}, {0, 1});
  TensorData q = boolean({2}, {0, 1});
  CHECK(values<uint8_t>(run(OpKind::And, {p, q})) == std::vector<uint8_t>{0, 0, 0, 1});
  CHECK(values<uint8_t>(run(OpKind::Or, {p, q})) == std::vector<uint8_t>{0, 1, 1, 1});
  CHECK(values<uint8_t>(run(OpKind::Equal, {p, q})) == std::vector<uint8_t>{1, 0, 0, 1});
  CHECK(values<uint8_t>(run(OpKind::Less, {i64({2}, {-1, 5}), i64({2}, {0, 5})})) ==
        std::vector<uint8_t>{1, 0});
}

TEST_CASE("interpreter: where broadcasts three ways", "[interp]") {
  TensorData cond = boolean({2, 1}, {1, 0});
  TensorData x = i64({3}, {1, 2, 3});
  TensorData y = i64({}, {-1});
  TensorData r = run(OpKind::Where, {cond, x, y});
  CHECK(shapeOf(r) == "i64[2,3]");
  CHECK(values<int64_t>(r) == std::vector<int64_t>{1, 2, 3, -1, -1, -1});
}

TEST_CASE("interpreter: matmul", "[interp]") {
  TensorData a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  TensorData b = f32({3, 2}, {7, 8, 9, 10, 11, 12});
  CHECK(values<float>(run(OpKind::MatMul, {a, b})) ==
        std::vector<float>{58, 64, 139, 154});
  // Batch broadcast: a is [2,1,2] (two 1x2 rows), b is a single [2,1].
  TensorData ba = f32({2, 1, 2}, {1, 2, 3, 4});
  TensorData bb = f32({2, 1}, {10, 100});
  TensorData r = run(OpKind::MatMul, {ba, bb});
  CHECK(shapeOf(r) == "f32[2,1,1]");
  CHECK(values<float>(r) == std::vector<float>{210, 430});
  // b batched, a broadcast.
  TensorData r2 = run(OpKind::MatMul,
                      {f32({1, 2}, {1, 1}), f32({2, 2, 1}, {1, 2, 3, 4})});
  CHECK(values<float>(r2) == std::vector<float>{3, 7});
  TensorData ia = tensor<int8_t>(DType::I8, {1, 2}, {100, 100});
  TensorData ib = tensor<int8_t>(DType::I8, {2, 1}, {1, 1});
  CHECK(values<int8_t>(run(OpKind::MatMul, {ia, ib})) == std::vector<int8_t>{-56});
}

namespace {
AttributeMap convAttrs(Ints strides, Ints pads, Ints dilations,
                       int64_t group = 1) {
  return {{"strides", strides},
          {"pads", pads},
          {"dilations", dilations},
          {"group", group}};
}
TensorData iota(Ints shape, float start = 1) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = start + i;
  return f32(shape, v);
}
} // namespace

TEST_CASE("interpreter: conv", "[interp]") {
  TensorData x = iota({1, 1, 3, 3}); // 1..9
  TensorData ones = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  CHECK(values<float>(run(OpKind::Conv, {x, ones},
                          convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}))) ==
        std::vector<float>{12, 16, 24, 28});
  // Pads 1 everywhere, stride 2.
  CHECK(values<float>(run(OpKind::Conv, {x, ones},
                          convAttrs({2, 2}, {1, 1, 1, 1}, {1, 1}))) ==
        std::vector<float>{1, 5, 11, 28});
  // Dilation 2: the four corners, plus bias.
  TensorData r = run(OpKind::Conv, {x, ones, f32({1}, {0.5f})},
                     convAttrs({1, 1}, {0, 0, 0, 0}, {2, 2}));
  CHECK(shapeOf(r) == "f32[1,1,1,1]");
  CHECK(values<float>(r) == std::vector<float>{20.5f});
  // Asymmetric 1-d pads: input [0,0,1,2,3] against kernel [1,10].
  CHECK(values<float>(run(OpKind::Conv, {f32({1, 1, 3}, {1, 2, 3}),
                                         f32({1, 1, 2}, {1, 10})},
                          convAttrs({1}, {2, 0}, {1}))) ==
        std::vector<float>{0, 10, 21, 32});
  // Depthwise (group 2), two batches.
  TensorData g = run(OpKind::Conv,
                     {f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
                      f32({2, 1, 1}, {10, 100})},
                     convAttrs({1}, {0, 0}, {1}, 2));
  CHECK(values<float>(g) ==
        std::vector<float>{10, 20, 300, 400, 50, 60, 700, 800});
  // Group 2 with two filters per group over two channels per group.
  TensorData x4 = f32({1, 4, 1}, {1, 2, 3, 4});
  TensorData w4 = f32({4, 2, 1}, {1, 0, 0, 1, 1, 1, 1, -1});
  CHECK(values<float>(run(OpKind::Conv, {x4, w4},
                          convAttrs({1}, {0, 0}, {1}, 2))) ==
        std::vector<float>{1, 2, 7, -1});
  // 3-d.
  CHECK(values<float>(run(OpKind::Conv,
                          {iota({1, 1, 2, 2, 2}), f32({1, 1, 2, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1})},
                          convAttrs({1, 1, 1}, {0, 0, 0, 0, 0, 0}, {1, 1, 1}))) ==
        std::vector<float>{36});
  // Multiple input channels and filters.
  TensorData x2 = f32({1, 2, 2}, {1, 2, 3, 4});
  TensorData w2 = f32({2, 2, 1}, {1, 1, 2, -1});
  CHECK(values<float>(run(OpKind::Conv, {x2, w2}, convAttrs({1}, {0, 0}, {1}))) ==
        std::vector<float>{4, 6, -1, 0});
}

namespace {
AttributeMap poolAttrs(Ints kernel, Ints strides, Ints pads, int64_t ceil,
                       int64_t countPad = 0, Ints dilations = {}) {
  if (dilations.empty())
    dilations.assign(kernel.size(), 1);
  return {{"kernel", kernel},   {"strides", strides},
          {"pads", pads},       {"dilations", dilations},
          {"ceil_mode", ceil},  {"count_include_pad", countPad}};
}
} // namespace

TEST_CASE("interpreter: max_pool", "[interp]") {
  CHECK(values<float>(run(OpKind::MaxPool, {f32({1, 1, 4}, {1, 3, 2, 5})},
                          poolAttrs({2}, {2}, {0, 0}, 0))) ==
        std::vector<float>{3, 5});
  CHECK(values<float>(run(OpKind::MaxPool, {f32({1, 1, 5}, {1, 3, 2, 5, 4})},
                          poolAttrs({2}, {2}, {0, 0}, 1))) ==
        std::vector<float>{3, 5, 4});
  // Padding never wins, even over negative values.
  CHECK(values<float>(run(OpKind::MaxPool, {f32({1, 1, 3}, {-1, -2, -3})},
                          poolAttrs({2}, {1}, {1, 1}, 0))) ==
        std::vector<float>{-1, -1, -2, -3});
  CHECK(values<float>(run(OpKind::MaxPool, {f32({1, 1, 5}, {1, 5, 2, 4, 3})},
                          poolAttrs({2}, {1}, {0, 0}, 0, 0, {2}))) ==
        std::vector<float>{2, 5, 3});
  CHECK(values<float>(run(OpKind::MaxPool, {iota({1, 1, 3, 3})},
                          poolAttrs({2, 2}, {1, 1}, {0, 0, 0, 0}, 0))) ==
        std::vector<float>{5, 6, 8, 9});
  CHECK(values<int32_t>(run(OpKind::MaxPool, {i32({1, 2, 2}, {-7, -9, 4, 1})},
                            poolAttrs({2}, {2}, {0, 1}, 1))) ==
        std::vector<int32_t>{-7, 4});
}

TEST_CASE("interpreter: avg_pool", "[interp]") {
  TensorData x = f32({1, 1, 4}, {1, 2, 3, 4});
  CHECK(values<float>(run(OpKind::AvgPool, {x}, poolAttrs({2}, {1}, {1, 1}, 0, 0))) ==
        std::vector<float>{1, 1.5f, 2.5f, 3.5f, 4});
  CHECK(values<float>(run(OpKind::AvgPool, {x}, poolAttrs({2}, {1}, {1, 1}, 0, 1))) ==
        std::vector<float>{0.5f, 1.5f, 2.5f, 3.5f, 2});
  // ceil_mode: the last window runs past the input and past the (zero) end
  // padding; positions beyond the end padding never count.
  TensorData x5 = f32({1, 1, 5}, {1, 2, 3, 4, 5});
  CHECK(values<float>(run(OpKind::AvgPool, {x5}, poolAttrs({2}, {2}, {0, 0}, 1, 1))) ==
        std::vector<float>{1.5f, 3.5f, 5});
  CHECK(values<float>(run(OpKind::AvgPool, {x5}, poolAttrs({2}, {2}, {0, 1}, 1, 1))) ==
        std::vector<float>{1.5f, 3.5f, 2.5f});
  // D=6, k=3, s=2, pads 1/1, ceil: 4 windows; the last covers x[5], one pad
  // position and one position beyond the padding.
  TensorData x6 = iota({1, 1, 6});
  TensorData incl = run(OpKind::AvgPool, {x6}, poolAttrs({3}, {2}, {1, 1}, 1, 1));
  CHECK(shapeOf(incl) == "f32[1,1,4]");
  CHECK(values<float>(incl) == std::vector<float>{1, 3, 5, 3});
  CHECK(values<float>(run(OpKind::AvgPool, {x6}, poolAttrs({3}, {2}, {1, 1}, 1, 0))) ==
        std::vector<float>{1.5f, 3, 5, 6});
  // 2-d with padding, count_include_pad = 0: corners average 4 values.
  TensorData r = run(OpKind::AvgPool, {iota({1, 1, 2, 2})},
                     poolAttrs({2, 2}, {1, 1}, {1, 1, 0, 0}, 0, 0));
  CHECK(values<float>(r) == std::vector<float>{1, 1.5f, 2, 2.5f});
}

TEST_CASE("interpreter: reductions", "[interp]") {
  TensorData x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto reduce = [&](OpKind kind, Ints axes, int64_t keep) {
    return run(kind, {x}, {{"axes", axes}, {"keepdims", keep}});
  };
  CHECK(values<float>(reduce(OpKind::ReduceSum, {1}, 0)) == std::vector<float>{6, 15});
  TensorData kept = reduce(OpKind::ReduceSum, {1}, 1);
  CHECK(shapeOf(kept) == "f32[2,1]");
  CHECK(values<float>(reduce(OpKind::ReduceMean, {0}, 0)) ==
        std::vector<float>{2.5f, 3.5f, 4.5f});
  TensorData all = reduce(OpKind::ReduceMax, {0, 1}, 1);
  CHECK(shapeOf(all) == "f32[1,1]");
  CHECK(values<float>(all) == std::vector<float>{6});
  CHECK(values<float>(reduce(OpKind::ReduceMin, {0}, 0)) == std::vector<float>{1, 2, 3});
  CHECK(values<float>(reduce(OpKind::ReduceProd, {1}, 0)) == std::vector<float>{6, 120});
  CHECK(values<float>(reduce(OpKind::ReduceSum, {}, 0)) ==
        std::vector<float>{1, 2, 3, 4, 5, 6});
  TensorData x3 = iota({2, 2, 2}); // 1..8
  CHECK(values<float>(run(OpKind::ReduceSum, {x3},
                          {{"axes", Ints{0, 2}}, {"keepdims", int64_t{0}}})) ==
        std::vector<float>{1 + 2 + 5 + 6, 3 + 4 + 7 + 8});
  std::vector<float> nanMax = values<float>(
      run(OpKind::ReduceMax, {f32({3}, {1, kNaN, 2})},
          {{"axes", Ints{0}}, {"keepdims", int64_t{0}}}));
  CHECK(std::isnan(nanMax[0]));
  // Integers: mean truncates, sums wrap.
  CHECK(values<int32_t>(run(OpKind::ReduceMean, {i32({2}, {7, 8})},
                            {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<int32_t>{7});
  // The count (200) does not fit in i8; the sum wraps to -56 first.
  CHECK(values<int8_t>(run(OpKind::ReduceMean,
                           {tensor<int8_t>(DType::I8, {200},
                                           std::vector<int8_t>(200, 1))},
                           {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<int8_t>{0});
  CHECK(values<int8_t>(run(OpKind::ReduceMean,
                           {tensor<int8_t>(DType::I8, {2}, {-7, 0})},
                           {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<int8_t>{-3});
  CHECK(values<int8_t>(run(OpKind::ReduceSum,
                           {tensor<int8_t>(DType::I8, {2}, {100, 100})},
                           {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<int8_t>{-56});
  CHECK(values<int64_t>(run(OpKind::ReduceMin, {i64({2, 2}, {3, -4, 9, 2})},
                            {{"axes", Ints{1}}, {"keepdims", int64_t{1}}})) ==
        std::vector<int64_t>{-4, 2});
  // Empty reductions: the identities (docs/ir.md, "Numeric details").
  TensorData empty = f32({2, 0}, {});
  AttributeMap overEmpty{{"axes", Ints{1}}, {"keepdims", int64_t{0}}};
  CHECK(values<float>(run(OpKind::ReduceSum, {empty}, overEmpty)) ==
        std::vector<float>{0, 0});
  CHECK(values<float>(run(OpKind::ReduceProd, {empty}, overEmpty)) ==
        std::vector<float>{1, 1});
  CHECK(values<float>(run(OpKind::ReduceMax, {empty}, overEmpty)) ==
        std::vector<float>{-kInf, -kInf});
  CHECK(std::isnan(values<float>(run(OpKind::ReduceMean, {empty}, overEmpty))[0]));
  // f16 reduces in f64 and rounds once: 2048 + 1 + 1 = 2050 exactly
  // (2048 + 1 alone would tie back to 2048 in f16).
  TensorData h = tensor<uint16_t>(DType::F16, {3}, {0x6800, 0x3C00, 0x3C00});
  CHECK(values<uint16_t>(run(OpKind::ReduceSum, {h},
                             {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<uint16_t>{0x6801});
  // f32 sums accumulate in f64: 2^24 + 1 + 1 is exact.
  CHECK(values<float>(run(OpKind::ReduceSum, {f32({3}, {16777216.0f, 1, 1})},
                          {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<float>{16777218.0f});
}

TEST_CASE("interpreter: arg_max", "[interp]") {
  TensorData x = f32({2, 3}, {1, 3, 3, 5, 2, 5});
  AttributeMap attrs{{"axis", int64_t{1}},
                     {"keepdims", int64_t{0}},
                     {"select_last_index", int64_t{0}}};
  CHECK(values<int64_t>(run(OpKind::ArgMax, {x}, attrs)) == std::vector<int64_t>{1, 0});
  attrs["select_last_index"] = int64_t{1};
  CHECK(values<int64_t>(run(OpKind::ArgMax, {x}, attrs)) == std::vector<int64_t>{2, 2});
  attrs["axis"] = int64_t{0};
  attrs["keepdims"] = int64_t{1};
  TensorData r = run(OpKind::ArgMax, {x}, attrs);
  CHECK(shapeOf(r) == "i64[1,3]");
  CHECK(values<int64_t>(r) == std::vector<int64_t>{1, 0, 1});
  CHECK(values<int64_t>(run(OpKind::ArgMax, {i32({3}, {-5, -1, -3})},
                            {{"axis", int64_t{0}},
                             {"keepdims", int64_t{0}},
                             {"select_last_index", int64_t{0}}})) ==
        std::vector<int64_t>{1});
}

TEST_CASE("interpreter: softmax and log_softmax", "[interp]") {
  // Along axis 0 of a [3,2]: column 0 is [0, ln 2, ln 3], column 1 constant.
  float l2 = std::log(2.0f), l3 = std::log(3.0f);
  TensorData x = f32({3, 2}, {0, 7, l2, 7, l3, 7});
  checkNear(values<float>(run(OpKind::Softmax, {x}, {{"axis", int64_t{0}}})),
            {1.0 / 6, 1.0 / 3, 2.0 / 6, 1.0 / 3, 3.0 / 6, 1.0 / 3});
  checkNear(values<float>(run(OpKind::LogSoftmax, {x}, {{"axis", int64_t{0}}})),
            {std::log(1.0 / 6), std::log(1.0 / 3), std::log(2.0 / 6),
             std::log(1.0 / 3), std::log(3.0 / 6), std::log(1.0 / 3)});
  // Large inputs do not overflow (max is subtracted first).
  checkNear(values<float>(run(OpKind::Softmax, {f32({2}, {1000, 1000})},
                              {{"axis", int64_t{0}}})),
            {0.5, 0.5});
}

TEST_CASE("interpreter: layer_norm", "[interp]") {
  // mean 2.5, biased var 1.25.
  TensorData x = f32({1, 4}, {1, 2, 3, 4});
  double s = 1.0 / std::sqrt(1.25);
  TensorData r = run(OpKind::LayerNorm,
                     {x, f32({4}, {1, 1, 2, 2}), f32({1}, {1})},
                     {{"axis", int64_t{1}}, {"epsilon", 0.0}});
  checkNear(values<float>(r), {1 - 1.5 * s, 1 - 0.5 * s, 1 + 1.0 * s, 1 + 3.0 * s});
  // Normalizing over the last two dims, per-row scale broadcast over columns.
  TensorData x2 = f32({2, 1, 2}, {0, 2, 10, 30});
  TensorData r2 = run(OpKind::LayerNorm, {x2, f32({1, 1}, {3})},
                      {{"axis", int64_t{1}}, {"epsilon", 0.0}});
  checkNear(values<float>(r2), {-3, 3, -3, 3});
  // Epsilon enters under the square root: var 1, eps 3 -> divide by 2.
  TensorData r3 = run(OpKind::LayerNorm, {f32({2}, {-1, 1}), f32({2}, {1, 1})},
                      {{"axis", int64_t{0}}, {"epsilon", 3.0}});
  checkNear(values<float>(r3), {-0.5, 0.5});
}

TEST_CASE("interpreter: batch_norm", "[interp]") {
  TensorData x = f32({2, 2, 1}, {1, 2, 3, 4});
  TensorData r = run(OpKind::BatchNorm,
                     {x, f32({2}, {2, 3}), f32({2}, {0, 1}), f32({2}, {1, 1}),
                      f32({2}, {4, 1})},
                     {{"epsilon", 0.0}});
  CHECK(values<float>(r) == std::vector<float>{0, 4, 2, 10});
}

TEST_CASE("interpreter: reshape and transpose", "[interp]") {
  TensorData x = iota({2, 3});
  TensorData r = run(OpKind::Reshape, {x}, {{"shape", Ints{3, 1, 2}}});
  CHECK(shapeOf(r) == "f32[3,1,2]");
  CHECK(values<float>(r) == std::vector<float>{1, 2, 3, 4, 5, 6});
  TensorData t = run(OpKind::Transpose, {x}, {{"perm", Ints{1, 0}}});
  CHECK(shapeOf(t) == "f32[3,2]");
  CHECK(values<float>(t) == std::vector<float>{1, 4, 2, 5, 3, 6});
  TensorData t3 = run(OpKind::Transpose, {iota({2, 2, 3})}, {{"perm", Ints{2, 0, 1}}});
  CHECK(shapeOf(t3) == "f32[3,2,2]");
  CHECK(values<float>(t3) ==
        std::vector<float>{1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12});
}

TEST_CASE("interpreter: concat", "[interp]") {
  TensorData r = run(OpKind::Concat, {i32({2, 1}, {1, 2}), i32({2, 2}, {3, 4, 5, 6})},
                     {{"axis", int64_t{1}}});
  CHECK(shapeOf(r) == "i32[2,3]");
  CHECK(values<int32_t>(r) == std::vector<int32_t>{1, 3, 4, 2, 5, 6});
  TensorData r0 = run(OpKind::Concat, {i32({1, 2}, {1, 2}), i32({0, 2}, {}),
                                       i32({1, 2}, {3, 4})},
                      {{"axis", int64_t{0}}});
  CHECK(values<int32_t>(r0) == std::vector<int32_t>{1, 2, 3, 4});
}

TEST_CASE("interpreter: slice", "[interp]") {
  TensorData x = iota({5}, 0);
  auto slice = [&](const TensorData &in, Ints starts, Ints ends, Ints steps) {
    return run(OpKind::Slice, {in},
               {{"starts", starts}, {"ends", ends}, {"steps", steps}});
  };
  CHECK(values<float>(slice(x, {4}, {-1}, {-2})) == std::vector<float>{4, 2, 0});
  CHECK(values<float>(slice(x, {3}, {0}, {-1})) == std::vector<float>{3, 2, 1});
  CHECK(values<float>(slice(x, {1}, {5}, {3})) == std::vector<float>{1, 4});
  CHECK(values<float>(slice(x, {4}, {-1}, {-1})) == std::vector<float>{4, 3, 2, 1, 0});
  CHECK(values<float>(slice(x, {2}, {2}, {1})).empty());
  TensorData x2 = iota({3, 4}, 0);
  TensorData r = slice(x2, {0, 3}, {3, 0}, {2, -2});
  CHECK(shapeOf(r) == "f32[2,2]");
  CHECK(values<float>(r) == std::vector<float>{3, 1, 11, 9});
}

TEST_CASE("interpreter: gather", "[interp]") {
  TensorData data = iota({3, 2}, 0); // rows [0,1] [2,3] [4,5]
  TensorData r = run(OpKind::Gather, {data, i64({3}, {-1, 0, 5})},
                     {{"axis", int64_t{0}}});
  CHECK(shapeOf(r) == "f32[3,2]");
  CHECK(values<float>(r) == std::vector<float>{4, 5, 0, 1, 4, 5});
  TensorData c = run(OpKind::Gather, {data, i32({}, {1})}, {{"axis", int64_t{1}}});
  CHECK(shapeOf(c) == "f32[3]");
  CHECK(values<float>(c) == std::vector<float>{1, 3, 5});
  TensorData m = run(OpKind::Gather, {data, i32({2, 2}, {-3, -4, 1, 2})},
                     {{"axis", int64_t{0}}});
  CHECK(shapeOf(m) == "f32[2,2,2]");
  CHECK(values<float>(m) == std::vector<float>{0, 1, 0, 1, 2, 3, 4, 5});
}

TEST_CASE("interpreter: gather_elements", "[interp]") {
  TensorData data = iota({3, 2}, 0); // rows [0,1] [2,3] [4,5]
  // Axis 0, fewer rows than the data; -1 wraps, 7 clamps to 2.
  TensorData r = run(OpKind::GatherElements,
                     {data, i64({2, 2}, {-1, 0, 7, 1})}, {{"axis", int64_t{0}}});
  CHECK(shapeOf(r) == "f32[2,2]");
  CHECK(values<float>(r) == std::vector<float>{4, 1, 4, 3});
  // Axis 1, one column of indices.
  TensorData c = run(OpKind::GatherElements, {data, i32({3, 1}, {1, 0, 1})},
                     {{"axis", int64_t{1}}});
  CHECK(shapeOf(c) == "f32[3,1]");
  CHECK(values<float>(c) == std::vector<float>{1, 2, 5});
}

TEST_CASE("interpreter: expand", "[interp]") {
  TensorData r = run(OpKind::Expand, {i64({3, 1}, {1, 2, 3})},
                     {{"shape", Ints{2, 1, 2}}});
  CHECK(shapeOf(r) == "i64[2,3,2]");
  CHECK(values<int64_t>(r) ==
        std::vector<int64_t>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
}

TEST_CASE("interpreter: pad", "[interp]") {
  auto pad = [](const TensorData &x, Ints pads, const char *mode,
                double value = 0) {
    return run(OpKind::Pad, {x},
               {{"pads", pads}, {"mode", std::string(mode)}, {"value", value}});
  };
  TensorData x = f32({3}, {1, 2, 3});
  CHECK(values<float>(pad(x, {1, 2}, "constant", 9)) ==
        std::vector<float>{9, 1, 2, 3, 9, 9});
  CHECK(values<float>(pad(x, {2, 2}, "reflect")) ==
        std::vector<float>{3, 2, 1, 2, 3, 2, 1});
  CHECK(values<float>(pad(x, {2, 1}, "edge")) ==
        std::vector<float>{1, 1, 1, 2, 3, 3});
  TensorData x2 = iota({2, 2});
  TensorData r = pad(x2, {1, 0, 0, 1}, "constant", -1);
  CHECK(shapeOf(r) == "f32[3,3]");
  CHECK(values<float>(r) == std::vector<float>{-1, -1, -1, 1, 2, -1, 3, 4, -1});
  CHECK(values<int32_t>(pad(i32({1}, {5}), {1, 0}, "constant", -2.7)) ==
        std::vector<int32_t>{-2, 5});
  CHECK(values<float>(pad(x2, {1, 1, 0, 0}, "reflect")) ==
        std::vector<float>{4, 3, 4, 2, 1, 2, 4, 3, 4});
}

TEST_CASE("interpreter: evaluateOp rejects bad operands", "[interp]") {
  TensorData x = f32({2}, {1, 2});
  TensorType f32x2{DType::F32, makeShape({2})};
  Expected<std::vector<TensorData>> wrongResult =
      evaluateOp(OpKind::Neg, {x}, {}, {TensorType{DType::F32, makeShape({3})}});
  REQUIRE_FALSE(wrongResult.ok());
  CHECK(wrongResult.message() == "result 0 has type f32[3], expected f32[2]");
  TensorData bad = x;
  bad.bytes = std::make_shared<const std::vector<uint8_t>>(4, 0);
  Expected<std::vector<TensorData>> badBytes =
      evaluateOp(OpKind::Neg, {bad}, {}, {f32x2});
  REQUIRE_FALSE(badBytes.ok());
  CHECK(badBytes.message() == "operand 0 has 4 bytes, expected 8 for f32[2]");
  TensorData symbolic = x;
  symbolic.type.shape = {Dim::symbol("n")};
  CHECK_FALSE(evaluateOp(OpKind::Neg, {symbolic}, {}, {f32x2}).ok());
  Expected<TensorData> badAttr = tryRun(OpKind::Softmax, {x});
  REQUIRE_FALSE(badAttr.ok());
  CHECK(badAttr.message() == "missing attribute 'axis'");
}

TEST_CASE("interpreter: interpretGraph", "[interp]") {
  Graph g;
  Value *x = *g.addInput("x", {DType::F32, makeShape({2, 2})});
  Value *c = *g.addConstant(f32({2}, {-1, 1}), "c");
  Expected<Node *> add = g.addNode(OpKind::Add, {x, c});
  REQUIRE(add.ok());
  Expected<Node *> relu = g.addNode(OpKind::Relu, {(*add)->result()});
  REQUIRE(relu.ok());
  Expected<Node *> sum = g.addNode(
      OpKind::ReduceSum, {(*relu)->result()},
      {{"axes", Ints{0, 1}}, {"keepdims", int64_t{0}}});
  REQUIRE(sum.ok());
  g.setOutputs({(*relu)->result(), (*sum)->result(), x});
  Expected<std::vector<TensorData>> out =
      interpretGraph(g, {f32({2, 2}, {1, 2, 3, -4})});
  INFO((out.ok() ? std::string() : out.message()));
  REQUIRE(out.ok());
  REQUIRE(out->size() == 3);
  CHECK(values<float>((*out)[0]) == std::vector<float>{0, 3, 2, 0});
  CHECK(values<float>((*out)[1]) == std::vector<float>{5});
  CHECK(values<float>((*out)[2]) == std::vector<float>{1, 2, 3, -4});

  Expected<std::vector<TensorData>> wrongType =
      interpretGraph(g, {f32({4}, {1, 2, 3, 4})});
  REQUIRE_FALSE(wrongType.ok());
  CHECK(wrongType.message() == "input %x has type f32[4], expected f32[2,2]");
  CHECK_FALSE(interpretGraph(g, {}).ok());
}

TEST_CASE("interpreter binds symbols from input shapes and values",
          "[interpreter]") {
  // y = reshape(x, shape) + iota along dim 1 (i64 via cast); also the
  // shape's values as data.
  Expected<Graph> g = parseGraph(R"(
graph @g(%x: f32[?n,4], %shape: i64[2]) -> (%y, %s) {
  symbol ?v0 = value %shape[0]
  symbol ?v1 = value %shape[1]
  symbol ?c = mul 4, ?n
  symbol ?m = mul ?v0, ?v1
  symbol ?ok = eq ?c, ?m
  require ?ok "the shape does not fit"
  %r = reshape(%x) {checked = 1, shape = [?v0, ?v1]} : f32[?v0,?v1]
  %i = iota() {axis = 1, shape = [?v0, ?v1]} : i64[?v0,?v1]
  %f = cast(%i) {to = f32} : f32[?v0,?v1]
  %y = add(%r, %f) : f32[?v0,?v1]
  %s = symbol_values() {values = [?v1, -3, ?n]} : i64[3]
}
)");
  REQUIRE(g.ok());
  TensorData x = f32({2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});
  Expected<std::vector<TensorData>> out =
      interpretGraph(*g, {x, i64({2}, {4, 2})});
  REQUIRE(out.ok());
  CHECK(typeToString((*out)[0].type) == "f32[4,2]");
  CHECK(values<float>((*out)[0]) ==
        std::vector<float>{0, 2, 2, 4, 4, 6, 6, 8});
  CHECK(values<int64_t>((*out)[1]) == std::vector<int64_t>{2, -3, 2});
  // A shape that does not fit fails with the requirement's message.
  out = interpretGraph(*g, {x, i64({2}, {3, 3})});
  REQUIRE_FALSE(out.ok());
  CHECK(out.message() == "the shape does not fit");
  // A negative dim is an error, not a wrapped extent.
  out = interpretGraph(*g, {x, i64({2}, {-2, -4})});
  REQUIRE_FALSE(out.ok());
  CHECK_THAT(out.message(), Catch::Contains("is negative"));
}

TEST_CASE("interpreter scales value symbols", "[interpreter]") {
  // floor(5 * scale) in double precision (Resize's extent), and an integer
  // times its factor.
  Expected<Graph> g = parseGraph(R"(
graph @g(%scale: f32[1], %n: i64[1]) -> (%a, %b) {
  symbol ?o = value %scale[0] * 5
  symbol ?m = value %n[0] * 3
  %a = iota() {axis = 0, shape = [?o]} : i64[?o]
  %b = iota() {axis = 0, shape = [?m]} : i64[?m]
}
)");
  REQUIRE(g.ok());
  Expected<std::vector<TensorData>> out =
      interpretGraph(*g, {f32({1}, {0.6f}), i64({1}, {2})});
  REQUIRE(out.ok());
  CHECK(typeToString((*out)[0].type) == "i64[3]"); // 0.6f * 5 = 3.0000001
  CHECK(typeToString((*out)[1].type) == "i64[6]");
  out = interpretGraph(*g, {f32({1}, {0.6f}), i64({1}, {INT64_MAX / 2})});
  REQUIRE_FALSE(out.ok());
  CHECK_THAT(out.message(), Catch::Contains("overflows"));
}
