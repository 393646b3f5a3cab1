// Type rules of every op (docs/ir.md, "Ops"): result types from operand
// types and attributes, with every invalid combination reported as an error.
#include "ir/Graph.h"
#include "ir/Regex.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace mlc {
namespace {

// Binds the value of an Expected-producing expression or returns its error.
#define MLC_TI_CONCAT_INNER(a, b) a##b
#define MLC_TI_CONCAT(a, b) MLC_TI_CONCAT_INNER(a, b)
#define ASSIGN_OR_RETURN(lhs, expr)                                            \
  ASSIGN_OR_RETURN_IMPL(MLC_TI_CONCAT(assignOrReturn_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                                  \
  auto tmp = (expr);                                                           \
  if (!tmp.ok())                                                               \
    return tmp.error();                                                        \
  lhs = tmp.take();

using Types = std::vector<TensorType>;

//===----------------------------------------------------------------------===//
// Small helpers: dims, checked arithmetic, messages.
//===----------------------------------------------------------------------===//

std::string dimToString(const Dim &dim) {
  return dim.isStatic() ? std::to_string(dim.value()) : "?" + dim.symbolName();
}

std::string shapeString(const Shape &shape) {
  if (shape.empty())
    return "[]";
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += "x";
    text += dimToString(shape[i]);
  }
  return text;
}

std::string intsString(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(values[i]);
  }
  return text + "]";
}

Expected<int64_t> addChecked(int64_t a, int64_t b) {
  int64_t result;
  if (__builtin_add_overflow(a, b, &result))
    return makeError("shape arithmetic overflows int64 (" + std::to_string(a) +
                     " + " + std::to_string(b) + ")");
  return result;
}

Expected<int64_t> mulChecked(int64_t a, int64_t b) {
  int64_t result;
  if (__builtin_mul_overflow(a, b, &result))
    return makeError("shape arithmetic overflows int64 (" + std::to_string(a) +
                     " * " + std::to_string(b) + ")");
  return result;
}

/// Product of static extents, failing on overflow.
Expected<int64_t> productChecked(const std::vector<int64_t> &extents) {
  int64_t product = 1;
  for (int64_t extent : extents) {
    ASSIGN_OR_RETURN(product, mulChecked(product, extent));
  }
  return product;
}

/// The static extent of dim `dim` of operand `operand`, or the error that
/// the rule needs it static.
Expected<int64_t> staticDim(const TensorType &type, size_t operand,
                            int64_t dim) {
  const Dim &d = type.shape[dim];
  if (!d.isStatic())
    return makeError("dim " + std::to_string(dim) + " of operand " +
                     std::to_string(operand) + " must be static for now (is " +
                     dimToString(d) + ")");
  return d.value();
}

/// Static extents of a whole operand.
Expected<std::vector<int64_t>> staticExtentsOf(const TensorType &type,
                                               size_t operand) {
  std::vector<int64_t> extents;
  for (int64_t i = 0; i < type.rank(); ++i) {
    ASSIGN_OR_RETURN(int64_t extent, staticDim(type, operand, i));
    extents.push_back(extent);
  }
  return extents;
}

//===----------------------------------------------------------------------===//
// DType classes.
//===----------------------------------------------------------------------===//

enum DTypeSet : unsigned {
  kFloat = 1,
  kSigned = 2,
  kUnsigned = 4,
  kBool = 8,
  kInt = kSigned | kUnsigned,
  kNumeric = kInt | kFloat,
  kAny = kNumeric | kBool,
  kNarrow = 16, // isNarrow: cast (and reshape) only
};

bool inSet(DType type, unsigned set) {
  if (type == DType::Str) // in the any-dtype sets of the ops that move it
    return (set & kAny) == kAny;
  if (isNarrow(type))
    return set & kNarrow;
  if (type == DType::Bool)
    return set & kBool;
  if (isFloat(type))
    return set & kFloat;
  if (isSignedInteger(type))
    return set & kSigned;
  return set & kUnsigned;
}

std::string setName(unsigned set) {
  switch (set) {
  case kFloat:
    return "float";
  case kBool:
    return "bool";
  case kNumeric:
    return "int or float";
  case kSigned | kFloat:
    return "signed int or float";
  case kNumeric | kBool:
    return "int, float or bool";
  case kInt | kBool:
    return "int or bool";
  case kInt:
    return "int";
  default:
    return "a supported dtype";
  }
}

Status checkDType(const Types &operands, size_t i, unsigned set) {
  if (!inSet(operands[i].dtype, set))
    return makeError("operand " + std::to_string(i) + " has dtype " +
                     std::string(dtypeName(operands[i].dtype)) + ", expected " +
                     setName(set));
  return Status::success();
}

Status checkSameDType(const Types &operands, size_t i, size_t reference) {
  if (operands[i].dtype != operands[reference].dtype)
    return makeError("operand " + std::to_string(i) + " has dtype " +
                     std::string(dtypeName(operands[i].dtype)) + ", expected " +
                     std::string(dtypeName(operands[reference].dtype)));
  return Status::success();
}

/// Checks the dtype class of operand 0 and that every other operand in
/// [1, end) has its dtype.
Status checkAllSame(const Types &operands, unsigned set, size_t end) {
  MLC_RETURN_IF_ERROR(checkDType(operands, 0, set));
  for (size_t i = 1; i < end && i < operands.size(); ++i)
    MLC_RETURN_IF_ERROR(checkSameDType(operands, i, 0));
  return Status::success();
}

Status checkRank(const Types &operands, size_t i, int64_t rank) {
  if (operands[i].rank() != rank)
    return makeError("operand " + std::to_string(i) + " must have rank " +
                     std::to_string(rank) + ", got " +
                     std::to_string(operands[i].rank()));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Attributes.
//===----------------------------------------------------------------------===//

Expected<const Attribute *> findAttr(const AttributeMap &attrs,
                                     const std::string &name) {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return makeError("missing attribute '" + name + "'");
  return &it->second;
}

template <typename T>
Expected<T> typedAttr(const AttributeMap &attrs, const std::string &name,
                      const char *kindName) {
  ASSIGN_OR_RETURN(const Attribute *attr, findAttr(attrs, name));
  if (const T *value = std::get_if<T>(attr))
    return *value;
  return makeError("attribute '" + name + "' must be " + kindName);
}

Expected<int64_t> intAttr(const AttributeMap &attrs, const std::string &name) {
  return typedAttr<int64_t>(attrs, name, "an integer");
}

Expected<double> floatAttr(const AttributeMap &attrs, const std::string &name) {
  return typedAttr<double>(attrs, name, "a float");
}

Expected<std::string> stringAttr(const AttributeMap &attrs,
                                 const std::string &name) {
  return typedAttr<std::string>(attrs, name, "a string");
}

Expected<DType> dtypeAttr(const AttributeMap &attrs, const std::string &name) {
  return typedAttr<DType>(attrs, name, "a dtype");
}

Expected<std::vector<int64_t>> intsAttr(const AttributeMap &attrs,
                                        const std::string &name) {
  return typedAttr<std::vector<int64_t>>(attrs, name, "an integer list");
}

/// An integer list or dim list attribute, as dims (static entries >= 0).
Expected<Shape> dimsAttr(const AttributeMap &attrs, const std::string &name) {
  auto it = attrs.find(name);
  if (it == attrs.end())
    return makeError("missing attribute '" + name + "'");
  if (auto *dims = std::get_if<Shape>(&it->second))
    return *dims;
  auto *ints = std::get_if<std::vector<int64_t>>(&it->second);
  if (!ints)
    return makeError("attribute '" + name +
                     "' must be an integer list or a dim list");
  Shape dims;
  for (int64_t v : *ints)
    dims.push_back(Dim(v));
  return dims;
}

/// The element count of a shape as a constant times a product of symbols
/// (sorted), so that shapes with symbols compare: 12 x ?seq x 64 and
/// ?seq x 768 hold the same number of elements.
struct SymbolicCount {
  int64_t constant = 1;
  std::vector<std::string> symbols;
  bool operator==(const SymbolicCount &other) const = default;
};

Expected<SymbolicCount> symbolicCount(const Shape &shape) {
  SymbolicCount count;
  for (const Dim &d : shape) {
    if (d.isStatic()) {
      ASSIGN_OR_RETURN(count.constant, mulChecked(count.constant, d.value()));
    } else {
      count.symbols.push_back(d.symbolName());
    }
  }
  std::sort(count.symbols.begin(), count.symbols.end());
  return count;
}

/// An integer list attribute with exactly `size` elements.
Expected<std::vector<int64_t>> intsAttrOfSize(const AttributeMap &attrs,
                                              const std::string &name,
                                              int64_t size) {
  ASSIGN_OR_RETURN(std::vector<int64_t> values, intsAttr(attrs, name));
  if (static_cast<int64_t>(values.size()) != size)
    return makeError("attribute '" + name + "' must have " +
                     std::to_string(size) + " elements, got " +
                     std::to_string(values.size()));
  return values;
}

/// An integer attribute that must be 0 or 1.
Expected<bool> flagAttr(const AttributeMap &attrs, const std::string &name) {
  ASSIGN_OR_RETURN(int64_t value, intAttr(attrs, name));
  if (value != 0 && value != 1)
    return makeError("attribute '" + name + "' must be 0 or 1, got " +
                     std::to_string(value));
  return value == 1;
}

/// An axis attribute in [0, rank).
Expected<int64_t> axisAttr(const AttributeMap &attrs, const std::string &name,
                           int64_t rank) {
  ASSIGN_OR_RETURN(int64_t axis, intAttr(attrs, name));
  if (axis < 0 || axis >= rank)
    return makeError("attribute '" + name + "' is " + std::to_string(axis) +
                     ", expected 0 <= " + name + " < " + std::to_string(rank));
  return axis;
}

Status checkAllAtLeast(const std::vector<int64_t> &values,
                       const std::string &name, int64_t minimum) {
  for (int64_t value : values)
    if (value < minimum)
      return makeError("attribute '" + name + "' must have elements >= " +
                       std::to_string(minimum) + ", got " + intsString(values));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Broadcasting.
//===----------------------------------------------------------------------===//

Expected<Dim> broadcastDim(const Dim &a, const Dim &b, size_t resultDim) {
  if (a == b)
    return a;
  if (a.isStatic() && a.value() == 1)
    return b;
  if (b.isStatic() && b.value() == 1)
    return a;
  return makeError("cannot broadcast " + dimToString(a) + " and " +
                   dimToString(b) + " at dim " + std::to_string(resultDim));
}

} // namespace

Expected<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    size_t fromEnd = rank - 1 - i;
    Dim da = fromEnd < a.size() ? a[a.size() - 1 - fromEnd] : Dim(1);
    Dim db = fromEnd < b.size() ? b[b.size() - 1 - fromEnd] : Dim(1);
    ASSIGN_OR_RETURN(result[i], broadcastDim(da, db, i));
  }
  return result;
}

