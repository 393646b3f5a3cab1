// The CUDA target's MLIR and LLVM stages (see GpuLowering.h). Why it is
// shaped this way: every kernel of the portable form bufferizes to a list
// of scf.parallel nests over static bounds, so one GPU thread per iteration
// is a complete, always-correct mapping for every op of the IR; the launch
// plan is read off the outlined launches, so the runtime needs no generated
// host code at all.
#include "codegen/GpuLowering.h"

#include "codegen/GpuTiling.h"

#include "codegen/KernelScratch.h"
#include "codegen/Lowering.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Utils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/InliningUtils.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

#include <cstdlib>
#include <limits>
#include <mutex>

namespace mlc::codegen {
namespace {

using namespace mlir;
using Value = mlir::Value;
using Type = mlir::Type;

/// Threads per block of the one-thread-per-iteration mapping.
constexpr int64_t kBlockThreads = 256;
/// The PTX ISA version the NVPTX backend writes (CUDA 12.0 and later read
/// it; sm_90 needs at least 7.8).
constexpr const char *kPtxFeatures = "+ptx80";

/// Product of `values`, or nullopt on int64 overflow.
std::optional<int64_t> checkedProduct(ArrayRef<int64_t> values) {
  int64_t p = 1;
  for (int64_t v : values)
    if (__builtin_mul_overflow(p, v, &p))
      return std::nullopt;
  return p;
}

/// Replaces `loop` (static bounds, no reductions) by a launch with one
/// thread per iteration; an empty loop is just erased.
LogicalResult launchParallelLoop(scf::ParallelOp loop) {
  if (loop.getNumResults() != 0)
    return loop.emitError("parallel loop with reductions");
  SmallVector<int64_t> lbs, counts, steps;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb);
    std::optional<int64_t> u = getConstantIntValue(ub);
    std::optional<int64_t> s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return loop.emitError("parallel loop without static bounds");
    lbs.push_back(*l);
    steps.push_back(*s);
    counts.push_back(*u > *l ? (*u - *l + *s - 1) / *s : 0);
  }
  std::optional<int64_t> total = checkedProduct(counts);
  if (!total)
    return loop.emitError("parallel loop trip count overflows int64");
  if (*total == 0) {
    loop.erase();
    return success();
  }
  int64_t block = std::min<int64_t>(kBlockThreads, (*total + 31) / 32 * 32);
  int64_t grid = (*total + block - 1) / block;
  if (grid > std::numeric_limits<int32_t>::max())
    return loop.emitError("parallel loop too large for one GPU grid");

  Location loc = loop.getLoc();
  OpBuilder b(loop);
  gpu::LaunchOp launch = createGpuLaunch(b, loc, grid, block);
  b.setInsertionPoint(launch.getBody().front().getTerminator());
  Value bid = launch.getBlockIds().x, tid = launch.getThreadIds().x;
  Value lin = b.create<arith::AddIOp>(
      loc,
      b.create<arith::MulIOp>(loc, bid,
                              b.create<arith::ConstantIndexOp>(loc, block)),
      tid);
  Value inBounds =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, lin,
                              b.create<arith::ConstantIndexOp>(loc, *total));
  auto guard = b.create<scf::IfOp>(loc, inBounds, /*withElseRegion=*/false);
  b.setInsertionPoint(guard.thenBlock()->getTerminator());
  // Row-major delinearization: the last loop dimension varies fastest, so
  // neighbouring threads touch neighbouring elements.
  IRMapping map;
  Value rest = lin;
  for (size_t d = counts.size(); d-- > 0;) {
    Value idx = rest;
    if (d > 0) {
      Value n = b.create<arith::ConstantIndexOp>(loc, counts[d]);
      idx = b.create<arith::RemUIOp>(loc, rest, n);
      rest = b.create<arith::DivUIOp>(loc, rest, n);
    }
    if (steps[d] != 1)
      idx = b.create<arith::MulIOp>(
          loc, idx, b.create<arith::ConstantIndexOp>(loc, steps[d]));
    if (lbs[d] != 0)
      idx = b.create<arith::AddIOp>(
          loc, idx, b.create<arith::ConstantIndexOp>(loc, lbs[d]));
    map.map(loop.getInductionVars()[d], idx);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, map);
  loop.erase();
  return success();
}

/// Moves a run of top-level ops that touch memory (scalar stores, loops
/// over reductions to one element) into a launch of one thread. Pure ops of
/// the run are cloned (later launches may use them too).
LogicalResult launchSerialRun(ArrayRef<Operation *> run) {
  Location loc = run.front()->getLoc();
  OpBuilder b(run.front());
  gpu::LaunchOp launch = createGpuLaunch(b, loc, 1, 1);
  b.setInsertionPoint(launch.getBody().front().getTerminator());
  IRMapping map;
  llvm::SmallPtrSet<Operation *, 16> inRun(run.begin(), run.end());
  for (Operation *op : run)
    b.clone(*op, map);
  for (Operation *op : llvm::reverse(run)) {
    if (isMemoryEffectFree(op))
      continue;
    for (Operation *user : op->getUsers())
      if (!inRun.count(user))
        return op->emitError("a value computed on the GPU is used on the host");
    op->erase();
  }
  return success();
}

/// Step 4 of lowerToPTX on the inlined graph function.
LogicalResult createLaunches(func::FuncOp graph) {
  Block &body = graph.getBody().front();
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  SmallVector<Operation *> run;
  bool runTouchesMemory = false;
  auto flush = [&]() -> LogicalResult {
    if (runTouchesMemory && failed(launchSerialRun(run)))
      return failure();
    run.clear();
    runTouchesMemory = false;
    return success();
  };
  for (Operation *op : ops) {
    if (isa<gpu::LaunchOp>(op)) { // a tiled contraction (GpuTiling.h)
      if (failed(flush()))
        return failure();
      continue;
    }
    if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
      if (failed(flush()))
        return failure();
      if (failed(launchParallelLoop(loop)))
        return failure();
      continue;
    }
    if (isa<memref::AllocOp, memref::AllocaOp>(op))
      return op->emitError("kernel temporary left outside the arena");
    if (isa<memref::DeallocOp>(op)) {
      op->erase();
      continue;
    }
    run.push_back(op);
    runTouchesMemory |= !isMemoryEffectFree(op);
  }
  return flush();
}

/// pow(x, y) for a float scalar: exp(y * log|x|), negated for a negative x
/// and an odd integer y, NaN for a negative x and a non-integer y, and
/// pow(0, y) = 0, 1 or +inf for y > 0, y = 0 and y < 0 (C's powf).
Value expandPowF(OpBuilder &b, Location loc, Value x, Value y) {
  Type t = x.getType();
  auto c = [&](double v) {
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(t, v)).getResult();
  };
  Value ax = b.create<math::AbsFOp>(loc, x);
  Value mag = b.create<math::ExpOp>(
      loc, b.create<arith::MulFOp>(loc, y, b.create<math::LogOp>(loc, ax)));
  Value yInt = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ,
                                       b.create<math::FloorOp>(loc, y), y);
  Value half = b.create<arith::MulFOp>(loc, y, c(0.5));
  Value yOdd = b.create<arith::AndIOp>(
      loc, yInt,
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE,
                              b.create<math::FloorOp>(loc, half), half));
  Value xNeg =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, c(0.0));
  Value negated = b.create<arith::SelectOp>(
      loc, yOdd, b.create<arith::NegFOp>(loc, mag), mag);
  Value negative = b.create<arith::SelectOp>(
      loc, yInt, negated, c(std::numeric_limits<double>::quiet_NaN()));
  Value r = b.create<arith::SelectOp>(loc, xNeg, negative, mag);
  Value xZero =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, x, c(0.0));
  Value zeroPow = b.create<arith::SelectOp>(
      loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, y, c(0.0)),
      c(0.0),
      b.create<arith::SelectOp>(
          loc,
          b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, y, c(0.0)),
          c(1.0), c(std::numeric_limits<double>::infinity())));
  return b.create<arith::SelectOp>(loc, xZero, zeroPow, r);
}

/// Step 3b: math that PTX has no instruction for becomes arithmetic (pow
/// through exp and log, then the polynomial approximations shared with the
/// CPU). Math it has instructions for is left to useNativeMath.
LogicalResult legalizeMath(ModuleOp module) {
  {
    RewritePatternSet patterns(module.getContext());
    populateMathAlgebraicSimplificationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(module, std::move(patterns))))
      return failure();
  }
  SmallVector<math::PowFOp> pows;
  module.walk([&](math::PowFOp op) { pows.push_back(op); });
  for (math::PowFOp op : pows) {
    if (!isa<FloatType>(op.getType()))
      continue;
    OpBuilder b(op);
    op.replaceAllUsesWith(expandPowF(b, op.getLoc(), op.getLhs(), op.getRhs()));
    op.erase();
  }
  // rsqrt as 1 / sqrt: sqrt.rn and div.rn are exact to the ulp, PTX's
  // rsqrt.approx is not.
  SmallVector<math::RsqrtOp> rsqrts;
  module.walk([&](math::RsqrtOp op) { rsqrts.push_back(op); });
  for (math::RsqrtOp op : rsqrts) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value one =
        b.create<arith::ConstantOp>(loc, b.getFloatAttr(op.getType(), 1.0));
    op.replaceAllUsesWith(
        b.create<arith::DivFOp>(loc, one,
                                b.create<math::SqrtOp>(loc, op.getOperand()))
            .getResult());
    op.erase();
  }
  if (failed(approximateMath(module)))
    return failure();
  return success();
}

