// Multithreading: outlines kernels' top-level parallel loops into task bodies
// that the runtime's thread pool runs (artifact ABI 2, mlc_exec_context).
//
// Why here and like this: after bufferization every fused group is a kernel
// whose top-level loops are either scf.forall (the cache tiles of scheduled
// contractions) or scf.parallel (the parallel dimensions of every other
// linalg op). Their iterations are independent by construction, so each can
// be split into ranges and run fork-join style: the kernel keeps its order
// of loops (the implicit barrier between them is the join), and no
// iteration's result depends on which thread ran it, so outputs are
// bitwise identical for every thread count.
#include "codegen/Parallelize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace mlc::codegen {
namespace {

using namespace mlir;

/// Trip count assumed for loops with dynamic bounds when estimating work.
constexpr int64_t kUnknownTrips = 16;
/// The distributed iteration space is grown dimension by dimension until it
/// has at least this many iterations (enough chunks for load balance).
constexpr int64_t kMinDistributed = 64;

int64_t saturatingAdd(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b
             ? std::numeric_limits<int64_t>::max()
             : a + b;
}

int64_t saturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  return a > std::numeric_limits<int64_t>::max() / b
             ? std::numeric_limits<int64_t>::max()
             : a * b;
}

std::optional<int64_t> tripCount(OpFoldResult lb, OpFoldResult ub,
                                 OpFoldResult step) {
  auto l = getConstantIntValue(lb), u = getConstantIntValue(ub),
       s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return std::nullopt;
  return *u > *l ? (*u - *l + *s - 1) / *s : 0;
}

/// A top-level loop with independent iterations, in one shape for both
/// scf.forall and scf.parallel.
struct ParallelLoop {
  Operation *op = nullptr;
  SmallVector<OpFoldResult> lbs, ubs, steps;
  SmallVector<Value> ivs;
  Block *body = nullptr; ///< Its terminator carries nothing and is dropped.
  bool tiles = false;    ///< scf.forall over tiles: distribute every dim.
};

std::optional<ParallelLoop> asParallelLoop(Operation *op) {
  ParallelLoop loop;
  loop.op = op;
  if (auto forall = dyn_cast<scf::ForallOp>(op)) {
    if (forall->getNumResults() != 0 || !forall.getOutputs().empty())
      return std::nullopt;
    loop.lbs = forall.getMixedLowerBound();
    loop.ubs = forall.getMixedUpperBound();
    loop.steps = forall.getMixedStep();
    loop.ivs = forall.getInductionVars();
    loop.body = forall.getBody();
    loop.tiles = true;
    return loop;
  }
  if (auto parallel = dyn_cast<scf::ParallelOp>(op)) {
    if (parallel->getNumResults() != 0 || !parallel.getInitVals().empty())
      return std::nullopt;
    for (Value v : parallel.getLowerBound())
      loop.lbs.push_back(getAsOpFoldResult(v));
    for (Value v : parallel.getUpperBound())
      loop.ubs.push_back(getAsOpFoldResult(v));
    for (Value v : parallel.getStep())
      loop.steps.push_back(getAsOpFoldResult(v));
    loop.ivs = parallel.getInductionVars();
    loop.body = parallel.getBody();
    return loop;
  }
  return std::nullopt;
}

int64_t estimateWork(Operation *op);

int64_t estimateWork(Block &block) {
  int64_t work = 0;
  for (Operation &op : block)
    work = saturatingAdd(work, estimateWork(&op));
  return work;
}

/// Roughly the number of operations `op` executes.
int64_t estimateWork(Operation *op) {
  int64_t body = 0;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      body = saturatingAdd(body, estimateWork(block));
  int64_t trips = 1;
  if (auto loop = asParallelLoop(op)) {
    for (size_t d = 0; d < loop->lbs.size(); ++d)
      trips = saturatingMul(
          trips, tripCount(loop->lbs[d], loop->ubs[d], loop->steps[d])
                     .value_or(kUnknownTrips));
  } else if (auto loop = dyn_cast<scf::ForOp>(op)) {
    trips = tripCount(getAsOpFoldResult(loop.getLowerBound()),
                      getAsOpFoldResult(loop.getUpperBound()),
                      getAsOpFoldResult(loop.getStep()))
                .value_or(kUnknownTrips);
  }
  return saturatingAdd(1, saturatingMul(trips, body));
}

/// Ops recomputed inside the body rather than captured: views, casts and
/// constants (pure, region-free, single-result).
bool isRematerializable(Operation *op) {
  return op->getNumRegions() == 0 && op->getNumResults() == 1 && isPure(op);
}

