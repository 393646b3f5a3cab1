// Element types, dims and tensor types: names, sizes and checked arithmetic.
#include "ir/Types.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace mlc {

namespace {
struct DTypeInfo {
  DType type;
  std::string_view name;
  int64_t size;
};

constexpr std::array<DTypeInfo, kNumDTypes> kDTypes = {{
    {DType::F32, "f32", 4},
    {DType::F64, "f64", 8},
    {DType::F16, "f16", 2},
    {DType::BF16, "bf16", 2},
    {DType::I8, "i8", 1},
    {DType::I16, "i16", 2},
    {DType::I32, "i32", 4},
    {DType::I64, "i64", 8},
    {DType::U8, "u8", 1},
    {DType::U16, "u16", 2},
    {DType::U32, "u32", 4},
    {DType::U64, "u64", 8},
    {DType::Bool, "bool", 1},
    {DType::F8E4M3FN, "f8e4m3fn", 1},
    {DType::F8E4M3FNUZ, "f8e4m3fnuz", 1},
    {DType::F8E5M2, "f8e5m2", 1},
    {DType::F8E5M2FNUZ, "f8e5m2fnuz", 1},
    {DType::F4E2M1, "f4e2m1", 1},
    {DType::I4, "i4", 1},
    {DType::U4, "u4", 1},
    {DType::I2, "i2", 1},
    {DType::U2, "u2", 1},
    {DType::F8E8M0, "f8e8m0", 1},
    {DType::Str, "str", 16},
}};

/// The stored code of a finite non-negative `a`, rounded to nearest even,
/// without overflow handling: the result may exceed maxCode.
uint32_t roundedCode(const NarrowFloatFormat &f, double a) {
  int minExponent = 1 - f.bias; // of the smallest normal
  int e;
  std::frexp(a, &e); // a = m * 2^e, m in [0.5, 1)
  int exponent = std::max(e - 1, minExponent);
  // Quantum of the binade (subnormals share the smallest normal's).
  double quantum = std::ldexp(1.0, exponent - f.mantissaBits);
  double units = std::nearbyint(a / quantum); // ties to even
  if (a == 0 || units == 0)
    return 0;
  // units * quantum, re-encoded: rounding may carry into the next binade.
  double q = units * quantum;
  std::frexp(q, &e);
  exponent = e - 1;
  if (exponent < minExponent) // subnormal: exponent field 0
    return static_cast<uint32_t>(units);
  double mantissa = std::ldexp(q, -exponent) - 1.0; // in [0, 1)
  // Beyond the format's exponents the code exceeds maxCode; the caller
  // saturates it. f64 exponents reach 1023 + bias, well within 32 bits.
  uint32_t field = static_cast<uint32_t>(exponent + f.bias);
  return (field << f.mantissaBits) |
         static_cast<uint32_t>(std::ldexp(mantissa, f.mantissaBits));
}

} // namespace

std::string encodeStringList(const std::vector<std::string> &strings) {
  std::string out;
  for (const std::string &s : strings)
    out += std::to_string(s.size()) + ":" + s;
  return out;
}

std::optional<std::vector<std::string>>
decodeStringList(std::string_view text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t colon = text.find(':', at);
    if (colon == std::string_view::npos || colon == at || colon - at > 12)
      return std::nullopt;
    uint64_t n = 0;
    for (size_t i = at; i < colon; ++i) {
      if (text[i] < '0' || text[i] > '9')
        return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    if (n > text.size() - colon - 1)
      return std::nullopt;
    out.emplace_back(text.substr(colon + 1, n));
    at = colon + 1 + n;
  }
  return out;
}

std::string_view dtypeName(DType type) {
  return kDTypes[static_cast<int>(type)].name;
}

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (info.name == name)
      return info.type;
  return std::nullopt;
}

int64_t dtypeSize(DType type) { return kDTypes[static_cast<int>(type)].size; }

bool isFloat(DType type) {
  return type == DType::F32 || type == DType::F64 || type == DType::F16 ||
         type == DType::BF16;
}

bool isSignedInteger(DType type) {
  return type == DType::I8 || type == DType::I16 || type == DType::I32 ||
         type == DType::I64;
}

bool isInteger(DType type) {
  return isSignedInteger(type) || type == DType::U8 || type == DType::U16 ||
         type == DType::U32 || type == DType::U64;
}

bool isNarrow(DType type) {
  return type >= DType::F8E4M3FN && type <= DType::F8E8M0;
}

NarrowFloatFormat narrowFloatFormat(DType type) {
  switch (type) {
  case DType::F8E4M3FN:
    return {8, 4, 3, 7, false, false, false, 0x7E, 0x7F};
  case DType::F8E4M3FNUZ:
    return {8, 4, 3, 8, false, true, false, 0x7F, 0x80};
  case DType::F8E5M2:
    return {8, 5, 2, 15, true, false, true, 0x7B, 0x7E};
  case DType::F8E5M2FNUZ:
    return {8, 5, 2, 16, false, true, false, 0x7F, 0x80};
  default:
    return {4, 2, 1, 1, false, false, false, 0x7, 0};
  }
}

