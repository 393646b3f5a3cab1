// Text builder shared by the per-op emitters: SSA names, types, linalg.generic.
#include "codegen/EmitContext.h"

#include <algorithm>

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"

#include <cinttypes>
#include <cstdio>
#include <limits>
#include <optional>

namespace mlc::codegen {

std::string storageType(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I8:
  case DType::U8:
  case DType::Bool:
    return "i8";
  case DType::I16:
  case DType::U16:
    return "i16";
  case DType::I32:
  case DType::U32:
    return "i32";
  case DType::I64:
  case DType::U64:
    return "i64";
  case DType::Str: // {pointer, length}: moved whole
    return "i128";
  default: // the narrow types: one element per byte
    return "i8";
  }
}

std::string computeType(DType type) {
  return type == DType::Bool ? "i1" : storageType(type);
}

namespace {
/// The symbol table of the SymbolScope alive on this thread, if any.
thread_local const std::vector<std::string> *scopedSymbols = nullptr;

std::string extentText(int64_t d) {
  return isDynamicExtent(d) ? std::string("?") : std::to_string(d);
}
} // namespace

bool hasDynamicExtent(const std::vector<int64_t> &shape) {
  return std::any_of(shape.begin(), shape.end(), isDynamicExtent);
}

SymbolScope::SymbolScope(const std::vector<std::string> &symbols)
    : previous_(scopedSymbols) {
  scopedSymbols = &symbols;
}

SymbolScope::~SymbolScope() { scopedSymbols = previous_; }

namespace {
/// The innermost SymbolOverride alive on this thread, if any.
thread_local const SymbolOverride *scopedOverride = nullptr;
} // namespace

SymbolOverride::SymbolOverride(size_t symbol, int64_t extent)
    : symbol_(symbol), extent_(extent), previous_(scopedOverride) {
  scopedOverride = this;
}

SymbolOverride::~SymbolOverride() { scopedOverride = previous_; }

int64_t extentOf(const Dim &dim) {
  if (dim.isStatic())
    return dim.value();
  for (const SymbolOverride *o = scopedOverride; o; o = o->previous_)
    if (scopedSymbols && o->symbol_ < scopedSymbols->size() &&
        (*scopedSymbols)[o->symbol_] == dim.symbolName())
      return o->extent_;
  if (scopedSymbols)
    for (size_t k = 0; k < scopedSymbols->size(); ++k)
      if ((*scopedSymbols)[k] == dim.symbolName())
        return symbolExtent(k);
  return kDynamicExtent;
}

std::optional<size_t> perItemSymbol(const Node &node) {
  return itemSymbol(node, /*anyOp=*/false);
}

std::optional<size_t> itemSymbol(const Node &node, bool anyOp) {
  std::optional<int64_t> batch;
  // A value's part: fully static (0), batched along the symbol (1), or
  // anything else (-1).
  auto classify = [&](const Value *v) {
    std::vector<int64_t> e = extents(v);
    if (!hasDynamicExtent(e))
      return 0;
    if (e.empty() || !isDynamicExtent(e[0]) || e[0] == kDynamicExtent)
      return -1;
    for (size_t i = 1; i < e.size(); ++i)
      if (isDynamicExtent(e[i]))
        return -1;
    if (batch && *batch != e[0])
      return -1;
    batch = e[0];
    return 1;
  };
  for (const Value *v : node.results())
    if (classify(v) != 1)
      return std::nullopt;
  std::vector<int> parts;
  for (const Value *v : node.operands()) {
    parts.push_back(classify(v));
    if (parts.back() < 0)
      return std::nullopt;
  }
  if (parts.empty() || parts[0] != 1)
    return std::nullopt;
  auto hasAxis0 = [&](const std::string &name) {
    if (!node.hasAttr(name))
      return false;
    for (int64_t a : node.intsAttr(name))
      if (a == 0)
        return true;
    return false;
  };
  bool ok = false;
  switch (node.kind()) {
  case OpKind::Conv:
  case OpKind::MaxPool:
  case OpKind::AvgPool:
    ok = true;
    break;
  case OpKind::BatchNorm:
    ok = std::count(parts.begin(), parts.end(), 1) == 1;
    break;
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ReduceProd:
    ok = !hasAxis0("axes") && !node.intsAttr("axes").empty();
    break;
  case OpKind::ArgMax:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::LayerNorm:
  case OpKind::Concat:
    ok = node.intAttr("axis") != 0;
    break;
  case OpKind::Gather:
  case OpKind::GatherElements:
    ok = node.intAttr("axis") != 0;
    break;
  case OpKind::Transpose:
    ok = node.intsAttr("perm").at(0) == 0;
    break;
  case OpKind::Reshape:
  case OpKind::Slice:
    // The result keeps dim 0 (classify); a slice of it starts at 0.
    ok = node.kind() == OpKind::Reshape || node.intsAttr("starts").at(0) == 0;
    break;
  case OpKind::Pad: {
    const std::vector<int64_t> &pads = node.intsAttr("pads");
    ok = pads.at(0) == 0 && pads.at(pads.size() / 2) == 0;
    break;
  }
  case OpKind::MatMul:
    // Rows of a batched A times a static B (the batch is A's dim 0).
    ok = anyOp && parts.size() == 2 && parts[1] == 0 &&
         node.operand(0)->type().rank() >= 2;
    break;
  default:
    ok = anyOp && isElementwise(node.kind());
    break;
  }
  if (!ok || !batch)
    return std::nullopt;
  return static_cast<size_t>(-2 - *batch);
}

