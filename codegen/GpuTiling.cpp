// The CUDA target's tiled contractions (see GpuTiling.h). Why it exists:
// one thread per output element re-reads both operands from global memory
// for every output, so a matmul or convolution is bound by memory
// bandwidth at a few percent of the GPU's arithmetic rate. Sharing
// operand tiles between the threads of a block through shared memory, and
// giving each thread a micro-tile of outputs in registers, divides that
// traffic by the tile sizes. The kernel is built from the op's indexing
// maps and body, so every contraction the portable form emits (matmul,
// batched matmul, direct convolutions of any rank, stride and dilation)
// goes through the same, exact code.
#include "codegen/GpuTiling.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/NVGPU/Utils/MMAUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <limits>
#include <optional>

namespace mlc::codegen {

using namespace mlir;
using Value = mlir::Value;
using Type = mlir::Type;

gpu::LaunchOp createGpuLaunch(OpBuilder &b, Location loc, int64_t grid,
                              int64_t block) {
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value g = b.create<arith::ConstantIndexOp>(loc, grid);
  Value t = b.create<arith::ConstantIndexOp>(loc, block);
  auto launch = b.create<gpu::LaunchOp>(loc, g, one, one, t, one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(&launch.getBody().front());
  b.create<gpu::TerminatorOp>(loc);
  return launch;
}

namespace {

/// Output tile of one block, rows x columns.
constexpr int64_t kTileRows = 64, kTileCols = 64;
/// Depth of the operand tiles staged in shared memory.
constexpr int64_t kTileDepth = 16;
/// The block is kThreadRows x kThreadCols threads; each owns a micro-tile
/// of kMicro x kMicro adjacent outputs: its shared-memory reads are kMicro
/// consecutive elements, which LLVM merges into one vector load.
constexpr int64_t kThreadRows = 16, kThreadCols = 16, kMicro = 4;
constexpr int64_t kThreads = kThreadRows * kThreadCols;
static_assert(kTileRows == kThreadRows * kMicro &&
              kTileCols == kThreadCols * kMicro);
// The row operand's tile is loaded as kTileDepth consecutive depth indices
// per row (one per thread column), the column operand's as kTileCols
// consecutive columns per depth index.
static_assert(kThreadCols == kTileDepth && kThreads % kTileCols == 0 &&
              kTileDepth % (kThreads / kTileCols) == 0);
/// The row tile's shared-memory rows are kMicro elements longer than the
/// tile: the loads store column-wise, and the padding spreads a warp's
/// stores over 8 banks instead of 2 while keeping the micro-tile reads
/// aligned for vector loads.
constexpr int64_t kRowTileStride = kTileRows + kMicro;
static_assert(kRowTileStride % kMicro == 0 && kTileCols % kMicro == 0);
/// Smallest rows, columns and depth worth a tiled kernel.
constexpr int64_t kMinRows = 16, kMinCols = 16, kMinDepth = 8;
/// Tensor-core kernels: the block's 8 warps as 2 x 4, each computing a
/// 32 x 16 part of the output tile as 2 x 2 mma.sync tiles of 16 x 8.
constexpr int64_t kWarp = 32, kWarpCols = 4;
constexpr int64_t kMmaRows = 16, kMmaCols = 8;
constexpr int64_t kWarpTileRows = kTileRows / (kThreads / kWarp / kWarpCols);
constexpr int64_t kWarpTileCols = kTileCols / kWarpCols;
constexpr int64_t kMmaPerWarpRow = kWarpTileRows / kMmaRows;
constexpr int64_t kMmaPerWarpCol = kWarpTileCols / kMmaCols;
// Each thread holds 4 accumulators of each of its warp's mma tiles: the
// same 16 as the scalar micro-tile.
static_assert(kMmaPerWarpRow * kMmaPerWarpCol * 4 == kMicro * kMicro);
/// Warpgroup form (sm_90a): the block's 2 warpgroups of 128 threads each
/// compute a 64 x 32 half of the output tile, one wgmma m64n32kK per depth
/// step, with both operands in shared memory.
constexpr int64_t kWarpgroup = 128;
constexpr int64_t kWgmmaCols = kTileCols / (kThreads / kWarpgroup);
// A warpgroup's 64 x 32 f32 results are 16 accumulators per thread: the
// same 16 as the scalar micro-tile.
static_assert(kTileRows == 64 &&
              kTileRows * kWgmmaCols / kWarpgroup == kMicro * kMicro);
/// wgmma's operand layout without swizzling (the PTX ISA's "core
/// matrices"): 8 rows (of the rows or columns) of 16 bytes (of the depth),
/// 128 contiguous bytes; the core matrices of one row group follow each
/// other along the depth (the descriptor's leading byte offset, 128), and
/// the row groups each other (its stride byte offset, the tile depth's
/// worth of core matrices).
constexpr int64_t kCoreRows = 8, kCoreRowBytes = 16;
constexpr int64_t kCoreBytes = kCoreRows * kCoreRowBytes;

/// Upper bound of `e` over dims in [0, dimMax[d]], or nullopt when `e` may
/// be negative or the bound overflows.
std::optional<int64_t> upperBound(AffineExpr e, ArrayRef<int64_t> dimMax) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return dimMax[d.getPosition()];
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue() >= 0 ? std::optional<int64_t>(c.getValue())
                             : std::nullopt;
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  std::optional<int64_t> l = upperBound(bin.getLHS(), dimMax);
  std::optional<int64_t> r = upperBound(bin.getRHS(), dimMax);
  if (!l || !r)
    return std::nullopt;
  int64_t out;
  switch (e.getKind()) {
  case AffineExprKind::Add:
    if (__builtin_add_overflow(*l, *r, &out))
      return std::nullopt;
    return out;
  case AffineExprKind::Mul:
    if (__builtin_mul_overflow(*l, *r, &out))
      return std::nullopt;
    return out;
  case AffineExprKind::FloorDiv:
  case AffineExprKind::CeilDiv:
  case AffineExprKind::Mod: {
    auto c = dyn_cast<AffineConstantExpr>(bin.getRHS());
    if (!c || c.getValue() <= 0)
      return std::nullopt;
    if (e.getKind() == AffineExprKind::Mod)
      return std::min(*l, c.getValue() - 1);
    return e.getKind() == AffineExprKind::FloorDiv
               ? *l / c.getValue()
               : (*l + c.getValue() - 1) / c.getValue();
  }
  default:
    return std::nullopt;
  }
}

/// `e` with divisions and remainders that the dims' ranges make constant
/// folded: a grouped convolution with one group reads its input channel as
/// `(f floordiv F) * C + c`, which does not depend on f.
AffineExpr simplifyWithRanges(AffineExpr e, ArrayRef<int64_t> dimMax) {
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return e;
  AffineExpr l = simplifyWithRanges(bin.getLHS(), dimMax);
  AffineExpr r = simplifyWithRanges(bin.getRHS(), dimMax);
  auto c = dyn_cast<AffineConstantExpr>(r);
  std::optional<int64_t> lMax = upperBound(l, dimMax);
  bool below = c && c.getValue() > 0 && lMax && *lMax < c.getValue();
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return l + r;
  case AffineExprKind::Mul:
    return l * r;
  case AffineExprKind::FloorDiv:
    return below ? getAffineConstantExpr(0, e.getContext()) : l.floorDiv(r);
  case AffineExprKind::CeilDiv:
    return l.ceilDiv(r);
  case AffineExprKind::Mod:
    return below ? l : l % r;
  default:
    return e;
  }
}

/// The tensor-core form of a contraction (the `mlc.mma` attribute of its
/// kernel function, which the emitter sets; docs/codegen.md): none, f16 or
/// bf16 operands (exactly representable, converted in shared memory), or
/// tf32 (f32 operands rounded to nearest, ties away, to 10 mantissa bits).
/// All accumulate in f32.
enum class Mma { None, F16, BF16, TF32 };

/// How a contraction's loops map onto the tiled kernel.
struct Contraction {
  linalg::LinalgOp op;
  /// The input (0 or 1) whose own dimensions are the rows.
  unsigned rowOperand = 0;
  /// Indexing maps of input 0, input 1 and the output, simplified.
  SmallVector<AffineMap, 3> maps;
  /// Static loop ranges.
  SmallVector<int64_t> ranges;
  /// Loop dimensions of each role: batch and rows and columns in the order
  /// the output lists them (row-major), the depth in loop order.
  SmallVector<unsigned> batchDims, rowDims, colDims, depthDims;
  int64_t batch = 1, rows = 1, cols = 1, depth = 1;
  Mma mma = Mma::None;
  /// The linalg.fill of the output right before the op, if any: the
  /// accumulators start from its value instead of a load, and the fill
  /// (a launch and a pass over the output of its own) goes.
  linalg::FillOp fill;
  /// The elementwise linalg.generic right after the op that reads its
  /// output, if any: applied to each result before it is stored, and gone
  /// (its launch and its pass over the output with it).
  linalg::GenericOp epilogue;
  /// Whether the op's own output must still be written (something other
  /// than the epilogue reads it).
  bool storeOutput = true;
  /// An input that is a padded copy of another buffer, read in place.
  struct Padded {
    /// The unpadded buffer, the padding value, the low padding and the
    /// extents per dimension of the input.
    Value source, value;
    SmallVector<int64_t> low, size;
    /// The ops that made the copy, and the allocation (gone once the tiles
    /// read the source).
    SmallVector<Operation *> ops;
  };
  std::optional<Padded> padded[2];
};

/// Input `operand` of `op` as a padded copy that the tile loads can read in
/// place: a local allocation that a fill (linalg.fill or a linalg.map
/// yielding one value) writes whole, then a copy (memref.copy or linalg.copy)
/// of the source into a unit-stride subview of it, with only side-effect-free
/// ops or fills of other buffers between the copy and `op`, and nothing else
/// reading it. That is what tensor.pad bufferizes to. Nullopt otherwise.
std::optional<Contraction::Padded> paddedInput(linalg::LinalgOp op,
                                               unsigned operand) {
  Value buffer = op->getOperand(operand);
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  if (!alloc || op->getOperand(1 - operand) == buffer ||
      op->getOperand(2) == buffer)
    return std::nullopt;
  Contraction::Padded p;
  Operation *fill = nullptr;
  memref::SubViewOp view;
  SmallVector<Operation *> deallocs;
  for (Operation *user : buffer.getUsers()) {
    if (user == op.getOperation())
      continue;
    if (isa<memref::DeallocOp>(user)) {
      deallocs.push_back(user);
      continue;
    }
    if (auto f = dyn_cast<linalg::FillOp>(user);
        f && !fill && f.getDpsInitOperand(0)->get() == buffer) {
      fill = user;
      p.value = f.getDpsInputOperand(0)->get();
    } else if (auto m = dyn_cast<linalg::MapOp>(user);
               m && !fill && m.getInputs().empty() && m.getInit() == buffer) {
      auto yield = cast<linalg::YieldOp>(m.getMapper().front().getTerminator());
      if (yield.getNumOperands() != 1 ||
          m.getMapper().isAncestor(yield.getOperand(0).getParentRegion()))
        return std::nullopt;
      fill = user;
      p.value = yield.getOperand(0);
    } else if (auto v = dyn_cast<memref::SubViewOp>(user); v && !view) {
      view = v;
    } else {
      return std::nullopt;
    }
  }
  if (!fill || !view || !view->hasOneUse() || !view.hasUnitStride() ||
      view.getType().getRank() !=
          cast<MemRefType>(buffer.getType()).getRank() ||
      p.value.getType() != getElementTypeOrSelf(buffer.getType()))
    return std::nullopt;
  // The copy: memref.copy, or linalg.copy (the bufferization's memcpy).
  Operation *copy = *view->getUsers().begin();
  if (auto c = dyn_cast<memref::CopyOp>(copy); c && c.getTarget() == view)
    p.source = c.getSource();
  else if (auto l = dyn_cast<linalg::CopyOp>(copy);
           l && l.hasPureBufferSemantics() &&
           l.getDpsInitOperand(0)->get() == view)
    p.source = l.getDpsInputOperand(0)->get();
  else
    return std::nullopt;
  auto sourceType = dyn_cast<MemRefType>(p.source.getType());
  if (!sourceType || !sourceType.hasStaticShape() ||
      !sourceType.getLayout().isIdentity() ||
      sourceType.getShape() != view.getType().getShape())
    return std::nullopt;
  for (int64_t offset : view.getStaticOffsets())
    if (ShapedType::isDynamic(offset))
      return std::nullopt;
  p.low = llvm::to_vector(view.getStaticOffsets());
  p.size = llvm::to_vector(sourceType.getShape());
  // The fill, then the copy, then `op`, in one block; nothing between the
  // copy and `op` may write the source.
  if (fill->getBlock() != op->getBlock() ||
      copy->getBlock() != op->getBlock() || !fill->isBeforeInBlock(copy) ||
      !copy->isBeforeInBlock(op))
    return std::nullopt;
  for (Operation *between = copy->getNextNode(); between != op.getOperation();
       between = between->getNextNode()) {
    if (isMemoryEffectFree(between) && between->getNumRegions() == 0)
      continue;
    auto f = dyn_cast<linalg::FillOp>(between);
    if (!f || f.getDpsInitOperand(0)->get() == p.source)
      return std::nullopt;
  }
  // Erased in this order once `op` is gone.
  p.ops = {copy, view, fill};
  llvm::append_range(p.ops, deallocs);
  p.ops.push_back(alloc);
  return p;
}

/// The buffer `v` is a view of: through subviews, reshapes and casts to the
/// allocation or function argument. Kernel arguments never overlap (the
/// memory plan gives each its own range), so two values alias exactly when
/// their bases are equal.
Value baseOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// The elementwise consumer of `op`'s output that can run in its tiled
/// kernel's stores: the next op with memory effects, a linalg.generic with
/// one output over the output's shape (identity map, all loops parallel,
/// no linalg.index), reading the output through the identity map once and
/// not through any other operand. Sets `storeOutput` to whether the
/// output's buffer is read elsewhere (not a local allocation used by the
/// op and the consumer only).
linalg::GenericOp followingEpilogue(linalg::LinalgOp op, Operation *fill,
                                    bool &storeOutput) {
  Value output = op->getOperand(2);
  Operation *next = op->getNextNode();
  while (next && isMemoryEffectFree(next) && next->getNumRegions() == 0)
    next = next->getNextNode();
  auto generic = dyn_cast_or_null<linalg::GenericOp>(next);
  if (!generic || !generic.hasPureBufferSemantics() ||
      generic.getNumDpsInits() != 1 || generic->getNumResults() != 0 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return linalg::GenericOp();
  // A body of pure, region-free ops (no linalg.index: the stores know the
  // output indices, not the generic's loops by name).
  for (Operation &bodyOp : generic.getBlock()->without_terminator())
    if (isa<linalg::IndexOp>(bodyOp) || bodyOp.getNumRegions() != 0 ||
        !isMemoryEffectFree(&bodyOp))
      return linalg::GenericOp();
  auto outType = cast<MemRefType>(output.getType());
  Value result = generic.getDpsInitOperand(0)->get();
  auto resultType = dyn_cast<MemRefType>(result.getType());
  if (!resultType || resultType.getShape() != outType.getShape() ||
      !resultType.hasStaticShape() ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity())
    return linalg::GenericOp();
  int reads = 0;
  for (OpOperand *in : generic.getDpsInputOperands()) {
    if (in->get() == output) {
      if (!generic.getMatchingIndexingMap(in).isIdentity())
        return linalg::GenericOp();
      ++reads;
    } else if (isa<MemRefType>(in->get().getType())) {
      // Another view of the output would read it before it is written.
      if (baseOf(in->get()) == baseOf(output))
        return linalg::GenericOp();
    } else if (!in->get().getType().isIntOrIndexOrFloat()) {
      return linalg::GenericOp();
    }
  }
  // Its stores must not touch what the tiles still read, nor another part
  // of the output's buffer.
  if (reads != 1 || baseOf(result) == baseOf(op->getOperand(0)) ||
      baseOf(result) == baseOf(op->getOperand(1)) ||
      (result != output && baseOf(result) == baseOf(output)))
    return linalg::GenericOp();
  // An in-place consumer overwrites the output; one that writes elsewhere
  // leaves it to be stored unless it is a local allocation that nothing
  // else reads (deallocations aside).
  storeOutput = result != output;
  if (storeOutput && output.getDefiningOp<memref::AllocOp>()) {
    storeOutput = false;
    for (Operation *user : output.getUsers())
      if (user != op.getOperation() && user != generic.getOperation() &&
          user != fill && !isa<memref::DeallocOp>(user))
        storeOutput = true;
  }
  return generic;
}

/// The linalg.fill that writes `op`'s whole output buffer just before it
/// (only side-effect-free ops between them), or null.
linalg::FillOp precedingFill(linalg::LinalgOp op) {
  Value output = op->getOperand(2);
  // An input that is the output would read the fill's values.
  if (op->getOperand(0) == output || op->getOperand(1) == output)
    return linalg::FillOp();
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev))
      return fill.hasPureBufferSemantics() &&
                     fill.getDpsInitOperand(0)->get() == output &&
                     fill.getDpsInputOperand(0)->get().getType() ==
                         getElementTypeOrSelf(output.getType())
                 ? fill
                 : linalg::FillOp();
    if (!isMemoryEffectFree(prev) || prev->getNumRegions() != 0)
      return linalg::FillOp();
  }
  return linalg::FillOp();
}