namespace {

//===----------------------------------------------------------------------===//
// Sliding windows (conv and pools).
//===----------------------------------------------------------------------===//

/// Output extent of one spatial dim of a window op.
Expected<int64_t> windowOutDim(int64_t in, int64_t kernel, int64_t stride,
                               int64_t padBegin, int64_t padEnd,
                               int64_t dilation, bool ceilMode,
                               int64_t spatialIndex) {
  ASSIGN_OR_RETURN(int64_t padded, addChecked(in, padBegin));
  ASSIGN_OR_RETURN(padded, addChecked(padded, padEnd));
  ASSIGN_OR_RETURN(int64_t span, mulChecked(dilation, kernel - 1));
  ASSIGN_OR_RETURN(span, addChecked(span, 1));
  if (padded < span)
    return makeError("window extent " + std::to_string(span) +
                     " exceeds padded input extent " + std::to_string(padded) +
                     " at spatial dim " + std::to_string(spatialIndex));
  int64_t room = padded - span;
  int64_t out = room / stride + 1;
  if (ceilMode) {
    out = room / stride + (room % stride != 0 ? 1 : 0) + 1;
    // Drop a last window that would start in the end padding.
    if ((out - 1) * stride >= in + padBegin)
      --out;
  }
  if (out < 1)
    return makeError("empty output at spatial dim " +
                     std::to_string(spatialIndex));
  return out;
}

struct WindowAttrs {
  std::vector<int64_t> kernel, strides, pads, dilations;
  bool ceilMode = false;
};

/// Reads and checks strides/pads/dilations (and kernel, ceil_mode for pools)
/// for `k` spatial dims.
Expected<WindowAttrs> windowAttrs(const AttributeMap &attrs, int64_t k,
                                  bool isPool, bool dilationsOptional) {
  WindowAttrs w;
  if (isPool) {
    ASSIGN_OR_RETURN(w.kernel, intsAttrOfSize(attrs, "kernel", k));
    MLC_RETURN_IF_ERROR(checkAllAtLeast(w.kernel, "kernel", 1));
    ASSIGN_OR_RETURN(w.ceilMode, flagAttr(attrs, "ceil_mode"));
  }
  ASSIGN_OR_RETURN(w.strides, intsAttrOfSize(attrs, "strides", k));
  MLC_RETURN_IF_ERROR(checkAllAtLeast(w.strides, "strides", 1));
  ASSIGN_OR_RETURN(w.pads, intsAttrOfSize(attrs, "pads", 2 * k));
  MLC_RETURN_IF_ERROR(checkAllAtLeast(w.pads, "pads", 0));
  if (dilationsOptional && !attrs.count("dilations")) {
    w.dilations.assign(k, 1);
  } else {
    ASSIGN_OR_RETURN(w.dilations, intsAttrOfSize(attrs, "dilations", k));
    MLC_RETURN_IF_ERROR(checkAllAtLeast(w.dilations, "dilations", 1));
  }
  return w;
}

/// The optional `channels_last` flag of conv and the pools: x is
/// [N, D1..Dk, C] and the result [N, O1..Ok, C or F]. Absent means 0.
Expected<bool> channelsLastAttr(const AttributeMap &attrs) {
  if (!attrs.count("channels_last"))
    return false;
  return flagAttr(attrs, "channels_last");
}

/// `type` with its last dim moved to position 1 ([N, D.., C] -> [N, C, D..]).
TensorType channelsFirst(TensorType type) {
  if (type.rank() >= 2) {
    Dim c = type.shape.back();
    type.shape.pop_back();
    type.shape.insert(type.shape.begin() + 1, c);
  }
  return type;
}

/// `type` with dim 1 moved to the end ([N, C, D..] -> [N, D.., C]).
TensorType channelsLast(TensorType type) {
  if (type.rank() >= 2) {
    Dim c = type.shape[1];
    type.shape.erase(type.shape.begin() + 1);
    type.shape.push_back(c);
  }
  return type;
}

/// Number of spatial dims of an `[N, C, D1..Dk]` operand, k in 1..3.
Expected<int64_t> spatialRank(const TensorType &x, const char *opNameText) {
  if (x.rank() < 3 || x.rank() > 5)
    return makeError(std::string(opNameText) +
                     " input must have rank 3 to 5, got " +
                     std::to_string(x.rank()));
  return x.rank() - 2;
}

//===----------------------------------------------------------------------===//
// Per-op rules.
//===----------------------------------------------------------------------===//

Expected<TensorType> inferConstant(const AttributeMap &attrs) {
  ASSIGN_OR_RETURN(const Attribute *attr, findAttr(attrs, "value"));
  const TensorData *data = std::get_if<TensorData>(attr);
  if (!data)
    return makeError("attribute 'value' must be a tensor");
  if (!isStatic(data->type.shape))
    return makeError("constant value must have a static shape");
  // A str constant would hold pointers: only empty strings (zero bytes).
  if (data->type.dtype == DType::Str && data->bytes &&
      std::any_of(data->bytes->begin(), data->bytes->end(),
                  [](uint8_t b) { return b != 0; }))
    return makeError("a str constant may hold empty strings only");
  return data->type;
}

Expected<TensorType> inferUnary(OpKind kind, const Types &ops,
                                const AttributeMap &attrs) {
  unsigned set = kFloat;
  switch (kind) {
  case OpKind::Neg:
  case OpKind::Relu:
    set = kSigned | kFloat;
    break;
  case OpKind::Abs:
  case OpKind::Clip:
    set = kNumeric;
    break;
  case OpKind::Not:
    set = kInt | kBool;
    break;
  case OpKind::Cast:
    set = kAny | kNarrow;
    break;
  default:
    break;
  }
  MLC_RETURN_IF_ERROR(checkDType(ops, 0, set));
  TensorType result = ops[0];
  if (kind == OpKind::Clip) {
    ASSIGN_OR_RETURN(double lo, floatAttr(attrs, "min"));
    ASSIGN_OR_RETURN(double hi, floatAttr(attrs, "max"));
    if (std::isnan(lo) || std::isnan(hi))
      return makeError("clip bounds must not be nan");
  } else if (kind == OpKind::LeakyRelu) {
    ASSIGN_OR_RETURN(double alpha, floatAttr(attrs, "alpha"));
    (void)alpha;
  } else if (kind == OpKind::Cast) {
    ASSIGN_OR_RETURN(result.dtype, dtypeAttr(attrs, "to"));
    if (attrs.count("saturate")) {
      ASSIGN_OR_RETURN(int64_t saturate, intAttr(attrs, "saturate"));
      if (saturate != 0 && saturate != 1)
        return makeError("saturate must be 0 or 1");
    }
    if (attrs.count("round_mode")) {
      const std::string *mode =
          std::get_if<std::string>(&attrs.at("round_mode"));
      if (!mode || !parseE8M0Rounding(*mode))
        return makeError("round_mode must be \"up\", \"down\" or \"nearest\"");
    }
  }
  return result;
}

Expected<TensorType> inferBinary(OpKind kind, const Types &ops) {
  unsigned set = kNumeric;
  bool comparison = false;
  switch (kind) {
  case OpKind::Pow:
    set = kFloat;
    break;
  case OpKind::Equal:
    set = kNumeric | kBool;
    comparison = true;
    break;
  case OpKind::Less:
  case OpKind::Greater:
    comparison = true;
    break;
  case OpKind::And:
  case OpKind::Or:
  case OpKind::Xor:
    set = kInt | kBool;
    break;
  case OpKind::Shl:
  case OpKind::Shr:
    set = kInt;
    break;
  default:
    break;
  }
  MLC_RETURN_IF_ERROR(checkAllSame(ops, set, 2));
  ASSIGN_OR_RETURN(Shape shape, broadcastShapes(ops[0].shape, ops[1].shape));
  return TensorType{comparison ? DType::Bool : ops[0].dtype, std::move(shape)};
}

Expected<TensorType> inferWhere(const Types &ops) {
  MLC_RETURN_IF_ERROR(checkDType(ops, 0, kBool));
  MLC_RETURN_IF_ERROR(checkSameDType(ops, 2, 1));
  ASSIGN_OR_RETURN(Shape shape, broadcastShapes(ops[0].shape, ops[1].shape));
  ASSIGN_OR_RETURN(shape, broadcastShapes(shape, ops[2].shape));
  return TensorType{ops[1].dtype, std::move(shape)};
}

Expected<TensorType> inferMatMul(const Types &ops) {
  MLC_RETURN_IF_ERROR(checkAllSame(ops, kNumeric, 2));
  const TensorType &a = ops[0], &b = ops[1];
  for (size_t i = 0; i < 2; ++i)
    if (ops[i].rank() < 2)
      return makeError("operand " + std::to_string(i) +
                       " of matmul must have rank >= 2, got " +
                       std::to_string(ops[i].rank()));
  const Dim &ka = a.shape[a.rank() - 1];
  const Dim &kb = b.shape[b.rank() - 2];
  if (!(ka == kb))
    return makeError("matmul contraction dims differ: " + dimToString(ka) +
                     " and " + dimToString(kb));
  Shape batchA(a.shape.begin(), a.shape.end() - 2);
  Shape batchB(b.shape.begin(), b.shape.end() - 2);
  ASSIGN_OR_RETURN(Shape shape, broadcastShapes(batchA, batchB));
  shape.push_back(a.shape[a.rank() - 2]);
  shape.push_back(b.shape[b.rank() - 1]);
  return TensorType{a.dtype, std::move(shape)};
}

Expected<TensorType> inferConv(const Types &ops, const AttributeMap &attrs) {
  MLC_RETURN_IF_ERROR(checkAllSame(ops, kFloat, ops.size()));
  ASSIGN_OR_RETURN(bool last, channelsLastAttr(attrs));
  if (last) {
    Types first = ops;
    first[0] = channelsFirst(ops[0]);
    AttributeMap plain = attrs;
    plain.erase("channels_last");
    ASSIGN_OR_RETURN(TensorType result, inferConv(first, plain));
    return channelsLast(std::move(result));
  }
  const TensorType &x = ops[0], &w = ops[1];
  ASSIGN_OR_RETURN(int64_t k, spatialRank(x, "conv"));
  MLC_RETURN_IF_ERROR(checkRank(ops, 1, x.rank()));
  ASSIGN_OR_RETURN(WindowAttrs win, windowAttrs(attrs, k, false, false));
  ASSIGN_OR_RETURN(int64_t group, intAttr(attrs, "group"));
  if (group < 1)
    return makeError("attribute 'group' must be >= 1, got " +
                     std::to_string(group));
  ASSIGN_OR_RETURN(int64_t channels, staticDim(x, 0, 1));
  ASSIGN_OR_RETURN(int64_t filters, staticDim(w, 1, 0));
  ASSIGN_OR_RETURN(int64_t perGroup, staticDim(w, 1, 1));
  if (channels % group != 0)
    return makeError("input channels " + std::to_string(channels) +
                     " not divisible by group " + std::to_string(group));
  if (filters % group != 0)
    return makeError("output channels " + std::to_string(filters) +
                     " not divisible by group " + std::to_string(group));
  if (perGroup != channels / group)
    return makeError("weight has " + std::to_string(perGroup) +
                     " input channels per group, expected " +
                     std::to_string(channels / group));
  if (ops.size() == 3) {
    MLC_RETURN_IF_ERROR(checkRank(ops, 2, 1));
    if (!(ops[2].shape[0] == Dim(filters)))
      return makeError("bias has " + dimToString(ops[2].shape[0]) +
                       " elements, expected " + std::to_string(filters));
  }
  Shape shape{x.shape[0], Dim(filters)};
  for (int64_t i = 0; i < k; ++i) {
    ASSIGN_OR_RETURN(int64_t in, staticDim(x, 0, i + 2));
    ASSIGN_OR_RETURN(int64_t kernel, staticDim(w, 1, i + 2));
    if (kernel < 1)
      return makeError("kernel extent at spatial dim " + std::to_string(i) +
                       " must be >= 1");
    ASSIGN_OR_RETURN(int64_t out,
                     windowOutDim(in, kernel, win.strides[i], win.pads[i],
                                  win.pads[i + k], win.dilations[i], false, i));
    shape.push_back(Dim(out));
  }
  return TensorType{x.dtype, std::move(shape)};
}

Expected<TensorType> inferPool(OpKind kind, const Types &ops,
                               const AttributeMap &attrs) {
  bool isMax = kind == OpKind::MaxPool;
  MLC_RETURN_IF_ERROR(checkDType(ops, 0, isMax ? kNumeric : kFloat));
  ASSIGN_OR_RETURN(bool last, channelsLastAttr(attrs));
  if (last) {
    AttributeMap plain = attrs;
    plain.erase("channels_last");
    ASSIGN_OR_RETURN(TensorType result,
                     inferPool(kind, {channelsFirst(ops[0])}, plain));
    return channelsLast(std::move(result));
  }
  const TensorType &x = ops[0];
  ASSIGN_OR_RETURN(int64_t k, spatialRank(x, isMax ? "max_pool" : "avg_pool"));
  ASSIGN_OR_RETURN(WindowAttrs win, windowAttrs(attrs, k, true, !isMax));
  if (!isMax) {
    ASSIGN_OR_RETURN(bool countPad, flagAttr(attrs, "count_include_pad"));
    (void)countPad;
  }
  Shape shape{x.shape[0], x.shape[1]};
  for (int64_t i = 0; i < k; ++i) {
    ASSIGN_OR_RETURN(int64_t in, staticDim(x, 0, i + 2));
    ASSIGN_OR_RETURN(int64_t out, windowOutDim(in, win.kernel[i],
                                               win.strides[i], win.pads[i],
                                               win.pads[i + k],
                                               win.dilations[i], win.ceilMode,
                                               i));
    shape.push_back(Dim(out));
  }
  return TensorType{x.dtype, std::move(shape)};
}

Expected<TensorType> inferReduce(const Types &ops, const AttributeMap &attrs) {
  MLC_RETURN_IF_ERROR(checkDType(ops, 0, kNumeric));
  const TensorType &x = ops[0];
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, intsAttr(attrs, "axes"));
  ASSIGN_OR_RETURN(bool keepdims, flagAttr(attrs, "keepdims"));
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= x.rank())
      return makeError("attribute 'axes' has " + std::to_string(axes[i]) +
                       ", expected values in [0, " + std::to_string(x.rank()) +
                       ")");
    if (i && axes[i] <= axes[i - 1])
      return makeError("attribute 'axes' must be sorted and unique, got " +
                       intsString(axes));
  }
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), d);
    if (!reduced)
      shape.push_back(x.shape[d]);
    else if (keepdims)
      shape.push_back(Dim(1));
  }
  return TensorType{x.dtype, std::move(shape)};
}

