// Contractions, windows, reductions and normalizations as linalg on tensors.
#include "codegen/EmitContext.h"
#include "codegen/Schedule.h"

#include <numeric>

namespace mlc::codegen {
namespace {

using Shape64 = std::vector<int64_t>;

int64_t product(const Shape64 &s, size_t begin = 0, size_t end = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = begin; i < s.size() && i < end; ++i)
    p *= s[i];
  return p;
}

/// Emits a named contraction (matmul / batch_matmul) with a zero init.
std::string contraction(KernelBuilder &b, const std::string &opName,
                        DType dtype, const std::string &lhs, const Shape64 &ls,
                        const std::string &rhs, const Shape64 &rs,
                        const Shape64 &out,
                        std::vector<ContractionSite> &sites) {
  std::string init = b.filled(b.scalarConst(0.0, dtype), dtype, out);
  std::string attrs;
  if (dtype == DType::F32) {
    int64_t id = b.nextScheduleId++;
    attrs = " {mlc.sched = " + std::to_string(id) + " : i64}";
    bool batched = out.size() == 3;
    sites.push_back({id, opName, batched ? out[0] : 1, out[out.size() - 2],
                     out.back(), ls.back()});
  }
  std::string v = b.fresh();
  b.line(v + " = linalg." + opName + attrs + " ins(" + lhs + ", " + rhs +
         " : " + tensorType(dtype, ls) + ", " + tensorType(dtype, rs) +
         ") outs(" + init + " : " + tensorType(dtype, out) + ") -> " +
         tensorType(dtype, out));
  return v;
}

/// A copy of `value` broadcast to `to` (identity when shapes match).
Expected<std::string> broadcastTo(KernelBuilder &b, const std::string &value,
                                  DType dtype, const Shape64 &from,
                                  const Shape64 &to) {
  if (from == to)
    return value;
  return b.map({{value, dtype, from, broadcastMap(from, to)}}, dtype, to,
               [](KernelBuilder &, const std::vector<std::string> &args)
                   -> Expected<std::vector<std::string>> {
                 return std::vector<std::string>{args[0]};
               });
}

/// The leading `to` block of `x` (shape `from`, same rank): a zero-offset,
/// unit-stride tensor.extract_slice, to drop padding rows or columns.
std::string leadingSlice(KernelBuilder &b, const std::string &x, DType dtype,
                         const Shape64 &from, const Shape64 &to) {
  std::string offsets, sizes, strides;
  for (size_t i = 0; i < to.size(); ++i) {
    offsets += (i ? ", " : "") + std::string("0");
    sizes += (i ? ", " : "") + std::to_string(to[i]);
    strides += (i ? ", " : "") + std::string("1");
  }
  std::string v = b.fresh();
  b.line(v + " = tensor.extract_slice " + x + "[" + offsets + "] [" + sizes +
         "] [" + strides + "] : " + tensorType(dtype, from) + " to " +
         tensorType(dtype, to));
  return v;
}

/// Pads the trailing (spatial) dims of `x` with the scalar `pad`.
std::string padSpatial(KernelBuilder &b, const std::string &x, DType dtype,
                       const Shape64 &shape, const Shape64 &lo,
                       const Shape64 &hi, const std::string &padValue,
                       Shape64 &padded) {
  size_t k = lo.size(), r = shape.size();
  padded = shape;
  bool any = false;
  for (size_t i = 0; i < k; ++i) {
    padded[r - k + i] += lo[i] + hi[i];
    any |= lo[i] != 0 || hi[i] != 0;
  }
  if (!any)
    return x;
  std::string low = "[", high = "[", bb = "^bb0(";
  for (size_t i = 0; i < r; ++i) {
    int64_t l = i < r - k ? 0 : lo[i - (r - k)];
    int64_t h = i < r - k ? 0 : hi[i - (r - k)];
    low += (i ? ", " : "") + std::to_string(l);
    high += (i ? ", " : "") + std::to_string(h);
    bb += (i ? ", " : "") + b.fresh() + ": index";
  }
  std::string storagePad = b.toStorage(padValue, dtype);
  std::string v = b.fresh();
  b.line(v + " = tensor.pad " + x + " low" + low + "] high" + high + "] {");
  b.line(bb + "):");
  b.line("  tensor.yield " + storagePad + " : " + storageType(dtype));
  b.line("} : " + tensorType(dtype, shape) + " to " +
         tensorType(dtype, padded));
  return v;
}

/// Packs a 2-D B into panels of `panel` columns, Bp[N/w, K, w], at run
/// time (constant weights are packed at compile time instead, see
/// weightPanel). B is [K, N], or [N, K] with `nFirst` (conv weights).
Expected<std::string> packPanels(KernelBuilder &b, const std::string &x,
                                 DType dtype, int64_t k, int64_t n,
                                 int64_t panel, bool nFirst) {
  std::string column = dim(0) + " * " + std::to_string(panel) + " + " + dim(2);
  Shape64 shape = nFirst ? Shape64{n, k} : Shape64{k, n};
  std::vector<std::string> map = nFirst
                                     ? std::vector<std::string>{column, dim(1)}
                                     : std::vector<std::string>{dim(1), column};
  auto t = b.map({{x, dtype, shape, affineMap(3, map)}}, dtype,
                 {n / panel, k, panel},
                 [](KernelBuilder &, const std::vector<std::string> &a)
                     -> Expected<std::vector<std::string>> {
                   return std::vector<std::string>{a[0]};
                 });
  if (!t.ok())
    return t.error();
  return *t;
}

/// Rows of A per register tile of a panel form, for `rows` rows of A.
/// Schedule.cpp (chooseSchedule) relies on the same numbers.
///  - matmul_p, A[m, k]: 6x16 keeps 12 ymm accumulators, 2 for B and 1 for
///    the A broadcast (1032x1024x1024 GEMM: 89.5 GFLOP/s against 83.7 for
///    4x16 and 43.8 for 8x16, which spills); 4 when that pads less.
///  - matmul_t, A[k, m]: 4 (one 128-bit load of A per k; 6 makes it a
///    vector<6xf32> that LLVM splits, and ResNet-50 got 30% slower).
///  - matmul_p with panels of 8 (N not a multiple of 16): 8 rows, so that 8
///    accumulators cover the FMA latency. Not for matmul_t: there each row
///    is a lane of one A load, and 8 lane broadcasts per 8 FMAs saturate
///    the shuffle port (SqueezeNet's 1000-filter conv: 46 GFLOP/s at 8x8,
///    ~52 at 4x8; padding F to 16 is the fix left to do).
///  - fewer than 4 rows: all of them.
///  - matmul_p with 16-wide panels on AVX-512 (`wide`): widePanelRows, 7,
///    8, 6 or 4, whichever pads least (two panels per tile, Schedule.cpp).
///    7 leaves 56x56, 28x28, 14x14 and 7x7 maps unpadded (ResNet-50's 49
///    rows were padded to 54, 3136 split into 3132 + 4: ResNet-50 at 2
///    threads 23.8 -> 22.1 ms in one interleaved run); 8 BERT's 128 rows.
int64_t panelRows(bool aIsKM, int64_t rows, int64_t panel, bool wide) {
  if (rows < 4)
    return rows;
  if (panel == 8 && rows >= 8 && !aIsKM)
    return 8;
  if (aIsKM || panel == 8)
    return 4;
  if (wide)
    return widePanelRows(rows);
  int64_t by6 = (rows + 5) / 6 * 6, by4 = (rows + 3) / 4 * 4;
  // 4x16 runs at ~0.93 of 6x16.
  return by6 * 93 <= by4 * 100 ? 6 : 4;
}

/// One scheduled generic C[rows, n/w, w] = sum_k A * Bp[n/w, k, w]. C is
/// zero-filled `into` (a slice of the final result, so that bufferization
/// writes in place), or a new tensor when `into` is empty.
Expected<std::string>
panelGeneric(KernelBuilder &b, DType dtype, const std::string &a,
             const Shape64 &aShape, bool aIsKM, const std::string &bp,
             const Shape64 &bpShape, const Shape64 &cShape,
             const std::string &label, std::vector<ContractionSite> &sites,
             const std::string &into = "") {
  int64_t id = b.nextScheduleId++;
  sites.push_back({id, label, 1, cShape[0], cShape[1] * cShape[2], bpShape[1]});
  std::string init;
  if (into.empty()) {
    init = b.filled(b.floatConst(0.0, dtype), dtype, cShape);
  } else {
    init = b.fresh();
    b.line(init + " = linalg.fill ins(" +
           b.toStorage(b.floatConst(0.0, dtype), dtype) + " : " +
           storageType(dtype) + ") outs(" + into + " : " +
           tensorType(dtype, cShape) + ") -> " + tensorType(dtype, cShape));
  }
  auto mm = b.generic(
      {{a, dtype, aShape,
        affineMap(4, aIsKM ? std::vector<std::string>{dim(3), dim(0)}
                           : std::vector<std::string>{dim(0), dim(3)})},
       {bp, dtype, bpShape, affineMap(4, {dim(1), dim(3), dim(2)})}},
      {{init, dtype, cShape, affineMap(4, {dim(0), dim(1), dim(2)})}},
      {"parallel", "parallel", "parallel", "reduction"},
      [&](KernelBuilder &b, const std::vector<std::string> &args)
          -> Expected<std::vector<std::string>> {
        std::string t = storageType(dtype);
        std::string p = b.fresh(), sum = b.fresh();
        b.line(p + " = arith.mulf " + args[0] + ", " + args[1] + " : " + t);
        b.line(sum + " = arith.addf " + args[2] + ", " + p + " : " + t);
        return std::vector<std::string>{sum};
      },
      "mlc.sched = " + std::to_string(id) + " : i64");
  if (!mm.ok())
    return mm.error();
  return (*mm)[0];
}

/// A's rows from which a remainder is split off rather than padded.
/// Padding copies A and C (2 x rows x 4 bytes per column); the split-off
/// remainder streams Bp once more. 1024x1024x1024: split 23.5 ms, padded
/// 29.1 ms; 128-row BERT GEMMs: padding is as fast and simpler.
constexpr int64_t kSplitRows = 512;

/// Whether panelContraction splits A's remainder rows off into a second
/// generic instead of padding them.
bool splitsRemainder(bool aIsKM, int64_t rows, int64_t panel, bool wide) {
  int64_t reg = panelRows(aIsKM, rows, panel, wide);
  return !aIsKM && rows >= kSplitRows && reg > 0 && rows % reg != 0;
}

/// The rows panelContraction pads A to: `rows` when it needs no padding or
/// splits the remainder off (splitsRemainder).
int64_t paddedPanelRows(bool aIsKM, int64_t rows, int64_t panel, bool wide) {
  int64_t reg = panelRows(aIsKM, rows, panel, wide);
  if (reg == 0 || splitsRemainder(aIsKM, rows, panel, wide))
    return rows;
  int64_t padded = (rows + reg - 1) / reg * reg;
  // Cache tiles of M divide it (chooseSchedule); 3025 rows (55x55) padded
  // to 3028 = 4 * 757 would allow only 4-row tiles. Pad further, to a
  // multiple of 32, when that leaves no tile of at least 32 rows.
  if (padded >= 64 && divisorUpTo(padded, kPanelTileM, reg) < 32)
    padded = (rows + 31) / 32 * 32;
  return padded;
}

/// C[rows, n/w, w] = sum_k A * Bp[n/w, k, w] (see weightPanel), where A is
/// [rows, k] or, with `aIsKM`, [k, rows] (a conv's im2col). So that every
/// register tile is full, A's rows are zero-padded to a multiple of
/// panelRows (the extra rows of C are computed and dropped), or, from
/// kSplitRows rows of A[m, k] on, the remainder is a second generic.
/// (Splitting small convs' remainders streams all the weights once more
/// for a row or two: ResNet-50 +6%.)
Expected<std::string> panelContraction(KernelBuilder &b, DType dtype,
                                       const std::string &a, bool aIsKM,
                                       int64_t rows, int64_t k,
                                       const std::string &bp, int64_t fo,
                                       int64_t panel, const std::string &label,
                                       std::vector<ContractionSite> &sites) {
  int64_t reg = panelRows(aIsKM, rows, panel, b.wideVectors);
  Shape64 bpShape = {fo, k, panel};
  if (splitsRemainder(aIsKM, rows, panel, b.wideVectors)) {
    int64_t main = rows / reg * reg, tail = rows - main;
    std::string c = b.empty(dtype, {rows, fo, panel});
    for (int64_t first : {int64_t(0), main}) {
      int64_t count = first == 0 ? main : tail;
      std::string part = b.fresh();
      b.line(part + " = tensor.extract_slice " + a + "[" +
             std::to_string(first) + ", 0] [" + std::to_string(count) + ", " +
             std::to_string(k) + "] [1, 1] : " + tensorType(dtype, {rows, k}) +
             " to " + tensorType(dtype, {count, k}));
      // Each part computes into its slice of C (in place: a separate
      // tensor would be copied into C, ResNet-50's 56x56 convs 8%).
      std::string dest = b.fresh();
      b.line(dest + " = tensor.extract_slice " + c + "[" +
             std::to_string(first) + ", 0, 0] [" + std::to_string(count) +
             ", " + std::to_string(fo) + ", " + std::to_string(panel) +
             "] [1, 1, 1] : " + tensorType(dtype, {rows, fo, panel}) + " to " +
             tensorType(dtype, {count, fo, panel}));
      auto mm = panelGeneric(b, dtype, part, {count, k}, false, bp, bpShape,
                             {count, fo, panel}, label, sites, dest);
      if (!mm.ok())
        return mm.error();
      std::string next = b.fresh();
      b.line(next + " = tensor.insert_slice " + *mm + " into " + c + "[" +
             std::to_string(first) + ", 0, 0] [" + std::to_string(count) +
             ", " + std::to_string(fo) + ", " + std::to_string(panel) +
             "] [1, 1, 1] : " + tensorType(dtype, {count, fo, panel}) +
             " into " + tensorType(dtype, {rows, fo, panel}));
      c = next;
    }
    return c;
  }
  int64_t padded = paddedPanelRows(aIsKM, rows, panel, b.wideVectors);
  Shape64 aShape = aIsKM ? Shape64{k, rows} : Shape64{rows, k};
  Shape64 apShape;
  std::string zero = b.floatConst(0.0, dtype);
  std::string ap = aIsKM ? padSpatial(b, a, dtype, aShape, {0}, {padded - rows},
                                      zero, apShape)
                         : padSpatial(b, a, dtype, aShape, {0, 0},
                                      {padded - rows, 0}, zero, apShape);
  Shape64 cShape = {padded, fo, panel};
  auto mm = panelGeneric(b, dtype, ap, apShape, aIsKM, bp, bpShape, cShape,
                         label, sites);
  if (!mm.ok())
    return mm.error();
  if (padded == rows)
    return *mm;
  return leadingSlice(b, *mm, dtype, cShape, {rows, fo, panel});
}

/// `d<o> * s + d<k> * dl` as an affine expression.
std::string windowExpr(int o, int64_t stride, int k, int64_t dilation) {
  return dim(o) + " * " + std::to_string(stride) + " + " + dim(k) + " * " +
         std::to_string(dilation);
}

Shape64 intsOr(const Node &node, const std::string &name, size_t n,
               int64_t fallback) {
  if (node.hasAttr(name))
    return node.intsAttr(name);
  return Shape64(n, fallback);
}

} // namespace