/// Whether `body` is `out + a * b` (either order) on f32: what mma.sync
/// computes.
bool isMultiplyAccumulateF32(Block &body) {
  if (body.getNumArguments() != 3 ||
      !llvm::all_of(body.getArgumentTypes(), [](Type t) { return t.isF32(); }))
    return false;
  auto ops = body.without_terminator();
  if (std::distance(ops.begin(), ops.end()) != 2)
    return false;
  auto mul = dyn_cast<arith::MulFOp>(*ops.begin());
  auto add = dyn_cast<arith::AddFOp>(*std::next(ops.begin()));
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!mul || !add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return false;
  auto is = [](Value x, Value y, Value p, Value q) {
    return (x == p && y == q) || (x == q && y == p);
  };
  return is(mul.getLhs(), mul.getRhs(), body.getArgument(0),
            body.getArgument(1)) &&
         is(add.getLhs(), add.getRhs(), body.getArgument(2), mul.getResult());
}

/// Whether the body of a contraction may run on padding values: ops that
/// can trap or have effects are refused.
bool isTrapFreeBody(Block &body) {
  for (Operation &op : body.without_terminator()) {
    if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op) ||
        isa<linalg::IndexOp, arith::DivSIOp, arith::DivUIOp, arith::RemSIOp,
            arith::RemUIOp, arith::CeilDivSIOp, arith::CeilDivUIOp,
            arith::FloorDivSIOp>(op))
      return false;
  }
  return true;
}