Expected<TensorType> inferArgMax(const Types &ops, const AttributeMap &attrs) {
  MLC_RETURN_IF_ERROR(checkDType(ops, 0, kNumeric));
  const TensorType &x = ops[0];
  ASSIGN_OR_RETURN(int64_t axis, axisAttr(attrs, "axis", x.rank()));
  ASSIGN_OR_RETURN(bool keepdims, flagAttr(attrs, "keepdims"));
  ASSIGN_OR_RETURN(bool last, flagAttr(attrs, "select_last_index"));
  (void)last;
  if (x.shape[axis] == Dim(0))
    return makeError("arg_max over an empty axis");
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d != axis)
      shape.push_back(x.shape[d]);
    else if (keepdims)
      shape.push_back(Dim(1));
  }
  return TensorType{DType::I64, std::move(shape)};
}

Expected<TensorType> inferSoftmax(const Types &ops, const AttributeMap &attrs) {
  MLC_RETURN_IF_ERROR(checkDType(ops, 0, kFloat));
  ASSIGN_OR_RETURN(int64_t axis, axisAttr(attrs, "axis", ops[0].rank()));
  (void)axis;
  return ops[0];
}

/// Checks that `param` broadcasts unidirectionally to `target`.
Status checkUnidirectional(const TensorType &param, size_t operand,
                           const Shape &target) {
  if (param.rank() > static_cast<int64_t>(target.size()))
    return makeError("operand " + std::to_string(operand) + " of shape " +
                     shapeString(param.shape) + " does not broadcast to " +
                     shapeString(target));
  size_t offset = target.size() - param.shape.size();
  for (size_t i = 0; i < param.shape.size(); ++i) {
    const Dim &d = param.shape[i];
    if (!(d == target[offset + i]) && !(d == Dim(1)))
      return makeError("operand " + std::to_string(operand) + " of shape " +
                       shapeString(param.shape) + " does not broadcast to " +
                       shapeString(target));
  }
  return Status::success();
}