bool isChannelsLast(const Node &node) {
  return node.hasAttr("channels_last") && node.intAttr("channels_last") == 1;
}

bool convUsesTransposedForm(const Node &conv) {
  if (conv.kind() != OpKind::Conv ||
      conv.result()->type().dtype != DType::F32 || isChannelsLast(conv))
    return false;
  if (conv.hasAttr("group") && conv.intAttr("group") != 1)
    return false;
  Shape64 ws = extents(conv.operand(1)), out = extents(conv.result());
  int64_t f = ws[0], np = product(out, 2) * out[0];
  // The plain form needs P in whole 16-wide vectors; with P a multiple of
  // 16 but not 32 (28x28 maps) it wins when K = C*kh*kw is small, as the
  // transposed form's extra transposing pass then weighs more than the GEMM
  // (1x1 128->512 at 28x28: 1.48 vs 2.30 ms; 32->192: 0.15 vs 0.26 ms;
  // 512->128: 1.52 vs 1.37 ms the other way).
  int64_t ck = product(ws, 1);
  bool plain = np % 32 == 0 || (np % 16 == 0 && ck <= 256) ||
               convPlainColumns(conv) != np;
  return f % 8 == 0 && !plain;
}

int64_t convPlainColumns(const Node &conv) {
  Shape64 ws = extents(conv.operand(1)), xs = extents(conv.operand(0));
  Shape64 out = extents(conv.result());
  int64_t np = product(out, 2) * out[0], ck = product(ws, 1);
  if (conv.kind() != OpKind::Conv ||
      conv.result()->type().dtype != DType::F32 || isChannelsLast(conv) ||
      (conv.hasAttr("group") && conv.intAttr("group") != 1))
    return np;
  // A conv that builds an im2col anyway (not 1x1 / stride 1 / unpadded) with
  // a large, awkward P (SqueezeNet: 111x111, 55x55) and a small C*K gets
  // zero columns up to a multiple of 32 for the plain form: a few percent
  // more GEMM, but no transposing pass over the output.
  bool pointwise =
      product(ws, 2) == 1 && product(xs, 2) == product(out, 2) && xs[0] == 1;
  if (pointwise || np < 1024 || np % 32 == 0 || ck > 256)
    return np;
  return (np + 31) / 32 * 32;
}

int64_t weightPanel(const Node &node) {
  // A node computed item by item has the panels of its one-item form.
  if (std::optional<size_t> symbol = perItemSymbol(node)) {
    SymbolOverride item(*symbol, 1);
    return weightPanel(node);
  }
  // With symbolic dims only a matmul with a static 2-D B and a static K
  // has panels (matmulBlocks); other nodes take the plain forms.
  bool dynamic = false;
  for (const auto *list : {&node.operands(), &node.results()})
    for (const Value *v : *list)
      dynamic |= hasDynamicExtent(extents(v));
  if (dynamic &&
      (node.kind() != OpKind::MatMul || node.operand(1)->type().rank() != 2 ||
       hasDynamicExtent(extents(node.operand(1))) ||
       isDynamicExtent(extents(node.operand(0)).back())))
    return 0;
  if (node.kind() == OpKind::MatMul) {
    if (node.result()->type().dtype != DType::F32 ||
        node.operand(1)->type().rank() != 2)
      return 0;
    int64_t n = extents(node.operand(1))[1];
    return n % 16 == 0 ? 16 : n % 8 == 0 ? 8 : 0;
  }
  if (node.kind() == OpKind::Conv && isChannelsLast(node)) {
    // Channels-last convs of group 1 always contract with packed weights
    // (emitConvChannelsLast); F is padded to whole panels.
    if (node.result()->type().dtype != DType::F32 ||
        (node.hasAttr("group") && node.intAttr("group") != 1))
      return 0;
    int64_t f = extents(node.operand(1))[0];
    return f % 16 == 0 || f >= 64 ? 16 : 8;
  }
  if (!convUsesTransposedForm(node))
    return 0;
  // 16-wide panels give 6x16 / 4x16 register tiles; 8-wide ones only 8x8,
  // which saturates the shuffle port (SqueezeNet's 1000-filter classifier
  // ran at 46 GFLOP/s). From 64 filters, padding F to a multiple of 16
  // wastes at most 1/8 of the work, so the weights get zero rows instead.
  int64_t f = extents(node.operand(1))[0];
  return f % 16 == 0 || f >= 64 ? 16 : 8;
}

int64_t paddedToPanel(int64_t n, int64_t panel) {
  return (n + panel - 1) / panel * panel;
}

/// C[rows, N] = A[rows, K] x B[K, N] for a static `rows` (`a2` holds A, `bv`
/// B): the panel form when B has panels (weightPanel), else linalg.matmul.
Expected<std::string> matmulRows(KernelBuilder &b, const Node &node,
                                 const std::string &bv, const std::string &a2,
                                 int64_t rows,
                                 std::vector<ContractionSite> &sites) {
  DType dtype = node.result()->type().dtype;
  Shape64 bs = extents(node.operand(1));
  int64_t k = bs[0], n = bs[1];
  int64_t panel = b.portable ? 0 : weightPanel(node);
  bool packed = b.packedWeights.count(node.operand(1)) > 0;
  if (panel != 0 && (packed || rows >= kMinPackedRows)) {
    // C[m, n/w, w] += A[m, k] * Bp[n/w, k, w]: a register tile's B is one
    // contiguous stream (docs/codegen.md, Kernels).
    int64_t fo = n / panel;
    std::string bp = bv;
    if (!packed) {
      auto t = packPanels(b, bv, dtype, k, n, panel, /*nFirst=*/false);
      if (!t.ok())
        return t.error();
      bp = *t;
    }
    auto mm = panelContraction(b, dtype, a2, /*aIsKM=*/false, rows, k, bp, fo,
                               panel, "matmul_p", sites);
    if (!mm.ok())
      return mm.error();
    return b.reshape(*mm, dtype, {rows, fo, panel}, {rows, n});
  }
  return contraction(b, "matmul", dtype, a2, {rows, k}, bv, bs, {rows, n},
                     sites);
}

