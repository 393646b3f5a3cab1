// Reference interpreter: naive host implementations of every op, written to
// be obviously correct rather than fast. Numeric conventions (docs/ir.md):
// elementwise float math runs in the element type (f16/bf16 through f32 and
// rounded back to nearest-even); reductions, matmul, conv, avg_pool and the
// normalizations accumulate floats in f64 and round once to the result type;
// integer arithmetic wraps.
#include "ir/Interpreter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <type_traits>

namespace mlc {
namespace {

//===----------------------------------------------------------------------===//
// Element types.
//===----------------------------------------------------------------------===//

/// Storage of one f16 element.
struct Half {
  uint16_t bits;
};
/// Storage of one bf16 element.
struct BFloat {
  uint16_t bits;
};
/// Storage of one bool element (one byte, 0 or 1).
struct Bool8 {
  uint8_t value;
};

/// Rounds `x` to nearest-even in a binary format with `mantBits` stored
/// significand bits, exponent bias `bias`, normal exponents [emin, emax];
/// returns the 16-bit encoding. Used for f16 and bf16.
uint16_t encodeSmallFloat(double x, int mantBits, int bias, int emin,
                          int emax) {
  const int expBits = 15 - mantBits;
  const uint16_t expMask = static_cast<uint16_t>(((1 << expBits) - 1)
                                                 << mantBits);
  uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  if (std::isnan(x))
    return sign | expMask | static_cast<uint16_t>(1 << (mantBits - 1));
  double a = std::fabs(x);
  // The midpoint between the largest finite value and 2^(emax+1): it and
  // everything above round to infinity.
  double limit = std::ldexp(2.0 - std::ldexp(1.0, -(mantBits + 1)), emax);
  if (a >= limit)
    return sign | expMask;
  int e = a == 0 ? emin : std::max(std::ilogb(a), emin);
  double quantum = std::ldexp(1.0, e - mantBits);
  // Both the division and the multiplication are exact (powers of two), so
  // the only rounding is nearbyint's, which is to nearest-even.
  double r = std::nearbyint(a / quantum) * quantum;
  if (r == 0)
    return sign;
  int re = std::ilogb(r);
  if (re < emin)
    return sign | static_cast<uint16_t>(r / std::ldexp(1.0, emin - mantBits));
  uint16_t mant = static_cast<uint16_t>(
      static_cast<uint32_t>(r / std::ldexp(1.0, re - mantBits)) -
      (1u << mantBits));
  return sign | static_cast<uint16_t>((re + bias) << mantBits) | mant;
}

uint16_t doubleToHalfBits(double x) { return encodeSmallFloat(x, 10, 15, -14, 15); }
uint16_t doubleToBFloatBits(double x) {
  return encodeSmallFloat(x, 7, 127, -126, 127);
}

float halfBitsToFloat(uint16_t h) {
  int exp = (h >> 10) & 0x1f;
  int mant = h & 0x3ff;
  float value;
  if (exp == 0)
    value = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    value = mant ? std::numeric_limits<float>::quiet_NaN()
                 : std::numeric_limits<float>::infinity();
  else
    value = std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
  return (h & 0x8000) ? -value : value;
}

float bfloatBitsToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

/// Rounds an integer magnitude to `precision` significant bits, to nearest
/// even, exactly (no detour through double for wide integers).
double roundMagnitude(uint64_t m, int precision) {
  if (m == 0)
    return 0;
  int top = 63 - __builtin_clzll(m);
  if (top < precision)
    return static_cast<double>(m);
  int shift = top + 1 - precision;
  uint64_t kept = m >> shift;
  uint64_t rest = m & ((uint64_t{1} << shift) - 1);
  uint64_t half = uint64_t{1} << (shift - 1);
  if (rest > half || (rest == half && (kept & 1)))
    ++kept;
  return std::ldexp(static_cast<double>(kept), shift);
}

/// How a storage type is computed on: f16/bf16 in float, bool as bool, the
/// rest as themselves.
template <typename T> struct Elem {
  using Compute = T;
  static Compute load(T v) { return v; }
  static T store(Compute v) { return v; }
};
template <> struct Elem<Half> {
  using Compute = float;
  static float load(Half v) { return halfBitsToFloat(v.bits); }
  static Half store(float v) { return Half{doubleToHalfBits(v)}; }
};
template <> struct Elem<BFloat> {
  using Compute = float;
  static float load(BFloat v) { return bfloatBitsToFloat(v.bits); }
  static BFloat store(float v) { return BFloat{doubleToBFloatBits(v)}; }
};
template <> struct Elem<Bool8> {
  using Compute = bool;
  static bool load(Bool8 v) { return v.value != 0; }
  static Bool8 store(bool v) { return Bool8{static_cast<uint8_t>(v)}; }
};

template <typename T> using Compute = typename Elem<T>::Compute;

template <typename T>
constexpr bool kIsFloat =
    std::is_same_v<T, float> || std::is_same_v<T, double> ||
    std::is_same_v<T, Half> || std::is_same_v<T, BFloat>;
template <typename T> constexpr bool kIsBool = std::is_same_v<T, Bool8>;
template <typename T> constexpr bool kIsInt = !kIsFloat<T> && !kIsBool<T>;

/// Unsigned type wide enough for wrapping arithmetic on integer T (at least
/// 32 bits, so that promotion to int never overflows).
template <typename T> auto wrapTypeOf() {
  if constexpr (!std::is_integral_v<T>)
    return uint64_t{}; // Never used for arithmetic.
  else if constexpr (sizeof(T) < 4)
    return uint32_t{};
  else
    return std::make_unsigned_t<T>{};
}
template <typename T> using Wrap = decltype(wrapTypeOf<T>());

template <typename T> struct Tag {
  using type = T;
};

/// Calls `f(Tag<T>{})` with the storage type T of `dtype`.
template <typename F> auto visitDType(DType dtype, F &&f) {
  switch (dtype) {
  case DType::F32:
    return f(Tag<float>{});
  case DType::F64:
    return f(Tag<double>{});
  case DType::F16:
    return f(Tag<Half>{});
  case DType::BF16:
    return f(Tag<BFloat>{});
  case DType::I8:
    return f(Tag<int8_t>{});
  case DType::I16:
    return f(Tag<int16_t>{});
  case DType::I32:
    return f(Tag<int32_t>{});
  case DType::I64:
    return f(Tag<int64_t>{});
  case DType::U8:
    return f(Tag<uint8_t>{});
  case DType::U16:
    return f(Tag<uint16_t>{});
  case DType::U32:
    return f(Tag<uint32_t>{});
  case DType::U64:
    return f(Tag<uint64_t>{});
  case DType::Bool:
    break;
  default: // narrow types: only cast and reshape take them (evalNarrowCast)
    break;
  }
  return f(Tag<Bool8>{});
}

/// Float→integer conversion: truncates toward zero, saturates at the type's
/// range, NaN gives 0.
template <typename D> D saturatingTrunc(double v) {
  if (std::isnan(v))
    return 0;
  double t = std::trunc(v);
  if (t <= static_cast<double>(std::numeric_limits<D>::lowest()))
    return std::numeric_limits<D>::lowest();
  if (t >= static_cast<double>(std::numeric_limits<D>::max()))
    return std::numeric_limits<D>::max();
  return static_cast<D>(t);
}

/// Converts a computed value of a source type to storage type D following
/// `cast` semantics.
template <typename D, typename S> D convertElement(S v) {
  if constexpr (kIsBool<D>) {
    return Bool8{static_cast<uint8_t>(v != S(0))};
  } else if constexpr (std::is_same_v<D, Half> || std::is_same_v<D, BFloat>) {
    constexpr bool isHalf = std::is_same_v<D, Half>;
    double exact;
    if constexpr (std::is_floating_point_v<S>) {
      exact = static_cast<double>(v);
    } else {
      bool negative = false;
      uint64_t magnitude;
      if constexpr (std::is_same_v<S, bool>) {
        magnitude = v ? 1 : 0;
      } else if constexpr (std::is_signed_v<S>) {
        negative = v < 0;
        magnitude = negative ? uint64_t{0} - static_cast<uint64_t>(v)
                             : static_cast<uint64_t>(v);
      } else {
        magnitude = v;
      }
      exact = roundMagnitude(magnitude, isHalf ? 11 : 8);
      if (negative)
        exact = -exact;
    }
    return D{isHalf ? doubleToHalfBits(exact) : doubleToBFloatBits(exact)};
  } else if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_floating_point_v<S>) {
    return saturatingTrunc<D>(static_cast<double>(v));
  } else {
    return static_cast<D>(v); // Modular since C++20.
  }
}

/// Converts a double (an f64-accumulated result) to storage type T with one
/// rounding.
template <typename T> T fromDouble(double v) { return convertElement<T>(v); }

//===----------------------------------------------------------------------===//
// Tensor access.
//===----------------------------------------------------------------------===//

template <typename T> std::vector<Compute<T>> loadAll(const TensorData &data) {
  size_t n = data.bytes->size() / sizeof(T);
  std::vector<Compute<T>> out(n);
  const uint8_t *p = data.bytes->data();
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    out[i] = Elem<T>::load(v);
  }
  return out;
}

template <typename T> std::vector<double> loadAsDouble(const TensorData &data) {
  std::vector<Compute<T>> values = loadAll<T>(data);
  return std::vector<double>(values.begin(), values.end());
}

template <typename T>
Expected<TensorData> storeAll(const TensorType &type,
                              const std::vector<Compute<T>> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    T v = Elem<T>::store(values[i]);
    std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
  }
  return makeTensorData(type, std::move(bytes));
}