/// Types a capture may have: what the bare-pointer calling convention
/// passes as one pointer or one scalar.
bool isCapturable(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return memref.hasStaticShape() && memref.getLayout().isIdentity();
  if (isa<LLVM::LLVMPointerType, IndexType>(type))
    return true;
  if (auto integer = dyn_cast<IntegerType>(type))
    return integer.getWidth() <= 64;
  return type.isF32() || type.isF64();
}

/// A memref the bare-pointer convention cannot pass (dynamic shape or
/// layout: symbolic dims) but its pieces can: base pointer (a 0-d memref),
/// offset, sizes and strides.
bool isDecomposable(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getElementType().isIntOrFloat() &&
         !isCapturable(type);
}

/// What the outlined body needs from the kernel.
struct Captures {
  SmallVector<Value> values;               ///< Passed as arguments, in order.
  SmallVector<Operation *> rematerialized; ///< Cloned into the body, in order.
  /// Decomposable memrefs: passed as their pieces (outline appends them to
  /// `values`) and rebuilt in the body.
  SmallVector<Value> decomposed;
};

std::optional<Captures> collectCaptures(ParallelLoop &loop) {
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.op->getRegions(), used);
  for (OpFoldResult ofr :
       llvm::concat<OpFoldResult>(loop.lbs, loop.ubs, loop.steps))
    if (auto v = dyn_cast<Value>(ofr))
      used.insert(v);
  Captures captures;
  llvm::SetVector<Value> terminal;
  llvm::SetVector<Operation *> cloned;
  SmallVector<Value> worklist(used.begin(), used.end());
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (def && isRematerializable(def)) {
      if (cloned.insert(def))
        worklist.append(def->operand_begin(), def->operand_end());
      continue;
    }
    terminal.insert(v);
  }
  for (Value v : terminal) {
    if (isCapturable(v.getType()))
      captures.values.push_back(v);
    else if (isDecomposable(v.getType()))
      captures.decomposed.push_back(v);
    else
      return std::nullopt;
  }
  // Operands before their users. They may sit in different blocks (a loop
  // inside a top-level scf.for also rematerializes views from the kernel's
  // entry block), so the order follows the operands, not block positions.
  llvm::SmallPtrSet<Operation *, 16> placed;
  std::function<void(Operation *)> place = [&](Operation *op) {
    if (!placed.insert(op).second)
      return;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp(); def && cloned.contains(def))
        place(def);
    captures.rematerialized.push_back(op);
  };
  for (Operation *op : cloned)
    place(op);
  return captures;
}

/// Which dimensions the tasks split: every non-unit one for tile loops;
/// otherwise a prefix of the non-unit dimensions, keeping the innermost one
/// whole so that it stays a plain (vectorizable) loop inside each task.
SmallVector<size_t> distributedDims(const ParallelLoop &loop,
                                    ArrayRef<int64_t> trips) {
  SmallVector<size_t> nonUnit;
  for (size_t d = 0; d < trips.size(); ++d)
    if (trips[d] > 1)
      nonUnit.push_back(d);
  if (loop.tiles || nonUnit.size() <= 1)
    return nonUnit;
  SmallVector<size_t> dims;
  int64_t product = 1;
  for (size_t i = 0; i + 1 < nonUnit.size() && product < kMinDistributed; ++i) {
    dims.push_back(nonUnit[i]);
    product *= trips[nonUnit[i]];
  }
  return dims;
}

class Outliner {
public:
  Outliner(ModuleOp module) : module_(module) {}