/// Product of the ranges of `dims`, or nullopt on overflow.
std::optional<int64_t> extent(ArrayRef<unsigned> dims,
                              ArrayRef<int64_t> ranges) {
  int64_t p = 1;
  for (unsigned d : dims)
    if (__builtin_mul_overflow(p, ranges[d], &p))
      return std::nullopt;
  return p;
}

/// The tiled kernel's view of `op`, or nullopt when it stays with the
/// one-thread-per-element mapping.
std::optional<Contraction> analyze(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 0)
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.hasStaticShape() ||
        !type.getElementType().isIntOrFloat() ||
        type.getElementTypeBitWidth() > 64)
      return std::nullopt;
  }
  if (!isTrapFreeBody(*op.getBlock()))
    return std::nullopt;
  Contraction c;
  c.op = op;
  c.ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> dimMax;
  for (int64_t r : c.ranges) {
    if (ShapedType::isDynamic(r) || r <= 0)
      return std::nullopt;
    dimMax.push_back(r - 1);
  }
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (map.getNumSymbols() != 0)
      return std::nullopt;
    SmallVector<AffineExpr> results;
    for (AffineExpr e : map.getResults())
      results.push_back(simplifyWithRanges(e, dimMax));
    c.maps.push_back(
        AffineMap::get(map.getNumDims(), 0, results, op.getContext()));
  }
  AffineMap out = c.maps[2];
  if (!out.isProjectedPermutation())
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numLoops = op.getNumLoops();
  SmallVector<bool> inOutput(numLoops, false);
  for (AffineExpr e : out.getResults())
    inOutput[cast<AffineDimExpr>(e).getPosition()] = true;
  for (unsigned d = 0; d < numLoops; ++d) {
    bool parallel = iterators[d] == utils::IteratorType::parallel;
    if (parallel != inOutput[d])
      return std::nullopt;
    if (!parallel)
      c.depthDims.push_back(d);
  }
  if (c.depthDims.empty())
    return std::nullopt;
  // Rows: used by one input only; columns: by the other only. The output's
  // innermost dimension should be a column one (coalesced stores).
  auto ownDims = [&](unsigned own) {
    SmallVector<unsigned> dims;
    for (AffineExpr e : out.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (c.maps[own].isFunctionOfDim(d) && !c.maps[1 - own].isFunctionOfDim(d))
        dims.push_back(d);
    }
    return dims;
  };
  unsigned innermost =
      cast<AffineDimExpr>(out.getResults().back()).getPosition();
  if (llvm::is_contained(ownDims(0), innermost))
    c.rowOperand = 1;
  c.rowDims = ownDims(c.rowOperand);
  c.colDims = ownDims(1 - c.rowOperand);
  for (AffineExpr e : out.getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (!llvm::is_contained(c.rowDims, d) && !llvm::is_contained(c.colDims, d))
      c.batchDims.push_back(d);
  }
  std::optional<int64_t> batch = extent(c.batchDims, c.ranges);
  std::optional<int64_t> rows = extent(c.rowDims, c.ranges);
  std::optional<int64_t> cols = extent(c.colDims, c.ranges);
  std::optional<int64_t> depth = extent(c.depthDims, c.ranges);
  if (!batch || !rows || !cols || !depth)
    return std::nullopt;
  c.batch = *batch;
  c.rows = *rows;
  c.cols = *cols;
  c.depth = *depth;
  if (c.rows < kMinRows || c.cols < kMinCols || c.depth < kMinDepth)
    return std::nullopt;
  if (auto fn = op->getParentOfType<func::FuncOp>())
    if (auto mode = fn->getAttrOfType<StringAttr>("mlc.mma");
        mode && isMultiplyAccumulateF32(*op.getBlock()))
      c.mma = mode.getValue() == "f16"    ? Mma::F16
              : mode.getValue() == "bf16" ? Mma::BF16
              : mode.getValue() == "tf32" ? Mma::TF32
                                          : Mma::None;
  // Every linear index (batch x rows x columns outputs, the depth) must fit
  // an int32 grid and the index arithmetic.
  int64_t tiles = ((c.rows + kTileRows - 1) / kTileRows);
  int64_t grid;
  if (__builtin_mul_overflow(tiles, (c.cols + kTileCols - 1) / kTileCols,
                             &grid) ||
      __builtin_mul_overflow(grid, c.batch, &grid) ||
      grid > std::numeric_limits<int32_t>::max())
    return std::nullopt;
  return c;
}