Expected<TensorType> inferLayerNorm(const Types &ops,
                                    const AttributeMap &attrs) {
  MLC_RETURN_IF_ERROR(checkAllSame(ops, kFloat, ops.size()));
  const TensorType &x = ops[0];
  ASSIGN_OR_RETURN(int64_t axis, axisAttr(attrs, "axis", x.rank()));
  ASSIGN_OR_RETURN(double epsilon, floatAttr(attrs, "epsilon"));
  (void)epsilon;
  Shape normalized(x.shape.begin() + axis, x.shape.end());
  for (size_t i = 1; i < ops.size(); ++i)
    MLC_RETURN_IF_ERROR(checkUnidirectional(ops[i], i, normalized));
  return x;
}

Expected<TensorType> inferBatchNorm(const Types &ops,
                                    const AttributeMap &attrs) {
  MLC_RETURN_IF_ERROR(checkAllSame(ops, kFloat, ops.size()));
  const TensorType &x = ops[0];
  if (x.rank() < 2)
    return makeError("batch_norm input must have rank >= 2, got " +
                     std::to_string(x.rank()));
  ASSIGN_OR_RETURN(double epsilon, floatAttr(attrs, "epsilon"));
  (void)epsilon;
  for (size_t i = 1; i < ops.size(); ++i) {
    MLC_RETURN_IF_ERROR(checkRank(ops, i, 1));
    if (!(ops[i].shape[0] == x.shape[1]))
      return makeError("operand " + std::to_string(i) + " has " +
                       dimToString(ops[i].shape[0]) + " elements, expected " +
                       dimToString(x.shape[1]));
  }
  return x;
}