template <typename T>
Expected<TensorData> storeDoubles(const TensorType &type,
                                  const std::vector<double> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    T v = fromDouble<T>(values[i]);
    std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
  }
  return makeTensorData(type, std::move(bytes));
}

std::vector<int64_t> extentsOf(const TensorType &type) {
  std::vector<int64_t> extents;
  for (const Dim &d : type.shape)
    extents.push_back(d.value());
  return extents;
}

int64_t product(const std::vector<int64_t> &extents, size_t begin = 0,
                size_t end = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = begin; i < std::min(end, extents.size()); ++i)
    p *= extents[i];
  return p;
}

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &extents) {
  std::vector<int64_t> strides(extents.size());
  int64_t stride = 1;
  for (size_t i = extents.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= extents[i];
  }
  return strides;
}

/// Strides of an input of `in` extents read through numpy broadcasting into
/// an output of `out` extents: right-aligned, 0 where the input is 1.
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &in,
                                      const std::vector<int64_t> &out) {
  std::vector<int64_t> inStrides = contiguousStrides(in);
  std::vector<int64_t> strides(out.size(), 0);
  size_t offset = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    strides[offset + i] = in[i] == 1 ? 0 : inStrides[i];
  return strides;
}

/// Calls `f(linearIndex, offsets)` for every index of `extents` in row-major
/// order, where offsets[k] = base[k] + sum(index[d] * strides[k][d]).
template <size_t N, typename F>
void forEachIndex(const std::vector<int64_t> &extents,
                  const std::array<std::vector<int64_t>, N> &strides,
                  std::array<int64_t, N> offsets, F &&f) {
  int64_t total = product(extents);
  if (total == 0)
    return;
  size_t rank = extents.size();
  std::vector<int64_t> counter(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    f(i, offsets);
    for (size_t d = rank; d-- > 0;) {
      for (size_t k = 0; k < N; ++k)
        offsets[k] += strides[k][d];
      if (++counter[d] < extents[d])
        break;
      for (size_t k = 0; k < N; ++k)
        offsets[k] -= strides[k][d] * extents[d];
      counter[d] = 0;
    }
  }
}

//===----------------------------------------------------------------------===//
// Attributes (already validated by inferResultTypes).
//===----------------------------------------------------------------------===//

int64_t intAttr(const AttributeMap &attrs, const std::string &name,
                int64_t fallback = 0) {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return fallback;
  const int64_t *v = std::get_if<int64_t>(&it->second);
  return v ? *v : fallback;
}

double floatAttr(const AttributeMap &attrs, const std::string &name) {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return 0;
  const double *v = std::get_if<double>(&it->second);
  return v ? *v : 0;
}

std::vector<int64_t> intsAttr(const AttributeMap &attrs,
                              const std::string &name,
                              std::vector<int64_t> fallback = {}) {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return fallback;
  const auto *v = std::get_if<std::vector<int64_t>>(&it->second);
  return v ? *v : fallback;
}

Error unsupported(OpKind kind, DType dtype) {
  return makeError(std::string(opName(kind)) + " does not support dtype " +
                   std::string(dtypeName(dtype)));
}

//===----------------------------------------------------------------------===//
// Elementwise.
//===----------------------------------------------------------------------===//

template <typename T, typename R = T, typename Op>
Expected<TensorData> mapUnary(const TensorData &x, const TensorType &type,
                              Op op) {
  std::vector<Compute<T>> in = loadAll<T>(x);
  std::vector<Compute<R>> out(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = op(static_cast<Compute<T>>(in[i]));
  return storeAll<R>(type, out);
}

template <typename T> Compute<T> propagatingMax(Compute<T> a, Compute<T> b) {
  if constexpr (kIsFloat<T>) {
    if (std::isnan(a))
      return a;
    if (std::isnan(b))
      return b;
  }
  return a < b ? b : a;
}

template <typename T> Compute<T> propagatingMin(Compute<T> a, Compute<T> b) {
  if constexpr (kIsFloat<T>) {
    if (std::isnan(a))
      return a;
    if (std::isnan(b))
      return b;
  }
  return b < a ? b : a;
}

Expected<TensorData> evalUnary(OpKind kind, const TensorData &x,
                               const AttributeMap &attrs,
                               const TensorType &type) {
  return visitDType(x.type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    using C = Compute<T>;
    if constexpr (kIsFloat<T>) {
      switch (kind) {
      case OpKind::Neg:
        return mapUnary<T>(x, type, [](C v) { return -v; });
      case OpKind::Abs:
        return mapUnary<T>(x, type, [](C v) { return std::fabs(v); });
      case OpKind::Exp:
        return mapUnary<T>(x, type, [](C v) { return std::exp(v); });
      case OpKind::Log:
        return mapUnary<T>(x, type, [](C v) { return std::log(v); });
      case OpKind::Sqrt:
        return mapUnary<T>(x, type, [](C v) { return std::sqrt(v); });
      case OpKind::Reciprocal:
        return mapUnary<T>(x, type, [](C v) { return C(1) / v; });
      case OpKind::Tanh:
        return mapUnary<T>(x, type, [](C v) { return std::tanh(v); });
      case OpKind::Sigmoid:
        return mapUnary<T>(x, type,
                           [](C v) { return C(1) / (C(1) + std::exp(-v)); });
      case OpKind::Relu:
        return mapUnary<T>(x, type, [](C v) { return v < C(0) ? C(0) : v; });
      case OpKind::Erf:
        return mapUnary<T>(x, type, [](C v) { return std::erf(v); });
      case OpKind::Floor:
        return mapUnary<T>(x, type, [](C v) { return std::floor(v); });
      case OpKind::Ceil:
        return mapUnary<T>(x, type, [](C v) { return std::ceil(v); });
      case OpKind::Sin:
        return mapUnary<T>(x, type, [](C v) { return std::sin(v); });
      case OpKind::Cos:
        return mapUnary<T>(x, type, [](C v) { return std::cos(v); });
      case OpKind::Asin:
        return mapUnary<T>(x, type, [](C v) { return std::asin(v); });
      case OpKind::Acos:
        return mapUnary<T>(x, type, [](C v) { return std::acos(v); });
      case OpKind::Atan:
        return mapUnary<T>(x, type, [](C v) { return std::atan(v); });
      case OpKind::Asinh:
        return mapUnary<T>(x, type, [](C v) { return std::asinh(v); });
      case OpKind::Acosh:
        return mapUnary<T>(x, type, [](C v) { return std::acosh(v); });
      case OpKind::Atanh:
        return mapUnary<T>(x, type, [](C v) { return std::atanh(v); });
      case OpKind::Round:
        // Half to even: nearbyint in the default rounding mode.
        return mapUnary<T>(x, type, [](C v) { return std::nearbyint(v); });
      case OpKind::Clip: {
        C lo = static_cast<C>(floatAttr(attrs, "min"));
        C hi = static_cast<C>(floatAttr(attrs, "max"));
        return mapUnary<T>(x, type, [&](C v) {
          C m = v < lo ? lo : v;
          return m > hi ? hi : m;
        });
      }
      case OpKind::LeakyRelu: {
        C alpha = static_cast<C>(floatAttr(attrs, "alpha"));
        return mapUnary<T>(x, type,
                           [&](C v) { return v >= C(0) ? v : alpha * v; });
      }
      default:
        break;
      }
    } else if constexpr (kIsInt<T>) {
      using W = Wrap<T>;
      switch (kind) {
      case OpKind::Neg:
        return mapUnary<T>(x, type, [](C v) { return C(W(0) - W(v)); });
      case OpKind::Abs:
        return mapUnary<T>(x, type,
                           [](C v) { return v < C(0) ? C(W(0) - W(v)) : v; });
      case OpKind::Relu:
        return mapUnary<T>(x, type, [](C v) { return v < C(0) ? C(0) : v; });
      case OpKind::Not:
        return mapUnary<T>(x, type, [](C v) { return C(~W(v)); });
      case OpKind::Clip: {
        // Integer bounds: the smallest value >= min and the largest <= max.
        C lo = saturatingTrunc<C>(std::ceil(floatAttr(attrs, "min")));
        C hi = saturatingTrunc<C>(std::floor(floatAttr(attrs, "max")));
        return mapUnary<T>(x, type, [&](C v) {
          C m = v < lo ? lo : v;
          return m > hi ? hi : m;
        });
      }
      default:
        break;
      }
    } else {
      if (kind == OpKind::Not)
        return mapUnary<T>(x, type, [](bool v) { return !v; });
    }
    return unsupported(kind, x.type.dtype);
  });
}

/// Encodes one computed source value as a stored narrow element (cast
/// semantics: integer sources wrap into narrow integers).
template <typename S>
uint8_t toNarrow(DType dst, S v, bool saturate, E8M0Rounding rounding) {
  if (dst == DType::F8E8M0) { // via f32, as onnx's reference
    double d = static_cast<double>(v);
    if constexpr (std::is_same_v<S, bool>)
      d = v ? 1.0 : 0.0;
    return e8m0FromFloat(narrowToFloat(d), saturate, rounding);
  }
  if constexpr (std::is_floating_point_v<S>)
    return narrowFromDouble(dst, static_cast<double>(v), saturate);
  else if constexpr (std::is_same_v<S, bool>)
    return narrowFromInteger(dst, v ? 1 : 0, saturate);
  else if (isNarrowFloat(dst))
    return narrowFromDouble(dst, static_cast<double>(v), saturate);
  else
    return narrowFromInteger(dst, static_cast<int64_t>(v), saturate);
}