/// Rows per block of a matmul whose rows are symbolic (matmulBlocks): whole
/// register tiles of 4 or 8 rows, and small enough that a sequence of 128
/// makes 8 blocks for the threads. On the BERT encoder (AVX2, 2 cores, one
/// interleaved run) 16 + 8-row tails ran 104 / 55 ms at 128 tokens (1 / 2
/// threads) and 67.5 ms at 77; 24 with a padded last block 105 / 56 and 71.
constexpr int64_t kRowBlock = 16;
/// Rows per block of the rows left after the whole kRowBlock blocks: the
/// last of them is zero-padded, so at most kTailBlock - 1 rows are wasted.
constexpr int64_t kTailBlock = 8;

/// [..., M, K] x [K, N] with symbolic M (the rows) and a static B: whole
/// blocks of kRowBlock rows, then blocks of kTailBlock rows for the rest
/// (the last one zero-padded), each block the static matmulRows, each run
/// of blocks an scf.forall (threads take blocks). The static contractions
/// inside get schedules like any other.
Expected<std::string> matmulBlocks(KernelBuilder &b, const Node &node,
                                   const std::vector<std::string> &operands,
                                   std::vector<ContractionSite> &sites) {
  DType dtype = node.result()->type().dtype;
  Shape64 as = extents(node.operand(0)), bs = extents(node.operand(1));
  Shape64 out = extents(node.result());
  int64_t k = bs[0], n = bs[1];
  std::string t = storageType(dtype);
  auto op = [&](const std::string &text) {
    std::string v = b.fresh();
    b.line(v + " = " + text);
    return v;
  };
  // rows = product of A's leading dims, as an index value.
  std::string rows;
  for (size_t i = 0; i + 1 < as.size(); ++i) {
    if (as[i] == 1)
      continue;
    std::string d = b.dimValue(as[i]);
    rows = rows.empty() ? d : op("arith.muli " + rows + ", " + d + " : index");
  }
  if (rows.empty())
    rows = b.indexConst(1);
  Shape64 flat = {kDynamicExtent}, a2s = {kDynamicExtent, k},
          c2s = {kDynamicExtent, n};
  std::string all = "[[";
  for (size_t i = 0; i < as.size(); ++i)
    all += (i ? ", " : "") + std::to_string(i);
  all += "]]";
  std::string a1 =
      op("tensor.collapse_shape " + operands[0] + " " + all + " : " +
         tensorType(dtype, as) + " into " + tensorType(dtype, flat));
  std::string a2 =
      op("tensor.expand_shape " + a1 + " [[0, 1]] output_shape [" + rows +
         ", " + std::to_string(k) + "] : " + tensorType(dtype, flat) +
         " into " + tensorType(dtype, a2s));
  std::string c2 = tensorType(dtype, c2s);
  // One run of blocks of `size` rows from row `base` on: `blocks` of them,
  // the last clipped to `rows` (and zero-padded) when `clip`.
  auto run = [&](int64_t size, const std::string &base,
                 const std::string &blocks, bool clip,
                 const std::string &init) -> Expected<std::string> {
    std::string result = b.fresh(), blk = b.fresh(), acc = b.fresh();
    b.line(result + " = scf.forall (" + blk + ") in (" + blocks +
           ") shared_outs(" + acc + " = " + init + ") -> (" + c2 + ") {");
    std::string scaled =
        op("arith.muli " + blk + ", " + b.indexConst(size) + " : index");
    std::string first = op("arith.addi " + base + ", " + scaled + " : index");
    Shape64 block = {size, k};
    std::string rowsText = std::to_string(size), input, count = rowsText;
    if (!clip) {
      input =
          op("tensor.extract_slice " + a2 + "[" + first + ", 0] [" + rowsText +
             ", " + std::to_string(k) + "] [1, 1] : " + tensorType(dtype, a2s) +
             " to " + tensorType(dtype, block));
    } else {
      std::string left = op("arith.subi " + rows + ", " + first + " : index");
      count =
          op("arith.minsi " + left + ", " + b.indexConst(size) + " : index");
      std::string slice =
          op("tensor.extract_slice " + a2 + "[" + first + ", 0] [" + count +
             ", " + std::to_string(k) + "] [1, 1] : " + tensorType(dtype, a2s) +
             " to " + tensorType(dtype, a2s));
      std::string high =
          op("arith.subi " + b.indexConst(size) + ", " + count + " : index");
      std::string zero = b.toStorage(b.scalarConst(0.0, dtype), dtype);
      input = b.fresh();
      b.line(input + " = tensor.pad " + slice + " low[0, 0] high[" + high +
             ", 0] {");
      b.line("^bb0(" + b.fresh() + ": index, " + b.fresh() + ": index):");
      b.line("  tensor.yield " + zero + " : " + t);
      b.line("} : " + tensorType(dtype, a2s) + " to " +
             tensorType(dtype, block));
    }
    auto mm = matmulRows(b, node, operands[1], input, size, sites);
    if (!mm.ok())
      return mm.error();
    std::string valid = *mm;
    std::string validType = tensorType(dtype, {size, n});
    if (clip) {
      valid = op("tensor.extract_slice " + *mm + "[0, 0] [" + count + ", " +
                 std::to_string(n) + "] [1, 1] : " + validType + " to " + c2);
      validType = c2;
    }
    b.line("scf.forall.in_parallel {");
    b.line("  tensor.parallel_insert_slice " + valid + " into " + acc + "[" +
           first + ", 0] [" + count + ", " + std::to_string(n) +
           "] [1, 1] : " + validType + " into " + c2);
    b.line("}");
    b.line("}");
    return result;
  };
  std::string init = op("tensor.empty(" + rows + ") : " + c2);
  std::string whole =
      op("arith.divui " + rows + ", " + b.indexConst(kRowBlock) + " : index");
  auto full = run(kRowBlock, b.indexConst(0), whole, false, init);
  if (!full.ok())
    return full.error();
  std::string done =
      op("arith.muli " + whole + ", " + b.indexConst(kRowBlock) + " : index");
  std::string rest = op("arith.subi " + rows + ", " + done + " : index");
  std::string tails = op("arith.ceildivui " + rest + ", " +
                         b.indexConst(kTailBlock) + " : index");
  auto tail = run(kTailBlock, done, tails, true, *full);
  if (!tail.ok())
    return tail.error();
  return b.reshape(*tail, dtype, c2s, out);
}

/// A matmul with symbolic extents: one linalg.generic over (batch.., m, k,
/// n), n innermost so that the loops read B and write C contiguously,
/// batch dims broadcast; no weight panels and no schedule.
Expected<std::string>
emitMatMulDynamic(KernelBuilder &b, const Node &node,
                  const std::vector<std::string> &operands,
                  std::vector<ContractionSite> &sites) {
  DType dtype = node.result()->type().dtype;
  Shape64 as = extents(node.operand(0)), bs = extents(node.operand(1));
  Shape64 out = extents(node.result());
  if (as.size() < 2 || bs.size() < 2)
    return makeError("codegen: a 1-D matmul operand with symbolic dims is "
                     "not supported yet");
  if (bs.size() == 2 && !hasDynamicExtent(bs) && !b.portable &&
      !isDynamicExtent(as.back()))
    return matmulBlocks(b, node, operands, sites);
  int r = static_cast<int>(out.size());
  auto map = [&](const Shape64 &s, const std::string &row,
                 const std::string &col) {
    int offset = (r - 2) - (static_cast<int>(s.size()) - 2);
    std::vector<std::string> exprs;
    for (size_t i = 0; i + 2 < s.size(); ++i) {
      int d = offset + static_cast<int>(i);
      exprs.push_back(s[i] == 1 && out[d] != 1 ? "0" : dim(d));
    }
    exprs.push_back(row);
    exprs.push_back(col);
    return affineMap(r + 1, exprs);
  };
  std::vector<std::string> outExprs;
  for (int i = 0; i < r - 1; ++i)
    outExprs.push_back(dim(i));
  outExprs.push_back(dim(r));
  std::vector<std::string> iterators(r - 1, "parallel");
  iterators.push_back("reduction");
  iterators.push_back("parallel");
  std::string init = b.filled(b.scalarConst(0.0, dtype), dtype, out);
  auto mm =
      b.generic({{operands[0], dtype, as, map(as, dim(r - 2), dim(r - 1))},
                 {operands[1], dtype, bs, map(bs, dim(r - 1), dim(r))}},
                {{init, dtype, out, affineMap(r + 1, outExprs)}}, iterators,
                [&](KernelBuilder &b, const std::vector<std::string> &a)
                    -> Expected<std::vector<std::string>> {
                  auto p = emitScalarBinary(b, OpKind::Mul, dtype, a[0], a[1]);
                  if (!p.ok())
                    return p.error();
                  auto sum = emitScalarBinary(b, OpKind::Add, dtype, a[2], *p);
                  if (!sum.ok())
                    return sum.error();
                  return std::vector<std::string>{*sum};
                });
  if (!mm.ok())
    return mm.error();
  return (*mm)[0];
}