/// Builds the tiled kernel of one contraction inside its launch.
class TileEmitter {
public:
  /// `wgmma`: the tensor-core form uses warpgroups (sm_90a).
  TileEmitter(const Contraction &c, OpBuilder &b, bool wgmma)
      : c_(c), b_(b), loc_(c.op->getLoc()),
        raggedRows_(c.rows % kTileRows != 0),
        raggedCols_(c.cols % kTileCols != 0),
        wgmma_(wgmma && c.mma != Mma::None) {}

  /// Replaces the contraction by its launch.
  void emit();

private:
  Value cst(int64_t v) { return b_.create<arith::ConstantIndexOp>(loc_, v); }
  Value add(Value x, Value y) { return b_.create<arith::AddIOp>(loc_, x, y); }
  Value add(Value x, int64_t y) { return y == 0 ? x : add(x, cst(y)); }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x : b_.create<arith::MulIOp>(loc_, x, cst(y)).getResult();
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : b_.create<arith::DivUIOp>(loc_, x, cst(y)).getResult();
  }
  Value rem(Value x, int64_t y) {
    return b_.create<arith::RemUIOp>(loc_, x, cst(y));
  }
  /// `x < bound`, or null when `ragged` is false (always true).
  Value below(Value x, int64_t bound, bool ragged) {
    if (!ragged)
      return Value();
    return b_.create<arith::CmpIOp>(loc_, arith::CmpIPredicate::ult, x,
                                    cst(bound));
  }
  /// Conjunction of the non-null conditions, or null.
  Value both(Value x, Value y) {
    if (!x || !y)
      return x ? x : y;
    return b_.create<arith::AndIOp>(loc_, x, y);
  }

  /// Row-major indices of `dims` for the linear index `lin`.
  void delinearize(Value lin, ArrayRef<unsigned> dims,
                   SmallVectorImpl<Value> &loops);
  /// Loop indices of the block's batch, linear row `row`, column `col` and
  /// depth `depth` (null: a dimension the access does not use).
  SmallVector<Value> loopIndices(Value row, Value col, Value depth);
  /// Indices into operand `operand` (0, 1 inputs, 2 output) at `loops`.
  SmallVector<Value> indicesOf(unsigned operand, ArrayRef<Value> loops);
  /// Element of operand `operand` at `loops`, or zero where `cond` is false
  /// (null: always loaded).
  Value load(unsigned operand, ArrayRef<Value> loops, Value cond);
  /// Loads both operands' depth tiles from `depth0` on (`count` long) into
  /// shared memory, then applies the body to every micro-tile element.
  void emitDepthTile(Value depth0, int64_t count);
  /// The tensor-core form of the body over one depth tile in shared memory
  /// (zeros beyond the depth): each warp's mma.sync tiles.
  void emitMmaTile();
  /// The warpgroup form of emitMmaTile: each warpgroup's wgmma steps over
  /// the depth tile, from the 16 accumulators and back.
  void emitWgmmaTile();
  /// Element offset of (row, depth) in a shared tile of the warpgroup form:
  /// the core-matrix layout (kCoreRows x kCoreRowBytes) of wgmma's operands.
  Value coreOffset(Value row, Value depth);
  /// The wgmma matrix descriptor of the part of shared tile `tile` that
  /// starts `byteOffset` bytes in (the PTX ISA's "Matrix Descriptor
  /// Format": start address, leading and stride byte offsets, no swizzle).
  Value descriptor(Value tile, Value byteOffset);
  /// Elements of the tile element type in one core-matrix row (16 bytes).
  int64_t coreRowElements() {
    return kCoreRowBytes / (tileElement().getIntOrFloatBitWidth() / 8);
  }
  /// Bytes from one row group of a shared tile to the next: the tile
  /// depth's worth of core matrices (the descriptor's stride byte offset).
  int64_t rowGroupBytes() {
    return kTileDepth / coreRowElements() * kCoreBytes;
  }
  /// `v` (f32) as the shared tiles of the tensor-core form store it.
  Value toTileElement(Value v);
  /// The element type of the shared tiles and fragments: f16, bf16, or f32
  /// (tf32 values).
  Type tileElement() {
    return c_.mma == Mma::F16    ? Type(b_.getF16Type())
           : c_.mma == Mma::BF16 ? Type(b_.getBF16Type())
                                 : Type(b_.getF32Type());
  }
  /// Output row and column in the block's tile of accumulator `slot` of the
  /// calling thread.
  std::pair<Value, Value> accPosition(int64_t slot);
  /// Applies the epilogue to the result `v` at output indices `at` and
  /// stores its value.
  void emitEpilogue(Value v, ArrayRef<Value> at);
  /// Result `result` of the mma fragment map `map` (lane, value id ->
  /// row, column) for value id `value` of the calling thread's lane.
  Value fragmentCoord(AffineMap map, unsigned result, int64_t value);

  const Contraction &c_;
  OpBuilder &b_;
  Location loc_;
  /// Thread index, its column and row; the block's first output row and
  /// column.
  Value tid_, tx_, ty_, row0_, col0_;
  /// Whether the rows (columns) end in a partial tile.
  bool raggedRows_, raggedCols_;
  /// The shared-memory tiles and the private accumulators.
  Value rowTile_, colTile_, acc_;
  /// The block's batch loop indices (null elsewhere).
  SmallVector<Value> batchLoops_;
  /// Tensor-core form: the lane, the warp's first row and column in the
  /// tile, the depth of one mma.sync, and the fragment maps of
  /// nvgpu::getLaneIdAndValueIdToOperandCoord for A (rows x depth), B
  /// (columns x depth) and the accumulators (rows x columns).
  Value lane_, warpRow_, warpCol_;
  int64_t mmaDepth_ = 0;
  AffineMap mapA_, mapB_, mapC_;
  /// Warpgroup form: whether it is on, and the calling thread's warpgroup
  /// and its warp in it.
  bool wgmma_;
  Value warpgroup_, groupWarp_;
};