std::string dimText(int64_t extent) {
  if (!isDynamicExtent(extent))
    return std::to_string(extent);
  return "%sym" + std::to_string(-2 - extent);
}

std::string tensorType(DType dtype, const std::vector<int64_t> &shape) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += extentText(d) + "x";
  return s + storageType(dtype) + ">";
}

std::string tensorType(const TensorType &type) {
  return tensorType(type.dtype, extents(type));
}

std::string memrefType(const TensorType &type) {
  std::string s = "memref<";
  for (int64_t d : extents(type))
    s += extentText(d) + "x";
  return s + storageType(type.dtype) + ">";
}

std::string dim(int i) { return "d" + std::to_string(i); }

std::string affineMap(int numDims, const std::vector<std::string> &exprs) {
  std::string s = "affine_map<(";
  for (int i = 0; i < numDims; ++i)
    s += (i ? ", " : "") + dim(i);
  s += ") -> (";
  for (size_t i = 0; i < exprs.size(); ++i)
    s += (i ? ", " : "") + exprs[i];
  return s + ")>";
}

std::string identityMap(int rank) {
  std::vector<std::string> exprs;
  for (int i = 0; i < rank; ++i)
    exprs.push_back(dim(i));
  return affineMap(rank, exprs);
}

std::string broadcastMap(const std::vector<int64_t> &operand,
                         const std::vector<int64_t> &result) {
  int rank = static_cast<int>(result.size());
  int offset = rank - static_cast<int>(operand.size());
  std::vector<std::string> exprs;
  for (size_t i = 0; i < operand.size(); ++i) {
    int d = offset + static_cast<int>(i);
    exprs.push_back(operand[i] == 1 && result[d] != 1 ? "0" : dim(d));
  }
  return affineMap(rank, exprs);
}