Expected<std::string> emitMatMul(KernelBuilder &b, const Node &node,
                                 const std::vector<std::string> &operands,
                                 std::vector<ContractionSite> &sites) {
  DType dtype = node.result()->type().dtype;
  if (!isFloat(dtype) && !isInteger(dtype))
    return unsupported(node, dtype);
  Shape64 as = extents(node.operand(0)), bs = extents(node.operand(1));
  Shape64 out = extents(node.result());
  if (hasDynamicExtent(as) || hasDynamicExtent(bs) || hasDynamicExtent(out))
    return emitMatMulDynamic(b, node, operands, sites);
  int64_t m = out[out.size() - 2], n = out.back(), k = as.back();
  if (bs.size() == 2) {
    // [..., M, K] x [K, N]: fold the batch dims into M (one big GEMM).
    int64_t rows = product(as, 0, as.size() - 1);
    std::string a2 = b.reshape(operands[0], dtype, as, {rows, k});
    auto mm = matmulRows(b, node, operands[1], a2, rows, sites);
    if (!mm.ok())
      return mm.error();
    return b.reshape(*mm, dtype, {rows, n}, out);
  }
  Shape64 batch(out.begin(), out.end() - 2);
  int64_t nb = product(batch);
  Shape64 aFull = batch, bFull = batch;
  aFull.insert(aFull.end(), {m, k});
  bFull.insert(bFull.end(), {k, n});
  auto a1 = broadcastTo(b, operands[0], dtype, as, aFull);
  if (!a1.ok())
    return a1.error();
  auto b1 = broadcastTo(b, operands[1], dtype, bs, bFull);
  if (!b1.ok())
    return b1.error();
  std::string a3 = b.reshape(*a1, dtype, aFull, {nb, m, k});
  std::string b3 = b.reshape(*b1, dtype, bFull, {nb, k, n});
  // Awkward f32 shapes (attention over 197 tokens: 12x197x64 x 12x64x197)
  // get no full register tile and would run as scalar loops: pad M to a
  // multiple of 4 and N to one of 16 with zeros, compute, and slice.
  int64_t mp = m, np = n;
  if (!b.portable && dtype == DType::F32 && m * n * k >= 4096 &&
      (m % 4 != 0 || n % 8 != 0)) {
    mp = (m + 3) / 4 * 4;
    np = (n + 15) / 16 * 16;
    std::string zero = b.floatConst(0.0, dtype);
    Shape64 padded;
    a3 =
        padSpatial(b, a3, dtype, {nb, m, k}, {0, 0}, {mp - m, 0}, zero, padded);
    b3 = padSpatial(b, b3, dtype, {nb, k, n}, {0}, {np - n}, zero, padded);
  }
  std::string mm = contraction(b, "batch_matmul", dtype, a3, {nb, mp, k}, b3,
                               {nb, k, np}, {nb, mp, np}, sites);
  if (mp != m || np != n)
    mm = leadingSlice(b, mm, dtype, {nb, mp, np}, {nb, m, n});
  return b.reshape(mm, dtype, {nb, m, n}, out);
}