/// Pure, region-free ops (constants, views, shape casts) are recomputed
/// where they are used instead of being passed in. An mma.sync is pure too
/// but a warp-wide exchange, which the emulator keeps in place.
bool isSinkable(Operation *op) {
  return op->getNumRegions() == 0 && isMemoryEffectFree(op) &&
         !isa<nvgpu::MmaSyncOp>(op);
}

/// Whether `op` is or contains an op that ends a phase of emulation: a
/// gpu.barrier (block-wide), an nvgpu.mma.sync (warp-wide) or an
/// nvvm.wgmma.mma_async (warpgroup-wide).
bool splitsPhases(Operation *op) {
  return op
      ->walk([](Operation *inner) {
        return isa<gpu::BarrierOp, nvgpu::MmaSyncOp, NVVM::WgmmaMmaAsyncOp>(
                   inner)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// The wgmma ordering ops (fences of registers and of the async proxy,
/// commit and wait): the emulator runs each wgmma to completion where it
/// stands, so they have nothing left to order.
bool isWgmmaOrdering(Operation *op) {
  return isa<NVVM::WgmmaFenceAlignedOp, NVVM::WgmmaGroupSyncAlignedOp,
             NVVM::WgmmaWaitGroupSyncOp, NVVM::FenceProxyOp>(op);
}

/// Where value `valueId` of an mma.sync operand lives, by the PTX ISA's
/// fragment layouts ("Matrix Fragments for mma.m16n8k16" and
/// "mma.m16n8k8", .f16 and .tf32): the lane of the warp and the value id
/// (the flattened index into the thread's fragment vector).
struct FragmentSlot {
  Value lane, value;
};

/// Index arithmetic by constants at one insertion point, for the layouts.
struct IndexMath {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value div(Value x, int64_t y) {
    return b.create<arith::DivUIOp>(loc, x, c(y));
  }
  Value rem(Value x, int64_t y) {
    return b.create<arith::RemUIOp>(loc, x, c(y));
  }
  Value mul(Value x, int64_t y) {
    return b.create<arith::MulIOp>(loc, x, c(y));
  }
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
};

/// A(m, k) of an m16n8kK mma (K = 16: f16, 8: tf32).
FragmentSlot fragmentA(IndexMath i, Value m, Value k, int64_t depth) {
  if (depth == 16) // a_i: row g (+8 for i % 4 >= 2), column 2 t + i % 2
    return {i.add(i.mul(i.rem(m, 8), 4), i.div(i.rem(k, 8), 2)),
            i.add(i.mul(i.add(i.mul(i.div(k, 8), 2), i.div(m, 8)), 2),
                  i.rem(k, 2))};
  // tf32, a_i: row g (+8 for odd i), column t (+4 for i >= 2)
  return {i.add(i.mul(i.rem(m, 8), 4), i.rem(k, 4)),
          i.add(i.mul(i.div(k, 4), 2), i.div(m, 8))};
}

/// B(k, n) of an m16n8kK mma.
FragmentSlot fragmentB(IndexMath i, Value k, Value n, int64_t depth) {
  if (depth == 16) // b_i: row 2 t + i % 2 (+8 for i >= 2), column g
    return {i.add(i.mul(n, 4), i.div(i.rem(k, 8), 2)),
            i.add(i.mul(i.div(k, 8), 2), i.rem(k, 2))};
  // tf32, b_i: row t (+4 for i = 1), column g
  return {i.add(i.mul(n, 4), i.rem(k, 4)), i.div(k, 4)};
}

/// C(m, n) and D(m, n) (f32): c_i at row g (+8 for i >= 2), column
/// 2 t + i % 2.
FragmentSlot fragmentC(IndexMath i, Value m, Value n) {
  return {i.add(i.mul(i.rem(m, 8), 4), i.div(n, 2)),
          i.add(i.mul(i.div(m, 8), 2), i.rem(n, 2))};
}

/// Where D(m, n) of an m64nNk wgmma (f32) lives, by the PTX ISA's
/// "Matrix fragment for accumulator D": warp m / 16 of the warpgroup, lane
/// 4 (m % 8) + (n % 8) / 2, register 4 (n / 8) + 2 ((m % 16) / 8) + n % 2.
/// `lane` is the thread within the warpgroup.
FragmentSlot fragmentWgmmaD(IndexMath i, Value m, Value n) {
  Value lane = i.add(i.mul(i.div(m, 16), 32),
                     i.add(i.mul(i.rem(m, 8), 4), i.div(i.rem(n, 8), 2)));
  Value reg =
      i.add(i.add(i.mul(i.div(n, 8), 4), i.mul(i.div(i.rem(m, 16), 8), 2)),
            i.rem(n, 2));
  return {lane, reg};
}

/// `v` as the tensor cores read an operand, in f32: f16 and bf16 widened,
/// and with `tf32` an f32 cut to its top 19 bits (as the hardware reads a
/// tf32 operand).
Value operandValue(OpBuilder &k, Location loc, Value v, bool tf32) {
  Type f32 = k.getF32Type();
  if (v.getType() != f32)
    return k.create<arith::ExtFOp>(loc, f32, v);
  if (!tf32)
    return v;
  Type i32 = k.getI32Type();
  Value bits = k.create<arith::BitcastOp>(loc, i32, v);
  Value mask = k.create<arith::ConstantOp>(
      loc, k.getI32IntegerAttr(static_cast<int32_t>(0xFFFFE000u)));
  return k.create<arith::BitcastOp>(loc, f32,
                                    k.create<arith::AndIOp>(loc, bits, mask));
}

/// The product loops of one tensor-core op for the threads from `first`
/// (a warp or a warpgroup) at `b`: for m < rows and n < cols, D(m, n),
/// which lives in `acc` [threads, values] at `slotOf(m, n)` (the thread
/// from `first` and the value), becomes itself plus the sum over k < depth
/// of `product(builder, m, n, k)`. D shares C's buffer: each position is
/// read before it is written.
void emitProductLoops(
    OpBuilder &b, Location loc, Value first, Value acc, int64_t rows,
    int64_t cols, int64_t depth,
    llvm::function_ref<FragmentSlot(IndexMath, Value, Value)> slotOf,
    llvm::function_ref<Value(OpBuilder &, Value, Value, Value)> product) {
  auto c = [&](int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); };
  Value c0 = c(0), c1 = c(1), cCols = c(cols), cDepth = c(depth);
  auto rowLoop = b.create<scf::ForOp>(loc, c0, c(rows), c1);
  OpBuilder r(rowLoop.getBody()->getTerminator());
  auto colLoop = r.create<scf::ForOp>(loc, c0, cCols, c1);
  OpBuilder in(colLoop.getBody()->getTerminator());
  Value m = rowLoop.getInductionVar(), n = colLoop.getInductionVar();
  FragmentSlot slot = slotOf({in, loc}, m, n);
  Value thread = in.create<arith::AddIOp>(loc, first, slot.lane);
  Value init =
      in.create<memref::LoadOp>(loc, acc, ValueRange{thread, slot.value});
  auto ks = in.create<scf::ForOp>(loc, c0, cDepth, c1, ValueRange{init});
  {
    OpBuilder k(ks.getBody(), ks.getBody()->begin());
    Value sum = k.create<arith::AddFOp>(loc, ks.getRegionIterArg(0),
                                        product(k, m, n, ks.getInductionVar()));
    k.create<scf::YieldOp>(loc, sum);
  }
  in.create<memref::StoreOp>(loc, ks.getResult(0), acc,
                             ValueRange{thread, slot.value});
}

/// Whether `op` (or an op nested in it) stores to shared memory.
bool storesShared(Operation *op) {
  return op
      ->walk([](memref::StoreOp store) {
        auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(
            store.getMemRefType().getMemorySpace());
        return space && space.getValue() == gpu::AddressSpace::Workgroup
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// The rules of the wgmma protocol that a synchronous emulation cannot
/// show by its results, checked on the ops of `block` in order (the PTX
/// ISA's "Asynchronous Warpgroup Level Matrix Multiply-Accumulate"):
///   - shared-memory stores reach a wgmma only through a
///     fence.proxy.async and then a barrier (wgmma reads through the async
///     proxy, and other threads' stores need the barrier);
///   - a wgmma.fence comes before the first wgmma after a wait (register
///     accesses are ordered by it);
///   - a wgmma.wait_group follows a wgmma.commit_group of every wgmma
///     before it (an uncommitted wgmma is not waited for);
///   - its result is read, other than by the next wgmma, only after a
///     wait, and in the wgmma's block;
///   - shared memory is not stored to again, and the block does not end,
///     until a barrier after the wait (other warpgroups may still read);
///   - the form is the one emulated: K-major A and B (row, col), scales of
///     one, equal operand types, f32 results of N / 2 per thread.
LogicalResult checkWgmmaProtocol(Block &block) {
  int64_t lastStore = -1, lastProxyFence = -1, lastBarrier = -1;
  bool registersFenced = false, uncommitted = false, inFlight = false;
  bool waited = false;
  int64_t index = 0;
  for (Operation &op : block) {
    ++index;
    if (isa<gpu::BarrierOp>(op)) {
      lastBarrier = index;
      if (waited)
        inFlight = waited = false;
      continue;
    }
    if (isa<NVVM::FenceProxyOp>(op)) {
      lastProxyFence = index;
      continue;
    }
    if (isa<NVVM::WgmmaFenceAlignedOp>(op)) {
      registersFenced = true;
      continue;
    }
    if (isa<NVVM::WgmmaGroupSyncAlignedOp>(op)) {
      uncommitted = false;
      continue;
    }
    if (isa<NVVM::WgmmaWaitGroupSyncOp>(op)) {
      if (uncommitted)
        return op.emitError("emulation: a wgmma.wait_group after a wgmma "
                            "that was not committed");
      registersFenced = false;
      waited = inFlight;
      continue;
    }
    if (auto wgmma = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op)) {
      if (lastStore >= 0 &&
          !(lastStore < lastProxyFence && lastProxyFence < lastBarrier))
        return wgmma.emitError("emulation: shared-memory stores reach a wgmma "
                               "without a fence.proxy.async and a barrier "
                               "after them");
      if (!registersFenced)
        return wgmma.emitError("emulation: a wgmma without a wgmma.fence "
                               "before it");
      NVVM::MMAShapeAttr shape = wgmma.getShape();
      auto acc = cast<LLVM::LLVMStructType>(wgmma.getInouts().getType());
      bool f32 = llvm::all_of(acc.getBody(), [](Type t) { return t.isF32(); });
      if (wgmma.getLayoutA() != NVVM::MMALayout::row ||
          wgmma.getLayoutB() != NVVM::MMALayout::col ||
          wgmma.getScaleA() != NVVM::WGMMAScaleIn::one ||
          wgmma.getScaleB() != NVVM::WGMMAScaleIn::one ||
          wgmma.getScaleD() != NVVM::WGMMAScaleOut::one ||
          wgmma.getTypeA() != wgmma.getTypeB() ||
          wgmma.getTypeD() != NVVM::WGMMATypes::f32 || wgmma.getSatfinite() ||
          shape.getM() != 64 ||
          static_cast<int64_t>(acc.getBody().size()) != shape.getN() / 2 ||
          !f32)
        return wgmma.emitError("emulation: a wgmma form the emulator does not "
                               "model");
      for (Operation *user : wgmma.getResult().getUsers()) {
        if (user->getBlock() != wgmma->getBlock())
          return wgmma.emitError("emulation: a wgmma result is used outside "
                                 "the wgmma's block");
        if (isa<NVVM::WgmmaMmaAsyncOp>(user))
          continue;
        bool sawWait = false;
        for (Operation *o = wgmma->getNextNode(); o && o != user;
             o = o->getNextNode())
          sawWait = sawWait || isa<NVVM::WgmmaWaitGroupSyncOp>(o);
        if (!sawWait)
          return wgmma.emitError("emulation: a wgmma result is read before "
                                 "a wgmma.wait_group");
      }
      uncommitted = inFlight = true;
      waited = false;
      continue;
    }
    if (storesShared(&op)) {
      if (inFlight)
        return op.emitError("emulation: shared memory is stored to while a "
                            "wgmma may still read it (no wgmma.wait_group "
                            "and barrier in between)");
      lastStore = index;
    }
    for (Region &region : op.getRegions())
      for (Block &inner : region)
        if (failed(checkWgmmaProtocol(inner)))
          return failure();
  }
  if (inFlight)
    return block.getParentOp()->emitError(
        "emulation: a block ends with a wgmma not waited for and followed "
        "by a barrier");
  return success();
}

/// Runs one launch's body for every block and thread on the host, keeping
/// the semantics of its barriers: the body is cut at each barrier into
/// phases, and each phase runs for all threads of the block before the
/// next starts. A loop around barriers (with thread-independent bounds)
/// stays a loop around its phases. Per-thread values cross a barrier only
/// through memory: private attributions get one copy per thread, and pure
/// ops are recomputed in each phase that uses them. Anything else (a value
/// of one phase used in another, a barrier under a branch) is an error.
/// An nvgpu.mma.sync is a warp-wide exchange and ends a phase too: each
/// thread stores its fragments into staging buffers [threads, values],
/// the product is computed per warp from the PTX ISA's fragment layouts
/// (fragmentA/B/C, written independently of the maps the kernels are built
/// with), and the next phase reads each thread's result back.
/// An nvvm.wgmma.mma_async is a warpgroup-wide one: each thread stages its
/// accumulators and its two matrix descriptors, and the product is computed
/// per warpgroup from the first thread's descriptors, decoded by the PTX
/// ISA's "Matrix Descriptor Format" (start address, leading and stride byte
/// offsets; a swizzled one gives NaN) against the block's shared memory,
/// which for such a launch is one arena: a descriptor's 18-bit address,
/// less the arena's, is the offset in it. Its fences, commits and
/// waits have nothing to order then; checkWgmmaProtocol checks their order
/// instead.
class LaunchEmulator {
public:
  explicit LaunchEmulator(gpu::LaunchOp launch) : launch_(launch) {}

  /// Replaces the launch by its host loops.
  LogicalResult run();

private:
  /// `v` in the scope of `map`, recomputing pure launch ops before `b`'s
  /// insertion point as needed.
  FailureOr<Value> materialize(OpBuilder &b, Value v, IRMapping &map);
  /// Emulates the ops of `block` for all threads in scope `map`.
  LogicalResult emitBlock(OpBuilder &b, Block &block, IRMapping &map);
  /// One phase: `ops` for every thread, then each thread's `stage` values
  /// (vectors) stored into their staging buffers.
  LogicalResult emitPhase(OpBuilder &b, ArrayRef<Operation *> ops,
                          IRMapping &scope,
                          ArrayRef<std::pair<Value, Value>> stage = {});
  /// The staging buffer [threads, values] of fragments of `type` (a
  /// vector, a struct of one element type, or a scalar) in `role` (0: A,
  /// 1: B, 2: C and D, 3 and 4: the wgmma descriptors of A and B).
  Value stagingBuffer(int role, Type type);
  /// One mma.sync for every warp, from and to the staging buffers.
  void emitWarpMma(OpBuilder &b, nvgpu::MmaSyncOp mma);
  /// One wgmma for every warpgroup, from and to the staging buffers.
  void emitWarpgroupMma(OpBuilder &b, NVVM::WgmmaMmaAsyncOp mma);

  gpu::LaunchOp launch_;
  Value threadCount_;
  int64_t threads_ = 0;
  /// Private attribution -> its per-thread host buffer [threads, shape...].
  SmallVector<std::pair<Value, Value>> privates_;
  /// Staging buffers by role and fragment type, allocated before the launch.
  SmallVector<std::tuple<int, Type, Value>> staging_;
  /// Phases emitted so far; an mma result -> (its staging buffer, the one
  /// phase that may read it).
  int64_t phases_ = 0;
  llvm::DenseMap<Value, std::pair<Value, int64_t>> mmaResults_;
  /// Launches with wgmma: the block's shared memory as one i8 arena, and
  /// each workgroup attribution's byte offset in it.
  Value shared_;
  llvm::DenseMap<Value, int64_t> sharedOffsets_;
};

/// The element type and count of a staged value's type.
std::pair<Type, int64_t> stagedShape(Type type) {
  if (auto vector = dyn_cast<VectorType>(type))
    return {vector.getElementType(), vector.getNumElements()};
  if (auto s = dyn_cast<LLVM::LLVMStructType>(type))
    return {s.getBody().front(), static_cast<int64_t>(s.getBody().size())};
  return {type, 1};
}

Value LaunchEmulator::stagingBuffer(int role, Type type) {
  for (auto &[r, t, buffer] : staging_)
    if (r == role && t == type)
      return buffer;
  OpBuilder b(launch_);
  auto [elem, count] = stagedShape(type);
  Value buffer = b.create<memref::AllocaOp>(
      launch_.getLoc(), MemRefType::get({threads_, count}, elem));
  staging_.push_back({role, type, buffer});
  return buffer;
}

void LaunchEmulator::emitWarpgroupMma(OpBuilder &b, NVVM::WgmmaMmaAsyncOp mma) {
  Location loc = mma.getLoc();
  auto c = [&](int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); };
  Value acc = stagingBuffer(2, mma.getInouts().getType());
  Value descA = stagingBuffer(3, mma.getDescriptorA().getType());
  Value descB = stagingBuffer(4, mma.getDescriptorB().getType());
  NVVM::MMAShapeAttr shape = mma.getShape();
  NVVM::WGMMATypes kind = mma.getTypeA();
  Type elem = kind == NVVM::WGMMATypes::f16    ? Type(b.getF16Type())
              : kind == NVVM::WGMMATypes::bf16 ? Type(b.getBF16Type())
                                               : Type(b.getF32Type());
  int64_t bytes = elem.getIntOrFloatBitWidth() / 8;
  auto sharedType = cast<MemRefType>(shared_.getType());
  Value c0 = c(0), c1 = c(1);
  Value view = b.create<memref::ViewOp>(
      loc, MemRefType::get({sharedType.getNumElements() / bytes}, elem),
      shared_, c0, ValueRange{});
  Value cGroups = c(threads_ / 128), c16 = c(16), c128 = c(128);
  auto groups = b.create<scf::ForOp>(loc, c0, cGroups, c1);
  OpBuilder g(groups.getBody()->getTerminator());
  Value first = g.create<arith::MulIOp>(loc, groups.getInductionVar(), c128);
  // A descriptor's fields: the start address, the leading (along the
  // depth) and stride (along the rows) byte offsets, and whether its
  // elements read as NaN (a swizzled layout, or descriptors that differ
  // within the warpgroup: neither is modelled).
  struct Decoded {
    Value start, leading, stride, swizzled;
  };
  // The arena's own 14-bit address field: descriptors address the arena
  // relative to it, modulo 2^18 bytes as the hardware's shared window.
  auto i64Constant = [&](int64_t v) -> Value {
    return g.create<arith::ConstantOp>(loc, g.getI64IntegerAttr(v));
  };
  Value base = g.create<arith::AndIOp>(
      loc,
      g.create<arith::ShRUIOp>(
          loc,
          g.create<arith::IndexCastUIOp>(
              loc, g.getI64Type(),
              g.create<memref::ExtractAlignedPointerAsIndexOp>(loc, shared_)),
          i64Constant(4)),
      i64Constant(0x3FFF));
  auto decode = [&](Value d) {
    auto field = [&](int64_t shift, int64_t mask, Value minus = Value()) {
      Value bits = g.create<arith::ShRUIOp>(loc, d, i64Constant(shift));
      if (minus)
        bits = g.create<arith::SubIOp>(loc, bits, minus);
      bits = g.create<arith::AndIOp>(loc, bits, i64Constant(mask));
      return g.create<arith::IndexCastUIOp>(loc, g.getIndexType(), bits)
          .getResult();
    };
    Decoded r{g.create<arith::MulIOp>(loc, field(0, 0x3FFF, base), c16),
              g.create<arith::MulIOp>(loc, field(16, 0x3FFF), c16),
              g.create<arith::MulIOp>(loc, field(32, 0x3FFF), c16),
              g.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne,
                                      field(62, 3), c0)};
    return r;
  };
  Value firstA = g.create<memref::LoadOp>(loc, descA, ValueRange{first, c0});
  Value firstB = g.create<memref::LoadOp>(loc, descB, ValueRange{first, c0});
  Decoded a = decode(firstA), bd = decode(firstB);
  // Every thread of the warpgroup must pass the same descriptors: where
  // one differs, the results are NaN.
  Value none = g.create<arith::ConstantOp>(loc, g.getBoolAttr(false));
  auto threadsLoop = g.create<scf::ForOp>(loc, c0, c128, c1, ValueRange{none});
  {
    OpBuilder t(threadsLoop.getBody(), threadsLoop.getBody()->begin());
    Value thread =
        t.create<arith::AddIOp>(loc, first, threadsLoop.getInductionVar());
    Value differs = threadsLoop.getRegionIterArg(0);
    for (auto [buffer, theirs] : {std::pair(descA, firstA), {descB, firstB}}) {
      Value mine =
          t.create<memref::LoadOp>(loc, buffer, ValueRange{thread, c0});
      differs = t.create<arith::OrIOp>(
          loc, differs,
          t.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, mine, theirs));
    }
    t.create<scf::YieldOp>(loc, differs);
  }
  Value differ = threadsLoop.getResult(0);
  a.swizzled = g.create<arith::OrIOp>(loc, a.swizzled, differ);
  bd.swizzled = g.create<arith::OrIOp>(loc, bd.swizzled, differ);
  int64_t perRow = 16 / bytes;
  emitProductLoops(
      g, loc, first, acc, shape.getM(), shape.getN(), shape.getK(),
      fragmentWgmmaD, [&](OpBuilder &k, Value m, Value n, Value kk) {
        IndexMath im{k, loc};
        // Element (row, depth) of the K-major operand `d` describes: core
        // matrix (row / 8, depth / perRow), in it row row % 8 of 16 bytes.
        auto element = [&](const Decoded &d, Value row) {
          Value at = im.add(
              im.add(d.start, im.add(k.create<arith::MulIOp>(
                                         loc, im.div(row, 8), d.stride),
                                     k.create<arith::MulIOp>(
                                         loc, im.div(kk, perRow), d.leading))),
              im.add(im.mul(im.rem(row, 8), 16),
                     im.mul(im.rem(kk, perRow), bytes)));
          Value v = operandValue(k, loc,
                                 k.create<memref::LoadOp>(
                                     loc, view, ValueRange{im.div(at, bytes)}),
                                 /*tf32=*/true);
          // Only uniform, unswizzled descriptors are modelled: else NaN.
          Value nan = k.create<arith::ConstantOp>(
              loc, k.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
          return k.create<arith::SelectOp>(loc, d.swizzled, nan, v).getResult();
        };
        return k.create<arith::MulFOp>(loc, element(a, m), element(bd, n))
            .getResult();
      });
  mmaResults_[mma.getResult()] = {acc, phases_ + 1};
}

void LaunchEmulator::emitWarpMma(OpBuilder &b, nvgpu::MmaSyncOp mma) {
  Location loc = mma.getLoc();
  Value a = stagingBuffer(0, mma.getMatrixA().getType());
  Value bb = stagingBuffer(1, mma.getMatrixB().getType());
  Value acc = stagingBuffer(2, mma.getMatrixC().getType());
  SmallVector<int64_t> shape;
  for (mlir::Attribute d : mma.getMmaShape())
    shape.push_back(cast<IntegerAttr>(d).getInt());
  int64_t depth = shape[2];
  bool tf32 = mma.getTf32Enabled().value_or(false);
  IndexMath im{b, loc};
  Value c0 = im.c(0), c1 = im.c(1), c32 = im.c(32);
  auto warps = b.create<scf::ForOp>(loc, c0, im.c(threads_ / 32), c1);
  OpBuilder w(warps.getBody()->getTerminator());
  Value base = w.create<arith::MulIOp>(loc, warps.getInductionVar(), c32);
  emitProductLoops(
      w, loc, base, acc, shape[0], shape[1], depth, fragmentC,
      [&](OpBuilder &k, Value m, Value n, Value kk) {
        auto element = [&](Value buffer, FragmentSlot slot) {
          Value v = k.create<memref::LoadOp>(
              loc, buffer,
              ValueRange{k.create<arith::AddIOp>(loc, base, slot.lane),
                         slot.value});
          return operandValue(k, loc, v, tf32);
        };
        Value x = element(a, fragmentA({k, loc}, m, kk, depth));
        Value y = element(bb, fragmentB({k, loc}, kk, n, depth));
        return k.create<arith::MulFOp>(loc, x, y).getResult();
      });
  mmaResults_[mma.getResult()] = {acc, phases_ + 1};
}

FailureOr<Value> LaunchEmulator::materialize(OpBuilder &b, Value v,
                                             IRMapping &map) {
  if (Value mapped = map.lookupOrNull(v))
    return mapped;
  if (!launch_.getBody().isAncestor(v.getParentRegion()))
    return v;
  if (auto it = mmaResults_.find(v); it != mmaResults_.end()) {
    Value tid = map.lookupOrNull(launch_.getThreadIds().x);
    if (it->second.second != phases_ || !tid) {
      launch_.emitError("emulation: an mma.sync result is used after the "
                        "phase that follows it");
      return failure();
    }
    Location loc = launch_.getLoc();
    if (auto structType = dyn_cast<LLVM::LLVMStructType>(v.getType())) {
      Value result = b.create<LLVM::UndefOp>(loc, structType);
      for (size_t i = 0; i < structType.getBody().size(); ++i)
        result = b.create<LLVM::InsertValueOp>(
            loc, result,
            b.create<memref::LoadOp>(
                loc, it->second.first,
                ValueRange{tid, b.create<arith::ConstantIndexOp>(loc, i)}),
            i);
      map.map(v, result);
      return result;
    }
    auto type = cast<VectorType>(v.getType());
    Value result = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type));
    int64_t inner = type.getShape().back();
    for (int64_t i = 0; i < type.getNumElements(); ++i) {
      Value e = b.create<memref::LoadOp>(
          loc, it->second.first,
          ValueRange{tid, b.create<arith::ConstantIndexOp>(loc, i)});
      result = b.create<vector::InsertOp>(
          loc, e, result, ArrayRef<int64_t>{i / inner, i % inner});
    }
    map.map(v, result);
    return result;
  }
  Operation *def = v.getDefiningOp();
  // The address of a shared buffer, from the arena's (folds that see the
  // view would give the arena's own address for every buffer).
  if (auto address =
          dyn_cast_or_null<memref::ExtractAlignedPointerAsIndexOp>(def))
    if (auto it = sharedOffsets_.find(address.getSource());
        it != sharedOffsets_.end()) {
      Location loc = address.getLoc();
      Value result = b.create<arith::AddIOp>(
          loc, b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, shared_),
          b.create<arith::ConstantIndexOp>(loc, it->second));
      map.map(v, result);
      return result;
    }
  if (!def || !isSinkable(def)) {
    launch_.emitError("emulation: a per-thread value crosses a barrier");
    return failure();
  }
  for (Value operand : def->getOperands())
    if (failed(materialize(b, operand, map)))
      return failure();
  Operation *clone = b.clone(*def, map);
  return clone->getResult(cast<OpResult>(v).getResultNumber());
}