Expected<TensorType> inferReshape(const Types &ops, const AttributeMap &attrs) {
  ASSIGN_OR_RETURN(Shape dims, dimsAttr(attrs, "shape"));
  if (!isStatic(dims) || !isStatic(ops[0].shape)) {
    // With symbols: the element counts must match as symbolic products
    // (the frontend has resolved -1 and 0 already).
    for (const Dim &d : dims)
      if (d.isStatic() && d.value() < 0)
        return makeError("attribute 'shape' must have entries >= 0");
    ASSIGN_OR_RETURN(SymbolicCount in, symbolicCount(ops[0].shape));
    ASSIGN_OR_RETURN(SymbolicCount out, symbolicCount(dims));
    // `checked = 1`: the counts are compared at run time (dims computed
    // from input values or expressions, which compare only there).
    auto checked = attrs.find("checked");
    bool runTimeCheck = checked != attrs.end() &&
                        std::holds_alternative<int64_t>(checked->second) &&
                        std::get<int64_t>(checked->second) == 1;
    if (!runTimeCheck && !(in == out) &&
        !(in.constant == 0 && out.constant == 0))
      return makeError("cannot reshape " + shapeString(ops[0].shape) + " to " +
                       shapeString(dims) + " (the element counts differ)");
    return TensorType{ops[0].dtype, dims};
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> target, intsAttr(attrs, "shape"));
  MLC_RETURN_IF_ERROR(checkAllAtLeast(target, "shape", 0));
  ASSIGN_OR_RETURN(std::vector<int64_t> extents, staticExtentsOf(ops[0], 0));
  ASSIGN_OR_RETURN(int64_t inCount, productChecked(extents));
  auto outCount = productChecked(target);
  if (!outCount.ok())
    return makeError("reshape target " + intsString(target) +
                     " has too many elements");
  if (*outCount != inCount)
    return makeError("cannot reshape " + std::to_string(inCount) +
                     " elements to " + intsString(target) + " (" +
                     std::to_string(*outCount) + " elements)");
  return TensorType{ops[0].dtype, makeShape(target)};
}

Expected<TensorType> inferTranspose(const Types &ops,
                                    const AttributeMap &attrs) {
  const TensorType &x = ops[0];
  ASSIGN_OR_RETURN(std::vector<int64_t> perm,
                   intsAttrOfSize(attrs, "perm", x.rank()));
  std::vector<bool> seen(perm.size(), false);
  Shape shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.rank() || seen[p])
      return makeError("attribute 'perm' is not a permutation: " +
                       intsString(perm));
    seen[p] = true;
    shape.push_back(x.shape[p]);
  }
  return TensorType{x.dtype, std::move(shape)};
}

Expected<TensorType> inferConcat(const Types &ops, const AttributeMap &attrs) {
  MLC_RETURN_IF_ERROR(checkAllSame(ops, kAny, ops.size()));
  const TensorType &first = ops[0];
  ASSIGN_OR_RETURN(int64_t axis, axisAttr(attrs, "axis", first.rank()));
  Shape shape = first.shape;
  bool allStatic = true;
  int64_t total = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    MLC_RETURN_IF_ERROR(checkRank(ops, i, first.rank()));
    for (int64_t d = 0; d < first.rank(); ++d) {
      if (d == axis)
        continue;
      if (!(ops[i].shape[d] == first.shape[d]))
        return makeError("operand " + std::to_string(i) + " has dim " +
                         std::to_string(d) + " = " +
                         dimToString(ops[i].shape[d]) + ", expected " +
                         dimToString(first.shape[d]));
    }
    const Dim &d = ops[i].shape[axis];
    if (!d.isStatic()) {
      allStatic = false;
      continue;
    }
    ASSIGN_OR_RETURN(total, addChecked(total, d.value()));
  }
  if (!allStatic) {
    if (ops.size() != 1)
      return makeError("concat axis dims must be static for now");
  } else {
    shape[axis] = Dim(total);
  }
  return TensorType{first.dtype, std::move(shape)};
}