namespace {

/// A copy of `x` through `map` (one input, same dtype) into `shape`.
Expected<std::string> copyInto(KernelBuilder &b, const std::string &x,
                               DType dtype, const Shape64 &xShape,
                               const std::string &map, const Shape64 &shape) {
  return b.map({{x, dtype, xShape, map}}, dtype, shape,
               [](KernelBuilder &, const std::vector<std::string> &a)
                   -> Expected<std::vector<std::string>> {
                 return std::vector<std::string>{a[0]};
               });
}

/// Grouped convs with at most this many taps per output (C/g * K..) have
/// them unrolled in one all-parallel generic (emitConvChannelsLast).
constexpr int64_t kMaxUnrolledTaps = 64;

/// Wt[c', k.., f] = W[f, c', k..] for the channels-last grouped forms (a few
/// kB per call). A linalg.transpose, not a generic: elementwise fusion
/// would fold a generic copy into the conv and read the weights with
/// stride C/g*K.. across the channel vector.
std::string transposeGroupedWeights(KernelBuilder &b, const std::string &w,
                                    DType dtype, const Shape64 &ws,
                                    Shape64 &wtShape) {
  size_t k = ws.size() - 2;
  wtShape = {ws[1]};
  wtShape.insert(wtShape.end(), ws.begin() + 2, ws.end());
  wtShape.push_back(ws[0]);
  std::string perm;
  for (size_t i = 1; i <= k + 1; ++i)
    perm += std::to_string(i) + ", ";
  std::string init = b.empty(dtype, wtShape);
  std::string wt = b.fresh();
  b.line(wt + " = linalg.transpose ins(" + w + " : " + tensorType(dtype, ws) +
         ") outs(" + init + " : " + tensorType(dtype, wtShape) +
         ") permutation = [" + perm + "0]");
  return wt;
}

/// A direct convolution: out (zero-filled) += x * w over the loop nest
/// `its`, x and w read through the maps `xe` and `we`, out through `oe`.
Expected<std::string> directConv(KernelBuilder &b, DType dtype,
                                 const std::string &x, const Shape64 &xs,
                                 const std::string &w, const Shape64 &ws,
                                 const Shape64 &out, int nd,
                                 const std::vector<std::string> &xe,
                                 const std::vector<std::string> &we,
                                 const std::vector<std::string> &oe,
                                 const std::vector<std::string> &its) {
  std::string init = b.filled(b.floatConst(0.0, dtype), dtype, out);
  auto r = b.generic(
      {{x, dtype, xs, affineMap(nd, xe)}, {w, dtype, ws, affineMap(nd, we)}},
      {{init, dtype, out, affineMap(nd, oe)}}, its,
      [&](KernelBuilder &b, const std::vector<std::string> &a)
          -> Expected<std::vector<std::string>> {
        std::string t = storageType(dtype);
        std::string p = b.fresh(), s = b.fresh();
        b.line(p + " = arith.mulf " + a[0] + ", " + a[1] + " : " + t);
        b.line(s + " = arith.addf " + a[2] + ", " + p + " : " + t);
        return std::vector<std::string>{s};
      });
  if (!r.ok())
    return r.error();
  return (*r)[0];
}

/// `value` (shape `out`) plus the per-channel `bias`, whose channel is dim
/// `channelDim` of `out`.
Expected<std::string> addChannelBias(KernelBuilder &b, DType dtype,
                                     const std::string &value,
                                     const Shape64 &out,
                                     const std::string &bias,
                                     const Shape64 &biasShape,
                                     int channelDim) {
  int r = static_cast<int>(out.size());
  return b.map({{value, dtype, out, identityMap(r)},
                {bias, dtype, biasShape, affineMap(r, {dim(channelDim)})}},
               dtype, out,
               [&](KernelBuilder &b, const std::vector<std::string> &a)
                   -> Expected<std::vector<std::string>> {
                 std::string s = b.fresh();
                 b.line(s + " = arith.addf " + a[0] + ", " + a[1] + " : " +
                        storageType(dtype));
                 return std::vector<std::string>{s};
               });
}

/// Inside a generic body: x[n, o * s + k * dl - lo, c] of a channels-last x
/// (spatial dims 1..k), or `pad` (0 when empty) where that position lies in
/// the padding. The
/// read is clamped into x and the value selected, so x needs no padded
/// copy; the conditions do not depend on c, and LLVM hoists them out of
/// the channel loop.
std::string readPadded(KernelBuilder &b, const std::string &x, DType dtype,
                       const Shape64 &xs, const std::string &nIdx,
                       const std::vector<std::string> &oIdx,
                       const std::vector<std::string> &kIdx,
                       const Shape64 &strides, const Shape64 &dil,
                       const Shape64 &lo, const std::string &cIdx,
                       std::string pad = "") {
  auto op = [&](const std::string &expr) {
    std::string v = b.fresh();
    b.line(v + " = " + expr);
    return v;
  };
  std::string valid;
  std::vector<std::string> idx = {nIdx};
  for (size_t i = 0; i < oIdx.size(); ++i) {
    std::string in = op("arith.muli " + oIdx[i] + ", " +
                        b.indexConst(strides[i]) + " : index");
    std::string tap = op("arith.muli " + kIdx[i] + ", " +
                         b.indexConst(dil[i]) + " : index");
    in = op("arith.addi " + in + ", " + tap + " : index");
    in = op("arith.subi " + in + ", " + b.indexConst(lo[i]) + " : index");
    std::string ge =
        op("arith.cmpi sge, " + in + ", " + b.indexConst(0) + " : index");
    std::string lt = op("arith.cmpi slt, " + in + ", " +
                        b.indexConst(xs[i + 1]) + " : index");
    std::string ok = op("arith.andi " + ge + ", " + lt + " : i1");
    valid = valid.empty() ? ok : op("arith.andi " + valid + ", " + ok + " : i1");
    std::string c0 =
        op("arith.maxsi " + in + ", " + b.indexConst(0) + " : index");
    idx.push_back(op("arith.minsi " + c0 + ", " +
                     b.indexConst(xs[i + 1] - 1) + " : index"));
  }
  idx.push_back(cIdx);
  std::string list;
  for (size_t i = 0; i < idx.size(); ++i)
    list += (i ? ", " : "") + idx[i];
  std::string v =
      op("tensor.extract " + x + "[" + list + "] : " + tensorType(dtype, xs));
  if (valid.empty())
    return v;
  if (pad.empty())
    pad = b.toStorage(b.floatConst(0.0, dtype), dtype);
  return op("arith.select " + valid + ", " + v + ", " + pad + " : " +
            storageType(dtype));
}

/// conv with `channels_last`: x [N, D.., C], w [F, C/g, K..], y [N, O.., F].
///  - group 1 (CPU): y[N*O.., F] = col[N*O.., K..*C] x W[K..*C, F], with
///    col = x itself for 1x1 / stride 1 / unpadded convs, else an im2col
///    whose rows are runs of C contiguous channels. The weights are the
///    packed panel operand Wp[F/w, K..*C, w] (F padded to whole panels,
///    packed at compile time when constant, see weightPanel), so the
///    contraction is the same matmul_p as a MatMul with constant weights
///    and its result is already in the output layout.
///  - grouped / depthwise: a direct loop nest (n, o.., c', k.., f) with the
///    channels innermost, where they are contiguous in x, y and the
///    weights (transposed to [C/g, K.., F] per call: a few kB). The
///    portable form puts all parallel dims first, (n, o.., f, c', k..).
Expected<std::string> emitConvChannelsLast(
    KernelBuilder &b, const Node &node, const std::vector<std::string> &operands,
    std::vector<ContractionSite> &sites) {
  DType dtype = node.result()->type().dtype;
  Shape64 xs = extents(node.operand(0)), ws = extents(node.operand(1));
  Shape64 out = extents(node.result());
  size_t k = xs.size() - 2;
  int ki = static_cast<int>(k);
  Shape64 strides = intsOr(node, "strides", k, 1);
  Shape64 dil = intsOr(node, "dilations", k, 1);
  Shape64 pads = intsOr(node, "pads", 2 * k, 0);
  int64_t group = node.hasAttr("group") ? node.intAttr("group") : 1;
  // Pad the spatial dims: the trailing k + 1 dims, channels by 0.
  Shape64 lo(pads.begin(), pads.begin() + ki), hi(pads.begin() + ki, pads.end());
  lo.push_back(0);
  hi.push_back(0);
  int64_t n = xs[0], c = xs.back(), f = ws[0], cg = ws[1];
  Shape64 kernel(ws.begin() + 2, ws.end()),
      ospatial(out.begin() + 1, out.end() - 1);
  int64_t kprod = product(kernel), oprod = product(ospatial);
  std::string zero = b.floatConst(0.0, dtype);
  int64_t fg = f / group;
  // The grouped form that reads x unpadded (below).
  bool unrolled = group != 1 && !b.portable && cg * kprod <= kMaxUnrolledTaps;
  // Group-1 convs read x unpadded too (their im2col selects the zeros).
  bool readsUnpadded = unrolled || (group == 1 && !b.portable);
  Shape64 xpShape = xs;
  std::string xp =
      readsUnpadded
          ? operands[0]
          : padSpatial(b, operands[0], dtype, xs, lo, hi, zero, xpShape);
  bool padded = false;
  for (size_t i = 0; i < k; ++i)
    padded |= lo[i] != 0 || hi[i] != 0;
  std::string result;
  if (group == 1 && !b.portable) {
    int64_t rows = n * oprod, ck = kprod * c;
    bool pointwise = kprod == 1 && !padded && strides == Shape64(k, 1) &&
                     product(xs, 1, k + 1) == oprod;
    int64_t panel = weightPanel(node), fp = paddedToPanel(f, panel);
    std::string a2;
    // The rows the contraction computes: `rows`, or more when it pads them
    // to whole register tiles (paddedPanelRows).
    int64_t crows = rows;
    // When the contraction pads A's rows (14x14 maps: 196 to 198), A is
    // made with them, by running the first output dim on past its end
    // (clamped reads: finite values in rows of C that are dropped), instead
    // of a zero-filled padded copy of A (ResNet-50: 0.45 ms per 14x14 3x3
    // conv; a 1x1 conv's x is then read through one copy instead of two).
    int64_t prows = paddedPanelRows(false, rows, panel, b.wideVectors);
    bool extend = n == 1 && ki > 0 && prows > rows;
    if (pointwise && !extend) {
      a2 = b.reshape(xp, dtype, xs, {rows, c});
    } else {
      // col[n, o.., k.., c] = x[n, o * s + k * dl - lo, c], 0 in the
      // padding (readPadded: no padded copy of x).
      int nd = 2 * ki + 2;
      Shape64 colShape = {n};
      colShape.insert(colShape.end(), ospatial.begin(), ospatial.end());
      colShape.insert(colShape.end(), kernel.begin(), kernel.end());
      colShape.push_back(c);
      if (extend) {
        int64_t rest = oprod / ospatial[0];
        colShape[1] = (prows + rest - 1) / rest;
        crows = prows;
      }
      Expected<std::string> col = std::string();
      if (padded || extend) {
        col = b.map(
            {}, dtype, colShape,
            [&](KernelBuilder &b, const std::vector<std::string> &)
                -> Expected<std::vector<std::string>> {
              std::vector<std::string> pos;
              for (int i = 0; i < nd; ++i) {
                std::string v = b.fresh();
                b.line(v + " = linalg.index " + std::to_string(i) +
                       " : index");
                pos.push_back(v);
              }
              std::vector<std::string> oIdx(pos.begin() + 1,
                                            pos.begin() + 1 + ki),
                  kIdx(pos.begin() + 1 + ki, pos.begin() + 1 + 2 * ki);
              return std::vector<std::string>{
                  readPadded(b, xp, dtype, xs, pos[0], oIdx, kIdx, strides,
                             dil, lo, pos[static_cast<size_t>(nd - 1)])};
            });
      } else {
        std::vector<std::string> xe = {dim(0)};
        for (int i = 0; i < ki; ++i)
          xe.push_back(windowExpr(1 + i, strides[static_cast<size_t>(i)],
                                  1 + ki + i, dil[static_cast<size_t>(i)]));
        xe.push_back(dim(nd - 1));
        col = copyInto(b, xp, dtype, xpShape, affineMap(nd, xe), colShape);
      }
      if (!col.ok())
        return col.error();
      int64_t colRows = product(colShape) / ck;
      a2 = b.reshape(*col, dtype, colShape, {colRows, ck});
      if (colRows != crows)
        a2 = leadingSlice(b, a2, dtype, {colRows, ck}, {crows, ck});
    }
    std::string wp;
    if (b.packedWeights.count(node.operand(1))) {
      wp = operands[1];
    } else {
      // Wt[f, k.., c] = W[f, c, k..], rows padded to whole panels, packed.
      int nd = ki + 2;
      Shape64 wtShape = {f};
      wtShape.insert(wtShape.end(), kernel.begin(), kernel.end());
      wtShape.push_back(c);
      std::vector<std::string> we = {dim(0), dim(nd - 1)};
      for (int i = 0; i < ki; ++i)
        we.push_back(dim(1 + i));
      auto wt = copyInto(b, operands[1], dtype, ws, affineMap(nd, we), wtShape);
      if (!wt.ok())
        return wt.error();
      std::string w2 = b.reshape(*wt, dtype, wtShape, {f, ck});
      if (fp != f) {
        Shape64 padded;
        w2 =
            padSpatial(b, w2, dtype, {f, ck}, {0, 0}, {fp - f, 0}, zero, padded);
      }
      auto t = packPanels(b, w2, dtype, ck, fp, panel, /*nFirst=*/true);
      if (!t.ok())
        return t.error();
      wp = *t;
    }
    auto mm = panelContraction(b, dtype, a2, /*aIsKM=*/false, crows, ck, wp,
                               fp / panel, panel, "matmul_p", sites);
    if (!mm.ok())
      return mm.error();
    std::string c3 = *mm;
    if (crows != rows)
      c3 = leadingSlice(b, c3, dtype, {crows, fp / panel, panel},
                        {rows, fp / panel, panel});
    std::string m2 = b.reshape(c3, dtype, {rows, fp / panel, panel}, {rows, fp});
    if (fp != f)
      m2 = leadingSlice(b, m2, dtype, {rows, fp}, {rows, f});
    result = b.reshape(m2, dtype, {rows, f}, out);
  } else if (unrolled) {
    // Depthwise and small grouped convs: an all-parallel generic over the
    // output whose body adds up every tap (c', k..) unrolled, reading x and
    // the weights with tensor.extract. Out-of-range taps read a clamped
    // position and select 0 (conditions invariant in f, hoisted by LLVM),
    // so no padded copy of x is made; the sum starts from the bias, so the
    // output needs no zero fill; and being all-parallel the generic takes
    // the activation epilogue in by elementwise fusion. LLVM vectorizes the
    // f loop, where x, y and the transposed weights are contiguous
    // (depthwise 144x56x56 + bias + clip: 0.78 ms with a padded copy,
    // zero fill and reduction loops, 0.30 ms; onnxruntime 0.45 ms).
    std::string t = storageType(dtype);
    Shape64 wShape;
    std::string wt =
        transposeGroupedWeights(b, operands[1], dtype, ws, wShape);
    int r = static_cast<int>(out.size());
    std::vector<GenericOperand> ins;
    bool hasBias = node.numOperands() > 2;
    if (hasBias)
      ins.push_back({operands[2], dtype, extents(node.operand(2)),
                     affineMap(r, {dim(r - 1)})});
    std::string x = operands[0];
    auto mapped = b.map(
        ins, dtype, out,
        [&](KernelBuilder &b, const std::vector<std::string> &a)
            -> Expected<std::vector<std::string>> {
          auto op = [&](const std::string &expr) {
            std::string v = b.fresh();
            b.line(v + " = " + expr);
            return v;
          };
          std::vector<std::string> pos;
          for (int i = 0; i < r; ++i)
            pos.push_back(
                op("linalg.index " + std::to_string(i) + " : index"));
          std::string fIdx = pos[static_cast<size_t>(r - 1)];
          std::string chBase =
              cg == 1 && fg == 1
                  ? fIdx
                  : op("arith.muli " +
                       op("arith.divui " + fIdx + ", " + b.indexConst(fg) +
                          " : index") +
                       ", " + b.indexConst(cg) + " : index");
          std::string acc = hasBias ? a[0] : zero;
          std::string zeroS = b.toStorage(zero, dtype);
          if (!hasBias)
            acc = zeroS;
          for (int64_t cc = 0; cc < cg; ++cc) {
            std::string ch =
                cc == 0 ? chBase
                        : op("arith.addi " + chBase + ", " + b.indexConst(cc) +
                             " : index");
            for (int64_t tap = 0; tap < kprod; ++tap) {
              // Kernel position of this tap, row-major over k..
              Shape64 kpos(k);
              for (int64_t rest = tap, i = ki - 1; i >= 0; --i) {
                kpos[static_cast<size_t>(i)] = rest % kernel[static_cast<size_t>(i)];
                rest /= kernel[static_cast<size_t>(i)];
              }
              std::vector<std::string> oIdx(pos.begin() + 1,
                                            pos.begin() + 1 + ki),
                  kIdx;
              for (int i = 0; i < ki; ++i)
                kIdx.push_back(b.indexConst(kpos[static_cast<size_t>(i)]));
              std::string xv = readPadded(b, x, dtype, xs, pos[0], oIdx, kIdx,
                                          strides, dil, lo, ch);
              std::string wl = b.indexConst(cc);
              for (int i = 0; i < ki; ++i)
                wl += ", " + b.indexConst(kpos[static_cast<size_t>(i)]);
              std::string wv = op("tensor.extract " + wt + "[" + wl + ", " +
                                  fIdx + "] : " + tensorType(dtype, wShape));
              std::string prod = op("arith.mulf " + xv + ", " + wv + " : " + t);
              acc = op("arith.addf " + acc + ", " + prod + " : " + t);
            }
          }
          return std::vector<std::string>{acc};
        });
    if (!mapped.ok())
      return mapped.error();
    return *mapped;
  } else {
    int nd = 3 + 2 * ki;
    // Dims (n, o.., f, c', k..): the reductions innermost, so that an
    // output element accumulates in a register; LLVM unrolls the small
    // c'/k.. loops and vectorizes the f loop, where x, y and the
    // transposed weights are contiguous. (f innermost, after the
    // reductions, kept the output row in memory and spilled the weights of
    // every tap: depthwise 144x56x56 0.78 -> 0.41 ms.)
    int dc = ki + 2;
    int dk0 = dc + 1;
    int df = ki + 1;
    std::vector<std::string> xe = {dim(0)}, oe = {dim(0)};
    std::vector<std::string> its(static_cast<size_t>(nd), "reduction");
    its[0] = its[static_cast<size_t>(df)] = "parallel";
    for (int i = 0; i < ki; ++i) {
      xe.push_back(windowExpr(1 + i, strides[static_cast<size_t>(i)], dk0 + i,
                              dil[static_cast<size_t>(i)]));
      oe.push_back(dim(1 + i));
      its[static_cast<size_t>(1 + i)] = "parallel";
    }
    xe.push_back("(" + dim(df) + " floordiv " + std::to_string(fg) + ") * " +
                 std::to_string(cg) + " + " + dim(dc));
    oe.push_back(dim(df));
    std::string w = operands[1];
    Shape64 wShape = ws;
    std::vector<std::string> we;
    if (b.portable) {
      we = {dim(df), dim(dc)};
      for (int i = 0; i < ki; ++i)
        we.push_back(dim(dk0 + i));
    } else {
      w = transposeGroupedWeights(b, operands[1], dtype, ws, wShape);
      we = {dim(dc)};
      for (int i = 0; i < ki; ++i)
        we.push_back(dim(dk0 + i));
      we.push_back(dim(df));
    }
    auto r = directConv(b, dtype, xp, xpShape, w, wShape, out, nd, xe, we, oe,
                        its);
    if (!r.ok())
      return r.error();
    result = *r;
  }
  if (node.numOperands() < 3)
    return result;
  return addChannelBias(b, dtype, result, out, operands[2],
                        extents(node.operand(2)),
                        static_cast<int>(out.size()) - 1);
}

} // namespace