/// cast where the source or the result is a narrow type (isNarrow).
Expected<TensorData> evalNarrowCast(const TensorData &x, const TensorType &type,
                                    bool saturate, E8M0Rounding rounding) {
  DType src = x.type.dtype, dst = type.dtype;
  size_t count = x.bytes->size() / static_cast<size_t>(dtypeSize(src));
  if (isNarrow(src)) {
    std::vector<double> in(count);
    for (size_t i = 0; i < count; ++i)
      in[i] = narrowToDouble(src, (*x.bytes)[i]);
    if (isNarrow(dst)) {
      std::vector<uint8_t> bytes(count);
      for (size_t i = 0; i < count; ++i)
        bytes[i] =
            dst == DType::F8E8M0 ? toNarrow(dst, in[i], saturate, rounding)
            : isNarrowFloat(src) || isNarrowFloat(dst)
                ? narrowFromDouble(dst, in[i], saturate)
                : narrowFromInteger(dst, static_cast<int64_t>(in[i]), saturate);
      return makeTensorData(type, std::move(bytes));
    }
    return visitDType(dst, [&](auto dstTag) -> Expected<TensorData> {
      using D = typename decltype(dstTag)::type;
      std::vector<uint8_t> bytes(count * sizeof(D));
      for (size_t i = 0; i < count; ++i) {
        D v = isNarrowFloat(src)
                  ? convertElement<D>(in[i])
                  : convertElement<D>(static_cast<int64_t>(in[i]));
        std::memcpy(bytes.data() + i * sizeof(D), &v, sizeof(D));
      }
      return makeTensorData(type, std::move(bytes));
    });
  }
  return visitDType(src, [&](auto srcTag) -> Expected<TensorData> {
    using S = typename decltype(srcTag)::type;
    std::vector<Compute<S>> in = loadAll<S>(x);
    std::vector<uint8_t> bytes(in.size());
    for (size_t i = 0; i < in.size(); ++i)
      bytes[i] = toNarrow(dst, in[i], saturate, rounding);
    return makeTensorData(type, std::move(bytes));
  });
}

Expected<TensorData> evalCast(const TensorData &x, const TensorType &type,
                              bool saturate, E8M0Rounding rounding) {
  if (isNarrow(x.type.dtype) || isNarrow(type.dtype))
    return evalNarrowCast(x, type, saturate, rounding);
  return visitDType(x.type.dtype, [&](auto srcTag) -> Expected<TensorData> {
    using S = typename decltype(srcTag)::type;
    std::vector<Compute<S>> in = loadAll<S>(x);
    return visitDType(type.dtype, [&](auto dstTag) -> Expected<TensorData> {
      using D = typename decltype(dstTag)::type;
      std::vector<uint8_t> bytes(in.size() * sizeof(D));
      for (size_t i = 0; i < in.size(); ++i) {
        D v = convertElement<D>(static_cast<Compute<S>>(in[i]));
        std::memcpy(bytes.data() + i * sizeof(D), &v, sizeof(D));
      }
      return makeTensorData(type, std::move(bytes));
    });
  });
}

template <typename T, typename R, typename Op>
Expected<TensorData> mapBinary(const TensorData &a, const TensorData &b,
                               const TensorType &type, Op op) {
  std::vector<Compute<T>> va = loadAll<T>(a), vb = loadAll<T>(b);
  std::vector<int64_t> out = extentsOf(type);
  std::vector<Compute<R>> result(product(out));
  forEachIndex<2>(out,
                  {broadcastStrides(extentsOf(a.type), out),
                   broadcastStrides(extentsOf(b.type), out)},
                  {0, 0}, [&](int64_t i, const std::array<int64_t, 2> &off) {
                    result[i] = op(static_cast<Compute<T>>(va[off[0]]),
                                   static_cast<Compute<T>>(vb[off[1]]));
                  });
  return storeAll<R>(type, result);
}

Expected<TensorData> evalBinary(OpKind kind, const TensorData &a,
                                const TensorData &b, const TensorType &type) {
  return visitDType(a.type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    using C = Compute<T>;
    switch (kind) {
    case OpKind::Equal:
      return mapBinary<T, Bool8>(a, b, type, [](C x, C y) { return x == y; });
    case OpKind::Less:
      if constexpr (!kIsBool<T>)
        return mapBinary<T, Bool8>(a, b, type, [](C x, C y) { return x < y; });
      break;
    case OpKind::Greater:
      if constexpr (!kIsBool<T>)
        return mapBinary<T, Bool8>(a, b, type, [](C x, C y) { return x > y; });
      break;
    case OpKind::And:
      if constexpr (kIsBool<T>)
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return x && y; });
      break;
    case OpKind::Or:
      if constexpr (kIsBool<T>)
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return x || y; });
      break;
    case OpKind::Xor:
      if constexpr (kIsBool<T>)
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return x != y; });
      break;
    case OpKind::Max:
      if constexpr (!kIsBool<T>)
        return mapBinary<T, T>(a, b, type, propagatingMax<T>);
      break;
    case OpKind::Min:
      if constexpr (!kIsBool<T>)
        return mapBinary<T, T>(a, b, type, propagatingMin<T>);
      break;
    case OpKind::Pow:
      if constexpr (kIsFloat<T>)
        return mapBinary<T, T>(a, b, type,
                               [](C x, C y) { return C(std::pow(x, y)); });
      break;
    default:
      break;
    }
    if constexpr (kIsFloat<T>) {
      switch (kind) {
      case OpKind::Add:
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return x + y; });
      case OpKind::Sub:
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return x - y; });
      case OpKind::Mul:
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return x * y; });
      case OpKind::Div:
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return x / y; });
      case OpKind::Fmod:
        return mapBinary<T, T>(a, b, type,
                               [](C x, C y) { return C(std::fmod(x, y)); });
      case OpKind::Mod:
        // numpy's mod: the sign of the divisor, and a zero result too.
        return mapBinary<T, T>(a, b, type, [](C x, C y) {
          C r = std::fmod(x, y);
          if (r == C(0))
            return std::copysign(C(0), y);
          if ((r < C(0)) != (y < C(0)))
            r += y;
          return r;
        });
      default:
        break;
      }
    } else if constexpr (kIsInt<T>) {
      using W = Wrap<T>;
      switch (kind) {
      case OpKind::Add:
        return mapBinary<T, T>(a, b, type,
                               [](C x, C y) { return C(W(x) + W(y)); });
      case OpKind::Sub:
        return mapBinary<T, T>(a, b, type,
                               [](C x, C y) { return C(W(x) - W(y)); });
      case OpKind::Mul:
        return mapBinary<T, T>(a, b, type,
                               [](C x, C y) { return C(W(x) * W(y)); });
      case OpKind::Div:
        return mapBinary<T, T>(a, b, type, [](C x, C y) {
          if (y == 0)
            return C(0); // Defined as 0 (docs/ir.md).
          if constexpr (std::is_signed_v<C>)
            if (y == -1)
              return C(W(0) - W(x)); // Wraps for the minimum value.
          return C(x / y);
        });
      case OpKind::Fmod:
      case OpKind::Mod: {
        // x % 0 is 0 (docs/ir.md); x % -1 is 0, computed without the
        // overflow of the minimum value / -1.
        bool floored = kind == OpKind::Mod;
        return mapBinary<T, T>(a, b, type, [floored](C x, C y) {
          if (y == 0)
            return C(0);
          if constexpr (std::is_signed_v<C>) {
            if (y == -1)
              return C(0);
            C r = C(x % y);
            if (floored && r != 0 && ((r < 0) != (y < 0)))
              r = C(W(r) + W(y));
            return r;
          } else {
            (void)floored;
            return C(x % y);
          }
        });
      }
      case OpKind::And:
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return C(x & y); });
      case OpKind::Or:
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return C(x | y); });
      case OpKind::Xor:
        return mapBinary<T, T>(a, b, type, [](C x, C y) { return C(x ^ y); });
      case OpKind::Shl:
      case OpKind::Shr: {
        // Amounts outside [0, bit width) leave only the sign fill: 0, or -1
        // for a right shift of a negative value (docs/ir.md).
        bool left = kind == OpKind::Shl;
        return mapBinary<T, T>(a, b, type, [left](C x, C y) {
          if (y < C(0) || y >= C(sizeof(C) * 8))
            return C(!left && x < C(0) ? -1 : 0);
          return left ? C(W(x) << y) : C(x >> y);
        });
      }
      default:
        break;
      }
    }
    return unsupported(kind, a.type.dtype);
  });
}

Expected<TensorData> evalWhere(const TensorData &cond, const TensorData &x,
                               const TensorData &y, const TensorType &type) {
  std::vector<int64_t> out = extentsOf(type);
  size_t size = dtypeSize(type.dtype);
  std::vector<uint8_t> bytes(product(out) * size);
  const uint8_t *c = cond.bytes->data();
  const uint8_t *px = x.bytes->data(), *py = y.bytes->data();
  forEachIndex<3>(out,
                  {broadcastStrides(extentsOf(cond.type), out),
                   broadcastStrides(extentsOf(x.type), out),
                   broadcastStrides(extentsOf(y.type), out)},
                  {0, 0, 0}, [&](int64_t i, const std::array<int64_t, 3> &off) {
                    const uint8_t *src =
                        c[off[0]] ? px + off[1] * size : py + off[2] * size;
                    std::memcpy(bytes.data() + i * size, src, size);
                  });
  return makeTensorData(type, std::move(bytes));
}

//===----------------------------------------------------------------------===//
// Contractions.
//===----------------------------------------------------------------------===//