  /// Outlines `loop` of `kernel`; false (and no change) when it cannot.
  bool outline(func::FuncOp kernel, ParallelLoop &loop) {
    // Trip counts; a dynamic one (symbolic shapes) counts as large when
    // choosing the dims and is computed at run time.
    SmallVector<int64_t> trips;
    SmallVector<bool> dynamicTrips;
    for (size_t d = 0; d < loop.lbs.size(); ++d) {
      auto t = tripCount(loop.lbs[d], loop.ubs[d], loop.steps[d]);
      if (!t && !getConstantIntValue(loop.steps[d]))
        return false; // a step known only at run time
      trips.push_back(t.value_or(kUnknownTrips));
      dynamicTrips.push_back(!t);
    }
    SmallVector<size_t> dims = distributedDims(loop, trips);
    int64_t count = 1;
    bool dynamicCount = false;
    for (size_t d : dims) {
      count = saturatingMul(count, trips[d]);
      dynamicCount |= dynamicTrips[d];
    }
    if (count < 2)
      return false;
    std::optional<Captures> captures = collectCaptures(loop);
    if (!captures)
      return false;

    Location loc = loop.op->getLoc();
    MLIRContext *context = module_.getContext();
    // Dynamic memrefs travel as their pieces, taken apart before the loop.
    struct Pieces {
      size_t first, rank;
    };
    SmallVector<Pieces> pieces;
    {
      OpBuilder kb(loop.op);
      for (Value v : captures->decomposed) {
        auto md = kb.create<memref::ExtractStridedMetadataOp>(loc, v);
        pieces.push_back(
            {captures->values.size(),
             static_cast<size_t>(cast<MemRefType>(v.getType()).getRank())});
        captures->values.push_back(md.getBaseBuffer());
        captures->values.push_back(md.getOffset());
        for (Value size : md.getSizes())
          captures->values.push_back(size);
        for (Value stride : md.getStrides())
          captures->values.push_back(stride);
      }
    }
    std::string name = kernel.getSymName().str() + "_p" +
                       std::to_string(nextIndex_[kernel.getOperation()]++);
    Type index = IndexType::get(context);

    // The body: func @<name>(captures..., %begin, %end).
    SmallVector<Type> bodyTypes;
    for (Value v : captures->values)
      bodyTypes.push_back(v.getType());
    bodyTypes.append({index, index});
    OpBuilder b(context);
    b.setInsertionPointToEnd(module_.getBody());
    auto body =
        b.create<func::FuncOp>(loc, name, b.getFunctionType(bodyTypes, {}));
    body.setPrivate();
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (size_t i = 0; i < captures->values.size(); ++i)
      map.map(captures->values[i], entry->getArgument(i));
    for (size_t i = 0; i < captures->decomposed.size(); ++i) {
      // base, offset, sizes, strides -> a fully dynamic strided view, cast
      // back to the captured type.
      Value v = captures->decomposed[i];
      auto type = cast<MemRefType>(v.getType());
      size_t at = pieces[i].first, rank = pieces[i].rank;
      SmallVector<OpFoldResult> sizes, strides;
      for (size_t d = 0; d < rank; ++d) {
        sizes.push_back(entry->getArgument(at + 2 + d));
        strides.push_back(entry->getArgument(at + 2 + rank + d));
      }
      SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
      auto layout =
          StridedLayoutAttr::get(context, ShapedType::kDynamic, dynamic);
      auto viewType = MemRefType::get(dynamic, type.getElementType(), layout,
                                      type.getMemorySpace());
      Value view = b.create<memref::ReinterpretCastOp>(
          loc, viewType, entry->getArgument(at),
          OpFoldResult(entry->getArgument(at + 1)), sizes, strides);
      map.map(v, b.create<memref::CastOp>(loc, type, view).getResult());
    }
    for (Operation *op : captures->rematerialized)
      b.clone(*op, map);
    auto materialize = [&](OpFoldResult ofr) -> Value {
      if (auto v = dyn_cast<Value>(ofr))
        return map.lookupOrDefault(v);
      return b.create<arith::ConstantIndexOp>(loc, *getConstantIntValue(ofr));
    };
    SmallVector<Value> lbs, ubs, steps;
    for (size_t d = 0; d < loop.lbs.size(); ++d) {
      lbs.push_back(materialize(loop.lbs[d]));
      ubs.push_back(materialize(loop.ubs[d]));
      steps.push_back(materialize(loop.steps[d]));
    }
    Value begin = entry->getArgument(captures->values.size());
    Value end = entry->getArgument(captures->values.size() + 1);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    auto linear = b.create<scf::ForOp>(loc, begin, end, one);
    b.setInsertionPointToStart(linear.getBody());
    // Delinearize the distributed dimensions (the last varies fastest);
    // every other dimension gets a loop of its own inside.
    // The trip count of dim d from bounds in scope of `at` (ceildiv of
    // ub - lb by step, 0 when ub <= lb).
    auto tripValue = [&](OpBuilder &at, Value lb, Value ub, Value step,
                         size_t d) -> Value {
      if (!dynamicTrips[d])
        return at.create<arith::ConstantIndexOp>(loc, trips[d]);
      Value zero = at.create<arith::ConstantIndexOp>(loc, 0);
      Value span = at.create<arith::SubIOp>(loc, ub, lb);
      span = at.create<arith::MaxSIOp>(loc, span, zero);
      return at.create<arith::CeilDivUIOp>(loc, span, step);
    };
    Value rest = linear.getInductionVar();
    SmallVector<Value> position(loop.lbs.size());
    for (size_t i = dims.size(); i-- > 0;) {
      size_t d = dims[i];
      Value idx = rest;
      if (i > 0) {
        Value extent = tripValue(b, lbs[d], ubs[d], steps[d], d);
        idx = b.create<arith::RemUIOp>(loc, rest, extent);
        rest = b.create<arith::DivUIOp>(loc, rest, extent);
      }
      position[d] = b.create<arith::AddIOp>(
          loc, lbs[d], b.create<arith::MulIOp>(loc, idx, steps[d]));
    }
    for (size_t d = 0; d < loop.lbs.size(); ++d) {
      if (position[d])
        continue;
      if (trips[d] == 1 && !dynamicTrips[d]) {
        position[d] = lbs[d];
        continue;
      }
      auto inner = b.create<scf::ForOp>(loc, lbs[d], ubs[d], steps[d]);
      b.setInsertionPointToStart(inner.getBody());
      position[d] = inner.getInductionVar();
    }
    for (size_t d = 0; d < loop.ivs.size(); ++d)
      map.map(loop.ivs[d], position[d]);
    for (Operation &op : loop.body->without_terminator())
      b.clone(op, map);
    b.setInsertionPointToEnd(entry);
    b.create<func::ReturnOp>(loc);

    // The dispatcher's declaration and the call that replaces the loop.
    SmallVector<Type> dispatchTypes = {kernel.getArgument(0).getType()};
    for (Value v : captures->values)
      dispatchTypes.push_back(v.getType());
    dispatchTypes.push_back(index);
    b.setInsertionPointToEnd(module_.getBody());
    auto dispatch = b.create<func::FuncOp>(
        loc, kDispatchPrefix + name, b.getFunctionType(dispatchTypes, {}));
    dispatch.setPrivate();
    b.setInsertionPoint(loop.op);
    SmallVector<Value> args = {kernel.getArgument(0)};
    args.append(captures->values.begin(), captures->values.end());
    Value total;
    if (!dynamicCount) {
      total = b.create<arith::ConstantIndexOp>(loc, count);
    } else {
      // The kernel computes the count from the loop's own bounds.
      auto inKernel = [&](OpFoldResult ofr) -> Value {
        if (auto v = dyn_cast<Value>(ofr))
          return v;
        return b.create<arith::ConstantIndexOp>(loc, *getConstantIntValue(ofr));
      };
      for (size_t d : dims) {
        Value t = tripValue(b, inKernel(loop.lbs[d]), inKernel(loop.ubs[d]),
                            inKernel(loop.steps[d]), d);
        total = total ? b.create<arith::MulIOp>(loc, total, t).getResult() : t;
      }
    }
    args.push_back(total);
    b.create<func::CallOp>(loc, dispatch, args);
    loop.op->erase();
    return true;
  }

private:
  ModuleOp module_;
  llvm::DenseMap<Operation *, int64_t> nextIndex_;
};

} // namespace

