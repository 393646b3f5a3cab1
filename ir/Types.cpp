// Element types, dims and tensor types: names, sizes and checked arithmetic.
#include "ir/Types.h"

#include <array>

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
}};
} // namespace

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