Expected<TensorData> evalMatMul(const TensorData &a, const TensorData &b,
                                const TensorType &type) {
  std::vector<int64_t> ea = extentsOf(a.type), eb = extentsOf(b.type);
  std::vector<int64_t> out = extentsOf(type);
  int64_t m = ea[ea.size() - 2], k = ea.back(), n = eb.back();
  std::vector<int64_t> batch(out.begin(), out.end() - 2);
  std::vector<int64_t> batchA(ea.begin(), ea.end() - 2);
  std::vector<int64_t> batchB(eb.begin(), eb.end() - 2);
  std::vector<int64_t> strideA = broadcastStrides(batchA, batch);
  std::vector<int64_t> strideB = broadcastStrides(batchB, batch);
  return visitDType(a.type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    if constexpr (kIsBool<T>) {
      return unsupported(OpKind::MatMul, a.type.dtype);
    } else {
      // Floats accumulate in f64; integers wrap in their own width.
      using Acc = std::conditional_t<kIsFloat<T>, double, Wrap<T>>;
      std::vector<Compute<T>> va = loadAll<T>(a), vb = loadAll<T>(b);
      std::vector<Acc> result(product(out));
      forEachIndex<2>(
          batch, {strideA, strideB}, {0, 0},
          [&](int64_t bi, const std::array<int64_t, 2> &off) {
            const Compute<T> *pa = va.data() + off[0] * m * k;
            const Compute<T> *pb = vb.data() + off[1] * k * n;
            Acc *pc = result.data() + bi * m * n;
            for (int64_t i = 0; i < m; ++i)
              for (int64_t p = 0; p < k; ++p) {
                Acc av = static_cast<Acc>(pa[i * k + p]);
                for (int64_t j = 0; j < n; ++j)
                  pc[i * n + j] += av * static_cast<Acc>(pb[p * n + j]);
              }
          });
      if constexpr (kIsFloat<T>) {
        return storeDoubles<T>(type, result);
      } else {
        std::vector<Compute<T>> values(result.begin(), result.end());
        return storeAll<T>(type, values);
      }
    }
  });
}

/// Window geometry padded to three spatial dims (missing dims have extent,
/// kernel, stride and dilation 1 and no padding).
struct Window3 {
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1},
      stride{1, 1, 1}, dilation{1, 1, 1}, padBegin{0, 0, 0}, padEnd{0, 0, 0};
};

Window3 makeWindow(const std::vector<int64_t> &inExtents,
                   const std::vector<int64_t> &outExtents,
                   const std::vector<int64_t> &kernel,
                   const AttributeMap &attrs) {
  size_t k = inExtents.size() - 2;
  std::vector<int64_t> strides = intsAttr(attrs, "strides");
  std::vector<int64_t> pads = intsAttr(attrs, "pads");
  std::vector<int64_t> dilations =
      intsAttr(attrs, "dilations", std::vector<int64_t>(k, 1));
  Window3 w;
  for (size_t i = 0; i < k; ++i) {
    w.in[i] = inExtents[i + 2];
    w.out[i] = outExtents[i + 2];
    w.kernel[i] = kernel[i];
    w.stride[i] = strides[i];
    w.dilation[i] = dilations[i];
    w.padBegin[i] = pads[i];
    w.padEnd[i] = pads[i + k];
  }
  return w;
}

/// The outputs o in [0, out) whose input position o * stride + shift lies
/// in [0, in), as a half-open range.
std::pair<int64_t, int64_t> validRange(int64_t shift, int64_t stride,
                                       int64_t in, int64_t out) {
  int64_t lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  int64_t hi = in - shift <= 0 ? 0 : (in - shift + stride - 1) / stride;
  hi = std::min(hi, out);
  return {lo, std::max(lo, hi)};
}

Expected<TensorData> evalConv(const std::vector<TensorData> &ops,
                              const AttributeMap &attrs,
                              const TensorType &type) {
  std::vector<int64_t> ex = extentsOf(ops[0].type), ew = extentsOf(ops[1].type);
  std::vector<int64_t> out = extentsOf(type);
  std::vector<int64_t> kernel(ew.begin() + 2, ew.end());
  Window3 w = makeWindow(ex, out, kernel, attrs);
  int64_t batch = ex[0], channels = ex[1], filters = ew[0];
  int64_t group = intAttr(attrs, "group", 1);
  int64_t perGroupIn = channels / group, perGroupOut = filters / group;
  return visitDType(type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    if constexpr (!kIsFloat<T>) {
      return unsupported(OpKind::Conv, type.dtype);
    } else {
      std::vector<double> x = loadAsDouble<T>(ops[0]);
      std::vector<double> wt = loadAsDouble<T>(ops[1]);
      std::vector<double> bias =
          ops.size() == 3 ? loadAsDouble<T>(ops[2]) : std::vector<double>();
      int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
      int64_t kPlane = w.kernel[0] * w.kernel[1] * w.kernel[2];
      int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
      std::vector<double> result(batch * filters * outPlane);
      for (int64_t nb = 0; nb < batch; ++nb)
        for (int64_t f = 0; f < filters; ++f) {
          int64_t g = f / perGroupOut;
          double *dst = result.data() + (nb * filters + f) * outPlane;
          for (int64_t o = 0; o < outPlane; ++o)
            dst[o] = bias.empty() ? 0.0 : bias[f];
          for (int64_t c = 0; c < perGroupIn; ++c) {
            const double *src =
                x.data() + (nb * channels + g * perGroupIn + c) * inPlane;
            const double *ker = wt.data() + (f * perGroupIn + c) * kPlane;
            // One kernel tap at a time: dst[o] += w * x[o*stride + shift],
            // over the output range whose input position is in bounds.
            for (int64_t k0 = 0; k0 < w.kernel[0]; ++k0)
              for (int64_t k1 = 0; k1 < w.kernel[1]; ++k1)
                for (int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
                  double tap = ker[(k0 * w.kernel[1] + k1) * w.kernel[2] + k2];
                  int64_t shift2 = k2 * w.dilation[2] - w.padBegin[2];
                  auto [lo2, hi2] = validRange(shift2, w.stride[2], w.in[2],
                                               w.out[2]);
                  for (int64_t o0 = 0; o0 < w.out[0]; ++o0) {
                    int64_t i0 = o0 * w.stride[0] - w.padBegin[0] +
                                 k0 * w.dilation[0];
                    if (i0 < 0 || i0 >= w.in[0])
                      continue;
                    for (int64_t o1 = 0; o1 < w.out[1]; ++o1) {
                      int64_t i1 = o1 * w.stride[1] - w.padBegin[1] +
                                   k1 * w.dilation[1];
                      if (i1 < 0 || i1 >= w.in[1])
                        continue;
                      const double *__restrict row =
                          src + (i0 * w.in[1] + i1) * w.in[2];
                      double *__restrict out =
                          dst + (o0 * w.out[1] + o1) * w.out[2];
                      if (w.stride[2] == 1) {
                        for (int64_t o2 = lo2; o2 < hi2; ++o2)
                          out[o2] += tap * row[o2 + shift2];
                      } else {
                        for (int64_t o2 = lo2; o2 < hi2; ++o2)
                          out[o2] += tap * row[o2 * w.stride[2] + shift2];
                      }
                    }
                  }
                }
          }
        }
      return storeDoubles<T>(type, result);
    }
  });
}

//===----------------------------------------------------------------------===//
// Windows and reductions.
//===----------------------------------------------------------------------===//

Expected<TensorData> evalPool(OpKind kind, const TensorData &xData,
                              const AttributeMap &attrs,
                              const TensorType &type) {
  std::vector<int64_t> ex = extentsOf(xData.type), out = extentsOf(type);
  Window3 w = makeWindow(ex, out, intsAttr(attrs, "kernel"), attrs);
  bool countPad = intAttr(attrs, "count_include_pad") == 1;
  int64_t planes = ex[0] * ex[1];
  int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
  int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
  bool isMax = kind == OpKind::MaxPool;
  return visitDType(type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    using C = Compute<T>;
    if constexpr (kIsBool<T>) {
      return unsupported(kind, type.dtype);
    } else {
      if (!isMax && !kIsFloat<T>)
        return unsupported(kind, type.dtype);
      std::vector<C> x = loadAll<T>(xData);
      std::vector<C> maxResult(isMax ? planes * outPlane : 0);
      std::vector<double> avgResult(isMax ? 0 : planes * outPlane);
      for (int64_t plane = 0; plane < planes; ++plane) {
        const C *src = x.data() + plane * inPlane;
        for (int64_t o0 = 0; o0 < w.out[0]; ++o0)
          for (int64_t o1 = 0; o1 < w.out[1]; ++o1)
            for (int64_t o2 = 0; o2 < w.out[2]; ++o2) {
              std::array<int64_t, 3> o{o0, o1, o2};
              // Padding never wins: start from the lowest value.
              C best = kIsFloat<T> ? -std::numeric_limits<C>::infinity()
                                   : std::numeric_limits<C>::lowest();
              double sum = 0;
              int64_t valid = 0, padded = 0;
              std::array<int64_t, 3> k{};
              for (k[0] = 0; k[0] < w.kernel[0]; ++k[0])
                for (k[1] = 0; k[1] < w.kernel[1]; ++k[1])
                  for (k[2] = 0; k[2] < w.kernel[2]; ++k[2]) {
                    bool inside = true, inPadding = true;
                    std::array<int64_t, 3> p;
                    for (int d = 0; d < 3; ++d) {
                      p[d] = o[d] * w.stride[d] - w.padBegin[d] +
                             k[d] * w.dilation[d];
                      inside &= p[d] >= 0 && p[d] < w.in[d];
                      inPadding &= p[d] >= -w.padBegin[d] &&
                                   p[d] < w.in[d] + w.padEnd[d];
                    }
                    padded += inPadding;
                    if (!inside)
                      continue;
                    ++valid;
                    C v = src[(p[0] * w.in[1] + p[1]) * w.in[2] + p[2]];
                    best = propagatingMax<T>(best, v);
                    sum += static_cast<double>(v);
                  }
              int64_t index = plane * outPlane + (o0 * w.out[1] + o1) * w.out[2] + o2;
              if (isMax)
                maxResult[index] = best;
              else
                avgResult[index] =
                    sum / static_cast<double>(countPad ? padded : valid);
            }
      }
      if (isMax)
        return storeAll<T>(type, maxResult);
      return storeDoubles<T>(type, avgResult);
    }
  });
}