LogicalResult
LaunchEmulator::emitPhase(OpBuilder &b, ArrayRef<Operation *> ops,
                          IRMapping &scope,
                          ArrayRef<std::pair<Value, Value>> stage) {
  if (ops.empty() && stage.empty())
    return success();
  ++phases_;
  Location loc = launch_.getLoc();
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  auto threads = b.create<scf::ForOp>(loc, zero, threadCount_, one);
  OpBuilder inner(threads.getBody()->getTerminator());
  IRMapping map = scope;
  // Threads run from the last to the first: a kernel that relied on one
  // thread of a phase running before another (the order a GPU does not
  // promise) reads what the natural order would have written.
  Value tid = inner.create<arith::SubIOp>(
      loc, inner.create<arith::SubIOp>(loc, threadCount_, one),
      threads.getInductionVar());
  map.map(launch_.getThreadIds().x, tid);
  for (auto [attribution, buffer] : privates_) {
    auto type = cast<MemRefType>(attribution.getType());
    SmallVector<OpFoldResult> offsets(type.getRank() + 1,
                                      inner.getIndexAttr(0));
    offsets[0] = tid;
    SmallVector<OpFoldResult> sizes{inner.getIndexAttr(1)};
    for (int64_t d : type.getShape())
      sizes.push_back(inner.getIndexAttr(d));
    SmallVector<OpFoldResult> strides(type.getRank() + 1,
                                      inner.getIndexAttr(1));
    auto viewType =
        cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
            type.getShape(), cast<MemRefType>(buffer.getType()), offsets, sizes,
            strides));
    map.map(attribution, inner.create<memref::SubViewOp>(
                             loc, viewType, buffer, offsets, sizes, strides));
  }
  for (Operation *op : ops) {
    llvm::SetVector<Value> used(op->getOperands().begin(),
                                op->getOperands().end());
    for (Region &region : op->getRegions())
      getUsedValuesDefinedAbove(region, used);
    for (Value v : used)
      if (failed(materialize(inner, v, map)))
        return failure();
    // A result used in another phase fails to materialize there.
    inner.clone(*op, map);
  }
  for (auto [value, buffer] : stage) {
    FailureOr<Value> v = materialize(inner, value, map);
    if (failed(v))
      return failure();
    auto [elem, count] = stagedShape(value.getType());
    for (int64_t i = 0; i < count; ++i) {
      Value e = *v;
      if (auto type = dyn_cast<VectorType>(value.getType())) {
        int64_t width = type.getShape().back();
        e = inner.create<vector::ExtractOp>(
            loc, *v, ArrayRef<int64_t>{i / width, i % width});
      } else if (isa<LLVM::LLVMStructType>(value.getType())) {
        e = inner.create<LLVM::ExtractValueOp>(loc, *v, i);
      }
      inner.create<memref::StoreOp>(
          loc, e, buffer,
          ValueRange{tid, inner.create<arith::ConstantIndexOp>(loc, i)});
    }
  }
  return success();
}

