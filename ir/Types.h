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
};

/// Number of dtypes; keep in sync with the last enumerator.
inline constexpr int kNumDTypes = static_cast<int>(DType::Bool) + 1;

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