/// How a reduction maps input elements to outputs: the output offset
/// strides of each input dim (0 on reduced dims) and the number of input
/// elements folded into each output.
struct ReduceLayout {
  std::vector<int64_t> in;
  std::vector<int64_t> outStrides;
  int64_t outCount = 1;
  int64_t reducedCount = 1;
};

ReduceLayout makeReduceLayout(const TensorType &x,
                              const std::vector<int64_t> &axes) {
  ReduceLayout layout;
  layout.in = extentsOf(x);
  std::vector<int64_t> kept = layout.in;
  for (int64_t axis : axes) {
    layout.reducedCount *= kept[axis];
    kept[axis] = 1;
  }
  layout.outStrides = contiguousStrides(kept);
  for (int64_t axis : axes)
    layout.outStrides[axis] = 0;
  layout.outCount = product(kept);
  return layout;
}

Expected<TensorData> evalReduce(OpKind kind, const TensorData &xData,
                                const AttributeMap &attrs,
                                const TensorType &type) {
  ReduceLayout layout = makeReduceLayout(xData.type, intsAttr(attrs, "axes"));
  return visitDType(type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    using C = Compute<T>;
    if constexpr (kIsBool<T>) {
      return unsupported(kind, type.dtype);
    } else {
      std::vector<C> x = loadAll<T>(xData);
      auto fold = [&](auto &acc, auto combine) {
        forEachIndex<1>(layout.in, {layout.outStrides}, {0},
                        [&](int64_t i, const std::array<int64_t, 1> &off) {
                          acc[off[0]] = combine(acc[off[0]], x[i]);
                        });
      };
      if (kind == OpKind::ReduceMax || kind == OpKind::ReduceMin) {
        bool isMax = kind == OpKind::ReduceMax;
        C init;
        if constexpr (kIsFloat<T>)
          init = isMax ? -std::numeric_limits<C>::infinity()
                       : std::numeric_limits<C>::infinity();
        else
          init = isMax ? std::numeric_limits<C>::lowest()
                       : std::numeric_limits<C>::max();
        std::vector<C> acc(layout.outCount, init);
        if (isMax)
          fold(acc, propagatingMax<T>);
        else
          fold(acc, propagatingMin<T>);
        return storeAll<T>(type, acc);
      }
      bool isProd = kind == OpKind::ReduceProd;
      if constexpr (kIsFloat<T>) {
        std::vector<double> acc(layout.outCount, isProd ? 1.0 : 0.0);
        if (isProd)
          fold(acc, [](double a, C v) { return a * static_cast<double>(v); });
        else
          fold(acc, [](double a, C v) { return a + static_cast<double>(v); });
        if (kind == OpKind::ReduceMean)
          for (double &v : acc)
            v /= static_cast<double>(layout.reducedCount);
        return storeDoubles<T>(type, acc);
      } else {
        using W = Wrap<T>;
        std::vector<W> acc(layout.outCount, isProd ? W(1) : W(0));
        if (isProd)
          fold(acc, [](W a, C v) { return W(a * W(v)); });
        else
          fold(acc, [](W a, C v) { return W(a + W(v)); });
        std::vector<C> values(acc.size());
        for (size_t i = 0; i < acc.size(); ++i) {
          values[i] = static_cast<C>(acc[i]);
          if (kind == OpKind::ReduceMean) {
            // Divide in 64 bits: the count need not fit in C.
            using Wide = std::conditional_t<std::is_signed_v<C>, int64_t,
                                            uint64_t>;
            values[i] = layout.reducedCount == 0
                            ? C(0)
                            : static_cast<C>(
                                  static_cast<Wide>(values[i]) /
                                  static_cast<Wide>(layout.reducedCount));
          }
        }
        return storeAll<T>(type, values);
      }
    }
  });
}

/// Splits extents into (product before axis, extent at axis, product after).
std::array<int64_t, 3> splitAtAxis(const std::vector<int64_t> &extents,
                                   int64_t axis) {
  return {product(extents, 0, axis), extents[axis],
          product(extents, axis + 1)};
}

Expected<TensorData> evalArgMax(const TensorData &xData,
                                const AttributeMap &attrs,
                                const TensorType &type) {
  auto [outer, count, inner] =
      splitAtAxis(extentsOf(xData.type), intAttr(attrs, "axis"));
  bool last = intAttr(attrs, "select_last_index") == 1;
  return visitDType(xData.type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    using C = Compute<T>;
    if constexpr (kIsBool<T>) {
      return unsupported(OpKind::ArgMax, xData.type.dtype);
    } else {
      std::vector<C> x = loadAll<T>(xData);
      // NaN counts as larger than every number.
      auto isNan = [](C v) {
        if constexpr (kIsFloat<T>)
          return std::isnan(v);
        else
          return false;
      };
      auto better = [&](C v, C best) {
        if (isNan(v))
          return last || !isNan(best);
        if (isNan(best))
          return false;
        return last ? v >= best : v > best;
      };
      std::vector<int64_t> result(outer * inner);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          int64_t bestIndex = 0;
          C best = x[o * count * inner + i];
          for (int64_t j = 1; j < count; ++j) {
            C v = x[(o * count + j) * inner + i];
            if (better(v, best)) {
              best = v;
              bestIndex = j;
            }
          }
          result[o * inner + i] = bestIndex;
        }
      return storeAll<int64_t>(type, result);
    }
  });
}

Expected<TensorData> evalSoftmax(OpKind kind, const TensorData &xData,
                                 const AttributeMap &attrs,
                                 const TensorType &type) {
  auto [outer, count, inner] =
      splitAtAxis(extentsOf(xData.type), intAttr(attrs, "axis"));
  bool isLog = kind == OpKind::LogSoftmax;
  return visitDType(type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    if constexpr (!kIsFloat<T>) {
      return unsupported(kind, type.dtype);
    } else {
      std::vector<double> x = loadAsDouble<T>(xData);
      std::vector<double> result(x.size());
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t j) { return (o * count + j) * inner + i; };
          double maxValue = -std::numeric_limits<double>::infinity();
          for (int64_t j = 0; j < count; ++j)
            maxValue = std::max(maxValue, x[at(j)]);
          double sum = 0;
          for (int64_t j = 0; j < count; ++j)
            sum += std::exp(x[at(j)] - maxValue);
          for (int64_t j = 0; j < count; ++j)
            result[at(j)] = isLog ? x[at(j)] - maxValue - std::log(sum)
                                  : std::exp(x[at(j)] - maxValue) / sum;
        }
      return storeDoubles<T>(type, result);
    }
  });
}

Expected<TensorData> evalLayerNorm(const std::vector<TensorData> &ops,
                                   const AttributeMap &attrs,
                                   const TensorType &type) {
  std::vector<int64_t> ex = extentsOf(ops[0].type);
  int64_t axis = intAttr(attrs, "axis");
  double epsilon = floatAttr(attrs, "epsilon");
  std::vector<int64_t> innerExtents(ex.begin() + axis, ex.end());
  int64_t outer = product(ex, 0, axis), inner = product(innerExtents);
  // Offsets of scale and bias for each position of the normalized block.
  std::vector<std::vector<int64_t>> paramIndex(ops.size());
  for (size_t p = 1; p < ops.size(); ++p) {
    paramIndex[p].resize(inner);
    forEachIndex<1>(innerExtents,
                    {broadcastStrides(extentsOf(ops[p].type), innerExtents)},
                    {0}, [&](int64_t i, const std::array<int64_t, 1> &off) {
                      paramIndex[p][i] = off[0];
                    });
  }
  return visitDType(type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    if constexpr (!kIsFloat<T>) {
      return unsupported(OpKind::LayerNorm, type.dtype);
    } else {
      std::vector<double> x = loadAsDouble<T>(ops[0]);
      std::vector<double> scale = loadAsDouble<T>(ops[1]);
      std::vector<double> bias =
          ops.size() == 3 ? loadAsDouble<T>(ops[2]) : std::vector<double>();
      std::vector<double> result(x.size());
      for (int64_t o = 0; o < outer; ++o) {
        const double *row = x.data() + o * inner;
        double mean = 0;
        for (int64_t i = 0; i < inner; ++i)
          mean += row[i];
        mean /= static_cast<double>(inner);
        double var = 0;
        for (int64_t i = 0; i < inner; ++i)
          var += (row[i] - mean) * (row[i] - mean);
        var /= static_cast<double>(inner);
        double invStd = 1.0 / std::sqrt(var + epsilon);
        for (int64_t i = 0; i < inner; ++i) {
          double v = (row[i] - mean) * invStd * scale[paramIndex[1][i]];
          if (!bias.empty())
            v += bias[paramIndex[2][i]];
          result[o * inner + i] = v;
        }
      }
      return storeDoubles<T>(type, result);
    }
  });
}