LogicalResult LaunchEmulator::emitBlock(OpBuilder &b, Block &block,
                                        IRMapping &map) {
  SmallVector<Operation *> phase;
  // Ends the phase at a tensor-core op: each thread stages `operands` into
  // the buffers of roles `firstRole`, `firstRole` + 1, ...
  auto endPhase = [&](int firstRole, ArrayRef<Value> operands) {
    SmallVector<std::pair<Value, Value>> stage;
    for (Value v : operands)
      stage.push_back({v, stagingBuffer(firstRole++, v.getType())});
    LogicalResult staged = emitPhase(b, phase, map, stage);
    phase.clear();
    return staged;
  };
  for (Operation &op : block.without_terminator()) {
    if (isSinkable(&op))
      continue;
    // Checked by checkWgmmaProtocol; nothing to do in a synchronous run.
    if (isWgmmaOrdering(&op))
      continue;
    if (auto wgmma = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op)) {
      if (failed(endPhase(2, {wgmma.getInouts(), wgmma.getDescriptorA(),
                              wgmma.getDescriptorB()})))
        return failure();
      emitWarpgroupMma(b, wgmma);
      continue;
    }
    if (!splitsPhases(&op)) {
      phase.push_back(&op);
      continue;
    }
    if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
      // Its result is read back from staging in the next phase only: the
      // phase count is static, so a use in another block (a later loop,
      // a branch) could see a later mma's result.
      for (Operation *user : mma.getResult().getUsers())
        if (user->getBlock() != mma->getBlock())
          return mma.emitError("emulation: an mma.sync result is used "
                               "outside the mma's block");
      if (failed(endPhase(
              0, {mma.getMatrixA(), mma.getMatrixB(), mma.getMatrixC()})))
        return failure();
      emitWarpMma(b, mma);
      continue;
    }
    if (failed(emitPhase(b, phase, map)))
      return failure();
    phase.clear();
    if (isa<gpu::BarrierOp>(op))
      continue;
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop || loop.getNumResults() != 0)
      return op.emitError("emulation: a barrier under control flow other "
                          "than a loop without results");
    FailureOr<Value> lb = materialize(b, loop.getLowerBound(), map);
    FailureOr<Value> ub = materialize(b, loop.getUpperBound(), map);
    FailureOr<Value> step = materialize(b, loop.getStep(), map);
    if (failed(lb) || failed(ub) || failed(step))
      return failure();
    auto copy = b.create<scf::ForOp>(loop.getLoc(), *lb, *ub, *step);
    OpBuilder inner(copy.getBody()->getTerminator());
    IRMapping innerMap = map;
    innerMap.map(loop.getInductionVar(), copy.getInductionVar());
    if (failed(emitBlock(inner, *loop.getBody(), innerMap)))
      return failure();
  }
  return emitPhase(b, phase, map);
}

