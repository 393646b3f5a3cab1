// Element types, dimensions (static or symbolic) and tensor types of the IR.
#pragma once

#include "ir/Support.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlc {

/// Element type of a tensor. The order is part of the serialized format:
/// append only.
enum class DType : uint8_t {
  F32,
  F64,
  F16,
  BF16,
  I8,
  I16,
  I32,
  I64,
  U8,
  U16,
  U32,
  U64,
  Bool,
  // Narrow types: one element per byte in the IR, constants and the arena
  // (the low bits; the signed integers sign-extended). Only `cast` computes
  // with them (docs/ir.md).
  F8E4M3FN,
  F8E4M3FNUZ,
  F8E5M2,
  F8E5M2FNUZ,
  F4E2M1,
  I4,
  U4,
  I2,
  U2,
  F8E8M0, // exponent only: 2^(code - 127); 0xFF is NaN
  // A string: 16 bytes, {pointer to the bytes, byte count} (mlc_string at
  // the C API). Moved by the data movement ops, read by the string ops;
  // no constants (docs/ir.md, "Strings").
  Str,
};

/// Number of dtypes; keep in sync with the last enumerator.
inline constexpr int kNumDTypes = static_cast<int>(DType::Str) + 1;

/// Encodes a list of strings as one attribute string: each as its byte
/// count in decimal, ':', then its bytes ("1:a2:bc").
std::string encodeStringList(const std::vector<std::string> &strings);
/// Decodes encodeStringList's form; nullopt when malformed.
std::optional<std::vector<std::string>> decodeStringList(std::string_view text);

/// Textual name used by the IR printer: f32, i64, bool, ...
std::string_view dtypeName(DType type);
/// Parses a name produced by dtypeName.
std::optional<DType> parseDType(std::string_view name);
/// Size in bytes of one element (bool is one byte).
int64_t dtypeSize(DType type);
/// True for f32, f64, f16 and bf16.
bool isFloat(DType type);
/// True for the signed and unsigned integer types (not bool).
bool isInteger(DType type);
/// True for i8..i64.
bool isSignedInteger(DType type);
/// True for the narrow types (the float8 and float4 formats, i4, u4, i2,
/// u2): stored one element per byte, computed with by `cast` only.
bool isNarrow(DType type);
/// True for the narrow float formats (f8e4m3fn ... f4e2m1, f8e8m0).
bool isNarrowFloat(DType type);
/// The layout of a narrow float format (the table in docs/ir.md).
struct NarrowFloatFormat {
  int bits;         ///< Of the code: 8, or 4 for f4e2m1.
  int exponentBits; ///< Exponent field width.
  int mantissaBits; ///< Mantissa field width.
  int bias;         ///< Exponent bias.
  bool hasInf;      ///< f8e5m2: all-ones exponent, mantissa 0 is infinity.
  bool fnuz;        ///< 0x80 is the only NaN; there is no negative zero.
  bool ieeeNaNs;    ///< f8e5m2: all-ones exponent, mantissa != 0 is NaN.
  uint8_t maxCode;  ///< Code of the largest finite magnitude (sign clear).
  uint8_t nanCode;  ///< The positive NaN's code (fnuz: 0x80); f4e2m1: none.
};

/// The format of a narrow float type (isNarrowFloat); f4e2m1 otherwise.
NarrowFloatFormat narrowFloatFormat(DType type);

/// Bits per element outside the IR (at the C API and in ONNX tensors): 4 for
/// f4e2m1, i4 and u4, 2 for i2 and u2, else 8 * dtypeSize.
int dtypeBits(DType type);

/// Packs `count` one-per-byte elements of a sub-byte type (dtypeBits < 8)
/// into dtypeBits-wide fields, the first element in the lowest bits of the
/// first byte, as ONNX and the C API lay them out.
std::vector<uint8_t> packSubByte(DType type, const uint8_t *elements,
                                 int64_t count);
/// The inverse of packSubByte: one element per byte, i4 and i2
/// sign-extended. `packed` holds (count * dtypeBits + 7) / 8 bytes.
std::vector<uint8_t> unpackSubByte(DType type, const uint8_t *packed,
                                   int64_t count);