Expected<std::string> emitConv(KernelBuilder &b, const Node &node,
                               const std::vector<std::string> &operands,
                               std::vector<ContractionSite> &sites) {
  DType dtype = node.result()->type().dtype;
  if (!isFloat(dtype))
    return unsupported(node, dtype);
  if (node.hasAttr("channels_last") && node.intAttr("channels_last") == 1)
    return emitConvChannelsLast(b, node, operands, sites);
  Shape64 xs = extents(node.operand(0)), ws = extents(node.operand(1));
  Shape64 out = extents(node.result());
  size_t k = xs.size() - 2;
  Shape64 strides = intsOr(node, "strides", k, 1);
  Shape64 dil = intsOr(node, "dilations", k, 1);
  Shape64 pads = intsOr(node, "pads", 2 * k, 0);
  int64_t group = node.hasAttr("group") ? node.intAttr("group") : 1;
  Shape64 lo(pads.begin(), pads.begin() + k), hi(pads.begin() + k, pads.end());
  int64_t n = xs[0], c = xs[1], f = ws[0], cg = ws[1];
  Shape64 kernel(ws.begin() + 2, ws.end()),
      ospatial(out.begin() + 2, out.end());
  int64_t kprod = product(kernel), oprod = product(ospatial);
  bool hasBias = node.numOperands() > 2;

  Shape64 xpShape;
  std::string zero = b.floatConst(0.0, dtype);
  std::string xp = padSpatial(b, operands[0], dtype, xs, lo, hi, zero, xpShape);
  std::string result;
  if (group == 1 && !b.portable) {
    // im2col: col[c, k.., n, o..] = xp[n, c, o*s + k*dl]; then
    // out[F, N*O] = W[F, C*K] x col[C*K, N*O].
    bool pointwise = n == 1 && kprod == 1 && lo == Shape64(k, 0) &&
                     hi == Shape64(k, 0) && strides == Shape64(k, 1) &&
                     product(xs, 2) == oprod;
    std::string col2;
    Shape64 col2Shape = {c * kprod, n * oprod};
    if (pointwise) {
      col2 = b.reshape(xp, dtype, xs, col2Shape);
    } else {
      int nd = static_cast<int>(2 * k + 2);
      Shape64 colShape = {c};
      colShape.insert(colShape.end(), kernel.begin(), kernel.end());
      colShape.push_back(n);
      colShape.insert(colShape.end(), ospatial.begin(), ospatial.end());
      std::vector<std::string> xe = {dim(static_cast<int>(k) + 1), dim(0)};
      for (size_t i = 0; i < k; ++i)
        xe.push_back(windowExpr(static_cast<int>(k + 2 + i), strides[i],
                                static_cast<int>(1 + i), dil[i]));
      auto col =
          b.map({{xp, dtype, xpShape, affineMap(nd, xe)}}, dtype, colShape,
                [](KernelBuilder &, const std::vector<std::string> &a)
                    -> Expected<std::vector<std::string>> {
                  return std::vector<std::string>{a[0]};
                });
      if (!col.ok())
        return col.error();
      col2 = b.reshape(*col, dtype, colShape, col2Shape);
    }
    std::string mm;
    int64_t ck = c * kprod, np = n * oprod;
    int64_t npp = convPlainColumns(node);
    if (npp != np) {
      Shape64 padded;
      col2 =
          padSpatial(b, col2, dtype, col2Shape, {0}, {npp - np}, zero, padded);
      col2Shape = padded;
    }
    if (convUsesTransposedForm(node)) {
      // T[N*O, F] = sum_k col[k, p] * W[F, k], then back to [F, N*O]
      // (a transposing copy that elementwise fusion merges with the epilogue).
      // B in panels Wp[F/w, C*K, w] (w = 16 or 8): a register tile's
      // weights are one contiguous stream instead of a stride-F walk.
      int64_t panel = weightPanel(node), fp = paddedToPanel(f, panel);
      int64_t fo = fp / panel;
      std::string wp;
      if (b.packedWeights.count(node.operand(1))) {
        wp = operands[1];
      } else {
        std::string w2 = b.reshape(operands[1], dtype, ws, {f, ck});
        if (fp != f) {
          Shape64 padded;
          w2 = padSpatial(b, w2, dtype, {f, ck}, {0, 0}, {fp - f, 0}, zero,
                          padded);
        }
        auto t = packPanels(b, w2, dtype, ck, fp, panel, /*nFirst=*/true);
        if (!t.ok())
          return t.error();
        wp = *t;
      }
      auto tr = panelContraction(b, dtype, col2, /*aIsKM=*/true, np, ck, wp, fo,
                                 panel, "matmul_t", sites);
      if (!tr.ok())
        return tr.error();
      std::string tv = b.reshape(*tr, dtype, {np, fo, panel}, {np, fp});
      if (fp != f)
        tv = leadingSlice(b, tv, dtype, {np, fp}, {np, f});
      auto back = b.map({{tv, dtype, {np, f}, affineMap(2, {dim(1), dim(0)})}},
                        dtype, {f, np},
                        [](KernelBuilder &, const std::vector<std::string> &a)
                            -> Expected<std::vector<std::string>> {
                          return std::vector<std::string>{a[0]};
                        });
      if (!back.ok())
        return back.error();
      mm = *back;
    } else {
      std::string w2 = b.reshape(operands[1], dtype, ws, {f, ck});
      mm = contraction(b, "matmul", dtype, w2, {f, ck}, col2, col2Shape,
                       {f, npp}, sites);
      if (npp != np)
        mm = leadingSlice(b, mm, dtype, {f, npp}, {f, np});
    }
    if (n == 1) {
      result = b.reshape(mm, dtype, {f, oprod}, out);
    } else {
      // Reorder [F, N, O..] to [N, F, O..].
      Shape64 mmShape = {f, n};
      mmShape.insert(mmShape.end(), ospatial.begin(), ospatial.end());
      std::string mm3 = b.reshape(mm, dtype, {f, n * oprod}, mmShape);
      std::vector<std::string> e = {dim(1), dim(0)};
      for (size_t i = 0; i < k; ++i)
        e.push_back(dim(static_cast<int>(2 + i)));
      auto t = b.map(
          {{mm3, dtype, mmShape, affineMap(static_cast<int>(out.size()), e)}},
          dtype, out,
          [](KernelBuilder &, const std::vector<std::string> &a)
              -> Expected<std::vector<std::string>> {
            return std::vector<std::string>{a[0]};
          });
      if (!t.ok())
        return t.error();
      result = *t;
    }
  } else {
    // Grouped / depthwise (and every conv in the portable form): direct
    // loop nest (n, f, c', o.., k..). The small kernel loops are innermost
    // so LLVM unrolls them fully and the output row, then innermost,
    // vectorizes with the accumulator in registers (k.. before o.. re-reads
    // and re-writes the output per tap). The portable form orders the
    // loops (n, f, o.., c', k..) instead: all parallel dimensions first, so
    // a GPU maps every output element to its own thread.
    int nd = static_cast<int>(3 + 2 * k);
    int ki = static_cast<int>(k);
    int dc = b.portable ? 2 + ki : 2;
    auto dOut = [&](size_t i) {
      return static_cast<int>(i) + (b.portable ? 2 : 3);
    };
    auto dKer = [&](size_t i) { return static_cast<int>(3 + k + i); };
    int64_t fg = f / group;
    std::vector<std::string> xe = {
        dim(0), "(" + dim(1) + " floordiv " + std::to_string(fg) + ") * " +
                    std::to_string(cg) + " + " + dim(dc)};
    std::vector<std::string> we = {dim(1), dim(dc)}, oe = {dim(0), dim(1)};
    std::vector<std::string> its(static_cast<size_t>(nd), "reduction");
    its[0] = its[1] = "parallel";
    for (size_t i = 0; i < k; ++i) {
      xe.push_back(windowExpr(dOut(i), strides[i], dKer(i), dil[i]));
      oe.push_back(dim(dOut(i)));
      its[static_cast<size_t>(dOut(i))] = "parallel";
    }
    for (size_t i = 0; i < k; ++i)
      we.push_back(dim(dKer(i)));
    auto r = directConv(b, dtype, xp, xpShape, operands[1], ws, out, nd, xe,
                        we, oe, its);
    if (!r.ok())
      return r.error();
    result = *r;
  }
  if (!hasBias)
    return result;
  return addChannelBias(b, dtype, result, out, operands[2],
                        extents(node.operand(2)), 1);
}