bool isNarrowFloat(DType type) {
  return (type >= DType::F8E4M3FN && type <= DType::F4E2M1) ||
         type == DType::F8E8M0;
}

float narrowToFloat(double value) {
  if (std::fabs(value) > 3.4028234663852886e38)
    return std::signbit(value) ? -INFINITY : INFINITY;
  return static_cast<float>(value);
}

uint8_t e8m0FromFloat(float value, bool saturate, E8M0Rounding rounding) {
  uint32_t bits;
  if (std::isnan(value))
    return 0xFF;
  std::memcpy(&bits, &value, 4);
  uint32_t exponent = (bits >> 23) & 0xFF;
  if (exponent == 0xFF)
    return 0xFF;
  bool up = false;
  if (rounding == E8M0Rounding::Up) {
    up = (bits & 0x7FFFFF) != 0;
  } else if (rounding == E8M0Rounding::Nearest) {
    bool g = bits & 0x400000, r = bits & 0x200000, s = bits & 0x1FFFFF;
    up = g && (r || s || exponent > 0);
  }
  if (saturate && exponent == 0xFE)
    up = false;
  return static_cast<uint8_t>(exponent + (up ? 1 : 0));
}

std::optional<E8M0Rounding> parseE8M0Rounding(std::string_view text) {
  if (text == "up")
    return E8M0Rounding::Up;
  if (text == "down")
    return E8M0Rounding::Down;
  if (text == "nearest")
    return E8M0Rounding::Nearest;
  return std::nullopt;
}

int dtypeBits(DType type) {
  switch (type) {
  case DType::F4E2M1:
  case DType::I4:
  case DType::U4:
    return 4;
  case DType::I2:
  case DType::U2:
    return 2;
  default:
    return static_cast<int>(8 * dtypeSize(type));
  }
}

std::vector<uint8_t> packSubByte(DType type, const uint8_t *elements,
                                 int64_t count) {
  int bits = dtypeBits(type);
  std::vector<uint8_t> packed(static_cast<size_t>((count * bits + 7) / 8));
  unsigned mask = (1u << bits) - 1;
  for (int64_t i = 0; i < count; ++i) {
    int64_t bit = i * bits;
    packed[static_cast<size_t>(bit / 8)] |=
        static_cast<uint8_t>((elements[i] & mask) << (bit % 8));
  }
  return packed;
}

std::vector<uint8_t> unpackSubByte(DType type, const uint8_t *packed,
                                   int64_t count) {
  int bits = dtypeBits(type);
  std::vector<uint8_t> out(static_cast<size_t>(count));
  unsigned mask = (1u << bits) - 1;
  for (int64_t i = 0; i < count; ++i) {
    int64_t bit = i * bits;
    auto field = static_cast<uint8_t>((packed[bit / 8] >> (bit % 8)) & mask);
    out[static_cast<size_t>(i)] =
        isNarrowFloat(type) ? field : narrowFromInteger(type, field, true);
  }
  return out;
}

double narrowToDouble(DType type, uint8_t stored) {
  switch (type) {
  case DType::I4:
    return (stored & 0x8) ? static_cast<double>(stored & 0xF) - 16
                          : static_cast<double>(stored & 0xF);
  case DType::I2:
    return (stored & 0x2) ? static_cast<double>(stored & 0x3) - 4
                          : static_cast<double>(stored & 0x3);
  case DType::U4:
    return stored & 0xF;
  case DType::U2:
    return stored & 0x3;
  default:
    break;
  }
  if (type == DType::F8E8M0)
    return stored == 0xFF ? std::nan("")
                          : std::ldexp(1.0, static_cast<int>(stored) - 127);
  NarrowFloatFormat f = narrowFloatFormat(type);
  int bits = f.bits;
  uint32_t code = stored & ((1u << bits) - 1);
  uint32_t signBit = 1u << (bits - 1);
  if (f.fnuz && code == 0x80)
    return std::nan("");
  bool negative = (code & signBit) != 0;
  uint32_t magnitude = code & (signBit - 1);
  if (!f.fnuz && bits == 8) {
    if (f.ieeeNaNs) {
      if ((magnitude >> f.mantissaBits) == (1u << f.exponentBits) - 1) {
        if ((magnitude & ((1u << f.mantissaBits) - 1)) != 0)
          return std::nan("");
        return negative ? -INFINITY : INFINITY;
      }
    } else if (magnitude == 0x7F) {
      return std::nan("");
    }
  }
  uint32_t field = magnitude >> f.mantissaBits;
  uint32_t mantissa = magnitude & ((1u << f.mantissaBits) - 1);
  double value =
      field == 0 ? std::ldexp(static_cast<double>(mantissa),
                              1 - f.bias - f.mantissaBits)
                 : std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa),
                                               -f.mantissaBits),
                              static_cast<int>(field) - f.bias);
  return negative ? -value : value;
}