void TileEmitter::delinearize(Value lin, ArrayRef<unsigned> dims,
                              SmallVectorImpl<Value> &loops) {
  Value rest = lin;
  for (size_t i = dims.size(); i-- > 0;) {
    int64_t n = c_.ranges[dims[i]];
    loops[dims[i]] = i == 0 ? rest : rem(rest, n);
    if (i > 0)
      rest = div(rest, n);
  }
}

SmallVector<Value> TileEmitter::loopIndices(Value row, Value col, Value depth) {
  SmallVector<Value> loops(c_.ranges.size());
  for (unsigned d : c_.batchDims)
    loops[d] = batchLoops_[d];
  if (row)
    delinearize(row, c_.rowDims, loops);
  if (col)
    delinearize(col, c_.colDims, loops);
  if (depth)
    delinearize(depth, c_.depthDims, loops);
  Value zero;
  for (Value &v : loops)
    if (!v)
      v = zero ? zero : (zero = cst(0));
  return loops;
}

SmallVector<Value> TileEmitter::indicesOf(unsigned operand,
                                          ArrayRef<Value> loops) {
  SmallVector<Value> indices;
  for (AffineExpr e : c_.maps[operand].getResults())
    indices.push_back(affine::expandAffineExpr(b_, loc_, e, loops, {}));
  return indices;
}

Value TileEmitter::load(unsigned operand, ArrayRef<Value> loops, Value cond) {
  Value buffer = c_.op->getOperand(operand);
  Type elem = cast<MemRefType>(buffer.getType()).getElementType();
  auto emitLoad = [&]() -> Value {
    SmallVector<Value> indices = indicesOf(operand, loops);
    if (operand > 1 || !c_.padded[operand])
      return b_.create<memref::LoadOp>(loc_, buffer, indices);
    // The padded copy read in place: the source where the index lies in
    // it, else the padding value. Index arithmetic wraps, so one unsigned
    // compare per padded dimension checks both ends.
    const Contraction::Padded &p = *c_.padded[operand];
    auto bufferShape = cast<MemRefType>(buffer.getType()).getShape();
    Value inside;
    for (size_t d = 0; d < indices.size(); ++d) {
      if (p.low[d] == 0 && p.size[d] == bufferShape[d])
        continue;
      if (p.low[d] != 0)
        indices[d] = b_.create<arith::SubIOp>(loc_, indices[d], cst(p.low[d]));
      inside = both(inside, below(indices[d], p.size[d], true));
    }
    if (!inside)
      return b_.create<memref::LoadOp>(loc_, p.source, indices);
    auto guard = b_.create<scf::IfOp>(loc_, TypeRange{elem}, inside,
                                      /*withElseRegion=*/true);
    OpBuilder::InsertionGuard g(b_);
    b_.setInsertionPointToStart(guard.thenBlock());
    b_.create<scf::YieldOp>(
        loc_, b_.create<memref::LoadOp>(loc_, p.source, indices).getResult());
    b_.setInsertionPointToStart(guard.elseBlock());
    b_.create<scf::YieldOp>(loc_, p.value);
    return guard.getResult(0);
  };
  if (!cond)
    return emitLoad();
  auto guard = b_.create<scf::IfOp>(loc_, TypeRange{elem}, cond,
                                    /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard g(b_);
    b_.setInsertionPointToStart(guard.thenBlock());
    b_.create<scf::YieldOp>(loc_, emitLoad());
    b_.setInsertionPointToStart(guard.elseBlock());
    b_.create<scf::YieldOp>(
        loc_,
        b_.create<arith::ConstantOp>(loc_, b_.getZeroAttr(elem)).getResult());
  }
  return guard.getResult(0);
}

