// Data movement ops: reshape, transpose, concat, slice, gather,
// gather_elements, expand, pad.
#include "codegen/EmitContext.h"

namespace mlc::codegen {
namespace {

using Shape64 = std::vector<int64_t>;

Expected<std::vector<std::string>> passThrough(KernelBuilder &,
                                               const std::vector<std::string> &a) {
  return std::vector<std::string>{a[0]};
}

std::string idx(KernelBuilder &b, const std::string &expr) {
  std::string v = b.fresh();
  b.line(v + " = " + expr);
  return v;
}

/// A generic over `out` whose body computes one source index per dim of `x`
/// with `indexFn` (given the output position) and reads x there.
Expected<std::string>
gatherLike(KernelBuilder &b, const std::string &x, DType dtype,
           const Shape64 &xs, const Shape64 &out,
           const std::vector<GenericOperand> &ins,
           const std::function<std::vector<std::string>(
               KernelBuilder &, const std::vector<std::string> &pos,
               const std::vector<std::string> &args)> &indexFn,
           const std::function<std::string(KernelBuilder &, const std::string &,
                                            const std::vector<std::string> &)>
               &post = nullptr) {
  return b.map(ins, dtype, out,
               [&](KernelBuilder &b, const std::vector<std::string> &a)
                   -> Expected<std::vector<std::string>> {
                 std::vector<std::string> pos;
                 for (size_t i = 0; i < out.size(); ++i)
                   pos.push_back(idx(b, "linalg.index " + std::to_string(i) +
                                            " : index"));
                 std::vector<std::string> src = indexFn(b, pos, a);
                 std::string list;
                 for (size_t i = 0; i < src.size(); ++i)
                   list += (i ? ", " : "") + src[i];
                 std::string v = idx(b, "tensor.extract " + x + "[" + list +
                                            "] : " + tensorType(dtype, xs));
                 if (post)
                   v = post(b, v, pos);
                 return std::vector<std::string>{v};
               });
}

/// An integer index value of dtype `it` as an index into a dim of
/// `extent`: negative values count from the end, then the result is
/// clamped into [0, extent) (docs/ir.md, gather).
std::string indexInto(KernelBuilder &b, const std::string &value, DType it,
                      int64_t extent) {
  std::string i =
      idx(b, "arith.index_cast " + value + " : " + storageType(it) + " to index");
  std::string zero = b.indexConst(0);
  std::string neg = idx(b, "arith.cmpi slt, " + i + ", " + zero + " : index");
  std::string wrapped =
      idx(b, "arith.addi " + i + ", " + b.dimValue(extent) + " : index");
  i = idx(b, "arith.select " + neg + ", " + wrapped + ", " + i + " : index");
  i = idx(b, "arith.maxsi " + i + ", " + zero + " : index");
  std::string last;
  if (isDynamicExtent(extent)) {
    // A symbolic extent: max(extent - 1, 0) at run time.
    std::string less = idx(b, "arith.subi " + b.dimValue(extent) + ", " +
                                  b.indexConst(1) + " : index");
    last = idx(b, "arith.maxsi " + less + ", " + zero + " : index");
  } else {
    last = b.indexConst(std::max<int64_t>(extent - 1, 0));
  }
  return idx(b, "arith.minsi " + i + ", " + last + " : index");
}

} // namespace

Expected<std::string> emitDataMovement(KernelBuilder &b, const Node &node,
                                       const std::vector<std::string> &operands) {
  DType dtype = node.result()->type().dtype;
  Shape64 xs = node.numOperands() ? extents(node.operand(0)) : Shape64{};
  Shape64 out = extents(node.result());
  int r = static_cast<int>(out.size());
  switch (node.kind()) {
  case OpKind::Reshape:
    return b.reshape(operands[0], dtype, xs, out);
  case OpKind::Transpose: {
    // Iterate in input order (contiguous reads); write permuted.
    const Shape64 &perm = node.intsAttr("perm");
    int a = r > 0 ? static_cast<int>(perm[r - 1]) : 0;
    int64_t block = 0;
    if (r > 1 && a != r - 1 && !b.portable && !hasDynamicExtent(xs))
      for (int64_t cand : {16, 8, 4})
        if (xs[a] % cand == 0 && xs[a] > cand) {
          block = cand;
          break;
        }
    if (block != 0) {
      // The output's innermost dim is x's dim a: in input order, every
      // write would hit a different cache line, and rows of a
      // power-of-two stride thrash L1 (NCHW -> NHWC of 256x56x56: 4.5 ns
      // per element). Split a into (ab, ai) with ai innermost: each step
      // writes `block` contiguous elements and reads `block` lines that
      // the next steps reuse. Loops (x.. with ab for a, ai).
      Shape64 xb = xs, ob = out;
      xb[a] /= block;
      xb.insert(xb.begin() + a + 1, block);
      ob.back() /= block;
      ob.push_back(block);
      std::string xv = b.reshape(operands[0], dtype, xs, xb);
      std::vector<std::string> xe, oe;
      for (int i = 0; i < r; ++i) {
        xe.push_back(dim(i));
        if (i == a)
          xe.push_back(dim(r));
      }
      for (int i = 0; i + 1 < r; ++i)
        oe.push_back(dim(static_cast<int>(perm[i])));
      oe.push_back(dim(a));
      oe.push_back(dim(r));
      std::string init = b.empty(dtype, ob);
      auto t = b.generic({{xv, dtype, xb, affineMap(r + 1, xe)}},
                         {{init, dtype, ob, affineMap(r + 1, oe)}},
                         std::vector<std::string>(r + 1, "parallel"),
                         passThrough);
      if (!t.ok())
        return t.error();
      return b.reshape((*t)[0], dtype, ob, out);
    }
    std::vector<std::string> oe;
    for (int i = 0; i < r; ++i)
      oe.push_back(dim(static_cast<int>(perm[i])));
    std::string init = b.empty(dtype, out);
    auto t = b.generic({{operands[0], dtype, xs, identityMap(r)}},
                       {{init, dtype, out, affineMap(r, oe)}},
                       std::vector<std::string>(r, "parallel"), passThrough);
    if (!t.ok())
      return t.error();
    return (*t)[0];
  }
  case OpKind::Expand:
    return b.map({{operands[0], dtype, xs, broadcastMap(xs, out)}}, dtype, out,
                 passThrough);
  case OpKind::Iota: {
    std::string axis = std::to_string(node.intAttr("axis"));
    return b.map({}, DType::I64, out,
                 [&](KernelBuilder &b, const std::vector<std::string> &)
                     -> Expected<std::vector<std::string>> {
                   std::string i = idx(b, "linalg.index " + axis + " : index");
                   return std::vector<std::string>{
                       idx(b, "arith.index_cast " + i + " : index to i64")};
                 });
  }
  case OpKind::SymbolValues: {
    std::string list;
    for (const Dim &d : node.dimsAttr("values")) {
      int64_t e = extentOf(d);
      std::string v = isDynamicExtent(e)
                          ? idx(b, "arith.index_cast " + dimText(e) +
                                       " : index to i64")
                          : idx(b, "arith.constant " + std::to_string(e) +
                                       " : i64");
      list += (list.empty() ? "" : ", ") + v;
    }
    return idx(b, "tensor.from_elements " + list + " : " +
                      tensorType(DType::I64, out));
  }
  case OpKind::Slice: {
    // A strided tensor.extract_slice of the elements read (ascending), then a
    // generic that reverses the dims with negative steps. (A single generic
    // reading x at `d * step + start` is invalid: where that folds to a plain
    // `d` linalg infers the loop extent from x, not from the result.)
    const Shape64 &starts = node.intsAttr("starts");
    const Shape64 &steps = node.intsAttr("steps");
    bool empty = false, reversed = false;
    for (int i = 0; i < r; ++i) {
      empty |= out[i] == 0;
      reversed |= steps[i] < 0;
    }
    if (empty)
      return b.empty(dtype, out);
    std::string offs, sizes, strides;
    std::vector<std::string> e;
    for (int i = 0; i < r; ++i) {
      int64_t step = steps[i];
      int64_t low = step > 0 ? starts[i] : starts[i] + (out[i] - 1) * step;
      offs += (i ? ", " : "") + std::to_string(low);
      sizes += (i ? ", " : "") + dimText(out[i]);
      strides += (i ? ", " : "") + std::to_string(step > 0 ? step : -step);
      e.push_back(step > 0 ? dim(i)
                           : std::to_string(out[i] - 1) + " - " + dim(i));
    }
    std::string v = b.fresh();
    b.line(v + " = tensor.extract_slice " + operands[0] + "[" + offs + "] [" +
           sizes + "] [" + strides + "] : " + tensorType(dtype, xs) + " to " +
           tensorType(dtype, out));
    if (!reversed)
      return v;
    return b.map({{v, dtype, out, affineMap(r, e)}}, dtype, out, passThrough);
  }
  case OpKind::Concat: {
    int64_t axis = node.intAttr("axis");
    std::string acc = b.empty(dtype, out);
    // Sizes may be dynamic off the axis; along it the IR keeps extents
    // static, so the offsets are constants.
    int64_t offset = 0;
    for (size_t i = 0; i < node.numOperands(); ++i) {
      Shape64 s = extents(node.operand(i));
      if (s[axis] == 0)
        continue;
      std::string offs, sizes, strides;
      for (int d = 0; d < r; ++d) {
        offs += (d ? ", " : "") + std::to_string(d == axis ? offset : 0);
        sizes += (d ? ", " : "") + dimText(s[d]);
        strides += d ? ", 1" : "1";
      }
      std::string v = b.fresh();
      b.line(v + " = tensor.insert_slice " + operands[i] + " into " + acc + "[" +
             offs + "] [" + sizes + "] [" + strides + "] : " +
             tensorType(dtype, s) + " into " + tensorType(dtype, out));
      acc = v;
      offset += s[axis];
    }
    return acc;
  }
  case OpKind::Gather: {
    int64_t axis = node.intAttr("axis");
    DType it = node.operand(1)->type().dtype;
    Shape64 is = extents(node.operand(1));
    int ir = static_cast<int>(is.size());
    std::vector<std::string> ie;
    for (int i = 0; i < ir; ++i)
      ie.push_back(dim(static_cast<int>(axis) + i));
    GenericOperand indices{operands[1], it, is, affineMap(r, ie)};
    int64_t extent = xs[axis];
    if (extent == kDynamicExtent)
      return makeError("codegen: gather along a dynamic dim without a "
                       "symbol is not supported");
    return gatherLike(
        b, operands[0], dtype, xs, out, {indices},
        [&](KernelBuilder &b, const std::vector<std::string> &pos,
            const std::vector<std::string> &a) {
          std::string i = indexInto(b, a[0], it, extent);
          std::vector<std::string> src;
          for (int64_t d = 0; d < axis; ++d)
            src.push_back(pos[d]);
          src.push_back(i);
          for (size_t d = axis + 1; d < xs.size(); ++d)
            src.push_back(pos[d - 1 + ir]);
          return src;
        });
  }
  case OpKind::GatherElements: {
    // out[p] = x[p with p[axis] = indices[p]]; indices has the result's shape.
    int64_t axis = node.intAttr("axis");
    DType it = node.operand(1)->type().dtype;
    GenericOperand indices{operands[1], it, out, identityMap(r)};
    int64_t extent = xs[axis];
    if (extent == kDynamicExtent)
      return makeError("codegen: gather_elements along a dynamic dim without "
                       "a symbol is not supported");
    return gatherLike(
        b, operands[0], dtype, xs, out, {indices},
        [&](KernelBuilder &b, const std::vector<std::string> &pos,
            const std::vector<std::string> &a) {
          std::string i = indexInto(b, a[0], it, extent);
          std::vector<std::string> src = pos;
          src[axis] = i;
          return src;
        });
  }
  case OpKind::Pad: {
    const Shape64 &pads = node.intsAttr("pads");
    std::string mode = node.hasAttr("mode") ? node.stringAttr("mode") : "constant";
    double value = node.hasAttr("value") ? node.floatAttr("value") : 0.0;
    int64_t rank = static_cast<int64_t>(xs.size());
    if (mode == "constant") {
      std::string low = "[", high = "[", bb = "^bb0(";
      for (int64_t i = 0; i < rank; ++i) {
        low += (i ? ", " : "") + std::to_string(pads[i]);
        high += (i ? ", " : "") + std::to_string(pads[rank + i]);
        bb += (i ? ", " : "") + b.fresh() + ": index";
      }
      std::string pv = b.toStorage(
          dtype == DType::Bool ? b.intConst(value != 0.0, dtype)
                               : b.scalarConst(value, dtype),
          dtype);
      std::string v = b.fresh();
      b.line(v + " = tensor.pad " + operands[0] + " low" + low + "] high" +
             high + "] {");
      b.line(bb + "):");
      b.line("  tensor.yield " + pv + " : " + storageType(dtype));
      b.line("} : " + tensorType(dtype, xs) + " to " + tensorType(dtype, out));
      return v;
    }
    if (mode != "reflect" && mode != "edge")
      return makeError("codegen: pad mode '" + mode + "' is not supported");
    bool reflect = mode == "reflect";
    return gatherLike(
        b, operands[0], dtype, xs, out, {},
        [&](KernelBuilder &b, const std::vector<std::string> &pos,
            const std::vector<std::string> &) {
          std::vector<std::string> src;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t n = xs[d];
            std::string i = idx(b, "arith.subi " + pos[d] + ", " +
                                       b.indexConst(pads[d]) + " : index");
            if (reflect && n > 1) {
              // Reflect about 0 and n-1: i<0 -> -i; i>n-1 -> 2(n-1)-i.
              std::string zero = b.indexConst(0);
              std::string neg = idx(b, "arith.subi " + zero + ", " + i + " : index");
              i = idx(b, "arith.maxsi " + i + ", " + neg + " : index");
              std::string hi = idx(b, "arith.subi " + b.indexConst(2 * (n - 1)) +
                                          ", " + i + " : index");
              i = idx(b, "arith.minsi " + i + ", " + hi + " : index");
            }
            i = idx(b, "arith.maxsi " + i + ", " + b.indexConst(0) + " : index");
            i = idx(b, "arith.minsi " + i + ", " +
                           b.indexConst(std::max<int64_t>(n - 1, 0)) + " : index");
            src.push_back(i);
          }
          return src;
        });
  }
  default:
    break;
  }
  return makeError("codegen: op '" + std::string(opName(node.kind())) +
                   "' is not supported");
}

} // namespace mlc::codegen