LogicalResult LaunchEmulator::run() {
  Location loc = launch_.getLoc();
  OpBuilder b(launch_);
  gpu::KernelDim3 gridOps = launch_.getGridSizeOperandValues();
  gpu::KernelDim3 blockOps = launch_.getBlockSizeOperandValues();
  for (Value v : {gridOps.y, gridOps.z, blockOps.y, blockOps.z})
    if (getConstantIntValue(v) != 1)
      return launch_.emitError("emulation: a launch over y or z");
  std::optional<int64_t> threads = getConstantIntValue(blockOps.x);
  if (!threads)
    return launch_.emitError("emulation: a launch size is not a constant");
  threadCount_ = blockOps.x;
  threads_ = *threads;
  if (threads_ % 32 != 0 &&
      launch_.getBody()
          .walk([](nvgpu::MmaSyncOp) { return WalkResult::interrupt(); })
          .wasInterrupted())
    return launch_.emitError("emulation: mma.sync in a partial warp");
  bool wgmma =
      launch_.getBody()
          .walk([](NVVM::WgmmaMmaAsyncOp) { return WalkResult::interrupt(); })
          .wasInterrupted();
  if (wgmma && threads_ % 128 != 0)
    return launch_.emitError("emulation: wgmma in a partial warpgroup");
  if (wgmma && failed(checkWgmmaProtocol(launch_.getBody().front())))
    return failure();
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  IRMapping map;
  gpu::KernelDim3 bid = launch_.getBlockIds(), tid = launch_.getThreadIds();
  for (Value v : {bid.y, bid.z, tid.y, tid.z})
    map.map(v, zero);
  gpu::KernelDim3 gridArgs = launch_.getGridSize();
  gpu::KernelDim3 blockArgs = launch_.getBlockSize();
  map.map(gridArgs.x, gridOps.x);
  map.map(gridArgs.y, gridOps.y);
  map.map(gridArgs.z, gridOps.z);
  map.map(blockArgs.x, blockOps.x);
  map.map(blockArgs.y, blockOps.y);
  map.map(blockArgs.z, blockOps.z);
  // Shared memory: one host buffer, reused by each block in turn.
  auto hostType = [](Value v) {
    auto type = cast<MemRefType>(v.getType());
    return MemRefType::get(type.getShape(), type.getElementType());
  };
  SmallVector<Value> buffers;
  if (wgmma) {
    // One arena, each attribution at a 128-byte aligned offset in it.
    SmallVector<int64_t> offsets;
    int64_t bytes = 0;
    for (BlockArgument arg : launch_.getWorkgroupAttributions()) {
      auto type = hostType(arg);
      unsigned width = type.getElementTypeBitWidth();
      if (width % 8 != 0 || !type.hasStaticShape())
        return launch_.emitError("emulation: a shared buffer of " +
                                 std::to_string(width) + "-bit elements");
      offsets.push_back(bytes);
      bytes += (type.getNumElements() * (width / 8) + 127) / 128 * 128;
    }
    if (bytes > 0x40000)
      return launch_.emitError("emulation: over 256 KiB of shared memory");
    shared_ = b.create<memref::AllocaOp>(
        loc, MemRefType::get({std::max<int64_t>(bytes, 128)}, b.getI8Type()),
        b.getI64IntegerAttr(128));
    for (auto [arg, offset] :
         llvm::zip(launch_.getWorkgroupAttributions(), offsets)) {
      buffers.push_back(b.create<memref::ViewOp>(
          loc, hostType(arg), shared_,
          b.create<arith::ConstantIndexOp>(loc, offset), ValueRange{}));
      map.map(arg, buffers.back());
      sharedOffsets_[arg] = offset;
    }
  } else {
    for (BlockArgument arg : launch_.getWorkgroupAttributions()) {
      buffers.push_back(b.create<memref::AllocaOp>(loc, hostType(arg)));
      map.map(arg, buffers.back());
    }
  }
  for (BlockArgument arg : launch_.getPrivateAttributions()) {
    auto type = cast<MemRefType>(arg.getType());
    SmallVector<int64_t> shape{*threads};
    llvm::append_range(shape, type.getShape());
    privates_.push_back(
        {arg, b.create<memref::AllocaOp>(
                  loc, MemRefType::get(shape, type.getElementType()))});
  }
  for (auto [arg, buffer] : privates_)
    buffers.push_back(buffer);
  // The mma.sync staging buffers, before the loop that uses them.
  launch_.getBody().walk([&](nvgpu::MmaSyncOp mma) {
    int role = 0;
    for (Value v : {mma.getMatrixA(), mma.getMatrixB(), mma.getMatrixC()})
      stagingBuffer(role++, v.getType());
  });
  launch_.getBody().walk([&](NVVM::WgmmaMmaAsyncOp mma) {
    int role = 2;
    for (Value v : {Value(mma.getInouts()), Value(mma.getDescriptorA()),
                    Value(mma.getDescriptorB())})
      stagingBuffer(role++, v.getType());
  });
  auto blocks = b.create<scf::ForOp>(loc, zero, gridOps.x, one);
  map.map(bid.x, blocks.getInductionVar());
  OpBuilder inner(blocks.getBody()->getTerminator());
  // Each block starts with shared and private memory poisoned (NaN, or
  // 0xA5 bytes for integers), as a GPU gives no initial contents: a read
  // before the write shows in the results.
  for (Value buffer : buffers) {
    Type elem = cast<MemRefType>(buffer.getType()).getElementType();
    TypedAttr poison;
    unsigned width = elem.getIntOrFloatBitWidth();
    if (auto f = dyn_cast<FloatType>(elem))
      poison =
          inner.getFloatAttr(f, llvm::APFloat::getNaN(f.getFloatSemantics()));
    else
      poison = inner.getIntegerAttr(
          elem, width < 8 ? llvm::APInt(width, 1)
                          : llvm::APInt::getSplat(width, llvm::APInt(8, 0xA5)));
    inner.create<linalg::FillOp>(
        loc, inner.create<arith::ConstantOp>(loc, poison).getResult(), buffer);
  }
  if (failed(emitBlock(inner, launch_.getBody().front(), map)))
    return failure();
  launch_.erase();
  return success();
}