Value TileEmitter::toTileElement(Value v) {
  switch (c_.mma) {
  case Mma::None:
    return v;
  case Mma::F16:
  case Mma::BF16:
    // Exact: the emitter proved the operand's values are f16 (bf16) values.
    return b_.create<arith::TruncFOp>(loc_, tileElement(), v);
  case Mma::TF32: {
    // Round to nearest, ties away from zero, in 10 mantissa bits (what
    // cvt.rna.tf32.f32 does): add half of the dropped part to the
    // magnitude and clear it. Overflow rounds to infinity; NaN stays a
    // (quiet) NaN. The hardware reads the top 19 bits only, so rounding
    // here makes device and host emulation agree.
    Type i32 = b_.getI32Type();
    Value bits = b_.create<arith::BitcastOp>(loc_, i32, v);
    auto constant = [&](uint32_t x) {
      return b_.create<arith::ConstantOp>(
          loc_, b_.getI32IntegerAttr(static_cast<int32_t>(x)));
    };
    Value rounded = b_.create<arith::AndIOp>(
        loc_, b_.create<arith::AddIOp>(loc_, bits, constant(0x1000)),
        constant(0xFFFFE000u));
    Value isNan =
        b_.create<arith::CmpFOp>(loc_, arith::CmpFPredicate::UNO, v, v);
    Value nan = b_.create<arith::ConstantOp>(
        loc_, b_.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
    return b_.create<arith::SelectOp>(
        loc_, isNan, nan,
        b_.create<arith::BitcastOp>(loc_, b_.getF32Type(), rounded));
  }
  }
  return v;
}

Value TileEmitter::fragmentCoord(AffineMap map, unsigned result,
                                 int64_t value) {
  MLIRContext *ctx = b_.getContext();
  AffineExpr e = map.getResult(result).replaceDimsAndSymbols(
      {getAffineDimExpr(0, ctx), getAffineConstantExpr(value, ctx)}, {});
  return affine::expandAffineExpr(b_, loc_, simplifyAffineExpr(e, 2, 0),
                                  {lane_, lane_}, {});
}

std::pair<Value, Value> TileEmitter::accPosition(int64_t slot) {
  if (c_.mma == Mma::None)
    return {add(mul(ty_, kMicro), slot / kMicro),
            add(mul(tx_, kMicro), slot % kMicro)};
  if (wgmma_) {
    // Register `slot` of the m64nNk wgmma accumulators (the PTX ISA's
    // "Matrix fragment for accumulator D"): the warp's 16 rows, each group
    // of 4 an 8-column piece, in it rows lane / 4 (+8 for slot % 4 >= 2),
    // columns 2 (lane % 4) + slot % 2.
    Value row =
        add(add(mul(groupWarp_, 16), div(lane_, 4)), ((slot / 2) % 2) * 8);
    Value col = add(add(mul(warpgroup_, kWgmmaCols), mul(rem(lane_, 4), 2)),
                    (slot / 4) * 8 + slot % 2);
    return {row, col};
  }
  // Slot 4 t + v: value v of the thread's part of mma tile t.
  int64_t t = slot / 4, v = slot % 4;
  Value row = add(warpRow_, (t / kMmaPerWarpCol) * kMmaRows);
  Value col = add(warpCol_, (t % kMmaPerWarpCol) * kMmaCols);
  return {add(row, fragmentCoord(mapC_, 0, v)),
          add(col, fragmentCoord(mapC_, 1, v))};
}

void TileEmitter::emitMmaTile() {
  Type elem = tileElement();
  // Per thread: A is 16 x depth / 32 lanes values, B depth x 8 / 32, C
  // 16 x 8 / 32 = 4; registers of 32 bits, two f16 (bf16) or one tf32 each.
  int64_t perRegister = c_.mma == Mma::TF32 ? 1 : 2;
  int64_t aValues = kMmaRows * mmaDepth_ / kWarp;
  int64_t bValues = kMmaCols * mmaDepth_ / kWarp;
  auto aType = VectorType::get({aValues / perRegister, perRegister}, elem);
  auto bType = VectorType::get({bValues / perRegister, perRegister}, elem);
  auto cType = VectorType::get({2, 2}, b_.getF32Type());
  auto fragment = [&](VectorType type, int64_t values, auto element) {
    Value frag = b_.create<arith::ConstantOp>(loc_, b_.getZeroAttr(type));
    for (int64_t v = 0; v < values; ++v) {
      SmallVector<int64_t, 2> at{v / type.getDimSize(1),
                                 v % type.getDimSize(1)};
      frag = b_.create<vector::InsertOp>(loc_, element(v), frag, at);
    }
    return frag;
  };
  for (int64_t k0 = 0; k0 < kTileDepth; k0 += mmaDepth_)
    for (int64_t mi = 0; mi < kMmaPerWarpRow; ++mi)
      for (int64_t ni = 0; ni < kMmaPerWarpCol; ++ni) {
        int64_t t = mi * kMmaPerWarpCol + ni;
        Value rowBase = add(warpRow_, mi * kMmaRows);
        Value colBase = add(warpCol_, ni * kMmaCols);
        // The tiles are [depth][row] and [depth][column].
        Value a = fragment(aType, aValues, [&](int64_t v) {
          return b_.create<memref::LoadOp>(
              loc_, rowTile_,
              ValueRange{add(fragmentCoord(mapA_, 1, v), k0),
                         add(rowBase, fragmentCoord(mapA_, 0, v))});
        });
        Value bf = fragment(bType, bValues, [&](int64_t v) {
          return b_.create<memref::LoadOp>(
              loc_, colTile_,
              ValueRange{add(fragmentCoord(mapB_, 1, v), k0),
                         add(colBase, fragmentCoord(mapB_, 0, v))});
        });
        Value acc = fragment(cType, 4, [&](int64_t v) {
          return b_.create<memref::LoadOp>(loc_, acc_,
                                           ValueRange{cst(4 * t + v)});
        });
        Value d = b_.create<nvgpu::MmaSyncOp>(
            loc_, a, bf, acc, ArrayRef<int64_t>{kMmaRows, kMmaCols, mmaDepth_},
            c_.mma == Mma::TF32);
        for (int64_t v = 0; v < 4; ++v)
          b_.create<memref::StoreOp>(
              loc_,
              b_.create<vector::ExtractOp>(loc_, d,
                                           ArrayRef<int64_t>{v / 2, v % 2}),
              acc_, ValueRange{cst(4 * t + v)});
      }
}

Value TileEmitter::coreOffset(Value row, Value depth) {
  int64_t perRow = coreRowElements();
  int64_t coresDeep = kTileDepth / perRow;
  Value core = add(mul(div(row, kCoreRows), coresDeep), div(depth, perRow));
  return add(
      add(mul(core, kCoreRows * perRow), mul(rem(row, kCoreRows), perRow)),
      rem(depth, perRow));
}

Value TileEmitter::descriptor(Value tile, Value byteOffset) {
  Type i64 = b_.getI64Type();
  auto constant = [&](uint64_t v) -> Value {
    return b_.create<arith::ConstantOp>(
        loc_, b_.getI64IntegerAttr(static_cast<int64_t>(v)));
  };
  Value address =
      add(b_.create<memref::ExtractAlignedPointerAsIndexOp>(loc_, tile),
          byteOffset);
  Value bits = b_.create<arith::IndexCastUIOp>(loc_, i64, address);
  // Bits 0-13: the shared-memory address, (address & 0x3FFFF) >> 4.
  Value start = b_.create<arith::ShRUIOp>(
      loc_, b_.create<arith::AndIOp>(loc_, bits, constant(0x3FFFF)),
      constant(4));
  // Bits 16-29 and 32-45: the leading (along the depth) and stride (along
  // the rows) byte offsets between core matrices, >> 4. Bits 49-51 (base
  // offset) and 62-63 (swizzle) stay 0: no swizzle.
  uint64_t fields = (uint64_t(kCoreBytes >> 4) << 16) |
                    (uint64_t(rowGroupBytes() >> 4) << 32);
  return b_.create<arith::OrIOp>(loc_, start, constant(fields));
}

void TileEmitter::emitWgmmaTile() {
  MLIRContext *ctx = b_.getContext();
  Type f32 = b_.getF32Type();
  auto accType = LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(kMicro * kMicro, f32));
  Value acc = b_.create<LLVM::UndefOp>(loc_, accType);
  for (int64_t r = 0; r < kMicro * kMicro; ++r)
    acc = b_.create<LLVM::InsertValueOp>(
        loc_, acc, b_.create<memref::LoadOp>(loc_, acc_, ValueRange{cst(r)}),
        r);
  // Orders the accumulator registers' writes before the wgmma reads them.
  b_.create<NVVM::WgmmaFenceAlignedOp>(loc_);
  NVVM::WGMMATypes type = c_.mma == Mma::F16    ? NVVM::WGMMATypes::f16
                          : c_.mma == Mma::BF16 ? NVVM::WGMMATypes::bf16
                                                : NVVM::WGMMATypes::tf32;
  int64_t perRow = coreRowElements();
  // The warpgroup's columns: its kWgmmaCols / 8 row groups of the column
  // tile.
  Value colBytes = mul(warpgroup_, kWgmmaCols / kCoreRows * rowGroupBytes());
  for (int64_t k0 = 0; k0 < kTileDepth; k0 += mmaDepth_) {
    int64_t depthBytes = k0 / perRow * kCoreBytes;
    Value a = descriptor(rowTile_, cst(depthBytes));
    Value bd = descriptor(colTile_, add(colBytes, depthBytes));
    // A is rows x depth ("row", K-major) and B columns x depth ("col",
    // K-major): neither is transposed, which tf32 requires.
    acc = b_.create<NVVM::WgmmaMmaAsyncOp>(
        loc_, accType, acc, a, bd,
        NVVM::MMAShapeAttr::get(ctx, kTileRows, kWgmmaCols, mmaDepth_), type,
        type, NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one,
        NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
        NVVM::MMALayout::col, NVVM::MMAIntOverflowAttr());
  }
  b_.create<NVVM::WgmmaGroupSyncAlignedOp>(loc_);
  b_.create<NVVM::WgmmaWaitGroupSyncOp>(loc_, static_cast<uint32_t>(0));
  for (int64_t r = 0; r < kMicro * kMicro; ++r)
    b_.create<memref::StoreOp>(loc_,
                               b_.create<LLVM::ExtractValueOp>(loc_, acc, r),
                               acc_, ValueRange{cst(r)});
}