Expected<TensorData> evalBatchNorm(const std::vector<TensorData> &ops,
                                   const AttributeMap &attrs,
                                   const TensorType &type) {
  std::vector<int64_t> ex = extentsOf(ops[0].type);
  int64_t batch = ex[0], channels = ex[1], inner = product(ex, 2);
  double epsilon = floatAttr(attrs, "epsilon");
  return visitDType(type.dtype, [&](auto tag) -> Expected<TensorData> {
    using T = typename decltype(tag)::type;
    if constexpr (!kIsFloat<T>) {
      return unsupported(OpKind::BatchNorm, type.dtype);
    } else {
      std::vector<double> x = loadAsDouble<T>(ops[0]);
      std::vector<double> scale = loadAsDouble<T>(ops[1]);
      std::vector<double> bias = loadAsDouble<T>(ops[2]);
      std::vector<double> mean = loadAsDouble<T>(ops[3]);
      std::vector<double> var = loadAsDouble<T>(ops[4]);
      std::vector<double> result(x.size());
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t c = 0; c < channels; ++c) {
          double invStd = 1.0 / std::sqrt(var[c] + epsilon);
          for (int64_t i = 0; i < inner; ++i) {
            int64_t at = (n * channels + c) * inner + i;
            result[at] = (x[at] - mean[c]) * invStd * scale[c] + bias[c];
          }
        }
      return storeDoubles<T>(type, result);
    }
  });
}

//===----------------------------------------------------------------------===//
// Data movement (dtype-agnostic: copies element bytes).
//===----------------------------------------------------------------------===//

/// Copies elements of `x` into a new tensor of `type`: output element i is
/// input element at offset offsets[0] (in elements) visited by forEachIndex.
Expected<TensorData> gatherStrided(const TensorData &x, const TensorType &type,
                                   const std::vector<int64_t> &strides,
                                   int64_t base) {
  std::vector<int64_t> out = extentsOf(type);
  size_t size = dtypeSize(type.dtype);
  std::vector<uint8_t> bytes(product(out) * size);
  const uint8_t *src = x.bytes->data();
  forEachIndex<1>(out, {strides}, {base},
                  [&](int64_t i, const std::array<int64_t, 1> &off) {
                    std::memcpy(bytes.data() + i * size, src + off[0] * size,
                                size);
                  });
  return makeTensorData(type, std::move(bytes));
}

Expected<TensorData> evalTranspose(const TensorData &x,
                                   const AttributeMap &attrs,
                                   const TensorType &type) {
  std::vector<int64_t> perm = intsAttr(attrs, "perm");
  std::vector<int64_t> inStrides = contiguousStrides(extentsOf(x.type));
  std::vector<int64_t> strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    strides[i] = inStrides[perm[i]];
  return gatherStrided(x, type, strides, 0);
}

Expected<TensorData> evalSlice(const TensorData &x, const AttributeMap &attrs,
                               const TensorType &type) {
  std::vector<int64_t> starts = intsAttr(attrs, "starts");
  std::vector<int64_t> steps = intsAttr(attrs, "steps");
  std::vector<int64_t> inStrides = contiguousStrides(extentsOf(x.type));
  std::vector<int64_t> strides(inStrides.size());
  int64_t base = 0;
  bool empty = product(extentsOf(type)) == 0;
  for (size_t d = 0; d < inStrides.size(); ++d) {
    strides[d] = steps[d] * inStrides[d];
    if (!empty)
      base += starts[d] * inStrides[d];
  }
  return gatherStrided(x, type, strides, base);
}

Expected<TensorData> evalExpand(const TensorData &x, const TensorType &type) {
  return gatherStrided(x, type,
                       broadcastStrides(extentsOf(x.type), extentsOf(type)), 0);
}

Expected<TensorData> evalConcat(const std::vector<TensorData> &ops,
                                const AttributeMap &attrs,
                                const TensorType &type) {
  int64_t axis = intAttr(attrs, "axis");
  std::vector<int64_t> out = extentsOf(type);
  size_t size = dtypeSize(type.dtype);
  int64_t outer = product(out, 0, axis), inner = product(out, axis + 1);
  std::vector<uint8_t> bytes(product(out) * size);
  uint8_t *dst = bytes.data();
  for (int64_t o = 0; o < outer; ++o)
    for (const TensorData &op : ops) {
      int64_t chunk = op.type.shape[axis].value() * inner * size;
      if (chunk == 0)
        continue; // Empty vectors may have null data().
      std::memcpy(dst, op.bytes->data() + o * chunk, chunk);
      dst += chunk;
    }
  return makeTensorData(type, std::move(bytes));
}

/// The i32/i64 `indices` as positions in an axis of `count`: negative ones
/// count from the end, then all are clamped into [0, count) (docs/ir.md,
/// gather). An error when the axis is empty and there are indices.
Expected<std::vector<int64_t>> indicesInto(const TensorData &indices,
                                           int64_t count, const char *op) {
  std::vector<int64_t> idx;
  if (indices.type.dtype == DType::I32) {
    std::vector<int32_t> raw = loadAll<int32_t>(indices);
    idx.assign(raw.begin(), raw.end());
  } else {
    idx = loadAll<int64_t>(indices);
  }
  if (count == 0 && !idx.empty())
    return makeError(std::string(op) + " from an empty axis");
  for (int64_t &i : idx) {
    if (i < 0)
      i += count; // Cannot overflow: i < 0 and count >= 0.
    i = std::clamp<int64_t>(i, 0, count - 1);
  }
  return idx;
}

Expected<TensorData> evalGather(const TensorData &data,
                                const TensorData &indices,
                                const AttributeMap &attrs,
                                const TensorType &type) {
  int64_t axis = intAttr(attrs, "axis");
  auto [outer, count, inner] = splitAtAxis(extentsOf(data.type), axis);
  Expected<std::vector<int64_t>> loaded =
      indicesInto(indices, count, "gather");
  if (!loaded)
    return loaded.error();
  std::vector<int64_t> idx = loaded.take();
  size_t size = dtypeSize(type.dtype);
  int64_t chunk = inner * size;
  std::vector<uint8_t> bytes(outer * idx.size() * chunk);
  uint8_t *dst = bytes.data();
  for (int64_t o = 0; o < outer && chunk > 0; ++o)
    for (int64_t i : idx) {
      std::memcpy(dst, data.bytes->data() + (o * count + i) * chunk, chunk);
      dst += chunk;
    }
  return makeTensorData(type, std::move(bytes));
}

Expected<TensorData> evalGatherElements(const TensorData &data,
                                        const TensorData &indices,
                                        const AttributeMap &attrs,
                                        const TensorType &type) {
  int64_t axis = intAttr(attrs, "axis");
  std::vector<int64_t> ext = extentsOf(data.type);
  int64_t count = ext[axis];
  Expected<std::vector<int64_t>> loaded =
      indicesInto(indices, count, "gather_elements");
  if (!loaded)
    return loaded.error();
  std::vector<int64_t> idx = loaded.take();
  std::vector<int64_t> strides = contiguousStrides(ext);
  int64_t axisStride = strides[axis];
  strides[axis] = 0;
  size_t size = dtypeSize(type.dtype);
  std::vector<uint8_t> bytes(idx.size() * size);
  forEachIndex<1>(extentsOf(type), {strides}, {0},
                  [&](int64_t n, const std::array<int64_t, 1> &off) {
                    int64_t i = idx[n];
                    std::memcpy(bytes.data() + n * size,
                                data.bytes->data() +
                                    (off[0] + i * axisStride) * size,
                                size);
                  });
  return makeTensorData(type, std::move(bytes));
}

/// iota of a static shape: each element's index along `axis`.
Expected<TensorData> evalIota(const AttributeMap &attrs,
                              const TensorType &type) {
  if (!isStatic(type.shape))
    return makeError("iota: the shape " + typeToString(type) +
                     " has symbols, known only at run time");
  std::vector<int64_t> dims = staticExtents(type.shape);
  int64_t axis = std::get<int64_t>(attrs.at("axis"));
  int64_t count = 1, inner = 1;
  for (int64_t d : dims)
    count *= d;
  for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i)
    inner *= dims[i];
  std::vector<uint8_t> bytes(static_cast<size_t>(count) * 8);
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = i / inner % dims[static_cast<size_t>(axis)];
    std::memcpy(bytes.data() + i * 8, &v, 8);
  }
  return makeTensorData(type, std::move(bytes));
}

/// symbol_values without symbols: the constants.
Expected<TensorData> evalSymbolValues(const AttributeMap &attrs,
                                      const TensorType &type) {
  const auto *values = std::get_if<std::vector<int64_t>>(&attrs.at("values"));
  if (!values)
    return makeError("symbol_values: the values are symbols, known only at "
                     "run time");
  std::vector<uint8_t> bytes(values->size() * 8);
  if (!values->empty())
    std::memcpy(bytes.data(), values->data(), bytes.size());
  return makeTensorData(type, std::move(bytes));
}