/// For --target=cuda-emulate: every gpu.launch of `graph` becomes loops
/// over its blocks and threads (LaunchEmulator), so the mapped kernels run
/// on the host, one thread after another, through the CPU pipeline. Tests
/// the GPU mapping without a GPU.
LogicalResult emulateLaunches(func::FuncOp graph) {
  SmallVector<gpu::LaunchOp> launches;
  graph.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
  for (gpu::LaunchOp launch : launches)
    if (failed(LaunchEmulator(launch).run()))
      return failure();
  return success();
}

/// Recomputes every sinkable value a launch uses inside it, transitively,
/// so that only graph arguments stay captured. (MLIR's
/// sinkOperationsIntoLaunchOp only sinks ops whose operands the launch
/// already captures; views of the arena would stay outside.)
void sinkIntoLaunch(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  for (bool changed = true; changed;) {
    changed = false;
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(body, captured);
    for (Value v : captured) {
      Operation *def = v.getDefiningOp();
      if (!def || !isSinkable(def))
        continue;
      // Each clone goes to the very front: its operands are all defined
      // outside the launch, so it dominates every use.
      OpBuilder b(&body.front(), body.front().begin());
      Operation *clone = b.clone(*def);
      for (auto [from, to] : llvm::zip(def->getResults(), clone->getResults()))
        replaceAllUsesInRegionWith(from, to, body);
      changed = true;
    }
  }
}

/// The plan name of graph argument `index` of @mlc_graph(ctx, inputs...,
/// outputs..., arena, weights).
std::string argumentName(unsigned index, unsigned numInputs,
                         unsigned numOutputs) {
  if (index >= 1 && index < 1 + numInputs)
    return "in" + std::to_string(index - 1);
  if (index >= 1 + numInputs && index < 1 + numInputs + numOutputs)
    return "out" + std::to_string(index - 1 - numInputs);
  return index == 1 + numInputs + numOutputs ? "arena" : "weights";
}

/// Step 5: sinks, outlines every launch into @mlc_kernels and records it.
LogicalResult outlineLaunches(func::FuncOp graph, unsigned numInputs,
                              unsigned numOutputs, gpu::GPUModuleOp kernels,
                              std::vector<GpuLaunch> &plan) {
  if (graph.getNumArguments() != numInputs + numOutputs + 3)
    return graph.emitError("malformed graph function");
  SymbolTable symbols(kernels);
  SmallVector<gpu::LaunchOp> launches;
  graph.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
  for (gpu::LaunchOp launch : launches) {
    sinkIntoLaunch(launch);
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(launch.getBody(), captured);
    GpuLaunch record;
    record.kernel = "k" + std::to_string(plan.size());
    for (Value v : captured) {
      auto arg = dyn_cast<BlockArgument>(v);
      if (!arg || arg.getOwner()->getParentOp() != graph ||
          !isa<MemRefType>(v.getType()))
        return launch.emitError("kernel captures a value that is not a "
                                "graph buffer: ")
               << v;
    }
    SmallVector<Value> operands;
    gpu::GPUFuncOp fn = outlineKernelFunc(launch, record.kernel, operands);
    // Shared memory 16-byte aligned: LLVM merges the tiled contractions'
    // reads of adjacent elements into vector loads, which need it.
    for (unsigned i = 0; i < fn.getNumWorkgroupAttributions(); ++i)
      fn.setWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                                     Builder(fn).getI64IntegerAttr(16));
    symbols.insert(fn);
    for (Value v : operands)
      record.args.push_back(argumentName(cast<BlockArgument>(v).getArgNumber(),
                                         numInputs, numOutputs));
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    Value dims[6] = {grid.x, grid.y, grid.z, block.x, block.y, block.z};
    for (int i = 0; i < 6; ++i) {
      std::optional<int64_t> c = getConstantIntValue(dims[i]);
      if (!c)
        return launch.emitError("launch size is not a constant");
      (i < 3 ? record.grid[i] : record.block[i - 3]) = *c;
    }
    if (record.args.empty())
      return launch.emitError("kernel touches no graph buffer");
    plan.push_back(std::move(record));
    launch.erase();
  }
  return success();
}

/// Step 6a, first: nvgpu.mma.sync on bf16 as the PTX instruction
/// `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32` in inline
/// assembly (as CUTLASS writes it), each fragment row of two bf16 one
/// 32-bit register. MLIR 19 has no working path: nvgpu-to-nvvm cannot
/// deduce bf16 operand types, and nvvm.mma.sync's verifier wants bf16
/// fragments as vector<2xf16> while LLVM's intrinsic takes i32.
/// The asm has side effects (CUTLASS's `asm volatile`): as a pure value
/// LLVM could sink or duplicate it into divergent code, and mma.sync must
/// run on the whole warp at once.
void lowerBf16MmaSync(ModuleOp module) {
  SmallVector<nvgpu::MmaSyncOp> mmas;
  module.walk([&](nvgpu::MmaSyncOp mma) {
    if (cast<VectorType>(mma.getMatrixA().getType()).getElementType().isBF16())
      mmas.push_back(mma);
  });
  for (nvgpu::MmaSyncOp mma : mmas) {
    OpBuilder b(mma);
    Location loc = mma.getLoc();
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    auto registers = [&](Value fragment) {
      auto type = cast<VectorType>(fragment.getType());
      SmallVector<Value> regs;
      for (int64_t r = 0; r < type.getDimSize(0); ++r) {
        Value row = b.create<vector::ExtractOp>(loc, fragment, r);
        Value word =
            b.create<vector::BitCastOp>(loc, VectorType::get({1}, i32), row);
        regs.push_back(b.create<vector::ExtractOp>(loc, word, 0));
      }
      return regs;
    };
    SmallVector<Value> a = registers(mma.getMatrixA());
    SmallVector<Value> bb = registers(mma.getMatrixB());
    SmallVector<Value> c;
    for (int64_t i = 0; i < 4; ++i)
      c.push_back(b.create<vector::ExtractOp>(loc, mma.getMatrixC(),
                                              ArrayRef<int64_t>{i / 2, i % 2}));
    auto resultType = LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(4, f32));
    SmallVector<Value> operands(a);
    llvm::append_range(operands, bb);
    llvm::append_range(operands, c);
    auto op = b.create<LLVM::InlineAsmOp>(
        loc, resultType, operands,
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
        "{$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};",
        "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f", /*has_side_effects=*/true,
        /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
    Value d = b.create<arith::ConstantOp>(
        loc, b.getZeroAttr(mma.getResult().getType()));
    for (int64_t i = 0; i < 4; ++i)
      d = b.create<vector::InsertOp>(
          loc, b.create<LLVM::ExtractValueOp>(loc, op->getResult(0), i), d,
          ArrayRef<int64_t>{i / 2, i % 2});
    mma.getResult().replaceAllUsesWith(d);
    mma.erase();
  }
}