void TileEmitter::emitDepthTile(Value depth0, int64_t count) {
  unsigned rowOp = c_.rowOperand, colOp = 1 - c_.rowOperand;
  bool partial = count < kTileDepth;

  // Row operand: thread (ty, tx) loads rows ty + 16 r, depth index tx.
  Value depthCond = below(tx_, count, partial);
  Value depthAt = add(depth0, tx_);
  for (int64_t r = 0; r < kTileRows / kThreadRows; ++r) {
    Value local = add(ty_, r * kThreadRows);
    Value row = add(row0_, local);
    Value cond = both(below(row, c_.rows, raggedRows_), depthCond);
    Value v = load(rowOp, loopIndices(row, Value(), depthAt), cond);
    b_.create<memref::StoreOp>(loc_, toTileElement(v), rowTile_,
                               wgmma_ ? ValueRange{coreOffset(local, tx_)}
                                      : ValueRange{tx_, local});
  }
  // Column operand: consecutive threads load consecutive columns.
  Value colLocal = rem(tid_, kTileCols);
  Value depthBase = div(tid_, kTileCols);
  Value col = add(col0_, colLocal);
  Value colCond = below(col, c_.cols, raggedCols_);
  constexpr int64_t kDepthStep = kThreads / kTileCols;
  for (int64_t r = 0; r < kTileDepth / kDepthStep; ++r) {
    Value local = add(depthBase, r * kDepthStep);
    Value cond = both(colCond, below(local, count, partial));
    Value v = load(colOp, loopIndices(Value(), col, add(depth0, local)), cond);
    b_.create<memref::StoreOp>(loc_, toTileElement(v), colTile_,
                               wgmma_ ? ValueRange{coreOffset(colLocal, local)}
                                      : ValueRange{local, colLocal});
  }
  if (wgmma_) {
    // wgmma reads shared memory through the async proxy: the stores above
    // (generic proxy) are made visible to it before the barrier.
    b_.create<NVVM::FenceProxyOp>(
        loc_, NVVM::ProxyKind::async_shared,
        NVVM::SharedSpaceAttr::get(b_.getContext(),
                                   NVVM::SharedSpace::shared_cta));
  }
  b_.create<gpu::BarrierOp>(loc_);

  if (wgmma_) {
    emitWgmmaTile();
    b_.create<gpu::BarrierOp>(loc_);
    return;
  }
  if (c_.mma != Mma::None) {
    // The loads stored zeros beyond `count`: every mma runs the full tile.
    emitMmaTile();
    b_.create<gpu::BarrierOp>(loc_);
    return;
  }

  // Every thread: its micro-tile, through the depth of the tile.
  SmallVector<Value> init;
  for (int64_t i = 0; i < kMicro * kMicro; ++i)
    init.push_back(b_.create<memref::LoadOp>(loc_, acc_, ValueRange{cst(i)}));
  auto loop = b_.create<scf::ForOp>(loc_, cst(0), cst(count), cst(1), init);
  {
    OpBuilder::InsertionGuard g(b_);
    b_.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    SmallVector<Value> rowVals, colVals;
    for (int64_t i = 0; i < kMicro; ++i)
      rowVals.push_back(b_.create<memref::LoadOp>(
          loc_, rowTile_, ValueRange{k, add(mul(ty_, kMicro), i)}));
    for (int64_t j = 0; j < kMicro; ++j)
      colVals.push_back(b_.create<memref::LoadOp>(
          loc_, colTile_, ValueRange{k, add(mul(tx_, kMicro), j)}));
    Block &body = c_.op->getRegion(0).front();
    SmallVector<Value> next;
    for (int64_t i = 0; i < kMicro; ++i)
      for (int64_t j = 0; j < kMicro; ++j) {
        IRMapping map;
        map.map(body.getArgument(rowOp), rowVals[i]);
        map.map(body.getArgument(colOp), colVals[j]);
        map.map(body.getArgument(2), loop.getRegionIterArg(i * kMicro + j));
        for (Operation &op : body.without_terminator())
          b_.clone(op, map);
        next.push_back(
            map.lookupOrDefault(body.getTerminator()->getOperand(0)));
      }
    b_.create<scf::YieldOp>(loc_, next);
  }
  for (int64_t i = 0; i < kMicro * kMicro; ++i)
    b_.create<memref::StoreOp>(loc_, loop.getResult(i), acc_,
                               ValueRange{cst(i)});
  // The next tile overwrites shared memory only after every thread read it.
  b_.create<gpu::BarrierOp>(loc_);
}