uint8_t narrowFromDouble(DType type, double value, bool saturate) {
  if (!isNarrowFloat(type)) {
    double lo = 0, hi = 0;
    switch (type) {
    case DType::I4:
      lo = -8;
      hi = 7;
      break;
    case DType::U4:
      lo = 0;
      hi = 15;
      break;
    case DType::I2:
      lo = -2;
      hi = 1;
      break;
    default:
      lo = 0;
      hi = 3;
      break;
    }
    double t = std::trunc(value);
    if (!(t >= lo && t <= hi)) // NaN fails both
      return 0;
    return narrowFromInteger(type, static_cast<int64_t>(t), saturate);
  }
  if (type == DType::F8E8M0) // cast's default round_mode
    return e8m0FromFloat(narrowToFloat(value), saturate, E8M0Rounding::Up);
  NarrowFloatFormat f = narrowFloatFormat(type);
  int bits = f.bits;
  uint8_t signBit = static_cast<uint8_t>(1u << (bits - 1));
  bool negative = std::signbit(value);
  if (std::isnan(value)) {
    if (type == DType::F4E2M1) // as ml_dtypes: a zero of the other sign
      return negative ? 0 : signBit;
    return f.fnuz ? f.nanCode
                  : static_cast<uint8_t>(f.nanCode | (negative ? signBit : 0));
  }
  double a = std::fabs(value);
  uint32_t code = std::isinf(a) ? 0xFFFFu : roundedCode(f, a);
  if (code > f.maxCode) {
    if (saturate || type == DType::F4E2M1)
      code = f.maxCode;
    else if (f.hasInf)
      code = 0x7C;
    else
      return f.fnuz
                 ? f.nanCode
                 : static_cast<uint8_t>(f.nanCode | (negative ? signBit : 0));
  }
  if (code == 0 && f.fnuz) // no negative zero
    return 0;
  return static_cast<uint8_t>(code | (negative ? signBit : 0));
}

uint8_t narrowFromInteger(DType type, int64_t value, bool saturate) {
  uint64_t bits = static_cast<uint64_t>(value);
  switch (type) {
  case DType::I4: // the low 4 bits, sign-extended into the byte
    return static_cast<uint8_t>((bits & 0x8) ? (bits | 0xF0) : (bits & 0xF));
  case DType::I2:
    return static_cast<uint8_t>((bits & 0x2) ? (bits | 0xFC) : (bits & 0x3));
  case DType::U4:
    return static_cast<uint8_t>(bits & 0xF);
  case DType::U2:
    return static_cast<uint8_t>(bits & 0x3);
  default:
    return narrowFromDouble(type, static_cast<double>(value), saturate);
  }
}

Shape makeShape(const std::vector<int64_t> &extents) {
  return Shape(extents.begin(), extents.end());
}

bool isStatic(const Shape &shape) {
  for (const Dim &d : shape)
    if (!d.isStatic())
      return false;
  return true;
}

std::vector<int64_t> staticExtents(const Shape &shape) {
  std::vector<int64_t> out;
  out.reserve(shape.size());
  for (const Dim &d : shape) {
    assert(d.isStatic() && "staticExtents on a symbolic shape");
    out.push_back(d.value());
  }
  return out;
}

Expected<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
    return makeError("shape arithmetic overflows: " + std::to_string(a) +
                     " * " + std::to_string(b));
  return r;
}

Expected<int64_t> elementCount(const Shape &shape) {
  int64_t n = 1;
  for (const Dim &d : shape) {
    if (!d.isStatic())
      return makeError("dim '" + d.symbolName() + "' is not static");
    Expected<int64_t> m = checkedMul(n, d.value());
    if (!m)
      return m.error();
    n = *m;
  }
  return n;
}

Expected<int64_t> byteSize(const TensorType &type) {
  Expected<int64_t> n = elementCount(type.shape);
  if (!n)
    return n.error();
  return checkedMul(*n, dtypeSize(type.dtype));
}

static std::string dimToString(const Dim &d) {
  return d.isStatic() ? std::to_string(d.value()) : "?" + d.symbolName();
}

std::string typeToString(const TensorType &type) {
  std::string s(dtypeName(type.dtype));
  s += '[';
  for (size_t i = 0; i < type.shape.size(); ++i) {
    if (i)
      s += ',';
    s += dimToString(type.shape[i]);
  }
  s += ']';
  return s;
}

std::string shapeToString(const Shape &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += 'x';
    s += dimToString(shape[i]);
  }
  return s;
}

} // namespace mlc