Expected<std::string> emitPool(KernelBuilder &b, const Node &node,
                               const std::vector<std::string> &operands) {
  DType dtype = node.result()->type().dtype;
  bool isMax = node.kind() == OpKind::MaxPool;
  if (dtype == DType::Bool || (!isMax && !isFloat(dtype)))
    return unsupported(node, dtype);
  Shape64 xs = extents(node.operand(0)), out = extents(node.result());
  size_t k = xs.size() - 2;
  // Channels-last: x [N, D.., C]; the loops are (n, o.., k.., c), channels
  // innermost, where they are contiguous. Else (n, c, o.., k..).
  bool last = isChannelsLast(node);
  size_t sp = last ? 1 : 2; // the first spatial dim of x and the result
  Shape64 kernel = node.intsAttr("kernel");
  Shape64 strides = intsOr(node, "strides", k, 1);
  Shape64 dil = intsOr(node, "dilations", k, 1);
  Shape64 pads = intsOr(node, "pads", 2 * k, 0);
  Shape64 lo(pads.begin(), pads.begin() + k), hi(pads.begin() + k, pads.end());
  // ceil_mode may read past the end padding: pad further so reads stay in
  // bounds (those positions never win a max and never count for avg).
  Shape64 hiExt = hi;
  for (size_t i = 0; i < k; ++i) {
    int64_t need =
        (out[sp + i] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1;
    int64_t have = xs[sp + i] + lo[i] + hi[i];
    if (need > have)
      hiExt[i] += need - have;
  }
  if (last) {
    lo.push_back(0);
    hiExt.push_back(0);
  }
  std::string padValue =
      isMax ? b.lowestConst(dtype) : b.floatConst(0.0, dtype);
  if (last && isMax && !b.portable && product(kernel) <= kMaxUnrolledTaps) {
    // As the depthwise conv (emitConvChannelsLast): one all-parallel
    // generic, the window unrolled, clamped reads with the padding
    // selected as the lowest value, no padded copy of x, and the channel
    // loop innermost for LLVM to vectorize.
    int r = static_cast<int>(out.size());
    std::string x = operands[0];
    return b.map(
        {}, dtype, out,
        [&](KernelBuilder &b, const std::vector<std::string> &)
            -> Expected<std::vector<std::string>> {
          std::vector<std::string> pos;
          for (int i = 0; i < r; ++i) {
            std::string v = b.fresh();
            b.line(v + " = linalg.index " + std::to_string(i) + " : index");
            pos.push_back(v);
          }
          std::vector<std::string> oIdx(pos.begin() + 1, pos.end() - 1);
          std::string lowest = b.toStorage(padValue, dtype);
          std::string acc = lowest;
          for (int64_t tap = 0; tap < product(kernel); ++tap) {
            std::vector<std::string> kIdx(k);
            for (int64_t rest = tap, i = static_cast<int64_t>(k) - 1; i >= 0;
                 --i) {
              size_t u = static_cast<size_t>(i);
              kIdx[u] = b.indexConst(rest % kernel[u]);
              rest /= kernel[u];
            }
            std::string v = readPadded(b, x, dtype, xs, pos[0], oIdx, kIdx,
                                       strides, dil, lo, pos.back(), lowest);
            auto m = emitScalarBinary(b, OpKind::Max, dtype, v, acc);
            if (!m.ok())
              return m.error();
            acc = *m;
          }
          return std::vector<std::string>{acc};
        });
  }
  Shape64 xpShape;
  std::string xp =
      padSpatial(b, operands[0], dtype, xs, lo, hiExt, padValue, xpShape);
  if (last)
    lo.pop_back();
  int nd = static_cast<int>(2 + 2 * k);
  // Loop dims of the output position and of the window.
  int dOut = last ? 1 : 2, dWin = dOut + static_cast<int>(k);
  int dChan = last ? nd - 1 : 1;
  std::vector<std::string> xe = {dim(0)}, oe = {dim(0)}, we;
  std::vector<std::string> its(static_cast<size_t>(nd), "parallel");
  if (!last) {
    xe.push_back(dim(dChan));
    oe.push_back(dim(dChan));
  }
  for (size_t i = 0; i < k; ++i) {
    int ii = static_cast<int>(i);
    xe.push_back(windowExpr(dOut + ii, strides[i], dWin + ii, dil[i]));
    oe.push_back(dim(dOut + ii));
    we.push_back(dim(dWin + ii));
    its[static_cast<size_t>(dWin + ii)] = "reduction";
  }
  if (last) {
    xe.push_back(dim(dChan));
    oe.push_back(dim(dChan));
  }
  std::string window = b.empty(dtype, kernel);
  std::string init = b.filled(padValue, dtype, out);
  auto r =
      b.generic({{xp, dtype, xpShape, affineMap(nd, xe)},
                 {window, dtype, kernel, affineMap(nd, we)}},
                {{init, dtype, out, affineMap(nd, oe)}}, its,
                [&](KernelBuilder &b, const std::vector<std::string> &a)
                    -> Expected<std::vector<std::string>> {
                  auto v = emitScalarBinary(
                      b, isMax ? OpKind::Max : OpKind::Add, dtype, a[0], a[2]);
                  if (!v.ok())
                    return v.error();
                  return std::vector<std::string>{*v};
                });
  if (!r.ok())
    return r.error();
  if (isMax)
    return (*r)[0];
  bool includePad = node.hasAttr("count_include_pad") &&
                    node.intAttr("count_include_pad") != 0;
  return b.map(
      {{(*r)[0], dtype, out, identityMap(static_cast<int>(out.size()))}}, dtype,
      out,
      [&](KernelBuilder &b, const std::vector<std::string> &a)
          -> Expected<std::vector<std::string>> {
        std::string count = b.indexConst(1);
        for (size_t i = 0; i < k; ++i) {
          auto idx = [&](const std::string &expr) {
            std::string v = b.fresh();
            b.line(v + " = " + expr);
            return v;
          };
          std::string o =
              idx("linalg.index " + std::to_string(sp + i) + " : index");
          std::string start = idx("arith.muli " + o + ", " +
                                  b.indexConst(strides[i]) + " : index");
          start = idx("arith.subi " + start + ", " + b.indexConst(lo[i]) +
                      " : index");
          std::string end = idx("arith.addi " + start + ", " +
                                b.indexConst(kernel[i]) + " : index");
          int64_t limit = includePad ? xs[sp + i] + hi[i] : xs[sp + i];
          end = idx("arith.minsi " + end + ", " + b.indexConst(limit) +
                    " : index");
          std::string begin = start;
          if (!includePad)
            begin = idx("arith.maxsi " + start + ", " + b.indexConst(0) +
                        " : index");
          std::string cnt =
              idx("arith.subi " + end + ", " + begin + " : index");
          count = idx("arith.muli " + count + ", " + cnt + " : index");
        }
        std::string c64 = b.fresh(), cf = b.fresh(), q = b.fresh();
        std::string t = storageType(dtype);
        b.line(c64 + " = arith.index_cast " + count + " : index to i64");
        b.line(cf + " = arith.sitofp " + c64 + " : i64 to " + t);
        b.line(q + " = arith.divf " + a[0] + ", " + cf + " : " + t);
        return std::vector<std::string>{q};
      });
}

namespace {

/// `a + b` for a float sum reduction, marked reassociable: LLVM then
/// vectorizes the loop (partial sums in vector lanes, added up at the end)
/// instead of running it one scalar add at a time (ViT's softmax and layer
/// norm rows). The order is fixed at compile time, so results stay the same
/// from run to run and for any thread count.
std::string reassociativeAdd(KernelBuilder &b, const std::string &x,
                             const std::string &y, DType dtype) {
  std::string v = b.fresh();
  b.line(v + " = arith.addf " + x + ", " + y + " fastmath<reassoc> : " +
         storageType(dtype));
  return v;
}

/// Reduces `x` over `axes` with `combine`, starting from `init`; the result
/// keeps reduced dims as 1 when `keepdims`.
Expected<std::string> reduce(KernelBuilder &b, const std::string &x,
                             DType dtype, const Shape64 &xs,
                             const std::vector<int64_t> &axes, bool keepdims,
                             const std::string &initScalar, OpKind combine,
                             Shape64 &outShape) {
  int r = static_cast<int>(xs.size());
  std::vector<std::string> oe, its;
  outShape.clear();
  for (int i = 0; i < r; ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    its.push_back(reduced ? "reduction" : "parallel");
    if (!reduced) {
      oe.push_back(dim(i));
      outShape.push_back(xs[i]);
    } else if (keepdims) {
      oe.push_back("0");
      outShape.push_back(1);
    }
  }
  std::string init = b.filled(initScalar, dtype, outShape);
  auto res = b.generic({{x, dtype, xs, identityMap(r)}},
                       {{init, dtype, outShape, affineMap(r, oe)}}, its,
                       [&](KernelBuilder &b, const std::vector<std::string> &a)
                           -> Expected<std::vector<std::string>> {
                         if (isFloat(dtype) && combine == OpKind::Add)
                           return std::vector<std::string>{
                               reassociativeAdd(b, a[0], a[1], dtype)};
                         auto v =
                             emitScalarBinary(b, combine, dtype, a[0], a[1]);
                         if (!v.ok())
                           return v.error();
                         return std::vector<std::string>{*v};
                       });
  if (!res.ok())
    return res.error();
  return (*res)[0];
}

/// Map from the full iteration space (rank r) to a tensor without `axes`.
std::string dropMap(int r, const std::vector<int64_t> &axes) {
  std::vector<std::string> e;
  for (int i = 0; i < r; ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end())
      e.push_back(dim(i));
  return affineMap(r, e);
}

std::string scalarOp(KernelBuilder &b, const std::string &name,
                     const std::string &operands, DType dtype) {
  std::string v = b.fresh();
  b.line(v + " = " + name + " " + operands + " : " + storageType(dtype));
  return v;
}

} // namespace

Expected<std::string> emitReduction(KernelBuilder &b, const Node &node,
                                    const std::vector<std::string> &operands) {
  DType dtype = node.operand(0)->type().dtype;
  if (dtype == DType::Bool)
    return unsupported(node, dtype);
  Shape64 xs = extents(node.operand(0)), out = extents(node.result());
  int r = static_cast<int>(xs.size());
  bool keepdims = node.hasAttr("keepdims") && node.intAttr("keepdims") != 0;
  if (node.kind() == OpKind::ArgMax) {
    int64_t axis = node.intAttr("axis");
    bool last = node.hasAttr("select_last_index") &&
                node.intAttr("select_last_index") != 0;
    Shape64 os;
    std::vector<std::string> oe, its;
    for (int i = 0; i < r; ++i) {
      its.push_back(i == axis ? "reduction" : "parallel");
      if (i != axis) {
        oe.push_back(dim(i));
        os.push_back(xs[i]);
      } else if (keepdims) {
        oe.push_back("0");
        os.push_back(1);
      }
    }
    std::string vinit = b.filled(b.lowestConst(dtype), dtype, os);
    std::string iinit = b.filled(b.intConst(0, DType::I64), DType::I64, os);
    auto res = b.generic(
        {{operands[0], dtype, xs, identityMap(r)}},
        {{vinit, dtype, os, affineMap(r, oe)},
         {iinit, DType::I64, os, affineMap(r, oe)}},
        its,
        [&](KernelBuilder &b, const std::vector<std::string> &a)
            -> Expected<std::vector<std::string>> {
          std::string t = storageType(dtype);
          std::string pred;
          if (isFloat(dtype))
            pred = last ? "arith.cmpf oge," : "arith.cmpf ogt,";
          else if (isSignedInteger(dtype))
            pred = last ? "arith.cmpi sge," : "arith.cmpi sgt,";
          else
            pred = last ? "arith.cmpi uge," : "arith.cmpi ugt,";
          std::string better = scalarOp(b, pred, a[0] + ", " + a[1], dtype);
          std::string idx = b.fresh(), idx64 = b.fresh();
          b.line(idx + " = linalg.index " + std::to_string(axis) + " : index");
          b.line(idx64 + " = arith.index_cast " + idx + " : index to i64");
          std::string v = b.fresh(), i = b.fresh();
          b.line(v + " = arith.select " + better + ", " + a[0] + ", " + a[1] +
                 " : " + t);
          b.line(i + " = arith.select " + better + ", " + idx64 + ", " + a[2] +
                 " : i64");
          return std::vector<std::string>{v, i};
        });
    if (!res.ok())
      return res.error();
    return (*res)[1];
  }
  const std::vector<int64_t> &axes = node.intsAttr("axes");
  if (axes.empty())
    return operands[0];
  OpKind combine = OpKind::Add;
  std::string init;
  switch (node.kind()) {
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
    init = b.scalarConst(0.0, dtype);
    break;
  case OpKind::ReduceProd:
    combine = OpKind::Mul;
    init = b.scalarConst(1.0, dtype);
    break;
  case OpKind::ReduceMax:
    combine = OpKind::Max;
    init = b.lowestConst(dtype);
    break;
  default:
    combine = OpKind::Min;
    init = b.highestConst(dtype);
    break;
  }
  Shape64 os;
  auto red =
      reduce(b, operands[0], dtype, xs, axes, keepdims, init, combine, os);
  if (!red.ok() || node.kind() != OpKind::ReduceMean)
    return red;
  int64_t count = 1;
  for (int64_t a : axes) {
    if (isDynamicExtent(xs[a]))
      return makeError("codegen: reduce_mean over a symbolic dim is not "
                       "supported yet");
    count *= xs[a];
  }
  return b.map(
      {{*red, dtype, os, identityMap(static_cast<int>(os.size()))}}, dtype, os,
      [&](KernelBuilder &b, const std::vector<std::string> &a)
          -> Expected<std::vector<std::string>> {
        std::string c = b.scalarConst(static_cast<double>(count), dtype);
        auto q = emitScalarBinary(b, OpKind::Div, dtype, a[0], c);
        if (!q.ok())
          return q.error();
        return std::vector<std::string>{*q};
      });
}

Expected<std::string>
emitNormalization(KernelBuilder &b, const Node &node,
                  const std::vector<std::string> &operands) {
  DType dtype = node.result()->type().dtype;
  if (!isFloat(dtype))
    return unsupported(node, dtype);
  Shape64 xs = extents(node.operand(0));
  int r = static_cast<int>(xs.size());
  std::string t = storageType(dtype);
  auto body = [&](auto fn) {
    return [fn](KernelBuilder &b, const std::vector<std::string> &a)
               -> Expected<std::vector<std::string>> {
      return std::vector<std::string>{fn(b, a)};
    };
  };
  auto ins1 = [&](const std::string &v, const Shape64 &s,
                  const std::string &m) {
    return GenericOperand{v, dtype, s, m};
  };
  if (node.kind() == OpKind::Softmax || node.kind() == OpKind::LogSoftmax) {
    int64_t axis = node.intAttr("axis");
    Shape64 rs;
    auto mx = reduce(b, operands[0], dtype, xs, {axis}, false,
                     b.lowestConst(dtype), OpKind::Max, rs);
    if (!mx.ok())
      return mx;
    std::string rmap = dropMap(r, {axis});
    auto e = b.map({ins1(operands[0], xs, identityMap(r)), ins1(*mx, rs, rmap)},
                   dtype, xs, body([t, dtype](KernelBuilder &b, const auto &a) {
                     std::string d =
                         scalarOp(b, "arith.subf", a[0] + ", " + a[1], dtype);
                     std::string v = b.fresh();
                     b.line(v + " = math.exp " + d + " : " + t);
                     return v;
                   }));
    if (!e.ok())
      return e;
    auto s = reduce(b, *e, dtype, xs, {axis}, false, b.scalarConst(0.0, dtype),
                    OpKind::Add, rs);
    if (!s.ok())
      return s;
    if (node.kind() == OpKind::Softmax)
      return b.map({ins1(*e, xs, identityMap(r)), ins1(*s, rs, rmap)}, dtype,
                   xs, body([t](KernelBuilder &b, const auto &a) {
                     std::string v = b.fresh();
                     b.line(v + " = arith.divf " + a[0] + ", " + a[1] + " : " +
                            t);
                     return v;
                   }));
    return b.map({ins1(operands[0], xs, identityMap(r)), ins1(*mx, rs, rmap),
                  ins1(*s, rs, rmap)},
                 dtype, xs, body([t](KernelBuilder &b, const auto &a) {
                   std::string l = b.fresh(), d = b.fresh(), v = b.fresh();
                   b.line(l + " = math.log " + a[2] + " : " + t);
                   b.line(d + " = arith.subf " + a[0] + ", " + a[1] + " : " +
                          t);
                   b.line(v + " = arith.subf " + d + ", " + l + " : " + t);
                   return v;
                 }));
  }
  double eps = node.floatAttr("epsilon");
  if (node.kind() == OpKind::BatchNorm) {
    // Per channel: a = scale / sqrt(var + eps), c = bias - mean * a.
    int64_t c = xs[1];
    std::string m1 = identityMap(1);
    auto ab = b.generic(
        {ins1(operands[1], {c}, m1), ins1(operands[2], {c}, m1),
         ins1(operands[3], {c}, m1), ins1(operands[4], {c}, m1)},
        {ins1(b.empty(dtype, {c}), {c}, m1),
         ins1(b.empty(dtype, {c}), {c}, m1)},
        {"parallel"},
        [&](KernelBuilder &b, const std::vector<std::string> &a)
            -> Expected<std::vector<std::string>> {
          std::string e = b.floatConst(eps, dtype);
          std::string ve = scalarOp(b, "arith.addf", a[3] + ", " + e, dtype);
          std::string sd = b.fresh();
          b.line(sd + " = math.sqrt " + ve + " : " + t);
          std::string sc = scalarOp(b, "arith.divf", a[0] + ", " + sd, dtype);
          std::string ms = scalarOp(b, "arith.mulf", a[2] + ", " + sc, dtype);
          std::string sh = scalarOp(b, "arith.subf", a[1] + ", " + ms, dtype);
          return std::vector<std::string>{sc, sh};
        });
    if (!ab.ok())
      return ab.error();
    std::string cm = affineMap(r, {dim(1)});
    return b.map({ins1(operands[0], xs, identityMap(r)),
                  ins1((*ab)[0], {c}, cm), ins1((*ab)[1], {c}, cm)},
                 dtype, xs, body([t](KernelBuilder &b, const auto &a) {
                   std::string p = b.fresh(), v = b.fresh();
                   b.line(p + " = arith.mulf " + a[0] + ", " + a[1] + " : " +
                          t);
                   b.line(v + " = arith.addf " + p + ", " + a[2] + " : " + t);
                   return v;
                 }));
  }
  // layer_norm over dims axis..r-1.
  int64_t axis = node.intAttr("axis");
  std::vector<int64_t> axes;
  int64_t count = 1;
  for (int64_t i = axis; i < r; ++i) {
    if (isDynamicExtent(xs[i]))
      return makeError("codegen: layer_norm over a symbolic dim is not "
                       "supported yet");
    axes.push_back(i);
    count *= xs[i];
  }
  Shape64 rs;
  auto sum = reduce(b, operands[0], dtype, xs, axes, false,
                    b.scalarConst(0.0, dtype), OpKind::Add, rs);
  if (!sum.ok())
    return sum;
  int rr = static_cast<int>(rs.size());
  auto mean = b.map({ins1(*sum, rs, identityMap(rr))}, dtype, rs,
                    body([&](KernelBuilder &b, const auto &a) {
                      std::string n = b.floatConst(double(count), dtype);
                      return scalarOp(b, "arith.divf", a[0] + ", " + n, dtype);
                    }));
  if (!mean.ok())
    return mean;
  std::string rmap = dropMap(r, axes);
  std::string init = b.filled(b.scalarConst(0.0, dtype), dtype, rs);
  std::vector<std::string> its;
  for (int i = 0; i < r; ++i)
    its.push_back(i >= axis ? "reduction" : "parallel");
  auto sq = b.generic(
      {ins1(operands[0], xs, identityMap(r)), ins1(*mean, rs, rmap)},
      {ins1(init, rs, rmap)}, its, body([&](KernelBuilder &b, const auto &a) {
        std::string d = scalarOp(b, "arith.subf", a[0] + ", " + a[1], dtype);
        std::string s = scalarOp(b, "arith.mulf", d + ", " + d, dtype);
        return reassociativeAdd(b, a[2], s, dtype);
      }));
  if (!sq.ok())
    return sq.error();
  auto rstd =
      b.map({ins1((*sq)[0], rs, identityMap(rr))}, dtype, rs,
            body([&](KernelBuilder &b, const auto &a) {
              std::string n = b.floatConst(double(count), dtype);
              std::string e = b.floatConst(eps, dtype);
              std::string v = scalarOp(b, "arith.divf", a[0] + ", " + n, dtype);
              std::string ve = scalarOp(b, "arith.addf", v + ", " + e, dtype);
              std::string s = b.fresh();
              b.line(s + " = math.rsqrt " + ve + " : " + t);
              return s;
            }));
  if (!rstd.ok())
    return rstd;
  std::vector<GenericOperand> ins = {ins1(operands[0], xs, identityMap(r)),
                                     ins1(*mean, rs, rmap),
                                     ins1(*rstd, rs, rmap)};
  for (size_t i = 1; i < node.numOperands(); ++i) {
    Shape64 s = extents(node.operand(i));
    ins.push_back(ins1(operands[i], s, broadcastMap(s, xs)));
  }
  bool hasBias = node.numOperands() > 2;
  return b.map(
      ins, dtype, xs, body([&, hasBias](KernelBuilder &b, const auto &a) {
        std::string d = scalarOp(b, "arith.subf", a[0] + ", " + a[1], dtype);
        std::string n = scalarOp(b, "arith.mulf", d + ", " + a[2], dtype);
        std::string s = scalarOp(b, "arith.mulf", n + ", " + a[3], dtype);
        if (hasBias)
          s = scalarOp(b, "arith.addf", s + ", " + a[4], dtype);
        return s;
      }));
}

} // namespace mlc::codegen