Expected<TensorType> inferSlice(const Types &ops, const AttributeMap &attrs) {
  const TensorType &x = ops[0];
  ASSIGN_OR_RETURN(std::vector<int64_t> starts,
                   intsAttrOfSize(attrs, "starts", x.rank()));
  ASSIGN_OR_RETURN(Shape endDims, dimsAttr(attrs, "ends"));
  if (static_cast<int64_t>(endDims.size()) != x.rank())
    return makeError("attribute 'ends' must have " + std::to_string(x.rank()) +
                     " elements, got " + std::to_string(endDims.size()));
  ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                   intsAttrOfSize(attrs, "steps", x.rank()));
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (!endDims[d].isStatic() || !x.shape[d].isStatic()) {
      // A symbolic extent: x[0 : ?n] of a static dim D (the run time
      // checks n <= D) or all of a symbolic dim.
      const Dim &end = endDims[d];
      bool whole = !x.shape[d].isStatic() && end == x.shape[d];
      bool prefix = x.shape[d].isStatic() && !end.isStatic();
      if (starts[d] != 0 || steps[d] != 1 || !(whole || prefix))
        return makeError("slice of dim " + std::to_string(d) + " (extent " +
                         dimToString(x.shape[d]) + ") with bounds " +
                         std::to_string(starts[d]) + ":" + dimToString(end) +
                         " step " + std::to_string(steps[d]) +
                         ": with symbols only 0:?n step 1 is supported");
      shape.push_back(end);
      continue;
    }
    int64_t dim = x.shape[d].value();
    int64_t start = starts[d], end = endDims[d].value(), step = steps[d];
    std::string where = " at dim " + std::to_string(d) + " (extent " +
                        std::to_string(dim) + ")";
    if (step == 0)
      return makeError("slice step must be non-zero" + where);
    if (step > 0) {
      if (start < 0 || start > dim || end < 0 || end > dim)
        return makeError("slice bounds " + std::to_string(start) + ":" +
                         std::to_string(end) + " out of range" + where);
    } else if (dim == 0) {
      if (start < -1 || start > 0 || end < -1 || end > 0)
        return makeError("slice bounds " + std::to_string(start) + ":" +
                         std::to_string(end) + " out of range" + where);
    } else if (start < 0 || start >= dim || end < -1 || end >= dim) {
      return makeError("slice bounds " + std::to_string(start) + ":" +
                       std::to_string(end) + " out of range" + where);
    }
    // The bounds above keep every quantity here far from overflow.
    int64_t diff = end - start;
    int64_t out = 0;
    if (step > 0 && diff > 0)
      out = 1 + (diff - 1) / step;
    else if (step < 0 && diff < 0)
      out = 1 + (diff + 1) / step;
    shape.push_back(Dim(out));
  }
  return TensorType{x.dtype, std::move(shape)};
}

Expected<TensorType> inferGather(const Types &ops, const AttributeMap &attrs) {
  const TensorType &data = ops[0], &indices = ops[1];
  if (indices.dtype != DType::I32 && indices.dtype != DType::I64)
    return makeError("operand 1 has dtype " +
                     std::string(dtypeName(indices.dtype)) +
                     ", expected i32 or i64");
  ASSIGN_OR_RETURN(int64_t axis, axisAttr(attrs, "axis", data.rank()));
  if (data.shape[axis] == Dim(0)) {
    bool indicesEmpty = false;
    for (const Dim &d : indices.shape)
      indicesEmpty |= d == Dim(0);
    if (!indicesEmpty)
      return makeError("gather from an empty axis");
  }
  Shape shape(data.shape.begin(), data.shape.begin() + axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), data.shape.begin() + axis + 1, data.shape.end());
  return TensorType{data.dtype, std::move(shape)};
}

Expected<TensorType> inferGatherElements(const Types &ops,
                                        const AttributeMap &attrs) {
  const TensorType &data = ops[0], &indices = ops[1];
  if (indices.dtype != DType::I32 && indices.dtype != DType::I64)
    return makeError("operand 1 has dtype " +
                     std::string(dtypeName(indices.dtype)) +
                     ", expected i32 or i64");
  if (indices.rank() != data.rank())
    return makeError("indices rank " + std::to_string(indices.rank()) +
                     " differs from the data rank " +
                     std::to_string(data.rank()));
  ASSIGN_OR_RETURN(int64_t axis, axisAttr(attrs, "axis", data.rank()));
  bool indicesEmpty = false;
  for (const Dim &d : indices.shape)
    indicesEmpty |= d == Dim(0);
  for (int64_t d = 0; d < data.rank(); ++d) {
    const Dim &i = indices.shape[d], &x = data.shape[d];
    if (d == axis || i == x)
      continue;
    if (!i.isStatic() || !x.isStatic() || i.value() > x.value())
      return makeError("indices dim " + std::to_string(d) + " (" +
                       dimToString(i) + ") exceeds the data dim (" +
                       dimToString(x) + ")");
  }
  if (data.shape[axis] == Dim(0) && !indicesEmpty)
    return makeError("gather_elements from an empty axis");
  return TensorType{data.dtype, indices.shape};
}

Expected<TensorType> inferExpand(const Types &ops, const AttributeMap &attrs) {
  ASSIGN_OR_RETURN(Shape target, dimsAttr(attrs, "shape"));
  for (const Dim &d : target)
    if (d.isStatic() && d.value() < 0)
      return makeError("attribute 'shape' must have entries >= 0");
  ASSIGN_OR_RETURN(Shape shape, broadcastShapes(ops[0].shape, target));
  return TensorType{ops[0].dtype, std::move(shape)};
}