Expected<TensorData> evalPad(const TensorData &x, const AttributeMap &attrs,
                             const TensorType &type) {
  std::vector<int64_t> in = extentsOf(x.type), out = extentsOf(type);
  std::vector<int64_t> pads = intsAttr(attrs, "pads");
  std::string mode = "constant";
  if (auto it = attrs.find("mode"); it != attrs.end())
    if (const auto *s = std::get_if<std::string>(&it->second))
      mode = *s;
  size_t rank = in.size(), size = dtypeSize(type.dtype);
  // The fill value, converted with cast semantics.
  std::vector<uint8_t> fill(size);
  double value = floatAttr(attrs, "value");
  visitDType(type.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T v = convertElement<T>(value);
    std::memcpy(fill.data(), &v, size);
    return 0;
  });
  std::vector<int64_t> inStrides = contiguousStrides(in);
  std::vector<uint8_t> bytes(product(out) * size);
  std::vector<int64_t> counter(rank, 0);
  int64_t total = product(out);
  for (int64_t i = 0; i < total; ++i) {
    int64_t offset = 0;
    bool inside = true;
    for (size_t d = 0; d < rank; ++d) {
      int64_t p = counter[d] - pads[d];
      if (p < 0 || p >= in[d]) {
        if (mode == "constant") {
          inside = false;
          break;
        }
        if (mode == "edge")
          p = std::clamp<int64_t>(p, 0, in[d] - 1);
        else // reflect: pads < extent, so one reflection suffices.
          p = p < 0 ? -p : 2 * (in[d] - 1) - p;
      }
      offset += p * inStrides[d];
    }
    std::memcpy(bytes.data() + i * size,
                inside ? x.bytes->data() + offset * size : fill.data(), size);
    for (size_t d = rank; d-- > 0;) {
      if (++counter[d] < out[d])
        break;
      counter[d] = 0;
    }
  }
  return makeTensorData(type, std::move(bytes));
}

//===----------------------------------------------------------------------===//
// Dispatch.
//===----------------------------------------------------------------------===//

/// Conv and the pools with `channels_last`: the channels-first rule between
/// two transposes ([N, D.., C] -> [N, C, D..] and back).
Expected<TensorData> evalChannelsLast(OpKind kind,
                                      const std::vector<TensorData> &ops,
                                      const AttributeMap &attrs,
                                      const TensorType &type) {
  size_t rank = type.shape.size();
  std::vector<int64_t> toFirst = {0, static_cast<int64_t>(rank) - 1};
  std::vector<int64_t> toLast = {0};
  for (size_t i = 1; i + 1 < rank; ++i)
    toFirst.push_back(static_cast<int64_t>(i));
  for (size_t i = 2; i < rank; ++i)
    toLast.push_back(static_cast<int64_t>(i));
  toLast.push_back(1);
  auto permuted = [](const TensorType &t, const std::vector<int64_t> &perm) {
    TensorType r = t;
    for (size_t i = 0; i < perm.size(); ++i)
      r.shape[i] = t.shape[static_cast<size_t>(perm[i])];
    return r;
  };
  std::vector<TensorData> first = ops;
  Expected<TensorData> x = evalTranspose(ops[0], {{"perm", toFirst}},
                                         permuted(ops[0].type, toFirst));
  if (!x)
    return x.error();
  first[0] = *x;
  AttributeMap plain = attrs;
  plain.erase("channels_last");
  TensorType firstType = permuted(type, toFirst);
  Expected<TensorData> result =
      kind == OpKind::Conv ? evalConv(first, plain, firstType)
                           : evalPool(kind, first[0], plain, firstType);
  if (!result)
    return result.error();
  return evalTranspose(*result, {{"perm", toLast}}, type);
}

Expected<TensorData> evaluate(OpKind kind, const std::vector<TensorData> &ops,
                              const AttributeMap &attrs,
                              const TensorType &type) {
  switch (kind) {
  case OpKind::Constant:
    return std::get<TensorData>(attrs.at("value"));
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Reciprocal:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Relu:
  case OpKind::Erf:
  case OpKind::Floor:
  case OpKind::Ceil:
  case OpKind::Sin:
  case OpKind::Cos:
  case OpKind::Asin:
  case OpKind::Acos:
  case OpKind::Atan:
  case OpKind::Asinh:
  case OpKind::Acosh:
  case OpKind::Atanh:
  case OpKind::Round:
  case OpKind::Not:
  case OpKind::Clip:
  case OpKind::LeakyRelu:
    return evalUnary(kind, ops[0], attrs, type);
  case OpKind::BitCast: // the same bytes
    return TensorData{type, ops[0].bytes};
  case OpKind::Cast: {
    E8M0Rounding rounding = E8M0Rounding::Up;
    auto it = attrs.find("round_mode");
    if (it != attrs.end())
      if (const std::string *s = std::get_if<std::string>(&it->second))
        rounding = parseE8M0Rounding(*s).value_or(E8M0Rounding::Up);
    return evalCast(ops[0], type, intAttr(attrs, "saturate", 1) != 0, rounding);
  }
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Max:
  case OpKind::Min:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::Greater:
  case OpKind::And:
  case OpKind::Or:
  case OpKind::Xor:
  case OpKind::Shl:
  case OpKind::Shr:
  case OpKind::Mod:
  case OpKind::Fmod:
    return evalBinary(kind, ops[0], ops[1], type);
  case OpKind::Where:
    return evalWhere(ops[0], ops[1], ops[2], type);
  case OpKind::MatMul:
    return evalMatMul(ops[0], ops[1], type);
  case OpKind::Conv:
  case OpKind::MaxPool:
  case OpKind::AvgPool:
    if (intAttr(attrs, "channels_last", 0) == 1)
      return evalChannelsLast(kind, ops, attrs, type);
    if (kind == OpKind::Conv)
      return evalConv(ops, attrs, type);
    return evalPool(kind, ops[0], attrs, type);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ReduceProd:
    return evalReduce(kind, ops[0], attrs, type);
  case OpKind::ArgMax:
    return evalArgMax(ops[0], attrs, type);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return evalSoftmax(kind, ops[0], attrs, type);
  case OpKind::LayerNorm:
    return evalLayerNorm(ops, attrs, type);
  case OpKind::BatchNorm:
    return evalBatchNorm(ops, attrs, type);
  case OpKind::Reshape:
    return TensorData{type, ops[0].bytes};
  case OpKind::Transpose:
    return evalTranspose(ops[0], attrs, type);
  case OpKind::Concat:
    return evalConcat(ops, attrs, type);
  case OpKind::Slice:
    return evalSlice(ops[0], attrs, type);
  case OpKind::Gather:
    return evalGather(ops[0], ops[1], attrs, type);
  case OpKind::GatherElements:
    return evalGatherElements(ops[0], ops[1], attrs, type);
  case OpKind::Expand:
    return evalExpand(ops[0], type);
  case OpKind::Pad:
    return evalPad(ops[0], attrs, type);
  case OpKind::Iota:
    return evalIota(attrs, type);
  case OpKind::SymbolValues:
    return evalSymbolValues(attrs, type);
  case OpKind::StringEqual:
  case OpKind::StringIndex:
  case OpKind::StringConcat:
  case OpKind::StringCase:
  case OpKind::RegexFullMatch:
  case OpKind::StringSplit:
  case OpKind::StringSplitCount:
    break;
  }
  if (isHostOp(kind))
    return makeError("the reference interpreter does not evaluate the string "
                     "op " +
                     std::string(opName(kind)));
  return makeError("unknown op kind " + std::to_string(static_cast<int>(kind)));
}

/// Checks that `data` is a static tensor whose bytes match its type.
Status checkData(const TensorData &data, const std::string &what) {
  if (data.type.dtype == DType::Str)
    return makeError(what + " is a str tensor, which the reference "
                            "interpreter does not evaluate");
  if (!isStatic(data.type.shape))
    return makeError(what + " has a non-static shape " +
                     typeToString(data.type));
  Expected<int64_t> bytes = byteSize(data.type);
  if (!bytes.ok())
    return makeError(what + ": " + bytes.message());
  int64_t have = data.bytes ? static_cast<int64_t>(data.bytes->size()) : 0;
  if (have != *bytes)
    return makeError(what + " has " + std::to_string(have) +
                     " bytes, expected " + std::to_string(*bytes) + " for " +
                     typeToString(data.type));
  return Status::success();
}

} // namespace

Expected<std::vector<TensorData>>
evaluateOp(OpKind kind, const std::vector<TensorData> &operands,
           const AttributeMap &attrs,
           const std::vector<TensorType> &resultTypes) {
  std::vector<TensorType> operandTypes;
  for (size_t i = 0; i < operands.size(); ++i) {
    MLC_RETURN_IF_ERROR(
        checkData(operands[i], "operand " + std::to_string(i)));
    operandTypes.push_back(operands[i].type);
  }
  Expected<std::vector<TensorType>> inferred =
      inferResultTypes(kind, operandTypes, attrs);
  if (!inferred.ok())
    return inferred.error();
  if (resultTypes.size() != inferred->size())
    return makeError("expected " + std::to_string(inferred->size()) +
                     " result types, got " +
                     std::to_string(resultTypes.size()));
  for (size_t i = 0; i < resultTypes.size(); ++i)
    if (!(resultTypes[i] == (*inferred)[i]))
      return makeError("result " + std::to_string(i) + " has type " +
                       typeToString(resultTypes[i]) + ", expected " +
                       typeToString((*inferred)[i]));
  if (kind == OpKind::Constant)
    MLC_RETURN_IF_ERROR(checkData(std::get<TensorData>(attrs.at("value")),
                                  "constant value"));
  Expected<TensorData> result = evaluate(kind, operands, attrs, resultTypes[0]);
  if (!result.ok())
    return result.error();
  return std::vector<TensorData>{result.take()};
}