std::string floatLiteral(double value, DType type) {
  const llvm::fltSemantics *sem = &llvm::APFloat::IEEEsingle();
  switch (type) {
  case DType::F64:
    sem = &llvm::APFloat::IEEEdouble();
    break;
  case DType::F16:
    sem = &llvm::APFloat::IEEEhalf();
    break;
  case DType::BF16:
    sem = &llvm::APFloat::BFloat();
    break;
  default:
    break;
  }
  llvm::APFloat f(value);
  bool losesInfo = false;
  f.convert(*sem, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  llvm::APInt bits = f.bitcastToAPInt();
  llvm::SmallString<32> hex;
  bits.toStringUnsigned(hex, 16);
  return "0x" + std::string(hex.str());
}

std::string KernelBuilder::fresh() { return "%v" + std::to_string(counter_++); }

void KernelBuilder::line(const std::string &text) {
  text_.append(indent_ * 2, ' ');
  text_ += text;
  text_ += '\n';
}

std::string KernelBuilder::indexConst(int64_t value) {
  std::string v = fresh();
  line(v + " = arith.constant " + std::to_string(value) + " : index");
  return v;
}

std::string KernelBuilder::dimValue(int64_t extent) {
  if (isDynamicExtent(extent))
    return dimText(extent);
  return indexConst(extent);
}

std::string KernelBuilder::floatConst(double value, DType dtype) {
  std::string v = fresh();
  line(v + " = arith.constant " + floatLiteral(value, dtype) + " : " +
       computeType(dtype));
  return v;
}

std::string KernelBuilder::intConst(int64_t value, DType dtype) {
  std::string v = fresh();
  if (dtype == DType::Bool)
    line(v + " = arith.constant " + std::string(value ? "true" : "false"));
  else
    line(v + " = arith.constant " + std::to_string(value) + " : " +
         computeType(dtype));
  return v;
}

std::string KernelBuilder::scalarConst(double value, DType dtype) {
  if (isFloat(dtype))
    return floatConst(value, dtype);
  return intConst(static_cast<int64_t>(value), dtype);
}

namespace {
/// Extremes of integer dtypes, as the signless bit pattern printed by MLIR.
std::pair<int64_t, int64_t> intRange(DType dtype) {
  switch (dtype) {
  case DType::I8:
    return {-128, 127};
  case DType::I16:
    return {-32768, 32767};
  case DType::I32:
    return {std::numeric_limits<int32_t>::min(),
            std::numeric_limits<int32_t>::max()};
  case DType::I64:
    return {std::numeric_limits<int64_t>::min(),
            std::numeric_limits<int64_t>::max()};
  case DType::U8:
    return {0, -1};
  case DType::U16:
    return {0, -1};
  case DType::U32:
    return {0, -1};
  case DType::U64:
    return {0, -1};
  default:
    return {0, 1};
  }
}
} // namespace

std::string KernelBuilder::lowestConst(DType dtype) {
  if (isFloat(dtype))
    return floatConst(-std::numeric_limits<double>::infinity(), dtype);
  return intConst(intRange(dtype).first, dtype);
}

std::string KernelBuilder::highestConst(DType dtype) {
  if (isFloat(dtype))
    return floatConst(std::numeric_limits<double>::infinity(), dtype);
  return intConst(intRange(dtype).second, dtype);
}

std::string KernelBuilder::empty(DType dtype,
                                 const std::vector<int64_t> &shape) {
  std::string sizes;
  for (int64_t d : shape)
    if (isDynamicExtent(d))
      sizes += (sizes.empty() ? "" : ", ") + dimText(d);
  std::string v = fresh();
  line(v + " = tensor.empty(" + sizes + ") : " + tensorType(dtype, shape));
  return v;
}

std::string KernelBuilder::toCompute(const std::string &value, DType dtype) {
  if (dtype != DType::Bool)
    return value;
  std::string v = fresh();
  line(v + " = arith.trunci " + value + " : i8 to i1");
  return v;
}

std::string KernelBuilder::toStorage(const std::string &value, DType dtype) {
  if (dtype != DType::Bool)
    return value;
  std::string v = fresh();
  line(v + " = arith.extui " + value + " : i1 to i8");
  return v;
}

std::string KernelBuilder::filled(const std::string &scalar, DType dtype,
                                  const std::vector<int64_t> &shape) {
  std::string init = empty(dtype, shape);
  std::string s = toStorage(scalar, dtype);
  std::string v = fresh();
  line(v + " = linalg.fill ins(" + s + " : " + storageType(dtype) + ") outs(" +
       init + " : " + tensorType(dtype, shape) + ") -> " +
       tensorType(dtype, shape));
  return v;
}

Expected<std::vector<std::string>>
KernelBuilder::generic(const std::vector<GenericOperand> &ins,
                       const std::vector<GenericOperand> &outs,
                       const std::vector<std::string> &iterators,
                       const BodyFn &body, const std::string &attrs) {
  std::vector<std::string> results;
  for (size_t i = 0; i < outs.size(); ++i)
    results.push_back(fresh());
  std::string head;
  for (size_t i = 0; i < results.size(); ++i)
    head += (i ? ", " : "") + results[i];
  head += " = linalg.generic {indexing_maps = [";
  bool first = true;
  for (const auto *list : {&ins, &outs})
    for (const GenericOperand &op : *list) {
      head += (first ? "" : ", ") + op.map;
      first = false;
    }
  head += "], iterator_types = [";
  for (size_t i = 0; i < iterators.size(); ++i)
    head += (i ? ", \"" : "\"") + iterators[i] + "\"";
  head += "]";
  if (!attrs.empty())
    head += ", " + attrs;
  head += "}";
  auto operandList = [&](const std::vector<GenericOperand> &list) {
    std::string names, types;
    for (size_t i = 0; i < list.size(); ++i) {
      names += (i ? ", " : "") + list[i].value;
      types += (i ? ", " : "") + tensorType(list[i].dtype, list[i].shape);
    }
    return names + " : " + types;
  };
  if (!ins.empty())
    head += " ins(" + operandList(ins) + ")";
  head += " outs(" + operandList(outs) + ") {";
  line(head);
  std::vector<std::string> args;
  std::string bb = "^bb0(";
  for (const auto *list : {&ins, &outs})
    for (const GenericOperand &op : *list) {
      args.push_back(fresh());
      bb += (args.size() > 1 ? ", " : "") + args.back() + ": " +
            storageType(op.dtype);
    }
  line(bb + "):");
  ++indent_;
  Expected<std::vector<std::string>> yielded = body(*this, args);
  if (!yielded.ok())
    return yielded.error();
  std::string yield = "linalg.yield ";
  for (size_t i = 0; i < yielded->size(); ++i)
    yield += (i ? ", " : "") + (*yielded)[i];
  yield += " : ";
  for (size_t i = 0; i < outs.size(); ++i)
    yield += (i ? ", " : "") + storageType(outs[i].dtype);
  line(yield);
  --indent_;
  std::string tail;
  for (size_t i = 0; i < outs.size(); ++i)
    tail += (i ? ", " : "") + tensorType(outs[i].dtype, outs[i].shape);
  line(outs.size() == 1 ? "} -> " + tail : "} -> (" + tail + ")");
  return results;
}

Expected<std::string> KernelBuilder::map(const std::vector<GenericOperand> &ins,
                                         DType outType,
                                         const std::vector<int64_t> &shape,
                                         const BodyFn &body) {
  int rank = static_cast<int>(shape.size());
  std::string init = empty(outType, shape);
  std::vector<std::string> iterators(rank, "parallel");
  auto results = generic(ins, {{init, outType, shape, identityMap(rank)}},
                         iterators, body);
  if (!results.ok())
    return results.error();
  return (*results)[0];
}

namespace {

using DimGroups = std::vector<std::vector<int64_t>>;

/// Splits `from` and `to` into runs of consecutive dims with equal products
/// (dims of extent 1 at the end join the last run), so that a reshape is a
/// collapse of `from`'s runs and an expand into `to`'s. None for rank 0 or
/// zero-size shapes.
std::optional<std::pair<DimGroups, DimGroups>>
reshapeGroups(const std::vector<int64_t> &from,
              const std::vector<int64_t> &to) {
  if (from.empty() || to.empty())
    return std::nullopt;
  for (int64_t d : from)
    if (d == 0)
      return std::nullopt;
  DimGroups src, dst;
  size_t i = 0, j = 0;
  while (i < from.size() && j < to.size()) {
    std::vector<int64_t> a = {static_cast<int64_t>(i)},
                         b = {static_cast<int64_t>(j)};
    int64_t pa = from[i++], pb = to[j++];
    while (pa != pb) {
      if (pa < pb && i < from.size()) {
        a.push_back(static_cast<int64_t>(i));
        pa *= from[i++];
      } else if (pb < pa && j < to.size()) {
        b.push_back(static_cast<int64_t>(j));
        pb *= to[j++];
      } else {
        return std::nullopt;
      }
    }
    src.push_back(a);
    dst.push_back(b);
  }
  // A group that starts with unit dims (197x1x768 -> 197x12x64 groups the
  // 1 with the 768) makes a read through the collapse delinearize by the
  // group's other extents: x / 768 and x % 768, which LLVM cannot fold and
  // which turned a head-splitting transpose into a scalar gather (ViT-B/16:
  // 0.25 ms for 600 kB). Trailing unit dims delinearize by 1 and fold, so
  // leading ones move to the end of the previous group.
  for (DimGroups *groups : {&src, &dst}) {
    const std::vector<int64_t> &shape = groups == &src ? from : to;
    for (size_t g = 1; g < groups->size(); ++g) {
      std::vector<int64_t> &cur = (*groups)[g];
      while (cur.size() > 1 && shape[static_cast<size_t>(cur.front())] == 1) {
        (*groups)[g - 1].push_back(cur.front());
        cur.erase(cur.begin());
      }
    }
  }
  for (; i < from.size(); ++i) {
    if (from[i] != 1)
      return std::nullopt;
    src.back().push_back(static_cast<int64_t>(i));
  }
  for (; j < to.size(); ++j) {
    if (to[j] != 1)
      return std::nullopt;
    dst.back().push_back(static_cast<int64_t>(j));
  }
  return std::make_pair(src, dst);
}

std::string reassociation(const DimGroups &groups) {
  std::string s = "[";
  for (size_t g = 0; g < groups.size(); ++g) {
    s += g ? ", [" : "[";
    for (size_t k = 0; k < groups[g].size(); ++k)
      s += (k ? ", " : "") + std::to_string(groups[g][k]);
    s += "]";
  }
  return s + "]";
}

} // namespace

std::string KernelBuilder::reshapeDynamic(const std::string &value, DType dtype,
                                          const std::vector<int64_t> &from,
                                          const std::vector<int64_t> &to) {
  // Through one flat dim (the symbolic counts already matched in the type
  // rule): collapse all of `from`, expand to `to` with its sizes.
  auto all = [](size_t n) {
    std::string r = "[[";
    for (size_t i = 0; i < n; ++i)
      r += (i ? ", " : "") + std::to_string(i);
    return r + "]]";
  };
  // One static side (dims computed from input values reshape static
  // tensors, the counts checked at run time): tensor.reshape to the dims
  // as a shape tensor. expand_shape would need a cast between a static and
  // a dynamic flat dim, which MLIR 19's memref cast folding cannot rebuild.
  // The same for a target with several symbolic dims (Tile by run-time
  // repeats): bufferizing an expand_shape whose one group holds several
  // dynamic dims crashes MLIR 19 (memref::ExpandShapeOp::build infers the
  // sizes).
  size_t dynamicTo = static_cast<size_t>(std::count_if(
      to.begin(), to.end(), [](int64_t e) { return isDynamicExtent(e); }));
  if (!hasDynamicExtent(from) || !hasDynamicExtent(to) || dynamicTo > 1) {
    std::string dims;
    for (size_t i = 0; i < to.size(); ++i)
      dims += (i ? ", " : "") +
              (isDynamicExtent(to[i]) ? dimText(to[i]) : indexConst(to[i]));
    std::string shape = fresh();
    line(shape + " = tensor.from_elements " + dims + " : tensor<" +
         std::to_string(to.size()) + "xindex>");
    std::string v = fresh();
    line(v + " = tensor.reshape " + value + "(" + shape + ") : (" +
         tensorType(dtype, from) + ", tensor<" + std::to_string(to.size()) +
         "xindex>) -> " + tensorType(dtype, to));
    return v;
  }
  std::vector<int64_t> flat = {kDynamicExtent};
  std::string cur = value;
  if (from.size() != 1 || !isDynamicExtent(from[0])) {
    std::string v = fresh();
    line(v + " = tensor.collapse_shape " + cur + " " +
         (from.empty() ? std::string("[]") : all(from.size())) + " : " +
         tensorType(dtype, from) + " into " + tensorType(dtype, flat));
    cur = v;
  }
  std::string sizes;
  for (size_t i = 0; i < to.size(); ++i)
    sizes += (i ? ", " : "") + dimText(to[i]);
  std::string v = fresh();
  line(v + " = tensor.expand_shape " + cur + " " + all(to.size()) +
       " output_shape [" + sizes + "] : " + tensorType(dtype, flat) + " into " +
       tensorType(dtype, to));
  return v;
}

std::string KernelBuilder::reshape(const std::string &value, DType dtype,
                                   const std::vector<int64_t> &from,
                                   const std::vector<int64_t> &to) {
  if (from == to)
    return value;
  if (hasDynamicExtent(from) || hasDynamicExtent(to))
    return reshapeDynamic(value, dtype, from, to);
  // Collapse runs of dims and expand them again, keeping the dims that do
  // not change apart: through one flat dim, every access after
  // bufferization would delinearize its index with divisions (ViT's head
  // split [197, 768] -> [197, 12, 64] ran scalar code with div/mod).
  if (auto groups = reshapeGroups(from, to)) {
    std::vector<int64_t> mid;
    for (const auto &g : groups->first) {
      int64_t p = 1;
      for (int64_t d : g)
        p *= from[static_cast<size_t>(d)];
      mid.push_back(p);
    }
    std::string cur = value;
    if (mid != from) {
      std::string v = fresh();
      line(v + " = tensor.collapse_shape " + cur + " " +
           reassociation(groups->first) + " : " + tensorType(dtype, from) +
           " into " + tensorType(dtype, mid));
      cur = v;
    }
    if (mid == to)
      return cur;
    std::string outShape = "[";
    for (size_t i = 0; i < to.size(); ++i)
      outShape += (i ? ", " : "") + std::to_string(to[i]);
    outShape += "]";
    std::string v = fresh();
    line(v + " = tensor.expand_shape " + cur + " " +
         reassociation(groups->second) + " output_shape " + outShape + " : " +
         tensorType(dtype, mid) + " into " + tensorType(dtype, to));
    return v;
  }
  std::string cur = value;
  std::vector<int64_t> curShape = from;
  int64_t count = 1;
  for (int64_t d : from)
    count *= d;
  // Collapse to 1-D (or 0-D when the target is rank 0), then expand.
  if (from.size() > 1 || (to.empty() && from.size() == 1)) {
    std::string reassoc;
    if (!to.empty()) {
      reassoc = "[[";
      for (size_t i = 0; i < from.size(); ++i)
        reassoc += (i ? ", " : "") + std::to_string(i);
      reassoc += "]]";
      curShape = {count};
    } else {
      reassoc = "[]";
      curShape = {};
    }
    std::string v = fresh();
    line(v + " = tensor.collapse_shape " + cur + " " + reassoc + " : " +
         tensorType(dtype, from) + " into " + tensorType(dtype, curShape));
    cur = v;
  }
  if (curShape == to)
    return cur;
  std::string reassoc;
  if (curShape.empty()) {
    reassoc = "[]";
  } else {
    reassoc = "[[";
    for (size_t i = 0; i < to.size(); ++i)
      reassoc += (i ? ", " : "") + std::to_string(i);
    reassoc += "]]";
  }
  std::string outShape = "[";
  for (size_t i = 0; i < to.size(); ++i)
    outShape += (i ? ", " : "") + std::to_string(to[i]);
  outShape += "]";
  std::string v = fresh();
  line(v + " = tensor.expand_shape " + cur + " " + reassoc + " output_shape " +
       outShape + " : " + tensorType(dtype, curShape) + " into " +
       tensorType(dtype, to));
  return v;
}

Error unsupported(const Node &node, DType dtype) {
  return makeError("codegen: op '" + std::string(opName(node.kind())) +
                   "' on " + std::string(dtypeName(dtype)) +
                   " is not supported");
}

std::vector<int64_t> extents(const TensorType &type) {
  std::vector<int64_t> out;
  for (const Dim &d : type.shape)
    out.push_back(extentOf(d));
  return out;
}

std::vector<int64_t> extents(const Value *value) {
  return extents(value->type());
}

} // namespace mlc::codegen