void TileEmitter::emit() {
  MLIRContext *ctx = b_.getContext();
  int64_t tilesRows = (c_.rows + kTileRows - 1) / kTileRows;
  int64_t tilesCols = (c_.cols + kTileCols - 1) / kTileCols;
  gpu::LaunchOp launch =
      createGpuLaunch(b_, loc_, c_.batch * tilesRows * tilesCols, kThreads);
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto privateSpace =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Private);
  auto elementOf = [&](unsigned operand) -> Type {
    if (operand < 2 && c_.mma != Mma::None)
      return tileElement();
    return cast<MemRefType>(c_.op->getOperand(operand).getType())
        .getElementType();
  };
  // The warpgroup form's tiles are flat, in core matrices (coreOffset).
  rowTile_ = launch.addWorkgroupAttribution(
      MemRefType::get(wgmma_ ? SmallVector<int64_t>{kTileRows * kTileDepth}
                             : SmallVector<int64_t>{kTileDepth, kRowTileStride},
                      elementOf(c_.rowOperand), MemRefLayoutAttrInterface(),
                      workgroup),
      loc_);
  colTile_ = launch.addWorkgroupAttribution(
      MemRefType::get(wgmma_ ? SmallVector<int64_t>{kTileCols * kTileDepth}
                             : SmallVector<int64_t>{kTileDepth, kTileCols},
                      elementOf(1 - c_.rowOperand), MemRefLayoutAttrInterface(),
                      workgroup),
      loc_);
  acc_ = launch.addPrivateAttribution(
      MemRefType::get({kMicro * kMicro}, elementOf(2),
                      MemRefLayoutAttrInterface(), privateSpace),
      loc_);

  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPoint(launch.getBody().front().getTerminator());
  tid_ = launch.getThreadIds().x;
  Value bid = launch.getBlockIds().x;
  ty_ = div(tid_, kThreadCols);
  tx_ = rem(tid_, kThreadCols);
  Value colBlock = rem(bid, tilesCols);
  Value rest = div(bid, tilesCols);
  Value rowBlock = rem(rest, tilesRows);
  batchLoops_.assign(c_.ranges.size(), Value());
  delinearize(div(rest, tilesRows), c_.batchDims, batchLoops_);
  row0_ = mul(rowBlock, kTileRows);
  col0_ = mul(colBlock, kTileCols);
  if (c_.mma != Mma::None) {
    Value warp = div(tid_, kWarp);
    lane_ = rem(tid_, kWarp);
    warpRow_ = mul(div(warp, kWarpCols), kWarpTileRows);
    warpCol_ = mul(rem(warp, kWarpCols), kWarpTileCols);
    mmaDepth_ = c_.mma == Mma::TF32 ? 8 : 16;
    warpgroup_ = div(tid_, kWarpgroup);
    groupWarp_ = div(rem(tid_, kWarpgroup), kWarp);
    // bf16 fragments are laid out as f16 ones (the maps depend on the
    // element width only; MMAUtils knows f16).
    Type elem =
        c_.mma == Mma::TF32 ? Type(b_.getF32Type()) : Type(b_.getF16Type());
    auto map = [&](int64_t rows, int64_t cols, Type type,
                   nvgpu::MatMulOperandRole role) {
      FailureOr<AffineMap> m = nvgpu::getLaneIdAndValueIdToOperandCoord(
          b_, loc_, {VectorType::get({rows, cols}, type), role});
      assert(succeeded(m) && "mma.sync fragments of f16, f32 are known");
      return *m;
    };
    mapA_ = map(kMmaRows, mmaDepth_, elem, nvgpu::MatMulOperandRole::A);
    mapB_ = map(kMmaCols, mmaDepth_, elem, nvgpu::MatMulOperandRole::B);
    mapC_ =
        map(kMmaRows, kMmaCols, b_.getF32Type(), nvgpu::MatMulOperandRole::C);
  }

  // The thread's outputs: rows 4 ty + i, columns 4 tx + j of the
  // micro-tile, or its values of the warp's mma tiles.
  auto outputAt = [&](int64_t slot, Value &cond) {
    auto [rowLocal, colLocal] = accPosition(slot);
    Value row = add(row0_, rowLocal);
    Value col = add(col0_, colLocal);
    cond = both(below(row, c_.rows, raggedRows_),
                below(col, c_.cols, raggedCols_));
    return loopIndices(row, col, Value());
  };
  for (int64_t slot = 0; slot < kMicro * kMicro; ++slot) {
    Value init;
    if (c_.fill) {
      init = linalg::FillOp(c_.fill).getDpsInputOperand(0)->get();
    } else {
      Value cond;
      SmallVector<Value> loops = outputAt(slot, cond);
      init = load(2, loops, cond);
    }
    b_.create<memref::StoreOp>(loc_, init, acc_, ValueRange{cst(slot)});
  }

  int64_t fullTiles = c_.depth / kTileDepth;
  int64_t remainder = c_.depth % kTileDepth;
  if (fullTiles == 1) {
    emitDepthTile(cst(0), kTileDepth);
  } else if (fullTiles > 1) {
    auto loop = b_.create<scf::ForOp>(loc_, cst(0), cst(fullTiles), cst(1));
    OpBuilder::InsertionGuard g(b_);
    b_.setInsertionPointToStart(loop.getBody());
    emitDepthTile(mul(loop.getInductionVar(), kTileDepth), kTileDepth);
  }
  if (remainder > 0)
    emitDepthTile(cst(fullTiles * kTileDepth), remainder);

  Value output = c_.op->getOperand(2);
  for (int64_t slot = 0; slot < kMicro * kMicro; ++slot) {
    Value cond;
    SmallVector<Value> loops = outputAt(slot, cond);
    OpBuilder::InsertionGuard g(b_);
    if (cond) {
      auto inBounds =
          b_.create<scf::IfOp>(loc_, cond, /*withElseRegion=*/false);
      b_.setInsertionPoint(inBounds.thenBlock()->getTerminator());
    }
    Value v = b_.create<memref::LoadOp>(loc_, acc_, ValueRange{cst(slot)});
    SmallVector<Value> at = indicesOf(2, loops);
    if (!c_.epilogue || c_.storeOutput)
      b_.create<memref::StoreOp>(loc_, v, output, at);
    if (c_.epilogue)
      emitEpilogue(v, at);
  }
}

void TileEmitter::emitEpilogue(Value v, ArrayRef<Value> at) {
  linalg::GenericOp epilogue = c_.epilogue;
  Value output = c_.op->getOperand(2);
  Block &body = epilogue.getRegion().front();
  IRMapping map;
  for (OpOperand &operand : epilogue->getOpOperands()) {
    Value arg = body.getArgument(operand.getOperandNumber());
    Value buffer = operand.get();
    if (buffer == output) {
      // The op's result (as input, or as the in-place output's old value).
      map.map(arg, v);
      continue;
    }
    if (!isa<MemRefType>(buffer.getType())) {
      map.map(arg, buffer);
      continue;
    }
    if (arg.use_empty())
      continue;
    SmallVector<Value> indices;
    for (AffineExpr e : epilogue.getMatchingIndexingMap(&operand).getResults())
      indices.push_back(affine::expandAffineExpr(b_, loc_, e, at, {}));
    map.map(arg, b_.create<memref::LoadOp>(loc_, buffer, indices));
  }
  for (Operation &op : body.without_terminator())
    b_.clone(op, map);
  Value result = map.lookupOrDefault(body.getTerminator()->getOperand(0));
  b_.create<memref::StoreOp>(loc_, result, epilogue.getDpsInitOperand(0)->get(),
                             at);
}

} // namespace

LogicalResult tileContractions(ModuleOp module, bool wgmma) {
  std::vector<Contraction> found;
  module.walk([&](linalg::LinalgOp op) {
    if (std::optional<Contraction> c = analyze(op))
      found.push_back(std::move(*c));
  });
  for (Contraction &c : found) {
    c.fill = precedingFill(c.op);
    c.epilogue = followingEpilogue(c.op, c.fill, c.storeOutput);
    Value output = c.op->getOperand(2);
    for (unsigned k = 0; k < 2; ++k) {
      c.padded[k] = paddedInput(c.op, k);
      // Read in place, the source must not be what the launch writes.
      if (c.padded[k] &&
          (baseOf(c.padded[k]->source) == baseOf(output) ||
           (c.epilogue && baseOf(c.padded[k]->source) ==
                              baseOf(c.epilogue.getDpsInitOperand(0)->get()))))
        c.padded[k].reset();
    }
    // At the epilogue: its operands may be views made after the op (only
    // side-effect-free ops lie between them).
    OpBuilder b(c.epilogue ? c.epilogue.getOperation() : c.op.getOperation());
    TileEmitter(c, b, wgmma).emit();
    c.op->erase();
    if (c.fill)
      c.fill->erase();
    if (c.epilogue)
      c.epilogue->erase();
    for (std::optional<Contraction::Padded> &p : c.padded) {
      if (!p)
        continue;
      for (Operation *op : p->ops)
        op->erase();
    }
  }
  return success();
}

} // namespace mlc::codegen