/// `value`'s f32 elements, each passed through an empty asm statement
/// with side effects that reads and writes its register, before `b`'s
/// insertion point: the value is then in those registers at that point
/// of the program.
Value pinRegisters(OpBuilder &b, Location loc, Value value) {
  auto type = cast<LLVM::LLVMStructType>(value.getType());
  Value pinned = b.create<LLVM::UndefOp>(loc, type);
  for (size_t i = 0; i < type.getBody().size(); ++i) {
    Value e = b.create<LLVM::ExtractValueOp>(loc, value, i);
    auto asmOp = b.create<LLVM::InlineAsmOp>(
        loc, e.getType(), ValueRange{e}, "", "=f,0",
        /*has_side_effects=*/true, /*is_align_stack=*/false,
        LLVM::AsmDialectAttr(), ArrayAttr());
    pinned = b.create<LLVM::InsertValueOp>(loc, pinned, asmOp.getResult(0), i);
  }
  return pinned;
}

/// Step 6a, second: wgmma.fence orders the warpgroup's register accesses
/// before a wgmma, but LLVM may place the copies into the accumulator
/// registers after it (a register write between the fence and the wgmma,
/// which the PTX ISA leaves undefined). Pinning the accumulators in their
/// registers before the fence, and the results after the wait (as
/// CUTLASS's warpgroup_fence_operand does), keeps every other access on
/// the right side.
void pinWgmmaAccumulators(ModuleOp module) {
  SmallVector<NVVM::WgmmaFenceAlignedOp> fences;
  module.walk([&](NVVM::WgmmaFenceAlignedOp f) { fences.push_back(f); });
  for (NVVM::WgmmaFenceAlignedOp fence : fences) {
    // The wgmmas the fence orders: up to the next fence or a wait for all.
    SmallVector<NVVM::WgmmaMmaAsyncOp> mmas;
    NVVM::WgmmaWaitGroupSyncOp wait;
    for (Operation *op = fence->getNextNode();
         op && !isa<NVVM::WgmmaFenceAlignedOp>(op); op = op->getNextNode()) {
      if (auto mma = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op))
        mmas.push_back(mma);
      auto w = dyn_cast<NVVM::WgmmaWaitGroupSyncOp>(op);
      if (w && w.getGroup() == 0) {
        wait = w;
        break;
      }
    }
    // Each accumulator chain's start (not another wgmma's result) before
    // the fence.
    OpBuilder before(fence);
    for (NVVM::WgmmaMmaAsyncOp mma : mmas)
      if (!mma.getInouts().getDefiningOp<NVVM::WgmmaMmaAsyncOp>())
        mma.getInoutsMutable().assign(
            pinRegisters(before, fence.getLoc(), mma.getInouts()));
    if (!wait)
      continue;
    // Each result read after the wait (also from nested regions), after it.
    OpBuilder after(wait->getBlock(), ++Block::iterator(wait));
    for (NVVM::WgmmaMmaAsyncOp mma : mmas) {
      Value result = mma.getResult();
      SmallVector<OpOperand *> reads;
      for (OpOperand &use : result.getUses()) {
        Operation *at =
            wait->getBlock()->findAncestorOpInBlock(*use.getOwner());
        if (at && wait->isBeforeInBlock(at))
          reads.push_back(&use);
      }
      if (reads.empty())
        continue;
      Value pinned = pinRegisters(after, wait.getLoc(), result);
      for (OpOperand *use : reads)
        use->set(pinned);
    }
  }
}

/// Step 6a: the gpu.module to the LLVM dialect.
void addNVVMPasses(PassManager &pm) {
  OpPassManager &gpm = pm.nest<gpu::GPUModuleOp>();
  gpm.addPass(createCanonicalizerPass());
  gpm.addPass(createCSEPass());
  gpm.addPass(memref::createFoldMemRefAliasOpsPass());
  gpm.addPass(memref::createExpandStridedMetadataPass());
  gpm.addPass(createLowerAffinePass());
  gpm.addPass(arith::createArithExpandOpsPass());
  gpm.addPass(createConvertSCFToCFPass());
  // The tensor-core kernels' mma.sync and their fragment vectors.
  gpm.addPass(createConvertNVGPUToNVVMPass());
  gpm.addPass(createConvertVectorToLLVMPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  gpm.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  // The warpgroup kernels' wgmma and fence ops, as PTX in inline assembly.
  gpm.addPass(createConvertNVVMToLLVMPass());
  // What the NVVM conversion leaves: the math.fma of the polynomial
  // approximations (an fma.rn instruction).
  gpm.addPass(createConvertMathToLLVMPass());
  gpm.addPass(createReconcileUnrealizedCastsPass());
  gpm.addPass(createCanonicalizerPass());
}

/// The NVPTX target machine for `arch`.
Expected<std::unique_ptr<llvm::TargetMachine>>
createNVPTXMachine(const std::string &arch) {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
  const std::string triple = "nvptx64-nvidia-cuda";
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("codegen: this LLVM has no NVPTX backend: " + error);
  llvm::TargetOptions options;
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, arch, kPtxFeatures, options, std::nullopt, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return makeError("codegen: cannot create an NVPTX target for '" + arch +
                     "'");
  return machine;
}

/// The libdevice functions the NVVM conversion calls for math that PTX has
/// an instruction for, and the LLVM intrinsic the NVPTX backend selects
/// that instruction from.
struct NativeMath {
  const char *libdevice;
  llvm::Intrinsic::ID intrinsic;
};
const NativeMath kNativeMath[] = {
    {"__nv_floorf", llvm::Intrinsic::floor},
    {"__nv_floor", llvm::Intrinsic::floor},
    {"__nv_ceilf", llvm::Intrinsic::ceil},
    {"__nv_ceil", llvm::Intrinsic::ceil},
    {"__nv_fabsf", llvm::Intrinsic::fabs},
    {"__nv_fabs", llvm::Intrinsic::fabs},
    {"__nv_sqrtf", llvm::Intrinsic::sqrt},
    {"__nv_sqrt", llvm::Intrinsic::sqrt},
    {"__nv_truncf", llvm::Intrinsic::trunc},
    {"__nv_trunc", llvm::Intrinsic::trunc},
    {"__nv_rintf", llvm::Intrinsic::roundeven},
    {"__nv_rint", llvm::Intrinsic::roundeven},
    {"__nv_fmaf", llvm::Intrinsic::fma},
    {"__nv_fma", llvm::Intrinsic::fma},
    {"__nv_copysignf", llvm::Intrinsic::copysign},
    {"__nv_copysign", llvm::Intrinsic::copysign},
    {"__nv_fminf", llvm::Intrinsic::minnum},
    {"__nv_fmin", llvm::Intrinsic::minnum},
    {"__nv_fmaxf", llvm::Intrinsic::maxnum},
    {"__nv_fmax", llvm::Intrinsic::maxnum},
};

/// Step 6b: redirects the declarations of kNativeMath to the intrinsics
/// (floor, sqrt.rn, fma.rn, ... instructions instead of libdevice calls).
void useNativeMath(llvm::Module &module) {
  for (const NativeMath &m : kNativeMath) {
    llvm::Function *f = module.getFunction(m.libdevice);
    if (!f || !f->isDeclaration())
      continue;
    llvm::Function *intrinsic = llvm::Intrinsic::getDeclaration(
        &module, m.intrinsic, {f->getReturnType()});
    f->replaceAllUsesWith(intrinsic);
    f->eraseFromParent();
  }
}

/// Step 6b': marks every tensor-core instruction call convergent: the
/// nvvm.mma intrinsics (LLVM 19 does not declare them so) and the inline
/// assembly of bf16 mma.sync and of wgmma and its fences. They must run on
/// the whole warp or warpgroup at once, and a call that is not convergent
/// may be moved into divergent control flow by the optimizer (sinking,
/// tail duplication, unswitching).
void markTensorCoreConvergent(llvm::Module &module) {
  for (llvm::Function &f : module)
    for (llvm::BasicBlock &block : f)
      for (llvm::Instruction &inst : block) {
        auto *call = llvm::dyn_cast<llvm::CallBase>(&inst);
        if (!call)
          continue;
        bool tensorCore = false;
        if (auto *asmCall =
                llvm::dyn_cast<llvm::InlineAsm>(call->getCalledOperand())) {
          llvm::StringRef text = asmCall->getAsmString();
          tensorCore = text.contains("mma.sync") || text.contains("wgmma.") ||
                       text.contains("fence.proxy");
        } else if (llvm::Function *callee = call->getCalledFunction()) {
          llvm::StringRef name = callee->getName();
          tensorCore = name.starts_with("llvm.nvvm.mma.") ||
                       name.starts_with("llvm.nvvm.wmma.");
        }
        if (tensorCore)
          call->addFnAttr(llvm::Attribute::Convergent);
      }
}

/// The CUDA toolkit's libdevice bitcode, or "" when there is none.
std::string findLibdevice() {
  std::vector<std::string> dirs;
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *v = std::getenv(var); v && *v)
      dirs.push_back(std::string(v) + "/nvvm/libdevice");
  dirs.push_back("/usr/local/cuda/nvvm/libdevice");
  dirs.push_back("/usr/lib/nvidia-cuda-toolkit/libdevice");
  for (const std::string &d : dirs) {
    std::string path = d + "/libdevice.10.bc";
    if (llvm::sys::fs::exists(path))
      return path;
  }
  return "";
}