bool isKernel(func::FuncOp f) {
  return !f.isExternal() && f.getNumArguments() > 0 &&
         isa<LLVM::LLVMPointerType>(f.getArgument(0).getType()) &&
         f.getSymName() != "mlc_graph";
}

LogicalResult outlineParallelLoops(ModuleOp module, int64_t minWork) {
  SmallVector<func::FuncOp> kernels;
  for (auto f : module.getOps<func::FuncOp>())
    if (isKernel(f))
      kernels.push_back(f);
  Outliner outliner(module);
  for (func::FuncOp kernel : kernels) {
    if (!kernel.getBody().hasOneBlock())
      continue;
    // Collected first: outlining erases the loop it replaces. Loops inside
    // top-level scf.for loops (the items of a symbolic batch, emitPerItem)
    // count as top-level: each run of the outer body forks and joins.
    std::vector<ParallelLoop> candidates;
    std::function<void(Block &)> collect = [&](Block &block) {
      for (Operation &op : block) {
        if (std::optional<ParallelLoop> loop = asParallelLoop(&op)) {
          if (estimateWork(&op) >= minWork)
            candidates.push_back(*loop);
        } else if (auto sequential = dyn_cast<scf::ForOp>(op)) {
          collect(*sequential.getBody());
        }
      }
    };
    collect(kernel.getBody().front());
    for (ParallelLoop &loop : candidates)
      outliner.outline(kernel, loop);
  }
  return success();
}

} // namespace mlc::codegen