/// iota: i64 of dims `shape`, each element its index along `axis`.
Expected<TensorType> inferIota(const AttributeMap &attrs) {
  ASSIGN_OR_RETURN(Shape shape, dimsAttr(attrs, "shape"));
  for (const Dim &d : shape)
    if (d.isStatic() && d.value() < 0)
      return makeError("attribute 'shape' must have entries >= 0");
  ASSIGN_OR_RETURN(int64_t axis, intAttr(attrs, "axis"));
  if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
    return makeError("axis " + std::to_string(axis) + " is out of range for "
                     "rank " + std::to_string(shape.size()));
  return TensorType{DType::I64, std::move(shape)};
}

/// string_equal (bool) and string_concat (str): two str operands of one
/// shape, a result of `dtype` and that shape.
Expected<TensorType> inferStringPair(OpKind kind, const Types &ops,
                                     DType dtype) {
  std::string name(opName(kind));
  for (size_t i = 0; i < 2; ++i)
    if (ops[i].dtype != DType::Str)
      return makeError("operand " + std::to_string(i) + " of " + name +
                       " must be str, got " +
                       std::string(dtypeName(ops[i].dtype)));
  if (ops[0].shape != ops[1].shape)
    return makeError(name + " operands must have one shape, got " +
                     shapeString(ops[0].shape) + " and " +
                     shapeString(ops[1].shape));
  return TensorType{dtype, ops[0].shape};
}

/// regex_full_match: bool of the operand's shape; `pattern` compiles.
Expected<TensorType> inferRegexFullMatch(const Types &ops,
                                         const AttributeMap &attrs) {
  if (ops[0].dtype != DType::Str)
    return makeError("regex_full_match takes a str operand, got " +
                     std::string(dtypeName(ops[0].dtype)));
  ASSIGN_OR_RETURN(std::string pattern, stringAttr(attrs, "pattern"));
  Expected<std::string> program = compileRegex(pattern);
  if (!program)
    return program.error();
  return TensorType{DType::Bool, ops[0].shape};
}

/// string_split (str, the operand's shape and `width`) and
/// string_split_count (i64, the operand's shape): a str operand, a
/// `delimiter` and a `maxsplit` (negative: unlimited).
Expected<TensorType> inferStringSplit(OpKind kind, const Types &ops,
                                      const AttributeMap &attrs) {
  std::string name(opName(kind));
  if (ops[0].dtype != DType::Str)
    return makeError(name + " takes a str operand, got " +
                     std::string(dtypeName(ops[0].dtype)));
  ASSIGN_OR_RETURN(std::string delimiter, stringAttr(attrs, "delimiter"));
  ASSIGN_OR_RETURN(int64_t maxSplit, intAttr(attrs, "maxsplit"));
  (void)delimiter;
  (void)maxSplit;
  if (kind == OpKind::StringSplitCount)
    return TensorType{DType::I64, ops[0].shape};
  ASSIGN_OR_RETURN(Shape width, dimsAttr(attrs, "width"));
  if (width.size() != 1 || (width[0].isStatic() && width[0].value() < 0))
    return makeError("attribute 'width' must be one dim >= 0");
  Shape shape = ops[0].shape;
  shape.push_back(width[0]);
  return TensorType{DType::Str, std::move(shape)};
}

/// string_case: str of the operand's shape; `mode` upper or lower.
Expected<TensorType> inferStringCase(const Types &ops,
                                     const AttributeMap &attrs) {
  if (ops[0].dtype != DType::Str)
    return makeError("string_case takes a str operand, got " +
                     std::string(dtypeName(ops[0].dtype)));
  ASSIGN_OR_RETURN(std::string mode, stringAttr(attrs, "mode"));
  if (mode != "upper" && mode != "lower")
    return makeError("attribute 'mode' must be \"upper\" or \"lower\", got \"" +
                     mode + "\"");
  return ops[0];
}

/// string_index: i64 of the operand's shape; `keys` a string list.
Expected<TensorType> inferStringIndex(const Types &ops,
                                      const AttributeMap &attrs) {
  if (ops[0].dtype != DType::Str)
    return makeError("string_index takes a str operand, got " +
                     std::string(dtypeName(ops[0].dtype)));
  ASSIGN_OR_RETURN(std::string keys, stringAttr(attrs, "keys"));
  if (!decodeStringList(keys))
    return makeError("attribute 'keys' is not a string list "
                     "(<length>:<bytes>...)");
  auto fold = attrs.find("fold_case");
  if (fold != attrs.end() && (!std::holds_alternative<int64_t>(fold->second) ||
                              (std::get<int64_t>(fold->second) != 0 &&
                               std::get<int64_t>(fold->second) != 1)))
    return makeError("attribute 'fold_case' must be 0 or 1");
  return TensorType{DType::I64, ops[0].shape};
}

/// symbol_values: i64[n] holding the n entries of `values` (symbols or
/// constants, of any sign) at run time.
Expected<TensorType> inferSymbolValues(const AttributeMap &attrs) {
  ASSIGN_OR_RETURN(Shape values, dimsAttr(attrs, "values"));
  return TensorType{DType::I64,
                    makeShape({static_cast<int64_t>(values.size())})};
}

Expected<TensorType> inferPad(const Types &ops, const AttributeMap &attrs) {
  const TensorType &x = ops[0];
  ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                   intsAttrOfSize(attrs, "pads", 2 * x.rank()));
  MLC_RETURN_IF_ERROR(checkAllAtLeast(pads, "pads", 0));
  ASSIGN_OR_RETURN(std::string mode, stringAttr(attrs, "mode"));
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return makeError("attribute 'mode' must be \"constant\", \"reflect\" or "
                     "\"edge\", got \"" +
                     mode + "\"");
  ASSIGN_OR_RETURN(double value, floatAttr(attrs, "value"));
  (void)value;
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    int64_t before = pads[d], after = pads[d + x.rank()];
    if (before == 0 && after == 0) {
      shape.push_back(x.shape[d]);
      continue;
    }
    ASSIGN_OR_RETURN(int64_t dim, staticDim(x, 0, d));
    if (mode == "reflect" && (before >= dim || after >= dim))
      return makeError("reflect pads must be smaller than the dim at dim " +
                       std::to_string(d));
    if (mode == "edge" && dim == 0)
      return makeError("edge padding of an empty dim at dim " +
                       std::to_string(d));
    ASSIGN_OR_RETURN(int64_t out, addChecked(dim, before));
    ASSIGN_OR_RETURN(out, addChecked(out, after));
    shape.push_back(Dim(out));
  }
  return TensorType{x.dtype, std::move(shape)};
}