/// Step 6c: math with no instruction and no polynomial (f64 exp, erf, ...)
/// still calls libdevice: link the toolkit's bitcode, keeping only what is
/// called. Without a toolkit that is an error naming the function.
Status linkLibdevice(llvm::Module &module) {
  std::string missing;
  for (llvm::Function &f : module)
    if (f.isDeclaration() && f.getName().starts_with("__nv_")) {
      missing = f.getName().str();
      break;
    }
  if (missing.empty())
    return Status::success();
  std::string path = findLibdevice();
  if (path.empty())
    return makeError("codegen: a CUDA kernel needs " + missing +
                     " from libdevice, and no CUDA toolkit was found "
                     "(set CUDA_HOME)");
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeError("codegen: cannot read " + path);
  auto libdevice =
      llvm::parseBitcodeFile((*buffer)->getMemBufferRef(), module.getContext());
  if (!libdevice) {
    llvm::consumeError(libdevice.takeError());
    return makeError("codegen: cannot parse " + path);
  }
  (*libdevice)->setTargetTriple(module.getTargetTriple());
  (*libdevice)->setDataLayout(module.getDataLayout());
  if (llvm::Linker::linkModules(
          module, std::move(*libdevice), llvm::Linker::LinkOnlyNeeded,
          [](llvm::Module &m, const llvm::StringSet<> &linked) {
            // What came from libdevice becomes internal: O3 drops it once
            // inlined, and only the kernels stay visible.
            for (llvm::GlobalValue &g : m.global_values())
              if (!g.isDeclaration() && linked.count(g.getName()))
                g.setLinkage(llvm::GlobalValue::InternalLinkage);
          }))
    return makeError("codegen: linking " + path + " failed");
  return Status::success();
}

/// Step 6d: O3 and PTX emission.
Expected<std::string> emitPTX(llvm::Module &module,
                              llvm::TargetMachine &machine) {
  module.setTargetTriple(machine.getTargetTriple().str());
  module.setDataLayout(machine.createDataLayout());
  MLC_RETURN_IF_ERROR(linkLibdevice(module));
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(&machine);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
        .run(module, mam);
  }
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  llvm::CodeGenFileType::AssemblyFile))
    return makeError("codegen: the NVPTX backend cannot emit PTX");
  pm.run(module);
  std::string ptx(buffer.begin(), buffer.end());
  // Everything must be self-contained: mlc does not link libdevice.
  if (size_t pos = ptx.find(".extern .func"); pos != std::string::npos) {
    size_t end = ptx.find_first_of(";\n", ptx.find('(', pos) + 1);
    return makeError("codegen: a CUDA kernel calls an external function (" +
                     ptx.substr(pos, end - pos) +
                     "); mlc does not link libdevice");
  }
  return ptx;
}

/// Lets the inliner move nvgpu and nvvm ops (the tensor-core kernels'
/// mma.sync, wgmma and fences) into @mlc_graph, the kernels staying in
/// their order; neither dialect declares an inliner interface of its own.
struct TensorCoreInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};

} // namespace

Expected<GpuModule> lowerToPTX(const std::string &moduleText,
                               const std::string &arch, unsigned numInputs,
                               unsigned numOutputs, int64_t &arenaBytes,
                               int64_t &naiveBytes, bool emitText,
                               std::string *hostEmulation) {
  DialectRegistry registry;
  registerEverything(registry);
  registry.addExtension(+[](MLIRContext *, nvgpu::NVGPUDialect *dialect) {
    dialect->addInterfaces<TensorCoreInlinerInterface>();
  });
  registry.addExtension(+[](MLIRContext *, NVVM::NVVMDialect *dialect) {
    dialect->addInterfaces<TensorCoreInlinerInterface>();
  });
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  DiagnosticCollector diagnostics(context);

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(moduleText, &context, "kernels");
  if (!module)
    return diagnostics.error("parsing the kernel module");

  // 1-2. Bufferize, tiled contractions, loops, temporaries into the arena.
  PassManager bufferize(&context);
  addBufferizationPasses(bufferize);
  if (failed(bufferize.run(*module)))
    return diagnostics.error("bufferization");
  if (failed(tileContractions(*module, hasWgmma(arch))))
    return diagnostics.error("tiling contractions");
  PassManager loops(&context);
  addLoopPasses(loops);
  if (failed(loops.run(*module)))
    return diagnostics.error("lowering to loops");
  FailureOr<ScratchLayout> scratch = placeKernelScratch(*module, arenaBytes);
  if (failed(scratch))
    return diagnostics.error("placing kernel temporaries in the arena");
  if (scratch->bytes > 0)
    arenaBytes = scratch->offset + scratch->bytes;
  naiveBytes += scratch->totalBytes;

  // 3. One host function.
  PassManager inline_(&context);
  inline_.addPass(createInlinerPass());
  inline_.addPass(createSymbolDCEPass());
  inline_.addPass(createCanonicalizerPass());
  inline_.addPass(createCSEPass());
  if (failed(inline_.run(*module)))
    return diagnostics.error("inlining the kernels");
  if (failed(legalizeMath(*module)))
    return diagnostics.error("math legalization");
  auto graph = module->lookupSymbol<func::FuncOp>("mlc_graph");
  if (!graph)
    return makeError("codegen: the kernel module has no @mlc_graph");
  for (Operation &op : module->getBody()->getOperations())
    if (&op != graph.getOperation())
      return makeError("codegen: a kernel was not inlined into @mlc_graph");

  // 4-5. Launches, outlined into one gpu.module.
  GpuModule result;
  if (failed(createLaunches(graph)))
    return diagnostics.error("mapping loops to the GPU");
  if (hostEmulation) {
    OwningOpRef<ModuleOp> copy = module->clone();
    if (failed(emulateLaunches(copy->lookupSymbol<func::FuncOp>("mlc_graph"))))
      return diagnostics.error("emulating the GPU launches");
    llvm::raw_string_ostream os(*hostEmulation);
    copy->print(os);
  }
  (*module)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                     UnitAttr::get(&context));
  OpBuilder b(&context);
  b.setInsertionPointToEnd(module->getBody());
  auto kernels = b.create<gpu::GPUModuleOp>(module->getLoc(), "mlc_kernels");
  if (failed(outlineLaunches(graph, numInputs, numOutputs, kernels,
                             result.launches)))
    return diagnostics.error("outlining GPU kernels");
  graph.erase();
  if (result.launches.empty())
    return makeError("codegen: the model has no GPU work");
  if (emitText) {
    llvm::raw_string_ostream os(result.mlir);
    kernels.print(os);
  }

  // 6. NVVM, LLVM IR, PTX.
  lowerBf16MmaSync(*module);
  pinWgmmaAccumulators(*module);
  PassManager nvvm(&context);
  addNVVMPasses(nvvm);
  if (failed(nvvm.run(*module)))
    return diagnostics.error("lowering to NVVM");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(kernels, llvmContext, "mlc_kernels");
  if (!llvmModule)
    return diagnostics.error("translation of the GPU kernels to LLVM IR");
  auto machine = createNVPTXMachine(arch);
  if (!machine.ok())
    return machine.error();
  // Every kernel parameter is a distinct graph buffer (an input, an output,
  // the arena or the weights: separate allocations, inputs and weights never
  // written), so no two parameters alias. Saying so lets LLVM keep a
  // reduction's accumulator in a register instead of reloading and storing
  // it on every step.
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration())
      for (llvm::Argument &arg : f.args())
        if (arg.getType()->isPointerTy())
          arg.addAttr(llvm::Attribute::NoAlias);
  useNativeMath(*llvmModule);
  markTensorCoreConvergent(*llvmModule);
  auto ptx = emitPTX(*llvmModule, **machine);
  if (!ptx.ok())
    return ptx.error();
  if (emitText) {
    llvm::raw_string_ostream os(result.llvmIR);
    llvmModule->print(os, nullptr);
  }
  result.ptx = ptx.take();
  return result;
}

} // namespace mlc::codegen