namespace {

/// The symbols' values on these inputs (docs/ir.md, "Symbol definitions"):
/// input dims, input elements, definitions in order; then the requirements.
Expected<std::map<std::string, int64_t>>
bindSymbols(const Graph &graph, const std::vector<TensorData> &inputs) {
  std::map<std::string, int64_t> symbols;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value *input = graph.inputs()[i];
    const Shape &want = input->type().shape;
    const Shape &got = inputs[i].type.shape;
    std::string what = "input %" + input->name();
    if (inputs[i].type.dtype != input->type().dtype || got.size() != want.size())
      return makeError(what + " has type " + typeToString(inputs[i].type) +
                       ", expected " + typeToString(input->type()));
    for (size_t d = 0; d < want.size(); ++d) {
      if (want[d].isStatic()) {
        if (!(got[d] == want[d]))
          return makeError(what + " has type " + typeToString(inputs[i].type) +
                           ", expected " + typeToString(input->type()));
        continue;
      }
      auto [it, fresh] = symbols.emplace(want[d].symbolName(), got[d].value());
      if (!fresh && it->second != got[d].value())
        return makeError(what + ": dim " + std::to_string(d) + " is " +
                         std::to_string(got[d].value()) + ", but ?" +
                         it->first + " is " + std::to_string(it->second));
    }
  }
  auto argValue = [&](const SymbolArg &a) -> int64_t {
    if (const auto *c = std::get_if<int64_t>(&a))
      return *c;
    return symbols.at(std::get<std::string>(a));
  };
  for (const SymbolDef &def : graph.symbolDefs()) {
    if (graph.isLateSymbol(def.name))
      continue; // bound during the run (bindLateSymbols)
    if (def.op == SymbolOp::Split)
      return makeError("symbol ?" + def.name +
                       " splits strings, which the reference interpreter "
                       "does not evaluate");
    if (def.op == SymbolOp::Value) {
      size_t i = 0;
      while (i < graph.inputs().size() && graph.inputs()[i]->name() != def.input)
        ++i;
      const TensorData &data = inputs.at(i);
      int64_t e = def.element;
      std::optional<int64_t> iv;
      switch (data.type.dtype) {
      case DType::I64:
        iv = data.data<int64_t>()[e];
        break;
      case DType::I32:
        iv = data.data<int32_t>()[e];
        break;
      default:
        break;
      }
      if (iv) {
        std::optional<int64_t> scaled =
            evaluateSymbolOp(SymbolOp::Mul, {*iv, def.scale});
        if (!scaled)
          return makeError("symbol ?" + def.name + ": element " +
                           std::to_string(e) + " of %" + def.input + " times " +
                           std::to_string(def.scale) + " overflows");
        symbols[def.name] = *scaled;
        continue;
      }
      // f32 / f64: times the scale in double, truncated toward zero.
      double v = data.type.dtype == DType::F64 ? data.data<double>()[e]
                                                : data.data<float>()[e];
      v *= static_cast<double>(def.scale);
      if (!(v > -9.2e18 && v < 9.2e18))
        return makeError("symbol ?" + def.name + ": element " +
                         std::to_string(e) + " of %" + def.input +
                         (def.scale != 1 ? " times " + std::to_string(def.scale)
                                         : std::string()) +
                         " is not a finite number in the int64 range");
      symbols[def.name] = static_cast<int64_t>(v);
      continue;
    }
    std::vector<int64_t> args;
    for (const SymbolArg &a : def.args)
      args.push_back(argValue(a));
    std::optional<int64_t> v = evaluateSymbolOp(def.op, args);
    if (!v)
      return makeError("symbol ?" + def.name + " overflows int64");
    symbols[def.name] = *v;
  }
  for (const Requirement &r : graph.requirements())
    if (symbols.at(r.condition) == 0)
      return makeError(r.message);
  return symbols;
}

/// Binds the late symbols whose loaded values are computed by now.
Status bindLateSymbols(const Graph &graph,
                       const std::map<const Value *, TensorData> &values,
                       std::map<std::string, int64_t> &symbols) {
  for (const SymbolDef &def : graph.symbolDefs()) {
    if (symbols.count(def.name) || !graph.isLateSymbol(def.name))
      continue;
    if (def.op == SymbolOp::Load) {
      auto it = values.find(graph.findValue(def.input));
      if (it == values.end())
        continue;
      const TensorData &data = it->second;
      int64_t v = data.type.dtype == DType::I64
                      ? data.data<int64_t>()[def.element]
                      : data.data<int32_t>()[def.element];
      if (v < 0 || v > def.bound)
        return makeError("symbol ?" + def.name + " = " + std::to_string(v) +
                         " is outside [0, " + std::to_string(def.bound) + "]");
      symbols[def.name] = v;
      continue;
    }
    std::vector<int64_t> args;
    bool ready = true;
    for (const SymbolArg &a : def.args) {
      if (const auto *c = std::get_if<int64_t>(&a)) {
        args.push_back(*c);
      } else if (auto it = symbols.find(std::get<std::string>(a));
                 it != symbols.end()) {
        args.push_back(it->second);
      } else {
        ready = false;
      }
    }
    if (!ready)
      continue;
    std::optional<int64_t> v = evaluateSymbolOp(def.op, args);
    if (!v)
      return makeError("symbol ?" + def.name + " overflows int64");
    symbols[def.name] = *v;
  }
  return Status::success();
}

/// `shape` with the symbols' values; fails on a negative dim.
Expected<Shape> resolveShape(const Shape &shape,
                             const std::map<std::string, int64_t> &symbols) {
  Shape out;
  for (const Dim &d : shape) {
    if (d.isStatic()) {
      out.push_back(d);
      continue;
    }
    auto found = symbols.find(d.symbolName());
    if (found == symbols.end())
      return makeError("the dim ?" + d.symbolName() + " is not known yet");
    int64_t v = found->second;
    if (v < 0)
      return makeError("the dim ?" + d.symbolName() + " is negative (" +
                       std::to_string(v) + ")");
    out.push_back(Dim(v));
  }
  return out;
}

} // namespace

Expected<std::vector<TensorData>>
interpretGraph(const Graph &graph, const std::vector<TensorData> &inputs) {
  if (inputs.size() != graph.inputs().size())
    return makeError("expected " + std::to_string(graph.inputs().size()) +
                     " inputs, got " + std::to_string(inputs.size()));
  // Keyed by pointer for lookup only; never iterated.
  std::map<const Value *, TensorData> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value *input = graph.inputs()[i];
    std::string what = "input %" + input->name();
    MLC_RETURN_IF_ERROR(checkData(inputs[i], what));
    if (!isStatic(input->type().shape) || !graph.symbolDefs().empty())
      continue; // bound below
    if (!(inputs[i].type == input->type()))
      return makeError(what + " has type " + typeToString(inputs[i].type) +
                       ", expected " + typeToString(input->type()));
  }
  Expected<std::map<std::string, int64_t>> symbols = bindSymbols(graph, inputs);
  if (!symbols)
    return symbols.error();
  for (size_t i = 0; i < inputs.size(); ++i)
    values[graph.inputs()[i]] = inputs[i];
  for (const std::unique_ptr<Node> &node : graph.nodes()) {
    std::string where = !node->name().empty()
                            ? node->name()
                            : (node->results().empty()
                                   ? std::string(opName(node->kind()))
                                   : "%" + node->result()->name());
    std::vector<TensorData> operands;
    for (const Value *operand : node->operands()) {
      auto it = values.find(operand);
      if (it == values.end())
        return makeError(where + ": operand %" + operand->name() +
                         " is not defined");
      operands.push_back(it->second);
    }
    // Symbols take their values: in dim list attributes (then re-typed,
    // which checks what only the values decide, e.g. a checked reshape's
    // counts) and in the result types.
    AttributeMap attrs = node->attrs();
    bool symbolic = false;
    for (auto &[name, attr] : attrs)
      if (const auto *list = std::get_if<Shape>(&attr)) {
        Shape resolved;
        for (const Dim &d : *list) {
          auto found = symbols->find(d.symbolName());
          if (!d.isStatic() && found == symbols->end())
            return makeError(where + ": ?" + d.symbolName() +
                             " is not known yet");
          resolved.push_back(d.isStatic() ? d : Dim(found->second));
        }
        std::vector<int64_t> ints;
        for (const Dim &d : resolved)
          ints.push_back(d.value());
        attr = ints;
        symbolic = true;
      }
    std::vector<TensorType> resultTypes;
    for (const Value *result : node->results()) {
      Expected<Shape> shape = resolveShape(result->type().shape, *symbols);
      if (!shape)
        return makeError(where + ": " + shape.message());
      symbolic |= !isStatic(result->type().shape);
      resultTypes.push_back({result->type().dtype, shape.take()});
    }
    if (symbolic && node->kind() != OpKind::Constant) {
      std::vector<TensorType> operandTypes;
      for (const TensorData &t : operands)
        operandTypes.push_back(t.type);
      attrs.erase("checked");
      Expected<std::vector<TensorType>> inferred =
          inferResultTypes(node->kind(), operandTypes, attrs);
      if (!inferred)
        return makeError(where + ": " + inferred.message());
      if (*inferred != resultTypes)
        return makeError(where + ": the result types at these inputs differ "
                                 "from the node's");
    }
    Expected<std::vector<TensorData>> results =
        evaluateOp(node->kind(), operands, attrs, resultTypes);
    if (!results.ok())
      return makeError(where + ": " + results.message());
    for (size_t i = 0; i < node->results().size(); ++i)
      values[node->results()[i]] = (*results)[i];
    if (!graph.symbolDefs().empty())
      MLC_RETURN_IF_ERROR(bindLateSymbols(graph, values, *symbols));
  }
  std::vector<TensorData> outputs;
  for (const Value *output : graph.outputs()) {
    auto it = values.find(output);
    if (it == values.end())
      return makeError("output %" + output->name() + " is not defined");
    outputs.push_back(it->second);
  }
  return outputs;
}

} // namespace mlc