/// Decodes one stored narrow element (the byte's low bits) to its exact
/// value. NaN codes give NaN; integers give their value.
double narrowToDouble(DType type, uint8_t stored);
/// Encodes `value` as a stored narrow element, as onnx's reference (and
/// ml_dtypes) converts:
/// - float formats round to nearest, ties to even. Values beyond the largest
///   finite one become it when `saturate` (and always for f4e2m1, which has
///   no infinity or NaN), else infinity (f8e5m2) or NaN. NaN gives NaN
///   (f4e2m1: a zero of the opposite sign, as ml_dtypes does); the fnuz
///   formats have no negative zero.
/// - integer formats: the value truncates toward zero, and a result outside
///   the range (or NaN, or infinity) gives 0.
uint8_t narrowFromDouble(DType type, double value, bool saturate);
/// How a cast rounds to f8e8m0 (onnx's round_mode): up to the next power
/// of two when any mantissa bit is set, down (truncating), or to nearest.
enum class E8M0Rounding : uint8_t { Up, Down, Nearest };
/// Encodes `value` as f8e8m0 as onnx's reference (numpy_helper.to_float8e8m0)
/// does: from the f32 value's exponent bits (the sign is ignored; zero and
/// f32 subnormals give code 0), rounded by `rounding`; NaN and infinity give
/// 0xFF (NaN); with `saturate`, rounding never carries 0xFE into 0xFF.
uint8_t e8m0FromFloat(float value, bool saturate, E8M0Rounding rounding);
/// `value` rounded to f32, infinity beyond f32's range (without the
/// undefined behaviour of a plain conversion).
float narrowToFloat(double value);
/// Parses a round_mode attribute value ("up", "down", "nearest").
std::optional<E8M0Rounding> parseE8M0Rounding(std::string_view text);

/// Encodes an integer source value (two's complement bits) as a stored
/// narrow element: integer formats keep its low bits (wrapping, as integer
/// casts do); float formats round it as narrowFromDouble does.
uint8_t narrowFromInteger(DType type, int64_t value, bool saturate);

/// One dimension of a shape: a non-negative constant or a named symbol.
class Dim {
public:
  /// A static dimension of the given extent (must be >= 0).
  constexpr Dim(int64_t value = 0) : value_(value) {}
  /// A symbolic dimension, e.g. "seq"; its extent is known only at run time.
  static Dim symbol(std::string name) {
    Dim d(-1);
    d.symbol_ = std::move(name);
    return d;
  }
  /// True when the extent is a compile-time constant.
  bool isStatic() const { return symbol_.empty(); }
  /// The static extent; only valid when isStatic().
  int64_t value() const { return value_; }
  /// The symbol name; empty for static dims.
  const std::string &symbolName() const { return symbol_; }
  bool operator==(const Dim &other) const = default;

private:
  int64_t value_;
  std::string symbol_;
};

/// The dims of a tensor, outermost first.
using Shape = std::vector<Dim>;

/// Builds a static shape from extents.
Shape makeShape(const std::vector<int64_t> &extents);
/// True when every dim is static.
bool isStatic(const Shape &shape);
/// Static extents of a fully static shape.
std::vector<int64_t> staticExtents(const Shape &shape);
/// Product of the extents of a static shape, or an error on overflow of
/// int64 (so that corrupt shapes never wrap around).
Expected<int64_t> elementCount(const Shape &shape);
/// Multiplies two non-negative counts, failing on int64 overflow.
Expected<int64_t> checkedMul(int64_t a, int64_t b);

/// The type of an SSA value: element type plus shape.
struct TensorType {
  DType dtype = DType::F32;
  Shape shape;

  /// Rank of the shape.
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  bool operator==(const TensorType &other) const = default;
};

/// Prints a type as `f32[1,3,?seq,224]` (symbolic dims are `?name`).
std::string typeToString(const TensorType &type);
/// Prints a shape as `1x3x224` for messages.
std::string shapeToString(const Shape &shape);
/// Number of bytes of a static tensor type, or an error on overflow.
Expected<int64_t> byteSize(const TensorType &type);

} // namespace mlc