Expected<TensorType> inferOne(OpKind kind, const Types &ops,
                              const AttributeMap &attrs) {
  switch (kind) {
  case OpKind::Constant:
    return inferConstant(attrs);
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
  case OpKind::Cast:
    return inferUnary(kind, ops, attrs);
  case OpKind::BitCast: {
    ASSIGN_OR_RETURN(DType to, dtypeAttr(attrs, "to"));
    // A bool must hold 0 or 1: other bytes would make it invalid.
    if (to == DType::Bool && ops[0].dtype != DType::Bool)
      return makeError("bitcast to bool is not supported (cast to bool "
                       "compares with 0)");
    if (dtypeBits(to) != dtypeBits(ops[0].dtype))
      return makeError("bitcast from " + std::string(dtypeName(ops[0].dtype)) +
                       " to " + std::string(dtypeName(to)) +
                       " changes the element width");
    return TensorType{to, ops[0].shape};
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
    return inferBinary(kind, ops);
  case OpKind::Where:
    return inferWhere(ops);
  case OpKind::MatMul:
    return inferMatMul(ops);
  case OpKind::Conv:
    return inferConv(ops, attrs);
  case OpKind::MaxPool:
  case OpKind::AvgPool:
    return inferPool(kind, ops, attrs);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ReduceProd:
    return inferReduce(ops, attrs);
  case OpKind::ArgMax:
    return inferArgMax(ops, attrs);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return inferSoftmax(ops, attrs);
  case OpKind::LayerNorm:
    return inferLayerNorm(ops, attrs);
  case OpKind::BatchNorm:
    return inferBatchNorm(ops, attrs);
  case OpKind::Reshape:
    return inferReshape(ops, attrs);
  case OpKind::Transpose:
    return inferTranspose(ops, attrs);
  case OpKind::Concat:
    return inferConcat(ops, attrs);
  case OpKind::Slice:
    return inferSlice(ops, attrs);
  case OpKind::Gather:
    return inferGather(ops, attrs);
  case OpKind::GatherElements:
    return inferGatherElements(ops, attrs);
  case OpKind::Expand:
    return inferExpand(ops, attrs);
  case OpKind::Pad:
    return inferPad(ops, attrs);
  case OpKind::Iota:
    return inferIota(attrs);
  case OpKind::SymbolValues:
    return inferSymbolValues(attrs);
  case OpKind::StringEqual:
    return inferStringPair(kind, ops, DType::Bool);
  case OpKind::StringIndex:
    return inferStringIndex(ops, attrs);
  case OpKind::StringConcat:
    return inferStringPair(kind, ops, DType::Str);
  case OpKind::StringCase:
    return inferStringCase(ops, attrs);
  case OpKind::RegexFullMatch:
    return inferRegexFullMatch(ops, attrs);
  case OpKind::StringSplit:
  case OpKind::StringSplitCount:
    return inferStringSplit(kind, ops, attrs);
  }
  return makeError("unknown op kind " +
                   std::to_string(static_cast<int>(kind)));
}

/// The data movement ops that move strings whole (docs/ir.md, "Strings");
/// `where` takes them as its value operands.
bool movesStrings(OpKind kind) {
  switch (kind) {
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::Concat:
  case OpKind::Slice:
  case OpKind::Gather:
  case OpKind::Expand:
  case OpKind::Where:
    return true;
  default:
    return false;
  }
}

/// Fails when a result's element or byte count would overflow int64 (for
/// symbolic shapes, the product of the static dims), multiplying outermost
/// first as byteSize does.
Status checkResultSize(const TensorType &type) {
  int64_t product = 1;
  for (const Dim &d : type.shape) {
    if (!d.isStatic())
      continue;
    if (__builtin_mul_overflow(product, d.value(), &product))
      return makeError("result shape " + shapeString(type.shape) +
                       " is too large (element count overflows int64)");
  }
  if (__builtin_mul_overflow(product, dtypeSize(type.dtype), &product))
    return makeError("result shape " + shapeString(type.shape) +
                     " is too large (byte size overflows int64)");
  return Status::success();
}

#undef ASSIGN_OR_RETURN
#undef ASSIGN_OR_RETURN_IMPL
#undef MLC_TI_CONCAT
#undef MLC_TI_CONCAT_INNER

} // namespace

Expected<std::vector<TensorType>>
inferResultTypes(OpKind kind, const std::vector<TensorType> &operandTypes,
                 const AttributeMap &attrs) {
  if (static_cast<int>(kind) >= numOpKinds())
    return makeError("unknown op kind " +
                     std::to_string(static_cast<int>(kind)));
  const OpInfo &info = opInfo(kind);
  size_t count = operandTypes.size();
  if (count < info.minOperands || count > info.maxOperands) {
    std::string expected = std::to_string(info.minOperands);
    if (info.maxOperands != info.minOperands)
      expected += " to " + std::to_string(info.maxOperands);
    return makeError(std::string(info.name) + " expects " + expected +
                     " operands, got " + std::to_string(count));
  }
  for (size_t i = 0; i < count; ++i) {
    for (const Dim &d : operandTypes[i].shape)
      if (d.isStatic() && d.value() < 0)
        return makeError("operand " + std::to_string(i) +
                         " has a negative dim");
    // Strings are moved (and read by the string ops), never computed on.
    bool takesStrings =
        (movesStrings(kind) && (kind != OpKind::Where || i > 0)) ||
        isHostOp(kind);
    if (operandTypes[i].dtype == DType::Str && !takesStrings)
      return makeError(std::string(info.name) +
                       " does not take dtype str "
                       "(operand " +
                       std::to_string(i) +
                       "); strings are moved and compared only");
    // Narrow types are storage formats: only cast converts them, and
    // reshape (a view) passes them through.
    if (isNarrow(operandTypes[i].dtype) && kind != OpKind::Cast &&
        kind != OpKind::BitCast && kind != OpKind::Reshape)
      return makeError(std::string(info.name) + " does not take dtype " +
                       std::string(dtypeName(operandTypes[i].dtype)) +
                       " (operand " + std::to_string(i) +
                       "); narrow types are converted by cast only");
  }
  Expected<TensorType> result = inferOne(kind, operandTypes, attrs);
  if (!result.ok())
    return result.error();
  // Strings come from inputs, moves, the string ops and (empty) constants;
  // nothing converts to them (a cast to str would make pointers of numbers).
  bool givesStrings = movesStrings(kind) || kind == OpKind::Constant ||
                      kind == OpKind::StringConcat ||
                      kind == OpKind::StringCase || kind == OpKind::StringSplit;
  if (result->dtype == DType::Str && !givesStrings)
    return makeError(std::string(info.name) +
                     " cannot give dtype str; strings are moved and compared "
                     "only");
  MLC_RETURN_IF_ERROR(checkResultSize(*result));
  return std::vector<TensorType>{result.take()};
}

} // namespace mlc
